/* Building, checking and redacting URLs. */
#include "net/url.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

char *
dl_http_url(const char *base, const char *path, const char *const *pairs, size_t n_pairs)
{
  size_t blen = strlen(base);
  while (blen && base[blen - 1] == '/')
    blen--;
  size_t cap = blen + strlen(path) + 2;
  char **esc = calloc(n_pairs ? n_pairs : 1, sizeof *esc);
  if (!esc)
    return NULL;
  for (size_t i = 0; i + 1 < n_pairs; i += 2) {
    if (!pairs[i + 1])
      continue;
    esc[i + 1] = curl_easy_escape(NULL, pairs[i + 1], 0);
    if (!esc[i + 1])
      goto fail;
    cap += strlen(pairs[i]) + strlen(esc[i + 1]) + 2;
  }
  char *url = malloc(cap);
  if (!url)
    goto fail;
  size_t n = (size_t) snprintf(url, cap, "%.*s%s", (int) blen, base, path);
  char sep = '?';
  for (size_t i = 0; i + 1 < n_pairs; i += 2) {
    if (!esc[i + 1])
      continue;
    n += (size_t) snprintf(url + n, cap - n, "%c%s=%s", sep, pairs[i], esc[i + 1]);
    sep = '&';
  }
  for (size_t i = 0; i < n_pairs; i++)
    curl_free(esc[i]);
  free(esc);
  return url;
fail:
  for (size_t i = 0; i < n_pairs; i++)
    curl_free(esc[i]);
  free(esc);
  return NULL;
}

/* The authority of URL: [*START, *END), after "scheme://" (or from the
   start when there is no scheme) up to the first '/', '?' or '#'. */
static void
authority(const char *url, const char **start, const char **end)
{
  const char *scheme = strstr(url, "://");
  const char *a = scheme && strcspn(url, "/?#") >= (size_t) (scheme - url) ? scheme + 3 : url;
  *start = a;
  *end = a + strcspn(a, "/?#");
}

/* The last '@' of the authority ends the user information: a password
   may hold an unencoded '@' that clients accept. */
static const char *
userinfo_end(const char *url)
{
  const char *a, *e, *at = NULL;
  authority(url, &a, &e);
  for (const char *p = a; p < e; p++)
    if (*p == '@')
      at = p;
  return at;
}

int
dl_http_url_has_userinfo(const char *url)
{
  return userinfo_end(url) != NULL;
}

void
dl_http_redact(const char *url, char *out, size_t size)
{
  if (!size)
    return;
  const char *at = userinfo_end(url);
  if (!at) {
    snprintf(out, size, "%s", url);
    return;
  }
  const char *a, *e;
  authority(url, &a, &e);
  snprintf(out, size, "%.*s%s", (int) (a - url), url, at + 1);
}

int
dl_http_url_check(const char *url, const char *what, dl_error *err)
{
  const char *a, *e;
  int http = url && strncasecmp(url, "http://", 7) == 0;
  int https = url && strncasecmp(url, "https://", 8) == 0;
  if (http || https) {
    authority(url, &a, &e);
    const char *at = userinfo_end(url);
    if ((at ? at + 1 : a) < e)
      return DL_OK;
  }
  if (!url)
    return dl_fail(err, DL_EINVAL, "%s: no URL given", what);
  char shown[256];
  dl_http_redact(url, shown, sizeof shown);
  return dl_fail(err, DL_EINVAL,
                 "%s \"%s\" is not an http:// or https:// URL with a host (no other scheme "
                 "is fetched)", what, shown);
}
