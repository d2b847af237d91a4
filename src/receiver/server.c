/* The receiver's HTTP server on GNU libmicrohttpd: a pool of connection
   threads (each decodes the requests it reads), the listen address, the
   bearer token, and the limits that must hold before a body is read --
   its size, the bytes queued across connections, the time a request may
   take to arrive, the number of connections. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "deploy-ledger/time.h"
#include "receiver/answer.h"
#include "receiver/receiver-state.h"

enum { RPC_NOT_FOUND = 5, RPC_UNAUTHENTICATED = 16 };

/* One request in progress. */
typedef struct upload {
  char *data;
  size_t len, cap;
  size_t reserved;   /* bytes counted in r->queued */
  int64_t started;
  int refused;       /* an answer was queued before the body was read */
} upload;

static void
release_upload(dl_receiver *r, upload *u)
{
  if (u->reserved)
    __atomic_sub_fetch(&r->queued, u->reserved, __ATOMIC_RELAXED);
  free(u->data);
  free(u);
}

static enum MHD_Result
send_answer(struct MHD_Connection *c, const dl_receiver_answer *a)
{
  struct MHD_Response *resp =
    MHD_create_response_from_buffer(a->body_len, a->body ? a->body : (void *) "",
                                    MHD_RESPMEM_MUST_COPY);
  if (!resp)
    return MHD_NO;
  MHD_add_response_header(resp, "Content-Type", a->content_type);
  if (a->retry_after) {
    char v[16];
    snprintf(v, sizeof v, "%d", a->retry_after);
    MHD_add_response_header(resp, "Retry-After", v);
  }
  if (a->status == 401)
    MHD_add_response_header(resp, "WWW-Authenticate", "Bearer");
  if (a->status == 405)
    MHD_add_response_header(resp, "Allow", "POST");
  enum MHD_Result ret = MHD_queue_response(c, (unsigned) a->status, resp);
  MHD_destroy_response(resp);
  return ret;
}

/* Answers STATUS with a Status body before the request's body is read. */
static enum MHD_Result
refuse(dl_receiver *r, struct MHD_Connection *c, upload *u, int status, int rpc, int json,
       const char *msg)
{
  dl_receiver_answer a;
  dl_answer_status(&a, status, rpc, msg, json);
  if (status == 503 || status == 429)
    a.retry_after = 1;
  dl_receiver_count_answer(r, status);
  u->refused = 1;
  enum MHD_Result ret = send_answer(c, &a);
  free(a.body);
  return ret;
}

/* Compares the Authorization header with "Bearer TOKEN" in time that does
   not depend on where they differ. */
static int
authorized(const dl_receiver *r, struct MHD_Connection *c)
{
  if (!r->opt.token)
    return 1;
  const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
  if (!h || strncasecmp(h, "Bearer ", 7) != 0)
    return 0;
  h += 7;
  size_t n = strlen(h), m = strlen(r->opt.token);
  unsigned diff = (unsigned) (n != m);
  for (size_t i = 0; i < m; i++)
    diff |= (unsigned) (unsigned char) r->opt.token[i] ^ (unsigned char) (i < n ? h[i] : 0);
  return diff == 0;
}

/* Counts N more bytes of U in the receiver's queue; 0 when that would go
   over max_queue while other requests are in it (a request alone is
   always admitted: its size is bounded by max_request, and refusing it
   would refuse it for ever). */
static int
reserve(dl_receiver *r, upload *u, size_t n)
{
  size_t now = __atomic_add_fetch(&r->queued, n, __ATOMIC_RELAXED);
  if (now > r->opt.max_queue && now != u->reserved + n) {
    __atomic_sub_fetch(&r->queued, n, __ATOMIC_RELAXED);
    return 0;
  }
  u->reserved += n;
  return 1;
}

/* The first call for a request: everything that can be refused before
   its body is read. */
static enum MHD_Result
begin(dl_receiver *r, struct MHD_Connection *c, const char *url, const char *method, upload *u)
{
  const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
  int json = dl_receiver_media_type(ct) == 1;
  if (strcmp(url, "/v1/traces") != 0)
    return refuse(r, c, u, 404, RPC_NOT_FOUND, json,
                  "no such path: the receiver takes traces at POST /v1/traces");
  if (strcmp(method, "POST") != 0)
    return refuse(r, c, u, 405, RPC_NOT_FOUND, json, "send traces with POST /v1/traces");
  if (!authorized(r, c))
    return refuse(r, c, u, 401, RPC_UNAUTHENTICATED, json,
                  "missing or wrong bearer token (Authorization: Bearer ..., --token-file)");
  if (dl_receiver_media_type(ct) < 0) {
    /* The full message, with the type quoted, comes from the handler. */
    dl_receiver_answer a;
    dl_receiver_handle(r, ct, NULL, "", 0, &a);
    u->refused = 1;
    enum MHD_Result ret = send_answer(c, &a);
    free(a.body);
    return ret;
  }
  const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
  unsigned long long declared = cl ? strtoull(cl, NULL, 10) : 0;
  if (declared > r->opt.max_request) {
    char msg[200];
    snprintf(msg, sizeof msg,
             "request body of %llu bytes is over the receiver's limit of %zu (--max-request): "
             "send smaller batches",
             declared, r->opt.max_request);
    return refuse(r, c, u, 413, 8, json, msg);
  }
  if (declared && !reserve(r, u, (size_t) declared))
    return refuse(r, c, u, 503, 14, json,
                  "the receiver's queue is full (--max-queue): retry after the delay");
  if (declared) {
    u->data = malloc((size_t) declared);
    if (!u->data)
      return refuse(r, c, u, 503, 14, json, "out of memory: retry later");
    u->cap = (size_t) declared;
  }
  return MHD_YES;
}

/* Adds a piece of the body to U; a nonzero return refuses the request
   with that HTTP status. */
static int
take(dl_receiver *r, upload *u, const char *data, size_t size)
{
  if (size > r->opt.max_request - u->len)
    return 413;
  if (u->len + size > u->cap) {
    size_t want = u->cap ? u->cap * 2 : 65536;
    while (want < u->len + size)
      want *= 2;
    if (want > r->opt.max_request)
      want = r->opt.max_request;
    if (want > u->reserved && !reserve(r, u, want - u->reserved))
      return 503;
    char *grown = realloc(u->data, want);
    if (!grown)
      return 503;
    u->data = grown;
    u->cap = want;
  }
  memcpy(u->data + u->len, data, size);
  u->len += size;
  return 0;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
           const char *version, const char *data, size_t *size, void **state)
{
  dl_receiver *r = cls;
  upload *u = *state;
  if (!u) {
    u = calloc(1, sizeof *u);
    if (!u)
      return MHD_NO;
    u->started = dl_time_now();
    *state = u;
    return begin(r, c, url, method, u);
  }
  if (u->refused) {
    *size = 0; /* an answer is queued: the rest of the body is not read */
    return MHD_YES;
  }
  const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
  if (*size) {
    if (dl_time_now() - u->started > (int64_t) r->opt.request_timeout * 1000000000) {
      /* A client this slow holds a connection thread: drop it. */
      __atomic_add_fetch(&r->timed_out, 1, __ATOMIC_RELAXED);
      return MHD_NO;
    }
    int refusal = take(r, u, data, *size);
    *size = 0;
    if (refusal == 413) {
      char msg[160];
      snprintf(msg, sizeof msg,
               "request body is over the receiver's limit of %zu bytes (--max-request): "
               "send smaller batches",
               r->opt.max_request);
      return refuse(r, c, u, 413, 8, dl_receiver_media_type(ct) == 1, msg);
    }
    if (refusal)
      return refuse(r, c, u, 503, 14, dl_receiver_media_type(ct) == 1,
                    "the receiver's queue is full (--max-queue): retry after the delay");
    return MHD_YES;
  }
  dl_receiver_answer a;
  dl_receiver_handle(r, ct,
                     MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_ENCODING),
                     u->data ? u->data : "", u->len, &a);
  /* The body is decoded: its bytes leave the queue now, not when the
     connection is done with the answer. */
  free(u->data);
  u->data = NULL;
  u->cap = u->len = 0;
  if (u->reserved) {
    __atomic_sub_fetch(&r->queued, u->reserved, __ATOMIC_RELAXED);
    u->reserved = 0;
  }
  enum MHD_Result ret = send_answer(c, &a);
  free(a.body);
  return ret;
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **state,
             enum MHD_RequestTerminationCode code)
{
  if (*state)
    release_upload(cls, *state);
  *state = NULL;
}

/* Parses "ADDR:PORT", "[ADDR6]:PORT" or ":PORT" (127.0.0.1) into SA. */
static int
parse_listen(const char *text, struct sockaddr_storage *sa, socklen_t *sa_len, dl_error *err)
{
  char host[256];
  const char *colon = strrchr(text, ':');
  if (!colon || !colon[1])
    return dl_fail(err, DL_EINVAL,
                   "listen address \"%.80s\" has no port: expected ADDR:PORT such as "
                   "127.0.0.1:4318",
                   text);
  size_t hl = (size_t) (colon - text);
  if (hl >= sizeof host)
    return dl_fail(err, DL_EINVAL, "listen address \"%.80s\" is too long", text);
  memcpy(host, text, hl);
  host[hl] = '\0';
  if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
    memmove(host, host + 1, hl - 2);
    host[hl - 2] = '\0';
  }
  char *end;
  long port = strtol(colon + 1, &end, 10);
  if (*end || port < 0 || port > 65535)
    return dl_fail(err, DL_EINVAL,
                   "listen address \"%.80s\": port \"%s\" is not a number from 0 to 65535",
                   text, colon + 1);
  struct addrinfo hints = {0}, *res = NULL;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  int g = getaddrinfo(host[0] ? host : "127.0.0.1", colon + 1, &hints, &res);
  if (g || !res)
    return dl_fail(err, DL_EINVAL, "listen address \"%.80s\": %s", text, gai_strerror(g));
  memcpy(sa, res->ai_addr, res->ai_addrlen);
  *sa_len = res->ai_addrlen;
  freeaddrinfo(res);
  return DL_OK;
}

int
dl_receiver_start(const dl_receiver_options *opt, dl_receiver **out, dl_error *err)
{
  *out = NULL;
  dl_receiver *r = calloc(1, sizeof *r);
  if (!r)
    return dl_fail(err, DL_ENOMEM, "out of memory starting the receiver");
  if (opt)
    r->opt = *opt;
  r->opt.token = NULL; /* our own copy, below */
  dl_receiver_apply_defaults(&r->opt);
  struct sockaddr_storage sa;
  socklen_t sa_len = 0;
  int rc = parse_listen(r->opt.listen, &sa, &sa_len, err);
  if (rc == DL_OK && opt && opt->token && !(r->opt.token = strdup(opt->token)))
    rc = dl_fail(err, DL_ENOMEM, "out of memory starting the receiver");
  if (rc == DL_OK)
    rc = dl_window_store_init(&r->store, r->opt.window, r->opt.max_memory, r->opt.threads, err);
  if (rc != DL_OK) {
    free((char *) r->opt.token);
    free(r);
    return rc;
  }
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
  if (sa.ss_family == AF_INET6)
    flags |= MHD_USE_IPv6;
  r->daemon = MHD_start_daemon(
    flags, 0, NULL, NULL, on_request, r, MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &sa,
    MHD_OPTION_THREAD_POOL_SIZE, r->opt.threads, MHD_OPTION_CONNECTION_LIMIT,
    r->opt.max_connections, MHD_OPTION_CONNECTION_TIMEOUT, r->opt.idle_timeout,
    MHD_OPTION_NOTIFY_COMPLETED, on_completed, r,
    /* Reads of up to 64 KiB: a batch of 512 spans (150 KB) arrives in
       three pieces rather than ten. */
    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) 128 * 1024, MHD_OPTION_END);
  if (!r->daemon) {
    char where[80];
    snprintf(where, sizeof where, "%s", r->opt.listen);
    dl_window_store_release(&r->store);
    free((char *) r->opt.token);
    free(r);
    return dl_fail(err, DL_EIO,
                   "cannot listen on %s (in use, or not an address of this machine): choose "
                   "another with --listen",
                   where);
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(r->daemon, MHD_DAEMON_INFO_BIND_PORT);
  r->port = info ? info->port : 0;
  r->opt.listen = NULL; /* the caller's string: not kept */
  *out = r;
  return DL_OK;
}

int
dl_receiver_port(const dl_receiver *r)
{
  return r->port;
}

void
dl_receiver_stats_get(dl_receiver *r, dl_receiver_stats *s)
{
  memset(s, 0, sizeof *s);
  dl_window_store_maintain(&r->store);
#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
  s->requests = LOAD(r->requests);
  s->requests_ok = LOAD(r->requests_ok);
  s->bad_requests = LOAD(r->bad_requests);
  s->too_large = LOAD(r->too_large);
  s->unsupported = LOAD(r->unsupported);
  s->unauthorized = LOAD(r->unauthorized);
  s->busy = LOAD(r->busy);
  s->timed_out = LOAD(r->timed_out);
  s->queued = LOAD(r->queued);
  dl_window_store *st = &r->store;
  s->spans_accepted = LOAD(st->accepted);
  s->spans_rejected = LOAD(st->rejected);
  s->spans_expired = LOAD(st->expired);
  s->spans_dropped = LOAD(st->dropped);
#undef LOAD
  pthread_mutex_lock(&st->lock);
  s->spans_held = st->sealed_spans;
  s->memory = st->sealed_memory;
  s->segments = st->n_sealed;
  for (unsigned i = 0; i < st->n_shards; i++) {
    pthread_mutex_lock(&st->shards[i].lock);
    if (st->shards[i].open.set) {
      s->spans_held += dl_trace_set_count(st->shards[i].open.set);
      s->memory += st->shards[i].open.memory;
      s->segments++;
    }
    pthread_mutex_unlock(&st->shards[i].lock);
  }
  pthread_mutex_unlock(&st->lock);
}

int
dl_receiver_snapshot(dl_receiver *r, int64_t since, const char *service, dl_trace_set **out,
                     dl_error *err)
{
  return dl_window_store_snapshot(&r->store, since, service, out, err);
}

void
dl_receiver_stop(dl_receiver *r)
{
  if (!r)
    return;
  if (r->daemon)
    MHD_stop_daemon(r->daemon);
  dl_window_store_release(&r->store);
  free((char *) r->opt.token);
  free(r);
}
