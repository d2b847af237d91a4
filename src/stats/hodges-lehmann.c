/* R's large-sample Hodges-Lehmann estimate and interval: roots of the
   standardized rank-sum statistic of the shifted sample. */
#include "stats/hodges-lehmann.h"

#include <math.h>

#include "stats/normal.h"
#include "stats/rank-sum.h"
#include "stats/zeroin.h"

typedef struct shift_ctx {
  const double *x, *y;
  size_t nx, ny;
  int continuity;
  double target; /* the quantile W(d) is to reach */
} shift_ctx;

/* W(d) - target, as R's wilcox.test computes W (see the header). */
static double
w_minus_target(double d, void *p)
{
  const shift_ctx *s = p;
  double u, ties;
  dl_rank_sum(s->x, s->nx, d, s->y, s->ny, &u, &ties);
  double nx = (double) s->nx, ny = (double) s->ny, n = nx + ny;
  double dz = u - nx * ny / 2;
  double corr = s->continuity ? (dz > 0 ? 0.5 : dz < 0 ? -0.5 : 0) : 0;
  double sd = sqrt((nx * ny / 12) * ((n + 1) - ties / (n * (n - 1))));
  /* sd = 0 (every value tied) gives +-inf or NaN, which the root finder
     takes as the largest double, as R's does. */
  return (dz - corr) / sd - s->target;
}

/* The root of W(d) = TARGET over [lo, hi], or the end W does not pass. */
static double
root(shift_ctx *s, double lo, double hi, double w_lo, double w_hi, double target)
{
  s->target = target;
  double f_lo = w_lo - target, f_hi = w_hi - target;
  if (f_lo <= 0)
    return lo;
  if (f_hi >= 0)
    return hi;
  int steps;
  return dl_zeroin(w_minus_target, s, lo, hi, f_lo, f_hi, DL_HL_TOLERANCE, 1000, &steps);
}

void
dl_hodges_lehmann_normal(const double *x, size_t nx, const double *y, size_t ny,
                         double conf_level, int continuity, double *estimate, double *ci_low,
                         double *ci_high)
{
  double lo = x[0] - y[ny - 1], hi = x[nx - 1] - y[0];
  if (!(lo < hi)) {
    *estimate = *ci_low = *ci_high = lo == 0 ? 0.0 : lo;
    return;
  }
  shift_ctx s = {x, y, nx, ny, continuity, 0};
  double w_lo = w_minus_target(lo, &s), w_hi = w_minus_target(hi, &s);
  double alpha = 1 - conf_level;
  double z = -dl_normal_quantile(alpha / 2); /* the upper alpha / 2 point */
  *ci_low = root(&s, lo, hi, w_lo, w_hi, z);
  *ci_high = root(&s, lo, hi, w_lo, w_hi, -z);
  /* The estimate: W(d) = 0 without the continuity correction. */
  s.continuity = 0;
  s.target = 0;
  w_lo = w_minus_target(lo, &s);
  w_hi = w_minus_target(hi, &s);
  if (w_lo == 0 || w_hi == 0 || (w_lo > 0) != (w_hi > 0)) {
    int steps;
    *estimate = dl_zeroin(w_minus_target, &s, lo, hi, w_lo, w_hi, DL_HL_TOLERANCE, 1000, &steps);
  } else {
    /* R stops here ("values at end points not of opposite sign"); only
       degenerate samples get here, and the nearer end is the answer. */
    *estimate = fabs(w_lo) < fabs(w_hi) ? lo : hi;
  }
}
