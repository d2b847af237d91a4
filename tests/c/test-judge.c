/* The judge: classification of constructed cases, scores and verdicts. */
#include "deploy-ledger/judge.h"
#include "tap.h"
#include "tracegen.h"

#include <stdlib.h>

static dl_judge_input
series(const double *c, size_t nc, const double *e, size_t ne)
{
  dl_judge_input in;
  memset(&in, 0, sizeof in);
  in.control = c;
  in.n_control = nc;
  in.experiment = e;
  in.n_experiment = ne;
  return in;
}

static void
test_classify(void)
{
  dl_judge_config cfg;
  dl_judge_config_init(&cfg);
  const dl_judge_metric *p99 = &cfg.metrics[3];
  dl_judge_metric_result r;
  dl_error err;

  /* Per-minute p99 over 30 minutes: about 120 ms with 5% noise. */
  double base[30], same[30], copy[30], up20[30], down20[30], up3[30];
  tg_seed(11);
  for (int i = 0; i < 30; i++) {
    base[i] = 120e6 * (1 + 0.05 * tg_normal());
    same[i] = 120e6 * (1 + 0.05 * tg_normal());
    copy[i] = base[i];
    double x = 120e6 * (1 + 0.05 * tg_normal());
    up20[i] = x * 1.2;
    down20[i] = x * 0.8;
    up3[i] = x * 1.03;
  }
  dl_judge_input in = series(base, 30, copy, 30);
  ok(dl_judge_classify(p99, &in, 0.95, &r, &err) == DL_OK && r.classification == DL_CLASS_PASS
     && strcmp(r.test, "identical") == 0, "identical samples pass");
  in = series(base, 30, same, 30);
  ok(dl_judge_classify(p99, &in, 0.95, &r, &err) == DL_OK && r.classification == DL_CLASS_PASS,
     "same distribution, other draws: pass (%s)", r.reason);
  ok(r.ci_low < 0 && r.ci_high > 0, "its interval [%.3g, %.3g] covers 0", r.ci_low, r.ci_high);
  in = series(base, 30, up20, 30);
  ok(dl_judge_classify(p99, &in, 0.95, &r, &err) == DL_OK && r.classification == DL_CLASS_HIGH,
     "20%% higher with 30 points each: High (%s)", r.reason);
  ok(strcmp(r.test, "mann-whitney") == 0 && r.p_value < 1e-6, "Mann-Whitney p = %.3g",
     r.p_value);
  ok(r.estimate > 18e6 && r.estimate < 30e6 && r.ratio > 1.15 && r.ratio < 1.25,
     "shift %.3g ns, ratio %.3f", r.estimate, r.ratio);
  ok(r.lower_bound == -0.25 * r.estimate && r.upper_bound == 0.25 * r.estimate,
     "bounds are -/+ 25%% of the estimate");
  ok(r.failed, "High fails");
  in = series(base, 30, up3, 30);
  ok(dl_judge_classify(p99, &in, 0.95, &r, &err) == DL_OK && r.classification == DL_CLASS_PASS,
     "3%% higher: under the allowed 10%%, pass (%s)", r.reason);
  in = series(base, 30, down20, 30);
  ok(dl_judge_classify(p99, &in, 0.95, &r, &err) == DL_OK && r.classification == DL_CLASS_PASS,
     "20%% lower when only an increase is bad: pass");
  dl_judge_metric either = *p99;
  either.direction = DL_DIRECTION_EITHER;
  ok(dl_judge_classify(&either, &in, 0.95, &r, &err) == DL_OK && r.classification == DL_CLASS_LOW,
     "20%% lower when either direction is bad: Low (%s)", r.reason);
  dl_judge_metric lenient = *p99;
  lenient.allowed_increase = 1.5;
  in = series(base, 30, up20, 30);
  ok(dl_judge_classify(&lenient, &in, 0.95, &r, &err) == DL_OK
     && r.classification == DL_CLASS_PASS, "allowed increase 1.5: a 20%% rise passes");

  /* Too little data to tell: three points each. */
  double b3[3] = {100, 120, 110}, e3[3] = {115, 140, 130};
  in = series(b3, 3, e3, 3);
  int rc = dl_judge_classify(p99, &in, 0.95, &r, &err);
  ok(rc == DL_OK && r.classification == DL_CLASS_PASS && r.ci_low < 0,
     "three points each: the exact interval [%g, %g] covers 0, pass", r.ci_low, r.ci_high);

  /* No data. */
  in = series(base, 30, NULL, 0);
  ok(dl_judge_classify(p99, &in, 0.95, &r, &err) == DL_OK && r.classification == DL_CLASS_NODATA
     && !r.failed, "empty experiment: NoData, not failed");
  double nans[3] = {NAN, NAN, NAN};
  in = series(nans, 3, base, 30);
  ok(dl_judge_classify(p99, &in, 0.95, &r, &err) == DL_OK && r.classification == DL_CLASS_NODATA,
     "only NaNs (empty buckets): NoData");
  dl_judge_metric must = *p99;
  must.must_have_data = 1;
  ok(dl_judge_classify(&must, &in, 0.95, &r, &err) == DL_OK && r.classification == DL_CLASS_NODATA
     && r.failed, "must have data: NoData fails (%s)", r.reason);

  /* Error rates. */
  const dl_judge_metric *er = &cfg.metrics[4];
  dl_judge_input p;
  memset(&p, 0, sizeof p);
  p.proportion = 1;
  p.control_errors = 100;
  p.control_total = 10000;
  p.experiment_errors = 300;
  p.experiment_total = 10000;
  ok(dl_judge_classify(er, &p, 0.95, &r, &err) == DL_OK && r.classification == DL_CLASS_HIGH
     && strcmp(r.test, "two-proportion") == 0, "1%% -> 3%% errors: High (%s)", r.reason);
  is_double(r.estimate, 0.02, 1e-15, "rate difference 0.02");
  is_double(r.ratio, 3, 1e-12, "ratio 3");
  p.experiment_errors = 104;
  ok(dl_judge_classify(er, &p, 0.95, &r, &err) == DL_OK && r.classification == DL_CLASS_PASS,
     "1%% -> 1.04%%: pass");
  p.control_errors = 0;
  p.experiment_errors = 0;
  ok(dl_judge_classify(er, &p, 0.95, &r, &err) == DL_OK && r.classification == DL_CLASS_PASS
     && r.ratio == 1, "no errors on either side: pass");
  p.experiment_total = 0;
  ok(dl_judge_classify(er, &p, 0.95, &r, &err) == DL_OK && r.classification == DL_CLASS_NODATA,
     "no requests: NoData");
}

/* Scores from given classifications. */
static double
score_of(const dl_judge_config *cfg, const dl_classification *cls, const int *failed,
         dl_judge_result *res)
{
  memset(res, 0, sizeof *res);
  res->n_metrics = cfg->n_metrics;
  for (size_t i = 0; i < cfg->n_metrics; i++) {
    res->metrics[i].config = cfg->metrics[i];
    res->metrics[i].classification = cls[i];
    res->metrics[i].failed = failed[i];
  }
  dl_judge_score(cfg, res);
  return res->score;
}

static void
test_score(void)
{
  dl_judge_config cfg;
  dl_judge_config_init(&cfg);
  dl_judge_result res;
  /* p50 p90 p95 p99 error-rate */
  dl_classification all_pass[5] = {0, 0, 0, 0, 0};
  int no_fail[5] = {0, 0, 0, 0, 0};
  is_double(score_of(&cfg, all_pass, no_fail, &res), 100, 0, "all pass: 100");
  ok(res.verdict == DL_VERDICT_PASS && res.n_groups == 2, "verdict pass, groups latency and errors");
  is_double(res.groups[0].weight, 50, 0, "latency weighs 50 (100 shared by two groups)");

  dl_classification p50_high[5] = {DL_CLASS_HIGH, 0, 0, 0, 0};
  int p50_failed[5] = {1, 0, 0, 0, 0};
  is_double(score_of(&cfg, p50_high, p50_failed, &res), 87.5, 1e-12,
            "p50 High: latency 75, errors 100, score 87.5");
  ok(res.verdict == DL_VERDICT_MARGINAL, "87.5: marginal");

  dl_classification p99_high[5] = {0, 0, 0, DL_CLASS_HIGH, 0};
  int p99_failed[5] = {0, 0, 0, 1, 0};
  is_double(score_of(&cfg, p99_high, p99_failed, &res), 0, 0, "critical p99 High: score 0");
  ok(res.verdict == DL_VERDICT_FAIL && res.critical_failure, "critical failure: fail (%s)",
     res.reason);

  dl_classification tail[5] = {0, DL_CLASS_HIGH, DL_CLASS_HIGH, 0, 0};
  int tail_failed[5] = {0, 1, 1, 0, 0};
  is_double(score_of(&cfg, tail, tail_failed, &res), 75, 1e-12, "p90 and p95 High: 50 and 100 -> 75");
  ok(res.verdict == DL_VERDICT_MARGINAL, "75 is still marginal (threshold inclusive)");

  dl_classification nod[5] = {DL_CLASS_NODATA, DL_CLASS_NODATA, 0, 0, DL_CLASS_NODATA};
  /* No data is not a failure (these asserted a fail, score 0, before
     the inconclusive verdict existed). */
  ok(isnan(score_of(&cfg, nod, no_fail, &res)), "3 of 5 without data: no score");
  ok(res.too_little_data && res.verdict == DL_VERDICT_INCONCLUSIVE,
     "too little data: inconclusive (%s)", res.reason);
  is_str(dl_verdict_name(res.verdict), "inconclusive", "the verdict's name");
  dl_classification one_nod[5] = {DL_CLASS_NODATA, 0, 0, 0, 0};
  is_double(score_of(&cfg, one_nod, no_fail, &res), 100, 0,
            "1 of 5 without data: left out of the score");
  dl_classification nod_err[5] = {0, 0, 0, 0, DL_CLASS_NODATA};
  ok(isnan(score_of(&cfg, nod_err, no_fail, &res)) && res.verdict == DL_VERDICT_INCONCLUSIVE
       && res.critical_no_data,
     "critical error-rate without data: inconclusive (%s)", res.reason);
  cfg.metrics[4].critical = 0;
  is_double(score_of(&cfg, nod_err, no_fail, &res), 100, 0,
            "a group without data is left out (weights renormalised)");
  ok(res.verdict == DL_VERDICT_PASS, "a metric that is not critical without data: pass");
  cfg.metrics[4].must_have_data = 1;
  int err_failed[5] = {0, 0, 0, 0, 1};
  ok(score_of(&cfg, nod_err, err_failed, &res) < 75 && res.verdict == DL_VERDICT_FAIL,
     "a metric that must have data and has none fails: %s", res.reason);
  cfg.metrics[4].critical = 1;
  cfg.metrics[4].must_have_data = 0;

  dl_error err;
  ok(dl_judge_config_weight(&cfg, "latency", 80, &err) == DL_OK, "latency weighs 80");
  is_double(score_of(&cfg, p50_high, p50_failed, &res), 80, 1e-12,
            "weighted: 0.8 x 75 + 0.2 x 100 = 80");
  ok(dl_judge_config_weight(&cfg, "errors", 30, &err) == DL_OK
     && dl_judge_config_check(&cfg, &err) == DL_EINVAL, "weights over 100 refused: %s", err.text);
  cfg.n_group_weights = 0;
  cfg.pass_threshold = 70;
  ok(dl_judge_config_check(&cfg, &err) == DL_EINVAL, "pass below marginal refused: %s",
     err.text);
  cfg.pass_threshold = 95;
  dl_metric_kind k;
  ok(dl_metric_kind_parse("p99", &k, &err) == DL_OK && k == DL_METRIC_P99, "parse p99");
  ok(dl_metric_kind_parse("p42", &k, &err) == DL_EINVAL, "unknown metric: %s", err.text);
  dl_direction d;
  ok(dl_direction_parse("either", &d, &err) == DL_OK && d == DL_DIRECTION_EITHER, "parse either");
}

/* The whole run: inputs for the five default metrics. */
static void
test_run(void)
{
  dl_judge_config cfg;
  dl_judge_config_init(&cfg);
  double c[4][30], e[4][30];
  tg_seed(3);
  for (int m = 0; m < 4; m++)
    for (int i = 0; i < 30; i++) {
      c[m][i] = (40 + 20 * m) * 1e6 * (1 + 0.03 * tg_normal());
      e[m][i] = (40 + 20 * m) * 1e6 * (1 + 0.03 * tg_normal());
    }
  dl_judge_input in[5];
  for (int m = 0; m < 4; m++)
    in[m] = series(c[m], 30, e[m], 30);
  memset(&in[4], 0, sizeof in[4]);
  in[4].proportion = 1;
  in[4].control_errors = 50;
  in[4].control_total = 5000;
  in[4].experiment_errors = 52;
  in[4].experiment_total = 5000;
  dl_judge_result res;
  dl_error err;
  ok(dl_judge_run(&cfg, in, &res, &err) == DL_OK, "judge runs");
  ok(res.verdict == DL_VERDICT_PASS && res.score == 100, "a clean comparison passes (%s)",
     res.reason);
  for (int i = 0; i < 30; i++)
    e[3][i] *= 1.3;
  ok(dl_judge_run(&cfg, in, &res, &err) == DL_OK && res.verdict == DL_VERDICT_FAIL
     && res.metrics[3].classification == DL_CLASS_HIGH,
     "p99 30%% higher: critical, fail (%s)", res.reason);
  cfg.conf_level = 2;
  ok(dl_judge_run(&cfg, in, &res, &err) == DL_EINVAL, "bad level refused: %s", err.text);
}

int
main(void)
{
  test_classify();
  test_score();
  test_run();
  return tap_done();
}
