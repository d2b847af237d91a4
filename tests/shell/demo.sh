#!/bin/sh
# The quickstart demo (examples/demo.scm) tells its whole story.
set -u
. "$abs_top_srcdir/tests/lib/tap.sh"
unset TRACEPARENT TRACESTATE OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
shows() { # shows DESCRIPTION PATTERN: an extended regular expression the demo's output must match
  grep -Eq "$2" "$tmp/demo.out"
  ok_if $? "$1"
}
guile --no-auto-compile "$abs_top_srcdir/examples/demo.scm" >"$tmp/demo.out" 2>"$tmp/demo.err"; st=$?
ok_if $st "the demo runs (exit $st)" "$tmp/demo.err"
shows "a traceparent for the webhook" '^traceparent: 00-[0-9a-f]{32}-[0-9a-f]{16}-03$'
shows "recorded and finished in a ledger" '^Recorded in .*ledger\.db and finished: succeeded'
shows "the span as OTLP/JSON" '"name":"deployment.status_change"'
# The made-up canary: p50 untouched, /search slow one time in five on v2.3.9.
shows "the canary fails on its p99" "^Yesterday's canary of v2.3.9 against v2.3.8: verdict fail \\(critical metric latency-p99 is high\\)$"
shows "its p50 passes" '^  p50  80\.0 ms -> 82\.0 ms  pass$'
shows "its p99 is high" '^  p99  102\.0 ms -> 311\.0 ms  high$'
shows "GET /search moved most" '^  moved most: GET /search$'
done_testing
