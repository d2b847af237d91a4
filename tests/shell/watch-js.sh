#!/bin/sh
# deploy-ledger watch end to end: the official OpenTelemetry JS SDK
# (installed from npm into the build tree) sends live spans of checkout v1
# and a canary v2 to watch's receiver; the example policy of the manual
# (its alert URL and rollback program pointed at this test's) alerts and
# rolls back a regressed canary exactly once, across a restart of watch,
# and leaves a clean canary alone until the timeout.  Skipped, saying so,
# only when npm cannot install the packages.
set -u
unset GITHUB_RUN_ID CI_PIPELINE_ID BUILD_ID BUILDKITE_BUILD_ID TRACEPARENT TRACESTATE
unset OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
. "$abs_top_srcdir/tests/lib/tap.sh"
sender= sink=
at_exit 'for p in $sender $sink; do kill $p 2>/dev/null; done'
src="$abs_top_srcdir/tests/js/watch"
. "$abs_top_srcdir/tests/lib/js-packages.sh"
js_packages "$src" "$abs_top_builddir/tests/js-watch"
# Started with env, not through a shell function: a function run in the
# background is a subshell with this script's traps, whose cleanup would
# remove $tmp when it is killed.
node="env -u LD_PRELOAD node"
export DEPLOY_LEDGER_DB="$tmp/ledger.db"

# The alert receiver, and the rollback program (it records each call).
$node "$src/alert-sink.js" "$tmp/sink.port" "$tmp/alerts.log" >"$tmp/sink.err" 2>&1 & sink=$!
wait_for_file "$tmp/sink.port" 30 || { echo "Bail out! the alert receiver did not start"; exit 1; }
: >"$tmp/alerts.log"
cat >"$tmp/rollback.sh" <<EOF
#!/bin/sh
echo "rolling back \$1 to \$2"
echo "\$@" >>"$tmp/rollback.calls"
EOF
chmod +x "$tmp/rollback.sh"
: >"$tmp/rollback.calls"
# The manual's example policy, exactly, but for the two addresses.
sed -e "s|http://127.0.0.1:9099/alert|http://127.0.0.1:$(cat "$tmp/sink.port")/alert|" \
    -e "s|/usr/local/bin/rollback.sh|$tmp/rollback.sh|" \
    "$abs_top_srcdir/examples/watch-policy.scm" >"$tmp/policy.scm"
# The same with its first rule only: the restart below.
sed -e '/the judge fails the canary/,$d' "$tmp/policy.scm" >"$tmp/alert-only.scm"
echo "  ))" >>"$tmp/alert-only.scm"

# watch_with REGRESSED ID POLICY TIMEOUT: watch ID with POLICY, the JS
# SDK sending to its receiver meanwhile (started first, so that node's
# start-up, slow on a loaded machine, is not part of the watch's time);
# its status in $tmp/watch.status.
free_port() {
  $node -e "const s = require('net').createServer();
            s.listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); });"
}
watch_with() {
  port=$(free_port)
  rm -f "$tmp/sender.ready"
  $node "$src/canary.js" "http://127.0.0.1:$port" 100 "$1" "$tmp/sender.ready" \
    >"$tmp/sender.err" 2>&1 & sender=$!
  wait_for_file "$tmp/sender.ready" 120 || diag "$tmp/sender.err"
  deploy-ledger watch "$2" --listen "127.0.0.1:$port" --policy "$3" --interval 1s \
    --timeout "$4" --min-requests 20 >"$tmp/watch.out" 2>"$tmp/watch.err"
  echo $? >"$tmp/watch.status"
  kill $sender 2>/dev/null; wait $sender 2>/dev/null; sender=
}

env_of() { sed -n "s/^$1=//p" "$tmp/start.env"; }

# A regressed canary.
deploy-ledger start --service checkout --version v2 --previous-version v1 --type canary \
  --export-env >"$tmp/start.env" 2>"$tmp/err"
id=$(env_of DEPLOY_LEDGER_DEPLOYMENT_ID) tp=$(env_of DEPLOY_LEDGER_TRACEPARENT)
[ -n "$id" ] && [ -n "$tp" ]
ok_if $? "a canary deployment of checkout v2 is recorded" "$tmp/err"

# First the alert rule alone, to its timeout: one alert.
watch_with 1 "$id" "$tmp/alert-only.scm" 8s
[ "$(cat "$tmp/watch.status")" = 0 ]
ok_if $? "watch with the alert rule alone runs to its timeout, exit 0" "$tmp/watch.out" "$tmp/watch.err"
grep -q '| v1: [0-9]* req, p99 [0-9.]* ms, errors [0-9.]*% | v2: [0-9]* req, p99 [0-9.]* ms' "$tmp/watch.out"
ok_if $? "a live status line per interval: requests, p99 and error rate per version" "$tmp/watch.out"
[ "$(wc -l <"$tmp/alerts.log")" -eq 1 ]
ok_if $? "the p99 regression alerted once" "$tmp/alerts.log" "$tmp/watch.err"

# Then the whole policy: the alert rule has fired already, the judge's
# fails the canary and rolls it back.
watch_with 1 "$id" "$tmp/policy.scm" 60s
status=$(cat "$tmp/watch.status")
[ "$status" = 20 ]
ok_if $? "watch with the example policy rolls the canary back: exit 20 (got $status)" "$tmp/watch.out" "$tmp/watch.err"
[ "$(cat "$tmp/rollback.calls")" = "checkout v1" ]
ok_if $? "the rollback command ran exactly once, with its arguments, no shell" "$tmp/rollback.calls"
[ "$(wc -l <"$tmp/alerts.log")" -eq 1 ]
ok_if $? "the restarted watch did not alert again" "$tmp/alerts.log"
grep -q "\"traceparent\":\"$tp\"" "$tmp/alerts.log" \
  && grep -q '\\"rule\\":\\"p99 regression\\"' "$tmp/alerts.log" \
  && grep -q "\\\\\"id\\\\\":\\\\\"$id\\\\\"" "$tmp/alerts.log"
ok_if $? "the alert carried the deployment's traceparent, its id and the rule" "$tmp/alerts.log"
deploy-ledger status "$id" >"$tmp/status.out" 2>&1
grep -q 'rolled-back' "$tmp/status.out"
ok_if $? "the ledger shows the deployment rolled-back" "$tmp/status.out"
deploy-ledger history "$id" >"$tmp/history.out" 2>&1
grep 'rolled-back' "$tmp/history.out" | grep -q 'rule \\\?"the judge fails the canary'
ok_if $? "with the rule as the reason" "$tmp/history.out"
grep -q 'deploy_ledger.rollback.*exited 0.*rolling back checkout to v1' "$tmp/history.out"
ok_if $? "the rollback's status and output are in the ledger" "$tmp/history.out"
[ "$(grep -c 'deploy_ledger.policy.fired' "$tmp/history.out")" -eq 2 ]
ok_if $? "each rule's firing is recorded once" "$tmp/history.out"

# Watching an ended deployment stops at once, firing nothing.
watch_with 1 "$id" "$tmp/policy.scm" 30s
[ "$(cat "$tmp/watch.status")" = 0 ] && grep -q 'watch ended: ended after 0 intervals' "$tmp/watch.out" \
  && [ "$(cat "$tmp/rollback.calls")" = "checkout v1" ]
ok_if $? "a watch of the rolled-back deployment ends at once without acting" "$tmp/watch.out"

# A clean canary (v2 again, now as fast as v1): to the timeout, no
# alert, no rollback, exit 0.
deploy-ledger start --service checkout --version v2 --previous-version v1 --type canary \
  --export-env >"$tmp/start.env" 2>"$tmp/err"
id=$(env_of DEPLOY_LEDGER_DEPLOYMENT_ID)
watch_with 0 "$id" "$tmp/policy.scm" 8s
[ "$(cat "$tmp/watch.status")" = 0 ] && grep -q 'watch ended: timeout' "$tmp/watch.out"
ok_if $? "a clean canary runs to the timeout, exit 0" "$tmp/watch.out" "$tmp/watch.err"
grep -q 'verdict pass' "$tmp/watch.out"
ok_if $? "judged pass while it ran" "$tmp/watch.out"
[ "$(wc -l <"$tmp/alerts.log")" -eq 1 ] && [ "$(cat "$tmp/rollback.calls")" = "checkout v1" ]
ok_if $? "no alert and no rollback for it" "$tmp/alerts.log" "$tmp/rollback.calls"
deploy-ledger status "$id" >"$tmp/status.out" 2>&1
grep -q 'in-progress' "$tmp/status.out"
ok_if $? "it is still in progress in the ledger" "$tmp/status.out"
done_testing
