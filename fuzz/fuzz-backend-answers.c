/* libFuzzer harness: the answers of tracing backends that are scanned
   rather than decoded as traces -- Jaeger's lists of services (as the
   API probes and jaeger-services read them) and Tempo's search answers.
   Every failure must name the place; every success must hold what the
   limits allow and nothing more. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deploy-ledger/sources.h"
#include "sources/answers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const char *const keys[] = {"services", "data"};
  volatile size_t sum = 0;
  for (size_t k = 0; k < 2; k++) {
    char **names;
    size_t n;
    dl_error err;
    dl_error_clear(&err);
    int rc = dl_answer_name_list((const char *) data, size, "fuzz", keys[k], 64, &names, &n, &err);
    if (rc != DL_OK && err.text[0] == '\0')
      __builtin_trap();
    if (rc == DL_OK) {
      if (n > 64 || (n && !names))
        __builtin_trap();
      for (size_t i = 0; i < n; i++)
        sum += strlen(names[i]);
      dl_string_list_free(names, n);
    }
    /* The probes' form: only whether the list is there. */
    rc = dl_answer_name_list((const char *) data, size, "fuzz", keys[k], 64, NULL, NULL, &err);
    if (rc != DL_OK && err.text[0] == '\0')
      __builtin_trap();
  }
  dl_search_ids ids = {0};
  dl_error err;
  dl_error_clear(&err);
  int rc = dl_answer_search_ids((const char *) data, size, "fuzz", &ids, &err);
  if (rc != DL_OK && (err.text[0] == '\0' || ids.n || ids.ids))
    __builtin_trap();
  for (size_t i = 0; i < ids.n; i++)
    sum += ids.ids[i][15];
  free(ids.ids);
  return 0;
}
