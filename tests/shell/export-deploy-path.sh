#!/bin/sh
# Telemetry never fails or stalls a deploy: start/stage/finish --export
# make one attempt within the timeout, whatever the collector does (down,
# hanging, 503 with Retry-After: 3600) or the OTEL_* settings say; what
# is not accepted waits in the spool (exit 0, one warning line), unless
# --strict-export.  Then flush --timeout, dead letters, requeue, purge.
# Deadlines below are generous bounds (the point of the test), never
# timings: each command's own limit is 1 or 2 seconds.
set -u
unset GITHUB_RUN_ID CI_PIPELINE_ID BUILD_ID BUILDKITE_BUILD_ID TRACEPARENT TRACESTATE
unset OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_TRACES_ENDPOINT OTEL_EXPORTER_OTLP_HEADERS \
  OTEL_EXPORTER_OTLP_TRACES_HEADERS OTEL_EXPORTER_OTLP_PROTOCOL OTEL_EXPORTER_OTLP_TRACES_PROTOCOL \
  OTEL_EXPORTER_OTLP_COMPRESSION OTEL_EXPORTER_OTLP_TIMEOUT OTEL_RESOURCE_ATTRIBUTES
. "$abs_top_srcdir/tests/lib/tap.sh"
export DEPLOY_LEDGER_DB="$tmp/ledger.db"
sink="$abs_top_builddir/tests/c/otlp-sink"
[ -x "$sink" ] || skip_all "the loopback collector needs libmicrohttpd: install libmicrohttpd-dev (or run ./setup) and reconfigure"
sink_pid=
start_sink() { # start_sink DIR [ANSWER...]
  mkdir -p "$1"; rm -f "$tmp/port"
  "$sink" "$tmp/port" "$@" & sink_pid=$!
  wait_for_file "$tmp/port"
  export OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$(cat "$tmp/port")"
}
stop_sink() { [ -z "$sink_pid" ] || { kill $sink_pid 2>/dev/null; wait $sink_pid 2>/dev/null; }; sink_pid=; }
at_exit stop_sink
# The sink writes what it received every 0.1 s: wait for N files in DIR.
received() { # received DIR N
  tenths=50
  while [ "$(ls "$1" | wc -l)" -lt "$2" ] && [ $tenths -gt 0 ]; do sleep 0.1; tenths=$((tenths - 1)); done
  [ "$(ls "$1" | wc -l)" -eq "$2" ]
}
spooled() { deploy-ledger spool --json | grep -o '"deployment-id"' | wc -l; }
dead() { deploy-ledger spool --dead --json | grep -o '"deployment-id"' | wc -l; }
# A deploy step run with a generous bound: 124 means it stalled.
step() { timeout 60 deploy-ledger "$@"; }

# 1. A collector that is down: connection refused.
start_sink "$tmp/probe"; stop_sink
id=$(step start --service checkout --version v1 --export 2>"$tmp/down.err"); st=$?
check "collector down: start --export exits 0 and records the deployment" \
  sh -c "[ $st -eq 0 ] && deploy-ledger status '$id' | grep -q in-progress"
check "one warning line, naming the failure and the spool" \
  sh -c "[ \$(wc -l <'$tmp/down.err') -eq 1 ] && grep -q 'warning: spans not exported: 1 item not accepted (POST http://127.0.0.1:.*kept in the spool' '$tmp/down.err'"
check "the start span waits in the spool after one attempt" \
  sh -c "[ $(spooled) -eq 1 ] && deploy-ledger spool | grep -q '^1 .* 1 *POST'"
status_is "--strict-export keeps exit 6" 6 step finish "$id" --status succeeded --export --strict-export
check "and the deployment is finished all the same" sh -c "deploy-ledger status '$id' | grep -q succeeded"

# 2. A collector that accepts and never answers: one attempt within the timeout.
start_sink "$tmp/hang" hang
id=$(OTEL_EXPORTER_OTLP_TIMEOUT=1000 step start --service web --version v2 --export 2>"$tmp/hang.err"); st=$?
check "hanging collector: start --export returns, exit 0 (not 124: stalled)" sh -c "[ $st -eq 0 ] && [ -n '$id' ]"
check "the warning says the attempt timed out" grep -q "warning: spans not exported.*[Tt]imeout" "$tmp/hang.err"
check "the collector saw one request: no retry in the deploy path" received "$tmp/hang" 1
check "the span waits in the spool" sh -c "deploy-ledger spool | grep -q '$id'"
status_is "--export-timeout overrides the variable: stage returns too" 0 \
  env OTEL_EXPORTER_OTLP_TIMEOUT=600000 timeout 60 deploy-ledger stage "$id" --name canary \
  --status succeeded --export --export-timeout 1s
stop_sink

# 3. A collector answering 503 with Retry-After: 3600: no wait at all.
start_sink "$tmp/busy" "503,retry-after=3600" "503,retry-after=3600"
status_is "503 Retry-After 3600: finish --export returns, exit 0" 0 \
  step finish "$id" --status succeeded --export --export-timeout 2s
cp "$tmp/err" "$tmp/busy.err"
check "one request, not retried" received "$tmp/busy" 1
check "the warning names the 503" grep -q "warning: spans not exported.*HTTP 503" "$tmp/busy.err"
stop_sink

# 4. flush keeps the retry policy, bounded by --timeout.
start_sink "$tmp/hang2" hang hang hang
timeout 60 deploy-ledger flush --timeout 2s >"$tmp/out" 2>"$tmp/flush.err"; st=$?
check "flush --timeout with a hanging collector: exit 6 within the bound" sh -c "[ $st -eq 6 ]"
check "it says the items wait in the spool" grep -q "not accepted.*kept in the spool" "$tmp/flush.err"
stop_sink
n_waiting=$(spooled)
start_sink "$tmp/up"
status_is "flush to a collector that is up sends everything" 0 deploy-ledger flush
check "the spool is empty" test "$(spooled)" -eq 0
check "the collector received every item that waited ($n_waiting)" received "$tmp/up" "$n_waiting"
status_is "flush --timeout that is not a duration: usage error" 2 deploy-ledger flush --timeout soon
stop_sink

# 5. OTEL_* settings the program cannot use never stop a deployment.
start_sink "$tmp/bad"
for setting in OTEL_EXPORTER_OTLP_PROTOCOL=grpc/json OTEL_EXPORTER_OTLP_COMPRESSION=zstd \
               "OTEL_EXPORTER_OTLP_HEADERS=api-key=s3cret,oops"; do
  var=${setting%%=*}
  env "$setting" deploy-ledger start --service bad --version 1 >"$tmp/id" 2>"$tmp/bad.err"; st=$?
  check "$var unusable, no --export: exit 0, recorded" \
    sh -c "[ $st -eq 0 ] && deploy-ledger status \$(cat '$tmp/id') | grep -q in-progress"
  check "and one warning naming $var" \
    sh -c "[ \$(wc -l <'$tmp/bad.err') -eq 1 ] && grep -q 'warning: $var' '$tmp/bad.err'"
  env "$setting" timeout 60 deploy-ledger start --service bad --version 2 --export >"$tmp/id" 2>"$tmp/bad.err"; st=$?
  check "$var unusable, --export: exit 0, spooled, nothing sent" \
    sh -c "[ $st -eq 0 ] && deploy-ledger spool | grep -q \$(cat '$tmp/id') && [ \$(ls '$tmp/bad' | wc -l) -eq 0 ]"
done
check "the protocol's warning shows the value and the valid ones" \
  sh -c "env OTEL_EXPORTER_OTLP_PROTOCOL=grpc/json deploy-ledger start --service bad --version 3 2>&1 >/dev/null | grep -q '\"grpc/json\" is not supported (valid: http/protobuf, http/json, grpc)'"
check "a header's value is never shown" \
  sh -c "! env OTEL_EXPORTER_OTLP_HEADERS=api-key=s3cret,oops deploy-ledger start --service bad --version 4 2>&1 | grep -q s3cret"
status_is "unusable setting with --strict-export: exit 6" 6 \
  env OTEL_EXPORTER_OTLP_COMPRESSION=zstd deploy-ledger start --service bad --version 5 --export --strict-export
status_is "flush with the setting still unusable: an error naming it (exit 2)" 2 \
  env OTEL_EXPORTER_OTLP_COMPRESSION=zstd deploy-ledger flush
cp "$tmp/err" "$tmp/unusable.err"
check "and it names the variable" grep -q "OTEL_EXPORTER_OTLP_COMPRESSION" "$tmp/unusable.err"
status_is "once fixed, flush sends what waited" 0 deploy-ledger flush
stop_sink
unset OTEL_EXPORTER_OTLP_ENDPOINT
check "no endpoint and no --export: OTEL_* not even read, no warning" \
  sh -c "OTEL_EXPORTER_OTLP_PROTOCOL=bogus deploy-ledger start --service quiet --version 1 2>'$tmp/quiet.err' >/dev/null && [ ! -s '$tmp/quiet.err' ]"
check "and nothing spooled" test "$(spooled)" -eq 0

# 6. No endpoint configured at all.
id=$(step start --service lone --version 1 --export 2>"$tmp/none.err"); st=$?
check "--export with no endpoint: exit 0, recorded" sh -c "[ $st -eq 0 ] && [ -n '$id' ]"
check "it says no endpoint is configured, naming the variable" \
  grep -q "no OTLP endpoint is configured (set OTEL_EXPORTER_OTLP_ENDPOINT" "$tmp/none.err"
check "the span waits in the spool for a flush" sh -c "deploy-ledger spool | grep -q '$id'"
status_is "flush with no endpoint: exit 6" 6 deploy-ledger flush
cp "$tmp/err" "$tmp/none-flush.err"
check "saying so" grep -q "no OTLP endpoint is configured" "$tmp/none-flush.err"

# 7. Dead letters: a 401 from an expired key, requeued and sent once fixed.
start_sink "$tmp/401" 401 401
status_is "flush into a 401: exit 6" 6 deploy-ledger flush
cp "$tmp/err" "$tmp/401.err"
check "the message calls it a dead letter and says how to requeue" \
  grep -q "refused for good.*HTTP 401.*moved to the dead letters.*--requeue" "$tmp/401.err"
check "spool no longer lists it, and says a dead letter exists" \
  sh -c "deploy-ledger spool >'$tmp/list' 2>'$tmp/list.err'; ! grep -q '$id' '$tmp/list' && grep -q '1 dead letter' '$tmp/list.err'"
check "spool --dead lists it with its attempts and status 401" \
  sh -c "deploy-ledger spool --dead | grep -q '$id *1 *[0-9]* *1 *401 '"
item=$(deploy-ledger spool --dead | awk 'NR == 2 { print $1 }')
status_is "requeue of an item that is not a dead letter: exit 3" 3 deploy-ledger spool --requeue 99999
check "and nothing moved" test "$(dead)" -eq 1
status_is "spool --requeue ITEM" 0 deploy-ledger spool --requeue "$item"
cp "$tmp/out" "$tmp/requeue.out"
check "says what it did" grep -q "requeued 1 dead letter" "$tmp/requeue.out"
check "the item is back in the spool, its attempt kept" \
  sh -c "[ $(dead) -eq 0 ] && deploy-ledger spool | grep -q '^$item .* 1 *requeued after: POST'"
stop_sink
start_sink "$tmp/fixed"
status_is "flush once the key is fixed: accepted" 0 deploy-ledger flush
check "the collector received it" received "$tmp/fixed" 1
stop_sink

# 8. Purge: says what it deletes, dead letters only.
start_sink "$tmp/400" 400 400
id2=$(deploy-ledger start --service gone --version 1 2>/dev/null)
deploy-ledger finish "$id2" --status failed --export >/dev/null 2>&1
check "two dead letters" test "$(dead)" -eq 2
stop_sink
start_sink "$tmp/probe2"; stop_sink
id3=$(deploy-ledger start --service kept --version 1 --export 2>/dev/null)
status_is "spool --purge" 0 deploy-ledger spool --purge
cp "$tmp/out" "$tmp/purge.out"
check "names each dead letter it deletes" \
  sh -c "[ \$(grep -c '^deleted dead letter [0-9]*: 1 span of deployment $id2, refused with 400' '$tmp/purge.out') -eq 2 ] && grep -q 'purged 2 dead letters' '$tmp/purge.out'"
check "dead letters gone" test "$(dead)" -eq 0
check "the pending item kept" sh -c "deploy-ledger spool | grep -q '$id3'"
status_is "--purge and --requeue together: usage error" 2 deploy-ledger spool --purge --requeue
# 9. The ledger holds what the collector was sent: its files are its owner's.
(umask 022; deploy-ledger start --service private --version 1 --db "$tmp/private/ledger.db" >/dev/null)
check "a new ledger file is created mode 0600 whatever the umask" \
  test "$(stat -c %a "$tmp/private/ledger.db")" = 600
# SQLite removes the -wal and -shm files with the last connection: looked
# at while one is open.
check "and so are its -wal and -shm files" \
  guile -c "(use-modules (deploy-ledger ledger))
(call-with-ledger
  (lambda (l)
    (exit (and-map (lambda (f) (= #o600 (stat:perms (stat (string-append \"$tmp/private/ledger.db\" f)))))
                   '(\"-wal\" \"-shm\"))))
  \"$tmp/private/ledger.db\")"
status_is "--help lists requeue and purge" 0 sh -c "deploy-ledger spool --help | grep -q -e '--requeue' && deploy-ledger spool --help | grep -q -e '--purge'"
done_testing
