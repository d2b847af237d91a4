#!/bin/sh
# `make install' into a temporary prefix, then a `guile -c' one-liner from
# there with only the variables the README names.
set -u
echo "1..5"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
v=3.0
if make -C "$abs_top_builddir" -s install prefix="$tmp" >"$tmp/install.log" 2>&1; then
  echo "ok 1 - make install into a temporary prefix"
else
  echo "not ok 1 - make install into a temporary prefix"
  sed 's/^/# /' "$tmp/install.log"
fi
site="$tmp/share/guile/site/$v" ccache="$tmp/lib/guile/$v/site-ccache" ext="$tmp/lib/guile/$v/extensions"
if [ -f "$site/deploy-ledger/integrations/tracing.scm" ] && [ -f "$ccache/deploy-ledger/integrations/tracing.go" ] \
   && [ -f "$ext/libguile-deploy-ledger.so" ] && [ -f "$tmp/include/deploy-ledger/deploy-ledger.h" ] \
   && [ -f "$tmp/lib/pkgconfig/deploy-ledger.pc" ] && [ -f "$tmp/lib/libdeployledger.so" ]; then
  echo "ok 2 - modules, compiled modules, extension, headers, library and pkg-config file installed"
else
  echo "not ok 2 - modules, compiled modules, extension, headers, library and pkg-config file installed"
  find "$tmp" -type f | sed 's/^/# /'
fi
if [ "$ccache/deploy-ledger/integrations/tracing.go" -nt "$site/deploy-ledger/integrations/tracing.scm" ] \
   || [ ! "$site/deploy-ledger/integrations/tracing.scm" -nt "$ccache/deploy-ledger/integrations/tracing.go" ]; then
  echo "ok 3 - compiled files are not older than their sources"
else
  echo "not ok 3 - compiled files are not older than their sources"
fi
out=$(cd "$tmp" && env -i PATH=/usr/bin:/bin HOME="$tmp" \
  ${LD_PRELOAD:+LD_PRELOAD="$LD_PRELOAD"} ${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS"} \
  GUILE_LOAD_PATH="$site" GUILE_LOAD_COMPILED_PATH="$ccache" GUILE_SYSTEM_EXTENSIONS_PATH="$ext" \
  TRACEPARENT=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 \
  guile -c '(use-modules (deploy-ledger integrations tracing) (deploy-ledger core types))
            (display (deployment-traceparent
                       (make-deployment-event #:service-name "web" #:version "1.0"
                                              #:parent (trace-context-from-environment))))' 2>"$tmp/guile.err")
case "$out" in
  00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]*-01)
    [ ${#out} -eq 55 ] && echo "ok 4 - guile -c one-liner from the installed prefix: $out" \
      || echo "not ok 4 - traceparent has the wrong length: $out" ;;
  *) echo "not ok 4 - guile -c one-liner from the installed prefix: '$out'"
     sed 's/^/# /' "$tmp/guile.err" ;;
esac
if make -C "$abs_top_builddir" -s uninstall prefix="$tmp" >"$tmp/uninstall.log" 2>&1 \
   && [ ! -f "$site/deploy-ledger/integrations/tracing.scm" ] && [ ! -f "$ext/libguile-deploy-ledger.so" ]; then
  echo "ok 5 - make uninstall removes them"
else
  echo "not ok 5 - make uninstall removes them"
  sed 's/^/# /' "$tmp/uninstall.log"
fi
