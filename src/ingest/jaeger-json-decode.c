/* Jaeger JSON into the trace set, through jansson (Jaeger documents are
   query results and downloads, small next to OTLP bulk files).
   Accepted shapes: the query API response {"data": [trace...]}, one trace
   {traceID, spans, processes} (the UI download), an array of traces or of
   spans, a thrift Batch {process, spans} and Jaeger's internal model
   (base64 ids, RFC 3339 times, "5000ns" durations, vType/vStr tags).
   Tags of every type; references CHILD_OF / FOLLOWS_FROM; logs. */
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "deploy-ledger/ingest.h"
#include "ingest/json-scanner.h"
#include "ingest/row-builder.h"
#include "deploy-ledger/time.h"

#define PATH_MAX_FRAMES 12

typedef struct jaeger {
  dl_row_builder sb;
  const void *data;
  size_t len;
  const char *source;
  dl_error *err;
  dl_error *warning;
  int lenient;
  int code;
  dl_js_frame path[PATH_MAX_FRAMES];
  int depth;
  json_t *batch_process; /* thrift Batch: the process of every span */
} jaeger;

static void
push_key(jaeger *j, const char *key)
{
  if (j->depth < PATH_MAX_FRAMES) {
    j->path[j->depth].key = key;
    j->path[j->depth].key_len = strlen(key);
    j->path[j->depth].index = -1;
  }
  j->depth++;
}

static void
push_index(jaeger *j, long i)
{
  if (j->depth < PATH_MAX_FRAMES) {
    j->path[j->depth].key = NULL;
    j->path[j->depth].index = i;
  }
  j->depth++;
}

static void
pop(jaeger *j, int n)
{
  j->depth -= n;
}

/* Formats a problem at the current path into E, with the line and
   column found by re-scanning the text up to that path. */
static void
describe(jaeger *j, dl_error *e, int code, const char *what)
{
  char path[200];
  size_t n = (size_t) snprintf(path, sizeof path, "$");
  int depth = j->depth < PATH_MAX_FRAMES ? j->depth : PATH_MAX_FRAMES;
  for (int i = 0; i < depth && n < sizeof path; i++) {
    if (j->path[i].key)
      n += (size_t) snprintf(path + n, sizeof path - n, ".%s", j->path[i].key);
    else
      n += (size_t) snprintf(path + n, sizeof path - n, "[%ld]", j->path[i].index);
  }
  long off = dl_js_locate(j->data, j->len, j->path, depth);
  long line = -1, column = -1;
  if (off >= 0) {
    dl_js js;
    dl_js_init(&js, j->data, j->len, NULL, NULL);
    dl_js_line_column(&js, (size_t) off, &line, &column);
    dl_fail(e, code, "%s:%ld:%ld: %s: %s", j->source, line, column, path, what);
  } else {
    dl_fail(e, code, "%s: %s: %s", j->source, path, what);
  }
  dl_error_at(e, j->source, line, column, off);
}

/* A problem with the document (fatal) or with one span (fatal unless
   lenient, where the span is dropped): returns -1 when fatal. */
static int
problem(jaeger *j, int span_level, const char *fmt, ...) DL_PRINTF(3, 4);

static int
problem(jaeger *j, int span_level, const char *fmt, ...)
{
  char what[240];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  if (span_level && j->lenient) {
    if (j->warning && !j->warning->code)
      describe(j, j->warning, DL_EPARSE, what);
    return 0;
  }
  if (!j->code) {
    j->code = DL_EPARSE;
    if (j->err)
      describe(j, j->err, DL_EPARSE, what);
  }
  return -1;
}

static const char *
type_name(const json_t *v)
{
  switch (json_typeof(v)) {
  case JSON_OBJECT: return "an object";
  case JSON_ARRAY: return "an array";
  case JSON_STRING: return "a string";
  case JSON_INTEGER: return "an integer";
  case JSON_REAL: return "a number";
  case JSON_TRUE:
  case JSON_FALSE: return "a boolean";
  default: return "null";
  }
}

/* ---- ids, times, durations ---- */

/* An id as hex (possibly short), base64, or a number (thrift, 64 bits). */
static int
id_value(const json_t *v, uint8_t *out, size_t n)
{
  if (json_is_string(v))
    return dl_id_from_text(json_string_value(v), json_string_length(v), out, n, 1);
  if (json_is_integer(v)) {
    uint64_t u = (uint64_t) json_integer_value(v);
    memset(out, 0, n);
    for (int b = 0; b < 8; b++)
      out[n - 1 - b] = (uint8_t) (u >> (8 * b));
    return 0;
  }
  return -1;
}

/* The trace id of a span: traceID/traceId, or thrift's traceIdHigh/Low. */
static int
span_trace_id(jaeger *j, json_t *s, uint8_t out[DL_TRACE_ID_SIZE])
{
  json_t *v = json_object_get(s, "traceID");
  const char *name = "traceID";
  if (!v) {
    v = json_object_get(s, "traceId");
    name = "traceId";
  }
  if (v) {
    push_key(j, name);
    int bad = id_value(v, out, DL_TRACE_ID_SIZE);
    int rc = bad ? problem(j, 1, "trace id %s%s%s is not hex or base64 of 16 bytes",
                           json_is_string(v) ? "\"" : "",
                           json_is_string(v) ? json_string_value(v) : type_name(v),
                           json_is_string(v) ? "\"" : "")
                 : 0;
    pop(j, 1);
    return bad ? (rc ? -1 : 1) : 0;
  }
  json_t *lo = json_object_get(s, "traceIdLow"), *hi = json_object_get(s, "traceIdHigh");
  if (json_is_integer(lo)) {
    uint64_t l = (uint64_t) json_integer_value(lo);
    uint64_t h = json_is_integer(hi) ? (uint64_t) json_integer_value(hi) : 0;
    for (int b = 0; b < 8; b++) {
      out[7 - b] = (uint8_t) (h >> (8 * b));
      out[15 - b] = (uint8_t) (l >> (8 * b));
    }
    return 0;
  }
  int rc = problem(j, 1, "span has no traceID");
  return rc ? -1 : 1;
}

/* Microseconds since the epoch (number), or RFC 3339 text; -> ns. */
static int
time_value(const json_t *v, int64_t *ns)
{
  if (json_is_integer(v)) {
    json_int_t us = json_integer_value(v);
    if (us > INT64_MAX / 1000 || us < INT64_MIN / 1000)
      return -1;
    *ns = (int64_t) us * 1000;
    return 0;
  }
  if (json_is_real(v)) {
    double us = json_real_value(v);
    if (!(us > -9.2e15 && us < 9.2e15))
      return -1;
    *ns = (int64_t) (us * 1000.0);
    return 0;
  }
  if (json_is_string(v))
    return dl_time_parse(json_string_value(v), ns, NULL) == DL_OK ? 0 : -1;
  return -1;
}

/* Microseconds (number), or text: "5000ns", "1.5s" (protobuf Duration),
   or any duration dl_duration_parse reads; -> ns. */
static int
duration_value(const json_t *v, int64_t *ns)
{
  if (json_is_integer(v) || json_is_real(v))
    return time_value(v, ns);
  if (!json_is_string(v))
    return -1;
  const char *s = json_string_value(v);
  size_t len = json_string_length(v);
  if (len > 2 && strcmp(s + len - 2, "ns") == 0) {
    int64_t n = 0;
    for (size_t i = 0; i < len - 2; i++) {
      if (s[i] < '0' || s[i] > '9' || n > (INT64_MAX - 9) / 10)
        return -1;
      n = n * 10 + (s[i] - '0');
    }
    *ns = n;
    return 0;
  }
  if (len > 1 && s[len - 1] == 's' && ((s[len - 2] >= '0' && s[len - 2] <= '9') || s[len - 2] == '.')) {
    double secs;
    if (dl_parse_double(s, len - 1, &secs) || !(secs >= 0 && secs < 9.2e9))
      return -1;
    *ns = (int64_t) (secs * 1e9 + 0.5);
    return 0;
  }
  return dl_duration_parse(s, ns, NULL) == DL_OK ? 0 : -1;
}

/* ---- tags ---- */

/* A tag's key and value in either form: {key, type, value} (UI/query)
   or {key, vType, vStr|vInt64|vLong|vBool|vFloat64|vDouble|vBinary}. */
static int
tag_value(json_t *tag, const char **key, size_t *key_len, dl_attr_value *v, char *buf)
{
  json_t *k = json_object_get(tag, "key");
  if (!json_is_string(k))
    return -1;
  *key = json_string_value(k);
  *key_len = json_string_length(k);
  v->type = DL_VAL_NONE;
  json_t *val = json_object_get(tag, "value");
  if (!val) {
    static const char *const fields[] = {"vStr", "vInt64", "vLong", "vBool",
                                         "vFloat64", "vDouble", "vBinary"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0] && !val; i++)
      val = json_object_get(tag, fields[i]);
    if (!val)
      return 0;
  }
  const char *type = json_string_value(json_object_get(tag, "type"));
  switch (json_typeof(val)) {
  case JSON_STRING:
    v->text.ptr = json_string_value(val);
    v->text.len = json_string_length(val);
    v->type = DL_VAL_STRING;
    if (type && strcmp(type, "bool") == 0 &&
        (strcmp(v->text.ptr, "true") == 0 || strcmp(v->text.ptr, "false") == 0)) {
      v->type = DL_VAL_BOOL;
      v->i = v->text.ptr[0] == 't';
    }
    if (type && strcmp(type, "binary") == 0)
      v->type = DL_VAL_BYTES;
    break;
  case JSON_INTEGER:
    v->type = DL_VAL_INT;
    v->i = json_integer_value(val);
    break;
  case JSON_REAL:
    v->type = DL_VAL_DOUBLE;
    v->d = json_real_value(val);
    break;
  case JSON_TRUE:
  case JSON_FALSE:
    v->type = DL_VAL_BOOL;
    v->i = json_is_true(val);
    break;
  default:
    break;
  }
  (void) buf;
  return 0;
}

static int
is_true_value(const dl_attr_value *v)
{
  if (v->type == DL_VAL_BOOL || v->type == DL_VAL_INT)
    return v->i != 0;
  return v->type == DL_VAL_STRING && v->text.len == 4 && memcmp(v->text.ptr, "true", 4) == 0;
}

static int
text_is(const dl_attr_value *v, const char *s)
{
  size_t n = strlen(s);
  if (v->type != DL_VAL_STRING || v->text.len != n)
    return 0;
  for (size_t i = 0; i < n; i++)
    if ((v->text.ptr[i] | 0x20) != (s[i] | 0x20))
      return 0;
  return 1;
}

/* The kind a span.kind tag names; unspecified for a tag that names none,
   as Jaeger itself shows such a span. */
static int
span_kind_of(const dl_attr_value *v)
{
  int kind;
  if (v->type != DL_VAL_STRING || dl_span_kind_parse(v->text.ptr, v->text.len, &kind, NULL))
    return DL_KIND_UNSPECIFIED;
  return kind;
}

/* Span tags (AT_SPAN), process tags (AT_RESOURCE) or log fields. */
static int
tags(jaeger *j, json_t *list, const char *name, int at, int span_level)
{
  if (!list || json_is_null(list))
    return 0;
  push_key(j, name);
  if (!json_is_array(list)) {
    int rc = problem(j, span_level, "expected an array of tags, found %s", type_name(list));
    pop(j, 1);
    return rc ? -1 : 1;
  }
  size_t i;
  json_t *tag;
  json_array_foreach(list, i, tag) {
    const char *key;
    size_t key_len;
    dl_attr_value v;
    char buf[32];
    if (!json_is_object(tag) || tag_value(tag, &key, &key_len, &v, buf))
      continue; /* a tag without a key names nothing */
    dl_row_builder *sb = &j->sb;
    if (at == DL_AT_EVENT) {
      /* Logs: the exception type, or OpenTracing's error.kind. */
      if ((key_len == 14 && memcmp(key, "exception.type", 14) == 0) ||
          (key_len == 10 && memcmp(key, "error.kind", 10) == 0)) {
        if (dl_rb_attr(sb, DL_AT_EVENT, "exception.type", 14, &v))
          goto nomem;
      }
      continue;
    }
    if (at == DL_AT_SPAN) {
      if (key_len == 9 && memcmp(key, "span.kind", 9) == 0)
        sb->row.kind = (uint8_t) span_kind_of(&v);
      else if (key_len == 5 && memcmp(key, "error", 5) == 0)
        sb->error_tag = is_true_value(&v);
      else if (key_len == 16 && memcmp(key, "otel.status_code", 16) == 0)
        sb->status_code = text_is(&v, "ERROR") ? 2 : text_is(&v, "OK") ? 1 : 0;
      else if (key_len == 23 && memcmp(key, "otel.status_description", 23) == 0 &&
               v.type == DL_VAL_STRING && dl_rb_status_message(sb, v.text.ptr, v.text.len))
        goto nomem;
    }
    if (dl_rb_attr(sb, at, key, key_len, &v))
      goto nomem;
  }
  pop(j, 1);
  return 0;
nomem:
  pop(j, 1);
  j->code = DL_ENOMEM;
  if (j->err)
    dl_fail(j->err, DL_ENOMEM, "%s: out of memory storing tags", j->source);
  return -1;
}

/* ---- spans ---- */

/* The process of a span: span.process, the trace's processes[processID],
   or the batch's process. */
static json_t *
span_process(jaeger *j, json_t *s, json_t *processes)
{
  json_t *p = json_object_get(s, "process");
  if (json_is_object(p))
    return p;
  json_t *id = json_object_get(s, "processID");
  if (json_is_string(id) && json_is_object(processes))
    return json_object_get(processes, json_string_value(id));
  return j->batch_process;
}

static int
parent_of(json_t *s, const uint8_t trace_id[DL_TRACE_ID_SIZE], uint8_t parent[DL_SPAN_ID_SIZE])
{
  memset(parent, 0, DL_SPAN_ID_SIZE);
  json_t *refs = json_object_get(s, "references");
  /* Prefer CHILD_OF in the same trace, then any CHILD_OF, then
     FOLLOWS_FROM.  An absent refType is CHILD_OF (the protobuf default). */
  int best = 0;
  if (json_is_array(refs)) {
    size_t i;
    json_t *r;
    json_array_foreach(refs, i, r) {
      if (!json_is_object(r))
        continue;
      const char *type = json_string_value(json_object_get(r, "refType"));
      int child = !type || strcmp(type, "CHILD_OF") == 0;
      if (!child && strcmp(type, "FOLLOWS_FROM") != 0)
        continue;
      json_t *sid = json_object_get(r, "spanID");
      if (!sid)
        sid = json_object_get(r, "spanId");
      uint8_t id[DL_SPAN_ID_SIZE], tid[DL_TRACE_ID_SIZE];
      if (!sid || id_value(sid, id, DL_SPAN_ID_SIZE))
        continue;
      json_t *t = json_object_get(r, "traceID");
      if (!t)
        t = json_object_get(r, "traceId");
      int same = t && id_value(t, tid, DL_TRACE_ID_SIZE) == 0 &&
                 memcmp(tid, trace_id, DL_TRACE_ID_SIZE) == 0;
      int score = child ? (same ? 3 : 2) : 1;
      if (score > best) {
        best = score;
        memcpy(parent, id, DL_SPAN_ID_SIZE);
      }
    }
  }
  if (!best) {
    json_t *p = json_object_get(s, "parentSpanID");
    if (!p)
      p = json_object_get(s, "parentSpanId");
    if (p && id_value(p, parent, DL_SPAN_ID_SIZE))
      memset(parent, 0, DL_SPAN_ID_SIZE);
  }
  return 0;
}

static int
string_member(jaeger *j, json_t *s, const char *name, int (*store)(dl_row_builder *, const char *, size_t))
{
  json_t *v = json_object_get(s, name);
  if (!v || json_is_null(v))
    return 0;
  if (!json_is_string(v)) {
    push_key(j, name);
    int rc = problem(j, 1, "expected a string, found %s", type_name(v));
    pop(j, 1);
    return rc ? -1 : 1;
  }
  if (store(&j->sb, json_string_value(v), json_string_length(v))) {
    j->code = DL_ENOMEM;
    if (j->err)
      dl_fail(j->err, DL_ENOMEM, "%s: out of memory", j->source);
    return -1;
  }
  return 0;
}

/* 0: stored; 1: dropped (lenient); -1: fatal. */
static int
span(jaeger *j, json_t *s, json_t *processes)
{
  dl_row_builder *sb = &j->sb;
  if (!json_is_object(s)) {
    int rc = problem(j, 1, "expected a span object, found %s", type_name(s));
    return rc ? -1 : 1;
  }
  dl_rb_resource_begin(sb);
  dl_rb_span_begin(sb);
  json_t *proc = span_process(j, s, processes);
  int rc;
  if (json_is_object(proc)) {
    json_t *svc = json_object_get(proc, "serviceName");
    if (json_is_string(svc) &&
        dl_rb_resource_service(sb, json_string_value(svc), json_string_length(svc)))
      goto nomem;
    if ((rc = tags(j, json_object_get(proc, "tags"), "process.tags", DL_AT_RESOURCE, 1)))
      return rc;
  } else {
    json_t *id = json_object_get(s, "processID");
    if (json_is_string(id)) {
      push_key(j, "processID");
      rc = problem(j, 1, "process \"%.60s\" is not in the trace's processes", json_string_value(id));
      pop(j, 1);
      return rc ? -1 : 1;
    }
  }
  /* Service and resource tags are set; the span fields follow. */
  if ((rc = span_trace_id(j, s, sb->row.trace_id)))
    return rc;
  json_t *sid = json_object_get(s, "spanID");
  const char *sid_name = "spanID";
  if (!sid) {
    sid = json_object_get(s, "spanId");
    sid_name = "spanId";
  }
  if (!sid || id_value(sid, sb->row.span_id, DL_SPAN_ID_SIZE)) {
    push_key(j, sid ? sid_name : "spanID");
    rc = problem(j, 1, sid ? "span id %s%.40s%s is not hex or base64 of 8 bytes" : "span has no spanID%s%s%s",
                 sid && json_is_string(sid) ? "\"" : "",
                 sid ? (json_is_string(sid) ? json_string_value(sid) : type_name(sid)) : "",
                 sid && json_is_string(sid) ? "\"" : "");
    pop(j, 1);
    return rc ? -1 : 1;
  }
  parent_of(s, sb->row.trace_id, sb->row.parent_id);
  if ((rc = string_member(j, s, "operationName", dl_rb_name)))
    return rc;
  json_t *st = json_object_get(s, "startTime");
  if (st && time_value(st, &sb->row.start)) {
    push_key(j, "startTime");
    rc = problem(j, 1, "start time %s is not microseconds or RFC 3339", type_name(st));
    pop(j, 1);
    return rc ? -1 : 1;
  }
  json_t *du = json_object_get(s, "duration");
  if (du && duration_value(du, &sb->row.duration)) {
    push_key(j, "duration");
    if (json_is_string(du))
      rc = problem(j, 1, "duration \"%.40s\" is not a duration", json_string_value(du));
    else
      rc = problem(j, 1, "duration %s is not microseconds", type_name(du));
    pop(j, 1);
    return rc ? -1 : 1;
  }
  if (sb->row.duration < 0)
    sb->row.duration = 0;
  if ((rc = tags(j, json_object_get(s, "tags"), "tags", DL_AT_SPAN, 1)))
    return rc;
  json_t *logs = json_object_get(s, "logs");
  if (json_is_array(logs)) {
    size_t i;
    json_t *log;
    json_array_foreach(logs, i, log) {
      if (!json_is_object(log))
        continue;
      push_key(j, "logs");
      push_index(j, (long) i);
      rc = tags(j, json_object_get(log, "fields"), "fields", DL_AT_EVENT, 1);
      pop(j, 2);
      if (rc)
        return rc;
    }
  }
  rc = dl_rb_span_end(sb, j->err);
  if (rc) {
    j->code = rc;
    return -1;
  }
  return 0;
nomem:
  j->code = DL_ENOMEM;
  if (j->err)
    dl_fail(j->err, DL_ENOMEM, "%s: out of memory", j->source);
  return -1;
}

static int
span_list(jaeger *j, json_t *spans, json_t *processes)
{
  push_key(j, "spans");
  if (!json_is_array(spans)) {
    problem(j, 0, "expected an array of spans, found %s", type_name(spans));
    pop(j, 1);
    return -1;
  }
  size_t i;
  json_t *s;
  json_array_foreach(spans, i, s) {
    push_index(j, (long) i);
    int rc = span(j, s, processes);
    pop(j, 1);
    if (rc < 0) {
      pop(j, 1);
      return -1;
    }
    if (rc > 0)
      j->sb.skipped++;
  }
  pop(j, 1);
  return 0;
}

/* A trace {traceID, spans, processes}, or a thrift Batch {process, spans}. */
static int
trace(jaeger *j, json_t *t)
{
  if (!json_is_object(t))
    return problem(j, 0, "expected a trace object, found %s", type_name(t));
  json_t *spans = json_object_get(t, "spans");
  if (!spans)
    return problem(j, 0, "a Jaeger trace needs \"spans\"");
  json_t *processes = json_object_get(t, "processes");
  j->batch_process = json_object_get(t, "process");
  if (processes && !json_is_object(processes) && !json_is_null(processes)) {
    push_key(j, "processes");
    problem(j, 0, "expected an object of processes, found %s", type_name(processes));
    pop(j, 1);
    return -1;
  }
  int rc = span_list(j, spans, processes);
  j->batch_process = NULL;
  return rc;
}

static int
document(jaeger *j, json_t *root)
{
  if (json_is_array(root)) {
    /* An array of traces, or of spans (the anonymizer's format). */
    size_t i;
    json_t *e;
    json_array_foreach(root, i, e) {
      push_index(j, (long) i);
      int rc;
      if (json_is_object(e) && json_object_get(e, "spans")) {
        rc = trace(j, e);
      } else {
        rc = span(j, e, NULL);
        if (rc > 0) {
          j->sb.skipped++;
          rc = 0;
        }
      }
      pop(j, 1);
      if (rc < 0)
        return -1;
    }
    return 0;
  }
  if (!json_is_object(root))
    return problem(j, 0, "expected a Jaeger JSON object or array, found %s", type_name(root));
  json_t *data = json_object_get(root, "data");
  if (data) {
    json_t *errors = json_object_get(root, "errors");
    if (json_is_array(errors) && json_array_size(errors) > 0) {
      json_t *e0 = json_array_get(errors, 0);
      const char *msg = json_string_value(json_object_get(e0, "msg"));
      push_key(j, "errors");
      problem(j, 0, "the query returned an error: %.200s", msg ? msg : "(no message)");
      pop(j, 1);
      return -1;
    }
    if (json_is_null(data))
      return 0;
    push_key(j, "data");
    if (json_is_object(data) && json_object_get(data, "spans")) {
      /* The UI's own trace model, as some of its fixtures hold it. */
      int rc = trace(j, data);
      pop(j, 1);
      return rc;
    }
    if (!json_is_array(data)) {
      problem(j, 0, "expected an array of traces, found %s", type_name(data));
      pop(j, 1);
      return -1;
    }
    size_t i;
    json_t *t;
    json_array_foreach(data, i, t) {
      push_index(j, (long) i);
      int rc = trace(j, t);
      pop(j, 1);
      if (rc) {
        pop(j, 1);
        return -1;
      }
    }
    pop(j, 1);
    return 0;
  }
  if (json_object_get(root, "spans"))
    return trace(j, root);
  if (json_object_get(root, "spanID") || json_object_get(root, "spanId"))
    return problem(j, 0, "a single span, not a trace document (expected {\"data\": [...]}, "
                         "{\"traceID\", \"spans\"} or an array of spans)");
  return problem(j, 0, "not a Jaeger trace document (no \"data\" or \"spans\")");
}

int
dl_decode_jaeger_json(dl_trace_set *set, const void *data, size_t len, const char *source,
                      const dl_ingest_options *opt, dl_ingest_stats *stats, dl_error *err)
{
  jaeger j;
  dl_error local;
  memset(&j, 0, sizeof j);
  if (!err)
    err = &local;
  dl_error_clear(err);
  j.data = data;
  j.len = len;
  j.source = source ? source : "input";
  j.err = err;
  j.lenient = opt && opt->lenient;
  j.warning = stats ? &stats->warning : NULL;
  size_t base = dl_trace_set_count(set);
  dl_rb_init(&j.sb, set);

  json_error_t jerr;
  json_t *root = json_loadb(data, len, JSON_ALLOW_NUL, &jerr);
  if (!root) {
    dl_fail(err, DL_EPARSE, "%s:%d:%d: %s", j.source, jerr.line, jerr.column, jerr.text);
    dl_error_at(err, j.source, jerr.line, jerr.column, jerr.position);
    return DL_EPARSE;
  }
  int rc = document(&j, root);
  json_decref(root);
  if (rc) {
    if (!j.lenient || j.code == DL_ENOMEM) {
      dl_trace_set_truncate(set, base);
      return j.code ? j.code : DL_EPARSE;
    }
    /* Lenient: keep what was read before the problem. */
    if (j.warning && !j.warning->code)
      *j.warning = *err;
    dl_error_clear(err);
    j.sb.skipped++;
  }
  if (stats) {
    stats->spans += j.sb.added;
    stats->skipped += j.sb.skipped;
    stats->bytes += len;
    stats->format = DL_FORMAT_JAEGER_JSON;
  }
  return DL_OK;
}
