/* OTLP/gRPC's pieces without a server: the method's URL, the 5-byte
   framing both ways, the status read from header and trailer lines
   (grpc-status, percent-encoded grpc-message, RetryInfo in
   grpc-status-details-bin), the verdict on each status as the OTLP
   specification classes it, and the escaping of a refusal's body. */
#include "tap.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "deploy-ledger/exporter.h"
#include "otlp/grpc.h"
#include "pb-writer.h"

static void
test_url(void)
{
  char *u = dl_grpc_url("http://collector:4317");
  is_str(u, "http://collector:4317/opentelemetry.proto.collector.trace.v1.TraceService/Export",
         "the method's path on scheme, host and port");
  free(u);
  u = dl_grpc_url("https://user:pw@collector.example:443/v1/traces?x=1");
  is_str(u, "https://user:pw@collector.example:443/opentelemetry.proto.collector.trace.v1.TraceService/Export",
         "an endpoint's path and query are replaced (user information is the client's to redact)");
  free(u);
}

static void
test_framing(void)
{
  uint8_t *f;
  size_t n;
  ok(dl_grpc_frame("abc", 3, 0, &f, &n, NULL) == DL_OK && n == 8
       && memcmp(f, "\0\0\0\0\3abc", 8) == 0,
     "a message framed: flag 0, length 3 big-endian, the bytes");
  free(f);
  uint8_t big[300];
  memset(big, 7, sizeof big);
  ok(dl_grpc_frame(big, sizeof big, 1, &f, &n, NULL) == DL_OK && n == 305 && f[0] == 1
       && f[1] == 0 && f[2] == 0 && f[3] == 1 && f[4] == 44 && f[304] == 7,
     "compressed flag, and 300 = 0x012c in the length");
  free(f);

  uint8_t *m;
  size_t mn;
  dl_error err;
  ok(dl_grpc_unframe("\0\0\0\0\3xyz", 8, 0, 1024, &m, &mn, NULL) == DL_OK && mn == 3
       && memcmp(m, "xyz", 3) == 0, "an answer unframed");
  free(m);
  ok(dl_grpc_unframe("", 0, 0, 1024, &m, &mn, NULL) == DL_OK && !m && mn == 0,
     "an empty body: no message");
  ok(dl_grpc_unframe("\0\0\0", 3, 0, 1024, &m, &mn, &err) == DL_EPARSE
       && strstr(err.text, "5-byte prefix"), "shorter than a prefix: %s", err.text);
  ok(dl_grpc_unframe("\0\0\0\0\x09xyz", 8, 0, 1024, &m, &mn, &err) == DL_EPARSE
       && strstr(err.text, "says 9 bytes, 3 came"), "a length that lies: %s", err.text);
  ok(dl_grpc_unframe("\2\0\0\0\0", 5, 0, 1024, &m, &mn, &err) == DL_EPARSE
       && strstr(err.text, "flag 2"), "a flag that is neither 0 nor 1: %s", err.text);
  ok(dl_grpc_unframe("\1\0\0\0\1x", 6, 0, 1024, &m, &mn, &err) == DL_EPARSE
       && strstr(err.text, "other than gzip"), "compressed without grpc-encoding gzip: %s", err.text);

  /* A gzip message in a frame, inflated; and one past the bound. */
  uint8_t plain[2000], zipped[2100];
  memset(plain, 'a', sizeof plain);
  z_stream z = {0};
  deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  z.next_in = plain;
  z.avail_in = sizeof plain;
  z.next_out = zipped + 5;
  z.avail_out = sizeof zipped - 5;
  deflate(&z, Z_FINISH);
  size_t zn = z.total_out;
  deflateEnd(&z);
  zipped[0] = 1;
  zipped[1] = 0;
  zipped[2] = 0;
  zipped[3] = (uint8_t) (zn >> 8);
  zipped[4] = (uint8_t) zn;
  ok(dl_grpc_unframe(zipped, zn + 5, 1, 4096, &m, &mn, NULL) == DL_OK && mn == 2000
       && m[0] == 'a' && m[1999] == 'a', "a gzip message inflated (%zu bytes to 2000)", zn);
  free(m);
  ok(dl_grpc_unframe(zipped, zn + 5, 1, 1000, &m, &mn, &err) == DL_EPARSE
       && strstr(err.text, "within its bound"), "inflating past the bound is refused: %s",
     err.text);
}

/* Feeds header lines, as libcurl gives them (CRLF included). */
static void
feed(dl_grpc_answer *a, const char *const *lines)
{
  for (; *lines; lines++)
    dl_grpc_header(a, *lines, strlen(*lines));
}

static void
test_status(void)
{
  dl_grpc_answer a;
  dl_grpc_answer_reset(&a);
  const char *const trailers[] = {"HTTP/2 200\r\n", "content-type: application/grpc\r\n",
                                  "grpc-encoding: gzip\r\n", "\r\n",
                                  "grpc-status: 3\r\n",
                                  "grpc-message: bad%20span%3A%20%E2%9C%93 %zz\r\n", NULL};
  feed(&a, trailers);
  ok(a.status == 3 && strcmp(a.message, "bad span: \xe2\x9c\x93 %zz") == 0 && a.gzip,
     "status and message from the trailers, percent-decoded (a bad escape kept): %s", a.message);
  const char *const again[] = {"HTTP/2 200\r\n", NULL};
  feed(&a, again);
  ok(a.status == -1 && a.message[0] == '\0' && !a.gzip, "a new status line forgets the last answer");
  const char *const odd[] = {"Grpc-Status:  14 \r\n", NULL};
  feed(&a, odd);
  ok(a.status == 14, "names are case-insensitive, spaces around the value dropped");
  const char *const garbage[] = {"grpc-status: fourteen\r\n", NULL};
  feed(&a, garbage);
  ok(a.status == DL_GRPC_UNKNOWN, "a status that is not a number is UNKNOWN");

  /* google.rpc.Status {code 8, message "q", details [Any {type_url
     ".../google.rpc.RetryInfo", value RetryInfo {retry_delay {seconds 2,
     nanos 500000000}}}], with an unknown field}, in base64 unpadded as
     gRPC sends it. */
  pb_buf duration = {0}, retry = {0}, any = {0}, status = {0};
  pb_tag(&duration, 1, 0);
  pb_varint(&duration, 2);
  pb_tag(&duration, 2, 0);
  pb_varint(&duration, 500000000);
  pb_message(&retry, 1, &duration);
  pb_string(&any, 1, "type.googleapis.com/google.rpc.RetryInfo");
  pb_message(&any, 2, &retry);
  pb_tag(&status, 1, 0);
  pb_varint(&status, 8);
  pb_string(&status, 2, "q");
  pb_tag(&status, 9, 0);
  pb_varint(&status, 1);
  pb_message(&status, 3, &any);
  static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char line[256] = "grpc-status-details-bin: ";
  size_t o = strlen(line);
  const uint8_t *pb = status.b;
  size_t pn = status.n;
  for (size_t i = 0; i < pn; i += 3) {
    uint32_t v = (uint32_t) pb[i] << 16 | (i + 1 < pn ? pb[i + 1] << 8 : 0)
                 | (i + 2 < pn ? pb[i + 2] : 0);
    line[o++] = b64[v >> 18 & 63];
    line[o++] = b64[v >> 12 & 63];
    if (i + 1 < pn)
      line[o++] = b64[v >> 6 & 63];
    if (i + 2 < pn)
      line[o++] = b64[v & 63];
  }
  pb_free(&duration);
  pb_free(&retry);
  pb_free(&any);
  pb_free(&status);
  strcpy(line + o, "\r\n");
  const char *const details[] = {"HTTP/2 200\r\n", "grpc-status: 8\r\n", line, NULL};
  dl_grpc_answer_reset(&a);
  feed(&a, details);
  ok(a.status == 8 && a.retry_delay_ms == 2500, "RetryInfo's delay read from the details: %lld ms",
     (long long) a.retry_delay_ms);
  const char *const no_info[] = {"HTTP/2 200\r\n", "grpc-status: 8\r\n",
                                 "grpc-status-details-bin: CAgSAXE\r\n", NULL};
  feed(&a, no_info);
  ok(a.status == 8 && a.retry_delay_ms == -1, "details without RetryInfo: none");
  const char *const bad_b64[] = {"grpc-status-details-bin: !!!!\r\n", NULL};
  feed(&a, bad_b64);
  ok(a.retry_delay_ms == -1, "details that are not base64: ignored");
}

/* The verdict on an answer of HTTP status HTTP with the header lines. */
static int
judge(long http, const char *const *lines, int64_t *retry_after, char *why, size_t size)
{
  dl_grpc_answer a;
  dl_grpc_answer_reset(&a);
  feed(&a, lines);
  dl_http_response r = {0};
  r.status = http;
  r.retry_after_ms = -1;
  int v = dl_grpc_judge(&a, &r, why, size);
  *retry_after = r.retry_after_ms;
  return v;
}

static void
test_judge(void)
{
  char why[256], line[64];
  int64_t after;
  const char *const accepted[] = {"grpc-status: 0\r\n", NULL};
  ok(judge(200, accepted, &after, why, sizeof why) == DL_HTTP_ACCEPT, "OK accepts");
  static const int retryable[] = {1, 4, 10, 11, 14, 15};
  static const int permanent[] = {2, 3, 5, 6, 7, 9, 12, 13, 16};
  int right = 1;
  for (size_t i = 0; i < sizeof retryable / sizeof retryable[0]; i++) {
    snprintf(line, sizeof line, "grpc-status: %d\r\n", retryable[i]);
    const char *const l[] = {line, NULL};
    if (judge(200, l, &after, why, sizeof why) != DL_HTTP_RETRY || after != -1)
      right = 0, tap_diag("status %d not retried", retryable[i]);
  }
  ok(right, "CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE, DATA_LOSS retry");
  right = 1;
  for (size_t i = 0; i < sizeof permanent / sizeof permanent[0]; i++) {
    snprintf(line, sizeof line, "grpc-status: %d\r\n", permanent[i]);
    const char *const l[] = {line, NULL};
    if (judge(200, l, &after, why, sizeof why) != DL_HTTP_REFUSE)
      right = 0, tap_diag("status %d not refused", permanent[i]);
  }
  ok(right, "INVALID_ARGUMENT, UNAUTHENTICATED, INTERNAL, UNIMPLEMENTED... are refused for good");
  const char *const exhausted[] = {"grpc-status: 8\r\n", "grpc-message: quota\r\n", NULL};
  ok(judge(200, exhausted, &after, why, sizeof why) == DL_HTTP_REFUSE
       && strcmp(why, "gRPC RESOURCE_EXHAUSTED (8): quota") == 0,
     "RESOURCE_EXHAUSTED without retry information: refused, named: %s", why);
  const char *const exhausted_info[] = {"grpc-status: 8\r\n",
                                        "grpc-status-details-bin: CAgaKgoodHlwZS5nb29nbGVhcGlzLmNvbS9nb29nbGUucnBjLlJldHJ5SW5mbw\r\n",
                                        NULL};
  ok(judge(200, exhausted_info, &after, why, sizeof why) == DL_HTTP_RETRY && after == 0,
     "with a RetryInfo (no delay): retried at once");
  const char *const none[] = {"content-type: application/grpc\r\n", NULL};
  ok(judge(200, none, &after, why, sizeof why) == DL_HTTP_REFUSE && strstr(why, "no grpc-status"),
     "an answer without grpc-status is an error: %s", why);
  ok(judge(503, none, &after, why, sizeof why) == DL_HTTP_RETRY
       && strstr(why, "HTTP 503 without a grpc-status, read as UNAVAILABLE"),
     "HTTP 503 from a proxy: UNAVAILABLE, retried: %s", why);
  ok(judge(401, none, &after, why, sizeof why) == DL_HTTP_REFUSE && strstr(why, "UNAUTHENTICATED"),
     "HTTP 401: UNAUTHENTICATED, refused: %s", why);
  const char *const both[] = {"grpc-status: 14\r\n", NULL};
  ok(judge(502, both, &after, why, sizeof why) == DL_HTTP_RETRY && strstr(why, "UNAVAILABLE (14)"),
     "a grpc-status wins over the HTTP status");
  char buf[24];
  is_str(dl_grpc_status_name(16, buf, sizeof buf), "UNAUTHENTICATED", "status names");
  is_str(dl_grpc_status_name(42, buf, sizeof buf), "status 42", "past the known codes");
}

static void
test_escape(void)
{
  char out[64];
  dl_exporter_escape_body(out, sizeof out, "ok \xe2\x9c\x93", 6);
  is_str(out, "ok \xe2\x9c\x93", "printable UTF-8 kept");
  dl_exporter_escape_body(out, sizeof out, "a\\b\n\r\t\x01\x7f\xff\xc3(\xed\xa0\x80", 14);
  is_str(out, "a\\\\b\\n\\r\\t\\x01\\x7f\\xff\\xc3(\\xed\\xa0\\x80",
         "backslash, controls, invalid bytes and surrogates escaped: %s", out);
  char small[12];
  dl_exporter_escape_body(small, sizeof small, "0123456789abcdef", 16);
  is_str(small, "01234567...", "cut to fit, with an ellipsis");
  dl_exporter_escape_body(small, sizeof small, "\xff\xff\xff", 3);
  is_str(small, "\\xff\\xff...", "an escape never cut in half");
  dl_exporter_escape_body(out, sizeof out, NULL, 0);
  is_str(out, "", "no body: empty text");
  char *big = malloc(10000);
  memset(big, 0xfe, 10000);
  char *kept = malloc(DL_EXPORTER_MAX_DEAD_BODY);
  dl_exporter_escape_body(kept, DL_EXPORTER_MAX_DEAD_BODY, big, 10000);
  ok(strlen(kept) < DL_EXPORTER_MAX_DEAD_BODY && strlen(kept) > DL_EXPORTER_MAX_DEAD_BODY - 8
       && strcmp(kept + strlen(kept) - 3, "...") == 0,
     "10,000 binary bytes kept as %zu bytes of escapes (4 KiB bound)", strlen(kept));
  free(big);
  free(kept);
}

int
main(void)
{
  test_url();
  test_framing();
  test_status();
  test_judge();
  test_escape();
  return tap_done();
}
