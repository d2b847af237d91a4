/* Comparing two proportions (error rates): the two-proportion z test and
 * a confidence interval for the difference.
 *
 * The test uses the pooled proportion, z = (p1 - p2) / sqrt(p (1 - p)
 * (1/n1 + 1/n2)), two-sided (z^2 is R's prop.test(correct = FALSE)
 * statistic).  The interval is Newcombe's hybrid score interval (method 10
 * of Newcombe, "Interval estimation for the difference between independent
 * proportions", Statistics in Medicine 17, 1998), built from the Wilson
 * intervals of each proportion: unlike the Wald interval it stays sensible
 * with zero errors on one side, which is common for a short canary. */
#ifndef DL_PROPORTION_H
#define DL_PROPORTION_H

#include <stdint.h>

#include "error.h"

typedef struct dl_prop_result {
  uint64_t x1, n1, x2, n2;
  double p1, p2;
  double diff;       /* p1 - p2 */
  double ratio;      /* p1 / p2 (inf when p2 is 0 < p1, 1 when both 0) */
  double pooled;     /* (x1 + x2) / (n1 + n2) */
  double z;          /* 0 when the pooled proportion is 0 or 1 */
  double p_value;    /* two-sided; 1 when z is undefined */
  double ci_low, ci_high; /* for p1 - p2 */
  double conf_level;
} dl_prop_result;

/* The Wilson score interval of X successes out of N (N > 0). */
void dl_wilson_interval(uint64_t x, uint64_t n, double conf_level, double *low, double *high);

/* Compares X1/N1 with X2/N2 (both N > 0, X <= N). */
int dl_two_proportion(uint64_t x1, uint64_t n1, uint64_t x2, uint64_t n2, double conf_level,
                      dl_prop_result *r, dl_error *err) DL_MUST_CHECK;

#endif
