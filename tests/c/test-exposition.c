/* The text exposition parser (Prometheus 0.0.4 and OpenMetrics) and
   PromQL's increase() and histogram_quantile(): every metric type,
   escaping, exemplars, timestamps, malformed lines with their line and
   column, and the arithmetic's edge cases, worked out by hand from the
   rules Prometheus documents. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "deploy-ledger/prometheus.h"
#include "tap.h"

static const dl_prom_series *
find(const dl_prom_data *d, const char *name, const char *label, const char *value)
{
  for (size_t i = 0; i < dl_prom_data_count(d); i++) {
    const dl_prom_series *s = dl_prom_data_series(d, i);
    if (strcmp(s->name, name) != 0)
      continue;
    const char *v = label ? dl_prom_series_label(s, label) : NULL;
    if (!label || (v && strcmp(v, value) == 0))
      return s;
  }
  return NULL;
}

static const dl_prom_family *
family(const dl_prom_data *d, const char *name)
{
  for (size_t i = 0; i < dl_prom_data_family_count(d); i++)
    if (strcmp(dl_prom_data_family(d, i)->name, name) == 0)
      return dl_prom_data_family(d, i);
  return NULL;
}

static void
prometheus_text(void)
{
  const char *text =
    "# HELP http_requests_total The total number\\nof requests \\\\ all.\n"
    "# TYPE http_requests_total counter\n"
    "http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n"
    "http_requests_total{method=\"post\",code=\"400\"}    3 1395066363000\n"
    "\n"
    "# A plain comment is ignored.\n"
    "msdos_file_access_time_seconds{path=\"C:\\\\DIR\\\\FILE.TXT\",error=\"Cannot find file:\\n\\\"FILE.TXT\\\"\"} 1.458255915e9\n"
    "metric_without_timestamp_and_labels 12.47\n"
    "# TYPE something_weird untyped\n"
    "something_weird{problem=\"division by zero\"} +Inf -3982045\n"
    "# TYPE http_request_duration_seconds histogram\n"
    "http_request_duration_seconds_bucket{le=\"0.05\"} 24054\n"
    "http_request_duration_seconds_bucket{le=\"0.1\"} 33444\n"
    "http_request_duration_seconds_bucket{le=\"+Inf\"} 144320\n"
    "http_request_duration_seconds_sum 53423\n"
    "http_request_duration_seconds_count 144320\n"
    "# TYPE rpc_duration_seconds summary\n"
    "rpc_duration_seconds{quantile=\"0.5\"} 4773\n"
    "rpc_duration_seconds{quantile=\"0.99\",} NaN\n"
    "rpc_duration_seconds_count 2693\n"
    "  # TYPE temperature gauge\n"
    "temperature -4.5e1\n";
  dl_prom_data *d = dl_prom_data_new(NULL);
  dl_error err;
  dl_error_clear(&err);
  int rc = dl_exposition_parse(d, text, strlen(text), "t.prom", DL_EXPO_AUTO, 7000000000, &err);
  is_int(rc, DL_OK, "Prometheus text parses (%s)", err.text);
  is_int(dl_prom_data_count(d), 14, "14 series");
  const dl_prom_series *s = find(d, "http_requests_total", "code", "400");
  ok(s && s->n == 1 && s->v[0] == 3 && s->t[0] == 1395066363000LL * 1000000,
     "a counter's value and its timestamp in ms, into ns");
  ok(s && s->n_labels == 2 && strcmp(s->labels[0].name, "code") == 0,
     "labels are sorted by name");
  s = find(d, "msdos_file_access_time_seconds", NULL, NULL);
  is_str(s ? dl_prom_series_label(s, "path") : NULL, "C:\\DIR\\FILE.TXT", "escaped backslashes");
  is_str(s ? dl_prom_series_label(s, "error") : NULL, "Cannot find file:\n\"FILE.TXT\"",
         "escaped newline and quotes");
  ok(s && s->t[0] == 7000000000, "a sample without timestamp gets the default time");
  s = find(d, "something_weird", NULL, NULL);
  ok(s && isinf(s->v[0]) && s->v[0] > 0 && s->t[0] == -3982045LL * 1000000,
     "+Inf and a negative timestamp");
  s = find(d, "rpc_duration_seconds", "quantile", "0.99");
  ok(s && isnan(s->v[0]), "NaN, and a trailing comma in the labels");
  s = find(d, "temperature", NULL, NULL);
  ok(s && s->v[0] == -45, "a gauge in exponent notation (after an indented comment)");
  const dl_prom_family *f = family(d, "http_requests_total");
  ok(f && f->type == DL_PROM_COUNTER, "# TYPE counter");
  is_str(f ? f->help : NULL, "The total number\nof requests \\ all.", "# HELP unescaped");
  f = family(d, "http_request_duration_seconds");
  ok(f && f->type == DL_PROM_HISTOGRAM, "# TYPE histogram");
  f = family(d, "rpc_duration_seconds");
  ok(f && f->type == DL_PROM_SUMMARY, "# TYPE summary");
  f = family(d, "something_weird");
  ok(f && f->type == DL_PROM_UNTYPED && f->typed, "# TYPE untyped");
  dl_prom_data_free(d);
}

static void
openmetrics_text(void)
{
  const char *text =
    "# TYPE acme_http_router_request_seconds summary\n"
    "# UNIT acme_http_router_request_seconds seconds\n"
    "# HELP acme_http_router_request_seconds Latency though all of ACME's \\\"routers\\\".\n"
    "acme_http_router_request_seconds_sum{path=\"/api/v1\",method=\"GET\"} 9036.32 1520879607.789\n"
    "acme_http_router_request_seconds_count{path=\"/api/v1\",method=\"GET\"} 807283.0 1520879607.789\n"
    "# TYPE foo counter\n"
    "foo_total 17.0 1520879607.789 # {trace_id=\"KOO5S4vxi0o\"} 0.67 1520879602.890\n"
    "foo_created 1520430000.123\n"
    "# TYPE bar histogram\n"
    "bar_bucket{le=\"0.01\"} 0 1520879607.0\n"
    "bar_bucket{le=\"0.1\"} 8 1520879607.0 # {} 0.054\n"
    "bar_bucket{le=\"1\"} 11 1520879607.0 # {trace_id=\"KOO5S4vxi0o\",span_id=\"0a\"} 0.67\n"
    "bar_bucket{le=\"+Inf\"} 17 1520879607.0\n"
    "bar_count 17 1520879607.0\n"
    "bar_sum 324789.3 1520879607.0\n"
    "# TYPE gh gaugehistogram\n"
    "gh_bucket{le=\"1.0\"} 2\n"
    "gh_bucket{le=\"+Inf\"} 3\n"
    "gh_gcount 3\n"
    "gh_gsum 2\n"
    "# TYPE state stateset\n"
    "state{state=\"a\"} 1\n"
    "state{state=\"b\"} 0\n"
    "# TYPE build info\n"
    "build_info{version=\"1.2.3\"} 1\n"
    "# TYPE other unknown\n"
    "other 1\n"
    "# EOF\n";
  dl_prom_data *d = dl_prom_data_new(NULL);
  dl_error err;
  dl_error_clear(&err);
  int rc = dl_exposition_parse(d, text, strlen(text), "t.om", DL_EXPO_AUTO, 0, &err);
  is_int(rc, DL_OK, "OpenMetrics text parses (%s)", err.text);
  const dl_prom_series *s = find(d, "foo_total", NULL, NULL);
  ok(s && s->v[0] == 17 && s->t[0] == 1520879607789LL * 1000000,
     "timestamps in seconds with a fraction, into ns");
  is_int(dl_prom_data_exemplar_count(d), 3, "three exemplars");
  const dl_prom_exemplar *e = dl_prom_data_exemplar_count(d) ? dl_prom_data_exemplar(d, 0) : NULL;
  ok(e && e->n_labels == 1 && strcmp(e->labels[0].value, "KOO5S4vxi0o") == 0 && e->value == 0.67
       && e->t == 1520879602890LL * 1000000
       && strcmp(dl_prom_data_series(d, e->series)->name, "foo_total") == 0,
     "the exemplar's trace id, value, time and series");
  e = dl_prom_data_exemplar_count(d) > 2 ? dl_prom_data_exemplar(d, 2) : NULL;
  ok(e && e->n_labels == 2 && e->t == INT64_MIN, "an exemplar without time");
  const dl_prom_family *f = family(d, "acme_http_router_request_seconds");
  is_str(f ? f->unit : NULL, "seconds", "# UNIT");
  is_str(f ? f->help : NULL, "Latency though all of ACME's \"routers\".", "# HELP with \\\"");
  ok(family(d, "gh") && family(d, "gh")->type == DL_PROM_GAUGE_HISTOGRAM, "gaugehistogram");
  ok(family(d, "state") && family(d, "state")->type == DL_PROM_STATESET, "stateset");
  ok(family(d, "build") && family(d, "build")->type == DL_PROM_INFO, "info");
  ok(family(d, "other") && family(d, "other")->type == DL_PROM_UNTYPED, "unknown");
  s = find(d, "bar_bucket", "le", "+Inf");
  ok(s && s->v[0] == 17, "a histogram's +Inf bucket");
  dl_prom_data_free(d);
}

/* TEXT fails with MESSAGE (a substring) at LINE:COLUMN. */
static void
bad(const char *text, dl_expo_format format, long line, long column, const char *message)
{
  dl_prom_data *d = dl_prom_data_new(NULL);
  dl_error err;
  dl_error_clear(&err);
  int rc = dl_exposition_parse(d, text, strlen(text), "m.txt", format, 0, &err);
  ok(rc != DL_OK && err.line == line && err.column == column && strstr(err.text, message),
     "%s: line %ld column %ld", message, line, column);
  if (rc == DL_OK || err.line != line || err.column != column || !strstr(err.text, message))
    tap_diag("got %d at %ld:%ld: %s", rc, err.line, err.column, err.text);
  dl_prom_data_free(d);
}

static void
malformed(void)
{
  const dl_expo_format P = DL_EXPO_PROMETHEUS, O = DL_EXPO_OPENMETRICS;
  bad("a 1\nfoo{code=\"200\" 1\n", P, 2, 16, "expected ',' or '}' after the value of label \"code\"");
  bad("foo{code \"200\"} 1\n", P, 1, 10, "expected '=' after label name \"code\"");
  bad("foo{code=\"2\\t\"} 1\n", P, 1, 12, "unknown escape '\\t'");
  bad("foo{code=\"200} 1\n", P, 1, 10, "not closed");
  bad("foo{9=\"1\"} 1\n", P, 1, 5, "expected a label name");
  bad("foo{a=\"1\",a=\"2\"} 1\n", P, 1, 11, "label \"a\" given twice");
  bad("foo 12x\n", P, 1, 5, "the sample's value \"12x\" is not a number");
  bad("foo\n", P, 1, 4, "expected a space and the sample's value");
  bad("foo 1 12.5\n", P, 1, 7, "not a whole number of milliseconds");
  bad("foo 1 2 3\n", P, 1, 9, "unexpected text after the timestamp");
  bad("9foo 1\n", P, 1, 1, "expected a metric name");
  bad("foo-bar 1\n", P, 1, 4, "only letters, digits");
  bad("# TYPE foo gauge\n# TYPE foo counter\n", P, 2, 3, "# TYPE of foo given twice");
  bad("# TYPE foo weird\n", P, 1, 12, "unknown metric type \"weird\"");
  bad("# TYPE h histogram\nh_bucket{x=\"1\"} 1\n", P, 2, 1, "has no le label");
  bad("# TYPE h histogram\nh_bucket{le=\"abc\"} 1\n", P, 2, 1, "le=\"abc\", which is not a number");
  bad("# TYPE c counter\nc -1\n", P, 2, 1, "cannot be negative");
  bad("foo 1 # {a=\"b\"} 1\n", P, 1, 7, "exemplars need OpenMetrics");
  bad("foo 1\n", O, 2, 1, "must end with \"# EOF\"");
  bad("foo 1\n\n# EOF\n", O, 2, 1, "empty line");
  bad("foo 1\n# EOF\nbar 2\n", O, 3, 1, "text after # EOF");
  bad("# TYPE c counter\nc 1\n# EOF\n", O, 2, 1, "must be named c_total");
  bad("# TYPE g gauge\ng 1 # {a=\"b\"} 1\n# EOF\n", O, 2, 5, "exemplars belong on");
  bad("# TYPE c counter\nc_total 1 # {a=\"0123456789012345678901234567890123456789012345678901"
      "234567890123456789012345678901234567890123456789012345678901234567890123450123456789\"} 1\n# EOF\n",
      O, 2, 13, "more than the 128 OpenMetrics allows");
  bad("# something\n# EOF\n", O, 1, 3, "unknown comment");
  bad("foo 1 1520879607.789.1\n# EOF\n", O, 1, 7, "not a number of seconds");
  bad("# TYPE c counter\nc_total 2 2\nc_total 1 1\n# EOF\n", O, 3, 1, "must be in time order");
}

static void
quantiles(void)
{
  double le[] = {0.5, 0.1, INFINITY, 1}, c[] = {30, 10, 50, 40};
  is_double(dl_prom_histogram_quantile(0.5, le, c, 4), 0.4, 1e-12,
            "p50 interpolates linearly within its bucket (buckets in any order)");
  double le2[] = {0.1, 0.5, 1, INFINITY}, c2[] = {10, 30, 40, 50};
  is_double(dl_prom_histogram_quantile(0.9, le2, c2, 4), 1, 0,
            "a rank in the +Inf bucket gives the largest finite bound");
  is_double(dl_prom_histogram_quantile(0.1, le2, c2, 4), 0.05, 1e-12,
            "the first bucket starts at 0");
  double le3[] = {0.1, 0.5, 1}, c3[] = {10, 30, 40};
  ok(isnan(dl_prom_histogram_quantile(0.5, le3, c3, 3)), "no +Inf bucket: NaN");
  double le4[] = {0.1, INFINITY}, c4[] = {0, 0};
  ok(isnan(dl_prom_histogram_quantile(0.5, le4, c4, 2)), "an empty window: NaN");
  double le5[] = {INFINITY}, c5[] = {5};
  ok(isnan(dl_prom_histogram_quantile(0.5, le5, c5, 1)), "one bucket: NaN");
  double le6[] = {0.1, 0.5, 1, INFINITY}, c6[] = {10, 8, 40, 50};
  is_double(dl_prom_histogram_quantile(0.2, le6, c6, 4), 0.1, 1e-12,
            "non-monotonic counts are raised to the maximum so far");
  double le7[] = {-1, 0.5, INFINITY}, c7[] = {10, 20, 20};
  is_double(dl_prom_histogram_quantile(0.25, le7, c7, 3), -1, 0,
            "a rank in a first bucket with a bound <= 0 gives that bound");
  double le8[] = {0.1, 0.1, INFINITY, INFINITY}, c8[] = {5, 5, 10, 10};
  is_double(dl_prom_histogram_quantile(0.25, le8, c8, 4), 0.05, 1e-12,
            "buckets of the same bound count together");
  ok(isinf(dl_prom_histogram_quantile(1.5, le2, c2, 4)) && dl_prom_histogram_quantile(-1, le2, c2, 4) < 0,
     "q out of [0, 1]: +-Inf");
  double le_v;
  ok(dl_prom_parse_le("+Inf", &le_v) == 0 && isinf(le_v) && dl_prom_parse_le("1e3", &le_v) == 0
       && le_v == 1000 && dl_prom_parse_le("x", &le_v) != 0,
     "le bounds: +Inf, 1e3, and not x");
}

static void
increases(void)
{
  const int64_t s = 1000000000;
  int64_t t[] = {0, 15 * s, 30 * s, 45 * s, 60 * s};
  double v[] = {0, 10, 20, 5, 15};
  is_double(dl_prom_increase(t, v, 5, 0, 60 * s), 35, 1e-9,
            "a counter reset adds back what was counted before it");
  int64_t t2[] = {5 * s, 20 * s, 35 * s, 50 * s};
  double v2[] = {10, 20, 30, 40};
  is_double(dl_prom_increase(t2, v2, 4, 0, 60 * s), 40, 1e-9,
            "extrapolated to the range's ends when samples are close to them");
  double v3[] = {1000, 1010, 1020, 1030};
  int64_t t3[] = {40 * s, 55 * s, 70 * s, 85 * s};
  is_double(dl_prom_increase(t3, v3, 4, 0, 120 * s), 30 * (45 + 7.5 + 7.5) / 45.0, 1e-9,
            "far from the ends: half an interval each side");
  double v4[] = {1, 3};
  int64_t t4[] = {10 * s, 20 * s};
  is_double(dl_prom_increase(t4, v4, 2, 0, 20 * s), 3, 1e-9,
            "never extrapolated below the counter's zero");
  ok(isnan(dl_prom_increase(t4, v4, 1, 0, 20 * s)), "one sample: no increase");
  ok(isnan(dl_prom_increase(t, v, 5, 61 * s, 120 * s)), "no sample in the range: no increase");
  is_double(dl_prom_increase(t, v, 5, 15 * s, 30 * s), 10, 1e-9, "the range is closed at both ends");
}

int
main(void)
{
  prometheus_text();
  openmetrics_text();
  malformed();
  quantiles();
  increases();
  return tap_done();
}
