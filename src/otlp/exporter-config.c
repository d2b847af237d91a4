/* The exporter's settings: one setter for every key, used alike by the
   environment (OTEL_EXPORTER_OTLP_*, OTEL_RESOURCE_ATTRIBUTES,
   OTEL_SERVICE_NAME) and by the keywords of make-otlp-exporter, so that a
   value means the same, or fails the same, whichever way it came. */
#include "deploy-ledger/exporter.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "net/excerpt.h"
#include "net/http.h"
#include "otlp/exporter-config.h"
#include "otlp/kv-list.h"

/* Milliseconds settings accept 1 up to a day: no deadline or pause
   longer makes sense, and the bound keeps every later sum of them far
   from overflowing. */
#define MAX_MS 86400000L

/* The SDKs' defaults, for OTLP/HTTP and OTLP/gRPC. */
#define DEFAULT_HTTP_ENDPOINT "http://localhost:4318/v1/traces"
#define DEFAULT_GRPC_ENDPOINT "http://localhost:4317"

static char *
dup_or_null(const char *s)
{
  return s ? strdup(s) : NULL;
}

static void
wipe_free(char *s)
{
  if (s)
    memset(s, 0, strlen(s));
  free(s);
}

void
dl_exporter_config_clear(dl_exporter_config *c)
{
  free(c->endpoint);
  for (size_t i = 0; i < c->n_headers; i++) {
    free(c->headers[i].name);
    wipe_free(c->headers[i].value); /* a secret: wiped before it is freed */
  }
  free(c->headers);
  free(c->certificate);
  free(c->client_certificate);
  free(c->client_key);
  for (size_t i = 0; i < c->n_resource; i++) {
    free(c->resource[i].name);
    free(c->resource[i].value);
  }
  free(c->resource);
  memset(c, 0, sizeof *c);
}

void
dl_exporter_config_defaults(dl_exporter_config *c)
{
  if (c->timeout_ms <= 0)
    c->timeout_ms = 10000;
  if (c->deadline_ms <= 0)
    c->deadline_ms = 30000;
  if (c->initial_backoff_ms <= 0)
    c->initial_backoff_ms = 500;
  if (c->max_backoff_ms <= 0)
    c->max_backoff_ms = 8000;
}

int
dl_exporter_config_init(dl_exporter_config *c, dl_error *err)
{
  memset(c, 0, sizeof *c);
  c->protocol = DL_PROTOCOL_PROTOBUF;
  dl_exporter_config_defaults(c);
  c->endpoint = strdup(DEFAULT_HTTP_ENDPOINT);
  return c->endpoint ? DL_OK : dl_fail(err, DL_ENOMEM, "out of memory");
}

/* ---- the pairs: headers and resource attributes ---- */

/* Puts NAME=VALUE in the list *PAIRS (N long): replacing the value of a
   pair with the same name (compared with CASELESS or not), else added.
   A SECRET value replaced is wiped first. */
static int
put_pair(dl_text_pair **pairs, size_t *n, const char *name, const char *value, int caseless,
         int secret, dl_error *err)
{
  for (size_t i = 0; i < *n; i++) {
    dl_text_pair *p = &(*pairs)[i];
    if (caseless ? strcasecmp(p->name, name) : strcmp(p->name, name))
      continue;
    char *v = strdup(value);
    if (!v)
      return dl_fail(err, DL_ENOMEM, "out of memory");
    if (secret)
      wipe_free(p->value);
    else
      free(p->value);
    p->value = v;
    return DL_OK;
  }
  dl_text_pair *grown = realloc(*pairs, (*n + 1) * sizeof *grown);
  if (!grown)
    return dl_fail(err, DL_ENOMEM, "out of memory");
  *pairs = grown;
  grown[*n].name = strdup(name);
  grown[*n].value = strdup(value);
  if (!grown[*n].name || !grown[*n].value) {
    free(grown[*n].name);
    wipe_free(grown[*n].value);
    return dl_fail(err, DL_ENOMEM, "out of memory");
  }
  (*n)++;
  return DL_OK;
}

int
dl_exporter_config_add_header(dl_exporter_config *c, const char *name, const char *value,
                              dl_error *err)
{
  int rc = dl_http_header_check(name, value, err);
  if (rc)
    return rc;
  /* HTTP field names are case-insensitive: x-api-key replaces X-API-Key. */
  return put_pair(&c->headers, &c->n_headers, name, value, 1, 1, err);
}

/* A resource attribute OTLP can carry: a key, and UTF-8 strings (a
   collector would refuse the whole request otherwise, and the span would
   end in the dead letters). */
static int
resource_check(const char *key, const char *value, dl_error *err)
{
  if (!key || !*key)
    return dl_fail(err, DL_EINVAL, "resource-attributes: an attribute has no key");
  if (!dl_http_is_text(key, strlen(key)))
    return dl_fail(err, DL_EINVAL, "resource-attributes: a key is not UTF-8 text");
  if (value && !dl_http_is_text(value, strlen(value)))
    return dl_fail(err, DL_EINVAL, "resource-attributes: the value of \"%.60s\" is not UTF-8 "
                   "text without control characters", key);
  return DL_OK;
}

int
dl_exporter_config_add_resource(dl_exporter_config *c, const char *key, const char *value,
                                dl_error *err)
{
  int rc = resource_check(key, value, err);
  if (rc)
    return rc;
  return put_pair(&c->resource, &c->n_resource, key, value ? value : "", 0, 0, err);
}

/* The lists go in whole or not at all: a first pass only checks each
   entry, the second adds them. */
static int
header_check(void *ctx, const char *key, const char *value, dl_error *err)
{
  return dl_http_header_check(key, value, err);
}

static int
header_entry(void *ctx, const char *key, const char *value, dl_error *err)
{
  return dl_exporter_config_add_header(ctx, key, value, err);
}

static int
resource_entry_check(void *ctx, const char *key, const char *value, dl_error *err)
{
  return resource_check(key, value, err);
}

static int
resource_entry(void *ctx, const char *key, const char *value, dl_error *err)
{
  return dl_exporter_config_add_resource(ctx, key, value, err);
}

static int
set_list(dl_exporter_config *c, const char *key, const char *text, int secret,
         dl_kv_list_fn check, dl_kv_list_fn add, dl_error *err)
{
  int rc = dl_kv_list_parse(text, key, secret, check, c, err);
  return rc ? rc : dl_kv_list_parse(text, key, secret, add, c, err);
}

/* ---- the setter ---- */

/* One of CHOICES (NULL-terminated), or an error listing them. */
static int
choose(const char *key, const char *value, const char *const *choices, int *out, dl_error *err)
{
  char valid[128] = "";
  size_t n = 0;
  for (int i = 0; choices[i]; i++) {
    if (strcmp(value, choices[i]) == 0) {
      *out = i;
      return DL_OK;
    }
    n += (size_t) snprintf(valid + n, sizeof valid - n, "%s%s", i ? ", " : "", choices[i]);
  }
  return dl_fail(err, DL_EINVAL, "%s \"%.80s\" is not supported (valid: %s)", key, value, valid);
}

static int
milliseconds(const char *key, const char *value, long min, long *out, dl_error *err)
{
  long v = 0;
  const char *p = value;
  for (; *p >= '0' && *p <= '9' && v <= MAX_MS; p++)
    v = v * 10 + (*p - '0');
  if (p == value || *p || v < min || v > MAX_MS)
    return dl_fail(err, DL_EINVAL, "%s \"%.80s\" is not a whole number of milliseconds from "
                   "%ld to %ld", key, value, min, MAX_MS);
  *out = v;
  return DL_OK;
}

static int
replace(char **slot, const char *value, dl_error *err)
{
  char *copy = strdup(value);
  if (!copy)
    return dl_fail(err, DL_ENOMEM, "out of memory");
  free(*slot);
  *slot = copy;
  return DL_OK;
}

static int
readable_file(const char *key, const char *value, char **slot, dl_error *err)
{
  if (!*value || access(value, R_OK) != 0)
    return dl_fail(err, DL_EINVAL, "%s \"%.200s\" cannot be read: %s", key, value,
                   *value ? strerror(errno) : "no file named");
  return replace(slot, value, err);
}

/* Every key, in the order the documentation lists them. */
static const char *const keys[] = {
  "endpoint", "protocol", "headers", "timeout", "compression", "certificate",
  "client-certificate", "client-key", "deadline", "backoff", "max-backoff",
  "resource-attributes", "service-name", NULL};

int
dl_exporter_config_set(dl_exporter_config *c, const char *key, const char *value, dl_error *err)
{
  static const char *const protocols[] = {"http/protobuf", "http/json", "grpc", NULL};
  static const char *const compressions[] = {"none", "gzip", NULL};
  if (!key)
    key = "";
  if (!value)
    return dl_fail(err, DL_EINVAL, "%s: no value given", key);
  int choice, rc;
  if (strcmp(key, "endpoint") == 0) {
    rc = dl_http_url_check(value, "endpoint", err);
    return rc ? rc : replace(&c->endpoint, value, err);
  }
  if (strcmp(key, "protocol") == 0) {
    rc = choose(key, value, protocols, &choice, err);
    if (rc)
      return rc;
    c->protocol = choice == 2 ? DL_PROTOCOL_GRPC : choice ? DL_PROTOCOL_JSON : DL_PROTOCOL_PROTOBUF;
    /* The collectors listen for gRPC on 4317: an endpoint nobody chose
       follows the protocol, as the SDKs' defaults do. */
    if (c->endpoint && (strcmp(c->endpoint, DEFAULT_HTTP_ENDPOINT) == 0
                        || strcmp(c->endpoint, DEFAULT_GRPC_ENDPOINT) == 0))
      return replace(&c->endpoint, c->protocol == DL_PROTOCOL_GRPC ? DEFAULT_GRPC_ENDPOINT
                                                                   : DEFAULT_HTTP_ENDPOINT, err);
    return DL_OK;
  }
  if (strcmp(key, "compression") == 0) {
    rc = choose(key, value, compressions, &choice, err);
    if (!rc)
      c->gzip = choice;
    return rc;
  }
  if (strcmp(key, "headers") == 0)
    return set_list(c, key, value, 1, header_check, header_entry, err);
  if (strcmp(key, "resource-attributes") == 0)
    return set_list(c, key, value, 0, resource_entry_check, resource_entry, err);
  if (strcmp(key, "service-name") == 0) {
    if (!*value)
      return dl_fail(err, DL_EINVAL, "service-name is empty");
    return dl_exporter_config_add_resource(c, "service.name", value, err);
  }
  if (strcmp(key, "timeout") == 0)
    return milliseconds(key, value, 1, &c->timeout_ms, err);
  if (strcmp(key, "deadline") == 0)
    return milliseconds(key, value, 1, &c->deadline_ms, err);
  if (strcmp(key, "backoff") == 0)
    return milliseconds(key, value, 1, &c->initial_backoff_ms, err);
  if (strcmp(key, "max-backoff") == 0)
    return milliseconds(key, value, 1, &c->max_backoff_ms, err);
  if (strcmp(key, "certificate") == 0)
    return readable_file(key, value, &c->certificate, err);
  if (strcmp(key, "client-certificate") == 0)
    return readable_file(key, value, &c->client_certificate, err);
  if (strcmp(key, "client-key") == 0)
    return readable_file(key, value, &c->client_key, err);
  char valid[256] = "";
  size_t n = 0;
  for (int i = 0; keys[i]; i++)
    n += (size_t) snprintf(valid + n, sizeof valid - n, "%s%s", i ? ", " : "", keys[i]);
  return dl_fail(err, DL_EINVAL, "unknown exporter setting \"%.60s\" (valid: %s)", key, valid);
}

/* ---- the environment ---- */

/* The value of NAME, or NULL when unset or empty. */
static const char *
env(const char *name)
{
  const char *v = getenv(name);
  return v && *v ? v : NULL;
}

/* Settings read from OTEL_EXPORTER_OTLP_TRACES_X, else _X. */
static const struct {
  const char *key, *suffix;
} otlp_vars[] = {{"protocol", "PROTOCOL"},
                 {"timeout", "TIMEOUT"},
                 {"compression", "COMPRESSION"},
                 {"certificate", "CERTIFICATE"},
                 {"client-certificate", "CLIENT_CERTIFICATE"},
                 {"client-key", "CLIENT_KEY"}};

/* Where a lenient read reports the variables it leaves out; NULL: a
   strict read, which fails on the first. */
typedef struct problems {
  dl_error *list;
  size_t max, n;
} problems;

/* Sets KEY from variable VAR when it is set; errors name VAR.  With P,
   a value that cannot be used is reported there and left out (the
   setter changes nothing when it fails: a list is taken whole or not at
   all). */
static int
set_from(dl_exporter_config *c, const char *key, const char *var, const char *value,
         problems *p, dl_error *err)
{
  if (!value)
    return DL_OK;
  dl_error local;
  int rc = dl_exporter_config_set(c, key, value, &local);
  if (!rc)
    return DL_OK;
  if (!p || rc == DL_ENOMEM)
    return dl_fail(err, rc, "%s: %s", var, local.text);
  if (p->n < p->max)
    dl_fail(&p->list[p->n], rc, "%s: %s", var, local.text);
  p->n++;
  return DL_OK;
}

int
dl_exporter_endpoint_configured(void)
{
  return env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") || env("OTEL_EXPORTER_OTLP_ENDPOINT");
}

static int
from_env(dl_exporter_config *c, int *configured, problems *p, dl_error *err)
{
  int rc = dl_exporter_config_init(c, err);
  if (rc)
    return rc;
  *configured = dl_exporter_endpoint_configured();
  const char *traces = env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  const char *base = env("OTEL_EXPORTER_OTLP_ENDPOINT");
  if (traces) {
    rc = set_from(c, "endpoint", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", traces, p, err);
  } else if (base) {
    size_t n = strlen(base);
    char *url = malloc(n + 12);
    if (!url) {
      dl_exporter_config_clear(c);
      return dl_fail(err, DL_ENOMEM, "out of memory");
    }
    sprintf(url, "%.*s/v1/traces", (int) (base[n - 1] == '/' ? n - 1 : n), base);
    rc = set_from(c, "endpoint", "OTEL_EXPORTER_OTLP_ENDPOINT", url, p, err);
    free(url);
  }
  for (size_t i = 0; !rc && i < sizeof otlp_vars / sizeof otlp_vars[0]; i++) {
    char specific[96], generic[96];
    snprintf(specific, sizeof specific, "OTEL_EXPORTER_OTLP_TRACES_%s", otlp_vars[i].suffix);
    snprintf(generic, sizeof generic, "OTEL_EXPORTER_OTLP_%s", otlp_vars[i].suffix);
    const char *var = env(specific) ? specific : generic;
    rc = set_from(c, otlp_vars[i].key, var, env(var), p, err);
  }
  /* Generic headers first, so that the traces-specific ones replace them. */
  if (!rc)
    rc = set_from(c, "headers", "OTEL_EXPORTER_OTLP_HEADERS", env("OTEL_EXPORTER_OTLP_HEADERS"),
                  p, err);
  if (!rc)
    rc = set_from(c, "headers", "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
                  env("OTEL_EXPORTER_OTLP_TRACES_HEADERS"), p, err);
  if (!rc)
    rc = set_from(c, "resource-attributes", "OTEL_RESOURCE_ATTRIBUTES",
                  env("OTEL_RESOURCE_ATTRIBUTES"), p, err);
  /* OTEL_SERVICE_NAME wins over a service.name in the attributes. */
  if (!rc)
    rc = set_from(c, "service-name", "OTEL_SERVICE_NAME", env("OTEL_SERVICE_NAME"), p, err);
  if (rc)
    dl_exporter_config_clear(c);
  return rc;
}

int
dl_exporter_config_from_env(dl_exporter_config *c, int *configured, dl_error *err)
{
  return from_env(c, configured, NULL, err);
}

int
dl_exporter_config_from_env_lenient(dl_exporter_config *c, int *configured, dl_error *list,
                                    size_t max, size_t *n, dl_error *err)
{
  problems p = {list, max, 0};
  int rc = from_env(c, configured, &p, err);
  *n = p.n;
  return rc;
}

int
dl_exporter_config_copy(dl_exporter_config *dst, const dl_exporter_config *src, dl_error *err)
{
  memset(dst, 0, sizeof *dst);
  /* A struct filled by hand may hold pairs without a name (header values
     are checked again by the client). */
  for (size_t i = 0; i < src->n_headers; i++)
    if (!src->headers || !src->headers[i].name || !*src->headers[i].name)
      return dl_fail(err, DL_EINVAL, "header %zu of the exporter's settings has no name", i + 1);
  for (size_t i = 0; i < src->n_resource; i++)
    if (!src->resource || !src->resource[i].name || !*src->resource[i].name)
      return dl_fail(err, DL_EINVAL, "resource attribute %zu of the exporter's settings has no key",
                     i + 1);
  *dst = *src; /* the numbers; every pointer is replaced by a copy below */
  dst->headers = NULL;
  dst->n_headers = 0;
  dst->resource = NULL;
  dst->n_resource = 0;
  dst->endpoint = dup_or_null(src->endpoint);
  dst->certificate = dup_or_null(src->certificate);
  dst->client_certificate = dup_or_null(src->client_certificate);
  dst->client_key = dup_or_null(src->client_key);
  int bad = (src->endpoint && !dst->endpoint) || (src->certificate && !dst->certificate)
            || (src->client_certificate && !dst->client_certificate)
            || (src->client_key && !dst->client_key);
  for (size_t i = 0; !bad && i < src->n_headers; i++)
    bad = put_pair(&dst->headers, &dst->n_headers, src->headers[i].name,
                   src->headers[i].value ? src->headers[i].value : "", 1, 1, NULL) != DL_OK;
  for (size_t i = 0; !bad && i < src->n_resource; i++)
    bad = put_pair(&dst->resource, &dst->n_resource, src->resource[i].name,
                   src->resource[i].value ? src->resource[i].value : "", 0, 0, NULL) != DL_OK;
  if (bad) {
    dl_exporter_config_clear(dst);
    return dl_fail(err, DL_ENOMEM, "out of memory copying the exporter's settings");
  }
  return DL_OK;
}
