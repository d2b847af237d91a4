/* The Mann-Whitney U test and the Hodges-Lehmann interval. */
#include "deploy-ledger/mann-whitney.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats/hodges-lehmann.h"
#include "stats/normal.h"
#include "stats/pairdiff.h"
#include "stats/rank-sum.h"
#include "stats/sort.h"
#include "stats/wilcoxon.h"

void
dl_mw_options_init(dl_mw_options *o)
{
  o->method = DL_MW_AUTO;
  o->continuity = 1;
  o->conf_int = 1;
  o->conf_level = 0.95;
}

static int
has_nan(const double *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (isnan(v[i]))
      return 1;
  return 0;
}

int
dl_mann_whitney_sorted(const double *x, size_t nx, const double *y, size_t ny,
                       const dl_mw_options *o, dl_mw_result *r, dl_error *err)
{
  dl_mw_options defaults;
  if (!o) {
    dl_mw_options_init(&defaults);
    o = &defaults;
  }
  if (nx == 0 || ny == 0)
    return dl_fail(err, DL_EINVAL, "Mann-Whitney test: the %s sample is empty",
                   nx == 0 ? "first" : "second");
  if (!(o->conf_level > 0 && o->conf_level < 1))
    return dl_fail(err, DL_EINVAL, "Mann-Whitney test: confidence level %g is not in (0, 1)",
                   o->conf_level);
  memset(r, 0, sizeof *r);
  r->n_x = nx;
  r->n_y = ny;
  r->conf_level = o->conf_level;
  dl_rank_sum(x, nx, 0, y, ny, &r->u, &r->ties);
  double mn = (double) nx * (double) ny, n = (double) (nx + ny);
  r->prob_greater = r->u / mn;
  r->sd = sqrt(mn / 12 * ((n + 1) - r->ties / (n * (n - 1))));

  int exact = o->method == DL_MW_EXACT || (o->method == DL_MW_AUTO && nx < 50 && ny < 50 && r->ties == 0);
  dl_wilcoxon_dist *dist = exact ? dl_wilcoxon_dist_new(nx, ny) : NULL;
  if (exact && !dist)
    exact = 0; /* too large for the table: the approximation is excellent there */
  r->exact = exact;
  if (exact) {
    /* R: the tail on the side of U, doubled.  U is an integer here. */
    long u = lround(r->u);
    double p = r->u > mn / 2 ? dl_wilcoxon_sf(dist, u) : dl_wilcoxon_cdf(dist, u);
    r->p_value = fmin(1, 2 * p);
  } else if (r->sd == 0) {
    /* Every value is the same: no evidence of any difference. */
    r->p_value = 1;
  } else {
    double d = r->u - mn / 2;
    double corr = o->continuity ? (d > 0 ? 0.5 : d < 0 ? -0.5 : 0) : 0;
    r->z = (d - corr) / r->sd;
    r->p_value = fmin(1, 2 * dl_normal_sf(fabs(r->z)));
  }

  r->estimate = r->ci_low = r->ci_high = NAN;
  r->achieved_level = o->conf_level;
  if (o->conf_int && exact) {
    /* R: the median of the m n differences and their order statistics
       qwilcox(alpha/2) and m n - that + 1. */
    uint64_t total = (uint64_t) nx * ny;
    r->estimate = dl_pairdiff_median(x, nx, y, ny);
    long qu = dl_wilcoxon_quantile(dist, (1 - o->conf_level) / 2);
    if (qu == 0)
      qu = 1;
    uint64_t lo_k = (uint64_t) qu, hi_k = total - (uint64_t) qu + 1;
    if (hi_k < lo_k) {
      uint64_t t = lo_k;
      lo_k = hi_k;
      hi_k = t;
    }
    r->achieved_level = 1 - 2 * dl_wilcoxon_cdf(dist, qu - 1);
    r->ci_low = dl_pairdiff_kth(x, nx, y, ny, lo_k);
    r->ci_high = dl_pairdiff_kth(x, nx, y, ny, hi_k);
  } else if (o->conf_int) {
    dl_hodges_lehmann_normal(x, nx, y, ny, o->conf_level, o->continuity, &r->estimate,
                             &r->ci_low, &r->ci_high);
  }
  dl_wilcoxon_dist_free(dist);
  return DL_OK;
}

int
dl_mann_whitney(const double *x, size_t nx, const double *y, size_t ny,
                const dl_mw_options *o, dl_mw_result *r, dl_error *err)
{
  if (has_nan(x, nx) || has_nan(y, ny))
    return dl_fail(err, DL_EINVAL, "Mann-Whitney test: the %s sample contains NaN",
                   has_nan(x, nx) ? "first" : "second");
  if (nx == 0 || ny == 0)
    return dl_fail(err, DL_EINVAL, "Mann-Whitney test: the %s sample is empty",
                   nx == 0 ? "first" : "second");
  double *sx = malloc(nx * sizeof *sx), *sy = malloc(ny * sizeof *sy);
  if (!sx || !sy) {
    free(sx);
    free(sy);
    return dl_fail(err, DL_ENOMEM, "Mann-Whitney test: out of memory for %zu values",
                   nx + ny);
  }
  memcpy(sx, x, nx * sizeof *sx);
  memcpy(sy, y, ny * sizeof *sy);
  dl_sort_f64(sx, nx);
  dl_sort_f64(sy, ny);
  int rc = dl_mann_whitney_sorted(sx, nx, sy, ny, o, r, err);
  free(sx);
  free(sy);
  return rc;
}
