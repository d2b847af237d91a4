/* The body shared by the libFuzzer harnesses: decode the input strictly
   and leniently with one decoder into a set with a kept key, read every
   column back, free.  Any crash, leak or sanitizer report is a finding. */
#ifndef DL_FUZZ_DECODER_H
#define DL_FUZZ_DECODER_H

#include <stddef.h>
#include <stdint.h>

#include "deploy-ledger/deploy-ledger.h"

typedef int (*fuzz_decoder)(dl_trace_set *, const void *, size_t, const char *,
                            const dl_ingest_options *, dl_ingest_stats *, dl_error *);

static void
fuzz_touch(const dl_trace_set *set)
{
  dl_span_columns c;
  dl_trace_set_columns(set, &c);
  volatile uint64_t sum = 0;
  for (size_t i = 0; i < c.count; i++) {
    const char *s = dl_trace_set_string(set, c.operation[i]);
    sum += (uint64_t) c.start[i] + (uint64_t) c.duration[i] + c.kind[i] + c.flags[i] +
           c.trace_id[i][0] + c.span_id[i][7] + c.parent_id[i][3] + (s ? (uint8_t) s[0] : 0);
    if (c.service)
      sum += c.service[i] + c.version[i] + c.region[i] + c.environment[i];
    sum += c.error_type[i];
  }
}

static int
fuzz_one(fuzz_decoder decode, const uint8_t *data, size_t size)
{
  for (int lenient = 0; lenient < 2; lenient++) {
    dl_trace_set *set = dl_trace_set_new();
    dl_error err;
    if (!set || dl_trace_set_keep(set, "http.route", &err))
      __builtin_trap();
    dl_ingest_options opt;
    dl_ingest_options_init(&opt);
    opt.lenient = lenient;
    opt.max_bytes = 1 << 24;
    dl_ingest_stats stats;
    dl_ingest_stats_init(&stats);
    int rc = decode(set, data, size, "fuzz", &opt, &stats, &err);
    /* Strict failures leave the set empty; errors always say something. */
    if (rc != DL_OK && (!lenient && dl_trace_set_count(set) != 0))
      __builtin_trap();
    if (rc != DL_OK && err.text[0] == '\0')
      __builtin_trap();
    fuzz_touch(set);
    dl_trace_set_free(set);
  }
  return 0;
}

#endif
