/* partial_success from a collector's answer, with the project's
   protobuf reader and JSON scanner: bounded by the body, never trusting
   a length or a nesting it gives. */
#include "otlp/exporter-response.h"

#include <limits.h>
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
