/* bench_hbv.c -- latency of one HBV evaluation as a calibration sees it: hs_model_init (new
 * parameters, states reset) + hs_model_run over 2,922 daily steps (2002-01-01 .. 2009-12-31,
 * Bow River at Banff station forcing) + KGE over the last 1,461 steps against observed discharge
 * (05BB001). Target: <= 100 us per evaluation on one core.
 *
 * Usage: bench_hbv [n_evals (default 5000)] [variant: symfluence | light] [data dir]
 * The data dir (holding climate_banff_station.csv and discharge_05BB001.csv) defaults to the
 * bundled testdata/bow (env HS_BENCH_DATA overrides).
 * Forcing gaps are filled crudely (P -> 0, T and PET -> previous day): the benchmark only needs
 * realistic numbers. Parameters: SYMFLUENCE defaults with small deterministic variations, so
 * that no two evaluations are identical. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "hs_ctx.h"
#include "hs_hbv.h"
#include "hs_metrics.h"
#include "hs_model.h"
#include "hs_sys.h"
#include "hs_time.h"

#define BENCH_N_DAYS 2922
#define BENCH_KGE_DAYS 1461
#define BENCH_AREA_KM2 2210.0

int main(int argc, char **argv)
{
    const long n_evals = argc > 1 ? strtol(argv[1], NULL, 10) : 5000;
    const char *variant = argc > 2 ? argv[2] : "symfluence";
    const char *env_dir = getenv("HS_BENCH_DATA");
    const char *data_dir = argc > 3 ? argv[3] : env_dir ? env_dir : HS_TESTDATA_DIR "/bow";
    if (n_evals < 1) {
        fprintf(stderr, "usage: bench_hbv [n_evals] [symfluence|light] [data dir]\n");
        return 2;
    }

    const hs_day start = hs_day_from_ymd(2002, 1, 1);
    static double P[BENCH_N_DAYS], T[BENCH_N_DAYS], E[BENCH_N_DAYS], Q[BENCH_N_DAYS];
    static double sim[BENCH_N_DAYS];
    char path[4096];
    double *clim[3] = {P, T, E};
    static const char *const clim_names[3] = {"P_mm", "Tmean_C", "E_oudin_mm"};
    snprintf(path, sizeof path, "%s/climate_banff_station.csv", data_dir);
    if (bench_read_csv_columns("bench_hbv", path, clim_names, 3, start, BENCH_N_DAYS, clim) != 0) return 1;
    double *qcol[1] = {Q};
    static const char *const q_names[1] = {"Q_m3s"};
    snprintf(path, sizeof path, "%s/discharge_05BB001.csv", data_dir);
    if (bench_read_csv_columns("bench_hbv", path, q_names, 1, start, BENCH_N_DAYS, qcol) != 0) return 1;
    for (int t = 0; t < BENCH_N_DAYS; t++) {
        if (isnan(P[t])) P[t] = 0.0;
        if (isnan(T[t])) T[t] = t ? T[t - 1] : 0.0;
        if (isnan(E[t])) E[t] = t ? E[t - 1] : 0.0;
        Q[t] = Q[t] * 86.4 / BENCH_AREA_KM2; /* m3/s -> mm/d; NAN stays NAN (skipped by KGE) */
    }

    hs_ctx *ctx = hs_ctx_create();
    if (!ctx) return 1;
    const hs_model_option opts[] = {{"HBV_VARIANT", variant}};
    hs_model *m = NULL;
    if (hs_model_create(&hs_hbv_ops, opts, 1, 1, ctx, &m) != HS_OK) {
        fprintf(stderr, "bench_hbv: %s\n", hs_ctx_message(ctx));
        return 1;
    }
    const hs_forcing_view f = {.n_time = BENCH_N_DAYS, .n_hru = 1, .first_day = start,
                               .precip_mm = P, .temp_c = T, .pet_mm = E};
    const hs_flux_view out = {.runoff_mm = sim, .aet_mm = NULL, .input_mm = NULL};
    const hs_param_info *pi = hs_hbv_ops.params;
    double par[HS_HBV_NPAR];
    double kge_default = 0.0, checksum = 0.0;

    /* One evaluation: defaults varied by up to +-5 % of the calibration range, deterministically. */
#define BENCH_EVAL(i)                                                                        \
    do {                                                                                     \
        for (int k_ = 0; k_ < HS_HBV_NPAR; k_++)                                             \
            par[k_] = pi[k_].dflt + 0.05 * (pi[k_].upper - pi[k_].lower) *                   \
                                        sin(0.7 * (double)(i) + 1.3 * (double)k_);           \
        if (hs_model_init(m, par, ctx) != HS_OK ||                                           \
            hs_model_run(m, (hs_range){0, 1}, &f, &out, ctx) != HS_OK) {                     \
            fprintf(stderr, "bench_hbv: %s\n", hs_ctx_message(ctx));                         \
            return 1;                                                                        \
        }                                                                                    \
        checksum += hs_metric_kge(sim + BENCH_N_DAYS - BENCH_KGE_DAYS,                       \
                                  Q + BENCH_N_DAYS - BENCH_KGE_DAYS, BENCH_KGE_DAYS, NULL);    \
    } while (0)

    /* KGE of the default parameters, for the record */
    for (int k = 0; k < HS_HBV_NPAR; k++) par[k] = pi[k].dflt;
    if (hs_model_init(m, par, ctx) != HS_OK ||
        hs_model_run(m, (hs_range){0, 1}, &f, &out, ctx) != HS_OK)
        return 1;
    kge_default = hs_metric_kge(sim + BENCH_N_DAYS - BENCH_KGE_DAYS,
                                Q + BENCH_N_DAYS - BENCH_KGE_DAYS, BENCH_KGE_DAYS, NULL);

    for (long i = 0; i < 500; i++) BENCH_EVAL(i); /* warm-up */

    enum { REPEATS = 7 };
    double us[REPEATS];
    for (int r = 0; r < REPEATS; r++) {
        const double t0 = hs_wall_time();
        for (long i = 0; i < n_evals; i++) BENCH_EVAL(i);
        us[r] = (hs_wall_time() - t0) / (double)n_evals * 1e6;
    }
    qsort(us, REPEATS, sizeof us[0], bench_cmp_double);

    char cpu[256];
    bench_cpu_name(cpu, sizeof cpu);
    printf("bench_hbv: HBV (%s) init + run %d daily steps + KGE over %d steps, 1 HRU, 1 core\n",
           variant, BENCH_N_DAYS, BENCH_KGE_DAYS);
    printf("command:   ");
    for (int a = 0; a < argc; a++) printf("%s%s", a ? " " : "", argv[a]);
    printf("\n");
    printf("cpu:       %s\n", cpu);
#ifdef __OPTIMIZE__
    printf("compiler:  %s, optimised build\n", __VERSION__);
#else
    printf("compiler:  %s, NOT optimised (-O0): numbers are meaningless\n", __VERSION__);
#endif
    printf("evals:     %d repeats x %ld evaluations (after 500 warm-up)\n", REPEATS, n_evals);
    printf("latency:   median %.2f us/eval, best %.2f, worst %.2f  (target <= 100 us)\n",
           us[REPEATS / 2], us[0], us[REPEATS - 1]);
    printf("throughput: %.0f evals/s (median)\n", 1e6 / us[REPEATS / 2]);
    printf("KGE(default params) = %.6f; checksum %.6f\n", kge_default, checksum);
    hs_model_destroy(&m);
    hs_ctx_destroy(&ctx);
    return 0;
}
