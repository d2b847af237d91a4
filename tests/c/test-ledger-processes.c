/* The ledger under several processes at once, and under SIGKILL. */
#define _GNU_SOURCE
#include "deploy-ledger/deploy-ledger.h"
#include "tap.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define WORKERS 8
#define PER_WORKER 200

static char dir[] = "/tmp/dl-ledger-procs-XXXXXX";
static char path[128];

/* One worker: PER_WORKER deployments, each started then finished. */
static int
worker(int w)
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
    if (dl_ledger_record(l, d, NULL, NULL, 0, &err)
        || dl_ledger_transition(l, d->id, i % 5 ? DL_STATUS_SUCCEEDED : DL_STATUS_FAILED,
                                DL_TIME_NONE, "worker", NULL, NULL, 0, NULL, &err)) {
      fprintf(stderr, "worker %d: %s\n", w, err.text);
      return 1;
    }
    dl_deployment_free(d);
  }
  dl_ledger_close(l);
  return 0;
}

static void
test_concurrency(void)
{
  snprintf(path, sizeof path, "%s/shared.db", dir);
  dl_ledger *l;
  ok(dl_ledger_open(path, &l, NULL) == DL_OK, "create the shared ledger");
  dl_ledger_close(l);
  pid_t pids[WORKERS];
  for (int w = 0; w < WORKERS; w++) {
    pids[w] = fork();
    if (pids[w] == 0)
      _exit(worker(w));
  }
  int clean = 1;
  for (int w = 0; w < WORKERS; w++) {
    int status;
    waitpid(pids[w], &status, 0);
    clean &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  ok(clean, "8 processes each recorded and finished 200 deployments at once");

  sqlite3 *db;
  sqlite3_open(path, &db);
  sqlite3_stmt *stmt;
  static const struct {
    const char *sql;
    long want;
    const char *what;
  } checks[] = {
    {"SELECT count(*) FROM deployments", 1600, "all 1,600 deployments present"},
    {"SELECT count(DISTINCT id) FROM deployments", 1600, "no duplicate id"},
    {"SELECT count(DISTINCT version) FROM deployments", 1600, "no duplicate deployment"},
    {"SELECT count(*) FROM history WHERE kind = 'created'", 1600, "1,600 creations in history"},
    {"SELECT count(*) FROM history WHERE kind = 'status'", 1600, "1,600 transitions in history"},
    {"SELECT count(*) FROM (SELECT deployment_id FROM history GROUP BY deployment_id"
     " HAVING count(*) = 2)", 1600, "every history complete: created then finished"},
    {"SELECT count(*) FROM history WHERE kind = 'status' AND status = 'failed'", 320,
     "every fifth failed, as written"},
  };
  for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
    long got = -1;
    if (sqlite3_prepare_v2(db, checks[i].sql, -1, &stmt, NULL) == SQLITE_OK
        && sqlite3_step(stmt) == SQLITE_ROW)
      got = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    is_int(got, checks[i].want, "%s", checks[i].what);
  }
  sqlite3_close(db);

  ok(dl_ledger_open(path, &l, NULL) == DL_OK, "reopen");
  dl_query q;
  dl_query_init(&q);
  q.status = DL_STATUS_SUCCEEDED;
  dl_deployment **list;
  size_t n;
  ok(dl_ledger_query(l, &q, &list, &n, NULL) == DL_OK && n == 1280,
     "1,280 succeeded by derived state");
  dl_deployment_list_free(list, n);
  dl_ledger_close(l);
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
  snprintf(path, sizeof path, "%s/crash.db", dir);
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
  char *check = NULL;
  if (sqlite3_open(path, &db) == SQLITE_OK
      && sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, NULL) == SQLITE_OK) {
    if (sqlite3_step(stmt) == SQLITE_ROW)
      check = strdup((const char *) sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  is_str(check, "ok", "PRAGMA integrity_check passes");
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
    snprintf(path, sizeof path, "%s/fresh-%d.db", dir, round);
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
