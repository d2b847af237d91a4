/* The hash table: growing, adding.  Finding is inline in hash.h. */
#include "util/hash.h"

#include <stdlib.h>

/* The first allocation: small tables (a handful of origins or groups)
   stay within a cache line or two. */
#define FIRST_SLOTS 16

void
dl_hash_free(dl_hash *t)
{
  if (!t)
    return;
  free(t->slots);
  memset(t, 0, sizeof *t);
}

size_t
dl_hash_memory(const dl_hash *t)
{
  return t->slots ? ((size_t) t->mask + 1) * sizeof *t->slots : 0;
}

/* Puts an entry in the first empty slot from its hash's home slot. */
static void
place(dl_hash_slot *slots, uint32_t mask, uint32_t hash, uint32_t ref)
{
  uint32_t i = hash & mask;
  while (slots[i].ref)
    i = (i + 1) & mask;
  slots[i].hash = hash;
  slots[i].ref = ref;
}

/* Rebuilds T with room for N entries at most half full.  The slots keep
   each entry's hash, so nothing is hashed again. */
static int
resize(dl_hash *t, size_t n)
{
  if (n > DL_HASH_MAX_ENTRIES)
    return DL_ERANGE;
  size_t size = t->slots ? (size_t) t->mask + 1 : FIRST_SLOTS;
  while (size < 2 * n)
    size *= 2;
  if (t->slots && size == (size_t) t->mask + 1)
    return DL_OK;
  dl_hash_slot *slots = calloc(size, sizeof *slots);
  if (!slots)
    return DL_ENOMEM;
  uint32_t mask = (uint32_t) (size - 1);
  for (size_t i = 0; t->slots && i <= t->mask; i++)
    if (t->slots[i].ref)
      place(slots, mask, t->slots[i].hash, t->slots[i].ref);
  free(t->slots);
  t->slots = slots;
  t->mask = mask;
  return DL_OK;
}

int
dl_hash_reserve(dl_hash *t, size_t n)
{
  return resize(t, n);
}

int
dl_hash_add(dl_hash *t, uint32_t hash, uint32_t entry)
{
  if (entry == DL_HASH_NONE)
    return DL_ERANGE;
  if (!t->slots || 2 * ((size_t) t->count + 1) > (size_t) t->mask + 1) {
    int rc = resize(t, (size_t) t->count + 1);
    if (rc)
      return rc;
  }
  place(t->slots, t->mask, hash, entry + 1);
  t->count++;
  return DL_OK;
}
