/* Trace ingest on made-up inputs: OTLP JSON variants (names, enums, ids,
   order of members), error flags and types, kept attributes, JSON Lines
   and lenient mode, error positions, gzip, directories, and hostile input
   (deep nesting, huge lengths, invalid UTF-8, truncation, corruption,
   random bytes) that must fail cleanly, never crash. */
#include "pb-writer.h"
#include "seeded-random.h"
#include "test-ingest-util.h"

#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static dl_trace_set *
decode_text(const char *text, size_t len, int lenient, dl_ingest_stats *st, dl_error *err)
{
  dl_trace_set *set = dl_trace_set_new();
  dl_error e;
  if (dl_trace_set_keep(set, "http.route", &e) || dl_trace_set_keep(set, "host.name", &e))
    tap_diag("keep: %s", e.text);
  dl_ingest_options opt;
  dl_ingest_options_init(&opt);
  opt.lenient = lenient;
  dl_ingest_stats local;
  if (!st)
    st = &local;
  dl_ingest_stats_init(st);
  if (dl_decode(set, text, len, "doc.json", &opt, st, err)) {
    dl_trace_set_free(set);
    return NULL;
  }
  return set;
}

#define DOC(s) (s), sizeof(s) - 1

/* One OTLP JSON document exercising the variants the mapping allows. */
static const char variants[] =
  "{\"resource_spans\": [ {\n"
  "  \"scope_spans\": [ { \"scope\": {\"name\": \"x\", \"attributes\": [{\"key\":\"k\",\"value\":{\"arrayValue\":{\"values\":[{\"intValue\":1}]}}}]},\n"
  "    \"spans\": [\n"
  "      { \"trace_id\": \"5B8EFFF798038103d269b633813FC60C\", \"span_id\": \"EEE19B7EC3C1B174\",\n"
  "        \"parent_span_id\": \"\", \"name\": \"GET /api/orders\\u00e9\\n\", \"kind\": \"SPAN_KIND_SERVER\",\n"
  "        \"start_time_unix_nano\": 1700000000000000000, \"end_time_unix_nano\": \"1700000000250000000\",\n"
  "        \"attributes\": [\n"
  "          {\"value\": {\"intValue\": \"503\"}, \"key\": \"http.response.status_code\"},\n"
  "          {\"key\": \"http.route\", \"value\": {\"stringValue\": \"/api/orders\"}},\n"
  "          {\"key\": \"cloud.region\", \"value\": {\"stringValue\": \"eu-west-1\"}},\n"
  "          {\"key\": \"unknown\", \"value\": {\"kvlistValue\": {\"values\": [{\"key\":\"a\",\"value\":{\"doubleValue\":\"NaN\"}}]}}},\n"
  "          {\"key\": \"d\", \"value\": {\"doubleValue\": -1.5e3}}, {\"key\": \"b\", \"value\": {\"bytesValue\": \"AAE=\"}}\n"
  "        ],\n"
  "        \"status\": {\"code\": \"STATUS_CODE_UNSET\", \"message\": null}, \"futureField\": {\"a\": [1, 2, {\"b\": null}]},\n"
  "        \"links\": [{\"traceId\": \"00\", \"spanId\": \"zz\"}], \"flags\": 257, \"traceState\": \"a=b\" },\n"
  "      { \"traceId\": \"5b8efff798038103d269b633813fc60c\", \"spanId\": \"eee19b7ec3c1b175\",\n"
  "        \"parentSpanId\": \"eee19b7ec3c1b174\", \"name\": \"SELECT\", \"kind\": 3,\n"
  "        \"startTimeUnixNano\": \"1700000000100000000\", \"endTimeUnixNano\": \"1700000000200000000\",\n"
  "        \"attributes\": [{\"key\": \"http.response.status_code\", \"value\": {\"intValue\": 503}}],\n"
  "        \"status\": {\"code\": 2},\n"
  "        \"events\": [{\"name\": \"exception\", \"timeUnixNano\": \"1\", \"attributes\": [\n"
  "           {\"key\": \"exception.type\", \"value\": {\"stringValue\": \"java.sql.SQLTimeoutException\"}},\n"
  "           {\"key\": \"exception.message\", \"value\": {\"stringValue\": \"timeout\"}}]}] },\n"
  "      { \"traceId\": \"5b8efff798038103d269b633813fc60c\", \"spanId\": \"eee19b7ec3c1b176\",\n"
  "        \"name\": \"pay\", \"kind\": 2, \"startTimeUnixNano\": \"1700000000300000000\",\n"
  "        \"endTimeUnixNano\": \"1700000000100000000\",\n"
  "        \"attributes\": [{\"key\": \"http.status_code\", \"value\": {\"stringValue\": \"502\"}},\n"
  "                       {\"key\": \"deployment.environment\", \"value\": {\"stringValue\": \"old-name\"}}],\n"
  "        \"status\": {\"code\": \"STATUS_CODE_ERROR\", \"message\": \"card declined\"} }\n"
  "    ] } ],\n"
  "  \"resource\": {\"attributes\": [\n"
  "    {\"key\": \"service.name\", \"value\": {\"stringValue\": \"orders\"}},\n"
  "    {\"key\": \"service.version\", \"value\": {\"stringValue\": \"1.4.2\"}},\n"
  "    {\"key\": \"host.name\", \"value\": {\"stringValue\": \"node-7\"}},\n"
  "    {\"key\": \"cloud.region\", \"value\": {\"stringValue\": \"us-east-1\"}},\n"
  "    {\"key\": \"deployment.environment.name\", \"value\": {\"stringValue\": \"production\"}}]},\n"
  "  \"schemaUrl\": \"https://opentelemetry.io/schemas/1.26.0\" } ] }\n";

static void
test_variants(void)
{
  dl_error err;
  dl_trace_set *set = decode_text(DOC(variants), 0, NULL, &err);
  if (!ok(set != NULL, "variant document decodes")) {
    tap_diag("%s", err.text);
    return;
  }
  dl_span_columns c;
  dl_trace_set_columns(set, &c);
  is_int(c.count, 3, "three spans");
  is_str(hex(c.trace_id[0], 16), "5b8efff798038103d269b633813fc60c", "mixed-case hex id");
  ok(dl_id_is_zero(c.parent_id[0], 8) && !(c.flags[0] & DL_ROW_HAS_PARENT), "empty parent: a root");
  is_str(str_or(c.operation ? set : set, c.operation[0], "-"), "GET /api/orders\xc3\xa9\n", "escapes decoded");
  is_int(c.kind[0], DL_KIND_SERVER, "kind by name");
  is_int(c.start[0], 1700000000000000000LL, "time as a number");
  is_int(c.duration[0], 250000000, "time as a string");
  is_str(str_or(set, c.service[0], "-"), "orders", "resource after the spans still applies");
  is_str(str_or(set, c.version[0], "-"), "1.4.2", "service.version");
  is_str(str_or(set, c.region[0], "-"), "eu-west-1", "a span's cloud.region overrides the resource's");
  is_str(str_or(set, c.region[1], "-"), "us-east-1", "else the resource's region");
  is_str(str_or(set, c.environment[0], "-"), "production", "deployment.environment.name");
  is_str(str_or(set, c.environment[2], "-"), "old-name", "a span's deployment.environment overrides");
  is_int(c.flags[0] & DL_ROW_ERROR, DL_ROW_ERROR, "SERVER span with 503 (value before key) is an error");
  is_str(str_or(set, c.error_type[0], "-"), "HTTP 503 /api/orders", "error type HTTP <code> <route>");
  const uint32_t *route = dl_trace_set_attribute_column(set, "http.route");
  const uint32_t *host = dl_trace_set_attribute_column(set, "host.name");
  is_str(str_or(set, route[0], "-"), "/api/orders", "kept span attribute");
  is_str(str_or(set, route[1], "-"), "-", "kept attribute absent");
  is_str(str_or(set, host[1], "-"), "node-7", "kept key found on the resource");
  is_int(c.kind[1], DL_KIND_CLIENT, "kind as an integer");
  is_int(c.flags[1], DL_ROW_ERROR | DL_ROW_HAS_PARENT, "status ERROR: error (a CLIENT 503 alone is not)");
  is_str(str_or(set, c.error_type[1], "-"), "java.sql.SQLTimeoutException",
         "exception.type of an exception event first");
  is_int(c.duration[2], 0, "a span ending before it starts lasts 0");
  is_int(c.flags[2] & DL_ROW_ERROR, DL_ROW_ERROR, "status ERROR by name");
  is_str(str_or(set, c.error_type[2], "-"), "card declined", "else the status message");
  dl_trace_set_free(set);

  /* A CLIENT 503 with no status is not an error; SERVER 499 neither. */
  static const char client[] =
    "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":["
    "{\"traceId\":\"0102030405060708090a0b0c0d0e0f10\",\"spanId\":\"0102030405060708\",\"kind\":3,"
    "\"attributes\":[{\"key\":\"http.response.status_code\",\"value\":{\"intValue\":\"503\"}}]},"
    "{\"traceId\":\"0102030405060708090a0b0c0d0e0f10\",\"spanId\":\"0102030405060709\",\"kind\":2,"
    "\"attributes\":[{\"key\":\"http.response.status_code\",\"value\":{\"intValue\":499}}]}]}]}]}";
  set = decode_text(DOC(client), 0, NULL, &err);
  ok(set && dl_trace_set_count(set) == 2, "client/server document");
  if (set) {
    dl_trace_set_columns(set, &c);
    is_int(c.flags[0], 0, "CLIENT 503: no error flag");
    is_int(c.flags[1], 0, "SERVER 499: no error flag");
    dl_trace_set_free(set);
  }

  /* JSON Lines starting with an empty line is not protobuf (0x0a). */
  static const char blank_first[] = "\n\n{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":"
                                    "\"00000000000000000000000000000001\",\"spanId\":\"0000000000000002\"}]}]}]}\n";
  is_int(dl_detect_format(DOC(blank_first)), DL_FORMAT_OTLP_JSON, "leading newline: still JSON");
  set = decode_text(DOC(blank_first), 0, NULL, &err);
  ok(set && dl_trace_set_count(set) == 1, "and decodes");
  dl_trace_set_free(set);

  /* Jaeger api/v3 wraps TracesData in "result"; its errors too. */
  static const char v3[] = "{\"result\":{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":"
                           "\"00000000000000000000000000000001\",\"spanId\":\"0000000000000002\"}]}]}]}}";
  set = decode_text(DOC(v3), 0, NULL, &err);
  ok(set && dl_trace_set_count(set) == 1, "{\"result\": ...}");
  dl_trace_set_free(set);
  static const char v3err[] = "{\"error\":{\"grpcCode\":5,\"httpCode\":404,\"message\":\"trace not found\",\"httpStatus\":\"Not Found\"}}";
  set = decode_text(DOC(v3err), 0, NULL, &err);
  ok(!set && strstr(err.text, "error response: trace not found"), "api/v3 error object: %s", err.text);
}

static void
test_errors_and_lenient(void)
{
  dl_error err;
  /* JSON Lines, the second line broken (a missing comma). */
  static const char lines[] =
    "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"00000000000000000000000000000001\",\"spanId\":\"0000000000000001\"}]}]}]}\n"
    "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"00000000000000000000000000000002\" \"spanId\":\"0000000000000002\"}]}]}]}\n"
    "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"00000000000000000000000000000003\",\"spanId\":\"0000000000000003\"}]}]}]}\n";
  dl_trace_set *set = decode_text(DOC(lines), 0, NULL, &err);
  ok(!set, "a broken line fails the whole file strictly");
  is_int(err.line, 2, "error on line 2");
  is_int(err.column, 90, "at column 90");
  ok(strstr(err.text, "doc.json:2:90: $.resourceSpans[0].scopeSpans[0].spans[0]: expected ',' or '}'") != NULL,
     "message names file, line, column and path: %s", err.text);
  dl_ingest_stats st;
  set = decode_text(DOC(lines), 1, &st, &err);
  ok(set && dl_trace_set_count(set) == 2, "lenient: the two good lines");
  is_int(st.skipped, 1, "one line skipped");
  is_int(st.warning.line, 2, "warning names line 2");
  dl_trace_set_free(set);

  /* A bad id: strict fails, lenient drops the span only. */
  static const char badid[] =
    "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[\n"
    "{\"traceId\":\"00000000000000000000000000000001\",\"spanId\":\"0000000000000001\"},\n"
    "{\"traceId\":\"0000000000000000000000000000001\",\"spanId\":\"0000000000000002\"},\n"
    "{\"traceId\":\"00000000000000000000000000000001\",\"spanId\":\"0000000000000003\",\"kind\":9}]}]}]}";
  set = decode_text(DOC(badid), 0, NULL, &err);
  ok(!set && strstr(err.text, "doc.json:3:12: $.resourceSpans[0].scopeSpans[0].spans[1].traceId: trace id"),
     "31 hex digits rejected: %s", err.text);
  set = decode_text(DOC(badid), 1, &st, &err);
  ok(set && dl_trace_set_count(set) == 1 && st.skipped == 2, "lenient keeps 1 span, skips 2");
  ok(strstr(st.warning.text, "spans[1].traceId") != NULL, "first warning: %s", st.warning.text);
  dl_trace_set_free(set);

  /* Every kind of malformed JSON gives an error with a position. */
  static const struct {
    const char *doc, *want;
  } bad[] = {
    {"{\"resourceSpans\":[}", "expected"},
    {"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":\"a\x01\"}]}]}]}", "control character"},
    {"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":\"\xff\"}]}]}]}", "invalid UTF-8"},
    {"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":\"\xc0\xaf\"}]}]}]}", "invalid UTF-8"},
    {"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":\"\xed\xa0\x80\"}]}]}]}", "invalid UTF-8"},
    {"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":\"\xe2\x82\"}]}]}]}", "invalid UTF-8"},
    {"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":\"\\ud800\"}]}]}]}", "surrogate"},
    {"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":\"\\x\"}]}]}]}", "invalid escape"},
    {"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"startTimeUnixNano\":\"18446744073709551616\"}]}]}]}", "not an integer in range"},
    {"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"startTimeUnixNano\":-1}]}]}]}", "negative"},
    {"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"startTimeUnixNano\":1.5}]}]}]}", "not an integer"},
    {"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"startTimeUnixNano\":\"9300000000000000000\"}]}]}]}", "beyond the year 2262"},
    {"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"kind\":01}]}]}]}", "leading zero"},
    {"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"status\":{\"code\":3}}]}]}]}", "status code 3 is out of range"},
    {"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":tru}]}]}]}", "expected"},
    {"{\"resourceSpans\":[]} x", "expected an OTLP JSON object"},
    {"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":\"abc", "unterminated string"},
    {"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":\"abc\"}]}]}]", "expected ',' or '}'"},
    {"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"attributes\":[{\"key\":\"a\",\"value\":{\"doubleValue\":\"1x\"}}]}]}]}]}", "is not a number"},
    {"{\"resourceSpans\":{}}", "expected an array"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    dl_ingest_options opt;
    dl_ingest_options_init(&opt);
    opt.format = DL_FORMAT_OTLP_JSON;
    set = dl_trace_set_new();
    int rc = dl_decode(set, bad[i].doc, strlen(bad[i].doc), "bad.json", &opt, NULL, &err);
    ok(rc == DL_EPARSE && strstr(err.text, bad[i].want) && err.line >= 1 && err.offset >= 0 &&
         dl_trace_set_count(set) == 0,
       "malformed %zu: %s", i, bad[i].want);
    if (rc != DL_EPARSE || !strstr(err.text, bad[i].want))
      tap_diag("got rc %d: %s", rc, err.text);
    dl_trace_set_free(set);
  }
}

/* A KeyValue written value first: the decoder must not rely on the
   order of fields. */
static void
put_kv_value_first(pb_buf *o, unsigned field, const char *k, const char *v)
{
  pb_buf any = {0}, kv = {0};
  pb_string(&any, 1, v);
  pb_message(&kv, 2, &any);
  pb_string(&kv, 1, k);
  pb_message(o, field, &kv);
  pb_free(&any);
  pb_free(&kv);
}

/* A request with one resource (after its scope spans, with unknown
   fields of every wire type around) and two spans; REQ is emptied first. */
static void
make_request(pb_buf *req, size_t id_len)
{
  static const uint8_t tid[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  static const uint8_t sid[8] = {0xa, 0xb, 0xc, 0xd, 0xe, 0xf, 0x10, 0x11};
  pb_buf span = {0}, span2 = {0}, ss = {0}, res = {0}, rs = {0}, status = {0};
  pb_bytes(&span, 1, tid, id_len);
  pb_bytes(&span, 2, sid, 8);
  pb_string(&span, 5, "GET /api/orders");
  pb_tag(&span, 6, PB_VARINT);
  pb_varint(&span, 2);
  pb_fixed64(&span, 7, 1700000000000000000ULL);
  pb_fixed64(&span, 8, 1700000000125000000ULL);
  pb_kv_int(&span, 9, "http.response.status_code", 500);
  put_kv_value_first(&span, 9, "http.route", "/api/orders");
  put_kv_value_first(&span, 9, "cloud.region", "eu-west-1");
  /* Unknown fields of every wire type: varint, i64, len, group, i32. */
  pb_tag(&span, 100, PB_VARINT);
  pb_varint(&span, UINT64_MAX);
  pb_fixed64(&span, 101, 42);
  pb_string(&span, 102, "ignored");
  pb_tag(&span, 103, PB_SGROUP);
  pb_tag(&span, 1, PB_VARINT);
  pb_varint(&span, 7);
  pb_tag(&span, 104, PB_SGROUP);
  pb_tag(&span, 104, PB_EGROUP);
  pb_tag(&span, 103, PB_EGROUP);
  pb_tag(&span, 16, PB_I32); /* flags, fixed32 */
  pb_put(&span, "\x01\x01\0\0", 4);
  pb_bytes(&span2, 1, tid, 16);
  pb_bytes(&span2, 2, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
  pb_bytes(&span2, 4, sid, 8);
  pb_string(&span2, 5, "db");
  pb_string(&status, 2, "deadlock");
  pb_tag(&status, 3, PB_VARINT);
  pb_varint(&status, 2);
  pb_message(&span2, 15, &status);
  pb_message(&ss, 2, &span);
  pb_message(&ss, 2, &span2);
  put_kv_value_first(&res, 1, "service.name", "orders");
  put_kv_value_first(&res, 1, "service.version", "2.0.0");
  pb_message(&rs, 2, &ss);
  pb_string(&rs, 3, "https://opentelemetry.io/schemas/1.26.0");
  pb_message(&rs, 1, &res);
  req->n = 0;
  pb_message(req, 1, &rs);
  pb_free(&span);
  pb_free(&span2);
  pb_free(&ss);
  pb_free(&res);
  pb_free(&rs);
  pb_free(&status);
}

static dl_trace_set *
decode_pb(const void *p, size_t n, int lenient, dl_ingest_stats *st, dl_error *err)
{
  dl_trace_set *set = dl_trace_set_new();
  dl_ingest_options opt;
  dl_ingest_options_init(&opt);
  opt.lenient = lenient;
  dl_ingest_stats local;
  if (!st)
    st = &local;
  dl_ingest_stats_init(st);
  if (dl_decode_otlp_protobuf(set, p, n, "req.pb", &opt, st, err)) {
    dl_trace_set_free(set);
    return NULL;
  }
  return set;
}

static void
test_protobuf_input(void)
{
  pb_buf req = {0};
  dl_error err;
  make_request(&req, 16);
  is_int(dl_detect_format(req.b, req.n), DL_FORMAT_OTLP_PROTOBUF, "detected as protobuf");
  dl_trace_set *set = decode_pb(req.b, req.n, 0, NULL, &err);
  if (ok(set != NULL, "made-up request decodes")) {
    dl_span_columns c;
    dl_trace_set_columns(set, &c);
    is_int(c.count, 2, "two spans");
    is_str(hex(c.trace_id[0], 16), "0102030405060708090a0b0c0d0e0f10", "trace id");
    is_str(str_or(set, c.service[0], "-"), "orders", "resource after the scope spans");
    is_str(str_or(set, c.version[1], "-"), "2.0.0", "service.version");
    is_str(str_or(set, c.region[0], "-"), "eu-west-1", "region from the span");
    is_int(c.duration[0], 125000000, "duration");
    is_int(c.flags[0], DL_ROW_ERROR, "SERVER 500: error");
    is_str(str_or(set, c.error_type[0], "-"), "HTTP 500 /api/orders", "error type");
    is_int(c.flags[1], DL_ROW_ERROR | DL_ROW_HAS_PARENT, "status ERROR, parent");
    is_str(str_or(set, c.error_type[1], "-"), "deadlock", "status message");
    is_str(hex(c.parent_id[1], 8), "0a0b0c0d0e0f1011", "parent id");
    dl_trace_set_free(set);
  }

  /* A 5-byte trace id: strict error with the offset, lenient skip. */
  make_request(&req, 5);
  set = decode_pb(req.b, req.n, 0, NULL, &err);
  ok(!set && strstr(err.text, "req.pb: byte ") &&
       strstr(err.text, "resource_spans[0].scope_spans[0].spans[0]: trace_id has 5 bytes (expected 16)"),
     "bad id length: %s", err.text);
  ok(err.offset > 0 && err.offset < (long) req.n, "offset %ld recorded", err.offset);
  dl_ingest_stats st;
  set = decode_pb(req.b, req.n, 1, &st, &err);
  ok(set && dl_trace_set_count(set) == 1 && st.skipped == 1, "lenient: one span kept, one skipped");
  dl_trace_set_free(set);
  pb_free(&req);

  /* Structural damage. */
  static const struct {
    const char *bytes;
    size_t n;
    const char *want;
  } bad[] = {
    {"\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11, "runs past the end"},
    {"\x0a\x80\x80\x80\x80\x10", 6, "runs past the end"},
    {"\x0a\x05\x12\x03\x12\x01", 6, "runs past the end"},
    {"\x0a\x02\x12", 3, "runs past the end"},
    {"\x0a\x01\x12", 3, "truncated varint"},
    {"\x0a\x0b\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 13, "varint"},
    {"\x08\x01", 2, "wire type 0"},
    {"\x0b\x0c", 2, "TracesData field 1 has wire type 3"},
    {"\x1b\x08\x01", 3, "not closed"},
    {"\x1b\x24", 2, "closed by field 4"},
    {"\x1c", 1, "end of group"},
    {"\x1e", 1, "invalid wire type 6"},
    {"\x00", 1, "invalid field number 0"},
    {"\x19\x01\x02", 3, "truncated 64-bit"},
    {"\x1d\x01", 2, "truncated 32-bit"},
    {"\x0a\x07\x12\x05\x12\x03\x2a\x01\xff", 9, "not valid UTF-8"},
    {"\x0a\x06\x12\x04\x12\x02\x39\x01", 8, "truncated time"},
    {"\x0a\x06\x12\x04\x12\x02\x30\x09", 8, "span kind out of range"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    set = decode_pb(bad[i].bytes, bad[i].n, 0, NULL, &err);
    ok(!set && strstr(err.text, bad[i].want) && err.offset >= 0, "damaged protobuf %zu: %s", i,
       bad[i].want);
    if (set || !strstr(err.text, bad[i].want))
      tap_diag("got: %s", set ? "success" : err.text);
    dl_trace_set_free(set);
  }

  /* Deeply nested groups in an unknown field. */
  static uint8_t deep[200000];
  size_t n = 0;
  for (int i = 0; i < 50000 && n + 2 < sizeof deep; i++)
    deep[n++] = 0x1b; /* field 3, start group */
  set = decode_pb(deep, n, 0, NULL, &err);
  ok(!set && strstr(err.text, "nested deeper"), "50000 nested groups: %s", err.text);
  dl_trace_set_free(set);
}

/* gzip with zlib, optionally twice (two members). */
static size_t
gzip(const void *in, size_t n, uint8_t *out, size_t cap)
{
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  if (deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return 0;
  zs.next_in = (unsigned char *) in;
  zs.avail_in = (uInt) n;
  zs.next_out = out;
  zs.avail_out = (uInt) cap;
  int rc = deflate(&zs, Z_FINISH);
  size_t len = cap - zs.avail_out;
  deflateEnd(&zs);
  return rc == Z_STREAM_END ? len : 0;
}

static void
test_gzip_and_files(void)
{
  dl_error err;
  void *plain;
  size_t plain_len;
  if (dl_read_file(data_path("corpora/otlp2parquet/testdata/traces.jsonl"), 1 << 20, &plain, &plain_len, &err)) {
    ok(0, "read traces.jsonl: %s", err.text);
    return;
  }
  static uint8_t gz[1 << 20];
  size_t n1 = gzip(plain, plain_len, gz, sizeof gz);
  size_t n2 = gzip(plain, plain_len, gz + n1, sizeof gz - n1);
  ok(n1 > 0 && n2 > 0, "compressed %zu bytes to %zu", plain_len, n1);
  ok(dl_is_gzip(gz, n1), "gzip magic");
  dl_trace_set *set = dl_trace_set_new();
  is_int(dl_decode(set, gz, n1, "traces.jsonl.gz", NULL, NULL, &err), DL_OK, "gzip decodes");
  is_int(dl_trace_set_count(set), 19, "19 spans from the gzip file");
  is_int(dl_decode(set, gz, n1 + n2, "twice.gz", NULL, NULL, &err), DL_OK, "two gzip members");
  is_int(dl_trace_set_count(set), 19 * 3, "both members decoded (JSON Lines continue)");
  is_int(dl_decode(set, gz, n1 - 10, "cut.gz", NULL, NULL, &err), DL_EPARSE, "truncated gzip fails");
  ok(strstr(err.text, "cut.gz: byte") && strstr(err.text, "truncated"), "%s", err.text);
  memcpy(gz + n1 / 2, "garbage!", 8);
  is_int(dl_decode(set, gz, n1, "bad.gz", NULL, NULL, &err), DL_EPARSE, "corrupt gzip fails");
  dl_ingest_options opt;
  dl_ingest_options_init(&opt);
  opt.max_bytes = 1000;
  n1 = gzip(plain, plain_len, gz, sizeof gz);
  is_int(dl_decode(set, gz, n1, "big.gz", &opt, NULL, &err), DL_ERANGE, "output limit enforced");
  ok(strstr(err.text, "more than 1000 bytes") != NULL, "%s", err.text);
  is_int(dl_trace_set_count(set), 19 * 3, "failures added nothing");
  dl_trace_set_free(set);

  /* A directory: nested, compressed, hidden and foreign files. */
  char dir[] = "/tmp/dl-ingest-XXXXXX";
  if (!mkdtemp(dir)) {
    ok(0, "mkdtemp");
    free(plain);
    return;
  }
  char path[512];
  FILE *f;
  snprintf(path, sizeof path, "%s/b.jsonl.gz", dir);
  f = fopen(path, "wb");
  fwrite(gz, 1, n1, f);
  fclose(f);
  snprintf(path, sizeof path, "%s/sub", dir);
  mkdir(path, 0700);
  snprintf(path, sizeof path, "%s/sub/a.json", dir);
  f = fopen(path, "wb");
  fwrite(variants, 1, sizeof variants - 1, f);
  fclose(f);
  snprintf(path, sizeof path, "%s/.hidden.json", dir);
  f = fopen(path, "wb");
  fputs("not json", f);
  fclose(f);
  snprintf(path, sizeof path, "%s/README.md", dir);
  f = fopen(path, "wb");
  fputs("# notes", f);
  fclose(f);
  set = dl_trace_set_new();
  dl_ingest_stats st;
  dl_ingest_stats_init(&st);
  is_int(dl_load_path(set, dir, NULL, &st, &err), DL_OK, "directory loads");
  is_int(dl_trace_set_count(set), 19 + 3, "gzip file and nested file, nothing else");
  is_int(st.files, 2, "two files");
  snprintf(path, sizeof path, "%s/zz-bad.json", dir);
  f = fopen(path, "wb");
  fputs("{\"resourceSpans\": [", f);
  fclose(f);
  is_int(dl_load_path(set, dir, NULL, NULL, &err), DL_EPARSE, "a bad file fails the directory");
  ok(strstr(err.text, "zz-bad.json:1:20") != NULL, "naming the file: %s", err.text);
  is_int(dl_trace_set_count(set), 22, "and adds nothing");
  is_int(dl_load_path(set, "/nonexistent/traces", NULL, NULL, &err), DL_ENOTFOUND, "missing path");
  dl_trace_set_free(set);
  snprintf(path, sizeof path, "rm -rf '%s'", dir);
  if (system(path) != 0)
    tap_diag("cleanup of %s failed", dir);
  free(plain);
}

/* Decodes DATA with every decoder, strictly and leniently: never a
   crash; a strict failure leaves the set as it was. */
static int
survives(const void *data, size_t n)
{
  static const int formats[] = {DL_FORMAT_AUTO, DL_FORMAT_OTLP_JSON, DL_FORMAT_OTLP_PROTOBUF,
                                DL_FORMAT_JAEGER_JSON};
  for (size_t f = 0; f < 4; f++)
    for (int lenient = 0; lenient < 2; lenient++) {
      dl_trace_set *set = dl_trace_set_new();
      dl_ingest_options opt;
      dl_ingest_options_init(&opt);
      opt.format = formats[f];
      opt.lenient = lenient;
      dl_error err;
      int rc = dl_decode(set, data, n, "x", &opt, NULL, &err);
      int good = rc == DL_OK || ((lenient || dl_trace_set_count(set) == 0) && err.text[0]);
      dl_trace_set_free(set);
      if (!good)
        return 0;
    }
  return 1;
}

static void
test_hostile(void)
{
  /* Deep nesting everywhere a value may go. */
  size_t n = 300000;
  char *deep = malloc(n + 64);
  strcpy(deep, "{\"resourceSpans\":[{\"x\":");
  size_t k = strlen(deep);
  while (k < n)
    deep[k++] = '[';
  deep[k] = '\0';
  dl_error err;
  dl_trace_set *set = dl_trace_set_new();
  dl_ingest_options opt;
  dl_ingest_options_init(&opt);
  ok(dl_decode(set, deep, k, "deep.json", &opt, NULL, &err) == DL_EPARSE &&
       strstr(err.text, "nesting deeper than"),
     "300000 nested arrays in OTLP JSON: %s", err.text);
  memset(deep, '[', n);
  opt.format = DL_FORMAT_JAEGER_JSON;
  ok(dl_decode(set, deep, n, "deep.json", &opt, NULL, &err) == DL_EPARSE, "and in Jaeger JSON: %s",
     err.text);
  dl_trace_set_free(set);
  free(deep);

  /* Every prefix and many corruptions of real files. */
  const char *files[] = {"corpora/opentelemetry-proto/examples/trace.json",
                         "corpora/opentelemetry-proto/examples/trace.protobuf-bin",
                         "corpora/jaeger/internal/uimodel/converter/v1/json/fixtures/ui_01.json",
                         "corpora/otlp2parquet/testdata/trace.pb"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    void *data;
    size_t len;
    if (dl_read_file(data_path(files[i]), 1 << 20, &data, &len, &err)) {
      ok(0, "%s: %s", files[i], err.text);
      continue;
    }
    int all = 1;
    for (size_t cut = 0; cut < len && all; cut++)
      all = survives(data, cut);
    ok(all, "every prefix of %s fails cleanly or decodes", strrchr(files[i], '/') + 1);
    uint8_t *copy = malloc(len);
    all = 1;
    static const uint8_t values[] = {0x00, 0xff, 0x80, '"', '{', '\\', 0x0a, 0x01};
    size_t step = len > 3000 ? len / 3000 : 1;
    for (size_t pos = 0; pos < len && all; pos += step)
      for (size_t v = 0; v < sizeof values && all; v++) {
        memcpy(copy, data, len);
        copy[pos] = values[v];
        all = survives(copy, len);
      }
    ok(all, "corrupting bytes of %s never crashes", strrchr(files[i], '/') + 1);
    free(copy);
    free(data);
  }

  /* Random bytes, and random bytes behind a plausible start. */
  uint64_t rng = random_seed(12345);
  int all = 1;
  uint8_t rnd[512];
  for (int round = 0; round < 2000 && all; round++) {
    size_t len = (size_t) random_below(&rng, sizeof rnd);
    for (size_t i = 0; i < len; i++)
      rnd[i] = (uint8_t) random_u32(&rng);
    if (round % 3 == 1 && len > 1)
      rnd[0] = 0x0a;
    if (round % 3 == 2 && len > 1)
      rnd[0] = '{';
    all = survives(rnd, len);
  }
  ok(all, "2000 random inputs fail cleanly");

  /* Inputs the fuzzers found (tests/data/fuzz/SOURCE.md). */
  static const char *found[] = {"fuzz/jaeger-locate-leak.json"};
  for (size_t i = 0; i < sizeof found / sizeof found[0]; i++) {
    void *data;
    size_t len;
    if (dl_read_file(data_path(found[i]), 1 << 20, &data, &len, &err)) {
      ok(0, "%s: %s", found[i], err.text);
      continue;
    }
    ok(survives(data, len), "fuzzer finding %s fails cleanly", found[i]);
    free(data);
  }

  /* Huge declared lengths do not allocate. */
  static const uint8_t huge[] = {0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x12};
  set = decode_pb(huge, sizeof huge, 0, NULL, &err);
  ok(!set && strstr(err.text, "runs past the end"), "4 GiB length in 7 bytes: %s", err.text);
}

int
main(void)
{
  test_variants();
  test_errors_and_lenient();
  test_protobuf_input();
  test_gzip_and_files();
  test_hostile();
  return tap_done();
}
