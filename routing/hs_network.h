/* hs_network.h -- a river network in mizuRoute's terms (docs-models.md §6.1): segments (reaches)
 * that drain into one downstream segment each, and HRUs that drain into one segment each.
 *
 * hs_network_create() validates the arrays once and derives everything routing needs, so that
 * the routers (hs_route.h) never search or allocate while they run:
 *  - a topological order, upstream first (Kahn's algorithm: repeatedly take the segments whose
 *    upstream segments are all done, §6.1), and the upstream list of every segment in input order
 *    (the order in which upstream flows are summed, so sums are reproducible);
 *  - the area of the HRUs draining into each segment (basin area) and the total area upstream of
 *    its outlet (totalArea of §6.1, used by KWT's channel width, §6.4);
 *  - a partition into independent sub-trees for parallel routing. A segment with at most `cap`
 *    segments upstream (itself included) whose downstream segment has more is the root of a
 *    sub-tree; the sub-trees are disjoint and can be routed concurrently, over all time steps,
 *    because no flow enters them from outside. The remaining segments (the "trunk") are routed
 *    afterwards in topological order. The partition depends on the network only, never on the
 *    thread count, and each segment's arithmetic is the same whatever the schedule, so parallel
 *    results are bit-identical to serial ones.
 *
 * Validation errors name the offending segment or HRU id: duplicate ids, a downSegId that is no
 * segment, a cycle (with the ids along it), more than one outlet, non-positive or non-finite
 * lengths, non-finite slopes, negative areas, an HRU mapped to an unknown segment. Slopes are
 * raised to at least 1e-6 as mizuRoute does. An HRU whose hruSegId is 0 or negative drains
 * nowhere and is ignored (counted in n_hru_unmapped). The object is immutable after create and
 * may be shared by threads. */
#ifndef HS_ROUTING_NETWORK_H
#define HS_ROUTING_NETWORK_H

#include <stddef.h>
#include <stdint.h>

#include "hs_api.h"
#include "hs_ctx.h"

/** Sentinel "no segment" index (the downstream index of the outlet). */
#define HS_NETWORK_NONE ((size_t)-1)
/** Lowest slope used by routing (mizuRoute process_ntopo). */
#define HS_NETWORK_MIN_SLOPE 1e-6

/** The network as arrays (borrowed for the duration of hs_network_create only). */
typedef struct hs_network_desc {
    size_t n_seg;
    const int64_t *seg_id;      /* [n_seg] unique */
    const int64_t *down_seg_id; /* [n_seg] 0 or negative = outlet */
    const double *length_m;     /* [n_seg] > 0 */
    const double *slope;        /* [n_seg] (-), raised to >= 1e-6 */
    size_t n_hru;
    const int64_t *hru_id;      /* [n_hru] unique; may be NULL (ids 1..n_hru) */
    const int64_t *hru_seg_id;  /* [n_hru] segment the HRU drains to; <= 0 = none */
    const double *hru_area_m2;  /* [n_hru] >= 0 */
    size_t tree_cap;            /* largest sub-tree (segments); 0 = automatic */
    const char *source;         /* name for messages (a file name), may be NULL */
} hs_network_desc;

typedef struct hs_network hs_network;

/** Validates `d` and builds the network. Errors (HS_ERR_FORMAT for an invalid network,
 *  HS_ERR_ARG for NULL or empty arrays, HS_ERR_NOMEM) name the source and the segment/HRU id.
 *  Free with hs_network_destroy(). */
HS_NODISCARD HS_API hs_status hs_network_create(const hs_network_desc *d, hs_ctx *ctx,
                                                hs_network **out);
/** NULL-safe; sets *net to NULL. */
HS_API void hs_network_destroy(hs_network **net);

HS_API size_t hs_network_n_seg(const hs_network *net);
HS_API size_t hs_network_n_hru(const hs_network *net);
/** HRUs with hruSegId <= 0 (draining nowhere). */
HS_API size_t hs_network_n_hru_unmapped(const hs_network *net);
/** Index of the single outlet segment. */
HS_API size_t hs_network_outlet(const hs_network *net);

HS_API int64_t hs_network_seg_id(const hs_network *net, size_t seg);
HS_API int64_t hs_network_hru_id(const hs_network *net, size_t hru);
/** Index of segment `id`, or HS_NETWORK_NONE. O(log n). */
HS_API size_t hs_network_find_seg(const hs_network *net, int64_t id);
/** Index of HRU `id`, or HS_NETWORK_NONE. O(log n). */
HS_API size_t hs_network_find_hru(const hs_network *net, int64_t id);

/** Downstream segment index, or HS_NETWORK_NONE for the outlet. */
HS_API size_t hs_network_down(const hs_network *net, size_t seg);
/** Upstream segment indices (borrowed, *n of them) in input order. */
HS_API const size_t *hs_network_upstream(const hs_network *net, size_t seg, size_t *n);
/** HRU indices draining into the segment (borrowed, *n of them), in input order. */
HS_API const size_t *hs_network_hrus(const hs_network *net, size_t seg, size_t *n);

HS_API double hs_network_length_m(const hs_network *net, size_t seg);
/** Slope after raising to HS_NETWORK_MIN_SLOPE. */
HS_API double hs_network_slope(const hs_network *net, size_t seg);
/** Area of the HRUs draining directly into the segment (m2). */
HS_API double hs_network_basin_area_m2(const hs_network *net, size_t seg);
/** totalArea: basin area of the segment plus everything upstream (m2). */
HS_API double hs_network_total_area_m2(const hs_network *net, size_t seg);
HS_API double hs_network_hru_area_m2(const hs_network *net, size_t hru);

/** Segment indices in routing order (borrowed, n_seg of them): sub-tree 0 (upstream first),
 *  sub-tree 1, ..., then the trunk (upstream first). The whole array is a topological order. */
HS_API const size_t *hs_network_order(const hs_network *net);
/** Number of independent sub-trees; sub-tree k is order[off[k] .. off[k+1]) with `off` from
 *  hs_network_tree_offsets (n_trees + 1 entries); the trunk is order[off[n_trees] .. n_seg). */
HS_API size_t hs_network_n_trees(const hs_network *net);
HS_API const size_t *hs_network_tree_offsets(const hs_network *net);

#endif /* HS_ROUTING_NETWORK_H */
