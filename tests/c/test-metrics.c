/* The metrics engine: hand-computed figures, and a reference built from
   plain sorting on random trace sets, for every mode and thread count. */
#include "deploy-ledger/metrics.h"
#include "deploy-ledger/time.h"
#include "tap.h"
#include "tracegen.h"

#include <stdlib.h>

#define S (INT64_C(1000000000))
#define MS (INT64_C(1000000))

static void
test_windows(void)
{
  dl_window w[3];
  dl_error err;
  /* 4-minute deployment: W is the 10-minute minimum. */
  ok(dl_deployment_windows(1000 * S, 1240 * S, 0, 0, w, &err) == DL_OK, "windows");
  ok(w[0].start == 400 * S && w[0].end == 1000 * S, "baseline [S - 10m, S)");
  ok(w[1].start == 1000 * S && w[1].end == 1240 * S + 1, "during [S, C]");
  ok(w[2].start == 1240 * S + 1 && w[2].end == 1840 * S + 1, "after (C, C + 10m]");
  /* 30-minute deployment: W is its duration. */
  ok(dl_deployment_windows(0, 1800 * S, 0, 0, w, &err) == DL_OK
     && w[0].start == -1800 * S && w[2].end == 3600 * S + 1, "W = duration when longer");
  /* Running: completed is now. */
  ok(dl_deployment_windows(0, DL_TIME_NONE, 60 * S, 0, w, &err) == DL_OK
     && w[1].end == 60 * S + 1 && w[0].start == -600 * S, "running: during ends now");
  ok(dl_deployment_windows(0, 60 * S, 0, 5 * S, w, &err) == DL_OK && w[0].start == -5 * S,
     "explicit W");
  ok(dl_deployment_windows(100, 50, 0, 0, w, &err) == DL_EINVAL, "ends before start: %s",
     err.text);
  ok(dl_deployment_windows(0, 240 * S, 0, 0, w, &err) == DL_OK && dl_window_seconds(&w[1]) == 240
     && dl_window_seconds(&w[0]) == 600 && dl_window_seconds(&w[2]) == 600,
     "rates use the true lengths: during 240 s, baseline and after 600 s");
  dl_window *b;
  size_t n;
  ok(dl_window_buckets(0, 95 * S, 10 * S, &b, &n, &err) == DL_OK && n == 10
     && b[9].start == 90 * S && b[9].end == 95 * S, "10 buckets, the last cut at the end");
  ok(dl_windows_uniform(b, n), "buckets are uniform");
  free(b);
  ok(dl_window_buckets(0, 10, 0, &b, &n, &err) == DL_EINVAL, "zero width refused");
  dl_window odd[2] = {{"a", 0, 10, 0}, {"b", 20, 30, 0}};
  ok(!dl_windows_uniform(odd, 2), "a gap is not uniform");
}

static void
test_group_spec(void)
{
  dl_group_spec g;
  dl_error err;
  dl_group_spec_init(&g);
  ok(dl_group_spec_parse("version, cloud.region,http.route", &g, &err) == DL_OK && g.n == 3,
     "parse three dimensions");
  ok(g.dims[0] == DL_DIM_VERSION && g.dims[1] == DL_DIM_REGION && g.dims[2] == DL_DIM_ATTRIBUTE,
     "dimensions recognised");
  is_str(dl_group_spec_name(&g, 1), "region", "canonical name");
  is_str(dl_group_spec_name(&g, 2), "http.route", "attribute name");
  dl_group_spec_clear(&g);
  ok(dl_group_spec_parse("version,service.version", &g, &err) == DL_EINVAL,
     "repeated dimension refused: %s", err.text);
  dl_group_spec_clear(&g);
  ok(dl_group_spec_parse("version,,region", &g, &err) == DL_EINVAL, "empty name refused: %s",
     err.text);
  dl_group_spec_clear(&g);
  ok(dl_group_spec_parse("a,b,c,d,e", &g, &err) == DL_EINVAL, "five refused: %s", err.text);
  dl_group_spec_clear(&g);
  ok(dl_group_spec_parse("", &g, &err) == DL_OK && g.n == 0, "empty text: one group");
}

/* Hand-computed cells. */
static void
test_hand(void)
{
  dl_trace_set *set = dl_trace_set_new();
  int rc = 0;
  const int64_t w0[4] = {10, 20, 30, 40};
  for (int i = 0; i < 4; i++)
    rc |= tg_add(set, &(tg_span){"checkout", "POST /pay", "v1", "us", "Timeout", DL_KIND_SERVER,
                                 (10 + i) * S, w0[i] * MS, i == 2, NULL, 0});
  rc |= tg_add(set, &(tg_span){"checkout", "POST /pay", "v2", "us", NULL, DL_KIND_SERVER, 150 * S,
                               200 * MS, 0, NULL, 0});
  rc |= tg_add(set, &(tg_span){"checkout", "POST /pay", "v2", "us", NULL, DL_KIND_SERVER, 120 * S,
                               100 * MS, 0, NULL, 0});
  rc |= tg_add(set, &(tg_span){"checkout", "GET /", "v1", "eu", NULL, DL_KIND_SERVER, 199 * S,
                               5 * MS, 0, NULL, 0});
  /* Not requests of checkout in the windows: */
  rc |= tg_add(set, &(tg_span){"checkout", "db", "v1", "us", NULL, DL_KIND_CLIENT, 20 * S,
                               999 * MS, 0, NULL, 0});
  rc |= tg_add(set, &(tg_span){"cart", "GET /", "v1", "us", NULL, DL_KIND_SERVER, 20 * S,
                               999 * MS, 0, NULL, 0});
  rc |= tg_add(set, &(tg_span){"checkout", "GET /", "v1", "us", NULL, DL_KIND_SERVER, 200 * S,
                               999 * MS, 0, NULL, 0});
  rc |= tg_add(set, &(tg_span){"checkout", "GET /", "v1", "us", NULL, DL_KIND_SERVER, -1,
                               999 * MS, 0, NULL, 0});
  ok(rc == 0, "hand set built");

  dl_window win[2] = {{"before", 0, 100 * S, 0}, {"after", 100 * S, 200 * S, 0}};
  dl_filter f;
  dl_filter_init(&f);
  f.service = "checkout";
  f.kind = DL_KIND_SERVER;
  dl_group_spec g;
  dl_group_spec_init(&g);
  dl_error err;
  ok(dl_group_spec_parse("version,region", &g, &err) == DL_OK, "group spec");
  dl_metrics_options o;
  dl_metrics_options_init(&o);
  o.windows = win;
  o.n_windows = 2;
  o.group = &g;
  o.filter = &f;
  dl_metrics *m = NULL;
  ok(dl_metrics_compute(set, &o, &m, &err) == DL_OK, "compute");
  is_int(dl_metrics_count(m), 3, "three cells");
  const dl_cell *c = dl_metrics_cell(m, 0);
  ok(c->window == 0 && strcmp(dl_metrics_key(m, c, 0), "v1") == 0
     && strcmp(dl_metrics_key(m, c, 1), "us") == 0, "cell 0: before v1 us");
  is_int(c->count, 4, "count 4");
  is_int(c->errors, 1, "1 error");
  is_double(c->error_rate, 0.25, 0, "error rate 0.25");
  is_double(c->throughput, 0.04, 1e-15, "throughput 4 / 100 s");
  is_double(c->mean, 25 * MS, 0, "mean 25 ms");
  is_int(c->max, 40 * MS, "max 40 ms");
  is_int(c->min, 10 * MS, "min 10 ms");
  is_double(c->q[0], 25 * MS, 0, "p50 25 ms");
  is_double(c->q[1], 37 * MS, 1e-3, "p90 37 ms (30 + 0.7 x 10)");
  is_double(c->q[2], 38.5 * MS, 1e-3, "p95 38.5 ms");
  is_double(c->q[3], 39.7 * MS, 1e-3, "p99 39.7 ms");
  c = dl_metrics_cell(m, 1);
  ok(c->window == 1 && strcmp(dl_metrics_key(m, c, 0), "v1") == 0
     && strcmp(dl_metrics_key(m, c, 1), "eu") == 0, "cell 1: after v1 eu (v1 before v2)");
  ok(c->count == 1 && c->q[0] == 5 * MS && c->q[3] == 5 * MS, "one request: every quantile 5 ms");
  c = dl_metrics_cell(m, 2);
  ok(c->window == 1 && strcmp(dl_metrics_key(m, c, 0), "v2") == 0, "cell 2: after v2 us");
  is_double(c->q[0], 150 * MS, 0, "p50 150 ms");
  is_double(c->q[1], 190 * MS, 1e-3, "p90 190 ms");
  is_double(c->q[3], 199 * MS, 1e-3, "p99 199 ms");
  is_int(dl_metrics_rows_matched(m), 7, "7 requests counted");
  const char *keys[2] = {"v2", "us"};
  ok(dl_metrics_find(m, 1, keys) == c, "find by key strings");
  dl_metrics_free(m);

  /* Nearest rank: p90 of 4 values is rank ceil(3.6) = 4: 40 ms. */
  o.method = DL_QUANTILE_NEAREST_RANK;
  ok(dl_metrics_compute(set, &o, &m, &err) == DL_OK, "compute nearest-rank");
  c = dl_metrics_cell(m, 0);
  ok(c->q[0] == 20 * MS && c->q[1] == 40 * MS, "nearest-rank p50 20 ms, p90 40 ms");
  dl_metrics_free(m);

  /* Operation filter, no grouping. */
  o.method = DL_QUANTILE_LINEAR;
  o.group = NULL;
  f.operation = "GET /";
  ok(dl_metrics_compute(set, &o, &m, &err) == DL_OK && dl_metrics_count(m) == 1
     && dl_metrics_cell(m, 0)->count == 1, "operation filter: one request");
  dl_metrics_free(m);
  f.operation = "no such operation";
  ok(dl_metrics_compute(set, &o, &m, &err) == DL_OK && dl_metrics_count(m) == 0,
     "unknown operation: no cells");
  dl_metrics_free(m);
  f.operation = NULL;
  f.attr_key = "service.version";
  f.attr_value = "v2";
  ok(dl_metrics_compute(set, &o, &m, &err) == DL_OK && dl_metrics_count(m) == 1
     && dl_metrics_cell(m, 0)->count == 2, "version filter: two requests");
  dl_metrics_free(m);
  f.attr_key = NULL;

  /* Errors. */
  dl_group_spec bad;
  dl_group_spec_init(&bad);
  ok(dl_group_spec_parse("http.route", &bad, &err) == DL_OK, "attribute group spec");
  o.group = &bad;
  ok(dl_metrics_compute(set, &o, &m, &err) == DL_ENOTFOUND && m == NULL,
     "grouping by an attribute not kept: %s", err.text);
  dl_group_spec_clear(&bad);
  o.group = &g;
  o.quantiles[0] = 1.5;
  ok(dl_metrics_compute(set, &o, &m, &err) == DL_EINVAL, "quantile 1.5 refused: %s", err.text);
  o.quantiles[0] = 0.5;
  dl_window empty = {"empty", 10, 10, 0};
  o.windows = &empty;
  o.n_windows = 1;
  ok(dl_metrics_compute(set, &o, &m, &err) == DL_EINVAL, "empty window refused: %s", err.text);
  uint32_t rows[1] = {999};
  dl_selection sel = {rows, 1};
  o.windows = win;
  o.n_windows = 2;
  o.rows = &sel;
  ok(dl_metrics_compute(set, &o, &m, &err) == DL_EINVAL, "selection beyond the set: %s",
     err.text);
  dl_group_spec_clear(&g);
  dl_trace_set_free(set);

  /* Sizes 2 and all-equal through the engine's bucket path. */
  set = dl_trace_set_new();
  rc = 0;
  rc |= tg_add(set, &(tg_span){"s", "op", "two", NULL, NULL, DL_KIND_SERVER, 1 * S, 10 * MS, 0, NULL, 0});
  rc |= tg_add(set, &(tg_span){"s", "op", "two", NULL, NULL, DL_KIND_SERVER, 2 * S, 30 * MS, 0, NULL, 0});
  for (int i = 0; i < 1000; i++)
    rc |= tg_add(set, &(tg_span){"s", "op", "same", NULL, NULL, DL_KIND_SERVER, 3 * S + i, 42 * MS, 0,
                                 NULL, 0});
  dl_group_spec_init(&g);
  rc |= dl_group_spec_parse("version", &g, &err);
  dl_window all = {"all", 0, 10 * S, 0};
  dl_metrics_options_init(&o);
  o.windows = &all;
  o.n_windows = 1;
  o.group = &g;
  ok(rc == 0 && dl_metrics_compute(set, &o, &m, &err) == DL_OK && dl_metrics_count(m) == 2,
     "two groups");
  const char *same_key[1] = {"same"}, *two_key[1] = {"two"};
  c = dl_metrics_find(m, 0, same_key);
  ok(c && c->count == 1000 && c->q[0] == 42 * MS && c->q[3] == 42 * MS && c->min == 42 * MS
     && c->max == 42 * MS && c->mean == 42 * MS, "1000 equal values: every figure 42 ms");
  c = dl_metrics_find(m, 0, two_key);
  ok(c && c->q[0] == 20 * MS && c->q[1] == 28 * MS && c->q[3] == 29.8 * MS,
     "two values 10 and 30 ms: p50 20, p90 28, p99 29.8");
  dl_metrics_free(m);
  dl_group_spec_clear(&g);
  dl_trace_set_free(set);
}

/* ---- random sets against a sort-based reference ---- */

typedef struct ref_rows {
  size_t n;
  uint32_t *svc, *ver, *reg, *op, *route;
  uint8_t *kind, *err;
  int64_t *start, *dur;
} ref_rows;

static int
cmp_i64(const void *a, const void *b)
{
  int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
  return (x > y) - (x < y);
}

static double
ref_quantile(const int64_t *s, size_t n, int percent)
{
  size_t num = (n - 1) * (size_t) percent, lo = num / 100, rem = num % 100;
  if (rem == 0)
    return (double) s[lo];
  return (double) s[lo] + rem / 100.0 * ((double) s[lo + 1] - (double) s[lo]);
}

static uint32_t
row_dim(const ref_rows *r, size_t i, dl_dim d)
{
  switch (d) {
  case DL_DIM_SERVICE: return r->svc[i];
  case DL_DIM_VERSION: return r->ver[i];
  case DL_DIM_REGION: return r->reg[i];
  case DL_DIM_OPERATION: return r->op[i];
  case DL_DIM_ATTRIBUTE: return r->route[i];
  default: return 0;
  }
}

/* Checks every cell of M against the rows; and that the cells account for
   every (row, window) match.  Returns the number of mismatches. */
static int
check_against_reference(const dl_metrics *m, const ref_rows *r, const dl_window *win, size_t nw,
                        const dl_group_spec *g, uint32_t svc, const uint8_t *in_sel, int keep)
{
  int bad = 0;
  uint64_t total = 0;
  int64_t *vals = malloc(r->n * sizeof *vals);
  for (size_t i = 0; i < r->n; i++)
    if ((!in_sel || in_sel[i]) && r->svc[i] == svc && r->kind[i] == DL_KIND_SERVER)
      for (size_t w = 0; w < nw; w++)
        total += r->start[i] >= win[w].start && r->start[i] < win[w].end;
  uint64_t cells_total = 0;
  for (size_t c = 0; c < dl_metrics_count(m); c++) {
    const dl_cell *cell = dl_metrics_cell(m, c);
    const dl_window *w = &win[cell->window];
    size_t n = 0;
    uint64_t errors = 0;
    for (size_t i = 0; i < r->n; i++) {
      if ((in_sel && !in_sel[i]) || r->svc[i] != svc || r->kind[i] != DL_KIND_SERVER)
        continue;
      if (r->start[i] < w->start || r->start[i] >= w->end)
        continue;
      size_t d = 0;
      for (; d < g->n; d++)
        if (row_dim(r, i, g->dims[d]) != cell->key[d])
          break;
      if (d < g->n)
        continue;
      vals[n++] = r->dur[i];
      errors += r->err[i];
    }
    cells_total += cell->count;
    if (n != cell->count || errors != cell->errors) {
      if (bad++ < 3)
        tap_diag("cell %zu: count %llu vs %zu", c, (unsigned long long) cell->count, n);
      continue;
    }
    if (keep) {
      int64_t *kv = malloc(n * sizeof *kv);
      memcpy(kv, cell->values, n * sizeof *kv);
      qsort(kv, n, sizeof *kv, cmp_i64);
      qsort(vals, n, sizeof *vals, cmp_i64);
      if (memcmp(kv, vals, n * sizeof *kv) != 0)
        bad++;
      free(kv);
    } else {
      qsort(vals, n, sizeof *vals, cmp_i64);
    }
    static const int pct[4] = {50, 90, 95, 99};
    for (int q = 0; q < 4; q++)
      if (cell->q[q] != ref_quantile(vals, n, pct[q])) {
        if (bad++ < 3)
          tap_diag("cell %zu p%d: %.17g vs %.17g", c, pct[q], cell->q[q],
                   ref_quantile(vals, n, pct[q]));
      }
    if (cell->max != vals[n - 1] || cell->min != vals[0])
      bad++;
  }
  if (cells_total != total) {
    bad++;
    tap_diag("cells count %llu requests, the rows %llu", (unsigned long long) cells_total,
             (unsigned long long) total);
  }
  free(vals);
  return bad;
}

static void
test_random(void)
{
  const char *svcs[] = {"checkout", "cart", "search"};
  const char *vers[] = {"v1", "v2", "v3"};
  const char *regs[] = {"us-east-1", "eu-west-1", "ap-southeast-1", NULL};
  const char *ops[] = {"GET /", "POST /pay", "GET /item", "PUT /cart", "DELETE /x"};
  const char *routes[] = {"/", "/pay", "/item/{id}"};
  dl_trace_set *set = dl_trace_set_new();
  dl_error err;
  ok(dl_trace_set_keep(set, "http.route", &err) == DL_OK, "keep http.route");
  size_t n = 40000;
  ref_rows r;
  memset(&r, 0, sizeof r);
  r.n = n;
  r.svc = malloc(n * 4);
  r.ver = malloc(n * 4);
  r.reg = malloc(n * 4);
  r.op = malloc(n * 4);
  r.route = malloc(n * 4);
  r.kind = malloc(n);
  r.err = malloc(n);
  r.start = malloc(n * 8);
  r.dur = malloc(n * 8);
  tg_seed(7);
  int rc = 0;
  for (size_t i = 0; i < n; i++) {
    const char *route = routes[tg_next() % 3];
    dl_span_attr attr = {dl_str_of("http.route"), dl_str_of(route)};
    tg_span s = {svcs[tg_next() % 3], ops[tg_next() % 5], vers[tg_next() % 3],
                 regs[tg_next() % 4], "Boom",
                 tg_next() % 5 ? DL_KIND_SERVER : DL_KIND_CLIENT,
                 (int64_t) (tg_next() % 1100) * S - 50 * S + (int64_t) (tg_next() % S),
                 i % 97 == 0 ? 5 * MS : tg_lognormal_ns(40, 0.7), tg_next() % 50 == 0,
                 &attr, 1};
    rc |= tg_add(set, &s);
    r.svc[i] = dl_trace_set_lookup(set, s.service, strlen(s.service));
    r.ver[i] = dl_trace_set_lookup(set, s.version, strlen(s.version));
    r.reg[i] = s.region ? dl_trace_set_lookup(set, s.region, strlen(s.region)) : 0;
    r.op[i] = dl_trace_set_lookup(set, s.operation, strlen(s.operation));
    r.route[i] = dl_trace_set_lookup(set, route, strlen(route));
    r.kind[i] = (uint8_t) s.kind;
    r.err[i] = (uint8_t) s.error;
    r.start[i] = s.start;
    r.dur[i] = s.duration;
  }
  ok(rc == 0, "40000 random spans");
  uint32_t svc = dl_trace_set_lookup(set, "checkout", 8);

  dl_window *buckets;
  size_t nb;
  ok(dl_window_buckets(0, 1000 * S, 100 * S, &buckets, &nb, &err) == DL_OK, "10 buckets");
  dl_window three[3] = {{"a", 0, 300 * S, 0}, {"b", 300 * S, 600 * S, 0}, {"c", 600 * S, 900 * S, 0}};
  dl_window overlap[3] = {{"a", 0, 500 * S, 0},
                           {"b", 250 * S, 750 * S, 0},
                           {"all", -100 * S, 2000 * S, 0}};
  struct {
    const char *name;
    const dl_window *w;
    size_t n;
  } wsets[] = {{"3 uniform", three, 3}, {"10 buckets", buckets, nb}, {"overlapping", overlap, 3}};
  const char *groups[] = {"", "version", "region,version", "operation", "operation,version",
                          "http.route,region"};
  uint8_t *in_sel = malloc(n);
  dl_selection sel = {malloc(n * sizeof(uint32_t)), 0};
  for (size_t i = 0; i < n; i++) {
    in_sel[i] = tg_next() % 3 != 0;
    if (in_sel[i])
      sel.rows[sel.count++] = (uint32_t) i;
  }
  dl_filter f;
  dl_filter_init(&f);
  f.service = "checkout";
  f.kind = DL_KIND_SERVER;
  int failures = 0, runs = 0;
  for (size_t ws = 0; ws < 3; ws++)
    for (size_t gi = 0; gi < sizeof groups / sizeof groups[0]; gi++)
      for (int use_sel = 0; use_sel < 2; use_sel++)
        for (int threads = 1; threads <= 3; threads++) {
          dl_group_spec g;
          dl_group_spec_init(&g);
          if (dl_group_spec_parse(groups[gi], &g, &err))
            failures++;
          dl_metrics_options o;
          dl_metrics_options_init(&o);
          o.windows = wsets[ws].w;
          o.n_windows = wsets[ws].n;
          o.group = &g;
          o.filter = &f;
          o.rows = use_sel ? &sel : NULL;
          o.threads = threads;
          o.keep_values = threads == 2 && use_sel;
          dl_metrics *m;
          if (dl_metrics_compute(set, &o, &m, &err)) {
            tap_diag("%s / %s: %s", wsets[ws].name, groups[gi], err.text);
            failures++;
            continue;
          }
          runs++;
          int bad = check_against_reference(m, &r, wsets[ws].w, wsets[ws].n, &g, svc,
                                            use_sel ? in_sel : NULL, o.keep_values);
          if (bad) {
            tap_diag("%s / \"%s\" / sel %d / %d threads: %d mismatches", wsets[ws].name,
                     groups[gi], use_sel, threads, bad);
            failures++;
          }
          dl_metrics_free(m);
          dl_group_spec_clear(&g);
        }
  ok(failures == 0, "%d runs (3 window sets x 6 groupings x rows or selection x 1-3 threads) "
     "equal the sorted reference", runs);

  /* Sketches: within 1% of the exact order statistics. */
  dl_metrics_options o;
  dl_metrics_options_init(&o);
  o.windows = three;
  o.n_windows = 3;
  o.filter = &f;
  o.sketches = 1;
  o.keep_values = 1;
  o.threads = 2;
  dl_metrics *m;
  ok(dl_metrics_compute(set, &o, &m, &err) == DL_OK, "with sketches");
  int close = 1;
  for (size_t c = 0; c < dl_metrics_count(m); c++) {
    const dl_cell *cell = dl_metrics_cell(m, c);
    close &= cell->sketch && dl_ddsketch_count(cell->sketch) == cell->count;
    int64_t *v = malloc(cell->n_values * sizeof *v);
    memcpy(v, cell->values, cell->n_values * sizeof *v);
    qsort(v, cell->n_values, sizeof *v, cmp_i64);
    for (int q = 0; q < 4; q++) {
      /* The sketch targets the order statistic of rank floor(q (n - 1)). */
      double est = dl_ddsketch_quantile(cell->sketch, o.quantiles[q]);
      double exact = (double) v[(size_t) floor(o.quantiles[q] * (double) (cell->count - 1))];
      close &= fabs(est - exact) <= 0.01 * exact + 1e-6;
    }
    free(v);
  }
  ok(close, "every cell's sketch within 1%% of its exact order statistics");
  dl_metrics_free(m);

  free(buckets);
  free(in_sel);
  free(sel.rows);
  free(r.svc);
  free(r.ver);
  free(r.reg);
  free(r.op);
  free(r.route);
  free(r.kind);
  free(r.err);
  free(r.start);
  free(r.dur);
  dl_trace_set_free(set);
}

int
main(void)
{
  test_windows();
  test_group_spec();
  test_hand();
  test_random();
  return tap_done();
}
