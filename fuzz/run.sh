#!/bin/sh
# Runs the libFuzzer harnesses built by `make fuzz', each for SECONDS
# (default 600), two at a time, niced, seeded from tests/data.
#   fuzz/run.sh BUILDDIR [SECONDS] [HARNESS...]
# Corpora grow in BUILDDIR/fuzz/corpus-NAME, crashes land in
# BUILDDIR/fuzz/artifacts-NAME, logs in BUILDDIR/fuzz/NAME.log.
set -eu
srcdir=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: fuzz/run.sh BUILDDIR [SECONDS] [HARNESS...]}" && pwd)
seconds=${2:-600}
shift 2 2>/dev/null || shift $#
harnesses=${*:-"otlp-json otlp-protobuf jaeger-json decode exposition"}

seed() {
  name=$1 corpus=$build/fuzz/corpus-$name
  mkdir -p "$corpus" "$build/fuzz/artifacts-$name"
  case $name in
    otlp-protobuf) pattern='*.pb *.protobuf-bin' ;;
    otlp-json) pattern='*.json *.jsonl *.txt' ;;
    jaeger-json) pattern='*.json' ;;
    exposition) pattern='*.prom *.om' ;;
    *) pattern='*.json *.jsonl *.pb *.protobuf-bin *.gz' ;;
  esac
  for p in $pattern; do
    find "$srcdir/tests/data" -name "$p" -size -200k -exec cp {} "$corpus/" \;
  done
}

run() {
  name=$1 dict=""
  case $name in
    otlp-json|decode) dict="-dict=$srcdir/fuzz/otlp-json.dict" ;;
    jaeger-json) dict="-dict=$srcdir/fuzz/jaeger-json.dict" ;;
  esac
  seed "$name"
  nice -n 10 "$build/fuzz/fuzz-$name" $dict -max_total_time="$seconds" -rss_limit_mb=1024 \
    -max_len=65536 -timeout=10 -artifact_prefix="$build/fuzz/artifacts-$name/" \
    "$build/fuzz/corpus-$name" >"$build/fuzz/$name.log" 2>&1 || true
  printf '%s: %s\n' "$name" "$(grep -E '^#[0-9]+.*(DONE|pulse)' "$build/fuzz/$name.log" | tail -n 1)"
  ls "$build/fuzz/artifacts-$name" | sed "s|^|  finding: $name/|"
}

# Two at a time: the machine is shared.
set -- $harnesses
while [ $# -gt 0 ]; do
  run "$1" &
  if [ $# -gt 1 ]; then run "$2" & shift; fi
  shift
  wait
done
