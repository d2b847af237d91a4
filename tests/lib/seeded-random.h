/* The one reproducible random source of the tests and benchmarks:
   xorshift64* (Marsaglia's xorshift with Vigna's multiplier), so that a
   run is the same on every machine and libc.  The state is a plain
   uint64_t that the caller owns; it must not be zero (random_seed makes
   sure of that). */
#ifndef DL_TEST_SEEDED_RANDOM_H
#define DL_TEST_SEEDED_RANDOM_H

#include <math.h>
#include <stdint.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* A state from SEED: SEED itself, or 1 for 0 (xorshift stays at zero). */
static inline uint64_t
random_seed(uint64_t seed)
{
  return seed ? seed : 1;
}

static inline uint64_t
random_next(uint64_t *state)
{
  *state ^= *state >> 12;
  *state ^= *state << 25;
  *state ^= *state >> 27;
  return *state * 2685821657736338717ULL;
}

/* The high 32 bits, the better ones of xorshift64*. */
static inline uint32_t
random_u32(uint64_t *state)
{
  return (uint32_t) (random_next(state) >> 32);
}

/* Uniform in [0, N); 0 when N is 0.  The modulo bias is far below what
   a test could notice for the small N they use. */
static inline uint64_t
random_below(uint64_t *state, uint64_t n)
{
  return n ? random_next(state) % n : 0;
}

/* Uniform in [0, 1), from the top 53 bits. */
static inline double
random_unit(uint64_t *state)
{
  return (double) (random_next(state) >> 11) / 9007199254740992.0;
}

/* Standard normal, by Box-Muller (one of the pair; two uniforms each). */
static inline double
random_normal(uint64_t *state)
{
  double u = random_unit(state);
  return sqrt(-2 * log(1 - u)) * cos(2 * M_PI * random_unit(state));
}

#endif
