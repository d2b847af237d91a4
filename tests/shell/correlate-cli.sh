#!/bin/sh
# `deploy-ledger correlate' end to end: a deployment in the ledger, Jaeger
# JSON traces around it, a verdict and its exit status.
set -u
unset GITHUB_RUN_ID CI_PIPELINE_ID BUILD_ID BUILDKITE_BUILD_ID TRACEPARENT TRACESTATE
. "$abs_top_srcdir/tests/lib/tap.sh"
stub=
at_exit '[ -z "$stub" ] || kill $stub 2>/dev/null'
export DEPLOY_LEDGER_DB="$tmp/ledger.db"
unset OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_TRACES_ENDPOINT

. "$abs_top_srcdir/tests/shell/canary-traces.sh"
regions() { # regions FILE: us-east-1 serves v2 from T0, eu-west-1 from T0+600 s, ap-southeast-1 never
  awk 'BEGIN {
    t0 = 1705312800; split("us-east-1 eu-west-1 ap-southeast-1", name, " ");
    printf "{\"data\":[{\"traceID\":\"00000000000000000000000000000002\",\"spans\":[";
    for (i = -1800; i < 1800; i++) {
      r = (i + 1800) % 3 + 1;
      v2 = (r == 1 && i >= 0) || (r == 2 && i >= 600);
      printf "%s{\"traceID\":\"00000000000000000000000000000002\",\"spanID\":\"%016x\",", (i > -1800 ? "," : ""), i + 100000;
      printf "\"operationName\":\"GET /api/orders\",\"references\":[],\"startTime\":%d000000,\"duration\":%d000,", t0 + i, 30 + (i * 7 + 1000000) % 20;
      printf "\"tags\":[{\"key\":\"span.kind\",\"type\":\"string\",\"value\":\"server\"}],";
      printf "\"logs\":[],\"processID\":\"p%d%d\"}", r, v2 ? 2 : 1;
    }
    printf "],\"processes\":{";
    for (r = 1; r <= 3; r++)
      for (v = 1; v <= 2; v++)
        printf "%s\"p%d%d\":{\"serviceName\":\"checkout\",\"tags\":[{\"key\":\"service.version\",\"type\":\"string\",\"value\":\"v%d\"},{\"key\":\"cloud.region\",\"type\":\"string\",\"value\":\"%s\"}]}", (r + v > 2 ? "," : ""), r, v, v, name[r];
    printf "}}]}\n";
  }' > "$1"
}
traces 120 "$tmp/slow.json"
traces 30 "$tmp/same.json"

id=$(deploy-ledger start --service checkout --version v2 --previous-version v1 --type canary \
       --at 2024-01-15T10:00:00Z)
deploy-ledger finish "$id" --status succeeded --at 2024-01-15T10:30:00Z >/dev/null

deploy-ledger correlate "$id" --traces "$tmp/slow.json" >"$tmp/out" 2>"$tmp/err"; st=$?
[ $st -eq 11 ]
ok_if $? "a canary four times slower fails: exit $st" "$tmp/out" "$tmp/err"
grep -q "verdict fail" "$tmp/out"
ok_if $? "the summary says fail" "$tmp/out"
# v1 serves 30 to 49 ms: p99 49 ms; v2 serves 120 to 139 ms in steps of 7 ms mod 20: p99 130 ms.
grep -Eq "^latency p99 +49.0 ms +130.0 ms +\+165.3%$" "$tmp/out" \
  && grep -Eq "^GET /api/orders +180 +49.0 ms +130.0 ms" "$tmp/out"
ok_if $? "the summary shows the canary's p99 against the control's, and the operation that moved" "$tmp/out"

deploy-ledger correlate "$id" --traces "$tmp/slow.json" --json >"$tmp/json" 2>"$tmp/err"
head -c 600 "$tmp/json" >"$tmp/json.head"
grep -q '"verdict":"fail"' "$tmp/json"
ok_if $? "--json carries the verdict" "$tmp/json.head"

deploy-ledger correlate "$id" --traces "$tmp/same.json" >"$tmp/out" 2>"$tmp/err"; st=$?
[ $st -eq 0 ]
ok_if $? "a canary like its baseline passes: exit $st" "$tmp/out" "$tmp/err"

deploy-ledger correlate "$id" --traces "$tmp/slow.json" --group-by version --bucket 1m \
  --percentiles nearest-rank --json >"$tmp/json" 2>"$tmp/err"; st=$?
head -c 300 "$tmp/json" >"$tmp/json.head"
[ $st -eq 11 ] && grep -q '"group-by":\["version"\]' "$tmp/json"
ok_if $? "--group-by, --bucket, --percentiles: exit $st" "$tmp/err" "$tmp/json.head"

regions "$tmp/regions.json"
rid=$(deploy-ledger start --service checkout --version v2 --previous-version v1 --type rolling \
        --region us-east-1 --region eu-west-1 --region ap-southeast-1 --at 2024-01-15T10:00:00Z)
deploy-ledger finish "$rid" --status succeeded --at 2024-01-15T10:20:00Z >/dev/null
deploy-ledger correlate "$rid" --traces "$tmp/regions.json" >"$tmp/out" 2>"$tmp/err"; st=$?
# Requests go round the regions a second each: eu-west-1's first after T0+600 s is at +601 s.
[ $st -eq 0 ] && grep -Eq "^us-east-1 +2024-01-15T10:00:00Z +0.0s +600/600 +100.00%$" "$tmp/out" \
  && grep -Eq "^eu-west-1 +2024-01-15T10:10:01Z +601.0s +400/600 " "$tmp/out" \
  && grep -q "^never reached: ap-southeast-1$" "$tmp/out"
ok_if $? "a rollout across regions: when each region got v2, and the one that never did" "$tmp/out" "$tmp/err"

# The same traces from a Jaeger (v1 API) on loopback, asked for the
# deployment's windows (baseline from 09:30, after until 11:00) in two
# one-hour slices.
guile --no-auto-compile "$abs_top_srcdir/tests/shell/jaeger-stub.scm" \
  "$tmp/slow.json" "$tmp/port" "$tmp/requests" 2>"$tmp/stub.err" &
stub=$!
wait_for_file "$tmp/port" 10
deploy-ledger correlate "$id" --traces "jaeger:http://127.0.0.1:$(cat "$tmp/port")" >"$tmp/out" 2>"$tmp/err"; st=$?
kill $stub 2>/dev/null; wait $stub 2>/dev/null; stub=
[ $st -eq 11 ] && grep -Eq "^latency p99 +49.0 ms +130.0 ms" "$tmp/out" \
  && grep -q "^jaeger-traces: 1 traces (3600 spans)" "$tmp/err" \
  && grep -q "service=checkout" "$tmp/requests" \
  && grep -q "start=1705311000000000" "$tmp/requests" \
  && [ "$(grep -c "^/api/traces?" "$tmp/requests")" -eq 2 ] \
  && grep -Eq "end=170531640000000[01]&" "$tmp/requests"
ok_if $? "traces from Jaeger over the deployment's windows: the same verdict, the count on stderr (exit $st)" \
  "$tmp/out" "$tmp/err" "$tmp/requests" "$tmp/stub.err"
deploy-ledger correlate "$id" --traces "jaeger:http://127.0.0.1:9" >"$tmp/out" 2>"$tmp/err"; st=$?
[ $st -eq 6 ] && grep -q "127.0.0.1:9" "$tmp/err"
ok_if $? "a Jaeger that does not answer: exit $st, naming it" "$tmp/err"

status_is "no --traces: usage error" 2 deploy-ledger correlate "$id"
printf 'not json at all' >"$tmp/bad.json"
deploy-ledger correlate "$id" --traces "$tmp/bad.json" >/dev/null 2>"$tmp/err"; st=$?
[ $st -ne 0 ] && [ $st -lt 10 ] && grep -q "bad.json" "$tmp/err"
ok_if $? "malformed traces: an error naming the file (exit $st)" "$tmp/err"
deploy-ledger correlate --help | grep -q "11 fail"
ok_if $? "--help"
done_testing
