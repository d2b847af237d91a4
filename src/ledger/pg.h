/* What the PostgreSQL backend's files share. */
#ifndef DL_LEDGER_PG_H
#define DL_LEDGER_PG_H

#include <libpq-fe.h>

#include "ledger/backend.h"

/* The connection of a PostgreSQL ledger (ledger->conn). */
typedef struct dl_pg {
  PGconn *conn;
  int in_transaction;
  /* The server's statement_timeout: every wait for an answer ends this
     much (plus DL_PG_ANSWER_GRACE_MS) after the query was sent. */
  long statement_timeout_ms;
  char sqlstate[6];  /* of the last query that failed, "" for none */
} dl_pg;

#define PG_OF(ledger) ((dl_pg *) (ledger)->conn)

/* Used when the session has none (statement_timeout = 0): a query of the
   ledger never runs longer than this on the server. */
#define DL_PG_STATEMENT_TIMEOUT "30s"
/* Used when the URL, PGCONNECT_TIMEOUT and the service file set none. */
#define DL_PG_CONNECT_TIMEOUT "10"
/* How much longer than statement_timeout the client waits for an answer
   before it gives the connection up (a server that is gone for good, or
   a network that drops packets, never answers at all). */
#define DL_PG_ANSWER_GRACE_MS 10000L

/* URL with any password (user:PASSWORD@, or password=PASSWORD in the
   query) replaced by "***", as a new string; NULL when out of memory. */
char *dl_pg_redact_url(const char *url);

/* Records a failure of LEDGER as DL_ESTORAGE: WHAT could not be done,
   and why (RES when there is one, else the connection's message). */
int dl_pg_fail(dl_ledger *ledger, const PGresult *res, const char *what, dl_error *err);

/* Runs SQL (several statements, no parameters) and returns its last
   result, within the deadline; NULL after recording a failure. */
PGresult *dl_pg_exec_simple(dl_ledger *ledger, const char *sql, const char *what,
                            dl_error *err);

/* Waits (within the deadline) for the answer of a query sent on LEDGER's
   connection; its last result, or NULL after recording a failure. */
PGresult *dl_pg_wait(dl_ledger *ledger, const char *what, dl_error *err);

/* Sets up a new or reset session: search_path, statement_timeout. */
int dl_pg_session_setup(dl_ledger *ledger, dl_error *err);

/* Whether the connection of LEDGER is gone (the server restarted, the
   network dropped it). */
int dl_pg_lost(dl_ledger *ledger);

/* Connects again after the connection was lost. */
int dl_pg_reconnect(dl_ledger *ledger, dl_error *err);

#endif
