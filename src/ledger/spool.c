/* The export spool: spans waiting for the collector, and dead letters. */
#include "ledger/backend.h"
#include "util/grow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
dl_ledger_spool_insert(dl_ledger *ledger, const char *deployment_id, const dl_spool_item *spool,
                       size_t n, dl_error *err)
{
  if (n == 0)
    return DL_OK;
  dl_stmt *stmt;
  int rc = dl_ledger_prepare(ledger,
                             "INSERT INTO spool (deployment_id, created_ns, content_type,"
                             " span_count, payload) VALUES (?1, ?2, ?3, ?4, ?5)",
                             &stmt, err);
  for (size_t i = 0; !rc && i < n; i++) {
    dl_stmt_reset(stmt);
    dl_stmt_text_bind(stmt, 1, deployment_id);
    dl_stmt_int64_bind(stmt, 2, dl_time_now());
    dl_stmt_text_bind(stmt, 3, spool[i].content_type ? spool[i].content_type
                                                     : "application/x-protobuf");
    dl_stmt_int_bind(stmt, 4, spool[i].span_count);
    dl_stmt_blob_bind(stmt, 5, spool[i].payload, spool[i].size);
    rc = dl_stmt_run(stmt, err);
  }
  dl_stmt_finalize(stmt);
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
read_entries(dl_stmt *stmt, int dead, dl_spool_entry **out, size_t *n,
             dl_error *err)
{
  dl_spool_entry *list = NULL;
  size_t count = 0, cap = 0;
  int row = 0, rc = DL_OK;
  while (!(rc = dl_stmt_step(stmt, &row, err)) && row) {
    if (dl_grow(&list, &cap, count, sizeof *list, 16)) {
      rc = dl_fail(err, DL_ENOMEM, "out of memory reading the spool");
      break;
    }
    dl_spool_entry *e = &list[count++];
    memset(e, 0, sizeof *e);
    e->id = dl_stmt_int64(stmt, 0);
    e->deployment_id = dl_stmt_strdup(stmt, 1);
    e->created = dl_stmt_int64(stmt, 2);
    e->content_type = dl_stmt_strdup(stmt, 3);
    e->span_count = dl_stmt_int(stmt, 4);
    const void *payload = dl_stmt_blob(stmt, 5, &e->size);
    e->payload = malloc(e->size ? e->size : 1);
    if (!e->payload) {
      rc = dl_fail(err, DL_ENOMEM, "out of memory reading the spool");
      break;
    }
    if (e->size)
      memcpy(e->payload, payload, e->size);
    e->next_attempt = e->failed = DL_TIME_NONE;
    e->grpc_status = -1;
    e->attempts = dl_stmt_int(stmt, 6);
    if (dead) {
      e->failed = dl_stmt_time(stmt, 7);
      e->http_status = dl_stmt_int(stmt, 8);
      e->response_body = dl_stmt_strdup(stmt, 9);
      e->reason = dl_stmt_strdup(stmt, 10);
      if (!dl_stmt_is_null(stmt, 11))
        e->grpc_status = dl_stmt_int(stmt, 11);
    } else {
      e->next_attempt = dl_stmt_time(stmt, 7);
      e->last_error = dl_stmt_strdup(stmt, 8);
    }
  }
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
  char sql[512];
  int len = snprintf(sql, sizeof sql,
                     "SELECT " SPOOL_COLUMNS " FROM spool WHERE next_attempt_ns IS NULL"
                     " OR next_attempt_ns <= ?1 ORDER BY id");
  if (limit) /* no LIMIT at all for none: the two databases spell "no limit" differently */
    snprintf(sql + len, sizeof sql - (size_t) len, " LIMIT %zu", limit);
  dl_stmt *stmt;
  int rc = dl_ledger_prepare(ledger, sql, &stmt, err);
  if (rc)
    return rc;
  dl_stmt_int64_bind(stmt, 1, now);
  rc = read_entries(stmt, 0, out, n, err);
  dl_stmt_finalize(stmt);
  return rc;
}

int
dl_ledger_spool_claim(dl_ledger *ledger, const char *deployment_id, int64_t now,
                      dl_spool_entry **out, size_t *n, dl_error *err)
{
  *out = NULL;
  *n = 0;
  int64_t clock = dl_time_now();
  /* Rows another flusher is claiming right now are skipped, not waited
     for (PostgreSQL's SKIP LOCKED); rows it claimed before are skipped by
     their lease.  SQLite has one writer at a time and needs neither. */
  char sql[768];
  snprintf(sql, sizeof sql,
           "SELECT " SPOOL_COLUMNS " FROM spool"
           " WHERE (next_attempt_ns IS NULL OR next_attempt_ns <= ?1)"
           " AND (claimed_until_ns IS NULL OR claimed_until_ns <= ?2)"
           " AND (?3 IS NULL OR deployment_id = ?3) ORDER BY id%s",
           ledger->backend->claim_lock_clause);
  dl_stmt *select = NULL, *claim = NULL;
  int rc = dl_ledger_begin(ledger, err);
  if (rc)
    return rc;
  rc = dl_ledger_prepare(ledger, sql, &select, err);
  if (!rc) {
    dl_stmt_int64_bind(select, 1, now);
    dl_stmt_int64_bind(select, 2, clock);
    dl_stmt_text_bind(select, 3, deployment_id);
    rc = read_entries(select, 0, out, n, err);
  }
  if (!rc)
    rc = dl_ledger_prepare(ledger, "UPDATE spool SET claimed_until_ns = ?1 WHERE id = ?2",
                           &claim, err);
  for (size_t i = 0; !rc && i < *n; i++) {
    dl_stmt_reset(claim);
    dl_stmt_int64_bind(claim, 1, clock + DL_SPOOL_CLAIM_LEASE);
    dl_stmt_int64_bind(claim, 2, (*out)[i].id);
    rc = dl_stmt_run(claim, err);
  }
  dl_stmt_finalize(select);
  dl_stmt_finalize(claim);
  if (!rc)
    rc = dl_ledger_commit(ledger, err);
  else
    dl_ledger_rollback(ledger);
  if (rc) {
    dl_spool_entries_free(*out, *n);
    *out = NULL;
    *n = 0;
  }
  return rc;
}

int
dl_ledger_spool_list(dl_ledger *ledger, int dead, dl_spool_entry **out, size_t *n,
                     dl_error *err)
{
  *out = NULL;
  *n = 0;
  dl_stmt *stmt;
  int rc = dl_ledger_prepare(ledger,
                             dead ? "SELECT " DEAD_COLUMNS " FROM dead_letter ORDER BY id"
                                  : "SELECT " SPOOL_COLUMNS " FROM spool ORDER BY id",
                             &stmt, err);
  if (rc)
    return rc;
  rc = read_entries(stmt, dead, out, n, err);
  dl_stmt_finalize(stmt);
  return rc;
}

/* Runs one statement with an id and optional text parameters. */
static int
exec_on_item(dl_ledger *ledger, const char *sql, int64_t id, int *changed,
             dl_error *err)
{
  dl_stmt *stmt;
  int rc = dl_ledger_prepare(ledger, sql, &stmt, err);
  if (rc)
    return rc;
  dl_stmt_int64_bind(stmt, 1, id);
  rc = dl_stmt_run(stmt, err);
  if (!rc && changed)
    *changed = (int) dl_stmt_changes(stmt);
  dl_stmt_finalize(stmt);
  return rc;
}

int
dl_ledger_spool_ack(dl_ledger *ledger, int64_t id, dl_error *err)
{
  int changed = 0;
  int rc = exec_on_item(ledger, "DELETE FROM spool WHERE id = ?1", id, &changed, err);
  if (!rc && !changed)
    rc = dl_fail(err, DL_ENOTFOUND, "no spooled item %lld", (long long) id);
  return rc;
}

int
dl_ledger_spool_release(dl_ledger *ledger, int64_t id, dl_error *err)
{
  int changed = 0;
  int rc = exec_on_item(ledger, "UPDATE spool SET claimed_until_ns = NULL WHERE id = ?1", id,
                        &changed, err);
  if (!rc && !changed)
    rc = dl_fail(err, DL_ENOTFOUND, "no spooled item %lld", (long long) id);
  return rc;
}

int
dl_ledger_spool_retry_later(dl_ledger *ledger, int64_t id, int attempts, int64_t next_attempt,
                            const char *error_text, dl_error *err)
{
  dl_stmt *stmt;
  int rc = dl_ledger_prepare(ledger,
                             "UPDATE spool SET attempts = attempts + ?4, next_attempt_ns = ?2,"
                             " last_error = ?3, claimed_until_ns = NULL WHERE id = ?1",
                             &stmt, err);
  if (rc)
    return rc;
  dl_stmt_int64_bind(stmt, 1, id);
  dl_stmt_time_bind(stmt, 2, next_attempt);
  dl_stmt_text_bind(stmt, 3, error_text);
  dl_stmt_int_bind(stmt, 4, attempts > 0 ? attempts : 0);
  rc = dl_stmt_run(stmt, err);
  long changed = dl_stmt_changes(stmt);
  dl_stmt_finalize(stmt);
  if (!rc && !changed)
    rc = dl_fail(err, DL_ENOTFOUND, "no spooled item %lld", (long long) id);
  return rc;
}

int
dl_ledger_spool_dead_letter(dl_ledger *ledger, int64_t id, const dl_refusal *why,
                            dl_error *err)
{
  int rc = dl_ledger_begin(ledger, err);
  if (rc)
    return rc;
  dl_stmt *stmt;
  rc = dl_ledger_prepare(ledger,
                         "INSERT INTO dead_letter (id, deployment_id, created_ns, failed_ns,"
                         " span_count, content_type, payload, http_status, response_body, reason,"
                         " attempts, grpc_status)"
                         " SELECT id, deployment_id, created_ns, ?2, span_count, content_type,"
                         " payload, ?3, ?4, ?5, attempts + ?6, ?7 FROM spool WHERE id = ?1",
                         &stmt, err);
  if (!rc) {
    dl_stmt_int64_bind(stmt, 1, id);
    dl_stmt_int64_bind(stmt, 2, dl_time_now());
    dl_stmt_int_bind(stmt, 3, why->http_status);
    dl_stmt_text_bind(stmt, 4, why->response_body);
    dl_stmt_text_bind(stmt, 5, why->reason);
    dl_stmt_int_bind(stmt, 6, why->attempts > 0 ? why->attempts : 0);
    if (why->grpc_status >= 0)
      dl_stmt_int_bind(stmt, 7, why->grpc_status);
    else
      dl_stmt_time_bind(stmt, 7, DL_TIME_NONE); /* an integer NULL */
    rc = dl_stmt_run(stmt, err);
    long changed = dl_stmt_changes(stmt);
    dl_stmt_finalize(stmt);
    if (!rc && !changed)
      rc = dl_fail(err, DL_ENOTFOUND, "no spooled item %lld", (long long) id);
  }
  if (!rc)
    rc = exec_on_item(ledger, "DELETE FROM spool WHERE id = ?1", id, NULL, err);
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
                size_t *changed, dl_error *err)
{
  dl_stmt *stmt;
  int rc = dl_ledger_prepare(ledger, sql, &stmt, err);
  if (rc)
    return rc;
  for (size_t i = 0; !rc && i < (n ? n : 1); i++) {
    dl_stmt_reset(stmt);
    dl_stmt_time_bind(stmt, 1, n ? ids[i] : DL_TIME_NONE); /* an integer, or NULL */
    rc = dl_stmt_run(stmt, err);
    long done = rc ? 0 : dl_stmt_changes(stmt);
    if (!rc && n && !done)
      rc = dl_fail(err, DL_ENOTFOUND, "no dead letter %lld (deploy-ledger spool --dead lists "
                   "them); nothing was changed", (long long) ids[i]);
    *changed += (size_t) done;
  }
  dl_stmt_finalize(stmt);
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
  /* Due at once, unclaimed, with the refusal readable as its last error. */
  rc = on_dead_letters(ledger,
                       "INSERT INTO spool (id, deployment_id, created_ns, content_type,"
                       " span_count, payload, attempts, next_attempt_ns, last_error)"
                       " SELECT id, deployment_id, created_ns, content_type, span_count,"
                       " payload, attempts, NULL, 'requeued after: ' || coalesce(reason, '')"
                       " FROM dead_letter WHERE ?1 IS NULL OR id = ?1",
                       ids, n, &count, err);
  if (!rc)
    rc = on_dead_letters(ledger, "DELETE FROM dead_letter WHERE ?1 IS NULL OR id = ?1", ids, n,
                         &deleted, err);
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
                       &count, err);
  if (rc) {
    dl_ledger_rollback(ledger);
    return rc;
  }
  rc = dl_ledger_commit(ledger, err);
  if (!rc && deleted)
    *deleted = count;
  return rc;
}
