/* HTTP GET through libcurl: timeouts, retries with backoff on 429, 5xx
   and network errors, bearer or basic credentials from the environment
   (held only in curl's options, never in a message). */
#include "net/http.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct dl_http {
  CURL *curl;
  struct curl_slist *auth; /* the Authorization header, when a token is set */
  dl_http_options opt;
  size_t requests, retries;
  int basic; /* user and password set on the handle */
};

void
dl_http_options_init(dl_http_options *o)
{
  memset(o, 0, sizeof *o);
  o->timeout_ms = 30000;
  o->connect_timeout_ms = 5000;
  o->retries = 3;
  o->backoff_ms = 250;
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

static int
set_credentials(dl_http *h, const char *prefix, dl_error *err)
{
  if (!prefix || !*prefix)
    return DL_OK;
  char name[128];
  snprintf(name, sizeof name, "%s_TOKEN", prefix);
  const char *token = getenv(name);
  if (token && *token) {
    size_t n = strlen(token) + 32;
    char *header = malloc(n);
    if (!header)
      return dl_fail(err, DL_ENOMEM, "out of memory");
    snprintf(header, n, "Authorization: Bearer %s", token);
    h->auth = curl_slist_append(NULL, header);
    /* Wipe the copy: curl keeps its own. */
    memset(header, 0, n);
    free(header);
    if (!h->auth)
      return dl_fail(err, DL_ENOMEM, "out of memory");
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
    h->basic = 1;
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
  if (opt)
    h->opt = *opt;
  else
    dl_http_options_init(&h->opt);
  if (h->opt.retries < 0)
    h->opt.retries = 0;
  if (!h->opt.max_bytes)
    h->opt.max_bytes = (size_t) 1 << 30;
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
  curl_slist_free_all(h->auth);
  free(h);
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
}

void
dl_http_redact(const char *url, char *out, size_t size)
{
  const char *scheme = strstr(url, "://");
  const char *host = scheme ? scheme + 3 : url;
  const char *slash = strchr(host, '/');
  const char *at = strchr(host, '@');
  if (at && (!slash || at < slash))
    snprintf(out, size, "%.*s%s", (int) (host - url), url, at + 1);
  else
    snprintf(out, size, "%s", url);
}

char *
dl_http_url(const char *base, const char *path, const char *const *pairs, size_t n_pairs)
{
  size_t blen = strlen(base);
  while (blen && base[blen - 1] == '/')
    blen--;
  size_t cap = blen + strlen(path) + 2;
  char **esc = calloc(n_pairs ? n_pairs : 1, sizeof *esc);
  if (!esc)
    return NULL;
  for (size_t i = 0; i + 1 < n_pairs; i += 2) {
    if (!pairs[i + 1])
      continue;
    esc[i + 1] = curl_easy_escape(NULL, pairs[i + 1], 0);
    if (!esc[i + 1])
      goto fail;
    cap += strlen(pairs[i]) + strlen(esc[i + 1]) + 2;
  }
  char *url = malloc(cap);
  if (!url)
    goto fail;
  size_t n = (size_t) snprintf(url, cap, "%.*s%s", (int) blen, base, path);
  char sep = '?';
  for (size_t i = 0; i + 1 < n_pairs; i += 2) {
    if (!esc[i + 1])
      continue;
    n += (size_t) snprintf(url + n, cap - n, "%c%s=%s", sep, pairs[i], esc[i + 1]);
    sep = '&';
  }
  for (size_t i = 0; i < n_pairs; i++)
    curl_free(esc[i]);
  free(esc);
  return url;
fail:
  for (size_t i = 0; i < n_pairs; i++)
    curl_free(esc[i]);
  free(esc);
  return NULL;
}

typedef struct sink {
  dl_http_response *resp;
  size_t cap, max;
  int too_big;
  long retry_after; /* seconds, -1 when absent */
} sink;

static size_t
write_body(char *data, size_t size, size_t nmemb, void *userp)
{
  sink *s = userp;
  size_t n = size * nmemb;
  dl_http_response *r = s->resp;
  if (r->len + n > s->max) {
    s->too_big = 1;
    return 0;
  }
  if (r->len + n + 1 > s->cap) {
    size_t cap = s->cap ? s->cap : 16384;
    while (cap < r->len + n + 1)
      cap *= 2;
    char *b = realloc(r->body, cap);
    if (!b)
      return 0;
    r->body = b;
    s->cap = cap;
  }
  memcpy(r->body + r->len, data, n);
  r->len += n;
  r->body[r->len] = '\0';
  return n;
}

static size_t
read_header(char *data, size_t size, size_t nmemb, void *userp)
{
  sink *s = userp;
  size_t n = size * nmemb;
  if (n > 12 && strncasecmp(data, "Retry-After:", 12) == 0) {
    long v = strtol(data + 12, NULL, 10);
    if (v >= 0)
      s->retry_after = v;
  } else if (n > 13 && strncasecmp(data, "Content-Type:", 13) == 0) {
    const char *v = data + 13;
    while (*v == ' ')
      v++;
    size_t len = n - (size_t) (v - data);
    while (len && (v[len - 1] == '\r' || v[len - 1] == '\n'))
      len--;
    snprintf(s->resp->content_type, sizeof s->resp->content_type, "%.*s", (int) len, v);
  }
  return n;
}

static void
pause_ms(long ms)
{
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

/* Network failures worth another attempt. */
static int
transient(CURLcode c)
{
  return c == CURLE_COULDNT_CONNECT || c == CURLE_OPERATION_TIMEDOUT || c == CURLE_RECV_ERROR ||
         c == CURLE_SEND_ERROR || c == CURLE_GOT_NOTHING || c == CURLE_PARTIAL_FILE;
}

int
dl_http_get(dl_http *h, const char *url, const char *accept, dl_http_response *resp,
            dl_error *err)
{
  char shown[512];
  dl_http_redact(url, shown, sizeof shown);
  memset(resp, 0, sizeof *resp);
  struct curl_slist *headers = NULL;
  for (struct curl_slist *a = h->auth; a; a = a->next)
    headers = curl_slist_append(headers, a->data);
  char accept_header[160];
  snprintf(accept_header, sizeof accept_header, "Accept: %s", accept ? accept : "application/json");
  headers = curl_slist_append(headers, accept_header);
  if (!headers)
    return dl_fail(err, DL_ENOMEM, "out of memory");
  CURL *c = h->curl;
  long backoff = h->opt.backoff_ms > 0 ? h->opt.backoff_ms : 0;
  int rc = DL_OK;
  for (int attempt = 0;; attempt++) {
    dl_http_response_clear(resp);
    sink s = {resp, 0, h->opt.max_bytes, 0, -1};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, read_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &s);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->opt.timeout_ms > 0 ? h->opt.timeout_ms : 30000L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     h->opt.connect_timeout_ms > 0 ? h->opt.connect_timeout_ms : 5000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, ""); /* gzip, deflate: whatever curl has */
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "deploy-ledger/" "0.1");
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    h->requests++;
    CURLcode cc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    resp->status = status;
    int retry = 0;
    if (cc != CURLE_OK) {
      if (s.too_big) {
        rc = dl_fail(err, DL_ERANGE, "GET %s: the response is larger than %zu bytes", shown,
                     h->opt.max_bytes);
        break;
      }
      if (!transient(cc) || attempt >= h->opt.retries) {
        rc = dl_fail(err, DL_EHTTP, "GET %s: %s%s", shown, curl_easy_strerror(cc),
                     attempt ? " (after retries)" : "");
        break;
      }
      retry = 1;
    } else if (status == 429 || status >= 500) {
      if (attempt >= h->opt.retries) {
        rc = dl_fail(err, DL_EHTTP, "GET %s: HTTP %ld after %d attempt%s: %.160s", shown, status,
                     attempt + 1, attempt ? "s" : "", resp->body ? resp->body : "");
        break;
      }
      retry = 1;
    } else if ((status >= 200 && status < 300) || status == 404) {
      if (!resp->body) {
        resp->body = calloc(1, 1);
        if (!resp->body)
          rc = dl_fail(err, DL_ENOMEM, "out of memory");
      }
      break;
    } else {
      rc = dl_fail(err, DL_EHTTP, "GET %s: HTTP %ld: %.160s", shown, status,
                   resp->body ? resp->body : "");
      break;
    }
    if (retry) {
      h->retries++;
      long wait = backoff;
      if (s.retry_after >= 0 && s.retry_after * 1000 > wait)
        wait = s.retry_after * 1000;
      if (wait > 30000)
        wait = 30000;
      pause_ms(wait);
      backoff = backoff ? backoff * 2 : 0;
      if (backoff > 30000)
        backoff = 30000;
    }
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
  curl_slist_free_all(headers);
  if (rc)
    dl_http_response_clear(resp);
  return rc;
}
