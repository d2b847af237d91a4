/* Plain-text tables of deployments, as the command line prints them. */
#ifndef DL_TABLE_H
#define DL_TABLE_H

#include <stddef.h>

#include "deployment.h"

/* An aligned table (a header line, then one line per deployment: id,
   service, version, environment, type, status, start to the second,
   duration), as a new NUL-terminated string, or NULL when out of memory. */
char *dl_deployment_table(dl_deployment *const *list, size_t n);

#endif
