/* hs_hbv.h -- HBV-96 / HBV-light (Lindström et al. 1997; Seibert & Vis 2012), docs-models.md §1.
 *
 * Two variants of one model:
 *  - "symfluence" (default): reproduces SYMFLUENCE's NumPy HBV to round-off (bulk recharge with
 *    SM before the input, AET from SM after the input, sampled triangular MAXBAS with a 10-step
 *    buffer, initial SM 150, SUZ 10, SLZ 10, SP = WC = 0);
 *  - "light": HBV-light (1-mm recharge increments, integral MAXBAS weights, SM0 = LP*FC, other
 *    stores empty).
 * Each switch can also be set on its own through options (values are text, case-insensitive;
 * a bad value gives HS_ERR_CONFIG naming the key and the allowed values):
 *   HBV_VARIANT        symfluence (default) | light      -- sets the defaults of the switches below
 *   HBV_RECHARGE       bulk (symfluence) | increment (light: 1-mm steps, floor, docs §1.3)
 *   HBV_AET_SM         after (symfluence, docs §1.3 (c)) | mean (light, (a))
 *   HBV_AET_SNOW_OFF   false (default) | true: AET = 0 while snow lay at the start of the step (b)
 *   HBV_MAXBAS         sampled (symfluence) | integral (light)
 *   HBV_INITIAL_SM, HBV_INITIAL_SUZ, HBV_INITIAL_SLZ, HBV_INITIAL_SNOW   mm >= 0; symfluence
 *                      150, 10, 10, 0; light LP*FC, 0, 0, 0 (liquid water in the pack starts at 0)
 *   HBV_ROUTING_BUFFER length L of the sampled scheme's buffer, 1..16 steps (default
 *                      HS_HBV_ROUTING_BUFFER = 10, as docs §1.5; SYMFLUENCE's current
 *                      create_initial_state() allocates ceil(10) + 2 = 12 slots, which changes the
 *                      normaliser's 1e-10 terms: set 12 to match that code to the last bit).
 * Physical limits checked by init (errors name the parameter, HRU and value): all finite; FC, LP
 * > 0; CFMAX, SFCF, CFR, CWH, BETA, UZL, PERC >= 0; K0, K1, K2 in [0, 1]; MAXBAS in [0, 16] d.
 * Fluxes: input_mm = rainfall + SFCF * snowfall, aet_mm, runoff_mm = routed runoff; storage_mm =
 * SP + WC + SM + SUZ + SLZ + the routing buffer. The sampled weights sum to slightly less than 1
 * (the 1e-10 terms), so the symfluence variant loses ~1e-9 of its runoff, as SYMFLUENCE does.
 * Parameter names are SYMFLUENCE's lower-case names (tt, cfmax, sfcf, cfr, cwh, fc, lp, beta,
 * k0, k1, k2, uzl, perc, maxbas). */
#ifndef HS_HYDRO_HBV_H
#define HS_HYDRO_HBV_H

#include <stddef.h>

#include "hs_api.h"
#include "hs_model.h"

enum {
    HS_HBV_TT, HS_HBV_CFMAX, HS_HBV_SFCF, HS_HBV_CFR, HS_HBV_CWH, HS_HBV_FC, HS_HBV_LP,
    HS_HBV_BETA, HS_HBV_K0, HS_HBV_K1, HS_HBV_K2, HS_HBV_UZL, HS_HBV_PERC, HS_HBV_MAXBAS,
    HS_HBV_NPAR
};

/** Length of SYMFLUENCE's MAXBAS buffer (steps). */
#define HS_HBV_ROUTING_BUFFER 10

/** The HBV entry of the model registry. */
HS_API extern const hs_model_ops hs_hbv_ops;

/** MAXBAS routing weights (docs-models.md §1.5). `integral` = 0: SYMFLUENCE's sampled triangle
 *  over HS_HBV_ROUTING_BUFFER steps (with its 1e-10 term, normaliser summed in NumPy's pairwise
 *  order); 1: the integral of the triangle over each day (HBV-light). MAXBAS <= 1 (or NaN) gives
 *  (1, 0, ...). Fills all of w[0..cap) (zeros past the last weight) and returns the number of
 *  leading entries up to and including the last non-zero weight (<= cap; weights that would lie
 *  beyond cap are dropped). Returns 0 when w is NULL or cap is 0. Pure, thread-safe. */
HS_API size_t hs_hbv_maxbas_weights(double maxbas, int integral, double *w, size_t cap);

/** As hs_hbv_maxbas_weights() with the sampled scheme's buffer length given: `buffer_len` steps
 *  (the HBV_ROUTING_BUFFER option; at most 64 are used; 0 gives no weights and returns 0 unless
 *  MAXBAS <= 1). Ignored by the integral scheme. */
HS_API size_t hs_hbv_maxbas_weights_len(double maxbas, int integral, size_t buffer_len, double *w,
                                        size_t cap);

#endif /* HS_HYDRO_HBV_H */
