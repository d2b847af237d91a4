/* The protobuf encoder for ExportTraceServiceRequest.
 *
 * Two passes.  The size pass walks the request and records the length of
 * every nested message in pre-order in a scratch array; the write pass
 * walks it again in the same order, taking each length as it writes the
 * message's header.  Output is sized exactly, so the write pass never
 * checks bounds. */
#include "dl-otlp-encode.h"

#include <stdlib.h>
#include <string.h>

struct dl_pb_encoder {
  uint32_t *sizes;
  size_t n, cap, next;
  int failed;
  uint8_t *buf;
  size_t buf_cap;
};

dl_pb_encoder *
dl_pb_encoder_new(void)
{
  return calloc(1, sizeof(dl_pb_encoder));
}

void
dl_pb_encoder_free(dl_pb_encoder *enc)
{
  if (!enc)
    return;
  free(enc->sizes);
  free(enc->buf);
  free(enc);
}

/* Wire types */
enum { VARINT = 0, I64 = 1, LEN = 2, I32 = 5 };

static inline size_t
varint_size(uint64_t v)
{
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

/* Reserves the next pre-order slot. */
static inline size_t
slot(dl_pb_encoder *enc)
{
  if (enc->n == enc->cap) {
    size_t cap = enc->cap ? enc->cap * 2 : 256;
    uint32_t *grown = realloc(enc->sizes, cap * sizeof *grown);
    if (!grown) {
      enc->failed = 1;
      enc->n = 0;
    } else {
      enc->sizes = grown;
      enc->cap = cap;
    }
  }
  return enc->n++;
}

/* A length-delimited field of LEN bytes with a one-byte tag. */
static inline size_t
len_field(size_t len)
{
  return 1 + varint_size(len) + len;
}

static inline size_t
opt_str(dl_str s)
{
  return s.len ? len_field(s.len) : 0;
}

static inline size_t
opt_varint(uint64_t v)
{
  return v ? 1 + varint_size(v) : 0;
}

static size_t size_kvs(dl_pb_encoder *enc, const dl_kv *kvs, size_t n);

static inline int
is_nested(const dl_value *v)
{
  return v->kind == DL_VALUE_ARRAY || v->kind == DL_VALUE_KVLIST;
}

/* The length of an AnyValue that holds no nested message: cheap enough to
   compute in both passes, so it takes no slot. */
static inline size_t
scalar_value_size(const dl_value *v)
{
  switch (v->kind) {
  case DL_VALUE_STRING:
  case DL_VALUE_BYTES:
    return len_field(v->u.str.len);
  case DL_VALUE_BOOL:
    return 2;
  case DL_VALUE_INT:
    return 1 + varint_size((uint64_t) v->u.integer);
  case DL_VALUE_DOUBLE:
    return 9;
  default:
    return 0;
  }
}

/* The length of an AnyValue; nested ones record the lengths of their
   AnyValue and their ArrayValue or KeyValueList. */
static size_t
size_value(dl_pb_encoder *enc, const dl_value *v)
{
  if (!is_nested(v))
    return scalar_value_size(v);
  size_t s = slot(enc), a = slot(enc), inner = 0;
  if (v->kind == DL_VALUE_ARRAY)
    for (size_t i = 0; i < v->u.array.n; i++)
      inner += len_field(size_value(enc, &v->u.array.items[i]));
  else
    inner = size_kvs(enc, v->u.kvlist.items, v->u.kvlist.n);
  size_t size = len_field(inner);
  if (!enc->failed) {
    enc->sizes[a] = (uint32_t) inner;
    enc->sizes[s] = (uint32_t) size;
  }
  return size;
}

/* The repeated KeyValue fields themselves (each with its one-byte tag). */
static size_t
size_kvs(dl_pb_encoder *enc, const dl_kv *kvs, size_t n)
{
  size_t total = 0;
  for (size_t i = 0; i < n; i++) {
    if (kvs[i].value.kind == DL_VALUE_STRING) {
      total += len_field(opt_str(kvs[i].key) + len_field(len_field(kvs[i].value.u.str.len)));
      continue;
    }
    if (!is_nested(&kvs[i].value)) {
      total += len_field(opt_str(kvs[i].key) + len_field(scalar_value_size(&kvs[i].value)));
      continue;
    }
    size_t s = slot(enc);
    size_t kv = opt_str(kvs[i].key) + len_field(size_value(enc, &kvs[i].value));
    if (!enc->failed)
      enc->sizes[s] = (uint32_t) kv;
    total += len_field(kv);
  }
  return total;
}

static size_t
size_span(dl_pb_encoder *enc, const dl_span *sp)
{
  size_t s = slot(enc);
  size_t size = len_field(DL_TRACE_ID_SIZE) + len_field(DL_SPAN_ID_SIZE)
                + opt_str(sp->trace_state) + (sp->has_parent ? len_field(DL_SPAN_ID_SIZE) : 0)
                + opt_str(sp->name) + opt_varint((uint64_t) (int64_t) sp->kind)
                + (sp->start ? 9 : 0) + (sp->end ? 9 : 0)
                + size_kvs(enc, sp->attrs, sp->n_attrs) + opt_varint(sp->dropped_attrs);
  for (size_t i = 0; i < sp->n_events; i++) {
    const dl_span_event *e = &sp->events[i];
    size_t es = slot(enc);
    size_t ev = (e->time ? 9 : 0) + opt_str(e->name) + size_kvs(enc, e->attrs, e->n_attrs)
                + opt_varint(e->dropped_attrs);
    if (!enc->failed)
      enc->sizes[es] = (uint32_t) ev;
    size += len_field(ev);
  }
  size += opt_varint(sp->dropped_events);
  for (size_t i = 0; i < sp->n_links; i++) {
    const dl_span_link *l = &sp->links[i];
    size_t ls = slot(enc);
    size_t lk = len_field(DL_TRACE_ID_SIZE) + len_field(DL_SPAN_ID_SIZE) + opt_str(l->trace_state)
                + size_kvs(enc, l->attrs, l->n_attrs) + opt_varint(l->dropped_attrs)
                + (l->flags ? 5 : 0);
    if (!enc->failed)
      enc->sizes[ls] = (uint32_t) lk;
    size += len_field(lk);
  }
  size += opt_varint(sp->dropped_links);
  if (sp->has_status) {
    size_t st = opt_str(sp->status_message) + opt_varint((uint64_t) (int64_t) sp->status_code);
    size += len_field(st); /* a leaf: its length is computed again when written */
  }
  if (sp->flags)
    size += 2 + 4; /* field 16 needs a two-byte tag */
  if (!enc->failed)
    enc->sizes[s] = (uint32_t) size;
  return size;
}

static size_t
size_request(dl_pb_encoder *enc, const dl_export_request *req)
{
  size_t total = 0;
  for (size_t r = 0; r < req->n_resources; r++) {
    const dl_resource_spans *rs = &req->resources[r];
    size_t s = slot(enc), size = 0;
    if (rs->has_resource) {
      size_t res = slot(enc);
      size_t inner = size_kvs(enc, rs->resource_attrs, rs->n_resource_attrs)
                     + opt_varint(rs->resource_dropped_attrs);
      if (!enc->failed)
        enc->sizes[res] = (uint32_t) inner;
      size += len_field(inner);
    }
    for (size_t c = 0; c < rs->n_scopes; c++) {
      const dl_scope_spans *ss = &rs->scopes[c];
      size_t cs = slot(enc), scope_size = 0;
      if (ss->has_scope) {
        size_t sc = slot(enc);
        size_t inner = opt_str(ss->scope_name) + opt_str(ss->scope_version)
                       + size_kvs(enc, ss->scope_attrs, ss->n_scope_attrs)
                       + opt_varint(ss->scope_dropped_attrs);
        if (!enc->failed)
          enc->sizes[sc] = (uint32_t) inner;
        scope_size += len_field(inner);
      }
      for (size_t i = 0; i < ss->n_spans; i++)
        scope_size += len_field(size_span(enc, &ss->spans[i]));
      scope_size += opt_str(ss->schema_url);
      if (!enc->failed)
        enc->sizes[cs] = (uint32_t) scope_size;
      size += len_field(scope_size);
    }
    size += opt_str(rs->schema_url);
    if (!enc->failed)
      enc->sizes[s] = (uint32_t) size;
    total += len_field(size);
  }
  return total;
}

/* Write pass */

static inline uint8_t *
put_varint(uint8_t *p, uint64_t v)
{
  if (v < 0x80) {
    *p = (uint8_t) v;
    return p + 1;
  }
  while (v >= 0x80) {
    *p++ = (uint8_t) (v | 0x80);
    v >>= 7;
  }
  *p++ = (uint8_t) v;
  return p;
}

/* Copies N bytes; short runs (most keys and values) without a call. */
static inline void
copy(uint8_t *dst, const void *src, size_t n)
{
  const uint8_t *s = src;
  if (n >= 8 && n <= 16) {
    uint64_t a, b;
    memcpy(&a, s, 8);
    memcpy(&b, s + n - 8, 8);
    memcpy(dst, &a, 8);
    memcpy(dst + n - 8, &b, 8);
  } else if (n >= 17 && n <= 32) {
    uint64_t a, b, c, d;
    memcpy(&a, s, 8);
    memcpy(&b, s + 8, 8);
    memcpy(&c, s + n - 16, 8);
    memcpy(&d, s + n - 8, 8);
    memcpy(dst, &a, 8);
    memcpy(dst + 8, &b, 8);
    memcpy(dst + n - 16, &c, 8);
    memcpy(dst + n - 8, &d, 8);
  } else if (n < 8) {
    for (size_t i = 0; i < n; i++)
      dst[i] = s[i];
  } else {
    memcpy(dst, src, n);
  }
}

static inline uint8_t *
put_bytes(uint8_t *p, unsigned field, const void *data, size_t len)
{
  *p++ = (uint8_t) (field << 3 | LEN);
  p = put_varint(p, len);
  copy(p, data, len);
  return p + len;
}

static inline uint8_t *
put_opt_str(uint8_t *p, unsigned field, dl_str s)
{
  return s.len ? put_bytes(p, field, s.ptr, s.len) : p;
}

static inline uint8_t *
put_opt_varint(uint8_t *p, unsigned field, uint64_t v)
{
  if (!v)
    return p;
  *p++ = (uint8_t) (field << 3 | VARINT);
  return put_varint(p, v);
}

static inline uint8_t *
put_fixed64(uint8_t *p, unsigned field, uint64_t v)
{
  *p++ = (uint8_t) (field << 3 | I64);
  memcpy(p, &v, 8); /* little-endian hosts only, checked in the tests */
  return p + 8;
}

/* The header of a nested message: its tag and its recorded length. */
static inline uint8_t *
put_nested(dl_pb_encoder *enc, uint8_t *p, unsigned field)
{
  *p++ = (uint8_t) (field << 3 | LEN);
  return put_varint(p, enc->sizes[enc->next++]);
}

static uint8_t *put_kvs(dl_pb_encoder *enc, uint8_t *p, unsigned field, const dl_kv *kvs,
                        size_t n);
static uint8_t *put_any(dl_pb_encoder *enc, uint8_t *p, unsigned field, const dl_value *v);

/* The contents of AnyValue V (its header was written by the caller). */
static uint8_t *
put_value(dl_pb_encoder *enc, uint8_t *p, const dl_value *v)
{
  switch (v->kind) {
  case DL_VALUE_EMPTY:
    break;
  case DL_VALUE_STRING:
    p = put_bytes(p, 1, v->u.str.ptr, v->u.str.len);
    break;
  case DL_VALUE_BYTES:
    p = put_bytes(p, 7, v->u.str.ptr, v->u.str.len);
    break;
  case DL_VALUE_BOOL:
    *p++ = 2 << 3 | VARINT;
    *p++ = v->u.boolean ? 1 : 0;
    break;
  case DL_VALUE_INT:
    *p++ = 3 << 3 | VARINT;
    p = put_varint(p, (uint64_t) v->u.integer);
    break;
  case DL_VALUE_DOUBLE: {
    uint64_t bits;
    memcpy(&bits, &v->u.real, 8);
    p = put_fixed64(p, 4, bits);
    break;
  }
  case DL_VALUE_ARRAY:
    p = put_nested(enc, p, 5);
    for (size_t i = 0; i < v->u.array.n; i++)
      p = put_any(enc, p, 1, &v->u.array.items[i]);
    break;
  case DL_VALUE_KVLIST:
    p = put_nested(enc, p, 6);
    p = put_kvs(enc, p, 1, v->u.kvlist.items, v->u.kvlist.n);
    break;
  }
  return p;
}

/* An AnyValue as field FIELD: header, then contents. */
static uint8_t *
put_any(dl_pb_encoder *enc, uint8_t *p, unsigned field, const dl_value *v)
{
  if (is_nested(v))
    p = put_nested(enc, p, field);
  else {
    *p++ = (uint8_t) (field << 3 | LEN);
    p = put_varint(p, scalar_value_size(v));
  }
  return put_value(enc, p, v);
}

static uint8_t *
put_kvs(dl_pb_encoder *enc, uint8_t *p, unsigned field, const dl_kv *kvs, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    const dl_kv *kv = &kvs[i];
    if (kv->value.kind == DL_VALUE_STRING) { /* the common case, straight through */
      size_t vlen = kv->value.u.str.len, any = len_field(vlen);
      *p++ = (uint8_t) (field << 3 | LEN);
      p = put_varint(p, opt_str(kv->key) + len_field(any));
      p = put_opt_str(p, 1, kv->key);
      *p++ = 2 << 3 | LEN;
      p = put_varint(p, any);
      p = put_bytes(p, 1, kv->value.u.str.ptr, vlen);
      continue;
    }
    if (is_nested(&kv->value))
      p = put_nested(enc, p, field);
    else {
      *p++ = (uint8_t) (field << 3 | LEN);
      p = put_varint(p, opt_str(kv->key) + len_field(scalar_value_size(&kv->value)));
    }
    p = put_opt_str(p, 1, kv->key);
    p = put_any(enc, p, 2, &kv->value);
  }
  return p;
}

static uint8_t *
put_span(dl_pb_encoder *enc, uint8_t *p, const dl_span *sp)
{
  p = put_bytes(p, 1, sp->trace_id, DL_TRACE_ID_SIZE);
  p = put_bytes(p, 2, sp->span_id, DL_SPAN_ID_SIZE);
  p = put_opt_str(p, 3, sp->trace_state);
  if (sp->has_parent)
    p = put_bytes(p, 4, sp->parent_span_id, DL_SPAN_ID_SIZE);
  p = put_opt_str(p, 5, sp->name);
  p = put_opt_varint(p, 6, (uint64_t) (int64_t) sp->kind);
  if (sp->start)
    p = put_fixed64(p, 7, (uint64_t) sp->start);
  if (sp->end)
    p = put_fixed64(p, 8, (uint64_t) sp->end);
  p = put_kvs(enc, p, 9, sp->attrs, sp->n_attrs);
  p = put_opt_varint(p, 10, sp->dropped_attrs);
  for (size_t i = 0; i < sp->n_events; i++) {
    const dl_span_event *e = &sp->events[i];
    p = put_nested(enc, p, 11);
    if (e->time)
      p = put_fixed64(p, 1, (uint64_t) e->time);
    p = put_opt_str(p, 2, e->name);
    p = put_kvs(enc, p, 3, e->attrs, e->n_attrs);
    p = put_opt_varint(p, 4, e->dropped_attrs);
  }
  p = put_opt_varint(p, 12, sp->dropped_events);
  for (size_t i = 0; i < sp->n_links; i++) {
    const dl_span_link *l = &sp->links[i];
    p = put_nested(enc, p, 13);
    p = put_bytes(p, 1, l->trace_id, DL_TRACE_ID_SIZE);
    p = put_bytes(p, 2, l->span_id, DL_SPAN_ID_SIZE);
    p = put_opt_str(p, 3, l->trace_state);
    p = put_kvs(enc, p, 4, l->attrs, l->n_attrs);
    p = put_opt_varint(p, 5, l->dropped_attrs);
    if (l->flags) {
      *p++ = 6 << 3 | I32;
      uint32_t f = l->flags;
      memcpy(p, &f, 4);
      p += 4;
    }
  }
  p = put_opt_varint(p, 14, sp->dropped_links);
  if (sp->has_status) {
    size_t st = opt_str(sp->status_message) + opt_varint((uint64_t) (int64_t) sp->status_code);
    *p++ = 15 << 3 | LEN;
    p = put_varint(p, st);
    p = put_opt_str(p, 2, sp->status_message);
    p = put_opt_varint(p, 3, (uint64_t) (int64_t) sp->status_code);
  }
  if (sp->flags) {
    *p++ = (uint8_t) (16 << 3 | I32) | 0x80; /* tag 133 as a two-byte varint */
    *p++ = 1;
    uint32_t f = sp->flags;
    memcpy(p, &f, 4);
    p += 4;
  }
  return p;
}

static uint8_t *
put_request(dl_pb_encoder *enc, uint8_t *p, const dl_export_request *req)
{
  for (size_t r = 0; r < req->n_resources; r++) {
    const dl_resource_spans *rs = &req->resources[r];
    p = put_nested(enc, p, 1);
    if (rs->has_resource) {
      p = put_nested(enc, p, 1);
      p = put_kvs(enc, p, 1, rs->resource_attrs, rs->n_resource_attrs);
      p = put_opt_varint(p, 2, rs->resource_dropped_attrs);
    }
    for (size_t c = 0; c < rs->n_scopes; c++) {
      const dl_scope_spans *ss = &rs->scopes[c];
      p = put_nested(enc, p, 2);
      if (ss->has_scope) {
        p = put_nested(enc, p, 1);
        p = put_opt_str(p, 1, ss->scope_name);
        p = put_opt_str(p, 2, ss->scope_version);
        p = put_kvs(enc, p, 3, ss->scope_attrs, ss->n_scope_attrs);
        p = put_opt_varint(p, 4, ss->scope_dropped_attrs);
      }
      for (size_t i = 0; i < ss->n_spans; i++) {
        p = put_nested(enc, p, 2);
        p = put_span(enc, p, &ss->spans[i]);
      }
      p = put_opt_str(p, 3, ss->schema_url);
    }
    p = put_opt_str(p, 3, rs->schema_url);
  }
  return p;
}

int
dl_pb_encode(dl_pb_encoder *enc, const dl_export_request *req, const uint8_t **out, size_t *len,
             dl_error *err)
{
  enc->n = enc->next = 0;
  enc->failed = 0;
  size_t size = size_request(enc, req);
  if (enc->failed)
    return dl_fail(err, DL_ENOMEM, "out of memory encoding spans");
  if (size > UINT32_MAX)
    return dl_fail(err, DL_ERANGE, "an export request of %zu bytes is too large", size);
  if (size + 1 > enc->buf_cap) {
    uint8_t *grown = realloc(enc->buf, size + 1);
    if (!grown)
      return dl_fail(err, DL_ENOMEM, "out of memory encoding spans");
    enc->buf = grown;
    enc->buf_cap = size + 1;
  }
  uint8_t *end = put_request(enc, enc->buf, req);
  if ((size_t) (end - enc->buf) != size)
    return dl_fail(err, DL_ERANGE, "internal error: encoded %zu bytes, sized %zu",
                   (size_t) (end - enc->buf), size);
  *out = enc->buf;
  *len = size;
  return DL_OK;
}

int
dl_otlp_encode_protobuf(const dl_export_request *req, uint8_t **out, size_t *len, dl_error *err)
{
  dl_pb_encoder *enc = dl_pb_encoder_new();
  if (!enc)
    return dl_fail(err, DL_ENOMEM, "out of memory encoding spans");
  const uint8_t *bytes;
  int rc = dl_pb_encode(enc, req, &bytes, len, err);
  if (!rc) {
    *out = malloc(*len ? *len : 1);
    if (!*out)
      rc = dl_fail(err, DL_ENOMEM, "out of memory encoding spans");
    else
      memcpy(*out, bytes, *len);
  }
  dl_pb_encoder_free(enc);
  return rc;
}

size_t
dl_export_request_span_count(const dl_export_request *req)
{
  size_t n = 0;
  for (size_t r = 0; r < req->n_resources; r++)
    for (size_t c = 0; c < req->resources[r].n_scopes; c++)
      n += req->resources[r].scopes[c].n_spans;
  return n;
}
