/* test_hbv_batch.c -- the batched HBV kernel (hydro/hs_hbv_batch.c) against the scalar HBV
 * (hydro/hs_hbv.c, itself bit-identical to SYMFLUENCE: tests/hydro/test_hbv.c), on 8 years of
 * real Bow-at-Banff forcing (testdata/bow, 2002-2009) and random parameter sets drawn uniformly
 * within SYMFLUENCE's calibration bounds (seeded LCG).
 *
 * Tolerances, per result:
 *  1. hs_hbv_batch_pow vs glibc pow: |rel err| <= 4e-16 * (1 + |e*log(x)|); exact 1 at x = 1 or
 *     e = 0, exact 0 at x = 0.
 *  2. HBV_BATCH_POW = exact: runoff, AET, input and final storage BIT-IDENTICAL (==) to the
 *     scalar model, batch sizes 1, 3, 5, 8, 12, 17, 33 (every group width and remainder), for
 *     the default options and five other option sets.
 *  3. HBV_BATCH_POW = vector: runoff relative difference <= 1e-12 (relative to max(|q|, 1e-6
 *     mm/d)), KGE absolute difference <= 1e-12; the measured maxima are printed.
 *  4. Mass balance per lane: sum(input) - sum(AET) - sum(runoff) - (S_end - S_start) within
 *     1e-9 mm of the routing deficit (integral weights: deficit 0; SYMFLUENCE's sampled weights
 *     lose (1 - sum w) of the generated runoff, estimated from the routed runoff to 1e-7 mm).
 *  5. KGE ranking of 40 candidates (last 1,461 days vs observed discharge 05BB001): the best
 *     candidate and the whole order are the same under scalar and batched (both pow modes).
 *  6. Error paths and ownership: each bad argument or option gives its status and a message
 *     naming what is wrong.
 * Both variants are covered: "symfluence" (default) and "light" (1-mm recharge increments,
 * AET from the mean SM, integral MAXBAS weights, SM0 = LP*FC), plus other option mixes. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bow_csv.h"
#include "hs_ctx.h"
#include "hs_hbv.h"
#include "hs_hbv_batch.h"
#include "hs_metrics.h"
#include "hs_model.h"
#include "hs_test.h"

#define KGE_DAYS 1461
#define AREA_KM2 2210.0

/* 64-bit LCG (Knuth's MMIX constants); uniform in [0, 1) from the top 53 bits. */
static double lcg_uniform(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) * 0x1.0p-53;
}

static void random_params(uint64_t *s, double *p)
{
    for (size_t k = 0; k < HS_HBV_NPAR; k++) {
        const hs_param_info *pi = &hs_hbv_ops.params[k];
        p[k] = pi->lower + (pi->upper - pi->lower) * lcg_uniform(s);
    }
}

static hs_forcing_view lumped_view(const bow_forcing *bf)
{
    hs_forcing_view f = {.n_time = bf->n, .n_hru = 1, .first_day = bf->start,
                         .precip_mm = bf->p, .temp_c = bf->t, .pet_mm = bf->e};
    return f;
}

/* Scalar model: runoff/aet/input [n_sets][n] and final storage, one fresh model per set. */
static int run_scalar(hs_ctx *ctx, const hs_model_option *opts, size_t n_opts, const double *par,
                      size_t n_sets, const hs_forcing_view *f, double *q, double *aet, double *in,
                      double *storage)
{
    for (size_t k = 0; k < n_sets; k++) {
        hs_model *m = NULL;
        if (hs_model_create(&hs_hbv_ops, opts, n_opts, 1, ctx, &m) != HS_OK) {
            fprintf(stderr, "scalar create: %s\n", hs_ctx_message(ctx));
            return -1;
        }
        const size_t n = f->n_time;
        hs_flux_view out = {.runoff_mm = q + k * n, .aet_mm = aet ? aet + k * n : NULL,
                            .input_mm = in ? in + k * n : NULL};
        hs_status st = hs_model_init(m, par + k * HS_HBV_NPAR, ctx);
        if (st == HS_OK) st = hs_model_run(m, (hs_range){0, 1}, f, &out, ctx);
        if (storage) storage[k] = hs_model_storage_mm(m, 0);
        hs_model_destroy(&m);
        if (st != HS_OK) {
            fprintf(stderr, "scalar run: %s\n", hs_ctx_message(ctx));
            return -1;
        }
    }
    return 0;
}

/* ---- 1. the vector power --------------------------------------------------------------------- */

static void test_pow(void)
{
    enum { N = 20000 };
    static double x[N], e[N], y[N];
    uint64_t s = 11u;
    for (size_t i = 0; i < N; i++) {
        /* x log-uniform in [1e-12, 1] (half) or uniform in [0, 1] (half); e uniform in [0, 6] */
        const double u = lcg_uniform(&s);
        x[i] = (i % 2) ? pow(10.0, -12.0 * u) : u;
        e[i] = 6.0 * lcg_uniform(&s);
    }
    /* edge cases */
    x[0] = 1.0; e[0] = 3.7;
    x[1] = 0.0; e[1] = 2.5;
    x[2] = 0.3; e[2] = 0.0;
    x[3] = 0.0; e[3] = 0.0;
    x[4] = 1e-310; e[4] = 0.5;        /* subnormal base */
    x[5] = 0x1p-1022; e[5] = 1.0;     /* smallest normal */
    x[6] = 1e-300; e[6] = 6.0;        /* underflows: flushed to 0 */
    x[7] = 0.5; e[7] = 1.0;
    x[8] = 2.0; e[8] = 3.0;           /* outside the model's range, still accurate */
    hs_hbv_batch_pow(x, e, y, N);
    HS_CHECK(y[0] == 1.0);
    HS_CHECK(y[1] == 0.0);
    HS_CHECK(y[2] == 1.0);
    HS_CHECK(y[3] == 1.0);
    HS_CHECK(y[6] == 0.0);
    double worst = 0.0, worst_scaled = 0.0;
    size_t bad = 0;
    for (size_t i = 0; i < N; i++) {
        if (i == 6) continue;
        const double ref = pow(x[i], e[i]);
        if (ref < 0x1p-1022) { /* flushed or subnormal: absolute check */
            HS_CHECK(fabs(y[i] - ref) <= 0x1p-1022);
            continue;
        }
        const double rel = fabs(y[i] - ref) / ref;
        const double ylog = fabs(e[i] * log(x[i] > 0.0 ? x[i] : 1.0));
        const double bound = 4e-16 * (1.0 + ylog);
        if (rel > worst) worst = rel;
        if (rel / (1.0 + ylog) > worst_scaled) worst_scaled = rel / (1.0 + ylog);
        if (!(rel <= bound)) {
            if (bad++ < 5)
                fprintf(stderr, "  pow(%.17g, %.17g) = %.17g, glibc %.17g, rel %.3g > %.3g\n",
                        x[i], e[i], y[i], ref, rel, bound);
        }
    }
    HS_CHECK_INT(bad, 0);
    fprintf(stderr, "vector pow vs glibc: max rel err %.3g, max rel err / (1 + |e log x|) %.3g\n",
            worst, worst_scaled);
}

/* ---- 2. exact mode: bit identity ------------------------------------------------------------- */

static void test_exact(hs_ctx *ctx, const bow_forcing *bf)
{
    const hs_model_option o_default[] = {{"HBV_BATCH_POW", "exact"}};
    const hs_model_option o_mixed[] = {{"HBV_AET_SM", "mean"},       {"HBV_AET_SNOW_OFF", "true"},
                                       {"HBV_MAXBAS", "integral"},   {"HBV_INITIAL_SNOW", "50"},
                                       {"HBV_ROUTING_BUFFER", "12"}};
    const hs_model_option o_light_bulk[] = {{"HBV_VARIANT", "light"}, {"HBV_RECHARGE", "bulk"}};
    const hs_model_option o_light[] = {{"HBV_VARIANT", "light"}};
    const hs_model_option o_light_snow[] = {{"HBV_VARIANT", "LIGHT"},
                                            {"HBV_AET_SNOW_OFF", "true"},
                                            {"HBV_INITIAL_SNOW", "50"}};
    const struct {
        const char *name;
        const hs_model_option *opts;
        size_t n;
    } cases[] = {{"default", o_default, 1}, {"mean+snow_off+integral", o_mixed, 5},
                 {"light+bulk", o_light_bulk, 2}, {"light", o_light, 1},
                 {"light+snow_off", o_light_snow, 3}};
    static const size_t sizes[] = {1, 3, 5, 8, 12, 17, 33};
    const size_t n = bf->n, nmax = 33;
    const hs_forcing_view f = lumped_view(bf);
    double *buf = malloc(6 * nmax * n * sizeof *buf);
    double *par = malloc(nmax * HS_HBV_NPAR * sizeof *par);
    if (!buf || !par) {
        HS_CHECK(0);
        free(buf);
        free(par);
        return;
    }
    double *q = buf, *a = q + nmax * n, *in = a + nmax * n;
    double *qb = in + nmax * n, *ab = qb + nmax * n, *ib = ab + nmax * n;
    double st[33], stb[33];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        hs_hbv_batch *b = NULL;
        HS_CHECK_INT(hs_hbv_batch_create(nmax, n, cases[c].opts, cases[c].n, ctx, &b), HS_OK);
        if (!b) continue;
        uint64_t seed = 2024u + c;
        size_t mismatches = 0, compared = 0;
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
            const size_t B = sizes[si];
            for (size_t k = 0; k < B; k++) random_params(&seed, par + k * HS_HBV_NPAR);
            if (run_scalar(ctx, cases[c].opts, cases[c].n, par, B, &f, q, a, in, st) != 0) {
                HS_CHECK(0);
                continue;
            }
            /* poison the outputs so that anything not written shows */
            for (size_t i = 0; i < 3 * nmax * n; i++) qb[i] = NAN;
            HS_CHECK_INT(hs_hbv_batch_run_fluxes(b, par, B, &f, qb, ab, ib, ctx), HS_OK);
            for (size_t i = 0; i < B * n; i++) {
                mismatches += memcmp(&q[i], &qb[i], sizeof q[i]) != 0;
                mismatches += memcmp(&a[i], &ab[i], sizeof a[i]) != 0;
                mismatches += memcmp(&in[i], &ib[i], sizeof in[i]) != 0;
                compared += 3;
            }
            for (size_t k = 0; k < B; k++) {
                stb[k] = hs_hbv_batch_storage_mm(b, k);
                mismatches += memcmp(&st[k], &stb[k], sizeof st[k]) != 0;
                compared++;
            }
            HS_CHECK(isnan(hs_hbv_batch_storage_mm(b, B)));
            /* runoff-only entry point: same bits */
            HS_CHECK_INT(hs_hbv_batch_run(b, par, B, &f, qb, ctx), HS_OK);
            HS_CHECK(memcmp(q, qb, B * n * sizeof *q) == 0);
        }
        HS_CHECK_INT(mismatches, 0);
        fprintf(stderr, "exact mode, %-24s %zu values compared bit for bit, %zu differ\n",
                cases[c].name, compared, mismatches);
        hs_hbv_batch_destroy(&b);
        HS_CHECK(b == NULL);
    }
    free(buf);
    free(par);
}

/* ---- 3. vector mode: round-off agreement ----------------------------------------------------- */

static void test_vector_case(hs_ctx *ctx, const bow_forcing *bf, const double *obs,
                             const char *name, const hs_model_option *opts, size_t n_opts)
{
    static const size_t sizes[] = {1, 3, 8, 17, 32};
    const size_t n = bf->n, nmax = 32;
    const hs_forcing_view f = lumped_view(bf);
    double *q = malloc(2 * nmax * n * sizeof *q);
    double *par = malloc(nmax * HS_HBV_NPAR * sizeof *par);
    hs_hbv_batch *b = NULL;
    HS_CHECK_INT(hs_hbv_batch_create(nmax, n, opts, n_opts, ctx, &b), HS_OK);
    if (!q || !par || !b) {
        HS_CHECK(0);
        goto done;
    }
    double *qb = q + nmax * n;
    double max_rel = 0.0, max_abs = 0.0, max_kge = 0.0;
    size_t n_differ = 0;
    uint64_t seed = 99u;
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        const size_t B = sizes[si];
        for (size_t k = 0; k < B; k++) random_params(&seed, par + k * HS_HBV_NPAR);
        if (run_scalar(ctx, opts, n_opts, par, B, &f, q, NULL, NULL, NULL) != 0) {
            HS_CHECK(0);
            continue;
        }
        HS_CHECK_INT(hs_hbv_batch_run(b, par, B, &f, qb, ctx), HS_OK);
        for (size_t i = 0; i < B * n; i++) {
            const double d = fabs(qb[i] - q[i]);
            const double rel = d / fmax(fabs(q[i]), 1e-6);
            n_differ += d != 0.0;
            if (d > max_abs) max_abs = d;
            if (rel > max_rel) max_rel = rel;
        }
        for (size_t k = 0; k < B; k++) {
            const double ks = hs_metric_kge(q + k * n + n - KGE_DAYS, obs + n - KGE_DAYS,
                                            KGE_DAYS, NULL);
            const double kb = hs_metric_kge(qb + k * n + n - KGE_DAYS, obs + n - KGE_DAYS,
                                            KGE_DAYS, NULL);
            HS_CHECK(isfinite(ks));
            if (fabs(kb - ks) > max_kge) max_kge = fabs(kb - ks);
        }
    }
    HS_CHECK(max_rel <= 1e-12);
    HS_CHECK(max_kge <= 1e-12);
    HS_CHECK(n_differ > 0); /* the vector pow is not glibc's: some bits must differ */
    fprintf(stderr, "vector mode vs scalar (%s): runoff max abs diff %.3g mm/d, max rel diff "
            "%.3g (%zu values differ at all), KGE max abs diff %.3g\n", name, max_abs, max_rel,
            n_differ, max_kge);
done:
    hs_hbv_batch_destroy(&b);
    free(q);
    free(par);
}

static void test_vector(hs_ctx *ctx, const bow_forcing *bf, const double *obs)
{
    const hs_model_option o_sym[] = {{"HBV_BATCH_POW", "vector"}};
    const hs_model_option o_light[] = {{"HBV_BATCH_POW", "vector"}, {"HBV_VARIANT", "light"}};
    test_vector_case(ctx, bf, obs, "symfluence", o_sym, 1);
    test_vector_case(ctx, bf, obs, "light", o_light, 2);
}

/* ---- 4. mass balance per lane ---------------------------------------------------------------- */

static void test_mass_balance(hs_ctx *ctx, const bow_forcing *bf)
{
    const hs_model_option o_sampled_vec[] = {{"HBV_BATCH_POW", "vector"}};
    const hs_model_option o_integral[] = {{"HBV_MAXBAS", "integral"}};
    const hs_model_option o_integral_vec[] = {{"HBV_MAXBAS", "integral"},
                                              {"HBV_BATCH_POW", "vector"}};
    const hs_model_option o_light[] = {{"HBV_VARIANT", "light"}};
    const hs_model_option o_light_vec[] = {{"HBV_VARIANT", "light"}, {"HBV_BATCH_POW", "vector"}};
    const struct {
        const char *name;
        const hs_model_option *opts;
        size_t n;
        bool sampled;
    } cases[] = {{"sampled (symfluence)", NULL, 0, true},
                 {"sampled, vector pow", o_sampled_vec, 1, true},
                 {"integral", o_integral, 1, false},
                 {"integral, vector pow", o_integral_vec, 2, false},
                 {"light", o_light, 1, false},
                 {"light, vector pow", o_light_vec, 2, false}};
    enum { B = 17 };
    const size_t n = bf->n;
    const hs_forcing_view f = lumped_view(bf);
    double *buf = malloc(3 * B * n * sizeof *buf);
    if (!buf) {
        HS_CHECK(0);
        return;
    }
    double *q = buf, *a = q + B * n, *in = a + B * n;
    double par[B * HS_HBV_NPAR];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        hs_hbv_batch *b = NULL;
        HS_CHECK_INT(hs_hbv_batch_create(B, n, cases[c].opts, cases[c].n, ctx, &b), HS_OK);
        if (!b) continue;
        uint64_t seed = 31337u;
        for (size_t k = 0; k < B; k++) random_params(&seed, par + k * HS_HBV_NPAR);
        HS_CHECK_INT(hs_hbv_batch_run_fluxes(b, par, B, &f, q, a, in, ctx), HS_OK);
        double worst = 0.0;
        for (size_t k = 0; k < B; k++) {
            long double s_in = 0, s_aet = 0, s_q = 0;
            for (size_t t = 0; t < n; t++) {
                s_in += in[k * n + t];
                s_aet += a[k * n + t];
                s_q += q[k * n + t];
            }
            const double s0 = hs_hbv_batch_initial_storage_mm(b, par + k * HS_HBV_NPAR);
            const double s1 = hs_hbv_batch_storage_mm(b, k);
            const double residual = (double)(s_in - s_aet - s_q - ((long double)s1 - s0));
            double deficit = 0.0, tol = 1e-9;
            if (cases[c].sampled) {
                /* routed + left in the ring = sum(w) * generated; the ring's content at the end
                 * (< 100 mm) is not known separately: tolerance 1e-7 mm covers it */
                double w[16];
                const size_t nw = hs_hbv_maxbas_weights(par[k * HS_HBV_NPAR + HS_HBV_MAXBAS], 0,
                                                        w, 16);
                long double sw = 0;
                for (size_t i = 0; i < nw; i++) sw += w[i];
                deficit = (double)(s_q * (1.0L - sw) / sw);
                tol = 1e-7;
            }
            const double err = fabs(residual - deficit);
            if (err > worst) worst = err;
            HS_CHECK(err <= tol);
            HS_CHECK(s_q > 100.0); /* a real hydrograph */
        }
        fprintf(stderr, "mass balance %-22s worst |residual - deficit| over %d lanes %.2e mm\n",
                cases[c].name, B, worst);
        hs_hbv_batch_destroy(&b);
    }
    free(buf);
}

/* ---- 5. KGE ranking -------------------------------------------------------------------------- */

static void rank_by(const double *score, size_t n, size_t *order)
{
    for (size_t i = 0; i < n; i++) order[i] = i;
    for (size_t i = 1; i < n; i++) { /* insertion sort, best (largest) first, stable */
        const size_t v = order[i];
        size_t j = i;
        while (j > 0 && score[order[j - 1]] < score[v]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = v;
    }
}

static void test_ranking(hs_ctx *ctx, const bow_forcing *bf, const double *obs)
{
    enum { NC = 40 };
    const size_t n = bf->n;
    const hs_forcing_view f = lumped_view(bf);
    double *q = malloc(2 * NC * n * sizeof *q);
    double *par = malloc(NC * HS_HBV_NPAR * sizeof *par);
    if (!q || !par) {
        HS_CHECK(0);
        free(q);
        free(par);
        return;
    }
    double *qb = q + NC * n;
    uint64_t seed = 4242u;
    for (size_t k = 0; k < NC; k++) random_params(&seed, par + k * HS_HBV_NPAR);
    if (run_scalar(ctx, NULL, 0, par, NC, &f, q, NULL, NULL, NULL) != 0) HS_CHECK(0);
    double ks[NC];
    size_t os[NC];
    for (size_t k = 0; k < NC; k++)
        ks[k] = hs_metric_kge(q + k * n + n - KGE_DAYS, obs + n - KGE_DAYS, KGE_DAYS, NULL);
    rank_by(ks, NC, os);
    static const char *const modes[] = {"exact", "vector"};
    for (size_t mi = 0; mi < 2; mi++) {
        const hs_model_option opts[] = {{"HBV_BATCH_POW", modes[mi]}};
        hs_hbv_batch *b = NULL;
        HS_CHECK_INT(hs_hbv_batch_create(NC, n, opts, 1, ctx, &b), HS_OK);
        if (!b) continue;
        HS_CHECK_INT(hs_hbv_batch_run(b, par, NC, &f, qb, ctx), HS_OK);
        double kb[NC];
        size_t ob[NC];
        for (size_t k = 0; k < NC; k++)
            kb[k] = hs_metric_kge(qb + k * n + n - KGE_DAYS, obs + n - KGE_DAYS, KGE_DAYS, NULL);
        rank_by(kb, NC, ob);
        HS_CHECK_INT(ob[0], os[0]);
        size_t same = 0;
        for (size_t k = 0; k < NC; k++) same += ob[k] == os[k];
        HS_CHECK_INT(same, NC);
        if (mi == 0) HS_CHECK(memcmp(ks, kb, sizeof ks) == 0); /* exact: same KGE bits */
        fprintf(stderr, "ranking (%s pow): best candidate %zu (KGE %.6f) under both, %zu of %d "
                "ranks identical\n", modes[mi], ob[0], kb[ob[0]], same, NC);
        hs_hbv_batch_destroy(&b);
    }
    free(q);
    free(par);
}

/* ---- 6. error paths -------------------------------------------------------------------------- */

static void test_errors(hs_ctx *ctx, const bow_forcing *bf)
{
    hs_hbv_batch *b = NULL;
    hs_hbv_batch_destroy(NULL);
    hs_hbv_batch_destroy(&b); /* NULL-safe */
    HS_CHECK_INT(hs_hbv_batch_create(0, 10, NULL, 0, ctx, &b), HS_ERR_ARG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "n_lanes_max");
    HS_CHECK_INT(hs_hbv_batch_create(4, 10, NULL, 0, ctx, NULL), HS_ERR_ARG);
    const hs_model_option badvariant[] = {{"HBV_VARIANT", "heavy"}};
    HS_CHECK_INT(hs_hbv_batch_create(4, 10, badvariant, 1, ctx, &b), HS_ERR_CONFIG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "HBV_VARIANT");
    HS_CHECK_INT(hs_hbv_batch_create(SIZE_MAX / 2, 10, NULL, 0, ctx, &b), HS_ERR_ARG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "overflow");
    const hs_model_option badpow[] = {{"HBV_BATCH_POW", "fast"}};
    HS_CHECK_INT(hs_hbv_batch_create(4, 10, badpow, 1, ctx, &b), HS_ERR_CONFIG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "HBV_BATCH_POW");
    const hs_model_option badbuf[] = {{"HBV_ROUTING_BUFFER", "99"}};
    HS_CHECK_INT(hs_hbv_batch_create(4, 10, badbuf, 1, ctx, &b), HS_ERR_CONFIG);
    HS_CHECK(b == NULL);

    HS_CHECK_INT(hs_hbv_batch_create(4, 365, NULL, 0, ctx, &b), HS_OK);
    if (!b) return;
    double par[5 * HS_HBV_NPAR], q[5 * 365];
    for (size_t k = 0; k < 5; k++)
        for (size_t i = 0; i < HS_HBV_NPAR; i++)
            par[k * HS_HBV_NPAR + i] = hs_hbv_ops.params[i].dflt;
    hs_forcing_view f = lumped_view(bf);
    f.n_time = 365;
    HS_CHECK_INT(hs_hbv_batch_run(b, par, 5, &f, q, ctx), HS_ERR_ARG); /* > n_lanes_max */
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "5 parameter sets");
    HS_CHECK_INT(hs_hbv_batch_run(b, par, 0, &f, q, ctx), HS_ERR_ARG);
    HS_CHECK_INT(hs_hbv_batch_run(b, NULL, 1, &f, q, ctx), HS_ERR_ARG);
    HS_CHECK_INT(hs_hbv_batch_run(b, par, 1, &f, NULL, ctx), HS_ERR_ARG);
    f.n_time = 366;
    HS_CHECK_INT(hs_hbv_batch_run(b, par, 1, &f, q, ctx), HS_ERR_ARG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "n_steps_max");
    f.n_time = 365;
    f.n_hru = 2;
    HS_CHECK_INT(hs_hbv_batch_run(b, par, 1, &f, q, ctx), HS_ERR_ARG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "lumped");
    f.n_hru = 1;
    par[2 * HS_HBV_NPAR + HS_HBV_FC] = 0.0;
    q[0] = -1.0;
    HS_CHECK_INT(hs_hbv_batch_run(b, par, 3, &f, q, ctx), HS_ERR_ARG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "fc");
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "parameter set 2");
    HS_CHECK(q[0] == -1.0); /* nothing written */
    HS_CHECK(isnan(hs_hbv_batch_storage_mm(b, 0))); /* no successful run yet */
    par[2 * HS_HBV_NPAR + HS_HBV_FC] = hs_hbv_ops.params[HS_HBV_FC].dflt;
    par[HS_HBV_MAXBAS] = 17.0;
    HS_CHECK_INT(hs_hbv_batch_run(b, par, 1, &f, q, ctx), HS_ERR_ARG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "maxbas");
    par[HS_HBV_MAXBAS] = hs_hbv_ops.params[HS_HBV_MAXBAS].dflt;
    HS_CHECK_INT(hs_hbv_batch_run(b, par, 4, &f, q, ctx), HS_OK);
    HS_CHECK(isfinite(hs_hbv_batch_storage_mm(b, 3)));
    HS_CHECK(isnan(hs_hbv_batch_storage_mm(b, 4)));
    HS_CHECK(isnan(hs_hbv_batch_storage_mm(NULL, 0)));
    hs_hbv_batch_destroy(&b);
    HS_CHECK(b == NULL);
}

int main(void)
{
    hs_ctx *ctx = hs_ctx_create();
    if (!ctx) return 1;
    const hs_day start = hs_day_from_ymd(2002, 1, 1), end = hs_day_from_ymd(2009, 12, 31);
    bow_forcing bf;
    double *obs = NULL;
    static const char *const qname[] = {"Q_m3s"};
    if (bow_forcing_read(start, end, &bf) != 0 ||
        bow_read_columns(BOW_DISCHARGE_CSV, qname, 1, start, end, &obs) != 0) {
        fprintf(stderr, "cannot read the Bow test data\n");
        hs_ctx_destroy(&ctx);
        return 1;
    }
    for (size_t t = 0; t < bf.n; t++) obs[t] = obs[t] * 86.4 / AREA_KM2; /* m3/s -> mm/d */
#ifdef HS_TEST_PIN_ISA
    /* This build compiles the kernel for one instruction set only (tests/hydro/CMakeLists.txt)
     * to test each copy that target_clones makes; skip where the CPU lacks it. */
#ifdef HS_TEST_PIN_CPU_FEATURE
    __builtin_cpu_init();
    if (!__builtin_cpu_supports(HS_TEST_PIN_CPU_FEATURE)) {
        fprintf(stderr, "CPU without %s: skipped\n", HS_TEST_PIN_ISA);
        free(obs);
        bow_forcing_free(&bf);
        hs_ctx_destroy(&ctx);
        return 77;
    }
#endif
    HS_CHECK(strcmp(hs_hbv_batch_isa(), HS_TEST_PIN_ISA) == 0);
#endif
    fprintf(stderr, "batched HBV kernel instruction set: %s\n", hs_hbv_batch_isa());

    test_pow();
    test_exact(ctx, &bf);
    test_vector(ctx, &bf, obs);
    test_mass_balance(ctx, &bf);
    test_ranking(ctx, &bf, obs);
    test_errors(ctx, &bf);

    free(obs);
    bow_forcing_free(&bf);
    hs_ctx_destroy(&ctx);
    HS_TEST_REPORT();
}
