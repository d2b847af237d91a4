/* OTLP protobuf (ExportTraceServiceRequest / TracesData) into the trace
   set: a hand-written, bounds-checked wire-format reader.  Unknown fields
   of every wire type (varint, 64-bit, length-delimited, groups, 32-bit)
   are skipped as protobuf requires; a known field with the wrong wire
   type, a length past its message, a truncated varint or an invalid
   UTF-8 string that would be stored is an error naming the byte offset
   and the element (resource_spans[i].scope_spans[j].spans[k]). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "deploy-ledger/ingest.h"
#include "ingest/pb-wire.h"
#include "ingest/row-builder.h"

enum { WT_VARINT = DL_PB_VARINT, WT_I64 = DL_PB_I64, WT_LEN = DL_PB_LEN, WT_I32 = DL_PB_I32 };

typedef struct pb {
  const uint8_t *base;
  const char *source;
  dl_error *err;
  dl_error *warning;
  int lenient;
  int code;
  int span_bad;
  long rs, ss, sp; /* indices of the current elements, -1 outside */
  dl_row_builder sb;
} pb;

typedef dl_pb_cursor cursor;

static void
where(const pb *d, char *buf, size_t size)
{
  int n = 0;
  buf[0] = '\0';
  if (d->rs >= 0)
    n = snprintf(buf, size, "resource_spans[%ld]", d->rs);
  if (d->ss >= 0 && n >= 0 && (size_t) n < size)
    n += snprintf(buf + n, size - (size_t) n, ".scope_spans[%ld]", d->ss);
  if (d->sp >= 0 && n >= 0 && (size_t) n < size)
    snprintf(buf + n, size - (size_t) n, ".spans[%ld]", d->sp);
}

static int fail_at(pb *d, const uint8_t *at, int code, const char *fmt, ...) DL_PRINTF(4, 5);

static void
describe(pb *d, dl_error *e, const uint8_t *at, int code, const char *what)
{
  char loc[120];
  where(d, loc, sizeof loc);
  long off = (long) (at - d->base);
  dl_fail(e, code, "%s: byte %ld: %s%s%s", d->source, off, loc, loc[0] ? ": " : "", what);
  dl_error_at(e, d->source, -1, -1, off);
}

static int
fail_at(pb *d, const uint8_t *at, int code, const char *fmt, ...)
{
  if (d->code)
    return -1;
  d->code = code;
  if (d->err) {
    char what[240];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    describe(d, d->err, at, code, what);
  }
  return -1;
}

/* A problem with one span's content: fatal unless lenient. */
static int
span_problem(pb *d, const uint8_t *at, const char *what)
{
  if (!d->lenient)
    return fail_at(d, at, DL_EPARSE, "%s", what);
  if (d->warning && !d->warning->code)
    describe(d, d->warning, at, DL_EPARSE, what);
  d->span_bad = 1;
  return 0;
}

/* The wire-format readers of pb-wire.h, their faults reported here. */
static int
fault(pb *d, const dl_pb_fault *f)
{
  return fail_at(d, f->at, DL_EPARSE, "%s", f->what);
}

static inline int
varint(pb *d, cursor *c, uint64_t *out)
{
  dl_pb_fault f;
  if (dl_pb_varint(c, out, &f))
    return fault(d, &f), -1;
  return 0;
}

/* Reads a tag: field number and wire type.  Returns 1 for a tag, 0 at
   the end of the message, -1 on error. */
static inline int
tag(pb *d, cursor *c, uint32_t *field, int *wt)
{
  dl_pb_fault f;
  int r = dl_pb_tag(c, field, wt, &f);
  if (r < 0)
    return fault(d, &f), -1;
  return r;
}

/* A length-delimited field's bytes, as a sub-cursor. */
static inline int
length_delimited(pb *d, cursor *c, cursor *sub)
{
  dl_pb_fault f;
  if (dl_pb_length_delimited(c, sub, &f))
    return fault(d, &f), -1;
  return 0;
}

static int
skip_field(pb *d, cursor *c, uint32_t field, int wt)
{
  dl_pb_fault f;
  if (dl_pb_skip(c, field, wt, &f))
    return fault(d, &f), -1;
  return 0;
}

static int
wrong_type(pb *d, const uint8_t *at, const char *msg, uint32_t field, int wt)
{
  return fail_at(d, at, DL_EPARSE, "%s field %u has wire type %d", msg, field, wt);
}

/* Skips a field the decoder does not read; a field the schema knows must
   still have its declared wire type (EXPECT, or -1 for an unknown field),
   as a generated parser would insist. */
static int
skip_checked(pb *d, cursor *c, const char *msg, uint32_t field, int wt, int expect)
{
  if (expect >= 0 && wt != expect)
    return wrong_type(d, c->p, msg, field, wt);
  return skip_field(d, c, field, wt);
}

/* Declared wire types of the fields each message skips. */
static int
span_skipped_type(uint32_t f)
{
  switch (f) {
  case 3: case 13: return WT_LEN;          /* trace_state, links */
  case 10: case 12: case 14: return WT_VARINT; /* dropped counts */
  case 16: return WT_I32;                 /* flags */
  default: return -1;
  }
}

/* Valid UTF-8 (proto3 strings must be), with an ASCII fast path. */
static int
utf8_slow(const uint8_t *p, size_t n)
{
  size_t i = 0;
  while (i < n) {
    if (p[i] < 0x80) {
      i++;
      continue;
    }
    uint8_t c = p[i];
    size_t need;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      cp = c & 0x07;
    } else {
      return 0;
    }
    if (n - i <= need)
      return 0;
    for (size_t k = 1; k <= need; k++) {
      if ((p[i + k] & 0xc0) != 0x80)
        return 0;
      cp = cp << 6 | (p[i + k] & 0x3f);
    }
    if ((need == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (need == 3 && (cp < 0x10000 || cp > 0x10ffff)))
      return 0;
    i += need + 1;
  }
  return 1;
}

/* Valid UTF-8 (proto3 strings must be).  Nearly every string is ASCII:
   OR all bytes together (8 at a time) and look closer only if a high
   bit shows up. */
static inline int
utf8_valid(const uint8_t *p, size_t n)
{
  uint64_t acc = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    acc |= w;
  }
  uint8_t tail = 0;
  for (; i < n; i++)
    tail |= p[i];
  if (!((acc & 0x8080808080808080ULL) | (tail & 0x80)))
    return 1;
  return utf8_slow(p, n);
}

static int
string_field(pb *d, cursor *c, uint32_t field, int wt, const char *msg, dl_str *out)
{
  const uint8_t *at = c->p;
  if (wt != WT_LEN)
    return wrong_type(d, at, msg, field, wt);
  cursor s;
  if (length_delimited(d, c, &s))
    return -1;
  if (!utf8_valid(s.p, (size_t) (s.end - s.p)))
    return fail_at(d, at, DL_EPARSE, "%s field %u is not valid UTF-8", msg, field);
  out->ptr = (const char *) s.p;
  out->len = (size_t) (s.end - s.p);
  return 0;
}

static inline uint64_t
le64(const uint8_t *p)
{
  uint64_t v;
  memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}

/* ---- AnyValue, KeyValue ---- */

static int
any_value(pb *d, cursor c, dl_attr_value *v)
{
  v->type = DL_VAL_NONE;
  uint32_t f;
  int wt, r;
  while ((r = tag(d, &c, &f, &wt)) > 0) {
    const uint8_t *at = c.p;
    uint64_t x;
    switch (f) {
    case 1:
      if (string_field(d, &c, f, wt, "AnyValue", &v->text))
        return -1;
      v->type = DL_VAL_STRING;
      break;
    case 2:
      if (wt != WT_VARINT)
        return wrong_type(d, at, "AnyValue", f, wt);
      if (varint(d, &c, &x))
        return -1;
      v->type = DL_VAL_BOOL;
      v->i = x != 0;
      break;
    case 3:
      if (wt != WT_VARINT)
        return wrong_type(d, at, "AnyValue", f, wt);
      if (varint(d, &c, &x))
        return -1;
      v->type = DL_VAL_INT;
      v->i = (int64_t) x;
      break;
    case 4:
      if (wt != WT_I64)
        return wrong_type(d, at, "AnyValue", f, wt);
      if (c.end - c.p < 8)
        return fail_at(d, at, DL_EPARSE, "truncated double");
      x = le64(c.p);
      memcpy(&v->d, &x, 8);
      c.p += 8;
      v->type = DL_VAL_DOUBLE;
      break;
    case 7: {
      /* Bytes: kept as hex text (the store holds text). */
      cursor b;
      if (wt != WT_LEN)
        return wrong_type(d, at, "AnyValue", f, wt);
      if (length_delimited(d, &c, &b))
        return -1;
      v->type = DL_VAL_NONE; /* binary values are not grouped on */
      break;
    }
    default:
      /* arrayValue (5), kvlistValue (6), anything newer: not stored. */
      if (skip_checked(d, &c, "AnyValue", f, wt, f == 5 || f == 6 ? WT_LEN : -1))
        return -1;
      if (f == 5 || f == 6)
        v->type = DL_VAL_NONE;
      break;
    }
  }
  return r;
}

static int
key_value(pb *d, cursor c, int at_level)
{
  cursor key = {NULL, NULL}, value = {NULL, NULL};
  int have_value = 0;
  uint32_t f;
  int wt, r;
  /* The usual encoding, key then value with one-byte lengths, read
     directly; anything else takes the general loop. */
  const uint8_t *p = c.p;
  if (c.end - p >= 4 && p[0] == 0x0a && p[1] < 0x80 && p[1] + 4 <= c.end - p &&
      p[2 + p[1]] == 0x12 && p[3 + p[1]] < 0x80 && 4 + p[1] + p[3 + p[1]] == c.end - p) {
    key.p = p + 2;
    key.end = key.p + p[1];
    value.p = key.end + 2;
    value.end = c.end;
    have_value = 1;
    c.p = c.end;
  }
  while ((r = tag(d, &c, &f, &wt)) > 0) {
    const uint8_t *at = c.p;
    if (f == 1 || f == 2) {
      if (wt != WT_LEN)
        return wrong_type(d, at, "KeyValue", f, wt);
      /* A repeated field of a message: the last occurrence wins. */
      if (length_delimited(d, &c, f == 1 ? &key : &value))
        return -1;
      if (f == 2)
        have_value = 1;
    } else if (skip_field(d, &c, f, wt)) {
      return -1;
    }
  }
  if (r < 0)
    return -1;
  size_t key_len = (size_t) (key.end - key.p);
  /* Attributes the store does not keep are left undecoded, as a lazy
     protobuf parser would; their keys cannot match a known (ASCII) key
     whatever bytes they hold. */
  if (!have_value || !key_len || !dl_rb_wants(&d->sb, at_level, (const char *) key.p, key_len))
    return 0;
  dl_attr_value v;
  if (any_value(d, value, &v))
    return -1;
  if (dl_rb_attr(&d->sb, at_level, (const char *) key.p, key_len, &v))
    return fail_at(d, c.p, DL_ENOMEM, "out of memory storing an attribute");
  return 0;
}

/* ---- spans ---- */

static int
status(pb *d, cursor c)
{
  uint32_t f;
  int wt, r;
  while ((r = tag(d, &c, &f, &wt)) > 0) {
    const uint8_t *at = c.p;
    if (f == 2) {
      dl_str m;
      if (string_field(d, &c, f, wt, "Status", &m))
        return -1;
      if (m.len && dl_rb_status_message(&d->sb, m.ptr, m.len))
        return fail_at(d, at, DL_ENOMEM, "out of memory");
    } else if (f == 3) {
      uint64_t x;
      if (wt != WT_VARINT)
        return wrong_type(d, at, "Status", f, wt);
      if (varint(d, &c, &x))
        return -1;
      if (x > 2) {
        if (span_problem(d, at, "status code out of range (0 to 2)"))
          return -1;
      } else {
        d->sb.status_code = (int) x;
      }
    } else if (skip_field(d, &c, f, wt)) {
      return -1;
    }
  }
  return r;
}

static int
event(pb *d, cursor c)
{
  uint32_t f;
  int wt, r;
  while ((r = tag(d, &c, &f, &wt)) > 0) {
    const uint8_t *at = c.p;
    if (f == 3) {
      cursor kv;
      if (wt != WT_LEN)
        return wrong_type(d, at, "Event", f, wt);
      if (length_delimited(d, &c, &kv) || key_value(d, kv, DL_AT_EVENT))
        return -1;
    } else if (skip_checked(d, &c, "Event", f, wt,
                            f == 1 ? WT_I64 : f == 2 ? WT_LEN : f == 4 ? WT_VARINT : -1)) {
      return -1;
    }
  }
  return r;
}

static int
id_field(pb *d, cursor *c, uint32_t f, int wt, uint8_t *out, size_t n, const char *what)
{
  const uint8_t *at = c->p;
  cursor b;
  if (wt != WT_LEN)
    return wrong_type(d, at, "Span", f, wt);
  if (length_delimited(d, c, &b))
    return -1;
  size_t len = (size_t) (b.end - b.p);
  if (len == n) {
    memcpy(out, b.p, n);
    return 0;
  }
  if (len == 0) {
    memset(out, 0, n);
    return 0;
  }
  char msg[80];
  snprintf(msg, sizeof msg, "%s has %zu bytes (expected %zu)", what, len, n);
  return span_problem(d, at, msg);
}

static int
span(pb *d, cursor c)
{
  dl_row_builder *sb = &d->sb;
  dl_rb_span_begin(sb);
  d->span_bad = 0;
  uint64_t start = 0, end = 0;
  const uint8_t *span_at = c.p;
  uint32_t f;
  int wt, r;
  while ((r = tag(d, &c, &f, &wt)) > 0) {
    const uint8_t *at = c.p;
    cursor sub;
    uint64_t x;
    switch (f) {
    case 1:
      if (id_field(d, &c, f, wt, sb->row.trace_id, DL_TRACE_ID_SIZE, "trace_id"))
        return -1;
      break;
    case 2:
      if (id_field(d, &c, f, wt, sb->row.span_id, DL_SPAN_ID_SIZE, "span_id"))
        return -1;
      break;
    case 4:
      if (id_field(d, &c, f, wt, sb->row.parent_id, DL_SPAN_ID_SIZE, "parent_span_id"))
        return -1;
      break;
    case 5: {
      dl_str name;
      if (string_field(d, &c, f, wt, "Span", &name))
        return -1;
      if (dl_rb_name(sb, name.ptr, name.len))
        return fail_at(d, at, DL_ENOMEM, "out of memory");
      break;
    }
    case 6:
      if (wt != WT_VARINT)
        return wrong_type(d, at, "Span", f, wt);
      if (varint(d, &c, &x))
        return -1;
      if (x > 5) {
        if (span_problem(d, at, "span kind out of range (0 to 5)"))
          return -1;
      } else {
        sb->row.kind = (uint8_t) x;
      }
      break;
    case 7:
    case 8:
      if (wt != WT_I64)
        return wrong_type(d, at, "Span", f, wt);
      if (c.end - c.p < 8)
        return fail_at(d, at, DL_EPARSE, "truncated time");
      x = le64(c.p);
      c.p += 8;
      if (f == 7)
        start = x;
      else
        end = x;
      break;
    case 9:
      if (wt != WT_LEN)
        return wrong_type(d, at, "Span", f, wt);
      if (length_delimited(d, &c, &sub) || key_value(d, sub, DL_AT_SPAN))
        return -1;
      break;
    case 11:
      if (wt != WT_LEN)
        return wrong_type(d, at, "Span", f, wt);
      if (length_delimited(d, &c, &sub) || event(d, sub))
        return -1;
      break;
    case 15:
      if (wt != WT_LEN)
        return wrong_type(d, at, "Span", f, wt);
      if (length_delimited(d, &c, &sub) || status(d, sub))
        return -1;
      break;
    default:
      /* trace_state, flags, dropped counts, links, anything newer. */
      if (skip_checked(d, &c, "Span", f, wt, span_skipped_type(f)))
        return -1;
      break;
    }
  }
  if (r < 0)
    return -1;
  if (!d->span_bad && (start > INT64_MAX || end > INT64_MAX))
    span_problem(d, span_at, "time beyond the year 2262");
  if (d->span_bad) {
    sb->skipped++;
    return 0;
  }
  sb->row.start = (int64_t) start;
  sb->row.duration = end > start ? (int64_t) (end - start) : 0;
  int rc = dl_rb_span_end(sb, NULL);
  if (rc)
    return fail_at(d, span_at, rc, "cannot store the span: %s", dl_strerror(rc));
  return 0;
}

static int
scope_spans(pb *d, cursor c)
{
  uint32_t f;
  int wt, r;
  d->sp = 0;
  while ((r = tag(d, &c, &f, &wt)) > 0) {
    const uint8_t *at = c.p;
    if (f == 2) {
      cursor s;
      if (wt != WT_LEN)
        return wrong_type(d, at, "ScopeSpans", f, wt);
      if (length_delimited(d, &c, &s) || span(d, s))
        return -1;
      d->sp++;
    } else if (skip_checked(d, &c, "ScopeSpans", f, wt, f == 1 || f == 3 ? WT_LEN : -1)) {
      return -1;
    }
  }
  d->sp = -1;
  return r;
}

static int
resource(pb *d, cursor c)
{
  uint32_t f;
  int wt, r;
  while ((r = tag(d, &c, &f, &wt)) > 0) {
    const uint8_t *at = c.p;
    if (f == 1) {
      cursor kv;
      if (wt != WT_LEN)
        return wrong_type(d, at, "Resource", f, wt);
      if (length_delimited(d, &c, &kv) || key_value(d, kv, DL_AT_RESOURCE))
        return -1;
    } else if (skip_checked(d, &c, "Resource", f, wt, f == 2 ? WT_VARINT : f == 3 ? WT_LEN : -1)) {
      return -1;
    }
  }
  return r;
}

static int
resource_spans(pb *d, cursor c)
{
  dl_rb_resource_begin(&d->sb);
  /* The resource first, wherever it is: spans need its attributes. */
  cursor scan = c;
  uint32_t f;
  int wt, r;
  while ((r = tag(d, &scan, &f, &wt)) > 0) {
    const uint8_t *at = scan.p;
    if (f == 1) {
      cursor res;
      if (wt != WT_LEN)
        return wrong_type(d, at, "ResourceSpans", f, wt);
      if (length_delimited(d, &scan, &res) || resource(d, res))
        return -1;
    } else if (skip_checked(d, &scan, "ResourceSpans", f, wt, f == 3 ? WT_LEN : -1)) {
      return -1;
    }
  }
  if (r < 0)
    return -1;
  d->ss = 0;
  while ((r = tag(d, &c, &f, &wt)) > 0) {
    const uint8_t *at = c.p;
    cursor s;
    if (f == 2 || f == 1000) {
      /* 1000: the deprecated instrumentation_library_spans, same shape. */
      if (wt != WT_LEN)
        return wrong_type(d, at, "ResourceSpans", f, wt);
      if (length_delimited(d, &c, &s) || scope_spans(d, s))
        return -1;
      d->ss++;
    } else if (skip_field(d, &c, f, wt)) {
      return -1;
    }
  }
  d->ss = -1;
  return r;
}

int
dl_decode_otlp_protobuf(dl_trace_set *set, const void *data, size_t len, const char *source,
                        const dl_ingest_options *opt, dl_ingest_stats *stats, dl_error *err)
{
  pb d;
  dl_error local;
  if (!err)
    err = &local;
  dl_error_clear(err);
  memset(&d, 0, sizeof d);
  d.base = data;
  d.source = source ? source : "input";
  d.err = err;
  d.lenient = opt && opt->lenient;
  d.warning = stats ? &stats->warning : NULL;
  d.rs = d.ss = d.sp = -1;
  dl_rb_init(&d.sb, set);
  size_t base = dl_trace_set_count(set);
  cursor c = {data, (const uint8_t *) data + len};
  uint32_t f;
  int wt, r;
  d.rs = 0;
  while ((r = tag(&d, &c, &f, &wt)) > 0) {
    const uint8_t *at = c.p;
    if (f == 1) {
      cursor rs;
      if (wt != WT_LEN) {
        r = wrong_type(&d, at, "TracesData", f, wt);
        break;
      }
      if (length_delimited(&d, &c, &rs) || resource_spans(&d, rs)) {
        r = -1;
        break;
      }
      d.rs++;
    } else if (skip_field(&d, &c, f, wt)) {
      r = -1;
      break;
    }
  }
  if (r < 0) {
    if (!d.lenient || d.code == DL_ENOMEM) {
      dl_trace_set_truncate(set, base);
      return d.code ? d.code : DL_EPARSE;
    }
    if (d.warning && !d.warning->code)
      *d.warning = *err;
    dl_error_clear(err);
    d.sb.skipped++;
  }
  if (stats) {
    stats->spans += d.sb.added;
    stats->skipped += d.sb.skipped;
    stats->bytes += len;
    stats->format = DL_FORMAT_OTLP_PROTOBUF;
  }
  return DL_OK;
}
