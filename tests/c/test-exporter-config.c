/* The exporter's settings through their one setter: the environment and
   a caller's keys parse alike and fail alike (naming the setting, the
   value and the valid ones); endpoints other than http(s) refused;
   headers and resource attributes decoded once, replaced by name, and
   the resource attributes present in what is exported; credentials in
   the endpoint never described. */
#define _GNU_SOURCE
#include "tap.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deploy-ledger/deploy-ledger.h"

static const char *const vars[] = {
  "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_HEADERS",
  "OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_EXPORTER_OTLP_COMPRESSION",
  "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_RESOURCE_ATTRIBUTES",
  "OTEL_SERVICE_NAME", "OTEL_EXPORTER_OTLP_CERTIFICATE"};

static void
clean_env(void)
{
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
    unsetenv(vars[i]);
}

static const char *
header(const dl_exporter_config *c, const char *name)
{
  for (size_t i = 0; i < c->n_headers; i++)
    if (strcasecmp(c->headers[i].name, name) == 0)
      return c->headers[i].value;
  return NULL;
}

static void
test_setter(void)
{
  dl_exporter_config c;
  dl_error err = {0};
  ok(dl_exporter_config_init(&c, NULL) == DL_OK && strcmp(c.endpoint, "http://localhost:4318/v1/traces") == 0
       && c.protocol == DL_PROTOCOL_PROTOBUF && !c.gzip && c.timeout_ms == 10000
       && c.deadline_ms == 30000 && c.initial_backoff_ms == 500 && c.max_backoff_ms == 8000,
     "defaults");
  ok(dl_exporter_config_set(&c, "protocol", "http/json", &err) == DL_OK && c.protocol == DL_PROTOCOL_JSON
       && dl_exporter_config_set(&c, "compression", "gzip", &err) == DL_OK && c.gzip
       && dl_exporter_config_set(&c, "timeout", "2500", &err) == DL_OK && c.timeout_ms == 2500
       && dl_exporter_config_set(&c, "deadline", "700", &err) == DL_OK && c.deadline_ms == 700
       && dl_exporter_config_set(&c, "backoff", "20", &err) == DL_OK && c.initial_backoff_ms == 20
       && dl_exporter_config_set(&c, "max-backoff", "90", &err) == DL_OK && c.max_backoff_ms == 90,
     "protocol, compression and the milliseconds");
  ok(dl_exporter_config_set(&c, "compression", "gzpi", &err) == DL_EINVAL
       && strcmp(err.text, "compression \"gzpi\" is not supported (valid: none, gzip)") == 0 && c.gzip,
     "an unknown compression names the value and the valid ones, changing nothing: %s", err.text);
  ok(dl_exporter_config_set(&c, "protocol", "grpc/protobuf", &err) == DL_EINVAL
       && strstr(err.text, "\"grpc/protobuf\"") && strstr(err.text, "http/protobuf, http/json, grpc"),
     "an unknown protocol too: %s", err.text);
  static const char *bad_ms[] = {"", "2.5", "0", "-1", "10s", "86400001", "99999999999999999999999"};
  int refused = 1;
  for (size_t i = 0; i < sizeof bad_ms / sizeof bad_ms[0]; i++)
    if (dl_exporter_config_set(&c, "timeout", bad_ms[i], &err) != DL_EINVAL || !strstr(err.text, "timeout")) {
      refused = 0;
      tap_diag("timeout \"%s\" accepted", bad_ms[i]);
    }
  ok(refused && c.timeout_ms == 2500, "7 bad timeouts refused, overflow included: %s", err.text);
  ok(dl_exporter_config_set(&c, "compresion", "gzip", &err) == DL_EINVAL
       && strstr(err.text, "\"compresion\"") && strstr(err.text, "compression")
       && strstr(err.text, "resource-attributes"),
     "an unknown setting lists the known ones: %s", err.text);
  ok(dl_exporter_config_set(&c, "endpoint", "file:///etc/passwd", &err) == DL_EINVAL
       && strstr(err.text, "endpoint") && strstr(err.text, "file:///etc/passwd")
       && strcmp(c.endpoint, "http://localhost:4318/v1/traces") == 0,
     "a file:// endpoint is refused: %s", err.text);
  ok(dl_exporter_config_set(&c, "certificate", "/nonexistent/ca.pem", &err) == DL_EINVAL
       && strstr(err.text, "/nonexistent/ca.pem") && !c.certificate,
     "an unreadable certificate is named: %s", err.text);

  ok(dl_exporter_config_set(&c, "headers", "x-api-key=abc%20def , tenant=blue", &err) == DL_OK
       && c.n_headers == 2 && strcmp(header(&c, "x-api-key"), "abc def") == 0,
     "headers percent-decoded and trimmed");
  ok(dl_exporter_config_add_header(&c, "X-API-Key", "new", &err) == DL_OK && c.n_headers == 2
       && strcmp(header(&c, "x-api-key"), "new") == 0,
     "a header of the same name (any case) replaces it");
  ok(dl_exporter_config_set(&c, "headers", "x-evil=a%0D%0AHost: b", &err) == DL_EINVAL
       && !strstr(err.text, "Host: b") && strstr(err.text, "x-evil"),
     "an encoded CR LF cannot smuggle a header in: %s", err.text);
  ok(dl_exporter_config_set(&c, "headers", "x-new=1,novalue", &err) == DL_EINVAL
       && !strstr(err.text, "novalue") && c.n_headers == 2 && !header(&c, "x-new")
       && strstr(err.text, "entry 2"),
     "a malformed header is refused without echoing it, the list taken whole or not: %s", err.text);
  ok(dl_exporter_config_set(&c, "headers", "k=%zz", &err) == DL_EINVAL && !strstr(err.text, "%zz"),
     "a bad escape in a header neither: %s", err.text);

  ok(dl_exporter_config_set(&c, "resource-attributes", "team=pay%2Cments, tier = gold,,", &err) == DL_OK
       && c.n_resource == 2 && strcmp(c.resource[0].value, "pay,ments") == 0
       && strcmp(c.resource[1].name, "tier") == 0,
     "resource attributes decoded");
  ok(dl_exporter_config_add_resource(&c, "tier", "platinum", &err) == DL_OK && c.n_resource == 2
       && strcmp(c.resource[1].value, "platinum") == 0,
     "one of the same key replaces it");
  ok(dl_exporter_config_set(&c, "resource-attributes", "a=1,=2", &err) == DL_EINVAL
       && strstr(err.text, "entry 2") && strstr(err.text, "\"=2\"") && c.n_resource == 2,
     "an entry without a key, shown (not a secret), and nothing of the list taken: %s", err.text);
  ok(dl_exporter_config_set(&c, "resource-attributes", "team=%FFx", &err) == DL_EINVAL
       && strstr(err.text, "\"team\"") && strstr(err.text, "UTF-8"),
     "a value that decodes to invalid UTF-8 is refused: %s", err.text);
  ok(dl_exporter_config_set(&c, "resource-attributes", "note=a%0Ab", &err) == DL_EINVAL,
     "and one with a newline");
  ok(dl_exporter_config_set(&c, "resource-attributes", "city=Z%C3%BCrich", &err) == DL_OK
       && strcmp(c.resource[c.n_resource - 1].value, "Z\xc3\xbcrich") == 0,
     "an encoded UTF-8 value is fine");
  ok(dl_exporter_config_set(&c, "service-name", "checkout-svc", &err) == DL_OK
       && strcmp(c.resource[c.n_resource - 1].name, "service.name") == 0,
     "service-name is the resource's service.name");

  dl_exporter_config copy;
  ok(dl_exporter_config_copy(&copy, &c, &err) == DL_OK && copy.n_headers == c.n_headers
       && copy.headers[0].value != c.headers[0].value && strcmp(copy.endpoint, c.endpoint) == 0
       && copy.n_resource == c.n_resource && copy.timeout_ms == 2500,
     "a deep copy");
  dl_exporter_config_clear(&copy);
  dl_exporter_config_clear(&c);
  dl_exporter_config_clear(&c); /* cleared twice: harmless */
}

/* The same value from the environment and from the setter: the same
   status and message, the variable's name in front. */
static void
test_environment(void)
{
  dl_exporter_config c;
  dl_error from_env = {0}, direct = {0};
  int configured;
  clean_env();
  ok(!dl_exporter_endpoint_configured(), "no endpoint configured");
  setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzpi", 1);
  int rc_env = dl_exporter_config_from_env(&c, &configured, &from_env);
  dl_exporter_config d;
  if (dl_exporter_config_init(&d, NULL))
    abort();
  int rc_set = dl_exporter_config_set(&d, "compression", "gzpi", &direct);
  dl_exporter_config_clear(&d);
  char want[400];
  snprintf(want, sizeof want, "OTEL_EXPORTER_OTLP_COMPRESSION: %s", direct.text);
  ok(rc_env == DL_EINVAL && rc_set == DL_EINVAL && strcmp(from_env.text, want) == 0
       && c.endpoint == NULL,
     "OTEL_EXPORTER_OTLP_COMPRESSION=gzpi fails as the setter does: %s", from_env.text);
  setenv("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "gzip", 1);
  setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "none", 1);
  ok(dl_exporter_config_from_env(&c, &configured, NULL) == DL_OK && c.gzip && !configured,
     "the TRACES_ variable wins");
  dl_exporter_config_clear(&c);
  clean_env();

  setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "file:///etc/passwd", 1);
  ok(dl_exporter_config_from_env(&c, &configured, &from_env) == DL_EINVAL
       && strstr(from_env.text, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: endpoint \"file:///etc/passwd\""),
     "a file:// endpoint from the environment names the variable: %s", from_env.text);
  clean_env();
  setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector.example:4318/", 1);
  setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=generic,tenant=blue", 1);
  setenv("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "X-Api-Key=traces", 1);
  setenv("OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attributes,team=payments", 1);
  setenv("OTEL_SERVICE_NAME", "from-service-name", 1);
  ok(dl_exporter_config_from_env(&c, &configured, &from_env) == DL_OK && configured
       && dl_exporter_endpoint_configured()
       && strcmp(c.endpoint, "https://collector.example:4318/v1/traces") == 0,
     "OTEL_EXPORTER_OTLP_ENDPOINT gets /v1/traces: %s", c.endpoint);
  ok(c.n_headers == 2 && strcmp(header(&c, "x-api-key"), "traces") == 0,
     "TRACES_HEADERS replace the generic ones by name");
  ok(c.n_resource == 2 && strcmp(c.resource[0].name, "service.name") == 0
       && strcmp(c.resource[0].value, "from-service-name") == 0,
     "OTEL_SERVICE_NAME wins over service.name in OTEL_RESOURCE_ATTRIBUTES");
  dl_exporter_config_clear(&c);
  clean_env();
}

static dl_deployment *
deployment(void)
{
  dl_deployment *d = dl_deployment_new();
  char id[37];
  if (!d || dl_deployment_set_string(&d->service, "checkout")
      || dl_deployment_set_string(&d->version, "v2.4.0") || dl_deployment_new_id(id, dl_time_now(), NULL)
      || dl_deployment_set_string(&d->id, id) || dl_deployment_ensure_context(d, NULL, NULL))
    abort();
  d->status = DL_STATUS_IN_PROGRESS;
  d->started = dl_time_now();
  return d;
}

/* The resource attributes of the first resource of an OTLP/JSON body. */
static const char *
resource_value(json_t *root, const char *key, int *count)
{
  json_t *attrs = json_object_get(json_object_get(json_array_get(json_object_get(root, "resourceSpans"), 0),
                                                  "resource"),
                                  "attributes");
  const char *found = NULL;
  *count = 0;
  for (size_t i = 0; i < json_array_size(attrs); i++) {
    json_t *kv = json_array_get(attrs, i);
    if (strcmp(json_string_value(json_object_get(kv, "key")), key) == 0) {
      (*count)++;
      found = json_string_value(json_object_get(json_object_get(kv, "value"), "stringValue"));
    }
  }
  return found;
}

static void
test_resource_exported(void)
{
  clean_env();
  setenv("OTEL_RESOURCE_ATTRIBUTES", "team=payments,service.name=not-this-one", 1);
  dl_exporter_config c;
  int configured;
  dl_error err = {0};
  ok(dl_exporter_config_from_env(&c, &configured, &err) == DL_OK
       && dl_exporter_config_set(&c, "resource-attributes", "tier=gold", &err) == DL_OK
       && dl_exporter_config_set(&c, "protocol", "http/json", &err) == DL_OK,
     "resource attributes from the environment and from a setting");
  dl_exporter *e;
  ok(dl_exporter_new(&c, &e, &err) == DL_OK, "an exporter");
  dl_exporter_config_clear(&c);
  clean_env();
  dl_deployment *d = deployment();
  dl_arena a = DL_ARENA_INIT;
  dl_export_request req;
  uint8_t *body = NULL;
  size_t len = 0;
  const char *type;
  ok(dl_deployment_spans(&a, d, NULL, 0, DL_PART_START, NULL, NULL, 0, NULL, &req, &err) == DL_OK
       && dl_exporter_encode(e, &req, &body, &len, &type, &err) == DL_OK
       && strcmp(type, "application/json") == 0,
     "a start span encoded");
  json_t *root = json_loadb((const char *) body, len, 0, NULL);
  int n_team, n_tier, n_service;
  const char *team = resource_value(root, "team", &n_team);
  const char *tier = resource_value(root, "tier", &n_tier);
  const char *service = resource_value(root, "service.name", &n_service);
  ok(team && strcmp(team, "payments") == 0 && n_team == 1, "team from OTEL_RESOURCE_ATTRIBUTES");
  ok(tier && strcmp(tier, "gold") == 0 && n_tier == 1, "tier from the setting");
  ok(service && strcmp(service, "checkout") == 0 && n_service == 1,
     "service.name stays the deployment's, once");
  json_decref(root);
  free(body);
  dl_arena_free(&a);
  dl_deployment_free(d);
  dl_exporter_free(e);
}

static void
test_exporter_refuses_and_redacts(void)
{
  dl_exporter_config c = {0};
  dl_exporter *e = NULL;
  dl_error err = {0};
  c.endpoint = "file:///var/spool/traces";
  ok(dl_exporter_new(&c, &e, &err) == DL_EINVAL && !e && strstr(err.text, "file:///var/spool/traces")
       && strstr(err.text, "http:// or https://"),
     "an exporter is never made for a file:// endpoint: %s", err.text);
  c.endpoint = "ftp://collector/v1/traces";
  ok(dl_exporter_new(&c, &e, &err) == DL_EINVAL, "nor ftp://");
  dl_header_pair nameless = {NULL, "v"}, evil = {"x-key", "a\r\nHost: b"};
  c.endpoint = "http://collector/v1/traces";
  c.headers = &nameless;
  c.n_headers = 1;
  ok(dl_exporter_new(&c, &e, &err) == DL_EINVAL && !e && strstr(err.text, "no name"),
     "a hand-filled header without a name is refused: %s", err.text);
  c.headers = &evil;
  ok(dl_exporter_new(&c, &e, &err) == DL_EINVAL && !e && !strstr(err.text, "Host: b"),
     "and one with CR LF in its value: %s", err.text);
  c.headers = NULL;
  c.n_headers = 0;
  c.endpoint = "https://bob:hunter2@collector.example:4318/v1/traces";
  ok(dl_exporter_new(&c, &e, &err) == DL_OK, "credentials in the endpoint are allowed");
  char *text = dl_exporter_describe(e);
  ok(text && strstr(text, "endpoint=https://collector.example:4318/v1/traces")
       && strstr(text, "timeout=10000ms") && !strstr(text, "hunter2") && !strstr(text, "bob"),
     "but never described: %s", text);
  free(text);
  dl_exporter_free(e);
  dl_exporter_free(NULL);
}

int
main(void)
{
  test_setter();
  test_environment();
  test_resource_exported();
  test_exporter_refuses_and_redacts();
  return tap_done();
}
