/* The Mann-Whitney test and the Hodges-Lehmann estimate and interval
   against R itself: random exact, tied, large and heavy-tailed cases are
   written to a file, R's wilcox.test(x, y, conf.int = TRUE) is run on
   each by Rscript, and its estimate, conf.int, p.value and W compared
   with dl_mann_whitney's.  R finds the large-sample figures by
   root-finding with a tolerance of 1e-4, so those agree to within twice
   that (both sides approximate the same root); exact-case figures and
   p-values agree to rounding.  Skips when Rscript is not installed
   (Debian: r-base-core). */
#include "deploy-ledger/mann-whitney.h"
#include "seeded-random.h"
#include "tap.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t rng_state = 0x2545F4914F6CDD1DULL;

static uint64_t
rng(void)
{
  return random_next(&rng_state);
}

/* Uniform in (0, 1): never 0, for the Pareto draws. */
static double
uniform(void)
{
  return random_unit(&rng_state) + 0x1p-54;
}

enum { EXACT, TIED, LARGE, HEAVY, KINDS };
static const char *const kind_names[KINDS] = {"exact", "tied", "large", "heavy-tailed"};

typedef struct sample_case {
  int kind;
  size_t nx, ny;
  double x[400], y[400];
} sample_case;

/* A latency-like value (ms) of case kind KIND; SHIFT moves x. */
static double
draw(int kind, double shift)
{
  switch (kind) {
  case EXACT: return 100 + shift + 40 * uniform();
  case TIED: return floor(20 + shift + 12 * uniform()); /* integer ms: many ties */
  case LARGE: return 80 + shift + 30 * (uniform() + uniform() + uniform());
  default: {
    /* Pareto tail (alpha 1.2) on a base, rounded to 0.1 ms some of the time. */
    double v = 50 * pow(uniform(), -1 / 1.2) + shift;
    return rng() % 3 == 0 ? round(v * 10) / 10 : v;
  }
  }
}

static void
make_case(sample_case *c, int kind)
{
  c->kind = kind;
  switch (kind) {
  case EXACT:
    c->nx = 2 + rng() % 30;
    c->ny = 2 + rng() % 30;
    break;
  case TIED:
    c->nx = 3 + rng() % 60;
    c->ny = 3 + rng() % 60;
    break;
  case LARGE:
    c->nx = 50 + rng() % 300;
    c->ny = 50 + rng() % 300;
    break;
  default:
    c->nx = 10 + rng() % 150;
    c->ny = 10 + rng() % 150;
    break;
  }
  double shift = (double) (rng() % 5) - 1; /* -1 .. 3 ms */
  for (size_t i = 0; i < c->nx; i++)
    c->x[i] = draw(kind, shift);
  for (size_t j = 0; j < c->ny; j++)
    c->y[j] = draw(kind, 0);
}

/* Prints R's figures per case, one line each: estimate, the interval,
   the p-value and W, with 17 significant digits. */
static const char r_program[] =
  "lines <- readLines(commandArgs(TRUE)[1])\n"
  "for (k in seq(1, length(lines), by = 2)) {\n"
  "  x <- as.numeric(strsplit(lines[k], ' ')[[1]])\n"
  "  y <- as.numeric(strsplit(lines[k + 1], ' ')[[1]])\n"
  "  t <- suppressWarnings(wilcox.test(x, y, conf.int = TRUE))\n"
  "  cat(sprintf('%.17g', c(t$estimate, t$conf.int[1], t$conf.int[2], t$p.value,\n"
  "                         t$statistic)), '\\n')\n"
  "}\n";

static int
have_rscript(void)
{
  return system("Rscript --version >/dev/null 2>&1") == 0;
}

int
main(void)
{
  if (!have_rscript()) {
    printf("1..0 # SKIP Rscript not found: install r-base-core (./setup --tests does)\n");
    return 0;
  }
  enum { PER_KIND = 60 };
  static sample_case cases[KINDS * PER_KIND];
  size_t n_cases = 0;
  for (int kind = 0; kind < KINDS; kind++)
    for (int i = 0; i < PER_KIND; i++)
      make_case(&cases[n_cases++], kind);

  char dir[] = "/tmp/dl-wilcox-r-XXXXXX";
  if (!mkdtemp(dir)) {
    ok(0, "temporary directory");
    return tap_done();
  }
  char data[128], prog[128], cmd[512];
  snprintf(data, sizeof data, "%s/cases.txt", dir);
  snprintf(prog, sizeof prog, "%s/wilcox.R", dir);
  FILE *f = fopen(data, "w"), *p = fopen(prog, "w");
  ok(f && p, "case and program files written in %s", dir);
  if (!f || !p)
    return tap_done();
  for (size_t k = 0; k < n_cases; k++) {
    for (size_t i = 0; i < cases[k].nx; i++)
      fprintf(f, "%s%.17g", i ? " " : "", cases[k].x[i]);
    fputc('\n', f);
    for (size_t j = 0; j < cases[k].ny; j++)
      fprintf(f, "%s%.17g", j ? " " : "", cases[k].y[j]);
    fputc('\n', f);
  }
  fclose(f);
  fputs(r_program, p);
  fclose(p);
  snprintf(cmd, sizeof cmd, "Rscript --vanilla %s %s", prog, data);
  FILE *r = popen(cmd, "r");
  ok(r != NULL, "Rscript runs");
  if (!r)
    return tap_done();

  int bad[KINDS] = {0}, seen[KINDS] = {0}, identical[KINDS] = {0}, exact_runs = 0;
  double worst[KINDS] = {0};
  size_t read_cases = 0;
  for (size_t k = 0; k < n_cases; k++) {
    double want[5];
    if (fscanf(r, "%lf %lf %lf %lf %lf", &want[0], &want[1], &want[2], &want[3], &want[4]) != 5)
      break;
    read_cases++;
    const sample_case *c = &cases[k];
    dl_mw_result got;
    dl_error err;
    if (dl_mann_whitney(c->x, c->nx, c->y, c->ny, NULL, &got, &err) != DL_OK) {
      bad[c->kind]++;
      tap_diag("case %zu (%s): %s", k, kind_names[c->kind], err.text);
      continue;
    }
    seen[c->kind]++;
    exact_runs += got.exact;
    /* Exact figures are differences of the data: equal to rounding. */
    double tol = got.exact ? 1e-9 : 2e-4;
    double g[3] = {got.estimate, got.ci_low, got.ci_high};
    int same = 1, wrong = 0;
    for (int i = 0; i < 3; i++) {
      double d = fabs(g[i] - want[i]);
      if (d > worst[c->kind])
        worst[c->kind] = d;
      if (!(d <= tol + 1e-12 * fabs(want[i]))) {
        wrong = 1;
        tap_diag("case %zu (%s, %zu x %zu): %s %.17g, R %.17g", k, kind_names[c->kind], c->nx,
             c->ny, i == 0 ? "estimate" : i == 1 ? "ci low" : "ci high", g[i], want[i]);
      }
      same &= g[i] == want[i];
    }
    identical[c->kind] += same;
    if (!(fabs(got.p_value - want[3]) <= 1e-10 * want[3] + 1e-14)) {
      wrong = 1;
      tap_diag("case %zu (%s): p %.17g, R %.17g", k, kind_names[c->kind], got.p_value, want[3]);
    }
    if (got.u != want[4]) {
      wrong = 1;
      tap_diag("case %zu (%s): W %.17g, R %.17g", k, kind_names[c->kind], got.u, want[4]);
    }
    bad[c->kind] += wrong;
  }
  pclose(r);
  unlink(data);
  unlink(prog);
  rmdir(dir);
  is_int(read_cases, n_cases, "R answered every case");
  ok(exact_runs > 0 && exact_runs < (int) n_cases, "%d of %zu cases exact, the rest normal",
     exact_runs, n_cases);
  for (int kind = 0; kind < KINDS; kind++)
    ok(seen[kind] == PER_KIND && bad[kind] == 0,
       "%s cases: estimate, interval, p-value and W agree with R in %d of %d "
       "(largest difference %.3g; %d identical to the last digit)",
       kind_names[kind], seen[kind] - bad[kind], PER_KIND, worst[kind],
       identical[kind]);
  return tap_done();
}
