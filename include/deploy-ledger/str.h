/* A borrowed string or byte run: pointer and length, no NUL needed. */
#ifndef DL_STR_H
#define DL_STR_H

#include <stddef.h>
#include <string.h>

typedef struct dl_str {
  const char *ptr;
  size_t len;
} dl_str;

/* A dl_str of the NUL-terminated S (NULL gives the empty string). */
static inline dl_str
dl_str_of(const char *s)
{
  dl_str r = {s, s ? strlen(s) : 0};
  return r;
}

#endif
