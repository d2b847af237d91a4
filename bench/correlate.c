/* bench/correlate: the correlation engine over a deployment's spans.
 *
 *   bench/correlate [--spans N] [--seed S] [--threads T]
 *                   [--csv FILE --deploy-time NS] [--write-csv FILE]
 *                   [--out FILE] [--percentiles nearest-rank|linear] [--repeat R]
 *
 * The spans come from the generator (2 hours of one service's traffic,
 * the deployment at 1 h, see generate()) or from a CSV file with the
 * header ts_unix_nano,latency_us,region,version,is_error.  They are loaded
 * into a trace set, then dl_metrics_compute -- the engine's own code path
 * -- computes, per window (baseline [T-30m, T), canary [T, T+30m), after
 * [T+30m, T+60m)) x version x region: count, errors, error rate,
 * throughput and p50/p90/p95/p99.  Only that call is timed; with
 * --repeat R it runs R times and the best time is reported (the machine
 * is shared: the best run is the one least disturbed).  The result
 * goes to --out as CSV; a summary and one line of JSON go to stdout. */
#include "deploy-ledger/deploy-ledger.h"
#include "deploy-ledger/metrics.h"
#include "deploy-ledger/trace-set.h"
#include "seeded-random.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_S INT64_C(1000000000)
#define MINUTE (60 * NS_PER_S)

/* 2024-01-15T09:00:00Z: the generated traffic starts here. */
#define GEN_EPOCH INT64_C(1705309200000000000)

static const char *const model_regions[] = {"us-east-1", "eu-west-1", "ap-southeast-1"};
static const char *const model_versions[] = {"v1", "v2"};

static void
die(const char *fmt, const char *arg)
{
  fprintf(stderr, "bench/correlate: ");
  fprintf(stderr, fmt, arg);
  fputc('\n', stderr);
  exit(2);
}

static double
now_s(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double) t.tv_sec + (double) t.tv_nsec * 1e-9;
}

/* ---- the generator ---- */

static uint64_t rng;

/* The store's ids for one (version, region) pair. */
typedef struct origins {
  uint32_t id[2][3];
  uint32_t operation;
  uint32_t error_type;
} origins;

static void
intern_model(dl_trace_set *set, origins *o)
{
  uint32_t svc = dl_trace_set_intern(set, "checkout", 8);
  uint32_t env = dl_trace_set_intern(set, "production", 10);
  for (int v = 0; v < 2; v++)
    for (int r = 0; r < 3; r++) {
      uint32_t vid = dl_trace_set_intern(set, model_versions[v], strlen(model_versions[v]));
      uint32_t rid = dl_trace_set_intern(set, model_regions[r], strlen(model_regions[r]));
      o->id[v][r] = dl_trace_set_intern_origin(set, svc, vid, rid, env);
      if (!o->id[v][r])
        die("%s", "out of memory interning");
    }
  o->operation = dl_trace_set_intern(set, "POST /checkout", 14);
  o->error_type = dl_trace_set_intern(set, "HTTP 503 /checkout", 18);
}

/* The traffic model of the issue: 2 hours in arrival order, regions 50/30/20 %, the
   deployment at 1 h; from then v2 serves 10 % of requests, and each region
   switches fully to v2 at +30, +40 and +50 minutes; lognormal latencies
   with medians 40/55/70 ms by region and sigma 0.5, v2 15 % slower;
   errors 1.0 % for v1 and 1.5 % for v2.  Latencies are whole
   microseconds, so the CSV written from them carries the same data. */
static void
generate(dl_trace_set *set, size_t n, uint64_t seed, int64_t *deploy, FILE *csv)
{
  static const double median_ms[3] = {40, 55, 70};
  static const int64_t switch_at[3] = {30 * MINUTE, 40 * MINUTE, 50 * MINUTE};
  origins o;
  dl_error err;
  intern_model(set, &o);
  if (dl_trace_set_reserve(set, n, &err))
    die("%s", err.text);
  rng = random_seed(seed * 0x9E3779B97F4A7C15ULL + 0x2545F4914F6CDD1DULL);
  int64_t t_deploy = GEN_EPOCH + 60 * MINUTE;
  *deploy = t_deploy;
  if (csv)
    fputs("ts_unix_nano,latency_us,region,version,is_error\n", csv);
  dl_span_ids row;
  memset(&row, 0, sizeof row);
  row.kind = DL_KIND_SERVER;
  row.operation = o.operation;
  for (size_t i = 0; i < n; i++) {
    /* Arrival order, as a store fills: one span per 1/n of the two hours,
       at a uniform place inside it. */
    int64_t ts = GEN_EPOCH +
                 (int64_t) (((double) i + random_unit(&rng)) / (double) n * (double) (120 * MINUTE));
    double u = random_unit(&rng);
    int region = u < 0.5 ? 0 : u < 0.8 ? 1 : 2;
    int v2 = 0;
    if (ts >= t_deploy)
      v2 = ts >= t_deploy + switch_at[region] || random_unit(&rng) < 0.10;
    /* One normal per span keeps the stream simple. */
    double z = random_normal(&rng);
    double ms = median_ms[region] * exp(0.5 * z) * (v2 ? 1.15 : 1.0);
    int64_t us = (int64_t) llround(ms * 1000);
    if (us < 1)
      us = 1;
    int error = random_unit(&rng) < (v2 ? 0.015 : 0.010);
    uint64_t id = random_next(&rng);
    memcpy(row.trace_id, &id, 8);
    memcpy(row.trace_id + 8, &i, sizeof i < 8 ? sizeof i : 8);
    memcpy(row.span_id, &id, 8);
    row.start = ts;
    row.duration = us * 1000;
    row.error = (uint8_t) (error ? DL_ROW_ERROR : 0);
    row.origin = o.id[v2][region];
    row.error_type = error ? o.error_type : 0;
    if (dl_trace_set_append_ids(set, &row, &err))
      die("%s", err.text);
    if (csv)
      fprintf(csv, "%lld,%lld,%s,%s,%d\n", (long long) ts, (long long) us,
              model_regions[region], model_versions[v2], error);
  }
}

/* ---- CSV input ---- */

/* Parses a decimal number of microseconds (up to 3 fraction digits) into
   ns; returns the end or NULL. */
static const char *
parse_us(const char *p, int64_t *ns)
{
  int64_t whole = 0;
  int digits = 0;
  while (*p >= '0' && *p <= '9') {
    if (whole > INT64_MAX / 10000)
      return NULL;
    whole = whole * 10 + (*p++ - '0');
    digits++;
  }
  int64_t frac = 0;
  int fd = 0;
  if (*p == '.') {
    p++;
    while (*p >= '0' && *p <= '9') {
      if (fd < 3) {
        frac = frac * 10 + (*p - '0');
        fd++;
      }
      p++;
      digits++;
    }
  }
  if (!digits)
    return NULL;
  while (fd < 3) {
    frac *= 10;
    fd++;
  }
  *ns = whole * 1000 + frac;
  return p;
}

static void
load_csv(dl_trace_set *set, const char *path)
{
  FILE *f = fopen(path, "r");
  if (!f)
    die("cannot open %s", path);
  char line[512];
  if (!fgets(line, sizeof line, f) || strncmp(line, "ts_unix_nano,latency_us,region,version,is_error", 47) != 0)
    die("%s: the header must be ts_unix_nano,latency_us,region,version,is_error", path);
  uint32_t svc = dl_trace_set_intern(set, "checkout", 8);
  uint32_t env = dl_trace_set_intern(set, "production", 10);
  uint32_t op = dl_trace_set_intern(set, "POST /checkout", 14);
  dl_span_ids row;
  memset(&row, 0, sizeof row);
  row.kind = DL_KIND_SERVER;
  row.operation = op;
  dl_error err;
  long lineno = 1;
  while (fgets(line, sizeof line, f)) {
    lineno++;
    char *p = line, *end;
    errno = 0;
    long long ts = strtoll(p, &end, 10);
    if (end == p || *end != ',' || errno)
      goto bad;
    p = end + 1;
    int64_t ns;
    const char *q = parse_us(p, &ns);
    if (!q || *q != ',')
      goto bad;
    p = (char *) q + 1;
    char *region = p, *comma = strchr(p, ',');
    if (!comma)
      goto bad;
    *comma = 0;
    char *version = comma + 1;
    comma = strchr(version, ',');
    if (!comma)
      goto bad;
    *comma = 0;
    char *flag = comma + 1;
    if ((flag[0] != '0' && flag[0] != '1') || (flag[1] && flag[1] != '\n' && flag[1] != '\r'))
      goto bad;
    uint32_t rid = *region ? dl_trace_set_intern(set, region, strlen(region)) : 0;
    uint32_t vid = *version ? dl_trace_set_intern(set, version, strlen(version)) : 0;
    row.origin = dl_trace_set_intern_origin(set, svc, vid, rid, env);
    row.start = ts;
    row.duration = ns;
    row.error = (uint8_t) (flag[0] == '1' ? DL_ROW_ERROR : 0);
    uint64_t id = (uint64_t) lineno;
    memcpy(row.trace_id, &id, 8);
    memcpy(row.span_id, &id, 8);
    if (dl_trace_set_append_ids(set, &row, &err))
      die("%s", err.text);
    continue;
  bad:
    fprintf(stderr, "bench/correlate: %s:%ld: malformed row\n", path, lineno);
    exit(2);
  }
  fclose(f);
}

/* ---- output ---- */

/* Position of NAME in the model's order, then other names after it. */
static int
rank_of(const char *name, const char *const *order, int n)
{
  for (int i = 0; i < n; i++)
    if (name && strcmp(name, order[i]) == 0)
      return i;
  return n;
}

static const dl_metrics *cmp_metrics;

static int
cmp_cells(const void *pa, const void *pb)
{
  const dl_cell *a = *(const dl_cell *const *) pa, *b = *(const dl_cell *const *) pb;
  if (a->window != b->window)
    return a->window < b->window ? -1 : 1;
  for (int d = 0; d < 2; d++) {
    const char *x = dl_metrics_key(cmp_metrics, a, (size_t) d);
    const char *y = dl_metrics_key(cmp_metrics, b, (size_t) d);
    const char *const *order = d == 0 ? model_versions : model_regions;
    int n = d == 0 ? 2 : 3;
    int rx = rank_of(x, order, n), ry = rank_of(y, order, n);
    if (rx != ry)
      return rx < ry ? -1 : 1;
    int c = (x && y) ? strcmp(x, y) : (x != NULL) - (y != NULL);
    if (c)
      return c;
  }
  return 0;
}

static void
write_csv(const dl_metrics *m, const char *path)
{
  FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
  if (!f)
    die("cannot write %s", path);
  size_t n = dl_metrics_count(m);
  const dl_cell **cells = malloc((n ? n : 1) * sizeof *cells);
  for (size_t i = 0; i < n; i++)
    cells[i] = dl_metrics_cell(m, i);
  cmp_metrics = m;
  qsort(cells, n, sizeof *cells, cmp_cells);
  fputs("window,version,region,count,errors,error_rate,throughput_per_s,p50_us,p90_us,p95_us,"
        "p99_us\n", f);
  for (size_t i = 0; i < n; i++) {
    const dl_cell *c = cells[i];
    const char *v = dl_metrics_key(m, c, 0), *r = dl_metrics_key(m, c, 1);
    fprintf(f, "%s,%s,%s,%llu,%llu,%.6f,%.3f,%.3f,%.3f,%.3f,%.3f\n",
            dl_metrics_window(m, c->window)->name, v ? v : "", r ? r : "",
            (unsigned long long) c->count, (unsigned long long) c->errors, c->error_rate,
            (double) c->count / 1800.0, c->q[0] / 1000, c->q[1] / 1000, c->q[2] / 1000,
            c->q[3] / 1000);
  }
  free(cells);
  if (f != stdout)
    fclose(f);
}

static void
usage(void)
{
  fputs("usage: bench/correlate [--spans N] [--seed S] [--threads T] [--csv FILE "
        "--deploy-time NS]\n"
        "                       [--write-csv FILE] [--out FILE] "
        "[--percentiles nearest-rank|linear] [--repeat R]\n",
        stderr);
  exit(2);
}

int
main(int argc, char **argv)
{
  size_t spans = 1000000;
  uint64_t seed = 1;
  int threads = 0, repeat = 1;
  const char *csv = NULL, *out = NULL, *write = NULL;
  int64_t deploy = 0;
  int have_deploy = 0;
  dl_quantile_method method = DL_QUANTILE_LINEAR;
  dl_error err;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    char *end;
    if (strcmp(a, "--help") == 0)
      usage();
    if (!v)
      usage();
    i++;
    if (strcmp(a, "--spans") == 0) {
      double x = strtod(v, &end);
      if (*end || !(x >= 0) || x > 4e9)
        die("bad --spans %s", v);
      spans = (size_t) x;
    } else if (strcmp(a, "--seed") == 0) {
      seed = strtoull(v, &end, 10);
      if (*end)
        die("bad --seed %s", v);
    } else if (strcmp(a, "--threads") == 0) {
      threads = (int) strtol(v, &end, 10);
      if (*end || threads < 1 || threads > 64)
        die("bad --threads %s (1 to 64)", v);
    } else if (strcmp(a, "--repeat") == 0) {
      repeat = (int) strtol(v, &end, 10);
      if (*end || repeat < 1 || repeat > 1000)
        die("bad --repeat %s (1 to 1000)", v);
    } else if (strcmp(a, "--csv") == 0) {
      csv = v;
    } else if (strcmp(a, "--deploy-time") == 0) {
      deploy = strtoll(v, &end, 10);
      if (*end)
        die("bad --deploy-time %s (integer ns since the epoch)", v);
      have_deploy = 1;
    } else if (strcmp(a, "--out") == 0) {
      out = v;
    } else if (strcmp(a, "--write-csv") == 0) {
      write = v;
    } else if (strcmp(a, "--percentiles") == 0) {
      if (dl_quantile_method_parse(v, &method, &err))
        die("%s", err.text);
    } else {
      usage();
    }
  }
  if (csv && !have_deploy)
    die("%s", "--csv needs --deploy-time NS");

  dl_trace_set *set = dl_trace_set_new();
  if (!set)
    die("%s", "out of memory");
  double t_load = now_s();
  if (csv) {
    load_csv(set, csv);
  } else {
    FILE *w = NULL;
    if (write && !(w = fopen(write, "w")))
      die("cannot write %s", write);
    generate(set, spans, seed, &deploy, w);
    if (w && fclose(w))
      die("error writing %s", write);
  }
  t_load = now_s() - t_load;
  size_t n = dl_trace_set_count(set);
  /* Fill the store's cached columns before timing (what any reader does
     once after loading). */
  dl_span_columns cols;
  dl_trace_set_columns(set, &cols);

  dl_window win[3] = {{"baseline", deploy - 30 * MINUTE, deploy, 0},
                      {"canary", deploy, deploy + 30 * MINUTE, 0},
                      {"after", deploy + 30 * MINUTE, deploy + 60 * MINUTE, 0}};
  dl_group_spec group;
  dl_group_spec_init(&group);
  if (dl_group_spec_parse("version,region", &group, &err))
    die("%s", err.text);
  dl_filter filter;
  dl_filter_init(&filter);
  filter.service = "checkout";
  filter.kind = DL_KIND_SERVER;
  dl_metrics_options o;
  dl_metrics_options_init(&o);
  o.windows = win;
  o.n_windows = 3;
  o.group = &group;
  o.filter = &filter;
  o.method = method;
  o.threads = threads;
  if (!threads && n > 0) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    o.threads = cpus > 0 ? (int) cpus : 1;
  }

  dl_metrics *m = NULL;
  double seconds = 0;
  for (int r = 0; r < repeat; r++) {
    dl_metrics *run;
    double t0 = now_s();
    int rc = dl_metrics_compute(set, &o, &run, &err);
    double s = now_s() - t0;
    if (rc)
      die("%s", err.text);
    if (repeat > 1)
      printf("  run %d: %.4f s\n", r + 1, s);
    if (!m || s < seconds)
      seconds = s;
    /* Every run gives the same figures; keep the first. */
    if (m)
      dl_metrics_free(run);
    else
      m = run;
  }

  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  long long rss = (long long) ru.ru_maxrss * 1024;
  if (out)
    write_csv(m, out);

  char when[DL_TIME_TEXT_SIZE];
  printf("bench/correlate: %zu spans %s, deployment at %s (%lld ns), loaded in %.2f s\n", n,
         csv ? csv : "generated", dl_time_format(deploy, when), (long long) deploy, t_load);
  printf("  windows baseline/canary/after of 30 min, grouped by version x region: %zu groups, "
         "%llu requests\n",
         dl_metrics_count(m), (unsigned long long) dl_metrics_rows_matched(m));
  printf("  percentiles %s, %d thread%s: %.4f s%s, %.1f million spans/s, peak RSS %.1f MiB\n",
         dl_quantile_method_name(method), dl_metrics_threads(m),
         dl_metrics_threads(m) == 1 ? "" : "s", seconds, repeat > 1 ? " (best run)" : "", (double) n / seconds / 1e6,
         (double) rss / 1048576.0);
  for (size_t i = 0; i < dl_metrics_count(m) && i < 64; i++) {
    const dl_cell *c = dl_metrics_cell(m, i);
    const char *v = dl_metrics_key(m, c, 0), *r = dl_metrics_key(m, c, 1);
    printf("  %-8s %-3s %-15s %9llu req  err %.4f  p50 %8.1f  p99 %8.1f ms\n",
           dl_metrics_window(m, c->window)->name, v ? v : "-", r ? r : "-",
           (unsigned long long) c->count, c->error_rate, c->q[0] / 1e6, c->q[3] / 1e6);
  }
  printf("{\"bench\":\"correlate\",\"spans\":%zu,\"threads\":%d,\"seconds\":%.6f,"
         "\"spans_per_s\":%.0f,\"peak_rss_bytes\":%lld}\n",
         n, dl_metrics_threads(m), seconds, seconds > 0 ? (double) n / seconds : 0.0, rss);
  dl_metrics_free(m);
  dl_group_spec_clear(&group);
  dl_trace_set_free(set);
  return 0;
}
