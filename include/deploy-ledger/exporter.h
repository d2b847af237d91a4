/* The OTLP/HTTP exporter: POST to /v1/traces through the library's one
 * HTTP client (http-options.h: retries, Retry-After, deadline, http and
 * https only), and the spool in the ledger so that no deployment span is
 * lost.
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

typedef struct dl_text_pair {
  char *name;
  char *value;
} dl_text_pair;

/* A header's value is a secret: never printed, never stored. */
typedef dl_text_pair dl_header_pair;

/* Settings, as every OpenTelemetry SDK reads them.  Strings and arrays
   are owned by the config (dl_exporter_config_clear frees them); fill it
   with dl_exporter_config_init or _from_env, then dl_exporter_config_set. */
typedef struct dl_exporter_config {
  char *endpoint;            /* the full URL of the traces endpoint, http:// or https:// */
  dl_otlp_protocol protocol; /* http/protobuf (default) or http/json */
  dl_header_pair *headers;
  size_t n_headers;
  long timeout_ms;           /* per request; default 10000 */
  int gzip;                  /* compression gzip (default none) */
  char *certificate;         /* CA bundle for TLS */
  char *client_certificate;
  char *client_key;
  long deadline_ms;          /* all retries of one send; default 30000 */
  long initial_backoff_ms;   /* default 500 */
  long max_backoff_ms;       /* default 8000 */
  dl_text_pair *resource;    /* added to every exported resource, unless the */
  size_t n_resource;         /* request has the key (service.name, ...) */
} dl_exporter_config;

/* The defaults: http://localhost:4318/v1/traces, http/protobuf, no
   compression, timeout 10 s, deadline 30 s, backoff 500 ms to 8 s. */
int dl_exporter_config_init(dl_exporter_config *config, dl_error *err) DL_MUST_CHECK;

/* Sets KEY to VALUE (text, as the environment gives it), parsed the same
   way whichever way it came; an unknown key or a value out of its domain
   is DL_EINVAL naming the setting and the value (never a header's value)
   and the valid ones.  The keys (the keywords of make-otlp-exporter):
     endpoint            the traces URL, used as is (http:// or https:// only)
     protocol            http/protobuf or http/json
     headers             k=v,... percent-decoded, added (replacing a header of
                         the same name)
     timeout, deadline, backoff, max-backoff   milliseconds
     compression         gzip or none
     certificate, client-certificate, client-key   readable files
     resource-attributes k=v,... percent-decoded, added (replacing the same key)
     service-name        the resource's service.name (wins over
                         resource-attributes' one) */
int dl_exporter_config_set(dl_exporter_config *config, const char *key, const char *value,
                           dl_error *err) DL_MUST_CHECK;

/* One header or resource attribute, already decoded (as a Scheme alist
   gives them); the same checks as through dl_exporter_config_set. */
int dl_exporter_config_add_header(dl_exporter_config *config, const char *name,
                                  const char *value, dl_error *err) DL_MUST_CHECK;
int dl_exporter_config_add_resource(dl_exporter_config *config, const char *key,
                                    const char *value, dl_error *err) DL_MUST_CHECK;

/* The defaults, then the environment through dl_exporter_config_set:
   OTEL_EXPORTER_OTLP_TRACES_ENDPOINT used as is, else
   OTEL_EXPORTER_OTLP_ENDPOINT with /v1/traces appended; PROTOCOL,
   TIMEOUT, COMPRESSION, CERTIFICATE, CLIENT_CERTIFICATE, CLIENT_KEY, each
   OTEL_EXPORTER_OTLP_TRACES_X before OTEL_EXPORTER_OTLP_X; HEADERS, then
   TRACES_HEADERS over them; OTEL_RESOURCE_ATTRIBUTES; OTEL_SERVICE_NAME.
   Errors are prefixed with the variable's name.  *CONFIGURED is nonzero
   when an endpoint variable was set.  On failure CONFIG is cleared. */
int dl_exporter_config_from_env(dl_exporter_config *config, int *configured,
                                dl_error *err) DL_MUST_CHECK;

/* Nonzero when the environment names an endpoint (either variable). */
int dl_exporter_endpoint_configured(void);

/* A deep copy of SRC into DST; DL_EINVAL for a header or resource
   attribute without a name (a struct filled by hand). */
int dl_exporter_config_copy(dl_exporter_config *dst, const dl_exporter_config *src,
                            dl_error *err) DL_MUST_CHECK;
void dl_exporter_config_clear(dl_exporter_config *config);

typedef struct dl_exporter dl_exporter;

/* A new exporter; the config is copied (numbers left at zero take their
   defaults) and checked: an endpoint that is not http:// or https:// is
   DL_EINVAL, and so is a header dl_exporter_config_add_header would
   refuse. */
int dl_exporter_new(const dl_exporter_config *config, dl_exporter **out,
                    dl_error *err) DL_MUST_CHECK;
void dl_exporter_free(dl_exporter *exporter);

/* The configuration in words: the endpoint without user information,
   header values shown as <redacted>.  Malloc'ed; NULL on OOM. */
char *dl_exporter_describe(const dl_exporter *exporter);

/* Encodes REQ in the exporter's protocol, each resource completed with
   the configured resource attributes it lacks: a new buffer and its
   content type (a constant). */
int dl_exporter_encode(const dl_exporter *exporter, const dl_export_request *req,
                       uint8_t **body, size_t *len, const char **content_type,
                       dl_error *err) DL_MUST_CHECK;

/* The largest collector answer read; the rest of a longer one is
   dropped (the export still counts as accepted). */
#define DL_EXPORTER_MAX_RESPONSE 65536

typedef struct dl_send_result {
  int http_status;     /* of the last attempt; 0: no answer */
  int attempts;
  int permanent;       /* a failure that retrying cannot fix */
  long rejected_spans; /* partial success */
  long retry_after_ms; /* what the collector's last Retry-After asked; -1: none */
  char message[256];   /* partial success's message, or the failure (URLs
                          without user information) */
  char body[512];      /* the start of the last response body, printable */
} dl_send_result;

/* POSTs BODY, retrying 429, 502, 503, 504 and dropped connections with
   exponential backoff and jitter (honouring Retry-After) until the
   deadline.  DL_OK when the collector accepted it (partial success,
   read from its protobuf or JSON answer, is reported in RESULT);
   DL_EHTTP otherwise. */
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
   temporary failures rescheduled with backoff (or when the collector's
   Retry-After asked, if later), permanent ones dead-lettered. */
int dl_exporter_flush(dl_exporter *exporter, dl_ledger *ledger, const char *deployment_id,
                      int force, dl_flush_stats *stats, dl_error *err) DL_MUST_CHECK;

#endif
