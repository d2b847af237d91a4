/* Building trace sets for tests: one span at a time, and a reproducible
   random source with lognormal latencies. */
#ifndef DL_TEST_TRACEGEN_H
#define DL_TEST_TRACEGEN_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "deploy-ledger/trace-set.h"
#include "seeded-random.h"

/* One random state for the builders below, set by tg_seed. */
static uint64_t tg_state = 0x853c49e6748fea9bULL;

static inline void
tg_seed(uint64_t s)
{
  tg_state = random_seed(s);
}

static inline uint64_t
tg_next(void)
{
  return random_next(&tg_state);
}

/* Uniform in [0, 1). */
static inline double
tg_unif(void)
{
  return random_unit(&tg_state);
}

static inline double
tg_normal(void)
{
  return random_normal(&tg_state);
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
  row.service = dl_str_of(s->service);
  row.operation = dl_str_of(s->operation);
  row.version = dl_str_of(s->version);
  row.region = dl_str_of(s->region);
  row.environment = dl_str_of("production");
  row.error_type = dl_str_of(s->error ? s->error_type : NULL);
  row.attrs = s->attrs;
  row.n_attrs = s->n_attrs;
  return dl_trace_set_append(set, &row, NULL);
}

#endif
