/* The Hodges-Lehmann shift of X from Y and its confidence interval by
 * the large-sample method of R's wilcox.test(x, y, conf.int = TRUE), used
 * there whenever there are ties or a sample has 50 values or more.
 *
 * W(d) is the standardized rank-sum statistic of X - d against Y:
 *   W(d) = (U(d) - m n / 2 - c(d)) / sd(d),
 *   sd(d) = sqrt(m n / 12 ((N + 1) - sum(t^3 - t) / (N (N - 1)))),
 * with U(d) the pairs x - d > y (ties one half), the tie sum taken over
 * the combined sample of X - d and Y, and the continuity correction
 * c(d) = sign(U(d) - m n / 2) / 2 when asked.  W falls in steps from
 * W(min x - max y) to W(max x - min y).  The interval ends are the roots
 * of W(d) = +z and W(d) = -z, z = z(1 - alpha / 2) -- or the end of the
 * range when W does not reach z there -- and the estimate the root of
 * W(d) = 0 without the continuity correction, each found by Brent's
 * method with R's tolerance of 1e-4 (zeroin.h), so the figures are R's to
 * within that tolerance, and usually to the last digit.  They are not the
 * median and order statistics of the pairwise differences: R's roots lie
 * where the statistic crosses the quantile, which on tied data can be a
 * different difference (7 where the order statistic says 6). */
#ifndef DL_HODGES_LEHMANN_H
#define DL_HODGES_LEHMANN_H

#include <stddef.h>

/* R's tolerance for the roots (wilcox.test's tol.root). */
#define DL_HL_TOLERANCE 1e-4

/* X[0..NX) and Y[0..NY) sorted ascending, nonempty; CONF_LEVEL in (0, 1);
   CONTINUITY nonzero for the continuity correction of the interval.
   When every difference is the same (the range is one point) the three
   figures are that difference. */
void dl_hodges_lehmann_normal(const double *x, size_t nx, const double *y, size_t ny,
                              double conf_level, int continuity, double *estimate,
                              double *ci_low, double *ci_high);

#endif
