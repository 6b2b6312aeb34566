/* hs_uh.h -- gamma unit hydrographs for hillslope routing (docs-models.md §6.2, mizuRoute's
 * basinUH; the same shape serves FUSE's time delay, §3.5).
 *
 * The runoff of one step is spread over the following steps with the fractions of a gamma
 * distribution of shape a and scale theta (mean a*theta):
 *     f_j = P(a, j dt/theta) - P(a, (j-1) dt/theta),   j = 1 .. n,   then f /= sum(f),
 * P being the regularised lower incomplete gamma function. mizuRoute chooses n by bisection on
 * [1, 1000] steps until P(a, n dt/theta) lies in (0.99, 0.999) and takes its ceiling; when one
 * step already holds more than 0.999, n = ceil(1.999) = 2. Pure functions, thread-safe, no
 * allocation. */
#ifndef HS_ROUTING_UH_H
#define HS_ROUTING_UH_H

#include <stddef.h>

#include "hs_api.h"
#include "hs_ctx.h"

/** Regularised lower incomplete gamma P(a, x); the same as hs_math_gamma_p (core/hs_math.h),
 *  kept under this name for routing callers. P(a, x) = gamma(a, x) / Gamma(a), for a > 0, x >= 0
 *  (series below a + 1, continued fraction above; relative accuracy ~1e-15). NaN for a <= 0,
 *  x < 0 or NaN arguments. */
HS_API double hs_uh_gamma_p(double a, double x);

/** Number of ordinates mizuRoute's basinUH keeps for shape `fshape` and scale `tscale_s`
 *  (seconds) at a step of `dt_s` seconds. HS_ERR_ARG for non-positive arguments;
 *  HS_ERR_NUMERIC when the bisection finds no length within 1000 steps (a scale much longer
 *  than the step). Messages name the parameters. */
HS_NODISCARD HS_API hs_status hs_uh_hillslope_len(double fshape, double tscale_s, double dt_s,
                                                  hs_ctx *ctx, size_t *n_out);

/** Writes the n normalised gamma fractions into w[n] (n >= 1): shape `fshape`, scale and step in
 *  the same unit. HS_ERR_ARG for non-positive arguments. */
HS_NODISCARD HS_API hs_status hs_uh_gamma_fractions(double fshape, double tscale, double dt,
                                                    size_t n, double *w, hs_ctx *ctx);

#endif /* HS_ROUTING_UH_H */
