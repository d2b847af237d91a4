/* Trace ingest on real fixtures (tests/data/corpora, see its SOURCE.md
   files): every file decodes to the number of spans its README gives or
   fails with a clear error; values read from the files by hand; the same
   trace in OTLP and Jaeger form decodes to the same rows. */
#include "test-ingest-util.h"

/* Every file of tests/data/corpora: span count, or -1 for "must fail"
   with a piece of the expected message. */
static const struct {
  const char *path;
  long spans;
  const char *error;
} corpus[] = {
#define JUI "corpora/jaeger-ui/packages/jaeger-ui/src/"
#define TS JUI "components/TracePage/TraceStatistics/tableValuesTestTrace/"
  {JUI "components/TracePage/TraceFlamegraph/testTrace.json", 4, NULL},
  {JUI "components/TracePage/TraceGraph/testTrace.json", -1, "trace id \"trace-123\""},
  {TS "testTrace.json", -1, "is not hex or base64"},
  {TS "spanAmongEachOtherGroupedAndSpans.json", 17, NULL},
  {TS "spanLongerAsParent.json", 8, NULL},
  {TS "spansAmongEachOther.json", 12, NULL},
  {TS "spansAmongEachOtherGrouped.json", 15, NULL},
  {TS "testTraceNormal.json", 5, NULL},
  {TS "traceWithMultipleSpansWithTheSameValueInDifferentTags.json", 4, NULL},
  {TS "traceWithOverlappingChildren.json", 3, NULL},
  {TS "traceWithOverlappingChildrenLongerThanParent.json", 4, NULL},
  {TS "traceWithSingleChildLongerThanParentAndStartsAfterParent.json", 2, NULL},
  {TS "traceWithThreeShortChildren.json", 4, NULL},
  {TS "traceWithThreeShortOverlappingChildren.json", 4, NULL},
  {TS "traceWithTwoChildrenStartedAtTraceStart.json", 3, NULL},
  {TS "traceWithTwoNonOverlappingChildren.json", 3, NULL},
  {JUI "components/TracePage/TraceTimelineViewer/genaiTestTrace.json", 57, NULL},
  {JUI "utils/fixtures/otlp2jaeger-in.json", 2, NULL},
  {JUI "utils/fixtures/otlp2jaeger-out.json", 2, NULL},
  {JUI "utils/fixtures/otlp2jaeger-in-error.json", 1, NULL},
  {JUI "utils/fixtures/otlp2jaeger-multi-in.json.txt", 4, NULL},
  {JUI "utils/fixtures/otlp2jaeger-multi-in-combined.json", 4, NULL},
  {JUI "utils/fixtures/oltp2jaeger-multi-out.json", 4, NULL},
#define JG "corpora/jaeger/"
#define UIC JG "cmd/anonymizer/app/uiconv/fixtures/"
#define V3 JG "cmd/jaeger/internal/extension/jaegerquery/internal/apiv3/snapshots/"
#define ST JG "internal/storage/integration/fixtures/traces/"
  {UIC "trace_success.json", 2, NULL},
  {UIC "trace_empty.json", -1, "empty input"},
  {UIC "trace_invalid_json.json", -1, "$[0].duration: duration \"invalid\""},
  {UIC "trace_scan_error.json", -1, "trace_scan_error.json:2:1:"},
  {UIC "trace_wrong_format.json", -1, "a single span, not a trace document"},
  {V3 "GetTrace.json", 1, NULL},
  {V3 "FindTraces.json", 1, NULL},
  {V3 "FindTraceSummaries.json", -1, "neither OTLP"},
  {V3 "GetServices.json", -1, "neither OTLP"},
  {V3 "GetOperations.json", -1, "neither OTLP"},
  {JG "cmd/jaeger/internal/extension/jaegerquery/internal/fixture/otlp2jaeger-in.json", 2, NULL},
  {JG "cmd/jaeger/internal/extension/jaegerquery/internal/fixture/otlp2jaeger-out.json", 2, NULL},
  {JG "internal/converter/thrift/jaeger/fixtures/thrift_batch_01.json", 1, NULL},
  {JG "internal/converter/thrift/jaeger/fixtures/thrift_batch_02.json", 2, NULL},
  {JG "internal/converter/thrift/jaeger/fixtures/domain_01.json", 1, NULL},
  {JG "internal/converter/thrift/jaeger/fixtures/domain_02.json", 2, NULL},
  {JG "internal/converter/thrift/jaeger/fixtures/domain_03.json", 2, NULL},
  {JG "internal/uimodel/converter/v1/json/fixtures/ui_01.json", 5, NULL},
  {JG "internal/uimodel/converter/v1/json/fixtures/domain_01.json", 5, NULL},
  {JG "internal/uimodel/converter/v1/json/fixtures/es_01.json", -1, "a single span"},
  {JG "internal/uimodel/converter/v1/json/fixtures/domain_es_01.json", -1, "a single span"},
  {JG "internal/storage/v2/memory/fixtures/otel_traces_01.json", 4, NULL},
  {JG "internal/storage/v2/elasticsearch/tracestore/fixtures/otel_traces_01.json", 1, NULL},
  {JG "internal/storage/v2/cassandra/tracestore/fixtures/otel_traces_01.json", 1, NULL},
  {"corpora/opentelemetry-proto/examples/trace.json", 1, NULL},
  {"corpora/opentelemetry-proto/examples/trace.protobuf-bin", 1, NULL},
  {"corpora/opentelemetry-proto/examples/trace.protobuf-text", -1, "protobuf text format"},
  {"corpora/opentelemetry-specification/file-exporter-traces-example.jsonl", 8, NULL},
  {"corpora/opentelemetry-collector/exporter/debugexporter/internal/otlptext/testdata/traces/two_spans.out",
   -1, "not OTLP protobuf, OTLP JSON or Jaeger JSON"},
  {"corpora/opentelemetry-collector/exporter/debugexporter/internal/otlptext/testdata/traces/traces_with_entity_refs.out",
   -1, "not OTLP protobuf"},
  {"corpora/otlp2parquet/testdata/trace.json", 2, NULL},
  {"corpora/otlp2parquet/testdata/trace.pb", 2, NULL},
  {"corpora/otlp2parquet/testdata/traces.jsonl", 19, NULL},
  {"corpora/otlp2parquet/testdata/traces.pb", 19, NULL},
  {"corpora/otlp2parquet/testdata/invalid/trace_invalid_base64.json", -1,
   "trace_invalid_base64.json:21:26: $.resourceSpans[0].scopeSpans[0].spans[0].traceId: trace id \"!!!INVALID_BASE64!!!\""},
  {"corpora/otlp2parquet/testdata/invalid/trace_invalid_kind.json", -1,
   "trace_invalid_kind.json:24:23: $.resourceSpans[0].scopeSpans[0].spans[0].kind: unknown span kind \"SPAN_KIND_INVALID_TYPE\""},
  {"corpora/otlp2parquet/testdata/invalid/trace_mixed_encoding.json", -1, "trace id \"zzz\""},
};

/* The 32 OTLP JSON storage fixtures of Jaeger: 38 spans in all. */
static const char *storage_fixtures[] = {
  "default", "dur_trace", "example_trace", "link_attributes_trace", "log_tags_trace",
  "max_dur_trace", "multi_index_trace", "multi_spot_tags_trace", "multiple1_trace",
  "multiple2_trace", "multiple3_trace", "multispottag_dur_trace", "multispottag_maxdur_trace",
  "multispottag_opname_dur_trace", "multispottag_opname_maxdur_trace", "multispottag_opname_trace",
  "opname_dur_trace", "opname_maxdur_trace", "opname_trace", "process_tags_trace",
  "scope_attributes_trace", "scope_name_version_trace", "span_tags_trace", "tags_dur_trace",
  "tags_escaped_operator_trace_1", "tags_escaped_operator_trace_2", "tags_maxdur_trace",
  "tags_opname_dur_trace", "tags_opname_maxdur_trace", "tags_opname_trace",
  "tags_wildcard_regex_1", "tags_wildcard_regex_2",
};

static void
test_corpus(void)
{
  for (size_t i = 0; i < sizeof corpus / sizeof corpus[0]; i++) {
    dl_error err;
    const char *base = strrchr(corpus[i].path, '/') + 1;
    dl_trace_set *set = load_data(corpus[i].path, 0, NULL, &err);
    if (corpus[i].spans >= 0) {
      ok(set && dl_trace_set_count(set) == (size_t) corpus[i].spans, "%s: %ld spans", base,
         corpus[i].spans);
      if (!set)
        tap_diag("%s", err.text);
      else if (dl_trace_set_count(set) != (size_t) corpus[i].spans)
        tap_diag("got %zu", dl_trace_set_count(set));
    } else {
      ok(!set && strstr(err.text, corpus[i].error) && strstr(err.text, base),
         "%s fails naming itself: %s", base, corpus[i].error);
      if (set || !strstr(err.text, corpus[i].error))
        tap_diag("got: %s", set ? "success" : err.text);
    }
    dl_trace_set_free(set);
  }
  size_t total = 0;
  int all = 1;
  for (size_t i = 0; i < sizeof storage_fixtures / sizeof storage_fixtures[0]; i++) {
    char name[256];
    dl_error err;
    snprintf(name, sizeof name, ST "%s.json", storage_fixtures[i]);
    dl_trace_set *set = load_data(name, 0, NULL, &err);
    if (!set) {
      all = 0;
      tap_diag("%s: %s", storage_fixtures[i], err.text);
      continue;
    }
    total += dl_trace_set_count(set);
    dl_trace_set_free(set);
  }
  ok(all, "all 32 Jaeger storage fixtures decode");
  is_int(total, 38, "38 spans in the storage fixtures");

  /* The whole corpus as one directory: strict fails on the first bad
     file and leaves nothing; lenient skips the bad ones. */
  dl_error err;
  dl_trace_set *set = load_data("corpora", 0, NULL, &err);
  ok(set == NULL, "the corpus directory fails strictly (it holds negative cases)");
  dl_ingest_stats st;
  set = load_data("corpora", 1, &st, &err);
  ok(set != NULL, "and loads leniently");
  if (set) {
    /* Every count of the table and the storage fixtures, plus the 11
       non-hex spans skipped twice and 16 failing files skipped. */
    size_t want = 38;
    for (size_t i = 0; i < sizeof corpus / sizeof corpus[0]; i++)
      if (corpus[i].spans > 0 && !strstr(corpus[i].path, ".out") && !strstr(corpus[i].path, ".txt"))
        want += (size_t) corpus[i].spans;
    is_int(dl_trace_set_count(set), want, "lenient directory load keeps every good span");
    ok(st.warning.code != 0 && st.skipped > 0, "and reports what it skipped (%zu)", st.skipped);
    dl_trace_set_free(set);
  }
}

static void
test_hand_values(void)
{
  dl_error err;
  /* opentelemetry-proto's example: upper-case hex ids in the JSON. */
  const char *pair[] = {"corpora/opentelemetry-proto/examples/trace.json",
                        "corpora/opentelemetry-proto/examples/trace.protobuf-bin"};
  for (int k = 0; k < 2; k++) {
    dl_trace_set *set = load_data(pair[k], 0, NULL, &err);
    if (!ok(set != NULL, "load %s", pair[k])) {
      tap_diag("%s", err.text);
      continue;
    }
    dl_span_columns c;
    dl_trace_set_columns(set, &c);
    is_str(hex(c.trace_id[0], 16), "5b8efff798038103d269b633813fc60c", "trace id");
    is_str(hex(c.span_id[0], 8), "eee19b7ec3c1b174", "span id");
    is_str(hex(c.parent_id[0], 8), "eee19b7ec3c1b173", "parent id");
    is_int(c.start[0], 1544712660000000000LL, "start");
    is_int(c.duration[0], 1000000000LL, "duration 1 s");
    is_int(c.kind[0], DL_KIND_SERVER, "kind SERVER");
    is_int(c.flags[0], DL_ROW_HAS_PARENT, "no error, has a parent");
    is_str(str_or(set, c.service[0], "-"), "my.service", "service");
    is_str(str_or(set, c.operation[0], "-"), "I'm a server span", "operation");
    dl_trace_set_free(set);
  }

  /* The file exporter example: empty ids, status ERROR with a message. */
  dl_trace_set *set = load_data("corpora/opentelemetry-specification/file-exporter-traces-example.jsonl", 0, NULL, &err);
  if (ok(set != NULL, "file exporter JSON Lines")) {
    dl_span_columns c;
    dl_trace_set_columns(set, &c);
    ok(dl_id_is_zero(c.trace_id[0], 16) && dl_id_is_zero(c.span_id[0], 8), "empty ids are zero");
    is_str(str_or(set, c.operation[0], "-"), "operationA", "first span operationA");
    is_str(str_or(set, c.operation[1], "-"), "operationB", "second span operationB");
    is_int(c.start[0], 1581452772000000321LL, "start 1581452772000000321");
    is_int(c.duration[0], 1000000468LL, "end 1581452773000000789");
    is_int(c.flags[0] & DL_ROW_ERROR, DL_ROW_ERROR, "status code 2 is an error");
    is_str(str_or(set, c.error_type[0], "-"), "status-cancelled", "error type from the status message");
    is_int(c.flags[1], 0, "operationB has an empty status");
    dl_trace_set_free(set);
  }

  /* otlp2parquet: base64 ids and enum names in its JSON. */
  set = load_data("corpora/otlp2parquet/testdata/trace.json", 0, NULL, &err);
  if (ok(set != NULL, "otlp2parquet trace.json")) {
    dl_span_columns c;
    dl_trace_set_columns(set, &c);
    /* nXmxo38xgBzRGmcG+0DWvQ== 3lYkOenBuCM= V1JoRpA7sT4= */
    is_str(hex(c.trace_id[0], 16), "9d79b1a37f31801cd11a6706fb40d6bd", "base64 trace id");
    is_str(hex(c.span_id[0], 8), "de562439e9c1b823", "base64 span id");
    is_str(hex(c.parent_id[0], 8), "57526846903bb13e", "base64 parent id");
    is_int(c.kind[0], DL_KIND_CLIENT, "SPAN_KIND_CLIENT");
    is_int(c.start[0], 1760738064624462000LL, "start");
    is_int(c.duration[0], 1760738064628483000LL - 1760738064624462000LL, "duration");
    is_str(str_or(set, c.service[0], "-"), "frontend-proxy", "service");
    is_str(str_or(set, c.version[0], "-"), "2.1.3", "service.version");
    is_str(str_or(set, c.operation[0], "-"), "router frontend egress", "name");
    dl_trace_set_free(set);
  }

  /* Jaeger's UI model fixture: processes, references, tags of every type. */
  set = load_data("corpora/jaeger/internal/uimodel/converter/v1/json/fixtures/ui_01.json", 0, NULL, &err);
  if (ok(set != NULL, "ui_01.json")) {
    dl_span_columns c;
    dl_trace_set_columns(set, &c);
    is_str(hex(c.trace_id[0], 16), "00000000000000000000000000000001", "16-digit trace id right-aligned");
    is_str(str_or(set, c.service[0], "-"), "service-x", "process p1");
    is_str(str_or(set, c.service[2], "-"), "service-y", "process p2");
    is_int(c.flags[1] & DL_ROW_ERROR, DL_ROW_ERROR, "tag error=true marks an error");
    is_str(hex(c.parent_id[2], 8), "0000000000000002", "CHILD_OF reference is the parent");
    is_str(hex(c.parent_id[3], 8), "0000000000000002",
           "CHILD_OF in the same trace wins over one in another trace and FOLLOWS_FROM");
    is_int(c.start[0], 1485467191639875000LL, "start in microseconds");
    is_int(c.duration[4], 4000, "duration 4 us");
    dl_trace_set_free(set);
  }
  set = load_data("corpora/jaeger/internal/uimodel/converter/v1/json/fixtures/domain_01.json", 0, NULL, &err);
  if (ok(set != NULL, "domain_01.json (internal model)")) {
    dl_span_columns c;
    dl_trace_set_columns(set, &c);
    is_str(hex(c.trace_id[0], 16), "00000000000000000000000000000001", "base64 trace id");
    /* 2017-01-26T16:46:31.639875139-05:00 */
    is_int(c.start[0], 1485467191639875139LL, "RFC 3339 start with nanoseconds");
    is_int(c.duration[0], 5000, "\"5000ns\" duration");
    is_str(str_or(set, c.service[0], "-"), "service-x", "embedded process");
    dl_trace_set_free(set);
  }
  set = load_data("corpora/jaeger/internal/converter/thrift/jaeger/fixtures/thrift_batch_01.json", 0, NULL, &err);
  if (ok(set != NULL, "thrift_batch_01.json")) {
    dl_span_columns c;
    dl_trace_set_columns(set, &c);
    /* traceIdLow 5951113872249657919, spanId 6585752, parentSpanId 6866147 */
    is_str(hex(c.trace_id[0], 16), "000000000000000052969a8955571a3f", "traceIdLow");
    is_str(hex(c.span_id[0], 8), "0000000000647d98", "numeric span id");
    is_str(hex(c.parent_id[0], 8), "000000000068c4e3", "numeric parent id");
    is_int(c.duration[0], 22938000, "duration 22938 us");
    is_int(c.kind[0], DL_KIND_SERVER, "span.kind server");
    is_str(str_or(set, c.service[0], "-"), "api", "the batch's process");
    dl_trace_set_free(set);
  }
  /* Ids with dropped leading zeros. */
  set = load_data(TS "spanLongerAsParent.json", 0, NULL, &err);
  if (ok(set != NULL, "spanLongerAsParent.json")) {
    dl_span_columns c;
    dl_trace_set_columns(set, &c);
    is_str(hex(c.parent_id[0], 8), "04b52eb0cabcb50a", "15-digit span id padded with a zero");
    is_str(str_or(set, c.service[0], "-"), "customers-service", "service");
    dl_trace_set_free(set);
  }
  /* The GenAI trace: one SERVER span answered 500. */
  set = load_data(JUI "components/TracePage/TraceTimelineViewer/genaiTestTrace.json", 0, NULL, &err);
  if (ok(set != NULL, "genaiTestTrace.json")) {
    long r = find_span(set, "0000000000000011");
    dl_span_columns c;
    dl_trace_set_columns(set, &c);
    ok(r >= 0, "span 0000000000000011 found");
    if (r >= 0) {
      is_str(str_or(set, c.service[r], "-"), "k8s-api", "its service (process p8)");
      is_str(str_or(set, c.operation[r], "-"), "GET /api/v1/pods", "its operation");
      is_int(c.flags[r], DL_ROW_ERROR | DL_ROW_HAS_PARENT, "an error");
      is_str(str_or(set, c.error_type[r], "-"), "HTTP 500 /api/v1/pods", "error type from status and route");
      is_str(hex(c.parent_id[r], 8), "000000000000000f", "parent");
      is_int(c.start[r], 1770000000017000000LL, "start");
    }
    size_t errors = 0;
    for (size_t i = 0; i < c.count; i++)
      errors += (c.flags[i] & DL_ROW_ERROR) != 0;
    is_int(errors, 1, "exactly one error span in 57");
    uint32_t *ids;
    size_t n;
    if (dl_trace_set_distinct(set, NULL, DL_FIELD_SERVICE, &ids, &n, &err) == DL_OK) {
      is_int(n, 10, "ten services (p1..p10)");
      free(ids);
    }
    dl_trace_set_free(set);
  }
  /* Jaeger v2 memory fixture: kinds 2..5, status ERROR, two traces. */
  set = load_data(JG "internal/storage/v2/memory/fixtures/otel_traces_01.json", 0, NULL, &err);
  if (ok(set != NULL, "memory otel_traces_01.json")) {
    dl_span_columns c;
    dl_trace_set_columns(set, &c);
    for (int i = 0; i < 4; i++) {
      is_int(c.kind[i], i + 2, "span %d kind %d", i, i + 2);
      is_int(c.flags[i] & DL_ROW_ERROR, DL_ROW_ERROR, "span %d status ERROR", i);
    }
    is_str(hex(c.trace_id[1], 16), "00000000000000020000000000000000", "second trace");
    is_int(c.duration[0], 5000, "5 us");
    dl_trace_set_free(set);
  }
}

/* The same trace in OTLP JSON, OTLP protobuf and Jaeger JSON. */
static void
test_equivalence(void)
{
  static const struct {
    const char *a, *b;
    int64_t unit;
  } pairs[] = {
    {JUI "utils/fixtures/otlp2jaeger-in.json", JUI "utils/fixtures/otlp2jaeger-out.json", 1000},
    {JUI "utils/fixtures/otlp2jaeger-multi-in-combined.json", JUI "utils/fixtures/oltp2jaeger-multi-out.json", 1000},
    {JUI "utils/fixtures/otlp2jaeger-multi-in.json.txt", JUI "utils/fixtures/otlp2jaeger-multi-in-combined.json", 1},
    {"corpora/otlp2parquet/testdata/trace.json", "corpora/otlp2parquet/testdata/trace.pb", 1},
    {"corpora/otlp2parquet/testdata/traces.jsonl", "corpora/otlp2parquet/testdata/traces.pb", 1},
    {"corpora/opentelemetry-proto/examples/trace.json", "corpora/opentelemetry-proto/examples/trace.protobuf-bin", 1},
    {"corpora/jaeger/internal/converter/thrift/jaeger/fixtures/thrift_batch_02.json",
     "corpora/jaeger/internal/converter/thrift/jaeger/fixtures/domain_02.json", 1},
  };
  for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
    dl_error err;
    dl_trace_set *a = load_data(pairs[i].a, 0, NULL, &err);
    dl_trace_set *b = a ? load_data(pairs[i].b, 0, NULL, &err) : NULL;
    char why[300] = "";
    ok(a && b && same_spans(a, b, pairs[i].unit, why, sizeof why), "%s == %s",
       strrchr(pairs[i].a, '/') + 1, strrchr(pairs[i].b, '/') + 1);
    if (!a || !b)
      tap_diag("%s", err.text);
    else if (why[0])
      tap_diag("%s", why);
    dl_trace_set_free(a);
    dl_trace_set_free(b);
  }
}

int
main(void)
{
  test_corpus();
  test_hand_values();
  test_equivalence();
  return tap_done();
}
