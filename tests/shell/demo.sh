#!/bin/sh
# The quickstart demo (examples/demo.scm) tells its whole story.
set -u
. "$abs_top_srcdir/tests/lib/tap.sh"
unset TRACEPARENT TRACESTATE OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
shows() { # shows DESCRIPTION PATTERN: an extended regular expression the demo's output must match
  grep -Eq "$2" "$tmp/demo.out"
  ok_if $? "$1"
}
DEPLOY_LEDGER_DEMO_REPORTS="$tmp/reports" \
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
# It ends with the sample canary's report in four formats, in the folder it names.
shows "the folder of the reports named" "^The sample canary's impact report, in $tmp/reports:\$"
for f in org md json html; do
  [ -s "$tmp/reports/correlation-report.$f" ] && grep -q "^  $tmp/reports/correlation-report.$f\$" "$tmp/demo.out"
  ok_if $? "the report as $f"
done
cmp -s "$tmp/reports/correlation-report.org" "$abs_top_srcdir/examples/correlation-report.org"
ok_if $? "its Org report is examples/correlation-report.org"
done_testing
