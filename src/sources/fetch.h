/* What the HTTP sources share (internal): a fetch in progress, with the
   trace ids already taken, slicing of the window, decoding answers into
   a scratch set and keeping only the traces not yet seen. */
#ifndef DL_FETCH_H
#define DL_FETCH_H

#include "net/http.h"
#include "deploy-ledger/sources.h"
#include "util/hash.h"

typedef struct dl_fetch {
  dl_trace_set *set; /* destination */
  size_t base;       /* its rows before the fetch, for undoing a failure */
  dl_http *http;
  dl_ingest_options ingest;
  dl_fetch_stats stats;
  size_t split_budget; /* further slices splitting may still ask for */
  /* Trace ids taken so far, in the order taken, and their index. */
  uint8_t (*ids)[16];
  size_t n_ids, cap_ids;
  dl_hash id_index;
} dl_fetch;

/* The names of the JSON object BODY's member KEY, an array of strings
   ({"services": ["a", "b"]}), read with the streaming scanner (no tree:
   memory stays the size of the answer).  At most MAX_NAMES names, else
   DL_ERANGE naming SOURCE and the limit.  With NAMES NULL, only checks
   that the member exists and holds an array (DL_EPARSE if not).
   *NAMES is malloc'ed, each name too (dl_string_list_free). */
int dl_fetch_name_list(const char *body, size_t len, const char *source, const char *key,
                       size_t max_names, char ***names, size_t *n, dl_error *err) DL_MUST_CHECK;

/* A GET of URL (JSON; a 404 is an answer) whose body may not exceed MAX
   bytes: the error then names WHY ("a list of services").  On failure R
   is cleared, but R->status kept (0: no HTTP answer). */
int dl_fetch_get_capped(dl_http *h, const char *url, size_t max, const char *why,
                        dl_http_response *r, dl_error *err) DL_MUST_CHECK;

int dl_fetch_begin(dl_fetch *f, dl_trace_set *set, const dl_http_options *http,
                   const char *default_prefix, const dl_ingest_options *ingest,
                   dl_error *err) DL_MUST_CHECK;

/* Ends the fetch: on failure (RC != 0) the set is put back as it was;
   the statistics go to STATS (may be NULL). */
int dl_fetch_end(dl_fetch *f, int rc, dl_fetch_stats *stats);

/* Decodes BODY (format detected) into a new scratch set *OUT, and counts
   its distinct traces into *TRACES. */
int dl_fetch_decode(dl_fetch *f, const char *body, size_t len, const char *source,
                    dl_trace_set **out, size_t *traces, dl_error *err) DL_MUST_CHECK;

/* Adds the spans of SCRATCH whose trace is new to the destination. */
int dl_fetch_commit(dl_fetch *f, const dl_trace_set *scratch, dl_error *err) DL_MUST_CHECK;

/* Nonzero when trace ID was taken already; dl_fetch_note_id takes it
   (DL_OK, DL_ENOMEM, or DL_ERANGE past DL_HASH_MAX_ENTRIES ids). */
int dl_fetch_seen(const dl_fetch *f, const uint8_t id[16]);
int dl_fetch_note_id(dl_fetch *f, const uint8_t id[16]);

/* The window [Q->start, Q->end) in slices of Q->slice ns: calls FN for
   each.  FN returns 0 when it took the slice's traces, 1 to have the
   slice split in two (it hit the limit; allowed only when CAN_SPLIT,
   i.e. while halves stay at least MIN_SLICE long and Q->max_slices is not
   reached), or -1 on error.  A window of more than Q->max_slices slices
   is refused (DL_EINVAL) before FN is called. */
/* Checks Q's window before any request: it must not end before it starts
   nor need more than Q->max_slices slices (the error says how to raise
   it). */
int dl_fetch_check_window(const dl_trace_query *q, dl_error *err) DL_MUST_CHECK;

typedef int (*dl_fetch_slice_fn)(dl_fetch *f, int64_t start, int64_t end, int can_split,
                                 void *ctx, dl_error *err);
int dl_fetch_window(dl_fetch *f, const dl_trace_query *q, int64_t min_slice,
                    dl_fetch_slice_fn fn, void *ctx, dl_error *err) DL_MUST_CHECK;

#endif
