/* Time, ids, hex and deployment types. */
#include "deploy-ledger/deploy-ledger.h"
#include "tap.h"

#include <stdlib.h>

static void
test_time(void)
{
  static const struct {
    const char *text;
    int64_t ns;
  } good[] = {
    {"1970-01-01T00:00:00Z", 0},
    {"2024-01-15T10:30:00Z", 1705314600000000000LL},
    {"2024-01-15T10:30:00.5Z", 1705314600500000000LL},
    {"2024-01-15T10:30:00.123456789Z", 1705314600123456789LL},
    {"2024-01-15T11:30:00+01:00", 1705314600000000000LL},
    {"2024-01-15T05:00:00-05:30", 1705314600000000000LL},
    {"2024-02-29T00:00:00z", 1709164800000000000LL},
    {"2000-02-29t00:00:00Z", 951782400000000000LL},
    {"1969-12-31T23:59:59.999Z", -1000000LL},
  };
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    int64_t ns = 0;
    dl_error err;
    int rc = dl_time_parse(good[i].text, &ns, &err);
    ok(rc == DL_OK && ns == good[i].ns, "parse %s", good[i].text);
    if (rc)
      tap_diag("%s", err.text);
  }
  static const char *bad[] = {
    "", "2024-01-15", "2024-01-15T10:30:00", "2024-13-01T00:00:00Z",
    "2023-02-29T00:00:00Z", "2024-01-15T24:00:00Z", "2024-01-15T10:60:00Z",
    "2024-01-15T10:30:00.Z", "2024-01-15T10:30:00.1234567890Z",
    "2024-01-15T10:30:00+0100", "2024-01-15T10:30:00Zjunk", "24-01-15T10:30:00Z",
    "2024-01-15X10:30:00Z", "not a time",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int64_t ns = 42;
    dl_error err;
    int rc = dl_time_parse(bad[i], &ns, &err);
    ok(rc == DL_EINVAL && ns == 42 && strstr(err.text, bad[i]),
       "reject \"%s\" naming it (%s)", bad[i], err.text);
  }
  char buf[DL_TIME_TEXT_SIZE];
  is_str(dl_time_format(0, buf), "1970-01-01T00:00:00Z", "format epoch");
  is_str(dl_time_format(1705314600500000000LL, buf), "2024-01-15T10:30:00.500Z",
         "format milliseconds");
  is_str(dl_time_format(1705314600123456000LL, buf), "2024-01-15T10:30:00.123456Z",
         "format microseconds");
  is_str(dl_time_format(1705314600123456789LL, buf), "2024-01-15T10:30:00.123456789Z",
         "format nanoseconds");
  is_str(dl_time_format(-1000000LL, buf), "1969-12-31T23:59:59.999Z", "format before epoch");
  int64_t now = dl_time_now(), back;
  ok(dl_time_parse(dl_time_format(now, buf), &back, NULL) == DL_OK && back == now,
     "now round-trips through RFC 3339");

  static const struct {
    const char *text;
    int64_t ns;
  } durations[] = {{"90s", 90000000000LL}, {"15m", 900000000000LL},
                   {"2h", 7200000000000LL}, {"7d", 604800000000000LL},
                   {"500ms", 500000000LL}, {"1h30m", 5400000000000LL}};
  for (size_t i = 0; i < sizeof durations / sizeof durations[0]; i++) {
    int64_t ns = 0;
    ok(dl_duration_parse(durations[i].text, &ns, NULL) == DL_OK && ns == durations[i].ns,
       "duration %s", durations[i].text);
  }
  int64_t ns;
  ok(dl_duration_parse("10", &ns, NULL) == DL_EINVAL, "duration without unit rejected");
  ok(dl_duration_parse("5y", &ns, NULL) == DL_EINVAL, "duration with unknown unit rejected");
  ok(dl_duration_parse("", &ns, NULL) == DL_EINVAL, "empty duration rejected");
}

/* The whole int64 range, leap seconds, and differences that do not fit. */
static void
test_time_range(void)
{
  static const struct {
    const char *text;
    int64_t ns;
  } edges[] = {
    {"2262-04-11T23:47:16Z", 9223372036000000000LL},
    {"2262-04-11T23:47:16.854775807Z", INT64_MAX},
    {"1677-09-21T00:12:43.145224193Z", INT64_MIN + 1},
    {"1677-09-21T00:12:44Z", -9223372036000000000LL},
    {"2016-12-31T23:59:60Z", 1483228800000000000LL},       /* = 2017-01-01T00:00:00Z */
    {"2016-12-31T23:59:60.5Z", 1483228800500000000LL},
    {"2017-01-01T00:59:60+01:00", 1483228800000000000LL},  /* the same leap second */
  };
  for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
    int64_t ns = 0;
    dl_error err;
    int rc = dl_time_parse(edges[i].text, &ns, &err);
    ok(rc == DL_OK && ns == edges[i].ns, "parse %s: %lld", edges[i].text, (long long) ns);
    if (rc)
      tap_diag("%s", err.text);
  }
  static const char *out[] = {"2262-04-11T23:47:16.854775808Z", "2262-04-11T23:47:17Z",
                              "9999-12-31T23:59:59Z", "1677-09-21T00:12:43.145224192Z",
                              "1677-09-21T00:12:43Z", "0001-01-01T00:00:00Z"};
  for (size_t i = 0; i < sizeof out / sizeof out[0]; i++) {
    int64_t ns = 42;
    dl_error err;
    int rc = dl_time_parse(out[i], &ns, &err);
    ok(rc == DL_ERANGE && ns == 42 && strstr(err.text, "outside the range"),
       "refuse %s: %s", out[i], err.text);
  }
  int64_t ns;
  ok(dl_time_parse("2024-01-15T10:30:61Z", &ns, NULL) == DL_EINVAL, "second 61 refused");
  char buf[DL_TIME_TEXT_SIZE];
  is_str(dl_time_format(INT64_MAX, buf), "2262-04-11T23:47:16.854775807Z", "format the last");
  is_str(dl_time_format(INT64_MIN + 1, buf), "1677-09-21T00:12:43.145224193Z",
         "format the first");

  char d[32];
  is_str(dl_duration_format(42000000000LL, d), "42s", "42s");
  is_str(dl_duration_format(185000000000LL, d), "3m05s", "3m05s");
  is_str(dl_duration_format(7800000000000LL, d), "2h10m", "2h10m");
  is_str(dl_duration_format(86400000000000LL, d), "1d00h", "a day");
  is_str(dl_duration_format(273600000000000LL, d), "3d04h", "3d04h");
  is_str(dl_duration_format(-3000000000LL, d), "-3s", "negative");
  is_str(dl_duration_format(INT64_MAX, d), "106751d23h", "the longest");
  is_str(dl_duration_format(INT64_MIN, d), "-106751d23h", "the most negative");
  is_str(dl_duration_between(INT64_MIN + 1, INT64_MAX, d), "213503d23h",
         "1677 to 2262: 584 years, not -3s");
  is_str(dl_duration_between(INT64_MAX, INT64_MIN + 1, d), "-213503d23h", "and back");
  is_str(dl_duration_between(1705314600000000000LL, 1705316400000000000LL, d), "30m00s",
         "an ordinary half hour");
  ok(dl_time_sub_saturated(INT64_MAX, INT64_MIN + 1) == INT64_MAX
       && dl_time_sub_saturated(INT64_MIN + 1, INT64_MAX) == INT64_MIN
       && dl_time_sub_saturated(5, 3) == 2,
     "saturated differences");

  /* The table shows the 584 years too. */
  dl_deployment *dep = dl_deployment_new();
  ok(dep && dl_deployment_set_string(&dep->id, "d1") == DL_OK
       && dl_deployment_set_string(&dep->service, "s") == DL_OK
       && dl_deployment_set_string(&dep->version, "v") == DL_OK
       && dl_deployment_set_string(&dep->environment, "e") == DL_OK,
     "a deployment");
  dep->started = INT64_MIN + 1;
  dep->completed = INT64_MAX;
  char *table = dl_deployment_table(&dep, 1);
  ok(table && strstr(table, "213503d23h") && strstr(table, "1677-09-21T00:12:44Z"),
     "the table: from 1677 to 2262 lasts 213503d23h");
  if (table)
    tap_diag("%s", table);
  free(table);
  dl_deployment_free(dep);
}

static void
test_ids(void)
{
  uint8_t a[16], b[16], s[8];
  ok(dl_trace_id_generate(a, NULL) == DL_OK && !dl_id_is_zero(a, 16), "trace id nonzero");
  ok(dl_trace_id_generate(b, NULL) == DL_OK && memcmp(a, b, 16) != 0, "trace ids differ");
  ok(dl_span_id_generate(s, NULL) == DL_OK && !dl_id_is_zero(s, 8), "span id nonzero");
  char hex[33];
  uint8_t bytes[4] = {0x00, 0xab, 0x7f, 0xff}, back[4];
  is_str(dl_hex_encode(bytes, 4, hex), "00ab7fff", "hex encode lower case");
  ok(dl_hex_decode("00ab7fff", 4, back, 0) == 0 && memcmp(back, bytes, 4) == 0, "hex decode");
  ok(dl_hex_decode("00AB7FFF", 4, back, 0) == -1, "upper case refused when strict");
  ok(dl_hex_decode("00AB7FFF", 4, back, 1) == 0 && memcmp(back, bytes, 4) == 0,
     "upper case accepted when asked");
  ok(dl_hex_decode("00ag7fff", 4, back, 1) == -1, "non-hex refused");
}

static void
test_deployment(void)
{
  dl_deploy_type t;
  dl_deploy_status s;
  dl_error err;
  ok(dl_deploy_type_parse("blue-green", &t, NULL) == DL_OK && t == DL_TYPE_BLUE_GREEN,
     "type blue-green");
  ok(dl_deploy_type_parse("canary", &t, NULL) == DL_OK && t == DL_TYPE_CANARY, "type canary");
  ok(dl_deploy_type_parse("big-bang", &t, &err) == DL_EINVAL && strstr(err.text, "\"big-bang\""),
     "unknown type names the value: %s", err.text);
  ok(dl_deploy_status_parse("rolled-back", &s, NULL) == DL_OK && s == DL_STATUS_ROLLED_BACK,
     "status rolled-back");
  ok(dl_deploy_status_parse("done", &s, &err) == DL_EINVAL && strstr(err.text, "\"done\""),
     "unknown status names the value: %s", err.text);
  for (int i = 0; i < DL_TYPE_COUNT; i++)
    ok(dl_deploy_type_parse(dl_deploy_type_name(i), &t, NULL) == DL_OK && (int) t == i,
       "type %s round-trips", dl_deploy_type_name(i));
  for (int i = 0; i < DL_DEPLOY_STATUS_COUNT; i++)
    ok(dl_deploy_status_parse(dl_deploy_status_name(i), &s, NULL) == DL_OK && (int) s == i,
       "status %s round-trips", dl_deploy_status_name(i));

  ok(dl_deploy_transition_check(DL_STATUS_PENDING, DL_STATUS_IN_PROGRESS, NULL) == DL_OK,
     "pending -> in-progress");
  ok(dl_deploy_transition_check(DL_STATUS_IN_PROGRESS, DL_STATUS_SUCCEEDED, NULL) == DL_OK,
     "in-progress -> succeeded");
  ok(dl_deploy_transition_check(DL_STATUS_SUCCEEDED, DL_STATUS_ROLLED_BACK, NULL) == DL_OK,
     "succeeded -> rolled-back");
  ok(dl_deploy_transition_check(DL_STATUS_SUCCEEDED, DL_STATUS_IN_PROGRESS, &err)
         == DL_ETRANSITION
       && strstr(err.text, "succeeded") && strstr(err.text, "in-progress"),
     "succeeded -> in-progress refused naming both: %s", err.text);
  ok(dl_deploy_transition_check(DL_STATUS_ROLLED_BACK, DL_STATUS_SUCCEEDED, NULL)
       == DL_ETRANSITION, "nothing after rolled-back");
  ok(dl_deploy_transition_check(DL_STATUS_FAILED, DL_STATUS_SUCCEEDED, NULL) == DL_ETRANSITION,
     "failed -> succeeded refused");

  dl_deployment *d = dl_deployment_new();
  char id[37];
  ok(dl_deployment_new_id(id, 1705314600000000000LL, NULL) == DL_OK && strlen(id) == 36
       && id[14] == '7' && strncmp(id, "018d0cab-c440", 13) == 0,
     "UUIDv7 id carries the time: %s", id);
  ok(dl_deployment_validate(d, &err) == DL_EINVAL && strstr(err.text, "id"), "no id refused");
  ok(dl_deployment_set_string(&d->id, id) == DL_OK
       && dl_deployment_set_string(&d->service, "checkout") == DL_OK, "set strings");
  ok(dl_deployment_validate(d, &err) == DL_EINVAL && strstr(err.text, "version"),
     "missing version named: %s", err.text);
  ok(dl_deployment_set_string(&d->version, "v2") == DL_OK, "set version");
  d->started = 1705314600000000000LL;
  ok(dl_deployment_validate(d, NULL) == DL_OK, "complete deployment valid");
  ok(dl_deployment_add_region(d, "eu-west-1") == DL_OK
       && dl_deployment_set_attribute(d, "team", "payments") == DL_OK
       && dl_deployment_set_attribute(d, "team", "checkout") == DL_OK,
     "regions and attributes");
  is_str(dl_deployment_attribute(d, "team"), "checkout", "attribute updated in place");
  is_int(d->n_attributes, 1, "one attribute");
  ok(dl_deployment_ensure_context(d, NULL, NULL) == DL_OK && d->has_context, "context made");
  dl_trace_context first = d->context;
  ok(dl_deployment_ensure_context(d, NULL, NULL) == DL_OK
       && memcmp(&first, &d->context, sizeof first) == 0, "context made once");
  dl_deployment *c = dl_deployment_copy(d);
  ok(c && strcmp(c->regions[0], "eu-west-1") == 0 && c->regions[0] != d->regions[0]
       && memcmp(&c->context, &d->context, sizeof first) == 0, "deep copy");
  dl_deployment_free(c);
  dl_deployment_free(d);
  dl_deployment_free(NULL);
  ok(1, "free(NULL) is harmless");
}

int
main(void)
{
  test_time();
  test_time_range();
  test_ids();
  test_deployment();
  is_str(dl_strerror(DL_ETRANSITION), "invalid status transition", "strerror");
  is_str(dl_status_name(DL_ENOTFOUND), "not-found", "status name");
  return tap_done();
}
