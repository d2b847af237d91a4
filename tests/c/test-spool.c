/* The export spool's dead letters: ids never shared with the spool (so an
   item refused twice never collides), attempt counts that add up the
   requests each item cost, requeue and purge (all or nothing), and the
   lenient reading of the OTEL_* variables that the deploy path uses.
   On SQLite files, or on PostgreSQL when DL_TEST_PG names a server
   (tests/shell/ledger-postgres.sh). */
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deploy-ledger/exporter.h"
#include "deploy-ledger/ledger.h"
#include "deploy-ledger/time.h"
#include "ledger-location.h"

static char dir[] = "/tmp/dl-spool-XXXXXX";

static size_t
count(dl_ledger *l, int dead)
{
  dl_spool_entry *e;
  size_t n = 0;
  if (dl_ledger_spool_list(l, dead, &e, &n, NULL))
    return (size_t) -1;
  dl_spool_entries_free(e, n);
  return n;
}

/* The id of the newest pending item. */
static int64_t
newest(dl_ledger *l)
{
  dl_spool_entry *e;
  size_t n = 0;
  int64_t id = -1;
  if (dl_ledger_spool_list(l, 0, &e, &n, NULL) == DL_OK && n)
    id = e[n - 1].id;
  dl_spool_entries_free(e, n);
  return id;
}

static void
test_dead_letters(void)
{
  dl_ledger *l;
  dl_error err;
  ok(dl_ledger_open_flags(dl_test_ledger_location(dir, "spool"), DL_LEDGER_CREATE, &l, &err)
       == DL_OK, "a new ledger: %s", err.text);
  dl_deployment *d = dl_deployment_new();
  if (!d || dl_deployment_set_string(&d->service, "checkout")
      || dl_deployment_set_string(&d->version, "v1") || dl_deployment_set_string(&d->environment, "production"))
    abort();
  d->started = dl_time_now();
  ok(dl_ledger_record(l, d, NULL, NULL, 0, &err) == DL_OK, "a deployment: %s", err.text);
  dl_spool_item item = {"abc", 3, 2, "application/x-protobuf"};

  /* Refused once after 3 requests: a dead letter with 3 attempts. */
  ok(dl_ledger_spool_add(l, d->id, &item, 1, &err) == DL_OK, "spooled");
  int64_t first = newest(l);
  ok(dl_ledger_spool_retry_later(l, first, 2, DL_TIME_NONE, "503", &err) == DL_OK,
     "two requests failed for now");
  dl_refusal why = {1, 401, -1, "\\xff expired", "HTTP 401: expired key"};
  ok(dl_ledger_spool_dead_letter(l, first, &why, &err) == DL_OK, "then a 401");
  /* The next item must not take the dead letter's id, which SQLite would
     give it (the spool's highest row is gone): its own refusal would
     then collide. */
  ok(dl_ledger_spool_add(l, d->id, &item, 1, &err) == DL_OK, "another item");
  int64_t second = newest(l);
  ok(second > first, "with a new id (%lld after %lld)", (long long) second, (long long) first);
  dl_refusal grpc = {1, 200, 3, "", "gRPC INVALID_ARGUMENT (3): bad spans"};
  ok(dl_ledger_spool_dead_letter(l, second, &grpc, &err) == DL_OK,
     "refused in turn: no collision: %s", err.text);
  dl_spool_entry *e;
  size_t n;
  ok(dl_ledger_spool_list(l, 1, &e, &n, &err) == DL_OK && n == 2, "two dead letters");
  if (n == 2) {
    ok(e[0].id == first && e[0].attempts == 3 && e[0].http_status == 401 && e[0].grpc_status == -1
         && strcmp(e[0].response_body, "\\xff expired") == 0 && e[0].span_count == 2,
       "the first: 3 attempts, HTTP 401, its escaped body");
    ok(e[1].id == second && e[1].attempts == 1 && e[1].grpc_status == 3,
       "the second: 1 attempt, gRPC status 3");
  }
  dl_spool_entries_free(e, n);

  /* Requeue: all or nothing. */
  int64_t ids[] = {second, 424242};
  size_t moved = 99;
  ok(dl_ledger_spool_requeue(l, ids, 2, &moved, &err) == DL_ENOTFOUND
       && strstr(err.text, "no dead letter 424242") && moved == 99,
     "an unknown id: DL_ENOTFOUND naming it: %s", err.text);
  ok(count(l, 1) == 2 && count(l, 0) == 0, "and nothing moved");
  ok(dl_ledger_spool_requeue(l, ids, 1, &moved, &err) == DL_OK && moved == 1, "requeue one");
  ok(dl_ledger_spool_list(l, 0, &e, &n, &err) == DL_OK && n == 1 && e[0].id == second
       && e[0].attempts == 1 && e[0].next_attempt == DL_TIME_NONE
       && strcmp(e[0].last_error, "requeued after: gRPC INVALID_ARGUMENT (3): bad spans") == 0
       && e[0].size == 3 && memcmp(e[0].payload, "abc", 3) == 0,
     "back in the spool with its id, attempts, payload, due at once, the refusal as its error");
  dl_spool_entries_free(e, n);
  ok(dl_ledger_spool_pending(l, 0, dl_time_now(), &e, &n, NULL) == DL_OK && n == 1,
     "and due for the next flush");
  dl_spool_entries_free(e, n);

  /* A copy of the ledger (deploy-ledger migrate) keeps the dead letter as
     it is, and the copy's next item takes an id past it. */
  dl_ledger *copy;
  ok(dl_ledger_open_flags(dl_test_ledger_location(dir, "spool_copy"), DL_LEDGER_CREATE, &copy,
                          &err) == DL_OK
       && dl_ledger_copy(l, copy, 0, NULL, &err) == DL_OK,
     "the ledger copied: %s", err.text);
  ok(dl_ledger_spool_list(copy, 1, &e, &n, &err) == DL_OK && n == 1 && e[0].id == first
       && e[0].attempts == 3 && e[0].http_status == 401 && e[0].grpc_status == -1,
     "the copy's dead letter: same id, attempts and status");
  dl_spool_entries_free(e, n);
  ok(dl_ledger_spool_add(copy, d->id, &item, 1, &err) == DL_OK && newest(copy) > second,
     "the copy's next item takes an id past every copied one");
  int64_t all[] = {first};
  ok(dl_ledger_spool_requeue(copy, all, 1, &moved, &err) == DL_OK && moved == 1,
     "and its dead letter can be requeued beside it: %s", err.text);
  dl_ledger_close(copy);

  /* Purge: dead letters only. */
  size_t deleted = 99;
  ok(dl_ledger_spool_purge(l, ids, 1, &deleted, &err) == DL_ENOTFOUND && deleted == 99,
     "purging an item that is pending, not dead: refused: %s", err.text);
  ok(dl_ledger_spool_purge(l, NULL, 0, &deleted, &err) == DL_OK && deleted == 1,
     "purge all the dead letters: one");
  ok(count(l, 1) == 0 && count(l, 0) == 1, "dead letters gone, the pending item kept");
  ok(dl_ledger_spool_requeue(l, NULL, 0, &moved, &err) == DL_OK && moved == 0,
     "requeue with no dead letter: nothing, no error");
  dl_deployment_free(d);
  dl_ledger_close(l);
}

static void
test_lenient_env(void)
{
  setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318", 1);
  setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json", 1);
  setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd", 1);
  setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "ten", 1);
  setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=s3cret,broken", 1);
  setenv("OTEL_RESOURCE_ATTRIBUTES", "team=core", 1);
  dl_exporter_config c;
  int configured;
  dl_error problems[DL_EXPORTER_MAX_PROBLEMS], err;
  size_t n = 0;
  ok(dl_exporter_config_from_env(&c, &configured, &err) == DL_EINVAL,
     "strictly read, the environment fails: %s", err.text);
  ok(dl_exporter_config_from_env_lenient(&c, &configured, problems, DL_EXPORTER_MAX_PROBLEMS, &n,
                                         &err) == DL_OK && configured,
     "leniently read, it does not");
  ok(n == 3, "three variables left out: %zu", n);
  if (n == 3) {
    ok(strstr(problems[0].text, "OTEL_EXPORTER_OTLP_TIMEOUT") && strstr(problems[0].text, "\"ten\""),
       "the timeout, its value shown: %s", problems[0].text);
    ok(strstr(problems[1].text, "OTEL_EXPORTER_OTLP_COMPRESSION") && strstr(problems[1].text, "zstd"),
       "the compression: %s", problems[1].text);
    ok(strstr(problems[2].text, "OTEL_EXPORTER_OTLP_HEADERS") && !strstr(problems[2].text, "s3cret"),
       "the headers, whose values are never shown: %s", problems[2].text);
  }
  ok(strcmp(c.endpoint, "http://collector:4318/v1/traces") == 0 && c.protocol == DL_PROTOCOL_JSON
       && c.timeout_ms == 10000 && !c.gzip && c.n_headers == 0 && c.n_resource == 1,
     "the usable settings kept, the others at their defaults, the headers not half taken");
  dl_exporter_config_clear(&c);
  setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc", 1);
  unsetenv("OTEL_EXPORTER_OTLP_ENDPOINT");
  ok(dl_exporter_config_from_env_lenient(&c, &configured, problems, 1, &n, &err) == DL_OK
       && n == 3 && strstr(problems[0].text, "TIMEOUT") && !configured
       && c.protocol == DL_PROTOCOL_GRPC && strcmp(c.endpoint, "http://localhost:4317") == 0,
     "grpc with no endpoint set: localhost:4317; with room for one problem, three counted");
  dl_exporter_config_clear(&c);
}

int
main(void)
{
  if (!mkdtemp(dir))
    return 1;
  test_dead_letters();
  test_lenient_env();
  char cmd[64];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd))
    tap_diag("could not remove %s", dir);
  return tap_done();
}
