/* What a collector answers to an accepted export (internal): the
   partial_success of an ExportTraceServiceResponse, in protobuf or in
   JSON. */
#ifndef DL_EXPORTER_RESPONSE_H
#define DL_EXPORTER_RESPONSE_H

#include <stddef.h>

#include "deploy-ledger/error.h"

typedef struct dl_partial_success {
  long rejected_spans; /* 0 when the answer says nothing */
  char message[256];   /* error_message as printable text, "" when none */
} dl_partial_success;

/* Reads BODY (LEN bytes, any content: it comes from the network) as
   protobuf, or as JSON when JSON is nonzero: partial_success (field 1)
   with rejected_spans (1, int64) and error_message (2); in JSON
   "partialSuccess" with "rejectedSpans" (a number or a decimal string)
   and "errorMessage" (the proto names are accepted too).  Other fields
   are skipped; an empty body says nothing.  DL_EPARSE naming the place
   when the body does not decode or rejected_spans is negative, with OUT
   holding what was read before. */
int dl_partial_success_parse(const void *body, size_t len, int json, dl_partial_success *out,
                             dl_error *err) DL_MUST_CHECK;

#endif
