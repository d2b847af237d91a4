/* How libdeployledger talks HTTP: the settings of its one HTTP client,
 * shared by the trace sources (Jaeger, Tempo) and the OTLP exporter.
 *
 * One policy for every request: libcurl limited to http and https; a
 * user agent "deploy-ledger/VERSION"; statuses 429, 502, 503 and 504 and
 * dropped or refused connections retried with exponential backoff and
 * jitter, or after the server's Retry-After (seconds or an HTTP date),
 * but never past the deadline; any other answer final; redirects followed
 * (at most 3) only when the request carries no credentials.
 *
 * Time is bounded three ways: each attempt (timeout_ms, and the low-speed
 * limit: an attempt receiving less than low_speed_bytes a second for
 * low_speed_s seconds is cut off, so a server trickling its answer cannot
 * hold an attempt open), each request with its retries and pauses
 * (deadline_ms), and, when total_ms is set, every request of one client
 * together: a fetch of many slices, probes included, ends by then. */
#ifndef DL_HTTP_OPTIONS_H
#define DL_HTTP_OPTIONS_H

#include <stddef.h>

/* dl_http_options.retries: retry for as long as the deadline allows. */
#define DL_HTTP_RETRY_UNTIL_DEADLINE (-1)

/* Strings are borrowed: they must outlive the requests made with them. */
typedef struct dl_http_options {
  long timeout_ms;         /* each attempt (default 30000) */
  long connect_timeout_ms; /* default 5000 */
  int retries;             /* further attempts after a retryable failure (default 3),
                              or DL_HTTP_RETRY_UNTIL_DEADLINE */
  long backoff_ms;         /* first pause (default 250), doubled after each retry */
  long max_backoff_ms;     /* the longest pause between attempts (default 30000) */
  long deadline_ms;        /* all attempts and pauses of one request (default 120000):
                              no attempt runs and no pause ends after it */
  const char *credentials; /* environment prefix: PREFIX_TOKEN (bearer) or
                              PREFIX_USER and PREFIX_PASSWORD (basic); NULL: the
                              caller's default; "": none */
  long total_ms;           /* every request of the client together, from its
                              creation (0, the default: no bound beyond
                              deadline_ms per request) */
  long low_speed_bytes;    /* an attempt slower than this many bytes a second ... */
  long low_speed_s;        /* ... for this many seconds is cut off (defaults
                              16 bytes and 15 s; 0 seconds: no such limit) */
  size_t max_bytes;        /* largest response body, after decompression
                              (default 1 GiB) */
  const char *deadline_option; /* how a user raises the deadline, named in
                                  errors (NULL: "the timeout") */
  const char *max_bytes_option; /* how a user raises max_bytes, named in
                                   errors (NULL: "max_bytes") */
  const char *ca_file;     /* TLS: CA bundle (NULL: the system's) */
  const char *client_certificate; /* TLS client certificate file (NULL: none) */
  const char *client_key;         /* its key file */
} dl_http_options;

/* Fills O with the defaults above. */
void dl_http_options_init(dl_http_options *o);

#endif
