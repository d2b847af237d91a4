/* A correlation as JSON (jansson): every figure behind the verdict, for
 * the command's --json and for the Scheme binding.  Keys are lowercase
 * and hyphenated ("error-rate", "first-seen"); latencies and times are
 * nanoseconds; a figure that does not exist (a percentile of nothing, a
 * region never reached) is null. */
#ifndef DL_CORRELATION_JSON_H
#define DL_CORRELATION_JSON_H

#include <jansson.h>

#include "correlate.h"
#include "metrics.h"

/* A new reference (NULL when out of memory). */
json_t *dl_correlation_json(const dl_correlation *c);

/* The cells of M as an array of objects (window, group, figures). */
json_t *dl_metrics_json(const dl_metrics *m);

#endif
