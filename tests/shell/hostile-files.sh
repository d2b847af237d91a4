#!/bin/sh
# correlate against hostile trace files: a FIFO (named, or a *.json FIFO
# inside a directory), a character device, a sparse 5 GB file, gzip bombs,
# symbolic link loops.  Each must end with exit status 1 (traces that
# could not be read) or, in lenient mode, a counted skip; never block,
# never grow: the `timeout' guard kills a probe after 60 s (which fails
# it), and outside the sanitizer build (where ulimit -v breaks ASan) a
# 1.5 GB address-space limit holds.
set -u
unset GITHUB_RUN_ID CI_PIPELINE_ID BUILD_ID BUILDKITE_BUILD_ID TRACEPARENT TRACESTATE
unset DEPLOY_LEDGER_TIMEOUT DEPLOY_LEDGER_RETRIES DEPLOY_LEDGER_MAX_INPUT
. "$abs_top_srcdir/tests/lib/tap.sh"
export DEPLOY_LEDGER_DB="$tmp/ledger.db"
unset OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_TRACES_ENDPOINT

case "${LD_PRELOAD:-}" in
  *asan*) limit_memory=no ;;
  *) limit_memory=yes ;;
esac

. "$abs_top_srcdir/tests/shell/canary-traces.sh"
traces 120 "$tmp/slow.json"
id=$(deploy-ledger start --service checkout --version v2 --previous-version v1 --type canary \
       --at 2024-01-15T10:00:00Z)
deploy-ledger finish "$id" --status succeeded --at 2024-01-15T10:30:00Z >/dev/null

# run COMMAND...: under the guard and the memory limit; status in $st.
run() {
  if [ "$limit_memory" = yes ]; then
    (ulimit -v 1500000; exec timeout -s KILL 60 "$@") >"$tmp/out" 2>"$tmp/err"
  else
    timeout -s KILL 60 "$@" >"$tmp/out" 2>"$tmp/err"
  fi
  st=$?
}

# probe DESCRIPTION WANT-STATUS GREP-PATTERN ARGS...: correlate with ARGS.
probe() {
  description=$1 want=$2 pattern=$3
  shift 3
  run deploy-ledger correlate "$id" "$@"
  [ $st -eq "$want" ] && grep -Eq -- "$pattern" "$tmp/err"
  ok_if $? "$description (exit $st)" "$tmp/err"
}

mkfifo "$tmp/fifo.json"
probe "a FIFO named as the traces: refused at once, not waited on" 1 \
  "fifo.json is a FIFO, not a regular file" --traces "$tmp/fifo.json"

mkdir "$tmp/dir"
cp "$tmp/slow.json" "$tmp/dir/a.json"
mkfifo "$tmp/dir/b.json"
probe "a *.json FIFO inside a traces directory: an error naming it" 1 \
  "b.json is a FIFO" --traces "$tmp/dir"
probe "with --lenient: skipped and counted, the rest judged" 11 \
  "1 file skipped.*b.json is a FIFO" --traces "$tmp/dir" --lenient

probe "/dev/zero: a character device, refused" 1 \
  "/dev/zero is a character device, not a regular file" --traces /dev/zero

truncate -s 5G "$tmp/sparse.json"
probe "a sparse 5 GB file: refused by its size before any read, naming the option" 1 \
  "5368709120 bytes is more than the limit of 536870912 \\(raise it with --max-input" \
  --traces "$tmp/sparse.json"
probe "--max-input 1KiB refuses a small file too" 1 \
  "more than the limit of 1024 \\(raise it with --max-input" \
  --traces "$tmp/slow.json" --max-input 1KiB
DEPLOY_LEDGER_MAX_INPUT=2KiB probe "so does DEPLOY_LEDGER_MAX_INPUT=2KiB" 1 \
  "more than the limit of 2048" --traces "$tmp/slow.json"

# 1 MiB of zeros is about a kilobyte of gzip: 2048 such members inflate to 2 GiB.
head -c 1048576 /dev/zero | gzip -9 >"$tmp/m.gz"
for i in 1 2 3 4 5 6 7 8 9 10 11; do cat "$tmp/m.gz" "$tmp/m.gz" >"$tmp/m2.gz"; mv "$tmp/m2.gz" "$tmp/m.gz"; done
mv "$tmp/m.gz" "$tmp/bomb.json.gz"
probe "a gzip bomb of concatenated members: refused early by its ratio" 1 \
  "bomb.json.gz: refused: .* more than 200 times as many" --traces "$tmp/bomb.json.gz"
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "{\"resourceSpans\":[],\"n\":%d}\n", i * 7919 % 1000003 }' \
  | gzip -9 >"$tmp/lines.jsonl.gz"
probe "gzip that inflates past --max-input: refused at the limit, naming it" 1 \
  "decompresses to more than 1048576 bytes, the limit \\(raise it with --max-input" \
  --traces "$tmp/lines.jsonl.gz" --max-input 1MiB

mkdir "$tmp/loop"
cp "$tmp/slow.json" "$tmp/loop/a.json"
ln -s ../loop "$tmp/loop/again"
probe "a directory linking back to itself: a clear error" 1 \
  "again is .*loop again: a symbolic link loop" --traces "$tmp/loop"
probe "lenient or not" 1 "a symbolic link loop" --traces "$tmp/loop" --lenient
ln -s self.json "$tmp/dir/self.json"
rm "$tmp/dir/b.json"
probe "a link to itself in a directory: an error naming it" 1 \
  "self.json: Too many levels of symbolic links" --traces "$tmp/dir"

deploy-ledger correlate "$id" --traces "$tmp/nothing-here.json" >"$tmp/out" 2>"$tmp/err"; st=$?
[ $st -eq 1 ] && grep -q "nothing-here.json" "$tmp/err"
ok_if $? "a missing file: 1 as well (exit $st)" "$tmp/err"

done_testing
