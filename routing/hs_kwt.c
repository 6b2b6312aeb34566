/* hs_kwt.c -- kinematic wave tracking on one reach with mizuRoute's KWT numerics (reference
 * behaviour: kwt_route.f90, subroutines named below; the algorithm is summarised in hs_kwt.h).
 * The arithmetic follows the reference's order of operations where it decides the last bits
 * (sums in stream order, interpolation as start + slope * offset), so that hydroscale agrees
 * with mizuRoute to rounding; the file builds without multiply-add contraction. */
#include "hs_kwt.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* alpha K^(1/alpha) q^((alpha-1)/alpha) with K^(1/alpha) precomputed by the caller */
static inline double celerity_k(double q, double k_pow) {
    return HS_KWT_ALPHA * k_pow * pow(q, (HS_KWT_ALPHA - 1.0) / HS_KWT_ALPHA);
}

double hs_kwt_celerity(double q_m2s, double k_manning) {
    if (!(q_m2s > 0.0)) return 0.0;
    return celerity_k(q_m2s, pow(k_manning, 1.0 / HS_KWT_ALPHA));
}

/* ---- 1. inflow points (reference: qexmul_rch) ---- */

/* Value at time t of the line through (ta, qa) and (tb, qb). */
static inline double on_line(double ta, double qa, double tb, double qb, double t) {
    const double slope = (qb - qa) / (tb - ta);
    return qa + slope * (t - ta);
}

/* Sum at time t over every stream: hillslope ramps first, then the upstream reaches' outflow
 * points (the stream `own` contributes its point at cursor exactly, the others interpolate
 * between the points around their cursor), each scaled to this reach's width. */
static double sum_streams(const hs_kwt_upstream *up, size_t n_up, double width, double t0,
                          double t1, double t, size_t own, int basin_own) {
    const double inv = 1.0 / width;
    double sum = 0.0;
    for (size_t j = 0; j < n_up; j++) {
        const double v = basin_own && j == 0 ? up[j].q_hill_m3s
                                             : on_line(t0, up[j].q_hill_prev_m3s, t1,
                                                       up[j].q_hill_m3s, t);
        sum += v * inv;
    }
    for (size_t j = 0; j < n_up; j++) {
        if (!up[j].out) continue;
        const hs_kwt_point *p = up[j].out->p;
        const size_t c = up[j].cursor;
        const double scale = up[j].width_m / width;
        double v;
        if (j == own) {
            v = p[c].q;
        } else {
            /* the cursor's point is at or after t: the segment before it brackets t */
            const size_t b = p[c].t_s >= t ? c - 1 : c;
            v = on_line(p[b].t_s, p[b].q, p[b + 1].t_s, p[b + 1].q, t);
        }
        sum += v * scale;
    }
    return sum;
}

size_t hs_kwt_inflow(hs_kwt_upstream *up, size_t n_up, double width_m, double t0_s,
                     double t1_s, hs_kwt_point *pts) {
    if (n_up == 0) return 0;
    if (n_up == 1 && !up[0].out) { /* one headwater upstream: its flow at the step's end */
        pts[0].t_s = t1_s;
        pts[0].q = up[0].q_hill_m3s / width_m;
        return 1;
    }
    for (size_t j = 0; j < n_up; j++) up[j].cursor = 1; /* point 0 is at t0: already passed */
    size_t n = 0;
    /* merge the upstream reaches' points before t1 in time order (ties: the first upstream
     * first); a time already emitted only moves that stream on */
    for (;;) {
        size_t best = n_up;
        double tb = t1_s;
        for (size_t j = 0; j < n_up; j++) {
            if (!up[j].out) continue;
            const double t = up[j].out->p[up[j].cursor].t_s;
            if (t < tb) {
                tb = t;
                best = j;
            }
        }
        if (best == n_up) break;
        if (n == 0 || tb != pts[n - 1].t_s) {
            pts[n].t_s = tb;
            pts[n].q = sum_streams(up, n_up, width_m, t0_s, t1_s, tb, best, 0);
            n++;
        }
        up[best].cursor++;
    }
    /* every stream has a point at t1; the first upstream's hillslope ramp gives it exactly */
    pts[n].t_s = t1_s;
    pts[n].q = sum_streams(up, n_up, width_m, t0_s, t1_s, t1_s, n_up, 1);
    return n + 1;
}

/* ---- 2. the particle limit (reference: remove_rch) ---- */

/* How far linear interpolation (over entry times) between the neighbours misses point i. */
static inline double miss(const double *q, const double *t, size_t a, size_t i, size_t b) {
    return fabs(on_line(t[a], q[a], t[b], q[b], t[i]) - q[i]);
}

/* Drops interior points of the m in (q, t, wc) until `keep` remain: each time the first one
 * with the smallest miss, after which its two neighbours' misses are recomputed (the ends are
 * never dropped). Returns the new count. */
static size_t thin(double *q, double *t, double *wc, double *err, size_t m, size_t keep) {
    err[0] = err[m - 1] = DBL_MAX;
    for (size_t i = 1; i + 1 < m; i++) err[i] = miss(q, t, i - 1, i, i + 1);
    while (m > keep) {
        size_t sel = 0;
        for (size_t i = 1; i < m; i++)
            if (err[i] < err[sel]) sel = i;
        if (sel == 0 || sel == m - 1) sel = 1; /* no finite miss left: drop the oldest */
        memmove(q + sel, q + sel + 1, (m - sel - 1) * sizeof *q);
        memmove(t + sel, t + sel + 1, (m - sel - 1) * sizeof *t);
        memmove(wc + sel, wc + sel + 1, (m - sel - 1) * sizeof *wc);
        memmove(err + sel, err + sel + 1, (m - sel - 1) * sizeof *err);
        m--;
        if (sel - 1 > 0) err[sel - 1] = miss(q, t, sel - 2, sel - 1, sel);
        if (sel < m - 1) err[sel] = miss(q, t, sel - 1, sel, sel + 1);
    }
    return m;
}

/* ---- 3. moving the particles (reference: kinwav_rch) ---- */

/* The particles leaving the reach: q, entry time, exit time, celerity (kept for those still in
 * the reach: pow is most of a step's cost); `n_routed` of them (a prefix) leave before the
 * step's end. */
typedef struct exits {
    size_t n, n_routed;
    double q[HS_KWT_MAXQPAR], t_in[HS_KWT_MAXQPAR], t_out[HS_KWT_MAXQPAR], wc[HS_KWT_MAXQPAR];
} exits;

/* Records a particle's exit, keeping exit times strictly increasing and after the step's
 * start (a tie moves on by one second, as the reference does). */
static void leave(exits *e, double q, double t_in, double wc, double t_out, double t0,
                  double t1) {
    const size_t i = e->n++;
    if (i > 0 && t_out <= e->t_out[i - 1]) t_out = e->t_out[i - 1] + 1.0;
    if (i == 0 && t_out <= t0) t_out = t0 + 1.0;
    e->q[i] = q;
    e->t_in[i] = t_in;
    e->t_out[i] = t_out;
    e->wc[i] = wc;
    if (t_out < t1) e->n_routed = i + 1;
}

/* Celerity of a particle: its discharge raised to the channel's floor. */
static inline double particle_celerity(const hs_kwt_channel *ch, double q) {
    const double q_min = ch->q_min_m2s > HS_KWT_QMIN ? ch->q_min_m2s : HS_KWT_QMIN;
    return celerity_k(q > q_min ? q : q_min, pow(ch->k_manning, 1.0 / HS_KWT_ALPHA));
}

/* Moves the n particles (q, t_in, celerity wc; < 0: not known yet) through the reach from their
 * entry times, merging those that catch up inside it into shocks, and records their exits. */
static void move(const hs_kwt_channel *ch, const double *q_in, const double *t_in,
                 const double *wc_in, size_t n, double t0, double t1, exits *e) {
    const double L = ch->length_m, K = ch->k_manning;
    const double q_min = ch->q_min_m2s > HS_KWT_QMIN ? ch->q_min_m2s : HS_KWT_QMIN;
    /* per group (a particle or a shock): lowest and highest discharge, virtual entry time,
     * celerity and its first particle; member[i] = group of particle i */
    double qlo[HS_KWT_MAXQPAR], qhi[HS_KWT_MAXQPAR], te[HS_KWT_MAXQPAR], wc[HS_KWT_MAXQPAR];
    double slow[HS_KWT_MAXQPAR]; /* 1 / wc */
    size_t first[HS_KWT_MAXQPAR], member[HS_KWT_MAXQPAR];
    double wc0[HS_KWT_MAXQPAR], k_pow = -1.0;
    for (size_t i = 0; i < n; i++) {
        if (wc_in[i] >= 0.0) {
            wc0[i] = wc_in[i];
        } else { /* a new particle */
            if (k_pow < 0.0) k_pow = pow(K, 1.0 / HS_KWT_ALPHA);
            wc0[i] = celerity_k(q_in[i] > q_min ? q_in[i] : q_min, k_pow);
        }
        qlo[i] = qhi[i] = q_in[i];
        te[i] = t_in[i];
        wc[i] = wc0[i];
        slow[i] = 1.0 / wc[i];
        first[i] = member[i] = i;
    }
    size_t ng = n;
    double x = 0.0; /* shocks are found in order of position along the reach */
    while (ng > 1) {
        double xb = L;
        size_t ib = 0;
        for (size_t i = 1; i < ng; i++) {
            const size_t j = i - 1;
            if (wc[i] == 0.0 || wc[j] == 0.0) continue;
            const double wdiff = slow[j] - slow[i];
            if (wdiff == 0.0 || wc[i] == wc[j]) continue;
            const double xc = (te[i] - te[j]) / wdiff; /* where i catches j */
            if (xc < x || xc > xb) continue;
            xb = xc;
            ib = i;
        }
        if (xb == L) break; /* no catch inside the reach */
        const size_t jb = ib - 1;
        qhi[jb] = fmax(qhi[jb], qhi[ib]);
        qlo[jb] = fmin(qlo[jb], qlo[ib]);
        /* shock celerity from the depths (h = (q/K)^(1/alpha)) on both sides; the floor keeps
         * hhi > hlo (the celerities differ, so qhi > q_min) */
        const double hhi = pow(qhi[jb] / K, 1.0 / HS_KWT_ALPHA);
        const double hlo = pow((qlo[jb] > q_min ? qlo[jb] : q_min) / K, 1.0 / HS_KWT_ALPHA);
        const double cm = (qhi[jb] - qlo[jb]) / (hhi - hlo);
        /* the virtual entry time that puts the shock at xb when the two meet */
        te[jb] = te[jb] + xb / wc[jb] - xb / cm;
        wc[jb] = cm;
        slow[jb] = 1.0 / cm;
        for (size_t k = first[ib]; k < n; k++) member[k]--;
        ng--;
        for (size_t k = ib; k < ng; k++) {
            first[k] = first[k + 1];
            te[k] = te[k + 1];
            wc[k] = wc[k + 1];
            slow[k] = slow[k + 1];
            qlo[k] = qlo[k + 1];
            qhi[k] = qhi[k + 1];
        }
        x = xb;
    }
    e->n = e->n_routed = 0;
    for (size_t g = 0; g < ng; g++) {
        const double t_exit = fmin(L / wc[g] + te[g], DBL_MAX);
        if (qlo[g] != qhi[g]) { /* a shock */
            if (t_exit < t1) {  /* leaves as a jump, low to high, within a second */
                const double t_next = g + 1 < ng ? fmin(L / wc[g + 1] + te[g + 1], DBL_MAX)
                                                 : DBL_MAX;
                const double t_exit2 =
                    fmin(t_exit + 1.0, t_exit + 0.5 * (fmin(t_next, t1) - t_exit));
                /* no celerity: were a tie to push them past t1, they would stay in the reach as
                 * particles of their own discharge */
                leave(e, qlo[g], te[g], -1.0, t_exit, t0, t1);
                leave(e, qhi[g], te[g], -1.0, t_exit2, t0, t1);
            } else { /* still inside: its particles again, found anew next step */
                for (size_t k = 0; k < n; k++)
                    if (member[k] == g) leave(e, q_in[k], t_in[k], wc0[k], t_exit, t0, t1);
            }
        } else {
            leave(e, qlo[g], te[g], wc[g], t_exit, t0, t1);
        }
    }
}

/* ---- 4. the step's mean (reference: interp_rch) ---- */

/* Mean over [t0, t1] of the line through the m points (x, y), x[0] <= t0 < x[1], x[m-1] >= t1:
 * the partial segments at both ends plus the whole ones between, as trapezoids. */
static double mean_over(const double *x, const double *y, size_t m, double t0, double t1) {
    size_t ib = 0, ie = 0;
    for (size_t i = 1; i < m; i++)
        if (t0 <= x[i]) {
            ib = i;
            break;
        }
    for (size_t i = 0; i < m; i++)
        if (t1 <= x[i]) {
            ie = i;
            break;
        }
    if (t1 < x[ib]) { /* the step lies within one segment */
        const double slope = (y[ib] - y[ib - 1]) / (x[ib] - x[ib - 1]);
        const double a = slope * (t0 - x[ib - 1]) + y[ib - 1];
        const double b = slope * (t1 - x[ib - 1]) + y[ib - 1];
        return 0.5 * (a + b);
    }
    double area_b = 0.0, area_e = 0.0, area_m = 0.0;
    if (t0 < x[ib]) {
        const double slope = (y[ib] - y[ib - 1]) / (x[ib] - x[ib - 1]);
        const double a = slope * (t0 - x[ib - 1]) + y[ib - 1];
        area_b = (x[ib] - t0) * 0.5 * (a + y[ib]);
    }
    if (t1 < x[ie]) {
        const double slope = (y[ie] - y[ie - 1]) / (x[ie] - x[ie - 1]);
        const double b = slope * (t1 - x[ie - 1]) + y[ie - 1];
        area_e = (t1 - x[ie - 1]) * 0.5 * (y[ie - 1] + b);
    }
    for (size_t i = ib + 1; i <= ie; i++)
        if (i < ie || (t1 == x[ie] && t0 < x[ie - 1]))
            area_m += (x[i] - x[i - 1]) * 0.5 * (y[i - 1] + y[i]);
    return (area_b + area_e + area_m) / (t1 - t0);
}

double hs_kwt_step(const hs_kwt_channel *ch, hs_kwt_reach *r, const hs_kwt_point *in,
                   size_t n_in, double t0_s, double dt_s, double *work) {
    const double t1 = t0_s + dt_s;
    if (n_in == 0) { /* headwater: no channel inflow */
        r->n = 0;
        r->out.n = 0;
        return 0.0;
    }
    /* 2. particles then inflow points (getusq_rch); a first step starts from the first inflow */
    const size_t cap = HS_KWT_MAXQPAR + n_in;
    double *q = work, *t = work + cap, *wc = work + 2 * cap, *err = work + 3 * cap;
    if (r->n == 0) {
        r->q[0] = in[0].q;
        r->t_in[0] = t0_s - (t1 - t0_s);
        r->wc[0] = 0.0; /* particle 0 never moves */
        r->n = 1;
    }
    size_t m = r->n;
    memcpy(q, r->q, m * sizeof *q);
    memcpy(t, r->t_in, m * sizeof *t);
    memcpy(wc, r->wc, m * sizeof *wc);
    for (size_t i = 0; i < n_in; i++, m++) {
        q[m] = in[i].q;
        t[m] = in[i].t_s;
        wc[m] = -1.0; /* computed by move if the point survives thin */
    }
    if (m > HS_KWT_MAXQPAR) m = thin(q, t, wc, err, m, HS_KWT_MAXQPAR);
    /* 3. all but particle 0 (which left at t0) move again */
    exits e;
    move(ch, q + 1, t + 1, wc + 1, m - 1, t0_s, t1, &e);
    /* 4. outflow hydrograph: particle 0 at t0, the exits before t1, the first one after */
    double x[HS_KWT_MAXQPAR + 1], y[HS_KWT_MAXQPAR + 1], ti[HS_KWT_MAXQPAR + 1];
    x[0] = t0_s;
    y[0] = q[0];
    ti[0] = t[0];
    for (size_t i = 0; i < e.n; i++) {
        x[i + 1] = e.t_out[i];
        y[i + 1] = e.q[i];
        ti[i + 1] = e.t_in[i];
    }
    size_t nr = e.n_routed;
    if (nr == e.n) { /* everything left (rounding only): hold the last value to t1 */
        x[nr + 1] = fmax(t1, x[nr] + 1.0);
        y[nr + 1] = y[nr];
        ti[nr + 1] = ti[nr];
    }
    const double mean = mean_over(x, y, nr + 2, t0_s, t1);
    const double q_end = y[nr] + ((y[nr + 1] - y[nr]) / (x[nr + 1] - x[nr])) * (t1 - x[nr]);
    const double t_end_in =
        ti[nr] + ((ti[nr + 1] - ti[nr]) / (x[nr + 1] - x[nr])) * (t1 - x[nr]);
    for (size_t i = 0; i <= nr; i++) {
        r->out.p[i].t_s = x[i];
        r->out.p[i].q = y[i];
    }
    r->out.p[nr + 1].t_s = t1;
    r->out.p[nr + 1].q = q_end;
    r->out.n = nr + 2;
    /* next step: the end point, then the particles still in the reach */
    r->q[0] = q_end;
    r->t_in[0] = t_end_in;
    r->wc[0] = 0.0;
    size_t k = 1;
    for (size_t i = nr; i < e.n; i++, k++) {
        r->q[k] = e.q[i];
        r->t_in[k] = e.t_in[i];
        r->wc[k] = e.wc[i] >= 0.0 ? e.wc[i] : particle_celerity(ch, e.q[i]);
    }
    r->n = k;
    return mean * ch->width_m;
}

double hs_kwt_storage_m3(const hs_kwt_channel *ch, const hs_kwt_reach *r) {
    double v = 0.0;
    for (size_t i = 1; i < r->n; i++)
        v += (r->t_in[i] - r->t_in[i - 1]) * 0.5 * (r->q[i - 1] + r->q[i]);
    return v * ch->width_m;
}
