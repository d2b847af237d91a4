/* Internals shared by the ledger's source files: the handle, the storage
   backend it uses (SQLite or PostgreSQL, chosen by dl_ledger_open_flags
   from the path), and the statements every query goes through.

   The ledger's logic (derived state, lifecycle checks, DORA figures, the
   spool) is written once in read.c, write.c, dora.c and spool.c, in SQL
   both databases accept: parameters are numbered (?1, ?2, ...), which the
   PostgreSQL backend rewrites to $1, $2, ...  What differs between the two
   (opening, the schema, transactions, how a statement runs) lives in
   sqlite-*.c and pg-*.c behind the table below. */
#ifndef DL_LEDGER_BACKEND_H
#define DL_LEDGER_BACKEND_H

#include <stdint.h>

#include "deploy-ledger/ledger.h"

typedef struct dl_stmt dl_stmt;

typedef struct dl_ledger_backend {
  const char *name; /* "sqlite", "postgresql" */
  /* A statement of SQL (numbered parameters) for this ledger. */
  int (*prepare)(dl_ledger *ledger, const char *sql, dl_stmt **out, dl_error *err);
  /* A write transaction: one writer at a time for SQLite; for PostgreSQL
     rows are locked as they are written (see lock_deployment). */
  int (*begin)(dl_ledger *ledger, dl_error *err);
  int (*commit)(dl_ledger *ledger, dl_error *err);
  /* A read transaction: one snapshot for several queries (ended by
     rollback). */
  int (*begin_read)(dl_ledger *ledger, dl_error *err);
  void (*rollback)(dl_ledger *ledger);
  /* Inside a write transaction: holds deployment ID (a full id) until
     the transaction ends, so that two writers do not both move it from
     the same state.  NULL when begin already excludes other writers. */
  int (*lock_deployment)(dl_ledger *ledger, const char *id, dl_error *err);
  /* Claims pending spool rows for one flusher (see spool.c); NULL when
     begin already excludes other writers. */
  const char *claim_lock_clause; /* appended to the claiming SELECT */
  /* Makes the id sequences continue after rows copied with their ids. */
  int (*after_copy)(dl_ledger *ledger, dl_error *err);
  void (*close)(dl_ledger *ledger);

  /* Statements.  Binding never fails (a failure shows at step); text
     and blobs are copied.  Columns are read from the current row and
     stay valid until the next step, reset or finalize. */
  void (*bind_text)(dl_stmt *s, int col, const char *text); /* NULL: null */
  void (*bind_int)(dl_stmt *s, int col, int v);
  void (*bind_int64)(dl_stmt *s, int col, int64_t v);
  void (*bind_null_int64)(dl_stmt *s, int col);
  void (*bind_blob)(dl_stmt *s, int col, const void *p, size_t n);
  /* Runs or advances S: *ROW is 1 with a row to read, 0 when done. */
  int (*step)(dl_stmt *s, int *row, dl_error *err);
  void (*reset)(dl_stmt *s);
  int (*is_null)(dl_stmt *s, int col);
  const char *(*text)(dl_stmt *s, int col);
  int64_t (*int64)(dl_stmt *s, int col);
  const void *(*blob)(dl_stmt *s, int col, size_t *size);
  /* Rows changed by the last statement that ran. */
  long (*changes)(dl_stmt *s);
  /* Whether the last step failed on a unique key. */
  int (*unique_violation)(dl_stmt *s);
  void (*finalize)(dl_stmt *s);
} dl_ledger_backend;

struct dl_ledger {
  const dl_ledger_backend *backend;
  void *conn;      /* sqlite3 *, or the PostgreSQL connection (pg-conn.h) */
  char *path;      /* the file, or the URL without its password */
  int read_only;
};

/* Every statement starts with this. */
struct dl_stmt {
  dl_ledger *ledger;
};

extern const dl_ledger_backend dl_sqlite_backend;
extern const dl_ledger_backend dl_pg_backend;

/* Whether PATH names a PostgreSQL database (postgresql:// or postgres://). */
int dl_ledger_is_url(const char *path);

/* Opening each backend: LEDGER has its path set; the backend sets conn,
   read_only and backend, creates or migrates the schema, and on failure
   leaves LEDGER for dl_ledger_close. */
int dl_sqlite_ledger_open(dl_ledger *ledger, unsigned flags, dl_error *err);
int dl_pg_ledger_open(dl_ledger *ledger, const char *url, unsigned flags, dl_error *err);

/* Thin calls through the table. */
static inline int
dl_ledger_prepare(dl_ledger *l, const char *sql, dl_stmt **s, dl_error *err)
{
  return l->backend->prepare(l, sql, s, err);
}
static inline int
dl_ledger_begin(dl_ledger *l, dl_error *err)
{
  return l->backend->begin(l, err);
}
static inline int
dl_ledger_commit(dl_ledger *l, dl_error *err)
{
  return l->backend->commit(l, err);
}
static inline void
dl_ledger_rollback(dl_ledger *l)
{
  l->backend->rollback(l);
}

#define DL_B(s) ((s)->ledger->backend)
static inline void dl_stmt_text_bind(dl_stmt *s, int c, const char *t) { DL_B(s)->bind_text(s, c, t); }
static inline void dl_stmt_int_bind(dl_stmt *s, int c, int v) { DL_B(s)->bind_int(s, c, v); }
static inline void dl_stmt_int64_bind(dl_stmt *s, int c, int64_t v) { DL_B(s)->bind_int64(s, c, v); }
static inline void dl_stmt_blob_bind(dl_stmt *s, int c, const void *p, size_t n) { DL_B(s)->bind_blob(s, c, p, n); }
/* Binds NS, or NULL for DL_TIME_NONE. */
static inline void
dl_stmt_time_bind(dl_stmt *s, int c, int64_t ns)
{
  if (ns == DL_TIME_NONE)
    DL_B(s)->bind_null_int64(s, c);
  else
    DL_B(s)->bind_int64(s, c, ns);
}
static inline int dl_stmt_step(dl_stmt *s, int *row, dl_error *err) { return DL_B(s)->step(s, row, err); }
static inline void dl_stmt_reset(dl_stmt *s) { DL_B(s)->reset(s); }
static inline int dl_stmt_is_null(dl_stmt *s, int c) { return DL_B(s)->is_null(s, c); }
static inline const char *dl_stmt_text(dl_stmt *s, int c) { return DL_B(s)->text(s, c); }
static inline int64_t dl_stmt_int64(dl_stmt *s, int c) { return DL_B(s)->int64(s, c); }
static inline int dl_stmt_int(dl_stmt *s, int c) { return (int) DL_B(s)->int64(s, c); }
static inline const void *dl_stmt_blob(dl_stmt *s, int c, size_t *n) { return DL_B(s)->blob(s, c, n); }
static inline long dl_stmt_changes(dl_stmt *s) { return DL_B(s)->changes(s); }
static inline int dl_stmt_unique_violation(dl_stmt *s) { return DL_B(s)->unique_violation(s); }
static inline void
dl_stmt_finalize(dl_stmt *s)
{
  if (s)
    DL_B(s)->finalize(s);
}
#undef DL_B

/* Column COL as ns, DL_TIME_NONE for NULL. */
static inline int64_t
dl_stmt_time(dl_stmt *s, int c)
{
  return dl_stmt_is_null(s, c) ? DL_TIME_NONE : dl_stmt_int64(s, c);
}

/* A copy of column COL as a new string, or NULL. */
char *dl_stmt_strdup(dl_stmt *s, int col);

/* Runs S (bound) to completion: a statement that returns no rows. */
int dl_stmt_run(dl_stmt *s, dl_error *err);

/* Prepares SQL and runs it once without parameters. */
int dl_ledger_exec(dl_ledger *ledger, const char *sql, dl_error *err);

/* Inserts spool items for DEPLOYMENT_ID inside the current transaction. */
int dl_ledger_spool_insert(dl_ledger *ledger, const char *deployment_id,
                           const dl_spool_item *spool, size_t n, dl_error *err);

#endif
