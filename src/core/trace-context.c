/* W3C Trace Context Level 2. */
#include "deploy-ledger/trace-context.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int
is_lchex(char c)
{
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* Checks N lower-case hex digits at P. */
static int
all_lchex(const char *p, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!is_lchex(p[i]))
      return 0;
  return 1;
}

/* Up to 64 bytes of TEXT for an error message, with every byte outside
   printable ASCII shown as '?': a hostile header must not put a newline
   or an escape sequence into a log line.  BUF holds 65 bytes. */
static const char *
printable(const char *text, size_t len, char *buf)
{
  size_t n = len > 64 ? 64 : len;
  for (size_t i = 0; i < n; i++) {
    unsigned char u = (unsigned char) text[i];
    buf[i] = u >= 0x20 && u <= 0x7e ? (char) u : '?';
  }
  buf[n] = '\0';
  return buf;
}

/* Decodes the ids at TRACE_HEX (32 characters) and SPAN_HEX (16) into C
   by the rules traceparent sets for them, which a context built from its
   parts follows too: lower-case hex, neither all zeros.  Returns NULL, or
   why they are invalid (in WHY when it names SPAN_FIELD, the span id's
   field: "parent-id" in a traceparent). */
static const char *
decode_ids(const char *trace_hex, const char *span_hex, const char *span_field,
           dl_trace_context *c, char why[64])
{
  if (!all_lchex(trace_hex, 2 * DL_TRACE_ID_SIZE))
    return "trace-id is not 32 lower-case hex digits";
  if (!all_lchex(span_hex, 2 * DL_SPAN_ID_SIZE)) {
    snprintf(why, 64, "%s is not 16 lower-case hex digits", span_field);
    return why;
  }
  dl_hex_decode(trace_hex, DL_TRACE_ID_SIZE, c->trace_id, 0);
  dl_hex_decode(span_hex, DL_SPAN_ID_SIZE, c->span_id, 0);
  if (dl_id_is_zero(c->trace_id, DL_TRACE_ID_SIZE))
    return "trace-id is all zeros";
  if (dl_id_is_zero(c->span_id, DL_SPAN_ID_SIZE)) {
    snprintf(why, 64, "%s is all zeros", span_field);
    return why;
  }
  return NULL;
}

static int
bad_traceparent(dl_error *err, const char *text, size_t len, const char *why)
{
  char shown[65];
  return dl_fail(err, DL_EINVAL, "invalid traceparent \"%s\": %s", printable(text, len, shown),
                 why);
}

int
dl_traceparent_parse(const char *text, size_t len, dl_trace_context *ctx,
                     dl_error *err)
{
  /* version "-" trace-id "-" parent-id "-" flags: 2+1+32+1+16+1+2 = 55 */
  if (len < 55)
    return bad_traceparent(err, text, len, "shorter than 55 characters");
  if (!all_lchex(text, 2))
    return bad_traceparent(err, text, len, "version is not two lower-case hex digits");
  if (text[0] == 'f' && text[1] == 'f')
    return bad_traceparent(err, text, len, "version ff is forbidden");
  int version00 = text[0] == '0' && text[1] == '0';
  if (version00 && len != 55)
    return bad_traceparent(err, text, len, "version 00 must be exactly 55 characters");
  if (!version00 && len > 55 && text[55] != '-')
    return bad_traceparent(err, text, len, "flags must be followed by '-' or the end");
  if (text[2] != '-' || text[35] != '-' || text[52] != '-')
    return bad_traceparent(err, text, len, "fields must be separated by '-'");
  if (!all_lchex(text + 53, 2))
    return bad_traceparent(err, text, len, "trace-flags is not two lower-case hex digits");
  dl_trace_context c;
  memset(&c, 0, sizeof c);
  char buf[64];
  const char *why = decode_ids(text + 3, text + 36, "parent-id", &c, buf);
  if (why)
    return bad_traceparent(err, text, len, why);
  dl_hex_decode(text + 53, 1, &c.flags, 0);
  *ctx = c;
  return DL_OK;
}

int
dl_trace_context_from_parts(const char *trace_id, const char *span_id, int flags,
                            const char *tracestate, dl_trace_context *ctx, dl_error *err)
{
  const char *t = trace_id ? trace_id : "", *s = span_id ? span_id : "";
  dl_trace_context c;
  memset(&c, 0, sizeof c);
  char buf[64];
  /* The exact lengths first: decode_ids reads that many characters. */
  const char *why = strlen(t) != 2 * DL_TRACE_ID_SIZE  ? "trace-id is not 32 lower-case hex digits"
                    : strlen(s) != 2 * DL_SPAN_ID_SIZE ? "span-id is not 16 lower-case hex digits"
                                                       : decode_ids(t, s, "span-id", &c, buf);
  if (why) {
    char shown_t[65], shown_s[65];
    return dl_fail(err, DL_EINVAL, "invalid trace context (trace-id \"%.40s\", span-id \"%.40s\"): %s",
                   printable(t, strlen(t), shown_t), printable(s, strlen(s), shown_s), why);
  }
  if (flags < 0 || flags > 255)
    return dl_fail(err, DL_EINVAL, "invalid trace context: trace flags %d are not between 0 and 255",
                   flags);
  c.flags = (uint8_t) flags;
  if (tracestate && *tracestate) {
    dl_tracestate ts;
    int rc = dl_tracestate_parse(tracestate, strlen(tracestate), &ts, err);
    if (rc)
      return rc;
    dl_tracestate_format(&ts, c.tracestate);
  }
  *ctx = c;
  return DL_OK;
}

char *
dl_traceparent_format(const dl_trace_context *ctx, char *buf)
{
  char trace[2 * DL_TRACE_ID_SIZE + 1], span[2 * DL_SPAN_ID_SIZE + 1];
  snprintf(buf, DL_TRACEPARENT_SIZE, "00-%s-%s-%02x",
           dl_hex_encode(ctx->trace_id, DL_TRACE_ID_SIZE, trace),
           dl_hex_encode(ctx->span_id, DL_SPAN_ID_SIZE, span), ctx->flags);
  return buf;
}

/* tracestate grammar */

static int
is_lcalpha(char c)
{
  return c >= 'a' && c <= 'z';
}

static int
is_digit(char c)
{
  return c >= '0' && c <= '9';
}

/* keychar = lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@" */
static int
is_key_char(char c)
{
  return is_lcalpha(c) || is_digit(c) || c == '_' || c == '-' || c == '*' || c == '/'
         || c == '@';
}

int
dl_tracestate_key_valid(const char *key, size_t len)
{
  /* key = ( lcalpha / DIGIT ) 0*255( keychar ).  The current Level 2 text
     has no tenant@system split any more: '@' is one more key character, so
     "foo@", "foo@@bar" and "0vendor" are keys, and only the first
     character and the length (1 to 256) are constrained further. */
  if (len < 1 || len > DL_TRACESTATE_KEY_MAX || !(is_lcalpha(key[0]) || is_digit(key[0])))
    return 0;
  for (size_t i = 1; i < len; i++)
    if (!is_key_char(key[i]))
      return 0;
  return 1;
}

static int
is_nblk_char(char c)
{
  unsigned char u = (unsigned char) c;
  return u >= 0x21 && u <= 0x7e && u != ',' && u != '=';
}

int
dl_tracestate_value_valid(const char *value, size_t len)
{
  /* value = 0*255(chr) nblk-chr; chr = SP / nblk-chr */
  if (len < 1 || len > 256 || !is_nblk_char(value[len - 1]))
    return 0;
  for (size_t i = 0; i + 1 < len; i++)
    if (value[i] != ' ' && !is_nblk_char(value[i]))
      return 0;
  return 1;
}

static int
find_member(const dl_tracestate *ts, const char *key)
{
  for (int i = 0; i < ts->count; i++)
    if (strcmp(ts->member[i].key, key) == 0)
      return i;
  return -1;
}

static int
is_ows(char c)
{
  return c == ' ' || c == '\t';
}

int
dl_tracestate_parse(const char *text, size_t len, dl_tracestate *ts, dl_error *err)
{
  dl_tracestate out;
  out.count = 0;
  int members = 0; /* list members seen, duplicates included */
  char shown[65];
  size_t pos = 0;
  while (pos <= len) {
    const char *comma = memchr(text + pos, ',', len - pos);
    size_t end = comma ? (size_t) (comma - text) : len;
    size_t a = pos, b = end;
    while (a < b && is_ows(text[a]))
      a++;
    while (b > a && is_ows(text[b - 1]))
      b--;
    if (a < b) { /* an empty or blank member is allowed and skipped */
      const char *eq = memchr(text + a, '=', b - a);
      if (!eq)
        return dl_fail(err, DL_EINVAL, "invalid tracestate: member \"%s\" has no '='",
                       printable(text + a, b - a, shown));
      size_t klen = (size_t) (eq - (text + a)), vlen = b - a - klen - 1;
      if (!dl_tracestate_key_valid(text + a, klen))
        return dl_fail(err, DL_EINVAL,
                       "invalid tracestate: bad key \"%s\" (a key is 1 to 256 of a-z 0-9 _ - * / @, "
                       "beginning with a-z or 0-9)", printable(text + a, klen, shown));
      if (!dl_tracestate_value_valid(eq + 1, vlen))
        return dl_fail(err, DL_EINVAL,
                       "invalid tracestate: bad value for key \"%s\" (a value is 1 to 256 "
                       "printable ASCII characters but ',' and '=', not ending with a space)",
                       printable(text + a, klen, shown));
      if (++members > DL_TRACESTATE_MAX_MEMBERS)
        return dl_fail(err, DL_EINVAL, "invalid tracestate: more than %d members",
                       DL_TRACESTATE_MAX_MEMBERS);
      dl_tracestate_member *m = &out.member[out.count];
      memcpy(m->key, text + a, klen);
      m->key[klen] = '\0';
      memcpy(m->value, eq + 1, vlen);
      m->value[vlen] = '\0';
      /* A repeated key does not make the list invalid: the first
         occurrence, the most recent position, is kept and later ones are
         dropped, as vendors may discard duplicates. */
      if (find_member(&out, m->key) < 0)
        out.count++;
    }
    if (!comma)
      break;
    pos = end + 1;
  }
  *ts = out;
  return DL_OK;
}

int
dl_tracestate_set(dl_tracestate *ts, const char *key, const char *value, dl_error *err)
{
  size_t klen = strlen(key), vlen = strlen(value);
  char shown_key[65], shown_value[65];
  if (!dl_tracestate_key_valid(key, klen))
    return dl_fail(err, DL_EINVAL, "invalid tracestate key \"%s\"",
                   printable(key, klen, shown_key));
  if (!dl_tracestate_value_valid(value, vlen))
    return dl_fail(err, DL_EINVAL, "invalid tracestate value \"%s\" for key \"%s\"",
                   printable(value, vlen, shown_value), printable(key, klen, shown_key));
  dl_tracestate_remove(ts, key);
  if (ts->count == DL_TRACESTATE_MAX_MEMBERS)
    ts->count--; /* the oldest vendor makes room */
  memmove(&ts->member[1], &ts->member[0], (size_t) ts->count * sizeof ts->member[0]);
  memcpy(ts->member[0].key, key, klen + 1);
  memcpy(ts->member[0].value, value, vlen + 1);
  ts->count++;
  return DL_OK;
}

int
dl_tracestate_remove(dl_tracestate *ts, const char *key)
{
  int i = find_member(ts, key);
  if (i < 0)
    return 0;
  memmove(&ts->member[i], &ts->member[i + 1],
          (size_t) (ts->count - i - 1) * sizeof ts->member[0]);
  ts->count--;
  return 1;
}

const char *
dl_tracestate_get(const dl_tracestate *ts, const char *key)
{
  int i = find_member(ts, key);
  return i < 0 ? NULL : ts->member[i].value;
}

static size_t
member_length(const dl_tracestate_member *m)
{
  return strlen(m->key) + 1 + strlen(m->value);
}

size_t
dl_tracestate_format(const dl_tracestate *ts, char *buf)
{
  int keep[DL_TRACESTATE_MAX_MEMBERS];
  size_t total = 0;
  int kept = 0;
  for (int i = 0; i < ts->count; i++) {
    keep[i] = 1;
    total += member_length(&ts->member[i]) + (kept++ ? 1 : 0);
  }
  /* Over the limit: drop long members (from the end) first, then any
     member from the end. */
  for (int pass = 0; pass < 2 && total > DL_TRACESTATE_MAX_LENGTH; pass++)
    for (int i = ts->count - 1; i >= 0 && total > DL_TRACESTATE_MAX_LENGTH; i--) {
      size_t n = member_length(&ts->member[i]);
      if (!keep[i] || (pass == 0 && n <= 128))
        continue;
      keep[i] = 0;
      total -= n + (--kept ? 1 : 0);
    }
  size_t pos = 0;
  for (int i = 0; i < ts->count; i++) {
    if (!keep[i])
      continue;
    pos += (size_t) snprintf(buf + pos, DL_TRACESTATE_MAX_LENGTH + 1 - pos, "%s%s=%s",
                             pos ? "," : "", ts->member[i].key, ts->member[i].value);
  }
  buf[pos] = '\0';
  return pos;
}

int
dl_trace_context_new_root(dl_trace_context *ctx, dl_error *err)
{
  dl_trace_context c;
  memset(&c, 0, sizeof c);
  int rc = dl_trace_id_generate(c.trace_id, err);
  if (!rc)
    rc = dl_span_id_generate(c.span_id, err);
  if (rc)
    return rc;
  c.flags = DL_FLAG_SAMPLED | DL_FLAG_RANDOM;
  *ctx = c;
  return DL_OK;
}

int
dl_trace_context_child(const dl_trace_context *parent, dl_trace_context *child,
                       dl_error *err)
{
  dl_trace_context c = *parent;
  int rc = dl_span_id_generate(c.span_id, err);
  if (rc)
    return rc;
  c.flags &= DL_FLAG_SAMPLED | DL_FLAG_RANDOM;
  *child = c;
  return DL_OK;
}

/* Trims spaces and tabs: sets *START and *LEN to the inner part of S. */
static void
trim_ows(const char *s, const char **start, size_t *len)
{
  size_t n = strlen(s);
  while (n && is_ows(*s)) {
    s++;
    n--;
  }
  while (n && is_ows(s[n - 1]))
    n--;
  *start = s;
  *len = n;
}

/* Parses traceparent TP and the joined tracestate TS (may be empty) into
   CTX; an invalid tracestate is discarded, not an error. */
static int
parse_pair(const char *tp, size_t tp_len, const char *ts, size_t ts_len,
           dl_trace_context *ctx, dl_error *err)
{
  dl_trace_context c;
  int rc = dl_traceparent_parse(tp, tp_len, &c, err);
  if (rc)
    return rc;
  if (ts_len) {
    dl_tracestate *state = malloc(sizeof *state);
    if (!state)
      return dl_fail(err, DL_ENOMEM, "out of memory parsing tracestate");
    if (dl_tracestate_parse(ts, ts_len, state, NULL) == DL_OK)
      dl_tracestate_format(state, c.tracestate);
    free(state);
  }
  *ctx = c;
  return DL_OK;
}

int
dl_trace_context_extract(const dl_header *headers, size_t n, dl_trace_context *ctx,
                         dl_error *err)
{
  const char *tp = NULL;
  size_t tp_len = 0, tp_count = 0, ts_len = 0, ts_cap = 0;
  char *ts = NULL;
  for (size_t i = 0; i < n; i++) {
    const char *name, *value;
    size_t name_len, value_len;
    if (!headers[i].name || !headers[i].value)
      continue;
    trim_ows(headers[i].name, &name, &name_len);
    trim_ows(headers[i].value, &value, &value_len);
    if (name_len == 11 && strncasecmp(name, "traceparent", 11) == 0) {
      tp = value;
      tp_len = value_len;
      tp_count++;
    } else if (name_len == 10 && strncasecmp(name, "tracestate", 10) == 0) {
      size_t need = ts_len + value_len + 2;
      if (need > ts_cap) {
        char *grown = realloc(ts, need * 2);
        if (!grown) {
          free(ts);
          return dl_fail(err, DL_ENOMEM, "out of memory joining tracestate headers");
        }
        ts = grown;
        ts_cap = need * 2;
      }
      if (ts_len)
        ts[ts_len++] = ',';
      memcpy(ts + ts_len, value, value_len);
      ts_len += value_len;
      ts[ts_len] = '\0';
    }
  }
  int rc;
  if (tp_count == 0)
    rc = dl_fail(err, DL_ENOTFOUND, "no traceparent header");
  else if (tp_count > 1)
    rc = dl_fail(err, DL_EINVAL, "invalid trace context: %zu traceparent headers", tp_count);
  else
    rc = parse_pair(tp, tp_len, ts ? ts : "", ts_len, ctx, err);
  free(ts);
  return rc;
}

int
dl_trace_context_continue(const dl_header *headers, size_t n, dl_trace_context *ctx,
                          int *continued, dl_error *err)
{
  dl_trace_context parent;
  *continued = 0;
  if (dl_trace_context_extract(headers, n, &parent, NULL) == DL_OK) {
    *continued = 1;
    return dl_trace_context_child(&parent, ctx, err);
  }
  return dl_trace_context_new_root(ctx, err);
}

int
dl_trace_context_from_environment(dl_trace_context *ctx, dl_error *err)
{
  const char *tp = getenv("TRACEPARENT");
  if (!tp)
    return dl_fail(err, DL_ENOTFOUND, "TRACEPARENT is not set");
  dl_header headers[2] = {{"traceparent", tp}, {"tracestate", getenv("TRACESTATE")}};
  int rc = dl_trace_context_extract(headers, headers[1].value ? 2 : 1, ctx, err);
  if (rc && err)
    snprintf(err->source, sizeof err->source, "TRACEPARENT");
  return rc;
}
