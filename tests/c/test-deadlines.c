/* The HTTP client and the trace sources against hostile peers
   (tests/lib/hostile-peer): the total deadline across probes, slices and
   retries; the low-speed limit; absurd Retry-After; answers capped by
   what they can hold; gzip bodies no larger than the limit; and the
   streaming scan of services lists and search answers.  Elapsed times
   are checked only against generous guards (three times the deadline):
   what proves the cause is the error's text. */
#define _GNU_SOURCE
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "deploy-ledger/deploy-ledger.h"
#include "deploy-ledger/sources.h"
#include "sources/fetch.h"
#include "tap.h"

extern char **environ;

static char dir[] = "/tmp/dl-deadlines-XXXXXX";
static pid_t peer;

static double
now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
stop_peer(void)
{
  if (peer > 0) {
    kill(peer, SIGTERM);
    waitpid(peer, NULL, 0);
    peer = 0;
  }
}

/* Starts the peer in MODE; its base URL into URL. */
static int
start_peer(const char *mode, char *url, size_t size)
{
  stop_peer();
  const char *top = getenv("abs_top_builddir");
  char bin[4096], port_file[256];
  snprintf(bin, sizeof bin, "%s/tests/lib/hostile-peer", top ? top : ".");
  snprintf(port_file, sizeof port_file, "%s/port-%s", dir, mode);
  char *argv[] = {bin, (char *) mode, port_file, NULL};
  if (posix_spawn(&peer, bin, NULL, NULL, argv, environ) != 0)
    return -1;
  for (int i = 0; i < 1000; i++) {
    FILE *f = fopen(port_file, "r");
    int port = 0;
    if (f) {
      int got = fscanf(f, "%d", &port);
      fclose(f);
      if (got == 1 && port > 0) {
        snprintf(url, size, "http://127.0.0.1:%d", port);
        return 0;
      }
    }
    usleep(10000);
  }
  return -1;
}

static void
query(dl_trace_query *q, const char *url)
{
  dl_trace_query_init(q);
  q->url = url;
  q->service = "checkout";
  q->start = 1700000000000000000LL;
  q->end = q->start + 3 * 3600LL * 1000000000LL; /* three slices */
}

static void
test_total_deadline(void)
{
  char url[64];
  if (start_peer("hang", url, sizeof url)) {
    tap_skip(6, "the hostile peer did not start");
    return;
  }
  dl_trace_query q;
  query(&q, url);
  dl_http_options h;
  dl_http_options_init(&h);
  h.total_ms = 1500;
  h.deadline_ms = 1500;
  h.retries = 10;
  h.deadline_option = "--timeout";
  dl_trace_set *set = dl_trace_set_new();
  dl_fetch_stats st;
  dl_error err;
  double t0 = now_s();
  int rc = dl_jaeger_fetch(set, &q, &h, NULL, &st, &err);
  double spent = now_s() - t0;
  is_int(rc, DL_EHTTP, "Jaeger that never answers: the fetch fails");
  ok(strstr(err.text, "deadline of 1500 ms") && strstr(err.text, "--timeout"),
     "the error names the deadline and the option: %s", err.text);
  ok(spent < 4.5, "within three times the deadline, probes and retries included (%.1f s)", spent);
  ok(st.requests <= 2, "no attempt after the deadline: %zu requests", st.requests);
  rc = dl_tempo_fetch(set, &q, &h, NULL, &st, &err);
  ok(rc == DL_EHTTP && strstr(err.text, "deadline of 1500 ms"), "Tempo likewise: %s", err.text);
  is_int(dl_trace_set_count(set), 0, "nothing added");
  dl_trace_set_free(set);
}

static void
test_low_speed(void)
{
  char url[64];
  if (start_peer("trickle", url, sizeof url)) {
    tap_skip(3, "the hostile peer did not start");
    return;
  }
  dl_trace_query q;
  query(&q, url);
  q.api = DL_JAEGER_API_V1;
  dl_http_options h;
  dl_http_options_init(&h);
  h.total_ms = 60000;
  h.deadline_ms = 60000;
  h.retries = 0;
  h.low_speed_bytes = 16;
  h.low_speed_s = 2;
  dl_trace_set *set = dl_trace_set_new();
  dl_error err;
  double t0 = now_s();
  int rc = dl_jaeger_fetch(set, &q, &h, NULL, NULL, &err);
  double spent = now_s() - t0;
  is_int(rc, DL_EHTTP, "a server sending one byte a second fails the fetch");
  ok(strstr(err.text, "less than 16 bytes a second for 2 seconds")
       && strstr(err.text, "low-speed limit"), "cut off by the low-speed limit: %s", err.text);
  ok(spent < 20, "long before the 60 s deadline (%.1f s)", spent);
  dl_trace_set_free(set);
}

static void
test_retry_after(const char *mode)
{
  char url[64];
  if (start_peer(mode, url, sizeof url)) {
    tap_skip(2, "the hostile peer did not start");
    return;
  }
  dl_trace_query q;
  query(&q, url);
  dl_http_options h;
  dl_http_options_init(&h);
  h.total_ms = 10000;
  h.deadline_ms = 10000;
  h.retries = 5;
  dl_trace_set *set = dl_trace_set_new();
  dl_fetch_stats st;
  dl_error err;
  double t0 = now_s();
  int rc = dl_tempo_fetch(set, &q, &h, NULL, &st, &err);
  double spent = now_s() - t0;
  ok(rc == DL_EHTTP && strstr(err.text, "HTTP 429 after 1 attempt; the server asks to wait 86400 s")
       && strstr(err.text, "leaves no time for another"),
     "%s: one attempt, no wait past the deadline: %s", mode, err.text);
  ok(spent < 10 && st.requests == 1, "%s: given up at once (%zu request, %.1f s)", mode,
     st.requests, spent);
  dl_trace_set_free(set);
}

static void
test_capped_answers(void)
{
  char url[64];
  if (start_peer("huge", url, sizeof url)) {
    tap_skip(4, "the hostile peer did not start");
    return;
  }
  dl_http_options h;
  dl_http_options_init(&h);
  char **names;
  size_t n;
  dl_error err;
  int rc = dl_jaeger_services(url, DL_JAEGER_API_V1, &h, &names, &n, &err);
  ok(rc == DL_ERANGE && strstr(err.text, "larger than 16777216 bytes, more than a list of "
                                          "services can hold"),
     "a services list without end is refused at its cap: %s", err.text);
  dl_trace_set *set = dl_trace_set_new();
  h.max_bytes = (size_t) 4 << 20;
  h.max_bytes_option = "--max-input";
  dl_ingest_options ing;
  dl_ingest_options_init(&ing);
  ing.max_bytes = h.max_bytes;
  rc = dl_load_url(set, url, &h, &ing, NULL, &err);
  ok(rc == DL_ERANGE && strstr(err.text, "larger than the limit of 4194304 bytes (raise it "
                                          "with --max-input)"),
     "a trace document without end stops at max_bytes, naming the option: %s", err.text);
  if (start_peer("gzip-bomb", url, sizeof url)) {
    tap_skip(2, "the hostile peer did not start");
    dl_trace_set_free(set);
    return;
  }
  rc = dl_load_url(set, url, &h, &ing, NULL, &err);
  ok(rc == DL_ERANGE && strstr(err.text, "larger than the limit of 4194304 bytes"),
     "a gzip bomb is inflated no further than max_bytes: %s", err.text);
  if (start_peer("garbage", url, sizeof url)) {
    tap_skip(1, "the hostile peer did not start");
    dl_trace_set_free(set);
    return;
  }
  rc = dl_load_url(set, url, &h, &ing, NULL, &err);
  ok(rc == DL_EPARSE && strstr(err.text, "127.0.0.1"), "garbage fails naming the URL: %s",
     err.text);
  dl_trace_set_free(set);
}

static void
test_name_list(void)
{
  const char *doc = "{\"total\": 3, \"data\": [\"b\", \"a\\u00e9\", \"c\"], \"errors\": null}";
  char **names;
  size_t n;
  dl_error err;
  int rc = dl_fetch_name_list(doc, strlen(doc), "services", "data", 10, &names, &n, &err);
  ok(rc == DL_OK && n == 3 && strcmp(names[1], "a\xc3\xa9") == 0,
     "the names of {\"data\": [...]}, escapes decoded");
  if (rc == DL_OK)
    dl_string_list_free(names, n);
  rc = dl_fetch_name_list(doc, strlen(doc), "services", "data", 2, &names, &n, &err);
  ok(rc == DL_ERANGE && strstr(err.text, "more than 2 names"), "more names than the cap: %s",
     err.text);
  rc = dl_fetch_name_list(doc, strlen(doc), "services", "services", 10, &names, &n, &err);
  ok(rc == DL_EPARSE && strstr(err.text, "no \"services\" list"), "a missing list: %s",
     err.text);
  const char *bad = "{\"data\": [\"a\", 3]}";
  rc = dl_fetch_name_list(bad, strlen(bad), "services", "data", 10, &names, &n, &err);
  ok(rc == DL_EPARSE && strstr(err.text, "$.data[1]"), "a number among the names: %s",
     err.text);
  rc = dl_fetch_name_list(bad, 12, "services", "data", 10, NULL, NULL, &err);
  ok(rc == DL_EPARSE && strstr(err.text, "services:1:"), "a truncated answer: %s", err.text);
}

int
main(void)
{
  if (!mkdtemp(dir)) {
    printf("1..0 # SKIP no temporary directory\n");
    return 0;
  }
  signal(SIGPIPE, SIG_IGN);
  test_name_list();
  test_total_deadline();
  test_low_speed();
  test_retry_after("retry-after");
  test_retry_after("retry-date");
  test_capped_answers();
  stop_peer();
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0)
    tap_diag("could not remove %s", dir);
  return tap_done();
}
