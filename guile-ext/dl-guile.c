/* Errors and conversions shared by every part of the extension, and the
   entry point that load-extension calls. */
#include "dl-guile.h"

#include <stdlib.h>

static SCM raise_procedure = SCM_BOOL_F;

static SCM
lookup_raise(void)
{
  if (scm_is_false(raise_procedure))
    raise_procedure = scm_permanent_object(
      scm_c_public_ref("deploy-ledger core errors", "raise-deploy-ledger-error"));
  return raise_procedure;
}

void
dl_guile_raise(const char *who, const dl_error *err)
{
  SCM position = scm_list_4(dl_guile_from_string(err->source[0] ? err->source : NULL),
                            err->line >= 0 ? scm_from_long(err->line) : SCM_BOOL_F,
                            err->column >= 0 ? scm_from_long(err->column) : SCM_BOOL_F,
                            err->offset >= 0 ? scm_from_long(err->offset) : SCM_BOOL_F);
  const char *text = err->text[0] ? err->text : dl_strerror(err->code);
  scm_apply_0(lookup_raise(),
              scm_list_4(scm_from_utf8_symbol(dl_status_name(err->code)),
                         scm_from_utf8_symbol(who), scm_from_utf8_string(text), position));
  abort(); /* the raise procedure does not return */
}

void
dl_guile_raise_code(const char *who, int code, const char *message)
{
  dl_error err;
  dl_fail(&err, code, "%s", message ? message : dl_strerror(code));
  dl_guile_raise(who, &err);
}

char *
dl_guile_string(SCM s, int pos, const char *who)
{
  if (!scm_is_string(s))
    scm_wrong_type_arg_msg(who, pos, s, "string");
  char *c = scm_to_utf8_string(s);
  scm_dynwind_free(c);
  return c;
}

char *
dl_guile_string_or_null(SCM s, int pos, const char *who)
{
  return scm_is_false(s) ? NULL : dl_guile_string(s, pos, who);
}

SCM
dl_guile_from_string(const char *s)
{
  return s ? scm_from_utf8_string(s) : SCM_BOOL_F;
}

int64_t
dl_guile_to_ns(SCM ns, int pos, const char *who)
{
  if (!scm_is_exact_integer(ns) || !scm_is_signed_integer(ns, INT64_MIN + 1, INT64_MAX))
    scm_wrong_type_arg_msg(who, pos, ns, "integer nanoseconds");
  return scm_to_int64(ns);
}

void
dl_guile_check(int rc, const dl_error *err, const char *who)
{
  if (rc)
    dl_guile_raise(who, err);
}

SCM
dl_guile_time_or_false(int64_t ns)
{
  return ns == DL_TIME_NONE ? SCM_BOOL_F : scm_from_int64(ns);
}

int64_t
dl_guile_time_arg(SCM ns, int pos, const char *who)
{
  return scm_is_false(ns) ? DL_TIME_NONE : dl_guile_to_ns(ns, pos, who);
}

void dl_guile_init(void);

void
dl_guile_init(void)
{
  dl_guile_init_time();
  dl_guile_init_trace_context();
  dl_guile_init_deployment();
  dl_guile_init_ledger();
  dl_guile_init_exporter();
  dl_guile_init_trace_set();
  dl_guile_init_correlation();
  dl_guile_init_stats();
  dl_guile_init_process();
}
