/* Rollout propagation across regions. */
#include "deploy-ledger/propagation.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "deploy-ledger/time.h"

void
dl_propagation_options_init(dl_propagation_options *o)
{
  memset(o, 0, sizeof *o);
  o->kind = DL_KIND_SERVER;
}

void
dl_propagation_clear(dl_propagation *p)
{
  for (size_t i = 0; i < p->n_regions; i++) {
    free(p->regions[i].region);
    free(p->regions[i].share);
  }
  free(p->regions);
  memset(p, 0, sizeof *p);
}

/* Per-region counters while scanning. */
typedef struct acc {
  uint32_t region; /* string id, 0 for none */
  int expected;
  int64_t first;
  uint64_t *total, *fresh;
} acc;

static int
cmp_region(const void *pa, const void *pb)
{
  const dl_region_rollout *a = pa, *b = pb;
  if (a->reached != b->reached)
    return a->reached ? -1 : 1;
  if (a->reached && a->first_seen != b->first_seen)
    return a->first_seen < b->first_seen ? -1 : 1;
  if (!a->region || !b->region)
    return (a->region != NULL) - (b->region != NULL);
  return strcmp(a->region, b->region);
}

/* The index of region ID in ACCS, added when missing; -1 on OOM. */
static long
region_index(acc **accs, size_t *n, uint32_t id, size_t nb)
{
  for (size_t i = 0; i < *n; i++)
    if ((*accs)[i].region == id)
      return (long) i;
  acc *grown = realloc(*accs, (*n + 1) * sizeof *grown);
  if (!grown)
    return -1;
  *accs = grown;
  acc *a = &grown[*n];
  memset(a, 0, sizeof *a);
  a->region = id;
  a->first = DL_TIME_NONE;
  a->total = calloc(nb, sizeof *a->total);
  a->fresh = calloc(nb, sizeof *a->fresh);
  if (!a->total || !a->fresh) {
    free(a->total);
    free(a->fresh);
    return -1;
  }
  return (long) (*n)++;
}

static char *
dup_or_null(const char *s)
{
  return s ? strdup(s) : NULL;
}

int
dl_propagation_compute(const dl_trace_set *set, const dl_propagation_options *o,
                       dl_propagation *p, dl_error *err)
{
  memset(p, 0, sizeof *p);
  if (!o->service || !o->version)
    return dl_fail(err, DL_EINVAL, "propagation needs a service and a version");
  if (o->end <= o->start)
    return dl_fail(err, DL_EINVAL, "propagation range is empty");
  int64_t bucket = o->bucket;
  if (bucket <= 0) {
    bucket = (o->end - o->start) / 60;
    if (bucket < INT64_C(1000000000))
      bucket = INT64_C(1000000000);
  }
  uint64_t nb64 = ((uint64_t) o->end - (uint64_t) o->start + (uint64_t) bucket - 1) / (uint64_t) bucket;
  if (nb64 > 100000)
    return dl_fail(err, DL_ERANGE, "%llu propagation buckets is too many (at most 100000)",
                   (unsigned long long) nb64);
  size_t nb = (size_t) nb64;
  uint32_t svc = dl_trace_set_lookup(set, o->service, strlen(o->service));
  uint32_t ver = dl_trace_set_lookup(set, o->version, strlen(o->version));
  uint32_t n_origins = dl_trace_set_origin_count(set);
  long *origin_region = malloc((n_origins ? n_origins : 1) * sizeof *origin_region);
  uint8_t *origin_new = malloc(n_origins ? n_origins : 1);
  acc *accs = NULL;
  size_t n_acc = 0;
  int rc = DL_OK;
  if (!origin_region || !origin_new) {
    rc = dl_fail(err, DL_ENOMEM, "out of memory following the rollout");
    goto out;
  }
  for (size_t i = 0; i < o->n_regions; i++) {
    uint32_t id = dl_trace_set_lookup(set, o->regions[i], strlen(o->regions[i]));
    /* A listed region the traces never mention still gets an entry. */
    long k = id ? region_index(&accs, &n_acc, id, nb) : -1;
    if (id && k < 0) {
      rc = dl_fail(err, DL_ENOMEM, "out of memory following the rollout");
      goto out;
    }
    if (k >= 0)
      accs[k].expected = 1;
  }
  for (uint32_t og = 0; og < n_origins; og++) {
    uint32_t f[4];
    dl_trace_set_origin_fields(set, og, f);
    origin_region[og] = -1;
    origin_new[og] = ver && f[DL_FIELD_VERSION] == ver;
    if (!svc || f[DL_FIELD_SERVICE] != svc)
      continue;
    origin_region[og] = region_index(&accs, &n_acc, f[DL_FIELD_REGION], nb);
    if (origin_region[og] < 0) {
      rc = dl_fail(err, DL_ENOMEM, "out of memory following the rollout");
      goto out;
    }
  }
  dl_span_columns c;
  dl_trace_set_columns(set, &c);
  size_t n_items = o->rows ? o->rows->count : c.count;
  for (size_t i = 0; i < n_items; i++) {
    size_t r = o->rows ? o->rows->rows[i] : i;
    if (r >= c.count)
      continue;
    long k = origin_region[c.origin[r]];
    if (k < 0 || (o->kind >= 0 && c.kind[r] != o->kind))
      continue;
    int64_t t = c.start[r];
    if (t < o->start || t >= o->end)
      continue;
    size_t b = (size_t) (((uint64_t) t - (uint64_t) o->start) / (uint64_t) bucket);
    acc *a = &accs[k];
    a->total[b]++;
    if (origin_new[c.origin[r]]) {
      a->fresh[b]++;
      if (a->first == DL_TIME_NONE || t < a->first)
        a->first = t;
    }
  }
  p->start = o->start;
  p->end = o->end;
  p->bucket = bucket;
  p->n_buckets = nb;
  p->regions = calloc(n_acc ? n_acc : 1, sizeof *p->regions);
  if (!p->regions) {
    rc = dl_fail(err, DL_ENOMEM, "out of memory following the rollout");
    goto out;
  }
  /* Regions listed by the deployment but absent from the traces. */
  size_t extra = 0;
  for (size_t i = 0; i < o->n_regions; i++)
    if (!dl_trace_set_lookup(set, o->regions[i], strlen(o->regions[i])))
      extra++;
  if (extra) {
    dl_region_rollout *grown = realloc(p->regions, (n_acc + extra) * sizeof *grown);
    if (!grown) {
      rc = dl_fail(err, DL_ENOMEM, "out of memory following the rollout");
      goto out;
    }
    p->regions = grown;
  }
  for (size_t i = 0; i < n_acc; i++) {
    acc *a = &accs[i];
    dl_region_rollout *rr = &p->regions[p->n_regions++];
    memset(rr, 0, sizeof *rr);
    rr->region = dup_or_null(dl_trace_set_string(set, a->region));
    rr->expected = a->expected;
    rr->reached = a->first != DL_TIME_NONE;
    rr->first_seen = a->first;
    rr->lag = rr->reached ? a->first - o->start : DL_TIME_NONE;
    rr->share = malloc(nb * sizeof *rr->share);
    if (!rr->share || (a->region && !rr->region)) {
      rc = dl_fail(err, DL_ENOMEM, "out of memory following the rollout");
      goto out;
    }
    rr->complete_at = DL_TIME_NONE;
    long complete = -1;
    for (size_t b = 0; b < nb; b++) {
      rr->requests += a->total[b];
      rr->new_requests += a->fresh[b];
      rr->share[b] = a->total[b] ? (double) a->fresh[b] / (double) a->total[b] : NAN;
    }
    /* Walking back: the earliest bucket after which no bucket with
       requests falls under 99% new. */
    for (size_t b = nb; b-- > 0;) {
      if (!a->total[b])
        continue;
      if (rr->share[b] < 0.99)
        break;
      complete = (long) b;
    }
    if (complete >= 0)
      rr->complete_at = o->start + (int64_t) complete * bucket;
  }
  for (size_t i = 0; i < o->n_regions; i++) {
    if (dl_trace_set_lookup(set, o->regions[i], strlen(o->regions[i])))
      continue;
    dl_region_rollout *rr = &p->regions[p->n_regions++];
    memset(rr, 0, sizeof *rr);
    rr->region = strdup(o->regions[i]);
    rr->expected = 1;
    rr->first_seen = rr->lag = rr->complete_at = DL_TIME_NONE;
    rr->share = malloc(nb * sizeof *rr->share);
    if (!rr->region || !rr->share) {
      rc = dl_fail(err, DL_ENOMEM, "out of memory following the rollout");
      goto out;
    }
    for (size_t b = 0; b < nb; b++)
      rr->share[b] = NAN;
  }
  if (p->n_regions > 1) /* an empty list may have no array, and qsort wants one */
    qsort(p->regions, p->n_regions, sizeof *p->regions, cmp_region);
out:
  for (size_t i = 0; i < n_acc; i++) {
    free(accs[i].total);
    free(accs[i].fresh);
  }
  free(accs);
  free(origin_region);
  free(origin_new);
  if (rc)
    dl_propagation_clear(p);
  return rc;
}
