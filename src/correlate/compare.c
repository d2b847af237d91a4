/* Comparing two cells. */
#include "deploy-ledger/compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const figure_names[DL_FIG_COUNT_ALL] = {
  "count", "throughput", "errors", "error-rate", "mean", "max", "p50", "p90", "p95", "p99"};

const char *
dl_figure_name(dl_figure f)
{
  return (unsigned) f < DL_FIG_COUNT_ALL ? figure_names[f] : "unknown";
}

double
dl_cell_figure(const dl_cell *c, dl_figure f)
{
  if (!c)
    return NAN;
  switch (f) {
  case DL_FIG_COUNT: return (double) c->count;
  case DL_FIG_THROUGHPUT: return c->throughput;
  case DL_FIG_ERRORS: return (double) c->errors;
  case DL_FIG_ERROR_RATE: return c->error_rate;
  case DL_FIG_MEAN: return c->mean;
  case DL_FIG_MAX: return (double) c->max;
  case DL_FIG_P50: return c->q[0];
  case DL_FIG_P90: return c->q[1];
  case DL_FIG_P95: return c->q[2];
  case DL_FIG_P99: return c->q[3];
  default: return NAN;
  }
}

/* Latencies as doubles, for the rank test. */
static double *
as_doubles(const dl_cell *c)
{
  double *v = malloc((c->n_values ? c->n_values : 1) * sizeof *v);
  if (v)
    for (size_t i = 0; i < c->n_values; i++)
      v[i] = (double) c->values[i];
  return v;
}

int
dl_compare_cells(const dl_cell *control, const dl_cell *experiment, double conf_level,
                 dl_comparison *out, dl_error *err)
{
  memset(out, 0, sizeof *out);
  for (int f = 0; f < DL_FIG_COUNT_ALL; f++) {
    dl_delta *d = &out->delta[f];
    /* A missing cell has no requests: count, throughput and errors are 0. */
    int countlike = f == DL_FIG_COUNT || f == DL_FIG_THROUGHPUT || f == DL_FIG_ERRORS;
    d->control = control ? dl_cell_figure(control, (dl_figure) f) : countlike ? 0 : NAN;
    d->experiment = experiment ? dl_cell_figure(experiment, (dl_figure) f) : countlike ? 0 : NAN;
    d->abs = d->experiment - d->control;
    d->rel = d->control != 0 && isfinite(d->control) ? d->abs / d->control : NAN;
  }
  if (!control || !experiment)
    return DL_OK;
  int rc = dl_two_proportion(experiment->errors, experiment->count, control->errors, control->count,
                             conf_level, &out->errors, err);
  if (rc)
    return rc;
  out->has_error_test = 1;
  if (control->values && experiment->values && control->n_values && experiment->n_values) {
    double *x = as_doubles(experiment), *y = as_doubles(control);
    if (!x || !y) {
      free(x);
      free(y);
      return dl_fail(err, DL_ENOMEM, "out of memory comparing latencies");
    }
    dl_mw_options o;
    dl_mw_options_init(&o);
    o.conf_level = conf_level;
    rc = dl_mann_whitney(x, experiment->n_values, y, control->n_values, &o, &out->latency, err);
    free(x);
    free(y);
    if (rc)
      return rc;
    out->has_latency_test = 1;
  }
  return DL_OK;
}
