/* Error types new with a version. */
#include "deploy-ledger/new-errors.h"

#include <stdlib.h>
#include <string.h>

#include "deploy-ledger/time.h"

void
dl_new_errors_options_init(dl_new_errors_options *o)
{
  memset(o, 0, sizeof *o);
  o->kind = -1;
}

void
dl_new_errors_clear(dl_new_errors *e)
{
  for (size_t i = 0; i < e->n; i++) {
    free(e->types[i].type);
    free(e->types[i].operation);
  }
  free(e->types);
  memset(e, 0, sizeof *e);
}

static int
cmp_type(const void *pa, const void *pb)
{
  const dl_new_error_type *a = pa, *b = pb;
  if (a->count != b->count)
    return a->count > b->count ? -1 : 1;
  return strcmp(a->type, b->type);
}

int
dl_new_errors_compute(const dl_trace_set *set, const dl_new_errors_options *o,
                      dl_new_errors *out, dl_error *err)
{
  memset(out, 0, sizeof *out);
  if (!o->service || !o->version)
    return dl_fail(err, DL_EINVAL, "new error types need a service and a version");
  uint32_t svc = dl_trace_set_lookup(set, o->service, strlen(o->service));
  uint32_t ver = dl_trace_set_lookup(set, o->version, strlen(o->version));
  if (!svc || !ver)
    return DL_OK;
  uint32_t n_origins = dl_trace_set_origin_count(set);
  /* 0: other service, 1: old version, 2: new version. */
  uint8_t *role = malloc(n_origins ? n_origins : 1);
  if (!role)
    return dl_fail(err, DL_ENOMEM, "out of memory looking for new error types");
  for (uint32_t og = 0; og < n_origins; og++) {
    uint32_t f[4];
    dl_trace_set_origin_fields(set, og, f);
    role[og] = f[DL_FIELD_SERVICE] != svc ? 0 : f[DL_FIELD_VERSION] == ver ? 2 : 1;
  }
  dl_span_columns c;
  dl_trace_set_columns(set, &c);
  /* Error type ids are string ids: size the tables by the largest seen. */
  uint32_t max_id = 0;
  for (size_t r = 0; r < c.count; r++)
    if (c.error_type[r] > max_id)
      max_id = c.error_type[r];
  uint8_t *old_seen = calloc((size_t) max_id + 1, 1);
  uint64_t *count = calloc((size_t) max_id + 1, sizeof *count);
  size_t *first_row = malloc(((size_t) max_id + 1) * sizeof *first_row);
  int rc = DL_OK;
  if (!old_seen || !count || !first_row) {
    rc = dl_fail(err, DL_ENOMEM, "out of memory looking for new error types");
    goto out;
  }
  size_t n_items = o->rows ? o->rows->count : c.count;
  for (size_t i = 0; i < n_items; i++) {
    size_t r = o->rows ? o->rows->rows[i] : i;
    if (r >= c.count)
      continue;
    if (!(c.flags[r] & DL_ROW_ERROR) || (o->kind >= 0 && c.kind[r] != o->kind))
      continue;
    uint8_t ro = role[c.origin[r]];
    int64_t t = c.start[r];
    uint32_t id = c.error_type[r];
    if (ro == 1 && t >= o->baseline_start && t < o->baseline_end) {
      old_seen[id] = 1;
    } else if (ro == 2 && t >= o->start && t < o->end) {
      out->new_errors++;
      if (!id)
        continue;
      if (!count[id] || t < c.start[first_row[id]])
        first_row[id] = r;
      count[id]++;
    }
  }
  for (uint32_t id = 1; id <= max_id; id++)
    out->baseline_types += old_seen[id];
  size_t n = 0;
  for (uint32_t id = 1; id <= max_id; id++)
    n += count[id] && !old_seen[id];
  out->types = calloc(n ? n : 1, sizeof *out->types);
  if (!out->types) {
    rc = dl_fail(err, DL_ENOMEM, "out of memory looking for new error types");
    goto out;
  }
  for (uint32_t id = 1; id <= max_id; id++) {
    if (!count[id] || old_seen[id])
      continue;
    dl_new_error_type *t = &out->types[out->n++];
    size_t r = first_row[id];
    const char *op = dl_trace_set_string(set, c.operation[r]);
    t->type = strdup(dl_trace_set_string(set, id));
    t->operation = op ? strdup(op) : NULL;
    t->count = count[id];
    t->first_seen = c.start[r];
    if (!t->type || (op && !t->operation)) {
      rc = dl_fail(err, DL_ENOMEM, "out of memory looking for new error types");
      goto out;
    }
  }
  if (out->n > 1) /* an empty list may have no array, and qsort wants one */
    qsort(out->types, out->n, sizeof *out->types, cmp_type);
out:
  free(role);
  free(old_seen);
  free(count);
  free(first_row);
  if (rc)
    dl_new_errors_clear(out);
  return rc;
}
