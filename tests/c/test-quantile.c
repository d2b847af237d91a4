/* Exact quantiles by selection, against hand-computed figures and a
   sort-based reference; the DDSketch against the exact path. */
#include "deploy-ledger/ddsketch.h"
#include "deploy-ledger/quantile.h"
#include "seeded-random.h"
#include "tap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 88172645463325252ULL;

static int
cmp_i64(const void *a, const void *b)
{
  int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
  return (x > y) - (x < y);
}

/* The reference: sort, then the textbook formulas in floating point with
   the ranks taken from exact integer arithmetic on percent values. */
static double
reference(const int64_t *sorted, size_t n, int percent, dl_quantile_method m)
{
  if (n == 0)
    return NAN;
  if (m == DL_QUANTILE_NEAREST_RANK) {
    size_t r = (n * (size_t) percent + 99) / 100;
    if (r < 1)
      r = 1;
    return (double) sorted[r - 1];
  }
  size_t num = (n - 1) * (size_t) percent;
  size_t lo = num / 100, rem = num % 100;
  if (rem == 0)
    return (double) sorted[lo];
  double f = rem / 100.0;
  return (double) sorted[lo] + f * ((double) sorted[lo + 1] - (double) sorted[lo]);
}

static void
test_hand_computed(void)
{
  /* 1..10: h = 9 q; p50 = 5.5, p90 = 9.1, p95 = 9.55, p99 = 9.91
     (R: quantile(1:10, c(.5, .9, .95, .99)) gives 5.50 9.10 9.55 9.91). */
  int64_t v[10] = {7, 3, 10, 1, 5, 9, 2, 8, 6, 4};
  double qs[4] = {0.5, 0.9, 0.95, 0.99}, out[4];
  dl_quantiles_i64(v, 10, qs, 4, DL_QUANTILE_LINEAR, out);
  is_double(out[0], 5.5, 1e-12, "1..10 p50 linear = 5.5");
  is_double(out[1], 9.1, 1e-12, "1..10 p90 linear = 9.1");
  is_double(out[2], 9.55, 1e-12, "1..10 p95 linear = 9.55");
  is_double(out[3], 9.91, 1e-12, "1..10 p99 linear = 9.91");
  /* Nearest rank: ceil(10 q): ranks 5, 9, 10, 10. */
  int64_t w[10] = {7, 3, 10, 1, 5, 9, 2, 8, 6, 4};
  dl_quantiles_i64(w, 10, qs, 4, DL_QUANTILE_NEAREST_RANK, out);
  is_double(out[0], 5, 0, "1..10 p50 nearest-rank = 5");
  is_double(out[1], 9, 0, "1..10 p90 nearest-rank = 9");
  is_double(out[2], 10, 0, "1..10 p95 nearest-rank = 10");
  is_double(out[3], 10, 0, "1..10 p99 nearest-rank = 10");

  /* Latencies in ms: {12, 15, 20, 22, 30, 45, 80}; h = 6 q:
     p50 = x[3] = 22, p90: h = 5.4 -> 45 + 0.4 * 35 = 59,
     p95: h = 5.7 -> 45 + 0.7 * 35 = 69.5, p99: h = 5.94 -> 45 + 0.94 * 35 = 77.9. */
  int64_t l[7] = {80, 12, 45, 22, 15, 30, 20};
  dl_quantiles_i64(l, 7, qs, 4, DL_QUANTILE_LINEAR, out);
  is_double(out[0], 22, 1e-12, "latencies p50 = 22");
  is_double(out[1], 59, 1e-9, "latencies p90 = 59");
  is_double(out[2], 69.5, 1e-9, "latencies p95 = 69.5");
  is_double(out[3], 77.9, 1e-9, "latencies p99 = 77.9");

  /* 0.99 of 101 values is exactly rank 100 (0-based 99): no interpolation
     artefact from 0.99 not being representable. */
  int64_t h[101];
  for (int i = 0; i < 101; i++)
    h[i] = 100 - i;
  double q99 = 0.99, o99;
  dl_quantiles_i64(h, 101, &q99, 1, DL_QUANTILE_LINEAR, &o99);
  is_double(o99, 99, 0, "p99 of 0..100 is exactly 99");

  dl_quantile_rank r;
  dl_quantile_rank_of(1, 0.99, DL_QUANTILE_LINEAR, &r);
  ok(r.lo == 0 && r.hi == 0 && r.frac == 0, "one value: rank 0");
  dl_quantile_rank_of(2, 0.5, DL_QUANTILE_LINEAR, &r);
  ok(r.lo == 0 && r.hi == 1 && r.frac == 0.5, "two values: halfway");
  dl_quantile_rank_of(100, 0.5, DL_QUANTILE_NEAREST_RANK, &r);
  ok(r.lo == 49, "nearest-rank p50 of 100 is rank 50");
  dl_quantile_rank_of(100, 0.0, DL_QUANTILE_NEAREST_RANK, &r);
  ok(r.lo == 0, "nearest-rank p0 is the minimum");

  double empty_out[2], q2[2] = {0.5, 0.99};
  dl_quantiles_i64(NULL, 0, q2, 2, DL_QUANTILE_LINEAR, empty_out);
  ok(isnan(empty_out[0]) && isnan(empty_out[1]), "no values: NaN");

  dl_quantile_method m;
  dl_error err;
  ok(dl_quantile_method_parse("nearest-rank", &m, &err) == DL_OK
     && m == DL_QUANTILE_NEAREST_RANK, "parse nearest-rank");
  ok(dl_quantile_method_parse("median", &m, &err) == DL_EINVAL
     && strstr(err.text, "median"), "unknown method named: %s", err.text);
}

/* Many sizes and shapes, both methods, against sort + formula. */
static void
test_against_sort(void)
{
  static const size_t sizes[] = {0, 1, 2, 3, 4, 5, 7, 10, 24, 25, 26, 99, 100, 101,
                                 255, 1000, 4097, 65536, 100003};
  static const int percents[] = {0, 1, 25, 50, 90, 95, 99, 100};
  int shapes = 5, failures = 0, checks = 0;
  for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
    for (int shape = 0; shape < shapes; shape++) {
      size_t n = sizes[si];
      int64_t *v = malloc((n + 1) * sizeof *v), *s = malloc((n + 1) * sizeof *s);
      for (size_t i = 0; i < n; i++) {
        switch (shape) {
        case 0: v[i] = (int64_t) random_below(&rng, 1000000007); break; /* random */
        case 1: v[i] = 42; break;                                       /* all equal */
        case 2: v[i] = (int64_t) random_below(&rng, 5); break;          /* heavy ties */
        case 3: v[i] = (int64_t) i; break;                              /* sorted */
        default: v[i] = (int64_t) (n - i) * 1000 - 7; break;            /* reversed */
        }
        s[i] = v[i];
      }
      qsort(s, n, sizeof *s, cmp_i64);
      for (int method = 0; method < 2; method++) {
        double qs[8], out[8];
        for (int k = 0; k < 8; k++)
          qs[k] = percents[k] / 100.0;
        int64_t *w = malloc((n + 1) * sizeof *w);
        for (size_t i = 0; i < n; i++)
          w[i] = v[i];
        dl_quantiles_i64(w, n, qs, 8, (dl_quantile_method) method, out);
        for (int k = 0; k < 8; k++) {
          double want = reference(s, n, percents[k], (dl_quantile_method) method);
          checks++;
          if (!(n == 0 ? isnan(out[k]) : out[k] == want)) {
            if (failures++ < 5)
              tap_diag("n=%zu shape=%d method=%d p%d: got %.17g want %.17g", n, shape,
                       method, percents[k], out[k], want);
          }
        }
        /* The multiset is unchanged by selection. */
        qsort(w, n, sizeof *w, cmp_i64);
        for (size_t i = 0; i < n; i++)
          if (w[i] != s[i]) {
            failures++;
            break;
          }
        free(w);
      }
      free(v);
      free(s);
    }
  ok(failures == 0, "quantiles equal the sort-based reference (%d checks)", checks);
}

static int
cmp_f64(const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* The multi-rank selection places every asked rank; also on doubles. */
static void
test_select_many(void)
{
  size_t n = 5000;
  double *v = malloc(n * sizeof *v), *s = malloc(n * sizeof *s);
  for (size_t i = 0; i < n; i++)
    v[i] = s[i] = random_unit(&rng) * 100 - 50;
  qsort(s, n, sizeof *s, cmp_f64);
  size_t ranks[] = {0, 1, 1, 17, 2500, 2501, 4000, 4998, 4999};
  dl_select_many_f64(v, n, ranks, sizeof ranks / sizeof ranks[0]);
  int good = 1;
  for (size_t i = 0; i < sizeof ranks / sizeof ranks[0]; i++)
    good &= v[ranks[i]] == s[ranks[i]];
  ok(good, "select_many places nine ranks (with a duplicate) of 5000 doubles");
  double med = dl_median_f64(v, n);
  is_double(med, (s[2499] + s[2500]) / 2, 1e-12, "median of 5000 doubles");
  /* Adversarial input for median-of-three: an organ pipe. */
  int64_t *w = malloc(100000 * sizeof *w);
  for (size_t i = 0; i < 100000; i++)
    w[i] = i < 50000 ? (int64_t) i : (int64_t) (100000 - i);
  dl_select_i64(w, 100000, 50000);
  ok(w[50000] == 25000, "organ pipe: rank 50000 is 25000 (got %lld)", (long long) w[50000]);
  free(w);
  free(v);
  free(s);
}

/* The sketch within its 1% of the exact order statistic it targets, on
   lognormal latencies, alone and after merging. */
static void
test_ddsketch(void)
{
  size_t n = 200000;
  int64_t *v = malloc(n * sizeof *v);
  dl_ddsketch *a = dl_ddsketch_new(0.01, 0), *b = dl_ddsketch_new(0.01, 0),
              *all = dl_ddsketch_new(0.01, 0);
  dl_error err;
  int adds_ok = 1;
  for (size_t i = 0; i < n; i++) {
    /* Lognormal with median 40 ms and sigma 0.5, in ns. */
    v[i] = (int64_t) (40e6 * exp(0.5 * random_normal(&rng)));
    adds_ok &= dl_ddsketch_add(i % 3 ? a : b, (double) v[i], 1, &err) == DL_OK;
    adds_ok &= dl_ddsketch_add(all, (double) v[i], 1, &err) == DL_OK;
  }
  ok(adds_ok, "200000 values added");
  ok(dl_ddsketch_merge(a, b, &err) == DL_OK, "merge");
  is_int(dl_ddsketch_count(a), n, "merged count");
  qsort(v, n, sizeof *v, cmp_i64);
  static const double qs[] = {0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999};
  double worst = 0;
  int same = 1;
  for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
    double est = dl_ddsketch_quantile(a, qs[k]);
    same &= est == dl_ddsketch_quantile(all, qs[k]);
    double exact = (double) v[(size_t) floor(qs[k] * (double) (n - 1))];
    double rel = fabs(est - exact) / exact;
    if (rel > worst)
      worst = rel;
    /* And against the interpolated (linear) definition. */
    double lin;
    int64_t *c = malloc(n * sizeof *c);
    memcpy(c, v, n * sizeof *c);
    dl_quantiles_i64(c, n, &qs[k], 1, DL_QUANTILE_LINEAR, &lin);
    free(c);
    if (fabs(est - lin) / lin > 0.0101)
      tap_diag("q=%g sketch %.0f linear %.1f", qs[k], est, lin);
    ok(fabs(est - lin) / lin <= 0.0101, "sketch q=%g within 1%% of the exact linear quantile",
       qs[k]);
  }
  ok(worst <= 0.01 + 1e-12, "sketch within 1%% of the exact order statistic (worst %.5f)", worst);
  ok(same, "merged sketch answers exactly as the sketch of the union");
  is_double(dl_ddsketch_quantile(a, 0), (double) v[0], 0, "q=0 is the exact minimum");
  is_double(dl_ddsketch_quantile(a, 1), (double) v[n - 1], 0, "q=1 is the exact maximum");
  ok(dl_ddsketch_bucket_count(a) < 400, "bounded memory: %zu buckets",
     dl_ddsketch_bucket_count(a));

  /* Zeros and negatives keep their order. */
  dl_ddsketch *m = dl_ddsketch_new(0.01, 0);
  double mixed[] = {-100, -10, 0, 0, 10, 100, 1000};
  for (size_t i = 0; i < 7; i++)
    adds_ok &= dl_ddsketch_add(m, mixed[i], 1, &err) == DL_OK;
  is_double(dl_ddsketch_quantile(m, 0.5), 0, 0, "median of mixed signs is 0");
  is_double(dl_ddsketch_quantile(m, 1.0 / 6), -10, 0.1, "rank 1 is about -10");
  is_double(dl_ddsketch_quantile(m, 5.0 / 6), 100, 1, "rank 5 is about 100");
  ok(dl_ddsketch_add(m, NAN, 1, &err) == DL_EINVAL, "NaN refused: %s", err.text);
  dl_ddsketch *other = dl_ddsketch_new(0.02, 0);
  ok(dl_ddsketch_merge(m, other, &err) == DL_EINVAL, "different accuracy refused: %s",
     err.text);
  ok(isnan(dl_ddsketch_quantile(other, 0.5)), "empty sketch: NaN");
  ok(dl_ddsketch_new(0, 0) == NULL && dl_ddsketch_new(1.5, 0) == NULL,
     "bad accuracy refused");

  /* Collapsing: a tiny bucket budget keeps the top of the range exact. */
  dl_ddsketch *c = dl_ddsketch_new(0.01, 16);
  for (int i = 1; i <= 1000; i++)
    adds_ok &= dl_ddsketch_add(c, i, 1, &err) == DL_OK;
  ok(adds_ok, "collapsing sketch accepts values");
  ok(dl_ddsketch_bucket_count(c) <= 16, "at most 16 buckets (%zu)", dl_ddsketch_bucket_count(c));
  double top = dl_ddsketch_quantile(c, 0.999);
  ok(fabs(top - 999) / 999 <= 0.01, "top quantile still within 1%% (%.2f)", top);
  is_int(dl_ddsketch_count(c), 1000, "count kept through collapsing");
  dl_ddsketch_free(c);
  dl_ddsketch_free(m);
  dl_ddsketch_free(other);
  dl_ddsketch_free(a);
  dl_ddsketch_free(b);
  dl_ddsketch_free(all);
  dl_ddsketch_free(NULL);
  free(v);
}

int
main(void)
{
  test_hand_computed();
  test_against_sort();
  test_select_many();
  test_ddsketch();
  return tap_done();
}
