#!/bin/sh
# The Scheme surface at the REPL, from `guile -s' and from `guile -c', and
# the C library without Guile.
set -u
. "$abs_top_srcdir/tests/lib/tap.sh"
tid=4bf92f3577b34da6a3ce929d0e0e4736

# REPL: ,use and ,describe work, and the docstring is there.
printf ',use (deploy-ledger integrations tracing)\n,describe inject-trace-context\n(trace-context-flags (make-trace-context))\n' \
  | guile -q >"$tmp/repl.out" 2>&1
grep -q "A new headers alist" "$tmp/repl.out" && grep -q '^\$1 = 3$' "$tmp/repl.out"
ok_if $? "REPL: ,use, ,describe shows the docstring, a call returns" "$tmp/repl.out"

# guile -s: the deploy-hook example joins the pipeline's trace.
TRACEPARENT="00-$tid-00f067aa0ba902b7-01" SERVICE=web VERSION=2 \
  guile --no-auto-compile -s "$abs_top_srcdir/examples/deploy-hook.scm" >"$tmp/hook.out" 2>&1
case "$(cat "$tmp/hook.out")" in
  "traceparent: 00-$tid-"*"-01"*"Content-Type: application/json"*) st=0 ;;
  *) st=1 ;;
esac
ok_if $st "guile -s deploy hook continues the pipeline's trace" "$tmp/hook.out"

# guile -c: the README's CI one-liner, with and without a pipeline trace.
oneliner='(use-modules (deploy-ledger integrations tracing))
          (display (trace-context->traceparent
                     (let ((p (trace-context-from-environment)))
                       (if p (trace-context-child p) (make-trace-context)))))'
out=$(TRACEPARENT="00-$tid-00f067aa0ba902b7-01" guile --no-auto-compile -c "$oneliner" 2>&1)
case "$out" in
  "00-$tid-"????????????????"-01") [ "$out" != "00-$tid-00f067aa0ba902b7-01" ] ;;
  *) false ;;
esac
ok_if $? "guile -c one-liner: child of TRACEPARENT with a fresh span id: $out"
out=$(env -u TRACEPARENT guile --no-auto-compile -c "$oneliner" 2>&1)
echo "$out" | grep -Eq '^00-[0-9a-f]{32}-[0-9a-f]{16}-03$' && ! echo "$out" | grep -q "$tid"
ok_if $? "guile -c one-liner without TRACEPARENT starts a new trace: $out"

# An error reaches the shell as a message naming the input and a non-zero status.
status_is "a bad deployment type exits non-zero" 1 guile --no-auto-compile -c '(use-modules (deploy-ledger core types))
     (make-deployment-event #:service-name "a" #:version "1" #:deployment-type (quote big-bang))'
grep -q 'big-bang' "$tmp/err"
ok_if $? "the message names the value" "$tmp/err"

# The C library stands without Guile.
lib="$abs_top_builddir/src/.libs/libdeployledger.so"
[ -f "$lib" ] && ! objdump -p "$lib" | grep NEEDED | grep -qi guile \
  && ! grep -rl "libguile" "$abs_top_srcdir/src" >/dev/null
ok_if $? "libdeployledger and src/ are free of Guile"
done_testing
