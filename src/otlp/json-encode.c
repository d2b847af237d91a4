/* The OTLP/JSON encoder, after the OTLP specification's JSON mapping. */
#include "deploy-ledger/otlp-encode.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct buf {
  char *data;
  size_t len, cap;
  int failed;
} buf;

static void
reserve(buf *b, size_t more)
{
  if (b->failed || b->len + more + 1 <= b->cap)
    return;
  size_t cap = b->cap ? b->cap : 1024;
  while (cap < b->len + more + 1)
    cap *= 2;
  char *grown = realloc(b->data, cap);
  if (!grown) {
    b->failed = 1;
    return;
  }
  b->data = grown;
  b->cap = cap;
}

static void
put(buf *b, const char *s, size_t n)
{
  reserve(b, n);
  if (b->failed)
    return;
  memcpy(b->data + b->len, s, n);
  b->len += n;
}

static void
puts_(buf *b, const char *s)
{
  put(b, s, strlen(s));
}

static void
putf(buf *b, const char *fmt, ...)
{
  char tmp[64];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  put(b, tmp, (size_t) n);
}

/* A JSON string literal; invalid UTF-8 is passed through byte by byte, as
   the caller gave it (OTLP strings must be UTF-8). */
static void
put_string(buf *b, dl_str s)
{
  static const char hex[] = "0123456789abcdef";
  reserve(b, s.len * 6 + 2);
  if (b->failed)
    return;
  char *p = b->data + b->len;
  *p++ = '"';
  for (size_t i = 0; i < s.len; i++) {
    unsigned char c = (unsigned char) s.ptr[i];
    if (c == '"' || c == '\\') {
      *p++ = '\\';
      *p++ = (char) c;
    } else if (c == '\n') {
      *p++ = '\\';
      *p++ = 'n';
    } else if (c == '\t') {
      *p++ = '\\';
      *p++ = 't';
    } else if (c == '\r') {
      *p++ = '\\';
      *p++ = 'r';
    } else if (c < 0x20) {
      memcpy(p, "\\u00", 4);
      p[4] = hex[c >> 4];
      p[5] = hex[c & 15];
      p += 6;
    } else {
      *p++ = (char) c;
    }
  }
  *p++ = '"';
  b->len = (size_t) (p - b->data);
}

static void
put_key(buf *b, const char *key, int *first)
{
  if (!*first)
    put(b, ",", 1);
  *first = 0;
  put(b, "\"", 1);
  puts_(b, key);
  put(b, "\":", 2);
}

static void
put_hex(buf *b, const uint8_t *id, size_t n)
{
  char hex[33];
  put(b, "\"", 1);
  put(b, dl_hex_encode(id, n, hex), 2 * n);
  put(b, "\"", 1);
}

static void
put_base64(buf *b, dl_str s)
{
  static const char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const unsigned char *p = (const unsigned char *) s.ptr;
  put(b, "\"", 1);
  for (size_t i = 0; i < s.len; i += 3) {
    unsigned v = p[i] << 16 | (i + 1 < s.len ? p[i + 1] << 8 : 0) | (i + 2 < s.len ? p[i + 2] : 0);
    char out[4] = {table[v >> 18 & 63], table[v >> 12 & 63],
                   i + 1 < s.len ? table[v >> 6 & 63] : '=', i + 2 < s.len ? table[v & 63] : '='};
    put(b, out, 4);
  }
  put(b, "\"", 1);
}

static void put_kvs(buf *b, const char *key, const dl_kv *kvs, size_t n, int *first);

static void
put_value(buf *b, const dl_value *v)
{
  int first = 1;
  put(b, "{", 1);
  switch (v->kind) {
  case DL_VALUE_EMPTY:
    break;
  case DL_VALUE_STRING:
    put_key(b, "stringValue", &first);
    put_string(b, v->u.str);
    break;
  case DL_VALUE_BYTES:
    put_key(b, "bytesValue", &first);
    put_base64(b, v->u.str);
    break;
  case DL_VALUE_BOOL:
    put_key(b, "boolValue", &first);
    puts_(b, v->u.boolean ? "true" : "false");
    break;
  case DL_VALUE_INT:
    put_key(b, "intValue", &first);
    putf(b, "\"%" PRId64 "\"", v->u.integer);
    break;
  case DL_VALUE_DOUBLE:
    put_key(b, "doubleValue", &first);
    if (isnan(v->u.real))
      puts_(b, "\"NaN\"");
    else if (isinf(v->u.real))
      puts_(b, v->u.real > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    else
      putf(b, "%.17g", v->u.real);
    break;
  case DL_VALUE_ARRAY: {
    put_key(b, "arrayValue", &first);
    put(b, "{\"values\":[", 11);
    for (size_t i = 0; i < v->u.array.n; i++) {
      if (i)
        put(b, ",", 1);
      put_value(b, &v->u.array.items[i]);
    }
    put(b, "]}", 2);
    break;
  }
  case DL_VALUE_KVLIST: {
    int inner = 1;
    put_key(b, "kvlistValue", &first);
    put(b, "{", 1);
    put_kvs(b, "values", v->u.kvlist.items, v->u.kvlist.n, &inner);
    put(b, "}", 1);
    break;
  }
  }
  put(b, "}", 1);
}

/* "KEY":[{"key":..,"value":{..}},..] when N > 0. */
static void
put_kvs(buf *b, const char *key, const dl_kv *kvs, size_t n, int *first)
{
  if (!n)
    return;
  put_key(b, key, first);
  put(b, "[", 1);
  for (size_t i = 0; i < n; i++) {
    int f = 1;
    if (i)
      put(b, ",", 1);
    put(b, "{", 1);
    put_key(b, "key", &f);
    put_string(b, kvs[i].key);
    put_key(b, "value", &f);
    put_value(b, &kvs[i].value);
    put(b, "}", 1);
  }
  put(b, "]", 1);
}

static void
put_opt_string(buf *b, const char *key, dl_str s, int *first)
{
  if (s.len) {
    put_key(b, key, first);
    put_string(b, s);
  }
}

static void
put_opt_uint(buf *b, const char *key, uint64_t v, int *first)
{
  if (v) {
    put_key(b, key, first);
    putf(b, "%" PRIu64, v);
  }
}

static void
put_opt_time(buf *b, const char *key, int64_t ns, int *first)
{
  if (ns) {
    put_key(b, key, first);
    putf(b, "\"%" PRIu64 "\"", (uint64_t) ns);
  }
}

static void
put_span(buf *b, const dl_span *sp)
{
  int first = 1;
  put(b, "{", 1);
  put_key(b, "traceId", &first);
  put_hex(b, sp->trace_id, DL_TRACE_ID_SIZE);
  put_key(b, "spanId", &first);
  put_hex(b, sp->span_id, DL_SPAN_ID_SIZE);
  put_opt_string(b, "traceState", sp->trace_state, &first);
  if (sp->has_parent) {
    put_key(b, "parentSpanId", &first);
    put_hex(b, sp->parent_span_id, DL_SPAN_ID_SIZE);
  }
  put_opt_uint(b, "flags", sp->flags, &first);
  put_opt_string(b, "name", sp->name, &first);
  put_opt_uint(b, "kind", (uint64_t) sp->kind, &first);
  put_opt_time(b, "startTimeUnixNano", sp->start, &first);
  put_opt_time(b, "endTimeUnixNano", sp->end, &first);
  put_kvs(b, "attributes", sp->attrs, sp->n_attrs, &first);
  put_opt_uint(b, "droppedAttributesCount", sp->dropped_attrs, &first);
  if (sp->n_events) {
    put_key(b, "events", &first);
    put(b, "[", 1);
    for (size_t i = 0; i < sp->n_events; i++) {
      const dl_span_event *e = &sp->events[i];
      int f = 1;
      put(b, i ? ",{" : "{", i ? 2 : 1);
      put_opt_time(b, "timeUnixNano", e->time, &f);
      put_opt_string(b, "name", e->name, &f);
      put_kvs(b, "attributes", e->attrs, e->n_attrs, &f);
      put_opt_uint(b, "droppedAttributesCount", e->dropped_attrs, &f);
      put(b, "}", 1);
    }
    put(b, "]", 1);
  }
  put_opt_uint(b, "droppedEventsCount", sp->dropped_events, &first);
  if (sp->n_links) {
    put_key(b, "links", &first);
    put(b, "[", 1);
    for (size_t i = 0; i < sp->n_links; i++) {
      const dl_span_link *l = &sp->links[i];
      int f = 1;
      put(b, i ? ",{" : "{", i ? 2 : 1);
      put_key(b, "traceId", &f);
      put_hex(b, l->trace_id, DL_TRACE_ID_SIZE);
      put_key(b, "spanId", &f);
      put_hex(b, l->span_id, DL_SPAN_ID_SIZE);
      put_opt_string(b, "traceState", l->trace_state, &f);
      put_kvs(b, "attributes", l->attrs, l->n_attrs, &f);
      put_opt_uint(b, "droppedAttributesCount", l->dropped_attrs, &f);
      put_opt_uint(b, "flags", l->flags, &f);
      put(b, "}", 1);
    }
    put(b, "]", 1);
  }
  put_opt_uint(b, "droppedLinksCount", sp->dropped_links, &first);
  if (sp->has_status) {
    int f = 1;
    put_key(b, "status", &first);
    put(b, "{", 1);
    put_opt_string(b, "message", sp->status_message, &f);
    put_opt_uint(b, "code", (uint64_t) sp->status_code, &f);
    put(b, "}", 1);
  }
  put(b, "}", 1);
}

int
dl_otlp_encode_json(const dl_export_request *req, char **out, size_t *len, dl_error *err)
{
  buf b = {0};
  put(&b, "{\"resourceSpans\":[", 18);
  for (size_t r = 0; r < req->n_resources; r++) {
    const dl_resource_spans *rs = &req->resources[r];
    int first = 1;
    put(&b, r ? ",{" : "{", r ? 2 : 1);
    if (rs->has_resource) {
      int f = 1;
      put_key(&b, "resource", &first);
      put(&b, "{", 1);
      put_kvs(&b, "attributes", rs->resource_attrs, rs->n_resource_attrs, &f);
      put_opt_uint(&b, "droppedAttributesCount", rs->resource_dropped_attrs, &f);
      put(&b, "}", 1);
    }
    put_key(&b, "scopeSpans", &first);
    put(&b, "[", 1);
    for (size_t c = 0; c < rs->n_scopes; c++) {
      const dl_scope_spans *ss = &rs->scopes[c];
      int f = 1;
      put(&b, c ? ",{" : "{", c ? 2 : 1);
      if (ss->has_scope) {
        int g = 1;
        put_key(&b, "scope", &f);
        put(&b, "{", 1);
        put_opt_string(&b, "name", ss->scope_name, &g);
        put_opt_string(&b, "version", ss->scope_version, &g);
        put_kvs(&b, "attributes", ss->scope_attrs, ss->n_scope_attrs, &g);
        put_opt_uint(&b, "droppedAttributesCount", ss->scope_dropped_attrs, &g);
        put(&b, "}", 1);
      }
      put_key(&b, "spans", &f);
      put(&b, "[", 1);
      for (size_t i = 0; i < ss->n_spans; i++) {
        if (i)
          put(&b, ",", 1);
        put_span(&b, &ss->spans[i]);
      }
      put(&b, "]", 1);
      put_opt_string(&b, "schemaUrl", ss->schema_url, &f);
      put(&b, "}", 1);
    }
    put(&b, "]", 1);
    put_opt_string(&b, "schemaUrl", rs->schema_url, &first);
    put(&b, "}", 1);
  }
  put(&b, "]}", 2);
  reserve(&b, 1);
  if (b.failed) {
    free(b.data);
    return dl_fail(err, DL_ENOMEM, "out of memory encoding OTLP/JSON");
  }
  b.data[b.len] = '\0';
  *out = b.data;
  *len = b.len;
  return DL_OK;
}
