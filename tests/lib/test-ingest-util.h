/* Helpers shared by the ingest tests: fixture paths, loading, looking
   spans up, comparing sets. */
#ifndef DL_TEST_INGEST_UTIL_H
#define DL_TEST_INGEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy-ledger/deploy-ledger.h"
#include "tap.h"

static char test_path_buf[4096];

/* tests/data/NAME under the source tree. */
static inline const char *
data_path(const char *name)
{
  const char *top = getenv("abs_top_srcdir");
  snprintf(test_path_buf, sizeof test_path_buf, "%s/tests/data/%s", top ? top : "..", name);
  return test_path_buf;
}

/* Loads tests/data/NAME; returns the set, or NULL with ERR filled. */
static inline dl_trace_set *
load_data(const char *name, int lenient, dl_ingest_stats *stats, dl_error *err)
{
  dl_trace_set *set = dl_trace_set_new();
  dl_ingest_options opt;
  dl_ingest_options_init(&opt);
  opt.lenient = lenient;
  dl_ingest_stats local;
  if (!stats)
    stats = &local;
  dl_ingest_stats_init(stats);
  if (dl_load_path(set, data_path(name), &opt, stats, err)) {
    dl_trace_set_free(set);
    return NULL;
  }
  return set;
}

static inline const char *
str_or(const dl_trace_set *set, uint32_t id, const char *absent)
{
  const char *s = dl_trace_set_string(set, id);
  return s ? s : absent;
}

static inline const char *
hex(const uint8_t *b, size_t n)
{
  static char buf[4][33];
  static int k;
  k = (k + 1) % 4;
  return dl_hex_encode(b, n, buf[k]);
}

/* Row whose span id is SPAN_HEX (the first one), or -1. */
static inline long
find_span(const dl_trace_set *set, const char *span_hex)
{
  dl_span_columns c;
  dl_trace_set_columns(set, &c);
  for (size_t i = 0; i < c.count; i++)
    if (strcmp(hex(c.span_id[i], 8), span_hex) == 0)
      return (long) i;
  return -1;
}

/* Compares row I of A with row J of B on every column, by value;
   reports the first difference in WHY. */
static inline int
same_row(const dl_trace_set *a, size_t i, const dl_trace_set *b, size_t j, int64_t time_unit,
         char *why, size_t why_size)
{
  dl_span_columns ca, cb;
  dl_trace_set_columns(a, &ca);
  dl_trace_set_columns(b, &cb);
#define DIFF(cond, ...)                                                                            \
  if (cond) {                                                                                      \
    snprintf(why, why_size, __VA_ARGS__);                                                          \
    return 0;                                                                                      \
  }
  DIFF(memcmp(ca.trace_id[i], cb.trace_id[j], 16), "trace id %s vs %s", hex(ca.trace_id[i], 16),
       hex(cb.trace_id[j], 16));
  DIFF(memcmp(ca.span_id[i], cb.span_id[j], 8), "span id %s vs %s", hex(ca.span_id[i], 8),
       hex(cb.span_id[j], 8));
  DIFF(memcmp(ca.parent_id[i], cb.parent_id[j], 8), "parent %s vs %s", hex(ca.parent_id[i], 8),
       hex(cb.parent_id[j], 8));
  DIFF(ca.start[i] / time_unit != cb.start[j] / time_unit, "start %lld vs %lld",
       (long long) ca.start[i], (long long) cb.start[j]);
  DIFF(ca.duration[i] / time_unit != cb.duration[j] / time_unit, "duration %lld vs %lld",
       (long long) ca.duration[i], (long long) cb.duration[j]);
  DIFF(ca.kind[i] != cb.kind[j], "kind %d vs %d", ca.kind[i], cb.kind[j]);
  DIFF(ca.flags[i] != cb.flags[j], "flags %d vs %d", ca.flags[i], cb.flags[j]);
  const struct {
    const char *name;
    const uint32_t *x, *y;
  } strs[] = {
    {"service", ca.service, cb.service},       {"operation", ca.operation, cb.operation},
    {"version", ca.version, cb.version},       {"region", ca.region, cb.region},
    {"environment", ca.environment, cb.environment}, {"error type", ca.error_type, cb.error_type},
  };
  for (size_t k = 0; k < sizeof strs / sizeof strs[0]; k++) {
    const char *x = str_or(a, strs[k].x[i], "(absent)"), *y = str_or(b, strs[k].y[j], "(absent)");
    DIFF(strcmp(x, y), "%s \"%s\" vs \"%s\"", strs[k].name, x, y);
  }
#undef DIFF
  return 1;
}

/* Every row of A equals the row of B with the same span id (and the
   same position among equal span ids). */
static inline int
same_spans(const dl_trace_set *a, const dl_trace_set *b, int64_t time_unit, char *why, size_t n)
{
  if (dl_trace_set_count(a) != dl_trace_set_count(b)) {
    snprintf(why, n, "%zu spans vs %zu", dl_trace_set_count(a), dl_trace_set_count(b));
    return 0;
  }
  for (size_t i = 0; i < dl_trace_set_count(a); i++)
    if (!same_row(a, i, b, i, time_unit, why, n)) {
      size_t len = strlen(why);
      snprintf(why + len, n - len, " (row %zu)", i);
      return 0;
    }
  return 1;
}

#endif
