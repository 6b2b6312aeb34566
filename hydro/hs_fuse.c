/* hs_fuse.c -- FUSE (Clark et al. 2008, WRR 44, W00B02), docs-models.md §3.
 *
 * One daily step, per HRU:
 *   snow     temperature-index snow per elevation band, explicit, once per day (§3.4), gives the
 *            effective precipitation Peff into the soil;
 *   soil     the ODE system of §3.3 (saturated area, evaporation, interflow, percolation,
 *            baseflow, overflow) over Δt = 1 d with Peff and PET held constant, solved either
 *              - implicitly (default, SYMFLUENCE's FUSE set-up, §3.7): implicit Euler over the
 *                whole day, Newton iteration on the active states with a forward-difference
 *                Jacobian and a backtracking line search; thresholds use FUSE's logistic
 *                smoother (ψ = 1 % of capacity) so the fluxes are differentiable; or
 *              - explicitly: FUSE_SUBSTEPS explicit Euler sub-steps, overflow as fill-and-spill;
 *   routing  the instantaneous runoff spread over the following days with gamma fractions (§3.5).
 *
 * Mass balance by construction. Whatever the solver, the state change of a step is never taken
 * from the solver itself: the fluxes are evaluated at the solver's end state, and the stores are
 * then updated from those fluxes store by store, downstream order (upper layer before lower
 * layer, tension before free storage). A store that would fall below 0 has its outfluxes scaled
 * down in proportion; a store that would exceed its capacity sends the excess to its overflow
 * flux, which is the inflow of the next store. This is FUSE's FIX_STATES (§3.7), done so that
 * each flux leaves one store and enters the next with the same value, hence
 * input - AET - Q_inst = Δ(soil storage) to round-off, even when Newton did not converge.
 * Differences to FUSE: the lower bound is 0, not 1e-9·capacity; the explicit overflow is
 * fill-and-spill on the net change of the store (in − out beyond the free space), not on the
 * gross inflow; rain falls at T_b >= PXTEMP (FUSE drops it at equality, §3.4).
 *
 * Memory: everything is allocated in create (structure of arrays over HRUs for the states);
 * run() allocates nothing, uses no globals and touches only the HRUs of its range.
 *
 * Speed: the four parent structures with the implicit numerics run in lanes of 8 HRUs (SIMD over
 * HRUs, section "HRU lanes" below), with the scalar code's bits: runoff, AET and storage are
 * identical to the one-HRU-at-a-time solver (max difference 0 on the Bow, 379 and 101 HRUs with
 * varied and random parameters, every parent, bands, additive rainfall error, any HRU and time
 * split). Other decision sets and the explicit numerics run one HRU at a time. The implicit
 * solver's pow and logistic exp are vectorisable (fuse_pow_d, hs_vm_exp: within ~1e-13 relative of
 * glibc's; the explicit numerics keep glibc's pow). That became possible once failed Newton
 * solves were rescued (fuse_rescue): before, a day where Newton stalled far from the root kept
 * whatever iterate it stopped at, and such days' runoff moved by up to 70 % with the last bits
 * of pow. docs/performance.md has the costs. */
#include "hs_fuse.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hs_math.h"
#include "hs_prefetch.h"
#include "hs_time.h"
#include "hs_vmath.h"

#define FUSE_RING_MASK (HS_FUSE_ROUTING_CAP - 1)
#define FUSE_NSLOT 6          /* state slots: 0..2 upper layer, 3..5 lower layer */
/* rows of m->sens (fuse_guess): dP and dE per slot, the last day's peff and pet */
enum { FUSE_SENS_P = 0, FUSE_SENS_E = FUSE_NSLOT, FUSE_SENS_PEFF = 2 * FUSE_NSLOT, FUSE_SENS_PET,
       FUSE_NSENS };
#define FUSE_GAMMA_SHAPE 2.5  /* §3.5: fixed shape of the time delay */
#define FUSE_PSMOOTH 0.01     /* §3.3 item 7: ψ = PSMOOTH · capacity */
#define FUSE_TI_BINS 2000     /* §3.2: bins of ln(a) on [0, 50] */
#define FUSE_TI_MAX 50.0
#define FUSE_TI_OFFSET 3.0
#define FUSE_NEWTON_MAXIT 50
#define FUSE_NEWTON_TOL 1e-12 /* §3.7 (SYMFLUENCE numerix), relative to 1 + |state| */
#define FUSE_TIMEDELAY_MAX 7.0
#define FUSE_INLINE static inline __attribute__((always_inline))

/* ---- parameter table (docs-models.md §3.6, FUSE zConstraints) -------------------------------- */

/* The default calibrated subset is the one that moves the default structure (VIC: onestate_1,
 * fixedsiz_2, arno_x_vic, perc_w2sat, rootweight) plus routing and snow; the other structures'
 * parameters are listed in PARAMS_TO_CALIBRATE when those structures are used. */
static const hs_param_info fuse_params[HS_FUSE_NPAR] = {
    {"RFERR_ADD", "mm", -10.0, 10.0, 0.0, false, "additive rainfall error (additive_e)"},
    {"RFERR_MLT", "-", 1.0, 1.001, 1.0, false, "multiplicative rainfall error (multiplc_e)"},
    {"MAXWATR_1", "mm", 25.0, 500.0, 100.0, true, "depth of the upper soil layer"},
    {"MAXWATR_2", "mm", 50.0, 5000.0, 1000.0, true, "depth of the lower soil layer"},
    {"FRACTEN", "-", 0.05, 0.95, 0.5, true, "fraction of the layers held as tension storage"},
    {"FRCHZNE", "-", 0.05, 0.95, 0.5, false, "fraction of upper tension storage in the recharge zone"},
    {"FPRIMQB", "-", 0.05, 0.95, 0.5, false, "fraction of lower free storage in the primary reservoir"},
    {"RTFRAC1", "-", 0.05, 0.95, 0.75, true, "fraction of roots in the upper layer (rootweight)"},
    {"PERCRTE", "mm d-1", 0.1, 1000.0, 100.0, true, "percolation rate at saturation"},
    {"PERCEXP", "-", 1.0, 20.0, 5.0, true, "percolation exponent"},
    {"SACPMLT", "-", 1.0, 250.0, 10.0, false, "Sacramento percolation multiplier (perc_lower)"},
    {"SACPEXP", "-", 1.0, 5.0, 5.0, false, "Sacramento percolation exponent (perc_lower)"},
    {"PERCFRAC", "-", 0.05, 0.95, 0.5, false, "fraction of percolation to the lower tension store"},
    {"FRACLOWZ", "-", 0.05, 0.95, 0.5, false, "fraction of soil excess to the lower zone (unused)"},
    {"IFLWRTE", "mm d-1", 0.01, 1000.0, 500.0, false, "interflow rate (intflwsome)"},
    {"BASERTE", "mm d-1", 0.001, 1000.0, 50.0, true, "baseflow rate (fixedsiz_2, unlimpow_2)"},
    {"QB_POWR", "-", 1.0, 10.0, 5.0, true, "baseflow exponent"},
    {"QB_PRMS", "d-1", 0.001, 0.25, 0.01, false, "baseflow depletion rate (unlimfrc_2)"},
    {"QBRATE_2A", "d-1", 0.001, 0.25, 0.025, false, "primary baseflow depletion rate (tens2pll_2)"},
    {"QBRATE_2B", "d-1", 0.001, 0.25, 0.01, false, "secondary baseflow depletion rate (tens2pll_2)"},
    {"SAREAMAX", "-", 0.001, 1.0, 0.25, false, "maximum saturated area (prms_varnt)"},
    {"AXV_BEXP", "-", 0.001, 3.0, 0.3, true, "ARNO/VIC b exponent (arno_x_vic)"},
    {"LOGLAMB", "ln(m)", 5.0, 10.0, 7.5, false, "mean log topographic index (TOPMODEL)"},
    {"TISHAPE", "-", 2.0, 5.0, 3.0, false, "shape of the topographic index distribution"},
    {"TIMEDELAY", "d", 0.01, 5.0, 0.9, true, "mean of the gamma time delay (rout_gamma)"},
    {"MBASE", "degC", 0.0, 3.0, 1.0, true, "base temperature of snow melt"},
    {"MFMAX", "mm degC-1 d-1", 2.0, 8.0, 4.2, true, "maximum (21 June) melt factor"},
    {"MFMIN", "mm degC-1 d-1", 0.4, 6.0, 2.4, true, "minimum (21 December) melt factor"},
    {"PXTEMP", "degC", -1.0, 5.0, 1.0, true, "rain/snow partition temperature"},
    {"OPG", "km-1", 0.0, 2.5, 0.5, false, "orographic precipitation gradient (bands)"},
    {"LAPSE", "degC km-1", -7.0, -4.0, -5.0, false, "temperature lapse rate (bands)"},
};

/* ---- decisions (docs §3.1) ------------------------------------------------------------------- */

enum { D_RFERR, D_ARCH1, D_ARCH2, D_QSURF, D_QPERC, D_ESOIL, D_QINTF, D_Q_TDH, D_SNOWM, D_N };

static const char *const fuse_decision_names[D_N] = {"RFERR", "ARCH1", "ARCH2", "QSURF", "QPERC",
                                                     "ESOIL", "QINTF", "Q_TDH", "SNOWM"};
/* Tokens in the order of the enums of hs_fuse.h. */
static const char *const fuse_tokens[D_N][4] = {
    {"additive_e", "multiplc_e"},
    {"onestate_1", "tension1_1", "tension2_1"},
    {"tens2pll_2", "unlimfrc_2", "unlimpow_2", "fixedsiz_2"},
    {"arno_x_vic", "prms_varnt", "tmdl_param"},
    {"perc_f2sat", "perc_w2sat", "perc_lower"},
    {"sequential", "rootweight"},
    {"intflwnone", "intflwsome"},
    {"rout_gamma", "no_routing"},
    {"temp_index", "no_snowmod"},
};
static const int fuse_n_tokens[D_N] = {2, 3, 4, 3, 3, 2, 2, 2, 2};

static int *fuse_decision_slot(hs_fuse_decisions *d, int k)
{
    switch (k) {
    case D_RFERR: return &d->rferr;
    case D_ARCH1: return &d->arch1;
    case D_ARCH2: return &d->arch2;
    case D_QSURF: return &d->qsurf;
    case D_QPERC: return &d->qperc;
    case D_ESOIL: return &d->esoil;
    case D_QINTF: return &d->qintf;
    case D_Q_TDH: return &d->q_tdh;
    default: return &d->snowm;
    }
}

hs_status hs_fuse_structure(const char *name, hs_fuse_decisions *out, hs_ctx *ctx)
{
    if (!name || !out) return HS_FAIL(ctx, HS_ERR_ARG, "FUSE: NULL structure name or output");
    /* docs §3.1, "the four parent models as decision sets" (jFUSE presets). */
    hs_fuse_decisions d = {.rferr = HS_FUSE_MULTIPLC_E, .q_tdh = HS_FUSE_ROUT_GAMMA,
                           .snowm = HS_FUSE_TEMP_INDEX, .esoil = HS_FUSE_SEQUENTIAL,
                           .qintf = HS_FUSE_INTFLWNONE};
    if (hs_model_key_eq(name, "PRMS")) {
        d.arch1 = HS_FUSE_TENSION2_1;
        d.arch2 = HS_FUSE_UNLIMFRC_2;
        d.qsurf = HS_FUSE_PRMS_VARNT;
        d.qperc = HS_FUSE_PERC_F2SAT;
        d.qintf = HS_FUSE_INTFLWSOME;
    } else if (hs_model_key_eq(name, "SACRAMENTO")) {
        d.arch1 = HS_FUSE_TENSION1_1;
        d.arch2 = HS_FUSE_TENS2PLL_2;
        d.qsurf = HS_FUSE_PRMS_VARNT;
        d.qperc = HS_FUSE_PERC_LOWER;
        /* docs §3.1 marks this entry uncertain (jFUSE: intflwnone); override with
         * FUSE_DECISIONS "{QINTF: intflwsome}" for Sacramento's lateral drainage. */
    } else if (hs_model_key_eq(name, "TOPMODEL")) {
        d.arch1 = HS_FUSE_ONESTATE_1;
        d.arch2 = HS_FUSE_UNLIMPOW_2;
        d.qsurf = HS_FUSE_TMDL_PARAM;
        d.qperc = HS_FUSE_PERC_W2SAT;
    } else if (hs_model_key_eq(name, "VIC")) {
        d.arch1 = HS_FUSE_ONESTATE_1;
        d.arch2 = HS_FUSE_FIXEDSIZ_2;
        d.qsurf = HS_FUSE_ARNO_X_VIC;
        d.qperc = HS_FUSE_PERC_W2SAT;
        d.esoil = HS_FUSE_ROOTWEIGHT;
    } else {
        return HS_FAIL(ctx, HS_ERR_CONFIG, "FUSE option FUSE_STRUCTURE: '%s' is not valid; "
                       "allowed values: PRMS, SACRAMENTO, TOPMODEL, VIC", name);
    }
    *out = d;
    return HS_OK;
}

/* ---- options --------------------------------------------------------------------------------- */

static const char *const fuse_option_keys[] = {
    "FUSE_STRUCTURE", "FUSE_DECISIONS", "FUSE_NUMERICS",    "FUSE_SUBSTEPS",
    "FUSE_SNOW",      "FUSE_ELEV_BANDS", "FUSE_FORCING_ELEV",
};
#define FUSE_N_OPTION_KEYS (sizeof fuse_option_keys / sizeof fuse_option_keys[0])

typedef struct fuse_options {
    hs_fuse_decisions dec;
    bool implicit;
    size_t substeps;
    size_t n_band;
    double band_af[HS_FUSE_MAX_BANDS];
    double band_dz[HS_FUSE_MAX_BANDS]; /* band elevation - forcing elevation, m */
} fuse_options;

/* Copies the token [s, e) without surrounding blanks and quotes into buf. */
static void fuse_token(const char *s, const char *e, char *buf, size_t cap)
{
    while (s < e && (*s == ' ' || *s == '\t' || *s == '"' || *s == '\'')) s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '"' || e[-1] == '\'')) e--;
    size_t n = (size_t)(e - s);
    if (n >= cap) n = cap - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
}

/* "{ARCH1: tension1_1, QSURF: arno_x_vic}" -> overrides of d (docs §3.1 tokens). */
static hs_status fuse_parse_decisions(hs_ctx *ctx, const char *text, hs_fuse_decisions *d)
{
    const char *s = text, *end = text + strlen(text);
    while (s < end && (*s == ' ' || *s == '\t')) s++;
    while (end > s && (end[-1] == ' ' || end[-1] == '\t')) end--;
    if (s < end && *s == '{') {
        if (end[-1] != '}')
            return HS_FAIL(ctx, HS_ERR_CONFIG, "FUSE option FUSE_DECISIONS: '%s' opens '{' "
                           "without closing it; expected \"{ARCH1: tension1_1, ...}\"", text);
        s++;
        end--;
    }
    while (s < end) {
        const char *e = s;
        while (e < end && *e != ',' && *e != ';') e++;
        const char *sep = s;
        while (sep < e && *sep != ':' && *sep != '=') sep++;
        char key[32], val[32];
        fuse_token(s, sep, key, sizeof key);
        fuse_token(sep < e ? sep + 1 : e, e, val, sizeof val);
        if (key[0] != '\0' || sep < e) {
            if (sep == e || val[0] == '\0')
                return HS_FAIL(ctx, HS_ERR_CONFIG, "FUSE option FUSE_DECISIONS: entry '%s' in "
                               "'%s' needs a value (NAME: token)", key, text);
            int k = -1;
            for (int j = 0; j < D_N; j++)
                if (hs_model_key_eq(key, fuse_decision_names[j])) k = j;
            if (k < 0)
                return HS_FAIL(ctx, HS_ERR_CONFIG, "FUSE option FUSE_DECISIONS: unknown decision "
                               "'%s'; allowed: RFERR, ARCH1, ARCH2, QSURF, QPERC, ESOIL, QINTF, "
                               "Q_TDH, SNOWM", key);
            int t = -1;
            for (int j = 0; j < fuse_n_tokens[k]; j++)
                if (hs_model_key_eq(val, fuse_tokens[k][j])) t = j;
            if (t < 0) {
                char allowed[96] = "";
                for (int j = 0; j < fuse_n_tokens[k]; j++) {
                    if (j) strncat(allowed, ", ", sizeof allowed - strlen(allowed) - 1);
                    strncat(allowed, fuse_tokens[k][j], sizeof allowed - strlen(allowed) - 1);
                }
                return HS_FAIL(ctx, HS_ERR_CONFIG, "FUSE option FUSE_DECISIONS: %s: '%s' is not "
                               "valid; allowed values: %s", fuse_decision_names[k], val, allowed);
            }
            *fuse_decision_slot(d, k) = t;
        }
        s = e < end ? e + 1 : end;
    }
    return HS_OK;
}

/* A finite real number filling [s, e) (blanks allowed around it). */
static bool fuse_parse_real(const char *s, const char *e, double *out)
{
    char buf[64];
    fuse_token(s, e, buf, sizeof buf);
    if (buf[0] == '\0') return false;
    char *stop = NULL;
    errno = 0;
    const double v = strtod(buf, &stop);
    if (*stop != '\0' || errno == ERANGE || !isfinite(v)) return false;
    *out = v;
    return true;
}

/* "AF:Z, AF:Z" -> fractions and elevations (docs §3.4). */
static hs_status fuse_parse_bands(hs_ctx *ctx, const char *text, size_t *n_out, double *af,
                                  double *z)
{
    const char *s = text, *end = text + strlen(text);
    size_t n = 0;
    double sum = 0.0;
    while (s < end) {
        const char *e = s;
        while (e < end && *e != ',' && *e != ';') e++;
        const char *sep = s;
        while (sep < e && *sep != ':' && *sep != '@') sep++;
        double a, zz;
        if (n >= HS_FUSE_MAX_BANDS || sep == e || !fuse_parse_real(s, sep, &a) ||
            !fuse_parse_real(sep + 1, e, &zz) || !(a > 0.0) || a > 1.0)
            return HS_FAIL(ctx, HS_ERR_CONFIG, "FUSE option FUSE_ELEV_BANDS: '%s' is not valid; "
                           "expected up to %d entries 'area_fraction:elevation_m' with fractions "
                           "in (0, 1] summing to 1, e.g. \"0.4:1500, 0.6:2200\"", text,
                           HS_FUSE_MAX_BANDS);
        af[n] = a;
        z[n] = zz;
        sum += a;
        n++;
        s = e < end ? e + 1 : end;
    }
    if (n == 0 || fabs(sum - 1.0) > 1e-6)
        return HS_FAIL(ctx, HS_ERR_CONFIG, "FUSE option FUSE_ELEV_BANDS: the area fractions of "
                       "'%s' sum to %.9g; expected 1 (within 1e-6)", text, sum);
    /* Exact normalisation: the band weights enter the mass balance. */
    for (size_t b = 0; b < n; b++) af[b] /= sum;
    *n_out = n;
    return HS_OK;
}

static hs_status fuse_parse_options(const hs_model_option *opts, size_t n_opts, hs_ctx *ctx,
                                    fuse_options *o)
{
    const char *structure = "VIC", *decisions = NULL, *bands = NULL, *zf_text = NULL;
    memset(o, 0, sizeof *o);
    o->implicit = true;
    o->substeps = 24; /* docs §3.7: fixed n = 24 */
    int snow = -1;
    for (size_t i = 0; i < n_opts; i++) {
        const char *k = opts[i].key, *v = opts[i].value;
        if (hs_model_key_eq(k, "FUSE_STRUCTURE")) {
            structure = v;
        } else if (hs_model_key_eq(k, "FUSE_DECISIONS")) {
            decisions = v;
        } else if (hs_model_key_eq(k, "FUSE_NUMERICS")) {
            if (hs_model_key_eq(v, "implicit"))
                o->implicit = true;
            else if (hs_model_key_eq(v, "explicit_substep"))
                o->implicit = false;
            else
                return HS_FAIL(ctx, HS_ERR_CONFIG, "FUSE option FUSE_NUMERICS: '%s' is not "
                               "valid; allowed values: implicit, explicit_substep", v);
        } else if (hs_model_key_eq(k, "FUSE_SUBSTEPS")) {
            char *end = NULL;
            errno = 0;
            long n = strtol(v, &end, 10);
            if (end == v || *end != '\0' || errno == ERANGE || n < 1 || n > 1440)
                return HS_FAIL(ctx, HS_ERR_CONFIG, "FUSE option FUSE_SUBSTEPS: '%s' is not "
                               "valid; expected an integer from 1 to 1440", v);
            o->substeps = (size_t)n;
        } else if (hs_model_key_eq(k, "FUSE_SNOW")) {
            if (hs_model_key_eq(v, "on") || hs_model_key_eq(v, "true") || hs_model_key_eq(v, "yes"))
                snow = 1;
            else if (hs_model_key_eq(v, "off") || hs_model_key_eq(v, "false") ||
                     hs_model_key_eq(v, "no"))
                snow = 0;
            else
                return HS_FAIL(ctx, HS_ERR_CONFIG, "FUSE option FUSE_SNOW: '%s' is not valid; "
                               "allowed values: on, off", v);
        } else if (hs_model_key_eq(k, "FUSE_ELEV_BANDS")) {
            bands = v;
        } else if (hs_model_key_eq(k, "FUSE_FORCING_ELEV")) {
            zf_text = v;
        }
        /* other keys belong to other models */
    }
    /* Structure first, then FUSE_SNOW, then single decisions: the most specific wins. */
    HS_TRY(hs_fuse_structure(structure, &o->dec, ctx));
    if (snow >= 0) o->dec.snowm = snow ? HS_FUSE_TEMP_INDEX : HS_FUSE_NO_SNOWMOD;
    if (decisions) HS_TRY(fuse_parse_decisions(ctx, decisions, &o->dec));

    double z[HS_FUSE_MAX_BANDS] = {0.0};
    if (bands) {
        HS_TRY(fuse_parse_bands(ctx, bands, &o->n_band, o->band_af, z));
    } else {
        o->n_band = 1; /* docs §3.4: one band at the forcing elevation without hypsometry */
        o->band_af[0] = 1.0;
    }
    double zf = 0.0;
    for (size_t b = 0; b < o->n_band; b++) zf += o->band_af[b] * z[b];
    if (zf_text && !fuse_parse_real(zf_text, zf_text + strlen(zf_text), &zf))
        return HS_FAIL(ctx, HS_ERR_CONFIG, "FUSE option FUSE_FORCING_ELEV: '%s' is not valid; "
                       "expected a finite elevation in m", zf_text);
    for (size_t b = 0; b < o->n_band; b++) o->band_dz[b] = z[b] - zf;
    return HS_OK;
}

/* ---- regularised lower incomplete gamma with a cached ln Γ(a) ---------------------------------- */

/* hs_math_gamma_p() (core/hs_math.c) transcribed operation for operation, with lgamma(a) passed
 * in: the shape is a per-HRU constant (TISHAPE), so its lgamma is computed once per HRU instead
 * of once per call, and P gives the same bits. *dens (nullable) gets the density dP/dx =
 * x^(a-1) e^-x / Γ(a) (the prefactor of both branches divided by x), for the Newton Jacobian. */
#define FUSE_GAMMA_MAX_TERMS 500 /* as core/hs_math.c */
static double fuse_gamma_p(double a, double lga, double x, double *dens)
{
    if (dens) *dens = 0.0;
    if (!(a > 0.0) || !(x >= 0.0)) return NAN;
    if (x == 0.0) return 0.0;
    if (isinf(x)) return 1.0;
    const double pre = exp(-x + a * log(x) - lga);
    if (dens) *dens = pre / x;
    if (x < a + 1.0) {
        double ap = a, term = 1.0 / a, sum = term;
        for (int k = 0; k < FUSE_GAMMA_MAX_TERMS; k++) {
            ap += 1.0;
            term *= x / ap;
            sum += term;
            if (fabs(term) < fabs(sum) * 1e-17) break;
        }
        return sum * pre;
    }
    const double tiny = 1e-300;
    double b = x + 1.0 - a, c = 1.0 / tiny, d = 1.0 / b, h = d;
    for (int i = 1; i < FUSE_GAMMA_MAX_TERMS; i++) {
        const double an = -i * (i - a);
        b += 2.0;
        d = an * d + b;
        if (fabs(d) < tiny) d = tiny;
        c = b + an / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1.0 / d;
        const double delta = d * c;
        h *= delta;
        if (fabs(delta - 1.0) < 1e-16) break;
    }
    return 1.0 - pre * h;
}

/* ---- derived values (docs §3.2) and the time delay (§3.5) ------------------------------------ */

static void fuse_gamma_p_bins(double shape, double lga, double chi, double *cum);

void hs_fuse_derive(const hs_fuse_decisions *d, const double *p, hs_fuse_derived *out)
{
    hs_fuse_derived r;
    memset(&r, 0, sizeof r);
    const double fracten = p[HS_FUSE_FRACTEN];
    r.maxtens_1 = fracten * p[HS_FUSE_MAXWATR_1];
    r.maxfree_1 = (1.0 - fracten) * p[HS_FUSE_MAXWATR_1];
    r.maxtens_1a = p[HS_FUSE_FRCHZNE] * r.maxtens_1;
    r.maxtens_1b = (1.0 - p[HS_FUSE_FRCHZNE]) * r.maxtens_1;
    r.maxtens_2 = fracten * p[HS_FUSE_MAXWATR_2];
    r.maxfree_2 = (1.0 - fracten) * p[HS_FUSE_MAXWATR_2];
    r.maxfree_2a = p[HS_FUSE_FPRIMQB] * r.maxfree_2;
    r.maxfree_2b = (1.0 - p[HS_FUSE_FPRIMQB]) * r.maxfree_2;
    r.rtfrac2 = 1.0 - p[HS_FUSE_RTFRAC1];
    const double n = p[HS_FUSE_QB_POWR];
    r.chi = (p[HS_FUSE_LOGLAMB] - FUSE_TI_OFFSET) / p[HS_FUSE_TISHAPE];
    if (d->arch2 == HS_FUSE_UNLIMPOW_2 || d->qsurf == HS_FUSE_TMDL_PARAM) {
        /* POWLAMB: mean of a^(1/n) over the 3-parameter gamma distribution of ln(a) (offset 3,
         * shape TISHAPE, scale χ), 2000 bins on [0, 50] with midpoints; MAXPOW: last bin. */
        const double w = FUSE_TI_MAX / FUSE_TI_BINS, shape = p[HS_FUSE_TISHAPE];
        const double lga = lgamma(shape);
        double prev = 0.0, sum = 0.0, mid = 0.0, cums[FUSE_TI_BINS];
        fuse_gamma_p_bins(shape, lga, r.chi, cums);
        for (int k = 0; k < FUSE_TI_BINS; k++) {
            const double cum = cums[k];
            mid = (k + 0.5) * w;
            sum += (cum - prev) * exp(mid / n);
            prev = cum;
        }
        r.powlamb = sum;
        r.maxpow = exp(mid / n);
    }
    switch (d->arch2) {
    case HS_FUSE_TENS2PLL_2:
        r.qbsat = p[HS_FUSE_QBRATE_2A] * r.maxfree_2a + p[HS_FUSE_QBRATE_2B] * r.maxfree_2b;
        break;
    case HS_FUSE_UNLIMFRC_2:
        r.qbsat = p[HS_FUSE_QB_PRMS] * p[HS_FUSE_MAXWATR_2];
        break;
    case HS_FUSE_UNLIMPOW_2: {
        const double m = (p[HS_FUSE_MAXWATR_2] / 1000.0) / n; /* mm -> m */
        r.qbsat = p[HS_FUSE_BASERTE] * (m / pow(r.powlamb, n));
        break;
    }
    default:
        r.qbsat = p[HS_FUSE_BASERTE];
        break;
    }
    *out = r;
}

/* The window follows docs §3.5 (stop at the first fraction below epsilon, renormalise), which
 * keeps the gamma distribution to ~1e-16 of its mass. Two other windows exist and are not used:
 * the docs' check values are these fractions renormalised over 6 (TIMEDELAY 0.9) and 10 (2.0)
 * ordinates, and FUSE's Fortran QTIMEDELAY keeps ceil(n) ordinates with P(2.5, rate n) bisected
 * into (0.99, 0.999), i.e. 3 and 7. They differ from ours by the renormalised tail mass only
 * (< 6e-5 per fraction for 2.0 d; tests/hydro/test_fuse.c checks both). */
size_t hs_fuse_gamma_fractions(double timedelay_d, double *f, size_t cap)
{
    if (!f || cap == 0 || !(timedelay_d > 0.0) || !isfinite(timedelay_d)) return 0;
    const double rate = FUSE_GAMMA_SHAPE / timedelay_d; /* mean = shape / rate = TIMEDELAY */
    double prev = 0.0, sum = 0.0;
    size_t n = 0;
    for (size_t j = 1; j <= cap; j++) {
        const double cum = hs_math_gamma_p(FUSE_GAMMA_SHAPE, rate * (double)j);
        const double fj = cum - prev;
        prev = cum;
        /* The first fraction is never tiny for TIMEDELAY <= 7 d, so this only cuts the tail. */
        if (fj < DBL_EPSILON && j > 1) {
            n = j - 1;
            break;
        }
        f[j - 1] = fj;
        sum += fj;
    }
    if (n == 0) return 0; /* still above epsilon after cap days */
    for (size_t j = 0; j < n; j++) f[j] /= sum;
    return n;
}

/* ---- lifecycle ------------------------------------------------------------------------------- */

struct hs_model_impl {
    size_t n_hru;
    fuse_options opt;
    bool initialized;
    double *par;          /* [n_hru][HS_FUSE_NPAR] */
    hs_fuse_derived *der; /* [n_hru] */
    double *state;        /* [FUSE_NSLOT][n_hru] soil stores, mm (unused slots 0) */
    double *trend;        /* [FUSE_NSLOT][n_hru] the last implicit day's state change, mm */
    double *sens;         /* [FUSE_NSENS][n_hru] fuse_sens: the change's forcing sensitivity */
    double *swe;          /* [n_band][n_hru] snow water equivalent per band, mm */
    double season[2][367];   /* sin(2 pi phase) of the melt factor by [leap][day of year] */
    double *weights;      /* [n_hru][HS_FUSE_ROUTING_CAP] time-delay fractions */
    size_t *n_weights;    /* [n_hru] */
    double *ring;         /* [n_hru][HS_FUSE_ROUTING_CAP] future runoff, mm */
    size_t *head;         /* [n_hru] ring slot that leaves next */
    size_t *solver_days;  /* [2][n_hru] implicit days rescued (fuse_rescue), left unconverged */
};

static void fuse_destroy(hs_model_impl **mp)
{
    if (!mp || !*mp) return;
    hs_model_impl *m = *mp;
    hs_free(m->par);
    hs_free(m->der);
    hs_free(m->state);
    hs_free(m->trend);
    hs_free(m->sens);
    hs_free(m->swe);
    hs_free(m->weights);
    hs_free(m->n_weights);
    hs_free(m->ring);
    hs_free(m->head);
    hs_free(m->solver_days);
    hs_free(m);
    *mp = NULL;
}

static hs_status fuse_create(const hs_model_option *opts, size_t n_opts, size_t n_hru,
                             hs_ctx *ctx, hs_model_impl **out)
{
    if (!out) return HS_FAIL(ctx, HS_ERR_ARG, "FUSE: NULL output pointer");
    *out = NULL;
    if (n_hru == 0) return HS_FAIL(ctx, HS_ERR_ARG, "FUSE: the domain has no HRUs (n_hru = 0)");
    if (n_opts > 0 && !opts) return HS_FAIL(ctx, HS_ERR_ARG, "FUSE: NULL option array");
    fuse_options o;
    HS_TRY(fuse_parse_options(opts, n_opts, ctx, &o));

    hs_model_impl *m = NULL;
    HS_TRY(hs_alloc(ctx, 1, sizeof *m, "FUSE model", (void **)&m));
    m->n_hru = n_hru;
    m->opt = o;
    hs_status st = HS_OK;
    if (n_hru > SIZE_MAX / HS_FUSE_ROUTING_CAP) {
        st = HS_FAIL(ctx, HS_ERR_NOMEM, "FUSE: %zu HRUs overflow the state size", n_hru);
        goto fail;
    }
    HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, m->par, n_hru * HS_FUSE_NPAR, "FUSE parameters"), fail);
    HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, m->der, n_hru, "FUSE derived parameters"), fail);
    HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, m->state, n_hru * FUSE_NSLOT, "FUSE soil states"), fail);
    HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, m->trend, n_hru * FUSE_NSLOT, "FUSE state trends"), fail);
    HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, m->sens, n_hru * FUSE_NSENS, "FUSE forcing sensitivities"),
                fail);
    HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, m->swe, n_hru * o.n_band, "FUSE snow states"), fail);
    HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, m->weights, n_hru * HS_FUSE_ROUTING_CAP,
                                   "FUSE time-delay fractions"), fail);
    HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, m->n_weights, n_hru, "FUSE fraction counts"), fail);
    HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, m->ring, n_hru * HS_FUSE_ROUTING_CAP,
                                   "FUSE routing buffers"), fail);
    HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, m->head, n_hru, "FUSE routing buffer heads"), fail);
    HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, m->solver_days, 2 * n_hru, "FUSE solver statistics"), fail);
    /* The melt factor's seasonal sine depends on the day alone: once here, not per HRU-day. */
    for (int leap = 0; leap < 2; leap++)
        for (int doy = 0; doy < 367; doy++) {
            const double ph = leap ? (doy - 81) / 366.0 : (doy - 80) / 365.0;
            m->season[leap][doy] = sin(2.0 * 3.14159265358979323846 * ph);
        }
    *out = m;
    return HS_OK;
fail:
    fuse_destroy(&m);
    return st;
}

/* Physical limits (not calibration bounds): what the equations need to stay meaningful. */
static hs_status fuse_check_param(hs_ctx *ctx, const fuse_options *o, size_t k, size_t hru,
                                  double v)
{
    const char *need = "a finite value";
    bool ok = isfinite(v);
    switch (k) {
    case HS_FUSE_RFERR_ADD:
    case HS_FUSE_MBASE:
    case HS_FUSE_PXTEMP:
    case HS_FUSE_LAPSE:
        break;
    case HS_FUSE_MAXWATR_1:
    case HS_FUSE_MAXWATR_2:
    case HS_FUSE_PERCEXP:
    case HS_FUSE_SACPEXP:
    case HS_FUSE_QB_POWR:
    case HS_FUSE_TISHAPE:
        ok = ok && v > 0.0; /* capacities divide; exponents and shapes must be positive */
        need = "> 0";
        break;
    case HS_FUSE_FRACTEN:
    case HS_FUSE_FRCHZNE:
    case HS_FUSE_FPRIMQB:
    case HS_FUSE_RTFRAC1:
    case HS_FUSE_PERCFRAC:
    case HS_FUSE_FRACLOWZ:
        ok = ok && v > 0.0 && v < 1.0; /* both parts of a split store must have capacity */
        need = "in (0, 1)";
        break;
    case HS_FUSE_SAREAMAX:
        ok = ok && v >= 0.0 && v <= 1.0;
        need = "in [0, 1]";
        break;
    case HS_FUSE_LOGLAMB:
        ok = ok && v > FUSE_TI_OFFSET; /* the scale χ = (LOGLAMB - 3) / TISHAPE must be > 0 */
        need = "> 3 (the offset of the topographic index distribution)";
        break;
    case HS_FUSE_TIMEDELAY:
        ok = ok && v > 0.0 && v <= FUSE_TIMEDELAY_MAX;
        need = "in (0, 7] days (the routing buffer holds 128 days)";
        break;
    case HS_FUSE_OPG:
        ok = ok && v >= 0.0;
        need = ">= 0";
        for (size_t b = 0; ok && b < o->n_band; b++)
            if (o->band_dz[b] > 0.0 && !(1.0 + o->band_dz[b] * v / 1000.0 > 0.0)) ok = false;
        break;
    default:
        ok = ok && v >= 0.0; /* rates, multipliers, melt factors, exponents of saturated area */
        need = ">= 0";
        break;
    }
    if (ok) return HS_OK;
    return HS_FAIL(ctx, HS_ERR_ARG, "FUSE parameter %s = %.17g for HRU %zu is outside its physical "
                   "limits (must be %s)", fuse_params[k].name, v, hru, need);
}

/* Capacity of every state slot (INFINITY for unlimited stores, 0 for unused slots). */
static void fuse_caps(const hs_fuse_decisions *d, const double *p, const hs_fuse_derived *r,
                      double *cap)
{
    for (int s = 0; s < FUSE_NSLOT; s++) cap[s] = 0.0;
    switch (d->arch1) {
    case HS_FUSE_ONESTATE_1: cap[0] = p[HS_FUSE_MAXWATR_1]; break;
    case HS_FUSE_TENSION1_1: cap[0] = r->maxtens_1; cap[1] = r->maxfree_1; break;
    default: cap[0] = r->maxtens_1a; cap[1] = r->maxtens_1b; cap[2] = r->maxfree_1; break;
    }
    switch (d->arch2) {
    case HS_FUSE_TENS2PLL_2:
        cap[3] = r->maxtens_2;
        cap[4] = r->maxfree_2a;
        cap[5] = r->maxfree_2b;
        break;
    case HS_FUSE_FIXEDSIZ_2: cap[3] = p[HS_FUSE_MAXWATR_2]; break;
    default: cap[3] = INFINITY; break;
    }
}

static hs_status fuse_init(hs_model_impl *m, const double *params, hs_ctx *ctx)
{
    if (!m || !params) return HS_FAIL(ctx, HS_ERR_ARG, "FUSE init: NULL model or parameters");
    const size_t n = m->n_hru;
    /* Validate everything before changing anything: a failed init leaves the model as it was. */
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < HS_FUSE_NPAR; k++)
            HS_TRY(fuse_check_param(ctx, &m->opt, k, i, params[i * HS_FUSE_NPAR + k]));

    const hs_fuse_decisions *d = &m->opt.dec;
    for (size_t i = 0; i < n; i++) {
        const double *p = params + i * HS_FUSE_NPAR;
        double *w = m->weights + i * HS_FUSE_ROUTING_CAP;
        size_t nw = 1;
        memset(w, 0, HS_FUSE_ROUTING_CAP * sizeof *w);
        w[0] = 1.0; /* no_routing: f_1 = 1 (docs §3.5) */
        if (d->q_tdh == HS_FUSE_ROUT_GAMMA) {
            nw = hs_fuse_gamma_fractions(p[HS_FUSE_TIMEDELAY], w, HS_FUSE_ROUTING_CAP);
            if (nw == 0) /* unreachable within the limits checked above; kept as a guard */
                return HS_FAIL(ctx, HS_ERR_NUMERIC, "FUSE parameter TIMEDELAY = %.17g for HRU "
                               "%zu: the gamma time delay needs more than %d days",
                               p[HS_FUSE_TIMEDELAY], i, HS_FUSE_ROUTING_CAP);
        }
        m->n_weights[i] = nw;
    }
    for (size_t i = 0; i < n; i++) {
        const double *p = params + i * HS_FUSE_NPAR;
        memcpy(m->par + i * HS_FUSE_NPAR, p, HS_FUSE_NPAR * sizeof *p);
        hs_fuse_derive(d, p, &m->der[i]);
        double cap[FUSE_NSLOT];
        fuse_caps(d, p, &m->der[i], cap);
        /* docs §3.6 "Initial states": every store at 0.25 of its capacity, unlimited stores at
         * 0.25 MAXWATR_2, SWE and the routing buffer empty. */
        for (int s = 0; s < FUSE_NSLOT; s++) {
            m->state[(size_t)s * n + i] = isinf(cap[s]) ? 0.25 * p[HS_FUSE_MAXWATR_2]
                                                        : 0.25 * cap[s];
            m->trend[(size_t)s * n + i] = 0.0;
        }
        for (int k = 0; k < FUSE_NSENS; k++) m->sens[(size_t)k * n + i] = 0.0;
        for (size_t b = 0; b < m->opt.n_band; b++) m->swe[b * n + i] = 0.0;
        memset(m->ring + i * HS_FUSE_ROUTING_CAP, 0, HS_FUSE_ROUTING_CAP * sizeof *m->ring);
        m->head[i] = 0;
        m->solver_days[i] = m->solver_days[n + i] = 0;
    }
    m->initialized = true;
    return HS_OK;
}

/* ---- fluxes (docs §3.3) ---------------------------------------------------------------------- */

/* Everything the soil kernel of one HRU needs, loaded once per run. */
/* Structure of the implicit solver: decisions, gradient index of each slot (-1: none; ng
 * entries), active slots act[0..n). */
typedef struct fuse_shape {
    hs_fuse_decisions d;
    int ng, n;
    int gidx[FUSE_NSLOT];
    int act[FUSE_NSLOT];
} fuse_shape;

typedef struct fuse_hru {
    hs_fuse_decisions d;
    fuse_shape shape; /* generic solver: d, all six slots, act and n_act */
    const double *p;
    hs_fuse_derived r;
    double cap[FUSE_NSLOT];
    int act[FUSE_NSLOT]; /* active slots */
    int n_act;
    double lga_tishape;  /* lgamma(TISHAPE), TOPMODEL surface runoff only */
} fuse_hru;

typedef struct fuse_flux {
    double qsx;              /* surface runoff */
    double e1a, e1b, e2;     /* evaporation: upper (E_1 or E_1A), E_1B, lower */
    double qif, q12;         /* interflow, percolation */
    double rchr2excs, tens2free_1, oflow_1;
    double tens2free_2, oflow_2a, oflow_2b; /* oflow_2a is oflow_2 of single-state layers */
    double qb_a, qb_b;       /* baseflow (qb_a is Q_b of single-state layers) */
} fuse_flux;

/* Newton's starting point. The day's state change is x - x0 = F(x, u) (implicit Euler), and
 * every flux is either proportional to the effective rainfall (surface runoff and the overflows
 * it feeds), to PET (the evaporations) or free of forcing. The guess is the previous day's
 * change with its forcing-driven parts rescaled to today's forcing: x0 + trend +
 * (peff - peff') dP + (pet - pet') dE, dP and dE those parts per unit forcing on the last day
 * that had some (a day without rain says nothing about the runoff fraction: the older value is
 * kept). A guess outside [0, cap) falls back to the previous change alone: at a store's
 * edge the fluxes' gradients vanish and Newton from there failed often enough that PRMS and
 * SACRAMENTO ran slower (a clip to the edge: 89 -> 129 and 154 -> 215 ns, bench_fuse). Against
 * the previous change alone, the share of HRU-days whose scaled residual at the guess exceeds
 * 1e-2 drops from ~41 % to ~15 % (bench_models, VIC). Rows of m->sens, per HRU (FUSE_SENS_*,
 * defined with FUSE_NSLOT). */

static inline double fuse_guess(double x0, double trend, double dp, double de, double dpeff,
                                double dpet, double cap)
{
    const double base = x0 + trend, g = (base + dpeff * dp) + dpet * de;
    return (g >= 0.0) & (g < cap) ? g : base;
}

/* The forcing-driven parts of the change of each slot (upper-layer slots 0..2 take rain, slots 0,
 * 1 and 3 lose evaporation) per unit forcing, from the fluxes f of a day with forcing peff, pet;
 * fl_sens_update repeats it over lanes, operation for operation. */
static inline void fuse_sens_update(const hs_fuse_decisions *d, const fuse_flux *f, double peff,
                                    double pet, double *sens)
{
    const double in1 = peff - f->qsx;
    double p[3] = {0.0, 0.0, 0.0}, e[FUSE_NSLOT] = {0.0};
    if (d->arch1 == HS_FUSE_TENSION2_1) {
        p[0] = in1 - f->rchr2excs;
        p[1] = f->rchr2excs - f->tens2free_1;
        p[2] = f->tens2free_1 - f->oflow_1;
        e[1] = -f->e1b;
    } else if (d->arch1 == HS_FUSE_TENSION1_1) {
        p[0] = in1 - f->tens2free_1;
        p[1] = f->tens2free_1 - f->oflow_1;
    } else {
        p[0] = in1 - f->oflow_1;
    }
    e[0] = -f->e1a;
    e[3] = -f->e2;
    /* one division each (a vector division costs about an exp) */
    if (peff > 0.0) {
        const double rp = 1.0 / peff;
        for (int s = 0; s < 3; s++) sens[FUSE_SENS_P + s] = p[s] * rp;
    }
    if (pet > 0.0) {
        const double re = 1.0 / pet;
        for (int s = 0; s < FUSE_NSLOT; s++) sens[FUSE_SENS_E + s] = e[s] * re;
    }
    sens[FUSE_SENS_PEFF] = peff;
    sens[FUSE_SENS_PET] = pet;
}

/* pow(a, e) for the implicit solver's flux code, e > 0, with its derivative: from hs_vmath.h
 * (log by table, exp by series),
 * which vectorises in the HRU lanes where glibc's pow was a call per lane (42 % of the VIC
 * kernel); the scalar solvers use it too, so an HRU gives the same bits alone or in a lane (the
 * explicit numerics, scalar only, keep glibc's pow: faster there). q = a^(e-1) = exp((e-1) ln a)
 * gives both the power a q and its derivative e q without a division (a vector division costs
 * about what an exp does). Within ~|e ln a| ulp of the correctly rounded power (< 1e-13 relative
 * for the bases and exponents of §3.6), far inside the Newton tolerance. The bases are clipped
 * states and ratios, never negative (a negative one gives NaN, as glibc's does for a non-integer
 * e); a = 0 gives 0 with derivative 0. Where a^(e-1) would overflow (e < 1 and a subnormal: not
 * reachable from §3.6's bounds) fuse_pow_far gives the power and the derivative is 0, as it is
 * wherever e q is not finite. */
#define FUSE_POW_Q_MAX 709.0
static inline __attribute__((always_inline)) double fuse_pow_y(double a, double e)
{
    /* no select of the base: hs_vm_log_tab gives a finite value for any a, and fuse_pow_d uses
     * y only where a > 0 (a selected base let GCC fold the table reads of its constant and
     * mask the others, which do not vectorise as gathers) */
    return (e - 1.0) * hs_vm_log_tab(a);
}

static inline __attribute__((always_inline)) void fuse_pow_d(double a, double e, double y,
                                                             double *pw, double *dp)
{
    const bool far = y > FUSE_POW_Q_MAX;
    const double q = hs_vm_exp(far ? 0.0 : y);
    *pw = a > 0.0 ? a * q : (a == 0.0 ? 0.0 : NAN);
    const double d = a > 0.0 && !far ? e * q : 0.0;
    *dp = fabs(d) <= DBL_MAX ? d : 0.0;
}

/* The power where fuse_pow_d's q overflows (out of line: never taken in practice). */
static __attribute__((noinline)) double fuse_pow_far(double a, double e)
{
    return hs_vm_exp(e * hs_vm_log_tab(a));
}

/* Whether flux j (in fuse_flux's order) exists under decisions d: the others are 0 in every
 * evaluation. */
static inline bool fuse_flux_used(const hs_fuse_decisions *d, int j)
{
    switch (j) {
    case 2: /* e1b */
    case 6: /* rchr2excs */ return d->arch1 == HS_FUSE_TENSION2_1;
    case 3: /* e2 */
        return (d->arch2 == HS_FUSE_TENS2PLL_2 || d->arch2 == HS_FUSE_FIXEDSIZ_2) &&
               d->arch1 != HS_FUSE_TENSION2_1;
    case 4: /* qif */ return d->qintf == HS_FUSE_INTFLWSOME;
    case 7: /* tens2free_1 */ return d->arch1 != HS_FUSE_ONESTATE_1;
    case 9:  /* tens2free_2 */
    case 11: /* oflow_2b */
    case 13: /* qb_b */ return d->arch2 == HS_FUSE_TENS2PLL_2;
    case 10: /* oflow_2a */
        return d->arch2 == HS_FUSE_TENS2PLL_2 || d->arch2 == HS_FUSE_FIXEDSIZ_2;
    default: return true;
    }
}

static inline double fuse_clip(double x, double cap) { return x < 0.0 ? 0.0 : (x > cap ? cap : x); }

static inline double fuse_ratio(double s, double cap) { return cap > 0.0 ? s / cap : 0.0; }

/* fmax(0, v) as glibc computes it (v for v > 0, else +0, NaN included) written as a select: a
 * call to fmax kept the lane loops around it scalar (the additive rainfall error of every day
 * and band, TOPMODEL's topographic index in every evaluation). */
static inline double fuse_pos0(double v) { return v > 0.0 ? v : 0.0; }

/* fmin(a, b) and fmax(0, a) for the finite values of the flux code, inline (the libm calls
 * cost more than the comparisons; the values are the same). */
static inline double fuse_min(double a, double b) { return a <= b ? a : b; }
static inline double fuse_pos(double a) { return a >= 0.0 ? a : 0.0; }

/* Fluxes of the explicit scheme from states x (clipped into [0, cap] first, so no power of a
 * negative base happens). No overflow here: the explicit scheme spills what exceeds the capacity
 * in fuse_update (fill-and-spill). The implicit scheme evaluates the same equations, with the
 * logistic overflow and derivatives, in fuse_eval. */
static void fuse_fluxes(const fuse_hru *h, const double *xin, double peff, double pet,
                        fuse_flux *f)
{
    const hs_fuse_decisions *d = &h->d;
    const double *p = h->p;
    const hs_fuse_derived *r = &h->r;
    double x[FUSE_NSLOT];
    for (int s = 0; s < FUSE_NSLOT; s++) x[s] = fuse_clip(xin[s], h->cap[s]);

    /* Diagnostic sub-states (§3.2). */
    double watr1, tens1, free1, tens1a = 0.0, tens1b = 0.0;
    const double maxwatr1 = p[HS_FUSE_MAXWATR_1], maxwatr2 = p[HS_FUSE_MAXWATR_2];
    if (d->arch1 == HS_FUSE_ONESTATE_1) {
        watr1 = x[0];
        tens1 = fuse_min(watr1, r->maxtens_1);
        free1 = fuse_pos(watr1 - r->maxtens_1);
    } else if (d->arch1 == HS_FUSE_TENSION1_1) {
        tens1 = x[0];
        free1 = x[1];
        watr1 = tens1 + free1;
    } else {
        tens1a = x[0];
        tens1b = x[1];
        free1 = x[2];
        tens1 = tens1a + tens1b;
        watr1 = tens1 + free1;
    }
    double watr2, tens2, free2a = 0.0, free2b = 0.0;
    if (d->arch2 == HS_FUSE_TENS2PLL_2) {
        tens2 = x[3];
        free2a = x[4];
        free2b = x[5];
        watr2 = tens2 + free2a + free2b;
    } else {
        watr2 = x[3];
        tens2 = fuse_min(watr2, r->maxtens_2);
    }

    /* 1. Saturated area and surface runoff. */
    double ac;
    if (d->qsurf == HS_FUSE_ARNO_X_VIC) {
        ac = 1.0 - pow(1.0 - fuse_min(watr1 / maxwatr1, 1.0), p[HS_FUSE_AXV_BEXP]);
    } else if (d->qsurf == HS_FUSE_PRMS_VARNT) {
        ac = fuse_min(tens1 / r->maxtens_1, 1.0) * p[HS_FUSE_SAREAMAX];
    } else {
        const double n = p[HS_FUSE_QB_POWR];
        const double zeta = r->powlamb / (watr2 / maxwatr2 + 1e-8);
        if (zeta > r->maxpow)
            ac = 0.0;
        else
            ac = 1.0 - fuse_gamma_p(p[HS_FUSE_TISHAPE], h->lga_tishape,
                                    fuse_pos0(n * log(zeta) - FUSE_TI_OFFSET) / r->chi, NULL);
    }
    f->qsx = peff * ac;

    /* 2. Upper-layer evaporation. */
    const bool root = d->esoil == HS_FUSE_ROOTWEIGHT;
    double e1;
    if (d->arch1 == HS_FUSE_TENSION2_1) {
        if (root) {
            f->e1a = pet * p[HS_FUSE_RTFRAC1] * fuse_ratio(tens1a, r->maxtens_1a);
            f->e1b = pet * r->rtfrac2 * fuse_ratio(tens1b, r->maxtens_1b);
        } else {
            f->e1a = pet * fuse_ratio(tens1a, r->maxtens_1a);
            f->e1b = (pet - f->e1a) * fuse_ratio(tens1b, r->maxtens_1b);
        }
        e1 = f->e1a + f->e1b;
    } else {
        f->e1a = pet * fuse_ratio(tens1, r->maxtens_1) * (root ? p[HS_FUSE_RTFRAC1] : 1.0);
        f->e1b = 0.0;
        e1 = f->e1a;
    }

    /* 3. Lower-layer evaporation, only for these architecture pairs. */
    f->e2 = 0.0;
    if ((d->arch2 == HS_FUSE_TENS2PLL_2 || d->arch2 == HS_FUSE_FIXEDSIZ_2) &&
        d->arch1 != HS_FUSE_TENSION2_1)
        f->e2 = (root ? pet * r->rtfrac2 : pet - e1) * fuse_ratio(tens2, r->maxtens_2);

    /* 4. Interflow. */
    f->qif = d->qintf == HS_FUSE_INTFLWSOME
                 ? p[HS_FUSE_IFLWRTE] * fuse_ratio(free1, r->maxfree_1) : 0.0;

    /* 5. Percolation. */
    if (d->qperc == HS_FUSE_PERC_F2SAT) {
        f->q12 = p[HS_FUSE_PERCRTE] * pow(fuse_ratio(free1, r->maxfree_1), p[HS_FUSE_PERCEXP]);
    } else if (d->qperc == HS_FUSE_PERC_W2SAT) {
        f->q12 = p[HS_FUSE_PERCRTE] * pow(fuse_min(watr1 / maxwatr1, 1.0), p[HS_FUSE_PERCEXP]);
    } else {
        /* Unlimited lower layers can hold more than MAXWATR_2: clamp the base at 0 (docs). */
        const double deficit = fuse_pos(1.0 - watr2 / maxwatr2);
        f->q12 = r->qbsat * (1.0 + p[HS_FUSE_SACPMLT] * pow(deficit, p[HS_FUSE_SACPEXP])) *
                 fuse_ratio(free1, r->maxfree_1);
    }

    /* 6. Baseflow. */
    f->qb_b = 0.0;
    switch (d->arch2) {
    case HS_FUSE_TENS2PLL_2:
        f->qb_a = p[HS_FUSE_QBRATE_2A] * free2a;
        f->qb_b = p[HS_FUSE_QBRATE_2B] * free2b;
        break;
    case HS_FUSE_UNLIMFRC_2: f->qb_a = p[HS_FUSE_QB_PRMS] * watr2; break;
    case HS_FUSE_UNLIMPOW_2: f->qb_a = r->qbsat * pow(watr2 / maxwatr2, p[HS_FUSE_QB_POWR]); break;
    default: f->qb_a = p[HS_FUSE_BASERTE] * pow(fuse_min(watr2 / maxwatr2, 1.0), p[HS_FUSE_QB_POWR]); break;
    }

    /* 7. Overflow: none here (fill-and-spill in fuse_update). */
    f->rchr2excs = f->tens2free_1 = f->oflow_1 = 0.0;
    f->tens2free_2 = f->oflow_2a = f->oflow_2b = 0.0;
}

/* One store: S_new = S + dt (in - sum out). Below 0, the outfluxes are scaled down in
 * proportion; above cap, the excess goes to *spill (one of the outfluxes, or NULL for unlimited
 * stores). This is FUSE's FIX_STATES (§3.7) booked so that mass balances exactly. */
static double fuse_store(double s, double cap, double dt, double in, double **out, int n_out,
                         double *spill)
{
    double sum_out = 0.0;
    for (int k = 0; k < n_out; k++) sum_out += *out[k];
    double s_new = s + dt * (in - sum_out);
    if (s_new < 0.0) {
        /* The most the store can give over dt is S/dt + in (>= 0 here, < sum_out). */
        const double avail = s / dt + in;
        const double scale = sum_out > 0.0 ? fmax(0.0, avail) / sum_out : 0.0;
        for (int k = 0; k < n_out; k++) *out[k] *= scale;
        sum_out = 0.0;
        for (int k = 0; k < n_out; k++) sum_out += *out[k];
        /* ~0 (a round-off of either sign, harmless: fluxes clip their states at 0); it is not
         * zeroed, so that S_new - S stays exactly dt (in - out) and mass balances. */
        s_new = s + dt * (in - sum_out);
    } else if (s_new > cap && spill) {
        *spill += (s_new - cap) / dt;
        s_new = s + dt * (in - sum_out - (s_new - cap) / dt);
    }
    return s_new;
}

/* Updates the states x from x0 over dt with fluxes f, store by store in downstream order, fixing
 * the fluxes (see fuse_store). */
static void fuse_update(const fuse_hru *h, const double *x0, double dt, double peff, fuse_flux *f,
                        double *x)
{
    const hs_fuse_decisions *d = &h->d;
    const double *cap = h->cap;
    const double in1 = peff - f->qsx;
    if (d->arch1 == HS_FUSE_TENSION2_1) {
        double *o0[] = {&f->e1a, &f->rchr2excs};
        x[0] = fuse_store(x0[0], cap[0], dt, in1, o0, 2, &f->rchr2excs);
        double *o1[] = {&f->e1b, &f->tens2free_1};
        x[1] = fuse_store(x0[1], cap[1], dt, f->rchr2excs, o1, 2, &f->tens2free_1);
        double *o2[] = {&f->q12, &f->qif, &f->oflow_1};
        x[2] = fuse_store(x0[2], cap[2], dt, f->tens2free_1, o2, 3, &f->oflow_1);
    } else if (d->arch1 == HS_FUSE_TENSION1_1) {
        double *o0[] = {&f->e1a, &f->tens2free_1};
        x[0] = fuse_store(x0[0], cap[0], dt, in1, o0, 2, &f->tens2free_1);
        double *o1[] = {&f->q12, &f->qif, &f->oflow_1};
        x[1] = fuse_store(x0[1], cap[1], dt, f->tens2free_1, o1, 3, &f->oflow_1);
        x[2] = 0.0;
    } else {
        double *o0[] = {&f->e1a, &f->q12, &f->qif, &f->oflow_1};
        x[0] = fuse_store(x0[0], cap[0], dt, in1, o0, 4, &f->oflow_1);
        x[1] = x[2] = 0.0;
    }
    if (d->arch2 == HS_FUSE_TENS2PLL_2) {
        const double pf = h->p[HS_FUSE_PERCFRAC];
        double *o3[] = {&f->e2, &f->tens2free_2};
        x[3] = fuse_store(x0[3], cap[3], dt, f->q12 * (1.0 - pf), o3, 2, &f->tens2free_2);
        const double in2 = f->q12 * pf / 2.0 + f->tens2free_2 / 2.0;
        double *o4[] = {&f->qb_a, &f->oflow_2a};
        x[4] = fuse_store(x0[4], cap[4], dt, in2, o4, 2, &f->oflow_2a);
        double *o5[] = {&f->qb_b, &f->oflow_2b};
        x[5] = fuse_store(x0[5], cap[5], dt, in2, o5, 2, &f->oflow_2b);
    } else {
        double *o3[] = {&f->e2, &f->qb_a, &f->oflow_2a};
        const bool bounded = d->arch2 == HS_FUSE_FIXEDSIZ_2;
        x[3] = fuse_store(x0[3], cap[3], dt, f->q12, o3, 3, bounded ? &f->oflow_2a : NULL);
        x[4] = x[5] = 0.0;
    }
}

/* Solves A y = b (n <= 6); false if singular. Two states (VIC, TOPMODEL): Cramer's rule, one
 * division (the Newton matrix I - dt J is far from singular: J's diagonal is <= 0 and the
 * coupling weak); more: Gaussian elimination with partial pivoting. */
FUSE_INLINE bool fuse_solve(int n, double a[FUSE_NSLOT][FUSE_NSLOT], double *b)
{
    if (n == 2) {
        const double a00 = a[0][0], a01 = a[0][1], a10 = a[1][0], a11 = a[1][1];
        const double b0 = b[0], b1 = b[1];
        const double rdet = 1.0 / (a00 * a11 - a01 * a10);
        b[0] = (b0 * a11 - a01 * b1) * rdet;
        b[1] = (a00 * b1 - a10 * b0) * rdet;
        return fabs(rdet) <= DBL_MAX;
    }
    for (int c = 0; c < n; c++) {
        int piv = c;
        for (int r = c + 1; r < n; r++)
            if (fabs(a[r][c]) > fabs(a[piv][c])) piv = r;
        if (!(fabs(a[piv][c]) > 0.0)) return false;
        if (piv != c) {
            for (int k = 0; k < n; k++) {
                const double t = a[c][k];
                a[c][k] = a[piv][k];
                a[piv][k] = t;
            }
            const double t = b[c];
            b[c] = b[piv];
            b[piv] = t;
        }
        for (int r = c + 1; r < n; r++) {
            const double m = a[r][c] / a[c][c];
            for (int k = c; k < n; k++) a[r][k] -= m * a[c][k];
            b[r] -= m * b[c];
        }
    }
    for (int c = n - 1; c >= 0; c--) {
        double s = b[c];
        for (int k = c + 1; k < n; k++) s -= a[c][k] * b[k];
        b[c] = s / a[c][c];
    }
    return true;
}

/* ---- implicit Euler with an analytic Jacobian (docs §3.7) ---------------------------------------
 *
 * Profile of the former solver (perf, Bow, VIC parent, 16 HRUs): 2.6 Newton iterations per day
 * but 12.6 flux evaluations, because every iteration evaluated the fluxes once per active state
 * for the forward-difference Jacobian, once per line-search trial, and once more at the end;
 * pow() alone took ~40 % of the time, fuse_fluxes/fuse_residual ~35 %, exp and fmin/fmax calls
 * the rest (TOPMODEL: hs_math_gamma_p with its lgamma ~50 %). Now each evaluation returns the
 * fluxes with their exact derivatives (forward-mode differentiation, below), the first
 * line-search trial is the full step whose evaluation also gives the next Jacobian, and the
 * fluxes of the last accepted evaluation are those at the end state: ~3.6 evaluations per day.
 *
 * A fuse_dual is a value with its gradient over the six state slots. Kinks (the clipping of the
 * states into [0, cap], min/max) take the derivative of the side the forward difference saw. */
typedef struct fuse_dual {
    _Alignas(16) double d[FUSE_NSLOT];
    double v;
    double pad; /* 64 bytes, 16-aligned: whole-register copies */
} fuse_dual;

static inline fuse_dual fd_const(double v)
{
    fuse_dual r = {{0.0}, v, 0.0};
    return r;
}

static inline fuse_dual fd_add(int ng, fuse_dual a, fuse_dual b)
{
    a.v += b.v;
    for (int k = 0; k < ng; k++) a.d[k] += b.d[k];
    return a;
}

static inline fuse_dual fd_sub(int ng, fuse_dual a, fuse_dual b)
{
    a.v -= b.v;
    for (int k = 0; k < ng; k++) a.d[k] -= b.d[k];
    return a;
}

static inline fuse_dual fd_mul(int ng, fuse_dual a, fuse_dual b)
{
    const double av = a.v;
    a.v = av * b.v;
    for (int k = 0; k < ng; k++) a.d[k] = a.d[k] * b.v + av * b.d[k];
    return a;
}

/* a * c for a constant c. */
static inline fuse_dual fd_scale(int ng, fuse_dual a, double c)
{
    a.v *= c;
    for (int k = 0; k < ng; k++) a.d[k] *= c;
    return a;
}

/* a / c for a constant c, as a * (1 / c): the lanes keep 1 / c per HRU (FL(fl_par)), so the
 * division of every evaluation becomes a multiplication (a vector division costs about 16
 * multiplications' throughput). Within an ulp of a / c; the same bits as the lanes'. */
static inline fuse_dual fd_div(int ng, fuse_dual a, double c)
{
    const double rc = 1.0 / c;
    a.v *= rc;
    for (int k = 0; k < ng; k++) a.d[k] *= rc;
    return a;
}

/* fuse_ratio(s, cap). */
static inline fuse_dual fd_ratio(int ng, fuse_dual s, double cap)
{
    return cap > 0.0 ? fd_div(ng, s, cap) : fd_const(0.0);
}

/* fmin(a, c) and fmax(0, a) for a constant c. */
static inline fuse_dual fd_min(int ng, fuse_dual a, double c)
{
    (void)ng; /* no loop: the uniform signature keeps the flux code readable */
    return a.v < c ? a : fd_const(c);
}
static inline fuse_dual fd_pos(int ng, fuse_dual a)
{
    (void)ng;
    return a.v > 0.0 ? a : fd_const(0.0);
}

/* pow(a, e) for a constant exponent, given pw and dp = e a^(e-1) from fuse_pow_d (0 at a base
 * <= 0, where the forward difference of a clipped state sees a flat or one-sided function). */
static inline fuse_dual fd_pow(int ng, fuse_dual a, double pw, double dp)
{
    fuse_dual r = fd_scale(ng, a, dp);
    r.v = pw;
    return r;
}

/* FUSE's logistic smoother L(S, Smax) = 1 / (1 + exp(-(S - Smax + 5ψ) / ψ)), ψ = PSMOOTH·Smax
 * (§3.3 item 7), with its derivative L (1 - L) / ψ. Far below the capacity, exp()
 * would give L < 2e-22: L is taken as 0 there (its overflow then changes a state by less than
 * 2e-22 of the inflow, far below the Newton tolerance). z = fd_logistic_z(s, smax) and
 * ez = exp(z) are given (computed together for all smoothers of an evaluation). */
static inline fuse_dual fd_logistic(int ng, fuse_dual s, double smax, double z, double ez)
{
    const double rpsi = 1.0 / (FUSE_PSMOOTH * smax); /* as fd_div: the lanes keep it per HRU */
    if (z > 50.0) return fd_const(0.0);
    const double l = 1.0 / (1.0 + ez);
    fuse_dual r = fd_scale(ng, s, l * (1.0 - l) * rpsi);
    r.v = l;
    return r;
}

/* The exponent z of fd_logistic. */
static inline double fd_logistic_z(fuse_dual s, double smax)
{
    const double psi = FUSE_PSMOOTH * smax, rpsi = 1.0 / psi;
    return -(s.v - smax + 5.0 * psi) * rpsi;
}

/* Whether the solver of shape sh takes the last Newton correction unevaluated (fuse_newton):
 * two-state structures (VIC, TOPMODEL) only. With 4 or 5 states the flux gradient rows to keep
 * cost more than the evaluations saved (bench_fuse, 2,335 HRUs: PRMS 101.9 ns per HRU-step
 * without, 106.7 with; SACRAMENTO 171.4 / 173.7; VIC 55.7 with). */
static inline bool fuse_newton_skips(const fuse_shape *sh) { return sh->n <= 2; }

/* Fluxes (fuse_fluxes' equations plus the logistic overflow of §3.3 item 7) and the state derivatives dx with
 * their gradients, at states xin; fd[k] holds the fluxes' gradient row k (rows 0..ng-1), for
 * fuse_flux_extrapolate. */
FUSE_INLINE void fuse_eval(const fuse_hru *h, const fuse_shape *sh, const double *xin,
                           double peff, double pet, fuse_flux *f, fuse_flux *fd, fuse_dual *dx)
{
    const hs_fuse_decisions *d = &sh->d;
    const int ng = sh->ng;
    const int *gidx = sh->gidx;
    const double *p = h->p;
    const hs_fuse_derived *r = &h->r;
    fuse_dual x[FUSE_NSLOT];
    for (int s = 0; s < FUSE_NSLOT; s++) {
        const double c = h->cap[s];
        x[s] = fd_const(fuse_clip(xin[s], c));
        if (gidx[s] >= 0) x[s].d[gidx[s]] = (xin[s] >= 0.0 && xin[s] < c) ? 1.0 : 0.0;
    }
    const fuse_dual zero = fd_const(0.0);

    /* Diagnostic sub-states (§3.2). */
    fuse_dual watr1, tens1, free1, tens1a = zero, tens1b = zero;
    const double maxwatr1 = p[HS_FUSE_MAXWATR_1], maxwatr2 = p[HS_FUSE_MAXWATR_2];
    if (d->arch1 == HS_FUSE_ONESTATE_1) {
        watr1 = x[0];
        tens1 = fd_min(ng, watr1, r->maxtens_1);
        free1 = fd_pos(ng, fd_sub(ng, watr1, fd_const(r->maxtens_1)));
    } else if (d->arch1 == HS_FUSE_TENSION1_1) {
        tens1 = x[0];
        free1 = x[1];
        watr1 = fd_add(ng, tens1, free1);
    } else {
        tens1a = x[0];
        tens1b = x[1];
        free1 = x[2];
        tens1 = fd_add(ng, tens1a, tens1b);
        watr1 = fd_add(ng, tens1, free1);
    }
    fuse_dual watr2, tens2, free2a = zero, free2b = zero;
    if (d->arch2 == HS_FUSE_TENS2PLL_2) {
        tens2 = x[3];
        free2a = x[4];
        free2b = x[5];
        watr2 = fd_add(ng, fd_add(ng, tens2, free2a), free2b);
    } else {
        watr2 = x[3];
        tens2 = fd_min(ng, watr2, r->maxtens_2);
    }

    /* The bases of the powers below depend on the states only: their fuse_pow_d run together in
     * one loop, which vectorises (fuse_pow_d's latency, ~160 cycles, is what a lone HRU waits for;
     * the lanes vectorise over HRUs instead). Each is the same fuse_pow_d as in the lanes. */
    enum { POW_AC, POW_Q12, POW_QB, POW_N };
    fuse_dual pow_base[POW_N] = {zero, zero, zero};
    double pow_a[4] = {1.0, 1.0, 1.0, 1.0}, pow_e[4] = {1.0, 1.0, 1.0, 1.0}, pw[4], dp[4];
    double pow_y[4];
    if (d->qsurf == HS_FUSE_ARNO_X_VIC) {
        pow_base[POW_AC] = fd_sub(ng, fd_const(1.0), fd_min(ng, fd_div(ng, watr1, maxwatr1), 1.0));
        pow_e[POW_AC] = p[HS_FUSE_AXV_BEXP];
    }
    if (d->qperc == HS_FUSE_PERC_F2SAT) {
        pow_base[POW_Q12] = fd_ratio(ng, free1, r->maxfree_1);
        pow_e[POW_Q12] = p[HS_FUSE_PERCEXP];
    } else if (d->qperc == HS_FUSE_PERC_W2SAT) {
        pow_base[POW_Q12] = fd_min(ng, fd_div(ng, watr1, maxwatr1), 1.0);
        pow_e[POW_Q12] = p[HS_FUSE_PERCEXP];
    } else {
        pow_base[POW_Q12] = fd_pos(ng, fd_sub(ng, fd_const(1.0), fd_div(ng, watr2, maxwatr2)));
        pow_e[POW_Q12] = p[HS_FUSE_SACPEXP];
    }
    if (d->arch2 == HS_FUSE_UNLIMPOW_2) {
        pow_base[POW_QB] = fd_div(ng, watr2, maxwatr2);
        pow_e[POW_QB] = p[HS_FUSE_QB_POWR];
    } else if (d->arch2 == HS_FUSE_FIXEDSIZ_2) {
        pow_base[POW_QB] = fd_min(ng, fd_div(ng, watr2, maxwatr2), 1.0);
        pow_e[POW_QB] = p[HS_FUSE_QB_POWR];
    }
    for (int k = 0; k < POW_N; k++) pow_a[k] = pow_base[k].v;
#pragma omp simd
    for (int k = 0; k < 4; k++) {
        pow_y[k] = fuse_pow_y(pow_a[k], pow_e[k]);
        fuse_pow_d(pow_a[k], pow_e[k], pow_y[k], &pw[k], &dp[k]);
    }
    for (int k = 0; k < POW_N; k++)
        if (pow_y[k] > FUSE_POW_Q_MAX && pow_a[k] > 0.0) pw[k] = fuse_pow_far(pow_a[k], pow_e[k]);

    /* 1. Saturated area and surface runoff. */
    fuse_dual ac;
    if (d->qsurf == HS_FUSE_ARNO_X_VIC) {
        ac = fd_sub(ng, fd_const(1.0), fd_pow(ng, pow_base[POW_AC], pw[POW_AC], dp[POW_AC]));
    } else if (d->qsurf == HS_FUSE_PRMS_VARNT) {
        ac = fd_scale(ng, fd_min(ng, fd_div(ng, tens1, r->maxtens_1), 1.0), p[HS_FUSE_SAREAMAX]);
    } else {
        const double n = p[HS_FUSE_QB_POWR];
        const double w = watr2.v / maxwatr2 + 1e-8;
        const double zeta = r->powlamb / w;
        if (zeta > r->maxpow) {
            ac = zero;
        } else {
            const double y0 = n * log(zeta) - FUSE_TI_OFFSET;
            double dens;
            const double y = fuse_pos0(y0) / r->chi;
            ac = fd_const(1.0 - fuse_gamma_p(p[HS_FUSE_TISHAPE], h->lga_tishape, y, &dens));
            /* d ac / d watr2 = -dens * (n / chi) * d ln(zeta) = dens * n / chi / (w maxwatr2) */
            const double dac = y0 > 0.0 ? dens * n / r->chi / (w * maxwatr2) : 0.0;
            for (int k = 0; k < ng; k++) ac.d[k] = dac * watr2.d[k];
        }
    }
    const fuse_dual qsx = fd_scale(ng, ac, peff);

    /* 2. Upper-layer evaporation. */
    const bool root = d->esoil == HS_FUSE_ROOTWEIGHT;
    fuse_dual e1a, e1b = zero, e1;
    if (d->arch1 == HS_FUSE_TENSION2_1) {
        if (root) {
            e1a = fd_scale(ng, fd_ratio(ng, tens1a, r->maxtens_1a), pet * p[HS_FUSE_RTFRAC1]);
            e1b = fd_scale(ng, fd_ratio(ng, tens1b, r->maxtens_1b), pet * r->rtfrac2);
        } else {
            e1a = fd_scale(ng, fd_ratio(ng, tens1a, r->maxtens_1a), pet);
            e1b = fd_mul(ng, fd_sub(ng, fd_const(pet), e1a), fd_ratio(ng, tens1b, r->maxtens_1b));
        }
        e1 = fd_add(ng, e1a, e1b);
    } else {
        e1a = fd_scale(ng, fd_scale(ng, fd_ratio(ng, tens1, r->maxtens_1), pet),
                       root ? p[HS_FUSE_RTFRAC1] : 1.0);
        e1 = e1a;
    }

    /* 3. Lower-layer evaporation, only for these architecture pairs. */
    fuse_dual e2 = zero;
    if ((d->arch2 == HS_FUSE_TENS2PLL_2 || d->arch2 == HS_FUSE_FIXEDSIZ_2) &&
        d->arch1 != HS_FUSE_TENSION2_1)
        e2 = fd_mul(ng, root ? fd_const(pet * r->rtfrac2) : fd_sub(ng, fd_const(pet), e1),
                    fd_ratio(ng, tens2, r->maxtens_2));

    /* 4. Interflow. */
    const fuse_dual qif = d->qintf == HS_FUSE_INTFLWSOME
                              ? fd_scale(ng, fd_ratio(ng, free1, r->maxfree_1), p[HS_FUSE_IFLWRTE])
                              : zero;

    /* 5. Percolation. */
    fuse_dual q12;
    const fuse_dual q12_pow = fd_pow(ng, pow_base[POW_Q12], pw[POW_Q12], dp[POW_Q12]);
    if (d->qperc == HS_FUSE_PERC_F2SAT || d->qperc == HS_FUSE_PERC_W2SAT) {
        q12 = fd_scale(ng, q12_pow, p[HS_FUSE_PERCRTE]);
    } else {
        const fuse_dual mult = fd_add(ng, fd_const(1.0), fd_scale(ng, q12_pow, p[HS_FUSE_SACPMLT]));
        q12 = fd_mul(ng, fd_scale(ng, mult, r->qbsat), fd_ratio(ng, free1, r->maxfree_1));
    }

    /* 6. Baseflow. */
    fuse_dual qb_a, qb_b = zero;
    switch (d->arch2) {
    case HS_FUSE_TENS2PLL_2:
        qb_a = fd_scale(ng, free2a, p[HS_FUSE_QBRATE_2A]);
        qb_b = fd_scale(ng, free2b, p[HS_FUSE_QBRATE_2B]);
        break;
    case HS_FUSE_UNLIMFRC_2: qb_a = fd_scale(ng, watr2, p[HS_FUSE_QB_PRMS]); break;
    case HS_FUSE_UNLIMPOW_2:
        qb_a = fd_scale(ng, fd_pow(ng, pow_base[POW_QB], pw[POW_QB], dp[POW_QB]), r->qbsat);
        break;
    default:
        qb_a = fd_scale(ng, fd_pow(ng, pow_base[POW_QB], pw[POW_QB], dp[POW_QB]),
                        p[HS_FUSE_BASERTE]);
        break;
    }

    /* 7. Overflow, logistic smoother. The smoothers depend on the states only: their exps run
     * together in one vectorised loop, as the powers above. */
    fuse_dual lg_s[6];
    double lg_cap[6], lg_z[8], lg_ez[8];
    int n_lg = 0;
#define FUSE_LG_PUSH(state, capacity) (lg_s[n_lg] = (state), lg_cap[n_lg++] = (capacity))
    if (d->arch1 == HS_FUSE_TENSION2_1) {
        FUSE_LG_PUSH(tens1a, r->maxtens_1a);
        FUSE_LG_PUSH(tens1b, r->maxtens_1b);
        FUSE_LG_PUSH(free1, r->maxfree_1);
    } else if (d->arch1 == HS_FUSE_TENSION1_1) {
        FUSE_LG_PUSH(tens1, r->maxtens_1);
        FUSE_LG_PUSH(free1, r->maxfree_1);
    } else {
        FUSE_LG_PUSH(watr1, maxwatr1);
    }
    const int lg_lower = n_lg;
    if (d->arch2 == HS_FUSE_TENS2PLL_2) {
        FUSE_LG_PUSH(tens2, r->maxtens_2);
        FUSE_LG_PUSH(free2a, r->maxfree_2a);
        FUSE_LG_PUSH(free2b, r->maxfree_2b);
    } else if (d->arch2 == HS_FUSE_FIXEDSIZ_2) {
        FUSE_LG_PUSH(watr2, maxwatr2);
    }
#undef FUSE_LG_PUSH
    bool lg_near = false; /* usually every store is far below its capacity: no exp at all */
    for (int k = 0; k < 8; k++) {
        lg_z[k] = k < n_lg ? fd_logistic_z(lg_s[k], lg_cap[k]) : 100.0;
        lg_near |= !(lg_z[k] > 50.0);
        lg_ez[k] = 0.0;
    }
    if (lg_near) {
#pragma omp simd
        for (int k = 0; k < 8; k++) { /* as fl_logistic */
            const bool far = lg_z[k] > 50.0;
            const double v = hs_vm_exp(far ? 0.0 : lg_z[k]);
            lg_ez[k] = far ? 0.0 : v;
        }
    }
#define FUSE_LG(k) fd_logistic(ng, lg_s[k], lg_cap[k], lg_z[k], lg_ez[k])
    fuse_dual rchr2excs = zero, tens2free_1 = zero, oflow_1, tens2free_2 = zero;
    fuse_dual oflow_2a = zero, oflow_2b = zero;
    const fuse_dual in1 = fd_sub(ng, fd_const(peff), qsx);
    if (d->arch1 == HS_FUSE_TENSION2_1) {
        rchr2excs = fd_mul(ng, FUSE_LG(0), in1);
        tens2free_1 = fd_mul(ng, FUSE_LG(1), rchr2excs);
        oflow_1 = fd_mul(ng, FUSE_LG(2), tens2free_1);
    } else if (d->arch1 == HS_FUSE_TENSION1_1) {
        tens2free_1 = fd_mul(ng, FUSE_LG(0), in1);
        oflow_1 = fd_mul(ng, FUSE_LG(1), tens2free_1);
    } else {
        oflow_1 = fd_mul(ng, FUSE_LG(0), in1);
    }
    const double pf = p[HS_FUSE_PERCFRAC];
    fuse_dual in2 = zero;
    if (d->arch2 == HS_FUSE_TENS2PLL_2) {
        tens2free_2 = fd_mul(ng, FUSE_LG(lg_lower), fd_scale(ng, q12, 1.0 - pf));
        in2 = fd_add(ng, fd_div(ng, fd_scale(ng, q12, pf), 2.0), fd_div(ng, tens2free_2, 2.0));
        oflow_2a = fd_mul(ng, FUSE_LG(lg_lower + 1), in2);
        oflow_2b = fd_mul(ng, FUSE_LG(lg_lower + 2), in2);
    } else if (d->arch2 == HS_FUSE_FIXEDSIZ_2) {
        oflow_2a = fd_mul(ng, FUSE_LG(lg_lower), q12);
    }
#undef FUSE_LG

    f->qsx = qsx.v;
    f->e1a = e1a.v;
    f->e1b = e1b.v;
    f->e2 = e2.v;
    f->qif = qif.v;
    f->q12 = q12.v;
    f->rchr2excs = rchr2excs.v;
    f->tens2free_1 = tens2free_1.v;
    f->oflow_1 = oflow_1.v;
    f->tens2free_2 = tens2free_2.v;
    f->oflow_2a = oflow_2a.v;
    f->oflow_2b = oflow_2b.v;
    f->qb_a = qb_a.v;
    f->qb_b = qb_b.v;
    for (int k = 0; k < ng && fuse_newton_skips(sh); k++) { /* for fuse_flux_extrapolate */
        fd[k].qsx = qsx.d[k];
        fd[k].e1a = e1a.d[k];
        fd[k].e1b = e1b.d[k];
        fd[k].e2 = e2.d[k];
        fd[k].qif = qif.d[k];
        fd[k].q12 = q12.d[k];
        fd[k].rchr2excs = rchr2excs.d[k];
        fd[k].tens2free_1 = tens2free_1.d[k];
        fd[k].oflow_1 = oflow_1.d[k];
        fd[k].tens2free_2 = tens2free_2.d[k];
        fd[k].oflow_2a = oflow_2a.d[k];
        fd[k].oflow_2b = oflow_2b.d[k];
        fd[k].qb_a = qb_a.d[k];
        fd[k].qb_b = qb_b.d[k];
    }

    /* 8. State derivatives (fuse_derivs). */
    for (int k = 0; k < FUSE_NSLOT; k++) dx[k] = zero;
    if (d->arch1 == HS_FUSE_TENSION2_1) {
        dx[0] = fd_sub(ng, fd_sub(ng, in1, e1a), rchr2excs);
        dx[1] = fd_sub(ng, fd_sub(ng, rchr2excs, e1b), tens2free_1);
        dx[2] = fd_sub(ng, fd_sub(ng, fd_sub(ng, tens2free_1, q12), qif), oflow_1);
    } else if (d->arch1 == HS_FUSE_TENSION1_1) {
        dx[0] = fd_sub(ng, fd_sub(ng, in1, e1a), tens2free_1);
        dx[1] = fd_sub(ng, fd_sub(ng, fd_sub(ng, tens2free_1, q12), qif), oflow_1);
    } else {
        dx[0] = fd_sub(ng, fd_sub(ng, fd_sub(ng, fd_sub(ng, in1, e1a), q12), qif), oflow_1);
    }
    if (d->arch2 == HS_FUSE_TENS2PLL_2) {
        dx[3] = fd_sub(ng, fd_sub(ng, fd_scale(ng, q12, 1.0 - pf), e2), tens2free_2);
        dx[4] = fd_sub(ng, fd_sub(ng, in2, qb_a), oflow_2a);
        dx[5] = fd_sub(ng, fd_sub(ng, in2, qb_b), oflow_2b);
    } else {
        dx[3] = fd_sub(ng, fd_sub(ng, fd_sub(ng, q12, e2), qb_a), oflow_2a);
    }
}

/* Residual g = x - x0 - dt f(x) on the active slots, its Jacobian I - dt df/dx and the fluxes
 * at x; returns the max scaled |g| (NaN propagates as "not converged"). */
FUSE_INLINE double fuse_newton_eval(const fuse_hru *h, const fuse_shape *sh, const double *x0,
                                    const double *x, double dt, double peff, double pet,
                                    double *g, double jac[FUSE_NSLOT][FUSE_NSLOT], fuse_flux *f,
                                    fuse_flux *fd)
{
    fuse_dual dx[FUSE_NSLOT];
    fuse_eval(h, sh, x, peff, pet, f, fd, dx);
    double norm = 0.0;
    const int n = sh->n;
    for (int r = 0; r < n; r++) {
        const int s = sh->act[r];
        g[r] = x[s] - x0[s] - dt * dx[s].v;
        for (int c = 0; c < n; c++)
            jac[r][c] = (r == c ? 1.0 : 0.0) - dt * dx[s].d[sh->gidx[sh->act[c]]];
        const double e = fabs(g[r]) / (1.0 + fabs(x[s]));
        if (!(e <= norm)) norm = e;
    }
    return norm;
}

/* The last Newton correction without the evaluation that would confirm it. Newton converges
 * quadratically near the root, r_{k+1} ~ M r_k^2, and the last two accepted full steps
 * estimate M: the scaled residual after the next full step is predicted as r_k (r_k /
 * r_{k-1})^2 (the convergence-rate estimate of stiff ODE solvers' Newton tests, Hairer & Wanner
 * IV.8; CVODE's test on the correction is of the same kind). Where that is below 1 % of the
 * tolerance, r_k itself is below 1e-7 and the step crosses no kink (no state enters or leaves
 * [0, cap)), the step is taken and the fluxes are moved to the new state along their
 * gradients (first order, the error of the order of the residual): the state then solves its
 * linearised residual exactly. The bound on r_k keeps the estimate to the asymptotic regime:
 * from steps that started far from the root (r_{k-1} ~ 1) and ended at r_k ~ 1e-6..1e-5, the
 * logistic smoother's curvature (psi = 1 % of the capacity) made the true residual up to 1e4
 * times the prediction (PRMS, SACRAMENTO). With these bounds the worst residual evaluated
 * afresh after a skipped correction was 3e-13 over 41,700 such days of random parameter sets of
 * the four parent structures; tests/hydro/test_fuse.c evaluates every day's end state afresh
 * (fuse_newton_skips limits it to two-state structures now). Saves one evaluation of the fluxes
 * on most days (bench_models, VIC: 3.6 -> 2.8 per HRU-day). */
#define FUSE_NEWTON_SKIP (0.01 * FUSE_NEWTON_TOL)
#define FUSE_NEWTON_SKIP_FROM 1e-7

/* The predicted scaled residual after the next full step: r (r / r_prev)^2. */
static inline double fuse_newton_predict(double r, double r_prev)
{
    const double q = r / r_prev;
    return q * q * r;
}

/* Whether x and x + step are on the same side of 0 and of the capacity in every active slot. */
static inline bool fuse_same_regime(const fuse_shape *sh, const double *cap, const double *x,
                                    const double *step)
{
    bool same = true;
    for (int r = 0; r < sh->n; r++) {
        const int s = sh->act[r];
        const double xn = x[s] + step[r];
        same = same && ((x[s] >= 0.0) == (xn >= 0.0)) && ((x[s] < cap[s]) == (xn < cap[s]));
    }
    return same;
}

/* f += (gradient rows fd) . step, step in the order of the active slots. */
static inline void fuse_flux_extrapolate(const fuse_shape *sh, fuse_flux *f, const fuse_flux *fd,
                                         const double *step)
{
    enum { N_FLUX = (int)(sizeof(fuse_flux) / sizeof(double)) };
    double *fv = (double *)(void *)f;
    const double *dv = (const double *)(const void *)fd;
    for (int r = 0; r < sh->n; r++) {
        const int k = sh->gidx[sh->act[r]];
        for (int j = 0; j < N_FLUX; j++) fv[j] = fv[j] + dv[k * N_FLUX + j] * step[r];
    }
}

/* Newton on g(x) = x - x0 - dt f(x) over the active states, from the guess in x, with the
 * analytic Jacobian and backtracking (accept the first step length that lowers the residual);
 * x and f return the end state and its fluxes (before fixing), the result is the end state's
 * scaled residual (NaN if the evaluation failed; predicted after a last step taken without
 * evaluation, FUSE_NEWTON_SKIP). */
FUSE_INLINE double fuse_newton(const fuse_hru *h, const fuse_shape *sh, const double *x0,
                               double *x, double dt, double peff, double pet, fuse_flux *f)
{
    double g[FUSE_NSLOT], gt[FUSE_NSLOT], xt[FUSE_NSLOT];
    double jac[FUSE_NSLOT][FUSE_NSLOT], jt[FUSE_NSLOT][FUSE_NSLOT];
    fuse_flux ft, fd[FUSE_NSLOT]; /* fd: the gradient rows of the latest evaluation's fluxes */
    double norm = fuse_newton_eval(h, sh, x0, x, dt, peff, pet, g, jac, f, fd);
    double norm_prev = 0.0;
    bool full = false; /* the last accepted step was a full one (then norm_prev is set) */
    const int n = sh->n;
    for (int it = 0; it < FUSE_NEWTON_MAXIT && norm > FUSE_NEWTON_TOL; it++) {
        double step[FUSE_NSLOT];
        for (int r = 0; r < n; r++) step[r] = -g[r];
        if (!fuse_solve(n, jac, step)) break; /* jac is consumed; a break ends the loop */
        /* The latest evaluation is that of x (accepted last): fd is x's. */
        if (full && fuse_newton_skips(sh)) {
            const double pred = fuse_newton_predict(norm, norm_prev);
            if (pred <= FUSE_NEWTON_SKIP && norm <= FUSE_NEWTON_SKIP_FROM &&
                fuse_same_regime(sh, h->cap, x, step)) {
                fuse_flux_extrapolate(sh, f, fd, step);
                for (int r = 0; r < n; r++) x[sh->act[r]] = x[sh->act[r]] + 1.0 * step[r];
                return pred;
            }
        }
        double lambda = 1.0, tnorm = norm;
        bool accepted = false;
        for (int ls = 0; ls < 12; ls++, lambda *= 0.5) {
            memcpy(xt, x, sizeof xt);
            for (int r = 0; r < n; r++) xt[sh->act[r]] += lambda * step[r];
            tnorm = fuse_newton_eval(h, sh, x0, xt, dt, peff, pet, gt, jt, &ft, fd);
            if (tnorm < norm) {
                accepted = true;
                full = ls == 0;
                break;
            }
        }
        if (!accepted) break; /* stalled: the caller decides (fuse_rescue) */
        norm_prev = norm;
        memcpy(x, xt, sizeof xt);
        /* Only the n x n active block: a constant in the specialised solvers. */
        for (int r = 0; r < n; r++) {
            g[r] = gt[r];
            for (int c = 0; c < n; c++) jac[r][c] = jt[r][c];
        }
        *f = ft;
        norm = tnorm;
    }
    return norm;
}

/* The day's Newton from the guess failed (stalled far from the root, or ran out of
 * iterations): 0.03 % of the HRU-days of random parameter sets, typically a Newton step that
 * drains a fast store below 0 and lands on the kinks of the clipped fluxes, where no step
 * length lowers the residual. Left alone, such a day keeps an end state whose residual is O(1)
 * mm, i.e. whatever iterate the solver stopped at. The rescue finds the same implicit Euler
 * root by continuation in the step length: it solves x - x0 - tau f(x) = 0 for tau growing from
 * 0 to dt, each solve starting from the previous root (close to it when the increment is
 * small), halving the increment after a failed solve and doubling it after a good one. The end
 * state replaces the failed one only if its residual is lower. Scalar and shared by the lanes
 * (which call it for their failed lanes), so both give the same bits. */
#define FUSE_RESCUE_STAGE_TOL 1e-9 /* an intermediate root only seeds the next solve */
enum { FUSE_DAY_CONVERGED, FUSE_DAY_RESCUED, FUSE_DAY_UNCONVERGED }; /* residual <= 1e-12, 1e-9 */
#define FUSE_RESCUE_MIN_FRACTION (1.0 / 65536.0)
#define FUSE_RESCUE_MAX_STAGES 256 /* bounds the cost of a hopeless day (5 on average in tests) */
static __attribute__((noinline)) int fuse_rescue(const fuse_hru *h, const fuse_shape *sh,
                                                 const double *x0, double dt, double peff,
                                                 double pet, double failed_norm, fuse_flux *f)
{
    const int kept = failed_norm <= FUSE_RESCUE_STAGE_TOL ? FUSE_DAY_RESCUED : FUSE_DAY_UNCONVERGED;
    double xs[FUSE_NSLOT], xt[FUSE_NSLOT];
    fuse_flux ft;
    memcpy(xs, x0, sizeof xs);
    double tau = 0.0, dtau = dt / 16.0;
    for (int stage = 0; stage < FUSE_RESCUE_MAX_STAGES; stage++) {
        const bool last = tau + dtau >= dt;
        const double t1 = last ? dt : tau + dtau;
        memcpy(xt, xs, sizeof xt);
        const double norm = fuse_newton(h, sh, x0, xt, t1, peff, pet, &ft);
        if (last && norm <= FUSE_RESCUE_STAGE_TOL) {
            if (!(norm < failed_norm) && failed_norm == failed_norm) return kept;
            *f = ft;
            return FUSE_DAY_RESCUED;
        }
        if (norm <= FUSE_RESCUE_STAGE_TOL) {
            memcpy(xs, xt, sizeof xs);
            tau = t1;
            dtau *= 2.0;
        } else {
            dtau *= 0.5;
            if (dtau < dt * FUSE_RESCUE_MIN_FRACTION) return kept; /* keep the failed solve */
        }
    }
    return kept;
}

/* One implicit Euler step over dt (§3.7): Newton from the guess xg (fuse_newton), rescued by
 * continuation from the start state x0 where it fails; the fluxes at the end state are
 * returned in f (before fixing), the result is a FUSE_DAY_* code. The guess is x0 plus the
 * previous day's change (fuse_guess): the same root to the Newton tolerance, in fewer
 * iterations than from x0. */
FUSE_INLINE int fuse_implicit(const fuse_hru *h, const fuse_shape *sh, const double *x0,
                              const double *xg, double dt, double peff, double pet, fuse_flux *f)
{
    double x[FUSE_NSLOT];
    memcpy(x, xg, sizeof x);
    const double norm = fuse_newton(h, sh, x0, x, dt, peff, pet, f);
    if (norm <= FUSE_NEWTON_TOL) return FUSE_DAY_CONVERGED;
    return fuse_rescue(h, sh, x0, dt, peff, pet, norm, f);
}

/* The parent structures' shapes, for the HRU lanes (fl_run_group): their decisions and active
 * slots are constants, so the decision branches fold away and the gradients carry only the
 * active slots (2 of 6 for VIC and TOPMODEL). Each gradient entry is computed by the same
 * operations as in the generic solver, so the results are bit-identical to it. */
static const fuse_shape fuse_shape_prms = {
    {.arch1 = HS_FUSE_TENSION2_1, .arch2 = HS_FUSE_UNLIMFRC_2, .qsurf = HS_FUSE_PRMS_VARNT,
     .qperc = HS_FUSE_PERC_F2SAT, .esoil = HS_FUSE_SEQUENTIAL, .qintf = HS_FUSE_INTFLWSOME},
    4, 4, {0, 1, 2, 3, -1, -1}, {0, 1, 2, 3}};
static const fuse_shape fuse_shape_sac = {
    {.arch1 = HS_FUSE_TENSION1_1, .arch2 = HS_FUSE_TENS2PLL_2, .qsurf = HS_FUSE_PRMS_VARNT,
     .qperc = HS_FUSE_PERC_LOWER, .esoil = HS_FUSE_SEQUENTIAL, .qintf = HS_FUSE_INTFLWNONE},
    5, 5, {0, 1, -1, 2, 3, 4}, {0, 1, 3, 4, 5}};
static const fuse_shape fuse_shape_topmodel = {
    {.arch1 = HS_FUSE_ONESTATE_1, .arch2 = HS_FUSE_UNLIMPOW_2, .qsurf = HS_FUSE_TMDL_PARAM,
     .qperc = HS_FUSE_PERC_W2SAT, .esoil = HS_FUSE_SEQUENTIAL, .qintf = HS_FUSE_INTFLWNONE},
    2, 2, {0, -1, -1, 1, -1, -1}, {0, 3}};
static const fuse_shape fuse_shape_vic = {
    {.arch1 = HS_FUSE_ONESTATE_1, .arch2 = HS_FUSE_FIXEDSIZ_2, .qsurf = HS_FUSE_ARNO_X_VIC,
     .qperc = HS_FUSE_PERC_W2SAT, .esoil = HS_FUSE_ROOTWEIGHT, .qintf = HS_FUSE_INTFLWNONE},
    2, 2, {0, -1, -1, 1, -1, -1}, {0, 3}};

/* Copies of the kernels chosen at load time (ifunc) as in hs_hbv_batch.c. The lane kernels:
 * AVX-512, AVX2 and the x86-64 baseline (with the powers vectorised, 512-bit vectors run VIC
 * ~20 % faster than AVX2; with glibc's pow they ran ~35 % slower). The scalar solvers: AVX2 and
 * the baseline (their few vector loops gain nothing from 512 bits; AVX-512 ran ~8 % slower).
 * The copies give the same bits (no contraction, lane-wise operations). HS_FUSE_NO_CLONES:
 * the baseline only. */
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__) && \
    defined(__has_attribute) && !defined(HS_FUSE_NO_CLONES)
#if __has_attribute(target_clones)
#define FUSE_CLONES __attribute__((target_clones("avx512f", "arch=x86-64-v3", "default")))
#define FUSE_SCALAR_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
#endif
#ifndef FUSE_CLONES
#define FUSE_CLONES
#define FUSE_SCALAR_CLONES
#endif

typedef int (*fuse_implicit_fn)(const fuse_hru *h, const double *x0, const double *xg, double dt,
                                double peff, double pet, fuse_flux *f);

static int fuse_implicit_generic(const fuse_hru *h, const double *x0, const double *xg, double dt,
                                 double peff, double pet, fuse_flux *f)
{
    return fuse_implicit(h, &h->shape, x0, xg, dt, peff, pet, f);
}
/* The parent structures' scalar solvers, for HRUs that run alone (a lumped basin, or the few
 * left over after the lane groups): specialised as the lanes are, same bits. */
#define FUSE_IMPLICIT_FOR(name)                                                                  \
    FUSE_SCALAR_CLONES static int fuse_implicit_##name(const fuse_hru *h, const double *x0,      \
                                                       const double *xg, double dt, double peff, \
                                                       double pet, fuse_flux *f)                 \
    {                                                                                            \
        return fuse_implicit(h, &fuse_shape_##name, x0, xg, dt, peff, pet, f);                   \
    }
FUSE_IMPLICIT_FOR(prms)
FUSE_IMPLICIT_FOR(sac)
FUSE_IMPLICIT_FOR(topmodel)
FUSE_IMPLICIT_FOR(vic)
#undef FUSE_IMPLICIT_FOR

/* The parent structure of h (0 PRMS, 1 SACRAMENTO, 2 TOPMODEL, 3 VIC), or -1 (other decision
 * sets, or a parameter set that leaves one of the structure's slots without capacity). */
static int fuse_pick_parent(const fuse_hru *h)
{
    static const fuse_shape *const tab[] = {&fuse_shape_prms, &fuse_shape_sac,
                                            &fuse_shape_topmodel, &fuse_shape_vic};
    const hs_fuse_decisions *d = &h->shape.d;
    for (int k = 0; k < (int)(sizeof tab / sizeof tab[0]); k++) {
        const fuse_shape *s = tab[k];
        if (d->arch1 != s->d.arch1 || d->arch2 != s->d.arch2 || d->qsurf != s->d.qsurf ||
            d->qperc != s->d.qperc || d->esoil != s->d.esoil || d->qintf != s->d.qintf ||
            h->shape.n != s->n)
            continue;
        bool same = true;
        for (int r = 0; r < s->n; r++) same = same && h->shape.act[r] == s->act[r];
        if (same) return k;
    }
    return -1;
}

/* The specialised scalar solver of h's structure, or the generic one. */
static fuse_implicit_fn fuse_pick_implicit(const fuse_hru *h)
{
    static const fuse_implicit_fn tab[] = {fuse_implicit_prms, fuse_implicit_sac,
                                           fuse_implicit_topmodel, fuse_implicit_vic};
    const int k = fuse_pick_parent(h);
    return k >= 0 ? tab[k] : fuse_implicit_generic;
}

/* ---- the kernel ------------------------------------------------------------------------------ */

/* Instantaneous runoff (§3.3 item 9) and total evaporation of (fixed) fluxes. */
static inline double fuse_qinst(const fuse_flux *f)
{
    return f->qsx + f->oflow_1 + f->qif + f->oflow_2a + f->oflow_2b + f->qb_a + f->qb_b;
}

static inline double fuse_aet(const fuse_flux *f) { return f->e1a + f->e1b + f->e2; }

/* The constants of HRU i for the flux code. */
static void fuse_hru_setup(const hs_model_impl *m, size_t i, fuse_hru *h)
{
    h->d = m->opt.dec;
    h->p = m->par + i * HS_FUSE_NPAR;
    h->r = m->der[i];
    fuse_caps(&h->d, h->p, &h->r, h->cap);
    h->n_act = 0;
    for (int s = 0; s < FUSE_NSLOT; s++)
        if (h->cap[s] > 0.0) h->act[h->n_act++] = s;
    h->shape.d = h->d;
    h->shape.ng = FUSE_NSLOT;
    h->shape.n = h->n_act;
    for (int s = 0; s < FUSE_NSLOT; s++) {
        h->shape.gidx[s] = s;
        h->shape.act[s] = h->act[s];
    }
    h->lga_tishape = h->d.qsurf == HS_FUSE_TMDL_PARAM ? lgamma(h->p[HS_FUSE_TISHAPE]) : 0.0;
}

static void fuse_run_hru(hs_model_impl *m, size_t i, const hs_forcing_view *fv,
                         const hs_flux_view *out)
{
    const size_t n = m->n_hru, nt = fv->n_time;
    const fuse_options *o = &m->opt;
    fuse_hru h;
    fuse_hru_setup(m, i, &h);
    const fuse_implicit_fn implicit = fuse_pick_implicit(&h);
    const double *p = h.p;
    const bool snow = h.d.snowm == HS_FUSE_TEMP_INDEX;
    const bool additive = h.d.rferr == HS_FUSE_ADDITIVE_E;

    double x[FUSE_NSLOT], trend[FUSE_NSLOT], sens[FUSE_NSENS];
    for (int s = 0; s < FUSE_NSLOT; s++) {
        x[s] = m->state[(size_t)s * n + i];
        trend[s] = m->trend[(size_t)s * n + i];
    }
    for (int k = 0; k < FUSE_NSENS; k++) sens[k] = m->sens[(size_t)k * n + i];
    double swe[HS_FUSE_MAX_BANDS];
    for (size_t b = 0; b < o->n_band; b++) swe[b] = m->swe[b * n + i];
    double *ring = m->ring + i * HS_FUSE_ROUTING_CAP;
    const double *w = m->weights + i * HS_FUSE_ROUTING_CAP;
    const size_t nw = m->n_weights[i];
    size_t head = m->head[i];
    size_t n_solver_days[2] = {0, 0};

    /* Day of year, advanced incrementally (hs_day_to_ymd once per run and HRU). */
    int year, month, day;
    hs_day_to_ymd(fv->first_day, &year, &month, &day);
    int doy = hs_day_of_year(fv->first_day);

    const double mfmax = p[HS_FUSE_MFMAX], mfmin = p[HS_FUSE_MFMIN], mbase = p[HS_FUSE_MBASE];
    const double pxtemp = p[HS_FUSE_PXTEMP], opg = p[HS_FUSE_OPG], lapse = p[HS_FUSE_LAPSE];
    const double rf_add = p[HS_FUSE_RFERR_ADD], rf_mlt = p[HS_FUSE_RFERR_MLT];
    const double dt_sub = 1.0 / (double)o->substeps;

    for (size_t t = 0; t < nt; t++) {
        const size_t idx = t * n;
        const double prec = fv->precip_mm[idx + i], temp = fv->temp_c[idx + i];
        const double pet = fv->pet_mm[idx + i];

        /* Snow per band, explicit, once per day (§3.4). */
        double peff = 0.0, input = 0.0;
        if (snow) {
            /* FUSE's leap test is year mod 4 (docs §3.4). */
            const bool leap = year % 4 == 0;
            const double mf = (0.5 * m->season[leap][doy] + 0.5) * (mfmax - mfmin) + mfmin;
            for (size_t b = 0; b < o->n_band; b++) {
                const double dz = o->band_dz[b];
                const double tb = temp + dz * lapse / 1000.0;
                const double pb = dz > 0.0 ? prec * (1.0 + dz * opg / 1000.0)
                                           : prec / (1.0 - dz * opg / 1000.0);
                const double pc = additive ? fuse_pos0(pb + rf_add) : pb * rf_mlt;
                double melt = (swe[b] > 0.0 && tb > mbase) ? mf * (tb - mbase) : 0.0;
                const bool rain = tb >= pxtemp; /* FUSE drops rain at equality: avoided */
                const double acc = rain ? 0.0 : pc;
                double s = swe[b] + (acc - melt);
                if (s < 0.0) {
                    melt = swe[b] + acc;
                    s = 0.0;
                }
                swe[b] = s;
                peff += o->band_af[b] * (rain ? pc + melt : melt);
                input += o->band_af[b] * pc;
            }
        } else {
            peff = additive ? fuse_pos0(prec + rf_add) : prec * rf_mlt;
            input = peff;
        }

        /* Soil over the day (§3.7). */
        double qinst, aet;
        fuse_flux f;
        if (o->implicit) {
            double x0[FUSE_NSLOT], xg[FUSE_NSLOT];
            memcpy(x0, x, sizeof x0);
            const double dpeff = peff - sens[FUSE_SENS_PEFF], dpet = pet - sens[FUSE_SENS_PET];
            for (int s = 0; s < FUSE_NSLOT; s++) /* as fl_run_group */
                xg[s] = fuse_guess(x0[s], trend[s], sens[FUSE_SENS_P + s], sens[FUSE_SENS_E + s],
                                   dpeff, dpet, h.cap[s]);
            const int solved = implicit(&h, x0, xg, 1.0, peff, pet, &f);
            if (solved != FUSE_DAY_CONVERGED) n_solver_days[solved - 1]++;
            fuse_update(&h, x0, 1.0, peff, &f, x);
            for (int s = 0; s < FUSE_NSLOT; s++) trend[s] = x[s] - x0[s];
            fuse_sens_update(&h.d, &f, peff, pet, sens);
            qinst = fuse_qinst(&f);
            aet = fuse_aet(&f);
        } else {
            qinst = aet = 0.0;
            for (size_t k = 0; k < o->substeps; k++) {
                double x0[FUSE_NSLOT];
                memcpy(x0, x, sizeof x0);
                fuse_fluxes(&h, x0, peff, pet, &f);
                fuse_update(&h, x0, dt_sub, peff, &f, x);
                qinst += dt_sub * fuse_qinst(&f);
                aet += dt_sub * fuse_aet(&f);
            }
        }

        /* Gamma time delay (§3.5) as a ring of future runoff. */
        for (size_t k = 0; k < nw; k++) ring[(head + k) & FUSE_RING_MASK] += qinst * w[k];
        const double routed = ring[head];
        ring[head] = 0.0;
        head = (head + 1) & FUSE_RING_MASK;

        out->runoff_mm[idx + i] = routed;
        if (out->aet_mm) out->aet_mm[idx + i] = aet;
        if (out->input_mm) out->input_mm[idx + i] = input;

        if (++doy > (hs_is_leap_year(year) ? 366 : 365)) {
            doy = 1;
            year++;
        }
    }
    for (int s = 0; s < FUSE_NSLOT; s++) {
        m->state[(size_t)s * n + i] = x[s];
        m->trend[(size_t)s * n + i] = trend[s];
    }
    for (int k = 0; k < FUSE_NSENS; k++) m->sens[(size_t)k * n + i] = sens[k];
    for (size_t b = 0; b < o->n_band; b++) m->swe[b * n + i] = swe[b];
    m->head[i] = head;
    m->solver_days[i] += n_solver_days[0];
    m->solver_days[n + i] += n_solver_days[1];
}

/* ---- HRU lanes: the implicit solver over groups of HRUs (SIMD) --------------------------------
 *
 * The parent structures with the implicit numerics run 8 or 16 HRUs at once (FL_W, below),
 * time-major (the forcing is [t][hru]): each state, flux, parameter and dual number is an array
 * over lanes, and every lane performs the scalar code's operations (snow, fuse_eval,
 * fuse_newton_eval, fuse_solve, fuse_implicit, fuse_gamma_p, fuse_update, routing) in the same
 * order, written the same way. Why the bits are the scalar code's: vector add/sub/mul/div/compare
 * are the scalar IEEE operations; contraction into FMAs is off (-ffp-contract=off,
 * hydro/CMakeLists.txt);
 * branches become selects of the same comparisons; the few rewrites are exact identities
 * (d * (1/c) for gradient rows of 0 and 1, * 0.5 for / 2, hoisted day-independent terms computed
 * by the same expression); pow and the smoother's exp are fuse_pow_d and hs_vm_exp in both (written
 * to vectorise), and the other libm calls (exp and log of the incomplete gamma, lgamma, fmax)
 * stay the scalar calls, lane by lane. Newton runs in lock step: a round evaluates the trial
 * point of every lane still iterating, then each lane accepts, backtracks or stops by the scalar
 * rules; a stopped lane is frozen (its results selected away), so its iteration sequence is
 * its own whatever the other lanes do (measured: ~3.1 rounds per group-day for ~3.0 evaluations
 * per HRU-day, so lock step wastes little). A group that is not full is padded with copies of its
 * first HRU, never computed and dropped: an HRU's bits do not depend on the partition of the HRU
 * range (tests/hydro/test_fuse.c, test_lane_groups). */
/* Lane masks are as wide as a double: a byte mask kept GCC 12 from vectorising the loops that
 * read it (they ran lane by lane: the routing delay's select alone was 6 % of the VIC kernel's
 * instructions, callgrind). */
typedef int64_t fl_mask;
#define FUSE_LANES _Pragma("omp simd") for (int l = 0; l < FL_W; l++)
/* A lane loop that ORs into `acc` (whether any lane ...): masks & and |, not && (a branch per
 * lane keeps the loop scalar). */
#define FUSE_LANES_OR(acc) \
    _Pragma(FUSE_STR(omp simd reduction(|:acc))) for (int l = 0; l < FL_W; l++)
#define FUSE_STR(x) #x


/* Lane widths: 16 for the two-state structures (VIC, TOPMODEL: two groups of 8 in flight
 * hide each other's latency), 8 for PRMS and SACRAMENTO, whose larger gradients at 16 lanes
 * outgrow the L1 cache (bench_fuse, 379 HRUs, ns per HRU-step at 8 / 16 lanes: VIC 106 / 93,
 * TOPMODEL 337 / 281, PRMS 184 / 226, SACRAMENTO 258 / 338). */
#define FUSE_W_MAX 16
static const double fl_one[FUSE_W_MAX] = {1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0,
                                          1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0};
typedef void (*fl_group_fn)(hs_model_impl *m, const size_t *hru, size_t n_real,
                            const hs_forcing_view *fv, const hs_flux_view *out);
#define FL_W 8
#define FL(name) name##_w8
#include "hs_fuse_lanes.h"
#undef FL
#undef FL_W
#define FL_W 16
#define FL(name) name##_w16
#include "hs_fuse_lanes.h"
#undef FL
#undef FL_W


static hs_status fuse_run(hs_model_impl *m, hs_range hrus, const hs_forcing_view *f,
                          const hs_flux_view *out, hs_ctx *ctx)
{
    if (!m || !f || !out || !out->runoff_mm)
        return HS_FAIL(ctx, HS_ERR_ARG, "FUSE run: NULL model, forcing or runoff array");
    if (!m->initialized)
        return HS_FAIL(ctx, HS_ERR_ARG, "FUSE run: parameters not set (call init first)");
    if (f->n_hru != m->n_hru || hrus.first > m->n_hru || hrus.count > m->n_hru - hrus.first)
        return HS_FAIL(ctx, HS_ERR_ARG, "FUSE run: HRU range [%zu, +%zu) or forcing HRU count %zu "
                       "does not fit the model's %zu HRUs", hrus.first, hrus.count, f->n_hru,
                       m->n_hru);
    if (f->n_time > 0 && (!f->precip_mm || !f->temp_c || !f->pet_mm))
        return HS_FAIL(ctx, HS_ERR_ARG, "FUSE run: forcing needs precip_mm, temp_c and pet_mm");
    /* Implicit numerics with a parent structure: the HRUs in groups of 8 or 16 lanes, in range
     * order (an HRU's bits do not depend on its group); everything else one HRU at a time. */
    fl_group_fn group = NULL;
    size_t width = 0, alone = 0;
    if (m->opt.implicit) {
        static const fl_group_fn fns[] = {fl_run_group_prms_w8, fl_run_group_sac_w8,
                                          fl_run_group_topmodel_w16, fl_run_group_vic_w16};
        static const size_t widths[] = {8, 8, 16, 16};
        /* A group costs as much whether its lanes are real or padding: the HRUs left over after
         * the full groups run alone (scalar solver, same bits) when that is cheaper, i.e. up to
         * width x (lane cost) / (scalar cost) of them (bench_fuse, 379 HRUs vs 1 HRU: PRMS
         * 8 x 184 / 625, SACRAMENTO 8 x 259 / 738, TOPMODEL 16 x 287 / 770, VIC 16 x 93 / 433
         * ns per HRU-step). A lumped basin's one HRU always runs alone. */
        static const size_t alone_max[] = {2, 2, 5, 3};
        fuse_hru h;
        for (size_t i = hrus.first; i < hrus.first + hrus.count && !group; i++) {
            fuse_hru_setup(m, i, &h);
            const int k = fuse_pick_parent(&h);
            if (k >= 0) {
                group = fns[k];
                width = widths[k];
                alone = alone_max[k];
            }
        }
    }
    size_t lanes[FUSE_W_MAX], n_real = 0;
    for (size_t i = hrus.first; i < hrus.first + hrus.count; i++) {
        fuse_hru h;
        if (group) fuse_hru_setup(m, i, &h);
        if (!group || fuse_pick_parent(&h) < 0) {
            fuse_run_hru(m, i, f, out);
            continue;
        }
        lanes[n_real++] = i;
        if (n_real == width) {
            group(m, lanes, n_real, f, out);
            n_real = 0;
        }
    }
    if (n_real > 0 && n_real <= alone) {
        for (size_t l = 0; l < n_real; l++) fuse_run_hru(m, lanes[l], f, out);
    } else if (n_real > 0) {
        for (size_t l = n_real; l < width; l++) lanes[l] = lanes[0];
        group(m, lanes, n_real, f, out);
    }
    return HS_OK;
}

static double fuse_storage_mm(const hs_model_impl *m, size_t hru)
{
    if (!m || hru >= m->n_hru) return NAN;
    const size_t n = m->n_hru;
    double s = 0.0;
    for (int k = 0; k < FUSE_NSLOT; k++) s += m->state[(size_t)k * n + hru];
    for (size_t b = 0; b < m->opt.n_band; b++) s += m->opt.band_af[b] * m->swe[b * n + hru];
    const double *ring = m->ring + hru * HS_FUSE_ROUTING_CAP;
    for (size_t k = 0; k < HS_FUSE_ROUTING_CAP; k++) s += ring[k];
    return s;
}

const hs_model_ops hs_fuse_ops = {
    .name = "FUSE",
    .description = "FUSE decision framework (PRMS, Sacramento, TOPMODEL, ARNO/VIC parents) with "
                   "temperature-index snow on elevation bands (docs-models.md §3)",
    .n_params = HS_FUSE_NPAR,
    .params = fuse_params,
    .n_option_keys = FUSE_N_OPTION_KEYS,
    .option_keys = fuse_option_keys,
    .create = fuse_create,
    .init = fuse_init,
    .run = fuse_run,
    .storage_mm = fuse_storage_mm,
    .destroy = fuse_destroy,
};

bool hs_fuse_check_newton(const hs_model *model, const double *peff, const double *pet,
                          size_t n, double *worst, size_t *n_converged)
{
    if (hs_model_get_ops(model) != &hs_fuse_ops) return false;
    const hs_model_impl *m = hs_model_get_impl(model);
    if (!m->initialized) return false;
    static const fuse_shape *const parents[] = {&fuse_shape_prms, &fuse_shape_sac,
                                                &fuse_shape_topmodel, &fuse_shape_vic};
    fuse_hru h;
    fuse_hru_setup(m, 0, &h);
    const int parent = fuse_pick_parent(&h);
    const fuse_shape *sh = parent >= 0 ? parents[parent] : &h.shape;
    double x0[FUSE_NSLOT], trend[FUSE_NSLOT], sens[FUSE_NSENS];
    for (int s = 0; s < FUSE_NSLOT; s++) {
        x0[s] = m->state[(size_t)s * m->n_hru];
        trend[s] = m->trend[(size_t)s * m->n_hru];
    }
    for (int k = 0; k < FUSE_NSENS; k++) sens[k] = m->sens[(size_t)k * m->n_hru];
    double w = 0.0;
    size_t nc = 0;
    for (size_t t = 0; t < n; t++) {
        double x[FUSE_NSLOT], g[FUSE_NSLOT], jac[FUSE_NSLOT][FUSE_NSLOT];
        fuse_flux f, fe, fd[FUSE_NSLOT];
        const double dpeff = peff[t] - sens[FUSE_SENS_PEFF], dpet = pet[t] - sens[FUSE_SENS_PET];
        for (int s = 0; s < FUSE_NSLOT; s++) /* as fuse_run_hru */
            x[s] = fuse_guess(x0[s], trend[s], sens[FUSE_SENS_P + s], sens[FUSE_SENS_E + s], dpeff,
                              dpet, h.cap[s]);
        const double norm = fuse_newton(&h, sh, x0, x, 1.0, peff[t], pet[t], &f);
        if (norm <= FUSE_NEWTON_TOL) {
            const double r = fuse_newton_eval(&h, sh, x0, x, 1.0, peff[t], pet[t], g, jac, &fe, fd);
            if (!(r <= w)) w = r;
            nc++;
        } else {
            fuse_rescue(&h, sh, x0, 1.0, peff[t], pet[t], norm, &f);
        }
        double x1[FUSE_NSLOT];
        fuse_update(&h, x0, 1.0, peff[t], &f, x1);
        for (int s = 0; s < FUSE_NSLOT; s++) {
            trend[s] = x1[s] - x0[s];
            x0[s] = x1[s];
        }
        fuse_sens_update(&h.d, &f, peff[t], pet[t], sens);
    }
    *worst = w;
    *n_converged = nc;
    return true;
}

bool hs_fuse_solver_days(const hs_model *model, size_t *rescued, size_t *unconverged)
{
    if (hs_model_get_ops(model) != &hs_fuse_ops) return false;
    const hs_model_impl *m = hs_model_get_impl(model);
    size_t a = 0, b = 0;
    for (size_t i = 0; i < m->n_hru; i++) {
        a += m->solver_days[i];
        b += m->solver_days[m->n_hru + i];
    }
    if (rescued) *rescued = a;
    if (unconverged) *unconverged = b;
    return true;
}
