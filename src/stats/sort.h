/* Sorting doubles fast: the rank statistics (Mann-Whitney, Hodges-Lehmann)
   need sorted samples of millions of latencies. */
#ifndef DL_SORT_H
#define DL_SORT_H

#include <stddef.h>
#include <stdint.h>

/* Sorts V[0..N) ascending (no NaNs; -0.0 sorts before +0.0).  An LSD radix
   sort on the order-preserving bit pattern for large N, insertion sort for
   small; falls back to qsort if the scratch buffer cannot be allocated. */
void dl_sort_f64(double *v, size_t n);

/* The order-preserving map of a double to an unsigned integer and back. */
uint64_t dl_f64_key(double x);
double dl_f64_from_key(uint64_t k);

#endif
