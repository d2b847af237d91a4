/* libdeployledger: deployments tied to distributed traces.  Plain C, no
   Guile.  Include this one header. */
#ifndef DL_H
#define DL_H

#include "dl-error.h"
#include "dl-time.h"
#include "dl-ids.h"
#include "dl-tracecontext.h"
#include "dl-deployment.h"
#include "dl-ledger.h"
#include "dl-table.h"
#include "dl-str.h"
#include "dl-arena.h"
#include "dl-span.h"
#include "dl-otlp-encode.h"
#include "dl-deployment-span.h"
#include "dl-exporter.h"
#include "dl-traceset.h"
#include "dl-ingest.h"
#include "dl-sources.h"
#include "dl-quantile.h"
#include "dl-ddsketch.h"
#include "dl-sort.h"
#include "dl-normal.h"
#include "dl-wilcoxon.h"
#include "dl-pairdiff.h"
#include "dl-mannwhitney.h"
#include "dl-proportion.h"
#include "dl-window.h"
#include "dl-group.h"
#include "dl-metrics.h"
#include "dl-judge.h"
#include "dl-compare.h"
#include "dl-propagation.h"
#include "dl-errortypes.h"
#include "dl-correlate.h"

#endif
