/* PostgreSQL URLs as messages show them: never with a password. */
#define _GNU_SOURCE
#include "ledger/pg.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Appends N bytes of S to *P. */
static char *
put(char *p, const char *s, size_t n)
{
  memcpy(p, s, n);
  return p + n;
}

char *
dl_pg_redact_url(const char *url)
{
  /* At most every byte plus "***" per password; two passwords at most
     matter (userinfo and query), but each query parameter may be one. */
  size_t len = strlen(url);
  char *out = malloc(len * 4 + 16), *p = out;
  if (!out)
    return NULL;
  const char *scheme_end = strstr(url, "://");
  const char *rest = scheme_end ? scheme_end + 3 : url;
  p = put(p, url, (size_t) (rest - url));
  /* userinfo: up to the last '@' before the path or the query. */
  const char *authority_end = rest + strcspn(rest, "/?");
  const char *at = NULL;
  for (const char *c = rest; c < authority_end; c++)
    if (*c == '@')
      at = c;
  if (at) {
    const char *colon = memchr(rest, ':', (size_t) (at - rest));
    if (colon) {
      p = put(p, rest, (size_t) (colon - rest));
      p = put(p, ":***", 4);
      rest = at;
    }
  }
  /* Query parameters: password=... */
  const char *query = strchr(rest, '?');
  if (!query) {
    p = put(p, rest, strlen(rest));
    *p = '\0';
    return out;
  }
  p = put(p, rest, (size_t) (query - rest) + 1);
  const char *param = query + 1;
  while (*param) {
    size_t plen = strcspn(param, "&");
    if (plen >= 9 && strncasecmp(param, "password=", 9) == 0)
      p = put(p, "password=***", 12);
    else
      p = put(p, param, plen);
    param += plen;
    if (*param == '&')
      p = put(p, param++, 1);
  }
  *p = '\0';
  return out;
}
