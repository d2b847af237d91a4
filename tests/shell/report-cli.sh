#!/bin/sh
# `deploy-ledger report' end to end on the sample canary: the four formats,
# the exit status of the verdict, -o, --ui-url, errors; and the two deploy
# scripts of examples/ (record, wait, correlate, report, gate).
set -u
unset GITHUB_RUN_ID CI_PIPELINE_ID BUILD_ID BUILDKITE_BUILD_ID TRACEPARENT TRACESTATE
unset OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
. "$abs_top_srcdir/tests/lib/tap.sh"
export DEPLOY_LEDGER_DB="$tmp/ledger.db"
# result ok|bad DESCRIPTION: one test whose condition the caller checked.
result() { [ "$1" = ok ]; ok_if $? "$2"; }
samples="$abs_top_srcdir/examples/trace-samples.json"

id=$(deploy-ledger start --service checkout --version v2.4.0 --previous-version v2.3.9 --type canary \
       --region us-east-1 --region eu-west-1 --region ap-southeast-1 --at 2024-01-15T10:00:00Z)
deploy-ledger finish "$id" --status succeeded --at 2024-01-15T10:30:00Z >/dev/null

for f in org md json html; do
  deploy-ledger report "$id" --traces "$samples" --format $f >"$tmp/out.$f" 2>"$tmp/err"; st=$?
  [ $st -eq 11 ] && [ -s "$tmp/out.$f" ] && result ok "--format $f: exit 11, the canary fails" \
    || { result bad "--format $f: exit $st"; sed 's/^/# /' "$tmp/err"; }
done
grep -q '^\*FAIL\*, score 0.0 (pass at 95.0, marginal at 75.0): critical metric latency-p99 is high.$' "$tmp/out.org" \
  && result ok "Org: the verdict and its reason" || result bad "Org verdict"
grep -Eq '^\| latency p99 +\| 112.5 ms +\| 503.4 ms +\| +\+347.4% \|$' "$tmp/out.org" \
  && result ok "Org: the canary's p99 against the control's" || result bad "Org p99 row"
grep -q '"schema":"deploy-ledger/report/v1"' "$tmp/out.json" && grep -q '"exit-status":11' "$tmp/out.json" \
  && result ok "JSON: the schema and the exit status" || result bad "JSON"
grep -q "\"id\":\"$id\"" "$tmp/out.json" && result ok "JSON: the deployment from the ledger" || result bad "JSON id"
# A file source has no UI: trace ids without links, and the hint to give --ui-url.
grep -q 'give --ui-url to link them' "$tmp/out.md" && ! grep -q '/trace/' "$tmp/out.md" \
  && result ok "no UI known: trace ids, no links" || result bad "links without a UI"

deploy-ledger report "$id" --traces "$samples" --format md -o "$tmp/report.md" \
  --ui-url 'https://grafana.example/explore?trace={trace-id}' --top 3 >"$tmp/out" 2>"$tmp/err"; st=$?
[ $st -eq 11 ] && [ ! -s "$tmp/out" ] && [ -s "$tmp/report.md" ] \
  && result ok "-o FILE: the report in FILE, nothing on stdout" || result bad "-o: exit $st"
links=$(grep -o 'https://grafana.example/explore?trace=[0-9a-f]\{32\})' "$tmp/report.md" | wc -l)
[ "$links" -ge 6 ] && result ok "--ui-url with {trace-id}: $links links" || result bad "--ui-url links: $links"
rows=$(sed -n '/^| slowest: trace/,/^$/p' "$tmp/report.md" | grep -c '^| \[')
[ "$rows" -eq 3 ] && result ok "--top 3: three slowest requests" || result bad "--top 3 gave $rows rows"
ls "$tmp" | grep -q 'report.md.tmp' && result bad "a temporary file left behind" \
  || result ok "no temporary file left behind"

deploy-ledger report "$id" --traces "$samples" --format pdf >/dev/null 2>"$tmp/err"; st=$?
[ $st -eq 2 ] && grep -q 'unknown --format "pdf" (expected org, md, json or html)' "$tmp/err" \
  && result ok "an unknown format: exit 2, the formats named" || { result bad "--format pdf: exit $st"; cat "$tmp/err" | sed 's/^/# /'; }
deploy-ledger report "$id" --traces "$samples" >/dev/null 2>"$tmp/err"; st=$?
[ $st -eq 2 ] && grep -q -- '--format is required' "$tmp/err" && result ok "no --format: exit 2" || result bad "no --format: exit $st"
deploy-ledger report "$id" --format md >/dev/null 2>"$tmp/err"; st=$?
[ $st -eq 2 ] && grep -q -- '--traces or --prometheus is required' "$tmp/err" && result ok "no --traces: exit 2" || result bad "no --traces: exit $st"
deploy-ledger report "$id" --traces "$samples" --format md -o "$tmp/none/report.md" >/dev/null 2>"$tmp/err"; st=$?
[ $st -eq 1 ] && grep -q "cannot write the report to $tmp/none/report.md" "$tmp/err" \
  && result ok "an output file that cannot be written: exit 1, named" || { result bad "bad -o: exit $st"; sed 's/^/# /' "$tmp/err"; }
deploy-ledger report "$id" --traces "$tmp/missing.json" --format md >/dev/null 2>"$tmp/err"; st=$?
[ $st -ne 0 ] && [ $st -ne 11 ] && grep -q 'missing.json' "$tmp/err" \
  && result ok "a missing trace file: an error naming it (exit $st)" || result bad "missing traces: exit $st"
deploy-ledger report --help | grep -q -- '--ui-url URL' && result ok "--help names the options" || result bad "--help"
deploy-ledger --help | grep -q '^  report ' && result ok "deploy-ledger --help lists report" || result bad "usage"

# The deploy scripts replay the sample canary: it fails, they roll back.
for script in deploy.sh deploy.scm; do
  export DEPLOY_LEDGER_DB="$tmp/$script.db"
  case $script in
    *.sh) run="sh $abs_top_srcdir/examples/deploy.sh" ;;
    *) run="guile --no-auto-compile $abs_top_srcdir/examples/deploy.scm" ;;
  esac
  SERVICE=checkout VERSION=v2.4.0 PREVIOUS_VERSION=v2.3.9 TRACES="$samples" \
    STARTED_AT=2024-01-15T10:00:00Z FINISHED_AT=2024-01-15T10:30:00Z REPORT_DIR="$tmp/$script" \
    DEPLOY_COMMAND='echo "deploying with $TRACEPARENT" > "$REPORT_DIR.deployed"' \
    $run >"$tmp/out" 2>"$tmp/err"; st=$?
  [ $st -eq 11 ] && result ok "$script: the canary fails, exit 11" \
    || { result bad "$script: exit $st"; sed 's/^/# /' "$tmp/out" "$tmp/err"; }
  [ -s "$tmp/$script/report.md" ] && [ -s "$tmp/$script/report.html" ] \
    && grep -q 'critical metric latency-p99 is high' "$tmp/$script/report.md" \
    && result ok "$script: the Markdown and HTML reports" || result bad "$script: reports"
  deploy-ledger list >"$tmp/list" 2>&1
  grep -q 'checkout  v2.4.0 .* canary  rolled-back  2024-01-15T10:00:00Z  30m00s' "$tmp/list" \
    && result ok "$script: recorded, then rolled back" || { result bad "$script: ledger"; sed 's/^/# /' "$tmp/list"; }
done
grep -Eq '^deploying with 00-[0-9a-f]{32}-[0-9a-f]{16}-0[13]$' "$tmp/deploy.sh.deployed" \
  && result ok "deploy.sh: the deploy command has the deployment's TRACEPARENT" || result bad "deploy.sh TRACEPARENT"
done_testing
