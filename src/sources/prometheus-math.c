/* PromQL's increase() and histogram_quantile(), as Prometheus 2
   computes them (promql/functions.go extrapolatedRate, promql/quantile.go
   bucketQuantile), so that a figure deploy-ledger derives from raw
   samples equals the one the server answers for the same expression. */
#include "deploy-ledger/prometheus.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ingest/json-scanner.h" /* dl_parse_double */

double
dl_prom_increase(const int64_t *t, const double *v, size_t n, int64_t start, int64_t end)
{
  /* The samples in the closed range; Prometheus keeps milliseconds. */
  int64_t start_ms = start / 1000000, end_ms = end / 1000000;
  size_t a = 0;
  while (a < n && t[a] / 1000000 < start_ms)
    a++;
  size_t b = a;
  while (b < n && t[b] / 1000000 <= end_ms)
    b++;
  if (b - a < 2)
    return NAN;
  const double *x = v + a;
  size_t m = b - a;
  double result = x[m - 1] - x[0];
  /* A counter that went down was reset: what it had counted before the
     reset is added back. */
  for (size_t i = 1; i < m; i++)
    if (x[i] < x[i - 1])
      result += x[i - 1];
  double first_t = (double) (t[a] / 1000000), last_t = (double) (t[b - 1] / 1000000);
  double to_start = (first_t - (double) start_ms) / 1000;
  double to_end = ((double) end_ms - last_t) / 1000;
  double sampled = (last_t - first_t) / 1000;
  double average = sampled / (double) (m - 1);
  if (result > 0 && x[0] >= 0) {
    /* Extrapolating backwards must not take the counter below zero. */
    double to_zero = sampled * (x[0] / result);
    if (to_zero < to_start)
      to_start = to_zero;
  }
  /* Extrapolate to a range end only when a sample is close to it (within
     1.1 average intervals); else by half an interval, as another sample
     would likely have come. */
  double threshold = average * 1.1;
  double interval = sampled;
  interval += to_start < threshold ? to_start : average / 2;
  interval += to_end < threshold ? to_end : average / 2;
  return result * (interval / sampled);
}

typedef struct bucket {
  double le, count;
} bucket;

static int
cmp_bucket(const void *pa, const void *pb)
{
  double a = ((const bucket *) pa)->le, b = ((const bucket *) pb)->le;
  return a < b ? -1 : a > b ? 1 : 0;
}

double
dl_prom_histogram_quantile(double q, double *le, double *count, size_t n)
{
  if (isnan(q))
    return NAN;
  if (q < 0)
    return -INFINITY;
  if (q > 1)
    return INFINITY;
  if (!n)
    return NAN;
  bucket stack[64];
  bucket *bs = n <= 64 ? stack : malloc(n * sizeof *bs);
  if (!bs)
    return NAN;
  for (size_t i = 0; i < n; i++) {
    bs[i].le = le[i];
    bs[i].count = count[i];
  }
  qsort(bs, n, sizeof *bs, cmp_bucket);
  for (size_t i = 0; i < n; i++) {
    le[i] = bs[i].le;
    count[i] = bs[i].count;
  }
  double result = NAN;
  if (!(isinf(bs[n - 1].le) && bs[n - 1].le > 0))
    goto done;
  /* Buckets of the same bound (from series that differ only in a label
     summed away) count together. */
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    if (m && bs[m - 1].le == bs[i].le)
      bs[m - 1].count += bs[i].count;
    else
      bs[m++] = bs[i];
  }
  /* Counts must not fall with the bound: a lower count (a bucket scraped
     at another moment, precision loss) is raised to the maximum so far. */
  double max = -INFINITY;
  for (size_t i = 0; i < m; i++) {
    if (bs[i].count > max)
      max = bs[i].count;
    else if (bs[i].count < max)
      bs[i].count = max;
  }
  if (m < 2)
    goto done;
  double observations = bs[m - 1].count;
  if (observations == 0)
    goto done;
  double rank = q * observations;
  size_t b = 0;
  while (b < m - 1 && !(bs[b].count >= rank))
    b++;
  if (b == m - 1) {
    /* In the +Inf bucket: the largest finite bound is all we know. */
    result = bs[m - 2].le;
    goto done;
  }
  if (b == 0 && bs[0].le <= 0) {
    result = bs[0].le;
    goto done;
  }
  double lo = 0, hi = bs[b].le, in = bs[b].count;
  if (b > 0) {
    lo = bs[b - 1].le;
    in -= bs[b - 1].count;
    rank -= bs[b - 1].count;
  }
  result = lo + (hi - lo) * (rank / in);
done:
  if (bs != stack)
    free(bs);
  return result;
}

int
dl_prom_parse_le(const char *text, double *out)
{
  size_t len = strlen(text);
  const char *s = text;
  int sign = 1;
  if (len && (s[0] == '+' || s[0] == '-')) {
    sign = s[0] == '-' ? -1 : 1;
    s++;
    len--;
  }
  if ((len == 3 && strncasecmp(s, "inf", 3) == 0)
      || (len == 8 && strncasecmp(s, "infinity", 8) == 0)) {
    *out = sign * INFINITY;
    return 0;
  }
  if (len == 3 && strncasecmp(s, "nan", 3) == 0 && s == text) {
    *out = NAN;
    return 0;
  }
  if (!len || len > 64)
    return -1;
  for (size_t i = 0; i < len; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == 'e' || s[i] == 'E'
          || ((s[i] == '+' || s[i] == '-') && i > 0 && (s[i - 1] == 'e' || s[i - 1] == 'E'))))
      return -1;
  double x;
  if (dl_parse_double(s, len, &x))
    return -1;
  *out = sign * x;
  return 0;
}
