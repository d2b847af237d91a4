#define _GNU_SOURCE
/* The embedded OTLP/HTTP receiver over real loopback connections: every
   answer of the specification (200, partial success, 400, 401, 404, 405,
   413, 415), a gzip bomb, a slow client, a connection flood, two writers
   at once, the memory bound -- and after all of it, every accepted span
   is in the window. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../../bench/standard-spans.h"
#include "deploy-ledger/deploy-ledger.h"
#include "http-client.h"
#include "tap.h"

#define TIMEOUT_MS 60000
#define NS_PER_S INT64_C(1000000000)

static const char *PB = "application/x-protobuf";
static const char *JSON = "application/json";

/* N standard spans starting AGO seconds back, as protobuf (JSON when
   AS_JSON), into *BODY (malloc'ed). */
static void
make_request(size_t n, int64_t ago_s, int as_json, char **body, size_t *len)
{
  dl_arena a = DL_ARENA_INIT;
  dl_export_request req;
  standard_request(&a, n, dl_time_now() - ago_s * NS_PER_S, &req);
  dl_error err;
  int rc;
  if (as_json) {
    rc = dl_otlp_encode_json(&req, body, len, &err);
  } else {
    uint8_t *out;
    rc = dl_otlp_encode_protobuf(&req, &out, len, &err);
    *body = (char *) out;
  }
  if (rc)
    printf("# encoding failed: %s\n", err.text);
  dl_arena_free(&a);
}

static char *
gzip_bytes(const void *p, size_t n, size_t *out_len)
{
  z_stream z;
  memset(&z, 0, sizeof z);
  deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
  size_t cap = deflateBound(&z, n);
  char *out = malloc(cap);
  z.next_in = (Bytef *) p;
  z.avail_in = (uInt) n;
  z.next_out = (Bytef *) out;
  z.avail_out = (uInt) cap;
  deflate(&z, Z_FINISH);
  *out_len = z.total_out;
  deflateEnd(&z);
  return out;
}

/* One POST on a new connection. */
static int
post(int port, const char *type, const char *encoding, const char *extra, const void *body,
     size_t len, http_answer *a)
{
  int fd = http_connect(port);
  if (fd < 0)
    return -1;
  int rc = http_post(fd, "/v1/traces", type, encoding, extra, body, len, a, TIMEOUT_MS);
  close(fd);
  return rc;
}

/* Reads a protobuf Status body: code (field 1) and message (field 2). */
static int
status_code_of(const http_answer *a, char *msg, size_t size)
{
  const uint8_t *p = (const uint8_t *) a->body, *end = p + a->body_len;
  int code = -1;
  msg[0] = '\0';
  while (p < end) {
    uint8_t tag = *p++;
    if (tag == 0x08) {
      code = 0;
      for (int shift = 0; p < end; shift += 7) {
        code |= (*p & 0x7f) << shift;
        if (!(*p++ & 0x80))
          break;
      }
    } else if (tag == 0x12 && p < end) {
      size_t n = *p++; /* messages here are under 128 bytes or not read */
      if (n & 0x80) {
        n = (n & 0x7f) | (size_t) (*p++) << 7;
      }
      snprintf(msg, size, "%.*s", (int) (n < (size_t) (end - p) ? n : (size_t) (end - p)), p);
      p += n;
    } else {
      break;
    }
  }
  return code;
}

static uint64_t
accepted_of(dl_receiver *r)
{
  dl_receiver_stats s;
  dl_receiver_stats_get(r, &s);
  return s.spans_accepted;
}

static size_t
window_count(dl_receiver *r)
{
  dl_trace_set *set;
  dl_error err;
  if (dl_receiver_snapshot(r, DL_TIME_NONE, NULL, &set, &err))
    return (size_t) -1;
  size_t n = dl_trace_set_count(set);
  dl_trace_set_free(set);
  return n;
}

static void
test_answers(void)
{
  dl_receiver_options o;
  dl_receiver_options_init(&o);
  o.listen = "127.0.0.1:0";
  o.window = 3600 * NS_PER_S;
  o.max_request = 256 * 1024;
  o.max_decompressed = 1024 * 1024;
  dl_receiver *r;
  dl_error err;
  ok(dl_receiver_start(&o, &r, &err) == DL_OK, "receiver starts on a free loopback port");
  int port = dl_receiver_port(r);
  ok(port > 0, "it says which port (%d)", port);

  char *body, msg[300];
  size_t len;
  http_answer a;
  make_request(100, 10, 0, &body, &len);
  post(port, PB, NULL, NULL, body, len, &a);
  is_int(a.status, 200, "protobuf request: 200");
  is_int(a.body_len, 0, "an empty ExportTraceServiceResponse: every span accepted");
  http_answer_free(&a);
  is_int(accepted_of(r), 100, "100 spans accepted");

  size_t gz_len;
  char *gz = gzip_bytes(body, len, &gz_len);
  post(port, "application/x-protobuf; charset=binary", "gzip", NULL, gz, gz_len, &a);
  is_int(a.status, 200, "gzip protobuf with a media type parameter: 200");
  http_answer_free(&a);
  free(gz);

  /* Truncated protobuf: 400 with a Status naming the byte offset. */
  post(port, PB, NULL, NULL, body, len - 7, &a);
  is_int(a.status, 400, "truncated protobuf: 400");
  char type[64];
  is_str(http_header(&a, "Content-Type", type, sizeof type), PB, "in protobuf");
  is_int(status_code_of(&a, msg, sizeof msg), 3, "Status code 3 (INVALID_ARGUMENT)");
  ok(strstr(msg, "request body: byte ") != NULL, "message names the place: %s", msg);
  http_answer_free(&a);
  free(body);

  make_request(50, 10, 1, &body, &len);
  post(port, JSON, NULL, NULL, body, len, &a);
  is_int(a.status, 200, "OTLP/JSON request: 200");
  is_str(a.body, "{}", "answered in JSON, empty");
  http_answer_free(&a);
  body[len / 2] = '\0';
  post(port, JSON, NULL, NULL, body, len / 2, &a);
  is_int(a.status, 400, "malformed JSON: 400");
  ok(strstr(a.body, "\"code\":3") && strstr(a.body, "request body:1:"),
     "a JSON Status with code 3 naming the line: %.200s", a.body);
  http_answer_free(&a);
  free(body);
  is_int(accepted_of(r), 250, "no span of a refused request was taken");

  post(port, "text/plain", NULL, NULL, "hello", 5, &a);
  is_int(a.status, 415, "text/plain: 415");
  status_code_of(&a, msg, sizeof msg);
  ok(strstr(msg, "text/plain") && strstr(msg, "application/x-protobuf"),
     "the message names the type and what to send: %s", msg);
  http_answer_free(&a);
  post(port, PB, "br", NULL, "x", 1, &a);
  is_int(a.status, 415, "Content-Encoding br: 415");
  http_answer_free(&a);

  /* Oversized body: refused from its Content-Length, before reading it. */
  size_t big = 300 * 1024;
  char *huge = calloc(1, big);
  post(port, PB, NULL, NULL, huge, big, &a);
  is_int(a.status, 413, "a 300 KiB body over --max-request 256 KiB: 413");
  status_code_of(&a, msg, sizeof msg);
  ok(strstr(msg, "--max-request") != NULL, "the message names the option: %s", msg);
  http_answer_free(&a);

  /* A gzip bomb: 200 KiB of gzip that would inflate to 64 MiB. */
  size_t zeros = (size_t) 64 << 20;
  char *z = calloc(1, zeros);
  gz = gzip_bytes(z, zeros, &gz_len);
  free(z);
  ok(gz_len < 256 * 1024, "the bomb fits under --max-request (%zu bytes)", gz_len);
  post(port, PB, "gzip", NULL, gz, gz_len, &a);
  is_int(a.status, 413, "gzip bomb: 413");
  status_code_of(&a, msg, sizeof msg);
  ok(strstr(msg, "--max-decompressed") != NULL, "refused at the decompressed limit: %s", msg);
  http_answer_free(&a);
  free(gz);
  free(huge);

  /* Spans from before the window: 200 with a partial success. */
  make_request(30, 2 * 3600, 0, &body, &len);
  post(port, PB, NULL, NULL, body, len, &a);
  is_int(a.status, 200, "spans two hours old, window one hour: 200");
  const uint8_t *p = (const uint8_t *) a.body;
  ok(a.body_len > 4 && p[0] == 0x0a && p[2] == 0x08 && p[3] == 30,
     "partial_success.rejected_spans = 30");
  ok(a.body_len > 6 && memmem(a.body, a.body_len, "--window", 8) != NULL,
     "its error_message names --window");
  http_answer_free(&a);
  free(body);
  make_request(30, 2 * 3600, 1, &body, &len);
  post(port, JSON, NULL, NULL, body, len, &a);
  ok(a.status == 200 && strstr(a.body, "\"rejectedSpans\":\"30\""),
     "in JSON: partialSuccess.rejectedSpans \"30\": %.120s", a.body);
  http_answer_free(&a);
  free(body);

  /* Another path, another method. */
  int fd = http_connect(port);
  http_post(fd, "/v1/metrics", PB, NULL, NULL, "", 0, &a, TIMEOUT_MS);
  is_int(a.status, 404, "POST /v1/metrics: 404");
  http_answer_free(&a);
  close(fd);
  fd = http_connect(port);
  const char *get = "GET /v1/traces HTTP/1.1\r\nHost: x\r\n\r\n";
  http_write_all(fd, get, strlen(get), http_now_ms() + TIMEOUT_MS);
  http_read_answer(fd, &a, http_now_ms() + TIMEOUT_MS);
  is_int(a.status, 405, "GET /v1/traces: 405");
  http_answer_free(&a);
  close(fd);

  dl_receiver_stats s;
  dl_receiver_stats_get(r, &s);
  is_int(s.spans_accepted, 250, "250 spans accepted in all");
  is_int(s.spans_rejected, 60, "60 refused as too old");
  is_int(window_count(r), 250, "the window holds exactly the 250 accepted spans");
  is_int(s.bad_requests, 2, "two 400s counted");
  is_int(s.too_large, 2, "two 413s counted");
  is_int(s.unsupported, 2, "two 415s counted");
  dl_receiver_stop(r);
}

static void
test_token(void)
{
  dl_receiver_options o;
  dl_receiver_options_init(&o);
  o.listen = "127.0.0.1:0";
  o.token = "s3cret-token";
  dl_receiver *r;
  dl_error err;
  if (dl_receiver_start(&o, &r, &err)) {
    ok(0, "receiver with a token starts: %s", err.text);
    return;
  }
  char *body;
  size_t len;
  http_answer a;
  make_request(10, 1, 0, &body, &len);
  post(dl_receiver_port(r), PB, NULL, NULL, body, len, &a);
  is_int(a.status, 401, "no bearer token: 401");
  http_answer_free(&a);
  post(dl_receiver_port(r), PB, NULL, "Authorization: Bearer s3cret-tokeX\r\n", body, len, &a);
  is_int(a.status, 401, "a wrong token: 401");
  http_answer_free(&a);
  post(dl_receiver_port(r), PB, NULL, "Authorization: Bearer s3cret-token\r\n", body, len, &a);
  is_int(a.status, 200, "the right token: 200");
  http_answer_free(&a);
  is_int(accepted_of(r), 10, "only the authorised spans were taken");
  free(body);
  dl_receiver_stop(r);
}

static void
test_queue_full(void)
{
  dl_receiver_options o;
  dl_receiver_options_init(&o);
  o.listen = "127.0.0.1:0";
  o.max_queue = 64 * 1024;
  dl_receiver *r;
  dl_error err;
  if (dl_receiver_start(&o, &r, &err)) {
    ok(0, "receiver starts: %s", err.text);
    return;
  }
  char *body;
  size_t len;
  http_answer a;
  make_request(512, 1, 0, &body, &len);
  ok(len > o.max_queue, "batches of %zu bytes, over --max-queue 64 KiB", len);
  /* One request in flight: its headers and half its body. */
  int first = http_connect(dl_receiver_port(r));
  char head[200];
  int n = snprintf(head, sizeof head,
                   "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\n"
                   "Content-Length: %zu\r\n\r\n",
                   PB, len);
  http_write_all(first, head, (size_t) n, http_now_ms() + TIMEOUT_MS);
  http_write_all(first, body, len / 2, http_now_ms() + TIMEOUT_MS);
  /* Until the receiver has taken it in, a second one may still pass. */
  dl_receiver_stats s;
  long long deadline = http_now_ms() + TIMEOUT_MS;
  do
    dl_receiver_stats_get(r, &s);
  while (s.queued == 0 && http_now_ms() < deadline);
  post(dl_receiver_port(r), PB, NULL, NULL, body, len, &a);
  is_int(a.status, 503, "a second batch while the first fills the queue: 503");
  char v[16];
  is_str(http_header(&a, "Retry-After", v, sizeof v), "1", "with Retry-After: 1");
  http_answer_free(&a);
  http_write_all(first, body + len / 2, len - len / 2, http_now_ms() + TIMEOUT_MS);
  http_read_answer(first, &a, http_now_ms() + TIMEOUT_MS);
  is_int(a.status, 200, "the first, alone in the queue though over it, is accepted");
  http_answer_free(&a);
  close(first);
  post(dl_receiver_port(r), PB, NULL, NULL, body, len, &a);
  is_int(a.status, 200, "and so is the second when retried");
  http_answer_free(&a);
  free(body);
  dl_receiver_stats_get(r, &s);
  is_int(s.busy, 1, "one 503 counted");
  is_int(s.spans_accepted, 1024, "both batches' spans accepted");
  is_int(s.queued, 0, "nothing left queued");
  dl_receiver_stop(r);
}

static void
test_slow_client_and_flood(void)
{
  dl_receiver_options o;
  dl_receiver_options_init(&o);
  o.listen = "127.0.0.1:0";
  o.request_timeout = 2;
  o.idle_timeout = 3;
  o.max_connections = 8;
  dl_receiver *r;
  dl_error err;
  if (dl_receiver_start(&o, &r, &err)) {
    ok(0, "receiver starts: %s", err.text);
    return;
  }
  int port = dl_receiver_port(r);
  char *body;
  size_t len;
  make_request(20, 1, 0, &body, &len);

  /* A slow client: the headers, then one byte every 300 ms.  The
     request may take 2 s to arrive, so the receiver hangs up. */
  int fd = http_connect(port);
  char head[200];
  int n = snprintf(head, sizeof head,
                   "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\n"
                   "Content-Length: %zu\r\n\r\n",
                   PB, len);
  http_write_all(fd, head, (size_t) n, http_now_ms() + TIMEOUT_MS);
  long long t0 = http_now_ms();
  int closed = 0;
  for (size_t i = 0; i < len && http_now_ms() - t0 < TIMEOUT_MS; i++) {
    if (http_write_all(fd, body + i, 1, http_now_ms() + TIMEOUT_MS)) {
      closed = 1;
      break;
    }
    struct timespec ts = {0, 300 * 1000000L};
    nanosleep(&ts, NULL);
    char c;
    struct pollfd pf = {fd, POLLIN, 0};
    if (poll(&pf, 1, 0) == 1 && recv(fd, &c, 1, MSG_DONTWAIT) <= 0) {
      closed = 1;
      break;
    }
  }
  ok(closed, "a client sending one byte every 300 ms is cut off");
  close(fd);
  dl_receiver_stats s;
  dl_receiver_stats_get(r, &s);
  is_int(s.timed_out, 1, "one request timed out");

  /* A flood: 100 connections that send nothing. */
  int flood[100];
  for (int i = 0; i < 100; i++)
    flood[i] = http_connect(port);
  /* Those over the limit are closed at once, the others when idle; then
     a real client gets in. */
  http_answer a = {0};
  long long deadline = http_now_ms() + TIMEOUT_MS;
  while (http_now_ms() < deadline) {
    if (post(port, PB, NULL, NULL, body, len, &a) == 0 && a.status == 200)
      break;
    http_answer_free(&a);
    struct timespec ts = {0, 200 * 1000000L};
    nanosleep(&ts, NULL);
  }
  is_int(a.status, 200, "after a flood of 100 idle connections the receiver serves again");
  http_answer_free(&a);
  int gone = 0;
  for (int i = 0; i < 100; i++) {
    char c;
    if (flood[i] >= 0 && http_read_some(flood[i], &c, 1, http_now_ms() + TIMEOUT_MS) <= 0)
      gone++;
    if (flood[i] >= 0)
      close(flood[i]);
  }
  is_int(gone, 100, "every flooding connection was closed by the receiver");
  is_int(accepted_of(r), 20, "the one complete request's spans are in");
  is_int(window_count(r), 20, "and in the window");
  free(body);
  dl_receiver_stop(r);
}

typedef struct writer {
  int port, requests, ok;
} writer;

static void *
write_batches(void *p)
{
  writer *w = p;
  char *body;
  size_t len;
  make_request(512, 5, 0, &body, &len);
  int fd = http_connect(w->port);
  for (int i = 0; i < w->requests; i++) {
    http_answer a;
    if (http_post(fd, "/v1/traces", PB, NULL, NULL, body, len, &a, TIMEOUT_MS) == 0 &&
        a.status == 200)
      w->ok++;
    http_answer_free(&a);
  }
  close(fd);
  free(body);
  return NULL;
}

static void
test_two_writers_and_memory_bound(void)
{
  dl_receiver_options o;
  dl_receiver_options_init(&o);
  o.listen = "127.0.0.1:0";
  dl_receiver *r;
  dl_error err;
  if (dl_receiver_start(&o, &r, &err)) {
    ok(0, "receiver starts: %s", err.text);
    return;
  }
  writer w[2] = {{dl_receiver_port(r), 100, 0}, {dl_receiver_port(r), 100, 0}};
  pthread_t t[2];
  for (int i = 0; i < 2; i++)
    pthread_create(&t[i], NULL, write_batches, &w[i]);
  for (int i = 0; i < 2; i++)
    pthread_join(t[i], NULL);
  is_int(w[0].ok + w[1].ok, 200, "two keep-alive connections, 100 batches of 512 each: all 200");
  is_int(accepted_of(r), 200 * 512, "102400 spans accepted");
  is_int(window_count(r), 200 * 512, "all 102400 in the window");
  dl_receiver_stop(r);

  /* The same into 4 MiB: the oldest segments go, counted. */
  o.max_memory = 4 << 20;
  if (dl_receiver_start(&o, &r, &err)) {
    ok(0, "receiver starts: %s", err.text);
    return;
  }
  w[0] = (writer){dl_receiver_port(r), 100, 0};
  w[1] = (writer){dl_receiver_port(r), 100, 0};
  for (int i = 0; i < 2; i++)
    pthread_create(&t[i], NULL, write_batches, &w[i]);
  for (int i = 0; i < 2; i++)
    pthread_join(t[i], NULL);
  dl_receiver_stats s;
  dl_receiver_stats_get(r, &s);
  is_int(w[0].ok + w[1].ok, 200, "with --max-memory 4 MiB every batch is still accepted");
  ok(s.memory <= o.max_memory, "the store holds %zu bytes, within 4 MiB", s.memory);
  ok(s.spans_dropped > 0, "%" PRIu64 " spans dropped for the memory bound", s.spans_dropped);
  is_int(s.spans_held + s.spans_dropped + s.spans_expired, s.spans_accepted,
         "held + dropped + expired = accepted: none unaccounted for");
  is_int(window_count(r), s.spans_held, "the window shows what is held");
  dl_receiver_stop(r);
}

static void
test_bad_listen(void)
{
  dl_receiver_options o;
  dl_receiver_options_init(&o);
  o.listen = "127.0.0.1";
  dl_receiver *r;
  dl_error err;
  is_int(dl_receiver_start(&o, &r, &err), DL_EINVAL, "a listen address without port: EINVAL");
  ok(strstr(err.text, "ADDR:PORT") != NULL, "the message says what is expected: %s", err.text);
  o.listen = "127.0.0.1:0";
  dl_receiver *first;
  if (dl_receiver_start(&o, &first, &err) == DL_OK) {
    char addr[40];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", dl_receiver_port(first));
    o.listen = addr;
    is_int(dl_receiver_start(&o, &r, &err), DL_EIO, "a port in use: EIO");
    ok(strstr(err.text, "--listen") != NULL, "the message says how to fix it: %s", err.text);
    dl_receiver_stop(first);
  }
}

int
main(void)
{
  test_answers();
  test_token();
  test_queue_full();
  test_slow_client_and_flood();
  test_two_writers_and_memory_bound();
  test_bad_listen();
  return tap_done();
}
