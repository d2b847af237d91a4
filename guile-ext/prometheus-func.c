/* Primitives of the Prometheus source: a deployment correlated with the
   mesh's metrics (from a server or an exposition file), alone or merged
   with a trace correlation, and an exposition file read into series. */
#include "dl-guile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy-ledger/correlation-json.h"
#include "deploy-ledger/prometheus-correlation.h"

/* An exposition file is read whole; larger ones are refused before
   reading (the same limit as a trace file, --max-input). */
#define DEFAULT_MAX_FILE ((size_t) 1 << 30)

static SCM
ref(SCM alist, const char *key)
{
  return dl_guile_ref(alist, key);
}

static size_t
size_or(SCM x, size_t dflt, int pos, const char *who)
{
  if (scm_is_false(x))
    return dflt;
  if (!scm_is_unsigned_integer(x, 1, SIZE_MAX))
    scm_wrong_type_arg_msg(who, pos, x, "positive integer or #f");
  return scm_to_size_t(x);
}

static void
free_data(void *d)
{
  dl_prom_data_free(d);
}

/* Reads exposition file FILE into a new store (freed on unwind). */
static dl_prom_data *
read_file(const char *file, size_t max_bytes, const dl_prom_limits *limits, const char *who)
{
  dl_error err;
  dl_error_clear(&err);
  FILE *f = fopen(file, "rb");
  if (!f) {
    dl_fail(&err, DL_EIO, "cannot read Prometheus metrics from %s: %s", file, strerror(errno));
    dl_guile_raise(who, &err);
  }
  char *buf = NULL;
  size_t len = 0, cap = 0;
  for (;;) {
    if (len == cap) {
      if (cap >= max_bytes) {
        fclose(f);
        free(buf);
        dl_fail(&err, DL_ERANGE, "%s is larger than %zu bytes: raise the limit (%s)", file,
                max_bytes, DL_GUILE_MAX_INPUT_OPTION);
        dl_guile_raise(who, &err);
      }
      cap = cap ? cap * 2 : 65536;
      if (cap > max_bytes)
        cap = max_bytes;
      char *b = realloc(buf, cap + 1);
      if (!b) {
        fclose(f);
        free(buf);
        dl_guile_raise_code(who, DL_ENOMEM, "out of memory reading metrics");
      }
      buf = b;
    }
    size_t n = fread(buf + len, 1, cap - len, f);
    len += n;
    if (n == 0)
      break;
  }
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    free(buf);
    dl_fail(&err, DL_EIO, "cannot read Prometheus metrics from %s", file);
    dl_guile_raise(who, &err);
  }
  dl_prom_data *d = dl_prom_data_new(limits);
  if (!d) {
    free(buf);
    dl_guile_raise_code(who, DL_ENOMEM, "out of memory");
  }
  scm_dynwind_unwind_handler(free_data, d, SCM_F_WIND_EXPLICITLY);
  scm_dynwind_free(buf);
  /* Samples without a timestamp are taken as of the file's reading. */
  dl_guile_check(dl_exposition_parse(d, buf ? buf : "", len, file, DL_EXPO_AUTO, dl_time_now(),
                                     &err),
                 &err, who);
  return d;
}

/* The source the alist PROM describes (url or file, preset, promql,
   limits); strings (dl_guile_string) live until the dynwind context
   ends. */
static void
source_of(SCM prom, dl_prom_source *s, dl_http_options *h, const char *who)
{
  dl_error err;
  dl_prom_source_init(s);
  dl_http_options_init(h);
  dl_guile_set_deadline(ref(prom, "timeout-ms"), ref(prom, "retries"), h, SCM_ARG4, who);
  h->max_bytes_option = DL_GUILE_MAX_INPUT_OPTION;
  h->max_bytes = size_or(ref(prom, "max-bytes"), h->max_bytes, SCM_ARG4, who);
  s->http = h;
  s->limits.max_series = size_or(ref(prom, "max-series"), 0, SCM_ARG4, who);
  s->limits.max_samples = size_or(ref(prom, "max-samples"), 0, SCM_ARG4, who);
  SCM preset = ref(prom, "preset");
  if (scm_is_true(preset)) {
    if (scm_is_symbol(preset))
      preset = scm_symbol_to_string(preset);
    char *name = dl_guile_string(preset, SCM_ARG4, who);
    dl_guile_check(dl_mesh_preset_parse(name, &s->preset, &err), &err, who);
  }
  SCM url = ref(prom, "url"), file = ref(prom, "file");
  if (scm_is_true(url)) {
    s->url = dl_guile_string(url, SCM_ARG4, who);
  } else if (scm_is_true(file)) {
    char *path = dl_guile_string(file, SCM_ARG4, who);
    s->name = path;
    s->data = read_file(path, h->max_bytes ? h->max_bytes : DEFAULT_MAX_FILE, &s->limits, who);
  } else {
    dl_guile_raise_code(who, DL_EINVAL, "a Prometheus source needs #:url (a server) or #:file "
                        "(an exposition file)");
  }
  for (SCM l = ref(prom, "promql"); scm_is_pair(l); l = scm_cdr(l)) {
    SCM q = scm_car(l);
    if (!scm_is_pair(q))
      scm_wrong_type_arg_msg(who, SCM_ARG4, q, "(name . query)");
    if (s->n_promql >= DL_PROM_MAX_PROMQL)
      dl_guile_raise_code(who, DL_EINVAL, "at most 8 PromQL queries (--promql)");
    char *name = dl_guile_string(scm_car(q), SCM_ARG4, who);
    char *text = dl_guile_string(scm_cdr(q), SCM_ARG4, who);
    s->promql_names[s->n_promql] = name;
    s->promql[s->n_promql++] = text;
  }
}

static void
free_correlation(void *c)
{
  dl_correlation_free(c);
}

static void
free_prom_correlation(void *p)
{
  dl_prom_correlation_free(p);
}

SCM_DEFINE(dl_scm_correlate_prometheus, "%correlate-prometheus", 4, 0, 0,
           (SCM traces, SCM deployment, SCM opts, SCM prom),
           "Correlate DEPLOYMENT (an alist) with the mesh's metrics that the alist PROM "
           "describes (url or file, preset, promql, timeout-ms, retries, max-bytes, "
           "max-series, max-samples), and with the trace set TRACES unless it is #f; OPTS "
           "are the correlation's options, as for %correlate.  Returns a pair: the "
           "result in the shape of its JSON, and the JSON text.")
#define FUNC_NAME s_dl_scm_correlate_prometheus
{
  scm_dynwind_begin(0);
  const dl_selection *rows = NULL;
  const dl_trace_set *set =
    scm_is_false(traces) ? NULL : dl_guile_trace_set(traces, SCM_ARG1, FUNC_NAME, &rows);
  dl_deployment *d = dl_guile_deployment_from_alist(deployment, FUNC_NAME);
  dl_correlate_options o;
  dl_correlate_options_init(&o);
  o.rows = rows;
  dl_guile_correlate_options(opts, &o, FUNC_NAME);
  dl_prom_source src;
  dl_http_options http;
  source_of(prom, &src, &http, FUNC_NAME);
  dl_error err;
  json_t *tj = NULL;
  if (set) {
    dl_correlation *c;
    dl_guile_check(dl_correlate(set, d, &o, &c, &err), &err, FUNC_NAME);
    scm_dynwind_unwind_handler(free_correlation, c, SCM_F_WIND_EXPLICITLY);
    tj = dl_correlation_json(c);
    if (!tj)
      dl_guile_raise_code(FUNC_NAME, DL_ENOMEM, "out of memory building the result");
  }
  dl_prom_correlation *p;
  int rc = dl_prom_correlate(&src, d, &o, &p, &err);
  if (rc) {
    json_decref(tj);
    dl_guile_raise(FUNC_NAME, &err);
  }
  scm_dynwind_unwind_handler(free_prom_correlation, p, SCM_F_WIND_EXPLICITLY);
  json_t *j = dl_prom_correlation_json(p, tj);
  SCM out = dl_guile_json_result(j, FUNC_NAME);
  scm_dynwind_end();
  return out;
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_read_exposition, "%read-exposition", 1, 1, 0, (SCM file, SCM max_bytes),
           "The series of the Prometheus or OpenMetrics text file FILE: a list of alists "
           "with name, labels (an alist of strings), samples (a list of (time-ns . value)) "
           "and type; MAX-BYTES bounds the file.")
#define FUNC_NAME s_dl_scm_read_exposition
{
  scm_dynwind_begin(0);
  char *path = dl_guile_string(file, SCM_ARG1, FUNC_NAME); /* freed on unwind */
  size_t max = size_or(SCM_UNBNDP(max_bytes) ? SCM_BOOL_F : max_bytes, DEFAULT_MAX_FILE, SCM_ARG2,
                       FUNC_NAME);
  dl_prom_data *d = read_file(path, max, NULL, FUNC_NAME);
  SCM out = SCM_EOL;
  for (size_t i = dl_prom_data_count(d); i-- > 0;) {
    const dl_prom_series *s = dl_prom_data_series(d, i);
    SCM labels = SCM_EOL, samples = SCM_EOL;
    for (size_t k = s->n_labels; k-- > 0;)
      labels = scm_cons(scm_cons(scm_from_utf8_string(s->labels[k].name),
                                 scm_from_utf8_string(s->labels[k].value)),
                        labels);
    for (size_t k = s->n; k-- > 0;)
      samples = scm_cons(scm_cons(scm_from_int64(s->t[k]), scm_from_double(s->v[k])), samples);
    const char *type = "untyped";
    for (size_t f = 0; f < dl_prom_data_family_count(d); f++) {
      const dl_prom_family *fam = dl_prom_data_family(d, f);
      size_t n = strlen(fam->name);
      if (strncmp(s->name, fam->name, n) == 0 && (s->name[n] == 0 || s->name[n] == '_') && fam->typed)
        type = dl_prom_type_name(fam->type);
    }
    out = scm_cons(scm_list_4(scm_cons(scm_from_utf8_symbol("name"), scm_from_utf8_string(s->name)),
                              scm_cons(scm_from_utf8_symbol("labels"), labels),
                              scm_cons(scm_from_utf8_symbol("samples"), samples),
                              scm_cons(scm_from_utf8_symbol("type"), scm_from_utf8_symbol(type))),
                   out);
  }
  scm_dynwind_end();
  return out;
}
#undef FUNC_NAME

void
dl_guile_init_prometheus(void)
{
#ifndef SCM_MAGIC_SNARFER
#include "prometheus-func.x"
#endif
}
