/* Trace and span identifiers, and hexadecimal text. */
#ifndef DL_IDS_H
#define DL_IDS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define DL_TRACE_ID_SIZE 16
#define DL_SPAN_ID_SIZE 8

/* Fills BUF with N bytes from the kernel's random source. */
int dl_random_bytes(void *buf, size_t n, dl_error *err) DL_MUST_CHECK;

/* Fresh identifiers: random, never all zero. */
int dl_trace_id_generate(uint8_t id[DL_TRACE_ID_SIZE], dl_error *err) DL_MUST_CHECK;
int dl_span_id_generate(uint8_t id[DL_SPAN_ID_SIZE], dl_error *err) DL_MUST_CHECK;

/* Nonzero when all N bytes of ID are zero (an invalid trace or span id). */
int dl_id_is_zero(const uint8_t *id, size_t n);

/* Writes 2*N lower-case hex digits and a NUL into OUT. */
char *dl_hex_encode(const uint8_t *bytes, size_t n, char *out);

/* Decodes exactly 2*N hex digits of TEXT into OUT.  Upper-case digits are
   accepted only when ANY_CASE is nonzero.  Returns 0 on success, -1 on a
   character that is not a hex digit. */
int dl_hex_decode(const char *text, size_t n, uint8_t *out, int any_case);

#endif
