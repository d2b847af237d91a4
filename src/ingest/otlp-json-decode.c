/* OTLP JSON straight into the trace set: a schema-directed walk over the
   streaming scanner, no document tree.
   Accepts ExportTraceServiceRequest / TracesData, one per document, as a
   single document or JSON Lines (any whitespace-separated sequence),
   Jaeger api/v3's {"result": TracesData} and Tempo's {"batches": [...]}
   and {"trace": TracesData}.  Member names in
   lowerCamelCase or the proto names (snake_case); ids in hex (either
   case) or base64; enums as integers or names; 64-bit integers as
   strings or numbers; unknown members skipped (but validated). */
#include <stdio.h>
#include <string.h>

#include "deploy-ledger/ingest.h"
#include "ingest/json-scanner.h"
#include "ingest/row-builder.h"

typedef struct otlp_json {
  dl_js js;
  dl_row_builder sb;
  int lenient;
  int span_bad;      /* the current span has a problem (lenient: dropped) */
  dl_error *warning; /* lenient: where the first problem goes */
} otlp_json;

#define IS(k, lit) ((k).len == sizeof(lit) - 1 && memcmp((k).ptr, lit, sizeof(lit) - 1) == 0)
#define IS2(k, a, b) (IS(k, a) || IS(k, b))

static const dl_str K_RESOURCE_SPANS = {"resourceSpans", 13};
static const dl_str K_RESOURCE = {"resource", 8};
static const dl_str K_SCOPE_SPANS = {"scopeSpans", 10};
static const dl_str K_SPANS = {"spans", 5};
static const dl_str K_ATTRIBUTES = {"attributes", 10};
static const dl_str K_VALUE = {"value", 5};
static const dl_str K_EVENTS = {"events", 6};
static const dl_str K_STATUS = {"status", 6};
static const dl_str K_RESULT = {"result", 6};
static const dl_str K_TRACE = {"trace", 5};

/* A problem with one span's content (not the syntax): fatal in strict
   mode; in lenient mode the span is dropped and the first such problem
   kept as a warning. */
static int
span_problem(otlp_json *d, const uint8_t *at, const char *fmt, const char *detail,
             size_t detail_len)
{
  /* Report at the start of the offending value, then carry on after it. */
  const uint8_t *resume = d->js.p;
  d->js.p = at;
  if (!d->lenient)
    return dl_js_fail(&d->js, DL_EPARSE, fmt, (int) (detail_len > 60 ? 60 : detail_len), detail);
  if (d->warning && !d->warning->code) {
    dl_js tmp = d->js;
    tmp.err = d->warning;
    tmp.code = 0;
    dl_js_fail(&tmp, DL_EPARSE, fmt, (int) (detail_len > 60 ? 60 : detail_len), detail);
  }
  d->js.p = resume;
  d->span_bad = 1;
  return 0;
}

/* ---- walking ---- */

typedef int (*walker)(otlp_json *d, int arg);

/* Skips (and so validates) the value of member K, K in the path of an
   error. */
static int
skip_member(dl_js *js, dl_str k)
{
  dl_js_push_key(js, k);
  int rc = dl_js_skip(js);
  dl_js_pop(js);
  return rc;
}

/* Calls EACH with ARG on every element of the array under member KEY,
   with KEY[i] as the path of an error. */
static int
each_element(otlp_json *d, dl_str key, walker each, int arg)
{
  dl_js *js = &d->js;
  dl_js_push_key(js, key);
  dl_js_push_index(js, 0);
  long i = 0;
  int more = dl_js_array_begin(js);
  while (more > 0) {
    dl_js_set_index(js, i++);
    if (each(d, arg))
      return -1;
    more = dl_js_array_next(js);
  }
  dl_js_pop(js);
  dl_js_pop(js);
  return more < 0 ? -1 : 0;
}

/* Of the object that follows, walks member WANTED with FN and ARG and
   skips the others. */
static int
only_member(otlp_json *d, dl_str wanted, walker fn, int arg)
{
  dl_js *js = &d->js;
  int more = dl_js_object_begin(js);
  while (more > 0) {
    dl_str k;
    if (dl_js_key(js, &k))
      return -1;
    int match = k.len == wanted.len && memcmp(k.ptr, wanted.ptr, k.len) == 0;
    if (match ? fn(d, arg) : skip_member(js, k))
      return -1;
    more = dl_js_object_next(js);
  }
  return more < 0 ? -1 : 0;
}

/* ---- values and attributes ---- */

static int
any_value(otlp_json *d, dl_attr_value *v)
{
  dl_js *js = &d->js;
  v->type = DL_VAL_NONE;
  int more = dl_js_object_begin(js);
  while (more > 0) {
    dl_str k;
    if (dl_js_key(js, &k))
      return -1;
    dl_js_push_key(js, k);
    int rc = 0;
    if (dl_js_null(js)) {
      /* null: the default, i.e. absent */
    } else if (js->code) {
      rc = -1;
    } else if (IS2(k, "stringValue", "string_value")) {
      rc = dl_js_string(js, DL_JS_SLOT_VALUE, &v->text);
      v->type = DL_VAL_STRING;
    } else if (IS2(k, "intValue", "int_value")) {
      rc = dl_js_int64(js, &v->i);
      v->type = DL_VAL_INT;
    } else if (IS2(k, "boolValue", "bool_value")) {
      int b = 0;
      rc = dl_js_bool(js, &b);
      v->i = b;
      v->type = DL_VAL_BOOL;
    } else if (IS2(k, "doubleValue", "double_value")) {
      rc = dl_js_double(js, &v->d);
      v->type = DL_VAL_DOUBLE;
    } else if (IS2(k, "bytesValue", "bytes_value")) {
      rc = dl_js_string(js, DL_JS_SLOT_VALUE, &v->text);
      v->type = DL_VAL_BYTES;
    } else {
      /* arrayValue, kvlistValue and anything newer: not stored. */
      rc = dl_js_skip(js);
      v->type = DL_VAL_NONE;
    }
    dl_js_pop(js);
    if (rc)
      return -1;
    more = dl_js_object_next(js);
  }
  return more < 0 ? -1 : 0;
}

static int
key_value(otlp_json *d, int at)
{
  dl_js *js = &d->js;
  dl_str key = {NULL, 0};
  const uint8_t *value_at = NULL; /* a value seen before its key */
  int have_key = 0;
  dl_attr_value v;
  v.type = DL_VAL_NONE;
  int more = dl_js_object_begin(js);
  while (more > 0) {
    dl_str k;
    if (dl_js_key(js, &k))
      return -1;
    if (IS(k, "key")) {
      if (dl_js_string(js, DL_JS_SLOT_NAME, &key))
        return -1;
      have_key = 1;
    } else if (IS(k, "value")) {
      dl_js_push_key(js, K_VALUE);
      int rc;
      if (have_key) {
        rc = any_value(d, &v);
      } else {
        dl_js_ws(js);
        value_at = js->p;
        rc = dl_js_skip(js);
      }
      dl_js_pop(js);
      if (rc)
        return -1;
    } else {
      if (skip_member(js, k))
        return -1;
    }
    more = dl_js_object_next(js);
  }
  if (more < 0)
    return -1;
  if (!have_key)
    return 0;
  if (value_at) {
    /* The value came first: read it again now that the key is known. */
    const uint8_t *resume = js->p;
    int depth = js->depth;
    js->p = value_at;
    dl_js_push_key(js, K_VALUE);
    int rc = any_value(d, &v);
    dl_js_pop(js);
    js->p = resume;
    js->depth = depth;
    if (rc)
      return -1;
  }
  if (dl_rb_attr(&d->sb, at, key.ptr, key.len, &v))
    return dl_js_fail(js, DL_ENOMEM, "out of memory storing an attribute");
  return 0;
}

static int
attributes(otlp_json *d, int at)
{
  return each_element(d, K_ATTRIBUTES, key_value, at);
}

/* ---- spans ---- */

static int
span_id_field(otlp_json *d, uint8_t *out, size_t n, const char *what)
{
  dl_str s;
  if (dl_js_null(&d->js))
    return 0;
  const uint8_t *at = d->js.p;
  if (d->js.code || dl_js_string(&d->js, DL_JS_SLOT_VALUE, &s))
    return -1;
  if (dl_id_from_text(s.ptr, s.len, out, n, 0)) {
    char fmt[120];
    snprintf(fmt, sizeof fmt, "%s \"%%.*s\" is neither %zu hex digits nor base64 of %zu bytes", what,
             2 * n, n);
    return span_problem(d, at, fmt, s.ptr ? s.ptr : "", s.ptr ? s.len : 0);
  }
  return 0;
}

/* The proto3 JSON mapping writes an enum by its name in the .proto file:
   "SPAN_KIND_" and the kind's name in capitals, which dl_span_kind_parse
   reads without regard to case. */
static int
kind_by_name(const char *s, size_t len)
{
  static const char prefix[] = "SPAN_KIND_";
  size_t n = sizeof prefix - 1;
  int kind;
  if (len <= n || memcmp(s, prefix, n) != 0 || dl_span_kind_parse(s + n, len - n, &kind, NULL))
    return -1;
  return kind;
}

static int
status_by_name(const char *s, size_t len)
{
  static const char *const status_names[] = {"STATUS_CODE_UNSET", "STATUS_CODE_OK",
                                             "STATUS_CODE_ERROR"};
  for (int i = 0; i < 3; i++)
    if (len == strlen(status_names[i]) && memcmp(s, status_names[i], len) == 0)
      return i;
  return -1;
}

/* An enum given as an integer in [0, N) or by a name BY_NAME knows. */
static int
enum_field(otlp_json *d, int (*by_name)(const char *, size_t), int n, int *out, const char *what)
{
  dl_js *js = &d->js;
  if (dl_js_null(js)) {
    *out = 0;
    return 0;
  }
  if (js->code)
    return -1;
  const uint8_t *at = js->p;
  if (js->p < js->end && *js->p == '"') {
    dl_str s;
    if (dl_js_string(js, DL_JS_SLOT_VALUE, &s))
      return -1;
    int value = s.ptr ? by_name(s.ptr, s.len) : -1;
    if (value >= 0) {
      *out = value;
      return 0;
    }
    char fmt[80];
    snprintf(fmt, sizeof fmt, "unknown %s \"%%.*s\"", what);
    *out = 0;
    return span_problem(d, at, fmt, s.ptr ? s.ptr : "", s.ptr ? s.len : 0);
  }
  int64_t v;
  if (dl_js_int64(js, &v))
    return -1;
  if (v < 0 || v >= n) {
    char fmt[80], num[24];
    snprintf(fmt, sizeof fmt, "%s %%.*s is out of range", what);
    int len = snprintf(num, sizeof num, "%lld", (long long) v);
    *out = 0;
    return span_problem(d, at, fmt, num, (size_t) len);
  }
  *out = (int) v;
  return 0;
}

static int
time_field(otlp_json *d, int64_t *out)
{
  dl_js *js = &d->js;
  uint64_t v;
  if (dl_js_null(js)) {
    *out = 0;
    return 0;
  }
  const uint8_t *at = js->p;
  if (js->code || dl_js_uint64(js, &v))
    return -1;
  if (v > (uint64_t) INT64_MAX) {
    char num[24];
    int n = snprintf(num, sizeof num, "%llu", (unsigned long long) v);
    *out = 0;
    return span_problem(d, at, "time %.*s ns is beyond the year 2262", num, (size_t) n);
  }
  *out = (int64_t) v;
  return 0;
}

static int
status(otlp_json *d)
{
  dl_js *js = &d->js;
  dl_js_push_key(js, K_STATUS);
  int more = dl_js_object_begin(js);
  while (more > 0) {
    dl_str k;
    if (dl_js_key(js, &k))
      return -1;
    dl_js_push_key(js, k);
    int rc;
    if (IS(k, "code")) {
      rc = enum_field(d, status_by_name, 3, &d->sb.status_code, "status code");
    } else if (IS(k, "message")) {
      dl_str m = {NULL, 0};
      rc = dl_js_null(js) ? 0 : js->code ? -1 : dl_js_string(js, DL_JS_SLOT_VALUE, &m);
      if (!rc && m.len && dl_rb_status_message(&d->sb, m.ptr, m.len))
        rc = dl_js_fail(js, DL_ENOMEM, "out of memory storing a status message");
    } else {
      rc = dl_js_skip(js);
    }
    dl_js_pop(js);
    if (rc)
      return -1;
    more = dl_js_object_next(js);
  }
  dl_js_pop(js);
  return more < 0 ? -1 : 0;
}

static int
event(otlp_json *d, int unused)
{
  (void) unused;
  return only_member(d, K_ATTRIBUTES, attributes, DL_AT_EVENT);
}

static int
events(otlp_json *d)
{
  return each_element(d, K_EVENTS, event, 0);
}

static int
span(otlp_json *d, int unused)
{
  (void) unused;
  dl_js *js = &d->js;
  dl_row_builder *sb = &d->sb;
  dl_rb_span_begin(sb);
  d->span_bad = 0;
  int64_t start = 0, end = 0;
  int kind = 0;
  int more = dl_js_object_begin(js);
  while (more > 0) {
    dl_str k;
    if (dl_js_key(js, &k))
      return -1;
    int rc;
    /* Sorted roughly by how often writers emit them. */
    if (IS2(k, "traceId", "trace_id")) {
      dl_js_push_key(js, k);
      rc = span_id_field(d, sb->row.trace_id, DL_TRACE_ID_SIZE, "trace id");
      dl_js_pop(js);
    } else if (IS2(k, "spanId", "span_id")) {
      dl_js_push_key(js, k);
      rc = span_id_field(d, sb->row.span_id, DL_SPAN_ID_SIZE, "span id");
      dl_js_pop(js);
    } else if (IS2(k, "parentSpanId", "parent_span_id")) {
      dl_js_push_key(js, k);
      rc = span_id_field(d, sb->row.parent_id, DL_SPAN_ID_SIZE, "parent span id");
      dl_js_pop(js);
    } else if (IS(k, "name")) {
      dl_str s = {NULL, 0};
      dl_js_push_key(js, k);
      rc = dl_js_null(js) ? 0 : js->code ? -1 : dl_js_string(js, DL_JS_SLOT_VALUE, &s);
      if (!rc && s.len && dl_rb_name(sb, s.ptr, s.len))
        rc = dl_js_fail(js, DL_ENOMEM, "out of memory storing a span name");
      dl_js_pop(js);
    } else if (IS(k, "kind")) {
      dl_js_push_key(js, k);
      rc = enum_field(d, kind_by_name, DL_KIND_COUNT, &kind, "span kind");
      dl_js_pop(js);
    } else if (IS2(k, "startTimeUnixNano", "start_time_unix_nano")) {
      dl_js_push_key(js, k);
      rc = time_field(d, &start);
      dl_js_pop(js);
    } else if (IS2(k, "endTimeUnixNano", "end_time_unix_nano")) {
      dl_js_push_key(js, k);
      rc = time_field(d, &end);
      dl_js_pop(js);
    } else if (IS(k, "attributes")) {
      rc = attributes(d, DL_AT_SPAN);
    } else if (IS(k, "status")) {
      rc = status(d);
    } else if (IS(k, "events")) {
      rc = events(d);
    } else {
      /* links, traceState, flags, dropped counts, anything newer. */
      rc = skip_member(js, k);
    }
    if (rc)
      return -1;
    more = dl_js_object_next(js);
  }
  if (more < 0)
    return -1;
  if (d->span_bad) {
    sb->skipped++;
    return 0;
  }
  sb->row.kind = (uint8_t) kind;
  sb->row.start = start;
  /* A span that ends before it starts has no meaningful duration. */
  sb->row.duration = end > start ? end - start : 0;
  int rc = dl_rb_span_end(sb, NULL);
  if (rc)
    return dl_js_fail(js, rc, "cannot store the span: %s", dl_strerror(rc));
  return 0;
}

static int
spans(otlp_json *d, int unused)
{
  (void) unused;
  return each_element(d, K_SPANS, span, 0);
}

static int
scope_spans_one(otlp_json *d, int unused)
{
  (void) unused;
  return only_member(d, K_SPANS, spans, 0);
}

static int
scope_spans(otlp_json *d, dl_str key)
{
  return each_element(d, key, scope_spans_one, 0);
}

static int
resource(otlp_json *d)
{
  dl_js *js = &d->js;
  dl_js_push_key(js, K_RESOURCE);
  if (only_member(d, K_ATTRIBUTES, attributes, DL_AT_RESOURCE))
    return -1;
  dl_js_pop(js);
  return 0;
}

#define MAX_DEFERRED 8

/* Skipping deferred spans found them malformed: parse them for real to
   report the path of the fault, then drop the rows that parse added. */
static int
precise_failure(otlp_json *d, const uint8_t *at, dl_str key)
{
  dl_js *js = &d->js;
  dl_error saved;
  if (js->err)
    saved = *js->err;
  size_t rows = dl_trace_set_count(d->sb.set), added = d->sb.added;
  const uint8_t *fail_at = js->p;
  int depth = js->depth, path_len = js->path_len;
  js->code = 0;
  js->p = at;
  int rc = scope_spans(d, key);
  if (rc == 0 || js->code != DL_EPARSE) {
    /* Not reproduced (cannot happen): keep the first report. */
    if (js->err)
      *js->err = saved;
    js->code = DL_EPARSE;
    js->p = fail_at;
  }
  js->depth = depth;
  js->path_len = path_len;
  dl_trace_set_truncate(d->sb.set, rows);
  d->sb.added = added;
  return -1;
}

static int
resource_spans_one(otlp_json *d, int unused)
{
  (void) unused;
  dl_js *js = &d->js;
  dl_rb_resource_begin(&d->sb);
  int have_resource = 0;
  /* Spans met before the resource are read after it, from here. */
  struct {
    const uint8_t *at;
    dl_str key;
  } deferred[MAX_DEFERRED];
  int n_deferred = 0;
  int more = dl_js_object_begin(js);
  int depth = js->depth;
  while (more > 0) {
    dl_str k;
    if (dl_js_key(js, &k))
      return -1;
    int rc;
    if (IS(k, "resource")) {
      rc = resource(d);
      have_resource = 1;
    } else if (IS2(k, "scopeSpans", "scope_spans") ||
               IS2(k, "instrumentationLibrarySpans", "instrumentation_library_spans")) {
      dl_str canon = IS2(k, "scopeSpans", "scope_spans") ? K_SCOPE_SPANS : k;
      if (have_resource) {
        rc = scope_spans(d, canon);
      } else if (n_deferred == MAX_DEFERRED) {
        rc = dl_js_fail(js, DL_EPARSE, "too many scopeSpans members before the resource");
      } else {
        dl_js_ws(js);
        const uint8_t *at = js->p;
        deferred[n_deferred].at = at;
        deferred[n_deferred].key = canon;
        n_deferred++;
        dl_js_push_key(js, canon);
        rc = dl_js_skip(js);
        dl_js_pop(js);
        if (rc && js->code == DL_EPARSE)
          rc = precise_failure(d, at, canon);
      }
    } else {
      rc = skip_member(js, k);
    }
    if (rc)
      return -1;
    more = dl_js_object_next(js);
  }
  if (more < 0)
    return -1;
  if (n_deferred) {
    const uint8_t *resume = js->p;
    int saved_depth = js->depth;
    js->depth = depth;
    for (int i = 0; i < n_deferred; i++) {
      js->p = deferred[i].at;
      if (scope_spans(d, deferred[i].key))
        return -1;
    }
    js->p = resume;
    js->depth = saved_depth;
  }
  return 0;
}

static int
resource_spans(otlp_json *d)
{
  return each_element(d, K_RESOURCE_SPANS, resource_spans_one, 0);
}

/* An api/v3 error object: {"error": {"httpCode": 404, "message": "..."}}. */
static int
error_object(otlp_json *d)
{
  dl_js *js = &d->js;
  dl_str message = {"(no message)", 12};
  const uint8_t *at = js->p;
  int more = dl_js_object_begin(js);
  while (more > 0) {
    dl_str k;
    if (dl_js_key(js, &k))
      return -1;
    if (IS(k, "message")) {
      if (dl_js_null(js))
        ;
      else if (js->code || dl_js_string(js, DL_JS_SLOT_VALUE, &message))
        return -1;
    } else if (dl_js_skip(js)) {
      return -1;
    }
    more = dl_js_object_next(js);
  }
  if (more < 0)
    return -1;
  js->p = at;
  return dl_js_fail(js, DL_EPARSE, "the document is an error response: %.*s",
                    (int) (message.len > 150 ? 150 : message.len), message.ptr ? message.ptr : "");
}

/* One TracesData (or request, or {"result": ...}) object. */
static int
document(otlp_json *d, int nested)
{
  dl_js *js = &d->js;
  dl_js_ws(js);
  if (js->p >= js->end || *js->p != '{') {
    char what[16];
    if (js->p < js->end && *js->p >= 0x20 && *js->p < 0x7f)
      snprintf(what, sizeof what, "'%c'", *js->p);
    else
      snprintf(what, sizeof what, "byte 0x%02x", js->p < js->end ? *js->p : 0);
    return dl_js_fail(js, DL_EPARSE, "expected an OTLP JSON object, found %s", what);
  }
  int more = dl_js_object_begin(js);
  while (more > 0) {
    dl_str k;
    if (dl_js_key(js, &k))
      return -1;
    int rc;
    if (IS2(k, "resourceSpans", "resource_spans") || IS(k, "batches")) {
      /* "batches": Tempo's name for the resource spans of a trace. */
      rc = resource_spans(d);
    } else if (!nested && (IS(k, "result") || IS(k, "trace"))) {
      /* Jaeger api/v3 {"result": ...}, Tempo api/v2 {"trace": ...}. */
      dl_js_push_key(js, IS(k, "result") ? K_RESULT : K_TRACE);
      rc = dl_js_null(js) ? 0 : js->code ? -1 : document(d, 1);
      dl_js_pop(js);
    } else if (!nested && IS(k, "error") && (dl_js_ws(js), js->p < js->end && *js->p == '{')) {
      dl_js_push_key(js, k);
      rc = error_object(d);
      dl_js_pop(js);
    } else {
      rc = skip_member(js, k);
    }
    if (rc)
      return -1;
    more = dl_js_object_next(js);
  }
  return more < 0 ? -1 : 0;
}

int
dl_decode_otlp_json(dl_trace_set *set, const void *data, size_t len, const char *source,
                    const dl_ingest_options *opt, dl_ingest_stats *stats, dl_error *err)
{
  otlp_json d;
  dl_error local;
  if (!err)
    err = &local;
  dl_error_clear(err);
  size_t base = dl_trace_set_count(set);
  dl_js_init(&d.js, data, len, source, err);
  dl_rb_init(&d.sb, set);
  d.lenient = opt && opt->lenient;
  d.warning = stats ? &stats->warning : NULL;
  size_t docs = 0, bad_lines = 0;
  int rc = DL_OK;
  dl_js_ws(&d.js);
  if (d.js.p >= d.js.end) {
    dl_js_fail(&d.js, DL_EPARSE, "empty input: no OTLP JSON document");
    rc = d.js.code;
  }
  while (rc == DL_OK && d.js.p < d.js.end) {
    const uint8_t *doc_start = d.js.p;
    d.js.path_len = 0;
    d.js.depth = 0;
    if (document(&d, 0) == 0) {
      docs++;
      dl_js_ws(&d.js);
      continue;
    }
    if (!d.lenient || d.js.code == DL_ENOMEM) {
      rc = d.js.code;
      break;
    }
    /* Lenient: note the problem, drop this line, resynchronise on the
       next line that starts a document. */
    bad_lines++;
    if (d.warning && !d.warning->code)
      *d.warning = *err;
    dl_error_clear(err);
    d.js.code = 0;
    const uint8_t *p = d.js.p > doc_start ? d.js.p : doc_start + 1;
    const uint8_t *nl = p < d.js.end ? memchr(p, '\n', (size_t) (d.js.end - p)) : NULL;
    d.js.p = nl ? nl + 1 : d.js.end;
    dl_js_ws(&d.js);
  }
  dl_js_release(&d.js);
  if (rc != DL_OK) {
    dl_trace_set_truncate(set, base);
    return rc;
  }
  if (stats) {
    stats->spans += d.sb.added;
    stats->skipped += d.sb.skipped + bad_lines;
    stats->bytes += len;
    stats->format = DL_FORMAT_OTLP_JSON;
  }
  (void) docs;
  return DL_OK;
}
