/* Primitives for OTLP export: exporters, deployment span payloads,
   sending, flushing the spool. */
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

static dl_exporter *
exporter_ref(SCM obj, const char *who)
{
  scm_assert_foreign_object_type(exporter_type, obj);
  return scm_foreign_object_ref(obj, 0);
}

static SCM
field(SCM alist, const char *key)
{
  SCM pair = scm_assq(SYM(key), alist);
  return scm_is_pair(pair) ? scm_cdr(pair) : SCM_BOOL_F;
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

SCM_DEFINE(dl_scm_exporter_new, "%exporter-new", 1, 0, 0, (SCM settings),
           "An exporter from the OTEL_* environment, overridden by SETTINGS, an alist "
           "of setting names (symbols, as dl_exporter_config_set knows them) and values "
           "(strings or numbers; #f: unset); headers and resource-attributes may also "
           "be alists of strings.")
#define FUNC_NAME s_dl_scm_exporter_new
{
  scm_dynwind_begin(0);
  dl_exporter_config c;
  int configured;
  dl_error err;
  if (dl_exporter_config_from_env(&c, &configured, &err))
    dl_guile_raise(FUNC_NAME, &err);
  scm_dynwind_unwind_handler(free_config, &c, SCM_F_WIND_EXPLICITLY);
  for (SCM l = settings; scm_is_pair(l); l = scm_cdr(l)) {
    SCM key = scm_caar(l), value = scm_cdar(l);
    if (scm_is_false(value))
      continue;
    if (!scm_is_symbol(key))
      scm_wrong_type_arg_msg(FUNC_NAME, SCM_ARG1, settings, "alist with symbol keys");
    if ((scm_is_eq(key, SYM("headers")) || scm_is_eq(key, SYM("resource-attributes")))
        && (scm_is_pair(value) || scm_is_null(value))) {
      add_pairs(&c, key, value, FUNC_NAME);
      continue;
    }
    char *k = dl_guile_string(scm_symbol_to_string(key), SCM_ARG1, FUNC_NAME);
    if (dl_exporter_config_set(&c, k, setting_text(key, value, FUNC_NAME), &err))
      dl_guile_raise(FUNC_NAME, &err);
  }
  dl_exporter *e;
  if (dl_exporter_new(&c, &e, &err))
    dl_guile_raise(FUNC_NAME, &err);
  scm_dynwind_end();
  return scm_make_foreign_object_1(exporter_type, e);
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_exporter_describe, "%exporter-describe", 1, 0, 0, (SCM exporter),
           "The exporter's settings, header values redacted.")
#define FUNC_NAME s_dl_scm_exporter_describe
{
  char *text = dl_exporter_describe(exporter_ref(exporter, FUNC_NAME));
  if (!text)
    dl_guile_raise_code(FUNC_NAME, DL_ENOMEM, NULL);
  SCM s = scm_from_utf8_string(text);
  free(text);
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

/* History alists (as %ledger-history gives them) to entries; must run in
   a dynwind. */
static dl_history_entry *
history_from_scm(SCM history, size_t *n, const char *who)
{
  long len = scm_ilength(history);
  if (len < 0)
    scm_wrong_type_arg_msg(who, 0, history, "list of history entries");
  dl_history_entry *h = scm_gc_malloc((size_t) (len ? len : 1) * sizeof *h, "history");
  *n = 0;
  for (SCM l = history; scm_is_pair(l); l = scm_cdr(l)) {
    SCM e = scm_car(l);
    dl_history_entry *x = &h[(*n)++];
    memset(x, 0, sizeof *x);
    x->at = scm_to_int64(field(e, "at"));
    char *kind = dl_guile_string(scm_symbol_to_string(field(e, "kind")), 0, who);
    for (int k = 0; k < 4; k++)
      if (strcmp(kind, dl_history_kind_name(k)) == 0)
        x->kind = k;
    SCM status = field(e, "status");
    x->status = -1;
    if (scm_is_symbol(status)) {
      dl_deploy_status s;
      dl_error err;
      if (dl_deploy_status_parse(dl_guile_string(scm_symbol_to_string(status), 0, who), &s, &err))
        dl_guile_raise(who, &err);
      x->status = (int) s;
    }
    x->actor = dl_guile_string_or_null(field(e, "actor"), 0, who);
    x->reason = dl_guile_string_or_null(field(e, "reason"), 0, who);
    x->key = dl_guile_string_or_null(field(e, "key"), 0, who);
    x->value = dl_guile_string_or_null(field(e, "value"), 0, who);
  }
  return h;
}

static void
free_arena(void *a)
{
  dl_arena_free(a);
}

static SCM
payload(const dl_exporter *e, const dl_export_request *req, const char *who)
{
  uint8_t *body;
  size_t len;
  const char *type;
  dl_error err;
  if (dl_exporter_encode(e, req, &body, &len, &type, &err))
    dl_guile_raise(who, &err);
  SCM bv = scm_c_make_bytevector(len);
  memcpy(SCM_BYTEVECTOR_CONTENTS(bv), body, len);
  free(body);
  return scm_list_3(bv, scm_from_utf8_string(type),
                    scm_from_size_t(dl_export_request_span_count(req)));
}

SCM_DEFINE(dl_scm_deployment_payload, "%deployment-payload", 6, 0, 0,
           (SCM exporter, SCM deployment, SCM history, SCM part, SCM stage, SCM links),
           "The encoded PART spans (start, stage or end) of DEPLOYMENT as "
           "(bytevector content-type span-count).")
#define FUNC_NAME s_dl_scm_deployment_payload
{
  dl_exporter *e = exporter_ref(exporter, FUNC_NAME);
  scm_dynwind_begin(0);
  dl_deployment *d = dl_guile_deployment_from_alist(deployment, FUNC_NAME);
  size_t nh;
  dl_history_entry *h = history_from_scm(history, &nh, FUNC_NAME);
  char *p = dl_guile_string(scm_symbol_to_string(part), SCM_ARG4, FUNC_NAME);
  dl_span_part which = strcmp(p, "start") == 0 ? DL_PART_START
                       : strcmp(p, "stage") == 0 ? DL_PART_STAGE
                                                 : DL_PART_END;
  long n_links = scm_ilength(links);
  dl_trace_context *ctx = scm_gc_malloc(sizeof *ctx * (size_t) (n_links > 0 ? n_links : 1), "links");
  dl_error err;
  size_t i = 0;
  for (SCM l = links; scm_is_pair(l); l = scm_cdr(l), i++) {
    char *tp = dl_guile_string(scm_car(l), SCM_ARG6, FUNC_NAME);
    if (dl_traceparent_parse(tp, strlen(tp), &ctx[i], &err))
      dl_guile_raise(FUNC_NAME, &err);
  }
  dl_arena *arena = scm_gc_malloc_pointerless(sizeof *arena, "arena");
  arena->head = NULL;
  scm_dynwind_unwind_handler(free_arena, arena, SCM_F_WIND_EXPLICITLY);
  /* The exporter adds its resource attributes when it encodes. */
  dl_export_request req;
  if (dl_deployment_spans(arena, d, h, nh, which,
                          dl_guile_string_or_null(stage, SCM_ARG5, FUNC_NAME), ctx, i, NULL, &req,
                          &err))
    dl_guile_raise(FUNC_NAME, &err);
  SCM result = payload(e, &req, FUNC_NAME);
  scm_dynwind_end();
  return result;
}
#undef FUNC_NAME

/* A value of a span alist's attributes as an AnyValue. */
static dl_value
value_from_scm(dl_arena *a, SCM v, const char *who)
{
  if (scm_is_string(v))
    return dl_value_string(dl_arena_strdup(a, dl_guile_string(v, 0, who)));
  if (scm_is_symbol(v))
    return dl_value_string(dl_arena_strdup(a, dl_guile_string(scm_symbol_to_string(v), 0, who)));
  if (scm_is_bool(v))
    return dl_value_bool(scm_is_true(v));
  if (scm_is_exact_integer(v))
    return dl_value_int(scm_to_int64(v));
  if (scm_is_real(v))
    return dl_value_double(scm_to_double(v));
  scm_wrong_type_arg_msg(who, 0, v, "attribute value (string, number or boolean)");
}

static void
hex_id(SCM s, uint8_t *out, size_t n, const char *what, const char *who)
{
  char *text = dl_guile_string(s, 0, who);
  if (strlen(text) != 2 * n || dl_hex_decode(text, n, out, 1)) {
    dl_error err;
    dl_fail(&err, DL_EINVAL, "%s \"%.40s\" is not %zu hex digits", what, text, 2 * n);
    dl_guile_raise(who, &err);
  }
}

SCM_DEFINE(dl_scm_spans_payload, "%spans-payload", 2, 0, 0, (SCM exporter, SCM spans),
           "Span alists (as create-deployment-span gives them) encoded in the exporter's "
           "protocol as (bytevector content-type span-count).")
#define FUNC_NAME s_dl_scm_spans_payload
{
  dl_exporter *e = exporter_ref(exporter, FUNC_NAME);
  scm_dynwind_begin(0);
  dl_arena *a = scm_gc_malloc_pointerless(sizeof *a, "arena");
  a->head = NULL;
  scm_dynwind_unwind_handler(free_arena, a, SCM_F_WIND_EXPLICITLY);
  long n = scm_ilength(spans);
  if (n < 0)
    scm_wrong_type_arg_msg(FUNC_NAME, SCM_ARG2, spans, "list of span alists");
  dl_resource_spans *rs = dl_arena_alloc(a, sizeof *rs * (size_t) (n ? n : 1));
  size_t i = 0;
  for (SCM l = spans; scm_is_pair(l); l = scm_cdr(l), i++) {
    SCM s = scm_car(l);
    dl_span *sp = dl_arena_alloc(a, sizeof *sp);
    dl_scope_spans *sc = dl_arena_alloc(a, sizeof *sc);
    dl_kv *res = dl_arena_alloc(a, 2 * sizeof *res);
    hex_id(field(s, "trace-id"), sp->trace_id, 16, "trace-id", FUNC_NAME);
    hex_id(field(s, "span-id"), sp->span_id, 8, "span-id", FUNC_NAME);
    if (scm_is_string(field(s, "parent-span-id"))) {
      hex_id(field(s, "parent-span-id"), sp->parent_span_id, 8, "parent-span-id", FUNC_NAME);
      sp->has_parent = 1;
    }
    SCM op = field(s, "operation");
    sp->name = dl_str_of(scm_is_string(op) ? dl_arena_strdup(a, dl_guile_string(op, 0, FUNC_NAME))
                                           : "deployment");
    sp->kind = 1;
    SCM start = field(s, "start-time"), end = field(s, "end-time");
    sp->start = scm_is_true(start) ? dl_guile_to_ns(start, 0, FUNC_NAME) : dl_time_now();
    sp->end = scm_is_true(end) ? dl_guile_to_ns(end, 0, FUNC_NAME) : dl_time_now();
    SCM attrs = field(s, "attributes");
    long na = scm_ilength(attrs);
    dl_kv *kvs = dl_arena_alloc(a, sizeof *kvs * (size_t) (na > 0 ? na : 1));
    size_t k = 0;
    for (SCM al = attrs; scm_is_pair(al); al = scm_cdr(al)) {
      SCM key = scm_caar(al), value = scm_cdar(al);
      if (scm_is_false(value))
        continue;
      char *ks = dl_guile_string(scm_is_symbol(key) ? scm_symbol_to_string(key) : key, 0, FUNC_NAME);
      kvs[k].key = dl_str_of(dl_arena_strdup(a, ks));
      kvs[k].value = value_from_scm(a, value, FUNC_NAME);
      k++;
    }
    sp->attrs = kvs;
    sp->n_attrs = k;
    SCM links = field(s, "links");
    long nl = scm_ilength(links);
    dl_span_link *lk = dl_arena_alloc(a, sizeof *lk * (size_t) (nl > 0 ? nl : 1));
    size_t j = 0;
    for (SCM ll = links; scm_is_pair(ll); ll = scm_cdr(ll), j++) {
      char *tp = dl_guile_string(scm_car(ll), 0, FUNC_NAME);
      dl_trace_context ctx;
      dl_error err;
      if (dl_traceparent_parse(tp, strlen(tp), &ctx, &err))
        dl_guile_raise(FUNC_NAME, &err);
      memcpy(lk[j].trace_id, ctx.trace_id, 16);
      memcpy(lk[j].span_id, ctx.span_id, 8);
      lk[j].flags = ctx.flags;
    }
    sp->links = lk;
    sp->n_links = j;
    SCM service = field(s, "service"), version = field(s, "version");
    size_t nr = 0;
    if (scm_is_string(service))
      res[nr++] = (dl_kv){dl_str_of("service.name"),
                          dl_value_string(dl_arena_strdup(a, dl_guile_string(service, 0, FUNC_NAME)))};
    if (scm_is_string(version))
      res[nr++] = (dl_kv){dl_str_of("service.version"),
                          dl_value_string(dl_arena_strdup(a, dl_guile_string(version, 0, FUNC_NAME)))};
    sc->has_scope = 1;
    sc->scope_name = dl_str_of("deploy-ledger");
    sc->scope_version = dl_str_of(PACKAGE_VERSION);
    sc->spans = sp;
    sc->n_spans = 1;
    rs[i].has_resource = 1;
    rs[i].resource_attrs = res;
    rs[i].n_resource_attrs = nr;
    rs[i].scopes = sc;
    rs[i].n_scopes = 1;
  }
  dl_export_request req = {rs, i};
  SCM result = payload(e, &req, FUNC_NAME);
  scm_dynwind_end();
  return result;
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_exporter_send, "%exporter-send", 3, 0, 0,
           (SCM exporter, SCM body, SCM content_type),
           "POST BODY; return an alist with ok, http-status, attempts, permanent, "
           "rejected-spans and message.")
#define FUNC_NAME s_dl_scm_exporter_send
{
  dl_exporter *e = exporter_ref(exporter, FUNC_NAME);
  scm_dynwind_begin(0);
  if (!scm_is_bytevector(body))
    scm_wrong_type_arg_msg(FUNC_NAME, SCM_ARG2, body, "bytevector");
  dl_send_result res;
  int rc = dl_exporter_send(e, SCM_BYTEVECTOR_CONTENTS(body), SCM_BYTEVECTOR_LENGTH(body),
                            dl_guile_string(content_type, SCM_ARG3, FUNC_NAME), &res, NULL);
  scm_dynwind_end();
  return scm_list_n(scm_cons(SYM("ok"), scm_from_bool(rc == DL_OK)),
                    scm_cons(SYM("http-status"), scm_from_int(res.http_status)),
                    scm_cons(SYM("attempts"), scm_from_int(res.attempts)),
                    scm_cons(SYM("permanent"), scm_from_bool(res.permanent)),
                    scm_cons(SYM("rejected-spans"), scm_from_long(res.rejected_spans)),
                    scm_cons(SYM("message"), scm_from_utf8_string(res.message)),
                    SCM_UNDEFINED);
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_exporter_flush, "%exporter-flush", 4, 0, 0,
           (SCM exporter, SCM ledger, SCM deployment_id, SCM force),
           "Send the spool of LEDGER; return counts as an alist.")
#define FUNC_NAME s_dl_scm_exporter_flush
{
  dl_exporter *e = exporter_ref(exporter, FUNC_NAME);
  dl_ledger *l = dl_guile_ledger_ref(ledger, FUNC_NAME);
  scm_dynwind_begin(0);
  dl_flush_stats st;
  dl_error err;
  if (dl_exporter_flush(e, l, dl_guile_string_or_null(deployment_id, SCM_ARG3, FUNC_NAME),
                        scm_is_true(force), &st, &err))
    dl_guile_raise(FUNC_NAME, &err);
  scm_dynwind_end();
  return scm_list_5(scm_cons(SYM("sent"), scm_from_long(st.sent)),
                    scm_cons(SYM("spans"), scm_from_long(st.spans)),
                    scm_cons(SYM("rejected-spans"), scm_from_long(st.rejected_spans)),
                    scm_cons(SYM("retry-later"), scm_from_long(st.retry_later)),
                    scm_cons(SYM("dead-lettered"), scm_from_long(st.dead_lettered)));
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
