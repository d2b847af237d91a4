/* The ledger handle: the default path, and which backend a path names. */
#define _GNU_SOURCE
#include "ledger/backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int
dl_ledger_is_url(const char *path)
{
  return path && (strncasecmp(path, "postgresql://", 13) == 0
                  || strncasecmp(path, "postgres://", 11) == 0);
}

int
dl_ledger_default_path(char *buf, size_t size, dl_error *err)
{
  const char *explicit = getenv("DEPLOY_LEDGER_DB");
  const char *xdg = getenv("XDG_DATA_HOME");
  const char *home = getenv("HOME");
  int n;
  if (explicit && *explicit)
    n = snprintf(buf, size, "%s", explicit);
  else if (xdg && *xdg == '/')
    n = snprintf(buf, size, "%s/deploy-ledger/ledger.db", xdg);
  else if (home && *home)
    n = snprintf(buf, size, "%s/.local/share/deploy-ledger/ledger.db", home);
  else
    return dl_fail(err, DL_EINVAL,
                   "no ledger path: set DEPLOY_LEDGER_DB, XDG_DATA_HOME or HOME");
  if (n < 0 || (size_t) n >= size)
    return dl_fail(err, DL_ERANGE, "ledger path is too long");
  return DL_OK;
}

int
dl_ledger_open(const char *path, dl_ledger **out, dl_error *err)
{
  return dl_ledger_open_flags(path, DL_LEDGER_CREATE, out, err);
}

int
dl_ledger_open_flags(const char *path, unsigned flags, dl_ledger **out, dl_error *err)
{
  char fallback[4096];
  *out = NULL;
  if (!path) {
    int rc = dl_ledger_default_path(fallback, sizeof fallback, err);
    if (rc)
      return rc;
    path = fallback;
  }
  dl_ledger *ledger = calloc(1, sizeof *ledger);
  if (!ledger)
    return dl_fail(err, DL_ENOMEM, "out of memory opening the ledger");
  int rc;
  if (dl_ledger_is_url(path)) {
    ledger->backend = &dl_pg_backend;
    rc = dl_pg_ledger_open(ledger, path, flags, err);
  } else {
    ledger->backend = &dl_sqlite_backend;
    ledger->path = strdup(path);
    rc = ledger->path ? dl_sqlite_ledger_open(ledger, flags, err)
                      : dl_fail(err, DL_ENOMEM, "out of memory opening the ledger");
  }
  if (rc) {
    dl_ledger_close(ledger);
    return rc;
  }
  *out = ledger;
  return DL_OK;
}

void
dl_ledger_close(dl_ledger *ledger)
{
  if (!ledger)
    return;
  if (ledger->conn)
    ledger->backend->close(ledger);
  free(ledger->path);
  free(ledger);
}

const char *
dl_ledger_path(const dl_ledger *ledger)
{
  return ledger->path;
}

const char *
dl_ledger_backend_name(const dl_ledger *ledger)
{
  return ledger->backend->name;
}

char *
dl_stmt_strdup(dl_stmt *s, int col)
{
  const char *text = dl_stmt_text(s, col);
  return text ? strdup(text) : NULL;
}

int
dl_stmt_run(dl_stmt *s, dl_error *err)
{
  int row;
  return dl_stmt_step(s, &row, err);
}

int
dl_ledger_exec(dl_ledger *ledger, const char *sql, dl_error *err)
{
  dl_stmt *s;
  int rc = dl_ledger_prepare(ledger, sql, &s, err);
  if (!rc)
    rc = dl_stmt_run(s, err);
  dl_stmt_finalize(s);
  return rc;
}
