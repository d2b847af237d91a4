/* Mann-Whitney U, Hodges-Lehmann, the exact distribution, the normal
   quantile and the two-proportion comparison, against published values. */
#include "deploy-ledger/mann-whitney.h"
#include "stats/normal.h"
#include "stats/pairdiff.h"
#include "deploy-ledger/proportion.h"
#include "stats/sort.h"
#include "stats/wilcoxon.h"
#include "seeded-random.h"
#include "tap.h"

#include <math.h>
#include <stdlib.h>

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static int
cmp_f64(const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* Hollander and Wolfe (1973), Nonparametric Statistical Methods, p. 69:
   permeability constants of the human chorioamnion at term (x) and at
   12-26 weeks (y); the example of R's ?wilcox.test.  R documents
   W = 35, exact one-sided p = 0.1272 ("greater"), and the large-sample
   approximation without correction p = 0.1103; with conf.int = TRUE the
   difference in location is 0.305 with the 95% interval [-0.15, 0.76]. */
static void
test_hollander_wolfe(void)
{
  const double x[] = {0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46};
  const double y[] = {1.15, 0.88, 0.90, 0.74, 1.21};
  dl_mw_options o;
  dl_mw_options_init(&o);
  dl_mw_result r;
  dl_error err;
  ok(dl_mann_whitney(x, 10, y, 5, &o, &r, &err) == DL_OK, "H&W: test runs");
  is_double(r.u, 35, 0, "H&W: W = 35");
  ok(r.exact, "H&W: exact distribution (n < 50, no ties)");
  is_double(r.p_value, 2 * 0.1272061272, 1e-9, "H&W: exact two-sided p = 2 x 0.1272");
  is_double(r.estimate, 0.305, 1e-12, "H&W: Hodges-Lehmann shift 0.305");
  is_double(r.ci_low, -0.15, 1e-12, "H&W: 95%% interval from -0.15");
  is_double(r.ci_high, 0.76, 1e-12, "H&W: 95%% interval to 0.76");
  ok(r.achieved_level >= 0.95 && r.achieved_level < 0.97, "H&W: achieved level %.4f",
     r.achieved_level);
  o.method = DL_MW_NORMAL;
  o.continuity = 0;
  ok(dl_mann_whitney(x, 10, y, 5, &o, &r, &err) == DL_OK, "H&W: normal approximation");
  is_double(r.z, 1.224744871, 1e-8, "H&W: z = 1.2247");
  is_double(r.p_value, 2 * 0.1103357, 1e-6, "H&W: uncorrected two-sided p = 2 x 0.1103");
  /* Swapping the samples mirrors everything. */
  dl_mw_options_init(&o);
  ok(dl_mann_whitney(y, 5, x, 10, &o, &r, &err) == DL_OK, "H&W swapped");
  is_double(r.u, 15, 0, "swapped: U = 50 - 35");
  is_double(r.estimate, -0.305, 1e-12, "swapped: shift -0.305");
  is_double(r.ci_low, -0.76, 1e-12, "swapped: interval from -0.76");
  is_double(r.p_value, 2 * 0.1272061272, 1e-9, "swapped: same p");
}

/* With ties: the normal approximation with tie and continuity correction.
   Data and expected values from ClickHouse's test of mannWhitneyUTest
   (tests/queries/0_stateless/01560_mann_whitney.sql), which match SciPy's
   mannwhitneyu(use_continuity=True): U = 223, p = 0.5426959774289482. */
static void
test_ties(void)
{
  const double a[] = {310, 195, 530, 155, 530, 245, 385, 450, 465, 545,
                      170, 180, 125, 180, 230, 75,  430, 480, 495, 295};
  const double b[] = {116, 171, 176, 421, 111, 326, 481, 111, 346, 441,
                      261, 411, 206, 521, 456, 446, 296, 51,  426, 261};
  dl_mw_result r;
  dl_error err;
  ok(dl_mann_whitney(a, 20, b, 20, NULL, &r, &err) == DL_OK, "ties: test runs");
  is_double(r.u, 223, 0, "ties: U = 223");
  ok(!r.exact, "ties: normal approximation");
  is_double(r.ties, 24, 0, "ties: four pairs of ties, sum t^3 - t = 24");
  is_double(r.p_value, 0.5426959774289482, 1e-12, "ties: p = 0.5426959774289482");

  /* All values equal: no evidence either way. */
  double same[6] = {5, 5, 5, 5, 5, 5};
  ok(dl_mann_whitney(same, 3, same + 3, 3, NULL, &r, &err) == DL_OK, "all equal: runs");
  is_double(r.p_value, 1, 0, "all equal: p = 1");
  is_double(r.estimate, 0, 0, "all equal: shift 0");

  ok(dl_mann_whitney(a, 0, b, 20, NULL, &r, &err) == DL_EINVAL, "empty sample refused: %s",
     err.text);
  double bad[2] = {1, NAN};
  ok(dl_mann_whitney(bad, 2, b, 20, NULL, &r, &err) == DL_EINVAL, "NaN refused: %s",
     err.text);
}

/* The exact null distribution for m = n = 3: the 20 arrangements give
   U = 0..9 with frequencies 1 1 2 3 3 3 3 2 1 1 (e.g. Siegel and
   Castellan, Nonparametric Statistics, table J). */
static void
test_exact_distribution(void)
{
  dl_wilcoxon_dist *d = dl_wilcoxon_dist_new(3, 3);
  static const int freq[10] = {1, 1, 2, 3, 3, 3, 3, 2, 1, 1};
  int cum = 0, good = 1;
  for (int u = 0; u < 10; u++) {
    cum += freq[u];
    good &= fabs(dl_wilcoxon_cdf(d, u) - cum / 20.0) < 1e-15;
    good &= fabs(dl_wilcoxon_sf(d, u) - (20 - cum + freq[u]) / 20.0) < 1e-15;
  }
  ok(good, "m = n = 3: P(U <= u) and P(U >= u) from the frequencies");
  is_int(dl_wilcoxon_quantile(d, 0.05), 0, "qwilcox(0.05, 3, 3) = 0");
  is_int(dl_wilcoxon_quantile(d, 0.10), 1, "qwilcox(0.10, 3, 3) = 1");
  dl_wilcoxon_dist_free(d);

  /* Larger sizes: symmetric, sums to one, and the lower tail of m = n = 49
     at 0 is 1 / choose(98, 49). */
  d = dl_wilcoxon_dist_new(49, 40);
  int sym = 1;
  for (long u = 0; u <= 49 * 40; u++)
    sym &= fabs(dl_wilcoxon_cdf(d, u) - dl_wilcoxon_sf(d, 49 * 40 - u)) < 1e-12;
  ok(sym, "m = 49, n = 40: symmetric");
  dl_wilcoxon_dist_free(d);
  d = dl_wilcoxon_dist_new(49, 49);
  double inv_choose = 1;
  for (int i = 1; i <= 49; i++)
    inv_choose *= (double) i / (49 + i);
  is_double(dl_wilcoxon_cdf(d, 0) / inv_choose, 1, 1e-12, "P(U = 0) = 1 / choose(98, 49)");
  is_double(dl_wilcoxon_sf(d, 49 * 49) / inv_choose, 1, 1e-12,
            "P(U = m n) = 1 / choose(98, 49): the upper tail keeps its precision");
  dl_wilcoxon_dist_free(d);
  ok(dl_wilcoxon_dist_new(0, 3) == NULL && dl_wilcoxon_dist_new(1000, 1000) == NULL,
     "empty or too large refused");
}

static int
near_one_of(double v, const double *d, size_t n, double tol)
{
  for (size_t i = 0; i < n; i++)
    if (fabs(v - d[i]) <= tol)
      return 1;
  return 0;
}

/* The k-th pairwise difference without forming them, against forming them. */
static void
test_pairdiff(void)
{
  int good = 1;
  for (int trial = 0; trial < 40; trial++) {
    size_t m = 1 + random_below(&rng, 60), n = 1 + random_below(&rng, 60);
    double *x = malloc(m * sizeof *x), *y = malloc(n * sizeof *y),
           *d = malloc(m * n * sizeof *d);
    for (size_t i = 0; i < m; i++)
      x[i] = trial % 2 ? (double) random_below(&rng, 20) : (double) random_below(&rng, 100000) / 7.0;
    for (size_t j = 0; j < n; j++)
      y[j] = trial % 2 ? (double) random_below(&rng, 20) : (double) random_below(&rng, 100000) / 7.0 - 300;
    qsort(x, m, sizeof *x, cmp_f64);
    qsort(y, n, sizeof *y, cmp_f64);
    for (size_t i = 0; i < m; i++)
      for (size_t j = 0; j < n; j++)
        d[i * n + j] = x[i] - y[j];
    qsort(d, m * n, sizeof *d, cmp_f64);
    for (int t = 0; t < 8; t++) {
      uint64_t k = 1 + random_below(&rng, m * n);
      good &= dl_pairdiff_kth(x, m, y, n, k) == d[k - 1];
    }
    good &= dl_pairdiff_kth(x, m, y, n, 1) == d[0];
    good &= dl_pairdiff_kth(x, m, y, n, m * n) == d[m * n - 1];
    free(x);
    free(y);
    free(d);
  }
  ok(good, "k-th pairwise difference equals the sorted differences (40 samples, ties too)");

  /* Large-sample interval, checked by forming the 300 x 200 differences:
     R's roots of the standardized statistic (hodges-lehmann.h) lie where
     it jumps, at a difference within one of the order statistics C and
     mn + 1 - C, C = round(mn/2 - 1.96 sd) (Hollander and Wolfe 4.3); the
     estimate between the two middle differences.  (These assertions used
     to require the order statistics themselves, which is not what R
     computes; tests/c/test-wilcox-r compares with R.) */
  size_t m = 300, n = 200;
  double *x = malloc(m * sizeof *x), *y = malloc(n * sizeof *y), *d = malloc(m * n * sizeof *d);
  for (size_t i = 0; i < m; i++)
    x[i] = 40 + (double) random_below(&rng, 1000000) / 1e4;
  for (size_t j = 0; j < n; j++)
    y[j] = 38 + (double) random_below(&rng, 1000000) / 1e4;
  dl_mw_result r;
  dl_error err;
  ok(dl_mann_whitney(x, m, y, n, NULL, &r, &err) == DL_OK, "300 x 200: runs");
  ok(!r.exact, "300 x 200: normal approximation");
  qsort(x, m, sizeof *x, cmp_f64);
  qsort(y, n, sizeof *y, cmp_f64);
  for (size_t i = 0; i < m; i++)
    for (size_t j = 0; j < n; j++)
      d[i * n + j] = x[i] - y[j];
  qsort(d, m * n, sizeof *d, cmp_f64);
  double mn = (double) m * n;
  size_t c = (size_t) round(mn / 2 - 1.959963984540054 * sqrt(mn * (m + n + 1) / 12.0));
  double tol = 1e-4;
  ok(near_one_of(r.ci_low, &d[c - 2], 3, tol), "300 x 200: lower end %.6f at difference C +- 1 "
     "(%.6f, %.6f, %.6f)", r.ci_low, d[c - 2], d[c - 1], d[c]);
  ok(near_one_of(r.ci_high, &d[m * n - c - 1], 3, tol),
     "300 x 200: upper end %.6f at difference mn + 1 - C +- 1", r.ci_high);
  ok(r.estimate >= d[m * n / 2 - 1] - tol && r.estimate <= d[m * n / 2] + tol,
     "300 x 200: estimate %.6f between the middle differences %.6f and %.6f", r.estimate,
     d[m * n / 2 - 1], d[m * n / 2]);
  ok(r.ci_low < 2 && r.ci_high > 2, "300 x 200: interval [%.3f, %.3f] covers the shift 2",
     r.ci_low, r.ci_high);
  free(x);
  free(y);
  free(d);
}

static void
test_sort(void)
{
  size_t n = 100000;
  double *v = malloc(n * sizeof *v), *w = malloc(n * sizeof *w);
  for (size_t i = 0; i < n; i++) {
    int64_t s = (int64_t) random_below(&rng, 2000001) - 1000000;
    v[i] = w[i] = i % 7 == 0 ? -0.0 : (double) s / 3.0;
  }
  dl_sort_f64(v, n);
  qsort(w, n, sizeof *w, cmp_f64);
  int same = 1;
  for (size_t i = 0; i < n; i++)
    same &= v[i] == w[i];
  ok(same, "radix sort of 100000 doubles with negatives and zeros agrees with qsort");
  ok(dl_f64_key(-1.0) < dl_f64_key(-0.5) && dl_f64_key(-0.0) < dl_f64_key(0.0)
     && dl_f64_key(1.0) < dl_f64_key(INFINITY), "order-preserving keys");
  is_double(dl_f64_from_key(dl_f64_key(-123.25)), -123.25, 0, "key round trip");
  free(v);
  free(w);
}

/* Quantiles of the standard normal (Abramowitz and Stegun, table 26.5;
   the usual 1.959964 and 2.575829). */
static void
test_normal(void)
{
  is_double(dl_normal_quantile(0.975), 1.959963984540054, 1e-13, "z(0.975) = 1.959963984540054");
  is_double(dl_normal_quantile(0.995), 2.575829303548901, 1e-13, "z(0.995) = 2.575829303548901");
  is_double(dl_normal_quantile(0.5), 0, 1e-15, "z(0.5) = 0");
  is_double(dl_normal_quantile(0.05), -1.644853626951472, 1e-13, "z(0.05) = -1.6448536");
  is_double(dl_normal_quantile(1e-10), -6.361340902404056, 1e-10, "z(1e-10) = -6.36134090");
  is_double(dl_normal_cdf(dl_normal_quantile(0.3)), 0.3, 1e-15, "cdf(quantile(0.3)) = 0.3");
  is_double(dl_normal_sf(1.959963984540054), 0.025, 1e-15, "upper tail at 1.96 = 0.025");
  ok(isnan(dl_normal_quantile(1.5)), "quantile outside [0, 1] is NaN");
}

/* Newcombe (1998), Statistics in Medicine 17:873-890, table II, method 10
   (hybrid score interval) for his examples (a)-(f). */
static void
test_proportions(void)
{
  static const struct {
    unsigned x1, n1, x2, n2;
    double lo, hi;
  } ex[] = {
    {56, 70, 48, 80, 0.0524, 0.3339}, {9, 10, 3, 10, 0.1705, 0.8090},
    {6, 7, 2, 7, 0.0582, 0.8062},     {5, 56, 0, 29, -0.0381, 0.1926},
    {0, 10, 0, 20, -0.1611, 0.2775},  {10, 10, 0, 20, 0.6791, 1.0000},
  };
  dl_prop_result r;
  dl_error err;
  for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++) {
    ok(dl_two_proportion(ex[i].x1, ex[i].n1, ex[i].x2, ex[i].n2, 0.95, &r, &err) == DL_OK,
       "Newcombe (%c): runs", (char) ('a' + i));
    is_double(r.ci_low, ex[i].lo, 0.00005, "Newcombe (%c): lower %.4f", (char) ('a' + i),
              ex[i].lo);
    is_double(r.ci_high, ex[i].hi, 0.00005, "Newcombe (%c): upper %.4f", (char) ('a' + i),
              ex[i].hi);
  }
  /* 56/70 vs 48/80 by hand: pooled 104/150, se = sqrt(p (1-p) (1/70 +
     1/80)) = 0.0754668, z = 0.2 / se = 2.650172, z^2 = 7.023411 (R's
     prop.test(c(56, 48), c(70, 80), correct = FALSE) X-squared). */
  ok(dl_two_proportion(56, 70, 48, 80, 0.95, &r, &err) == DL_OK, "56/70 vs 48/80");
  is_double(r.diff, 0.2, 1e-15, "difference 0.2");
  is_double(r.pooled, 104.0 / 150, 1e-15, "pooled 104/150");
  is_double(r.z, 0.2 / sqrt(104.0 / 150 * 46.0 / 150 * (1.0 / 70 + 1.0 / 80)), 1e-12,
            "z = 2.650172");
  is_double(r.z * r.z, 7.023411, 1e-5, "z^2 = 7.0234");
  is_double(r.p_value, 0.008045, 1e-5, "two-sided p = 0.00805");
  is_double(r.ratio, (56.0 / 70) / (48.0 / 80), 1e-15, "ratio of rates");
  ok(dl_two_proportion(0, 100, 0, 100, 0.95, &r, &err) == DL_OK && r.p_value == 1 && r.z == 0
     && r.ratio == 1, "no errors on either side: z 0, p 1");
  ok(dl_two_proportion(1, 0, 0, 10, 0.95, &r, &err) == DL_EINVAL, "empty refused: %s",
     err.text);
  ok(dl_two_proportion(11, 10, 0, 10, 0.95, &r, &err) == DL_EINVAL, "x > n refused: %s",
     err.text);
}

int
main(void)
{
  test_hollander_wolfe();
  test_ties();
  test_exact_distribution();
  test_pairdiff();
  test_sort();
  test_normal();
  test_proportions();
  return tap_done();
}
