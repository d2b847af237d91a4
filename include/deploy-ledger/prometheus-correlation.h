/* Correlating a deployment with the mesh's metrics in Prometheus.
 *
 * The same windows (baseline, during, after), the same choice of control
 * and experiment (canary: the new version against the control version
 * during the deployment; otherwise after, or during while nothing came
 * after, against the baseline), the same comparison and the same judge
 * (its configuration, thresholds and series buckets) as the trace
 * correlation (correlate.h) -- only the figures come from the preset's
 * metrics (prometheus.h): requests and errors are increases of the
 * request counter, percentiles are histogram_quantile() of the buckets'
 * increase, per window, per version and per judge bucket.  A PromQL
 * query of the user's (--promql NAME=QUERY, with $service, $version and
 * $window substituted) is evaluated at the end of each window and per
 * judge bucket, and judged as one more metric (group "promql", an
 * increase is bad).
 *
 * With a trace correlation beside it, dl_prom_correlation_json merges the
 * two: one `metrics' list with each row's source, both judges, the
 * verdict of the worse of them that could tell, and where the sources
 * disagree (a request count that says the traces are sampled, error rates
 * or percentiles far apart). */
#ifndef DL_PROMETHEUS_CORRELATION_H
#define DL_PROMETHEUS_CORRELATION_H

#include <jansson.h>

#include "correlate.h"
#include "prometheus.h"

#define DL_PROM_MAX_PROMQL 8

typedef struct dl_prom_source {
  const char *url;           /* a Prometheus server; or */
  const dl_prom_data *data;  /* samples already read (an exposition file) */
  const char *name;          /* how to show it (the file's name); NULL: the URL */
  dl_mesh_preset preset;
  const dl_http_options *http; /* NULL: defaults, credentials from DL_PROM_CREDENTIALS_* */
  dl_prom_limits limits;     /* for what is fetched */
  size_t n_promql;           /* server only */
  const char *promql_names[DL_PROM_MAX_PROMQL];
  const char *promql[DL_PROM_MAX_PROMQL];
} dl_prom_source;

void dl_prom_source_init(dl_prom_source *s);

/* The value of a --promql query at the end of a window, for a version
   (NULL: the query as given, all versions). */
typedef struct dl_promql_value {
  size_t query, window;
  char *version;
  double value; /* the sum of the answer's values; NaN when it had none */
} dl_promql_value;

typedef struct dl_prom_correlation {
  char *id, *service, *version, *previous_version, *source;
  dl_deploy_type type;
  int64_t started, completed, now, window_width;
  dl_window windows[3];
  dl_mesh_preset preset;
  char *selectors[2];        /* the counter's and the histogram's */
  dl_prom_data *data;        /* owned when fetched; rows borrow its strings */
  const dl_prom_data *used;
  dl_mesh_rows rows;         /* per window and version, then all versions */
  dl_compare_mode mode;
  size_t control_window, experiment_window;
  char *control_version, *experiment_version; /* canary; NULL otherwise */
  dl_comparison overall;
  int judged;
  dl_judge_result judge;
  int64_t bucket;
  size_t control_buckets, experiment_buckets;
  dl_promql_value *promql;
  size_t n_promql;
  size_t n_queries;          /* of the source (names and texts copied) */
  char *query_names[DL_PROM_MAX_PROMQL], *queries[DL_PROM_MAX_PROMQL];
  size_t requests;           /* HTTP requests made */
} dl_prom_correlation;

/* Correlates D with the metrics of SRC, with the options O (window,
   compare mode, control version, judge, bucket, min_requests,
   max_window, now) of the trace correlation. */
int dl_prom_correlate(const dl_prom_source *src, const dl_deployment *d,
                      const dl_correlate_options *o, dl_prom_correlation **out,
                      dl_error *err) DL_MUST_CHECK;
void dl_prom_correlation_free(dl_prom_correlation *p);

/* The result as JSON (a new reference; NULL when out of memory).  With
   TRACES (the trace correlation's JSON, whose reference it takes) the two
   are merged as the header says; without, the document has the trace
   correlation's shape with Prometheus' figures. */
json_t *dl_prom_correlation_json(const dl_prom_correlation *p, json_t *traces);

#endif
