/* OTLP/gRPC (internal): what the exporter needs to call the unary
   opentelemetry.proto.collector.trace.v1.TraceService/Export over the
   library's HTTP client: the method's URL, the 5-byte message framing,
   and reading the answer's grpc-status, grpc-message and retry
   information, headers or trailers alike. */
#ifndef DL_OTLP_GRPC_H
#define DL_OTLP_GRPC_H

#include <stddef.h>
#include <stdint.h>

#include "deploy-ledger/error.h"
#include "net/http.h"

#define DL_GRPC_EXPORT_PATH "/opentelemetry.proto.collector.trace.v1.TraceService/Export"

/* The status codes the exporter names (grpc/doc/statuscodes.md). */
enum {
  DL_GRPC_OK = 0,
  DL_GRPC_UNKNOWN = 2,
  DL_GRPC_INVALID_ARGUMENT = 3,
  DL_GRPC_DEADLINE_EXCEEDED = 4,
  DL_GRPC_RESOURCE_EXHAUSTED = 8,
  DL_GRPC_ABORTED = 10,
  DL_GRPC_OUT_OF_RANGE = 11,
  DL_GRPC_UNIMPLEMENTED = 12,
  DL_GRPC_INTERNAL = 13,
  DL_GRPC_UNAVAILABLE = 14,
  DL_GRPC_DATA_LOSS = 15,
  DL_GRPC_UNAUTHENTICATED = 16
};

/* The URL of the Export method on ENDPOINT's scheme, host and port (its
   path and query are not used: gRPC names the method in the path).
   Malloc'ed; NULL when out of memory. */
char *dl_grpc_url(const char *endpoint);

/* MSG (LEN bytes) as one gRPC message: a flag byte (1: COMPRESSED) and
   the length in 4 big-endian bytes, then the bytes.  A new buffer in
   *OUT; DL_ERANGE past 4 GiB. */
int dl_grpc_frame(const void *msg, size_t len, int compressed, uint8_t **out, size_t *out_len,
                  dl_error *err) DL_MUST_CHECK;

/* The one message of a unary answer's BODY, inflated when its flag says
   so and GZIP (the answer's grpc-encoding) allows: a new buffer (NULL
   and 0 for an empty body).  DL_EPARSE for a truncated frame, trailing
   bytes or a compressed message in an encoding other than gzip. */
int dl_grpc_unframe(const void *body, size_t len, int gzip, size_t max, uint8_t **msg,
                    size_t *msg_len, dl_error *err) DL_MUST_CHECK;

/* What a gRPC answer said, gathered from its header lines (trailers
   included) by dl_grpc_header. */
typedef struct dl_grpc_answer {
  int status;             /* grpc-status; -1: none came */
  char message[256];      /* grpc-message, percent-decoded, printable */
  int64_t retry_delay_ms; /* RetryInfo in grpc-status-details-bin; -1: none */
  int gzip;               /* the answer's grpc-encoding is gzip */
} dl_grpc_answer;

void dl_grpc_answer_reset(dl_grpc_answer *a);

/* dl_http_request.on_header for gRPC: CTX is a dl_grpc_answer, reset
   by each status line (a new answer). */
void dl_grpc_header(void *ctx, const char *line, size_t len);

/* dl_http_request.judge for gRPC (CTX a dl_grpc_answer): OK accepts;
   the statuses the OTLP specification calls retryable retry (after the
   collector's RetryInfo delay, when it gave one); every other status,
   and an answer without grpc-status, is refused.  An HTTP status other
   than 200 without a grpc-status is read as gRPC maps it (429, 502, 503,
   504: UNAVAILABLE; 401: UNAUTHENTICATED; ...). */
int dl_grpc_judge(void *ctx, dl_http_response *resp, char *why, size_t size);

/* Nonzero when STATUS is worth another attempt: UNAVAILABLE,
   DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, DATA_LOSS, and
   RESOURCE_EXHAUSTED only when the server said when to retry
   (HAS_RETRY_INFO), as the OTLP specification lists them. */
int dl_grpc_retryable(int status, int has_retry_info);

/* "UNAVAILABLE", ...; "status N" past the known codes (a static buffer
   is not used: BUF of SIZE bytes holds it). */
const char *dl_grpc_status_name(int status, char *buf, size_t size);

/* The gRPC status an HTTP status other than 200 stands for, as gRPC's
   http-grpc-status-mapping gives it. */
int dl_grpc_status_of_http(long http_status);

#endif
