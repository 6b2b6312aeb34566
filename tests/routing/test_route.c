/* test_route.c -- the router over networks (docs-models.md §6, conventions §6.4a): mass
 * conservation across a network (IRF exactly; KWT within its measured loss), the headwater and
 * bottom-of-reach conventions, steady flow through a chain (KWT), IRF against its unit
 * hydrograph, bit-identical results for 1, 2 and 3 threads, and the errors. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs_kwt.h"
#include "hs_route.h"
#include "hs_test.h"
#include "hs_uh.h"

#define DT 86400.0

static double rnd(unsigned long long *s) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 9007199254740992.0;
}

/* A random tree of n segments: segment i (id i+1) drains into a random earlier one, so id 1 is
 * the outlet; one HRU per segment plus some HRUs on random segments. */
typedef struct tree {
    size_t n_seg, n_hru;
    int64_t seg[400], down[400], hru[800], hseg[800];
    double len[400], slope[400], area[800];
} tree;

static void make_tree(tree *t, size_t n, unsigned long long seed) {
    t->n_seg = n;
    for (size_t i = 0; i < n; i++) {
        t->seg[i] = (int64_t)i + 1;
        t->down[i] = i == 0 ? 0 : (int64_t)(rnd(&seed) * (double)i) + 1;
        t->len[i] = 2e3 + 30e3 * rnd(&seed);
        t->slope[i] = 1e-4 + 0.01 * rnd(&seed);
    }
    t->n_hru = 2 * n;
    for (size_t h = 0; h < t->n_hru; h++) {
        t->hru[h] = 1000 + (int64_t)h;
        t->hseg[h] = h < n ? (int64_t)h + 1 : (int64_t)(rnd(&seed) * (double)n) + 1;
        t->area[h] = 1e6 + 5e7 * rnd(&seed);
    }
}

static hs_network_desc tree_desc(const tree *t) {
    hs_network_desc d = {t->n_seg, t->seg, t->down, t->len, t->slope, t->n_hru, t->hru,
                         t->hseg, t->area, 0, "random tree"};
    return d;
}

/* Routes `steps` steps of random runoff (m/s) in two calls (one if `one_call`); returns the
 * outputs (malloc). */
static double *route_random_calls(const hs_network *net, hs_route_scheme sch, int threads,
                                  size_t steps, bool one_call, hs_ctx *ctx) {
    const size_t nh = hs_network_n_hru(net), ns = hs_network_n_seg(net);
    double *ro = malloc(steps * nh * sizeof *ro), *q = malloc(steps * ns * sizeof *q);
    unsigned long long seed = 7;
    for (size_t k = 0; k < steps * nh; k++)
        ro[k] = rnd(&seed) < 0.4 ? 0.0 : 20.0 * rnd(&seed) / 1000.0 / 86400.0; /* <= 20 mm/d */
    hs_route_params p;
    hs_route_params_default(&p);
    p.n_threads = threads;
    hs_route *r = NULL;
    HS_CHECK_INT(hs_route_create(net, sch, &p, DT, ctx, &r), HS_OK);
    if (r) {
        const size_t half = one_call ? steps : steps / 3;
        HS_CHECK_INT(hs_route_run(r, half, ro, q, ctx), HS_OK);
        HS_CHECK_INT(hs_route_run(r, steps - half, ro + half * nh, q + half * ns, ctx), HS_OK);
    }
    hs_route_destroy(&r);
    free(ro);
    return q;
}

static double *route_random(const hs_network *net, hs_route_scheme sch, int threads,
                            size_t steps, hs_ctx *ctx) {
    return route_random_calls(net, sch, threads, steps, false, ctx);
}

/* route_random's runoff, routed one step per call (IRF), and again in one call from runoff in
 * mm per day with hs_route_run_scaled; both must give route_random's bits: the ring positions
 * and blocks of steps carry over between calls, and dividing as the router reads is the same
 * division as the caller's. */
static void check_calls(const hs_network *net, const double *q_ref, size_t steps, hs_ctx *ctx) {
    const size_t nh = hs_network_n_hru(net), ns = hs_network_n_seg(net);
    double *ro = malloc(steps * nh * sizeof *ro), *mm = malloc(steps * nh * sizeof *mm);
    double *q = malloc(steps * ns * sizeof *q);
    unsigned long long seed = 7;
    for (size_t k = 0; k < steps * nh; k++) {
        ro[k] = rnd(&seed) < 0.4 ? 0.0 : 20.0 * rnd(&seed) / 1000.0 / 86400.0;
        mm[k] = ro[k] * 86.4e6; /* ro recomputed from mm below */
        ro[k] = mm[k] / 86.4e6;
    }
    hs_route_params p;
    hs_route_params_default(&p);
    hs_route *r = NULL;
    HS_CHECK_INT(hs_route_create(net, HS_ROUTE_IRF, &p, DT, ctx, &r), HS_OK);
    if (!r) return;
    for (size_t t = 0; t < steps; t++)
        HS_CHECK_INT(hs_route_run(r, 1, ro + t * nh, q + t * ns, ctx), HS_OK);
    double *q_mm = malloc(steps * ns * sizeof *q_mm);
    hs_route_init(r);
    HS_CHECK_INT(hs_route_run_scaled(r, steps, mm, 86.4e6, q_mm, ctx), HS_OK);
    HS_CHECK_INT(hs_route_run_scaled(r, 1, mm, 0.0, q_mm, ctx), HS_ERR_ARG);
    /* q_ref was routed from ro before the mm round trip: compare where the runoff is equal */
    double *q_ref2 = malloc(steps * ns * sizeof *q_ref2);
    hs_route_init(r);
    HS_CHECK_INT(hs_route_run(r, steps, ro, q_ref2, ctx), HS_OK);
    HS_CHECK(memcmp(q, q_ref2, steps * ns * sizeof *q) == 0);
    HS_CHECK(memcmp(q_mm, q_ref2, steps * ns * sizeof *q) == 0);
    /* one segment only (what a calibration compares): that column's bits, every segment */
    double *q_one = malloc(steps * sizeof *q_one);
    for (size_t s = 0; s < ns; s++) {
        hs_route_init(r);
        HS_CHECK_INT(hs_route_run_segment(r, steps, mm, 86.4e6, s, q_one, ctx), HS_OK);
        size_t bad = 0;
        for (size_t t = 0; t < steps; t++)
            bad += memcmp(&q_one[t], &q_ref2[t * ns + s], sizeof *q_one) != 0;
        HS_CHECK(bad == 0);
    }
    HS_CHECK_INT(hs_route_run_segment(r, 1, mm, 86.4e6, ns, q_one, ctx), HS_ERR_ARG);
    /* the whole series with the hillslope applied to the segment's series (linear, so the same
     * discharge up to rounding), from and back to empty stores */
    double worst_whole = 0.0;
    for (size_t s = 0; s < ns; s++) {
        HS_CHECK_INT(hs_route_run_segment_whole(r, steps, mm, 86.4e6, s, q_one, ctx), HS_OK);
        HS_CHECK(hs_route_storage_m3(r) == 0.0);
        double peak = 0.0;
        for (size_t t = 0; t < steps; t++) peak = fmax(peak, fabs(q_ref2[t * ns + s]));
        for (size_t t = 0; t < steps; t++)
            worst_whole = fmax(worst_whole, fabs(q_one[t] - q_ref2[t * ns + s]) / peak);
    }
    HS_CHECK(worst_whole < 1e-13);
    HS_CHECK_INT(hs_route_run_segment_whole(r, 1, mm, 86.4e6, ns, q_one, ctx), HS_ERR_ARG);
    printf("IRF: one segment's whole series, hillslope last: within %.1e of the peak\n",
           worst_whole);
    free(q_one);
    double worst = 0.0;
    for (size_t k = 0; k < steps * ns; k++)
        worst = fmax(worst, fabs(q_ref2[k] - q_ref[k]) / fmax(1e-300, fabs(q_ref[k])));
    HS_CHECK(worst < 1e-12);
    printf("IRF: %zu steps one per call, in one call, and from mm/d (hs_route_run_scaled): "
           "identical bits\n", steps);
    hs_route_destroy(&r);
    free(ro);
    free(mm);
    free(q);
    free(q_mm);
    free(q_ref2);
}

/* Mass balance over a network: input volume = outlet volume + storage, checked every step from
 * day 30 on (before, KWT's first steps start each reach from its first inflow, water that was
 * never there, a large part of the little input so far), to `tol` of the input: IRF to
 * rounding; KWT within its volume error (docs/routing.md). */
static void check_mass(const hs_network *net, hs_route_scheme sch, double tol, hs_ctx *ctx) {
    const size_t nh = hs_network_n_hru(net), ns = hs_network_n_seg(net);
    const size_t outlet = hs_network_outlet(net);
    hs_route_params p;
    hs_route_params_default(&p);
    hs_route *r = NULL;
    HS_CHECK_INT(hs_route_create(net, sch, &p, DT, ctx, &r), HS_OK);
    if (!r) return;
    double *ro = calloc(nh, sizeof *ro), *q = calloc(ns, sizeof *q);
    unsigned long long seed = 3;
    double in_v = 0, out_v = 0, worst = 0, res_end = 0;
    for (size_t k = 0; k < 1500; k++) {
        for (size_t h = 0; h < nh; h++) {
            ro[h] = k < 1000 && rnd(&seed) < 0.5 ? 30.0 * rnd(&seed) / 1000.0 / 86400.0 : 0.0;
            in_v += ro[h] * hs_network_hru_area_m2(net, h) * DT; /* every HRU is mapped */
        }
        HS_CHECK_INT(hs_route_run(r, 1, ro, q, ctx), HS_OK);
        out_v += q[outlet] * DT;
        res_end = (in_v - out_v - hs_route_storage_m3(r)) / in_v;
        if (k >= 30 && fabs(res_end) > worst) worst = fabs(res_end);
    }
    printf("%s mass balance over %zu segments, 1500 days: input %.6g m3, outlet %.6g m3, left in "
           "store %.3g m3, relative residual %.3g at the end, %.3g at worst\n",
           hs_route_scheme_name(sch), ns, in_v, out_v, hs_route_storage_m3(r), res_end, worst);
    HS_CHECK(worst < tol);
    HS_CHECK(hs_route_storage_m3(r) < 1e-6 * in_v); /* 500 dry days drain the network */
    free(ro);
    free(q);
    hs_route_destroy(&r);
}

int main(void) {
    hs_ctx *ctx = hs_ctx_create();
    static tree t;
    make_tree(&t, 200, 11);
    hs_network_desc d = tree_desc(&t);
    hs_network *net = NULL;
    HS_CHECK_INT(hs_network_create(&d, ctx, &net), HS_OK);
    if (!net) HS_TEST_REPORT();
    printf("random tree: %zu segments, %zu sub-trees, trunk %zu segments\n",
           hs_network_n_seg(net), hs_network_n_trees(net),
           hs_network_n_seg(net) - hs_network_tree_offsets(net)[hs_network_n_trees(net)]);
    HS_CHECK(hs_network_n_trees(net) > 3);

    check_mass(net, HS_ROUTE_IRF, 1e-12, ctx);
    check_mass(net, HS_ROUTE_KWT, 3e-2, ctx); /* measured 1.5e-2 at worst, 2.5e-4 at the end */

    /* parallel == serial, bit for bit, for both schemes */
    for (int sch = 0; sch < 2; sch++) {
        const size_t steps = 120, bytes = steps * hs_network_n_seg(net) * sizeof(double);
        double *q1 = route_random(net, (hs_route_scheme)sch, 1, steps, ctx);
        for (int th = 2; th <= 3; th++) {
            double *qn = route_random(net, (hs_route_scheme)sch, th, steps, ctx);
            HS_CHECK(memcmp(q1, qn, bytes) == 0);
            free(qn);
        }
        /* and in one call: the state carried between calls (KWT: particles, the last step's
         * hillslope flow, blocks of steps) gives the same bits */
        double *q_one_call = route_random_calls(net, (hs_route_scheme)sch, 2, steps, true, ctx);
        HS_CHECK(memcmp(q1, q_one_call, bytes) == 0);
        free(q_one_call);
        printf("%s: 1, 2 and 3 threads, two calls or one, give identical bits (%zu values)\n",
               hs_route_scheme_name((hs_route_scheme)sch), bytes / sizeof(double));
        if (sch == HS_ROUTE_IRF) check_calls(net, q1, steps, ctx);
        free(q1);
    }

    /* a failure is the same whatever the thread count: the lowest sub-tree's first bad value */
    for (int th = 1; th <= 3; th++) {
        hs_route_params p;
        hs_route_params_default(&p);
        p.n_threads = th;
        hs_route *r = NULL;
        HS_CHECK_INT(hs_route_create(net, HS_ROUTE_IRF, &p, DT, ctx, &r), HS_OK);
        double ro[800] = {0}, q[200];
        ro[hs_network_find_hru(net, 1150)] = NAN;
        HS_CHECK_INT(hs_route_run(r, 1, ro, q, ctx), HS_ERR_NUMERIC);
        HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "runoff of HRU 1150 at step 1");
        hs_route_destroy(&r);
    }
    hs_network_destroy(&net);

    /* chain 1 <- 2 <- 3 <- 4 (4 is the headwater), one HRU on the headwater only */
    const int64_t seg[] = {1, 2, 3, 4}, down[] = {0, 1, 2, 3}, hru[] = {40}, hseg[] = {4};
    const double slope[] = {1e-3, 1e-3, 1e-3, 1e-3}, area[] = {4e8};
    hs_route_params p;
    hs_route_params_default(&p);
    const double width = p.wscale * sqrt(area[0]);
    const double K = sqrt(1e-3) / p.mann_n, q_pulse = 50.0;
    const double c = hs_kwt_celerity(q_pulse / width, K);
    const double L2 = 2.0 * DT * c; /* two steps per reach for the pulse's discharge */
    const double len[] = {L2, L2, L2, 5e3};
    hs_network_desc cd = {4, seg, down, len, slope, 1, hru, hseg, area, 0, "chain"};
    HS_CHECK_INT(hs_network_create(&cd, ctx, &net), HS_OK);
    if (!net) HS_TEST_REPORT();
    const size_t i_out = hs_network_find_seg(net, 1), i_head = hs_network_find_seg(net, 4);
    enum { NSTEP = 40 };
    double ro[NSTEP], q[NSTEP * 4];
    for (size_t k = 0; k < NSTEP; k++) ro[k] = k == 0 ? q_pulse / area[0] : 0.0;

    /* KWT, steady runoff from day 0: once the hillslope and the reaches have filled, every reach
     * passes the headwater's flow on exactly (equal particles move and interpolate exactly) */
    p.tscale_s = 60.0;
    hs_route *r = NULL;
    HS_CHECK_INT(hs_route_create(net, HS_ROUTE_KWT, &p, DT, ctx, &r), HS_OK);
    if (r) {
        double ro_c[NSTEP];
        for (size_t k = 0; k < NSTEP; k++) ro_c[k] = q_pulse / area[0];
        HS_CHECK_INT(hs_route_run(r, NSTEP, ro_c, q, ctx), HS_OK);
        double worst = 0.0;
        for (size_t k = 15; k < NSTEP; k++)
            for (size_t s = 0; s < 4; s++)
                worst = fmax(worst, fabs(q[k * 4 + s] - q_pulse) / q_pulse);
        printf("KWT chain, steady %.0f m3/s: every reach within %.1e of it from day 15\n",
               q_pulse, worst);
        HS_CHECK(worst < 1e-14);
        /* the whole-series one-segment call keeps KWT's order (not linear): the same bits */
        HS_CHECK_INT(hs_route_run(r, NSTEP, ro, q, ctx), HS_OK); /* after the steady days */
        hs_route_init(r);
        HS_CHECK_INT(hs_route_run(r, NSTEP, ro, q, ctx), HS_OK);
        double q_whole[NSTEP];
        HS_CHECK_INT(hs_route_run_segment_whole(r, NSTEP, ro, 1.0, i_out, q_whole, ctx), HS_OK);
        size_t differ = 0;
        for (size_t k = 0; k < NSTEP; k++)
            differ += memcmp(&q_whole[k], &q[k * 4 + i_out], sizeof q_whole[k]) != 0;
        HS_CHECK(differ == 0);
        HS_CHECK(q[i_head] > 0.0 && q[i_out] > 0.0);
        hs_route_destroy(&r);
    }

    /* IRF on the same chain: headwater output = runoff through the hillslope UH alone (no
     * channel routing of a reach's own runoff); the next reach = its UH applied to that */
    hs_route_params_default(&p);
    HS_CHECK_INT(hs_route_create(net, HS_ROUTE_IRF, &p, DT, ctx, &r), HS_OK);
    if (r) {
        HS_CHECK_INT(hs_route_run(r, NSTEP, ro, q, ctx), HS_OK);
        size_t nh_uh = 0;
        HS_CHECK_INT(hs_uh_hillslope_len(p.fshape, p.tscale_s, DT, ctx, &nh_uh), HS_OK);
        double hw[32] = {0};
        HS_CHECK_INT(hs_uh_gamma_fractions(p.fshape, p.tscale_s, DT, nh_uh, hw, ctx), HS_OK);
        for (size_t k = 0; k < NSTEP; k++)
            HS_CHECK_REL(q[k * 4 + i_head], k < nh_uh ? q_pulse * hw[k] : 0.0, 1e-12);
        double *uh = NULL;
        size_t n_uh = 0;
        HS_CHECK_INT(hs_irf_make_uh(L2, p.velo_ms, p.diff_m2s, DT, p.irf_form, ctx, &uh, &n_uh),
                     HS_OK);
        HS_CHECK_INT(hs_route_uh_len(r, hs_network_find_seg(net, 3)), n_uh);
        const size_t i3 = hs_network_find_seg(net, 3);
        for (size_t k = 0; uh && k < NSTEP; k++) {
            double x = 0;
            for (size_t j = 0; j <= k && j < n_uh; j++) x += uh[j] * q[(k - j) * 4 + i_head];
            HS_CHECK_CLOSE(q[k * 4 + i3], x, 1e-12 * q_pulse);
        }
        hs_free(uh);
        hs_route_destroy(&r);
    }

    /* KWT on the chain, a day of runoff on day 3 through the default hillslope UH: the event
     * passes reach by reach (each peak at least two days after the one above: the reaches take
     * two days at 50 m3/s, and less flow moves slower) and, 40 days on, the outlet has passed
     * the event's volume within KWT's volume error (measured +7.7 %: the recession is linear in
     * time between the event's last particles and the nearly dry ones behind it, which move at
     * the celerity of mizuRoute's runoff floor; docs/routing.md) */
    {
        double ro3[NSTEP] = {0}, q3[NSTEP * 4], vol = 0.0;
        ro3[3] = q_pulse / area[0];
        hs_route_params_default(&p);
        HS_CHECK_INT(hs_route_create(net, HS_ROUTE_KWT, &p, DT, ctx, &r), HS_OK);
        if (r) {
            HS_CHECK_INT(hs_route_run(r, NSTEP, ro3, q3, ctx), HS_OK);
            size_t k_peak[4] = {0, 0, 0, 0};
            for (int64_t id = 4; id >= 1; id--) {
                const size_t s = hs_network_find_seg(net, id), j = (size_t)(4 - id);
                for (size_t k = 0; k < NSTEP; k++)
                    if (q3[k * 4 + s] > q3[k_peak[j] * 4 + s]) k_peak[j] = k;
                if (j > 0) HS_CHECK(k_peak[j] >= k_peak[j - 1] + 2);
            }
            for (size_t k = 0; k < NSTEP; k++) vol += q3[k * 4 + i_out];
            printf("KWT chain, one day of runoff: peaks on days %zu, %zu, %zu, %zu (headwater to "
                   "outlet); outlet volume over %d days %.6g of %.6g\n", k_peak[0], k_peak[1],
                   k_peak[2], k_peak[3], NSTEP, vol, q_pulse);
            HS_CHECK_REL(vol, q_pulse, 0.1);
            hs_route_destroy(&r);
        }
    }

    /* parameter errors name the parameter */
    hs_route_params_default(&p);
    p.velo_ms = 0.0;
    HS_CHECK_INT(hs_route_create(net, HS_ROUTE_IRF, &p, DT, ctx, &r), HS_ERR_ARG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "velo = 0");
    hs_route_params_default(&p);
    p.wscale = -1;
    HS_CHECK_INT(hs_route_create(net, HS_ROUTE_KWT, &p, DT, ctx, &r), HS_ERR_ARG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "wscale");
    hs_route_destroy(&r);
    hs_network_destroy(&net);
    hs_ctx_destroy(&ctx);
    HS_TEST_REPORT();
}
