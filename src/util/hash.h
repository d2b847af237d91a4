/* The library's one hash table and its hash functions (internal, not
 * installed).
 *
 * Hash functions.  One family: keys are read as 64-bit words, each word
 * is folded in with a multiply and an xorshift, and a final
 * multiply-xorshift mixes the high bits of the state back into the low
 * ones.  The table takes a slot from a hash's low bits, and a multiply
 * only carries differences upwards: without the final mix, keys that
 * differ only in their high bits (string ids that are a power of two
 * apart, trace ids) would share slots.  dl_hash_u32s hashes an array of
 * 32-bit ids (two per word), dl_hash_bytes a byte string (eight bytes
 * per word, so short names cost a few multiplies), dl_hash_u64 one
 * 64-bit key.  The length is part of the seed, so a key is never equal to
 * the same key with zeros appended.  None of them is meant to resist an
 * adversary choosing keys: they are for speed on ids and names.
 *
 * The table.  Open addressing with linear probing, at most half full.  It
 * holds no keys: the caller keeps its entries (keys and whatever goes
 * with them) in its own arrays, numbered densely from 0, and the table
 * maps a hash to the entry numbers that have it.  Each slot keeps the
 * entry's 32-bit hash beside its number, so a probe compares hashes
 * before it reads a key from the caller's memory, and growing never asks
 * the caller to hash its keys again.
 *
 *   Finding:   dl_hash_probe pr = dl_hash_probe_begin(&t, h);
 *              for (uint32_t e; (e = dl_hash_probe_next(&pr)) != DL_HASH_NONE;)
 *                if (key_of(e) == key) return e;      the caller's comparison
 *   Adding:    append the entry as number N in the caller's arrays, then
 *              dl_hash_add(&t, h, N)                   (after a failed find)
 *
 * A table that is all zero bytes (dl_hash_init, calloc, memset) is an
 * empty table that allocates nothing until its first entry. */
#ifndef DL_HASH_H
#define DL_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "deploy-ledger/error.h"

/* ---- hash functions ---- */

#define DL_HASH_SEED UINT64_C(0x9e3779b97f4a7c15)

/* Folds one 64-bit word into the state H. */
static inline uint64_t
dl_hash_step(uint64_t h, uint64_t w)
{
  h = (h ^ w) * UINT64_C(0xff51afd7ed558ccd);
  return h ^ (h >> 32);
}

/* The final mix: every output bit depends on every bit of H. */
static inline uint32_t
dl_hash_final(uint64_t h)
{
  h ^= h >> 29;
  h *= UINT64_C(0xbf58476d1ce4e5b9);
  h ^= h >> 32;
  return (uint32_t) h;
}

static inline uint32_t
dl_hash_u64(uint64_t key)
{
  return dl_hash_final(dl_hash_step(DL_HASH_SEED, key));
}

/* N 32-bit ids, two to a word (as they lie in memory). */
static inline uint32_t
dl_hash_u32s(const uint32_t *k, size_t n)
{
  uint64_t h = DL_HASH_SEED ^ n;
  for (; n >= 2; k += 2, n -= 2) {
    uint64_t w;
    memcpy(&w, k, 8);
    h = dl_hash_step(h, w);
  }
  if (n)
    h = dl_hash_step(h, *k);
  return dl_hash_final(h);
}

/* LEN bytes at S, eight to a word; the last word is padded with zeros. */
static inline uint32_t
dl_hash_bytes(const void *s, size_t len)
{
  const unsigned char *p = s;
  uint64_t h = DL_HASH_SEED ^ len;
  for (; len >= 8; p += 8, len -= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    h = dl_hash_step(h, w);
  }
  if (len) {
    uint64_t w = 0;
    memcpy(&w, p, len);
    h = dl_hash_step(h, w);
  }
  return dl_hash_final(h);
}

/* ---- the table ---- */

/* No entry: what dl_hash_probe_next returns at the end of a probe. */
#define DL_HASH_NONE UINT32_MAX

/* Entries a table can hold: its slots stay at most half full and their
   number fits in 32 bits. */
#define DL_HASH_MAX_ENTRIES (UINT32_C(1) << 30)

typedef struct dl_hash_slot {
  uint32_t hash;
  uint32_t ref; /* entry number + 1; 0 marks an empty slot */
} dl_hash_slot;

typedef struct dl_hash {
  dl_hash_slot *slots; /* mask + 1 slots (a power of two), or NULL */
  uint32_t mask;
  uint32_t count; /* entries added */
} dl_hash;

static inline void
dl_hash_init(dl_hash *t)
{
  memset(t, 0, sizeof *t);
}

/* Frees the slots (never the caller's entries); T is then empty and may
   be used again.  T may be NULL. */
void dl_hash_free(dl_hash *t);

/* Adds entry number ENTRY with hash HASH.  The table does not look for
   an equal key: the caller adds only an entry whose key it did not find.
   DL_OK, DL_ENOMEM (T unchanged), or DL_ERANGE when T already holds
   DL_HASH_MAX_ENTRIES entries or ENTRY is DL_HASH_NONE. */
int dl_hash_add(dl_hash *t, uint32_t hash, uint32_t entry) DL_MUST_CHECK;

/* Makes room for N entries in all, so that adding up to N grows nothing.
   DL_OK, DL_ENOMEM or DL_ERANGE as dl_hash_add. */
int dl_hash_reserve(dl_hash *t, size_t n) DL_MUST_CHECK;

/* Bytes of slots T has allocated. */
size_t dl_hash_memory(const dl_hash *t);

/* A probe for the entries with one hash. */
typedef struct dl_hash_probe {
  const dl_hash_slot *slots;
  uint32_t mask, i, hash;
} dl_hash_probe;

static inline dl_hash_probe
dl_hash_probe_begin(const dl_hash *t, uint32_t hash)
{
  dl_hash_probe p = {t->slots, t->mask, hash & t->mask, hash};
  return p;
}

/* The next entry whose hash is the probe's (its key may still differ:
   the caller compares), or DL_HASH_NONE when there is none.  A probe
   ends at an empty slot, and at most half of the slots are used. */
static inline uint32_t
dl_hash_probe_next(dl_hash_probe *p)
{
  if (!p->slots)
    return DL_HASH_NONE;
  for (;;) {
    const dl_hash_slot s = p->slots[p->i];
    p->i = (p->i + 1) & p->mask;
    if (!s.ref)
      return DL_HASH_NONE;
    if (s.hash == p->hash)
      return s.ref - 1;
  }
}

#endif
