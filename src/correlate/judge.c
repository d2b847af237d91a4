/* The judge's configuration, names and scoring. */
#include "deploy-ledger/judge.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const kind_names[DL_METRIC_KIND_COUNT] = {
  "p50", "p90", "p95", "p99", "mean", "max", "error-rate", "throughput"};
static const char *const class_names[] = {"pass", "high", "low", "nodata"};
static const char *const direction_names[] = {"increase", "decrease", "either"};
static const char *const verdict_names[] = {"pass", "marginal", "fail", "inconclusive"};

const char *
dl_metric_kind_name(dl_metric_kind k)
{
  return (unsigned) k < DL_METRIC_KIND_COUNT ? kind_names[k] : "unknown";
}

int
dl_metric_kind_parse(const char *name, dl_metric_kind *k, dl_error *err)
{
  for (int i = 0; name && i < DL_METRIC_KIND_COUNT; i++)
    if (strcmp(name, kind_names[i]) == 0) {
      *k = (dl_metric_kind) i;
      return DL_OK;
    }
  return dl_fail(err, DL_EINVAL,
                 "unknown metric \"%s\" (expected p50, p90, p95, p99, mean, max, error-rate or "
                 "throughput)",
                 name ? name : "");
}

const char *
dl_classification_name(dl_classification c)
{
  return (unsigned) c <= DL_CLASS_NODATA ? class_names[c] : "unknown";
}

const char *
dl_direction_name(dl_direction d)
{
  return (unsigned) d <= DL_DIRECTION_EITHER ? direction_names[d] : "unknown";
}

int
dl_direction_parse(const char *name, dl_direction *d, dl_error *err)
{
  for (int i = 0; name && i < 3; i++)
    if (strcmp(name, direction_names[i]) == 0) {
      *d = (dl_direction) i;
      return DL_OK;
    }
  return dl_fail(err, DL_EINVAL, "unknown direction \"%s\" (expected increase, decrease or either)",
                 name ? name : "");
}

const char *
dl_verdict_name(dl_verdict v)
{
  return (unsigned) v <= DL_VERDICT_INCONCLUSIVE ? verdict_names[v] : "unknown";
}

void
dl_judge_config_empty(dl_judge_config *c)
{
  memset(c, 0, sizeof *c);
  c->pass_threshold = 95;
  c->marginal_threshold = 75;
  c->conf_level = 0.95;
}

dl_judge_metric *
dl_judge_config_add(dl_judge_config *c, dl_metric_kind kind, const char *name, const char *group)
{
  if (c->n_metrics == DL_JUDGE_MAX_METRICS)
    return NULL;
  dl_judge_metric *m = &c->metrics[c->n_metrics++];
  memset(m, 0, sizeof *m);
  m->kind = kind;
  if (name)
    snprintf(m->name, sizeof m->name, "%s", name);
  else if (kind == DL_METRIC_ERROR_RATE || kind == DL_METRIC_THROUGHPUT)
    snprintf(m->name, sizeof m->name, "%s", kind_names[kind]);
  else
    snprintf(m->name, sizeof m->name, "latency-%s", kind_names[kind]);
  snprintf(m->group, sizeof m->group, "%s",
           group ? group
                 : kind == DL_METRIC_ERROR_RATE ? "errors"
                 : kind == DL_METRIC_THROUGHPUT ? "traffic"
                                                : "latency");
  /* Less traffic is what hurts throughput; more is bad for the rest. */
  m->direction = kind == DL_METRIC_THROUGHPUT ? DL_DIRECTION_DECREASE : DL_DIRECTION_INCREASE;
  m->tolerance = 0.25;
  m->allowed_increase = 1.1;
  m->allowed_decrease = 0.9;
  return m;
}

void
dl_judge_config_init(dl_judge_config *c)
{
  dl_judge_config_empty(c);
  dl_judge_config_add(c, DL_METRIC_P50, NULL, NULL);
  dl_judge_config_add(c, DL_METRIC_P90, NULL, NULL);
  dl_judge_config_add(c, DL_METRIC_P95, NULL, NULL);
  dl_judge_config_add(c, DL_METRIC_P99, NULL, NULL)->critical = 1;
  dl_judge_config_add(c, DL_METRIC_ERROR_RATE, NULL, NULL)->critical = 1;
}

int
dl_judge_config_weight(dl_judge_config *c, const char *name, double weight, dl_error *err)
{
  if (!name || !*name)
    return dl_fail(err, DL_EINVAL, "group weight without a group name");
  if (!(weight >= 0 && weight <= 100))
    return dl_fail(err, DL_EINVAL, "weight %g of group \"%s\" is not between 0 and 100", weight,
                   name);
  for (size_t i = 0; i < c->n_group_weights; i++)
    if (strcmp(c->group_names[i], name) == 0) {
      c->group_weights[i] = weight;
      return DL_OK;
    }
  if (c->n_group_weights == DL_JUDGE_MAX_GROUPS)
    return dl_fail(err, DL_EINVAL, "more than %d group weights", DL_JUDGE_MAX_GROUPS);
  snprintf(c->group_names[c->n_group_weights], DL_JUDGE_NAME_SIZE, "%s", name);
  c->group_weights[c->n_group_weights++] = weight;
  return DL_OK;
}

int
dl_judge_config_check(const dl_judge_config *c, dl_error *err)
{
  if (!(c->marginal_threshold >= 0 && c->marginal_threshold <= c->pass_threshold
        && c->pass_threshold <= 100))
    return dl_fail(err, DL_EINVAL,
                   "thresholds must satisfy 0 <= marginal (%g) <= pass (%g) <= 100",
                   c->marginal_threshold, c->pass_threshold);
  if (!(c->conf_level > 0 && c->conf_level < 1))
    return dl_fail(err, DL_EINVAL, "confidence level %g is not in (0, 1)", c->conf_level);
  double given = 0;
  for (size_t i = 0; i < c->n_group_weights; i++)
    given += c->group_weights[i];
  if (given > 100 + 1e-9)
    return dl_fail(err, DL_EINVAL, "group weights add up to %g, more than 100", given);
  for (size_t i = 0; i < c->n_metrics; i++) {
    const dl_judge_metric *m = &c->metrics[i];
    if (!m->name[0] || !m->group[0])
      return dl_fail(err, DL_EINVAL, "metric %zu has no name or group", i);
    if ((unsigned) m->kind >= DL_METRIC_KIND_COUNT || (unsigned) m->direction > 2)
      return dl_fail(err, DL_EINVAL, "metric %s: unknown kind or direction", m->name);
    if (!(m->tolerance >= 0) || !(m->allowed_increase > 0) || !(m->allowed_decrease > 0))
      return dl_fail(err, DL_EINVAL,
                     "metric %s: tolerance must be >= 0 and allowed ratios > 0", m->name);
    for (size_t k = 0; k < i; k++)
      if (strcmp(c->metrics[k].name, m->name) == 0)
        return dl_fail(err, DL_EINVAL, "metric %s appears twice", m->name);
  }
  return DL_OK;
}

/* ---- scoring ---- */

static double
given_weight(const dl_judge_config *c, const char *group, int *found)
{
  for (size_t i = 0; i < c->n_group_weights; i++)
    if (strcmp(c->group_names[i], group) == 0) {
      *found = 1;
      return c->group_weights[i];
    }
  *found = 0;
  return 0;
}

void
dl_judge_score(const dl_judge_config *c, dl_judge_result *r)
{
  r->n_groups = 0;
  r->pass_threshold = c->pass_threshold;
  r->marginal_threshold = c->marginal_threshold;
  r->conf_level = c->conf_level;
  size_t nodata = 0;
  r->critical_failure = 0;
  r->critical_no_data = 0;
  for (size_t i = 0; i < r->n_metrics; i++) {
    dl_judge_metric_result *m = &r->metrics[i];
    size_t g = 0;
    while (g < r->n_groups && strcmp(r->groups[g].name, m->config.group) != 0)
      g++;
    if (g == r->n_groups) {
      memset(&r->groups[g], 0, sizeof r->groups[g]);
      snprintf(r->groups[g].name, sizeof r->groups[g].name, "%s", m->config.group);
      r->n_groups++;
    }
    dl_judge_group_score *gs = &r->groups[g];
    switch (m->classification) {
    case DL_CLASS_PASS: gs->pass++; break;
    case DL_CLASS_HIGH: gs->high++; break;
    case DL_CLASS_LOW: gs->low++; break;
    default: gs->nodata++; nodata++; break;
    }
    if (m->classification != DL_CLASS_NODATA || m->failed)
      gs->scored++;
    if (m->failed && m->config.critical)
      r->critical_failure = 1;
    if (m->classification == DL_CLASS_NODATA && !m->failed && m->config.critical)
      r->critical_no_data = 1;
  }
  /* Weights: given ones as given, the rest of 100 shared by the others. */
  double given = 0;
  size_t others = 0;
  for (size_t g = 0; g < r->n_groups; g++) {
    int found;
    double w = given_weight(c, r->groups[g].name, &found);
    if (found)
      given += w;
    else
      others++;
  }
  double share = others ? (100 - given) / (double) others : 0;
  if (share < 0)
    share = 0;
  double total_w = 0, sum = 0;
  for (size_t g = 0; g < r->n_groups; g++) {
    dl_judge_group_score *gs = &r->groups[g];
    int found;
    double w = given_weight(c, gs->name, &found);
    gs->weight = found ? w : share;
    gs->has_data = gs->scored > 0;
    gs->score = gs->has_data ? 100.0 * (double) gs->pass / (double) gs->scored : 0;
    if (gs->has_data) {
      total_w += gs->weight;
      sum += gs->weight * gs->score;
    }
  }
  r->too_little_data = r->n_metrics == 0 || 2 * nodata >= r->n_metrics;
  if (r->critical_failure) {
    r->score = 0;
    size_t i = 0;
    while (!(r->metrics[i].failed && r->metrics[i].config.critical))
      i++;
    snprintf(r->reason, sizeof r->reason, "critical metric %s is %s", r->metrics[i].config.name,
             dl_classification_name(r->metrics[i].classification));
  } else if (r->critical_no_data) {
    size_t i = 0;
    while (!(r->metrics[i].classification == DL_CLASS_NODATA && r->metrics[i].config.critical))
      i++;
    dl_judge_inconclusive(r, "critical metric %s has %s", r->metrics[i].config.name,
                          r->metrics[i].reason);
    return;
  } else if (r->too_little_data) {
    dl_judge_inconclusive(r, "%zu of %zu metrics have no data", nodata, r->n_metrics);
    return;
  } else {
    r->score = total_w > 0 ? sum / total_w : 0;
    size_t failing = 0;
    for (size_t i = 0; i < r->n_metrics; i++)
      failing += r->metrics[i].failed;
    snprintf(r->reason, sizeof r->reason, "%zu of %zu metrics failed; weighted score %.1f",
             failing, r->n_metrics, r->score);
  }
  r->verdict = r->score >= c->pass_threshold       ? DL_VERDICT_PASS
               : r->score >= c->marginal_threshold ? DL_VERDICT_MARGINAL
                                                   : DL_VERDICT_FAIL;
}

void
dl_judge_inconclusive(dl_judge_result *r, const char *fmt, ...)
{
  r->verdict = DL_VERDICT_INCONCLUSIVE;
  r->score = NAN;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->reason, sizeof r->reason, fmt, ap);
  va_end(ap);
}

int
dl_judge_run(const dl_judge_config *c, const dl_judge_input *inputs, dl_judge_result *result,
             dl_error *err)
{
  int rc = dl_judge_config_check(c, err);
  if (rc)
    return rc;
  memset(result, 0, sizeof *result);
  for (size_t i = 0; i < c->n_metrics; i++) {
    rc = dl_judge_classify(&c->metrics[i], &inputs[i], c->conf_level, &result->metrics[i], err);
    if (rc)
      return rc;
  }
  result->n_metrics = c->n_metrics;
  dl_judge_score(c, result);
  return DL_OK;
}
