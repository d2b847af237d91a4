#!/bin/sh
# `make install' into a temporary prefix; from there, a `guile -c'
# one-liner with only the variables the README names, and the C example
# (examples/c-api.c) built with nothing but the installed headers and
# `pkg-config --cflags --libs deploy-ledger'.
set -u
. "$abs_top_srcdir/tests/lib/tap.sh"
prefix="$tmp/prefix"
v=3.0
check "make install into a temporary prefix" make -C "$abs_top_builddir" -s install prefix="$prefix"
site="$prefix/share/guile/site/$v" ccache="$prefix/lib/guile/$v/site-ccache" ext="$prefix/lib/guile/$v/extensions"
lib="$prefix/lib/libdeployledger.so"
: >"$tmp/missing"
for f in "$site/deploy-ledger/integrations/tracing.scm" "$ccache/deploy-ledger/integrations/tracing.go" \
         "$ext/libguile-deploy-ledger.so" "$prefix/include/deploy-ledger/deploy-ledger.h" \
         "$prefix/lib/pkgconfig/deploy-ledger.pc" "$lib"; do
  [ -f "$f" ] || echo "missing: $f" >>"$tmp/missing"
done
[ ! -s "$tmp/missing" ]
ok_if $? "modules, compiled modules, extension, headers, library and pkg-config file installed" "$tmp/missing"
[ "$ccache/deploy-ledger/integrations/tracing.go" -nt "$site/deploy-ledger/integrations/tracing.scm" ] \
  || [ ! "$site/deploy-ledger/integrations/tracing.scm" -nt "$ccache/deploy-ledger/integrations/tracing.go" ]
ok_if $? "compiled files are not older than their sources"

# Only what the README names, in an otherwise empty environment.
installed_env() {
  env -i PATH=/usr/bin:/bin HOME="$tmp" \
    ${LD_PRELOAD:+LD_PRELOAD="$LD_PRELOAD"} ${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS"} "$@"
}
out=$(cd "$tmp" && installed_env \
  GUILE_LOAD_PATH="$site" GUILE_LOAD_COMPILED_PATH="$ccache" GUILE_SYSTEM_EXTENSIONS_PATH="$ext" \
  TRACEPARENT=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 \
  guile -c '(use-modules (deploy-ledger integrations tracing) (deploy-ledger core types))
            (display (deployment-traceparent
                       (make-deployment-event #:service-name "web" #:version "1.0"
                                              #:parent (trace-context-from-environment))))' 2>"$tmp/guile.err")
case "$out" in
  00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]*-01) [ ${#out} -eq 55 ] ;;
  *) false ;;
esac
ok_if $? "guile -c one-liner from the installed prefix: '$out'" "$tmp/guile.err"

# The installed library links what the README lists (libmicrohttpd for
# the embedded receiver), and nothing the tests alone need.
objdump -p "$lib" | sed -n 's/^ *NEEDED *//p' >"$tmp/needed"
! grep -Eq 'protobuf-c|guile' "$tmp/needed" && grep -q '^libcurl' "$tmp/needed"
ok_if $? "libdeployledger.so needs neither protobuf-c nor Guile" "$tmp/needed"

# The C example, from the installed prefix alone.
pc() { PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config "$@"; }
check "pkg-config --cflags --libs deploy-ledger" pc --cflags --libs deploy-ledger
flags=$(cat "$tmp/out")
st=0
for want in "-I$prefix/include" "-L$prefix/lib" -ldeployledger; do
  case " $flags " in *" $want "*) ;; *) st=1 ;; esac
done
ok_if $st "the flags point into the prefix: $flags"
# Every public header is installed, compiles on its own, and has its
# entry in the manual's C library chapter.
: >"$tmp/headers"
for h in "$abs_top_srcdir"/include/deploy-ledger/*.h; do
  name=deploy-ledger/${h##*/}
  [ -f "$prefix/include/$name" ] || echo "not installed: $name" >>"$tmp/headers"
  grep -q "^@item $name\$" "$abs_top_srcdir/doc/c-library.texi" \
    || echo "not in doc/c-library.texi: $name" >>"$tmp/headers"
  printf '#include <%s>\nint dl_header_alone;\n' "$name" >"$tmp/header.c"
  env -u LD_PRELOAD ${CC:-cc} -std=c99 -Wall -Wextra -Werror -pedantic -fsyntax-only $flags \
    "$tmp/header.c" >>"$tmp/headers" 2>&1 || echo "does not compile alone: $name" >>"$tmp/headers"
done
[ ! -s "$tmp/headers" ]
ok_if $? "every public header is installed, compiles alone and is in the manual" "$tmp/headers"
cp "$abs_top_srcdir/examples/c-api.c" "$tmp/c-api.c"
# The compiler runs without the sanitizer's preload (the program keeps it).
check "examples/c-api.c builds against the installed headers and library" \
  env -u LD_PRELOAD ${CC:-cc} -std=c99 -Wall -Wextra -Werror -pedantic -o "$tmp/c-api" "$tmp/c-api.c" $flags
example() { installed_env LD_LIBRARY_PATH="$prefix/lib" "$tmp/c-api" "$@"; }
tid=0af7651916cd43dd8448eb211c80319c parent=b7ad6b7169203331
check "the example runs" example "00-$tid-$parent-01"
cp "$tmp/out" "$tmp/example.out"
shows() { # shows DESCRIPTION PATTERN: an extended regular expression of the example's output
  grep -Eq "$2" "$tmp/example.out"
  ok_if $? "$1" "$tmp/example.out"
}
shows "it parsed the traceparent it was given" "^traceparent: trace $tid, parent span $parent, sampled$"
shows "it encoded the span (fixed sizes for fixed content)" '^span: 226 bytes of OTLP protobuf, 595 of OTLP/JSON$'
shows "the OTLP/JSON carries the trace and the parent" "\"traceId\":\"$tid\",\"spanId\":\"[0-9a-f]{16}\",\"parentSpanId\":\"$parent\""
shows "the protobuf decodes back into the span" '^decoded: 1 span, GET /api/orders of checkout v2, 42 ms$'
shows "the deployment continues the pipeline's trace" "^deployment [-0-9a-f]{36} of checkout v2: traceparent 00-$tid-[0-9a-f]{16}-01$"
shows "all 3600 requests in the trace set" '^trace set: 3600 spans$'
shows "a canary compared with the previous version" '^compared: canary v2 against v1, during window$'
shows "p99 from 49 ms to 130 ms" '^p99: 49\.0 ms -> 130\.0 ms$'
shows "the verdict: fail on the critical p99" '^verdict: fail \(score 0\.0\): critical metric latency-p99 is high$'
status_is "a malformed traceparent is refused" 1 example "00-$tid-$parent"
grep -q "traceparent" "$tmp/err"
ok_if $? "naming it" "$tmp/err"

make -C "$abs_top_builddir" -s uninstall prefix="$prefix" >"$tmp/uninstall.log" 2>&1 \
  && [ ! -f "$site/deploy-ledger/integrations/tracing.scm" ] && [ ! -f "$ext/libguile-deploy-ledger.so" ] \
  && [ ! -f "$prefix/lib/pkgconfig/deploy-ledger.pc" ]
ok_if $? "make uninstall removes them" "$tmp/uninstall.log"
done_testing
