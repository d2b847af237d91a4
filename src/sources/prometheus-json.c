/* A Prometheus correlation as JSON, alone or merged into a trace
   correlation's document (prometheus-correlation.h).  Builders ignore
   allocation failures of single members, as correlation-json.c does. */
#include "deploy-ledger/prometheus-correlation.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "deploy-ledger/correlation-json.h"
#include "deploy-ledger/time.h"

static json_t *
num(double x)
{
  return isfinite(x) ? json_real(x) : json_null();
}

static json_t *
str(const char *s)
{
  return s ? json_string(s) : json_null();
}

static json_t *
ns(int64_t t)
{
  return t == DL_TIME_NONE ? json_null() : json_integer((json_int_t) t);
}

static json_t *
row_json(const dl_prom_correlation *p, const dl_mesh_row *r)
{
  json_t *o = json_object(), *g = json_object();
  json_object_set_new(o, "source", json_string("prometheus"));
  json_object_set_new(o, "window", str(p->windows[r->window].name));
  if (r->version)
    json_object_set_new(g, "version", json_string(r->version));
  json_object_set_new(o, "group", g);
  json_object_set_new(o, "count", json_integer((json_int_t) llround(r->count)));
  json_object_set_new(o, "errors", json_integer((json_int_t) llround(r->errors)));
  json_object_set_new(o, "error-rate", num(r->error_rate));
  json_object_set_new(o, "throughput", num(r->throughput));
  json_object_set_new(o, "mean", json_null());
  json_object_set_new(o, "min", json_null());
  json_object_set_new(o, "max", json_null());
  static const char *const qn[DL_MESH_QUANTILES] = {"p50", "p90", "p95", "p99"};
  for (int q = 0; q < DL_MESH_QUANTILES; q++)
    json_object_set_new(o, qn[q], num(r->q[q]));
  /* The increases as Prometheus gives them (extrapolated, not whole). */
  json_object_set_new(o, "increase", num(r->count));
  json_object_set_new(o, "errors-increase", num(r->errors));
  return o;
}

static json_t *
comparison(const dl_prom_correlation *p)
{
  json_t *cmp = json_object(), *ctl = json_object(), *exp = json_object();
  json_object_set_new(cmp, "mode", json_string(dl_compare_mode_name(p->mode)));
  json_object_set_new(ctl, "window", str(p->windows[p->control_window].name));
  json_object_set_new(ctl, "version", str(p->control_version));
  json_object_set_new(exp, "window", str(p->windows[p->experiment_window].name));
  json_object_set_new(exp, "version", str(p->experiment_version));
  json_object_set_new(cmp, "control", ctl);
  json_object_set_new(cmp, "experiment", exp);
  json_t *overall = dl_comparison_json(&p->overall);
  /* A histogram keeps neither the mean nor the largest request. */
  json_t *figs = json_object_get(overall, "figures");
  static const char *const unknown[] = {"mean", "max"};
  for (int i = 0; i < 2; i++) {
    json_t *f = json_object_get(figs, unknown[i]);
    if (f) {
      json_object_set_new(f, "control", json_null());
      json_object_set_new(f, "experiment", json_null());
      json_object_set_new(f, "change", json_null());
      json_object_set_new(f, "relative-change", json_null());
    }
  }
  json_object_set_new(cmp, "overall", overall);
  json_object_set_new(cmp, "groups", json_array());
  return cmp;
}

static json_t *
judge(const dl_prom_correlation *p)
{
  if (!p->judged)
    return json_null();
  return dl_judge_result_json(&p->judge, p->bucket, p->control_buckets, p->experiment_buckets);
}

/* What Prometheus was asked, and the --promql values. */
static json_t *
details(const dl_prom_correlation *p)
{
  json_t *o = json_object(), *queries = json_array(), *values = json_array(),
         *ranges = json_array();
  json_object_set_new(o, "source", str(p->source));
  json_object_set_new(o, "preset", json_string(dl_mesh_preset_name(p->preset)));
  json_object_set_new(o, "requests-selector", str(p->selectors[0]));
  json_object_set_new(o, "duration-selector", str(p->selectors[1]));
  for (int w = 0; w < 3; w++) {
    /* Where increase(x[range]) is evaluated for each window: the same
       figures come from PromQL at "time" with this range. */
    int64_t from, to;
    dl_prom_window_range(p->windows[w].start, p->windows[w].end,
                         dl_window_seconds(&p->windows[w]), &from, &to);
    json_t *x = json_object();
    json_object_set_new(x, "window", str(p->windows[w].name));
    json_object_set_new(x, "time", ns(to));
    json_object_set_new(x, "range", json_integer((json_int_t) (to - from)));
    json_array_append_new(ranges, x);
  }
  json_object_set_new(o, "evaluated", ranges);
  for (size_t i = 0; i < p->n_queries; i++) {
    json_t *x = json_object();
    json_object_set_new(x, "name", str(p->query_names[i]));
    json_object_set_new(x, "query", str(p->queries[i]));
    json_array_append_new(queries, x);
  }
  json_object_set_new(o, "queries", queries);
  for (size_t i = 0; i < p->n_promql; i++) {
    const dl_promql_value *v = &p->promql[i];
    json_t *x = json_object();
    json_object_set_new(x, "name", str(p->query_names[v->query]));
    json_object_set_new(x, "window", str(p->windows[v->window].name));
    json_object_set_new(x, "version", str(v->version));
    json_object_set_new(x, "value", num(v->value));
    json_array_append_new(values, x);
  }
  json_object_set_new(o, "promql", values);
  json_object_set_new(o, "requests", json_integer((json_int_t) p->requests));
  return o;
}

static json_t *
canary(const dl_prom_correlation *p)
{
  if (p->mode != DL_COMPARE_CANARY)
    return json_null();
  return dl_canary_json(&p->overall, p->judged ? &p->judge : NULL, p->control_version,
                        p->experiment_version, NULL);
}

static int
rank(json_t *judge)
{
  const char *v = json_string_value(json_object_get(judge, "verdict"));
  if (!v)
    return -1;
  return strcmp(v, "fail") == 0 ? 3 : strcmp(v, "marginal") == 0 ? 2 : strcmp(v, "pass") == 0 ? 1 : 0;
}

static double
figure(json_t *cmp, const char *fig, const char *side)
{
  json_t *x = json_object_get(json_object_get(json_object_get(json_object_get(cmp, "overall"),
                                                              "figures"), fig), side);
  return json_is_number(x) ? json_number_value(x) : NAN;
}

static void
disagree(json_t *list, const char *fig, const char *side, double t, double p, const char *note)
{
  json_t *x = json_object();
  json_object_set_new(x, "figure", json_string(fig));
  json_object_set_new(x, "side", side ? json_string(side) : json_null());
  json_object_set_new(x, "traces", num(t));
  json_object_set_new(x, "prometheus", num(p));
  json_object_set_new(x, "note", json_string(note));
  json_array_append_new(list, x);
}

/* Where the traces and the mesh's metrics tell different stories. */
static json_t *
disagreements(json_t *tcmp, json_t *pcmp, json_t *tjudge, json_t *pjudge)
{
  json_t *list = json_array();
  static const char *const sides[2] = {"control", "experiment"};
  char note[300];
  for (int s = 0; s < 2; s++) {
    double t = figure(tcmp, "count", sides[s]), p = figure(pcmp, "count", sides[s]);
    if (p > 0 && isfinite(t) && (t < 0.8 * p || t > 1.25 * p)) {
      if (t < p)
        snprintf(note, sizeof note, "the traces hold %.3g%% of the %.0f requests the mesh counted: "
                 "sampled traces (or spans missing), so their rates and percentiles rest on "
                 "fewer requests", 100 * t / p, p);
      else
        snprintf(note, sizeof note, "the traces hold %.0f requests, more than the %.0f the mesh "
                 "counted: spans that the mesh's metrics do not see (another kind, or "
                 "traffic around the proxy)", t, p);
      disagree(list, "count", sides[s], t, p, note);
    }
    t = figure(tcmp, "error-rate", sides[s]);
    p = figure(pcmp, "error-rate", sides[s]);
    if (isfinite(t) && isfinite(p) && fabs(t - p) > fmax(0.01, 0.5 * fmax(t, p))) {
      snprintf(note, sizeof note, "error rates differ: %.2f%% in the traces, %.2f%% in the mesh's "
               "metrics (errors the proxy sees as 5xx but the spans do not mark, or the reverse)",
               100 * t, 100 * p);
      disagree(list, "error-rate", sides[s], t, p, note);
    }
    static const char *const pct[4] = {"p50", "p90", "p95", "p99"};
    for (int q = 0; q < 4; q++) {
      t = figure(tcmp, pct[q], sides[s]);
      p = figure(pcmp, pct[q], sides[s]);
      if (isfinite(t) && isfinite(p) && p > 0 && fabs(t - p) > 0.25 * p) {
        snprintf(note, sizeof note, "%s differs by %+.0f%%: %.1f ms in the traces, %.1f ms "
                 "interpolated in the mesh's histogram buckets (coarse buckets, or latency "
                 "added or hidden by the proxy)", pct[q], 100 * (t - p) / p, t / 1e6, p / 1e6);
        disagree(list, pct[q], sides[s], t, p, note);
      }
    }
  }
  const char *tv = json_string_value(json_object_get(tjudge, "verdict"));
  const char *pv = json_string_value(json_object_get(pjudge, "verdict"));
  if (tv && pv && strcmp(tv, pv) != 0) {
    json_t *x = json_object();
    json_object_set_new(x, "figure", json_string("verdict"));
    json_object_set_new(x, "side", json_null());
    json_object_set_new(x, "traces", json_string(tv));
    json_object_set_new(x, "prometheus", json_string(pv));
    snprintf(note, sizeof note, "the traces say %s, the mesh's metrics %s: the verdict is the "
             "worse of those that could tell", tv, pv);
    json_object_set_new(x, "note", json_string(note));
    json_array_append_new(list, x);
  }
  return list;
}

json_t *
dl_prom_correlation_json(const dl_prom_correlation *p, json_t *traces)
{
  json_t *rows = json_array();
  for (size_t i = 0; i < p->rows.n; i++)
    json_array_append_new(rows, row_json(p, &p->rows.rows[i]));
  json_t *extra = details(p);
  json_t *pcmp = comparison(p), *pjudge = judge(p);
  if (!traces) {
    json_t *o = json_object();
    if (!o) {
      json_decref(rows);
      json_decref(extra);
      json_decref(pcmp);
      json_decref(pjudge);
      return NULL;
    }
    json_t *d = json_object();
    json_object_set_new(d, "id", str(p->id));
    json_object_set_new(d, "service", str(p->service));
    json_object_set_new(d, "version", str(p->version));
    json_object_set_new(d, "previous-version", str(p->previous_version));
    json_object_set_new(d, "type", json_string(dl_deploy_type_name(p->type)));
    json_object_set_new(d, "started", ns(p->started));
    json_object_set_new(d, "completed", ns(p->completed));
    json_object_set_new(o, "deployment", d);
    json_object_set_new(o, "now", ns(p->now));
    json_object_set_new(o, "window-width", ns(p->window_width));
    json_t *windows = json_array();
    for (int i = 0; i < 3; i++) {
      json_t *w = json_object();
      json_object_set_new(w, "name", str(p->windows[i].name));
      json_object_set_new(w, "start", ns(p->windows[i].start));
      json_object_set_new(w, "end", ns(p->windows[i].end));
      json_array_append_new(windows, w);
    }
    json_object_set_new(o, "windows", windows);
    json_t *g = json_array();
    json_array_append_new(g, json_string("version"));
    json_object_set_new(o, "group-by", g);
    json_object_set_new(o, "sources", json_pack("[s]", "prometheus"));
    json_object_set_new(o, "metrics", rows);
    json_object_set_new(o, "comparison", pcmp);
    if (json_is_object(pjudge))
      json_object_set_new(pjudge, "source", json_string("prometheus"));
    json_object_set_new(o, "judge", pjudge);
    json_object_set_new(o, "canary", canary(p));
    json_object_set_new(o, "propagation", json_null());
    json_object_set_new(o, "new-error-types", json_null());
    json_object_set_new(o, "prometheus", extra);
    return o;
  }
  /* Merged: one list of rows, both comparisons and judges, the verdict of
     the worse one that could tell. */
  json_array_extend(json_object_get(traces, "metrics"), rows);
  json_decref(rows);
  json_t *tjudge = json_object_get(traces, "judge");
  json_t *tcmp = json_object_get(traces, "comparison");
  json_object_set_new(extra, "comparison", json_incref(pcmp));
  json_object_set_new(extra, "judge", json_incref(pjudge));
  json_object_set_new(traces, "disagreements", disagreements(tcmp, pcmp, tjudge, pjudge));
  json_t *judges = json_object();
  json_object_set(judges, "traces", tjudge ? tjudge : json_null());
  json_object_set(judges, "prometheus", pjudge);
  json_object_set_new(traces, "judges", judges);
  if (json_is_object(tjudge) && json_is_object(pjudge) && rank(pjudge) > rank(tjudge)) {
    json_t *decisive = json_deep_copy(pjudge);
    char reason[600];
    const char *why = json_string_value(json_object_get(pjudge, "reason"));
    snprintf(reason, sizeof reason, "Prometheus (%s): %s", dl_mesh_preset_name(p->preset),
             why ? why : "");
    json_object_set_new(decisive, "reason", json_string(reason));
    json_object_set_new(decisive, "source", json_string("prometheus"));
    json_object_set_new(traces, "judge", decisive);
  } else if (json_is_object(tjudge)) {
    json_object_set_new(tjudge, "source", json_string("traces"));
  }
  json_object_set_new(traces, "sources", json_pack("[ss]", "traces", "prometheus"));
  json_object_set_new(traces, "prometheus", extra);
  json_decref(pcmp);
  json_decref(pjudge);
  return traces;
}
