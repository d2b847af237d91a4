/* Metrics from Prometheus: the series store, the text exposition format
 * (Prometheus 0.0.4 and OpenMetrics 1.0), the HTTP API (/api/v1/query and
 * /api/v1/query_range), and PromQL's increase() and histogram_quantile()
 * as Prometheus computes them.
 *
 * A dl_prom_data holds series -- a metric name, its labels sorted by
 * name, and samples (time in ns since the epoch, value) in time order --
 * whichever way they came: parsed from a file, or answered by a server.
 * Both readers are bounded (dl_prom_limits: series, samples, label bytes)
 * and every limit names the option that raises it.
 *
 * The arithmetic is Prometheus 2's (promql/functions.go, quantile.go):
 * increase() over a closed range [start, end] with counter resets added
 * back and the result extrapolated towards the range's ends (never past
 * the counter's zero point), and histogram_quantile() interpolating
 * linearly within the bucket that holds the rank, with buckets of equal
 * bound merged and counts forced monotonic, NaN without a +Inf bucket or
 * without observations, and the largest finite bound when the rank falls
 * into the +Inf bucket.  Prometheus 3 reads ranges left-open (start,
 * end]; the difference shows only for a sample exactly at the start.
 *
 * Credentials for the server come from the environment only:
 * DEPLOY_LEDGER_PROMETHEUS_TOKEN (bearer) or DEPLOY_LEDGER_PROMETHEUS_USER
 * and _PASSWORD (basic), or another prefix named by the HTTP options; they
 * are never printed. */
#ifndef DL_PROMETHEUS_H
#define DL_PROMETHEUS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "http-options.h"

#define DL_PROM_CREDENTIALS "DEPLOY_LEDGER_PROMETHEUS"

/* ---- the series store ---- */

typedef struct dl_prom_label {
  const char *name, *value; /* owned by the store */
} dl_prom_label;

typedef struct dl_prom_series {
  const char *name;      /* the metric name (__name__) */
  dl_prom_label *labels; /* sorted by name; no __name__ */
  size_t n_labels;
  int64_t *t;            /* ns, ascending */
  double *v;
  size_t n, cap;
} dl_prom_series;

/* An exemplar: the labels (often trace_id) of one observation behind a
   sample, its value and optional time (DL_TIME_NONE when not given). */
typedef struct dl_prom_exemplar {
  size_t series;         /* index of the series it was attached to */
  dl_prom_label *labels;
  size_t n_labels;
  double value;
  int64_t t;
} dl_prom_exemplar;

typedef enum dl_prom_type {
  DL_PROM_UNTYPED = 0, /* "untyped" (0.0.4) or "unknown" (OpenMetrics) */
  DL_PROM_COUNTER,
  DL_PROM_GAUGE,
  DL_PROM_HISTOGRAM,
  DL_PROM_GAUGE_HISTOGRAM,
  DL_PROM_SUMMARY,
  DL_PROM_STATESET,
  DL_PROM_INFO
} dl_prom_type;

/* A metric family's metadata, as # TYPE, # HELP and # UNIT gave it. */
typedef struct dl_prom_family {
  const char *name;
  dl_prom_type type;
  const char *help; /* unescaped, or NULL */
  const char *unit; /* or NULL */
  int typed;        /* a # TYPE line named it */
} dl_prom_family;

/* Bounds on what one store takes (0: the default). */
typedef struct dl_prom_limits {
  size_t max_series;  /* default 100000 (--max-series) */
  size_t max_samples; /* default 10000000 in all (--max-samples) */
} dl_prom_limits;

typedef struct dl_prom_data dl_prom_data;

/* A new, empty store (NULL when out of memory); LIMITS may be NULL. */
dl_prom_data *dl_prom_data_new(const dl_prom_limits *limits);
void dl_prom_data_free(dl_prom_data *d);

size_t dl_prom_data_count(const dl_prom_data *d);
const dl_prom_series *dl_prom_data_series(const dl_prom_data *d, size_t i);
size_t dl_prom_data_samples(const dl_prom_data *d);
size_t dl_prom_data_exemplar_count(const dl_prom_data *d);
const dl_prom_exemplar *dl_prom_data_exemplar(const dl_prom_data *d, size_t i);
size_t dl_prom_data_family_count(const dl_prom_data *d);
const dl_prom_family *dl_prom_data_family(const dl_prom_data *d, size_t i);
const char *dl_prom_type_name(dl_prom_type t);

/* The value of label NAME of S, or NULL. */
const char *dl_prom_series_label(const dl_prom_series *s, const char *name);

/* Adds sample (T ns, V) to the series NAME{LABELS} (N labels in any
   order; names must be distinct), creating it.  Samples of a series must
   come in time order: an earlier one is DL_EINVAL, one at the same time
   replaces the value.  *INDEX (may be NULL) gets the series index.
   DL_ERANGE past the limits. */
int dl_prom_data_add(dl_prom_data *d, const char *name, const dl_prom_label *labels, size_t n,
                     int64_t t, double v, size_t *index, dl_error *err) DL_MUST_CHECK;

/* ---- the text exposition format ---- */

typedef enum dl_expo_format {
  DL_EXPO_AUTO = 0,     /* OpenMetrics when the text ends with "# EOF" */
  DL_EXPO_PROMETHEUS,   /* text/plain; version=0.0.4: timestamps in ms */
  DL_EXPO_OPENMETRICS   /* application/openmetrics-text: seconds, # EOF */
} dl_expo_format;

/* Parses TEXT (LEN bytes) into D.  Samples without a timestamp get
   DEFAULT_TIME (ns).  SOURCE names the input in errors, which give the
   line and column (err->line, err->column) and say what was expected:
   "metrics.txt:12:18: expected '=' after label name \"code\"".  On
   failure D keeps what came before the bad line. */
int dl_exposition_parse(dl_prom_data *d, const char *text, size_t len, const char *source,
                        dl_expo_format format, int64_t default_time,
                        dl_error *err) DL_MUST_CHECK;

/* ---- the HTTP API ---- */

typedef struct dl_prom_client dl_prom_client;

/* A client of the server at URL (http://prometheus:9090, a path prefix
   allowed).  HTTP may be NULL (defaults; credentials from
   DL_PROM_CREDENTIALS_*). */
dl_prom_client *dl_prom_client_new(const char *url, const dl_http_options *http,
                                   dl_error *err);
void dl_prom_client_free(dl_prom_client *c);
size_t dl_prom_client_requests(const dl_prom_client *c);

/* /api/v1/query: QUERY evaluated at time T (ns).  Vectors and scalars
   add one sample per series at T; matrices (a range selector) add their
   raw samples.  Errors carry the server's errorType and error. */
int dl_prom_query(dl_prom_client *c, const char *query, int64_t t, dl_prom_data *out,
                  dl_error *err) DL_MUST_CHECK;

/* /api/v1/query_range from START to END (ns) every STEP (ns). */
int dl_prom_query_range(dl_prom_client *c, const char *query, int64_t start, int64_t end,
                        int64_t step, dl_prom_data *out, dl_error *err) DL_MUST_CHECK;

/* Parses an API answer (the JSON of /api/v1/query or query_range) into
   OUT; SOURCE names it in errors. */
int dl_prom_parse_answer(const char *body, size_t len, const char *source, dl_prom_data *out,
                         dl_error *err) DL_MUST_CHECK;

/* ---- PromQL's arithmetic ---- */

/* increase() of the counter samples (T ns ascending, V) of one series
   over the closed range [START, END] (ns): NaN with fewer than two
   samples in the range. */
double dl_prom_increase(const int64_t *t, const double *v, size_t n, int64_t start,
                        int64_t end);

/* histogram_quantile(Q) of N buckets (upper bounds LE, cumulative counts
   COUNT, in any order; they are sorted in place). */
double dl_prom_histogram_quantile(double q, double *le, double *count, size_t n);

/* The upper bound a bucket's "le" label gives (Go's ParseFloat: "+Inf",
   "1e3", "0.5"); -1 when it is not a number. */
int dl_prom_parse_le(const char *text, double *out);

/* ---- the mesh's standard metrics ---- */

/* Where request counts and latencies come from (one table in
   mesh-metrics.c):
   istio        istio_requests_total and istio_request_duration_milliseconds_bucket,
                reporter="destination"; service destination_canonical_service;
                version destination_canonical_revision, else destination_version,
                else destination_workload; errors: response_code 5xx.
   linkerd      response_total and response_latency_ms_bucket, direction="inbound";
                service deployment; version version, else
                app_kubernetes_io_version, else pod_template_hash; errors:
                classification="failure".
   linkerd-outbound  the same seen by the callers: direction="outbound",
                service dst_deployment, version dst_version, else
                dst_pod_template_hash.
   spanmetrics  the OpenTelemetry Collector's spanmetrics connector, with or
                without the traces_span_metrics_ namespace: calls_total and
                duration_milliseconds_bucket (or duration_seconds_bucket),
                span_kind="SPAN_KIND_SERVER"; service service_name; version
                service_version; errors: status_code="STATUS_CODE_ERROR". */
typedef enum dl_mesh_preset {
  DL_MESH_ISTIO = 0,
  DL_MESH_LINKERD,
  DL_MESH_LINKERD_OUTBOUND,
  DL_MESH_SPANMETRICS,
  DL_MESH_PRESET_COUNT
} dl_mesh_preset;

const char *dl_mesh_preset_name(dl_mesh_preset p);
int dl_mesh_preset_parse(const char *name, dl_mesh_preset *p, dl_error *err) DL_MUST_CHECK;

/* The PromQL selectors of PRESET for SERVICE (malloc'ed: free them): the
   request counter's and the duration histogram's buckets. */
int dl_mesh_selectors(dl_mesh_preset p, const char *service, char **counter, char **histogram,
                      dl_error *err) DL_MUST_CHECK;

/* The closed range [*FROM, *TO] (ns, whole milliseconds) that Prometheus'
   increase(x[R]) evaluated at the end of window W covers: W's length is
   R (the closed windows' extra nanosecond dropped). */
void dl_prom_window_range(int64_t start, int64_t end, double seconds, int64_t *from,
                          int64_t *to);

#define DL_MESH_QUANTILES 4 /* p50, p90, p95, p99 */

/* One window and version (NULL: all versions together). */
typedef struct dl_mesh_row {
  size_t window;
  const char *version;    /* borrowed from the data */
  double count, errors;   /* increases over the window (not whole numbers:
                             Prometheus extrapolates) */
  double error_rate;      /* errors / count; NaN without requests */
  double throughput;      /* count per second of the window */
  double q[DL_MESH_QUANTILES]; /* ns; NaN without observations */
  int has_histogram;      /* some bucket series had samples in the window */
} dl_mesh_row;

typedef struct dl_mesh_rows {
  dl_mesh_row *rows;
  size_t n;
} dl_mesh_rows;

/* The rows of the series in D that PRESET selects for SERVICE, for each
   of the N windows (START[i], END[i], SECONDS[i] as dl_prom_window_range
   reads them): one per version seen, then one of all versions.  Series
   of other services or shapes are ignored, so a whole file can be D. */
int dl_mesh_rows_compute(const dl_prom_data *d, dl_mesh_preset p, const char *service,
                         const int64_t *start, const int64_t *end, const double *seconds,
                         size_t n, dl_mesh_rows *out, dl_error *err) DL_MUST_CHECK;
void dl_mesh_rows_clear(dl_mesh_rows *r);

/* Fetches from C the raw samples of PRESET's series for SERVICE over
   [FROM, TO] (ns) into OUT: one range query of each selector at TO. */
int dl_mesh_fetch(dl_prom_client *c, dl_mesh_preset p, const char *service, int64_t from,
                  int64_t to, dl_prom_data *out, dl_error *err) DL_MUST_CHECK;

#endif
