/* The Wilcoxon rank sum of one sample shifted against another, with the
 * tie sum of the combined sample: what the Mann-Whitney test and R's
 * asymptotic Hodges-Lehmann interval both evaluate. */
#ifndef DL_RANK_SUM_H
#define DL_RANK_SUM_H

#include <stddef.h>

/* Over the combined sample of fl(X[i] - SHIFT) and Y[j] (X and Y sorted
   ascending, so the shifted X stays sorted), each run of equal values
   taking the mean of its ranks: *U is the rank sum of the shifted X minus
   NX (NX + 1) / 2 (pairs x - shift > y, ties one half), *TIES the sum over
   runs of t^3 - t.  Both are exact: ranks are multiples of one half. */
void dl_rank_sum(const double *x, size_t nx, double shift, const double *y, size_t ny, double *u,
                 double *ties);

#endif
