/* Order statistics of pairwise differences. */
#include "stats/pairdiff.h"

#include <math.h>

#include "stats/sort.h"

uint64_t
dl_pairdiff_count_le(const double *x, size_t m, const double *y, size_t n, double d)
{
  /* For each x_i the y_j giving a difference <= d form a suffix of y,
     which starts further right as x_i grows. */
  uint64_t count = 0;
  size_t j = 0;
  for (size_t i = 0; i < m; i++) {
    while (j < n && x[i] - y[j] > d)
      j++;
    count += n - j;
  }
  return count;
}

double
dl_pairdiff_kth(const double *x, size_t m, const double *y, size_t n, uint64_t k)
{
  if (m == 0 || n == 0 || k == 0 || k > (uint64_t) m * n)
    return NAN;
  uint64_t lo = dl_f64_key(x[0] - y[n - 1]), hi = dl_f64_key(x[m - 1] - y[0]);
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (dl_pairdiff_count_le(x, m, y, n, dl_f64_from_key(mid)) >= k)
      hi = mid;
    else
      lo = mid + 1;
  }
  double d = dl_f64_from_key(lo);
  /* -0.0 and +0.0 compare equal: report a plain zero. */
  return d == 0 ? 0.0 : d;
}

double
dl_pairdiff_median(const double *x, size_t m, const double *y, size_t n)
{
  uint64_t total = (uint64_t) m * n;
  if (total == 0)
    return NAN;
  if (total % 2)
    return dl_pairdiff_kth(x, m, y, n, total / 2 + 1);
  double a = dl_pairdiff_kth(x, m, y, n, total / 2);
  double b = dl_pairdiff_kth(x, m, y, n, total / 2 + 1);
  return (a + b) / 2; /* as R's median() */
}
