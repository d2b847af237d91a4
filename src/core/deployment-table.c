/* Plain-text tables of deployments. */
#include "deploy-ledger/deployment-table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COLUMNS 8

/* The cells of one deployment, written into SCRATCH where computed. */
static void
cells_of(const dl_deployment *d, const char **cell, char started[DL_TIME_TEXT_SIZE],
         char duration[32])
{
  /* To the second, rounding down also before 1970. */
  int64_t sub = d->started % 1000000000, second;
  if (__builtin_sub_overflow(d->started, sub < 0 ? sub + 1000000000 : sub, &second))
    second = d->started - sub; /* the earliest second: up, not below the range */
  dl_time_format(second, started);
  if (d->completed != DL_TIME_NONE)
    dl_duration_between(d->started, d->completed, duration);
  else
    strcpy(duration, "-");
  cell[0] = d->id;
  cell[1] = d->service;
  cell[2] = d->version;
  cell[3] = d->environment;
  cell[4] = dl_deploy_type_name(d->type);
  cell[5] = dl_deploy_status_name(d->status);
  cell[6] = started;
  cell[7] = duration;
}

char *
dl_deployment_table(dl_deployment *const *list, size_t n)
{
  static const char *const header[COLUMNS] = {"ID", "SERVICE", "VERSION", "ENVIRONMENT",
                                              "TYPE", "STATUS", "STARTED", "DURATION"};
  size_t width[COLUMNS];
  const char *cell[COLUMNS];
  char started[DL_TIME_TEXT_SIZE], duration[32];
  for (int c = 0; c < COLUMNS; c++)
    width[c] = strlen(header[c]);
  for (size_t i = 0; i < n; i++) {
    cells_of(list[i], cell, started, duration);
    for (int c = 0; c < COLUMNS; c++) {
      size_t w = strlen(cell[c]);
      if (w > width[c])
        width[c] = w;
    }
  }
  size_t line = COLUMNS * 2 + 1;
  for (int c = 0; c < COLUMNS; c++)
    line += width[c];
  char *out = malloc(line * (n + 1) + 1), *p = out;
  if (!out)
    return NULL;
  for (size_t i = 0; i <= n; i++) {
    if (i == 0)
      memcpy(cell, header, sizeof cell);
    else
      cells_of(list[i - 1], cell, started, duration);
    for (int c = 0; c < COLUMNS; c++)
      p += c + 1 < COLUMNS ? sprintf(p, "%-*s  ", (int) width[c], cell[c]) : sprintf(p, "%s", cell[c]);
    *p++ = '\n';
  }
  *p = '\0';
  return out;
}
