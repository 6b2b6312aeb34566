/* hs_hbv_gpu.cu -- the CUDA HBV kernel behind hs_hbv_gpu.h.
 *
 * One thread per parameter set. The step is hs_hbv.c's hbv_run_hru transcribed operation for
 * operation (Python-style min/max, the zero-input shortcut of the recharge power, the ring
 * buffer of MAXBAS weights computed on the host by the scalar model's own function), so only
 * the device's libm (pow) separates the results. Compiled by nvcc only when HS_ENABLE_GPU is ON
 * and CMake found CUDA; -fmad=false keeps a*b+c uncontracted, as the scalar build does. */
#include <cuda_runtime.h>

#include <stdlib.h>
#include <string.h>

extern "C" {
#include "hs_hbv.h"
#include "hs_hbv_gpu.h"
#include "hs_hbv_impl.h"
}

#define RING HS_HBV_RING
#define RING_MASK (HS_HBV_RING - 1)

struct hs_hbv_gpu {
    size_t n_lanes_max, n_steps_max;
    hs_hbv_options opt;
    double *d_p, *d_t, *d_e;   /* forcing [n_steps_max] */
    double *d_par;             /* [n_lanes_max][HS_HBV_NPAR] */
    double *d_w;               /* [n_lanes_max][RING] routing weights */
    int *d_nw;                 /* [n_lanes_max] */
    double *d_q;               /* [n_lanes_max][n_steps_max] */
    double *h_w;               /* host staging of the weights */
    int *h_nw;
    const double *last_p, *last_t, *last_e; /* forcing copied last (host pointers) */
    size_t last_n;
};

static hs_status cuda_fail(hs_ctx *ctx, cudaError_t rc, const char *what) {
    return HS_FAIL(ctx, HS_ERR_EXTERNAL, "HBV GPU backend: %s: %s", what, cudaGetErrorString(rc));
}

#define CUDA_TRY(ctx, call, what)                                                                 \
    do {                                                                                          \
        cudaError_t rc_ = (call);                                                                 \
        if (rc_ != cudaSuccess) return cuda_fail((ctx), rc_, (what));                             \
    } while (0)

__device__ static inline double py_max(double a, double b) { return b > a ? b : a; }
__device__ static inline double py_min(double a, double b) { return b < a ? b : a; }

__global__ static void hbv_kernel(size_t n_sets, size_t nt, const double *prec,
                                  const double *temp, const double *pet, const double *par_all,
                                  const double *w_all, const int *nw_all, double *q_all,
                                  hs_hbv_options o) {
    const size_t k = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (k >= n_sets) return;
    const double *par = par_all + k * HS_HBV_NPAR;
    const double tt = par[HS_HBV_TT], cfmax = par[HS_HBV_CFMAX], sfcf = par[HS_HBV_SFCF];
    const double cfr = par[HS_HBV_CFR], cwh = par[HS_HBV_CWH], fc = par[HS_HBV_FC];
    const double lp = par[HS_HBV_LP], beta = par[HS_HBV_BETA], k0 = par[HS_HBV_K0];
    const double k1 = par[HS_HBV_K1], k2 = par[HS_HBV_K2], uzl = par[HS_HBV_UZL];
    const double percmax = par[HS_HBV_PERC];
    const double cfr_cfmax = cfr * cfmax, lpfc = lp * fc;
    double snow = o.snow0, sw = 0.0, sm = o.sm0_from_lpfc ? lp * fc : o.sm0;
    double suz = o.suz0, slz = o.slz0;
    double ring[RING];
    for (int r = 0; r < RING; r++) ring[r] = 0.0;
    const double *w = w_all + k * RING;
    const int nw = nw_all[k];
    unsigned head = 0;
    double *q_out = q_all + k * nt;
    for (size_t t = 0; t < nt; t++) {
        const double p = prec[t], temp_c = temp[t], e = pet[t];
        const double snow_start = snow;
        const double rainfall = temp_c > tt ? p : 0.0;
        const double snowfall = temp_c <= tt ? p * sfcf : 0.0;
        snow = snow + snowfall;
        const double pot_melt = cfmax * py_max(temp_c - tt, 0.0);
        const double melt = py_min(pot_melt, snow);
        snow = snow - melt;
        sw = sw + melt + rainfall;
        const double pot_refreeze = cfr_cfmax * py_max(tt - temp_c, 0.0);
        const double refreeze = py_min(pot_refreeze, sw);
        snow = snow + refreeze;
        sw = sw - refreeze;
        const double max_water = cwh * snow;
        const double outflow = py_max(sw - max_water, 0.0);
        sw = py_min(sw, max_water);
        const double sm_before = sm;
        double recharge;
        if (!o.increment) {
            if (outflow != 0.0) {
                const double rel = py_min(sm / fc, 1.0);
                recharge = rel == 1.0 ? outflow : outflow * pow(rel, beta);
            } else {
                recharge = outflow;
            }
            sm = sm + outflow - recharge;
        } else {
            recharge = 0.0;
            if (outflow != 0.0) {
                const double whole = outflow < HS_HBV_INCREMENT_MAX_MM ? floor(outflow) : 0.0;
                for (double s = 0.0; s < whole; s += 1.0) {
                    const double r = pow(py_min(sm / fc, 1.0), beta);
                    recharge += r;
                    sm = sm + 1.0 - r;
                }
                const double rest = outflow - whole;
                const double r = rest * pow(py_min(sm / fc, 1.0), beta);
                recharge += r;
                sm = sm + rest - r;
            }
        }
        const double sm_et = o.aet_mean ? 0.5 * (sm_before + sm) : sm;
        const double et_factor = sm_et < lpfc ? sm_et / lpfc : 1.0;
        double aet = py_min(e * et_factor, sm);
        if (o.aet_snow_off && snow_start > 0.0) aet = 0.0;
        sm = sm - aet;
        sm = py_max(sm, 0.0);
        suz = suz + recharge;
        const double perc = py_min(percmax, suz);
        suz = suz - perc;
        slz = slz + perc;
        const double q0 = k0 * py_max(suz - uzl, 0.0);
        const double q1 = k1 * suz;
        const double q2 = k2 * slz;
        suz = py_max(suz - q0 - q1, 0.0);
        slz = py_max(slz - q2, 0.0);
        const double q = q0 + q1 + q2;
        for (int j = 0; j < nw; j++) ring[(head + (unsigned)j) & RING_MASK] += q * w[j];
        q_out[t] = ring[head];
        ring[head] = 0.0;
        head = (head + 1) & RING_MASK;
    }
}

extern "C" bool hs_hbv_gpu_built(void) { return true; }

extern "C" int hs_hbv_gpu_device_count(void) {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) return 0;
    return n;
}

extern "C" void hs_hbv_gpu_destroy(hs_hbv_gpu **gp) {
    if (!gp || !*gp) return;
    hs_hbv_gpu *g = *gp;
    cudaFree(g->d_p);
    cudaFree(g->d_t);
    cudaFree(g->d_e);
    cudaFree(g->d_par);
    cudaFree(g->d_w);
    cudaFree(g->d_nw);
    cudaFree(g->d_q);
    free(g->h_w);
    free(g->h_nw);
    free(g);
    *gp = NULL;
}

static hs_status gpu_alloc(hs_hbv_gpu *g, hs_ctx *ctx) {
    const size_t nl = g->n_lanes_max, ns = g->n_steps_max;
    CUDA_TRY(ctx, cudaMalloc((void **)&g->d_p, ns * sizeof(double)), "cudaMalloc forcing");
    CUDA_TRY(ctx, cudaMalloc((void **)&g->d_t, ns * sizeof(double)), "cudaMalloc forcing");
    CUDA_TRY(ctx, cudaMalloc((void **)&g->d_e, ns * sizeof(double)), "cudaMalloc forcing");
    CUDA_TRY(ctx, cudaMalloc((void **)&g->d_par, nl * HS_HBV_NPAR * sizeof(double)),
             "cudaMalloc parameters");
    CUDA_TRY(ctx, cudaMalloc((void **)&g->d_w, nl * RING * sizeof(double)), "cudaMalloc weights");
    CUDA_TRY(ctx, cudaMalloc((void **)&g->d_nw, nl * sizeof(int)), "cudaMalloc weights");
    CUDA_TRY(ctx, cudaMalloc((void **)&g->d_q, nl * ns * sizeof(double)), "cudaMalloc runoff");
    g->h_w = (double *)calloc(nl * RING, sizeof(double));
    g->h_nw = (int *)calloc(nl, sizeof(int));
    if (!g->h_w || !g->h_nw) return HS_FAIL(ctx, HS_ERR_NOMEM, "HBV GPU backend: out of memory");
    return HS_OK;
}

extern "C" hs_status hs_hbv_gpu_create(size_t n_lanes_max, size_t n_steps_max,
                                       const hs_model_option *opts, size_t n_opts, hs_ctx *ctx,
                                       hs_hbv_gpu **out) {
    if (!out || n_lanes_max == 0 || n_steps_max == 0)
        return HS_FAIL(ctx, HS_ERR_ARG, "HBV GPU backend: NULL output or zero size");
    *out = NULL;
    if (hs_hbv_gpu_device_count() == 0)
        return HS_FAIL(ctx, HS_ERR_EXTERNAL, "HBV GPU backend: no CUDA device found");
    hs_hbv_gpu *g = (hs_hbv_gpu *)calloc(1, sizeof *g);
    if (!g) return HS_FAIL(ctx, HS_ERR_NOMEM, "HBV GPU backend: out of memory");
    g->n_lanes_max = n_lanes_max;
    g->n_steps_max = n_steps_max;
    hs_status st = hs_hbv_options_parse(opts, n_opts, ctx, &g->opt);
    if (st == HS_OK) st = gpu_alloc(g, ctx);
    if (st != HS_OK) {
        hs_hbv_gpu_destroy(&g);
        return st;
    }
    *out = g;
    return HS_OK;
}

extern "C" hs_status hs_hbv_gpu_run(hs_hbv_gpu *g, const double *params, size_t n_sets,
                                    const hs_forcing_view *f, double *runoff_mm, hs_ctx *ctx) {
    if (!g || !params || !f || !runoff_mm)
        return HS_FAIL(ctx, HS_ERR_ARG, "HBV GPU backend: NULL argument");
    if (n_sets == 0 || n_sets > g->n_lanes_max || f->n_hru != 1 || f->n_time > g->n_steps_max)
        return HS_FAIL(ctx, HS_ERR_ARG,
                       "HBV GPU backend: %zu sets (at most %zu) over %zu steps (at most %zu) of "
                       "%zu series (expected 1)",
                       n_sets, g->n_lanes_max, f->n_time, g->n_steps_max, f->n_hru);
    for (size_t k = 0; k < n_sets; k++)
        for (size_t p = 0; p < HS_HBV_NPAR; p++)
            HS_TRY(hs_hbv_param_check(ctx, p, "parameter set", k, params[k * HS_HBV_NPAR + p]));
    const size_t nt = f->n_time;
    if (f->precip_mm != g->last_p || f->temp_c != g->last_t || f->pet_mm != g->last_e ||
        nt != g->last_n) {
        CUDA_TRY(ctx, cudaMemcpy(g->d_p, f->precip_mm, nt * sizeof(double), cudaMemcpyHostToDevice),
                 "copy forcing");
        CUDA_TRY(ctx, cudaMemcpy(g->d_t, f->temp_c, nt * sizeof(double), cudaMemcpyHostToDevice),
                 "copy forcing");
        CUDA_TRY(ctx, cudaMemcpy(g->d_e, f->pet_mm, nt * sizeof(double), cudaMemcpyHostToDevice),
                 "copy forcing");
        g->last_p = f->precip_mm, g->last_t = f->temp_c, g->last_e = f->pet_mm, g->last_n = nt;
    }
    for (size_t k = 0; k < n_sets; k++)
        g->h_nw[k] = (int)hs_hbv_maxbas_weights_len(params[k * HS_HBV_NPAR + HS_HBV_MAXBAS],
                                                    g->opt.integral, g->opt.buffer_len,
                                                    g->h_w + k * RING, RING);
    CUDA_TRY(ctx, cudaMemcpy(g->d_par, params, n_sets * HS_HBV_NPAR * sizeof(double),
                             cudaMemcpyHostToDevice), "copy parameters");
    CUDA_TRY(ctx, cudaMemcpy(g->d_w, g->h_w, n_sets * RING * sizeof(double), cudaMemcpyHostToDevice),
             "copy weights");
    CUDA_TRY(ctx, cudaMemcpy(g->d_nw, g->h_nw, n_sets * sizeof(int), cudaMemcpyHostToDevice),
             "copy weights");
    const unsigned threads = 64;
    const unsigned blocks = (unsigned)((n_sets + threads - 1) / threads);
    hbv_kernel<<<blocks, threads>>>(n_sets, nt, g->d_p, g->d_t, g->d_e, g->d_par, g->d_w, g->d_nw,
                                    g->d_q, g->opt);
    CUDA_TRY(ctx, cudaGetLastError(), "kernel launch");
    CUDA_TRY(ctx, cudaMemcpy(runoff_mm, g->d_q, n_sets * nt * sizeof(double), cudaMemcpyDeviceToHost),
             "copy runoff");
    return HS_OK;
}
