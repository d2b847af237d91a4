#!/bin/sh
# Export through the command line: spans spooled with their events, a
# collector down then up, --export, flush, spool, dead letters.
set -u
unset GITHUB_RUN_ID CI_PIPELINE_ID BUILD_ID BUILDKITE_BUILD_ID
. "$abs_top_srcdir/tests/lib/tap.sh"
export DEPLOY_LEDGER_DB="$tmp/ledger.db"
unset TRACEPARENT TRACESTATE OTEL_EXPORTER_OTLP_TRACES_ENDPOINT OTEL_EXPORTER_OTLP_HEADERS
sink="$abs_top_builddir/tests/c/otlp-sink"
[ -x "$sink" ] || skip_all "the loopback collector needs libmicrohttpd: install libmicrohttpd-dev (or run ./setup) and reconfigure"
sink_pid=
start_sink() { # start_sink DIR [STATUS...]
  mkdir -p "$1"; rm -f "$tmp/port"
  "$sink" "$tmp/port" "$@" & sink_pid=$!
  wait_for_file "$tmp/port"
  port=$(cat "$tmp/port")
}
stop_sink() { [ -z "$sink_pid" ] || { kill $sink_pid 2>/dev/null; wait $sink_pid 2>/dev/null; }; sink_pid=; }
at_exit stop_sink
count() { ls "$1" 2>/dev/null | wc -l; }

# Collector down: a port nobody listens on.
start_sink "$tmp/probe"; down=$port; stop_sink
export OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$down" OTEL_EXPORTER_OTLP_TIMEOUT=300
id=$(deploy-ledger start --service checkout --version v3 --region eu-west-1 --export 2>"$tmp/start.err"); st=$?
check "start --export with the collector down: exit 0, the deployment recorded" sh -c "[ $st -eq 0 ] && [ -n '$id' ] && deploy-ledger status $id | grep -q in-progress"
check "and one warning line says the span is kept" sh -c "grep -q 'warning: spans not exported.*kept in the spool' '$tmp/start.err' && [ \$(wc -l <'$tmp/start.err') -eq 1 ]"
check "the start span waits in the spool" sh -c "deploy-ledger spool | grep -q '$id'"
deploy-ledger stage "$id" --region eu-west-1 --status succeeded
deploy-ledger finish "$id" --status succeeded --link 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01 >/dev/null
check "stage and finish spooled their spans too: three items" sh -c "[ \$(deploy-ledger spool --json | grep -o '\"deployment-id\"' | wc -l) -eq 3 ]"

# Collector up on that port.
start_sink "$tmp/up"
export OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$port"
check "flush sends everything" deploy-ledger flush
sleep 0.3
check "the collector got three requests" sh -c "[ \$(ls '$tmp/up' | wc -l) -eq 3 ]"
check "start, region and deployment spans, in order" sh -c "grep -q deployment.start '$tmp/up/0.bin' && grep -q 'deployment.region eu-west-1' '$tmp/up/1.bin' && grep -q 'checkout v3' '$tmp/up/2.bin'"
check "the spool is empty" sh -c "[ \$(deploy-ledger spool | wc -l) -eq 1 ]"
check "a second flush sends nothing more" sh -c "deploy-ledger flush && sleep 0.3 && [ \$(ls '$tmp/up' | wc -l) -eq 3 ]"
id2=$(deploy-ledger start --service api --version 9 --export 2>/dev/null)
sleep 0.3
check "start --export sends at once" sh -c "[ \$(ls '$tmp/up' | wc -l) -eq 4 ] && [ \$(deploy-ledger spool | wc -l) -eq 1 ]"
stop_sink

# A collector that refuses: dead letters.
start_sink "$tmp/refuse" 400
export OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$port" OTEL_EXPORTER_OTLP_PROTOCOL=http/json
deploy-ledger finish "$id2" --status failed --reason "p99 doubled" --export --strict-export >/dev/null 2>&1; st=$?
check "a refused export exits 6 with --strict-export" sh -c "[ $st -eq 6 ]"
check "and the item is a dead letter with HTTP 400" sh -c "deploy-ledger spool --dead | grep -q ' 400 '"
sleep 0.3
check "JSON protocol on the wire" sh -c "grep -q '\"resourceSpans\"' '$tmp/refuse/0.bin' && grep -q 'p99 doubled' '$tmp/refuse/0.bin'"
stop_sink

# Credentials in the endpoint: sent to the collector, shown and stored nowhere.
start_sink "$tmp/probe2"; down=$port; stop_sink
OTEL_EXPORTER_OTLP_ENDPOINT="http://bob:hunter2@127.0.0.1:$down" \
  deploy-ledger start --service web --version 1 --export >/dev/null 2>"$tmp/cred.err"
deploy-ledger spool >"$tmp/spool.out"; deploy-ledger spool --json >>"$tmp/spool.out"
check "credentials in the endpoint: spool shows the host, never the user or password" sh -c "grep -q '127.0.0.1:$down' '$tmp/spool.out' && ! grep -q -e hunter2 -e bob '$tmp/spool.out' '$tmp/cred.err'"
check "and the ledger never stored them" sh -c "! grep -q hunter2 '$DEPLOY_LEDGER_DB'*"
check "--help for flush and spool" sh -c "deploy-ledger flush --help | grep -q 'at least once' && deploy-ledger spool --help | grep -q dead"
done_testing
