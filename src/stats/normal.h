/* The standard normal distribution: tails and quantiles. */
#ifndef DL_NORMAL_H
#define DL_NORMAL_H

/* P(Z <= z) and P(Z > z), each accurate in its own tail (through erfc). */
double dl_normal_cdf(double z);
double dl_normal_sf(double z);

/* The z with P(Z <= z) = P, for 0 < P < 1 (-inf / +inf at 0 / 1, NaN
   outside).  Newton steps on erfc from a rough start, safeguarded by
   bisection: accurate to a few ulps without tables of coefficients. */
double dl_normal_quantile(double p);

#endif
