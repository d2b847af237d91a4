/* Opening a PostgreSQL ledger: the connection, the session, the schema.

   The ledger lives in its own schema, deploy_ledger, so that it shares a
   database with anything else without a clash of table names.  The schema
   is created and migrated by the program: in one transaction, under a
   transaction-level advisory lock, with the version read again once the
   lock is held, because several runners may start at once on a new
   database and only one of them may create it. */
#define _GNU_SOURCE
#include "ledger/pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The advisory lock key of schema migrations ("dlschema"). */
#define SCHEMA_LOCK_KEY "7236822435318361441"

/* Schema migrations: entry N moves a database from version N to N + 1,
   as the SQLite ones do (sqlite-open.c), in PostgreSQL's types.  Ids,
   services and environments sort by their bytes (COLLATE "C"), as SQLite
   and strcmp sort them: read.c merges rows and history in that order. */
static const char *const migrations[DL_LEDGER_SCHEMA_VERSION] = {
  /* 0 -> 1: deployments and their append-only history */
  "CREATE SCHEMA IF NOT EXISTS deploy_ledger;"
  "SET LOCAL search_path TO deploy_ledger;"
  "CREATE TABLE deploy_ledger.schema_version (version INTEGER NOT NULL);"
  "INSERT INTO deploy_ledger.schema_version VALUES (0);"
  "CREATE TABLE deployments ("
  "  id TEXT COLLATE \"C\" PRIMARY KEY, service TEXT COLLATE \"C\" NOT NULL,"
  "  version TEXT NOT NULL, previous_version TEXT, type TEXT NOT NULL,"
  "  environment TEXT COLLATE \"C\" NOT NULL, regions TEXT NOT NULL DEFAULT '',"
  "  started_ns BIGINT NOT NULL, actor TEXT, commit_sha TEXT, commit_ns BIGINT,"
  "  trace_id TEXT NOT NULL, span_id TEXT NOT NULL, trace_flags INTEGER NOT NULL,"
  "  tracestate TEXT NOT NULL DEFAULT '', parent_span_id TEXT, recorded_ns BIGINT NOT NULL);"
  "CREATE INDEX deployments_by_service ON deployments(service, environment, started_ns);"
  "CREATE INDEX deployments_by_start ON deployments(started_ns);"
  "CREATE TABLE history ("
  "  seq BIGSERIAL PRIMARY KEY,"
  "  deployment_id TEXT COLLATE \"C\" NOT NULL REFERENCES deployments(id),"
  "  at_ns BIGINT NOT NULL, kind TEXT NOT NULL, status TEXT, actor TEXT, reason TEXT,"
  "  key TEXT, value TEXT);"
  "CREATE INDEX history_by_deployment ON history(deployment_id, seq);"
  "CREATE FUNCTION append_only() RETURNS trigger LANGUAGE plpgsql AS"
  "  $$BEGIN RAISE EXCEPTION 'the ledger is append-only'; END$$;"
  "CREATE TRIGGER deployments_append_only BEFORE UPDATE OR DELETE ON deployments"
  "  FOR EACH ROW EXECUTE FUNCTION append_only();"
  "CREATE TRIGGER deployments_no_truncate BEFORE TRUNCATE ON deployments"
  "  FOR EACH STATEMENT EXECUTE FUNCTION append_only();"
  "CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE ON history"
  "  FOR EACH ROW EXECUTE FUNCTION append_only();"
  "CREATE TRIGGER history_no_truncate BEFORE TRUNCATE ON history"
  "  FOR EACH STATEMENT EXECUTE FUNCTION append_only();",
  /* 1 -> 2: the export spool and its dead letters */
  "CREATE TABLE spool ("
  "  id BIGSERIAL PRIMARY KEY, deployment_id TEXT COLLATE \"C\", created_ns BIGINT,"
  "  content_type TEXT, span_count INTEGER, payload BYTEA,"
  "  attempts INTEGER NOT NULL DEFAULT 0, next_attempt_ns BIGINT, last_error TEXT);"
  "CREATE TABLE dead_letter ("
  "  id BIGINT PRIMARY KEY, deployment_id TEXT COLLATE \"C\", created_ns BIGINT,"
  "  failed_ns BIGINT, span_count INTEGER, content_type TEXT, payload BYTEA,"
  "  http_status INTEGER, response_body TEXT, reason TEXT);",
  /* 2 -> 3: a flusher claims the spooled items it sends until a time */
  "ALTER TABLE spool ADD COLUMN claimed_until_ns BIGINT;",
  /* 3 -> 4: how many requests a dead letter cost, and its gRPC status
     (spool ids come from a sequence: never used twice) */
  "ALTER TABLE dead_letter ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE dead_letter ADD COLUMN grpc_status INTEGER;",
};

int
dl_pg_session_setup(dl_ledger *ledger, dl_error *err)
{
  dl_pg *pg = PG_OF(ledger);
  /* Until the session's timeout is known, a wait lasts the default. */
  pg->statement_timeout_ms = 30000;
  PGresult *r = dl_pg_exec_simple(
    ledger,
    "SET search_path TO deploy_ledger;"
    "SELECT set_config('statement_timeout', '" DL_PG_STATEMENT_TIMEOUT "', false)"
    " WHERE current_setting('statement_timeout') IN ('0', '0ms');"
    "SELECT set_config('idle_in_transaction_session_timeout', '60s', false)"
    " WHERE current_setting('idle_in_transaction_session_timeout') IN ('0', '0ms');"
    "SELECT (extract(epoch FROM current_setting('statement_timeout')::interval) * 1000)::bigint",
    "set up the session", err);
  if (!r)
    return DL_ESTORAGE;
  if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
    pg->statement_timeout_ms = atol(PQgetvalue(r, 0, 0));
  PQclear(r);
  return DL_OK;
}

/* The schema version of the database: 0 without a ledger. */
static int
read_version(dl_ledger *ledger, int *version, dl_error *err)
{
  *version = 0;
  PGresult *r = dl_pg_exec_simple(ledger,
                                  "SELECT to_regclass('deploy_ledger.schema_version') IS NOT NULL",
                                  "look for the ledger's schema", err);
  if (!r)
    return DL_ESTORAGE;
  int exists = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
  PQclear(r);
  if (!exists)
    return DL_OK;
  r = dl_pg_exec_simple(ledger, "SELECT max(version) FROM deploy_ledger.schema_version",
                        "read the schema version", err);
  if (!r)
    return DL_ESTORAGE;
  *version = PQntuples(r) == 1 && !PQgetisnull(r, 0, 0) ? atoi(PQgetvalue(r, 0, 0)) : 0;
  PQclear(r);
  if (*version > DL_LEDGER_SCHEMA_VERSION)
    return dl_fail(err, DL_ESCHEMA,
                   "ledger %s has schema version %d, newer than this deploy-ledger knows (%d); "
                   "upgrade deploy-ledger", ledger->path, *version, DL_LEDGER_SCHEMA_VERSION);
  return DL_OK;
}

/* Applies the missing migrations in one transaction, holding the
   advisory lock; the version is read again once it is held. */
static int
migrate(dl_ledger *ledger, char state[6], dl_error *err)
{
  int rc = dl_ledger_begin(ledger, err);
  if (rc)
    return rc;
  PGresult *r = dl_pg_exec_simple(ledger, "SELECT pg_advisory_xact_lock(" SCHEMA_LOCK_KEY ")",
                                  "lock the schema to migrate it", err);
  rc = r ? DL_OK : DL_ESTORAGE;
  PQclear(r);
  int version = 0;
  if (!rc)
    rc = read_version(ledger, &version, err);
  for (int v = version; !rc && v < DL_LEDGER_SCHEMA_VERSION; v++) {
    r = dl_pg_exec_simple(ledger, migrations[v], "create or migrate the schema", err);
    rc = r ? DL_OK : DL_ESTORAGE;
    PQclear(r);
  }
  if (!rc && version < DL_LEDGER_SCHEMA_VERSION) {
    char sql[96];
    snprintf(sql, sizeof sql, "UPDATE deploy_ledger.schema_version SET version = %d",
             DL_LEDGER_SCHEMA_VERSION);
    r = dl_pg_exec_simple(ledger, sql, "record the schema version", err);
    rc = r ? DL_OK : DL_ESTORAGE;
    PQclear(r);
  }
  if (rc) {
    memcpy(state, PG_OF(ledger)->sqlstate, 6); /* before ROLLBACK clears it */
    dl_ledger_rollback(ledger);
    return rc;
  }
  return dl_ledger_commit(ledger, err);
}

static void
ignore_notice(void *arg, const char *message)
{
  (void) arg;
  (void) message;
}

int
dl_pg_ledger_open(dl_ledger *ledger, const char *url, unsigned flags, dl_error *err)
{
  ledger->path = dl_pg_redact_url(url);
  dl_pg *pg = calloc(1, sizeof *pg);
  if (!ledger->path || !pg) {
    free(pg);
    return dl_fail(err, DL_ENOMEM, "out of memory opening the ledger");
  }
  ledger->conn = pg;
  /* Defaults first, the URL last: what the URL (or PGCONNECT_TIMEOUT, a
     service file) says wins.  The password is libpq's to find: in the
     URL, PGPASSWORD, ~/.pgpass; it is never copied anywhere else. */
  const char *keys[4], *values[4];
  int k = 0;
  const char *env_timeout = getenv("PGCONNECT_TIMEOUT");
  if (!env_timeout || !*env_timeout) {
    keys[k] = "connect_timeout";
    values[k++] = DL_PG_CONNECT_TIMEOUT;
  }
  keys[k] = "fallback_application_name";
  values[k++] = "deploy-ledger";
  keys[k] = "dbname";
  values[k++] = url;
  keys[k] = NULL;
  values[k] = NULL;
  pg->conn = PQconnectdbParams(keys, values, 1);
  if (!pg->conn)
    return dl_fail(err, DL_ENOMEM, "out of memory connecting to the ledger");
  if (PQstatus(pg->conn) != CONNECTION_OK)
    return dl_pg_fail(ledger, NULL, "connect", err);
  /* The server's notices ("schema already exists, skipping") are not
     the user's business: libpq would print them on stderr. */
  PQsetNoticeProcessor(pg->conn, ignore_notice, NULL);
  int rc = dl_pg_session_setup(ledger, err);
  int version = 0;
  if (!rc)
    rc = read_version(ledger, &version, err);
  if (!rc && version == 0 && !(flags & DL_LEDGER_CREATE)) {
    dl_fail(err, DL_ESTORAGE,
            "ledger %s has no deploy-ledger schema yet; check the URL (--db or "
            "DEPLOY_LEDGER_DB), or create the ledger by recording a deployment "
            "(deploy-ledger start)", ledger->path);
    dl_error_at(err, ledger->path, -1, -1, -1);
    return DL_ESTORAGE;
  }
  /* The lock orders the runners, but a transaction that began before
     another's commit may still see the catalog as it was (the server
     reads its catalog caches anew at the start of a transaction, not at
     an advisory lock): it then fails on an object that already exists,
     having written nothing, and the next transaction sees it. */
  for (int attempt = 0; !rc && version < DL_LEDGER_SCHEMA_VERSION; attempt++) {
    char state[6] = "";
    rc = migrate(ledger, state, err);
    int exists = strcmp(state, "42P07") == 0 || strcmp(state, "42P06") == 0
                 || strcmp(state, "42710") == 0 || strcmp(state, "23505") == 0;
    if (!rc || !exists || attempt == 3)
      break;
    rc = read_version(ledger, &version, err);
  }
  return rc;
}
