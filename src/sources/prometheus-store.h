/* What the Prometheus readers (the exposition parser, the API answer
   parser) need of the series store beyond its public face (internal). */
#ifndef DL_PROMETHEUS_STORE_H
#define DL_PROMETHEUS_STORE_H

#include "deploy-ledger/prometheus.h"

/* An interned copy of S (LEN bytes), stable until D is freed; NULL when
   out of memory. */
const char *dl_prom_data_intern(dl_prom_data *d, const char *s, size_t len);

/* Sorted, interned copies of LABELS (N) into *OUT (malloc'ed: free it);
   a name given twice is DL_EINVAL. */
int dl_prom_data_labels(dl_prom_data *d, const dl_prom_label *labels, size_t n,
                        dl_prom_label **out, dl_error *err) DL_MUST_CHECK;

/* Attaches an exemplar to series SERIES. */
int dl_prom_data_exemplar_add(dl_prom_data *d, size_t series, const dl_prom_label *labels,
                              size_t n, double value, int64_t t, dl_error *err) DL_MUST_CHECK;

/* The family NAME (LEN bytes), created when new; NULL (ERR set) when out
   of memory or past the limit. */
dl_prom_family *dl_prom_data_family_get(dl_prom_data *d, const char *name, size_t len,
                                        dl_error *err);

#endif
