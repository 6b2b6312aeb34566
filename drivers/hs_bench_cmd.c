/* hs_bench_cmd.c -- `hydroscale bench`; see hs_bench_cmd.h. */
#include "hs_bench_cmd.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs_calib.h"
#include "hs_exec.h"
#include "hs_sys.h"
#include "hs_workspace.h"

static int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Latency of the calibration objective at x0 (median, p10, p90 in microseconds). */
static hs_status latency(hs_experiment *e, hs_ctx *ctx, double *med, double *p10, double *p90) {
    enum { WARMUP = 20, N = 200 };
    hs_workspace *ws = NULL;
    HS_TRY(hs_workspace_create(e, 1, NULL, ctx, &ws));
    double t[N];
    hs_status st = HS_OK;
    for (int i = 0; st == HS_OK && i < WARMUP + N; i++) {
        double loss, value;
        bool failed;
        const double t0 = hs_wall_time();
        st = hs_workspace_evaluate(ws, e->x0, (uint64_t)i, &loss, &value, &failed, ctx);
        if (i >= WARMUP) t[i - WARMUP] = 1e6 * (hs_wall_time() - t0);
    }
    hs_workspace_destroy(&ws);
    HS_TRY(st);
    qsort(t, N, sizeof *t, cmp_double);
    *med = 0.5 * (t[N / 2 - 1] + t[N / 2]);
    *p10 = t[N / 10];
    *p90 = t[9 * N / 10];
    return HS_OK;
}

/* Per-evaluation latency of the batched kernel: batches of `lanes` copies of the starting point
 * (median over 100 batches after 5 warm-up ones, divided by the lanes). */
static hs_status latency_batched(hs_experiment *e, size_t lanes, hs_ctx *ctx, double *med,
                                 double *p10, double *p90) {
    enum { WARMUP = 5, N = 100 };
    hs_workspace *ws = NULL;
    HS_TRY(hs_workspace_create(e, 1, NULL, ctx, &ws));
    double *X = NULL, *loss = NULL, *value = NULL;
    size_t *ids = NULL;
    bool *failed = NULL;
    hs_status st = hs_workspace_enable_batch(ws, lanes, ctx);
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, X, lanes * e->n_cal, "bench");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, ids, lanes, "bench");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, loss, lanes, "bench");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, value, lanes, "bench");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, failed, lanes, "bench");
    double t[N];
    for (size_t k = 0; st == HS_OK && k < lanes; k++) {
        memcpy(X + k * e->n_cal, e->x0, e->n_cal * sizeof *X);
        ids[k] = k;
    }
    for (int i = 0; st == HS_OK && i < WARMUP + N; i++) {
        const double t0 = hs_wall_time();
        st = hs_workspace_evaluate_batch(ws, X, ids, lanes, loss, value, failed, ctx);
        if (i >= WARMUP) t[i - WARMUP] = 1e6 * (hs_wall_time() - t0) / (double)lanes;
    }
    hs_free(X), hs_free(ids), hs_free(loss), hs_free(value), hs_free(failed);
    hs_workspace_destroy(&ws);
    HS_TRY(st);
    qsort(t, N, sizeof *t, cmp_double);
    *med = 0.5 * (t[N / 2 - 1] + t[N / 2]);
    *p10 = t[N / 10];
    *p90 = t[9 * N / 10];
    return HS_OK;
}

/* Evaluations per second of a short synchronous calibration on `w` thread workers with
 * `backend` (1 scalar, 2 batched) and batches of 16 candidates per worker. */
static hs_status throughput(hs_experiment *e, int w, int backend, hs_ctx *ctx,
                            double *evals_per_s) {
    hs_calib_setup s;
    memset(&s, 0, sizeof s);
    s.tier = w > 1 ? HS_TIER_THREADS : HS_TIER_SEQUENTIAL;
    s.workers = w;
    s.hru_threads = 1;
    s.mpi_ranks = 1;
    s.batch = 16 * (size_t)w; /* the same DDS for both backends: 16 candidates per worker */
    s.pool = 10;
    s.in_flight = (size_t)w;
    s.checkpoint_interval = 0;
    hs_calib_options o = {false, false, NULL, NULL};
    hs_calib_output out;
    const int saved = e->backend;
    e->backend = backend;
    hs_status st = hs_calib_run(e, &s, &o, ctx, &out);
    e->backend = saved;
    HS_TRY(st);
    *evals_per_s = (double)out.res.n_evals / out.res.wall_s;
    hs_calib_output_free(&out);
    return HS_OK;
}

hs_status hs_bench_run(hs_experiment *e, int max_workers, hs_ctx *ctx) {
    const char *backends[] = {"scalar", "batched"};
    const size_t nb = e->batch_eligible ? 2 : 1;
    const int procs = hs_exec_num_procs();
    if (max_workers <= 0) max_workers = procs;
    printf("hydroscale bench: %s on %s, %ld iterations per throughput run, %d processor(s)\n",
           e->ops->name, e->domain_name, e->iterations, procs);
    printf("\nsingle-evaluation latency (calibration objective at the starting point; 20 warm-up, "
           "200 timed)\n");
    printf("  %-8s %12s %12s %12s %12s\n", "backend", "median (us)", "p10 (us)", "p90 (us)",
           "evals/s");
    for (size_t b = 0; b < nb; b++) {
        double med, p10, p90;
        if (b == 0) HS_TRY(latency(e, ctx, &med, &p10, &p90));
        else HS_TRY(latency_batched(e, 32, ctx, &med, &p10, &p90));
        printf("  %-8s %12.2f %12.2f %12.2f %12.0f%s\n", backends[b], med, p10, p90, 1e6 / med,
               b ? "   (batches of 32; per evaluation)" : "");
    }
    printf("\ncalibration throughput (synchronous DDS, 16 candidates per worker per batch, OpenMP "
           "workers)\n");
    printf("  %-8s %8s %12s %18s %22s\n", "backend", "workers", "evals/s", "compound speedup",
           "product of the parts");
    int levels[16], nl = 0;
    for (int w = 1; w <= max_workers && nl < 15; w *= 2) levels[nl++] = w;
    if (levels[nl - 1] != max_workers) levels[nl++] = max_workers;
    double eps[4][16];
    for (size_t b = 0; b < nb; b++)
        for (int l = 0; l < nl; l++) HS_TRY(throughput(e, levels[l], (int)b + 1, ctx, &eps[b][l]));
    for (size_t b = 0; b < nb; b++)
        for (int l = 0; l < nl; l++) {
            /* compound = (backend b, w workers) against (scalar, 1 worker); the product is the
             * backend's speedup alone times the workers' speedup alone */
            const double compound = eps[b][l] / eps[0][0];
            const double product = (eps[b][0] / eps[0][0]) * (eps[0][l] / eps[0][0]);
            printf("  %-8s %8d %12.0f %18.2f %22.2f\n", backends[b], levels[l], eps[b][l],
                   compound, product);
        }
    printf("\nCompound speedup: evals/s against the scalar model on one worker; product: the "
           "backend's speedup on one worker times the workers' speedup with the scalar model.\n");
    return HS_OK;
}
