/* The compiled form of a metrics query (internal to dl-metrics.c and
   dl-scan.c): which rows count, which window and group each falls in. */
#ifndef DL_SCANPLAN_H
#define DL_SCANPLAN_H

#include <stddef.h>
#include <stdint.h>

#include "deploy-ledger/ddsketch.h"
#include "deploy-ledger/error.h"
#include "deploy-ledger/group.h"
#include "deploy-ledger/trace-set.h"
#include "deploy-ledger/window.h"
#include "util/hash.h"

/* Largest number of target buckets of one cell: two ranks per quantile,
   and the lowest and highest buckets (for the exact min and max). */
#define SCAN_MAX_TARGETS 18

typedef struct scan_plan {
  const dl_trace_set *set;
  const dl_selection *sel;
  size_t n_items; /* rows, or selection entries */
  /* Columns. */
  const int64_t *start, *duration;
  const uint32_t *origin, *operation;
  const uint8_t *kind_col, *flags;
  /* The filter. */
  int nothing; /* no row can match */
  int kind;    /* -1: any */
  int op_mode; /* 0: any; 1: equal to op_id */
  uint32_t op_id;
  const uint32_t *attr_col;
  int attr_mode; /* 0: any; 1: present; 2: equal to attr_id */
  uint32_t attr_id;
  int has_tmin, has_tmax;
  int64_t tmin, tmax;
  /* Origins -> classes (distinct projections on the origin dimensions of
     the group-by; -1 when the origin fails the filter). */
  int32_t *origin_class;
  uint32_t n_origins;
  uint32_t n_classes;
  uint32_t (*class_key)[DL_GROUP_MAX_DIMS];
  /* Dimensions read per row (operation, error type, attributes). */
  size_t n_row_dims;
  const uint32_t *row_col[DL_GROUP_MAX_DIMS];
  size_t row_pos[DL_GROUP_MAX_DIMS]; /* position in the key */
  /* Windows. */
  const dl_window *win;
  size_t nw;
  int uniform;
  int64_t t0;
  uint64_t span, width;
  double inv_width;
  uint64_t bound[4]; /* uniform and nw <= 4: window w starts at bound[w] */
  /* Options. */
  int sketches;
  int keep_values;
} scan_plan;

/* Compiles FILTER, GROUP and the windows over SET into P. */
int scan_plan_init(scan_plan *p, const dl_trace_set *set, const dl_selection *sel,
                   const dl_filter *filter, const dl_group_spec *group, const dl_window *win,
                   size_t nw, dl_error *err) DL_MUST_CHECK;
void scan_plan_clear(scan_plan *p);


/* One thread's share of the work and its slots.  In the direct mode
   (no per-row dimension) slot = window * n_classes + class for every
   thread; otherwise slots are numbered in the order a thread meets
   them, through its own hash table, and mapped to global ones later. */
typedef struct scan_thread {
  const scan_plan *p;
  size_t lo, hi; /* items [lo, hi) */
  int hashed;
  size_t n_slots, cap_slots;
  /* Per slot: latency sum (mod 2^64: exact for sums below 2^63 ns),
     errors, and the histogram, whose total is the count. */
  uint64_t *sum, *errors;
  uint32_t **hist;
  dl_ddsketch **sketch;
  uint32_t (*slot_key)[2 + DL_GROUP_MAX_DIMS]; /* hashed: window, class, row ids */
  dl_hash index;                                /* hashed: key -> local slot */
  /* Phase B: global slot of each local slot, the target table of each
     global slot (bucket -> 1 + target, 0 none) and where this thread
     writes each global slot's targets (global slot x SCAN_MAX_TARGETS). */
  const size_t *l2g;
  uint8_t *const *target;
  const uint8_t *any_target; /* bucket -> nonzero if a target of any slot */
  int64_t **out;
  int rc;
  dl_error err;
} scan_thread;

/* Phase A: counts and histograms.  Phase B: copies the latencies of the
   target buckets.  Both set t->rc on failure. */
void scan_phase_a(scan_thread *t);
void scan_phase_b(scan_thread *t);
void scan_thread_clear(scan_thread *t);

#endif
