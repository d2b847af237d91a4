/* Encodes the spans of a peer fixture (tests/data/otlp/peer-spans.json)
   with deploy-ledger's encoder: encode-fixture FIXTURE OUT */
#include "deploy-ledger/deploy-ledger.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static dl_kv *
attributes(dl_arena *a, json_t *list, size_t *n)
{
  *n = json_array_size(list);
  dl_kv *kvs = dl_arena_alloc(a, sizeof *kvs * (*n ? *n : 1));
  for (size_t i = 0; i < *n; i++) {
    json_t *pair = json_array_get(list, i), *v = json_array_get(pair, 1);
    kvs[i].key = dl_str_of(json_string_value(json_array_get(pair, 0)));
    if (json_is_string(v))
      kvs[i].value = dl_value_string(json_string_value(v));
    else if (json_is_boolean(v))
      kvs[i].value = dl_value_bool(json_is_true(v));
    else if (json_is_integer(v))
      kvs[i].value = dl_value_int(json_integer_value(v));
    else
      kvs[i].value = dl_value_double(json_real_value(v));
  }
  return kvs;
}

static void
id(json_t *obj, const char *key, uint8_t *out, size_t n)
{
  const char *hex = json_string_value(json_object_get(obj, key));
  if (!hex || strlen(hex) != 2 * n || dl_hex_decode(hex, n, out, 0))
    exit(2);
}

static int64_t
ns(json_t *obj, const char *key)
{
  return strtoll(json_string_value(json_object_get(obj, key)), NULL, 10);
}

int
main(int argc, char **argv)
{
  json_error_t jerr;
  json_t *doc = argc == 3 ? json_load_file(argv[1], 0, &jerr) : NULL;
  if (!doc) {
    fprintf(stderr, "usage: encode-fixture FIXTURE OUT\n");
    return 2;
  }
  dl_arena a = DL_ARENA_INIT;
  json_t *spans = json_object_get(doc, "spans");
  size_t n = json_array_size(spans);
  dl_span *sp = dl_arena_alloc(&a, n * sizeof *sp);
  for (size_t i = 0; i < n; i++) {
    json_t *s = json_array_get(spans, i);
    id(s, "traceId", sp[i].trace_id, 16);
    id(s, "spanId", sp[i].span_id, 8);
    if (json_object_get(s, "parentSpanId")) {
      id(s, "parentSpanId", sp[i].parent_span_id, 8);
      sp[i].has_parent = 1;
    }
    sp[i].name = dl_str_of(json_string_value(json_object_get(s, "name")));
    sp[i].kind = (int) json_integer_value(json_object_get(s, "kind"));
    sp[i].start = ns(s, "start");
    sp[i].end = ns(s, "end");
    sp[i].attrs = attributes(&a, json_object_get(s, "attributes"), &sp[i].n_attrs);
    json_t *events = json_object_get(s, "events"), *links = json_object_get(s, "links");
    dl_span_event *ev = dl_arena_alloc(&a, sizeof *ev * (json_array_size(events) + 1));
    for (size_t e = 0; e < json_array_size(events); e++) {
      json_t *je = json_array_get(events, e);
      ev[e].name = dl_str_of(json_string_value(json_object_get(je, "name")));
      ev[e].time = ns(je, "time");
      ev[e].attrs = attributes(&a, json_object_get(je, "attributes"), &ev[e].n_attrs);
    }
    sp[i].events = ev;
    sp[i].n_events = json_array_size(events);
    dl_span_link *lk = dl_arena_alloc(&a, sizeof *lk * (json_array_size(links) + 1));
    for (size_t l = 0; l < json_array_size(links); l++) {
      id(json_array_get(links, l), "traceId", lk[l].trace_id, 16);
      id(json_array_get(links, l), "spanId", lk[l].span_id, 8);
    }
    sp[i].links = lk;
    sp[i].n_links = json_array_size(links);
    json_t *status = json_object_get(s, "status");
    sp[i].has_status = 1;
    sp[i].status_code = (int) json_integer_value(json_object_get(status, "code"));
    sp[i].status_message = dl_str_of(json_string_value(json_object_get(status, "message")));
  }
  json_t *scope = json_object_get(doc, "scope");
  dl_scope_spans ss = {.has_scope = 1, .spans = sp, .n_spans = n};
  ss.scope_name = dl_str_of(json_string_value(json_object_get(scope, "name")));
  ss.scope_version = dl_str_of(json_string_value(json_object_get(scope, "version")));
  dl_resource_spans rs = {.has_resource = 1, .scopes = &ss, .n_scopes = 1};
  rs.resource_attrs = attributes(&a, json_object_get(doc, "resource"), &rs.n_resource_attrs);
  dl_export_request req = {&rs, 1};
  uint8_t *out;
  size_t len;
  if (dl_otlp_encode_protobuf(&req, &out, &len, NULL))
    return 1;
  FILE *f = fopen(argv[2], "wb");
  if (!f || fwrite(out, 1, len, f) != len)
    return 1;
  fclose(f);
  free(out);
  dl_arena_free(&a);
  json_decref(doc);
  return 0;
}
