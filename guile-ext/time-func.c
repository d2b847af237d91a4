/* Primitives for time: now, RFC 3339 and durations. */
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

SCM_DEFINE(dl_scm_duration_parse, "%duration-parse", 1, 1, 0, (SCM text, SCM who),
           "Parse a duration such as \"15m\" or \"1h30m\" into nanoseconds; errors name "
           "WHO (a symbol) when given.")
#define FUNC_NAME s_dl_scm_duration_parse
{
  scm_dynwind_begin(0);
  const char *blame = dl_guile_who(who, FUNC_NAME);
  char *s = dl_guile_string(text, SCM_ARG1, blame);
  int64_t ns;
  dl_error err;
  if (dl_duration_parse(s, &ns, &err))
    dl_guile_raise(blame, &err);
  scm_dynwind_end();
  return scm_from_int64(ns);
}
#undef FUNC_NAME

void
dl_guile_init_time(void)
{
#ifndef SCM_MAGIC_SNARFER
#include "time-func.x"
#endif
}
