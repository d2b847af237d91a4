/* bench/receiver: spans per second the embedded OTLP/HTTP receiver
 * accepts over loopback, decoded into its window.
 *
 * Two client threads, each on one keep-alive connection, POST batches of
 * 512 standard spans (bench/standard-spans.h) as protobuf, in three
 * phases, each with a new receiver: plain, gzip, and plain while a third
 * thread does what `watch' does every interval (a snapshot of the
 * service's spans since the start, here every 100 ms).  The clients, the
 * receiver and the watcher share the machine's cores, as they do in the
 * issue's comparison.  Figures are wall-clock; on a shared machine they
 * vary from run to run.
 *
 *   bench/receiver [--requests N] [--max-memory MIB]
 *
 * N requests per connection and phase (default 1000).  After each phase
 * every span answered 200 must be held, expired or dropped for the
 * memory bound (counted); `lost' is what is not.  Resident memory is
 * read from /proc after each phase.
 *
 * The last line is JSON: {"bench":"receiver","spans_per_s":…,
 * "gzip_spans_per_s":…,"watch_spans_per_s":…,"spans_per_cpu_s":…,
 * "accepted":…,"lost":…,"max_rss_bytes":…,"max_memory":…}; spans_per_s
 * is the plain phase's wall-clock rate, spans_per_cpu_s the same spans
 * over the CPU time of the whole process (clients included), the figure
 * that other load on the machine changes least. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <zlib.h>

#include "deploy-ledger/deploy-ledger.h"
#include "http-client.h"
#include "standard-spans.h"

#define BATCH 512

typedef struct client {
  int port, requests;
  const char *body;
  size_t len;
  const char *encoding;
  uint64_t spans_ok, failed;
} client;

typedef struct watcher {
  dl_receiver *r;
  int64_t since;
  volatile int stop;
  int evaluations;
  size_t last_count;
} watcher;

static double
now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* CPU seconds of the whole process (clients, receiver, watcher). */
static double
cpu_s(void)
{
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (double) u.ru_utime.tv_sec + (double) u.ru_utime.tv_usec / 1e6 +
         (double) u.ru_stime.tv_sec + (double) u.ru_stime.tv_usec / 1e6;
}

static size_t
rss_bytes(void)
{
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  size_t kb = 0;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "VmRSS: %zu kB", &kb) == 1)
      break;
  if (f)
    fclose(f);
  return kb * 1024;
}

static void *
run_client(void *p)
{
  client *c = p;
  int fd = http_connect(c->port);
  for (int i = 0; i < c->requests; i++) {
    http_answer a;
    if (fd < 0 || http_post(fd, "/v1/traces", "application/x-protobuf", c->encoding, NULL,
                            c->body, c->len, &a, 60000)) {
      c->failed++;
      if (fd >= 0)
        close(fd);
      fd = http_connect(c->port);
      continue;
    }
    if (a.status == 200)
      c->spans_ok += BATCH;
    else
      c->failed++;
    http_answer_free(&a);
  }
  if (fd >= 0)
    close(fd);
  return NULL;
}

static void *
run_watcher(void *p)
{
  watcher *w = p;
  while (!w->stop) {
    dl_trace_set *set;
    dl_error err;
    if (dl_receiver_snapshot(w->r, w->since, "checkout", &set, &err) == DL_OK) {
      w->last_count = dl_trace_set_count(set);
      dl_trace_set_free(set);
      w->evaluations++;
    }
    struct timespec ts = {0, 100 * 1000000L};
    nanosleep(&ts, NULL);
  }
  return NULL;
}

typedef struct phase_result {
  double spans_per_s, spans_per_cpu_s;
  uint64_t accepted, lost;
  size_t rss;
} phase_result;

static phase_result
run_phase(const char *name, const char *body, size_t len, const char *encoding, int requests,
          size_t max_memory, int with_watch)
{
  phase_result res = {0};
  dl_receiver_options o;
  dl_receiver_options_init(&o);
  o.listen = "127.0.0.1:0";
  o.window = INT64_C(3600) * 1000000000;
  o.max_memory = max_memory;
  dl_receiver *r;
  dl_error err;
  if (dl_receiver_start(&o, &r, &err)) {
    fprintf(stderr, "bench/receiver: %s\n", err.text);
    exit(1);
  }
  client c[2];
  for (int i = 0; i < 2; i++)
    c[i] = (client){dl_receiver_port(r), requests, body, len, encoding, 0, 0};
  watcher w = {r, dl_time_now() - INT64_C(60) * 1000000000, 0, 0, 0};
  pthread_t t[2], wt;
  double t0 = now_s(), c0 = cpu_s();
  if (with_watch)
    pthread_create(&wt, NULL, run_watcher, &w);
  for (int i = 0; i < 2; i++)
    pthread_create(&t[i], NULL, run_client, &c[i]);
  for (int i = 0; i < 2; i++)
    pthread_join(t[i], NULL);
  double elapsed = now_s() - t0, cpu = cpu_s() - c0;
  if (with_watch) {
    w.stop = 1;
    pthread_join(wt, NULL);
  }
  dl_receiver_stats s;
  dl_receiver_stats_get(r, &s);
  uint64_t ok = c[0].spans_ok + c[1].spans_ok;
  uint64_t kept = s.spans_held + s.spans_expired + s.spans_dropped;
  res.accepted = s.spans_accepted;
  res.lost = ok > kept ? ok - kept : 0;
  res.spans_per_s = (double) s.spans_accepted / elapsed;
  res.spans_per_cpu_s = (double) s.spans_accepted / cpu;
  res.rss = rss_bytes();
  printf("%-23s %9.0f spans/s (%9.0f per CPU second)  %" PRIu64 " accepted in %.2f s, %" PRIu64 " dropped for "
         "--max-memory, %" PRIu64 " lost, %" PRIu64 " failed requests; store %.1f MiB, "
         "resident %.1f MiB",
         name, res.spans_per_s, res.spans_per_cpu_s, s.spans_accepted, elapsed, s.spans_dropped, res.lost,
         c[0].failed + c[1].failed, (double) s.memory / 1048576, (double) res.rss / 1048576);
  if (with_watch)
    printf("; %d snapshots, the last of %zu spans", w.evaluations, w.last_count);
  printf("\n");
  dl_receiver_stop(r);
  return res;
}

int
main(int argc, char **argv)
{
  int requests = 1000;
  size_t max_memory = (size_t) 256 << 20;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--requests") == 0 && i + 1 < argc)
      requests = atoi(argv[++i]);
    else if (strcmp(argv[i], "--max-memory") == 0 && i + 1 < argc)
      max_memory = (size_t) atol(argv[++i]) << 20;
    else {
      fprintf(stderr, "usage: bench/receiver [--requests N] [--max-memory MIB]\n");
      return 2;
    }
  }
  dl_arena a = DL_ARENA_INIT;
  dl_export_request req;
  standard_request(&a, BATCH, dl_time_now() - INT64_C(5) * 1000000000, &req);
  uint8_t *body;
  size_t len;
  dl_error err;
  if (dl_otlp_encode_protobuf(&req, &body, &len, &err)) {
    fprintf(stderr, "bench/receiver: %s\n", err.text);
    return 1;
  }
  dl_arena_free(&a);
  uLongf gz_cap = compressBound(len) + 64, gz_len;
  unsigned char *gz = malloc(gz_cap);
  z_stream z;
  memset(&z, 0, sizeof z);
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  z.next_in = body;
  z.avail_in = (uInt) len;
  z.next_out = gz;
  z.avail_out = (uInt) gz_cap;
  deflate(&z, Z_FINISH);
  gz_len = z.total_out;
  deflateEnd(&z);
  printf("bench/receiver: 2 connections x %d requests of %d spans (%zu bytes, %lu gzip), "
         "--max-memory %zu MiB\n",
         requests, BATCH, len, (unsigned long) gz_len, max_memory >> 20);
  phase_result plain = run_phase("protobuf", (char *) body, len, NULL, requests, max_memory, 0);
  phase_result zipped =
    run_phase("protobuf+gzip", (char *) gz, gz_len, "gzip", requests, max_memory, 0);
  phase_result watched =
    run_phase("protobuf, watch running", (char *) body, len, NULL, requests, max_memory, 1);
  size_t rss = plain.rss > zipped.rss ? plain.rss : zipped.rss;
  if (watched.rss > rss)
    rss = watched.rss;
  printf("{\"bench\":\"receiver\",\"spans_per_s\":%.0f,\"gzip_spans_per_s\":%.0f,"
         "\"watch_spans_per_s\":%.0f,\"spans_per_cpu_s\":%.0f,\"accepted\":%" PRIu64 ",\"lost\":%" PRIu64
         ",\"max_rss_bytes\":%zu,\"max_memory\":%zu}\n",
         plain.spans_per_s, zipped.spans_per_s, watched.spans_per_s, plain.spans_per_cpu_s,
         plain.accepted + zipped.accepted + watched.accepted,
         plain.lost + zipped.lost + watched.lost, rss, max_memory);
  free(body);
  free(gz);
  return 0;
}
