/* The OTLP span model: resource, scope, spans with attributes of every
 * AnyValue kind, events, links and status, as an ExportTraceServiceRequest.
 *
 * Everything is borrowed: the caller owns the strings and arrays (an arena,
 * see dl-arena.h, is the easy way), and the encoders only read them. */
#ifndef DL_SPAN_H
#define DL_SPAN_H

#include <stddef.h>
#include <stdint.h>

#include "ids.h"
#include "str.h"

typedef enum dl_value_kind {
  DL_VALUE_EMPTY,  /* an AnyValue with nothing set */
  DL_VALUE_STRING,
  DL_VALUE_BOOL,
  DL_VALUE_INT,
  DL_VALUE_DOUBLE,
  DL_VALUE_ARRAY,
  DL_VALUE_KVLIST,
  DL_VALUE_BYTES
} dl_value_kind;

typedef struct dl_kv dl_kv;
typedef struct dl_value dl_value;

struct dl_value {
  dl_value_kind kind;
  union {
    dl_str str;         /* STRING and BYTES */
    int boolean;
    int64_t integer;
    double real;
    struct {
      const dl_value *items;
      size_t n;
    } array;
    struct {
      const dl_kv *items;
      size_t n;
    } kvlist;
  } u;
};

struct dl_kv {
  dl_str key;
  dl_value value;
};

typedef struct dl_span_event {
  int64_t time;
  dl_str name;
  const dl_kv *attrs;
  size_t n_attrs;
  uint32_t dropped_attrs;
} dl_span_event;

typedef struct dl_span_link {
  uint8_t trace_id[DL_TRACE_ID_SIZE];
  uint8_t span_id[DL_SPAN_ID_SIZE];
  dl_str trace_state;
  const dl_kv *attrs;
  size_t n_attrs;
  uint32_t dropped_attrs;
  uint32_t flags;
} dl_span_link;

enum { DL_STATUS_CODE_UNSET = 0, DL_STATUS_CODE_OK = 1, DL_STATUS_CODE_ERROR = 2 };

typedef struct dl_span {
  uint8_t trace_id[DL_TRACE_ID_SIZE];
  uint8_t span_id[DL_SPAN_ID_SIZE];
  uint8_t parent_span_id[DL_SPAN_ID_SIZE];
  int has_parent;
  dl_str trace_state;
  uint32_t flags;
  dl_str name;
  int kind;                 /* DL_KIND_* of dl-traceset.h: 0..5 */
  int64_t start, end;       /* ns since the epoch */
  const dl_kv *attrs;
  size_t n_attrs;
  uint32_t dropped_attrs;
  const dl_span_event *events;
  size_t n_events;
  uint32_t dropped_events;
  const dl_span_link *links;
  size_t n_links;
  uint32_t dropped_links;
  int has_status;
  int status_code;          /* DL_STATUS_CODE_* */
  dl_str status_message;
} dl_span;

typedef struct dl_scope_spans {
  int has_scope;
  dl_str scope_name;
  dl_str scope_version;
  const dl_kv *scope_attrs;
  size_t n_scope_attrs;
  uint32_t scope_dropped_attrs;
  const dl_span *spans;
  size_t n_spans;
  dl_str schema_url;
} dl_scope_spans;

typedef struct dl_resource_spans {
  int has_resource;
  const dl_kv *resource_attrs;
  size_t n_resource_attrs;
  uint32_t resource_dropped_attrs;
  const dl_scope_spans *scopes;
  size_t n_scopes;
  dl_str schema_url;
} dl_resource_spans;

typedef struct dl_export_request {
  const dl_resource_spans *resources;
  size_t n_resources;
} dl_export_request;

/* Number of spans in REQ. */
size_t dl_export_request_span_count(const dl_export_request *req);

/* Values, for building attribute lists. */
static inline dl_value dl_value_string(const char *s)
{
  dl_value v = {.kind = DL_VALUE_STRING};
  v.u.str = dl_str_of(s);
  return v;
}
static inline dl_value dl_value_int(int64_t i)
{
  dl_value v = {.kind = DL_VALUE_INT};
  v.u.integer = i;
  return v;
}
static inline dl_value dl_value_bool(int b)
{
  dl_value v = {.kind = DL_VALUE_BOOL};
  v.u.boolean = b;
  return v;
}
static inline dl_value dl_value_double(double d)
{
  dl_value v = {.kind = DL_VALUE_DOUBLE};
  v.u.real = d;
  return v;
}

#endif
