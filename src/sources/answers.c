/* The small answers of tracing backends -- lists of names, Tempo's
   search results -- read with the streaming JSON scanner: no tree, so
   memory stays the size of the answer, and every limit is checked as
   the answer is read. */
#define _GNU_SOURCE
#include "sources/answers.h"

#include <stdlib.h>
#include <string.h>

#include "deploy-ledger/sources.h"
#include "ingest/json-scanner.h"
#include "ingest/row-builder.h"

void
dl_string_list_free(char **names, size_t n)
{
  if (!names)
    return;
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
}

/* Calls ITEM on each element of the array that is member KEY of the
   JSON object BODY (LEN bytes, named SOURCE in errors), skipping -- while
   validating -- everything else; ITEM NULL skips the array too.  *FOUND
   is set when the member exists and holds an array.  ITEM returns 0, or
   -1 after dl_js_fail.  The status of the first failure, or DL_OK. */
static int
walk_member_array(const char *body, size_t len, const char *source, const char *key,
                  int (*item)(dl_js *, void *), void *ctx, int *found, dl_error *err)
{
  dl_js js;
  dl_js_init(&js, body, len, source, err);
  *found = 0;
  int more = dl_js_peek(&js) == '{'
               ? dl_js_object_begin(&js)
               : dl_js_fail(&js, DL_EPARSE, "not JSON, or not an object: the answer is "
                            "{\"%s\": [...]}", key);
  while (more > 0) {
    dl_str k;
    if (dl_js_key(&js, &k))
      break;
    dl_js_push_key(&js, k);
    if (k.len == strlen(key) && memcmp(k.ptr, key, k.len) == 0) {
      *found = dl_js_peek(&js) == '[';
      if (!item) {
        dl_js_skip(&js);
      } else {
        long i = 0;
        int next = dl_js_array_begin(&js);
        if (next > 0)
          dl_js_push_index(&js, 0);
        while (next > 0) {
          dl_js_set_index(&js, i++);
          if (item(&js, ctx))
            break;
          next = dl_js_array_next(&js);
        }
        if (i > 0 && !js.code)
          dl_js_pop(&js);
      }
    } else {
      dl_js_skip(&js);
    }
    if (js.code)
      break;
    dl_js_pop(&js);
    more = dl_js_object_next(&js);
  }
  if (!js.code && dl_js_peek(&js) != -1)
    dl_js_fail(&js, DL_EPARSE, "more after the answer's object");
  int rc = js.code;
  dl_js_release(&js);
  return rc;
}

/* A list of names being read: at most MAX. */
typedef struct name_list {
  char **names;
  size_t n, cap, max;
} name_list;

static int
name_item(dl_js *js, void *ctx)
{
  name_list *l = ctx;
  dl_str v;
  if (dl_js_string(js, DL_JS_SLOT_VALUE, &v))
    return -1;
  if (l->n == l->max)
    return dl_js_fail(js, DL_ERANGE, "more than %zu names, more than a list of services "
                      "holds (a limit of deploy-ledger)", l->max);
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 64;
    char **grown = realloc(l->names, cap * sizeof *grown);
    if (!grown)
      return dl_js_fail(js, DL_ENOMEM, "out of memory");
    l->names = grown;
    l->cap = cap;
  }
  if (!(l->names[l->n] = strndup(v.ptr, v.len)))
    return dl_js_fail(js, DL_ENOMEM, "out of memory");
  l->n++;
  return 0;
}

int
dl_answer_name_list(const char *body, size_t len, const char *source, const char *key,
                    size_t max_names, char ***names, size_t *n, dl_error *err)
{
  if (names) {
    *names = NULL;
    *n = 0;
  }
  name_list l = {NULL, 0, 0, max_names};
  int found;
  int rc = walk_member_array(body, len, source, key, names ? name_item : NULL, &l, &found, err);
  if (!rc && !found)
    rc = dl_fail(err, DL_EPARSE, "%s: no \"%s\" list in the answer", source, key);
  if (rc || !names) {
    dl_string_list_free(l.names, l.n);
    return rc;
  }
  *names = l.names;
  *n = l.n;
  return DL_OK;
}

/* One element of "traces": its "traceID" (Tempo drops leading zeros). */
static int
search_trace(dl_js *js, void *ctx)
{
  dl_search_ids *out = ctx;
  int have = 0;
  int more = dl_js_object_begin(js);
  while (more > 0) {
    dl_str k;
    if (dl_js_key(js, &k))
      return -1;
    dl_js_push_key(js, k);
    if (k.len == 7 && memcmp(k.ptr, "traceID", 7) == 0) {
      dl_str v;
      if (dl_js_string(js, DL_JS_SLOT_VALUE, &v))
        return -1;
      if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 64;
        uint8_t(*grown)[16] = realloc(out->ids, cap * 16);
        if (!grown)
          return dl_js_fail(js, DL_ENOMEM, "out of memory");
        out->ids = grown;
        out->cap = cap;
      }
      if (dl_id_from_text(v.ptr, v.len, out->ids[out->n], 16, 1))
        return dl_js_fail(js, DL_EPARSE, "not a trace id");
      have = 1;
    } else if (dl_js_skip(js)) {
      return -1;
    }
    dl_js_pop(js);
    more = dl_js_object_next(js);
  }
  if (more < 0)
    return -1;
  if (!have)
    return dl_js_fail(js, DL_EPARSE, "a trace without a traceID");
  out->n++;
  return 0;
}

int
dl_answer_search_ids(const char *body, size_t len, const char *source, dl_search_ids *out,
                     dl_error *err)
{
  int found;
  int rc = walk_member_array(body, len, source, "traces", search_trace, out, &found, err);
  if (rc) {
    free(out->ids);
    out->ids = NULL;
    out->n = 0;
  }
  return rc;
}
