/* Deployment windows and time buckets. */
#include "deploy-ledger/window.h"

#include <stdlib.h>

#include "deploy-ledger/time.h"

int64_t
dl_default_window_width(int64_t started, int64_t completed, int64_t now)
{
  int64_t end = completed == DL_TIME_NONE ? now : completed;
  int64_t d = dl_time_sub_saturated(end, started);
  return d > DL_WINDOW_MIN_WIDTH ? d : DL_WINDOW_MIN_WIDTH;
}

int
dl_deployment_windows(int64_t started, int64_t completed, int64_t now, int64_t width,
                      dl_window out[3], dl_error *err)
{
  if (started == DL_TIME_NONE)
    return dl_fail(err, DL_EINVAL, "deployment has no start time");
  int64_t end = completed == DL_TIME_NONE ? now : completed;
  if (end < started) {
    char a[DL_TIME_TEXT_SIZE], b[DL_TIME_TEXT_SIZE];
    return dl_fail(err, DL_EINVAL, "deployment ends (%s) before it starts (%s)",
                   dl_time_format(end, a), dl_time_format(started, b));
  }
  if (width < 0)
    return dl_fail(err, DL_EINVAL, "window width %lld ns is negative", (long long) width);
  if (width == 0)
    width = dl_default_window_width(started, completed, now);
  /* Keep every bound representable. */
  if (started < INT64_MIN / 2 || end > INT64_MAX / 2 || width > INT64_MAX / 4)
    return dl_fail(err, DL_ERANGE, "deployment times or window width out of range");
  out[DL_WINDOW_BASELINE] = (dl_window){"baseline", started - width, started, (double) width / 1e9};
  out[DL_WINDOW_DURING] = (dl_window){"during", started, end + 1,
                                      end > started ? (double) (end - started) / 1e9 : 1e-9};
  out[DL_WINDOW_AFTER] = (dl_window){"after", end + 1, end + width + 1, (double) width / 1e9};
  return DL_OK;
}

int
dl_window_buckets(int64_t from, int64_t to, int64_t width, dl_window **out, size_t *n,
                  dl_error *err)
{
  *out = NULL;
  *n = 0;
  if (width <= 0)
    return dl_fail(err, DL_EINVAL, "bucket width %lld ns is not positive", (long long) width);
  if (to <= from)
    return dl_fail(err, DL_EINVAL, "time series range is empty");
  uint64_t span = (uint64_t) to - (uint64_t) from;
  uint64_t count = span / (uint64_t) width + (span % (uint64_t) width != 0);
  if (count > 1000000)
    return dl_fail(err, DL_ERANGE, "%llu buckets is too many (at most 1000000)",
                   (unsigned long long) count);
  dl_window *w = malloc(count * sizeof *w);
  if (!w)
    return dl_fail(err, DL_ENOMEM, "out of memory for %llu buckets", (unsigned long long) count);
  for (uint64_t i = 0; i < count; i++) {
    w[i].name = NULL;
    w[i].seconds = 0;
    w[i].start = from + (int64_t) i * width;
    w[i].end = i + 1 == count ? to : w[i].start + width;
  }
  *out = w;
  *n = (size_t) count;
  return DL_OK;
}

int
dl_windows_uniform(const dl_window *w, size_t n)
{
  if (n == 0)
    return 0;
  int64_t width = w[0].end - w[0].start;
  if (width <= 0)
    return 0;
  for (size_t i = 1; i < n; i++) {
    if (w[i].start != w[i - 1].end)
      return 0;
    int64_t wi = w[i].end - w[i].start;
    if (wi != width && !(i + 1 == n && wi > 0 && wi < width))
      return 0;
  }
  return 1;
}

double
dl_window_seconds(const dl_window *w)
{
  return w->seconds > 0 ? w->seconds : (double) (w->end - w->start) / 1e9;
}
