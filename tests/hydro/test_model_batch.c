/* test_model_batch.c -- the batched-backend table (hs_model_batch.h): which models have which
 * kind, and that a backend reached through the table reproduces the model's scalar run bit for
 * bit, with fewer sets than lanes, and refuses a set outside the physical limits with
 * HS_ERR_ARG (synthetic forcing; the kernels' own tests cover real forcing and many batch
 * sizes). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs_ctx.h"
#include "hs_model.h"
#include "hs_model_batch.h"
#include "hs_test.h"

enum { N_DAYS = 1000, N_SETS = 5 };

static void make_forcing(double *p, double *t, double *e) {
    uint64_t s = 12345;
    for (size_t d = 0; d < N_DAYS; d++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        const double u = (double)(s >> 11) / 9007199254740992.0;
        p[d] = u < 0.6 ? 0.0 : 40.0 * (u - 0.6) * (u - 0.6) / 0.16;
        t[d] = -10.0 + 25.0 * sin(6.283185307179586 * (double)d / 365.25);
        e[d] = fmax(0.0, 0.15 * (t[d] + 5.0));
    }
}

static void check_model(const char *name, hs_ctx *ctx, const hs_forcing_view *f) {
    const hs_model_ops *m = hs_model_find(name);
    const hs_model_batch_ops *b = hs_model_batch_find(m, HS_BATCH_SIMD);
    HS_CHECK(m && b);
    if (!m || !b) return;
    const size_t np = m->n_params, n = f->n_time;
    double *par = malloc(N_SETS * np * sizeof *par);
    double *qs = malloc(N_SETS * n * sizeof *qs), *qb = malloc(N_SETS * n * sizeof *qb);
    HS_CHECK(par && qs && qb);
    /* sets spread between each parameter's calibration bounds */
    for (size_t k = 0; k < N_SETS; k++)
        for (size_t j = 0; j < np; j++) {
            const double w = (double)((k * 7 + j * 3) % 11) / 10.0;
            par[k * np + j] = m->params[j].lower + w * (m->params[j].upper - m->params[j].lower);
        }
    for (size_t k = 0; k < N_SETS; k++) {
        hs_model *sm = NULL;
        HS_CHECK_INT(hs_model_create(m, NULL, 0, 1, ctx, &sm), HS_OK);
        HS_CHECK_INT(hs_model_init(sm, par + k * np, ctx), HS_OK);
        hs_flux_view out = {qs + k * n, NULL, NULL};
        HS_CHECK_INT(hs_model_run(sm, (hs_range){0, 1}, f, &out, ctx), HS_OK);
        hs_model_destroy(&sm);
    }
    void *batch = NULL;
    /* more lanes than sets: the HRU adapter pads its HRUs with copies of the first set */
    HS_CHECK_INT(b->create(N_SETS + 3, n, NULL, 0, ctx, &batch), HS_OK);
    HS_CHECK_INT(b->run(batch, par, N_SETS, f, qb, ctx), HS_OK);
    /* a set outside the model's physical limits: HS_ERR_ARG, so that the caller can find it
     * candidate by candidate (drivers/hs_workspace.c) */
    double *bad = malloc(N_SETS * np * sizeof *bad);
    HS_CHECK(bad != NULL);
    if (bad) {
        memcpy(bad, par, N_SETS * np * sizeof *bad);
        bad[2 * np + 0] = NAN;
        HS_CHECK_INT(b->run(batch, bad, N_SETS, f, qb, ctx), HS_ERR_ARG);
        free(bad);
    }
    b->destroy(&batch);
    HS_CHECK(batch == NULL);
    size_t differ = 0;
    for (size_t k = 0; k < N_SETS; k++) differ += memcmp(qs + k * n, qb + k * n, n * sizeof *qs) != 0;
    HS_CHECK_INT(differ, 0);
    fprintf(stderr, "%s: %d sets through the table, %zu differ from the scalar model\n", name,
            N_SETS, differ);
    free(par);
    free(qs);
    free(qb);
}

int main(void) {
    hs_ctx *ctx = hs_ctx_create();
    HS_CHECK(ctx != NULL);
    if (!ctx) return 1;
    /* who has what: kernels of their own for HBV and GR4J (SIMD) and HBV (GPU); the other
     * models run their sets as HRUs */
    HS_CHECK(hs_model_batch_find(hs_model_find("HBV"), HS_BATCH_GPU) != NULL);
    HS_CHECK(hs_model_batch_find(hs_model_find("GR4J"), HS_BATCH_GPU) == NULL);
    static const char *const own[] = {"HBV", "GR4J"};
    static const char *const hrus[] = {"FUSE", "HYPE", "GR4J_CemaNeige"};
    for (size_t i = 0; i < 2; i++) {
        const hs_model_batch_ops *b = hs_model_batch_find(hs_model_find(own[i]), HS_BATCH_SIMD);
        HS_CHECK(b != NULL && b->dedicated);
    }
    for (size_t i = 0; i < 3; i++) {
        const hs_model_batch_ops *b = hs_model_batch_find(hs_model_find(hrus[i]), HS_BATCH_SIMD);
        HS_CHECK(b != NULL && !b->dedicated);
    }
    HS_CHECK(hs_model_batch_find(NULL, HS_BATCH_SIMD) == NULL);
    /* the model's own option checks apply: CemaNeige without its hypsometric curve */
    {
        const hs_model_batch_ops *b =
            hs_model_batch_find(hs_model_find("GR4J_CemaNeige"), HS_BATCH_SIMD);
        void *batch = NULL;
        HS_CHECK_INT(b->create(4, 10, NULL, 0, ctx, &batch), HS_ERR_CONFIG);
        HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "HYPSOMETRIC_CURVE");
        HS_CHECK(batch == NULL);
    }

    static double p[N_DAYS], t[N_DAYS], e[N_DAYS];
    make_forcing(p, t, e);
    hs_forcing_view f = {N_DAYS, 1, 0, p, t, e};
    check_model("HBV", ctx, &f);
    check_model("GR4J", ctx, &f);
    check_model("FUSE", ctx, &f);
    check_model("HYPE", ctx, &f);
    hs_ctx_destroy(&ctx);
    HS_TEST_REPORT();
}
