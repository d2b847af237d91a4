/* Trace sets for correlation: those of (deploy-ledger traces), loaded
   from files, Jaeger or Tempo, filtered, or built here from Scheme span
   lists.  Provides dl_guile_trace_set, the one place the correlation
   primitives get at a C trace set. */
#include "dl-guile.h"

#include <stdlib.h>
#include <string.h>

const dl_trace_set *
dl_guile_trace_set(SCM obj, int pos, const char *who, const dl_selection **rows)
{
  const dl_trace_set *set = dl_guile_traces_ref(obj, rows);
  if (!set)
    scm_wrong_type_arg_msg(who, pos, obj, "live trace set");
  return set;
}

static SCM
field(SCM span, const char *key)
{
  SCM pair = scm_assq(scm_from_utf8_symbol(key), span);
  return scm_is_pair(pair) ? scm_cdr(pair) : SCM_BOOL_F;
}

static dl_str
text(SCM span, const char *key, const char *who)
{
  SCM v = field(span, key);
  dl_str s = {NULL, 0};
  if (scm_is_false(v))
    return s;
  s.ptr = dl_guile_string(v, SCM_ARGn, who);
  s.len = strlen(s.ptr);
  return s;
}

static const char *const kinds[] = {"unspecified", "internal", "server", "client", "producer",
                                    "consumer"};

SCM_DEFINE(dl_scm_spans_to_trace_set, "%spans->trace-set", 1, 0, 0, (SCM spans),
           "A trace set from a list of span alists (service, operation, version, region, "
           "kind, start, duration, error, error-type).")
#define FUNC_NAME s_dl_scm_spans_to_trace_set
{
  if (scm_ilength(spans) < 0)
    scm_wrong_type_arg_msg(FUNC_NAME, SCM_ARG1, spans, "list of spans");
  dl_trace_set *set = dl_trace_set_new();
  if (!set)
    dl_guile_raise_code(FUNC_NAME, DL_ENOMEM, "out of memory");
  SCM obj = dl_guile_traces_wrap(set); /* frees SET if an error follows */
  uint64_t n = 0;
  for (SCM l = spans; scm_is_pair(l); l = scm_cdr(l)) {
    SCM s = scm_car(l);
    scm_dynwind_begin(0);
    dl_span_row row;
    memset(&row, 0, sizeof row);
    n++;
    memcpy(row.trace_id, &n, sizeof n);
    memcpy(row.span_id, &n, sizeof n);
    row.start = dl_guile_to_ns(field(s, "start"), SCM_ARG1, FUNC_NAME);
    row.duration = dl_guile_to_ns(field(s, "duration"), SCM_ARG1, FUNC_NAME);
    SCM kind = field(s, "kind");
    row.kind = DL_KIND_SERVER;
    if (scm_is_symbol(kind)) {
      char *k = dl_guile_string(scm_symbol_to_string(kind), SCM_ARG1, FUNC_NAME);
      size_t i = 0;
      while (i < 6 && strcmp(k, kinds[i]) != 0)
        i++;
      if (i == 6)
        scm_wrong_type_arg_msg(FUNC_NAME, SCM_ARG1, kind, "span kind");
      row.kind = (uint8_t) i;
    }
    row.error = scm_is_true(field(s, "error")) ? DL_ROW_ERROR : 0;
    row.service = text(s, "service", FUNC_NAME);
    row.operation = text(s, "operation", FUNC_NAME);
    row.version = text(s, "version", FUNC_NAME);
    row.region = text(s, "region", FUNC_NAME);
    row.environment = text(s, "environment", FUNC_NAME);
    row.error_type = text(s, "error-type", FUNC_NAME);
    dl_error err;
    if (dl_trace_set_append(set, &row, &err))
      dl_guile_raise(FUNC_NAME, &err);
    scm_dynwind_end();
  }
  scm_remember_upto_here_1(obj);
  return obj;
}
#undef FUNC_NAME

void
dl_guile_init_correlate_traces(void)
{
#ifndef SCM_MAGIC_SNARFER
#include "correlate-traces.x"
#endif
}
