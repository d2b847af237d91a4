/* Primitives for correlation: the whole correlation of a deployment,
   metrics per window and group, deployment windows, and the statistics
   (Mann-Whitney, two proportions, quantiles).  Results come back in the
   shape of their JSON (dl-correlation-json.h): objects as alists with
   symbol keys, arrays as vectors, null as #f.  (deploy-ledger
   correlation) wraps these in documented procedures. */
#include "dl-guile.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "deploy-ledger/correlate.h"
#include "deploy-ledger/correlation-json.h"
#include "deploy-ledger/mann-whitney.h"
#include "deploy-ledger/proportion.h"
#include "deploy-ledger/quantile.h"

/* ---- JSON values to Scheme ---- */

static SCM
from_json(json_t *j)
{
  switch (json_typeof(j)) {
  case JSON_OBJECT: {
    SCM out = SCM_EOL;
    const char *key;
    json_t *value;
    json_object_foreach(j, key, value) {
      out = scm_cons(scm_cons(scm_from_utf8_symbol(key), from_json(value)), out);
    }
    return scm_reverse_x(out, SCM_EOL);
  }
  case JSON_ARRAY: {
    size_t n = json_array_size(j);
    SCM v = scm_c_make_vector(n, SCM_BOOL_F);
    for (size_t i = 0; i < n; i++)
      scm_c_vector_set_x(v, i, from_json(json_array_get(j, i)));
    return v;
  }
  case JSON_STRING: return scm_from_utf8_stringn(json_string_value(j), json_string_length(j));
  case JSON_INTEGER: return scm_from_int64(json_integer_value(j));
  case JSON_REAL: return scm_from_double(json_real_value(j));
  case JSON_TRUE: return SCM_BOOL_T;
  default: return SCM_BOOL_F;
  }
}

static void
release_json(void *j)
{
  json_decref(j);
}

/* Converts J (a new reference, released here even when the conversion
   raises) or raises when NULL. */
static SCM
take_json(json_t *j, const char *who)
{
  if (!j)
    dl_guile_raise_code(who, DL_ENOMEM, "out of memory building the result");
  scm_dynwind_begin(0);
  scm_dynwind_unwind_handler(release_json, j, SCM_F_WIND_EXPLICITLY);
  SCM out = from_json(j);
  scm_dynwind_end();
  return out;
}

/* ---- reading alists ---- */

static SCM
ref(SCM alist, const char *key)
{
  SCM pair = scm_assq(scm_from_utf8_symbol(key), alist);
  return scm_is_pair(pair) ? scm_cdr(pair) : SCM_BOOL_F;
}

static const char *
opt_string(SCM alist, const char *key, const char *who)
{
  SCM v = ref(alist, key);
  if (scm_is_false(v))
    return NULL;
  if (scm_is_symbol(v))
    v = scm_symbol_to_string(v);
  return dl_guile_string(v, SCM_ARGn, who);
}

static int64_t
opt_ns(SCM alist, const char *key, const char *who)
{
  SCM v = ref(alist, key);
  return scm_is_false(v) ? 0 : dl_guile_to_ns(v, SCM_ARGn, who);
}

static double
opt_double(SCM alist, const char *key, double dflt, const char *who)
{
  SCM v = ref(alist, key);
  if (scm_is_false(v))
    return dflt;
  if (!scm_is_real(v))
    scm_wrong_type_arg_msg(who, SCM_ARGn, v, "real number");
  return scm_to_double(v);
}

static long
opt_long(SCM alist, const char *key, long dflt, long lo, long hi, const char *who)
{
  SCM v = ref(alist, key);
  if (scm_is_false(v))
    return dflt;
  if (!scm_is_signed_integer(v, lo, hi))
    scm_wrong_type_arg_msg(who, SCM_ARGn, v, "integer in range");
  return scm_to_long(v);
}

static dl_group_spec *
group_of(SCM text, const char *who)
{
  dl_group_spec *g = scm_gc_malloc(sizeof *g, "group spec");
  dl_group_spec_init(g);
  scm_dynwind_unwind_handler((void (*)(void *)) dl_group_spec_clear, g, SCM_F_WIND_EXPLICITLY);
  if (scm_is_false(text))
    return g;
  dl_error err;
  dl_guile_check(dl_group_spec_parse(dl_guile_string(text, SCM_ARGn, who), g, &err), &err, who);
  return g;
}

/* Windows: a list of (name start . end). */
static dl_window *
windows_of(SCM list, size_t *n, const char *who)
{
  size_t len = dl_guile_list_length(list, "list of windows", who);
  dl_window *w = scm_gc_malloc((len + 1) * sizeof *w, "windows");
  size_t i = 0;
  for (SCM l = list; scm_is_pair(l); l = scm_cdr(l), i++) {
    SCM x = scm_car(l);
    if (!scm_is_pair(x) || !scm_is_pair(scm_cdr(x)))
      scm_wrong_type_arg_msg(who, SCM_ARGn, x, "window (name start . end)");
    w[i].name = scm_is_false(scm_car(x)) ? NULL : dl_guile_string(scm_car(x), SCM_ARGn, who);
    w[i].start = dl_guile_to_ns(scm_cadr(x), SCM_ARGn, who);
    w[i].end = dl_guile_to_ns(scm_cddr(x), SCM_ARGn, who);
    w[i].seconds = 0;
  }
  *n = len;
  return w;
}

/* The request filter and engine settings shared by every call. */
static void
common_options(SCM a, dl_correlate_options *o, const char *who)
{
  dl_error err;
  o->service = opt_string(a, "service", who);
  o->kind = (int) opt_long(a, "kind", DL_KIND_SERVER, -1, 255, who);
  o->operation = opt_string(a, "operation", who);
  o->attr_key = opt_string(a, "attribute-key", who);
  o->attr_value = opt_string(a, "attribute-value", who);
  o->threads = (int) opt_long(a, "threads", 0, 0, 64, who);
  const char *method = opt_string(a, "percentiles", who);
  if (method)
    dl_guile_check(dl_quantile_method_parse(method, &o->method, &err), &err, who);
  o->now = opt_ns(a, "now", who);
  o->window = opt_ns(a, "window", who);
}

static void
judge_of(SCM a, dl_judge_config *c, const char *who)
{
  dl_error err;
  SCM metrics = ref(a, "metrics");
  if (scm_is_false(metrics)) {
    dl_judge_config_init(c);
  } else {
    dl_judge_config_empty(c);
    for (SCM l = metrics; scm_is_pair(l); l = scm_cdr(l)) {
      SCM m = scm_car(l);
      dl_metric_kind kind;
      dl_guile_check(dl_metric_kind_parse(opt_string(m, "figure", who), &kind, &err), &err, who);
      dl_judge_metric *jm = dl_judge_config_add(c, kind, opt_string(m, "name", who),
                                                opt_string(m, "group", who));
      if (!jm)
        dl_guile_raise_code(who, DL_EINVAL, "too many judged metrics (at most 16)");
      const char *dir = opt_string(m, "direction", who);
      if (dir)
        dl_guile_check(dl_direction_parse(dir, &jm->direction, &err), &err, who);
      jm->tolerance = opt_double(m, "tolerance", jm->tolerance, who);
      jm->allowed_increase = opt_double(m, "allowed-increase", jm->allowed_increase, who);
      jm->allowed_decrease = opt_double(m, "allowed-decrease", jm->allowed_decrease, who);
      jm->critical = scm_is_true(ref(m, "critical"));
      jm->must_have_data = scm_is_true(ref(m, "must-have-data"));
    }
  }
  c->pass_threshold = opt_double(a, "pass-threshold", c->pass_threshold, who);
  c->marginal_threshold = opt_double(a, "marginal-threshold", c->marginal_threshold, who);
  c->conf_level = opt_double(a, "conf-level", c->conf_level, who);
  for (SCM l = ref(a, "weights"); scm_is_pair(l); l = scm_cdr(l)) {
    SCM w = scm_car(l);
    if (!scm_is_pair(w))
      scm_wrong_type_arg_msg(who, SCM_ARGn, w, "(group . weight)");
    SCM key = scm_is_symbol(scm_car(w)) ? scm_symbol_to_string(scm_car(w)) : scm_car(w);
    if (!scm_is_real(scm_cdr(w)))
      scm_wrong_type_arg_msg(who, SCM_ARGn, w, "(group . weight)");
    dl_guile_check(dl_judge_config_weight(c, dl_guile_string(key, SCM_ARGn, who), scm_to_double(scm_cdr(w)),
                                 &err),
          &err, who);
  }
  dl_guile_check(dl_judge_config_check(c, &err), &err, who);
}

/* A figure of the judge's configuration: whole numbers (the thresholds,
   95 and 75) exact, as Scheme users write them; the others inexact. */
static SCM
judge_number(double x)
{
  if (x == floor(x) && fabs(x) < 9007199254740992.0) /* 2^53: exact in a double */
    return scm_from_int64((int64_t) x);
  return scm_from_double(x);
}

static SCM
judge_metric_to_scm(const dl_judge_metric *m)
{
  return scm_list_n(scm_cons(SYM("figure"), SYM(dl_metric_kind_name(m->kind))),
                    scm_cons(SYM("name"), scm_from_utf8_string(m->name)),
                    scm_cons(SYM("group"), scm_from_utf8_string(m->group)),
                    scm_cons(SYM("direction"), SYM(dl_direction_name(m->direction))),
                    scm_cons(SYM("tolerance"), judge_number(m->tolerance)),
                    scm_cons(SYM("allowed-increase"), judge_number(m->allowed_increase)),
                    scm_cons(SYM("allowed-decrease"), judge_number(m->allowed_decrease)),
                    scm_cons(SYM("critical"), scm_from_bool(m->critical)),
                    scm_cons(SYM("must-have-data"), scm_from_bool(m->must_have_data)),
                    SCM_UNDEFINED);
}

static SCM
judge_config_to_scm(const dl_judge_config *c)
{
  SCM metrics = SCM_EOL, weights = SCM_EOL;
  for (size_t i = c->n_metrics; i-- > 0;)
    metrics = scm_cons(judge_metric_to_scm(&c->metrics[i]), metrics);
  for (size_t i = c->n_group_weights; i-- > 0;)
    weights = scm_cons(scm_cons(scm_from_utf8_string(c->group_names[i]),
                                judge_number(c->group_weights[i])),
                       weights);
  return scm_list_5(scm_cons(SYM("metrics"), metrics),
                    scm_cons(SYM("pass-threshold"), judge_number(c->pass_threshold)),
                    scm_cons(SYM("marginal-threshold"), judge_number(c->marginal_threshold)),
                    scm_cons(SYM("conf-level"), judge_number(c->conf_level)),
                    scm_cons(SYM("weights"), weights));
}

SCM_DEFINE(dl_scm_judge_config, "%judge-config", 1, 1, 0, (SCM alist, SCM who),
           "The judge configuration ALIST (the shape of judge-config->alist) as the C "
           "library reads it: missing fields take its defaults (no metrics at all: its "
           "default metrics), and it is checked; errors name WHO (a symbol).  Returned "
           "in the same shape.")
#define FUNC_NAME s_dl_scm_judge_config
{
  scm_dynwind_begin(0);
  const char *blame = dl_guile_who(who, FUNC_NAME);
  dl_judge_config *c = scm_gc_malloc_pointerless(sizeof *c, "judge config");
  judge_of(alist, c, blame);
  SCM out = judge_config_to_scm(c);
  scm_dynwind_end();
  return out;
}
#undef FUNC_NAME

void
dl_guile_correlate_options(SCM opts, dl_correlate_options *o, const char *who)
{
  common_options(opts, o, who);
  o->group = group_of(ref(opts, "group-by"), who);
  o->extra_windows = windows_of(ref(opts, "windows"), &o->n_extra_windows, who);
  dl_error err;
  const char *mode = opt_string(opts, "compare", who);
  if (mode)
    dl_guile_check(dl_compare_mode_parse(mode, &o->mode, &err), &err, who);
  o->control_version = opt_string(opts, "control-version", who);
  SCM judge = ref(opts, "judge");
  if (scm_is_eq(judge, scm_from_utf8_symbol("none")))
    o->judge_enabled = 0;
  else if (!scm_is_false(judge))
    judge_of(judge, &o->judge, who);
  o->bucket = opt_ns(opts, "bucket", who);
  o->propagation_bucket = opt_ns(opts, "propagation-bucket", who);
  o->top_operations = (size_t) opt_long(opts, "top-operations", 5, 0, 1000000, who);
  o->min_requests = (uint64_t) opt_long(opts, "min-requests", (long) o->min_requests, 0, LONG_MAX,
                                        who);
  if (scm_is_true(ref(opts, "max-window")))
    o->max_window = opt_ns(opts, "max-window", who);
}

SCM
dl_guile_json_result(json_t *j, const char *who)
{
  char *text = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
  if (!text) {
    json_decref(j);
    dl_guile_raise_code(who, DL_ENOMEM, "out of memory building the result");
  }
  scm_dynwind_begin(0);
  scm_dynwind_free(text);
  SCM out = take_json(j, who);
  out = scm_cons(out, scm_from_utf8_string(text));
  scm_dynwind_end();
  return out;
}

SCM_DEFINE(dl_scm_correlate, "%correlate", 3, 0, 0, (SCM traces, SCM deployment, SCM opts),
           "Correlate DEPLOYMENT (an alist) with the trace set TRACES; OPTS is an "
           "alist.  Returns a pair: the correlation in the shape of its JSON, and "
           "the JSON text itself.")
#define FUNC_NAME s_dl_scm_correlate
{
  scm_dynwind_begin(0);
  const dl_selection *rows;
  const dl_trace_set *set = dl_guile_trace_set(traces, SCM_ARG1, FUNC_NAME, &rows);
  dl_deployment *d = dl_guile_deployment_from_alist(deployment, FUNC_NAME);
  dl_correlate_options o;
  dl_correlate_options_init(&o);
  o.rows = rows;
  dl_guile_correlate_options(opts, &o, FUNC_NAME);
  dl_error err;
  dl_correlation *c;
  dl_guile_check(dl_correlate(set, d, &o, &c, &err), &err, FUNC_NAME);
  json_t *j = dl_correlation_json(c);
  dl_correlation_free(c);
  SCM out = dl_guile_json_result(j, FUNC_NAME);
  scm_dynwind_end();
  return out;
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_trace_metrics, "%trace-metrics", 3, 0, 0, (SCM traces, SCM windows, SCM opts),
           "Metrics of TRACES per window of WINDOWS (a list of (name start . end)) and "
           "group; OPTS is an alist (group-by, service, kind, operation, ...).")
#define FUNC_NAME s_dl_scm_trace_metrics
{
  scm_dynwind_begin(0);
  const dl_selection *rows;
  const dl_trace_set *set = dl_guile_trace_set(traces, SCM_ARG1, FUNC_NAME, &rows);
  dl_correlate_options o;
  dl_correlate_options_init(&o);
  common_options(opts, &o, FUNC_NAME);
  size_t nw;
  dl_window *w = windows_of(windows, &nw, FUNC_NAME);
  dl_filter f;
  dl_filter_init(&f);
  f.service = o.service;
  f.kind = o.kind;
  f.operation = o.operation;
  f.attr_key = o.attr_key;
  f.attr_value = o.attr_value;
  dl_metrics_options mo;
  dl_metrics_options_init(&mo);
  mo.windows = w;
  mo.n_windows = nw;
  mo.group = group_of(ref(opts, "group-by"), FUNC_NAME);
  mo.filter = &f;
  mo.rows = rows;
  mo.method = o.method;
  mo.threads = o.threads;
  dl_metrics *m;
  dl_error err;
  dl_guile_check(dl_metrics_compute(set, &mo, &m, &err), &err, FUNC_NAME);
  json_t *j = dl_metrics_json(m);
  dl_metrics_free(m);
  SCM out = take_json(j, FUNC_NAME);
  scm_dynwind_end();
  return out;
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_deployment_windows, "%deployment-windows", 6, 0, 0,
           (SCM id, SCM started, SCM completed, SCM now, SCM width, SCM max_window),
           "The baseline, during and after windows, as a list of (name start . end). "
           "MAX-WINDOW: #f for no limit on a running deployment, #t for the default "
           "one, or nanoseconds.")
#define FUNC_NAME s_dl_scm_deployment_windows
{
  dl_window w[3];
  dl_error err;
  int64_t s = dl_guile_to_ns(started, SCM_ARG2, FUNC_NAME);
  int64_t c = scm_is_false(completed) ? DL_TIME_NONE : dl_guile_to_ns(completed, SCM_ARG3, FUNC_NAME);
  int64_t n = dl_guile_to_ns(now, SCM_ARG4, FUNC_NAME);
  int64_t wd = scm_is_false(width) ? 0 : dl_guile_to_ns(width, SCM_ARG5, FUNC_NAME);
  if (scm_is_true(max_window)) {
    int64_t max = scm_is_eq(max_window, SCM_BOOL_T) ? DL_CORRELATE_MAX_WINDOW
                                                    : dl_guile_to_ns(max_window, SCM_ARG6, FUNC_NAME);
    scm_dynwind_begin(0);
    char *name = scm_is_string(id) ? scm_to_utf8_string(id) : NULL;
    scm_dynwind_free(name);
    dl_guile_check(dl_correlate_check_running(name, s, c, n, max, &err), &err, FUNC_NAME);
    scm_dynwind_end();
  }
  dl_guile_check(dl_deployment_windows(s, c, n, wd, w, &err), &err, FUNC_NAME);
  SCM out = SCM_EOL;
  for (int i = 2; i >= 0; i--)
    out = scm_cons(scm_cons(scm_from_utf8_symbol(w[i].name),
                            scm_cons(scm_from_int64(w[i].start), scm_from_int64(w[i].end))),
                   out);
  return out;
}
#undef FUNC_NAME

void
dl_guile_init_correlation(void)
{
#ifndef SCM_MAGIC_SNARFER
#include "correlation-func.x"
#endif
}
