/* String interning for the trace set (internal, not installed).
 *
 * Each distinct byte string gets a dense 32-bit id starting at 1 (0 is
 * reserved for "absent").  Strings live in an arena of chunks that never
 * move, so the pointers handed out stay valid until the table is freed.
 * Lookup goes through the library's hash table (util/hash.h), whose
 * entries are the ids: it keeps each string's hash, so growing never
 * hashes text again. */
#ifndef DL_INTERN_H
#define DL_INTERN_H

#include <stddef.h>
#include <stdint.h>

#include "util/hash.h"

typedef struct dl_intern_chunk dl_intern_chunk;

typedef struct dl_intern {
  const char **strs; /* id -> NUL-terminated string; strs[0] is NULL */
  uint32_t *lens;    /* id -> length in bytes */
  uint32_t count;    /* ids in use, counting the reserved 0 */
  uint32_t cap;      /* capacity of strs and lens */
  dl_hash index;     /* hash of a string -> its id */
  dl_intern_chunk *chunks;
  char *cur; /* free space in the newest chunk */
  size_t left;
  size_t bytes; /* arena bytes allocated, for accounting */
} dl_intern;

void dl_intern_init(dl_intern *t);
void dl_intern_free(dl_intern *t);

/* Id of S (interning it if new), or 0 when memory or ids run out. */
uint32_t dl_intern_add(dl_intern *t, const char *s, size_t len);

/* Id of S when interned, else 0. */
uint32_t dl_intern_find(const dl_intern *t, const char *s, size_t len);

/* Bytes T has allocated: the arena, the per-id arrays and the index. */
size_t dl_intern_memory(const dl_intern *t);

static inline const char *
dl_intern_str(const dl_intern *t, uint32_t id)
{
  return id && id < t->count ? t->strs[id] : NULL;
}

static inline uint32_t
dl_intern_len(const dl_intern *t, uint32_t id)
{
  return id && id < t->count ? t->lens[id] : 0;
}

#endif
