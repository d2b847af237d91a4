/* Correlating a deployment with the mesh's metrics in Prometheus: the
   trace correlation's windows, choice of sides, comparison and judge, fed
   with figures from the preset's series (see prometheus-correlation.h). */
#include "deploy-ledger/prometheus-correlation.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy-ledger/time.h"

void
dl_prom_source_init(dl_prom_source *s)
{
  memset(s, 0, sizeof *s);
  s->preset = DL_MESH_ISTIO;
}

static char *
dup_or_null(const char *s)
{
  return s ? strdup(s) : NULL;
}

void
dl_prom_correlation_free(dl_prom_correlation *p)
{
  if (!p)
    return;
  free(p->id);
  free(p->service);
  free(p->version);
  free(p->previous_version);
  free(p->source);
  free(p->selectors[0]);
  free(p->selectors[1]);
  free(p->control_version);
  free(p->experiment_version);
  for (size_t i = 0; i < p->n_promql; i++)
    free(p->promql[i].version);
  free(p->promql);
  for (size_t i = 0; i < p->n_queries; i++) {
    free(p->query_names[i]);
    free(p->queries[i]);
  }
  dl_mesh_rows_clear(&p->rows);
  dl_prom_data_free(p->data);
  free(p);
}

typedef struct run {
  const dl_prom_source *src;
  const dl_deployment *d;
  const dl_correlate_options *o;
  dl_prom_correlation *p;
  dl_prom_client *client;
  dl_error *err;
} run;

static const dl_mesh_row *
row_of(const dl_mesh_rows *r, size_t w, const char *version, int all)
{
  for (size_t i = 0; i < r->n; i++) {
    const dl_mesh_row *x = &r->rows[i];
    if (x->window != w)
      continue;
    if (all ? !x->version : (x->version && version && strcmp(x->version, version) == 0))
      return x;
  }
  return NULL;
}

/* A row as a cell of the comparison: counts rounded (the tests count
   whole requests), the rate kept exact; no mean or max from a histogram. */
static int
cell_of(const dl_mesh_row *r, dl_cell *c)
{
  if (!r || !(r->count >= 0.5))
    return 0;
  memset(c, 0, sizeof *c);
  c->window = r->window;
  c->count = (uint64_t) llround(r->count);
  c->errors = (uint64_t) llround(r->errors);
  if (c->errors > c->count)
    c->errors = c->count;
  c->error_rate = r->error_rate;
  c->throughput = r->throughput;
  c->mean = NAN;
  for (int q = 0; q < DL_MESH_QUANTILES; q++)
    c->q[q] = r->q[q];
  return 1;
}

/* ---- --promql ---- */

/* QUERY with $service, $version and $window replaced (values escaped
   for a PromQL string, where users quote them); malloc'ed. */
static char *
substitute(const char *query, const char *service, const char *version, int64_t range)
{
  char window[32];
  snprintf(window, sizeof window, "%lldms", (long long) (range / 1000000));
  size_t cap = strlen(query) + 1, len = 0;
  const char *vars[3][2] = {{"$service", service}, {"$version", version ? version : ""},
                            {"$window", window}};
  for (int i = 0; i < 3; i++)
    cap += 2 * strlen(vars[i][1]) * (strlen(query) / strlen(vars[i][0]) + 1);
  char *out = malloc(cap);
  if (!out)
    return NULL;
  for (const char *s = query; *s;) {
    int hit = -1;
    for (int i = 0; i < 3 && hit < 0; i++)
      if (strncmp(s, vars[i][0], strlen(vars[i][0])) == 0)
        hit = i;
    if (hit < 0) {
      out[len++] = *s++;
      continue;
    }
    for (const char *v = vars[hit][1]; *v; v++) {
      if (hit < 2 && (*v == '"' || *v == '\\'))
        out[len++] = '\\';
      out[len++] = *v;
    }
    s += strlen(vars[hit][0]);
  }
  out[len] = 0;
  return out;
}

/* The sum of the values at each time of QUERY's answer into SERIES (N
   points at START + (i + 1) * STEP), NaN where it had none. */
static int
promql_series(run *r, const char *query, int64_t start, int64_t step, size_t n, double *series)
{
  for (size_t i = 0; i < n; i++)
    series[i] = NAN;
  if (!n)
    return DL_OK;
  dl_prom_data *d = dl_prom_data_new(&r->src->limits);
  if (!d)
    return dl_fail(r->err, DL_ENOMEM, "out of memory");
  int rc = dl_prom_query_range(r->client, query, start + step, start + (int64_t) n * step, step,
                               d, r->err);
  for (size_t s = 0; rc == DL_OK && s < dl_prom_data_count(d); s++) {
    const dl_prom_series *x = dl_prom_data_series(d, s);
    for (size_t k = 0; k < x->n; k++) {
      int64_t i = (x->t[k] - start) / step - 1;
      if (i >= 0 && (size_t) i < n && !isnan(x->v[k]))
        series[i] = isnan(series[i]) ? x->v[k] : series[i] + x->v[k];
    }
  }
  dl_prom_data_free(d);
  return rc;
}

static int
promql_value(run *r, size_t query, size_t window, const char *version)
{
  dl_prom_correlation *p = r->p;
  const dl_window *w = &p->windows[window];
  int64_t from, to;
  dl_prom_window_range(w->start, w->end, dl_window_seconds(w), &from, &to);
  char *q = substitute(p->queries[query], p->service, version, to - from);
  if (!q)
    return dl_fail(r->err, DL_ENOMEM, "out of memory");
  double sum = NAN;
  dl_prom_data *d = dl_prom_data_new(&r->src->limits);
  int rc = d ? dl_prom_query(r->client, q, to, d, r->err) : dl_fail(r->err, DL_ENOMEM, "out of memory");
  for (size_t s = 0; rc == DL_OK && s < dl_prom_data_count(d); s++) {
    const dl_prom_series *x = dl_prom_data_series(d, s);
    if (x->n && !isnan(x->v[x->n - 1]))
      sum = isnan(sum) ? x->v[x->n - 1] : sum + x->v[x->n - 1];
  }
  dl_prom_data_free(d);
  free(q);
  if (rc) {
    char what[sizeof r->err->text];
    snprintf(what, sizeof what, "%s", r->err->text);
    return dl_fail(r->err, rc, "--promql %s: %s", p->query_names[query], what);
  }
  dl_promql_value *v = realloc(p->promql, (p->n_promql + 1) * sizeof *v);
  if (!v)
    return dl_fail(r->err, DL_ENOMEM, "out of memory");
  p->promql = v;
  v = &p->promql[p->n_promql];
  v->query = query;
  v->window = window;
  v->value = sum;
  v->version = dup_or_null(version);
  if (version && !v->version)
    return dl_fail(r->err, DL_ENOMEM, "out of memory");
  p->n_promql++;
  return DL_OK;
}

/* ---- the judge ---- */

static double
series_value(const dl_mesh_row *row, dl_metric_kind k)
{
  switch (k) {
  case DL_METRIC_P50: return row ? row->q[0] : NAN;
  case DL_METRIC_P90: return row ? row->q[1] : NAN;
  case DL_METRIC_P95: return row ? row->q[2] : NAN;
  case DL_METRIC_P99: return row ? row->q[3] : NAN;
  case DL_METRIC_THROUGHPUT: return row ? row->throughput : 0;
  default: return NAN; /* mean and max: a histogram does not keep them */
  }
}

static int
judge(run *r, const dl_cell *control, const dl_cell *experiment)
{
  dl_prom_correlation *p = r->p;
  dl_judge_config cfg = r->o->judge;
  int rc = dl_judge_config_check(&cfg, r->err);
  if (rc)
    return rc;
  size_t base_metrics = cfg.n_metrics;
  for (size_t i = 0; i < p->n_queries; i++) {
    char name[DL_JUDGE_NAME_SIZE];
    snprintf(name, sizeof name, "%s", p->query_names[i]);
    if (!dl_judge_config_add(&cfg, DL_METRIC_MEAN, name, "promql"))
      return dl_fail(r->err, DL_EINVAL, "too many judged metrics with the --promql queries (at "
                     "most %d in all)", DL_JUDGE_MAX_METRICS);
  }
  const dl_window *cw = &p->windows[p->control_window], *ew = &p->windows[p->experiment_window];
  p->bucket = dl_judge_bucket_width(ew, r->o->bucket);
  dl_window *b[2] = {NULL, NULL};
  size_t nb[2] = {0, 0};
  dl_mesh_rows rows[2] = {{0}, {0}};
  double *series[2][DL_JUDGE_MAX_METRICS] = {{0}};
  const dl_window *sides[2] = {cw, ew};
  const char *versions[2] = {p->control_version, p->experiment_version};
  int canary = p->mode == DL_COMPARE_CANARY;
  for (int s = 0; s < 2 && !rc; s++) {
    rc = dl_window_buckets(sides[s]->start, sides[s]->end, p->bucket, &b[s], &nb[s], r->err);
    if (rc)
      break;
    int64_t *st = malloc((nb[s] + 1) * sizeof *st), *en = malloc((nb[s] + 1) * sizeof *en);
    if (!st || !en)
      rc = dl_fail(r->err, DL_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < nb[s]; i++) {
      st[i] = b[s][i].start;
      en[i] = b[s][i].end;
    }
    if (!rc)
      rc = dl_mesh_rows_compute(p->used, p->preset, p->service, st, en, NULL, nb[s], &rows[s],
                                r->err);
    free(st);
    free(en);
    for (size_t k = 0; !rc && k < cfg.n_metrics; k++) {
      series[s][k] = malloc((nb[s] ? nb[s] : 1) * sizeof(double));
      if (!series[s][k]) {
        rc = dl_fail(r->err, DL_ENOMEM, "out of memory for the judge's series");
        break;
      }
      if (k >= base_metrics) {
        /* A --promql query per bucket: $window is the bucket. */
        const char *version = canary ? versions[s] : s ? p->version : p->previous_version;
        char *q = substitute(p->queries[k - base_metrics], p->service, version, p->bucket);
        if (!q) {
          rc = dl_fail(r->err, DL_ENOMEM, "out of memory");
          break;
        }
        int64_t from, to;
        dl_prom_window_range(sides[s]->start, sides[s]->start + p->bucket, 0, &from, &to);
        rc = promql_series(r, q, from, to - from, nb[s], series[s][k]);
        free(q);
        continue;
      }
      for (size_t i = 0; i < nb[s]; i++)
        series[s][k][i] = series_value(row_of(&rows[s], i, versions[s], !canary),
                                       cfg.metrics[k].kind);
    }
  }
  if (!rc) {
    p->control_buckets = nb[0];
    p->experiment_buckets = nb[1];
    dl_judge_input in[DL_JUDGE_MAX_METRICS];
    for (size_t k = 0; k < cfg.n_metrics; k++) {
      memset(&in[k], 0, sizeof in[k]);
      if (k < base_metrics && cfg.metrics[k].kind == DL_METRIC_ERROR_RATE) {
        in[k].proportion = 1;
        if (control) {
          in[k].control_errors = control->errors;
          in[k].control_total = control->count;
        }
        if (experiment) {
          in[k].experiment_errors = experiment->errors;
          in[k].experiment_total = experiment->count;
        }
      } else {
        in[k].control = series[0][k];
        in[k].n_control = nb[0];
        in[k].experiment = series[1][k];
        in[k].n_experiment = nb[1];
      }
    }
    rc = dl_judge_run(&cfg, in, &p->judge, r->err);
    p->judged = rc == DL_OK;
  }
  if (!rc) {
    /* Too few requests is no verdict, as with traces. */
    uint64_t nc = control ? control->count : 0, ne = experiment ? experiment->count : 0;
    uint64_t min = r->o->min_requests;
    if (nc < min || ne < min || !nc || !ne) {
      char a[DL_TIME_TEXT_SIZE], z[DL_TIME_TEXT_SIZE];
      int c_short = nc < min || !nc;
      const dl_window *w = c_short ? cw : ew;
      const char *v = canary ? (c_short ? p->control_version : p->experiment_version) : NULL;
      dl_judge_inconclusive(&p->judge,
                            "Prometheus (%s) counted %llu requests of %s%s%s between %s and %s, "
                            "fewer than the %llu a verdict needs (min-requests)%s",
                            dl_mesh_preset_name(p->preset),
                            (unsigned long long) (c_short ? nc : ne), p->service,
                            v ? " version " : "", v ? v : "", dl_time_format(w->start, a),
                            dl_time_format(w->end, z), (unsigned long long) min,
                            !nc && !ne ? ": check the service name and the preset's labels"
                                       : "");
    }
  }
  for (int s = 0; s < 2; s++) {
    for (size_t k = 0; k < DL_JUDGE_MAX_METRICS; k++)
      free(series[s][k]);
    free(b[s]);
    dl_mesh_rows_clear(&rows[s]);
  }
  return rc;
}

/* ---- the whole ---- */

static int
setup(run *r)
{
  dl_prom_correlation *p = r->p;
  const dl_deployment *d = r->d;
  const dl_correlate_options *o = r->o;
  int rc = dl_deployment_validate(d, r->err);
  if (rc)
    return rc;
  p->id = dup_or_null(d->id);
  p->service = dup_or_null(o->service ? o->service : d->service);
  p->version = dup_or_null(d->version);
  p->previous_version = dup_or_null(d->previous_version);
  p->source = dup_or_null(r->src->name ? r->src->name : r->src->url ? r->src->url : "data");
  if (!p->id || !p->service || !p->version || !p->source
      || (d->previous_version && !p->previous_version))
    return dl_fail(r->err, DL_ENOMEM, "out of memory");
  p->type = d->type;
  p->started = d->started;
  p->completed = d->completed;
  p->now = o->now ? o->now : dl_time_now();
  p->preset = r->src->preset;
  rc = dl_correlate_check_running(d->id, d->started, d->completed, p->now, o->max_window, r->err);
  if (!rc)
    rc = dl_deployment_windows(d->started, d->completed, p->now, o->window, p->windows, r->err);
  if (rc)
    return rc;
  p->window_width = p->windows[DL_WINDOW_BASELINE].end - p->windows[DL_WINDOW_BASELINE].start;
  p->mode = o->mode != DL_COMPARE_AUTO ? o->mode
            : d->type == DL_TYPE_CANARY ? DL_COMPARE_CANARY
                                        : DL_COMPARE_BEFORE_AFTER;
  rc = dl_mesh_selectors(p->preset, p->service, &p->selectors[0], &p->selectors[1], r->err);
  if (rc)
    return rc;
  if (r->src->n_promql > DL_PROM_MAX_PROMQL)
    return dl_fail(r->err, DL_EINVAL, "at most %d --promql queries", DL_PROM_MAX_PROMQL);
  if (r->src->n_promql && !r->src->url)
    return dl_fail(r->err, DL_EINVAL, "--promql needs a Prometheus server (--prometheus URL), "
                   "not a file");
  for (size_t i = 0; i < r->src->n_promql; i++) {
    p->query_names[i] = dup_or_null(r->src->promql_names[i]);
    p->queries[i] = dup_or_null(r->src->promql[i]);
    p->n_queries = i + 1;
    if (!p->query_names[i] || !p->queries[i])
      return dl_fail(r->err, DL_ENOMEM, "out of memory");
  }
  return DL_OK;
}

static int
fetch(run *r)
{
  dl_prom_correlation *p = r->p;
  if (r->src->data) {
    p->used = r->src->data;
    return DL_OK;
  }
  r->client = dl_prom_client_new(r->src->url, r->src->http, r->err);
  if (!r->client)
    return r->err && r->err->code ? r->err->code : DL_ENOMEM;
  p->data = dl_prom_data_new(&r->src->limits);
  if (!p->data)
    return dl_fail(r->err, DL_ENOMEM, "out of memory");
  p->used = p->data;
  int64_t from, to, a, b;
  const dl_window *first = &p->windows[DL_WINDOW_BASELINE], *last = &p->windows[DL_WINDOW_AFTER];
  dl_prom_window_range(first->start, first->end, dl_window_seconds(first), &from, &a);
  dl_prom_window_range(last->start, last->end, dl_window_seconds(last), &b, &to);
  return dl_mesh_fetch(r->client, p->preset, p->service, from, to, p->data, r->err);
}

static int
compare(run *r, dl_cell *cells, const dl_cell **control, const dl_cell **experiment)
{
  dl_prom_correlation *p = r->p;
  *control = *experiment = NULL;
  if (p->mode == DL_COMPARE_CANARY) {
    p->control_window = p->experiment_window = DL_WINDOW_DURING;
    size_t n = p->rows.n;
    const char **versions = malloc((n ? n : 1) * sizeof *versions);
    double *counts = malloc((n ? n : 1) * sizeof *counts);
    if (!versions || !counts) {
      free(versions);
      free(counts);
      return dl_fail(r->err, DL_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
      const dl_mesh_row *x = &p->rows.rows[i];
      versions[i] = x->window == DL_WINDOW_DURING ? x->version : NULL;
      counts[i] = x->count;
    }
    const char *ctl = dl_canary_control_version(r->o->control_version, p->previous_version,
                                                p->version, versions, counts, n);
    free(versions);
    free(counts);
    p->control_version = dup_or_null(ctl);
    p->experiment_version = strdup(p->version);
    if ((ctl && !p->control_version) || !p->experiment_version)
      return dl_fail(r->err, DL_ENOMEM, "out of memory");
    if (ctl && cell_of(row_of(&p->rows, DL_WINDOW_DURING, ctl, 0), &cells[0]))
      *control = &cells[0];
    if (cell_of(row_of(&p->rows, DL_WINDOW_DURING, p->version, 0), &cells[1]))
      *experiment = &cells[1];
  } else {
    p->control_window = DL_WINDOW_BASELINE;
    const dl_mesh_row *after = row_of(&p->rows, DL_WINDOW_AFTER, NULL, 1);
    p->experiment_window = after && after->count > 0 ? DL_WINDOW_AFTER : DL_WINDOW_DURING;
    if (cell_of(row_of(&p->rows, p->control_window, NULL, 1), &cells[0]))
      *control = &cells[0];
    if (cell_of(row_of(&p->rows, p->experiment_window, NULL, 1), &cells[1]))
      *experiment = &cells[1];
  }
  return dl_compare_cells(*control, *experiment, r->o->judge.conf_level, &p->overall, r->err);
}

int
dl_prom_correlate(const dl_prom_source *src, const dl_deployment *d, const dl_correlate_options *o,
                  dl_prom_correlation **out, dl_error *err)
{
  *out = NULL;
  dl_correlate_options defaults;
  if (!o) {
    dl_correlate_options_init(&defaults);
    o = &defaults;
  }
  if (!src || !d || (!src->url && !src->data))
    return dl_fail(err, DL_EINVAL, "a Prometheus correlation needs a deployment and a server "
                   "URL or metrics read from a file");
  dl_prom_correlation *p = calloc(1, sizeof *p);
  if (!p)
    return dl_fail(err, DL_ENOMEM, "out of memory");
  run r = {src, d, o, p, NULL, err};
  int rc = setup(&r);
  if (!rc)
    rc = fetch(&r);
  if (!rc) {
    int64_t st[3], en[3];
    double secs[3];
    for (int i = 0; i < 3; i++) {
      st[i] = p->windows[i].start;
      en[i] = p->windows[i].end;
      secs[i] = dl_window_seconds(&p->windows[i]);
    }
    rc = dl_mesh_rows_compute(p->used, p->preset, p->service, st, en, secs, 3, &p->rows, err);
  }
  dl_cell cells[2];
  const dl_cell *control = NULL, *experiment = NULL;
  if (!rc)
    rc = compare(&r, cells, &control, &experiment);
  for (size_t q = 0; !rc && q < p->n_queries; q++)
    for (size_t w = 0; !rc && w < 3; w++) {
      if (p->mode == DL_COMPARE_CANARY) {
        if (p->control_version)
          rc = promql_value(&r, q, w, p->control_version);
        if (!rc)
          rc = promql_value(&r, q, w, p->experiment_version);
      } else {
        rc = promql_value(&r, q, w, w == DL_WINDOW_BASELINE ? p->previous_version : p->version);
      }
    }
  if (!rc && o->judge_enabled)
    rc = judge(&r, control, experiment);
  if (r.client)
    p->requests = dl_prom_client_requests(r.client);
  dl_prom_client_free(r.client);
  if (rc) {
    dl_prom_correlation_free(p);
    return rc;
  }
  *out = p;
  return DL_OK;
}
