/* Building trace sets for tests: one span at a time, and a reproducible
   random source with lognormal latencies. */
#ifndef DL_TEST_TRACEGEN_H
#define DL_TEST_TRACEGEN_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "deploy-ledger/trace-set.h"

static uint64_t tg_state = 0x853c49e6748fea9bULL;

static inline void
tg_seed(uint64_t s)
{
  tg_state = s ? s : 1;
}

static inline uint64_t
tg_next(void)
{
  tg_state ^= tg_state >> 12;
  tg_state ^= tg_state << 25;
  tg_state ^= tg_state >> 27;
  return tg_state * 2685821657736338717ULL;
}

/* Uniform in [0, 1). */
static inline double
tg_unif(void)
{
  return (double) (tg_next() >> 11) / 9007199254740992.0;
}

static inline double
tg_normal(void)
{
  return sqrt(-2 * log(1 - tg_unif())) * cos(2 * M_PI * tg_unif());
}

/* Lognormal latency in ns with MEDIAN_MS and SIGMA. */
static inline int64_t
tg_lognormal_ns(double median_ms, double sigma)
{
  return (int64_t) (median_ms * 1e6 * exp(sigma * tg_normal()));
}

typedef struct tg_span {
  const char *service, *operation, *version, *region, *error_type;
  int kind;
  int64_t start, duration;
  int error;
  const dl_span_attr *attrs;
  size_t n_attrs;
} tg_span;

static inline dl_str
tg_str(const char *s)
{
  dl_str r = {s, s ? strlen(s) : 0};
  return r;
}

/* Appends S to SET; returns the status. */
static inline int
tg_add(dl_trace_set *set, const tg_span *s)
{
  static uint64_t counter;
  dl_span_row row;
  memset(&row, 0, sizeof row);
  counter++;
  memcpy(row.trace_id, &counter, sizeof counter);
  row.trace_id[15] = 1;
  memcpy(row.span_id, &counter, sizeof counter);
  row.start = s->start;
  row.duration = s->duration;
  row.kind = (uint8_t) s->kind;
  row.error = (uint8_t) (s->error ? DL_ROW_ERROR : 0);
  row.service = tg_str(s->service);
  row.operation = tg_str(s->operation);
  row.version = tg_str(s->version);
  row.region = tg_str(s->region);
  row.environment = tg_str("production");
  row.error_type = tg_str(s->error ? s->error_type : NULL);
  row.attrs = s->attrs;
  row.n_attrs = s->n_attrs;
  return dl_trace_set_append(set, &row, NULL);
}

#endif
