/* Deployments between C and Scheme: the alist a dl_deployment crosses
   as (symbol keys, plain values: strings, integer nanoseconds, #f), which
   (deploy-ledger ledger) turns into records, and the checks of deployment
   types, statuses and transitions. */
#include "dl-guile.h"

#include <limits.h>
#include <string.h>

SCM
dl_guile_deployment_to_scm(const dl_deployment *d)
{
  char trace[33], span[17], parent[17];
  SCM regions = SCM_EOL, attrs = SCM_EOL;
  for (size_t i = d->n_regions; i-- > 0;)
    regions = scm_cons(dl_guile_from_string(d->regions[i]), regions);
  for (size_t i = d->n_attributes; i-- > 0;)
    attrs = scm_cons(scm_cons(dl_guile_from_string(d->attributes[i].key),
                              dl_guile_from_string(d->attributes[i].value)),
                     attrs);
  SCM fields[][2] = {
    {SYM("id"), dl_guile_from_string(d->id)},
    {SYM("service"), dl_guile_from_string(d->service)},
    {SYM("version"), dl_guile_from_string(d->version)},
    {SYM("previous-version"), dl_guile_from_string(d->previous_version)},
    {SYM("type"), scm_from_utf8_string(dl_deploy_type_name(d->type))},
    {SYM("environment"), dl_guile_from_string(d->environment)},
    {SYM("regions"), regions},
    {SYM("status"), scm_from_utf8_string(dl_deploy_status_name(d->status))},
    {SYM("started"), dl_guile_time_or_false(d->started)},
    {SYM("completed"), dl_guile_time_or_false(d->completed)},
    {SYM("actor"), dl_guile_from_string(d->actor)},
    {SYM("commit"), dl_guile_from_string(d->commit)},
    {SYM("commit-time"), dl_guile_time_or_false(d->commit_time)},
    {SYM("attributes"), attrs},
    {SYM("trace-id"), scm_from_latin1_string(dl_hex_encode(d->context.trace_id, 16, trace))},
    {SYM("span-id"), scm_from_latin1_string(dl_hex_encode(d->context.span_id, 8, span))},
    {SYM("flags"), scm_from_uint8(d->context.flags)},
    {SYM("tracestate"), dl_guile_from_string(d->context.tracestate)},
    {SYM("parent-span-id"),
     d->has_parent ? scm_from_latin1_string(dl_hex_encode(d->parent_span_id, 8, parent))
                   : SCM_BOOL_F},
  };
  SCM alist = SCM_EOL;
  for (size_t i = sizeof fields / sizeof fields[0]; i-- > 0;)
    alist = scm_acons(fields[i][0], fields[i][1], alist);
  return alist;
}

static SCM
field(SCM alist, const char *key)
{
  SCM pair = scm_assq(SYM(key), alist);
  return scm_is_pair(pair) ? scm_cdr(pair) : SCM_BOOL_F;
}

/* Fills D from the alist; must run inside a dynwind. */
void
dl_guile_deployment_from_scm(SCM alist, dl_deployment *d, const char *who)
{
  dl_error err;
  struct {
    const char *key;
    char **slot;
  } strings[] = {{"id", &d->id},         {"service", &d->service},
                 {"version", &d->version}, {"previous-version", &d->previous_version},
                 {"environment", &d->environment}, {"actor", &d->actor},
                 {"commit", &d->commit}};
  for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
    if (dl_deployment_set_string(strings[i].slot,
                                 dl_guile_string_or_null(field(alist, strings[i].key), SCM_ARG2, who)))
      dl_guile_raise_code(who, DL_ENOMEM, NULL);
  if (dl_deploy_type_parse(dl_guile_string(field(alist, "type"), SCM_ARG2, who), &d->type, &err)
      || dl_deploy_status_parse(dl_guile_string(field(alist, "status"), SCM_ARG2, who), &d->status,
                                &err))
    dl_guile_raise(who, &err);
  d->started = dl_guile_time_arg(field(alist, "started"), SCM_ARG2, who);
  d->completed = dl_guile_time_arg(field(alist, "completed"), SCM_ARG2, who);
  d->commit_time = dl_guile_time_arg(field(alist, "commit-time"), SCM_ARG2, who);
  for (SCM r = field(alist, "regions"); scm_is_pair(r); r = scm_cdr(r))
    if (dl_deployment_add_region(d, dl_guile_string(scm_car(r), SCM_ARG2, who)))
      dl_guile_raise_code(who, DL_ENOMEM, NULL);
  for (SCM a = field(alist, "attributes"); scm_is_pair(a); a = scm_cdr(a))
    if (dl_deployment_set_attribute(d, dl_guile_string(scm_caar(a), SCM_ARG2, who),
                                    dl_guile_string(scm_cdar(a), SCM_ARG2, who)))
      dl_guile_raise_code(who, DL_ENOMEM, NULL);
  SCM tid = field(alist, "trace-id"), sid = field(alist, "span-id");
  if (scm_is_string(tid) && scm_is_string(sid)) {
    SCM flags = field(alist, "flags");
    if (!scm_is_signed_integer(flags, INT_MIN, INT_MAX))
      scm_wrong_type_arg_msg(who, SCM_ARG2, flags, "trace flags (an integer 0 to 255)");
    if (dl_trace_context_from_parts(dl_guile_string(tid, SCM_ARG2, who),
                                    dl_guile_string(sid, SCM_ARG2, who), scm_to_int(flags),
                                    dl_guile_string_or_null(field(alist, "tracestate"), SCM_ARG2, who),
                                    &d->context, &err))
      dl_guile_raise(who, &err);
    d->has_context = 1;
    SCM parent = field(alist, "parent-span-id");
    if (scm_is_string(parent)) {
      char *p = dl_guile_string(parent, SCM_ARG2, who);
      if (strlen(p) != 16 || dl_hex_decode(p, 8, d->parent_span_id, 0))
        dl_guile_raise_code(who, DL_EINVAL, "parent-span-id must be 16 lower-case hex digits");
      d->has_parent = 1;
    }
  }
}

void
dl_guile_free_deployment(void *d)
{
  dl_deployment_free(d);
}

dl_deployment *
dl_guile_deployment_from_alist(SCM alist, const char *who)
{
  dl_deployment *d = dl_deployment_new();
  if (!d)
    dl_guile_raise_code(who, DL_ENOMEM, NULL);
  scm_dynwind_unwind_handler(dl_guile_free_deployment, d, SCM_F_WIND_EXPLICITLY);
  dl_guile_deployment_from_scm(alist, d, who);
  return d;
}

SCM_DEFINE(dl_scm_deployment_new_id, "%deployment-new-id", 0, 0, 0, (void),
           "A fresh, time-ordered deployment id (UUIDv7).")
#define FUNC_NAME s_dl_scm_deployment_new_id
{
  char id[37];
  dl_error err;
  if (dl_deployment_new_id(id, dl_time_now(), &err))
    dl_guile_raise(FUNC_NAME, &err);
  return scm_from_utf8_string(id);
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_deploy_type_check, "%deploy-type-check", 1, 0, 0, (SCM name),
           "Return NAME if it is a known deployment type, else raise.")
#define FUNC_NAME s_dl_scm_deploy_type_check
{
  scm_dynwind_begin(0);
  dl_deploy_type t;
  dl_error err;
  if (dl_deploy_type_parse(dl_guile_string(name, SCM_ARG1, FUNC_NAME), &t, &err))
    dl_guile_raise(FUNC_NAME, &err);
  scm_dynwind_end();
  return name;
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_deploy_status_check, "%deploy-status-check", 1, 0, 0, (SCM name),
           "Return NAME if it is a known deployment status, else raise.")
#define FUNC_NAME s_dl_scm_deploy_status_check
{
  scm_dynwind_begin(0);
  dl_deploy_status s;
  dl_error err;
  if (dl_deploy_status_parse(dl_guile_string(name, SCM_ARG1, FUNC_NAME), &s, &err))
    dl_guile_raise(FUNC_NAME, &err);
  scm_dynwind_end();
  return name;
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_deploy_transition_check, "%deploy-transition-check", 2, 0, 0,
           (SCM from, SCM to),
           "Raise unless a deployment may go from status FROM to status TO.")
#define FUNC_NAME s_dl_scm_deploy_transition_check
{
  scm_dynwind_begin(0);
  dl_deploy_status a, b;
  dl_error err;
  if (dl_deploy_status_parse(dl_guile_string(from, SCM_ARG1, FUNC_NAME), &a, &err)
      || dl_deploy_status_parse(dl_guile_string(to, SCM_ARG2, FUNC_NAME), &b, &err)
      || dl_deploy_transition_check(a, b, &err))
    dl_guile_raise(FUNC_NAME, &err);
  scm_dynwind_end();
  return SCM_BOOL_T;
}
#undef FUNC_NAME

void
dl_guile_init_deployment(void)
{
#ifndef SCM_MAGIC_SNARFER
#include "deployment-func.x"
#endif
}
