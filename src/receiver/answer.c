/* Answer bodies: google.rpc.Status {1: int32 code, 2: string message} and
   ExportTraceServiceResponse {1: ExportTracePartialSuccess {1: int64
   rejected_spans, 2: string error_message}}, in protobuf or in OTLP's
   JSON mapping (lowerCamelCase names, int64 as a decimal string). */
#include "receiver/answer.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t
put_varint(uint8_t *p, uint64_t v)
{
  size_t n = 0;
  while (v >= 0x80) {
    p[n++] = (uint8_t) (v | 0x80);
    v >>= 7;
  }
  p[n++] = (uint8_t) v;
  return n;
}

/* A message of one varint field (VFIELD, left out when V is 0, as proto3
   does) and one string field (SFIELD, left out when empty) into OUT,
   which holds SLEN + 16 bytes; returns its length. */
static size_t
varint_and_string(uint8_t *out, int vfield, uint64_t v, int sfield, const char *s, size_t slen)
{
  size_t n = 0;
  if (v) {
    out[n++] = (uint8_t) (vfield << 3);
    n += put_varint(out + n, v);
  }
  if (slen) {
    out[n++] = (uint8_t) (sfield << 3 | 2);
    n += put_varint(out + n, slen);
    memcpy(out + n, s, slen);
    n += slen;
  }
  return n;
}

static void
set_json(dl_receiver_answer *a, json_t *doc)
{
  a->content_type = DL_OTLP_JSON_TYPE;
  a->body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
  a->body_len = a->body ? strlen(a->body) : 0;
  json_decref(doc);
}

void
dl_answer_status(dl_receiver_answer *a, int status, int rpc_code, const char *message, int json)
{
  memset(a, 0, sizeof *a);
  a->status = status;
  if (json) {
    set_json(a, json_pack("{s:i,s:s}", "code", rpc_code, "message", message));
    return;
  }
  a->content_type = DL_OTLP_PROTOBUF_TYPE;
  size_t len = strlen(message);
  uint8_t *body = malloc(len + 32);
  if (!body)
    return;
  a->body_len = varint_and_string(body, 1, (uint64_t) rpc_code, 2, message, len);
  a->body = (char *) body;
}

void
dl_answer_success(dl_receiver_answer *a, uint64_t rejected, const char *message, int json)
{
  memset(a, 0, sizeof *a);
  a->status = 200;
  if (json) {
    if (!rejected) {
      set_json(a, json_object());
      return;
    }
    char count[24];
    snprintf(count, sizeof count, "%" PRIu64, rejected);
    set_json(a, json_pack("{s:{s:s,s:s}}", "partialSuccess", "rejectedSpans", count,
                          "errorMessage", message ? message : ""));
    return;
  }
  a->content_type = DL_OTLP_PROTOBUF_TYPE;
  if (!rejected)
    return; /* an empty message: every span accepted */
  size_t len = message ? strlen(message) : 0;
  uint8_t *inner = malloc(len + 32), *body = malloc(len + 48);
  if (!inner || !body) {
    free(inner);
    free(body);
    return;
  }
  size_t inner_len = varint_and_string(inner, 1, rejected, 2, message, len);
  size_t n = 0;
  body[n++] = 1 << 3 | 2; /* partial_success */
  n += put_varint(body + n, inner_len);
  memcpy(body + n, inner, inner_len);
  free(inner);
  a->body_len = n + inner_len;
  a->body = (char *) body;
}
