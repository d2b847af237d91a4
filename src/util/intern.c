/* String interning: an arena of chunks, indexed by the hash table. */
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
  dl_hash_free(&t->index);
  memset(t, 0, sizeof *t);
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
  if (t->count == 0) {
    t->strs[0] = NULL;
    t->lens[0] = 0;
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

/* The id of S with hash H, or 0. */
static inline uint32_t
find(const dl_intern *t, const char *s, size_t len, uint32_t h)
{
  dl_hash_probe pr = dl_hash_probe_begin(&t->index, h);
  for (uint32_t id; (id = dl_hash_probe_next(&pr)) != DL_HASH_NONE;)
    if (t->lens[id] == len && memcmp(t->strs[id], s, len) == 0)
      return id;
  return 0;
}

uint32_t
dl_intern_find(const dl_intern *t, const char *s, size_t len)
{
  if (len > UINT32_MAX - 1)
    return 0;
  return find(t, s, len, dl_hash_bytes(s, len));
}

uint32_t
dl_intern_add(dl_intern *t, const char *s, size_t len)
{
  if (len > UINT32_MAX - 1)
    return 0;
  uint32_t h = dl_hash_bytes(s, len);
  uint32_t id = find(t, s, len, h);
  if (id)
    return id;
  if (t->count >= DL_HASH_MAX_ENTRIES)
    return 0;
  if (t->count >= t->cap && grow_ids(t))
    return 0;
  char *copy = arena_copy(t, s, len);
  if (!copy)
    return 0;
  id = t->count++;
  t->strs[id] = copy;
  t->lens[id] = (uint32_t) len;
  if (dl_hash_add(&t->index, h, id)) {
    t->count--; /* the copy stays in the arena, unused */
    return 0;
  }
  return id;
}

size_t
dl_intern_memory(const dl_intern *t)
{
  return t->bytes + (size_t) t->cap * (sizeof *t->strs + sizeof *t->lens)
         + dl_hash_memory(&t->index);
}
