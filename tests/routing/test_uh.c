/* test_uh.c -- the incomplete gamma function against closed forms, and the hillslope UH against
 * the check values of docs-models.md §6.2 (a = 2.5, theta = 1 day, daily step). */
#include <math.h>

#include "hs_test.h"
#include "hs_uh.h"

int main(void) {
    hs_ctx *ctx = hs_ctx_create();
    /* P(1, x) = 1 - exp(-x); P(1/2, x) = erf(sqrt x); P(2, x) = 1 - (1 + x) exp(-x) */
    const double xs[] = {1e-3, 0.1, 0.5, 1.0, 2.0, 3.4, 7.0, 20.0, 60.0};
    for (size_t i = 0; i < sizeof xs / sizeof *xs; i++) {
        const double x = xs[i];
        HS_CHECK_REL(hs_uh_gamma_p(1.0, x), -expm1(-x), 1e-13);
        HS_CHECK_REL(hs_uh_gamma_p(0.5, x), erf(sqrt(x)), 1e-13);
        /* the closed form cancels below x ~ 0.1, so it is no reference there */
        if (x >= 0.1) HS_CHECK_REL(hs_uh_gamma_p(2.0, x), 1.0 - (1.0 + x) * exp(-x), 1e-12);
    }
    HS_CHECK(hs_uh_gamma_p(2.5, 0.0) == 0.0);
    HS_CHECK(hs_uh_gamma_p(2.5, INFINITY) == 1.0);
    HS_CHECK(isnan(hs_uh_gamma_p(0.0, 1.0)) && isnan(hs_uh_gamma_p(1.0, -1.0)));

    const double check[8] = {0.151895, 0.301795, 0.244873, 0.151017,
                             0.081559, 0.040726, 0.019311, 0.008826};
    double w[16];
    HS_CHECK_INT(hs_uh_gamma_fractions(2.5, 86400.0, 86400.0, 8, w, ctx), HS_OK);
    double sum = 0;
    for (int j = 0; j < 8; j++) {
        HS_CHECK_CLOSE(w[j], check[j], 1e-6);
        sum += w[j];
    }
    HS_CHECK_CLOSE(sum, 1.0, 1e-15);

    size_t n = 0;
    HS_CHECK_INT(hs_uh_hillslope_len(2.5, 86400.0, 86400.0, ctx, &n), HS_OK);
    /* the bisection stops in (0.99, 0.999): P(2.5, x) = 0.99 near x = 7.55, 0.999 near 10.25 */
    HS_CHECK(n >= 8 && n <= 11);
    HS_CHECK(hs_uh_gamma_p(2.5, (double)n) > 0.99);
    /* a scale far below the step: two ordinates, nearly all in the first */
    HS_CHECK_INT(hs_uh_hillslope_len(2.5, 1800.0, 86400.0, ctx, &n), HS_OK);
    HS_CHECK_INT(n, 2);
    HS_CHECK_INT(hs_uh_gamma_fractions(2.5, 1800.0, 86400.0, n, w, ctx), HS_OK);
    HS_CHECK(w[0] > 0.999999 && w[0] + w[1] == 1.0);
    /* the mean lag of the discrete UH is close to the gamma mean (a theta = 2.5 d = 60 h) plus
     * half a step */
    HS_CHECK_INT(hs_uh_hillslope_len(2.5, 86400.0, 3600.0, ctx, &n), HS_OK);
    double big[1000], mean = 0;
    if (n <= 1000) {
        HS_CHECK_INT(hs_uh_gamma_fractions(2.5, 86400.0, 3600.0, n, big, ctx), HS_OK);
        for (size_t j = 0; j < n; j++) mean += (double)(j + 1) * big[j];
        HS_CHECK_CLOSE(mean - 0.5, 2.5 * 24.0, 1.5); /* truncated at 99-99.9 %: a slight deficit */
    }
    /* errors name the parameters */
    HS_CHECK_INT(hs_uh_hillslope_len(2.5, -1.0, 86400.0, ctx, &n), HS_ERR_ARG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "tscale -1 s");
    HS_CHECK_INT(hs_uh_hillslope_len(2.5, 1e9, 60.0, ctx, &n), HS_ERR_NUMERIC);
    HS_CHECK_INT(hs_uh_gamma_fractions(2.5, 1.0, 1.0, 0, w, ctx), HS_ERR_ARG);
    hs_ctx_destroy(&ctx);
    HS_TEST_REPORT();
}
