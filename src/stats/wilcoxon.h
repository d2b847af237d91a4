/* The exact null distribution of the Mann-Whitney U (Wilcoxon rank-sum)
 * statistic for samples of sizes m and n without ties.
 *
 * U counts the pairs (x, y) with x > y; under the null hypothesis every
 * arrangement of the m + n ranks is equally likely.  The number of
 * arrangements with U = u for sizes (i, j) obeys
 *   f(i, j, u) = f(i - 1, j, u - j) + f(i, j - 1, u)
 * (the largest value is either an x, above all j y's, or a y), which is
 * summed in place over j with only additions of positive numbers, so the
 * tail probabilities keep full relative precision. */
#ifndef DL_WILCOXON_H
#define DL_WILCOXON_H

#include <stddef.h>

typedef struct dl_wilcoxon_dist dl_wilcoxon_dist;

/* The distribution for sizes M, N (both > 0, M * N <= 100000); NULL when
   too large or out of memory. */
dl_wilcoxon_dist *dl_wilcoxon_dist_new(size_t m, size_t n);
void dl_wilcoxon_dist_free(dl_wilcoxon_dist *d);

/* P(U <= u); 0 below 0, 1 from m n on. */
double dl_wilcoxon_cdf(const dl_wilcoxon_dist *d, long u);

/* P(U >= u), summed from the upper end (tiny tails keep their precision). */
double dl_wilcoxon_sf(const dl_wilcoxon_dist *d, long u);

/* The smallest u with P(U <= u) >= p (R's qwilcox, with its tolerance of
   ten ulps of 1). */
long dl_wilcoxon_quantile(const dl_wilcoxon_dist *d, double p);

#endif
