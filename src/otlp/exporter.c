/* OTLP export through the library's HTTP client: encoding with the
   configured resource attributes, gzip, sending over OTLP/HTTP or
   OTLP/gRPC with the client's retry policy, reading partial success, and
   flushing the ledger's spool. */
#include "deploy-ledger/exporter.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "deploy-ledger/otlp-encode.h"
#include "deploy-ledger/time.h"
#include "net/excerpt.h"
#include "net/http.h"
#include "otlp/exporter-config.h"
#include "otlp/exporter-response.h"
#include "otlp/grpc.h"

struct dl_exporter {
  dl_exporter_config config;
  dl_http *http;
  char *url;                /* where requests go: the endpoint, or gRPC's method on it */
  char shown_endpoint[512]; /* the URL without user information */
  dl_kv *resource;          /* the configured resource attributes, as the model has them */
};

/* The client's options from the exporter's settings: retries for as
   long as the deadline allows, as the OTLP specification asks. */
static void
http_options(const dl_exporter_config *c, dl_http_options *o)
{
  dl_http_options_init(o);
  o->timeout_ms = c->timeout_ms;
  o->connect_timeout_ms = c->timeout_ms;
  o->retries = DL_HTTP_RETRY_UNTIL_DEADLINE;
  o->backoff_ms = c->initial_backoff_ms;
  o->max_backoff_ms = c->max_backoff_ms;
  o->deadline_ms = c->deadline_ms;
  o->credentials = ""; /* the exporter's credentials are its headers */
  o->max_bytes = DL_EXPORTER_MAX_RESPONSE;
  o->ca_file = c->certificate;
  o->client_certificate = c->client_certificate;
  o->client_key = c->client_key;
}

int
dl_exporter_new(const dl_exporter_config *config, dl_exporter **out, dl_error *err)
{
  *out = NULL;
  int rc = dl_http_url_check(config->endpoint, "endpoint", err);
  if (rc)
    return rc;
  dl_exporter *e = calloc(1, sizeof *e);
  if (!e)
    return dl_fail(err, DL_ENOMEM, "out of memory");
  rc = dl_exporter_config_copy(&e->config, config, err);
  if (rc) {
    free(e);
    return rc;
  }
  dl_exporter_config_defaults(&e->config);
  const dl_exporter_config *c = &e->config;
  e->url = c->protocol == DL_PROTOCOL_GRPC ? dl_grpc_url(c->endpoint) : strdup(c->endpoint);
  if (!e->url) {
    dl_exporter_free(e);
    return dl_fail(err, DL_ENOMEM, "out of memory creating the exporter");
  }
  dl_http_redact(e->url, e->shown_endpoint, sizeof e->shown_endpoint);
  dl_http_options o;
  http_options(c, &o);
  e->http = dl_http_new(&o, NULL, err);
  if (!e->http) {
    dl_exporter_free(e);
    return err && err->code ? err->code : DL_ENOMEM;
  }
  for (size_t i = 0; i < c->n_headers; i++) {
    rc = dl_http_add_header(e->http, c->headers[i].name, c->headers[i].value, err);
    if (rc) {
      dl_exporter_free(e);
      return rc;
    }
  }
  e->resource = calloc(c->n_resource ? c->n_resource : 1, sizeof *e->resource);
  if (!e->resource) {
    dl_exporter_free(e);
    return dl_fail(err, DL_ENOMEM, "out of memory creating the exporter");
  }
  for (size_t i = 0; i < c->n_resource; i++) {
    e->resource[i].key = dl_str_of(c->resource[i].name);
    e->resource[i].value = dl_value_string(c->resource[i].value);
  }
  *out = e;
  return DL_OK;
}

void
dl_exporter_free(dl_exporter *e)
{
  if (!e)
    return;
  dl_http_free(e->http);
  free(e->url);
  free(e->resource);
  dl_exporter_config_clear(&e->config);
  free(e);
}

char *
dl_exporter_describe(const dl_exporter *e)
{
  const dl_exporter_config *c = &e->config;
  size_t cap = 512 + strlen(e->shown_endpoint);
  for (size_t i = 0; i < c->n_headers; i++)
    cap += strlen(c->headers[i].name) + 24;
  for (size_t i = 0; i < c->n_resource; i++)
    cap += strlen(c->resource[i].name) + strlen(c->resource[i].value) + 16;
  char *s = malloc(cap);
  if (!s)
    return NULL;
  size_t n = (size_t) snprintf(s, cap, "endpoint=%s protocol=%s compression=%s timeout=%ldms",
                               e->shown_endpoint,
                               c->protocol == DL_PROTOCOL_JSON   ? "http/json"
                               : c->protocol == DL_PROTOCOL_GRPC ? "grpc"
                                                                 : "http/protobuf",
                               c->gzip ? "gzip" : "none", c->timeout_ms);
  for (size_t i = 0; i < c->n_headers; i++)
    n += (size_t) snprintf(s + n, cap - n, " header %s=<redacted>", c->headers[i].name);
  for (size_t i = 0; i < c->n_resource; i++)
    n += (size_t) snprintf(s + n, cap - n, " resource %s=%s", c->resource[i].name,
                           c->resource[i].value);
  return s;
}

/* ---- encoding ---- */

static int
has_key(const dl_kv *kv, size_t n, dl_str key)
{
  for (size_t i = 0; i < n; i++)
    if (kv[i].key.len == key.len && memcmp(kv[i].key.ptr, key.ptr, key.len) == 0)
      return 1;
  return 0;
}

/* REQ with each resource completed by the configured attributes it does
   not set itself (a deployment's own service.name wins): new arrays in
   *RS and *KV that point into REQ and the exporter's config. */
static int
with_resource(const dl_exporter *e, const dl_export_request *req, dl_export_request *out,
              dl_resource_spans **rs, dl_kv **kv, dl_error *err)
{
  size_t extra = e->config.n_resource, total = 0;
  for (size_t i = 0; i < req->n_resources; i++)
    total += req->resources[i].n_resource_attrs + extra;
  *rs = malloc((req->n_resources ? req->n_resources : 1) * sizeof **rs);
  *kv = malloc((total ? total : 1) * sizeof **kv);
  if (!*rs || !*kv) {
    free(*rs);
    free(*kv);
    return dl_fail(err, DL_ENOMEM, "out of memory adding resource attributes");
  }
  dl_kv *next = *kv;
  for (size_t i = 0; i < req->n_resources; i++) {
    const dl_resource_spans *src = &req->resources[i];
    dl_resource_spans *dst = &(*rs)[i];
    *dst = *src;
    size_t n = src->n_resource_attrs;
    if (n)
      memcpy(next, src->resource_attrs, n * sizeof *next);
    for (size_t k = 0; k < extra; k++)
      if (!has_key(src->resource_attrs, src->n_resource_attrs, e->resource[k].key))
        next[n++] = e->resource[k];
    dst->resource_attrs = next;
    dst->n_resource_attrs = n;
    dst->has_resource = dst->has_resource || n > 0;
    next += n;
  }
  out->resources = *rs;
  out->n_resources = req->n_resources;
  return DL_OK;
}

int
dl_exporter_encode(const dl_exporter *e, const dl_export_request *req, uint8_t **body,
                   size_t *len, const char **content_type, dl_error *err)
{
  dl_export_request full = *req;
  dl_resource_spans *rs = NULL;
  dl_kv *kv = NULL;
  if (e->config.n_resource) {
    int rc = with_resource(e, req, &full, &rs, &kv, err);
    if (rc)
      return rc;
  }
  int rc;
  if (e->config.protocol == DL_PROTOCOL_JSON) {
    *content_type = "application/json";
    rc = dl_otlp_encode_json(&full, (char **) body, len, err);
  } else {
    *content_type = "application/x-protobuf";
    rc = dl_otlp_encode_protobuf(&full, body, len, err);
  }
  free(rs);
  free(kv);
  return rc;
}

/* gzip of LEN bytes into a new buffer. */
static int
gzip_body(const void *data, size_t len, uint8_t **out, size_t *out_len, dl_error *err)
{
  z_stream z = {0};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return dl_fail(err, DL_ENOMEM, "cannot start gzip");
  size_t cap = deflateBound(&z, len) + 32;
  uint8_t *buf = malloc(cap);
  if (!buf) {
    deflateEnd(&z);
    return dl_fail(err, DL_ENOMEM, "out of memory compressing");
  }
  z.next_in = (Bytef *) data;
  z.avail_in = (uInt) len;
  z.next_out = buf;
  z.avail_out = (uInt) cap;
  int zr = deflate(&z, Z_FINISH);
  *out_len = z.total_out;
  deflateEnd(&z);
  if (zr != Z_STREAM_END) {
    free(buf);
    return dl_fail(err, DL_EIO, "gzip failed");
  }
  *out = buf;
  return DL_OK;
}

/* ---- sending ---- */

/* Whether the answer to a request of REQUEST_TYPE is JSON (1), protobuf
   (0) or something else not worth reading (-1): the collector says so
   in its Content-Type, and answers in the request's encoding when it
   says nothing. */
static int
answer_format(const char *answer_type, const char *request_type)
{
  const char *t = answer_type && *answer_type ? answer_type : request_type;
  if (strstr(t, "json"))
    return 1;
  if (strstr(t, "protobuf"))
    return 0;
  return -1;
}

/* The result's message as printable text, cut to fit at a character
   boundary (it goes to the ledger and to Scheme strings). */
static void DL_PRINTF(2, 3)
set_message(dl_send_result *res, const char *fmt, ...)
{
  char text[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  dl_http_excerpt(res->message, sizeof res->message, text, strlen(text));
}

/* Partial success from an accepted answer of MSG_LEN bytes, JSON or
   protobuf, into RES. */
static void
read_partial_success(dl_send_result *res, const void *msg, size_t len, int json)
{
  dl_partial_success ps;
  dl_error perr;
  if (dl_partial_success_parse(msg, len, json, &ps, &perr) == DL_OK) {
    res->rejected_spans = ps.rejected_spans;
    set_message(res, "%s", ps.message);
  } else {
    /* Accepted all the same: sending again would only duplicate. */
    set_message(res, "accepted, but the answer does not decode: %s", perr.text);
  }
}

/* The HTTP request of one send of BODY (LEN bytes, already compressed
   when the config says so) in the exporter's protocol.  For gRPC, BODY
   is the framed message and ANSWER gathers the status. */
static dl_http_request
request_of(const dl_exporter *e, const void *body, size_t len, const char *content_type,
           const dl_send_limits *limits, dl_grpc_answer *answer)
{
  /* gRPC's headers: te: trailers is how a gRPC server knows the client
     reads trailers (grpc-status comes there). */
  static const char *const grpc_plain[] = {"te: trailers", "grpc-accept-encoding: gzip", NULL};
  static const char *const grpc_gzip[] = {"te: trailers", "grpc-accept-encoding: gzip",
                                          "grpc-encoding: gzip", NULL};
  const dl_exporter_config *c = &e->config;
  dl_http_request req = {.method = "POST", .url = e->url, .content_type = content_type,
                         .content_encoding = c->gzip ? "gzip" : NULL, .body = body, .len = len,
                         .truncate_body = 1};
  if (limits) {
    req.single_attempt = limits->once;
    req.deadline_ms = limits->deadline_ms;
  }
  if (c->protocol == DL_PROTOCOL_GRPC) {
    req.content_type = "application/grpc";
    req.content_encoding = NULL;
    req.http2 = 1;
    req.headers = c->gzip ? grpc_gzip : grpc_plain;
    req.timeout_header = "grpc-timeout";
    req.ctx = answer;
    req.on_header = dl_grpc_header;
    req.judge = dl_grpc_judge;
  }
  return req;
}

int
dl_exporter_send(dl_exporter *e, const void *body, size_t len, const char *content_type,
                 const dl_send_limits *limits, dl_send_result *res, dl_error *err)
{
  const dl_exporter_config *c = &e->config;
  int grpc = c->protocol == DL_PROTOCOL_GRPC;
  memset(res, 0, sizeof *res);
  res->retry_after_ms = -1;
  res->grpc_status = -1;
  if (grpc && answer_format(NULL, content_type) != 0) {
    res->permanent = 1;
    set_message(res, "this item was spooled as %s, which OTLP/gRPC cannot carry: flush it with "
                "OTEL_EXPORTER_OTLP_PROTOCOL=http/json", content_type);
    return dl_fail(err, DL_EINVAL, "%s", res->message);
  }
  uint8_t *zipped = NULL, *framed = NULL;
  size_t zipped_len = 0, framed_len = 0;
  int rc = DL_OK;
  if (c->gzip) {
    rc = gzip_body(body, len, &zipped, &zipped_len, err);
    body = zipped;
    len = zipped_len;
  }
  if (!rc && grpc) {
    rc = dl_grpc_frame(body, len, c->gzip, &framed, &framed_len, err);
    body = framed;
    len = framed_len;
  }
  if (rc) {
    set_message(res, "%s", dl_strerror(rc));
    free(zipped);
    return rc;
  }
  dl_grpc_answer answer;
  dl_grpc_answer_reset(&answer);
  dl_http_request req = request_of(e, body, len, content_type, limits, &answer);
  dl_http_response r;
  dl_error herr;
  rc = dl_http_perform(e->http, &req, &r, &herr);
  res->attempts = r.attempts;
  res->http_status = (int) r.status;
  res->retry_after_ms = (long) r.retry_after_ms;
  if (grpc && r.status)
    res->grpc_status = answer.status >= 0 ? answer.status
                       : r.status != 200 ? dl_grpc_status_of_http(r.status) : -1;
  dl_exporter_escape_body(res->body, sizeof res->body, r.body, r.len);
  if (rc == DL_OK && grpc) {
    uint8_t *msg;
    size_t msg_len;
    dl_error ferr;
    if (dl_grpc_unframe(r.body, r.len, answer.gzip, DL_EXPORTER_MAX_RESPONSE, &msg, &msg_len,
                        &ferr) == DL_OK) {
      read_partial_success(res, msg, msg_len, 0);
      free(msg);
    } else {
      set_message(res, "accepted, but the answer does not decode: %s", ferr.text);
    }
  } else if (rc == DL_OK) {
    int json = answer_format(r.content_type, content_type);
    if (json >= 0) /* text/plain, HTML: nothing to read in it */
      read_partial_success(res, r.body, r.len, json);
  } else {
    res->permanent = r.permanent;
    set_message(res, "%s", herr.text);
    dl_fail(err, rc, "export failed: %s", herr.text);
  }
  dl_http_response_clear(&r);
  free(zipped);
  free(framed);
  return rc;
}

/* Milliseconds on a clock that never jumps. */
static int64_t
monotonic_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
dl_exporter_flush(dl_exporter *e, dl_ledger *ledger, const char *deployment_id, int force,
                  const dl_send_limits *limits, dl_flush_stats *stats, dl_error *err)
{
  memset(stats, 0, sizeof *stats);
  dl_spool_entry *items;
  size_t n;
  /* Claimed, so that another flush running meanwhile sends none of them. */
  int rc = dl_ledger_spool_claim(ledger, deployment_id, force ? INT64_MAX : dl_time_now(), &items,
                                 &n, err);
  if (rc)
    return rc;
  int once = limits && limits->once;
  /* The deploy path is bounded by the one timeout the user set. */
  long budget = limits && limits->deadline_ms > 0 ? limits->deadline_ms : 0;
  if (once && (!budget || budget > e->config.timeout_ms))
    budget = e->config.timeout_ms;
  int64_t deadline = budget ? monotonic_ms() + budget : 0;
  int stop = 0; /* the rest is not tried: the collector just failed */
  for (size_t i = 0; !rc && i < n; i++) {
    dl_spool_entry *it = &items[i];
    int64_t left = deadline ? deadline - monotonic_ms() : 0;
    if (stop || (deadline && left <= 0)) {
      if (!stop)
        snprintf(stats->last_failure, sizeof stats->last_failure,
                 "the deadline (%ld ms) came before every item was tried", budget);
      /* Given back at once: its claim would keep it from the next flush. */
      rc = dl_ledger_spool_release(ledger, it->id, err);
      stats->untried++;
      continue;
    }
    dl_send_limits item_limits = {once, deadline ? (long) left : 0};
    dl_send_result res;
    if (dl_exporter_send(e, it->payload, it->size, it->content_type, &item_limits, &res, NULL)
        == DL_OK) {
      rc = dl_ledger_spool_ack(ledger, it->id, err);
      stats->sent++;
      stats->spans += it->span_count;
      stats->rejected_spans += res.rejected_spans;
      continue;
    }
    snprintf(stats->last_failure, sizeof stats->last_failure, "%s", res.message);
    if (res.permanent && res.http_status) {
      dl_refusal why = {res.attempts, res.http_status, res.grpc_status, res.body, res.message};
      rc = dl_ledger_spool_dead_letter(ledger, it->id, &why, err);
      stats->dead_lettered++;
    } else {
      /* Down or overloaded: try again later, backing off per attempt, or
         when the collector asked if that is later (the wait a flush
         makes, never the deploy path: it never waits). */
      int shift = it->attempts < 10 ? it->attempts : 10;
      int64_t delay = (int64_t) e->config.initial_backoff_ms << shift;
      if (res.retry_after_ms > delay)
        delay = res.retry_after_ms;
      rc = dl_ledger_spool_retry_later(ledger, it->id, res.attempts,
                                       dl_time_now() + delay * 1000000, res.message, err);
      stats->retry_later++;
      /* The collector is down or overloaded (past every retry the limits
         allowed): the next items would only wait as long, and the deploy
         path must not wait at all. */
      stop = !res.permanent;
    }
  }
  dl_spool_entries_free(items, n);
  return rc;
}
