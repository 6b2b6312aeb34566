/* test_kwt.c -- kinematic wave tracking on single reaches and chains (docs-models.md §6.4):
 * celerity, pure translation of a pulse, wave arrival times, shocks, the wave limit and mass
 * conservation. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hs_kwt.h"
#include "hs_test.h"

#define DT 86400.0

/* Deterministic pseudo-random numbers in [0, 1). */
static double rnd(unsigned long long *s) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 9007199254740992.0;
}

int main(void) {
    /* celerity: c = 5/3 K^(3/5) q^(2/5) */
    const double K = sqrt(0.001) / 0.025;
    HS_CHECK_REL(hs_kwt_celerity(2.0, K), 5.0 / 3.0 * pow(K, 0.6) * pow(2.0, 0.4), 1e-14);
    HS_CHECK(hs_kwt_celerity(0.0, K) == 0.0 && hs_kwt_celerity(-1.0, K) == 0.0);

    /* pure translation along a chain: each reach is as long as the pulse travels in exactly
     * two steps, so a one-step pulse of 100 m3/s leaves the third reach 6 steps later, intact */
    const double width = 30.0, q_pulse = 100.0;
    const double c = hs_kwt_celerity(q_pulse / width, K);
    const hs_kwt_channel ch2 = {2.0 * DT * c, width, K};
    hs_kwt_reach chain[3];
    memset(chain, 0, sizeof chain);
    double at_out[12];
    for (size_t k = 0; k < 12; k++) {
        double q = k == 0 ? q_pulse : 0.0;
        for (int r = 0; r < 3; r++) q = hs_kwt_step(&ch2, &chain[r], q, (double)k * DT, DT);
        at_out[k] = q;
    }
    for (size_t k = 0; k < 12; k++) HS_CHECK_CLOSE(at_out[k], k == 6 ? q_pulse : 0.0, 1e-9);
    printf("KWT chain of 3 reaches of %.0f m (c = %.4f m/s): pulse at step 0 leaves at step 6 "
           "(Q = %.12g)\n", ch2.length_m, c, at_out[6]);

    /* arrival time, non-integer travel time: tau = 1.3 steps; the block [tau, tau + dt] puts 70 %
     * of the volume in step 1 and 30 % in step 2; the outflow centroid is tau + dt/2 */
    const hs_kwt_channel ch13 = {1.3 * DT * c, width, K};
    hs_kwt_reach one;
    memset(&one, 0, sizeof one);
    double o[6], centroid = 0, vol = 0;
    for (size_t k = 0; k < 6; k++) {
        o[k] = hs_kwt_step(&ch13, &one, k == 0 ? q_pulse : 0.0, (double)k * DT, DT);
        centroid += o[k] * ((double)k + 0.5);
        vol += o[k];
    }
    HS_CHECK(o[0] == 0.0);
    HS_CHECK_CLOSE(o[1], 0.7 * q_pulse, 1e-9);
    HS_CHECK_CLOSE(o[2], 0.3 * q_pulse, 1e-9);
    HS_CHECK_CLOSE(vol, q_pulse, 1e-9);
    HS_CHECK_CLOSE(centroid / vol, 1.3 + 0.5, 1e-9);
    printf("KWT reach with tau = 1.3 steps: outflow %.6g, %.6g, %.6g; centroid %.6f steps\n", o[0],
           o[1], o[2], centroid / vol);

    /* a larger flow travels faster: q x 10 arrives earlier (c ~ q^0.4) */
    memset(&one, 0, sizeof one);
    double first_big = -1;
    for (size_t k = 0; k < 6 && first_big < 0; k++)
        if (hs_kwt_step(&ch13, &one, k == 0 ? 10 * q_pulse : 0.0, (double)k * DT, DT) > 0)
            first_big = (double)k;
    HS_CHECK(first_big == 0.0); /* tau = 1.3 / 10^0.4 = 0.52 steps */

    /* shock: a small slow wave followed by a large fast one that would overtake it: merged,
     * exit order kept, nothing lost */
    memset(&one, 0, sizeof one);
    const hs_kwt_channel ch = {3.0 * DT * c, width, K};
    double out = 0;
    out += hs_kwt_step(&ch, &one, 1.0, 0.0, DT);
    out += hs_kwt_step(&ch, &one, 1000.0, DT, DT);
    HS_CHECK_INT(one.n, 1);
    for (size_t k = 2; k < 40; k++) out += hs_kwt_step(&ch, &one, 0.0, (double)k * DT, DT);
    HS_CHECK_CLOSE(out, 1001.0, 1e-9);
    HS_CHECK_INT(one.n, 0);

    /* mass conservation and the wave limit under random inflow, with dry spells: in = out +
     * storage at every step, relative 1e-12 */
    unsigned long long seed = 42;
    memset(&one, 0, sizeof one);
    const hs_kwt_channel slow = {40.0 * DT * c, width, K};
    double in_v = 0, out_v = 0, worst = 0;
    size_t max_n = 0;
    for (size_t k = 0; k < 3000; k++) {
        double q = rnd(&seed) < 0.3 ? 0.0 : 500.0 * pow(rnd(&seed), 3.0);
        if (k > 2500) q = 0.0;
        in_v += q * DT;
        out_v += hs_kwt_step(&slow, &one, q, (double)k * DT, DT) * DT;
        if (one.n > max_n) max_n = one.n;
        const double res = fabs(in_v - out_v - hs_kwt_storage_m3(&one)) / in_v;
        if (res > worst) worst = res;
        for (size_t i = 0; i + 1 < one.n; i++) HS_CHECK(one.w[i].t_exit1 <= one.w[i + 1].t_exit0);
    }
    printf("KWT random inflow, 3000 steps: worst relative mass residual %.3g, at most %zu waves, "
           "%.3g m3 still in the reach\n", worst, max_n, hs_kwt_storage_m3(&one));
    HS_CHECK(worst < 1e-12);
    HS_CHECK(max_n <= HS_KWT_MAXQPAR);
    /* a slowly receding inflow never shocks: waves pile up to the limit and are then merged
     * pairwise, still conserving mass */
    memset(&one, 0, sizeof one);
    in_v = out_v = 0;
    max_n = 0;
    for (size_t k = 0; k < 400; k++) {
        const double q = k < 100 ? 1000.0 * pow(0.97, (double)k) : 0.0;
        in_v += q * DT;
        out_v += hs_kwt_step(&slow, &one, q, (double)k * DT, DT) * DT;
        if (one.n > max_n) max_n = one.n;
    }
    printf("KWT receding inflow: at most %zu waves, mass residual %.3g m3 of %.3g\n", max_n,
           in_v - out_v - hs_kwt_storage_m3(&one), in_v);
    HS_CHECK_INT(max_n, HS_KWT_MAXQPAR);
    HS_CHECK_CLOSE(in_v - out_v - hs_kwt_storage_m3(&one), 0.0, 1e-12 * in_v);
    /* negative inflow passes straight through */
    memset(&one, 0, sizeof one);
    HS_CHECK(hs_kwt_step(&ch, &one, -2.0, 0.0, DT) == -2.0);
    HS_TEST_REPORT();
}
