#!/bin/sh
# A real peer: the official OpenTelemetry JavaScript packages (from npm)
# serialize the same spans as our encoder, and decode what our exporter
# sends.  Skipped, saying so, only when npm cannot install them.
set -u
unset GITHUB_RUN_ID CI_PIPELINE_ID BUILD_ID BUILDKITE_BUILD_ID
. "$abs_top_srcdir/tests/lib/tap.sh"
pid=
at_exit '[ -z "$pid" ] || kill $pid 2>/dev/null'
src="$abs_top_srcdir/tests/js"
fixture="$abs_top_srcdir/tests/data/otlp/peer-spans.json"
. "$abs_top_srcdir/tests/lib/js-packages.sh"
js_packages "$src" "$abs_top_builddir/tests/js"
node() { env -u LD_PRELOAD node "$@"; }

{
  # 1. The same spans through the JS SDK's serializer and through ours.
  if node "$src/serialize.js" "$fixture" "$tmp/js.bin" 2>"$tmp/err" \
     && "$abs_top_builddir/tests/c/encode-fixture" "$fixture" "$tmp/ours.bin"; then
    echo "ok - the JS SDK's ProtobufTraceSerializer and our encoder both encode the fixture"
    node "$src/compare.js" "$tmp/ours.bin" "$tmp/js.bin"
  else
    echo "not ok - encoding the fixture"; sed 's/^/# /' "$tmp/err"
  fi

  # 2. What our exporter sends, decoded by a receiver built on the JS packages.
  mkdir -p "$tmp/got"
  node "$src/receiver.js" "$tmp/port" "$tmp/got" >/dev/null 2>&1 & pid=$!
  wait_for_file "$tmp/port" 10
  export DEPLOY_LEDGER_DB="$tmp/ledger.db"
  export OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$(cat "$tmp/port")"
  export TRACEPARENT=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
  unset TRACESTATE OTEL_EXPORTER_OTLP_TRACES_ENDPOINT OTEL_EXPORTER_OTLP_PROTOCOL
  id=$(deploy-ledger start --service checkout --version v7 --environment staging --type canary \
         --commit abc123 --attr cicd.pipeline.run.id=42 --export 2>"$tmp/err")
  deploy-ledger finish "$id" --status succeeded --export \
    --link 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01 >/dev/null 2>>"$tmp/err"
  if [ -n "$id" ]; then echo "ok - exported a deployment to the JS receiver"
  else echo "not ok - exporting a deployment"; sed 's/^/# /' "$tmp/err"; fi
  sleep 0.3
  node "$src/check.js" "$tmp/got" "$id" 4bf92f3577b34da6a3ce929d0e0e4736
  kill $pid 2>/dev/null
} | awk '/^(not )?ok/ { n++; sub(/^ok/, "ok " n); sub(/^not ok/, "not ok " n) } { print } END { print "1.." n }'
