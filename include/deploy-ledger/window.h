/* Time windows around a deployment, and fixed-bucket time series.
 *
 * A window is the half-open range [start, end) of span start times, in
 * ns.  For a deployment that started at S and completed at C (or is still
 * running: C = now) and a width W:
 *   baseline [S - W, S),  during [S, C],  after (C, C + W],
 * the closed ends written as half-open ranges on integer nanoseconds:
 * during [S, C + 1), after [C + 1, C + W + 1).  W defaults to the
 * deployment's duration, at least 10 minutes. */
#ifndef DL_WINDOW_H
#define DL_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct dl_window {
  const char *name; /* borrowed: "baseline", "during", "after", or the caller's */
  int64_t start;    /* inclusive, ns */
  int64_t end;      /* exclusive, ns */
  double seconds;   /* length for rates; 0: (end - start) / 1e9.  The closed
                       windows' extra nanosecond is not part of their length. */
} dl_window;

#define DL_WINDOW_MIN_WIDTH (INT64_C(600) * 1000000000) /* 10 minutes */

enum { DL_WINDOW_BASELINE = 0, DL_WINDOW_DURING = 1, DL_WINDOW_AFTER = 2 };

/* The three windows of a deployment into OUT[3].  COMPLETED may be
   DL_TIME_NONE (still running: NOW is used); WIDTH 0 means the default. */
int dl_deployment_windows(int64_t started, int64_t completed, int64_t now, int64_t width,
                          dl_window out[3], dl_error *err) DL_MUST_CHECK;

/* The width the default rule gives: max(duration, 10 minutes). */
int64_t dl_default_window_width(int64_t started, int64_t completed, int64_t now);

/* Buckets of WIDTH covering [FROM, TO): ceil((TO - FROM) / WIDTH) windows,
   the last one cut at TO.  *OUT is malloc'ed (free it); names are NULL. */
int dl_window_buckets(int64_t from, int64_t to, int64_t width, dl_window **out, size_t *n,
                      dl_error *err) DL_MUST_CHECK;

/* Nonzero when W[0..N) are contiguous and of equal width (the last may
   be shorter): a start time then finds its window by division. */
int dl_windows_uniform(const dl_window *w, size_t n);

/* Window length in seconds (its `seconds', or end - start). */
double dl_window_seconds(const dl_window *w);

#endif
