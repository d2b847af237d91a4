#!/bin/sh
# The deploy-ledger command end to end, with its exit statuses.
set -u
unset GITHUB_RUN_ID CI_PIPELINE_ID BUILD_ID BUILDKITE_BUILD_ID
. "$abs_top_srcdir/tests/lib/tap.sh"
# DL_TEST_LEDGER: another ledger to run on (tests/shell/ledger-postgres.sh
# passes a PostgreSQL URL).
export DEPLOY_LEDGER_DB="${DL_TEST_LEDGER:-$tmp/ledger.db}" DEPLOY_LEDGER_ACTOR=ci-bot
unset TRACEPARENT TRACESTATE
dl=deploy-ledger
tid=4bf92f3577b34da6a3ce929d0e0e4736

id=$($dl start --service checkout --version v2.4.0 --previous-version v2.3.9 --type canary \
      --environment production --region us-east-1 --region eu-west-1 --commit 9fceb02 \
      --attr team=payments --attr ticket=OPS-7 --at 2024-01-15T10:30:00Z)
check "start prints a UUIDv7 id" sh -c "echo '$id' | grep -Eq '^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'"
check "status is in-progress" sh -c "[ \"\$($dl status $id)\" = in-progress ]"
check "finish by unique prefix" $dl finish "$(echo "$id" | cut -c1-13)" --status succeeded --reason "all green" --at 2024-01-15T10:42:05Z
check "status is succeeded" sh -c "[ \"\$($dl status $id)\" = succeeded ]"
$dl list >"$tmp/list"
check "list: header and the row, aligned" sh -c "head -1 '$tmp/list' | grep -q '^ID  *SERVICE  *VERSION  *ENVIRONMENT  *TYPE  *STATUS  *STARTED  *DURATION$' && grep -q '^$id  checkout  v2.4.0 .* canary  succeeded  2024-01-15T10:30:00Z  12m05s$' '$tmp/list'"
$dl show $id >"$tmp/show"
check "show names the regions, attributes and traceparent" sh -c "grep -q '^regions: *us-east-1 eu-west-1$' '$tmp/show' && grep -q '^attributes: *team=payments ticket=OPS-7$' '$tmp/show' && grep -Eq '^traceparent: *00-[0-9a-f]{32}-[0-9a-f]{16}-03$' '$tmp/show'"
$dl history $id >"$tmp/history"
check "history: created, two attributes, the transition with actor and reason" sh -c "[ \$(wc -l < '$tmp/history') -eq 4 ] && grep -q 'status *succeeded *by ci-bot: all green' '$tmp/history'"
$dl show $id --json >"$tmp/show.json"
check "show --json" sh -c "grep -q '\"status\":\"succeeded\"' '$tmp/show.json' && grep -q '\"attributes\":{\"team\":\"payments\",\"ticket\":\"OPS-7\"}' '$tmp/show.json' && grep -q '\"regions\":\\[\"us-east-1\",\"eu-west-1\"\\]' '$tmp/show.json'"

# CI: a pipeline's TRACEPARENT makes the deployment a child of its trace.
TRACEPARENT="00-$tid-00f067aa0ba902b7-01" TRACESTATE=ci=gha $dl start --service api --version 7 --export-env >"$tmp/env"
check "--export-env lines continue the pipeline's trace" sh -c "grep -Eq '^DEPLOY_LEDGER_DEPLOYMENT_ID=[0-9a-f-]{36}$' '$tmp/env' && grep -Eq '^DEPLOY_LEDGER_TRACEPARENT=00-$tid-[0-9a-f]{16}-01$' '$tmp/env' && ! grep -q 00f067aa0ba902b7 '$tmp/env' && grep -q '^DEPLOY_LEDGER_TRACESTATE=ci=gha$' '$tmp/env' && ! grep -q '^TRACE' '$tmp/env'"
api=$(sed -n 's/^DEPLOY_LEDGER_DEPLOYMENT_ID=//p' "$tmp/env")
tp=$(sed -n 's/^DEPLOY_LEDGER_TRACEPARENT=//p' "$tmp/env")
check "show gives the same traceparent later" sh -c "$dl show $api | grep -q 'traceparent: *$tp'"
tp2=$($dl start --service web --version 1 --print-traceparent)
check "--print-traceparent prints only the traceparent" sh -c "echo '$tp2' | grep -Eq '^00-[0-9a-f]{32}-[0-9a-f]{16}-03$'"
check "--json start" sh -c "$dl start --service db --version 3 --json | grep -q '\"service\":\"db\"'"
check "the CI run id becomes cicd.pipeline.run.id" sh -c "GITHUB_RUN_ID=777 $dl start --service ci --version 1 --json | grep -q '\"cicd.pipeline.run.id\":\"777\"'"

$dl list --json >"$tmp/list.json"
check "list --json is an array of 5 objects" sh -c "[ \$(grep -o '\"id\":' '$tmp/list.json' | wc -l) -eq 5 ] && head -c1 '$tmp/list.json' | grep -q '\\['"
check "list --limit 1 --service api" sh -c "[ \$($dl list --limit 1 --service api | wc -l) -eq 2 ]"
check "list --status succeeded" sh -c "[ \$($dl list --status succeeded | wc -l) -eq 2 ]"
$dl dora --since 3650d --json >"$tmp/dora.json"
check "dora --json" sh -c "grep -q '\"service\":\"checkout\"' '$tmp/dora.json' && grep -q '\"change-failure-rate\":0' '$tmp/dora.json'"
check "dora table" sh -c "$dl dora --since 3650d | grep -q '^checkout '"
check "--help for each command" sh -c "for c in start begin finish stage exec status list show history dora; do $dl \$c --help | grep -q \"Usage: deploy-ledger \$c\" || exit 1; done"
check "stage" $dl stage $api --region eu-west-1 --status succeeded

# Exit statuses.
status_is "invalid transition" 4 $dl finish $id --status failed
status_is "unknown id" 3 $dl status ffffffff-0000
status_is "unknown status" 2 $dl finish $api --status done
status_is "unknown type" 2 $dl start --service a --version 1 --type big-bang
status_is "malformed --attr" 2 $dl start --service a --version 1 --attr noequals
status_is "missing --version" 2 $dl start --service a
status_is "unknown option" 2 $dl list --colour
status_is "unknown command" 2 $dl frobnicate
status_is "bad --at timestamp" 2 $dl start --service a --version 1 --at 2024-13-01T00:00:00Z
check "messages go to stderr, naming the value" sh -c "$dl start --service a --version 1 --type big-bang 2>&1 >/dev/null | grep -q big-bang"

# Bad ledger files.
printf 'my notes\n' >"$tmp/notes.txt"
cp "$tmp/notes.txt" "$tmp/notes.orig"
status_is "a file that is not SQLite is a storage error" 5 $dl list --db "$tmp/notes.txt"
check "and it is untouched" cmp "$tmp/notes.txt" "$tmp/notes.orig"
if [ -z "${DL_TEST_LEDGER:-}" ]; then # a copy of the file, read-only
  cp "$DEPLOY_LEDGER_DB" "$tmp/ro.db" && chmod 0444 "$tmp/ro.db"
  check "a read-only ledger can be listed" sh -c "$dl list --db '$tmp/ro.db' | grep -q checkout"
  status_is "writing a read-only ledger is a storage error" 5 $dl start --db "$tmp/ro.db" --service a --version 1
  cp "$tmp/err" "$tmp/ro.err"
  check "naming it read-only" grep -q "read-only" "$tmp/ro.err"
fi
done_testing
