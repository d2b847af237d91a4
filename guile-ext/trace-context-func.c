/* Primitives for W3C Trace Context.  A context crosses into Scheme as a
   list (trace-id span-id flags tracestate) of hex strings, an integer and
   a string; (deploy-ledger integrations tracing) makes it a record. */
#include "dl-guile.h"

#include <limits.h>
#include <string.h>

static SCM
context_to_scm(const dl_trace_context *ctx)
{
  char trace[2 * DL_TRACE_ID_SIZE + 1], span[2 * DL_SPAN_ID_SIZE + 1];
  return scm_list_4(scm_from_latin1_string(dl_hex_encode(ctx->trace_id, DL_TRACE_ID_SIZE, trace)),
                    scm_from_latin1_string(dl_hex_encode(ctx->span_id, DL_SPAN_ID_SIZE, span)),
                    scm_from_uint8(ctx->flags), scm_from_utf8_string(ctx->tracestate));
}

/* Builds a context from its four parts, checked by
   dl_trace_context_from_parts; must run inside a dynwind. */
static void
context_from_scm(SCM trace_id, SCM span_id, SCM flags, SCM tracestate,
                 dl_trace_context *ctx, const char *who)
{
  char *t = dl_guile_string(trace_id, SCM_ARG1, who);
  char *s = dl_guile_string(span_id, SCM_ARG2, who);
  if (!scm_is_signed_integer(flags, INT_MIN, INT_MAX))
    scm_wrong_type_arg_msg(who, SCM_ARG3, flags, "trace flags (an integer 0 to 255)");
  char *st = dl_guile_string_or_null(tracestate, SCM_ARG4, who);
  dl_error err;
  if (dl_trace_context_from_parts(t, s, scm_to_int(flags), st, ctx, &err))
    dl_guile_raise(who, &err);
}

SCM_DEFINE(dl_scm_trace_context_new_root, "%trace-context-new-root", 0, 0, 0, (void),
           "A new root context: random ids, sampled and random flags.")
#define FUNC_NAME s_dl_scm_trace_context_new_root
{
  dl_trace_context ctx;
  dl_error err;
  if (dl_trace_context_new_root(&ctx, &err))
    dl_guile_raise(FUNC_NAME, &err);
  return context_to_scm(&ctx);
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_trace_context_child, "%trace-context-child", 4, 0, 0,
           (SCM trace_id, SCM span_id, SCM flags, SCM tracestate),
           "A child of the given context: same trace and flags, fresh span id.")
#define FUNC_NAME s_dl_scm_trace_context_child
{
  scm_dynwind_begin(0);
  dl_trace_context parent, child;
  dl_error err;
  context_from_scm(trace_id, span_id, flags, tracestate, &parent, FUNC_NAME);
  if (dl_trace_context_child(&parent, &child, &err))
    dl_guile_raise(FUNC_NAME, &err);
  scm_dynwind_end();
  return context_to_scm(&child);
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_trace_context_check, "%trace-context-check", 4, 0, 0,
           (SCM trace_id, SCM span_id, SCM flags, SCM tracestate),
           "Validate the parts of a context; return them normalised.")
#define FUNC_NAME s_dl_scm_trace_context_check
{
  scm_dynwind_begin(0);
  dl_trace_context ctx;
  context_from_scm(trace_id, span_id, flags, tracestate, &ctx, FUNC_NAME);
  scm_dynwind_end();
  return context_to_scm(&ctx);
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_traceparent_format, "%traceparent-format", 3, 0, 0,
           (SCM trace_id, SCM span_id, SCM flags),
           "The version-00 traceparent of the context of these parts (checked).")
#define FUNC_NAME s_dl_scm_traceparent_format
{
  scm_dynwind_begin(0);
  dl_trace_context ctx;
  char buf[DL_TRACEPARENT_SIZE];
  context_from_scm(trace_id, span_id, flags, SCM_BOOL_F, &ctx, FUNC_NAME);
  scm_dynwind_end();
  return scm_from_latin1_string(dl_traceparent_format(&ctx, buf));
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_traceparent_parse, "%traceparent-parse", 1, 0, 0, (SCM text),
           "Parse a traceparent value; raise if it is invalid.")
#define FUNC_NAME s_dl_scm_traceparent_parse
{
  scm_dynwind_begin(0);
  size_t len;
  if (!scm_is_string(text))
    scm_wrong_type_arg_msg(FUNC_NAME, SCM_ARG1, text, "string");
  char *s = scm_to_utf8_stringn(text, &len);
  scm_dynwind_free(s);
  dl_trace_context ctx;
  dl_error err;
  if (dl_traceparent_parse(s, len, &ctx, &err))
    dl_guile_raise(FUNC_NAME, &err);
  scm_dynwind_end();
  return context_to_scm(&ctx);
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_tracestate_normalize, "%tracestate-normalize", 1, 0, 0, (SCM text),
           "Parse and re-format a tracestate list (truncated to 512 characters); "
           "raise if it is invalid.")
#define FUNC_NAME s_dl_scm_tracestate_normalize
{
  scm_dynwind_begin(0);
  size_t len;
  if (!scm_is_string(text))
    scm_wrong_type_arg_msg(FUNC_NAME, SCM_ARG1, text, "string");
  char *s = scm_to_utf8_stringn(text, &len);
  scm_dynwind_free(s);
  dl_tracestate *ts = scm_gc_malloc_pointerless(sizeof *ts, "tracestate");
  char out[DL_TRACESTATE_MAX_LENGTH + 1];
  dl_error err;
  if (dl_tracestate_parse(s, len, ts, &err))
    dl_guile_raise(FUNC_NAME, &err);
  dl_tracestate_format(ts, out);
  scm_dynwind_end();
  return scm_from_utf8_string(out);
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_tracestate_set, "%tracestate-set", 3, 0, 0, (SCM text, SCM key, SCM value),
           "Set KEY to VALUE in the tracestate TEXT, moving it to the front.")
#define FUNC_NAME s_dl_scm_tracestate_set
{
  scm_dynwind_begin(0);
  char *s = dl_guile_string(text, SCM_ARG1, FUNC_NAME);
  char *k = dl_guile_string(key, SCM_ARG2, FUNC_NAME);
  char *v = dl_guile_string(value, SCM_ARG3, FUNC_NAME);
  dl_tracestate *ts = scm_gc_malloc_pointerless(sizeof *ts, "tracestate");
  char out[DL_TRACESTATE_MAX_LENGTH + 1];
  dl_error err;
  if (dl_tracestate_parse(s, strlen(s), ts, &err) || dl_tracestate_set(ts, k, v, &err))
    dl_guile_raise(FUNC_NAME, &err);
  dl_tracestate_format(ts, out);
  scm_dynwind_end();
  return scm_from_utf8_string(out);
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_trace_context_extract, "%trace-context-extract", 1, 0, 0, (SCM headers),
           "Extract the incoming context from an alist of (name . value) "
           "headers; #f when it is missing or invalid.")
#define FUNC_NAME s_dl_scm_trace_context_extract
{
  scm_dynwind_begin(0);
  long n = scm_ilength(headers);
  if (n < 0)
    scm_wrong_type_arg_msg(FUNC_NAME, SCM_ARG1, headers, "alist of headers");
  dl_header *h = scm_gc_malloc((size_t) (n ? n : 1) * sizeof *h, "headers");
  size_t count = 0;
  for (SCM l = headers; scm_is_pair(l); l = scm_cdr(l)) {
    SCM pair = scm_car(l);
    /* Headers other libraries give as symbols or with non-string values
       are simply not trace context. */
    if (!scm_is_pair(pair) || !scm_is_string(scm_car(pair)) || !scm_is_string(scm_cdr(pair)))
      continue;
    h[count].name = dl_guile_string(scm_car(pair), SCM_ARG1, FUNC_NAME);
    h[count].value = dl_guile_string(scm_cdr(pair), SCM_ARG1, FUNC_NAME);
    count++;
  }
  dl_trace_context ctx;
  int rc = dl_trace_context_extract(h, count, &ctx, NULL);
  scm_dynwind_end();
  return rc == DL_OK ? context_to_scm(&ctx) : SCM_BOOL_F;
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_trace_context_from_environment, "%trace-context-from-environment", 0, 0, 0,
           (void), "The context in TRACEPARENT/TRACESTATE, or #f when unset or invalid.")
#define FUNC_NAME s_dl_scm_trace_context_from_environment
{
  dl_trace_context ctx;
  return dl_trace_context_from_environment(&ctx, NULL) == DL_OK ? context_to_scm(&ctx)
                                                                 : SCM_BOOL_F;
}
#undef FUNC_NAME

void
dl_guile_init_trace_context(void)
{
#ifndef SCM_MAGIC_SNARFER
#include "trace-context-func.x"
#endif
}
