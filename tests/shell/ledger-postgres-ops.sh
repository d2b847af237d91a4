#!/bin/sh
# A team ledger on PostgreSQL, what only a server brings: credentials the
# way libpq reads them and never shown; `migrate' SQLite -> PostgreSQL ->
# SQLite with identical `list --json' and `history'; two `flush' at once
# sending every span exactly once; the server restarted under writers.
set -u
unset GITHUB_RUN_ID CI_PIPELINE_ID BUILD_ID BUILDKITE_BUILD_ID TRACEPARENT TRACESTATE
unset DEPLOY_LEDGER_DB PGPASSWORD PGSERVICE PGSERVICEFILE PGPASSFILE PGHOST PGPORT PGUSER PGDATABASE
unset OTEL_EXPORTER_OTLP_TRACES_ENDPOINT OTEL_EXPORTER_OTLP_HEADERS OTEL_EXPORTER_OTLP_PROTOCOL
. "$abs_top_srcdir/tests/lib/tap.sh"
. "$abs_top_srcdir/tests/lib/postgres.sh"
pg_start
dl=deploy-ledger
secret=open-sesame-42
err_has() { grep -qF -- "$2" "$tmp/err"; ok_if $? "$1" "$tmp/err"; }
err_lacks() { ! grep -qF -- "$2" "$tmp/err" "$tmp/out"; ok_if $? "$1" "$tmp/err"; }

# --- Credentials ----------------------------------------------------------
creds=$(pg_url creds)
hostport=127.0.0.1:$pg_port
check "a password in the URL opens the ledger" \
  $dl start --db "postgresql://guarded:$secret@$hostport/creds" --service auth --version 1
status_is "a wrong password: storage error" 5 \
  $dl list --db "postgresql://guarded:wrong-guess-7@$hostport/creds"
err_has "naming the URL without its password" "postgresql://guarded:***@$hostport/creds"
err_lacks "and never the password" "wrong-guess-7"
check "PGPASSWORD, as libpq reads it" \
  env PGPASSWORD=$secret $dl list --db "postgresql://guarded@$hostport/creds"
mkdir -p "$tmp/home"
printf '127.0.0.1:%s:creds:guarded:%s\n' "$pg_port" "$secret" >"$tmp/home/.pgpass"
chmod 0600 "$tmp/home/.pgpass"
check "~/.pgpass, as libpq reads it" \
  env HOME="$tmp/home" $dl list --db "postgresql://guarded@$hostport/creds"
printf '[team-ledger]\nhost=127.0.0.1\nport=%s\ndbname=creds\nuser=guarded\npassword=%s\n' \
  "$pg_port" "$secret" >"$tmp/home/.pg_service.conf"
check "PGSERVICE, as libpq reads it" \
  env HOME="$tmp/home" PGSERVICE=team-ledger $dl list --db "postgresql:///creds"
check "postgres:// is PostgreSQL too" $dl list --db "postgres://dl@$hostport/creds"
status_is "a server that is not there: storage error" 5 \
  $dl list --db "postgresql://guarded:$secret@127.0.0.1:1/creds?connect_timeout=5"
err_lacks "without the password" "$secret"
status_is "a database without a ledger is not an empty ledger" 5 \
  $dl list --db "$(pg_url nothing)"
err_has "and says what to do" "create the ledger by recording a deployment"

# --- migrate both ways ----------------------------------------------------
export DEPLOY_LEDGER_DB="$tmp/source.db" DEPLOY_LEDGER_ACTOR=ci-bot
# An endpoint configured: each event spools its span (sent by flush).
export OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:1" OTEL_EXPORTER_OTLP_TIMEOUT=300
a=$($dl start --service checkout --version v2 --previous-version v1 --type canary \
      --region us-east-1 --region eu-west-1 --commit 9fceb02 --attr team=payments \
      --at 2024-01-15T10:00:00Z)
$dl stage "$a" --region us-east-1 --status succeeded --at 2024-01-15T10:05:00Z
$dl finish "$a" --status succeeded --reason "canary healthy" --at 2024-01-15T10:30:00Z >/dev/null
b=$(TRACEPARENT=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 TRACESTATE=vendor=x \
    $dl start --service api --version 7 --at 2024-01-16T09:00:00Z)
$dl finish "$b" --status failed --reason "p99 doubled" --at 2024-01-16T09:20:00Z >/dev/null
c=$($dl start --service api --version 8 --status pending --at 2024-01-17T09:00:00Z)
spooled=$($dl spool --json | grep -o '"deployment-id"' | wc -l)
check "the SQLite ledger has three deployments and spooled spans" \
  sh -c "[ \$($dl list --json | grep -o '\"id\":' | wc -l) -eq 3 ] && [ $spooled -ge 5 ]"

snapshot() { # snapshot LEDGER FILE: list --json, each history, the spool
  { $dl list --json --db "$1"
    for i in $a $b $c; do $dl history "$i" --db "$1"; $dl show "$i" --json --db "$1"; done
    $dl spool --json --db "$1" | sed 's/"next-attempt":[^,}]*//g'
  } >"$2"
}
snapshot "$tmp/source.db" "$tmp/source.txt"
team=$(pg_url team)
$dl migrate --to "$team" >"$tmp/migrate.out" 2>&1
ok_if $? "migrate --to a PostgreSQL URL" "$tmp/migrate.out"
check "says what it copied" grep -F "copied 3 deployments (7 history entries, $spooled spooled, 0 dead letters)" "$tmp/migrate.out"
snapshot "$team" "$tmp/team.txt"
check "list --json, history, show and spool are identical on PostgreSQL" \
  cmp "$tmp/source.txt" "$tmp/team.txt"
check "the trace context came across: the same traceparent" \
  sh -c "$dl show $b --db '$team' --json | grep -q '4bf92f3577b34da6a3ce929d0e0e4736'"
check "and back: migrate from PostgreSQL into a new SQLite file" \
  $dl migrate --db "$team" --to "$tmp/back.db"
snapshot "$tmp/back.db" "$tmp/back.txt"
check "identical again" cmp "$tmp/source.txt" "$tmp/back.txt"
status_is "a target that is not empty is refused" 5 $dl migrate --to "$team"
err_has "saying what is there and how to go on" "--force"
check "with --force, what is already there is left as it was" \
  sh -c "$dl migrate --to '$team' --force --json | grep -q '\"skipped\":3'"
d=$($dl start --service search --version 1)
check "--force adds what the target lacks" \
  sh -c "$dl migrate --to '$team' --force --json | grep -q '\"deployments\":1' && $dl show $d --db '$team' | grep -q search"
check "and new deployments after a copy get new history numbers" \
  sh -c "$dl start --db '$team' --service late --version 1 >/dev/null && [ \$($dl list --db '$team' --json | grep -o '\"id\":' | wc -l) -eq 5 ]"

# --- two flushes at once, one receiver ------------------------------------
sink="$abs_top_builddir/tests/c/otlp-sink"
if [ -x "$sink" ]; then
  spool=$(pg_url spool)
  n=120
  guile -c "(use-modules (deploy-ledger ledger) (deploy-ledger core types) (rnrs bytevectors))
    (call-with-ledger
      (lambda (l)
        (do ((i 0 (+ i 1))) ((= i $n))
          (let ((d (make-deployment-event #:service-name \"svc\" #:version (number->string i))))
            (record-deployment! l d #:spool
              (list (list (string->utf8 (string-append \"span-of-\" (deployment-event-id d) \"-end\"))
                          \"application/x-protobuf\" 1))))))
      \"$spool\")" 2>"$tmp/fill.err"
  check "$n spans spooled" sh -c "[ \$($dl spool --db '$spool' --json | grep -o '\"deployment-id\"' | wc -l) -eq $n ]"
  rm -f "$tmp/port"; mkdir -p "$tmp/sink"
  "$sink" "$tmp/port" "$tmp/sink" & sink_pid=$!
  at_exit "kill $sink_pid 2>/dev/null"
  wait_for_file "$tmp/port"
  export OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$(cat "$tmp/port")" OTEL_EXPORTER_OTLP_TIMEOUT=10000
  $dl flush --db "$spool" >"$tmp/f1" 2>&1 & f1=$!
  $dl flush --db "$spool" >"$tmp/f2" 2>&1 & f2=$!
  $dl flush --db "$spool" >"$tmp/f3" 2>&1 & f3=$!
  wait $f1; s1=$?; wait $f2; s2=$?; wait $f3; s3=$?
  ok_if "$(test $s1 -eq 0 && test $s2 -eq 0 && test $s3 -eq 0; echo $?)" \
    "three flush processes at once all succeed" "$tmp/f1" "$tmp/f2" "$tmp/f3"
  check "the spool is empty" sh -c "[ \$($dl spool --db '$spool' --json | grep -o '\"deployment-id\"' | wc -l) -eq 0 ]"
  check "the receiver got $n requests, no more" sh -c "[ \$(ls '$tmp/sink' | wc -l) -eq $n ]"
  $dl list --db "$spool" --json | grep -o '"id":"[^"]*"' | cut -d'"' -f4 >"$tmp/ids"
  dup=0
  while read -r i; do
    [ "$(grep -l -F "span-of-$i-end" "$tmp/sink"/*.bin | wc -l)" -eq 1 ] || dup=$((dup + 1))
  done <"$tmp/ids"
  ok_if "$dup" "every span was sent exactly once ($dup not)"
  kill $sink_pid 2>/dev/null; wait $sink_pid 2>/dev/null
fi
export OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:1"

# --- the server restarted under writers -----------------------------------
live=$(pg_url live)
export DEPLOY_LEDGER_DB="$live"
writer() { # writer N: N deployments, started then finished, each result logged
  i=0
  while [ $i -lt "$1" ]; do
    if id=$($dl start --service w --version "$i" 2>>"$tmp/w.err"); then
      echo "started $id" >>"$tmp/w.log"
      if $dl finish "$id" --status succeeded >/dev/null 2>>"$tmp/w.err"; then
        echo "finished $id" >>"$tmp/w.log"
      else
        echo "finish-failed $? $id" >>"$tmp/w.log"
      fi
    else
      echo "start-failed $?" >>"$tmp/w.log"
    fi
    i=$((i + 1))
  done
}
: >"$tmp/w.log"; : >"$tmp/w.err"
writer 24 & w=$!
# Restart once the writer is under way, and again a little later.
tries=0
while [ "$(grep -c started "$tmp/w.log")" -lt 8 ] && [ $tries -lt 600 ]; do sleep 0.1; tries=$((tries + 1)); done
pg_restart
sleep 0.5
pg_restart
wait $w
check "the server is back" $dl list --limit 1
failed=$(grep -c -- '-failed' "$tmp/w.log")
diag <"$tmp/w.log" >/dev/null
ok_if "$(grep -- '-failed' "$tmp/w.log" | grep -v -- '-failed 5' | wc -l)" \
  "every command the restart stopped failed with exit status 5 ($failed did)" "$tmp/w.log"
ok_if "$(grep -v -e 'connection to the server was lost' -e 'terminating connection' \
          -e 'Connection refused' -e 'cannot connect' -e 'the database system is' \
          -e 'server closed the connection' -e '^$' "$tmp/w.err" | grep -c .)" \
  "with a message naming the lost server" "$tmp/w.err"
err_lacks_all=$(grep -c "$live" "$tmp/w.err")
ok_if "$(test "$failed" -eq 0 || test "$err_lacks_all" -gt 0; echo $?)" "and the ledger's URL" "$tmp/w.err"
missing=0
for i in $(grep '^started' "$tmp/w.log" | cut -d' ' -f2); do
  $dl status "$i" >/dev/null 2>&1 || missing=$((missing + 1))
done
ok_if "$missing" "every start acknowledged is in the ledger ($missing missing)"
bad=0
for i in $(grep '^finished' "$tmp/w.log" | cut -d' ' -f2); do
  [ "$($dl status "$i" 2>/dev/null)" = succeeded ] || bad=$((bad + 1))
done
ok_if "$bad" "every finish acknowledged is recorded ($bad not)"
partial=$(pg_psql live "SELECT count(*) FROM deploy_ledger.deployments d WHERE NOT EXISTS
  (SELECT 1 FROM deploy_ledger.history h WHERE h.deployment_id = d.id AND h.kind = 'created')")
ok_if "$partial" "no deployment without its created entry: nothing half-written ($partial)"
done_testing
