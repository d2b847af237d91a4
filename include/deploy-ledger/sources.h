/* Trace sources over HTTP: Jaeger (api/v3 of Jaeger v2, or the v1 JSON
 * API) and Grafana Tempo, fetched into a trace set.
 *
 * A time window is fetched in slices (DL default: one hour) so that no
 * single request hits the backend's limit; a slice whose answer holds
 * `limit' traces is split in two and fetched again, down to one second,
 * as long as the fetch stays within max_slices slices in all (a slice
 * that cannot be split keeps the traces it got).
 * Traces met twice (at a slice boundary) are kept once.  All HTTP goes
 * through the library's one client (http-options.h: timeouts, retries,
 * limits).  Credentials come from the environment only -- PREFIX_TOKEN
 * (bearer) or PREFIX_USER and PREFIX_PASSWORD (basic), with PREFIX
 * "DEPLOY_LEDGER_JAEGER" or "DEPLOY_LEDGER_TEMPO" unless the options name
 * another -- and are never printed: errors show URLs without user
 * information. */
#ifndef DL_SOURCES_H
#define DL_SOURCES_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "http-options.h"
#include "ingest.h"
#include "trace-set.h"

enum { DL_JAEGER_API_AUTO = 0, DL_JAEGER_API_V3 = 3, DL_JAEGER_API_V1 = 1 };

typedef struct dl_trace_query {
  const char *url;       /* base URL: http://jaeger:16686, http://tempo:3200 */
  const char *service;   /* service name (Jaeger: required) */
  const char *operation; /* Jaeger: span name, optional */
  const char *traceql;   /* Tempo: a TraceQL query; default {resource.service.name="SERVICE"} */
  int64_t start, end;    /* the window, ns since the epoch, start < end */
  int limit;             /* traces per request (default 1000) */
  int64_t slice;         /* slice length in ns (default one hour) */
  size_t max_slices;     /* most slices asked for, splits included (default
                            DL_FETCH_MAX_SLICES); a window needing more is
                            refused before any slice is asked */
  int api;               /* Jaeger: DL_JAEGER_API_* */
} dl_trace_query;

#define DL_FETCH_MAX_SLICES 500

/* What a backend's small answers can legitimately hold; larger ones are
   refused (DL_ERANGE) rather than parsed: a list of services (and the
   probes that detect Jaeger's API) at most DL_SERVICES_MAX_BYTES and
   DL_SERVICES_MAX_NAMES names, a Tempo search answer at most
   DL_SEARCH_MAX_BYTES.  All are read with a streaming scanner, never as
   a tree.  Trace answers are bounded by the ingest limit (max_bytes). */
#define DL_SERVICES_MAX_BYTES ((size_t) 16 << 20)
#define DL_SERVICES_MAX_NAMES 100000
#define DL_SEARCH_MAX_BYTES ((size_t) 64 << 20)

void dl_trace_query_init(dl_trace_query *q);

typedef struct dl_fetch_stats {
  size_t requests; /* HTTP requests made, retries included */
  size_t retries;
  size_t slices;   /* windows asked for (after splitting) */
  size_t splits;   /* slices split because they hit the limit */
  size_t traces;   /* distinct traces added */
  size_t spans;    /* spans added */
  int api;         /* Jaeger: the API used */
} dl_fetch_stats;

/* Fetches the traces of Q from Jaeger into SET.  On failure SET is left
   as it was.  HTTP, INGEST and STATS may be NULL. */
int dl_jaeger_fetch(dl_trace_set *set, const dl_trace_query *q, const dl_http_options *http,
                    const dl_ingest_options *ingest, dl_fetch_stats *stats,
                    dl_error *err) DL_MUST_CHECK;

/* The services Jaeger knows, sorted: *NAMES is a malloc'ed array of
   malloc'ed strings (free with dl_string_list_free). */
int dl_jaeger_services(const char *url, int api, const dl_http_options *http, char ***names,
                       size_t *n, dl_error *err) DL_MUST_CHECK;

/* Fetches the traces of Q from Tempo: /api/search (TraceQL, start and end
   in seconds), then /api/traces/<id> for each trace found. */
int dl_tempo_fetch(dl_trace_set *set, const dl_trace_query *q, const dl_http_options *http,
                   const dl_ingest_options *ingest, dl_fetch_stats *stats,
                   dl_error *err) DL_MUST_CHECK;

/* Loads the trace document at URL (http or https; any format dl_decode
   reads, gzip included) into SET, through the one HTTP client: its
   timeouts, retries, deadline and body limit (HTTP->max_bytes, and
   INGEST->max_bytes for the decoded document).  Credentials as
   HTTP->credentials names them (none by default).  On failure SET is
   left as it was.  HTTP, INGEST and STATS may be NULL. */
int dl_load_url(dl_trace_set *set, const char *url, const dl_http_options *http,
                const dl_ingest_options *ingest, dl_ingest_stats *stats,
                dl_error *err) DL_MUST_CHECK;

void dl_string_list_free(char **names, size_t n);

#endif
