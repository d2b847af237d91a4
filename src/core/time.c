/* RFC 3339 timestamps and durations. */
#define _GNU_SOURCE
#include "deploy-ledger/time.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t
dl_time_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (era arithmetic). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (int) (doy - (153 * mp + 2) / 5 + 1);
  *m = (int) (mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

static int
is_leap(int64_t y)
{
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int64_t y, int m)
{
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Reads exactly N digits at *P; returns -1 if they are not all digits. */
static long
read_digits(const char **p, int n)
{
  long v = 0;
  for (int i = 0; i < n; i++) {
    char c = (*p)[i];
    if (c < '0' || c > '9')
      return -1;
    v = v * 10 + (c - '0');
  }
  *p += n;
  return v;
}

static int
bad_time(dl_error *err, const char *text, const char *p, const char *why)
{
  dl_fail(err, DL_EINVAL, "invalid RFC 3339 timestamp \"%s\" at character %ld: %s",
          text, (long) (p - text) + 1, why);
  dl_error_at(err, NULL, -1, (long) (p - text) + 1, (long) (p - text));
  return DL_EINVAL;
}

int
dl_time_parse(const char *text, int64_t *ns, dl_error *err)
{
  if (!text)
    return dl_fail(err, DL_EINVAL, "missing timestamp");
  const char *p = text;
  long year = read_digits(&p, 4);
  if (year < 0)
    return bad_time(err, text, p, "expected a four-digit year");
  if (*p++ != '-')
    return bad_time(err, text, p - 1, "expected '-' after the year");
  long month = read_digits(&p, 2);
  if (month < 1 || month > 12)
    return bad_time(err, text, p, "month must be 01 to 12");
  if (*p++ != '-')
    return bad_time(err, text, p - 1, "expected '-' after the month");
  long day = read_digits(&p, 2);
  if (day < 1 || day > days_in_month(year, (int) month))
    return bad_time(err, text, p, "day out of range for the month");
  if (*p != 'T' && *p != 't' && *p != ' ')
    return bad_time(err, text, p, "expected 'T' between date and time");
  p++;
  long hour = read_digits(&p, 2);
  if (hour < 0 || hour > 23)
    return bad_time(err, text, p, "hour must be 00 to 23");
  if (*p++ != ':')
    return bad_time(err, text, p - 1, "expected ':' after the hour");
  long minute = read_digits(&p, 2);
  if (minute < 0 || minute > 59)
    return bad_time(err, text, p, "minute must be 00 to 59");
  if (*p++ != ':')
    return bad_time(err, text, p - 1, "expected ':' after the minute");
  long second = read_digits(&p, 2);
  if (second < 0 || second > 60)
    return bad_time(err, text, p, "second must be 00 to 60 (60: a leap second)");
  int64_t fraction = 0;
  if (*p == '.') {
    p++;
    int digits = 0;
    while (*p >= '0' && *p <= '9') {
      if (++digits > 9)
        return bad_time(err, text, p, "more than 9 fraction digits");
      fraction = fraction * 10 + (*p++ - '0');
    }
    if (digits == 0)
      return bad_time(err, text, p, "expected digits after '.'");
    for (; digits < 9; digits++)
      fraction *= 10;
  }
  long offset = 0;
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int sign = *p++ == '-' ? -1 : 1;
    long oh = read_digits(&p, 2);
    if (oh < 0 || oh > 23)
      return bad_time(err, text, p, "offset hours must be 00 to 23");
    if (*p++ != ':')
      return bad_time(err, text, p - 1, "expected ':' in the offset");
    long om = read_digits(&p, 2);
    if (om < 0 || om > 59)
      return bad_time(err, text, p, "offset minutes must be 00 to 59");
    offset = sign * (oh * 3600 + om * 60);
  } else {
    return bad_time(err, text, p, "expected 'Z' or an offset such as +01:00");
  }
  if (*p != '\0')
    return bad_time(err, text, p, "unexpected characters after the timestamp");
  /* Four-digit years keep this far inside int64; second 60 (a leap
     second) lands on the next minute's first, as in POSIX time. */
  int64_t secs = days_from_civil(year, (int) month, (int) day) * 86400
                 + hour * 3600 + minute * 60 + second - offset;
  /* Before 1970 borrow a second, so that the earliest instants, whose
     whole seconds alone would not fit, still do. */
  if (secs < 0 && fraction) {
    secs += 1;
    fraction -= 1000000000;
  }
  int64_t v;
  if (__builtin_mul_overflow(secs, (int64_t) 1000000000, &v)
      || __builtin_add_overflow(v, fraction, &v) || v == DL_TIME_NONE)
    return dl_fail(err, DL_ERANGE, "timestamp \"%s\" is outside the range of nanosecond time "
                   "(1677-09-21T00:12:43.145224193Z to 2262-04-11T23:47:16.854775807Z)", text);
  *ns = v;
  return DL_OK;
}

char *
dl_time_format(int64_t ns, char *buf)
{
  int64_t secs = ns / 1000000000, frac = ns % 1000000000;
  if (frac < 0) {
    frac += 1000000000;
    secs -= 1;
  }
  int64_t days = secs / 86400, rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    days -= 1;
  }
  int64_t y;
  int m, d;
  civil_from_days(days, &y, &m, &d);
  int n = snprintf(buf, DL_TIME_TEXT_SIZE, "%04lld-%02d-%02dT%02d:%02d:%02d",
                   (long long) y, m, d, (int) (rem / 3600), (int) (rem / 60 % 60),
                   (int) (rem % 60));
  if (frac % 1000000 == 0 && frac)
    n += snprintf(buf + n, DL_TIME_TEXT_SIZE - n, ".%03d", (int) (frac / 1000000));
  else if (frac % 1000 == 0 && frac)
    n += snprintf(buf + n, DL_TIME_TEXT_SIZE - n, ".%06d", (int) (frac / 1000));
  else if (frac)
    n += snprintf(buf + n, DL_TIME_TEXT_SIZE - n, ".%09d", (int) frac);
  snprintf(buf + n, DL_TIME_TEXT_SIZE - n, "Z");
  return buf;
}

int
dl_duration_parse(const char *text, int64_t *ns, dl_error *err)
{
  static const struct {
    const char *unit;
    int64_t ns;
  } units[] = {{"ns", 1},          {"us", 1000},           {"ms", 1000000},
               {"s", 1000000000LL}, {"m", 60000000000LL},  {"h", 3600000000000LL},
               {"d", 86400000000000LL}, {"w", 604800000000000LL}};
  if (!text || !*text)
    return dl_fail(err, DL_EINVAL, "empty duration");
  const char *p = text;
  int64_t total = 0;
  while (*p) {
    if (*p < '0' || *p > '9')
      return dl_fail(err, DL_EINVAL, "invalid duration \"%s\": expected a number at character %ld",
                     text, (long) (p - text) + 1);
    int64_t n = 0;
    while (*p >= '0' && *p <= '9') {
      if (n > INT64_MAX / 10 - 10)
        return dl_fail(err, DL_ERANGE, "duration \"%s\" is too large", text);
      n = n * 10 + (*p++ - '0');
    }
    size_t best = 0;
    int64_t scale = 0;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
      size_t len = strlen(units[i].unit);
      if (len > best && strncmp(p, units[i].unit, len) == 0) {
        best = len;
        scale = units[i].ns;
      }
    }
    if (!best)
      return dl_fail(err, DL_EINVAL,
                     "invalid duration \"%s\": expected a unit (ns, us, ms, s, m, h, d, w) at character %ld",
                     text, (long) (p - text) + 1);
    if (n > (INT64_MAX - total) / scale)
      return dl_fail(err, DL_ERANGE, "duration \"%s\" is too large", text);
    total += n * scale;
    p += best;
  }
  *ns = total;
  return DL_OK;
}

/* SECONDS (any sign) as "42s", "3m05s", "2h10m" or "3d04h". */
static char *
format_seconds(int64_t seconds, char *buf)
{
  const char *sign = seconds < 0 ? "-" : "";
  /* In unsigned: the magnitude of INT64_MIN does not fit in int64. */
  unsigned long long s = seconds < 0 ? 0ULL - (unsigned long long) seconds
                                     : (unsigned long long) seconds;
  if (s < 60)
    snprintf(buf, 32, "%s%llus", sign, s);
  else if (s < 3600)
    snprintf(buf, 32, "%s%llum%02llus", sign, s / 60, s % 60);
  else if (s < 86400)
    snprintf(buf, 32, "%s%lluh%02llum", sign, s / 3600, s % 3600 / 60);
  else
    snprintf(buf, 32, "%s%llud%02lluh", sign, s / 86400, s % 86400 / 3600);
  return buf;
}

char *
dl_duration_format(int64_t ns, char *buf)
{
  return format_seconds(ns / 1000000000, buf);
}

char *
dl_duration_between(int64_t start, int64_t end, char *buf)
{
  int64_t d;
  if (!__builtin_sub_overflow(end, start, &d))
    return dl_duration_format(d, buf);
  /* Whole seconds of each fit, and so does their difference. */
  return format_seconds(end / 1000000000 - start / 1000000000, buf);
}

int64_t
dl_time_sub_saturated(int64_t end, int64_t start)
{
  int64_t d;
  if (__builtin_sub_overflow(end, start, &d))
    return end > start ? INT64_MAX : INT64_MIN;
  return d;
}
