/* Too few requests to judge: an inconclusive verdict that says why. */
#include "sample-check.h"

#include <stdio.h>
#include <string.h>

#include "deploy-ledger/time.h"

/* Writes into BUF (SIZE bytes) the distinct values of origin field FIELD
   over the set's origins -- of service SERVICE unless it is NULL --
   comma-separated, "..." when they do not all fit, "none" without any. */
static void
seen(const dl_trace_set *set, int field, const char *service, char *buf, size_t size)
{
  uint32_t only = service ? dl_trace_set_lookup(set, service, strlen(service)) : 0;
  uint32_t listed[64];
  size_t n_listed = 0, len = 0;
  buf[0] = '\0';
  if (service && !only) {
    snprintf(buf, size, "none");
    return;
  }
  uint32_t n = dl_trace_set_origin_count(set);
  for (uint32_t o = 1; o < n; o++) {
    uint32_t f[4];
    dl_trace_set_origin_fields(set, o, f);
    if (!f[field] || (only && f[DL_FIELD_SERVICE] != only))
      continue;
    size_t k = 0;
    while (k < n_listed && listed[k] != f[field])
      k++;
    if (k < n_listed)
      continue;
    const char *v = dl_trace_set_string(set, f[field]);
    if (n_listed == sizeof listed / sizeof *listed || len + strlen(v) + 8 >= size) {
      snprintf(buf + len, size - len, ", ...");
      return;
    }
    listed[n_listed++] = f[field];
    len += (size_t) snprintf(buf + len, size - len, "%s%s", len ? ", " : "", v);
  }
  if (!n_listed)
    snprintf(buf, size, "none");
}

/* "between 2024-01-15T10:00:00Z and 2024-01-15T10:30:00Z" for window W. */
static const char *
span_of(const dl_window *w, char *buf, size_t size)
{
  char a[DL_TIME_TEXT_SIZE], b[DL_TIME_TEXT_SIZE];
  snprintf(buf, size, "between %s and %s", dl_time_format(w->start, a), dl_time_format(w->end, b));
  return buf;
}

void
dl_sample_check(const dl_trace_set *set, dl_correlation *c, uint64_t around, uint64_t control,
                uint64_t experiment, uint64_t min_requests)
{
  if (control >= min_requests && experiment >= min_requests && control > 0 && experiment > 0)
    return;
  char list[200] = "", when[120];
  dl_judge_result *j = &c->judge;
  const dl_window *cw = &c->windows[c->control_window], *ew = &c->windows[c->experiment_window];
  if (around == 0) {
    /* Nothing of the service at all around the deployment. */
    seen(set, DL_FIELD_SERVICE, NULL, list, sizeof list);
    dl_window all = *cw;
    if (ew->start < all.start)
      all.start = ew->start;
    if (ew->end > all.end)
      all.end = ew->end;
    dl_judge_inconclusive(j,
                          "no requests of service %s in the traces %s (services seen: %s): "
                          "check the service name and that the traces cover the deployment",
                          c->service, span_of(&all, when, sizeof when), list);
    return;
  }
  if (c->mode == DL_COMPARE_CANARY) {
    seen(set, DL_FIELD_VERSION, c->service, list, sizeof list);
    if (experiment == 0)
      dl_judge_inconclusive(j,
                            "no spans of version %s of %s in the traces during the deployment "
                            "(versions seen: %s): check the deployment's version",
                            c->experiment_version, c->service, list);
    else if (!c->control_version)
      dl_judge_inconclusive(j,
                            "no control: only version %s of %s served requests during the "
                            "deployment (versions seen: %s); name one with --control-version",
                            c->experiment_version, c->service, list);
    else if (control == 0)
      dl_judge_inconclusive(j,
                            "no spans of control version %s of %s during the deployment "
                            "(versions seen: %s): check --control-version",
                            c->control_version, c->service, list);
    else
      dl_judge_inconclusive(j,
                            "too few requests to judge: %llu of version %s and %llu of control "
                            "version %s during the deployment, fewer than the %llu each side "
                            "needs (--min-requests)",
                            (unsigned long long) experiment, c->experiment_version,
                            (unsigned long long) control, c->control_version,
                            (unsigned long long) min_requests);
    return;
  }
  /* Before-after: the same service in two windows. */
  if (control == 0)
    dl_judge_inconclusive(j,
                          "no requests of %s in the baseline window %s: the traces do not "
                          "cover the time before the deployment",
                          c->service, span_of(cw, when, sizeof when));
  else if (experiment == 0)
    dl_judge_inconclusive(j,
                          "no requests of %s in the %s window %s: the traces do not cover the "
                          "deployment",
                          c->service, ew->name, span_of(ew, when, sizeof when));
  else
    dl_judge_inconclusive(j,
                          "too few requests to judge: %llu in the baseline window and %llu in "
                          "the %s window, fewer than the %llu each side needs (--min-requests)",
                          (unsigned long long) control, (unsigned long long) experiment,
                          ew->name, (unsigned long long) min_requests);
}
