/* The retry policy of the HTTP client (internal): which failures earn
   another attempt, how long to pause before it, and what a server's
   Retry-After asks for.  Kept apart from libcurl's plumbing so that it
   can be tested alone and read in one place. */
#ifndef DL_NET_RETRY_H
#define DL_NET_RETRY_H

#include <stddef.h>
#include <stdint.h>

/* The longest Retry-After taken at its word (a day): larger values, in
   seconds or as a date, are clamped to it before any arithmetic, so no
   value a server sends can overflow; the caller's deadline then decides
   whether waiting that long is possible at all. */
#define DL_RETRY_AFTER_MAX_S 86400

/* Nonzero for the HTTP statuses worth another attempt: 429 (too many
   requests), 502, 503 and 504 (a gateway or the server is down or
   overloaded), as the OTLP specification lists them.  Every other status
   is final: a 500 or a 4xx would answer the same again. */
int dl_http_retryable_status(long status);

/* Nonzero for libcurl failures worth another attempt (CODE is a
   CURLcode): refused or dropped connections, timeouts, name resolution;
   not a malformed URL, a disallowed protocol or a TLS setup error. */
int dl_http_retryable_failure(int code);

/* The wait a Retry-After header value asks for, in milliseconds from
   NOW_NS (ns since the epoch): delta-seconds ("120") or an HTTP date in
   any of RFC 9110's three formats (IMF-fixdate "Sun, 06 Nov 1994 08:49:37
   GMT", RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT", asctime "Sun Nov  6
   08:49:37 1994").  Clamped to [0, DL_RETRY_AFTER_MAX_S s]: a date in the
   past asks for no wait.  -1 when VALUE (LEN bytes, surrounding spaces
   allowed) is none of these: the header is then ignored. */
int64_t dl_http_retry_after_ms(const char *value, size_t len, int64_t now_ns);

/* Seconds since the epoch of an HTTP date (the three formats above), or
   -1 when TEXT is not one.  NOW_YEAR places RFC 850's two-digit years:
   one that would be more than 50 years ahead is taken from the century
   before (RFC 9110, section 5.6.7). */
int64_t dl_http_date_parse(const char *text, size_t len, int now_year);

/* The pause before attempt N+1 when no Retry-After came: BACKOFF_MS
   scaled by a random factor in [0.5, 1.5], so that clients that failed
   together do not come back together. */
long dl_http_jittered(long backoff_ms);

/* The backoff after one more failure: doubled, at most MAX_MS. */
long dl_http_backoff_next(long backoff_ms, long max_ms);

#endif
