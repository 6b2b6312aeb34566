/* test_irf.c -- the IRF unit hydrograph (docs-models.md §6.3) against the analytic moments of the
 * diffusive wave, and the ring convolution.
 *
 * Textbook form (inverse Gaussian first-passage density): mean L/C, variance 2 D L / C^3.
 * mizuRoute form (t times that density, renormalised): mean L/C + 2D/C^2, variance
 * 2DL/C^3 + 8D^2/C^4. With an hourly step the UH is the hourly ordinates sampled at t = i h
 * and, as in mizuRoute's make_uh, moved one hour later (hour j receives hour j-1 of the density:
 * the mean gains 3600 s, the variance nothing); tolerances: 0.5 % on the mean, 2 % on the
 * variance (hourly sampling, the 1e-5 tails and the 0.9999 cut are the only differences). */
#include <math.h>
#include <stdio.h>

#include "hs_irf.h"
#include "hs_test.h"

static void moments(const double *u, size_t n, double dt, double *mean, double *var) {
    double m0 = 0, m1 = 0, m2 = 0;
    for (size_t j = 0; j < n; j++) {
        const double t = dt * (double)(j + 1);
        m0 += u[j];
        m1 += u[j] * t;
        m2 += u[j] * t * t;
    }
    *mean = m1 / m0;
    *var = m2 / m0 - (*mean) * (*mean);
}

static void check_case(double L, double C, double D, hs_ctx *ctx) {
    for (int form = 0; form < 2; form++) {
        double *u = NULL;
        size_t n = 0;
        HS_CHECK_INT(hs_irf_make_uh(L, C, D, 3600.0, (hs_irf_form)form, ctx, &u, &n), HS_OK);
        if (!u) continue;
        double mean, var, sum = 0;
        for (size_t j = 0; j < n; j++) sum += u[j];
        moments(u, n, 3600.0, &mean, &var);
        const double mu = L / C, v = 2.0 * D * L / (C * C * C);
        const double mean_x = (form == HS_IRF_TEXTBOOK ? mu : mu + 2.0 * D / (C * C)) + 3600.0;
        const double var_x = form == HS_IRF_TEXTBOOK ? v : v + 8.0 * D * D / (C * C * C * C);
        printf("IRF %-9s L=%g C=%g D=%g: mean %.1f s (analytic %.1f, %+.3f%%), var %.4g s2 "
               "(analytic %.4g, %+.3f%%), %zu ordinates\n",
               form ? "textbook" : "mizuRoute", L, C, D, mean, mean_x,
               100 * (mean / mean_x - 1), var, var_x, 100 * (var / var_x - 1), n);
        HS_CHECK_CLOSE(sum, 1.0, 1e-12);
        HS_CHECK_REL(mean, mean_x, 5e-3);
        HS_CHECK_REL(var, var_x, 2e-2);
        hs_free(u);
    }
}

int main(void) {
    hs_ctx *ctx = hs_ctx_create();
    check_case(50e3, 1.0, 1000.0, ctx);
    check_case(100e3, 0.5, 2000.0, ctx);
    check_case(200e3, 2.0, 5000.0, ctx);

    /* the hourly shape of the default form is exactly proportional to t^-1/2 exp(-E) */
    double *h = NULL;
    size_t nh = 0;
    HS_CHECK_INT(hs_irf_hourly_uh(50e3, 1.0, 1000.0, HS_IRF_MIZUROUTE, ctx, &h, &nh), HS_OK);
    HS_CHECK_INT(nh, HS_IRF_NHR);
    if (h) {
        const double t1 = 10 * 3600.0, t2 = 20 * 3600.0;
        const double e1 = (t1 - 50e3) * (t1 - 50e3) / (4e3 * t1);
        const double e2 = (t2 - 50e3) * (t2 - 50e3) / (4e3 * t2);
        HS_CHECK_REL(h[9] / h[19], sqrt(t2 / t1) * exp(e2 - e1), 1e-12);
        hs_free(h);
    }
    /* a very long, slow reach needs more than 240 hours: the response is not cut */
    HS_CHECK_INT(hs_irf_hourly_uh(1500e3, 1.0, 1000.0, HS_IRF_TEXTBOOK, ctx, &h, &nh), HS_OK);
    HS_CHECK(nh > 1500e3 / 3600.0);
    hs_free(h);

    /* daily step: sums to 1; ordinate 1 is the same day; the mean lag in steps is close to
     * mu/dt + 1 for a response spread over several days (a unit depth spread over the step's
     * hours 1..24 of make_uh's box, each reaching the UH one hour later) */
    double *u = NULL;
    size_t n = 0;
    HS_CHECK_INT(hs_irf_make_uh(300e3, 0.5, 5000.0, 86400.0, HS_IRF_TEXTBOOK, ctx, &u, &n), HS_OK);
    if (u) {
        double sum = 0, m = 0;
        for (size_t j = 0; j < n; j++) {
            sum += u[j];
            m += (double)(j + 1) * u[j];
        }
        printf("IRF daily UH, L=300 km C=0.5: %zu ordinates, mean %.4f steps (expected ~%.4f)\n",
               n, m, 300e3 / 0.5 / 86400.0 + 1.0);
        HS_CHECK_CLOSE(sum, 1.0, 1e-12);
        HS_CHECK_CLOSE(m, 300e3 / 0.5 / 86400.0 + 1.0, 0.05);
        /* ring convolution: a unit pulse returns the UH, then nothing */
        double ring[64] = {0};
        if (n <= 64) {
            double out_sum = 0;
            for (size_t k = 0; k < n + 5; k++) {
                const double o = hs_irf_step(u, n, ring, (k + 3) % n, k == 0 ? 1.0 : 0.0);
                if (k < n) HS_CHECK(o == u[k]);
                else HS_CHECK(o == 0.0);
                out_sum += o;
            }
            HS_CHECK_CLOSE(out_sum, 1.0, 1e-12);
        }
        hs_free(u);
    }
    /* a reach crossed within the hour passes the inflow through */
    HS_CHECK_INT(hs_irf_make_uh(100.0, 5.0, 100.0, 86400.0, HS_IRF_MIZUROUTE, ctx, &u, &n), HS_OK);
    HS_CHECK_INT(n, 1);
    if (u) HS_CHECK(u[0] == 1.0);
    hs_free(u);
    /* errors name the values */
    HS_CHECK_INT(hs_irf_make_uh(1e3, 0.0, 1e3, 86400.0, HS_IRF_MIZUROUTE, ctx, &u, &n),
                 HS_ERR_ARG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "velo 0 m/s");
    HS_CHECK_INT(hs_irf_make_uh(1e3, 1.0, 1e3, 5400.0, HS_IRF_MIZUROUTE, ctx, &u, &n),
                 HS_ERR_ARG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "whole number of hours");
    hs_ctx_destroy(&ctx);
    HS_TEST_REPORT();
}
