/* The small answers of tracing backends, scanned (internal): a JSON
   object's list of names ({"services": [...]}, {"data": [...]}) and the
   trace ids of a Tempo search answer.  Kept apart from the HTTP so that
   they can be fuzzed alone (fuzz/fuzz-backend-answers.c). */
#ifndef DL_SOURCES_ANSWERS_H
#define DL_SOURCES_ANSWERS_H

#include <stddef.h>
#include <stdint.h>

#include "deploy-ledger/error.h"

/* The names of the JSON object BODY's member KEY, an array of strings,
   from LEN bytes of any content (SOURCE names it in errors).  At most
   MAX_NAMES names, else DL_ERANGE naming the limit.  With NAMES NULL,
   only checks that the member exists and holds an array (DL_EPARSE if
   not).  *NAMES is malloc'ed, each name too (dl_string_list_free). */
int dl_answer_name_list(const char *body, size_t len, const char *source, const char *key,
                        size_t max_names, char ***names, size_t *n, dl_error *err) DL_MUST_CHECK;

/* The trace ids of a Tempo search answer. */
typedef struct dl_search_ids {
  uint8_t (*ids)[16]; /* malloc'ed */
  size_t n, cap;
} dl_search_ids;

/* Reads {"traces": [{"traceID": "..."}, ...], ...} (ids may lack
   leading zeros, as Tempo writes them) into OUT, which starts empty; on
   failure OUT is left empty, with DL_EPARSE naming SOURCE, the line,
   column and JSON path.  Free OUT->ids. */
int dl_answer_search_ids(const char *body, size_t len, const char *source, dl_search_ids *out,
                         dl_error *err) DL_MUST_CHECK;

#endif
