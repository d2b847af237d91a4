/* Reading the ledger: current state derived from history, queries, history. */
#include "dl-ledger-private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The current state of each deployment: its row, the latest status in its
   history and the time of its first final status. */
#define STATE_SELECT                                                                    \
  "SELECT d.id, d.service, d.version, d.previous_version, d.type, d.environment,"      \
  " d.regions, d.started_ns, d.actor, d.commit_sha, d.commit_ns, d.trace_id, d.span_id," \
  " d.trace_flags, d.tracestate, d.parent_span_id,"                                     \
  " (SELECT h.status FROM history h WHERE h.deployment_id = d.id"                       \
  "   AND h.kind IN ('created', 'status') ORDER BY h.seq DESC LIMIT 1) AS status,"      \
  " (SELECT h.at_ns FROM history h WHERE h.deployment_id = d.id AND h.kind = 'status'"  \
  "   AND h.status IN ('succeeded', 'failed', 'rolled-back') ORDER BY h.seq LIMIT 1)"   \
  "   AS completed_ns"                                                                   \
  " FROM deployments d"

enum { COL_ID, COL_SERVICE, COL_VERSION, COL_PREVIOUS, COL_TYPE, COL_ENV, COL_REGIONS,
       COL_STARTED, COL_ACTOR, COL_COMMIT, COL_COMMIT_NS, COL_TRACE_ID, COL_SPAN_ID,
       COL_FLAGS, COL_TRACESTATE, COL_PARENT, COL_STATUS, COL_COMPLETED };

static int
load_attributes(dl_ledger *ledger, sqlite3_stmt *attrs, dl_deployment *d, dl_error *err)
{
  sqlite3_reset(attrs);
  sqlite3_bind_text(attrs, 1, d->id, -1, SQLITE_STATIC);
  int step;
  while ((step = sqlite3_step(attrs)) == SQLITE_ROW) {
    const char *k = (const char *) sqlite3_column_text(attrs, 0);
    const char *v = (const char *) sqlite3_column_text(attrs, 1);
    if (k && v && dl_deployment_set_attribute(d, k, v))
      return dl_fail(err, DL_ENOMEM, "out of memory reading attributes");
  }
  return step == SQLITE_DONE ? DL_OK : dl_ledger_fail(ledger, step, "read attributes", err);
}

/* Builds a deployment from a STATE_SELECT row. */
static int
row_to_deployment(dl_ledger *ledger, sqlite3_stmt *row, sqlite3_stmt *attrs,
                  dl_deployment **out, dl_error *err)
{
  dl_deployment *d = dl_deployment_new();
  if (!d)
    return dl_fail(err, DL_ENOMEM, "out of memory");
  d->id = dl_sqlite_strdup(row, COL_ID);
  d->service = dl_sqlite_strdup(row, COL_SERVICE);
  d->version = dl_sqlite_strdup(row, COL_VERSION);
  d->previous_version = dl_sqlite_strdup(row, COL_PREVIOUS);
  d->environment = dl_sqlite_strdup(row, COL_ENV);
  d->actor = dl_sqlite_strdup(row, COL_ACTOR);
  d->commit = dl_sqlite_strdup(row, COL_COMMIT);
  d->started = dl_sqlite_time(row, COL_STARTED);
  d->commit_time = dl_sqlite_time(row, COL_COMMIT_NS);
  d->completed = dl_sqlite_time(row, COL_COMPLETED);
  int rc = DL_OK;
  if (!d->id || !d->service || !d->version || !d->environment)
    rc = dl_fail(err, DL_ENOMEM, "out of memory");
  if (!rc)
    rc = dl_deploy_type_parse((const char *) sqlite3_column_text(row, COL_TYPE), &d->type, err);
  if (!rc)
    rc = dl_deploy_status_parse((const char *) sqlite3_column_text(row, COL_STATUS), &d->status,
                                err);
  const char *regions = (const char *) sqlite3_column_text(row, COL_REGIONS);
  while (!rc && regions && *regions) {
    const char *nl = strchr(regions, '\n');
    size_t len = nl ? (size_t) (nl - regions) : strlen(regions);
    char *r = strndup(regions, len);
    if (!r || dl_deployment_add_region(d, r))
      rc = dl_fail(err, DL_ENOMEM, "out of memory");
    free(r);
    regions = nl ? nl + 1 : regions + len;
  }
  const char *tid = (const char *) sqlite3_column_text(row, COL_TRACE_ID);
  const char *sid = (const char *) sqlite3_column_text(row, COL_SPAN_ID);
  const char *parent = (const char *) sqlite3_column_text(row, COL_PARENT);
  const char *state = (const char *) sqlite3_column_text(row, COL_TRACESTATE);
  if (!rc && tid && sid && strlen(tid) == 32 && strlen(sid) == 16
      && dl_hex_decode(tid, DL_TRACE_ID_SIZE, d->context.trace_id, 0) == 0
      && dl_hex_decode(sid, DL_SPAN_ID_SIZE, d->context.span_id, 0) == 0) {
    d->has_context = 1;
    d->context.flags = (uint8_t) sqlite3_column_int(row, COL_FLAGS);
    snprintf(d->context.tracestate, sizeof d->context.tracestate, "%s", state ? state : "");
    if (parent && strlen(parent) == 16
        && dl_hex_decode(parent, DL_SPAN_ID_SIZE, d->parent_span_id, 0) == 0)
      d->has_parent = 1;
  }
  if (!rc)
    rc = load_attributes(ledger, attrs, d, err);
  if (rc) {
    dl_deployment_free(d);
    return rc;
  }
  *out = d;
  return DL_OK;
}

static const char ATTRIBUTES_SQL[] =
  "SELECT key, value FROM history WHERE deployment_id = ? AND kind = 'attribute' ORDER BY seq";

int
dl_ledger_find(dl_ledger *ledger, const char *id, dl_deployment **out, dl_error *err)
{
  *out = NULL;
  if (!id || !*id)
    return dl_fail(err, DL_EINVAL, "empty deployment id");
  sqlite3_stmt *stmt, *attrs;
  int rc = dl_ledger_prepare(ledger, STATE_SELECT " WHERE substr(d.id, 1, ?2) = ?1 LIMIT 2",
                             &stmt, err);
  if (rc)
    return rc;
  if ((rc = dl_ledger_prepare(ledger, ATTRIBUTES_SQL, &attrs, err))) {
    sqlite3_finalize(stmt);
    return rc;
  }
  sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_int(stmt, 2, (int) strlen(id));
  int step = sqlite3_step(stmt);
  if (step == SQLITE_ROW) {
    char *first = dl_sqlite_strdup(stmt, COL_ID);
    rc = row_to_deployment(ledger, stmt, attrs, out, err);
    if (!rc && (step = sqlite3_step(stmt)) == SQLITE_ROW) {
      rc = dl_fail(err, DL_EAMBIGUOUS, "deployment id prefix \"%s\" matches several "
                   "deployments (%s, %s, ...)", id, first ? first : "?",
                   (const char *) sqlite3_column_text(stmt, COL_ID));
      dl_deployment_free(*out);
      *out = NULL;
    }
    free(first);
  } else if (step == SQLITE_DONE) {
    rc = dl_fail(err, DL_ENOTFOUND, "no deployment with id \"%s\"", id);
  } else {
    rc = dl_ledger_fail(ledger, step, "find a deployment", err);
  }
  sqlite3_finalize(stmt);
  sqlite3_finalize(attrs);
  return rc;
}

void
dl_query_init(dl_query *q)
{
  memset(q, 0, sizeof *q);
  q->status = -1;
  q->since = q->until = DL_TIME_NONE;
}

void
dl_deployment_list_free(dl_deployment **list, size_t n)
{
  if (!list)
    return;
  for (size_t i = 0; i < n; i++)
    dl_deployment_free(list[i]);
  free(list);
}

int
dl_ledger_query(dl_ledger *ledger, const dl_query *q, dl_deployment ***out, size_t *n,
                dl_error *err)
{
  char sql[2048];
  size_t len = (size_t) snprintf(sql, sizeof sql, "WITH s AS (" STATE_SELECT " WHERE 1");
#define ADD(text) len += (size_t) snprintf(sql + len, sizeof sql - len, "%s", text)
  if (q->service)
    ADD(" AND d.service = :service");
  if (q->environment)
    ADD(" AND d.environment = :environment");
  if (q->since != DL_TIME_NONE)
    ADD(" AND d.started_ns >= :since");
  if (q->until != DL_TIME_NONE)
    ADD(" AND d.started_ns < :until");
  if (q->latest)
    ADD(" AND d.id = (SELECT d2.id FROM deployments d2 WHERE d2.service = d.service"
        " AND d2.environment = d.environment ORDER BY d2.started_ns DESC, d2.id DESC LIMIT 1)");
  ADD(") SELECT * FROM s");
  if (q->status >= 0)
    ADD(" WHERE status = :status");
  ADD(" ORDER BY started_ns DESC, id DESC");
  if (q->limit)
    ADD(" LIMIT :limit");
#undef ADD
  *out = NULL;
  *n = 0;
  sqlite3_stmt *stmt, *attrs;
  int rc = dl_ledger_prepare(ledger, sql, &stmt, err);
  if (rc)
    return rc;
  if ((rc = dl_ledger_prepare(ledger, ATTRIBUTES_SQL, &attrs, err))) {
    sqlite3_finalize(stmt);
    return rc;
  }
  dl_sqlite_bind_text(stmt, sqlite3_bind_parameter_index(stmt, ":service"), q->service);
  dl_sqlite_bind_text(stmt, sqlite3_bind_parameter_index(stmt, ":environment"), q->environment);
  sqlite3_bind_int64(stmt, sqlite3_bind_parameter_index(stmt, ":since"), q->since);
  sqlite3_bind_int64(stmt, sqlite3_bind_parameter_index(stmt, ":until"), q->until);
  if (q->status >= 0)
    sqlite3_bind_text(stmt, sqlite3_bind_parameter_index(stmt, ":status"),
                      dl_deploy_status_name(q->status), -1, SQLITE_STATIC);
  sqlite3_bind_int64(stmt, sqlite3_bind_parameter_index(stmt, ":limit"), (int64_t) q->limit);

  dl_deployment **list = NULL;
  size_t count = 0, cap = 0;
  int step;
  while (!rc && (step = sqlite3_step(stmt)) == SQLITE_ROW) {
    if (count == cap) {
      cap = cap ? cap * 2 : 64;
      dl_deployment **grown = realloc(list, cap * sizeof *grown);
      if (!grown) {
        rc = dl_fail(err, DL_ENOMEM, "out of memory listing deployments");
        break;
      }
      list = grown;
    }
    rc = row_to_deployment(ledger, stmt, attrs, &list[count], err);
    if (!rc)
      count++;
  }
  if (!rc && step != SQLITE_DONE)
    rc = dl_ledger_fail(ledger, step, "list deployments", err);
  sqlite3_finalize(stmt);
  sqlite3_finalize(attrs);
  if (rc) {
    dl_deployment_list_free(list, count);
    return rc;
  }
  *out = list;
  *n = count;
  return DL_OK;
}

const char *
dl_history_kind_name(dl_history_kind kind)
{
  static const char *const names[] = {"created", "status", "attribute", "stage"};
  return (unsigned) kind < 4 ? names[kind] : "unknown";
}

void
dl_history_free(dl_history_entry *entries, size_t n)
{
  if (!entries)
    return;
  for (size_t i = 0; i < n; i++) {
    free(entries[i].actor);
    free(entries[i].reason);
    free(entries[i].key);
    free(entries[i].value);
  }
  free(entries);
}

int
dl_ledger_history(dl_ledger *ledger, const char *id, dl_history_entry **out, size_t *n,
                  dl_error *err)
{
  *out = NULL;
  *n = 0;
  dl_deployment *d;
  int rc = dl_ledger_find(ledger, id, &d, err);
  if (rc)
    return rc;
  sqlite3_stmt *stmt;
  rc = dl_ledger_prepare(ledger,
                         "SELECT seq, at_ns, kind, status, actor, reason, key, value FROM history"
                         " WHERE deployment_id = ? ORDER BY seq",
                         &stmt, err);
  if (rc) {
    dl_deployment_free(d);
    return rc;
  }
  sqlite3_bind_text(stmt, 1, d->id, -1, SQLITE_STATIC);
  dl_history_entry *list = NULL;
  size_t count = 0, cap = 0;
  int step;
  while (!rc && (step = sqlite3_step(stmt)) == SQLITE_ROW) {
    if (count == cap) {
      cap = cap ? cap * 2 : 16;
      dl_history_entry *grown = realloc(list, cap * sizeof *grown);
      if (!grown) {
        rc = dl_fail(err, DL_ENOMEM, "out of memory reading history");
        break;
      }
      list = grown;
    }
    dl_history_entry *e = &list[count++];
    memset(e, 0, sizeof *e);
    e->seq = sqlite3_column_int64(stmt, 0);
    e->at = sqlite3_column_int64(stmt, 1);
    const char *kind = (const char *) sqlite3_column_text(stmt, 2);
    e->kind = DL_HISTORY_CREATED;
    for (int k = 0; k < 4; k++)
      if (kind && strcmp(kind, dl_history_kind_name(k)) == 0)
        e->kind = k;
    dl_deploy_status s;
    const char *status = (const char *) sqlite3_column_text(stmt, 3);
    e->status = status && dl_deploy_status_parse(status, &s, NULL) == DL_OK ? (int) s : -1;
    e->actor = dl_sqlite_strdup(stmt, 4);
    e->reason = dl_sqlite_strdup(stmt, 5);
    e->key = dl_sqlite_strdup(stmt, 6);
    e->value = dl_sqlite_strdup(stmt, 7);
  }
  if (!rc && step != SQLITE_DONE)
    rc = dl_ledger_fail(ledger, step, "read history", err);
  sqlite3_finalize(stmt);
  dl_deployment_free(d);
  if (rc) {
    dl_history_free(list, count);
    return rc;
  }
  *out = list;
  *n = count;
  return DL_OK;
}
