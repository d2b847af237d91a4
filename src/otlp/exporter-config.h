/* What exporter.c needs of the settings beyond the public API
   (internal). */
#ifndef DL_EXPORTER_CONFIG_H
#define DL_EXPORTER_CONFIG_H

#include "deploy-ledger/exporter.h"

/* Gives every number of C left at zero or below its default (a config
   filled by hand): the defaults live in exporter-config.c alone. */
void dl_exporter_config_defaults(dl_exporter_config *c);

#endif
