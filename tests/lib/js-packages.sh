# The official OpenTelemetry JS packages for the shell tests that use
# them as a real peer.  After tap.sh:
#
#   . "$abs_top_srcdir/tests/lib/js-packages.sh"
#   js_packages SRC_DIR BUILD_DIR
#
# installs the packages of SRC_DIR/package.json from npm into BUILD_DIR
# (in the build tree) and exports JS_PEER_MODULES; without node and npm,
# or when the registry cannot be reached, the test skips and says why.
js_packages() {
  mkdir -p "$2"
  cp "$1/package.json" "$2/package.json"
  command -v node >/dev/null && command -v npm >/dev/null || skip_all "node and npm are not installed"
  if ! (cd "$2" && env -u LD_PRELOAD timeout 300 npm install --no-audit --no-fund --no-package-lock \
          >"$tmp/npm.log" 2>&1); then
    tail -5 "$tmp/npm.log" | diag
    skip_all "the npm registry is unreachable: cannot install the OpenTelemetry JS packages"
  fi
  export JS_PEER_MODULES="$2/node_modules"
}
