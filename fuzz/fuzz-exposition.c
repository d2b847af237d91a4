/* libFuzzer harness: dl_exposition_parse in each of its modes.  Every
   failure must say where (line and column) and leave a usable store; the
   store's series, samples, exemplars and families are read back. */
#include <stdint.h>
#include <string.h>

#include "deploy-ledger/prometheus.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const dl_expo_format formats[] = {DL_EXPO_AUTO, DL_EXPO_PROMETHEUS,
                                           DL_EXPO_OPENMETRICS};
  for (size_t f = 0; f < 3; f++) {
    dl_prom_limits limits = {1000, 100000};
    dl_prom_data *d = dl_prom_data_new(&limits);
    if (!d)
      __builtin_trap();
    dl_error err;
    dl_error_clear(&err);
    int rc = dl_exposition_parse(d, (const char *) data, size, "fuzz", formats[f], 0, &err);
    if (rc != DL_OK && (err.text[0] == '\0' || (rc == DL_EPARSE && err.line < 1)))
      __builtin_trap();
    volatile double sum = 0;
    for (size_t i = 0; i < dl_prom_data_count(d); i++) {
      const dl_prom_series *s = dl_prom_data_series(d, i);
      sum += (double) strlen(s->name) + (double) s->n_labels;
      for (size_t k = 0; k < s->n_labels; k++)
        sum += (double) strlen(s->labels[k].name) + (double) strlen(s->labels[k].value);
      for (size_t k = 0; k < s->n; k++)
        sum += s->v[k] + (double) s->t[k];
      if (s->n >= 2)
        sum += dl_prom_increase(s->t, s->v, s->n, s->t[0], s->t[s->n - 1]);
    }
    for (size_t i = 0; i < dl_prom_data_exemplar_count(d); i++)
      sum += dl_prom_data_exemplar(d, i)->value;
    for (size_t i = 0; i < dl_prom_data_family_count(d); i++)
      sum += (double) dl_prom_data_family(d, i)->type;
    dl_prom_data_free(d);
  }
  return 0;
}
