/* Radix sort of doubles. */
#include "stats/sort.h"

#include <stdlib.h>
#include <string.h>

uint64_t
dl_f64_key(double x)
{
  uint64_t u;
  memcpy(&u, &x, sizeof u);
  /* Negatives: flip every bit (larger magnitude sorts first); positives:
     set the sign bit so they sort after every negative. */
  return (u >> 63) ? ~u : u | (UINT64_C(1) << 63);
}

double
dl_f64_from_key(uint64_t k)
{
  uint64_t u = (k >> 63) ? k & ~(UINT64_C(1) << 63) : ~k;
  double x;
  memcpy(&x, &u, sizeof x);
  return x;
}

static int
cmp_f64(const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static void
insertion(double *v, size_t n)
{
  for (size_t i = 1; i < n; i++) {
    double x = v[i];
    size_t j = i;
    while (j > 0 && x < v[j - 1]) {
      v[j] = v[j - 1];
      j--;
    }
    v[j] = x;
  }
}

void
dl_sort_f64(double *v, size_t n)
{
  if (n < 64) {
    insertion(v, n);
    return;
  }
  if (n < 4096) {
    qsort(v, n, sizeof *v, cmp_f64);
    return;
  }
  uint64_t *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
  size_t *count = malloc(65536 * sizeof *count);
  if (!a || !b || !count) {
    free(a);
    free(b);
    free(count);
    qsort(v, n, sizeof *v, cmp_f64);
    return;
  }
  for (size_t i = 0; i < n; i++)
    a[i] = dl_f64_key(v[i]);
  /* Four passes of 16 bits; a pass whose digit is the same everywhere
     is skipped (latencies share their top bits). */
  for (int shift = 0; shift < 64; shift += 16) {
    memset(count, 0, 65536 * sizeof *count);
    for (size_t i = 0; i < n; i++)
      count[(a[i] >> shift) & 0xffff]++;
    if (count[(a[0] >> shift) & 0xffff] == n)
      continue;
    size_t sum = 0;
    for (size_t d = 0; d < 65536; d++) {
      size_t c = count[d];
      count[d] = sum;
      sum += c;
    }
    for (size_t i = 0; i < n; i++)
      b[count[(a[i] >> shift) & 0xffff]++] = a[i];
    uint64_t *t = a;
    a = b;
    b = t;
  }
  for (size_t i = 0; i < n; i++)
    v[i] = dl_f64_from_key(a[i]);
  free(a);
  free(b);
  free(count);
}
