#!/bin/sh
# `deploy-ledger correlate': an honest verdict and exit statuses that are
# what the help says -- inconclusive (12) without enough data, a stale
# running deployment refused, a bounded fetch, the judge's settings and
# the filters as options, usage errors for bad values.
set -u
unset GITHUB_RUN_ID CI_PIPELINE_ID BUILD_ID BUILDKITE_BUILD_ID TRACEPARENT TRACESTATE
. "$abs_top_srcdir/tests/lib/tap.sh"
. "$abs_top_srcdir/tests/shell/canary-traces.sh"
stub=
at_exit '[ -z "$stub" ] || kill $stub 2>/dev/null'
export DEPLOY_LEDGER_DB="$tmp/ledger.db"
unset OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_TRACES_ENDPOINT

traces 120 "$tmp/slow.json"

canary() { # canary VERSION END: a canary of checkout from T0 to END
  c=$(deploy-ledger start --service checkout --version "$1" --previous-version v1 --type canary \
        --at 2024-01-15T10:00:00Z) || return 1
  deploy-ledger finish "$c" --status succeeded --at "$2" >/dev/null && echo "$c"
}
correlate() { # correlate ARGS...: status in $st, output in $tmp/out and $tmp/err
  deploy-ledger correlate "$@" >"$tmp/out" 2>"$tmp/err"; st=$?
}

# ---- no data is not a failure ----
typo=$(canary 2.0 2024-01-15T10:30:00Z)
correlate "$typo" --traces "$tmp/slow.json"
[ $st -eq 12 ] && grep -q "verdict inconclusive" "$tmp/out" \
  && grep -q "^why: no spans of version 2.0 of checkout in the traces during the deployment (versions seen: v1, v2)" "$tmp/out"
ok_if $? "a version typo: inconclusive, exit $st, naming the versions seen" "$tmp/out" "$tmp/err"
correlate "$typo" --traces "$tmp/slow.json" --json
grep -q '"verdict":"inconclusive","score":null' "$tmp/out"
ok_if $? "--json: verdict inconclusive, no score (exit $st)" "$tmp/out"

# One minute of canary, both ends included: one request in ten of 61 is v2.
tiny=$(canary v2 2024-01-15T10:01:00Z)
correlate "$tiny" --traces "$tmp/slow.json"
[ $st -eq 12 ] \
  && grep -q "^why: too few requests to judge: 7 of version v2 and 54 of control version v1 during the deployment, fewer than the 50 each side needs (--min-requests)" "$tmp/out"
ok_if $? "a tiny sample: inconclusive, exit $st, with the counts and the option" "$tmp/out" "$tmp/err"
correlate "$tiny" --traces "$tmp/slow.json" --min-requests 5
[ $st -eq 11 ] && grep -q "verdict fail" "$tmp/out"
ok_if $? "--min-requests 5: the same sample is judged, a fail (exit $st)" "$tmp/out" "$tmp/err"
correlate "$tiny" --traces "$tmp/slow.json" --min-requests many
[ $st -eq 2 ] && grep -q -- "--min-requests must be a whole number" "$tmp/err"
ok_if $? "--min-requests many: usage error (exit $st)" "$tmp/err"

# ---- bounded windows ----
stale=$(deploy-ledger start --service checkout --version v2 --type rolling --at 2024-01-15T10:00:00Z)
correlate "$stale" --traces "$tmp/slow.json"
[ $st -eq 2 ] \
  && grep -q "in progress since 2024-01-15T10:00:00Z .*longer than the 1d00h a running deployment is judged over (--max-window)" "$tmp/err" \
  && grep -q "deploy-ledger finish $stale" "$tmp/err" && [ ! -s "$tmp/out" ]
ok_if $? "a deployment in progress since 2024 is refused (exit $st), saying what to do" "$tmp/err"

guile --no-auto-compile "$abs_top_srcdir/tests/shell/jaeger-stub.scm" \
  "$tmp/slow.json" "$tmp/port" "$tmp/requests" 2>"$tmp/stub.err" &
stub=$!
wait_for_file "$tmp/port" 10
jaeger="jaeger:http://127.0.0.1:$(cat "$tmp/port")"
: >"$tmp/requests"
correlate "$stale" --traces "$jaeger"
[ $st -eq 2 ] && grep -q "(--max-window)" "$tmp/err" && [ ! -s "$tmp/requests" ]
ok_if $? "from Jaeger too: refused before any request (exit $st)" "$tmp/err" "$tmp/requests"
correlate "$stale" --traces "$jaeger" --max-window 0
[ $st -eq 2 ] && grep -q "would take [0-9]* slices of 1h00m, more than the 500 a fetch may ask for" "$tmp/err" \
  && grep -q "max-slices" "$tmp/err" && ! grep -q "^/api/traces" "$tmp/requests"
ok_if $? "--max-window 0: the fetch is capped at 500 slices, no slice asked (exit $st)" "$tmp/err" "$tmp/requests"
slow=$(canary v2 2024-01-15T10:30:00Z)
correlate "$slow" --traces "$jaeger" --max-slices 1
[ $st -eq 2 ] && grep -q "would take 2 slices of 1h00m, more than the 1 a fetch may ask for" "$tmp/err"
ok_if $? "--max-slices 1: a window of two slices refused (exit $st)" "$tmp/err"
: >"$tmp/requests"
correlate "$slow" --traces "$jaeger" --max-slices 2
[ $st -eq 11 ] && [ "$(grep -c "^/api/traces?" "$tmp/requests")" -eq 2 ]
ok_if $? "--max-slices 2: fetched in two requests, judged (exit $st)" "$tmp/err" "$tmp/requests"
kill $stub 2>/dev/null; wait $stub 2>/dev/null; stub=

# ---- the judge's settings without Scheme ----
cat >"$tmp/judge.scm" <<'EOF'
;; Only the median and the error rate, neither critical.
(define median (make-judge-metric 'p50))
(make-judge-config #:metrics (list median (make-judge-metric 'error-rate)))
EOF
correlate "$slow" --traces "$tmp/slow.json" --config "$tmp/judge.scm" --json
[ $st -eq 11 ] && grep -q '"score":50[,.]' "$tmp/out" \
  && [ "$(grep -o '"metric":"[a-z0-9-]*"' "$tmp/out" | tr '\n' ' ')" = '"metric":"latency-p50" "metric":"error-rate" ' ]
ok_if $? "--config: the file's two metrics, latency fails, score 50: fail (exit $st)" "$tmp/out" "$tmp/err"
correlate "$slow" --traces "$tmp/slow.json" --config "$tmp/judge.scm" --marginal-score 50
[ $st -eq 10 ] && grep -q "verdict marginal" "$tmp/out"
ok_if $? "--marginal-score 50: marginal (exit $st)" "$tmp/out" "$tmp/err"
correlate "$slow" --traces "$tmp/slow.json" --config "$tmp/judge.scm" --pass-score 50
[ $st -eq 0 ]
ok_if $? "--pass-score 50: pass (exit $st)" "$tmp/out" "$tmp/err"
correlate "$slow" --traces "$tmp/slow.json" --config "$tmp/judge.scm" --allowed-increase p50=5
[ $st -eq 0 ] && grep -q "within what is allowed" "$tmp/out"
ok_if $? "--allowed-increase p50=5: a fourfold median passes (exit $st)" "$tmp/out" "$tmp/err"
correlate "$slow" --traces "$tmp/slow.json" --config "$tmp/judge.scm" --critical latency-p50 --json
[ $st -eq 11 ] && grep -q '"score":0[,.]' "$tmp/out" \
  && grep -q '"reason":"critical metric latency-p50 is high"' "$tmp/out"
ok_if $? "--critical latency-p50: its failure zeroes the score (exit $st)" "$tmp/out" "$tmp/err"
correlate "$slow" --traces "$tmp/slow.json" --allowed-increase p42=2
[ $st -eq 2 ] && grep -q 'no metric "p42" in the judge.s configuration (its metrics: latency-p50, latency-p90, latency-p95, latency-p99, error-rate)' "$tmp/err"
ok_if $? "--allowed-increase of an unknown metric: usage error listing them (exit $st)" "$tmp/err"
correlate "$slow" --traces "$tmp/slow.json" --pass-score 101
[ $st -eq 2 ] && grep -q -- "--pass-score must be a number from 0 to 100" "$tmp/err"
ok_if $? "--pass-score 101: usage error (exit $st)" "$tmp/err"
printf '(make-judge-config #:pass-threshold' >"$tmp/broken.scm"
correlate "$slow" --traces "$tmp/slow.json" --config "$tmp/broken.scm"
[ $st -eq 2 ] && grep -q "^deploy-ledger correlate: --config $tmp/broken.scm: " "$tmp/err"
ok_if $? "a --config that does not parse: usage error naming it (exit $st)" "$tmp/err"
echo '(+ 1 2)' >"$tmp/three.scm"
correlate "$slow" --traces "$tmp/slow.json" --config "$tmp/three.scm"
[ $st -eq 2 ] && grep -q "the last expression must give a judge configuration (make-judge-config ...), not 3" "$tmp/err"
ok_if $? "a --config that is no judge configuration: usage error (exit $st)" "$tmp/err"

# ---- filters as in Scheme ----
correlate "$slow" --traces "$tmp/slow.json" --operation "GET /nothing"
[ $st -eq 12 ] && grep -q "^why: no requests of service checkout in the traces between 2024-01-15T10:00:00Z and 2024-01-15T10:30:00.000000001Z (services seen: checkout)" "$tmp/out"
ok_if $? "--operation that matches nothing: inconclusive (exit $st)" "$tmp/out" "$tmp/err"
correlate "$slow" --traces "$tmp/slow.json" --operation "GET /api/orders" --kind server
[ $st -eq 11 ]
ok_if $? "--operation and --kind that match: the same fail (exit $st)" "$tmp/out" "$tmp/err"
correlate "$slow" --traces "$tmp/slow.json" --kind client
[ $st -eq 12 ]
ok_if $? "--kind client: no client spans, inconclusive (exit $st)" "$tmp/out" "$tmp/err"
correlate "$slow" --traces "$tmp/slow.json" --kind sideways
[ $st -eq 2 ] && grep -q "sideways" "$tmp/err"
ok_if $? "--kind sideways: usage error (exit $st)" "$tmp/err"
correlate "$slow" --traces "$tmp/slow.json" --attribute http.route=/api/orders
[ $st -eq 12 ]
ok_if $? "--attribute on an attribute the spans lack: inconclusive (exit $st)" "$tmp/out" "$tmp/err"
correlate "$slow" --traces "$tmp/slow.json" --attribute http.route
[ $st -eq 2 ] && grep -q "malformed --attribute" "$tmp/err"
ok_if $? "--attribute without =VALUE: usage error (exit $st)" "$tmp/err"
correlate "$slow" --traces "$tmp/slow.json" --control-version v9
[ $st -eq 12 ] && grep -q "^why: no spans of control version v9 of checkout during the deployment (versions seen: v1, v2): check --control-version" "$tmp/out"
ok_if $? "--control-version v9: inconclusive, naming the versions seen (exit $st)" "$tmp/out" "$tmp/err"
correlate "$slow" --traces "$tmp/slow.json" --control-version v1
[ $st -eq 11 ]
ok_if $? "--control-version v1: fail (exit $st)" "$tmp/out" "$tmp/err"

# ---- exit statuses ----
correlate "$slow" --traces "$tmp/missing.json"
[ $st -eq 1 ] && grep -q "$tmp/missing.json" "$tmp/err"
ok_if $? "a missing trace file: exit $st, naming it" "$tmp/err"
correlate "$slow" --traces "$tmp/slow.json" --group-by regoin
[ $st -eq 2 ] && grep -q 'unknown --group-by dimension "regoin" (expected service, version, region, environment, operation, error-type, or an attribute key' "$tmp/err"
ok_if $? "an unknown --group-by: usage error listing the valid ones (exit $st)" "$tmp/err"
correlate "$slow" --traces "$tmp/slow.json" --compare sideways
[ $st -eq 2 ] && grep -q 'unknown --compare "sideways" (expected one of: auto, canary, before-after)' "$tmp/err"
ok_if $? "an unknown --compare: usage error listing the valid ones (exit $st)" "$tmp/err"
correlate "$slow" stray --traces "$tmp/slow.json"
[ $st -eq 2 ] && grep -q "expected one deployment ID, got 2" "$tmp/err"
ok_if $? "a stray argument: usage error (exit $st)" "$tmp/err"
mkdir "$tmp/dir"
cp "$tmp/slow.json" "$tmp/dir/good.json"
printf 'neither JSON nor protobuf' >"$tmp/dir/bad.json"
correlate "$slow" --traces "$tmp/dir" --lenient
[ $st -eq 11 ] && grep -q "dir: 0 spans or lines and 1 file skipped (first: $tmp/dir/bad.json: " "$tmp/err"
ok_if $? "--lenient says what it skipped and why (exit $st)" "$tmp/err"
deploy-ledger >"$tmp/out" 2>"$tmp/err"; st=$?
[ $st -eq 2 ] && grep -q "^Usage: deploy-ledger COMMAND" "$tmp/err" && [ ! -s "$tmp/out" ]
ok_if $? "a bare deploy-ledger: the usage on stderr, exit $st" "$tmp/err"
deploy-ledger correlate --help >"$tmp/out"
grep -q "12 inconclusive" "$tmp/out" && grep -q -- "--max-window" "$tmp/out" \
  && grep -q -- "--allowed-increase" "$tmp/out" && grep -q -- "--control-version" "$tmp/out"
ok_if $? "--help lists the exit statuses and the new options" "$tmp/out"
deploy-ledger --help | grep -q "12 inconclusive"
ok_if $? "deploy-ledger --help lists exit status 12"
done_testing
