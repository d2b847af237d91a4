/* partial_success from a collector's answer, with the project's
   protobuf reader and JSON scanner: bounded by the body, never trusting
   a length or a nesting it gives. */
#include "otlp/exporter-response.h"

#include "deploy-ledger/exporter.h"

#include <limits.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "ingest/json-scanner.h"
#include "ingest/pb-wire.h"
#include "net/excerpt.h"

#define SOURCE "the collector's answer"

/* ---- protobuf ---- */

static int
pb_fault(const uint8_t *base, const dl_pb_fault *f, dl_error *err)
{
  dl_fail(err, DL_EPARSE, "%s: byte %ld: %s", SOURCE, (long) (f->at - base), f->what);
  dl_error_at(err, SOURCE, -1, -1, (long) (f->at - base));
  return DL_EPARSE;
}

/* ExportTracePartialSuccess: rejected_spans = 1, error_message = 2. */
static int
pb_partial(const uint8_t *base, dl_pb_cursor c, dl_partial_success *out, dl_error *err)
{
  dl_pb_fault f;
  uint32_t field;
  int wt, r;
  while ((r = dl_pb_tag(&c, &field, &wt, &f)) > 0) {
    const uint8_t *at = c.p;
    if (field == 1 && wt == DL_PB_VARINT) {
      uint64_t v;
      if (dl_pb_varint(&c, &v, &f))
        return pb_fault(base, &f, err);
      if (v > (uint64_t) LONG_MAX)
        return dl_pb_fail(&f, at, "rejected_spans is negative or too large"),
               pb_fault(base, &f, err);
      out->rejected_spans = (long) v;
    } else if (field == 2 && wt == DL_PB_LEN) {
      dl_pb_cursor s;
      if (dl_pb_length_delimited(&c, &s, &f))
        return pb_fault(base, &f, err);
      dl_http_excerpt(out->message, sizeof out->message, s.p, (size_t) (s.end - s.p));
    } else if (field == 1 || field == 2) {
      dl_pb_fail(&f, at, "ExportTracePartialSuccess field %u has wire type %d", field, wt);
      return pb_fault(base, &f, err);
    } else if (dl_pb_skip(&c, field, wt, &f)) {
      return pb_fault(base, &f, err);
    }
  }
  return r < 0 ? pb_fault(base, &f, err) : DL_OK;
}

static int
pb_response(const uint8_t *body, size_t len, dl_partial_success *out, dl_error *err)
{
  dl_pb_cursor c = {body, body + len};
  dl_pb_fault f;
  uint32_t field;
  int wt, r;
  while ((r = dl_pb_tag(&c, &field, &wt, &f)) > 0) {
    if (field == 1 && wt == DL_PB_LEN) {
      dl_pb_cursor sub;
      if (dl_pb_length_delimited(&c, &sub, &f))
        return pb_fault(body, &f, err);
      int rc = pb_partial(body, sub, out, err);
      if (rc)
        return rc;
    } else if (field == 1) {
      dl_pb_fail(&f, c.p, "ExportTraceServiceResponse field 1 has wire type %d", wt);
      return pb_fault(body, &f, err);
    } else if (dl_pb_skip(&c, field, wt, &f)) {
      return pb_fault(body, &f, err);
    }
  }
  return r < 0 ? pb_fault(body, &f, err) : DL_OK;
}

/* ---- JSON ---- */

static int
named(dl_str k, const char *camel, const char *proto)
{
  return (k.len == strlen(camel) && memcmp(k.ptr, camel, k.len) == 0)
         || (k.len == strlen(proto) && memcmp(k.ptr, proto, k.len) == 0);
}

typedef int (*member_fn)(dl_js *js, dl_str key, dl_partial_success *out);

/* Walks the members of the object that follows (null: none), calling FN
   for each with its key on the error path. */
static int
members(dl_js *js, member_fn fn, dl_partial_success *out)
{
  int more = dl_js_object_begin(js);
  while (more > 0) {
    dl_str k;
    if (dl_js_key(js, &k))
      return -1;
    dl_js_push_key(js, k);
    int rc = fn(js, k, out);
    dl_js_pop(js);
    if (rc)
      return -1;
    more = dl_js_object_next(js);
  }
  return more < 0 ? -1 : 0;
}

static int
partial_member(dl_js *js, dl_str k, dl_partial_success *out)
{
  if (named(k, "rejectedSpans", "rejected_spans")) {
    int64_t v = 0;
    if (!dl_js_null(js) && (js->code || dl_js_int64(js, &v)))
      return -1;
    if (v < 0 || v > LONG_MAX)
      return dl_js_fail(js, DL_EPARSE, "rejectedSpans %lld is negative or too large",
                        (long long) v);
    out->rejected_spans = (long) v;
    return 0;
  }
  if (named(k, "errorMessage", "error_message")) {
    dl_str m = {"", 0};
    if (!dl_js_null(js) && (js->code || dl_js_string(js, DL_JS_SLOT_VALUE, &m)))
      return -1;
    dl_http_excerpt(out->message, sizeof out->message, m.ptr, m.len);
    return 0;
  }
  return dl_js_skip(js);
}

static int
response_member(dl_js *js, dl_str k, dl_partial_success *out)
{
  if (named(k, "partialSuccess", "partial_success"))
    return members(js, partial_member, out);
  return dl_js_skip(js);
}

static int
json_response(const void *body, size_t len, dl_partial_success *out, dl_error *err)
{
  dl_js js;
  dl_js_init(&js, body, len, SOURCE, err);
  if (members(&js, response_member, out) == 0 && dl_js_peek(&js) != -1)
    dl_js_fail(&js, DL_EPARSE, "more after the answer's object");
  int rc = js.code;
  dl_js_release(&js);
  return rc;
}

int
dl_partial_success_parse(const void *body, size_t len, int json, dl_partial_success *out,
                         dl_error *err)
{
  memset(out, 0, sizeof *out);
  if (!body || !len)
    return DL_OK;
  return json ? json_response(body, len, out, err) : pb_response(body, len, out, err);
}

/* ---- bodies kept in the dead letters ---- */

/* The length of the valid UTF-8 sequence at P (N bytes left) of a
   printable character, or 0: overlong forms, surrogates and code points
   past U+10FFFF are not valid, nor are C1 controls. */
static size_t
utf8_printable(const unsigned char *p, size_t n)
{
  if (p[0] >= 0x20 && p[0] < 0x7f)
    return 1;
  size_t len = p[0] >= 0xc2 && p[0] <= 0xdf ? 2 : (p[0] & 0xf0) == 0xe0 ? 3
               : p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : 0;
  if (!len || len > n)
    return 0;
  for (size_t i = 1; i < len; i++)
    if ((p[i] & 0xc0) != 0x80)
      return 0;
  if (len == 2 && p[0] == 0xc2 && p[1] < 0xa0)
    return 0; /* U+0080..U+009F */
  if (len == 3 && ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0)))
    return 0;
  if (len == 4 && ((p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90)))
    return 0;
  return len;
}

void
dl_exporter_escape_body(char *out, size_t size, const void *data, size_t len)
{
  static const char ellipsis[] = "...";
  const unsigned char *p = data;
  size_t o = 0;
  if (!size)
    return;
  /* Room kept for the ellipsis, so that a cut is always said. */
  size_t room = size - 1 >= sizeof ellipsis ? size - sizeof ellipsis : 0;
  size_t i = 0;
  while (p && i < len) {
    char esc[5];
    const char *piece = esc;
    size_t n = utf8_printable(p + i, len - i), take = n ? n : 1;
    if (n && p[i] != '\\')
      piece = (const char *) p + i;
    else if (p[i] == '\\')
      memcpy(esc, "\\\\", n = 2);
    else if (p[i] == '\n')
      memcpy(esc, "\\n", n = 2);
    else if (p[i] == '\r')
      memcpy(esc, "\\r", n = 2);
    else if (p[i] == '\t')
      memcpy(esc, "\\t", n = 2);
    else
      n = (size_t) snprintf(esc, sizeof esc, "\\x%02x", p[i]);
    if (o + n > room)
      break;
    memcpy(out + o, piece, n);
    o += n;
    i += take;
  }
  if (p && i < len && size > sizeof ellipsis) {
    memcpy(out + o, ellipsis, sizeof ellipsis - 1);
    o += sizeof ellipsis - 1;
  }
  out[o] = '\0';
}
