/* Internals shared by the ledger's source files. */
#ifndef DL_LEDGER_PRIVATE_H
#define DL_LEDGER_PRIVATE_H

#include <sqlite3.h>

#include "deploy-ledger/ledger.h"

struct dl_ledger {
  sqlite3 *db;
  char *path;
  int read_only;
};

/* Records the SQLite failure RC of LEDGER as DL_ESTORAGE naming the file. */
int dl_ledger_fail(dl_ledger *ledger, int rc, const char *what, dl_error *err);

/* Prepares SQL or fails with DL_ESTORAGE. */
int dl_ledger_prepare(dl_ledger *ledger, const char *sql, sqlite3_stmt **stmt, dl_error *err);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. */
int dl_ledger_begin(dl_ledger *ledger, dl_error *err);
int dl_ledger_commit(dl_ledger *ledger, dl_error *err);
void dl_ledger_rollback(dl_ledger *ledger);

/* Inserts spool items for DEPLOYMENT_ID inside the current transaction. */
int dl_ledger_spool_insert(dl_ledger *ledger, const char *deployment_id,
                           const dl_spool_item *spool, size_t n, dl_error *err);

/* A copy of column COL as a new string, or NULL. */
char *dl_sqlite_strdup(sqlite3_stmt *stmt, int col);

/* Binds S or NULL. */
int dl_sqlite_bind_text(sqlite3_stmt *stmt, int col, const char *s);

/* Binds NS, or NULL for DL_TIME_NONE. */
int dl_sqlite_bind_time(sqlite3_stmt *stmt, int col, int64_t ns);

/* Column COL as ns, DL_TIME_NONE for NULL. */
int64_t dl_sqlite_time(sqlite3_stmt *stmt, int col);

#endif
