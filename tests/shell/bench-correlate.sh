#!/bin/sh
# bench/correlate gives the same CSV with 1, 2 and 3 threads, from memory
# and from the CSV it wrote, and the same as a plain sort-based reference
# (tests/c/correlate-ref), for both percentile definitions.
set -u
. "$abs_top_srcdir/tests/lib/tap.sh"
bench="$abs_top_builddir/bench/correlate"
ref="$abs_top_builddir/tests/c/correlate-ref"
deploy=1705312800000000000
same() { # same FILE FILE...: all equal to the first, or the start of a difference on stdout
  first=$1
  shift
  for f; do
    cmp -s "$first" "$f" || { diff "$first" "$f" | head -n 10; return 1; }
  done
}

"$bench" --spans 300000 --seed 5 --threads 1 --write-csv "$tmp/data.csv" \
  --out "$tmp/t1.csv" >"$tmp/out1" 2>&1
rc=$?
lines=$(wc -l <"$tmp/t1.csv" 2>/dev/null || echo 0)
[ $rc -eq 0 ] && [ "$lines" -eq 15 ]
ok_if $? "one thread: 14 groups (baseline 3, canary 6, after 5) and the header" "$tmp/out1"

"$bench" --spans 300000 --seed 5 --threads 2 --out "$tmp/t2.csv" >"$tmp/out2" 2>&1
check "two threads: the same CSV" same "$tmp/t1.csv" "$tmp/t2.csv"

"$bench" --spans 300000 --seed 5 --threads 3 --out "$tmp/t3.csv" >/dev/null 2>&1
check "three threads: the same CSV" same "$tmp/t1.csv" "$tmp/t3.csv"

"$bench" --csv "$tmp/data.csv" --deploy-time $deploy --threads 2 --out "$tmp/c2.csv" \
  >/dev/null 2>&1
check "read back from the CSV it wrote: the same CSV" same "$tmp/t1.csv" "$tmp/c2.csv"

"$ref" "$tmp/data.csv" $deploy linear >"$tmp/ref.csv"
check "linear percentiles equal the sort-based reference" same "$tmp/ref.csv" "$tmp/t1.csv"

"$bench" --spans 300000 --seed 5 --threads 2 --percentiles nearest-rank \
  --out "$tmp/nr2.csv" >/dev/null 2>&1
"$bench" --spans 300000 --seed 5 --threads 1 --percentiles nearest-rank \
  --out "$tmp/nr1.csv" >/dev/null 2>&1
"$ref" "$tmp/data.csv" $deploy nearest-rank >"$tmp/refnr.csv"
check "nearest-rank percentiles: 1 and 2 threads and the reference agree" \
  same "$tmp/nr2.csv" "$tmp/refnr.csv" "$tmp/nr1.csv"

head -n 2 "$tmp/t1.csv" | tail -n 1 | grep -Eq '^baseline,v1,us-east-1,[0-9]+,[0-9]+,0\.[0-9]{6},[0-9]+\.[0-9]{3},[0-9]+\.[0-9]{3},'
ok_if $? "first row: baseline v1 us-east-1, 6 decimals of error rate, 3 of throughput" "$tmp/t1.csv"

tail -n 1 "$tmp/out2" | grep -Eq '^\{"bench":"correlate","spans":300000,"threads":2,"seconds":[0-9.]+,"spans_per_s":[0-9]+,"peak_rss_bytes":[0-9]+\}$'
ok_if $? "last line of the summary is the JSON the issue names" "$tmp/out2"

printf 'ts,latency\n1,2\n' >"$tmp/bad.csv"
"$bench" --csv "$tmp/bad.csv" --deploy-time $deploy >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && grep -q "header" "$tmp/err"
ok_if $? "a CSV with another header is refused with exit status 2" "$tmp/err"

printf 'ts_unix_nano,latency_us,region,version,is_error\n1,x,a,b,0\n' >"$tmp/bad2.csv"
"$bench" --csv "$tmp/bad2.csv" --deploy-time $deploy >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && grep -q "bad2.csv:2" "$tmp/err"
ok_if $? "a malformed row is named by file and line" "$tmp/err"
done_testing
