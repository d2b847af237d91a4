/* Test support: the span model and protobuf-c's generated OTLP messages. */
#ifndef OTLP_PBC_H
#define OTLP_PBC_H

#include "deploy-ledger/deploy-ledger.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"

typedef Opentelemetry__Proto__Common__V1__AnyValue PbAnyValue;
typedef Opentelemetry__Proto__Common__V1__ArrayValue PbArrayValue;
typedef Opentelemetry__Proto__Common__V1__KeyValueList PbKeyValueList;
typedef Opentelemetry__Proto__Common__V1__KeyValue PbKeyValue;
typedef Opentelemetry__Proto__Common__V1__InstrumentationScope PbScope;
typedef Opentelemetry__Proto__Resource__V1__Resource PbResource;
typedef Opentelemetry__Proto__Trace__V1__Span PbSpan;
typedef Opentelemetry__Proto__Trace__V1__Span__Event PbEvent;
typedef Opentelemetry__Proto__Trace__V1__Span__Link PbLink;
typedef Opentelemetry__Proto__Trace__V1__Status PbStatus;
typedef Opentelemetry__Proto__Trace__V1__ScopeSpans PbScopeSpans;
typedef Opentelemetry__Proto__Trace__V1__ResourceSpans PbResourceSpans;
typedef Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest PbRequest;

/* REQ as protobuf-c messages allocated in A. */
PbRequest *pbc_from_model(dl_arena *a, const dl_export_request *req);

/* The model of N_RSS resource spans, allocated in A. */
int model_from_pbc(dl_arena *a, PbResourceSpans **rss, size_t n_rss, dl_export_request *out);

/* A random request drawn from *SEED (a state of seeded-random.h),
   allocated in A: every value kind, empty and huge strings, many
   attributes, nesting. */
void random_request(dl_arena *a, uint64_t *seed, dl_export_request *out);

#endif
