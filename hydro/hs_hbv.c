/* hs_hbv.c -- HBV-96 / HBV-light, docs-models.md §1 (Lindström et al. 1997, J. Hydrol. 201:272;
 * Seibert & Vis 2012, HESS 16:3315).
 *
 * One daily step, per HRU, in this order (docs-models.md §1.2-§1.5):
 *   snow     rain/snow partition at TT, SFCF on snowfall, degree-day melt (CFMAX), refreezing
 *            (CFR*CFMAX), liquid water held up to CWH*SP, the rest leaves as the water input I;
 *   soil     recharge R = I * min(SM/FC, 1)^BETA (bulk, or HBV-light's 1-mm increments),
 *            SM += I - R, then AET = PET * min(SM'/(LP*FC), 1) limited to SM;
 *   response SUZ += R, percolation min(PERC, SUZ) to SLZ, Q0 = K0*max(SUZ-UZL,0), Q1 = K1*SUZ,
 *            Q2 = K2*SLZ, storages clamped at 0;
 *   routing  Q0+Q1+Q2 spread over the following days with MAXBAS triangular weights.
 *
 * The "symfluence" variant (default) reproduces SYMFLUENCE's NumPy HBV (DarriEy/SYMFLUENCE,
 * src/symfluence/models/hbv/model.py, _snow/_soil/_response/_routing_routine_numpy) to the last
 * bit: the floating-point operations happen in the same order, Python's max()/min() are mirrored
 * including which argument they return on ties, and the sampled triangle's normaliser is summed
 * in NumPy's pairwise order (np.sum of a float64 array: eight partial sums combined as
 * ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)), then the tail added one by one). The fast paths below are
 * exact rewrites, not approximations:
 *   - recharge: when the water input is +-0 the product I*pow(.) is that same zero (pow of a base
 *     in [0, 1] is finite), so pow is skipped; pow(1, BETA) is exactly 1 and is skipped too;
 *   - routing: SYMFLUENCE adds Q*w to an L-slot buffer and shifts it. A ring buffer visits the
 *     same slots in the same time order, so each slot accumulates the same sums; adding Q*0 = +0
 *     leaves a slot unchanged, so only the leading non-zero weights are visited.
 * tests/hydro/test_hbv.c checks both against a literal transcription of the NumPy code. Bit
 * identity also needs a*b+c not contracted into an FMA: ISO C mode (-std=c11, CMake's
 * C_EXTENSIONS OFF) makes GCC default to -ffp-contract=off; keep it so with -march=native.
 *
 * Buffer length L: docs-models.md §1.5 says 10 (HS_HBV_ROUTING_BUFFER, the default here), but
 * SYMFLUENCE's current create_initial_state() allocates get_routing_buffer_length(10) = 12 slots,
 * and L enters the normaliser through its L*1e-10 term (results then differ by < 1e-9 mm/d).
 * HBV_ROUTING_BUFFER = 12 reproduces that code to the last bit (checked against NumPy 1.24).
 * MAXBAS <= 1 gives the unit weight (1, 0, ...) as SYMFLUENCE's current code does (an older
 * NumPy path gave all-zero weights at exactly MAXBAS = 1 and lost the water). The sampled weights
 * sum to S/(S + L*1e-10) < 1 (S = sum of the triangle ordinates), so the "symfluence" variant
 * loses about 1e-9 of its runoff in routing, exactly as SYMFLUENCE does; the integral weights
 * sum to 1 to round-off.
 *
 * Memory: everything is allocated in create (structure of arrays over HRUs, 64-byte aligned);
 * run() allocates nothing and touches only the HRUs of its range. */
#include "hs_hbv.h"
#include "hs_hbv_impl.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Ring-buffer slots per HRU (hs_hbv_impl.h). */
#define HBV_RING HS_HBV_RING
#define HBV_RING_MASK (HBV_RING - 1)

/* Inputs above this many mm in one step are not split into 1-mm increments (hs_hbv_impl.h). */
#define HBV_INCREMENT_MAX_MM HS_HBV_INCREMENT_MAX_MM

/* ---- parameter table (docs-models.md §1 "SYMFLUENCE's defaults/bounds") --------------------- */

static const hs_param_info hbv_params[HS_HBV_NPAR] = {
    {"tt", "degC", -3.0, 3.0, 0.0, true, "threshold temperature for snowfall and melt"},
    {"cfmax", "mm degC-1 d-1", 1.0, 10.0, 3.5, true, "degree-day melt factor"},
    {"sfcf", "-", 0.5, 1.5, 0.9, false, "snowfall correction factor"},
    {"cfr", "-", 0.0, 0.1, 0.05, false, "refreezing coefficient (fraction of CFMAX)"},
    {"cwh", "-", 0.0, 0.2, 0.1, false, "liquid water holding capacity of snow (fraction of SP)"},
    {"fc", "mm", 50.0, 700.0, 250.0, true, "maximum soil moisture storage (field capacity)"},
    {"lp", "-", 0.3, 1.0, 0.7, true, "fraction of FC above which AET = PET"},
    {"beta", "-", 1.0, 6.0, 2.5, true, "shape exponent of the recharge function"},
    {"k0", "d-1", 0.05, 0.5, 0.3, true, "recession coefficient of the quick outlet above UZL"},
    {"k1", "d-1", 0.01, 0.3, 0.1, true, "recession coefficient of the upper zone"},
    {"k2", "d-1", 1e-4, 0.1, 0.01, true, "recession coefficient of the lower zone"},
    {"uzl", "mm", 0.0, 100.0, 30.0, true, "upper-zone threshold of the quick outlet"},
    {"perc", "mm d-1", 0.0, 20.0, 2.5, true, "maximum percolation from upper to lower zone"},
    {"maxbas", "d", 1.0, 7.0, 2.5, true, "base of the triangular routing function"},
};

/* ---- options --------------------------------------------------------------------------------- */

static const char *const hbv_option_keys[] = {
    "HBV_VARIANT",     "HBV_RECHARGE",     "HBV_AET_SM",      "HBV_AET_SNOW_OFF",
    "HBV_MAXBAS",      "HBV_INITIAL_SM",   "HBV_INITIAL_SUZ", "HBV_INITIAL_SLZ",
    "HBV_INITIAL_SNOW", "HBV_ROUTING_BUFFER",
    /* read by the batched kernel only (hs_hbv_batch.h); the scalar model ignores it */
    "HBV_BATCH_POW",
};
#define HBV_N_OPTION_KEYS (sizeof hbv_option_keys / sizeof hbv_option_keys[0])

struct hs_model_impl {
    size_t n_hru;
    hs_hbv_options opt;
    bool initialized;
    double *par;        /* [HS_HBV_NPAR][n_hru] */
    double *snow;       /* [n_hru] SP, frozen snow, mm */
    double *snow_water; /* [n_hru] WC, liquid water in the pack, mm */
    double *sm;         /* [n_hru] soil moisture, mm */
    double *suz;        /* [n_hru] upper zone, mm */
    double *slz;        /* [n_hru] lower zone, mm */
    double *weights;    /* [n_hru][HBV_RING] MAXBAS weights */
    size_t *n_weights;  /* [n_hru] leading weights up to the last non-zero one */
    double *ring;       /* [n_hru][HBV_RING] routing ring buffers, mm */
    size_t *head;       /* [n_hru] ring slot that leaves next */
};

/* Matches `value` against `choices` (case-insensitive); the error names key and choices. */
static hs_status hbv_parse_choice(hs_ctx *ctx, const char *key, const char *value,
                                  const char *const *choices, size_t n, size_t *out)
{
    for (size_t i = 0; i < n; i++) {
        if (hs_model_key_eq(value, choices[i])) {
            *out = i;
            return HS_OK;
        }
    }
    char allowed[128] = "";
    for (size_t i = 0; i < n; i++) {
        if (i) strncat(allowed, ", ", sizeof allowed - strlen(allowed) - 1);
        strncat(allowed, choices[i], sizeof allowed - strlen(allowed) - 1);
    }
    return HS_FAIL(ctx, HS_ERR_CONFIG, "HBV option %s: '%s' is not valid; allowed values: %s", key,
                   value, allowed);
}

/* A number of mm >= 0 (the whole text, surrounding spaces allowed). */
static hs_status hbv_parse_mm(hs_ctx *ctx, const char *key, const char *value, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(value, &end);
    if (end != value)
        while (*end == ' ' || *end == '\t') end++;
    if (end == value || *end != '\0' || errno == ERANGE || !isfinite(v) || v < 0.0)
        return HS_FAIL(ctx, HS_ERR_CONFIG,
                       "HBV option %s: '%s' is not valid; expected a finite number of mm >= 0",
                       key, value);
    *out = v;
    return HS_OK;
}

hs_status hs_hbv_options_parse(const hs_model_option *opts, size_t n_opts, hs_ctx *ctx,
                               hs_hbv_options *o)
{
    static const char *const variants[] = {"symfluence", "light"};
    static const char *const recharge[] = {"bulk", "increment"};
    static const char *const aet_sm[] = {"after", "mean"};
    static const char *const booleans[] = {"false", "true"};
    static const char *const maxbas[] = {"sampled", "integral"};
    size_t c = 0;

    /* The variant sets the defaults of every other switch, so it is read first. */
    o->light = false;
    for (size_t i = 0; i < n_opts; i++) {
        if (!hs_model_key_eq(opts[i].key, "HBV_VARIANT")) continue;
        HS_TRY(hbv_parse_choice(ctx, opts[i].key, opts[i].value, variants, 2, &c));
        o->light = (c == 1);
    }
    o->increment = o->light;
    o->aet_mean = o->light;
    o->aet_snow_off = false;
    o->integral = o->light;
    o->sm0_from_lpfc = o->light;
    o->sm0 = o->light ? 0.0 : 150.0;
    o->suz0 = o->light ? 0.0 : 10.0;
    o->slz0 = o->light ? 0.0 : 10.0;
    o->snow0 = 0.0;
    o->buffer_len = HS_HBV_ROUTING_BUFFER;

    for (size_t i = 0; i < n_opts; i++) {
        const char *k = opts[i].key, *v = opts[i].value;
        if (hs_model_key_eq(k, "HBV_RECHARGE")) {
            HS_TRY(hbv_parse_choice(ctx, k, v, recharge, 2, &c));
            o->increment = (c == 1);
        } else if (hs_model_key_eq(k, "HBV_AET_SM")) {
            HS_TRY(hbv_parse_choice(ctx, k, v, aet_sm, 2, &c));
            o->aet_mean = (c == 1);
        } else if (hs_model_key_eq(k, "HBV_AET_SNOW_OFF")) {
            HS_TRY(hbv_parse_choice(ctx, k, v, booleans, 2, &c));
            o->aet_snow_off = (c == 1);
        } else if (hs_model_key_eq(k, "HBV_MAXBAS")) {
            HS_TRY(hbv_parse_choice(ctx, k, v, maxbas, 2, &c));
            o->integral = (c == 1);
        } else if (hs_model_key_eq(k, "HBV_INITIAL_SM")) {
            HS_TRY(hbv_parse_mm(ctx, k, v, &o->sm0));
            o->sm0_from_lpfc = false;
        } else if (hs_model_key_eq(k, "HBV_INITIAL_SUZ")) {
            HS_TRY(hbv_parse_mm(ctx, k, v, &o->suz0));
        } else if (hs_model_key_eq(k, "HBV_INITIAL_SLZ")) {
            HS_TRY(hbv_parse_mm(ctx, k, v, &o->slz0));
        } else if (hs_model_key_eq(k, "HBV_INITIAL_SNOW")) {
            HS_TRY(hbv_parse_mm(ctx, k, v, &o->snow0));
        } else if (hs_model_key_eq(k, "HBV_ROUTING_BUFFER")) {
            char *end = NULL;
            errno = 0;
            long n = strtol(v, &end, 10);
            if (end == v || *end != '\0' || errno == ERANGE || n < 1 || n > HBV_RING)
                return HS_FAIL(ctx, HS_ERR_CONFIG,
                               "HBV option %s: '%s' is not valid; expected an integer number of "
                               "steps from 1 to %d",
                               k, v, HBV_RING);
            o->buffer_len = (size_t)n;
        }
        /* HBV_VARIANT was handled above; other keys belong to other modules. */
    }
    return HS_OK;
}

/* ---- MAXBAS weights (docs-models.md §1.5) ------------------------------------------------------ */

/* CDF of the triangle g(u) = 2/M - |u - M/2| * 4/M^2 on [0, M]. */
static double hbv_triangle_cdf(double x, double m)
{
    if (x <= 0.0) return 0.0;
    if (x >= m) return 1.0;
    if (x <= 0.5 * m) return 2.0 * x * x / (m * m);
    double r = m - x;
    return 1.0 - 2.0 * r * r / (m * m);
}

size_t hs_hbv_maxbas_weights_len(double maxbas, int integral, size_t buffer_len, double *w,
                                 size_t cap)
{
    if (!w || cap == 0) return 0;
    for (size_t k = 0; k < cap; k++) w[k] = 0.0;
    if (!(maxbas > 1.0)) { /* also NaN: no routing delay */
        w[0] = 1.0;
        return 1;
    }
    if (integral) {
        const size_t n = maxbas < (double)cap ? (size_t)ceil(maxbas) : cap;
        for (size_t i = 1; i <= n; i++) {
            double hi = fmin((double)i, maxbas);
            w[i - 1] = hbv_triangle_cdf(hi, maxbas) - hbv_triangle_cdf((double)(i - 1), maxbas);
        }
    } else {
        /* SYMFLUENCE triangular_weights(): ordinates v_t at t = 1..L, normalised by
         * np.sum(v + 1e-10), which NumPy adds pairwise (see the file comment). */
        double v[64];
        size_t len = buffer_len < 64 ? buffer_len : 64;
        const double mt = maxbas * (24.0 / 24.0); /* maxbas_timesteps, daily steps */
        for (size_t k = 0; k < len; k++) {
            const double t = (double)(k + 1);
            const double rising = (t <= mt / 2) ? t / (mt / 2) : 0.0;
            const double falling = (t > mt / 2 && t <= mt) ? (mt - t) / (mt / 2) : 0.0;
            v[k] = rising + falling;
        }
        double a[64];
        for (size_t k = 0; k < len; k++) a[k] = v[k] + 1e-10;
        double s;
        if (len < 8) {
            s = 0.0;
            for (size_t k = 0; k < len; k++) s += a[k];
        } else {
            double r[8];
            for (size_t j = 0; j < 8; j++) r[j] = a[j];
            size_t k = 8;
            for (; k < len - (len % 8); k += 8)
                for (size_t j = 0; j < 8; j++) r[j] += a[k + j];
            s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            for (; k < len; k++) s += a[k];
        }
        for (size_t k = 0; k < len && k < cap; k++) w[k] = v[k] / s;
    }
    size_t n = 0;
    for (size_t k = 0; k < cap; k++)
        if (w[k] != 0.0) n = k + 1;
    return n;
}

size_t hs_hbv_maxbas_weights(double maxbas, int integral, double *w, size_t cap)
{
    return hs_hbv_maxbas_weights_len(maxbas, integral, HS_HBV_ROUTING_BUFFER, w, cap);
}

/* ---- lifecycle ------------------------------------------------------------------------------- */

static void hbv_destroy(hs_model_impl **mp)
{
    if (!mp || !*mp) return;
    hs_model_impl *m = *mp;
    hs_free(m->par);
    hs_free(m->snow);
    hs_free(m->snow_water);
    hs_free(m->sm);
    hs_free(m->suz);
    hs_free(m->slz);
    hs_free(m->weights);
    hs_free(m->n_weights);
    hs_free(m->ring);
    hs_free(m->head);
    hs_free(m);
    *mp = NULL;
}

static hs_status hbv_create(const hs_model_option *opts, size_t n_opts, size_t n_hru, hs_ctx *ctx,
                            hs_model_impl **out)
{
    if (!out) return HS_FAIL(ctx, HS_ERR_ARG, "HBV: NULL output pointer");
    *out = NULL;
    if (n_hru == 0) return HS_FAIL(ctx, HS_ERR_ARG, "HBV: the domain has no HRUs (n_hru = 0)");
    if (n_opts > 0 && !opts) return HS_FAIL(ctx, HS_ERR_ARG, "HBV: NULL option array");
    hs_hbv_options o;
    HS_TRY(hs_hbv_options_parse(opts, n_opts, ctx, &o));

    hs_model_impl *m = NULL;
    HS_TRY(hs_alloc(ctx, 1, sizeof *m, "HBV model", (void **)&m));
    m->n_hru = n_hru;
    m->opt = o;
    hs_status st = HS_OK;
    if (n_hru > SIZE_MAX / HBV_RING) {
        st = HS_FAIL(ctx, HS_ERR_NOMEM, "HBV: %zu HRUs overflow the state size", n_hru);
        goto fail;
    }
    HS_TRY_GOTO(st, hs_alloc(ctx, n_hru * HS_HBV_NPAR, sizeof *m->par, "HBV parameters",
                             (void **)&m->par), fail);
    HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, m->snow, n_hru, "HBV snow state"), fail);
    HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, m->snow_water, n_hru, "HBV snow water state"), fail);
    HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, m->sm, n_hru, "HBV soil moisture state"), fail);
    HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, m->suz, n_hru, "HBV upper zone state"), fail);
    HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, m->slz, n_hru, "HBV lower zone state"), fail);
    HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, m->weights, n_hru * HBV_RING, "HBV MAXBAS weights"), fail);
    HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, m->n_weights, n_hru, "HBV MAXBAS weight counts"), fail);
    HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, m->ring, n_hru * HBV_RING, "HBV routing buffers"), fail);
    HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, m->head, n_hru, "HBV routing buffer heads"), fail);
    *out = m;
    return HS_OK;
fail:
    hbv_destroy(&m);
    return st;
}

/* Physical limits (not calibration bounds): what the equations need to stay meaningful.
 * Every value must be finite; FC > 0 and LP > 0 (they divide); BETA, CFMAX, SFCF, CFR, CWH, UZL
 * and PERC >= 0; K0, K1, K2 in [0, 1] (fractions of a store per day; K0 + K1 > 1 can drain SUZ
 * below 0, which is clamped as in SYMFLUENCE and then no longer conserves mass);
 * 0 <= MAXBAS <= 16 d (the routing buffer holds 16 days). */
hs_status hs_hbv_param_check(hs_ctx *ctx, size_t k, const char *what, size_t index, double v)
{
    const char *name = hbv_params[k].name;
    const char *need = NULL;
    bool ok = isfinite(v);
    switch (k) {
    case HS_HBV_TT:
        need = "a finite temperature";
        break;
    case HS_HBV_FC:
    case HS_HBV_LP:
        ok = ok && v > 0.0;
        need = "> 0";
        break;
    case HS_HBV_K0:
    case HS_HBV_K1:
    case HS_HBV_K2:
        ok = ok && v >= 0.0 && v <= 1.0;
        need = "in [0, 1]";
        break;
    case HS_HBV_MAXBAS:
        ok = ok && v >= 0.0 && v <= (double)HBV_RING;
        need = "in [0, 16] days";
        break;
    default:
        ok = ok && v >= 0.0;
        need = ">= 0";
        break;
    }
    if (ok) return HS_OK;
    return HS_FAIL(ctx, HS_ERR_ARG, "HBV parameter %s = %.17g for %s %zu is outside its physical "
                   "limits (must be %s)", name, v, what, index, need);
}

static hs_status hbv_init(hs_model_impl *m, const double *params, hs_ctx *ctx)
{
    if (!m || !params) return HS_FAIL(ctx, HS_ERR_ARG, "HBV init: NULL model or parameters");
    const size_t n = m->n_hru;
    /* Validate everything before changing anything: a failed init leaves the model as it was. */
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < HS_HBV_NPAR; k++)
            HS_TRY(hs_hbv_param_check(ctx, k, "HRU", i, params[i * HS_HBV_NPAR + k]));

    for (size_t i = 0; i < n; i++) {
        const double *p = params + i * HS_HBV_NPAR;
        for (size_t k = 0; k < HS_HBV_NPAR; k++) m->par[k * n + i] = p[k];
        m->snow[i] = m->opt.snow0;
        m->snow_water[i] = 0.0;
        m->sm[i] = m->opt.sm0_from_lpfc ? p[HS_HBV_LP] * p[HS_HBV_FC] : m->opt.sm0;
        m->suz[i] = m->opt.suz0;
        m->slz[i] = m->opt.slz0;
        double *w = m->weights + i * HBV_RING;
        m->n_weights[i] = hs_hbv_maxbas_weights_len(p[HS_HBV_MAXBAS], m->opt.integral,
                                                    m->opt.buffer_len, w, HBV_RING);
        memset(m->ring + i * HBV_RING, 0, HBV_RING * sizeof *m->ring);
        m->head[i] = 0;
    }
    m->initialized = true;
    return HS_OK;
}

/* ---- the kernel ------------------------------------------------------------------------------ */

/* Python's max(a, b) and min(a, b): the first argument unless the second is strictly larger
 * (smaller). Differs from fmax/fmin only in the sign of a zero result, which we keep too. */
static inline double py_max(double a, double b) { return b > a ? b : a; }
static inline double py_min(double a, double b) { return b < a ? b : a; }

#if defined(__GNUC__) || defined(__clang__)
#define HBV_INLINE static inline __attribute__((always_inline))
#else
#define HBV_INLINE static inline
#endif

/* All steps of one HRU. The switches are compile-time constants at each call site below, so
 * the compiler emits one specialised loop per combination used (no per-step option tests). */
HBV_INLINE void hbv_run_hru(hs_model_impl *m, size_t i, const hs_forcing_view *f,
                            const hs_flux_view *out, const size_t t0, const size_t t1,
                            const bool increment, const bool aet_mean, const bool snow_off)
{
    const size_t n = m->n_hru;
    const double *par = m->par;
    const double tt = par[HS_HBV_TT * n + i], cfmax = par[HS_HBV_CFMAX * n + i];
    const double sfcf = par[HS_HBV_SFCF * n + i], cfr = par[HS_HBV_CFR * n + i];
    const double cwh = par[HS_HBV_CWH * n + i], fc = par[HS_HBV_FC * n + i];
    const double lp = par[HS_HBV_LP * n + i], beta = par[HS_HBV_BETA * n + i];
    const double k0 = par[HS_HBV_K0 * n + i], k1 = par[HS_HBV_K1 * n + i];
    const double k2 = par[HS_HBV_K2 * n + i], uzl = par[HS_HBV_UZL * n + i];
    const double percmax = par[HS_HBV_PERC * n + i];
    /* SYMFLUENCE evaluates cfr * cfmax * max(.) left to right, so the product can be hoisted. */
    const double cfr_cfmax = cfr * cfmax;
    const double lpfc = lp * fc;

    double snow = m->snow[i], sw = m->snow_water[i], sm = m->sm[i];
    double suz = m->suz[i], slz = m->slz[i];
    double *ring = m->ring + i * HBV_RING;
    const double *w = m->weights + i * HBV_RING;
    const size_t nw = m->n_weights[i];
    size_t head = m->head[i];

    const double *prec = f->precip_mm + i, *temp = f->temp_c + i, *pet = f->pet_mm + i;
    double *q_out = out->runoff_mm + i;
    double *aet_out = out->aet_mm ? out->aet_mm + i : NULL;
    double *in_out = out->input_mm ? out->input_mm + i : NULL;

    for (size_t t = t0; t < t1; t++) {
        const size_t idx = t * n;
        const double p = prec[idx], temp_c = temp[idx], e = pet[idx];
        const double snow_start = snow;

        /* Snow (§1.2; SYMFLUENCE _snow_routine_numpy). */
        const double rainfall = temp_c > tt ? p : 0.0;
        const double snowfall = temp_c <= tt ? p * sfcf : 0.0;
        snow = snow + snowfall;
        const double pot_melt = cfmax * py_max(temp_c - tt, 0.0);
        const double melt = py_min(pot_melt, snow);
        snow = snow - melt;
        sw = sw + melt + rainfall;
        const double pot_refreeze = cfr_cfmax * py_max(tt - temp_c, 0.0);
        const double refreeze = py_min(pot_refreeze, sw);
        snow = snow + refreeze;
        sw = sw - refreeze;
        const double max_water = cwh * snow;
        const double outflow = py_max(sw - max_water, 0.0);
        sw = py_min(sw, max_water);

        /* Soil (§1.3; _soil_routine_numpy). */
        const double sm_before = sm;
        double recharge;
        if (!increment) {
            if (outflow != 0.0) {
                const double rel = py_min(sm / fc, 1.0);
                recharge = rel == 1.0 ? outflow : outflow * pow(rel, beta);
            } else {
                recharge = outflow; /* +-0 * finite pow(.) is that same zero */
            }
            sm = sm + outflow - recharge;
        } else {
            /* HBV-light: whole millimetres one at a time with SM updated after each, then the
             * remainder. floor() (not hydromad's round(), whose remainder can be negative). */
            recharge = 0.0;
            if (outflow != 0.0) {
                const double whole = outflow < HBV_INCREMENT_MAX_MM ? floor(outflow) : 0.0;
                for (double k = 0.0; k < whole; k += 1.0) {
                    const double r = pow(py_min(sm / fc, 1.0), beta);
                    recharge += r;
                    sm = sm + 1.0 - r;
                }
                const double rest = outflow - whole;
                const double r = rest * pow(py_min(sm / fc, 1.0), beta);
                recharge += r;
                sm = sm + rest - r;
            }
        }
        const double sm_et = aet_mean ? 0.5 * (sm_before + sm) : sm;
        const double et_factor = sm_et < lpfc ? sm_et / lpfc : 1.0;
        double aet = py_min(e * et_factor, sm);
        if (snow_off && snow_start > 0.0) aet = 0.0;
        sm = sm - aet;
        sm = py_max(sm, 0.0);

        /* Response (§1.4; _response_routine_numpy). */
        suz = suz + recharge;
        const double perc = py_min(percmax, suz);
        suz = suz - perc;
        slz = slz + perc;
        const double q0 = k0 * py_max(suz - uzl, 0.0);
        const double q1 = k1 * suz;
        const double q2 = k2 * slz;
        suz = py_max(suz - q0 - q1, 0.0);
        slz = py_max(slz - q2, 0.0);
        const double q = q0 + q1 + q2;

        /* Routing (§1.5; _routing_routine_numpy, as a ring buffer). */
        for (size_t k = 0; k < nw; k++) ring[(head + k) & HBV_RING_MASK] += q * w[k];
        const double routed = ring[head];
        ring[head] = 0.0;
        head = (head + 1) & HBV_RING_MASK;

        q_out[idx] = routed;
        if (aet_out) aet_out[idx] = aet;
        if (in_out) in_out[idx] = rainfall + snowfall;
    }
    m->snow[i] = snow;
    m->snow_water[i] = sw;
    m->sm[i] = sm;
    m->suz[i] = suz;
    m->slz[i] = slz;
    m->head[i] = head;
}

static void hbv_run_hru_dispatch(hs_model_impl *m, size_t i, const hs_forcing_view *f,
                                 const hs_flux_view *out, size_t t0, size_t t1)
{
    const hs_hbv_options *o = &m->opt;
    if (!o->increment && !o->aet_mean && !o->aet_snow_off)
        hbv_run_hru(m, i, f, out, t0, t1, false, false, false); /* symfluence */
    else if (o->increment && o->aet_mean && !o->aet_snow_off)
        hbv_run_hru(m, i, f, out, t0, t1, true, true, false); /* light */
    else
        hbv_run_hru(m, i, f, out, t0, t1, o->increment, o->aet_mean, o->aet_snow_off);
}

static hs_status hbv_run(hs_model_impl *m, hs_range hrus, const hs_forcing_view *f,
                         const hs_flux_view *out, hs_ctx *ctx)
{
    if (!m || !f || !out || !out->runoff_mm)
        return HS_FAIL(ctx, HS_ERR_ARG, "HBV run: NULL model, forcing or runoff array");
    if (!m->initialized)
        return HS_FAIL(ctx, HS_ERR_ARG, "HBV run: parameters not set (call init first)");
    if (f->n_hru != m->n_hru || hrus.first > m->n_hru || hrus.count > m->n_hru - hrus.first)
        return HS_FAIL(ctx, HS_ERR_ARG, "HBV run: HRU range [%zu, +%zu) or forcing HRU count %zu "
                       "does not fit the model's %zu HRUs", hrus.first, hrus.count, f->n_hru,
                       m->n_hru);
    if (f->n_time > 0 && (!f->precip_mm || !f->temp_c || !f->pet_mm))
        return HS_FAIL(ctx, HS_ERR_ARG, "HBV run: forcing needs precip_mm, temp_c and pet_mm");
    /* Blocks of steps; within a block, groups of up to 16 HRUs in SIMD lanes (hs_hbv_batch.c,
     * the batched backend's step with per-lane forcing: the same operations per HRU, so the
     * same bits as the loop above for any partition), a lone HRU by that loop. An HRU's
     * forcing and outputs are one column of the time-major arrays; blocks keep the rows of
     * the next group in cache (2,335 HRUs over the whole period at once: 39 ns per HRU-step,
     * the arrays no longer cached for the next HRUs). */
    enum { HBV_STEP_BLOCK = 64 };
    const hs_hbv_hru_run job = {
        .opt = &m->opt,
        .n_hru = m->n_hru,
        .first = hrus.first,
        .count = hrus.count,
        .par = m->par,
        .snow = m->snow,
        .snow_water = m->snow_water,
        .sm = m->sm,
        .suz = m->suz,
        .slz = m->slz,
        .weights = m->weights,
        .n_weights = m->n_weights,
        .ring = m->ring,
        .head = m->head,
        .precip_mm = f->precip_mm,
        .temp_c = f->temp_c,
        .pet_mm = f->pet_mm,
        .runoff_mm = out->runoff_mm,
        .aet_mm = out->aet_mm,
        .input_mm = out->input_mm,
    };
    const size_t nt = f->n_time, end = hrus.first + hrus.count;
    for (size_t t0 = 0; t0 < nt; t0 += HBV_STEP_BLOCK) {
        const size_t t1 = nt - t0 < HBV_STEP_BLOCK ? nt : t0 + HBV_STEP_BLOCK;
        for (size_t i = hrus.first; i < end;) {
            const size_t ran = hs_hbv_hru_lanes_group(&job, i, t0, t1);
            if (ran == 0) {
                hbv_run_hru_dispatch(m, i, f, out, t0, t1);
                i++;
            } else {
                i += ran;
            }
        }
    }
    return HS_OK;
}

static double hbv_storage_mm(const hs_model_impl *m, size_t hru)
{
    if (!m || hru >= m->n_hru) return NAN;
    double s = m->snow[hru] + m->snow_water[hru] + m->sm[hru] + m->suz[hru] + m->slz[hru];
    const double *ring = m->ring + hru * HBV_RING;
    for (size_t k = 0; k < HBV_RING; k++) s += ring[k];
    return s;
}

const hs_model_ops hs_hbv_ops = {
    .name = "HBV",
    .description = "HBV-96 / HBV-light conceptual model with degree-day snow (docs-models.md §1)",
    .n_params = HS_HBV_NPAR,
    .params = hbv_params,
    .n_option_keys = HBV_N_OPTION_KEYS,
    .option_keys = hbv_option_keys,
    .create = hbv_create,
    .init = hbv_init,
    .run = hbv_run,
    .storage_mm = hbv_storage_mm,
    .destroy = hbv_destroy,
};
