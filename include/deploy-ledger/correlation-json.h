/* A correlation as JSON (jansson): every figure behind the verdict, for
 * the command's --json and for the Scheme binding.  Keys are lowercase
 * and hyphenated ("error-rate", "first-seen"); latencies and times are
 * nanoseconds; a figure that does not exist (a percentile of nothing, a
 * region never reached) is null. */
#ifndef DL_CORRELATION_JSON_H
#define DL_CORRELATION_JSON_H

#include <jansson.h>

#include "correlate.h"
#include "metrics.h"

/* A new reference (NULL when out of memory). */
json_t *dl_correlation_json(const dl_correlation *c);

/* The cells of M as an array of objects (source "traces", window, group,
   figures). */
json_t *dl_metrics_json(const dl_metrics *m);

/* One comparison (figures, latency and error tests), and one verdict with
   the width and number of its series buckets: the same shape whatever
   source the figures came from.  New references. */
json_t *dl_comparison_json(const dl_comparison *c);
json_t *dl_judge_result_json(const dl_judge_result *j, int64_t bucket, size_t control_buckets,
                             size_t experiment_buckets);

/* A canary's percentiles, baseline against canary, with the judge's
   classification of each (JUDGE may be NULL), and OPERATIONS (a
   reference it takes; NULL: none). */
json_t *dl_canary_json(const dl_comparison *overall, const dl_judge_result *judge,
                       const char *control_version, const char *canary_version,
                       json_t *operations);

#endif
