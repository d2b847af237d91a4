/* Reading the ledger: current state derived from history, queries, history. */
#include "ledger/backend.h"
#include "util/grow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A deployment's current state is its row plus what its history says:
   the latest status, the time of its first final status, and attribute
   changes applied in order.  Queries read the matching rows sorted by id,
   then the history of the same rows sorted by (id, seq), and merge the
   two: two passes, whatever the number of deployments. */

#define DEPLOYMENT_COLUMNS                                                              \
  "d.id, d.service, d.version, d.previous_version, d.type, d.environment, d.regions,"   \
  " d.started_ns, d.actor, d.commit_sha, d.commit_ns, d.trace_id, d.span_id,"           \
  " d.trace_flags, d.tracestate, d.parent_span_id"

enum { COL_ID, COL_SERVICE, COL_VERSION, COL_PREVIOUS, COL_TYPE, COL_ENV, COL_REGIONS,
       COL_STARTED, COL_ACTOR, COL_COMMIT, COL_COMMIT_NS, COL_TRACE_ID, COL_SPAN_ID,
       COL_FLAGS, COL_TRACESTATE, COL_PARENT };

/* Builds a deployment from a row of DEPLOYMENT_COLUMNS; its status and
   completion come from the history afterwards. */
static int
row_to_deployment(dl_stmt *row, dl_deployment **out, dl_error *err)
{
  dl_deployment *d = dl_deployment_new();
  if (!d)
    return dl_fail(err, DL_ENOMEM, "out of memory");
  d->id = dl_stmt_strdup(row, COL_ID);
  d->service = dl_stmt_strdup(row, COL_SERVICE);
  d->version = dl_stmt_strdup(row, COL_VERSION);
  d->previous_version = dl_stmt_strdup(row, COL_PREVIOUS);
  d->environment = dl_stmt_strdup(row, COL_ENV);
  d->actor = dl_stmt_strdup(row, COL_ACTOR);
  d->commit = dl_stmt_strdup(row, COL_COMMIT);
  d->started = dl_stmt_time(row, COL_STARTED);
  d->commit_time = dl_stmt_time(row, COL_COMMIT_NS);
  int rc = DL_OK;
  if (!d->id || !d->service || !d->version || !d->environment)
    rc = dl_fail(err, DL_ENOMEM, "out of memory");
  if (!rc)
    rc = dl_deploy_type_parse(dl_stmt_text(row, COL_TYPE), &d->type, err);
  const char *regions = dl_stmt_text(row, COL_REGIONS);
  while (!rc && regions && *regions) {
    const char *nl = strchr(regions, '\n');
    size_t len = nl ? (size_t) (nl - regions) : strlen(regions);
    char *r = strndup(regions, len);
    if (!r || dl_deployment_add_region(d, r))
      rc = dl_fail(err, DL_ENOMEM, "out of memory");
    free(r);
    regions = nl ? nl + 1 : regions + len;
  }
  const char *tid = dl_stmt_text(row, COL_TRACE_ID);
  const char *sid = dl_stmt_text(row, COL_SPAN_ID);
  const char *parent = dl_stmt_text(row, COL_PARENT);
  const char *state = dl_stmt_text(row, COL_TRACESTATE);
  /* A context that no longer checks (written by hand into the database,
     say) reads as none rather than failing the whole query. */
  if (!rc && tid && sid
      && dl_trace_context_from_parts(tid, sid, dl_stmt_int(row, COL_FLAGS), state,
                                     &d->context, NULL) == DL_OK) {
    d->has_context = 1;
    if (parent && strlen(parent) == 16
        && dl_hex_decode(parent, DL_SPAN_ID_SIZE, d->parent_span_id, 0) == 0)
      d->has_parent = 1;
  }
  if (rc) {
    dl_deployment_free(d);
    return rc;
  }
  *out = d;
  return DL_OK;
}

/* Applies one history row (deployment_id, kind, status, at_ns, key, value)
   to D. */
static int
apply_history(dl_deployment *d, dl_stmt *h, dl_error *err)
{
  const char *kind = dl_stmt_text(h, 1);
  const char *status = dl_stmt_text(h, 2);
  if (!kind)
    return DL_OK;
  if (strcmp(kind, "created") == 0 || strcmp(kind, "status") == 0) {
    dl_deploy_status s;
    if (dl_deploy_status_parse(status, &s, err))
      return DL_ESTORAGE;
    d->status = s;
    if (dl_deploy_status_is_final(s) && d->completed == DL_TIME_NONE)
      d->completed = dl_stmt_int64(h, 3);
  } else if (strcmp(kind, "attribute") == 0) {
    const char *k = dl_stmt_text(h, 4);
    const char *v = dl_stmt_text(h, 5);
    if (k && v && dl_deployment_set_attribute(d, k, v))
      return dl_fail(err, DL_ENOMEM, "out of memory reading attributes");
  }
  return DL_OK;
}

/* Deployments whose rows match WHERE (over `d', with bindings set by
   BIND), in id order, with their state from history. */
static int
load_where(dl_ledger *ledger, const char *where, void (*bind)(dl_stmt *, const void *),
           const void *arg, dl_deployment ***out, size_t *n, dl_error *err)
{
  char sql[2048];
  dl_stmt *rows, *history;
  snprintf(sql, sizeof sql, "SELECT " DEPLOYMENT_COLUMNS " FROM deployments d WHERE %s ORDER BY d.id",
           where);
  int rc = dl_ledger_prepare(ledger, sql, &rows, err);
  if (rc)
    return rc;
  snprintf(sql, sizeof sql,
           "SELECT deployment_id, kind, status, at_ns, key, value FROM history"
           " WHERE deployment_id IN (SELECT d.id FROM deployments d WHERE %s)"
           " ORDER BY deployment_id, seq", where);
  if ((rc = dl_ledger_prepare(ledger, sql, &history, err))) {
    dl_stmt_finalize(rows);
    return rc;
  }
  bind(rows, arg);
  bind(history, arg);
  dl_deployment **list = NULL;
  size_t count = 0, cap = 0;
  int row = 0;
  while (!rc && !(rc = dl_stmt_step(rows, &row, err)) && row) {
    if (dl_grow(&list, &cap, count, sizeof *list, 64)) {
      rc = dl_fail(err, DL_ENOMEM, "out of memory listing deployments");
      break;
    }
    rc = row_to_deployment(rows, &list[count], err);
    if (!rc)
      count++;
  }
  /* Both databases order the ids by their bytes, as strcmp does (the
     PostgreSQL schema gives them the "C" collation). */
  size_t i = 0;
  while (!rc && !(rc = dl_stmt_step(history, &row, err)) && row) {
    const char *id = dl_stmt_text(history, 0);
    while (i < count && strcmp(list[i]->id, id) < 0)
      i++;
    if (i < count && strcmp(list[i]->id, id) == 0)
      rc = apply_history(list[i], history, err);
  }
  dl_stmt_finalize(rows);
  dl_stmt_finalize(history);
  if (rc) {
    dl_deployment_list_free(list, count);
    return rc;
  }
  *out = list;
  *n = count;
  return DL_OK;
}

/* Binds a prefix (?1), its length (?2) and the smallest string after
   every string it begins (?3: its last byte one higher), so that both
   databases find the ids of a prefix through the primary key's index. */
static void
bind_prefix(dl_stmt *stmt, const void *arg)
{
  const char *prefix = arg;
  size_t len = strlen(prefix);
  char after[128];
  while (len > 0 && (unsigned char) prefix[len - 1] == 0xff)
    len--;
  if (len > 0 && len < sizeof after) {
    memcpy(after, prefix, len);
    after[len - 1] = (char) ((unsigned char) after[len - 1] + 1);
    after[len] = '\0';
  } else {
    snprintf(after, sizeof after, "\x7f\x7f\x7f\x7f"); /* past any id of printable ASCII */
  }
  dl_stmt_text_bind(stmt, 1, prefix);
  dl_stmt_int_bind(stmt, 2, (int) strlen(prefix));
  dl_stmt_text_bind(stmt, 3, len > 0 && len < sizeof after ? after : NULL);
}

int
dl_ledger_find(dl_ledger *ledger, const char *id, dl_deployment **out, dl_error *err)
{
  *out = NULL;
  if (!id || !*id)
    return dl_fail(err, DL_EINVAL, "empty deployment id");
  dl_deployment **list;
  size_t n;
  int rc = load_where(ledger,
                      "d.id >= ?1 AND (?3 IS NULL OR d.id < ?3) AND substr(d.id, 1, ?2) = ?1",
                      bind_prefix, id, &list, &n, err);
  if (rc)
    return rc;
  if (n == 0)
    rc = dl_fail(err, DL_ENOTFOUND, "no deployment with id \"%s\"", id);
  else if (n > 1)
    rc = dl_fail(err, DL_EAMBIGUOUS,
                 "deployment id prefix \"%s\" matches %zu deployments (%s, %s, ...)", id, n,
                 list[0]->id, list[1]->id);
  else {
    *out = list[0];
    list[0] = NULL;
  }
  dl_deployment_list_free(list, n);
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

static void
bind_query(dl_stmt *stmt, const void *arg)
{
  const dl_query *q = arg;
  /* Every parameter is bound (the numbering is fixed); those the WHERE
     clause does not use are ignored. */
  dl_stmt_text_bind(stmt, 1, q->service);
  dl_stmt_text_bind(stmt, 2, q->environment);
  dl_stmt_int64_bind(stmt, 3, q->since);
  dl_stmt_int64_bind(stmt, 4, q->until);
}

/* Newest first; ties by id, newest id first. */
static int
compare_newest(const void *a, const void *b)
{
  const dl_deployment *x = *(dl_deployment *const *) a, *y = *(dl_deployment *const *) b;
  if (x->started != y->started)
    return x->started > y->started ? -1 : 1;
  return -strcmp(x->id, y->id);
}

int
dl_ledger_query(dl_ledger *ledger, const dl_query *q, dl_deployment ***out, size_t *n,
                dl_error *err)
{
  char where[1024];
  size_t len = (size_t) snprintf(where, sizeof where, "1 = 1");
#define ADD(text) len += (size_t) snprintf(where + len, sizeof where - len, "%s", text)
  if (q->service)
    ADD(" AND d.service = ?1");
  if (q->environment)
    ADD(" AND d.environment = ?2");
  if (q->since != DL_TIME_NONE)
    ADD(" AND d.started_ns >= ?3");
  if (q->until != DL_TIME_NONE)
    ADD(" AND d.started_ns < ?4");
  if (q->latest)
    ADD(" AND d.id = (SELECT d2.id FROM deployments d2 WHERE d2.service = d.service"
        " AND d2.environment = d.environment ORDER BY d2.started_ns DESC, d2.id DESC LIMIT 1)");
#undef ADD
  *out = NULL;
  *n = 0;
  dl_deployment **list;
  size_t count;
  int rc = load_where(ledger, where, bind_query, q, &list, &count, err);
  if (rc)
    return rc;
  size_t kept = 0;
  for (size_t i = 0; i < count; i++) {
    if (q->status >= 0 && list[i]->status != (dl_deploy_status) q->status)
      dl_deployment_free(list[i]);
    else
      list[kept++] = list[i];
  }
  if (kept > 1) /* an empty ledger gives no array at all, and qsort wants one */
    qsort(list, kept, sizeof *list, compare_newest);
  if (q->limit && kept > q->limit) {
    for (size_t i = q->limit; i < kept; i++)
      dl_deployment_free(list[i]);
    kept = q->limit;
  }
  *out = list;
  *n = kept;
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
  dl_stmt *stmt;
  rc = dl_ledger_prepare(ledger,
                         "SELECT seq, at_ns, kind, status, actor, reason, key, value FROM history"
                         " WHERE deployment_id = ?1 ORDER BY seq",
                         &stmt, err);
  if (rc) {
    dl_deployment_free(d);
    return rc;
  }
  dl_stmt_text_bind(stmt, 1, d->id);
  dl_history_entry *list = NULL;
  size_t count = 0, cap = 0;
  int row = 0;
  while (!rc && !(rc = dl_stmt_step(stmt, &row, err)) && row) {
    if (dl_grow(&list, &cap, count, sizeof *list, 16)) {
      rc = dl_fail(err, DL_ENOMEM, "out of memory reading history");
      break;
    }
    dl_history_entry *e = &list[count++];
    memset(e, 0, sizeof *e);
    e->seq = dl_stmt_int64(stmt, 0);
    e->at = dl_stmt_int64(stmt, 1);
    const char *kind = dl_stmt_text(stmt, 2);
    e->kind = DL_HISTORY_CREATED;
    for (int k = 0; k < 4; k++)
      if (kind && strcmp(kind, dl_history_kind_name(k)) == 0)
        e->kind = k;
    dl_deploy_status s;
    const char *status = dl_stmt_text(stmt, 3);
    e->status = status && dl_deploy_status_parse(status, &s, NULL) == DL_OK ? (int) s : -1;
    e->actor = dl_stmt_strdup(stmt, 4);
    e->reason = dl_stmt_strdup(stmt, 5);
    e->key = dl_stmt_strdup(stmt, 6);
    e->value = dl_stmt_strdup(stmt, 7);
  }
  dl_stmt_finalize(stmt);
  dl_deployment_free(d);
  if (rc) {
    dl_history_free(list, count);
    return rc;
  }
  *out = list;
  *n = count;
  return DL_OK;
}

int
dl_ledger_last_succeeded_version(dl_ledger *ledger, const char *service,
                                 const char *environment, int64_t before, char **out,
                                 dl_error *err)
{
  *out = NULL;
  if (!service || !environment)
    return DL_OK;
  /* The status of a deployment is that of its latest created or status
     entry; the index on (service, environment, started_ns) walks the
     candidates newest first. */
  dl_stmt *stmt;
  int rc = dl_ledger_prepare(
    ledger,
    "SELECT d.version FROM deployments d"
    " WHERE d.service = ?1 AND d.environment = ?2 AND d.started_ns < ?3"
    " AND (SELECT h.status FROM history h WHERE h.deployment_id = d.id"
    "      AND h.kind IN ('created', 'status') ORDER BY h.seq DESC LIMIT 1) = 'succeeded'"
    " ORDER BY d.started_ns DESC, d.id DESC LIMIT 1",
    &stmt, err);
  if (rc)
    return rc;
  dl_stmt_text_bind(stmt, 1, service);
  dl_stmt_text_bind(stmt, 2, environment);
  dl_stmt_int64_bind(stmt, 3, before == DL_TIME_NONE ? INT64_MAX : before);
  int row = 0;
  rc = dl_stmt_step(stmt, &row, err);
  if (!rc && row && !(*out = dl_stmt_strdup(stmt, 0)))
    rc = dl_fail(err, DL_ENOMEM, "out of memory");
  dl_stmt_finalize(stmt);
  return rc;
}
