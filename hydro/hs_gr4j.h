/* hs_gr4j.h -- GR4J (Perrin, Michel & Andréassian 2003, J. Hydrol. 279:275) exactly as airGR
 * 1.7.6 implements it (src/frun_GR4J.f90, src/utils_D.f90), with the optional CemaNeige snow
 * routine in front of it (hydro/hs_cemaneige.h): docs-models.md §2.1-§2.5.
 *
 * Two registry entries share this one implementation, because a model's parameter table is one
 * static table per hs_model_ops and CemaNeige adds two calibrated parameters:
 *   "GR4J"            x1, x2, x3, x4; SNOW_MODULE may be unset or "none". Setting it to
 *                     "CemaNeige" is an HS_ERR_CONFIG that names the "GR4J_CemaNeige" entry (the
 *                     GR4J table has no ctg/kf, so they could not be calibrated).
 *   "GR4J_CemaNeige"  x1, x2, x3, x4, ctg, kf (airGR's RunModel_CemaNeigeGR4J and its
 *                     parameter order); SNOW_MODULE may be unset or "CemaNeige".
 * This keeps hs_model_ops and the drivers unchanged and makes the default PARAMS_TO_CALIBRATE
 * right in both cases (a single table with ctg/kf marked "not calibrated" would silently leave
 * them at their defaults whenever the snow module is on).
 *
 * Options (text values, keys as in the config; errors are HS_ERR_CONFIG naming key and value):
 *   SNOW_MODULE               none | CemaNeige (case-insensitive; "" = the entry's default)
 *   SNOW_LAYERS               CemaNeige elevation layers, 1..100 (default 5, as airGR)
 *   HYPSOMETRIC_CURVE         101 elevations in m (quantiles 0..100 %, airGR HypsoData),
 *                             written "[z0, z1, ...]" or "z0, z1, ..."; required with CemaNeige
 *   FORCING_ELEVATION         elevation of the P/T forcing in m (airGR ZInputs); default the
 *                             curve's median. NB: the driver also uses this key to lapse the
 *                             forcing to HRU_ELEVATION; with CemaNeige leave HRU_ELEVATION unset
 *                             so that the forcing reaches the model at FORCING_ELEVATION.
 *   MEAN_ANNUAL_SOLID_PRECIP  mm/yr (airGR MeanAnSolidPrecip), > 0; default: computed per HRU
 *                             by the first run() of the model over the forcing window it is
 *                             given, then kept for the model's life (later init()s keep it, so
 *                             all evaluations of a calibration share one melt threshold). airGR
 *                             uses the whole input series: pass that value (e.g. from
 *                             hs_cemaneige_mean_annual_solid_precip()) to reproduce airGR, or
 *                             whenever the first run covers only part of the series (the CLI's
 *                             first run covers spin-up + calibration).
 *
 * States per HRU: production store S, routing store R, the UH1/UH2 shift registers (20 and 40
 * cells), and per CemaNeige layer the snow pack G and thermal state eTG. init() sets airGR's
 * defaults: S = 0.3*X1, R = 0.5*X3, empty UHs, G = eTG = 0 (docs §2.1, §2.5).
 * Physical limits checked by init (errors name the parameter, HRU and value): all finite;
 * X1 >= 0.01 mm and X3 >= 0.01 mm (airGR's hard limits, which airGR raises silently);
 * 0.5 <= X4 <= 20 d (airGR's lower limit; above 20 d the 20-cell UH1 would truncate the unit
 * hydrograph and lose water); 0 <= ctg <= 1; kf >= 0.
 * Fluxes: runoff_mm = Qsim, aet_mm = AE (actual evapotranspiration), input_mm = catchment
 * precipitation P (with CemaNeige: the mean of the layer precipitations, equal to P to
 * round-off; snow is storage). storage_mm = S + R + the UH cells still to be released + the mean
 * snow pack. GR4J exchanges water with neighbouring catchments (X2): the actual exchange is not
 * a flux of hs_flux_view, so the model accumulates it (hs_gr4j_get_state(): exch_cum_mm) and
 *   sum(input) - sum(aet) - sum(runoff) + exch_cum - (storage_end - storage_start) = 0. */
#ifndef HS_HYDRO_GR4J_H
#define HS_HYDRO_GR4J_H

#include <stddef.h>

#include "hs_api.h"
#include "hs_ctx.h"
#include "hs_model.h"

enum { HS_GR4J_X1, HS_GR4J_X2, HS_GR4J_X3, HS_GR4J_X4, HS_GR4J_NPAR };
/** Parameters of GR4J_CemaNeige: GR4J's, then CemaNeige's CTG (airGR CNX1) and Kf (CNX2). */
enum { HS_GR4J_CTG = HS_GR4J_NPAR, HS_GR4J_KF, HS_GR4J_CN_NPAR };

/** Cells of UH1 (UH2 has twice as many): airGR's NH. */
#define HS_GR4J_NH 20

/** The "GR4J" and "GR4J_CemaNeige" entries of the model registry. */
HS_API extern const hs_model_ops hs_gr4j_ops;
HS_API extern const hs_model_ops hs_gr4j_cemaneige_ops;

/** GR4J state of one HRU (airGR St(1), St(2), StUH1, StUH2). uh1_mm[0] and uh2_mm[0] hold the
 *  outflows Q9 and Q1 of the last step (already released). */
typedef struct hs_gr4j_state {
    double prod_mm;                    /* S, production store */
    double rout_mm;                    /* R, routing store */
    double uh1_mm[HS_GR4J_NH];         /* UH1 shift register */
    double uh2_mm[2 * HS_GR4J_NH];     /* UH2 shift register */
} hs_gr4j_state;

/** Every flux of one GR4J step (airGR MISC names), mm per step. */
typedef struct hs_gr4j_fluxes {
    double pn, en, ps, es, ae, perc, pr, q9, q1, exch, aexch1, aexch2, qr, qd, qsim;
} hs_gr4j_fluxes;

/** UH1 (20) and UH2 (40) ordinates for time base x4 (d) with airGR's exponent 2.5
 *  (docs-models.md §2.2). Pure. */
HS_API void hs_gr4j_uh_ordinates(double x4, double *uh1, double *uh2);

/** One GR4J step, airGR MOD_GR4J (docs-models.md §2.3): updates *st from precipitation p_mm and
 *  PET e_mm with parameters par[4] and the ordinates of hs_gr4j_uh_ordinates(par[3]). Returns
 *  Qsim; `out` (nullable) gets every flux. Pure, allocates nothing. */
HS_API double hs_gr4j_step(hs_gr4j_state *st, const double *uh1, const double *uh2,
                           const double *par, double p_mm, double e_mm, hs_gr4j_fluxes *out);

/** Reads the state of HRU `hru` of a model created from hs_gr4j_ops or hs_gr4j_cemaneige_ops:
 *  *state (nullable) gets the GR4J state; *exch_cum_mm (nullable) the actual exchange summed
 *  since init (positive = gained); snow_mm/thermal_c (nullable, n_layers values each) the
 *  CemaNeige layer states; *gthreshold_mm (nullable) the melt threshold (NaN until known).
 *  HS_ERR_ARG for another model, a bad HRU, or a layer array on a model without snow. */
HS_NODISCARD HS_API hs_status hs_gr4j_get_state(const hs_model *m, size_t hru, hs_ctx *ctx,
                                                hs_gr4j_state *state, double *exch_cum_mm,
                                                double *snow_mm, double *thermal_c,
                                                double *gthreshold_mm);

/** Number of CemaNeige layers of a GR4J model (0 without snow, or for another model). */
HS_API size_t hs_gr4j_n_layers(const hs_model *m);

#endif /* HS_HYDRO_GR4J_H */
