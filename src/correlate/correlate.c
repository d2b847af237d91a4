/* Correlating a deployment with its traces: the orchestration. */
#include "deploy-ledger/correlate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "deploy-ledger/time.h"
#include "sample-check.h"

static const char *const mode_names[] = {"auto", "canary", "before-after"};

const char *
dl_compare_mode_name(dl_compare_mode m)
{
  return (unsigned) m <= DL_COMPARE_BEFORE_AFTER ? mode_names[m] : "unknown";
}

int
dl_compare_mode_parse(const char *name, dl_compare_mode *m, dl_error *err)
{
  for (int i = 0; name && i < 3; i++)
    if (strcmp(name, mode_names[i]) == 0) {
      *m = (dl_compare_mode) i;
      return DL_OK;
    }
  return dl_fail(err, DL_EINVAL,
                 "unknown comparison \"%s\" (expected auto, canary or before-after)",
                 name ? name : "");
}

void
dl_correlate_options_init(dl_correlate_options *o)
{
  memset(o, 0, sizeof *o);
  o->kind = DL_KIND_SERVER;
  o->judge_enabled = 1;
  dl_judge_config_init(&o->judge);
  o->top_operations = 5;
  o->min_requests = 50;
  o->max_window = DL_CORRELATE_MAX_WINDOW;
  o->method = DL_QUANTILE_LINEAR;
}

int
dl_correlate_check_running(const char *id, int64_t started, int64_t completed, int64_t now,
                           int64_t max_window, dl_error *err)
{
  if (completed != DL_TIME_NONE || max_window <= 0
      || dl_time_sub_saturated(now, started) <= max_window)
    return DL_OK;
  /* Judged up to now, a deployment left running for weeks would mean
     windows of weeks: fetching and scanning them helps no one. */
  char since[DL_TIME_TEXT_SIZE], ran[32], max[32];
  return dl_fail(err, DL_EINVAL,
                 "deployment %s has been in progress since %s (%s), longer than the %s a "
                 "running deployment is judged over (--max-window): record how it ended "
                 "(deploy-ledger finish %s --status ...), or raise --max-window",
                 id ? id : "", dl_time_format(started, since),
                 dl_duration_between(started, now, ran), dl_duration_format(max_window, max),
                 id ? id : "ID");
}

/* Everything one correlation needs while it runs. */
typedef struct run {
  const dl_trace_set *set;
  const dl_deployment *d;
  const dl_correlate_options *o;
  dl_correlation *c;
  dl_filter filter;
  dl_error *err;
} run;

static void
base_options(const run *r, dl_metrics_options *mo)
{
  dl_metrics_options_init(mo);
  mo->filter = &r->filter;
  mo->rows = r->o->rows;
  mo->method = r->o->method;
  mo->threads = r->o->threads;
}

static int
metrics(const run *r, const dl_window *w, size_t nw, const char *group_text,
        const dl_group_spec *group, int keep, dl_metrics **out)
{
  dl_metrics_options mo;
  base_options(r, &mo);
  mo.windows = w;
  mo.n_windows = nw;
  mo.keep_values = keep;
  dl_group_spec g;
  dl_group_spec_init(&g);
  int rc = DL_OK;
  if (group_text)
    rc = dl_group_spec_parse(group_text, &g, r->err);
  if (!rc) {
    mo.group = group ? group : &g;
    rc = dl_metrics_compute(r->set, &mo, out, r->err);
  }
  dl_group_spec_clear(&g);
  return rc;
}

static const dl_cell *
find1(const dl_metrics *m, size_t w, const char *key)
{
  const char *keys[1] = {key};
  return dl_metrics_find(m, w, keys);
}

static uint64_t
window_requests(const dl_metrics *m, size_t w)
{
  uint64_t n = 0;
  for (size_t i = 0; i < dl_metrics_count(m); i++)
    if (dl_metrics_cell(m, i)->window == w)
      n += dl_metrics_cell(m, i)->count;
  return n;
}

static char *
dup_or_null(const char *s)
{
  return s ? strdup(s) : NULL;
}

/* ---- the judge's inputs: per-bucket series ---- */

int64_t
dl_judge_bucket_width(const dl_window *experiment, int64_t bucket)
{
  if (bucket > 0)
    return bucket;
  /* A thirtieth of the window, in whole seconds: enough points for the
     rank test without buckets too thin to hold requests. */
  bucket = (experiment->end - experiment->start) / 30 / INT64_C(1000000000) * INT64_C(1000000000);
  return bucket < INT64_C(1000000000) ? INT64_C(1000000000) : bucket;
}

static double
series_value(const dl_cell *cell, dl_metric_kind k)
{
  if (!cell)
    return k == DL_METRIC_THROUGHPUT ? 0 : NAN;
  switch (k) {
  case DL_METRIC_P50: return cell->q[0];
  case DL_METRIC_P90: return cell->q[1];
  case DL_METRIC_P95: return cell->q[2];
  case DL_METRIC_P99: return cell->q[3];
  case DL_METRIC_MEAN: return cell->mean;
  case DL_METRIC_MAX: return (double) cell->max;
  case DL_METRIC_THROUGHPUT: return cell->throughput;
  default: return cell->error_rate;
  }
}

/* Fills SERIES[k][b] for every judged metric k from the cells of the
   buckets of M with key KEY (NULL: the single group). */
static void
fill_series(const dl_judge_config *cfg, const dl_metrics *m, size_t nb, const char *key,
            int grouped, double **series)
{
  for (size_t b = 0; b < nb; b++) {
    /* Grouped by version without a version to look for: no data. */
    const dl_cell *cell = !grouped ? dl_metrics_find(m, b, NULL) : key ? find1(m, b, key) : NULL;
    for (size_t k = 0; k < cfg->n_metrics; k++)
      series[k][b] = series_value(cell, cfg->metrics[k].kind);
  }
}

static int
judge(run *r, const dl_cell *control_cell, const dl_cell *experiment_cell)
{
  dl_correlation *c = r->c;
  const dl_judge_config *cfg = &r->o->judge;
  int rc = dl_judge_config_check(cfg, r->err);
  if (rc)
    return rc;
  const dl_window *cw = &c->windows[c->control_window], *ew = &c->windows[c->experiment_window];
  int64_t bucket = dl_judge_bucket_width(ew, r->o->bucket);
  c->bucket = bucket;
  dl_window *cb = NULL, *eb = NULL;
  size_t ncb = 0, neb = 0;
  dl_metrics *cm = NULL, *em = NULL;
  double *series[2][DL_JUDGE_MAX_METRICS] = {{0}};
  int canary = c->mode == DL_COMPARE_CANARY;
  rc = dl_window_buckets(cw->start, cw->end, bucket, &cb, &ncb, r->err);
  if (!rc)
    rc = dl_window_buckets(ew->start, ew->end, bucket, &eb, &neb, r->err);
  if (!rc)
    rc = metrics(r, cb, ncb, canary ? "version" : NULL, NULL, 0, &cm);
  if (!rc && !canary)
    rc = metrics(r, eb, neb, NULL, NULL, 0, &em);
  for (size_t k = 0; !rc && k < cfg->n_metrics; k++) {
    series[0][k] = malloc((ncb ? ncb : 1) * sizeof(double));
    series[1][k] = malloc((neb ? neb : 1) * sizeof(double));
    if (!series[0][k] || !series[1][k])
      rc = dl_fail(r->err, DL_ENOMEM, "out of memory for the judge's series");
  }
  if (!rc) {
    c->control_buckets = ncb;
    c->experiment_buckets = neb;
    if (canary) {
      fill_series(cfg, cm, ncb, c->control_version, 1, series[0]);
      fill_series(cfg, cm, neb, c->experiment_version, 1, series[1]);
    } else {
      fill_series(cfg, cm, ncb, NULL, 0, series[0]);
      fill_series(cfg, em, neb, NULL, 0, series[1]);
    }
    dl_judge_input in[DL_JUDGE_MAX_METRICS];
    for (size_t k = 0; k < cfg->n_metrics; k++) {
      memset(&in[k], 0, sizeof in[k]);
      if (cfg->metrics[k].kind == DL_METRIC_ERROR_RATE) {
        /* Counts over the whole windows, not a series of rates. */
        in[k].proportion = 1;
        if (control_cell) {
          in[k].control_errors = control_cell->errors;
          in[k].control_total = control_cell->count;
        }
        if (experiment_cell) {
          in[k].experiment_errors = experiment_cell->errors;
          in[k].experiment_total = experiment_cell->count;
        }
      } else {
        in[k].control = series[0][k];
        in[k].n_control = ncb;
        in[k].experiment = series[1][k];
        in[k].n_experiment = neb;
      }
    }
    rc = dl_judge_run(cfg, in, &c->judge, r->err);
    c->judged = rc == DL_OK;
  }
  for (size_t k = 0; k < DL_JUDGE_MAX_METRICS; k++) {
    free(series[0][k]);
    free(series[1][k]);
  }
  free(cb);
  free(eb);
  dl_metrics_free(cm);
  dl_metrics_free(em);
  return rc;
}

/* ---- comparisons ---- */

/* The group dimensions of M other than dimension SKIP equal in A and B. */
static int
same_key(const dl_metrics *m, const dl_cell *a, const dl_cell *b, int skip)
{
  for (size_t d = 0; d < dl_metrics_group(m)->n; d++) {
    if ((int) d == skip)
      continue;
    const char *x = dl_metrics_key(m, a, d), *y = dl_metrics_key(m, b, d);
    if (x != y && (!x || !y || strcmp(x, y) != 0))
      return 0;
  }
  return 1;
}

static int
add_group(run *r, const dl_metrics *m, const dl_cell *key_cell, int skip, const dl_cell *control,
          const dl_cell *experiment)
{
  dl_correlation *c = r->c;
  dl_group_comparison *g = realloc(c->groups, (c->n_groups + 1) * sizeof *g);
  if (!g)
    return dl_fail(r->err, DL_ENOMEM, "out of memory for comparisons");
  c->groups = g;
  g = &c->groups[c->n_groups++];
  memset(g, 0, sizeof *g);
  size_t k = 0;
  for (size_t d = 0; d < dl_metrics_group(m)->n; d++) {
    if ((int) d == skip)
      continue;
    const char *s = dl_metrics_key(m, key_cell, d);
    if (s && !(g->key[k] = strdup(s)))
      return dl_fail(r->err, DL_ENOMEM, "out of memory for comparisons");
    k++;
  }
  return dl_compare_cells(control, experiment, r->o->judge.conf_level, &g->cmp, r->err);
}

/* Per group of the user's group-by: before-after pairs the same key in
   the two windows; canary pairs, in the during window, the two versions
   of each combination of the other dimensions. */
static int
group_comparisons(run *r)
{
  dl_correlation *c = r->c;
  const dl_group_spec *user = r->o->group;
  if (!user || user->n == 0)
    return DL_OK;
  dl_group_spec g;
  int rc = dl_group_spec_copy(&g, user, r->err);
  if (rc)
    return rc;
  int vdim = -1;
  dl_window w[2] = {c->windows[c->control_window], c->windows[c->experiment_window]};
  size_t nw = 2, cwi = 0, ewi = 1;
  if (c->mode == DL_COMPARE_CANARY) {
    vdim = dl_group_spec_find(&g, DL_DIM_VERSION);
    if (vdim < 0) {
      rc = dl_group_spec_add(&g, "version", r->err);
      vdim = (int) g.n - 1;
    }
    nw = 1;
    ewi = 0;
  }
  dl_metrics *m = NULL;
  if (!rc)
    rc = metrics(r, w, nw, NULL, &g, 1, &m);
  dl_group_spec_clear(&g);
  if (rc)
    return rc;
  size_t n = dl_metrics_count(m);
  for (size_t i = 0; i < n && !rc; i++) {
    const dl_cell *a = dl_metrics_cell(m, i);
    if (c->mode == DL_COMPARE_CANARY) {
      const char *v = dl_metrics_key(m, a, (size_t) vdim);
      if (!v || strcmp(v, c->experiment_version) != 0)
        continue;
      const dl_cell *ctl = NULL;
      for (size_t k = 0; k < n; k++) {
        const dl_cell *b = dl_metrics_cell(m, k);
        const char *bv = dl_metrics_key(m, b, (size_t) vdim);
        if (bv && c->control_version && strcmp(bv, c->control_version) == 0
            && same_key(m, a, b, vdim))
          ctl = b;
      }
      rc = add_group(r, m, a, vdim, ctl, a);
    } else {
      /* Each key once: from its control cell, or from its experiment
         cell when the control window lacks it. */
      const dl_cell *ctl = NULL, *exp = NULL;
      for (size_t k = 0; k < n; k++) {
        const dl_cell *b = dl_metrics_cell(m, k);
        if (!same_key(m, a, b, -1))
          continue;
        if (b->window == cwi)
          ctl = b;
        else if (b->window == ewi)
          exp = b;
      }
      if (a->window == ewi && ctl)
        continue;
      rc = add_group(r, m, a, -1, ctl, exp);
    }
  }
  dl_metrics_free(m);
  return rc;
}

static int
cmp_moves(const void *pa, const void *pb)
{
  const dl_operation_move *a = pa, *b = pb;
  if (a->moved != b->moved)
    return a->moved > b->moved ? -1 : 1;
  return strcmp(a->operation, b->operation);
}

/* Scenario 1: per operation, canary against control in the during window. */
static int
operations_moved(run *r)
{
  dl_correlation *c = r->c;
  if (!c->experiment_version || !c->control_version || r->o->top_operations == 0)
    return DL_OK;
  dl_metrics *m = NULL;
  int rc = metrics(r, &c->windows[DL_WINDOW_DURING], 1, "operation,version", NULL, 1, &m);
  if (rc)
    return rc;
  size_t n = dl_metrics_count(m), cap = 0;
  for (size_t i = 0; i < n && !rc; i++) {
    const dl_cell *e = dl_metrics_cell(m, i);
    const char *op = dl_metrics_key(m, e, 0), *v = dl_metrics_key(m, e, 1);
    if (!op || !v || strcmp(v, c->experiment_version) != 0 || e->count < r->o->min_requests)
      continue;
    const char *keys[2] = {op, c->control_version};
    const dl_cell *ctl = dl_metrics_find(m, 0, keys);
    if (!ctl || ctl->count < r->o->min_requests)
      continue;
    if (c->n_operations == cap) {
      cap = cap ? cap * 2 : 16;
      dl_operation_move *grown = realloc(c->operations, cap * sizeof *grown);
      if (!grown) {
        rc = dl_fail(r->err, DL_ENOMEM, "out of memory for operations");
        break;
      }
      c->operations = grown;
    }
    dl_operation_move *mv = &c->operations[c->n_operations];
    memset(mv, 0, sizeof *mv);
    if (!(mv->operation = strdup(op))) {
      rc = dl_fail(r->err, DL_ENOMEM, "out of memory for operations");
      break;
    }
    c->n_operations++;
    rc = dl_compare_cells(ctl, e, r->o->judge.conf_level, &mv->cmp, r->err);
    for (int f = DL_FIG_P50; f <= DL_FIG_P99; f++) {
      double rel = fabs(mv->cmp.delta[f].rel);
      if (isfinite(rel) && rel > mv->moved)
        mv->moved = rel;
    }
  }
  dl_metrics_free(m);
  if (rc)
    return rc;
  /* No operation with enough requests leaves the array NULL, and qsort's
     pointer must not be NULL even for zero elements. */
  if (c->n_operations > 1)
    qsort(c->operations, c->n_operations, sizeof *c->operations, cmp_moves);
  while (c->n_operations > r->o->top_operations) {
    free(c->operations[--c->n_operations].operation);
  }
  return DL_OK;
}

/* ---- the whole ---- */

const char *
dl_canary_control_version(const char *given, const char *previous, const char *version,
                          const char *const *versions, const double *counts, size_t n)
{
  if (given)
    return given;
  for (size_t i = 0; previous && i < n; i++)
    if (versions[i] && strcmp(versions[i], previous) == 0 && counts[i] > 0)
      return versions[i];
  /* The busiest version other than the new one. */
  const char *best = NULL;
  double most = 0;
  for (size_t i = 0; i < n; i++)
    if (versions[i] && strcmp(versions[i], version) != 0 && counts[i] > most) {
      most = counts[i];
      best = versions[i];
    }
  return best;
}

static int
setup(run *r)
{
  dl_correlation *c = r->c;
  const dl_deployment *d = r->d;
  const dl_correlate_options *o = r->o;
  int rc = dl_deployment_validate(d, r->err);
  if (rc)
    return rc;
  if (o->n_extra_windows > DL_CORRELATE_MAX_WINDOWS - 3)
    return dl_fail(r->err, DL_EINVAL, "at most %d explicit windows", DL_CORRELATE_MAX_WINDOWS - 3);
  c->id = dup_or_null(d->id);
  c->service = dup_or_null(o->service ? o->service : d->service);
  c->version = dup_or_null(d->version);
  c->previous_version = dup_or_null(d->previous_version);
  if (!c->id || !c->service || !c->version || (d->previous_version && !c->previous_version))
    return dl_fail(r->err, DL_ENOMEM, "out of memory");
  c->type = d->type;
  c->started = d->started;
  c->completed = d->completed;
  c->now = o->now ? o->now : dl_time_now();
  rc = dl_correlate_check_running(d->id, d->started, d->completed, c->now, o->max_window,
                                  r->err);
  if (rc)
    return rc;
  rc = dl_deployment_windows(d->started, d->completed, c->now, o->window, c->windows, r->err);
  if (rc)
    return rc;
  c->window_width = c->windows[DL_WINDOW_BASELINE].end - c->windows[DL_WINDOW_BASELINE].start;
  /* The window names are static; explicit ones are copied. */
  for (size_t i = 0; i < o->n_extra_windows; i++) {
    dl_window *w = &c->windows[3 + i];
    *w = o->extra_windows[i];
    w->name = strdup(o->extra_windows[i].name ? o->extra_windows[i].name : "window");
    if (!w->name)
      return dl_fail(r->err, DL_ENOMEM, "out of memory");
    c->n_windows = 4 + i;
    if (w->end <= w->start)
      return dl_fail(r->err, DL_EINVAL, "explicit window \"%s\" is empty", w->name);
  }
  c->n_windows = 3 + o->n_extra_windows;
  dl_filter_init(&r->filter);
  r->filter.service = c->service;
  r->filter.kind = o->kind;
  r->filter.operation = o->operation;
  r->filter.attr_key = o->attr_key;
  r->filter.attr_value = o->attr_value;
  c->mode = o->mode != DL_COMPARE_AUTO ? o->mode
            : d->type == DL_TYPE_CANARY ? DL_COMPARE_CANARY
                                        : DL_COMPARE_BEFORE_AFTER;
  return DL_OK;
}

/* Picks the control and experiment and compares them overall.  The cells
   of the overall comparison are returned for the judge's error counts. */
static int
overall(run *r, dl_metrics **keep)
{
  dl_correlation *c = r->c;
  int rc;
  if (c->mode == DL_COMPARE_CANARY) {
    c->control_window = c->experiment_window = DL_WINDOW_DURING;
    rc = metrics(r, &c->windows[DL_WINDOW_DURING], 1, "version", NULL, 1, keep);
    if (rc)
      return rc;
    const dl_metrics *m = *keep;
    size_t n = dl_metrics_count(m);
    const char **versions = malloc((n ? n : 1) * sizeof *versions);
    double *counts = malloc((n ? n : 1) * sizeof *counts);
    if (!versions || !counts) {
      free(versions);
      free(counts);
      return dl_fail(r->err, DL_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
      versions[i] = dl_metrics_key(m, dl_metrics_cell(m, i), 0);
      counts[i] = (double) dl_metrics_cell(m, i)->count;
    }
    const char *control = dl_canary_control_version(r->o->control_version, c->previous_version,
                                                    c->version, versions, counts, n);
    free(versions);
    free(counts);
    c->experiment_version = strdup(c->version);
    c->control_version = dup_or_null(control);
    if (!c->experiment_version || (control && !c->control_version))
      return dl_fail(r->err, DL_ENOMEM, "out of memory");
    return dl_compare_cells(control ? find1(m, 0, control) : NULL, find1(m, 0, c->version),
                            r->o->judge.conf_level, &c->overall, r->err);
  }
  /* Before-after: the after window, or during while nothing came after. */
  c->control_window = DL_WINDOW_BASELINE;
  c->experiment_window =
    window_requests(c->metrics, DL_WINDOW_AFTER) > 0 ? DL_WINDOW_AFTER : DL_WINDOW_DURING;
  dl_window w[2] = {c->windows[c->control_window], c->windows[c->experiment_window]};
  rc = metrics(r, w, 2, NULL, NULL, 1, keep);
  if (rc)
    return rc;
  return dl_compare_cells(dl_metrics_find(*keep, 0, NULL), dl_metrics_find(*keep, 1, NULL),
                          r->o->judge.conf_level, &c->overall, r->err);
}

static int
scenarios(run *r)
{
  dl_correlation *c = r->c;
  const dl_deployment *d = r->d;
  dl_propagation_options po;
  dl_propagation_options_init(&po);
  po.service = c->service;
  po.version = c->version;
  po.kind = r->o->kind;
  po.start = c->started;
  po.end = c->windows[DL_WINDOW_AFTER].end;
  po.bucket = r->o->propagation_bucket;
  po.rows = r->o->rows;
  po.regions = (const char *const *) d->regions;
  po.n_regions = d->n_regions;
  int rc = dl_propagation_compute(r->set, &po, &c->propagation, r->err);
  if (rc)
    return rc;
  /* Errors of any span kind: an exception recorded on an internal span of
     the new version counts as well. */
  dl_new_errors_options eo;
  dl_new_errors_options_init(&eo);
  eo.rows = r->o->rows;
  eo.service = c->service;
  eo.version = c->version;
  eo.baseline_start = c->windows[DL_WINDOW_BASELINE].start;
  eo.baseline_end = c->windows[DL_WINDOW_BASELINE].end;
  eo.start = c->started;
  eo.end = c->windows[DL_WINDOW_AFTER].end;
  return dl_new_errors_compute(r->set, &eo, &c->new_errors, r->err);
}

int
dl_correlate(const dl_trace_set *set, const dl_deployment *d, const dl_correlate_options *o,
             dl_correlation **out, dl_error *err)
{
  *out = NULL;
  dl_correlate_options defaults;
  if (!o) {
    dl_correlate_options_init(&defaults);
    o = &defaults;
  }
  if (!set || !d)
    return dl_fail(err, DL_EINVAL, "correlation needs a trace set and a deployment");
  dl_correlation *c = calloc(1, sizeof *c);
  if (!c)
    return dl_fail(err, DL_ENOMEM, "out of memory");
  run r = {set, d, o, c, {0}, err};
  dl_metrics *cmp = NULL;
  int rc = setup(&r);
  if (!rc)
    rc = metrics(&r, c->windows, c->n_windows, NULL, o->group, 0, &c->metrics);
  if (!rc)
    rc = overall(&r, &cmp);
  if (!rc)
    rc = group_comparisons(&r);
  if (!rc && o->judge_enabled) {
    const dl_cell *ctl, *exp;
    if (c->mode == DL_COMPARE_CANARY) {
      ctl = c->control_version ? find1(cmp, 0, c->control_version) : NULL;
      exp = find1(cmp, 0, c->version);
    } else {
      ctl = dl_metrics_find(cmp, 0, NULL);
      exp = dl_metrics_find(cmp, 1, NULL);
    }
    rc = judge(&r, ctl, exp);
    if (!rc) {
      /* Too few requests is no verdict, whatever the metrics said: a few
         slow requests of a canary prove as little as a few fast ones. */
      uint64_t around = c->mode == DL_COMPARE_CANARY
                          ? window_requests(c->metrics, DL_WINDOW_DURING)
                          : window_requests(c->metrics, c->control_window)
                              + window_requests(c->metrics, c->experiment_window);
      dl_sample_check(set, c, around, ctl ? ctl->count : 0, exp ? exp->count : 0,
                      o->min_requests);
    }
  }
  dl_metrics_free(cmp);
  if (!rc && c->mode == DL_COMPARE_CANARY)
    rc = operations_moved(&r);
  if (!rc)
    rc = scenarios(&r);
  if (rc) {
    dl_correlation_free(c);
    return rc;
  }
  *out = c;
  return DL_OK;
}

void
dl_correlation_free(dl_correlation *c)
{
  if (!c)
    return;
  free(c->id);
  free(c->service);
  free(c->version);
  free(c->previous_version);
  for (size_t i = 3; i < c->n_windows; i++)
    free((char *) c->windows[i].name);
  dl_metrics_free(c->metrics);
  free(c->control_version);
  free(c->experiment_version);
  for (size_t i = 0; i < c->n_groups; i++)
    for (size_t k = 0; k < DL_GROUP_MAX_DIMS; k++)
      free(c->groups[i].key[k]);
  free(c->groups);
  for (size_t i = 0; i < c->n_operations; i++)
    free(c->operations[i].operation);
  free(c->operations);
  dl_propagation_clear(&c->propagation);
  dl_new_errors_clear(&c->new_errors);
  free(c);
}

int
dl_deployment_metrics(const dl_trace_set *set, const dl_deployment *d,
                      const dl_correlate_options *o, dl_metrics **out, dl_error *err)
{
  *out = NULL;
  dl_correlate_options defaults;
  if (!o) {
    dl_correlate_options_init(&defaults);
    o = &defaults;
  }
  int rc = dl_deployment_validate(d, err);
  if (rc)
    return rc;
  dl_window w[3];
  rc = dl_deployment_windows(d->started, d->completed, o->now ? o->now : dl_time_now(),
                             o->window, w, err);
  if (rc)
    return rc;
  dl_filter f;
  dl_filter_init(&f);
  f.service = o->service ? o->service : d->service;
  f.kind = o->kind;
  f.operation = o->operation;
  f.attr_key = o->attr_key;
  f.attr_value = o->attr_value;
  dl_metrics_options mo;
  dl_metrics_options_init(&mo);
  mo.windows = &w[DL_WINDOW_DURING];
  mo.n_windows = 1;
  mo.group = o->group;
  mo.filter = &f;
  mo.rows = o->rows;
  mo.method = o->method;
  mo.threads = o->threads;
  return dl_metrics_compute(set, &mo, out, err);
}
