/* A canary judge in the manner of Kayenta's NetflixACAJudge.
 *
 * Each metric compares an experiment (the canary, or the after window)
 * with a control (the baseline) and is classified:
 *   NoData  one side has no values;
 *   High    the confidence interval of the difference lies above
 *           +tolerance x |estimate| and the effect ratio (experiment mean
 *           over control mean) exceeds allowed_increase;
 *   Low     symmetric: interval below -tolerance x |estimate| and the
 *           ratio under allowed_decrease;
 *   Pass    otherwise.  Only the directions the metric cares about
 *           (increase, decrease or either) count.
 * Latency metrics compare series of per-bucket values (p50 per minute,
 * say) with the Mann-Whitney test and the Hodges-Lehmann interval;
 * error rates compare counts with Newcombe's interval (dl-proportion.h).
 *
 * The score, per Kayenta's weighted-sum scorer: each metric group (say
 * "latency" and "errors") scores the share of its classified metrics that
 * pass (NoData is left out unless the metric must have data, then it
 * fails); groups are weighted (given weights, the rest of 100 shared
 * equally among the others); the score is 0 when a critical metric fails.
 * The verdict is pass at or above pass_threshold, marginal at or above
 * marginal_threshold, else fail -- unless the data cannot tell: when a
 * critical metric has no data (and need not have), or half the metrics or
 * more have none, the verdict is inconclusive, and no data is never
 * counted as a failure.  (The correlation adds a minimum sample of
 * requests on each side, correlate.h.)  Every figure behind the verdict
 * is kept in the result. */
#ifndef DL_JUDGE_H
#define DL_JUDGE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef enum dl_direction {
  DL_DIRECTION_INCREASE = 0, /* only an increase is bad */
  DL_DIRECTION_DECREASE = 1,
  DL_DIRECTION_EITHER = 2
} dl_direction;

typedef enum dl_classification {
  DL_CLASS_PASS = 0,
  DL_CLASS_HIGH = 1,
  DL_CLASS_LOW = 2,
  DL_CLASS_NODATA = 3
} dl_classification;

/* The figure a metric judges. */
typedef enum dl_metric_kind {
  DL_METRIC_P50 = 0,
  DL_METRIC_P90,
  DL_METRIC_P95,
  DL_METRIC_P99,
  DL_METRIC_MEAN,
  DL_METRIC_MAX,
  DL_METRIC_ERROR_RATE,
  DL_METRIC_THROUGHPUT,
  DL_METRIC_KIND_COUNT
} dl_metric_kind;

typedef enum dl_verdict {
  DL_VERDICT_PASS = 0,
  DL_VERDICT_MARGINAL = 1,
  DL_VERDICT_FAIL = 2,
  DL_VERDICT_INCONCLUSIVE = 3 /* too little data to tell; not a failure */
} dl_verdict;

#define DL_JUDGE_MAX_METRICS 16
#define DL_JUDGE_MAX_GROUPS 8
#define DL_JUDGE_NAME_SIZE 48

typedef struct dl_judge_metric {
  char name[DL_JUDGE_NAME_SIZE];  /* "latency-p99" */
  char group[DL_JUDGE_NAME_SIZE]; /* "latency" */
  dl_metric_kind kind;
  dl_direction direction;
  double tolerance;        /* fraction of |estimate| (default 0.25) */
  double allowed_increase; /* ratio (default 1.1) */
  double allowed_decrease; /* ratio (default 0.9) */
  int critical;
  int must_have_data;
} dl_judge_metric;

typedef struct dl_judge_config {
  dl_judge_metric metrics[DL_JUDGE_MAX_METRICS];
  size_t n_metrics;
  char group_names[DL_JUDGE_MAX_GROUPS][DL_JUDGE_NAME_SIZE];
  double group_weights[DL_JUDGE_MAX_GROUPS]; /* percent */
  size_t n_group_weights;
  double pass_threshold;     /* default 95 */
  double marginal_threshold; /* default 75 */
  double conf_level;         /* default 0.95 */
} dl_judge_config;

/* The defaults: latency-p50/p90/p95/p99 (group latency, increase; p99
   critical) and error-rate (group errors, increase, critical). */
void dl_judge_config_init(dl_judge_config *c);

/* An empty configuration with the default thresholds. */
void dl_judge_config_empty(dl_judge_config *c);

/* Adds a metric with the default settings for its kind; returns it (to
   adjust), or NULL when full. */
dl_judge_metric *dl_judge_config_add(dl_judge_config *c, dl_metric_kind kind, const char *name,
                                     const char *group);

/* Sets the weight (percent) of metric group NAME. */
int dl_judge_config_weight(dl_judge_config *c, const char *name, double weight,
                           dl_error *err) DL_MUST_CHECK;

/* Checks thresholds, levels and ratios; names the first bad field. */
int dl_judge_config_check(const dl_judge_config *c, dl_error *err) DL_MUST_CHECK;

/* Names: "p50" .. "throughput"; "pass", "high", "low", "nodata";
   "increase", "decrease", "either"; "pass", "marginal", "fail",
   "inconclusive". */
const char *dl_metric_kind_name(dl_metric_kind k);
int dl_metric_kind_parse(const char *name, dl_metric_kind *k, dl_error *err) DL_MUST_CHECK;
const char *dl_classification_name(dl_classification c);
const char *dl_direction_name(dl_direction d);
int dl_direction_parse(const char *name, dl_direction *d, dl_error *err) DL_MUST_CHECK;
const char *dl_verdict_name(dl_verdict v);

/* What one metric compares: series of values (NaNs dropped), or counts
   (errors out of requests) when PROPORTION is set. */
typedef struct dl_judge_input {
  const double *control, *experiment;
  size_t n_control, n_experiment;
  int proportion;
  uint64_t control_errors, control_total, experiment_errors, experiment_total;
} dl_judge_input;

typedef struct dl_judge_metric_result {
  dl_judge_metric config;
  dl_classification classification;
  int failed;                 /* counts against the score */
  char reason[200];
  const char *test;           /* "mann-whitney", "two-proportion", "identical" or "none" */
  size_t n_control, n_experiment;
  double control_mean, experiment_mean;
  double control_median, experiment_median;
  double estimate;            /* experiment - control (HL shift or rate difference) */
  double ci_low, ci_high;
  double p_value;
  double lower_bound, upper_bound; /* -/+ tolerance x |estimate| */
  double ratio;               /* experiment mean / control mean */
} dl_judge_metric_result;

typedef struct dl_judge_group_score {
  char name[DL_JUDGE_NAME_SIZE];
  double weight; /* percent, after sharing */
  double score;  /* percent */
  size_t pass, high, low, nodata, scored;
  int has_data;
} dl_judge_group_score;

typedef struct dl_judge_result {
  dl_judge_metric_result metrics[DL_JUDGE_MAX_METRICS];
  size_t n_metrics;
  dl_judge_group_score groups[DL_JUDGE_MAX_METRICS];
  size_t n_groups;
  double score;          /* NaN when inconclusive */
  dl_verdict verdict;
  int critical_failure;  /* a critical metric failed */
  int too_little_data;   /* half the metrics or more had no data */
  int critical_no_data;  /* a critical metric had no data */
  char reason[400];      /* why, in words a person can act on */
  double pass_threshold, marginal_threshold, conf_level;
} dl_judge_result;

/* Classifies one metric. */
int dl_judge_classify(const dl_judge_metric *m, const dl_judge_input *in, double conf_level,
                      dl_judge_metric_result *out, dl_error *err) DL_MUST_CHECK;

/* Scores classified metrics (RESULT->metrics[0..n_metrics) filled) and
   sets the verdict. */
void dl_judge_score(const dl_judge_config *c, dl_judge_result *result);

/* Makes RESULT inconclusive (score NaN) with the reason FMT, ...: for a
   caller that finds too little data before or after scoring. */
void dl_judge_inconclusive(dl_judge_result *result, const char *fmt, ...)
  __attribute__((format(printf, 2, 3)));

/* Classifies every metric of C from INPUTS (one per metric) and scores. */
int dl_judge_run(const dl_judge_config *c, const dl_judge_input *inputs,
                 dl_judge_result *result, dl_error *err) DL_MUST_CHECK;

#endif
