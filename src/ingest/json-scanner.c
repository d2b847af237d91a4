/* The strict streaming JSON scanner: strings, numbers, literals, skipping,
   structure, errors with JSON paths. */
#define _GNU_SOURCE
#include "ingest/json-scanner.h"

#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
dl_js_init(dl_js *js, const void *data, size_t len, const char *source, dl_error *err)
{
  memset(js, 0, sizeof *js);
  js->base = js->p = data;
  js->end = js->base + len;
  js->source = source ? source : "input";
  js->err = err;
}

void
dl_js_release(dl_js *js)
{
  for (int i = 0; i < DL_JS_SLOTS; i++) {
    free(js->scratch[i]);
    js->scratch[i] = NULL;
    js->scratch_cap[i] = 0;
  }
}

/* ---- errors ---- */

void
dl_js_line_column(const dl_js *js, size_t off, long *line, long *column)
{
  const uint8_t *p = js->base, *stop = js->base + off, *line_start = js->base;
  long n = 1;
  for (;;) {
    const uint8_t *nl = memchr(p, '\n', (size_t) (stop - p));
    if (!nl)
      break;
    n++;
    p = line_start = nl + 1;
  }
  *line = n;
  *column = (long) (stop - line_start) + 1;
}

void
dl_js_path_text(const dl_js *js, char *buf, size_t size)
{
  size_t n = (size_t) snprintf(buf, size, "$");
  int depth = js->path_len < DL_JS_PATH_MAX ? js->path_len : DL_JS_PATH_MAX;
  for (int i = 0; i < depth && n < size; i++) {
    const dl_js_frame *f = &js->path[i];
    if (f->key)
      n += (size_t) snprintf(buf + n, size - n, ".%.*s", (int) (f->key_len > 60 ? 60 : f->key_len),
                             f->key);
    else
      n += (size_t) snprintf(buf + n, size - n, "[%ld]", f->index);
  }
  if (js->path_len > DL_JS_PATH_MAX && n < size)
    snprintf(buf + n, size - n, "...");
}

int
dl_js_fail(dl_js *js, int code, const char *fmt, ...)
{
  if (js->code)
    return -1;
  js->code = code;
  if (!js->err)
    return -1;
  char what[200], path[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  dl_js_path_text(js, path, sizeof path);
  size_t off = (size_t) (js->p - js->base);
  long line, column;
  dl_js_line_column(js, off, &line, &column);
  dl_fail(js->err, code, "%s:%ld:%ld: %s: %s", js->source, line, column, path, what);
  dl_error_at(js->err, js->source, line, column, (long) off);
  return -1;
}

/* A printable rendering of the byte at P for messages. */
static const char *
byte_name(const dl_js *js, char buf[16])
{
  if (js->p >= js->end)
    return "end of input";
  unsigned c = *js->p;
  if (c >= 0x20 && c < 0x7f)
    snprintf(buf, 16, "'%c'", (char) c);
  else
    snprintf(buf, 16, "byte 0x%02x", c);
  return buf;
}

/* ---- strings ---- */

/* Length of the valid UTF-8 sequence at P (2 to 4), or 0. */
static int
utf8_length(const uint8_t *p, const uint8_t *end)
{
  uint8_t c = p[0];
  size_t avail = (size_t) (end - p);
  if (c >= 0xc2 && c <= 0xdf) {
    if (avail < 2 || (p[1] & 0xc0) != 0x80)
      return 0;
    return 2;
  }
  if (c >= 0xe0 && c <= 0xef) {
    if (avail < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
      return 0;
    if (c == 0xe0 && p[1] < 0xa0)
      return 0; /* overlong */
    if (c == 0xed && p[1] > 0x9f)
      return 0; /* surrogate */
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (avail < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
      return 0;
    if (c == 0xf0 && p[1] < 0x90)
      return 0; /* overlong */
    if (c == 0xf4 && p[1] > 0x8f)
      return 0; /* above U+10FFFF */
    return 4;
  }
  return 0;
}

static int
ensure_scratch(dl_js *js, int slot, size_t need)
{
  if (need <= js->scratch_cap[slot])
    return 0;
  size_t cap = js->scratch_cap[slot] ? js->scratch_cap[slot] : 256;
  while (cap < need)
    cap *= 2;
  char *p = realloc(js->scratch[slot], cap);
  if (!p)
    return dl_js_fail(js, DL_ENOMEM, "out of memory decoding a string of %zu bytes", need);
  js->scratch[slot] = p;
  js->scratch_cap[slot] = cap;
  return 0;
}

static int
hex4(const uint8_t *p, unsigned *out)
{
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    unsigned c = p[i], d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
      d = (c | 0x20) - 'a' + 10;
    else
      return -1;
    v = v << 4 | d;
  }
  *out = v;
  return 0;
}

static size_t
put_utf8(char *o, unsigned cp)
{
  if (cp < 0x80) {
    o[0] = (char) cp;
    return 1;
  }
  if (cp < 0x800) {
    o[0] = (char) (0xc0 | cp >> 6);
    o[1] = (char) (0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (char) (0xe0 | cp >> 12);
    o[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
    o[2] = (char) (0x80 | (cp & 0x3f));
    return 3;
  }
  o[0] = (char) (0xf0 | cp >> 18);
  o[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
  o[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
  o[3] = (char) (0x80 | (cp & 0x3f));
  return 4;
}

/* The slow path: a string with escapes, from START (just after the
   quote); P is at the first backslash.  Decodes into scratch SLOT, or
   only validates when SLOT < 0. */
static int
string_escaped(dl_js *js, int slot, const uint8_t *start, const uint8_t *p, dl_str *out)
{
  const uint8_t *end = js->end;
  char *o = NULL;
  size_t n = 0;
  if (slot >= 0) {
    /* Decoded text is never longer than the input. */
    if (ensure_scratch(js, slot, (size_t) (end - start) + 1))
      return -1;
    o = js->scratch[slot];
    memcpy(o, start, (size_t) (p - start));
    n = (size_t) (p - start);
  }
  while (p < end) {
    uint8_t c = *p;
    if (c == '"') {
      js->p = p + 1;
      if (out) {
        out->ptr = o;
        out->len = n;
      }
      return 0;
    }
    if (c == '\\') {
      js->p = p;
      if (end - p < 2)
        break;
      uint8_t e = p[1];
      char simple = 0;
      switch (e) {
      case '"': simple = '"'; break;
      case '\\': simple = '\\'; break;
      case '/': simple = '/'; break;
      case 'b': simple = '\b'; break;
      case 'f': simple = '\f'; break;
      case 'n': simple = '\n'; break;
      case 'r': simple = '\r'; break;
      case 't': simple = '\t'; break;
      case 'u': {
        unsigned cp, lo;
        if (end - p < 6 || hex4(p + 2, &cp))
          return dl_js_fail(js, DL_EPARSE, "invalid \\u escape in string");
        p += 6;
        if (cp >= 0xdc00 && cp <= 0xdfff)
          return dl_js_fail(js, DL_EPARSE, "lone low surrogate \\u%04X in string", cp);
        if (cp >= 0xd800 && cp <= 0xdbff) {
          if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, &lo) || lo < 0xdc00 ||
              lo > 0xdfff)
            return dl_js_fail(js, DL_EPARSE, "high surrogate \\u%04X not followed by a low one",
                              cp);
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          p += 6;
        }
        if (o)
          n += put_utf8(o + n, cp);
        continue;
      }
      default:
        return dl_js_fail(js, DL_EPARSE, "invalid escape '\\%c' in string",
                          e >= 0x20 && e < 0x7f ? e : '?');
      }
      if (o)
        o[n++] = simple;
      p += 2;
      continue;
    }
    if (c < 0x20) {
      js->p = p;
      return dl_js_fail(js, DL_EPARSE, "control character 0x%02x in string (must be escaped)", c);
    }
    if (c >= 0x80) {
      int l = utf8_length(p, end);
      if (!l) {
        js->p = p;
        return dl_js_fail(js, DL_EPARSE, "invalid UTF-8 in string");
      }
      if (o) {
        memcpy(o + n, p, (size_t) l);
        n += (size_t) l;
      }
      p += l;
      continue;
    }
    if (o)
      o[n++] = (char) c;
    p++;
  }
  js->p = end;
  return dl_js_fail(js, DL_EPARSE, "unterminated string");
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Nonzero when any of the 8 bytes of W is '"', '\\', below 0x20 or 0x80
   and above: the bytes a string scan must look at. */
static inline uint64_t
special_bytes(uint64_t w)
{
  uint64_t q = w ^ (ONES * '"');
  uint64_t b = w ^ (ONES * '\\');
  return (((q - ONES) & ~q) | ((b - ONES) & ~b) | (w - ONES * 0x20) | w) & HIGHS;
}

/* Scans a string; OUT may be NULL and SLOT < 0 to validate only. */
static inline int
string_scan(dl_js *js, int slot, dl_str *out)
{
  const uint8_t *p = js->p, *end = js->end;
  if (p >= end || *p != '"') {
    char b[16];
    return dl_js_fail(js, DL_EPARSE, "expected a string, found %s", byte_name(js, b));
  }
  p++;
  const uint8_t *start = p;
  for (;;) {
    while (end - p >= 8) {
      uint64_t w;
      memcpy(&w, p, 8);
      uint64_t m = special_bytes(w);
      if (m) {
        /* The lowest flagged byte is the first special one (a borrow
           only ever flags bytes above a true one). */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        p += __builtin_ctzll(m) / 8;
#endif
        break;
      }
      p += 8;
    }
    if (p >= end)
      break;
    uint8_t c = *p;
    if (c == '"') {
      js->p = p + 1;
      if (out) {
        out->ptr = (const char *) start;
        out->len = (size_t) (p - start);
      }
      return 0;
    }
    if (c == '\\')
      return string_escaped(js, slot, start, p, out);
    if (c < 0x20) {
      js->p = p;
      return dl_js_fail(js, DL_EPARSE, "control character 0x%02x in string (must be escaped)", c);
    }
    if (c >= 0x80) {
      int l = utf8_length(p, end);
      if (!l) {
        js->p = p;
        return dl_js_fail(js, DL_EPARSE, "invalid UTF-8 in string");
      }
      p += l;
    } else {
      p++;
    }
  }
  js->p = end;
  return dl_js_fail(js, DL_EPARSE, "unterminated string");
}

int
dl_js_string(dl_js *js, int slot, dl_str *out)
{
  dl_js_ws(js);
  return string_scan(js, slot, out);
}

/* ---- structure ---- */

int
dl_js_expect(dl_js *js, int c)
{
  dl_js_ws(js);
  if (js->p < js->end && *js->p == c) {
    js->p++;
    return 0;
  }
  char b[16];
  return dl_js_fail(js, DL_EPARSE, "expected '%c', found %s", c, byte_name(js, b));
}

static int
literal(dl_js *js, const char *word, size_t len)
{
  if ((size_t) (js->end - js->p) < len || memcmp(js->p, word, len) != 0) {
    char b[16];
    return dl_js_fail(js, DL_EPARSE, "expected a value, found %s", byte_name(js, b));
  }
  js->p += len;
  return 0;
}

int
dl_js_null(dl_js *js)
{
  dl_js_ws(js);
  if (js->p < js->end && *js->p == 'n') {
    if (literal(js, "null", 4))
      return -1;
    return 1;
  }
  return 0;
}

static int
open_container(dl_js *js, int open, int close, const char *what)
{
  dl_js_ws(js);
  if (js->p < js->end && *js->p == 'n') {
    if (literal(js, "null", 4))
      return -1;
    return 0;
  }
  if (js->p >= js->end || *js->p != open) {
    char b[16];
    return dl_js_fail(js, DL_EPARSE, "expected %s, found %s", what, byte_name(js, b));
  }
  if (js->depth >= DL_JS_MAX_DEPTH)
    return dl_js_fail(js, DL_EPARSE, "nesting deeper than %d levels", DL_JS_MAX_DEPTH);
  js->p++;
  dl_js_ws(js);
  if (js->p < js->end && *js->p == close) {
    js->p++;
    return 0;
  }
  js->depth++;
  return 1;
}

static int
next_member(dl_js *js, int close, const char *what)
{
  dl_js_ws(js);
  if (js->p < js->end) {
    if (*js->p == ',') {
      js->p++;
      return 1;
    }
    if (*js->p == close) {
      js->p++;
      js->depth--;
      return 0;
    }
  }
  char b[16];
  return dl_js_fail(js, DL_EPARSE, "expected ',' or '%c' %s, found %s", close, what,
                    byte_name(js, b));
}

int
dl_js_object_begin(dl_js *js)
{
  return open_container(js, '{', '}', "an object");
}

int
dl_js_object_next(dl_js *js)
{
  return next_member(js, '}', "after an object member");
}

int
dl_js_array_begin(dl_js *js)
{
  return open_container(js, '[', ']', "an array");
}

int
dl_js_array_next(dl_js *js)
{
  return next_member(js, ']', "after an array element");
}

int
dl_js_key(dl_js *js, dl_str *key)
{
  dl_js_ws(js);
  if (string_scan(js, DL_JS_SLOT_KEY, key))
    return -1;
  dl_js_ws(js);
  if (js->p < js->end && *js->p == ':') {
    js->p++;
    return 0;
  }
  char b[16];
  return dl_js_fail(js, DL_EPARSE, "expected ':' after a member name, found %s", byte_name(js, b));
}

/* ---- numbers ---- */

/* Scans a JSON number at P; sets *INTEGRAL when it has no fraction or
   exponent. */
static int
number_scan(dl_js *js, const uint8_t **start, size_t *len, int *integral)
{
  const uint8_t *p = js->p, *end = js->end;
  *start = p;
  *integral = 1;
  if (p < end && *p == '-')
    p++;
  if (p >= end || *p < '0' || *p > '9') {
    js->p = p;
    return dl_js_fail(js, DL_EPARSE, "invalid number");
  }
  if (*p == '0') {
    p++;
    if (p < end && *p >= '0' && *p <= '9') {
      js->p = p;
      return dl_js_fail(js, DL_EPARSE, "invalid number (leading zero)");
    }
  } else {
    while (p < end && *p >= '0' && *p <= '9')
      p++;
  }
  if (p < end && *p == '.') {
    *integral = 0;
    p++;
    if (p >= end || *p < '0' || *p > '9') {
      js->p = p;
      return dl_js_fail(js, DL_EPARSE, "invalid number (no digit after '.')");
    }
    while (p < end && *p >= '0' && *p <= '9')
      p++;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    *integral = 0;
    p++;
    if (p < end && (*p == '+' || *p == '-'))
      p++;
    if (p >= end || *p < '0' || *p > '9') {
      js->p = p;
      return dl_js_fail(js, DL_EPARSE, "invalid number (no digit in the exponent)");
    }
    while (p < end && *p >= '0' && *p <= '9')
      p++;
  }
  *len = (size_t) (p - *start);
  js->p = p;
  return 0;
}

/* Decimal digits [S, S+LEN) with an optional '-' into a magnitude and a
   sign; -1 on overflow of uint64 or a non-digit. */
static int
digits_value(const uint8_t *s, size_t len, uint64_t *mag, int *neg)
{
  *neg = 0;
  if (len && *s == '-') {
    *neg = 1;
    s++;
    len--;
  }
  if (!len)
    return -1;
  uint64_t v = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned d = (unsigned) s[i] - '0';
    if (d > 9)
      return -1;
    if (v > (UINT64_MAX - d) / 10)
      return -1;
    v = v * 10 + d;
  }
  *mag = v;
  return 0;
}

/* An integer as a number or a quoted string of digits. */
static int
integer_text(dl_js *js, uint64_t *mag, int *neg)
{
  dl_js_ws(js);
  if (js->p < js->end && *js->p == '"') {
    const uint8_t *save = js->p;
    dl_str s;
    if (string_scan(js, -1, &s))
      return -1;
    if (digits_value((const uint8_t *) s.ptr, s.len, mag, neg)) {
      js->p = save;
      return dl_js_fail(js, DL_EPARSE, "\"%.*s\" is not an integer in range", (int) (s.len > 40 ? 40 : s.len),
                        s.ptr ? s.ptr : "");
    }
    return 0;
  }
  const uint8_t *start;
  size_t len;
  int integral;
  if (js->p >= js->end || (*js->p != '-' && (*js->p < '0' || *js->p > '9'))) {
    char b[16];
    return dl_js_fail(js, DL_EPARSE, "expected an integer, found %s", byte_name(js, b));
  }
  if (number_scan(js, &start, &len, &integral))
    return -1;
  if (!integral || digits_value(start, len, mag, neg)) {
    js->p = start;
    return dl_js_fail(js, DL_EPARSE, "%.*s is not an integer in range", (int) (len > 40 ? 40 : len),
                      (const char *) start);
  }
  return 0;
}

int
dl_js_int64(dl_js *js, int64_t *out)
{
  uint64_t mag;
  int neg;
  const uint8_t *save = js->p;
  if (integer_text(js, &mag, &neg))
    return -1;
  if (neg ? mag > (uint64_t) INT64_MAX + 1 : mag > (uint64_t) INT64_MAX) {
    js->p = save;
    dl_js_ws(js);
    return dl_js_fail(js, DL_EPARSE, "integer out of the 64-bit signed range");
  }
  *out = neg ? (int64_t) (0 - mag) : (int64_t) mag;
  return 0;
}

int
dl_js_uint64(dl_js *js, uint64_t *out)
{
  uint64_t mag;
  int neg;
  const uint8_t *save = js->p;
  if (integer_text(js, &mag, &neg))
    return -1;
  if (neg && mag) {
    js->p = save;
    dl_js_ws(js);
    return dl_js_fail(js, DL_EPARSE, "negative value where an unsigned integer is expected");
  }
  *out = mag;
  return 0;
}

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void
make_c_locale(void)
{
  c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t) 0);
}

int
dl_parse_double(const char *s, size_t len, double *out)
{
  char small[64];
  char *buf = small;
  if (len >= sizeof small) {
    buf = malloc(len + 1);
    if (!buf)
      return -1;
  }
  memcpy(buf, s, len);
  buf[len] = '\0';
  pthread_once(&c_locale_once, make_c_locale);
  char *endp;
  double d = c_locale ? strtod_l(buf, &endp, c_locale) : strtod(buf, &endp);
  int ok = len > 0 && endp == buf + len;
  if (buf != small)
    free(buf);
  if (!ok)
    return -1;
  *out = d;
  return 0;
}

int
dl_js_double(dl_js *js, double *out)
{
  dl_js_ws(js);
  if (js->p < js->end && *js->p == '"') {
    dl_str s;
    const uint8_t *save = js->p;
    if (string_scan(js, -1, &s))
      return -1;
    if (s.len == 3 && memcmp(s.ptr, "NaN", 3) == 0)
      *out = NAN;
    else if (s.len == 8 && memcmp(s.ptr, "Infinity", 8) == 0)
      *out = INFINITY;
    else if (s.len == 9 && memcmp(s.ptr, "-Infinity", 9) == 0)
      *out = -INFINITY;
    else {
      /* A number in a string must itself be a JSON number.  (An empty
         string may have no pointer at all: no arithmetic on it.) */
      dl_js sub = *js;
      const uint8_t *start;
      size_t len = 0;
      int integral;
      if (s.len) {
        sub.p = (const uint8_t *) s.ptr;
        sub.end = sub.p + s.len;
      }
      sub.err = NULL;
      if (s.len == 0 || number_scan(&sub, &start, &len, &integral) || len != s.len ||
          dl_parse_double(s.ptr, s.len, out)) {
        js->p = save;
        return dl_js_fail(js, DL_EPARSE, "\"%.*s\" is not a number", (int) (s.len > 40 ? 40 : s.len),
                          s.ptr ? s.ptr : "");
      }
    }
    return 0;
  }
  const uint8_t *start;
  size_t len;
  int integral;
  if (js->p >= js->end || (*js->p != '-' && (*js->p < '0' || *js->p > '9'))) {
    char b[16];
    return dl_js_fail(js, DL_EPARSE, "expected a number, found %s", byte_name(js, b));
  }
  if (number_scan(js, &start, &len, &integral))
    return -1;
  if (dl_parse_double((const char *) start, len, out)) {
    js->p = start;
    return dl_js_fail(js, DL_EPARSE, "invalid number");
  }
  return 0;
}

int
dl_js_bool(dl_js *js, int *out)
{
  dl_js_ws(js);
  if (js->p < js->end && *js->p == 't') {
    *out = 1;
    return literal(js, "true", 4);
  }
  if (js->p < js->end && *js->p == 'f') {
    *out = 0;
    return literal(js, "false", 5);
  }
  char b[16];
  return dl_js_fail(js, DL_EPARSE, "expected true or false, found %s", byte_name(js, b));
}

/* ---- skipping ---- */

int
dl_js_skip(dl_js *js)
{
  dl_js_ws(js);
  if (js->p >= js->end)
    return dl_js_fail(js, DL_EPARSE, "expected a value, found end of input");
  int c = *js->p;
  int more;
  switch (c) {
  case '{':
    more = dl_js_object_begin(js);
    while (more > 0) {
      dl_str key;
      if (dl_js_ws(js), string_scan(js, -1, &key))
        return -1;
      if (dl_js_expect(js, ':') || dl_js_skip(js))
        return -1;
      more = dl_js_object_next(js);
    }
    return more < 0 ? -1 : 0;
  case '[':
    more = dl_js_array_begin(js);
    while (more > 0) {
      if (dl_js_skip(js))
        return -1;
      more = dl_js_array_next(js);
    }
    return more < 0 ? -1 : 0;
  case '"':
    return string_scan(js, -1, NULL);
  case 't':
    return literal(js, "true", 4);
  case 'f':
    return literal(js, "false", 5);
  case 'n':
    return literal(js, "null", 4);
  default:
    if (c == '-' || (c >= '0' && c <= '9')) {
      const uint8_t *start;
      size_t len;
      int integral;
      return number_scan(js, &start, &len, &integral);
    }
    char b[16];
    return dl_js_fail(js, DL_EPARSE, "expected a value, found %s", byte_name(js, b));
  }
}

/* ---- locating a path (for errors found after a tree parse) ---- */

long
dl_js_locate(const void *data, size_t len, const dl_js_frame *path, int n)
{
  dl_js js;
  dl_js_init(&js, data, len, NULL, NULL);
  long where = -1;
  for (int i = 0; i < n; i++) {
    const dl_js_frame *f = &path[i];
    if (f->key) {
      int more = dl_js_object_begin(&js);
      int found = 0;
      while (more > 0) {
        dl_str k;
        if (dl_js_key(&js, &k))
          break;
        if (k.ptr && k.len == f->key_len && memcmp(k.ptr, f->key, k.len) == 0) {
          found = 1;
          break;
        }
        if (dl_js_skip(&js))
          break;
        more = dl_js_object_next(&js);
      }
      if (!found)
        goto out;
    } else {
      int more = dl_js_array_begin(&js);
      for (long k = 0; more > 0 && k < f->index; k++) {
        if (dl_js_skip(&js))
          goto out;
        more = dl_js_array_next(&js);
      }
      if (more <= 0)
        goto out;
    }
  }
  dl_js_ws(&js);
  where = (long) (js.p - js.base);
out:
  /* Keys with escapes went through scratch buffers. */
  dl_js_release(&js);
  return where;
}
