/* Printable excerpts of response bodies. */
#include "net/excerpt.h"

#include <stdint.h>

/* Length of the valid UTF-8 sequence at P (N bytes left), 0 if invalid:
   no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t
utf8_length(const uint8_t *p, size_t n)
{
  uint8_t c = p[0];
  size_t need;
  uint32_t cp;
  if (c < 0x80)
    return 1;
  if (c >= 0xc2 && c <= 0xdf)
    need = 2, cp = c & 0x1f;
  else if (c >= 0xe0 && c <= 0xef)
    need = 3, cp = c & 0x0f;
  else if (c >= 0xf0 && c <= 0xf4)
    need = 4, cp = c & 0x07;
  else
    return 0;
  if (n < need)
    return 0;
  for (size_t i = 1; i < need; i++) {
    if ((p[i] & 0xc0) != 0x80)
      return 0;
    cp = cp << 6 | (p[i] & 0x3f);
  }
  if ((need == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
      || (need == 4 && (cp < 0x10000 || cp > 0x10ffff)))
    return 0;
  return need;
}

int
dl_http_is_text(const void *data, size_t len)
{
  const uint8_t *p = data;
  for (size_t i = 0; i < len;) {
    size_t n = utf8_length(p + i, len - i);
    if (n == 0 || (n == 1 && (p[i] < 0x20 || p[i] == 0x7f)))
      return 0;
    i += n;
  }
  return 1;
}

void
dl_http_excerpt(char *out, size_t size, const void *data, size_t len)
{
  if (!size)
    return;
  const uint8_t *p = data;
  size_t o = 0;
  for (size_t i = 0; p && i < len;) {
    size_t n = utf8_length(p + i, len - i);
    if (n == 0) {
      if (o + 1 >= size)
        break;
      out[o++] = '?';
      i++;
    } else if (n == 1) {
      if (o + 1 >= size)
        break;
      out[o++] = p[i] < 0x20 || p[i] == 0x7f ? ' ' : (char) p[i];
      i++;
    } else {
      if (o + n >= size)
        break;
      for (size_t k = 0; k < n; k++)
        out[o++] = (char) p[i + k];
      i += n;
    }
  }
  out[o] = '\0';
}
