/* Log-linear latency buckets (internal): 256 per power of two (0.4% wide),
   monotone in the value, so the k-th smallest value lies in the bucket
   where the running count first exceeds k.  Negative values share bucket
   0, values 0..255 have a bucket each, then the top 9 bits of the value
   pick one.  Narrow buckets keep the second scan's copies few. */
#ifndef DL_LOGBUCKET_H
#define DL_LOGBUCKET_H

#include <stdint.h>

#define DL_LOGBUCKET_COUNT (1 + 256 + (63 - 8) * 256)

static inline uint32_t
dl_logbucket(int64_t v)
{
  if (v < 256)
    return v < 0 ? 0 : (uint32_t) v + 1;
  uint64_t u = (uint64_t) v;
  int e = 63 - __builtin_clzll(u); /* 8 .. 62 */
  return 257 + ((uint32_t) (e - 8) << 8) + (uint32_t) ((u >> (e - 8)) & 255);
}

#endif
