/* Shared glue of the Guile extension: errors and conversions. */
#ifndef DL_GUILE_H
#define DL_GUILE_H

#include <libguile.h>

#include "dl.h"

/* Raises the deploy-ledger condition for ERR from procedure WHO; never
   returns.  The condition type lives in (deploy-ledger core errors). */
SCM_NORETURN void dl_guile_raise(const char *who, const dl_error *err);

/* Raises for a status code without detail. */
SCM_NORETURN void dl_guile_raise_code(const char *who, int code, const char *message);

/* A UTF-8 copy of a Scheme string, freed when the current dynwind ends. */
char *dl_guile_string(SCM s, int pos, const char *who);

/* A UTF-8 copy of a string or #f (NULL), freed with the dynwind. */
char *dl_guile_string_or_null(SCM s, int pos, const char *who);

/* Scheme string from C, or #f for NULL. */
SCM dl_guile_from_string(const char *s);

/* Nanoseconds: an exact integer in the 64-bit range. */
int64_t dl_guile_to_ns(SCM ns, int pos, const char *who);

/* One init function per area, called by dl_guile_init. */
void dl_guile_init_core(void);
void dl_guile_init_tracecontext(void);
void dl_guile_init_correlate(void);

/* The C trace set of the Scheme trace set OBJ and the rows it stands for
   (*ROWS NULL: all of them); raises a wrong-type error naming WHO. */
const dl_trace_set *dl_guile_trace_set(SCM obj, int pos, const char *who,
                                       const dl_selection **rows);

#endif
