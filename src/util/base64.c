/* Base64 decoding: both alphabets, padding optional, canonical only. */
#include "util/base64.h"

static int
value(unsigned char c)
{
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+' || c == '-')
    return 62;
  if (c == '/' || c == '_')
    return 63;
  return -1;
}

long
dl_base64_decode(const char *s, size_t len, uint8_t *out, size_t size)
{
  while (len && s[len - 1] == '=')
    len--;
  if (len % 4 == 1)
    return -1; /* 6 bits: not even one byte */
  uint32_t acc = 0;
  int bits = 0;
  size_t n = 0;
  for (size_t i = 0; i < len; i++) {
    int v = value((unsigned char) s[i]);
    if (v < 0)
      return -1;
    acc = (acc << 6) | (uint32_t) v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (n == size)
        return -1;
      out[n++] = (uint8_t) (acc >> bits);
    }
  }
  /* Leftover bits must be zero in a canonical encoding. */
  if (acc & ((1u << bits) - 1))
    return -1;
  return (long) n;
}
