/* The Prometheus text exposition format (version 0.0.4) and OpenMetrics
   1.0 text, line by line into the series store.  Strict where the
   formats are: names, label escapes, values, timestamps, # TYPE given
   once and before its samples, a histogram's buckets with a numeric le,
   OpenMetrics' # EOF; every error names the line and column and what was
   expected there. */
#include "sources/prometheus-store.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy-ledger/time.h"
#include "ingest/json-scanner.h" /* dl_parse_double */

#define MAX_LABELS 64         /* labels of one sample or exemplar */
#define MAX_EXEMPLAR_CHARS 128 /* OpenMetrics: of an exemplar's label set */

typedef struct parser {
  dl_prom_data *d;
  const char *source;
  int om;              /* OpenMetrics rules */
  int64_t default_time;
  const char *line;    /* the current line (not NUL-terminated) */
  size_t len;
  long lineno;
  size_t pos;          /* within the line */
  char *scratch;       /* unescaped label values of the line */
  size_t scratch_len, scratch_cap;
  dl_error *err;
} parser;

static int
fail_at(parser *p, size_t col, const char *fmt, ...) DL_PRINTF(3, 4);

static int
fail_at(parser *p, size_t col, const char *fmt, ...)
{
  char what[240];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  dl_fail(p->err, DL_EPARSE, "%s:%ld:%zu: %s", p->source, p->lineno, col + 1, what);
  dl_error_at(p->err, p->source, p->lineno, (long) col + 1, -1);
  return DL_EPARSE;
}

static int
at_end(const parser *p)
{
  return p->pos >= p->len;
}

static int
peek(const parser *p)
{
  return p->pos < p->len ? (unsigned char) p->line[p->pos] : -1;
}

static void
skip_blanks(parser *p)
{
  while (p->pos < p->len && (p->line[p->pos] == ' ' || p->line[p->pos] == '\t'))
    p->pos++;
}

static int
name_start(int c, int colon)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
}

static int
name_char(int c, int colon)
{
  return name_start(c, colon) || (c >= '0' && c <= '9');
}

/* A metric name (COLON) or label name at the position: its length, 0 when
   none starts here. */
static size_t
read_name(parser *p, int colon)
{
  size_t start = p->pos;
  if (!name_start(peek(p), colon))
    return 0;
  while (name_char(peek(p), colon))
    p->pos++;
  return p->pos - start;
}

/* A printable excerpt of the text at the position, for messages. */
static const char *
shown(const parser *p, char *buf, size_t size)
{
  size_t n = 0;
  for (size_t i = p->pos; i < p->len && n + 1 < size && n < 16; i++)
    buf[n++] = p->line[i] >= 0x20 && p->line[i] < 0x7f ? p->line[i] : '?';
  buf[n] = 0;
  return n ? buf : "the end of the line";
}

/* Reserves N bytes of scratch (offsets stay valid: values are kept as
   offsets until the line is done). */
static int
scratch_room(parser *p, size_t n)
{
  if (p->scratch_len + n <= p->scratch_cap)
    return 0;
  size_t cap = p->scratch_cap ? p->scratch_cap : 256;
  while (cap < p->scratch_len + n)
    cap *= 2;
  char *s = realloc(p->scratch, cap);
  if (!s)
    return -1;
  p->scratch = s;
  p->scratch_cap = cap;
  return 0;
}

typedef struct label_ref {
  size_t name, value; /* offsets into scratch of NUL-terminated text */
  size_t col;         /* where the name starts, for messages */
} label_ref;

/* Copies LEN bytes of the line at OFF into scratch, NUL-terminated. */
static int
scratch_copy(parser *p, size_t off, size_t len, size_t *out)
{
  if (scratch_room(p, len + 1))
    return fail_at(p, off, "out of memory");
  *out = p->scratch_len;
  memcpy(p->scratch + p->scratch_len, p->line + off, len);
  p->scratch[p->scratch_len + len] = 0;
  p->scratch_len += len + 1;
  return DL_OK;
}

/* A quoted label value with \\, \" and \n escapes, into scratch. */
static int
read_quoted(parser *p, size_t *out)
{
  if (peek(p) != '"') {
    char b[24];
    return fail_at(p, p->pos, "expected '\"' to open a label value, found %s",
                   shown(p, b, sizeof b));
  }
  size_t open = p->pos++;
  if (scratch_room(p, p->len - p->pos + 1))
    return fail_at(p, p->pos, "out of memory");
  *out = p->scratch_len;
  char *w = p->scratch + p->scratch_len;
  for (;;) {
    if (at_end(p))
      return fail_at(p, open, "label value opened here is not closed by '\"' on this line");
    char c = p->line[p->pos];
    if (c == '"')
      break;
    if (c == '\\') {
      if (p->pos + 1 >= p->len)
        return fail_at(p, p->pos, "a backslash ends the line inside a label value");
      char e = p->line[p->pos + 1];
      if (e == 'n')
        *w++ = '\n';
      else if (e == '\\' || e == '"')
        *w++ = e;
      else
        return fail_at(p, p->pos, "unknown escape '\\%c' in a label value (only \\\\, \\\" "
                       "and \\n are allowed)", e >= 0x20 && e < 0x7f ? e : '?');
      p->pos += 2;
      continue;
    }
    if (c == 0)
      return fail_at(p, p->pos, "a NUL byte in a label value");
    *w++ = c;
    p->pos++;
  }
  p->pos++; /* the closing quote */
  *w++ = 0;
  p->scratch_len = (size_t) (w - p->scratch);
  return DL_OK;
}

/* '{' labels '}' at the position (the brace already seen). */
static int
read_labels(parser *p, label_ref *labels, size_t *n)
{
  *n = 0;
  p->pos++; /* '{' */
  for (;;) {
    skip_blanks(p);
    if (peek(p) == '}') {
      p->pos++;
      return DL_OK;
    }
    size_t col = p->pos;
    size_t len = read_name(p, 0);
    if (!len) {
      char b[24];
      return fail_at(p, p->pos, "expected a label name or '}', found %s", shown(p, b, sizeof b));
    }
    if (*n >= MAX_LABELS)
      return fail_at(p, col, "more than %d labels on one sample", MAX_LABELS);
    label_ref *l = &labels[*n];
    l->col = col;
    int rc = scratch_copy(p, col, len, &l->name);
    if (rc)
      return rc;
    for (size_t i = 0; i < *n; i++)
      if (strcmp(p->scratch + labels[i].name, p->scratch + l->name) == 0)
        return fail_at(p, col, "label \"%s\" given twice", p->scratch + l->name);
    skip_blanks(p);
    if (peek(p) != '=') {
      char b[24];
      return fail_at(p, p->pos, "expected '=' after label name \"%s\", found %s",
                     p->scratch + l->name, shown(p, b, sizeof b));
    }
    p->pos++;
    skip_blanks(p);
    rc = read_quoted(p, &l->value);
    if (rc)
      return rc;
    (*n)++;
    skip_blanks(p);
    if (peek(p) == ',') {
      p->pos++;
      continue;
    }
    if (peek(p) == '}') {
      p->pos++;
      return DL_OK;
    }
    char b[24];
    return fail_at(p, p->pos, "expected ',' or '}' after the value of label \"%s\", found %s",
                   p->scratch + l->name, shown(p, b, sizeof b));
  }
}

/* The token up to the next blank or the end. */
static size_t
token(parser *p)
{
  size_t start = p->pos;
  while (p->pos < p->len && p->line[p->pos] != ' ' && p->line[p->pos] != '\t')
    p->pos++;
  return p->pos - start;
}

static int
equal_nocase(const char *s, size_t len, const char *word)
{
  size_t n = strlen(word);
  if (n != len)
    return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z')
      c = (char) (c - 'A' + 'a');
    if (c != word[i])
      return 0;
  }
  return 1;
}

/* A sample value: a decimal float, NaN, +Inf, -Inf (any case). */
static int
parse_value(const char *s, size_t len, double *out)
{
  if (equal_nocase(s, len, "nan")) {
    *out = NAN;
    return 0;
  }
  if (equal_nocase(s, len, "+inf") || equal_nocase(s, len, "inf")) {
    *out = INFINITY;
    return 0;
  }
  if (equal_nocase(s, len, "-inf")) {
    *out = -INFINITY;
    return 0;
  }
  if (!len || len > 64)
    return -1;
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'))
      return -1;
  }
  return dl_parse_double(s, len, out) ? -1 : 0;
}

static int
read_value(parser *p, const char *what, double *out)
{
  size_t col = p->pos;
  size_t len = token(p);
  if (!len)
    return fail_at(p, col, "expected %s, found the end of the line", what);
  if (parse_value(p->line + col, len, out))
    return fail_at(p, col, "%s \"%.*s\" is not a number (a decimal float, NaN, +Inf or -Inf)",
                   what, (int) (len > 40 ? 40 : len), p->line + col);
  return DL_OK;
}

/* A timestamp: integer milliseconds (0.0.4) or seconds, maybe with a
   fraction (OpenMetrics); into ns. */
static int
read_timestamp(parser *p, int64_t *out)
{
  size_t col = p->pos;
  size_t len = token(p);
  const char *s = p->line + col;
  double x;
  if (!p->om) {
    int64_t ms = 0;
    size_t i = 0;
    int neg = len && s[0] == '-';
    i = neg;
    if (i >= len)
      return fail_at(p, col, "expected a timestamp in milliseconds, found \"%.*s\"",
                     (int) (len > 40 ? 40 : len), s);
    for (; i < len; i++) {
      if (s[i] < '0' || s[i] > '9')
        return fail_at(p, col, "timestamp \"%.*s\" is not a whole number of milliseconds",
                       (int) (len > 40 ? 40 : len), s);
      if (ms > (INT64_MAX / 1000000 - 9) / 10)
        return fail_at(p, col, "timestamp \"%.*s\" is out of range",
                       (int) (len > 40 ? 40 : len), s);
      ms = ms * 10 + (s[i] - '0');
    }
    *out = (neg ? -ms : ms) * INT64_C(1000000);
    return DL_OK;
  }
  if (parse_value(s, len, &x) || !isfinite(x))
    return fail_at(p, col, "timestamp \"%.*s\" is not a number of seconds",
                   (int) (len > 40 ? 40 : len), s);
  if (fabs(x) > 9.2e9)
    return fail_at(p, col, "timestamp \"%.*s\" is out of range", (int) (len > 40 ? 40 : len), s);
  /* Whole milliseconds, as Prometheus stores them. */
  *out = (int64_t) llround(x * 1e3) * INT64_C(1000000);
  return DL_OK;
}

static int
type_of(const parser *p, const char *s, size_t len, dl_prom_type *out)
{
  static const struct {
    const char *name;
    dl_prom_type type;
    int om; /* 0: 0.0.4 only, 1: OpenMetrics only, 2: both */
  } types[] = {
    {"counter", DL_PROM_COUNTER, 2},   {"gauge", DL_PROM_GAUGE, 2},
    {"histogram", DL_PROM_HISTOGRAM, 2}, {"summary", DL_PROM_SUMMARY, 2},
    {"untyped", DL_PROM_UNTYPED, 0},   {"unknown", DL_PROM_UNTYPED, 1},
    {"gaugehistogram", DL_PROM_GAUGE_HISTOGRAM, 1}, {"stateset", DL_PROM_STATESET, 1},
    {"info", DL_PROM_INFO, 1},
  };
  for (size_t i = 0; i < sizeof types / sizeof *types; i++)
    if (strlen(types[i].name) == len && memcmp(types[i].name, s, len) == 0
        && (types[i].om == 2 || types[i].om == p->om)) {
      *out = types[i].type;
      return 0;
    }
  return -1;
}

/* HELP text: \\ and \n escapes (OpenMetrics also \"). */
static int
help_text(parser *p, size_t *out)
{
  if (scratch_room(p, p->len - p->pos + 1))
    return fail_at(p, p->pos, "out of memory");
  *out = p->scratch_len;
  char *w = p->scratch + p->scratch_len;
  while (!at_end(p)) {
    char c = p->line[p->pos];
    if (c == '\\' && p->pos + 1 < p->len
        && (p->line[p->pos + 1] == '\\' || p->line[p->pos + 1] == 'n'
            || (p->om && p->line[p->pos + 1] == '"'))) {
      *w++ = p->line[p->pos + 1] == 'n' ? '\n' : p->line[p->pos + 1];
      p->pos += 2;
      continue;
    }
    if (c == '\\' && p->om)
      return fail_at(p, p->pos, "unknown escape in HELP text (only \\\\, \\\" and \\n)");
    *w++ = c;
    p->pos++;
  }
  *w++ = 0;
  p->scratch_len = (size_t) (w - p->scratch);
  return DL_OK;
}

/* A # line: HELP, TYPE, UNIT, EOF, or (0.0.4) a comment. *EOF set on
   "# EOF". */
static int
comment_line(parser *p, int *eof)
{
  p->pos++; /* the '#' */
  if (peek(p) != ' ') {
    if (p->om)
      return fail_at(p, p->pos, "expected a space after '#' (# HELP, # TYPE, # UNIT or # EOF)");
    return DL_OK;
  }
  p->pos++;
  size_t kcol = p->pos;
  size_t klen = token(p);
  const char *kw = p->line + kcol;
  if (klen == 3 && memcmp(kw, "EOF", 3) == 0 && p->om) {
    if (!at_end(p))
      return fail_at(p, p->pos, "nothing may follow # EOF on its line");
    *eof = 1;
    return DL_OK;
  }
  int help = klen == 4 && memcmp(kw, "HELP", 4) == 0;
  int type = klen == 4 && memcmp(kw, "TYPE", 4) == 0;
  int unit = klen == 4 && memcmp(kw, "UNIT", 4) == 0 && p->om;
  if (!help && !type && !unit) {
    if (p->om)
      return fail_at(p, kcol, "unknown comment \"# %.*s\": OpenMetrics allows # HELP, # TYPE, "
                     "# UNIT and # EOF", (int) (klen > 20 ? 20 : klen), kw);
    return DL_OK; /* 0.0.4: any other comment is ignored */
  }
  if (peek(p) != ' ')
    return fail_at(p, p->pos, "expected a space and a metric name after # %.*s", (int) klen, kw);
  skip_blanks(p);
  size_t ncol = p->pos;
  size_t nlen = read_name(p, 1);
  if (!nlen) {
    char b[24];
    return fail_at(p, ncol, "expected a metric name after # %.*s, found %s", (int) klen, kw,
                   shown(p, b, sizeof b));
  }
  if (!at_end(p) && peek(p) != ' ' && peek(p) != '\t')
    return fail_at(p, p->pos, "a metric name may hold only letters, digits, '_' and ':'");
  dl_prom_family *f = dl_prom_data_family_get(p->d, p->line + ncol, nlen, p->err);
  if (!f) {
    dl_error_at(p->err, p->source, p->lineno, (long) ncol + 1, -1);
    return p->err && p->err->code ? p->err->code : DL_ENOMEM;
  }
  if (!at_end(p))
    p->pos++; /* the one separating space */
  if (!help)
    skip_blanks(p);
  if (type) {
    size_t tcol = p->pos;
    size_t tlen = token(p);
    dl_prom_type t;
    if (type_of(p, p->line + tcol, tlen, &t))
      return fail_at(p, tcol, "unknown metric type \"%.*s\" (%s)", (int) (tlen > 20 ? 20 : tlen),
                     p->line + tcol,
                     p->om ? "counter, gauge, histogram, gaugehistogram, summary, stateset, "
                             "info or unknown"
                           : "counter, gauge, histogram, summary or untyped");
    skip_blanks(p);
    if (!at_end(p))
      return fail_at(p, p->pos, "nothing may follow the type");
    /* A type stated twice is an error in both formats: the second would
       change how samples already read are understood. */
    if (f->typed)
      return fail_at(p, kcol, "# TYPE of %s given twice", f->name);
    f->type = t;
    f->typed = 1;
    return DL_OK;
  }
  size_t off = 0;
  int rc = help_text(p, &off);
  if (rc)
    return rc;
  const char *text = dl_prom_data_intern(p->d, p->scratch + off, strlen(p->scratch + off));
  if (!text)
    return fail_at(p, kcol, "out of memory");
  if (help) {
    if (f->help)
      return fail_at(p, kcol, "# HELP of %s given twice", f->name);
    f->help = text;
  } else {
    if (f->unit)
      return fail_at(p, kcol, "# UNIT of %s given twice", f->name);
    f->unit = text;
  }
  return DL_OK;
}

static int
ends_with(const char *s, size_t len, const char *suffix)
{
  size_t n = strlen(suffix);
  return len > n && memcmp(s + len - n, suffix, n) == 0;
}

/* The family a sample named NAME (LEN) belongs to, when a # TYPE named
   it: the name itself or the name less a suffix its type allows. */
static const dl_prom_family *
family_of(parser *p, const char *name, size_t len, const char **suffix)
{
  static const char *const suffixes[] = {"_bucket", "_count", "_sum", "_total", "_created",
                                         "_gcount", "_gsum", "_info"};
  *suffix = "";
  for (size_t i = 0; i < dl_prom_data_family_count(p->d); i++) {
    const dl_prom_family *f = dl_prom_data_family(p->d, i);
    size_t fl = strlen(f->name);
    if (fl == len && memcmp(f->name, name, len) == 0)
      return f;
  }
  for (size_t k = 0; k < sizeof suffixes / sizeof *suffixes; k++) {
    if (!ends_with(name, len, suffixes[k]))
      continue;
    size_t fl = len - strlen(suffixes[k]);
    for (size_t i = 0; i < dl_prom_data_family_count(p->d); i++) {
      const dl_prom_family *f = dl_prom_data_family(p->d, i);
      if (strlen(f->name) == fl && memcmp(f->name, name, fl) == 0) {
        *suffix = suffixes[k];
        return f;
      }
    }
  }
  return NULL;
}

static int
sample_line(parser *p)
{
  label_ref refs[MAX_LABELS];
  size_t n = 0;
  p->scratch_len = 0;
  size_t ncol = p->pos;
  size_t nlen = read_name(p, 1);
  if (!nlen) {
    char b[24];
    return fail_at(p, p->pos, "expected a metric name, found %s", shown(p, b, sizeof b));
  }
  size_t name_off;
  int rc = scratch_copy(p, ncol, nlen, &name_off);
  if (rc)
    return rc;
  if (peek(p) == '{') {
    rc = read_labels(p, refs, &n);
    if (rc)
      return rc;
  } else if (!at_end(p) && peek(p) != ' ' && peek(p) != '\t') {
    return fail_at(p, p->pos, "a metric name may hold only letters, digits, '_' and ':'");
  }
  if (peek(p) != ' ' && peek(p) != '\t')
    return fail_at(p, p->pos, "expected a space and the sample's value");
  skip_blanks(p);
  double value;
  rc = read_value(p, "the sample's value", &value);
  if (rc)
    return rc;
  int64_t t = p->default_time;
  skip_blanks(p);
  if (!at_end(p) && peek(p) != '#') {
    rc = read_timestamp(p, &t);
    if (rc)
      return rc;
    skip_blanks(p);
  }
  size_t ex_col = p->pos;
  int exemplar = 0;
  if (!at_end(p)) {
    if (!p->om || peek(p) != '#')
      return fail_at(p, p->pos, "unexpected text after the %s", p->om ? "timestamp" :
                     "timestamp (exemplars need OpenMetrics)");
    p->pos++;
    if (peek(p) != ' ')
      return fail_at(p, p->pos, "expected ' {' to open an exemplar after '#'");
    skip_blanks(p);
    if (peek(p) != '{')
      return fail_at(p, p->pos, "expected '{' to open an exemplar's labels");
    exemplar = 1;
  }

  const char *name = p->scratch + name_off;
  const char *suffix;
  const dl_prom_family *f = family_of(p, name, nlen, &suffix);
  const char *le = NULL;
  for (size_t i = 0; i < n; i++)
    if (strcmp(p->scratch + refs[i].name, "le") == 0)
      le = p->scratch + refs[i].value;
  if (f && (f->type == DL_PROM_HISTOGRAM || f->type == DL_PROM_GAUGE_HISTOGRAM)
      && strcmp(suffix, "_bucket") == 0) {
    double bound;
    if (!le)
      return fail_at(p, ncol, "histogram bucket %s has no le label", name);
    if (dl_prom_parse_le(le, &bound))
      return fail_at(p, ncol, "histogram bucket %s has le=\"%s\", which is not a number", name,
                     le);
  }
  if (p->om && f && f->type == DL_PROM_COUNTER && strcmp(suffix, "_total") != 0
      && strcmp(suffix, "_created") != 0)
    return fail_at(p, ncol, "counter sample %s must be named %s_total (or _created)", name,
                   f->name);
  if (f && (f->type == DL_PROM_COUNTER || f->type == DL_PROM_HISTOGRAM) && value < 0
      && strcmp(suffix, "_sum") != 0 && strcmp(suffix, "_created") != 0)
    return fail_at(p, ncol, "%s is a %s: its value %g cannot be negative", name,
                   dl_prom_type_name(f->type), value);
  if (exemplar && !(f && (f->type == DL_PROM_COUNTER || f->type == DL_PROM_HISTOGRAM
                          || f->type == DL_PROM_GAUGE_HISTOGRAM)
                    && (strcmp(suffix, "_total") == 0 || strcmp(suffix, "_bucket") == 0)))
    return fail_at(p, ex_col, "exemplars belong on a counter's _total or a histogram's "
                   "_bucket samples, not on %s", name);

  dl_prom_label labels[MAX_LABELS];
  for (size_t i = 0; i < n; i++) {
    labels[i].name = p->scratch + refs[i].name;
    labels[i].value = p->scratch + refs[i].value;
  }
  size_t index;
  rc = dl_prom_data_add(p->d, name, labels, n, t, value, &index, p->err);
  if (rc) {
    char what[sizeof p->err->text];
    snprintf(what, sizeof what, "%s", p->err ? p->err->text : "");
    return rc == DL_EINVAL ? fail_at(p, ncol, "%s", what)
                           : (dl_error_at(p->err, p->source, p->lineno, (long) ncol + 1, -1), rc);
  }
  if (!exemplar)
    return DL_OK;

  /* The exemplar: {labels} value [timestamp]. */
  label_ref erefs[MAX_LABELS];
  size_t en = 0;
  size_t lcol = p->pos;
  rc = read_labels(p, erefs, &en);
  if (rc)
    return rc;
  size_t chars = 0;
  for (size_t i = 0; i < en; i++)
    chars += strlen(p->scratch + erefs[i].name) + strlen(p->scratch + erefs[i].value);
  if (chars > MAX_EXEMPLAR_CHARS)
    return fail_at(p, lcol, "an exemplar's labels hold %zu characters, more than the %d "
                   "OpenMetrics allows", chars, MAX_EXEMPLAR_CHARS);
  if (peek(p) != ' ')
    return fail_at(p, p->pos, "expected a space and the exemplar's value");
  skip_blanks(p);
  double ev;
  rc = read_value(p, "the exemplar's value", &ev);
  if (rc)
    return rc;
  int64_t et = DL_TIME_NONE;
  skip_blanks(p);
  if (!at_end(p)) {
    rc = read_timestamp(p, &et);
    if (rc)
      return rc;
    skip_blanks(p);
    if (!at_end(p))
      return fail_at(p, p->pos, "unexpected text after the exemplar");
  }
  dl_prom_label elabels[MAX_LABELS];
  for (size_t i = 0; i < en; i++) {
    elabels[i].name = p->scratch + erefs[i].name;
    elabels[i].value = p->scratch + erefs[i].value;
  }
  rc = dl_prom_data_exemplar_add(p->d, index, elabels, en, ev, et, p->err);
  if (rc)
    dl_error_at(p->err, p->source, p->lineno, (long) lcol + 1, -1);
  return rc;
}

static int
ends_in_eof(const char *text, size_t len)
{
  while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
    len--;
  return len >= 5 && memcmp(text + len - 5, "# EOF", 5) == 0
         && (len == 5 || text[len - 6] == '\n');
}

int
dl_exposition_parse(dl_prom_data *d, const char *text, size_t len, const char *source,
                    dl_expo_format format, int64_t default_time, dl_error *err)
{
  parser p;
  memset(&p, 0, sizeof p);
  p.d = d;
  p.source = source ? source : "metrics";
  p.om = format == DL_EXPO_OPENMETRICS || (format == DL_EXPO_AUTO && ends_in_eof(text, len));
  p.default_time = default_time;
  p.err = err;
  int rc = DL_OK, eof = 0;
  size_t at = 0;
  while (at < len && rc == DL_OK) {
    const char *nl = memchr(text + at, '\n', len - at);
    size_t end = nl ? (size_t) (nl - text) : len;
    p.line = text + at;
    p.len = end - at;
    p.pos = 0;
    p.lineno++;
    if (p.len && p.line[p.len - 1] == '\r' && !p.om)
      p.len--; /* tolerated in 0.0.4 files written on Windows */
    if (eof)
      rc = fail_at(&p, 0, "text after # EOF");
    else {
      /* 0.0.4 allows blanks before a sample or a comment. */
      if (!p.om)
        skip_blanks(&p);
      if (at_end(&p)) {
        if (p.om)
          rc = fail_at(&p, 0, "empty line (OpenMetrics allows none)");
      } else if (peek(&p) == '#') {
        rc = comment_line(&p, &eof);
      } else {
        rc = sample_line(&p);
      }
    }
    at = end + 1;
  }
  if (rc == DL_OK && p.om && !eof) {
    p.lineno++;
    p.len = 0;
    rc = fail_at(&p, 0, "OpenMetrics text must end with \"# EOF\"");
  }
  free(p.scratch);
  return rc;
}
