/* A bump allocator: many small allocations, one free.  For building span
   trees and decoding documents whose parts all die together. */
#ifndef DL_ARENA_H
#define DL_ARENA_H

#include <stddef.h>

typedef struct dl_arena_block dl_arena_block;

typedef struct dl_arena {
  dl_arena_block *head;
} dl_arena;

#define DL_ARENA_INIT {NULL}

/* SIZE bytes aligned for any type, zeroed; NULL when out of memory. */
void *dl_arena_alloc(dl_arena *arena, size_t size);

/* A NUL-terminated copy of LEN bytes of S. */
char *dl_arena_strndup(dl_arena *arena, const char *s, size_t len);
char *dl_arena_strdup(dl_arena *arena, const char *s);

/* Frees every allocation; the arena can be used again. */
void dl_arena_free(dl_arena *arena);

#endif
