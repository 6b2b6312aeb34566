/* hs_cemaneige.h -- CemaNeige degree-day snow routine with elevation layers (Valéry 2010;
 * Valéry et al. 2014), exactly as airGR 1.7.6 implements it: docs-models.md §2.5.
 *
 * A building block, not a registered model: GR4J uses it when its SNOW_MODULE is CemaNeige
 * (hydro/hs_gr4j.h, model "GR4J_CemaNeige"). It is a set of pure functions over plain data:
 *  - hs_cemaneige_layers_init(): the layer elevations from the 101-value hypsometric curve
 *    (airGR DataAltiExtrapolation_Valery, "ElevationLayers_Creation");
 *  - hs_cemaneige_extrapolate(): one day's catchment P and T to the layers (precipitation
 *    gradient 0.00041 m-1 capped at 4000 m and rescaled to the catchment mean, daily temperature
 *    gradient table .GradT_Valery2010, USACE solid fraction);
 *  - hs_cemaneige_mean_annual_solid_precip(): airGR's MeanAnSolidPrecip over a series;
 *  - hs_cemaneige_step(): one step of one layer (airGR frun_CEMANEIGE.f90, non-hysteresis).
 * Nothing here allocates, prints or keeps global state; everything is thread-safe.
 *
 * Units: precipitation and melt in mm per daily step, temperature in degC, elevations in m a.s.l.
 * The hysteresis variant (Riboust et al. 2019) and the "Hydrotel" solid fraction (which needs
 * Tmin/Tmax) are not implemented. */
#ifndef HS_HYDRO_CEMANEIGE_H
#define HS_HYDRO_CEMANEIGE_H

#include <stdbool.h>
#include <stddef.h>

#include "hs_api.h"
#include "hs_ctx.h"
#include "hs_time.h"

/** Values of a hypsometric curve: elevations of the 0, 1, ..., 100 % quantiles (airGR HypsoData). */
#define HS_CEMANEIGE_NHYPSO 101
/** Most elevation layers (each layer needs at least one percentile interval). */
#define HS_CEMANEIGE_MAX_LAYERS 100

/** Elevation layers of one catchment (plain data, filled by hs_cemaneige_layers_init()). */
typedef struct hs_cemaneige_layers {
    size_t n_layers;
    double z_m[HS_CEMANEIGE_MAX_LAYERS]; /* layer elevations ZLayers, m */
    double z_input_m;                    /* elevation of the forcing (airGR ZInputs), m */
    bool no_extrapolation; /* one layer and ZInputs == HypsoData[50]: forcing used as is */
} hs_cemaneige_layers;

/** Builds the layers (docs-models.md §2.5 "Elevation layers"): n_layers in [1, 100], hypso_m has
 *  101 finite, non-decreasing elevations; z_input_m is the forcing's elevation (NaN: the median
 *  hypso_m[50], airGR's usual choice). Returns HS_ERR_ARG with a message naming the bad value. */
HS_NODISCARD HS_API hs_status hs_cemaneige_layers_init(const double *hypso_m, size_t n_layers,
                                                       double z_input_m, hs_ctx *ctx,
                                                       hs_cemaneige_layers *out);

/** airGR's daily gradient of mean air temperature (.GradT_Valery2010 "grad_Tmean"), degC per
 *  100 m, for a calendar day (29 February included). NaN for an invalid month/day. */
HS_API double hs_cemaneige_temp_gradient(int month, int day);

/** USACE solid fraction of precipitation at temperature t (degC): 1 below -1, 0 above +3,
 *  linear between (airGR's default rule). */
HS_API double hs_cemaneige_solid_fraction(double t_c);

/** Extrapolates one day's catchment precipitation (mm) and mean temperature (degC) on `day` to
 *  the layers (docs-models.md §2.5 "Extrapolation"); writes n_layers values to each of p_mm,
 *  t_c and fsol (none may be NULL). Pure. */
HS_API void hs_cemaneige_extrapolate(const hs_cemaneige_layers *layers, hs_day day,
                                     double precip_mm, double temp_c, double *p_mm, double *t_c,
                                     double *fsol);

/** airGR's MeanAnSolidPrecip (mm/yr): the mean over the n_time days of sum_k(Fsol_k * P_k / N),
 *  times 365.25. precip/temp are read at [t * stride] (stride >= 1, so one HRU of a time-major
 *  array can be passed). NaN when n_time is 0. Pure. */
HS_API double hs_cemaneige_mean_annual_solid_precip(const hs_cemaneige_layers *layers,
                                                    hs_day first_day, const double *precip_mm,
                                                    const double *temp_c, size_t n_time,
                                                    size_t stride);

/** Fluxes of one layer and step (airGR CemaNeige output names). */
typedef struct hs_cemaneige_fluxes {
    double pliq, psol;   /* liquid and solid precipitation, mm */
    double pot_melt;     /* potential melt, mm */
    double melt;         /* actual melt, mm */
    double gratio;       /* snow cover fraction after the melt, - */
    double pliq_and_melt; /* water leaving the layer, mm */
} hs_cemaneige_fluxes;

/** One step of one layer, airGR frun_CEMANEIGE.f90 order (docs-models.md §2.5 steps 1-8).
 *  *g_mm (snow pack) and *etg_c (thermal state) are updated in place. ctg in [0, 1], kf >= 0,
 *  gthreshold_mm > 0 (= 0.9 * MeanAnSolidPrecip, see hs_cemaneige_gthreshold()). Returns
 *  PliqAndMelt; `out` may be NULL. Pure. */
HS_API double hs_cemaneige_step(double *g_mm, double *etg_c, double p_mm, double fsol,
                                double t_c, double ctg, double kf, double gthreshold_mm,
                                hs_cemaneige_fluxes *out);

/** Gthreshold = 0.9 * MeanAnSolidPrecip with airGR's constant (a Fortran default-real 0.9). */
HS_API double hs_cemaneige_gthreshold(double mean_annual_solid_precip_mm);

#endif /* HS_HYDRO_CEMANEIGE_H */
