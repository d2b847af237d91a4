/* Deployment events. */
#include "deploy-ledger/deployment.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[DL_TYPE_COUNT] = {
  "rolling", "canary", "blue-green", "recreate", "shadow"};
static const char *const status_names[DL_DEPLOY_STATUS_COUNT] = {
  "pending", "in-progress", "succeeded", "failed", "rolled-back"};

const char *
dl_deploy_type_name(dl_deploy_type type)
{
  return (unsigned) type < DL_TYPE_COUNT ? type_names[type] : "unknown";
}

const char *
dl_deploy_status_name(dl_deploy_status status)
{
  return (unsigned) status < DL_DEPLOY_STATUS_COUNT ? status_names[status] : "unknown";
}

/* Finds NAME in NAMES or fails listing what is accepted. */
static int
parse_name(const char *what, const char *name, const char *const *names, int count,
           int *out, dl_error *err)
{
  for (int i = 0; name && i < count; i++)
    if (strcmp(name, names[i]) == 0) {
      *out = i;
      return DL_OK;
    }
  char accepted[160] = "";
  size_t pos = 0;
  for (int i = 0; i < count; i++)
    pos += (size_t) snprintf(accepted + pos, sizeof accepted - pos, "%s%s",
                             i ? ", " : "", names[i]);
  return dl_fail(err, DL_EINVAL, "unknown %s \"%s\" (expected one of: %s)", what,
                 name ? name : "", accepted);
}

int
dl_deploy_type_parse(const char *name, dl_deploy_type *type, dl_error *err)
{
  int i;
  int rc = parse_name("deployment type", name, type_names, DL_TYPE_COUNT, &i, err);
  if (!rc)
    *type = (dl_deploy_type) i;
  return rc;
}

int
dl_deploy_status_parse(const char *name, dl_deploy_status *status, dl_error *err)
{
  int i;
  int rc = parse_name("deployment status", name, status_names, DL_DEPLOY_STATUS_COUNT, &i, err);
  if (!rc)
    *status = (dl_deploy_status) i;
  return rc;
}

int
dl_deploy_status_is_final(dl_deploy_status status)
{
  return status == DL_STATUS_SUCCEEDED || status == DL_STATUS_FAILED
         || status == DL_STATUS_ROLLED_BACK;
}

int
dl_deploy_transition_check(dl_deploy_status from, dl_deploy_status to, dl_error *err)
{
  /* allowed[from][to] */
  static const unsigned char allowed[DL_DEPLOY_STATUS_COUNT][DL_DEPLOY_STATUS_COUNT] = {
    [DL_STATUS_PENDING] = {[DL_STATUS_IN_PROGRESS] = 1, [DL_STATUS_SUCCEEDED] = 1,
                           [DL_STATUS_FAILED] = 1, [DL_STATUS_ROLLED_BACK] = 1},
    [DL_STATUS_IN_PROGRESS] = {[DL_STATUS_SUCCEEDED] = 1, [DL_STATUS_FAILED] = 1,
                               [DL_STATUS_ROLLED_BACK] = 1},
    [DL_STATUS_SUCCEEDED] = {[DL_STATUS_ROLLED_BACK] = 1},
    [DL_STATUS_FAILED] = {[DL_STATUS_ROLLED_BACK] = 1},
  };
  if ((unsigned) from >= DL_DEPLOY_STATUS_COUNT || (unsigned) to >= DL_DEPLOY_STATUS_COUNT)
    return dl_fail(err, DL_EINVAL, "unknown deployment status");
  if (!allowed[from][to])
    return dl_fail(err, DL_ETRANSITION, "a deployment cannot go from %s to %s",
                   status_names[from], status_names[to]);
  return DL_OK;
}

dl_deployment *
dl_deployment_new(void)
{
  dl_deployment *d = calloc(1, sizeof *d);
  if (!d)
    return NULL;
  d->type = DL_TYPE_ROLLING;
  d->status = DL_STATUS_PENDING;
  d->started = d->completed = d->commit_time = DL_TIME_NONE;
  return d;
}

void
dl_deployment_free(dl_deployment *d)
{
  if (!d)
    return;
  free(d->id);
  free(d->service);
  free(d->version);
  free(d->previous_version);
  free(d->environment);
  free(d->actor);
  free(d->commit);
  for (size_t i = 0; i < d->n_regions; i++)
    free(d->regions[i]);
  free(d->regions);
  for (size_t i = 0; i < d->n_attributes; i++) {
    free(d->attributes[i].key);
    free(d->attributes[i].value);
  }
  free(d->attributes);
  free(d);
}

int
dl_deployment_set_string(char **field, const char *value)
{
  char *copy = NULL;
  if (value && !(copy = strdup(value)))
    return DL_ENOMEM;
  free(*field);
  *field = copy;
  return DL_OK;
}

int
dl_deployment_add_region(dl_deployment *d, const char *region)
{
  char **grown = realloc(d->regions, (d->n_regions + 1) * sizeof *grown);
  if (!grown)
    return DL_ENOMEM;
  d->regions = grown;
  if (!(grown[d->n_regions] = strdup(region)))
    return DL_ENOMEM;
  d->n_regions++;
  return DL_OK;
}

int
dl_deployment_set_attribute(dl_deployment *d, const char *key, const char *value)
{
  for (size_t i = 0; i < d->n_attributes; i++)
    if (strcmp(d->attributes[i].key, key) == 0)
      return dl_deployment_set_string(&d->attributes[i].value, value);
  dl_attribute *grown = realloc(d->attributes, (d->n_attributes + 1) * sizeof *grown);
  if (!grown)
    return DL_ENOMEM;
  d->attributes = grown;
  dl_attribute *a = &grown[d->n_attributes];
  a->key = strdup(key);
  a->value = strdup(value);
  if (!a->key || !a->value) {
    free(a->key);
    free(a->value);
    return DL_ENOMEM;
  }
  d->n_attributes++;
  return DL_OK;
}

const char *
dl_deployment_attribute(const dl_deployment *d, const char *key)
{
  for (size_t i = 0; i < d->n_attributes; i++)
    if (strcmp(d->attributes[i].key, key) == 0)
      return d->attributes[i].value;
  return NULL;
}

dl_deployment *
dl_deployment_copy(const dl_deployment *d)
{
  dl_deployment *c = dl_deployment_new();
  if (!c)
    return NULL;
  int rc = dl_deployment_set_string(&c->id, d->id)
           | dl_deployment_set_string(&c->service, d->service)
           | dl_deployment_set_string(&c->version, d->version)
           | dl_deployment_set_string(&c->previous_version, d->previous_version)
           | dl_deployment_set_string(&c->environment, d->environment)
           | dl_deployment_set_string(&c->actor, d->actor)
           | dl_deployment_set_string(&c->commit, d->commit);
  for (size_t i = 0; !rc && i < d->n_regions; i++)
    rc = dl_deployment_add_region(c, d->regions[i]);
  for (size_t i = 0; !rc && i < d->n_attributes; i++)
    rc = dl_deployment_set_attribute(c, d->attributes[i].key, d->attributes[i].value);
  if (rc) {
    dl_deployment_free(c);
    return NULL;
  }
  c->type = d->type;
  c->status = d->status;
  c->started = d->started;
  c->completed = d->completed;
  c->commit_time = d->commit_time;
  c->has_context = d->has_context;
  c->context = d->context;
  c->has_parent = d->has_parent;
  memcpy(c->parent_span_id, d->parent_span_id, DL_SPAN_ID_SIZE);
  return c;
}

int
dl_deployment_ensure_context(dl_deployment *d, const dl_trace_context *parent,
                             dl_error *err)
{
  if (d->has_context)
    return DL_OK;
  int rc = parent ? dl_trace_context_child(parent, &d->context, err)
                  : dl_trace_context_new_root(&d->context, err);
  if (rc)
    return rc;
  d->has_context = 1;
  d->has_parent = parent != NULL;
  if (parent)
    memcpy(d->parent_span_id, parent->span_id, DL_SPAN_ID_SIZE);
  return rc;
}

int
dl_deployment_new_id(char *buf, int64_t now_ns, dl_error *err)
{
  uint8_t b[16];
  int rc = dl_random_bytes(b, sizeof b, err);
  if (rc)
    return rc;
  uint64_t ms = (uint64_t) (now_ns / 1000000);
  for (int i = 0; i < 6; i++)
    b[i] = (uint8_t) (ms >> (40 - 8 * i));
  b[6] = (uint8_t) (0x70 | (b[6] & 0x0f)); /* version 7 */
  b[8] = (uint8_t) (0x80 | (b[8] & 0x3f)); /* RFC 9562 variant */
  char hex[33];
  dl_hex_encode(b, 16, hex);
  snprintf(buf, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
  return DL_OK;
}

int
dl_deployment_validate(const dl_deployment *d, dl_error *err)
{
  if (!d->id || !*d->id)
    return dl_fail(err, DL_EINVAL, "deployment has no id");
  if (!d->service || !*d->service)
    return dl_fail(err, DL_EINVAL, "deployment %s has no service name", d->id);
  if (!d->version || !*d->version)
    return dl_fail(err, DL_EINVAL, "deployment %s of %s has no version", d->id, d->service);
  if (d->started == DL_TIME_NONE)
    return dl_fail(err, DL_EINVAL, "deployment %s of %s has no start time", d->id, d->service);
  if ((unsigned) d->type >= DL_TYPE_COUNT || (unsigned) d->status >= DL_DEPLOY_STATUS_COUNT)
    return dl_fail(err, DL_EINVAL, "deployment %s has an unknown type or status", d->id);
  if (d->completed != DL_TIME_NONE && d->completed < d->started)
    return dl_fail(err, DL_EINVAL, "deployment %s completes before it starts", d->id);
  return DL_OK;
}
