/* Identifiers from getrandom(2) and hex conversion. */
#include "deploy-ledger/ids.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

int
dl_random_bytes(void *buf, size_t n, dl_error *err)
{
  size_t done = 0;
  while (done < n) {
    ssize_t got = getrandom((char *) buf + done, n - done, 0);
    if (got < 0) {
      if (errno == EINTR)
        continue;
      return dl_fail(err, DL_EIO, "getrandom failed: %s", strerror(errno));
    }
    done += (size_t) got;
  }
  return DL_OK;
}

int
dl_id_is_zero(const uint8_t *id, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (id[i])
      return 0;
  return 1;
}

static int
generate_nonzero(uint8_t *id, size_t n, dl_error *err)
{
  do {
    int rc = dl_random_bytes(id, n, err);
    if (rc)
      return rc;
  } while (dl_id_is_zero(id, n));
  return DL_OK;
}

int
dl_trace_id_generate(uint8_t id[DL_TRACE_ID_SIZE], dl_error *err)
{
  return generate_nonzero(id, DL_TRACE_ID_SIZE, err);
}

int
dl_span_id_generate(uint8_t id[DL_SPAN_ID_SIZE], dl_error *err)
{
  return generate_nonzero(id, DL_SPAN_ID_SIZE, err);
}

char *
dl_hex_encode(const uint8_t *bytes, size_t n, char *out)
{
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 15];
  }
  out[2 * n] = '\0';
  return out;
}

static int
hex_value(char c, int any_case)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (any_case && c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

int
dl_hex_decode(const char *text, size_t n, uint8_t *out, int any_case)
{
  for (size_t i = 0; i < n; i++) {
    int hi = hex_value(text[2 * i], any_case);
    int lo = hi < 0 ? -1 : hex_value(text[2 * i + 1], any_case);
    if (lo < 0)
      return -1;
    out[i] = (uint8_t) (hi << 4 | lo);
  }
  return 0;
}
