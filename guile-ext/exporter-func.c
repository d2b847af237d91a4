/* Primitives for OTLP export: exporters (strict, or lenient with the
   environment), deployment span payloads (built by
   deployment-span-func.c), sending, flushing the spool. */
#include "dl-guile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static SCM exporter_type;

static void
finalize_exporter(SCM obj)
{
  dl_exporter *e = scm_foreign_object_ref(obj, 0);
  scm_foreign_object_set_x(obj, 0, NULL);
  dl_exporter_free(e);
}

static void
free_unowned_exporter(void *e)
{
  dl_exporter_free(e);
}

static dl_exporter *
exporter_ref(SCM obj, const char *who)
{
  scm_assert_foreign_object_type(exporter_type, obj);
  return scm_foreign_object_ref(obj, 0);
}

static void
free_config(void *c)
{
  dl_exporter_config_clear(c);
}

/* A setting's value as the text the C setter parses: strings as they
   are, numbers and symbols written out, so that #:timeout 2500 and
   OTEL_EXPORTER_OTLP_TIMEOUT=2500 go through the same parsing.  Freed
   with the dynwind. */
static char *
setting_text(SCM key, SCM value, const char *who)
{
  if (scm_is_string(value))
    return dl_guile_string(value, SCM_ARG1, who);
  if (scm_is_symbol(value))
    return dl_guile_string(scm_symbol_to_string(value), SCM_ARG1, who);
  if (scm_is_number(value))
    return dl_guile_string(scm_number_to_string(value, SCM_UNDEFINED), SCM_ARG1, who);
  scm_wrong_type_arg_msg(who, SCM_ARG1, scm_cons(key, value), "setting with a string or number");
}

/* Pairs of strings (an alist) into the config, one at a time: headers
   or resource attributes already decoded. */
static void
add_pairs(dl_exporter_config *c, SCM key, SCM alist, const char *who)
{
  for (SCM l = alist; scm_is_pair(l); l = scm_cdr(l)) {
    SCM p = scm_car(l);
    if (!scm_is_pair(p) || !scm_is_string(scm_car(p)) || !scm_is_string(scm_cdr(p)))
      scm_wrong_type_arg_msg(who, SCM_ARG1, scm_cons(key, alist), "alist of strings");
    char *k = dl_guile_string(scm_car(p), SCM_ARG1, who);
    char *v = dl_guile_string(scm_cdr(p), SCM_ARG1, who);
    dl_error err;
    int rc = scm_is_eq(key, SYM("headers")) ? dl_exporter_config_add_header(c, k, v, &err)
                                            : dl_exporter_config_add_resource(c, k, v, &err);
    if (rc)
      dl_guile_raise(who, &err);
  }
}

/* An exporter from the environment's settings read as C has filled them
   in C (strict or lenient), overridden by SETTINGS.  On return the
   exporter is owned by a Scheme object. */
static SCM
exporter_from(dl_exporter_config *c, SCM settings, const char *who)
{
  dl_error err;
  scm_dynwind_unwind_handler(free_config, c, SCM_F_WIND_EXPLICITLY);
  for (SCM l = settings; scm_is_pair(l); l = scm_cdr(l)) {
    SCM key = scm_caar(l), value = scm_cdar(l);
    if (scm_is_false(value))
      continue;
    if (!scm_is_symbol(key))
      scm_wrong_type_arg_msg(who, SCM_ARG1, settings, "alist with symbol keys");
    if ((scm_is_eq(key, SYM("headers")) || scm_is_eq(key, SYM("resource-attributes")))
        && (scm_is_pair(value) || scm_is_null(value))) {
      add_pairs(c, key, value, who);
      continue;
    }
    char *k = dl_guile_string(scm_symbol_to_string(key), SCM_ARG1, who);
    if (dl_exporter_config_set(c, k, setting_text(key, value, who), &err))
      dl_guile_raise(who, &err);
  }
  dl_exporter *e;
  if (dl_exporter_new(c, &e, &err))
    dl_guile_raise(who, &err);
  /* Freed here only if making its Scheme object fails. */
  scm_dynwind_unwind_handler(free_unowned_exporter, e, 0);
  return scm_make_foreign_object_1(exporter_type, e);
}

SCM_DEFINE(dl_scm_exporter_new, "%exporter-new", 1, 0, 0, (SCM settings),
           "An exporter from the OTEL_* environment, overridden by SETTINGS, an alist "
           "of setting names (symbols, as dl_exporter_config_set knows them) and values "
           "(strings or numbers; #f: unset); headers and resource-attributes may also "
           "be alists of strings.  A variable that cannot be used raises.")
#define FUNC_NAME s_dl_scm_exporter_new
{
  scm_dynwind_begin(0);
  dl_exporter_config c;
  int configured;
  dl_error err;
  if (dl_exporter_config_from_env(&c, &configured, &err))
    dl_guile_raise(FUNC_NAME, &err);
  SCM obj = exporter_from(&c, settings, FUNC_NAME);
  scm_dynwind_end();
  return obj;
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_exporter_new_lenient, "%exporter-new-lenient", 1, 0, 0, (SCM settings),
           "As %exporter-new, but the OTEL_* variables that cannot be used are left "
           "out: returns (exporter . problems), PROBLEMS a list of messages naming "
           "each variable and its value.  SETTINGS that cannot be used still raise.")
#define FUNC_NAME s_dl_scm_exporter_new_lenient
{
  scm_dynwind_begin(0);
  dl_exporter_config c;
  dl_error problems[DL_EXPORTER_MAX_PROBLEMS], err;
  size_t n = 0;
  int configured;
  if (dl_exporter_config_from_env_lenient(&c, &configured, problems, DL_EXPORTER_MAX_PROBLEMS,
                                          &n, &err))
    dl_guile_raise(FUNC_NAME, &err);
  SCM obj = exporter_from(&c, settings, FUNC_NAME);
  SCM list = SCM_EOL;
  if (n > DL_EXPORTER_MAX_PROBLEMS)
    list = scm_list_1(scm_from_utf8_string("and more OTEL_* variables that cannot be used"));
  for (size_t i = n < DL_EXPORTER_MAX_PROBLEMS ? n : DL_EXPORTER_MAX_PROBLEMS; i-- > 0;)
    list = scm_cons(dl_guile_from_string(problems[i].text), list); /* the environment's bytes */
  scm_dynwind_end();
  return scm_cons(obj, list);
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_exporter_describe, "%exporter-describe", 1, 0, 0, (SCM exporter),
           "The exporter's settings, header values redacted.")
#define FUNC_NAME s_dl_scm_exporter_describe
{
  char *text = dl_exporter_describe(exporter_ref(exporter, FUNC_NAME));
  if (!text)
    dl_guile_raise_code(FUNC_NAME, DL_ENOMEM, NULL);
  scm_dynwind_begin(0);
  scm_dynwind_free(text);
  SCM s = dl_guile_from_string(text); /* settings from the environment: any bytes */
  scm_dynwind_end();
  return s;
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_otlp_configured_p, "%otlp-endpoint-configured?", 0, 0, 0, (void),
           "True when an OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT is set.")
#define FUNC_NAME s_dl_scm_otlp_configured_p
{
  return scm_from_bool(dl_exporter_endpoint_configured());
}
#undef FUNC_NAME

/* The encoded REQ as (bytevector content-type span-count). */
static SCM
payload(const dl_exporter *e, const dl_export_request *req, const char *who)
{
  uint8_t *body;
  size_t len;
  const char *type;
  dl_error err;
  if (dl_exporter_encode(e, req, &body, &len, &type, &err))
    dl_guile_raise(who, &err);
  scm_dynwind_begin(0);
  scm_dynwind_free(body);
  SCM bv = scm_c_make_bytevector(len);
  memcpy(SCM_BYTEVECTOR_CONTENTS(bv), body, len);
  SCM result = scm_list_3(bv, scm_from_utf8_string(type),
                          scm_from_size_t(dl_export_request_span_count(req)));
  scm_dynwind_end();
  return result;
}

SCM_DEFINE(dl_scm_deployment_payload, "%deployment-payload", 4, 0, 0,
           (SCM exporter, SCM part, SCM stage, SCM items),
           "The PART spans (start, stage STAGE or end) of each (deployment history "
           "links) of ITEMS, encoded as one request in the exporter's protocol: "
           "(bytevector content-type span-count).")
#define FUNC_NAME s_dl_scm_deployment_payload
{
  dl_exporter *e = exporter_ref(exporter, FUNC_NAME);
  scm_dynwind_begin(0);
  dl_arena *arena = dl_guile_arena();
  dl_export_request req;
  dl_guile_deployment_request(arena, items, part, stage, &req, FUNC_NAME);
  SCM result = payload(e, &req, FUNC_NAME);
  scm_dynwind_end();
  return result;
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_exporter_send, "%exporter-send", 3, 0, 0,
           (SCM exporter, SCM body, SCM content_type),
           "POST BODY; return an alist with ok, http-status, attempts, permanent, "
           "rejected-spans, message and response-body (the start of the collector's "
           "answer as printable text).")
#define FUNC_NAME s_dl_scm_exporter_send
{
  dl_exporter *e = exporter_ref(exporter, FUNC_NAME);
  scm_dynwind_begin(0);
  if (!scm_is_bytevector(body))
    scm_wrong_type_arg_msg(FUNC_NAME, SCM_ARG2, body, "bytevector");
  dl_send_result *res = scm_gc_malloc_pointerless(sizeof *res, "send result");
  int rc = dl_exporter_send(e, SCM_BYTEVECTOR_CONTENTS(body), SCM_BYTEVECTOR_LENGTH(body),
                            dl_guile_string(content_type, SCM_ARG3, FUNC_NAME), NULL, res, NULL);
  scm_remember_upto_here_1(body);
  scm_dynwind_end();
  /* The client makes the collector's words printable; converted with
     dl_guile_from_string all the same, so that text which is not UTF-8
     could never raise Guile's decoding-error here. */
  return scm_list_n(scm_cons(SYM("ok"), scm_from_bool(rc == DL_OK)),
                    scm_cons(SYM("http-status"), scm_from_int(res->http_status)),
                    scm_cons(SYM("grpc-status"),
                             res->grpc_status >= 0 ? scm_from_int(res->grpc_status) : SCM_BOOL_F),
                    scm_cons(SYM("attempts"), scm_from_int(res->attempts)),
                    scm_cons(SYM("permanent"), scm_from_bool(res->permanent)),
                    scm_cons(SYM("rejected-spans"), scm_from_long(res->rejected_spans)),
                    scm_cons(SYM("message"), dl_guile_from_string(res->message)),
                    scm_cons(SYM("response-body"), dl_guile_from_string(res->body)),
                    SCM_UNDEFINED);
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_exporter_flush, "%exporter-flush", 6, 0, 0,
           (SCM exporter, SCM ledger, SCM deployment_id, SCM force, SCM once, SCM deadline_ms),
           "Send the spool of LEDGER (ONCE: one attempt per item, stopping at the first "
           "temporary failure; DEADLINE-MS: the whole flush, #f for none); return "
           "counts as an alist.")
#define FUNC_NAME s_dl_scm_exporter_flush
{
  dl_exporter *e = exporter_ref(exporter, FUNC_NAME);
  dl_ledger *l = dl_guile_ledger_ref(ledger, FUNC_NAME);
  dl_send_limits limits = {scm_is_true(once),
                           scm_is_false(deadline_ms) ? 0 : scm_to_long(deadline_ms)};
  scm_dynwind_begin(0);
  dl_flush_stats st;
  dl_error err;
  if (dl_exporter_flush(e, l, dl_guile_string_or_null(deployment_id, SCM_ARG3, FUNC_NAME),
                        scm_is_true(force), &limits, &st, &err))
    dl_guile_raise(FUNC_NAME, &err);
  scm_dynwind_end();
  return scm_list_n(scm_cons(SYM("sent"), scm_from_long(st.sent)),
                    scm_cons(SYM("spans"), scm_from_long(st.spans)),
                    scm_cons(SYM("rejected-spans"), scm_from_long(st.rejected_spans)),
                    scm_cons(SYM("retry-later"), scm_from_long(st.retry_later)),
                    scm_cons(SYM("untried"), scm_from_long(st.untried)),
                    scm_cons(SYM("dead-lettered"), scm_from_long(st.dead_lettered)),
                    scm_cons(SYM("last-failure"),
                             st.last_failure[0] ? dl_guile_from_string(st.last_failure)
                                                : SCM_BOOL_F),
                    SCM_UNDEFINED);
}
#undef FUNC_NAME

void
dl_guile_init_exporter(void)
{
  exporter_type = scm_make_foreign_object_type(SYM("otlp-exporter"), scm_list_1(SYM("handle")),
                                               finalize_exporter);
#ifndef SCM_MAGIC_SNARFER
#include "exporter-func.x"
#endif
}
