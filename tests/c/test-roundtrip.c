/* OTLP spans round-trip: the export encoders (protobuf and JSON, from
   the export work) write requests of many shapes, the ingest decoders read
   them back, and every stored column equals what the spans said. */
#include "seeded-random.h"
#include "test-ingest-util.h"

static uint64_t rng = 88172645ULL;

/* 32 bits from the shared seeded generator. */
static uint32_t
next(void)
{
  return random_u32(&rng);
}

static const char *services[] = {"orders", "payments", "cart"};
static const char *regions[] = {"eu-west-1", "us-east-1"};
static const char *routes[] = {"/api/orders", "/api/pay/{id}"};
static const char *names[] = {"GET /api/orders", "POST /api/pay", "SELECT \"orders\"\n", "caf\xc3\xa9"};

#define MAX_SPANS 40

/* One request: 1-3 resources of 0-3 scopes of 0-5 spans, everything
   needed to predict the stored row kept beside it. */
typedef struct model {
  dl_resource_spans rs[3];
  dl_scope_spans ss[3][3];
  dl_span spans[MAX_SPANS];
  dl_kv rattrs[3][4];
  dl_kv sattrs[MAX_SPANS][5];
  dl_kv eattrs[MAX_SPANS][2];
  dl_span_event events[MAX_SPANS];
  dl_export_request req;
  /* expectations, in span order */
  size_t n;
  const char *service[MAX_SPANS], *version[MAX_SPANS], *region[MAX_SPANS], *env[MAX_SPANS];
  const char *error_type[MAX_SPANS];
  char http_error_type[MAX_SPANS][64];
  int error[MAX_SPANS];
} model;

static void
build(model *m)
{
  memset(m, 0, sizeof *m);
  size_t n_rs = 1 + next() % 3;
  for (size_t r = 0; r < n_rs; r++) {
    dl_resource_spans *rs = &m->rs[r];
    const char *svc = services[next() % 3];
    const char *ver = next() % 2 ? "1.4.2" : "1.5.0";
    const char *rregion = next() % 2 ? regions[next() % 2] : NULL;
    size_t na = 0;
    m->rattrs[r][na++] = (dl_kv){dl_str_of("service.name"), dl_value_string(svc)};
    m->rattrs[r][na++] = (dl_kv){dl_str_of("service.version"), dl_value_string(ver)};
    m->rattrs[r][na++] = (dl_kv){dl_str_of("deployment.environment.name"), dl_value_string("production")};
    if (rregion)
      m->rattrs[r][na++] = (dl_kv){dl_str_of("cloud.region"), dl_value_string(rregion)};
    rs->has_resource = 1;
    rs->resource_attrs = m->rattrs[r];
    rs->n_resource_attrs = na;
    rs->n_scopes = next() % 4;
    rs->scopes = m->ss[r];
    for (size_t s = 0; s < rs->n_scopes; s++) {
      dl_scope_spans *ss = &m->ss[r][s];
      ss->has_scope = 1;
      ss->scope_name = dl_str_of("io.opentelemetry.http");
      ss->spans = &m->spans[m->n];
      size_t k = next() % 6;
      for (size_t i = 0; i < k && m->n < MAX_SPANS; i++) {
        size_t x = m->n;
        dl_span *sp = &m->spans[x];
        for (int b = 0; b < 16; b++)
          sp->trace_id[b] = (uint8_t) next();
        for (int b = 0; b < 8; b++) {
          sp->span_id[b] = (uint8_t) next();
          sp->parent_span_id[b] = (uint8_t) next();
        }
        sp->has_parent = next() % 3 != 0;
        sp->name = dl_str_of(names[next() % 4]);
        sp->kind = (int) (next() % 6);
        sp->start = 1700000000000000000LL + (int64_t) next() * 1000;
        sp->end = sp->start + (int64_t) (next() % 2000000000u);
        size_t nsa = 0;
        int http = next() % 3 == 0 ? 503 : 200;
        const char *route = routes[next() % 2];
        const char *sregion = next() % 3 == 0 ? regions[next() % 2] : NULL;
        m->sattrs[x][nsa++] = (dl_kv){dl_str_of("http.response.status_code"), dl_value_int(http)};
        m->sattrs[x][nsa++] = (dl_kv){dl_str_of("http.route"), dl_value_string(route)};
        m->sattrs[x][nsa++] = (dl_kv){dl_str_of("server.address"), dl_value_string("orders.example.com")};
        if (sregion)
          m->sattrs[x][nsa++] = (dl_kv){dl_str_of("cloud.region"), dl_value_string(sregion)};
        m->sattrs[x][nsa++] = (dl_kv){dl_str_of("retry"), dl_value_bool(1)};
        sp->attrs = m->sattrs[x];
        sp->n_attrs = nsa;
        int status = (int) (next() % 3);
        sp->has_status = 1;
        sp->status_code = status;
        const char *message = status == 2 && next() % 2 ? "upstream reset" : NULL;
        if (message)
          sp->status_message = dl_str_of(message);
        const char *exc = status == 2 && next() % 2 ? "java.net.SocketTimeoutException" : NULL;
        if (exc) {
          m->eattrs[x][0] = (dl_kv){dl_str_of("exception.type"), dl_value_string(exc)};
          m->eattrs[x][1] = (dl_kv){dl_str_of("exception.message"), dl_value_string("timed out")};
          m->events[x] = (dl_span_event){sp->start + 5, dl_str_of("exception"), m->eattrs[x], 2, 0};
          sp->events = &m->events[x];
          sp->n_events = 1;
        }
        /* What the store must say. */
        m->service[x] = svc;
        m->version[x] = ver;
        m->region[x] = sregion ? sregion : rregion;
        m->env[x] = "production";
        int http_error = sp->kind == DL_KIND_SERVER && http >= 500;
        m->error[x] = status == 2 || http_error;
        m->error_type[x] = NULL;
        if (m->error[x]) {
          if (exc)
            m->error_type[x] = exc;
          else if (message)
            m->error_type[x] = message;
          else if (http >= 500) {
            snprintf(m->http_error_type[x], 64, "HTTP %d %s", http, route);
            m->error_type[x] = m->http_error_type[x];
          }
        }
        m->n++;
        ss->n_spans++;
      }
    }
  }
  m->req.resources = m->rs;
  m->req.n_resources = n_rs;
}

static int
check(const model *m, const dl_trace_set *set, char *why, size_t size)
{
  dl_span_columns c;
  dl_trace_set_columns(set, &c);
  if (c.count != m->n) {
    snprintf(why, size, "%zu spans decoded, %zu encoded", c.count, m->n);
    return 0;
  }
  for (size_t i = 0; i < m->n; i++) {
    const dl_span *s = &m->spans[i];
    uint8_t parent[8] = {0};
    if (s->has_parent)
      memcpy(parent, s->parent_span_id, 8);
    const char *name = str_or(set, c.operation[i], "");
    struct {
      int bad;
      const char *what;
    } checks[] = {
      {memcmp(c.trace_id[i], s->trace_id, 16) != 0, "trace id"},
      {memcmp(c.span_id[i], s->span_id, 8) != 0, "span id"},
      {memcmp(c.parent_id[i], parent, 8) != 0, "parent id"},
      {c.start[i] != s->start, "start"},
      {c.duration[i] != s->end - s->start, "duration"},
      {c.kind[i] != s->kind, "kind"},
      {strlen(name) != s->name.len || memcmp(name, s->name.ptr, s->name.len) != 0, "name"},
      {strcmp(str_or(set, c.service[i], "-"), m->service[i]) != 0, "service"},
      {strcmp(str_or(set, c.version[i], "-"), m->version[i]) != 0, "version"},
      {strcmp(str_or(set, c.region[i], "-"), m->region[i] ? m->region[i] : "-") != 0, "region"},
      {strcmp(str_or(set, c.environment[i], "-"), m->env[i]) != 0, "environment"},
      {!!(c.flags[i] & DL_ROW_ERROR) != m->error[i], "error flag"},
      {strcmp(str_or(set, c.error_type[i], "-"), m->error_type[i] ? m->error_type[i] : "-") != 0,
       "error type"},
    };
    for (size_t k = 0; k < sizeof checks / sizeof checks[0]; k++)
      if (checks[k].bad) {
        snprintf(why, size, "span %zu: %s", i, checks[k].what);
        return 0;
      }
  }
  return 1;
}

int
main(void)
{
  int pb_ok = 1, json_ok = 1, same = 1;
  size_t spans = 0;
  for (int round = 0; round < 500 && pb_ok && json_ok && same; round++) {
    static model m;
    build(&m);
    dl_error err;
    uint8_t *pb;
    char *js;
    size_t pb_len, js_len;
    if (dl_otlp_encode_protobuf(&m.req, &pb, &pb_len, &err) ||
        dl_otlp_encode_json(&m.req, &js, &js_len, &err)) {
      ok(0, "encode: %s", err.text);
      return tap_done();
    }
    dl_trace_set *a = dl_trace_set_new(), *b = dl_trace_set_new();
    char why[200] = "";
    if (dl_decode_otlp_protobuf(a, pb, pb_len, "encoded.pb", NULL, NULL, &err) ||
        !check(&m, a, why, sizeof why)) {
      pb_ok = 0;
      tap_diag("protobuf round %d: %s", round, why[0] ? why : err.text);
    }
    why[0] = '\0';
    if (dl_decode_otlp_json(b, js, js_len, "encoded.json", NULL, NULL, &err) ||
        !check(&m, b, why, sizeof why)) {
      json_ok = 0;
      tap_diag("JSON round %d: %s", round, why[0] ? why : err.text);
    }
    if (pb_ok && json_ok && !same_spans(a, b, 1, why, sizeof why)) {
      same = 0;
      tap_diag("round %d: %s", round, why);
    }
    spans += m.n;
    dl_trace_set_free(a);
    dl_trace_set_free(b);
    free(pb);
    free(js);
  }
  ok(pb_ok, "500 requests (%zu spans): protobuf encoder -> decoder, every column as given", spans);
  ok(json_ok, "the same through the OTLP/JSON encoder and the streaming decoder");
  ok(same, "and both decodings are equal");
  return tap_done();
}
