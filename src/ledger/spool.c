/* The export spool: spans waiting for the collector, and dead letters. */
#include "ledger/sqlite.h"
#include "util/grow.h"

#include <stdlib.h>
#include <string.h>

int
dl_ledger_spool_insert(dl_ledger *ledger, const char *deployment_id, const dl_spool_item *spool,
                       size_t n, dl_error *err)
{
  if (n == 0)
    return DL_OK;
  sqlite3_stmt *stmt;
  /* The id is taken past both tables: SQLite would reuse the id of a
     spool row just moved to the dead letters, and the item's next move
     there (or a requeue) would then collide. */
  int rc = dl_ledger_prepare(ledger,
                             "INSERT INTO spool (id, deployment_id, created_ns, content_type,"
                             " span_count, payload) VALUES ((SELECT 1 + max("
                             " coalesce((SELECT max(id) FROM spool), 0),"
                             " coalesce((SELECT max(id) FROM dead_letter), 0))),"
                             " ?, ?, ?, ?, ?)",
                             &stmt, err);
  for (size_t i = 0; !rc && i < n; i++) {
    sqlite3_reset(stmt);
    sqlite3_bind_text(stmt, 1, deployment_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, dl_time_now());
    sqlite3_bind_text(stmt, 3, spool[i].content_type ? spool[i].content_type
                                                     : "application/x-protobuf",
                      -1, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 4, spool[i].span_count);
    sqlite3_bind_blob64(stmt, 5, spool[i].payload ? spool[i].payload : "",
                        (sqlite3_uint64) spool[i].size, SQLITE_STATIC);
    int step = sqlite3_step(stmt);
    if (step != SQLITE_DONE)
      rc = dl_ledger_fail(ledger, step, "spool spans", err);
  }
  sqlite3_finalize(stmt);
  return rc;
}

void
dl_spool_entries_free(dl_spool_entry *entries, size_t n)
{
  if (!entries)
    return;
  for (size_t i = 0; i < n; i++) {
    free(entries[i].deployment_id);
    free(entries[i].content_type);
    free(entries[i].payload);
    free(entries[i].last_error);
    free(entries[i].response_body);
    free(entries[i].reason);
  }
  free(entries);
}

/* Reads rows of a spool or dead-letter SELECT into entries.  Columns: id,
   deployment_id, created_ns, content_type, span_count, payload,
   attempts, then for the spool next_attempt_ns, last_error; for dead
   letters failed_ns, http_status, response_body, reason, grpc_status. */
static int
read_entries(dl_ledger *ledger, sqlite3_stmt *stmt, int dead, dl_spool_entry **out, size_t *n,
             dl_error *err)
{
  dl_spool_entry *list = NULL;
  size_t count = 0, cap = 0;
  int step, rc = DL_OK;
  while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
    if (dl_grow(&list, &cap, count, sizeof *list, 16)) {
      rc = dl_fail(err, DL_ENOMEM, "out of memory reading the spool");
      break;
    }
    dl_spool_entry *e = &list[count++];
    memset(e, 0, sizeof *e);
    e->id = sqlite3_column_int64(stmt, 0);
    e->deployment_id = dl_sqlite_strdup(stmt, 1);
    e->created = sqlite3_column_int64(stmt, 2);
    e->content_type = dl_sqlite_strdup(stmt, 3);
    e->span_count = sqlite3_column_int(stmt, 4);
    e->size = (size_t) sqlite3_column_bytes(stmt, 5);
    e->payload = malloc(e->size ? e->size : 1);
    if (!e->payload) {
      rc = dl_fail(err, DL_ENOMEM, "out of memory reading the spool");
      break;
    }
    if (e->size)
      memcpy(e->payload, sqlite3_column_blob(stmt, 5), e->size);
    e->next_attempt = e->failed = DL_TIME_NONE;
    e->grpc_status = -1;
    e->attempts = sqlite3_column_int(stmt, 6);
    if (dead) {
      e->failed = dl_sqlite_time(stmt, 7);
      e->http_status = sqlite3_column_int(stmt, 8);
      e->response_body = dl_sqlite_strdup(stmt, 9);
      e->reason = dl_sqlite_strdup(stmt, 10);
      if (sqlite3_column_type(stmt, 11) != SQLITE_NULL)
        e->grpc_status = sqlite3_column_int(stmt, 11);
    } else {
      e->next_attempt = dl_sqlite_time(stmt, 7);
      e->last_error = dl_sqlite_strdup(stmt, 8);
    }
  }
  if (!rc && step != SQLITE_DONE)
    rc = dl_ledger_fail(ledger, step, "read the spool", err);
  if (rc) {
    dl_spool_entries_free(list, count);
    return rc;
  }
  *out = list;
  *n = count;
  return DL_OK;
}

#define SPOOL_COLUMNS \
  "id, deployment_id, created_ns, content_type, span_count, payload, attempts," \
  " next_attempt_ns, last_error"
#define DEAD_COLUMNS \
  "id, deployment_id, created_ns, content_type, span_count, payload, attempts, failed_ns," \
  " http_status, response_body, reason, grpc_status"

int
dl_ledger_spool_pending(dl_ledger *ledger, size_t limit, int64_t now, dl_spool_entry **out,
                        size_t *n, dl_error *err)
{
  *out = NULL;
  *n = 0;
  sqlite3_stmt *stmt;
  int rc = dl_ledger_prepare(ledger,
                             "SELECT " SPOOL_COLUMNS " FROM spool WHERE next_attempt_ns IS NULL"
                             " OR next_attempt_ns <= ? ORDER BY id LIMIT ?",
                             &stmt, err);
  if (rc)
    return rc;
  sqlite3_bind_int64(stmt, 1, now);
  sqlite3_bind_int64(stmt, 2, limit ? (int64_t) limit : -1);
  rc = read_entries(ledger, stmt, 0, out, n, err);
  sqlite3_finalize(stmt);
  return rc;
}

int
dl_ledger_spool_list(dl_ledger *ledger, int dead, dl_spool_entry **out, size_t *n,
                     dl_error *err)
{
  *out = NULL;
  *n = 0;
  sqlite3_stmt *stmt;
  int rc = dl_ledger_prepare(ledger,
                             dead ? "SELECT " DEAD_COLUMNS " FROM dead_letter ORDER BY id"
                                  : "SELECT " SPOOL_COLUMNS " FROM spool ORDER BY id",
                             &stmt, err);
  if (rc)
    return rc;
  rc = read_entries(ledger, stmt, dead, out, n, err);
  sqlite3_finalize(stmt);
  return rc;
}

/* Runs one statement with an id and optional text parameters. */
static int
exec_on_item(dl_ledger *ledger, const char *sql, int64_t id, const char *what, int *changed,
             dl_error *err)
{
  sqlite3_stmt *stmt;
  int rc = dl_ledger_prepare(ledger, sql, &stmt, err);
  if (rc)
    return rc;
  sqlite3_bind_int64(stmt, 1, id);
  int step = sqlite3_step(stmt);
  sqlite3_finalize(stmt);
  if (step != SQLITE_DONE)
    return dl_ledger_fail(ledger, step, what, err);
  if (changed)
    *changed = sqlite3_changes(ledger->db);
  return DL_OK;
}

int
dl_ledger_spool_ack(dl_ledger *ledger, int64_t id, dl_error *err)
{
  int changed = 0;
  int rc = exec_on_item(ledger, "DELETE FROM spool WHERE id = ?", id, "acknowledge spooled spans",
                        &changed, err);
  if (!rc && !changed)
    rc = dl_fail(err, DL_ENOTFOUND, "no spooled item %lld", (long long) id);
  return rc;
}

int
dl_ledger_spool_retry_later(dl_ledger *ledger, int64_t id, int attempts, int64_t next_attempt,
                            const char *error_text, dl_error *err)
{
  sqlite3_stmt *stmt;
  int rc = dl_ledger_prepare(ledger,
                             "UPDATE spool SET attempts = attempts + ?4, next_attempt_ns = ?2,"
                             " last_error = ?3 WHERE id = ?1",
                             &stmt, err);
  if (rc)
    return rc;
  sqlite3_bind_int64(stmt, 1, id);
  dl_sqlite_bind_time(stmt, 2, next_attempt);
  dl_sqlite_bind_text(stmt, 3, error_text);
  sqlite3_bind_int(stmt, 4, attempts > 0 ? attempts : 0);
  int step = sqlite3_step(stmt);
  sqlite3_finalize(stmt);
  if (step != SQLITE_DONE)
    return dl_ledger_fail(ledger, step, "reschedule spooled spans", err);
  if (!sqlite3_changes(ledger->db))
    return dl_fail(err, DL_ENOTFOUND, "no spooled item %lld", (long long) id);
  return DL_OK;
}

int
dl_ledger_spool_dead_letter(dl_ledger *ledger, int64_t id, const dl_refusal *why,
                            dl_error *err)
{
  int rc = dl_ledger_begin(ledger, err);
  if (rc)
    return rc;
  sqlite3_stmt *stmt;
  rc = dl_ledger_prepare(ledger,
                         "INSERT INTO dead_letter (id, deployment_id, created_ns, failed_ns,"
                         " span_count, content_type, payload, http_status, response_body, reason,"
                         " attempts, grpc_status)"
                         " SELECT id, deployment_id, created_ns, ?2, span_count, content_type,"
                         " payload, ?3, ?4, ?5, attempts + ?6, ?7 FROM spool WHERE id = ?1",
                         &stmt, err);
  if (!rc) {
    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_int64(stmt, 2, dl_time_now());
    sqlite3_bind_int(stmt, 3, why->http_status);
    dl_sqlite_bind_text(stmt, 4, why->response_body);
    dl_sqlite_bind_text(stmt, 5, why->reason);
    sqlite3_bind_int(stmt, 6, why->attempts > 0 ? why->attempts : 0);
    if (why->grpc_status >= 0)
      sqlite3_bind_int(stmt, 7, why->grpc_status);
    else
      sqlite3_bind_null(stmt, 7);
    int step = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (step != SQLITE_DONE)
      rc = dl_ledger_fail(ledger, step, "dead-letter spooled spans", err);
    else if (!sqlite3_changes(ledger->db))
      rc = dl_fail(err, DL_ENOTFOUND, "no spooled item %lld", (long long) id);
  }
  if (!rc)
    rc = exec_on_item(ledger, "DELETE FROM spool WHERE id = ?", id, "dead-letter spooled spans",
                      NULL, err);
  if (rc) {
    dl_ledger_rollback(ledger);
    return rc;
  }
  return dl_ledger_commit(ledger, err);
}

/* Runs SQL (which takes a dead letter's id as ?1) on each of IDS, or
   once with ?1 NULL for all of them when N is 0 (the SQL then says what
   NULL means), inside the caller's transaction.  An id that matches no
   dead letter is DL_ENOTFOUND. */
static int
on_dead_letters(dl_ledger *ledger, const char *sql, const int64_t *ids, size_t n,
                const char *what, size_t *changed, dl_error *err)
{
  sqlite3_stmt *stmt;
  int rc = dl_ledger_prepare(ledger, sql, &stmt, err);
  if (rc)
    return rc;
  for (size_t i = 0; !rc && i < (n ? n : 1); i++) {
    sqlite3_reset(stmt);
    if (n)
      sqlite3_bind_int64(stmt, 1, ids[i]);
    else
      sqlite3_bind_null(stmt, 1);
    int step = sqlite3_step(stmt);
    if (step != SQLITE_DONE)
      rc = dl_ledger_fail(ledger, step, what, err);
    else if (n && !sqlite3_changes(ledger->db))
      rc = dl_fail(err, DL_ENOTFOUND, "no dead letter %lld (deploy-ledger spool --dead lists "
                   "them); nothing was changed", (long long) ids[i]);
    else
      *changed += (size_t) sqlite3_changes(ledger->db);
  }
  sqlite3_finalize(stmt);
  return rc;
}

int
dl_ledger_spool_requeue(dl_ledger *ledger, const int64_t *ids, size_t n, size_t *moved,
                        dl_error *err)
{
  size_t count = 0, deleted = 0;
  int rc = dl_ledger_begin(ledger, err);
  if (rc)
    return rc;
  /* Due at once; the refusal stays readable as the item's last error. */
  rc = on_dead_letters(ledger,
                       "INSERT INTO spool (id, deployment_id, created_ns, content_type,"
                       " span_count, payload, attempts, next_attempt_ns, last_error)"
                       " SELECT id, deployment_id, created_ns, content_type, span_count,"
                       " payload, attempts, NULL, 'requeued after: ' || coalesce(reason, '')"
                       " FROM dead_letter WHERE ?1 IS NULL OR id = ?1",
                       ids, n, "requeue dead letters", &count, err);
  if (!rc)
    rc = on_dead_letters(ledger, "DELETE FROM dead_letter WHERE ?1 IS NULL OR id = ?1", ids, n,
                         "requeue dead letters", &deleted, err);
  if (rc) {
    dl_ledger_rollback(ledger);
    return rc;
  }
  rc = dl_ledger_commit(ledger, err);
  if (!rc && moved)
    *moved = count;
  return rc;
}

int
dl_ledger_spool_purge(dl_ledger *ledger, const int64_t *ids, size_t n, size_t *deleted,
                      dl_error *err)
{
  size_t count = 0;
  int rc = dl_ledger_begin(ledger, err);
  if (rc)
    return rc;
  rc = on_dead_letters(ledger, "DELETE FROM dead_letter WHERE ?1 IS NULL OR id = ?1", ids, n,
                       "purge dead letters", &count, err);
  if (rc) {
    dl_ledger_rollback(ledger);
    return rc;
  }
  rc = dl_ledger_commit(ledger, err);
  if (!rc && deleted)
    *deleted = count;
  return rc;
}
