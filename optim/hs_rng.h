/* hs_rng.h -- the seeded random number generator of DDS.
 *
 * xoshiro256** (Blackman & Vigna 2018), seeded through splitmix64 from a 64-bit seed; uniform
 * doubles from the top 53 bits; standard normals by the Marsaglia polar method (one spare kept).
 * The state is plain data so that a checkpoint can save and restore it exactly. Same seed, same
 * stream, on every platform. */
#ifndef HS_OPTIM_RNG_H
#define HS_OPTIM_RNG_H

#include <stdint.h>

#include "hs_api.h"

typedef struct hs_rng {
    uint64_t s[4];
    double spare;   /* cached second normal of the polar method */
    int has_spare;
} hs_rng;

HS_API void hs_rng_seed(hs_rng *rng, uint64_t seed);
HS_API uint64_t hs_rng_next(hs_rng *rng);
/** Uniform in [0, 1). */
HS_API double hs_rng_uniform(hs_rng *rng);
/** Standard normal N(0, 1). */
HS_API double hs_rng_normal(hs_rng *rng);
/** Uniform integer in [0, n) without modulo bias; n > 0. */
HS_API uint64_t hs_rng_below(hs_rng *rng, uint64_t n);

#endif /* HS_OPTIM_RNG_H */
