/* The deployment event: what was deployed, where, how and with what outcome. */
#ifndef DL_DEPLOYMENT_H
#define DL_DEPLOYMENT_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "time.h"
#include "trace-context.h"

typedef enum dl_deploy_type {
  DL_TYPE_ROLLING,
  DL_TYPE_CANARY,
  DL_TYPE_BLUE_GREEN,
  DL_TYPE_RECREATE,
  DL_TYPE_SHADOW,
  DL_TYPE_COUNT
} dl_deploy_type;

typedef enum dl_deploy_status {
  DL_STATUS_PENDING,
  DL_STATUS_IN_PROGRESS,
  DL_STATUS_SUCCEEDED,
  DL_STATUS_FAILED,
  DL_STATUS_ROLLED_BACK,
  DL_DEPLOY_STATUS_COUNT
} dl_deploy_status;

/* Names as written on the command line and in the ledger ("blue-green"). */
const char *dl_deploy_type_name(dl_deploy_type type);
const char *dl_deploy_status_name(dl_deploy_status status);

/* Parse a name; an unknown one is DL_EINVAL naming the value and the
   accepted names. */
int dl_deploy_type_parse(const char *name, dl_deploy_type *type, dl_error *err) DL_MUST_CHECK;
int dl_deploy_status_parse(const char *name, dl_deploy_status *status, dl_error *err) DL_MUST_CHECK;

/* Nonzero when STATUS ends a deployment (succeeded, failed, rolled-back). */
int dl_deploy_status_is_final(dl_deploy_status status);

/* Whether a deployment may move FROM -> TO.  Pending may start or end;
   in-progress may end; failed may still be rolled back; succeeded may only
   be rolled back; nothing follows rolled-back. */
int dl_deploy_transition_check(dl_deploy_status from, dl_deploy_status to,
                               dl_error *err) DL_MUST_CHECK;

typedef struct dl_attribute {
  char *key;
  char *value;
} dl_attribute;

/* Strings are owned by the deployment and freed by dl_deployment_free. */
typedef struct dl_deployment {
  char *id;
  char *service;
  char *version;
  char *previous_version;   /* NULL when unknown */
  dl_deploy_type type;
  char *environment;
  char **regions;
  size_t n_regions;
  dl_deploy_status status;
  int64_t started;          /* ns; DL_TIME_NONE when unset */
  int64_t completed;        /* ns; DL_TIME_NONE while running */
  char *actor;
  char *commit;
  int64_t commit_time;      /* ns; DL_TIME_NONE when unknown */
  dl_attribute *attributes;
  size_t n_attributes;
  int has_context;          /* nonzero once the deployment has a span */
  dl_trace_context context; /* the deployment span's own context */
  int has_parent;           /* nonzero when started inside a pipeline trace */
  uint8_t parent_span_id[DL_SPAN_ID_SIZE];
} dl_deployment;

/* A new, empty deployment (type rolling, status pending, no times). */
dl_deployment *dl_deployment_new(void);
void dl_deployment_free(dl_deployment *d);

/* A deep copy, or NULL when out of memory. */
dl_deployment *dl_deployment_copy(const dl_deployment *d);

/* Setters copy their argument; NULL clears an optional string. */
int dl_deployment_set_string(char **field, const char *value) DL_MUST_CHECK;
int dl_deployment_add_region(dl_deployment *d, const char *region) DL_MUST_CHECK;
int dl_deployment_set_attribute(dl_deployment *d, const char *key, const char *value) DL_MUST_CHECK;
const char *dl_deployment_attribute(const dl_deployment *d, const char *key);

/* Gives D its own trace context once: a child of PARENT when given (the
   pipeline's TRACEPARENT), otherwise a new root.  Does nothing when D
   already has one, so a deployment keeps the same traceparent. */
int dl_deployment_ensure_context(dl_deployment *d, const dl_trace_context *parent,
                                 dl_error *err) DL_MUST_CHECK;

/* A fresh deployment id: a UUIDv7 in canonical text (time-ordered, so ids
   sort by creation).  BUF holds at least 37 bytes. */
int dl_deployment_new_id(char *buf, int64_t now_ns, dl_error *err) DL_MUST_CHECK;

/* Checks the fields a recorded deployment needs (id, service, version,
   started) and names the first one missing. */
int dl_deployment_validate(const dl_deployment *d, dl_error *err) DL_MUST_CHECK;

#endif
