/* Printable excerpts of what a server answered (internal). */
#ifndef DL_NET_EXCERPT_H
#define DL_NET_EXCERPT_H

#include <stddef.h>

/* The start of DATA (LEN bytes, any content) as text safe to print,
   store or hand to Scheme: valid UTF-8 kept, control characters as
   spaces, every byte of an invalid sequence as '?', cut at a character
   boundary to fit SIZE (OUT is always NUL-terminated).  A collector's
   or a backend's body may be binary: messages must never carry it raw. */
void dl_http_excerpt(char *out, size_t size, const void *data, size_t len);

/* Nonzero when DATA (LEN bytes) is such text already: valid UTF-8 with
   no control character, so dl_http_excerpt would keep it as it is. */
int dl_http_is_text(const void *data, size_t len);

#endif
