/* Two-proportion z test and Newcombe's interval. */
#include "deploy-ledger/proportion.h"

#include <math.h>
#include <string.h>

#include "stats/normal.h"

void
dl_wilson_interval(uint64_t x, uint64_t n, double conf_level, double *low, double *high)
{
  double z = dl_normal_quantile(1 - (1 - conf_level) / 2);
  double nn = (double) n, p = (double) x / nn, z2 = z * z;
  double centre = p + z2 / (2 * nn);
  double half = z * sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn));
  double den = 1 + z2 / nn;
  *low = (centre - half) / den;
  *high = (centre + half) / den;
  /* Exact ends where rounding would leave a hair outside [0, 1]. */
  if (x == 0 || *low < 0)
    *low = 0;
  if (x == n || *high > 1)
    *high = 1;
}

int
dl_two_proportion(uint64_t x1, uint64_t n1, uint64_t x2, uint64_t n2, double conf_level,
                  dl_prop_result *r, dl_error *err)
{
  if (n1 == 0 || n2 == 0)
    return dl_fail(err, DL_EINVAL, "two-proportion test: the %s sample is empty",
                   n1 == 0 ? "first" : "second");
  if (x1 > n1 || x2 > n2)
    return dl_fail(err, DL_EINVAL, "two-proportion test: %llu successes out of %llu",
                   (unsigned long long) (x1 > n1 ? x1 : x2),
                   (unsigned long long) (x1 > n1 ? n1 : n2));
  if (!(conf_level > 0 && conf_level < 1))
    return dl_fail(err, DL_EINVAL, "two-proportion test: confidence level %g is not in (0, 1)",
                   conf_level);
  memset(r, 0, sizeof *r);
  r->x1 = x1;
  r->n1 = n1;
  r->x2 = x2;
  r->n2 = n2;
  r->conf_level = conf_level;
  r->p1 = (double) x1 / (double) n1;
  r->p2 = (double) x2 / (double) n2;
  r->diff = r->p1 - r->p2;
  r->ratio = r->p2 > 0 ? r->p1 / r->p2 : (r->p1 > 0 ? INFINITY : 1);
  r->pooled = (double) (x1 + x2) / (double) (n1 + n2);
  double se = sqrt(r->pooled * (1 - r->pooled) * (1 / (double) n1 + 1 / (double) n2));
  if (se > 0) {
    r->z = r->diff / se;
    r->p_value = fmin(1, 2 * dl_normal_sf(fabs(r->z)));
  } else {
    r->z = 0;
    r->p_value = 1;
  }
  double l1, u1, l2, u2;
  dl_wilson_interval(x1, n1, conf_level, &l1, &u1);
  dl_wilson_interval(x2, n2, conf_level, &l2, &u2);
  r->ci_low = r->diff - sqrt((r->p1 - l1) * (r->p1 - l1) + (u2 - r->p2) * (u2 - r->p2));
  r->ci_high = r->diff + sqrt((u1 - r->p1) * (u1 - r->p1) + (r->p2 - l2) * (r->p2 - l2));
  return DL_OK;
}
