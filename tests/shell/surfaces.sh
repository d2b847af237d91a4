#!/bin/sh
# The Scheme surface at the REPL, from `guile -s' and from `guile -c', and
# the C library without Guile.
set -u
echo "1..6"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
tid=4bf92f3577b34da6a3ce929d0e0e4736

# REPL: ,use and ,describe work, and the docstring is there.
printf ',use (deploy-ledger integrations tracing)\n,describe inject-trace-context\n(trace-context-flags (make-trace-context))\n' \
  | guile -q >"$tmp/repl.out" 2>&1
if grep -q "A new headers alist" "$tmp/repl.out" && grep -q '^\$1 = 3$' "$tmp/repl.out"; then
  echo "ok 1 - REPL: ,use, ,describe shows the docstring, a call returns"
else
  echo "not ok 1 - REPL"; sed 's/^/# /' "$tmp/repl.out"
fi

# guile -s: the deploy-hook example joins the pipeline's trace.
out=$(TRACEPARENT="00-$tid-00f067aa0ba902b7-01" SERVICE=web VERSION=2 \
      guile --no-auto-compile -s "$abs_top_srcdir/examples/deploy-hook.scm" 2>&1)
case "$out" in
  "traceparent: 00-$tid-"*"-01"*"Content-Type: application/json"*)
    echo "ok 2 - guile -s deploy hook continues the pipeline's trace" ;;
  *) echo "not ok 2 - guile -s deploy hook"; echo "$out" | sed 's/^/# /' ;;
esac

# guile -c: the README's CI one-liner, with and without a pipeline trace.
oneliner='(use-modules (deploy-ledger integrations tracing))
          (display (trace-context->traceparent
                     (let ((p (trace-context-from-environment)))
                       (if p (trace-context-child p) (make-trace-context)))))'
out=$(TRACEPARENT="00-$tid-00f067aa0ba902b7-01" guile --no-auto-compile -c "$oneliner" 2>&1)
case "$out" in
  "00-$tid-"????????????????"-01")
    [ "$out" != "00-$tid-00f067aa0ba902b7-01" ] \
      && echo "ok 3 - guile -c one-liner: child of TRACEPARENT with a fresh span id" \
      || echo "not ok 3 - span id not fresh: $out" ;;
  *) echo "not ok 3 - guile -c one-liner: $out" ;;
esac
out=$(env -u TRACEPARENT guile --no-auto-compile -c "$oneliner" 2>&1)
if echo "$out" | grep -Eq '^00-[0-9a-f]{32}-[0-9a-f]{16}-03$' && ! echo "$out" | grep -q "$tid"; then
  echo "ok 4 - guile -c one-liner without TRACEPARENT starts a new trace"
else
  echo "not ok 4 - guile -c one-liner without TRACEPARENT: $out"
fi

# An error reaches the shell as a message naming the input and a non-zero status.
if guile --no-auto-compile -c '(use-modules (deploy-ledger core types))
     (make-deployment-event #:service-name "a" #:version "1" #:deployment-type (quote big-bang))' \
     >"$tmp/err.out" 2>&1; then
  echo "not ok 5 - a bad deployment type exits non-zero"
else
  grep -q 'big-bang' "$tmp/err.out" && echo "ok 5 - a bad deployment type exits non-zero naming it" \
    || { echo "not ok 5 - message does not name the value"; sed 's/^/# /' "$tmp/err.out"; }
fi

# The C library stands without Guile.
lib="$abs_top_builddir/src/.libs/libdeployledger.so"
if [ -f "$lib" ] && ! objdump -p "$lib" | grep NEEDED | grep -qi guile \
   && ! grep -rl "libguile" "$abs_top_srcdir/src" >/dev/null; then
  echo "ok 6 - libdeployledger and src/ are free of Guile"
else
  echo "not ok 6 - libdeployledger depends on Guile"
fi
