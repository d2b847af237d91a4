# A PostgreSQL 15 server of the test's own, for the shell tests.  Source
# it after tap.sh, then call pg_start:
#
#   . "$abs_top_srcdir/tests/lib/postgres.sh"
#   pg_start                 # or skip_all when PostgreSQL is not installed
#
# pg_start makes a cluster with initdb in a temporary directory (as the
# user `nobody' when running as root: the server refuses root), starts it
# on 127.0.0.1 on a free port, and stops it and removes the directory
# when the test exits.  It sets:
#
#   pg_base    the server's URL without a database (postgresql://dl@127.0.0.1:PORT),
#              also exported as DL_TEST_PG for the C tests
#   pg_url NAME    prints the URL of database NAME, created empty
#   pg_psql DB SQL runs SQL on database DB, unaligned output
#   pg_restart     stops the server (fast: sessions are cut) and starts it again
#
# Authentication is `trust' on the loopback, except for the role
# `guarded', which needs its password (scram-sha-256): the tests of
# credentials use it.

pg_bin=/usr/lib/postgresql/15/bin

# The server's programs run without the sanitizer build's ASan preload
# (it is for deploy-ledger's own code, not PostgreSQL's).
pg_as() {
  if [ "$(id -u)" -eq 0 ]; then env -u LD_PRELOAD runuser -u nobody -- "$@"; else env -u LD_PRELOAD "$@"; fi
}

pg_free_port() {
  guile -c '(let ((s (socket PF_INET SOCK_STREAM 0)))
              (bind s AF_INET INADDR_LOOPBACK 0)
              (display (sockaddr:port (getsockname s))))'
}

pg_start() {
  [ -x "$pg_bin/initdb" ] && [ -x "$pg_bin/pg_ctl" ] \
    || skip_all "PostgreSQL 15 is not installed (Debian: postgresql-15; ./setup --tests installs it)"
  pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/dl-pg.XXXXXX") || { echo "Bail out! no directory for PostgreSQL"; exit 1; }
  [ "$(id -u)" -eq 0 ] && chown nobody "$pg_dir"
  at_exit 'pg_stop; rm -rf "$pg_dir"'
  pg_as "$pg_bin/initdb" -D "$pg_dir/data" -U dl -A trust -E UTF8 --locale=C.UTF-8 \
    >"$pg_dir/initdb.log" 2>&1 \
    || { diag "$pg_dir/initdb.log"; echo "Bail out! initdb failed"; exit 1; }
  printf 'host all guarded 127.0.0.1/32 scram-sha-256\n%s\n' \
    "$(cat "$pg_dir/data/pg_hba.conf")" > "$pg_dir/hba" && cp "$pg_dir/hba" "$pg_dir/data/pg_hba.conf"
  [ "$(id -u)" -eq 0 ] && chown nobody "$pg_dir/data/pg_hba.conf"
  for pg_try in 1 2 3 4 5; do
    pg_port=$(pg_free_port)
    pg_server_start && break
    pg_port=
  done
  [ -n "$pg_port" ] || { diag "$pg_dir/server.log"; echo "Bail out! PostgreSQL did not start"; exit 1; }
  pg_base="postgresql://dl@127.0.0.1:$pg_port"
  DL_TEST_PG=$pg_base
  export DL_TEST_PG
  pg_psql postgres "CREATE ROLE guarded LOGIN SUPERUSER PASSWORD 'open-sesame-42'" >/dev/null
}

pg_server_start() {
  # fsync off: the tests crash clients, never the machine.
  pg_as "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
    -o "-k $pg_dir -p $pg_port -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60" \
    start >/dev/null 2>&1
}

pg_stop() {
  [ -n "${pg_dir:-}" ] && [ -f "$pg_dir/data/postmaster.pid" ] \
    && pg_as "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate -w -t 60 stop >/dev/null 2>&1
  return 0
}

pg_restart() {
  pg_as "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w -t 60 stop >/dev/null 2>&1
  pg_server_start
}

pg_psql() {
  env -u LD_PRELOAD PGOPTIONS="-c client_min_messages=warning" "$pg_bin/psql" -X -q -A -t -v ON_ERROR_STOP=1 "$pg_base/$1" -c "$2"
}

pg_url() {
  pg_psql postgres "DROP DATABASE IF EXISTS $1" >/dev/null \
    && pg_psql postgres "CREATE DATABASE $1" >/dev/null \
    && echo "$pg_base/$1"
}
