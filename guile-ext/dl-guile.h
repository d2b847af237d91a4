/* Shared glue of the Guile extension: errors and conversions. */
#ifndef DL_GUILE_H
#define DL_GUILE_H

#include <jansson.h>
#include <libguile.h>

#include "deploy-ledger/deploy-ledger.h"

/* Raises the deploy-ledger condition for ERR from procedure WHO; never
   returns.  The condition type lives in (deploy-ledger core errors). */
SCM_NORETURN void dl_guile_raise(const char *who, const dl_error *err);

/* Raises the condition for ERR when RC is not DL_OK. */
void dl_guile_check(int rc, const dl_error *err, const char *who);

/* The name of the procedure to blame in an error: the symbol WHO when the
   Scheme caller passed one (an optional argument of primitives that check
   input for several procedures), else FALLBACK.  Inside a dynwind. */
const char *dl_guile_who(SCM who, const char *fallback);

/* Raises for a status code without detail. */
SCM_NORETURN void dl_guile_raise_code(const char *who, int code, const char *message);

/* A UTF-8 copy of a Scheme string, freed when the current dynwind ends. */
char *dl_guile_string(SCM s, int pos, const char *who);

/* A UTF-8 copy of a string or #f (NULL), freed with the dynwind. */
char *dl_guile_string_or_null(SCM s, int pos, const char *who);

/* Scheme string from C, or #f for NULL.  Text that is not valid UTF-8
   (a collector's answer, a file name, a truncated message) never raises
   Guile's decoding-error: each byte that does not belong to a valid
   sequence shows as \xNN. */
SCM dl_guile_from_string(const char *s);

/* The same for LEN bytes that may hold anything. */
SCM dl_guile_from_bytes(const char *s, size_t len);

/* Nanoseconds: an exact integer in the 64-bit range. */
int64_t dl_guile_to_ns(SCM ns, int pos, const char *who);

/* The ledger handle of a ledger object; raises when closed. */
dl_ledger *dl_guile_ledger_ref(SCM obj, const char *who);

/* An array of results from a C call (ITEMS and N), to be freed by
   FREE_FN(items, n) from an unwind handler, so that a Scheme error while
   converting them leaks nothing:
     DL_GUILE_OWNED_ARRAY(history_list, dl_history_entry *, dl_history_free)
   defines the struct history_list and its handler history_list_release. */
#define DL_GUILE_OWNED_ARRAY(name, type, free_fn) \
  typedef struct name {                          \
    type items;                                  \
    size_t n;                                    \
  } name;                                        \
  static void name##_release(void *p)            \
  {                                              \
    name *owned = p;                             \
    free_fn(owned->items, owned->n);             \
  }

/* The length of LIST, raising a wrong-type error that names WHAT when it
   is not a proper list. */
size_t dl_guile_list_length(SCM list, const char *what, const char *who);

/* The value of KEY (a symbol's name) in ALIST, or #f. */
SCM dl_guile_ref(SCM alist, const char *key);

/* ARGV, a non-empty list of strings, as a NULL-terminated array for
   execvp (strings freed with the current dynwind, the array by the
   collector); a wrong-type error naming WHO otherwise. */
char **dl_guile_argv(SCM argv, const char *who);

/* A symbol from a C string. */
#define SYM(name) scm_from_utf8_symbol(name)

/* Nanoseconds or #f for DL_TIME_NONE, both ways. */
SCM dl_guile_time_or_false(int64_t ns);
int64_t dl_guile_time_arg(SCM ns, int pos, const char *who);

/* Deployments as alists (see deployment-func.c) and back (inside a dynwind). */
SCM dl_guile_deployment_to_scm(const dl_deployment *d);
void dl_guile_deployment_from_scm(SCM alist, dl_deployment *d, const char *who);
void dl_guile_free_deployment(void *d);

/* A new deployment from the alist, freed when the current dynwind ends. */
dl_deployment *dl_guile_deployment_from_alist(SCM alist, const char *who);

/* Spool payloads from a list of (bytevector content-type span-count);
   strings freed with the current dynwind, the array by the collector. */
dl_spool_item *dl_guile_spool_items(SCM spool, size_t *n, const char *who);

/* The spans of PART (start, stage or end; STAGE names the stage) of each
   item of ITEMS, a list of (deployment-alist history traceparents), built
   by the library's one deployment-span builder into ARENA, as one request
   in *REQ (the exporter adds its resource attributes when it encodes).
   Must run inside a dynwind; raises on bad input. */
void dl_guile_deployment_request(dl_arena *arena, SCM items, SCM part, SCM stage,
                                 dl_export_request *req, const char *who);

/* A new, empty arena freed when the current dynwind ends. */
dl_arena *dl_guile_arena(void);

/* One init function per area, called by dl_guile_init. */
/* How a user raises the fetches' deadline and input limit, named in
   the errors that hit them. */
#define DL_GUILE_TIMEOUT_OPTION "--timeout, #:timeout or DEPLOY_LEDGER_TIMEOUT"
#define DL_GUILE_MAX_INPUT_OPTION "--max-input, #:max-bytes or DEPLOY_LEDGER_MAX_INPUT"

/* The total deadline TIMEOUT_MS (#f: the default) and RETRIES (#f: the
   default) into H: every request of a fetch, probes, slices, retries and
   pauses included, ends within the deadline. */
void dl_guile_set_deadline(SCM timeout_ms, SCM retries, dl_http_options *h, int pos,
                           const char *who);

/* A correlation's options from the alist OPTS (the keys `correlate' of
   (deploy-ledger correlation) writes); call inside a dynwind context. */
void dl_guile_correlate_options(SCM opts, dl_correlate_options *o, const char *who);

/* J (a reference it takes) as the pair (alist . JSON text) the
   correlation procedures return. */
SCM dl_guile_json_result(json_t *j, const char *who);

void dl_guile_init_time(void);
void dl_guile_init_trace_context(void);
void dl_guile_init_deployment(void);
void dl_guile_init_ledger(void);
void dl_guile_init_exporter(void);
void dl_guile_init_deployment_span(void);
void dl_guile_init_trace_set(void);
void dl_guile_init_correlation(void);
void dl_guile_init_stats(void);
void dl_guile_init_process(void);
void dl_guile_init_receiver(void);
void dl_guile_init_prometheus(void);
void dl_guile_init_policy(void);

/* The C trace set and rows (*ROWS NULL: all) of a (deploy-ledger traces)
   trace set, or NULL when OBJ is not a live one. */
const dl_trace_set *dl_guile_traces_ref(SCM obj, const dl_selection **rows);

/* A new (deploy-ledger traces) trace set owning SET (freed here if that
   fails). */
SCM dl_guile_traces_wrap(dl_trace_set *set);

/* The C trace set of the Scheme trace set OBJ and the rows it stands for
   (*ROWS NULL: all of them); raises a wrong-type error naming WHO. */
const dl_trace_set *dl_guile_trace_set(SCM obj, int pos, const char *who,
                                       const dl_selection **rows);

#endif
