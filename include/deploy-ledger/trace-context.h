/* W3C Trace Context Level 2: traceparent, tracestate, HTTP header and
   environment carriers. */
#ifndef DL_TRACECONTEXT_H
#define DL_TRACECONTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "ids.h"

#define DL_TRACEPARENT_SIZE 56          /* 55 characters and a NUL */
#define DL_TRACESTATE_MAX_MEMBERS 32
#define DL_TRACESTATE_MAX_LENGTH 512    /* what we propagate at most */
#define DL_TRACESTATE_KEY_MAX 256
#define DL_TRACESTATE_VALUE_MAX 256

#define DL_FLAG_SAMPLED 0x01
#define DL_FLAG_RANDOM 0x02

/* A span's position in a trace.  A plain value: copy it freely. */
typedef struct dl_trace_context {
  uint8_t trace_id[DL_TRACE_ID_SIZE];
  uint8_t span_id[DL_SPAN_ID_SIZE];
  uint8_t flags;
  char tracestate[DL_TRACESTATE_MAX_LENGTH + 1]; /* formatted, may be "" */
} dl_trace_context;

typedef struct dl_tracestate_member {
  char key[DL_TRACESTATE_KEY_MAX + 1];
  char value[DL_TRACESTATE_VALUE_MAX + 1];
} dl_tracestate_member;

/* A parsed tracestate: members in order, the most recent vendor first. */
typedef struct dl_tracestate {
  int count;
  dl_tracestate_member member[DL_TRACESTATE_MAX_MEMBERS];
} dl_tracestate;

/* Parses a traceparent header value (no surrounding whitespace).  Version
   00 must be exactly 55 characters; a higher version is read by its first
   four fields.  Sets trace id, span id and flags of CTX and clears its
   tracestate. */
int dl_traceparent_parse(const char *text, size_t len, dl_trace_context *ctx,
                         dl_error *err) DL_MUST_CHECK;

/* Builds CTX from its parts, checked as a traceparent would check them:
   TRACE_ID 32 and SPAN_ID 16 lower-case hex digits (NUL-terminated),
   neither all zeros; FLAGS 0 to 255; TRACESTATE a tracestate list (parsed
   and re-formatted, so it is at most 512 characters) or NULL or "" for
   none.  DL_EINVAL, with the bad part named in ERR, otherwise; CTX is
   left as it was. */
int dl_trace_context_from_parts(const char *trace_id, const char *span_id, int flags,
                                const char *tracestate, dl_trace_context *ctx,
                                dl_error *err) DL_MUST_CHECK;

/* Writes the version-00 traceparent of CTX into BUF (DL_TRACEPARENT_SIZE). */
char *dl_traceparent_format(const dl_trace_context *ctx, char *buf);

/* Parses a tracestate list (several headers joined with ',') by the
   current Level 2 grammar: at most 32 members; a key is 1 to 256 of
   a-z 0-9 _ - * / @ beginning with a-z or 0-9; a value 1 to 256 printable
   ASCII characters but ',' and '=', not ending with a space.  On any
   invalid member the whole list is rejected, as the specification asks;
   a repeated key is not invalid: its first occurrence is kept and later
   ones are dropped.  Error messages show the input with control
   characters as '?'. */
int dl_tracestate_parse(const char *text, size_t len, dl_tracestate *ts,
                        dl_error *err) DL_MUST_CHECK;

/* Adds or updates KEY, moving it to the front; drops the last member when
   the list would exceed 32. */
int dl_tracestate_set(dl_tracestate *ts, const char *key, const char *value,
                      dl_error *err) DL_MUST_CHECK;

/* Removes KEY if present; returns 1 if it was there. */
int dl_tracestate_remove(dl_tracestate *ts, const char *key);

/* The value of KEY, borrowed from TS, or NULL. */
const char *dl_tracestate_get(const dl_tracestate *ts, const char *key);

/* Formats TS into BUF (DL_TRACESTATE_MAX_LENGTH + 1 bytes).  Over 512
   characters, members longer than 128 characters are dropped first, then
   members from the end, until it fits.  Returns the length written. */
size_t dl_tracestate_format(const dl_tracestate *ts, char *buf);

/* Validity of a key or value by the tracestate grammar (see
   dl_tracestate_parse). */
int dl_tracestate_key_valid(const char *key, size_t len);
int dl_tracestate_value_valid(const char *value, size_t len);

/* A new root context: random ids, flags sampled and random. */
int dl_trace_context_new_root(dl_trace_context *ctx, dl_error *err) DL_MUST_CHECK;

/* A child of PARENT: same trace id, flags and tracestate, fresh span id.
   Flags this version does not define are cleared. */
int dl_trace_context_child(const dl_trace_context *parent, dl_trace_context *child,
                           dl_error *err) DL_MUST_CHECK;

/* One HTTP header as a service receives it. */
typedef struct dl_header {
  const char *name;
  const char *value;
} dl_header;

/* Extracts the incoming context from N headers: names matched without
   regard to case, values trimmed of spaces and tabs, two traceparent
   headers invalid, tracestate headers joined in order and dropped when
   traceparent is invalid or tracestate is.  Returns DL_OK and fills CTX
   when a valid traceparent was found, DL_ENOTFOUND when there was none,
   DL_EINVAL (with the reason in ERR) when it was invalid. */
int dl_trace_context_extract(const dl_header *headers, size_t n,
                             dl_trace_context *ctx, dl_error *err);

/* As a service continues a trace: a child of the extracted context when it
   is valid, otherwise a fresh root.  Returns nonzero in *CONTINUED when it
   continued the incoming trace. */
int dl_trace_context_continue(const dl_header *headers, size_t n,
                              dl_trace_context *ctx, int *continued,
                              dl_error *err) DL_MUST_CHECK;

/* The CI carrier: TRACEPARENT and TRACESTATE from the environment, with the
   same rules as headers.  DL_ENOTFOUND when TRACEPARENT is unset. */
int dl_trace_context_from_environment(dl_trace_context *ctx, dl_error *err);

#endif
