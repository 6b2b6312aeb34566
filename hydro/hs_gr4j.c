/* hs_gr4j.c -- GR4J as airGR 1.7.6 implements it (src/frun_GR4J.f90 MOD_GR4J, src/utils_D.f90
 * UH1/UH2/SS1/SS2), with CemaNeige (hydro/hs_cemaneige.c) in front when the snow module is on:
 * docs-models.md §2.1-§2.5 (Perrin, Michel & Andréassian 2003, J. Hydrol. 279:275).
 *
 * One daily step per HRU (docs §2.3, airGR's exact order):
 *   snow     (CemaNeige only) P and T extrapolated to each layer, one CemaNeige step per layer,
 *            P for GR4J = sum_k(PliqAndMelt_k / N) (airGR RunModel_CemaNeigeGR4J sums x/N);
 *   1        interception by E and the production store (tanh argument capped at 13, tanh
 *            computed as (e^2w - 1)/(e^2w + 1));
 *   2-4      S clamped at 0, percolation with (9/4)^4 = 25.62890625, Pr = Pn - Ps + Perc;
 *   5-6      0.9/0.1 split and the UH1/UH2 shift registers, looping only to
 *            max(1, min(19, int(X4 + 1))) and max(1, min(39, 2 int(X4 + 1))) as airGR does;
 *   7-10     exchange F = X2 (R/X3)^3.5 from R before the inflow, routing store, direct branch,
 *            Q = max(0, QR + QD).
 *
 * Round-off fidelity: airGR's Fortran is compiled with default-real (single precision)
 * literals, so the split constant B = 0.9 is the float 0.899999976158142 widened to double, and
 * the direct branch gets 1 - B = 0.100000023841858. AIRGR_REAL() reproduces this. Powers are
 * written as airGR writes them (Sr*Sr twice, SQRT(SQRT(.)), X2*Rr*Rr*Rr*SQRT(Rr)), left to
 * right, so results agree with airGR to the last bits, not just to 1e-6.
 *
 * Memory: everything is allocated in create; run() allocates nothing and writes only the HRUs of
 * its range (each HRU is independent: the same bits for any partition). */
#include "hs_gr4j.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hs_cemaneige.h"
#include "hs_cemaneige_impl.h"
#include "hs_gr4j_impl.h"
#include "hs_vmath.h"

#define AIRGR_REAL(x) ((double)(float)(x))

/* ---- parameter tables (docs-models.md §2.1 "common calibration bounds", §2.5) ---------------- */

/* Defaults are Perrin et al.'s medians (X2: 0, no exchange); CemaNeige's are the middle of
 * [0, 1] for ctg and airGR's middle starting value for kf. kf's lower bound is 1 (docs §2.5 "or
 * 1 ... 10"): with kf near 0 snow never melts and piles up for ever. */
#define GR4J_PARAM_ROWS                                                                          \
    {"x1", "mm", 1.0, 2000.0, 350.0, true, "production store capacity"},                        \
    {"x2", "mm d-1", -10.0, 5.0, 0.0, true, "intercatchment exchange coefficient"},              \
    {"x3", "mm", 1.0, 500.0, 90.0, true, "routing store capacity (1-day ahead)"},                \
    {"x4", "d", 0.5, 10.0, 1.7, true, "time base of the unit hydrographs"}

static const hs_param_info gr4j_params[HS_GR4J_NPAR] = {GR4J_PARAM_ROWS};
static const hs_param_info gr4j_cn_params[HS_GR4J_CN_NPAR] = {
    GR4J_PARAM_ROWS,
    {"ctg", "-", 0.0, 1.0, 0.5, true, "CemaNeige weight of the snowpack thermal state (CNX1)"},
    {"kf", "mm degC-1 d-1", 1.0, 10.0, 4.96, true, "CemaNeige degree-day melt factor (CNX2)"},
};

/* ---- options ----------------------------------------------------------------------------------- */

/* GR4J_BATCH_MATH is read by the batched backend only (hs_gr4j_batch.h). */
static const char *const gr4j_option_keys[] = {"SNOW_MODULE", "GR4J_BATCH_MATH"};
static const char *const gr4j_cn_option_keys[] = {
    "SNOW_MODULE", "SNOW_LAYERS", "HYPSOMETRIC_CURVE", "FORCING_ELEVATION",
    "MEAN_ANNUAL_SOLID_PRECIP",
};

/* Steps per block of the CemaNeige + GR4J run: CemaNeige fills a block of inputs for GR4J,
 * then GR4J runs the block in SIMD lanes over HRUs. */
#define GR4J_SNOW_BLOCK 128

struct hs_model_impl {
    size_t n_hru;
    bool snow;                   /* CemaNeige on (the GR4J_CemaNeige entry) */
    size_t npar;                 /* HS_GR4J_NPAR or HS_GR4J_CN_NPAR */
    hs_cemaneige_layers layers;  /* snow only */
    double mean_an_solid_precip; /* MEAN_ANNUAL_SOLID_PRECIP, mm/yr; NaN = compute in run() */
    bool initialized;
    double *par;          /* [n_hru][npar] */
    double *uh1, *uh2;    /* [n_hru][NH], [n_hru][2 NH] ordinates */
    hs_gr4j_state *st;    /* [n_hru] */
    double *exch_cum;     /* [n_hru] actual exchange since init, mm */
    double *g, *etg;      /* [n_hru][n_layers] CemaNeige snow pack (mm), thermal state (degC) */
    double *gthreshold;   /* [n_hru] melt threshold, mm; NaN until the first run computes it */
    double *p_block;      /* snow only: [GR4J_SNOW_BLOCK][n_hru] CemaNeige output for GR4J, mm */
    double layer_pfac[HS_CEMANEIGE_MAX_LAYERS]; /* snow only: precipitation factor per layer */
};

/* A finite number (the whole text, surrounding blanks allowed). */
static bool gr4j_parse_number(const char *s, const char **endp, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno == ERANGE || !isfinite(v)) return false;
    *out = v;
    if (endp) *endp = end;
    return true;
}

static bool gr4j_blank_tail(const char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    return *s == '\0';
}

/* "[z0, z1, ..., z100]" or "z0, z1, ...": exactly 101 finite numbers. */
static hs_status gr4j_parse_curve(hs_ctx *ctx, const char *name, const char *key, const char *v,
                                  double *curve)
{
    const char *s = v;
    while (*s == ' ' || *s == '\t') s++;
    bool bracket = (*s == '[');
    if (bracket) s++;
    size_t n = 0;
    for (;;) {
        double z;
        const char *end;
        if (!gr4j_parse_number(s, &end, &z)) break;
        if (n < HS_CEMANEIGE_NHYPSO) curve[n] = z;
        n++;
        s = end;
        while (*s == ' ' || *s == '\t') s++;
        if (*s != ',') break;
        s++;
    }
    if (bracket) {
        if (*s == ']') s++;
        else n = 0; /* unterminated or garbage: reported below */
    }
    if (!gr4j_blank_tail(s) || n != HS_CEMANEIGE_NHYPSO)
        return HS_FAIL(ctx, HS_ERR_CONFIG,
                       "%s option %s: expected %d elevations in m (the 0, 1, ..., 100 %% "
                       "quantiles, airGR HypsoData) as a list [z0, ..., z100]; found %s",
                       name, key, HS_CEMANEIGE_NHYPSO,
                       gr4j_blank_tail(s) ? "a different number of values" : "text that is not a number");
    return HS_OK;
}

typedef struct gr4j_options {
    bool snow;
    size_t n_layers;
    bool has_curve;
    double curve[HS_CEMANEIGE_NHYPSO];
    double z_input;      /* NaN = median of the curve */
    double mean_an_solid; /* NaN = computed */
} gr4j_options;

static hs_status gr4j_parse_options(const char *name, bool snow_entry, const hs_model_option *opts,
                                    size_t n_opts, hs_ctx *ctx, gr4j_options *o)
{
    o->snow = snow_entry;
    o->n_layers = 5;
    o->has_curve = false;
    o->z_input = NAN;
    o->mean_an_solid = NAN;
    for (size_t i = 0; i < n_opts; i++) {
        const char *k = opts[i].key, *v = opts[i].value;
        if (hs_model_key_eq(k, "SNOW_MODULE")) {
            bool cn = hs_model_key_eq(v, "CemaNeige");
            bool none = hs_model_key_eq(v, "none") || v[0] == '\0';
            if (!cn && !none)
                return HS_FAIL(ctx, HS_ERR_CONFIG,
                               "%s option SNOW_MODULE: '%s' is not valid; allowed values: none, "
                               "CemaNeige", name, v);
            if (cn && !snow_entry)
                return HS_FAIL(ctx, HS_ERR_CONFIG,
                               "%s option SNOW_MODULE: CemaNeige adds the parameters ctg and kf, "
                               "which model GR4J does not have; use HYDROLOGICAL_MODEL: "
                               "GR4J_CemaNeige", name);
            if (none && snow_entry && v[0] != '\0')
                return HS_FAIL(ctx, HS_ERR_CONFIG,
                               "%s option SNOW_MODULE: 'none' is not valid for GR4J_CemaNeige, "
                               "whose parameters include ctg and kf; use HYDROLOGICAL_MODEL: GR4J",
                               name);
        } else if (hs_model_key_eq(k, "GR4J_BATCH_MATH")) {
            /* used by the batched backend; checked here so a typo fails on every backend */
            if (!hs_model_key_eq(v, "exact") && !hs_model_key_eq(v, "vector"))
                return HS_FAIL(ctx, HS_ERR_CONFIG, "%s option GR4J_BATCH_MATH: '%s' is not "
                               "valid; allowed values: exact, vector", name, v);
        } else if (hs_model_key_eq(k, "SNOW_LAYERS")) {
            char *end = NULL;
            errno = 0;
            long n = strtol(v, &end, 10);
            if (end == v || !gr4j_blank_tail(end) || errno == ERANGE || n < 1 ||
                n > HS_CEMANEIGE_MAX_LAYERS)
                return HS_FAIL(ctx, HS_ERR_CONFIG,
                               "%s option SNOW_LAYERS: '%s' is not valid; expected an integer "
                               "number of layers from 1 to %d", name, v, HS_CEMANEIGE_MAX_LAYERS);
            o->n_layers = (size_t)n;
        } else if (hs_model_key_eq(k, "HYPSOMETRIC_CURVE")) {
            HS_TRY(gr4j_parse_curve(ctx, name, k, v, o->curve));
            o->has_curve = true;
        } else if (hs_model_key_eq(k, "FORCING_ELEVATION")) {
            const char *end;
            if (!gr4j_parse_number(v, &end, &o->z_input) || !gr4j_blank_tail(end))
                return HS_FAIL(ctx, HS_ERR_CONFIG,
                               "%s option FORCING_ELEVATION: '%s' is not valid; expected an "
                               "elevation in m", name, v);
        } else if (hs_model_key_eq(k, "MEAN_ANNUAL_SOLID_PRECIP")) {
            const char *end;
            if (!gr4j_parse_number(v, &end, &o->mean_an_solid) || !gr4j_blank_tail(end) ||
                !(o->mean_an_solid > 0.0))
                return HS_FAIL(ctx, HS_ERR_CONFIG,
                               "%s option MEAN_ANNUAL_SOLID_PRECIP: '%s' is not valid; expected "
                               "a number of mm per year > 0", name, v);
        }
        /* other keys belong to other modules */
    }
    if (o->snow && !o->has_curve)
        return HS_FAIL(ctx, HS_ERR_CONFIG,
                       "%s: CemaNeige needs HYPSOMETRIC_CURVE, the %d elevations (m) of the 0, 1, "
                       "..., 100 %% quantiles of the catchment (airGR HypsoData)", name,
                       HS_CEMANEIGE_NHYPSO);
    return HS_OK;
}

/* ---- unit hydrographs (docs-models.md §2.2; airGR SS1, SS2 with D = 2.5) ------------------------ */

static double gr4j_ss1(int i, double c, double d)
{
    const double fi = (double)i;
    if (i <= 0) return 0.0;
    if (fi < c) return pow(fi / c, d);
    return 1.0;
}

static double gr4j_ss2(int i, double c, double d)
{
    const double fi = (double)i;
    if (i <= 0) return 0.0;
    if (fi <= c) return 0.5 * pow(fi / c, d);
    if (fi < 2.0 * c) return 1.0 - 0.5 * pow(2.0 - fi / c, d);
    return 1.0;
}

void hs_gr4j_uh_ordinates(double x4, double *uh1, double *uh2)
{
    const double d = 2.5;
    for (int i = 1; i <= HS_GR4J_NH; i++) uh1[i - 1] = gr4j_ss1(i, x4, d) - gr4j_ss1(i - 1, x4, d);
    for (int i = 1; i <= 2 * HS_GR4J_NH; i++)
        uh2[i - 1] = gr4j_ss2(i, x4, d) - gr4j_ss2(i - 1, x4, d);
}

/* ---- one step (docs-models.md §2.3; airGR MOD_GR4J) ---------------------------------------------- */

/* Inlined into the kernels' loops (a call per HRU-step would cost more than its arithmetic). */
#if defined(__GNUC__)
#define GR4J_INLINE static inline __attribute__((always_inline))
#else
#define GR4J_INLINE static inline
#endif

GR4J_INLINE double gr4j_step_inline(hs_gr4j_state *st, const double *uh1, const double *uh2,
                                      const double *par, double p1, double e, hs_gr4j_fluxes *out)
{
    const double b = AIRGR_REAL(0.9);
    const double stored_val = 25.62890625; /* (9/4)^4, exact in single precision */
    const double a = par[HS_GR4J_X1];
    double en, pn, ps, es, ae, pr, ws;
    double s = st->prod_mm;

    /* 1. Interception and production store. */
    if (p1 <= e) {
        en = e - p1;
        pn = 0.0;
        ws = en / a;
        if (ws > 13.0) ws = 13.0;
        const double exp_ws = hs_vm_exp_plain(2.0 * ws);
        const double tws = (exp_ws - 1.0) / (exp_ws + 1.0);
        const double sr = s / a;
        es = s * (2.0 - sr) * tws / (1.0 + (1.0 - sr) * tws);
        ae = es + p1;
        s = s - es;
        ps = 0.0;
        pr = 0.0;
    } else {
        en = 0.0;
        ae = e;
        pn = p1 - e;
        ws = pn / a;
        if (ws > 13.0) ws = 13.0;
        const double exp_ws = hs_vm_exp_plain(2.0 * ws);
        const double tws = (exp_ws - 1.0) / (exp_ws + 1.0);
        const double sr = s / a;
        ps = a * (1.0 - sr * sr) * tws / (1.0 + sr * tws);
        es = 0.0;
        pr = pn - ps;
        s = s + ps;
    }
    /* 2-4. Percolation from the production store (after the clamp at 0). */
    if (s < 0.0) s = 0.0;
    double sr = s / par[HS_GR4J_X1];
    sr = sr * sr;
    sr = sr * sr;
    const double perc = s * (1.0 - 1.0 / sqrt(sqrt(1.0 + sr / stored_val)));
    s = s - perc;
    pr = pr + perc;

    /* 5. Split into the two routing branches. */
    const double prhu1 = pr * b;
    const double prhu2 = pr * (1.0 - b);

    /* 6. UH convolution, airGR's shift registers and loop limits (1-based K in airGR). */
    const int kx = (int)(par[HS_GR4J_X4] + 1.0);
    int n1 = kx < HS_GR4J_NH - 1 ? kx : HS_GR4J_NH - 1;
    if (n1 < 1) n1 = 1;
    for (int k = 0; k < n1; k++) st->uh1_mm[k] = st->uh1_mm[k + 1] + uh1[k] * prhu1;
    st->uh1_mm[HS_GR4J_NH - 1] = uh1[HS_GR4J_NH - 1] * prhu1;
    int n2 = 2 * kx < 2 * HS_GR4J_NH - 1 ? 2 * kx : 2 * HS_GR4J_NH - 1;
    if (n2 < 1) n2 = 1;
    for (int k = 0; k < n2; k++) st->uh2_mm[k] = st->uh2_mm[k + 1] + uh2[k] * prhu2;
    st->uh2_mm[2 * HS_GR4J_NH - 1] = uh2[2 * HS_GR4J_NH - 1] * prhu2;
    const double q9 = st->uh1_mm[0], q1 = st->uh2_mm[0];

    /* 7. Potential exchange, from R before this step's inflow. */
    double r = st->rout_mm;
    double rr = r / par[HS_GR4J_X3];
    const double exch = par[HS_GR4J_X2] * rr * rr * rr * sqrt(rr);

    /* 8. Routing store; the actual exchange is what the store could give. */
    double aexch1 = exch;
    if (r + q9 + exch < 0.0) aexch1 = -r - q9;
    r = r + q9 + exch;
    if (r < 0.0) r = 0.0;
    rr = r / par[HS_GR4J_X3];
    rr = rr * rr;
    rr = rr * rr;
    const double qr = r * (1.0 - 1.0 / sqrt(sqrt(1.0 + rr)));
    r = r - qr;

    /* 9. Direct branch. */
    double aexch2 = exch;
    if (q1 + exch < 0.0) aexch2 = -q1;
    const double qd0 = q1 + exch;
    const double qd = qd0 > 0.0 ? qd0 : fmax(0.0, qd0); /* fmax only where its zero/NaN rules act */

    /* 10. Total. */
    double q = qr + qd;
    if (q < 0.0) q = 0.0;

    st->prod_mm = s;
    st->rout_mm = r;
    if (out) {
        out->pn = pn;
        out->en = en;
        out->ps = ps;
        out->es = es;
        out->ae = ae;
        out->perc = perc;
        out->pr = pr;
        out->q9 = q9;
        out->q1 = q1;
        out->exch = exch;
        out->aexch1 = aexch1;
        out->aexch2 = aexch2;
        out->qr = qr;
        out->qd = qd;
        out->qsim = q;
    }
    return q;
}

double hs_gr4j_step(hs_gr4j_state *st, const double *uh1, const double *uh2, const double *par,
                    double p_mm, double e_mm, hs_gr4j_fluxes *out)
{
    return gr4j_step_inline(st, uh1, uh2, par, p_mm, e_mm, out);
}

/* ---- lifecycle ------------------------------------------------------------------------------------ */

static void gr4j_destroy(hs_model_impl **mp)
{
    if (!mp || !*mp) return;
    hs_model_impl *m = *mp;
    hs_free(m->par);
    hs_free(m->uh1);
    hs_free(m->uh2);
    hs_free(m->st);
    hs_free(m->exch_cum);
    hs_free(m->g);
    hs_free(m->etg);
    hs_free(m->gthreshold);
    hs_free(m->p_block);
    hs_free(m);
    *mp = NULL;
}

static hs_status gr4j_create_impl(const char *name, bool snow_entry, const hs_model_option *opts,
                                  size_t n_opts, size_t n_hru, hs_ctx *ctx, hs_model_impl **out)
{
    if (!out) return HS_FAIL(ctx, HS_ERR_ARG, "%s: NULL output pointer", name);
    *out = NULL;
    if (n_hru == 0) return HS_FAIL(ctx, HS_ERR_ARG, "%s: the domain has no HRUs (n_hru = 0)", name);
    if (n_opts > 0 && !opts) return HS_FAIL(ctx, HS_ERR_ARG, "%s: NULL option array", name);
    gr4j_options o;
    HS_TRY(gr4j_parse_options(name, snow_entry, opts, n_opts, ctx, &o));

    hs_model_impl *m = NULL;
    HS_TRY(hs_alloc(ctx, 1, sizeof *m, "GR4J model", (void **)&m));
    m->n_hru = n_hru;
    m->snow = o.snow;
    m->npar = o.snow ? HS_GR4J_CN_NPAR : HS_GR4J_NPAR;
    m->mean_an_solid_precip = o.mean_an_solid;
    hs_status st = HS_OK;
    if (o.snow) {
        HS_TRY_GOTO(st, hs_cemaneige_layers_init(o.curve, o.n_layers, o.z_input, ctx, &m->layers),
                    fail);
        for (size_t k = 0; k < m->layers.n_layers; k++)
            m->layer_pfac[k] = cn_precip_factor(&m->layers, k);
    }
    if (n_hru > SIZE_MAX / (2 * HS_GR4J_NH + HS_CEMANEIGE_MAX_LAYERS + HS_GR4J_CN_NPAR)) {
        st = HS_FAIL(ctx, HS_ERR_NOMEM, "%s: %zu HRUs overflow the state size", name, n_hru);
        goto fail;
    }
    HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, m->par, n_hru * m->npar, "GR4J parameters"), fail);
    HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, m->uh1, n_hru * HS_GR4J_NH, "GR4J UH1 ordinates"), fail);
    HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, m->uh2, n_hru * 2 * HS_GR4J_NH, "GR4J UH2 ordinates"),
                fail);
    HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, m->st, n_hru, "GR4J states"), fail);
    HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, m->exch_cum, n_hru, "GR4J exchange totals"), fail);
    if (o.snow) {
        const size_t nl = m->layers.n_layers;
        HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, m->g, n_hru * nl, "CemaNeige snow packs"), fail);
        HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, m->etg, n_hru * nl, "CemaNeige thermal states"), fail);
        HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, m->gthreshold, n_hru, "CemaNeige melt thresholds"),
                    fail);
        for (size_t i = 0; i < n_hru; i++) m->gthreshold[i] = NAN; /* not known yet */
        HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, m->p_block, GR4J_SNOW_BLOCK * n_hru,
                                       "CemaNeige output block"), fail);
    }
    *out = m;
    return HS_OK;
fail:
    gr4j_destroy(&m);
    return st;
}

static hs_status gr4j_create(const hs_model_option *opts, size_t n_opts, size_t n_hru, hs_ctx *ctx,
                             hs_model_impl **out)
{
    return gr4j_create_impl("GR4J", false, opts, n_opts, n_hru, ctx, out);
}

static hs_status gr4j_cn_create(const hs_model_option *opts, size_t n_opts, size_t n_hru,
                                hs_ctx *ctx, hs_model_impl **out)
{
    return gr4j_create_impl("GR4J_CemaNeige", true, opts, n_opts, n_hru, ctx, out);
}

/* Physical limits (not calibration bounds), docs-models.md §2.1 and §2.5; shared with the
 * batched kernel (hs_gr4j_impl.h). */
hs_status hs_gr4j_param_check(hs_ctx *ctx, bool snow, size_t k, const char *what, size_t index,
                              double v)
{
    const hs_param_info *info = snow ? &gr4j_cn_params[k] : &gr4j_params[k];
    const char *need = "finite";
    bool ok = isfinite(v);
    switch (k) {
    case HS_GR4J_X1:
    case HS_GR4J_X3:
        ok = ok && v >= 0.01;
        need = ">= 0.01 mm (airGR's hard limit: the store capacity divides)";
        break;
    case HS_GR4J_X4:
        ok = ok && v >= 0.5 && v <= (double)HS_GR4J_NH;
        need = "in [0.5, 20] days (airGR's lower limit; the 20-cell UH1 truncates beyond 20 d)";
        break;
    case HS_GR4J_CTG:
        ok = ok && v >= 0.0 && v <= 1.0;
        need = "in [0, 1]";
        break;
    case HS_GR4J_KF:
        ok = ok && v >= 0.0;
        need = ">= 0 mm degC-1 d-1";
        break;
    default:
        break;
    }
    if (ok) return HS_OK;
    return HS_FAIL(ctx, HS_ERR_ARG, "%s parameter %s = %.17g for %s %zu is outside its physical "
                   "limits (must be %s)", snow ? "GR4J_CemaNeige" : "GR4J", info->name, v, what,
                   index, need);
}

static hs_status gr4j_init(hs_model_impl *m, const double *params, hs_ctx *ctx)
{
    if (!m || !params) return HS_FAIL(ctx, HS_ERR_ARG, "GR4J init: NULL model or parameters");
    const size_t n = m->n_hru, np = m->npar;
    /* Validate everything before changing anything: a failed init leaves the model as it was. */
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < np; k++)
            HS_TRY(hs_gr4j_param_check(ctx, m->snow, k, "HRU", i, params[i * np + k]));

    for (size_t i = 0; i < n; i++) {
        const double *p = params + i * np;
        memcpy(m->par + i * np, p, np * sizeof *p);
        hs_gr4j_uh_ordinates(p[HS_GR4J_X4], m->uh1 + i * HS_GR4J_NH, m->uh2 + i * 2 * HS_GR4J_NH);
        /* airGR's default initial states (CreateIniStates / CreateRunOptions), docs §2.1. */
        hs_gr4j_state *s = &m->st[i];
        memset(s, 0, sizeof *s);
        s->prod_mm = 0.3 * p[HS_GR4J_X1];
        s->rout_mm = 0.5 * p[HS_GR4J_X3];
        m->exch_cum[i] = 0.0;
        if (m->snow) {
            const size_t nl = m->layers.n_layers;
            for (size_t k = 0; k < nl; k++) m->g[i * nl + k] = m->etg[i * nl + k] = 0.0;
            /* Without MEAN_ANNUAL_SOLID_PRECIP the threshold found by the first run is kept
             * across inits, so that every evaluation of a calibration uses the same one. */
            if (!isnan(m->mean_an_solid_precip))
                m->gthreshold[i] = hs_cemaneige_gthreshold(m->mean_an_solid_precip);
        }
    }
    m->initialized = true;
    return HS_OK;
}

/* ---- the kernel ---------------------------------------------------------------------------------- */

/* The HRUs of the range run in SIMD lanes, 16 HRUs per group (hs_gr4j_run_hru_lanes in
 * hs_gr4j_batch.c, which shares its lane code with the batched backend). Each lane performs
 * exactly the operations of hs_gr4j_step() in the same order (so the bits are the same for any
 * partition and equal a per-HRU loop of hs_gr4j_step(); tests/hydro/test_gr4j.c checks it with
 * memcmp), but the HRUs' dependency chains (exp, two sqrt(sqrt()), divisions) are independent
 * and now share vector instructions: 30 -> 17 ns per HRU-step on the Bow (379 HRUs, one core).
 * Before, a time-major scalar loop over HRUs overlapped the chains; before that, an HRU-major
 * loop stalled on one HRU's sqrt/div latency (~80 % of the time, perf). */
static void gr4j_run_plain(hs_model_impl *m, hs_range hrus, const hs_forcing_view *f,
                           const hs_flux_view *out)
{
    const hs_gr4j_hru_run job = {
        .n_hru = m->n_hru,
        .first = hrus.first,
        .count = hrus.count,
        .n_time = f->n_time,
        .npar = m->npar,
        .par = m->par,
        .uh1 = m->uh1,
        .uh2 = m->uh2,
        .st = m->st,
        .exch_cum = m->exch_cum,
        .precip_mm = f->precip_mm,
        .pet_mm = f->pet_mm,
        .runoff_mm = out->runoff_mm,
        .aet_mm = out->aet_mm,
    };
    hs_gr4j_run_hru_lanes(&job);
    if (out->input_mm)
        for (size_t t = 0; t < f->n_time; t++)
            memcpy(out->input_mm + t * m->n_hru + hrus.first,
                   f->precip_mm + t * m->n_hru + hrus.first, hrus.count * sizeof *f->precip_mm);
}

/* GR4J with CemaNeige: per block of GR4J_SNOW_BLOCK steps, CemaNeige time-major over the HRUs
 * (scalar), then GR4J over the block in SIMD lanes as above (64 -> 38 ns per HRU-step on 379
 * HRUs). What depends only on the day (the temperature gradient, hence each layer's
 * temperature offset) is computed once per step for all HRUs, and the precipitation factor of
 * each layer once per model (m->layer_pfac); each value is the one hs_cemaneige_extrapolate()
 * computes, with the same operations, so the bits are the same. */
static void gr4j_run_snow(hs_model_impl *m, hs_range hrus, const hs_forcing_view *f,
                          const hs_flux_view *out)
{
    const size_t n = m->n_hru, nt = f->n_time, np = m->npar;
    const size_t i0 = hrus.first, i1 = hrus.first + hrus.count;
    const hs_cemaneige_layers *ly = &m->layers;
    const size_t nl = ly->n_layers;
    const double dnl = (double)nl, zin = ly->z_input_m;
    /* Melt threshold: from MEAN_ANNUAL_SOLID_PRECIP, else from the window of the first run
     * of this model (docs §2.5: airGR uses the whole input series; the first window is the
     * closest the model sees), kept for the model's life. */
    for (size_t i = i0; i < i1; i++)
        if (isnan(m->gthreshold[i]))
            m->gthreshold[i] = hs_cemaneige_gthreshold(hs_cemaneige_mean_annual_solid_precip(
                ly, f->first_day, f->precip_mm + i, f->temp_c + i, nt, n));
    double tofs[HS_CEMANEIGE_MAX_LAYERS];
    double pl[HS_CEMANEIGE_MAX_LAYERS];
    int year, month, day;
    hs_day_to_ymd(f->first_day, &year, &month, &day);
    /* CemaNeige does not depend on GR4J: a block of its outputs (m->p_block, this range's
     * columns) feeds GR4J's lane kernel, as the forcing would. */
    for (size_t t0 = 0; t0 < nt; t0 += GR4J_SNOW_BLOCK) {
        const size_t t1 = nt - t0 < GR4J_SNOW_BLOCK ? nt : t0 + GR4J_SNOW_BLOCK;
        for (size_t t = t0; t < t1; t++) {
            const size_t idx = t * n;
            const double *prec = f->precip_mm + idx, *temp = f->temp_c + idx;
            double *p_gr_row = m->p_block + (t - t0) * n;
            if (!ly->no_extrapolation) {
                /* hs_cemaneige_extrapolate: T_k = T + (Z_in - Z_k) * |g| / 100, left to right. */
                const double g = fabs(hs_cemaneige_temp_gradient(month, day));
                for (size_t k = 0; k < nl; k++) tofs[k] = (zin - ly->z_m[k]) * g / 100.0;
            }
            for (size_t i = i0; i < i1; i++) {
                const double *par = m->par + i * np;
                const double ctg = par[HS_GR4J_CTG], kf = par[HS_GR4J_KF];
                const double gthr = m->gthreshold[i];
                double *g = m->g + i * nl, *etg = m->etg + i * nl;
                const double p = prec[i], tc = temp[i];
                double p_gr = 0.0;
                if (ly->no_extrapolation) {
                    p_gr += cn_step(&g[0], &etg[0], p, cn_solid_fraction(tc), tc, ctg, kf, gthr,
                                    NULL) / dnl;
                    pl[0] = p;
                } else {
                    double sum = 0.0;
                    for (size_t k = 0; k < nl; k++) {
                        pl[k] = p * m->layer_pfac[k];
                        sum += pl[k];
                    }
                    const double mean = sum / dnl;
                    for (size_t k = 0; k < nl; k++) {
                        const double pk = pl[k] / mean * p;
                        pl[k] = isnan(pk) ? 0.0 : pk;
                        const double tk = tc + tofs[k];
                        p_gr += cn_step(&g[k], &etg[k], pl[k], cn_solid_fraction(tk), tk, ctg, kf,
                                        gthr, NULL) / dnl;
                    }
                }
                p_gr_row[i] = p_gr;
                if (out->input_mm) {
                    double p_in = 0.0;
                    for (size_t k = 0; k < nl; k++) p_in += pl[k] / dnl;
                    out->input_mm[idx + i] = p_in;
                }
            }
            if (++day > hs_days_in_month(year, month)) {
                day = 1;
                if (++month > 12) {
                    month = 1;
                    year++;
                }
            }
        }
        const hs_gr4j_hru_run job = {
            .n_hru = n,
            .first = i0,
            .count = i1 - i0,
            .n_time = t1 - t0,
            .npar = np,
            .par = m->par,
            .uh1 = m->uh1,
            .uh2 = m->uh2,
            .st = m->st,
            .exch_cum = m->exch_cum,
            .precip_mm = m->p_block,
            .pet_mm = f->pet_mm + t0 * n,
            .runoff_mm = out->runoff_mm + t0 * n,
            .aet_mm = out->aet_mm ? out->aet_mm + t0 * n : NULL,
        };
        hs_gr4j_run_hru_lanes(&job);
    }
}

static hs_status gr4j_run(hs_model_impl *m, hs_range hrus, const hs_forcing_view *f,
                          const hs_flux_view *out, hs_ctx *ctx)
{
    if (!m || !f || !out || !out->runoff_mm)
        return HS_FAIL(ctx, HS_ERR_ARG, "GR4J run: NULL model, forcing or runoff array");
    if (!m->initialized)
        return HS_FAIL(ctx, HS_ERR_ARG, "GR4J run: parameters not set (call init first)");
    if (f->n_hru != m->n_hru || hrus.first > m->n_hru || hrus.count > m->n_hru - hrus.first)
        return HS_FAIL(ctx, HS_ERR_ARG, "GR4J run: HRU range [%zu, +%zu) or forcing HRU count %zu "
                       "does not fit the model's %zu HRUs", hrus.first, hrus.count, f->n_hru,
                       m->n_hru);
    if (f->n_time > 0 && (!f->precip_mm || !f->pet_mm || (m->snow && !f->temp_c)))
        return HS_FAIL(ctx, HS_ERR_ARG, "%s run: forcing needs precip_mm and pet_mm%s",
                       m->snow ? "GR4J_CemaNeige" : "GR4J", m->snow ? " and temp_c" : "");
    if (m->snow)
        gr4j_run_snow(m, hrus, f, out);
    else
        gr4j_run_plain(m, hrus, f, out);
    return HS_OK;
}

static double gr4j_storage_mm(const hs_model_impl *m, size_t hru)
{
    if (!m || hru >= m->n_hru) return NAN;
    const hs_gr4j_state *s = &m->st[hru];
    /* Cell 0 of each register is the outflow of the last step, already released. */
    double v = s->prod_mm + s->rout_mm;
    for (size_t k = 1; k < HS_GR4J_NH; k++) v += s->uh1_mm[k];
    for (size_t k = 1; k < 2 * HS_GR4J_NH; k++) v += s->uh2_mm[k];
    if (m->snow) {
        const size_t nl = m->layers.n_layers;
        for (size_t k = 0; k < nl; k++) v += m->g[hru * nl + k] / (double)nl;
    }
    return v;
}

const hs_model_ops hs_gr4j_ops = {
    .name = "GR4J",
    .description = "GR4J daily rainfall-runoff model as in airGR 1.7.6 (docs-models.md §2)",
    .n_params = HS_GR4J_NPAR,
    .params = gr4j_params,
    .n_option_keys = sizeof gr4j_option_keys / sizeof gr4j_option_keys[0],
    .option_keys = gr4j_option_keys,
    .create = gr4j_create,
    .init = gr4j_init,
    .run = gr4j_run,
    .storage_mm = gr4j_storage_mm,
    .destroy = gr4j_destroy,
};

const hs_model_ops hs_gr4j_cemaneige_ops = {
    .name = "GR4J_CemaNeige",
    .description = "GR4J with the CemaNeige snow routine on elevation layers, as airGR's "
                   "CemaNeigeGR4J (docs-models.md §2.5)",
    .n_params = HS_GR4J_CN_NPAR,
    .params = gr4j_cn_params,
    .n_option_keys = sizeof gr4j_cn_option_keys / sizeof gr4j_cn_option_keys[0],
    .option_keys = gr4j_cn_option_keys,
    .create = gr4j_cn_create,
    .init = gr4j_init,
    .run = gr4j_run,
    .storage_mm = gr4j_storage_mm,
    .destroy = gr4j_destroy,
};

/* ---- accessors ------------------------------------------------------------------------------------ */

static const hs_model_impl *gr4j_impl_of(const hs_model *m)
{
    const hs_model_ops *ops = hs_model_get_ops(m);
    if (ops != &hs_gr4j_ops && ops != &hs_gr4j_cemaneige_ops) return NULL;
    return hs_model_get_impl(m);
}

size_t hs_gr4j_n_layers(const hs_model *m)
{
    const hs_model_impl *g = gr4j_impl_of(m);
    return g && g->snow ? g->layers.n_layers : 0;
}

hs_status hs_gr4j_get_state(const hs_model *m, size_t hru, hs_ctx *ctx, hs_gr4j_state *state,
                            double *exch_cum_mm, double *snow_mm, double *thermal_c,
                            double *gthreshold_mm)
{
    const hs_model_impl *g = gr4j_impl_of(m);
    if (!g) return HS_FAIL(ctx, HS_ERR_ARG, "hs_gr4j_get_state: not a GR4J model");
    if (hru >= g->n_hru)
        return HS_FAIL(ctx, HS_ERR_ARG, "hs_gr4j_get_state: HRU %zu outside the model's %zu HRUs",
                       hru, g->n_hru);
    if (!g->snow && (snow_mm || thermal_c))
        return HS_FAIL(ctx, HS_ERR_ARG, "hs_gr4j_get_state: model GR4J has no snow layers");
    if (state) *state = g->st[hru];
    if (exch_cum_mm) *exch_cum_mm = g->exch_cum[hru];
    if (g->snow) {
        const size_t nl = g->layers.n_layers;
        for (size_t k = 0; k < nl; k++) {
            if (snow_mm) snow_mm[k] = g->g[hru * nl + k];
            if (thermal_c) thermal_c[k] = g->etg[hru * nl + k];
        }
    }
    if (gthreshold_mm) *gthreshold_mm = g->snow ? g->gthreshold[hru] : NAN;
    return HS_OK;
}
