/* The embedded OTLP/HTTP receiver: POST /v1/traces (protobuf or JSON,
 * gzip or not) into a rolling time window of spans, on GNU libmicrohttpd.
 *
 * Requests are decoded on the connection threads straight into the
 * store: each worker thread appends to its own open segment (a trace set)
 * under that segment's lock, so two connections decode in parallel and
 * no span is copied between decoding and storing.  A segment is sealed
 * when it is full or old; sealed segments leave the store as a whole
 * when their newest span is older than the window (counted as expired),
 * or, oldest first, when the store holds more than max_memory bytes
 * (counted as dropped).  A snapshot copies the spans of the window since
 * a given time into a new trace set for correlation.
 *
 * Answers follow the OTLP/HTTP specification: 200 with an
 * ExportTraceServiceResponse (partial_success when spans older than the
 * window were refused), 400 for a body that does not decode, 401 for a
 * missing or wrong bearer token, 404/405 for another path or method, 413
 * for a body or a decompressed body over its limit, 415 for a content
 * type or encoding other than protobuf, JSON, gzip; 503 with Retry-After
 * when a body would take the bytes being received and decoded at once
 * over max_queue while other requests are in progress.
 * Each error carries a google.rpc.Status body in the request's encoding.
 *
 * Threads: every function may be called from any thread while the
 * receiver runs, except dl_receiver_stop. */
#ifndef DL_RECEIVER_H
#define DL_RECEIVER_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "trace-set.h"

typedef struct dl_receiver dl_receiver;

typedef struct dl_receiver_options {
  const char *listen;        /* "ADDR:PORT", "[ADDR6]:PORT" or ":PORT";
                                NULL: 127.0.0.1:4318.  Port 0: any free one */
  int64_t window;            /* ns of spans kept, by span start; 0: 15 min */
  size_t max_memory;         /* bytes of spans held (--max-memory); 0: 256 MiB */
  size_t max_request;        /* bytes of one body as sent; 0: 16 MiB */
  size_t max_decompressed;   /* bytes of one body after gunzip; 0: 64 MiB */
  size_t max_queue;          /* bytes of bodies received and not yet
                                decoded, all connections; 0: 128 MiB */
  unsigned max_connections;  /* 0: 128 */
  unsigned threads;          /* connection threads; 0: 2 */
  unsigned idle_timeout;     /* s a connection may stay silent; 0: 10 */
  unsigned request_timeout;  /* s a whole request may take to arrive; 0: 30 */
  const char *token;         /* bearer token required, or NULL; copied */
} dl_receiver_options;

void dl_receiver_options_init(dl_receiver_options *opt);

/* Counters since the start (monotonic) and the state of the store. */
typedef struct dl_receiver_stats {
  uint64_t requests;          /* answered, whatever the status */
  uint64_t requests_ok;       /* answered 200 */
  uint64_t bad_requests;      /* 400: the body did not decode */
  uint64_t too_large;         /* 413: body or decompressed body over a limit */
  uint64_t unsupported;       /* 415 */
  uint64_t unauthorized;      /* 401 */
  uint64_t busy;              /* 503: queue full */
  uint64_t timed_out;         /* connections closed for --request-timeout */
  uint64_t spans_accepted;    /* decoded into the store (200 answers) */
  uint64_t spans_rejected;    /* refused in a partial_success: too old */
  uint64_t spans_expired;     /* left the window */
  uint64_t spans_dropped;     /* evicted inside the window for max_memory */
  uint64_t spans_held;        /* in the store now */
  uint64_t segments;          /* trace sets in the store now */
  size_t memory;              /* bytes the store holds now */
  size_t queued;              /* bytes being received or decoded now */
} dl_receiver_stats;

/* Starts a receiver listening as OPT says (NULL: the defaults) into
   *OUT (free with dl_receiver_stop).  Errors: DL_EINVAL for a bad listen
   address, DL_EIO when the address cannot be bound (the text says why). */
int dl_receiver_start(const dl_receiver_options *opt, dl_receiver **out,
                      dl_error *err) DL_MUST_CHECK;

/* The port it listens on (the one chosen for port 0). */
int dl_receiver_port(const dl_receiver *r);

void dl_receiver_stats_get(dl_receiver *r, dl_receiver_stats *out);

/* A new trace set (*OUT, the caller's to free) holding the spans of the
   window that started at or after SINCE (DL_TIME_NONE: the whole
   window), of SERVICE only when not NULL.  Expires old segments first. */
int dl_receiver_snapshot(dl_receiver *r, int64_t since, const char *service,
                         dl_trace_set **out, dl_error *err) DL_MUST_CHECK;

/* Stops listening, waits for the connection threads and frees R.  NULL
   is a no-op. */
void dl_receiver_stop(dl_receiver *r);

/* ---- The request handling without HTTP, for tests and benchmarks ---- */

/* One answer: HTTP status, body (malloc'ed, to be freed by the caller,
   may be NULL for an empty body), its content type, and the Retry-After
   seconds (0: none). */
typedef struct dl_receiver_answer {
  int status;
  char *body;
  size_t body_len;
  const char *content_type;
  int retry_after;
} dl_receiver_answer;

/* Handles one POST /v1/traces body as the HTTP layer does once it has
   it: CONTENT_TYPE and CONTENT_ENCODING are the headers' values (NULL:
   absent).  Always fills *ANSWER; returns its status. */
int dl_receiver_handle(dl_receiver *r, const char *content_type, const char *content_encoding,
                       const void *body, size_t len, dl_receiver_answer *answer);

#endif
