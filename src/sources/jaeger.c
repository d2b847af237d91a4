/* Jaeger over HTTP: api/v3 (Jaeger v2: /api/v3/traces with query.*
   parameters, OTLP JSON in "result"; /api/v3/services) or the v1 JSON API
   (/api/traces with service, start/end in microseconds, limit;
   /api/services), chosen by the query or detected. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sources/fetch.h"
#include "deploy-ledger/time.h"
#include "net/excerpt.h"

#define PREFIX "DEPLOY_LEDGER_JAEGER"

typedef struct jaeger_ctx {
  const dl_trace_query *q;
  int api;
} jaeger_ctx;

/* Which API answers at URL: v3 if /api/v3/services does, else v1.  The
   probes' answers are lists of services: capped as such and scanned,
   never parsed into a tree. */
static int
detect_api(dl_http *http, const char *url, int *api, dl_error *err)
{
  static const struct {
    const char *path, *key;
    int api;
  } probes[] = {{"/api/v3/services", "services", DL_JAEGER_API_V3},
                {"/api/services", "data", DL_JAEGER_API_V1}};
  for (size_t i = 0; i < 2; i++) {
    char *u = dl_http_url(url, probes[i].path, NULL, 0);
    if (!u)
      return dl_fail(err, DL_ENOMEM, "out of memory");
    char shown[300];
    dl_http_redact(u, shown, sizeof shown);
    dl_http_response r;
    int rc = dl_fetch_get_capped(http, u, DL_SERVICES_MAX_BYTES, "a list of services", &r, err);
    free(u);
    if (rc) {
      /* A server that answers v3 paths with a client error may still
         speak v1; one that does not answer at all (a timeout, a refused
         connection, a 5xx) fails both, and the deadline is shared. */
      if (i == 0 && rc == DL_EHTTP && r.status >= 400 && r.status < 500)
        continue;
      return rc;
    }
    dl_error ignored;
    int ok = r.status == 200
             && dl_fetch_name_list(r.body, r.len, shown, probes[i].key, DL_SERVICES_MAX_NAMES,
                                   NULL, NULL, &ignored) == DL_OK;
    dl_http_response_clear(&r);
    if (ok) {
      *api = probes[i].api;
      return DL_OK;
    }
  }
  char shown[300];
  dl_http_redact(url, shown, sizeof shown);
  return dl_fail(err, DL_EHTTP, "%s answers neither Jaeger's api/v3 nor its v1 API", shown);
}

static int
jaeger_slice(dl_fetch *f, int64_t start, int64_t end, int can_split, void *ctxp, dl_error *err)
{
  jaeger_ctx *ctx = ctxp;
  const dl_trace_query *q = ctx->q;
  char limit[24], a[DL_TIME_TEXT_SIZE], b[DL_TIME_TEXT_SIZE], s_us[24], e_us[24];
  snprintf(limit, sizeof limit, "%d", q->limit);
  char *url;
  if (ctx->api == DL_JAEGER_API_V3) {
    const char *pairs[] = {"query.service_name", q->service,
                           "query.operation_name", q->operation,
                           "query.start_time_min", dl_time_format(start, a),
                           "query.start_time_max", dl_time_format(end, b),
                           "query.num_traces", limit};
    url = dl_http_url(q->url, "/api/v3/traces", pairs, 10);
  } else {
    /* v1 counts microseconds; round the end up so no span is lost. */
    snprintf(s_us, sizeof s_us, "%" PRId64, start / 1000);
    snprintf(e_us, sizeof e_us, "%" PRId64, (end + 999) / 1000);
    const char *pairs[] = {"service", q->service, "operation", q->operation, "start", s_us,
                           "end", e_us, "limit", limit};
    url = dl_http_url(q->url, "/api/traces", pairs, 10);
  }
  if (!url)
    return dl_fail(err, DL_ENOMEM, "out of memory"), -1;
  dl_http_response r;
  int rc = dl_http_get(f->http, url, "application/json", &r, err);
  char shown[600];
  dl_http_redact(url, shown, sizeof shown);
  free(url);
  if (rc)
    return -1;
  /* api/v3 answers "no traces" with 404 and an error object. */
  if (r.status == 404 && ctx->api == DL_JAEGER_API_V3) {
    dl_http_response_clear(&r);
    return 0;
  }
  if (r.status == 404) {
    char excerpt[161];
    dl_http_excerpt(excerpt, sizeof excerpt, r.body, r.len);
    dl_fail(err, DL_EHTTP, "GET %s: HTTP 404: %s", shown, excerpt);
    dl_http_response_clear(&r);
    return -1;
  }
  dl_trace_set *scratch;
  size_t traces;
  rc = dl_fetch_decode(f, r.body, r.len, shown, &scratch, &traces, err);
  dl_http_response_clear(&r);
  if (rc)
    return -1;
  if (can_split && q->limit > 0 && traces >= (size_t) q->limit) {
    dl_trace_set_free(scratch);
    return 1;
  }
  rc = dl_fetch_commit(f, scratch, err);
  dl_trace_set_free(scratch);
  return rc ? -1 : 0;
}

int
dl_jaeger_fetch(dl_trace_set *set, const dl_trace_query *q, const dl_http_options *http,
                const dl_ingest_options *ingest, dl_fetch_stats *stats, dl_error *err)
{
  dl_error local;
  if (!err)
    err = &local;
  if (stats)
    memset(stats, 0, sizeof *stats);
  if (!q || !q->url || !*q->url)
    return dl_fail(err, DL_EINVAL, "a Jaeger query needs the URL of the query service");
  if (!q->service || !*q->service)
    return dl_fail(err, DL_EINVAL, "a Jaeger query needs a service name");
  int checked = dl_fetch_check_window(q, err);
  if (checked)
    return checked;
  dl_trace_query query = *q;
  if (query.limit <= 0)
    query.limit = 1000;
  dl_fetch f;
  int rc = dl_fetch_begin(&f, set, http, PREFIX, ingest, err);
  if (rc)
    return dl_fetch_end(&f, rc, stats);
  jaeger_ctx ctx = {&query, q->api};
  if (ctx.api != DL_JAEGER_API_V1 && ctx.api != DL_JAEGER_API_V3)
    rc = detect_api(f.http, q->url, &ctx.api, err);
  f.stats.api = ctx.api;
  if (rc == DL_OK)
    rc = dl_fetch_window(&f, q, 1000000000LL, jaeger_slice, &ctx, err);
  return dl_fetch_end(&f, rc, stats);
}

static int
compare_strings(const void *a, const void *b)
{
  return strcmp(*(char *const *) a, *(char *const *) b);
}

int
dl_jaeger_services(const char *url, int api, const dl_http_options *http, char ***names,
                   size_t *n, dl_error *err)
{
  dl_error local;
  if (!err)
    err = &local;
  *names = NULL;
  *n = 0;
  if (!url || !*url)
    return dl_fail(err, DL_EINVAL, "no Jaeger URL");
  dl_http *h = dl_http_new(http, PREFIX, err);
  if (!h)
    return err && err->code ? err->code : DL_ENOMEM;
  int rc = DL_OK;
  if (api != DL_JAEGER_API_V1 && api != DL_JAEGER_API_V3)
    rc = detect_api(h, url, &api, err);
  char *u = NULL;
  dl_http_response r = {0};
  if (rc == DL_OK) {
    u = dl_http_url(url, api == DL_JAEGER_API_V3 ? "/api/v3/services" : "/api/services", NULL, 0);
    rc = u ? dl_fetch_get_capped(h, u, DL_SERVICES_MAX_BYTES, "a list of services", &r, err)
           : dl_fail(err, DL_ENOMEM, "out of memory");
  }
  if (rc == DL_OK) {
    char shown[300];
    dl_http_redact(u, shown, sizeof shown);
    char excerpt[121];
    dl_http_excerpt(excerpt, sizeof excerpt, r.body, r.len);
    if (r.status != 200)
      rc = dl_fail(err, DL_EHTTP, "%s: HTTP %ld, not a list of services: %s", shown, r.status,
                   excerpt);
    else
      rc = dl_fetch_name_list(r.body, r.len, shown, api == DL_JAEGER_API_V3 ? "services" : "data",
                              DL_SERVICES_MAX_NAMES, names, n, err);
    if (rc == DL_OK && *n > 1)
      qsort(*names, *n, sizeof **names, compare_strings);
  }
  dl_http_response_clear(&r);
  free(u);
  dl_http_free(h);
  return rc;
}
