/* The series store of the Prometheus source: series found by their
   identity (name and sorted labels) through the library's one string
   table, samples appended in time order, limits that name their option. */
#include "sources/prometheus-store.h"

#include <stdlib.h>
#include <string.h>

#include "deploy-ledger/time.h"
#include "util/grow.h"
#include "util/intern.h"

#define DEFAULT_MAX_SERIES 100000
#define DEFAULT_MAX_SAMPLES 10000000

struct dl_prom_data {
  dl_prom_limits limits;
  dl_intern strings;    /* every name and value; also series identities */
  dl_prom_series *series;
  size_t n_series, cap_series;
  size_t *slot_of_key;  /* interned identity id -> series or family index + 1
                           (a family's identity is \1 and its name, which no
                           series identity can be) */
  size_t cap_keys;
  size_t samples;
  dl_prom_exemplar *exemplars;
  size_t n_exemplars, cap_exemplars;
  dl_prom_family *families;
  size_t n_families, cap_families;
  char *key;            /* scratch for building an identity */
  size_t key_cap;
};

dl_prom_data *
dl_prom_data_new(const dl_prom_limits *limits)
{
  dl_prom_data *d = calloc(1, sizeof *d);
  if (!d)
    return NULL;
  if (limits)
    d->limits = *limits;
  if (!d->limits.max_series)
    d->limits.max_series = DEFAULT_MAX_SERIES;
  if (!d->limits.max_samples)
    d->limits.max_samples = DEFAULT_MAX_SAMPLES;
  dl_intern_init(&d->strings);
  return d;
}

void
dl_prom_data_free(dl_prom_data *d)
{
  if (!d)
    return;
  for (size_t i = 0; i < d->n_series; i++) {
    free(d->series[i].labels);
    free(d->series[i].t);
    free(d->series[i].v);
  }
  for (size_t i = 0; i < d->n_exemplars; i++)
    free(d->exemplars[i].labels);
  free(d->series);
  free(d->slot_of_key);
  free(d->exemplars);
  free(d->families);
  free(d->key);
  dl_intern_free(&d->strings);
  free(d);
}

size_t dl_prom_data_count(const dl_prom_data *d) { return d->n_series; }
const dl_prom_series *dl_prom_data_series(const dl_prom_data *d, size_t i) { return &d->series[i]; }
size_t dl_prom_data_samples(const dl_prom_data *d) { return d->samples; }
size_t dl_prom_data_exemplar_count(const dl_prom_data *d) { return d->n_exemplars; }
const dl_prom_exemplar *dl_prom_data_exemplar(const dl_prom_data *d, size_t i) { return &d->exemplars[i]; }
size_t dl_prom_data_family_count(const dl_prom_data *d) { return d->n_families; }
const dl_prom_family *dl_prom_data_family(const dl_prom_data *d, size_t i) { return &d->families[i]; }

const char *
dl_prom_type_name(dl_prom_type t)
{
  static const char *const names[] = {"untyped", "counter", "gauge", "histogram",
                                      "gaugehistogram", "summary", "stateset", "info"};
  return (unsigned) t < sizeof names / sizeof *names ? names[t] : "untyped";
}

const char *
dl_prom_series_label(const dl_prom_series *s, const char *name)
{
  for (size_t i = 0; i < s->n_labels; i++)
    if (strcmp(s->labels[i].name, name) == 0)
      return s->labels[i].value;
  return NULL;
}

/* An interned copy of S (stable until the store is freed), or NULL. */
const char *
dl_prom_data_intern(dl_prom_data *d, const char *s, size_t len)
{
  uint32_t id = dl_intern_add(&d->strings, s, len);
  return id ? dl_intern_str(&d->strings, id) : NULL;
}

static int
cmp_label(const void *a, const void *b)
{
  return strcmp(((const dl_prom_label *) a)->name, ((const dl_prom_label *) b)->name);
}

/* Sorted, interned copies of LABELS (N) into *OUT (malloc'ed). */
int
dl_prom_data_labels(dl_prom_data *d, const dl_prom_label *labels, size_t n, dl_prom_label **out,
                    dl_error *err)
{
  *out = malloc((n ? n : 1) * sizeof **out);
  if (!*out)
    return dl_fail(err, DL_ENOMEM, "out of memory for labels");
  for (size_t i = 0; i < n; i++) {
    (*out)[i].name = dl_prom_data_intern(d, labels[i].name, strlen(labels[i].name));
    (*out)[i].value = dl_prom_data_intern(d, labels[i].value, strlen(labels[i].value));
    if (!(*out)[i].name || !(*out)[i].value) {
      free(*out);
      *out = NULL;
      return dl_fail(err, DL_ENOMEM, "out of memory for labels");
    }
  }
  qsort(*out, n, sizeof **out, cmp_label);
  for (size_t i = 1; i < n; i++)
    if (strcmp((*out)[i - 1].name, (*out)[i].name) == 0) {
      int rc = dl_fail(err, DL_EINVAL, "label \"%s\" given twice", (*out)[i].name);
      free(*out);
      *out = NULL;
      return rc;
    }
  return DL_OK;
}

static int
key_append(dl_prom_data *d, size_t *len, const char *s)
{
  size_t n = strlen(s) + 1; /* with its NUL, which separates the parts */
  if (*len + n > d->key_cap) {
    size_t cap = d->key_cap ? d->key_cap : 256;
    while (cap < *len + n)
      cap *= 2;
    char *k = realloc(d->key, cap);
    if (!k)
      return -1;
    d->key = k;
    d->key_cap = cap;
  }
  memcpy(d->key + *len, s, n);
  *len += n;
  return 0;
}

/* The slot of identity KEY (LEN bytes) in the index: *ID gets its id and
   the slot holds an index + 1, or 0 when the identity is new. */
static int
key_slot(dl_prom_data *d, const char *key, size_t len, size_t **slot, dl_error *err)
{
  uint32_t id = dl_intern_add(&d->strings, key, len);
  if (!id)
    return dl_fail(err, DL_ENOMEM, "out of memory for a series");
  if (id >= d->cap_keys) {
    size_t cap = d->cap_keys ? d->cap_keys : 256;
    while (cap <= id)
      cap *= 2;
    size_t *k = realloc(d->slot_of_key, cap * sizeof *k);
    if (!k)
      return dl_fail(err, DL_ENOMEM, "out of memory for a series");
    memset(k + d->cap_keys, 0, (cap - d->cap_keys) * sizeof *k);
    d->slot_of_key = k;
    d->cap_keys = cap;
  }
  *slot = &d->slot_of_key[id];
  return DL_OK;
}

/* The index of series NAME{SORTED} (N), created when new. */
static int
find_series(dl_prom_data *d, const char *name, const dl_prom_label *sorted, size_t n,
            size_t *index, dl_error *err)
{
  size_t len = 0;
  int bad = key_append(d, &len, name);
  for (size_t i = 0; !bad && i < n; i++)
    bad = key_append(d, &len, sorted[i].name) || key_append(d, &len, sorted[i].value);
  if (bad)
    return dl_fail(err, DL_ENOMEM, "out of memory for a series");
  size_t *slot;
  int rc = key_slot(d, d->key, len, &slot, err);
  if (rc)
    return rc;
  if (*slot) {
    *index = *slot - 1;
    return DL_OK;
  }
  if (d->n_series >= d->limits.max_series)
    return dl_fail(err, DL_ERANGE,
                   "more than %zu series: select fewer (a narrower selector or query), or "
                   "raise the limit (--max-series)",
                   d->limits.max_series);
  if (dl_grow(&d->series, &d->cap_series, d->n_series, sizeof *d->series, 64))
    return dl_fail(err, DL_ENOMEM, "out of memory for a series");
  dl_prom_series *s = &d->series[d->n_series];
  memset(s, 0, sizeof *s);
  s->name = dl_prom_data_intern(d, name, strlen(name));
  s->labels = malloc((n ? n : 1) * sizeof *s->labels);
  if (!s->name || !s->labels) {
    free(s->labels);
    return dl_fail(err, DL_ENOMEM, "out of memory for a series");
  }
  memcpy(s->labels, sorted, n * sizeof *sorted);
  s->n_labels = n;
  *slot = ++d->n_series;
  *index = d->n_series - 1;
  return DL_OK;
}

int
dl_prom_data_add(dl_prom_data *d, const char *name, const dl_prom_label *labels, size_t n,
                 int64_t t, double v, size_t *index, dl_error *err)
{
  dl_prom_label *sorted;
  int rc = dl_prom_data_labels(d, labels, n, &sorted, err);
  if (rc)
    return rc;
  size_t i = 0;
  rc = find_series(d, name, sorted, n, &i, err);
  free(sorted);
  if (rc)
    return rc;
  if (index)
    *index = i;
  dl_prom_series *s = &d->series[i];
  if (s->n && t < s->t[s->n - 1]) {
    char a[DL_TIME_TEXT_SIZE], b[DL_TIME_TEXT_SIZE];
    return dl_fail(err, DL_EINVAL, "sample of %s at %s comes after one at %s: samples of a "
                   "series must be in time order", name, dl_time_format(t, a),
                   dl_time_format(s->t[s->n - 1], b));
  }
  if (s->n && t == s->t[s->n - 1]) {
    s->v[s->n - 1] = v;
    return DL_OK;
  }
  if (d->samples >= d->limits.max_samples)
    return dl_fail(err, DL_ERANGE,
                   "more than %zu samples: narrow the window or the selector, or raise the "
                   "limit (--max-samples)",
                   d->limits.max_samples);
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 16;
    int64_t *tt = realloc(s->t, cap * sizeof *tt);
    if (tt)
      s->t = tt;
    double *vv = tt ? realloc(s->v, cap * sizeof *vv) : NULL;
    if (!vv)
      return dl_fail(err, DL_ENOMEM, "out of memory for samples");
    s->v = vv;
    s->cap = cap;
  }
  s->t[s->n] = t;
  s->v[s->n] = v;
  s->n++;
  d->samples++;
  return DL_OK;
}

int
dl_prom_data_exemplar_add(dl_prom_data *d, size_t series, const dl_prom_label *labels, size_t n,
                          double value, int64_t t, dl_error *err)
{
  if (d->n_exemplars >= d->limits.max_samples)
    return dl_fail(err, DL_ERANGE, "more than %zu exemplars: raise the limit (--max-samples)",
                   d->limits.max_samples);
  if (dl_grow(&d->exemplars, &d->cap_exemplars, d->n_exemplars, sizeof *d->exemplars, 16))
    return dl_fail(err, DL_ENOMEM, "out of memory for an exemplar");
  dl_prom_exemplar *e = &d->exemplars[d->n_exemplars];
  int rc = dl_prom_data_labels(d, labels, n, &e->labels, err);
  if (rc)
    return rc;
  e->series = series;
  e->n_labels = n;
  e->value = value;
  e->t = t;
  d->n_exemplars++;
  return DL_OK;
}

dl_prom_family *
dl_prom_data_family_get(dl_prom_data *d, const char *name, size_t len, dl_error *err)
{
  size_t klen = 0;
  if (key_append(d, &klen, "\1")) {
    dl_fail(err, DL_ENOMEM, "out of memory for a metric family");
    return NULL;
  }
  klen--; /* the name follows the marker directly */
  if (klen + len + 1 > d->key_cap) {
    char *k = realloc(d->key, klen + len + 1);
    if (!k) {
      dl_fail(err, DL_ENOMEM, "out of memory for a metric family");
      return NULL;
    }
    d->key = k;
    d->key_cap = klen + len + 1;
  }
  memcpy(d->key + klen, name, len);
  size_t *slot;
  if (key_slot(d, d->key, klen + len, &slot, err))
    return NULL;
  if (*slot)
    return &d->families[*slot - 1];
  if (d->n_families >= d->limits.max_series) {
    dl_fail(err, DL_ERANGE, "more than %zu metric families: raise the limit (--max-series)",
            d->limits.max_series);
    return NULL;
  }
  if (dl_grow(&d->families, &d->cap_families, d->n_families, sizeof *d->families, 16)) {
    dl_fail(err, DL_ENOMEM, "out of memory for a metric family");
    return NULL;
  }
  dl_prom_family *f = &d->families[d->n_families];
  memset(f, 0, sizeof *f);
  f->name = dl_prom_data_intern(d, name, len);
  if (!f->name) {
    dl_fail(err, DL_ENOMEM, "out of memory for a metric family");
    return NULL;
  }
  *slot = ++d->n_families;
  return f;
}
