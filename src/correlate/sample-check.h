/* Whether a correlation had enough requests to judge (internal to
 * correlate.c).  Too few requests on either side -- a version typo, a
 * trace file that does not cover the deployment, a canary that took no
 * traffic -- make the verdict inconclusive, not a failure, and the
 * reason says what was missing and what the traces did hold, so that a
 * person can fix the command rather than roll back a good deployment. */
#ifndef DL_SAMPLE_CHECK_H
#define DL_SAMPLE_CHECK_H

#include <stdint.h>

#include "deploy-ledger/correlate.h"

/* Checks the CONTROL and EXPERIMENT request counts of correlation C (its
   judge result already scored) against MIN_REQUESTS each, and makes the
   verdict inconclusive with a reason when either falls short.  AROUND is
   every request of the service in the compared windows (any version);
   SET the trace set, for the versions and services it holds. */
void dl_sample_check(const dl_trace_set *set, dl_correlation *c, uint64_t around,
                     uint64_t control, uint64_t experiment, uint64_t min_requests);

#endif
