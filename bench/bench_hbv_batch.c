/* bench_hbv_batch.c -- cost of one HBV evaluation when a calibration evaluates candidates in
 * batches with the batched kernel (hydro/hs_hbv_batch.h): hs_hbv_batch_run over 2,922 daily
 * steps (2002-01-01 .. 2009-12-31, Bow River at Banff station forcing) for B parameter sets at
 * once + KGE (optim's hs_metric_kge) over the last 1,461 steps of each against observed
 * discharge (05BB001). Reported per evaluation-equivalent (time of a batch / B), one core, for
 * B = 1, 4, 8, 16, 32 and both pow modes, next to the scalar model (hs_model_init + run + the
 * same KGE), measured in the same process. Aim (issue 7): <= 25 us per evaluation-equivalent.
 *
 * Usage: bench_hbv_batch [evals per repeat (default 4000)] [variant: symfluence | light]
 *                        [data dir]
 * The data dir (holding climate_banff_station.csv and discharge_05BB001.csv) defaults to the
 * bundled testdata/bow (env HS_BENCH_DATA overrides). Forcing gaps are filled crudely (P -> 0,
 * T and PET -> previous day). Parameters: SYMFLUENCE defaults with small deterministic
 * variations, different in every evaluation. Median of 7 repeats after a warm-up. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "hs_ctx.h"
#include "hs_hbv.h"
#include "hs_hbv_batch.h"
#include "hs_metrics.h"
#include "hs_model.h"
#include "hs_sys.h"
#include "hs_time.h"

#define BENCH_N_DAYS 2922
#define BENCH_KGE_DAYS 1461
#define BENCH_AREA_KM2 2210.0
#define BENCH_MAX_B 32
#define BENCH_REPEATS 7

/* Parameters of evaluation i: defaults varied by up to +-5 % of the calibration range. */
static void bench_params(long i, double *par)
{
    const hs_param_info *pi = hs_hbv_ops.params;
    for (int k = 0; k < HS_HBV_NPAR; k++)
        par[k] = pi[k].dflt +
                 0.05 * (pi[k].upper - pi[k].lower) * sin(0.7 * (double)i + 1.3 * (double)k);
}

static double Q_obs[BENCH_N_DAYS];
static double sim[BENCH_MAX_B * BENCH_N_DAYS];
static double params[BENCH_MAX_B * HS_HBV_NPAR];

/* Median/best/worst us per evaluation of `n_evals` evaluations in batches of B; B = 0 runs the
 * scalar model. Returns 0 or -1. */
static int bench_case(hs_hbv_batch *b, hs_model *m, const hs_forcing_view *f, long B,
                      long n_evals, hs_ctx *ctx, double *med, double *best, double *worst,
                      double *checksum)
{
    const long per = B > 0 ? B : 1;
    const long rounds = (n_evals + per - 1) / per;
    double us[BENCH_REPEATS];
    const hs_flux_view out = {.runoff_mm = sim, .aet_mm = NULL, .input_mm = NULL};
    for (int r = -1; r < BENCH_REPEATS; r++) { /* r = -1: warm-up */
        const double t0 = hs_wall_time();
        long ev = 0;
        for (long round = 0; round < rounds; round++) {
            for (long k = 0; k < per; k++) bench_params(ev + k, params + k * HS_HBV_NPAR);
            if (B > 0) {
                if (hs_hbv_batch_run(b, params, (size_t)B, f, sim, ctx) != HS_OK) return -1;
            } else if (hs_model_init(m, params, ctx) != HS_OK ||
                       hs_model_run(m, (hs_range){0, 1}, f, &out, ctx) != HS_OK) {
                return -1;
            }
            for (long k = 0; k < per; k++)
                *checksum += hs_metric_kge(sim + k * BENCH_N_DAYS + BENCH_N_DAYS - BENCH_KGE_DAYS,
                                           Q_obs + BENCH_N_DAYS - BENCH_KGE_DAYS, BENCH_KGE_DAYS,
                                           NULL);
            ev += per;
        }
        if (r >= 0) us[r] = (hs_wall_time() - t0) / (double)(rounds * per) * 1e6;
    }
    qsort(us, BENCH_REPEATS, sizeof us[0], bench_cmp_double);
    *med = us[BENCH_REPEATS / 2];
    *best = us[0];
    *worst = us[BENCH_REPEATS - 1];
    return 0;
}

int main(int argc, char **argv)
{
    const long n_evals = argc > 1 ? strtol(argv[1], NULL, 10) : 4000;
    const char *variant = argc > 2 ? argv[2] : "symfluence";
    const char *env_dir = getenv("HS_BENCH_DATA");
    const char *data_dir = argc > 3 ? argv[3] : env_dir ? env_dir : HS_TESTDATA_DIR "/bow";
    if (n_evals < 1) {
        fprintf(stderr, "usage: bench_hbv_batch [evals per repeat] [symfluence|light] "
                "[data dir]\n");
        return 2;
    }

    const hs_day start = hs_day_from_ymd(2002, 1, 1);
    static double P[BENCH_N_DAYS], T[BENCH_N_DAYS], E[BENCH_N_DAYS];
    char path[4096];
    double *clim[3] = {P, T, E};
    static const char *const clim_names[3] = {"P_mm", "Tmean_C", "E_oudin_mm"};
    snprintf(path, sizeof path, "%s/climate_banff_station.csv", data_dir);
    if (bench_read_csv_columns("bench_hbv_batch", path, clim_names, 3, start, BENCH_N_DAYS, clim) != 0) return 1;
    double *qcol[1] = {Q_obs};
    static const char *const q_names[1] = {"Q_m3s"};
    snprintf(path, sizeof path, "%s/discharge_05BB001.csv", data_dir);
    if (bench_read_csv_columns("bench_hbv_batch", path, q_names, 1, start, BENCH_N_DAYS, qcol) != 0) return 1;
    for (int t = 0; t < BENCH_N_DAYS; t++) {
        if (isnan(P[t])) P[t] = 0.0;
        if (isnan(T[t])) T[t] = t ? T[t - 1] : 0.0;
        if (isnan(E[t])) E[t] = t ? E[t - 1] : 0.0;
        Q_obs[t] = Q_obs[t] * 86.4 / BENCH_AREA_KM2; /* m3/s -> mm/d; NAN stays NAN */
    }

    hs_ctx *ctx = hs_ctx_create();
    if (!ctx) return 1;
    const hs_forcing_view f = {.n_time = BENCH_N_DAYS, .n_hru = 1, .first_day = start,
                               .precip_mm = P, .temp_c = T, .pet_mm = E};
    hs_model *m = NULL;
    hs_hbv_batch *bx = NULL, *bv = NULL;
    const hs_model_option o_exact[] = {{"HBV_VARIANT", variant}, {"HBV_BATCH_POW", "exact"}};
    const hs_model_option o_vec[] = {{"HBV_VARIANT", variant}, {"HBV_BATCH_POW", "vector"}};
    if (hs_model_create(&hs_hbv_ops, o_exact, 1, 1, ctx, &m) != HS_OK ||
        hs_hbv_batch_create(BENCH_MAX_B, BENCH_N_DAYS, o_exact, 2, ctx, &bx) != HS_OK ||
        hs_hbv_batch_create(BENCH_MAX_B, BENCH_N_DAYS, o_vec, 2, ctx, &bv) != HS_OK) {
        fprintf(stderr, "bench_hbv_batch: %s\n", hs_ctx_message(ctx));
        return 1;
    }

    char cpu[256];
    bench_cpu_name(cpu, sizeof cpu);
    printf("bench_hbv_batch: HBV (%s) batched run of %d daily steps + KGE over %d steps "
           "per set, 1 core\n", variant, BENCH_N_DAYS, BENCH_KGE_DAYS);
    printf("command:   ");
    for (int a = 0; a < argc; a++) printf("%s%s", a ? " " : "", argv[a]);
    printf("\n");
    printf("cpu:       %s (kernel copy: %s)\n", cpu, hs_hbv_batch_isa());
#ifdef __OPTIMIZE__
    printf("compiler:  %s, optimised build\n", __VERSION__);
#else
    printf("compiler:  %s, NOT optimised (-O0): numbers are meaningless\n", __VERSION__);
#endif
    printf("evals:     %d repeats x %ld evaluation-equivalents (after one warm-up repeat); "
           "us per evaluation-equivalent = batch time / B, KGE included\n", BENCH_REPEATS,
           n_evals);
    printf("%-8s %-7s %10s %10s %10s %9s\n", "B", "pow", "median_us", "best_us", "worst_us",
           "speedup");

    double checksum = 0.0, med, best, worst;
    if (bench_case(NULL, m, &f, 0, n_evals, ctx, &med, &best, &worst, &checksum) != 0) {
        fprintf(stderr, "bench_hbv_batch: %s\n", hs_ctx_message(ctx));
        return 1;
    }
    const double scalar_us = med;
    printf("%-8s %-7s %10.2f %10.2f %10.2f %9.2f\n", "scalar", "glibc", med, best, worst, 1.0);
    static const long sizes[] = {1, 4, 8, 16, 32};
    for (int mode = 0; mode < 2; mode++) {
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            if (bench_case(mode ? bv : bx, NULL, &f, sizes[i], n_evals, ctx, &med, &best, &worst,
                           &checksum) != 0) {
                fprintf(stderr, "bench_hbv_batch: %s\n", hs_ctx_message(ctx));
                return 1;
            }
            printf("%-8ld %-7s %10.2f %10.2f %10.2f %9.2f\n", sizes[i], mode ? "vector" : "exact",
                   med, best, worst, scalar_us / med);
            fflush(stdout);
        }
    }
    /* The KGE part alone (included in every row above), for reading the table. */
    {
        double kus[BENCH_REPEATS];
        for (int r = 0; r < BENCH_REPEATS; r++) {
            const double t0 = hs_wall_time();
            for (long i = 0; i < n_evals; i++)
                checksum += hs_metric_kge(sim + BENCH_N_DAYS - BENCH_KGE_DAYS,
                                          Q_obs + BENCH_N_DAYS - BENCH_KGE_DAYS, BENCH_KGE_DAYS,
                                          NULL);
            kus[r] = (hs_wall_time() - t0) / (double)n_evals * 1e6;
        }
        qsort(kus, BENCH_REPEATS, sizeof kus[0], bench_cmp_double);
        printf("KGE alone: median %.2f us per evaluation (part of every row)\n",
               kus[BENCH_REPEATS / 2]);
    }
    printf("checksum %.6f\n", checksum);
    hs_hbv_batch_destroy(&bx);
    hs_hbv_batch_destroy(&bv);
    hs_model_destroy(&m);
    hs_ctx_destroy(&ctx);
    return 0;
}
