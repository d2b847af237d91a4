/* The HTTP client's retry policy: retryable statuses and failures,
   Retry-After, backoff with jitter. */
#include "net/retry.h"

#include <curl/curl.h>
#include <string.h>
#include <strings.h>

#include "deploy-ledger/ids.h"

int
dl_http_retryable_status(long status)
{
  return status == 429 || status == 502 || status == 503 || status == 504;
}

int
dl_http_retryable_failure(int code)
{
  switch ((CURLcode) code) {
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY:
  case CURLE_COULDNT_CONNECT:
  case CURLE_OPERATION_TIMEDOUT:
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
  case CURLE_GOT_NOTHING:
  case CURLE_PARTIAL_FILE:
    return 1;
  default:
    return 0;
  }
}

/* ---- HTTP dates ---- */

static const char *const short_days[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
static const char *const long_days[7] = {"Monday", "Tuesday", "Wednesday", "Thursday",
                                         "Friday", "Saturday", "Sunday"};
static const char *const months[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* A reader over the date text: each step consumes what it matched or
   sets `bad', after which every step fails. */
typedef struct reader {
  const char *p, *end;
  int bad;
} reader;

static int
literal(reader *r, const char *s)
{
  size_t n = strlen(s);
  if (r->bad || (size_t) (r->end - r->p) < n || memcmp(r->p, s, n) != 0)
    return r->bad = 1, 0;
  r->p += n;
  return 1;
}

/* Exactly N digits. */
static int
digits(reader *r, int n)
{
  int v = 0;
  if (r->bad || r->end - r->p < n)
    return r->bad = 1, 0;
  for (int i = 0; i < n; i++) {
    if (r->p[i] < '0' || r->p[i] > '9')
      return r->bad = 1, 0;
    v = v * 10 + (r->p[i] - '0');
  }
  r->p += n;
  return v;
}

/* One of NAMES (case-sensitive, as the grammar has it); its index. */
static int
name(reader *r, const char *const *names, int n)
{
  for (int i = 0; i < n && !r->bad; i++) {
    size_t len = strlen(names[i]);
    if ((size_t) (r->end - r->p) >= len && memcmp(r->p, names[i], len) == 0) {
      r->p += len;
      return i;
    }
  }
  r->bad = 1;
  return 0;
}

static int
leap(int64_t y)
{
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 0001-01-01 to January 1st of year Y (Y >= 1). */
static int64_t
days_before_year(int64_t y)
{
  int64_t p = y - 1;
  return p * 365 + p / 4 - p / 100 + p / 400;
}

static int64_t
epoch_seconds(int64_t year, int month, int day, int hour, int min, int sec)
{
  static const int before_month[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  static const int length[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 1 || month < 0 || month > 11 || day < 1
      || day > length[month] + (month == 1 && leap(year)) || hour > 23 || min > 59 || sec > 60)
    return -1;
  int64_t days = days_before_year(year) - days_before_year(1970) + before_month[month]
                 + (month > 1 && leap(year)) + day - 1;
  return ((days * 24 + hour) * 60 + min) * 60 + sec;
}

static void
clock_time(reader *r, int *h, int *m, int *s)
{
  *h = digits(r, 2);
  literal(r, ":");
  *m = digits(r, 2);
  literal(r, ":");
  *s = digits(r, 2);
}

int64_t
dl_http_date_parse(const char *text, size_t len, int now_year)
{
  reader r = {text, text + len, 0};
  int day, month, hour, min, sec;
  int64_t year;
  /* The three forms differ from the fourth byte: ',' after a short day
     name (IMF-fixdate), ' ' (asctime), a letter (RFC 850's long name). */
  if (len > 3 && text[3] == ',') {
    name(&r, short_days, 7);
    literal(&r, ", ");
    day = digits(&r, 2);
    literal(&r, " ");
    month = name(&r, months, 12);
    literal(&r, " ");
    year = digits(&r, 4);
    literal(&r, " ");
    clock_time(&r, &hour, &min, &sec);
    literal(&r, " GMT");
  } else if (len > 3 && text[3] == ' ') {
    name(&r, short_days, 7);
    literal(&r, " ");
    month = name(&r, months, 12);
    literal(&r, " ");
    /* The day is two digits or a space and one digit. */
    if (!r.bad && r.p < r.end && *r.p == ' ') {
      r.p++;
      day = digits(&r, 1);
    } else {
      day = digits(&r, 2);
    }
    literal(&r, " ");
    clock_time(&r, &hour, &min, &sec);
    literal(&r, " ");
    year = digits(&r, 4);
  } else {
    name(&r, long_days, 7);
    literal(&r, ", ");
    day = digits(&r, 2);
    literal(&r, "-");
    month = name(&r, months, 12);
    literal(&r, "-");
    int yy = digits(&r, 2);
    literal(&r, " ");
    clock_time(&r, &hour, &min, &sec);
    literal(&r, " GMT");
    year = (int64_t) (now_year / 100) * 100 + yy;
    if (year > now_year + 50)
      year -= 100;
  }
  if (r.bad || r.p != r.end)
    return -1;
  return epoch_seconds(year, month, day, hour, min, sec);
}

int64_t
dl_http_retry_after_ms(const char *value, size_t len, int64_t now_ns)
{
  if (!value)
    return -1;
  while (len && (*value == ' ' || *value == '\t')) {
    value++;
    len--;
  }
  while (len && (value[len - 1] == ' ' || value[len - 1] == '\t' || value[len - 1] == '\r'
                 || value[len - 1] == '\n'))
    len--;
  if (!len)
    return -1;
  int64_t now_s = now_ns / 1000000000;
  if (value[0] >= '0' && value[0] <= '9') {
    /* delta-seconds: saturate at the clamp while reading, so that no
       number of digits overflows. */
    int64_t s = 0;
    for (size_t i = 0; i < len; i++) {
      if (value[i] < '0' || value[i] > '9')
        return -1;
      if (s <= DL_RETRY_AFTER_MAX_S)
        s = s * 10 + (value[i] - '0');
    }
    if (s > DL_RETRY_AFTER_MAX_S)
      s = DL_RETRY_AFTER_MAX_S;
    return s * 1000;
  }
  /* The civil year of NOW, for RFC 850's two-digit years. */
  int64_t days = now_s / 86400;
  int now_year = 1970 + (int) (days / 365);
  while (now_year > 1970 && days_before_year(now_year) - days_before_year(1970) > days)
    now_year--;
  int64_t when = dl_http_date_parse(value, len, now_year);
  if (when < 0)
    return -1;
  /* Clamp in seconds first: WHEN may lie thousands of years ahead. */
  if (when - now_s > DL_RETRY_AFTER_MAX_S)
    return (int64_t) DL_RETRY_AFTER_MAX_S * 1000;
  int64_t ms = when * 1000 - now_ns / 1000000;
  return ms > 0 ? ms : 0;
}

/* ---- backoff ---- */

long
dl_http_jittered(long backoff_ms)
{
  if (backoff_ms <= 0)
    return 0;
  uint8_t r;
  if (dl_random_bytes(&r, 1, NULL))
    r = 128;
  /* 0.5x to 1.5x (in double: no product can overflow). */
  return backoff_ms / 2 + (long) ((double) backoff_ms * r / 255.0);
}

long
dl_http_backoff_next(long backoff_ms, long max_ms)
{
  if (backoff_ms <= 0)
    return 0;
  return backoff_ms > max_ms / 2 ? max_ms : backoff_ms * 2;
}
