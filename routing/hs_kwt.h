/* hs_kwt.h -- KWT channel routing: Lagrangian kinematic wave tracking in a wide rectangular
 * channel (Goteti et al. 2008, as used by mizuRoute; docs-models.md §6.4).
 *
 * The flow entering a reach during one step is a "wave" (parcel): a block of uniform discharge
 * over the step, i.e. a volume V = Q_in dt with unit-width discharge q = Q_in / width. It travels
 * the reach length L at the kinematic celerity
 *     c(q) = alpha K^(1/alpha) q^((alpha-1)/alpha),  alpha = 5/3,  K = sqrt(slope) / n,
 * so it leaves over [T0 + L/c, T1 + L/c]: a pure translation, block shape kept. A reach stores
 * its waves in exit order, at most HS_KWT_MAXQPAR of them:
 *  - a wave that would start leaving before the previous one has finished (a faster wave
 *    overtaking a slower one: a kinematic shock) is merged with it: the volumes add, the entry
 *    interval is the union of both, and q and c follow from the merged volume and duration;
 *  - beyond HS_KWT_MAXQPAR waves, the adjacent pair with the smallest joint volume is merged
 *    (the merge that changes the outflow hydrograph least);
 *  - a merged wave never starts leaving before the current step (no volume exits in the past).
 * The routed discharge of a step is the exiting volume over [T0, T0 + dt] divided by dt: the
 * time average of the outflow hydrograph, so every cubic metre that enters leaves exactly once
 * (mass is conserved to rounding). A partly exited wave keeps its remainder with the same q.
 * Inflows <= 0 are not waves: they pass straight through (kinematic celerity is undefined at 0).
 * Pure functions on caller-owned state: no allocation, thread-safe on distinct reaches. */
#ifndef HS_ROUTING_KWT_H
#define HS_ROUTING_KWT_H

#include <stddef.h>

#include "hs_api.h"

/** Most waves a reach keeps (mizuRoute's MAXQPAR). */
#define HS_KWT_MAXQPAR 20
/** Manning exponent of a wide rectangular channel. */
#define HS_KWT_ALPHA (5.0 / 3.0)

/** One wave: exits uniformly over [t_exit0, t_exit1] (s, model time), `vol_m3` left to exit,
 *  `tau_s` the travel time it was given. */
typedef struct hs_kwt_wave {
    double t_exit0, t_exit1, vol_m3, tau_s;
} hs_kwt_wave;

/** State of one reach (plain data; zero it to start empty). */
typedef struct hs_kwt_reach {
    size_t n;
    hs_kwt_wave w[HS_KWT_MAXQPAR + 1];
} hs_kwt_reach;

/** Channel geometry and roughness of one reach. */
typedef struct hs_kwt_channel {
    double length_m;
    double width_m;  /* wscale * sqrt(totalArea) by default (§6.4) */
    double k_manning; /* sqrt(slope) / n */
} hs_kwt_channel;

/** Kinematic celerity (m/s) for unit-width discharge q (m2/s); 0 for q <= 0. */
HS_API double hs_kwt_celerity(double q_m2s, double k_manning);

/** Routes one step: the inflow `q_in_m3s` (mean over [t0, t0 + dt]) enters the reach as a wave;
 *  returns the mean routed outflow over the step (m3/s). Pure, no allocation. */
HS_API double hs_kwt_step(const hs_kwt_channel *ch, hs_kwt_reach *r, double q_in_m3s,
                          double t0_s, double dt_s);

/** Volume in transit in the reach (m3). */
HS_API double hs_kwt_storage_m3(const hs_kwt_reach *r);

#endif /* HS_ROUTING_KWT_H */
