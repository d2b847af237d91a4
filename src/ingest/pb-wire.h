/* Reading the protobuf wire format (internal): varints, tags,
   length-delimited fields, and skipping unknown fields of every wire type
   (groups included, nested at most DL_PB_MAX_GROUP_DEPTH deep), all
   bounds-checked.  Shared by the OTLP decoder (ingest) and the exporter's
   reading of a collector's ExportTraceServiceResponse.
 
   Each reader returns 0 (or 1 for a tag) and advances the cursor, or
   returns -1 with *F saying what is wrong and where; the cursor is then
   unusable.  Header-only so that the decoder's hot loops inline it. */
#ifndef DL_PB_WIRE_H
#define DL_PB_WIRE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "deploy-ledger/error.h"

enum {
  DL_PB_VARINT = 0,
  DL_PB_I64 = 1,
  DL_PB_LEN = 2,
  DL_PB_SGROUP = 3,
  DL_PB_EGROUP = 4,
  DL_PB_I32 = 5
};

#define DL_PB_MAX_GROUP_DEPTH 64

typedef struct dl_pb_cursor {
  const uint8_t *p, *end;
} dl_pb_cursor;

typedef struct dl_pb_fault {
  const uint8_t *at; /* where the faulty item starts */
  char what[112];    /* "truncated varint", "length 9 runs past ..." */
} dl_pb_fault;

static inline int dl_pb_fail(dl_pb_fault *f, const uint8_t *at, const char *fmt, ...)
  DL_PRINTF(3, 4);

/* Records a fault; returns -1.  Out of line in spirit: only errors come
   here. */
__attribute__((cold, unused)) static inline int
dl_pb_fail(dl_pb_fault *f, const uint8_t *at, const char *fmt, ...)
{
  va_list ap;
  f->at = at;
  va_start(ap, fmt);
  vsnprintf(f->what, sizeof f->what, fmt, ap);
  va_end(ap);
  return -1;
}

static inline int
dl_pb_varint(dl_pb_cursor *c, uint64_t *out, dl_pb_fault *f)
{
  const uint8_t *p = c->p;
  if (p < c->end && *p < 0x80) {
    *out = *p;
    c->p = p + 1;
    return 0;
  }
  uint64_t v = 0;
  *out = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (p >= c->end)
      return dl_pb_fail(f, c->p, "truncated varint");
    uint8_t b = *p++;
    if (shift == 63 && b > 1)
      return dl_pb_fail(f, c->p, "varint overflows 64 bits");
    v |= (uint64_t) (b & 0x7f) << shift;
    if (b < 0x80) {
      *out = v;
      c->p = p;
      return 0;
    }
  }
  return dl_pb_fail(f, c->p, "varint longer than 10 bytes");
}

/* A tag: field number and wire type.  1 for a tag, 0 at the end of the
   message, -1 on a fault. */
static inline int
dl_pb_tag(dl_pb_cursor *c, uint32_t *field, int *wt, dl_pb_fault *f)
{
  if (c->p >= c->end)
    return 0;
  const uint8_t *at = c->p;
  uint64_t t;
  if (dl_pb_varint(c, &t, f))
    return -1;
  *field = (uint32_t) (t >> 3);
  *wt = (int) (t & 7);
  if ((t >> 3) == 0 || (t >> 3) > 536870911)
    return dl_pb_fail(f, at, "invalid field number %llu", (unsigned long long) (t >> 3));
  return 1;
}

/* A length-delimited field's bytes, as a sub-cursor. */
static inline int
dl_pb_length_delimited(dl_pb_cursor *c, dl_pb_cursor *sub, dl_pb_fault *f)
{
  const uint8_t *at = c->p;
  uint64_t len;
  sub->p = sub->end = c->p;
  if (dl_pb_varint(c, &len, f))
    return -1;
  if (len > (uint64_t) (c->end - c->p))
    return dl_pb_fail(f, at, "length %llu runs past the end of its message (%ld bytes left)",
                      (unsigned long long) len, (long) (c->end - c->p));
  sub->p = c->p;
  sub->end = c->p + len;
  c->p += len;
  return 0;
}

static inline int dl_pb_skip_nested(dl_pb_cursor *c, uint32_t field, int wt, int depth,
                                    dl_pb_fault *f);

/* Skips the value of FIELD, of wire type WT, whose tag was just read. */
static inline int
dl_pb_skip(dl_pb_cursor *c, uint32_t field, int wt, dl_pb_fault *f)
{
  return dl_pb_skip_nested(c, field, wt, 0, f);
}

static inline int
dl_pb_skip_nested(dl_pb_cursor *c, uint32_t field, int wt, int depth, dl_pb_fault *f)
{
  const uint8_t *at = c->p;
  uint64_t v;
  dl_pb_cursor sub;
  switch (wt) {
  case DL_PB_VARINT:
    return dl_pb_varint(c, &v, f);
  case DL_PB_I64:
    if (c->end - c->p < 8)
      return dl_pb_fail(f, at, "truncated 64-bit field %u", field);
    c->p += 8;
    return 0;
  case DL_PB_I32:
    if (c->end - c->p < 4)
      return dl_pb_fail(f, at, "truncated 32-bit field %u", field);
    c->p += 4;
    return 0;
  case DL_PB_LEN:
    return dl_pb_length_delimited(c, &sub, f);
  case DL_PB_SGROUP:
    if (depth >= DL_PB_MAX_GROUP_DEPTH)
      return dl_pb_fail(f, at, "groups nested deeper than %d", DL_PB_MAX_GROUP_DEPTH);
    for (;;) {
      uint32_t inner;
      int w;
      int r = dl_pb_tag(c, &inner, &w, f);
      if (r < 0)
        return -1;
      if (r == 0)
        return dl_pb_fail(f, at, "group %u is not closed", field);
      if (w == DL_PB_EGROUP) {
        if (inner != field)
          return dl_pb_fail(f, at, "group %u closed by field %u", field, inner);
        return 0;
      }
      if (dl_pb_skip_nested(c, inner, w, depth + 1, f))
        return -1;
    }
  case DL_PB_EGROUP:
    return dl_pb_fail(f, at, "end of group %u without a start", field);
  default:
    return dl_pb_fail(f, at, "invalid wire type %d (field %u)", wt, field);
  }
}

#endif
