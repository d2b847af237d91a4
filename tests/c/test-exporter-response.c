/* A collector's answer to an accepted export: partial_success read from
   protobuf and JSON, unknown fields skipped, and malformed answers
   (truncated, garbage, wrong types, negative counts, binary messages)
   refused with the place, never read past their end. */
#include "tap.h"

#include <stdlib.h>
#include <string.h>

#include "otlp/exporter-response.h"

static int
parse(const char *body, size_t len, int json, dl_partial_success *ps, dl_error *err)
{
  /* A heap copy of exactly LEN bytes: a read past the end is caught by
     the sanitizers. */
  char *copy = malloc(len ? len : 1);
  memcpy(copy, body, len);
  int rc = dl_partial_success_parse(copy, len, json, ps, err);
  free(copy);
  return rc;
}

#define PB(lit) lit, sizeof lit - 1

static void
test_protobuf(void)
{
  dl_partial_success ps;
  dl_error err = {0};
  /* partial_success {rejected_spans: 3, error_message: "bad span"} */
  ok(parse(PB("\x0a\x0c\x08\x03\x12\x08" "bad span"), 0, &ps, &err) == DL_OK
       && ps.rejected_spans == 3 && strcmp(ps.message, "bad span") == 0,
     "rejected_spans and error_message");
  ok(parse("", 0, 0, &ps, &err) == DL_OK && ps.rejected_spans == 0 && ps.message[0] == '\0',
     "an empty answer says nothing");
  /* An unknown varint (field 7), fixed64 (field 8) and a group (field 9)
     around it; an unknown string inside partial_success (field 5). */
  ok(parse(PB("\x38\x2a" "\x41" "12345678" "\x4b\x08\x01\x4c"
              "\x0a\x07\x08\xe8\x07\x2a\x02hi"),
           0, &ps, &err) == DL_OK && ps.rejected_spans == 1000,
     "unknown fields of every kind skipped: %s", err.text);
  ok(parse(PB("\x0a\x05\x08\x05\x12\x08" "bad"), 0, &ps, &err) == DL_EPARSE
       && strstr(err.text, "runs past the end") && strstr(err.text, "byte"),
     "a length past its message: %s", err.text);
  ok(parse(PB("\x0a\x02\x08\xff"), 0, &ps, &err) == DL_EPARSE && strstr(err.text, "truncated varint"),
     "a truncated varint: %s", err.text);
  ok(parse(PB("\x0a\x0b\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"), 0, &ps, &err) == DL_EPARSE
       && strstr(err.text, "negative"),
     "rejected_spans of -1 refused: %s", err.text);
  ok(parse(PB("\x0d\x01\x02\x03\x04\x0a\x00"), 0, &ps, &err) == DL_EPARSE
       && strstr(err.text, "wire type 5"),
     "partial_success with the wrong wire type: %s", err.text);
  ok(parse(PB("\x0a\x02\x10\x01"), 0, &ps, &err) == DL_EPARSE && strstr(err.text, "wire type 0"),
     "error_message with the wrong wire type: %s", err.text);
  ok(parse(PB("\x0a\x06\x12\x04\xff\xfe\x00\x07"), 0, &ps, &err) == DL_OK
       && strcmp(ps.message, "??  ") == 0,
     "a binary error_message becomes printable text");
  ok(parse(PB("<html>502</html>"), 0, &ps, &err) == DL_EPARSE, "HTML is not protobuf: %s", err.text);
  ok(parse(PB("\x1b"), 0, &ps, &err) == DL_EPARSE && strstr(err.text, "not closed"),
     "an unclosed group: %s", err.text);
  /* Groups nested past the limit. */
  char deep[200];
  memset(deep, 0x1b, sizeof deep); /* field 3, start group, again and again */
  ok(parse(deep, sizeof deep, 0, &ps, &err) == DL_EPARSE && strstr(err.text, "nested deeper"),
     "groups nested 200 deep: %s", err.text);
  /* 200 random answers: any status, never a crash or a read past the end. */
  srand(7);
  int statuses_ok = 1;
  for (int i = 0; i < 200; i++) {
    char junk[64];
    size_t n = (size_t) rand() % sizeof junk;
    for (size_t k = 0; k < n; k++)
      junk[k] = (char) rand();
    int rc = parse(junk, n, i % 2, &ps, &err);
    statuses_ok &= rc == DL_OK || rc == DL_EPARSE;
  }
  ok(statuses_ok, "random bytes as protobuf and JSON: DL_OK or DL_EPARSE, nothing else");
}

static void
test_json(void)
{
  dl_partial_success ps;
  dl_error err = {0};
  const char *full = "{\"partialSuccess\":{\"rejectedSpans\":\"2\",\"errorMessage\":\"too old\"}}";
  ok(parse(full, strlen(full), 1, &ps, &err) == DL_OK && ps.rejected_spans == 2
       && strcmp(ps.message, "too old") == 0,
     "rejectedSpans as a string, errorMessage");
  const char *proto_names = " { \"other\": [1, {\"x\": null}], \"partial_success\": "
                            "{\"rejected_spans\": 7, \"error_message\": \"caf\\u00e9\"} } ";
  ok(parse(proto_names, strlen(proto_names), 1, &ps, &err) == DL_OK && ps.rejected_spans == 7
       && strcmp(ps.message, "caf\xc3\xa9") == 0,
     "proto field names, a number, an escape, other members skipped");
  ok(parse("{}", 2, 1, &ps, &err) == DL_OK && ps.rejected_spans == 0, "{} says nothing");
  ok(parse("{\"partialSuccess\":null}", 23, 1, &ps, &err) == DL_OK && ps.rejected_spans == 0,
     "a null partialSuccess says nothing");
  static const struct {
    const char *body, *want;
  } bad[] = {
    {"{\"partialSuccess\":{\"rejectedSpans\":\"x\"}}", "partialSuccess.rejectedSpans"},
    {"{\"partialSuccess\":{\"rejectedSpans\":-4}}", "negative"},
    {"{\"partialSuccess\":{\"rejectedSpans\":1.5}}", "rejectedSpans"},
    {"{\"partialSuccess\":{\"errorMessage\":5}}", "errorMessage"},
    {"{\"partialSuccess\":{\"rejectedSpans\":1", "partialSuccess"},
    {"{\"partialSuccess\":[]}", "partialSuccess"},
    {"{\"a\":\"\xff\"}", "UTF-8"},
    {"{} trailing", "more after"},
    {"not json", "expected"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int rc = parse(bad[i].body, strlen(bad[i].body), 1, &ps, &err);
    ok(rc == DL_EPARSE && strstr(err.text, bad[i].want) && strstr(err.text, "collector's answer"),
       "malformed JSON refused, naming %s: %s", bad[i].want, err.text);
  }
  char nested[400];
  size_t n = 0;
  n += (size_t) snprintf(nested, sizeof nested, "{\"x\":");
  for (int i = 0; i < 300; i++)
    nested[n++] = '[';
  ok(parse(nested, n, 1, &ps, &err) == DL_EPARSE && strstr(err.text, "nesting"),
     "300 nested arrays stop at the scanner's depth limit: %s", err.text);
}

int
main(void)
{
  test_protobuf();
  test_json();
  return tap_done();
}
