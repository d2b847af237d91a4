/* Classifying one metric, experiment against control. */
#include "deploy-ledger/judge.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy-ledger/mann-whitney.h"
#include "deploy-ledger/proportion.h"
#include "deploy-ledger/quantile.h"
#include "stats/sort.h"

/* The finite values of V, sorted, into a new array (*OUT, free it). */
static int
clean(const double *v, size_t n, double **out, size_t *m)
{
  *out = malloc((n ? n : 1) * sizeof **out);
  if (!*out)
    return DL_ENOMEM;
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (isfinite(v[i]))
      (*out)[k++] = v[i];
  dl_sort_f64(*out, k);
  *m = k;
  return DL_OK;
}

static double
mean_of(const double *v, size_t n)
{
  double s = 0;
  for (size_t i = 0; i < n; i++)
    s += v[i];
  return n ? s / (double) n : NAN;
}

static double
median_sorted(const double *v, size_t n)
{
  if (!n)
    return NAN;
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double
ratio_of(double e, double c)
{
  if (c != 0)
    return e / c;
  return e > 0 ? INFINITY : e < 0 ? -INFINITY : 1;
}

/* V as a person reads it: latencies (nanoseconds) in milliseconds, error
 * rates in percentage points, throughput per second. */
static const char *
amount(dl_metric_kind kind, double v, char *buf, size_t size)
{
  if (kind <= DL_METRIC_MAX)
    snprintf(buf, size, "%.4g ms", v / 1e6);
  else if (kind == DL_METRIC_ERROR_RATE)
    snprintf(buf, size, "%.4g pp", v * 100);
  else
    snprintf(buf, size, "%.4g/s", v);
  return buf;
}

/* High, Low or Pass from the interval, the bounds and the ratio. */
static void
decide(const dl_judge_metric *m, dl_judge_metric_result *r, double conf)
{
  double crit = m->tolerance * fabs(r->estimate);
  r->lower_bound = -crit;
  r->upper_bound = crit;
  int up = m->direction != DL_DIRECTION_DECREASE, down = m->direction != DL_DIRECTION_INCREASE;
  char est[32], lo[32], hi[32], bound[32];
  amount(m->kind, r->ci_low, lo, sizeof lo);
  amount(m->kind, r->ci_high, hi, sizeof hi);
  if (up && r->ci_low > crit && r->ratio > m->allowed_increase) {
    r->classification = DL_CLASS_HIGH;
    snprintf(r->reason, sizeof r->reason,
             "higher by %s (%g%% interval %s to %s, above %s); ratio %.3f over the allowed %.3f",
             amount(m->kind, r->estimate, est, sizeof est), conf * 100, lo, hi,
             amount(m->kind, crit, bound, sizeof bound), r->ratio, m->allowed_increase);
  } else if (down && r->ci_high < -crit && r->ratio < m->allowed_decrease) {
    r->classification = DL_CLASS_LOW;
    snprintf(r->reason, sizeof r->reason,
             "lower by %s (%g%% interval %s to %s, below %s); ratio %.3f under the allowed %.3f",
             amount(m->kind, -r->estimate, est, sizeof est), conf * 100, lo, hi,
             amount(m->kind, -crit, bound, sizeof bound), r->ratio, m->allowed_decrease);
  } else {
    r->classification = DL_CLASS_PASS;
    snprintf(r->reason, sizeof r->reason,
             "difference %s (%g%% interval %s to %s), ratio %.3f: within what is allowed",
             amount(m->kind, r->estimate, est, sizeof est), conf * 100, lo, hi, r->ratio);
  }
}

static void
no_data(const dl_judge_metric *m, dl_judge_metric_result *r)
{
  r->classification = DL_CLASS_NODATA;
  r->failed = m->must_have_data;
  r->test = "none";
  snprintf(r->reason, sizeof r->reason, "no data for the %s%s",
           r->n_control == 0 && r->n_experiment == 0 ? "control and the experiment"
           : r->n_control == 0                       ? "control"
                                                     : "experiment",
           m->must_have_data ? " (the metric must have data)" : "");
}

int
dl_judge_classify(const dl_judge_metric *m, const dl_judge_input *in, double conf,
                  dl_judge_metric_result *r, dl_error *err)
{
  memset(r, 0, sizeof *r);
  r->config = *m;
  r->estimate = r->ci_low = r->ci_high = r->p_value = r->ratio = NAN;
  r->control_mean = r->experiment_mean = r->control_median = r->experiment_median = NAN;
  r->lower_bound = r->upper_bound = NAN;
  if (in->proportion) {
    r->n_control = (size_t) in->control_total;
    r->n_experiment = (size_t) in->experiment_total;
    if (!in->control_total || !in->experiment_total) {
      no_data(m, r);
      return DL_OK;
    }
    dl_prop_result p;
    int rc = dl_two_proportion(in->experiment_errors, in->experiment_total, in->control_errors,
                               in->control_total, conf, &p, err);
    if (rc)
      return rc;
    r->test = "two-proportion";
    r->control_mean = r->control_median = p.p2;
    r->experiment_mean = r->experiment_median = p.p1;
    r->estimate = p.diff;
    r->ci_low = p.ci_low;
    r->ci_high = p.ci_high;
    r->p_value = p.p_value;
    r->ratio = p.ratio;
    decide(m, r, conf);
    r->failed = r->classification == DL_CLASS_HIGH || r->classification == DL_CLASS_LOW;
    return DL_OK;
  }
  double *c, *e;
  size_t nc, ne;
  if (clean(in->control, in->n_control, &c, &nc)) {
    return dl_fail(err, DL_ENOMEM, "out of memory judging %s", m->name);
  }
  if (clean(in->experiment, in->n_experiment, &e, &ne)) {
    free(c);
    return dl_fail(err, DL_ENOMEM, "out of memory judging %s", m->name);
  }
  r->n_control = nc;
  r->n_experiment = ne;
  int rc = DL_OK;
  if (nc == 0 || ne == 0) {
    no_data(m, r);
    goto done;
  }
  r->control_mean = mean_of(c, nc);
  r->experiment_mean = mean_of(e, ne);
  r->control_median = median_sorted(c, nc);
  r->experiment_median = median_sorted(e, ne);
  r->ratio = ratio_of(r->experiment_mean, r->control_mean);
  if (nc == ne && memcmp(c, e, nc * sizeof *c) == 0) {
    /* Kayenta: identical data passes without a test. */
    r->test = "identical";
    r->estimate = r->ci_low = r->ci_high = 0;
    r->p_value = 1;
    r->lower_bound = r->upper_bound = 0;
    r->classification = DL_CLASS_PASS;
    snprintf(r->reason, sizeof r->reason, "identical values");
    goto done;
  }
  dl_mw_options o;
  dl_mw_options_init(&o);
  o.conf_level = conf;
  dl_mw_result mw;
  rc = dl_mann_whitney_sorted(e, ne, c, nc, &o, &mw, err);
  if (rc)
    goto done;
  r->test = "mann-whitney";
  r->estimate = mw.estimate;
  r->ci_low = mw.ci_low;
  r->ci_high = mw.ci_high;
  r->p_value = mw.p_value;
  decide(m, r, conf);
  r->failed = r->classification == DL_CLASS_HIGH || r->classification == DL_CLASS_LOW;
done:
  free(c);
  free(e);
  return rc;
}
