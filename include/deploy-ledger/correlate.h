/* Correlating a deployment with the traces around it.
 *
 * From the requests (SERVER spans of the deployed service, by default) of
 * a trace set: metrics per window (baseline, during, after, and any
 * explicit ones) and group; a comparison of an experiment with a control
 * -- the new version against the old one in the same window for a canary
 * deployment, the after window (or during, while nothing comes after)
 * against the baseline otherwise -- overall and per group, with the
 * Mann-Whitney test and Hodges-Lehmann shift for latency and the
 * two-proportion test for errors; the judge's verdict on per-bucket
 * series; for canaries, the operations that moved most; the rollout's
 * propagation across regions; and error types new with the version.
 *
 * No data is not a failure: with fewer than min_requests requests on
 * either side, or no data for a critical metric, the verdict is
 * DL_VERDICT_INCONCLUSIVE and the judge's reason says what was missing
 * ("no spans of version 2.0 of checkout in the traces during the
 * deployment (versions seen: v1, v2)"). */
#ifndef DL_CORRELATE_H
#define DL_CORRELATE_H

#include <stddef.h>
#include <stdint.h>

#include "compare.h"
#include "deployment.h"
#include "new-errors.h"
#include "error.h"
#include "group.h"
#include "judge.h"
#include "metrics.h"
#include "propagation.h"
#include "trace-set.h"
#include "window.h"

typedef enum dl_compare_mode {
  DL_COMPARE_AUTO = 0,    /* canary for canary deployments, else before-after */
  DL_COMPARE_CANARY,      /* new version against the control version, during */
  DL_COMPARE_BEFORE_AFTER /* after (or during) against the baseline */
} dl_compare_mode;

const char *dl_compare_mode_name(dl_compare_mode m);
int dl_compare_mode_parse(const char *name, dl_compare_mode *m, dl_error *err) DL_MUST_CHECK;

#define DL_CORRELATE_MAX_WINDOWS 8
#define DL_CORRELATE_MAX_WINDOW (INT64_C(24) * 3600 * 1000000000) /* 24 h */

typedef struct dl_correlate_options {
  int64_t window;                 /* W in ns; 0: the deployment's duration, >= 10 min */
  const dl_window *extra_windows; /* explicit windows, reported with the others */
  size_t n_extra_windows;
  const dl_group_spec *group;     /* metrics and comparisons per group; NULL: none */
  const dl_selection *rows;       /* only these rows of the set; NULL: all */
  const char *service;            /* NULL: the deployment's */
  int kind;                       /* default DL_KIND_SERVER; -1: any kind */
  const char *operation;          /* only this span name */
  const char *attr_key, *attr_value; /* only spans with this attribute (value) */
  dl_compare_mode mode;
  const char *control_version;    /* canary baseline; NULL: the previous version when
                                     it served requests, else the busiest other one */
  int judge_enabled;              /* default 1 */
  dl_judge_config judge;          /* default dl_judge_config_init */
  int64_t bucket;                 /* judge series bucket; 0: experiment window / 30, >= 1 s */
  int64_t propagation_bucket;     /* 0: a sixtieth of the range, >= 1 s */
  size_t top_operations;          /* canary: how many moved operations (default 5) */
  uint64_t min_requests;          /* the fewest requests each side needs: fewer make the
                                     verdict inconclusive, and leave an operation out of
                                     the moved ones (default 50) */
  int64_t max_window;             /* a running deployment started longer ago than this is
                                     refused (DL_EINVAL); default DL_CORRELATE_MAX_WINDOW,
                                     0: no limit */
  dl_quantile_method method;
  int threads;                    /* 0: automatic */
  int64_t now;                    /* for a running deployment; 0: the clock */
} dl_correlate_options;

void dl_correlate_options_init(dl_correlate_options *o);

typedef struct dl_group_comparison {
  char *key[DL_GROUP_MAX_DIMS]; /* owned strings in group-by order; NULL: absent */
  dl_comparison cmp;
} dl_group_comparison;

typedef struct dl_operation_move {
  char *operation;
  double moved;      /* largest |relative change| of p50, p90, p95, p99 */
  dl_comparison cmp; /* canary against control for this operation */
} dl_operation_move;

typedef struct dl_correlation {
  /* The deployment (copies). */
  char *id, *service, *version, *previous_version;
  dl_deploy_type type;
  int64_t started, completed, now; /* completed: DL_TIME_NONE while running */
  int64_t window_width;
  /* Windows: baseline, during, after, then the explicit ones. */
  dl_window windows[DL_CORRELATE_MAX_WINDOWS];
  size_t n_windows;
  dl_metrics *metrics; /* per window x group */
  /* What was compared with what. */
  dl_compare_mode mode;
  size_t control_window, experiment_window;
  char *control_version, *experiment_version; /* canary; NULL otherwise */
  dl_comparison overall;
  dl_group_comparison *groups;
  size_t n_groups;
  /* The verdict. */
  int judged;
  dl_judge_result judge;
  int64_t bucket;
  size_t control_buckets, experiment_buckets;
  /* Canary: operations that moved most. */
  dl_operation_move *operations;
  size_t n_operations;
  /* Rollout across regions, and error types new with the version. */
  dl_propagation propagation;
  dl_new_errors new_errors;
} dl_correlation;

/* Refuses (DL_EINVAL, saying how to proceed) a deployment that is still
   running (COMPLETED is DL_TIME_NONE) at NOW and started more than
   MAX_WINDOW ns before (0: no limit); ID names it in the message.
   dl_correlate checks this with the options' max_window; a caller that
   fetches traces for the windows first checks it before fetching. */
int dl_correlate_check_running(const char *id, int64_t started, int64_t completed, int64_t now,
                               int64_t max_window, dl_error *err) DL_MUST_CHECK;

/* A canary's control version: GIVEN when set; else PREVIOUS when it
   served requests (its entry of VERSIONS has a positive count in COUNTS,
   N entries; NULL entries are skipped); else the busiest version other
   than VERSION; NULL when there is none.  The result is GIVEN or one of
   VERSIONS (borrowed).  Every source of figures chooses alike. */
const char *dl_canary_control_version(const char *given, const char *previous,
                                      const char *version, const char *const *versions,
                                      const double *counts, size_t n);

/* The width of the judge's series buckets over window EXPERIMENT: BUCKET
   when positive, else a thirtieth of the window in whole seconds, at
   least one second.  Every source of figures uses it. */
int64_t dl_judge_bucket_width(const dl_window *experiment, int64_t bucket);

/* Correlates deployment D (service, version and start required) with the
   spans of SET.  The result borrows SET (free the result first). */
int dl_correlate(const dl_trace_set *set, const dl_deployment *d, const dl_correlate_options *o,
                 dl_correlation **out, dl_error *err) DL_MUST_CHECK;
void dl_correlation_free(dl_correlation *c);

/* The metrics of the deployment's own window ([started, completed], or
   to now) per group: collect-deployment-metrics. */
int dl_deployment_metrics(const dl_trace_set *set, const dl_deployment *d,
                          const dl_correlate_options *o, dl_metrics **out,
                          dl_error *err) DL_MUST_CHECK;

#endif
