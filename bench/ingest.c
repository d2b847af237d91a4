/* bench/ingest: decoding speed of OTLP protobuf, OTLP JSON and Jaeger JSON
   into the trace set, and the resident cost of a span.
 *
 * Writes generated files of the standard span shape (resource
 * service.name, service.version, deployment.environment.name; span "GET
 * /api/orders", SERVER, attributes http.request.method, http.route,
 * http.response.status_code (int), server.address, cloud.region,
 * deployment.id; a status) into a temporary directory, reads each whole,
 * and times the decoder on the bytes in memory: best of 3 runs, in CPU
 * time of the decoding thread (one core), so that other load on a shared
 * machine does not count.
 *
 *   bench/ingest [--spans N] [--keep-files]
 *
 * The last line is JSON:
 * {"bench":"ingest","protobuf_spans_per_s":…,"json_spans_per_s":…,
 *  "jaeger_spans_per_s":…,"resident_bytes_per_span":…} */
#include <inttypes.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deploy-ledger/deploy-ledger.h"
#include "pb-writer.h"

#define BATCH 100 /* spans per ResourceSpans / per Jaeger trace group */

/* Bytes being written: the protobuf writer's buffer, for JSON too. */
typedef pb_buf out;

static void
putf(out *o, const char *fmt, ...) DL_PRINTF(2, 3);

static void
putf(out *o, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  pb_reserve(o, (size_t) n + 1);
  va_start(ap, fmt);
  vsnprintf((char *) o->b + o->n, o->cap - o->n, fmt, ap);
  va_end(ap);
  o->n += (size_t) n;
}

/* ---- the standard span, deterministic per index ---- */

static const char *services[] = {"orders", "payments", "cart", "checkout"};
static const char *regions[] = {"eu-west-1", "us-east-1", "ap-south-1"};

typedef struct std_span {
  uint8_t trace_id[16], span_id[8], parent_id[8];
  int has_parent;
  uint64_t start, end;
  int status_code; /* 200 or 503 */
  int error;
  const char *region;
} std_span;

static uint64_t
mix(uint64_t x)
{
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

static void
make_span(size_t i, std_span *s)
{
  uint64_t t = mix(i / 8 + 1), u = mix(i / 8 + 7777), v = mix(i + 99);
  memcpy(s->trace_id, &t, 8);
  memcpy(s->trace_id + 8, &u, 8);
  memcpy(s->span_id, &v, 8);
  s->has_parent = i % 8 != 0;
  uint64_t p = mix(i + 98);
  memcpy(s->parent_id, &p, 8);
  s->start = 1700000000000000000ULL + (uint64_t) i * 1000000ULL;
  s->end = s->start + 1000000ULL + v % 250000000ULL;
  s->error = i % 100 == 7;
  s->status_code = s->error ? 503 : 200;
  s->region = regions[i % 3];
}

static void
write_protobuf(out *o, size_t n)
{
  for (size_t first = 0; first < n; first += BATCH) {
    out rs = {0}, res = {0}, ss = {0};
    const char *svc = services[(first / BATCH) % 4];
    pb_kv_string(&res, 1, "service.name", svc);
    pb_kv_string(&res, 1, "service.version", "1.4.2");
    pb_kv_string(&res, 1, "deployment.environment.name", "production");
    pb_message(&rs, 1, &res);
    for (size_t i = first; i < n && i < first + BATCH; i++) {
      std_span s;
      make_span(i, &s);
      out sp = {0}, st = {0};
      pb_bytes(&sp, 1, s.trace_id, 16);
      pb_bytes(&sp, 2, s.span_id, 8);
      if (s.has_parent)
        pb_bytes(&sp, 4, s.parent_id, 8);
      pb_string(&sp, 5, "GET /api/orders");
      pb_tag(&sp, 6, PB_VARINT);
      pb_varint(&sp, 2);
      pb_fixed64(&sp, 7, s.start);
      pb_fixed64(&sp, 8, s.end);
      pb_kv_string(&sp, 9, "http.request.method", "GET");
      pb_kv_string(&sp, 9, "http.route", "/api/orders");
      pb_kv_int(&sp, 9, "http.response.status_code", s.status_code);
      pb_kv_string(&sp, 9, "server.address", "orders.example.com");
      pb_kv_string(&sp, 9, "cloud.region", s.region);
      pb_kv_string(&sp, 9, "deployment.id", "deploy-20240115-1");
      pb_tag(&st, 3, PB_VARINT);
      pb_varint(&st, s.error ? 2 : 1);
      pb_message(&sp, 15, &st);
      pb_message(&ss, 2, &sp);
      pb_free(&sp);
      pb_free(&st);
    }
    pb_message(&rs, 2, &ss);
    pb_message(o, 1, &rs);
    pb_free(&rs);
    pb_free(&res);
    pb_free(&ss);
  }
}

static const char *
hexs(const uint8_t *b, size_t n, char *buf)
{
  return dl_hex_encode(b, n, buf);
}

/* OTLP JSON Lines, compact, as the collector's file exporter writes. */
static void
write_otlp_json(out *o, size_t n)
{
  char t[33], s[17], p[17];
  for (size_t first = 0; first < n; first += BATCH) {
    const char *svc = services[(first / BATCH) % 4];
    putf(o, "{\"resourceSpans\":[{\"resource\":{\"attributes\":["
            "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"%s\"}},"
            "{\"key\":\"service.version\",\"value\":{\"stringValue\":\"1.4.2\"}},"
            "{\"key\":\"deployment.environment.name\",\"value\":{\"stringValue\":\"production\"}}]},"
            "\"scopeSpans\":[{\"scope\":{},\"spans\":[",
         svc);
    for (size_t i = first; i < n && i < first + BATCH; i++) {
      std_span x;
      make_span(i, &x);
      putf(o,
           "%s{\"traceId\":\"%s\",\"spanId\":\"%s\",\"parentSpanId\":\"%s\",\"name\":\"GET /api/orders\","
           "\"kind\":2,\"startTimeUnixNano\":\"%" PRIu64 "\",\"endTimeUnixNano\":\"%" PRIu64 "\","
           "\"attributes\":[{\"key\":\"http.request.method\",\"value\":{\"stringValue\":\"GET\"}},"
           "{\"key\":\"http.route\",\"value\":{\"stringValue\":\"/api/orders\"}},"
           "{\"key\":\"http.response.status_code\",\"value\":{\"intValue\":\"%d\"}},"
           "{\"key\":\"server.address\",\"value\":{\"stringValue\":\"orders.example.com\"}},"
           "{\"key\":\"cloud.region\",\"value\":{\"stringValue\":\"%s\"}},"
           "{\"key\":\"deployment.id\",\"value\":{\"stringValue\":\"deploy-20240115-1\"}}],"
           "\"status\":{\"code\":%d}}",
           i == first ? "" : ",", hexs(x.trace_id, 16, t), hexs(x.span_id, 8, s),
           x.has_parent ? hexs(x.parent_id, 8, p) : "", x.start, x.end, x.status_code, x.region,
           x.error ? 2 : 1);
    }
    putf(o, "]}]}]}\n");
  }
}

/* Jaeger query API response: {"data": [trace...]}. */
static void
write_jaeger(out *o, size_t n)
{
  char t[33], s[17], p[17];
  putf(o, "{\"data\":[");
  for (size_t first = 0; first < n; first += BATCH) {
    const char *svc = services[(first / BATCH) % 4];
    std_span x;
    make_span(first, &x);
    putf(o, "%s{\"traceID\":\"%s\",\"spans\":[", first ? "," : "", hexs(x.trace_id, 16, t));
    for (size_t i = first; i < n && i < first + BATCH; i++) {
      make_span(i, &x);
      putf(o,
           "%s{\"traceID\":\"%s\",\"spanID\":\"%s\",\"operationName\":\"GET /api/orders\","
           "\"references\":[%s%s%s%s%s],\"startTime\":%" PRIu64 ",\"duration\":%" PRIu64 ","
           "\"tags\":[{\"key\":\"span.kind\",\"type\":\"string\",\"value\":\"server\"},"
           "{\"key\":\"http.request.method\",\"type\":\"string\",\"value\":\"GET\"},"
           "{\"key\":\"http.route\",\"type\":\"string\",\"value\":\"/api/orders\"},"
           "{\"key\":\"http.response.status_code\",\"type\":\"int64\",\"value\":%d},"
           "{\"key\":\"server.address\",\"type\":\"string\",\"value\":\"orders.example.com\"},"
           "{\"key\":\"cloud.region\",\"type\":\"string\",\"value\":\"%s\"},"
           "{\"key\":\"deployment.id\",\"type\":\"string\",\"value\":\"deploy-20240115-1\"},"
           "{\"key\":\"otel.status_code\",\"type\":\"string\",\"value\":\"%s\"}],"
           "\"logs\":[],\"processID\":\"p1\",\"warnings\":null}",
           i == first ? "" : ",", hexs(x.trace_id, 16, t), hexs(x.span_id, 8, s),
           x.has_parent ? "{\"refType\":\"CHILD_OF\",\"traceID\":\"" : "",
           x.has_parent ? t : "", x.has_parent ? "\",\"spanID\":\"" : "",
           x.has_parent ? hexs(x.parent_id, 8, p) : "", x.has_parent ? "\"}" : "", x.start / 1000,
           (x.end - x.start) / 1000, x.status_code, x.region, x.error ? "ERROR" : "OK");
    }
    putf(o, "],\"processes\":{\"p1\":{\"serviceName\":\"%s\",\"tags\":["
            "{\"key\":\"service.version\",\"type\":\"string\",\"value\":\"1.4.2\"},"
            "{\"key\":\"deployment.environment.name\",\"type\":\"string\",\"value\":\"production\"}]}},"
            "\"warnings\":null}",
         svc);
  }
  putf(o, "],\"total\":0,\"limit\":0,\"offset\":0,\"errors\":null}\n");
}

/* ---- measuring ---- */

static double
now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static long
resident_bytes(void)
{
  FILE *f = fopen("/proc/self/statm", "r");
  long pages = 0, rss = 0;
  if (f) {
    if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
      rss = 0;
    fclose(f);
  }
  return rss * sysconf(_SC_PAGESIZE);
}

typedef int (*decoder)(dl_trace_set *, const void *, size_t, const char *,
                       const dl_ingest_options *, dl_ingest_stats *, dl_error *);

/* Writes DATA to DIR/NAME, reads it back, decodes it 3 times; returns the
   best spans per second. */
static double
time_decoder(const char *dir, const char *name, const out *data, decoder dec, size_t n,
             int keep)
{
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data->b, 1, data->n, f) != data->n || fclose(f) != 0) {
    fprintf(stderr, "bench/ingest: cannot write %s\n", path);
    exit(1);
  }
  void *bytes;
  size_t len;
  dl_error err;
  if (dl_read_file(path, (size_t) 1 << 34, &bytes, &len, &err)) {
    fprintf(stderr, "bench/ingest: %s\n", err.text);
    exit(1);
  }
  double best = 1e30;
  for (int run = 0; run < 3; run++) {
    dl_trace_set *set = dl_trace_set_new();
    double t0 = now();
    int rc = dec(set, bytes, len, path, NULL, NULL, &err);
    double t = now() - t0;
    if (rc || dl_trace_set_count(set) != n) {
      fprintf(stderr, "bench/ingest: %s: %s (%zu spans)\n", name, rc ? err.text : "wrong count",
              dl_trace_set_count(set));
      exit(1);
    }
    if (t < best)
      best = t;
    dl_trace_set_free(set);
  }
  free(bytes);
  if (!keep)
    unlink(path);
  double rate = (double) n / best;
  printf("%-14s %9zu spans  %8.1f MB  %7.3f s  %12.0f spans/s  %7.1f MB/s\n", name, n,
         (double) len / 1e6, best, rate, (double) len / 1e6 / best);
  return rate;
}

/* Resident growth of a trace set of N protobuf spans, per span. */
static double
resident_per_span(const out *pb, size_t n, double *allocated)
{
  dl_trace_set *set = dl_trace_set_new();
  dl_error err;
  malloc_trim(0);
  long before = resident_bytes();
  if (dl_decode_otlp_protobuf(set, pb->b, pb->n, "resident", NULL, NULL, &err)) {
    fprintf(stderr, "bench/ingest: %s\n", err.text);
    exit(1);
  }
  long after = resident_bytes();
  *allocated = (double) dl_trace_set_memory(set) / (double) n;
  dl_trace_set_free(set);
  return (double) (after - before) / (double) n;
}

int
main(int argc, char **argv)
{
  size_t n = 1000000;
  int keep = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--spans") == 0 && i + 1 < argc)
      n = strtoul(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--keep-files") == 0)
      keep = 1;
    else {
      fprintf(stderr, "usage: bench/ingest [--spans N] [--keep-files]\n");
      return 2;
    }
  }
  if (n < BATCH)
    n = BATCH;
  /* jansson is slow: the Jaeger file is a fifth of the others. */
  size_t n_jaeger = n / 5 < BATCH ? BATCH : n / 5 / BATCH * BATCH;
  char dir[] = "/tmp/dl-bench-ingest-XXXXXX";
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 1;
  }
  out pb = {0}, js = {0}, jg = {0};
  write_protobuf(&pb, n);
  /* Resident cost first, on a heap with nothing freed to reuse. */
  double allocated;
  double resident = resident_per_span(&pb, n, &allocated);
  write_otlp_json(&js, n);
  write_jaeger(&jg, n_jaeger);
  printf("bench/ingest: standard span shape, files in %s%s\n", dir, keep ? "" : " (removed)");
  printf("%-14s %9s        %8s     %7s    %12s\n", "format", "spans", "size", "best of 3", "rate");
  double pb_rate = time_decoder(dir, "traces.pb", &pb, dl_decode_otlp_protobuf, n, keep);
  double js_rate = time_decoder(dir, "traces.jsonl", &js, dl_decode_otlp_json, n, keep);
  double jg_rate = time_decoder(dir, "jaeger.json", &jg, dl_decode_jaeger_json, n_jaeger, keep);
  free(js.b);
  free(jg.b);
  free(pb.b);
  if (!keep)
    rmdir(dir);
  printf("resident: %.1f bytes per span (allocated by the set: %.1f) for %zu spans\n", resident,
         allocated, n);
  printf("{\"bench\":\"ingest\",\"protobuf_spans_per_s\":%.0f,\"json_spans_per_s\":%.0f,"
         "\"jaeger_spans_per_s\":%.0f,\"resident_bytes_per_span\":%.1f}\n",
         pb_rate, js_rate, jg_rate, resident);
  return 0;
}
