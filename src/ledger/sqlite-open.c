/* Opening an SQLite ledger: file checks, schema migrations. */
#define _GNU_SOURCE
#include "ledger/sqlite.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Schema migrations: entry N moves a file from version N to N + 1. */
static const char *const migrations[DL_LEDGER_SCHEMA_VERSION] = {
  /* 0 -> 1: deployments and their append-only history */
  "CREATE TABLE deployments ("
  "  id TEXT PRIMARY KEY, service TEXT NOT NULL, version TEXT NOT NULL,"
  "  previous_version TEXT, type TEXT NOT NULL, environment TEXT NOT NULL,"
  "  regions TEXT NOT NULL DEFAULT '', started_ns INTEGER NOT NULL, actor TEXT,"
  "  commit_sha TEXT, commit_ns INTEGER, trace_id TEXT NOT NULL, span_id TEXT NOT NULL,"
  "  trace_flags INTEGER NOT NULL, tracestate TEXT NOT NULL DEFAULT '',"
  "  parent_span_id TEXT, recorded_ns INTEGER NOT NULL);"
  "CREATE INDEX deployments_by_service ON deployments(service, environment, started_ns);"
  "CREATE INDEX deployments_by_start ON deployments(started_ns);"
  "CREATE TABLE history ("
  "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  deployment_id TEXT NOT NULL REFERENCES deployments(id),"
  "  at_ns INTEGER NOT NULL, kind TEXT NOT NULL, status TEXT, actor TEXT, reason TEXT,"
  "  key TEXT, value TEXT);"
  "CREATE INDEX history_by_deployment ON history(deployment_id, seq);"
  "CREATE TRIGGER deployments_no_update BEFORE UPDATE ON deployments"
  "  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;"
  "CREATE TRIGGER deployments_no_delete BEFORE DELETE ON deployments"
  "  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;"
  "CREATE TRIGGER history_no_update BEFORE UPDATE ON history"
  "  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;"
  "CREATE TRIGGER history_no_delete BEFORE DELETE ON history"
  "  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;",
  /* 1 -> 2: the export spool and its dead letters */
  "CREATE TABLE spool ("
  "  id INTEGER PRIMARY KEY, deployment_id TEXT, created_ns INTEGER, content_type TEXT,"
  "  span_count INTEGER, payload BLOB, attempts INTEGER NOT NULL DEFAULT 0,"
  "  next_attempt_ns INTEGER, last_error TEXT);"
  "CREATE TABLE dead_letter ("
  "  id INTEGER PRIMARY KEY, deployment_id TEXT, created_ns INTEGER, failed_ns INTEGER,"
  "  span_count INTEGER, content_type TEXT, payload BLOB, http_status INTEGER,"
  "  response_body TEXT, reason TEXT);",
  /* 2 -> 3: a flusher claims the spooled items it sends until a time */
  "ALTER TABLE spool ADD COLUMN claimed_until_ns INTEGER;",
  /* 3 -> 4: how many requests a dead letter cost, and its gRPC status;
     spool ids never used twice (AUTOINCREMENT, continuing after every id
     either table holds), as an item keeps its id in the dead letters:
     SQLite gave a new item the id of one just dead-lettered, and that
     item's own refusal then collided. */
  "ALTER TABLE dead_letter ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE dead_letter ADD COLUMN grpc_status INTEGER;"
  "CREATE TABLE spool_ids ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT, deployment_id TEXT, created_ns INTEGER,"
  "  content_type TEXT, span_count INTEGER, payload BLOB, attempts INTEGER NOT NULL DEFAULT 0,"
  "  next_attempt_ns INTEGER, last_error TEXT, claimed_until_ns INTEGER);"
  "INSERT INTO spool_ids (id, deployment_id, created_ns, content_type, span_count, payload,"
  "  attempts, next_attempt_ns, last_error, claimed_until_ns)"
  "  SELECT id, deployment_id, created_ns, content_type, span_count, payload, attempts,"
  "  next_attempt_ns, last_error, claimed_until_ns FROM spool;"
  "DROP TABLE spool;"
  "ALTER TABLE spool_ids RENAME TO spool;"
  "DELETE FROM sqlite_sequence WHERE name = 'spool';"
  "INSERT INTO sqlite_sequence (name, seq) SELECT 'spool',"
  "  max(coalesce((SELECT max(id) FROM spool), 0), coalesce((SELECT max(id) FROM dead_letter), 0));",
};

/* mkdir -p of the directory part of PATH. */
static int
make_parent_dirs(const char *path, dl_error *err)
{
  char *dir = strdup(path);
  if (!dir)
    return dl_fail(err, DL_ENOMEM, "out of memory");
  for (char *p = dir + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
      int rc = dl_fail(err, DL_EIO, "cannot create directory %s for the ledger: %s", dir,
                       strerror(errno));
      free(dir);
      return rc;
    }
    *p = '/';
  }
  free(dir);
  return DL_OK;
}

/* Refuses an existing file that is not SQLite, before SQLite touches it. */
static int
check_sqlite_header(const char *path, dl_error *err)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return dl_fail(err, DL_EIO, "cannot read ledger %s: %s", path, strerror(errno));
  char header[16];
  size_t got = fread(header, 1, sizeof header, f);
  fclose(f);
  if (got == 0)
    return DL_OK; /* an empty file becomes a new ledger */
  if (got < sizeof header || memcmp(header, "SQLite format 3", 16) != 0) {
    dl_fail(err, DL_ESTORAGE, "%s is not a deploy-ledger database (not an SQLite file); "
            "it was left untouched", path);
    dl_error_at(err, path, -1, -1, 0);
    return DL_ESTORAGE;
  }
  return DL_OK;
}

static int
query_int(dl_ledger *ledger, const char *sql, int *out, dl_error *err)
{
  sqlite3_stmt *stmt;
  int rc = sqlite3_prepare_v2(ledger->conn, sql, -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    return dl_sqlite_fail(ledger, rc, "read the schema", err);
  int step = sqlite3_step(stmt);
  if (step == SQLITE_ROW)
    *out = sqlite3_column_int(stmt, 0);
  sqlite3_finalize(stmt);
  if (step != SQLITE_ROW && step != SQLITE_DONE)
    return dl_sqlite_fail(ledger, step, "read the schema", err);
  return DL_OK;
}

/* Refuses an SQLite database that holds other tables but no ledger, and
   one newer than this code. */
static int
check_schema(dl_ledger *ledger, int *version, dl_error *err)
{
  int tables = 0, ours = 0;
  int rc = query_int(ledger, "PRAGMA user_version", version, err);
  if (!rc)
    rc = query_int(ledger, "SELECT count(*) FROM sqlite_master", &tables, err);
  if (!rc)
    rc = query_int(ledger,
                   "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='deployments'",
                   &ours, err);
  if (rc)
    return rc;
  if (tables > 0 && (!ours || *version == 0))
    return dl_fail(err, DL_ESTORAGE,
                   "%s is an SQLite database but not a deploy-ledger ledger; it was left untouched",
                   ledger->path);
  if (*version > DL_LEDGER_SCHEMA_VERSION)
    return dl_fail(err, DL_ESCHEMA,
                   "ledger %s has schema version %d, newer than this deploy-ledger knows (%d); "
                   "upgrade deploy-ledger",
                   ledger->path, *version, DL_LEDGER_SCHEMA_VERSION);
  return DL_OK;
}

/* Applies the missing migrations in one transaction; another process may
   have migrated meanwhile, so the version is read again inside it. */
static int
migrate(dl_ledger *ledger, dl_error *err)
{
  int rc = dl_ledger_begin(ledger, err);
  if (rc)
    return rc;
  int version = 0;
  rc = check_schema(ledger, &version, err);
  for (int v = version; !rc && v < DL_LEDGER_SCHEMA_VERSION; v++) {
    int sql = sqlite3_exec(ledger->conn, migrations[v], NULL, NULL, NULL);
    if (sql != SQLITE_OK)
      rc = dl_sqlite_fail(ledger, sql, "migrate the schema", err);
  }
  if (!rc && version < DL_LEDGER_SCHEMA_VERSION) {
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", DL_LEDGER_SCHEMA_VERSION);
    int sql = sqlite3_exec(ledger->conn, pragma, NULL, NULL, NULL);
    if (sql != SQLITE_OK)
      rc = dl_sqlite_fail(ledger, sql, "record the schema version", err);
  }
  if (rc) {
    dl_ledger_rollback(ledger);
    return rc;
  }
  return dl_ledger_commit(ledger, err);
}

/* Refuses to open PATH without DL_LEDGER_CREATE when there is no ledger
   there yet (ERRNO_ from stat, or 0 for an empty file), naming the path
   and the ways to fix it. */
static int
missing_ledger(const char *path, int errno_, dl_error *err)
{
  const char *why = errno_ == 0 ? "is empty, not a ledger yet"
                    : errno_ == ENOENT || errno_ == ENOTDIR
                      ? "does not exist"
                      : strerror(errno_);
  dl_fail(err, DL_ESTORAGE,
          "ledger %s %s; check the path (--db or DEPLOY_LEDGER_DB), or create the ledger "
          "by recording a deployment (deploy-ledger start)", path, why);
  dl_error_at(err, path, -1, -1, -1);
  return DL_ESTORAGE;
}

int
dl_sqlite_ledger_open(dl_ledger *ledger, unsigned flags, dl_error *err)
{
  const char *path = ledger->path;
  int create = (flags & DL_LEDGER_CREATE) != 0;
  struct stat st;
  int exists = stat(path, &st) == 0;
  if (!exists && !create)
    return missing_ledger(path, errno, err);
  if (exists && !S_ISREG(st.st_mode))
    return dl_fail(err, DL_ESTORAGE, "ledger %s is not a regular file", path);
  if (exists && !create && st.st_size == 0)
    return missing_ledger(path, 0, err);
  int rc = exists ? check_sqlite_header(path, err) : make_parent_dirs(path, err);
  if (rc)
    return rc;
  if (!exists) {
    /* Created by us, readable by its owner only (the spool holds what
       the collector was sent; SQLite gives its -wal and -shm files the
       database file's mode): SQLite alone would follow the umask. */
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0)
      close(fd);
    else if (errno != EEXIST) /* another process creating it is fine */
      return dl_fail(err, DL_ESTORAGE, "cannot create ledger %s: %s", path, strerror(errno));
  }

  /* No write permission for anyone: read-only, even for root. */
  ledger->read_only = exists && (st.st_mode & 0222) == 0;
  /* Without DL_LEDGER_CREATE SQLite may not create the file either: it
     may have gone since the stat above. */
  int open_flags = ledger->read_only ? SQLITE_OPEN_READONLY
                   : create          ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                                     : SQLITE_OPEN_READWRITE;
  sqlite3 *db = NULL;
  int sql = sqlite3_open_v2(path, &db, open_flags, NULL);
  ledger->conn = db;
  if (sql != SQLITE_OK)
    return dl_sqlite_fail(ledger, sql, "open", err);
  sqlite3_busy_timeout(db, 30000);
  sqlite3_extended_result_codes(db, 1);

  /* The schema's checks read one snapshot: another process may be
     creating this very ledger meanwhile. */
  int version = 0;
  sql = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
  rc = sql == SQLITE_OK ? check_schema(ledger, &version, err)
                        : dl_sqlite_fail(ledger, sql, "read the schema", err);
  dl_ledger_rollback(ledger);
  if (!rc && ledger->read_only && version < DL_LEDGER_SCHEMA_VERSION)
    rc = dl_fail(err, DL_ESTORAGE,
                 "ledger %s is read-only and has schema version %d; open it writable once "
                 "to migrate it to %d", path, version, DL_LEDGER_SCHEMA_VERSION);
  if (!rc && !ledger->read_only) {
    /* Switching a new file to WAL takes a lock SQLite's busy handler does
       not wait for: another process creating the same ledger makes it
       fail at once, so wait here as the busy timeout would. */
    for (int waited = 0;; waited += 10) {
      sql = sqlite3_exec(db,
                         "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                         "PRAGMA foreign_keys=ON;",
                         NULL, NULL, NULL);
      if ((sql & 0xff) != SQLITE_BUSY || waited >= 30000)
        break;
      sqlite3_sleep(10);
    }
    rc = sql == SQLITE_OK ? migrate(ledger, err) : dl_sqlite_fail(ledger, sql, "set WAL mode", err);
  }
  return rc;
}
