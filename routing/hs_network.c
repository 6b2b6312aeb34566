/* hs_network.c -- validation, topological order, area accumulation and sub-tree partition of a
 * mizuRoute river network (docs-models.md §6.1).
 *
 * Ids are looked up through sorted (id, index) tables built once. The topological order is
 * Kahn's algorithm on the "upstream first" relation with a FIFO seeded in input order, so the
 * order is reproducible. Segments Kahn cannot reach lie on a cycle or downstream of one; a
 * cycle is located by walking down-links (every segment has exactly one), and its ids are named
 * in the error. */
#include "hs_network.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct id_index {
    int64_t id;
    size_t index;
} id_index;

struct hs_network {
    size_t n_seg, n_hru, n_hru_unmapped, outlet, n_trees;
    int64_t *seg_id, *hru_id;
    size_t *down;                   /* [n_seg] */
    double *length_m, *slope;       /* [n_seg] */
    double *basin_area, *total_area;/* [n_seg] m2 */
    double *hru_area;               /* [n_hru] m2 */
    size_t *up_off, *up;            /* CSR: upstream segments of s are up[up_off[s]..up_off[s+1]) */
    size_t *hru_off, *hrus;         /* CSR: HRUs draining into s */
    size_t *order;                  /* [n_seg] trees then trunk */
    size_t *tree_off;               /* [n_trees + 1] */
    id_index *seg_sorted, *hru_sorted;
};

static int cmp_id(const void *a, const void *b) {
    const int64_t x = ((const id_index *)a)->id, y = ((const id_index *)b)->id;
    return (x > y) - (x < y);
}

static size_t find_id(const id_index *t, size_t n, int64_t id) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (t[mid].id < id) lo = mid + 1;
        else hi = mid;
    }
    return (lo < n && t[lo].id == id) ? t[lo].index : HS_NETWORK_NONE;
}

void hs_network_destroy(hs_network **net) {
    if (!net || !*net) return;
    hs_network *n = *net;
    hs_free(n->seg_id);
    hs_free(n->hru_id);
    hs_free(n->down);
    hs_free(n->length_m);
    hs_free(n->slope);
    hs_free(n->basin_area);
    hs_free(n->total_area);
    hs_free(n->hru_area);
    hs_free(n->up_off);
    hs_free(n->up);
    hs_free(n->hru_off);
    hs_free(n->hrus);
    hs_free(n->order);
    hs_free(n->tree_off);
    hs_free(n->seg_sorted);
    hs_free(n->hru_sorted);
    hs_free(n);
    *net = NULL;
}

static hs_status alloc_all(hs_network *n, hs_ctx *ctx) {
    const size_t ns = n->n_seg, nh = n->n_hru;
    HS_TRY(HS_ALLOC_ARRAY(ctx, n->seg_id, ns, "network segment ids"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, n->hru_id, nh, "network HRU ids"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, n->down, ns, "network down links"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, n->length_m, ns, "network lengths"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, n->slope, ns, "network slopes"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, n->basin_area, ns, "network basin areas"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, n->total_area, ns, "network total areas"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, n->hru_area, nh, "network HRU areas"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, n->up_off, ns + 1, "network upstream lists"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, n->up, ns, "network upstream lists"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, n->hru_off, ns + 1, "network HRU lists"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, n->hrus, nh, "network HRU lists"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, n->order, ns, "network order"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, n->tree_off, ns + 1, "network sub-trees"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, n->seg_sorted, ns, "network id table"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, n->hru_sorted, nh, "network id table"));
    return HS_OK;
}

/* Segments, ids and down links; `src` names the source in messages. */
static hs_status build_segments(hs_network *n, const hs_network_desc *d, const char *src,
                                hs_ctx *ctx) {
    const size_t ns = n->n_seg;
    for (size_t s = 0; s < ns; s++) {
        n->seg_id[s] = d->seg_id[s];
        n->seg_sorted[s].id = d->seg_id[s];
        n->seg_sorted[s].index = s;
        if (!(d->length_m[s] > 0.0) || !isfinite(d->length_m[s]))
            return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: segment %" PRId64 " has length %g m; lengths "
                           "must be positive", src, d->seg_id[s], d->length_m[s]);
        if (!isfinite(d->slope[s]))
            return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: segment %" PRId64 " has slope %g", src,
                           d->seg_id[s], d->slope[s]);
        n->length_m[s] = d->length_m[s];
        /* mizuRoute raises flat or negative slopes so that Manning's celerity stays positive */
        n->slope[s] = fmax(d->slope[s], HS_NETWORK_MIN_SLOPE);
    }
    qsort(n->seg_sorted, ns, sizeof *n->seg_sorted, cmp_id);
    for (size_t k = 1; k < ns; k++)
        if (n->seg_sorted[k].id == n->seg_sorted[k - 1].id)
            return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: segment id %" PRId64 " appears twice "
                           "(segId entries %zu and %zu)", src, n->seg_sorted[k].id,
                           n->seg_sorted[k - 1].index, n->seg_sorted[k].index);
    for (size_t s = 0; s < ns; s++) {
        const int64_t dn = d->down_seg_id[s];
        if (dn <= 0) {
            n->down[s] = HS_NETWORK_NONE;
            continue;
        }
        n->down[s] = find_id(n->seg_sorted, ns, dn);
        if (n->down[s] == HS_NETWORK_NONE)
            return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: segment %" PRId64 " drains to downSegId %"
                           PRId64 ", which is not a segment (use 0 for an outlet)", src,
                           d->seg_id[s], dn);
        if (n->down[s] == s)
            return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: cycle in the network: segment %" PRId64
                           " drains into itself", src, d->seg_id[s]);
    }
    /* upstream lists in input order (counting sort on the down index) */
    memset(n->up_off, 0, (ns + 1) * sizeof *n->up_off);
    for (size_t s = 0; s < ns; s++)
        if (n->down[s] != HS_NETWORK_NONE) n->up_off[n->down[s] + 1]++;
    for (size_t s = 0; s < ns; s++) n->up_off[s + 1] += n->up_off[s];
    for (size_t s = 0; s < ns; s++) n->tree_off[s] = n->up_off[s]; /* scratch cursor */
    for (size_t s = 0; s < ns; s++)
        if (n->down[s] != HS_NETWORK_NONE) n->up[n->tree_off[n->down[s]]++] = s;
    return HS_OK;
}

/* HRUs: ids, areas, the segment each drains into. */
static hs_status build_hrus(hs_network *n, const hs_network_desc *d, const char *src,
                            hs_ctx *ctx) {
    const size_t ns = n->n_seg, nh = n->n_hru;
    for (size_t h = 0; h < nh; h++) {
        n->hru_id[h] = d->hru_id ? d->hru_id[h] : (int64_t)(h + 1);
        n->hru_sorted[h].id = n->hru_id[h];
        n->hru_sorted[h].index = h;
        const double a = d->hru_area_m2[h];
        if (!(a >= 0.0) || !isfinite(a))
            return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: HRU %" PRId64 " has area %g m2; areas must "
                           "be finite and non-negative", src, n->hru_id[h], a);
        n->hru_area[h] = a;
    }
    qsort(n->hru_sorted, nh, sizeof *n->hru_sorted, cmp_id);
    for (size_t k = 1; k < nh; k++)
        if (n->hru_sorted[k].id == n->hru_sorted[k - 1].id)
            return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: HRU id %" PRId64 " appears twice", src,
                           n->hru_sorted[k].id);
    memset(n->hru_off, 0, (ns + 1) * sizeof *n->hru_off);
    memset(n->basin_area, 0, ns * sizeof *n->basin_area);
    n->n_hru_unmapped = 0;
    /* first pass: validate and count; the segment index is recomputed in the second pass */
    for (size_t h = 0; h < nh; h++) {
        const int64_t sid = d->hru_seg_id[h];
        if (sid <= 0) {
            n->n_hru_unmapped++;
            continue;
        }
        const size_t s = find_id(n->seg_sorted, ns, sid);
        if (s == HS_NETWORK_NONE)
            return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: HRU %" PRId64 " drains to hruSegId %" PRId64
                           ", which is not a segment", src, n->hru_id[h], sid);
        n->hru_off[s + 1]++;
    }
    for (size_t s = 0; s < ns; s++) n->hru_off[s + 1] += n->hru_off[s];
    for (size_t s = 0; s < ns; s++) n->tree_off[s] = n->hru_off[s]; /* scratch cursor */
    for (size_t h = 0; h < nh; h++) {
        if (d->hru_seg_id[h] <= 0) continue;
        const size_t s = find_id(n->seg_sorted, ns, d->hru_seg_id[h]);
        n->hrus[n->tree_off[s]++] = h;
        n->basin_area[s] += n->hru_area[h];
    }
    return HS_OK;
}

/* Names a cycle for the error message: walks down-links from segments Kahn left over. `mark`
 * is scratch [n_seg], `left` says which segments were not ordered. */
static hs_status fail_cycle(const hs_network *n, const unsigned char *left, size_t *mark,
                            const char *src, hs_ctx *ctx) {
    const size_t ns = n->n_seg;
    for (size_t s = 0; s < ns; s++) mark[s] = 0;
    for (size_t s0 = 0; s0 < ns; s0++) {
        if (!left[s0] || mark[s0]) continue;
        size_t s = s0;
        while (s != HS_NETWORK_NONE && mark[s] == 0) {
            mark[s] = s0 + 1;
            s = n->down[s];
        }
        if (s == HS_NETWORK_NONE || mark[s] != s0 + 1) continue;
        /* s is on a cycle: list it */
        char ids[512];
        size_t len = 0, k = s;
        int count = 0;
        do {
            int w = snprintf(ids + len, sizeof ids - len, "%" PRId64 " -> ", n->seg_id[k]);
            if (w < 0 || (size_t)w >= sizeof ids - len || ++count > 12) break;
            len += (size_t)w;
            k = n->down[k];
        } while (k != s);
        snprintf(ids + len, sizeof ids - len, "%s%" PRId64, k == s ? "" : "... -> ",
                 n->seg_id[s]);
        return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: cycle in the network through segment %" PRId64
                       ": %s", src, n->seg_id[s], ids);
    }
    return HS_FAIL(ctx, HS_ERR_INTERNAL, "%s: network order incomplete but no cycle found", src);
}

/* Topological order (upstream first), outlet check, area accumulation and sub-trees. */
static hs_status build_order(hs_network *n, size_t cap, const char *src, hs_ctx *ctx) {
    const size_t ns = n->n_seg;
    size_t *pending = NULL, *n_up = NULL, *topo = NULL, *tree = NULL;
    unsigned char *left = NULL;
    hs_status st = HS_ALLOC_ARRAY(ctx, pending, ns, "network scratch");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, n_up, ns, "network scratch");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, topo, ns, "network scratch");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, tree, ns, "network scratch");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, left, ns, "network scratch");
    if (st != HS_OK) goto done;

    /* Kahn: `topo` is both the FIFO and the result */
    size_t head = 0, tail = 0;
    for (size_t s = 0; s < ns; s++) {
        pending[s] = n->up_off[s + 1] - n->up_off[s];
        if (pending[s] == 0) topo[tail++] = s;
    }
    while (head < tail) {
        const size_t s = topo[head++];
        const size_t dn = n->down[s];
        if (dn != HS_NETWORK_NONE && --pending[dn] == 0) topo[tail++] = dn;
    }
    if (tail < ns) {
        for (size_t s = 0; s < ns; s++) left[s] = pending[s] != 0;
        st = fail_cycle(n, left, n_up, src, ctx);
        goto done;
    }
    size_t n_out = 0;
    for (size_t s = 0; s < ns; s++)
        if (n->down[s] == HS_NETWORK_NONE) {
            if (n_out++ == 0) n->outlet = s;
            else {
                st = HS_FAIL(ctx, HS_ERR_FORMAT, "%s: more than one outlet: segments %" PRId64
                             " and %" PRId64 " both have downSegId <= 0 (route each basin "
                             "separately)", src, n->seg_id[n->outlet], n->seg_id[s]);
                goto done;
            }
        }

    /* accumulate areas and upstream segment counts, upstream first (§6.1 totalArea) */
    for (size_t k = 0; k < ns; k++) {
        const size_t s = topo[k];
        double a = n->basin_area[s];
        size_t cnt = 1;
        for (size_t u = n->up_off[s]; u < n->up_off[s + 1]; u++) {
            a += n->total_area[n->up[u]];
            cnt += n_up[n->up[u]];
        }
        n->total_area[s] = a;
        n_up[s] = cnt;
    }
    /* sub-trees: roots have <= cap segments and a downstream segment with more; members take
     * their root from downstream, so walk downstream first */
    size_t n_trees = 0;
    for (size_t k = ns; k-- > 0;) {
        const size_t s = topo[k], dn = n->down[s];
        if (n_up[s] <= cap && (dn == HS_NETWORK_NONE || n_up[dn] > cap)) tree[s] = n_trees++;
        else if (n_up[s] <= cap) tree[s] = tree[dn];
        else tree[s] = HS_NETWORK_NONE;
    }
    /* bucket the topological order by tree (count, prefix-sum, place): each tree's list stays
     * upstream first, and the trunk follows all trees */
    for (size_t t = 0; t <= n_trees; t++) n->tree_off[t] = 0;
    for (size_t s = 0; s < ns; s++)
        if (tree[s] != HS_NETWORK_NONE) n->tree_off[tree[s] + 1]++;
    for (size_t t = 0; t < n_trees; t++) n->tree_off[t + 1] += n->tree_off[t];
    for (size_t t = 0; t < n_trees; t++) pending[t] = n->tree_off[t]; /* cursors */
    size_t trunk = n->tree_off[n_trees];
    for (size_t k = 0; k < ns; k++) {
        const size_t s = topo[k];
        if (tree[s] == HS_NETWORK_NONE) n->order[trunk++] = s;
        else n->order[pending[tree[s]]++] = s;
    }
    n->n_trees = n_trees;
done:
    hs_free(pending);
    hs_free(n_up);
    hs_free(topo);
    hs_free(tree);
    hs_free(left);
    return st;
}

hs_status hs_network_create(const hs_network_desc *d, hs_ctx *ctx, hs_network **out) {
    if (!out) return HS_FAIL(ctx, HS_ERR_ARG, "network: NULL output");
    *out = NULL;
    if (!d || !d->seg_id || !d->down_seg_id || !d->length_m || !d->slope ||
        (d->n_hru > 0 && (!d->hru_seg_id || !d->hru_area_m2)))
        return HS_FAIL(ctx, HS_ERR_ARG, "network: missing segment or HRU arrays");
    const char *src = d->source ? d->source : "network";
    if (d->n_seg == 0) return HS_FAIL(ctx, HS_ERR_ARG, "%s: the network has no segments", src);
    hs_network *n = NULL;
    HS_TRY(hs_alloc(ctx, 1, sizeof *n, "network", (void **)&n));
    n->n_seg = d->n_seg;
    n->n_hru = d->n_hru;
    /* automatic cap: about 32 sub-trees, enough to balance a few threads */
    size_t cap = d->tree_cap ? d->tree_cap : (d->n_seg + 31) / 32;
    hs_status st = alloc_all(n, ctx);
    if (st == HS_OK) st = build_segments(n, d, src, ctx);
    if (st == HS_OK) st = build_hrus(n, d, src, ctx);
    if (st == HS_OK) st = build_order(n, cap, src, ctx);
    if (st != HS_OK) {
        hs_network_destroy(&n);
        return st;
    }
    *out = n;
    return HS_OK;
}

size_t hs_network_n_seg(const hs_network *net) { return net->n_seg; }
size_t hs_network_n_hru(const hs_network *net) { return net->n_hru; }
size_t hs_network_n_hru_unmapped(const hs_network *net) { return net->n_hru_unmapped; }
size_t hs_network_outlet(const hs_network *net) { return net->outlet; }
int64_t hs_network_seg_id(const hs_network *net, size_t seg) { return net->seg_id[seg]; }
int64_t hs_network_hru_id(const hs_network *net, size_t hru) { return net->hru_id[hru]; }
size_t hs_network_find_seg(const hs_network *net, int64_t id) {
    return find_id(net->seg_sorted, net->n_seg, id);
}
size_t hs_network_find_hru(const hs_network *net, int64_t id) {
    return find_id(net->hru_sorted, net->n_hru, id);
}
size_t hs_network_down(const hs_network *net, size_t seg) { return net->down[seg]; }
const size_t *hs_network_upstream(const hs_network *net, size_t seg, size_t *n) {
    *n = net->up_off[seg + 1] - net->up_off[seg];
    return net->up + net->up_off[seg];
}
const size_t *hs_network_hrus(const hs_network *net, size_t seg, size_t *n) {
    *n = net->hru_off[seg + 1] - net->hru_off[seg];
    return net->hrus + net->hru_off[seg];
}
double hs_network_length_m(const hs_network *net, size_t seg) { return net->length_m[seg]; }
double hs_network_slope(const hs_network *net, size_t seg) { return net->slope[seg]; }
double hs_network_basin_area_m2(const hs_network *net, size_t seg) {
    return net->basin_area[seg];
}
double hs_network_total_area_m2(const hs_network *net, size_t seg) {
    return net->total_area[seg];
}
double hs_network_hru_area_m2(const hs_network *net, size_t hru) { return net->hru_area[hru]; }
const size_t *hs_network_order(const hs_network *net) { return net->order; }
size_t hs_network_n_trees(const hs_network *net) { return net->n_trees; }
const size_t *hs_network_tree_offsets(const hs_network *net) { return net->tree_off; }
