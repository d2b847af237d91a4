#!/bin/sh
# OTLP/gRPC export against a real gRPC server: grpc-js (from npm, installed
# by the test into the build tree) serving the OTLP trace service from the
# project's .proto files on 127.0.0.1, with scripted answers: accepted
# (the spans it decoded checked), UNAVAILABLE then OK (retried by flush),
# INVALID_ARGUMENT (a dead letter), RESOURCE_EXHAUSTED with and without
# retry information, gzip, partial success.  Skipped, saying so, only when
# node or the npm registry is not there.
set -u
unset GITHUB_RUN_ID CI_PIPELINE_ID BUILD_ID BUILDKITE_BUILD_ID TRACEPARENT TRACESTATE
unset OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_TRACES_ENDPOINT OTEL_EXPORTER_OTLP_HEADERS \
  OTEL_EXPORTER_OTLP_TRACES_HEADERS OTEL_EXPORTER_OTLP_TRACES_PROTOCOL \
  OTEL_EXPORTER_OTLP_COMPRESSION OTEL_EXPORTER_OTLP_TIMEOUT OTEL_RESOURCE_ATTRIBUTES
. "$abs_top_srcdir/tests/lib/tap.sh"
peer="$abs_top_builddir/tests/grpc-peer"
collector_pid=
stop_collector() {
  [ -z "$collector_pid" ] || { kill $collector_pid 2>/dev/null; wait $collector_pid 2>/dev/null; }
  collector_pid=
}
at_exit stop_collector
. "$abs_top_srcdir/tests/lib/js-packages.sh"
js_packages "$abs_top_srcdir/tests/js/grpc" "$peer"
export DEPLOY_LEDGER_DB="$tmp/ledger.db" OTEL_EXPORTER_OTLP_PROTOCOL=grpc
start_collector() { # start_collector DIR [ANSWER...]
  mkdir -p "$1"; rm -f "$tmp/port"
  env -u LD_PRELOAD node "$abs_top_srcdir/tests/js/grpc/collector.js" "$abs_top_srcdir/proto" \
    "$tmp/port" "$@" 2>"$tmp/collector.err" & collector_pid=$!
  wait_for_file "$tmp/port" 30 || diag "$tmp/collector.err"
  port=$(cat "$tmp/port")
  export OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$port"
}
count() { ls "$1" | wc -l; }
spooled() { deploy-ledger spool --json | grep -o '"deployment-id"' | wc -l; }
dead() { deploy-ledger spool --dead --json | grep -o '"deployment-id"' | wc -l; }

# 1. Accepted: the spans of a deployment, decoded by grpc-js.
start_collector "$tmp/ok"
tid=4bf92f3577b34da6a3ce929d0e0e4736
export TRACEPARENT=00-$tid-00f067aa0ba902b7-01
id=$(OTEL_EXPORTER_OTLP_HEADERS=x-api-key=k3y deploy-ledger start --service checkout --version v7 \
       --region eu-west-1 --export 2>"$tmp/start.err"); st=$?
check "start --export over gRPC: exit 0, nothing to warn about" sh -c "[ $st -eq 0 ] && [ ! -s '$tmp/start.err' ]"
deploy-ledger stage "$id" --region eu-west-1 --status succeeded --export 2>"$tmp/stage.err"
deploy-ledger finish "$id" --status succeeded --export >/dev/null 2>"$tmp/finish.err"
unset TRACEPARENT
check "the collector answered three Exports" test "$(count "$tmp/ok")" -eq 3
check "the start marker, decoded by grpc-js, in the pipeline's trace" \
  sh -c "cat '$tmp/ok/0.json' | grep -q '\"name\":\"deployment.start\",\"traceId\":\"$tid\"'" 
check "then the region's span and the deployment span, same trace, service checkout" \
  sh -c "cat '$tmp/ok/1.json' | grep -q '\"name\":\"deployment.region eu-west-1\",\"traceId\":\"$tid\"' && grep -q '\"name\":\"deployment\",\"traceId\":\"$tid\",.*\"parentSpanId\":\"00f067aa0ba902b7\",\"service\":\"checkout\"' '$tmp/ok/2.json'"
check "the OTEL_EXPORTER_OTLP_HEADERS header and the user agent came as gRPC metadata" \
  sh -c "grep -q '\"x-api-key\":\"k3y\"' '$tmp/ok/0.json' && grep -q '\"user-agent\":\"deploy-ledger/' '$tmp/ok/0.json'"
check "the spool is empty" test "$(spooled)" -eq 0
stop_collector

# 2. UNAVAILABLE, then OK: the deploy path does not retry, flush does.
start_collector "$tmp/retry" unavailable unavailable unavailable ok
id=$(deploy-ledger start --service api --version 2 --export 2>"$tmp/unavail.err"); st=$?
check "UNAVAILABLE in the deploy path: exit 0, one warning naming it" \
  sh -c "[ $st -eq 0 ] && [ \$(wc -l <'$tmp/unavail.err') -eq 1 ] && grep -q 'gRPC UNAVAILABLE (14): collector restarting' '$tmp/unavail.err'"
check "one request: not retried there" test "$(count "$tmp/retry")" -eq 1
check "the span waits in the spool" sh -c "deploy-ledger spool | grep -q '$id'"
status_is "flush retries UNAVAILABLE until OK" 0 deploy-ledger flush
check "the collector saw the same span three more times, the last accepted" \
  sh -c "[ \$(ls '$tmp/retry' | wc -l) -eq 4 ] && grep -q '\"answer\":\"ok\"' '$tmp/retry/3.json' && grep -q deployment.start '$tmp/retry/3.json'"
check "the spool is empty" test "$(spooled)" -eq 0
stop_collector

# 3. INVALID_ARGUMENT: refused for good, a dead letter.
start_collector "$tmp/invalid" invalid
deploy-ledger start --service web --version 3 >/dev/null 2>&1
status_is "flush into INVALID_ARGUMENT: exit 6" 6 deploy-ledger flush
cp "$tmp/err" "$tmp/invalid.err"
check "it says refused for good, names the status and the collector's message, dead letters" \
  grep -q "refused for good (.*gRPC INVALID_ARGUMENT (3): bad spans), moved to the dead letters" "$tmp/invalid.err"
check "not retried: one request" test "$(count "$tmp/invalid")" -eq 1
check "spool --dead lists it with its gRPC status and one attempt" \
  sh -c "deploy-ledger spool --dead | grep -q ' 1 *grpc:3 .*INVALID_ARGUMENT'"
status_is "requeue it" 0 deploy-ledger spool --requeue
status_is "and the next flush delivers it" 0 deploy-ledger flush
check "the collector took it the second time" sh -c "[ \$(ls '$tmp/invalid' | wc -l) -eq 2 ] && [ \$(deploy-ledger spool --dead | wc -l) -eq 1 ]"
stop_collector

# 4. RESOURCE_EXHAUSTED: retried only when the collector says when.
start_collector "$tmp/exhausted" exhausted exhausted-retry ok
deploy-ledger start --service quota --version 1 >/dev/null 2>&1
status_is "RESOURCE_EXHAUSTED without retry information: refused, exit 6" 6 deploy-ledger flush
check "one request, a dead letter" sh -c "[ \$(ls '$tmp/exhausted' | wc -l) -eq 1 ] && [ $(dead) -eq 1 ]"
deploy-ledger spool --requeue >/dev/null
status_is "with a RetryInfo: retried after its delay, then accepted" 0 deploy-ledger flush
check "two more requests" test "$(count "$tmp/exhausted")" -eq 3
stop_collector

# 5. gzip: grpc-encoding gzip, a compressed message grpc-js inflates.
start_collector "$tmp/gzip"
deploy-ledger start --service zipped --version 1 --attr note="$(printf 'x%.0s' $(seq 1 400))" >/dev/null 2>&1
bytes=$(deploy-ledger spool --json | sed 's/.*"bytes":\([0-9]*\).*/\1/')
status_is "flush with OTEL_EXPORTER_OTLP_COMPRESSION=gzip: accepted" 0 \
  env OTEL_EXPORTER_OTLP_COMPRESSION=gzip deploy-ledger flush
check "grpc-js decoded the spans" grep -q '"service":"zipped"' "$tmp/gzip/0.json"
length=$(sed 's/.*"content-length":"\([0-9]*\)".*/\1/' "$tmp/gzip/0.json")
check "the request is smaller than the message ($length < $bytes + 5): it was compressed" \
  test "$length" -lt "$bytes"
stop_collector

# 6. Partial success.
start_collector "$tmp/partial" partial
deploy-ledger start --service partly --version 1 >/dev/null 2>&1
status_is "partial success: accepted" 0 sh -c "deploy-ledger flush --json >'$tmp/partial.json'"
check "the rejected span is counted" grep -q '"rejected-spans":1' "$tmp/partial.json"
stop_collector

# 7. Credentials in the endpoint: sent, never shown or stored.
export DEPLOY_LEDGER_DB="$tmp/cred.db"
start_collector "$tmp/cred" unavailable
OTEL_EXPORTER_OTLP_ENDPOINT="http://bob:hunter2@127.0.0.1:$port" \
  deploy-ledger start --service secret --version 1 --export >/dev/null 2>"$tmp/cred.err"
check "the warning names the gRPC method on the host, without user or password" \
  sh -c "grep -q '127.0.0.1:$port/opentelemetry.proto.collector.trace.v1.TraceService/Export' '$tmp/cred.err' && ! grep -q -e hunter2 -e bob '$tmp/cred.err'"
check "spool and its JSON never show them" \
  sh -c "! deploy-ledger spool 2>&1 | grep -q hunter2 && ! deploy-ledger spool --json | grep -q hunter2"
check "the ledger never stored them" sh -c "! grep -q hunter2 '$DEPLOY_LEDGER_DB'*"
check "otlp-exporter-description does not show them" \
  sh -c "OTEL_EXPORTER_OTLP_ENDPOINT='http://bob:hunter2@127.0.0.1:$port' guile -c '(use-modules (deploy-ledger export)) (display (otlp-exporter-description (make-otlp-exporter)))' >'$tmp/desc' && grep -q 'protocol=grpc' '$tmp/desc' && ! grep -q hunter2 '$tmp/desc'"
stop_collector

# 8. An item spooled as OTLP/JSON cannot go over gRPC: it stays, saying why.
export DEPLOY_LEDGER_DB="$tmp/json.db"
start_collector "$tmp/json"
OTEL_EXPORTER_OTLP_PROTOCOL=http/json deploy-ledger start --service js --version 1 >/dev/null 2>&1
status_is "flush over gRPC of an item spooled as JSON: exit 6" 6 deploy-ledger flush --json
check "nothing sent" test "$(count "$tmp/json")" -eq 0
check "it waits in the spool, saying which protocol takes it" \
  sh -c "deploy-ledger spool | grep -q 'OTLP/gRPC cannot carry: flush it with OTEL_EXPORTER_OTLP_PROTOCOL=http/json'"
stop_collector
done_testing
