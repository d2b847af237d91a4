/* OTLP/gRPC's pieces for the exporter: the Export method's URL, the
   length-prefixed message framing, and the status a collector answers
   in grpc-status / grpc-message / grpc-status-details-bin, which arrive
   as headers (a "trailers-only" answer) or as trailers after the body.
   Everything read from the answer is bounded by what came: no length
   or count the server gives is trusted. */
#include "otlp/grpc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "ingest/pb-wire.h"
#include "net/excerpt.h"
#include "util/base64.h"

char *
dl_grpc_url(const char *endpoint)
{
  /* scheme://authority, then the method's path. */
  const char *sep = strstr(endpoint, "://");
  const char *host = sep ? sep + 3 : endpoint;
  size_t authority = strcspn(host, "/?#");
  size_t n = (size_t) (host - endpoint) + authority;
  char *url = malloc(n + sizeof DL_GRPC_EXPORT_PATH);
  if (!url)
    return NULL;
  memcpy(url, endpoint, n);
  memcpy(url + n, DL_GRPC_EXPORT_PATH, sizeof DL_GRPC_EXPORT_PATH);
  return url;
}

int
dl_grpc_frame(const void *msg, size_t len, int compressed, uint8_t **out, size_t *out_len,
              dl_error *err)
{
  *out = NULL;
  if (len > UINT32_MAX)
    return dl_fail(err, DL_ERANGE, "a gRPC message holds at most 4 GiB; this one has %zu bytes",
                   len);
  uint8_t *b = malloc(len + 5);
  if (!b)
    return dl_fail(err, DL_ENOMEM, "out of memory framing a gRPC message");
  b[0] = compressed ? 1 : 0;
  b[1] = (uint8_t) (len >> 24);
  b[2] = (uint8_t) (len >> 16);
  b[3] = (uint8_t) (len >> 8);
  b[4] = (uint8_t) len;
  if (len)
    memcpy(b + 5, msg, len);
  *out = b;
  *out_len = len + 5;
  return DL_OK;
}

/* gzip-inflates IN into a new buffer of at most MAX bytes. */
static int
gunzip(const uint8_t *in, size_t len, size_t max, uint8_t **out, size_t *out_len,
       dl_error *err)
{
  uint8_t *buf = malloc(max ? max : 1);
  if (!buf)
    return dl_fail(err, DL_ENOMEM, "out of memory inflating the gRPC answer");
  z_stream z = {0};
  if (inflateInit2(&z, 15 + 16) != Z_OK) {
    free(buf);
    return dl_fail(err, DL_ENOMEM, "cannot start inflating the gRPC answer");
  }
  z.next_in = (Bytef *) in;
  z.avail_in = (uInt) len;
  z.next_out = buf;
  z.avail_out = (uInt) max;
  int zr = inflate(&z, Z_FINISH);
  *out_len = z.total_out;
  inflateEnd(&z);
  if (zr != Z_STREAM_END) {
    free(buf);
    return dl_fail(err, DL_EPARSE, "the gRPC answer's message does not inflate%s",
                   zr == Z_BUF_ERROR ? " within its bound" : "");
  }
  *out = buf;
  return DL_OK;
}

int
dl_grpc_unframe(const void *body, size_t len, int gzip, size_t max, uint8_t **msg,
                size_t *msg_len, dl_error *err)
{
  const uint8_t *b = body;
  *msg = NULL;
  *msg_len = 0;
  if (len == 0)
    return DL_OK;
  if (len < 5)
    return dl_fail(err, DL_EPARSE, "the gRPC answer is %zu bytes: shorter than a frame's "
                   "5-byte prefix", len);
  size_t n = ((size_t) b[1] << 24) | ((size_t) b[2] << 16) | ((size_t) b[3] << 8) | b[4];
  if (n != len - 5)
    return dl_fail(err, DL_EPARSE, "the gRPC answer's frame says %zu bytes, %zu came", n,
                   len - 5);
  if (b[0] > 1)
    return dl_fail(err, DL_EPARSE, "the gRPC answer's frame has flag %u (0 or 1 expected)", b[0]);
  if (b[0] == 1) {
    if (!gzip)
      return dl_fail(err, DL_EPARSE, "the gRPC answer is compressed in an encoding other than "
                     "gzip");
    return gunzip(b + 5, n, max, msg, msg_len, err);
  }
  *msg = malloc(n ? n : 1);
  if (!*msg)
    return dl_fail(err, DL_ENOMEM, "out of memory reading the gRPC answer");
  memcpy(*msg, b + 5, n);
  *msg_len = n;
  return DL_OK;
}

void
dl_grpc_answer_reset(dl_grpc_answer *a)
{
  a->status = -1;
  a->message[0] = '\0';
  a->retry_delay_ms = -1;
  a->gzip = 0;
}

/* ---- reading the status ---- */

static int
hex(int c)
{
  return c >= '0' && c <= '9' ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* grpc-message is percent-encoded UTF-8 (a bad escape is kept as is). */
static void
percent_decoded(const char *v, size_t len, char *out, size_t size)
{
  char buf[1024];
  size_t n = 0;
  for (size_t i = 0; i < len && n < sizeof buf; i++) {
    if (v[i] == '%' && i + 2 < len && hex(v[i + 1]) >= 0 && hex(v[i + 2]) >= 0) {
      buf[n++] = (char) (hex(v[i + 1]) * 16 + hex(v[i + 2]));
      i += 2;
    } else {
      buf[n++] = v[i];
    }
  }
  dl_http_excerpt(out, size, buf, n);
}

/* google.protobuf.Duration {seconds = 1, nanos = 2} in milliseconds,
   clamped to a day (the longest wait any caller honours); -1 when it
   does not decode. */
static int64_t
duration_ms(dl_pb_cursor c)
{
  dl_pb_fault f;
  uint32_t field;
  int wt, r;
  uint64_t seconds = 0, nanos = 0;
  while ((r = dl_pb_tag(&c, &field, &wt, &f)) > 0) {
    if ((field == 1 || field == 2) && wt == DL_PB_VARINT) {
      if (dl_pb_varint(&c, field == 1 ? &seconds : &nanos, &f))
        return -1;
    } else if (dl_pb_skip(&c, field, wt, &f)) {
      return -1;
    }
  }
  if (r < 0 || (int64_t) seconds < 0 || (int64_t) nanos < 0)
    return -1; /* negative: no wait asked */
  if (seconds > 86400)
    return 86400000;
  return (int64_t) seconds * 1000 + (int64_t) (nanos % 1000000000) / 1000000;
}

/* The retry delay of a google.rpc.RetryInfo {retry_delay = 1}. */
static int64_t
retry_info(dl_pb_cursor c)
{
  dl_pb_fault f;
  uint32_t field;
  int wt, r;
  int64_t ms = 0; /* RetryInfo without a delay: retry, no wait asked */
  while ((r = dl_pb_tag(&c, &field, &wt, &f)) > 0) {
    if (field == 1 && wt == DL_PB_LEN) {
      dl_pb_cursor d;
      if (dl_pb_length_delimited(&c, &d, &f))
        return -1;
      ms = duration_ms(d);
    } else if (dl_pb_skip(&c, field, wt, &f)) {
      return -1;
    }
  }
  return r < 0 ? -1 : ms;
}

/* grpc-status-details-bin: a google.rpc.Status {details = 3, repeated
   google.protobuf.Any {type_url = 1, value = 2}}; the delay of its
   RetryInfo detail, or -1 when it has none. */
static int64_t
status_details_delay(const uint8_t *p, size_t len)
{
  static const char type[] = "google.rpc.RetryInfo";
  dl_pb_cursor c = {p, p + len};
  dl_pb_fault f;
  uint32_t field;
  int wt, r;
  while ((r = dl_pb_tag(&c, &field, &wt, &f)) > 0) {
    if (field != 3 || wt != DL_PB_LEN) {
      if (dl_pb_skip(&c, field, wt, &f))
        return -1;
      continue;
    }
    dl_pb_cursor any;
    if (dl_pb_length_delimited(&c, &any, &f))
      return -1;
    int is_retry_info = 0;
    dl_pb_cursor value = {NULL, NULL};
    uint32_t af;
    int awt, ar;
    while ((ar = dl_pb_tag(&any, &af, &awt, &f)) > 0) {
      dl_pb_cursor s;
      if (awt == DL_PB_LEN && (af == 1 || af == 2)) {
        if (dl_pb_length_delimited(&any, &s, &f))
          return -1;
        size_t n = (size_t) (s.end - s.p), t = sizeof type - 1;
        if (af == 1)
          is_retry_info = n >= t && memcmp(s.p + n - t, type, t) == 0
                          && (n == t || s.p[n - t - 1] == '/');
        else
          value = s;
      } else if (dl_pb_skip(&any, af, awt, &f)) {
        return -1;
      }
    }
    if (ar < 0)
      return -1;
    if (is_retry_info)
      return value.p ? retry_info(value) : 0;
  }
  return -1;
}

void
dl_grpc_header(void *ctx, const char *line, size_t len)
{
  dl_grpc_answer *a = ctx;
  if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
    dl_grpc_answer_reset(a);
    return;
  }
  const char *colon = memchr(line, ':', len);
  if (!colon)
    return;
  size_t name_len = (size_t) (colon - line);
  const char *v = colon + 1;
  size_t vlen = len - name_len - 1;
  while (vlen && (*v == ' ' || *v == '\t'))
    v++, vlen--;
  while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
    vlen--;
#define NAMED(s) (name_len == sizeof(s) - 1 && strncasecmp(line, s, name_len) == 0)
  if (NAMED("grpc-status")) {
    int code = 0;
    size_t i = 0;
    for (; i < vlen && i < 4 && isdigit((unsigned char) v[i]); i++)
      code = code * 10 + (v[i] - '0');
    /* Not a number: UNKNOWN, as gRPC reads a status it cannot parse. */
    a->status = i == vlen && i > 0 ? code : DL_GRPC_UNKNOWN;
  } else if (NAMED("grpc-message")) {
    percent_decoded(v, vlen, a->message, sizeof a->message);
  } else if (NAMED("grpc-encoding")) {
    a->gzip = vlen == 4 && strncasecmp(v, "gzip", 4) == 0;
  } else if (NAMED("grpc-status-details-bin")) {
    uint8_t details[4096];
    long n = dl_base64_decode(v, vlen, details, sizeof details);
    if (n >= 0)
      a->retry_delay_ms = status_details_delay(details, (size_t) n);
  }
#undef NAMED
}

int
dl_grpc_retryable(int status, int has_retry_info)
{
  switch (status) {
  case 1: /* CANCELLED */
  case DL_GRPC_DEADLINE_EXCEEDED:
  case DL_GRPC_ABORTED:
  case DL_GRPC_OUT_OF_RANGE:
  case DL_GRPC_UNAVAILABLE:
  case DL_GRPC_DATA_LOSS:
    return 1;
  case DL_GRPC_RESOURCE_EXHAUSTED:
    return has_retry_info;
  default:
    return 0;
  }
}

const char *
dl_grpc_status_name(int status, char *buf, size_t size)
{
  static const char *const names[] = {
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
    "UNAUTHENTICATED"};
  if (status >= 0 && status < (int) (sizeof names / sizeof names[0]))
    return names[status];
  snprintf(buf, size, "status %d", status);
  return buf;
}

int
dl_grpc_status_of_http(long http_status)
{
  switch (http_status) {
  case 400:
    return DL_GRPC_INTERNAL;
  case 401:
    return DL_GRPC_UNAUTHENTICATED;
  case 403:
    return 7; /* PERMISSION_DENIED */
  case 404:
    return DL_GRPC_UNIMPLEMENTED;
  case 429:
  case 502:
  case 503:
  case 504:
    return DL_GRPC_UNAVAILABLE;
  default:
    return DL_GRPC_UNKNOWN;
  }
}

int
dl_grpc_judge(void *ctx, dl_http_response *resp, char *why, size_t size)
{
  dl_grpc_answer *a = ctx;
  char name[24];
  int status = a->status;
  if (status < 0 && resp->status != 200) {
    status = dl_grpc_status_of_http(resp->status);
    snprintf(why, size, "HTTP %ld without a grpc-status, read as %s", resp->status,
             dl_grpc_status_name(status, name, sizeof name));
  } else if (status < 0) {
    snprintf(why, size, "the answer has no grpc-status (is the endpoint a gRPC server? "
             "OTLP/HTTP is usually port 4318, OTLP/gRPC 4317)");
    return DL_HTTP_REFUSE;
  } else {
    snprintf(why, size, "gRPC %s (%d)%s%s", dl_grpc_status_name(status, name, sizeof name),
             status, a->message[0] ? ": " : "", a->message);
  }
  if (status == DL_GRPC_OK)
    return DL_HTTP_ACCEPT;
  if (!dl_grpc_retryable(status, a->retry_delay_ms >= 0))
    return DL_HTTP_REFUSE;
  if (a->retry_delay_ms >= 0)
    resp->retry_after_ms = a->retry_delay_ms;
  return DL_HTTP_RETRY;
}
