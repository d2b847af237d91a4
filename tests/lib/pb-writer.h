/* A protobuf writer for making test and benchmark inputs by hand: tags,
   varints, fixed64, length-delimited fields, and OTLP's KeyValue.  A
   nested message is written into its own pb_buf first and then added
   whole with pb_message, which is slow and simple: the library's encoder
   is what is fast.  Out of memory ends the program. */
#ifndef DL_TEST_PB_WRITER_H
#define DL_TEST_PB_WRITER_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PB_VARINT = 0, PB_I64 = 1, PB_LEN = 2, PB_SGROUP = 3, PB_EGROUP = 4, PB_I32 = 5 };

/* Bytes written so far; {0} is empty.  Free with pb_free. */
typedef struct pb_buf {
  uint8_t *b;
  size_t n, cap;
} pb_buf;

static inline void
pb_reserve(pb_buf *o, size_t more)
{
  if (o->n + more <= o->cap)
    return;
  size_t cap = o->cap ? o->cap : 256;
  while (cap < o->n + more)
    cap *= 2;
  uint8_t *b = realloc(o->b, cap);
  if (!b) {
    fprintf(stderr, "pb-writer: out of memory for %zu bytes\n", cap);
    exit(99);
  }
  o->b = b;
  o->cap = cap;
}

static inline void
pb_free(pb_buf *o)
{
  free(o->b);
  o->b = NULL;
  o->n = o->cap = 0;
}

static inline void
pb_put(pb_buf *o, const void *p, size_t n)
{
  pb_reserve(o, n);
  if (n)
    memcpy(o->b + o->n, p, n);
  o->n += n;
}

static inline void
pb_varint(pb_buf *o, uint64_t v)
{
  pb_reserve(o, 10);
  while (v >= 0x80) {
    o->b[o->n++] = (uint8_t) (v | 0x80);
    v >>= 7;
  }
  o->b[o->n++] = (uint8_t) v;
}

static inline void
pb_tag(pb_buf *o, unsigned field, unsigned wire_type)
{
  pb_varint(o, (uint64_t) field << 3 | wire_type);
}

static inline void
pb_fixed64(pb_buf *o, unsigned field, uint64_t v)
{
  uint8_t b[8];
  for (int i = 0; i < 8; i++)
    b[i] = (uint8_t) (v >> (8 * i));
  pb_tag(o, field, PB_I64);
  pb_put(o, b, 8);
}

static inline void
pb_bytes(pb_buf *o, unsigned field, const void *p, size_t n)
{
  pb_tag(o, field, PB_LEN);
  pb_varint(o, n);
  pb_put(o, p, n);
}

static inline void
pb_string(pb_buf *o, unsigned field, const char *s)
{
  pb_bytes(o, field, s, strlen(s));
}

static inline void
pb_message(pb_buf *o, unsigned field, const pb_buf *m)
{
  pb_bytes(o, field, m->b, m->n);
}

/* An OTLP KeyValue (key = 1, value = 2) holding AnyValue ANY, as field
   FIELD of O. */
static inline void
pb_kv(pb_buf *o, unsigned field, const char *key, const pb_buf *any)
{
  pb_buf kv = {0};
  pb_string(&kv, 1, key);
  pb_message(&kv, 2, any);
  pb_message(o, field, &kv);
  pb_free(&kv);
}

/* KEY with AnyValue string_value (1). */
static inline void
pb_kv_string(pb_buf *o, unsigned field, const char *key, const char *value)
{
  pb_buf any = {0};
  pb_string(&any, 1, value);
  pb_kv(o, field, key, &any);
  pb_free(&any);
}

/* KEY with AnyValue int_value (3). */
static inline void
pb_kv_int(pb_buf *o, unsigned field, const char *key, int64_t value)
{
  pb_buf any = {0};
  pb_tag(&any, 3, PB_VARINT);
  pb_varint(&any, (uint64_t) value);
  pb_kv(o, field, key, &any);
  pb_free(&any);
}

#endif
