/* Where a C test's ledgers live: SQLite files in a temporary directory,
   or, when DL_TEST_PG names a PostgreSQL server (a URL without a
   database, as tests/lib/postgres.sh exports it), one new database per
   ledger on it.  The same test then runs against either backend. */
#ifndef DL_TEST_LEDGER_LOCATION_H
#define DL_TEST_LEDGER_LOCATION_H

#include <ctype.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The server's base URL, or NULL for SQLite files. */
static inline const char *
dl_test_pg(void)
{
  const char *base = getenv("DL_TEST_PG");
  return base && *base ? base : NULL;
}

static inline void
dl_test_pg_quiet(void *arg, const char *message)
{
  (void) arg;
  (void) message;
}

/* Runs SQL on database DB of the test server; 0 on success. */
static inline int
dl_test_pg_exec(const char *db, const char *sql)
{
  char url[512];
  snprintf(url, sizeof url, "%s/%s", dl_test_pg(), db);
  PGconn *c = PQconnectdb(url);
  int rc = PQstatus(c) == CONNECTION_OK ? 0 : -1;
  if (!rc) {
    PQsetNoticeProcessor(c, dl_test_pg_quiet, NULL);
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : -1;
    PQclear(r);
  } else {
    fprintf(stderr, "# connect to %s: %s", url, PQerrorMessage(c));
  }
  PQfinish(c);
  return rc;
}

/* A location for a new, empty ledger called NAME: DIR/NAME.db, or a new
   database NAME (letters, digits and '_' kept) on the test server.
   Returns a static buffer, one of four in turn. */
static inline const char *
dl_test_ledger_location(const char *dir, const char *name)
{
  static char buf[4][512];
  static int i;
  i = (i + 1) % 4;
  if (!dl_test_pg()) {
    snprintf(buf[i], sizeof buf[i], "%s/%s.db", dir, name);
    return buf[i];
  }
  char db[64];
  size_t n = 0;
  for (const char *c = name; *c && n < sizeof db - 1; c++)
    db[n++] = isalnum((unsigned char) *c) ? (char) tolower((unsigned char) *c) : '_';
  db[n] = '\0';
  char sql[160];
  snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", db);
  if (dl_test_pg_exec("postgres", sql))
    abort();
  snprintf(sql, sizeof sql, "CREATE DATABASE %s", db);
  if (dl_test_pg_exec("postgres", sql))
    abort();
  snprintf(buf[i], sizeof buf[i], "%s/%s", dl_test_pg(), db);
  return buf[i];
}

#endif
