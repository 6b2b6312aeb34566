/* hs_model_batch.c -- the table of batched backends (hs_model_batch.h). */
#include "hs_model_batch.h"

#include "hs_gr4j.h"
#include "hs_gr4j_batch.h"
#include "hs_hbv.h"
#include "hs_hbv_batch.h"
#include "hs_hbv_gpu.h"

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

static const hs_model_batch_ops table[] = {
    {&hs_hbv_ops, HS_BATCH_SIMD, hs_hbv_batch_create_any, hs_hbv_batch_run_any,
     hs_hbv_batch_destroy_any},
    {&hs_gr4j_ops, HS_BATCH_SIMD, hs_gr4j_batch_create_any, hs_gr4j_batch_run_any,
     hs_gr4j_batch_destroy_any},
    {&hs_hbv_ops, HS_BATCH_GPU, hs_hbv_gpu_create_any, hs_hbv_gpu_run_any,
     hs_hbv_gpu_destroy_any},
};

const hs_model_batch_ops *hs_model_batch_find(const hs_model_ops *model, hs_batch_kind kind) {
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].model == model && table[i].kind == kind) return &table[i];
    return NULL;
}
