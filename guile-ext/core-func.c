/* Primitives for time, identifiers and deployment names. */
#include "dl-guile.h"

SCM_DEFINE(dl_scm_time_now, "%time-now", 0, 0, 0, (void),
           "Current time in nanoseconds since the epoch.")
#define FUNC_NAME s_dl_scm_time_now
{
  return scm_from_int64(dl_time_now());
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_time_parse, "%time-parse", 1, 0, 0, (SCM text),
           "Parse an RFC 3339 timestamp into nanoseconds.")
#define FUNC_NAME s_dl_scm_time_parse
{
  scm_dynwind_begin(0);
  char *s = dl_guile_string(text, SCM_ARG1, FUNC_NAME);
  int64_t ns;
  dl_error err;
  if (dl_time_parse(s, &ns, &err))
    dl_guile_raise(FUNC_NAME, &err);
  scm_dynwind_end();
  return scm_from_int64(ns);
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_time_format, "%time-format", 1, 0, 0, (SCM ns),
           "Format nanoseconds as an RFC 3339 timestamp in UTC.")
#define FUNC_NAME s_dl_scm_time_format
{
  char buf[DL_TIME_TEXT_SIZE];
  return scm_from_utf8_string(dl_time_format(dl_guile_to_ns(ns, SCM_ARG1, FUNC_NAME), buf));
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_duration_parse, "%duration-parse", 1, 0, 0, (SCM text),
           "Parse a duration such as \"15m\" or \"1h30m\" into nanoseconds.")
#define FUNC_NAME s_dl_scm_duration_parse
{
  scm_dynwind_begin(0);
  char *s = dl_guile_string(text, SCM_ARG1, FUNC_NAME);
  int64_t ns;
  dl_error err;
  if (dl_duration_parse(s, &ns, &err))
    dl_guile_raise(FUNC_NAME, &err);
  scm_dynwind_end();
  return scm_from_int64(ns);
}
#undef FUNC_NAME

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
dl_guile_init_core(void)
{
#ifndef SCM_MAGIC_SNARFER
#include "core-func.x"
#endif
}
