/* The bodies of the receiver's answers, in the request's encoding:
   google.rpc.Status for errors, ExportTraceServiceResponse (with its
   partial_success when spans were refused) for 200. */
#ifndef DL_RECEIVER_ANSWER_H
#define DL_RECEIVER_ANSWER_H

#include <stdint.h>

#include "deploy-ledger/receiver.h"

/* The media types of OTLP/HTTP. */
#define DL_OTLP_PROTOBUF_TYPE "application/x-protobuf"
#define DL_OTLP_JSON_TYPE "application/json"

/* Fills ANSWER with STATUS and a Status body (gRPC code RPC_CODE, the
   text MESSAGE), JSON when JSON is nonzero, protobuf otherwise.  Out of
   memory leaves the body empty: the status still says what happened. */
void dl_answer_status(dl_receiver_answer *answer, int status, int rpc_code, const char *message,
                      int json);

/* Fills ANSWER with 200 and an ExportTraceServiceResponse: empty when
   REJECTED is 0, else a partial_success of REJECTED spans and MESSAGE. */
void dl_answer_success(dl_receiver_answer *answer, uint64_t rejected, const char *message,
                       int json);

#endif
