/* Copying a ledger into another, whatever their backends: `deploy-ledger
   migrate'.  Rows go across as they are, column by column, so that the
   two ledgers list, show and export the same. */
#include "ledger/backend.h"
#include "util/grow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A table as copied: its columns, and their kinds (T text, I integer,
   B bytes) in the same order.  The first column is its own numbering
   (kept into an empty ledger, given anew otherwise) except for
   deployments, whose id is the deployment's; the second is the
   deployment id of the others. */
typedef struct table {
  const char *name;
  const char *columns;
  const char *kinds;
  const char *order;
} table;

static const table deployments_table = {
  "deployments",
  "id, service, version, previous_version, type, environment, regions, started_ns, actor,"
  " commit_sha, commit_ns, trace_id, span_id, trace_flags, tracestate, parent_span_id,"
  " recorded_ns",
  "TTTTTTTITTITTITTI", "id"};
static const table history_table = {
  "history", "seq, deployment_id, at_ns, kind, status, actor, reason, key, value", "ITITTTTTT",
  "seq"};
static const table spool_table = {
  "spool",
  "id, deployment_id, created_ns, content_type, span_count, payload, attempts,"
  " next_attempt_ns, last_error",
  "ITITIBIIT", "id"};
static const table dead_letter_table = {
  "dead_letter",
  "id, deployment_id, created_ns, failed_ns, span_count, content_type, payload, http_status,"
  " response_body, reason, attempts, grpc_status",
  "ITIIITBITTII", "id"};

/* The deployment ids copied, in strcmp order (as both databases list
   them: see read.c). */
typedef struct id_set {
  char **ids;
  size_t n, cap;
} id_set;

static int
compare_id(const void *key, const void *elem)
{
  return strcmp(key, *(char *const *) elem);
}

static int
in_set(const id_set *set, const char *id)
{
  /* An empty set may have no array, and bsearch wants one. */
  return id && set->n > 0
         && bsearch(id, set->ids, set->n, sizeof *set->ids, compare_id) != NULL;
}

static int
count_rows(dl_ledger *ledger, const char *table_name, long *count, dl_error *err)
{
  char sql[96];
  snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table_name);
  dl_stmt *s;
  int row = 0, rc = dl_ledger_prepare(ledger, sql, &s, err);
  if (!rc)
    rc = dl_stmt_step(s, &row, err);
  *count = !rc && row ? (long) dl_stmt_int64(s, 0) : 0;
  dl_stmt_finalize(s);
  return rc;
}

/* The largest value of COLUMN in TABLE_NAME of LEDGER, 0 when empty. */
static int
max_of(dl_ledger *ledger, const char *table_name, const char *column, int64_t *out,
       dl_error *err)
{
  char sql[128];
  snprintf(sql, sizeof sql, "SELECT coalesce(max(%s), 0) FROM %s", column, table_name);
  dl_stmt *s;
  int row = 0, rc = dl_ledger_prepare(ledger, sql, &s, err);
  if (!rc)
    rc = dl_stmt_step(s, &row, err);
  *out = !rc && row ? dl_stmt_int64(s, 0) : 0;
  dl_stmt_finalize(s);
  return rc;
}

/* Binds column C of the current row of FROM to parameter P of TO. */
static void
bind_column(dl_stmt *to, int p, dl_stmt *from, int c, char kind)
{
  if (kind == 'B') {
    size_t size = 0;
    const void *bytes = dl_stmt_is_null(from, c) ? "" : dl_stmt_blob(from, c, &size);
    dl_stmt_blob_bind(to, p, bytes, size);
  } else if (kind == 'I') {
    dl_stmt_time_bind(to, p, dl_stmt_time(from, c)); /* NULL stays NULL */
  } else {
    dl_stmt_text_bind(to, p, dl_stmt_text(from, c));
  }
}

/* Copies the rows of T from FROM to TO.  MERGE: TO was not empty, so the
   numbering column is given anew (by TO, or from *NEXT_ID when not NULL)
   and only rows of deployments in COPIED go across; deployments already
   in TO are skipped.  *COUNT receives the rows copied. */
static int
copy_table(dl_ledger *from, dl_ledger *to, const table *t, int merge, id_set *copied,
           int64_t *next_id, long *count, long *skipped, dl_error *err)
{
  int is_deployments = t == &deployments_table;
  int renumber = merge && !is_deployments;
  /* With a number given anew by TO, the first column is left out. */
  const char *insert_columns = t->columns;
  if (renumber && !next_id)
    insert_columns = strchr(t->columns, ',') + 2;
  int ncols = (int) strlen(t->kinds);
  int first = renumber && !next_id ? 1 : 0;
  char select_sql[512], insert_sql[768], exists_sql[128];
  snprintf(select_sql, sizeof select_sql, "SELECT %s FROM %s ORDER BY %s", t->columns, t->name,
           t->order);
  size_t len = (size_t) snprintf(insert_sql, sizeof insert_sql, "INSERT INTO %s (%s) VALUES (",
                                 t->name, insert_columns);
  for (int c = first; c < ncols; c++)
    len += (size_t) snprintf(insert_sql + len, sizeof insert_sql - len, "%s?%d",
                             c > first ? ", " : "", c - first + 1);
  snprintf(insert_sql + len, sizeof insert_sql - len, ")");
  snprintf(exists_sql, sizeof exists_sql, "SELECT 1 FROM deployments WHERE id = ?1");

  dl_stmt *rows = NULL, *insert = NULL, *exists = NULL;
  int rc = dl_ledger_prepare(from, select_sql, &rows, err);
  if (!rc)
    rc = dl_ledger_prepare(to, insert_sql, &insert, err);
  if (!rc && merge && is_deployments)
    rc = dl_ledger_prepare(to, exists_sql, &exists, err);
  int row = 0;
  while (!rc && !(rc = dl_stmt_step(rows, &row, err)) && row) {
    const char *id = dl_stmt_text(rows, is_deployments ? 0 : 1);
    if (is_deployments && merge) {
      int there = 0;
      dl_stmt_reset(exists);
      dl_stmt_text_bind(exists, 1, id);
      if ((rc = dl_stmt_step(exists, &there, err)))
        break;
      if (there) {
        (*skipped)++;
        continue;
      }
    }
    if (is_deployments) {
      char *copy = id ? strdup(id) : NULL;
      if (!copy || dl_grow(&copied->ids, &copied->cap, copied->n, sizeof *copied->ids, 256)) {
        free(copy);
        rc = dl_fail(err, DL_ENOMEM, "out of memory copying the ledger");
        break;
      }
      copied->ids[copied->n++] = copy;
    } else if (merge && !in_set(copied, id)) {
      continue; /* a deployment the target already had, with its own */
    }
    dl_stmt_reset(insert);
    for (int c = first; c < ncols; c++)
      bind_column(insert, c - first + 1, rows, c, t->kinds[c]);
    if (renumber && next_id)
      dl_stmt_int64_bind(insert, 1, ++*next_id);
    if ((rc = dl_stmt_run(insert, err)))
      break;
    (*count)++;
  }
  dl_stmt_finalize(rows);
  dl_stmt_finalize(insert);
  dl_stmt_finalize(exists);
  return rc;
}

int
dl_ledger_copy(dl_ledger *from, dl_ledger *to, unsigned flags, dl_copy_stats *stats,
               dl_error *err)
{
  dl_copy_stats local;
  if (!stats)
    stats = &local;
  memset(stats, 0, sizeof *stats);
  if (from == to || strcmp(dl_ledger_path(from), dl_ledger_path(to)) == 0)
    return dl_fail(err, DL_EINVAL, "cannot copy ledger %s into itself", dl_ledger_path(from));
  int rc = to->backend->begin(to, err);
  if (rc)
    return rc;
  long held[3] = {0, 0, 0};
  rc = count_rows(to, "deployments", &held[0], err);
  if (!rc)
    rc = count_rows(to, "spool", &held[1], err);
  if (!rc)
    rc = count_rows(to, "dead_letter", &held[2], err);
  int merge = held[0] || held[1] || held[2];
  if (!rc && merge && !(flags & DL_COPY_FORCE)) {
    rc = dl_fail(err, DL_ESTORAGE,
                 "ledger %s is not empty (deployments: %ld, spooled: %ld, dead letters: %ld): "
                 "migrate copies into an empty ledger; with --force it adds the deployments "
                 "it lacks", dl_ledger_path(to), held[0], held[1], held[2]);
    dl_error_at(err, dl_ledger_path(to), -1, -1, -1);
  }
  if (!rc)
    rc = from->backend->begin_read(from, err);
  id_set copied = {NULL, 0, 0};
  long ignored = 0;
  if (!rc)
    rc = copy_table(from, to, &deployments_table, merge, &copied, NULL, &stats->deployments,
                    &stats->skipped, err);
  if (!rc)
    rc = copy_table(from, to, &history_table, merge, &copied, NULL, &stats->history, &ignored,
                    err);
  if (!rc)
    rc = copy_table(from, to, &spool_table, merge, &copied, NULL, &stats->spooled, &ignored, err);
  /* Into a non-empty ledger, dead letters are numbered after every spool
     and dead-letter id there: a spooled item keeps its id when it becomes
     a dead letter. */
  int64_t next_dead = 0, max_spool = 0;
  if (!rc && merge)
    rc = max_of(to, "dead_letter", "id", &next_dead, err);
  if (!rc && merge)
    rc = max_of(to, "spool", "id", &max_spool, err);
  if (next_dead < max_spool)
    next_dead = max_spool;
  if (!rc)
    rc = copy_table(from, to, &dead_letter_table, merge, &copied, merge ? &next_dead : NULL,
                    &stats->dead_letters, &ignored, err);
  if (!rc && to->backend->after_copy)
    rc = to->backend->after_copy(to, err);
  from->backend->rollback(from);
  for (size_t i = 0; i < copied.n; i++)
    free(copied.ids[i]);
  free(copied.ids);
  if (rc) {
    to->backend->rollback(to);
    return rc;
  }
  return to->backend->commit(to, err);
}
