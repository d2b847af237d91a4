/* The SQLite backend's statements and transactions. */
#include "ledger/sqlite.h"

#include <stdlib.h>
#include <string.h>

typedef struct sqlite_stmt {
  dl_stmt base;
  sqlite3_stmt *stmt;
  int last;     /* result of the last sqlite3_step */
  long changes; /* rows changed by it */
} sqlite_stmt;

#define S(s) (((sqlite_stmt *) (s))->stmt)

int
dl_sqlite_fail(dl_ledger *ledger, int rc, const char *what, dl_error *err)
{
  const char *path = ledger ? ledger->path : "?";
  sqlite3 *db = ledger ? ledger->conn : NULL;
  int base = rc & 0xff;
  if (base == SQLITE_READONLY || (ledger && ledger->read_only && base != SQLITE_BUSY))
    return dl_fail(err, DL_ESTORAGE, "ledger %s is read-only: cannot %s", path, what);
  if (base == SQLITE_BUSY)
    return dl_fail(err, DL_ESTORAGE, "ledger %s is locked by another writer: cannot %s", path,
                   what);
  const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  dl_fail(err, DL_ESTORAGE, "ledger %s: cannot %s: %s", path, what, msg);
  dl_error_at(err, path, -1, -1, -1);
  return DL_ESTORAGE;
}

static int
sqlite_prepare(dl_ledger *ledger, const char *sql, dl_stmt **out, dl_error *err)
{
  *out = NULL;
  sqlite_stmt *s = calloc(1, sizeof *s);
  if (!s)
    return dl_fail(err, DL_ENOMEM, "out of memory preparing a query");
  s->base.ledger = ledger;
  int rc = sqlite3_prepare_v2(ledger->conn, sql, -1, &s->stmt, NULL);
  if (rc != SQLITE_OK) {
    free(s);
    return dl_sqlite_fail(ledger, rc, "prepare a query", err);
  }
  *out = &s->base;
  return DL_OK;
}

static int
sqlite_begin(dl_ledger *ledger, dl_error *err)
{
  int rc = sqlite3_exec(ledger->conn, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  return rc == SQLITE_OK ? DL_OK : dl_sqlite_fail(ledger, rc, "begin a transaction", err);
}

static int
sqlite_begin_read(dl_ledger *ledger, dl_error *err)
{
  int rc = sqlite3_exec(ledger->conn, "BEGIN", NULL, NULL, NULL);
  return rc == SQLITE_OK ? DL_OK : dl_sqlite_fail(ledger, rc, "begin a transaction", err);
}

static void
sqlite_rollback(dl_ledger *ledger)
{
  if (!sqlite3_get_autocommit(ledger->conn))
    sqlite3_exec(ledger->conn, "ROLLBACK", NULL, NULL, NULL);
}

static int
sqlite_commit(dl_ledger *ledger, dl_error *err)
{
  int rc = sqlite3_exec(ledger->conn, "COMMIT", NULL, NULL, NULL);
  if (rc == SQLITE_OK)
    return DL_OK;
  dl_sqlite_fail(ledger, rc, "commit", err);
  sqlite_rollback(ledger);
  return DL_ESTORAGE;
}

static void
sqlite_close(dl_ledger *ledger)
{
  sqlite3_close_v2(ledger->conn);
  ledger->conn = NULL;
}

static void
bind_text(dl_stmt *s, int col, const char *text)
{
  if (text)
    sqlite3_bind_text(S(s), col, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null(S(s), col);
}

static void
bind_int(dl_stmt *s, int col, int v)
{
  sqlite3_bind_int(S(s), col, v);
}

static void
bind_int64(dl_stmt *s, int col, int64_t v)
{
  sqlite3_bind_int64(S(s), col, v);
}

static void
bind_null_int64(dl_stmt *s, int col)
{
  sqlite3_bind_null(S(s), col);
}

static void
bind_blob(dl_stmt *s, int col, const void *p, size_t n)
{
  sqlite3_bind_blob64(S(s), col, p ? p : "", (sqlite3_uint64) n, SQLITE_TRANSIENT);
}

static int
step(dl_stmt *s, int *row, dl_error *err)
{
  sqlite_stmt *q = (sqlite_stmt *) s;
  q->last = sqlite3_step(q->stmt);
  *row = q->last == SQLITE_ROW;
  if (q->last == SQLITE_DONE)
    q->changes = sqlite3_changes(s->ledger->conn);
  if (q->last == SQLITE_ROW || q->last == SQLITE_DONE)
    return DL_OK;
  if (q->last == SQLITE_CONSTRAINT_PRIMARYKEY || q->last == SQLITE_CONSTRAINT_UNIQUE)
    return dl_fail(err, DL_ESTORAGE, "ledger %s: a row with this key is already there",
                   s->ledger->path);
  return dl_sqlite_fail(s->ledger, q->last, "run a query", err);
}

static void
reset(dl_stmt *s)
{
  sqlite3_reset(S(s));
}

static int
is_null(dl_stmt *s, int col)
{
  return sqlite3_column_type(S(s), col) == SQLITE_NULL;
}

static const char *
text(dl_stmt *s, int col)
{
  return (const char *) sqlite3_column_text(S(s), col);
}

static int64_t
int64(dl_stmt *s, int col)
{
  return sqlite3_column_int64(S(s), col);
}

static const void *
blob(dl_stmt *s, int col, size_t *size)
{
  const void *p = sqlite3_column_blob(S(s), col);
  *size = (size_t) sqlite3_column_bytes(S(s), col);
  return p;
}

static long
changes(dl_stmt *s)
{
  return ((sqlite_stmt *) s)->changes;
}

static int
unique_violation(dl_stmt *s)
{
  int last = ((sqlite_stmt *) s)->last;
  return last == SQLITE_CONSTRAINT_PRIMARYKEY || last == SQLITE_CONSTRAINT_UNIQUE;
}

static void
finalize(dl_stmt *s)
{
  sqlite3_finalize(S(s));
  free(s);
}

/* AUTOINCREMENT follows the largest id inserted in its own table; the
   spool's must also pass the dead letters' copied ids, as an item keeps
   its id when it becomes one (or is requeued). */
static int
sqlite_after_copy(dl_ledger *ledger, dl_error *err)
{
  int rc = dl_ledger_exec(ledger,
                          "INSERT INTO sqlite_sequence (name, seq) SELECT 'spool', 0"
                          " WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'spool')",
                          err);
  return rc ? rc : dl_ledger_exec(ledger,
                                  "UPDATE sqlite_sequence SET seq = max(seq,"
                                  " coalesce((SELECT max(id) FROM spool), 0),"
                                  " coalesce((SELECT max(id) FROM dead_letter), 0))"
                                  " WHERE name = 'spool'",
                                  err);
}

const dl_ledger_backend dl_sqlite_backend = {
  .name = "sqlite",
  .prepare = sqlite_prepare,
  .begin = sqlite_begin,
  .commit = sqlite_commit,
  .begin_read = sqlite_begin_read,
  .rollback = sqlite_rollback,
  .lock_deployment = NULL, /* BEGIN IMMEDIATE: one writer at a time */
  .claim_lock_clause = "",
  .after_copy = sqlite_after_copy,
  .close = sqlite_close,
  .bind_text = bind_text,
  .bind_int = bind_int,
  .bind_int64 = bind_int64,
  .bind_null_int64 = bind_null_int64,
  .bind_blob = bind_blob,
  .step = step,
  .reset = reset,
  .is_null = is_null,
  .text = text,
  .int64 = int64,
  .blob = blob,
  .changes = changes,
  .unique_violation = unique_violation,
  .finalize = finalize,
};
