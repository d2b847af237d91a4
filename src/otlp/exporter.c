/* OTLP/HTTP export with libcurl. */
#define _GNU_SOURCE
#include "deploy-ledger/exporter.h"

#include <curl/curl.h>
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "deploy-ledger/ids.h"
#include "deploy-ledger/otlp-encode.h"
#include "deploy-ledger/time.h"

struct dl_exporter {
  dl_exporter_config config;
  CURL *curl;
};

static char *
dup_or_null(const char *s)
{
  return s ? strdup(s) : NULL;
}

/* The first of NAMES set in the environment. */
static const char *
env_first(const char *a, const char *b)
{
  const char *v = getenv(a);
  if (v && *v)
    return v;
  v = b ? getenv(b) : NULL;
  return v && *v ? v : NULL;
}

static int
percent_value(const char *s, size_t n, char *out)
{
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char) s[i + 1])
        && isxdigit((unsigned char) s[i + 2])) {
      char hex[3] = {s[i + 1], s[i + 2], 0};
      out[o++] = (char) strtol(hex, NULL, 16);
      i += 2;
    } else if (s[i] == '%') {
      return -1;
    } else {
      out[o++] = s[i];
    }
  }
  out[o] = '\0';
  return 0;
}

void
dl_exporter_config_clear(dl_exporter_config *c)
{
  free(c->endpoint);
  for (size_t i = 0; i < c->n_headers; i++) {
    free(c->headers[i].name);
    if (c->headers[i].value) /* wipe the secret before freeing it */
      memset(c->headers[i].value, 0, strlen(c->headers[i].value));
    free(c->headers[i].value);
  }
  free(c->headers);
  free(c->certificate);
  free(c->client_certificate);
  free(c->client_key);
  free(c->resource_attributes);
  memset(c, 0, sizeof *c);
}

int
dl_exporter_config_set_headers(dl_exporter_config *c, const char *text, dl_error *err)
{
  const char *p = text;
  while (p && *p) {
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t) (comma - p) : strlen(p);
    const char *eq = memchr(p, '=', len);
    if (len && !eq)
      return dl_fail(err, DL_EINVAL, "OTEL_EXPORTER_OTLP_HEADERS: an entry is not key=value "
                     "(entry %zu; values are not shown)", c->n_headers + 1);
    if (len) {
      size_t klen = (size_t) (eq - p), vlen = len - klen - 1;
      while (klen && isspace((unsigned char) p[klen - 1]))
        klen--;
      const char *k = p;
      while (klen && isspace((unsigned char) *k)) {
        k++;
        klen--;
      }
      const char *v = eq + 1;
      while (vlen && isspace((unsigned char) *v)) {
        v++;
        vlen--;
      }
      while (vlen && isspace((unsigned char) v[vlen - 1]))
        vlen--;
      dl_header_pair *grown = realloc(c->headers, (c->n_headers + 1) * sizeof *grown);
      if (!grown)
        return dl_fail(err, DL_ENOMEM, "out of memory");
      c->headers = grown;
      dl_header_pair *h = &c->headers[c->n_headers];
      h->name = malloc(klen + 1);
      h->value = malloc(vlen + 1);
      if (!h->name || !h->value || percent_value(k, klen, h->name)
          || percent_value(v, vlen, h->value) || !*h->name) {
        free(h->name);
        free(h->value);
        return dl_fail(err, DL_EINVAL, "OTEL_EXPORTER_OTLP_HEADERS: bad entry %zu (values are "
                       "not shown)", c->n_headers + 1);
      }
      c->n_headers++;
    }
    p += len + (comma ? 1 : 0);
  }
  return DL_OK;
}

int
dl_exporter_config_from_env(dl_exporter_config *c, int *configured, dl_error *err)
{
  memset(c, 0, sizeof *c);
  c->protocol = DL_PROTOCOL_PROTOBUF;
  c->timeout_ms = 10000;
  c->deadline_ms = 30000;
  c->initial_backoff_ms = 500;
  c->max_backoff_ms = 8000;
  const char *traces = env_first("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", NULL);
  const char *base = env_first("OTEL_EXPORTER_OTLP_ENDPOINT", NULL);
  *configured = traces || base;
  if (traces)
    c->endpoint = strdup(traces);
  else {
    const char *b = base ? base : "http://localhost:4318";
    size_t n = strlen(b);
    c->endpoint = malloc(n + 12);
    if (c->endpoint)
      sprintf(c->endpoint, "%.*s/v1/traces", (int) (n && b[n - 1] == '/' ? n - 1 : n), b);
  }
  if (!c->endpoint)
    return dl_fail(err, DL_ENOMEM, "out of memory");
  const char *protocol = env_first("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL");
  if (protocol && strcmp(protocol, "http/json") == 0)
    c->protocol = DL_PROTOCOL_JSON;
  else if (protocol && strcmp(protocol, "http/protobuf") != 0) {
    dl_exporter_config_clear(c);
    return dl_fail(err, DL_EINVAL, "OTEL_EXPORTER_OTLP_PROTOCOL \"%s\" is not supported "
                   "(http/protobuf or http/json)", protocol);
  }
  const char *timeout = env_first("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT");
  if (timeout) {
    char *end;
    long ms = strtol(timeout, &end, 10);
    if (*end || ms <= 0) {
      dl_exporter_config_clear(c);
      return dl_fail(err, DL_EINVAL, "OTEL_EXPORTER_OTLP_TIMEOUT \"%s\" is not a number of "
                     "milliseconds", timeout);
    }
    c->timeout_ms = ms;
  }
  const char *compression = env_first("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
                                      "OTEL_EXPORTER_OTLP_COMPRESSION");
  if (compression && strcmp(compression, "gzip") == 0)
    c->gzip = 1;
  else if (compression && strcmp(compression, "none") != 0) {
    dl_exporter_config_clear(c);
    return dl_fail(err, DL_EINVAL, "OTEL_EXPORTER_OTLP_COMPRESSION \"%s\" is not gzip or none",
                   compression);
  }
  c->certificate = dup_or_null(env_first("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
                                         "OTEL_EXPORTER_OTLP_CERTIFICATE"));
  c->client_certificate = dup_or_null(env_first("OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE",
                                                "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE"));
  c->client_key = dup_or_null(env_first("OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY",
                                        "OTEL_EXPORTER_OTLP_CLIENT_KEY"));
  c->resource_attributes = dup_or_null(getenv("OTEL_RESOURCE_ATTRIBUTES"));
  /* Generic headers first, so that the traces-specific ones win. */
  int rc = dl_exporter_config_set_headers(c, getenv("OTEL_EXPORTER_OTLP_HEADERS"), err);
  if (!rc)
    rc = dl_exporter_config_set_headers(c, getenv("OTEL_EXPORTER_OTLP_TRACES_HEADERS"), err);
  if (rc)
    dl_exporter_config_clear(c);
  return rc;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void
curl_init(void)
{
  curl_global_init(CURL_GLOBAL_DEFAULT);
}

int
dl_exporter_new(const dl_exporter_config *config, dl_exporter **out, dl_error *err)
{
  pthread_once(&curl_once, curl_init);
  dl_exporter *e = calloc(1, sizeof *e);
  if (!e)
    return dl_fail(err, DL_ENOMEM, "out of memory");
  dl_exporter_config *c = &e->config;
  *c = *config;
  c->endpoint = dup_or_null(config->endpoint);
  c->certificate = dup_or_null(config->certificate);
  c->client_certificate = dup_or_null(config->client_certificate);
  c->client_key = dup_or_null(config->client_key);
  c->resource_attributes = dup_or_null(config->resource_attributes);
  c->headers = config->n_headers ? calloc(config->n_headers, sizeof *c->headers) : NULL;
  for (size_t i = 0; c->headers && i < config->n_headers; i++) {
    c->headers[i].name = dup_or_null(config->headers[i].name);
    c->headers[i].value = dup_or_null(config->headers[i].value);
  }
  e->curl = curl_easy_init();
  if (!c->endpoint || (config->n_headers && !c->headers) || !e->curl) {
    dl_exporter_free(e);
    return dl_fail(err, DL_ENOMEM, "out of memory creating the exporter");
  }
  *out = e;
  return DL_OK;
}

void
dl_exporter_free(dl_exporter *e)
{
  if (!e)
    return;
  if (e->curl)
    curl_easy_cleanup(e->curl);
  dl_exporter_config_clear(&e->config);
  free(e);
}

char *
dl_exporter_describe(const dl_exporter *e)
{
  const dl_exporter_config *c = &e->config;
  size_t cap = 512 + strlen(c->endpoint);
  for (size_t i = 0; i < c->n_headers; i++)
    cap += strlen(c->headers[i].name) + 16;
  char *s = malloc(cap);
  if (!s)
    return NULL;
  size_t n = (size_t) snprintf(s, cap, "endpoint=%s protocol=%s compression=%s timeout=%ldms",
                               c->endpoint, c->protocol == DL_PROTOCOL_JSON ? "http/json" : "http/protobuf",
                               c->gzip ? "gzip" : "none", c->timeout_ms);
  for (size_t i = 0; i < c->n_headers; i++)
    n += (size_t) snprintf(s + n, cap - n, " header %s=<redacted>", c->headers[i].name);
  return s;
}

int
dl_exporter_encode(const dl_exporter *e, const dl_export_request *req, uint8_t **body,
                   size_t *len, const char **content_type, dl_error *err)
{
  if (e->config.protocol == DL_PROTOCOL_JSON) {
    *content_type = "application/json";
    return dl_otlp_encode_json(req, (char **) body, len, err);
  }
  *content_type = "application/x-protobuf";
  return dl_otlp_encode_protobuf(req, body, len, err);
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

typedef struct response {
  char body[4096];
  size_t len;
  long retry_after_ms; /* -1: none */
} response;

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
  response *r = arg;
  size_t total = size * n, room = sizeof r->body - 1 - r->len;
  size_t take = total < room ? total : room;
  memcpy(r->body + r->len, data, take);
  r->len += take;
  r->body[r->len] = '\0';
  return total;
}

static size_t
on_header(char *data, size_t size, size_t n, void *arg)
{
  response *r = arg;
  size_t total = size * n;
  if (total > 12 && strncasecmp(data, "Retry-After:", 12) == 0) {
    char value[128];
    size_t vlen = total - 12 < sizeof value - 1 ? total - 12 : sizeof value - 1;
    memcpy(value, data + 12, vlen);
    value[vlen] = '\0';
    char *v = value;
    while (*v == ' ' || *v == '\t')
      v++;
    v[strcspn(v, "\r\n")] = '\0';
    char *end;
    long secs = strtol(v, &end, 10);
    if (end != v && *end == '\0' && secs >= 0)
      r->retry_after_ms = secs * 1000;
    else {
      time_t when = curl_getdate(v, NULL); /* an HTTP date */
      if (when != -1) {
        long ms = (long) (when - time(NULL)) * 1000;
        r->retry_after_ms = ms > 0 ? ms : 0;
      }
    }
  }
  return total;
}

/* Reads varint at *P (< END); -1 when malformed. */
static int
read_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
  *v = 0;
  for (int shift = 0; shift < 64 && *p < end; shift += 7) {
    uint8_t b = *(*p)++;
    *v |= (uint64_t) (b & 0x7f) << shift;
    if (!(b & 0x80))
      return 0;
  }
  return -1;
}

/* partial_success of an ExportTraceServiceResponse, protobuf or JSON. */
static void
parse_partial_success(const response *r, int json, dl_send_result *res)
{
  if (json) {
    const char *rs = strstr(r->body, "\"rejectedSpans\"");
    if (rs && (rs = strchr(rs, ':'))) {
      while (*++rs == ' ' || *rs == '"')
        ;
      res->rejected_spans = strtol(rs, NULL, 10);
    }
    const char *m = strstr(r->body, "\"errorMessage\"");
    if (m && (m = strchr(m, ':')) && (m = strchr(m, '"'))) {
      size_t n = strcspn(m + 1, "\"");
      snprintf(res->message, sizeof res->message, "%.*s", (int) n, m + 1);
    }
    return;
  }
  const uint8_t *p = (const uint8_t *) r->body, *end = p + r->len;
  while (p < end) {
    uint64_t tag, len;
    if (read_varint(&p, end, &tag))
      return;
    if ((tag & 7) != 2) { /* only length-delimited fields matter here */
      uint64_t skip;
      if ((tag & 7) == 0 && !read_varint(&p, end, &skip))
        continue;
      return;
    }
    if (read_varint(&p, end, &len) || len > (uint64_t) (end - p))
      return;
    if (tag >> 3 == 1) { /* partial_success */
      const uint8_t *q = p, *qend = p + len;
      while (q < qend) {
        uint64_t t, v;
        if (read_varint(&q, qend, &t))
          return;
        if (t == (1 << 3 | 0) && !read_varint(&q, qend, &v))
          res->rejected_spans = (long) v;
        else if (t == (2 << 3 | 2) && !read_varint(&q, qend, &v) && v <= (uint64_t) (qend - q)) {
          snprintf(res->message, sizeof res->message, "%.*s", (int) v, (const char *) q);
          q += v;
        } else
          return;
      }
    }
    p += len;
  }
}

static int
retryable_status(long status)
{
  return status == 429 || status == 502 || status == 503 || status == 504;
}

static long
jittered(long ms)
{
  uint8_t r;
  if (dl_random_bytes(&r, 1, NULL))
    r = 128;
  return ms / 2 + (long) ((double) ms * r / 255.0); /* 0.5x to 1.5x */
}

static void
sleep_ms(long ms)
{
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0)
    ;
}

int
dl_exporter_send(dl_exporter *e, const void *body, size_t len, const char *content_type,
                 dl_send_result *res, dl_error *err)
{
  const dl_exporter_config *c = &e->config;
  memset(res, 0, sizeof *res);
  uint8_t *zipped = NULL;
  size_t zipped_len = 0;
  if (c->gzip) {
    int rc = gzip_body(body, len, &zipped, &zipped_len, err);
    if (rc)
      return rc;
    body = zipped;
    len = zipped_len;
  }
  struct curl_slist *headers = NULL;
  char line[512];
  snprintf(line, sizeof line, "Content-Type: %s", content_type);
  headers = curl_slist_append(headers, line);
  if (c->gzip)
    headers = curl_slist_append(headers, "Content-Encoding: gzip");
  headers = curl_slist_append(headers, "Expect:");
  for (size_t i = 0; i < c->n_headers; i++) {
    size_t n = strlen(c->headers[i].name) + strlen(c->headers[i].value) + 3;
    char *h = malloc(n);
    if (!h)
      continue;
    snprintf(h, n, "%s: %s", c->headers[i].name, c->headers[i].value);
    headers = curl_slist_append(headers, h);
    memset(h, 0, n);
    free(h);
  }
  CURL *curl = e->curl;
  curl_easy_reset(curl);
  curl_easy_setopt(curl, CURLOPT_URL, c->endpoint);
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) len);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, c->timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, c->timeout_ms);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "deploy-ledger/" PACKAGE_VERSION);
  if (c->certificate)
    curl_easy_setopt(curl, CURLOPT_CAINFO, c->certificate);
  if (c->client_certificate)
    curl_easy_setopt(curl, CURLOPT_SSLCERT, c->client_certificate);
  if (c->client_key)
    curl_easy_setopt(curl, CURLOPT_SSLKEY, c->client_key);

  int64_t deadline = dl_time_now() + (int64_t) c->deadline_ms * 1000000;
  long backoff = c->initial_backoff_ms;
  int rc = DL_EHTTP;
  for (;;) {
    response r = {.retry_after_ms = -1};
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &r);
    CURLcode cc = curl_easy_perform(curl);
    res->attempts++;
    long status = 0;
    if (cc == CURLE_OK)
      curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    res->http_status = (int) status;
    snprintf(res->body, sizeof res->body, "%.*s", (int) (r.len < sizeof res->body - 1 ? r.len : sizeof res->body - 1), r.body);
    if (cc == CURLE_OK && status >= 200 && status < 300) {
      parse_partial_success(&r, strstr(content_type, "json") != NULL, res);
      rc = DL_OK;
      break;
    }
    int retry = cc != CURLE_OK ? cc != CURLE_URL_MALFORMAT && cc != CURLE_UNSUPPORTED_PROTOCOL
                               : retryable_status(status);
    if (cc != CURLE_OK)
      snprintf(res->message, sizeof res->message, "%s: %s", c->endpoint, curl_easy_strerror(cc));
    else
      snprintf(res->message, sizeof res->message, "%s answered HTTP %ld", c->endpoint, status);
    if (!retry) {
      res->permanent = 1;
      break;
    }
    long wait = r.retry_after_ms >= 0 ? r.retry_after_ms : jittered(backoff);
    if (dl_time_now() + (int64_t) wait * 1000000 > deadline)
      break;
    sleep_ms(wait);
    backoff = backoff * 2 > c->max_backoff_ms ? c->max_backoff_ms : backoff * 2;
  }
  curl_slist_free_all(headers);
  free(zipped);
  if (rc)
    dl_fail(err, DL_EHTTP, "export failed after %d attempt%s: %s", res->attempts,
            res->attempts == 1 ? "" : "s", res->message);
  return rc;
}

int
dl_exporter_flush(dl_exporter *e, dl_ledger *ledger, const char *deployment_id, int force,
                  dl_flush_stats *stats, dl_error *err)
{
  memset(stats, 0, sizeof *stats);
  dl_spool_entry *items;
  size_t n;
  int rc = dl_ledger_spool_pending(ledger, 0, force ? INT64_MAX : dl_time_now(), &items, &n, err);
  if (rc)
    return rc;
  for (size_t i = 0; !rc && i < n; i++) {
    dl_spool_entry *it = &items[i];
    if (deployment_id && (!it->deployment_id || strcmp(it->deployment_id, deployment_id) != 0))
      continue;
    dl_send_result res;
    if (dl_exporter_send(e, it->payload, it->size, it->content_type, &res, NULL) == DL_OK) {
      rc = dl_ledger_spool_ack(ledger, it->id, err);
      stats->sent++;
      stats->spans += it->span_count;
      stats->rejected_spans += res.rejected_spans;
    } else if (res.permanent && res.http_status) {
      rc = dl_ledger_spool_dead_letter(ledger, it->id, res.http_status, res.body, res.message, err);
      stats->dead_lettered++;
    } else {
      /* Down or overloaded: try again later, backing off per attempt. */
      long delay = e->config.initial_backoff_ms << (it->attempts < 10 ? it->attempts : 10);
      rc = dl_ledger_spool_retry_later(ledger, it->id, dl_time_now() + (int64_t) delay * 1000000,
                                       res.message, err);
      stats->retry_later++;
    }
  }
  dl_spool_entries_free(items, n);
  return rc;
}
