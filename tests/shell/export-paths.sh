#!/bin/sh
# The two ways out of the program send one span model: the command line
# (through the export spool) and the Scheme export API (export-spans) send
# the same bytes for the same deployment and history.  A collector that
# refuses with a body that is not UTF-8 gets a clear error and exit 6.
# The collector is tests/lib/collector.scm, run as a process.
set -u
. "$abs_top_srcdir/tests/lib/tap.sh"
export DEPLOY_LEDGER_DB="$tmp/ledger.db"
unset TRACEPARENT TRACESTATE OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_TRACES_ENDPOINT \
  OTEL_EXPORTER_OTLP_HEADERS OTEL_EXPORTER_OTLP_PROTOCOL OTEL_RESOURCE_ATTRIBUTES \
  GITHUB_RUN_ID CI_PIPELINE_ID BUILD_ID BUILDKITE_BUILD_ID
collector_pid=
start_collector() { # start_collector DIR STATUS [BODY-FILE]
  mkdir -p "$1"; rm -f "$tmp/port"
  guile --no-auto-compile -L "$abs_top_srcdir/tests/lib" \
    -c '(apply (@ (collector) collector-main) (cdr (command-line)))' "$tmp/port" "$@" &
  collector_pid=$!
  wait_for_file "$tmp/port" 10
  export OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$(cat "$tmp/port")"
}
stop_collector() {
  [ -z "$collector_pid" ] || { kill $collector_pid 2>/dev/null; wait $collector_pid 2>/dev/null; }
  collector_pid=
}
at_exit stop_collector

link=00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01
# Recorded with no endpoint configured: nothing is spooled at the start.
id=$(deploy-ledger start --service checkout --version v7 --type canary --region eu-west-1 \
       --region us-east-1 --commit 9fceb02 --actor ci --at 2024-01-15T10:30:00Z)

start_collector "$tmp/ok" 200
status_is "finish --export of a rolled-back deployment: accepted" 0 \
  deploy-ledger finish "$id" --status rolled-back --reason "p99 doubled" --actor bob \
  --at 2024-01-15T10:42:00Z --link "$link" --export
check "the command line's request reached the collector" wait_for_file "$tmp/ok/0.bin"

# The same deployment and history through the Scheme export API.
status_is "export-spans of the same deployment and history: accepted" 0 \
  guile --no-auto-compile -c "
(use-modules (deploy-ledger ledger) (deploy-ledger export) (deploy-ledger core trace-context)
             (deploy-ledger integrations tracing))
(call-with-ledger
  (lambda (l)
    (let* ((d (find-deployment l \"$id\"))
           (span (create-deployment-span d #:history (deployment-history l d)
                                         #:links (list (traceparent->trace-context \"$link\")))))
      (exit (if (assq-ref (export-spans (make-otlp-exporter) (list span)) 'ok) 0 1)))))"
check "its request reached the collector" wait_for_file "$tmp/ok/1.bin"
check "both sent the same bytes" cmp "$tmp/ok/0.bin" "$tmp/ok/1.bin"
check "a rolled-back deployment goes out as rolled-back" grep -a -q "rolled-back" "$tmp/ok/0.bin"
stop_collector

# A collector that refuses for good with bytes that are not UTF-8.
printf '\377\376 no\303(' >"$tmp/binary-body"
start_collector "$tmp/refuse" 400 "$tmp/binary-body"
id2=$(deploy-ledger start --service api --version 9 2>/dev/null)
status_is "a refused export with --strict-export exits 6, spans not exported" 6 \
  deploy-ledger finish "$id2" --status failed --export --strict-export
cp "$tmp/err" "$tmp/refused.err"
check "the error says it was refused for good and where it went" \
  grep -q "refused for good.*HTTP 400.*moved to the dead letters" "$tmp/refused.err"
# The HTTP client keeps a printable excerpt: each byte of an invalid
# sequence shows as "?".
check "and shows the collector's answer, printable" grep -q -F '?? no?(' "$tmp/refused.err"
check "no foreign exception or backtrace" sh -c "! grep -q -i 'decoding\|backtrace' '$tmp/refused.err'"
check "spool --dead lists it" sh -c "deploy-ledger spool --dead | grep -q ' 400 '"
check "spool --dead --json carries the answer, escaped byte for byte" \
  sh -c "deploy-ledger spool --dead --json | grep -q -F '\\\\xfe no\\\\xc3('"
stop_collector
done_testing
