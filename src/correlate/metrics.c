/* The metrics engine: two scans in threads, exact ranks in between. */
#include "deploy-ledger/metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "correlate/log-bucket.h"
#include "correlate/scan.h"
#include "util/hash.h"

struct dl_metrics {
  const dl_trace_set *set;
  dl_window *windows;
  size_t nw;
  dl_group_spec group;
  size_t nq;
  double qs[DL_METRICS_MAX_Q];
  dl_quantile_method method;
  dl_cell *cells;
  size_t n_cells;
  int threads;
  uint64_t matched;
};

/* The totals of a slot across threads. */
typedef struct totals {
  uint64_t count, errors, sum;
  int64_t min, max;
} totals;

/* A nonempty window x group, across threads. */
typedef struct gslot {
  size_t w;
  uint32_t cls;
  uint32_t rowid[DL_GROUP_MAX_DIMS];
  totals acc;
  uint32_t *hist; /* summed histograms (NULL once targets are set) */
  dl_ddsketch *sketch;
  size_t n_targets;
  uint32_t bucket[SCAN_MAX_TARGETS];
  uint64_t base[SCAN_MAX_TARGETS], size[SCAN_MAX_TARGETS];
  int64_t *cand[SCAN_MAX_TARGETS];
  uint8_t *target;
  double q[DL_METRICS_MAX_Q];
} gslot;

typedef struct job {
  dl_metrics *m;
  scan_plan plan;
  scan_thread *th;
  int n_threads;
  gslot *g;
  size_t n_g;
  size_t **l2g;      /* per thread: local slot -> global slot */
  uint64_t **counts; /* per thread: requests per local slot */
  uint8_t **targets; /* per global slot, shared by the threads */
  uint8_t *any_target;
  atomic_size_t next;
} job;

void
dl_metrics_options_init(dl_metrics_options *o)
{
  memset(o, 0, sizeof *o);
  o->method = DL_QUANTILE_LINEAR;
  o->n_quantiles = 4;
  o->quantiles[0] = 0.5;
  o->quantiles[1] = 0.9;
  o->quantiles[2] = 0.95;
  o->quantiles[3] = 0.99;
}

/* ---- threads ---- */

typedef void (*work_fn)(job *j, int t);

typedef struct worker {
  job *j;
  int t;
  work_fn fn;
} worker;

static void *
worker_main(void *arg)
{
  worker *w = arg;
  w->fn(w->j, w->t);
  return NULL;
}

/* Runs FN for every thread index, index 0 in the calling thread.  If a
   thread cannot be started its share runs here afterwards. */
static void
run_threads(job *j, work_fn fn)
{
  pthread_t tid[64];
  worker ws[64];
  int started[64] = {0};
  for (int t = 1; t < j->n_threads; t++) {
    ws[t] = (worker){j, t, fn};
    started[t] = pthread_create(&tid[t], NULL, worker_main, &ws[t]) == 0;
  }
  fn(j, 0);
  for (int t = 1; t < j->n_threads; t++) {
    if (started[t])
      pthread_join(tid[t], NULL);
    else
      fn(j, t);
  }
}

static void
phase_a(job *j, int t)
{
  scan_phase_a(&j->th[t]);
}

static void
phase_b(job *j, int t)
{
  scan_phase_b(&j->th[t]);
}

/* ---- between the scans ---- */

static int
cmp_u64(const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
  return (x > y) - (x < y);
}

/* The full key (string ids in group-by order) of a global slot. */
static void
slot_key(const scan_plan *p, const gslot *g, uint32_t key[DL_GROUP_MAX_DIMS])
{
  memcpy(key, p->class_key[g->cls], DL_GROUP_MAX_DIMS * sizeof *key);
  for (size_t i = 0; i < p->n_row_dims; i++)
    key[p->row_pos[i]] = g->rowid[i];
}

static int
add_to_slot(gslot *g, const scan_thread *th, size_t s, uint64_t count, int sketches,
            dl_error *err)
{
  g->acc.count += count;
  g->acc.errors += th->errors[s];
  g->acc.sum += th->sum[s];
  if (!g->hist && !(g->hist = calloc(DL_LOGBUCKET_COUNT, sizeof *g->hist)))
    return dl_fail(err, DL_ENOMEM, "out of memory for latency histograms");
  for (size_t b = 0; b < DL_LOGBUCKET_COUNT; b++)
    g->hist[b] += th->hist[s][b];
  if (sketches && th->sketch[s]) {
    if (!g->sketch && !(g->sketch = dl_ddsketch_new(DL_DDSKETCH_DEFAULT_ACCURACY, 0)))
      return dl_fail(err, DL_ENOMEM, "out of memory for sketches");
    if (dl_ddsketch_merge(g->sketch, th->sketch[s], err))
      return err ? err->code : DL_ENOMEM;
  }
  return DL_OK;
}

/* Whether global slot G is the one of KEY (window, class, row ids). */
static int
gslot_has_key(const gslot *g, const uint32_t key[2 + DL_GROUP_MAX_DIMS])
{
  return g->w == key[0] && g->cls == key[1]
         && memcmp(g->rowid, key + 2, DL_GROUP_MAX_DIMS * sizeof *key) == 0;
}

/* Global slots: the nonempty local slots of every thread, merged. */
static int
gather_slots(job *j, dl_error *err)
{
  const scan_plan *p = &j->plan;
  int hashed = p->n_row_dims > 0;
  size_t cap = 16;
  j->g = malloc(cap * sizeof *j->g);
  j->l2g = calloc((size_t) j->n_threads, sizeof *j->l2g);
  j->counts = calloc((size_t) j->n_threads, sizeof *j->counts);
  if (!j->g || !j->l2g || !j->counts)
    return dl_fail(err, DL_ENOMEM, "out of memory for metric groups");
  /* Direct mode: local slot numbers are global; hashed mode: find each
     thread's keys in a table of global ones. */
  size_t direct_n = hashed ? 0 : p->nw * p->n_classes;
  size_t *direct = NULL;
  if (!hashed) {
    direct = malloc((direct_n ? direct_n : 1) * sizeof *direct);
    if (!direct)
      return dl_fail(err, DL_ENOMEM, "out of memory for metric groups");
    for (size_t s = 0; s < direct_n; s++)
      direct[s] = SIZE_MAX;
  }
  dl_hash index; /* hashed mode: key of a global slot -> the slot */
  dl_hash_init(&index);
  int rc = DL_OK;
  for (int t = 0; t < j->n_threads && !rc; t++) {
    scan_thread *th = &j->th[t];
    j->l2g[t] = malloc((th->n_slots ? th->n_slots : 1) * sizeof **j->l2g);
    j->counts[t] = calloc(th->n_slots ? th->n_slots : 1, sizeof **j->counts);
    if (!j->l2g[t] || !j->counts[t]) {
      rc = dl_fail(err, DL_ENOMEM, "out of memory for metric groups");
      break;
    }
    for (size_t s = 0; s < th->n_slots && !rc; s++) {
      j->l2g[t][s] = SIZE_MAX;
      if (!th->hist[s])
        continue;
      uint64_t count = 0;
      for (size_t b = 0; b < DL_LOGBUCKET_COUNT; b++)
        count += th->hist[s][b];
      j->counts[t][s] = count;
      if (count == 0)
        continue;
      size_t gi = SIZE_MAX;
      uint32_t key[2 + DL_GROUP_MAX_DIMS] = {0}, h = 0;
      if (!hashed) {
        gi = direct[s];
      } else {
        memcpy(key, th->slot_key[s], sizeof key);
        h = dl_hash_u32s(key, 2 + DL_GROUP_MAX_DIMS);
        dl_hash_probe pr = dl_hash_probe_begin(&index, h);
        for (uint32_t e; (e = dl_hash_probe_next(&pr)) != DL_HASH_NONE;)
          if (gslot_has_key(&j->g[e], key)) {
            gi = e;
            break;
          }
      }
      if (gi == SIZE_MAX) {
        if (j->n_g == cap) {
          gslot *ng = realloc(j->g, cap * 2 * sizeof *ng);
          if (!ng) {
            rc = dl_fail(err, DL_ENOMEM, "out of memory for metric groups");
            break;
          }
          j->g = ng;
          cap *= 2;
        }
        gi = j->n_g++;
        gslot *g = &j->g[gi];
        memset(g, 0, sizeof *g);
        g->acc.min = INT64_MAX;
        g->acc.max = INT64_MIN;
        if (hashed) {
          g->w = key[0];
          g->cls = key[1];
          memcpy(g->rowid, key + 2, DL_GROUP_MAX_DIMS * sizeof *key);
          if (dl_hash_add(&index, h, (uint32_t) gi)) {
            rc = dl_fail(err, DL_ENOMEM, "out of memory for metric groups");
            break;
          }
        } else {
          g->w = s / p->n_classes;
          g->cls = (uint32_t) (s % p->n_classes);
          direct[s] = gi;
        }
      }
      j->l2g[t][s] = gi;
      rc = add_to_slot(&j->g[gi], th, s, count, p->sketches, err);
    }
  }
  free(direct);
  dl_hash_free(&index);
  return rc;
}

/* The ranks each quantile needs, sorted, for N values. */
static size_t
ranks_for(const dl_metrics *m, uint64_t n, uint64_t *ranks)
{
  size_t k = 0;
  for (size_t i = 0; i < m->nq; i++) {
    dl_quantile_rank r;
    dl_quantile_rank_of((size_t) n, m->qs[i], m->method, &r);
    ranks[k++] = r.lo;
    if (r.hi != r.lo)
      ranks[k++] = r.hi;
  }
  qsort(ranks, k, sizeof *ranks, cmp_u64);
  return k;
}

/* Chooses each slot's target buckets (those holding a wanted rank, and
   the lowest and highest, for the exact extremes) and allocates their
   arrays. */
static int
set_targets(job *j, int keep, dl_error *err)
{
  j->any_target = calloc(DL_LOGBUCKET_COUNT, 1);
  if (!j->any_target)
    return dl_fail(err, DL_ENOMEM, "out of memory for rank targets");
  for (size_t gi = 0; gi < j->n_g; gi++) {
    gslot *g = &j->g[gi];
    if (keep) {
      g->n_targets = 1;
      g->base[0] = 0;
      g->size[0] = g->acc.count;
      g->bucket[0] = 0;
    } else {
      uint64_t ranks[2 * DL_METRICS_MAX_Q + 2];
      size_t nr = ranks_for(j->m, g->acc.count, ranks), ri = 0;
      /* Ranks 0 and n - 1 are the extremes; the list stays sorted. */
      memmove(ranks + 1, ranks, nr * sizeof *ranks);
      ranks[0] = 0;
      ranks[nr + 1] = g->acc.count - 1;
      nr += 2;
      uint64_t cum = 0;
      for (uint32_t b = 0; b < DL_LOGBUCKET_COUNT && ri < nr; b++) {
        uint64_t h = g->hist[b];
        if (ranks[ri] < cum + h) {
          size_t t = g->n_targets++;
          g->bucket[t] = b;
          g->base[t] = cum;
          g->size[t] = h;
          while (ri < nr && ranks[ri] < cum + h)
            ri++;
        }
        cum += h;
      }
      g->target = calloc(DL_LOGBUCKET_COUNT, 1);
      if (!g->target)
        return dl_fail(err, DL_ENOMEM, "out of memory for rank targets");
      for (size_t t = 0; t < g->n_targets; t++) {
        g->target[g->bucket[t]] = (uint8_t) (t + 1);
        j->any_target[g->bucket[t]] = 1;
      }
    }
    for (size_t t = 0; t < g->n_targets; t++) {
      g->cand[t] = malloc((g->size[t] ? g->size[t] : 1) * sizeof *g->cand[t]);
      if (!g->cand[t])
        return dl_fail(err, DL_ENOMEM, "out of memory for %llu latencies",
                       (unsigned long long) g->size[t]);
    }
  }
  return DL_OK;
}

/* Where each thread writes: thread t starts after what threads before it
   put in the same target. */
static int
set_outputs(job *j, int keep, dl_error *err)
{
  uint64_t *run = calloc(j->n_g * SCAN_MAX_TARGETS + 1, sizeof *run);
  j->targets = malloc((j->n_g ? j->n_g : 1) * sizeof *j->targets);
  if (!run || !j->targets) {
    free(run);
    return dl_fail(err, DL_ENOMEM, "out of memory for rank targets");
  }
  for (size_t gi = 0; gi < j->n_g; gi++)
    j->targets[gi] = j->g[gi].target;
  int rc = DL_OK;
  for (int t = 0; t < j->n_threads && !rc; t++) {
    scan_thread *th = &j->th[t];
    th->out = calloc(j->n_g * SCAN_MAX_TARGETS + 1, sizeof *th->out);
    if (!th->out) {
      rc = dl_fail(err, DL_ENOMEM, "out of memory for rank targets");
      break;
    }
    th->l2g = j->l2g[t];
    th->target = j->targets;
    th->any_target = j->any_target;
    for (size_t s = 0; s < th->n_slots; s++) {
      size_t gi = j->l2g[t][s];
      if (gi == SIZE_MAX)
        continue;
      gslot *g = &j->g[gi];
      for (size_t k = 0; k < g->n_targets; k++) {
        th->out[gi * SCAN_MAX_TARGETS + k] = g->cand[k] + run[gi * SCAN_MAX_TARGETS + k];
        run[gi * SCAN_MAX_TARGETS + k] += keep ? j->counts[t][s] : th->hist[s][g->bucket[k]];
      }
    }
  }
  free(run);
  return rc;
}

/* Exact quantiles of one slot from its target arrays. */
static void
finish_slot(const dl_metrics *m, gslot *g)
{
  uint64_t n = g->acc.count;
  /* Select, in each target, the ranks that fall in it. */
  for (size_t t = 0; t < g->n_targets; t++) {
    size_t local[2 * DL_METRICS_MAX_Q], nl = 0;
    for (size_t i = 0; i < m->nq; i++) {
      dl_quantile_rank r;
      dl_quantile_rank_of((size_t) n, m->qs[i], m->method, &r);
      size_t both[2] = {r.lo, r.hi};
      for (int k = 0; k < 2; k++)
        if (both[k] >= g->base[t] && both[k] < g->base[t] + g->size[t])
          local[nl++] = both[k] - g->base[t];
    }
    for (size_t a = 1; a < nl; a++)
      for (size_t b = a; b > 0 && local[b] < local[b - 1]; b--) {
        size_t x = local[b];
        local[b] = local[b - 1];
        local[b - 1] = x;
      }
    dl_select_many_i64(g->cand[t], (size_t) g->size[t], local, nl);
  }
  for (size_t i = 0; i < m->nq; i++) {
    dl_quantile_rank r;
    dl_quantile_rank_of((size_t) n, m->qs[i], m->method, &r);
    double v[2];
    size_t both[2] = {r.lo, r.hi};
    for (int k = 0; k < 2; k++)
      for (size_t t = 0; t < g->n_targets; t++)
        if (both[k] >= g->base[t] && both[k] < g->base[t] + g->size[t])
          v[k] = (double) g->cand[t][both[k] - g->base[t]];
    g->q[i] = r.frac == 0 ? v[0] : v[0] + r.frac * (v[1] - v[0]);
  }
  /* The extremes: in the first and last targets (the whole array when
     every value is kept). */
  const int64_t *lo = g->cand[0], *hi = g->cand[g->n_targets - 1];
  size_t nlo = (size_t) g->size[0], nhi = (size_t) g->size[g->n_targets - 1];
  g->acc.min = INT64_MAX;
  g->acc.max = INT64_MIN;
  for (size_t i = 0; i < nlo; i++)
    if (lo[i] < g->acc.min)
      g->acc.min = lo[i];
  for (size_t i = 0; i < nhi; i++)
    if (hi[i] > g->acc.max)
      g->acc.max = hi[i];
}

static void
phase_select(job *j, int t)
{
  (void) t;
  for (;;) {
    size_t i = atomic_fetch_add(&j->next, 1);
    if (i >= j->n_g)
      return;
    finish_slot(j->m, &j->g[i]);
  }
}

/* ---- ordering of the result ---- */

static const dl_trace_set *sort_set;
static const scan_plan *sort_plan;
static const gslot *sort_slots;

static int
cmp_str(const char *a, const char *b)
{
  if (!a || !b)
    return (a != NULL) - (b != NULL);
  return strcmp(a, b);
}

/* qsort has no context argument in C11; the engine sorts under a lock so
   concurrent computations stay safe. */
static pthread_mutex_t sort_lock = PTHREAD_MUTEX_INITIALIZER;

static int
cmp_slot(const void *pa, const void *pb)
{
  const gslot *a = &sort_slots[*(const size_t *) pa], *b = &sort_slots[*(const size_t *) pb];
  if (a->w != b->w)
    return a->w < b->w ? -1 : 1;
  uint32_t ka[DL_GROUP_MAX_DIMS], kb[DL_GROUP_MAX_DIMS];
  slot_key(sort_plan, a, ka);
  slot_key(sort_plan, b, kb);
  for (size_t i = 0; i < DL_GROUP_MAX_DIMS; i++) {
    if (ka[i] == kb[i])
      continue;
    int c = cmp_str(dl_trace_set_string(sort_set, ka[i]), dl_trace_set_string(sort_set, kb[i]));
    if (c)
      return c;
  }
  return 0;
}

static int
build_cells(job *j, int keep, dl_error *err)
{
  dl_metrics *m = j->m;
  size_t *order = malloc((j->n_g ? j->n_g : 1) * sizeof *order);
  m->cells = calloc(j->n_g ? j->n_g : 1, sizeof *m->cells);
  if (!order || !m->cells) {
    free(order);
    return dl_fail(err, DL_ENOMEM, "out of memory for %zu metric cells", j->n_g);
  }
  for (size_t i = 0; i < j->n_g; i++)
    order[i] = i;
  pthread_mutex_lock(&sort_lock);
  sort_set = m->set;
  sort_plan = &j->plan;
  sort_slots = j->g;
  qsort(order, j->n_g, sizeof *order, cmp_slot);
  pthread_mutex_unlock(&sort_lock);
  for (size_t i = 0; i < j->n_g; i++) {
    gslot *g = &j->g[order[i]];
    dl_cell *c = &m->cells[i];
    const dl_window *w = &m->windows[g->w];
    c->window = g->w;
    slot_key(&j->plan, g, c->key);
    c->count = g->acc.count;
    c->errors = g->acc.errors;
    c->error_rate = (double) c->errors / (double) c->count;
    c->throughput = (double) c->count / dl_window_seconds(w);
    c->mean = (double) (int64_t) g->acc.sum / (double) c->count;
    c->min = g->acc.min;
    c->max = g->acc.max;
    memcpy(c->q, g->q, sizeof c->q);
    if (keep) {
      c->values = g->cand[0];
      c->n_values = (size_t) c->count;
      g->cand[0] = NULL;
    }
    c->sketch = g->sketch;
    g->sketch = NULL;
    m->matched += c->count;
  }
  m->n_cells = j->n_g;
  free(order);
  return DL_OK;
}

/* ---- the entry point ---- */

static int
thread_count(const dl_metrics_options *o, size_t items)
{
  int n = o->threads;
  if (n <= 0) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    n = cpus > 0 ? (int) cpus : 1;
    if (items < 100000)
      n = 1;
  }
  if (n > 64)
    n = 64;
  if ((size_t) n > items)
    n = items ? (int) items : 1;
  return n;
}

static int
copy_windows(dl_metrics *m, const dl_metrics_options *o, dl_error *err)
{
  m->windows = calloc(o->n_windows, sizeof *m->windows);
  if (!m->windows)
    return dl_fail(err, DL_ENOMEM, "out of memory");
  m->nw = o->n_windows;
  for (size_t i = 0; i < o->n_windows; i++) {
    m->windows[i] = o->windows[i];
    m->windows[i].name = NULL;
    if (o->windows[i].name && !(m->windows[i].name = strdup(o->windows[i].name)))
      return dl_fail(err, DL_ENOMEM, "out of memory");
  }
  return DL_OK;
}

static void
job_clear(job *j)
{
  free(j->targets);
  free(j->any_target);
  for (int t = 0; j->th && t < j->n_threads; t++) {
    scan_thread_clear(&j->th[t]);
    if (j->l2g)
      free(j->l2g[t]);
    if (j->counts)
      free(j->counts[t]);
  }
  free(j->l2g);
  free(j->counts);
  free(j->th);
  for (size_t i = 0; i < j->n_g; i++) {
    gslot *g = &j->g[i];
    free(g->hist);
    free(g->target);
    dl_ddsketch_free(g->sketch);
    for (size_t t = 0; t < g->n_targets; t++)
      free(g->cand[t]);
  }
  free(j->g);
  scan_plan_clear(&j->plan);
}

int
dl_metrics_compute(const dl_trace_set *set, const dl_metrics_options *o, dl_metrics **out,
                   dl_error *err)
{
  *out = NULL;
  if (!set || !o || !o->windows || o->n_windows == 0)
    return dl_fail(err, DL_EINVAL, "metrics need a trace set and at least one window");
  if (o->n_quantiles > DL_METRICS_MAX_Q)
    return dl_fail(err, DL_EINVAL, "%zu quantiles asked, at most %d", o->n_quantiles,
                   DL_METRICS_MAX_Q);
  for (size_t i = 0; i < o->n_quantiles; i++)
    if (!(o->quantiles[i] >= 0 && o->quantiles[i] <= 1))
      return dl_fail(err, DL_EINVAL, "quantile %g is not between 0 and 1", o->quantiles[i]);
  dl_metrics *m = calloc(1, sizeof *m);
  if (!m)
    return dl_fail(err, DL_ENOMEM, "out of memory");
  m->set = set;
  m->nq = o->n_quantiles;
  memcpy(m->qs, o->quantiles, sizeof m->qs);
  m->method = o->method;
  dl_group_spec_init(&m->group);
  int rc = copy_windows(m, o, err);
  if (!rc && o->group)
    rc = dl_group_spec_copy(&m->group, o->group, err);
  if (rc) {
    dl_metrics_free(m);
    return rc;
  }

  job j;
  memset(&j, 0, sizeof j);
  j.m = m;
  rc = scan_plan_init(&j.plan, set, o->rows, o->filter, &m->group, m->windows, m->nw, err);
  if (rc) {
    scan_plan_clear(&j.plan);
    dl_metrics_free(m);
    return rc;
  }
  j.plan.sketches = o->sketches;
  j.plan.keep_values = o->keep_values;
  j.n_threads = thread_count(o, j.plan.n_items);
  m->threads = j.n_threads;
  j.th = calloc((size_t) j.n_threads, sizeof *j.th);
  if (!j.th) {
    job_clear(&j);
    dl_metrics_free(m);
    return dl_fail(err, DL_ENOMEM, "out of memory");
  }
  for (int t = 0; t < j.n_threads; t++) {
    j.th[t].p = &j.plan;
    j.th[t].lo = j.plan.n_items * (size_t) t / (size_t) j.n_threads;
    j.th[t].hi = j.plan.n_items * (size_t) (t + 1) / (size_t) j.n_threads;
  }
  run_threads(&j, phase_a);
  for (int t = 0; t < j.n_threads && !rc; t++)
    if (j.th[t].rc) {
      rc = j.th[t].rc;
      if (err)
        *err = j.th[t].err;
    }
  if (!rc)
    rc = gather_slots(&j, err);
  if (!rc)
    rc = set_targets(&j, o->keep_values, err);
  if (!rc)
    rc = set_outputs(&j, o->keep_values, err);
  if (!rc) {
    for (size_t i = 0; i < j.n_g; i++) {
      free(j.g[i].hist);
      j.g[i].hist = NULL;
    }
    run_threads(&j, phase_b);
    for (int t = 0; t < j.n_threads && !rc; t++)
      if (j.th[t].rc) {
        rc = j.th[t].rc;
        if (err)
          *err = j.th[t].err;
      }
  }
  if (!rc) {
    atomic_store(&j.next, 0);
    run_threads(&j, phase_select);
    rc = build_cells(&j, o->keep_values, err);
  }
  job_clear(&j);
  if (rc) {
    dl_metrics_free(m);
    return rc;
  }
  *out = m;
  return DL_OK;
}

void
dl_metrics_free(dl_metrics *m)
{
  if (!m)
    return;
  for (size_t i = 0; i < m->n_cells; i++) {
    free(m->cells[i].values);
    dl_ddsketch_free(m->cells[i].sketch);
  }
  free(m->cells);
  for (size_t i = 0; i < m->nw; i++)
    free((char *) m->windows[i].name);
  free(m->windows);
  dl_group_spec_clear(&m->group);
  free(m);
}

size_t
dl_metrics_count(const dl_metrics *m)
{
  return m->n_cells;
}

const dl_cell *
dl_metrics_cell(const dl_metrics *m, size_t i)
{
  return i < m->n_cells ? &m->cells[i] : NULL;
}

const char *
dl_metrics_key(const dl_metrics *m, const dl_cell *c, size_t dim)
{
  if (dim >= m->group.n)
    return NULL;
  return dl_trace_set_string(m->set, c->key[dim]);
}

const dl_cell *
dl_metrics_find(const dl_metrics *m, size_t window, const char *const *keys)
{
  for (size_t i = 0; i < m->n_cells; i++) {
    const dl_cell *c = &m->cells[i];
    if (c->window != window)
      continue;
    size_t d = 0;
    for (; d < m->group.n; d++)
      if (cmp_str(dl_metrics_key(m, c, d), keys ? keys[d] : NULL) != 0)
        break;
    if (d == m->group.n)
      return c;
  }
  return NULL;
}

size_t
dl_metrics_quantile_count(const dl_metrics *m)
{
  return m->nq;
}

double
dl_metrics_quantile(const dl_metrics *m, size_t i)
{
  return i < m->nq ? m->qs[i] : NAN;
}

const dl_group_spec *
dl_metrics_group(const dl_metrics *m)
{
  return &m->group;
}

const dl_window *
dl_metrics_window(const dl_metrics *m, size_t i)
{
  return i < m->nw ? &m->windows[i] : NULL;
}

size_t
dl_metrics_window_count(const dl_metrics *m)
{
  return m->nw;
}

int
dl_metrics_threads(const dl_metrics *m)
{
  return m->threads;
}

uint64_t
dl_metrics_rows_matched(const dl_metrics *m)
{
  return m->matched;
}
