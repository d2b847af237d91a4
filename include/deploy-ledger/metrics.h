/* Request metrics per window and group: the engine of the correlation.
 *
 * Over the spans of a trace set (optionally a selection of its rows)
 * that pass a filter, for each window and each group of the group-by
 * dimensions: count, errors, error rate, throughput, latency mean, min,
 * max and exact quantiles (by default p50, p90, p95 and p99, linear
 * interpolation or nearest rank, see dl-quantile.h).
 *
 * How the exact quantiles stay cheap on tens of millions of spans: the
 * columns are scanned twice and no latency is copied wholesale.  The
 * first scan counts, per window and group, a histogram of latencies in
 * log-linear buckets (64 per power of two; monotone, so a rank falls in
 * a known bucket).  The buckets holding the wanted ranks are then known
 * exactly, and the second scan copies only the latencies in those few
 * buckets, where introselect finishes the job.  The rows are split among
 * threads; counts and histograms add up, so the figures are identical
 * whatever the number of threads. */
#ifndef DL_METRICS_H
#define DL_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "ddsketch.h"
#include "error.h"
#include "group.h"
#include "quantile.h"
#include "trace-set.h"
#include "window.h"

#define DL_METRICS_MAX_Q 8

typedef struct dl_metrics_options {
  const dl_window *windows; /* required */
  size_t n_windows;
  const dl_group_spec *group;  /* NULL: everything in one group */
  const dl_filter *filter;     /* NULL: every span (dl_filter semantics) */
  const dl_selection *rows;    /* NULL: every row of the set */
  dl_quantile_method method;   /* default linear */
  size_t n_quantiles;          /* default 4: 0.5 0.9 0.95 0.99 */
  double quantiles[DL_METRICS_MAX_Q];
  int threads;                 /* 0: one per online CPU (1 for small inputs) */
  int keep_values;             /* cells keep every latency (for rank tests) */
  int sketches;                /* cells get a DDSketch of 1% accuracy */
} dl_metrics_options;

void dl_metrics_options_init(dl_metrics_options *o);

/* One window and group with at least one request. */
typedef struct dl_cell {
  size_t window;                   /* index into the options' windows */
  uint32_t key[DL_GROUP_MAX_DIMS]; /* string ids in group-by order; 0: absent */
  uint64_t count, errors;
  double error_rate;               /* errors / count */
  double throughput;               /* count per second of the window */
  double mean;                     /* ns */
  int64_t min, max;                /* ns */
  double q[DL_METRICS_MAX_Q];      /* ns, in the order of the options */
  int64_t *values;                 /* keep_values: the latencies (ns), in no order */
  size_t n_values;
  dl_ddsketch *sketch;             /* sketches: the latencies (ns) */
} dl_cell;

typedef struct dl_metrics dl_metrics;

/* Computes the metrics of SET.  The result borrows SET (for key strings):
   free the result first. */
int dl_metrics_compute(const dl_trace_set *set, const dl_metrics_options *o, dl_metrics **out,
                       dl_error *err) DL_MUST_CHECK;
void dl_metrics_free(dl_metrics *m);

/* Cells ordered by window, then by key strings (absent first). */
size_t dl_metrics_count(const dl_metrics *m);
const dl_cell *dl_metrics_cell(const dl_metrics *m, size_t i);

/* The string of dimension DIM of cell C's key, NULL when absent. */
const char *dl_metrics_key(const dl_metrics *m, const dl_cell *c, size_t dim);

/* The cell of WINDOW whose key strings equal KEYS (n = group dims; NULL
   entries match absent), or NULL. */
const dl_cell *dl_metrics_find(const dl_metrics *m, size_t window, const char *const *keys);

/* The options' quantiles, the group spec, the windows (borrowed). */
size_t dl_metrics_quantile_count(const dl_metrics *m);
double dl_metrics_quantile(const dl_metrics *m, size_t i);
const dl_group_spec *dl_metrics_group(const dl_metrics *m);
const dl_window *dl_metrics_window(const dl_metrics *m, size_t i);
size_t dl_metrics_window_count(const dl_metrics *m);

/* Threads the computation used, and spans it counted (all windows). */
int dl_metrics_threads(const dl_metrics *m);
uint64_t dl_metrics_rows_matched(const dl_metrics *m);

#endif
