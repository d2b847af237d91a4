/* URLs for the HTTP client (internal): building them, checking their
   scheme, and showing them without credentials. */
#ifndef DL_NET_URL_H
#define DL_NET_URL_H

#include <stddef.h>

#include "deploy-ledger/error.h"

/* BASE (trailing slashes dropped) + PATH, then "?" and the PAIRS (key,
   value; NULL value: skipped) percent-encoded.  Malloc'ed, NULL on OOM. */
char *dl_http_url(const char *base, const char *path, const char *const *pairs, size_t n_pairs);

/* URL without the user information of its authority ("user:password@"),
   for every message, description or stored error that shows a URL.
   Always NUL-terminates OUT (truncating if SIZE is short). */
void dl_http_redact(const char *url, char *out, size_t size);

/* Nonzero when URL carries user information (credentials libcurl would
   send). */
int dl_http_url_has_userinfo(const char *url);

/* DL_OK when URL is an http:// or https:// URL with a host; else
   DL_EINVAL naming WHAT (the setting it came from) and the URL, redacted:
   no other scheme (file://, ftp://, ...) is ever fetched. */
int dl_http_url_check(const char *url, const char *what, dl_error *err) DL_MUST_CHECK;

#endif
