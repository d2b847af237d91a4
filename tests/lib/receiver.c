/* A loopback OTLP/HTTP receiver on libmicrohttpd, for tests. */
#define _GNU_SOURCE
#include "receiver.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#define MAX_PLANNED 32
#define MAX_RECEIVED 256

struct receiver {
  struct MHD_Daemon *daemon;
  int port;
  pthread_mutex_t lock;
  planned_response plan[MAX_PLANNED];
  size_t planned, next_plan;
  received_request got[MAX_RECEIVED];
  size_t received;
  volatile int stopping; /* ends the hanging answers */
};

typedef struct upload {
  char *data;
  size_t len;
} upload;

static void
inflate_gzip(received_request *q, const char *data, size_t len)
{
  size_t cap = 1 << 22;
  q->body = malloc(cap);
  z_stream z = {0};
  inflateInit2(&z, 15 + 16);
  z.next_in = (Bytef *) data;
  z.avail_in = (uInt) len;
  z.next_out = (Bytef *) q->body;
  z.avail_out = (uInt) cap;
  inflate(&z, Z_FINISH);
  q->len = z.total_out;
  inflateEnd(&z);
}

static void
copy_header(struct MHD_Connection *c, const char *name, char *out, size_t size)
{
  const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
  snprintf(out, size, "%s", v ? v : "");
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
       const char *version, const char *data, size_t *size, void **state)
{
  receiver *r = cls;
  upload *u = *state;
  if (!u) {
    *state = calloc(1, sizeof(upload));
    return MHD_YES;
  }
  if (*size) {
    u->data = realloc(u->data, u->len + *size);
    memcpy(u->data + u->len, data, *size);
    u->len += *size;
    *size = 0;
    return MHD_YES;
  }
  pthread_mutex_lock(&r->lock);
  planned_response p = {200, "", 0, "application/x-protobuf", NULL, 0, 0};
  if (r->next_plan < r->planned)
    p = r->plan[r->next_plan++];
  if (r->received < MAX_RECEIVED) {
    received_request *q = &r->got[r->received++];
    copy_header(c, "Content-Type", q->content_type, sizeof q->content_type);
    copy_header(c, "Content-Encoding", q->content_encoding, sizeof q->content_encoding);
    copy_header(c, "x-api-key", q->api_key, sizeof q->api_key);
    copy_header(c, "User-Agent", q->user_agent, sizeof q->user_agent);
    snprintf(q->path, sizeof q->path, "%s", url);
    if (strcmp(q->content_encoding, "gzip") == 0)
      inflate_gzip(q, u->data, u->len);
    else {
      q->body = malloc(u->len + 1);
      if (u->len)
        memcpy(q->body, u->data, u->len);
      q->len = u->len;
    }
  }
  pthread_mutex_unlock(&r->lock);
  while (p.hang && !r->stopping) {
    struct timespec ts = {0, 50000000L};
    nanosleep(&ts, NULL);
  }
  if (p.hang)
    return MHD_NO; /* drop the connection without an answer */
  if (p.delay_ms) {
    struct timespec ts = {p.delay_ms / 1000, (p.delay_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
  }
  struct MHD_Response *resp = MHD_create_response_from_buffer(
    p.body_len ? p.body_len : strlen(p.body), (void *) p.body, MHD_RESPMEM_MUST_COPY);
  MHD_add_response_header(resp, "Content-Type", p.content_type ? p.content_type : "application/x-protobuf");
  if (p.retry_after)
    MHD_add_response_header(resp, "Retry-After", p.retry_after);
  enum MHD_Result ret = MHD_queue_response(c, (unsigned) p.status, resp);
  MHD_destroy_response(resp);
  return ret;
}

static void
completed(void *cls, struct MHD_Connection *c, void **state, enum MHD_RequestTerminationCode code)
{
  upload *u = *state;
  if (u) {
    free(u->data);
    free(u);
  }
  *state = NULL;
}

receiver *
receiver_start(int port)
{
  receiver *r = calloc(1, sizeof *r);
  pthread_mutex_init(&r->lock, NULL);
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t) port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  r->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION,
                               (uint16_t) port, NULL, NULL, handle, r, MHD_OPTION_SOCK_ADDR, &addr,
                               MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
                               MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
  if (!r->daemon) {
    free(r);
    return NULL;
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(r->daemon, MHD_DAEMON_INFO_BIND_PORT);
  r->port = info ? info->port : port;
  return r;
}

int
receiver_port(const receiver *r)
{
  return r->port;
}

void
receiver_plan(receiver *r, planned_response response)
{
  pthread_mutex_lock(&r->lock);
  if (r->planned < MAX_PLANNED)
    r->plan[r->planned++] = response;
  pthread_mutex_unlock(&r->lock);
}

size_t
receiver_count(receiver *r)
{
  pthread_mutex_lock(&r->lock);
  size_t n = r->received;
  pthread_mutex_unlock(&r->lock);
  return n;
}

const received_request *
receiver_request(receiver *r, size_t i)
{
  return i < r->received ? &r->got[i] : NULL;
}

void
receiver_stop(receiver *r)
{
  if (!r)
    return;
  r->stopping = 1;
  MHD_stop_daemon(r->daemon);
  for (size_t i = 0; i < r->received; i++)
    free(r->got[i].body);
  pthread_mutex_destroy(&r->lock);
  free(r);
}
