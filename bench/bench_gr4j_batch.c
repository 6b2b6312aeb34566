/* bench_gr4j_batch.c -- cost of GR4J per simulated day and parameter set with the batched kernel
 * (hydro/hs_gr4j_batch.h) next to the scalar model (hs_model_init + hs_model_run of "GR4J", one
 * fresh init per set, as a calibration evaluates it), on the 4,017 days of
 * testdata/airgr-L0123001 (1989-1999), one core, measured in the same process. Reported: ns per
 * day per parameter set = time of a batch / (B x days), for B = 1, 4, 8, 16, 32 (and the scalar
 * model). The batched runoff is checked to equal the scalar model's (memcmp) before timing.
 * Aim (issue 7): <= 10 ns per day per set batched.
 *
 * Usage: bench_gr4j_batch [parameter sets per repeat (default 2048)]
 * Parameters: uniform within GR4J's calibration bounds (seeded LCG), different for every set.
 * Median (and best, worst) of 7 repeats after a warm-up. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs_ctx.h"
#include "hs_gr4j.h"
#include "hs_gr4j_batch.h"
#include "hs_model.h"
#include "hs_sys.h"
#include "hs_time.h"

#define BENCH_CSV HS_TESTDATA_DIR "/airgr-L0123001/forcing.csv"
#define BENCH_MAX_B 32
#define BENCH_REPEATS 7

static double lcg_uniform(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) * 0x1.0p-53;
}

/* Reads the P and E columns of the airGR L0123001 CSV (date,P,E,Qmm); returns the day count. */
static size_t read_forcing(double **p, double **e)
{
    FILE *fp = fopen(BENCH_CSV, "r");
    if (!fp) {
        fprintf(stderr, "bench_gr4j_batch: cannot open %s\n", BENCH_CSV);
        return 0;
    }
    size_t cap = 8192, n = 0;
    *p = malloc(cap * sizeof **p);
    *e = malloc(cap * sizeof **e);
    char line[256];
    if (!*p || !*e || !fgets(line, sizeof line, fp)) {
        fclose(fp);
        return 0;
    }
    while (n < cap && fgets(line, sizeof line, fp)) {
        char *c1 = strchr(line, ',');
        if (!c1) continue;
        char *c2 = strchr(c1 + 1, ',');
        if (!c2) continue;
        (*p)[n] = strtod(c1 + 1, NULL);
        (*e)[n] = strtod(c2 + 1, NULL);
        n++;
    }
    fclose(fp);
    return n;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    size_t n_sets = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 2048;
    n_sets = (n_sets + BENCH_MAX_B - 1) / BENCH_MAX_B * BENCH_MAX_B;
    if (n_sets == 0) n_sets = BENCH_MAX_B;
    double *p = NULL, *e = NULL;
    const size_t nt = read_forcing(&p, &e);
    if (nt == 0) return 1;
    hs_ctx *ctx = hs_ctx_create();
    double *par = malloc(n_sets * HS_GR4J_NPAR * sizeof *par);
    double *q = malloc(BENCH_MAX_B * nt * sizeof *q), *qs = malloc(BENCH_MAX_B * nt * sizeof *qs);
    if (!ctx || !par || !q || !qs) return 1;
    uint64_t seed = 42u;
    for (size_t k = 0; k < n_sets; k++)
        for (size_t i = 0; i < HS_GR4J_NPAR; i++) {
            const hs_param_info *pi = &hs_gr4j_ops.params[i];
            par[k * HS_GR4J_NPAR + i] = pi->lower + (pi->upper - pi->lower) * lcg_uniform(&seed);
        }
    const hs_forcing_view f = {.n_time = nt, .n_hru = 1, .first_day = hs_day_from_ymd(1989, 1, 1),
                               .precip_mm = p, .temp_c = NULL, .pet_mm = e};
    hs_model *m = NULL;
    hs_gr4j_batch *b = NULL, *bv = NULL;
    const hs_model_option vec_opt[] = {{"GR4J_BATCH_MATH", "vector"}};
    if (hs_model_create(&hs_gr4j_ops, NULL, 0, 1, ctx, &m) != HS_OK ||
        hs_gr4j_batch_create(BENCH_MAX_B, nt, NULL, 0, ctx, &b) != HS_OK ||
        hs_gr4j_batch_create(BENCH_MAX_B, nt, vec_opt, 1, ctx, &bv) != HS_OK) {
        fprintf(stderr, "bench_gr4j_batch: %s\n", hs_ctx_message(ctx));
        return 1;
    }

    /* Bit identity of the first 32 sets before timing. */
    for (size_t k = 0; k < BENCH_MAX_B; k++) {
        hs_flux_view out = {.runoff_mm = qs + k * nt, .aet_mm = NULL, .input_mm = NULL};
        if (hs_model_init(m, par + k * HS_GR4J_NPAR, ctx) != HS_OK ||
            hs_model_run(m, (hs_range){0, 1}, &f, &out, ctx) != HS_OK)
            return 1;
    }
    if (hs_gr4j_batch_run(b, par, BENCH_MAX_B, &f, q, ctx) != HS_OK) return 1;
    const int same = memcmp(q, qs, BENCH_MAX_B * nt * sizeof *q) == 0;
    /* Vector mode: the largest difference relative to each series' peak. */
    if (hs_gr4j_batch_run(bv, par, BENCH_MAX_B, &f, q, ctx) != HS_OK) return 1;
    double worst_rel = 0.0;
    for (size_t k = 0; k < BENCH_MAX_B; k++) {
        double peak = 1e-6, diff = 0.0;
        for (size_t t = 0; t < nt; t++) {
            peak = fmax(peak, fabs(qs[k * nt + t]));
            diff = fmax(diff, fabs(q[k * nt + t] - qs[k * nt + t]));
        }
        worst_rel = fmax(worst_rel, diff / peak);
    }

    printf("GR4J batched vs scalar: %zu days (airGR L0123001), %zu parameter sets per repeat, "
           "median of %d repeats, one core; kernel ISA %s; runoff bit-identical: %s\n",
           nt, n_sets, BENCH_REPEATS, hs_gr4j_batch_isa(), same ? "yes" : "NO");
    printf("GR4J_BATCH_MATH = vector (rows \"B v\"): largest runoff difference %.2e of the "
           "series' peak\n", worst_rel);
    printf("%-8s %12s %10s %10s %12s\n", "B", "median_ns", "best_ns", "worst_ns", "us_per_set");
    static const size_t bs[] = {0, 1, 4, 8, 16, 32, 8, 16, 32}; /* 0 = scalar model */
    for (size_t bi = 0; bi < sizeof bs / sizeof bs[0]; bi++) {
        const size_t B = bs[bi];
        const bool vec = bi >= 6;
        double ns[BENCH_REPEATS];
        for (int r = -1; r < BENCH_REPEATS; r++) {
            const double t0 = hs_wall_time();
            if (B == 0) {
                for (size_t k = 0; k < n_sets; k++) {
                    hs_flux_view out = {.runoff_mm = q, .aet_mm = NULL, .input_mm = NULL};
                    if (hs_model_init(m, par + k * HS_GR4J_NPAR, ctx) != HS_OK ||
                        hs_model_run(m, (hs_range){0, 1}, &f, &out, ctx) != HS_OK)
                        return 1;
                }
            } else {
                for (size_t k = 0; k < n_sets; k += B)
                    if (hs_gr4j_batch_run(vec ? bv : b, par + k * HS_GR4J_NPAR, B, &f, q, ctx) !=
                        HS_OK)
                        return 1;
            }
            if (r >= 0) ns[r] = (hs_wall_time() - t0) / ((double)n_sets * (double)nt) * 1e9;
        }
        qsort(ns, BENCH_REPEATS, sizeof ns[0], cmp_double);
        char name[32];
        if (B == 0)
            snprintf(name, sizeof name, "scalar");
        else
            snprintf(name, sizeof name, "%zu%s", B, vec ? " v" : "");
        printf("%-8s %12.2f %10.2f %10.2f %12.1f\n", name, ns[BENCH_REPEATS / 2], ns[0],
               ns[BENCH_REPEATS - 1], ns[BENCH_REPEATS / 2] * (double)nt / 1e3);
    }
    hs_gr4j_batch_destroy(&b);
    hs_gr4j_batch_destroy(&bv);
    hs_model_destroy(&m);
    hs_ctx_destroy(&ctx);
    free(par);
    free(q);
    free(qs);
    free(p);
    free(e);
    return same ? 0 : 1;
}
