/* The HTTP client on libcurl: one handle per client, the request loop
   with retries and deadline, credentials from the environment or secret
   headers (held only in curl's options and wiped lists, never in a
   message). */
#include "net/http.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "deploy-ledger/time.h"
#include "net/excerpt.h"
#include "net/retry.h"

struct dl_http {
  CURL *curl;
  struct curl_slist *headers; /* sent with every request: Authorization, secret headers */
  dl_http_options opt;
  size_t requests, retries;
  int credentials; /* something secret is sent: redirects are not followed */
  int64_t total_end; /* monotonic ms by which every request ends (opt.total_ms), or 0 */
};

/* Milliseconds on a clock that never jumps, for deadlines. */
static int64_t
monotonic_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
dl_http_options_init(dl_http_options *o)
{
  memset(o, 0, sizeof *o);
  o->timeout_ms = 30000;
  o->connect_timeout_ms = 5000;
  o->retries = 3;
  o->backoff_ms = 250;
  o->max_backoff_ms = 30000;
  o->deadline_ms = 120000;
  o->low_speed_bytes = 16;
  o->low_speed_s = 15;
  o->credentials = NULL;
  o->max_bytes = (size_t) 1 << 30;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_ready;

static void
init_curl(void)
{
  curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

/* Frees a header list after wiping its strings: they may hold secrets. */
static void
wipe_list(struct curl_slist *l)
{
  for (struct curl_slist *p = l; p; p = p->next)
    memset(p->data, 0, strlen(p->data));
  curl_slist_free_all(l);
}

/* Appends "NAME: VALUE" to *LIST through a buffer wiped afterwards. */
static int
append_header(struct curl_slist **list, const char *name, const char *value)
{
  size_t n = strlen(name) + strlen(value) + 3;
  char *line = malloc(n);
  if (!line)
    return DL_ENOMEM;
  snprintf(line, n, "%s: %s", name, value);
  struct curl_slist *grown = curl_slist_append(*list, line);
  memset(line, 0, n);
  free(line);
  if (!grown)
    return DL_ENOMEM;
  *list = grown;
  return DL_OK;
}

static int
set_credentials(dl_http *h, const char *prefix, dl_error *err)
{
  if (!prefix || !*prefix)
    return DL_OK;
  char name[128];
  snprintf(name, sizeof name, "%s_TOKEN", prefix);
  const char *token = getenv(name);
  if (token && *token) {
    char *bearer = malloc(strlen(token) + 8);
    if (!bearer)
      return dl_fail(err, DL_ENOMEM, "out of memory");
    sprintf(bearer, "Bearer %s", token);
    int rc = append_header(&h->headers, "Authorization", bearer);
    memset(bearer, 0, strlen(bearer));
    free(bearer);
    if (rc)
      return dl_fail(err, rc, "out of memory");
    h->credentials = 1;
    return DL_OK;
  }
  snprintf(name, sizeof name, "%s_USER", prefix);
  const char *user = getenv(name);
  snprintf(name, sizeof name, "%s_PASSWORD", prefix);
  const char *password = getenv(name);
  if (user && *user) {
    curl_easy_setopt(h->curl, CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC);
    curl_easy_setopt(h->curl, CURLOPT_USERNAME, user);
    curl_easy_setopt(h->curl, CURLOPT_PASSWORD, password ? password : "");
    h->credentials = 1;
  }
  return DL_OK;
}

dl_http *
dl_http_new(const dl_http_options *opt, const char *default_prefix, dl_error *err)
{
  pthread_once(&curl_once, init_curl);
  if (!curl_ready) {
    dl_fail(err, DL_EHTTP, "libcurl failed to initialise");
    return NULL;
  }
  dl_http *h = calloc(1, sizeof *h);
  if (!h) {
    dl_fail(err, DL_ENOMEM, "out of memory");
    return NULL;
  }
  dl_http_options_init(&h->opt);
  if (opt)
    h->opt = *opt;
  /* Unset or nonsensical numbers fall back to the defaults. */
  dl_http_options d;
  dl_http_options_init(&d);
  if (h->opt.timeout_ms <= 0)
    h->opt.timeout_ms = d.timeout_ms;
  if (h->opt.connect_timeout_ms <= 0)
    h->opt.connect_timeout_ms = d.connect_timeout_ms;
  if (h->opt.retries < DL_HTTP_RETRY_UNTIL_DEADLINE)
    h->opt.retries = 0;
  if (h->opt.backoff_ms < 0)
    h->opt.backoff_ms = 0;
  if (h->opt.max_backoff_ms <= 0)
    h->opt.max_backoff_ms = d.max_backoff_ms;
  if (h->opt.deadline_ms <= 0)
    h->opt.deadline_ms = d.deadline_ms;
  if (!h->opt.max_bytes)
    h->opt.max_bytes = d.max_bytes;
  if (h->opt.low_speed_s < 0)
    h->opt.low_speed_s = 0;
  if (h->opt.low_speed_bytes <= 0)
    h->opt.low_speed_bytes = d.low_speed_bytes;
  /* The total deadline runs from now: a fetch's probes, slices and
     retries all come out of it. */
  if (h->opt.total_ms > 0)
    h->total_end = monotonic_ms() + h->opt.total_ms;
  h->curl = curl_easy_init();
  if (!h->curl) {
    free(h);
    dl_fail(err, DL_ENOMEM, "cannot create a libcurl handle");
    return NULL;
  }
  const char *prefix = h->opt.credentials ? h->opt.credentials : default_prefix;
  if (set_credentials(h, prefix, err)) {
    dl_http_free(h);
    return NULL;
  }
  return h;
}

void
dl_http_free(dl_http *h)
{
  if (!h)
    return;
  if (h->curl)
    curl_easy_cleanup(h->curl);
  wipe_list(h->headers);
  free(h);
}

int
dl_http_header_check(const char *name, const char *value, dl_error *err)
{
  static const char tchar[] = "!#$%&'*+-.^_`|~";
  if (!name || !*name)
    return dl_fail(err, DL_EINVAL, "a header has no name");
  for (const char *p = name; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')
          || strchr(tchar, *p)))
      return dl_fail(err, DL_EINVAL, "header name \"%.64s\" holds a character HTTP does not "
                     "allow in names", name);
  for (const unsigned char *p = (const unsigned char *) (value ? value : ""); *p; p++)
    if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
      return dl_fail(err, DL_EINVAL, "header %s: its value holds a control character "
                     "(values are not shown)", name);
  return DL_OK;
}

int
dl_http_add_header(dl_http *h, const char *name, const char *value, dl_error *err)
{
  int rc = dl_http_header_check(name, value, err);
  if (rc)
    return rc;
  if (append_header(&h->headers, name, value ? value : ""))
    return dl_fail(err, DL_ENOMEM, "out of memory");
  h->credentials = 1;
  return DL_OK;
}

size_t
dl_http_requests(const dl_http *h)
{
  return h->requests;
}

size_t
dl_http_retries(const dl_http *h)
{
  return h->retries;
}

void
dl_http_response_clear(dl_http_response *resp)
{
  free(resp->body);
  memset(resp, 0, sizeof *resp);
  resp->retry_after_ms = -1;
}

/* ---- one attempt ---- */

typedef struct sink {
  dl_http_response *resp;
  size_t cap, max;
  int truncate, too_big;
  const dl_http_request *req;
} sink;

static size_t
write_body(char *data, size_t size, size_t nmemb, void *userp)
{
  sink *s = userp;
  size_t n = size * nmemb, take = n;
  dl_http_response *r = s->resp;
  if (r->len + n > s->max) {
    if (!s->truncate) {
      s->too_big = 1;
      return 0; /* aborts the transfer */
    }
    take = s->max - r->len;
    r->truncated = 1;
  }
  if (r->len + take + 1 > s->cap) {
    size_t cap = s->cap ? s->cap : 16384;
    while (cap < r->len + take + 1)
      cap *= 2;
    char *b = realloc(r->body, cap);
    if (!b)
      return 0;
    r->body = b;
    s->cap = cap;
  }
  memcpy(r->body + r->len, data, take);
  r->len += take;
  r->body[r->len] = '\0';
  return n;
}

static size_t
read_header(char *data, size_t size, size_t nmemb, void *userp)
{
  sink *s = userp;
  size_t n = size * nmemb;
  dl_http_response *r = s->resp;
  if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
    /* A new response (after a redirect or a 100): forget the last one's. */
    r->retry_after_ms = -1;
    r->content_type[0] = '\0';
  } else if (n > 12 && strncasecmp(data, "Retry-After:", 12) == 0) {
    r->retry_after_ms = dl_http_retry_after_ms(data + 12, n - 12, dl_time_now());
  } else if (n > 13 && strncasecmp(data, "Content-Type:", 13) == 0) {
    const char *v = data + 13;
    size_t len = n - 13;
    while (len && (*v == ' ' || *v == '\t'))
      v++, len--;
    while (len && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' '))
      len--;
    dl_http_excerpt(r->content_type, sizeof r->content_type, v, len);
  }
  if (s->req->on_header)
    s->req->on_header(s->req->ctx, data, n);
  return n;
}

/* What libcurl said: its short description, and its detail when it
   gave one ("Failed to connect to 127.0.0.1 port 1 ..."). */
static const char *
failure_text(CURLcode cc, const char *detail, char *buf, size_t size)
{
  if (detail[0])
    snprintf(buf, size, "%s (%s)", curl_easy_strerror(cc), detail);
  else
    snprintf(buf, size, "%s", curl_easy_strerror(cc));
  return buf;
}

static void
pause_ms(int64_t ms)
{
  struct timespec ts = {(time_t) (ms / 1000), (long) (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

static void
set_protocols(CURL *c)
{
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS, (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
}

/* The headers of REQ: the client's own, then the request's (with the
   attempt's TIMEOUT_MS in req->timeout_header, as gRPC writes it). */
static struct curl_slist *
request_headers(const dl_http *h, const dl_http_request *req, int post, long timeout_ms)
{
  struct curl_slist *l = NULL;
  for (struct curl_slist *a = h->headers; a; a = a->next) {
    struct curl_slist *grown = curl_slist_append(l, a->data);
    if (!grown)
      goto fail;
    l = grown;
  }
  if ((req->accept && append_header(&l, "Accept", req->accept))
      || (post && req->content_type && append_header(&l, "Content-Type", req->content_type))
      || (post && req->content_encoding
          && append_header(&l, "Content-Encoding", req->content_encoding)))
    goto fail;
  for (const char *const *x = req->headers; x && *x; x++) {
    struct curl_slist *grown = curl_slist_append(l, *x);
    if (!grown)
      goto fail;
    l = grown;
  }
  if (req->timeout_header) {
    /* gRPC allows at most 8 digits: milliseconds up to a day fit. */
    char value[24];
    snprintf(value, sizeof value, "%ldm", timeout_ms < 99999999 ? timeout_ms : 99999999);
    if (append_header(&l, req->timeout_header, value))
      goto fail;
  }
  if (post) {
    /* No "Expect: 100-continue" round trip before small bodies. */
    struct curl_slist *grown = curl_slist_append(l, "Expect:");
    if (!grown)
      goto fail;
    l = grown;
  }
  return l;
fail:
  wipe_list(l);
  return NULL;
}

int
dl_http_perform(dl_http *h, const dl_http_request *req, dl_http_response *resp, dl_error *err)
{
  const char *method = req->method ? req->method : "GET";
  int post = strcmp(method, "POST") == 0;
  memset(resp, 0, sizeof *resp);
  resp->retry_after_ms = -1;
  char shown[512];
  dl_http_redact(req->url ? req->url : "", shown, sizeof shown);
  if (dl_http_url_check(req->url, "the URL", err)) {
    resp->permanent = 1;
    return DL_EINVAL;
  }
  struct curl_slist *headers = NULL;
  /* Credentials must not follow a redirect to another host. */
  int follow = !h->credentials && !dl_http_url_has_userinfo(req->url);
  CURL *c = h->curl;
  char curl_error[CURL_ERROR_SIZE];
  const dl_http_options *o = &h->opt;
  int64_t deadline = monotonic_ms() + o->deadline_ms;
  /* Which deadline is nearer, for the message when it runs out. */
  long deadline_ms = o->deadline_ms;
  if (req->deadline_ms > 0 && req->deadline_ms < deadline_ms) {
    deadline = monotonic_ms() + req->deadline_ms;
    deadline_ms = req->deadline_ms;
  }
  if (h->total_end && h->total_end < deadline) {
    deadline = h->total_end;
    deadline_ms = o->total_ms;
  }
  const char *deadline_option = o->deadline_option ? o->deadline_option : "the timeout";
  size_t max_bytes = req->max_bytes && req->max_bytes < o->max_bytes ? req->max_bytes
                                                                      : o->max_bytes;
  long backoff = o->backoff_ms;
  int rc = DL_OK;
  if (deadline - monotonic_ms() <= 0) {
    /* Earlier requests of this client spent the whole deadline. */
    resp->permanent = 1;
    rc = dl_fail(err, DL_EHTTP, "%s %s: not sent: the deadline of %ld ms ran out before it "
                 "(raise it with %s)", method, shown, deadline_ms, deadline_option);
    wipe_list(headers);
    return rc;
  }
  for (;;) {
    free(resp->body);
    resp->body = NULL;
    resp->len = 0;
    resp->truncated = 0;
    resp->status = 0;
    resp->retry_after_ms = -1;
    resp->content_type[0] = '\0';
    int64_t left = deadline - monotonic_ms();
    long timeout = left < o->timeout_ms ? (long) (left > 1 ? left : 1) : o->timeout_ms;
    sink s = {resp, 0, max_bytes, req->truncate_body, 0, req};
    curl_error[0] = '\0';
    /* Built for each attempt: the timeout header changes. */
    wipe_list(headers);
    headers = request_headers(h, req, post, timeout);
    if (!headers && (h->headers || req->accept || post || req->headers || req->timeout_header)) {
      rc = dl_fail(err, DL_ENOMEM, "out of memory");
      break;
    }
    curl_easy_setopt(c, CURLOPT_URL, req->url);
    if (post) {
      curl_easy_setopt(c, CURLOPT_POST, 1L);
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) req->len);
      curl_easy_setopt(c, CURLOPT_POSTREDIR, (long) CURL_REDIR_POST_ALL);
    } else {
      curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, read_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &s);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_error);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     o->connect_timeout_ms < timeout ? o->connect_timeout_ms : timeout);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    /* A server trickling its answer a byte at a time is cut off long
       before the attempt's timeout. */
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, o->low_speed_s ? o->low_speed_bytes : 0L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, o->low_speed_s);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, ""); /* whatever curl can inflate */
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, (long) follow);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, DL_HTTP_USER_AGENT);
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION,
                     !req->http2 ? (long) CURL_HTTP_VERSION_NONE
                     : strncasecmp(req->url, "https:", 6) == 0 ? (long) CURL_HTTP_VERSION_2TLS
                                                               : (long) CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
    /* A new connection for each HTTP/2 attempt: reusing the connection
       of a finished gRPC call failed the next call with "Error in the
       HTTP2 framing layer" (libcurl 7.88 against grpc-js, prior
       knowledge); a deploy step makes a handful of calls at most. */
    curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, (long) (req->http2 != 0));
    curl_easy_setopt(c, CURLOPT_FORBID_REUSE, (long) (req->http2 != 0));
    set_protocols(c);
    if (o->ca_file)
      curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
    if (o->client_certificate)
      curl_easy_setopt(c, CURLOPT_SSLCERT, o->client_certificate);
    if (o->client_key)
      curl_easy_setopt(c, CURLOPT_SSLKEY, o->client_key);
    h->requests++;
    resp->attempts++;
    int64_t began = monotonic_ms();
    CURLcode cc = curl_easy_perform(c);
    /* A timeout before the attempt's own was the low-speed limit. */
    int too_slow = cc == CURLE_OPERATION_TIMEDOUT && o->low_speed_s
                   && monotonic_ms() - began < timeout - 50;
    if (too_slow)
      snprintf(curl_error, sizeof curl_error,
               "the server sent less than %ld bytes a second for %ld seconds: cut off by the "
               "low-speed limit", o->low_speed_bytes, o->low_speed_s);
    else if (cc == CURLE_OPERATION_TIMEDOUT && timeout < o->timeout_ms) {
      /* Cut by the deadline itself: no time is left for another. */
      rc = dl_fail(err, DL_EHTTP, "%s %s: no answer within the deadline of %ld ms (after %d "
                   "attempt%s; raise it with %s)", method, shown, deadline_ms, resp->attempts,
                   resp->attempts == 1 ? "" : "s", deadline_option);
      break;
    }
    long status = 0;
    if (cc == CURLE_OK)
      curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    resp->status = status;
    char excerpt[161], why[CURL_ERROR_SIZE + 64];
    dl_http_excerpt(excerpt, sizeof excerpt, resp->body, resp->len);
    const char *s_attempts = resp->attempts == 1 ? "" : "s";
    int retry = 0;
    if (cc != CURLE_OK) {
      if (s.too_big) {
        if (req->max_bytes && max_bytes == req->max_bytes)
          rc = dl_fail(err, DL_ERANGE, "%s %s: the answer is larger than %zu bytes, more than "
                       "%s can hold", method, shown, max_bytes,
                       req->max_bytes_why ? req->max_bytes_why : "this request");
        else
          rc = dl_fail(err, DL_ERANGE, "%s %s: the answer is larger than the limit of %zu "
                       "bytes (raise it with %s)", method, shown, max_bytes,
                       o->max_bytes_option ? o->max_bytes_option : "max_bytes");
        resp->permanent = 1;
        break;
      }
      retry = dl_http_retryable_failure(cc);
      if (!retry) {
        rc = dl_fail(err, DL_EHTTP, "%s %s: %s", method, shown,
                     failure_text(cc, curl_error, why, sizeof why));
        resp->permanent = 1;
        break;
      }
    } else if (req->judge) {
      int verdict = req->judge(req->ctx, resp, why, sizeof why);
      if (verdict == DL_HTTP_ACCEPT)
        break;
      if (verdict != DL_HTTP_RETRY) {
        rc = dl_fail(err, DL_EHTTP, "%s %s: %s", method, shown, why);
        resp->permanent = 1;
        break;
      }
      retry = 1;
    } else if ((status >= 200 && status < 300) || (status == 404 && req->not_found_ok)) {
      break;
    } else if (dl_http_retryable_status(status)) {
      retry = 1;
    } else {
      rc = dl_fail(err, DL_EHTTP, "%s %s: HTTP %ld: %s%s", method, shown, status, excerpt,
                   status >= 300 && status < 400 && !follow
                     ? " (redirects are not followed when credentials are sent)" : "");
      resp->permanent = 1;
      break;
    }
    /* Worth another attempt: if the retries and the deadline allow it. */
    int64_t wait = resp->retry_after_ms >= 0 ? resp->retry_after_ms : dl_http_jittered(backoff);
    int spent = req->single_attempt
                || (o->retries != DL_HTTP_RETRY_UNTIL_DEADLINE && resp->attempts > o->retries);
    int late = monotonic_ms() + wait >= deadline;
    if (spent || late) {
      char deadline_note[200] = "";
      if (late && !spent && resp->retry_after_ms > 0)
        snprintf(deadline_note, sizeof deadline_note,
                 "; the server asks to wait %lld s (Retry-After), past the deadline of %ld ms: "
                 "the deadline leaves no time for another (raise it with %s)",
                 (long long) (resp->retry_after_ms / 1000), deadline_ms, deadline_option);
      else if (late && !spent)
        snprintf(deadline_note, sizeof deadline_note,
                 "; the deadline of %ld ms leaves no time for another (raise it with %s)",
                 deadline_ms, deadline_option);
      if (cc != CURLE_OK)
        rc = dl_fail(err, DL_EHTTP, "%s %s: %s (after %d attempt%s%s)", method, shown,
                     failure_text(cc, curl_error, why, sizeof why), resp->attempts, s_attempts,
                     deadline_note);
      else if (req->judge)
        rc = dl_fail(err, DL_EHTTP, "%s %s: %s (after %d attempt%s%s)", method, shown, why,
                     resp->attempts, s_attempts, deadline_note);
      else
        rc = dl_fail(err, DL_EHTTP, "%s %s: HTTP %ld after %d attempt%s%s: %s", method, shown,
                     status, resp->attempts, s_attempts, deadline_note, excerpt);
      break;
    }
    h->retries++;
    pause_ms(wait);
    backoff = dl_http_backoff_next(backoff, o->max_backoff_ms);
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, NULL);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, NULL);
  wipe_list(headers);
  return rc;
}

int
dl_http_get(dl_http *h, const char *url, const char *accept, dl_http_response *resp,
            dl_error *err)
{
  dl_http_request req = {.method = "GET", .url = url,
                         .accept = accept ? accept : "application/json", .not_found_ok = 1};
  int rc = dl_http_perform(h, &req, resp, err);
  if (rc)
    dl_http_response_clear(resp);
  return rc;
}
