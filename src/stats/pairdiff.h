/* Order statistics of the m n pairwise differences x_i - y_j of two
 * sorted samples, without forming them: the basis of the Hodges-Lehmann
 * estimator and its confidence interval.
 *
 * The computed difference fl(x_i - y_j) is monotone in each argument, so
 * the number of differences <= d is counted in one O(m + n) sweep; a
 * binary search over the ordered bit patterns of doubles (64 steps at
 * most) finds the smallest d whose count reaches k, which is always one
 * of the differences. */
#ifndef DL_PAIRDIFF_H
#define DL_PAIRDIFF_H

#include <stddef.h>
#include <stdint.h>

/* Number of pairs with fl(X[i] - Y[j]) <= D; X and Y sorted ascending. */
uint64_t dl_pairdiff_count_le(const double *x, size_t m, const double *y, size_t n, double d);

/* The K-th smallest (1-based, 1 <= K <= m n) difference X[i] - Y[j]. */
double dl_pairdiff_kth(const double *x, size_t m, const double *y, size_t n, uint64_t k);

/* The median of the differences (the mean of the two middle ones when
   m n is even): the Hodges-Lehmann estimate of the shift of X from Y. */
double dl_pairdiff_median(const double *x, size_t m, const double *y, size_t n);

#endif
