/* Brent's root finder. */
#include "stats/zeroin.h"

#include <float.h>
#include <math.h>

static double
finite_value(dl_zeroin_fn f, double x, void *ctx)
{
  double v = f(x, ctx);
  if (isfinite(v))
    return v;
  return v == -INFINITY ? -DBL_MAX : DBL_MAX;
}

double
dl_zeroin(dl_zeroin_fn f, void *ctx, double a, double b, double fa, double fb, double tol,
          int maxit, int *steps)
{
  *steps = 0;
  if (fa == 0)
    return a;
  if (fb == 0)
    return b;
  /* B is the best approximation so far, A the previous one, and C the
     point that keeps the root bracketed between B and C. */
  double c = a, fc = fa;
  for (int left = maxit + 1; left > 0; left--) {
    double prev_step = b - a;
    if (fabs(fc) < fabs(fb)) {
      a = b;
      b = c;
      c = a;
      fa = fb;
      fb = fc;
      fc = fa;
    }
    double tol_act = 2 * DBL_EPSILON * fabs(b) + tol / 2;
    double step = (c - b) / 2; /* bisection, unless interpolation does better */
    if (fabs(step) <= tol_act || fb == 0)
      return b;
    if (fabs(prev_step) >= tol_act && fabs(fa) > fabs(fb)) {
      /* The interpolated step is P / Q, the division kept for last. */
      double p, q, cb = c - b;
      if (a == c) {
        double s = fb / fa; /* two points: the secant */
        p = cb * s;
        q = 1.0 - s;
      } else {
        double qa = fa / fc, r = fb / fc, s = fb / fa; /* three: inverse quadratic */
        p = s * (cb * qa * (qa - r) - (b - a) * (r - 1.0));
        q = (qa - 1.0) * (r - 1.0) * (s - 1.0);
      }
      if (p > 0)
        q = -q;
      else
        p = -p;
      /* Taken only when it lands well inside [b, c] and shrinks faster
         than the step before last. */
      if (p < 0.75 * cb * q - fabs(tol_act * q) / 2 && p < fabs(prev_step * q / 2))
        step = p / q;
    }
    if (fabs(step) < tol_act)
      step = step > 0 ? tol_act : -tol_act;
    a = b;
    fa = fb;
    b += step;
    fb = finite_value(f, b, ctx);
    ++*steps;
    if ((fb > 0 && fc > 0) || (fb < 0 && fc < 0)) {
      c = a;
      fc = fa;
    }
  }
  *steps = -1;
  return b;
}
