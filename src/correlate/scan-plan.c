/* Compiling a metrics query: filter, origin classes, row dimensions,
   windows. */
#include "correlate/scan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"

static uint32_t
lookup(const dl_trace_set *set, const char *s)
{
  return dl_trace_set_lookup(set, s, strlen(s));
}

/* Classes: the distinct projections of the passing origins. */
static int
build_classes(scan_plan *p, const dl_group_spec *g, uint32_t service_id, int service_any,
              int attr_field, dl_error *err)
{
  uint32_t n = dl_trace_set_origin_count(p->set);
  p->n_origins = n;
  p->origin_class = malloc((n ? n : 1) * sizeof *p->origin_class);
  p->class_key = malloc((n ? n : 1) * sizeof *p->class_key);
  dl_hash index; /* hash of a class key -> the class */
  dl_hash_init(&index);
  if (!p->origin_class || !p->class_key || dl_hash_reserve(&index, n))
    return dl_fail(err, DL_ENOMEM, "out of memory for %u span origins", n);
  p->n_classes = 0;
  for (uint32_t o = 0; o < n; o++) {
    uint32_t f[4];
    dl_trace_set_origin_fields(p->set, o, f);
    int pass = (service_any || (service_id && f[DL_FIELD_SERVICE] == service_id));
    if (pass && attr_field >= 0)
      pass = p->attr_mode == 1 ? f[attr_field] != 0 : (p->attr_id && f[attr_field] == p->attr_id);
    if (!pass) {
      p->origin_class[o] = -1;
      continue;
    }
    uint32_t key[DL_GROUP_MAX_DIMS] = {0};
    for (size_t i = 0; i < g->n; i++)
      if (g->dims[i] <= DL_DIM_ENVIRONMENT)
        key[i] = f[g->dims[i]];
    uint32_t h = dl_hash_u32s(key, DL_GROUP_MAX_DIMS), c;
    dl_hash_probe pr = dl_hash_probe_begin(&index, h);
    while ((c = dl_hash_probe_next(&pr)) != DL_HASH_NONE)
      if (memcmp(p->class_key[c], key, sizeof key) == 0)
        break;
    if (c == DL_HASH_NONE) {
      c = p->n_classes++;
      memcpy(p->class_key[c], key, sizeof key);
      if (dl_hash_add(&index, h, c)) {
        dl_hash_free(&index);
        return dl_fail(err, DL_ENOMEM, "out of memory for %u span origins", n);
      }
    }
    p->origin_class[o] = (int32_t) c;
  }
  dl_hash_free(&index);
  return DL_OK;
}

static int
plan_windows(scan_plan *p, const dl_window *win, size_t nw, dl_error *err)
{
  if (nw == 0)
    return dl_fail(err, DL_EINVAL, "no window to compute metrics for");
  for (size_t i = 0; i < nw; i++)
    if (win[i].end <= win[i].start)
      return dl_fail(err, DL_EINVAL, "window %zu (%s) is empty", i,
                     win[i].name ? win[i].name : "unnamed");
  p->win = win;
  p->nw = nw;
  p->uniform = dl_windows_uniform(win, nw);
  if (p->uniform) {
    p->t0 = win[0].start;
    p->span = (uint64_t) win[nw - 1].end - (uint64_t) win[0].start;
    p->width = (uint64_t) win[0].end - (uint64_t) win[0].start;
    p->inv_width = 1.0 / (double) p->width;
    for (size_t i = 0; i < 4; i++)
      p->bound[i] = i < nw ? (uint64_t) i * p->width : UINT64_MAX;
    /* The floating-point division is corrected by one step at most
       only while offsets stay below 2^52. */
    if (nw > 4 && p->span >= (UINT64_C(1) << 52))
      p->uniform = 0;
  }
  return DL_OK;
}

int
scan_plan_init(scan_plan *p, const dl_trace_set *set, const dl_selection *sel,
               const dl_filter *filter, const dl_group_spec *group, const dl_window *win,
               size_t nw, dl_error *err)
{
  memset(p, 0, sizeof *p);
  p->set = set;
  p->sel = sel;
  p->kind = -1;
  dl_group_spec none;
  dl_group_spec_init(&none);
  if (!group)
    group = &none;
  int rc = plan_windows(p, win, nw, err);
  if (rc)
    return rc;
  dl_span_columns c;
  dl_trace_set_columns(set, &c);
  p->start = c.start;
  p->duration = c.duration;
  p->origin = c.origin;
  p->operation = c.operation;
  p->kind_col = c.kind;
  p->flags = c.flags;
  p->n_items = sel ? sel->count : c.count;
  if (sel)
    for (size_t i = 0; i < sel->count; i++)
      if (sel->rows[i] >= c.count)
        return dl_fail(err, DL_EINVAL, "selection row %u is beyond the %zu spans of the set",
                       sel->rows[i], c.count);

  uint32_t service_id = 0;
  int service_any = 1, attr_field = -1;
  if (filter) {
    if (filter->kind < -1 || filter->kind > 255)
      return dl_fail(err, DL_EINVAL, "span kind %d is not a kind", filter->kind);
    p->kind = filter->kind;
    if (filter->service) {
      service_any = 0;
      service_id = lookup(set, filter->service);
      if (!service_id)
        p->nothing = 1;
    }
    if (filter->operation) {
      p->op_mode = 1;
      p->op_id = lookup(set, filter->operation);
      if (!p->op_id)
        p->nothing = 1;
    }
    if (filter->attr_key) {
      attr_field = dl_trace_set_field_of_key(filter->attr_key);
      if (attr_field < 0) {
        p->attr_col = dl_trace_set_attribute_column(set, filter->attr_key);
        if (dl_trace_set_kept_index(set, filter->attr_key, strlen(filter->attr_key)) < 0)
          return dl_fail(err, DL_ENOTFOUND,
                         "attribute \"%.100s\" is not kept in this trace set (keep it before loading)",
                         filter->attr_key);
      }
      if (filter->attr_value) {
        p->attr_mode = 2;
        p->attr_id = lookup(set, filter->attr_value);
        if (!p->attr_id)
          p->nothing = 1;
      } else {
        p->attr_mode = 1;
      }
      if (attr_field >= 0) {
        /* A resource attribute: tested once per origin, not per row. */
        rc = build_classes(p, group, service_id, service_any, attr_field, err);
        p->attr_mode = 0;
        if (rc)
          return rc;
      } else if (!p->attr_col) {
        /* Kept but the set has no rows: nothing matches. */
        p->nothing = 1;
        p->attr_mode = 0;
      }
    }
    p->has_tmin = filter->has_start_min;
    p->has_tmax = filter->has_start_max;
    p->tmin = filter->start_min;
    p->tmax = filter->start_max;
  }
  if (!p->origin_class) {
    rc = build_classes(p, group, service_id, service_any, -1, err);
    if (rc)
      return rc;
  }
  for (size_t i = 0; i < group->n; i++) {
    const uint32_t *col = NULL;
    if (group->dims[i] <= DL_DIM_ENVIRONMENT)
      continue;
    if (group->dims[i] == DL_DIM_OPERATION) {
      col = c.operation;
    } else if (group->dims[i] == DL_DIM_ERROR_TYPE) {
      col = c.error_type;
    } else {
      const char *key = group->keys[i];
      if (dl_trace_set_kept_index(set, key, strlen(key)) < 0)
        return dl_fail(err, DL_ENOTFOUND,
                       "cannot group by \"%.100s\": the attribute is not kept in this trace set",
                       key);
      col = dl_trace_set_attribute_column(set, key);
      if (!col && c.count)
        return dl_fail(err, DL_ENOTFOUND, "attribute column \"%.100s\" is missing", key);
    }
    p->row_col[p->n_row_dims] = col;
    p->row_pos[p->n_row_dims] = i;
    p->n_row_dims++;
  }
  if (c.count == 0)
    p->nothing = 1;
  return DL_OK;
}

void
scan_plan_clear(scan_plan *p)
{
  free(p->origin_class);
  free(p->class_key);
  p->origin_class = NULL;
  p->class_key = NULL;
}
