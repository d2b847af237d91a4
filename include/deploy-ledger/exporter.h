/* The OTLP/HTTP exporter: POST to /v1/traces with libcurl, retries with
 * backoff, and the spool in the ledger so that no deployment span is lost.
 *
 * Delivery is at least once: a request the collector accepted but whose
 * answer was lost is sent again. */
#ifndef DL_EXPORTER_H
#define DL_EXPORTER_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "ledger.h"
#include "span.h"

typedef enum dl_otlp_protocol { DL_PROTOCOL_PROTOBUF, DL_PROTOCOL_JSON } dl_otlp_protocol;

typedef struct dl_header_pair {
  char *name;
  char *value; /* a secret: never printed, never stored */
} dl_header_pair;

/* Settings, as every OpenTelemetry SDK reads them.  Strings are owned by
   the config (dl_exporter_config_clear frees them). */
typedef struct dl_exporter_config {
  char *endpoint;            /* the full URL of the traces endpoint */
  dl_otlp_protocol protocol; /* http/protobuf (default) or http/json */
  dl_header_pair *headers;
  size_t n_headers;
  long timeout_ms;           /* per request; default 10000 */
  int gzip;                  /* OTEL_EXPORTER_OTLP_COMPRESSION=gzip */
  char *certificate;         /* CA bundle for TLS */
  char *client_certificate;
  char *client_key;
  long deadline_ms;          /* all retries of one send; default 30000 */
  long initial_backoff_ms;   /* default 500 */
  long max_backoff_ms;       /* default 8000 */
  char *resource_attributes; /* OTEL_RESOURCE_ATTRIBUTES, undecoded */
} dl_exporter_config;

/* Defaults and the OTEL_EXPORTER_OTLP_* variables: TRACES_ENDPOINT used as
   is, else ENDPOINT with /v1/traces appended, else
   http://localhost:4318/v1/traces; HEADERS (percent-decoded), TIMEOUT,
   COMPRESSION, PROTOCOL, CERTIFICATE, CLIENT_CERTIFICATE, CLIENT_KEY, each
   with its TRACES_ variant first; OTEL_RESOURCE_ATTRIBUTES.  *CONFIGURED
   is nonzero when an endpoint variable was set. */
int dl_exporter_config_from_env(dl_exporter_config *config, int *configured,
                                dl_error *err) DL_MUST_CHECK;
void dl_exporter_config_clear(dl_exporter_config *config);

/* Parses "k1=v1,k2=v2" (percent-decoded) into CONFIG's headers. */
int dl_exporter_config_set_headers(dl_exporter_config *config, const char *text,
                                   dl_error *err) DL_MUST_CHECK;

typedef struct dl_exporter dl_exporter;

/* A new exporter; the config is copied. */
int dl_exporter_new(const dl_exporter_config *config, dl_exporter **out,
                    dl_error *err) DL_MUST_CHECK;
void dl_exporter_free(dl_exporter *exporter);

/* The configuration in words, header values shown as <redacted>. */
char *dl_exporter_describe(const dl_exporter *exporter);

/* Encodes REQ in the exporter's protocol: a new buffer and its content
   type (a constant). */
int dl_exporter_encode(const dl_exporter *exporter, const dl_export_request *req,
                       uint8_t **body, size_t *len, const char **content_type,
                       dl_error *err) DL_MUST_CHECK;

typedef struct dl_send_result {
  int http_status;     /* of the last attempt; 0: no answer */
  int attempts;
  int permanent;       /* a failure that retrying cannot fix */
  long rejected_spans; /* partial success */
  char message[256];   /* partial success's message, or the failure */
  char body[512];      /* the start of the last response body */
} dl_send_result;

/* POSTs BODY, retrying 429, 502, 503, 504 and dropped connections with
   exponential backoff and jitter (honouring Retry-After) until the
   deadline.  DL_OK when the collector accepted it (partial success is
   reported in RESULT); DL_EHTTP otherwise. */
int dl_exporter_send(dl_exporter *exporter, const void *body, size_t len,
                     const char *content_type, dl_send_result *result, dl_error *err);

typedef struct dl_flush_stats {
  long sent;           /* items the collector accepted */
  long spans;          /* spans in them */
  long rejected_spans; /* partial success */
  long retry_later;    /* items left for another flush */
  long dead_lettered;  /* items moved to the dead letters */
} dl_flush_stats;

/* Sends the items of LEDGER's spool that are due (all of them with
   FORCE; only DEPLOYMENT_ID's when not NULL): accepted ones are deleted,
   temporary failures rescheduled with backoff, permanent ones
   dead-lettered. */
int dl_exporter_flush(dl_exporter *exporter, dl_ledger *ledger, const char *deployment_id,
                      int force, dl_flush_stats *stats, dl_error *err) DL_MUST_CHECK;

#endif
