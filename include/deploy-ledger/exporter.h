/* The OTLP exporter: OTLP/HTTP (POST to /v1/traces) or OTLP/gRPC (the
 * unary TraceService/Export over HTTP/2) through the library's one HTTP
 * client (http-options.h: retries, Retry-After, deadline, http and https
 * only), and the spool in the ledger so that no deployment span is
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

typedef enum dl_otlp_protocol {
  DL_PROTOCOL_PROTOBUF, /* http/protobuf */
  DL_PROTOCOL_JSON,     /* http/json */
  DL_PROTOCOL_GRPC      /* grpc: protobuf in gRPC frames over HTTP/2 */
} dl_otlp_protocol;

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
  char *endpoint;            /* the full URL of the traces endpoint, http:// or https://
                                (gRPC: only its scheme, host and port count) */
  dl_otlp_protocol protocol; /* http/protobuf (default), http/json or grpc */
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
     endpoint            the traces URL, used as is (http:// or https:// only;
                         for grpc, its path is not used)
     protocol            http/protobuf, http/json or grpc (the endpoint, while
                         still the default, becomes http://localhost:4317)
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
   OTEL_EXPORTER_OTLP_ENDPOINT with /v1/traces appended (for grpc, as
   is); PROTOCOL,
   TIMEOUT, COMPRESSION, CERTIFICATE, CLIENT_CERTIFICATE, CLIENT_KEY, each
   OTEL_EXPORTER_OTLP_TRACES_X before OTEL_EXPORTER_OTLP_X; HEADERS, then
   TRACES_HEADERS over them; OTEL_RESOURCE_ATTRIBUTES; OTEL_SERVICE_NAME.
   Errors are prefixed with the variable's name.  *CONFIGURED is nonzero
   when an endpoint variable was set.  On failure CONFIG is cleared. */
int dl_exporter_config_from_env(dl_exporter_config *config, int *configured,
                                dl_error *err) DL_MUST_CHECK;

/* The most problems dl_exporter_config_from_env_lenient reports. */
#define DL_EXPORTER_MAX_PROBLEMS 8

/* As dl_exporter_config_from_env, but a variable whose value cannot be
   used is left out (its setting keeps its default, or what the other
   variables gave) instead of failing: each is reported in PROBLEMS (up
   to MAX, the message naming the variable and its value, never a
   header's value) and counted in *N_PROBLEMS.  For the deploy path,
   which must record a deployment whatever the environment says: the
   caller then encodes with CONFIG but sends nothing.  Fails only for
   lack of memory. */
int dl_exporter_config_from_env_lenient(dl_exporter_config *config, int *configured,
                                        dl_error *problems, size_t max, size_t *n_problems,
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

/* The most of a refusal's answer a dead letter keeps, escaped. */
#define DL_EXPORTER_MAX_DEAD_BODY 4096

/* DATA (LEN bytes, anything a collector sent) as text that says exactly
   which bytes came, safe to print, store and hand to Scheme: valid
   printable UTF-8 as is, backslash as \\, newline, carriage return and
   tab as \n, \r, \t, every other byte as \xHH; cut at SIZE - 1 bytes
   (OUT always NUL-terminated), ending with "..." when cut. */
void dl_exporter_escape_body(char *out, size_t size, const void *data, size_t len);

typedef struct dl_send_result {
  int http_status;     /* of the last attempt; 0: no answer */
  int grpc_status;     /* of the last attempt over gRPC; -1: none */
  int attempts;
  int permanent;       /* a failure that retrying cannot fix */
  long rejected_spans; /* partial success */
  long retry_after_ms; /* what the collector last asked to wait
                          (Retry-After, gRPC RetryInfo); -1: nothing */
  char message[256];   /* partial success's message, or the failure (URLs
                          without user information) */
  char body[DL_EXPORTER_MAX_DEAD_BODY]; /* the last response body, escaped */
} dl_send_result;

/* How hard one send or flush tries. */
typedef struct dl_send_limits {
  int once;         /* one attempt: no retry, no pause, no Retry-After
                       wait (the deploy path) */
  long deadline_ms; /* all of it (0: the exporter's deadline for each send,
                       and no bound on a flush) */
} dl_send_limits;

/* Sends BODY (encoded as CONTENT_TYPE says) in the exporter's protocol:
   over HTTP retrying 429, 502, 503, 504 and dropped connections, over
   gRPC the retryable statuses (UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED,
   OUT_OF_RANGE, DATA_LOSS, RESOURCE_EXHAUSTED with retry information),
   with exponential backoff and jitter, honouring what the collector asks
   to wait, until the deadline; LIMITS (NULL: none) may ask for less.
   DL_OK when the collector accepted it (partial success, read from its
   answer, is reported in RESULT); DL_EHTTP otherwise, and DL_EINVAL for
   a body the protocol cannot carry (JSON over gRPC). */
int dl_exporter_send(dl_exporter *exporter, const void *body, size_t len,
                     const char *content_type, const dl_send_limits *limits,
                     dl_send_result *result, dl_error *err);

typedef struct dl_flush_stats {
  long sent;           /* items the collector accepted */
  long spans;          /* spans in them */
  long rejected_spans; /* partial success */
  long retry_later;    /* items tried and left for another flush */
  long untried;        /* items not tried: the deadline came, or the
                          collector had just failed */
  long dead_lettered;  /* items moved to the dead letters */
  char last_failure[256]; /* why the last item not accepted was not */
} dl_flush_stats;

/* Sends the items of LEDGER's spool that are due (all of them with
   FORCE; only DEPLOYMENT_ID's when not NULL), oldest first: accepted
   ones are deleted, temporary failures rescheduled with backoff (or when
   the collector asked, if later), permanent ones dead-lettered.  The
   first temporary failure (after the retries the limits allow) ends the
   flush: the collector is down or slow, and the next items would only
   wait as long.  With LIMITS->once the whole flush is bounded by the
   exporter's timeout;
   with LIMITS->deadline_ms, no send runs past it and the items not
   reached stay as they were. */
int dl_exporter_flush(dl_exporter *exporter, dl_ledger *ledger, const char *deployment_id,
                      int force, const dl_send_limits *limits, dl_flush_stats *stats,
                      dl_error *err) DL_MUST_CHECK;

#endif
