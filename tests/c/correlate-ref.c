/* A deliberately plain reference for bench/correlate: reads the CSV
 * (ts_unix_nano,latency_us,region,version,is_error), puts each request of
 * the three windows in a list per window x version x region, sorts each
 * list and applies the textbook formulas.  It shares no code with the
 * engine, so agreement between the two means something.
 *
 *   correlate-ref FILE DEPLOY_NS linear|nearest-rank > result.csv */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MINUTE (INT64_C(60) * 1000000000)

typedef struct list {
  char version[64], region[64];
  int window;
  int64_t *v; /* latency in ns */
  size_t n, cap;
  unsigned long long errors;
} list;

static list *lists;
static size_t n_lists;

static list *
find(int window, const char *version, const char *region)
{
  for (size_t i = 0; i < n_lists; i++)
    if (lists[i].window == window && strcmp(lists[i].version, version) == 0
        && strcmp(lists[i].region, region) == 0)
      return &lists[i];
  lists = realloc(lists, (n_lists + 1) * sizeof *lists);
  list *l = &lists[n_lists++];
  memset(l, 0, sizeof *l);
  l->window = window;
  snprintf(l->version, sizeof l->version, "%s", version);
  snprintf(l->region, sizeof l->region, "%s", region);
  return l;
}

static int
cmp_i64(const void *a, const void *b)
{
  int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
  return (x > y) - (x < y);
}

static const char *const versions[] = {"v1", "v2"};
static const char *const regions[] = {"us-east-1", "eu-west-1", "ap-southeast-1"};

static int
pos(const char *s, const char *const *order, int n)
{
  for (int i = 0; i < n; i++)
    if (strcmp(s, order[i]) == 0)
      return i;
  return n;
}

static int
cmp_list(const void *a, const void *b)
{
  const list *x = a, *y = b;
  if (x->window != y->window)
    return x->window - y->window;
  int c = pos(x->version, versions, 2) - pos(y->version, versions, 2);
  if (c)
    return c;
  c = strcmp(x->version, y->version);
  if (c)
    return c;
  c = pos(x->region, regions, 3) - pos(y->region, regions, 3);
  return c ? c : strcmp(x->region, y->region);
}

/* Percentile P (an integer percent) of the sorted S[0..n). */
static double
percentile(const int64_t *s, size_t n, int p, int nearest)
{
  if (nearest) {
    size_t rank = (n * (size_t) p + 99) / 100; /* ceil(n p / 100) */
    return (double) s[(rank ? rank : 1) - 1];
  }
  size_t num = (n - 1) * (size_t) p;
  size_t lo = num / 100, rem = num % 100;
  if (rem == 0)
    return (double) s[lo];
  return (double) s[lo] + (double) rem / 100.0 * ((double) s[lo + 1] - (double) s[lo]);
}

int
main(int argc, char **argv)
{
  if (argc != 4) {
    fprintf(stderr, "usage: correlate-ref FILE DEPLOY_NS linear|nearest-rank\n");
    return 2;
  }
  FILE *f = fopen(argv[1], "r");
  if (!f) {
    perror(argv[1]);
    return 2;
  }
  long long t = atoll(argv[2]);
  int nearest = strcmp(argv[3], "nearest-rank") == 0;
  char line[512];
  if (!fgets(line, sizeof line, f))
    return 2;
  while (fgets(line, sizeof line, f)) {
    long long ts;
    double us;
    char region[64], version[64];
    int err;
    if (sscanf(line, "%lld,%lf,%63[^,],%63[^,],%d", &ts, &us, region, version, &err) != 5)
      return 2;
    int w = ts < t - 30 * MINUTE ? -1 : ts < t ? 0 : ts < t + 30 * MINUTE ? 1 : ts < t + 60 * MINUTE ? 2 : -1;
    if (w < 0)
      continue;
    list *l = find(w, version, region);
    if (l->n == l->cap) {
      l->cap = l->cap ? 2 * l->cap : 1024;
      l->v = realloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = (int64_t) (us * 1000 + 0.5);
    l->errors += err != 0;
  }
  fclose(f);
  qsort(lists, n_lists, sizeof *lists, cmp_list);
  static const char *const names[] = {"baseline", "canary", "after"};
  printf("window,version,region,count,errors,error_rate,throughput_per_s,p50_us,p90_us,p95_us,"
         "p99_us\n");
  for (size_t i = 0; i < n_lists; i++) {
    list *l = &lists[i];
    qsort(l->v, l->n, sizeof *l->v, cmp_i64);
    printf("%s,%s,%s,%zu,%llu,%.6f,%.3f,%.3f,%.3f,%.3f,%.3f\n", names[l->window], l->version,
           l->region, l->n, l->errors, (double) l->errors / (double) l->n, (double) l->n / 1800.0,
           percentile(l->v, l->n, 50, nearest) / 1000, percentile(l->v, l->n, 90, nearest) / 1000,
           percentile(l->v, l->n, 95, nearest) / 1000, percentile(l->v, l->n, 99, nearest) / 1000);
    free(l->v);
  }
  free(lists);
  return 0;
}
