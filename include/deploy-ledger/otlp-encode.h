/* OTLP encoders: protobuf (hand-written, no generated code) and OTLP/JSON. */
#ifndef DL_OTLP_ENCODE_H
#define DL_OTLP_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "span.h"

/* A reusable protobuf encoder: it keeps its scratch space and output
   buffer between calls, so encoding many requests allocates nothing. */
typedef struct dl_otlp_encoder dl_otlp_encoder;

dl_otlp_encoder *dl_otlp_encoder_new(void);
void dl_otlp_encoder_free(dl_otlp_encoder *enc);

/* Encodes REQ as an ExportTraceServiceRequest.  *OUT points into ENC's
   buffer (borrowed: valid until the next call or the free).  The bytes are
   those protobuf-c packs for the same message: fields in number order,
   proto3 defaults left out, oneof members always written. */
int dl_otlp_encode(dl_otlp_encoder *enc, const dl_export_request *req, const uint8_t **out,
                 size_t *len, dl_error *err) DL_MUST_CHECK;

/* The same into a new buffer owned by the caller (free it). */
int dl_otlp_encode_protobuf(const dl_export_request *req, uint8_t **out, size_t *len,
                            dl_error *err) DL_MUST_CHECK;

/* Encodes REQ as OTLP/JSON: lowerCamelCase keys, ids as lower-case hex,
   enums as integers, 64-bit integers as decimal strings, bytes as base64,
   default values left out.  *OUT is a new NUL-terminated string. */
int dl_otlp_encode_json(const dl_export_request *req, char **out, size_t *len,
                        dl_error *err) DL_MUST_CHECK;

#endif
