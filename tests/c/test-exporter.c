/* The exporter against a loopback receiver: configuration, retries,
   Retry-After, dead letters, partial success, gzip, timeouts, and the
   spool that loses nothing; the deployment spans as a collector sees them. */
#define _GNU_SOURCE
#include "otlp-pbc.h"
#include "receiver.h"
#include "tap.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define TID "4bf92f3577b34da6a3ce929d0e0e4736"

static char dir[] = "/tmp/dl-exporter-test-XXXXXX";

static double
now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static dl_exporter *
exporter_for(int port, int gzip, long timeout_ms, long deadline_ms)
{
  dl_exporter_config c = {0};
  char url[128];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/traces", port);
  c.endpoint = url;
  c.timeout_ms = timeout_ms;
  c.deadline_ms = deadline_ms;
  c.initial_backoff_ms = 20;
  c.max_backoff_ms = 100;
  c.gzip = gzip;
  dl_header_pair key = {"x-api-key", "s3cr3t-value"};
  c.headers = &key;
  c.n_headers = 1;
  dl_exporter *e = NULL;
  if (dl_exporter_new(&c, &e, NULL))
    return NULL;
  return e;
}

static void
test_config(void)
{
  dl_exporter_config c;
  int configured;
  dl_error err;
  unsetenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  unsetenv("OTEL_EXPORTER_OTLP_ENDPOINT");
  ok(dl_exporter_config_from_env(&c, &configured, NULL) == DL_OK && !configured
       && strcmp(c.endpoint, "http://localhost:4318/v1/traces") == 0
       && c.protocol == DL_PROTOCOL_PROTOBUF && c.timeout_ms == 10000,
     "defaults: localhost:4318/v1/traces, http/protobuf, 10 s");
  dl_exporter_config_clear(&c);
  setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector.example:4318/", 1);
  setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=abc%20def , tenant=blue", 1);
  setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "2500", 1);
  setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip", 1);
  setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json", 1);
  ok(dl_exporter_config_from_env(&c, &configured, &err) == DL_OK && configured
       && strcmp(c.endpoint, "https://collector.example:4318/v1/traces") == 0,
     "OTEL_EXPORTER_OTLP_ENDPOINT gets /v1/traces appended");
  ok(c.n_headers == 2 && strcmp(c.headers[0].value, "abc def") == 0
       && strcmp(c.headers[1].name, "tenant") == 0, "headers percent-decoded and trimmed");
  ok(c.timeout_ms == 2500 && c.gzip && c.protocol == DL_PROTOCOL_JSON,
     "timeout, compression and protocol");
  dl_exporter *e;
  ok(dl_exporter_new(&c, &e, NULL) == DL_OK, "exporter from the environment");
  char *text = dl_exporter_describe(e);
  ok(text && strstr(text, "x-api-key=<redacted>") && !strstr(text, "abc def"),
     "describing it never shows a header value: %s", text);
  free(text);
  dl_exporter_free(e);
  dl_exporter_config_clear(&c);
  setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces.example/custom", 1);
  ok(dl_exporter_config_from_env(&c, &configured, NULL) == DL_OK
       && strcmp(c.endpoint, "http://traces.example/custom") == 0,
     "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as is");
  dl_exporter_config_clear(&c);
  setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc/json", 1);
  ok(dl_exporter_config_from_env(&c, &configured, &err) == DL_EINVAL
       && strstr(err.text, "OTEL_EXPORTER_OTLP_PROTOCOL") && strstr(err.text, "\"grpc/json\""),
     "an unsupported protocol is named with its variable: %s", err.text);
  setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf", 1);
  setenv("OTEL_EXPORTER_OTLP_HEADERS", "novalue", 1);
  ok(dl_exporter_config_from_env(&c, &configured, &err) == DL_EINVAL && !strstr(err.text, "novalue"),
     "a malformed header is refused without echoing it: %s", err.text);
  const char *vars[] = {"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                        "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TIMEOUT",
                        "OTEL_EXPORTER_OTLP_COMPRESSION", "OTEL_EXPORTER_OTLP_PROTOCOL"};
  for (size_t i = 0; i < 6; i++)
    unsetenv(vars[i]);

  dl_arena a = DL_ARENA_INIT;
  dl_resource_extra extra;
  ok(dl_resource_attributes_parse(&a, "team=pay%2Cments, tier = gold", &extra, NULL) == DL_OK
       && extra.n == 2 && strcmp(extra.attrs[0].value.u.str.ptr, "pay,ments") == 0
       && strcmp(extra.attrs[1].key.ptr, "tier") == 0
       && strcmp(extra.attrs[1].value.u.str.ptr, "gold") == 0,
     "OTEL_RESOURCE_ATTRIBUTES percent-decoded");
  ok(dl_resource_attributes_parse(&a, "a=%zz", &extra, NULL) == DL_EINVAL, "bad percent escape");
  dl_arena_free(&a);
}

static const uint8_t payload[] = "\x0a\x02\x0a\x00";

static void
test_send(receiver *r)
{
  dl_exporter *e = exporter_for(receiver_port(r), 0, 2000, 5000);
  dl_send_result res;
  dl_error err;
  size_t before = receiver_count(r);
  ok(dl_exporter_send(e, payload, 4, "application/x-protobuf", NULL, &res, &err) == DL_OK
       && res.attempts == 1 && res.http_status == 200, "200 on the first attempt");
  const received_request *q = receiver_request(r, before);
  ok(q && q->len == 4 && memcmp(q->body, payload, 4) == 0
       && strcmp(q->content_type, "application/x-protobuf") == 0
       && strcmp(q->api_key, "s3cr3t-value") == 0 && strcmp(q->path, "/v1/traces") == 0,
     "body, content type, header and path arrive");
  ok(q && strcmp(q->user_agent, "deploy-ledger/" PACKAGE_VERSION) == 0,
     "the user agent carries configure's version: %s", q ? q->user_agent : "");

  receiver_plan(r, (planned_response){503, "busy", 0, "text/plain", NULL, 0});
  ok(dl_exporter_send(e, payload, 4, "application/x-protobuf", NULL, &res, NULL) == DL_OK
       && res.attempts == 2, "503 then 200: retried once");

  receiver_plan(r, (planned_response){429, "slow down", 0, "text/plain", "1", 0});
  double t = now_s();
  ok(dl_exporter_send(e, payload, 4, "application/x-protobuf", NULL, &res, NULL) == DL_OK
       && res.attempts == 2 && now_s() - t >= 0.9, "429 with Retry-After: 1 waits a second");

  /* Retry-After as an HTTP date, two seconds ahead. */
  char date[64];
  time_t when = time(NULL) + 2;
  strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", gmtime(&when));
  receiver_plan(r, (planned_response){503, "later", 0, "text/plain", date, 0});
  t = now_s();
  ok(dl_exporter_send(e, payload, 4, "application/x-protobuf", NULL, &res, NULL) == DL_OK
       && res.attempts == 2 && now_s() - t >= 0.9, "503 with Retry-After as an HTTP date (%s)", date);

  receiver_plan(r, (planned_response){502, "", 0, "text/plain", NULL, 0});
  receiver_plan(r, (planned_response){504, "", 0, "text/plain", NULL, 0});
  ok(dl_exporter_send(e, payload, 4, "application/x-protobuf", NULL, &res, NULL) == DL_OK
       && res.attempts == 3, "502, 504, then 200");

  before = receiver_count(r);
  receiver_plan(r, (planned_response){400, "bad payload", 0, "text/plain", NULL, 0});
  ok(dl_exporter_send(e, payload, 4, "application/x-protobuf", NULL, &res, &err) == DL_EHTTP
       && res.permanent && res.attempts == 1 && res.http_status == 400
       && strcmp(res.body, "bad payload") == 0 && receiver_count(r) == before + 1,
     "400: no retry, permanent, body kept: %s", err.text);

  /* partial_success {rejected_spans: 3, error_message: "bad span"} */
  static const char partial[] = "\x0a\x0c\x08\x03\x12\x08" "bad span";
  receiver_plan(r, (planned_response){200, partial, 14, "application/x-protobuf", NULL, 0});
  ok(dl_exporter_send(e, payload, 4, "application/x-protobuf", NULL, &res, NULL) == DL_OK
       && res.rejected_spans == 3 && strcmp(res.message, "bad span") == 0,
     "partial success: 3 rejected, its message");
  static const char partial_json[] = "{\"partialSuccess\":{\"rejectedSpans\":\"2\",\"errorMessage\":\"too old\"}}";
  receiver_plan(r, (planned_response){200, partial_json, 0, "application/json", NULL, 0});
  ok(dl_exporter_send(e, "{}", 2, "application/json", NULL, &res, NULL) == DL_OK
       && res.rejected_spans == 2 && strcmp(res.message, "too old") == 0,
     "partial success in JSON");

  /* Absurd Retry-After values: clamped, then past the deadline: no wait. */
  static const char *const absurd[] = {"10000000000", "Fri, 31 Dec 9999 23:59:59 GMT"};
  for (int i = 0; i < 2; i++) {
    before = receiver_count(r);
    receiver_plan(r, (planned_response){503, "later", 0, "text/plain", absurd[i], 0});
    ok(dl_exporter_send(e, payload, 4, "application/x-protobuf", NULL, &res, &err) == DL_EHTTP
         && res.attempts == 1 && !res.permanent && res.retry_after_ms == 86400000L
         && receiver_count(r) == before + 1 && strstr(err.text, "deadline"),
       "Retry-After: %s is a day at most, past the 5 s deadline: given up at once: %s", absurd[i],
       err.text);
  }

  /* Answers that do not decode: accepted all the same (no duplicate). */
  receiver_plan(r, (planned_response){200, "\x0a\x05\x08", 3, "application/x-protobuf", NULL, 0});
  ok(dl_exporter_send(e, payload, 4, "application/x-protobuf", NULL, &res, NULL) == DL_OK
       && res.rejected_spans == 0 && strstr(res.message, "does not decode")
       && strstr(res.message, "byte"),
     "a truncated protobuf answer: accepted, its fault noted: %s", res.message);
  receiver_plan(r, (planned_response){200, "{\"partialSuccess\":{\"rejectedSpans\":\"-1\"}}", 0,
                                      "application/json", NULL, 0});
  ok(dl_exporter_send(e, "{}", 2, "application/json", NULL, &res, NULL) == DL_OK && res.rejected_spans == 0
       && strstr(res.message, "rejectedSpans"),
     "a JSON answer with a negative count: %s", res.message);
  receiver_plan(r, (planned_response){200, "OK", 0, "text/plain", NULL, 0});
  ok(dl_exporter_send(e, payload, 4, "application/x-protobuf", NULL, &res, NULL) == DL_OK
       && res.message[0] == '\0',
     "a text/plain answer is not read");
  static const char binary[] = "\xff\xfe\x00\x01<\xc3";
  receiver_plan(r, (planned_response){400, binary, 6, "application/octet-stream", NULL, 0});
  ok(dl_exporter_send(e, payload, 4, "application/x-protobuf", NULL, &res, &err) == DL_EHTTP
       && strcmp(res.body, "\\xff\\xfe\\x00\\x01<\\xc3") == 0
       && strstr(err.text, "HTTP 400: ??  <?"),
     "a binary 400 body is kept escaped, and shown as printable text: %s / %s", res.body,
     err.text);
  dl_exporter_free(e);

  e = exporter_for(receiver_port(r), 1, 2000, 5000);
  uint8_t big[4096];
  for (size_t i = 0; i < sizeof big; i++)
    big[i] = (uint8_t) (i % 7);
  before = receiver_count(r);
  ok(dl_exporter_send(e, big, sizeof big, "application/x-protobuf", NULL, &res, NULL) == DL_OK, "gzip send");
  q = receiver_request(r, before);
  ok(q && strcmp(q->content_encoding, "gzip") == 0 && q->len == sizeof big
       && memcmp(q->body, big, sizeof big) == 0, "the receiver inflates the same bytes");
  dl_exporter_free(e);

  e = exporter_for(receiver_port(r), 0, 200, 700);
  receiver_plan(r, (planned_response){200, "", 0, NULL, NULL, 1500});
  receiver_plan(r, (planned_response){200, "", 0, NULL, NULL, 1500});
  receiver_plan(r, (planned_response){200, "", 0, NULL, NULL, 1500});
  receiver_plan(r, (planned_response){200, "", 0, NULL, NULL, 1500});
  ok(dl_exporter_send(e, payload, 4, "application/x-protobuf", NULL, &res, &err) == DL_EHTTP
       && !res.permanent && res.attempts >= 2 && strstr(err.text, "attempts"),
     "timeouts are retried until the deadline, then fail: %s", err.text);
  dl_exporter_free(e);
  sleep(2); /* let the slow answers drain */
}

static dl_deployment *
new_deployment(const char *version)
{
  dl_deployment *d = dl_deployment_new();
  if (dl_deployment_set_string(&d->service, "checkout") || dl_deployment_set_string(&d->version, version)
      || dl_deployment_add_region(d, "eu-west-1") || dl_deployment_set_string(&d->commit, "9fceb02"))
    abort();
  char id[37];
  if (dl_deployment_new_id(id, dl_time_now(), NULL) || dl_deployment_set_string(&d->id, id))
    abort();
  d->status = DL_STATUS_IN_PROGRESS;
  d->started = dl_time_now();
  dl_trace_context parent;
  if (dl_traceparent_parse("00-" TID "-00f067aa0ba902b7-01", 55, &parent, NULL)
      || dl_deployment_ensure_context(d, &parent, NULL))
    abort();
  return d;
}

/* The spans of one received request, decoded by protobuf-c. */
static PbSpan *
received_span(receiver *r, size_t i, PbRequest **m)
{
  const received_request *q = receiver_request(r, i);
  *m = q ? opentelemetry__proto__collector__trace__v1__export_trace_service_request__unpack(
             NULL, q->len, (const uint8_t *) q->body)
         : NULL;
  if (!*m || !(*m)->n_resource_spans || !(*m)->resource_spans[0]->n_scope_spans
      || !(*m)->resource_spans[0]->scope_spans[0]->n_spans)
    return NULL;
  return (*m)->resource_spans[0]->scope_spans[0]->spans[0];
}

static const char *
attr(PbSpan *s, const char *key)
{
  for (size_t i = 0; i < s->n_attributes; i++)
    if (strcmp(s->attributes[i]->key, key) == 0 && s->attributes[i]->value->string_value)
      return s->attributes[i]->value->string_value;
  return NULL;
}

/* A loopback port nothing listens on (a receiver's, stopped). */
static int
unused_port(void)
{
  receiver *probe = receiver_start(0);
  int port = receiver_port(probe);
  receiver_stop(probe);
  return port;
}

static void
test_spool(void)
{
  char path[128];
  snprintf(path, sizeof path, "%s/ledger.db", dir);
  dl_ledger *l;
  ok(dl_ledger_open(path, &l, NULL) == DL_OK, "open a ledger");
  /* A port where nothing listens: the collector is down. */
  int port = unused_port();
  dl_exporter *e = exporter_for(port, 0, 300, 300);

  dl_deployment *d = new_deployment("v2.4.0");
  dl_arena a = DL_ARENA_INIT;
  dl_export_request req;
  uint8_t *body;
  size_t len;
  const char *type;
  dl_error err;
  ok(dl_deployment_spans(&a, d, NULL, 0, DL_PART_START, NULL, NULL, 0, NULL, &req, &err) == DL_OK
       && dl_exporter_encode(e, &req, &body, &len, &type, NULL) == DL_OK, "the start span encoded");
  dl_spool_item item = {body, len, 1, type};
  ok(dl_ledger_record(l, d, NULL, &item, 1, &err) == DL_OK, "recorded with its span spooled");
  free(body);
  dl_arena_free(&a);

  dl_flush_stats st;
  dl_send_limits once = {1, 0};
  ok(dl_exporter_flush(e, l, NULL, 1, &once, &st, &err) == DL_OK && st.sent == 0
       && st.retry_later == 1 && strstr(st.last_failure, "127.0.0.1"),
     "collector down, one attempt: the item stays for later, the failure said");
  dl_spool_entry *items;
  size_t n;
  ok(dl_ledger_spool_list(l, 0, &items, &n, NULL) == DL_OK && n == 1 && items[0].attempts == 1
       && items[0].last_error && strstr(items[0].last_error, "127.0.0.1"),
     "still pending, with the attempt and the error");
  dl_spool_entries_free(items, n);

  receiver *r = receiver_start(port);
  ok(r != NULL, "collector up on the same port");
  ok(dl_exporter_flush(e, l, NULL, 1, NULL, &st, &err) == DL_OK && st.sent == 1 && st.spans == 1,
     "flush sends it");
  ok(dl_ledger_spool_list(l, 0, &items, &n, NULL) == DL_OK && n == 0, "the spool drained");
  dl_spool_entries_free(items, n);
  ok(dl_exporter_flush(e, l, NULL, 1, NULL, &st, NULL) == DL_OK && st.sent == 0 && receiver_count(r) == 1,
     "a second flush sends nothing: nothing doubled");

  PbRequest *m;
  PbSpan *s = received_span(r, 0, &m);
  char hex[33];
  ok(s && strcmp(s->name, "deployment.start") == 0 && s->parent_span_id.len == 8
       && memcmp(s->parent_span_id.data, d->context.span_id, 8) == 0
       && memcmp(s->trace_id.data, d->context.trace_id, 16) == 0
       && strcmp(dl_hex_encode(s->trace_id.data, 16, hex), TID) == 0,
     "start marker: a child of the deployment span, in the pipeline's trace");
  ok(s && attr(s, "deployment.id") && strcmp(attr(s, "deployment.id"), d->id) == 0
       && s->end_time_unix_nano - s->start_time_unix_nano == 1000000,
     "carries deployment.id and lasts a millisecond");
  ok(m && strcmp(m->resource_spans[0]->resource->attributes[0]->value->string_value, "checkout") == 0,
     "resource service.name");
  opentelemetry__proto__collector__trace__v1__export_trace_service_request__free_unpacked(m, NULL);

  /* A region completes, then the deployment fails: stage span, end span. */
  ok(dl_ledger_stage(l, d->id, "eu-west-1", DL_STATUS_SUCCEEDED, DL_TIME_NONE, NULL, 0, NULL) == DL_OK,
     "a region completes");
  dl_history_entry *h;
  size_t nh;
  ok(dl_ledger_history(l, d->id, &h, &nh, NULL) == DL_OK, "its history");
  ok(dl_deployment_spans(&a, d, h, nh, DL_PART_STAGE, "eu-west-1", NULL, 0, NULL, &req, &err)
       == DL_OK && dl_exporter_encode(e, &req, &body, &len, &type, NULL) == DL_OK,
     "region span built");
  dl_send_result res;
  ok(dl_exporter_send(e, body, len, type, NULL, &res, NULL) == DL_OK, "sent");
  free(body);
  dl_arena_free(&a);
  s = received_span(r, 1, &m);
  ok(s && strcmp(s->name, "deployment.region eu-west-1") == 0 && attr(s, "cloud.region")
       && s->status && s->status->code == 1, "region span: named, cloud.region, status OK");
  opentelemetry__proto__collector__trace__v1__export_trace_service_request__free_unpacked(m, NULL);
  dl_history_free(h, nh);

  dl_deployment *done;
  ok(dl_ledger_transition(l, d->id, DL_STATUS_FAILED, DL_TIME_NONE, "bob", "p99 doubled", NULL, 0,
                          &done, NULL) == DL_OK, "the deployment fails");
  ok(dl_ledger_history(l, d->id, &h, &nh, NULL) == DL_OK, "history again");
  dl_trace_context link;
  if (dl_traceparent_parse("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", 55, &link, NULL))
    abort();
  ok(dl_deployment_spans(&a, done, h, nh, DL_PART_END, NULL, &link, 1, NULL, &req, &err) == DL_OK
       && dl_exporter_encode(e, &req, &body, &len, &type, NULL) == DL_OK, "end span built");
  item = (dl_spool_item){body, len, 1, type};
  receiver_plan(r, (planned_response){503, "busy", 0, "text/plain", NULL, 0});
  receiver_plan(r, (planned_response){503, "busy", 0, "text/plain", NULL, 0});
  receiver_plan(r, (planned_response){400, "rejected", 0, "text/plain", NULL, 0});
  dl_ledger_close(l);
  ok(dl_ledger_open(path, &l, NULL) == DL_OK, "reopen");
  ok(dl_ledger_set_attribute(l, d->id, "x", "y", DL_TIME_NONE, NULL, NULL) == DL_OK, "more history");
  /* Spool by hand (a finished deployment takes no stage event to carry
     it), then flush into a 400. */
  ok(dl_ledger_spool_add(l, d->id, &item, 1, NULL) == DL_OK, "spooled by hand");
  ok(dl_exporter_flush(e, l, NULL, 1, NULL, &st, NULL) == DL_OK && st.dead_lettered == 1,
     "a 400 sends it to the dead letters");
  ok(dl_ledger_spool_list(l, 1, &items, &n, NULL) == DL_OK && n == 1 && items[0].http_status == 400
       && strcmp(items[0].response_body, "rejected") == 0 && items[0].size == len
       && items[0].attempts == 3 && items[0].grpc_status == -1,
     "dead letter keeps status, body and payload, and counts the 3 requests it cost");
  dl_spool_entries_free(items, n);
  s = received_span(r, 2, &m);
  ok(s && s->status && s->status->code == 2 && strcmp(s->status->message, "p99 doubled") == 0
       && strcmp(attr(s, "deployment.status"), "failed") == 0 && s->n_events == 2
       && s->n_links == 1 && s->parent_span_id.len == 8 && (s->flags & 0x300) == 0x300,
     "end span: ERROR with the reason, deployment.status failed, events, link, remote parent");
  ok(s && memcmp(s->span_id.data, d->context.span_id, 8) == 0 && attr(s, "vcs.ref.head.revision")
       && strcmp(attr(s, "vcs.ref.head.revision"), "9fceb02") == 0,
     "its span id is the deployment's, with the commit");
  opentelemetry__proto__collector__trace__v1__export_trace_service_request__free_unpacked(m, NULL);
  free(body);
  dl_arena_free(&a);
  dl_history_free(h, nh);
  dl_deployment_free(done);
  dl_deployment_free(d);
  dl_exporter_free(e);
  receiver_stop(r);
  dl_ledger_close(l);
}

/* An endpoint with user information: it reaches the collector (as basic
   credentials) but no message, stored error or dead letter shows it. */
static void
test_credentials_in_endpoint(void)
{
  char path[128];
  snprintf(path, sizeof path, "%s/credentials.db", dir);
  dl_ledger *l;
  ok(dl_ledger_open(path, &l, NULL) == DL_OK, "a ledger");
  int port = unused_port();
  dl_exporter_config c = {0};
  char url[160];
  snprintf(url, sizeof url, "http://bob:hunter2@127.0.0.1:%d/v1/traces", port);
  c.endpoint = url;
  c.timeout_ms = 300;
  c.deadline_ms = 300;
  c.initial_backoff_ms = 20;
  dl_exporter *e;
  ok(dl_exporter_new(&c, &e, NULL) == DL_OK, "an exporter whose endpoint holds a password");
  dl_deployment *d = new_deployment("v9");
  dl_arena a = DL_ARENA_INIT;
  dl_export_request req;
  uint8_t *body;
  size_t len;
  const char *type;
  if (dl_deployment_spans(&a, d, NULL, 0, DL_PART_START, NULL, NULL, 0, NULL, &req, NULL)
      || dl_exporter_encode(e, &req, &body, &len, &type, NULL))
    abort();
  dl_spool_item item = {body, len, 1, type};
  ok(dl_ledger_record(l, d, NULL, &item, 1, NULL) == DL_OK, "recorded, its span spooled");
  dl_flush_stats st;
  dl_send_result res = {0};
  dl_error err = {0};
  ok(dl_exporter_send(e, body, len, type, NULL, &res, &err) == DL_EHTTP && strstr(res.message, "127.0.0.1")
       && !strstr(res.message, "hunter2") && !strstr(res.message, "bob") && !strstr(err.text, "hunter2"),
     "collector down: the failure names the host only: %s", res.message);
  ok(dl_exporter_flush(e, l, NULL, 1, NULL, &st, NULL) == DL_OK && st.retry_later == 1, "flush keeps it");
  dl_spool_entry *items;
  size_t n;
  int listed = dl_ledger_spool_list(l, 0, &items, &n, NULL) == DL_OK && n == 1;
  const char *stored = listed && items[0].last_error ? items[0].last_error : "";
  ok(listed && strstr(stored, "127.0.0.1") && !strstr(stored, "hunter2") && !strstr(stored, "bob"),
     "the stored error has no credentials: %s", stored);
  dl_spool_entries_free(items, n);
  receiver *r = receiver_start(port);
  receiver_plan(r, (planned_response){401, "who are you", 0, "text/plain", NULL, 0});
  ok(dl_exporter_flush(e, l, NULL, 1, NULL, &st, NULL) == DL_OK && st.dead_lettered == 1,
     "a 401: a dead letter");
  listed = dl_ledger_spool_list(l, 1, &items, &n, NULL) == DL_OK && n == 1;
  stored = listed && items[0].reason ? items[0].reason : "";
  ok(listed && strstr(stored, "HTTP 401") && !strstr(stored, "hunter2") && !strstr(stored, "bob"),
     "its reason has no credentials either: %s", stored);
  dl_spool_entries_free(items, n);
  receiver_stop(r);
  free(body);
  dl_arena_free(&a);
  dl_deployment_free(d);
  dl_exporter_free(e);
  dl_ledger_close(l);
}

int
main(void)
{
  if (!mkdtemp(dir))
    return 1;
  test_config();
  receiver *r = receiver_start(0);
  ok(r != NULL, "loopback receiver on 127.0.0.1:%d", r ? receiver_port(r) : 0);
  if (r)
    test_send(r);
  receiver_stop(r);
  test_spool();
  test_credentials_in_endpoint();
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0)
    tap_diag("could not remove %s", dir);
  return tap_done();
}
