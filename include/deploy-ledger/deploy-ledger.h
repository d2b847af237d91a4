/* libdeployledger: deployments tied to distributed traces.  Plain C, no
   Guile.  Include this one header. */
#ifndef DL_H
#define DL_H

#include "error.h"
#include "time.h"
#include "ids.h"
#include "trace-context.h"
#include "deployment.h"
#include "ledger.h"
#include "deployment-table.h"
#include "str.h"
#include "arena.h"
#include "span.h"
#include "otlp-encode.h"
#include "deployment-span.h"
#include "exporter.h"
#include "trace-set.h"
#include "ingest.h"
#include "http-options.h"
#include "sources.h"
#include "prometheus.h"
#include "quantile.h"
#include "ddsketch.h"
#include "mann-whitney.h"
#include "proportion.h"
#include "window.h"
#include "group.h"
#include "metrics.h"
#include "judge.h"
#include "compare.h"
#include "propagation.h"
#include "new-errors.h"
#include "correlate.h"
#include "receiver.h"

#endif
