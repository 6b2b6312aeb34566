/* hs_fuse.h -- FUSE, the Framework for Understanding Structural Errors (Clark et al. 2008,
 * WRR 44, W00B02), as a native hydroscale model: docs-models.md §3.
 *
 * FUSE builds a model from decisions (docs §3.1): the architecture of the upper layer (ARCH1) and
 * of the lower layer and baseflow (ARCH2), surface runoff (QSURF), percolation (QPERC),
 * evaporation (ESOIL), interflow (QINTF), the time delay (Q_TDH), rainfall error (RFERR) and snow
 * (SNOWM). The four parent models PRMS, Sacramento, TOPMODEL and ARNO/VIC are decision sets.
 *
 * Options (text values, case-insensitive; a bad value gives HS_ERR_CONFIG naming the key, the
 * value and what is allowed):
 *   FUSE_STRUCTURE   PRMS | SACRAMENTO | TOPMODEL | VIC (default VIC; docs §3.1 table)
 *   FUSE_DECISIONS   single decisions overriding the structure, as a map text:
 *                    "{ARCH1: tension1_1, QSURF: arno_x_vic}" (braces optional, ':' or '='
 *                    between name and token, ',' or ';' between entries; tokens are FUSE's)
 *   FUSE_NUMERICS    implicit (default: implicit Euler over the whole day, Newton iteration with
 *                    logistic smoothing of the thresholds, FUSE-style state fixing; docs §3.7) |
 *                    explicit_substep (explicit Euler with FUSE_SUBSTEPS fixed sub-steps,
 *                    fill-and-spill overflow, outfluxes limited so no store goes below 0)
 *   FUSE_SUBSTEPS    sub-steps per day of explicit_substep, 1..1440 (default 24)
 *   FUSE_SNOW        on (default; SNOWM = temp_index) | off (SNOWM = no_snowmod)
 *   FUSE_ELEV_BANDS  hypsometry for the snow model, "AF:Z, AF:Z, ..." (area fraction, band mid
 *                    elevation in m; up to HS_FUSE_MAX_BANDS bands, fractions summing to 1 within
 *                    1e-6). Default: one band at the forcing elevation (docs §3.4).
 *   FUSE_FORCING_ELEV elevation of the forcing in m (default: the area-weighted mean band
 *                    elevation, so that one band means no lapse-rate or OPG correction).
 *   The bands apply to every HRU of the model.
 *
 * Units: fluxes mm/d (daily step), stores mm, temperature degC. Outputs: runoff_mm = routed
 * runoff (gamma time delay, docs §3.5), aet_mm = E_1 + E_2, input_mm = precipitation after the
 * rainfall error and the band corrections (area-weighted). storage_mm = soil stores + area-
 * weighted SWE of the bands + water in the routing buffer, so that per step
 * input - aet - runoff = d(storage) to round-off, whatever the numerics.
 *
 * Physical limits checked by init (errors name the parameter, HRU and value; the model is left
 * unchanged on error): every value finite; MAXWATR_1, MAXWATR_2 > 0; FRACTEN, FRCHZNE, FPRIMQB,
 * RTFRAC1, PERCFRAC, FRACLOWZ in (0, 1); PERCEXP, SACPEXP, QB_POWR, TISHAPE > 0; LOGLAMB > 3
 * (the offset of the topographic-index distribution); 0 < TIMEDELAY <= 7 d (the routing buffer
 * holds HS_FUSE_ROUTING_CAP days); SAREAMAX in [0, 1]; RFERR_MLT, PERCRTE, SACPMLT, IFLWRTE,
 * BASERTE, QB_PRMS, QBRATE_2A, QBRATE_2B, AXV_BEXP, MFMAX, MFMIN, OPG >= 0; OPG such that the
 * band precipitation factor stays positive. */
#ifndef HS_HYDRO_FUSE_H
#define HS_HYDRO_FUSE_H

#include <stddef.h>

#include "hs_api.h"
#include "hs_ctx.h"
#include "hs_model.h"

/** Parameters, in the order of docs-models.md §3.6 (FUSE names). */
enum {
    HS_FUSE_RFERR_ADD, HS_FUSE_RFERR_MLT, HS_FUSE_MAXWATR_1, HS_FUSE_MAXWATR_2, HS_FUSE_FRACTEN,
    HS_FUSE_FRCHZNE, HS_FUSE_FPRIMQB, HS_FUSE_RTFRAC1, HS_FUSE_PERCRTE, HS_FUSE_PERCEXP,
    HS_FUSE_SACPMLT, HS_FUSE_SACPEXP, HS_FUSE_PERCFRAC, HS_FUSE_FRACLOWZ, HS_FUSE_IFLWRTE,
    HS_FUSE_BASERTE, HS_FUSE_QB_POWR, HS_FUSE_QB_PRMS, HS_FUSE_QBRATE_2A, HS_FUSE_QBRATE_2B,
    HS_FUSE_SAREAMAX, HS_FUSE_AXV_BEXP, HS_FUSE_LOGLAMB, HS_FUSE_TISHAPE, HS_FUSE_TIMEDELAY,
    HS_FUSE_MBASE, HS_FUSE_MFMAX, HS_FUSE_MFMIN, HS_FUSE_PXTEMP, HS_FUSE_OPG, HS_FUSE_LAPSE,
    HS_FUSE_NPAR
};

/** Decision options (docs §3.1); the order is the order of the tokens in hs_fuse.c. */
enum { HS_FUSE_ADDITIVE_E, HS_FUSE_MULTIPLC_E };                          /* RFERR */
enum { HS_FUSE_ONESTATE_1, HS_FUSE_TENSION1_1, HS_FUSE_TENSION2_1 };      /* ARCH1 */
enum { HS_FUSE_TENS2PLL_2, HS_FUSE_UNLIMFRC_2, HS_FUSE_UNLIMPOW_2, HS_FUSE_FIXEDSIZ_2 }; /* ARCH2 */
enum { HS_FUSE_ARNO_X_VIC, HS_FUSE_PRMS_VARNT, HS_FUSE_TMDL_PARAM };      /* QSURF */
enum { HS_FUSE_PERC_F2SAT, HS_FUSE_PERC_W2SAT, HS_FUSE_PERC_LOWER };      /* QPERC */
enum { HS_FUSE_SEQUENTIAL, HS_FUSE_ROOTWEIGHT };                          /* ESOIL */
enum { HS_FUSE_INTFLWNONE, HS_FUSE_INTFLWSOME };                          /* QINTF */
enum { HS_FUSE_ROUT_GAMMA, HS_FUSE_NO_ROUTING };                          /* Q_TDH */
enum { HS_FUSE_TEMP_INDEX, HS_FUSE_NO_SNOWMOD };                          /* SNOWM */

/** One model structure: one option index per decision. Plain data. */
typedef struct hs_fuse_decisions {
    int rferr, arch1, arch2, qsurf, qperc, esoil, qintf, q_tdh, snowm;
} hs_fuse_decisions;

/** Bucket sizes and other values derived once per parameter set (docs §3.2), mm or mm/d. */
typedef struct hs_fuse_derived {
    double maxtens_1, maxfree_1, maxtens_1a, maxtens_1b;
    double maxtens_2, maxfree_2, maxfree_2a, maxfree_2b;
    double rtfrac2;
    double qbsat;   /* baseflow at saturation, mm/d (depends on ARCH2) */
    double chi;     /* scale of the log-topographic-index gamma distribution */
    double powlamb; /* mean power-transformed topographic index (TOPMODEL decisions, else 0) */
    double maxpow;  /* power-transformed index of the last bin (TOPMODEL decisions, else 0) */
} hs_fuse_derived;

#define HS_FUSE_MAX_BANDS 32
/** Ring-buffer slots of the gamma time delay (days); bounds TIMEDELAY <= 7 d. */
#define HS_FUSE_ROUTING_CAP 128

/** The FUSE entry of the model registry. */
HS_API extern const hs_model_ops hs_fuse_ops;

/** Decision set of a parent model "PRMS", "SACRAMENTO", "TOPMODEL" or "VIC" (case-insensitive;
 *  docs §3.1 table, with Q_TDH = rout_gamma, RFERR = multiplc_e, SNOWM = temp_index).
 *  HS_ERR_CONFIG naming the allowed names otherwise. */
HS_NODISCARD HS_API hs_status hs_fuse_structure(const char *name, hs_fuse_decisions *out,
                                                hs_ctx *ctx);

/** Derived values of docs §3.2 for parameters p[HS_FUSE_NPAR] under decisions d (POWLAMB and
 *  MAXPOW only when ARCH2 = unlimpow_2 or QSURF = tmdl_param: 2000 incomplete-gamma bins).
 *  Pure, thread-safe; expects parameters within the physical limits (see above). */
HS_API void hs_fuse_derive(const hs_fuse_decisions *d, const double *p, hs_fuse_derived *out);

/** Gamma time-delay fractions (docs §3.5): shape 2.5, mean `timedelay_d` days, daily step,
 *  stopped at the first fraction below machine epsilon and renormalised to sum 1. Writes up to
 *  cap values into f and returns their number; 0 when timedelay_d is not positive and finite, or
 *  when the fractions do not fall below epsilon within cap steps. Pure, thread-safe. */
HS_API size_t hs_fuse_gamma_fractions(double timedelay_d, double *f, size_t cap);

/** Implicit-solver diagnostics of `model` since its last hs_model_init, summed over HRUs:
 *  HRU-days whose Newton from the start state failed and were rescued by continuation to a
 *  residual <= 1e-9 (`rescued`), and those left with a larger residual (`unconverged`; their
 *  mass balance still holds). Either pointer may be NULL. false when model is not FUSE. Not
 *  thread-safe against a concurrent hs_model_run. */
HS_API bool hs_fuse_solver_days(const hs_model *model, size_t *rescued, size_t *unconverged);

/** The implicit solver checked against itself (for tests): runs the soil of HRU 0 of `model`
 *  (after hs_model_init) over n days of effective input peff and PET (mm/d, no snow), from its
 *  current states and with its solver and state fixing, without changing the model, and
 *  evaluates afresh the residual of every day's Newton end state. *worst: the largest such
 *  scaled residual (|g| / (1 + |x|), the solver's measure) over the days the solver reported
 *  converged, *n_converged: those days. false when model is not FUSE or not initialised. */
HS_API bool hs_fuse_check_newton(const hs_model *model, const double *peff, const double *pet,
                                 size_t n, double *worst, size_t *n_converged);

#endif /* HS_HYDRO_FUSE_H */
