/* test_gr4j.c -- GR4J (hydro/hs_gr4j.c, docs-models.md §2.1-§2.4).
 *
 * 1. UH ordinates: docs §2.2 check values for X4 = 2.208 (given to 6 decimals: tol 5e-7) and
 *    sums of 1 (1e-14).
 * 2. Hand-computed steps: an independent transcription of the textbook equations (tanh(), pow(),
 *    explicit convolution) for 6 steps, wet and dry; tol 1e-12 mm.
 * 3. airGR reference run on L0123001 (docs §2.4, testdata/airgr-L0123001): Qsim of the first
 *    10 days of 1990 (tol 5e-7: half a unit of the 6th decimal), sum over 1990-1999 (tol 1e-6),
 *    end states (tol half a unit of the last digit given), NSE, KGE and its parts, KGE', log-NSE
 *    and PBIAS (tol 5e-7, or half a unit of the last digit given); the run without warm-up.
 * 4. The model's run() equals a loop of hs_gr4j_step() bit for bit; HRU partition and run
 *    continuation give identical bits.
 * 5. Mass balance for 40 random parameter sets: per step and in total,
 *    P - AE - Q + actual exchange - dS within 1e-9 mm, through the model interface
 *    (exch_cum_mm) and through hs_gr4j_step's fluxes (AExch1 + AExch2).
 * 6. Error paths: parameters outside their physical limits, options.
 * 7. The optimised time-major kernel equals, bit for bit (memcmp of Q, AE, P, the end states and
 *    the exchange), the step as it was before the optimisation (kept here verbatim), for 67 HRUs
 *    with random parameters over their physical limits and 6000 random days, run in uneven
 *    HRU ranges. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bow_csv.h"
#include "hs_ctx.h"
#include "hs_gr4j.h"
#include "hs_metrics.h"
#include "hs_model.h"
#include "hs_vmath.h"
#include "hs_test.h"

#define L1_CSV HS_TESTDATA_DIR "/airgr-L0123001/forcing.csv"

/* ---- 1. UH ordinates ------------------------------------------------------------------------- */

static void test_uh(void)
{
    double uh1[HS_GR4J_NH], uh2[2 * HS_GR4J_NH];
    hs_gr4j_uh_ordinates(2.208, uh1, uh2);
    const double e1[] = {0.138039, 0.642828, 0.219133, 0.0};
    const double e2[] = {0.069020, 0.321414, 0.444890, 0.156972, 0.007704, 0.0};
    for (size_t k = 0; k < 4; k++) HS_CHECK_CLOSE(uh1[k], e1[k], 5e-7);
    for (size_t k = 0; k < 6; k++) HS_CHECK_CLOSE(uh2[k], e2[k], 5e-7);
    for (size_t k = 4; k < HS_GR4J_NH; k++) HS_CHECK(uh1[k] == 0.0);
    for (size_t k = 6; k < 2 * HS_GR4J_NH; k++) HS_CHECK(uh2[k] == 0.0);
    const double x4s[] = {0.5, 1.0, 2.208, 7.3, 19.5, 20.0};
    for (size_t j = 0; j < sizeof x4s / sizeof x4s[0]; j++) {
        hs_gr4j_uh_ordinates(x4s[j], uh1, uh2);
        double s1 = 0, s2 = 0;
        for (size_t k = 0; k < HS_GR4J_NH; k++) s1 += uh1[k];
        for (size_t k = 0; k < 2 * HS_GR4J_NH; k++) s2 += uh2[k];
        HS_CHECK_CLOSE(s1, 1.0, 1e-14);
        HS_CHECK_CLOSE(s2, 1.0, 1e-14);
    }
    /* X4 = 0.5: everything in the first cell. */
    hs_gr4j_uh_ordinates(0.5, uh1, uh2);
    HS_CHECK(uh1[0] == 1.0 && uh2[0] == 1.0);
}

/* ---- 2. hand-computed steps ------------------------------------------------------------------- */

/* Textbook GR4J (Perrin et al. 2003) with airGR's split constant, the float 0.9 widened to
 * double (airGR's Fortran literal), tanh() and pow() instead of airGR's rewrites, and the UH
 * convolution written as a sum over past inputs. */
static void hand_run(const double *par, const double *p, const double *e, size_t n, double *q,
                     double *s_end, double *r_end)
{
    const double x1 = par[0], x2 = par[1], x3 = par[2], x4 = par[3];
    const double b = (double)0.9f;
    double uh1[HS_GR4J_NH], uh2[2 * HS_GR4J_NH];
    for (int j = 1; j <= HS_GR4J_NH; j++) {
        double a = j < x4 ? pow(j / x4, 2.5) : 1.0;
        double c = (j - 1) < x4 ? pow((j - 1) / x4, 2.5) : 1.0;
        uh1[j - 1] = a - c;
    }
    for (int j = 1; j <= 2 * HS_GR4J_NH; j++) {
        double v[2];
        for (int h = 0; h < 2; h++) {
            double t = j - h;
            v[h] = t <= 0 ? 0.0 : t <= x4 ? 0.5 * pow(t / x4, 2.5)
                               : t < 2 * x4 ? 1.0 - 0.5 * pow(2.0 - t / x4, 2.5) : 1.0;
        }
        uh2[j - 1] = v[0] - v[1];
    }
    double s = 0.3 * x1, r = 0.5 * x3, pr_hist[64];
    for (size_t t = 0; t < n; t++) {
        double pr;
        if (p[t] <= e[t]) {
            double en = e[t] - p[t], tw = tanh(en / x1), sr = s / x1;
            s -= s * (2 - sr) * tw / (1 + (1 - sr) * tw);
            pr = 0.0;
        } else {
            double pn = p[t] - e[t], tw = tanh(pn / x1), sr = s / x1;
            double ps = x1 * (1 - sr * sr) * tw / (1 + sr * tw);
            s += ps;
            pr = pn - ps;
        }
        double perc = s * (1 - pow(1 + pow(4.0 * s / (9.0 * x1), 4), -0.25));
        s -= perc;
        pr_hist[t] = pr + perc;
        double q9 = 0, q1 = 0;
        for (size_t j = 0; j <= t && j < 2 * HS_GR4J_NH; j++) {
            if (j < HS_GR4J_NH) q9 += uh1[j] * pr_hist[t - j] * b;
            q1 += uh2[j] * pr_hist[t - j] * (1 - b);
        }
        double f = x2 * pow(r / x3, 3.5);
        r = fmax(0.0, r + q9 + f);
        double qr = r * (1 - pow(1 + pow(r / x3, 4), -0.25));
        r -= qr;
        q[t] = qr + fmax(0.0, q1 + f);
    }
    *s_end = s;
    *r_end = r;
}

static hs_model *make_model(const hs_model_ops *ops, const hs_model_option *opts, size_t n_opts,
                            size_t n_hru, hs_ctx *ctx)
{
    hs_model *m = NULL;
    hs_status st = hs_model_create(ops, opts, n_opts, n_hru, ctx, &m);
    if (st != HS_OK) fprintf(stderr, "create: %s\n", hs_ctx_message(ctx));
    HS_CHECK(st == HS_OK);
    return m;
}

static void test_hand_steps(hs_ctx *ctx)
{
    const double p[] = {12.0, 0.0, 3.5, 40.0, 0.2, 7.0};
    const double e[] = {1.5, 4.0, 3.5, 0.5, 5.0, 2.0};
    const double temp[] = {0, 0, 0, 0, 0, 0};
    const size_t n = 6;
    const double sets[2][4] = {{257.238, 1.012, 88.235, 2.208}, {120.0, -3.5, 40.0, 0.7}};
    for (size_t k = 0; k < 2; k++) {
        double q_hand[6], s_hand, r_hand, q[6];
        hand_run(sets[k], p, e, n, q_hand, &s_hand, &r_hand);
        hs_model *m = make_model(&hs_gr4j_ops, NULL, 0, 1, ctx);
        if (!m) return;
        HS_CHECK(hs_model_init(m, sets[k], ctx) == HS_OK);
        hs_forcing_view f = {n, 1, hs_day_from_ymd(2000, 1, 1), p, temp, e};
        hs_flux_view out = {q, NULL, NULL};
        HS_CHECK(hs_model_run(m, (hs_range){0, 1}, &f, &out, ctx) == HS_OK);
        for (size_t t = 0; t < n; t++) HS_CHECK_CLOSE(q[t], q_hand[t], 1e-12);
        hs_gr4j_state st;
        HS_CHECK(hs_gr4j_get_state(m, 0, ctx, &st, NULL, NULL, NULL, NULL) == HS_OK);
        HS_CHECK_CLOSE(st.prod_mm, s_hand, 1e-11);
        HS_CHECK_CLOSE(st.rout_mm, r_hand, 1e-11);
        hs_model_destroy(&m);
    }
    /* The first step in closed form (set 0, wet day: P = 12, E = 1.5, S0 = 0.3 X1). */
    {
        const double x1 = 257.238, x3 = 88.235;
        double s = 0.3 * x1, tw = tanh(10.5 / x1);
        double ps = x1 * (1 - 0.09) * tw / (1 + 0.3 * tw);
        s += ps;
        double perc = s * (1 - pow(1 + pow(4 * s / (9 * x1), 4), -0.25));
        double pr = 10.5 - ps + perc;
        double uh1[HS_GR4J_NH], uh2[2 * HS_GR4J_NH];
        hs_gr4j_uh_ordinates(2.208, uh1, uh2);
        double r = 0.5 * x3, f = 1.012 * pow(0.5, 3.5);
        r += (double)0.9f * pr * uh1[0] + f;
        double qr = r * (1 - pow(1 + pow(r / x3, 4), -0.25));
        double q_first = qr + (1 - (double)0.9f) * pr * uh2[0] + f;
        hs_gr4j_state st;
        memset(&st, 0, sizeof st);
        st.prod_mm = 0.3 * x1;
        st.rout_mm = 0.5 * x3;
        hs_gr4j_fluxes fl;
        const double par[4] = {x1, 1.012, x3, 2.208};
        double q = hs_gr4j_step(&st, uh1, uh2, par, 12.0, 1.5, &fl);
        HS_CHECK_CLOSE(q, q_first, 1e-12);
        HS_CHECK_CLOSE(fl.ps, ps, 1e-12);
        HS_CHECK_CLOSE(fl.perc, perc, 1e-12);
        HS_CHECK_CLOSE(fl.exch, f, 1e-14);
        HS_CHECK(fl.ae == 1.5 && fl.pn == 10.5);
    }
    /* The cap at 13 on the tanh argument: a huge dry day empties S exactly as tanh(13) says. */
    {
        double uh1[HS_GR4J_NH], uh2[2 * HS_GR4J_NH];
        hs_gr4j_uh_ordinates(1.5, uh1, uh2);
        const double par[4] = {1.0, 0.0, 10.0, 1.5};
        hs_gr4j_state st;
        memset(&st, 0, sizeof st);
        st.prod_mm = 0.5;
        hs_gr4j_fluxes fl;
        (void)hs_gr4j_step(&st, uh1, uh2, par, 0.0, 1000.0, &fl);
        double e26 = exp(26.0), tw = (e26 - 1) / (e26 + 1);
        HS_CHECK(fl.es == 0.5 * (2 - 0.5) * tw / (1 + 0.5 * tw));
    }
}

/* ---- 3. airGR reference run on L0123001 --------------------------------------------------------- */

typedef struct series {
    size_t n;
    hs_day start;
    double *p, *e, *q;
} series;

static int read_l1(hs_day start, hs_day end, series *s)
{
    static const char *const names[] = {"P", "E", "Qmm"};
    double *cols[3];
    if (bow_read_columns(L1_CSV, names, 3, start, end, cols) != 0) return -1;
    s->n = (size_t)(end - start + 1);
    s->start = start;
    s->p = cols[0];
    s->e = cols[1];
    s->q = cols[2];
    return 0;
}

static void free_series(series *s)
{
    free(s->p);
    free(s->e);
    free(s->q);
}

static void test_reference(hs_ctx *ctx)
{
    series s;
    const hs_day d1989 = hs_day_from_ymd(1989, 1, 1), d1990 = hs_day_from_ymd(1990, 1, 1);
    HS_CHECK(read_l1(d1989, hs_day_from_ymd(1999, 12, 31), &s) == 0);
    if (!s.p) return;
    const double par[4] = {257.238, 1.012, 88.235, 2.208};
    double *q = calloc(s.n, sizeof *q), *aet = calloc(s.n, sizeof *aet);
    double *zero = calloc(s.n, sizeof *zero);
    hs_model *m = make_model(&hs_gr4j_ops, NULL, 0, 1, ctx);
    if (!m || !q || !aet || !zero) return;
    HS_CHECK(hs_model_init(m, par, ctx) == HS_OK);
    hs_forcing_view f = {s.n, 1, d1989, s.p, zero, s.e};
    hs_flux_view out = {q, aet, NULL};
    HS_CHECK(hs_model_run(m, (hs_range){0, 1}, &f, &out, ctx) == HS_OK);

    const size_t off = (size_t)(d1990 - d1989), nrun = s.n - off;
    HS_CHECK_INT(nrun, 3652);
    const double first10[] = {2.431479, 2.366218, 2.802393, 3.135649, 3.350964,
                              3.069540, 2.580177, 2.250560, 2.039949, 1.873445};
    double dmax = 0;
    for (size_t t = 0; t < 10; t++) {
        HS_CHECK_CLOSE(q[off + t], first10[t], 5e-7);
        dmax = fmax(dmax, fabs(q[off + t] - first10[t]));
    }
    double sum = 0;
    for (size_t t = off; t < s.n; t++) sum += q[t];
    HS_CHECK_CLOSE(sum, 6212.813724, 1e-6);
    HS_CHECK_CLOSE(sum / (double)nrun, 1.701209, 5e-7);
    hs_gr4j_state st;
    HS_CHECK(hs_gr4j_get_state(m, 0, ctx, &st, NULL, NULL, NULL, NULL) == HS_OK);
    HS_CHECK_CLOSE(st.prod_mm, 188.5154, 5e-5);
    HS_CHECK_CLOSE(st.rout_mm, 48.87172, 5e-6);
    fprintf(stderr, "L0123001: max |Qsim - airGR| first 10 days %.3g mm/d; sum %.9f (airGR "
            "6212.813724); S %.9g (188.5154), R %.9g (48.87172)\n", dmax, sum, st.prod_mm,
            st.rout_mm);

    /* Criteria against Qmm over 1990-1999 (57 missing observations skipped). */
    const double *qs = q + off, *qo = s.q + off;
    size_t missing = 0;
    for (size_t t = 0; t < nrun; t++) missing += isnan(qo[t]);
    HS_CHECK_INT(missing, 57);
    hs_kge_parts kp;
    HS_CHECK_CLOSE(hs_metric_nse(qs, qo, nrun), 0.798822, 5e-7);
    HS_CHECK_CLOSE(hs_metric_kge(qs, qo, nrun, &kp), 0.785405, 5e-7);
    HS_CHECK_CLOSE(kp.r, 0.8984924, 5e-8);
    HS_CHECK_CLOSE(kp.alpha, 0.8160338, 5e-8);
    HS_CHECK_CLOSE(kp.beta, 1.0436298, 5e-8);
    HS_CHECK_CLOSE(hs_metric_kgep(qs, qo, nrun, &kp), 0.755528, 5e-7);
    HS_CHECK_CLOSE(kp.gamma, 0.7819189, 5e-8);
    HS_CHECK_CLOSE(hs_metric_lognse(qs, qo, nrun, 0.0, NULL), 0.815878, 5e-7);
    double mean_obs = 0;
    size_t nobs = 0;
    for (size_t t = 0; t < nrun; t++)
        if (!isnan(qo[t])) mean_obs += qo[t], nobs++;
    mean_obs /= (double)nobs;
    HS_CHECK_CLOSE(hs_metric_lognse(qs, qo, nrun, mean_obs / 100, NULL), 0.823944, 5e-7);
    HS_CHECK_CLOSE(hs_metric_pbias(qs, qo, nrun), 4.3630, 5e-5);
    fprintf(stderr, "L0123001: NSE %.9f KGE %.9f KGE' %.9f PBIAS %.6f\n",
            hs_metric_nse(qs, qo, nrun), hs_metric_kge(qs, qo, nrun, NULL),
            hs_metric_kgep(qs, qo, nrun, NULL), hs_metric_pbias(qs, qo, nrun));

    /* Same parameters, no warm-up: default states on 1990-01-01. */
    HS_CHECK(hs_model_init(m, par, ctx) == HS_OK);
    hs_forcing_view f2 = {5, 1, d1990, s.p + off, zero, s.e + off};
    HS_CHECK(hs_model_run(m, (hs_range){0, 1}, &f2, &out, ctx) == HS_OK);
    const double first5[] = {0.759709, 0.728078, 0.750358, 0.770004, 0.772158};
    for (size_t t = 0; t < 5; t++) HS_CHECK_CLOSE(q[t], first5[t], 5e-7);

    hs_model_destroy(&m);
    free(q);
    free(aet);
    free(zero);
    free_series(&s);
}

/* ---- 4. run() == step loop; partitions; continuation ------------------------------------------ */

static void test_identity(hs_ctx *ctx)
{
    series s;
    HS_CHECK(read_l1(hs_day_from_ymd(1989, 1, 1), hs_day_from_ymd(1991, 12, 31), &s) == 0);
    if (!s.p) return;
    const size_t n = s.n, nh = 3;
    const double par[3][4] = {{257.238, 1.012, 88.235, 2.208},
                              {50.0, -4.0, 20.0, 0.6},
                              {1500.0, 3.0, 300.0, 9.4}};
    double *p = malloc(n * nh * sizeof *p), *e = malloc(n * nh * sizeof *e);
    double *tz = calloc(n * nh, sizeof *tz);
    double *qa = malloc(n * nh * sizeof *qa), *qb = malloc(n * nh * sizeof *qb);
    if (!p || !e || !tz || !qa || !qb) return;
    for (size_t t = 0; t < n; t++)
        for (size_t i = 0; i < nh; i++) {
            p[t * nh + i] = s.p[t] * (1.0 + 0.3 * (double)i);
            e[t * nh + i] = s.e[t];
        }
    hs_model *a = make_model(&hs_gr4j_ops, NULL, 0, nh, ctx);
    hs_model *b = make_model(&hs_gr4j_ops, NULL, 0, nh, ctx);
    if (!a || !b) return;
    HS_CHECK(hs_model_init(a, &par[0][0], ctx) == HS_OK);
    HS_CHECK(hs_model_init(b, &par[0][0], ctx) == HS_OK);
    hs_forcing_view f = {n, nh, s.start, p, tz, e};
    hs_flux_view oa = {qa, NULL, NULL};
    HS_CHECK(hs_model_run(a, (hs_range){0, nh}, &f, &oa, ctx) == HS_OK);
    /* b: HRU by HRU, and in two time chunks. */
    const size_t cut = 400;
    for (size_t i = nh; i-- > 0;) {
        hs_forcing_view f1 = {cut, nh, s.start, p, tz, e};
        hs_flux_view o1 = {qb, NULL, NULL};
        HS_CHECK(hs_model_run(b, (hs_range){i, 1}, &f1, &o1, ctx) == HS_OK);
        hs_forcing_view f2 = {n - cut, nh, s.start + (hs_day)cut, p + cut * nh, tz, e + cut * nh};
        hs_flux_view o2 = {qb + cut * nh, NULL, NULL};
        HS_CHECK(hs_model_run(b, (hs_range){i, 1}, &f2, &o2, ctx) == HS_OK);
    }
    HS_CHECK(memcmp(qa, qb, n * nh * sizeof *qa) == 0);
    /* The step loop. */
    for (size_t i = 0; i < nh; i++) {
        double uh1[HS_GR4J_NH], uh2[2 * HS_GR4J_NH];
        hs_gr4j_uh_ordinates(par[i][3], uh1, uh2);
        hs_gr4j_state st;
        memset(&st, 0, sizeof st);
        st.prod_mm = 0.3 * par[i][0];
        st.rout_mm = 0.5 * par[i][2];
        size_t same = 0;
        for (size_t t = 0; t < n; t++)
            same += hs_gr4j_step(&st, uh1, uh2, par[i], p[t * nh + i], e[t * nh + i], NULL) ==
                    qa[t * nh + i];
        HS_CHECK_INT(same, n);
        hs_gr4j_state sm;
        HS_CHECK(hs_gr4j_get_state(a, i, ctx, &sm, NULL, NULL, NULL, NULL) == HS_OK);
        HS_CHECK(memcmp(&sm, &st, sizeof st) == 0);
    }
    hs_model_destroy(&a);
    hs_model_destroy(&b);
    free(p), free(e), free(tz), free(qa), free(qb);
    free_series(&s);
}

/* ---- 5. mass balance ------------------------------------------------------------------------------ */

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static double rnd(void) /* splitmix64 -> [0, 1) */
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-53;
}

static void test_mass_balance(hs_ctx *ctx)
{
    series s;
    HS_CHECK(read_l1(hs_day_from_ymd(1989, 1, 1), hs_day_from_ymd(1994, 12, 31), &s) == 0);
    if (!s.p) return;
    const size_t n = s.n;
    double worst_step = 0, worst_total = 0, worst_flux = 0;
    hs_model *m = make_model(&hs_gr4j_ops, NULL, 0, 1, ctx);
    if (!m) return;
    for (int set = 0; set < 40; set++) {
        double par[4] = {1.0 + 1999.0 * rnd(), -10.0 + 15.0 * rnd(), 1.0 + 499.0 * rnd(),
                         0.5 + 19.5 * rnd()};
        if (set == 0) par[1] = -10.0, par[2] = 1.0; /* strong losses: the exchange clamps */
        HS_CHECK(hs_model_init(m, par, ctx) == HS_OK);
        double s0 = hs_model_storage_mm(m, 0), x0 = 0.0;
        long double tot_in = 0, tot_out = 0;
        double zero = 0.0;
        for (size_t t = 0; t < n; t++) { /* step by step: per-step balance */
            double q, aet, in;
            hs_forcing_view f = {1, 1, s.start + (hs_day)t, &s.p[t], &zero, &s.e[t]};
            hs_flux_view o = {&q, &aet, &in};
            HS_CHECK(hs_model_run(m, (hs_range){0, 1}, &f, &o, ctx) == HS_OK);
            double s1 = hs_model_storage_mm(m, 0), x1;
            HS_CHECK(hs_gr4j_get_state(m, 0, ctx, NULL, &x1, NULL, NULL, NULL) == HS_OK);
            double res = in - aet - q + (x1 - x0) - (s1 - s0);
            if (fabs(res) > worst_step) worst_step = fabs(res);
            tot_in += in;
            tot_out += (long double)aet + q;
            s0 = s1;
            x0 = x1;
        }
        double s_end = hs_model_storage_mm(m, 0);
        HS_CHECK(hs_model_init(m, par, ctx) == HS_OK);
        double total = (double)(tot_in - tot_out) + x0 - (s_end - hs_model_storage_mm(m, 0));
        if (fabs(total) > worst_total) worst_total = fabs(total);

        /* Through hs_gr4j_step's explicit fluxes. */
        double uh1[HS_GR4J_NH], uh2[2 * HS_GR4J_NH];
        hs_gr4j_uh_ordinates(par[3], uh1, uh2);
        hs_gr4j_state st;
        memset(&st, 0, sizeof st);
        st.prod_mm = 0.3 * par[0];
        st.rout_mm = 0.5 * par[2];
        for (size_t t = 0; t < n; t++) {
            double before = st.prod_mm + st.rout_mm;
            for (size_t k = 1; k < HS_GR4J_NH; k++) before += st.uh1_mm[k];
            for (size_t k = 1; k < 2 * HS_GR4J_NH; k++) before += st.uh2_mm[k];
            hs_gr4j_fluxes fl;
            double q = hs_gr4j_step(&st, uh1, uh2, par, s.p[t], s.e[t], &fl);
            double after = st.prod_mm + st.rout_mm;
            for (size_t k = 1; k < HS_GR4J_NH; k++) after += st.uh1_mm[k];
            for (size_t k = 1; k < 2 * HS_GR4J_NH; k++) after += st.uh2_mm[k];
            double res = s.p[t] - fl.ae - q + fl.aexch1 + fl.aexch2 - (after - before);
            if (fabs(res) > worst_flux) worst_flux = fabs(res);
        }
    }
    fprintf(stderr, "GR4J mass balance: worst per-step residual %.3g mm, worst total %.3g mm, "
            "worst per-step (explicit fluxes) %.3g mm\n", worst_step, worst_total, worst_flux);
    HS_CHECK(worst_step <= 1e-9);
    HS_CHECK(worst_total <= 1e-9);
    HS_CHECK(worst_flux <= 1e-9);
    hs_model_destroy(&m);
    free_series(&s);
}

/* ---- 6. error paths ------------------------------------------------------------------------------ */

static void expect_init_error(hs_ctx *ctx, const double *par, const char *needle)
{
    hs_model *m = make_model(&hs_gr4j_ops, NULL, 0, 2, ctx);
    if (!m) return;
    double p2[8] = {350, 0, 90, 1.7, 0, 0, 0, 0};
    memcpy(p2 + 4, par, 4 * sizeof *par);
    HS_CHECK(hs_model_init(m, p2, ctx) == HS_ERR_ARG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), needle);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "HRU 1");
    hs_model_destroy(&m);
}

static void expect_create_error(hs_ctx *ctx, const hs_model_ops *ops, const char *key,
                                const char *value, const char *needle)
{
    hs_model_option o = {key, value};
    hs_model *m = NULL;
    HS_CHECK(hs_model_create(ops, &o, 1, 1, ctx, &m) == HS_ERR_CONFIG);
    HS_CHECK(m == NULL);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), needle);
}

static void test_errors(hs_ctx *ctx)
{
    expect_init_error(ctx, (double[]){350, 0, 90, 0.49}, "parameter x4 = 0.48999999999999999");
    expect_init_error(ctx, (double[]){350, 0, 90, 0.49}, "must be in [0.5, 20] days");
    expect_init_error(ctx, (double[]){350, 0, 90, 20.5}, "x4 = 20.5");
    expect_init_error(ctx, (double[]){0.001, 0, 90, 2}, "x1 = 0.001");
    expect_init_error(ctx, (double[]){350, 0, 0.0, 2}, "x3 = 0 for HRU 1");
    expect_init_error(ctx, (double[]){350, NAN, 90, 2}, "x2 = nan");
    expect_create_error(ctx, &hs_gr4j_ops, "SNOW_MODULE", "CemaNeige",
                        "use HYDROLOGICAL_MODEL: GR4J_CemaNeige");
    expect_create_error(ctx, &hs_gr4j_ops, "SNOW_MODULE", "snow17",
                        "'snow17' is not valid; allowed values: none, CemaNeige");
    /* A failed init leaves the previous parameters in place. */
    hs_model *m = make_model(&hs_gr4j_ops, NULL, 0, 1, ctx);
    if (!m) return;
    hs_model_option none = {"SNOW_MODULE", "none"};
    hs_model *m2 = make_model(&hs_gr4j_ops, &none, 1, 1, ctx);
    hs_model_destroy(&m2);
    double q = 0, p = 1, e = 0, tz = 0;
    hs_forcing_view f = {1, 1, 0, &p, &tz, &e};
    hs_flux_view o = {&q, NULL, NULL};
    HS_CHECK(hs_model_run(m, (hs_range){0, 1}, &f, &o, ctx) == HS_ERR_ARG); /* before init */
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "call init first");
    HS_CHECK(hs_gr4j_get_state(m, 3, ctx, NULL, NULL, NULL, NULL, NULL) == HS_ERR_ARG);
    double snow[5];
    HS_CHECK(hs_gr4j_get_state(m, 0, ctx, NULL, NULL, snow, NULL, NULL) == HS_ERR_ARG);
    HS_CHECK(hs_gr4j_n_layers(m) == 0);
    hs_model_destroy(&m);
    hs_model_destroy(&m); /* NULL-safe */
    /* Parameter tables: bounds ordered, defaults inside, GR4J's rows repeated first in
     * GR4J_CemaNeige (same order as airGR's CemaNeigeGR4J). */
    const hs_model_ops *tabs[2] = {&hs_gr4j_ops, &hs_gr4j_cemaneige_ops};
    HS_CHECK_INT(hs_gr4j_ops.n_params, 4);
    HS_CHECK_INT(hs_gr4j_cemaneige_ops.n_params, 6);
    for (size_t j = 0; j < 2; j++)
        for (size_t k = 0; k < tabs[j]->n_params; k++) {
            const hs_param_info *pi = &tabs[j]->params[k];
            HS_CHECK(pi->lower < pi->upper && pi->dflt >= pi->lower && pi->dflt <= pi->upper);
            HS_CHECK(pi->calibrate);
            HS_CHECK_INT(hs_model_param_index(tabs[j], pi->name), k);
            if (k < 4) HS_CHECK(strcmp(pi->name, hs_gr4j_ops.params[k].name) == 0);
        }
    HS_CHECK(hs_model_find("gr4j") == &hs_gr4j_ops);
    HS_CHECK(hs_model_find("GR4J_CemaNeige") == &hs_gr4j_cemaneige_ops);
    HS_CHECK(hs_model_param_index(&hs_gr4j_cemaneige_ops, "kf") == HS_GR4J_KF);
}

/* ---- 7. the optimised kernel against the kept reference implementation ------------------------ */

/* The GR4J step as it was before the kernel was optimised (issue #4), kept verbatim as the
 * reference: the model's time-major kernel must give the same bits (memcmp), for any parameters
 * in the physical limits, over a long run with dry, wet and extreme days. Its one change since:
 * e^(2 w) is the model's hs_vm_exp_plain (hs_vmath.h, within 1 ulp of e^y: test_vmath.c), which
 * replaced glibc's exp() in the model to let the lanes vectorise it. */
static double ref_step(hs_gr4j_state *st, const double *uh1, const double *uh2, const double *par,
                       double p1, double e, double *ae_out, double *aexch_out)
{
    const double b = (double)(float)0.9;
    const double stored_val = 25.62890625;
    const double a = par[HS_GR4J_X1];
    double en, pn, ps, es, ae, pr, ws;
    double s = st->prod_mm;
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
    (void)en, (void)es;
    if (s < 0.0) s = 0.0;
    double sr = s / par[HS_GR4J_X1];
    sr = sr * sr;
    sr = sr * sr;
    const double perc = s * (1.0 - 1.0 / sqrt(sqrt(1.0 + sr / stored_val)));
    s = s - perc;
    pr = pr + perc;
    const double prhu1 = pr * b;
    const double prhu2 = pr * (1.0 - b);
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
    double r = st->rout_mm;
    double rr = r / par[HS_GR4J_X3];
    const double exch = par[HS_GR4J_X2] * rr * rr * rr * sqrt(rr);
    double aexch1 = exch;
    if (r + q9 + exch < 0.0) aexch1 = -r - q9;
    r = r + q9 + exch;
    if (r < 0.0) r = 0.0;
    rr = r / par[HS_GR4J_X3];
    rr = rr * rr;
    rr = rr * rr;
    const double qr = r * (1.0 - 1.0 / sqrt(sqrt(1.0 + rr)));
    r = r - qr;
    double aexch2 = exch;
    if (q1 + exch < 0.0) aexch2 = -q1;
    const double qd = fmax(0.0, q1 + exch);
    double q = qr + qd;
    if (q < 0.0) q = 0.0;
    st->prod_mm = s;
    st->rout_mm = r;
    *ae_out = ae;
    *aexch_out = aexch1 + aexch2;
    return q;
}

static uint64_t ref_rng = 0x243F6A8885A308D3ULL;
static double ref_rnd(void) /* splitmix64 -> [0, 1) */
{
    uint64_t z = (ref_rng += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return (double)((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}

static void test_reference_kernel(hs_ctx *ctx)
{
    const size_t nh = 67, nt = 6000; /* 67: the range is split unevenly below */
    const size_t np = HS_GR4J_NPAR;
    double *par = malloc(nh * np * sizeof *par);
    double *p = malloc(nt * nh * sizeof *p), *e = malloc(nt * nh * sizeof *e);
    double *q = malloc(nt * nh * sizeof *q), *ae = malloc(nt * nh * sizeof *ae);
    double *in = malloc(nt * nh * sizeof *in);
    double *qr = malloc(nt * nh * sizeof *qr), *aer = malloc(nt * nh * sizeof *aer);
    if (!par || !p || !e || !q || !ae || !in || !qr || !aer) {
        HS_CHECK(0);
        return;
    }
    for (size_t i = 0; i < nh; i++) {
        /* Physical limits, beyond the calibration bounds: X4 up to 20 d (the whole UH), X2 of
         * either sign (exchange limited by the stores), tiny and huge stores. */
        par[i * np + HS_GR4J_X1] = i == 0 ? 0.01 : exp(log(0.5) + ref_rnd() * log(8000.0));
        par[i * np + HS_GR4J_X2] = i == 1 ? 0.0 : -20.0 + 30.0 * ref_rnd();
        par[i * np + HS_GR4J_X3] = i == 2 ? 0.01 : exp(log(0.5) + ref_rnd() * log(2000.0));
        par[i * np + HS_GR4J_X4] = i == 3 ? 20.0 : i == 4 ? 0.5 : 0.5 + 19.5 * ref_rnd();
    }
    for (size_t t = 0; t < nt; t++)
        for (size_t i = 0; i < nh; i++) {
            const double u = ref_rnd();
            p[t * nh + i] = u < 0.5 ? 0.0 : u < 0.97 ? 30.0 * ref_rnd() : 400.0 * ref_rnd();
            e[t * nh + i] = u > 0.995 ? p[t * nh + i] : 8.0 * ref_rnd(); /* P == E sometimes */
        }
    hs_model *m = make_model(&hs_gr4j_ops, NULL, 0, nh, ctx);
    if (!m) return;
    HS_CHECK(hs_model_init(m, par, ctx) == HS_OK);
    hs_forcing_view f = {nt, nh, hs_day_from_ymd(1990, 1, 1), p, NULL, e};
    hs_flux_view o = {q, ae, in};
    /* Uneven ranges, as the executor's chunks may be; they put HRUs in every kind of lane group
     * of the kernel (16 full, 16 with 14 real, one alone, 4 with 3, 8 with 7, 16 with 10). */
    HS_CHECK(hs_model_run(m, (hs_range){0, 30}, &f, &o, ctx) == HS_OK);
    HS_CHECK(hs_model_run(m, (hs_range){30, 1}, &f, &o, ctx) == HS_OK);
    HS_CHECK(hs_model_run(m, (hs_range){31, 3}, &f, &o, ctx) == HS_OK);
    HS_CHECK(hs_model_run(m, (hs_range){34, 7}, &f, &o, ctx) == HS_OK);
    HS_CHECK(hs_model_run(m, (hs_range){41, nh - 41}, &f, &o, ctx) == HS_OK);
    for (size_t i = 0; i < nh; i++) {
        const double *pi = par + i * np;
        double uh1[HS_GR4J_NH], uh2[2 * HS_GR4J_NH];
        hs_gr4j_uh_ordinates(pi[HS_GR4J_X4], uh1, uh2);
        hs_gr4j_state st;
        memset(&st, 0, sizeof st);
        st.prod_mm = 0.3 * pi[HS_GR4J_X1];
        st.rout_mm = 0.5 * pi[HS_GR4J_X3];
        double exch = 0.0;
        for (size_t t = 0; t < nt; t++) {
            double ax;
            qr[t * nh + i] = ref_step(&st, uh1, uh2, pi, p[t * nh + i], e[t * nh + i],
                                      &aer[t * nh + i], &ax);
            exch += ax;
        }
        hs_gr4j_state sm;
        double exch_m;
        HS_CHECK(hs_gr4j_get_state(m, i, ctx, &sm, &exch_m, NULL, NULL, NULL) == HS_OK);
        HS_CHECK(memcmp(&sm, &st, sizeof st) == 0);
        HS_CHECK(memcmp(&exch_m, &exch, sizeof exch) == 0);
    }
    HS_CHECK(memcmp(q, qr, nt * nh * sizeof *q) == 0);
    HS_CHECK(memcmp(ae, aer, nt * nh * sizeof *ae) == 0);
    HS_CHECK(memcmp(in, p, nt * nh * sizeof *in) == 0);
    hs_model_destroy(&m);
    free(par), free(p), free(e), free(q), free(ae), free(in), free(qr), free(aer);
}

int main(void)
{
    hs_ctx *ctx = hs_ctx_create();
    if (!ctx) return 1;
    test_uh();
    test_hand_steps(ctx);
    test_reference(ctx);
    test_identity(ctx);
    test_mass_balance(ctx);
    test_errors(ctx);
    test_reference_kernel(ctx);
    hs_ctx_destroy(&ctx);
    HS_TEST_REPORT();
}
