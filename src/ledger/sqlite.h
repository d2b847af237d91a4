/* What the SQLite backend's files share. */
#ifndef DL_LEDGER_SQLITE_H
#define DL_LEDGER_SQLITE_H

#include <sqlite3.h>

#include "ledger/backend.h"

/* Records the SQLite failure RC of LEDGER as DL_ESTORAGE naming the file. */
int dl_sqlite_fail(dl_ledger *ledger, int rc, const char *what, dl_error *err);

#endif
