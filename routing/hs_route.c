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
    /* hillslope (§6.2): one UH shared by all segments; the lateral inflow of the last n_hill - 1
     * steps is its state (hist, below) */
    size_t n_hill;
    double *hill_uh;      /* [n_hill] */
    double *hill_pending; /* [n_hill] sum of hill_uh[m + 1 ..]: not yet released m steps on */
    /* IRF (§6.3): per-segment UH and ring, packed */
    size_t *irf_off;  /* [n_seg + 1] by position in the routing order (as every array below) */
    double *irf_uh;   /* [irf_off[n_seg]] */
    double *irf_ring; /* [irf_off[n_seg]] m3/s */
    size_t *irf_pos;  /* [n_seg] ring position of the current step (step % UH length) */
    /* KWT (§6.4), by position. A reach reads what its upstream segments pass at the same
     * step: their outflow points (hs_kwt_reach.out) and their hillslope outflow of this step
     * and the one before. The trunk routes a block after the sub-trees, so a sub-tree root that
     * drains into the trunk also keeps its outflow points of every step of the block (kwt_hist,
     * row kwt_slot[p]); kwt_hill_last keeps the hillslope outflow of the step before the block. */
    hs_kwt_channel *kwt_ch;   /* [n_seg] */
    hs_kwt_reach *kwt;        /* [n_seg] */
    double *kwt_hill_last;    /* [n_seg] */
    size_t *kwt_slot;         /* [n_seg] row in kwt_hist, or HS_NETWORK_NONE */
    hs_kwt_outflow *kwt_hist; /* [n_slots][block] */
    /* per thread: upstream descriptors, inflow points and the step's scratch */
    size_t kwt_max_up, kwt_in_cap, kwt_work_len;
    hs_kwt_upstream *kwt_up; /* [n_threads][kwt_max_up] */
    hs_kwt_point *kwt_pts;   /* [n_threads][kwt_in_cap] */
    double *kwt_work;        /* [n_threads][kwt_work_len] */
    /* The network flattened in routing order once, so that the per-step kernel reads arrays
     * instead of calling the network's accessors (another translation unit): position p of
     * hs_network_order() routes segment plan_seg[p], whose upstream segments are at the
     * positions plan_up[plan_up_off[p] .. plan_up_off[p + 1]) in the network's order. HRU h
     * drains into the segment at position hru_pos[h] (HS_NETWORK_NONE: unmapped), area
     * hru_area[h]. */
    size_t *plan_seg, *plan_up_off, *plan_up, *hru_pos, *seg_pos; /* seg_pos: plan_seg^-1 */
    double *hru_area;
    /* Steps are routed in blocks of `block`: first the lateral inflow of every segment for the
     * block (m3/s, plan order) from the runoff rows read front to back, into the rows of hist
     * after the n_hill - 1 rows of earlier steps (hist[n_hill - 1 + i][p] for step i of the
     * block; lat points there); then the hillslope outflow of the block for every segment,
     * hill_out[i][p]; then the channels, sub-tree by sub-tree. */
    size_t block;
    double *hist;     /* [n_hill - 1 + block][n_seg] */
    double *lat;      /* = hist + (n_hill - 1) n_seg */
    double *hill_out; /* [block][n_seg] */
    double *q_blk;    /* [block][n_seg] the block's discharge by position, copied out after it */
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
    hs_free(x->hill_pending);
    hs_free(x->irf_off);
    hs_free(x->irf_uh);
    hs_free(x->irf_ring);
    hs_free(x->irf_pos);
    hs_free(x->plan_seg);
    hs_free(x->seg_pos);
    hs_free(x->plan_up_off);
    hs_free(x->plan_up);
    hs_free(x->hru_pos);
    hs_free(x->hru_area);
    hs_free(x->hist);
    hs_free(x->hill_out);
    hs_free(x->q_blk);
    hs_free(x->kwt_ch);
    hs_free(x->kwt);
    hs_free(x->kwt_hill_last);
    hs_free(x->kwt_slot);
    hs_free(x->kwt_hist);
    hs_free(x->kwt_up);
    hs_free(x->kwt_pts);
    hs_free(x->kwt_work);
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
        for (size_t p = 0; p < ns; p++) {
            const size_t s = r->plan_seg[p];
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
            r->irf_off[p] = off;
            off += n;
        }
        r->irf_off[ns] = off;
        if (pass == 0) {
            HS_TRY(HS_ALLOC_ARRAY(ctx, r->irf_uh, off, "IRF unit hydrographs"));
            HS_TRY(HS_ALLOC_ARRAY(ctx, r->irf_ring, off, "IRF routing buffers"));
            HS_TRY(HS_ALLOC_ARRAY(ctx, r->irf_pos, ns, "IRF ring positions"));
        }
    }
    return HS_OK;
}

static hs_status build_kwt(hs_route *r, hs_ctx *ctx) {
    const size_t ns = r->n_seg;
    HS_TRY(HS_ALLOC_ARRAY(ctx, r->kwt_ch, ns, "KWT channels"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, r->kwt, ns, "KWT particles"));
    for (size_t p = 0; p < ns; p++) {
        const size_t s = r->plan_seg[p];
        /* §6.4: width = wscale sqrt(totalArea); a reach with no contributing area never carries
         * flow, 1 m2 only keeps the width positive */
        const double area = fmax(hs_network_total_area_m2(r->net, s), 1.0);
        r->kwt_ch[p].length_m = hs_network_length_m(r->net, s);
        r->kwt_ch[p].width_m = r->p.wscale * sqrt(area);
        r->kwt_ch[p].k_manning = sqrt(hs_network_slope(r->net, s)) / r->p.mann_n;
        /* mizuRoute's runoff floor over the area upstream of the reach's top (hs_kwt.h) */
        const double a_up = hs_network_total_area_m2(r->net, s) - hs_network_basin_area_m2(r->net, s);
        r->kwt_ch[p].q_min_m2s = HS_KWT_RUNOFF_MIN * fmax(a_up, 0.0) / r->kwt_ch[p].width_m;
    }
    HS_TRY(HS_ALLOC_ARRAY(ctx, r->kwt_hill_last, ns, "KWT hillslope outflow"));
    /* sub-tree roots draining into the trunk (positions before the trunk whose downstream
     * segment is in it) */
    const size_t trunk = hs_network_tree_offsets(r->net)[hs_network_n_trees(r->net)];
    HS_TRY(HS_ALLOC_ARRAY(ctx, r->kwt_slot, ns, "KWT sub-tree roots"));
    size_t n_slots = 0, max_up = 1;
    for (size_t p = 0; p < ns; p++) {
        const size_t dn = hs_network_down(r->net, r->plan_seg[p]);
        r->kwt_slot[p] = p < trunk && dn != HS_NETWORK_NONE && r->seg_pos[dn] >= trunk
                             ? n_slots++
                             : HS_NETWORK_NONE;
        const size_t n_up = r->plan_up_off[p + 1] - r->plan_up_off[p];
        if (n_up > max_up) max_up = n_up;
    }
    HS_TRY(HS_ALLOC_ARRAY(ctx, r->kwt_hist, (n_slots ? n_slots : 1) * r->block,
                          "KWT sub-tree outflow"));
    const size_t nt = (size_t)r->n_threads;
    r->kwt_max_up = max_up;
    r->kwt_in_cap = HS_KWT_INFLOW_CAP(max_up);
    r->kwt_work_len = HS_KWT_WORK_LEN(r->kwt_in_cap);
    HS_TRY(HS_ALLOC_ARRAY(ctx, r->kwt_up, nt * max_up, "KWT scratch"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, r->kwt_pts, nt * r->kwt_in_cap, "KWT scratch"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, r->kwt_work, nt * r->kwt_work_len, "KWT scratch"));
    return HS_OK;
}

/* Bytes of lateral inflow per block: the block's rows stay in the core's L2 cache between the
 * lateral pass and the routing pass. */
#define ROUTE_BLOCK_BYTES (256u * 1024u)
#define ROUTE_BLOCK_MAX 64u

static hs_status build_plan(hs_route *r, hs_ctx *ctx) {
    const size_t ns = r->n_seg, nh = r->n_hru;
    const size_t *order = hs_network_order(r->net);
    size_t n_up_links = 0, n;
    for (size_t s = 0; s < ns; s++) {
        hs_network_upstream(r->net, s, &n);
        n_up_links += n;
    }
    HS_TRY(HS_ALLOC_ARRAY(ctx, r->plan_seg, ns, "routing plan"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, r->seg_pos, ns, "routing plan"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, r->plan_up_off, ns + 1, "routing plan"));
    /* at least one element each: a network may have no upstream links (one segment) */
    HS_TRY(HS_ALLOC_ARRAY(ctx, r->plan_up, n_up_links + 1, "routing plan"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, r->hru_pos, nh + 1, "routing plan"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, r->hru_area, nh + 1, "routing plan"));
    for (size_t h = 0; h < nh; h++) {
        r->hru_pos[h] = HS_NETWORK_NONE;
        r->hru_area[h] = hs_network_hru_area_m2(r->net, h);
    }
    size_t ou = 0;
    for (size_t p = 0; p < ns; p++) {
        const size_t s = order[p];
        r->plan_seg[p] = s;
        r->seg_pos[s] = p;
        r->plan_up_off[p] = ou;
        const size_t *hrus = hs_network_hrus(r->net, s, &n);
        for (size_t j = 0; j < n; j++) r->hru_pos[hrus[j]] = p;
        const size_t *up = hs_network_upstream(r->net, s, &n);
        for (size_t j = 0; j < n; j++) r->plan_up[ou++] = up[j];
    }
    r->plan_up_off[ns] = ou;
    /* upstream links as positions: the block's discharge is kept by position (q_blk) */
    for (size_t j = 0; j < ou; j++) r->plan_up[j] = r->seg_pos[r->plan_up[j]];
    r->block = ROUTE_BLOCK_BYTES / (sizeof(double) * (ns > 0 ? ns : 1));
    if (r->block < 1) r->block = 1;
    if (r->block > ROUTE_BLOCK_MAX) r->block = ROUTE_BLOCK_MAX;
    const size_t rows = r->n_hill - 1 + r->block;
    if (ns > ((size_t)-1) / sizeof(double) / rows)
        return HS_FAIL(ctx, HS_ERR_NOMEM, "routing: lateral inflow buffer too large");
    HS_TRY(HS_ALLOC_ARRAY(ctx, r->hist, rows * ns, "lateral inflow"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, r->hill_out, r->block * ns, "hillslope outflow"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, r->q_blk, r->block * ns, "block discharge"));
    r->lat = r->hist + (r->n_hill - 1) * ns;
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
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, r->hill_pending, r->n_hill, "hillslope UH");
    for (size_t m = 0; st == HS_OK && m < r->n_hill; m++) {
        double pending = 0.0;
        for (size_t j = m + 1; j < r->n_hill; j++) pending += r->hill_uh[j];
        r->hill_pending[m] = pending;
    }
    if (st == HS_OK) st = build_plan(r, ctx);
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
    memset(r->hist, 0, (r->n_hill - 1) * r->n_seg * sizeof *r->hist);
    if (r->irf_ring) memset(r->irf_ring, 0, r->irf_off[r->n_seg] * sizeof *r->irf_ring);
    if (r->kwt) {
        memset(r->kwt, 0, r->n_seg * sizeof *r->kwt);
        memset(r->kwt_hill_last, 0, r->n_seg * sizeof *r->kwt_hill_last);
    }
}

/* One block's inputs, shared read-only by the chunks (on the caller's stack). */
typedef struct run_args {
    hs_route *r;
    size_t n_steps;        /* steps in the block */
    size_t step0;          /* absolute step of the block's first step */
    const double *runoff;  /* the block's first row */
    double divisor;        /* runoff / divisor is m/s */
    bool no_hill;          /* route_steps' */
} run_args;

/* A non-finite runoff found by lateral_chunk: kept out of the loop so that it stays small. */
static __attribute__((noinline, cold)) hs_status bad_runoff(const hs_route *r, size_t hru,
                                                            size_t k, double v, hs_ctx *ctx) {
    return HS_FAIL(ctx, HS_ERR_NUMERIC, "runoff of HRU %" PRId64 " at step %zu is %g (missing "
                   "or not finite)", hs_network_hru_id(r->net, hru), k + 1, v);
}

/* Lateral inflow of every segment at step `chunk` of the block (§6.1: the sum of runoff (m/s)
 * times area (m2) over the segment's HRUs, in HRU order as the network lists them). The runoff
 * row is read front to back: read in network order, the rows of a distributed domain (19 KB on
 * the Bow) defeated the hardware prefetcher and their loads were most of the routing time. */
static hs_status lateral_chunk(void *user, size_t chunk, int thread, hs_ctx *ctx) {
    (void)thread;
    const run_args *a = user;
    const hs_route *r = a->r;
    const size_t nh = r->n_hru;
    const double *row = a->runoff + chunk * nh;
    double *lat = r->lat + chunk * r->n_seg;
    memset(lat, 0, r->n_seg * sizeof *lat);
    for (size_t h = 0; h < nh; h++) {
        const size_t p = r->hru_pos[h];
        if (p == HS_NETWORK_NONE) continue;
        const double v = row[h] / a->divisor;
        if (!isfinite(v)) return bad_runoff(r, h, a->step0 + chunk, row[h], ctx);
        lat[p] += v * r->hru_area[h];
    }
    return HS_OK;
}

/* The copies of hill_block chosen at load time (as hs_fuse.c's kernels): 8, 4 or 2 segments
 * per instruction; element-wise, no contraction (hs_route.c builds with -ffp-contract=off), so
 * every copy gives the same bits. */
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define ROUTE_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#endif
#ifndef ROUTE_CLONES
#define ROUTE_CLONES
#endif

/* §6.2 hillslope UH of the positions [lo, hi) over the n_steps steps of a block, first
 * ordinate on the same step (§6.4a): hill_out[i][p] = sum over j of uh[j] * (lateral inflow of
 * step i - j), from the oldest inflow to the newest, an inflow of zero skipped. These are
 * exactly the operations of a ring of future flows per segment (hs_irf_ring_step: each step's
 * inflow times the ordinates added into the next n_hill slots, a zero inflow skipped), whose
 * slot for step t receives the inflows of t - n_hill + 1 .. t in that order: the same bits, but
 * no ring is written back. Every segment shares the UH, so eight segments go per vector, and
 * the block's steps reuse the same few rows of inflow from the L1 cache (the per-segment rings
 * of a distributed domain streamed n_hill rows through L2 per step: with the 2.4-day hillslope
 * time scale DDS finds on the Bow, 22 rows of 19 KB). */
enum { HILL_V = 8 };
ROUTE_CLONES static void hill_block(const hs_route *r, size_t lo, size_t hi, size_t n_steps) {
    const size_t n = r->n_hill, ns = r->n_seg;
    const double *uh = r->hill_uh;
    size_t p0 = lo;
    for (; p0 + HILL_V <= hi; p0 += HILL_V)
        for (size_t i = 0; i < n_steps; i++) {
            const double *in = r->hist + (i + n - 1) * ns + p0; /* inflow of step i - j */
            double acc[HILL_V] = {0.0};
            for (size_t j = n; j-- > 0;) {
                const double *row = in - j * ns;
                const double u = uh[j];
#pragma omp simd
                for (int l = 0; l < HILL_V; l++)
                    acc[l] = row[l] != 0.0 ? acc[l] + u * row[l] : acc[l];
            }
            double *out = r->hill_out + i * ns + p0;
#pragma omp simd
            for (int l = 0; l < HILL_V; l++) out[l] = acc[l];
        }
    for (size_t p = p0; p < hi; p++) /* the last few, one by one */
        for (size_t i = 0; i < n_steps; i++) {
            const double *in = r->hist + (i + n - 1) * ns + p;
            double acc = 0.0;
            for (size_t j = n; j-- > 0;) {
                const double v = in[-(ptrdiff_t)(j * ns)];
                if (v != 0.0) acc = acc + uh[j] * v;
            }
            r->hill_out[i * ns + p] = acc;
        }
}

/* The channel step of one block, read from the router once: its stores (a ring position is a
 * size_t, which may alias any size_t field of the router) no longer make the compiler reload
 * every field for every segment. */
typedef struct channel_kernel {
    const size_t *restrict up_off, *restrict up, *restrict irf_off; /* up: positions */
    size_t *restrict irf_pos;
    const double *restrict irf_uh;
    double *restrict irf_ring;
    const double *restrict hill_out; /* the block's hillslope outflow (hill_block) */
    double *restrict q;              /* the block's discharge rows, by position (q_blk) */
    size_t n_seg, n_steps, step0;
    double dt_s;
    bool irf;
} channel_kernel;

/* KWT channel step of position p at step i of the block on thread `thread`: gathers what the
 * upstream segments pass (mizuRoute qexmul_rch: their outflow points and their own hillslope
 * flow), routes, and keeps the outflow points of a sub-tree root for the trunk. */
/* (not inlined: IRF's loop stays as small as before) */
static __attribute__((noinline)) double kwt_position(const channel_kernel *c, hs_route *r,
                                                    size_t p, size_t i, int thread) {
    const size_t ns = c->n_seg, k = c->step0 + i;
    const double t0 = (double)k * c->dt_s;
    hs_kwt_upstream *up = r->kwt_up + (size_t)thread * r->kwt_max_up;
    size_t n_up = 0;
    for (size_t j = c->up_off[p]; j < c->up_off[p + 1]; j++, n_up++) {
        const size_t u = c->up[j];
        up[n_up].q_hill_m3s = c->hill_out[i * ns + u];
        up[n_up].q_hill_prev_m3s = i > 0 ? c->hill_out[(i - 1) * ns + u] : r->kwt_hill_last[u];
        up[n_up].width_m = r->kwt_ch[u].width_m;
        if (c->up_off[u + 1] == c->up_off[u]) up[n_up].out = NULL; /* headwater */
        else if (r->kwt_slot[u] != HS_NETWORK_NONE)
            up[n_up].out = &r->kwt_hist[r->kwt_slot[u] * r->block + i];
        else up[n_up].out = &r->kwt[u].out;
    }
    hs_kwt_point *pts = r->kwt_pts + (size_t)thread * r->kwt_in_cap;
    const size_t n_in = hs_kwt_inflow(up, n_up, r->kwt_ch[p].width_m, t0, t0 + c->dt_s, pts);
    const double routed = hs_kwt_step(&r->kwt_ch[p], &r->kwt[p], pts, n_in, t0, c->dt_s,
                                      r->kwt_work + (size_t)thread * r->kwt_work_len);
    if (r->kwt_slot[p] != HS_NETWORK_NONE)
        r->kwt_hist[r->kwt_slot[p] * r->block + i] = r->kwt[p].out;
    return routed;
}

/* Routes the segment at position p of the routing order at step i of the block (the kernel:
 * pure, no allocation), after hill_block. Reads its hillslope outflow and the discharge of its
 * upstream segments at the same step, writes its own (by position: the block's rows stay in
 * L2; written by segment, they had been scattered stores over rows of all segments). */
static inline void route_position(const channel_kernel *c, hs_route *r, size_t p, size_t i,
                                  int thread) {
    const double q_hill = c->hill_out[i * c->n_seg + p];
    double *q_now = c->q + i * c->n_seg;
    double routed;
    if (c->irf) {
        /* upstream inflow, summed in the network's (input) order so the sum is reproducible */
        double q_up = 0.0;
        for (size_t j = c->up_off[p]; j < c->up_off[p + 1]; j++)
            q_up += q_now[c->up[j]];
        const size_t off = c->irf_off[p], n = c->irf_off[p + 1] - off, pos = c->irf_pos[p];
        routed = hs_irf_ring_step(c->irf_uh + off, n, c->irf_ring + off, pos, q_up);
        c->irf_pos[p] = pos + 1 == n ? 0 : pos + 1;
    } else {
        routed = kwt_position(c, r, p, i, thread);
    }
    /* own runoff joins at the bottom of the reach (hw_drain_point "bottom", §6.3/§6.4) */
    q_now[p] = routed + q_hill;
}

/* Routes the positions [lo, hi) of the routing order over every step of the block. */
static void route_range(const run_args *a, size_t lo, size_t hi, int thread) {
    hs_route *r = a->r;
    const channel_kernel c = {r->plan_up_off, r->plan_up, r->irf_off, r->irf_pos,
                              r->irf_uh, r->irf_ring, a->no_hill ? r->lat : r->hill_out, r->q_blk,
                              r->n_seg, a->n_steps, a->step0, r->dt_s, r->scheme == HS_ROUTE_IRF};
    for (size_t i = 0; i < a->n_steps; i++)
        for (size_t p = lo; p < hi; p++) route_position(&c, r, p, i, thread);
}

/* Positions per chunk of the hillslope pass (a multiple of HILL_V): the hillslope does not
 * depend on the network, so it runs over all positions before the sub-trees, in long vector
 * runs (per sub-tree, most of a grid's many small sub-trees fell to the one-by-one tail). */
enum { HILL_CHUNK = 64 * HILL_V };

static hs_status hill_chunk(void *user, size_t chunk, int thread, hs_ctx *ctx) {
    (void)thread;
    (void)ctx;
    const run_args *a = user;
    const size_t lo = chunk * HILL_CHUNK, hi = lo + HILL_CHUNK < a->r->n_seg ? lo + HILL_CHUNK
                                                                             : a->r->n_seg;
    hill_block(a->r, lo, hi, a->n_steps);
    return HS_OK;
}

static hs_status tree_chunk(void *user, size_t chunk, int thread, hs_ctx *ctx) {
    (void)ctx;
    const run_args *a = user;
    const size_t *off = hs_network_tree_offsets(a->r->net);
    route_range(a, off[chunk], off[chunk + 1], thread);
    return HS_OK;
}

/* Routes n_steps steps; writes every segment's discharge to q_all ([t][n_seg], network order)
 * if given, and segment one_seg's to q_one ([t]) if given. no_hill: the channels take the
 * lateral inflow as it is (hs_route_run_segment_whole applies the hillslope afterwards). */
static hs_status route_steps(hs_route *r, size_t n_steps, const double *runoff, double divisor,
                             double *q_all, size_t one_seg, double *q_one, bool no_hill,
                             hs_ctx *ctx) {
    const size_t n_trees = hs_network_n_trees(r->net), ns = r->n_seg;
    const size_t *off = hs_network_tree_offsets(r->net);
    if (r->irf_pos) /* each segment's ring position at the call's first step */
        for (size_t p = 0; p < ns; p++)
            r->irf_pos[p] = r->step % (r->irf_off[p + 1] - r->irf_off[p]);
    r->ctxs[0] = ctx;
    hs_status st = HS_OK;
    for (size_t b0 = 0; b0 < n_steps && st == HS_OK; b0 += r->block) {
        const size_t nb = n_steps - b0 < r->block ? n_steps - b0 : r->block;
        run_args a = {r, nb, r->step, runoff + b0 * r->n_hru, divisor, no_hill};
        st = hs_exec_chunks(nb, r->n_threads, false, lateral_chunk, &a, r->ctxs);
        if (st == HS_OK && !no_hill)
            st = hs_exec_chunks((ns + HILL_CHUNK - 1) / HILL_CHUNK, r->n_threads, false,
                                hill_chunk, &a, r->ctxs);
        /* sub-trees are independent (no inflow from outside), so each runs the block on its own.
         * IRF's sub-trees cost about what their size says: contiguous ranges per thread (static)
         * keep each thread's rows of q_blk and the rings its own; handed out one by one
         * (dynamic), neighbouring sub-trees alternated between threads and 2 threads ran the
         * sub-trees slower than 1 (bench_route 15 -> 25 ms). KWT's cost follows its particles,
         * very unevenly (distributed Bow: 2 threads 134 ms static, 78 ms dynamic). */
        if (st == HS_OK)
            st = hs_exec_chunks(n_trees, r->n_threads, r->scheme != HS_ROUTE_IRF, tree_chunk, &a,
                                r->ctxs);
        if (st != HS_OK) break;
        /* the trunk needs every sub-tree's discharge: after them, upstream first */
        route_range(&a, off[n_trees], ns, 0);
        /* out of the block, in the network's segment order: rows written front to back */
        for (size_t i = 0; i < nb; i++) {
            const double *qb = r->q_blk + i * ns;
            if (q_all) {
                double *row = q_all + (b0 + i) * ns;
                for (size_t s = 0; s < ns; s++) row[s] = qb[r->seg_pos[s]];
            }
            if (q_one) q_one[b0 + i] = qb[r->seg_pos[one_seg]];
        }
        /* KWT: the hillslope outflow of the block's last step ramps into the next block */
        if (r->kwt_hill_last)
            memcpy(r->kwt_hill_last, r->hill_out + (nb - 1) * ns, ns * sizeof *r->hill_out);
        /* the last n_hill - 1 steps' inflows become the next block's history */
        memmove(r->hist, r->hist + nb * ns, (r->n_hill - 1) * ns * sizeof *r->hist);
        r->step += nb;
    }
    r->ctxs[0] = NULL;
    return st;
}

static hs_status check_run(const hs_route *r, size_t n_steps, const double *runoff,
                           double divisor, const double *q, hs_ctx *ctx) {
    if (!r || (n_steps > 0 && (!runoff || !q)))
        return HS_FAIL(ctx, HS_ERR_ARG, "routing: NULL router, runoff or discharge");
    if (!(divisor > 0.0) || !isfinite(divisor))
        return HS_FAIL(ctx, HS_ERR_ARG, "routing: runoff divisor %g must be positive", divisor);
    return HS_OK;
}

hs_status hs_route_run_scaled(hs_route *r, size_t n_steps, const double *runoff, double divisor,
                              double *q_m3s, hs_ctx *ctx) {
    HS_TRY(check_run(r, n_steps, runoff, divisor, q_m3s, ctx));
    if (n_steps == 0) return HS_OK;
    return route_steps(r, n_steps, runoff, divisor, q_m3s, 0, NULL, false, ctx);
}

hs_status hs_route_run_segment(hs_route *r, size_t n_steps, const double *runoff, double divisor,
                               size_t seg, double *q_seg_m3s, hs_ctx *ctx) {
    HS_TRY(check_run(r, n_steps, runoff, divisor, q_seg_m3s, ctx));
    if (seg >= r->n_seg)
        return HS_FAIL(ctx, HS_ERR_ARG, "routing: segment index %zu out of range (%zu segments)",
                       seg, r->n_seg);
    if (n_steps == 0) return HS_OK;
    return route_steps(r, n_steps, runoff, divisor, NULL, seg, q_seg_m3s, false, ctx);
}

hs_status hs_route_run_segment_whole(hs_route *r, size_t n_steps, const double *runoff,
                                     double divisor, size_t seg, double *q_seg_m3s, hs_ctx *ctx) {
    HS_TRY(check_run(r, n_steps, runoff, divisor, q_seg_m3s, ctx));
    if (seg >= r->n_seg)
        return HS_FAIL(ctx, HS_ERR_ARG, "routing: segment index %zu out of range (%zu segments)",
                       seg, r->n_seg);
    hs_route_init(r);
    if (r->scheme != HS_ROUTE_IRF) { /* KWT is not linear: the hillslope stays first */
        const hs_status st = route_steps(r, n_steps, runoff, divisor, NULL, seg, q_seg_m3s,
                                         false, ctx);
        hs_route_init(r);
        return st;
    }
    const hs_status st = route_steps(r, n_steps, runoff, divisor, NULL, seg, q_seg_m3s, true, ctx);
    hs_route_init(r);
    if (st != HS_OK) return st;
    /* The hillslope UH on the segment's series, in place from the last step back (each step
     * reads only earlier ones); oldest inflow first, zeros skipped, as hill_block sums. */
    const size_t nh = r->n_hill;
    const double *uh = r->hill_uh;
    for (size_t t = n_steps; t-- > 0;) {
        double acc = 0.0;
        for (size_t j = (t + 1 < nh ? t + 1 : nh); j-- > 0;) {
            const double v = q_seg_m3s[t - j];
            if (v != 0.0) acc = acc + uh[j] * v;
        }
        q_seg_m3s[t] = acc;
    }
    return HS_OK;
}

hs_status hs_route_run(hs_route *r, size_t n_steps, const double *runoff_ms, double *q_m3s,
                       hs_ctx *ctx) {
    return hs_route_run_scaled(r, n_steps, runoff_ms, 1.0, q_m3s, ctx);
}

double hs_route_storage_m3(const hs_route *r) {
    double v = 0.0;
    /* buffered flows (m3/s) are each released over one step: volume = flow * dt. On the
     * hillslope: of the inflow of m steps ago (history row n_hill - 1 - m), the ordinates after
     * the m-th are still to come. */
    const size_t nh = r->n_hill, ns = r->n_seg;
    for (size_t s = 0; s < ns; s++)
        for (size_t m = 0; m + 1 < nh; m++)
            v += r->hist[(nh - 2 - m) * ns + r->seg_pos[s]] * r->hill_pending[m] * r->dt_s;
    if (r->irf_ring) /* segment by segment, in the network's order */
        for (size_t s = 0; s < r->n_seg; s++) {
            const size_t p = r->seg_pos[s];
            for (size_t k = r->irf_off[p]; k < r->irf_off[p + 1]; k++)
                v += r->irf_ring[k] * r->dt_s;
        }
    if (r->kwt)
        for (size_t s = 0; s < r->n_seg; s++) {
            const size_t p = r->seg_pos[s];
            v += hs_kwt_storage_m3(&r->kwt_ch[p], &r->kwt[p]);
        }
    return v;
}

size_t hs_route_uh_len(const hs_route *r, size_t seg) {
    if (!r->irf_off) return 0;
    const size_t p = r->seg_pos[seg];
    return r->irf_off[p + 1] - r->irf_off[p];
}
