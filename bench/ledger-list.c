/* How long `deploy-ledger list' takes to start and print a ledger of many
   deployments, and how long the library takes to read them
   (dl_ledger_query).  Usage (from the build directory):
     bench/ledger-list [--deployments N] [--runs R] [--command CMD] [--json]
                       [--db LEDGER]
   CMD defaults to "./pre-inst-env deploy-ledger"; --json times
   `list --json' instead of the table.  LEDGER is where the deployments
   go: a new SQLite file in a temporary directory by default, or a
   PostgreSQL URL of an empty database (postgresql://USER@HOST:PORT/DB),
   so that the two backends can be compared. */
#define _GNU_SOURCE
#include "deploy-ledger/deploy-ledger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double
now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
fill(const char *path, long n)
{
  dl_ledger *l;
  dl_error err;
  if (dl_ledger_open(path, &l, &err)) {
    fprintf(stderr, "ledger-list: %s\n", err.text);
    return 1;
  }
  static const char *services[] = {"checkout", "payments", "search", "catalog", "auth"};
  static const char *envs[] = {"production", "staging"};
  int64_t t0 = 1700000000000000000LL;
  for (long i = 0; i < n; i++) {
    dl_deployment *d = dl_deployment_new();
    char version[32];
    snprintf(version, sizeof version, "v1.%ld.%ld", i / 100, i % 100);
    if (dl_deployment_set_string(&d->service, services[i % 5])
        || dl_deployment_set_string(&d->version, version)
        || dl_deployment_set_string(&d->environment, envs[i % 2])
        || dl_deployment_add_region(d, "eu-west-1"))
      return 1;
    d->type = (dl_deploy_type) (i % DL_TYPE_COUNT);
    d->status = i % 7 == 0 ? DL_STATUS_FAILED : DL_STATUS_SUCCEEDED;
    d->started = t0 + i * 600000000000LL;
    d->completed = d->started + 240000000000LL;
    if (dl_ledger_record(l, d, NULL, NULL, 0, &err)) {
      fprintf(stderr, "ledger-list: %s\n", err.text);
      return 1;
    }
    dl_deployment_free(d);
  }
  dl_ledger_close(l);
  return 0;
}

int
main(int argc, char **argv)
{
  long n = 10000;
  int runs = 5;
  const char *command = "./pre-inst-env deploy-ledger", *format = "", *db = NULL;
  for (int i = 1; i < argc; i += 2) {
    if (strcmp(argv[i], "--json") == 0) {
      format = " --json";
      i--;
    } else if (i + 1 == argc)
      break;
    else if (strcmp(argv[i], "--deployments") == 0)
      n = atol(argv[i + 1]);
    else if (strcmp(argv[i], "--runs") == 0)
      runs = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--command") == 0)
      command = argv[i + 1];
    else if (strcmp(argv[i], "--db") == 0)
      db = argv[i + 1];
  }
  char dir[] = "/tmp/dl-bench-XXXXXX", path[600], cmd[2048];
  if (!mkdtemp(dir))
    return 1;
  snprintf(path, sizeof path, "%s", db ? db : "");
  if (!db)
    snprintf(path, sizeof path, "%s/ledger.db", dir);
  double t = now_s();
  if (fill(path, n))
    return 1;
  printf("recorded %ld deployments in %.2f s (one transaction each)\n", n, now_s() - t);

  /* The library alone: open, query everything, close. */
  dl_ledger *l;
  dl_error err;
  if (dl_ledger_open_flags(path, 0, &l, &err)) {
    fprintf(stderr, "ledger-list: %s\n", err.text);
    return 1;
  }
  const char *backend = dl_ledger_backend_name(l);
  double query_best = 1e9;
  for (int r = 0; r < runs; r++) {
    dl_query q;
    dl_query_init(&q);
    dl_deployment **list;
    size_t count;
    t = now_s();
    if (dl_ledger_query(l, &q, &list, &count, &err)) {
      fprintf(stderr, "ledger-list: %s\n", err.text);
      return 1;
    }
    double s = now_s() - t;
    if (s < query_best)
      query_best = s;
    dl_deployment_list_free(list, count);
  }
  dl_ledger_close(l);
  printf("dl_ledger_query of %ld deployments on %s: best %.3f s over %d runs\n", n, backend,
         query_best, runs);
  snprintf(cmd, sizeof cmd, "%s list%s --db '%s' > %s/out.txt", command, format, path, dir);
  double best = 1e9, total = 0;
  for (int r = 0; r < runs; r++) {
    t = now_s();
    if (system(cmd) != 0) {
      fprintf(stderr, "ledger-list: `%s' failed\n", cmd);
      return 1;
    }
    double s = now_s() - t;
    total += s;
    if (s < best)
      best = s;
  }
  snprintf(cmd, sizeof cmd, "wc -l < %s/out.txt", dir);
  FILE *p = popen(cmd, "r");
  long lines = 0;
  if (p && fscanf(p, "%ld", &lines) != 1)
    lines = 0;
  if (p)
    pclose(p);
  printf("`deploy-ledger list%s' of %ld deployments (%ld lines): best %.3f s, mean %.3f s over %d "
         "runs\n",
         format, n, lines, best, total / runs, runs);
  printf("{\"bench\":\"ledger-list\",\"backend\":\"%s\",\"json\":%s,\"deployments\":%ld,"
         "\"seconds\":%.3f,\"mean_seconds\":%.3f,\"query_seconds\":%.3f}\n",
         backend, *format ? "true" : "false", n, best, total / runs, query_best);
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd) != 0;
}
