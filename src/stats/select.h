/* Introselect for one element type, included twice by dl-quantile.c with
   SEL_T (the type) and SEL_NAME(x) (a suffixing macro) defined.  Not a
   public header.  Values compared with `<' only, so NaNs must not occur
   (callers drop them). */

#define SEL_SWAP(a, b)                                                           \
  do {                                                                           \
    SEL_T t_ = (a);                                                              \
    (a) = (b);                                                                   \
    (b) = t_;                                                                    \
  } while (0)

/* Sorts a short range by insertion: cheaper than partitioning below a few
   dozen elements. */
static void
SEL_NAME(insertion)(SEL_T *v, size_t n)
{
  for (size_t i = 1; i < n; i++) {
    SEL_T x = v[i];
    size_t j = i;
    while (j > 0 && x < v[j - 1]) {
      v[j] = v[j - 1];
      j--;
    }
    v[j] = x;
  }
}

/* The index of the median of v[a], v[b], v[c]. */
static size_t
SEL_NAME(median3)(const SEL_T *v, size_t a, size_t b, size_t c)
{
  if (v[a] < v[b])
    return v[b] < v[c] ? b : (v[a] < v[c] ? c : a);
  return v[a] < v[c] ? a : (v[b] < v[c] ? c : b);
}

static void SEL_NAME(select_range)(SEL_T *v, size_t n, size_t k, int depth);

/* Median of medians of five: a pivot index whose rank is between 30% and
   70%, which bounds the work when quickselect keeps choosing badly. */
static size_t
SEL_NAME(mom_pivot)(SEL_T *v, size_t n)
{
  size_t groups = 0;
  for (size_t i = 0; i + 5 <= n; i += 5) {
    SEL_NAME(insertion)(v + i, 5);
    SEL_SWAP(v[groups], v[i + 2]);
    groups++;
  }
  /* The medians now sit at the front; select their median (fallback
     depth 0: median of medians all the way down). */
  SEL_NAME(select_range)(v, groups, groups / 2, 0);
  return groups / 2;
}

/* Partitions v[0..n) around the value at index P: returns the final
   index of the pivot, smaller-or-equal values before it, larger-or-equal
   after.  Hoare-style scans keep runs of equal values balanced. */
static size_t
SEL_NAME(partition)(SEL_T *v, size_t n, size_t p)
{
  SEL_SWAP(v[0], v[p]);
  SEL_T pivot = v[0];
  size_t i = 0, j = n;
  for (;;) {
    do
      i++;
    while (i < n && v[i] < pivot);
    do
      j--;
    while (pivot < v[j]);
    if (i >= j)
      break;
    SEL_SWAP(v[i], v[j]);
  }
  SEL_SWAP(v[0], v[j]);
  return j;
}

/* Quickselect with DEPTH partitions left before median-of-medians takes
   over (DEPTH 0: median of medians from the start). */
static void
SEL_NAME(select_range)(SEL_T *v, size_t n, size_t k, int depth)
{
  while (n > 24) {
    size_t p;
    if (depth > 0) {
      depth--;
      p = SEL_NAME(median3)(v, 0, n / 2, n - 1);
    } else {
      p = SEL_NAME(mom_pivot)(v, n);
    }
    size_t m = SEL_NAME(partition)(v, n, p);
    if (k == m)
      return;
    if (k < m) {
      n = m;
    } else {
      v += m + 1;
      n -= m + 1;
      k -= m + 1;
    }
  }
  SEL_NAME(insertion)(v, n);
}

static int
SEL_NAME(depth_for)(size_t n)
{
  int d = 0;
  while (n > 1) {
    n >>= 1;
    d += 2;
  }
  return d + 4;
}

/* Selects the ranks RANKS[0..m) (ascending, absolute indices of V) that
   fall in v[lo..hi): the middle rank is selected, which splits the range
   and the other ranks in two. */
static void
SEL_NAME(select_many_range)(SEL_T *v, size_t lo, size_t hi, const size_t *ranks, size_t m,
                            int depth)
{
  if (m == 0 || hi - lo < 2)
    return;
  if (hi - lo <= 24) {
    SEL_NAME(insertion)(v + lo, hi - lo);
    return;
  }
  size_t mid = m / 2, k = ranks[mid];
  SEL_NAME(select_range)(v + lo, hi - lo, k - lo, depth);
  size_t lo_end = mid, hi_start = mid + 1;
  while (lo_end > 0 && ranks[lo_end - 1] == k)
    lo_end--;
  while (hi_start < m && ranks[hi_start] == k)
    hi_start++;
  SEL_NAME(select_many_range)(v, lo, k, ranks, lo_end, depth);
  SEL_NAME(select_many_range)(v, k + 1, hi, ranks + hi_start, m - hi_start, depth);
}

#undef SEL_SWAP
