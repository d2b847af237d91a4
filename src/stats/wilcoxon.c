/* The exact distribution of the Mann-Whitney U statistic. */
#include "stats/wilcoxon.h"

#include <float.h>
#include <stdlib.h>

struct dl_wilcoxon_dist {
  size_t m, n;
  double *cdf; /* cdf[u] = P(U <= u), u = 0 .. m n */
  double *sf;  /* sf[u] = P(U >= u), summed from the top for precision */
};

dl_wilcoxon_dist *
dl_wilcoxon_dist_new(size_t m, size_t n)
{
  if (m == 0 || n == 0 || m > 100000 / n)
    return NULL;
  /* Loop over the smaller size in the table's rows (f is symmetric in
     the sense f(i, j, u) = f(j, i, u)). */
  size_t rows = m < n ? m : n, cols = m < n ? n : m;
  size_t umax = m * n;
  dl_wilcoxon_dist *d = calloc(1, sizeof *d);
  double *t = calloc((rows + 1) * (umax + 1), sizeof *t);
  if (!d || !t) {
    free(d);
    free(t);
    return NULL;
  }
  d->m = m;
  d->n = n;
  /* t[i][u] = f(i, j, u) for the current j; j = 0: only u = 0. */
#define T(i, u) t[(i) * (umax + 1) + (u)]
  for (size_t i = 0; i <= rows; i++)
    T(i, 0) = 1;
  for (size_t j = 1; j <= cols; j++)
    for (size_t i = 1; i <= rows; i++) {
      /* f(i, j, u) = f(i - 1, j, u - j) + f(i, j - 1, u): row i - 1
         already holds j, row i still holds j - 1.  Only u <= i j can be
         nonzero. */
      size_t top = i * j;
      for (size_t u = top; u >= j; u--) {
        T(i, u) += T(i - 1, u - j);
        if (u == j)
          break;
      }
    }
  d->cdf = malloc((umax + 1) * sizeof *d->cdf);
  d->sf = malloc((umax + 1) * sizeof *d->sf);
  if (!d->cdf || !d->sf) {
    free(t);
    free(d->cdf);
    free(d->sf);
    free(d);
    return NULL;
  }
  double total = 0;
  for (size_t u = 0; u <= umax; u++)
    total += T(rows, u);
  double run = 0;
  for (size_t u = 0; u <= umax; u++) {
    run += T(rows, u);
    d->cdf[u] = run / total;
  }
  run = 0;
  for (size_t u = umax + 1; u-- > 0;) {
    run += T(rows, u);
    d->sf[u] = run / total;
  }
#undef T
  free(t);
  return d;
}

void
dl_wilcoxon_dist_free(dl_wilcoxon_dist *d)
{
  if (!d)
    return;
  free(d->cdf);
  free(d->sf);
  free(d);
}

double
dl_wilcoxon_cdf(const dl_wilcoxon_dist *d, long u)
{
  if (u < 0)
    return 0;
  if ((size_t) u >= d->m * d->n)
    return 1;
  return d->cdf[u];
}

double
dl_wilcoxon_sf(const dl_wilcoxon_dist *d, long u)
{
  if (u <= 0)
    return 1;
  if ((size_t) u > d->m * d->n)
    return 0;
  return d->sf[u];
}

long
dl_wilcoxon_quantile(const dl_wilcoxon_dist *d, double p)
{
  double target = p - 10 * DBL_EPSILON;
  size_t umax = d->m * d->n;
  for (size_t u = 0; u < umax; u++)
    if (d->cdf[u] >= target)
      return (long) u;
  return (long) umax;
}
