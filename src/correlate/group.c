/* Group-by specifications. */
#include "deploy-ledger/group.h"
#include "deploy-ledger/trace-set.h"

#include <stdlib.h>
#include <string.h>

/* The resource dimensions are numbered as the trace set's origin fields,
   so that a field of dl_trace_set_field_of_key is a dimension as is. */
_Static_assert((int) DL_DIM_SERVICE == DL_FIELD_SERVICE && (int) DL_DIM_VERSION == DL_FIELD_VERSION
                 && (int) DL_DIM_REGION == DL_FIELD_REGION
                 && (int) DL_DIM_ENVIRONMENT == DL_FIELD_ENVIRONMENT,
               "group dimensions and origin fields share their numbers");

static const struct {
  const char *name;
  dl_dim dim;
} names[] = {
  {"service", DL_DIM_SERVICE},         {"version", DL_DIM_VERSION},
  {"region", DL_DIM_REGION},           {"environment", DL_DIM_ENVIRONMENT},
  {"operation", DL_DIM_OPERATION},     {"span.name", DL_DIM_OPERATION},
  {"error-type", DL_DIM_ERROR_TYPE},   {"error_type", DL_DIM_ERROR_TYPE},
};

static const char *const canonical[] = {"service",   "version",    "region",
                                        "environment", "operation", "error-type"};

void
dl_group_spec_init(dl_group_spec *spec)
{
  memset(spec, 0, sizeof *spec);
}

void
dl_group_spec_clear(dl_group_spec *spec)
{
  for (size_t i = 0; i < DL_GROUP_MAX_DIMS; i++)
    free(spec->keys[i]);
  dl_group_spec_init(spec);
}

int
dl_group_spec_add(dl_group_spec *spec, const char *name, dl_error *err)
{
  if (!name || !*name)
    return dl_fail(err, DL_EINVAL, "empty group-by dimension");
  if (spec->n == DL_GROUP_MAX_DIMS)
    return dl_fail(err, DL_EINVAL, "too many group-by dimensions at \"%.80s\" (at most %d)",
                   name, DL_GROUP_MAX_DIMS);
  /* A resource attribute the trace set keeps in the origin
     ("cloud.region") groups as its dimension, as the filters read it. */
  int field = dl_trace_set_field_of_key(name);
  dl_dim dim = field >= 0 ? (dl_dim) field : DL_DIM_ATTRIBUTE;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(name, names[i].name) == 0)
      dim = names[i].dim;
  for (size_t i = 0; i < spec->n; i++)
    if (spec->dims[i] == dim
        && (dim != DL_DIM_ATTRIBUTE || strcmp(spec->keys[i], name) == 0))
      return dl_fail(err, DL_EINVAL, "group-by dimension \"%.80s\" given twice", name);
  char *key = NULL;
  if (dim == DL_DIM_ATTRIBUTE) {
    key = strdup(name);
    if (!key)
      return dl_fail(err, DL_ENOMEM, "out of memory");
  }
  spec->dims[spec->n] = dim;
  spec->keys[spec->n] = key;
  spec->n++;
  return DL_OK;
}

int
dl_group_spec_parse(const char *text, dl_group_spec *spec, dl_error *err)
{
  if (!text)
    return DL_OK;
  const char *p = text;
  while (*p == ' ')
    p++;
  if (!*p)
    return DL_OK;
  for (;;) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t) (end - p) : strlen(p);
    while (len && p[len - 1] == ' ')
      len--;
    char name[128];
    if (len >= sizeof name)
      return dl_fail(err, DL_EINVAL, "group-by name too long in \"%.80s\"", text);
    memcpy(name, p, len);
    name[len] = 0;
    int rc = dl_group_spec_add(spec, name, err);
    if (rc) {
      dl_error_at(err, "group-by", 1, (long) (p - text) + 1, (long) (p - text));
      return rc;
    }
    if (!end)
      return DL_OK;
    p = end + 1;
    while (*p == ' ')
      p++;
  }
}

const char *
dl_group_spec_name(const dl_group_spec *spec, size_t i)
{
  if (i >= spec->n)
    return NULL;
  return spec->dims[i] == DL_DIM_ATTRIBUTE ? spec->keys[i] : canonical[spec->dims[i]];
}

int
dl_group_spec_find(const dl_group_spec *spec, dl_dim dim)
{
  for (size_t i = 0; i < spec->n; i++)
    if (spec->dims[i] == dim)
      return (int) i;
  return -1;
}

int
dl_group_spec_copy(dl_group_spec *dst, const dl_group_spec *src, dl_error *err)
{
  dl_group_spec_init(dst);
  for (size_t i = 0; i < src->n; i++) {
    int rc = dl_group_spec_add(dst, dl_group_spec_name(src, i), err);
    if (rc) {
      dl_group_spec_clear(dst);
      return rc;
    }
  }
  return DL_OK;
}
