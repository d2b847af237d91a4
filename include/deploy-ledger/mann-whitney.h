/* The Mann-Whitney U test (Wilcoxon rank-sum test), two-sided, with the
 * Hodges-Lehmann estimate of the shift and its confidence interval.
 *
 * Conventions are those of R's wilcox.test(x, y, conf.int = TRUE):
 *  - U (R's W) counts the pairs with x > y, ties counting one half;
 *  - exact p-value from the null distribution (dl-wilcoxon.h) when both
 *    samples have fewer than 50 values and there are no ties; otherwise
 *    the normal approximation with the tie correction of the variance
 *      sd = sqrt(m n / 12 ((N + 1) - sum(t^3 - t) / (N (N - 1))))
 *    and the continuity correction (|U - m n / 2| - 1/2);
 *  - exact case: the estimate is the median of the m n differences
 *    x_i - y_j and the interval R's order statistics of them (qwilcox(
 *    alpha/2) and m n - that + 1);
 *  - otherwise (ties, or 50 values or more): R's large-sample method --
 *    the interval ends are the shifts d at which the continuity-corrected
 *    standardized statistic of x - d against y (tie-corrected sd) equals
 *    +z and -z, z = z(1 - alpha/2), and the estimate the shift at which
 *    the uncorrected statistic is 0, each found by Brent's method with
 *    R's tolerance of 1e-4 (stats/hodges-lehmann.h).  These agree with
 *    R's estimate, conf.int and p.value; they are not the median and
 *    order statistics of the differences, which differ on tied data.  */
#ifndef DL_MANNWHITNEY_H
#define DL_MANNWHITNEY_H

#include <stddef.h>

#include "error.h"

typedef enum dl_mw_method {
  DL_MW_AUTO = 0, /* exact for small samples without ties */
  DL_MW_EXACT,    /* exact whenever the sizes allow (ties ignored) */
  DL_MW_NORMAL    /* always the normal approximation */
} dl_mw_method;

typedef struct dl_mw_options {
  dl_mw_method method;
  int continuity;    /* nonzero: continuity correction (default 1) */
  int conf_int;      /* nonzero: estimate and interval (default 1) */
  double conf_level; /* default 0.95 */
} dl_mw_options;

void dl_mw_options_init(dl_mw_options *o);

typedef struct dl_mw_result {
  size_t n_x, n_y;
  double u;          /* pairs x > y, ties one half (R's W) */
  double p_value;    /* two-sided */
  int exact;         /* 1: exact distribution, 0: normal approximation */
  double z;          /* the corrected z (normal approximation; else 0) */
  double sd;         /* the tie-corrected sd of U */
  double ties;       /* sum over tied groups of t^3 - t */
  double prob_greater; /* U / (m n): P(X > Y) + P(X = Y) / 2 */
  double estimate;   /* Hodges-Lehmann shift of x from y (NaN if not asked) */
  double ci_low, ci_high;
  double conf_level;     /* asked */
  double achieved_level; /* the exact interval's actual coverage */
} dl_mw_result;

/* Tests X[0..NX) against Y[0..NY), both nonempty and free of NaN.  The
   inputs are not modified (sorted copies are made). */
int dl_mann_whitney(const double *x, size_t nx, const double *y, size_t ny,
                    const dl_mw_options *o, dl_mw_result *r, dl_error *err) DL_MUST_CHECK;

/* The same on samples already sorted ascending. */
int dl_mann_whitney_sorted(const double *x, size_t nx, const double *y, size_t ny,
                           const dl_mw_options *o, dl_mw_result *r,
                           dl_error *err) DL_MUST_CHECK;

#endif
