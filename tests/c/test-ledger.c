/* The ledger: records, transitions, queries, history, migrations, DORA,
   spool, and refusing files that are not ledgers. */
#include "deploy-ledger/deploy-ledger.h"
#include "tap.h"
#include "ledger-location.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define H 3600000000000LL  /* an hour in ns */
#define T0 1705314600000000000LL /* 2024-01-15T10:30:00Z */

static char dir[] = "/tmp/dl-ledger-test-XXXXXX";

static char *
path_in_dir(const char *name)
{
  static char buf[4][256];
  static int i;
  i = (i + 1) % 4;
  snprintf(buf[i], sizeof buf[i], "%s/%s", dir, name);
  return buf[i];
}

/* Records a deployment of SERVICE/ENV VERSION started at STARTED. */
static char *
record(dl_ledger *l, const char *service, const char *env, const char *version, int64_t started,
       dl_deploy_status status, int64_t completed, int64_t commit_time)
{
  dl_deployment *d = dl_deployment_new();
  if (dl_deployment_set_string(&d->service, service) || dl_deployment_set_string(&d->version, version)
      || dl_deployment_set_string(&d->environment, env))
    abort();
  d->started = started;
  d->status = status;
  d->completed = completed;
  d->commit_time = commit_time;
  dl_error err;
  if (dl_ledger_record(l, d, NULL, NULL, 0, &err)) {
    tap_diag("record failed: %s", err.text);
    dl_deployment_free(d);
    return NULL;
  }
  char *id = strdup(d->id);
  dl_deployment_free(d);
  return id;
}

static void
test_record_and_find(dl_ledger *l)
{
  dl_deployment *d = dl_deployment_new();
  dl_error err;
  ok(!dl_deployment_set_string(&d->service, "checkout") && !dl_deployment_set_string(&d->version, "v2")
       && !dl_deployment_set_string(&d->previous_version, "v1")
       && !dl_deployment_add_region(d, "us-east-1") && !dl_deployment_add_region(d, "eu-west-1")
       && !dl_deployment_set_attribute(d, "team", "payments")
       && !dl_deployment_set_string(&d->commit, "9fceb02"),
     "build a deployment");
  d->type = DL_TYPE_CANARY;
  d->status = DL_STATUS_IN_PROGRESS;
  d->started = T0;
  dl_trace_context parent;
  ok(dl_traceparent_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", 55, &parent,
                          NULL) == DL_OK, "pipeline context");
  int rc = dl_ledger_record(l, d, &parent, NULL, 0, &err);
  ok(rc == DL_OK && d->id && d->has_context && d->has_parent, "recorded, id and context given");
  if (rc)
    tap_diag("%s", err.text);
  dl_deployment *found = NULL;
  ok(dl_ledger_find(l, d->id, &found, &err) == DL_OK, "found by full id");
  if (!found) {
    dl_deployment_free(d);
    return;
  }
  is_str(found->service, "checkout", "service");
  is_str(found->version, "v2", "version");
  is_str(found->previous_version, "v1", "previous version");
  is_str(found->environment, "production", "environment defaults to production");
  is_int(found->type, DL_TYPE_CANARY, "type");
  is_int(found->status, DL_STATUS_IN_PROGRESS, "status");
  is_int(found->started, T0, "started");
  ok(found->completed == DL_TIME_NONE, "not completed");
  is_int(found->n_regions, 2, "two regions");
  is_str(found->regions[1], "eu-west-1", "regions kept in order");
  is_str(dl_deployment_attribute(found, "team"), "payments", "attribute");
  is_str(found->commit, "9fceb02", "commit");
  ok(memcmp(&found->context, &d->context, sizeof d->context) == 0, "same trace context stored");
  ok(found->has_parent && memcmp(found->parent_span_id, parent.span_id, 8) == 0,
     "parent span stored");
  char tp1[DL_TRACEPARENT_SIZE], tp2[DL_TRACEPARENT_SIZE];
  is_str(dl_traceparent_format(&found->context, tp1), dl_traceparent_format(&d->context, tp2),
         "same traceparent on every read");
  dl_deployment_free(found);

  char prefix[9];
  snprintf(prefix, sizeof prefix, "%.8s", d->id);
  ok(dl_ledger_find(l, prefix, &found, NULL) == DL_OK && strcmp(found->id, d->id) == 0,
     "found by unique prefix");
  dl_deployment_free(found);
  ok(dl_ledger_find(l, "ffffffff-no", &found, &err) == DL_ENOTFOUND && strstr(err.text, "ffffffff-no"),
     "unknown id names it: %s", err.text);
  ok(dl_ledger_record(l, d, NULL, NULL, 0, &err) == DL_EINVAL && strstr(err.text, "already"),
     "the same id twice refused: %s", err.text);

  /* A stage while the deployment runs (after it finishes, one is refused). */
  ok(dl_ledger_stage(l, d->id, "us-east-1", DL_STATUS_SUCCEEDED, T0 + H / 2, NULL, 0, NULL) == DL_OK,
     "stage event");

  /* Transitions */
  dl_deployment *updated = NULL;
  ok(dl_ledger_transition(l, d->id, DL_STATUS_SUCCEEDED, T0 + H, "alice", "all green", NULL, 0,
                          &updated, &err) == DL_OK
       && updated->status == DL_STATUS_SUCCEEDED && updated->completed == T0 + H,
     "in-progress -> succeeded, completed set");
  dl_deployment_free(updated);
  ok(dl_ledger_transition(l, d->id, DL_STATUS_IN_PROGRESS, T0 + 2 * H, NULL, NULL, NULL, 0, NULL,
                          &err) == DL_ETRANSITION
       && strstr(err.text, "succeeded") && strstr(err.text, "in-progress"),
     "succeeded -> in-progress refused naming both: %s", err.text);
  ok(dl_ledger_transition(l, d->id, DL_STATUS_ROLLED_BACK, T0 + 3 * H, "bob", "p99 regression",
                          NULL, 0, NULL, &err) == DL_OK, "succeeded -> rolled-back");
  ok(dl_ledger_transition(l, d->id, DL_STATUS_FAILED, T0 + 4 * H, NULL, NULL, NULL, 0, NULL, &err)
       == DL_ETRANSITION && strstr(err.text, "rolled-back"), "nothing after rolled-back");
  ok(dl_ledger_find(l, d->id, &found, NULL) == DL_OK && found->status == DL_STATUS_ROLLED_BACK
       && found->completed == T0 + H, "state derived: rolled-back, completed at first success");
  dl_deployment_free(found);
  ok(dl_ledger_set_attribute(l, d->id, "team", "checkout", T0 + 5 * H, "carol", NULL) == DL_OK
       && dl_ledger_find(l, d->id, &found, NULL) == DL_OK
       && strcmp(dl_deployment_attribute(found, "team"), "checkout") == 0,
     "attribute change appended and applied");
  dl_deployment_free(found);
  dl_history_entry *h = NULL;
  size_t n = 0;
  ok(dl_ledger_history(l, d->id, &h, &n, &err) == DL_OK, "history");
  is_int(n, 6, "created, attribute, stage, two statuses, attribute: all kept");
  if (n == 6) {
    is_int(h[0].kind, DL_HISTORY_CREATED, "first: created");
    is_int(h[0].status, DL_STATUS_IN_PROGRESS, "created in progress");
    is_int(h[1].kind, DL_HISTORY_ATTRIBUTE, "then the initial attribute");
    is_int(h[2].kind, DL_HISTORY_STAGE, "stage");
    is_str(h[2].key, "us-east-1", "stage name");
    is_int(h[3].status, DL_STATUS_SUCCEEDED, "then succeeded");
    is_str(h[3].actor, "alice", "with its actor");
    is_str(h[3].reason, "all green", "and reason");
    is_int(h[4].status, DL_STATUS_ROLLED_BACK, "then rolled back");
    is_int(h[4].at, T0 + 3 * H, "at its time");
    is_str(h[5].value, "checkout", "attribute change");
  } else {
    tap_skip(11, "history length differs");
  }
  dl_history_free(h, n);
  dl_deployment_free(d);
}

/* Regions and stages follow the lifecycle; a finished deployment takes
   none. */
static void
test_stages(dl_ledger *l)
{
  dl_error err;
  char *id = record(l, "stages", "production", "1", T0, DL_STATUS_IN_PROGRESS, DL_TIME_NONE,
                    DL_TIME_NONE);
  ok(dl_ledger_stage(l, id, "eu-west-1", DL_STATUS_IN_PROGRESS, T0 + 1, NULL, 0, &err) == DL_OK,
     "a stage's first event: in-progress");
  ok(dl_ledger_stage(l, id, "eu-west-1", DL_STATUS_IN_PROGRESS, T0 + 2, NULL, 0, &err)
       == DL_ETRANSITION && strstr(err.text, "eu-west-1") && strstr(err.text, "from in-progress to in-progress"),
     "in-progress again refused naming the stage: %s", err.text);
  ok(dl_ledger_stage(l, id, "eu-west-1", DL_STATUS_SUCCEEDED, T0 + 3, NULL, 0, &err) == DL_OK,
     "in-progress -> succeeded");
  ok(dl_ledger_stage(l, id, "eu-west-1", DL_STATUS_FAILED, T0 + 4, NULL, 0, &err) == DL_ETRANSITION
       && strstr(err.text, "from succeeded to failed"), "succeeded -> failed refused: %s", err.text);
  ok(dl_ledger_stage(l, id, "eu-west-1", DL_STATUS_ROLLED_BACK, T0 + 5, NULL, 0, &err) == DL_OK,
     "succeeded -> rolled-back");
  ok(dl_ledger_stage(l, id, "us-east-1", DL_STATUS_FAILED, T0 + 6, NULL, 0, &err) == DL_OK,
     "another stage has its own lifecycle: first event failed");
  ok(dl_ledger_stage(l, id, "migrate", DL_STATUS_SUCCEEDED, T0 - 1, NULL, 0, &err) == DL_EINVAL
       && strstr(err.text, "before the deployment started"), "a stage before the start refused: %s",
     err.text);
  ok(dl_ledger_transition(l, id, DL_STATUS_FAILED, T0 + 7, NULL, NULL, NULL, 0, NULL, &err) == DL_OK,
     "finish the deployment");
  ok(dl_ledger_stage(l, id, "ap-south-1", DL_STATUS_SUCCEEDED, T0 + 8, NULL, 0, &err)
       == DL_ETRANSITION && strstr(err.text, "finished (failed") && strstr(err.text, "ap-south-1"),
     "a stage after the finish refused: %s", err.text);
  dl_history_entry *h = NULL;
  size_t n = 0;
  ok(dl_ledger_history(l, id, &h, &n, &err) == DL_OK && n == 6,
     "refused stages left no trace: created, 4 stages, failed (%zu)", n);
  dl_history_free(h, n);
  free(id);
}

/* A previous version defaults to the last one that succeeded before, in
   the same service and environment. */
static void
test_previous_version(dl_ledger *l)
{
  dl_error err;
  char *v;
  char *ids[5];
  ids[0] = record(l, "prev", "production", "1.0", T0, DL_STATUS_SUCCEEDED, T0 + 1, DL_TIME_NONE);
  ids[1] = record(l, "prev", "production", "1.1", T0 + H, DL_STATUS_FAILED, T0 + H + 1, DL_TIME_NONE);
  ids[2] = record(l, "prev", "staging", "1.2", T0 + 2 * H, DL_STATUS_SUCCEEDED, T0 + 2 * H + 1,
                  DL_TIME_NONE);
  ids[3] = record(l, "prev", "production", "1.3", T0 + 3 * H, DL_STATUS_IN_PROGRESS, DL_TIME_NONE,
                  DL_TIME_NONE);
  ok(dl_ledger_last_succeeded_version(l, "prev", "production", DL_TIME_NONE, &v, &err) == DL_OK
       && v && strcmp(v, "1.0") == 0,
     "last succeeded in production: 1.0, not the failed 1.1, staging's 1.2 or running 1.3");
  free(v);
  dl_deployment *d = NULL;
  ok(dl_ledger_find(l, ids[1], &d, NULL) == DL_OK && d->previous_version
       && strcmp(d->previous_version, "1.0") == 0, "1.1 recorded with previous version 1.0");
  dl_deployment_free(d);
  ok(dl_ledger_find(l, ids[3], &d, NULL) == DL_OK && d->previous_version
       && strcmp(d->previous_version, "1.0") == 0, "1.3 too: 1.1 failed");
  dl_deployment_free(d);
  ok(dl_ledger_find(l, ids[2], &d, NULL) == DL_OK && !d->previous_version,
     "staging's first deployment has none");
  dl_deployment_free(d);
  ok(dl_ledger_transition(l, ids[3], DL_STATUS_SUCCEEDED, T0 + 4 * H, NULL, NULL, NULL, 0, NULL, &err)
       == DL_OK, "1.3 succeeds");
  ids[4] = record(l, "prev", "production", "0.9", T0 - H, DL_STATUS_SUCCEEDED, T0 - H + 1,
                  DL_TIME_NONE);
  ok(dl_ledger_find(l, ids[4], &d, NULL) == DL_OK && !d->previous_version,
     "an import earlier than every other has none");
  dl_deployment_free(d);
  ok(dl_ledger_last_succeeded_version(l, "prev", "production", T0 + 3 * H, &v, &err) == DL_OK
       && v && strcmp(v, "1.0") == 0, "before 1.3 started: 1.0");
  free(v);
  ok(dl_ledger_last_succeeded_version(l, "prev", "production", DL_TIME_NONE, &v, &err) == DL_OK
       && v && strcmp(v, "1.3") == 0, "now: 1.3");
  free(v);
  ok(dl_ledger_last_succeeded_version(l, "nothing", "production", DL_TIME_NONE, &v, &err) == DL_OK
       && v == NULL, "a service never deployed: NULL");
  for (int i = 0; i < 5; i++)
    free(ids[i]);
}

static void
test_queries(dl_ledger *l)
{
  char *a = record(l, "api", "production", "1.0", T0 + 10 * H, DL_STATUS_SUCCEEDED, T0 + 11 * H,
                   DL_TIME_NONE);
  char *b = record(l, "api", "staging", "1.1", T0 + 12 * H, DL_STATUS_IN_PROGRESS, DL_TIME_NONE,
                   DL_TIME_NONE);
  char *c = record(l, "api", "production", "1.1", T0 + 13 * H, DL_STATUS_FAILED, T0 + 14 * H,
                   DL_TIME_NONE);
  char *e = record(l, "web", "production", "7", T0 + 15 * H, DL_STATUS_PENDING, DL_TIME_NONE,
                   DL_TIME_NONE);
  ok(a && b && c && e, "four more deployments");
  dl_query q;
  dl_deployment **list;
  size_t n;
  dl_query_init(&q);
  q.service = "api";
  ok(dl_ledger_query(l, &q, &list, &n, NULL) == DL_OK && n == 3 && strcmp(list[0]->id, c) == 0
       && strcmp(list[2]->id, a) == 0, "by service, newest first");
  dl_deployment_list_free(list, n);
  q.environment = "production";
  ok(dl_ledger_query(l, &q, &list, &n, NULL) == DL_OK && n == 2, "by service and environment");
  dl_deployment_list_free(list, n);
  dl_query_init(&q);
  q.status = DL_STATUS_FAILED;
  ok(dl_ledger_query(l, &q, &list, &n, NULL) == DL_OK && n == 1 && strcmp(list[0]->id, c) == 0,
     "by status");
  dl_deployment_list_free(list, n);
  dl_query_init(&q);
  q.since = T0 + 12 * H;
  q.until = T0 + 15 * H;
  ok(dl_ledger_query(l, &q, &list, &n, NULL) == DL_OK && n == 2, "by time range [since, until)");
  dl_deployment_list_free(list, n);
  dl_query_init(&q);
  q.limit = 2;
  ok(dl_ledger_query(l, &q, &list, &n, NULL) == DL_OK && n == 2 && strcmp(list[0]->id, e) == 0,
     "limit keeps the newest");
  dl_deployment_list_free(list, n);
  dl_query_init(&q);
  q.latest = 1;
  ok(dl_ledger_query(l, &q, &list, &n, NULL) == DL_OK && n == 4, "latest per service+environment");
  int saw_c = 0, saw_a = 0;
  for (size_t i = 0; i < n; i++) {
    saw_c |= strcmp(list[i]->id, c) == 0;
    saw_a |= strcmp(list[i]->id, a) == 0;
  }
  ok(saw_c && !saw_a, "the older api/production deployment is not the latest");
  dl_deployment_list_free(list, n);
  dl_error err;
  dl_deployment *found;
  ok(dl_ledger_find(l, "0", &found, &err) == DL_EAMBIGUOUS && strstr(err.text, "matches"),
     "a prefix of several is ambiguous: %s", err.text);
  free(a);
  free(b);
  free(c);
  free(e);
}

static void
test_dora(void)
{
  dl_ledger *l;
  dl_error err;
  ok(dl_ledger_open(dl_test_ledger_location(dir, "dora"), &l, &err) == DL_OK,
     "open a ledger for DORA");
  /* svc/prod over 10 days from T0:
     day 0: v1 succeeded at +1h (commit at -2h)        lead 3h
     day 1: v2 failed at +1h (failure at day1+1h)
     day 1: v3 failed                                    (same incident)
     day 2: v4 succeeded at day2+1h (commit day2-1h)   lead 2h; restore: day2+1h - (day1+1h) = 24h
     day 3: v5 rolled back at day3+2h
     day 5: v6 succeeded at day5+30m                   restore: day5+30m - (day3+2h) = 46.5h
     day 6: v7 in progress (unfinished)
     deployments 7, finished 6, failed 3 -> CFR 0.5; restores 24h, 46.5h -> median 35.25h;
     lead times 3h, 2h -> median 2.5h; frequency 7 / 10 days = 0.7 */
  int64_t D = 24 * H;
  char *ids[7];
  ids[0] = record(l, "svc", "prod", "v1", T0, DL_STATUS_SUCCEEDED, T0 + H, T0 - 2 * H);
  ids[1] = record(l, "svc", "prod", "v2", T0 + D, DL_STATUS_FAILED, T0 + D + H, DL_TIME_NONE);
  ids[2] = record(l, "svc", "prod", "v3", T0 + D + 2 * H, DL_STATUS_FAILED, T0 + D + 3 * H,
                  DL_TIME_NONE);
  ids[3] = record(l, "svc", "prod", "v4", T0 + 2 * D, DL_STATUS_SUCCEEDED, T0 + 2 * D + H,
                  T0 + 2 * D - H);
  ids[4] = record(l, "svc", "prod", "v5", T0 + 3 * D, DL_STATUS_SUCCEEDED, T0 + 3 * D + H,
                  DL_TIME_NONE);
  ok(dl_ledger_transition(l, ids[4], DL_STATUS_ROLLED_BACK, T0 + 3 * D + 2 * H, NULL, NULL, NULL,
                          0, NULL, NULL) == DL_OK, "v5 rolled back");
  ids[5] = record(l, "svc", "prod", "v6", T0 + 5 * D, DL_STATUS_SUCCEEDED, T0 + 5 * D + H / 2,
                  DL_TIME_NONE);
  ids[6] = record(l, "svc", "prod", "v7", T0 + 6 * D, DL_STATUS_IN_PROGRESS, DL_TIME_NONE,
                  DL_TIME_NONE);
  char *other = record(l, "svc", "staging", "v1", T0, DL_STATUS_SUCCEEDED, T0 + H, DL_TIME_NONE);
  char *outside = record(l, "svc", "prod", "v0", T0 - D, DL_STATUS_FAILED, T0 - D + H,
                         DL_TIME_NONE);
  dl_dora *f;
  size_t n;
  ok(dl_ledger_dora(l, "svc", NULL, T0, T0 + 10 * D, &f, &n, &err) == DL_OK && n == 2,
     "DORA per environment: two groups");
  dl_dora *p = n == 2 ? (strcmp(f[0].environment, "prod") == 0 ? &f[0] : &f[1]) : NULL;
  if (p) {
    is_int(p->deployments, 7, "deployments in the period (the one before is outside)");
    is_double(p->per_day, 0.7, 1e-9, "deployment frequency per day");
    is_int(p->finished, 6, "finished");
    is_int(p->failed, 3, "failed or rolled back");
    is_double(p->change_failure_rate, 0.5, 1e-12, "change failure rate");
    is_int(p->restores, 2, "two incidents restored");
    is_int(p->time_to_restore, (24 * H + 465 * H / 10) / 2, "median time to restore 35.25h");
    is_int(p->lead_samples, 2, "two lead-time samples");
    is_int(p->lead_time, 5 * H / 2, "median lead time 2.5h");
  } else {
    tap_skip(9, "no prod group");
  }
  dl_dora_free(f, n);
  ok(dl_ledger_dora(l, "nobody", NULL, T0, T0 + D, &f, &n, NULL) == DL_OK && n == 0,
     "no deployments: no groups");
  dl_dora_free(f, n);
  ok(dl_ledger_dora(l, NULL, NULL, T0 + D, T0, &f, &n, &err) == DL_EINVAL, "empty period refused");
  for (int i = 0; i < 7; i++)
    free(ids[i]);
  free(other);
  free(outside);
  dl_ledger_close(l);
}

static void
test_spool(dl_ledger *l)
{
  dl_error err;
  char *id = record(l, "spool", "prod", "1", T0, DL_STATUS_IN_PROGRESS, DL_TIME_NONE, DL_TIME_NONE);
  dl_spool_item items[2] = {{"abc", 3, 1, "application/x-protobuf"},
                            {"{\"x\":1}", 7, 2, "application/json"}};
  ok(dl_ledger_transition(l, id, DL_STATUS_SUCCEEDED, T0 + H, NULL, NULL, items, 2, NULL, &err)
       == DL_OK, "transition with two spooled items");
  ok(dl_ledger_transition(l, id, DL_STATUS_IN_PROGRESS, T0 + H, NULL, NULL, items, 2, NULL, &err)
       == DL_ETRANSITION, "a refused transition...");
  dl_spool_entry *e;
  size_t n;
  ok(dl_ledger_spool_pending(l, 0, dl_time_now(), &e, &n, &err) == DL_OK && n == 2,
     "...spools nothing: two pending");
  if (n == 2) {
    ok(e[0].size == 3 && memcmp(e[0].payload, "abc", 3) == 0 && e[0].span_count == 1
         && strcmp(e[1].content_type, "application/json") == 0 && strcmp(e[0].deployment_id, id) == 0,
       "payloads and metadata kept");
    int64_t first = e[0].id, second = e[1].id;
    dl_spool_entries_free(e, n);
    ok(dl_ledger_spool_retry_later(l, first, 1, dl_time_now() + H, "503 Service Unavailable",
                                   NULL)
         == DL_OK, "retry later");
    ok(dl_ledger_spool_pending(l, 0, dl_time_now(), &e, &n, NULL) == DL_OK && n == 1
         && e[0].id == second, "not due yet: one pending");
    dl_spool_entries_free(e, n);
    ok(dl_ledger_spool_list(l, 0, &e, &n, NULL) == DL_OK && n == 2 && e[0].attempts == 1
         && strcmp(e[0].last_error, "503 Service Unavailable") == 0, "listing shows both, attempts");
    dl_spool_entries_free(e, n);
    dl_refusal why = {1, 400, -1, "bad request body", "permanent"};
    ok(dl_ledger_spool_dead_letter(l, second, &why, NULL) == DL_OK, "dead letter");
    ok(dl_ledger_spool_list(l, 1, &e, &n, NULL) == DL_OK && n == 1 && e[0].http_status == 400
         && strcmp(e[0].response_body, "bad request body") == 0 && e[0].size == 7,
       "dead letter keeps status, body and payload");
    dl_spool_entries_free(e, n);
    ok(dl_ledger_spool_ack(l, first, NULL) == DL_OK
         && dl_ledger_spool_list(l, 0, &e, &n, NULL) == DL_OK && n == 0, "ack empties the spool");
    dl_spool_entries_free(e, n);
    ok(dl_ledger_spool_ack(l, first, NULL) == DL_ENOTFOUND, "ack twice: not found");
  } else {
    dl_spool_entries_free(e, n);
    tap_skip(8, "spool");
  }
  free(id);
}

/* Claims: what one flusher holds, another does not get. */
static void
test_spool_claims(dl_ledger *l)
{
  dl_error err;
  char *a = record(l, "claims", "prod", "1", T0, DL_STATUS_IN_PROGRESS, DL_TIME_NONE, DL_TIME_NONE);
  char *b = record(l, "claims", "prod", "2", T0, DL_STATUS_IN_PROGRESS, DL_TIME_NONE, DL_TIME_NONE);
  dl_spool_item item = {"xyz", 3, 1, "application/x-protobuf"};
  ok(a && b && dl_ledger_spool_add(l, a, &item, 1, &err) == DL_OK
       && dl_ledger_spool_add(l, b, &item, 1, &err) == DL_OK
       && dl_ledger_spool_add(l, b, &item, 1, &err) == DL_OK, "three items spooled");
  dl_spool_entry *e, *again;
  size_t n, m;
  ok(dl_ledger_spool_claim(l, b, dl_time_now(), &e, &n, &err) == DL_OK && n == 2
       && strcmp(e[0].deployment_id, b) == 0 && strcmp(e[1].deployment_id, b) == 0,
     "claim the two of one deployment");
  ok(dl_ledger_spool_claim(l, NULL, dl_time_now(), &again, &m, &err) == DL_OK && m == 1
       && strcmp(again[0].deployment_id, a) == 0, "a second claim gets only the third");
  dl_spool_entries_free(again, m);
  ok(dl_ledger_spool_claim(l, NULL, INT64_MAX, &again, &m, &err) == DL_OK && m == 0,
     "a third gets none, even forced: all are held");
  dl_spool_entries_free(again, m);
  ok(n == 2 && dl_ledger_spool_retry_later(l, e[0].id, 1, 0, "down", &err) == DL_OK
       && dl_ledger_spool_claim(l, NULL, dl_time_now(), &again, &m, &err) == DL_OK && m == 1
       && again[0].id == e[0].id, "rescheduling releases the claim");
  dl_spool_entries_free(again, m);
  ok(dl_ledger_spool_pending(l, 0, dl_time_now(), &again, &m, &err) == DL_OK && m == 3,
     "pending still lists all three (it only reads)");
  for (size_t i = 0; i < m; i++)
    if (dl_ledger_spool_ack(l, again[i].id, &err))
      tap_diag("ack: %s", err.text);
  dl_spool_entries_free(again, m);
  dl_spool_entries_free(e, n);
  free(a);
  free(b);
}

/* What only a PostgreSQL ledger has: a URL shown without its password,
   a schema in a database of its own, the append-only triggers. */
static void
test_postgres_only(void)
{
  dl_ledger *l;
  dl_error err;
  const char *empty = dl_test_ledger_location(dir, "nothing_here");
  ok(dl_ledger_open_flags(empty, 0, &l, &err) == DL_ESTORAGE && strstr(err.text, "no deploy-ledger schema"),
     "no ledger in a database: refused without DL_LEDGER_CREATE: %s", err.text);
  char url[600];
  const char *at = strstr(empty, "://") + 3;
  /* trust authentication: the password is not checked, only hidden */
  snprintf(url, sizeof url, "%.*s%s?password=hunter2&application_name=x",
           (int) (at - empty), empty, at);
  ok(dl_ledger_open(url, &l, &err) == DL_OK && !strstr(dl_ledger_path(l), "hunter2")
       && strstr(dl_ledger_path(l), "password=***"), "a password in the URL is never shown: %s",
     l ? dl_ledger_path(l) : err.text);
  is_str(l ? dl_ledger_backend_name(l) : NULL, "postgresql", "the backend");
  dl_ledger_close(l);
  ok(dl_test_pg_exec("nothing_here", "UPDATE deploy_ledger.schema_version SET version = 99") == 0
       && dl_ledger_open(empty, &l, &err) == DL_ESCHEMA && strstr(err.text, "99"),
     "a newer schema is refused");
  ok(dl_test_pg_exec("ledger", "DELETE FROM deploy_ledger.history") != 0
       && dl_test_pg_exec("ledger", "UPDATE deploy_ledger.deployments SET version = 'x'") != 0
       && dl_test_pg_exec("ledger", "TRUNCATE deploy_ledger.history") != 0,
     "history and deployments refuse updates, deletes and truncation");
  const char *bad = "postgresql://u:s3cret@127.0.0.1:1/none?connect_timeout=3";
  ok(dl_ledger_open(bad, &l, &err) == DL_ESTORAGE && !strstr(err.text, "s3cret")
       && strstr(err.text, "u:***@127.0.0.1:1"), "a server that is not there: %s", err.text);
}

static void
write_file(const char *path, const char *text)
{
  FILE *f = fopen(path, "w");
  fputs(text, f);
  fclose(f);
}

static int
file_equals(const char *path, const char *text)
{
  char buf[256] = "";
  FILE *f = fopen(path, "r");
  if (!f)
    return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  return strcmp(buf, text) == 0;
}

static void
test_bad_files(void)
{
  dl_ledger *l;
  dl_error err;
  const char *notdb = path_in_dir("notes.txt");
  write_file(notdb, "these are my notes, not a database\n");
  ok(dl_ledger_open(notdb, &l, &err) == DL_ESTORAGE && strstr(err.text, notdb)
       && strstr(err.text, "not an SQLite"), "a text file is refused: %s", err.text);
  ok(file_equals(notdb, "these are my notes, not a database\n"), "and left untouched");
  struct stat st;
  char wal[300];
  snprintf(wal, sizeof wal, "%s-wal", notdb);
  ok(stat(wal, &st) != 0, "no WAL file created beside it");

  /* Another application's SQLite database. */
  const char *other = path_in_dir("other.db");
  sqlite3 *db;
  sqlite3_open(other, &db);
  sqlite3_exec(db, "CREATE TABLE recipes (name TEXT)", NULL, NULL, NULL);
  sqlite3_close(db);
  ok(dl_ledger_open(other, &l, &err) == DL_ESTORAGE && strstr(err.text, "not a deploy-ledger"),
     "another SQLite database is refused: %s", err.text);

  /* A newer schema. */
  const char *newer = path_in_dir("newer.db");
  ok(dl_ledger_open(newer, &l, &err) == DL_OK, "create a ledger");
  dl_ledger_close(l);
  sqlite3_open(newer, &db);
  sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL);
  sqlite3_close(db);
  ok(dl_ledger_open(newer, &l, &err) == DL_ESCHEMA && strstr(err.text, "99"),
     "a newer schema is refused, not downgraded: %s", err.text);

  /* A read-only ledger: reads work, writes fail clearly. */
  const char *ro = path_in_dir("ro.db");
  ok(dl_ledger_open(ro, &l, &err) == DL_OK, "create another ledger");
  char *id = record(l, "ro", "prod", "1", T0, DL_STATUS_IN_PROGRESS, DL_TIME_NONE, DL_TIME_NONE);
  dl_ledger_close(l);
  chmod(ro, 0444);
  dl_deployment *d = NULL;
  ok(dl_ledger_open(ro, &l, &err) == DL_OK && dl_ledger_find(l, id, &d, NULL) == DL_OK,
     "a read-only ledger opens and reads");
  dl_deployment_free(d);
  ok(l && dl_ledger_transition(l, id, DL_STATUS_SUCCEEDED, DL_TIME_NONE, NULL, NULL, NULL, 0, NULL,
                               &err) == DL_ESTORAGE && strstr(err.text, "read-only"),
     "a write to it fails naming it read-only: %s", err.text);
  dl_ledger_close(l);
  free(id);
  ok(dl_ledger_open("/proc/version", &l, &err) != DL_OK, "a file under /proc is refused: %s",
     err.text);
}

/* What only reads a ledger never creates one. */
static void
test_open_without_create(void)
{
  dl_ledger *l = NULL;
  dl_error err;
  struct stat st;
  const char *missing = path_in_dir("typo/ledger.db");
  ok(dl_ledger_open_flags(missing, 0, &l, &err) == DL_ESTORAGE && !l
       && strstr(err.text, missing) && strstr(err.text, "does not exist"),
     "a missing directory is an error naming the path: %s", err.text);
  ok(stat(path_in_dir("typo"), &st) != 0, "and the directory was not created");
  const char *absent = path_in_dir("absent.db");
  ok(dl_ledger_open_flags(absent, 0, &l, &err) == DL_ESTORAGE && strstr(err.text, absent),
     "a missing file too: %s", err.text);
  ok(stat(absent, &st) != 0, "and the file was not created");
  const char *empty = path_in_dir("empty.db");
  write_file(empty, "");
  ok(dl_ledger_open_flags(empty, 0, &l, &err) == DL_ESTORAGE && strstr(err.text, "empty"),
     "an empty file is not a ledger yet: %s", err.text);
  ok(stat(empty, &st) == 0 && st.st_size == 0, "and stays empty");
  ok(dl_ledger_open_flags(absent, DL_LEDGER_CREATE, &l, &err) == DL_OK,
     "with DL_LEDGER_CREATE it is created");
  dl_ledger_close(l);
  l = NULL;
  ok(dl_ledger_open_flags(absent, 0, &l, &err) == DL_OK, "and then opens without it");
  dl_ledger_close(l);
}

static void
test_migration(void)
{
  /* A version-1 ledger written by hand, as the first release left it. */
  const char *v1 = path_in_dir("v1.db");
  sqlite3 *db;
  sqlite3_open(v1, &db);
  int rc = sqlite3_exec(
    db,
    "CREATE TABLE deployments (id TEXT PRIMARY KEY, service TEXT NOT NULL, version TEXT NOT NULL,"
    " previous_version TEXT, type TEXT NOT NULL, environment TEXT NOT NULL,"
    " regions TEXT NOT NULL DEFAULT '', started_ns INTEGER NOT NULL, actor TEXT,"
    " commit_sha TEXT, commit_ns INTEGER, trace_id TEXT NOT NULL, span_id TEXT NOT NULL,"
    " trace_flags INTEGER NOT NULL, tracestate TEXT NOT NULL DEFAULT '',"
    " parent_span_id TEXT, recorded_ns INTEGER NOT NULL);"
    "CREATE TABLE history (seq INTEGER PRIMARY KEY AUTOINCREMENT, deployment_id TEXT NOT NULL,"
    " at_ns INTEGER NOT NULL, kind TEXT NOT NULL, status TEXT, actor TEXT, reason TEXT,"
    " key TEXT, value TEXT);"
    "INSERT INTO deployments VALUES ('018d0cab-c440-7000-8000-000000000001', 'legacy', 'v9', NULL,"
    " 'rolling', 'prod', 'eu-west-1', 1705314600000000000, 'ops', NULL, NULL,"
    " '4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7', 1, '', NULL, 0);"
    "INSERT INTO history (deployment_id, at_ns, kind, status) VALUES"
    " ('018d0cab-c440-7000-8000-000000000001', 1705314600000000000, 'created', 'in-progress');"
    "PRAGMA user_version = 1;",
    NULL, NULL, NULL);
  sqlite3_close(db);
  ok(rc == SQLITE_OK, "wrote a version-1 ledger");
  dl_ledger *l;
  dl_error err;
  ok(dl_ledger_open(v1, &l, &err) == DL_OK, "opening migrates it");
  dl_deployment *d = NULL;
  ok(l && dl_ledger_find(l, "018d0cab", &d, NULL) == DL_OK && strcmp(d->service, "legacy") == 0
       && d->status == DL_STATUS_IN_PROGRESS, "its deployment is still there");
  dl_deployment_free(d);
  dl_spool_entry *e;
  size_t n;
  ok(l && dl_ledger_spool_list(l, 0, &e, &n, NULL) == DL_OK && n == 0, "the spool table exists now");
  char *fresh = l ? record(l, "legacy", "prod", "v10", T0 + H, DL_STATUS_PENDING, DL_TIME_NONE,
                           DL_TIME_NONE) : NULL;
  ok(fresh != NULL, "the migrated ledger takes new deployments");
  free(fresh);
  dl_ledger_close(l);
  sqlite3_open(v1, &db);
  sqlite3_stmt *stmt;
  sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, NULL);
  sqlite3_step(stmt);
  is_int(sqlite3_column_int(stmt, 0), DL_LEDGER_SCHEMA_VERSION, "schema version recorded");
  sqlite3_finalize(stmt);
  sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, NULL);
  sqlite3_step(stmt);
  is_str((const char *) sqlite3_column_text(stmt, 0), "wal", "WAL mode");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

int
main(void)
{
  if (!mkdtemp(dir))
    return 1;
  dl_ledger *l = NULL;
  dl_error err;
  const char *main_ledger = dl_test_pg() ? dl_test_ledger_location(dir, "ledger")
                                         : path_in_dir("sub/dir/ledger.db");
  ok(dl_ledger_open(main_ledger, &l, &err) == DL_OK,
     "open creates the ledger (a file: and its directories)");
  if (!l) {
    tap_diag("%s", err.text);
    return tap_done();
  }
  is_str(dl_ledger_path(l), main_ledger, "path kept");
  test_record_and_find(l);
  test_queries(l);
  test_spool(l);
  test_spool_claims(l);
  test_stages(l);
  test_previous_version(l);
  if (!dl_test_pg()) {
    sqlite3 *raw;
    sqlite3_open(main_ledger, &raw);
    ok(sqlite3_exec(raw, "DELETE FROM history", NULL, NULL, NULL) != SQLITE_OK
         && sqlite3_exec(raw, "UPDATE deployments SET version = 'x'", NULL, NULL, NULL) != SQLITE_OK,
       "history and deployments refuse updates and deletes");
    sqlite3_close(raw);
  }
  dl_ledger_close(l);
  dl_ledger_close(NULL);

  setenv("DEPLOY_LEDGER_DB", "/x/y.db", 1);
  char buf[256];
  ok(dl_ledger_default_path(buf, sizeof buf, NULL) == DL_OK && strcmp(buf, "/x/y.db") == 0,
     "DEPLOY_LEDGER_DB wins");
  unsetenv("DEPLOY_LEDGER_DB");
  setenv("XDG_DATA_HOME", "/data", 1);
  ok(dl_ledger_default_path(buf, sizeof buf, NULL) == DL_OK
       && strcmp(buf, "/data/deploy-ledger/ledger.db") == 0, "then XDG_DATA_HOME");
  unsetenv("XDG_DATA_HOME");
  setenv("HOME", "/home/u", 1);
  ok(dl_ledger_default_path(buf, sizeof buf, NULL) == DL_OK
       && strcmp(buf, "/home/u/.local/share/deploy-ledger/ledger.db") == 0, "then ~/.local/share");

  test_dora();
  if (dl_test_pg()) {
    test_postgres_only();
  } else {
    test_bad_files();
    test_open_without_create();
    test_migration();
  }
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0)
    tap_diag("could not remove %s", dir);
  return tap_done();
}
