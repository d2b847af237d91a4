/* The standard normal distribution. */
#include "stats/normal.h"

#include <math.h>

double
dl_normal_cdf(double z)
{
  return 0.5 * erfc(-z / M_SQRT2);
}

double
dl_normal_sf(double z)
{
  return 0.5 * erfc(z / M_SQRT2);
}

double
dl_normal_quantile(double p)
{
  if (isnan(p) || p < 0 || p > 1)
    return NAN;
  if (p == 0)
    return -INFINITY;
  if (p == 1)
    return INFINITY;
  /* Work in the lower tail, where P is represented accurately. */
  int upper = p > 0.5;
  double t = upper ? 1 - p : p;
  /* Start: the tail approximation z ~ -sqrt(-2 ln t), shifted. */
  double x = t < 0.5 ? -sqrt(-2 * log(t)) + 0.8 : 0;
  if (x > 0)
    x = 0;
  double lo = -40, hi = 0;
  for (int i = 0; i < 100; i++) {
    double f = dl_normal_cdf(x) - t;
    if (f == 0)
      break;
    if (f < 0)
      lo = x;
    else
      hi = x;
    double dens = exp(-0.5 * x * x) / sqrt(2 * M_PI);
    double next = x - f / dens;
    if (!(next > lo && next < hi))
      next = 0.5 * (lo + hi);
    if (fabs(next - x) <= 1e-15 * fabs(x) + 1e-300) {
      x = next;
      break;
    }
    x = next;
  }
  return upper ? -x : x;
}
