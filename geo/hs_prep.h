/* hs_prep.h -- forcing preparation for a point station: gap filling and the elevation transfer
 * from the station to each HRU (docs-interface.md §2 keys FORCING_ELEVATION, HRU_ELEVATION,
 * APPLY_LAPSE_RATE, LAPSE_RATE, PRECIP_GRADIENT).
 *
 * Gap rule: a run of at most `max_gap_days` consecutive missing days strictly inside the series is
 * filled: temperature and PET linearly between the neighbouring valid days, precipitation with 0
 * (a missing day at a gauge is most often a dry day, and inventing rain would bias the water
 * balance upwards). Longer gaps, and gaps touching either end of the period, are errors naming
 * the file, variable and dates.
 *
 * Elevation transfer (dz = z_hru - z_forcing, metres):
 *   T_hru = T - lapse_rate * dz          (lapse_rate in K/m, 0.0065 by default; when enabled)
 *   P_hru = P * max(0, 1 + gradient * dz / 100)   (gradient: relative increase per 100 m)
 *   PET is not changed (recompute it from T_hru if wanted). */
#ifndef HS_GEO_PREP_H
#define HS_GEO_PREP_H

#include <stdbool.h>
#include <stddef.h>

#include "hs_api.h"
#include "hs_ctx.h"
#include "hs_forcing.h"

typedef struct hs_gap_report {
    size_t filled_precip; /* days filled per variable */
    size_t filled_temp;
    size_t filled_pet;
} hs_gap_report;

/** Fills gaps of f (all HRUs) restricted to the steps [first, first + count) in place.
 *  `label` names the file in messages; `names` (nullable) gives the variables' names in that
 *  file, which messages use beside the role ("variable 'Tmean_C' (temp)"); without it variables
 *  are named by role ("precip", "temp", "pet").
 *  The report (may be NULL) counts filled values per variable (days x HRUs). On error
 *  (HS_ERR_FORMAT for a gap that cannot be filled, HS_ERR_ARG for a bad window) f is left
 *  unchanged. Thread-safe for distinct forcings. */
HS_NODISCARD HS_API hs_status hs_prep_fill_gaps(hs_ctx *ctx, const char *label,
                                                const hs_forcing_spec *names, hs_forcing *f,
                                                size_t first, size_t count, size_t max_gap_days,
                                                hs_gap_report *report);

typedef struct hs_elev_spec {
    double z_forcing_m;     /* elevation the forcing represents */
    const double *z_hru_m;  /* [n_hru_out] */
    size_t n_hru_out;
    bool apply_lapse;
    double lapse_rate_k_per_m;
    double precip_gradient_per_100m;
} hs_elev_spec;

/** Builds per-HRU forcing [count][n_hru_out] from a lumped (n_hru == 1) or already per-HRU
 *  (n_hru == n_hru_out) forcing, over the steps [first, first + count). Output arrays are
 *  allocated into *out (free with hs_forcing_destroy); its first_day is in->first_day + first.
 *  pet_mm is copied when present. A per-HRU input is transferred with the same formulas (use
 *  apply_lapse = false and a zero gradient when it already represents each HRU). Missing values
 *  (NaN) stay missing: fill gaps first. HS_ERR_ARG for inconsistent sizes, HS_ERR_CONFIG for a
 *  non-finite lapse rate or gradient. Thread-safe. */
HS_NODISCARD HS_API hs_status hs_prep_to_hrus(hs_ctx *ctx, const hs_forcing *in, size_t first,
                                              size_t count, const hs_elev_spec *spec,
                                              hs_forcing **out);

#endif /* HS_GEO_PREP_H */
