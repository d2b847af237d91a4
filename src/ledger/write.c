/* Writing the ledger: every write one transaction, rows only appended. */
#include "ledger/backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends one history entry inside the current transaction. */
static int
append_history(dl_ledger *ledger, const char *id, int64_t at, const char *kind,
               const char *status, const char *actor, const char *reason, const char *key,
               const char *value, dl_error *err)
{
  dl_stmt *stmt;
  int rc = dl_ledger_prepare(ledger,
                             "INSERT INTO history (deployment_id, at_ns, kind, status, actor,"
                             " reason, key, value) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                             &stmt, err);
  if (rc)
    return rc;
  dl_stmt_text_bind(stmt, 1, id);
  dl_stmt_int64_bind(stmt, 2, at);
  dl_stmt_text_bind(stmt, 3, kind);
  dl_stmt_text_bind(stmt, 4, status);
  dl_stmt_text_bind(stmt, 5, actor);
  dl_stmt_text_bind(stmt, 6, reason);
  dl_stmt_text_bind(stmt, 7, key);
  dl_stmt_text_bind(stmt, 8, value);
  rc = dl_stmt_run(stmt, err);
  dl_stmt_finalize(stmt);
  return rc;
}

/* Regions joined by newlines, as the deployments table keeps them. */
static char *
join_regions(const dl_deployment *d)
{
  size_t len = 1;
  for (size_t i = 0; i < d->n_regions; i++)
    len += strlen(d->regions[i]) + 1;
  char *s = malloc(len), *p = s;
  if (!s)
    return NULL;
  *p = '\0';
  for (size_t i = 0; i < d->n_regions; i++)
    p += sprintf(p, "%s%s", i ? "\n" : "", d->regions[i]);
  return s;
}

static int
insert_deployment(dl_ledger *ledger, const dl_deployment *d, dl_error *err)
{
  for (size_t i = 0; i < d->n_regions; i++)
    if (!*d->regions[i] || strchr(d->regions[i], '\n'))
      return dl_fail(err, DL_EINVAL, "invalid region name \"%s\"", d->regions[i]);
  char trace[33], span[17], parent[17];
  char *regions = join_regions(d);
  if (!regions)
    return dl_fail(err, DL_ENOMEM, "out of memory");
  dl_stmt *stmt;
  int rc = dl_ledger_prepare(
    ledger,
    "INSERT INTO deployments (id, service, version, previous_version, type, environment,"
    " regions, started_ns, actor, commit_sha, commit_ns, trace_id, span_id, trace_flags,"
    " tracestate, parent_span_id, recorded_ns)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    &stmt, err);
  if (rc) {
    free(regions);
    return rc;
  }
  dl_stmt_text_bind(stmt, 1, d->id);
  dl_stmt_text_bind(stmt, 2, d->service);
  dl_stmt_text_bind(stmt, 3, d->version);
  dl_stmt_text_bind(stmt, 4, d->previous_version);
  dl_stmt_text_bind(stmt, 5, dl_deploy_type_name(d->type));
  dl_stmt_text_bind(stmt, 6, d->environment);
  dl_stmt_text_bind(stmt, 7, regions);
  dl_stmt_int64_bind(stmt, 8, d->started);
  dl_stmt_text_bind(stmt, 9, d->actor);
  dl_stmt_text_bind(stmt, 10, d->commit);
  dl_stmt_time_bind(stmt, 11, d->commit_time);
  dl_stmt_text_bind(stmt, 12, dl_hex_encode(d->context.trace_id, 16, trace));
  dl_stmt_text_bind(stmt, 13, dl_hex_encode(d->context.span_id, 8, span));
  dl_stmt_int_bind(stmt, 14, d->context.flags);
  dl_stmt_text_bind(stmt, 15, d->context.tracestate);
  dl_stmt_text_bind(stmt, 16, d->has_parent ? dl_hex_encode(d->parent_span_id, 8, parent) : NULL);
  dl_stmt_int64_bind(stmt, 17, dl_time_now());
  rc = dl_stmt_run(stmt, err);
  if (rc && dl_stmt_unique_violation(stmt))
    rc = dl_fail(err, DL_EINVAL, "a deployment with id %s is already in the ledger", d->id);
  dl_stmt_finalize(stmt);
  free(regions);
  return rc;
}

int
dl_ledger_record(dl_ledger *ledger, dl_deployment *d, const dl_trace_context *parent,
                 const dl_spool_item *spool, size_t n_spool, dl_error *err)
{
  int rc;
  if (!d->id) {
    char id[37];
    if ((rc = dl_deployment_new_id(id, dl_time_now(), err)))
      return rc;
    if (dl_deployment_set_string(&d->id, id))
      return dl_fail(err, DL_ENOMEM, "out of memory");
  }
  if (d->started == DL_TIME_NONE)
    d->started = dl_time_now();
  if (!d->environment && dl_deployment_set_string(&d->environment, "production"))
    return dl_fail(err, DL_ENOMEM, "out of memory");
  int final = dl_deploy_status_is_final(d->status);
  if (final && d->completed == DL_TIME_NONE)
    d->completed = d->started;
  if (!final)
    d->completed = DL_TIME_NONE;
  if ((rc = dl_deployment_validate(d, err)) || (rc = dl_deployment_ensure_context(d, parent, err)))
    return rc;

  if ((rc = dl_ledger_begin(ledger, err)))
    return rc;
  /* Without a previous version, the one it replaces is the last that
     succeeded before it, read in the transaction that records it. */
  if (!d->previous_version
      && (rc = dl_ledger_last_succeeded_version(ledger, d->service, d->environment, d->started,
                                                &d->previous_version, err))) {
    dl_ledger_rollback(ledger);
    return rc;
  }
  /* A deployment recorded as already finished (an import) is created in
     progress and then moved to its final status. */
  const char *initial = dl_deploy_status_name(final ? DL_STATUS_IN_PROGRESS : d->status);
  rc = insert_deployment(ledger, d, err);
  if (!rc)
    rc = append_history(ledger, d->id, d->started, "created", initial, d->actor, NULL, NULL,
                        NULL, err);
  for (size_t i = 0; !rc && i < d->n_attributes; i++)
    rc = append_history(ledger, d->id, d->started, "attribute", NULL, d->actor, NULL,
                        d->attributes[i].key, d->attributes[i].value, err);
  if (!rc && final)
    rc = append_history(ledger, d->id, d->completed, "status", dl_deploy_status_name(d->status),
                        d->actor, NULL, NULL, NULL, err);
  if (!rc)
    rc = dl_ledger_spool_insert(ledger, d->id, spool, n_spool, err);
  if (rc) {
    dl_ledger_rollback(ledger);
    return rc;
  }
  return dl_ledger_commit(ledger, err);
}

/* What an event appends, once the deployment is found inside the
   transaction: a history entry (when KIND is set) and spool items. */
typedef struct event {
  int64_t at;
  const char *kind, *status, *actor, *reason, *key, *value;
  const dl_spool_item *spool;
  size_t n_spool;
  /* Refuses the event for the deployment as it is now (may be NULL). */
  int (*check)(dl_ledger *ledger, const dl_deployment *d, const struct event *e, dl_error *err);
  dl_deploy_status to;
} event;

/* Appends E to deployment ID (full or unique prefix) in one transaction;
   *FOUND (when not NULL) receives the deployment as it was before. */
static int
append_event(dl_ledger *ledger, const char *id, const event *e, dl_deployment **found,
             dl_error *err)
{
  int rc = dl_ledger_begin(ledger, err);
  if (rc)
    return rc;
  dl_deployment *d = NULL;
  rc = dl_ledger_find(ledger, id, &d, err);
  /* Where writers run side by side (PostgreSQL), the deployment is locked
     and read again: the state checked is the one the event follows. */
  if (!rc && ledger->backend->lock_deployment) {
    rc = ledger->backend->lock_deployment(ledger, d->id, err);
    char *full = rc ? NULL : strdup(d->id);
    dl_deployment_free(d);
    d = NULL;
    if (!rc && !full)
      rc = dl_fail(err, DL_ENOMEM, "out of memory");
    if (!rc)
      rc = dl_ledger_find(ledger, full, &d, err);
    free(full);
  }
  if (!rc && e->check)
    rc = e->check(ledger, d, e, err);
  if (!rc && e->kind)
    rc = append_history(ledger, d->id, e->at, e->kind, e->status, e->actor, e->reason, e->key,
                        e->value, err);
  if (!rc)
    rc = dl_ledger_spool_insert(ledger, d->id, e->spool, e->n_spool, err);
  if (!rc)
    rc = dl_ledger_commit(ledger, err);
  else
    dl_ledger_rollback(ledger);
  if (found && !rc)
    *found = d;
  else
    dl_deployment_free(d);
  return rc;
}

/* A status transition must follow the lifecycle and not predate the
   deployment. */
static int
check_not_before_start(const dl_deployment *d, const event *e, dl_error *err)
{
  if (e->at >= d->started)
    return DL_OK;
  char a[DL_TIME_TEXT_SIZE], s[DL_TIME_TEXT_SIZE];
  if (e->key)
    return dl_fail(err, DL_EINVAL,
                   "stage %s of deployment %s cannot become %s at %s, before the deployment "
                   "started (%s)", e->key, d->id, dl_deploy_status_name(e->to),
                   dl_time_format(e->at, a), dl_time_format(d->started, s));
  return dl_fail(err, DL_EINVAL, "deployment %s cannot become %s at %s, before it started (%s)",
                 d->id, dl_deploy_status_name(e->to), dl_time_format(e->at, a),
                 dl_time_format(d->started, s));
}

static int
check_transition(dl_ledger *ledger, const dl_deployment *d, const event *e, dl_error *err)
{
  (void) ledger;
  if (dl_deploy_transition_check(d->status, e->to, NULL))
    return dl_fail(err, DL_ETRANSITION, "deployment %s cannot go from %s to %s", d->id,
                   dl_deploy_status_name(d->status), dl_deploy_status_name(e->to));
  return check_not_before_start(d, e, err);
}

/* The latest status of stage NAME of deployment ID, in *STATUS; -1 when
   the stage has no event yet. */
static int
stage_status(dl_ledger *ledger, const char *id, const char *name, int *status, dl_error *err)
{
  dl_stmt *stmt;
  int rc = dl_ledger_prepare(ledger,
                             "SELECT status FROM history WHERE deployment_id = ?1 AND kind = 'stage'"
                             " AND key = ?2 ORDER BY seq DESC LIMIT 1",
                             &stmt, err);
  if (rc)
    return rc;
  dl_stmt_text_bind(stmt, 1, id);
  dl_stmt_text_bind(stmt, 2, name);
  *status = -1;
  int row = 0;
  rc = dl_stmt_step(stmt, &row, err);
  if (!rc && row) {
    dl_deploy_status s;
    const char *text = dl_stmt_text(stmt, 0);
    if (dl_deploy_status_parse(text ? text : "", &s, err) == DL_OK)
      *status = (int) s;
    else
      rc = dl_fail(err, DL_ESTORAGE, "ledger %s: stage %s of deployment %s has an unknown "
                   "status \"%s\"", dl_ledger_path(ledger), name, id, text ? text : "");
  }
  dl_stmt_finalize(stmt);
  return rc;
}

/* A region or stage follows the lifecycle of a deployment (its first
   event may be any status), and a finished deployment takes no more
   stages: the span that tells its story has ended. */
static int
check_stage(dl_ledger *ledger, const dl_deployment *d, const event *e, dl_error *err)
{
  if (dl_deploy_status_is_final(d->status)) {
    char at[DL_TIME_TEXT_SIZE];
    return dl_fail(err, DL_ETRANSITION,
                   "deployment %s is finished (%s at %s): stage %s cannot be recorded after it",
                   d->id, dl_deploy_status_name(d->status), dl_time_format(d->completed, at),
                   e->key);
  }
  int from;
  int rc = stage_status(ledger, d->id, e->key, &from, err);
  if (rc)
    return rc;
  if (from >= 0 && dl_deploy_transition_check((dl_deploy_status) from, e->to, NULL))
    return dl_fail(err, DL_ETRANSITION,
                   "stage %s of deployment %s cannot go from %s to %s", e->key, d->id,
                   dl_deploy_status_name((dl_deploy_status) from), dl_deploy_status_name(e->to));
  return check_not_before_start(d, e, err);
}

int
dl_ledger_transition(dl_ledger *ledger, const char *id, dl_deploy_status to, int64_t at,
                     const char *actor, const char *reason, const dl_spool_item *spool,
                     size_t n_spool, dl_deployment **updated, dl_error *err)
{
  if (updated)
    *updated = NULL;
  /* The current state is read inside the write transaction, so that two
     writers cannot both move the same deployment. */
  event e = {at == DL_TIME_NONE ? dl_time_now() : at, "status", dl_deploy_status_name(to), actor,
             reason, NULL, NULL, spool, n_spool, check_transition, to};
  dl_deployment *before = NULL;
  int rc = append_event(ledger, id, &e, &before, err);
  if (!rc && updated)
    rc = dl_ledger_find(ledger, before->id, updated, err);
  dl_deployment_free(before);
  return rc;
}

int
dl_ledger_set_attribute(dl_ledger *ledger, const char *id, const char *key, const char *value,
                        int64_t at, const char *actor, dl_error *err)
{
  if (!key || !*key || !value)
    return dl_fail(err, DL_EINVAL, "an attribute needs a non-empty key and a value");
  event e = {at == DL_TIME_NONE ? dl_time_now() : at, "attribute", NULL, actor, NULL, key, value,
             NULL, 0, NULL, 0};
  return append_event(ledger, id, &e, NULL, err);
}

int
dl_ledger_stage(dl_ledger *ledger, const char *id, const char *name, dl_deploy_status status,
                int64_t at, const dl_spool_item *spool, size_t n_spool, dl_error *err)
{
  if (!name || !*name)
    return dl_fail(err, DL_EINVAL, "a region or stage needs a name");
  if ((unsigned) status >= DL_DEPLOY_STATUS_COUNT)
    return dl_fail(err, DL_EINVAL, "unknown status for stage %s", name);
  event e = {at == DL_TIME_NONE ? dl_time_now() : at, "stage", dl_deploy_status_name(status),
             NULL, NULL, name, NULL, spool, n_spool, check_stage, status};
  return append_event(ledger, id, &e, NULL, err);
}

int
dl_ledger_spool_add(dl_ledger *ledger, const char *id, const dl_spool_item *items, size_t n,
                    dl_error *err)
{
  event e = {.spool = items, .n_spool = n};
  return append_event(ledger, id, &e, NULL, err);
}
