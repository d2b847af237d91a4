/* The Prometheus server as a peer (driven by tests/shell/prometheus.sh).
 *
 *   prometheus-peer gen FILE PRESET SERVICE START REGRESS [OLD NEW]
 *     writes OpenMetrics text of a canary deployment of SERVICE at
 *     START (seconds): version OLD (v1) from 40 minutes before, NEW (v2) from START
 *     to an hour after, scraped every 15 s, with a v1 pod restarting
 *     (its counters reset) 10 minutes in, and series of another service
 *     and of another reporter that must be ignored.  PRESET is istio or
 *     linkerd; with REGRESS 1 the canary is three times slower and fails
 *     8% of its requests instead of 1%.
 *
 *   prometheus-peer check URL FILE PRESET START COMPLETED WIDTH V=MATCHER...
 *     computes the figures per window and version three ways -- from
 *     FILE through the exposition parser, from the server's raw samples
 *     through the API, and by asking the server histogram_quantile() and
 *     the error ratio for the same windows (MATCHER selects version V's
 *     series in PromQL) -- and prints TAP: they must agree.
 *
 *   prometheus-peer json-check URL FILE PRESET SERVICE V=MATCHER...
 *     the same for the rows of `deploy-ledger correlate --json' in FILE. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "deploy-ledger/prometheus.h"
#include "deploy-ledger/window.h"
#include "seeded-random.h"
#include "tap.h"

/* ---- gen ---- */

typedef struct series_gen {
  const char *version;     /* v1, v2 */
  const char *labels;      /* identifying labels, without le / code */
  int64_t from, to;        /* seconds: while it serves */
  double rate;             /* requests per scrape */
  double median_ms, error_share;
  int64_t reset_at;        /* a restart: counters back to 0 (0: none) */
} series_gen;

static const double istio_le[] = {5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, INFINITY};
static const double linkerd_le[] = {1, 2, 3, 4, 5, 10, 20, 30, 40, 50, 100, 200, 300, 400, 500,
                                    1000, 2000, 3000, 4000, 5000, 10000, INFINITY};

static void
le_text(double le, char *buf, size_t size)
{
  if (isinf(le))
    snprintf(buf, size, "+Inf");
  else
    snprintf(buf, size, "%g", le);
}

static int
gen(const char *file, const char *preset, const char *service, int64_t start, int regress,
    const char *v1, const char *v2)
{
  int istio = strcmp(preset, "istio") == 0;
  const double *les = istio ? istio_le : linkerd_le;
  size_t nle = istio ? sizeof istio_le / sizeof *istio_le : sizeof linkerd_le / sizeof *linkerd_le;
  const char *count_name = istio ? "istio_requests" : "response";
  const char *hist_name = istio ? "istio_request_duration_milliseconds" : "response_latency_ms";
  char l[4][400];
  series_gen gs[4];
  if (istio) {
    snprintf(l[0], sizeof l[0], "reporter=\"destination\",destination_canonical_service=\"%s\","
             "destination_canonical_revision=\"%s\",destination_workload=\"%s-v1\"",
             service, v1, service);
    /* No canonical revision: the version falls back to destination_version. */
    snprintf(l[1], sizeof l[1], "reporter=\"destination\",destination_canonical_service=\"%s\","
             "destination_version=\"%s\",destination_workload=\"%s-v2\"", service, v2, service);
    /* The same requests seen by the caller's proxy: not to be counted. */
    snprintf(l[2], sizeof l[2], "reporter=\"source\",destination_canonical_service=\"%s\","
             "destination_canonical_revision=\"%s\",destination_workload=\"%s-v1\"",
             service, v1, service);
    snprintf(l[3], sizeof l[3], "reporter=\"destination\",destination_canonical_service=\"cart\","
             "destination_canonical_revision=\"v7\",destination_workload=\"cart\"");
  } else {
    snprintf(l[0], sizeof l[0], "direction=\"inbound\",deployment=\"%s\",namespace=\"shop\","
             "version=\"%s\",pod_template_hash=\"5d9c\"", service, v1);
    snprintf(l[1], sizeof l[1], "direction=\"inbound\",deployment=\"%s\",namespace=\"shop\","
             "version=\"%s\",pod_template_hash=\"77f1\"", service, v2);
    snprintf(l[2], sizeof l[2], "direction=\"outbound\",deployment=\"web\",dst_deployment=\"%s\","
             "dst_namespace=\"shop\",dst_pod_template_hash=\"5d9c\"", service);
    snprintf(l[3], sizeof l[3], "direction=\"inbound\",deployment=\"cart\",namespace=\"shop\","
             "version=\"v7\"");
  }
  gs[0] = (series_gen){v1, l[0], start - 2400, start + 3600, 30, 40, 0.01, start + 600};
  gs[1] = (series_gen){v2, l[1], start, start + 3600, 10, regress ? 120 : 40,
                       regress ? 0.08 : 0.01, 0};
  gs[2] = (series_gen){v1, l[2], start - 2400, start + 3600, 30, 40, 0.01, 0};
  gs[3] = (series_gen){"v7", l[3], start - 2400, start + 3600, 20, 400, 0.5, 0};
  size_t ng = 4, nt = (size_t) ((7200 - 1200) / 15) + 1;
  /* Simulate first, write family by family after (OpenMetrics keeps a
     family's samples together). */
  double *ok_n = calloc(ng * nt, sizeof *ok_n), *err_n = calloc(ng * nt, sizeof *err_n);
  double *buckets = calloc(ng * nt * nle, sizeof *buckets), *sums = calloc(ng * nt, sizeof *sums);
  int *live = calloc(ng * nt, sizeof *live);
  if (!ok_n || !err_n || !buckets || !sums || !live)
    return 1;
  uint64_t rng = random_seed((istio ? 1515 : 4242) + (uint64_t) strlen(service) * 7 + regress);
  for (size_t g = 0; g < ng; g++) {
    double okc = 0, errc = 0, sum = 0, *bc = calloc(nle, sizeof *bc);
    for (size_t k = 0; k < nt; k++) {
      int64_t t = start - 2400 + 15 * (int64_t) k;
      if (t < gs[g].from || t > gs[g].to)
        continue;
      if (gs[g].reset_at && t == gs[g].reset_at) {
        okc = errc = sum = 0;
        memset(bc, 0, nle * sizeof *bc);
      }
      int n = (int) (gs[g].rate * (0.5 + random_unit(&rng)));
      for (int i = 0; i < n; i++) {
        double ms = gs[g].median_ms * exp(0.6 * random_normal(&rng));
        int failed = random_unit(&rng) < gs[g].error_share;
        if (failed)
          errc++;
        else
          okc++;
        sum += ms;
        for (size_t b = 0; b < nle; b++)
          if (ms <= les[b])
            bc[b]++;
      }
      live[g * nt + k] = 1;
      ok_n[g * nt + k] = okc;
      err_n[g * nt + k] = errc;
      sums[g * nt + k] = sum;
      memcpy(&buckets[(g * nt + k) * nle], bc, nle * sizeof *bc);
    }
    free(bc);
  }
  FILE *f = fopen(file, "w");
  if (!f)
    return 1;
  fprintf(f, "# HELP %s_total Requests.\n# TYPE %s counter\n", count_name, count_name);
  for (size_t g = 0; g < ng; g++)
    for (int e = 0; e < 2; e++)
      for (size_t k = 0; k < nt; k++)
        if (live[g * nt + k])
          fprintf(f, "%s_total{%s,%s} %.0f %lld\n", count_name, gs[g].labels,
                  istio ? (e ? "response_code=\"503\"" : "response_code=\"200\"")
                        : (e ? "classification=\"failure\",status_code=\"503\""
                             : "classification=\"success\",status_code=\"200\""),
                  e ? err_n[g * nt + k] : ok_n[g * nt + k],
                  (long long) (start - 2400 + 15 * (int64_t) k));
  fprintf(f, "# HELP %s Request durations.\n# TYPE %s histogram\n", hist_name, hist_name);
  for (size_t g = 0; g < ng; g++)
    for (size_t b = 0; b < nle; b++) {
      char le[32];
      le_text(les[b], le, sizeof le);
      for (size_t k = 0; k < nt; k++)
        if (live[g * nt + k])
          fprintf(f, "%s_bucket{%s,le=\"%s\"} %.0f %lld\n", hist_name, gs[g].labels, le,
                  buckets[(g * nt + k) * nle + b], (long long) (start - 2400 + 15 * (int64_t) k));
    }
  for (size_t g = 0; g < ng; g++)
    for (size_t k = 0; k < nt; k++)
      if (live[g * nt + k])
        fprintf(f, "%s_count{%s} %.0f %lld\n", hist_name, gs[g].labels,
                buckets[(g * nt + k) * nle + nle - 1], (long long) (start - 2400 + 15 * (int64_t) k));
  for (size_t g = 0; g < ng; g++)
    for (size_t k = 0; k < nt; k++)
      if (live[g * nt + k])
        fprintf(f, "%s_sum{%s} %.3f %lld\n", hist_name, gs[g].labels, sums[g * nt + k],
                (long long) (start - 2400 + 15 * (int64_t) k));
  fprintf(f, "# EOF\n");
  fclose(f);
  free(ok_n);
  free(err_n);
  free(buckets);
  free(sums);
  free(live);
  return 0;
}

/* ---- check ---- */

static char *
slurp(const char *file, size_t *len)
{
  FILE *f = fopen(file, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = malloc((size_t) n + 1);
  if (b && fread(b, 1, (size_t) n, f) != (size_t) n) {
    free(b);
    b = NULL;
  }
  fclose(f);
  if (b) {
    b[n] = 0;
    *len = (size_t) n;
  }
  return b;
}

/* The one value of QUERY at T, or NaN when it answers nothing. */
static double
server_value(dl_prom_client *c, const char *query, int64_t t)
{
  dl_prom_data *d = dl_prom_data_new(NULL);
  dl_error err;
  double v = NAN;
  if (dl_prom_query(c, query, t, d, &err) != DL_OK)
    tap_diag("query failed: %s", err.text);
  else if (dl_prom_data_count(d) == 1 && dl_prom_data_series(d, 0)->n == 1)
    v = dl_prom_data_series(d, 0)->v[0];
  dl_prom_data_free(d);
  return v;
}

static int
agree(double mine, double theirs)
{
  if (isnan(mine) || isnan(theirs))
    return isnan(mine) && isnan(theirs);
  return fabs(mine - theirs) <= 1e-9 * fmax(1, fabs(theirs));
}

static const dl_mesh_row *
row_of(const dl_mesh_rows *r, size_t w, const char *version)
{
  for (size_t i = 0; i < r->n; i++)
    if (r->rows[i].window == w
        && (version ? r->rows[i].version && strcmp(r->rows[i].version, version) == 0
                    : !r->rows[i].version))
      return &r->rows[i];
  return NULL;
}

static int
check(int argc, char **argv)
{
  const char *url = argv[2], *file = argv[3];
  dl_mesh_preset preset;
  dl_error err;
  if (dl_mesh_preset_parse(argv[4], &preset, &err))
    return 2;
  int64_t started = atoll(argv[5]) * INT64_C(1000000000);
  int64_t completed = atoll(argv[6]) * INT64_C(1000000000);
  int64_t width = atoll(argv[7]) * INT64_C(1000000000);
  dl_window w[3];
  if (dl_deployment_windows(started, completed, 0, width, w, &err))
    return 2;
  int64_t start[3], end[3];
  double secs[3];
  for (int i = 0; i < 3; i++) {
    start[i] = w[i].start;
    end[i] = w[i].end;
    secs[i] = dl_window_seconds(&w[i]);
  }
  size_t len;
  char *text = slurp(file, &len);
  dl_prom_data *fd = dl_prom_data_new(NULL);
  int rc = dl_exposition_parse(fd, text, len, file, DL_EXPO_AUTO, 0, &err);
  is_int(rc, DL_OK, "%s parses (%s)", file, rc ? err.text : "");
  dl_mesh_rows from_file, from_api;
  rc = dl_mesh_rows_compute(fd, preset, "checkout", start, end, secs, 3, &from_file, &err);
  is_int(rc, DL_OK, "rows from the file");
  dl_prom_client *c = dl_prom_client_new(url, NULL, &err);
  ok(c != NULL, "a client of %s", url);
  dl_prom_data *ad = dl_prom_data_new(NULL);
  int64_t from, to;
  dl_prom_window_range(start[2], end[2], secs[2], &from, &to);
  int64_t first, last;
  dl_prom_window_range(start[0], end[0], secs[0], &first, &last);
  rc = dl_mesh_fetch(c, preset, "checkout", first, to, ad, &err);
  is_int(rc, DL_OK, "raw samples through the API (%s)", rc ? err.text : "");
  rc = dl_mesh_rows_compute(ad, preset, "checkout", start, end, secs, 3, &from_api, &err);
  is_int(rc, DL_OK, "rows from the API");
  is_int(from_api.n, from_file.n, "as many rows from the server as from the file");
  ok(from_file.n == 2 + 3 + 3, "baseline: v1 and all; during and after: v1, v2 and all (%zu)",
     from_file.n);

  char *counter, *hist;
  if (dl_mesh_selectors(preset, "checkout", &counter, &hist, &err))
    return 2;
  /* Version matchers replace the selector's closing brace. */
  counter[strlen(counter) - 1] = 0;
  hist[strlen(hist) - 1] = 0;
  const char *error_matcher = preset == DL_MESH_ISTIO ? "response_code=~\"5..\""
                                                      : "classification=\"failure\"";
  static const double qs[4] = {0.5, 0.9, 0.95, 0.99};
  int compared = 0, agreed = 0, same_as_file = 0;
  for (size_t i = 0; i < from_api.n; i++) {
    const dl_mesh_row *r = &from_api.rows[i];
    const dl_mesh_row *fr = row_of(&from_file, r->window, r->version);
    int same = fr && agree(fr->count, r->count) && agree(fr->errors, r->errors);
    for (int q = 0; q < 4; q++)
      same = same && agree(fr->q[q], r->q[q]);
    same_as_file += same;
    const char *matcher = "";
    for (int a = 8; r->version && a < argc; a++) {
      size_t vl = strlen(r->version);
      if (strncmp(argv[a], r->version, vl) == 0 && argv[a][vl] == '=')
        matcher = argv[a] + vl + 1;
    }
    dl_prom_window_range(start[r->window], end[r->window], secs[r->window], &from, &to);
    long long range_ms = (long long) ((to - from) / 1000000);
    char query[2048];
    for (int q = 0; q < 4; q++) {
      snprintf(query, sizeof query,
               "histogram_quantile(%g, sum by (le) (increase(%s%s%s}[%lldms])))", qs[q], hist,
               *matcher ? "," : "", matcher, range_ms);
      double theirs = server_value(c, query, to);
      compared++;
      if (agree(r->q[q] / 1e6, theirs))
        agreed++;
      else
        tap_diag("%s %s p%g: mine %.17g ms, Prometheus %.17g (%s)", w[r->window].name,
                 r->version ? r->version : "all", qs[q] * 100, r->q[q] / 1e6, theirs, query);
    }
    snprintf(query, sizeof query,
             "sum(increase(%s%s%s,%s}[%lldms])) / sum(increase(%s%s%s}[%lldms]))", counter,
             *matcher ? "," : "", matcher, error_matcher, range_ms, counter, *matcher ? "," : "",
             matcher, range_ms);
    double theirs = server_value(c, query, to);
    compared++;
    if (agree(r->error_rate, theirs))
      agreed++;
    else
      tap_diag("%s %s error ratio: mine %.17g, Prometheus %.17g (%s)", w[r->window].name,
               r->version ? r->version : "all", r->error_rate, theirs, query);
    snprintf(query, sizeof query, "sum(increase(%s%s%s}[%lldms]))", counter,
             *matcher ? "," : "", matcher, range_ms);
    theirs = server_value(c, query, to);
    compared++;
    if (agree(r->count, theirs))
      agreed++;
    else
      tap_diag("%s %s requests: mine %.17g, Prometheus %.17g", w[r->window].name,
               r->version ? r->version : "all", r->count, theirs);
  }
  ok(compared > 0 && agreed == compared,
     "every percentile, error ratio and request count agrees with Prometheus' own (%d of %d)",
     agreed, compared);
  is_int(same_as_file, (long long) from_api.n,
         "the figures from the file equal those from the server's samples");
  const dl_mesh_row *base = row_of(&from_api, 0, "v1"), *canary = row_of(&from_api, 1, "v2");
  ok(base && canary && base->count > 500 && canary->count > 100 && base->q[3] > 0,
     "real figures: %.0f baseline requests of v1, %.0f of the canary during",
     base ? base->count : 0, canary ? canary->count : 0);
  const dl_mesh_row *during_v1 = row_of(&from_api, 1, "v1");
  ok(during_v1 && during_v1->count > 0.5 * 30 * 80 && during_v1->count < 1.5 * 30 * 80,
     "the v1 pod's counter reset during the deployment is added back (%.0f requests)",
     during_v1 ? during_v1->count : 0);
  free(counter);
  free(hist);
  dl_mesh_rows_clear(&from_file);
  dl_mesh_rows_clear(&from_api);
  dl_prom_data_free(fd);
  dl_prom_data_free(ad);
  dl_prom_client_free(c);
  free(text);
  return tap_done();
}

/* The rows `deploy-ledger correlate --json' wrote to FILE: each
   Prometheus row's percentiles and error ratio against the server's own
   for the window's time and range (in the document's "evaluated"). */
static int
json_check(int argc, char **argv)
{
  const char *url = argv[2], *file = argv[3];
  dl_mesh_preset preset;
  dl_error err;
  if (dl_mesh_preset_parse(argv[4], &preset, &err))
    return 2;
  const char *service = argv[5];
  json_error_t jerr;
  json_t *doc = json_load_file(file, 0, &jerr);
  ok(doc != NULL, "%s is JSON (%s)", file, doc ? "" : jerr.text);
  if (!doc)
    return tap_done();
  json_t *prom = json_object_get(doc, "prometheus"), *rows = json_object_get(doc, "metrics");
  dl_prom_client *c = dl_prom_client_new(url, NULL, &err);
  char *counter, *hist;
  if (!c || dl_mesh_selectors(preset, service, &counter, &hist, &err))
    return 2;
  counter[strlen(counter) - 1] = 0;
  hist[strlen(hist) - 1] = 0;
  const char *error_matcher = preset == DL_MESH_ISTIO ? "response_code=~\"5..\""
                                                      : "classification=\"failure\"";
  static const char *const qn[4] = {"p50", "p90", "p95", "p99"};
  static const double qs[4] = {0.5, 0.9, 0.95, 0.99};
  int rows_seen = 0, compared = 0, agreed = 0;
  size_t i;
  json_t *row;
  json_array_foreach(rows, i, row) {
    if (strcmp(json_string_value(json_object_get(row, "source")), "prometheus") != 0)
      continue;
    rows_seen++;
    const char *window = json_string_value(json_object_get(row, "window"));
    const char *version = json_string_value(json_object_get(json_object_get(row, "group"),
                                                            "version"));
    int64_t t = 0, range = 0;
    size_t k;
    json_t *ev;
    json_array_foreach(json_object_get(prom, "evaluated"), k, ev)
      if (strcmp(json_string_value(json_object_get(ev, "window")), window) == 0) {
        t = json_integer_value(json_object_get(ev, "time"));
        range = json_integer_value(json_object_get(ev, "range"));
      }
    const char *matcher = "";
    for (int a = 6; version && a < argc; a++) {
      size_t vl = strlen(version);
      if (strncmp(argv[a], version, vl) == 0 && argv[a][vl] == '=')
        matcher = argv[a] + vl + 1;
    }
    char query[2048];
    for (int q = 0; q < 4; q++) {
      json_t *x = json_object_get(row, qn[q]);
      double mine = json_is_number(x) ? json_number_value(x) / 1e6 : NAN;
      snprintf(query, sizeof query, "histogram_quantile(%g, sum by (le) (increase(%s%s%s}[%lldms])))",
               qs[q], hist, *matcher ? "," : "", matcher, (long long) (range / 1000000));
      double theirs = server_value(c, query, t);
      compared++;
      if (agree(mine, theirs))
        agreed++;
      else
        tap_diag("%s %s %s: deploy-ledger %.17g ms, Prometheus %.17g", window,
                 version ? version : "all", qn[q], mine, theirs);
    }
    json_t *x = json_object_get(row, "error-rate");
    double mine = json_is_number(x) ? json_number_value(x) : NAN;
    snprintf(query, sizeof query,
             "sum(increase(%s%s%s,%s}[%lldms])) / sum(increase(%s%s%s}[%lldms]))", counter,
             *matcher ? "," : "", matcher, error_matcher, (long long) (range / 1000000), counter,
             *matcher ? "," : "", matcher, (long long) (range / 1000000));
    double theirs = server_value(c, query, t);
    compared++;
    if (agree(mine, theirs))
      agreed++;
    else
      tap_diag("%s %s error ratio: deploy-ledger %.17g, Prometheus %.17g", window,
               version ? version : "all", mine, theirs);
  }
  ok(rows_seen >= 6, "%d rows of source prometheus", rows_seen);
  ok(compared > 0 && agreed == compared,
     "every percentile and error ratio the command printed agrees with Prometheus' own (%d of %d)",
     agreed, compared);
  free(counter);
  free(hist);
  dl_prom_client_free(c);
  json_decref(doc);
  return tap_done();
}

/* Exit 0 once the server at URL answers a query. */
static int
ready(const char *url)
{
  dl_http_options o;
  dl_http_options_init(&o);
  o.retries = 0;
  o.timeout_ms = 2000;
  dl_error err;
  dl_prom_client *c = dl_prom_client_new(url, &o, &err);
  dl_prom_data *d = dl_prom_data_new(NULL);
  int rc = c && d ? dl_prom_query(c, "vector(1)", 0, d, &err) : 1;
  dl_prom_data_free(d);
  dl_prom_client_free(c);
  return rc ? 1 : 0;
}

int
main(int argc, char **argv)
{
  if (argc == 3 && strcmp(argv[1], "ready") == 0)
    return ready(argv[2]);
  if ((argc == 7 || argc == 9) && strcmp(argv[1], "gen") == 0)
    return gen(argv[2], argv[3], argv[4], atoll(argv[5]), atoi(argv[6]),
               argc == 9 ? argv[7] : "v1", argc == 9 ? argv[8] : "v2");
  if (argc >= 6 && strcmp(argv[1], "json-check") == 0)
    return json_check(argc, argv);
  if (argc >= 8 && strcmp(argv[1], "check") == 0)
    return check(argc, argv);
  fprintf(stderr, "usage: prometheus-peer gen FILE PRESET SERVICE START REGRESS [OLD NEW]\n"
                  "       prometheus-peer check URL FILE PRESET START COMPLETED WIDTH V=M...\n");
  return 2;
}
