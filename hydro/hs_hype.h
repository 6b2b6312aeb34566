/* hs_hype.h -- HYPE soil-and-snow core, one land class per HRU (Lindström et al. 2010, Hydrology
 * Research 41:295), docs-models.md §4, checked there against HYPE 5.18.0.
 *
 * What one HRU is: a single land class (one land use, one soil type) with up to three soil
 * layers, degree-day snow, HYPE's infiltration / macropore / surface-runoff split, capped
 * percolation and layer-wise recession runoff (docs §4.1-§4.7). Only HYPE's default options are
 * covered (docs §4 intro): no snow evaporation, no soil frost, no tiles, no regional
 * groundwater, no lakes; input corrections are 0. River routing (docs §4.8) is not part of this
 * core: runoff_mm is the class runoff sat + excess + q1 + q2 + q3 (docs §4.7 last item).
 *
 * Options (text values, case-insensitive; a bad value gives HS_ERR_CONFIG naming the key and
 * the allowed values):
 *   HYPE_PET           forcing (default) | hype. forcing: epot = the forcing's pet_mm, as the
 *                      other models do. hype: HYPE's own temperature-index PET (docs §4.4),
 *                      epot = cevp*(1 + cevpam*sin(2*pi*(J - cevpph)/365))*(T - ttmp) for
 *                      T > ttmp, J = day of year of the step (forcing first_day + t); pet_mm is
 *                      then not read and may be NULL. cevp, cevpam and cevpph are used only here.
 *   HYPE_INITIAL_SOIL  fc (default) | ep: initial S_k = wp_k + fc_k, or wp_k + fc_k + ep_k
 *                      (docs §4.1). Snow starts at 0.
 *
 * Soil geometry: the layer thicknesses d_1..d_3 (m) are parameters (thick1..3, not calibrated
 * by default); bottom depths are z_k = d_1 + ... + d_k (docs §4.1). d_2 = 0 gives a one-layer
 * soil, d_3 = 0 a two-layer soil; d_3 > 0 needs d_2 > 0. The drainage depth is D = z_N, the
 * deepest bottom, as docs §4.7 prescribes for a single HRU. The subbasin mean slope (%, GeoData
 * slope_mean, used with rrcs3) is the parameter `slope`. One set of pore fractions (wcwp, wcfc,
 * wcep) serves all layers (HYPE's per-layer wcwp1..3 overrides are not offered).
 *
 * Physical limits checked by init (errors name the parameter, HRU and value): all finite;
 * thick1 > 0, thick2 and thick3 >= 0, thick3 > 0 only with thick2 > 0; wcfc and wcep in (0, 1]
 * (they divide), wcwp in [0, 1]; lp > 0 and rrcs1 > 0 (they divide); whcsnow in [0, 1);
 * cevpam in [-1, 1] (keeps the PET factor >= 0); every other rate, fraction or threshold >= 0.
 * The sum wcwp + wcfc + wcep is not checked (HYPE does not check it either, and the equations
 * stay well defined).
 *
 * Fluxes: input_mm = precipitation (no corrections), aet_mm = soil ET from layers 1-2,
 * runoff_mm = class runoff. storage_mm = SWE (ice + liquid) + S_1 + S_2 + S_3 (S_k counts the
 * wilting-point water, so the stores are never empty). */
#ifndef HS_HYDRO_HYPE_H
#define HS_HYDRO_HYPE_H

#include "hs_api.h"
#include "hs_model.h"

/* Parameter indices into one HRU's row of the parameter array (docs-models.md §4.9 names). */
enum {
    HS_HYPE_TTMP, HS_HYPE_TTPD, HS_HYPE_TTPI, HS_HYPE_CMLT, HS_HYPE_WHCSNOW,
    HS_HYPE_CEVP, HS_HYPE_CEVPAM, HS_HYPE_CEVPPH, HS_HYPE_LP, HS_HYPE_EPOTDIST,
    HS_HYPE_WCWP, HS_HYPE_WCFC, HS_HYPE_WCEP, HS_HYPE_MPERC1, HS_HYPE_MPERC2,
    HS_HYPE_RRCS1, HS_HYPE_RRCS2, HS_HYPE_RRCS3, HS_HYPE_SLOPE, HS_HYPE_SRRCS,
    HS_HYPE_SRRATE, HS_HYPE_MACRATE, HS_HYPE_MACTRINF, HS_HYPE_MACTRSM,
    HS_HYPE_THICK1, HS_HYPE_THICK2, HS_HYPE_THICK3,
    HS_HYPE_NPAR
};

/** The HYPE entry of the model registry. */
HS_API extern const hs_model_ops hs_hype_ops;

/** State of one HRU (mm): layer totals S_1..S_3 (wilting-point water included; 0 for absent
 *  layers), the snow water equivalent (ice + liquid) and its liquid part. */
typedef struct hs_hype_state {
    double soil_mm[3];
    double swe_mm;
    double snow_liquid_mm;
} hs_hype_state;

/** Copies the state of HRU `hru` of a model created with hs_model_create(&hs_hype_ops, ...)
 *  into *out (for tests and diagnostics; hs_model_storage_mm gives the total). Returns
 *  HS_ERR_ARG (message in ctx) when m or out is NULL, m is not a HYPE model or not initialised,
 *  or hru is out of range. Reads only; safe while no run() writes that HRU. */
HS_NODISCARD HS_API hs_status hs_hype_get_state(const hs_model *m, size_t hru, hs_ctx *ctx,
                                                hs_hype_state *out);

#endif /* HS_HYDRO_HYPE_H */
