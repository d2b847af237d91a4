#!/bin/sh
# bench/correlate gives the same CSV with 1, 2 and 3 threads, from memory
# and from the CSV it wrote, and the same as a plain sort-based reference
# (tests/c/correlate-ref), for both percentile definitions.
set -u
echo "1..10"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
bench="$abs_top_builddir/bench/correlate"
ref="$abs_top_builddir/tests/c/correlate-ref"
deploy=1705312800000000000
n=0
check() {
  n=$((n + 1))
  if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}
same() {
  if cmp -s "$1" "$2"; then return 0; fi
  diff "$1" "$2" | head -n 10 | sed 's/^/# /'
  return 1
}

"$bench" --spans 300000 --seed 5 --threads 1 --write-csv "$tmp/data.csv" \
  --out "$tmp/t1.csv" >"$tmp/out1" 2>&1
rc=$?
lines=$(wc -l <"$tmp/t1.csv" 2>/dev/null || echo 0)
[ $rc -eq 0 ] && [ "$lines" -eq 15 ]
check $? "one thread: 14 groups (baseline 3, canary 6, after 5) and the header"

"$bench" --spans 300000 --seed 5 --threads 2 --out "$tmp/t2.csv" >"$tmp/out2" 2>&1
same "$tmp/t1.csv" "$tmp/t2.csv"
check $? "two threads: the same CSV"

"$bench" --spans 300000 --seed 5 --threads 3 --out "$tmp/t3.csv" >/dev/null 2>&1
same "$tmp/t1.csv" "$tmp/t3.csv"
check $? "three threads: the same CSV"

"$bench" --csv "$tmp/data.csv" --deploy-time $deploy --threads 2 --out "$tmp/c2.csv" \
  >/dev/null 2>&1
same "$tmp/t1.csv" "$tmp/c2.csv"
check $? "read back from the CSV it wrote: the same CSV"

"$ref" "$tmp/data.csv" $deploy linear >"$tmp/ref.csv"
same "$tmp/ref.csv" "$tmp/t1.csv"
check $? "linear percentiles equal the sort-based reference"

"$bench" --spans 300000 --seed 5 --threads 2 --percentiles nearest-rank \
  --out "$tmp/nr2.csv" >/dev/null 2>&1
"$bench" --spans 300000 --seed 5 --threads 1 --percentiles nearest-rank \
  --out "$tmp/nr1.csv" >/dev/null 2>&1
"$ref" "$tmp/data.csv" $deploy nearest-rank >"$tmp/refnr.csv"
same "$tmp/refnr.csv" "$tmp/nr2.csv" && same "$tmp/nr1.csv" "$tmp/nr2.csv"
check $? "nearest-rank percentiles: 1 and 2 threads and the reference agree"

head -n 2 "$tmp/t1.csv" | tail -n 1 | grep -Eq '^baseline,v1,us-east-1,[0-9]+,[0-9]+,0\.[0-9]{6},[0-9]+\.[0-9]{3},[0-9]+\.[0-9]{3},'
check $? "first row: baseline v1 us-east-1, 6 decimals of error rate, 3 of throughput"

tail -n 1 "$tmp/out2" | grep -Eq '^\{"bench":"correlate","spans":300000,"threads":2,"seconds":[0-9.]+,"spans_per_s":[0-9]+,"peak_rss_bytes":[0-9]+\}$'
check $? "last line of the summary is the JSON the issue names"

printf 'ts,latency\n1,2\n' >"$tmp/bad.csv"
"$bench" --csv "$tmp/bad.csv" --deploy-time $deploy >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && grep -q "header" "$tmp/err"
check $? "a CSV with another header is refused with exit status 2"

printf 'ts_unix_nano,latency_us,region,version,is_error\n1,x,a,b,0\n' >"$tmp/bad2.csv"
"$bench" --csv "$tmp/bad2.csv" --deploy-time $deploy >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && grep -q "bad2.csv:2" "$tmp/err"
check $? "a malformed row is named by file and line"
