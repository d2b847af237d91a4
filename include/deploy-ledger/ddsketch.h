/* DDSketch: a mergeable quantile sketch with relative accuracy.
 *
 * Masson, Rim and Lee, "DDSketch: A Fast and Fully-Mergeable Quantile
 * Sketch with Relative-Error Guarantees", PVLDB 12(12), 2019.  A value x
 * lands in bucket ceil(log_gamma x) with gamma = (1 + a) / (1 - a); the
 * bucket's representative 2 gamma^i / (gamma + 1) is within a relative
 * error a of every value in it.  A quantile q is the representative of
 * the bucket holding the element of 0-based rank floor(q (n - 1)), so it
 * is within a of that element.  Sketches of the same accuracy merge by
 * adding counts: the result equals the sketch of the union.
 *
 * Memory is bounded: each sign keeps at most `max_buckets' buckets; past
 * that the lowest buckets collapse into one (only the smallest values lose
 * accuracy).  With a = 1% and the default 2048 buckets, values from 1 ns
 * to a day keep full accuracy. */
#ifndef DL_DDSKETCH_H
#define DL_DDSKETCH_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct dl_ddsketch dl_ddsketch;

#define DL_DDSKETCH_DEFAULT_ACCURACY 0.01
#define DL_DDSKETCH_DEFAULT_BUCKETS 2048

/* A new, empty sketch; ACCURACY in (0, 1), MAX_BUCKETS >= 16 per sign
   (0: the default).  NULL on bad arguments or out of memory. */
dl_ddsketch *dl_ddsketch_new(double accuracy, size_t max_buckets);
void dl_ddsketch_free(dl_ddsketch *s);

/* Adds VALUE COUNT times.  NaN is refused (DL_EINVAL). */
int dl_ddsketch_add(dl_ddsketch *s, double value, uint64_t count, dl_error *err) DL_MUST_CHECK;

/* Adds every value of SRC to DST; both must have the same accuracy. */
int dl_ddsketch_merge(dl_ddsketch *dst, const dl_ddsketch *src, dl_error *err) DL_MUST_CHECK;

uint64_t dl_ddsketch_count(const dl_ddsketch *s);
double dl_ddsketch_accuracy(const dl_ddsketch *s);

/* Exact extremes and sum of what was added (NaN when empty). */
double dl_ddsketch_min(const dl_ddsketch *s);
double dl_ddsketch_max(const dl_ddsketch *s);
double dl_ddsketch_sum(const dl_ddsketch *s);

/* Quantile Q in [0, 1]; NaN when empty.  q = 0 and q = 1 are the exact
   minimum and maximum. */
double dl_ddsketch_quantile(const dl_ddsketch *s, double q);

/* Number of non-empty buckets (memory in use is proportional). */
size_t dl_ddsketch_bucket_count(const dl_ddsketch *s);

#endif
