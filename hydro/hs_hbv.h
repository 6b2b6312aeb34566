/* hs_hbv.h -- HBV-96 / HBV-light (Lindström et al. 1997; Seibert & Vis 2012), docs-models.md §1.
 *
 * Two variants of one model:
 *  - "symfluence" (default): reproduces SYMFLUENCE's NumPy HBV to round-off (bulk recharge with
 *    SM before the input, AET from SM after the input, sampled triangular MAXBAS with a 10-step
 *    buffer, initial SM 150, SUZ 10, SLZ 10, SP = WC = 0);
 *  - "light": HBV-light (1-mm recharge increments, integral MAXBAS weights, SM0 = LP*FC, other
 *    stores empty).
 * Each switch can also be set on its own through options (see hs_hbv_ops in hs_hbv.c).
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

/** MAXBAS weights. `integral` = 0: SYMFLUENCE's sampled triangle over HS_HBV_ROUTING_BUFFER
 *  steps (with its 1e-10 term); 1: the integral of the triangle over each day (HBV-light).
 *  Writes up to `cap` weights into w and returns how many are non-zero-length (<= cap). */
HS_API size_t hs_hbv_maxbas_weights(double maxbas, int integral, double *w, size_t cap);

#endif /* HS_HYDRO_HBV_H */
