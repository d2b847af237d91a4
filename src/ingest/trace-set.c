/* The trace set: columns of spans, interned strings, origins, filters. */
#include "deploy-ledger/trace-set.h"

#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "util/intern.h"

/* Attribute columns kept for grouping; a handful in practice. */
#define MAX_KEPT 64
#define FIRST_CAPACITY 1024

typedef struct kept_column {
  uint32_t key;  /* string id of the key */
  uint32_t *ids; /* per row: string id of the value, 0 absent */
} kept_column;

struct dl_trace_set {
  size_t count, cap;
  uint8_t (*trace_id)[DL_TRACE_ID_SIZE];
  uint8_t (*span_id)[DL_SPAN_ID_SIZE];
  uint8_t (*parent_id)[DL_SPAN_ID_SIZE];
  int64_t *start, *duration;
  uint32_t *origin, *operation, *error_type;
  uint8_t *kind, *flags;
  kept_column kept[MAX_KEPT];
  size_t n_kept;

  dl_intern strings;

  /* Origins: id -> (service, version, region, environment); 0 is all
     absent, and the only id not in the index. */
  uint32_t (*origins)[4];
  uint32_t n_origins, cap_origins;
  dl_hash origin_index;
  uint32_t last_fields[4], last_origin; /* one-entry cache */

  int has_range;
  int64_t first, last;

  /* Per-field columns materialised by dl_trace_set_columns. */
  uint32_t *field[4];
  size_t field_count, field_cap;
};

dl_trace_set *
dl_trace_set_new(void)
{
  dl_trace_set *set = calloc(1, sizeof *set);
  if (!set)
    return NULL;
  dl_intern_init(&set->strings);
  set->origins = calloc(16, sizeof *set->origins);
  if (!set->origins) {
    free(set);
    return NULL;
  }
  set->cap_origins = 16;
  set->n_origins = 1;
  return set;
}

static void
free_fields(dl_trace_set *set)
{
  for (int i = 0; i < 4; i++) {
    free(set->field[i]);
    set->field[i] = NULL;
  }
  set->field_count = set->field_cap = 0;
}

void
dl_trace_set_free(dl_trace_set *set)
{
  if (!set)
    return;
  free(set->trace_id);
  free(set->span_id);
  free(set->parent_id);
  free(set->start);
  free(set->duration);
  free(set->origin);
  free(set->operation);
  free(set->error_type);
  free(set->kind);
  free(set->flags);
  for (size_t i = 0; i < set->n_kept; i++)
    free(set->kept[i].ids);
  dl_intern_free(&set->strings);
  free(set->origins);
  dl_hash_free(&set->origin_index);
  free_fields(set);
  free(set);
}

size_t
dl_trace_set_count(const dl_trace_set *set)
{
  return set ? set->count : 0;
}

/* Grows one column to CAP elements of SIZE bytes. */
static int
grow_column(void *pp, size_t cap, size_t size)
{
  void **p = pp;
  void *q = realloc(*p, cap * size);
  if (!q)
    return -1;
  *p = q;
  return 0;
}

/* Grows every column to hold NEED rows: by doubling, or to exactly NEED
   when EXACT (a reservation for a known number of rows). */
static int
grow(dl_trace_set *set, size_t need, int exact, dl_error *err)
{
  if (need <= set->cap)
    return DL_OK;
  /* Row numbers are 32-bit in selections. */
  if (need > UINT32_MAX)
    return dl_fail(err, DL_ERANGE, "trace set full: more than %u spans", UINT32_MAX);
  size_t cap = set->cap ? set->cap : FIRST_CAPACITY;
  while (cap < need)
    cap *= 2;
  if (exact)
    cap = need;
  if (cap > UINT32_MAX)
    cap = UINT32_MAX;
  if (grow_column(&set->trace_id, cap, DL_TRACE_ID_SIZE) ||
      grow_column(&set->span_id, cap, DL_SPAN_ID_SIZE) ||
      grow_column(&set->parent_id, cap, DL_SPAN_ID_SIZE) ||
      grow_column(&set->start, cap, sizeof(int64_t)) ||
      grow_column(&set->duration, cap, sizeof(int64_t)) ||
      grow_column(&set->origin, cap, sizeof(uint32_t)) ||
      grow_column(&set->operation, cap, sizeof(uint32_t)) ||
      grow_column(&set->error_type, cap, sizeof(uint32_t)) ||
      grow_column(&set->kind, cap, 1) || grow_column(&set->flags, cap, 1))
    return dl_fail(err, DL_ENOMEM, "out of memory growing the trace set to %zu spans", cap);
  for (size_t i = 0; i < set->n_kept; i++)
    if (grow_column(&set->kept[i].ids, cap, sizeof(uint32_t)))
      return dl_fail(err, DL_ENOMEM, "out of memory growing the trace set to %zu spans", cap);
  set->cap = cap;
  return DL_OK;
}

int
dl_trace_set_reserve(dl_trace_set *set, size_t n, dl_error *err)
{
  if (n > SIZE_MAX - set->count)
    return dl_fail(err, DL_ERANGE, "trace set full");
  return grow(set, set->count + n, 1, err);
}

uint32_t
dl_trace_set_intern(dl_trace_set *set, const char *s, size_t len)
{
  return dl_intern_add(&set->strings, s ? s : "", s ? len : 0);
}

uint32_t
dl_trace_set_lookup(const dl_trace_set *set, const char *s, size_t len)
{
  return dl_intern_find(&set->strings, s ? s : "", s ? len : 0);
}

const char *
dl_trace_set_string(const dl_trace_set *set, uint32_t id)
{
  return dl_intern_str(&set->strings, id);
}

size_t
dl_trace_set_string_length(const dl_trace_set *set, uint32_t id)
{
  return dl_intern_len(&set->strings, id);
}

/* ---- kept attributes ---- */

int
dl_trace_set_kept_index(const dl_trace_set *set, const char *key, size_t len)
{
  uint32_t id = dl_intern_find(&set->strings, key, len);
  if (!id)
    return -1;
  for (size_t i = 0; i < set->n_kept; i++)
    if (set->kept[i].key == id)
      return (int) i;
  return -1;
}

int
dl_trace_set_keep(dl_trace_set *set, const char *key, dl_error *err)
{
  if (!key || !*key)
    return dl_fail(err, DL_EINVAL, "an attribute key to keep must not be empty");
  if (dl_trace_set_kept_index(set, key, strlen(key)) >= 0)
    return DL_OK;
  if (set->n_kept == MAX_KEPT)
    return dl_fail(err, DL_ERANGE, "cannot keep attribute \"%.100s\": at most %d are kept", key,
                   MAX_KEPT);
  uint32_t id = dl_intern_add(&set->strings, key, strlen(key));
  if (!id)
    return dl_fail(err, DL_ENOMEM, "out of memory keeping attribute \"%.100s\"", key);
  uint32_t *ids = NULL;
  if (set->cap) {
    ids = calloc(set->cap, sizeof *ids);
    if (!ids)
      return dl_fail(err, DL_ENOMEM, "out of memory keeping attribute \"%.100s\"", key);
  }
  set->kept[set->n_kept].key = id;
  set->kept[set->n_kept].ids = ids;
  set->n_kept++;
  return DL_OK;
}

size_t
dl_trace_set_kept_count(const dl_trace_set *set)
{
  return set->n_kept;
}

const char *
dl_trace_set_kept_key(const dl_trace_set *set, size_t i)
{
  return i < set->n_kept ? dl_intern_str(&set->strings, set->kept[i].key) : NULL;
}

const uint32_t *
dl_trace_set_kept_column(const dl_trace_set *set, size_t i)
{
  return i < set->n_kept ? set->kept[i].ids : NULL;
}

const uint32_t *
dl_trace_set_attribute_column(const dl_trace_set *set, const char *key)
{
  if (!key)
    return NULL;
  int i = dl_trace_set_kept_index(set, key, strlen(key));
  return i < 0 ? NULL : set->kept[i].ids;
}

/* ---- origins ---- */

uint32_t
dl_trace_set_intern_origin(dl_trace_set *set, uint32_t service, uint32_t version,
                           uint32_t region, uint32_t environment)
{
  uint32_t f[4] = {service, version, region, environment};
  if (!(service | version | region | environment))
    return 0;
  if (set->last_origin && memcmp(f, set->last_fields, sizeof f) == 0)
    return set->last_origin;
  uint32_t h = dl_hash_u32s(f, 4);
  dl_hash_probe pr = dl_hash_probe_begin(&set->origin_index, h);
  uint32_t id;
  while ((id = dl_hash_probe_next(&pr)) != DL_HASH_NONE)
    if (memcmp(set->origins[id], f, sizeof f) == 0)
      break;
  if (id == DL_HASH_NONE) {
    if (set->n_origins == set->cap_origins) {
      if (set->cap_origins > UINT32_MAX / 2)
        return 0;
      uint32_t cap = set->cap_origins * 2;
      void *p = realloc(set->origins, (size_t) cap * sizeof *set->origins);
      if (!p)
        return 0;
      set->origins = p;
      set->cap_origins = cap;
    }
    id = set->n_origins;
    if (dl_hash_add(&set->origin_index, h, id))
      return 0;
    memcpy(set->origins[id], f, sizeof f);
    set->n_origins++;
  }
  memcpy(set->last_fields, f, sizeof f);
  set->last_origin = id;
  return id;
}

void
dl_trace_set_origin_fields(const dl_trace_set *set, uint32_t origin, uint32_t out[4])
{
  if (origin < set->n_origins)
    memcpy(out, set->origins[origin], 4 * sizeof *out);
  else
    memset(out, 0, 4 * sizeof *out);
}

uint32_t
dl_trace_set_origin_count(const dl_trace_set *set)
{
  return set->n_origins;
}

/* ---- appending ---- */

static int64_t
saturating_end(int64_t start, int64_t duration)
{
  if (duration > 0 && start > INT64_MAX - duration)
    return INT64_MAX;
  if (duration < 0 && start < INT64_MIN - duration)
    return INT64_MIN;
  return start + duration;
}

static void
note_range(dl_trace_set *set, int64_t start, int64_t duration)
{
  int64_t end = saturating_end(start, duration);
  if (end < start)
    end = start;
  if (!set->has_range) {
    set->first = start;
    set->last = end;
    set->has_range = 1;
    return;
  }
  if (start < set->first)
    set->first = start;
  if (end > set->last)
    set->last = end;
}

int
dl_trace_set_append_ids(dl_trace_set *set, const dl_span_ids *row, dl_error *err)
{
  uint32_t n_strings = set->strings.count;
  if (row->origin >= set->n_origins || (row->operation && row->operation >= n_strings) ||
      (row->error_type && row->error_type >= n_strings))
    return dl_fail(err, DL_EINVAL, "span row refers to a string or origin not in this set");
  if (set->count == set->cap) {
    int rc = grow(set, set->count + 1, 0, err);
    if (rc)
      return rc;
  }
  size_t r = set->count;
  memcpy(set->trace_id[r], row->trace_id, DL_TRACE_ID_SIZE);
  memcpy(set->span_id[r], row->span_id, DL_SPAN_ID_SIZE);
  memcpy(set->parent_id[r], row->parent_id, DL_SPAN_ID_SIZE);
  set->start[r] = row->start;
  set->duration[r] = row->duration;
  set->origin[r] = row->origin;
  set->operation[r] = row->operation;
  set->error_type[r] = row->error_type;
  set->kind[r] = row->kind;
  uint8_t flags = row->error ? DL_ROW_ERROR : 0;
  if (!dl_id_is_zero(row->parent_id, DL_SPAN_ID_SIZE))
    flags |= DL_ROW_HAS_PARENT;
  set->flags[r] = flags;
  for (size_t i = 0; i < set->n_kept; i++) {
    uint32_t v = row->kept ? row->kept[i] : 0;
    set->kept[i].ids[r] = v < n_strings ? v : 0;
  }
  note_range(set, row->start, row->duration);
  set->count = r + 1;
  return DL_OK;
}

/* Interns an optional string: absent (NULL or empty) is 0. */
static int
intern_opt(dl_trace_set *set, dl_str s, uint32_t *id)
{
  if (!s.ptr || !s.len) {
    *id = 0;
    return 0;
  }
  *id = dl_intern_add(&set->strings, s.ptr, s.len);
  return *id ? 0 : -1;
}

int
dl_trace_set_append(dl_trace_set *set, const dl_span_row *row, dl_error *err)
{
  uint32_t f[4], kept[MAX_KEPT];
  dl_span_ids ids;
  memset(kept, 0, sizeof kept);
  if (intern_opt(set, row->service, &f[DL_FIELD_SERVICE]) ||
      intern_opt(set, row->version, &f[DL_FIELD_VERSION]) ||
      intern_opt(set, row->region, &f[DL_FIELD_REGION]) ||
      intern_opt(set, row->environment, &f[DL_FIELD_ENVIRONMENT]) ||
      intern_opt(set, row->operation, &ids.operation) ||
      intern_opt(set, row->error_type, &ids.error_type))
    return dl_fail(err, DL_ENOMEM, "out of memory interning span strings");
  ids.origin = dl_trace_set_intern_origin(set, f[0], f[1], f[2], f[3]);
  if (!ids.origin && (f[0] | f[1] | f[2] | f[3]))
    return dl_fail(err, DL_ENOMEM, "out of memory interning a span origin");
  if (set->n_kept) {
    for (size_t a = 0; a < row->n_attrs; a++) {
      const dl_span_attr *at = &row->attrs[a];
      if (!at->key.ptr)
        continue;
      int k = dl_trace_set_kept_index(set, at->key.ptr, at->key.len);
      if (k >= 0 && intern_opt(set, at->value, &kept[k]))
        return dl_fail(err, DL_ENOMEM, "out of memory interning span attributes");
    }
  }
  memcpy(ids.trace_id, row->trace_id, DL_TRACE_ID_SIZE);
  memcpy(ids.span_id, row->span_id, DL_SPAN_ID_SIZE);
  memcpy(ids.parent_id, row->parent_id, DL_SPAN_ID_SIZE);
  ids.start = row->start;
  ids.duration = row->duration;
  ids.kind = row->kind;
  ids.error = row->error;
  ids.kept = kept;
  return dl_trace_set_append_ids(set, &ids, err);
}

/* ---- reading ---- */

/* Extends the materialised per-field columns to every row; on failure
   they are dropped (and reported as NULL). */
static void
materialise_fields(dl_trace_set *set)
{
  if (set->field_count == set->count && (set->field[0] || !set->count))
    return;
  if (set->field_cap < set->count) {
    for (int i = 0; i < 4; i++) {
      void *p = realloc(set->field[i], set->cap * sizeof(uint32_t));
      if (!p) {
        free_fields(set);
        return;
      }
      set->field[i] = p;
    }
    set->field_cap = set->cap;
  }
  for (size_t r = set->field_count; r < set->count; r++) {
    const uint32_t *f = set->origins[set->origin[r]];
    set->field[0][r] = f[0];
    set->field[1][r] = f[1];
    set->field[2][r] = f[2];
    set->field[3][r] = f[3];
  }
  set->field_count = set->count;
}

void
dl_trace_set_columns(const dl_trace_set *set, dl_span_columns *out)
{
  /* The cache is not part of the set's value: filling it is allowed on a
     const set (see the threads note in the header). */
  dl_trace_set *mut = (dl_trace_set *) set;
  materialise_fields(mut);
  out->count = set->count;
  out->trace_id = (const uint8_t(*)[DL_TRACE_ID_SIZE]) set->trace_id;
  out->span_id = (const uint8_t(*)[DL_SPAN_ID_SIZE]) set->span_id;
  out->parent_id = (const uint8_t(*)[DL_SPAN_ID_SIZE]) set->parent_id;
  out->start = set->start;
  out->duration = set->duration;
  out->service = set->field[DL_FIELD_SERVICE];
  out->operation = set->operation;
  out->version = set->field[DL_FIELD_VERSION];
  out->region = set->field[DL_FIELD_REGION];
  out->environment = set->field[DL_FIELD_ENVIRONMENT];
  out->error_type = set->error_type;
  out->kind = set->kind;
  out->flags = set->flags;
  out->origin = set->origin;
}

int
dl_trace_set_time_range(const dl_trace_set *set, int64_t *first, int64_t *last)
{
  if (!set || !set->count || !set->has_range)
    return DL_ENOTFOUND;
  if (first)
    *first = set->first;
  if (last)
    *last = set->last;
  return DL_OK;
}

int
dl_trace_set_time_range_of(const dl_trace_set *set, const dl_selection *sel, int64_t *first,
                           int64_t *last)
{
  if (!sel)
    return dl_trace_set_time_range(set, first, last);
  int any = 0;
  int64_t lo = 0, hi = 0;
  for (size_t i = 0; i < sel->count; i++) {
    size_t r = sel->rows[i];
    if (r >= set->count)
      continue;
    int64_t s = set->start[r], e = saturating_end(s, set->duration[r]);
    if (e < s)
      e = s;
    if (!any || s < lo)
      lo = s;
    if (!any || e > hi)
      hi = e;
    any = 1;
  }
  if (!any)
    return DL_ENOTFOUND;
  if (first)
    *first = lo;
  if (last)
    *last = hi;
  return DL_OK;
}

size_t
dl_trace_set_memory(const dl_trace_set *set)
{
  size_t row = DL_TRACE_ID_SIZE + 2 * DL_SPAN_ID_SIZE + 2 * sizeof(int64_t) +
               3 * sizeof(uint32_t) + 2 + set->n_kept * sizeof(uint32_t);
  size_t n = sizeof *set + set->cap * row + set->field_cap * 4 * sizeof(uint32_t);
  n += dl_intern_memory(&set->strings);
  n += (size_t) set->cap_origins * sizeof *set->origins + dl_hash_memory(&set->origin_index);
  return n;
}

void
dl_trace_set_truncate(dl_trace_set *set, size_t n)
{
  if (n >= set->count)
    return;
  set->count = n;
  if (set->field_count > n)
    set->field_count = n;
  set->has_range = 0;
  for (size_t r = 0; r < n; r++)
    note_range(set, set->start[r], set->duration[r]);
}

/* ---- merging ---- */

/* Maps string ids of SRC to DST lazily (0 in MAP: not yet mapped). */
static int
map_string(dl_trace_set *dst, const dl_trace_set *src, uint32_t *map, uint32_t id, uint32_t *out)
{
  if (!id) {
    *out = 0;
    return 0;
  }
  if (!map[id]) {
    map[id] = dl_intern_add(&dst->strings, src->strings.strs[id], src->strings.lens[id]);
    if (!map[id])
      return -1;
  }
  *out = map[id];
  return 0;
}

/* Appends the rows of SRC listed in SEL (all rows when SEL is NULL). */
static int
merge_rows(dl_trace_set *dst, const dl_trace_set *src, const dl_selection *sel, dl_error *err)
{
  size_t n = sel ? sel->count : src->count;
  if (!n)
    return DL_OK;
  for (size_t i = 0; sel && i < n; i++)
    if (sel->rows[i] >= src->count)
      return dl_fail(err, DL_EINVAL, "selection row %u is beyond the %zu spans of the set",
                     sel->rows[i], src->count);
  /* Snapshot what is read from SRC: it may be DST itself. */
  size_t base = dst->count;
  uint32_t n_strings = src->strings.count, n_origins = src->n_origins;
  size_t src_kept = src->n_kept;
  uint32_t src_kept_keys[MAX_KEPT];
  for (size_t k = 0; k < src_kept; k++)
    src_kept_keys[k] = src->kept[k].key;
  int rc = DL_OK;
  uint32_t *smap = calloc(n_strings ? n_strings : 1, sizeof *smap);
  uint32_t *omap = calloc(n_origins, sizeof *omap);
  if (!smap || !omap) {
    rc = dl_fail(err, DL_ENOMEM, "out of memory merging trace sets");
    goto out;
  }
  /* Keys kept in SRC stay kept in the result. */
  int from[MAX_KEPT];
  for (size_t k = 0; k < src_kept; k++) {
    const char *key = src->strings.strs[src_kept_keys[k]];
    rc = dl_trace_set_keep(dst, key, err);
    if (rc)
      goto out;
  }
  for (size_t d = 0; d < dst->n_kept; d++) {
    from[d] = -1;
    const char *key = dl_intern_str(&dst->strings, dst->kept[d].key);
    for (size_t k = 0; k < src_kept; k++)
      if (strcmp(src->strings.strs[src_kept_keys[k]], key) == 0)
        from[d] = (int) k;
  }
  rc = grow(dst, base + n, 0, err);
  if (rc)
    goto out;
  for (uint32_t o = 1; o < n_origins; o++) {
    uint32_t f[4];
    for (int i = 0; i < 4; i++)
      if (map_string(dst, src, smap, src->origins[o][i], &f[i]))
        goto nomem;
    omap[o] = dl_trace_set_intern_origin(dst, f[0], f[1], f[2], f[3]);
    if (!omap[o] && (f[0] | f[1] | f[2] | f[3]))
      goto nomem;
  }
  if (!sel) {
    memcpy(dst->trace_id + base, src->trace_id, n * DL_TRACE_ID_SIZE);
    memcpy(dst->span_id + base, src->span_id, n * DL_SPAN_ID_SIZE);
    memcpy(dst->parent_id + base, src->parent_id, n * DL_SPAN_ID_SIZE);
    memcpy(dst->start + base, src->start, n * sizeof(int64_t));
    memcpy(dst->duration + base, src->duration, n * sizeof(int64_t));
    memcpy(dst->kind + base, src->kind, n);
    memcpy(dst->flags + base, src->flags, n);
  } else {
    for (size_t i = 0; i < n; i++) {
      size_t r = sel->rows[i];
      memcpy(dst->trace_id[base + i], src->trace_id[r], DL_TRACE_ID_SIZE);
      memcpy(dst->span_id[base + i], src->span_id[r], DL_SPAN_ID_SIZE);
      memcpy(dst->parent_id[base + i], src->parent_id[r], DL_SPAN_ID_SIZE);
      dst->start[base + i] = src->start[r];
      dst->duration[base + i] = src->duration[r];
      dst->kind[base + i] = src->kind[r];
      dst->flags[base + i] = src->flags[r];
    }
  }
  for (size_t i = 0; i < n; i++) {
    size_t r = sel ? sel->rows[i] : i;
    dst->origin[base + i] = omap[src->origin[r]];
    if (map_string(dst, src, smap, src->operation[r], &dst->operation[base + i]) ||
        map_string(dst, src, smap, src->error_type[r], &dst->error_type[base + i]))
      goto nomem;
  }
  for (size_t d = 0; d < dst->n_kept; d++) {
    uint32_t *to = dst->kept[d].ids + base;
    if (from[d] < 0) {
      memset(to, 0, n * sizeof *to);
      continue;
    }
    const uint32_t *col = src->kept[from[d]].ids;
    for (size_t i = 0; i < n; i++)
      if (map_string(dst, src, smap, col[sel ? sel->rows[i] : i], &to[i]))
        goto nomem;
  }
  dst->count = base + n;
  for (size_t i = 0; i < n; i++)
    note_range(dst, dst->start[base + i], dst->duration[base + i]);
  goto out;
nomem:
  rc = dl_fail(err, DL_ENOMEM, "out of memory merging trace sets");
out:
  free(smap);
  free(omap);
  return rc;
}

int
dl_trace_set_merge(dl_trace_set *dst, const dl_trace_set *src, dl_error *err)
{
  if (!src || !src->count)
    return DL_OK;
  return merge_rows(dst, src, NULL, err);
}

int
dl_trace_set_merge_rows(dl_trace_set *dst, const dl_trace_set *src, const dl_selection *sel,
                        dl_error *err)
{
  if (!src || !sel)
    return DL_OK;
  return merge_rows(dst, src, sel, err);
}

/* ---- filters ---- */

void
dl_filter_init(dl_filter *f)
{
  memset(f, 0, sizeof *f);
  f->kind = -1;
}

void
dl_selection_free(dl_selection *sel)
{
  if (!sel)
    return;
  free(sel->rows);
  sel->rows = NULL;
  sel->count = 0;
}

int
dl_trace_set_field_of_key(const char *key)
{
  if (strcmp(key, "service.name") == 0)
    return DL_FIELD_SERVICE;
  if (strcmp(key, "service.version") == 0)
    return DL_FIELD_VERSION;
  if (strcmp(key, "cloud.region") == 0)
    return DL_FIELD_REGION;
  if (strcmp(key, "deployment.environment.name") == 0 ||
      strcmp(key, "deployment.environment") == 0)
    return DL_FIELD_ENVIRONMENT;
  return -1;
}

/* Matches an id against a wanted string: WANT_ABSENT means the string is
   not interned at all, so nothing matches; WANT 0 with ANY means any. */
typedef struct want {
  int any;
  int present_only; /* attr_key without attr_value: the attribute is set */
  uint32_t id;      /* 0 with !any: no row can match */
} want;

static want
want_string(const dl_trace_set *set, const char *s)
{
  want w = {1, 0, 0};
  if (!s)
    return w;
  w.any = 0;
  w.id = dl_intern_find(&set->strings, s, strlen(s));
  return w;
}

static inline int
want_match(want w, uint32_t id)
{
  if (w.any)
    return 1;
  if (w.present_only)
    return id != 0;
  return w.id && id == w.id;
}

int
dl_trace_set_filter(const dl_trace_set *set, const dl_selection *in, const dl_filter *f,
                    dl_selection *out, dl_error *err)
{
  out->rows = NULL;
  out->count = 0;
  want service = want_string(set, f->service);
  want operation = want_string(set, f->operation);
  want attr = {1, 0, 0};
  int field = -1;
  const uint32_t *attr_col = NULL;
  if (f->attr_key) {
    field = dl_trace_set_field_of_key(f->attr_key);
    if (field < 0) {
      attr_col = dl_trace_set_attribute_column(set, f->attr_key);
      if (dl_trace_set_kept_index(set, f->attr_key, strlen(f->attr_key)) < 0)
        return dl_fail(err, DL_ENOTFOUND,
                       "attribute \"%.100s\" is not kept in this trace set (keep it before loading)",
                       f->attr_key);
    }
    if (f->attr_value)
      attr = want_string(set, f->attr_value);
    else
      attr = (want){0, 1, 0};
  }
  if (f->kind < -1 || f->kind > 255)
    return dl_fail(err, DL_EINVAL, "span kind %d is not a kind", f->kind);
  /* Which origins pass the service and built-in attribute tests. */
  uint8_t *origin_ok = malloc(set->n_origins);
  size_t limit = in ? in->count : set->count;
  uint32_t *rows = malloc((limit ? limit : 1) * sizeof *rows);
  if (!origin_ok || !rows) {
    free(origin_ok);
    free(rows);
    return dl_fail(err, DL_ENOMEM, "out of memory filtering %zu spans", limit);
  }
  for (uint32_t o = 0; o < set->n_origins; o++) {
    const uint32_t *of = set->origins[o];
    origin_ok[o] = want_match(service, of[DL_FIELD_SERVICE]) &&
                   (field < 0 || want_match(attr, of[field]));
  }
  size_t n = 0;
  for (size_t i = 0; i < limit; i++) {
    size_t r = in ? in->rows[i] : i;
    if (r >= set->count) {
      free(origin_ok);
      free(rows);
      return dl_fail(err, DL_EINVAL, "selection row %zu is beyond the %zu spans of the set", r,
                     set->count);
    }
    if (!origin_ok[set->origin[r]])
      continue;
    if (f->has_start_min && set->start[r] < f->start_min)
      continue;
    if (f->has_start_max && set->start[r] >= f->start_max)
      continue;
    if (f->kind >= 0 && set->kind[r] != f->kind)
      continue;
    if (!want_match(operation, set->operation[r]))
      continue;
    if (attr_col && !want_match(attr, attr_col[r]))
      continue;
    rows[n++] = (uint32_t) r;
  }
  free(origin_ok);
  if (n < limit) {
    uint32_t *shrunk = realloc(rows, (n ? n : 1) * sizeof *rows);
    if (shrunk)
      rows = shrunk;
  }
  out->rows = rows;
  out->count = n;
  return DL_OK;
}

/* ---- distinct values ---- */

int
dl_trace_set_distinct(const dl_trace_set *set, const dl_selection *in, int field,
                      uint32_t **ids, size_t *n, dl_error *err)
{
  *ids = NULL;
  *n = 0;
  if (field < DL_FIELD_SERVICE || field > DL_FIELD_ERROR_TYPE)
    return dl_fail(err, DL_EINVAL, "unknown span field %d", field);
  uint32_t n_strings = set->strings.count ? set->strings.count : 1;
  uint8_t *seen = calloc(n_strings, 1);
  uint8_t *origin_seen = calloc(set->n_origins, 1);
  if (!seen || !origin_seen) {
    free(seen);
    free(origin_seen);
    return dl_fail(err, DL_ENOMEM, "out of memory listing distinct values");
  }
  size_t limit = in ? in->count : set->count;
  for (size_t i = 0; i < limit; i++) {
    size_t r = in ? in->rows[i] : i;
    if (r >= set->count)
      continue;
    if (field == DL_FIELD_OPERATION)
      seen[set->operation[r]] = 1;
    else if (field == DL_FIELD_ERROR_TYPE)
      seen[set->error_type[r]] = 1;
    else
      origin_seen[set->origin[r]] = 1;
  }
  if (field <= DL_FIELD_ENVIRONMENT)
    for (uint32_t o = 0; o < set->n_origins; o++)
      if (origin_seen[o])
        seen[set->origins[o][field]] = 1;
  free(origin_seen);
  size_t count = 0;
  for (uint32_t s = 1; s < n_strings; s++)
    count += seen[s];
  uint32_t *out = malloc((count ? count : 1) * sizeof *out);
  if (!out) {
    free(seen);
    return dl_fail(err, DL_ENOMEM, "out of memory listing distinct values");
  }
  size_t k = 0;
  for (uint32_t s = 1; s < n_strings; s++)
    if (seen[s])
      out[k++] = s;
  free(seen);
  *ids = out;
  *n = count;
  return DL_OK;
}
