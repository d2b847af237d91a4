/* Comparing two cells of metrics (dl-metrics.h): the absolute and
 * relative change of every figure, and for the requests themselves the
 * Mann-Whitney test with the Hodges-Lehmann shift of latency and the
 * two-proportion test of the error rate. */
#ifndef DL_COMPARE_H
#define DL_COMPARE_H

#include <stddef.h>

#include "error.h"
#include "mann-whitney.h"
#include "metrics.h"
#include "proportion.h"

/* The figures of a cell, in this order. */
typedef enum dl_figure {
  DL_FIG_COUNT = 0,
  DL_FIG_THROUGHPUT,
  DL_FIG_ERRORS,
  DL_FIG_ERROR_RATE,
  DL_FIG_MEAN,
  DL_FIG_MAX,
  DL_FIG_P50,
  DL_FIG_P90,
  DL_FIG_P95,
  DL_FIG_P99,
  DL_FIG_COUNT_ALL
} dl_figure;

/* "count", "throughput", "errors", "error-rate", "mean", "max", "p50" .. */
const char *dl_figure_name(dl_figure f);

/* The figure F of cell C (latencies in ns; NaN for a missing cell). */
double dl_cell_figure(const dl_cell *c, dl_figure f);

typedef struct dl_delta {
  double control, experiment;
  double abs; /* experiment - control */
  double rel; /* abs / control; NaN when control is 0 or missing */
} dl_delta;

typedef struct dl_comparison {
  dl_delta delta[DL_FIG_COUNT_ALL];
  int has_latency_test;  /* both cells kept values */
  dl_mw_result latency;  /* experiment against control, ns */
  int has_error_test;
  dl_prop_result errors; /* experiment rate against control rate */
} dl_comparison;

/* Compares EXPERIMENT with CONTROL (either may be NULL: a missing cell);
   the tests run when both cells are there, the latency test when both
   kept their values. */
int dl_compare_cells(const dl_cell *control, const dl_cell *experiment, double conf_level,
                     dl_comparison *out, dl_error *err) DL_MUST_CHECK;

#endif
