/* hs_kwt.h -- KWT channel routing: Lagrangian kinematic wave tracking in a wide rectangular
 * channel (Goteti et al. 2008) with the numerics of mizuRoute's kwt_route.f90 (docs-models.md
 * §6.4; docs/routing.md "KWT" lists the conventions and the agreement with mizuRoute).
 *
 * The flow entering a reach is a hydrograph of points ("particles"): unit-width discharge q
 * (m2/s, the reach's width) at an entry time, linear between points. Each particle travels the
 * reach length L at the kinematic celerity
 *     c(q) = alpha K^(1/alpha) q^((alpha-1)/alpha),  alpha = 5/3,  K = sqrt(slope) / n,
 * so it leaves at t_in + L/c. A step from t0 to t1 = t0 + dt (reference: mizuRoute qroute_rch):
 *  1. inflow points (hs_kwt_inflow, as qexmul_rch): every upstream reach's outflow points of the
 *     step and the upstream reach's own hillslope flow (a ramp from the previous step's value at
 *     t0 to this step's at t1), summed on the union of their times in (t0, t1], each term
 *     interpolated linearly between its own points; a single headwater upstream gives one point;
 *  2. the reach's particles (the last step's end point first, then those still in the reach) and
 *     the new points are one list (getusq_rch; a reach's first step starts from a point equal to
 *     its first inflow at t0); beyond HS_KWT_MAXQPAR points the interior point that linear
 *     interpolation between its neighbours (over entry times) reproduces best is dropped, one at a
 *     time (remove_rch);
 *  3. every particle but the first is moved again from its entry time (kinwav_rch): where a
 *     faster particle would catch a slower one inside the reach the two merge into a shock
 *     (celerity (q2 - q1) / (h2 - h1), h = (q/K)^(1/alpha), first catch first); a shock leaving
 *     within the step leaves as a jump from its lowest to its highest discharge (one second
 *     apart), one still in the reach is split back into its particles (the shocks are found
 *     again next step); exit times are kept strictly increasing (a tie moves one second on);
 *  4. the routed flow is the mean over [t0, t1] of the outflow hydrograph, linear through the
 *     points that left (trapezoids, interp_rch), times the width; the point at t1 (interpolated)
 *     becomes the first particle of the next step and the last outflow point passed downstream.
 * The scheme is not exactly mass-conservative (a shock leaves as two points, point dropping
 * and linear interpolation between particles are not volume-preserving): see docs/routing.md.
 * Low flows: mizuRoute raises every lateral inflow to at least runoffMin = 1e-15 m/s (and stops
 * on a zero flow), so its particles never carry less than that runoff over the upstream area.
 * hydroscale does not add that water, but moves a particle with less (including none) at the
 * celerity and depth of that floor (hs_kwt_channel.q_min_m2s), so that dry spells route as in
 * mizuRoute.
 * Pure functions on caller-owned plain data: no allocation, thread-safe on distinct reaches. */
#ifndef HS_ROUTING_KWT_H
#define HS_ROUTING_KWT_H

#include <stddef.h>

#include "hs_api.h"

/** Most particles a reach keeps (mizuRoute's MAXQPAR). */
#define HS_KWT_MAXQPAR 20
/** Most outflow points a reach passes downstream per step (its particles and the end point). */
#define HS_KWT_MAXOUT (HS_KWT_MAXQPAR + 1)
/** Manning exponent of a wide rectangular channel. */
#define HS_KWT_ALPHA (5.0 / 3.0)
/** mizuRoute's runoffMin (m/s): the runoff floor behind hs_kwt_channel.q_min_m2s. */
#define HS_KWT_RUNOFF_MIN 1e-15
/** Lowest unit-width discharge (m2/s) a particle ever moves at (a reach with no upstream area). */
#define HS_KWT_QMIN 1e-20

/** Capacity of hs_kwt_inflow's output for n_up upstream segments. */
#define HS_KWT_INFLOW_CAP(n_up) ((n_up) * HS_KWT_MAXOUT + 1)
/** Doubles of scratch hs_kwt_step needs for n_in inflow points. */
#define HS_KWT_WORK_LEN(n_in) (4 * (HS_KWT_MAXQPAR + (n_in)))

/** A point of a hydrograph: time (s, model time) and discharge (m2/s per unit width, or m3/s
 *  where said). */
typedef struct hs_kwt_point {
    double t_s, q;
} hs_kwt_point;

/** Outflow hydrograph of a reach over its last step: points at increasing times, the first at
 *  the step's start, the last at its end (n = 0: a headwater reach, which routes nothing). */
typedef struct hs_kwt_outflow {
    size_t n;
    hs_kwt_point p[HS_KWT_MAXOUT];
} hs_kwt_outflow;

/** State of one reach (plain data; zero it to start empty). Particle 0 is the point that left
 *  at the end of the last step (its exit time is the current step's start); 1 .. n-1 are still
 *  in the reach, in entry order. */
typedef struct hs_kwt_reach {
    size_t n;
    double q[HS_KWT_MAXQPAR];    /* m2/s */
    double t_in[HS_KWT_MAXQPAR]; /* entry time (s) */
    double wc[HS_KWT_MAXQPAR];   /* celerity (m/s; particle 0: unused) */
    hs_kwt_outflow out;          /* the last step's outflow points (m2/s of this reach) */
} hs_kwt_reach;

/** Channel geometry and roughness of one reach. */
typedef struct hs_kwt_channel {
    double length_m;
    double width_m;   /* wscale * sqrt(totalArea) (§6.4) */
    double k_manning; /* sqrt(slope) / n */
    double q_min_m2s; /* particles move as if carrying at least this (at least HS_KWT_QMIN):
                       * HS_KWT_RUNOFF_MIN * (totalArea - basin area) / width in the router */
} hs_kwt_channel;

/** What one upstream segment passes to its downstream reach in a step. */
typedef struct hs_kwt_upstream {
    double q_hill_prev_m3s; /* its own hillslope outflow, previous step (0 on the first) */
    double q_hill_m3s;      /* ... this step */
    double width_m;         /* its channel width */
    const hs_kwt_outflow *out; /* its routed outflow points; NULL for a headwater segment */
    size_t cursor;          /* scratch for hs_kwt_inflow */
} hs_kwt_upstream;

/** Kinematic celerity (m/s) for unit-width discharge q (m2/s); 0 for q <= 0. */
HS_API double hs_kwt_celerity(double q_m2s, double k_manning);

/** Inflow points of a reach of width `width_m` for the step [t0, t1] from its n_up upstream
 *  segments (in the network's order): writes at most HS_KWT_INFLOW_CAP(n_up) points to `pts`
 *  (m2/s of this reach, times in (t0, t1], the last at t1) and returns their number (0 for a
 *  headwater reach). */
HS_API size_t hs_kwt_inflow(hs_kwt_upstream *up, size_t n_up, double width_m, double t0_s,
                            double t1_s, hs_kwt_point *pts);

/** Routes one step [t0, t0 + dt] of a reach fed by the n_in points of hs_kwt_inflow (n_in = 0:
 *  a headwater, nothing to route, returns 0). Returns the routed discharge (m3/s, mean over the
 *  step; the reach's own hillslope flow is not included) and leaves the outflow points in
 *  r->out. `work` holds HS_KWT_WORK_LEN(n_in) doubles. Pure, no allocation. */
HS_API double hs_kwt_step(const hs_kwt_channel *ch, hs_kwt_reach *r, const hs_kwt_point *in,
                          size_t n_in, double t0_s, double dt_s, double *work);

/** Water in transit in the reach (m3): the inflow hydrograph (over entry times) of the particles
 *  that have not left, times the width. An estimate: the scheme tracks points, not volumes. */
HS_API double hs_kwt_storage_m3(const hs_kwt_channel *ch, const hs_kwt_reach *r);

#endif /* HS_ROUTING_KWT_H */
