/* hs_hbv_gpu_none.c -- the GPU backend's API in a build without CUDA (hs_hbv_gpu.h): it reports
 * that no GPU backend exists, so that the engine refuses MODEL_BACKEND: gpu with a message and
 * the GPU tests skip. */
#include "hs_hbv_gpu.h"

bool hs_hbv_gpu_built(void) { return false; }

int hs_hbv_gpu_device_count(void) { return 0; }

hs_status hs_hbv_gpu_create(size_t n_lanes_max, size_t n_steps_max, const hs_model_option *opts,
                            size_t n_opts, hs_ctx *ctx, hs_hbv_gpu **out) {
    (void)n_lanes_max, (void)n_steps_max, (void)opts, (void)n_opts;
    if (out) *out = NULL;
    return HS_FAIL(ctx, HS_ERR_EXTERNAL,
                   "HBV GPU backend: this hydroscale was built without CUDA (configure with "
                   "-DHS_ENABLE_GPU=ON where a CUDA compiler is installed)");
}

hs_status hs_hbv_gpu_run(hs_hbv_gpu *g, const double *params, size_t n_sets,
                         const hs_forcing_view *f, double *runoff_mm, hs_ctx *ctx) {
    (void)g, (void)params, (void)n_sets, (void)f, (void)runoff_mm;
    return HS_FAIL(ctx, HS_ERR_EXTERNAL, "HBV GPU backend: not built");
}

void hs_hbv_gpu_destroy(hs_hbv_gpu **g) {
    if (g) *g = NULL;
}
