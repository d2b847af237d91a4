/* DORA figures from the ledger: deployment frequency, change failure rate,
   time to restore and lead time for changes. */
#include "ledger/backend.h"
#include "util/grow.h"

#include <stdlib.h>
#include <string.h>

static int
compare_i64(const void *a, const void *b)
{
  int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
  return (x > y) - (x < y);
}

/* Median of N values (sorted in place); the mean of the middle two for an
   even count. -1 when N is 0. */
static int64_t
median(int64_t *v, size_t n)
{
  if (n == 0)
    return -1;
  qsort(v, n, sizeof *v, compare_i64);
  return n % 2 ? v[n / 2] : v[n / 2 - 1] + (v[n / 2] - v[n / 2 - 1]) / 2;
}

void
dl_dora_free(dl_dora *figures, size_t n)
{
  if (!figures)
    return;
  for (size_t i = 0; i < n; i++) {
    free(figures[i].service);
    free(figures[i].environment);
  }
  free(figures);
}

/* One deployment as the figures need it. */
typedef struct row {
  int64_t started, completed, status_at, commit_at;
  dl_deploy_status status;
} row;

/* Figures of one service and environment from its rows in start order. */
static void
compute(dl_dora *f, const row *rows, size_t n, int64_t *scratch)
{
  f->deployments = (long) n;
  double days = (double) (f->until - f->since) / 86400e9;
  f->per_day = days > 0 ? (double) n / days : 0;
  for (size_t i = 0; i < n; i++) {
    if (dl_deploy_status_is_final(rows[i].status))
      f->finished++;
    if (rows[i].status == DL_STATUS_FAILED || rows[i].status == DL_STATUS_ROLLED_BACK)
      f->failed++;
  }
  f->change_failure_rate = f->finished ? (double) f->failed / (double) f->finished : -1;

  /* An incident starts at the first failure after a success and ends at
     the completion of the next success. */
  size_t restores = 0;
  int64_t incident = DL_TIME_NONE;
  for (size_t i = 0; i < n; i++) {
    const row *r = &rows[i];
    if (r->status == DL_STATUS_FAILED || r->status == DL_STATUS_ROLLED_BACK) {
      if (incident == DL_TIME_NONE)
        incident = r->status_at;
    } else if (r->status == DL_STATUS_SUCCEEDED && incident != DL_TIME_NONE
               && r->completed > incident) {
      scratch[restores++] = r->completed - incident;
      incident = DL_TIME_NONE;
    }
  }
  f->restores = (long) restores;
  f->time_to_restore = median(scratch, restores);

  size_t leads = 0;
  for (size_t i = 0; i < n; i++)
    if (rows[i].status == DL_STATUS_SUCCEEDED && rows[i].commit_at != DL_TIME_NONE
        && rows[i].completed != DL_TIME_NONE)
      scratch[leads++] = rows[i].completed - rows[i].commit_at;
  f->lead_samples = (long) leads;
  f->lead_time = median(scratch, leads);
}

int
dl_ledger_dora(dl_ledger *ledger, const char *service, const char *environment, int64_t since,
               int64_t until, dl_dora **out, size_t *n, dl_error *err)
{
  *out = NULL;
  *n = 0;
  if (until == DL_TIME_NONE)
    until = dl_time_now();
  if (since == DL_TIME_NONE)
    since = until - 30 * 86400000000000LL;
  if (since >= until)
    return dl_fail(err, DL_EINVAL, "the DORA period must end after it starts");
  dl_stmt *stmt;
  int rc = dl_ledger_prepare(
    ledger,
    "SELECT service, environment, started_ns, commit_ns,"
    " (SELECT h.status FROM history h WHERE h.deployment_id = d.id"
    "   AND h.kind IN ('created', 'status') ORDER BY h.seq DESC LIMIT 1),"
    " (SELECT h.at_ns FROM history h WHERE h.deployment_id = d.id"
    "   AND h.kind IN ('created', 'status') ORDER BY h.seq DESC LIMIT 1),"
    " (SELECT h.at_ns FROM history h WHERE h.deployment_id = d.id AND h.kind = 'status'"
    "   AND h.status IN ('succeeded', 'failed', 'rolled-back') ORDER BY h.seq LIMIT 1)"
    " FROM deployments d WHERE started_ns >= ?1 AND started_ns < ?2"
    " AND (?3 IS NULL OR service = ?3) AND (?4 IS NULL OR environment = ?4)"
    " ORDER BY service, environment, started_ns, id",
    &stmt, err);
  if (rc)
    return rc;
  dl_stmt_int64_bind(stmt, 1, since);
  dl_stmt_int64_bind(stmt, 2, until);
  dl_stmt_text_bind(stmt, 3, service);
  dl_stmt_text_bind(stmt, 4, environment);

  dl_dora *figures = NULL;
  size_t count = 0, cap_f = 0, nrows = 0, cap_r = 0, cap_s = 0;
  row *rows = NULL;
  int64_t *scratch = NULL;
  char *group_service = NULL, *group_env = NULL;
  int step = 0;
  for (;;) {
    if ((rc = dl_stmt_step(stmt, &step, err)))
      break;
    const char *s = step ? dl_stmt_text(stmt, 0) : NULL;
    const char *e = step ? dl_stmt_text(stmt, 1) : NULL;
    int new_group = !group_service || !s || strcmp(s, group_service) || strcmp(e, group_env);
    if (new_group && group_service) { /* close the previous group */
      if (dl_grow(&figures, &cap_f, count, sizeof *figures, 8)) {
        rc = dl_fail(err, DL_ENOMEM, "out of memory");
        break;
      }
      dl_dora *f = &figures[count++];
      memset(f, 0, sizeof *f);
      f->service = group_service;
      f->environment = group_env;
      group_service = group_env = NULL;
      f->since = since;
      f->until = until;
      compute(f, rows, nrows, scratch);
      nrows = 0;
    }
    if (!step)
      break;
    if (new_group) {
      group_service = strdup(s);
      group_env = strdup(e);
      if (!group_service || !group_env) {
        rc = dl_fail(err, DL_ENOMEM, "out of memory");
        break;
      }
    }
    if (dl_grow(&rows, &cap_r, nrows, sizeof *rows, 64)
        || dl_grow(&scratch, &cap_s, nrows, sizeof *scratch, 64)) {
      rc = dl_fail(err, DL_ENOMEM, "out of memory");
      break;
    }
    row *r = &rows[nrows++];
    r->started = dl_stmt_int64(stmt, 2);
    r->commit_at = dl_stmt_time(stmt, 3);
    if (dl_deploy_status_parse(dl_stmt_text(stmt, 4), &r->status, err)) {
      rc = DL_ESTORAGE;
      break;
    }
    r->status_at = dl_stmt_int64(stmt, 5);
    r->completed = dl_stmt_time(stmt, 6);
  }
  dl_stmt_finalize(stmt);
  free(rows);
  free(scratch);
  free(group_service);
  free(group_env);
  if (rc) {
    dl_dora_free(figures, count);
    return rc;
  }
  *out = figures;
  *n = count;
  return DL_OK;
}
