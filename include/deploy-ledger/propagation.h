/* Rollout propagation across regions, read from the traces: for each
 * region, when its SERVER spans of the service first carried the new
 * service.version, how long after the deployment's start that was, and
 * the share of its requests on the new version in each time bucket.
 * Regions that never served the new version are named (the ones seen in
 * the traces and the ones the deployment lists). */
#ifndef DL_PROPAGATION_H
#define DL_PROPAGATION_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "trace-set.h"

typedef struct dl_region_rollout {
  char *region;          /* NULL: spans without cloud.region */
  int reached;           /* served the new version */
  int expected;          /* listed by the deployment */
  int64_t first_seen;    /* ns; DL_TIME_NONE when not reached */
  int64_t lag;           /* first_seen - start */
  int64_t complete_at;   /* start of the first bucket from which every bucket
                            with requests is at least 99% new; DL_TIME_NONE */
  uint64_t requests, new_requests; /* in [start, end) */
  double *share;         /* per bucket: new / all, NaN without requests */
} dl_region_rollout;

typedef struct dl_propagation {
  int64_t start, end, bucket;
  size_t n_buckets;
  dl_region_rollout *regions;
  size_t n_regions;
} dl_propagation;

typedef struct dl_propagation_options {
  const dl_selection *rows;   /* only these rows; NULL: all */
  const char *service;        /* required */
  const char *version;        /* the new version; required */
  int kind;                   /* default DL_KIND_SERVER; -1 any */
  int64_t start, end;         /* [start, end) of the rollout to follow */
  int64_t bucket;             /* 0: a sixtieth of the range, at least 1 s */
  const char *const *regions; /* expected regions (may be NULL) */
  size_t n_regions;
} dl_propagation_options;

void dl_propagation_options_init(dl_propagation_options *o);

/* Computes P (cleared first; free it with dl_propagation_clear).  Regions
   are ordered by first_seen, then the unreached by name. */
int dl_propagation_compute(const dl_trace_set *set, const dl_propagation_options *o,
                           dl_propagation *p, dl_error *err) DL_MUST_CHECK;
void dl_propagation_clear(dl_propagation *p);

#endif
