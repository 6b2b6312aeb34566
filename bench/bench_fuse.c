/* bench_fuse.c -- cost of the FUSE kernel (hydro/hs_fuse.c, docs-models.md §3) in ns per
 * HRU-step: hs_model_init (new parameters, states reset) + hs_model_run over 2,922 daily steps
 * (2002-01-01 .. 2009-12-31, Bow River at Banff station forcing) for n_hru HRUs (the forcing
 * repeated with small per-HRU variations). Target: <= 60 ns per HRU-step (one core).
 *
 * Usage: bench_fuse [n_evals (default 20)] [structure: VIC|PRMS|SACRAMENTO|TOPMODEL]
 *                   [numerics: implicit|explicit_substep] [n_hru (default 16)] [data dir]
 * The data dir (holding climate_banff_station.csv) defaults to the bundled testdata/bow (env
 * HS_BENCH_DATA overrides). Forcing gaps: P -> 0, T and PET -> previous day. Parameters: the
 * defaults varied deterministically by up to +-5 % of the calibration range per evaluation,
 * clipped to the bounds. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "hs_ctx.h"
#include "hs_fuse.h"
#include "hs_model.h"
#include "hs_sys.h"
#include "hs_time.h"

#define BENCH_N_DAYS 2922

int main(int argc, char **argv)
{
    const long n_evals = argc > 1 ? strtol(argv[1], NULL, 10) : 20;
    const char *structure = argc > 2 ? argv[2] : "VIC";
    const char *numerics = argc > 3 ? argv[3] : "implicit";
    const long n_hru_l = argc > 4 ? strtol(argv[4], NULL, 10) : 16;
    const char *env_dir = getenv("HS_BENCH_DATA");
    const char *data_dir = argc > 5 ? argv[5] : env_dir ? env_dir : HS_TESTDATA_DIR "/bow";
    if (n_evals < 1 || n_hru_l < 1 || n_hru_l > 4096) {
        fprintf(stderr, "usage: bench_fuse [n_evals] [VIC|PRMS|SACRAMENTO|TOPMODEL] "
                        "[implicit|explicit_substep] [n_hru 1..4096] [data dir]\n");
        return 2;
    }
    const size_t nh = (size_t)n_hru_l, nt = BENCH_N_DAYS;

    const hs_day start = hs_day_from_ymd(2002, 1, 1);
    static double P1[BENCH_N_DAYS], T1[BENCH_N_DAYS], E1[BENCH_N_DAYS];
    char path[4096];
    double *clim[3] = {P1, T1, E1};
    static const char *const clim_names[3] = {"P_mm", "Tmean_C", "E_oudin_mm"};
    snprintf(path, sizeof path, "%s/climate_banff_station.csv", data_dir);
    if (bench_read_csv_columns("bench_fuse", path, clim_names, 3, start, BENCH_N_DAYS, clim) != 0) return 1;
    for (size_t t = 0; t < nt; t++) {
        if (isnan(P1[t])) P1[t] = 0.0;
        if (isnan(T1[t])) T1[t] = t ? T1[t - 1] : 0.0;
        if (isnan(E1[t])) E1[t] = t ? E1[t - 1] : 0.0;
    }
    double *buf = malloc(4 * nt * nh * sizeof *buf);
    double *par = malloc(nh * HS_FUSE_NPAR * sizeof *par);
    if (!buf || !par) return 1;
    double *P = buf, *T = buf + nt * nh, *E = buf + 2 * nt * nh, *Q = buf + 3 * nt * nh;
    for (size_t t = 0; t < nt; t++)
        for (size_t h = 0; h < nh; h++) {
            P[t * nh + h] = P1[t] * (1.0 + 0.01 * (double)h);
            T[t * nh + h] = T1[t] - 0.1 * (double)h;
            E[t * nh + h] = E1[t];
        }

    hs_ctx *ctx = hs_ctx_create();
    if (!ctx) return 1;
    const hs_model_option opts[] = {{"FUSE_STRUCTURE", structure}, {"FUSE_NUMERICS", numerics}};
    hs_model *m = NULL;
    if (hs_model_create(&hs_fuse_ops, opts, 2, nh, ctx, &m) != HS_OK) {
        fprintf(stderr, "bench_fuse: %s\n", hs_ctx_message(ctx));
        return 1;
    }
    const hs_forcing_view f = {.n_time = nt, .n_hru = nh, .first_day = start,
                               .precip_mm = P, .temp_c = T, .pet_mm = E};
    const hs_flux_view out = {.runoff_mm = Q, .aet_mm = NULL, .input_mm = NULL};
    const hs_param_info *pi = hs_fuse_ops.params;
    double checksum = 0.0;

#define BENCH_EVAL(i)                                                                        \
    do {                                                                                     \
        for (size_t h_ = 0; h_ < nh; h_++)                                                   \
            for (int k_ = 0; k_ < HS_FUSE_NPAR; k_++)                                        \
                par[h_ * HS_FUSE_NPAR + k_] = fmin(pi[k_].upper, fmax(pi[k_].lower,          \
                    pi[k_].dflt + 0.05 * (pi[k_].upper - pi[k_].lower) *                     \
                                      sin(0.7 * (double)(i) + 1.3 * (double)k_ + (double)h_))); \
        if (hs_model_init(m, par, ctx) != HS_OK ||                                           \
            hs_model_run(m, (hs_range){0, nh}, &f, &out, ctx) != HS_OK) {                    \
            fprintf(stderr, "bench_fuse: %s\n", hs_ctx_message(ctx));                       \
            return 1;                                                                        \
        }                                                                                    \
        checksum += Q[nt * nh - 1];                                                          \
    } while (0)

    for (long i = 0; i < 2; i++) BENCH_EVAL(i); /* warm-up */
    enum { REPEATS = 5 };
    double ns[REPEATS];
    for (int r = 0; r < REPEATS; r++) {
        const double t0 = hs_wall_time();
        for (long i = 0; i < n_evals; i++) BENCH_EVAL(i);
        ns[r] = (hs_wall_time() - t0) / ((double)n_evals * (double)nt * (double)nh) * 1e9;
    }
    qsort(ns, REPEATS, sizeof ns[0], bench_cmp_double);

    char cpu[256];
    bench_cpu_name(cpu, sizeof cpu);
    printf("bench_fuse: FUSE %s (%s) init + run %d daily steps, %zu HRUs, 1 core\n", structure,
           numerics, BENCH_N_DAYS, nh);
    printf("command:   ");
    for (int a = 0; a < argc; a++) printf("%s%s", a ? " " : "", argv[a]);
    printf("\n");
    printf("cpu:       %s\n", cpu);
#ifdef __OPTIMIZE__
    printf("compiler:  %s, optimised build\n", __VERSION__);
#else
    printf("compiler:  %s, NOT optimised (-O0): numbers are meaningless\n", __VERSION__);
#endif
    printf("evals:     %d repeats x %ld evaluations (after 2 warm-up)\n", REPEATS, n_evals);
    printf("cost:      median %.1f ns per HRU-step, best %.1f, worst %.1f  (target <= 60 ns)\n",
           ns[REPEATS / 2], ns[0], ns[REPEATS - 1]);
    printf("checksum:  %.9f\n", checksum);
    hs_model_destroy(&m);
    hs_ctx_destroy(&ctx);
    free(buf);
    free(par);
    return 0;
}
