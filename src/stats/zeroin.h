/* A root of a function of one real variable in a bracketing interval, by
 * Brent's method (R. P. Brent, Algorithms for Minimization without
 * Derivatives, 1973, chapter 4): inverse quadratic or linear
 * interpolation where it makes progress, bisection where it does not.
 * The steps are those of R's uniroot(), so that a root of a step
 * function -- where any point of a flat stretch is "a root" -- is the one
 * R reports. */
#ifndef DL_ZEROIN_H
#define DL_ZEROIN_H

/* F evaluated at X; CTX is passed through.  A value that is not finite
   is taken as the largest double of its sign (NaN: positive), as R does. */
typedef double (*dl_zeroin_fn)(double x, void *ctx);

/* A root of F in [A, B] (A < B) given FA = F(A) and FB = F(B) of
   opposite signs (or one of them zero), to within TOL (plus a few ulps of
   the root), in at most MAXIT steps: returns the last approximation, and
   *STEPS the evaluations made (-1 when MAXIT ran out). */
double dl_zeroin(dl_zeroin_fn f, void *ctx, double a, double b, double fa, double fb, double tol,
                 int maxit, int *steps);

#endif
