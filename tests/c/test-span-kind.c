/* Span kinds by name (the one table, span-kind.c): every name round-trips
   to its OTLP number, case is ignored, anything else is refused with the
   valid names listed; and the decoders read kinds through it. */
#include "deploy-ledger/deploy-ledger.h"
#include "tap.h"

#include <stdlib.h>

static void
test_names(void)
{
  /* The numbers are those of the OTLP SpanKind enum. */
  static const struct {
    const char *name;
    int kind;
  } expected[] = {{"unspecified", 0}, {"internal", 1}, {"server", 2},
                  {"client", 3},      {"producer", 4}, {"consumer", 5}};
  ok(DL_KIND_COUNT == 6, "six span kinds");
  for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
    const char *name = dl_span_kind_name(expected[i].kind);
    ok(name && strcmp(name, expected[i].name) == 0, "kind %d is named %s", expected[i].kind,
       expected[i].name);
    int k = -1;
    ok(dl_span_kind_parse(expected[i].name, strlen(expected[i].name), &k, NULL) == DL_OK
         && k == expected[i].kind,
       "%s parses back to %d", expected[i].name, expected[i].kind);
  }
  ok(dl_span_kind_name(-1) == NULL && dl_span_kind_name(6) == NULL
       && dl_span_kind_name(255) == NULL,
     "no name for -1, 6 or 255");

  int k = -1;
  ok(dl_span_kind_parse("SERVER", 6, &k, NULL) == DL_OK && k == DL_KIND_SERVER,
     "case is ignored: SERVER is server");
  /* LEN bounds the name: "servers" cut to 6 bytes is "server". */
  ok(dl_span_kind_parse("servers", 6, &k, NULL) == DL_OK && k == DL_KIND_SERVER,
     "the length bounds the name");

  dl_error err;
  k = 42;
  ok(dl_span_kind_parse("sideways", 8, &k, &err) == DL_EINVAL && k == 42,
     "an unknown kind is refused and *KIND left alone");
  ok(strcmp(err.text, "unknown span kind \"sideways\" (expected unspecified, internal, server, "
                      "client, producer or consumer)")
       == 0,
     "the error lists every valid kind: %s", err.text);
  ok(dl_span_kind_parse("servers", 7, &k, &err) == DL_EINVAL, "a longer name is not a kind");
  ok(dl_span_kind_parse("", 0, &k, &err) == DL_EINVAL, "the empty name is not a kind");
  ok(dl_span_kind_parse(NULL, 0, &k, &err) == DL_EINVAL && strstr(err.text, "\"\""),
     "NULL is refused as the empty name");
  ok(dl_span_kind_parse("any", 3, &k, NULL) == DL_EINVAL, "\"any\" is a filter's word, not a kind");
}

/* The decoders read kinds by the same table: Jaeger's span.kind tag in
   any case, OTLP JSON's enum names, and an unknown tag as unspecified. */
static void
test_decoders(void)
{
  static const char jaeger[] =
    "{\"data\":[{\"traceID\":\"0af7651916cd43dd8448eb211c80319c\",\"spans\":["
    "{\"traceID\":\"0af7651916cd43dd8448eb211c80319c\",\"spanID\":\"b7ad6b7169203331\","
    "\"operationName\":\"GET /a\",\"startTime\":1700000000000000,\"duration\":1000,"
    "\"processID\":\"p1\",\"tags\":[{\"key\":\"span.kind\",\"type\":\"string\",\"value\":\"Producer\"}]},"
    "{\"traceID\":\"0af7651916cd43dd8448eb211c80319c\",\"spanID\":\"b7ad6b7169203332\","
    "\"operationName\":\"GET /b\",\"startTime\":1700000000000000,\"duration\":1000,"
    "\"processID\":\"p1\",\"tags\":[{\"key\":\"span.kind\",\"type\":\"string\",\"value\":\"sideways\"}]}],"
    "\"processes\":{\"p1\":{\"serviceName\":\"cart\",\"tags\":[]}}}]}";
  static const char otlp[] =
    "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\","
    "\"value\":{\"stringValue\":\"cart\"}}]},\"scopeSpans\":[{\"spans\":["
    "{\"traceId\":\"0af7651916cd43dd8448eb211c80319c\",\"spanId\":\"b7ad6b7169203331\","
    "\"name\":\"GET /a\",\"kind\":\"SPAN_KIND_CONSUMER\",\"startTimeUnixNano\":\"1700000000000000000\","
    "\"endTimeUnixNano\":\"1700000000001000000\"}]}]}]}";
  static const char otlp_bad[] =
    "{\"resourceSpans\":[{\"resource\":{\"attributes\":[]},\"scopeSpans\":[{\"spans\":["
    "{\"traceId\":\"0af7651916cd43dd8448eb211c80319c\",\"spanId\":\"b7ad6b7169203331\","
    "\"name\":\"GET /a\",\"kind\":\"SPAN_KIND_SIDEWAYS\",\"startTimeUnixNano\":\"1700000000000000000\","
    "\"endTimeUnixNano\":\"1700000000001000000\"}]}]}]}";
  dl_error err;
  dl_error_clear(&err);
  dl_span_columns c;

  dl_trace_set *set = dl_trace_set_new();
  ok(dl_decode(set, jaeger, sizeof jaeger - 1, "jaeger.json", NULL, NULL, &err) == DL_OK,
     "Jaeger JSON decodes: %s", err.text);
  dl_trace_set_columns(set, &c);
  ok(c.count == 2 && c.kind[0] == DL_KIND_PRODUCER, "Jaeger span.kind \"Producer\" is producer");
  ok(c.count == 2 && c.kind[1] == DL_KIND_UNSPECIFIED, "an unknown span.kind tag is unspecified");
  dl_trace_set_free(set);

  set = dl_trace_set_new();
  ok(dl_decode(set, otlp, sizeof otlp - 1, "otlp.json", NULL, NULL, &err) == DL_OK,
     "OTLP JSON decodes: %s", err.text);
  dl_trace_set_columns(set, &c);
  ok(c.count == 1 && c.kind[0] == DL_KIND_CONSUMER, "OTLP JSON SPAN_KIND_CONSUMER is consumer");
  dl_trace_set_free(set);

  set = dl_trace_set_new();
  ok(dl_decode(set, otlp_bad, sizeof otlp_bad - 1, "bad.json", NULL, NULL, &err) == DL_EPARSE
       && strstr(err.text, "unknown span kind \"SPAN_KIND_SIDEWAYS\""),
     "OTLP JSON with an unknown kind name is refused: %s", err.text);
  dl_trace_set_free(set);
}

int
main(void)
{
  test_names();
  test_decoders();
  return tap_done();
}
