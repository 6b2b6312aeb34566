/* hs_route.h -- mizuRoute-style river routing over a network (docs-models.md §6): hillslope
 * routing of each segment's lateral inflow with a gamma unit hydrograph (§6.2), then channel
 * routing with IRF (§6.3) or KWT (§6.4).
 *
 * Conventions (those of mizuRoute's own output, §6.4a; docs/routing.md):
 *  - runoff of step t (depth rate per HRU, m/s) drives step t, and the discharge of step t is
 *    the mean over that step, including that step's runoff (no extra lag);
 *  - lateral inflow of a segment: Q_lat = sum over its HRUs of runoff * area (m3/s), §6.1;
 *  - hillslope UH: its first ordinate applies to the same step;
 *  - only the inflow from upstream segments passes through a reach's channel routing; the reach's
 *    own (hillslope-delayed) runoff is added at its bottom (hw_drain_point "bottom", §6.3 step 3,
 *    §6.4 step 6). Headwater reaches therefore output their delayed runoff unchanged, and the
 *    total then enters the next reach at its top.
 *
 * Lifecycle (STYLE.md §2): create (allocates every buffer and builds the unit hydrographs),
 * init (empties the stores), run (advances n steps, allocating nothing), destroy. The router
 * borrows the network, which must outlive it.
 *
 * Parallelism (STYLE.md §7): run routes the network's independent sub-trees (hs_network.h) as
 * chunks of hs_exec_chunks, each over all n steps, then the trunk on the calling thread. Every
 * segment performs the same arithmetic in the same order whatever the schedule, so the results
 * are bit-identical for any thread count. */
#ifndef HS_ROUTING_ROUTE_H
#define HS_ROUTING_ROUTE_H

#include <stddef.h>

#include "hs_api.h"
#include "hs_ctx.h"
#include "hs_irf.h"
#include "hs_network.h"

typedef enum hs_route_scheme { HS_ROUTE_IRF = 0, HS_ROUTE_KWT = 1 } hs_route_scheme;

/** Routing parameters (§6.5 gives the defaults and the usual calibration bounds). */
typedef struct hs_route_params {
    double fshape;       /* hillslope gamma shape (-), 2.5 */
    double tscale_s;     /* hillslope gamma scale (s), 86400 */
    double velo_ms;      /* IRF celerity (m/s), 1.0 */
    double diff_m2s;     /* IRF diffusivity (m2/s), 1000 */
    double min_length_m; /* IRF: shorter reaches pass inflow through unrouted, 0 */
    hs_irf_form irf_form; /* HS_IRF_MIZUROUTE */
    double mann_n;       /* KWT Manning's n, 0.025 */
    double wscale;       /* KWT width = wscale * sqrt(totalArea m2), 0.001 */
    int n_threads;       /* threads for the sub-trees, 1 */
} hs_route_params;

/** The defaults of §6.5 (SYMFLUENCE's param.nml), one thread. */
HS_API void hs_route_params_default(hs_route_params *p);

/** Short name of a scheme ("IRF", "KWT"). */
HS_API const char *hs_route_scheme_name(hs_route_scheme scheme);

typedef struct hs_route hs_route;

/** Creates a router for `net` (borrowed) with step `dt_s` (s; IRF needs a whole number of hours).
 *  Parameters are validated (HS_ERR_ARG naming the parameter and value). The state starts empty.
 *  Free with hs_route_destroy(). */
HS_NODISCARD HS_API hs_status hs_route_create(const hs_network *net, hs_route_scheme scheme,
                                              const hs_route_params *p, double dt_s,
                                              hs_ctx *ctx, hs_route **out);
/** Empties every store (hillslope, channel) and resets the step count. */
HS_API void hs_route_init(hs_route *r);

/** Routes n_steps steps: runoff_ms[t * n_hru + h] is the runoff of network HRU h during step t
 *  (m/s, the network's HRU order); writes q_m3s[t * n_seg + s], the mean discharge of segment s
 *  over step t (m3/s, the network's segment order). Continues from the current state. A
 *  non-finite runoff of a mapped HRU gives HS_ERR_NUMERIC naming the HRU id and the step (the
 *  same failure whatever the thread count). `ctx` is used by the calling thread; not
 *  thread-safe on the same router. Allocates nothing. Steps go in blocks that fit the core's
 *  cache: the lateral inflow of a block first, then its routing. */
HS_NODISCARD HS_API hs_status hs_route_run(hs_route *r, size_t n_steps, const double *runoff_ms,
                                           double *q_m3s, hs_ctx *ctx);
/** hs_route_run for runoff in another unit: runoff[t * n_hru + h] / divisor is in m/s (86.4e6
 *  for mm per day step), divided as the router reads it, so the caller needs no converted copy
 *  (a divisor of 1 gives hs_route_run's bits). The error for a non-finite runoff prints the
 *  value as given. */
HS_NODISCARD HS_API hs_status hs_route_run_scaled(hs_route *r, size_t n_steps,
                                                  const double *runoff, double divisor,
                                                  double *q_m3s, hs_ctx *ctx);
/** hs_route_run_scaled writing only segment index `seg`'s discharge, q_seg_m3s[t] (the same
 *  bits as that column of hs_route_run_scaled's output): what a calibration compares, without
 *  storing every segment's series. */
HS_NODISCARD HS_API hs_status hs_route_run_segment(hs_route *r, size_t n_steps,
                                                   const double *runoff, double divisor,
                                                   size_t seg, double *q_seg_m3s, hs_ctx *ctx);
/** hs_route_run_segment over a whole series from empty stores (the router is emptied before
 *  and after, as hs_route_init does). With IRF the hillslope UH is applied once, to the
 *  segment's routed series, instead of to every segment's lateral inflow: the hillslope UH is
 *  shared by all segments and IRF routing is linear and time-invariant, so the two orders give
 *  the same discharge in exact arithmetic (in floating point they differ by rounding, ~1e-15
 *  relative) while the per-segment hillslope convolution, a third of the routing time of a
 *  distributed domain, is skipped. KWT (not linear) takes hs_route_run_segment's path. What a
 *  calibration compares. */
HS_NODISCARD HS_API hs_status hs_route_run_segment_whole(hs_route *r, size_t n_steps,
                                                         const double *runoff, double divisor,
                                                         size_t seg, double *q_seg_m3s,
                                                         hs_ctx *ctx);

/** Water in transit (m3): hillslope buffers plus channel stores; for mass balances (KWT's
 *  store is an estimate, hs_kwt_storage_m3: that scheme does not conserve mass exactly). */
HS_API double hs_route_storage_m3(const hs_route *r);
/** Number of ordinates of segment `seg`'s channel unit hydrograph (IRF; 0 for KWT). */
HS_API size_t hs_route_uh_len(const hs_route *r, size_t seg);

/** NULL-safe; sets *r to NULL. */
HS_API void hs_route_destroy(hs_route **r);

#endif /* HS_ROUTING_ROUTE_H */
