/* Base64 decoding (internal), for the ids of OTLP/JSON and the binary
   metadata of gRPC: one decoder, both alphabets. */
#ifndef DL_UTIL_BASE64_H
#define DL_UTIL_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Decodes S (LEN characters; the standard or the URL-safe alphabet,
   trailing '=' padding optional) into OUT (at most SIZE bytes).  The
   number of bytes, or -1 when S holds another character, decodes to more
   than SIZE bytes, or is not canonical (leftover bits not zero, or a
   length no encoding has). */
long dl_base64_decode(const char *s, size_t len, uint8_t *out, size_t size);

#endif
