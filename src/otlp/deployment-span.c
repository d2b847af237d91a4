/* Deployment spans after the OpenTelemetry semantic conventions. */
#include "deploy-ledger/deployment-span.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otlp/kv-list.h"

#define SCOPE_NAME "deploy-ledger"
#define START_MARK_NS 1000000 /* the start marker lasts a millisecond */

typedef struct attrs {
  dl_kv *kv;
  size_t n, cap;
} attrs;

static int
add(dl_arena *a, attrs *list, const char *key, dl_value v)
{
  if (list->n == list->cap) {
    size_t cap = list->cap ? list->cap * 2 : 16;
    dl_kv *grown = dl_arena_alloc(a, cap * sizeof *grown);
    if (!grown)
      return -1;
    if (list->n)
      memcpy(grown, list->kv, list->n * sizeof *grown);
    list->kv = grown;
    list->cap = cap;
  }
  list->kv[list->n].key = dl_str_of(dl_arena_strdup(a, key));
  list->kv[list->n].value = v;
  list->n++;
  return 0;
}

static int
add_str(dl_arena *a, attrs *list, const char *key, const char *value)
{
  if (!value)
    return 0;
  return add(a, list, key, dl_value_string(dl_arena_strdup(a, value)));
}

static int
common_attributes(dl_arena *a, attrs *list, const dl_deployment *d)
{
  char name[512];
  snprintf(name, sizeof name, "%s %s", d->service, d->version);
  int rc = add_str(a, list, "deployment.id", d->id) | add_str(a, list, "deployment.name", name)
           | add_str(a, list, "deployment.environment.name", d->environment);
  return rc;
}

static void
fill_span(dl_span *s, const dl_deployment *d, const char *name, int64_t start, int64_t end)
{
  memcpy(s->trace_id, d->context.trace_id, DL_TRACE_ID_SIZE);
  s->trace_state = dl_str_of(d->context.tracestate);
  /* OTLP flags: the W3C flags, and bit 8 saying whether the parent is
     remote is known (children: local). */
  s->flags = 0x100 | d->context.flags;
  s->name = dl_str_of(name);
  s->kind = 1; /* INTERNAL */
  s->start = start;
  s->end = end;
}

/* A child of the deployment span with a fresh span id. */
static int
child_span(dl_span *s, const dl_deployment *d, const char *name, int64_t start, int64_t end,
           dl_error *err)
{
  fill_span(s, d, name, start, end);
  s->has_parent = 1;
  memcpy(s->parent_span_id, d->context.span_id, DL_SPAN_ID_SIZE);
  return dl_span_id_generate(s->span_id, err);
}

static int
build_end(dl_arena *a, dl_span *s, const dl_deployment *d, const dl_history_entry *h, size_t nh,
          const dl_trace_context *links, size_t n_links)
{
  int64_t end = d->completed != DL_TIME_NONE ? d->completed : dl_time_now();
  fill_span(s, d, "deployment", d->started, end);
  memcpy(s->span_id, d->context.span_id, DL_SPAN_ID_SIZE);
  s->has_parent = d->has_parent;
  memcpy(s->parent_span_id, d->parent_span_id, DL_SPAN_ID_SIZE);
  if (d->has_parent)
    s->flags |= 0x200; /* the pipeline's span is remote */
  attrs list = {0};
  int rc = common_attributes(a, &list, d);
  /* The deployment's own status, as on its events: the semantic
     conventions' succeeded and failed, and also pending, in-progress and
     rolled-back (a rollback is not reported as a plain failure). */
  rc |= add_str(a, &list, "deployment.status", dl_deploy_status_name(d->status));
  rc |= add_str(a, &list, "deployment.type", dl_deploy_type_name(d->type));
  rc |= add_str(a, &list, "vcs.ref.head.revision", d->commit);
  rc |= add_str(a, &list, "deploy_ledger.previous_version", d->previous_version);
  rc |= add_str(a, &list, "enduser.id", d->actor);
  if (d->n_regions) { /* one array attribute: a region name may hold a comma */
    dl_value *items = dl_arena_alloc(a, d->n_regions * sizeof *items);
    if (!items)
      return -1;
    for (size_t r = 0; r < d->n_regions; r++)
      items[r] = dl_value_string(dl_arena_strdup(a, d->regions[r]));
    dl_value v = {.kind = DL_VALUE_ARRAY};
    v.u.array.items = items;
    v.u.array.n = d->n_regions;
    rc |= add(a, &list, "deploy_ledger.regions", v);
  }
  for (size_t i = 0; i < d->n_attributes; i++)
    rc |= add_str(a, &list, d->attributes[i].key, d->attributes[i].value);
  s->attrs = list.kv;
  s->n_attrs = list.n;

  /* An event per status transition, and per policy rule that fired. */
  size_t ne = 0;
  dl_span_event *events = dl_arena_alloc(a, (nh ? nh : 1) * sizeof *events);
  if (!events)
    return -1;
  const size_t fired_len = strlen(DL_POLICY_FIRED_PREFIX);
  for (size_t i = 0; i < nh; i++) {
    attrs ev = {0};
    if (h[i].kind == DL_HISTORY_ATTRIBUTE && h[i].key &&
        strncmp(h[i].key, DL_POLICY_FIRED_PREFIX, fired_len) == 0) {
      rc |= add_str(a, &ev, "deploy_ledger.rule", h[i].key + fired_len);
      rc |= add_str(a, &ev, "deploy_ledger.reason", h[i].value);
      rc |= add_str(a, &ev, "enduser.id", h[i].actor);
      events[ne].time = h[i].at;
      events[ne].name = dl_str_of("deploy_ledger.policy.fired");
      events[ne].attrs = ev.kv;
      events[ne].n_attrs = ev.n;
      ne++;
      continue;
    }
    if (h[i].kind != DL_HISTORY_CREATED && h[i].kind != DL_HISTORY_STATUS)
      continue;
    rc |= add_str(a, &ev, "deployment.status", dl_deploy_status_name(h[i].status));
    rc |= add_str(a, &ev, "enduser.id", h[i].actor);
    rc |= add_str(a, &ev, "deploy_ledger.reason", h[i].reason);
    events[ne].time = h[i].at;
    events[ne].name = dl_str_of(h[i].kind == DL_HISTORY_CREATED ? "deployment.created"
                                                                  : "deployment.status_change");
    events[ne].attrs = ev.kv;
    events[ne].n_attrs = ev.n;
    ne++;
  }
  s->events = events;
  s->n_events = ne;

  dl_span_link *lk = dl_arena_alloc(a, (n_links ? n_links : 1) * sizeof *lk);
  if (!lk)
    return -1;
  for (size_t i = 0; i < n_links; i++) {
    memcpy(lk[i].trace_id, links[i].trace_id, DL_TRACE_ID_SIZE);
    memcpy(lk[i].span_id, links[i].span_id, DL_SPAN_ID_SIZE);
    lk[i].trace_state = dl_str_of(dl_arena_strdup(a, links[i].tracestate));
    lk[i].flags = links[i].flags;
  }
  s->links = lk;
  s->n_links = n_links;

  if (dl_deploy_status_is_final(d->status)) {
    s->has_status = 1;
    s->status_code = d->status == DL_STATUS_SUCCEEDED ? DL_STATUS_CODE_OK : DL_STATUS_CODE_ERROR;
    for (size_t i = nh; i-- > 0;) /* the reason of the last transition */
      if (h[i].kind == DL_HISTORY_STATUS && h[i].reason && s->status_code == DL_STATUS_CODE_ERROR) {
        s->status_message = dl_str_of(dl_arena_strdup(a, h[i].reason));
        break;
      }
  }
  return rc ? -1 : 0;
}

static int
is_region(const dl_deployment *d, const char *name)
{
  for (size_t i = 0; i < d->n_regions; i++)
    if (strcmp(d->regions[i], name) == 0)
      return 1;
  return 0;
}

static int
build_stage(dl_arena *a, dl_span *s, const dl_deployment *d, const dl_history_entry *h, size_t nh,
            const char *stage, dl_error *err)
{
  int64_t start = d->started, end = DL_TIME_NONE;
  int status = -1, started = 0;
  for (size_t i = 0; i < nh; i++) {
    if (h[i].kind != DL_HISTORY_STAGE || !h[i].key || strcmp(h[i].key, stage) != 0)
      continue;
    if (h[i].status == DL_STATUS_IN_PROGRESS && !started) {
      start = h[i].at;
      started = 1;
    }
    if (h[i].status >= 0 && dl_deploy_status_is_final(h[i].status)) {
      end = h[i].at;
      status = h[i].status;
    }
  }
  if (end == DL_TIME_NONE)
    return dl_fail(err, DL_EINVAL, "stage \"%s\" of deployment %s has not completed", stage, d->id);
  char *name = dl_arena_alloc(a, strlen(stage) + 32);
  if (!name)
    return dl_fail(err, DL_ENOMEM, "out of memory");
  sprintf(name, "deployment.%s %s", is_region(d, stage) ? "region" : "stage", stage);
  int rc = child_span(s, d, name, start, end, err);
  if (rc)
    return rc;
  attrs list = {0};
  int bad = common_attributes(a, &list, d);
  bad |= add_str(a, &list, is_region(d, stage) ? "cloud.region" : "deploy_ledger.stage", stage);
  bad |= add_str(a, &list, "deployment.status", dl_deploy_status_name(status));
  s->attrs = list.kv;
  s->n_attrs = list.n;
  s->has_status = 1;
  s->status_code = status == DL_STATUS_SUCCEEDED ? DL_STATUS_CODE_OK : DL_STATUS_CODE_ERROR;
  return bad ? dl_fail(err, DL_ENOMEM, "out of memory") : DL_OK;
}

int
dl_deployment_spans(dl_arena *arena, const dl_deployment *d, const dl_history_entry *history,
                    size_t n_history, dl_span_part part, const char *stage,
                    const dl_trace_context *links, size_t n_links, const dl_resource_extra *extra,
                    dl_export_request *out, dl_error *err)
{
  if (!d->has_context)
    return dl_fail(err, DL_EINVAL, "deployment %s has no trace context", d->id ? d->id : "?");
  dl_span *span = dl_arena_alloc(arena, sizeof *span);
  dl_scope_spans *scope = dl_arena_alloc(arena, sizeof *scope);
  dl_resource_spans *rs = dl_arena_alloc(arena, sizeof *rs);
  if (!span || !scope || !rs)
    return dl_fail(err, DL_ENOMEM, "out of memory building spans");
  int rc = DL_OK;
  switch (part) {
  case DL_PART_START: {
    rc = child_span(span, d, "deployment.start", d->started, d->started + START_MARK_NS, err);
    attrs list = {0};
    if (!rc && (common_attributes(arena, &list, d)
                || add_str(arena, &list, "deployment.type", dl_deploy_type_name(d->type))
                || add_str(arena, &list, "deployment.status",
                           dl_deploy_status_name(DL_STATUS_IN_PROGRESS))))
      rc = dl_fail(err, DL_ENOMEM, "out of memory");
    span->attrs = list.kv;
    span->n_attrs = list.n;
    break;
  }
  case DL_PART_STAGE:
    rc = stage ? build_stage(arena, span, d, history, n_history, stage, err)
               : dl_fail(err, DL_EINVAL, "a stage span needs the stage's name");
    break;
  case DL_PART_END:
    if (build_end(arena, span, d, history, n_history, links, n_links))
      rc = dl_fail(err, DL_ENOMEM, "out of memory building spans");
    break;
  }
  if (rc)
    return rc;
  attrs res = {0};
  int bad = add_str(arena, &res, "service.name", d->service)
            | add_str(arena, &res, "service.version", d->version);
  for (size_t i = 0; extra && i < extra->n; i++) {
    dl_str k = extra->attrs[i].key;
    if ((k.len == 12 && memcmp(k.ptr, "service.name", 12) == 0)
        || (k.len == 15 && memcmp(k.ptr, "service.version", 15) == 0))
      continue; /* the deployment's own service and version win */
    bad |= add(arena, &res, dl_arena_strndup(arena, extra->attrs[i].key.ptr, extra->attrs[i].key.len),
               extra->attrs[i].value);
  }
  if (bad)
    return dl_fail(err, DL_ENOMEM, "out of memory");
  scope->has_scope = 1;
  scope->scope_name = dl_str_of(SCOPE_NAME);
  scope->scope_version = dl_str_of(PACKAGE_VERSION);
  scope->spans = span;
  scope->n_spans = 1;
  rs->has_resource = 1;
  rs->resource_attrs = res.kv;
  rs->n_resource_attrs = res.n;
  rs->scopes = scope;
  rs->n_scopes = 1;
  out->resources = rs;
  out->n_resources = 1;
  return DL_OK;
}

typedef struct resource_list {
  dl_arena *arena;
  attrs list;
} resource_list;

static int
add_resource(void *ctx, const char *key, const char *value, dl_error *err)
{
  resource_list *r = ctx;
  const char *v = dl_arena_strdup(r->arena, value);
  if (!v || add(r->arena, &r->list, key, dl_value_string(v)))
    return dl_fail(err, DL_ENOMEM, "out of memory");
  return DL_OK;
}

int
dl_resource_attributes_parse(dl_arena *arena, const char *text, dl_resource_extra *out,
                             dl_error *err)
{
  resource_list r = {arena, {0}};
  int rc = dl_kv_list_parse(text, "OTEL_RESOURCE_ATTRIBUTES", 0, add_resource, &r, err);
  if (rc)
    return rc;
  out->attrs = r.list.kv;
  out->n = r.list.n;
  return DL_OK;
}
