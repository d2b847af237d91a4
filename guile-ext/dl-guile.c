/* Errors and conversions shared by every part of the extension, and the
   entry point that load-extension calls. */
#include "dl-guile.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
  /* The text may quote a collector's answer or be cut inside a UTF-8
     sequence: converted leniently, so raising never raises another
     exception. */
  SCM position = scm_list_4(dl_guile_from_string(err->source[0] ? err->source : NULL),
                            err->line >= 0 ? scm_from_long(err->line) : SCM_BOOL_F,
                            err->column >= 0 ? scm_from_long(err->column) : SCM_BOOL_F,
                            err->offset >= 0 ? scm_from_long(err->offset) : SCM_BOOL_F);
  const char *text = err->text[0] ? err->text : dl_strerror(err->code);
  scm_apply_0(lookup_raise(),
              scm_list_4(scm_from_utf8_symbol(dl_status_name(err->code)),
                         scm_from_utf8_symbol(who), dl_guile_from_string(text), position));
  abort(); /* the raise procedure does not return */
}

void
dl_guile_raise_code(const char *who, int code, const char *message)
{
  dl_error err;
  dl_fail(&err, code, "%s", message ? message : dl_strerror(code));
  dl_guile_raise(who, &err);
}

const char *
dl_guile_who(SCM who, const char *fallback)
{
  if (SCM_UNBNDP(who) || !scm_is_symbol(who))
    return fallback;
  char *name = scm_to_utf8_string(scm_symbol_to_string(who));
  scm_dynwind_free(name);
  return name;
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

/* The length of the valid UTF-8 sequence at P (N bytes left), or 0. */
static size_t
utf8_sequence(const unsigned char *p, size_t n)
{
  unsigned char c = p[0];
  size_t len;
  unsigned char lo = 0x80, hi = 0xbf; /* the range of the second byte */
  if (c < 0x80)
    return 1;
  if (c >= 0xc2 && c <= 0xdf)
    len = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    if (c == 0xe0)
      lo = 0xa0; /* no overlong forms */
    else if (c == 0xed)
      hi = 0x9f; /* no surrogates */
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    if (c == 0xf0)
      lo = 0x90;
    else if (c == 0xf4)
      hi = 0x8f; /* nothing above U+10FFFF */
  } else
    return 0;
  if (n < len || p[1] < lo || p[1] > hi)
    return 0;
  for (size_t i = 2; i < len; i++)
    if ((p[i] & 0xc0) != 0x80)
      return 0;
  return len;
}

SCM
dl_guile_from_bytes(const char *s, size_t len)
{
  const unsigned char *p = (const unsigned char *) s;
  size_t bad = 0;
  for (size_t i = 0; i < len;) {
    size_t k = utf8_sequence(p + i, len - i);
    bad += k == 0;
    i += k ? k : 1;
  }
  if (!bad)
    return scm_from_utf8_stringn(s, len);
  /* Each stray byte becomes the four characters \xNN. */
  char *out = malloc(len + 3 * bad + 1);
  if (!out)
    dl_guile_raise_code("string conversion", DL_ENOMEM, "out of memory");
  scm_dynwind_begin(0);
  scm_dynwind_free(out);
  size_t o = 0;
  for (size_t i = 0; i < len;) {
    size_t k = utf8_sequence(p + i, len - i);
    if (k) {
      memcpy(out + o, p + i, k);
      o += k;
      i += k;
    } else {
      snprintf(out + o, 5, "\\x%02x", p[i]);
      o += 4;
      i++;
    }
  }
  SCM result = scm_from_utf8_stringn(out, o);
  scm_dynwind_end();
  return result;
}

SCM
dl_guile_from_string(const char *s)
{
  return s ? dl_guile_from_bytes(s, strlen(s)) : SCM_BOOL_F;
}

size_t
dl_guile_list_length(SCM list, const char *what, const char *who)
{
  long len = scm_ilength(list);
  if (len < 0)
    scm_wrong_type_arg_msg(who, SCM_ARGn, list, what);
  return (size_t) len;
}

SCM
dl_guile_ref(SCM alist, const char *key)
{
  SCM pair = scm_assq(SYM(key), alist);
  return scm_is_pair(pair) ? scm_cdr(pair) : SCM_BOOL_F;
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
dl_guile_set_deadline(SCM timeout_ms, SCM retries, dl_http_options *h, int pos, const char *who)
{
  h->deadline_option = DL_GUILE_TIMEOUT_OPTION;
  long t = 0;
  if (scm_is_true(timeout_ms)) {
    if (!scm_is_signed_integer(timeout_ms, 0, LONG_MAX))
      scm_wrong_type_arg_msg(who, pos, timeout_ms, "non-negative integer or #f");
    t = scm_to_long(timeout_ms);
  }
  if (t > 0) {
    h->total_ms = t;
    h->deadline_ms = t;
  } else {
    h->total_ms = h->deadline_ms;
  }
  if (scm_is_true(retries)) {
    if (!scm_is_signed_integer(retries, 0, INT_MAX))
      scm_wrong_type_arg_msg(who, pos, retries, "non-negative integer or #f");
    h->retries = scm_to_int(retries);
  }
}

void
dl_guile_init(void)
{
  dl_guile_init_time();
  dl_guile_init_trace_context();
  dl_guile_init_deployment();
  dl_guile_init_ledger();
  dl_guile_init_exporter();
  dl_guile_init_deployment_span();
  dl_guile_init_trace_set();
  dl_guile_init_correlation();
  dl_guile_init_stats();
  dl_guile_init_process();
  dl_guile_init_receiver();
  dl_guile_init_prometheus();
  dl_guile_init_policy();
}
