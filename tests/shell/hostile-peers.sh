#!/bin/sh
# correlate and report against hostile tracing backends (tests/lib/hostile-peer):
# each probe must end with exit status 6 (a backend that could not be
# read), well within its deadline (the `timeout' guard kills it at three
# times --timeout plus Guile's start; being killed fails the test), with
# an error that says what happened, and -- outside the sanitizer build,
# where ulimit -v breaks ASan -- within a 1.5 GB address space.
set -u
unset GITHUB_RUN_ID CI_PIPELINE_ID BUILD_ID BUILDKITE_BUILD_ID TRACEPARENT TRACESTATE
unset DEPLOY_LEDGER_TIMEOUT DEPLOY_LEDGER_RETRIES DEPLOY_LEDGER_MAX_INPUT
. "$abs_top_srcdir/tests/lib/tap.sh"
export DEPLOY_LEDGER_DB="$tmp/ledger.db"
unset OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
peer_bin="$abs_top_builddir/tests/lib/hostile-peer"
peer=
at_exit '[ -z "$peer" ] || kill $peer 2>/dev/null'

case "${LD_PRELOAD:-}" in
  *asan*) limit_memory=no ;;
  *) limit_memory=yes ;;
esac

id=$(deploy-ledger start --service checkout --version v2 --previous-version v1 --type canary \
       --at 2024-01-15T10:00:00Z)
deploy-ledger finish "$id" --status succeeded --at 2024-01-15T10:30:00Z >/dev/null

# start_peer MODE: a hostile peer on a fresh port; its URL in $url.
start_peer() {
  [ -z "$peer" ] || { kill $peer 2>/dev/null; wait $peer 2>/dev/null; }
  rm -f "$tmp/port"
  "$peer_bin" "$1" "$tmp/port" "$tmp/requests" &
  peer=$!
  wait_for_file "$tmp/port" 10 || echo "# the peer did not start"
  url="http://127.0.0.1:$(cat "$tmp/port")"
}

# run SECONDS COMMAND...: COMMAND under the guard (3 x SECONDS + 20 s for
# Guile's start on a busy machine) and, where it can be, a 1.5 GB
# address-space limit; its status in $st, its stderr in $tmp/err.
run() {
  guard=$(($1 * 3 + 20))
  shift
  if [ "$limit_memory" = yes ]; then
    (ulimit -v 1500000; exec timeout -s KILL "$guard" "$@") >"$tmp/out" 2>"$tmp/err"
  else
    timeout -s KILL "$guard" "$@" >"$tmp/out" 2>"$tmp/err"
  fi
  st=$?
}

# probe DESCRIPTION SECONDS GREP-PATTERN COMMAND...: exit 6, not killed by
# the guard, stderr matching the pattern.
probe() {
  description=$1 seconds=$2 pattern=$3
  shift 3
  run "$seconds" "$@"
  [ $st -eq 6 ] && grep -Eq -- "$pattern" "$tmp/err"
  ok_if $? "$description (exit $st)" "$tmp/err"
}

t=4
start_peer hang
probe "Jaeger that accepts and never answers: cut at --timeout ${t}s, probes and retries included" $t \
  "deadline of ${t}000 ms.*--timeout" \
  deploy-ledger correlate "$id" --traces "jaeger:$url" --timeout ${t}s --retries 5
probe "Tempo that never answers: the same" $t "deadline of ${t}000 ms" \
  deploy-ledger correlate "$id" --traces "tempo:$url" --timeout ${t}s
probe "report: the same deadline" $t "deadline of ${t}000 ms" \
  deploy-ledger report "$id" --traces "jaeger:$url" --format md --timeout ${t}s
run $t env DEPLOY_LEDGER_TIMEOUT=${t}s DEPLOY_LEDGER_RETRIES=1 \
  deploy-ledger correlate "$id" --traces "jaeger:$url"
[ $st -eq 6 ] && grep -q "deadline of ${t}000 ms" "$tmp/err"
ok_if $? "DEPLOY_LEDGER_TIMEOUT and DEPLOY_LEDGER_RETRIES stand for the options (exit $st)" "$tmp/err"

start_peer trickle
probe "a server trickling a byte a second is cut off at the deadline" $t \
  "deadline|low-speed" \
  deploy-ledger correlate "$id" --traces "jaeger:$url" --timeout ${t}s

start_peer huge
probe "a list of services without end: refused at 16 MiB, saying why" 10 \
  "larger than 16777216 bytes, more than a list of services can hold" \
  deploy-ledger correlate "$id" --traces "jaeger:$url" --timeout 60s
probe "a Tempo search answer without end: refused at --max-input, naming it" 10 \
  "larger than the limit of 8388608 bytes \\(raise it with --max-input" \
  deploy-ledger correlate "$id" --traces "tempo:$url" --timeout 60s --max-input 8MiB

start_peer gzip-bomb
probe "a gzip bomb from Jaeger: inflated no further than the services cap" 10 \
  "larger than 16777216 bytes" \
  deploy-ledger correlate "$id" --traces "jaeger:$url" --timeout 60s
probe "a gzip bomb from Tempo: no further than --max-input" 10 \
  "larger than the limit of 33554432 bytes" \
  deploy-ledger correlate "$id" --traces "tempo:$url" --timeout 60s --max-input 32MiB

start_peer garbage
probe "garbage from Jaeger: neither API, exit 6" 10 "answers neither Jaeger's api/v3 nor its v1 API" \
  deploy-ledger correlate "$id" --traces "jaeger:$url" --timeout 60s
probe "garbage from Tempo: exit 6 too (it was 1), naming the answer" 10 \
  "api/search.*not JSON" \
  deploy-ledger correlate "$id" --traces "tempo:$url" --timeout 60s

start_peer redirect
probe "a redirect loop: stopped after three" 10 "redirect" \
  deploy-ledger correlate "$id" --traces "jaeger:$url" --timeout 60s

start_peer retry-after
: >"$tmp/requests"
probe "429 with Retry-After: 10000000000: no sleeping for centuries, one attempt per request" 10 \
  "HTTP 429 after 1 attempt; the server asks to wait 86400 s \\(Retry-After\\), past the deadline of 10000 ms" \
  deploy-ledger correlate "$id" --traces "tempo:$url" --timeout 10s
start_peer retry-date
probe "429 with Retry-After in the year 9999: the same" 10 \
  "HTTP 429 after 1 attempt; the server asks to wait 86400 s" \
  deploy-ledger correlate "$id" --traces "tempo:$url" --timeout 10s

# Bad limits are usage errors, before any request.
start_peer hang
: >"$tmp/requests"
run 5 deploy-ledger correlate "$id" --traces "jaeger:$url" --timeout 0s
[ $st -eq 2 ] && grep -q -- "--timeout" "$tmp/err" && [ ! -s "$tmp/requests" ]
ok_if $? "--timeout 0s: usage error (exit $st), nothing asked" "$tmp/err"
run 5 deploy-ledger correlate "$id" --traces "jaeger:$url" --max-input 12XB
[ $st -eq 2 ] && grep -q -- "--max-input: expected a size" "$tmp/err"
ok_if $? "--max-input 12XB: usage error naming it (exit $st)" "$tmp/err"
run 5 deploy-ledger correlate "$id" --traces "jaeger:$url" --retries many
[ $st -eq 2 ] && grep -q -- "--retries" "$tmp/err"
ok_if $? "--retries many: usage error (exit $st)" "$tmp/err"
run 5 env DEPLOY_LEDGER_TIMEOUT=soon deploy-ledger correlate "$id" --traces "jaeger:$url"
[ $st -eq 2 ] && grep -q "DEPLOY_LEDGER_TIMEOUT" "$tmp/err"
ok_if $? "DEPLOY_LEDGER_TIMEOUT=soon: usage error naming the variable (exit $st)" "$tmp/err"

deploy-ledger correlate --help >"$tmp/out" 2>&1
grep -q -- "--timeout D" "$tmp/out" && grep -q -- "--retries N" "$tmp/out" \
  && grep -q -- "--max-input SIZE" "$tmp/out"
ok_if $? "correlate --help names --timeout, --retries and --max-input" "$tmp/out"
deploy-ledger report --help >"$tmp/out" 2>&1
grep -q -- "--timeout D, --retries N, --max-input SIZE" "$tmp/out"
ok_if $? "report --help too" "$tmp/out"

done_testing
