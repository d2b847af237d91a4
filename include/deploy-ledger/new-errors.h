/* New error types: the error types (exception type, error.type or
 * error.kind attribute, status message, or HTTP status plus route, as the
 * trace set records them) of failed
 * requests of the new version that requests of other versions did not
 * show in the baseline window. */
#ifndef DL_ERRORTYPES_H
#define DL_ERRORTYPES_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "trace-set.h"

typedef struct dl_new_error_type {
  char *type;
  uint64_t count;     /* failed requests of the new version with this type */
  int64_t first_seen; /* ns */
  char *operation;    /* of the first one (NULL if none) */
} dl_new_error_type;

typedef struct dl_new_errors {
  dl_new_error_type *types; /* most frequent first */
  size_t n;
  size_t baseline_types;    /* distinct types of the old version in the baseline */
  uint64_t new_errors;      /* failed requests of the new version, typed or not */
} dl_new_errors;

typedef struct dl_new_errors_options {
  const dl_selection *rows; /* only these rows; NULL: all */
  const char *service;  /* required */
  const char *version;  /* the new version; required */
  int kind;             /* default -1: any kind */
  int64_t baseline_start, baseline_end; /* the old version's window */
  int64_t start, end;   /* where the new version's errors are looked for */
} dl_new_errors_options;

void dl_new_errors_options_init(dl_new_errors_options *o);

int dl_new_errors_compute(const dl_trace_set *set, const dl_new_errors_options *o,
                          dl_new_errors *out, dl_error *err) DL_MUST_CHECK;
void dl_new_errors_clear(dl_new_errors *e);

#endif
