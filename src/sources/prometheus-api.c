/* Prometheus' HTTP API through the library's one HTTP client: instant and
   range queries, their JSON answers read with the streaming scanner
   straight into the series store (no document tree: a range query may
   answer with millions of samples, bounded by the store's limits and the
   client's max_bytes). */
#include "sources/prometheus-store.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/json-scanner.h"
#include "net/http.h"

#define MAX_LABELS 128 /* labels of one series in an answer */

struct dl_prom_client {
  char *url;
  dl_http *http;
};

dl_prom_client *
dl_prom_client_new(const char *url, const dl_http_options *http, dl_error *err)
{
  if (!url || !*url) {
    dl_fail(err, DL_EINVAL, "a Prometheus source needs the server's URL (http://host:9090)");
    return NULL;
  }
  if (dl_http_url_check(url, "the Prometheus URL", err))
    return NULL;
  dl_prom_client *c = calloc(1, sizeof *c);
  if (!c || !(c->url = strdup(url))) {
    free(c);
    dl_fail(err, DL_ENOMEM, "out of memory");
    return NULL;
  }
  c->http = dl_http_new(http, DL_PROM_CREDENTIALS, err);
  if (!c->http) {
    free(c->url);
    free(c);
    return NULL;
  }
  return c;
}

void
dl_prom_client_free(dl_prom_client *c)
{
  if (!c)
    return;
  dl_http_free(c->http);
  free(c->url);
  free(c);
}

size_t
dl_prom_client_requests(const dl_prom_client *c)
{
  return dl_http_requests(c->http);
}

/* ---- answers ---- */

typedef struct answer {
  dl_js js;
  dl_prom_data *out;
  char kind[16]; /* resultType */
} answer;

static int
key_is(dl_str k, const char *name)
{
  return k.len == strlen(name) && memcmp(k.ptr, name, k.len) == 0;
}

/* A time in seconds (a JSON number) into ns, at millisecond precision. */
static int
read_time(answer *a, int64_t *out)
{
  double x;
  if (dl_js_double(&a->js, &x))
    return -1;
  if (!isfinite(x) || fabs(x) > 9.2e9)
    return dl_js_fail(&a->js, DL_EPARSE, "a sample time of %g s is out of range", x);
  *out = (int64_t) llround(x * 1e3) * INT64_C(1000000);
  return 0;
}

/* [time, "value"] */
static int
read_pair(answer *a, int64_t *t, double *v)
{
  if (dl_js_array_begin(&a->js) <= 0)
    return a->js.code ? -1 : dl_js_fail(&a->js, DL_EPARSE, "expected [time, \"value\"]");
  if (read_time(a, t))
    return -1;
  if (dl_js_array_next(&a->js) <= 0)
    return a->js.code ? -1 : dl_js_fail(&a->js, DL_EPARSE, "expected [time, \"value\"]");
  dl_str s;
  if (dl_js_string(&a->js, DL_JS_SLOT_VALUE, &s))
    return -1;
  /* Values come as strings: "1.5", "NaN", "+Inf", "-Inf". */
  if (s.len == 4 && memcmp(s.ptr, "+Inf", 4) == 0)
    *v = INFINITY;
  else if (s.len == 4 && memcmp(s.ptr, "-Inf", 4) == 0)
    *v = -INFINITY;
  else if (s.len == 3 && memcmp(s.ptr, "NaN", 3) == 0)
    *v = NAN;
  else if (dl_parse_double(s.ptr, s.len, v))
    return dl_js_fail(&a->js, DL_EPARSE, "sample value \"%.*s\" is not a number",
                      (int) (s.len > 40 ? 40 : s.len), s.ptr);
  if (dl_js_array_next(&a->js) != 0)
    return a->js.code ? -1 : dl_js_fail(&a->js, DL_EPARSE, "expected ']' after a sample");
  return 0;
}

/* {"name": "value", ...}: the labels, __name__ apart.  The strings are
   copied into OWNED (they must outlive the scanner's scratch). */
static int
read_metric(answer *a, char **owned, dl_prom_label *labels, size_t *n, char **name)
{
  *n = 0;
  *name = NULL;
  int more = dl_js_object_begin(&a->js);
  while (more > 0) {
    dl_str k, v;
    if (dl_js_key(&a->js, &k))
      return -1;
    char *kc = strndup(k.ptr, k.len);
    if (!kc)
      return dl_js_fail(&a->js, DL_ENOMEM, "out of memory");
    owned[2 * *n] = kc;
    if (dl_js_string(&a->js, DL_JS_SLOT_VALUE, &v))
      return -1;
    char *vc = strndup(v.ptr, v.len);
    if (!vc)
      return dl_js_fail(&a->js, DL_ENOMEM, "out of memory");
    owned[2 * *n + 1] = vc;
    if (strcmp(kc, "__name__") == 0) {
      *name = vc;
    } else {
      labels[*n].name = kc;
      labels[*n].value = vc;
    }
    (*n)++; /* __name__ takes a slot too; moved out below */
    if (*n >= MAX_LABELS)
      return dl_js_fail(&a->js, DL_ERANGE, "a series with more than %d labels", MAX_LABELS);
    more = dl_js_object_next(&a->js);
  }
  if (more < 0)
    return -1;
  /* Squeeze out the __name__ slot. */
  size_t w = 0;
  for (size_t i = 0; i < *n; i++)
    if (strcmp(owned[2 * i], "__name__") != 0)
      labels[w++] = (dl_prom_label){owned[2 * i], owned[2 * i + 1]};
  *n = w;
  return 0;
}

static int
add(answer *a, const char *name, const dl_prom_label *labels, size_t n, int64_t t, double v)
{
  dl_error *err = a->js.err;
  int rc = dl_prom_data_add(a->out, name ? name : "", labels, n, t, v, NULL, err);
  if (rc) {
    a->js.code = rc;
    return -1;
  }
  return 0;
}

/* One element of a vector or matrix result. */
static int
read_series(answer *a)
{
  char *owned[2 * MAX_LABELS] = {0};
  dl_prom_label labels[MAX_LABELS];
  size_t n = 0;
  char *name = NULL;
  int rc = 0;
  int more = dl_js_object_begin(&a->js);
  while (more > 0 && rc == 0) {
    dl_str k;
    if (dl_js_key(&a->js, &k)) {
      rc = -1;
      break;
    }
    if (key_is(k, "metric")) {
      dl_js_push_key(&a->js, (dl_str){"metric", 6});
      for (size_t i = 0; i < 2 * MAX_LABELS; i++) {
        free(owned[i]);
        owned[i] = NULL;
      }
      rc = read_metric(a, owned, labels, &n, &name);
      dl_js_pop(&a->js);
    } else if (key_is(k, "value")) {
      int64_t t;
      double v;
      dl_js_push_key(&a->js, (dl_str){"value", 5});
      rc = read_pair(a, &t, &v);
      if (!rc)
        rc = add(a, name, labels, n, t, v);
      dl_js_pop(&a->js);
    } else if (key_is(k, "values")) {
      dl_js_push_key(&a->js, (dl_str){"values", 6});
      int m = dl_js_array_begin(&a->js);
      long i = 0;
      dl_js_push_index(&a->js, 0);
      while (m > 0 && rc == 0) {
        int64_t t;
        double v;
        dl_js_set_index(&a->js, i++);
        rc = read_pair(a, &t, &v);
        if (!rc)
          rc = add(a, name, labels, n, t, v);
        if (!rc)
          m = dl_js_array_next(&a->js);
      }
      if (m < 0)
        rc = -1;
      dl_js_pop(&a->js);
      dl_js_pop(&a->js);
    } else {
      rc = dl_js_skip(&a->js);
    }
    if (rc == 0)
      more = dl_js_object_next(&a->js);
  }
  if (more < 0)
    rc = -1;
  for (size_t i = 0; i < 2 * MAX_LABELS; i++)
    free(owned[i]);
  return rc;
}

/* A result of the answer's resultType.  Prometheus writes each series'
   "metric" before its "value" or "values", which is what lets samples go
   straight into the store. */
static int
read_result(answer *a)
{
  if (strcmp(a->kind, "scalar") == 0) {
    int64_t t;
    double v;
    if (read_pair(a, &t, &v))
      return -1;
    return add(a, "scalar", NULL, 0, t, v);
  }
  if (strcmp(a->kind, "vector") != 0 && strcmp(a->kind, "matrix") != 0) {
    if (!a->kind[0])
      return dl_js_fail(&a->js, DL_EPARSE, "the answer gives no resultType before its result");
    return dl_js_fail(&a->js, DL_EPARSE, "a query answering with a %s cannot be used: ask for "
                      "a vector, matrix or scalar", a->kind);
  }
  int more = dl_js_array_begin(&a->js);
  long i = 0;
  dl_js_push_index(&a->js, 0);
  while (more > 0) {
    dl_js_set_index(&a->js, i++);
    if (read_series(a))
      return -1;
    more = dl_js_array_next(&a->js);
  }
  dl_js_pop(&a->js);
  return more < 0 ? -1 : 0;
}

static int
read_data(answer *a)
{
  int more = dl_js_object_begin(&a->js);
  while (more > 0) {
    dl_str k;
    if (dl_js_key(&a->js, &k))
      return -1;
    if (key_is(k, "resultType")) {
      dl_str s;
      if (dl_js_string(&a->js, DL_JS_SLOT_VALUE, &s))
        return -1;
      snprintf(a->kind, sizeof a->kind, "%.*s", (int) s.len, s.ptr);
    } else if (key_is(k, "result")) {
      dl_js_push_key(&a->js, (dl_str){"result", 6});
      if (read_result(a))
        return -1;
      dl_js_pop(&a->js);
    } else if (dl_js_skip(&a->js)) {
      return -1;
    }
    more = dl_js_object_next(&a->js);
  }
  return more < 0 ? -1 : 0;
}

int
dl_prom_parse_answer(const char *body, size_t len, const char *source, dl_prom_data *out,
                     dl_error *err)
{
  answer a;
  memset(&a, 0, sizeof a);
  a.out = out;
  dl_js_init(&a.js, body, len, source, err);
  char status[16] = "", error_type[64] = "", error[240] = "";
  int more = dl_js_object_begin(&a.js);
  while (more > 0) {
    dl_str k;
    if (dl_js_key(&a.js, &k))
      break;
    if (key_is(k, "status") || key_is(k, "errorType") || key_is(k, "error")) {
      dl_str s;
      if (dl_js_string(&a.js, DL_JS_SLOT_VALUE, &s))
        break;
      char *dst = key_is(k, "status") ? status : key_is(k, "error") ? error : error_type;
      size_t cap = key_is(k, "status") ? sizeof status : key_is(k, "error") ? sizeof error
                                                                            : sizeof error_type;
      snprintf(dst, cap, "%.*s", (int) s.len, s.ptr);
    } else if (key_is(k, "data")) {
      dl_js_push_key(&a.js, (dl_str){"data", 4});
      if (read_data(&a))
        break;
      dl_js_pop(&a.js);
    } else if (dl_js_skip(&a.js)) {
      break;
    }
    more = dl_js_object_next(&a.js);
  }
  int rc = a.js.code;
  dl_js_release(&a.js);
  if (rc)
    return rc;
  if (strcmp(status, "success") != 0) {
    if (status[0])
      return dl_fail(err, DL_EHTTP, "%s: Prometheus answered %s (%s): %s", source, status,
                     error_type[0] ? error_type : "no type", error[0] ? error : "no message");
    return dl_fail(err, DL_EPARSE, "%s: not a Prometheus API answer (no \"status\")", source);
  }
  return DL_OK;
}

/* ---- requests ---- */

static void
seconds(int64_t ns, char *buf, size_t size)
{
  /* Milliseconds are all Prometheus keeps. */
  int64_t ms = ns / 1000000;
  snprintf(buf, size, "%s%" PRId64 ".%03" PRId64, ms < 0 ? "-" : "", (ms < 0 ? -ms : ms) / 1000,
           (ms < 0 ? -ms : ms) % 1000);
}

/* PAIRS holds N strings: keys and values in turn (dl_http_url). */
static int
request(dl_prom_client *c, const char *path, const char *const *pairs, size_t n,
        const char *query, dl_prom_data *out, dl_error *err)
{
  char *url = dl_http_url(c->url, path, pairs, n);
  if (!url)
    return dl_fail(err, DL_ENOMEM, "out of memory");
  char shown[300];
  dl_http_redact(c->url, shown, sizeof shown);
  char source[400];
  snprintf(source, sizeof source, "Prometheus %s%s", shown, path);
  dl_http_request req = {0};
  req.url = url;
  req.accept = "application/json";
  dl_http_response r;
  memset(&r, 0, sizeof r);
  int rc = dl_http_perform(c->http, &req, &r, err);
  free(url);
  if (rc && r.body && r.status >= 400 && r.status < 500) {
    /* Prometheus says what is wrong with the query (400 bad_data, 422
       execution): its words, not the HTTP status alone. */
    dl_error inner;
    dl_error_clear(&inner);
    dl_prom_data *scratch = dl_prom_data_new(NULL);
    if (scratch && dl_prom_parse_answer(r.body, r.len, source, scratch, &inner) == DL_EHTTP)
      rc = dl_fail(err, DL_EINVAL, "%s; the query was: %.200s", inner.text, query);
    dl_prom_data_free(scratch);
  }
  if (rc == DL_OK)
    rc = dl_prom_parse_answer(r.body ? r.body : "", r.body ? r.len : 0, source, out, err);
  dl_http_response_clear(&r);
  return rc;
}

int
dl_prom_query(dl_prom_client *c, const char *query, int64_t t, dl_prom_data *out, dl_error *err)
{
  char ts[40];
  seconds(t, ts, sizeof ts);
  const char *pairs[] = {"query", query, "time", ts};
  return request(c, "/api/v1/query", pairs, 4, query, out, err);
}

int
dl_prom_query_range(dl_prom_client *c, const char *query, int64_t start, int64_t end,
                    int64_t step, dl_prom_data *out, dl_error *err)
{
  char s[40], e[40], st[40];
  if (step <= 0 || end < start)
    return dl_fail(err, DL_EINVAL, "a range query needs start <= end and a positive step");
  seconds(start, s, sizeof s);
  seconds(end, e, sizeof e);
  seconds(step, st, sizeof st);
  const char *pairs[] = {"query", query, "start", s, "end", e, "step", st};
  return request(c, "/api/v1/query_range", pairs, 8, query, out, err);
}
