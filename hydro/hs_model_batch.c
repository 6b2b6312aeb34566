/* hs_model_batch.c -- the table of batched backends (hs_model_batch.h). */
#include "hs_model_batch.h"

#include <stdint.h>
#include <string.h>

#include "hs_fuse.h"
#include "hs_gr4j.h"
#include "hs_gr4j_batch.h"
#include "hs_hbv.h"
#include "hs_hbv_batch.h"
#include "hs_hbv_gpu.h"
#include "hs_hype.h"

/* typed kernels behind the void * of the table */
#define HS_BATCH_ADAPTER(prefix, type)                                                            \
    static hs_status prefix##_create_any(size_t lanes, size_t steps, const hs_model_option *o,    \
                                         size_t no, hs_ctx *ctx, void **out) {                   \
        type *b = NULL;                                                                           \
        hs_status st = prefix##_create(lanes, steps, o, no, ctx, &b);                             \
        *out = b;                                                                                 \
        return st;                                                                                \
    }                                                                                             \
    static hs_status prefix##_run_any(void *b, const double *p, size_t n,                         \
                                      const hs_forcing_view *f, double *q, hs_ctx *ctx) {         \
        return prefix##_run((type *)b, p, n, f, q, ctx);                                          \
    }                                                                                             \
    static void prefix##_destroy_any(void **b) {                                                  \
        type *t = *b;                                                                             \
        prefix##_destroy(&t);                                                                     \
        *b = NULL;                                                                                \
    }

HS_BATCH_ADAPTER(hs_hbv_batch, hs_hbv_batch)
HS_BATCH_ADAPTER(hs_gr4j_batch, hs_gr4j_batch)
HS_BATCH_ADAPTER(hs_hbv_gpu, hs_hbv_gpu)

/* ---- parameter sets as HRUs ---------------------------------------------------------------------
 * Any model of hs_model.h runs a batch of parameter sets as the HRUs of one multi-HRU model
 * with the lumped forcing repeated in every column: each HRU's results are the bits of a one-HRU
 * run (the interface's partition rule, tested per model), and models whose run() puts HRUs in
 * SIMD lanes (FUSE) get that speed here. */

typedef struct hru_batch {
    const hs_model_ops *ops;
    hs_model *m;
    size_t lanes, steps;
    double *p, *t, *e, *q; /* [steps][lanes]: forcing repeated per lane, runoff */
    double *params;        /* [lanes][n_params]: the sets, padded with copies of the first */
} hru_batch;

static void hru_batch_destroy(void **bp) {
    if (!bp || !*bp) return;
    hru_batch *b = *bp;
    hs_model_destroy(&b->m);
    hs_free(b->p);
    hs_free(b->t);
    hs_free(b->e);
    hs_free(b->q);
    hs_free(b->params);
    hs_free(b);
    *bp = NULL;
}

static hs_status hru_batch_create(const hs_model_ops *ops, size_t lanes, size_t steps,
                                  const hs_model_option *opts, size_t n_opts, hs_ctx *ctx,
                                  void **out) {
    if (!out) return HS_FAIL(ctx, HS_ERR_ARG, "%s batch: NULL output pointer", ops->name);
    *out = NULL;
    if (lanes == 0 || steps == 0 || lanes > SIZE_MAX / steps)
        return HS_FAIL(ctx, HS_ERR_ARG, "%s batch: %zu lanes x %zu steps: both must be >= 1 and "
                       "their product must fit", ops->name, lanes, steps);
    hru_batch *b = NULL;
    HS_TRY(hs_alloc(ctx, 1, sizeof *b, "model batch", (void **)&b));
    b->ops = ops;
    b->lanes = lanes;
    b->steps = steps;
    hs_status st = hs_model_create(ops, opts, n_opts, lanes, ctx, &b->m);
    const size_t n = lanes * steps;
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, b->p, n, "batch forcing");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, b->t, n, "batch forcing");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, b->e, n, "batch forcing");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, b->q, n, "batch runoff");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, b->params, lanes * ops->n_params, "batch parameters");
    if (st != HS_OK) {
        void *v = b;
        hru_batch_destroy(&v);
        return st;
    }
    *out = b;
    return HS_OK;
}

static hs_status hru_batch_run(void *bp, const double *params, size_t n_sets,
                               const hs_forcing_view *f, double *runoff_mm, hs_ctx *ctx) {
    hru_batch *b = bp;
    if (!b || !params || !f || !runoff_mm)
        return HS_FAIL(ctx, HS_ERR_ARG, "batch run: NULL batch, parameters, forcing or runoff");
    const char *name = b->ops->name;
    const size_t L = b->lanes, nt = f->n_time, np = b->ops->n_params;
    if (n_sets == 0 || n_sets > L)
        return HS_FAIL(ctx, HS_ERR_ARG, "%s batch run: %zu parameter sets; expected 1 to %zu",
                       name, n_sets, L);
    if (f->n_hru != 1 || nt > b->steps)
        return HS_FAIL(ctx, HS_ERR_ARG, "%s batch run: the forcing has %zu HRUs and %zu steps; "
                       "expected one lumped series of at most %zu steps", name, f->n_hru, nt,
                       b->steps);
    for (size_t k = 0; k < L; k++)
        memcpy(b->params + k * np, params + (k < n_sets ? k : 0) * np, np * sizeof *params);
    HS_TRY(hs_model_init(b->m, b->params, ctx)); /* HS_ERR_ARG: a set outside the limits */
    for (size_t t = 0; t < nt; t++)
        for (size_t k = 0; k < n_sets; k++) {
            if (f->precip_mm) b->p[t * L + k] = f->precip_mm[t];
            if (f->temp_c) b->t[t * L + k] = f->temp_c[t];
            if (f->pet_mm) b->e[t * L + k] = f->pet_mm[t];
        }
    const hs_forcing_view v = {.n_time = nt,
                               .n_hru = L,
                               .first_day = f->first_day,
                               .precip_mm = f->precip_mm ? b->p : NULL,
                               .temp_c = f->temp_c ? b->t : NULL,
                               .pet_mm = f->pet_mm ? b->e : NULL};
    const hs_flux_view out = {.runoff_mm = b->q, .aet_mm = NULL, .input_mm = NULL};
    HS_TRY(hs_model_run(b->m, (hs_range){0, n_sets}, &v, &out, ctx));
    for (size_t k = 0; k < n_sets; k++)
        for (size_t t = 0; t < nt; t++) runoff_mm[k * nt + t] = b->q[t * L + k];
    return HS_OK;
}

#define HS_HRU_BATCH_ADAPTER(prefix, ops)                                                        \
    static hs_status prefix##_create_any(size_t lanes, size_t steps, const hs_model_option *o,    \
                                         size_t no, hs_ctx *ctx, void **out) {                   \
        return hru_batch_create(&(ops), lanes, steps, o, no, ctx, out);                          \
    }

HS_HRU_BATCH_ADAPTER(fuse_hrus, hs_fuse_ops)
HS_HRU_BATCH_ADAPTER(hype_hrus, hs_hype_ops)
HS_HRU_BATCH_ADAPTER(gr4j_cn_hrus, hs_gr4j_cemaneige_ops)

static const hs_model_batch_ops table[] = {
    {&hs_hbv_ops, HS_BATCH_SIMD, true, hs_hbv_batch_create_any, hs_hbv_batch_run_any,
     hs_hbv_batch_destroy_any},
    {&hs_gr4j_ops, HS_BATCH_SIMD, true, hs_gr4j_batch_create_any, hs_gr4j_batch_run_any,
     hs_gr4j_batch_destroy_any},
    {&hs_fuse_ops, HS_BATCH_SIMD, false, fuse_hrus_create_any, hru_batch_run,
     hru_batch_destroy},
    {&hs_hype_ops, HS_BATCH_SIMD, false, hype_hrus_create_any, hru_batch_run,
     hru_batch_destroy},
    {&hs_gr4j_cemaneige_ops, HS_BATCH_SIMD, false, gr4j_cn_hrus_create_any, hru_batch_run,
     hru_batch_destroy},
    {&hs_hbv_ops, HS_BATCH_GPU, true, hs_hbv_gpu_create_any, hs_hbv_gpu_run_any,
     hs_hbv_gpu_destroy_any},
};

const hs_model_batch_ops *hs_model_batch_find(const hs_model_ops *model, hs_batch_kind kind) {
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].model == model && table[i].kind == kind) return &table[i];
    return NULL;
}
