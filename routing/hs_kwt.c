/* hs_kwt.c -- kinematic wave tracking on one reach (docs-models.md §6.4; mizuRoute kwt_route.f90
 * in spirit: waves, celerity, shock merging, MAXQPAR, averaging over the step; see hs_kwt.h for
 * the block-wave form used here, which conserves mass exactly). */
#include "hs_kwt.h"

#include <math.h>

double hs_kwt_celerity(double q_m2s, double k_manning) {
    if (!(q_m2s > 0.0)) return 0.0;
    /* c = dq/dh for q = K h^alpha: alpha K^(1/alpha) q^((alpha-1)/alpha) */
    return HS_KWT_ALPHA * pow(k_manning, 1.0 / HS_KWT_ALPHA) *
           pow(q_m2s, (HS_KWT_ALPHA - 1.0) / HS_KWT_ALPHA);
}

/* Merges wave i+1 into wave i: volumes add, the entry interval is the union of both, and the
 * travel time follows from the merged unit-width discharge. The merged wave starts leaving no
 * earlier than `t_now`. */
static void merge(const hs_kwt_channel *ch, hs_kwt_reach *r, size_t i, double t_now) {
    hs_kwt_wave *a = &r->w[i];
    const hs_kwt_wave *b = &r->w[i + 1];
    const double in0 = a->t_exit0 - a->tau_s, in1 = b->t_exit1 - b->tau_s;
    const double vol = a->vol_m3 + b->vol_m3;
    const double dur = fmax(in1 - in0, a->t_exit1 - a->t_exit0);
    const double q = vol / dur / ch->width_m;
    const double c = hs_kwt_celerity(q, ch->k_manning);
    /* a wave with vanishing discharge would never leave: the slower of the two sets the pace */
    const double tau = c > 0.0 ? ch->length_m / c : fmax(a->tau_s, b->tau_s);
    a->t_exit0 = fmax(in0 + tau, t_now);
    a->t_exit1 = a->t_exit0 + dur;
    a->vol_m3 = vol;
    a->tau_s = a->t_exit0 - in0;
    for (size_t k = i + 1; k + 1 < r->n; k++) r->w[k] = r->w[k + 1];
    r->n--;
}

/* Restores exit order without overlap, merging overtaking waves (kinematic shocks). */
static void resolve_shocks(const hs_kwt_channel *ch, hs_kwt_reach *r, double t_now) {
    size_t i = 0;
    while (i + 1 < r->n) {
        if (r->w[i + 1].t_exit0 < r->w[i].t_exit1) {
            merge(ch, r, i, t_now);
            if (i > 0) i--; /* the merged wave may now overtake its predecessor */
        } else {
            i++;
        }
    }
}

double hs_kwt_step(const hs_kwt_channel *ch, hs_kwt_reach *r, double q_in_m3s, double t0_s,
                   double dt_s) {
    const double t1 = t0_s + dt_s;
    double passed = 0.0;
    if (q_in_m3s > 0.0) {
        const double c = hs_kwt_celerity(q_in_m3s / ch->width_m, ch->k_manning);
        const double tau = ch->length_m / c;
        hs_kwt_wave *w = &r->w[r->n++];
        w->t_exit0 = t0_s + tau;
        w->t_exit1 = t1 + tau;
        w->vol_m3 = q_in_m3s * dt_s;
        w->tau_s = tau;
        resolve_shocks(ch, r, t0_s);
        while (r->n > HS_KWT_MAXQPAR) {
            size_t best = 0;
            for (size_t i = 1; i + 1 < r->n; i++)
                if (r->w[i].vol_m3 + r->w[i + 1].vol_m3 < r->w[best].vol_m3 + r->w[best + 1].vol_m3)
                    best = i;
            merge(ch, r, best, t0_s);
            resolve_shocks(ch, r, t0_s);
        }
    } else {
        passed = q_in_m3s; /* zero or negative inflow is not a wave */
    }
    /* waves are in exit order without overlap: those starting before t1 leave, fully or partly */
    double out_vol = 0.0;
    size_t gone = 0;
    for (size_t i = 0; i < r->n; i++) {
        hs_kwt_wave *w = &r->w[i];
        if (w->t_exit0 >= t1) break;
        if (w->t_exit1 <= t1) {
            out_vol += w->vol_m3;
            gone++;
        } else {
            const double frac = (t1 - w->t_exit0) / (w->t_exit1 - w->t_exit0);
            const double v = w->vol_m3 * frac;
            out_vol += v;
            w->vol_m3 -= v;
            w->t_exit0 = t1; /* the remainder is the same block, shorter; tau unchanged */
            break;
        }
    }
    if (gone > 0) {
        for (size_t i = gone; i < r->n; i++) r->w[i - gone] = r->w[i];
        r->n -= gone;
    }
    return out_vol / dt_s + passed;
}

double hs_kwt_storage_m3(const hs_kwt_reach *r) {
    double v = 0.0;
    for (size_t i = 0; i < r->n; i++) v += r->w[i].vol_m3;
    return v;
}
