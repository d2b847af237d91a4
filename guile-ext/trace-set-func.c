/* Primitives for trace sets: loading files, fetching from Jaeger and
   Tempo, filtering, merging, reading spans back.
 *
 * A trace set crosses into Scheme as a foreign object holding a view: a
 * C set shared by reference count (foreign object slots are not traced by
 * the collector, so a filtered view cannot keep its base object alive;
 * it keeps the C set alive instead) and a selection of its rows, or all
 * of them.  The finalizer drops the view's reference; the last one frees
 * the C set.  (deploy-ledger traces) wraps these in documented
 * procedures. */
#include "dl-guile.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

static SCM trace_set_type;

/* How users raise the limits, named in the errors that hit them: the
   command line's option, the Scheme keyword, the environment variable
   ((deploy-ledger traces) reads it). */
#define TIMEOUT_OPTION DL_GUILE_TIMEOUT_OPTION
#define MAX_INPUT_OPTION DL_GUILE_MAX_INPUT_OPTION

static long long_or(SCM x, long dflt, int pos, const char *who);

/* The size limit MAX (bytes, or #f for the default) into both the
   decoder's and the HTTP client's options. */
static void
set_max_bytes(SCM max, dl_ingest_options *ing, dl_http_options *h, int pos, const char *who)
{
  ing->max_bytes_option = MAX_INPUT_OPTION;
  if (h)
    h->max_bytes_option = MAX_INPUT_OPTION;
  if (scm_is_false(max))
    return;
  if (!scm_is_unsigned_integer(max, 1, SIZE_MAX))
    scm_wrong_type_arg_msg(who, pos, max, "positive number of bytes or #f");
  ing->max_bytes = scm_to_size_t(max);
  if (h)
    h->max_bytes = ing->max_bytes;
}

/* The total deadline and retries into H (dl-guile.c: every fetch of the
   extension reads them alike). */
static void
set_deadline(SCM timeout_ms, SCM retries, dl_http_options *h, int pos, const char *who)
{
  dl_guile_set_deadline(timeout_ms, retries, h, pos, who);
}

typedef struct shared {
  dl_trace_set *set;
  int refs; /* views using it; finalizers may run on another thread */
} shared;

typedef struct view {
  shared *sh;
  dl_trace_set *set;  /* sh->set */
  dl_selection sel;   /* rows (owned), when `filtered' */
  int filtered;
} view;

static void
finalize_trace_set(SCM obj)
{
  view *v = scm_foreign_object_ref(obj, 0);
  if (!v)
    return;
  scm_foreign_object_set_x(obj, 0, NULL);
  if (__atomic_sub_fetch(&v->sh->refs, 1, __ATOMIC_ACQ_REL) == 0) {
    dl_trace_set_free(v->sh->set);
    free(v->sh);
  }
  dl_selection_free(&v->sel);
  free(v);
}

/* A whole-set view whose Scheme object could not be made: nobody else
   shares its set yet. */
static void
free_unowned_set(void *p)
{
  view *v = p;
  dl_trace_set_free(v->sh->set);
  free(v->sh);
  free(v);
}

SCM
dl_guile_traces_wrap(dl_trace_set *set)
{
  view *v = calloc(1, sizeof *v);
  shared *sh = calloc(1, sizeof *sh);
  if (!v || !sh) {
    free(v);
    free(sh);
    dl_trace_set_free(set);
    dl_guile_raise_code("trace-set", DL_ENOMEM, "out of memory");
  }
  sh->set = set;
  sh->refs = 1;
  v->sh = sh;
  v->set = set;
  scm_dynwind_begin(0);
  scm_dynwind_unwind_handler(free_unowned_set, v, 0);
  SCM obj = scm_make_foreign_object_1(trace_set_type, v);
  scm_dynwind_end();
  /* Tell the collector about memory it does not see. */
  scm_gc_register_allocation(dl_trace_set_memory(set));
  return obj;
}

const dl_trace_set *
dl_guile_traces_ref(SCM obj, const dl_selection **rows)
{
  if (!SCM_IS_A_P(obj, trace_set_type))
    return NULL;
  view *v = scm_foreign_object_ref(obj, 0);
  if (!v)
    return NULL;
  *rows = v->filtered ? &v->sel : NULL;
  return v->set;
}

static view *
unwrap(SCM obj, int pos, const char *who)
{
  scm_assert_foreign_object_type(trace_set_type, obj);
  view *v = scm_foreign_object_ref(obj, 0);
  if (!v)
    scm_wrong_type_arg_msg(who, pos, obj, "live trace set");
  return v;
}

static const dl_selection *
selection_of(const view *v)
{
  return v->filtered ? &v->sel : NULL;
}

static size_t
view_count(const view *v)
{
  return v->filtered ? v->sel.count : dl_trace_set_count(v->set);
}

/* A trace set not yet owned by a Scheme object.  The unwind handler frees
   it if a Scheme error leaves the dynwind first; handing it over
   (dl_guile_traces_wrap, which frees it itself when it fails) clears the
   slot. */
typedef struct pending_set {
  dl_trace_set *set;
} pending_set;

static void
free_pending(void *p)
{
  pending_set *pending = p;
  dl_trace_set_free(pending->set);
  pending->set = NULL;
}

static SCM
hand_over(pending_set *pending)
{
  dl_trace_set *set = pending->set;
  pending->set = NULL;
  return dl_guile_traces_wrap(set);
}

/* A new set keeping the attribute keys of the list KEEP, in PENDING;
   must run inside a dynwind. */
static dl_trace_set *
new_set(SCM keep, pending_set *pending, const char *who)
{
  pending->set = dl_trace_set_new();
  if (!pending->set)
    dl_guile_raise_code(who, DL_ENOMEM, "out of memory");
  scm_dynwind_unwind_handler(free_pending, pending, 0);
  for (SCM l = keep; scm_is_pair(l); l = scm_cdr(l)) {
    dl_error err;
    if (!scm_is_string(scm_car(l)))
      scm_wrong_type_arg_msg(who, SCM_ARGn, keep, "list of attribute keys");
    if (dl_trace_set_keep(pending->set, dl_guile_string(scm_car(l), SCM_ARGn, who), &err))
      dl_guile_raise(who, &err);
  }
  return pending->set;
}

SCM_DEFINE(dl_scm_trace_set_p, "%trace-set?", 1, 0, 0, (SCM obj), "Is OBJ a trace set?")
#define FUNC_NAME s_dl_scm_trace_set_p
{
  return scm_from_bool(SCM_IS_A_P(obj, trace_set_type));
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_trace_set_new, "%trace-set-new", 1, 0, 0, (SCM keep),
           "An empty trace set keeping the attribute keys of the list KEEP.")
#define FUNC_NAME s_dl_scm_trace_set_new
{
  scm_dynwind_begin(0);
  pending_set pending;
  new_set(keep, &pending, FUNC_NAME);
  SCM obj = hand_over(&pending);
  scm_dynwind_end();
  return obj;
}
#undef FUNC_NAME

static SCM
stats_alist(const dl_ingest_stats *st)
{
  SCM warning = st->warning.code ? dl_guile_from_string(st->warning.text) : SCM_BOOL_F;
  return scm_list_n(scm_cons(scm_from_utf8_symbol("spans"), scm_from_size_t(st->spans)),
                    scm_cons(scm_from_utf8_symbol("skipped"), scm_from_size_t(st->skipped)),
                    scm_cons(scm_from_utf8_symbol("skipped-files"),
                             scm_from_size_t(st->skipped_files)),
                    scm_cons(scm_from_utf8_symbol("files"), scm_from_size_t(st->files)),
                    scm_cons(scm_from_utf8_symbol("bytes"), scm_from_size_t(st->bytes)),
                    scm_cons(scm_from_utf8_symbol("warning"), warning), SCM_UNDEFINED);
}

static int
format_of(SCM format, const char *who)
{
  if (scm_is_false(format) || scm_is_eq(format, scm_from_utf8_symbol("auto")))
    return DL_FORMAT_AUTO;
  if (scm_is_eq(format, scm_from_utf8_symbol("otlp-protobuf")))
    return DL_FORMAT_OTLP_PROTOBUF;
  if (scm_is_eq(format, scm_from_utf8_symbol("otlp-json")))
    return DL_FORMAT_OTLP_JSON;
  if (scm_is_eq(format, scm_from_utf8_symbol("jaeger-json")))
    return DL_FORMAT_JAEGER_JSON;
  scm_wrong_type_arg_msg(who, SCM_ARG4, format,
                         "one of auto, otlp-protobuf, otlp-json, jaeger-json");
}

SCM_DEFINE(dl_scm_trace_set_load, "%trace-set-load", 4, 1, 0,
           (SCM path, SCM lenient, SCM keep, SCM format, SCM max_bytes),
           "Load the file or directory PATH into a new trace set, at most MAX-BYTES "
           "per file (#f: the default); return (set . stats).")
#define FUNC_NAME s_dl_scm_trace_set_load
{
  scm_dynwind_begin(0);
  char *p = dl_guile_string(path, SCM_ARG1, FUNC_NAME);
  dl_ingest_options opt;
  dl_ingest_options_init(&opt);
  opt.lenient = scm_is_true(lenient);
  opt.format = format_of(format, FUNC_NAME);
  set_max_bytes(SCM_UNBNDP(max_bytes) ? SCM_BOOL_F : max_bytes, &opt, NULL, SCM_ARG5, FUNC_NAME);
  pending_set pending;
  dl_trace_set *set = new_set(keep, &pending, FUNC_NAME);
  dl_ingest_stats st;
  dl_ingest_stats_init(&st);
  dl_error err;
  if (dl_load_path(set, p, &opt, &st, &err))
    dl_guile_raise(FUNC_NAME, &err);
  SCM obj = hand_over(&pending);
  SCM result = scm_cons(obj, stats_alist(&st));
  scm_dynwind_end();
  return result;
}
#undef FUNC_NAME

static long
long_or(SCM x, long dflt, int pos, const char *who)
{
  if (scm_is_false(x))
    return dflt;
  if (!scm_is_signed_integer(x, 0, LONG_MAX))
    scm_wrong_type_arg_msg(who, pos, x, "non-negative integer or #f");
  return scm_to_long(x);
}

static SCM
fetch_stats_alist(const dl_fetch_stats *st)
{
  SCM l = SCM_EOL;
  l = scm_cons(scm_cons(scm_from_utf8_symbol("api"),
                        st->api ? scm_from_int(st->api) : SCM_BOOL_F), l);
  l = scm_cons(scm_cons(scm_from_utf8_symbol("splits"), scm_from_size_t(st->splits)), l);
  l = scm_cons(scm_cons(scm_from_utf8_symbol("slices"), scm_from_size_t(st->slices)), l);
  l = scm_cons(scm_cons(scm_from_utf8_symbol("retries"), scm_from_size_t(st->retries)), l);
  l = scm_cons(scm_cons(scm_from_utf8_symbol("requests"), scm_from_size_t(st->requests)), l);
  l = scm_cons(scm_cons(scm_from_utf8_symbol("spans"), scm_from_size_t(st->spans)), l);
  l = scm_cons(scm_cons(scm_from_utf8_symbol("traces"), scm_from_size_t(st->traces)), l);
  return l;
}

/* The common arguments of both sources, from an alist of options:
   url service operation traceql start end limit slice max-slices api timeout-ms
   retries backoff-ms credentials lenient keep. */
static SCM
option(SCM alist, const char *key)
{
  SCM pair = scm_assq(scm_from_utf8_symbol(key), alist);
  return scm_is_pair(pair) ? scm_cdr(pair) : SCM_BOOL_F;
}

static SCM
fetch(SCM opts, int tempo, const char *who)
{
  scm_dynwind_begin(0);
  dl_trace_query q;
  dl_trace_query_init(&q);
  dl_http_options h;
  dl_http_options_init(&h);
  dl_ingest_options ing;
  dl_ingest_options_init(&ing);
  q.url = dl_guile_string(option(opts, "url"), SCM_ARG1, who);
  q.service = dl_guile_string_or_null(option(opts, "service"), SCM_ARG1, who);
  q.operation = dl_guile_string_or_null(option(opts, "operation"), SCM_ARG1, who);
  q.traceql = dl_guile_string_or_null(option(opts, "traceql"), SCM_ARG1, who);
  q.start = dl_guile_to_ns(option(opts, "start"), SCM_ARG1, who);
  q.end = dl_guile_to_ns(option(opts, "end"), SCM_ARG1, who);
  q.limit = (int) long_or(option(opts, "limit"), 1000, SCM_ARG1, who);
  if (scm_is_true(option(opts, "slice")))
    q.slice = dl_guile_to_ns(option(opts, "slice"), SCM_ARG1, who);
  q.max_slices = (size_t) long_or(option(opts, "max-slices"), (long) q.max_slices, SCM_ARG1, who);
  q.api = (int) long_or(option(opts, "api"), DL_JAEGER_API_AUTO, SCM_ARG1, who);
  set_deadline(option(opts, "timeout-ms"), option(opts, "retries"), &h, SCM_ARG1, who);
  set_max_bytes(option(opts, "max-bytes"), &ing, &h, SCM_ARG1, who);
  h.backoff_ms = long_or(option(opts, "backoff-ms"), h.backoff_ms, SCM_ARG1, who);
  h.credentials = dl_guile_string_or_null(option(opts, "credentials"), SCM_ARG1, who);
  ing.lenient = scm_is_true(option(opts, "lenient"));
  pending_set pending;
  dl_trace_set *set = new_set(option(opts, "keep"), &pending, who);
  dl_fetch_stats st;
  dl_error err;
  int rc = tempo ? dl_tempo_fetch(set, &q, &h, &ing, &st, &err)
                 : dl_jaeger_fetch(set, &q, &h, &ing, &st, &err);
  if (rc)
    dl_guile_raise(who, &err);
  SCM obj = hand_over(&pending);
  SCM result = scm_cons(obj, fetch_stats_alist(&st));
  scm_dynwind_end();
  return result;
}

SCM_DEFINE(dl_scm_jaeger_fetch, "%jaeger-fetch", 1, 0, 0, (SCM opts),
           "Fetch from Jaeger with the options alist OPTS; return (set . stats).")
#define FUNC_NAME s_dl_scm_jaeger_fetch
{
  return fetch(opts, 0, FUNC_NAME);
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_tempo_fetch, "%tempo-fetch", 1, 0, 0, (SCM opts),
           "Fetch from Tempo with the options alist OPTS; return (set . stats).")
#define FUNC_NAME s_dl_scm_tempo_fetch
{
  return fetch(opts, 1, FUNC_NAME);
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_url_load, "%url-load", 1, 0, 0, (SCM opts),
           "Load the trace document at the http(s) URL of the options alist OPTS (url "
           "timeout-ms retries max-bytes credentials lenient keep format); return (set . stats).")
#define FUNC_NAME s_dl_scm_url_load
{
  scm_dynwind_begin(0);
  dl_http_options h;
  dl_http_options_init(&h);
  dl_ingest_options ing;
  dl_ingest_options_init(&ing);
  char *url = dl_guile_string(option(opts, "url"), SCM_ARG1, FUNC_NAME);
  set_deadline(option(opts, "timeout-ms"), option(opts, "retries"), &h, SCM_ARG1, FUNC_NAME);
  set_max_bytes(option(opts, "max-bytes"), &ing, &h, SCM_ARG1, FUNC_NAME);
  h.credentials = dl_guile_string_or_null(option(opts, "credentials"), SCM_ARG1, FUNC_NAME);
  ing.lenient = scm_is_true(option(opts, "lenient"));
  ing.format = format_of(option(opts, "format"), FUNC_NAME);
  pending_set pending;
  dl_trace_set *set = new_set(option(opts, "keep"), &pending, FUNC_NAME);
  dl_ingest_stats st;
  dl_error err;
  if (dl_load_url(set, url, &h, &ing, &st, &err))
    dl_guile_raise(FUNC_NAME, &err);
  SCM obj = hand_over(&pending);
  SCM result = scm_cons(obj, stats_alist(&st));
  scm_dynwind_end();
  return result;
}
#undef FUNC_NAME

/* A backend's list of names, freed by an unwind handler. */
DL_GUILE_OWNED_ARRAY(string_list, char **, dl_string_list_free)

SCM_DEFINE(dl_scm_jaeger_services, "%jaeger-services", 3, 1, 0,
           (SCM url, SCM api, SCM timeout_ms, SCM retries),
           "The services known to the Jaeger at URL, sorted, within TIMEOUT-MS in all.")
#define FUNC_NAME s_dl_scm_jaeger_services
{
  scm_dynwind_begin(0);
  char *u = dl_guile_string(url, SCM_ARG1, FUNC_NAME);
  dl_http_options h;
  dl_http_options_init(&h);
  set_deadline(timeout_ms, SCM_UNBNDP(retries) ? SCM_BOOL_F : retries, &h, SCM_ARG3, FUNC_NAME);
  string_list names;
  dl_error err;
  if (dl_jaeger_services(u, (int) long_or(api, 0, SCM_ARG2, FUNC_NAME), &h, &names.items,
                         &names.n, &err))
    dl_guile_raise(FUNC_NAME, &err);
  scm_dynwind_unwind_handler(string_list_release, &names, SCM_F_WIND_EXPLICITLY);
  SCM l = SCM_EOL;
  for (size_t i = names.n; i-- > 0;)
    l = scm_cons(dl_guile_from_string(names.items[i]), l);
  scm_dynwind_end();
  return l;
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_trace_set_count, "%trace-set-count", 1, 0, 0, (SCM set),
           "Number of spans in SET.")
#define FUNC_NAME s_dl_scm_trace_set_count
{
  return scm_from_size_t(view_count(unwrap(set, SCM_ARG1, FUNC_NAME)));
}
#undef FUNC_NAME

/* The DL_KIND_* that KIND names (a symbol or a string, or already a
   kind's number), or the deploy-ledger error of dl_span_kind_parse, which
   lists the valid names, from WHO.  Inside a dynwind. */
static int
kind_from_scm(SCM kind, const char *who)
{
  if (scm_is_signed_integer(kind, 0, DL_KIND_COUNT - 1))
    return scm_to_int(kind);
  SCM text = scm_is_symbol(kind)   ? scm_symbol_to_string(kind)
             : scm_is_string(kind) ? kind
                                   : scm_object_to_string(kind, SCM_UNDEFINED);
  size_t len;
  char *name = scm_to_utf8_stringn(text, &len);
  scm_dynwind_free(name);
  int k;
  dl_error err;
  if (dl_span_kind_parse(name, len, &k, &err))
    dl_guile_raise(who, &err);
  return k;
}

SCM_DEFINE(dl_scm_span_kind_to_integer, "%span-kind->integer", 1, 1, 0, (SCM kind, SCM who),
           "The OTLP number of the span kind KIND (a symbol or string); an invalid-input error from "
           "WHO (a symbol) listing the valid kinds otherwise.")
#define FUNC_NAME s_dl_scm_span_kind_to_integer
{
  scm_dynwind_begin(0);
  int k = kind_from_scm(kind, dl_guile_who(who, FUNC_NAME));
  scm_dynwind_end();
  return scm_from_int(k);
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_integer_to_span_kind, "%integer->span-kind", 1, 0, 0, (SCM n),
           "The name (a symbol) of span kind number N, or #f when N is none.")
#define FUNC_NAME s_dl_scm_integer_to_span_kind
{
  const char *name = scm_is_signed_integer(n, INT_MIN, INT_MAX) ? dl_span_kind_name(scm_to_int(n)) : NULL;
  return name ? scm_from_utf8_symbol(name) : SCM_BOOL_F;
}
#undef FUNC_NAME

/* A filtered view whose Scheme object could not be made. */
static void
free_unowned_view(void *p)
{
  view *v = p;
  dl_selection_free(&v->sel);
  free(v);
}

SCM_DEFINE(dl_scm_trace_set_filter, "%trace-set-filter", 7, 0, 0,
           (SCM set, SCM service, SCM operation, SCM kind, SCM start, SCM end, SCM attribute),
           "A view of the spans of SET matching every given criterion (#f: any). "
           "ATTRIBUTE is (key . value) or (key . #f) for \"has the attribute\".")
#define FUNC_NAME s_dl_scm_trace_set_filter
{
  scm_dynwind_begin(0);
  view *v = unwrap(set, SCM_ARG1, FUNC_NAME);
  dl_filter f;
  dl_filter_init(&f);
  f.service = dl_guile_string_or_null(service, SCM_ARG2, FUNC_NAME);
  f.operation = dl_guile_string_or_null(operation, SCM_ARG3, FUNC_NAME);
  if (scm_is_true(kind))
    f.kind = kind_from_scm(kind, FUNC_NAME);
  if (scm_is_true(start)) {
    f.has_start_min = 1;
    f.start_min = dl_guile_to_ns(start, SCM_ARG5, FUNC_NAME);
  }
  if (scm_is_true(end)) {
    f.has_start_max = 1;
    f.start_max = dl_guile_to_ns(end, SCM_ARG6, FUNC_NAME);
  }
  if (scm_is_true(attribute)) {
    if (!scm_is_pair(attribute))
      scm_wrong_type_arg_msg(FUNC_NAME, SCM_ARG7, attribute, "(key . value) pair");
    f.attr_key = dl_guile_string(scm_car(attribute), SCM_ARG7, FUNC_NAME);
    f.attr_value = dl_guile_string_or_null(scm_cdr(attribute), SCM_ARG7, FUNC_NAME);
  }
  view *out = calloc(1, sizeof *out);
  if (!out)
    dl_guile_raise_code(FUNC_NAME, DL_ENOMEM, "out of memory");
  scm_dynwind_unwind_handler(free_unowned_view, out, 0);
  dl_error err;
  if (dl_trace_set_filter(v->set, selection_of(v), &f, &out->sel, &err))
    dl_guile_raise(FUNC_NAME, &err);
  out->set = v->set;
  out->sh = v->sh;
  out->filtered = 1;
  SCM obj = scm_make_foreign_object_1(trace_set_type, out);
  /* Only a view that has its object counts as a user of the shared set. */
  __atomic_add_fetch(&v->sh->refs, 1, __ATOMIC_ACQ_REL);
  scm_remember_upto_here_1(set);
  scm_dynwind_end();
  return obj;
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_trace_set_merge, "%trace-set-merge", 1, 0, 0, (SCM sets),
           "A new trace set holding the spans of every set of the list SETS.")
#define FUNC_NAME s_dl_scm_trace_set_merge
{
  scm_dynwind_begin(0);
  pending_set pending;
  dl_trace_set *out = new_set(SCM_EOL, &pending, FUNC_NAME);
  for (SCM l = sets; scm_is_pair(l); l = scm_cdr(l)) {
    view *v = unwrap(scm_car(l), SCM_ARG1, FUNC_NAME);
    dl_error err;
    int rc = v->filtered ? dl_trace_set_merge_rows(out, v->set, &v->sel, &err)
                         : dl_trace_set_merge(out, v->set, &err);
    scm_remember_upto_here_1(scm_car(l));
    if (rc)
      dl_guile_raise(FUNC_NAME, &err);
  }
  SCM obj = hand_over(&pending);
  scm_dynwind_end();
  return obj;
}
#undef FUNC_NAME

SCM_DEFINE(dl_scm_trace_set_time_range, "%trace-set-time-range", 1, 0, 0, (SCM set),
           "(first-start . last-end) in ns, or #f for an empty set.")
#define FUNC_NAME s_dl_scm_trace_set_time_range
{
  view *v = unwrap(set, SCM_ARG1, FUNC_NAME);
  int64_t a, b;
  if (dl_trace_set_time_range_of(v->set, selection_of(v), &a, &b))
    return SCM_BOOL_F;
  return scm_cons(scm_from_int64(a), scm_from_int64(b));
}
#undef FUNC_NAME

static const struct {
  const char *name;
  int field;
} field_names[] = {{"service", DL_FIELD_SERVICE}, {"version", DL_FIELD_VERSION},
                   {"region", DL_FIELD_REGION},   {"environment", DL_FIELD_ENVIRONMENT},
                   {"operation", DL_FIELD_OPERATION}, {"error-type", DL_FIELD_ERROR_TYPE}};

static int
compare_c_strings(const void *a, const void *b)
{
  return strcmp(*(const char *const *) a, *(const char *const *) b);
}

SCM_DEFINE(dl_scm_trace_set_distinct, "%trace-set-distinct", 2, 0, 0, (SCM set, SCM field),
           "The distinct values of FIELD (service, version, region, environment, "
           "operation, error-type) in SET, sorted.")
#define FUNC_NAME s_dl_scm_trace_set_distinct
{
  view *v = unwrap(set, SCM_ARG1, FUNC_NAME);
  int f = -1;
  for (size_t i = 0; i < sizeof field_names / sizeof field_names[0]; i++)
    if (scm_is_eq(field, scm_from_utf8_symbol(field_names[i].name)))
      f = field_names[i].field;
  if (f < 0)
    scm_wrong_type_arg_msg(FUNC_NAME, SCM_ARG2, field,
                           "one of service version region environment operation error-type");
  uint32_t *ids;
  size_t n;
  dl_error err;
  if (dl_trace_set_distinct(v->set, selection_of(v), f, &ids, &n, &err))
    dl_guile_raise(FUNC_NAME, &err);
  const char **strs = malloc((n ? n : 1) * sizeof *strs);
  if (!strs) {
    free(ids);
    dl_guile_raise_code(FUNC_NAME, DL_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < n; i++)
    strs[i] = dl_trace_set_string(v->set, ids[i]);
  free(ids);
  qsort(strs, n, sizeof *strs, compare_c_strings);
  scm_dynwind_begin(0);
  scm_dynwind_free(strs);
  SCM l = SCM_EOL;
  for (size_t i = n; i-- > 0;)
    l = scm_cons(dl_guile_from_string(strs[i]), l);
  scm_dynwind_end();
  scm_remember_upto_here_1(set);
  return l;
}
#undef FUNC_NAME

static SCM
string_or_false(const dl_trace_set *set, uint32_t id)
{
  const char *s = dl_trace_set_string(set, id);
  return s ? dl_guile_from_bytes(s, dl_trace_set_string_length(set, id)) : SCM_BOOL_F;
}

static SCM
sym(const char *s)
{
  return scm_from_utf8_symbol(s);
}

SCM_DEFINE(dl_scm_trace_set_to_list, "%trace-set->list", 2, 0, 0, (SCM set, SCM limit),
           "The spans of SET as alists, at most LIMIT of them (#f: all).")
#define FUNC_NAME s_dl_scm_trace_set_to_list
{
  view *v = unwrap(set, SCM_ARG1, FUNC_NAME);
  size_t n = view_count(v);
  if (scm_is_true(limit)) {
    size_t lim = scm_to_size_t(limit);
    if (lim < n)
      n = lim;
  }
  dl_span_columns c;
  dl_trace_set_columns(v->set, &c);
  size_t n_kept = dl_trace_set_kept_count(v->set);
  SCM out = SCM_EOL;
  for (size_t i = n; i-- > 0;) {
    size_t r = v->filtered ? v->sel.rows[i] : i;
    char tid[33], sid[17], pid[17];
    uint32_t f[4];
    dl_trace_set_origin_fields(v->set, c.origin[r], f);
    SCM attrs = SCM_EOL;
    for (size_t k = n_kept; k-- > 0;) {
      const uint32_t *col = dl_trace_set_kept_column(v->set, k);
      if (col && col[r])
        attrs = scm_acons(dl_guile_from_string(dl_trace_set_kept_key(v->set, k)),
                          string_or_false(v->set, col[r]), attrs);
    }
    SCM span = SCM_EOL;
    span = scm_acons(sym("attributes"), attrs, span);
    span = scm_acons(sym("error-type"), string_or_false(v->set, c.error_type[r]), span);
    span = scm_acons(sym("error?"), scm_from_bool(c.flags[r] & DL_ROW_ERROR), span);
    span = scm_acons(sym("environment"), string_or_false(v->set, f[DL_FIELD_ENVIRONMENT]), span);
    span = scm_acons(sym("region"), string_or_false(v->set, f[DL_FIELD_REGION]), span);
    span = scm_acons(sym("version"), string_or_false(v->set, f[DL_FIELD_VERSION]), span);
    span = scm_acons(sym("duration"), scm_from_int64(c.duration[r]), span);
    span = scm_acons(sym("start"), scm_from_int64(c.start[r]), span);
    span = scm_acons(sym("kind"), sym(dl_span_kind_name(c.kind[r]) ? dl_span_kind_name(c.kind[r]) : "unspecified"), span);
    span = scm_acons(sym("operation"), string_or_false(v->set, c.operation[r]), span);
    span = scm_acons(sym("service"), string_or_false(v->set, f[DL_FIELD_SERVICE]), span);
    span = scm_acons(sym("parent-id"),
                     c.flags[r] & DL_ROW_HAS_PARENT
                       ? scm_from_latin1_string(dl_hex_encode(c.parent_id[r], 8, pid))
                       : SCM_BOOL_F,
                     span);
    span = scm_acons(sym("span-id"), scm_from_latin1_string(dl_hex_encode(c.span_id[r], 8, sid)), span);
    span = scm_acons(sym("trace-id"), scm_from_latin1_string(dl_hex_encode(c.trace_id[r], 16, tid)), span);
    out = scm_cons(span, out);
  }
  scm_remember_upto_here_1(set);
  return out;
}
#undef FUNC_NAME

const dl_trace_set *
dl_guile_trace_set(SCM obj, int pos, const char *who, const dl_selection **rows)
{
  const dl_trace_set *set = dl_guile_traces_ref(obj, rows);
  if (!set)
    scm_wrong_type_arg_msg(who, pos, obj, "live trace set");
  return set;
}

static SCM
field(SCM span, const char *key)
{
  SCM pair = scm_assq(scm_from_utf8_symbol(key), span);
  return scm_is_pair(pair) ? scm_cdr(pair) : SCM_BOOL_F;
}

static dl_str
text(SCM span, const char *key, const char *who)
{
  SCM v = field(span, key);
  dl_str s = {NULL, 0};
  if (scm_is_false(v))
    return s;
  s.ptr = dl_guile_string(v, SCM_ARGn, who);
  s.len = strlen(s.ptr);
  return s;
}

SCM_DEFINE(dl_scm_spans_to_trace_set, "%spans->trace-set", 1, 0, 0, (SCM spans),
           "A trace set from a list of span alists (service, operation, version, region, "
           "kind, start, duration, error, error-type).")
#define FUNC_NAME s_dl_scm_spans_to_trace_set
{
  if (scm_ilength(spans) < 0)
    scm_wrong_type_arg_msg(FUNC_NAME, SCM_ARG1, spans, "list of spans");
  dl_trace_set *set = dl_trace_set_new();
  if (!set)
    dl_guile_raise_code(FUNC_NAME, DL_ENOMEM, "out of memory");
  SCM obj = dl_guile_traces_wrap(set); /* frees SET if an error follows */
  uint64_t n = 0;
  for (SCM l = spans; scm_is_pair(l); l = scm_cdr(l)) {
    SCM s = scm_car(l);
    scm_dynwind_begin(0);
    dl_span_row row;
    memset(&row, 0, sizeof row);
    n++;
    memcpy(row.trace_id, &n, sizeof n);
    memcpy(row.span_id, &n, sizeof n);
    row.start = dl_guile_to_ns(field(s, "start"), SCM_ARG1, FUNC_NAME);
    row.duration = dl_guile_to_ns(field(s, "duration"), SCM_ARG1, FUNC_NAME);
    SCM kind = field(s, "kind");
    row.kind = DL_KIND_SERVER;
    if (scm_is_true(kind))
      row.kind = (uint8_t) kind_from_scm(kind, FUNC_NAME);
    row.error = scm_is_true(field(s, "error")) ? DL_ROW_ERROR : 0;
    row.service = text(s, "service", FUNC_NAME);
    row.operation = text(s, "operation", FUNC_NAME);
    row.version = text(s, "version", FUNC_NAME);
    row.region = text(s, "region", FUNC_NAME);
    row.environment = text(s, "environment", FUNC_NAME);
    row.error_type = text(s, "error-type", FUNC_NAME);
    dl_error err;
    if (dl_trace_set_append(set, &row, &err))
      dl_guile_raise(FUNC_NAME, &err);
    scm_dynwind_end();
  }
  scm_remember_upto_here_1(obj);
  return obj;
}
#undef FUNC_NAME

void
dl_guile_init_trace_set(void)
{
  trace_set_type = scm_make_foreign_object_type(
    scm_from_utf8_symbol("trace-set"),
    scm_list_1(scm_from_utf8_symbol("view")), finalize_trace_set);
  scm_c_define("%trace-set-type", trace_set_type);
#ifndef SCM_MAGIC_SNARFER
#include "trace-set-func.x"
#endif
}
