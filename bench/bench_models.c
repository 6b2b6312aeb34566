/* bench_models.c -- cost per HRU-step of every registered model on one core, and OpenMP
 * efficiency at 2 threads (issue #4): N HRUs (379 and 2,335: the seed study's semi-distributed
 * and distributed Bow domains) over 730 daily steps of the Bow station forcing, each HRU's
 * temperature shifted by its own offset (-6..+3 degC) so that HRUs differ. HRUs run in fixed
 * chunks of 64 through the executor (hs_exec_chunks), as calibration workspaces run them.
 * Default parameters; FUSE with its default options (VIC parent, implicit numerics).
 *
 * Usage: bench_models [repeats (default 3)] [model name (default: all)]
 * Prints ns per HRU-step (best of the repeats; init included) and the 2-thread efficiency
 * T1 / (2 T2). */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs_exec.h"
#include "hs_model.h"
#include "hs_sys.h"
#include "hs_time.h"

#define N_T 730
#define CHUNK 64

typedef struct job {
    hs_model *m;
    const hs_forcing_view *f;
    double *q;
    size_t n_hru;
} job;

static hs_status run_chunk(void *user, size_t c, int thread, hs_ctx *ctx) {
    (void)thread;
    job *j = user;
    size_t first = c * CHUNK, count = j->n_hru - first < CHUNK ? j->n_hru - first : CHUNK;
    hs_flux_view out = {j->q, NULL, NULL};
    return hs_model_run(j->m, (hs_range){first, count}, j->f, &out, ctx);
}

/* Reads P, T, PET of the Bow station CSV from 2004-01-01 (columns by name); gaps keep the
 * previous day's value (a benchmark needs realistic numbers, not gap rules). */
static int read_bow(double *p, double *t, double *e) {
    FILE *fp = fopen(HS_TESTDATA_DIR "/bow/climate_banff_station.csv", "r");
    if (!fp) return -1;
    char line[1024];
    int ip = -1, it = -1, ie = -1, n = 0;
    if (fgets(line, sizeof line, fp)) {
        int col = 0;
        for (char *tok = strtok(line, ",\n"); tok; tok = strtok(NULL, ",\n"), col++) {
            if (!strcmp(tok, "P_mm")) ip = col;
            if (!strcmp(tok, "Tmean_C")) it = col;
            if (!strcmp(tok, "E_oudin_mm")) ie = col;
        }
    }
    double lp = 0, lt = 0, le = 0;
    while (n < N_T && fgets(line, sizeof line, fp)) {
        if (strncmp(line, "2004-01-01", 10) < 0 && n == 0) continue;
        double v[16];
        int col = 0;
        char *s = line;
        for (; col < 16; col++) {
            char *comma = strchr(s, ',');
            if (comma) *comma = '\0';
            v[col] = (*s && *s != '\n') ? strtod(s, NULL) : NAN;
            if (!comma) break;
            s = comma + 1;
        }
        if (ip < 0 || it < 0 || ie < 0) break;
        lp = isnan(v[ip]) ? lp : v[ip];
        lt = isnan(v[it]) ? lt : v[it];
        le = isnan(v[ie]) ? le : v[ie];
        p[n] = lp, t[n] = lt, e[n] = le;
        n++;
    }
    fclose(fp);
    return n == N_T ? 0 : -1;
}

static double run_once(const hs_model_ops *ops, const hs_model_option *opts, size_t n_opts,
                       size_t n_hru, const hs_forcing_view *f, double *q, int threads,
                       hs_ctx **ctxs) {
    double *par = malloc(sizeof *par * n_hru * ops->n_params);
    hs_model *m = NULL;
    if (!par || hs_model_create(ops, opts, n_opts, n_hru, ctxs[0], &m) != HS_OK) {
        free(par);
        return NAN;
    }
    for (size_t h = 0; h < n_hru; h++)
        for (size_t k = 0; k < ops->n_params; k++) par[h * ops->n_params + k] = ops->params[k].dflt;
    const double t0 = hs_wall_time();
    job j = {m, f, q, n_hru};
    hs_status st = hs_model_init(m, par, ctxs[0]);
    if (st == HS_OK)
        st = hs_exec_chunks((n_hru + CHUNK - 1) / CHUNK, threads, false, run_chunk, &j, ctxs);
    const double dt = hs_wall_time() - t0;
    hs_model_destroy(&m);
    free(par);
    if (st != HS_OK) fprintf(stderr, "%s: %s\n", ops->name, hs_ctx_message(ctxs[0]));
    return st == HS_OK ? dt : NAN;
}

int main(int argc, char **argv) {
    const int repeats = argc > 1 ? atoi(argv[1]) : 3;
    const char *only = argc > 2 ? argv[2] : NULL;
    double p0[N_T], t0[N_T], e0[N_T];
    if (read_bow(p0, t0, e0) != 0) {
        fprintf(stderr, "bench_models: cannot read the Bow forcing\n");
        return 1;
    }
    static char curve[2048];
    size_t len = (size_t)snprintf(curve, sizeof curve, "[");
    for (int k = 0; k <= 100; k++)
        len += (size_t)snprintf(curve + len, sizeof curve - len, "%s%d", k ? ", " : "", 1300 + 20 * k);
    snprintf(curve + len, sizeof curve - len, "]");
    const hs_model_option snow_opts[] = {{"HYPSOMETRIC_CURVE", curve},
                                         {"MEAN_ANNUAL_SOLID_PRECIP", "300"}};
    hs_ctx *ctxs[2] = {hs_ctx_create(), hs_ctx_create()};
    printf("command:   %s%s%s\n", argv[0], argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
    printf("setup:     %d daily steps (Bow station forcing from 2004-01-01), chunks of %d HRUs, best "
           "of %d\n", N_T, CHUNK, repeats);
    printf("%-15s %6s %14s %14s %10s\n", "model", "HRUs", "ns/HRU-step 1t", "ns/HRU-step 2t",
           "eff. 2t");
    const size_t sizes[2] = {379, 2335};
    for (size_t si = 0; si < 2; si++) {
        const size_t nh = sizes[si];
        double *p = malloc(sizeof *p * N_T * nh), *t = malloc(sizeof *t * N_T * nh);
        double *e = malloc(sizeof *e * N_T * nh), *q = malloc(sizeof *q * N_T * nh);
        if (!p || !t || !e || !q) return 1;
        for (size_t i = 0; i < N_T; i++)
            for (size_t h = 0; h < nh; h++) {
                p[i * nh + h] = p0[i];
                t[i * nh + h] = t0[i] - 6.0 + 9.0 * (double)h / (double)nh;
                e[i * nh + h] = e0[i];
            }
        hs_forcing_view f = {N_T, nh, hs_day_from_ymd(2004, 1, 1), p, t, e};
        for (size_t mi = 0; mi < hs_model_count(); mi++) {
            const hs_model_ops *ops = hs_model_at(mi);
            if (only && strcmp(only, ops->name) != 0) continue;
            const bool snow = strstr(ops->name, "CemaNeige") != NULL;
            double best[2] = {INFINITY, INFINITY};
            for (int th = 1; th <= 2; th++)
                for (int r = 0; r < repeats; r++) {
                    double dt = run_once(ops, snow ? snow_opts : NULL, snow ? 2 : 0, nh, &f, q, th,
                                         ctxs);
                    if (dt < best[th - 1]) best[th - 1] = dt;
                }
            const double steps = (double)N_T * (double)nh;
            printf("%-15s %6zu %14.1f %14.1f %10.3f\n", ops->name, nh, 1e9 * best[0] / steps,
                   1e9 * best[1] / steps, best[0] / (2.0 * best[1]));
            fflush(stdout);
        }
        free(p), free(t), free(e), free(q);
    }
    hs_ctx_destroy(&ctxs[0]);
    hs_ctx_destroy(&ctxs[1]);
    return 0;
}
