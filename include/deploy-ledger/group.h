/* What requests are grouped by: a list of up to four dimensions, each a
 * field of the span (service, version, region, environment, operation,
 * error type) or a kept attribute.  Written as text, comma-separated:
 *   "version", "version,region", "operation", "http.route,version".
 * Names: service (service.name), version (service.version), region
 * (cloud.region), environment (deployment.environment.name), operation
 * (span.name), error-type; any other name is an attribute that the trace
 * set keeps.  The empty text groups everything together. */
#ifndef DL_GROUP_H
#define DL_GROUP_H

#include <stddef.h>

#include "error.h"

#define DL_GROUP_MAX_DIMS 4

typedef enum dl_dim {
  DL_DIM_SERVICE = 0, /* the same numbering as DL_FIELD_* */
  DL_DIM_VERSION = 1,
  DL_DIM_REGION = 2,
  DL_DIM_ENVIRONMENT = 3,
  DL_DIM_OPERATION = 4,
  DL_DIM_ERROR_TYPE = 5,
  DL_DIM_ATTRIBUTE = 6
} dl_dim;

typedef struct dl_group_spec {
  size_t n;
  dl_dim dims[DL_GROUP_MAX_DIMS];
  char *keys[DL_GROUP_MAX_DIMS]; /* attribute key (owned) for DL_DIM_ATTRIBUTE, else NULL */
} dl_group_spec;

/* An empty spec (one group). */
void dl_group_spec_init(dl_group_spec *spec);
void dl_group_spec_clear(dl_group_spec *spec);

/* Parses TEXT (NULL or "" for none) into SPEC, which must be initialised;
   a repeated or empty name, or more than four, is DL_EINVAL. */
int dl_group_spec_parse(const char *text, dl_group_spec *spec, dl_error *err) DL_MUST_CHECK;

/* Adds one dimension by name. */
int dl_group_spec_add(dl_group_spec *spec, const char *name, dl_error *err) DL_MUST_CHECK;

/* The canonical name of dimension I ("version", "http.route"). */
const char *dl_group_spec_name(const dl_group_spec *spec, size_t i);

/* Index of dimension DIM in SPEC, or -1. */
int dl_group_spec_find(const dl_group_spec *spec, dl_dim dim);

/* A deep copy into DST (initialised). */
int dl_group_spec_copy(dl_group_spec *dst, const dl_group_spec *src, dl_error *err) DL_MUST_CHECK;

#endif
