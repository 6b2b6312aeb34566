/* hs_uh.c -- gamma unit hydrographs (docs-models.md §6.2; mizuRoute process_param.f90 basinUH).
 *
 * P(a, x) is hs_math_gamma_p (core/hs_math.c: A&S 6.5.29 series and 6.5.31 continued fraction,
 * as mizuRoute's gammp). */
#include "hs_uh.h"

#include <math.h>

#include "hs_math.h"

/* The incomplete gamma function itself lives in core/hs_math.c (shared with FUSE, docs §3.5);
 * this name stays for routing's callers. */
double hs_uh_gamma_p(double a, double x) { return hs_math_gamma_p(a, x); }

hs_status hs_uh_hillslope_len(double fshape, double tscale_s, double dt_s, hs_ctx *ctx,
                              size_t *n_out) {
    if (!(fshape > 0.0) || !(tscale_s > 0.0) || !(dt_s > 0.0))
        return HS_FAIL(ctx, HS_ERR_ARG,
                       "hillslope UH: fshape %g, tscale %g s and dt %g s must all be positive",
                       fshape, tscale_s, dt_s);
    /* current mizuRoute: x = t / tscale (tscale is the gamma scale; releases before 2020 used
     * the rate fshape / tscale instead, which makes tscale the mean) */
    const double rate_dt = dt_s / tscale_s;
    double n_try;
    if (hs_uh_gamma_p(fshape, rate_dt) > 0.999) {
        n_try = 1.999; /* one step holds it all; mizuRoute still keeps two ordinates */
    } else {
        double lo = 1.0, hi = 1000.0;
        n_try = 0.5 * (lo + hi);
        int found = 0;
        for (int it = 0; it < 100; it++) {
            const double p = hs_uh_gamma_p(fshape, rate_dt * n_try);
            if (p < 0.99) lo = n_try;
            if (p > 0.999) hi = n_try;
            if (p > 0.99 && p < 0.999) {
                found = 1;
                break;
            }
            n_try = 0.5 * (lo + hi);
        }
        if (!found)
            return HS_FAIL(ctx, HS_ERR_NUMERIC,
                           "hillslope UH: fshape %g, tscale %g s needs more than 1000 steps of "
                           "%g s",
                           fshape, tscale_s, dt_s);
    }
    *n_out = (size_t)ceil(n_try);
    return HS_OK;
}

hs_status hs_uh_gamma_fractions(double fshape, double tscale, double dt, size_t n, double *w,
                                hs_ctx *ctx) {
    if (!(fshape > 0.0) || !(tscale > 0.0) || !(dt > 0.0) || n == 0 || !w)
        return HS_FAIL(ctx, HS_ERR_ARG,
                       "gamma UH: shape %g, scale %g, step %g and %zu ordinates must all be "
                       "positive",
                       fshape, tscale, dt, n);
    const double rate_dt = dt / tscale;
    double prev = 0.0, sum = 0.0;
    for (size_t j = 1; j <= n; j++) {
        const double cum = hs_uh_gamma_p(fshape, rate_dt * (double)j);
        w[j - 1] = fmax(0.0, cum - prev);
        prev = cum;
        sum += w[j - 1];
    }
    for (size_t j = 0; j < n; j++) w[j] /= sum;
    return HS_OK;
}
