/* The receiver's rolling window of spans: shards of open segments for the
   writers, a list of sealed segments that leave whole (see
   window-store.h).
   Lock order: the store's lock before a shard's, everywhere; a writer
   decodes under its shard's lock alone and takes the store's lock only
   after releasing it. */
#include "receiver/window-store.h"

#include <stdlib.h>
#include <string.h>

#include "deploy-ledger/time.h"

/* Resident bytes per span a segment costs (the trace set's row of 62
   bytes, its growth by doubling and the strings), for sizing segments. */
#define SPAN_BYTES 96
/* Segments per shard that the memory bound leaves room for: eviction
   frees memory by whole segments, so each must be a small part of it. */
#define SEGMENTS_PER_SHARD 8

static unsigned next_thread_shard;
static __thread unsigned thread_shard; /* 1 + index; 0: not yet assigned */

int
dl_window_store_init(dl_window_store *s, int64_t window, size_t max_memory, unsigned n_shards,
                     dl_error *err)
{
  memset(s, 0, sizeof *s);
  s->window = window;
  s->max_memory = max_memory;
  s->n_shards = n_shards ? n_shards : 1;
  size_t seg = max_memory / SPAN_BYTES / (s->n_shards * SEGMENTS_PER_SHARD);
  s->seg_spans = seg < 1024 ? 1024 : seg > 262144 ? 262144 : seg;
  s->shards = calloc(s->n_shards, sizeof *s->shards);
  if (!s->shards)
    return dl_fail(err, DL_ENOMEM, "out of memory starting the receiver's store");
  pthread_mutex_init(&s->lock, NULL);
  for (unsigned i = 0; i < s->n_shards; i++)
    pthread_mutex_init(&s->shards[i].lock, NULL);
  return DL_OK;
}

void
dl_window_store_release(dl_window_store *s)
{
  if (!s->shards)
    return;
  for (unsigned i = 0; i < s->n_shards; i++) {
    dl_trace_set_free(s->shards[i].open.set);
    pthread_mutex_destroy(&s->shards[i].lock);
  }
  for (size_t i = 0; i < s->n_sealed; i++)
    dl_trace_set_free(s->sealed[i].set);
  free(s->sealed);
  free(s->shards);
  pthread_mutex_destroy(&s->lock);
  memset(s, 0, sizeof *s);
}

unsigned
dl_window_store_shard_of_thread(const dl_window_store *s)
{
  if (!thread_shard)
    thread_shard = 1 + __atomic_fetch_add(&next_thread_shard, 1, __ATOMIC_RELAXED);
  return (thread_shard - 1) % s->n_shards;
}

static size_t
open_memory(dl_window_store *s)
{
  size_t n = 0;
  for (unsigned i = 0; i < s->n_shards; i++)
    n += __atomic_load_n(&s->shards[i].open.memory, __ATOMIC_RELAXED);
  return n;
}

/* Moves the open segment of SH to the sealed list.  Store lock held,
   shard lock held. */
static void
seal_locked(dl_window_store *s, dl_shard *sh)
{
  if (!sh->open.set)
    return;
  if (!dl_trace_set_count(sh->open.set)) {
    dl_trace_set_free(sh->open.set);
  } else {
    if (s->n_sealed == s->cap_sealed) {
      size_t cap = s->cap_sealed ? s->cap_sealed * 2 : 64;
      dl_segment *grown = realloc(s->sealed, cap * sizeof *grown);
      if (!grown)
        return; /* stays open: sealing again later */
      s->sealed = grown;
      s->cap_sealed = cap;
    }
    sh->open.memory = dl_trace_set_memory(sh->open.set);
    s->sealed[s->n_sealed++] = sh->open;
    s->sealed_memory += sh->open.memory;
    s->sealed_spans += dl_trace_set_count(sh->open.set);
  }
  memset(&sh->open, 0, sizeof sh->open);
}

/* Removes sealed segment I (store lock held), counting its spans. */
static void
remove_sealed(dl_window_store *s, size_t i, uint64_t *counter)
{
  dl_segment *g = &s->sealed[i];
  size_t n = dl_trace_set_count(g->set);
  __atomic_add_fetch(counter, n, __ATOMIC_RELAXED);
  s->sealed_memory -= g->memory;
  s->sealed_spans -= n;
  dl_trace_set_free(g->set);
  memmove(g, g + 1, (s->n_sealed - i - 1) * sizeof *g);
  s->n_sealed--;
}

/* Expiry and the memory bound (store lock held). */
static void
evict_locked(dl_window_store *s, int64_t now)
{
  int64_t horizon = now - s->window;
  for (size_t i = 0; i < s->n_sealed;) {
    if (s->sealed[i].newest < horizon)
      remove_sealed(s, i, &s->expired);
    else
      i++;
  }
  if (s->sealed_memory + open_memory(s) <= s->max_memory)
    return;
  /* Over the bound with nothing sealed: seal the open segments, so that
     the oldest spans can go. */
  if (!s->n_sealed)
    for (unsigned i = 0; i < s->n_shards; i++) {
      pthread_mutex_lock(&s->shards[i].lock);
      seal_locked(s, &s->shards[i]);
      pthread_mutex_unlock(&s->shards[i].lock);
    }
  while (s->n_sealed && s->sealed_memory + open_memory(s) > s->max_memory)
    remove_sealed(s, 0, &s->dropped);
}

void
dl_window_store_maintain(dl_window_store *s)
{
  int64_t now = dl_time_now();
  pthread_mutex_lock(&s->lock);
  for (unsigned i = 0; i < s->n_shards; i++) {
    dl_shard *sh = &s->shards[i];
    pthread_mutex_lock(&sh->lock);
    if (sh->open.set && now - sh->open.opened >= s->window / 8)
      seal_locked(s, sh);
    pthread_mutex_unlock(&sh->lock);
  }
  evict_locked(s, now);
  pthread_mutex_unlock(&s->lock);
}

/* Seals shard SH's segment if it is still full (another writer may have
   sealed it meanwhile), then evicts. */
static void
seal_full(dl_window_store *s, dl_shard *sh)
{
  pthread_mutex_lock(&s->lock);
  pthread_mutex_lock(&sh->lock);
  if (sh->open.set && dl_trace_set_count(sh->open.set) >= s->seg_spans)
    seal_locked(s, sh);
  pthread_mutex_unlock(&sh->lock);
  evict_locked(s, dl_time_now());
  pthread_mutex_unlock(&s->lock);
}

/* The rows from BASE on of SET, as a selection in *SEL. */
static int
rows_from(const dl_trace_set *set, size_t base, dl_selection *sel)
{
  size_t n = dl_trace_set_count(set) - base;
  sel->rows = malloc((n ? n : 1) * sizeof *sel->rows);
  if (!sel->rows)
    return -1;
  for (size_t i = 0; i < n; i++)
    sel->rows[i] = (uint32_t) (base + i);
  sel->count = n;
  return 0;
}

int
dl_window_store_decode(dl_window_store *s, unsigned shard, int format, const void *data,
                       size_t len, const char *source, const dl_ingest_options *opt,
                       uint64_t *accepted, uint64_t *rejected, dl_error *err)
{
  dl_shard *sh = &s->shards[shard % s->n_shards];
  *accepted = *rejected = 0;
  int64_t now = dl_time_now();
  pthread_mutex_lock(&sh->lock);
  if (!sh->open.set) {
    sh->open.set = dl_trace_set_new();
    if (!sh->open.set) {
      pthread_mutex_unlock(&sh->lock);
      return dl_fail(err, DL_ENOMEM, "out of memory opening a segment of the receiver's store");
    }
    sh->open.opened = now;
    sh->open.newest = INT64_MIN;
    /* Room for a full segment at once: growing by doubling would copy
       every column each time. */
    if (dl_trace_set_reserve(sh->open.set, s->seg_spans, NULL) != DL_OK) {
      dl_trace_set_free(sh->open.set);
      sh->open.set = NULL;
      pthread_mutex_unlock(&sh->lock);
      return dl_fail(err, DL_ENOMEM, "out of memory opening a segment of the receiver's store");
    }
  }
  dl_trace_set *set = sh->open.set;
  size_t base = dl_trace_set_count(set);
  int rc = format == DL_FORMAT_OTLP_JSON
             ? dl_decode_otlp_json(set, data, len, source, opt, NULL, err)
             : dl_decode_otlp_protobuf(set, data, len, source, opt, NULL, err);
  size_t added = rc == DL_OK ? dl_trace_set_count(set) - base : 0;
  if (added) {
    dl_selection mine;
    int64_t first, last;
    if (rows_from(set, base, &mine)) {
      dl_trace_set_truncate(set, base);
      pthread_mutex_unlock(&sh->lock);
      return dl_fail(err, DL_ENOMEM, "out of memory storing %zu spans", added);
    }
    if (dl_trace_set_time_range_of(set, &mine, &first, &last) == DL_OK) {
      if (last > sh->open.newest)
        sh->open.newest = last;
      int64_t horizon = now - s->window;
      if (first < horizon) {
        /* Spans that start before the window: counted, never shown. */
        dl_filter f;
        dl_selection old;
        dl_filter_init(&f);
        f.start_max = horizon;
        f.has_start_max = 1;
        if (dl_trace_set_filter(set, &mine, &f, &old, NULL) == DL_OK) {
          *rejected = old.count;
          dl_selection_free(&old);
        }
      }
    }
    dl_selection_free(&mine);
    *accepted = added - *rejected;
    __atomic_store_n(&sh->open.memory, dl_trace_set_memory(set), __ATOMIC_RELAXED);
  }
  int full = dl_trace_set_count(set) >= s->seg_spans;
  pthread_mutex_unlock(&sh->lock);
  if (rc != DL_OK)
    return rc;
  __atomic_add_fetch(&s->accepted, *accepted, __ATOMIC_RELAXED);
  __atomic_add_fetch(&s->rejected, *rejected, __ATOMIC_RELAXED);
  if (full)
    seal_full(s, sh);
  else if (s->sealed_memory + open_memory(s) > s->max_memory) {
    pthread_mutex_lock(&s->lock);
    evict_locked(s, now);
    pthread_mutex_unlock(&s->lock);
  }
  return DL_OK;
}

/* Appends the rows of SET that pass F to OUT. */
static int
copy_matching(dl_trace_set *out, const dl_trace_set *set, const dl_filter *f, dl_error *err)
{
  if (!set || !dl_trace_set_count(set))
    return DL_OK;
  dl_selection sel;
  int rc = dl_trace_set_filter(set, NULL, f, &sel, err);
  if (rc != DL_OK)
    return rc;
  if (sel.count)
    rc = dl_trace_set_merge_rows(out, set, &sel, err);
  dl_selection_free(&sel);
  return rc;
}

int
dl_window_store_snapshot(dl_window_store *s, int64_t since, const char *service,
                         dl_trace_set **out, dl_error *err)
{
  *out = NULL;
  dl_window_store_maintain(s);
  dl_trace_set *snap = dl_trace_set_new();
  if (!snap)
    return dl_fail(err, DL_ENOMEM, "out of memory taking a snapshot of the receiver's window");
  int64_t horizon = dl_time_now() - s->window;
  dl_filter f;
  dl_filter_init(&f);
  f.start_min = since != DL_TIME_NONE && since > horizon ? since : horizon;
  f.has_start_min = 1;
  f.service = service;
  int rc = DL_OK;
  pthread_mutex_lock(&s->lock);
  for (size_t i = 0; rc == DL_OK && i < s->n_sealed; i++)
    rc = copy_matching(snap, s->sealed[i].set, &f, err);
  for (unsigned i = 0; rc == DL_OK && i < s->n_shards; i++) {
    pthread_mutex_lock(&s->shards[i].lock);
    rc = copy_matching(snap, s->shards[i].open.set, &f, err);
    pthread_mutex_unlock(&s->shards[i].lock);
  }
  pthread_mutex_unlock(&s->lock);
  if (rc != DL_OK) {
    dl_trace_set_free(snap);
    return rc;
  }
  *out = snap;
  return DL_OK;
}
