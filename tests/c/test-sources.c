/* Jaeger (api/v3 and v1) and Tempo sources against a loopback HTTP server
   (libmicrohttpd on 127.0.0.1, an ephemeral port) serving answers in the
   real formats -- recorded files from tests/data/corpora, and a made-up
   universe of traces every ten minutes -- with slicing, splitting on the
   limit, a 500 then success, 429, a timeout, a body that is not JSON, and
   credentials from the environment that never show in messages. */
#include "test-ingest-util.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <pthread.h>
#include <unistd.h>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"

/* The made-up universe: trace k starts at T0 + k * 10 min with two spans;
   the second span of every sixth trace starts 15 minutes later, across
   an hour boundary, so two slices both return it. */
#define T0 1700000000000000000LL /* 2023-11-14T22:13:20Z */
#define MINUTE 60000000000LL
#define N_TRACES 18

static int64_t
trace_start(int k)
{
  return T0 + (int64_t) k * 10 * MINUTE;
}

static int64_t
second_span_start(int k)
{
  return trace_start(k) + (k % 6 == 5 ? 15 : 1) * MINUTE;
}

/* ---- server state ---- */

enum { MODE_V1, MODE_V3, MODE_TEMPO };

static struct {
  pthread_mutex_t lock;
  int mode;
  int fail_first;   /* answer this many requests with FAIL_STATUS */
  int fail_status;
  int slow_ms;      /* sleep before answering */
  int not_json;     /* answer trace queries with HTML */
  int recorded;     /* answer trace queries with corpus files */
  int requests;
  char auth[160];   /* the last Authorization header */
  char user_agent[160]; /* the last User-Agent header */
  int redirect;     /* answer /api/services with a redirect to /api/services-moved */
  char moved_auth[160]; /* the Authorization header that came to /api/services-moved */
  char log[64][300]; /* the trace queries: path?query */
  int n_log;
} srv = {.lock = PTHREAD_MUTEX_INITIALIZER};

typedef struct text {
  char *b;
  size_t n, cap;
} text;

static void
add(text *t, const char *fmt, ...)
{
  va_list ap;
  for (;;) {
    va_start(ap, fmt);
    int n = vsnprintf(t->b ? t->b + t->n : NULL, t->b ? t->cap - t->n : 0, fmt, ap);
    va_end(ap);
    if (t->b && t->n + (size_t) n < t->cap) {
      t->n += (size_t) n;
      return;
    }
    t->cap = (t->cap + (size_t) n + 1) * 2;
    t->b = realloc(t->b, t->cap);
  }
}

static void
trace_id_hex(int k, char out[33])
{
  snprintf(out, 33, "%016x%016x", 0xabcu, (unsigned) k + 1);
}

/* Jaeger v1: {"data": [...]} with the traces having a span in [s, e). */
static void
v1_answer(text *t, int64_t s, int64_t e, int limit)
{
  add(t, "{\"data\":[");
  int n = 0;
  for (int k = 0; k < N_TRACES && n < limit; k++) {
    int64_t a = trace_start(k), b = second_span_start(k);
    if (!((a >= s && a < e) || (b >= s && b < e)))
      continue;
    char id[33];
    trace_id_hex(k, id);
    add(t,
        "%s{\"traceID\":\"%s\",\"spans\":["
        "{\"traceID\":\"%s\",\"spanID\":\"%016x\",\"flags\":1,\"operationName\":\"GET /api/orders\","
        "\"references\":[],\"startTime\":%" PRId64 ",\"duration\":1000,"
        "\"tags\":[{\"key\":\"span.kind\",\"type\":\"string\",\"value\":\"server\"}],\"logs\":[],"
        "\"processID\":\"p1\",\"warnings\":null},"
        "{\"traceID\":\"%s\",\"spanID\":\"%016x\",\"flags\":1,\"operationName\":\"SELECT\","
        "\"references\":[{\"refType\":\"CHILD_OF\",\"traceID\":\"%s\",\"spanID\":\"%016x\"}],"
        "\"startTime\":%" PRId64 ",\"duration\":500,\"tags\":[],\"logs\":[],\"processID\":\"p2\","
        "\"warnings\":null}],"
        "\"processes\":{\"p1\":{\"serviceName\":\"orders\",\"tags\":[{\"key\":\"service.version\","
        "\"type\":\"string\",\"value\":\"1.4.2\"}]},\"p2\":{\"serviceName\":\"postgres\",\"tags\":[]}},"
        "\"warnings\":null}",
        n ? "," : "", id, id, 2 * k + 1, a / 1000, id, 2 * k + 2, id, 2 * k + 1, b / 1000);
    n++;
  }
  add(t, "],\"total\":0,\"limit\":0,\"offset\":0,\"errors\":null}");
}

static void
otlp_trace(text *t, int k)
{
  char id[33];
  trace_id_hex(k, id);
  add(t,
      "{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"orders\"}}]},"
      "\"scopeSpans\":[{\"scope\":{},\"spans\":["
      "{\"traceId\":\"%s\",\"spanId\":\"%016x\",\"name\":\"GET /api/orders\",\"kind\":2,"
      "\"startTimeUnixNano\":\"%" PRId64 "\",\"endTimeUnixNano\":\"%" PRId64 "\",\"status\":{}},"
      "{\"traceId\":\"%s\",\"spanId\":\"%016x\",\"parentSpanId\":\"%016x\",\"name\":\"SELECT\",\"kind\":3,"
      "\"startTimeUnixNano\":\"%" PRId64 "\",\"endTimeUnixNano\":\"%" PRId64 "\",\"status\":{}}]}]}",
      id, 2 * k + 1, trace_start(k), trace_start(k) + 1000000, id, 2 * k + 2, 2 * k + 1,
      second_span_start(k), second_span_start(k) + 500000);
}

/* Jaeger api/v3: {"result": TracesData}. */
static void
v3_answer(text *t, int64_t s, int64_t e, int limit)
{
  add(t, "{\"result\":{\"resourceSpans\":[");
  int n = 0;
  for (int k = 0; k < N_TRACES && n < limit; k++) {
    int64_t a = trace_start(k), b = second_span_start(k);
    if (!((a >= s && a < e) || (b >= s && b < e)))
      continue;
    if (n++)
      add(t, ",");
    otlp_trace(t, k);
  }
  add(t, "]}}");
}

/* Tempo's search answer: ids with leading zeros dropped, as Tempo does. */
static void
tempo_search(text *t, int64_t s, int64_t e, int limit)
{
  add(t, "{\"traces\":[");
  int n = 0;
  for (int k = 0; k < N_TRACES && n < limit; k++) {
    int64_t a = trace_start(k);
    if (a < s || a >= e)
      continue;
    add(t,
        "%s{\"traceID\":\"%x%016x\",\"rootServiceName\":\"orders\",\"rootTraceName\":\"GET /api/orders\","
        "\"startTimeUnixNano\":\"%" PRId64 "\",\"durationMs\":1}",
        n ? "," : "", 0xabcu, (unsigned) k + 1, a);
    n++;
  }
  add(t, "],\"metrics\":{\"inspectedBytes\":\"1048576\",\"completedJobs\":1,\"totalJobs\":1}}");
}

/* Tempo's trace by id, as OTLP protobuf (packed by protobuf-c). */
static uint8_t *
tempo_protobuf(int k, size_t *len)
{
  Opentelemetry__Proto__Trace__V1__TracesData td = OPENTELEMETRY__PROTO__TRACE__V1__TRACES_DATA__INIT;
  Opentelemetry__Proto__Trace__V1__ResourceSpans rs = OPENTELEMETRY__PROTO__TRACE__V1__RESOURCE_SPANS__INIT;
  Opentelemetry__Proto__Resource__V1__Resource res = OPENTELEMETRY__PROTO__RESOURCE__V1__RESOURCE__INIT;
  Opentelemetry__Proto__Common__V1__KeyValue kv = OPENTELEMETRY__PROTO__COMMON__V1__KEY_VALUE__INIT;
  Opentelemetry__Proto__Common__V1__AnyValue v = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__INIT;
  Opentelemetry__Proto__Trace__V1__ScopeSpans ss = OPENTELEMETRY__PROTO__TRACE__V1__SCOPE_SPANS__INIT;
  Opentelemetry__Proto__Trace__V1__Span sp[2] = {OPENTELEMETRY__PROTO__TRACE__V1__SPAN__INIT,
                                                 OPENTELEMETRY__PROTO__TRACE__V1__SPAN__INIT};
  Opentelemetry__Proto__Trace__V1__Span *spans[2] = {&sp[0], &sp[1]};
  Opentelemetry__Proto__Common__V1__KeyValue *attrs[1] = {&kv};
  Opentelemetry__Proto__Trace__V1__ScopeSpans *sss[1] = {&ss};
  Opentelemetry__Proto__Trace__V1__ResourceSpans *rss[1] = {&rs};
  char hex[33];
  uint8_t tid[16], sid[2][8];
  trace_id_hex(k, hex);
  dl_hex_decode(hex, 16, tid, 0);
  for (int i = 0; i < 2; i++) {
    char s[17];
    snprintf(s, sizeof s, "%016x", 2 * k + 1 + i);
    dl_hex_decode(s, 8, sid[i], 0);
    sp[i].trace_id.data = tid;
    sp[i].trace_id.len = 16;
    sp[i].span_id.data = sid[i];
    sp[i].span_id.len = 8;
  }
  sp[1].parent_span_id.data = sid[0];
  sp[1].parent_span_id.len = 8;
  sp[0].name = "GET /api/orders";
  sp[1].name = "SELECT";
  sp[0].kind = 2;
  sp[1].kind = 3;
  sp[0].start_time_unix_nano = (uint64_t) trace_start(k);
  sp[0].end_time_unix_nano = (uint64_t) trace_start(k) + 1000000;
  sp[1].start_time_unix_nano = (uint64_t) second_span_start(k);
  sp[1].end_time_unix_nano = (uint64_t) second_span_start(k) + 500000;
  v.value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE;
  v.string_value = "orders";
  kv.key = "service.name";
  kv.value = &v;
  res.n_attributes = 1;
  res.attributes = attrs;
  ss.n_spans = 2;
  ss.spans = spans;
  rs.resource = &res;
  rs.n_scope_spans = 1;
  rs.scope_spans = sss;
  td.n_resource_spans = 1;
  td.resource_spans = rss;
  *len = opentelemetry__proto__trace__v1__traces_data__get_packed_size(&td);
  uint8_t *out = malloc(*len);
  opentelemetry__proto__trace__v1__traces_data__pack(&td, out);
  return out;
}

static char *
read_data(const char *name, size_t *len)
{
  void *data;
  dl_error err;
  if (dl_read_file(data_path(name), 1 << 20, &data, len, &err))
    return NULL;
  return data;
}

static enum MHD_Result
answer(struct MHD_Connection *c, unsigned status, const void *body, size_t len, const char *type)
{
  struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *) body, MHD_RESPMEM_MUST_COPY);
  MHD_add_response_header(r, "Content-Type", type);
  if (status == 429)
    MHD_add_response_header(r, "Retry-After", "0");
  enum MHD_Result ret = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return ret;
}

static int64_t
arg_int(struct MHD_Connection *c, const char *name, int64_t dflt)
{
  const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
  return v ? strtoll(v, NULL, 10) : dflt;
}

static int64_t
arg_time(struct MHD_Connection *c, const char *name)
{
  const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
  int64_t ns = 0;
  if (!v || dl_time_parse(v, &ns, NULL))
    return -1;
  return ns;
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
        const char *version, const char *upload, size_t *upload_size, void **state)
{
  (void) cls, (void) method, (void) version, (void) upload, (void) upload_size, (void) state;
  pthread_mutex_lock(&srv.lock);
  srv.requests++;
  const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
  snprintf(srv.auth, sizeof srv.auth, "%s", auth ? auth : "");
  const char *agent = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "User-Agent");
  snprintf(srv.user_agent, sizeof srv.user_agent, "%s", agent ? agent : "");
  if (strcmp(url, "/api/services-moved") == 0)
    snprintf(srv.moved_auth, sizeof srv.moved_auth, "%s", auth ? auth : "");
  int redirect = srv.redirect;
  int fail = srv.fail_first > 0;
  if (fail)
    srv.fail_first--;
  int mode = srv.mode, slow = srv.slow_ms, not_json = srv.not_json, recorded = srv.recorded;
  int is_query = strcmp(url, "/api/traces") == 0 || strcmp(url, "/api/v3/traces") == 0 ||
                 strcmp(url, "/api/search") == 0;
  if (is_query && srv.n_log < 64) {
    const char *keys[] = {"service", "start", "end", "limit", "query.service_name",
                          "query.start_time_min", "query.start_time_max", "query.num_traces", "q"};
    char *l = srv.log[srv.n_log++];
    size_t n = (size_t) snprintf(l, 300, "%s", url);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
      const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, keys[i]);
      if (v && n < 300)
        n += (size_t) snprintf(l + n, 300 - n, " %s=%s", keys[i], v);
    }
  }
  pthread_mutex_unlock(&srv.lock);
  if (slow)
    usleep((useconds_t) slow * 1000);
  if (fail) {
    const char *msg = "{\"data\":null,\"errors\":[{\"code\":500,\"msg\":\"storage unavailable\"}]}";
    return answer(c, srv.fail_status, msg, strlen(msg), "application/json");
  }
  text t = {0};
  enum MHD_Result ret;
  int v3 = mode == MODE_V3;
  if (strcmp(url, "/api/v3/services") == 0 && v3) {
    size_t len;
    char *b = read_data("corpora/jaeger/cmd/jaeger/internal/extension/jaegerquery/internal/apiv3/snapshots/GetServices.json", &len);
    ret = answer(c, 200, b, len, "application/json");
    free(b);
    return ret;
  }
  if (strcmp(url, "/api/services") == 0 && mode == MODE_V1 && redirect) {
    struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *) "", MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "Location", "/api/services-moved");
    ret = MHD_queue_response(c, 302, r);
    MHD_destroy_response(r);
    return ret;
  }
  if ((strcmp(url, "/api/services") == 0 || strcmp(url, "/api/services-moved") == 0)
      && mode == MODE_V1) {
    const char *b = "{\"data\":[\"postgres\",\"orders\"],\"total\":2,\"limit\":0,\"offset\":0,\"errors\":null}";
    return answer(c, 200, b, strlen(b), "application/json");
  }
  if (is_query && not_json) {
    const char *b = "<html><body>502 Bad Gateway</body></html>";
    return answer(c, 200, b, strlen(b), "text/html");
  }
  if (strcmp(url, "/api/traces") == 0 && mode == MODE_V1) {
    if (recorded) {
      size_t len;
      char *b = read_data("corpora/jaeger-ui/packages/jaeger-ui/src/utils/fixtures/otlp2jaeger-out.json", &len);
      ret = answer(c, 200, b, len, "application/json");
      free(b);
      return ret;
    }
    v1_answer(&t, arg_int(c, "start", 0) * 1000, arg_int(c, "end", 0) * 1000,
              (int) arg_int(c, "limit", 20));
  } else if (strcmp(url, "/api/v3/traces") == 0 && v3) {
    if (recorded) {
      size_t len;
      char *b = read_data("corpora/jaeger/cmd/jaeger/internal/extension/jaegerquery/internal/apiv3/snapshots/FindTraces.json", &len);
      ret = answer(c, 200, b, len, "application/json");
      free(b);
      return ret;
    }
    v3_answer(&t, arg_time(c, "query.start_time_min"), arg_time(c, "query.start_time_max"),
              (int) arg_int(c, "query.num_traces", 20));
    if (strstr(t.b, "resourceSpans\":[]")) {
      /* Jaeger v2 answers an empty search with 404 and an error. */
      const char *b = "{\"error\":{\"grpcCode\":5,\"httpCode\":404,\"message\":\"No traces found\",\"httpStatus\":\"Not Found\"}}";
      free(t.b);
      return answer(c, 404, b, strlen(b), "application/json");
    }
  } else if (strcmp(url, "/api/search") == 0 && mode == MODE_TEMPO) {
    tempo_search(&t, arg_int(c, "start", 0) * 1000000000LL, arg_int(c, "end", 0) * 1000000000LL,
                 (int) arg_int(c, "limit", 20));
  } else if (strncmp(url, "/api/traces/", 12) == 0 && mode == MODE_TEMPO) {
    unsigned k = (unsigned) strtoul(url + 12 + 16, NULL, 16) - 1;
    if (k >= N_TRACES)
      return answer(c, 404, "trace not found", 15, "text/plain");
    if (k % 2 == 0) {
      /* Even traces as Tempo's JSON: {"batches": [...]}. */
      add(&t, "{\"batches\":[");
      otlp_trace(&t, (int) k);
      add(&t, "]}");
    } else {
      size_t len;
      uint8_t *b = tempo_protobuf((int) k, &len);
      ret = answer(c, 200, b, len, "application/protobuf");
      free(b);
      return ret;
    }
  } else {
    return answer(c, 404, "404 page not found", 18, "text/plain");
  }
  ret = answer(c, 200, t.b, t.n, "application/json");
  free(t.b);
  return ret;
}

static struct MHD_Daemon *daemon_;
static char base_url[64];

static int
start_server(void)
{
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  daemon_ = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0,
                             NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_END);
  if (!daemon_)
    return -1;
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
  snprintf(base_url, sizeof base_url, "http://127.0.0.1:%u", info ? info->port : 0);
  return 0;
}

static void
reset(int mode)
{
  pthread_mutex_lock(&srv.lock);
  srv.mode = mode;
  srv.fail_first = srv.slow_ms = srv.not_json = srv.recorded = srv.redirect = 0;
  srv.fail_status = 500;
  srv.requests = srv.n_log = 0;
  srv.auth[0] = srv.user_agent[0] = srv.moved_auth[0] = '\0';
  pthread_mutex_unlock(&srv.lock);
}

static void
options(dl_http_options *h, dl_trace_query *q, int64_t hours)
{
  dl_http_options_init(h);
  h->backoff_ms = 5;
  h->timeout_ms = 5000;
  dl_trace_query_init(q);
  q->url = base_url;
  q->service = "orders";
  q->start = T0;
  q->end = T0 + hours * 60 * MINUTE;
}

static void
test_jaeger(void)
{
  dl_http_options h;
  dl_trace_query q;
  dl_fetch_stats st;
  dl_error err;
  dl_trace_set *set = dl_trace_set_new();

  /* Recorded answers, API detected. */
  reset(MODE_V1);
  srv.recorded = 1;
  options(&h, &q, 1);
  q.service = "telemetrygen";
  is_int(dl_jaeger_fetch(set, &q, &h, NULL, &st, &err), DL_OK, "v1: recorded query answer");
  is_int(st.api, DL_JAEGER_API_V1, "v1 detected (api/v3 answers 404)");
  is_int(st.traces, 1, "one trace fetched");
  is_int(st.spans, 2, "two spans");
  ok(strstr(srv.log[0], "service=telemetrygen") && strstr(srv.log[0], "start=1700000000000000") &&
       strstr(srv.log[0], "end=1700003600000000") && strstr(srv.log[0], "limit=1000"),
     "v1 parameters in microseconds: %s", srv.log[0]);
  dl_trace_set_free(set);

  set = dl_trace_set_new();
  reset(MODE_V3);
  srv.recorded = 1;
  is_int(dl_jaeger_fetch(set, &q, &h, NULL, &st, &err), DL_OK, "v3: recorded FindTraces answer");
  is_int(st.api, DL_JAEGER_API_V3, "api/v3 detected");
  is_int(dl_trace_set_count(set), 1, "its one span");
  ok(strstr(srv.log[0], "query.start_time_min=2023-11-14T22:13:20Z") &&
       strstr(srv.log[0], "query.start_time_max=2023-11-14T23:13:20Z") &&
       strstr(srv.log[0], "query.service_name=telemetrygen"),
     "v3 parameters in RFC 3339: %s", srv.log[0]);
  dl_trace_set_free(set);

  /* Slicing: 3 hours in 1-hour slices; a trace crossing a boundary. */
  for (int mode = MODE_V1; mode <= MODE_V3; mode++) {
    const char *name = mode == MODE_V1 ? "v1" : "v3";
    set = dl_trace_set_new();
    reset(mode);
    options(&h, &q, 3);
    q.api = mode == MODE_V1 ? DL_JAEGER_API_V1 : DL_JAEGER_API_V3;
    is_int(dl_jaeger_fetch(set, &q, &h, NULL, &st, &err), DL_OK, "%s: 3 hours", name);
    is_int(st.slices, 3, "%s: three slices", name);
    is_int(srv.n_log, 3, "%s: three queries", name);
    is_int(st.traces, N_TRACES, "%s: 18 traces, each once", name);
    is_int(dl_trace_set_count(set), 2 * N_TRACES, "%s: 36 spans", name);
    dl_filter f;
    dl_selection sel;
    dl_filter_init(&f);
    f.operation = "SELECT";
    if (dl_trace_set_filter(set, NULL, &f, &sel, &err) == DL_OK) {
      is_int(sel.count, N_TRACES, "%s: one SELECT span per trace", name);
      dl_selection_free(&sel);
    }
    dl_trace_set_free(set);

    /* Splitting: a limit of 4 traces, 6 or 7 per hour. */
    set = dl_trace_set_new();
    reset(mode);
    q.limit = 4;
    is_int(dl_jaeger_fetch(set, &q, &h, NULL, &st, &err), DL_OK, "%s: limit 4", name);
    /* Hour 1 holds 6 traces (split once); hours 2 and 3 hold 7 each
       with the one crossing in, and their first halves 4 (split again). */
    is_int(st.splits, 5, "%s: slices split five times", name);
    is_int(st.slices, 13, "%s: 3 hours, 4 halves, 6 quarters asked", name);
    is_int(st.traces, N_TRACES, "%s: still 18 traces", name);
    is_int(dl_trace_set_count(set), 2 * N_TRACES, "%s: still 36 spans", name);
    dl_trace_set_free(set);
  }

  /* A 503 then success; a 500 is final; a 429 with Retry-After;
     persistent 503. */
  set = dl_trace_set_new();
  reset(MODE_V1);
  srv.fail_first = 1;
  srv.fail_status = 503;
  options(&h, &q, 1);
  q.api = DL_JAEGER_API_V1;
  is_int(dl_jaeger_fetch(set, &q, &h, NULL, &st, &err), DL_OK, "503 then success");
  is_int(st.retries, 1, "one retry");
  is_int(st.requests, 2, "two requests");
  is_int(st.traces, 6, "the hour's six traces");
  is_str(srv.user_agent, "deploy-ledger/" PACKAGE_VERSION, "the user agent carries configure's version");
  reset(MODE_V1);
  srv.fail_first = 1;
  dl_trace_set *none = dl_trace_set_new();
  is_int(dl_jaeger_fetch(none, &q, &h, NULL, &st, &err), DL_EHTTP, "a 500 is final");
  ok(st.requests == 1 && st.retries == 0 && strstr(err.text, "HTTP 500: ")
       && strstr(err.text, "storage unavailable"),
     "not retried (the one retry policy: 429, 502, 503, 504): %s", err.text);
  dl_trace_set_free(none);
  reset(MODE_V1);
  srv.fail_first = 2;
  srv.fail_status = 429;
  is_int(dl_jaeger_fetch(set, &q, &h, NULL, &st, &err), DL_OK, "429 twice then success");
  is_int(st.retries, 2, "two retries");
  size_t before = dl_trace_set_count(set);
  reset(MODE_V1);
  srv.fail_first = 10;
  srv.fail_status = 503;
  h.retries = 2;
  is_int(dl_jaeger_fetch(set, &q, &h, NULL, &st, &err), DL_EHTTP, "503 three times fails");
  ok(strstr(err.text, "HTTP 503 after 3 attempts") && strstr(err.text, "/api/traces?service=orders"),
     "error names the URL and status: %s", err.text);
  is_int(dl_trace_set_count(set), before, "a failed fetch adds nothing");

  /* A timeout. */
  reset(MODE_V1);
  srv.slow_ms = 1500;
  h.timeout_ms = 300;
  h.retries = 0;
  is_int(dl_jaeger_fetch(set, &q, &h, NULL, &st, &err), DL_EHTTP, "a slow server times out");
  ok(strstr(err.text, "imeout") != NULL, "timeout error: %s", err.text);

  /* A body that is not JSON. */
  reset(MODE_V1);
  srv.not_json = 1;
  options(&h, &q, 1);
  q.api = DL_JAEGER_API_V1;
  is_int(dl_jaeger_fetch(set, &q, &h, NULL, &st, &err), DL_EPARSE, "HTML instead of JSON fails");
  ok(strstr(err.text, base_url) && strstr(err.text, "HTML"), "names the URL and what came: %s", err.text);
  is_int(dl_trace_set_count(set), before, "and adds nothing");

  /* Nobody listening. */
  dl_trace_query dead = q;
  dead.url = "http://127.0.0.1:1";
  h.retries = 0;
  is_int(dl_jaeger_fetch(set, &dead, &h, NULL, &st, &err), DL_EHTTP, "connection refused");
  dead.url = "file:///etc/passwd";
  is_int(dl_jaeger_fetch(set, &dead, &h, NULL, &st, &err), DL_EINVAL, "a file:// URL is refused");
  ok(strstr(err.text, "http:// or https://") && st.requests == 0, "before any request: %s", err.text);

  /* Arguments. */
  dl_trace_query bad = q;
  bad.service = NULL;
  is_int(dl_jaeger_fetch(set, &bad, &h, NULL, &st, &err), DL_EINVAL, "a service is required");
  bad = q;
  bad.end = bad.start;
  is_int(dl_jaeger_fetch(set, &bad, &h, NULL, &st, &err), DL_EINVAL, "an empty window is refused");
  dl_trace_set_free(set);

  /* Services. */
  char **names;
  size_t n;
  reset(MODE_V1);
  options(&h, &q, 1);
  is_int(dl_jaeger_services(base_url, DL_JAEGER_API_AUTO, &h, &names, &n, &err), DL_OK, "v1 services");
  ok(n == 2 && strcmp(names[0], "orders") == 0 && strcmp(names[1], "postgres") == 0, "sorted names");
  dl_string_list_free(names, n);
  reset(MODE_V3);
  is_int(dl_jaeger_services(base_url, DL_JAEGER_API_AUTO, &h, &names, &n, &err), DL_OK, "v3 services");
  ok(n == 1 && strcmp(names[0], "foo") == 0, "GetServices.json: foo");
  dl_string_list_free(names, n);
}

static void
test_credentials(void)
{
  dl_http_options h;
  dl_trace_query q;
  dl_fetch_stats st;
  dl_error err;
  dl_trace_set *set = dl_trace_set_new();
  setenv("DEPLOY_LEDGER_JAEGER_TOKEN", "s3cr3t-t0ken", 1);
  reset(MODE_V1);
  options(&h, &q, 1);
  q.api = DL_JAEGER_API_V1;
  is_int(dl_jaeger_fetch(set, &q, &h, NULL, &st, &err), DL_OK, "fetch with a bearer token");
  is_str(srv.auth, "Bearer s3cr3t-t0ken", "Authorization: Bearer from DEPLOY_LEDGER_JAEGER_TOKEN");
  reset(MODE_V1);
  srv.fail_first = 5;
  h.retries = 0;
  is_int(dl_jaeger_fetch(set, &q, &h, NULL, &st, &err), DL_EHTTP, "a failure");
  ok(!strstr(err.text, "s3cr3t"), "the token is not in the message: %s", err.text);
  unsetenv("DEPLOY_LEDGER_JAEGER_TOKEN");

  setenv("DL_TEST_USER", "alice", 1);
  setenv("DL_TEST_PASSWORD", "pa55word", 1);
  reset(MODE_V1);
  options(&h, &q, 1);
  q.api = DL_JAEGER_API_V1;
  h.credentials = "DL_TEST";
  is_int(dl_jaeger_fetch(set, &q, &h, NULL, &st, &err), DL_OK, "fetch with basic credentials");
  is_str(srv.auth, "Basic YWxpY2U6cGE1NXdvcmQ=", "Authorization: Basic from DL_TEST_USER/PASSWORD");
  unsetenv("DL_TEST_USER");
  unsetenv("DL_TEST_PASSWORD");

  /* Redirects: followed without credentials, refused with them. */
  char **names;
  size_t n;
  reset(MODE_V1);
  srv.redirect = 1;
  options(&h, &q, 1);
  is_int(dl_jaeger_services(base_url, DL_JAEGER_API_V1, &h, &names, &n, &err), DL_OK,
         "a redirect is followed when no credentials are sent");
  ok(n == 2 && strcmp(names[0], "orders") == 0, "the services from where it pointed");
  dl_string_list_free(names, n);
  setenv("DEPLOY_LEDGER_JAEGER_TOKEN", "s3cr3t-t0ken", 1);
  reset(MODE_V1);
  srv.redirect = 1;
  is_int(dl_jaeger_services(base_url, DL_JAEGER_API_V1, &h, &names, &n, &err), DL_EHTTP,
         "with a bearer token it is not");
  ok(strstr(err.text, "HTTP 302") && strstr(err.text, "not followed when credentials are sent")
       && srv.moved_auth[0] == '\0' && !strstr(err.text, "s3cr3t"),
     "the token never reaches the other place: %s", err.text);
  unsetenv("DEPLOY_LEDGER_JAEGER_TOKEN");

  /* Credentials in the URL itself are not shown either. */
  char url[128];
  snprintf(url, sizeof url, "http://bob:hunter2@%s", base_url + 7);
  reset(MODE_V1);
  srv.fail_first = 5;
  options(&h, &q, 1);
  h.retries = 0;
  q.url = url;
  q.api = DL_JAEGER_API_V1;
  is_int(dl_jaeger_fetch(set, &q, &h, NULL, &st, &err), DL_EHTTP, "a failure with user information");
  ok(!strstr(err.text, "hunter2") && !strstr(err.text, "bob"), "redacted: %s", err.text);
  dl_trace_set_free(set);
}

static void
test_tempo(void)
{
  dl_http_options h;
  dl_trace_query q;
  dl_fetch_stats st;
  dl_error err;
  dl_trace_set *set = dl_trace_set_new();
  reset(MODE_TEMPO);
  options(&h, &q, 3);
  is_int(dl_tempo_fetch(set, &q, &h, NULL, &st, &err), DL_OK, "Tempo: 3 hours");
  if (err.code)
    tap_diag("%s", err.text);
  is_int(st.traces, N_TRACES, "18 traces by id (protobuf and JSON)");
  is_int(dl_trace_set_count(set), 2 * N_TRACES, "36 spans");
  is_int(st.requests, 3 + N_TRACES, "three searches and one fetch per trace");
  ok(strstr(srv.log[0], "q={resource.service.name=\"orders\"}") && strstr(srv.log[0], "start=1700000000") &&
       strstr(srv.log[0], "end=1700003600"),
     "TraceQL and seconds: %s", srv.log[0]);
  long r = find_span(set, "0000000000000004");
  dl_span_columns c;
  dl_trace_set_columns(set, &c);
  ok(r >= 0 && strcmp(hex(c.trace_id[r], 16), "0000000000000abc0000000000000002") == 0 &&
       strcmp(hex(c.parent_id[r], 8), "0000000000000003") == 0 && c.kind[r] == DL_KIND_CLIENT,
     "a span from protobuf, short id padded");
  dl_trace_set_free(set);

  set = dl_trace_set_new();
  reset(MODE_TEMPO);
  q.limit = 4;
  q.traceql = "{ span.http.route = \"/api/orders\" }";
  is_int(dl_tempo_fetch(set, &q, &h, NULL, &st, &err), DL_OK, "Tempo with limit 4");
  is_int(st.splits, 3, "each hour split");
  is_int(st.traces, N_TRACES, "all traces");
  ok(strstr(srv.log[0], "q={ span.http.route = \"/api/orders\" }") != NULL, "the given TraceQL: %s",
     srv.log[0]);
  reset(MODE_TEMPO);
  srv.not_json = 1;
  is_int(dl_tempo_fetch(set, &q, &h, NULL, &st, &err), DL_EPARSE, "search answer not JSON");
  ok(strstr(err.text, "not JSON") != NULL, "%s", err.text);
  dl_trace_set_free(set);
}

int
main(void)
{
  if (start_server()) {
    tap_skip(1, "cannot start a loopback HTTP server");
    return tap_done();
  }
  test_jaeger();
  test_credentials();
  test_tempo();
  MHD_stop_daemon(daemon_);
  return tap_done();
}
