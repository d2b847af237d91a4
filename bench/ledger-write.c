/* How fast the ledger records deployments: N deployments, each a start
   (dl_ledger_record) and a finish (dl_ledger_transition), one committed
   transaction per event, as the deploy hooks make them.  Each commit is
   as durable as the ledger's synchronous setting makes it, so this is
   what that setting costs.  Usage (from the build directory):
     bench/ledger-write [--deployments N] [--dir DIR]
   DIR (default: the current directory) should be on the disk a real
   ledger lives on: on a tmpfs an fsync costs nothing.  The last line is
   JSON. */
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

int
main(int argc, char **argv)
{
  long n = 1000;
  const char *where = ".";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--deployments") == 0)
      n = atol(argv[i + 1]);
    else if (strcmp(argv[i], "--dir") == 0)
      where = argv[i + 1];
  }
  if (n <= 0)
    n = 1;
  char dir[4096], path[4200];
  snprintf(dir, sizeof dir, "%s/dl-bench-write-XXXXXX", where);
  if (!mkdtemp(dir)) {
    perror(dir);
    return 1;
  }
  snprintf(path, sizeof path, "%s/ledger.db", dir);
  dl_ledger *l;
  dl_error err;
  if (dl_ledger_open(path, &l, &err)) {
    fprintf(stderr, "ledger-write: %s\n", err.text);
    return 1;
  }
  int64_t t0 = 1700000000000000000LL;
  double start = now_s(), record_s = 0, finish_s = 0;
  for (long i = 0; i < n; i++) {
    dl_deployment *d = dl_deployment_new();
    char version[32];
    snprintf(version, sizeof version, "v1.%ld", i);
    if (!d || dl_deployment_set_string(&d->service, i % 2 ? "checkout" : "payments")
        || dl_deployment_set_string(&d->version, version)
        || dl_deployment_set_string(&d->environment, "production")) {
      fprintf(stderr, "ledger-write: out of memory\n");
      return 1;
    }
    d->status = DL_STATUS_IN_PROGRESS;
    d->started = t0 + i * 600000000000LL;
    double a = now_s();
    if (dl_ledger_record(l, d, NULL, NULL, 0, &err)) {
      fprintf(stderr, "ledger-write: %s\n", err.text);
      return 1;
    }
    double b = now_s();
    if (dl_ledger_transition(l, d->id, DL_STATUS_SUCCEEDED, d->started + 240000000000LL, NULL,
                             NULL, NULL, 0, NULL, &err)) {
      fprintf(stderr, "ledger-write: %s\n", err.text);
      return 1;
    }
    record_s += b - a;
    finish_s += now_s() - b;
    dl_deployment_free(d);
  }
  double total = now_s() - start;
  dl_ledger_close(l);
  long events = 2 * n;
  printf("recorded %ld deployments (%ld events, one transaction each) in %.2f s: %.0f events/s, "
         "%.2f ms per event (start %.2f ms, finish %.2f ms)\n",
         n, events, total, events / total, total * 1000 / events, record_s * 1000 / n,
         finish_s * 1000 / n);
  printf("{\"bench\":\"ledger-write\",\"deployments\":%ld,\"events\":%ld,\"seconds\":%.3f,"
         "\"events_per_second\":%.1f,\"ms_per_event\":%.3f}\n",
         n, events, total, events / total, total * 1000 / events);
  char cmd[4300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) != 0;
}
