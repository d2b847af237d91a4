/* The protobuf encoder for ExportTraceServiceRequest.
 *
 * It writes backwards, from the end of the buffer towards its start: a
 * message's fields from the highest number down, repeated items from the
 * last, and a nested message's contents before its length and tag.  The
 * length of a nested message is then how far the write position moved, so
 * one pass suffices and nothing is sized twice.  The bytes are a forward
 * encoder's: fields in number order, minimal varints, proto3 defaults left
 * out, oneof members always written, as protobuf-c packs them.
 *
 * Positions are kept as distances from the end of the buffer, which
 * growing it (the written tail copied to the end of a larger buffer) does
 * not change. */
#include "deploy-ledger/otlp-encode.h"

#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

struct dl_otlp_encoder {
  uint8_t *base, *end; /* the buffer */
  uint8_t *p;          /* the first byte written; moves down */
  jmp_buf out_of_memory;
};

dl_otlp_encoder *
dl_otlp_encoder_new(void)
{
  return calloc(1, sizeof(dl_otlp_encoder));
}

void
dl_otlp_encoder_free(dl_otlp_encoder *enc)
{
  if (!enc)
    return;
  free(enc->base);
  free(enc);
}

/* Wire types */
enum { VARINT = 0, I64 = 1, LEN = 2, I32 = 5 };

/* Room for NEED more bytes below P: a larger buffer with the bytes written
   so far at its end.  Out of memory, encoding stops at once. */
static void __attribute__((noinline))
grow(dl_otlp_encoder *enc, size_t need)
{
  size_t used = (size_t) (enc->end - enc->p), cap = (size_t) (enc->end - enc->base);
  size_t want = cap ? cap * 2 : 4096;
  while (want - used < need + 64)
    want *= 2;
  uint8_t *fresh = malloc(want);
  if (!fresh)
    longjmp(enc->out_of_memory, 1);
  if (used)
    memcpy(fresh + want - used, enc->p, used);
  free(enc->base);
  enc->base = fresh;
  enc->end = fresh + want;
  enc->p = enc->end - used;
}

static inline void
reserve(dl_otlp_encoder *enc, size_t need)
{
  if (UNLIKELY((size_t) (enc->p - enc->base) < need))
    grow(enc, need);
}

static inline size_t
mark(const dl_otlp_encoder *enc)
{
  return (size_t) (enc->end - enc->p);
}

static inline void
put_varint(dl_otlp_encoder *enc, uint64_t v)
{
  if (LIKELY(v < 0x80)) {
    *--enc->p = (uint8_t) v;
    return;
  }
  unsigned n = 1;
  for (uint64_t x = v >> 7; x; x >>= 7)
    n++;
  uint8_t *q = enc->p -= n;
  while (v >= 0x80) {
    *q++ = (uint8_t) (v | 0x80);
    v >>= 7;
  }
  *q = (uint8_t) v;
}

/* Tag and length of a nested message that began at mark START. */
static inline void
close_nested(dl_otlp_encoder *enc, unsigned field, size_t start)
{
  size_t len = mark(enc) - start;
  reserve(enc, 12);
  put_varint(enc, len);
  *--enc->p = (uint8_t) (field << 3 | LEN);
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
  } else if (n > 16 && n <= 32) {
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

static inline void
put_bytes(dl_otlp_encoder *enc, unsigned field, const void *data, size_t len)
{
  reserve(enc, len + 12);
  enc->p -= len;
  copy(enc->p, data, len);
  put_varint(enc, len);
  *--enc->p = (uint8_t) (field << 3 | LEN);
}

static inline void
put_opt_str(dl_otlp_encoder *enc, unsigned field, dl_str s)
{
  if (s.len)
    put_bytes(enc, field, s.ptr, s.len);
}

static inline void
put_opt_varint(dl_otlp_encoder *enc, unsigned field, uint64_t v)
{
  if (!v)
    return;
  reserve(enc, 12);
  put_varint(enc, v);
  *--enc->p = (uint8_t) (field << 3 | VARINT);
}

static inline void
put_fixed64(dl_otlp_encoder *enc, unsigned field, uint64_t v)
{
  reserve(enc, 9);
  enc->p -= 8;
  memcpy(enc->p, &v, 8); /* little-endian hosts only, checked in the tests */
  *--enc->p = (uint8_t) (field << 3 | I64);
}

static inline void
put_fixed32(dl_otlp_encoder *enc, unsigned field, uint32_t v)
{
  reserve(enc, 6);
  enc->p -= 4;
  memcpy(enc->p, &v, 4);
  put_varint(enc, field << 3 | I32); /* field 16's tag takes two bytes */
}

static void put_kvs(dl_otlp_encoder *enc, unsigned field, const dl_kv *kvs, size_t n);

/* AnyValue V as field FIELD. */
static void
put_any(dl_otlp_encoder *enc, unsigned field, const dl_value *v)
{
  size_t start = mark(enc);
  switch (v->kind) {
  case DL_VALUE_EMPTY:
    break;
  case DL_VALUE_STRING:
    put_bytes(enc, 1, v->u.str.ptr, v->u.str.len);
    break;
  case DL_VALUE_BYTES:
    put_bytes(enc, 7, v->u.str.ptr, v->u.str.len);
    break;
  case DL_VALUE_BOOL:
    reserve(enc, 2);
    *--enc->p = v->u.boolean ? 1 : 0;
    *--enc->p = 2 << 3 | VARINT;
    break;
  case DL_VALUE_INT:
    reserve(enc, 12);
    put_varint(enc, (uint64_t) v->u.integer);
    *--enc->p = 3 << 3 | VARINT;
    break;
  case DL_VALUE_DOUBLE: {
    uint64_t bits;
    memcpy(&bits, &v->u.real, 8);
    put_fixed64(enc, 4, bits);
    break;
  }
  case DL_VALUE_ARRAY: {
    size_t inner = mark(enc);
    for (size_t i = v->u.array.n; i-- > 0;)
      put_any(enc, 1, &v->u.array.items[i]);
    close_nested(enc, 5, inner);
    break;
  }
  case DL_VALUE_KVLIST: {
    size_t inner = mark(enc);
    put_kvs(enc, 1, v->u.kvlist.items, v->u.kvlist.n);
    close_nested(enc, 6, inner);
    break;
  }
  }
  close_nested(enc, field, start);
}

/* Repeated KeyValue as field FIELD, last first. */
static void
put_kvs(dl_otlp_encoder *enc, unsigned field, const dl_kv *kvs, size_t n)
{
  for (size_t i = n; i-- > 0;) {
    const dl_kv *kv = &kvs[i];
    size_t start = mark(enc);
    if (LIKELY(kv->value.kind == DL_VALUE_STRING)) {
      /* The common case straight through: value, AnyValue, key. */
      size_t vlen = kv->value.u.str.len;
      reserve(enc, vlen + kv->key.len + 40);
      enc->p -= vlen;
      copy(enc->p, kv->value.u.str.ptr, vlen);
      put_varint(enc, vlen);
      *--enc->p = 1 << 3 | LEN;
      put_varint(enc, mark(enc) - start);
      *--enc->p = 2 << 3 | LEN;
      if (kv->key.len) {
        enc->p -= kv->key.len;
        copy(enc->p, kv->key.ptr, kv->key.len);
        put_varint(enc, kv->key.len);
        *--enc->p = 1 << 3 | LEN;
      }
    } else {
      put_any(enc, 2, &kv->value);
      put_opt_str(enc, 1, kv->key);
    }
    close_nested(enc, field, start);
  }
}

static void
put_span(dl_otlp_encoder *enc, const dl_span *sp)
{
  if (sp->flags)
    put_fixed32(enc, 16, sp->flags);
  if (sp->has_status) {
    size_t start = mark(enc);
    put_opt_varint(enc, 3, (uint64_t) (int64_t) sp->status_code);
    put_opt_str(enc, 2, sp->status_message);
    close_nested(enc, 15, start);
  }
  put_opt_varint(enc, 14, sp->dropped_links);
  for (size_t i = sp->n_links; i-- > 0;) {
    const dl_span_link *l = &sp->links[i];
    size_t start = mark(enc);
    if (l->flags)
      put_fixed32(enc, 6, l->flags);
    put_opt_varint(enc, 5, l->dropped_attrs);
    put_kvs(enc, 4, l->attrs, l->n_attrs);
    put_opt_str(enc, 3, l->trace_state);
    put_bytes(enc, 2, l->span_id, DL_SPAN_ID_SIZE);
    put_bytes(enc, 1, l->trace_id, DL_TRACE_ID_SIZE);
    close_nested(enc, 13, start);
  }
  put_opt_varint(enc, 12, sp->dropped_events);
  for (size_t i = sp->n_events; i-- > 0;) {
    const dl_span_event *e = &sp->events[i];
    size_t start = mark(enc);
    put_opt_varint(enc, 4, e->dropped_attrs);
    put_kvs(enc, 3, e->attrs, e->n_attrs);
    put_opt_str(enc, 2, e->name);
    if (e->time)
      put_fixed64(enc, 1, (uint64_t) e->time);
    close_nested(enc, 11, start);
  }
  put_opt_varint(enc, 10, sp->dropped_attrs);
  put_kvs(enc, 9, sp->attrs, sp->n_attrs);
  if (sp->end)
    put_fixed64(enc, 8, (uint64_t) sp->end);
  if (sp->start)
    put_fixed64(enc, 7, (uint64_t) sp->start);
  put_opt_varint(enc, 6, (uint64_t) (int64_t) sp->kind);
  put_opt_str(enc, 5, sp->name);
  if (sp->has_parent)
    put_bytes(enc, 4, sp->parent_span_id, DL_SPAN_ID_SIZE);
  put_opt_str(enc, 3, sp->trace_state);
  put_bytes(enc, 2, sp->span_id, DL_SPAN_ID_SIZE);
  put_bytes(enc, 1, sp->trace_id, DL_TRACE_ID_SIZE);
}

static void
put_request(dl_otlp_encoder *enc, const dl_export_request *req)
{
  for (size_t r = req->n_resources; r-- > 0;) {
    const dl_resource_spans *rs = &req->resources[r];
    size_t rstart = mark(enc);
    put_opt_str(enc, 3, rs->schema_url);
    for (size_t c = rs->n_scopes; c-- > 0;) {
      const dl_scope_spans *ss = &rs->scopes[c];
      size_t cstart = mark(enc);
      put_opt_str(enc, 3, ss->schema_url);
      for (size_t i = ss->n_spans; i-- > 0;) {
        size_t start = mark(enc);
        put_span(enc, &ss->spans[i]);
        close_nested(enc, 2, start);
      }
      if (ss->has_scope) {
        size_t start = mark(enc);
        put_opt_varint(enc, 4, ss->scope_dropped_attrs);
        put_kvs(enc, 3, ss->scope_attrs, ss->n_scope_attrs);
        put_opt_str(enc, 2, ss->scope_version);
        put_opt_str(enc, 1, ss->scope_name);
        close_nested(enc, 1, start);
      }
      close_nested(enc, 2, cstart);
    }
    if (rs->has_resource) {
      size_t start = mark(enc);
      put_opt_varint(enc, 2, rs->resource_dropped_attrs);
      put_kvs(enc, 1, rs->resource_attrs, rs->n_resource_attrs);
      close_nested(enc, 1, start);
    }
    close_nested(enc, 1, rstart);
  }
}

int
dl_otlp_encode(dl_otlp_encoder *enc, const dl_export_request *req, const uint8_t **out, size_t *len,
             dl_error *err)
{
  enc->p = enc->end;
  if (setjmp(enc->out_of_memory)) {
    enc->p = enc->end; /* the buffer is intact: the next call starts afresh */
    return dl_fail(err, DL_ENOMEM, "out of memory encoding spans");
  }
  put_request(enc, req);
  if (mark(enc) > 0x7fffffffu)
    return dl_fail(err, DL_ERANGE, "an export request of %zu bytes is too large", mark(enc));
  *out = enc->p ? enc->p : (const uint8_t *) "";
  *len = mark(enc);
  return DL_OK;
}

int
dl_otlp_encode_protobuf(const dl_export_request *req, uint8_t **out, size_t *len, dl_error *err)
{
  dl_otlp_encoder *enc = dl_otlp_encoder_new();
  if (!enc)
    return dl_fail(err, DL_ENOMEM, "out of memory encoding spans");
  const uint8_t *bytes;
  int rc = dl_otlp_encode(enc, req, &bytes, len, err);
  if (!rc) {
    *out = malloc(*len ? *len : 1);
    if (!*out)
      rc = dl_fail(err, DL_ENOMEM, "out of memory encoding spans");
    else if (*len)
      memcpy(*out, bytes, *len);
  }
  dl_otlp_encoder_free(enc);
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
