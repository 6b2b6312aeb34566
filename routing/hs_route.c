/* hs_route.c -- the router: hillslope UH + IRF or KWT over a network, serial or over independent
 * sub-trees in parallel (docs-models.md §6; conventions of §6.4a, see hs_route.h). */
#include "hs_route.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "hs_exec.h"
#include "hs_kwt.h"
#include "hs_uh.h"

struct hs_route {
    const hs_network *net;
    hs_route_scheme scheme;
    hs_route_params p;
    double dt_s;
    size_t n_seg, n_hru;
    size_t step; /* steps routed since init: ring positions and KWT model time derive from it */
    /* hillslope (§6.2): one UH shared by all segments, one ring of n_hill per segment */
    size_t n_hill;
    double *hill_uh;   /* [n_hill] */
    double *hill_ring; /* [n_seg][n_hill] m3/s */
    /* IRF (§6.3): per-segment UH and ring, packed */
    size_t *irf_off;  /* [n_seg + 1] */
    double *irf_uh;   /* [irf_off[n_seg]] */
    double *irf_ring; /* [irf_off[n_seg]] m3/s */
    /* KWT (§6.4) */
    hs_kwt_channel *kwt_ch; /* [n_seg] */
    hs_kwt_reach *kwt;      /* [n_seg] */
    /* one context per thread for hs_exec_chunks; [0] is the caller's at run time */
    int n_threads;
    hs_ctx **ctxs;
};

void hs_route_params_default(hs_route_params *p) {
    p->fshape = 2.5;
    p->tscale_s = 86400.0;
    p->velo_ms = 1.0;
    p->diff_m2s = 1000.0;
    p->min_length_m = 0.0;
    p->irf_form = HS_IRF_MIZUROUTE;
    p->mann_n = 0.025;
    p->wscale = 0.001;
    p->n_threads = 1;
}

const char *hs_route_scheme_name(hs_route_scheme scheme) {
    return scheme == HS_ROUTE_KWT ? "KWT" : "IRF";
}

void hs_route_destroy(hs_route **r) {
    if (!r || !*r) return;
    hs_route *x = *r;
    hs_free(x->hill_uh);
    hs_free(x->hill_ring);
    hs_free(x->irf_off);
    hs_free(x->irf_uh);
    hs_free(x->irf_ring);
    hs_free(x->kwt_ch);
    hs_free(x->kwt);
    if (x->ctxs)
        for (int t = 1; t < x->n_threads; t++) hs_ctx_destroy(&x->ctxs[t]);
    hs_free(x->ctxs);
    hs_free(x);
    *r = NULL;
}

static hs_status check_params(const hs_route_params *p, hs_route_scheme scheme, double dt_s,
                              hs_ctx *ctx) {
#define REQUIRE_POSITIVE(v, name, unit)                                                       \
    if (!((v) > 0.0) || !isfinite(v))                                                        \
        return HS_FAIL(ctx, HS_ERR_ARG, "routing: %s = %g %s must be positive and finite", name, \
                       (v), unit)
    REQUIRE_POSITIVE(dt_s, "time step", "s");
    REQUIRE_POSITIVE(p->fshape, "fshape", "");
    REQUIRE_POSITIVE(p->tscale_s, "tscale", "s");
    if (scheme == HS_ROUTE_IRF) {
        REQUIRE_POSITIVE(p->velo_ms, "velo", "m/s");
        REQUIRE_POSITIVE(p->diff_m2s, "diff", "m2/s");
    } else {
        REQUIRE_POSITIVE(p->mann_n, "mann_n", "");
        REQUIRE_POSITIVE(p->wscale, "wscale", "");
    }
#undef REQUIRE_POSITIVE
    if (scheme != HS_ROUTE_IRF && scheme != HS_ROUTE_KWT)
        return HS_FAIL(ctx, HS_ERR_ARG, "routing: unknown scheme %d", (int)scheme);
    if (p->n_threads < 1)
        return HS_FAIL(ctx, HS_ERR_ARG, "routing: %d threads; need at least 1", p->n_threads);
    return HS_OK;
}

/* Builds the per-segment IRF unit hydrographs, packed into one array. */
static hs_status build_irf(hs_route *r, hs_ctx *ctx) {
    const size_t ns = r->n_seg;
    HS_TRY(HS_ALLOC_ARRAY(ctx, r->irf_off, ns + 1, "IRF offsets"));
    /* two passes: lengths first (to allocate once), then the ordinates */
    for (int pass = 0; pass < 2; pass++) {
        size_t off = 0;
        for (size_t s = 0; s < ns; s++) {
            const double len = hs_network_length_m(r->net, s);
            double *uh = NULL;
            size_t n = 1;
            if (len >= r->p.min_length_m) {
                hs_status st = hs_irf_make_uh(len, r->p.velo_ms, r->p.diff_m2s, r->dt_s,
                                              r->p.irf_form, ctx, &uh, &n);
                if (st != HS_OK)
                    return hs_ctx_prefix(ctx, "segment %" PRId64, hs_network_seg_id(r->net, s));
            }
            if (pass == 1) {
                if (uh) memcpy(r->irf_uh + off, uh, n * sizeof *uh);
                else r->irf_uh[off] = 1.0; /* shorter than min_length_route: pass through */
            }
            hs_free(uh);
            r->irf_off[s] = off;
            off += n;
        }
        r->irf_off[ns] = off;
        if (pass == 0) {
            HS_TRY(HS_ALLOC_ARRAY(ctx, r->irf_uh, off, "IRF unit hydrographs"));
            HS_TRY(HS_ALLOC_ARRAY(ctx, r->irf_ring, off, "IRF routing buffers"));
        }
    }
    return HS_OK;
}

static hs_status build_kwt(hs_route *r, hs_ctx *ctx) {
    const size_t ns = r->n_seg;
    HS_TRY(HS_ALLOC_ARRAY(ctx, r->kwt_ch, ns, "KWT channels"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, r->kwt, ns, "KWT waves"));
    for (size_t s = 0; s < ns; s++) {
        /* §6.4: width = wscale sqrt(totalArea); a reach with no contributing area never carries
         * flow, 1 m2 only keeps the width positive */
        const double area = fmax(hs_network_total_area_m2(r->net, s), 1.0);
        r->kwt_ch[s].length_m = hs_network_length_m(r->net, s);
        r->kwt_ch[s].width_m = r->p.wscale * sqrt(area);
        r->kwt_ch[s].k_manning = sqrt(hs_network_slope(r->net, s)) / r->p.mann_n;
    }
    return HS_OK;
}

hs_status hs_route_create(const hs_network *net, hs_route_scheme scheme,
                          const hs_route_params *p, double dt_s, hs_ctx *ctx, hs_route **out) {
    if (!out || !net || !p) return HS_FAIL(ctx, HS_ERR_ARG, "routing: NULL argument");
    *out = NULL;
    HS_TRY(check_params(p, scheme, dt_s, ctx));
    hs_route *r = NULL;
    HS_TRY(hs_alloc(ctx, 1, sizeof *r, "router", (void **)&r));
    r->net = net;
    r->scheme = scheme;
    r->p = *p;
    r->dt_s = dt_s;
    r->n_seg = hs_network_n_seg(net);
    r->n_hru = hs_network_n_hru(net);
    r->n_threads = p->n_threads;
    hs_status st = hs_uh_hillslope_len(p->fshape, p->tscale_s, dt_s, ctx, &r->n_hill);
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, r->hill_uh, r->n_hill, "hillslope UH");
    if (st == HS_OK)
        st = hs_uh_gamma_fractions(p->fshape, p->tscale_s, dt_s, r->n_hill, r->hill_uh, ctx);
    if (st == HS_OK && r->n_seg > ((size_t)-1) / r->n_hill)
        st = HS_FAIL(ctx, HS_ERR_NOMEM, "routing: hillslope buffers too large");
    if (st == HS_OK)
        st = HS_ALLOC_ARRAY(ctx, r->hill_ring, r->n_seg * r->n_hill, "hillslope buffers");
    if (st == HS_OK) st = scheme == HS_ROUTE_IRF ? build_irf(r, ctx) : build_kwt(r, ctx);
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, r->ctxs, (size_t)r->n_threads, "routing contexts");
    for (int t = 1; st == HS_OK && t < r->n_threads; t++) {
        r->ctxs[t] = hs_ctx_clone(ctx);
        if (!r->ctxs[t]) st = HS_FAIL(ctx, HS_ERR_NOMEM, "routing: out of memory (contexts)");
    }
    if (st != HS_OK) {
        hs_route_destroy(&r);
        return st;
    }
    hs_route_init(r);
    *out = r;
    return HS_OK;
}

void hs_route_init(hs_route *r) {
    r->step = 0;
    memset(r->hill_ring, 0, r->n_seg * r->n_hill * sizeof *r->hill_ring);
    if (r->irf_ring) memset(r->irf_ring, 0, r->irf_off[r->n_seg] * sizeof *r->irf_ring);
    if (r->kwt) memset(r->kwt, 0, r->n_seg * sizeof *r->kwt);
}

/* One run call's inputs, shared read-only by the chunks (on the caller's stack). */
typedef struct run_args {
    hs_route *r;
    size_t n_steps;
    const double *runoff;
    double *q;
} run_args;

enum { ROUTE_PREFETCH = 2 }; /* steps ahead */

/* Routes segment s at step i of this call (the kernel: pure, no allocation). Reads the runoff of
 * its HRUs and the discharge of its upstream segments at the same step, writes its own. */
static hs_status route_segment(const run_args *a, size_t s, size_t i, hs_ctx *ctx) {
    hs_route *r = a->r;
    const size_t k = r->step + i; /* absolute step */
    /* §6.1 lateral inflow: sum of runoff (m/s) * area (m2) over the segment's HRUs */
    size_t nh, nu;
    const size_t *hrus = hs_network_hrus(r->net, s, &nh);
    const double *ro = a->runoff + i * r->n_hru;
#if defined(__GNUC__) || defined(__clang__)
    /* A step's row of runoff (and of discharge) is read in network order, which scatters it: no
     * hardware prefetcher follows, and on the distributed Bow (2,396 HRUs, a 19 KB row) the
     * load of each HRU's runoff missed to memory (61 % of this function, perf). The rows a few
     * steps ahead are fetched now, HRU by HRU, as the segments come. */
    if (i + ROUTE_PREFETCH < a->n_steps) {
        const double *ahead = ro + ROUTE_PREFETCH * r->n_hru;
        for (size_t j = 0; j < nh; j++) __builtin_prefetch(ahead + hrus[j]);
        __builtin_prefetch(a->q + (i + ROUTE_PREFETCH) * r->n_seg + s, 1);
    }
#endif
    double q_lat = 0.0;
    for (size_t j = 0; j < nh; j++) {
        const double v = ro[hrus[j]];
        if (!isfinite(v))
            return HS_FAIL(ctx, HS_ERR_NUMERIC, "runoff of HRU %" PRId64 " at step %zu is %g "
                           "(missing or not finite)", hs_network_hru_id(r->net, hrus[j]), k + 1,
                           v);
        q_lat += v * hs_network_hru_area_m2(r->net, hrus[j]);
    }
    /* §6.2 hillslope UH, first ordinate on the same step (§6.4a) */
    const double q_hill =
        hs_irf_step(r->hill_uh, r->n_hill, r->hill_ring + s * r->n_hill, k % r->n_hill, q_lat);
    /* upstream inflow, summed in the network's (input) order so the sum is reproducible */
    const size_t *up = hs_network_upstream(r->net, s, &nu);
    double *q_now = a->q + i * r->n_seg;
    double q_up = 0.0;
    for (size_t j = 0; j < nu; j++) q_up += q_now[up[j]];
    double routed;
    if (r->scheme == HS_ROUTE_IRF) {
        const size_t off = r->irf_off[s], n = r->irf_off[s + 1] - off;
        routed = hs_irf_step(r->irf_uh + off, n, r->irf_ring + off, k % n, q_up);
    } else {
        routed = hs_kwt_step(&r->kwt_ch[s], &r->kwt[s], q_up, (double)k * r->dt_s, r->dt_s);
    }
    /* own runoff joins at the bottom of the reach (hw_drain_point "bottom", §6.3/§6.4) */
    q_now[s] = routed + q_hill;
    return HS_OK;
}

/* Routes the segments order[lo, hi) over every step of the call. */
static hs_status route_range(const run_args *a, size_t lo, size_t hi, hs_ctx *ctx) {
    const size_t *order = hs_network_order(a->r->net);
    for (size_t i = 0; i < a->n_steps; i++)
        for (size_t k = lo; k < hi; k++) HS_TRY(route_segment(a, order[k], i, ctx));
    return HS_OK;
}

static hs_status tree_chunk(void *user, size_t chunk, int thread, hs_ctx *ctx) {
    (void)thread;
    const run_args *a = user;
    const size_t *off = hs_network_tree_offsets(a->r->net);
    return route_range(a, off[chunk], off[chunk + 1], ctx);
}

hs_status hs_route_run(hs_route *r, size_t n_steps, const double *runoff_ms, double *q_m3s,
                       hs_ctx *ctx) {
    if (!r || (n_steps > 0 && (!runoff_ms || !q_m3s)))
        return HS_FAIL(ctx, HS_ERR_ARG, "routing: NULL router, runoff or discharge");
    if (n_steps == 0) return HS_OK;
    run_args a = {r, n_steps, runoff_ms, q_m3s};
    const size_t n_trees = hs_network_n_trees(r->net);
    const size_t *off = hs_network_tree_offsets(r->net);
    /* sub-trees are independent (no inflow from outside), so each runs all steps on its own */
    r->ctxs[0] = ctx;
    hs_status st = hs_exec_chunks(n_trees, r->n_threads, true, tree_chunk, &a, r->ctxs);
    r->ctxs[0] = NULL;
    if (st != HS_OK) return st;
    /* the trunk needs every sub-tree's discharge: after them, upstream first */
    HS_TRY(route_range(&a, off[n_trees], r->n_seg, ctx));
    r->step += n_steps;
    return HS_OK;
}

double hs_route_storage_m3(const hs_route *r) {
    double v = 0.0;
    /* buffered flows (m3/s) are each released over one step: volume = flow * dt */
    for (size_t k = 0; k < r->n_seg * r->n_hill; k++) v += r->hill_ring[k] * r->dt_s;
    if (r->irf_ring)
        for (size_t k = 0; k < r->irf_off[r->n_seg]; k++) v += r->irf_ring[k] * r->dt_s;
    if (r->kwt)
        for (size_t s = 0; s < r->n_seg; s++) v += hs_kwt_storage_m3(&r->kwt[s]);
    return v;
}

size_t hs_route_uh_len(const hs_route *r, size_t seg) {
    return r->irf_off ? r->irf_off[seg + 1] - r->irf_off[seg] : 0;
}
