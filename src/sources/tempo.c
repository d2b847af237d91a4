/* Grafana Tempo over HTTP: /api/search (TraceQL q, start and end in
   seconds, limit) for the trace ids of each slice, then
   /api/traces/<id> for each new one (OTLP protobuf, or JSON). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sources/fetch.h"
#include "ingest/json-scanner.h"
#include "ingest/row-builder.h"
#include "net/excerpt.h"

#define PREFIX "DEPLOY_LEDGER_TEMPO"

typedef struct tempo_ctx {
  const dl_trace_query *q;
  const char *traceql;
} tempo_ctx;

/* Fetches one trace by id; a 404 (expired since the search) is skipped. */
static int
fetch_trace(dl_fetch *f, const char *base, const uint8_t id[16], dl_error *err)
{
  char hex[33], path[64];
  dl_hex_encode(id, 16, hex);
  snprintf(path, sizeof path, "/api/traces/%s", hex);
  char *url = dl_http_url(base, path, NULL, 0);
  if (!url)
    return dl_fail(err, DL_ENOMEM, "out of memory");
  char shown[600];
  dl_http_redact(url, shown, sizeof shown);
  dl_http_response r;
  int rc = dl_http_get(f->http, url, "application/protobuf, application/json;q=0.9", &r, err);
  free(url);
  if (rc)
    return rc;
  if (r.status == 404) {
    dl_http_response_clear(&r);
    return DL_OK;
  }
  dl_trace_set *scratch;
  size_t traces;
  rc = dl_fetch_decode(f, r.body, r.len, shown, &scratch, &traces, err);
  dl_http_response_clear(&r);
  if (rc)
    return rc;
  rc = dl_fetch_commit(f, scratch, err);
  dl_trace_set_free(scratch);
  /* An empty trace still counts as taken: do not ask again. */
  if (rc == DL_OK && !dl_fetch_seen(f, id))
    rc = dl_fetch_note_id(f, id) ? dl_fail(err, DL_ENOMEM, "out of memory") : DL_OK;
  return rc;
}

/* The trace ids of a search answer. */
typedef struct search_ids {
  uint8_t (*ids)[16];
  size_t n, cap;
} search_ids;

/* One element of "traces": its "traceID" (Tempo drops leading zeros). */
static int
search_trace(dl_js *js, search_ids *out)
{
  int have = 0;
  int more = dl_js_object_begin(js);
  while (more > 0) {
    dl_str k;
    if (dl_js_key(js, &k))
      return -1;
    dl_js_push_key(js, k);
    if (k.len == 7 && memcmp(k.ptr, "traceID", 7) == 0) {
      dl_str v;
      if (dl_js_string(js, DL_JS_SLOT_VALUE, &v))
        return -1;
      if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 64;
        uint8_t(*grown)[16] = realloc(out->ids, cap * 16);
        if (!grown)
          return dl_js_fail(js, DL_ENOMEM, "out of memory");
        out->ids = grown;
        out->cap = cap;
      }
      if (dl_id_from_text(v.ptr, v.len, out->ids[out->n], 16, 1))
        return dl_js_fail(js, DL_EPARSE, "not a trace id");
      have = 1;
    } else if (dl_js_skip(js)) {
      return -1;
    }
    dl_js_pop(js);
    more = dl_js_object_next(js);
  }
  if (more < 0)
    return -1;
  if (!have)
    return dl_js_fail(js, DL_EPARSE, "a trace without a traceID");
  out->n++;
  return 0;
}

/* {"traces": [{"traceID": ...}, ...], ...}, scanned without a tree. */
static int
search_answer(const char *body, size_t len, const char *source, search_ids *out, dl_error *err)
{
  dl_js js;
  dl_js_init(&js, body, len, source, err);
  int more = dl_js_peek(&js) == '{'
               ? dl_js_object_begin(&js)
               : dl_js_fail(&js, DL_EPARSE, "not JSON, or not an object: a Tempo search answer "
                            "is {\"traces\": [...]}");
  while (more > 0) {
    dl_str k;
    if (dl_js_key(&js, &k))
      break;
    dl_js_push_key(&js, k);
    if (k.len == 6 && memcmp(k.ptr, "traces", 6) == 0) {
      long i = 0;
      int item = dl_js_array_begin(&js);
      if (item > 0)
        dl_js_push_index(&js, 0);
      while (item > 0) {
        dl_js_set_index(&js, i++);
        if (search_trace(&js, out))
          break;
        item = dl_js_array_next(&js);
      }
      if (i > 0 && !js.code)
        dl_js_pop(&js);
    } else {
      dl_js_skip(&js);
    }
    if (js.code)
      break;
    dl_js_pop(&js);
    more = dl_js_object_next(&js);
  }
  if (!js.code && dl_js_peek(&js) != -1)
    dl_js_fail(&js, DL_EPARSE, "more after the search answer's object");
  int rc = js.code;
  dl_js_release(&js);
  if (rc) {
    free(out->ids);
    out->ids = NULL;
    out->n = 0;
  }
  return rc;
}

static int
tempo_slice(dl_fetch *f, int64_t start, int64_t end, int can_split, void *ctxp, dl_error *err)
{
  tempo_ctx *ctx = ctxp;
  const dl_trace_query *q = ctx->q;
  char s[24], e[24], limit[24];
  /* Tempo counts seconds: widen to whole seconds. */
  snprintf(s, sizeof s, "%" PRId64, (int64_t) (start / 1000000000LL));
  snprintf(e, sizeof e, "%" PRId64, (int64_t) ((end + 999999999LL) / 1000000000LL));
  snprintf(limit, sizeof limit, "%d", q->limit);
  const char *pairs[] = {"q", ctx->traceql, "start", s, "end", e, "limit", limit};
  char *url = dl_http_url(q->url, "/api/search", pairs, 8);
  if (!url)
    return dl_fail(err, DL_ENOMEM, "out of memory"), -1;
  char shown[1200];
  dl_http_redact(url, shown, sizeof shown);
  dl_http_response r;
  int rc = dl_fetch_get_capped(f->http, url, DL_SEARCH_MAX_BYTES, "a Tempo search answer", &r,
                               err);
  free(url);
  if (rc)
    return -1;
  if (r.status != 200) {
    char excerpt[121];
    dl_http_excerpt(excerpt, sizeof excerpt, r.body, r.len);
    dl_fail(err, DL_EHTTP, "%s: HTTP %ld: not a Tempo search answer: %s", shown, r.status,
            excerpt);
    dl_http_response_clear(&r);
    return -1;
  }
  search_ids found = {0};
  rc = search_answer(r.body, r.len, shown, &found, err);
  dl_http_response_clear(&r);
  if (rc)
    return -1;
  if (can_split && q->limit > 0 && found.n >= (size_t) q->limit) {
    free(found.ids);
    return 1;
  }
  for (size_t i = 0; i < found.n && rc == DL_OK; i++)
    if (!dl_fetch_seen(f, found.ids[i]))
      rc = fetch_trace(f, q->url, found.ids[i], err);
  free(found.ids);
  return rc ? -1 : 0;
}

/* {resource.service.name="SERVICE" && name="OPERATION"}, quotes escaped. */
static char *
default_traceql(const dl_trace_query *q)
{
  size_t cap = 64 + 2 * (q->service ? strlen(q->service) : 0) +
               2 * (q->operation ? strlen(q->operation) : 0);
  char *s = malloc(cap);
  if (!s)
    return NULL;
  size_t n = (size_t) snprintf(s, cap, "{");
  const char *parts[2][2] = {{"resource.service.name", q->service}, {"name", q->operation}};
  int any = 0;
  for (int p = 0; p < 2; p++) {
    if (!parts[p][1] || !*parts[p][1])
      continue;
    n += (size_t) snprintf(s + n, cap - n, "%s%s=\"", any ? " && " : "", parts[p][0]);
    for (const char *c = parts[p][1]; *c; c++) {
      if (*c == '"' || *c == '\\')
        s[n++] = '\\';
      s[n++] = *c;
    }
    s[n++] = '"';
    any = 1;
  }
  snprintf(s + n, cap - n, "}");
  return s;
}

int
dl_tempo_fetch(dl_trace_set *set, const dl_trace_query *q, const dl_http_options *http,
               const dl_ingest_options *ingest, dl_fetch_stats *stats, dl_error *err)
{
  dl_error local;
  if (!err)
    err = &local;
  if (stats)
    memset(stats, 0, sizeof *stats);
  if (!q || !q->url || !*q->url)
    return dl_fail(err, DL_EINVAL, "a Tempo query needs the URL of Tempo");
  int checked = dl_fetch_check_window(q, err);
  if (checked)
    return checked;
  dl_trace_query query = *q;
  if (query.limit <= 0)
    query.limit = 1000;
  char *traceql = q->traceql && *q->traceql ? NULL : default_traceql(q);
  if (!(q->traceql && *q->traceql) && !traceql)
    return dl_fail(err, DL_ENOMEM, "out of memory");
  tempo_ctx ctx = {&query, traceql ? traceql : q->traceql};
  dl_fetch f;
  int rc = dl_fetch_begin(&f, set, http, PREFIX, ingest, err);
  if (rc == DL_OK)
    rc = dl_fetch_window(&f, q, 1000000000LL, tempo_slice, &ctx, err);
  free(traceql);
  return dl_fetch_end(&f, rc, stats);
}
