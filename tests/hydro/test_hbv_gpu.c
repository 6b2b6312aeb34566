/* test_hbv_gpu.c -- the CUDA HBV backend against the scalar model on the Bow forcing: random
 * parameter sets, runoff within 1e-12 relative (the device's pow differs from glibc's by an ulp
 * at most). Skips (exit 77, with the reason) when the backend was not built or no CUDA device
 * is present, as on the project's CI machines; the error path of the stub is checked then. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "bow_csv.h"
#include "hs_hbv.h"
#include "hs_hbv_gpu.h"
#include "hs_test.h"

int main(void) {
    hs_ctx *ctx = hs_ctx_create();
    if (!hs_hbv_gpu_built() || hs_hbv_gpu_device_count() == 0) {
        hs_hbv_gpu *g = NULL;
        HS_CHECK(hs_hbv_gpu_create(8, 100, NULL, 0, ctx, &g) != HS_OK);
        HS_CHECK(g == NULL);
        HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "HBV GPU backend");
        fprintf(stderr, "skipped: %s\n", hs_hbv_gpu_built() ? "no CUDA device found"
                                                            : "built without the GPU backend");
        hs_ctx_destroy(&ctx);
        return hs_test_failures ? 1 : 77;
    }
    const hs_day d0 = hs_day_from_ymd(2002, 1, 1), d1 = hs_day_from_ymd(2009, 12, 31);
    const size_t nt = (size_t)(d1 - d0 + 1);
    double *cols[3];
    for (int c = 0; c < 3; c++) cols[c] = malloc(nt * sizeof **cols);
    const char *names[3] = {"P_mm", "Tmean_C", "E_oudin_mm"};
    if (bow_read_columns(BOW_CLIMATE_CSV, names, 3, d0, d1, cols) != 0) return 1;
    for (size_t t = 0; t < nt; t++)
        for (int c = 0; c < 3; c++)
            if (isnan(cols[c][t])) cols[c][t] = t ? cols[c][t - 1] : 0.0;
    hs_forcing_view f = {nt, 1, d0, cols[0], cols[1], cols[2]};
    enum { B = 64 };
    double par[B * HS_HBV_NPAR];
    uint64_t s = 12345;
    for (int k = 0; k < B; k++)
        for (size_t p = 0; p < HS_HBV_NPAR; p++) {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            const double u = (double)(s >> 11) * 0x1.0p-53;
            par[k * HS_HBV_NPAR + p] =
                hs_hbv_ops.params[p].lower + u * (hs_hbv_ops.params[p].upper - hs_hbv_ops.params[p].lower);
        }
    double *gpu = malloc(B * nt * sizeof *gpu), *cpu = malloc(nt * sizeof *cpu);
    hs_hbv_gpu *g = NULL;
    HS_CHECK_INT(hs_hbv_gpu_create(B, nt, NULL, 0, ctx, &g), HS_OK);
    if (g) HS_CHECK_INT(hs_hbv_gpu_run(g, par, B, &f, gpu, ctx), HS_OK);
    double worst = 0;
    for (int k = 0; g && k < B; k++) {
        hs_model *m = NULL;
        if (hs_model_create(&hs_hbv_ops, NULL, 0, 1, ctx, &m) != HS_OK) break;
        hs_flux_view out = {cpu, NULL, NULL};
        HS_CHECK_INT(hs_model_init(m, par + k * HS_HBV_NPAR, ctx), HS_OK);
        HS_CHECK_INT(hs_model_run(m, (hs_range){0, 1}, &f, &out, ctx), HS_OK);
        for (size_t t = 0; t < nt; t++) {
            const double d = fabs(gpu[k * nt + t] - cpu[t]) / fmax(fabs(cpu[t]), 1e-6);
            if (d > worst) worst = d;
        }
        hs_model_destroy(&m);
    }
    fprintf(stderr, "GPU vs scalar HBV: %d sets x %zu days, worst relative difference %.2e\n", B,
            nt, worst);
    HS_CHECK(worst <= 1e-12);
    hs_hbv_gpu_destroy(&g);
    free(gpu), free(cpu);
    for (int c = 0; c < 3; c++) free(cols[c]);
    hs_ctx_destroy(&ctx);
    HS_TEST_REPORT();
}
