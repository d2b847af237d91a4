/* The one HTTP client of libdeployledger (internal), on libcurl: the
   trace sources GET through it and the OTLP exporter POSTs through it,
   with one policy (include/deploy-ledger/http-options.h, net/retry.h):
   http and https only, one user agent, the same retries, Retry-After and
   deadline, no redirects with credentials, and URLs shown without their
   user information.  A client is used by one thread at a time. */
#ifndef DL_HTTP_H
#define DL_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "deploy-ledger/error.h"
#include "deploy-ledger/http-options.h"
#include "net/url.h"

/* Every request says who sends it, with configure's version. */
#define DL_HTTP_USER_AGENT "deploy-ledger/" PACKAGE_VERSION

typedef struct dl_http dl_http;

typedef struct dl_http_response {
  long status;            /* of the last attempt; 0: no HTTP answer */
  char *body;             /* malloc'ed, NUL-terminated; NULL when none came */
  size_t len;
  int truncated;          /* the body was cut at max_bytes */
  char content_type[96];
  int attempts;
  int permanent;          /* a failure another attempt cannot fix */
  int64_t retry_after_ms; /* what the last Retry-After asked for; -1: none */
} dl_http_response;

typedef struct dl_http_request {
  const char *method;           /* "GET" (when NULL) or "POST" */
  const char *url;
  const char *accept;           /* the Accept header, or NULL */
  const char *content_type;     /* POST: the body's type */
  const char *content_encoding; /* POST: "gzip" for a compressed body, or NULL */
  const void *body;             /* POST: LEN bytes, borrowed */
  size_t len;
  int not_found_ok;             /* a 404 is an answer, not a failure */
  int truncate_body;            /* a body over max_bytes is cut there (and
                                   `truncated' set) instead of failing */
  size_t max_bytes;             /* this request's largest body, when smaller
                                   than the client's (0: the client's) */
  const char *max_bytes_why;    /* what that smaller limit is for, named in
                                   the error ("a list of services") */
  int single_attempt;           /* one attempt, whatever the client's retries:
                                   no pause, no Retry-After wait */
  long deadline_ms;             /* a shorter deadline for this request (0 or
                                   more than the client's: the client's) */
  /* For protocols on top of HTTP (gRPC): */
  int http2;                    /* HTTP/2: prior knowledge for http://, ALPN for https:// */
  const char *const *headers;   /* more "Name: value" lines, not secret; NULL-terminated */
  const char *timeout_header;   /* a header carrying each attempt's timeout as gRPC
                                   writes it ("2500m"), or NULL */
  void *ctx;                    /* for the two callbacks */
  /* Each header line of each answer as it comes, the status line
     ("HTTP/2 200") and the trailers after the body included. */
  void (*on_header)(void *ctx, const char *line, size_t len);
  /* Judges an answer that came, instead of its HTTP status: one of
     DL_HTTP_ACCEPT, DL_HTTP_RETRY (after RESP->retry_after_ms when it
     sets it) or DL_HTTP_REFUSE, with WHY (SIZE bytes) saying why when it
     is not accepted. */
  int (*judge)(void *ctx, dl_http_response *resp, char *why, size_t size);
} dl_http_request;

enum { DL_HTTP_ACCEPT, DL_HTTP_RETRY, DL_HTTP_REFUSE };

/* A client with options OPT (NULL: defaults); DEFAULT_PREFIX names the
   credential variables when OPT->credentials does not (NULL: none).
   Free with dl_http_free. */
dl_http *dl_http_new(const dl_http_options *opt, const char *default_prefix, dl_error *err);
void dl_http_free(dl_http *h);

/* A header sent with every request, its value treated as a secret (an
   API key): wiped when freed, never in a message, and redirects are no
   longer followed.  NAME and VALUE must pass dl_http_header_check. */
int dl_http_add_header(dl_http *h, const char *name, const char *value,
                       dl_error *err) DL_MUST_CHECK;

/* DL_OK when NAME is an HTTP field name (letters, digits and
   !#$%&'*+-.^_`|~) and VALUE holds no control character but tab (so no
   header can smuggle another in); else DL_EINVAL naming the header,
   never showing its value. */
int dl_http_header_check(const char *name, const char *value, dl_error *err) DL_MUST_CHECK;

/* Requests and retries made so far. */
size_t dl_http_requests(const dl_http *h);
size_t dl_http_retries(const dl_http *h);

/* Performs REQ, retrying as the policy says.  DL_OK for a 2xx (or a 404
   with not_found_ok); otherwise DL_EHTTP (a status, or a network
   failure, the low-speed limit, or the client's total deadline spent),
   DL_ERANGE (a body over max_bytes) or DL_EINVAL (not an http or https
   URL), with a message naming the method and the redacted URL, the
   status and the start of the body as printable text, and for a limit
   the option that raises it.  RESP is
   filled in every case, the last body included: clear it with
   dl_http_response_clear after each call. */
int dl_http_perform(dl_http *h, const dl_http_request *req, dl_http_response *resp,
                    dl_error *err) DL_MUST_CHECK;

/* A GET of URL with ACCEPT (NULL: application/json); a 404 is an
   answer.  On failure RESP is left cleared. */
int dl_http_get(dl_http *h, const char *url, const char *accept, dl_http_response *resp,
                dl_error *err) DL_MUST_CHECK;

void dl_http_response_clear(dl_http_response *resp);

#endif
