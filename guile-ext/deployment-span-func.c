/* Deployment spans from Scheme: the library's one builder
 * (dl_deployment_spans) fed from deployment alists and history alists.
 * The export spool, export-spans and create-deployment-span all go
 * through it, so a deployment is described the same way on the wire,
 * in the spool and at the REPL. */
#include "dl-guile.h"

#include <string.h>

static void
free_arena(void *a)
{
  dl_arena_free(a);
}

dl_arena *
dl_guile_arena(void)
{
  /* Pointerless: the collector must not follow the arena's C blocks. */
  dl_arena *a = scm_gc_malloc_pointerless(sizeof *a, "arena");
  a->head = NULL;
  scm_dynwind_unwind_handler(free_arena, a, SCM_F_WIND_EXPLICITLY);
  return a;
}

/* A symbol's name, freed with the dynwind. */
static char *
symbol_name(SCM sym, const char *what, const char *who)
{
  if (!scm_is_symbol(sym))
    scm_wrong_type_arg_msg(who, SCM_ARGn, sym, what);
  return dl_guile_string(scm_symbol_to_string(sym), SCM_ARGn, who);
}

/* History alists (as %ledger-history gives them) as entries; must run in
   a dynwind. */
static dl_history_entry *
history_from_scm(SCM history, size_t *n, const char *who)
{
  size_t len = dl_guile_list_length(history, "list of history entries", who);
  dl_history_entry *h = scm_gc_malloc((len ? len : 1) * sizeof *h, "history");
  *n = 0;
  for (SCM l = history; scm_is_pair(l); l = scm_cdr(l)) {
    SCM e = scm_car(l);
    dl_history_entry *x = &h[(*n)++];
    memset(x, 0, sizeof *x);
    x->at = dl_guile_to_ns(dl_guile_ref(e, "at"), SCM_ARGn, who);
    char *kind = symbol_name(dl_guile_ref(e, "kind"), "history kind (created, status, stage, attribute)", who);
    int k = 0;
    while (k < 4 && strcmp(kind, dl_history_kind_name(k)) != 0)
      k++;
    if (k == 4) {
      dl_error err;
      dl_fail(&err, DL_EINVAL, "history entry kind \"%.40s\" is not created, status, stage or attribute",
              kind);
      dl_guile_raise(who, &err);
    }
    x->kind = k;
    SCM status = dl_guile_ref(e, "status");
    x->status = -1;
    if (scm_is_true(status)) {
      dl_deploy_status s;
      dl_error err;
      if (dl_deploy_status_parse(symbol_name(status, "deployment status", who), &s, &err))
        dl_guile_raise(who, &err);
      x->status = (int) s;
    }
    x->actor = dl_guile_string_or_null(dl_guile_ref(e, "actor"), SCM_ARGn, who);
    x->reason = dl_guile_string_or_null(dl_guile_ref(e, "reason"), SCM_ARGn, who);
    x->key = dl_guile_string_or_null(dl_guile_ref(e, "key"), SCM_ARGn, who);
    x->value = dl_guile_string_or_null(dl_guile_ref(e, "value"), SCM_ARGn, who);
  }
  return h;
}

/* Traceparent strings as contexts; must run in a dynwind. */
static dl_trace_context *
links_from_scm(SCM links, size_t *n, const char *who)
{
  size_t len = dl_guile_list_length(links, "list of traceparents", who);
  dl_trace_context *ctx = scm_gc_malloc_pointerless((len ? len : 1) * sizeof *ctx, "links");
  *n = 0;
  for (SCM l = links; scm_is_pair(l); l = scm_cdr(l)) {
    char *tp = dl_guile_string(scm_car(l), SCM_ARGn, who);
    dl_error err;
    if (dl_traceparent_parse(tp, strlen(tp), &ctx[*n], &err))
      dl_guile_raise(who, &err);
    (*n)++;
  }
  return ctx;
}

static dl_span_part
part_of(SCM part, const char *who)
{
  char *p = symbol_name(part, "span part (start, stage or end)", who);
  if (strcmp(p, "start") == 0)
    return DL_PART_START;
  if (strcmp(p, "stage") == 0)
    return DL_PART_STAGE;
  if (strcmp(p, "end") == 0)
    return DL_PART_END;
  dl_error err;
  dl_fail(&err, DL_EINVAL, "span part \"%.40s\" is not start, stage or end", p);
  dl_guile_raise(who, &err);
}

void
dl_guile_deployment_request(dl_arena *arena, SCM items, SCM part, SCM stage,
                            dl_export_request *req, const char *who)
{
  size_t n = dl_guile_list_length(items, "list of (deployment history links)", who);
  dl_span_part which = part_of(part, who);
  const char *stage_name = dl_guile_string_or_null(stage, SCM_ARGn, who);
  dl_error err;
  dl_resource_spans *resources = dl_arena_alloc(arena, (n ? n : 1) * sizeof *resources);
  if (!resources)
    dl_guile_raise_code(who, DL_ENOMEM, "out of memory building spans");
  size_t i = 0;
  for (SCM l = items; scm_is_pair(l); l = scm_cdr(l), i++) {
    SCM item = scm_car(l);
    if (scm_ilength(item) != 3)
      scm_wrong_type_arg_msg(who, SCM_ARGn, item, "(deployment history links)");
    dl_deployment *d = dl_guile_deployment_from_alist(scm_car(item), who);
    size_t nh, nl;
    dl_history_entry *h = history_from_scm(scm_cadr(item), &nh, who);
    dl_trace_context *links = links_from_scm(scm_caddr(item), &nl, who);
    dl_export_request one;
    /* The exporter adds its resource attributes when it encodes. */
    if (dl_deployment_spans(arena, d, h, nh, which, stage_name, links, nl, NULL, &one, &err))
      dl_guile_raise(who, &err);
    /* The builder makes one resource per deployment; a request holds them
       side by side. */
    resources[i] = one.resources[0];
  }
  req->resources = resources;
  req->n_resources = i;
}

/* ---- the built span as an alist ---- */

static SCM value_to_scm(const dl_value *v);

static SCM
key_symbol(dl_str key)
{
  return scm_string_to_symbol(dl_guile_from_bytes(key.ptr, key.len));
}

/* Attributes as an alist with symbol keys. */
static SCM
attributes_to_scm(const dl_kv *kv, size_t n)
{
  SCM out = SCM_EOL;
  for (size_t i = n; i-- > 0;)
    out = scm_acons(key_symbol(kv[i].key), value_to_scm(&kv[i].value), out);
  return out;
}

/* AnyValues: strings, booleans, integers, reals; arrays as lists, key-value
   lists as alists, bytes as bytevectors, an empty value as #f. */
static SCM
value_to_scm(const dl_value *v)
{
  switch (v->kind) {
  case DL_VALUE_STRING:
    return dl_guile_from_bytes(v->u.str.ptr, v->u.str.len);
  case DL_VALUE_BOOL:
    return scm_from_bool(v->u.boolean);
  case DL_VALUE_INT:
    return scm_from_int64(v->u.integer);
  case DL_VALUE_DOUBLE:
    return scm_from_double(v->u.real);
  case DL_VALUE_ARRAY: {
    SCM out = SCM_EOL;
    for (size_t i = v->u.array.n; i-- > 0;)
      out = scm_cons(value_to_scm(&v->u.array.items[i]), out);
    return out;
  }
  case DL_VALUE_KVLIST:
    return attributes_to_scm(v->u.kvlist.items, v->u.kvlist.n);
  case DL_VALUE_BYTES: {
    SCM bv = scm_c_make_bytevector(v->u.str.len);
    memcpy(SCM_BYTEVECTOR_CONTENTS(bv), v->u.str.ptr, v->u.str.len);
    return bv;
  }
  case DL_VALUE_EMPTY:
  default:
    return SCM_BOOL_F;
  }
}

static SCM
hex(const uint8_t *id, size_t n)
{
  char text[2 * DL_TRACE_ID_SIZE + 1];
  return scm_from_latin1_string(dl_hex_encode(id, n, text));
}

static SCM
span_to_scm(const dl_span *s)
{
  SCM events = SCM_EOL, links = SCM_EOL;
  for (size_t i = s->n_events; i-- > 0;) {
    const dl_span_event *e = &s->events[i];
    events = scm_cons(scm_list_3(scm_cons(SYM("name"), dl_guile_from_bytes(e->name.ptr, e->name.len)),
                                 scm_cons(SYM("time"), scm_from_int64(e->time)),
                                 scm_cons(SYM("attributes"), attributes_to_scm(e->attrs, e->n_attrs))),
                      events);
  }
  for (size_t i = s->n_links; i-- > 0;) {
    dl_trace_context ctx;
    memset(&ctx, 0, sizeof ctx);
    memcpy(ctx.trace_id, s->links[i].trace_id, DL_TRACE_ID_SIZE);
    memcpy(ctx.span_id, s->links[i].span_id, DL_SPAN_ID_SIZE);
    ctx.flags = (uint8_t) s->links[i].flags;
    char tp[DL_TRACEPARENT_SIZE];
    links = scm_cons(scm_from_latin1_string(dl_traceparent_format(&ctx, tp)), links);
  }
  SCM status = !s->has_status                             ? SCM_BOOL_F
               : s->status_code == DL_STATUS_CODE_OK    ? SYM("ok")
               : s->status_code == DL_STATUS_CODE_ERROR ? SYM("error")
                                                        : SCM_BOOL_F;
  return scm_list_n(
    scm_cons(SYM("trace-id"), hex(s->trace_id, DL_TRACE_ID_SIZE)),
    scm_cons(SYM("span-id"), hex(s->span_id, DL_SPAN_ID_SIZE)),
    scm_cons(SYM("parent-span-id"), s->has_parent ? hex(s->parent_span_id, DL_SPAN_ID_SIZE) : SCM_BOOL_F),
    scm_cons(SYM("name"), dl_guile_from_bytes(s->name.ptr, s->name.len)),
    scm_cons(SYM("start-time"), scm_from_int64(s->start)),
    scm_cons(SYM("end-time"), scm_from_int64(s->end)),
    scm_cons(SYM("attributes"), attributes_to_scm(s->attrs, s->n_attrs)),
    scm_cons(SYM("events"), events), scm_cons(SYM("links"), links),
    scm_cons(SYM("status"), status),
    scm_cons(SYM("status-message"),
             s->status_message.len ? dl_guile_from_bytes(s->status_message.ptr, s->status_message.len)
                                   : SCM_BOOL_F),
    SCM_UNDEFINED);
}

SCM_DEFINE(dl_scm_deployment_span, "%deployment-span", 3, 0, 0,
           (SCM deployment, SCM history, SCM links),
           "The deployment span of DEPLOYMENT (an alist) as the exporter sends it, "
           "with an event per status transition of HISTORY and LINKS "
           "(traceparents), as an alist.")
#define FUNC_NAME s_dl_scm_deployment_span
{
  scm_dynwind_begin(0);
  dl_arena *arena = dl_guile_arena();
  dl_export_request req;
  dl_guile_deployment_request(arena, scm_list_1(scm_list_3(deployment, history, links)),
                              SYM("end"), SCM_BOOL_F, &req, FUNC_NAME);
  SCM span = span_to_scm(&req.resources[0].scopes[0].spans[0]);
  scm_dynwind_end();
  return span;
}
#undef FUNC_NAME

void
dl_guile_init_deployment_span(void)
{
#ifndef SCM_MAGIC_SNARFER
#include "deployment-span-func.x"
#endif
}
