/* A small TAP producer for the C tests: plan, ok, is, diag, skip.
   Failures record the file and line of the check. */
#ifndef DL_TAP_H
#define DL_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_count, tap_failed, tap_planned = -1;

static inline void
tap_plan(int n)
{
  tap_planned = n;
  printf("1..%d\n", n);
}

static inline void
tap_diag(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  printf("# ");
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
}

static inline int
tap_ok_at(int pass, const char *file, int line, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  printf("%s %d - ", pass ? "ok" : "not ok", ++tap_count);
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
  if (!pass) {
    tap_failed++;
    printf("#   Failed at %s line %d\n", file, line);
  }
  fflush(stdout);
  return pass;
}

static inline void
tap_skip(int n, const char *why)
{
  for (int i = 0; i < n; i++)
    printf("ok %d # SKIP %s\n", ++tap_count, why);
}

/* Ends the run: prints the plan if none was given; exit status 1 on failure. */
static inline int
tap_done(void)
{
  if (tap_planned < 0)
    printf("1..%d\n", tap_count);
  else if (tap_planned != tap_count)
    printf("# planned %d tests but ran %d\n", tap_planned, tap_count);
  fflush(stdout);
  return tap_failed || (tap_planned >= 0 && tap_planned != tap_count);
}

#define ok(cond, ...) tap_ok_at(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, ...)                                                   \
  do {                                                                           \
    long long g_ = (long long) (got), w_ = (long long) (want);                   \
    if (!tap_ok_at(g_ == w_, __FILE__, __LINE__, __VA_ARGS__))                   \
      printf("#   got: %lld\n#   expected: %lld\n", g_, w_);                     \
  } while (0)
#define is_str(got, want, ...)                                                   \
  do {                                                                           \
    const char *g_ = (got), *w_ = (want);                                        \
    int same_ = (g_ && w_) ? strcmp(g_, w_) == 0 : g_ == w_;                     \
    if (!tap_ok_at(same_, __FILE__, __LINE__, __VA_ARGS__))                      \
      printf("#   got: \"%s\"\n#   expected: \"%s\"\n", g_ ? g_ : "(null)",      \
             w_ ? w_ : "(null)");                                                \
  } while (0)
#define is_double(got, want, tol, ...)                                           \
  do {                                                                           \
    double g_ = (got), w_ = (want), t_ = (tol);                                  \
    int close_ = (g_ == w_) || (g_ - w_ <= t_ && w_ - g_ <= t_);                 \
    if (!tap_ok_at(close_, __FILE__, __LINE__, __VA_ARGS__))                     \
      printf("#   got: %.17g\n#   expected: %.17g (tolerance %g)\n", g_, w_, t_); \
  } while (0)

#endif
