/* One POST /v1/traces, once its body has arrived: content type and
   encoding, the decompressed size, decoding into the store, the answer.
   The HTTP layer (server.c) refuses what it can before reading a body;
   everything is checked again here, so that this function alone answers
   as the specification says. */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deploy-ledger/ingest.h"
#include "deploy-ledger/time.h"
#include "receiver/answer.h"
#include "receiver/receiver-state.h"

/* gRPC codes for the Status bodies. */
enum { RPC_INVALID_ARGUMENT = 3, RPC_RESOURCE_EXHAUSTED = 8, RPC_UNAVAILABLE = 14 };

void
dl_receiver_apply_defaults(dl_receiver_options *o)
{
  if (!o->listen)
    o->listen = "127.0.0.1:4318";
  if (!o->window)
    o->window = INT64_C(15) * 60 * 1000000000;
  if (!o->max_memory)
    o->max_memory = (size_t) 256 << 20;
  if (!o->max_request)
    o->max_request = (size_t) 16 << 20;
  if (!o->max_decompressed)
    o->max_decompressed = (size_t) 64 << 20;
  if (!o->max_queue)
    o->max_queue = (size_t) 128 << 20;
  if (!o->max_connections)
    o->max_connections = 128;
  if (!o->threads)
    o->threads = 2;
  if (!o->idle_timeout)
    o->idle_timeout = 10;
  if (!o->request_timeout)
    o->request_timeout = 30;
}

void
dl_receiver_options_init(dl_receiver_options *opt)
{
  memset(opt, 0, sizeof *opt);
}

void
dl_receiver_count_answer(dl_receiver *r, int status)
{
  uint64_t *c = NULL;
  switch (status) {
  case 200: c = &r->requests_ok; break;
  case 400: c = &r->bad_requests; break;
  case 401: c = &r->unauthorized; break;
  case 413: c = &r->too_large; break;
  case 415: c = &r->unsupported; break;
  case 429:
  case 503: c = &r->busy; break;
  }
  __atomic_add_fetch(&r->requests, 1, __ATOMIC_RELAXED);
  if (c)
    __atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

static int
media_is(const char *v, size_t n, const char *want)
{
  return strlen(want) == n && strncasecmp(v, want, n) == 0;
}

int
dl_receiver_media_type(const char *ct)
{
  if (!ct)
    return -1;
  while (*ct == ' ' || *ct == '\t')
    ct++;
  size_t n = strcspn(ct, ";");
  while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
    n--;
  if (media_is(ct, n, "application/x-protobuf") || media_is(ct, n, "application/protobuf"))
    return 0;
  if (media_is(ct, n, "application/json"))
    return 1;
  return -1;
}

/* Nonzero for an absent or identity encoding, 2 for gzip, 0 otherwise. */
static int
encoding_of(const char *ce)
{
  if (!ce || !*ce || strcasecmp(ce, "identity") == 0)
    return 1;
  if (strcasecmp(ce, "gzip") == 0)
    return 2;
  return 0;
}

/* A header value as it may be quoted in a message: printable ASCII, at
   most 60 bytes. */
static void
quote_header(const char *v, char *out, size_t size)
{
  size_t n = 0;
  for (; v && *v && n + 1 < size && n < 60; v++)
    out[n++] = isprint((unsigned char) *v) ? *v : '?';
  out[n] = '\0';
}

static int
answer_status(dl_receiver *r, dl_receiver_answer *a, int status, int rpc, int json,
              const char *fmt, ...) DL_PRINTF(6, 7);

static int
answer_status(dl_receiver *r, dl_receiver_answer *a, int status, int rpc, int json,
              const char *fmt, ...)
{
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  dl_answer_status(a, status, rpc, msg, json);
  if (status == 503 || status == 429)
    a->retry_after = 1;
  dl_receiver_count_answer(r, status);
  return status;
}

int
dl_receiver_handle(dl_receiver *r, const char *content_type, const char *content_encoding,
                   const void *body, size_t len, dl_receiver_answer *a)
{
  int json = dl_receiver_media_type(content_type);
  char shown[64];
  if (json < 0) {
    quote_header(content_type, shown, sizeof shown);
    return answer_status(r, a, 415, RPC_INVALID_ARGUMENT, 0,
                         "content type \"%s\" is not OTLP: send application/x-protobuf or "
                         "application/json",
                         shown);
  }
  int enc = encoding_of(content_encoding);
  if (!enc) {
    quote_header(content_encoding, shown, sizeof shown);
    return answer_status(r, a, 415, RPC_INVALID_ARGUMENT, json,
                         "content encoding \"%s\" is not supported: send gzip or no encoding",
                         shown);
  }
  if (len > r->opt.max_request)
    return answer_status(r, a, 413, RPC_RESOURCE_EXHAUSTED, json,
                         "request body of %zu bytes is over the receiver's limit of %zu "
                         "(--max-request): send smaller batches",
                         len, r->opt.max_request);
  void *plain = NULL;
  size_t plain_len = len;
  dl_error err;
  dl_error_clear(&err);
  if (enc == 2) {
    int rc = dl_gunzip(body, len, r->opt.max_decompressed, &plain, &plain_len, "request body",
                       &err);
    if (rc == DL_ERANGE)
      return answer_status(r, a, 413, RPC_RESOURCE_EXHAUSTED, json,
                           "gzip body decompresses to more than %zu bytes (--max-decompressed): "
                           "send smaller batches",
                           r->opt.max_decompressed);
    if (rc == DL_ENOMEM)
      return answer_status(r, a, 503, RPC_UNAVAILABLE, json, "out of memory: retry later");
    if (rc != DL_OK)
      return answer_status(r, a, 400, RPC_INVALID_ARGUMENT, json, "%s", err.text);
    body = plain;
  } else if (len > r->opt.max_decompressed) {
    return answer_status(r, a, 413, RPC_RESOURCE_EXHAUSTED, json,
                         "request body of %zu bytes is over the receiver's limit of %zu "
                         "(--max-decompressed): send smaller batches",
                         len, r->opt.max_decompressed);
  }
  dl_ingest_options io;
  dl_ingest_options_init(&io);
  io.max_bytes = r->opt.max_decompressed;
  uint64_t accepted, rejected;
  int rc = dl_window_store_decode(&r->store, dl_window_store_shard_of_thread(&r->store),
                                  json ? DL_FORMAT_OTLP_JSON : DL_FORMAT_OTLP_PROTOBUF, body,
                                  plain_len, "request body", &io, &accepted, &rejected, &err);
  free(plain);
  if (rc == DL_ENOMEM)
    return answer_status(r, a, 503, RPC_UNAVAILABLE, json, "out of memory: retry later");
  if (rc != DL_OK)
    return answer_status(r, a, 400, RPC_INVALID_ARGUMENT, json, "%s", err.text);
  char msg[160] = "";
  if (rejected) {
    char w[32];
    snprintf(msg, sizeof msg,
             "%" PRIu64 " spans started before the receiver's window of %s (--window) and "
             "were not kept",
             rejected, dl_duration_format(r->opt.window, w));
  }
  dl_answer_success(a, rejected, msg, json);
  dl_receiver_count_answer(r, 200);
  return 200;
}
