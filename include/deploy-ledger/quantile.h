/* Exact quantiles by selection, not by sorting.
 *
 * Two definitions, both exact:
 *  - linear: linear interpolation between the two nearest ranks, the
 *    definition of R's type 7, numpy's default and DuckDB's quantile_cont:
 *    h = (n - 1) q, x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]);
 *  - nearest-rank: the value at 1-based rank ceil(n q) (at least 1), as
 *    DuckDB's quantile_disc.
 * Ranks are computed in integer arithmetic with q rounded to 1e-9 (so
 * q = 0.99 means exactly 99/100, where floating-point code may land one
 * ulp below a whole rank).
 *
 * The order statistics come from introselect: quickselect with a
 * median-of-three pivot that falls back to median-of-medians when the
 * recursion gets too deep, so the worst case stays linear.  Several ranks
 * are selected together, each partition serving the ranks on its side. */
#ifndef DL_QUANTILE_H
#define DL_QUANTILE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef enum dl_quantile_method {
  DL_QUANTILE_LINEAR = 0,
  DL_QUANTILE_NEAREST_RANK = 1
} dl_quantile_method;

/* The order statistics a quantile needs: the value is
   x[lo] + frac * (x[hi] - x[lo]); hi == lo when frac is 0. */
typedef struct dl_quantile_rank {
  size_t lo, hi;
  double frac;
} dl_quantile_rank;

/* The ranks (0-based) of quantile Q (0 <= Q <= 1) of N > 0 values. */
void dl_quantile_rank_of(size_t n, double q, dl_quantile_method method,
                         dl_quantile_rank *rank);

/* Parses "linear" or "nearest-rank". */
int dl_quantile_method_parse(const char *name, dl_quantile_method *method,
                             dl_error *err) DL_MUST_CHECK;
const char *dl_quantile_method_name(dl_quantile_method method);

/* Reorders V[0..N) so that V[K] is the K-th smallest (0-based), with no
   larger value before it and no smaller one after it. */
void dl_select_i64(int64_t *v, size_t n, size_t k);
void dl_select_f64(double *v, size_t n, size_t k);

/* The same for the M ranks RANKS (ascending, duplicates allowed, each
   < N): every V[RANKS[i]] ends up in its sorted place. */
void dl_select_many_i64(int64_t *v, size_t n, const size_t *ranks, size_t m);
void dl_select_many_f64(double *v, size_t n, const size_t *ranks, size_t m);

/* The NQ quantiles QS of V[0..N) into OUT (NaN for each when N is 0).
   V is reordered.  QS need not be sorted. */
void dl_quantiles_i64(int64_t *v, size_t n, const double *qs, size_t nq,
                      dl_quantile_method method, double *out);
void dl_quantiles_f64(double *v, size_t n, const double *qs, size_t nq,
                      dl_quantile_method method, double *out);

/* The median of V[0..N) (linear definition), V reordered; NaN when N is 0. */
double dl_median_f64(double *v, size_t n);

#endif
