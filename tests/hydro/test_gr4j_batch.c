/* test_gr4j_batch.c -- the batched GR4J kernel (hydro/hs_gr4j_batch.c) against the scalar GR4J
 * (hydro/hs_gr4j.c, itself checked against airGR in tests/hydro/test_gr4j.c).
 *
 *  1. Real forcing: testdata/airgr-L0123001 (P, E; 1989-1999, 4,017 days), random parameter
 *     sets drawn uniformly within GR4J's calibration bounds (seeded LCG), every fifth one at or
 *     near the physical limits (X1 = X3 = 0.01, X4 = 0.5, 19.5 and 20, X2 = -10 and 5): runoff
 *     of every lane BIT-IDENTICAL (memcmp) to hs_model_run() of "GR4J" on a fresh model, for
 *     batch sizes 1, 3, 5, 8, 12, 17, 33 (every group width, remainders, the one-lane group;
 *     the kernel reorders lanes by X4, so the rows also check that order is undone).
 *  2. Synthetic forcing (3,000 random days: dry spells, P == E days, storms up to 300 mm that
 *     reach the tanh cap at 13 for small X1): the same check, batch sizes 1, 8, 17.
 *  3. Reuse: one object, runs of different sizes and lengths in turn give the same bits.
 *  1b/2b. The same with GR4J_BATCH_MATH = vector (vectorised exp, reciprocals of X1 and X3):
 *     runoff within VECTOR_TOL of each series' peak.
 *  4. Error paths: each bad argument gives HS_ERR_ARG / HS_ERR_CONFIG and a message naming what
 *     is wrong; a bad parameter names the parameter set, and nothing is written. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bow_csv.h"
#include "hs_ctx.h"
#include "hs_gr4j.h"
#include "hs_gr4j_batch.h"
#include "hs_model.h"
#include "hs_test.h"

#define L1_CSV HS_TESTDATA_DIR "/airgr-L0123001/forcing.csv"
#define MAX_SETS 64

/* 64-bit LCG (Knuth's MMIX constants); uniform in [0, 1) from the top 53 bits. */
static double lcg_uniform(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) * 0x1.0p-53;
}

/* Random sets within the calibration bounds, with a few physical-limit sets mixed in. */
static void make_params(uint64_t *seed, size_t n, double *par)
{
    static const double edge[][4] = {
        {0.01, -10.0, 0.01, 0.5}, {2000.0, 5.0, 500.0, 20.0}, {1.0, 5.0, 1.0, 19.5},
        {5.0, -10.0, 2.0, 10.0},  {350.0, 0.0, 90.0, 1.7},    {1.0, -3.0, 500.0, 18.99},
    };
    for (size_t k = 0; k < n; k++) {
        double *p = par + k * HS_GR4J_NPAR;
        if (k % 5 == 4) {
            memcpy(p, edge[(k / 5) % 6], sizeof edge[0]);
            continue;
        }
        for (size_t i = 0; i < HS_GR4J_NPAR; i++) {
            const hs_param_info *pi = &hs_gr4j_ops.params[i];
            p[i] = pi->lower + (pi->upper - pi->lower) * lcg_uniform(seed);
        }
    }
}

/* Scalar model: runoff [n_sets][n], one fresh model per set. */
static int run_scalar(hs_ctx *ctx, const double *par, size_t n_sets, const hs_forcing_view *f,
                      double *q)
{
    for (size_t k = 0; k < n_sets; k++) {
        hs_model *m = NULL;
        if (hs_model_create(&hs_gr4j_ops, NULL, 0, 1, ctx, &m) != HS_OK) return -1;
        hs_flux_view out = {.runoff_mm = q + k * f->n_time, .aet_mm = NULL, .input_mm = NULL};
        hs_status st = hs_model_init(m, par + k * HS_GR4J_NPAR, ctx);
        if (st == HS_OK) st = hs_model_run(m, (hs_range){0, 1}, f, &out, ctx);
        hs_model_destroy(&m);
        if (st != HS_OK) {
            fprintf(stderr, "scalar run: %s\n", hs_ctx_message(ctx));
            return -1;
        }
    }
    return 0;
}

/* Largest |a - b| over a series, relative to the series' peak |b| (at least 1e-6 mm/d). */
static double rel_diff(const double *a, const double *b, size_t n)
{
    double peak = 1e-6, diff = 0.0;
    for (size_t t = 0; t < n; t++) {
        peak = fmax(peak, fabs(b[t]));
        diff = fmax(diff, isnan(a[t]) ? INFINITY : fabs(a[t] - b[t]));
    }
    return diff / peak;
}

/* GR4J_BATCH_MATH = vector: runoff within this fraction of each series' peak of the scalar
 * model's (measured worst: ~2e-14 on L0123001 and the synthetic storms). */
#define VECTOR_TOL 1e-12

/* Batched vs scalar for each batch size; returns the number of lanes that differ (exact mode:
 * in any bit; vector mode: by more than VECTOR_TOL). */
static size_t compare_sizes(hs_ctx *ctx, const hs_forcing_view *f, const size_t *sizes,
                            size_t n_sizes, uint64_t seed, const char *label, bool vector)
{
    const size_t n = f->n_time;
    double *par = malloc(MAX_SETS * HS_GR4J_NPAR * sizeof *par);
    double *qs = malloc(MAX_SETS * n * sizeof *qs), *qb = malloc(MAX_SETS * n * sizeof *qb);
    hs_gr4j_batch *b = NULL;
    size_t bad = 0, lanes = 0;
    HS_CHECK(par && qs && qb);
    const hs_model_option vec_opt[] = {{"GR4J_BATCH_MATH", "vector"}};
    double worst = 0.0;
    HS_CHECK_INT(hs_gr4j_batch_create(MAX_SETS, n, vector ? vec_opt : NULL, vector ? 1 : 0, ctx,
                                      &b), HS_OK);
    if (!par || !qs || !qb || !b) goto done;
    for (size_t i = 0; i < n_sizes; i++) {
        const size_t B = sizes[i];
        make_params(&seed, B, par);
        HS_CHECK(run_scalar(ctx, par, B, f, qs) == 0);
        for (size_t t = 0; t < B * n; t++) qb[t] = NAN;
        HS_CHECK_INT(hs_gr4j_batch_run(b, par, B, f, qb, ctx), HS_OK);
        for (size_t k = 0; k < B; k++, lanes++) {
            if (vector) {
                const double d = rel_diff(qb + k * n, qs + k * n, n);
                worst = fmax(worst, d);
                if (!(d <= VECTOR_TOL)) {
                    bad++;
                    fprintf(stderr, "%s vector B=%zu lane %zu: runoff differs by %.3g of its "
                            "peak\n", label, B, k, d);
                }
                continue;
            }
            if (memcmp(qs + k * n, qb + k * n, n * sizeof *qs) == 0) continue;
            bad++;
            for (size_t t = 0; t < n; t++)
                if (memcmp(&qs[k * n + t], &qb[k * n + t], sizeof *qs) != 0) {
                    fprintf(stderr, "%s B=%zu lane %zu (x = %.17g %.17g %.17g %.17g): day %zu "
                            "scalar %.17g batched %.17g\n", label, B, k, par[k * 4],
                            par[k * 4 + 1], par[k * 4 + 2], par[k * 4 + 3], t, qs[k * n + t],
                            qb[k * n + t]);
                    break;
                }
        }
    }
    HS_CHECK_INT(bad, 0);
    if (vector)
        fprintf(stderr, "%s vector: %zu lanes over %zu days, worst difference %.3g of the peak, "
                "%zu beyond %.0e\n", label, lanes, n, worst, bad, VECTOR_TOL);
    else
        fprintf(stderr, "%s: %zu lanes over %zu days, %zu not bit-identical\n", label, lanes, n,
                bad);
done:
    hs_gr4j_batch_destroy(&b);
    free(par);
    free(qs);
    free(qb);
    return bad;
}

/* ---- 1. real forcing ------------------------------------------------------------------------- */

static void test_real(hs_ctx *ctx, const hs_forcing_view *f)
{
    static const size_t sizes[] = {1, 3, 5, 8, 12, 17, 33};
    compare_sizes(ctx, f, sizes, sizeof sizes / sizeof sizes[0], 7u, "L0123001", false);
    compare_sizes(ctx, f, sizes, sizeof sizes / sizeof sizes[0], 7u, "L0123001", true);
}

/* ---- 2. synthetic forcing -------------------------------------------------------------------- */

static void test_synthetic(hs_ctx *ctx)
{
    enum { N = 3000 };
    static double p[N], e[N];
    uint64_t s = 99u;
    for (size_t t = 0; t < N; t++) {
        const double u = lcg_uniform(&s), v = lcg_uniform(&s);
        e[t] = 6.0 * lcg_uniform(&s);
        p[t] = u < 0.45 ? 0.0 : u < 0.5 ? e[t] : u < 0.97 ? 30.0 * v * v : 300.0 * v;
        if (t % 400 < 60) p[t] = 0.0; /* dry spells drain the stores */
    }
    hs_forcing_view f = {.n_time = N, .n_hru = 1, .first_day = hs_day_from_ymd(2000, 1, 1),
                         .precip_mm = p, .temp_c = NULL, .pet_mm = e};
    static const size_t sizes[] = {1, 8, 17};
    compare_sizes(ctx, &f, sizes, sizeof sizes / sizeof sizes[0], 1234u, "synthetic", false);
    compare_sizes(ctx, &f, sizes, sizeof sizes / sizeof sizes[0], 1234u, "synthetic", true);
}

/* ---- 3. reuse of one object ------------------------------------------------------------------ */

static void test_reuse(hs_ctx *ctx, const hs_forcing_view *f)
{
    const size_t n = f->n_time;
    double par[20 * HS_GR4J_NPAR];
    uint64_t seed = 5u;
    make_params(&seed, 20, par);
    double *q1 = malloc(20 * n * sizeof *q1), *q2 = malloc(20 * n * sizeof *q2);
    hs_gr4j_batch *b = NULL;
    HS_CHECK_INT(hs_gr4j_batch_create(20, n, NULL, 0, ctx, &b), HS_OK);
    if (q1 && q2 && b) {
        HS_CHECK_INT(hs_gr4j_batch_run(b, par, 20, f, q1, ctx), HS_OK);
        hs_forcing_view g = *f;
        g.n_time = 100;
        HS_CHECK_INT(hs_gr4j_batch_run(b, par + 3 * HS_GR4J_NPAR, 2, &g, q2, ctx), HS_OK);
        HS_CHECK(memcmp(q2, q1 + 3 * n, 100 * sizeof *q2) == 0);       /* a prefix */
        HS_CHECK(memcmp(q2 + 100, q1 + 4 * n, 100 * sizeof *q2) == 0); /* of each lane */
        HS_CHECK_INT(hs_gr4j_batch_run(b, par + 13 * HS_GR4J_NPAR, 7, f, q2, ctx), HS_OK);
        HS_CHECK(memcmp(q2, q1 + 13 * n, 7 * n * sizeof *q2) == 0);
    }
    hs_gr4j_batch_destroy(&b);
    free(q1);
    free(q2);
}

/* ---- 4. error paths -------------------------------------------------------------------------- */

static void test_errors(hs_ctx *ctx, const hs_forcing_view *f0)
{
    hs_gr4j_batch *b = NULL;
    hs_gr4j_batch_destroy(NULL);
    hs_gr4j_batch_destroy(&b); /* NULL-safe */
    HS_CHECK_INT(hs_gr4j_batch_create(0, 10, NULL, 0, ctx, &b), HS_ERR_ARG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "n_lanes_max");
    HS_CHECK_INT(hs_gr4j_batch_create(4, 0, NULL, 0, ctx, &b), HS_ERR_ARG);
    HS_CHECK_INT(hs_gr4j_batch_create(4, 10, NULL, 0, ctx, NULL), HS_ERR_ARG);
    HS_CHECK_INT(hs_gr4j_batch_create(SIZE_MAX / 2, 10, NULL, 0, ctx, &b), HS_ERR_ARG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "overflow");
    HS_CHECK_INT(hs_gr4j_batch_create(4, 10, NULL, 1, ctx, &b), HS_ERR_ARG);
    const hs_model_option badmath[] = {{"GR4J_BATCH_MATH", "fast"}};
    HS_CHECK_INT(hs_gr4j_batch_create(4, 10, badmath, 1, ctx, &b), HS_ERR_CONFIG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "GR4J_BATCH_MATH");
    HS_CHECK(b == NULL);
    const hs_model_option snow[] = {{"SNOW_MODULE", "CemaNeige"}};
    HS_CHECK_INT(hs_gr4j_batch_create(4, 10, snow, 1, ctx, &b), HS_ERR_CONFIG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "SNOW_MODULE");
    HS_CHECK(b == NULL);
    const hs_model_option none[] = {{"SNOW_MODULE", "none"}};
    HS_CHECK_INT(hs_gr4j_batch_create(4, 365, none, 1, ctx, &b), HS_OK);
    if (!b) return;
    double par[5 * HS_GR4J_NPAR], q[5 * 365];
    for (size_t k = 0; k < 5; k++)
        for (size_t i = 0; i < HS_GR4J_NPAR; i++)
            par[k * HS_GR4J_NPAR + i] = hs_gr4j_ops.params[i].dflt;
    hs_forcing_view f = *f0;
    f.n_time = 365;
    HS_CHECK_INT(hs_gr4j_batch_run(b, par, 5, &f, q, ctx), HS_ERR_ARG); /* > n_lanes_max */
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "5 parameter sets");
    HS_CHECK_INT(hs_gr4j_batch_run(b, par, 0, &f, q, ctx), HS_ERR_ARG);
    HS_CHECK_INT(hs_gr4j_batch_run(b, NULL, 1, &f, q, ctx), HS_ERR_ARG);
    HS_CHECK_INT(hs_gr4j_batch_run(b, par, 1, NULL, q, ctx), HS_ERR_ARG);
    HS_CHECK_INT(hs_gr4j_batch_run(b, par, 1, &f, NULL, ctx), HS_ERR_ARG);
    HS_CHECK_INT(hs_gr4j_batch_run(NULL, par, 1, &f, q, ctx), HS_ERR_ARG);
    f.n_time = 366;
    HS_CHECK_INT(hs_gr4j_batch_run(b, par, 1, &f, q, ctx), HS_ERR_ARG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "n_steps_max");
    f.n_time = 365;
    f.n_hru = 2;
    HS_CHECK_INT(hs_gr4j_batch_run(b, par, 1, &f, q, ctx), HS_ERR_ARG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "lumped");
    f.n_hru = 1;
    f.pet_mm = NULL;
    HS_CHECK_INT(hs_gr4j_batch_run(b, par, 1, &f, q, ctx), HS_ERR_ARG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "pet_mm");
    f.pet_mm = f0->pet_mm;
    /* bad parameters: the message names the set and the parameter; nothing is written */
    static const struct {
        size_t k;
        double v;
        const char *name;
    } bad[] = {{HS_GR4J_X1, 0.0, "x1"}, {HS_GR4J_X3, 0.005, "x3"}, {HS_GR4J_X4, 0.4, "x4"},
               {HS_GR4J_X4, 20.5, "x4"}, {HS_GR4J_X2, NAN, "x2"}, {HS_GR4J_X1, INFINITY, "x1"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        par[2 * HS_GR4J_NPAR + bad[i].k] = bad[i].v;
        q[0] = -1.0;
        HS_CHECK_INT(hs_gr4j_batch_run(b, par, 3, &f, q, ctx), HS_ERR_ARG);
        HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "parameter set 2");
        HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), bad[i].name);
        HS_CHECK(q[0] == -1.0); /* nothing written */
        par[2 * HS_GR4J_NPAR + bad[i].k] = hs_gr4j_ops.params[bad[i].k].dflt;
    }
    HS_CHECK_INT(hs_gr4j_batch_run(b, par, 4, &f, q, ctx), HS_OK);
    HS_CHECK(q[0] >= 0.0 && isfinite(q[0]));
    f.n_time = 0; /* an empty window is a valid run that writes nothing */
    HS_CHECK_INT(hs_gr4j_batch_run(b, par, 4, &f, q, ctx), HS_OK);
    hs_gr4j_batch_destroy(&b);
    HS_CHECK(b == NULL);
}

int main(void)
{
#ifdef HS_TEST_PIN_ISA
    /* This build compiles the kernel for one instruction set only (tests/hydro/CMakeLists.txt)
     * to test each copy that target_clones makes; skip where the CPU lacks it. */
#ifdef HS_TEST_PIN_CPU_FEATURE
    __builtin_cpu_init();
    if (!__builtin_cpu_supports(HS_TEST_PIN_CPU_FEATURE)) {
        fprintf(stderr, "CPU without %s: skipped\n", HS_TEST_PIN_ISA);
        return 77;
    }
#endif
    HS_CHECK(strcmp(hs_gr4j_batch_isa(), HS_TEST_PIN_ISA) == 0);
#endif
    fprintf(stderr, "batched GR4J kernel instruction set: %s\n", hs_gr4j_batch_isa());
    hs_ctx *ctx = hs_ctx_create();
    if (!ctx) return 1;
    const hs_day start = hs_day_from_ymd(1989, 1, 1), end = hs_day_from_ymd(1999, 12, 31);
    static const char *const names[] = {"P", "E"};
    double *cols[2] = {NULL, NULL};
    if (bow_read_columns(L1_CSV, names, 2, start, end, cols) != 0) {
        fprintf(stderr, "cannot read %s\n", L1_CSV);
        hs_ctx_destroy(&ctx);
        return 1;
    }
    const size_t n = (size_t)(end - start + 1);
    hs_forcing_view f = {.n_time = n, .n_hru = 1, .first_day = start, .precip_mm = cols[0],
                         .temp_c = NULL, .pet_mm = cols[1]};
    test_real(ctx, &f);
    test_synthetic(ctx);
    test_reuse(ctx, &f);
    test_errors(ctx, &f);
    free(cols[0]);
    free(cols[1]);
    hs_ctx_destroy(&ctx);
    HS_TEST_REPORT();
}
