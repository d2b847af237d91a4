/* GET over libcurl with timeouts, retries and credentials (internal). */
#ifndef DL_HTTP_H
#define DL_HTTP_H

#include <stddef.h>

#include "deploy-ledger/sources.h"

typedef struct dl_http dl_http;

typedef struct dl_http_response {
  long status;
  char *body; /* malloc'ed, NUL-terminated; free with dl_http_response_clear */
  size_t len;
  char content_type[96];
} dl_http_response;

/* A client for one source; DEFAULT_PREFIX names its credential variables
   when the options do not. */
dl_http *dl_http_new(const dl_http_options *opt, const char *default_prefix, dl_error *err);
void dl_http_free(dl_http *h);

/* Requests and retries made so far. */
size_t dl_http_requests(const dl_http *h);
size_t dl_http_retries(const dl_http *h);

/* GETs URL.  2xx and 404 come back as responses; other statuses, after
   the retries 429 and 5xx earn, and network failures are errors naming
   the URL (without credentials). */
int dl_http_get(dl_http *h, const char *url, const char *accept, dl_http_response *resp,
                dl_error *err) DL_MUST_CHECK;

void dl_http_response_clear(dl_http_response *resp);

/* BASE (trailing slashes dropped) + PATH, then "?" and the PAIRS (key,
   value; NULL value: skipped) percent-encoded.  Malloc'ed, NULL on OOM. */
char *dl_http_url(const char *base, const char *path, const char *const *pairs, size_t n_pairs);

/* URL without user information, for messages. */
void dl_http_redact(const char *url, char *out, size_t size);

#endif
