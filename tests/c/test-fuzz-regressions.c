/* Inputs the fuzzers found trouble with (tests/data/fuzz/): each decodes
   or fails cleanly, strictly and leniently, as fuzz/fuzz-decoder.h drives
   the decoders.  Under the sanitizer build undefined behaviour or a leak
   fails the test (the clang-only checks, such as arithmetic on a null
   pointer, need the fuzz harness: build/fuzz/fuzz-decode FILE). */
#include "deploy-ledger/deploy-ledger.h"
#include "tap.h"

#include <stdlib.h>

static const char *const inputs[] = {
  "empty-number-string.bin", /* an empty number string had no pointer: dl-json.c */
};

int
main(void)
{
  const char *src = getenv("abs_top_srcdir");
  for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/fuzz/%s", src ? src : "..", inputs[i]);
    void *data;
    size_t len;
    dl_error err;
    if (dl_read_file(path, 1 << 24, &data, &len, &err)) {
      ok(0, "read %s: %s", inputs[i], err.text);
      continue;
    }
    for (int lenient = 0; lenient < 2; lenient++) {
      dl_trace_set *set = dl_trace_set_new();
      if (!set || dl_trace_set_keep(set, "http.route", NULL))
        return 1;
      dl_ingest_options opt;
      dl_ingest_options_init(&opt);
      opt.lenient = lenient;
      int rc = dl_decode(set, data, len, inputs[i], &opt, NULL, &err);
      ok(rc == DL_OK || (rc != DL_OK && err.text[0]), "%s %s: %s", inputs[i],
         lenient ? "leniently" : "strictly", rc ? err.text : "decoded");
      dl_trace_set_free(set);
    }
    free(data);
  }
  return tap_done();
}
