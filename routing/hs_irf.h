/* hs_irf.h -- IRF channel routing: the diffusive-wave impulse response of a reach, made the way
 * mizuRoute's make_uh makes it, and the segment-to-segment convolution (docs-models.md §6.3).
 *
 * Unit hydrograph of a reach of length L (m) for celerity C (m/s) and diffusivity D (m2/s):
 *  1. hourly ordinates (dTUH = 3600 s) at t = i*3600 s, i = 1 .. nHr, with E = (C t - L)^2/(4 D t)
 *       mizuRoute form (default): h(t) = L / (2 sqrt(pi D t)) exp(-E)
 *       textbook form (Lohmann et al. 1996, the inverse-Gaussian first-passage density):
 *                                 h(t) = L / (2 t sqrt(pi D t)) exp(-E)
 *     and h = 0 where E > 69 (or C <= 0); nHr = 240 h as in mizuRoute, extended only when the
 *     travel time L/C plus ten spreads would not fit (mizuRoute would silently cut the response);
 *  2. normalise to sum 1; zero the leading and trailing tails whose cumulative mass is < 1e-5;
 *  3. convolve with a box of nTsub = dt/3600 hours of weight 1/nTsub (an inflow spread over one
 *     model step), normalise, cut after the ordinate where the cumulative mass reaches 0.9999 and
 *     normalise again;
 *  4. aggregate hour i into model step ceil(i / nTsub).
 * Ordinate 1 is the fraction of one step's inflow that leaves in the same step. The textbook form
 * has mean L/C and variance 2 D L / C^3; the mizuRoute form (h multiplied by t) has mean
 * L/C + 2 D/C^2 and variance 2 D L/C^3 + 8 D^2/C^4 (moments of t times an inverse Gaussian).
 *
 * Routing one step (§6.3, "future" buffer): QF[k] += UH[k] * q_up for k = 1 .. n; the routed
 * outflow is QF[1]; the buffer then shifts by one. Here the buffer is a ring indexed by the step
 * count, so nothing is shifted. */
#ifndef HS_ROUTING_IRF_H
#define HS_ROUTING_IRF_H

#include <stddef.h>

#include "hs_api.h"
#include "hs_ctx.h"

typedef enum hs_irf_form {
    HS_IRF_MIZUROUTE = 0, /* 1/sqrt(t) factor, as in mizuRoute's make_uh (reproducible) */
    HS_IRF_TEXTBOOK = 1   /* 1/(t sqrt(t)): Lohmann et al. (1996) */
} hs_irf_form;

/** Hourly resolution of the UH construction (s). */
#define HS_IRF_DTUH 3600.0
/** Hours evaluated by mizuRoute's make_uh. */
#define HS_IRF_NHR 240

/** Builds the step unit hydrograph of a reach. length_m > 0, velo_ms > 0, diff_m2s > 0, dt_s a
 *  positive whole number of hours (HS_ERR_ARG otherwise, naming the values). *uh receives n
 *  ordinates summing to 1 (allocated; free with hs_free). A reach whose whole response falls
 *  within the first hour (every hourly ordinate underflows) gets UH = [1]. Thread-safe. */
HS_NODISCARD HS_API hs_status hs_irf_make_uh(double length_m, double velo_ms, double diff_m2s,
                                             double dt_s, hs_irf_form form, hs_ctx *ctx,
                                             double **uh, size_t *n);

/** The hourly ordinates of step 1-2 (normalised, tails zeroed) for hours 1 .. *n: for tests of
 *  the shape against analytic moments. *h allocated (hs_free). */
HS_NODISCARD HS_API hs_status hs_irf_hourly_uh(double length_m, double velo_ms, double diff_m2s,
                                               hs_irf_form form, hs_ctx *ctx, double **h,
                                               size_t *n);

/** One step of convolution: adds q_up (m3/s, mean over the step) times uh[0..n) into the ring
 *  `qf[n]` starting at slot `pos` (= step count mod n), returns the routed outflow of the step
 *  (m3/s) and clears its slot. Pure; no allocation. */
HS_API double hs_irf_step(const double *uh, size_t n, double *qf, size_t pos, double q_up);

/* hs_irf_step's body, inline for the router's per-segment kernel (a call per segment, step and
 * convolution cost more than the few ordinates of most reaches). */
static inline double hs_irf_ring_step(const double *uh, size_t n, double *qf, size_t pos,
                                      double q_up) {
    if (q_up != 0.0) {
        /* the ring wraps once: two straight loops instead of a modulo per ordinate */
        const size_t first = n - pos;
        for (size_t k = 0; k < first; k++) qf[pos + k] += uh[k] * q_up;
        for (size_t k = first; k < n; k++) qf[k - first] += uh[k] * q_up;
    }
    const double out = qf[pos];
    qf[pos] = 0.0;
    return out;
}

#endif /* HS_ROUTING_IRF_H */
