/* Status codes and error records. */
#include "deploy-ledger/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
  const char *name;
  const char *text;
} status_table[DL_STATUS_COUNT] = {
  [DL_OK] = {"ok", "success"},
  [DL_EINVAL] = {"invalid-input", "invalid input"},
  [DL_ENOMEM] = {"out-of-memory", "out of memory"},
  [DL_ENOTFOUND] = {"not-found", "not found"},
  [DL_EAMBIGUOUS] = {"ambiguous", "ambiguous identifier"},
  [DL_ETRANSITION] = {"invalid-transition", "invalid status transition"},
  [DL_ESTORAGE] = {"storage", "storage error"},
  [DL_ESCHEMA] = {"schema-too-new", "ledger schema is newer than this program"},
  [DL_EIO] = {"io", "input/output error"},
  [DL_EPARSE] = {"parse", "malformed document"},
  [DL_EHTTP] = {"http", "remote endpoint error"},
  [DL_ECLOSED] = {"closed", "handle already closed"},
  [DL_ERANGE] = {"out-of-range", "value out of range"},
};

const char *
dl_strerror(int code)
{
  if (code < 0 || code >= DL_STATUS_COUNT)
    return "unknown error";
  return status_table[code].text;
}

const char *
dl_status_name(int code)
{
  if (code < 0 || code >= DL_STATUS_COUNT)
    return "unknown";
  return status_table[code].name;
}

void
dl_error_clear(dl_error *err)
{
  if (!err)
    return;
  err->code = DL_OK;
  err->line = err->column = err->offset = -1;
  err->source[0] = '\0';
  err->text[0] = '\0';
}

int
dl_fail(dl_error *err, int code, const char *fmt, ...)
{
  if (!err)
    return code;
  dl_error_clear(err);
  err->code = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->text, sizeof err->text, fmt, ap);
  va_end(ap);
  return code;
}

void
dl_error_at(dl_error *err, const char *source, long line, long column,
            long offset)
{
  if (!err)
    return;
  if (source)
    snprintf(err->source, sizeof err->source, "%s", source);
  err->line = line;
  err->column = column;
  err->offset = offset;
}
