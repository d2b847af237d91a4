/* The receiver's store: a rolling time window of spans in segments.
 *
 * Writers (the connection threads) each append to the open segment of
 * their shard, under the shard's lock only; decoding into it is the
 * only copy a span ever makes on its way in.  A segment is sealed when it
 * holds seg_spans spans or is older than window/8, and then joins the
 * sealed list (under the store's lock), from which whole segments leave:
 * expired once their newest span start is before the window, dropped
 * (oldest first) while the store holds more than max_memory bytes. */
#ifndef DL_RECEIVER_WINDOW_STORE_H
#define DL_RECEIVER_WINDOW_STORE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "deploy-ledger/ingest.h"
#include "deploy-ledger/trace-set.h"

typedef struct dl_segment {
  dl_trace_set *set;
  int64_t newest;   /* latest span start in it (INT64_MIN: none) */
  int64_t opened;   /* wall clock when it was opened */
  size_t memory;    /* dl_trace_set_memory when sealed or last written */
} dl_segment;

typedef struct dl_shard {
  pthread_mutex_t lock;
  dl_segment open;  /* open.set NULL until the first span */
} dl_shard;

typedef struct dl_window_store {
  int64_t window;
  size_t max_memory;
  size_t seg_spans;
  unsigned n_shards;
  dl_shard *shards;
  pthread_mutex_t lock;   /* the sealed list and the counters below */
  dl_segment *sealed;     /* oldest first */
  size_t n_sealed, cap_sealed;
  size_t sealed_memory;
  uint64_t sealed_spans;
  /* Counters, atomically updated. */
  uint64_t accepted, rejected, expired, dropped;
  size_t open_memory;     /* sum of the open segments' memory */
  uint64_t open_spans;
} dl_window_store;

int dl_window_store_init(dl_window_store *s, int64_t window, size_t max_memory,
                         unsigned n_shards, dl_error *err) DL_MUST_CHECK;
void dl_window_store_release(dl_window_store *s);

/* The shard the calling thread writes to. */
unsigned dl_window_store_shard_of_thread(const dl_window_store *s);

/* Decodes DATA (uncompressed, FORMAT a DL_FORMAT_*) into the open
   segment of shard SHARD.  On success *ACCEPTED spans were stored and
   *REJECTED (of those decoded) started before the window and are not
   counted in it: a snapshot never shows them.  On failure nothing is
   kept and ERR says why (the decoder's message, naming SOURCE). */
int dl_window_store_decode(dl_window_store *s, unsigned shard, int format, const void *data,
                           size_t len, const char *source, const dl_ingest_options *opt,
                           uint64_t *accepted, uint64_t *rejected, dl_error *err) DL_MUST_CHECK;

/* Seals old open segments, expires and drops sealed ones. */
void dl_window_store_maintain(dl_window_store *s);

/* The spans of the window that start at or after SINCE, of SERVICE when
   not NULL, copied into a new set *OUT. */
int dl_window_store_snapshot(dl_window_store *s, int64_t since, const char *service,
                             dl_trace_set **out, dl_error *err) DL_MUST_CHECK;

#endif
