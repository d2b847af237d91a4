/* The ledger: an append-only history of deployments, in one SQLite file
 * (one machine) or in a PostgreSQL database (a team: many runners).
 *
 * Rows are never updated or deleted: a deployment is inserted once, and
 * every status transition, attribute change and region or stage event is
 * appended to its history.  Its current state is derived from that history.
 * The export spool lives in the same database and is written in the same
 * transaction as the event that produced it.  Both storage backends behave
 * the same through this interface; the path chooses one (see
 * dl_ledger_open_flags). */
#ifndef DL_LEDGER_H
#define DL_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "deployment.h"
#include "error.h"

/* The schema version this code writes; older files are migrated on open. */
#define DL_LEDGER_SCHEMA_VERSION 4

typedef struct dl_ledger dl_ledger;

/* The ledger path: DEPLOY_LEDGER_DB, else $XDG_DATA_HOME/deploy-ledger/
   ledger.db, else ~/.local/share/deploy-ledger/ledger.db. */
int dl_ledger_default_path(char *buf, size_t size, dl_error *err) DL_MUST_CHECK;

/* How dl_ledger_open_flags opens a ledger. */
enum dl_ledger_open_flag {
  /* Create the file (and its directory) when absent.  Without it a
     missing file or directory, or an empty file, is DL_ESTORAGE naming
     the path and nothing is created: what only reads a ledger must not
     mistake a mistyped path for an empty ledger. */
  DL_LEDGER_CREATE = 1u << 0
};

/* Opens the ledger at PATH, or at the default path when PATH is NULL,
   with FLAGS (a combination of dl_ledger_open_flag).  A file that is not
   SQLite is refused and left untouched; a schema newer than this code is
   DL_ESCHEMA; an older one is migrated; a file without write permission
   opens read-only, and writes to it fail with DL_ESTORAGE naming it.  On
   success *OUT is a new handle for dl_ledger_close. */
int dl_ledger_open_flags(const char *path, unsigned flags, dl_ledger **out,
                         dl_error *err) DL_MUST_CHECK;

/* dl_ledger_open_flags with DL_LEDGER_CREATE: what records deployments. */
int dl_ledger_open(const char *path, dl_ledger **out, dl_error *err) DL_MUST_CHECK;

/* Closes the ledger; NULL is harmless. */
void dl_ledger_close(dl_ledger *ledger);

/* The file path, or the PostgreSQL URL without its password (borrowed):
   what messages name the ledger by. */
const char *dl_ledger_path(const dl_ledger *ledger);

/* "sqlite" or "postgresql" (static). */
const char *dl_ledger_backend_name(const dl_ledger *ledger);

/* An encoded batch of spans to export, spooled with the event. */
typedef struct dl_spool_item {
  const void *payload;
  size_t size;
  int span_count;
  const char *content_type; /* e.g. "application/x-protobuf" */
} dl_spool_item;

/* Records a new deployment.  Assigns an id when D has none and a trace
   context when it has none (a child of PARENT when given); without a
   previous version, D's becomes the last succeeded version of its
   service and environment (see dl_ledger_last_succeeded_version), if
   any.  D's status is its initial status.  SPOOL items (N_SPOOL, may be
   0) are inserted in the same transaction. */
int dl_ledger_record(dl_ledger *ledger, dl_deployment *d, const dl_trace_context *parent,
                     const dl_spool_item *spool, size_t n_spool, dl_error *err) DL_MUST_CHECK;

/* Moves deployment ID (full or unique prefix) to status TO at time AT
   (DL_TIME_NONE: now).  A transition the lifecycle forbids is
   DL_ETRANSITION naming both states.  On success *UPDATED (when not NULL)
   receives the new state, owned by the caller. */
int dl_ledger_transition(dl_ledger *ledger, const char *id, dl_deploy_status to, int64_t at,
                         const char *actor, const char *reason,
                         const dl_spool_item *spool, size_t n_spool,
                         dl_deployment **updated, dl_error *err) DL_MUST_CHECK;

/* Appends an attribute change. */
int dl_ledger_set_attribute(dl_ledger *ledger, const char *id, const char *key,
                            const char *value, int64_t at, const char *actor,
                            dl_error *err) DL_MUST_CHECK;

/* Appends a region or stage event: NAME reached STATUS at AT.  A stage
   follows the lifecycle of a deployment: its first event may have any
   status, a later one must be a transition dl_deploy_transition_check
   allows from the stage's latest status (DL_ETRANSITION naming both).  A
   finished deployment takes no stage (DL_ETRANSITION), nor does a time
   before the deployment started (DL_EINVAL). */
int dl_ledger_stage(dl_ledger *ledger, const char *id, const char *name,
                    dl_deploy_status status, int64_t at, const dl_spool_item *spool,
                    size_t n_spool, dl_error *err) DL_MUST_CHECK;

/* The current state of deployment ID (full id or unique prefix).  Unknown
   is DL_ENOTFOUND, a prefix of several DL_EAMBIGUOUS. */
int dl_ledger_find(dl_ledger *ledger, const char *id, dl_deployment **out,
                   dl_error *err) DL_MUST_CHECK;

/* The version of the newest deployment of SERVICE in ENVIRONMENT that
   started before BEFORE (DL_TIME_NONE: any time) and whose status is now
   succeeded, as a new string in *OUT (free it with free()); *OUT is NULL
   when there is none. */
int dl_ledger_last_succeeded_version(dl_ledger *ledger, const char *service,
                                     const char *environment, int64_t before, char **out,
                                     dl_error *err) DL_MUST_CHECK;

/* Which deployments to list; every field unset matches everything. */
typedef struct dl_query {
  const char *service;
  const char *environment;
  int status;            /* a dl_deploy_status, or -1 for any */
  int64_t since, until;  /* started in [since, until); DL_TIME_NONE: open */
  size_t limit;          /* 0: no limit */
  int latest;            /* nonzero: only the newest per service and environment */
} dl_query;

void dl_query_init(dl_query *q);

/* Deployments matching Q, newest first, into a new array *OUT of *N
   deployments; free with dl_deployment_list_free. */
int dl_ledger_query(dl_ledger *ledger, const dl_query *q, dl_deployment ***out, size_t *n,
                    dl_error *err) DL_MUST_CHECK;
void dl_deployment_list_free(dl_deployment **list, size_t n);

typedef enum dl_history_kind {
  DL_HISTORY_CREATED,
  DL_HISTORY_STATUS,
  DL_HISTORY_ATTRIBUTE,
  DL_HISTORY_STAGE
} dl_history_kind;

const char *dl_history_kind_name(dl_history_kind kind);

/* One entry of a deployment's history.  Unused strings are NULL. */
typedef struct dl_history_entry {
  int64_t seq;
  int64_t at;
  dl_history_kind kind;
  int status;            /* created, status, stage: a dl_deploy_status; else -1 */
  char *actor;
  char *reason;
  char *key;             /* attribute: key; stage: region or stage name */
  char *value;           /* attribute: value */
} dl_history_entry;

/* The history of deployment ID, oldest first. */
int dl_ledger_history(dl_ledger *ledger, const char *id, dl_history_entry **out, size_t *n,
                      dl_error *err) DL_MUST_CHECK;
void dl_history_free(dl_history_entry *entries, size_t n);

/* DORA figures of one service and environment over [since, until). */
typedef struct dl_dora {
  char *service;
  char *environment;
  int64_t since, until;
  long deployments;            /* started in the period */
  double per_day;              /* deployment frequency */
  long finished;               /* reached a final status */
  long failed;                 /* ended failed or rolled back */
  double change_failure_rate;  /* failed / finished; -1 when none finished */
  long restores;               /* failures followed by a success */
  int64_t time_to_restore;     /* median ns; -1 when no restore */
  long lead_samples;           /* successes with a commit time */
  int64_t lead_time;           /* median ns from commit to success; -1 when none */
} dl_dora;

/* DORA figures per service and environment (only SERVICE and ENVIRONMENT
   when not NULL) over [SINCE, UNTIL). */
int dl_ledger_dora(dl_ledger *ledger, const char *service, const char *environment,
                   int64_t since, int64_t until, dl_dora **out, size_t *n,
                   dl_error *err) DL_MUST_CHECK;
void dl_dora_free(dl_dora *figures, size_t n);

/* The export spool: encoded spans waiting for the collector, and the dead
   letters, items a collector refused for good.  An item keeps its id
   when it moves between the two (an id is never used by both). */
typedef struct dl_spool_entry {
  int64_t id;
  char *deployment_id;
  int64_t created;
  char *content_type;
  int span_count;
  void *payload;
  size_t size;
  int attempts;          /* requests sent for it so far, refused one included */
  int64_t next_attempt;  /* DL_TIME_NONE: at once */
  char *last_error;
  /* dead letters only */
  int64_t failed;
  int http_status;       /* the refusal's HTTP status; 0: none */
  int grpc_status;       /* the refusal's gRPC status; -1: not gRPC */
  char *response_body;   /* the collector's answer, escaped (dl_exporter_escape_body) */
  char *reason;
} dl_spool_entry;

/* Pending items due at NOW (next attempt unset or <= NOW), oldest first,
   at most LIMIT (0: all).  Only reads: see dl_ledger_spool_claim to send. */
int dl_ledger_spool_pending(dl_ledger *ledger, size_t limit, int64_t now,
                            dl_spool_entry **out, size_t *n, dl_error *err) DL_MUST_CHECK;
/* How long items claimed by dl_ledger_spool_claim stay out of other
   flushers' reach: a flusher that dies before it acknowledges, reschedules
   or dead-letters them leaves them to the others after this (ns). */
#define DL_SPOOL_CLAIM_LEASE (600 * 1000000000LL)

/* Claims the pending items due at NOW (of DEPLOYMENT_ID only, when not
   NULL) that no other flusher holds, oldest first, in one transaction:
   several flushers at once (processes or machines) each get different
   items, so no span is sent twice.  The caller sends each item and then
   acknowledges, reschedules (which releases the claim) or dead-letters
   it, or releases it untried.  Lease: DL_SPOOL_CLAIM_LEASE from the
   real time. */
int dl_ledger_spool_claim(dl_ledger *ledger, const char *deployment_id, int64_t now,
                          dl_spool_entry **out, size_t *n, dl_error *err) DL_MUST_CHECK;
/* Gives claimed item ID back untried (a flush that ran out of time or
   stopped at a collector that is down), due as it was. */
int dl_ledger_spool_release(dl_ledger *ledger, int64_t id, dl_error *err) DL_MUST_CHECK;
/* Every pending item, due or not, or (DEAD nonzero) every dead letter,
   oldest first. */
int dl_ledger_spool_list(dl_ledger *ledger, int dead, dl_spool_entry **out, size_t *n,
                         dl_error *err) DL_MUST_CHECK;
void dl_spool_entries_free(dl_spool_entry *entries, size_t n);

/* Spools ITEMS for deployment ID (full or unique prefix) in a
   transaction of their own, for spans made outside an event. */
int dl_ledger_spool_add(dl_ledger *ledger, const char *id, const dl_spool_item *items, size_t n,
                        dl_error *err) DL_MUST_CHECK;

/* The collector accepted item ID: delete it. */
int dl_ledger_spool_ack(dl_ledger *ledger, int64_t id, dl_error *err) DL_MUST_CHECK;
/* A temporary failure after ATTEMPTS more requests: try again at
   NEXT_ATTEMPT (DL_TIME_NONE: at the next flush). */
int dl_ledger_spool_retry_later(dl_ledger *ledger, int64_t id, int attempts,
                                int64_t next_attempt, const char *error_text,
                                dl_error *err) DL_MUST_CHECK;

/* Why a collector refused an item for good. Strings are borrowed. */
typedef struct dl_refusal {
  int attempts;              /* requests of the send that ended in the refusal */
  int http_status;           /* 0: no HTTP answer */
  int grpc_status;           /* -1: not gRPC */
  const char *response_body; /* printable text (escaped); stored as given */
  const char *reason;
} dl_refusal;

/* A permanent failure: move item ID to the dead letters. */
int dl_ledger_spool_dead_letter(dl_ledger *ledger, int64_t id, const dl_refusal *why,
                                dl_error *err) DL_MUST_CHECK;

/* Moves the dead letters IDS (N of them; N == 0: all) back to the spool,
   due at once, their attempts kept and the refusal as their last error:
   for when what made the collector refuse (an expired key, a wrong
   endpoint) is fixed.  One transaction: an id that is not a dead letter
   is DL_ENOTFOUND naming it, and nothing moves.  *MOVED (when not NULL)
   receives the count. */
int dl_ledger_spool_requeue(dl_ledger *ledger, const int64_t *ids, size_t n, size_t *moved,
                            dl_error *err) DL_MUST_CHECK;

/* Deletes the dead letters IDS (N == 0: all) for good, in one
   transaction; an id that is not a dead letter is DL_ENOTFOUND naming
   it, and nothing is deleted.  Pending items are never deleted here.
   *DELETED (when not NULL) receives the count. */
int dl_ledger_spool_purge(dl_ledger *ledger, const int64_t *ids, size_t n, size_t *deleted,
                          dl_error *err) DL_MUST_CHECK;

/* What dl_ledger_copy copied. */
typedef struct dl_copy_stats {
  long deployments;   /* copied */
  long skipped;       /* already in the target (with DL_COPY_FORCE) */
  long history;       /* history entries copied */
  long spooled;       /* spool items copied */
  long dead_letters;  /* dead letters copied */
} dl_copy_stats;

enum dl_copy_flag {
  /* Copy into a ledger that is not empty: the deployments it lacks are
     added with their history, spool and dead letters (numbered after
     its own); those it has are left as they are. */
  DL_COPY_FORCE = 1u << 0
};

/* Copies every deployment of FROM, with its history, trace context,
   spooled spans and dead letters, into TO (say an SQLite file into a
   PostgreSQL database, or back) in one transaction of TO: all of it or
   nothing.  FROM is read in one snapshot.  Into an empty TO, ids, history
   numbers and spool ids are kept, so the two list and show the same.  A
   TO that holds anything is DL_ESTORAGE naming it unless FLAGS has
   DL_COPY_FORCE.  *STATS (may be NULL) receives the counts. */
int dl_ledger_copy(dl_ledger *from, dl_ledger *to, unsigned flags, dl_copy_stats *stats,
                   dl_error *err) DL_MUST_CHECK;

#endif
