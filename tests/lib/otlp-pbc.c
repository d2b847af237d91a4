/* Test support: the span model to and from protobuf-c's generated OTLP
   messages, and randomized requests.  Used by the encoder test and
   bench/encode, never by the library. */
#include "otlp-pbc.h"
#include "seeded-random.h"

#include <stdlib.h>
#include <string.h>

#define NEW(a, type, init) ({ type *p_ = dl_arena_alloc(a, sizeof(type)); type t_ = init; *p_ = t_; p_; })
#define ARRAY(a, type, n) ((type *) dl_arena_alloc(a, sizeof(type) * ((n) ? (n) : 1)))

static char *
cstr(dl_arena *a, dl_str s)
{
  return dl_arena_strndup(a, s.ptr ? s.ptr : "", s.len);
}

static ProtobufCBinaryData
bin(dl_arena *a, const void *p, size_t n)
{
  ProtobufCBinaryData b = {n, n ? dl_arena_alloc(a, n) : NULL};
  if (n)
    memcpy(b.data, p, n);
  return b;
}

static PbKeyValue **kvs_to_pbc(dl_arena *a, const dl_kv *kvs, size_t n);

static PbAnyValue *
value_to_pbc(dl_arena *a, const dl_value *v)
{
  PbAnyValue *pv = NEW(a, PbAnyValue, OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__INIT);
  switch (v->kind) {
  case DL_VALUE_EMPTY:
    break;
  case DL_VALUE_STRING:
    pv->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE;
    pv->string_value = cstr(a, v->u.str);
    break;
  case DL_VALUE_BYTES:
    pv->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BYTES_VALUE;
    pv->bytes_value = bin(a, v->u.str.ptr, v->u.str.len);
    break;
  case DL_VALUE_BOOL:
    pv->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE;
    pv->bool_value = v->u.boolean;
    break;
  case DL_VALUE_INT:
    pv->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE;
    pv->int_value = v->u.integer;
    break;
  case DL_VALUE_DOUBLE:
    pv->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE;
    pv->double_value = v->u.real;
    break;
  case DL_VALUE_ARRAY: {
    PbArrayValue *arr = NEW(a, PbArrayValue, OPENTELEMETRY__PROTO__COMMON__V1__ARRAY_VALUE__INIT);
    arr->n_values = v->u.array.n;
    arr->values = ARRAY(a, PbAnyValue *, v->u.array.n);
    for (size_t i = 0; i < v->u.array.n; i++)
      arr->values[i] = value_to_pbc(a, &v->u.array.items[i]);
    pv->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_ARRAY_VALUE;
    pv->array_value = arr;
    break;
  }
  case DL_VALUE_KVLIST: {
    PbKeyValueList *l = NEW(a, PbKeyValueList, OPENTELEMETRY__PROTO__COMMON__V1__KEY_VALUE_LIST__INIT);
    l->n_values = v->u.kvlist.n;
    l->values = kvs_to_pbc(a, v->u.kvlist.items, v->u.kvlist.n);
    pv->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_KVLIST_VALUE;
    pv->kvlist_value = l;
    break;
  }
  }
  return pv;
}

static PbKeyValue **
kvs_to_pbc(dl_arena *a, const dl_kv *kvs, size_t n)
{
  PbKeyValue **out = ARRAY(a, PbKeyValue *, n);
  for (size_t i = 0; i < n; i++) {
    out[i] = NEW(a, PbKeyValue, OPENTELEMETRY__PROTO__COMMON__V1__KEY_VALUE__INIT);
    out[i]->key = cstr(a, kvs[i].key);
    out[i]->value = value_to_pbc(a, &kvs[i].value);
  }
  return out;
}

static PbSpan *
span_to_pbc(dl_arena *a, const dl_span *s)
{
  PbSpan *p = NEW(a, PbSpan, OPENTELEMETRY__PROTO__TRACE__V1__SPAN__INIT);
  p->trace_id = bin(a, s->trace_id, 16);
  p->span_id = bin(a, s->span_id, 8);
  p->trace_state = cstr(a, s->trace_state);
  if (s->has_parent)
    p->parent_span_id = bin(a, s->parent_span_id, 8);
  p->flags = s->flags;
  p->name = cstr(a, s->name);
  p->kind = s->kind;
  p->start_time_unix_nano = (uint64_t) s->start;
  p->end_time_unix_nano = (uint64_t) s->end;
  p->n_attributes = s->n_attrs;
  p->attributes = kvs_to_pbc(a, s->attrs, s->n_attrs);
  p->dropped_attributes_count = s->dropped_attrs;
  p->n_events = s->n_events;
  p->events = ARRAY(a, PbEvent *, s->n_events);
  for (size_t i = 0; i < s->n_events; i++) {
    PbEvent *e = NEW(a, PbEvent, OPENTELEMETRY__PROTO__TRACE__V1__SPAN__EVENT__INIT);
    e->time_unix_nano = (uint64_t) s->events[i].time;
    e->name = cstr(a, s->events[i].name);
    e->n_attributes = s->events[i].n_attrs;
    e->attributes = kvs_to_pbc(a, s->events[i].attrs, s->events[i].n_attrs);
    e->dropped_attributes_count = s->events[i].dropped_attrs;
    p->events[i] = e;
  }
  p->dropped_events_count = s->dropped_events;
  p->n_links = s->n_links;
  p->links = ARRAY(a, PbLink *, s->n_links);
  for (size_t i = 0; i < s->n_links; i++) {
    PbLink *l = NEW(a, PbLink, OPENTELEMETRY__PROTO__TRACE__V1__SPAN__LINK__INIT);
    l->trace_id = bin(a, s->links[i].trace_id, 16);
    l->span_id = bin(a, s->links[i].span_id, 8);
    l->trace_state = cstr(a, s->links[i].trace_state);
    l->n_attributes = s->links[i].n_attrs;
    l->attributes = kvs_to_pbc(a, s->links[i].attrs, s->links[i].n_attrs);
    l->dropped_attributes_count = s->links[i].dropped_attrs;
    l->flags = s->links[i].flags;
    p->links[i] = l;
  }
  p->dropped_links_count = s->dropped_links;
  if (s->has_status) {
    p->status = NEW(a, PbStatus, OPENTELEMETRY__PROTO__TRACE__V1__STATUS__INIT);
    p->status->message = cstr(a, s->status_message);
    p->status->code = s->status_code;
  }
  return p;
}

PbRequest *
pbc_from_model(dl_arena *a, const dl_export_request *req)
{
  PbRequest *m = NEW(a, PbRequest,
                     OPENTELEMETRY__PROTO__COLLECTOR__TRACE__V1__EXPORT_TRACE_SERVICE_REQUEST__INIT);
  m->n_resource_spans = req->n_resources;
  m->resource_spans = ARRAY(a, PbResourceSpans *, req->n_resources);
  for (size_t r = 0; r < req->n_resources; r++) {
    const dl_resource_spans *rs = &req->resources[r];
    PbResourceSpans *prs = NEW(a, PbResourceSpans, OPENTELEMETRY__PROTO__TRACE__V1__RESOURCE_SPANS__INIT);
    if (rs->has_resource) {
      prs->resource = NEW(a, PbResource, OPENTELEMETRY__PROTO__RESOURCE__V1__RESOURCE__INIT);
      prs->resource->n_attributes = rs->n_resource_attrs;
      prs->resource->attributes = kvs_to_pbc(a, rs->resource_attrs, rs->n_resource_attrs);
      prs->resource->dropped_attributes_count = rs->resource_dropped_attrs;
    }
    prs->schema_url = cstr(a, rs->schema_url);
    prs->n_scope_spans = rs->n_scopes;
    prs->scope_spans = ARRAY(a, PbScopeSpans *, rs->n_scopes);
    for (size_t c = 0; c < rs->n_scopes; c++) {
      const dl_scope_spans *ss = &rs->scopes[c];
      PbScopeSpans *pss = NEW(a, PbScopeSpans, OPENTELEMETRY__PROTO__TRACE__V1__SCOPE_SPANS__INIT);
      if (ss->has_scope) {
        pss->scope = NEW(a, PbScope, OPENTELEMETRY__PROTO__COMMON__V1__INSTRUMENTATION_SCOPE__INIT);
        pss->scope->name = cstr(a, ss->scope_name);
        pss->scope->version = cstr(a, ss->scope_version);
        pss->scope->n_attributes = ss->n_scope_attrs;
        pss->scope->attributes = kvs_to_pbc(a, ss->scope_attrs, ss->n_scope_attrs);
        pss->scope->dropped_attributes_count = ss->scope_dropped_attrs;
      }
      pss->schema_url = cstr(a, ss->schema_url);
      pss->n_spans = ss->n_spans;
      pss->spans = ARRAY(a, PbSpan *, ss->n_spans);
      for (size_t i = 0; i < ss->n_spans; i++)
        pss->spans[i] = span_to_pbc(a, &ss->spans[i]);
      prs->scope_spans[c] = pss;
    }
    m->resource_spans[r] = prs;
  }
  return m;
}

/* From protobuf-c to the model */

static dl_str
str_of(dl_arena *a, const char *s)
{
  dl_str r = {s ? dl_arena_strdup(a, s) : NULL, s ? strlen(s) : 0};
  return r;
}

static dl_kv *kvs_from_pbc(dl_arena *a, PbKeyValue **kvs, size_t n);

static void
value_from_pbc(dl_arena *a, const PbAnyValue *pv, dl_value *v)
{
  memset(v, 0, sizeof *v);
  if (!pv)
    return;
  switch (pv->value_case) {
  case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE:
    v->kind = DL_VALUE_STRING;
    v->u.str = str_of(a, pv->string_value);
    break;
  case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BYTES_VALUE:
    v->kind = DL_VALUE_BYTES;
    v->u.str.ptr = dl_arena_strndup(a, (const char *) pv->bytes_value.data, pv->bytes_value.len);
    v->u.str.len = pv->bytes_value.len;
    break;
  case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE:
    v->kind = DL_VALUE_BOOL;
    v->u.boolean = pv->bool_value;
    break;
  case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE:
    v->kind = DL_VALUE_INT;
    v->u.integer = pv->int_value;
    break;
  case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE:
    v->kind = DL_VALUE_DOUBLE;
    v->u.real = pv->double_value;
    break;
  case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_ARRAY_VALUE: {
    v->kind = DL_VALUE_ARRAY;
    size_t n = pv->array_value ? pv->array_value->n_values : 0;
    dl_value *items = ARRAY(a, dl_value, n);
    for (size_t i = 0; i < n; i++)
      value_from_pbc(a, pv->array_value->values[i], &items[i]);
    v->u.array.items = items;
    v->u.array.n = n;
    break;
  }
  case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_KVLIST_VALUE:
    v->kind = DL_VALUE_KVLIST;
    v->u.kvlist.n = pv->kvlist_value ? pv->kvlist_value->n_values : 0;
    v->u.kvlist.items = kvs_from_pbc(a, pv->kvlist_value ? pv->kvlist_value->values : NULL,
                                     v->u.kvlist.n);
    break;
  default:
    break;
  }
}

static dl_kv *
kvs_from_pbc(dl_arena *a, PbKeyValue **kvs, size_t n)
{
  dl_kv *out = ARRAY(a, dl_kv, n);
  for (size_t i = 0; i < n; i++) {
    out[i].key = str_of(a, kvs[i]->key);
    value_from_pbc(a, kvs[i]->value, &out[i].value);
  }
  return out;
}

static void
copy_id(uint8_t *dst, ProtobufCBinaryData b, size_t n)
{
  memset(dst, 0, n);
  memcpy(dst, b.data, b.len < n ? b.len : n);
}

int
model_from_pbc(dl_arena *a, PbResourceSpans **rss, size_t n_rss, dl_export_request *out)
{
  dl_resource_spans *res = ARRAY(a, dl_resource_spans, n_rss);
  for (size_t r = 0; r < n_rss; r++) {
    PbResourceSpans *prs = rss[r];
    dl_resource_spans *rs = &res[r];
    if (prs->resource) {
      rs->has_resource = 1;
      rs->n_resource_attrs = prs->resource->n_attributes;
      rs->resource_attrs = kvs_from_pbc(a, prs->resource->attributes, prs->resource->n_attributes);
      rs->resource_dropped_attrs = prs->resource->dropped_attributes_count;
    }
    rs->schema_url = str_of(a, prs->schema_url);
    dl_scope_spans *scopes = ARRAY(a, dl_scope_spans, prs->n_scope_spans);
    for (size_t c = 0; c < prs->n_scope_spans; c++) {
      PbScopeSpans *pss = prs->scope_spans[c];
      dl_scope_spans *ss = &scopes[c];
      if (pss->scope) {
        ss->has_scope = 1;
        ss->scope_name = str_of(a, pss->scope->name);
        ss->scope_version = str_of(a, pss->scope->version);
        ss->n_scope_attrs = pss->scope->n_attributes;
        ss->scope_attrs = kvs_from_pbc(a, pss->scope->attributes, pss->scope->n_attributes);
        ss->scope_dropped_attrs = pss->scope->dropped_attributes_count;
      }
      ss->schema_url = str_of(a, pss->schema_url);
      dl_span *spans = ARRAY(a, dl_span, pss->n_spans);
      for (size_t i = 0; i < pss->n_spans; i++) {
        PbSpan *p = pss->spans[i];
        dl_span *s = &spans[i];
        copy_id(s->trace_id, p->trace_id, 16);
        copy_id(s->span_id, p->span_id, 8);
        s->has_parent = p->parent_span_id.len > 0;
        copy_id(s->parent_span_id, p->parent_span_id, 8);
        s->trace_state = str_of(a, p->trace_state);
        s->flags = p->flags;
        s->name = str_of(a, p->name);
        s->kind = p->kind;
        s->start = (int64_t) p->start_time_unix_nano;
        s->end = (int64_t) p->end_time_unix_nano;
        s->n_attrs = p->n_attributes;
        s->attrs = kvs_from_pbc(a, p->attributes, p->n_attributes);
        s->dropped_attrs = p->dropped_attributes_count;
        dl_span_event *events = ARRAY(a, dl_span_event, p->n_events);
        for (size_t e = 0; e < p->n_events; e++) {
          events[e].time = (int64_t) p->events[e]->time_unix_nano;
          events[e].name = str_of(a, p->events[e]->name);
          events[e].n_attrs = p->events[e]->n_attributes;
          events[e].attrs = kvs_from_pbc(a, p->events[e]->attributes, p->events[e]->n_attributes);
          events[e].dropped_attrs = p->events[e]->dropped_attributes_count;
        }
        s->events = events;
        s->n_events = p->n_events;
        s->dropped_events = p->dropped_events_count;
        dl_span_link *links = ARRAY(a, dl_span_link, p->n_links);
        for (size_t l = 0; l < p->n_links; l++) {
          copy_id(links[l].trace_id, p->links[l]->trace_id, 16);
          copy_id(links[l].span_id, p->links[l]->span_id, 8);
          links[l].trace_state = str_of(a, p->links[l]->trace_state);
          links[l].n_attrs = p->links[l]->n_attributes;
          links[l].attrs = kvs_from_pbc(a, p->links[l]->attributes, p->links[l]->n_attributes);
          links[l].dropped_attrs = p->links[l]->dropped_attributes_count;
          links[l].flags = p->links[l]->flags;
        }
        s->links = links;
        s->n_links = p->n_links;
        s->dropped_links = p->dropped_links_count;
        if (p->status) {
          s->has_status = 1;
          s->status_code = p->status->code;
          s->status_message = str_of(a, p->status->message);
        }
      }
      ss->spans = spans;
      ss->n_spans = pss->n_spans;
    }
    rs->scopes = scopes;
    rs->n_scopes = prs->n_scope_spans;
  }
  out->resources = res;
  out->n_resources = n_rss;
  return 0;
}

/* Randomized requests */

/* Random printable bytes to take strings from (no NUL: protobuf-c's
   strings are C strings). */
static char pool[1 << 17];

static dl_str
random_str(dl_arena *a, uint64_t *s)
{
  static const size_t lengths[] = {0, 1, 5, 12, 40, 127, 128, 300, 16384, 70000};
  (void) a;
  if (!pool[0]) {
    uint64_t fill = 88172645463325252ULL;
    for (size_t i = 0; i < sizeof pool; i++)
      pool[i] = (char) (1 + random_next(&fill) % 126);
  }
  size_t r = random_below(s, 100);
  size_t len = r < 20 ? 0 : r < 97 ? random_below(s, 24) : lengths[random_below(s, 10)];
  dl_str out = {pool + random_below(s, sizeof pool - len), len};
  return out;
}

static void random_kvs(dl_arena *a, uint64_t *s, int depth, const dl_kv **out, size_t *n);

static void
random_value(dl_arena *a, uint64_t *s, int depth, dl_value *v)
{
  memset(v, 0, sizeof *v);
  v->kind = (dl_value_kind) random_below(s, depth > 2 ? 5 : 8);
  if (v->kind == DL_VALUE_ARRAY || v->kind == DL_VALUE_KVLIST) {
    if (depth > 2)
      v->kind = DL_VALUE_STRING;
  }
  switch (v->kind) {
  case DL_VALUE_EMPTY:
    break;
  case DL_VALUE_STRING:
  case DL_VALUE_BYTES:
    v->u.str = random_str(a, s);
    break;
  case DL_VALUE_BOOL:
    v->u.boolean = (int) random_below(s, 2);
    break;
  case DL_VALUE_INT: {
    static const int64_t special[] = {0, 1, -1, 127, 128, INT64_MAX, INT64_MIN, 1 << 20};
    v->u.integer = random_below(s, 3) ? (int64_t) random_next(s) >> random_below(s, 63)
                                      : special[random_below(s, 8)];
    break;
  }
  case DL_VALUE_DOUBLE: {
    static const double special[] = {0.0, -0.0, 1.5, -2.25e300, 1e-310};
    v->u.real = random_below(s, 2) ? (double) (int64_t) random_next(s) / 1e6 : special[random_below(s, 5)];
    break;
  }
  case DL_VALUE_ARRAY: {
    size_t n = random_below(s, 5);
    dl_value *items = ARRAY(a, dl_value, n);
    for (size_t i = 0; i < n; i++)
      random_value(a, s, depth + 1, &items[i]);
    v->u.array.items = items;
    v->u.array.n = n;
    break;
  }
  case DL_VALUE_KVLIST:
    random_kvs(a, s, depth + 1, &v->u.kvlist.items, &v->u.kvlist.n);
    break;
  }
}

static void
random_kvs(dl_arena *a, uint64_t *s, int depth, const dl_kv **out, size_t *n)
{
  size_t count = depth == 0 && random_below(s, 20) == 0 ? 40 + random_below(s, 60)
                                                        : random_below(s, depth ? 3 : 8);
  dl_kv *kvs = ARRAY(a, dl_kv, count);
  for (size_t i = 0; i < count; i++) {
    kvs[i].key = random_str(a, s);
    random_value(a, s, depth, &kvs[i].value);
  }
  *out = kvs;
  *n = count;
}

static void
random_bytes(uint64_t *s, uint8_t *p, size_t n)
{
  for (size_t i = 0; i < n; i++)
    p[i] = (uint8_t) random_next(s);
}

/* A dropped count or flags: zero two times in three. */
static uint32_t
random_count(uint64_t *s)
{
  return random_below(s, 3) ? 0 : (uint32_t) (random_next(s) >> random_below(s, 32));
}

void
random_request(dl_arena *a, uint64_t *s, dl_export_request *out)
{
  size_t nr = random_below(s, 3) + (random_below(s, 8) == 0 ? 0 : 1);
  dl_resource_spans *res = ARRAY(a, dl_resource_spans, nr);
  for (size_t r = 0; r < nr; r++) {
    dl_resource_spans *rs = &res[r];
    rs->has_resource = (int) random_below(s, 4) != 0;
    random_kvs(a, s, 0, &rs->resource_attrs, &rs->n_resource_attrs);
    if (!rs->has_resource)
      rs->n_resource_attrs = 0;
    rs->resource_dropped_attrs = rs->has_resource ? random_count(s) : 0;
    rs->schema_url = random_below(s, 2) ? random_str(a, s) : (dl_str){NULL, 0};
    size_t nc = random_below(s, 3);
    dl_scope_spans *scopes = ARRAY(a, dl_scope_spans, nc);
    for (size_t c = 0; c < nc; c++) {
      dl_scope_spans *ss = &scopes[c];
      ss->has_scope = (int) random_below(s, 3) != 0;
      if (ss->has_scope) {
        ss->scope_name = random_str(a, s);
        ss->scope_version = random_str(a, s);
        random_kvs(a, s, 0, &ss->scope_attrs, &ss->n_scope_attrs);
        ss->scope_dropped_attrs = random_count(s);
      }
      ss->schema_url = random_below(s, 2) ? random_str(a, s) : (dl_str){NULL, 0};
      size_t ns = random_below(s, 6);
      dl_span *spans = ARRAY(a, dl_span, ns);
      for (size_t i = 0; i < ns; i++) {
        dl_span *sp = &spans[i];
        random_bytes(s, sp->trace_id, 16);
        random_bytes(s, sp->span_id, 8);
        sp->has_parent = (int) random_below(s, 2);
        random_bytes(s, sp->parent_span_id, 8);
        sp->trace_state = random_below(s, 2) ? random_str(a, s) : (dl_str){NULL, 0};
        sp->flags = random_count(s);
        sp->name = random_str(a, s);
        sp->kind = (int) random_below(s, 6);
        sp->start = random_below(s, 5) ? (int64_t) (random_next(s) >> 2) : 0;
        sp->end = random_below(s, 5) ? (int64_t) (random_next(s) >> 2) : 0;
        random_kvs(a, s, 0, &sp->attrs, &sp->n_attrs);
        sp->dropped_attrs = random_count(s);
        size_t ne = random_below(s, 4);
        dl_span_event *ev = ARRAY(a, dl_span_event, ne);
        for (size_t e = 0; e < ne; e++) {
          ev[e].time = random_below(s, 4) ? (int64_t) (random_next(s) >> 2) : 0;
          ev[e].name = random_str(a, s);
          random_kvs(a, s, 0, &ev[e].attrs, &ev[e].n_attrs);
          ev[e].dropped_attrs = random_count(s);
        }
        sp->events = ev;
        sp->n_events = ne;
        sp->dropped_events = random_count(s);
        size_t nl = random_below(s, 3);
        dl_span_link *lk = ARRAY(a, dl_span_link, nl);
        for (size_t l = 0; l < nl; l++) {
          random_bytes(s, lk[l].trace_id, 16);
          random_bytes(s, lk[l].span_id, 8);
          lk[l].trace_state = random_below(s, 2) ? random_str(a, s) : (dl_str){NULL, 0};
          random_kvs(a, s, 0, &lk[l].attrs, &lk[l].n_attrs);
          lk[l].dropped_attrs = random_count(s);
          lk[l].flags = random_count(s);
        }
        sp->links = lk;
        sp->n_links = nl;
        sp->dropped_links = random_count(s);
        sp->has_status = (int) random_below(s, 2);
        sp->status_code = (int) random_below(s, 3);
        sp->status_message = random_below(s, 2) ? random_str(a, s) : (dl_str){NULL, 0};
      }
      ss->spans = spans;
      ss->n_spans = ns;
    }
    rs->scopes = scopes;
    rs->n_scopes = nc;
  }
  out->resources = res;
  out->n_resources = nr;
}
