/* A deployment as OTLP spans, streamed as the deployment goes:
 *
 *   start   a short child span marking the start, exported at once;
 *   stage   a child span per region or stage, when it completes;
 *   end     the deployment span itself, when the deployment ends, with a
 *           span event per status transition and per policy rule that
 *           fired (see DL_POLICY_FIRED_PREFIX), and links to the traces
 *           it affected or the pipeline that ran it.
 *
 * All in the deployment's own trace: its span id is the deployment's
 * context, its parent the pipeline's span when it ran inside one. */
#ifndef DL_DEPLOYMENT_SPAN_H
#define DL_DEPLOYMENT_SPAN_H

#include "arena.h"
#include "deployment.h"
#include "ledger.h"
#include "span.h"

/* A history attribute whose key is this prefix and a rule's name records
   that the rule of a watch policy fired for the deployment (its value says
   why); the end span has an event "deploy_ledger.policy.fired" for each. */
#define DL_POLICY_FIRED_PREFIX "deploy_ledger.policy.fired."

typedef enum dl_span_part {
  DL_PART_START,
  DL_PART_STAGE,
  DL_PART_END
} dl_span_part;

/* Extra resource attributes (OTEL_RESOURCE_ATTRIBUTES); service.name and
   service.version always come from the deployment. */
typedef struct dl_resource_extra {
  const dl_kv *attrs;
  size_t n;
} dl_resource_extra;

/* Builds the PART spans of D into *OUT, allocated in ARENA.  HISTORY (may
   be empty) gives the status events and the stage times; STAGE names the
   region or stage for DL_PART_STAGE; LINKS are trace contexts for the end
   span.  D must have its trace context. */
int dl_deployment_spans(dl_arena *arena, const dl_deployment *d, const dl_history_entry *history,
                        size_t n_history, dl_span_part part, const char *stage,
                        const dl_trace_context *links, size_t n_links,
                        const dl_resource_extra *extra, dl_export_request *out,
                        dl_error *err) DL_MUST_CHECK;

/* Parses OTEL_RESOURCE_ATTRIBUTES-style text "k1=v1,k2=v2" (values
   percent-decoded) into attributes in ARENA. */
int dl_resource_attributes_parse(dl_arena *arena, const char *text, dl_resource_extra *out,
                                 dl_error *err) DL_MUST_CHECK;

#endif
