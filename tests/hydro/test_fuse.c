/* test_fuse.c -- FUSE (hydro/hs_fuse.c, docs-models.md §3).
 *
 * 1. Gamma time delay: the check values of docs §3.5 (tolerance 1e-6, the docs' 6 decimals),
 *    sum 1 (1e-15), the tail cut, invalid delays.
 * 2. Bucket sizes of §3.2 for default and other parameters (1e-12), QBSAT per ARCH2, and POWLAMB
 *    against the closed form E[exp(X/n)] = e^(3/n) (1 - χ/n)^(-TISHAPE) of the gamma-distributed
 *    log topographic index (relative 2e-3: the docs' 2000 midpoint bins on [0, 50]).
 * 3. One explicit step written out by hand (VIC structure, defaults, one sub-step, 1e-12).
 * 4. Mass balance on 8 years of Bow-at-Banff forcing: every parent structure and some decision
 *    mixes, both numerics, random parameter sets within the calibration bounds: per step and over
 *    the run, |input - AET - runoff - ΔS| <= 1e-9 mm.
 * 5. Limiting cases: zero precipitation drains monotonically; always-warm snow = no snow; always-
 *    cold snow = zero input to the soil; a 0.01-d time delay = no routing; one explicit band =
 *    no hypsometry.
 * 6. Implicit vs explicit sub-steps on the same parameters: measured and bounded.
 * 7. HRU partition independence and continuation of runs: identical bits; an HRU in a full lane
 *    group, a padded remainder or alone: identical bits, for every parent structure.
 * 8. Error paths: physical limits name parameter, HRU and value; bad options name key and value. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bow_csv.h"
#include "hs_ctx.h"
#include "hs_fuse.h"
#include "hs_math.h"
#include "hs_model.h"
#include "hs_test.h"

/* ---- helpers ----------------------------------------------------------------------------------- */

static double lcg_uniform(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) * 0x1.0p-53;
}

static void random_params(uint64_t *s, double *p)
{
    for (size_t k = 0; k < HS_FUSE_NPAR; k++) {
        const hs_param_info *pi = &hs_fuse_ops.params[k];
        p[k] = pi->lower + (pi->upper - pi->lower) * lcg_uniform(s);
    }
}

static void default_params(double *p)
{
    for (size_t k = 0; k < HS_FUSE_NPAR; k++) p[k] = hs_fuse_ops.params[k].dflt;
}

static hs_model *make_model(hs_ctx *ctx, const hs_model_option *opts, size_t n_opts, size_t n_hru)
{
    hs_model *m = NULL;
    hs_status st = hs_model_create(&hs_fuse_ops, opts, n_opts, n_hru, ctx, &m);
    HS_CHECK_INT(st, HS_OK);
    if (st != HS_OK) fprintf(stderr, "create: %s\n", hs_ctx_message(ctx));
    return m;
}

static hs_forcing_view lumped_view(const bow_forcing *bf)
{
    hs_forcing_view f = {.n_time = bf->n, .n_hru = 1, .first_day = bf->start,
                         .precip_mm = bf->p, .temp_c = bf->t, .pet_mm = bf->e};
    return f;
}

/* ---- 1. gamma time delay (§3.5) ---------------------------------------------------------------- */

static void test_gamma(void)
{
    double f[HS_FUSE_ROUTING_CAP];
    const double c09[5] = {0.648110, 0.302672, 0.044044, 0.004702, 0.000435};
    const double c20[5] = {0.223536, 0.360665, 0.229882, 0.110810, 0.046699};
    /* The docs' check values are these gamma fractions renormalised over a shorter window than
     * the docs' own epsilon rule keeps: 6 ordinates for 0.9 d and 10 for 2.0 d (their sums
     * 0.9999968 and 0.9998607 give exactly the listed ratios; FUSE's Fortran QTIMEDELAY keeps 3
     * and 7, by mizuRoute's bisection). So: (a) truncated to that window and renormalised, our
     * fractions reproduce the check values to 1e-6 (their 6 decimals); (b) with the epsilon rule
     * (what run() uses, sum 1 to 1e-15) they differ from them by at most the tail mass: 3e-6 for
     * 0.9 d, 6e-5 for 2.0 d. */
    const size_t window[2] = {6, 10};
    const double tol_eps_rule[2] = {3e-6, 6e-5};
    const double *checks[2] = {c09, c20};
    const double delays[2] = {0.9, 2.0};
    size_t n = 0;
    for (int c = 0; c < 2; c++) {
        n = hs_fuse_gamma_fractions(delays[c], f, HS_FUSE_ROUTING_CAP);
        HS_CHECK(n > window[c] && n < 100);
        double sum = 0.0, head = 0.0;
        for (size_t j = 0; j < n; j++) sum += f[j];
        for (size_t j = 0; j < window[c]; j++) head += f[j];
        HS_CHECK_CLOSE(sum, 1.0, 1e-15);
        for (int j = 0; j < 5; j++) {
            HS_CHECK_CLOSE(f[j] / head, checks[c][j], 1e-6);
            HS_CHECK_CLOSE(f[j], checks[c][j], tol_eps_rule[c]);
        }
    }
    /* The cut: the last kept fraction is >= epsilon, the next raw one is below it. */
    const double rate = 2.5 / 2.0;
    const double raw_next = hs_math_gamma_p(2.5, rate * (double)(n + 1)) -
                            hs_math_gamma_p(2.5, rate * (double)n);
    HS_CHECK(raw_next < 2.220446049250313e-16);
    HS_CHECK(f[n - 1] >= 2.220446049250313e-16);
    /* A tiny delay is the identity; the longest allowed one fits the buffer. */
    n = hs_fuse_gamma_fractions(0.01, f, HS_FUSE_ROUTING_CAP);
    HS_CHECK_INT(n, 1);
    HS_CHECK(f[0] == 1.0);
    HS_CHECK(hs_fuse_gamma_fractions(7.0, f, HS_FUSE_ROUTING_CAP) > 0);
    HS_CHECK_INT(hs_fuse_gamma_fractions(0.0, f, HS_FUSE_ROUTING_CAP), 0);
    HS_CHECK_INT(hs_fuse_gamma_fractions(NAN, f, HS_FUSE_ROUTING_CAP), 0);
    HS_CHECK_INT(hs_fuse_gamma_fractions(5.0, f, 4), 0); /* does not fit in 4 days */
    /* hs_math_gamma_p (moved to core) against a closed form */
    HS_CHECK_REL(hs_math_gamma_p(1.0, 0.7), -expm1(-0.7), 1e-14);
}

/* ---- 2. bucket sizes (§3.2) -------------------------------------------------------------------- */

static void test_buckets(hs_ctx *ctx)
{
    double p[HS_FUSE_NPAR];
    default_params(p);
    hs_fuse_decisions d;
    HS_CHECK_INT(hs_fuse_structure("sacramento", &d, ctx), HS_OK);
    hs_fuse_derived r;
    hs_fuse_derive(&d, p, &r);
    HS_CHECK_CLOSE(r.maxtens_1, 50.0, 1e-12);
    HS_CHECK_CLOSE(r.maxfree_1, 50.0, 1e-12);
    HS_CHECK_CLOSE(r.maxtens_1a, 25.0, 1e-12);
    HS_CHECK_CLOSE(r.maxtens_1b, 25.0, 1e-12);
    HS_CHECK_CLOSE(r.maxtens_2, 500.0, 1e-12);
    HS_CHECK_CLOSE(r.maxfree_2, 500.0, 1e-12);
    HS_CHECK_CLOSE(r.maxfree_2a, 250.0, 1e-12);
    HS_CHECK_CLOSE(r.maxfree_2b, 250.0, 1e-12);
    HS_CHECK_CLOSE(r.rtfrac2, 0.25, 1e-12);
    HS_CHECK_CLOSE(r.qbsat, 0.025 * 250.0 + 0.01 * 250.0, 1e-12); /* tens2pll_2 */
    HS_CHECK(r.powlamb == 0.0); /* not a TOPMODEL structure: no bins computed */

    /* Other values: FRACTEN 0.3, MAXWATR_1 200, FRCHZNE 0.2, MAXWATR_2 400, FPRIMQB 0.9. */
    p[HS_FUSE_FRACTEN] = 0.3;
    p[HS_FUSE_MAXWATR_1] = 200.0;
    p[HS_FUSE_FRCHZNE] = 0.2;
    p[HS_FUSE_MAXWATR_2] = 400.0;
    p[HS_FUSE_FPRIMQB] = 0.9;
    p[HS_FUSE_RTFRAC1] = 0.6;
    hs_fuse_derive(&d, p, &r);
    HS_CHECK_CLOSE(r.maxtens_1, 60.0, 1e-12);
    HS_CHECK_CLOSE(r.maxfree_1, 140.0, 1e-12);
    HS_CHECK_CLOSE(r.maxtens_1a, 12.0, 1e-12);
    HS_CHECK_CLOSE(r.maxtens_1b, 48.0, 1e-12);
    HS_CHECK_CLOSE(r.maxtens_2, 120.0, 1e-12);
    HS_CHECK_CLOSE(r.maxfree_2, 280.0, 1e-12);
    HS_CHECK_CLOSE(r.maxfree_2a, 252.0, 1e-12);
    HS_CHECK_CLOSE(r.maxfree_2b, 28.0, 1e-12);
    HS_CHECK_CLOSE(r.rtfrac2, 0.4, 1e-12);

    default_params(p);
    HS_CHECK_INT(hs_fuse_structure("PRMS", &d, ctx), HS_OK);
    hs_fuse_derive(&d, p, &r);
    HS_CHECK_CLOSE(r.qbsat, 0.01 * 1000.0, 1e-12); /* unlimfrc_2 */
    HS_CHECK_INT(hs_fuse_structure("VIC", &d, ctx), HS_OK);
    hs_fuse_derive(&d, p, &r);
    HS_CHECK_CLOSE(r.qbsat, 50.0, 1e-12); /* fixedsiz_2 */

    /* TOPMODEL: POWLAMB against the gamma moment generating function; χ = (7.5 - 3)/3. */
    HS_CHECK_INT(hs_fuse_structure("TOPMODEL", &d, ctx), HS_OK);
    const double shapes[3] = {3.0, 2.0, 5.0}, lambs[3] = {7.5, 5.0, 10.0}, ns[3] = {5.0, 3.0, 8.0};
    for (int c = 0; c < 3; c++) {
        p[HS_FUSE_TISHAPE] = shapes[c];
        p[HS_FUSE_LOGLAMB] = lambs[c];
        p[HS_FUSE_QB_POWR] = ns[c];
        hs_fuse_derive(&d, p, &r);
        const double chi = (lambs[c] - 3.0) / shapes[c], n = ns[c];
        HS_CHECK_CLOSE(r.chi, chi, 1e-12);
        const double exact = exp(3.0 / n) * pow(1.0 - chi / n, -shapes[c]);
        HS_CHECK_REL(r.powlamb, exact, 2e-3);
        HS_CHECK_REL(r.maxpow, exp((1999.5 * 0.025) / n), 1e-12);
        const double m = (p[HS_FUSE_MAXWATR_2] / 1000.0) / n;
        HS_CHECK_REL(r.qbsat, p[HS_FUSE_BASERTE] * m / pow(r.powlamb, n), 1e-12);
    }
}

/* ---- 3. one explicit step by hand -------------------------------------------------------------- */

static void test_hand_step(hs_ctx *ctx)
{
    /* VIC: onestate_1, fixedsiz_2, arno_x_vic, perc_w2sat, rootweight; no routing; one sub-step.
     * Defaults: MAXWATR_1 100 (WATR_1 = 25), MAXWATR_2 1000 (WATR_2 = 250), FRACTEN 0.5,
     * RTFRAC1 0.75, PERCRTE 100, PERCEXP 5, BASERTE 50, QB_POWR 5, AXV_BEXP 0.3. P 10, PET 2,
     * T 20 degC (rain; the snow store is empty). */
    const hs_model_option opts[] = {{"FUSE_NUMERICS", "explicit_substep"},
                                    {"FUSE_SUBSTEPS", "1"},
                                    {"FUSE_DECISIONS", "{Q_TDH: no_routing}"}};
    hs_model *m = make_model(ctx, opts, 3, 1);
    if (!m) return;
    double par[HS_FUSE_NPAR];
    default_params(par);
    HS_CHECK_INT(hs_model_init(m, par, ctx), HS_OK);
    HS_CHECK_CLOSE(hs_model_storage_mm(m, 0), 275.0, 1e-12);
    const double P = 10.0, T = 20.0, E = 2.0;
    double q, aet, in;
    hs_forcing_view f = {.n_time = 1, .n_hru = 1, .first_day = hs_day_from_ymd(2005, 7, 1),
                         .precip_mm = &P, .temp_c = &T, .pet_mm = &E};
    hs_flux_view out = {.runoff_mm = &q, .aet_mm = &aet, .input_mm = &in};
    HS_CHECK_INT(hs_model_run(m, (hs_range){0, 1}, &f, &out, ctx), HS_OK);
    const double ac = 1.0 - pow(1.0 - 0.25, 0.3); /* saturated area */
    const double qsx = 10.0 * ac;
    const double e1 = 2.0 * 0.75 * 25.0 / 50.0;     /* TENS_1 = min(25, 50) */
    const double q12 = 100.0 * pow(0.25, 5.0);      /* WATR_1 / MAXWATR_1 = 0.25 */
    const double e2 = 2.0 * 0.25 * 250.0 / 500.0;   /* TENS_2 = min(250, 500) */
    const double qb = 50.0 * pow(0.25, 5.0);        /* WATR_2 / MAXWATR_2 = 0.25 */
    HS_CHECK_CLOSE(in, 10.0, 1e-12);
    HS_CHECK_CLOSE(aet, e1 + e2, 1e-12);
    HS_CHECK_CLOSE(q, qsx + qb, 1e-12);
    const double s1 = (25.0 + 10.0 - qsx - e1 - q12) + (250.0 + q12 - e2 - qb);
    HS_CHECK_CLOSE(hs_model_storage_mm(m, 0), s1, 1e-12);
    hs_model_destroy(&m);
}

/* ---- 4. mass balance --------------------------------------------------------------------------- */

typedef struct fuse_case {
    const char *name;
    hs_model_option opts[5];
    size_t n;
} fuse_case;

static const fuse_case mb_cases[] = {
    {"PRMS", {{"FUSE_STRUCTURE", "PRMS"}}, 1},
    {"SACRAMENTO", {{"FUSE_STRUCTURE", "SACRAMENTO"}}, 1},
    {"TOPMODEL", {{"FUSE_STRUCTURE", "TOPMODEL"}}, 1},
    {"VIC", {{"FUSE_STRUCTURE", "VIC"}}, 1},
    {"SAC+intflwsome+additive",
     {{"FUSE_STRUCTURE", "SACRAMENTO"}, {"FUSE_DECISIONS", "{QINTF: intflwsome, RFERR: additive_e}"}},
     2},
    {"tension2+tens2pll+rootweight",
     {{"FUSE_DECISIONS", "ARCH1=tension2_1; ARCH2=tens2pll_2; QPERC=perc_lower; ESOIL=rootweight"}},
     1},
    {"tension1+fixedsiz+tmdl",
     {{"FUSE_DECISIONS", "{ARCH1: tension1_1, QSURF: tmdl_param, QINTF: intflwsome, "
                         "Q_TDH: no_routing}"}},
     1},
    {"VIC+bands",
     {{"FUSE_ELEV_BANDS", "0.25:1400, 0.5:1900, 0.25:2600"}, {"FUSE_FORCING_ELEV", "1384"}},
     2},
    {"PRMS+nosnow", {{"FUSE_STRUCTURE", "PRMS"}, {"FUSE_SNOW", "off"}}, 2},
};
#define N_MB_CASES (sizeof mb_cases / sizeof mb_cases[0])

/* Implicit-solver days of the runs of run_balance: rescued by continuation, unconverged. */
static size_t solver_days[2];

/* Runs the whole window in one call; returns |sum residual| over the run and the runoff sum. */
static double run_balance(hs_ctx *ctx, const hs_model_option *opts, size_t n_opts,
                          const double *par, const bow_forcing *bf, double *q, double *q_sum)
{
    hs_model *m = make_model(ctx, opts, n_opts, 1);
    if (!m) return INFINITY;
    double *aet = q + bf->n, *in = q + 2 * bf->n;
    HS_CHECK_INT(hs_model_init(m, par, ctx), HS_OK);
    const double s0 = hs_model_storage_mm(m, 0);
    hs_forcing_view f = lumped_view(bf);
    hs_flux_view out = {.runoff_mm = q, .aet_mm = aet, .input_mm = in};
    HS_CHECK_INT(hs_model_run(m, (hs_range){0, 1}, &f, &out, ctx), HS_OK);
    const double s1 = hs_model_storage_mm(m, 0);
    long double sum_in = 0, sum_aet = 0, sum_q = 0;
    bool finite = true;
    for (size_t t = 0; t < bf->n; t++) {
        sum_in += in[t];
        sum_aet += aet[t];
        sum_q += q[t];
        if (!isfinite(q[t]) || q[t] < -1e-12 || !isfinite(aet[t]) || aet[t] < -1e-12)
            finite = false;
    }
    HS_CHECK(finite);
    size_t rescued = 0, unconverged = 0;
    HS_CHECK(hs_fuse_solver_days(m, &rescued, &unconverged));
    solver_days[0] += rescued;
    solver_days[1] += unconverged;
    hs_model_destroy(&m);
    *q_sum = (double)sum_q;
    return fabs((double)(sum_in - sum_aet - sum_q - ((long double)s1 - s0)));
}

/* Runs step by step; returns the largest |residual| of one step. */
static double run_balance_steps(hs_ctx *ctx, const hs_model_option *opts, size_t n_opts,
                                const double *par, const bow_forcing *bf)
{
    hs_model *m = make_model(ctx, opts, n_opts, 1);
    if (!m) return INFINITY;
    HS_CHECK_INT(hs_model_init(m, par, ctx), HS_OK);
    double worst = 0.0, s0 = hs_model_storage_mm(m, 0);
    for (size_t t = 0; t < bf->n; t++) {
        double q, aet, in;
        hs_forcing_view f = {.n_time = 1, .n_hru = 1, .first_day = bf->start + (hs_day)t,
                             .precip_mm = bf->p + t, .temp_c = bf->t + t, .pet_mm = bf->e + t};
        hs_flux_view out = {.runoff_mm = &q, .aet_mm = &aet, .input_mm = &in};
        if (hs_model_run(m, (hs_range){0, 1}, &f, &out, ctx) != HS_OK) {
            worst = INFINITY;
            break;
        }
        const double s1 = hs_model_storage_mm(m, 0);
        const double r = fabs(in - aet - q - (s1 - s0));
        if (!(r <= worst)) worst = r;
        s0 = s1;
    }
    hs_model_destroy(&m);
    return worst;
}

static void test_mass_balance(hs_ctx *ctx, const bow_forcing *bf)
{
    double *q = malloc(3 * bf->n * sizeof *q);
    if (!q) return;
    size_t rescued_total = 0;
    for (size_t c = 0; c < N_MB_CASES; c++) {
        for (int numerics = 0; numerics < 2; numerics++) {
            hs_model_option opts[6];
            size_t n = mb_cases[c].n;
            memcpy(opts, mb_cases[c].opts, n * sizeof *opts);
            opts[n].key = "FUSE_NUMERICS";
            opts[n].value = numerics ? "explicit_substep" : "implicit";
            n++;
            uint64_t seed = 4242u + c;
            double worst_run = 0.0, worst_step = 0.0, q_total = 0.0;
            solver_days[0] = solver_days[1] = 0;
            for (int s = 0; s < 12; s++) {
                double par[HS_FUSE_NPAR], q_sum = 0.0;
                random_params(&seed, par);
                const double r = run_balance(ctx, opts, n, par, bf, q, &q_sum);
                q_total += q_sum;
                if (!(r <= worst_run)) worst_run = r;
                if (s < 3) {
                    const double rs = run_balance_steps(ctx, opts, n, par, bf);
                    if (!(rs <= worst_step)) worst_step = rs;
                }
            }
            HS_CHECK(worst_run <= 1e-9);
            HS_CHECK(worst_step <= 1e-9);
            HS_CHECK(q_total > 12.0 * 100.0); /* the balance saw real hydrographs */
            /* Every implicit day reaches the implicit Euler root (residual <= 1e-9 after the
             * rescue); the explicit numerics never call the solver. */
            HS_CHECK_INT((long)solver_days[1], 0);
            if (numerics) HS_CHECK_INT((long)solver_days[0], 0);
            rescued_total += solver_days[0];
            fprintf(stderr, "mass balance %-30s %-16s run %.2e mm, worst step %.2e mm, "
                            "rescued days %zu\n",
                    mb_cases[c].name, opts[n - 1].value, worst_run, worst_step, solver_days[0]);
        }
    }
    /* The random parameter sets include days where Newton from the start state fails (a fast
     * store drained below 0 in one step): the rescue path is exercised, not just compiled. */
    HS_CHECK(rescued_total > 0);
    free(q);
}

/* The Newton solver's end states really solve the implicit Euler equation: the residual of each
 * day's end state, evaluated afresh, is within the tolerance (1e-12) on every day the solver
 * reported converged, including those whose last correction it took without evaluating
 * (fuse_newton's FUSE_NEWTON_SKIP, which predicts the residual from the convergence rate). */
static void test_newton_residual(hs_ctx *ctx, const bow_forcing *bf)
{
    static const char *const parents[] = {"PRMS", "SACRAMENTO", "TOPMODEL", "VIC"};
    for (size_t c = 0; c < 4; c++) {
        const hs_model_option opts[] = {{"FUSE_STRUCTURE", parents[c]}};
        uint64_t seed = 777u + c;
        double worst = 0.0;
        size_t days = 0;
        for (int s = 0; s < 6; s++) {
            hs_model *m = make_model(ctx, opts, 1, 1);
            if (!m) return;
            double par[HS_FUSE_NPAR], w = 0.0;
            size_t nc = 0;
            if (s == 0) default_params(par);
            else random_params(&seed, par);
            HS_CHECK_INT(hs_model_init(m, par, ctx), HS_OK);
            HS_CHECK(hs_fuse_check_newton(m, bf->p, bf->e, bf->n, &w, &nc));
            hs_model_destroy(&m);
            if (!(w <= worst)) worst = w;
            days += nc;
        }
        HS_CHECK(worst <= 1e-12);
        HS_CHECK(days >= 6 * bf->n * 99 / 100); /* nearly every day converges without rescue */
        fprintf(stderr, "newton residual %-10s worst %.2e over %zu converged days\n", parents[c],
                worst, days);
    }
}

/* ---- 5. limiting cases ------------------------------------------------------------------------- */

static void test_limits(hs_ctx *ctx, const bow_forcing *bf)
{
    const size_t n = 2000;
    double *buf = malloc(9 * n * sizeof *buf);
    if (!buf) return;
    double *zero = buf, *warm = buf + n, *cold = buf + 2 * n, *q = buf + 3 * n,
           *q2 = buf + 4 * n, *aet = buf + 5 * n, *aet2 = buf + 6 * n, *in = buf + 7 * n;
    for (size_t t = 0; t < n; t++) {
        zero[t] = 0.0;
        warm[t] = 20.0;
        cold[t] = -20.0;
    }
    static const char *const structures[4] = {"PRMS", "SACRAMENTO", "TOPMODEL", "VIC"};
    uint64_t seed = 31u;
    for (int s = 0; s < 4; s++) {
        for (int numerics = 0; numerics < 2; numerics++) {
            const hs_model_option opts[] = {
                {"FUSE_STRUCTURE", structures[s]},
                {"FUSE_NUMERICS", numerics ? "explicit_substep" : "implicit"}};
            double par[HS_FUSE_NPAR];
            random_params(&seed, par);

            /* Zero precipitation (PET from the Bow): storage never rises, runoff >= 0. */
            hs_model *m = make_model(ctx, opts, 2, 1);
            if (!m) continue;
            HS_CHECK_INT(hs_model_init(m, par, ctx), HS_OK);
            double s_prev = hs_model_storage_mm(m, 0);
            const double s_start = s_prev;
            bool monotone = true, nonneg = true;
            for (size_t t = 0; t < n; t++) {
                hs_forcing_view f = {.n_time = 1, .n_hru = 1, .first_day = bf->start + (hs_day)t,
                                     .precip_mm = zero + t, .temp_c = bf->t + t,
                                     .pet_mm = bf->e + t};
                hs_flux_view out = {.runoff_mm = q + t, .aet_mm = aet + t, .input_mm = in + t};
                HS_CHECK_INT(hs_model_run(m, (hs_range){0, 1}, &f, &out, ctx), HS_OK);
                const double s1 = hs_model_storage_mm(m, 0);
                if (s1 > s_prev + 1e-12) monotone = false;
                if (q[t] < -1e-12 || aet[t] < -1e-12 || in[t] != 0.0) nonneg = false;
                s_prev = s1;
            }
            HS_CHECK(monotone);
            HS_CHECK(nonneg);
            HS_CHECK(s_prev < s_start); /* it did drain */
            hs_model_destroy(&m);

            /* Always warm: the snow model passes rain through unchanged (bit-identical). */
            const hs_model_option opts_ns[] = {opts[0], opts[1], {"FUSE_SNOW", "off"}};
            hs_forcing_view fw = {.n_time = n, .n_hru = 1, .first_day = bf->start,
                                  .precip_mm = bf->p, .temp_c = warm, .pet_mm = bf->e};
            hs_flux_view o1 = {.runoff_mm = q, .aet_mm = aet};
            hs_flux_view o2 = {.runoff_mm = q2, .aet_mm = aet2};
            hs_model *a = make_model(ctx, opts, 2, 1), *b = make_model(ctx, opts_ns, 3, 1);
            if (a && b) {
                HS_CHECK_INT(hs_model_init(a, par, ctx), HS_OK);
                HS_CHECK_INT(hs_model_init(b, par, ctx), HS_OK);
                HS_CHECK_INT(hs_model_run(a, (hs_range){0, 1}, &fw, &o1, ctx), HS_OK);
                HS_CHECK_INT(hs_model_run(b, (hs_range){0, 1}, &fw, &o2, ctx), HS_OK);
                HS_CHECK(memcmp(q, q2, n * sizeof *q) == 0);
                HS_CHECK(memcmp(aet, aet2, n * sizeof *q) == 0);
            }
            hs_model_destroy(&a);
            hs_model_destroy(&b);

            /* Always cold: all precipitation stays in the pack; the soil sees zero input. */
            hs_forcing_view fc = {.n_time = n, .n_hru = 1, .first_day = bf->start,
                                  .precip_mm = bf->p, .temp_c = cold, .pet_mm = bf->e};
            hs_forcing_view fz = {.n_time = n, .n_hru = 1, .first_day = bf->start,
                                  .precip_mm = zero, .temp_c = cold, .pet_mm = bf->e};
            a = make_model(ctx, opts, 2, 1);
            b = make_model(ctx, opts_ns, 3, 1);
            if (a && b) {
                HS_CHECK_INT(hs_model_init(a, par, ctx), HS_OK);
                HS_CHECK_INT(hs_model_init(b, par, ctx), HS_OK);
                HS_CHECK_INT(hs_model_run(a, (hs_range){0, 1}, &fc, &o1, ctx), HS_OK);
                HS_CHECK_INT(hs_model_run(b, (hs_range){0, 1}, &fz, &o2, ctx), HS_OK);
                HS_CHECK(memcmp(q, q2, n * sizeof *q) == 0);
                double p_sum = 0.0;
                for (size_t t = 0; t < n; t++) p_sum += bf->p[t] * par[HS_FUSE_RFERR_MLT];
                /* storage difference = the snow pack = all precipitation */
                HS_CHECK_REL(hs_model_storage_mm(a, 0) - hs_model_storage_mm(b, 0), p_sum, 1e-12);
            }
            hs_model_destroy(&a);
            hs_model_destroy(&b);

            /* TIMEDELAY 0.01 d: the fractions are (1), identical to no_routing. */
            par[HS_FUSE_TIMEDELAY] = 0.01;
            const hs_model_option opts_nr[] = {opts[0], opts[1],
                                               {"FUSE_DECISIONS", "{Q_TDH: no_routing}"}};
            hs_forcing_view fb = {.n_time = n, .n_hru = 1, .first_day = bf->start,
                                  .precip_mm = bf->p, .temp_c = bf->t, .pet_mm = bf->e};
            a = make_model(ctx, opts, 2, 1);
            b = make_model(ctx, opts_nr, 3, 1);
            if (a && b) {
                HS_CHECK_INT(hs_model_init(a, par, ctx), HS_OK);
                HS_CHECK_INT(hs_model_init(b, par, ctx), HS_OK);
                HS_CHECK_INT(hs_model_run(a, (hs_range){0, 1}, &fb, &o1, ctx), HS_OK);
                HS_CHECK_INT(hs_model_run(b, (hs_range){0, 1}, &fb, &o2, ctx), HS_OK);
                HS_CHECK(memcmp(q, q2, n * sizeof *q) == 0);
            }
            hs_model_destroy(&a);
            hs_model_destroy(&b);

            /* One explicit band at the forcing elevation = no hypsometry (bit-identical). */
            const hs_model_option opts_b[] = {opts[0], opts[1], {"FUSE_ELEV_BANDS", "1:1500"}};
            a = make_model(ctx, opts, 2, 1);
            b = make_model(ctx, opts_b, 3, 1);
            if (a && b) {
                HS_CHECK_INT(hs_model_init(a, par, ctx), HS_OK);
                HS_CHECK_INT(hs_model_init(b, par, ctx), HS_OK);
                HS_CHECK_INT(hs_model_run(a, (hs_range){0, 1}, &fb, &o1, ctx), HS_OK);
                HS_CHECK_INT(hs_model_run(b, (hs_range){0, 1}, &fb, &o2, ctx), HS_OK);
                HS_CHECK(memcmp(q, q2, n * sizeof *q) == 0);
            }
            hs_model_destroy(&a);
            hs_model_destroy(&b);
        }
    }
    free(buf);
}

/* ---- 6. implicit vs explicit ------------------------------------------------------------------- */

static void test_implicit_vs_explicit(hs_ctx *ctx, const bow_forcing *bf)
{
    const size_t n = bf->n;
    double *q = malloc(6 * n * sizeof *q);
    if (!q) return;
    double *qe = q + 3 * n;
    static const char *const structures[4] = {"PRMS", "SACRAMENTO", "TOPMODEL", "VIC"};
    for (int s = 0; s < 4; s++) {
        const hs_model_option oi[] = {{"FUSE_STRUCTURE", structures[s]},
                                      {"FUSE_NUMERICS", "implicit"}};
        const hs_model_option oe[] = {{"FUSE_STRUCTURE", structures[s]},
                                      {"FUSE_NUMERICS", "explicit_substep"}};
        double par[HS_FUSE_NPAR], si = 0.0, se = 0.0;
        default_params(par);
        (void)run_balance(ctx, oi, 2, par, bf, q, &si);
        (void)run_balance(ctx, oe, 2, par, bf, qe, &se);
        /* NSE of the explicit series against the implicit one, and the volume difference. */
        double mean = 0.0;
        for (size_t t = 0; t < n; t++) mean += q[t];
        mean /= (double)n;
        double num = 0.0, den = 0.0, maxabs = 0.0;
        for (size_t t = 0; t < n; t++) {
            num += (qe[t] - q[t]) * (qe[t] - q[t]);
            den += (q[t] - mean) * (q[t] - mean);
            if (fabs(qe[t] - q[t]) > maxabs) maxabs = fabs(qe[t] - q[t]);
        }
        const double nse = 1.0 - num / den, vol = (se - si) / si;
        fprintf(stderr, "implicit vs explicit %-10s: NSE %.5f, volume %+.3f %%, max |dQ| %.3f mm/d "
                "(mean Q %.3f mm/d)\n", structures[s], nse, 100.0 * vol, maxabs, mean);
        HS_CHECK(nse > 0.95);
        HS_CHECK(fabs(vol) < 0.03);
    }
    free(q);
}

/* ---- 7. partition independence and continuation ------------------------------------------------ */

static void test_partition(hs_ctx *ctx, const bow_forcing *bf)
{
    enum { NH = 3 };
    const size_t n = bf->n;
    double *fp = malloc(3 * NH * n * sizeof *fp);
    double *outs = malloc(3 * 2 * NH * n * sizeof *outs);
    if (!fp || !outs) {
        free(fp);
        free(outs);
        return;
    }
    double *P = fp, *T = fp + NH * n, *E = fp + 2 * NH * n;
    bow_forcing_spread(bf, NH, P, T, E);
    double par[NH * HS_FUSE_NPAR];
    uint64_t seed = 99u;
    default_params(par);
    random_params(&seed, par + HS_FUSE_NPAR);
    random_params(&seed, par + 2 * HS_FUSE_NPAR);
    hs_forcing_view f = {.n_time = n, .n_hru = NH, .first_day = bf->start,
                         .precip_mm = P, .temp_c = T, .pet_mm = E};
    const hs_model_option opts[] = {{"FUSE_STRUCTURE", "SACRAMENTO"},
                                    {"FUSE_ELEV_BANDS", "0.5:1300, 0.5:2000"}};
    double storage[3][NH];
    for (int mode = 0; mode < 3; mode++) {
        double *q = outs + (size_t)mode * 2 * NH * n;
        hs_flux_view out = {.runoff_mm = q, .aet_mm = q + NH * n};
        hs_model *m = make_model(ctx, opts, 2, NH);
        if (!m) break;
        HS_CHECK_INT(hs_model_init(m, par, ctx), HS_OK);
        if (mode == 0) {
            HS_CHECK_INT(hs_model_run(m, (hs_range){0, NH}, &f, &out, ctx), HS_OK);
        } else if (mode == 1) {
            HS_CHECK_INT(hs_model_run(m, (hs_range){2, 1}, &f, &out, ctx), HS_OK);
            HS_CHECK_INT(hs_model_run(m, (hs_range){0, 2}, &f, &out, ctx), HS_OK);
        } else { /* time split in two calls: the state and the day of year carry over */
            const size_t cut = 1000;
            hs_forcing_view f1 = f, f2 = f;
            f1.n_time = cut;
            f2.n_time = n - cut;
            f2.first_day += (hs_day)cut;
            f2.precip_mm += cut * NH;
            f2.temp_c += cut * NH;
            f2.pet_mm += cut * NH;
            hs_flux_view out2 = {.runoff_mm = q + cut * NH, .aet_mm = q + NH * n + cut * NH};
            HS_CHECK_INT(hs_model_run(m, (hs_range){0, NH}, &f1, &out, ctx), HS_OK);
            HS_CHECK_INT(hs_model_run(m, (hs_range){0, NH}, &f2, &out2, ctx), HS_OK);
        }
        for (size_t h = 0; h < NH; h++) storage[mode][h] = hs_model_storage_mm(m, h);
        hs_model_destroy(&m);
    }
    HS_CHECK(memcmp(outs, outs + 2 * NH * n, 2 * NH * n * sizeof *outs) == 0);
    HS_CHECK(memcmp(outs, outs + 4 * NH * n, 2 * NH * n * sizeof *outs) == 0);
    HS_CHECK(memcmp(storage[0], storage[1], sizeof storage[0]) == 0);
    HS_CHECK(memcmp(storage[0], storage[2], sizeof storage[0]) == 0);
    free(fp);
    free(outs);
}

/* The implicit parents run in lanes of 8 HRUs (hs_fuse.c, fl_run_group): an HRU in a full group,
 * in a padded remainder or alone gets the same bits, for every parent structure. */
static void test_lane_groups(hs_ctx *ctx, const bow_forcing *bf)
{
    enum { NH = 11, NT = 1000 };
    const size_t n = bf->n < NT ? bf->n : NT;
    double *fp = malloc(3 * NH * bf->n * sizeof *fp);
    double *outs = malloc(3 * 2 * NH * n * sizeof *outs);
    if (!fp || !outs) {
        free(fp);
        free(outs);
        return;
    }
    double *P = fp, *T = fp + NH * bf->n, *E = fp + 2 * NH * bf->n;
    bow_forcing_spread(bf, NH, P, T, E);
    static const char *const structures[4] = {"PRMS", "SACRAMENTO", "TOPMODEL", "VIC"};
    uint64_t seed = 7u;
    size_t rescued_in_lanes = 0;
    for (int s = 0; s < 4; s++) {
        double par[NH * HS_FUSE_NPAR];
        for (size_t h = 0; h < NH; h++) random_params(&seed, par + h * HS_FUSE_NPAR);
        const hs_forcing_view f = {.n_time = n, .n_hru = NH, .first_day = bf->start,
                                   .precip_mm = P, .temp_c = T, .pet_mm = E};
        const hs_model_option opts[] = {{"FUSE_STRUCTURE", structures[s]}};
        double storage[3][NH];
        size_t days[3][2];
        for (int mode = 0; mode < 3; mode++) {
            double *q = outs + (size_t)mode * 2 * NH * n;
            hs_flux_view out = {.runoff_mm = q, .aet_mm = q + NH * n};
            hs_model *m = make_model(ctx, opts, 1, NH);
            if (!m) break;
            HS_CHECK_INT(hs_model_init(m, par, ctx), HS_OK);
            if (mode == 0) { /* one group of 8 and a remainder of 3 */
                HS_CHECK_INT(hs_model_run(m, (hs_range){0, NH}, &f, &out, ctx), HS_OK);
            } else if (mode == 1) { /* every HRU alone, last first */
                for (size_t h = NH; h-- > 0;)
                    HS_CHECK_INT(hs_model_run(m, (hs_range){h, 1}, &f, &out, ctx), HS_OK);
            } else { /* remainders of 5 and 6 */
                HS_CHECK_INT(hs_model_run(m, (hs_range){5, 6}, &f, &out, ctx), HS_OK);
                HS_CHECK_INT(hs_model_run(m, (hs_range){0, 5}, &f, &out, ctx), HS_OK);
            }
            for (size_t h = 0; h < NH; h++) storage[mode][h] = hs_model_storage_mm(m, h);
            HS_CHECK(hs_fuse_solver_days(m, &days[mode][0], &days[mode][1]));
            hs_model_destroy(&m);
        }
        HS_CHECK(memcmp(outs, outs + 2 * NH * n, 2 * NH * n * sizeof *outs) == 0);
        HS_CHECK(memcmp(outs, outs + 4 * NH * n, 2 * NH * n * sizeof *outs) == 0);
        HS_CHECK(memcmp(storage[0], storage[1], sizeof storage[0]) == 0);
        HS_CHECK(memcmp(storage[0], storage[2], sizeof storage[0]) == 0);
        HS_CHECK(memcmp(days[0], days[1], sizeof days[0]) == 0 &&
                 memcmp(days[0], days[2], sizeof days[0]) == 0);
        HS_CHECK_INT((long)days[0][1], 0);
        rescued_in_lanes += days[0][0];
    }
    /* Sacramento's random sets have failed Newton days: the lanes' rescue (and its bits against
     * the lone-HRU solver, above) is exercised. */
    HS_CHECK(rescued_in_lanes > 0);
    free(fp);
    free(outs);
}

/* ---- 8. registry, parameter table and error paths --------------------------------------------- */

static void expect_param_error(hs_ctx *ctx, hs_model *m, size_t k, double v, const char *text)
{
    double par[HS_FUSE_NPAR];
    default_params(par);
    par[k] = v;
    const double s0 = hs_model_storage_mm(m, 0);
    HS_CHECK_INT(hs_model_init(m, par, ctx), HS_ERR_ARG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), hs_fuse_ops.params[k].name);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), text);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "HRU 0");
    HS_CHECK(hs_model_storage_mm(m, 0) == s0); /* a failed init changes nothing */
}

static void expect_option_error(hs_ctx *ctx, const char *key, const char *value,
                                const char *text)
{
    const hs_model_option o[] = {{key, value}};
    hs_model *m = NULL;
    HS_CHECK_INT(hs_model_create(&hs_fuse_ops, o, 1, 1, ctx, &m), HS_ERR_CONFIG);
    HS_CHECK(m == NULL);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), key);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), text);
}

static void test_errors(hs_ctx *ctx)
{
    HS_CHECK(hs_model_find("fuse") == &hs_fuse_ops);
    HS_CHECK_INT(hs_model_param_index(&hs_fuse_ops, "timedelay"), HS_FUSE_TIMEDELAY);
    for (size_t k = 0; k < HS_FUSE_NPAR; k++) {
        const hs_param_info *pi = &hs_fuse_ops.params[k];
        HS_CHECK(pi->lower < pi->upper && pi->dflt >= pi->lower && pi->dflt <= pi->upper);
    }
    hs_model *m = make_model(ctx, NULL, 0, 1);
    if (!m) return;
    double par[HS_FUSE_NPAR];
    default_params(par);
    HS_CHECK_INT(hs_model_init(m, par, ctx), HS_OK);
    expect_param_error(ctx, m, HS_FUSE_MAXWATR_1, -5.0, "-5");
    expect_param_error(ctx, m, HS_FUSE_FRACTEN, 1.0, "in (0, 1)");
    expect_param_error(ctx, m, HS_FUSE_TIMEDELAY, 0.0, "in (0, 7]");
    expect_param_error(ctx, m, HS_FUSE_TIMEDELAY, 9.5, "9.5");
    expect_param_error(ctx, m, HS_FUSE_LOGLAMB, 2.0, "> 3");
    expect_param_error(ctx, m, HS_FUSE_PERCRTE, NAN, "nan");
    expect_param_error(ctx, m, HS_FUSE_MFMAX, -1.0, ">= 0");
    /* the error names the HRU that is wrong */
    hs_model *m2 = make_model(ctx, NULL, 0, 2);
    if (m2) {
        double p2[2 * HS_FUSE_NPAR];
        default_params(p2);
        default_params(p2 + HS_FUSE_NPAR);
        p2[HS_FUSE_NPAR + HS_FUSE_QB_POWR] = 0.0;
        HS_CHECK_INT(hs_model_init(m2, p2, ctx), HS_ERR_ARG);
        HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "QB_POWR = 0 for HRU 1");
        hs_model_destroy(&m2);
    }
    /* run before init */
    hs_model *m3 = make_model(ctx, NULL, 0, 1);
    if (m3) {
        double q = 0, P = 1, T = 1, E = 1;
        hs_forcing_view f = {.n_time = 1, .n_hru = 1, .precip_mm = &P, .temp_c = &T, .pet_mm = &E};
        hs_flux_view out = {.runoff_mm = &q};
        HS_CHECK_INT(hs_model_run(m3, (hs_range){0, 1}, &f, &out, ctx), HS_ERR_ARG);
        HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "init");
        hs_model_destroy(&m3);
    }
    hs_model_destroy(&m);

    expect_option_error(ctx, "FUSE_STRUCTURE", "HBV", "'HBV' is not valid");
    expect_option_error(ctx, "FUSE_NUMERICS", "heun", "implicit, explicit_substep");
    expect_option_error(ctx, "FUSE_SUBSTEPS", "0", "1 to 1440");
    expect_option_error(ctx, "FUSE_SNOW", "maybe", "on, off");
    expect_option_error(ctx, "FUSE_DECISIONS", "{ARCH3: onestate_1}", "unknown decision 'ARCH3'");
    expect_option_error(ctx, "FUSE_DECISIONS", "{ARCH1: onestate_2}",
                        "ARCH1: 'onestate_2' is not valid; allowed values: onestate_1");
    expect_option_error(ctx, "FUSE_DECISIONS", "{ARCH1: tension1_1", "without closing");
    expect_option_error(ctx, "FUSE_DECISIONS", "{QSURF}", "needs a value");
    expect_option_error(ctx, "FUSE_ELEV_BANDS", "0.5:1000, 0.4:2000", "sum to 0.9");
    expect_option_error(ctx, "FUSE_ELEV_BANDS", "0.5-1000", "area_fraction:elevation_m");
    expect_option_error(ctx, "FUSE_FORCING_ELEV", "high", "'high'");

    /* options that parse */
    const hs_model_option ok[] = {{"fuse_structure", "topmodel"},
                                  {"FUSE_DECISIONS", " { 'SNOWM' : no_snowmod , } "},
                                  {"FUSE_NUMERICS", "EXPLICIT_SUBSTEP"},
                                  {"FUSE_SUBSTEPS", "48"}};
    hs_model *m4 = make_model(ctx, ok, 4, 1);
    hs_model_destroy(&m4);
    hs_model_destroy(&m4); /* NULL-safe */
}

int main(void)
{
    hs_ctx *ctx = hs_ctx_create();
    if (!ctx) return 1;
    test_gamma();
    test_buckets(ctx);
    test_hand_step(ctx);
    bow_forcing bf;
    int rc = bow_forcing_read(hs_day_from_ymd(2002, 1, 1), hs_day_from_ymd(2009, 12, 31), &bf);
    HS_CHECK_INT(rc, 0);
    if (rc == 0) {
        test_mass_balance(ctx, &bf);
        test_limits(ctx, &bf);
        test_implicit_vs_explicit(ctx, &bf);
        test_partition(ctx, &bf);
        test_lane_groups(ctx, &bf);
        test_newton_residual(ctx, &bf);
        bow_forcing_free(&bf);
    }
    test_errors(ctx);
    hs_ctx_destroy(&ctx);
    HS_TEST_REPORT();
}
