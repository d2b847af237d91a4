/* Statistics on Scheme lists and vectors: Mann-Whitney with
   Hodges-Lehmann, two proportions, quantiles. */
#include "dl-guile.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "deploy-ledger/mann-whitney.h"
#include "deploy-ledger/proportion.h"
#include "deploy-ledger/quantile.h"

/* A C array of the reals in SEQ (a list or vector), freed with the dynwind. */
static double *
doubles_of(SCM seq, size_t *n, int pos, const char *who)
{
  if (scm_is_vector(seq))
    seq = scm_vector_to_list(seq);
  long len = scm_ilength(seq);
  if (len < 0)
    scm_wrong_type_arg_msg(who, pos, seq, "list or vector of reals");
  double *v = malloc(((size_t) len + 1) * sizeof *v);
  if (!v)
    dl_guile_raise_code(who, DL_ENOMEM, "out of memory");
  scm_dynwind_free(v);
  size_t i = 0;
  for (SCM l = seq; scm_is_pair(l); l = scm_cdr(l)) {
    if (!scm_is_real(scm_car(l)))
      scm_wrong_type_arg_msg(who, pos, scm_car(l), "real number");
    v[i++] = scm_to_double(scm_car(l));
  }
  *n = i;
  return v;
}

static SCM
sym_pair(const char *k, SCM v)
{
  return scm_cons(scm_from_utf8_symbol(k), v);
}

static SCM
real_or_false(double x)
{
  return isfinite(x) ? scm_from_double(x) : SCM_BOOL_F;
}

SCM_DEFINE(dl_scm_mann_whitney, "%mann-whitney", 4, 0, 0, (SCM x, SCM y, SCM conf, SCM method),
           "The Mann-Whitney test of X against Y with the Hodges-Lehmann interval.")
#define FUNC_NAME s_dl_scm_mann_whitney
{
  scm_dynwind_begin(0);
  size_t nx, ny;
  double *vx = doubles_of(x, &nx, SCM_ARG1, FUNC_NAME), *vy = doubles_of(y, &ny, SCM_ARG2, FUNC_NAME);
  dl_mw_options o;
  dl_mw_options_init(&o);
  o.conf_level = scm_to_double(conf);
  const char *m = scm_is_symbol(method) ? dl_guile_string(scm_symbol_to_string(method), SCM_ARG4, FUNC_NAME) : "auto";
  o.method = strcmp(m, "exact") == 0 ? DL_MW_EXACT : strcmp(m, "normal") == 0 ? DL_MW_NORMAL : DL_MW_AUTO;
  dl_mw_result r;
  dl_error err;
  dl_guile_check(dl_mann_whitney(vx, nx, vy, ny, &o, &r, &err), &err, FUNC_NAME);
  SCM out = scm_list_n(sym_pair("u", scm_from_double(r.u)),
                       sym_pair("p-value", scm_from_double(r.p_value)),
                       sym_pair("method", scm_from_utf8_symbol(r.exact ? "exact" : "normal")),
                       sym_pair("z", scm_from_double(r.z)),
                       sym_pair("estimate", real_or_false(r.estimate)),
                       sym_pair("ci-low", real_or_false(r.ci_low)),
                       sym_pair("ci-high", real_or_false(r.ci_high)),
                       sym_pair("conf-level", scm_from_double(r.conf_level)),
                       sym_pair("achieved-level", scm_from_double(r.achieved_level)),
                       sym_pair("prob-greater", scm_from_double(r.prob_greater)), SCM_UNDEFINED);
  scm_dynwind_end();
  return out;
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_two_proportion, "%two-proportion", 5, 0, 0,
           (SCM x1, SCM n1, SCM x2, SCM n2, SCM conf),
           "Compare X1/N1 with X2/N2: z test and Newcombe's interval.")
#define FUNC_NAME s_dl_scm_two_proportion
{
  dl_prop_result r;
  dl_error err;
  dl_guile_check(dl_two_proportion(scm_to_uint64(x1), scm_to_uint64(n1), scm_to_uint64(x2),
                          scm_to_uint64(n2), scm_to_double(conf), &r, &err),
        &err, FUNC_NAME);
  return scm_list_n(sym_pair("difference", scm_from_double(r.diff)),
                    sym_pair("ratio", real_or_false(r.ratio)),
                    sym_pair("z", scm_from_double(r.z)),
                    sym_pair("p-value", scm_from_double(r.p_value)),
                    sym_pair("ci-low", scm_from_double(r.ci_low)),
                    sym_pair("ci-high", scm_from_double(r.ci_high)),
                    sym_pair("conf-level", scm_from_double(r.conf_level)), SCM_UNDEFINED);
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_quantiles, "%quantiles", 3, 0, 0, (SCM values, SCM qs, SCM method),
           "The quantiles QS of VALUES by selection (linear or nearest-rank).")
#define FUNC_NAME s_dl_scm_quantiles
{
  scm_dynwind_begin(0);
  size_t n, nq;
  double *v = doubles_of(values, &n, SCM_ARG1, FUNC_NAME);
  double *q = doubles_of(qs, &nq, SCM_ARG2, FUNC_NAME);
  for (size_t i = 0; i < n; i++)
    if (isnan(v[i]))
      dl_guile_raise_code(FUNC_NAME, DL_EINVAL, "quantiles of values containing NaN");
  for (size_t i = 0; i < nq; i++)
    if (!(q[i] >= 0 && q[i] <= 1))
      dl_guile_raise_code(FUNC_NAME, DL_EINVAL, "a quantile must be between 0 and 1");
  dl_quantile_method m = DL_QUANTILE_LINEAR;
  dl_error err;
  if (scm_is_symbol(method))
    dl_guile_check(dl_quantile_method_parse(dl_guile_string(scm_symbol_to_string(method), SCM_ARG3, FUNC_NAME), &m, &err), &err, FUNC_NAME);
  double *out = malloc((nq + 1) * sizeof *out);
  if (!out)
    dl_guile_raise_code(FUNC_NAME, DL_ENOMEM, "out of memory");
  scm_dynwind_free(out);
  dl_quantiles_f64(v, n, q, nq, m, out);
  SCM res = SCM_EOL;
  for (size_t i = nq; i-- > 0;)
    res = scm_cons(real_or_false(out[i]), res);
  scm_dynwind_end();
  return res;
}
#undef FUNC_NAME

void
dl_guile_init_stats(void)
{
#ifndef SCM_MAGIC_SNARFER
#include "stats-func.x"
#endif
}
