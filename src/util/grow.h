/* Growing arrays: room for one more element, doubling the capacity. */
#ifndef DL_GROW_H
#define DL_GROW_H

#include <stdlib.h>

/* Makes *ARRAY (of *CAP elements of SIZE bytes, COUNT in use) hold at
   least one more, starting at FIRST elements.  Returns 0, or -1 when out
   of memory (the array is left as it was). */
static inline int
dl_grow(void *array, size_t *cap, size_t count, size_t size, size_t first)
{
  if (count < *cap)
    return 0;
  size_t want = *cap ? *cap * 2 : first;
  void *grown = realloc(*(void **) array, want * size);
  if (!grown)
    return -1;
  *(void **) array = grown;
  *cap = want;
  return 0;
}

#endif
