/* hs_hype.c -- HYPE soil-and-snow core, one land class per HRU, docs-models.md §4 (Lindström et
 * al. 2010; equations and their order code-verified there against HYPE 5.18.0, soilmodel_0).
 *
 * One daily step, per HRU, in HYPE's order (docs §4.2):
 *   1  epot: the forcing's PET, or HYPE's temperature-index PET (option HYPE_PET, §4.4);
 *   2  rain/snow split around tt = ttmp + ttpd with half-width ttpi; degree-day melt on the
 *      pack as it stood at the start of the step; liquid water held up to whcsnow; outflow R
 *      (§4.3, no refreezing in the degree-day model);
 *   3  gross input G = rain + R;
 *   4  macropore and infiltration-excess diversion above mactrinf; infiltration into layer 1,
 *      uncapped (§4.5);
 *   5  percolation, capped by the daily allowances mperc1/mperc2 (§4.6);
 *   6  S' = S; soil ET from layers 1-2 with depth weights (§4.4);
 *   7  recession runoff from layers 1, 2, 3 with heads from S' (§4.7);
 *   8  saturation excess from layer 1 (§4.5);
 *   9  macropore water to the groundwater-table layer (§4.5);
 *   10 percolation again with what is left of the day's allowances (§4.6).
 * Runoff = sat + excess + q1 + q2 + q3 (§4.7). Everything that depends only on parameters
 * (pore volumes, ET weights, recession coefficients, the normalised diversion fractions) is
 * computed once in init, so the step has no exp/log/pow, and divides only for mixed-phase
 * precipitation, saturated layers (heads, §4.7) and macropore water (table depth, §4.5). The
 * unsaturated head q_k = rc_k (h_k/d_k) ep_k is evaluated as rc_k F_k (equal but for the last
 * bit). bench/bench_hype.c times the kernel.
 *
 * Water is only moved between stores or out through AET and runoff, so P - AET - Q - dS = 0 up
 * to round-off; tests/hydro/test_hype.c checks it to 1e-9 mm over 8 years. Snowfall is computed
 * as P - rain (not (1 - a)*P) so that rain + snowfall == P exactly.
 *
 * Memory: everything is allocated in create; run() allocates nothing and touches only the HRUs
 * of its range. HYPE itself runs in single precision; this code uses double throughout. */
#include "hs_hype.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "hs_prefetch.h"
#include "hs_time.h"

#define HYPE_PI 3.14159265358979323846

/* ---- parameter table (docs-models.md §4.9) ----------------------------------------------------
 * Sources of the calibration bounds, row by row:
 *   [S]  SYMFLUENCE calibration bounds (DarriEy/SYMFLUENCE parameter_bounds.py; lp from its
 *        central registry), as quoted in docs §4.9;
 *   [D]  no bound in docs §4.9: chosen here to bracket the SMHI demo model's value(s)
 *        (rcapell/HYPEtools inst/demo_model par.txt, GeoClass.txt) with a margin;
 *   [P]  no bound anywhere: a plausible physical range chosen here.
 * Defaults are the demo model's values where docs §4.9 gives one (middle of its range), else 0
 * (HYPE's "not set"). wcep: SYMFLUENCE's range is 0.2-0.7, which excludes the demo's 0.01-0.07;
 * the lower bound is widened to 0.01 so that the demo value is inside. Soil thicknesses: the
 * demo's forest classes have bottom depths 0.25, 0.75, 1.5 m (thicknesses 0.25, 0.5, 0.75).
 * Calibrated by default: the parameters with [S] bounds that act in the default configuration
 * (cevp* only act with HYPE_PET = hype, rrcs3 only with slope > 0). */
static const hs_param_info hype_params[HS_HYPE_NPAR] = {
    {"ttmp", "degC", -5.0, 5.0, 0.25, true, "threshold temperature for melt and ET [S]"},
    {"ttpd", "degC", -2.0, 2.0, 0.0, false, "precipitation-phase threshold offset from ttmp [P]"},
    {"ttpi", "degC", 0.5, 4.0, 3.0, true, "half-width of the mixed rain/snow interval [S]"},
    {"cmlt", "mm degC-1 d-1", 0.5, 20.0, 3.0, true, "degree-day melt factor [S]"},
    {"whcsnow", "-", 0.0, 0.15, 0.0, false, "liquid water holding capacity of snow [P]"},
    {"cevp", "mm degC-1 d-1", 0.1, 2.0, 0.2, false, "PET factor (HYPE_PET = hype only) [S]"},
    {"cevpam", "-", 0.0, 0.5, 0.25, false, "seasonal amplitude of cevp (HYPE_PET = hype) [D]"},
    {"cevpph", "d", 0.0, 365.0, 67.5, false, "phase of the seasonal cevp (HYPE_PET = hype) [D]"},
    {"lp", "-", 0.3, 1.0, 0.95, true, "fraction of fc above which ET is unlimited [S]"},
    {"epotdist", "m-1", 1.0, 15.0, 3.0, true, "decay of ET demand with depth [S]"},
    {"wcwp", "-", 0.01, 0.3, 0.1, true, "wilting-point water, fraction of soil volume [S]"},
    {"wcfc", "-", 0.1, 0.6, 0.15, true, "plant-available water (fc - wp), fraction [S]"},
    {"wcep", "-", 0.01, 0.7, 0.05, true, "effective porosity (pore - fc), fraction [S, widened]"},
    {"mperc1", "mm d-1", 1.0, 60.0, 20.0, true, "maximum daily percolation layer 1 -> 2 [D]"},
    {"mperc2", "mm d-1", 1.0, 60.0, 25.0, true, "maximum daily percolation layer 2 -> 3 [D]"},
    {"rrcs1", "d-1", 0.001, 1.0, 0.3, true, "recession coefficient of the top layer [S]"},
    {"rrcs2", "d-1", 0.0001, 0.5, 0.035, true, "recession coefficient of the bottom layer [S]"},
    {"rrcs3", "d-1 %-1", 0.0, 0.3, 0.0002, false, "slope dependence of rrcs1 [S]"},
    {"slope", "%", 0.0, 100.0, 0.0, false, "subbasin mean slope (GeoData slope_mean) [P]"},
    {"srrcs", "-", 0.0, 0.5, 0.3, true, "fraction of saturation excess leaving per day [S]"},
    {"srrate", "-", 0.0, 0.2, 0.03, false, "infiltration-excess fraction above mactrinf [D]"},
    {"macrate", "-", 0.0, 0.5, 0.0, false, "macropore fraction above mactrinf [P]"},
    {"mactrinf", "mm d-1", 0.0, 50.0, 0.0, false, "input threshold of macropore/excess flow [P]"},
    {"mactrsm", "-", 0.0, 1.0, 0.0, false, "moisture threshold (fraction of wp1 + fc1) [P]"},
    {"thick1", "m", 0.05, 0.5, 0.25, false, "thickness of soil layer 1 [D]"},
    {"thick2", "m", 0.1, 1.5, 0.5, false, "thickness of soil layer 2 (0: one layer) [D]"},
    {"thick3", "m", 0.1, 3.0, 0.75, false, "thickness of soil layer 3 (0: two layers) [D]"},
};

/* ---- options --------------------------------------------------------------------------------- */

static const char *const hype_option_keys[] = {"HYPE_PET", "HYPE_INITIAL_SOIL"};
#define HYPE_N_OPTION_KEYS (sizeof hype_option_keys / sizeof hype_option_keys[0])

typedef struct hype_options {
    bool hype_pet;     /* HYPE_PET = hype: HYPE's own PET instead of the forcing's */
    bool initial_ep;   /* HYPE_INITIAL_SOIL = ep: layers start at wp + fc + ep */
} hype_options;

/* Everything one HRU's step needs, derived from its parameters once in init (docs §4.1, §4.4,
 * §4.5, §4.7). Array-of-structs: one HRU's constants sit together and are loaded once per run. */
typedef struct hype_hru {
    int n_layer;                 /* 1..3 */
    double d[3], z[3];           /* thickness and bottom depth, m (0 for absent layers) */
    double wp[3], fc[3], ep[3];  /* pore volumes, mm (§4.1) */
    double wpfc[3], pw[3];       /* wp + fc, wp + fc + ep, mm */
    double lpfc[2];              /* lp * fc_k, mm: ET is unlimited above wp + lpfc (§4.4) */
    double inv_lpfc[2];          /* 1 / lpfc (0 for an absent layer) */
    double fet[2];               /* ET depth weights f_1, f_2 (§4.4) */
    double rc[3];                /* recession coefficients, d-1 (§4.7) */
    double ttmp, tt, ttpi, cmlt, whc_ratio; /* whc_ratio = whcsnow / (1 - whcsnow) */
    double cevp, cevpam, cevpph;
    double macrate, srrate;      /* normalised so that their sum is <= 1 (§4.5) */
    double mactrinf, mactrsm_mm; /* mactrsm_mm = mactrsm * (wp_1 + fc_1) */
    double srrcs;                /* min(1, srrcs) */
    double mperc1, mperc2;
} hype_hru;

struct hs_model_impl {
    size_t n_hru;
    hype_options opt;
    bool initialized;
    hype_hru *hru;     /* [n_hru] derived constants */
    double *soil;      /* [n_hru][3] S_1..S_3, mm (wilting-point water included) */
    double *swe;       /* [n_hru] snow water equivalent, ice + liquid, mm */
    double *snow_liq;  /* [n_hru] liquid water in the pack, mm */
};

/* A two-way choice; the error names the key, the value and the allowed values. */
static hs_status hype_parse_choice(hs_ctx *ctx, const char *key, const char *value,
                                   const char *first, const char *second, bool *is_second)
{
    if (hs_model_key_eq(value, first)) {
        *is_second = false;
        return HS_OK;
    }
    if (hs_model_key_eq(value, second)) {
        *is_second = true;
        return HS_OK;
    }
    return HS_FAIL(ctx, HS_ERR_CONFIG, "HYPE option %s: '%s' is not valid; allowed values: %s, %s",
                   key, value, first, second);
}

static hs_status hype_parse_options(const hs_model_option *opts, size_t n_opts, hs_ctx *ctx,
                                    hype_options *o)
{
    o->hype_pet = false;
    o->initial_ep = false;
    for (size_t i = 0; i < n_opts; i++) {
        const char *k = opts[i].key, *v = opts[i].value;
        if (hs_model_key_eq(k, "HYPE_PET"))
            HS_TRY(hype_parse_choice(ctx, k, v, "forcing", "hype", &o->hype_pet));
        else if (hs_model_key_eq(k, "HYPE_INITIAL_SOIL"))
            HS_TRY(hype_parse_choice(ctx, k, v, "fc", "ep", &o->initial_ep));
        /* other keys belong to other modules */
    }
    return HS_OK;
}

/* ---- lifecycle ------------------------------------------------------------------------------- */

static void hype_destroy(hs_model_impl **mp)
{
    if (!mp || !*mp) return;
    hs_model_impl *m = *mp;
    hs_free(m->hru);
    hs_free(m->soil);
    hs_free(m->swe);
    hs_free(m->snow_liq);
    hs_free(m);
    *mp = NULL;
}

static hs_status hype_create(const hs_model_option *opts, size_t n_opts, size_t n_hru,
                             hs_ctx *ctx, hs_model_impl **out)
{
    if (!out) return HS_FAIL(ctx, HS_ERR_ARG, "HYPE: NULL output pointer");
    *out = NULL;
    if (n_hru == 0) return HS_FAIL(ctx, HS_ERR_ARG, "HYPE: the domain has no HRUs (n_hru = 0)");
    if (n_opts > 0 && !opts) return HS_FAIL(ctx, HS_ERR_ARG, "HYPE: NULL option array");
    hype_options o;
    HS_TRY(hype_parse_options(opts, n_opts, ctx, &o));

    hs_model_impl *m = NULL;
    HS_TRY(hs_alloc(ctx, 1, sizeof *m, "HYPE model", (void **)&m));
    m->n_hru = n_hru;
    m->opt = o;
    hs_status st = HS_OK;
    if (n_hru > SIZE_MAX / 3) {
        st = HS_FAIL(ctx, HS_ERR_NOMEM, "HYPE: %zu HRUs overflow the state size", n_hru);
        goto fail;
    }
    HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, m->hru, n_hru, "HYPE derived parameters"), fail);
    HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, m->soil, 3 * n_hru, "HYPE soil water state"), fail);
    HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, m->swe, n_hru, "HYPE snow state"), fail);
    HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, m->snow_liq, n_hru, "HYPE snow liquid state"), fail);
    *out = m;
    return HS_OK;
fail:
    hype_destroy(&m);
    return st;
}

/* Physical limits (not calibration bounds): what the equations need to stay meaningful. */
static hs_status hype_check_param(hs_ctx *ctx, size_t k, size_t hru, const double *p)
{
    const double v = p[k];
    const char *need = "finite";
    bool ok = isfinite(v);
    switch (k) {
    case HS_HYPE_TTMP:
    case HS_HYPE_TTPD:
    case HS_HYPE_CEVPPH:
        break;
    case HS_HYPE_WCFC:
    case HS_HYPE_WCEP: /* fc divides in the ET limit, ep in the water-table heights (§4.4, §4.7) */
        ok = ok && v > 0.0 && v <= 1.0;
        need = "in (0, 1]";
        break;
    case HS_HYPE_WCWP:
    case HS_HYPE_MACTRSM:
        ok = ok && v >= 0.0 && v <= 1.0;
        need = "in [0, 1]";
        break;
    case HS_HYPE_WHCSNOW: /* Lmax = whcsnow / (1 - whcsnow) * ice (§4.3) */
        ok = ok && v >= 0.0 && v < 1.0;
        need = "in [0, 1)";
        break;
    case HS_HYPE_CEVPAM: /* keeps cevp * (1 + cevpam * sin(.)) >= 0 (§4.4) */
        ok = ok && v >= -1.0 && v <= 1.0;
        need = "in [-1, 1]";
        break;
    case HS_HYPE_LP:
    case HS_HYPE_RRCS1: /* lp * fc divides (§4.4); rrcs1 > 0 is required by §4.7 (ln(r0/rb)) */
    case HS_HYPE_THICK1:
        ok = ok && v > 0.0;
        need = "> 0";
        break;
    case HS_HYPE_THICK3: /* a third layer needs a second one (§4.1: layers are consecutive) */
        ok = ok && v >= 0.0 && !(v > 0.0 && !(p[HS_HYPE_THICK2] > 0.0));
        need = ">= 0, and 0 when thick2 = 0";
        break;
    default:
        ok = ok && v >= 0.0;
        need = ">= 0";
        break;
    }
    if (ok) return HS_OK;
    return HS_FAIL(ctx, HS_ERR_ARG, "HYPE parameter %s = %.17g for HRU %zu is outside its physical "
                   "limits (must be %s)", hype_params[k].name, v, hru, need);
}

/* Derived constants of one HRU from its parameter row (docs §4.1, §4.4, §4.5, §4.7). */
static void hype_derive(const double *p, hype_hru *h)
{
    memset(h, 0, sizeof *h);
    h->d[0] = p[HS_HYPE_THICK1];
    h->d[1] = p[HS_HYPE_THICK2];
    h->d[2] = h->d[1] > 0.0 ? p[HS_HYPE_THICK3] : 0.0;
    h->n_layer = h->d[1] > 0.0 ? (h->d[2] > 0.0 ? 3 : 2) : 1;
    /* Bottom depths; an absent layer keeps the depth of the one above (HYPE's convention). */
    h->z[0] = h->d[0];
    h->z[1] = h->z[0] + h->d[1];
    h->z[2] = h->z[1] + h->d[2];
    /* §4.1: exclusive (stacked) fractions, mm = fraction * 1000 * d (m). */
    for (int k = 0; k < 3; k++) {
        h->wp[k] = p[HS_HYPE_WCWP] * 1000.0 * h->d[k];
        h->fc[k] = p[HS_HYPE_WCFC] * 1000.0 * h->d[k];
        h->ep[k] = p[HS_HYPE_WCEP] * 1000.0 * h->d[k];
        h->wpfc[k] = h->wp[k] + h->fc[k];
        h->pw[k] = h->wp[k] + h->fc[k] + h->ep[k];
    }
    h->lpfc[0] = p[HS_HYPE_LP] * h->fc[0];
    h->lpfc[1] = p[HS_HYPE_LP] * h->fc[1];
    h->inv_lpfc[0] = 1.0 / h->lpfc[0];
    h->inv_lpfc[1] = h->lpfc[1] > 0.0 ? 1.0 / h->lpfc[1] : 0.0;
    /* §4.4 depth weights: w_1 = d_1 exp(-epotdist z_1/2), w_2 = d_2 exp(-epotdist (z_1 + d_2/2)).
     * Layer 3 has no ET. */
    const double epd = p[HS_HYPE_EPOTDIST];
    const double w1 = h->d[0] * exp(-epd * h->z[0] / 2.0);
    const double w2 = h->d[1] * exp(-epd * (h->z[0] + h->d[1] / 2.0));
    h->fet[0] = w1 / (w1 + w2);
    h->fet[1] = 1.0 - h->fet[0];
    /* §4.7 recession coefficients, exponential in layer mid-depth. */
    double r0 = fmin(1.0, p[HS_HYPE_RRCS1]);
    r0 = fmin(1.0, r0 + p[HS_HYPE_RRCS3] * p[HS_HYPE_SLOPE]);
    double rb = fmin(1.0, p[HS_HYPE_RRCS2]);
    if (rb == 0.0) rb = r0;
    const double denom = (h->z[2] - h->d[2] / 2.0) - h->d[0] / 2.0;
    const double b = denom > 0.0 ? log(r0 / rb) / denom : 0.0; /* denom > 0 when d_1 > 0 */
    h->rc[0] = r0;
    h->rc[1] = r0 * exp(-b * (h->z[1] - h->d[1] / 2.0 - h->d[0] / 2.0));
    h->rc[2] = rb;
    /* §4.3 snow, §4.4 PET */
    h->ttmp = p[HS_HYPE_TTMP];
    h->tt = p[HS_HYPE_TTMP] + p[HS_HYPE_TTPD];
    h->ttpi = p[HS_HYPE_TTPI];
    h->cmlt = p[HS_HYPE_CMLT];
    h->whc_ratio = p[HS_HYPE_WHCSNOW] / (1.0 - p[HS_HYPE_WHCSNOW]);
    h->cevp = p[HS_HYPE_CEVP];
    h->cevpam = p[HS_HYPE_CEVPAM];
    h->cevpph = p[HS_HYPE_CEVPPH];
    /* §4.5: if macrate + srrate > 1 both are divided by their sum. */
    double macrate = p[HS_HYPE_MACRATE], srrate = p[HS_HYPE_SRRATE];
    const double rsum = macrate + srrate;
    if (rsum > 1.0) {
        macrate /= rsum;
        srrate /= rsum;
    }
    h->macrate = macrate;
    h->srrate = srrate;
    h->mactrinf = p[HS_HYPE_MACTRINF];
    h->mactrsm_mm = p[HS_HYPE_MACTRSM] * (h->wp[0] + h->fc[0]);
    h->srrcs = fmin(1.0, p[HS_HYPE_SRRCS]);
    h->mperc1 = p[HS_HYPE_MPERC1];
    h->mperc2 = p[HS_HYPE_MPERC2];
}

static hs_status hype_init(hs_model_impl *m, const double *params, hs_ctx *ctx)
{
    if (!m || !params) return HS_FAIL(ctx, HS_ERR_ARG, "HYPE init: NULL model or parameters");
    const size_t n = m->n_hru;
    /* Validate everything before changing anything: a failed init leaves the model as it was. */
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < HS_HYPE_NPAR; k++)
            HS_TRY(hype_check_param(ctx, k, i, params + i * HS_HYPE_NPAR));

    for (size_t i = 0; i < n; i++) {
        hype_hru *h = &m->hru[i];
        hype_derive(params + i * HS_HYPE_NPAR, h);
        /* §4.1 initial values: S_k = wp_k + fc_k (option: + ep_k), SWE = L = 0. */
        for (int k = 0; k < 3; k++)
            m->soil[3 * i + (size_t)k] = m->opt.initial_ep ? h->pw[k] : h->wpfc[k];
        m->swe[i] = 0.0;
        m->snow_liq[i] = 0.0;
    }
    m->initialized = true;
    return HS_OK;
}

/* ---- the kernel ------------------------------------------------------------------------------ */

#if defined(__GNUC__) || defined(__clang__)
#define HYPE_INLINE static inline __attribute__((always_inline))
#else
#define HYPE_INLINE static inline
#endif

/* min/max as one instruction each: fmin/fmax are library calls under ISO C (their NaN and
 * signed-zero rules), and every operand here is finite. */
HYPE_INLINE double hmin(double a, double b) { return b < a ? b : a; }
HYPE_INLINE double hmax(double a, double b) { return b > a ? b : a; }

/* §4.6 percolation, called twice per step; *p1, *p2 are the amounts already moved this step,
 * so the second call uses what is left of the daily allowances mperc1, mperc2. */
HYPE_INLINE void hype_percolate(const hype_hru *h, double *s, double *p1_done, double *p2_done)
{
    if (h->n_layer < 2) return; /* a one-layer soil never percolates */
    const double m1 = hmin(hmax(0.0, s[0] - h->wpfc[0]), h->mperc1 - *p1_done);
    double m2 = 0.0;
    if (h->n_layer == 3) m2 = hmax(0.0, hmin(h->pw[2] - s[2], h->mperc2 - *p2_done));
    const double x = s[1] - h->wpfc[1];
    const double r = s[1] - h->pw[1]; /* <= 0: layer 2 never overfills */
    const double p2 = hmin(hmax(x + m1, 0.0), m2);
    const double p1 = hmin(m1, hmax(p2 - r, 0.0));
    s[0] -= p1;
    s[1] += p1 - p2;
    s[2] += p2;
    *p1_done += p1;
    *p2_done += p2;
}

/* §4.5 step 9: macropore water to the layer of the groundwater table, filling the deeper
 * layers up to their pore volume first; the rest goes to layer 1. */
HYPE_INLINE void hype_add_macropore(const hype_hru *h, double *s, double macro)
{
    const int nl = h->n_layer;
    /* Table depth g: scan up from the deepest layer to the first one not full. */
    double g = 0.0; /* all full: g <= 0 */
    for (int k = nl - 1; k >= 0; k--) {
        if (s[k] < h->pw[k]) {
            const double ztop = k > 0 ? h->z[k - 1] : 0.0;
            g = s[k] <= h->wpfc[k] ? h->z[k] : ztop + h->d[k] * (h->pw[k] - s[k]) / h->ep[k];
            break;
        }
    }
    if (nl == 3 && g > h->z[1]) {
        const double a3 = hmin(macro, hmax(0.0, h->pw[2] - s[2]));
        s[2] += a3;
        macro -= a3;
        const double a2 = hmin(macro, hmax(0.0, h->pw[1] - s[1]));
        s[1] += a2;
        macro -= a2;
    } else if (nl >= 2 && g > h->z[0]) {
        const double a2 = hmin(macro, hmax(0.0, h->pw[1] - s[1]));
        s[1] += a2;
        macro -= a2;
    }
    s[0] += macro;
}

/* All steps of one HRU. hype_pet is a compile-time constant at each call site. */
HYPE_INLINE void hype_run_hru(hs_model_impl *m, size_t i, const hs_forcing_view *f,
                              const hs_flux_view *out, const bool hype_pet)
{
    const size_t n = m->n_hru, nt = f->n_time;
    const hype_hru *h = &m->hru[i];
    const int nl = h->n_layer;
    const double ttmp = h->ttmp, tt = h->tt, ttpi = h->ttpi, cmlt = h->cmlt;
    const double whc_ratio = h->whc_ratio;
    double s[3] = {m->soil[3 * i], m->soil[3 * i + 1], m->soil[3 * i + 2]};
    double swe = m->swe[i], liq = m->snow_liq[i];

    const double *prec = f->precip_mm + i, *temp = f->temp_c + i;
    const double *pet = hype_pet ? NULL : f->pet_mm + i;
    double *q_out = out->runoff_mm + i;
    double *aet_out = out->aet_mm ? out->aet_mm + i : NULL;
    double *in_out = out->input_mm ? out->input_mm + i : NULL;
    int doy = hype_pet ? hs_day_of_year(f->first_day) : 0;

    enum { HYPE_PREFETCH = 8 }; /* steps ahead (hs_prefetch.h); a hit for 7 HRUs in 8 */
    for (size_t t = 0; t < nt; t++) {
        const size_t idx = t * n;
        if (t + HYPE_PREFETCH < nt) {
            const size_t ahead = idx + HYPE_PREFETCH * n;
            hs_prefetch_row(prec + ahead, 1, false);
            hs_prefetch_row(temp + ahead, 1, false);
            if (!hype_pet) hs_prefetch_row(pet + ahead, 1, false);
            hs_prefetch_row(q_out + ahead, 1, true);
            if (aet_out) hs_prefetch_row(aet_out + ahead, 1, true);
            if (in_out) hs_prefetch_row(in_out + ahead, 1, true);
        }
        const double p = prec[idx], tc = temp[idx];

        /* 1. PET (§4.4) */
        double epot;
        if (hype_pet) {
            const double ce =
                h->cevp * (1.0 + h->cevpam * sin(2.0 * HYPE_PI * ((double)doy - h->cevpph) / 365.0));
            epot = tc > ttmp ? ce * (tc - ttmp) : 0.0;
            /* next step's day of year; the calendar is asked only at a possible year end */
            doy = doy < 365 ? doy + 1 : hs_day_of_year(f->first_day + (hs_day)t + 1);
        } else {
            epot = pet[idx];
        }

        /* 2. Phase, melt and snow outflow (§4.3) */
        double rain = 0.0, snowfall = 0.0;
        if (p > 0.0) {
            if (tc >= tt + ttpi)
                rain = p;
            else if (tc > tt - ttpi)
                rain = p * ((tc - tt + ttpi) / (2.0 * ttpi));
            snowfall = p - rain; /* exactly P = rain + snowfall */
        }
        /* melt on the pack at the start of the step, limited to its ice */
        double melt = 0.0;
        if (swe > 0.0 && tc >= ttmp) melt = hmin(cmlt * (tc - ttmp), hmax(0.0, swe - liq));
        swe += snowfall;
        liq += melt;
        const double lmax = whc_ratio * (swe - liq); /* ice after melt, snowfall included */
        const double snow_out = hmax(0.0, liq - lmax);
        liq -= snow_out;
        swe -= snow_out;

        /* 3. gross input; 4. macropore and infiltration-excess diversion (§4.5) */
        const double g_in = rain + snow_out;
        double macro = 0.0, excess = 0.0;
        const double x = g_in - h->mactrinf;
        if (x > 0.0 && s[0] > h->mactrsm_mm) {
            macro = h->macrate * x;
            excess = h->srrate * x;
        }
        s[0] += g_in - macro - excess;

        /* 5. first percolation (§4.6) */
        double p1_done = 0.0, p2_done = 0.0;
        hype_percolate(h, s, &p1_done, &p2_done);

        /* 6. S' = S; soil ET from layers 1-2 (§4.4) */
        const double s0 = s[0], s1 = s[1], s2 = s[2];
        double aet = 0.0;
        if (epot > 0.0 && tc > ttmp) {
            for (int k = 0; k < 2 && k < nl; k++) {
                const double avail = s[k] - h->wp[k];
                if (avail <= 0.0) continue;
                /* epot f_k min(1, avail/(lp fc_k)), with the reciprocal taken in init */
                double e = epot * h->fet[k];
                if (avail < h->lpfc[k]) e *= avail * h->inv_lpfc[k];
                e = hmin(e, avail);
                s[k] -= e;
                aet += e;
            }
        }

        /* 7. soil runoff, layers 1, 2, 3 in turn (§4.7), heads from S' with D = z_N */
        double q_soil = 0.0;
        {
            const double sp[3] = {s0, s1, s2};
            double fr[3];
            for (int k = 0; k < nl; k++) fr[k] = hmax(0.0, sp[k] - h->wpfc[k]);
            for (int k = 0; k < nl; k++) {
                /* Head H_k = h_k (D - z_k = 0 for the deepest layer, D > z_k above), plus h_m
                 * of the layers above while the layer below them is saturated. With layer k
                 * unsaturated, q_k = rc_k (h_k/d_k) ep_k = rc_k F_k (h_k = d_k F_k/ep_k). */
                double q;
                if (k == 0 || fr[k] < h->ep[k]) {
                    q = h->rc[k] * fr[k];
                } else {
                    double head = h->d[k] * fr[k] / h->ep[k];
                    for (int mm = k - 1; mm >= 0; mm--) {
                        head += h->d[mm] * fr[mm] / h->ep[mm];
                        if (mm == 0 || fr[mm] < h->ep[mm]) break;
                    }
                    q = h->rc[k] * (head / h->d[k]) * h->ep[k];
                }
                if (!(q > 0.0)) continue;
                q = hmin(q, hmax(0.0, s[k] - h->wpfc[k]));
                s[k] -= q;
                q_soil += q;
            }
        }

        /* 8. saturation excess from layer 1 (§4.5) */
        const double sat = h->srrcs * hmax(0.0, s[0] - h->pw[0]);
        s[0] -= sat;

        /* 9. macropore water to the groundwater-table layer (§4.5) */
        if (macro > 0.0) hype_add_macropore(h, s, macro);

        /* 10. second percolation with the rest of the day's allowances (§4.6) */
        hype_percolate(h, s, &p1_done, &p2_done);

        q_out[idx] = sat + excess + q_soil;
        if (aet_out) aet_out[idx] = aet;
        if (in_out) in_out[idx] = p;
    }
    m->soil[3 * i] = s[0];
    m->soil[3 * i + 1] = s[1];
    m->soil[3 * i + 2] = s[2];
    m->swe[i] = swe;
    m->snow_liq[i] = liq;
}

static hs_status hype_run(hs_model_impl *m, hs_range hrus, const hs_forcing_view *f,
                          const hs_flux_view *out, hs_ctx *ctx)
{
    if (!m || !f || !out || !out->runoff_mm)
        return HS_FAIL(ctx, HS_ERR_ARG, "HYPE run: NULL model, forcing or runoff array");
    if (!m->initialized)
        return HS_FAIL(ctx, HS_ERR_ARG, "HYPE run: parameters not set (call init first)");
    if (f->n_hru != m->n_hru || hrus.first > m->n_hru || hrus.count > m->n_hru - hrus.first)
        return HS_FAIL(ctx, HS_ERR_ARG, "HYPE run: HRU range [%zu, +%zu) or forcing HRU count %zu "
                       "does not fit the model's %zu HRUs", hrus.first, hrus.count, f->n_hru,
                       m->n_hru);
    if (f->n_time > 0 && (!f->precip_mm || !f->temp_c || (!m->opt.hype_pet && !f->pet_mm)))
        return HS_FAIL(ctx, HS_ERR_ARG, "HYPE run: forcing needs precip_mm, temp_c and pet_mm "
                       "(pet_mm may be NULL only with HYPE_PET = hype)");
    for (size_t i = hrus.first; i < hrus.first + hrus.count; i++) {
        if (m->opt.hype_pet)
            hype_run_hru(m, i, f, out, true);
        else
            hype_run_hru(m, i, f, out, false);
    }
    return HS_OK;
}

static double hype_storage_mm(const hs_model_impl *m, size_t hru)
{
    if (!m || hru >= m->n_hru) return NAN;
    const double *s = m->soil + 3 * hru;
    return m->swe[hru] + s[0] + s[1] + s[2];
}

hs_status hs_hype_get_state(const hs_model *model, size_t hru, hs_ctx *ctx, hs_hype_state *out)
{
    if (!model || !out) return HS_FAIL(ctx, HS_ERR_ARG, "hs_hype_get_state: NULL model or output");
    if (hs_model_get_ops(model) != &hs_hype_ops)
        return HS_FAIL(ctx, HS_ERR_ARG, "hs_hype_get_state: the model is %s, not HYPE",
                       hs_model_get_ops(model)->name);
    const hs_model_impl *m = hs_model_get_impl(model);
    if (!m || !m->initialized)
        return HS_FAIL(ctx, HS_ERR_ARG, "hs_hype_get_state: parameters not set (call init first)");
    if (hru >= m->n_hru)
        return HS_FAIL(ctx, HS_ERR_ARG, "hs_hype_get_state: HRU %zu is outside the model's %zu HRUs",
                       hru, m->n_hru);
    for (int k = 0; k < 3; k++) out->soil_mm[k] = m->soil[3 * hru + (size_t)k];
    out->swe_mm = m->swe[hru];
    out->snow_liquid_mm = m->snow_liq[hru];
    return HS_OK;
}

const hs_model_ops hs_hype_ops = {
    .name = "HYPE",
    .description = "HYPE soil-and-snow core, one land class per HRU (docs-models.md §4)",
    .n_params = HS_HYPE_NPAR,
    .params = hype_params,
    .n_option_keys = HYPE_N_OPTION_KEYS,
    .option_keys = hype_option_keys,
    .create = hype_create,
    .init = hype_init,
    .run = hype_run,
    .storage_mm = hype_storage_mm,
    .destroy = hype_destroy,
};
