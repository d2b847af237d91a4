/* The hand-written OTLP protobuf decoder against protobuf-c's unpacking
   of the same bytes: real fixtures, generated requests of many shapes,
   and every truncation and many corruptions of them. */
#include "seeded-random.h"
#include "test-ingest-util.h"

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"

typedef Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest Request;
typedef Opentelemetry__Proto__Trace__V1__ResourceSpans ResourceSpans;
typedef Opentelemetry__Proto__Trace__V1__ScopeSpans ScopeSpans;
typedef Opentelemetry__Proto__Trace__V1__Span Span;
typedef Opentelemetry__Proto__Common__V1__KeyValue KeyValue;
typedef Opentelemetry__Proto__Common__V1__AnyValue AnyValue;

#define unpack opentelemetry__proto__collector__trace__v1__export_trace_service_request__unpack
#define free_unpacked opentelemetry__proto__collector__trace__v1__export_trace_service_request__free_unpacked

/* The string of KEY among ATTRS as the store would keep it, or NULL. */
static const char *
attr_text(KeyValue **attrs, size_t n, const char *key, char *buf)
{
  const char *found = NULL;
  for (size_t i = 0; i < n; i++) {
    if (strcmp(attrs[i]->key, key) != 0 || !attrs[i]->value)
      continue;
    AnyValue *v = attrs[i]->value;
    switch (v->value_case) {
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE:
      found = v->string_value[0] ? v->string_value : NULL;
      break;
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE:
      snprintf(buf, 32, "%lld", (long long) v->int_value);
      found = buf;
      break;
    default:
      break;
    }
  }
  return found;
}

/* Compares every span protobuf-c unpacked with the rows of SET: ids,
   times, kind, name, and (when FULL) service, version, region and the
   error flag.  Returns 1 when all agree. */
static int
agree(const Request *req, const dl_trace_set *set, int full, char *why, size_t why_size)
{
  dl_span_columns c;
  dl_trace_set_columns(set, &c);
  size_t r = 0;
  for (size_t i = 0; i < req->n_resource_spans; i++) {
    ResourceSpans *rs = req->resource_spans[i];
    char b1[32], b2[32], b3[32];
    const char *service = NULL, *version = NULL, *rregion = NULL;
    if (rs->resource) {
      service = attr_text(rs->resource->attributes, rs->resource->n_attributes, "service.name", b1);
      version = attr_text(rs->resource->attributes, rs->resource->n_attributes, "service.version", b2);
      rregion = attr_text(rs->resource->attributes, rs->resource->n_attributes, "cloud.region", b3);
    }
    for (size_t j = 0; j < rs->n_scope_spans; j++) {
      ScopeSpans *ss = rs->scope_spans[j];
      for (size_t k = 0; k < ss->n_spans; k++, r++) {
        Span *s = ss->spans[k];
        if (r >= c.count) {
          snprintf(why, why_size, "protobuf-c has more spans than %zu", c.count);
          return 0;
        }
        uint8_t tid[16] = {0}, sid[8] = {0}, pid[8] = {0};
        if (s->trace_id.len == 16)
          memcpy(tid, s->trace_id.data, 16);
        if (s->span_id.len == 8)
          memcpy(sid, s->span_id.data, 8);
        if (s->parent_span_id.len == 8)
          memcpy(pid, s->parent_span_id.data, 8);
        uint64_t dur = s->end_time_unix_nano > s->start_time_unix_nano
                         ? s->end_time_unix_nano - s->start_time_unix_nano
                         : 0;
        const char *name = str_or(set, c.operation[r], "");
#define NEQ(cond, ...)                                                                             \
  if (cond) {                                                                                      \
    snprintf(why, why_size, __VA_ARGS__);                                                          \
    return 0;                                                                                      \
  }
        NEQ(memcmp(tid, c.trace_id[r], 16), "span %zu trace id", r);
        NEQ(memcmp(sid, c.span_id[r], 8), "span %zu span id", r);
        NEQ(memcmp(pid, c.parent_id[r], 8), "span %zu parent id", r);
        NEQ((int64_t) s->start_time_unix_nano != c.start[r], "span %zu start", r);
        NEQ((int64_t) dur != c.duration[r], "span %zu duration %llu vs %lld", r,
            (unsigned long long) dur, (long long) c.duration[r]);
        NEQ((int) s->kind != c.kind[r], "span %zu kind %d vs %d", r, (int) s->kind, c.kind[r]);
        NEQ(strcmp(s->name, name), "span %zu name \"%s\" vs \"%s\"", r, s->name, name);
        if (full) {
          char b4[32], b5[32];
          const char *region = attr_text(s->attributes, s->n_attributes, "cloud.region", b4);
          const char *status = attr_text(s->attributes, s->n_attributes, "http.response.status_code", b5);
          int http = status ? atoi(status) : 0;
          int error = (s->status && s->status->code == 2) || (s->kind == 2 && http >= 500);
          NEQ(strcmp(service ? service : "-", str_or(set, c.service[r], "-")), "span %zu service", r);
          NEQ(strcmp(version ? version : "-", str_or(set, c.version[r], "-")), "span %zu version", r);
          NEQ(strcmp(region ? region : rregion ? rregion : "-", str_or(set, c.region[r], "-")),
              "span %zu region", r);
          NEQ(error != (c.flags[r] & DL_ROW_ERROR), "span %zu error flag", r);
        }
#undef NEQ
      }
    }
  }
  if (r != c.count) {
    snprintf(why, why_size, "protobuf-c has %zu spans, the decoder %zu", r, c.count);
    return 0;
  }
  return 1;
}

static dl_trace_set *
ours(const uint8_t *p, size_t n, dl_error *err)
{
  dl_trace_set *set = dl_trace_set_new();
  if (dl_decode_otlp_protobuf(set, p, n, "bytes", NULL, NULL, err)) {
    dl_trace_set_free(set);
    return NULL;
  }
  return set;
}

/* Checks of the decoder that a generated parser does not make (protobuf-c
   also reads a scalar sent length-delimited, as if packed). */
static int
stricter(const char *text)
{
  return strstr(text, " bytes (expected ") || strstr(text, "not valid UTF-8") ||
         strstr(text, "has wire type 2") ||
         strstr(text, "out of range") || strstr(text, "beyond the year 2262");
}

typedef struct tally {
  long both_ok, both_fail, only_pbc_ok, only_ours_ok, mismatches;
} tally;

static void
compare_bytes(const uint8_t *p, size_t n, tally *t)
{
  dl_error err;
  Request *req = unpack(NULL, n, p);
  dl_trace_set *set = ours(p, n, &err);
  if (req && set) {
    char why[200];
    t->both_ok++;
    if (!agree(req, set, 0, why, sizeof why)) {
      if (t->mismatches++ < 3)
        tap_diag("disagreement: %s", why);
    }
  } else if (!req && !set) {
    t->both_fail++;
  } else if (req) {
    /* protobuf-c accepts; the decoder may refuse only for its own checks. */
    t->only_pbc_ok++;
    if (!stricter(err.text) && t->mismatches++ < 3)
      tap_diag("only protobuf-c accepts: %s", err.text);
  } else {
    /* The decoder skips links, scopes and nested values without parsing
       them, so damage there is only seen by protobuf-c. */
    t->only_ours_ok++;
  }
  if (req)
    free_unpacked(req, NULL);
  dl_trace_set_free(set);
}

/* ---- generated requests ---- */

static uint64_t rng = 2463534242ULL;

/* 32 bits from the shared seeded generator. */
static uint32_t
next(void)
{
  return random_u32(&rng);
}

static AnyValue *
str_value(const char *s)
{
  AnyValue *v = calloc(1, sizeof *v);
  opentelemetry__proto__common__v1__any_value__init(v);
  v->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE;
  v->string_value = (char *) s;
  return v;
}

static AnyValue *
int_value(int64_t i)
{
  AnyValue *v = calloc(1, sizeof *v);
  opentelemetry__proto__common__v1__any_value__init(v);
  v->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE;
  v->int_value = i;
  return v;
}

static KeyValue *
kv(const char *key, AnyValue *v)
{
  KeyValue *a = calloc(1, sizeof *a);
  opentelemetry__proto__common__v1__key_value__init(a);
  a->key = (char *) key;
  a->value = v;
  return a;
}

static void
free_kvs(KeyValue **a, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    free(a[i]->value);
    free(a[i]);
  }
  free(a);
}

static const char *svc_names[] = {"orders", "payments", "cart", "search"};
static const char *regions[] = {"eu-west-1", "us-east-1", "ap-south-1"};
static const char *ops[] = {"GET /api/orders", "POST /api/pay", "SELECT orders", ""};

/* A request of random shape: resources, scopes, spans, attributes. */
static uint8_t *
generate(size_t *len)
{
  Request req;
  opentelemetry__proto__collector__trace__v1__export_trace_service_request__init(&req);
  req.n_resource_spans = 1 + next() % 3;
  req.resource_spans = calloc(req.n_resource_spans, sizeof *req.resource_spans);
  for (size_t i = 0; i < req.n_resource_spans; i++) {
    ResourceSpans *rs = calloc(1, sizeof *rs);
    opentelemetry__proto__trace__v1__resource_spans__init(rs);
    rs->resource = calloc(1, sizeof *rs->resource);
    opentelemetry__proto__resource__v1__resource__init(rs->resource);
    rs->resource->n_attributes = 2 + next() % 2;
    rs->resource->attributes = calloc(3, sizeof(KeyValue *));
    rs->resource->attributes[0] = kv("service.name", str_value(svc_names[next() % 4]));
    rs->resource->attributes[1] = kv("service.version", str_value(next() % 2 ? "1.0.0" : "1.1.0"));
    if (rs->resource->n_attributes == 3)
      rs->resource->attributes[2] = kv("cloud.region", str_value(regions[next() % 3]));
    rs->n_scope_spans = next() % 3;
    rs->scope_spans = calloc(rs->n_scope_spans + 1, sizeof *rs->scope_spans);
    for (size_t j = 0; j < rs->n_scope_spans; j++) {
      ScopeSpans *ss = calloc(1, sizeof *ss);
      opentelemetry__proto__trace__v1__scope_spans__init(ss);
      ss->n_spans = next() % 5;
      ss->spans = calloc(ss->n_spans + 1, sizeof *ss->spans);
      for (size_t k = 0; k < ss->n_spans; k++) {
        Span *s = calloc(1, sizeof *s);
        opentelemetry__proto__trace__v1__span__init(s);
        uint8_t *ids = calloc(1, 32);
        for (int b = 0; b < 32; b++)
          ids[b] = (uint8_t) next();
        s->trace_id.data = ids;
        s->trace_id.len = 16;
        s->span_id.data = ids + 16;
        s->span_id.len = 8;
        if (next() % 3) {
          s->parent_span_id.data = ids + 24;
          s->parent_span_id.len = 8;
        }
        s->name = (char *) ops[next() % 4];
        s->kind = next() % 6;
        s->start_time_unix_nano = 1700000000000000000ULL + next();
        s->end_time_unix_nano = s->start_time_unix_nano + (next() % 5 ? next() % 1000000000 : 0);
        s->n_attributes = next() % 4;
        s->attributes = calloc(4, sizeof(KeyValue *));
        for (size_t a = 0; a < s->n_attributes; a++) {
          switch (a) {
          case 0: s->attributes[a] = kv("http.response.status_code", int_value(next() % 2 ? 200 : 503)); break;
          case 1: s->attributes[a] = kv("cloud.region", str_value(regions[next() % 3])); break;
          default: s->attributes[a] = kv("http.route", str_value("/api/orders")); break;
          }
        }
        if (next() % 4 == 0) {
          s->status = calloc(1, sizeof *s->status);
          opentelemetry__proto__trace__v1__status__init(s->status);
          s->status->code = next() % 3;
          s->status->message = "failed";
        }
        ss->spans[k] = s;
      }
      rs->scope_spans[j] = ss;
    }
    req.resource_spans[i] = rs;
  }
  *len = opentelemetry__proto__collector__trace__v1__export_trace_service_request__get_packed_size(&req);
  uint8_t *out = malloc(*len + 1);
  opentelemetry__proto__collector__trace__v1__export_trace_service_request__pack(&req, out);
  for (size_t i = 0; i < req.n_resource_spans; i++) {
    ResourceSpans *rs = req.resource_spans[i];
    for (size_t j = 0; j < rs->n_scope_spans; j++) {
      ScopeSpans *ss = rs->scope_spans[j];
      for (size_t k = 0; k < ss->n_spans; k++) {
        free(ss->spans[k]->trace_id.data);
        free_kvs(ss->spans[k]->attributes, ss->spans[k]->n_attributes);
        free(ss->spans[k]->status);
        free(ss->spans[k]);
      }
      free(ss->spans);
      free(ss);
    }
    free(rs->scope_spans);
    free_kvs(rs->resource->attributes, rs->resource->n_attributes);
    free(rs->resource);
    free(rs);
  }
  free(req.resource_spans);
  return out;
}

static void
test_fixtures(void)
{
  const char *files[] = {"corpora/opentelemetry-proto/examples/trace.protobuf-bin",
                         "corpora/otlp2parquet/testdata/trace.pb",
                         "corpora/otlp2parquet/testdata/traces.pb", "otlp/trace.protobuf-bin"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    void *data;
    size_t len;
    dl_error err;
    if (dl_read_file(data_path(files[i]), 1 << 20, &data, &len, &err)) {
      ok(0, "%s: %s", files[i], err.text);
      continue;
    }
    Request *req = unpack(NULL, len, data);
    dl_trace_set *set = ours(data, len, &err);
    char why[200] = "";
    ok(req && set && agree(req, set, 1, why, sizeof why), "%s: same as protobuf-c",
       strrchr(files[i], '/') + 1);
    if (why[0])
      tap_diag("%s", why);
    if (!set)
      tap_diag("%s", err.text);
    tally t = {0};
    for (size_t cut = 0; cut < len; cut++)
      compare_bytes(data, cut, &t);
    uint8_t *copy = malloc(len);
    static const uint8_t values[] = {0x00, 0x01, 0x7f, 0x80, 0xff, 0x0a, 0x12, 0x1a};
    for (size_t pos = 0; pos < len; pos++)
      for (size_t v = 0; v < sizeof values; v++) {
        memcpy(copy, data, len);
        copy[pos] = values[v];
        compare_bytes(copy, len, &t);
      }
    is_int(t.mismatches, 0, "%s: %ld truncations and corruptions agree with protobuf-c "
                            "(both accept %ld, both refuse %ld, stricter %ld, unparsed parts %ld)",
           strrchr(files[i], '/') + 1, (long) (len * 9), t.both_ok, t.both_fail, t.only_pbc_ok,
           t.only_ours_ok);
    if (req)
      free_unpacked(req, NULL);
    dl_trace_set_free(set);
    free(copy);
    free(data);
  }
}

static void
test_generated(void)
{
  int all = 1;
  size_t spans = 0;
  tally t = {0};
  for (int round = 0; round < 300 && all; round++) {
    size_t len;
    uint8_t *p = generate(&len);
    Request *req = unpack(NULL, len, p);
    dl_error err;
    dl_trace_set *set = ours(p, len, &err);
    char why[200] = "";
    if (!req || !set || !agree(req, set, 1, why, sizeof why)) {
      all = 0;
      tap_diag("round %d: %s", round, set ? why : err.text);
    }
    if (set)
      spans += dl_trace_set_count(set);
    /* A few corruptions of each generated request too. */
    for (int m = 0; m < 20 && len; m++) {
      size_t pos = next() % len;
      uint8_t saved = p[pos];
      p[pos] = (uint8_t) next();
      compare_bytes(p, len, &t);
      p[pos] = saved;
    }
    if (req)
      free_unpacked(req, NULL);
    dl_trace_set_free(set);
    free(p);
  }
  ok(all, "300 generated requests (%zu spans) decode as protobuf-c unpacks them", spans);
  is_int(t.mismatches, 0, "6000 corrupted requests: no disagreement (both accept %ld, both refuse %ld)",
         t.both_ok, t.both_fail);
}

int
main(void)
{
  test_fixtures();
  test_generated();
  return tap_done();
}
