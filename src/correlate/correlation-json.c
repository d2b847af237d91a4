/* A correlation as JSON.  Builders ignore allocation failures of single
   members (jansson's *_new functions return NULL, which set_new and
   append_new accept) and the top level reports NULL when the root could
   not be made. */
#include "deploy-ledger/correlation-json.h"

#include <math.h>

#include "deploy-ledger/time.h"

static json_t *
num(double x)
{
  return isfinite(x) ? json_real(x) : json_null();
}

static json_t *
whole(double x)
{
  return isfinite(x) && fabs(x) < 9.007199254740992e15 ? json_integer((json_int_t) x) : num(x);
}

static json_t *
ns(int64_t t)
{
  return t == DL_TIME_NONE ? json_null() : json_integer((json_int_t) t);
}

static json_t *
str(const char *s)
{
  return s ? json_string(s) : json_null();
}

static json_t *
group_key(const dl_metrics *m, const dl_cell *c)
{
  json_t *o = json_object();
  const dl_group_spec *g = dl_metrics_group(m);
  for (size_t d = 0; d < g->n; d++)
    json_object_set_new(o, dl_group_spec_name(g, d), str(dl_metrics_key(m, c, d)));
  return o;
}

static json_t *
cell_json(const dl_metrics *m, const dl_cell *c)
{
  json_t *o = json_object();
  const dl_window *w = dl_metrics_window(m, c->window);
  /* Rows of other sources (Prometheus) share the list: each says whence. */
  json_object_set_new(o, "source", json_string("traces"));
  json_object_set_new(o, "window", str(w->name));
  json_object_set_new(o, "group", group_key(m, c));
  json_object_set_new(o, "count", json_integer((json_int_t) c->count));
  json_object_set_new(o, "errors", json_integer((json_int_t) c->errors));
  json_object_set_new(o, "error-rate", num(c->error_rate));
  json_object_set_new(o, "throughput", num(c->throughput));
  json_object_set_new(o, "mean", num(c->mean));
  json_object_set_new(o, "min", json_integer((json_int_t) c->min));
  json_object_set_new(o, "max", json_integer((json_int_t) c->max));
  static const char *const qn[4] = {"p50", "p90", "p95", "p99"};
  for (size_t i = 0; i < dl_metrics_quantile_count(m) && i < 4; i++)
    json_object_set_new(o, qn[i], num(c->q[i]));
  return o;
}

json_t *
dl_metrics_json(const dl_metrics *m)
{
  json_t *a = json_array();
  for (size_t i = 0; a && i < dl_metrics_count(m); i++)
    json_array_append_new(a, cell_json(m, dl_metrics_cell(m, i)));
  return a;
}

json_t *
dl_comparison_json(const dl_comparison *c)
{
  json_t *o = json_object(), *figs = json_object();
  for (int f = 0; f < DL_FIG_COUNT_ALL; f++) {
    const dl_delta *d = &c->delta[f];
    json_t *x = json_object();
    int countlike = f == DL_FIG_COUNT || f == DL_FIG_ERRORS;
    json_object_set_new(x, "control", countlike ? whole(d->control) : num(d->control));
    json_object_set_new(x, "experiment", countlike ? whole(d->experiment) : num(d->experiment));
    json_object_set_new(x, "change", countlike ? whole(d->abs) : num(d->abs));
    json_object_set_new(x, "relative-change", num(d->rel));
    json_object_set_new(figs, dl_figure_name((dl_figure) f), x);
  }
  json_object_set_new(o, "figures", figs);
  if (c->has_latency_test) {
    const dl_mw_result *r = &c->latency;
    json_t *t = json_object();
    json_object_set_new(t, "test", json_string("mann-whitney"));
    json_object_set_new(t, "n-control", json_integer((json_int_t) r->n_y));
    json_object_set_new(t, "n-experiment", json_integer((json_int_t) r->n_x));
    json_object_set_new(t, "u", num(r->u));
    json_object_set_new(t, "method", json_string(r->exact ? "exact" : "normal"));
    json_object_set_new(t, "z", num(r->z));
    json_object_set_new(t, "p-value", num(r->p_value));
    json_object_set_new(t, "prob-greater", num(r->prob_greater));
    json_object_set_new(t, "shift", num(r->estimate));
    json_object_set_new(t, "ci-low", num(r->ci_low));
    json_object_set_new(t, "ci-high", num(r->ci_high));
    json_object_set_new(t, "conf-level", num(r->conf_level));
    json_object_set_new(o, "latency-test", t);
  } else {
    json_object_set_new(o, "latency-test", json_null());
  }
  if (c->has_error_test) {
    const dl_prop_result *r = &c->errors;
    json_t *t = json_object();
    json_object_set_new(t, "test", json_string("two-proportion"));
    json_object_set_new(t, "control-rate", num(r->p2));
    json_object_set_new(t, "experiment-rate", num(r->p1));
    json_object_set_new(t, "difference", num(r->diff));
    json_object_set_new(t, "ratio", num(r->ratio));
    json_object_set_new(t, "z", num(r->z));
    json_object_set_new(t, "p-value", num(r->p_value));
    json_object_set_new(t, "ci-low", num(r->ci_low));
    json_object_set_new(t, "ci-high", num(r->ci_high));
    json_object_set_new(t, "conf-level", num(r->conf_level));
    json_object_set_new(o, "error-test", t);
  } else {
    json_object_set_new(o, "error-test", json_null());
  }
  return o;
}

json_t *
dl_judge_result_json(const dl_judge_result *j, int64_t bucket, size_t control_buckets,
                     size_t experiment_buckets)
{
  json_t *o = json_object();
  json_object_set_new(o, "verdict", json_string(dl_verdict_name(j->verdict)));
  json_object_set_new(o, "score", num(j->score));
  json_object_set_new(o, "reason", json_string(j->reason));
  json_object_set_new(o, "pass-threshold", num(j->pass_threshold));
  json_object_set_new(o, "marginal-threshold", num(j->marginal_threshold));
  json_object_set_new(o, "conf-level", num(j->conf_level));
  json_object_set_new(o, "critical-failure", json_boolean(j->critical_failure));
  json_object_set_new(o, "too-little-data", json_boolean(j->too_little_data));
  json_object_set_new(o, "bucket", ns(bucket));
  json_object_set_new(o, "control-buckets", json_integer((json_int_t) control_buckets));
  json_object_set_new(o, "experiment-buckets", json_integer((json_int_t) experiment_buckets));
  json_t *groups = json_array();
  for (size_t g = 0; g < j->n_groups; g++) {
    const dl_judge_group_score *s = &j->groups[g];
    json_t *x = json_object();
    json_object_set_new(x, "group", json_string(s->name));
    json_object_set_new(x, "weight", num(s->weight));
    json_object_set_new(x, "score", s->has_data ? num(s->score) : json_null());
    json_object_set_new(x, "pass", json_integer((json_int_t) s->pass));
    json_object_set_new(x, "high", json_integer((json_int_t) s->high));
    json_object_set_new(x, "low", json_integer((json_int_t) s->low));
    json_object_set_new(x, "nodata", json_integer((json_int_t) s->nodata));
    json_array_append_new(groups, x);
  }
  json_object_set_new(o, "groups", groups);
  json_t *metrics = json_array();
  for (size_t i = 0; i < j->n_metrics; i++) {
    const dl_judge_metric_result *m = &j->metrics[i];
    json_t *x = json_object();
    json_object_set_new(x, "metric", json_string(m->config.name));
    json_object_set_new(x, "group", json_string(m->config.group));
    json_object_set_new(x, "figure", json_string(dl_metric_kind_name(m->config.kind)));
    json_object_set_new(x, "direction", json_string(dl_direction_name(m->config.direction)));
    json_object_set_new(x, "critical", json_boolean(m->config.critical));
    json_object_set_new(x, "must-have-data", json_boolean(m->config.must_have_data));
    json_object_set_new(x, "tolerance", num(m->config.tolerance));
    json_object_set_new(x, "allowed-increase", num(m->config.allowed_increase));
    json_object_set_new(x, "allowed-decrease", num(m->config.allowed_decrease));
    json_object_set_new(x, "classification",
                        json_string(dl_classification_name(m->classification)));
    json_object_set_new(x, "failed", json_boolean(m->failed));
    json_object_set_new(x, "reason", json_string(m->reason));
    json_object_set_new(x, "test", str(m->test));
    json_object_set_new(x, "n-control", json_integer((json_int_t) m->n_control));
    json_object_set_new(x, "n-experiment", json_integer((json_int_t) m->n_experiment));
    json_object_set_new(x, "control-mean", num(m->control_mean));
    json_object_set_new(x, "experiment-mean", num(m->experiment_mean));
    json_object_set_new(x, "control-median", num(m->control_median));
    json_object_set_new(x, "experiment-median", num(m->experiment_median));
    json_object_set_new(x, "estimate", num(m->estimate));
    json_object_set_new(x, "ci-low", num(m->ci_low));
    json_object_set_new(x, "ci-high", num(m->ci_high));
    json_object_set_new(x, "p-value", num(m->p_value));
    json_object_set_new(x, "lower-bound", num(m->lower_bound));
    json_object_set_new(x, "upper-bound", num(m->upper_bound));
    json_object_set_new(x, "ratio", num(m->ratio));
    json_array_append_new(metrics, x);
  }
  json_object_set_new(o, "metrics", metrics);
  return o;
}

static json_t *
judge_json(const dl_correlation *c)
{
  return dl_judge_result_json(&c->judge, c->bucket, c->control_buckets, c->experiment_buckets);
}

json_t *
dl_canary_json(const dl_comparison *overall, const dl_judge_result *judge,
               const char *control_version, const char *canary_version, json_t *operations)
{
  json_t *o = json_object(), *pct = json_array();
  static const int figs[4] = {DL_FIG_P50, DL_FIG_P90, DL_FIG_P95, DL_FIG_P99};
  static const int percents[4] = {50, 90, 95, 99};
  for (int i = 0; i < 4; i++) {
    const dl_delta *d = &overall->delta[figs[i]];
    json_t *x = json_object();
    json_object_set_new(x, "percentile", json_integer(percents[i]));
    json_object_set_new(x, "baseline", num(d->control));
    json_object_set_new(x, "canary", num(d->experiment));
    json_object_set_new(x, "change", num(d->abs));
    json_object_set_new(x, "relative-change", num(d->rel));
    /* The judge's word on this percentile, when it judged it. */
    const char *cls = NULL;
    for (size_t k = 0; judge && k < judge->n_metrics; k++)
      if ((int) judge->metrics[k].config.kind == i)
        cls = dl_classification_name(judge->metrics[k].classification);
    json_object_set_new(x, "classification", str(cls));
    json_array_append_new(pct, x);
  }
  json_object_set_new(o, "control-version", str(control_version));
  json_object_set_new(o, "canary-version", str(canary_version));
  json_object_set_new(o, "percentiles", pct);
  json_object_set_new(o, "operations", operations ? operations : json_array());
  return o;
}

static json_t *
canary_json(const dl_correlation *c)
{
  json_t *ops = json_array();
  for (size_t i = 0; i < c->n_operations; i++) {
    json_t *x = dl_comparison_json(&c->operations[i].cmp);
    json_object_set_new(x, "operation", str(c->operations[i].operation));
    json_object_set_new(x, "moved", num(c->operations[i].moved));
    json_array_append_new(ops, x);
  }
  return dl_canary_json(&c->overall, c->judged ? &c->judge : NULL, c->control_version,
                        c->experiment_version, ops);
}

static json_t *
propagation_json(const dl_propagation *p)
{
  json_t *o = json_object(), *regions = json_array(), *never = json_array();
  json_object_set_new(o, "start", ns(p->start));
  json_object_set_new(o, "end", ns(p->end));
  json_object_set_new(o, "bucket", ns(p->bucket));
  for (size_t i = 0; i < p->n_regions; i++) {
    const dl_region_rollout *r = &p->regions[i];
    json_t *x = json_object(), *share = json_array();
    json_object_set_new(x, "region", str(r->region));
    json_object_set_new(x, "reached", json_boolean(r->reached));
    json_object_set_new(x, "expected", json_boolean(r->expected));
    json_object_set_new(x, "first-seen", ns(r->first_seen));
    json_object_set_new(x, "lag", ns(r->lag));
    json_object_set_new(x, "complete-at", ns(r->complete_at));
    json_object_set_new(x, "requests", json_integer((json_int_t) r->requests));
    json_object_set_new(x, "new-requests", json_integer((json_int_t) r->new_requests));
    for (size_t b = 0; b < p->n_buckets; b++)
      json_array_append_new(share, num(r->share[b]));
    json_object_set_new(x, "share", share);
    json_array_append_new(regions, x);
    if (!r->reached)
      json_array_append_new(never, str(r->region));
  }
  json_object_set_new(o, "regions", regions);
  json_object_set_new(o, "never-reached", never);
  return o;
}

static json_t *
errors_json(const dl_new_errors *e)
{
  json_t *o = json_object(), *types = json_array();
  json_object_set_new(o, "baseline-types", json_integer((json_int_t) e->baseline_types));
  json_object_set_new(o, "new-version-errors", json_integer((json_int_t) e->new_errors));
  for (size_t i = 0; i < e->n; i++) {
    json_t *x = json_object();
    json_object_set_new(x, "type", str(e->types[i].type));
    json_object_set_new(x, "count", json_integer((json_int_t) e->types[i].count));
    json_object_set_new(x, "first-seen", ns(e->types[i].first_seen));
    json_object_set_new(x, "operation", str(e->types[i].operation));
    json_array_append_new(types, x);
  }
  json_object_set_new(o, "types", types);
  return o;
}

json_t *
dl_correlation_json(const dl_correlation *c)
{
  json_t *o = json_object();
  if (!o)
    return NULL;
  json_t *d = json_object();
  json_object_set_new(d, "id", str(c->id));
  json_object_set_new(d, "service", str(c->service));
  json_object_set_new(d, "version", str(c->version));
  json_object_set_new(d, "previous-version", str(c->previous_version));
  json_object_set_new(d, "type", json_string(dl_deploy_type_name(c->type)));
  json_object_set_new(d, "started", ns(c->started));
  json_object_set_new(d, "completed", ns(c->completed));
  json_object_set_new(o, "deployment", d);
  json_object_set_new(o, "now", ns(c->now));
  json_object_set_new(o, "window-width", ns(c->window_width));
  json_t *windows = json_array();
  for (size_t i = 0; i < c->n_windows; i++) {
    json_t *w = json_object();
    json_object_set_new(w, "name", str(c->windows[i].name));
    json_object_set_new(w, "start", ns(c->windows[i].start));
    json_object_set_new(w, "end", ns(c->windows[i].end));
    json_array_append_new(windows, w);
  }
  json_object_set_new(o, "windows", windows);
  json_t *group_by = json_array();
  const dl_group_spec *g = dl_metrics_group(c->metrics);
  for (size_t i = 0; i < g->n; i++)
    json_array_append_new(group_by, json_string(dl_group_spec_name(g, i)));
  json_object_set_new(o, "group-by", group_by);
  json_object_set_new(o, "metrics", dl_metrics_json(c->metrics));

  json_t *cmp = json_object(), *ctl = json_object(), *exp = json_object();
  json_object_set_new(cmp, "mode", json_string(dl_compare_mode_name(c->mode)));
  json_object_set_new(ctl, "window", str(c->windows[c->control_window].name));
  json_object_set_new(ctl, "version", str(c->control_version));
  json_object_set_new(exp, "window", str(c->windows[c->experiment_window].name));
  json_object_set_new(exp, "version", str(c->experiment_version));
  json_object_set_new(cmp, "control", ctl);
  json_object_set_new(cmp, "experiment", exp);
  json_object_set_new(cmp, "overall", dl_comparison_json(&c->overall));
  json_t *groups = json_array();
  for (size_t i = 0; i < c->n_groups; i++) {
    json_t *x = dl_comparison_json(&c->groups[i].cmp), *key = json_object();
    size_t k = 0;
    for (size_t dim = 0; dim < g->n; dim++) {
      if (c->mode == DL_COMPARE_CANARY && g->dims[dim] == DL_DIM_VERSION)
        continue;
      json_object_set_new(key, dl_group_spec_name(g, dim), str(c->groups[i].key[k++]));
    }
    json_object_set_new(x, "group", key);
    json_array_append_new(groups, x);
  }
  json_object_set_new(cmp, "groups", groups);
  json_object_set_new(o, "comparison", cmp);
  json_object_set_new(o, "judge", c->judged ? judge_json(c) : json_null());
  json_object_set_new(o, "canary", c->mode == DL_COMPARE_CANARY ? canary_json(c) : json_null());
  json_object_set_new(o, "propagation", propagation_json(&c->propagation));
  json_object_set_new(o, "new-error-types", errors_json(&c->new_errors));
  return o;
}
