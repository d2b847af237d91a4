/* The rank sum of a shifted sample against another, in one merge. */
#include "stats/rank-sum.h"

void
dl_rank_sum(const double *x, size_t nx, double shift, const double *y, size_t ny, double *u,
            double *ties)
{
  size_t i = 0, j = 0;
  double pos = 0, rx = 0, t3 = 0;
  while (i < nx || j < ny) {
    double v = (j >= ny || (i < nx && x[i] - shift <= y[j])) ? x[i] - shift : y[j];
    size_t cx = 0, cy = 0;
    while (i < nx && x[i] - shift == v) {
      i++;
      cx++;
    }
    while (j < ny && y[j] == v) {
      j++;
      cy++;
    }
    double t = (double) (cx + cy);
    rx += (double) cx * (pos + (t + 1) / 2);
    pos += t;
    t3 += t * t * t - t;
  }
  *u = rx - (double) nx * ((double) nx + 1) / 2;
  *ties = t3;
}
