/* The ledger under several processes at once, and under SIGKILL. */
#define _GNU_SOURCE
#include "deploy-ledger/deploy-ledger.h"
#include "tap.h"
#include "ledger-location.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define WORKERS 8
#define PER_WORKER 200

static char dir[] = "/tmp/dl-ledger-procs-XXXXXX";
static char path[600];

/* One worker: PER_WORKER deployments, each started then finished; after
   each commit it reports "W R ID" (recorded) or "W T ID STATUS"
   (transition) on FD, one write each (atomic: under PIPE_BUF). */
static int
worker(int w, int fd)
{
  dl_ledger *l;
  dl_error err;
  if (dl_ledger_open(path, &l, &err)) {
    fprintf(stderr, "worker %d: %s\n", w, err.text);
    return 1;
  }
  for (int i = 0; i < PER_WORKER; i++) {
    dl_deployment *d = dl_deployment_new();
    char version[32];
    snprintf(version, sizeof version, "w%d-%d", w, i);
    if (dl_deployment_set_string(&d->service, "svc") || dl_deployment_set_string(&d->version, version))
      return 1;
    d->status = DL_STATUS_IN_PROGRESS;
    dl_deploy_status to = i % 5 ? DL_STATUS_SUCCEEDED : DL_STATUS_FAILED;
    char line[128];
    int len;
    if (dl_ledger_record(l, d, NULL, NULL, 0, &err))
      goto failed;
    len = snprintf(line, sizeof line, "%d R %s\n", w, d->id);
    if (write(fd, line, (size_t) len) != len)
      return 1;
    if (dl_ledger_transition(l, d->id, to, DL_TIME_NONE, "worker", NULL, NULL, 0, NULL, &err))
      goto failed;
    len = snprintf(line, sizeof line, "%d T %s %s\n", w, d->id, dl_deploy_status_name(to));
    if (write(fd, line, (size_t) len) != len)
      return 1;
    dl_deployment_free(d);
    continue;
  failed:
    fprintf(stderr, "worker %d: %s\n", w, err.text);
    return 1;
  }
  dl_ledger_close(l);
  return 0;
}

/* What the workers acknowledged, by deployment. */
typedef struct acked {
  char id[40];
  int worker;
  int transitioned;
  char status[16];
} acked;

static int
compare_acked(const void *a, const void *b)
{
  return strcmp(((const acked *) a)->id, ((const acked *) b)->id);
}

/* Eight workers at once; worker 0 is killed with SIGKILL half-way.
   Whatever a worker acknowledged must be in the ledger with its history,
   and nothing twice. */
static void
test_concurrency(void)
{
  snprintf(path, sizeof path, "%s", dl_test_ledger_location(dir, "shared"));
  dl_ledger *l;
  ok(dl_ledger_open(path, &l, NULL) == DL_OK, "create the shared ledger");
  dl_ledger_close(l);
  int fds[2];
  if (pipe(fds) != 0)
    return;
  pid_t pids[WORKERS];
  for (int w = 0; w < WORKERS; w++) {
    pids[w] = fork();
    if (pids[w] == 0) {
      close(fds[0]);
      _exit(worker(w, fds[1]));
    }
  }
  close(fds[1]);
  FILE *in = fdopen(fds[0], "r");
  acked *acks = calloc(WORKERS * PER_WORKER, sizeof *acks);
  size_t n = 0;
  int killed_after = -1, from_victim = 0;
  char line[160];
  while (fgets(line, sizeof line, in)) {
    int w;
    char kind, id[40], status[16] = "";
    if (sscanf(line, "%d %c %39s %15s", &w, &kind, id, status) < 3)
      continue;
    if (kind == 'R' && n < WORKERS * PER_WORKER) {
      snprintf(acks[n].id, sizeof acks[n].id, "%s", id);
      acks[n++].worker = w;
    } else if (kind == 'T') {
      for (size_t i = n; i-- > 0;)
        if (strcmp(acks[i].id, id) == 0) {
          acks[i].transitioned = 1;
          snprintf(acks[i].status, sizeof acks[i].status, "%s", status);
          break;
        }
    }
    if (w == 0 && ++from_victim == PER_WORKER / 2 && killed_after < 0) {
      kill(pids[0], SIGKILL);
      killed_after = from_victim;
    }
  }
  fclose(in);
  int clean = 1, victim = 0;
  for (int w = 0; w < WORKERS; w++) {
    int status;
    waitpid(pids[w], &status, 0);
    if (w == 0)
      victim = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    else
      clean &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  ok(victim, "worker 0 killed with SIGKILL half-way");
  ok(clean, "the 7 others each recorded and finished 200 deployments at once");

  ok(dl_ledger_open(path, &l, NULL) == DL_OK, "reopen");
  dl_query q;
  dl_query_init(&q);
  dl_deployment **list = NULL;
  size_t count = 0;
  ok(l && dl_ledger_query(l, &q, &list, &count, NULL) == DL_OK, "list them all");
  /* Worker 0 may have committed one deployment whose report the kill
     stopped: at most one more than acknowledged, none fewer. */
  ok(count >= n && count <= n + 1, "%zu deployments for %zu acknowledged", count, n);
  size_t missing = 0, wrong = 0, short_history = 0, others = 0;
  qsort(acks, n, sizeof *acks, compare_acked);
  for (size_t i = 0; l && i < n; i++) {
    dl_deployment *d;
    if (dl_ledger_find(l, acks[i].id, &d, NULL) != DL_OK) {
      missing++;
      continue;
    }
    dl_deploy_status want = DL_STATUS_IN_PROGRESS;
    if (acks[i].transitioned && dl_deploy_status_parse(acks[i].status, &want, NULL))
      wrong++;
    /* Recorded but not acknowledged as moved: either state is right. */
    if (d->status != want && !(acks[i].worker == 0 && !acks[i].transitioned))
      wrong++;
    dl_history_entry *h;
    size_t nh;
    if (dl_ledger_history(l, acks[i].id, &h, &nh, NULL) != DL_OK
        || nh != (d->status == DL_STATUS_IN_PROGRESS ? 1u : 2u))
      short_history++;
    else
      dl_history_free(h, nh);
    others += acks[i].worker != 0;
    dl_deployment_free(d);
  }
  is_int(missing, 0, "every acknowledged deployment is in the ledger");
  is_int(wrong, 0, "each in the state it was acknowledged in");
  is_int(short_history, 0, "each with its whole history, nothing twice");
  is_int(others, (WORKERS - 1) * PER_WORKER, "all 1,400 of the workers not killed");
  dl_deployment_list_free(list, count);
  dl_ledger_close(l);
  free(acks);
}

/* A writer that records deployments until killed, reporting each id on
   FD once its transaction has committed. */
static void
crash_writer(int fd)
{
  dl_ledger *l;
  if (dl_ledger_open(path, &l, NULL))
    _exit(1);
  for (int i = 0;; i++) {
    dl_deployment *d = dl_deployment_new();
    char version[32];
    snprintf(version, sizeof version, "burst-%d", i);
    if (dl_deployment_set_string(&d->service, "crash") || dl_deployment_set_string(&d->version, version)
        || dl_deployment_set_attribute(d, "payload", "a somewhat longer attribute value to write"))
      _exit(1);
    d->status = DL_STATUS_IN_PROGRESS;
    if (dl_ledger_record(l, d, NULL, NULL, 0, NULL))
      _exit(1);
    char line[64];
    int len = snprintf(line, sizeof line, "%s\n", d->id);
    if (write(fd, line, (size_t) len) != len)
      _exit(1);
    dl_deployment_free(d);
  }
}

static void
test_crash(void)
{
  snprintf(path, sizeof path, "%s", dl_test_ledger_location(dir, "crash"));
  int fds[2];
  if (pipe(fds) != 0)
    return;
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    crash_writer(fds[1]);
  }
  close(fds[1]);
  FILE *in = fdopen(fds[0], "r");
  char line[64];
  char (*ids)[64] = calloc(100000, sizeof *ids);
  size_t n = 0;
  /* Let a burst run, then kill it wherever it is. */
  while (n < 400 && fgets(line, sizeof line, in)) {
    line[strcspn(line, "\n")] = '\0';
    snprintf(ids[n++], sizeof ids[0], "%s", line);
  }
  kill(pid, SIGKILL);
  int status;
  waitpid(pid, &status, 0);
  while (n < 100000 && fgets(line, sizeof line, in)) { /* committed before the kill */
    line[strcspn(line, "\n")] = '\0';
    snprintf(ids[n++], sizeof ids[0], "%s", line);
  }
  fclose(in);
  ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "writer killed with SIGKILL mid-burst");
  ok(n >= 400, "%zu transactions reported committed", n);

  sqlite3 *db;
  sqlite3_stmt *stmt;
  char *check = dl_test_pg() ? strdup("ok") : NULL; /* a server checks its own pages */
  if (!dl_test_pg() && sqlite3_open(path, &db) == SQLITE_OK
      && sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, NULL) == SQLITE_OK) {
    if (sqlite3_step(stmt) == SQLITE_ROW)
      check = strdup((const char *) sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
  }
  if (!dl_test_pg())
    sqlite3_close(db);
  is_str(check, "ok", "PRAGMA integrity_check passes (SQLite)");
  free(check);

  dl_ledger *l;
  ok(dl_ledger_open(path, &l, NULL) == DL_OK, "the ledger opens after the crash");
  size_t missing = 0;
  for (size_t i = 0; l && i < n; i++) {
    dl_deployment *d;
    if (dl_ledger_find(l, ids[i], &d, NULL) != DL_OK)
      missing++;
    else if (!dl_deployment_attribute(d, "payload") || d->status != DL_STATUS_IN_PROGRESS)
      missing++;
    dl_deployment_free(d);
  }
  is_int(missing, 0, "every committed deployment is there, whole");
  dl_ledger_close(l);
  free(ids);
}

/* Eight processes open (and so create) the same new ledger at once. */
static void
test_concurrent_creation(void)
{
  for (int round = 0; round < 5; round++) {
    char name[16];
    snprintf(name, sizeof name, "fresh_%d", round);
    snprintf(path, sizeof path, "%s", dl_test_ledger_location(dir, name));
    pid_t pids[WORKERS];
    for (int w = 0; w < WORKERS; w++) {
      pids[w] = fork();
      if (pids[w] == 0) {
        dl_ledger *l;
        dl_error err;
        int rc = dl_ledger_open(path, &l, &err);
        if (rc)
          fprintf(stderr, "open: %s\n", err.text);
        dl_ledger_close(l);
        _exit(rc != DL_OK);
      }
    }
    int clean = 1;
    for (int w = 0; w < WORKERS; w++) {
      int status;
      waitpid(pids[w], &status, 0);
      clean &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    ok(clean, "round %d: 8 processes create the same ledger at once, all open it", round + 1);
  }
}

int
main(void)
{
  if (!mkdtemp(dir))
    return 1;
  test_concurrent_creation();
  test_concurrency();
  test_crash();
  char cmd[200];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0)
    tap_diag("could not remove %s", dir);
  return tap_done();
}
