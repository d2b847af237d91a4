/* Exact quantiles by selection. */
#include "deploy-ledger/quantile.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SEL_T int64_t
#define SEL_NAME(x) x##_i64
#include "stats/select.h"
#undef SEL_T
#undef SEL_NAME

#define SEL_T double
#define SEL_NAME(x) x##_f64
#include "stats/select.h"
#undef SEL_T
#undef SEL_NAME

/* Q as an exact fraction of 1e9. */
#define Q_SCALE 1000000000ULL

static uint64_t
q_scaled(double q)
{
  if (!(q > 0))
    return 0;
  if (q >= 1)
    return Q_SCALE;
  return (uint64_t) llround(q * (double) Q_SCALE);
}

void
dl_quantile_rank_of(size_t n, double q, dl_quantile_method method, dl_quantile_rank *rank)
{
  unsigned __int128 qs = q_scaled(q);
  if (n == 0) {
    rank->lo = rank->hi = 0;
    rank->frac = 0;
    return;
  }
  if (method == DL_QUANTILE_NEAREST_RANK) {
    unsigned __int128 r = ((unsigned __int128) n * qs + Q_SCALE - 1) / Q_SCALE;
    size_t k = r == 0 ? 0 : (size_t) r - 1;
    if (k >= n)
      k = n - 1;
    rank->lo = rank->hi = k;
    rank->frac = 0;
    return;
  }
  unsigned __int128 h = (unsigned __int128) (n - 1) * qs;
  size_t lo = (size_t) (h / Q_SCALE);
  uint64_t rem = (uint64_t) (h % Q_SCALE);
  rank->lo = lo;
  if (rem == 0 || lo + 1 >= n) {
    rank->hi = lo;
    rank->frac = 0;
  } else {
    rank->hi = lo + 1;
    rank->frac = (double) rem / (double) Q_SCALE;
  }
}

int
dl_quantile_method_parse(const char *name, dl_quantile_method *method, dl_error *err)
{
  if (name && strcmp(name, "linear") == 0)
    *method = DL_QUANTILE_LINEAR;
  else if (name && strcmp(name, "nearest-rank") == 0)
    *method = DL_QUANTILE_NEAREST_RANK;
  else
    return dl_fail(err, DL_EINVAL,
                   "unknown percentile method \"%s\" (expected linear or nearest-rank)",
                   name ? name : "");
  return DL_OK;
}

const char *
dl_quantile_method_name(dl_quantile_method method)
{
  return method == DL_QUANTILE_NEAREST_RANK ? "nearest-rank" : "linear";
}

void
dl_select_i64(int64_t *v, size_t n, size_t k)
{
  if (k < n)
    select_range_i64(v, n, k, depth_for_i64(n));
}

void
dl_select_f64(double *v, size_t n, size_t k)
{
  if (k < n)
    select_range_f64(v, n, k, depth_for_f64(n));
}

void
dl_select_many_i64(int64_t *v, size_t n, const size_t *ranks, size_t m)
{
  select_many_range_i64(v, 0, n, ranks, m, depth_for_i64(n));
}

void
dl_select_many_f64(double *v, size_t n, const size_t *ranks, size_t m)
{
  select_many_range_f64(v, 0, n, ranks, m, depth_for_f64(n));
}

static int
cmp_size(const void *a, const void *b)
{
  size_t x = *(const size_t *) a, y = *(const size_t *) b;
  return (x > y) - (x < y);
}

/* At most this many quantiles in one call use the stack; more are done in
   slices (each slice selects independently, which is still correct). */
#define MAX_Q 32

/* The ranks of QS (2 per quantile), sorted, into RANKS; returns how many. */
static size_t
collect_ranks(size_t n, const double *qs, size_t nq, dl_quantile_method method,
              dl_quantile_rank *rq, size_t *ranks)
{
  size_t m = 0;
  for (size_t i = 0; i < nq; i++) {
    dl_quantile_rank_of(n, qs[i], method, &rq[i]);
    ranks[m++] = rq[i].lo;
    if (rq[i].hi != rq[i].lo)
      ranks[m++] = rq[i].hi;
  }
  qsort(ranks, m, sizeof *ranks, cmp_size);
  return m;
}

/* x_lo + frac (x_hi - x_lo), in double; exact x_lo when frac is 0. */
static double
interpolate(double lo, double hi, double frac)
{
  return frac == 0 ? lo : lo + frac * (hi - lo);
}

void
dl_quantiles_i64(int64_t *v, size_t n, const double *qs, size_t nq,
                 dl_quantile_method method, double *out)
{
  for (size_t base = 0; base < nq; base += MAX_Q) {
    size_t cnt = nq - base < MAX_Q ? nq - base : MAX_Q;
    if (n == 0) {
      for (size_t i = 0; i < cnt; i++)
        out[base + i] = NAN;
      continue;
    }
    dl_quantile_rank rq[MAX_Q];
    size_t ranks[2 * MAX_Q];
    size_t m = collect_ranks(n, qs + base, cnt, method, rq, ranks);
    dl_select_many_i64(v, n, ranks, m);
    for (size_t i = 0; i < cnt; i++)
      out[base + i] = interpolate((double) v[rq[i].lo], (double) v[rq[i].hi], rq[i].frac);
  }
}

void
dl_quantiles_f64(double *v, size_t n, const double *qs, size_t nq,
                 dl_quantile_method method, double *out)
{
  for (size_t base = 0; base < nq; base += MAX_Q) {
    size_t cnt = nq - base < MAX_Q ? nq - base : MAX_Q;
    if (n == 0) {
      for (size_t i = 0; i < cnt; i++)
        out[base + i] = NAN;
      continue;
    }
    dl_quantile_rank rq[MAX_Q];
    size_t ranks[2 * MAX_Q];
    size_t m = collect_ranks(n, qs + base, cnt, method, rq, ranks);
    dl_select_many_f64(v, n, ranks, m);
    for (size_t i = 0; i < cnt; i++)
      out[base + i] = interpolate(v[rq[i].lo], v[rq[i].hi], rq[i].frac);
  }
}

double
dl_median_f64(double *v, size_t n)
{
  double q = 0.5, out;
  dl_quantiles_f64(v, n, &q, 1, DL_QUANTILE_LINEAR, &out);
  return out;
}
