/* bench_route.c -- cost of mizuRoute-style routing (docs-models.md §6): ns per segment-step for
 * IRF and KWT on a synthetic 1000-segment tree (segment i drains into (i-1)/2: a binary tree, one
 * HRU of 50 km2 per segment, lengths 5-25 km), daily steps of random runoff, 1 thread and more.
 *   bench_route [N_STEPS=3650] [THREADS=1]
 * Prints the median of 5 repeats of create+run (create excluded from the figure). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "hs_route.h"
#include "hs_sys.h"

#define NSEG 1000

static double rnd(unsigned long long *s) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 9007199254740992.0;
}

static int cmp(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    const size_t n_steps = argc > 1 ? (size_t)atol(argv[1]) : 3650;
    const int threads = argc > 2 ? atoi(argv[2]) : 1;
    static int64_t seg[NSEG], down[NSEG], hru[NSEG], hseg[NSEG];
    static double len[NSEG], slope[NSEG], area[NSEG];
    unsigned long long s = 1;
    for (size_t i = 0; i < NSEG; i++) {
        seg[i] = (int64_t)i + 1;
        down[i] = i == 0 ? 0 : (int64_t)((i - 1) / 2) + 1;
        len[i] = 5e3 + 20e3 * rnd(&s);
        slope[i] = 1e-4 + 0.01 * rnd(&s);
        hru[i] = (int64_t)i + 1;
        hseg[i] = (int64_t)i + 1;
        area[i] = 5e7;
    }
    hs_ctx *ctx = hs_ctx_create();
    hs_network_desc d = {NSEG, seg, down, len, slope, NSEG, hru, hseg, area, 0, "bench"};
    hs_network *net = NULL;
    double *ro = malloc(n_steps * NSEG * sizeof *ro), *q = malloc(n_steps * NSEG * sizeof *q);
    if (!ctx || !ro || !q || hs_network_create(&d, ctx, &net) != HS_OK) {
        fprintf(stderr, "bench_route: setup failed: %s\n", ctx ? hs_ctx_message(ctx) : "");
        return 1;
    }
    for (size_t k = 0; k < n_steps * NSEG; k++)
        ro[k] = rnd(&s) < 0.5 ? 0.0 : 10.0 * rnd(&s) / 1000.0 / 86400.0;
    printf("bench_route: %d segments (%zu sub-trees), %zu daily steps, %d thread(s)\n", NSEG,
           hs_network_n_trees(net), n_steps, threads);
    for (int sch = 0; sch < 2; sch++) {
        double t[5];
        for (int rep = 0; rep < 5; rep++) {
            hs_route_params p;
            hs_route_params_default(&p);
            p.n_threads = threads;
            hs_route *r = NULL;
            if (hs_route_create(net, (hs_route_scheme)sch, &p, 86400.0, ctx, &r) != HS_OK) {
                fprintf(stderr, "bench_route: %s\n", hs_ctx_message(ctx));
                return 1;
            }
            const double t0 = hs_wall_time();
            if (hs_route_run(r, n_steps, ro, q, ctx) != HS_OK) {
                fprintf(stderr, "bench_route: %s\n", hs_ctx_message(ctx));
                return 1;
            }
            t[rep] = hs_wall_time() - t0;
            hs_route_destroy(&r);
        }
        qsort(t, 5, sizeof *t, cmp);
        printf("  %s: %.1f ns per segment-step (median of 5; best %.1f), outlet mean %.3g m3/s\n",
               hs_route_scheme_name((hs_route_scheme)sch), 1e9 * t[2] / (double)(n_steps * NSEG),
               1e9 * t[0] / (double)(n_steps * NSEG), q[(n_steps - 1) * NSEG]);
    }
    hs_network_destroy(&net);
    free(ro);
    free(q);
    hs_ctx_destroy(&ctx);
    return 0;
}
