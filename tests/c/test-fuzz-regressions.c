/* Inputs the fuzzers found trouble with (tests/data/fuzz/), decoded as
   fuzz/fuzz-decoder.h drives the decoders (format detected, a kept key),
   strictly and leniently.  Each must give the status, the message and
   the counts it gives now: strictly the parse error that names the file
   and the place, with nothing added to the set; leniently success, with
   the same problem as the warning and the damaged spans counted as
   skipped.  Under the sanitizer build undefined behaviour or a leak
   fails the test (the clang-only checks, such as arithmetic on a null
   pointer, need the fuzz harness: build/fuzz/fuzz-decode FILE). */
#include "test-ingest-util.h"

static const struct regression {
  const char *file;   /* under tests/data/fuzz/ */
  const char *format; /* the format detected */
  const char *error;  /* the strict error, and the lenient warning */
  long line, column;  /* where the error is (-1: not a text position) */
  size_t skipped;     /* what lenient mode skips */
} regressions[] = {
  /* An empty number string had no pointer (the JSON scanner). */
  {"empty-number-string.bin", "otlp-json",
   "empty-number-string.bin:2:18: $: expected ':' after a member name, found 'E'", 2, 18, 12},
  /* A key with an escape, on the path of an error, leaked a scratch
     buffer (placing Jaeger errors). */
  {"jaeger-locate-leak.json", "jaeger-json",
   "jaeger-locate-leak.json: $.spans[0].spanID: span has no spanID", -1, -1, 1},
};

/* Decodes DATA as the fuzz harnesses do. */
static int
decode(const struct regression *r, const void *data, size_t len, int lenient, dl_trace_set **set,
       dl_ingest_stats *stats, dl_error *err)
{
  *set = dl_trace_set_new();
  if (!*set || dl_trace_set_keep(*set, "http.route", err))
    return DL_ENOMEM;
  dl_ingest_options opt;
  dl_ingest_options_init(&opt);
  opt.lenient = lenient;
  dl_ingest_stats_init(stats);
  return dl_decode(*set, data, len, r->file, &opt, stats, err);
}

int
main(void)
{
  char name[256];
  for (size_t i = 0; i < sizeof regressions / sizeof regressions[0]; i++) {
    const struct regression *r = &regressions[i];
    void *data;
    size_t len;
    dl_error err;
    snprintf(name, sizeof name, "fuzz/%s", r->file);
    if (dl_read_file(data_path(name), 1 << 24, &data, &len, &err)) {
      ok(0, "read %s: %s", r->file, err.text);
      continue;
    }
    dl_trace_set *set;
    dl_ingest_stats stats;
    int rc = decode(r, data, len, 0, &set, &stats, &err);
    is_str(dl_status_name(rc), dl_status_name(DL_EPARSE), "%s strictly: a parse error", r->file);
    is_str(rc ? err.text : "(no error)", r->error, "%s strictly: the message", r->file);
    ok(rc && err.line == r->line && err.column == r->column, "%s strictly: at line %ld column %ld",
       r->file, r->line, r->column);
    is_int(dl_trace_set_count(set), 0, "%s strictly: nothing added", r->file);
    dl_trace_set_free(set);

    rc = decode(r, data, len, 1, &set, &stats, &err);
    is_str(dl_status_name(rc), dl_status_name(DL_OK), "%s leniently: decoded", r->file);
    is_str(dl_format_name(stats.format), r->format, "%s leniently: read as %s", r->file, r->format);
    is_str(stats.warning.code ? stats.warning.text : "(no warning)", r->error,
           "%s leniently: the same problem as the warning", r->file);
    ok(stats.spans == 0 && dl_trace_set_count(set) == 0, "%s leniently: no span kept", r->file);
    is_int(stats.skipped, r->skipped, "%s leniently: %zu skipped", r->file, r->skipped);
    dl_trace_set_free(set);
    free(data);
  }
  return tap_done();
}
