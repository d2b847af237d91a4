#!/bin/sh
# `deploy-ledger correlate' end to end: a deployment in the ledger, Jaeger
# JSON traces around it, a verdict and its exit status.
set -u
unset GITHUB_RUN_ID CI_PIPELINE_ID BUILD_ID BUILDKITE_BUILD_ID TRACEPARENT TRACESTATE
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
export DEPLOY_LEDGER_DB="$tmp/ledger.db"
unset OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
n=0
result() { n=$((n + 1)); if [ "$1" = ok ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }

# Jaeger query-API JSON: one request a second for an hour around
# T0 = 2024-01-15T10:00:00Z; after T0 one request in ten is served by v2,
# whose latency is SLOW_MS (v1: 30 to 49 ms); one in a hundred fails.
traces() { # traces SLOW_MS FILE
  awk -v slow="$1" 'BEGIN {
    t0 = 1705312800; printf "{\"data\":[{\"traceID\":\"00000000000000000000000000000001\",\"spans\":[";
    for (i = -1800; i < 1800; i++) {
      v2 = (i >= 0 && i % 10 == 0);
      ms = v2 ? slow + (i * 7) % 20 : 30 + (i * 7 + 1000000) % 20;
      err = (((i + 100000) * 7919) % 97 == 0) ? "true" : "false";
      printf "%s{\"traceID\":\"00000000000000000000000000000001\",\"spanID\":\"%016x\",", (i > -1800 ? "," : ""), i + 100000;
      printf "\"operationName\":\"GET /api/orders\",\"references\":[],\"startTime\":%d000000,\"duration\":%d000,", t0 + i, ms;
      printf "\"tags\":[{\"key\":\"span.kind\",\"type\":\"string\",\"value\":\"server\"},{\"key\":\"error\",\"type\":\"bool\",\"value\":%s}],", err;
      printf "\"logs\":[],\"processID\":\"%s\"}", v2 ? "p2" : "p1";
    }
    printf "],\"processes\":{";
    printf "\"p1\":{\"serviceName\":\"checkout\",\"tags\":[{\"key\":\"service.version\",\"type\":\"string\",\"value\":\"v1\"}]},";
    printf "\"p2\":{\"serviceName\":\"checkout\",\"tags\":[{\"key\":\"service.version\",\"type\":\"string\",\"value\":\"v2\"}]}}}]}\n";
  }' > "$2"
}
traces 120 "$tmp/slow.json"
traces 30 "$tmp/same.json"

id=$(deploy-ledger start --service checkout --version v2 --previous-version v1 --type canary \
       --at 2024-01-15T10:00:00Z)
deploy-ledger finish "$id" --status succeeded --at 2024-01-15T10:30:00Z >/dev/null

deploy-ledger correlate "$id" --traces "$tmp/slow.json" >"$tmp/out" 2>"$tmp/err"; st=$?
[ $st -eq 11 ] && result ok "a canary four times slower fails: exit 11" \
  || { result bad "a canary four times slower fails: exit $st"; sed 's/^/# /' "$tmp/out" "$tmp/err"; }
grep -q "verdict fail" "$tmp/out" && result ok "the summary says fail" || { result bad "summary"; sed 's/^/# /' "$tmp/out"; }

deploy-ledger correlate "$id" --traces "$tmp/slow.json" --json >"$tmp/json" 2>"$tmp/err"
grep -q '"verdict":"fail"' "$tmp/json" && result ok "--json carries the verdict" \
  || { result bad "--json carries the verdict"; head -c 600 "$tmp/json" | sed 's/^/# /'; }

deploy-ledger correlate "$id" --traces "$tmp/same.json" >"$tmp/out" 2>"$tmp/err"; st=$?
[ $st -eq 0 ] && result ok "a canary like its baseline passes: exit 0" \
  || { result bad "a canary like its baseline passes: exit $st"; sed 's/^/# /' "$tmp/out" "$tmp/err"; }

deploy-ledger correlate "$id" --traces "$tmp/slow.json" --group-by version --bucket 1m \
  --percentiles nearest-rank --json >"$tmp/json" 2>"$tmp/err"; st=$?
[ $st -eq 11 ] && grep -q '"group-by":\["version"\]' "$tmp/json" && result ok "--group-by, --bucket, --percentiles" \
  || { result bad "--group-by, --bucket, --percentiles: exit $st"; sed 's/^/# /' "$tmp/err"; head -c 300 "$tmp/json" | sed 's/^/# /'; }

deploy-ledger correlate "$id" >/dev/null 2>&1; st=$?
[ $st -eq 2 ] && result ok "no --traces: usage error" || result bad "no --traces: exit $st"
printf 'not json at all' >"$tmp/bad.json"
deploy-ledger correlate "$id" --traces "$tmp/bad.json" >/dev/null 2>"$tmp/err"; st=$?
[ $st -ne 0 ] && [ $st -lt 10 ] && grep -q "bad.json" "$tmp/err" && result ok "malformed traces: an error naming the file (exit $st)" \
  || { result bad "malformed traces: exit $st"; sed 's/^/# /' "$tmp/err"; }
deploy-ledger correlate --help | grep -q "11 fail" && result ok "--help" || result bad "--help"
echo "1..$n"
