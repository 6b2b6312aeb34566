/* test_rng.c -- the DDS generator: the published xoshiro256** output for a known state, seeding
 * that is reproducible and seed-sensitive, and the moments of the uniform and normal draws. */
#include <math.h>
#include <stdint.h>

#include "hs_rng.h"
#include "hs_test.h"

int main(void) {
    /* state {1, 2, 3, 4}: the first outputs of the reference C code (prng.di.unimi.it) */
    hs_rng r = {{1, 2, 3, 4}, 0.0, 0};
    HS_CHECK(hs_rng_next(&r) == 11520u);
    HS_CHECK(hs_rng_next(&r) == 0u);
    HS_CHECK(hs_rng_next(&r) == 1509978240u);
    HS_CHECK(hs_rng_next(&r) == 1215971899390074240ull);

    /* splitmix64 of seed 0 gives the well-known first output 0xE220A8397B1DCDAF */
    hs_rng a;
    hs_rng_seed(&a, 0);
    HS_CHECK(a.s[0] == 0xE220A8397B1DCDAFull);

    hs_rng b, c;
    hs_rng_seed(&b, 42);
    hs_rng_seed(&c, 42);
    int same = 1;
    for (int i = 0; i < 1000; i++) same &= hs_rng_normal(&b) == hs_rng_normal(&c);
    HS_CHECK(same);
    hs_rng_seed(&c, 43);
    hs_rng_seed(&b, 42);
    HS_CHECK(hs_rng_next(&b) != hs_rng_next(&c));

    /* moments over 10^6 draws: uniform mean 1/2, var 1/12; normal mean 0, var 1, kurtosis 3 */
    const int n = 1000000;
    double su = 0, suu = 0, sn = 0, snn = 0, sn4 = 0, umin = 1, umax = 0;
    hs_rng_seed(&b, 7);
    for (int i = 0; i < n; i++) {
        const double u = hs_rng_uniform(&b);
        su += u;
        suu += u * u;
        umin = fmin(umin, u);
        umax = fmax(umax, u);
        const double z = hs_rng_normal(&b);
        sn += z;
        snn += z * z;
        sn4 += z * z * z * z;
    }
    HS_CHECK(umin >= 0.0 && umax < 1.0);
    HS_CHECK_CLOSE(su / n, 0.5, 0.002);
    HS_CHECK_CLOSE(suu / n - (su / n) * (su / n), 1.0 / 12.0, 0.001);
    HS_CHECK_CLOSE(sn / n, 0.0, 0.005);
    HS_CHECK_CLOSE(snn / n, 1.0, 0.005);
    HS_CHECK_CLOSE(sn4 / n, 3.0, 0.05);

    /* below(n): in range and about uniform over 7 values */
    int count[7] = {0};
    for (int i = 0; i < 70000; i++) {
        const uint64_t k = hs_rng_below(&b, 7);
        HS_CHECK(k < 7);
        if (k < 7) count[k]++;
    }
    for (int k = 0; k < 7; k++) HS_CHECK_CLOSE(count[k], 10000, 400);
    HS_CHECK(hs_rng_below(&b, 1) == 0);
    HS_TEST_REPORT();
}
