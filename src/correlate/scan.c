/* The two scans of the metrics engine over the columns of a trace set.
   One generic loop, specialised by constant flags (which phase, direct or
   hashed slots, rows or a selection, how windows are found) so that each
   variant compiles to a tight loop without per-row tests of the mode. */
#include "correlate/scan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/log-bucket.h"
#include "util/hash.h"

#define ALWAYS_INLINE inline __attribute__((always_inline))

/* Where counts go when a histogram cannot be allocated: the scan keeps
   going without a test per row, and the failure is reported after. */
static _Thread_local uint32_t spill[DL_LOGBUCKET_COUNT];

void
scan_thread_clear(scan_thread *t)
{
  for (size_t s = 0; s < t->n_slots; s++) {
    if (t->hist && t->hist[s] != spill)
      free(t->hist[s]);
    if (t->sketch)
      dl_ddsketch_free(t->sketch[s]);
  }
  free(t->sum);
  free(t->errors);
  free(t->hist);
  free(t->sketch);
  free(t->slot_key);
  dl_hash_free(&t->index);
  free(t->out);
  t->sum = t->errors = NULL;
  t->hist = NULL;
  t->sketch = NULL;
  t->slot_key = NULL;
  t->out = NULL;
  t->n_slots = t->cap_slots = 0;
}

static int
fail(scan_thread *t, int code, const char *what)
{
  if (!t->rc)
    t->rc = dl_fail(&t->err, code, "%s", what);
  return t->rc;
}

/* Room for WANT slots. */
static int
grow_slots(scan_thread *t, size_t want)
{
  if (want <= t->cap_slots)
    return DL_OK;
  size_t cap = t->cap_slots ? t->cap_slots : 64;
  while (cap < want)
    cap *= 2;
  uint64_t *sum = realloc(t->sum, cap * sizeof *sum);
  if (sum)
    t->sum = sum;
  uint64_t *errors = realloc(t->errors, cap * sizeof *errors);
  if (errors)
    t->errors = errors;
  uint32_t **hist = realloc(t->hist, cap * sizeof *hist);
  if (hist)
    t->hist = hist;
  dl_ddsketch **sk = realloc(t->sketch, cap * sizeof *sk);
  if (sk)
    t->sketch = sk;
  void *keys = t->hashed ? realloc(t->slot_key, cap * sizeof *t->slot_key) : NULL;
  if (keys)
    t->slot_key = keys;
  if (!sum || !errors || !hist || !sk || (t->hashed && !keys))
    return fail(t, DL_ENOMEM, "out of memory for metric groups");
  for (size_t s = t->cap_slots; s < cap; s++) {
    t->sum[s] = t->errors[s] = 0;
    t->hist[s] = NULL;
    t->sketch[s] = NULL;
  }
  t->cap_slots = cap;
  return DL_OK;
}

/* Whether two keys of N ids are equal: N is small, and a call to
   memcmp would cost more than the loop. */
static ALWAYS_INLINE int
same_key(const uint32_t *a, const uint32_t *b, size_t n)
{
  uint32_t d = 0;
  for (size_t i = 0; i < n; i++)
    d |= a[i] ^ b[i];
  return d == 0;
}

/* The local slot of (window, class, row ids); created in phase A.
   SIZE_MAX on failure (or, in phase B, for a key phase A never saw). */
static size_t
hashed_slot(scan_thread *t, const uint32_t *k, int create)
{
  const size_t nk = 2 + t->p->n_row_dims;
  const uint32_t h = dl_hash_u32s(k, nk);
  dl_hash_probe pr = dl_hash_probe_begin(&t->index, h);
  for (uint32_t s; (s = dl_hash_probe_next(&pr)) != DL_HASH_NONE;)
    if (same_key(t->slot_key[s], k, nk))
      return s;
  if (!create || grow_slots(t, t->n_slots + 1))
    return SIZE_MAX;
  const size_t s = t->n_slots;
  if (dl_hash_add(&t->index, h, (uint32_t) s))
    return SIZE_MAX;
  t->n_slots++;
  memset(t->slot_key[s], 0, sizeof t->slot_key[s]);
  memcpy(t->slot_key[s], k, nk * sizeof *k);
  return s;
}

/* Window index of offset U (< span) when windows are uniform. */
static ALWAYS_INLINE size_t
uniform_window(uint64_t u, const uint64_t *bound, uint64_t width, double inv_width, const int few)
{
  if (few)
    return (size_t) (u >= bound[1]) + (u >= bound[2]) + (u >= bound[3]);
  uint64_t w = (uint64_t) ((double) u * inv_width);
  if (w * width > u)
    w--;
  else if ((w + 1) * width <= u)
    w++;
  return (size_t) w;
}

/* A histogram for slot S, allocated on first use. */
static uint32_t *
new_hist(scan_thread *t, size_t s)
{
  uint32_t *h = calloc(DL_LOGBUCKET_COUNT, sizeof *h);
  if (!h) {
    fail(t, DL_ENOMEM, "out of memory for latency histograms");
    h = spill;
  }
  t->hist[s] = h;
  return h;
}

static void
add_sketch(scan_thread *t, size_t s, int64_t d)
{
  if (!t->sketch[s] && !(t->sketch[s] = dl_ddsketch_new(DL_DDSKETCH_DEFAULT_ACCURACY, 0))) {
    fail(t, DL_ENOMEM, "out of memory for sketches");
    return;
  }
  if (dl_ddsketch_add(t->sketch[s], (double) d, 1, NULL))
    fail(t, DL_ENOMEM, "out of memory for sketches");
}

/* What the loop reads from the plan and the thread, copied into one
   constant structure: the compiler then keeps it in registers instead of
   reloading it after every store into a histogram. */
typedef struct ctx {
  const uint32_t *rows;
  const uint8_t *kind_col, *flags;
  int kind;
  const int32_t *oclass;
  const uint32_t *origin, *operation;
  int op_mode, attr_mode;
  uint32_t op_id, attr_id;
  const uint32_t *attr_col;
  const int64_t *start, *dur;
  int has_tmin, has_tmax;
  int64_t tmin, tmax;
  uint64_t t0, span, width;
  double inv_width;
  uint64_t bound[4];
  const dl_window *win;
  size_t nw, ncls, nrd;
  int sketches, keep;
  uint64_t *sum, *errs;
  uint32_t **hist;
  const uint8_t *any;
  const size_t *l2g;
  uint8_t *const *target;
  int64_t **out;
} ctx;

/* One row: filter, window, slot, then count it (phase A) or copy its
   latency if a slot wants it (phase B).  Nonzero to stop the scan. */
static ALWAYS_INLINE int
row(scan_thread *t, const ctx *x, size_t r, int64_t d, uint32_t b, const int phase_b,
    const int hashed, const int uniform, const int few, const int full)
{
  if (x->kind >= 0 && x->kind_col[r] != x->kind)
    return 0;
  const int32_t cls = x->oclass[x->origin[r]];
  if (cls < 0)
    return 0;
  if (full && x->op_mode && x->operation[r] != x->op_id)
    return 0;
  if (full && x->attr_mode
      && !(x->attr_mode == 1 ? x->attr_col[r] != 0 : x->attr_col[r] == x->attr_id))
    return 0;
  const int64_t ts = x->start[r];
  if (full && ((x->has_tmin && ts < x->tmin) || (x->has_tmax && ts >= x->tmax)))
    return 0;
  size_t w, w_end;
  if (uniform) {
    const uint64_t u = (uint64_t) ts - x->t0;
    if (u >= x->span)
      return 0;
    w = uniform_window(u, x->bound, x->width, x->inv_width, few);
    w_end = w + 1;
  } else {
    w = 0;
    w_end = x->nw;
  }
  for (; w < w_end; w++) {
    if (!uniform && !(ts >= x->win[w].start && ts < x->win[w].end))
      continue;
    size_t s;
    if (hashed) {
      uint32_t k[2 + DL_GROUP_MAX_DIMS];
      k[0] = (uint32_t) w;
      k[1] = (uint32_t) cls;
      for (size_t j = 0; j < x->nrd; j++)
        k[2 + j] = t->p->row_col[j] ? t->p->row_col[j][r] : 0;
      s = hashed_slot(t, k, !phase_b);
      if (s == SIZE_MAX) {
        fail(t, DL_ENOMEM, "out of memory for metric groups");
        return 1;
      }
    } else {
      s = w * x->ncls + (size_t) cls;
    }
    if (phase_b) {
      const size_t g = x->l2g[s];
      const unsigned k = x->keep ? 1 : x->target[g][b];
      if (k)
        *x->out[g * SCAN_MAX_TARGETS + k - 1]++ = d;
    } else {
      /* Hashed slots may have moved the arrays (new slots). */
      uint64_t *const sm = hashed ? t->sum : x->sum, *const er = hashed ? t->errors : x->errs;
      uint32_t *h = (hashed ? t->hist : x->hist)[s];
      if (__builtin_expect(!h, 0))
        h = new_hist(t, s);
      sm[s] += (uint64_t) d;
      er[s] += x->flags[r] & DL_ROW_ERROR;
      h[b]++;
      if (x->sketches)
        add_sketch(t, s, d);
    }
  }
  return 0;
}

/* Rows are prefiltered in blocks of this many in phase B. */
#define BLOCK 256

static ALWAYS_INLINE void
scan(scan_thread *t, const int phase_b, const int hashed, const int use_sel, const int uniform,
     const int few, const int full)
{
  const scan_plan *p = t->p;
  const ctx x = {
    use_sel ? p->sel->rows : NULL, p->kind_col, p->flags, p->kind, p->origin_class, p->origin,
    p->operation, p->op_mode, p->attr_mode, p->op_id, p->attr_id, p->attr_col, p->start,
    p->duration, p->has_tmin, p->has_tmax, p->tmin, p->tmax, (uint64_t) p->t0, p->span,
    p->width, p->inv_width, {p->bound[0], p->bound[1], p->bound[2], p->bound[3]}, p->win, p->nw,
    p->n_classes, p->n_row_dims, p->sketches, p->keep_values, t->sum, t->errors, t->hist,
    t->any_target, t->l2g, t->target, t->out};
  const size_t hi = t->hi;

  if (phase_b && !use_sel && !x.keep) {
    /* Phase B wants few rows, and the latency's bucket tells which could
       matter before any other column is read.  Each block is prefiltered
       on latencies alone, fetching the other columns' lines of its
       candidates, and its candidates are handled one block later, once
       those lines have arrived: only the lines that hold candidates are
       read, where reading everything would cost as much as phase A. */
    size_t cand[2][BLOCK], n[2] = {0, 0};
    int cur = 0;
    for (size_t base = t->lo; base < hi; base += BLOCK) {
      const int next = cur ^ 1;
      const size_t end = hi - base < BLOCK ? hi : base + BLOCK;
      n[next] = 0;
      for (size_t r = base; r < end; r++)
        if (x.any[dl_logbucket(x.dur[r])]) {
          cand[next][n[next]++] = r;
          __builtin_prefetch(x.start + r);
          __builtin_prefetch(x.origin + r);
          __builtin_prefetch(x.kind_col + r);
        }
      for (size_t j = 0; j < n[cur]; j++) {
        const size_t r = cand[cur][j];
        const int64_t d = x.dur[r];
        if (row(t, &x, r, d, dl_logbucket(d), phase_b, hashed, uniform, few, full))
          return;
      }
      cur = next;
    }
    for (size_t j = 0; j < n[cur]; j++) {
      const size_t r = cand[cur][j];
      const int64_t d = x.dur[r];
      if (row(t, &x, r, d, dl_logbucket(d), phase_b, hashed, uniform, few, full))
        return;
    }
    return;
  }
  for (size_t i = t->lo; i < hi; i++) {
    const size_t r = use_sel ? x.rows[i] : i;
    const int64_t d = x.dur[r];
    const uint32_t b = dl_logbucket(d);
    if (phase_b && !x.keep && !x.any[b])
      continue;
    if (row(t, &x, r, d, b, phase_b, hashed, uniform, few, full))
      return;
  }
}

/* One function per combination of the constant flags, chosen once per
   thread: phase, hashed slots, selection, window mode (few uniform, many
   uniform, general), and whether the operation / attribute / time
   filters are on. */
#define V(b, h, s, u, f, x)                                                                     \
  static void v_##b##h##s##u##f##x(scan_thread *t) { scan(t, b, h, s, u, f, x); }
#define VX(b, h, s, u, f) V(b, h, s, u, f, 0) V(b, h, s, u, f, 1)
#define VW(b, h, s) VX(b, h, s, 1, 1) VX(b, h, s, 1, 0) VX(b, h, s, 0, 0)
#define VS(b, h) VW(b, h, 0) VW(b, h, 1)
#define VH(b) VS(b, 0) VS(b, 1)
VH(0)
VH(1)

typedef void (*scan_fn)(scan_thread *);
#define TX(b, h, s, u, f) {v_##b##h##s##u##f##0, v_##b##h##s##u##f##1}
#define TW(b, h, s) {TX(b, h, s, 1, 1), TX(b, h, s, 1, 0), TX(b, h, s, 0, 0)}
#define TS(b, h) {TW(b, h, 0), TW(b, h, 1)}
#define TH(b) {TS(b, 0), TS(b, 1)}
static const scan_fn variants[2][2][2][3][2] = {TH(0), TH(1)};
#undef V
#undef VX
#undef VW
#undef VS
#undef VH
#undef TX
#undef TW
#undef TS
#undef TH

static void
run(scan_thread *t, int phase_b)
{
  const scan_plan *p = t->p;
  if (p->nothing || t->lo >= t->hi)
    return;
  int wmode = p->uniform ? (p->nw <= 4 ? 0 : 1) : 2;
  int full = p->op_mode || p->attr_mode || p->has_tmin || p->has_tmax;
  variants[phase_b][t->hashed][p->sel != NULL][wmode][full](t);
}

void
scan_phase_a(scan_thread *t)
{
  t->hashed = t->p->n_row_dims > 0;
  if (!t->hashed) {
    size_t n = t->p->nw * t->p->n_classes;
    if (grow_slots(t, n))
      return;
    t->n_slots = n;
  }
  run(t, 0);
}

void
scan_phase_b(scan_thread *t)
{
  run(t, 1);
}
