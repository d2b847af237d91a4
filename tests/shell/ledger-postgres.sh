#!/bin/sh
# The ledger's own tests again, on a PostgreSQL ledger: the C tests (a new
# database per ledger), the Scheme tests and the command's end-to-end
# tests, against a PostgreSQL 15 server this test starts on 127.0.0.1.
set -u
. "$abs_top_srcdir/tests/lib/tap.sh"
. "$abs_top_srcdir/tests/lib/postgres.sh"
unset DEPLOY_LEDGER_DB PGPASSWORD PGSERVICE PGHOST PGPORT PGUSER PGDATABASE
pg_start

# run_tap DESCRIPTION COMMAND...: ok when COMMAND's TAP has a plan, no
# "not ok", and it exits 0; else its failures are the diagnostics.
run_tap() {
  tap_description=$1
  shift
  "$@" >"$tmp/tap" 2>"$tmp/tap.err"
  tap_rc=$?
  tap_plan=$(grep -E '^1\.\.[0-9]+' "$tmp/tap" | tail -n 1)
  tap_total=${tap_plan#1..}
  if [ "$tap_rc" -eq 0 ] && [ -n "$tap_plan" ] && [ "${tap_total%% *}" -gt 0 ] \
       && ! grep -q '^not ok' "$tmp/tap"; then
    ok_if 0 "$tap_description: ${tap_total%% *} tests"
  else
    grep -A4 '^not ok' "$tmp/tap" >"$tmp/tap.failed"
    ok_if 1 "$tap_description (exit $tap_rc, plan '${tap_plan}')" "$tmp/tap.failed" "$tmp/tap.err"
  fi
}

run_tap "tests/c/test-ledger on PostgreSQL" "$abs_top_builddir/tests/c/test-ledger"
run_tap "tests/c/test-ledger-processes on PostgreSQL (8 x 200 at once, one SIGKILLed)" \
  "$abs_top_builddir/tests/c/test-ledger-processes"
run_tap "tests/c/test-spool on PostgreSQL (dead letters, requeue, purge)" \
  "$abs_top_builddir/tests/c/test-spool"
run_tap "tests/scheme/ledger.scm on PostgreSQL" \
  env DL_TEST_LEDGER="$(pg_url scheme_ledger)" \
  guile --no-auto-compile -L "$abs_top_srcdir/tests/lib" "$abs_top_srcdir/tests/scheme/ledger.scm"
run_tap "tests/shell/cli.sh on PostgreSQL" \
  env DL_TEST_LEDGER="$(pg_url cli)" sh "$abs_top_srcdir/tests/shell/cli.sh"
run_tap "tests/shell/lifecycle.sh on PostgreSQL" \
  env DL_TEST_LEDGER="$(pg_url lifecycle)" sh "$abs_top_srcdir/tests/shell/lifecycle.sh"
done_testing
