/* The project's OTLP .proto files, compiled by protoc-c, read the binary
   example of opentelemetry-proto and write it back byte for byte: the
   field numbers and types are upstream's. */
#include "deploy-ledger/deploy-ledger.h"
#include "tap.h"

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"

#include <stdlib.h>

static unsigned char *
slurp(const char *name, size_t *size)
{
  const char *top = getenv("abs_top_srcdir");
  char path[4096];
  snprintf(path, sizeof path, "%s/tests/data/otlp/%s", top ? top : ".", name);
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  unsigned char *buf = malloc(1 << 16);
  *size = fread(buf, 1, 1 << 16, f);
  fclose(f);
  return buf;
}

static int
has_string(const Opentelemetry__Proto__Common__V1__KeyValue *kv, const char *key,
           const char *value)
{
  return kv && strcmp(kv->key, key) == 0 && kv->value
         && kv->value->value_case == OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE
         && strcmp(kv->value->string_value, value) == 0;
}

int
main(void)
{
  size_t size = 0;
  unsigned char *bin = slurp("trace.protobuf-bin", &size);
  ok(bin && size == 214, "read the 214-byte binary example");
  if (!bin)
    return tap_done();

  Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest *req =
    opentelemetry__proto__collector__trace__v1__export_trace_service_request__unpack(NULL, size, bin);
  ok(req != NULL, "protobuf-c unpacks it with our .proto files");
  if (!req) {
    free(bin);
    return tap_done();
  }
  is_int(req->n_resource_spans, 1, "one ResourceSpans");
  Opentelemetry__Proto__Trace__V1__ResourceSpans *rs = req->resource_spans[0];
  ok(rs->resource && rs->resource->n_attributes == 1
       && has_string(rs->resource->attributes[0], "service.name", "my.service"),
     "resource service.name = my.service");
  is_int(rs->n_scope_spans, 1, "one ScopeSpans");
  Opentelemetry__Proto__Trace__V1__ScopeSpans *ss = rs->scope_spans[0];
  is_str(ss->scope->name, "my.library", "scope name");
  is_str(ss->scope->version, "1.0.0", "scope version");
  ok(ss->scope->n_attributes == 1
       && has_string(ss->scope->attributes[0], "my.scope.attribute", "some scope attribute"),
     "scope attribute");
  is_int(ss->n_spans, 1, "one span");
  Opentelemetry__Proto__Trace__V1__Span *sp = ss->spans[0];
  char hex[33];
  dl_hex_encode(sp->trace_id.data, sp->trace_id.len, hex);
  is_str(hex, "5b8efff798038103d269b633813fc60c", "trace id");
  dl_hex_encode(sp->span_id.data, sp->span_id.len, hex);
  is_str(hex, "eee19b7ec3c1b174", "span id");
  dl_hex_encode(sp->parent_span_id.data, sp->parent_span_id.len, hex);
  is_str(hex, "eee19b7ec3c1b173", "parent span id");
  is_str(sp->name, "I'm a server span", "span name");
  is_int(sp->kind, OPENTELEMETRY__PROTO__TRACE__V1__SPAN__SPAN_KIND__SPAN_KIND_SERVER, "kind SERVER");
  is_int(sp->start_time_unix_nano, 1544712660000000000LL, "start time");
  is_int(sp->end_time_unix_nano, 1544712661000000000LL, "end time");
  ok(sp->n_attributes == 1 && has_string(sp->attributes[0], "my.span.attr", "some value"),
     "span attribute");

  size_t packed_size =
    opentelemetry__proto__collector__trace__v1__export_trace_service_request__get_packed_size(req);
  unsigned char *again = malloc(packed_size);
  opentelemetry__proto__collector__trace__v1__export_trace_service_request__pack(req, again);
  ok(packed_size == size && memcmp(again, bin, size) == 0,
     "packing it again gives protoc's bytes");
  free(again);
  opentelemetry__proto__collector__trace__v1__export_trace_service_request__free_unpacked(req, NULL);
  free(bin);
  return tap_done();
}
