/* libdeployledger from C alone, through its installed headers:
 *
 *   cc c-api.c $(pkg-config --cflags --libs deploy-ledger) -o c-api
 *   ./c-api [TRACEPARENT]
 *
 * 1. parses the CI pipeline's traceparent (the argument, or a sample);
 * 2. encodes a span of that trace as OTLP protobuf and OTLP/JSON, and
 *    decodes the protobuf bytes back into a trace set;
 * 3. builds an hour of a service's requests in memory around a canary
 *    deployment whose new version answers in 120 to 139 ms where the old
 *    one took 30 to 49, correlates the deployment with them and prints
 *    the verdict.
 *
 * Every fallible call returns a status (DL_OK is 0) and fills a dl_error
 * that names what went wrong; the program stops at the first failure
 * with exit status 1. */
#include <deploy-ledger/deploy-ledger.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECOND INT64_C(1000000000)
#define MINUTE (60 * SECOND)

static int
fail(const char *what, const dl_error *err)
{
  fprintf(stderr, "c-api: %s: %s (%s)\n", what, err->text, dl_strerror(err->code));
  return 1;
}

/* 1. The traceparent a CI step received. */
static int
parse_traceparent(const char *text, dl_trace_context *ctx)
{
  dl_error err;
  if (dl_traceparent_parse(text, strlen(text), ctx, &err) != DL_OK)
    return fail("traceparent", &err);
  char trace[2 * DL_TRACE_ID_SIZE + 1], span[2 * DL_SPAN_ID_SIZE + 1];
  printf("traceparent: trace %s, parent span %s, %s\n",
         dl_hex_encode(ctx->trace_id, DL_TRACE_ID_SIZE, trace),
         dl_hex_encode(ctx->span_id, DL_SPAN_ID_SIZE, span),
         ctx->flags & DL_FLAG_SAMPLED ? "sampled" : "not sampled");
  return 0;
}

/* 2. One server span, a child of PARENT, as an export request.  The
   model only borrows: the strings are literals and the arrays live on
   this function's stack, so nothing needs freeing but the encodings. */
static int
encode_span(const dl_trace_context *parent, int64_t start)
{
  dl_error err;
  dl_trace_context self;
  if (dl_trace_context_child(parent, &self, &err) != DL_OK)
    return fail("child context", &err);
  const dl_kv resource[] = {
    {dl_str_of("service.name"), dl_value_string("checkout")},
    {dl_str_of("service.version"), dl_value_string("v2")},
  };
  const dl_kv attributes[] = {
    {dl_str_of("http.request.method"), dl_value_string("GET")},
    {dl_str_of("http.response.status_code"), dl_value_int(200)},
  };
  dl_span span = {0};
  memcpy(span.trace_id, self.trace_id, DL_TRACE_ID_SIZE);
  memcpy(span.span_id, self.span_id, DL_SPAN_ID_SIZE);
  memcpy(span.parent_span_id, parent->span_id, DL_SPAN_ID_SIZE);
  span.has_parent = 1;
  span.flags = self.flags;
  span.name = dl_str_of("GET /api/orders");
  span.kind = DL_KIND_SERVER;
  span.start = start;
  span.end = start + 42 * (SECOND / 1000);
  span.attrs = attributes;
  span.n_attrs = sizeof attributes / sizeof attributes[0];
  const dl_scope_spans scope = {.has_scope = 1, .scope_name = dl_str_of("c-api example"),
                                .spans = &span, .n_spans = 1};
  const dl_resource_spans rs = {.has_resource = 1, .resource_attrs = resource,
                                .n_resource_attrs = sizeof resource / sizeof resource[0],
                                .scopes = &scope, .n_scopes = 1};
  const dl_export_request req = {&rs, 1};

  uint8_t *pb;
  size_t pb_len;
  char *json;
  size_t json_len;
  if (dl_otlp_encode_protobuf(&req, &pb, &pb_len, &err) != DL_OK)
    return fail("protobuf", &err);
  if (dl_otlp_encode_json(&req, &json, &json_len, &err) != DL_OK) {
    free(pb);
    return fail("OTLP/JSON", &err);
  }
  printf("span: %zu bytes of OTLP protobuf, %zu of OTLP/JSON\n%s\n", pb_len, json_len, json);
  free(json);

  /* What a collector would make of the bytes: decode them into a set. */
  dl_trace_set *set = dl_trace_set_new();
  int rc = set ? dl_decode_otlp_protobuf(set, pb, pb_len, "the encoded span", NULL, NULL, &err)
               : dl_fail(&err, DL_ENOMEM, "no memory for a trace set");
  free(pb);
  if (rc != DL_OK) {
    dl_trace_set_free(set);
    return fail("decoding", &err);
  }
  dl_span_columns c;
  dl_trace_set_columns(set, &c);
  printf("decoded: %zu span, %s of %s %s, %" PRId64 " ms\n", c.count,
         dl_trace_set_string(set, c.operation[0]), dl_trace_set_string(set, c.service[0]),
         dl_trace_set_string(set, c.version[0]), c.duration[0] / (SECOND / 1000));
  dl_trace_set_free(set);
  return 0;
}

/* 3a. An hour of requests to checkout, one a second, around T0: v1
   answers in 30 to 49 ms; from T0 on one request in ten goes to the
   canary v2, which answers in 120 to 139 ms. */
static int
add_requests(dl_trace_set *set, int64_t t0)
{
  dl_error err;
  for (int64_t i = -1800; i < 1800; i++) {
    int canary = i >= 0 && i % 10 == 0;
    int64_t ms = (canary ? 120 : 30) + (i * 7 + 1000000) % 20;
    uint64_t n = (uint64_t) (i + 1800) + 1;
    dl_span_row row = {0};
    memcpy(row.trace_id, &n, sizeof n); /* any ids that are not zero */
    memcpy(row.span_id, &n, sizeof n);
    row.start = t0 + i * SECOND;
    row.duration = ms * (SECOND / 1000);
    row.kind = DL_KIND_SERVER;
    row.service = dl_str_of("checkout");
    row.operation = dl_str_of("GET /api/orders");
    row.version = dl_str_of(canary ? "v2" : "v1");
    row.region = dl_str_of("eu-west-1");
    if (dl_trace_set_append(set, &row, &err) != DL_OK)
      return fail("trace set", &err);
  }
  return 0;
}

/* 3b. The deployment: a canary of v2 at T0 for 30 minutes, a child of
   the pipeline's trace.  The deployment owns copies of its strings. */
static dl_deployment *
new_deployment(const dl_trace_context *pipeline, int64_t t0, dl_error *err)
{
  dl_deployment *d = dl_deployment_new();
  if (!d || dl_deployment_set_string(&d->id, "0190f5a2-0000-7000-8000-00000000c0de") ||
      dl_deployment_set_string(&d->service, "checkout") ||
      dl_deployment_set_string(&d->version, "v2") ||
      dl_deployment_set_string(&d->previous_version, "v1")) {
    dl_deployment_free(d);
    dl_fail(err, DL_ENOMEM, "no memory for the deployment");
    return NULL;
  }
  d->type = DL_TYPE_CANARY;
  d->status = DL_STATUS_SUCCEEDED;
  d->started = t0;
  d->completed = t0 + 30 * MINUTE;
  if (dl_deployment_ensure_context(d, pipeline, err) != DL_OK) {
    dl_deployment_free(d);
    return NULL;
  }
  return d;
}

/* 3c. Did the deployment make things worse?  The default options compare
   a canary's version with the previous one over the same window. */
static int
correlate(const dl_trace_context *pipeline, int64_t t0)
{
  dl_error err;
  dl_deployment *d = new_deployment(pipeline, t0, &err);
  if (!d)
    return fail("deployment", &err);
  char tp[DL_TRACEPARENT_SIZE];
  printf("deployment %s of %s %s: traceparent %s\n", d->id, d->service, d->version,
         dl_traceparent_format(&d->context, tp));

  dl_trace_set *set = dl_trace_set_new();
  dl_correlation *c = NULL;
  int status = 1;
  if (!set)
    fprintf(stderr, "c-api: no memory for a trace set\n");
  else if (add_requests(set, t0) == 0) {
    dl_correlate_options o;
    dl_correlate_options_init(&o);
    if (dl_correlate(set, d, &o, &c, &err) != DL_OK)
      fail("correlate", &err);
    else {
      const dl_delta *p99 = &c->overall.delta[DL_FIG_P99];
      printf("trace set: %zu spans\n", dl_trace_set_count(set));
      printf("compared: %s %s against %s, %s window\n", dl_compare_mode_name(c->mode),
             c->experiment_version, c->control_version, c->windows[c->experiment_window].name);
      printf("p99: %.1f ms -> %.1f ms\n", p99->control / 1e6, p99->experiment / 1e6);
      printf("verdict: %s (score %.1f): %s\n", dl_verdict_name(c->judge.verdict),
             c->judge.score, c->judge.reason);
      status = 0;
    }
  }
  dl_correlation_free(c); /* before the set it borrows */
  dl_trace_set_free(set);
  dl_deployment_free(d);
  return status;
}

int
main(int argc, char **argv)
{
  const char *text = argc > 1 ? argv[1] : "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  int64_t t0;
  dl_error err;
  if (dl_time_parse("2024-01-15T10:00:00Z", &t0, &err) != DL_OK)
    return fail("time", &err);
  dl_trace_context pipeline;
  if (parse_traceparent(text, &pipeline) || encode_span(&pipeline, t0) ||
      correlate(&pipeline, t0))
    return 1;
  return 0;
}
