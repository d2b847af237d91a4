#!/bin/sh
# The quickstart demo (examples/demo.scm) tells its whole story.
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
unset TRACEPARENT TRACESTATE OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
n=0
check() { # check DESCRIPTION PATTERN: an extended regular expression the output must match
  n=$((n + 1))
  if grep -Eq "$2" "$tmp/out"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fi
}
DEPLOY_LEDGER_DEMO_REPORTS="$tmp/reports" \
  guile --no-auto-compile "$abs_top_srcdir/examples/demo.scm" >"$tmp/out" 2>"$tmp/err"; st=$?
n=$((n + 1))
if [ $st -eq 0 ]; then echo "ok $n - the demo runs"; else echo "not ok $n - the demo: exit $st"; sed 's/^/# /' "$tmp/err"; fi
check "a traceparent for the webhook" '^traceparent: 00-[0-9a-f]{32}-[0-9a-f]{16}-03$'
check "recorded and finished in a ledger" '^Recorded in .*ledger\.db and finished: succeeded'
check "the span as OTLP/JSON" '"name":"deployment.status_change"'
# The made-up canary: p50 untouched, /search slow one time in five on v2.3.9.
check "the canary fails on its p99" "^Yesterday's canary of v2.3.9 against v2.3.8: verdict fail \\(critical metric latency-p99 is high\\)$"
check "its p50 passes" '^  p50  80\.0 ms -> 82\.0 ms  pass$'
check "its p99 is high" '^  p99  102\.0 ms -> 311\.0 ms  high$'
check "GET /search moved most" '^  moved most: GET /search$'
# It ends with the sample canary's report in four formats, in the folder it names.
check "the folder of the reports named" "^The sample canary's impact report, in $tmp/reports:\$"
for f in org md json html; do
  n=$((n + 1))
  if [ -s "$tmp/reports/correlation-report.$f" ] && grep -q "^  $tmp/reports/correlation-report.$f\$" "$tmp/out"; then
    echo "ok $n - the report as $f"
  else
    echo "not ok $n - the report as $f"
  fi
done
n=$((n + 1))
if cmp -s "$tmp/reports/correlation-report.org" "$abs_top_srcdir/examples/correlation-report.org"; then
  echo "ok $n - its Org report is examples/correlation-report.org"
else
  echo "not ok $n - its Org report differs from examples/correlation-report.org"
fi
echo "1..$n"
