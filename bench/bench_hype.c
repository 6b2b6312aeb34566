/* bench_hype.c -- cost of the HYPE soil-and-snow kernel (hydro/hs_hype.c) in ns per HRU-step:
 * hs_model_run over 2,922 daily steps (2002-01-01 .. 2009-12-31, Bow River at Banff station
 * forcing) for n_hru HRUs, each with its own parameters (defaults varied deterministically by up
 * to +-5 % of the calibration range) and its own forcing (the Bow series shifted by the HRU
 * index, so that HRUs are not in lock-step). Target: <= 60 ns per HRU-step on one core.
 *
 * Usage: bench_hype [n_hru (default 256)] [repeats (default 7)] [pet: forcing | hype]
 *                   [data dir]
 * The data dir (holding climate_banff_station.csv) defaults to the bundled testdata/bow (env
 * HS_BENCH_DATA overrides). Gaps: P -> 0, T and PET -> previous day. The timed region is
 * hs_model_init + hs_model_run (init is O(n_hru), negligible next to the 2,922 steps). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "hs_ctx.h"
#include "hs_hype.h"
#include "hs_model.h"
#include "hs_sys.h"
#include "hs_time.h"

#define BENCH_N_DAYS 2922

/* Reads P_mm, Tmean_C and E_oudin_mm for BENCH_N_DAYS days from `start`. Returns 0 or -1. */
static int read_climate(const char *path, hs_day start, double *p, double *t, double *e)
{
    static const char *const names[3] = {"P_mm", "Tmean_C", "E_oudin_mm"};
    double *cols[3] = {p, t, e};
    FILE *fp = fopen(path, "r");
    if (!fp) {
        fprintf(stderr, "bench_hype: cannot open %s\n", path);
        return -1;
    }
    char line[1024];
    int idx[3] = {-1, -1, -1};
    for (int c = 0; c < 3; c++)
        for (int d = 0; d < BENCH_N_DAYS; d++) cols[c][d] = NAN;
    if (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\r\n")] = '\0';
        int k = 0;
        for (char *tok = line, *next; tok; tok = next, k++) {
            next = strchr(tok, ',');
            if (next) *next++ = '\0';
            for (int c = 0; c < 3; c++)
                if (strcmp(tok, names[c]) == 0) idx[c] = k;
        }
    }
    for (int c = 0; c < 3; c++) {
        if (idx[c] < 0) {
            fprintf(stderr, "bench_hype: %s has no column %s\n", path, names[c]);
            fclose(fp);
            return -1;
        }
    }
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *f[32];
        int nf = 0;
        for (char *tok = line, *next; tok && nf < 32; tok = next) {
            next = strchr(tok, ',');
            if (next) *next++ = '\0';
            f[nf++] = tok;
        }
        hs_day d;
        if (nf == 0 || !hs_day_parse(f[0], &d) || d < start || d >= start + BENCH_N_DAYS) continue;
        for (int c = 0; c < 3; c++)
            if (idx[c] < nf && f[idx[c]][0] != '\0') cols[c][d - start] = strtod(f[idx[c]], NULL);
    }
    fclose(fp);
    for (int d = 0; d < BENCH_N_DAYS; d++) {
        if (isnan(p[d])) p[d] = 0.0;
        if (isnan(t[d])) t[d] = d ? t[d - 1] : 0.0;
        if (isnan(e[d])) e[d] = d ? e[d - 1] : 0.0;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const long n_hru_l = argc > 1 ? strtol(argv[1], NULL, 10) : 256;
    const long repeats = argc > 2 ? strtol(argv[2], NULL, 10) : 7;
    const char *pet = argc > 3 ? argv[3] : "forcing";
    const char *env_dir = getenv("HS_BENCH_DATA");
    const char *data_dir = argc > 4 ? argv[4] : env_dir ? env_dir : HS_TESTDATA_DIR "/bow";
    if (n_hru_l < 1 || n_hru_l > 100000 || repeats < 1 || repeats > 1000) {
        fprintf(stderr, "usage: bench_hype [n_hru 1..100000] [repeats 1..1000] [forcing|hype] "
                        "[data dir]\n");
        return 2;
    }
    const size_t n_hru = (size_t)n_hru_l, nt = BENCH_N_DAYS;

    const hs_day start = hs_day_from_ymd(2002, 1, 1);
    static double P0[BENCH_N_DAYS], T0[BENCH_N_DAYS], E0[BENCH_N_DAYS];
    char path[4096];
    snprintf(path, sizeof path, "%s/climate_banff_station.csv", data_dir);
    if (read_climate(path, start, P0, T0, E0) != 0) return 1;

    double *P = malloc(nt * n_hru * sizeof *P), *T = malloc(nt * n_hru * sizeof *T);
    double *E = malloc(nt * n_hru * sizeof *E), *Q = malloc(nt * n_hru * sizeof *Q);
    double *A = malloc(nt * n_hru * sizeof *A);
    double *par = malloc(n_hru * HS_HYPE_NPAR * sizeof *par);
    double *us = malloc((size_t)repeats * sizeof *us);
    if (!P || !T || !E || !Q || !A || !par || !us) {
        fprintf(stderr, "bench_hype: out of memory\n");
        return 1;
    }
    for (size_t t = 0; t < nt; t++)
        for (size_t h = 0; h < n_hru; h++) {
            const size_t src = (t + 7 * h) % nt; /* each HRU its own phase of the series */
            P[t * n_hru + h] = P0[src];
            T[t * n_hru + h] = T0[src];
            E[t * n_hru + h] = E0[src];
        }
    const hs_param_info *pi = hs_hype_ops.params;
    for (size_t h = 0; h < n_hru; h++)
        for (int k = 0; k < HS_HYPE_NPAR; k++) {
            double v = pi[k].dflt + 0.05 * (pi[k].upper - pi[k].lower) *
                                        sin(0.7 * (double)h + 1.3 * (double)k);
            par[h * HS_HYPE_NPAR + (size_t)k] = fmin(pi[k].upper, fmax(pi[k].lower, v));
        }

    hs_ctx *ctx = hs_ctx_create();
    if (!ctx) return 1;
    const hs_model_option opts[] = {{"HYPE_PET", pet}};
    hs_model *m = NULL;
    if (hs_model_create(&hs_hype_ops, opts, 1, n_hru, ctx, &m) != HS_OK) {
        fprintf(stderr, "bench_hype: %s\n", hs_ctx_message(ctx));
        return 1;
    }
    const hs_forcing_view f = {.n_time = nt, .n_hru = n_hru, .first_day = start,
                               .precip_mm = P, .temp_c = T, .pet_mm = E};
    const hs_flux_view out = {.runoff_mm = Q, .aet_mm = A, .input_mm = NULL};

    double checksum = 0.0;
    for (long r = -1; r < repeats; r++) { /* r = -1: warm-up */
        const double t0 = hs_wall_time();
        if (hs_model_init(m, par, ctx) != HS_OK ||
            hs_model_run(m, (hs_range){0, n_hru}, &f, &out, ctx) != HS_OK) {
            fprintf(stderr, "bench_hype: %s\n", hs_ctx_message(ctx));
            return 1;
        }
        const double dt = hs_wall_time() - t0;
        if (r >= 0) us[r] = dt;
        checksum += Q[(nt - 1) * n_hru] + A[(nt / 2) * n_hru + n_hru - 1];
    }
    qsort(us, (size_t)repeats, sizeof us[0], bench_cmp_double);
    const double steps = (double)nt * (double)n_hru;
    double q_mean = 0.0, a_mean = 0.0, p_mean = 0.0;
    for (size_t t = 0; t < nt; t++) {
        q_mean += Q[t * n_hru];
        a_mean += A[t * n_hru];
        p_mean += P[t * n_hru];
    }

    char cpu[256];
    bench_cpu_name(cpu, sizeof cpu);
    printf("bench_hype: HYPE (PET %s) init + run %zu daily steps x %zu HRUs, 1 core\n", pet, nt,
           n_hru);
    printf("command:   ");
    for (int a = 0; a < argc; a++) printf("%s%s", a ? " " : "", argv[a]);
    printf("\n");
    printf("cpu:       %s\n", cpu);
#ifdef __OPTIMIZE__
    printf("compiler:  %s, optimised build\n", __VERSION__);
#else
    printf("compiler:  %s, NOT optimised (-O0): numbers are meaningless\n", __VERSION__);
#endif
    printf("repeats:   %ld (after 1 warm-up)\n", repeats);
    printf("cost:      median %.1f ns per HRU-step, best %.1f, worst %.1f  (target <= 60 ns)\n",
           us[repeats / 2] / steps * 1e9, us[0] / steps * 1e9, us[repeats - 1] / steps * 1e9);
    printf("HRU 0:     P %.1f, AET %.1f, Q %.1f mm/yr; checksum %.6f\n", p_mean / 8.0,
           a_mean / 8.0, q_mean / 8.0, checksum);
    hs_model_destroy(&m);
    hs_ctx_destroy(&ctx);
    free(P);
    free(T);
    free(E);
    free(Q);
    free(A);
    free(par);
    free(us);
    return 0;
}
