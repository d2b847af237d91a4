/* The trace set: a columnar, in-memory store of spans.
 *
 * One row per span; each column is a plain array so that correlation can
 * scan it without copying.  Strings (service, operation, version, region,
 * environment, attribute values) are interned: a column holds a 32-bit
 * string id, 0 meaning "absent".  A selection is a list of row numbers: a
 * filter returns one without touching the data.
 *
 * Ownership: a set owns its columns and strings; pointers returned by
 * dl_trace_set_columns and dl_trace_set_string are borrowed and stay valid
 * until the set is changed or freed.  (Interned strings in fact never
 * move: a string pointer stays valid until the set is freed.)
 *
 * Storage (why some columns are computed): to stay within 64 bytes per
 * span, a row stores ONE "origin" id for the tuple (service, version,
 * region, environment) -- a second level of interning, since a service
 * instance repeats the same four strings on every span.  Resident cost of
 * a row: trace id 16 + span id 8 + parent 8 + start 8 + duration 8 +
 * origin 4 + operation 4 + error_type 4 + kind 1 + flags 1 = 62 bytes,
 * plus 4 per kept attribute.  The per-field columns service, version,
 * region and environment of dl_span_columns are materialised on the first
 * call of dl_trace_set_columns (16 more bytes per row from then on, kept
 * and extended incrementally); code that scans many rows should prefer
 * the `origin' column and dl_trace_set_origin_fields, which cost nothing.
 * Filters use the origin column and never materialise.
 *
 * Threads: a set is not synchronised.  Concurrent readers are safe only
 * once dl_trace_set_columns has been called after the last change (it
 * fills the cached columns). */
#ifndef DL_TRACESET_H
#define DL_TRACESET_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "ids.h"
#include "str.h"

/* OTLP span kinds (the numbers of the OTLP enum). */
enum {
  DL_KIND_UNSPECIFIED = 0,
  DL_KIND_INTERNAL = 1,
  DL_KIND_SERVER = 2,
  DL_KIND_CLIENT = 3,
  DL_KIND_PRODUCER = 4,
  DL_KIND_CONSUMER = 5,
  DL_KIND_COUNT = 6
};

/* The name of span kind KIND: "unspecified", "internal", "server",
   "client", "producer" or "consumer" (static storage), or NULL when KIND
   is not a DL_KIND_*.  The one table of these names (span-kind.c): the
   decoders, the Guile glue and every Scheme procedure use it. */
const char *dl_span_kind_name(int kind);

/* Parses the span kind NAME (LEN bytes, ASCII case ignored, as Jaeger's
   span.kind tags come in either case) into *KIND.  Any other name is
   DL_EINVAL, with a message in ERR (which may be NULL) that lists the
   valid ones. */
int dl_span_kind_parse(const char *name, size_t len, int *kind, dl_error *err) DL_MUST_CHECK;

/* Bits of the flags column. */
#define DL_ROW_ERROR 0x01      /* status ERROR, or a SERVER span with HTTP >= 500 */
#define DL_ROW_HAS_PARENT 0x02 /* parent_id is meaningful */

typedef struct dl_trace_set dl_trace_set;

/* A span as a decoder hands it to the store.  Strings need not be
   NUL-terminated; a NULL pointer (or length 0) means absent.  Extra
   attributes are kept only for keys registered with dl_trace_set_keep. */
typedef struct dl_span_attr {
  dl_str key;
  dl_str value; /* the value as text (ints in decimal, bools as true/false) */
} dl_span_attr;

typedef struct dl_span_row {
  uint8_t trace_id[DL_TRACE_ID_SIZE];
  uint8_t span_id[DL_SPAN_ID_SIZE];
  uint8_t parent_id[DL_SPAN_ID_SIZE]; /* all zero: a root span */
  int64_t start;                      /* ns since the epoch */
  int64_t duration;                   /* ns */
  uint8_t kind;                       /* DL_KIND_* */
  uint8_t error;                      /* nonzero: see DL_ROW_ERROR */
  dl_str service;                     /* resource service.name */
  dl_str operation;                   /* span name */
  dl_str version;                     /* service.version */
  dl_str region;                      /* cloud.region */
  dl_str environment;                 /* deployment.environment(.name) */
  dl_str error_type;                  /* exception.type, status message or "HTTP 503 /route" */
  const dl_span_attr *attrs;          /* other attributes, for kept keys */
  size_t n_attrs;
} dl_span_row;

/* Read-only view of the columns, each `count' long. */
typedef struct dl_span_columns {
  size_t count;
  const uint8_t (*trace_id)[DL_TRACE_ID_SIZE];
  const uint8_t (*span_id)[DL_SPAN_ID_SIZE];
  const uint8_t (*parent_id)[DL_SPAN_ID_SIZE];
  const int64_t *start;
  const int64_t *duration;
  const uint32_t *service;     /* string ids */
  const uint32_t *operation;
  const uint32_t *version;
  const uint32_t *region;
  const uint32_t *environment;
  const uint32_t *error_type;
  const uint8_t *kind;
  const uint8_t *flags;        /* DL_ROW_* bits */
  /* Extension: the packed origin id per row (see the top of this file);
     dl_trace_set_origin_fields maps it to the four string ids.  The
     four per-field arrays above are NULL if memory ran out while
     materialising them; `origin' is always there. */
  const uint32_t *origin;
} dl_span_columns;

/* A list of row numbers, ascending.  Owned by the caller. */
typedef struct dl_selection {
  uint32_t *rows;
  size_t count;
} dl_selection;

dl_trace_set *dl_trace_set_new(void);
void dl_trace_set_free(dl_trace_set *set);

size_t dl_trace_set_count(const dl_trace_set *set);

/* Keep attribute KEY (e.g. "http.route") as a column for grouping; must be
   called before rows are appended to be filled for them. */
int dl_trace_set_keep(dl_trace_set *set, const char *key, dl_error *err) DL_MUST_CHECK;

/* The string id of the kept attribute column KEY for each row, or NULL
   when KEY is not kept. */
const uint32_t *dl_trace_set_attribute_column(const dl_trace_set *set, const char *key);

/* Appends one span. */
int dl_trace_set_append(dl_trace_set *set, const dl_span_row *row, dl_error *err) DL_MUST_CHECK;

/* Interns a string; returns its id (never 0), or 0 when out of memory. */
uint32_t dl_trace_set_intern(dl_trace_set *set, const char *s, size_t len);

/* The id of S if interned, else 0. */
uint32_t dl_trace_set_lookup(const dl_trace_set *set, const char *s, size_t len);

/* The string of ID (borrowed, NUL-terminated), or NULL for 0. */
const char *dl_trace_set_string(const dl_trace_set *set, uint32_t id);

void dl_trace_set_columns(const dl_trace_set *set, dl_span_columns *out);

/* Appends every row of SRC to DST (strings re-interned). */
int dl_trace_set_merge(dl_trace_set *dst, const dl_trace_set *src, dl_error *err) DL_MUST_CHECK;

/* Earliest start and latest end; DL_ENOTFOUND for an empty set. */
int dl_trace_set_time_range(const dl_trace_set *set, int64_t *first, int64_t *last);

/* A filter: each field 0/absent means "any". */
typedef struct dl_filter {
  int64_t start_min;      /* rows with start >= start_min (when has_start_min) */
  int64_t start_max;      /* rows with start <  start_max (when has_start_max) */
  int has_start_min, has_start_max;
  const char *service;
  const char *operation;
  int kind;               /* -1: any */
  const char *attr_key;   /* a kept attribute, or one of "service.version",
                             "cloud.region", "deployment.environment.name" */
  const char *attr_value;
} dl_filter;

/* The origin field (DL_FIELD_SERVICE, _VERSION, _REGION or _ENVIRONMENT)
   that the resource attribute KEY fills: "service.name",
   "service.version", "cloud.region", "deployment.environment.name" or
   its older name "deployment.environment"; -1 for any other key.  Filters
   and group-by read these from a span's origin, not from a kept column. */
int dl_trace_set_field_of_key(const char *key);

/* Initialises F to match everything. */
void dl_filter_init(dl_filter *f);

/* Rows of SET (or of IN, when not NULL) matching F, into OUT. */
int dl_trace_set_filter(const dl_trace_set *set, const dl_selection *in, const dl_filter *f,
                        dl_selection *out, dl_error *err) DL_MUST_CHECK;

void dl_selection_free(dl_selection *sel);

/* ---- Extensions (ingest): bulk loading, origins, kept keys, distinct ---- */

/* Fields of the origin tuple, for dl_trace_set_origin_fields and
   dl_trace_set_distinct. */
enum {
  DL_FIELD_SERVICE = 0,
  DL_FIELD_VERSION = 1,
  DL_FIELD_REGION = 2,
  DL_FIELD_ENVIRONMENT = 3,
  DL_FIELD_OPERATION = 4,
  DL_FIELD_ERROR_TYPE = 5
};

/* The string ids (service, version, region, environment), indexed by
   DL_FIELD_*, of origin ORIGIN; all 0 for origin 0 or an unknown id. */
void dl_trace_set_origin_fields(const dl_trace_set *set, uint32_t origin, uint32_t out[4]);

/* Number of distinct origins (ids run from 0 to this minus one). */
uint32_t dl_trace_set_origin_count(const dl_trace_set *set);

/* The origin id of four string ids (interning the tuple), 0 on OOM when
   any is nonzero.  Decoders intern a resource once and reuse the id. */
uint32_t dl_trace_set_intern_origin(dl_trace_set *set, uint32_t service, uint32_t version,
                                    uint32_t region, uint32_t environment);

/* A row with its strings already interned in the set; the fast path of
   the decoders.  `kept' holds dl_trace_set_kept_count values (string ids,
   in the order keys were kept) or is NULL for none. */
typedef struct dl_span_ids {
  uint8_t trace_id[DL_TRACE_ID_SIZE];
  uint8_t span_id[DL_SPAN_ID_SIZE];
  uint8_t parent_id[DL_SPAN_ID_SIZE];
  int64_t start;
  int64_t duration;
  uint8_t kind;
  uint8_t error;
  uint32_t origin;
  uint32_t operation;
  uint32_t error_type;
  const uint32_t *kept;
} dl_span_ids;

int dl_trace_set_append_ids(dl_trace_set *set, const dl_span_ids *row, dl_error *err) DL_MUST_CHECK;

/* Makes room for N more rows (one allocation instead of several). */
int dl_trace_set_reserve(dl_trace_set *set, size_t n, dl_error *err) DL_MUST_CHECK;

/* Kept attribute keys: how many, the I-th key (borrowed), its column
   (NULL for an empty set), and the index of KEY (-1 when not kept). */
size_t dl_trace_set_kept_count(const dl_trace_set *set);
const char *dl_trace_set_kept_key(const dl_trace_set *set, size_t i);
const uint32_t *dl_trace_set_kept_column(const dl_trace_set *set, size_t i);
int dl_trace_set_kept_index(const dl_trace_set *set, const char *key, size_t len);

/* Length in bytes of string ID (0 for 0). */
size_t dl_trace_set_string_length(const dl_trace_set *set, uint32_t id);

/* The distinct string ids of FIELD (DL_FIELD_*) over SET (or the rows of
   IN), ascending by id, without 0; *IDS is malloc'ed (free it). */
int dl_trace_set_distinct(const dl_trace_set *set, const dl_selection *in, int field,
                          uint32_t **ids, size_t *n, dl_error *err) DL_MUST_CHECK;

/* Appends the rows of SRC listed in SEL to DST (strings re-interned). */
int dl_trace_set_merge_rows(dl_trace_set *dst, const dl_trace_set *src, const dl_selection *sel,
                            dl_error *err) DL_MUST_CHECK;

/* Earliest start and latest end over the rows of SEL (all rows when SEL
   is NULL); DL_ENOTFOUND when there are none. */
int dl_trace_set_time_range_of(const dl_trace_set *set, const dl_selection *sel, int64_t *first,
                               int64_t *last);

/* Removes rows from N on (undoing a failed load); strings stay interned. */
void dl_trace_set_truncate(dl_trace_set *set, size_t n);

/* Bytes allocated for the set (capacity, strings, tables). */
size_t dl_trace_set_memory(const dl_trace_set *set);

#endif
