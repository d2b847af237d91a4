/* DDSketch with dense, collapsing-lowest bucket stores. */
#include "deploy-ledger/ddsketch.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Counts for keys [base, base + cap); occupied keys [lo, hi] when total
   is nonzero.  Keys below `floor_key' (once set) were collapsed into it. */
typedef struct store {
  uint64_t *counts;
  int32_t base;
  size_t cap;
  int32_t lo, hi;
  uint64_t total;
  int collapsed;
} store;

struct dl_ddsketch {
  double accuracy, gamma, log_gamma, min_indexable;
  size_t max_buckets;
  store pos, neg;
  uint64_t zeros, count;
  double min, max, sum;
};

dl_ddsketch *
dl_ddsketch_new(double accuracy, size_t max_buckets)
{
  if (!(accuracy > 0 && accuracy < 1))
    return NULL;
  if (max_buckets == 0)
    max_buckets = DL_DDSKETCH_DEFAULT_BUCKETS;
  if (max_buckets < 16)
    return NULL;
  dl_ddsketch *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  s->accuracy = accuracy;
  s->gamma = (1 + accuracy) / (1 - accuracy);
  s->log_gamma = log(s->gamma);
  /* Below this a key would fall out of int32 range or the log lose
     meaning: such values count as zero. */
  s->min_indexable = DBL_MIN * s->gamma;
  s->max_buckets = max_buckets;
  s->min = INFINITY;
  s->max = -INFINITY;
  return s;
}

void
dl_ddsketch_free(dl_ddsketch *s)
{
  if (!s)
    return;
  free(s->pos.counts);
  free(s->neg.counts);
  free(s);
}

static int32_t
key_of(const dl_ddsketch *s, double x)
{
  return (int32_t) ceil(log(x) / s->log_gamma);
}

static double
value_of(const dl_ddsketch *s, int32_t key)
{
  return 2 * pow(s->gamma, key) / (s->gamma + 1);
}

/* Makes room for KEY in ST (recentering or growing the array); keys too
   far below the highest collapse into the lowest kept one.  Returns the
   key actually to increment, or INT32_MIN when out of memory. */
static int32_t
store_make_room(store *st, int32_t key, size_t max_buckets)
{
  if (st->total == 0) {
    if (!st->counts) {
      st->cap = 64;
      st->counts = calloc(st->cap, sizeof *st->counts);
      if (!st->counts)
        return INT32_MIN;
    } else {
      memset(st->counts, 0, st->cap * sizeof *st->counts);
    }
    st->base = key - (int32_t) (st->cap / 2);
    st->lo = st->hi = key;
    return key;
  }
  if (st->collapsed && key < st->lo)
    key = st->lo; /* below the collapsed floor */
  int32_t lo = key < st->lo ? key : st->lo, hi = key > st->hi ? key : st->hi;
  uint64_t moved = 0;
  if ((uint64_t) ((int64_t) hi - lo) + 1 > max_buckets) {
    /* Collapse: keep the top max_buckets keys; what lies below the new
       floor is counted in the floor bucket. */
    int32_t floor_key = (int32_t) (hi - (int64_t) max_buckets + 1);
    if (key < floor_key)
      key = floor_key;
    for (int32_t k = st->lo; k < floor_key && k <= st->hi; k++) {
      moved += st->counts[k - st->base];
      st->counts[k - st->base] = 0;
    }
    st->collapsed = 1;
    lo = floor_key;
  }
  if (lo < st->base || hi >= st->base + (int64_t) st->cap) {
    /* Reallocate, centred on the occupied range with slack on both sides. */
    size_t span = (size_t) ((int64_t) hi - lo) + 1;
    size_t cap = st->cap;
    while (cap < span * 2)
      cap *= 2;
    uint64_t *counts = calloc(cap, sizeof *counts);
    if (!counts)
      return INT32_MIN;
    int32_t base = (int32_t) (lo - (int64_t) (cap - span) / 2);
    for (int32_t k = st->lo > lo ? st->lo : lo; k <= st->hi; k++)
      counts[k - base] = st->counts[k - st->base];
    free(st->counts);
    st->counts = counts;
    st->cap = cap;
    st->base = base;
  }
  st->counts[lo - st->base] += moved;
  st->lo = lo;
  st->hi = hi;
  return key;
}

static int
store_add(store *st, int32_t key, uint64_t count, size_t max_buckets)
{
  int32_t k = store_make_room(st, key, max_buckets);
  if (k == INT32_MIN)
    return DL_ENOMEM;
  st->counts[k - st->base] += count;
  st->total += count;
  return DL_OK;
}

int
dl_ddsketch_add(dl_ddsketch *s, double value, uint64_t count, dl_error *err)
{
  if (isnan(value))
    return dl_fail(err, DL_EINVAL, "ddsketch: cannot add NaN");
  if (count == 0)
    return DL_OK;
  int rc = DL_OK;
  if (value >= s->min_indexable)
    rc = store_add(&s->pos, key_of(s, value), count, s->max_buckets);
  else if (value <= -s->min_indexable)
    rc = store_add(&s->neg, key_of(s, -value), count, s->max_buckets);
  else
    s->zeros += count;
  if (rc)
    return dl_fail(err, rc, "ddsketch: out of memory");
  s->count += count;
  if (value < s->min)
    s->min = value;
  if (value > s->max)
    s->max = value;
  s->sum += value * (double) count;
  return DL_OK;
}

static int
store_merge(store *dst, const store *src, size_t max_buckets)
{
  if (src->total == 0)
    return DL_OK;
  for (int32_t k = src->hi; k >= src->lo; k--) {
    uint64_t c = src->counts[k - src->base];
    if (c && store_add(dst, k, c, max_buckets))
      return DL_ENOMEM;
  }
  if (src->collapsed)
    dst->collapsed = 1;
  return DL_OK;
}

int
dl_ddsketch_merge(dl_ddsketch *dst, const dl_ddsketch *src, dl_error *err)
{
  if (dst == src)
    return dl_fail(err, DL_EINVAL, "ddsketch: cannot merge a sketch into itself");
  if (dst->accuracy != src->accuracy)
    return dl_fail(err, DL_EINVAL, "ddsketch: accuracies differ (%g and %g)", dst->accuracy,
                   src->accuracy);
  if (store_merge(&dst->pos, &src->pos, dst->max_buckets)
      || store_merge(&dst->neg, &src->neg, dst->max_buckets))
    return dl_fail(err, DL_ENOMEM, "ddsketch: out of memory merging");
  dst->zeros += src->zeros;
  dst->count += src->count;
  if (src->min < dst->min)
    dst->min = src->min;
  if (src->max > dst->max)
    dst->max = src->max;
  dst->sum += src->sum;
  return DL_OK;
}

uint64_t
dl_ddsketch_count(const dl_ddsketch *s)
{
  return s->count;
}

double
dl_ddsketch_accuracy(const dl_ddsketch *s)
{
  return s->accuracy;
}

double
dl_ddsketch_min(const dl_ddsketch *s)
{
  return s->count ? s->min : NAN;
}

double
dl_ddsketch_max(const dl_ddsketch *s)
{
  return s->count ? s->max : NAN;
}

double
dl_ddsketch_sum(const dl_ddsketch *s)
{
  return s->count ? s->sum : NAN;
}

double
dl_ddsketch_quantile(const dl_ddsketch *s, double q)
{
  if (s->count == 0 || isnan(q))
    return NAN;
  if (q <= 0)
    return s->min;
  if (q >= 1)
    return s->max;
  uint64_t rank = (uint64_t) floor(q * (double) (s->count - 1));
  double v = NAN;
  uint64_t seen = 0;
  /* Ascending order: most negative first, then zeros, then positives. */
  if (s->neg.total) {
    for (int32_t k = s->neg.hi; k >= s->neg.lo; k--) {
      seen += s->neg.counts[k - s->neg.base];
      if (seen > rank) {
        v = -value_of(s, k);
        goto found;
      }
    }
  }
  seen += s->zeros;
  if (seen > rank) {
    v = 0;
    goto found;
  }
  for (int32_t k = s->pos.lo; s->pos.total && k <= s->pos.hi; k++) {
    seen += s->pos.counts[k - s->pos.base];
    if (seen > rank) {
      v = value_of(s, k);
      goto found;
    }
  }
  v = s->max;
found:
  /* The representative may overshoot the exact extremes. */
  if (v < s->min)
    v = s->min;
  if (v > s->max)
    v = s->max;
  return v;
}

size_t
dl_ddsketch_bucket_count(const dl_ddsketch *s)
{
  size_t n = s->zeros ? 1 : 0;
  const store *st[2] = {&s->pos, &s->neg};
  for (int i = 0; i < 2; i++)
    if (st[i]->total)
      for (int32_t k = st[i]->lo; k <= st[i]->hi; k++)
        n += st[i]->counts[k - st[i]->base] != 0;
  return n;
}
