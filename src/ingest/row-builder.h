/* The span builder: what every decoder shares (internal, not installed).
 *
 * A decoder reports a resource's attributes, then each span's fields and
 * attributes, then ends the span; the builder picks out the attributes
 * the trace set stores (service.name, service.version, cloud.region,
 * deployment.environment(.name), HTTP status and route, exception.type,
 * kept keys), decides the error flag and error type, interns the strings
 * and appends the row.  Nothing else of an attribute is copied.
 *
 * The error flag: OTLP status ERROR, or a SERVER span whose
 * http.response.status_code (or the older http.status_code) is >= 500,
 * or a mesh proxy's span with Envoy response flags (UF, UH, NR, ...).
 * The error type of an error span: exception.type of an exception event,
 * else the status message, else "response flags <flags>", else
 * "HTTP <code> <http.route>".
 *
 * Spans of a service mesh's proxies (Envoy under Istio, Linkerd's proxy)
 * carry the proxy's own service name; the mesh's attributes name the
 * service and version the request went to (istio.canonical_service and
 * istio.canonical_revision; Linkerd's pod labels app.kubernetes.io/name or
 * app, else linkerd.io/proxy-deployment, and app.kubernetes.io/version)
 * and win over the resource's, so that the
 * correlation sees them as any other service's spans (one table,
 * mesh_keys in row-builder.c). */
#ifndef DL_SPANBUILD_H
#define DL_SPANBUILD_H

#include <stddef.h>
#include <stdint.h>

#include "deploy-ledger/ingest.h"
#include "deploy-ledger/trace-set.h"

/* A decoded attribute value. */
enum {
  DL_VAL_NONE = 0, /* absent, null, or a type the store does not keep */
  DL_VAL_STRING,
  DL_VAL_BOOL,
  DL_VAL_INT,
  DL_VAL_DOUBLE,
  DL_VAL_BYTES /* text holds the bytes' base64 or hex as the input gave it */
};

typedef struct dl_attr_value {
  int type;
  dl_str text; /* STRING and BYTES */
  int64_t i;   /* INT, BOOL (0/1) */
  double d;    /* DOUBLE */
} dl_attr_value;

/* Where an attribute was found. */
enum { DL_AT_RESOURCE = 0, DL_AT_SPAN = 1, DL_AT_EVENT = 2 };

#define DL_SB_MAX_KEPT 64
#define DL_SB_ROUTE_MAX 200

typedef struct dl_row_builder {
  dl_trace_set *set;
  size_t n_kept;
  dl_str kept_keys[DL_SB_MAX_KEPT];

  /* Resource level: string ids. */
  uint32_t res_service, res_version, res_region, res_env;
  uint32_t res_kept[DL_SB_MAX_KEPT];

  /* The span being built. */
  dl_span_ids row;
  uint32_t version, region, env; /* span-level overrides */
  uint32_t kept[DL_SB_MAX_KEPT];
  int has_kept;
  int status_code;       /* OTLP: 0 unset, 1 ok, 2 error */
  int error_tag;         /* Jaeger: error=true */
  int64_t http_status;   /* 0 when absent */
  uint32_t status_message, exception_type;
  uint32_t error_attr; /* the span's error.type (OpenTelemetry) or error.kind (OpenTracing) */
  /* The mesh's attributes, span-level and resource-level: the best
     (lowest-ranked) service and version seen, and whether a key that
     marks a mesh proxy was there. */
  uint32_t mesh_service, mesh_version, res_mesh_service, res_mesh_version;
  uint8_t mesh_service_rank, mesh_version_rank, res_mesh_service_rank, res_mesh_version_rank;
  uint8_t mesh_marked, res_mesh_marked;
  uint32_t response_flags;  /* Envoy's, when not "-" */
  size_t route_len;
  char route[DL_SB_ROUTE_MAX];

  /* Recently interned strings by a hash of their length and ends: span
     names and attribute values repeat from span to span, so most
     lookups end here without hashing the whole string. */
  uint32_t origin_cache[4][5]; /* (service, version, region, env) -> origin */
  unsigned origin_next;
  uint32_t recent_id[64];
  uint32_t recent_len[64];
  const char *recent_str[64]; /* interned strings never move */

  size_t added;   /* rows appended since dl_rb_init */
  size_t skipped; /* spans dropped (lenient) */
} dl_row_builder;

/* Prepares B to append to SET (its kept keys are read now). */
void dl_rb_init(dl_row_builder *b, dl_trace_set *set);

/* Forgets the resource (a new ResourceSpans or Jaeger process). */
void dl_rb_resource_begin(dl_row_builder *b);

/* Sets the resource's service name directly (Jaeger's serviceName). */
int dl_rb_resource_service(dl_row_builder *b, const char *s, size_t len);

/* Starts a span: clears the row and the span-level attributes. */
void dl_rb_span_begin(dl_row_builder *b);

/* Nonzero when an attribute KEY at level AT matters to the store (a
   decoder may skip the value of any other without decoding it). */
int dl_rb_wants(const dl_row_builder *b, int at, const char *key, size_t key_len);

/* An attribute at level AT.  Returns 0, or -1 when out of memory. */
int dl_rb_attr(dl_row_builder *b, int at, const char *key, size_t key_len, const dl_attr_value *v);

/* The span name and the status message (strings interned). */
int dl_rb_name(dl_row_builder *b, const char *s, size_t len);
int dl_rb_status_message(dl_row_builder *b, const char *s, size_t len);

/* Appends the span; DL_OK or an error code (out of memory). */
int dl_rb_span_end(dl_row_builder *b, dl_error *err);

/* Ids from text: 2*N hex digits in either case, or fewer when SHORT_OK
   (Jaeger drops leading zeros; the value is right-aligned), or base64 of
   N bytes (the protobuf JSON mapping); "" gives all zero.  0 or -1. */
int dl_id_from_text(const char *s, size_t len, uint8_t *out, size_t n, int short_ok);

/* The text of V for storing (ints in decimal, bools true/false); BUF holds
   at least 32 bytes for numbers. */
dl_str dl_attr_value_text(const dl_attr_value *v, char *buf);

#endif
