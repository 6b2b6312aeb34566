/* hs_irf.c -- mizuRoute's IRF unit hydrograph (process_param.f90 make_uh) and the per-step
 * convolution of irf_route.f90 (docs-models.md §6.3). */
#include "hs_irf.h"

#include <math.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* Threshold of the exponent beyond which mizuRoute sets an ordinate to zero (exp(-69) ~ 1e-30). */
#define IRF_MAX_EXPONENT 69.0
#define IRF_TAIL_MASS 1e-5
#define IRF_KEEP_MASS 0.9999

static hs_status check_args(double length_m, double velo_ms, double diff_m2s, hs_ctx *ctx) {
    if (!(length_m > 0.0) || !isfinite(length_m) || !(velo_ms > 0.0) || !isfinite(velo_ms) ||
        !(diff_m2s > 0.0) || !isfinite(diff_m2s))
        return HS_FAIL(ctx, HS_ERR_ARG, "IRF: length %g m, velo %g m/s and diff %g m2/s must be "
                       "positive and finite", length_m, velo_ms, diff_m2s);
    return HS_OK;
}

/* Hours to evaluate: mizuRoute's 240, or more when the mean travel time plus ten standard
 * deviations (of the mizuRoute form, the wider of the two) does not fit. */
static size_t n_hours(double L, double C, double D) {
    const double mean = L / C + 2.0 * D / (C * C);
    const double sd = sqrt(2.0 * D * L / (C * C * C) + 8.0 * D * D / (C * C * C * C));
    const double need = ceil((mean + 10.0 * sd) / HS_IRF_DTUH);
    return need > HS_IRF_NHR ? (size_t)need : (size_t)HS_IRF_NHR;
}

/* Steps 1-2 of the construction into h[0..nh) (hour i+1 at index i). Returns the mass before
 * normalisation (0 when every ordinate underflowed). */
static double hourly(double L, double C, double D, hs_irf_form form, double *h, size_t nh) {
    double sum = 0.0;
    for (size_t i = 0; i < nh; i++) {
        const double t = HS_IRF_DTUH * (double)(i + 1);
        const double e = (C * t - L) * (C * t - L) / (4.0 * D * t);
        double v = 0.0;
        if (e <= IRF_MAX_EXPONENT) {
            v = L / (2.0 * sqrt(M_PI * D * t)) * exp(-e);
            if (form == HS_IRF_TEXTBOOK) v /= t;
        }
        h[i] = v;
        sum += v;
    }
    if (!(sum > 0.0)) return 0.0;
    for (size_t i = 0; i < nh; i++) h[i] /= sum;
    /* zero the negligible leading and trailing tails */
    double cum = 0.0;
    for (size_t i = 0; i < nh; i++) {
        cum += h[i];
        if (cum >= IRF_TAIL_MASS) break;
        h[i] = 0.0;
    }
    cum = 0.0;
    for (size_t i = nh; i-- > 0;) {
        cum += h[i];
        if (cum >= IRF_TAIL_MASS) break;
        h[i] = 0.0;
    }
    return sum;
}

hs_status hs_irf_hourly_uh(double length_m, double velo_ms, double diff_m2s, hs_irf_form form,
                           hs_ctx *ctx, double **h, size_t *n) {
    HS_TRY(check_args(length_m, velo_ms, diff_m2s, ctx));
    const size_t nh = n_hours(length_m, velo_ms, diff_m2s);
    double *v = NULL;
    HS_TRY(HS_ALLOC_ARRAY(ctx, v, nh, "IRF hourly UH"));
    hourly(length_m, velo_ms, diff_m2s, form, v, nh);
    *h = v;
    *n = nh;
    return HS_OK;
}

hs_status hs_irf_make_uh(double length_m, double velo_ms, double diff_m2s, double dt_s,
                         hs_irf_form form, hs_ctx *ctx, double **uh, size_t *n) {
    HS_TRY(check_args(length_m, velo_ms, diff_m2s, ctx));
    const double n_sub_d = dt_s / HS_IRF_DTUH;
    if (!(n_sub_d >= 1.0) || n_sub_d != floor(n_sub_d) || n_sub_d > 1e6)
        return HS_FAIL(ctx, HS_ERR_ARG, "IRF: the time step (%g s) must be a whole number of "
                       "hours", dt_s);
    const size_t nsub = (size_t)n_sub_d;
    const size_t nh = n_hours(length_m, velo_ms, diff_m2s);
    /* mizuRoute keeps the box-convolved UH over the hours of the hourly one (UHQ and UHM both
     * nTMAX long): what the box pushes past them is dropped before renormalising */
    const size_t nc = nh;
    double *h = NULL, *c = NULL, *u = NULL;
    hs_status st = HS_ALLOC_ARRAY(ctx, h, nh, "IRF hourly UH");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, c, nc, "IRF hourly UH");
    if (st != HS_OK) goto fail;
    if (hourly(length_m, velo_ms, diff_m2s, form, h, nh) == 0.0) {
        /* the whole response lies within the first hour: pass the inflow through */
        st = HS_ALLOC_ARRAY(ctx, u, 1, "IRF UH");
        if (st != HS_OK) goto fail;
        u[0] = 1.0;
        *uh = u;
        *n = 1;
        hs_free(h);
        hs_free(c);
        return HS_OK;
    }
    /* step 3: spread over one model step (box of nsub hours), renormalise. As make_uh's
     * `if ((jHr-iHr) > 0) ... fr(jHr-iHr)`: hour j receives hours j-nsub .. j-1 of the hourly
     * UH, not hour j itself, so the first hour of the step is empty and the response lags the
     * centred box by one hour (the UH mean is L/C + 2D/C^2 + (nsub+1)/2 hours; test_irf). */
    double sum = 0.0;
    for (size_t i = 0; i < nc; i++) {
        double v = 0.0;
        for (size_t k = 1; k <= nsub; k++)
            if (i >= k && i - k < nh) v += h[i - k];
        c[i] = v / (double)nsub;
        sum += c[i];
    }
    size_t last = nc - 1;
    double cum = 0.0;
    for (size_t i = 0; i < nc; i++) {
        c[i] /= sum;
        cum += c[i];
        if (cum >= IRF_KEEP_MASS) {
            last = i;
            break;
        }
    }
    /* step 4: hour i+1 (index i) goes to step ceil((i+1)/nsub), index i / nsub */
    const size_t ns = last / nsub + 1;
    st = HS_ALLOC_ARRAY(ctx, u, ns, "IRF UH"); /* zero-filled */
    if (st != HS_OK) goto fail;
    sum = 0.0;
    for (size_t i = 0; i <= last; i++) sum += c[i];
    for (size_t i = 0; i <= last; i++) u[i / nsub] += c[i] / sum;
    hs_free(h);
    hs_free(c);
    *uh = u;
    *n = ns;
    return HS_OK;
fail:
    hs_free(h);
    hs_free(c);
    hs_free(u);
    return st;
}

double hs_irf_step(const double *uh, size_t n, double *qf, size_t pos, double q_up) {
    return hs_irf_ring_step(uh, n, qf, pos, q_up);
}
