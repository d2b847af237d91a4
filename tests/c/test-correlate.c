/* Scenarios on generated traces: a canary whose p99 regressed fails while
   its p50 is unchanged; a clean rollout passes; a 20% slower release
   fails; a three-region rollout reports when each region first served the
   new version, within one bucket, and names the regions that never did. */
#include "deploy-ledger/correlate.h"
#include "deploy-ledger/correlation-json.h"
#include "deploy-ledger/time.h"
#include "tap.h"
#include "tracegen.h"

#include <stdlib.h>

#define S (INT64_C(1000000000))
#define MIN (60 * S)
#define T0 INT64_C(1705309200000000000) /* 2024-01-15T09:00:00Z */

static dl_deployment *
deployment(const char *version, const char *previous, dl_deploy_type type, int64_t start,
           int64_t end)
{
  dl_deployment *d = dl_deployment_new();
  int rc = dl_deployment_set_string(&d->id, "0190f5a2-0000-7000-8000-000000000001")
           | dl_deployment_set_string(&d->service, "checkout")
           | dl_deployment_set_string(&d->version, version)
           | dl_deployment_set_string(&d->previous_version, previous);
  if (rc)
    abort();
  d->type = type;
  d->started = start;
  d->completed = end;
  return d;
}

/* Canary: from T0 + 60 min v2 takes 10% of the traffic for 30 minutes.
   v2 is as fast for most requests of GET /search but 3% of them take four
   times longer; POST /pay is unchanged; v2 also throws a new exception. */
static dl_trace_set *
canary_traces(void)
{
  dl_trace_set *set = dl_trace_set_new();
  tg_seed(42);
  int rc = 0;
  for (int64_t t = T0; t < T0 + 120 * MIN; t += 40 * INT64_C(1000000)) { /* 25 req/s */
    int canary = t >= T0 + 60 * MIN && t < T0 + 90 * MIN && tg_unif() < 0.10;
    int search = tg_unif() < 0.6;
    int64_t d = tg_lognormal_ns(search ? 40 : 80, 0.4);
    if (canary && search && tg_unif() < 0.03)
      d *= 4;
    int err = tg_unif() < 0.01;
    const char *type = "HTTP 503 /search";
    if (canary && tg_unif() < 0.005) {
      err = 1;
      type = "NullPointerException";
    }
    rc |= tg_add(set, &(tg_span){"checkout", search ? "GET /search" : "POST /pay",
                                 canary ? "v2" : "v1", "us-east-1", type, DL_KIND_SERVER, t, d,
                                 err, NULL, 0});
    /* Some noise that must not count: client spans and another service. */
    if (tg_unif() < 0.2)
      rc |= tg_add(set, &(tg_span){"checkout", "SELECT", canary ? "v2" : "v1", "us-east-1",
                                   NULL, DL_KIND_CLIENT, t, 10 * d, 0, NULL, 0});
    if (tg_unif() < 0.2)
      rc |= tg_add(set, &(tg_span){"cart", "GET /cart", "v9", "us-east-1", NULL, DL_KIND_SERVER,
                                   t, 10 * d, 1, NULL, 0});
  }
  if (rc)
    abort();
  return set;
}

static void
test_canary(void)
{
  dl_trace_set *set = canary_traces();
  dl_deployment *d = deployment("v2", "v1", DL_TYPE_CANARY, T0 + 60 * MIN, T0 + 90 * MIN);
  dl_correlate_options o;
  dl_correlate_options_init(&o);
  dl_correlation *c = NULL;
  dl_error err;
  int rc = dl_correlate(set, d, &o, &c, &err);
  ok(rc == DL_OK, "canary: correlate runs%s%s", rc ? ": " : "", rc ? err.text : "");
  if (rc) {
    dl_trace_set_free(set);
    dl_deployment_free(d);
    return;
  }
  ok(c->mode == DL_COMPARE_CANARY, "canary deployment: canary comparison");
  is_str(c->control_version, "v1", "control is the previous version");
  is_str(c->experiment_version, "v2", "experiment is the new version");
  ok(c->control_window == DL_WINDOW_DURING && c->experiment_window == DL_WINDOW_DURING,
     "both in the during window");
  double p50_rel = c->overall.delta[DL_FIG_P50].rel, p99_rel = c->overall.delta[DL_FIG_P99].rel;
  ok(fabs(p50_rel) < 0.05, "p50 unchanged: %+.1f%%", 100 * p50_rel);
  ok(p99_rel > 0.15, "p99 regressed: %+.1f%%", 100 * p99_rel);
  ok(c->overall.delta[DL_FIG_COUNT].experiment > 3000 && c->overall.delta[DL_FIG_COUNT].experiment < 5000,
     "canary served about 10%% (%.0f requests)", c->overall.delta[DL_FIG_COUNT].experiment);
  ok(c->judged, "judged");
  is_int(c->bucket, 60 * S, "judge buckets of one minute (30 per window)");
  const dl_judge_result *j = &c->judge;
  ok(j->metrics[0].classification == DL_CLASS_PASS, "p50: Pass (%s)", j->metrics[0].reason);
  ok(j->metrics[3].classification == DL_CLASS_HIGH, "p99: High (%s)", j->metrics[3].reason);
  ok(j->verdict == DL_VERDICT_FAIL, "verdict fail, score %.1f (%s)", j->score, j->reason);
  ok(j->critical_failure, "because p99 is critical");
  ok(c->n_operations == 2, "two operations compared");
  if (c->n_operations == 2) {
    is_str(c->operations[0].operation, "GET /search", "GET /search moved most");
    ok(c->operations[0].moved > 0.3 && c->operations[1].moved < 0.15,
       "moved %.2f against %.2f", c->operations[0].moved, c->operations[1].moved);
    ok(c->operations[0].cmp.has_latency_test, "with its Mann-Whitney test (p = %.3g)",
       c->operations[0].cmp.latency.p_value);
  }
  ok(c->overall.has_latency_test && c->overall.has_error_test, "overall tests present");
  ok(c->new_errors.n == 1, "one new error type");
  if (c->new_errors.n)
    is_str(c->new_errors.types[0].type, "NullPointerException", "NullPointerException is new");
  is_int(c->new_errors.baseline_types, 1, "the old version showed one type in the baseline");
  /* Metrics of the three windows: v1 only in baseline and after. */
  uint64_t base = 0;
  for (size_t i = 0; i < dl_metrics_count(c->metrics); i++) {
    const dl_cell *cell = dl_metrics_cell(c->metrics, i);
    if (cell->window == DL_WINDOW_BASELINE)
      base += cell->count;
  }
  ok(base > 40000 && base < 50000, "baseline: 30 min x 25 req/s = %llu requests",
     (unsigned long long) base);
  /* The JSON carries the verdict and the figures behind it. */
  json_t *js = dl_correlation_json(c);
  const char *verdict = json_string_value(json_object_get(json_object_get(js, "judge"), "verdict"));
  is_str(verdict, "fail", "JSON: judge.verdict");
  json_t *pct = json_object_get(json_object_get(js, "canary"), "percentiles");
  ok(json_array_size(pct) == 4
     && strcmp(json_string_value(json_object_get(json_array_get(pct, 3), "classification")),
               "high") == 0, "JSON: canary p99 classified high");
  ok(json_array_size(json_object_get(json_object_get(js, "judge"), "metrics")) == 5
     && json_is_real(json_object_get(json_array_get(json_object_get(json_object_get(js, "judge"),
                                                                    "metrics"), 3), "ci-low")),
     "JSON: five judged metrics with their intervals");
  ok(json_is_null(json_object_get(json_object_get(js, "deployment"), "completed")) == 0,
     "JSON: completion time present");
  char *text = json_dumps(js, JSON_COMPACT);
  ok(text && strlen(text) > 1000 && !strstr(text, "nan") && !strstr(text, "inf"),
     "JSON text (%zu bytes) has no NaN or infinity", text ? strlen(text) : 0);
  free(text);
  json_decref(js);
  dl_correlation_free(c);

  /* Grouped by operation: a comparison per operation. */
  dl_group_spec g;
  dl_group_spec_init(&g);
  if (dl_group_spec_parse("operation", &g, &err))
    abort();
  o.group = &g;
  rc = dl_correlate(set, d, &o, &c, &err);
  ok(rc == DL_OK && c->n_groups == 2, "grouped by operation: two group comparisons");
  if (!rc && c->n_groups == 2) {
    is_str(c->groups[0].key[0], "GET /search", "first group GET /search");
    ok(c->groups[0].cmp.delta[DL_FIG_P99].rel > 0.5, "its p99 rose %+.0f%%",
       100 * c->groups[0].cmp.delta[DL_FIG_P99].rel);
  }
  dl_correlation_free(c);
  dl_group_spec_clear(&g);

  /* The same canary judged before-after: the after window is all v1 again,
     so nothing changed. */
  o.group = NULL;
  o.mode = DL_COMPARE_BEFORE_AFTER;
  rc = dl_correlate(set, d, &o, &c, &err);
  ok(rc == DL_OK && c->experiment_window == DL_WINDOW_AFTER && c->judge.verdict == DL_VERDICT_PASS,
     "before-after on the same traces: after window, pass");
  dl_correlation_free(c);

  dl_metrics *m;
  ok(dl_deployment_metrics(set, d, NULL, &m, &err) == DL_OK && dl_metrics_count(m) == 1,
     "deployment metrics: the during window, one group");
  dl_metrics_free(m);
  dl_deployment_free(d);
  dl_trace_set_free(set);
}

/* Rolling deployment from T0 + 60 min to T0 + 70 min: v2 replaces v1. */
static dl_trace_set *
rollout_traces(double slower)
{
  dl_trace_set *set = dl_trace_set_new();
  tg_seed(7);
  int rc = 0;
  for (int64_t t = T0 + 30 * MIN; t < T0 + 100 * MIN; t += 50 * INT64_C(1000000)) {
    double progress = t < T0 + 60 * MIN ? 0 : t >= T0 + 70 * MIN ? 1
                      : (double) (t - T0 - 60 * MIN) / (double) (10 * MIN);
    int v2 = tg_unif() < progress;
    int64_t d = (int64_t) ((double) tg_lognormal_ns(50, 0.5) * (v2 ? slower : 1.0));
    rc |= tg_add(set, &(tg_span){"checkout", "GET /", v2 ? "v2" : "v1", "eu-west-1", "HTTP 500 /",
                                 DL_KIND_SERVER, t, d, tg_unif() < 0.01, NULL, 0});
  }
  if (rc)
    abort();
  return set;
}

static void
test_rollout(void)
{
  dl_trace_set *set = rollout_traces(1.0);
  dl_deployment *d = deployment("v2", "v1", DL_TYPE_ROLLING, T0 + 60 * MIN, T0 + 70 * MIN);
  dl_correlate_options o;
  dl_correlate_options_init(&o);
  dl_correlation *c = NULL;
  dl_error err;
  int rc = dl_correlate(set, d, &o, &c, &err);
  ok(rc == DL_OK, "clean rollout: correlate runs");
  if (!rc) {
    ok(c->mode == DL_COMPARE_BEFORE_AFTER && c->experiment_window == DL_WINDOW_AFTER,
       "before-after, the after window");
    is_int(c->window_width, 10 * MIN, "W = 10 minutes (duration, at least 10 min)");
    ok(c->judge.verdict == DL_VERDICT_PASS, "clean rollout passes: score %.1f (%s)",
       c->judge.score, c->judge.reason);
    ok(c->new_errors.n == 0, "no new error types");
    ok(c->propagation.n_regions == 1 && c->propagation.regions[0].reached,
       "eu-west-1 reached");
  }
  dl_correlation_free(c);
  dl_trace_set_free(set);

  set = rollout_traces(1.2);
  rc = dl_correlate(set, d, &o, &c, &err);
  ok(rc == DL_OK, "20%% slower release: correlate runs");
  if (!rc) {
    ok(c->judge.metrics[0].classification == DL_CLASS_HIGH, "p50 High (%s)",
       c->judge.metrics[0].reason);
    ok(c->judge.verdict == DL_VERDICT_FAIL, "20%% slower fails: score %.1f (%s)", c->judge.score,
       c->judge.reason);
    ok(c->overall.has_latency_test && c->overall.latency.p_value < 1e-10
       && c->overall.latency.estimate > 5e6,
       "per-request Mann-Whitney: shift %.1f ms, p %.2g", c->overall.latency.estimate / 1e6,
       c->overall.latency.p_value);
  }
  dl_correlation_free(c);

  /* While it runs (no completion, now at +5 min): during against baseline. */
  d->completed = DL_TIME_NONE;
  o.now = T0 + 65 * MIN;
  dl_trace_set *early = dl_trace_set_new();
  dl_span_columns cols;
  dl_trace_set_columns(set, &cols);
  int add = 0;
  for (size_t i = 0; i < cols.count; i++)
    if (cols.start[i] < o.now)
      add |= tg_add(early, &(tg_span){"checkout", "GET /",
                                      dl_trace_set_string(set, cols.version[i]), "eu-west-1",
                                      NULL, DL_KIND_SERVER, cols.start[i], cols.duration[i], 0,
                                      NULL, 0});
  rc = dl_correlate(early, d, &o, &c, &err);
  ok(rc == DL_OK && !add && c->experiment_window == DL_WINDOW_DURING,
     "running deployment: during against baseline");
  dl_correlation_free(c);
  dl_trace_set_free(early);
  dl_trace_set_free(set);

  /* Bad input. */
  dl_deployment *bad = deployment("v2", NULL, DL_TYPE_ROLLING, T0, T0 - 1);
  ok(dl_correlate(set = dl_trace_set_new(), bad, NULL, &c, &err) == DL_EINVAL && c == NULL,
     "a deployment ending before it starts: %s", err.text);
  dl_trace_set_free(set);
  dl_deployment_free(bad);
  dl_deployment_free(d);
}

/* Three regions switch to v2 at +5, +12 and +20 minutes; eu-central-1
   stays on v1; sa-east-1 is listed but sends no traces. */
static void
test_regions(void)
{
  static const char *regions[] = {"us-east-1", "eu-west-1", "ap-southeast-1", "eu-central-1"};
  static const int64_t switch_at[] = {5 * MIN, 12 * MIN, 20 * MIN, -1};
  dl_trace_set *set = dl_trace_set_new();
  tg_seed(99);
  int rc = 0;
  int64_t start = T0 + 60 * MIN;
  for (int64_t t = T0 + 40 * MIN; t < T0 + 100 * MIN; t += 100 * INT64_C(1000000))
    for (int r = 0; r < 4; r++) {
      int v2 = switch_at[r] >= 0 && t >= start + switch_at[r];
      rc |= tg_add(set, &(tg_span){"checkout", "GET /", v2 ? "v2" : "v1", regions[r], NULL,
                                   DL_KIND_SERVER, t + r, tg_lognormal_ns(30, 0.3), 0, NULL, 0});
    }
  ok(rc == 0, "three-region traces");
  dl_deployment *d = deployment("v2", "v1", DL_TYPE_ROLLING, start, start + 25 * MIN);
  if (dl_deployment_add_region(d, "us-east-1") || dl_deployment_add_region(d, "eu-west-1")
      || dl_deployment_add_region(d, "ap-southeast-1") || dl_deployment_add_region(d, "sa-east-1"))
    abort();
  dl_correlate_options o;
  dl_correlate_options_init(&o);
  dl_correlation *c = NULL;
  dl_error err;
  rc = dl_correlate(set, d, &o, &c, &err);
  ok(rc == DL_OK, "correlate runs");
  if (rc)
    return;
  const dl_propagation *p = &c->propagation;
  ok(p->n_regions == 5, "five regions (four in the traces, one only listed)");
  is_int(p->bucket, 50 * S, "buckets of 50 s (a sixtieth of 50 minutes)");
  for (int r = 0; r < 3 && r < (int) p->n_regions; r++) {
    const dl_region_rollout *rr = &p->regions[r];
    is_str(rr->region, regions[r], "region %d to reach v2: %s", r + 1, regions[r]);
    int64_t want = start + switch_at[r];
    ok(rr->reached && llabs(rr->first_seen - want) <= p->bucket,
       "%s first served v2 within one bucket of +%lld min (lag %.1f s)", regions[r],
       (long long) (switch_at[r] / MIN), (double) rr->lag / 1e9);
    ok(rr->complete_at != DL_TIME_NONE && llabs(rr->complete_at - want) <= p->bucket,
       "%s all on v2 from %+.0f s", regions[r], (double) (rr->complete_at - start) / 1e9);
    size_t before = (size_t) ((want - start) / p->bucket) - 1, after = before + 2;
    ok(rr->share[before] == 0 && rr->share[after] == 1, "%s share 0 before, 1 after", regions[r]);
    ok(rr->expected, "%s is listed by the deployment", regions[r]);
  }
  int never_central = 0, never_sa = 0;
  for (size_t r = 0; r < p->n_regions; r++) {
    const dl_region_rollout *rr = &p->regions[r];
    if (!rr->reached && rr->region && strcmp(rr->region, "eu-central-1") == 0)
      never_central = rr->requests > 0 && !rr->expected && rr->new_requests == 0;
    if (!rr->reached && rr->region && strcmp(rr->region, "sa-east-1") == 0)
      never_sa = rr->requests == 0 && rr->expected;
  }
  ok(never_central, "eu-central-1 served requests but never v2");
  ok(never_sa, "sa-east-1 was listed but never seen");
  dl_correlation_free(c);

  dl_propagation prop;
  dl_propagation_options po;
  dl_propagation_options_init(&po);
  po.service = "checkout";
  po.version = "v2";
  po.start = 10;
  po.end = 5;
  ok(dl_propagation_compute(set, &po, &prop, &err) == DL_EINVAL, "empty range refused: %s",
     err.text);
  dl_deployment_free(d);
  dl_trace_set_free(set);
}

int
main(void)
{
  test_canary();
  test_rollout();
  test_regions();
  return tap_done();
}
