/* A strict, streaming JSON scanner over a buffer (internal).
 *
 * Built for decoding OTLP JSON straight into the trace set without a
 * document tree: the caller walks the document with these functions,
 * reading the members it knows and skipping (while fully validating) the
 * rest.  Strings come back as slices of the input when they hold no
 * escapes, else decoded into one of a few scratch buffers.  Everything
 * RFC 8259 requires is checked: UTF-8 (no overlongs, no surrogates),
 * escapes, control characters, number syntax; nesting is limited.
 *
 * Errors record the JSON path of the value being read (kept by the
 * caller with dl_js_push_key / dl_js_push_index) and the line and column,
 * computed only when an error happens. */
#ifndef DL_JSON_H
#define DL_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "deploy-ledger/error.h"
#include "deploy-ledger/trace-set.h"

#define DL_JS_MAX_DEPTH 128
#define DL_JS_PATH_MAX 32

/* Scratch slots for strings with escapes: one per role, so that a key
   and a value can be held at once. */
enum { DL_JS_SLOT_KEY = 0, DL_JS_SLOT_NAME = 1, DL_JS_SLOT_VALUE = 2, DL_JS_SLOTS = 3 };

typedef struct dl_js_frame {
  const char *key; /* NULL for an array index */
  size_t key_len;
  long index;
} dl_js_frame;

typedef struct dl_js {
  const uint8_t *base, *p, *end;
  const char *source;
  dl_error *err;
  int code;    /* status of the first failure, 0 while all is well */
  int depth;
  int path_len;
  dl_js_frame path[DL_JS_PATH_MAX];
  char *scratch[DL_JS_SLOTS];
  size_t scratch_cap[DL_JS_SLOTS];
} dl_js;

void dl_js_init(dl_js *js, const void *data, size_t len, const char *source, dl_error *err);
void dl_js_release(dl_js *js);

/* Records a failure at the current position (the first one wins) and
   returns -1.  The message is prefixed with the JSON path. */
int dl_js_fail(dl_js *js, int code, const char *fmt, ...) DL_PRINTF(3, 4);

/* Formats the current JSON path ("$.a[3].b") into BUF. */
void dl_js_path_text(const dl_js *js, char *buf, size_t size);

/* Line (from 1) and column (from 1) of byte offset OFF. */
void dl_js_line_column(const dl_js *js, size_t off, long *line, long *column);

static inline void
dl_js_ws(dl_js *js)
{
  const uint8_t *p = js->p, *end = js->end;
  while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
    p++;
  js->p = p;
}

/* Next non-space byte, or -1 at the end; does not consume it. */
static inline int
dl_js_peek(dl_js *js)
{
  dl_js_ws(js);
  return js->p < js->end ? *js->p : -1;
}

/* Consumes C (after spaces) or fails. */
int dl_js_expect(dl_js *js, int c);

/* Reads a string into OUT (a slice of the input or of scratch SLOT). */
int dl_js_string(dl_js *js, int slot, dl_str *out);

/* Object and array walking.  dl_js_object_begin consumes '{' and returns
   1 if there is a first member, 0 for {}; dl_js_object_next reads the
   separator after a member and returns 1 if another member follows, 0 at
   '}'.  dl_js_key reads a member name and the ':'.  Arrays likewise;
   null is accepted wherever an object or array is expected (as empty)
   by the _begin functions, which then return 0. */
int dl_js_object_begin(dl_js *js);
int dl_js_object_next(dl_js *js);
int dl_js_key(dl_js *js, dl_str *key);
int dl_js_array_begin(dl_js *js);
int dl_js_array_next(dl_js *js);

/* Skips one value of any type, validating it. */
int dl_js_skip(dl_js *js);

/* An integer given as a JSON number or a string of digits (the protobuf
   JSON mapping of 64-bit integers).  Fractions and exponents fail. */
int dl_js_int64(dl_js *js, int64_t *out);
int dl_js_uint64(dl_js *js, uint64_t *out);

/* A number (or "NaN", "Infinity", "-Infinity" as strings). */
int dl_js_double(dl_js *js, double *out);

/* true or false. */
int dl_js_bool(dl_js *js, int *out);

/* Consumes null if it is next; returns 1 if it did. */
int dl_js_null(dl_js *js);

/* Byte offset of the value at PATH (N frames) in the first document of
   DATA, or -1: places an error found after a tree parse. */
long dl_js_locate(const void *data, size_t len, const dl_js_frame *path, int n);

/* Locale-independent strtod on LEN bytes. */
int dl_parse_double(const char *s, size_t len, double *out);

/* The path stack: push before reading a member's value, pop after.  A
   pushed key must stay valid while it is on the stack: decoders push the
   literal names they matched, or a key just read before skipping. */
static inline void
dl_js_push_key(dl_js *js, dl_str key)
{
  if (js->path_len < DL_JS_PATH_MAX) {
    js->path[js->path_len].key = key.ptr;
    js->path[js->path_len].key_len = key.len;
    js->path[js->path_len].index = -1;
  }
  js->path_len++;
}

static inline void
dl_js_push_index(dl_js *js, long i)
{
  if (js->path_len < DL_JS_PATH_MAX) {
    js->path[js->path_len].key = NULL;
    js->path[js->path_len].index = i;
  }
  js->path_len++;
}

static inline void
dl_js_set_index(dl_js *js, long i)
{
  if (js->path_len > 0 && js->path_len <= DL_JS_PATH_MAX)
    js->path[js->path_len - 1].index = i;
}

static inline void
dl_js_pop(dl_js *js)
{
  js->path_len--;
}

#endif
