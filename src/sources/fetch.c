/* The shared machinery of the HTTP sources: slicing, decoding answers,
   keeping each trace once. */
#include "sources/fetch.h"

#include "deploy-ledger/time.h"
#include "ingest/json-scanner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/grow.h"

void
dl_trace_query_init(dl_trace_query *q)
{
  memset(q, 0, sizeof *q);
  q->limit = 1000;
  q->slice = 3600LL * 1000000000LL;
  q->max_slices = DL_FETCH_MAX_SLICES;
}

void
dl_string_list_free(char **names, size_t n)
{
  if (!names)
    return;
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
}

int
dl_fetch_name_list(const char *body, size_t len, const char *source, const char *key,
                   size_t max_names, char ***names, size_t *n, dl_error *err)
{
  if (names) {
    *names = NULL;
    *n = 0;
  }
  char **out = NULL;
  size_t count = 0, cap = 0;
  int found = 0;
  dl_js js;
  dl_js_init(&js, body, len, source, err);
  int more = dl_js_object_begin(&js);
  while (more > 0) {
    dl_str k;
    if (dl_js_key(&js, &k))
      break;
    dl_js_push_key(&js, k);
    if (k.len == strlen(key) && memcmp(k.ptr, key, k.len) == 0) {
      found = dl_js_peek(&js) == '[';
      if (!names) {
        dl_js_skip(&js);
      } else {
        long i = 0;
        int item = dl_js_array_begin(&js);
        if (item > 0)
          dl_js_push_index(&js, 0);
        while (item > 0) {
          dl_js_set_index(&js, i++);
          dl_str v;
          if (dl_js_string(&js, DL_JS_SLOT_VALUE, &v))
            break;
          if (count == max_names) {
            dl_js_fail(&js, DL_ERANGE, "more than %zu names, more than a list of services "
                       "holds (a limit of deploy-ledger)", max_names);
            break;
          }
          if (count == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            char **grown = realloc(out, ncap * sizeof *out);
            if (!grown) {
              dl_js_fail(&js, DL_ENOMEM, "out of memory");
              break;
            }
            out = grown;
            cap = ncap;
          }
          if (!(out[count] = strndup(v.ptr, v.len))) {
            dl_js_fail(&js, DL_ENOMEM, "out of memory");
            break;
          }
          count++;
          item = dl_js_array_next(&js);
        }
        if (i > 0)
          dl_js_pop(&js);
      }
    } else {
      dl_js_skip(&js);
    }
    dl_js_pop(&js);
    if (js.code)
      break;
    more = dl_js_object_next(&js);
  }
  if (!js.code && dl_js_peek(&js) != -1)
    dl_js_fail(&js, DL_EPARSE, "more after the answer's object");
  int rc = js.code;
  dl_js_release(&js);
  if (!rc && !found)
    rc = dl_fail(err, DL_EPARSE, "%s: no \"%s\" list in the answer", source, key);
  if (rc || !names) {
    dl_string_list_free(out, count);
    return rc;
  }
  *names = out;
  *n = count;
  return DL_OK;
}

int
dl_fetch_get_capped(dl_http *h, const char *url, size_t max, const char *why,
                    dl_http_response *r, dl_error *err)
{
  dl_http_request req = {.method = "GET", .url = url, .accept = "application/json",
                         .not_found_ok = 1, .max_bytes = max, .max_bytes_why = why};
  int rc = dl_http_perform(h, &req, r, err);
  if (rc) {
    long status = r->status;
    dl_http_response_clear(r);
    r->status = status;
  }
  return rc;
}

int
dl_fetch_begin(dl_fetch *f, dl_trace_set *set, const dl_http_options *http,
               const char *default_prefix, const dl_ingest_options *ingest, dl_error *err)
{
  memset(f, 0, sizeof *f);
  f->set = set;
  f->base = dl_trace_set_count(set);
  if (ingest)
    f->ingest = *ingest;
  else
    dl_ingest_options_init(&f->ingest);
  f->http = dl_http_new(http, default_prefix, err);
  return f->http ? DL_OK : err && err->code ? err->code : DL_ENOMEM;
}

/* Frees the ids taken and their index. */
static void
forget_ids(dl_fetch *f)
{
  free(f->ids);
  dl_hash_free(&f->id_index);
  f->ids = NULL;
  f->n_ids = f->cap_ids = 0;
}

int
dl_fetch_end(dl_fetch *f, int rc, dl_fetch_stats *stats)
{
  if (rc)
    dl_trace_set_truncate(f->set, f->base);
  if (f->http) {
    f->stats.requests = dl_http_requests(f->http);
    f->stats.retries = dl_http_retries(f->http);
  }
  if (stats) {
    *stats = f->stats;
    if (rc) {
      stats->traces = 0;
      stats->spans = 0;
    }
  }
  dl_http_free(f->http);
  f->http = NULL;
  forget_ids(f);
  return rc;
}

int
dl_load_url(dl_trace_set *set, const char *url, const dl_http_options *http,
            const dl_ingest_options *ingest, dl_ingest_stats *stats, dl_error *err)
{
  dl_error local;
  if (!err)
    err = &local;
  dl_ingest_stats ignored;
  if (!stats)
    stats = &ignored;
  dl_ingest_stats_init(stats);
  dl_http_options o;
  dl_http_options_init(&o);
  if (http)
    o = *http;
  if (!o.credentials)
    o.credentials = "";
  /* The body is the document: no larger than the decoder would take. */
  if (ingest && ingest->max_bytes && ingest->max_bytes < o.max_bytes) {
    o.max_bytes = ingest->max_bytes;
    if (ingest->max_bytes_option)
      o.max_bytes_option = ingest->max_bytes_option;
  }
  dl_http *h = dl_http_new(&o, NULL, err);
  if (!h)
    return err->code ? err->code : DL_ENOMEM;
  dl_http_request req = {.method = "GET", .url = url,
                         .accept = "application/x-protobuf, application/json;q=0.9, */*;q=0.5"};
  dl_http_response r;
  int rc = dl_http_perform(h, &req, &r, err);
  dl_http_free(h);
  if (rc) {
    dl_http_response_clear(&r);
    return rc;
  }
  char shown[600];
  dl_http_redact(url, shown, sizeof shown);
  size_t base = dl_trace_set_count(set);
  rc = dl_decode(set, r.body, r.len, shown, ingest, stats, err);
  dl_http_response_clear(&r);
  if (rc)
    dl_trace_set_truncate(set, base);
  else
    stats->files++;
  return rc;
}

/* ---- the set of trace ids ---- */

/* The position of ID in f->ids, or DL_HASH_NONE; its hash goes to *H. */
static uint32_t
find_id(const dl_fetch *f, const uint8_t id[16], uint32_t *h)
{
  *h = dl_hash_bytes(id, 16);
  dl_hash_probe pr = dl_hash_probe_begin(&f->id_index, *h);
  uint32_t e;
  while ((e = dl_hash_probe_next(&pr)) != DL_HASH_NONE)
    if (memcmp(f->ids[e], id, 16) == 0)
      break;
  return e;
}

int
dl_fetch_seen(const dl_fetch *f, const uint8_t id[16])
{
  uint32_t h;
  return find_id(f, id, &h) != DL_HASH_NONE;
}

int
dl_fetch_note_id(dl_fetch *f, const uint8_t id[16])
{
  uint32_t h;
  if (find_id(f, id, &h) != DL_HASH_NONE)
    return DL_OK;
  if (dl_grow(&f->ids, &f->cap_ids, f->n_ids, sizeof *f->ids, 256))
    return DL_ENOMEM;
  int rc = dl_hash_add(&f->id_index, h, (uint32_t) f->n_ids);
  if (rc)
    return rc;
  memcpy(f->ids[f->n_ids++], id, 16);
  return DL_OK;
}

/* ---- answers ---- */

int
dl_fetch_decode(dl_fetch *f, const char *body, size_t len, const char *source, dl_trace_set **out,
                size_t *traces, dl_error *err)
{
  *out = NULL;
  *traces = 0;
  dl_trace_set *scratch = dl_trace_set_new();
  if (!scratch)
    return dl_fail(err, DL_ENOMEM, "out of memory");
  /* Keep the destination's attribute columns in the scratch set too. */
  for (size_t k = 0; k < dl_trace_set_kept_count(f->set); k++) {
    int rc = dl_trace_set_keep(scratch, dl_trace_set_kept_key(f->set, k), err);
    if (rc) {
      dl_trace_set_free(scratch);
      return rc;
    }
  }
  dl_ingest_stats st;
  dl_ingest_stats_init(&st);
  int rc = dl_decode(scratch, body, len, source, &f->ingest, &st, err);
  if (rc) {
    dl_trace_set_free(scratch);
    return rc;
  }
  /* Distinct trace ids of the answer, with a scratch fetch as the set. */
  dl_fetch count;
  memset(&count, 0, sizeof count);
  dl_span_columns c;
  dl_trace_set_columns(scratch, &c);
  for (size_t i = 0; i < c.count; i++) {
    if (dl_fetch_seen(&count, c.trace_id[i]))
      continue;
    if (dl_fetch_note_id(&count, c.trace_id[i])) {
      forget_ids(&count);
      dl_trace_set_free(scratch);
      return dl_fail(err, DL_ENOMEM, "out of memory");
    }
    (*traces)++;
  }
  forget_ids(&count);
  *out = scratch;
  return DL_OK;
}

int
dl_fetch_commit(dl_fetch *f, const dl_trace_set *scratch, dl_error *err)
{
  dl_span_columns c;
  dl_trace_set_columns(scratch, &c);
  dl_selection sel = {malloc((c.count ? c.count : 1) * sizeof(uint32_t)), 0};
  if (!sel.rows)
    return dl_fail(err, DL_ENOMEM, "out of memory");
  /* A trace already taken (from an earlier slice) is whole already. */
  for (size_t i = 0; i < c.count; i++)
    if (!dl_fetch_seen(f, c.trace_id[i]))
      sel.rows[sel.count++] = (uint32_t) i;
  int rc = DL_OK;
  for (size_t k = 0; k < sel.count && rc == DL_OK; k++) {
    const uint8_t *id = c.trace_id[sel.rows[k]];
    if (!dl_fetch_seen(f, id)) {
      rc = dl_fetch_note_id(f, id);
      f->stats.traces++;
    }
  }
  if (rc == DL_OK)
    rc = dl_trace_set_merge_rows(f->set, scratch, &sel, err);
  else
    dl_fail(err, rc, "out of memory");
  if (rc == DL_OK)
    f->stats.spans += sel.count;
  free(sel.rows);
  return rc;
}

/* ---- slicing ---- */

static int
window(dl_fetch *f, int64_t start, int64_t end, int64_t min_slice, dl_fetch_slice_fn fn,
       void *ctx, int depth, dl_error *err)
{
  f->stats.slices++;
  int can_split = end - start >= 2 * min_slice && depth < 40 && f->split_budget >= 2;
  int rc = fn(f, start, end, can_split, ctx, err);
  if (rc > 0 && !can_split)
    rc = 0;
  if (rc <= 0)
    return rc;
  /* Too many traces for one answer: split while slices stay above the
     smallest useful size (else keep what came, which FN did). */
  int64_t mid = start + (end - start) / 2;
  f->stats.splits++;
  f->split_budget -= 2;
  rc = window(f, start, mid, min_slice, fn, ctx, depth + 1, err);
  if (rc < 0)
    return rc;
  return window(f, mid, end, min_slice, fn, ctx, depth + 1, err);
}

static int64_t
slice_of(const dl_trace_query *q)
{
  return q->slice > 0 ? q->slice : 3600LL * 1000000000LL;
}

static size_t
max_slices_of(const dl_trace_query *q)
{
  return q->max_slices ? q->max_slices : DL_FETCH_MAX_SLICES;
}

int
dl_fetch_check_window(const dl_trace_query *q, dl_error *err)
{
  if (q->end <= q->start)
    return dl_fail(err, DL_EINVAL, "the query window ends before it starts");
  /* Counted before anything is asked: a window left open for months must
     not turn into tens of thousands of requests. */
  uint64_t n = (uint64_t) ((q->end - q->start - 1) / slice_of(q)) + 1;
  if (n > max_slices_of(q)) {
    char a[DL_TIME_TEXT_SIZE], b[DL_TIME_TEXT_SIZE], len[32];
    return dl_fail(err, DL_EINVAL,
                   "the window from %s to %s would take %llu slices of %s, more than the %zu "
                   "a fetch may ask for: narrow the window, or raise the limit (max-slices: "
                   "correlate --max-slices, #:max-slices)",
                   dl_time_format(q->start, a), dl_time_format(q->end, b),
                   (unsigned long long) n, dl_duration_format(slice_of(q), len),
                   max_slices_of(q));
  }
  return DL_OK;
}

int
dl_fetch_window(dl_fetch *f, const dl_trace_query *q, int64_t min_slice, dl_fetch_slice_fn fn,
                void *ctx, dl_error *err)
{
  int rc = dl_fetch_check_window(q, err);
  if (rc)
    return rc;
  int64_t slice = slice_of(q);
  f->split_budget = max_slices_of(q) - (size_t) ((q->end - q->start - 1) / slice + 1);
  for (int64_t s = q->start; s < q->end;) {
    int64_t e = q->end - s > slice ? s + slice : q->end;
    rc = window(f, s, e, min_slice, fn, ctx, 0, err);
    if (rc < 0)
      return err && err->code ? err->code : DL_EHTTP;
    s = e;
  }
  return DL_OK;
}
