/* A bump allocator over a list of blocks. */
#include "deploy-ledger/arena.h"

#include <stdlib.h>
#include <string.h>

struct dl_arena_block {
  dl_arena_block *next;
  size_t used, size;
  _Alignas(16) unsigned char data[];
};

void *
dl_arena_alloc(dl_arena *arena, size_t size)
{
  size = (size + 15) & ~(size_t) 15;
  dl_arena_block *b = arena->head;
  if (!b || b->size - b->used < size) {
    size_t block = size > 16384 ? size : 16384;
    b = malloc(sizeof *b + block);
    if (!b)
      return NULL;
    b->used = 0;
    b->size = block;
    b->next = arena->head;
    arena->head = b;
  }
  void *p = b->data + b->used;
  b->used += size;
  memset(p, 0, size);
  return p;
}

char *
dl_arena_strndup(dl_arena *arena, const char *s, size_t len)
{
  char *copy = dl_arena_alloc(arena, len + 1);
  if (copy && len)
    memcpy(copy, s, len);
  return copy;
}

char *
dl_arena_strdup(dl_arena *arena, const char *s)
{
  return dl_arena_strndup(arena, s, strlen(s));
}

void
dl_arena_free(dl_arena *arena)
{
  dl_arena_block *b = arena->head;
  while (b) {
    dl_arena_block *next = b->next;
    free(b);
    b = next;
  }
  arena->head = NULL;
}
