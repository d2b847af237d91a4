/* The standard span of the benchmarks: resource service.name,
   service.version, deployment.environment.name; name "GET /api/orders",
   kind SERVER, six attributes, a status; built into an arena. */
#ifndef BENCH_STANDARD_SPANS_H
#define BENCH_STANDARD_SPANS_H

#include "deploy-ledger/deploy-ledger.h"
#include "seeded-random.h"

#include <stdio.h>
#include <string.h>

/* A request of N standard spans starting at T0, one every millisecond. */
static inline void
standard_request(dl_arena *a, size_t n, int64_t t0, dl_export_request *req)
{
  static const char *const regions[] = {"us-east-1", "eu-west-1", "ap-southeast-1"};
  dl_kv *res = dl_arena_alloc(a, 3 * sizeof *res);
  res[0] = (dl_kv){{"service.name", 12}, dl_value_string("checkout")};
  res[1] = (dl_kv){{"service.version", 15}, dl_value_string("v2.4.0")};
  res[2] = (dl_kv){{"deployment.environment.name", 27}, dl_value_string("production")};
  dl_span *spans = dl_arena_alloc(a, n * sizeof *spans);
  uint64_t rng = 0x243f6a8885a308d3ULL;
  for (size_t i = 0; i < n; i++) {
    dl_span *s = &spans[i];
    uint64_t t[2] = {random_next(&rng), random_next(&rng)}, id = random_next(&rng);
    memcpy(s->trace_id, t, 16);
    memcpy(s->span_id, &id, 8);
    s->name = dl_str_of("GET /api/orders");
    s->kind = 2;
    s->start = t0 + (int64_t) i * 1000000;
    s->end = s->start + 38000000 + (int64_t) random_below(&rng, 20000000);
    dl_kv *attrs = dl_arena_alloc(a, 6 * sizeof *attrs);
    attrs[0] = (dl_kv){{"http.request.method", 19}, dl_value_string("GET")};
    attrs[1] = (dl_kv){{"http.route", 10}, dl_value_string("/api/orders")};
    attrs[2] = (dl_kv){{"http.response.status_code", 25}, dl_value_int(i % 100 ? 200 : 503)};
    attrs[3] = (dl_kv){{"server.address", 14}, dl_value_string("orders.internal")};
    attrs[4] = (dl_kv){{"cloud.region", 12}, dl_value_string(regions[i % 3])};
    attrs[5] = (dl_kv){{"deployment.id", 13}, dl_value_string("01a20d14-1c1e-7a37-bede-079c039517d7")};
    s->attrs = attrs;
    s->n_attrs = 6;
    s->has_status = 1;
    s->status_code = i % 100 ? DL_STATUS_CODE_UNSET : DL_STATUS_CODE_ERROR;
  }
  dl_scope_spans *scope = dl_arena_alloc(a, sizeof *scope);
  scope->has_scope = 1;
  scope->scope_name = dl_str_of("deploy-ledger-bench");
  scope->spans = spans;
  scope->n_spans = n;
  dl_resource_spans *rs = dl_arena_alloc(a, sizeof *rs);
  rs->has_resource = 1;
  rs->resource_attrs = res;
  rs->n_resource_attrs = 3;
  rs->scopes = scope;
  rs->n_scopes = 1;
  req->resources = rs;
  req->n_resources = 1;
}

#endif
