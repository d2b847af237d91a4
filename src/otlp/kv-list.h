/* Comma-separated key=value lists, percent-decoded (internal): the
   syntax of OTEL_EXPORTER_OTLP_HEADERS and OTEL_RESOURCE_ATTRIBUTES,
   parsed here and nowhere else. */
#ifndef DL_KV_LIST_H
#define DL_KV_LIST_H

#include "deploy-ledger/error.h"

/* Called with each decoded pair, both NUL-terminated and valid during
   the call only; a non-zero status stops the parse and is returned. */
typedef int (*dl_kv_list_fn)(void *ctx, const char *key, const char *value, dl_error *err);

/* Parses TEXT (NULL: nothing): entries separated by ',', each
   "key=value" with spaces and tabs around key and value dropped, both
   percent-decoded (%XX, any case); empty entries are skipped.  An entry
   without '=', with an empty key, or with a malformed escape or %00 is
   DL_EINVAL naming WHAT (the setting) and the entry's number, and
   showing the entry only when SECRET is zero.  Decoded values are wiped
   after the call to FN: they may be API keys. */
int dl_kv_list_parse(const char *text, const char *what, int secret, dl_kv_list_fn fn,
                     void *ctx, dl_error *err) DL_MUST_CHECK;

#endif
