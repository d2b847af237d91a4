#!/bin/sh
# A deployment's lifecycle from the command line: read-only commands never
# create a ledger; begin; stage transitions; exec around a command; the
# environment lines of --export-env and the id read back from them; the
# previous version by default; tracestate by the current W3C Level 2 text.
set -u
. "$abs_top_srcdir/tests/lib/tap.sh"
unset GITHUB_RUN_ID CI_PIPELINE_ID BUILD_ID BUILDKITE_BUILD_ID TRACEPARENT TRACESTATE
unset DEPLOY_LEDGER_DEPLOYMENT_ID
# DL_TEST_LEDGER: another ledger to run on (tests/shell/ledger-postgres.sh
# passes a PostgreSQL URL).
export DEPLOY_LEDGER_DB="${DL_TEST_LEDGER:-$tmp/ledger.db}" DEPLOY_LEDGER_ACTOR=ci-bot
dl=deploy-ledger
tid=4bf92f3577b34da6a3ce929d0e0e4736
pipeline="00-$tid-00f067aa0ba902b7-01"

# err_has DESCRIPTION TEXT: the stderr of the last check or status_is has TEXT.
err_has() {
  grep -qF -- "$2" "$tmp/err"
  ok_if $? "$1" "$tmp/err"
}

# --- Read-only commands read --------------------------------------------
missing="$tmp/typo/ledger.db"
for c in list "show 0000" "status 0000" "history 0000" dora spool flush \
         "correlate 0000 --traces $tmp"; do
  status_is "$c on a missing ledger is a storage error" 5 $dl $c --db "$missing"
  err_has "$c names the missing path" "$missing"
done
ok_if "$(test ! -e "$tmp/typo"; echo $?)" "no directory or file was created"
status_is "a mistyped DEPLOY_LEDGER_DB is not an empty ledger" 5 \
  env DEPLOY_LEDGER_DB="$tmp/ledgr.db" $dl list
ok_if "$(test ! -e "$tmp/ledgr.db"; echo $?)" "and was not created"
: >"$tmp/empty.db"
status_is "an empty file is not a ledger yet" 5 $dl list --db "$tmp/empty.db"
err_has "saying so" "is empty"
check "start creates the ledger" $dl start --service first --version 1 --db "$tmp/new/ledger.db"
check "then list reads it" sh -c "$dl list --db '$tmp/new/ledger.db' | grep -q '  first  '"

# --- begin ---------------------------------------------------------------
p=$($dl start --service web --version 1 --status pending --region us-east-1 --region eu-west-1)
check "begin: pending -> in-progress" sh -c "[ \"\$($dl begin $p)\" = '$p in-progress' ]"
check "status is in-progress" sh -c "[ \"\$($dl status $p)\" = in-progress ]"
status_is "begin twice is an invalid transition" 4 $dl begin $p
err_has "naming the deployment and both states" "deployment $p cannot go from in-progress to in-progress"
status_is "begin without an id or DEPLOY_LEDGER_DEPLOYMENT_ID is a usage error" 2 $dl begin
err_has "saying where the id may come from" "DEPLOY_LEDGER_DEPLOYMENT_ID"

# --- stage ---------------------------------------------------------------
check "stage: us-east-1 in-progress" $dl stage $p --region us-east-1 --status in-progress
ok_if "$(test ! -s "$tmp/err"; echo $?)" "a region of the deployment: no warning" "$tmp/err"
status_is "stage: in-progress again is refused" 4 $dl stage $p --region us-east-1 --status in-progress
err_has "naming the stage and both states" "stage us-east-1 of deployment $p cannot go from in-progress to in-progress"
check "stage: in-progress -> succeeded" $dl stage $p --region us-east-1 --status succeeded
status_is "stage: succeeded -> failed is refused" 4 $dl stage $p --region us-east-1 --status failed
check "stage: succeeded -> rolled-back" $dl stage $p --region us-east-1 --status rolled-back
check "stage: a name that is not a region is recorded" $dl stage $p --name eu-centrl-1 --status succeeded
err_has "with a warning naming the deployment's regions" \
  "eu-centrl-1 is not one of the regions of deployment $p (us-east-1, eu-west-1); recorded as a stage"
status_is "stage: --name and --region together are a usage error" 2 \
  $dl stage $p --name a --region b --status succeeded
check "stage takes the id from DEPLOY_LEDGER_DEPLOYMENT_ID" \
  env DEPLOY_LEDGER_DEPLOYMENT_ID=$p $dl stage --region eu-west-1 --status in-progress
check "finish too" \
  env DEPLOY_LEDGER_DEPLOYMENT_ID=$p $dl finish --status succeeded --reason green
status_is "stage after finish is refused" 4 \
  env DEPLOY_LEDGER_DEPLOYMENT_ID=$p $dl stage --region eu-west-1 --status succeeded
err_has "saying the deployment is finished" "is finished (succeeded at "
$dl history $p >"$tmp/history"
ok_if "$([ "$(grep -c ' stage ' "$tmp/history")" -eq 5 ]; echo $?)" \
  "history keeps the 5 accepted stage events and none of the refused" "$tmp/history"
$dl stage --help >"$tmp/stage-help"
for w in --name --region --status --at --export --db pending in-progress succeeded failed \
         rolled-back DEPLOY_LEDGER_DEPLOYMENT_ID; do
  grep -q -- "$w" "$tmp/stage-help" || echo "$w" >>"$tmp/stage-help-missing"
done
ok_if "$(test ! -e "$tmp/stage-help-missing"; echo $?)" \
  "stage --help lists every option and status" "$tmp/stage-help-missing"

# --- exec ----------------------------------------------------------------
check "exec: a command that succeeds" env TRACEPARENT="$pipeline" \
  $dl exec --service job --version 1 -- \
  sh -c 'echo "$TRACEPARENT $DEPLOY_LEDGER_DEPLOYMENT_ID" >"$0"' "$tmp/child1"
ok_if "$(test ! -s "$tmp/out"; echo $?)" "exec's stdout is the command's alone" "$tmp/out"
read -r tp1 id1 <"$tmp/child1"
check "the command saw the deployment's own traceparent and id" \
  sh -c "$dl show $id1 | grep -q '^traceparent: *$tp1\$'"
check "in the pipeline's trace, as a child span" \
  sh -c "echo '$tp1' | grep -q '^00-$tid-' && ! echo '$tp1' | grep -q 00f067aa0ba902b7"
check "the deployment succeeded: exit status 0" \
  sh -c "$dl history $id1 | grep -q ' status  *succeeded  *by ci-bot: exit status 0\$'"

# exec_fails DESCRIPTION STATUS REASON SCRIPT: exec of sh -c SCRIPT exits
# STATUS and the deployment failed with REASON.  SCRIPT first writes the
# deployment id it was given into a file, which the checks read back.
n_exec=0
exec_fails() {
  n_exec=$((n_exec + 1))
  idfile="$tmp/exec-id.$n_exec"
  status_is "exec: $1" "$2" $dl exec --service job --version "f$n_exec" -- \
    sh -c "echo \"\$DEPLOY_LEDGER_DEPLOYMENT_ID\" >'$idfile'; $4"
  check "the deployment failed: $3" \
    sh -c "[ \"\$($dl status \$(cat '$idfile'))\" = failed ] \
           && $dl history \$(cat '$idfile') | grep -q 'failed  *by ci-bot: $3\$'"
}
exec_fails "a failing command's exit status passes through" 3 "exit status 3" 'exit 3'
exec_fails "a command killed by SIGKILL exits 128+9" 137 "killed by signal 9 (SIGKILL)" \
  'kill -KILL $$'
# A SIGTERM sent to deploy-ledger (here by the command itself, to its
# parent) reaches the command, which decides what to do.  Should it not,
# the command ends by itself after 120 s with 99: the test fails, never hangs.
exec_fails "SIGTERM forwarded: the command's trap ran and its status is exec's" 42 \
  "exit status 42" \
  'trap "exit 42" TERM; kill -TERM $PPID; i=0; while [ $i -lt 120 ]; do sleep 1; i=$((i + 1)); done; exit 99'
exec_fails "SIGTERM forwarded to a command it kills: 128+15" 143 "killed by signal 15 (SIGTERM)" \
  'kill -TERM $PPID; sleep 120; exit 99'

status_is "exec: a command not found is 127" 127 $dl exec --service job --version 4 -- no-such-command-here
err_has "naming it" 'cannot run "no-such-command-here"'
check "and the deployment is recorded as failed" \
  sh -c "$dl list --service job --limit 1 | grep -q ' 4 .* failed '"

if [ -z "${DL_TEST_LEDGER:-}" ]; then # a copy of the file, read-only
  cp "$DEPLOY_LEDGER_DB" "$tmp/ro.db" && chmod 0444 "$tmp/ro.db"
  status_is "exec on a ledger it cannot write: storage error" 5 \
    $dl exec --db "$tmp/ro.db" --service job --version 8 -- touch "$tmp/ran"
  ok_if "$(test ! -e "$tmp/ran"; echo $?)" "and the command did not run"
fi

before=$($dl list --json | grep -o '"id":' | wc -l)
status_is "exec without -- COMMAND is a usage error" 2 $dl exec --service job --version 7
status_is "exec without --service is a usage error" 2 $dl exec --version 7 -- true
status_is "exec with --json (not a start option it takes) is a usage error" 2 \
  $dl exec --service job --version 7 --json -- true
after=$($dl list --json | grep -o '"id":' | wc -l)
ok_if "$([ "$before" -eq "$after" ]; echo $?)" "usage errors record nothing and run nothing"

# --- --export-env ----------------------------------------------------------
env TRACEPARENT="$pipeline" TRACESTATE="$(printf 'ci=gha\nINJECTED=1')" \
  $dl start --service envtest --version 1 --export-env >"$tmp/env1" 2>"$tmp/err"
ok_if $? "a hostile TRACESTATE does not stop the deployment being recorded" "$tmp/err"
ok_if "$(! grep -q INJECTED "$tmp/env1"; echo $?)" "nothing of it is written into the env file" "$tmp/env1"
ok_if "$(! grep -qv '^DEPLOY_LEDGER_[A-Z_]*=[0-9a-f-]*$' "$tmp/env1"; echo $?)" \
  "every line is one of ours, NAME=VALUE" "$tmp/env1"
err_has "a warning says TRACESTATE was ignored" "TRACESTATE ignored: invalid tracestate"
ok_if "$(! grep -q INJECTED "$tmp/err"; echo $?)" \
  "and does not echo the hostile value" "$tmp/err"
ok_if "$(grep -q "^DEPLOY_LEDGER_TRACEPARENT=00-$tid-" "$tmp/env1"; echo $?)" \
  "the deployment still continues the pipeline's trace" "$tmp/env1"
ok_if "$(! grep -q '^TRACE' "$tmp/env1"; echo $?)" \
  "without --as-parent, TRACEPARENT stays the pipeline's" "$tmp/env1"

# Without --as-parent, the next start of the job is the pipeline's child
# (here there is no pipeline: a new trace); with it, the deployment's.
$dl start --service a --version 1 --export-env >"$tmp/env2"
tp_a=$(sed -n 's/^DEPLOY_LEDGER_TRACEPARENT=//p' "$tmp/env2")
tp_b=$( (set -a; . "$tmp/env2"; $dl start --service b --version 1 --print-traceparent) )
ok_if "$([ "$(echo "$tp_a" | cut -d- -f2)" != "$(echo "$tp_b" | cut -d- -f2)" ]; echo $?)" \
  "a start after --export-env is not the deployment's child ($tp_a, $tp_b)"
$dl start --service a --version 2 --export-env --as-parent >"$tmp/env3"
tp_a=$(sed -n 's/^DEPLOY_LEDGER_TRACEPARENT=//p' "$tmp/env3")
ok_if "$(grep -qx "TRACEPARENT=$tp_a" "$tmp/env3" && grep -qx 'TRACESTATE=' "$tmp/env3"; echo $?)" \
  "--as-parent writes the deployment's TRACEPARENT (and an empty TRACESTATE)" "$tmp/env3"
tp_b=$( (set -a; . "$tmp/env3"; $dl start --service b --version 2 --print-traceparent) )
ok_if "$([ "$(echo "$tp_a" | cut -d- -f2)" = "$(echo "$tp_b" | cut -d- -f2)" ]; echo $?)" \
  "with --as-parent, the next start is in the deployment's trace ($tp_a, $tp_b)"
status_is "--as-parent without --export-env is a usage error" 2 \
  $dl start --service a --version 3 --as-parent

# --- previous version by default ------------------------------------------
pv() { $dl start --service pv --environment "$1" --version "$2" --at "$3"; }
v10=$(pv production 1.0 2024-01-01T00:00:00Z) && $dl finish $v10 --status succeeded --at 2024-01-01T00:10:00Z >/dev/null
v11=$(pv production 1.1 2024-01-02T00:00:00Z) && $dl finish $v11 --status failed --at 2024-01-02T00:10:00Z >/dev/null
s20=$(pv staging 2.0 2024-01-03T00:00:00Z) && $dl finish $s20 --status succeeded --at 2024-01-03T00:10:00Z >/dev/null
v12=$($dl start --service pv --version 1.2)
check "previous version: the last that succeeded in the environment (1.0; 1.1 failed, 2.0 is staging's)" \
  sh -c "$dl show $v12 --json | grep -q '\"previous-version\":\"1.0\"'"
check "the first in an environment has none" \
  sh -c "$dl show $s20 --json | grep -q '\"previous-version\":null'"
v13=$($dl start --service pv --version 1.3 --previous-version 0.9)
check "--previous-version wins" sh -c "$dl show $v13 --json | grep -q '\"previous-version\":\"0.9\"'"

# --- tracestate: the current W3C Level 2 text -----------------------------
# w3c/trace-context spec/, "Tracestate Header": "list" (at most 32
# members), "Key" (key = ( lcalpha / DIGIT ) 0*255( keychar ), keychar =
# lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@"), "Value", and "Combined
# Header Value" with "Mutating the tracestate Field" (a received duplicate
# does not invalidate the list; the first occurrence is kept).
tracestate_of() { # the tracestate a deployment started with TRACESTATE=$1 carries
  env TRACEPARENT="$pipeline" TRACESTATE="$1" \
    $dl start --service ts --version 1 --export-env 2>"$tmp/err" \
    | sed -n 's/^DEPLOY_LEDGER_TRACESTATE=//p'
}
k256=$(printf 'k%.0s' $(seq 256))
k257=$(printf 'k%.0s' $(seq 257))
ts_is() { # ts_is DESCRIPTION TRACESTATE EXPECTED
  got=$(tracestate_of "$2")
  ok_if "$([ "$got" = "$3" ]; echo $?)" "$1 (got \"$got\")" "$tmp/err"
}
ts_is "Key: foo@ is valid" "foo@=1" "foo@=1"
ts_is "Key: foo@@bar is valid" "foo@@bar=1" "foo@@bar=1"
ts_is "Key: a former tenant@system key is valid" "fw529a3039@dt=1" "fw529a3039@dt=1"
ts_is "Key: may begin with a digit" "0vendor=1" "0vendor=1"
ts_is "Key: 256 characters are valid" "$k256=1" "$k256=1"
ts_is "Key: 257 characters are not: the list is dropped" "$k257=1,rojo=2" ""
ts_is "Key: a key beginning with @ is not valid" "@vendor=1,rojo=2" ""
err_has "and a warning names the key" 'bad key "@vendor"'
ts_is "Key: upper case is not valid" "Rojo=1" ""
ts_is "duplicates: the first occurrence is kept" "rojo=1,congo=2,rojo=3" "rojo=1,congo=2"
ts_is "Value: '=' inside a value is not valid" "rojo=a=b" ""

done_testing
