/* hs_model_batch.h -- the batched backends behind one interface (MODEL_BACKEND batched, gpu).
 *
 * A batched backend evaluates many parameter sets of one model over one lumped forcing series at
 * once (docs/performance.md). The driver asks hs_model_batch_find() for the backend of a model
 * and a kind, and then only calls create/run/destroy, so a model gains a batched backend by
 * adding its kernel and one table row in hs_model_batch.c; nothing in the drivers changes. HBV
 * and GR4J have kernels of their own; every other model (FUSE, HYPE, GR4J_CemaNeige) runs its
 * parameter sets as the HRUs of one multi-HRU model over the repeated forcing, which is as fast
 * as the model's multi-HRU run (SIMD lanes for FUSE). Every backend here is bit-identical to the
 * model's scalar run in its default mode. */
#ifndef HS_HYDRO_MODEL_BATCH_H
#define HS_HYDRO_MODEL_BATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "hs_api.h"
#include "hs_model.h"

typedef enum hs_batch_kind { HS_BATCH_SIMD, HS_BATCH_GPU } hs_batch_kind;

typedef struct hs_model_batch_ops {
    const hs_model_ops *model; /* the scalar model it reproduces */
    hs_batch_kind kind;
    /** A kernel of its own, faster than the scalar model from about 8 sets (MODEL_BACKEND auto
     *  picks only these); false: the parameter sets run as the HRUs of one multi-HRU model. */
    bool dedicated;
    /** Room for n_lanes_max sets of n_steps_max days; `opts` as for the scalar model. */
    hs_status (*create)(size_t n_lanes_max, size_t n_steps_max, const hs_model_option *opts,
                        size_t n_opts, hs_ctx *ctx, void **out);
    /** Sets params[k * n_params + p], k < n_sets, over the lumped view f: runoff_mm[k * n_time
     *  + t]. HS_ERR_ARG (nothing written) when a set is outside the model's limits. */
    hs_status (*run)(void *batch, const double *params, size_t n_sets, const hs_forcing_view *f,
                     double *runoff_mm, hs_ctx *ctx);
    void (*destroy)(void **batch);
} hs_model_batch_ops;

/** The batched backend of `model` of this kind, or NULL when there is none. The model's options
 *  may still refuse it at create (e.g. GR4J with CemaNeige). */
HS_API const hs_model_batch_ops *hs_model_batch_find(const hs_model_ops *model, hs_batch_kind kind);

#endif /* HS_HYDRO_MODEL_BATCH_H */
