/* The key=value list of the OpenTelemetry environment variables. */
#include "otlp/kv-list.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deploy-ledger/ids.h"

/* Percent-decodes N bytes of S into OUT (room for N + 1); -1 on a
   malformed escape or an encoded NUL (it would cut the string short). */
static int
percent_decode(const char *s, size_t n, char *out)
{
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] != '%') {
      out[o++] = s[i];
      continue;
    }
    uint8_t byte;
    if (i + 2 >= n || dl_hex_decode(s + i + 1, 1, &byte, 1) || byte == 0)
      return -1;
    out[o++] = (char) byte;
    i += 2;
  }
  out[o] = '\0';
  return 0;
}

static const char *
trim(const char *s, size_t *n)
{
  while (*n && (*s == ' ' || *s == '\t')) {
    s++;
    (*n)--;
  }
  while (*n && (s[*n - 1] == ' ' || s[*n - 1] == '\t'))
    (*n)--;
  return s;
}

static int
bad_entry(const char *what, int secret, size_t number, const char *entry, size_t len,
          const char *problem, dl_error *err)
{
  if (secret)
    return dl_fail(err, DL_EINVAL, "%s: entry %zu %s (values are not shown)", what, number,
                   problem);
  return dl_fail(err, DL_EINVAL, "%s: entry %zu \"%.*s\" %s", what, number,
                 (int) (len < 120 ? len : 120), entry, problem);
}

int
dl_kv_list_parse(const char *text, const char *what, int secret, dl_kv_list_fn fn, void *ctx,
                 dl_error *err)
{
  size_t number = 0;
  for (const char *p = text ? text : ""; *p;) {
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t) (comma - p) : strlen(p);
    const char *entry = p;
    p += len + (comma ? 1 : 0);
    size_t all = len;
    trim(entry, &all);
    if (!all)
      continue;
    number++;
    const char *eq = memchr(entry, '=', len);
    if (!eq)
      return bad_entry(what, secret, number, entry, len, "is not key=value", err);
    size_t klen = (size_t) (eq - entry), vlen = len - klen - 1;
    const char *k = trim(entry, &klen), *v = trim(eq + 1, &vlen);
    if (!klen)
      return bad_entry(what, secret, number, entry, len, "has no key", err);
    char *key = malloc(klen + 1), *value = malloc(vlen + 1);
    int rc;
    if (!key || !value)
      rc = dl_fail(err, DL_ENOMEM, "out of memory");
    else if (percent_decode(k, klen, key) || percent_decode(v, vlen, value))
      rc = bad_entry(what, secret, number, entry, len,
                     "has a malformed percent escape (%XX, not %00)", err);
    else
      rc = fn(ctx, key, value, err);
    if (value)
      memset(value, 0, vlen + 1);
    free(key);
    free(value);
    if (rc)
      return rc;
  }
  return DL_OK;
}
