/* The trace set: interning, appending, growth, columns, origins, kept
   attributes, filters, merge, distinct values, memory per row. */
#include "deploy-ledger/deploy-ledger.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>

static dl_str
S(const char *s)
{
  dl_str r = {s, s ? strlen(s) : 0};
  return r;
}

static const char *services[] = {"orders", "payments", "cart"};
static const char *versions[] = {"1.0.0", "1.1.0"};
static const char *regions[] = {"eu-west-1", "us-east-1", NULL};
static const char *operations[] = {"GET /api/orders", "POST /api/pay", "db.query", "GET /cart"};

/* Row I of the synthetic data set: every field derived from I so that
   expectations can be recomputed. */
static void
make_row(size_t i, dl_span_row *row, dl_span_attr attrs[3], char route[32])
{
  memset(row, 0, sizeof *row);
  for (int b = 0; b < 16; b++)
    row->trace_id[b] = (uint8_t) ((i / 4) >> (8 * (b % 4)));
  row->trace_id[15] = 0xaa;
  for (int b = 0; b < 8; b++)
    row->span_id[b] = (uint8_t) (i >> (8 * (b % 4)));
  row->span_id[7] = 0x55;
  if (i % 4) {
    memcpy(row->parent_id, row->span_id, 8);
    row->parent_id[0] ^= 1;
  }
  row->start = 1700000000000000000LL + (int64_t) i * 1000;
  row->duration = (int64_t) (i % 100) * 1000000;
  row->kind = (uint8_t) (i % 6);
  row->error = (i % 10) == 0;
  row->service = S(services[i % 3]);
  row->operation = S(operations[i % 4]);
  row->version = S(versions[i % 2]);
  row->region = S(regions[i % 3]);
  row->environment = S(i % 5 ? "production" : "staging");
  row->error_type = row->error ? S("HTTP 503 /api/orders") : S(NULL);
  snprintf(route, 32, "/route/%zu", i % 7);
  attrs[0].key = S("http.route");
  attrs[0].value = S(route);
  attrs[1].key = S("server.address");
  attrs[1].value = S("example.com");
  attrs[2].key = S("http.request.method");
  attrs[2].value = S(i % 2 ? "GET" : "POST");
  row->attrs = attrs;
  row->n_attrs = 3;
}

static int
fill(dl_trace_set *set, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    dl_span_row row;
    dl_span_attr attrs[3];
    char route[32];
    make_row(i, &row, attrs, route);
    dl_error err;
    if (dl_trace_set_append(set, &row, &err)) {
      tap_diag("append %zu: %s", i, err.text);
      return -1;
    }
  }
  return 0;
}

static const char *
str(const dl_trace_set *set, uint32_t id)
{
  const char *s = dl_trace_set_string(set, id);
  return s ? s : "(absent)";
}

static void
test_intern(void)
{
  dl_trace_set *set = dl_trace_set_new();
  ok(set != NULL, "new set");
  is_int(dl_trace_set_count(set), 0, "empty set has no rows");
  int64_t a, b;
  is_int(dl_trace_set_time_range(set, &a, &b), DL_ENOTFOUND, "empty set has no time range");
  uint32_t x = dl_trace_set_intern(set, "orders", 6);
  uint32_t y = dl_trace_set_intern(set, "orders-x", 6);
  uint32_t z = dl_trace_set_intern(set, "payments", 8);
  ok(x != 0 && z != 0 && x != z, "distinct strings get distinct nonzero ids");
  is_int(y, x, "interning uses the length, not the NUL");
  is_int(dl_trace_set_lookup(set, "payments", 8), z, "lookup finds an interned string");
  is_int(dl_trace_set_lookup(set, "pay", 3), 0, "lookup of an unknown string is 0");
  is_str(dl_trace_set_string(set, z), "payments", "string of an id");
  ok(dl_trace_set_string(set, 0) == NULL, "string of 0 is NULL");
  ok(dl_trace_set_string(set, 999999) == NULL, "string of an unknown id is NULL");
  uint32_t nul = dl_trace_set_intern(set, "a\0b", 3);
  is_int(dl_trace_set_string_length(set, nul), 3, "embedded NUL kept in the length");
  ok(nul != dl_trace_set_intern(set, "a", 1), "\"a\\0b\" differs from \"a\"");
  const char *keep_ptr = dl_trace_set_string(set, x);

  /* Many strings force the hash table and the arena to grow. */
  enum { N = 100000 };
  uint32_t *ids = malloc(N * sizeof *ids);
  char buf[32];
  int all_ok = 1;
  for (int i = 0; i < N; i++) {
    int len = snprintf(buf, sizeof buf, "string-%d", i);
    ids[i] = dl_trace_set_intern(set, buf, (size_t) len);
    if (!ids[i])
      all_ok = 0;
  }
  for (int i = 0; i < N && all_ok; i++) {
    int len = snprintf(buf, sizeof buf, "string-%d", i);
    if (dl_trace_set_lookup(set, buf, (size_t) len) != ids[i] ||
        strcmp(dl_trace_set_string(set, ids[i]), buf) != 0 ||
        dl_trace_set_intern(set, buf, (size_t) len) != ids[i])
      all_ok = 0;
  }
  ok(all_ok, "100000 strings interned, found and re-interned to the same ids");
  ok(keep_ptr == dl_trace_set_string(set, x) && strcmp(keep_ptr, "orders") == 0,
     "string pointers do not move when the table grows");
  /* A long string (bigger than an arena chunk). */
  size_t big = 200000;
  char *long_s = malloc(big);
  memset(long_s, 'q', big);
  uint32_t lid = dl_trace_set_intern(set, long_s, big);
  ok(lid && dl_trace_set_string_length(set, lid) == big &&
       memcmp(dl_trace_set_string(set, lid), long_s, big) == 0,
     "a 200 kB string is interned whole");
  is_int(dl_trace_set_intern(set, "orders", 6), x, "old ids survive a big string");
  free(long_s);
  free(ids);
  dl_trace_set_free(set);
  dl_trace_set_free(NULL);
  ok(1, "free(NULL) is harmless");
}

static void
test_append_and_columns(void)
{
  dl_trace_set *set = dl_trace_set_new();
  dl_error err;
  is_int(dl_trace_set_keep(set, "http.route", &err), DL_OK, "keep http.route");
  is_int(dl_trace_set_keep(set, "http.route", &err), DL_OK, "keeping twice is harmless");
  is_int(dl_trace_set_keep(set, "", &err), DL_EINVAL, "an empty key is refused");
  is_int(dl_trace_set_kept_count(set), 1, "one key kept");
  /* 5000 rows cross the first capacity (1024) several times. */
  enum { N = 5000 };
  ok(fill(set, N) == 0, "append 5000 rows");
  is_int(dl_trace_set_count(set), N, "count");
  dl_span_columns c;
  dl_trace_set_columns(set, &c);
  is_int(c.count, N, "columns count");
  ok(c.service && c.version && c.region && c.environment && c.origin,
     "per-field columns materialised");
  const uint32_t *route = dl_trace_set_attribute_column(set, "http.route");
  ok(route != NULL, "kept column exists");
  ok(dl_trace_set_attribute_column(set, "server.address") == NULL, "unkept key has no column");
  ok(dl_trace_set_kept_column(set, 0) == route, "kept column by index");
  is_str(dl_trace_set_kept_key(set, 0), "http.route", "kept key by index");
  is_int(dl_trace_set_kept_index(set, "http.route", 10), 0, "kept index");
  is_int(dl_trace_set_kept_index(set, "http.method", 11), -1, "unkept index");
  int bad = 0;
  for (size_t i = 0; i < N; i++) {
    dl_span_row row;
    dl_span_attr attrs[3];
    char rt[32];
    make_row(i, &row, attrs, rt);
    uint32_t f[4];
    dl_trace_set_origin_fields(set, c.origin[i], f);
    uint8_t want_flags = (row.error ? DL_ROW_ERROR : 0) | (i % 4 ? DL_ROW_HAS_PARENT : 0);
    if (memcmp(c.trace_id[i], row.trace_id, 16) || memcmp(c.span_id[i], row.span_id, 8) ||
        memcmp(c.parent_id[i], row.parent_id, 8) || c.start[i] != row.start ||
        c.duration[i] != row.duration || c.kind[i] != row.kind || c.flags[i] != want_flags ||
        strcmp(str(set, c.service[i]), services[i % 3]) ||
        strcmp(str(set, c.operation[i]), operations[i % 4]) ||
        strcmp(str(set, c.version[i]), versions[i % 2]) ||
        strcmp(str(set, c.region[i]), regions[i % 3] ? regions[i % 3] : "(absent)") ||
        strcmp(str(set, c.environment[i]), i % 5 ? "production" : "staging") ||
        strcmp(str(set, c.error_type[i]), row.error ? "HTTP 503 /api/orders" : "(absent)") ||
        strcmp(str(set, route[i]), rt) || f[0] != c.service[i] || f[1] != c.version[i] ||
        f[2] != c.region[i] || f[3] != c.environment[i]) {
      if (bad++ < 3)
        tap_diag("row %zu differs", i);
    }
  }
  is_int(bad, 0, "every column of every row reads back");
  /* 3 services x 2 versions x 3 regions x 2 environments, as combined by i. */
  ok(dl_trace_set_origin_count(set) <= 37 && dl_trace_set_origin_count(set) > 6,
     "origins are shared between rows (%u)", dl_trace_set_origin_count(set));
  int64_t first, last;
  is_int(dl_trace_set_time_range(set, &first, &last), DL_OK, "time range");
  is_int(first, 1700000000000000000LL, "earliest start");
  /* The latest end: max over i of start(i) + (i % 100) ms. */
  int64_t want_last = 0;
  for (size_t i = 0; i < N; i++) {
    int64_t e = 1700000000000000000LL + (int64_t) i * 1000 + (int64_t) (i % 100) * 1000000;
    if (e > want_last)
      want_last = e;
  }
  is_int(last, want_last, "latest end");

  /* Appending after the columns were materialised extends them. */
  dl_span_row row;
  dl_span_attr attrs[3];
  char rt[32];
  make_row(1, &row, attrs, rt);
  row.service = S("late-service");
  is_int(dl_trace_set_append(set, &row, &err), DL_OK, "append after columns");
  dl_trace_set_columns(set, &c);
  is_str(str(set, c.service[N]), "late-service", "materialised columns follow new rows");
  is_str(str(set, c.service[N - 1]), services[(N - 1) % 3], "and keep the old ones");

  /* Invalid ids in the fast path are refused. */
  dl_span_ids ids;
  memset(&ids, 0, sizeof ids);
  ids.operation = 0xfffffff0u;
  is_int(dl_trace_set_append_ids(set, &ids, &err), DL_EINVAL, "unknown string id refused");
  ids.operation = 0;
  ids.origin = 0xfffffff0u;
  is_int(dl_trace_set_append_ids(set, &ids, &err), DL_EINVAL, "unknown origin refused");
  is_int(dl_trace_set_count(set), N + 1, "refused rows are not added");
  dl_trace_set_free(set);
}

/* Counts rows 0..N-1 of the synthetic data matching a predicate. */
#define COUNT_ROWS(n, cond)                                                                        \
  ({                                                                                               \
    size_t c_ = 0;                                                                                 \
    for (size_t i = 0; i < (n); i++)                                                               \
      if (cond)                                                                                    \
        c_++;                                                                                      \
    c_;                                                                                            \
  })

static void
test_filters(void)
{
  enum { N = 3000 };
  dl_trace_set *set = dl_trace_set_new();
  dl_error err;
  if (dl_trace_set_keep(set, "http.route", &err) || dl_trace_set_keep(set, "http.request.method", &err))
    tap_diag("%s", err.text);
  fill(set, N);
  dl_filter f;
  dl_selection sel, sel2;

  dl_filter_init(&f);
  is_int(f.kind, -1, "init: any kind");
  is_int(dl_trace_set_filter(set, NULL, &f, &sel, &err), DL_OK, "match-all filter");
  is_int(sel.count, N, "selects every row");
  ok(sel.rows[0] == 0 && sel.rows[N - 1] == N - 1, "rows ascending");
  dl_selection_free(&sel);

  f.service = "payments";
  is_int(dl_trace_set_filter(set, NULL, &f, &sel, &err), DL_OK, "filter by service");
  is_int(sel.count, COUNT_ROWS(N, i % 3 == 1), "service count");
  int okrows = 1;
  for (size_t k = 0; k < sel.count; k++)
    if (sel.rows[k] % 3 != 1 || (k && sel.rows[k] <= sel.rows[k - 1]))
      okrows = 0;
  ok(okrows, "only payments rows, ascending");

  /* Narrow an existing selection. */
  dl_filter_init(&f);
  f.operation = "POST /api/pay";
  is_int(dl_trace_set_filter(set, &sel, &f, &sel2, &err), DL_OK, "filter a selection");
  is_int(sel2.count, COUNT_ROWS(N, i % 3 == 1 && i % 4 == 1), "service and operation count");
  dl_selection_free(&sel2);
  dl_selection_free(&sel);

  dl_filter_init(&f);
  f.kind = DL_KIND_SERVER;
  is_int(dl_trace_set_filter(set, NULL, &f, &sel, &err), DL_OK, "filter by kind");
  is_int(sel.count, COUNT_ROWS(N, i % 6 == 2), "kind count");
  dl_selection_free(&sel);

  dl_filter_init(&f);
  f.has_start_min = f.has_start_max = 1;
  f.start_min = 1700000000000000000LL + 100 * 1000;
  f.start_max = 1700000000000000000LL + 250 * 1000;
  is_int(dl_trace_set_filter(set, NULL, &f, &sel, &err), DL_OK, "filter by time");
  is_int(sel.count, 150, "[100, 250) rows");
  is_int(sel.rows[0], 100, "first row in the window");
  dl_selection_free(&sel);

  dl_filter_init(&f);
  f.attr_key = "service.version";
  f.attr_value = "1.1.0";
  is_int(dl_trace_set_filter(set, NULL, &f, &sel, &err), DL_OK, "filter by service.version");
  is_int(sel.count, COUNT_ROWS(N, i % 2 == 1), "version count");
  dl_selection_free(&sel);

  f.attr_key = "cloud.region";
  f.attr_value = NULL;
  is_int(dl_trace_set_filter(set, NULL, &f, &sel, &err), DL_OK, "filter: region present");
  is_int(sel.count, COUNT_ROWS(N, i % 3 != 2), "rows with a region");
  dl_selection_free(&sel);

  f.attr_key = "deployment.environment.name";
  f.attr_value = "staging";
  is_int(dl_trace_set_filter(set, NULL, &f, &sel, &err), DL_OK, "filter by environment");
  is_int(sel.count, COUNT_ROWS(N, i % 5 == 0), "staging count");
  dl_selection_free(&sel);

  f.attr_key = "http.route";
  f.attr_value = "/route/3";
  is_int(dl_trace_set_filter(set, NULL, &f, &sel, &err), DL_OK, "filter by kept attribute");
  is_int(sel.count, COUNT_ROWS(N, i % 7 == 3), "route count");
  dl_selection_free(&sel);

  f.attr_key = "http.request.method";
  f.attr_value = "GET";
  f.service = "cart";
  is_int(dl_trace_set_filter(set, NULL, &f, &sel, &err), DL_OK, "filter by two things");
  is_int(sel.count, COUNT_ROWS(N, i % 2 == 1 && i % 3 == 2), "method and service count");
  dl_selection_free(&sel);

  dl_filter_init(&f);
  f.attr_key = "server.address";
  f.attr_value = "example.com";
  is_int(dl_trace_set_filter(set, NULL, &f, &sel, &err), DL_ENOTFOUND,
         "filter on an attribute not kept fails");
  ok(strstr(err.text, "server.address") != NULL, "error names the key: %s", err.text);
  ok(sel.rows == NULL && sel.count == 0, "and leaves an empty selection");

  dl_filter_init(&f);
  f.service = "no-such-service";
  is_int(dl_trace_set_filter(set, NULL, &f, &sel, &err), DL_OK, "unknown service");
  is_int(sel.count, 0, "matches nothing");
  dl_selection_free(&sel);

  dl_selection bogus = {(uint32_t[]){1, 999999}, 2};
  dl_filter_init(&f);
  is_int(dl_trace_set_filter(set, &bogus, &f, &sel, &err), DL_EINVAL, "out-of-range selection");

  uint32_t *ids;
  size_t n;
  is_int(dl_trace_set_distinct(set, NULL, DL_FIELD_SERVICE, &ids, &n, &err), DL_OK, "distinct services");
  is_int(n, 3, "three services");
  int seen = 0;
  for (size_t k = 0; k < n; k++)
    for (int s = 0; s < 3; s++)
      if (strcmp(str(set, ids[k]), services[s]) == 0)
        seen |= 1 << s;
  is_int(seen, 7, "they are orders, payments, cart");
  free(ids);
  dl_filter_init(&f);
  f.service = "orders";
  if (dl_trace_set_filter(set, NULL, &f, &sel, &err))
    tap_diag("%s", err.text);
  is_int(dl_trace_set_distinct(set, &sel, DL_FIELD_OPERATION, &ids, &n, &err), DL_OK,
         "distinct operations of a selection");
  /* orders rows are i % 3 == 0: operations i % 4 take all four values. */
  is_int(n, 4, "four operations for orders");
  free(ids);
  is_int(dl_trace_set_distinct(set, &sel, DL_FIELD_REGION, &ids, &n, &err), DL_OK, "distinct regions");
  /* i % 3 == 0 means region index 0 only. */
  is_int(n, 1, "one region for orders");
  is_str(str(set, ids[0]), "eu-west-1", "eu-west-1");
  free(ids);
  is_int(dl_trace_set_distinct(set, NULL, 42, &ids, &n, &err), DL_EINVAL, "unknown field");
  dl_selection_free(&sel);
  dl_trace_set_free(set);
}

static void
test_merge(void)
{
  dl_error err;
  dl_trace_set *a = dl_trace_set_new(), *b = dl_trace_set_new();
  /* B interns strings in another order, and keeps another key. */
  dl_trace_set_intern(b, "zzz", 3);
  dl_trace_set_intern(b, "cart", 4);
  if (dl_trace_set_keep(a, "http.route", &err) || dl_trace_set_keep(b, "http.request.method", &err))
    tap_diag("%s", err.text);
  fill(a, 1500);
  fill(b, 2500);
  is_int(dl_trace_set_merge(a, b, &err), DL_OK, "merge");
  is_int(dl_trace_set_count(a), 4000, "counts add up");
  is_int(dl_trace_set_kept_count(a), 2, "kept keys of both sets");
  dl_span_columns c;
  dl_trace_set_columns(a, &c);
  const uint32_t *route = dl_trace_set_attribute_column(a, "http.route");
  const uint32_t *method = dl_trace_set_attribute_column(a, "http.request.method");
  int bad = 0;
  for (size_t r = 0; r < 4000; r++) {
    size_t i = r < 1500 ? r : r - 1500;
    dl_span_row row;
    dl_span_attr attrs[3];
    char rt[32];
    make_row(i, &row, attrs, rt);
    if (memcmp(c.trace_id[r], row.trace_id, 16) || c.start[r] != row.start ||
        strcmp(str(a, c.service[r]), services[i % 3]) ||
        strcmp(str(a, c.operation[r]), operations[i % 4]) ||
        strcmp(str(a, c.environment[r]), i % 5 ? "production" : "staging") ||
        strcmp(str(a, c.error_type[r]), row.error ? "HTTP 503 /api/orders" : "(absent)") ||
        strcmp(str(a, route[r]), r < 1500 ? rt : "(absent)") ||
        strcmp(str(a, method[r]), r < 1500 ? "(absent)" : (i % 2 ? "GET" : "POST")))
      if (bad++ < 3)
        tap_diag("merged row %zu differs", r);
  }
  is_int(bad, 0, "merged rows read back with strings re-interned");
  int64_t first, last;
  if (dl_trace_set_time_range(a, &first, &last) == DL_OK)
    ok(first == 1700000000000000000LL && last > 1700000000000000000LL + 2499 * 1000,
       "merged time range covers both");
  else
    ok(0, "merged time range");
  /* Merging a set into itself doubles it. */
  is_int(dl_trace_set_merge(b, b, &err), DL_OK, "self merge");
  is_int(dl_trace_set_count(b), 5000, "self merge doubles the rows");
  dl_trace_set_columns(b, &c);
  ok(memcmp(c.span_id[2600], c.span_id[100], 8) == 0 && c.service[2600] == c.service[100],
     "self merge copies rows");
  dl_trace_set *empty = dl_trace_set_new();
  is_int(dl_trace_set_merge(a, empty, &err), DL_OK, "merging an empty set");
  is_int(dl_trace_set_count(a), 4000, "changes nothing");
  is_int(dl_trace_set_merge(empty, a, &err), DL_OK, "merging into an empty set");
  is_int(dl_trace_set_count(empty), 4000, "copies everything");
  dl_trace_set_free(empty);
  dl_trace_set_free(a);
  dl_trace_set_free(b);
}

/* The standard span shape: one service instance, one operation, region
   and environment shared; a reserved set must stay within 64 bytes/row. */
static void
test_memory(void)
{
  enum { N = 200000 };
  dl_trace_set *set = dl_trace_set_new();
  dl_error err;
  is_int(dl_trace_set_reserve(set, N, &err), DL_OK, "reserve");
  uint32_t svc = dl_trace_set_intern(set, "orders", 6);
  uint32_t ver = dl_trace_set_intern(set, "1.4.2", 5);
  uint32_t reg = dl_trace_set_intern(set, "eu-west-1", 9);
  uint32_t env = dl_trace_set_intern(set, "production", 10);
  uint32_t op = dl_trace_set_intern(set, "GET /api/orders", 15);
  dl_span_ids row;
  memset(&row, 0, sizeof row);
  row.origin = dl_trace_set_intern_origin(set, svc, ver, reg, env);
  is_int(dl_trace_set_intern_origin(set, svc, ver, reg, env), row.origin, "origin interned once");
  ok(row.origin != dl_trace_set_intern_origin(set, svc, ver, 0, env), "another tuple, another origin");
  is_int(dl_trace_set_intern_origin(set, 0, 0, 0, 0), 0, "the empty tuple is origin 0");
  row.operation = op;
  row.kind = DL_KIND_SERVER;
  int rc = DL_OK;
  for (size_t i = 0; i < N && !rc; i++) {
    memcpy(row.trace_id, &i, sizeof i);
    memcpy(row.span_id, &i, sizeof i);
    row.start = (int64_t) i;
    rc = dl_trace_set_append_ids(set, &row, &err);
  }
  is_int(rc, DL_OK, "append 200000 rows by ids");
  size_t per_row = dl_trace_set_memory(set) / N;
  ok(per_row <= 64, "allocated %zu bytes per row (at most 64)", per_row);
  dl_trace_set_free(set);
}

/* The resource attributes a filter (and group-by) reads from the origin,
   and the kept attributes it does not. */
static void
test_field_of_key(void)
{
  is_int(dl_trace_set_field_of_key("service.name"), DL_FIELD_SERVICE, "service.name: service");
  is_int(dl_trace_set_field_of_key("service.version"), DL_FIELD_VERSION, "service.version: version");
  is_int(dl_trace_set_field_of_key("cloud.region"), DL_FIELD_REGION, "cloud.region: region");
  is_int(dl_trace_set_field_of_key("deployment.environment.name"), DL_FIELD_ENVIRONMENT,
         "deployment.environment.name: environment");
  is_int(dl_trace_set_field_of_key("deployment.environment"), DL_FIELD_ENVIRONMENT,
         "the older deployment.environment: environment too");
  is_int(dl_trace_set_field_of_key("http.route"), -1, "http.route: no origin field");
  is_int(dl_trace_set_field_of_key("region"), -1, "a group-by word is not an attribute key");

  /* Both names of the environment select the same rows. */
  enum { N = 100 };
  dl_trace_set *set = dl_trace_set_new();
  fill(set, N);
  dl_error err;
  dl_filter f;
  dl_selection a, b;
  dl_filter_init(&f);
  f.attr_key = "deployment.environment";
  f.attr_value = "staging";
  is_int(dl_trace_set_filter(set, NULL, &f, &a, &err), DL_OK, "filter by deployment.environment");
  f.attr_key = "deployment.environment.name";
  is_int(dl_trace_set_filter(set, NULL, &f, &b, &err), DL_OK,
         "filter by deployment.environment.name");
  ok(a.count == N / 5 && b.count == a.count
       && memcmp(a.rows, b.rows, a.count * sizeof *a.rows) == 0,
     "the same %d staging rows (every fifth) either way", N / 5);
  dl_selection_free(&a);
  dl_selection_free(&b);
  dl_trace_set_free(set);
}

int
main(void)
{
  test_intern();
  test_field_of_key();
  test_append_and_columns();
  test_filters();
  test_merge();
  test_memory();
  return tap_done();
}
