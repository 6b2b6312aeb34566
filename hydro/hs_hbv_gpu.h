/* hs_hbv_gpu.h -- HBV on a CUDA GPU: one GPU thread per parameter set (MODEL_BACKEND: gpu).
 *
 * The same equations, order and options as the scalar model (hs_hbv.c; docs-models.md §1): each
 * thread runs one parameter set over the whole lumped forcing, which lives in device memory for
 * the life of the object, and writes its routed runoff. Double precision throughout; the GPU's
 * pow/exp/log are not glibc's (CUDA's are within 1-2 ulp), so results agree with the scalar
 * model to round-off, not bit for bit; the test states 1e-12 relative on runoff.
 *
 * Built only when CMake finds a CUDA compiler and HS_ENABLE_GPU is ON (hs_hbv_gpu.cu); otherwise
 * hs_hbv_gpu_none.c provides the same API, which reports that no GPU backend was built. Both
 * builds answer hs_hbv_gpu_device_count(), so callers and tests can skip cleanly. */
#ifndef HS_HYDRO_HBV_GPU_H
#define HS_HYDRO_HBV_GPU_H

#include <stdbool.h>
#include <stddef.h>

#include "hs_api.h"
#include "hs_ctx.h"
#include "hs_model.h"

#ifdef __cplusplus
extern "C" {
#endif

/** True when this hydroscale was built with the CUDA backend. */
HS_API bool hs_hbv_gpu_built(void);
/** Number of CUDA devices usable now (0 when not built, no driver, or no device). */
HS_API int hs_hbv_gpu_device_count(void);

typedef struct hs_hbv_gpu hs_hbv_gpu;

/** Creates the device buffers for up to n_lanes_max parameter sets and n_steps_max steps.
 *  `opts` are HBV options as for hs_model_create(&hs_hbv_ops, ...). HS_ERR_EXTERNAL (with the
 *  CUDA error text) when no device can be used or the backend was not built. Free with
 *  hs_hbv_gpu_destroy(). */
HS_NODISCARD HS_API hs_status hs_hbv_gpu_create(size_t n_lanes_max, size_t n_steps_max,
                                                const hs_model_option *opts, size_t n_opts,
                                                hs_ctx *ctx, hs_hbv_gpu **out);
/** Runs n_sets parameter sets (params[k * HS_HBV_NPAR + p]) over the lumped forcing f (n_hru
 *  1) from the initial state; runoff_mm[k * f->n_time + t] (host memory). Parameters outside
 *  the physical limits give HS_ERR_ARG naming the set before anything runs. The forcing is
 *  copied to the device when it differs from the last run's pointers or length. */
HS_NODISCARD HS_API hs_status hs_hbv_gpu_run(hs_hbv_gpu *g, const double *params, size_t n_sets,
                                             const hs_forcing_view *f, double *runoff_mm,
                                             hs_ctx *ctx);
/** NULL-safe; sets *g to NULL. */
HS_API void hs_hbv_gpu_destroy(hs_hbv_gpu **g);

#ifdef __cplusplus
}
#endif

#endif /* HS_HYDRO_HBV_GPU_H */
