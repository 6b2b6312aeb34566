/* hs_rng.c -- xoshiro256** (Blackman & Vigna, "Scrambled linear pseudorandom number generators",
 * ACM TOMS 2021), seeded through splitmix64 as its authors recommend, so that nearby seeds
 * (42, 43) give unrelated streams. Only integer arithmetic and IEEE-exact conversions are used
 * before the polar method's log/sqrt, so a seed gives the same stream on every platform whose
 * libm rounds log and sqrt correctly (glibc does for sqrt; log is within 1 ulp). */
#include "hs_rng.h"

#include <math.h>

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void hs_rng_seed(hs_rng *rng, uint64_t seed) {
    uint64_t sm = seed;
    for (int i = 0; i < 4; i++) rng->s[i] = splitmix64(&sm);
    rng->spare = 0.0;
    rng->has_spare = 0;
}

uint64_t hs_rng_next(hs_rng *rng) {
    uint64_t *s = rng->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double hs_rng_uniform(hs_rng *rng) {
    /* the top 53 bits times 2^-53: every value is an exact double in [0, 1) */
    return (double)(hs_rng_next(rng) >> 11) * 0x1.0p-53;
}

double hs_rng_normal(hs_rng *rng) {
    if (rng->has_spare) {
        rng->has_spare = 0;
        return rng->spare;
    }
    double u, v, s;
    do {
        u = 2.0 * hs_rng_uniform(rng) - 1.0;
        v = 2.0 * hs_rng_uniform(rng) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double m = sqrt(-2.0 * log(s) / s);
    rng->spare = v * m;
    rng->has_spare = 1;
    return u * m;
}

uint64_t hs_rng_below(hs_rng *rng, uint64_t n) {
    if (n <= 1) return 0;
    /* reject the top partial block of 2^64 so that every residue is equally likely */
    const uint64_t limit = UINT64_MAX - (UINT64_MAX % n);
    uint64_t x;
    do {
        x = hs_rng_next(rng);
    } while (x >= limit);
    return x % n;
}
