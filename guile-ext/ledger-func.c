/* The ledger foreign type and its primitives; deployments cross as the
   alists of deployment-func.c. */
#include "dl-guile.h"

#include <stdio.h>
#include <string.h>

static SCM ledger_type;

static void
finalize_ledger(SCM obj)
{
  dl_ledger *l = scm_foreign_object_ref(obj, 0);
  if (l) {
    scm_foreign_object_set_x(obj, 0, NULL);
    dl_ledger_close(l);
  }
}

/* C results that a conversion to Scheme could outlive. */
DL_GUILE_OWNED_ARRAY(deployment_list, dl_deployment **, dl_deployment_list_free)
DL_GUILE_OWNED_ARRAY(history_list, dl_history_entry *, dl_history_free)
DL_GUILE_OWNED_ARRAY(dora_list, dl_dora *, dl_dora_free)
DL_GUILE_OWNED_ARRAY(spool_list, dl_spool_entry *, dl_spool_entries_free)

/* A ledger handle not yet owned by a Scheme object. */
static void
close_ledger(void *l)
{
  dl_ledger_close(l);
}

dl_ledger *
dl_guile_ledger_ref(SCM obj, const char *who)
{
  scm_assert_foreign_object_type(ledger_type, obj);
  dl_ledger *l = scm_foreign_object_ref(obj, 0);
  if (!l)
    dl_guile_raise_code(who, DL_ECLOSED, "the ledger is closed");
  return l;
}

dl_spool_item *
dl_guile_spool_items(SCM spool, size_t *n, const char *who)
{
  *n = 0;
  if (SCM_UNBNDP(spool) || scm_is_false(spool))
    return NULL;
  long len = scm_ilength(spool);
  if (len < 0)
    scm_wrong_type_arg_msg(who, 0, spool, "list of spool payloads");
  dl_spool_item *items = scm_gc_malloc((size_t) (len ? len : 1) * sizeof *items, "spool");
  for (SCM l = spool; scm_is_pair(l); l = scm_cdr(l)) {
    SCM item = scm_car(l); /* (bytevector content-type span-count) */
    if (scm_ilength(item) != 3 || !scm_is_bytevector(scm_car(item)))
      scm_wrong_type_arg_msg(who, 0, item, "(bytevector content-type span-count)");
    dl_spool_item *it = &items[(*n)++];
    it->payload = SCM_BYTEVECTOR_CONTENTS(scm_car(item));
    it->size = SCM_BYTEVECTOR_LENGTH(scm_car(item));
    it->content_type = dl_guile_string(scm_cadr(item), 0, who);
    it->span_count = scm_to_int(scm_caddr(item));
  }
  return items;
}

SCM_DEFINE(dl_scm_ledger_open, "%ledger-open", 1, 1, 0, (SCM path, SCM create),
           "Open the ledger at PATH, or at the default path when PATH is #f; "
           "create it when absent unless CREATE is #f.")
#define FUNC_NAME s_dl_scm_ledger_open
{
  scm_dynwind_begin(0);
  dl_ledger *l;
  dl_error err;
  unsigned flags = SCM_UNBNDP(create) || scm_is_true(create) ? DL_LEDGER_CREATE : 0;
  if (dl_ledger_open_flags(dl_guile_string_or_null(path, SCM_ARG1, FUNC_NAME), flags, &l, &err))
    dl_guile_raise(FUNC_NAME, &err);
  /* Closed only if making its Scheme object fails. */
  scm_dynwind_unwind_handler(close_ledger, l, 0);
  SCM obj = scm_make_foreign_object_1(ledger_type, l);
  scm_dynwind_end();
  return obj;
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_ledger_close, "%ledger-close", 1, 0, 0, (SCM ledger),
           "Close LEDGER; closing it again is an error.")
#define FUNC_NAME s_dl_scm_ledger_close
{
  dl_ledger *l = dl_guile_ledger_ref(ledger, FUNC_NAME);
  scm_foreign_object_set_x(ledger, 0, NULL);
  dl_ledger_close(l);
  return SCM_UNSPECIFIED;
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_ledger_p, "%ledger?", 1, 0, 0, (SCM obj), "True when OBJ is a ledger.")
#define FUNC_NAME s_dl_scm_ledger_p
{
  return scm_from_bool(SCM_IS_A_P(obj, ledger_type));
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_ledger_open_p, "%ledger-open?", 1, 0, 0, (SCM ledger),
           "True when LEDGER has not been closed.")
#define FUNC_NAME s_dl_scm_ledger_open_p
{
  scm_assert_foreign_object_type(ledger_type, ledger);
  return scm_from_bool(scm_foreign_object_ref(ledger, 0) != NULL);
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_ledger_path, "%ledger-path", 1, 0, 0, (SCM ledger),
           "The ledger's file, or its PostgreSQL URL without the password.")
#define FUNC_NAME s_dl_scm_ledger_path
{
  return dl_guile_from_string(dl_ledger_path(dl_guile_ledger_ref(ledger, FUNC_NAME)));
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_ledger_record, "%ledger-record", 2, 1, 0, (SCM ledger, SCM deployment, SCM spool),
           "Record the deployment alist, with SPOOL payloads in the same transaction; "
           "return the recorded deployment.")
#define FUNC_NAME s_dl_scm_ledger_record
{
  dl_ledger *l = dl_guile_ledger_ref(ledger, FUNC_NAME);
  scm_dynwind_begin(0);
  dl_deployment *d = dl_guile_deployment_from_alist(deployment, FUNC_NAME);
  dl_error err;
  size_t n_items;
  dl_spool_item *items = dl_guile_spool_items(spool, &n_items, FUNC_NAME);
  if (dl_ledger_record(l, d, NULL, items, n_items, &err))
    dl_guile_raise(FUNC_NAME, &err);
  SCM result = dl_guile_deployment_to_scm(d);
  scm_dynwind_end();
  return result;
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_ledger_transition, "%ledger-transition", 6, 1, 0,
           (SCM ledger, SCM id, SCM status, SCM at, SCM actor, SCM reason, SCM spool),
           "Move deployment ID to STATUS; return its new state.")
#define FUNC_NAME s_dl_scm_ledger_transition
{
  dl_ledger *l = dl_guile_ledger_ref(ledger, FUNC_NAME);
  scm_dynwind_begin(0);
  dl_deploy_status to;
  dl_deployment *d;
  dl_error err;
  size_t n_items;
  dl_spool_item *items = dl_guile_spool_items(spool, &n_items, FUNC_NAME);
  if (dl_deploy_status_parse(dl_guile_string(status, SCM_ARG3, FUNC_NAME), &to, &err)
      || dl_ledger_transition(l, dl_guile_string(id, SCM_ARG2, FUNC_NAME), to,
                              dl_guile_time_arg(at, SCM_ARG4, FUNC_NAME),
                              dl_guile_string_or_null(actor, 5, FUNC_NAME),
                              dl_guile_string_or_null(reason, 6, FUNC_NAME), items, n_items, &d,
                              &err))
    dl_guile_raise(FUNC_NAME, &err);
  scm_dynwind_unwind_handler(dl_guile_free_deployment, d, SCM_F_WIND_EXPLICITLY);
  SCM result = dl_guile_deployment_to_scm(d);
  scm_dynwind_end();
  return result;
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_ledger_set_attribute, "%ledger-set-attribute", 6, 0, 0,
           (SCM ledger, SCM id, SCM key, SCM value, SCM at, SCM actor),
           "Append an attribute change to deployment ID.")
#define FUNC_NAME s_dl_scm_ledger_set_attribute
{
  dl_ledger *l = dl_guile_ledger_ref(ledger, FUNC_NAME);
  scm_dynwind_begin(0);
  dl_error err;
  if (dl_ledger_set_attribute(l, dl_guile_string(id, SCM_ARG2, FUNC_NAME),
                              dl_guile_string(key, SCM_ARG3, FUNC_NAME),
                              dl_guile_string(value, SCM_ARG4, FUNC_NAME),
                              dl_guile_time_arg(at, 5, FUNC_NAME),
                              dl_guile_string_or_null(actor, 6, FUNC_NAME), &err))
    dl_guile_raise(FUNC_NAME, &err);
  scm_dynwind_end();
  return SCM_UNSPECIFIED;
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_ledger_stage, "%ledger-stage", 5, 1, 0,
           (SCM ledger, SCM id, SCM name, SCM status, SCM at, SCM spool),
           "Append a region or stage event to deployment ID.")
#define FUNC_NAME s_dl_scm_ledger_stage
{
  dl_ledger *l = dl_guile_ledger_ref(ledger, FUNC_NAME);
  scm_dynwind_begin(0);
  dl_deploy_status s;
  dl_error err;
  size_t n_items;
  dl_spool_item *items = dl_guile_spool_items(spool, &n_items, FUNC_NAME);
  if (dl_deploy_status_parse(dl_guile_string(status, SCM_ARG4, FUNC_NAME), &s, &err)
      || dl_ledger_stage(l, dl_guile_string(id, SCM_ARG2, FUNC_NAME),
                         dl_guile_string(name, SCM_ARG3, FUNC_NAME), s,
                         dl_guile_time_arg(at, 5, FUNC_NAME), items, n_items, &err))
    dl_guile_raise(FUNC_NAME, &err);
  scm_dynwind_end();
  return SCM_UNSPECIFIED;
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_ledger_find, "%ledger-find", 2, 0, 0, (SCM ledger, SCM id),
           "The deployment ID (full or unique prefix), or #f when there is none.")
#define FUNC_NAME s_dl_scm_ledger_find
{
  dl_ledger *l = dl_guile_ledger_ref(ledger, FUNC_NAME);
  scm_dynwind_begin(0);
  dl_deployment *d;
  dl_error err;
  int rc = dl_ledger_find(l, dl_guile_string(id, SCM_ARG2, FUNC_NAME), &d, &err);
  if (rc == DL_ENOTFOUND) {
    scm_dynwind_end();
    return SCM_BOOL_F;
  }
  if (rc)
    dl_guile_raise(FUNC_NAME, &err);
  scm_dynwind_unwind_handler(dl_guile_free_deployment, d, SCM_F_WIND_EXPLICITLY);
  SCM result = dl_guile_deployment_to_scm(d);
  scm_dynwind_end();
  return result;
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_ledger_last_succeeded_version, "%ledger-last-succeeded-version", 4, 0, 0,
           (SCM ledger, SCM service, SCM environment, SCM before),
           "The version of the newest deployment of SERVICE in ENVIRONMENT started before "
           "BEFORE (ns, or #f: any time) that is now succeeded, or #f.")
#define FUNC_NAME s_dl_scm_ledger_last_succeeded_version
{
  dl_ledger *l = dl_guile_ledger_ref(ledger, FUNC_NAME);
  scm_dynwind_begin(0);
  char *version = NULL;
  dl_error err;
  if (dl_ledger_last_succeeded_version(l, dl_guile_string(service, SCM_ARG2, FUNC_NAME),
                                       dl_guile_string(environment, SCM_ARG3, FUNC_NAME),
                                       dl_guile_time_arg(before, SCM_ARG4, FUNC_NAME), &version,
                                       &err))
    dl_guile_raise(FUNC_NAME, &err);
  scm_dynwind_free(version);
  SCM result = dl_guile_from_string(version);
  scm_dynwind_end();
  return result;
}
#undef FUNC_NAME

/* Runs the query of the %ledger-query arguments; must run in a dynwind. */
static void
run_query(dl_ledger *l, SCM service, SCM environment, SCM status, SCM since, SCM until,
          SCM limit, SCM latest, dl_deployment ***list, size_t *n, const char *who)
{
  dl_query q;
  dl_query_init(&q);
  dl_error err;
  q.service = dl_guile_string_or_null(service, SCM_ARG2, who);
  q.environment = dl_guile_string_or_null(environment, SCM_ARG3, who);
  if (scm_is_true(status)) {
    dl_deploy_status s;
    if (dl_deploy_status_parse(dl_guile_string(status, SCM_ARG4, who), &s, &err))
      dl_guile_raise(who, &err);
    q.status = (int) s;
  }
  q.since = dl_guile_time_arg(since, 5, who);
  q.until = dl_guile_time_arg(until, 6, who);
  q.limit = scm_is_false(limit) ? 0 : scm_to_size_t(limit);
  q.latest = scm_is_true(latest);
  if (dl_ledger_query(l, &q, list, n, &err))
    dl_guile_raise(who, &err);
}

SCM_DEFINE(dl_scm_ledger_query, "%ledger-query", 8, 0, 0,
           (SCM ledger, SCM service, SCM environment, SCM status, SCM since, SCM until,
            SCM limit, SCM latest),
           "Deployments matching the filters (#f: any), newest first, as alists.")
#define FUNC_NAME s_dl_scm_ledger_query
{
  dl_ledger *l = dl_guile_ledger_ref(ledger, FUNC_NAME);
  scm_dynwind_begin(0);
  deployment_list found;
  run_query(l, service, environment, status, since, until, limit, latest, &found.items, &found.n,
            FUNC_NAME);
  scm_dynwind_unwind_handler(deployment_list_release, &found, SCM_F_WIND_EXPLICITLY);
  SCM result = SCM_EOL;
  for (size_t i = found.n; i-- > 0;)
    result = scm_cons(dl_guile_deployment_to_scm(found.items[i]), result);
  scm_dynwind_end();
  return result;
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_ledger_table, "%ledger-table", 8, 0, 0,
           (SCM ledger, SCM service, SCM environment, SCM status, SCM since, SCM until,
            SCM limit, SCM latest),
           "The same query as %ledger-query, as an aligned text table.")
#define FUNC_NAME s_dl_scm_ledger_table
{
  dl_ledger *l = dl_guile_ledger_ref(ledger, FUNC_NAME);
  scm_dynwind_begin(0);
  dl_deployment **list;
  size_t n;
  run_query(l, service, environment, status, since, until, limit, latest, &list, &n, FUNC_NAME);
  char *table = dl_deployment_table(list, n);
  dl_deployment_list_free(list, n);
  if (!table)
    dl_guile_raise_code(FUNC_NAME, DL_ENOMEM, NULL);
  scm_dynwind_free(table);
  SCM result = dl_guile_from_string(table);
  scm_dynwind_end();
  return result;
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_ledger_history, "%ledger-history", 2, 0, 0, (SCM ledger, SCM id),
           "The history of deployment ID as a list of alists, oldest first.")
#define FUNC_NAME s_dl_scm_ledger_history
{
  dl_ledger *l = dl_guile_ledger_ref(ledger, FUNC_NAME);
  scm_dynwind_begin(0);
  history_list h;
  dl_error err;
  if (dl_ledger_history(l, dl_guile_string(id, SCM_ARG2, FUNC_NAME), &h.items, &h.n, &err))
    dl_guile_raise(FUNC_NAME, &err);
  scm_dynwind_unwind_handler(history_list_release, &h, SCM_F_WIND_EXPLICITLY);
  SCM result = SCM_EOL;
  for (size_t i = h.n; i-- > 0;) {
    dl_history_entry *e = &h.items[i];
    SCM entry = scm_list_n(
      scm_cons(SYM("seq"), scm_from_int64(e->seq)), scm_cons(SYM("at"), scm_from_int64(e->at)),
      scm_cons(SYM("kind"), SYM(dl_history_kind_name(e->kind))),
      scm_cons(SYM("status"), e->status >= 0 ? SYM(dl_deploy_status_name(e->status)) : SCM_BOOL_F),
      scm_cons(SYM("actor"), dl_guile_from_string(e->actor)),
      scm_cons(SYM("reason"), dl_guile_from_string(e->reason)),
      scm_cons(SYM("key"), dl_guile_from_string(e->key)),
      scm_cons(SYM("value"), dl_guile_from_string(e->value)), SCM_UNDEFINED);
    result = scm_cons(entry, result);
  }
  scm_dynwind_end();
  return result;
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_ledger_dora, "%ledger-dora", 5, 0, 0,
           (SCM ledger, SCM service, SCM environment, SCM since, SCM until),
           "DORA figures per service and environment as alists.")
#define FUNC_NAME s_dl_scm_ledger_dora
{
  dl_ledger *l = dl_guile_ledger_ref(ledger, FUNC_NAME);
  scm_dynwind_begin(0);
  dora_list f;
  dl_error err;
  if (dl_ledger_dora(l, dl_guile_string_or_null(service, SCM_ARG2, FUNC_NAME),
                     dl_guile_string_or_null(environment, SCM_ARG3, FUNC_NAME),
                     dl_guile_time_arg(since, SCM_ARG4, FUNC_NAME), dl_guile_time_arg(until, 5, FUNC_NAME),
                     &f.items, &f.n, &err))
    dl_guile_raise(FUNC_NAME, &err);
  scm_dynwind_unwind_handler(dora_list_release, &f, SCM_F_WIND_EXPLICITLY);
  SCM result = SCM_EOL;
  for (size_t i = f.n; i-- > 0;) {
    dl_dora *d = &f.items[i];
    SCM entry = scm_list_n(
      scm_cons(SYM("service"), dl_guile_from_string(d->service)),
      scm_cons(SYM("environment"), dl_guile_from_string(d->environment)),
      scm_cons(SYM("since"), scm_from_int64(d->since)),
      scm_cons(SYM("until"), scm_from_int64(d->until)),
      scm_cons(SYM("deployments"), scm_from_long(d->deployments)),
      scm_cons(SYM("deployments-per-day"), scm_from_double(d->per_day)),
      scm_cons(SYM("finished"), scm_from_long(d->finished)),
      scm_cons(SYM("failed"), scm_from_long(d->failed)),
      scm_cons(SYM("change-failure-rate"),
               d->change_failure_rate < 0 ? SCM_BOOL_F : scm_from_double(d->change_failure_rate)),
      scm_cons(SYM("restores"), scm_from_long(d->restores)),
      scm_cons(SYM("time-to-restore"),
               d->time_to_restore < 0 ? SCM_BOOL_F : scm_from_int64(d->time_to_restore)),
      scm_cons(SYM("lead-time-samples"), scm_from_long(d->lead_samples)),
      scm_cons(SYM("lead-time"), d->lead_time < 0 ? SCM_BOOL_F : scm_from_int64(d->lead_time)),
      SCM_UNDEFINED);
    result = scm_cons(entry, result);
  }
  scm_dynwind_end();
  return result;
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_ledger_spool, "%ledger-spool", 2, 0, 0, (SCM ledger, SCM dead),
           "Pending spooled items, or dead letters when DEAD is true, as alists.")
#define FUNC_NAME s_dl_scm_ledger_spool
{
  dl_ledger *l = dl_guile_ledger_ref(ledger, FUNC_NAME);
  scm_dynwind_begin(0);
  spool_list s;
  dl_error err;
  if (dl_ledger_spool_list(l, scm_is_true(dead), &s.items, &s.n, &err))
    dl_guile_raise(FUNC_NAME, &err);
  scm_dynwind_unwind_handler(spool_list_release, &s, SCM_F_WIND_EXPLICITLY);
  SCM result = SCM_EOL;
  for (size_t i = s.n; i-- > 0;) {
    const dl_spool_entry *e = &s.items[i];
    /* The last error and the response body are a collector's words, in
       any encoding or none: dl_guile_from_string escapes what is not
       UTF-8. */
    SCM entry = scm_list_n(
      scm_cons(SYM("id"), scm_from_int64(e->id)),
      scm_cons(SYM("deployment-id"), dl_guile_from_string(e->deployment_id)),
      scm_cons(SYM("created"), scm_from_int64(e->created)),
      scm_cons(SYM("content-type"), dl_guile_from_string(e->content_type)),
      scm_cons(SYM("spans"), scm_from_int(e->span_count)),
      scm_cons(SYM("bytes"), scm_from_size_t(e->size)),
      scm_cons(SYM("attempts"), scm_from_int(e->attempts)),
      scm_cons(SYM("next-attempt"), dl_guile_time_or_false(e->next_attempt)),
      scm_cons(SYM("last-error"), dl_guile_from_string(e->last_error)),
      scm_cons(SYM("failed"), dl_guile_time_or_false(e->failed)),
      scm_cons(SYM("http-status"), scm_is_true(dead) ? scm_from_int(e->http_status) : SCM_BOOL_F),
      scm_cons(SYM("grpc-status"), e->grpc_status >= 0 ? scm_from_int(e->grpc_status) : SCM_BOOL_F),
      scm_cons(SYM("response-body"), dl_guile_from_string(e->response_body)),
      scm_cons(SYM("reason"), dl_guile_from_string(e->reason)), SCM_UNDEFINED);
    result = scm_cons(entry, result);
  }
  scm_dynwind_end();
  return result;
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_ledger_spool_add, "%ledger-spool-add", 3, 0, 0,
           (SCM ledger, SCM id, SCM payload),
           "Spool PAYLOAD, a (bytevector content-type span-count), for deployment ID.")
#define FUNC_NAME s_dl_scm_ledger_spool_add
{
  dl_ledger *l = dl_guile_ledger_ref(ledger, FUNC_NAME);
  scm_dynwind_begin(0);
  size_t n;
  dl_spool_item *items = dl_guile_spool_items(scm_list_1(payload), &n, FUNC_NAME);
  dl_error err;
  if (dl_ledger_spool_add(l, dl_guile_string(id, SCM_ARG2, FUNC_NAME), items, n, &err))
    dl_guile_raise(FUNC_NAME, &err);
  scm_dynwind_end();
  return SCM_UNSPECIFIED;
}
#undef FUNC_NAME

/* The dead-letter ids of the list IDS (integers), for requeue and purge:
   an array in garbage-collected memory. */
static int64_t *
dead_letter_ids(SCM ids, size_t *n, const char *who)
{
  long len = scm_ilength(ids);
  if (len < 0)
    scm_wrong_type_arg_msg(who, SCM_ARG2, ids, "list of dead-letter ids");
  int64_t *out = scm_gc_malloc_pointerless((size_t) (len ? len : 1) * sizeof *out, "ids");
  *n = 0;
  for (SCM l = ids; scm_is_pair(l); l = scm_cdr(l)) {
    if (!scm_is_signed_integer(scm_car(l), INT64_MIN, INT64_MAX))
      scm_wrong_type_arg_msg(who, SCM_ARG2, ids, "list of dead-letter ids");
    out[(*n)++] = scm_to_int64(scm_car(l));
  }
  return out;
}

/* Runs OP (requeue or purge) on the dead letters IDS of LEDGER; the
   count it reports. */
static SCM
on_dead_letters(SCM ledger, SCM ids,
                int (*op)(dl_ledger *, const int64_t *, size_t, size_t *, dl_error *),
                const char *who)
{
  dl_ledger *l = dl_guile_ledger_ref(ledger, who);
  size_t n, done = 0;
  int64_t *list = dead_letter_ids(ids, &n, who);
  dl_error err;
  if (op(l, list, n, &done, &err))
    dl_guile_raise(who, &err);
  return scm_from_size_t(done);
}

SCM_DEFINE(dl_scm_ledger_spool_requeue, "%ledger-spool-requeue", 2, 0, 0, (SCM ledger, SCM ids),
           "Move the dead letters IDS (all of them when IDS is empty) back to the spool; "
           "return how many moved.")
#define FUNC_NAME s_dl_scm_ledger_spool_requeue
{
  return on_dead_letters(ledger, ids, dl_ledger_spool_requeue, FUNC_NAME);
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_ledger_spool_purge, "%ledger-spool-purge", 2, 0, 0, (SCM ledger, SCM ids),
           "Delete the dead letters IDS (all of them when IDS is empty) for good; return "
           "how many were deleted.")
#define FUNC_NAME s_dl_scm_ledger_spool_purge
{
  return on_dead_letters(ledger, ids, dl_ledger_spool_purge, FUNC_NAME);
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_ledger_backend, "%ledger-backend", 1, 0, 0, (SCM ledger),
           "The ledger's storage: the symbol sqlite or postgresql.")
#define FUNC_NAME s_dl_scm_ledger_backend
{
  return scm_from_utf8_symbol(dl_ledger_backend_name(dl_guile_ledger_ref(ledger, FUNC_NAME)));
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_ledger_copy, "%ledger-copy", 3, 0, 0, (SCM from, SCM to, SCM force),
           "Copy every deployment of FROM into TO in one transaction; into a TO that is not "
           "empty only with FORCE.  Return the counts as an alist.")
#define FUNC_NAME s_dl_scm_ledger_copy
{
  dl_ledger *a = dl_guile_ledger_ref(from, FUNC_NAME);
  dl_ledger *b = dl_guile_ledger_ref(to, FUNC_NAME);
  dl_copy_stats st;
  dl_error err;
  if (dl_ledger_copy(a, b, scm_is_true(force) ? DL_COPY_FORCE : 0, &st, &err))
    dl_guile_raise(FUNC_NAME, &err);
  return scm_list_5(scm_cons(SYM("deployments"), scm_from_long(st.deployments)),
                    scm_cons(SYM("skipped"), scm_from_long(st.skipped)),
                    scm_cons(SYM("history"), scm_from_long(st.history)),
                    scm_cons(SYM("spooled"), scm_from_long(st.spooled)),
                    scm_cons(SYM("dead-letters"), scm_from_long(st.dead_letters)));
}
#undef FUNC_NAME

void
dl_guile_init_ledger(void)
{
  ledger_type = scm_make_foreign_object_type(scm_from_utf8_symbol("ledger"),
                                             scm_list_1(scm_from_utf8_symbol("handle")),
                                             finalize_ledger);
#ifndef SCM_MAGIC_SNARFER
#include "ledger-func.x"
#endif
}
