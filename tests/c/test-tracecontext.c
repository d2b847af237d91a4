/* W3C Trace Context: cases from the specification's text, its examples and
   the edge cases of its test suite. */
#include "deploy-ledger/deploy-ledger.h"
#include "tap.h"

#include <stdlib.h>

#define TID "4bf92f3577b34da6a3ce929d0e0e4736"
#define PID "00f067aa0ba902b7"

static void
test_traceparent(void)
{
  static const struct {
    const char *header;
    int valid;
    int flags;
    const char *why;
  } cases[] = {
    {"00-" TID "-" PID "-01", 1, 1, "specification example, sampled"},
    {"00-" TID "-" PID "-00", 1, 0, "not sampled"},
    {"00-" TID "-" PID "-03", 1, 3, "sampled and random (Level 2)"},
    {"00-" TID "-" PID "-02", 1, 2, "random only"},
    {"00-" TID "-" PID "-ff", 1, 255, "unknown flag bits are parsed"},
    {"01-" TID "-" PID "-01", 1, 1, "future version, exact length"},
    {"01-" TID "-" PID "-01-what-the-future-will-be", 1, 1, "future version with more fields"},
    {"cc-" TID "-" PID "-01-", 1, 1, "future version ending in '-'"},
    {"fe-" TID "-" PID "-09", 1, 9, "highest allowed version"},
    {"ff-" TID "-" PID "-01", 0, 0, "version ff forbidden"},
    {"00-" TID "-" PID "-01-", 0, 0, "version 00 longer than 55"},
    {"00-" TID "-" PID "-01x", 0, 0, "version 00 with trailing character"},
    {"01-" TID "-" PID "-01x", 0, 0, "future version: flags followed by neither '-' nor end"},
    {"00-" TID "-" PID "-1", 0, 0, "one-digit flags"},
    {"00-" TID "-" PID, 0, 0, "no flags"},
    {"", 0, 0, "empty"},
    {"0-" TID "-" PID "-01", 0, 0, "one-digit version"},
    {"0g-" TID "-" PID "-01", 0, 0, "non-hex version"},
    {"0A-" TID "-" PID "-01", 0, 0, "upper-case version"},
    {"00-4BF92F3577B34DA6A3CE929D0E0E4736-" PID "-01", 0, 0, "upper-case trace id"},
    {"00-" TID "-00F067AA0BA902B7-01", 0, 0, "upper-case parent id"},
    {"00-" TID "-" PID "-0A", 0, 0, "upper-case flags"},
    {"00-00000000000000000000000000000000-" PID "-01", 0, 0, "all-zero trace id"},
    {"00-" TID "-0000000000000000-01", 0, 0, "all-zero parent id"},
    {"00-4bf92f3577b34da6a3ce929d0e0e473-" PID "-01", 0, 0, "31-digit trace id"},
    {"00-4bf92f3577b34da6a3ce929d0e0e47366-00f067aa0ba902b-01", 0, 0, "shifted fields"},
    {"00-" TID "-" PID "-0g", 0, 0, "non-hex flags"},
    {"00_" TID "-" PID "-01", 0, 0, "wrong first separator"},
    {"00-" TID "_" PID "-01", 0, 0, "wrong second separator"},
    {"00-" TID "-" PID "_01", 0, 0, "wrong third separator"},
    {"00-4bf92f3577b34da6a3ce929d0e0e473z-" PID "-01", 0, 0, "non-hex in trace id"},
    {"00-" TID "-00f067aa0ba902bz-01", 0, 0, "non-hex in parent id"},
    {" 00-" TID "-" PID "-01", 0, 0, "leading space is not part of the value"},
    {"00-" TID "-" PID "-01 ", 0, 0, "trailing space is not part of the value"},
    {"01-" TID "-" PID "-01,", 0, 0, "future version: flags followed by ','"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    dl_trace_context ctx;
    dl_error err;
    int rc = dl_traceparent_parse(cases[i].header, strlen(cases[i].header), &ctx, &err);
    if (cases[i].valid)
      ok(rc == DL_OK && ctx.flags == cases[i].flags, "traceparent valid: %s", cases[i].why);
    else
      ok(rc == DL_EINVAL && strstr(err.text, "traceparent"), "traceparent invalid: %s (%s)",
         cases[i].why, err.text);
  }
  dl_trace_context ctx;
  char buf[DL_TRACEPARENT_SIZE];
  ok(dl_traceparent_parse("00-" TID "-" PID "-01", 55, &ctx, NULL) == DL_OK, "parse example");
  is_str(dl_traceparent_format(&ctx, buf), "00-" TID "-" PID "-01", "format round-trips");
  ok(dl_traceparent_parse("cc-" TID "-" PID "-01-future", 62, &ctx, NULL) == DL_OK, "future");
  is_str(dl_traceparent_format(&ctx, buf), "00-" TID "-" PID "-01",
         "a future version is re-emitted as 00");
  is_int(strlen(buf), 55, "version 00 is 55 characters");
}

static const char *
roundtrip_tracestate(const char *in, char *out)
{
  dl_tracestate ts;
  if (dl_tracestate_parse(in, strlen(in), &ts, NULL) != DL_OK)
    return NULL;
  dl_tracestate_format(&ts, out);
  return out;
}

static void
test_tracestate(void)
{
  char out[DL_TRACESTATE_MAX_LENGTH + 1];
  static const struct {
    const char *in;
    const char *out; /* NULL: invalid */
    const char *why;
  } cases[] = {
    {"rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
     "specification example"},
    {"rojo=00f067aa0ba902b7 , congo=t61rcWkgMzE", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
     "optional whitespace around ','"},
    {"rojo=1,,congo=2", "rojo=1,congo=2", "empty member ignored"},
    {" \t,rojo=1, ,\t", "rojo=1", "blank members ignored"},
    {"", "", "empty header is valid"},
    /* Keys by the current Level 2 text (w3c/trace-context spec/,
       "Tracestate Header" > "list-members" > "Key"):
       key = ( lcalpha / DIGIT ) 0*255( keychar ), keychar = lcalpha / DIGIT
       / "_" / "-" / "*" / "/" / "@".  The tenant@system split is gone. */
    {"fw529a3039@dt=1", "fw529a3039@dt=1", "Key: a former multi-tenant key is still a key"},
    {"0tenant@vendor=1", "0tenant@vendor=1", "Key: may start with a digit"},
    {"0rojo=1", "0rojo=1", "Key: a key without '@' may start with a digit too"},
    {"foo@=1", "foo@=1", "Key: may end with '@' (foo@)"},
    {"foo@@bar=1", "foo@@bar=1", "Key: '@' may repeat (foo@@bar)"},
    {"a@b@c=1", "a@b@c=1", "Key: several '@' (a@b@c)"},
    {"t@0vendor=1", "t@0vendor=1", "Key: a digit may follow '@'"},
    {"t@abcdefghijklmno=1", "t@abcdefghijklmno=1", "Key: no 14-character limit after '@'"},
    {"a_b-c*d/e=1", "a_b-c*d/e=1", "key with every allowed punctuation"},
    {"k=v with spaces", "k=v with spaces", "spaces inside a value"},
    {"k=!\"#$%&'()*+-./:;<>?@[]^_`{|}~", "k=!\"#$%&'()*+-./:;<>?@[]^_`{|}~",
     "value with every allowed punctuation"},
    {"Rojo=1", NULL, "Key: upper-case letter"},
    {"@vendor=1", NULL, "Key: may not begin with '@'"},
    {"_rojo=1", NULL, "Key: may not begin with '_'"},
    {"ro.jo=1", NULL, "Key: '.' is not a keychar"},
    {"rojo", NULL, "member without '='"},
    {"rojo=", NULL, "empty value"},
    {"rojo=a,b", NULL, "member without '=' after a comma"},
    {"rojo=a=b", NULL, "'=' in a value"},
    /* "Combined Header Value" and "Mutating the tracestate Field": a
       received list with a repeated key is not invalid; the first
       occurrence (the most recent position) is kept. */
    {"rojo=1,rojo=2", "rojo=1", "duplicate key: the first occurrence kept"},
    {"congo=a,rojo=1,congo=b,rojo=2,verde=3", "congo=a,rojo=1,verde=3",
     "duplicates dropped, order of the rest kept"},
    {"rojo=1,rojo=a=b", NULL, "a duplicate is still checked by the grammar"},
    {"k=a\nb", NULL, "Value: newline inside a value"},
    {"k=caf\xc3\xa9", NULL, "non-ASCII value"},
    {"k=a\tb", NULL, "tab inside a value"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *got = roundtrip_tracestate(cases[i].in, out);
    if (cases[i].out)
      is_str(got, cases[i].out, "tracestate valid: %s", cases[i].why);
    else
      ok(got == NULL, "tracestate invalid: %s", cases[i].why);
  }

  /* Key and value length limits. */
  char key[300], text[700];
  memset(key, 'a', 256);
  key[256] = '\0';
  snprintf(text, sizeof text, "%s=1", key);
  ok(roundtrip_tracestate(text, out) != NULL, "Key: 256 characters valid");
  key[256] = 'a';
  key[257] = '\0';
  snprintf(text, sizeof text, "%s=1", key);
  ok(roundtrip_tracestate(text, out) == NULL, "Key: 257 characters invalid");
  /* The old 241-character tenant and 14-character system limits are gone:
     only the key's 256 characters count. */
  memset(key, 't', 250);
  snprintf(text, sizeof text, "%.249s@vendor=1", key);
  ok(roundtrip_tracestate(text, out) != NULL, "Key: 249 characters, '@', 6 more (256) valid");
  snprintf(text, sizeof text, "%.250s@vendor=1", key);
  ok(roundtrip_tracestate(text, out) == NULL, "Key: 250 characters, '@', 6 more (257) invalid");
  ok(dl_tracestate_key_valid("9@", 2) && !dl_tracestate_key_valid("", 0)
       && !dl_tracestate_key_valid("@", 1), "Key: one or more characters, not beginning with '@'");
  {
    dl_error err;
    dl_tracestate ts1;
    ok(dl_tracestate_parse("ci=a\nEVIL=1", 11, &ts1, &err) == DL_EINVAL
         && !strchr(err.text, '\n') && strstr(err.text, "\"ci\""),
       "an error names the key and never carries a newline: %s", err.text);
    ok(dl_tracestate_parse("x\ny", 3, &ts1, &err) == DL_EINVAL && !strchr(err.text, '\n')
         && strstr(err.text, "x?y"), "a member without '=' is shown with '?' for control characters");
  }
  memset(key, 'v', 257);
  snprintf(text, sizeof text, "k=%.256s", key);
  ok(dl_tracestate_value_valid(text + 2, 256), "256-character value valid");
  ok(!dl_tracestate_value_valid(key, 257), "257-character value invalid");
  ok(!dl_tracestate_value_valid("abc ", 4), "value ending in a space invalid");

  /* 32 members at most. */
  char many[1024];
  size_t pos = 0;
  for (int i = 0; i < 33; i++)
    pos += (size_t) snprintf(many + pos, sizeof many - pos, "%sk%d=%d", i ? "," : "", i, i);
  dl_tracestate ts;
  ok(dl_tracestate_parse(many, pos, &ts, NULL) == DL_EINVAL, "list: 33 members invalid");
  {
    /* "list": at most 32 list-members in the header; a repeated key is a
       member of the header too. */
    char dup[1024];
    size_t dpos = 0;
    for (int i = 0; i < 33; i++)
      dpos += (size_t) snprintf(dup + dpos, sizeof dup - dpos, "%sk%d=%d", i ? "," : "",
                                i == 32 ? 0 : i, i);
    ok(dl_tracestate_parse(dup, dpos, &ts, NULL) == DL_EINVAL,
       "list: 33 members of which one repeats a key invalid");
  }
  char *last = strrchr(many, ',');
  ok(dl_tracestate_parse(many, (size_t) (last - many), &ts, NULL) == DL_OK && ts.count == 32,
     "32 members valid");

  /* Updating moves a key to the front; a 33rd drops the oldest. */
  ok(dl_tracestate_parse("rojo=1,congo=2,verde=3", 22, &ts, NULL) == DL_OK, "parse three");
  ok(dl_tracestate_set(&ts, "congo", "9", NULL) == DL_OK, "update congo");
  dl_tracestate_format(&ts, out);
  is_str(out, "congo=9,rojo=1,verde=3", "updated key moves to the front");
  ok(dl_tracestate_set(&ts, "new", "x", NULL) == DL_OK, "add new");
  dl_tracestate_format(&ts, out);
  is_str(out, "new=x,congo=9,rojo=1,verde=3", "new key at the front");
  ok(dl_tracestate_set(&ts, "Bad", "x", NULL) == DL_EINVAL, "invalid key refused by set");
  ok(dl_tracestate_remove(&ts, "rojo") == 1 && dl_tracestate_get(&ts, "rojo") == NULL,
     "remove");
  is_str(dl_tracestate_get(&ts, "congo"), "9", "get");
  ok(dl_tracestate_parse(many, (size_t) (last - many), &ts, NULL) == DL_OK, "parse 32");
  ok(dl_tracestate_set(&ts, "front", "1", NULL) == DL_OK && ts.count == 32
       && strcmp(ts.member[0].key, "front") == 0
       && strcmp(ts.member[31].key, "k30") == 0, "a 33rd member drops the last");

  /* Truncation over 512 characters: long members go first, then the end. */
  dl_tracestate big;
  big.count = 0;
  char value[260];
  memset(value, 'x', 200);
  value[200] = '\0';
  ok(dl_tracestate_set(&big, "long", value, NULL) == DL_OK, "member of 205 characters");
  for (int i = 9; i >= 0; i--) {
    char k[8], v[64];
    snprintf(k, sizeof k, "s%d", i);
    memset(v, 'a' + i, 40);
    v[40] = '\0';
    if (dl_tracestate_set(&big, k, v, NULL))
      break;
  }
  /* s0..s9 (43 chars each) then long: 10*43 + 205 + 10 commas = 645 */
  size_t n = dl_tracestate_format(&big, out);
  ok(n <= 512 && !strstr(out, "long=") && strstr(out, "s9="),
     "the member over 128 characters is dropped first (%zu chars)", n);
  is_int(n, 10 * 43 + 9, "short members all kept");
  for (int i = 10; i < 14; i++) {
    char k[8], v[64];
    snprintf(k, sizeof k, "t%d", i);
    memset(v, 'z', 40);
    v[40] = '\0';
    if (dl_tracestate_set(&big, k, v, NULL))
      break;
  }
  n = dl_tracestate_format(&big, out);
  ok(n <= 512 && strncmp(out, "t13=", 4) == 0 && !strstr(out, "s7=") && strstr(out, "s6=") && n == 487,
     "then members are dropped from the end (%zu chars)", n);
}

static void
test_extraction(void)
{
  dl_trace_context ctx;
  dl_error err;
  dl_header h1[] = {{"TraceParent", " \t00-" TID "-" PID "-01\t "},
                    {"Tracestate", "rojo=1"}, {"Content-Type", "text/plain"},
                    {"TRACESTATE", "congo=2"}};
  ok(dl_trace_context_extract(h1, 4, &ctx, &err) == DL_OK, "names without regard to case, trimmed");
  is_str(ctx.tracestate, "rojo=1,congo=2", "several tracestate headers joined in order");
  dl_header h2[] = {{"traceparent", "00-" TID "-" PID "-01"},
                    {"traceparent", "00-" TID "-" PID "-00"}};
  ok(dl_trace_context_extract(h2, 2, &ctx, &err) == DL_EINVAL, "two traceparent headers invalid");
  dl_header h3[] = {{"traceparent", "00-" TID "-" PID "-0x"}, {"tracestate", "rojo=1"}};
  ok(dl_trace_context_extract(h3, 2, &ctx, &err) == DL_EINVAL, "bad traceparent invalid");
  int continued = 1;
  ok(dl_trace_context_continue(h3, 2, &ctx, &continued, NULL) == DL_OK && !continued
       && ctx.tracestate[0] == '\0', "invalid incoming context: fresh trace, tracestate dropped");
  char hex[33];
  ok(strcmp(dl_hex_encode(ctx.trace_id, 16, hex), TID) != 0, "fresh trace id differs");
  dl_header h4[] = {{"traceparent", "00-" TID "-" PID "-01"}, {"tracestate", "Bad=1"}};
  ok(dl_trace_context_extract(h4, 2, &ctx, NULL) == DL_OK && ctx.tracestate[0] == '\0',
     "invalid tracestate discarded, traceparent kept");
  dl_header h5[] = {{"content-type", "x"}};
  ok(dl_trace_context_extract(h5, 1, &ctx, NULL) == DL_ENOTFOUND, "no traceparent: not found");
  dl_header h6[] = {{"traceparent", "00-" TID "-" PID "-ff"}, {"tracestate", "rojo=1"}};
  ok(dl_trace_context_continue(h6, 2, &ctx, &continued, NULL) == DL_OK && continued
       && strcmp(dl_hex_encode(ctx.trace_id, 16, hex), TID) == 0
       && strcmp(dl_hex_encode(ctx.span_id, 8, hex), PID) != 0 && ctx.flags == 3
       && strcmp(ctx.tracestate, "rojo=1") == 0,
     "continuing: same trace, fresh span, unknown flags cleared, tracestate kept");

  dl_trace_context root, child;
  ok(dl_trace_context_new_root(&root, NULL) == DL_OK && root.flags == 3, "root sampled+random");
  ok(dl_trace_context_child(&root, &child, NULL) == DL_OK
       && memcmp(root.trace_id, child.trace_id, 16) == 0
       && memcmp(root.span_id, child.span_id, 8) != 0 && child.flags == root.flags,
     "child keeps trace and flags, fresh span");

  unsetenv("TRACEPARENT");
  ok(dl_trace_context_from_environment(&ctx, NULL) == DL_ENOTFOUND, "no TRACEPARENT");
  setenv("TRACEPARENT", "00-" TID "-" PID "-01", 1);
  setenv("TRACESTATE", "ci=github", 1);
  ok(dl_trace_context_from_environment(&ctx, NULL) == DL_OK
       && strcmp(ctx.tracestate, "ci=github") == 0, "TRACEPARENT and TRACESTATE read");
  setenv("TRACEPARENT", "garbage", 1);
  ok(dl_trace_context_from_environment(&ctx, &err) == DL_EINVAL
       && strcmp(err.source, "TRACEPARENT") == 0, "bad TRACEPARENT named: %s", err.text);
}

/* A context from its parts follows traceparent's rules for each part and
   names the bad one; a good one formats to the traceparent of the parts. */
static void
test_from_parts(void)
{
  dl_trace_context ctx;
  dl_error err;
  char tp[DL_TRACEPARENT_SIZE];
  ok(dl_trace_context_from_parts(TID, PID, 1, NULL, &ctx, &err) == DL_OK,
     "the specification's ids, sampled");
  is_str(dl_traceparent_format(&ctx, tp), "00-" TID "-" PID "-01", "formats as the traceparent");
  is_str(ctx.tracestate, "", "no tracestate");
  ok(dl_trace_context_from_parts(TID, PID, 255, "", &ctx, &err) == DL_OK && ctx.flags == 255,
     "flags 255 kept, as traceparent keeps unknown bits");
  ok(dl_trace_context_from_parts(TID, PID, 3, "rojo=00f067aa0ba902b7, congo=t61rcWkgMzE", &ctx,
                                 &err)
       == DL_OK,
     "with a tracestate");
  is_str(ctx.tracestate, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
         "the tracestate re-formatted without the blank");

  /* A bad id: the message quotes both ids and says what is wrong. */
  static const struct {
    const char *trace_id, *span_id, *why;
  } bad_ids[] = {
    {"4BF92F3577B34DA6A3CE929D0E0E4736", PID, "trace-id is not 32 lower-case hex digits"},
    {TID "00", PID, "trace-id is not 32 lower-case hex digits"},
    {"4bf92f35", PID, "trace-id is not 32 lower-case hex digits"},
    {NULL, PID, "trace-id is not 32 lower-case hex digits"},
    {TID, "00f067aa0ba902bz", "span-id is not 16 lower-case hex digits"},
    {TID, "00f067aa", "span-id is not 16 lower-case hex digits"},
    {"00000000000000000000000000000000", PID, "trace-id is all zeros"},
    {TID, "0000000000000000", "span-id is all zeros"},
  };
  for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
    char want[300];
    snprintf(want, sizeof want, "invalid trace context (trace-id \"%s\", span-id \"%s\"): %s",
             bad_ids[i].trace_id ? bad_ids[i].trace_id : "", bad_ids[i].span_id, bad_ids[i].why);
    memset(&ctx, 0x5a, sizeof ctx);
    ok(dl_trace_context_from_parts(bad_ids[i].trace_id, bad_ids[i].span_id, 1, NULL, &ctx, &err)
           == DL_EINVAL
         && ctx.flags == 0x5a,
       "bad ids refused, context untouched: %s", bad_ids[i].why);
    is_str(err.text, want, "and named");
  }
  ok(dl_trace_context_from_parts("4bf92f3577b34da6a3ce929d0e0e473\n", PID, 1, NULL, &ctx, &err)
         == DL_EINVAL
       && strstr(err.text, "(trace-id \"4bf92f3577b34da6a3ce929d0e0e473?\"") != NULL,
     "a control character in an id is shown as '?': %s", err.text);
  static const int bad_flags[] = {256, -1};
  for (size_t i = 0; i < 2; i++) {
    char want[100];
    snprintf(want, sizeof want, "invalid trace context: trace flags %d are not between 0 and 255",
             bad_flags[i]);
    ok(dl_trace_context_from_parts(TID, PID, bad_flags[i], NULL, &ctx, &err) == DL_EINVAL,
       "flags %d refused", bad_flags[i]);
    is_str(err.text, want, "and named");
  }
  ok(dl_trace_context_from_parts(TID, PID, 1, "Rojo=1", &ctx, &err) == DL_EINVAL,
     "an invalid tracestate is refused: %s", err.text);
  /* The traceparent parser keeps calling the span id parent-id. */
  ok(dl_traceparent_parse("00-" TID "-0000000000000000-01", 55, &ctx, &err) == DL_EINVAL
       && strstr(err.text, "parent-id is all zeros"),
     "traceparent still names parent-id: %s", err.text);
}

int
main(void)
{
  test_traceparent();
  test_from_parts();
  test_tracestate();
  test_extraction();
  return tap_done();
}
