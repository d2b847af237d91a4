/* String interning: an arena of chunks and an open-addressing table. */
#include "util/intern.h"

#include <stdlib.h>
#include <string.h>

struct dl_intern_chunk {
  dl_intern_chunk *next;
  char data[];
};

#define CHUNK_SIZE (64 * 1024)

void
dl_intern_init(dl_intern *t)
{
  memset(t, 0, sizeof *t);
}

void
dl_intern_free(dl_intern *t)
{
  if (!t)
    return;
  dl_intern_chunk *c = t->chunks;
  while (c) {
    dl_intern_chunk *next = c->next;
    free(c);
    c = next;
  }
  free(t->strs);
  free(t->lens);
  free(t->hashes);
  free(t->table);
  memset(t, 0, sizeof *t);
}

/* A word-at-a-time multiplicative hash: span names and attribute values
   are short, so the per-call cost matters more than the per-byte cost. */
uint32_t
dl_intern_hash(const char *s, size_t len)
{
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t) len;
  while (len >= 8) {
    uint64_t w;
    memcpy(&w, s, 8);
    h = (h ^ w) * 0xff51afd7ed558ccdULL;
    h ^= h >> 32;
    s += 8;
    len -= 8;
  }
  if (len) {
    uint64_t w = 0;
    memcpy(&w, s, len);
    h = (h ^ w) * 0xff51afd7ed558ccdULL;
  }
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 32;
  return (uint32_t) h;
}

static int
grow_table(dl_intern *t)
{
  uint32_t slots = t->table ? (t->mask + 1) * 2 : 256;
  if (slots == 0 || slots > (1u << 31))
    return -1;
  uint32_t *table = calloc(slots, sizeof *table);
  if (!table)
    return -1;
  uint32_t mask = slots - 1;
  for (uint32_t id = 1; id < t->count; id++) {
    uint32_t i = t->hashes[id] & mask;
    while (table[i])
      i = (i + 1) & mask;
    table[i] = id;
  }
  free(t->table);
  t->table = table;
  t->mask = mask;
  return 0;
}

static int
grow_ids(dl_intern *t)
{
  uint32_t cap = t->cap ? t->cap * 2 : 256;
  if (cap <= t->cap)
    return -1;
  const char **strs = realloc(t->strs, cap * sizeof *strs);
  if (!strs)
    return -1;
  t->strs = strs;
  uint32_t *lens = realloc(t->lens, cap * sizeof *lens);
  if (!lens)
    return -1;
  t->lens = lens;
  uint32_t *hashes = realloc(t->hashes, cap * sizeof *hashes);
  if (!hashes)
    return -1;
  t->hashes = hashes;
  if (t->count == 0) {
    t->strs[0] = NULL;
    t->lens[0] = 0;
    t->hashes[0] = 0;
    t->count = 1;
  }
  t->cap = cap;
  return 0;
}

/* Copies S into the arena; a string larger than a chunk gets its own. */
static char *
arena_copy(dl_intern *t, const char *s, size_t len)
{
  size_t need = len + 1;
  if (need > t->left) {
    size_t size = need > CHUNK_SIZE / 4 ? need : CHUNK_SIZE;
    dl_intern_chunk *c = malloc(sizeof *c + size);
    if (!c)
      return NULL;
    t->bytes += sizeof *c + size;
    if (size == need && t->chunks) {
      /* A big string: keep the current chunk's free space for later. */
      c->next = t->chunks->next;
      t->chunks->next = c;
      memcpy(c->data, s, len);
      c->data[len] = '\0';
      return c->data;
    }
    c->next = t->chunks;
    t->chunks = c;
    t->cur = c->data;
    t->left = size;
  }
  char *p = t->cur;
  memcpy(p, s, len);
  p[len] = '\0';
  t->cur += need;
  t->left -= need;
  return p;
}

uint32_t
dl_intern_find(const dl_intern *t, const char *s, size_t len)
{
  if (!t->table || len > UINT32_MAX)
    return 0;
  uint32_t h = dl_intern_hash(s, len);
  for (uint32_t i = h & t->mask;; i = (i + 1) & t->mask) {
    uint32_t id = t->table[i];
    if (!id)
      return 0;
    if (t->hashes[id] == h && t->lens[id] == len && memcmp(t->strs[id], s, len) == 0)
      return id;
  }
}

uint32_t
dl_intern_add_hashed(dl_intern *t, const char *s, size_t len, uint32_t h)
{
  if (len > UINT32_MAX - 1)
    return 0;
  if (t->table) {
    for (uint32_t i = h & t->mask;; i = (i + 1) & t->mask) {
      uint32_t id = t->table[i];
      if (!id)
        break;
      if (t->hashes[id] == h && t->lens[id] == len && memcmp(t->strs[id], s, len) == 0)
        return id;
    }
  }
  if (t->count == UINT32_MAX)
    return 0;
  /* Keep the table at most half full so probes stay short. */
  if (!t->table || (uint64_t) t->count * 2 > (uint64_t) t->mask + 1)
    if (grow_table(t))
      return 0;
  if (t->count >= t->cap && grow_ids(t))
    return 0;
  char *copy = arena_copy(t, s, len);
  if (!copy)
    return 0;
  uint32_t id = t->count++;
  t->strs[id] = copy;
  t->lens[id] = (uint32_t) len;
  t->hashes[id] = h;
  uint32_t i = h & t->mask;
  while (t->table[i])
    i = (i + 1) & t->mask;
  t->table[i] = id;
  return id;
}

uint32_t
dl_intern_add(dl_intern *t, const char *s, size_t len)
{
  return dl_intern_add_hashed(t, s, len, dl_intern_hash(s, len));
}
