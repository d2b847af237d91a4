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
  int rc = dl_ledger_prepare(ledger,
                             "INSERT INTO spool (deployment_id, created_ns, content_type,"
                             " span_count, payload) VALUES (?, ?, ?, ?, ?)",
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
   deployment_id, created_ns, content_type, span_count, payload, then for
   the spool attempts, next_attempt_ns, last_error; for dead letters
   failed_ns, http_status, response_body, reason. */
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
    if (dead) {
      e->failed = dl_sqlite_time(stmt, 6);
      e->http_status = sqlite3_column_int(stmt, 7);
      e->response_body = dl_sqlite_strdup(stmt, 8);
      e->reason = dl_sqlite_strdup(stmt, 9);
    } else {
      e->attempts = sqlite3_column_int(stmt, 6);
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
  "id, deployment_id, created_ns, content_type, span_count, payload, failed_ns," \
  " http_status, response_body, reason"

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
dl_ledger_spool_retry_later(dl_ledger *ledger, int64_t id, int64_t next_attempt,
                            const char *error_text, dl_error *err)
{
  sqlite3_stmt *stmt;
  int rc = dl_ledger_prepare(ledger,
                             "UPDATE spool SET attempts = attempts + 1, next_attempt_ns = ?2,"
                             " last_error = ?3 WHERE id = ?1",
                             &stmt, err);
  if (rc)
    return rc;
  sqlite3_bind_int64(stmt, 1, id);
  dl_sqlite_bind_time(stmt, 2, next_attempt);
  dl_sqlite_bind_text(stmt, 3, error_text);
  int step = sqlite3_step(stmt);
  sqlite3_finalize(stmt);
  if (step != SQLITE_DONE)
    return dl_ledger_fail(ledger, step, "reschedule spooled spans", err);
  if (!sqlite3_changes(ledger->db))
    return dl_fail(err, DL_ENOTFOUND, "no spooled item %lld", (long long) id);
  return DL_OK;
}

int
dl_ledger_spool_dead_letter(dl_ledger *ledger, int64_t id, int http_status, const char *body,
                            const char *reason, dl_error *err)
{
  int rc = dl_ledger_begin(ledger, err);
  if (rc)
    return rc;
  sqlite3_stmt *stmt;
  rc = dl_ledger_prepare(ledger,
                         "INSERT INTO dead_letter (id, deployment_id, created_ns, failed_ns,"
                         " span_count, content_type, payload, http_status, response_body, reason)"
                         " SELECT id, deployment_id, created_ns, ?2, span_count, content_type,"
                         " payload, ?3, ?4, ?5 FROM spool WHERE id = ?1",
                         &stmt, err);
  if (!rc) {
    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_int64(stmt, 2, dl_time_now());
    sqlite3_bind_int(stmt, 3, http_status);
    dl_sqlite_bind_text(stmt, 4, body);
    dl_sqlite_bind_text(stmt, 5, reason);
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
