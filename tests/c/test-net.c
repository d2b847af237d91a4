/* The HTTP client's policy without a server: which statuses and failures
   are retried, Retry-After in every form RFC 9110 allows (and absurd or
   broken ones), backoff, URLs shown without credentials, URL and header
   checks, printable excerpts of binary bodies. */
#include "tap.h"

#include <curl/curl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "deploy-ledger/time.h"
#include "net/excerpt.h"
#include "net/http.h"
#include "net/retry.h"

#define DAY_MS ((int64_t) DL_RETRY_AFTER_MAX_S * 1000)

static int64_t now_ns;

static int64_t
after(const char *v)
{
  return dl_http_retry_after_ms(v, strlen(v), now_ns);
}

static void
test_statuses(void)
{
  static const long retried[] = {429, 502, 503, 504};
  static const long final[] = {200, 204, 301, 400, 401, 403, 404, 408, 413, 500, 501, 505};
  int all = 1;
  for (size_t i = 0; i < 4; i++)
    all &= dl_http_retryable_status(retried[i]) != 0;
  ok(all, "429, 502, 503 and 504 are retried");
  int none = 1;
  for (size_t i = 0; i < sizeof final / sizeof final[0]; i++)
    if (dl_http_retryable_status(final[i])) {
      none = 0;
      tap_diag("%ld retried", final[i]);
    }
  ok(none, "2xx, 3xx, other 4xx, 500, 501 and 505 are final");
  ok(dl_http_retryable_failure(CURLE_COULDNT_CONNECT) && dl_http_retryable_failure(CURLE_OPERATION_TIMEDOUT)
       && dl_http_retryable_failure(CURLE_GOT_NOTHING) && dl_http_retryable_failure(CURLE_RECV_ERROR),
     "refused, timed out, empty or broken answers are retried");
  ok(!dl_http_retryable_failure(CURLE_UNSUPPORTED_PROTOCOL) && !dl_http_retryable_failure(CURLE_URL_MALFORMAT)
       && !dl_http_retryable_failure(CURLE_SSL_CACERT_BADFILE),
     "a disallowed protocol, a malformed URL, a bad CA file are not");
}

static void
test_retry_after(void)
{
  /* 2024-01-15T10:00:00Z, a Monday. */
  if (dl_time_parse("2024-01-15T10:00:00Z", &now_ns, NULL))
    abort();
  is_int(after("120"), 120000, "delta-seconds");
  is_int(after("  7 \r\n"), 7000, "spaces and the line end around it");
  is_int(after("0"), 0, "zero: at once");
  is_int(after("10000000000"), DAY_MS, "10000000000 s clamped to a day");
  is_int(after("99999999999999999999999999999999"), DAY_MS, "32 digits clamped, no overflow");
  is_int(after("Mon, 15 Jan 2024 10:00:30 GMT"), 30000, "IMF-fixdate 30 s ahead");
  is_int(after("Monday, 15-Jan-24 10:01:00 GMT"), 60000, "RFC 850 date a minute ahead");
  is_int(after("Mon Jan 15 10:00:05 2024"), 5000, "asctime date 5 s ahead");
  is_int(after("Tue Jan  2 10:00:05 2024"), 0, "asctime with a one-digit day, in the past: 0");
  is_int(after("Sun, 06 Nov 1994 08:49:37 GMT"), 0, "a date in the past: no wait");
  is_int(after("Fri, 31 Dec 9999 23:59:59 GMT"), DAY_MS, "year 9999 clamped to a day");
  is_int(after("Thu, 29 Feb 2024 00:00:00 GMT"), DAY_MS, "a leap day weeks ahead: clamped");
  int64_t sub;
  if (dl_time_parse("2024-01-15T10:00:00.250Z", &sub, NULL))
    abort();
  is_int(dl_http_retry_after_ms("Mon, 15 Jan 2024 10:00:01 GMT", 29, sub), 750,
         "a date counts from now to the millisecond");
  static const char *garbage[] = {"", "   ", "soon", "-5", "12s", "1.5", "0x10",
                                  "Mon, 32 Jan 2024 10:00:00 GMT", "Mon, 15 Jan 2024 24:00:00 GMT",
                                  "Mon, 15 Foo 2024 10:00:00 GMT", "Mon, 15 Jan 2024 10:00:00 UTC",
                                  "Wed, 29 Feb 2023 00:00:00 GMT", "Mon, 15 Jan 2024 10:00:00",
                                  "Mon, 15 Jan 2024 10:00:00 GMT trailing", "Xyz, 15 Jan 2024 10:00:00 GMT",
                                  "Mon,15 Jan 2024 10:00:00 GMT", "Monday, 15-Jan-2024 10:00:00 GMT",
                                  "Mon Jan 15 10:00:05 24", "Mon, 15 Jan 0000 10:00:00 GMT"};
  int ignored = 1;
  for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++)
    if (after(garbage[i]) != -1) {
      ignored = 0;
      tap_diag("\"%s\" gave %lld", garbage[i], (long long) after(garbage[i]));
    }
  ok(ignored, "%zu malformed values are ignored (-1)", sizeof garbage / sizeof garbage[0]);
  ok(dl_http_retry_after_ms(NULL, 0, now_ns) == -1, "no value: -1");

  /* RFC 9110's own example in its three forms. */
  is_int(dl_http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT", 29, 2026), 784111777, "IMF-fixdate");
  is_int(dl_http_date_parse("Sunday, 06-Nov-94 08:49:37 GMT", 30, 2026), 784111777, "RFC 850");
  is_int(dl_http_date_parse("Sun Nov  6 08:49:37 1994", 24, 2026), 784111777, "asctime");
  is_int(dl_http_date_parse("Friday, 01-Jan-27 00:00:00 GMT", 30, 2026), 1798761600,
         "RFC 850 '27 in 2026 is 2027");
  is_int(dl_http_date_parse("Tuesday, 01-Jan-80 00:00:00 GMT", 31, 2026), 315532800,
         "RFC 850 '80 in 2026 is 1980 (2080 is more than 50 years ahead)");
  is_int(dl_http_date_parse("Wednesday, 01-Jan-76 00:00:00 GMT", 33, 2026), 3345062400LL,
         "RFC 850 '76 in 2026 is 2076 (just 50 years ahead)");
}

static void
test_backoff(void)
{
  long lo = LONG_MAX, hi = 0;
  for (int i = 0; i < 400; i++) {
    long j = dl_http_jittered(1000);
    lo = j < lo ? j : lo;
    hi = j > hi ? j : hi;
  }
  ok(lo >= 500 && hi <= 1500 && hi > lo, "jitter stays within 0.5x..1.5x and varies (%ld..%ld)", lo, hi);
  is_int(dl_http_jittered(0), 0, "no backoff: no pause");
  is_int(dl_http_backoff_next(250, 1000), 500, "doubled");
  is_int(dl_http_backoff_next(600, 1000), 1000, "capped");
  is_int(dl_http_backoff_next(LONG_MAX / 2 + 1, LONG_MAX), LONG_MAX, "no overflow at the top");
}

static void
test_urls(void)
{
  char out[256];
  dl_http_redact("https://user:pa55@collector.example:4318/v1/traces", out, sizeof out);
  is_str(out, "https://collector.example:4318/v1/traces", "user and password removed");
  dl_http_redact("http://a:b@c@host/x", out, sizeof out);
  is_str(out, "http://host/x", "up to the last @ of the authority");
  dl_http_redact("http://host/path@x?q=a@b", out, sizeof out);
  is_str(out, "http://host/path@x?q=a@b", "an @ in the path or query is kept");
  dl_http_redact("http://host?q=a@b", out, sizeof out);
  is_str(out, "http://host?q=a@b", "an @ in a query right after the host is kept");
  dl_http_redact("bob:hunter2@host:1/p", out, sizeof out);
  is_str(out, "host:1/p", "without a scheme too");
  char tiny[8];
  dl_http_redact("http://u:p@example.com/", tiny, sizeof tiny);
  is_str(tiny, "http://", "a short buffer is cut and terminated");
  ok(dl_http_url_has_userinfo("http://u:p@h/") && !dl_http_url_has_userinfo("http://h/a@b"),
     "userinfo seen only in the authority");

  dl_error err = {0};
  ok(dl_http_url_check("http://collector:4318/v1/traces", "endpoint", &err) == DL_OK
       && dl_http_url_check("HTTPS://collector/", "endpoint", &err) == DL_OK,
     "http and https (any case) pass");
  ok(dl_http_url_check("file:///etc/passwd", "endpoint", &err) == DL_EINVAL
       && strstr(err.text, "endpoint") && strstr(err.text, "file:///etc/passwd")
       && strstr(err.text, "http:// or https://"),
     "file:// refused, naming the setting: %s", err.text);
  ok(dl_http_url_check("ftp://host/x", "endpoint", &err) == DL_EINVAL, "ftp:// refused");
  ok(dl_http_url_check("http://", "endpoint", &err) == DL_EINVAL, "no host refused");
  ok(dl_http_url_check("gopher://bob:hunter2@host/", "endpoint", &err) == DL_EINVAL
       && !strstr(err.text, "hunter2"),
     "the refusal never shows a password: %s", err.text);

  const char *pairs[] = {"service", "a b&c", "skip", NULL, "limit", "20"};
  char *u = dl_http_url("http://jaeger:16686//", "/api/traces", pairs, 6);
  is_str(u, "http://jaeger:16686/api/traces?service=a%20b%26c&limit=20",
         "base, path and percent-encoded parameters");
  free(u);

  ok(dl_http_header_check("x-api-key", "s3cr3t", &err) == DL_OK, "a header passes");
  ok(dl_http_header_check("bad name", "v", &err) == DL_EINVAL && strstr(err.text, "bad name"),
     "a space in a name is refused: %s", err.text);
  ok(dl_http_header_check("x-api-key", "s3cr3t\r\nX-Evil: 1", &err) == DL_EINVAL
       && !strstr(err.text, "s3cr3t") && strstr(err.text, "x-api-key"),
     "CR LF in a value is refused without showing it: %s", err.text);
}

static void
test_excerpt(void)
{
  char out[64];
  dl_http_excerpt(out, sizeof out, "\xff\xfe ok\x00then\n\x7f", 12);
  is_str(out, "?? ok then  ", "invalid bytes as ?, controls as spaces, NUL included");
  dl_http_excerpt(out, sizeof out, "\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80", 11);
  is_str(out, "??|???|????", "overlong, surrogate and beyond-U+10FFFF sequences refused");
  dl_http_excerpt(out, 4, "\xc3\xa9\xc3\xa9", 4);
  is_str(out, "\xc3\xa9", "cut at a character boundary");
  dl_http_excerpt(out, sizeof out, "caf\xc3\xa9 \xe2\x82\xac", 9);
  is_str(out, "caf\xc3\xa9 \xe2\x82\xac", "valid UTF-8 kept");
  dl_http_excerpt(out, sizeof out, NULL, 0);
  is_str(out, "", "nothing: empty");
  ok(dl_http_is_text("caf\xc3\xa9", 5) && dl_http_is_text("", 0) && !dl_http_is_text("a\nb", 3)
       && !dl_http_is_text("\xc3", 1) && !dl_http_is_text("\xed\xa0\x80", 3),
     "text: valid UTF-8 without controls");
}

static void
test_client_refuses(void)
{
  dl_http *h = dl_http_new(NULL, NULL, NULL);
  dl_http_response r;
  dl_error err = {0};
  dl_http_request req = {.method = "GET", .url = "file:///etc/passwd"};
  ok(h && dl_http_perform(h, &req, &r, &err) == DL_EINVAL && r.permanent && r.attempts == 0
       && dl_http_requests(h) == 0,
     "the client never opens a file:// URL: %s", err.text);
  dl_http_response_clear(&r);
  ok(dl_http_add_header(h, "x-key", "a\nb", &err) == DL_EINVAL, "nor takes a header with a newline");
  dl_http_free(h);
  dl_http_free(NULL);
}

int
main(void)
{
  test_statuses();
  test_retry_after();
  test_backoff();
  test_urls();
  test_excerpt();
  test_client_refuses();
  return tap_done();
}
