#!/bin/sh
# The ledger at its edges: files only its owner reads (0600, and 0700 for
# the directories it makes), every time int64 nanoseconds hold, leap
# seconds, and durations of centuries in `list'.
set -u
unset GITHUB_RUN_ID CI_PIPELINE_ID BUILD_ID BUILDKITE_BUILD_ID TRACEPARENT TRACESTATE
unset OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
. "$abs_top_srcdir/tests/lib/tap.sh"
umask 022
export DEPLOY_LEDGER_DB="$tmp/new/deeper/ledger.db"

id=$(deploy-ledger start --service checkout --version v1 --at 1677-09-21T00:12:44Z 2>"$tmp/err")
ok_if $? "a deployment started in 1677 is recorded" "$tmp/err"
mode() { stat -c %a "$1"; }
[ "$(mode "$tmp/new/deeper/ledger.db")" = 600 ]
ok_if $? "the ledger file is mode 600 whatever the umask ($(mode "$tmp/new/deeper/ledger.db"))"
ok=0
for f in "$tmp/new/deeper/ledger.db-wal" "$tmp/new/deeper/ledger.db-shm"; do
  [ ! -e "$f" ] || [ "$(mode "$f")" = 600 ] || ok=1
done
ok_if $ok "its WAL and shared-memory files too"
[ "$(mode "$tmp/new")" = 700 ] && [ "$(mode "$tmp/new/deeper")" = 700 ]
ok_if $? "the directories it made are 700 ($(mode "$tmp/new"), $(mode "$tmp/new/deeper"))"

deploy-ledger finish "$id" --status succeeded --at 2262-04-11T23:47:16Z >"$tmp/out" 2>"$tmp/err"
ok_if $? "finished in 2262: --at 2262-04-11T23:47:16Z fits in int64 nanoseconds" "$tmp/err"
deploy-ledger list >"$tmp/out" 2>"$tmp/err"
grep -q "1677-09-21T00:12:44Z *213503d23h$" "$tmp/out"
ok_if $? "list: from 1677 to 2262 lasts 213503d23h, not -3s" "$tmp/out" "$tmp/err"

deploy-ledger start --service checkout --version v2 --at 2262-04-11T23:47:17Z >"$tmp/out" 2>"$tmp/err"
st=$?
[ $st -ne 0 ] && grep -q "outside the range of nanosecond time" "$tmp/err"
ok_if $? "a second later is refused, saying why (exit $st)" "$tmp/err"

leap=$(deploy-ledger start --service checkout --version v3 --at 2016-12-31T23:59:60Z 2>"$tmp/err")
ok_if $? "23:59:60, a leap second RFC 3339 allows, is accepted" "$tmp/err"
deploy-ledger show "$leap" --json >"$tmp/out" 2>"$tmp/err"
grep -q '"started":"2017-01-01T00:00:00Z"' "$tmp/out"
ok_if $? "and read as the first second of the next minute, as POSIX time does" "$tmp/out" "$tmp/err"

done_testing
