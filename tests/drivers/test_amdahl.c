/* test_amdahl.c -- the Amdahl fit of `hydroscale scaling --model` recovers the serial fraction,
 * parallel time and dispatch cost of synthetic strong-scaling timings (exact and noisy). */
#include <math.h>

#include "hs_amdahl.h"
#include "hs_test.h"

int main(void) {
    /* T(w) = 2 + 18/w + 0.05 (w - 1): serial fraction 2/20 = 0.1 */
    double w[6] = {1, 2, 4, 8, 16, 32}, t[6];
    for (int i = 0; i < 6; i++) t[i] = 2.0 + 18.0 / w[i] + 0.05 * (w[i] - 1.0);
    hs_amdahl m = hs_amdahl_fit(w, t, 6);
    HS_CHECK(m.ok);
    HS_CHECK_CLOSE(m.a, 2.0, 1e-9);
    HS_CHECK_CLOSE(m.b, 18.0, 1e-9);
    HS_CHECK_CLOSE(m.c, 0.05, 1e-9);
    HS_CHECK_CLOSE(m.serial_fraction, 0.1, 1e-12);
    HS_CHECK_CLOSE(hs_amdahl_time(&m, 64), 2.0 + 18.0 / 64 + 0.05 * 63, 1e-9);
    /* +-1 % noise: the serial fraction within 0.02 */
    const double noise[6] = {0.01, -0.008, 0.006, -0.01, 0.004, -0.003};
    for (int i = 0; i < 6; i++) t[i] *= 1.0 + noise[i];
    m = hs_amdahl_fit(w, t, 6);
    HS_CHECK(m.ok);
    HS_CHECK_CLOSE(m.serial_fraction, 0.1, 0.02);
    /* two worker counts: plain Amdahl (no dispatch term) */
    double w2[2] = {1, 4}, t2[2] = {10.0, 10.0 * (0.2 + 0.8 / 4)};
    m = hs_amdahl_fit(w2, t2, 2);
    HS_CHECK(m.ok);
    HS_CHECK(m.c == 0.0);
    HS_CHECK_CLOSE(m.serial_fraction, 0.2, 1e-12);
    /* one point, or one worker count, identifies nothing */
    HS_CHECK(!hs_amdahl_fit(w2, t2, 1).ok);
    double w3[2] = {4, 4};
    HS_CHECK(!hs_amdahl_fit(w3, t2, 2).ok);
    HS_TEST_REPORT();
}
