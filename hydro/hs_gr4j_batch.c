/* hs_gr4j_batch.c -- GR4J (docs-models.md §2.1-§2.4, airGR MOD_GR4J) in SIMD lanes: a batch of
 * parameter sets on one lumped forcing series (the batched backend, hs_gr4j_batch.h), and the
 * HRUs of a multi-HRU model, each lane with its own forcing (hs_gr4j_run_hru_lanes, the scalar
 * model's run over HRUs, hs_gr4j_impl.h). Both keep the scalar model's bits (hs_gr4j.c).
 *
 * HRU lanes differ from parameter-set lanes in one place: the production store's branch
 * (P <= E) is per lane, so it becomes selects of the operands of its one division
 * (hgb_production_lanes). Groups of 16 HRUs run blocks of 128 steps (states go back to the
 * model between blocks), with the next rows prefetched: their stride is the HRU count.
 *
 * Layout (as hs_hbv_batch.c). The run first orders the parameter sets by X4 (stable; lanes are
 * independent, each output goes to its caller's row). Lanes run in groups of W = 4, 8, 16 or 32
 * (a compile-time constant per kernel copy, so every lane loop has a fixed trip count and
 * vectorises without remainder code); a batch is cut into groups of 32 and the rest goes to the
 * smallest group that holds it; a group of one lane runs the scalar step (hs_gr4j_step) itself.
 * A group that is not full is padded with copies of its first parameter set, whose outputs are
 * dropped. Inside a group every state, parameter and UH cell is an array over lanes (structure
 * of arrays, 64-byte aligned, on the stack: about 33 KiB for 32 lanes), and each day is:
 *   A  the production store's tanh argument w = min(En or Pn / X1, 13), per lane (the branch
 *      P <= E is the same for all lanes: they share the forcing);
 *   E  exp(2 w), hs_vm_exp_plain in vector form (the scalar model's function, the same bits);
 *   B  the rest of the production store, percolation, the 0.9/0.1 split;
 *   U  the UH1/UH2 shift registers, cell by cell up to the largest airGR loop limit of each
 *      chunk of 8 lanes (sorted by X4, the lanes of a chunk have similar limits), each lane's
 *      update selected only below its own limit (the cells the scalar model leaves alone keep
 *      their value exactly);
 *   R  exchange, routing store, direct branch and Q.
 * Runoff is collected in blocks of HGB_BLOCK steps x lanes and transposed into the caller's
 * [set][time] array after each block.
 *
 * Why the results are the scalar model's bits: each lane performs the operations of
 * gr4j_step_inline() in hs_gr4j.c in the same order, written the same way (the same
 * parenthesisation, divisions kept as divisions, sqrt(sqrt(.)), X2*Rr*Rr*Rr*sqrt(Rr)); vector
 * add/mul/div/sqrt/compare are the same IEEE operations as their scalar forms; a*b+c is never
 * contracted into an FMA (ISO C mode and -ffp-contract=off on this file). Thresholds become
 * selects with the same comparisons (`if (s < 0) s = 0` keeps -0 as the branch does). The one
 * library call whose result on a tie is implementation-defined, fmax(0, qd0) at qd0 = -0, is
 * probed once (hgb_fmax_tie_is_y) and reproduced; for qd0 > 0 the scalar model takes qd0, for
 * qd0 < 0 or NaN fmax gives +0. */
#include "hs_gr4j_batch.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "hs_gr4j.h"
#include "hs_gr4j_impl.h"
#include "hs_prefetch.h"
#include "hs_vmath.h"

#define HGB_GROUP 32 /* the widest lane group */
#define HGB_BLOCK 32 /* steps per output block */
#define HGB_NH HS_GR4J_NH
#define HGB_ALIGNED _Alignas(64)
#define AIRGR_REAL(x) ((double)(float)(x)) /* as hs_gr4j.c */

#if defined(__GNUC__) || defined(__clang__)
#define HGB_INLINE static inline __attribute__((always_inline))
#else
#define HGB_INLINE static inline
#endif

/* Several copies of each kernel, chosen at load time (ifunc), as hs_hbv_batch.c: AVX-512, AVX2
 * and the x86-64 baseline. Unlike HBV, every group width gets the AVX-512 copy (measured: 8 lanes
 * 18.4 ns per day per set against 20.7 with AVX2, 4 lanes about the same).
 * HS_GR4J_BATCH_NO_CLONES: tests that pin one ISA. */
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__) && \
    defined(__has_attribute) && !defined(HS_GR4J_BATCH_NO_CLONES)
#if __has_attribute(target_clones)
#define HGB_CLONES __attribute__((target_clones("avx512f", "arch=x86-64-v3", "default")))
#define HGB_HAVE_CLONES 1
#endif
#endif
#ifndef HGB_CLONES
#define HGB_CLONES
#define HGB_HAVE_CLONES 0
#endif

struct hs_gr4j_batch {
    size_t n_lanes_max;
    size_t n_steps_max;
    bool fmax_tie_is_y; /* libm's fmax(+0, -0) returns -0 (its second argument) */
    bool math_vector;   /* GR4J_BATCH_MATH = vector */
    double *qblk;       /* [HGB_BLOCK][HGB_GROUP] runoff of the current block */
    size_t *order;      /* [n_lanes_max] the run's parameter sets sorted by X4 */
    double *psorted;    /* [n_lanes_max][HS_GR4J_NPAR] the parameter sets in that order */
};

const char *hs_gr4j_batch_isa(void)
{
#if HGB_HAVE_CLONES
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return "avx512f";
    /* the "avx2" copy is arch=x86-64-v3: AVX2 with FMA and the rest of that level */
    return __builtin_cpu_supports("x86-64-v3") ? "avx2" : "default";
#elif defined(__AVX512F__)
    return "avx512f";
#elif defined(__AVX2__)
    return "avx2";
#else
    return "default";
#endif
}

/* fmax(0, -0) may be +0 or -0 (C11 F.10.9.2 leaves it open); the scalar model calls libm's. */
static bool hgb_fmax_tie_is_y(void)
{
    volatile double zero = 0.0, mzero = -0.0;
    return signbit(fmax(zero, mzero)) != 0;
}

/* ---- the group kernel ------------------------------------------------------------------------ */

typedef struct hgb_job {
    const hs_gr4j_batch *b;
    const double *params; /* [n_real][HS_GR4J_NPAR] */
    size_t n_real;        /* real lanes (<= W); the others copy lane 0 */
    const hs_forcing_view *f;
    double *runoff;       /* the caller's [n_sets][n_time] array */
    const size_t *index;  /* [n_real] row of each lane in `runoff` */
} hgb_job;

/* v / x, or in vector mode (GR4J_BATCH_MATH = vector) v times the lane's reciprocal rx = 1 / x:
 * a multiplication instead of a division (the divide unit is the kernel's bottleneck), at
 * most one rounding away from the quotient. `vec` is a constant at every inlined call. */
HGB_INLINE double hgb_div(const bool vec, const double v, const double x, const double rx)
{
    return vec ? v * rx : v / x;
}

/* Steps 2-5 for one lane: the clamp at 0, percolation, Pr, and the 0.9/0.1 split. */
HGB_INLINE void hgb_percolation_split(const bool vec, const double a, const double ra, double sv,
                                      double pr, double *s, double *ph1, double *ph2)
{
    const double b = AIRGR_REAL(0.9);
    const double stored_val = 25.62890625; /* (9/4)^4, as hs_gr4j.c */
    sv = sv < 0.0 ? 0.0 : sv;
    double sr = hgb_div(vec, sv, a, ra);
    sr = sr * sr;
    sr = sr * sr;
    const double perc =
        sv * (1.0 - 1.0 / sqrt(sqrt(1.0 + hgb_div(vec, sr, stored_val, 1.0 / stored_val))));
    *s = sv - perc;
    pr = pr + perc;
    *ph1 = pr * b;
    *ph2 = pr * (1.0 - b);
}

/* Step B for one branch of the production store (wet = P > E, the same for all lanes); `wet` is
 * a constant at each call, so each call is its own branch-free lane loop. */
HGB_INLINE void hgb_production(const size_t W, const bool vec, const bool wet,
                               const double *restrict x1, const double *restrict rx1,
                               const double *restrict ew, double *restrict s,
                               double *restrict ph1, double *restrict ph2, const double pn)
{
#pragma omp simd aligned(x1, rx1, ew, s, ph1, ph2 : 64)
    for (size_t j = 0; j < W; j++) {
        const double a = x1[j], ra = rx1[j];
        double sv = s[j], pr;
        const double exp_ws = ew[j];
        /* vector mode: tanh = (e - 1)/(e + 1) folded into the store's fraction, one division
         * instead of two: X (e - 1) / ((e + 1) + c (e - 1)) = X tanh / (1 + c tanh) */
        const double em1 = exp_ws - 1.0, ep1 = exp_ws + 1.0;
        const double tws = vec ? 0.0 : em1 / ep1;
        if (wet) {
            const double sr = hgb_div(vec, sv, a, ra);
            const double ps = vec ? a * (1.0 - sr * sr) * em1 / (ep1 + sr * em1)
                                  : a * (1.0 - sr * sr) * tws / (1.0 + sr * tws);
            pr = pn - ps;
            sv = sv + ps;
        } else {
            const double sr = hgb_div(vec, sv, a, ra);
            const double es = vec ? sv * (2.0 - sr) * em1 / (ep1 + (1.0 - sr) * em1)
                                  : sv * (2.0 - sr) * tws / (1.0 + (1.0 - sr) * tws);
            sv = sv - es;
            pr = 0.0;
        }
        hgb_percolation_split(vec, a, ra, sv, pr, &s[j], &ph1[j], &ph2[j]);
    }
}

/* Step B for lanes with their own forcing (one HRU per lane): the branch P <= E differs from
 * lane to lane, so it becomes selects. Both branches of the scalar model end in one division of
 * the same form, num / den: the operands are selected before it, so each lane performs exactly
 * its own branch's operations and no extra division. pe is Pn (wet) or En (dry); `wet` is 1 or
 * 0 per lane; ae gets the actual evapotranspiration. */
HGB_INLINE void hgb_production_lanes(const size_t W, const double *restrict x1,
                                     const double *restrict ew, const double *restrict wet,
                                     const double *restrict pe, const double *restrict p,
                                     const double *restrict e, double *restrict s,
                                     double *restrict ph1, double *restrict ph2,
                                     double *restrict ae)
{
#pragma omp simd aligned(x1, ew, wet, pe, p, e, s, ph1, ph2, ae : 64)
    for (size_t j = 0; j < W; j++) {
        const double a = x1[j];
        const double sv = s[j];
        const double exp_ws = ew[j];
        const double tws = (exp_ws - 1.0) / (exp_ws + 1.0);
        const double sr = sv / a;
        const bool w = wet[j] > 0.0;
        /* wet: Ps = X1 (1 - Sr^2) tanh / (1 + Sr tanh); dry: Es = S (2 - Sr) tanh / (1 + (1 - Sr) tanh) */
        const double num = w ? a * (1.0 - sr * sr) * tws : sv * (2.0 - sr) * tws;
        const double den = w ? 1.0 + sr * tws : 1.0 + (1.0 - sr) * tws;
        const double x = num / den;
        ae[j] = w ? e[j] : x + p[j];
        hgb_percolation_split(false, a, 0.0, w ? sv + x : sv - x, w ? pe[j] - x : 0.0, &s[j], &ph1[j],
                              &ph2[j]);
    }
}

/* The lanes of a group: every state, parameter and UH cell as an array over lanes. */
typedef struct hgb_lanes {
    HGB_ALIGNED double x1[HGB_GROUP], x2[HGB_GROUP], x3[HGB_GROUP];
    HGB_ALIGNED double rx1[HGB_GROUP], rx3[HGB_GROUP]; /* 1 / X1, 1 / X3 (vector mode) */
    HGB_ALIGNED double s[HGB_GROUP], r[HGB_GROUP], ws[HGB_GROUP], ew[HGB_GROUP];
    HGB_ALIGNED double ph1[HGB_GROUP], ph2[HGB_GROUP], n1[HGB_GROUP], n2[HGB_GROUP];
    HGB_ALIGNED double o1[HGB_NH][HGB_GROUP], u1[HGB_NH][HGB_GROUP];
    HGB_ALIGNED double o2[2 * HGB_NH][HGB_GROUP], u2[2 * HGB_NH][HGB_GROUP];
    /* UH loop limits per chunk of HGB_CHUNK lanes: a chunk loops to its largest lane limit */
    size_t n1max[HGB_GROUP / 4], n2max[HGB_GROUP / 4];
} hgb_lanes;

enum { HGB_CHUNK = 8 };

/* Lane j gets parameter set p (x1..x4) and the UH ordinates of its X4; the states are left to
 * the caller. Updates the chunk maxima of the airGR loop limits (start them at 1). */
HGB_INLINE void hgb_lane_params(hgb_lanes *L, size_t C, size_t j, const double *p,
                                const double *uh1, const double *uh2)
{
    for (size_t k = 0; k < HGB_NH; k++) L->o1[k][j] = uh1[k];
    for (size_t k = 0; k < 2 * HGB_NH; k++) L->o2[k][j] = uh2[k];
    L->x1[j] = p[HS_GR4J_X1];
    L->x2[j] = p[HS_GR4J_X2];
    L->x3[j] = p[HS_GR4J_X3];
    L->rx1[j] = 1.0 / p[HS_GR4J_X1];
    L->rx3[j] = 1.0 / p[HS_GR4J_X3];
    /* airGR's loop limits, as gr4j_step_inline. */
    const int kx = (int)(p[HS_GR4J_X4] + 1.0);
    int m1 = kx < HGB_NH - 1 ? kx : HGB_NH - 1;
    if (m1 < 1) m1 = 1;
    int m2 = 2 * kx < 2 * HGB_NH - 1 ? 2 * kx : 2 * HGB_NH - 1;
    if (m2 < 1) m2 = 1;
    L->n1[j] = (double)m1;
    L->n2[j] = (double)m2;
    if ((size_t)m1 > L->n1max[j / C]) L->n1max[j / C] = (size_t)m1;
    if ((size_t)m2 > L->n2max[j / C]) L->n2max[j / C] = (size_t)m2;
}

/* One shift register of n_cells cells ([cell][lane], u[] and its ordinates o[]) fed by ph[W]:
 * chunk by chunk, lane j updates cell k only for k < its own limit lim[j] (the scalar loop's),
 * so the cells the scalar model leaves alone keep their value; the last cell takes o * ph. */
HGB_INLINE void hgb_uh_register(const size_t W, const size_t n_cells,
                                double (*restrict u)[HGB_GROUP],
                                const double (*restrict o)[HGB_GROUP], const double *restrict lim,
                                const size_t *restrict nmax, const double *restrict ph)
{
    const size_t C = W < HGB_CHUNK ? W : HGB_CHUNK, n_chunks = W / C;
    for (size_t c = 0; c < n_chunks; c++)
        for (size_t k = 0, kn = nmax[c]; k < kn; k++) {
            const double kd = (double)k;
            double *restrict uk = u[k] + c * C;
            const double *restrict uk1 = u[k + 1] + c * C, *restrict ok = o[k] + c * C;
            const double *restrict lk = lim + c * C, *restrict pk = ph + c * C;
#pragma omp simd aligned(uk, uk1, ok, lk, pk : 32)
            for (size_t j = 0; j < C; j++) {
                const double v = uk1[j] + ok[j] * pk[j];
                uk[j] = kd < lk[j] ? v : uk[j];
            }
        }
    double *restrict ul = u[n_cells - 1];
    const double *restrict ol = o[n_cells - 1];
#pragma omp simd aligned(ul, ol, ph : 64)
    for (size_t j = 0; j < W; j++) ul[j] = ol[j] * ph[j];
}

/* U: the UH1 and UH2 shift registers. */
HGB_INLINE void hgb_uh_step(hgb_lanes *restrict L, const size_t W)
{
    hgb_uh_register(W, HGB_NH, L->u1, (const double (*)[HGB_GROUP])L->o1, L->n1, L->n1max, L->ph1);
    hgb_uh_register(W, 2 * HGB_NH, L->u2, (const double (*)[HGB_GROUP])L->o2, L->n2, L->n2max,
                    L->ph2);
}

/* R: exchange, routing store, direct branch and Q into q[W]. With `exch_sum` (a constant at
 * each inlined call) the actual exchange of the step, aexch1 + aexch2 as the scalar model
 * adds them, is added to exch_sum[j]. */
HGB_INLINE void hgb_routing_step(hgb_lanes *restrict L, const size_t W, const bool vec,
                                 const double tie_flag, double *restrict q,
                                 double *restrict exch_sum)
{
    const double *restrict u10 = L->u1[0], *restrict u20 = L->u2[0];
    const double *restrict x2 = L->x2, *restrict x3 = L->x3, *restrict rx3 = L->rx3;
    double *restrict r = L->r;
#pragma omp simd aligned(u10, u20, x2, x3, rx3, r, q : 64)
    for (size_t j = 0; j < W; j++) {
        const double q9 = u10[j], q1 = u20[j];
        double rv = r[j];
        double rr = hgb_div(vec, rv, x3[j], rx3[j]);
        const double exch = x2[j] * rr * rr * rr * sqrt(rr);
        const double rin = rv + q9 + exch;
        if (exch_sum) {
            const double aexch1 = rin < 0.0 ? -rv - q9 : exch;
            const double aexch2 = q1 + exch < 0.0 ? -q1 : exch;
            exch_sum[j] += aexch1 + aexch2;
        }
        rv = rin < 0.0 ? 0.0 : rin;
        rr = hgb_div(vec, rv, x3[j], rx3[j]);
        rr = rr * rr;
        rr = rr * rr;
        const double qr = rv * (1.0 - 1.0 / sqrt(sqrt(1.0 + rr)));
        rv = rv - qr;
        r[j] = rv;
        const double qd0 = q1 + exch;
        /* qd0 > 0 ? qd0 : fmax(0, qd0): +0 for qd0 < 0 or NaN, libm's tie rule at 0 */
        const double qd = qd0 > 0.0 ? qd0 : (tie_flag > 0.0 && qd0 == 0.0 ? qd0 : 0.0);
        const double qt = qr + qd;
        q[j] = qt < 0.0 ? 0.0 : qt;
    }
}

HGB_INLINE void hgb_group_run(const hgb_job *job, const size_t W, const bool vec)
{
    const hs_gr4j_batch *b = job->b;
    const double tie_flag = b->fmax_tie_is_y ? 1.0 : 0.0;
    const size_t nt = job->f->n_time, n_real = job->n_real;
    const double *prec = job->f->precip_mm, *pet = job->f->pet_mm;
    double *restrict qblk = b->qblk;
    hgb_lanes lanes, *L = &lanes;
    const size_t C = W < HGB_CHUNK ? W : HGB_CHUNK;
    for (size_t c = 0; c < W / C; c++) L->n1max[c] = L->n2max[c] = 1;
    /* Set up the lanes as gr4j_init does; padding lanes copy the first set. */
    for (size_t j = 0; j < W; j++) {
        const double *p = job->params + (j < n_real ? j : 0) * HS_GR4J_NPAR;
        double uh1[HGB_NH], uh2[2 * HGB_NH];
        hs_gr4j_uh_ordinates(p[HS_GR4J_X4], uh1, uh2);
        hgb_lane_params(L, C, j, p, uh1, uh2);
        for (size_t k = 0; k < HGB_NH; k++) L->u1[k][j] = 0.0;
        for (size_t k = 0; k < 2 * HGB_NH; k++) L->u2[k][j] = 0.0;
        L->s[j] = 0.3 * p[HS_GR4J_X1];
        L->r[j] = 0.5 * p[HS_GR4J_X3];
    }

    for (size_t t0 = 0; t0 < nt; t0 += HGB_BLOCK) {
        const size_t tb = nt - t0 < HGB_BLOCK ? nt - t0 : HGB_BLOCK;
        for (size_t st = 0; st < tb; st++) {
            const double p1 = prec[t0 + st], e = pet[t0 + st];
            const bool wet = !(p1 <= e);
            /* A: the tanh argument, capped at 13 (En / X1 or Pn / X1). */
            const double pe = wet ? p1 - e : e - p1;
            {
                const double *restrict x1 = L->x1, *restrict rx1 = L->rx1;
                double *restrict ws = L->ws;
#pragma omp simd aligned(x1, rx1, ws : 64)
                for (size_t j = 0; j < W; j++) {
                    double w = hgb_div(vec, pe, x1[j], rx1[j]);
                    w = w > 13.0 ? 13.0 : w;
                    ws[j] = 2.0 * w;
                }
            }
            /* E: the scalar model's hs_vm_exp_plain (no FMA), or hs_vm_exp (vector mode). */
            if (vec) {
                const double *restrict ws = L->ws;
                double *restrict ew = L->ew;
#pragma omp simd aligned(ws, ew : 64)
                for (size_t j = 0; j < W; j++) ew[j] = hs_vm_exp(ws[j]);
            } else {
                const double *restrict ws = L->ws;
                double *restrict ew = L->ew;
#pragma omp simd aligned(ws, ew : 64)
                for (size_t j = 0; j < W; j++) ew[j] = hs_vm_exp_plain(ws[j]);
            }
            /* B: production store, percolation, split. */
            if (wet)
                hgb_production(W, vec, true, L->x1, L->rx1, L->ew, L->s, L->ph1, L->ph2, pe);
            else
                hgb_production(W, vec, false, L->x1, L->rx1, L->ew, L->s, L->ph1, L->ph2, pe);
            hgb_uh_step(L, W);
            hgb_routing_step(L, W, vec, tie_flag, qblk + st * HGB_GROUP, NULL);
        }
        /* Transpose the block into the caller's [set][time] rows (real lanes only). */
        for (size_t j = 0; j < n_real; j++) {
            double *dst = job->runoff + job->index[j] * nt + t0;
            for (size_t st = 0; st < tb; st++) dst[st] = qblk[st * HGB_GROUP + j];
        }
    }
}

/* ---- lanes over HRUs (the scalar model's multi-HRU run) ---------------------------------------- */

/* HRUs g0 .. g0 + n_real - 1 of job as one group of W lanes (padding lanes copy the first HRU
 * and are dropped), steps t0 .. t1 - 1: states in, the steps, states out. The forcing rows of a
 * group are contiguous in the time-major arrays, and so are its outputs. */
HGB_INLINE void hgb_hru_group_run(const hs_gr4j_hru_run *job, const size_t g0,
                                  const size_t n_real, const size_t t0, const size_t t1,
                                  const double tie_flag, const size_t W)
{
    const size_t n = job->n_hru, np = job->npar;
    enum { HGB_PREFETCH = 4 }; /* steps ahead */
    hgb_lanes lanes, *L = &lanes;
    HGB_ALIGNED double p[HGB_GROUP], e[HGB_GROUP], pe[HGB_GROUP], wet[HGB_GROUP];
    HGB_ALIGNED double q[HGB_GROUP], ae[HGB_GROUP], xs[HGB_GROUP];
    const size_t C = W < HGB_CHUNK ? W : HGB_CHUNK;
    for (size_t c = 0; c < W / C; c++) L->n1max[c] = L->n2max[c] = 1;
    for (size_t j = 0; j < W; j++) {
        const size_t i = g0 + (j < n_real ? j : 0);
        hgb_lane_params(L, C, j, job->par + i * np, job->uh1 + i * HGB_NH,
                        job->uh2 + i * 2 * HGB_NH);
        const hs_gr4j_state *st = &job->st[i];
        for (size_t k = 0; k < HGB_NH; k++) L->u1[k][j] = st->uh1_mm[k];
        for (size_t k = 0; k < 2 * HGB_NH; k++) L->u2[k][j] = st->uh2_mm[k];
        L->s[j] = st->prod_mm;
        L->r[j] = st->rout_mm;
        xs[j] = job->exch_cum[i];
    }
    for (size_t t = t0; t < t1; t++) {
        const double *restrict pt = job->precip_mm + t * n + g0;
        const double *restrict et = job->pet_mm + t * n + g0;
        if (t + HGB_PREFETCH < t1) {
            const size_t ahead = HGB_PREFETCH * n;
            hs_prefetch_row(pt + ahead, n_real, false);
            hs_prefetch_row(et + ahead, n_real, false);
            hs_prefetch_row(job->runoff_mm + t * n + g0 + ahead, n_real, true);
        }
        for (size_t j = 0; j < W; j++) {
            p[j] = pt[j < n_real ? j : 0];
            e[j] = et[j < n_real ? j : 0];
        }
        /* A: the branch and the tanh argument, capped at 13 (En / X1 or Pn / X1). */
        {
            const double *restrict x1 = L->x1;
            double *restrict ws = L->ws;
#pragma omp simd aligned(p, e, pe, wet, x1, ws : 64)
            for (size_t j = 0; j < W; j++) {
                const bool w = !(p[j] <= e[j]);
                const double v = w ? p[j] - e[j] : e[j] - p[j];
                double a = v / x1[j];
                a = a > 13.0 ? 13.0 : a;
                ws[j] = 2.0 * a;
                pe[j] = v;
                wet[j] = w ? 1.0 : 0.0;
            }
        }
        {
            const double *restrict ws = L->ws;
            double *restrict ew = L->ew;
#pragma omp simd aligned(ws, ew : 64)
            for (size_t j = 0; j < W; j++) ew[j] = hs_vm_exp_plain(ws[j]);
        }
        hgb_production_lanes(W, L->x1, L->ew, wet, pe, p, e, L->s, L->ph1, L->ph2, ae);
        hgb_uh_step(L, W);
        hgb_routing_step(L, W, false, tie_flag, q, xs);
        double *restrict qt = job->runoff_mm + t * n + g0;
        for (size_t j = 0; j < n_real; j++) qt[j] = q[j];
        if (job->aet_mm) {
            double *restrict at = job->aet_mm + t * n + g0;
            for (size_t j = 0; j < n_real; j++) at[j] = ae[j];
        }
    }
    for (size_t j = 0; j < n_real; j++) {
        hs_gr4j_state *st = &job->st[g0 + j];
        for (size_t k = 0; k < HGB_NH; k++) st->uh1_mm[k] = L->u1[k][j];
        for (size_t k = 0; k < 2 * HGB_NH; k++) st->uh2_mm[k] = L->u2[k][j];
        st->prod_mm = L->s[j];
        st->rout_mm = L->r[j];
        job->exch_cum[g0 + j] = xs[j];
    }
}

HGB_CLONES static void hgb_hru_group_w4(const hs_gr4j_hru_run *job, size_t g0, size_t n_real,
                                        size_t t0, size_t t1, double tie)
{
    hgb_hru_group_run(job, g0, n_real, t0, t1, tie, 4);
}
HGB_CLONES static void hgb_hru_group_w8(const hs_gr4j_hru_run *job, size_t g0, size_t n_real,
                                        size_t t0, size_t t1, double tie)
{
    hgb_hru_group_run(job, g0, n_real, t0, t1, tie, 8);
}
HGB_CLONES static void hgb_hru_group_w16(const hs_gr4j_hru_run *job, size_t g0, size_t n_real,
                                        size_t t0, size_t t1, double tie)
{
    hgb_hru_group_run(job, g0, n_real, t0, t1, tie, 16);
}

/* One HRU alone: the scalar step itself (a lone chain; padding it to 4 lanes costs more). */
static void hgb_hru_single(const hs_gr4j_hru_run *job, size_t i, size_t t0, size_t t1)
{
    const size_t n = job->n_hru;
    const double *par = job->par + i * job->npar;
    const double *uh1 = job->uh1 + i * HGB_NH, *uh2 = job->uh2 + i * 2 * HGB_NH;
    hs_gr4j_fluxes fl;
    for (size_t t = t0; t < t1; t++) {
        const size_t idx = t * n + i;
        job->runoff_mm[idx] =
            hs_gr4j_step(&job->st[i], uh1, uh2, par, job->precip_mm[idx], job->pet_mm[idx], &fl);
        job->exch_cum[i] += fl.aexch1 + fl.aexch2;
        if (job->aet_mm) job->aet_mm[idx] = fl.ae;
    }
}

void hs_gr4j_run_hru_lanes(const hs_gr4j_hru_run *job)
{
    const double tie = hgb_fmax_tie_is_y() ? 1.0 : 0.0;
    const size_t end = job->first + job->count, nt = job->n_time;
    /* Blocks of HGB_HRU_BLOCK steps over all groups: a group's forcing rows are one HRU count
     * apart, so running one group over every day would touch a new page at each step (with
     * 2,335 HRUs, 24 against 17 ns per HRU-step measured); within a block the groups share
     * the pages. States go back to the model between blocks (~0.3 ns per HRU-step). */
    enum { HGB_HRU_BLOCK = 128 };
    for (size_t t0 = 0; t0 < nt; t0 += HGB_HRU_BLOCK) {
        const size_t t1 = nt - t0 < HGB_HRU_BLOCK ? nt : t0 + HGB_HRU_BLOCK;
        /* Groups of 16 (two AVX-512 vectors of independent chains per operation), the rest in
         * the smallest group that holds it. */
        for (size_t g0 = job->first; g0 < end;) {
            const size_t left = end - g0;
            const size_t n_real = left < 16 ? left : 16;
            if (n_real == 1)
                hgb_hru_single(job, g0, t0, t1);
            else if (n_real > 8)
                hgb_hru_group_w16(job, g0, n_real, t0, t1, tie);
            else if (n_real > 4)
                hgb_hru_group_w8(job, g0, n_real, t0, t1, tie);
            else
                hgb_hru_group_w4(job, g0, n_real, t0, t1, tie);
            g0 += n_real;
        }
    }
}

/* A group of one real lane: the scalar model's own step (hs_gr4j_step, the function
 * hs_model_run inlines), from gr4j_init's initial state. One lane is a single latency-bound
 * chain; the vector kernel padded to 4 lanes would be about 1.2x slower than this. */
static void hgb_single(const hgb_job *job)
{
    const double *p = job->params;
    double uh1[HGB_NH], uh2[2 * HGB_NH];
    hs_gr4j_uh_ordinates(p[HS_GR4J_X4], uh1, uh2);
    hs_gr4j_state st;
    memset(&st, 0, sizeof st);
    st.prod_mm = 0.3 * p[HS_GR4J_X1];
    st.rout_mm = 0.5 * p[HS_GR4J_X3];
    const size_t nt = job->f->n_time;
    const double *prec = job->f->precip_mm, *pet = job->f->pet_mm;
    for (size_t t = 0; t < nt; t++)
        job->runoff[job->index[0] * nt + t] = hs_gr4j_step(&st, uh1, uh2, p, prec[t], pet[t], NULL);
}

/* One copy per group width, each compiled for several instruction sets (HGB_CLONES). */
HGB_CLONES static void hgb_group_w4(const hgb_job *job) { hgb_group_run(job, 4, false); }
HGB_CLONES static void hgb_group_w8(const hgb_job *job) { hgb_group_run(job, 8, false); }
HGB_CLONES static void hgb_group_w16(const hgb_job *job) { hgb_group_run(job, 16, false); }
HGB_CLONES static void hgb_group_w32(const hgb_job *job) { hgb_group_run(job, 32, false); }
HGB_CLONES static void hgb_group_w4v(const hgb_job *job) { hgb_group_run(job, 4, true); }
HGB_CLONES static void hgb_group_w8v(const hgb_job *job) { hgb_group_run(job, 8, true); }
HGB_CLONES static void hgb_group_w16v(const hgb_job *job) { hgb_group_run(job, 16, true); }
HGB_CLONES static void hgb_group_w32v(const hgb_job *job) { hgb_group_run(job, 32, true); }

/* ---- lifecycle ------------------------------------------------------------------------------- */

void hs_gr4j_batch_destroy(hs_gr4j_batch **bp)
{
    if (!bp || !*bp) return;
    hs_gr4j_batch *b = *bp;
    hs_free(b->qblk);
    hs_free(b->order);
    hs_free(b->psorted);
    hs_free(b);
    *bp = NULL;
}

hs_status hs_gr4j_batch_create(size_t n_lanes_max, size_t n_steps_max,
                               const hs_model_option *opts, size_t n_opts, hs_ctx *ctx,
                               hs_gr4j_batch **out)
{
    if (!out) return HS_FAIL(ctx, HS_ERR_ARG, "GR4J batch: NULL output pointer");
    *out = NULL;
    if (n_lanes_max == 0 || n_steps_max == 0)
        return HS_FAIL(ctx, HS_ERR_ARG, "GR4J batch: n_lanes_max = %zu and n_steps_max = %zu "
                       "must both be >= 1", n_lanes_max, n_steps_max);
    if (n_lanes_max > SIZE_MAX / n_steps_max || n_lanes_max > SIZE_MAX / HS_GR4J_NPAR)
        return HS_FAIL(ctx, HS_ERR_ARG, "GR4J batch: %zu lanes x %zu steps overflow the output "
                       "size", n_lanes_max, n_steps_max);
    if (n_opts > 0 && !opts) return HS_FAIL(ctx, HS_ERR_ARG, "GR4J batch: NULL option array");
    bool math_vector = false;
    for (size_t i = 0; i < n_opts; i++) {
        if (!opts[i].key) continue;
        const char *v = opts[i].value ? opts[i].value : "(null)";
        if (hs_model_key_eq(opts[i].key, "SNOW_MODULE")) {
            if (!hs_model_key_eq(v, "none") && v[0] != '\0')
                return HS_FAIL(ctx, HS_ERR_CONFIG, "GR4J batch option SNOW_MODULE: '%s' is not "
                               "valid; the batched kernel runs GR4J without a snow module "
                               "(allowed: none)", v);
        } else if (hs_model_key_eq(opts[i].key, "GR4J_BATCH_MATH")) {
            const bool exact = hs_model_key_eq(v, "exact");
            math_vector = hs_model_key_eq(v, "vector");
            if (!exact && !math_vector)
                return HS_FAIL(ctx, HS_ERR_CONFIG, "GR4J option GR4J_BATCH_MATH: '%s' is not "
                               "valid; allowed values: exact, vector", v);
        }
    }
    hs_gr4j_batch *b = NULL;
    HS_TRY(hs_alloc(ctx, 1, sizeof *b, "GR4J batch", (void **)&b));
    b->n_lanes_max = n_lanes_max;
    b->n_steps_max = n_steps_max;
    b->fmax_tie_is_y = hgb_fmax_tie_is_y();
    b->math_vector = math_vector;
    hs_status st = HS_OK;
    HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, b->qblk, HGB_BLOCK * HGB_GROUP, "GR4J batch block"),
                fail);
    HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, b->order, n_lanes_max, "GR4J batch lane order"), fail);
    HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, b->psorted, n_lanes_max * HS_GR4J_NPAR,
                                   "GR4J batch parameters"), fail);
    *out = b;
    return HS_OK;
fail:
    hs_gr4j_batch_destroy(&b);
    return st;
}

/* ---- runs ------------------------------------------------------------------------------------ */

hs_status hs_gr4j_batch_run(hs_gr4j_batch *b, const double *params, size_t n_sets,
                            const hs_forcing_view *f, double *runoff_mm, hs_ctx *ctx)
{
    if (!b || !params || !f || !runoff_mm)
        return HS_FAIL(ctx, HS_ERR_ARG, "GR4J batch run: NULL batch, parameters, forcing or "
                       "runoff array");
    if (n_sets == 0 || n_sets > b->n_lanes_max)
        return HS_FAIL(ctx, HS_ERR_ARG, "GR4J batch run: %zu parameter sets; expected 1 to %zu "
                       "(n_lanes_max of create)", n_sets, b->n_lanes_max);
    if (f->n_hru != 1)
        return HS_FAIL(ctx, HS_ERR_ARG, "GR4J batch run: the forcing has %zu HRUs; the batched "
                       "kernel needs one lumped series (n_hru = 1)", f->n_hru);
    if (f->n_time > b->n_steps_max)
        return HS_FAIL(ctx, HS_ERR_ARG, "GR4J batch run: the forcing has %zu steps, more than "
                       "the n_steps_max = %zu of create", f->n_time, b->n_steps_max);
    if (f->n_time > 0 && (!f->precip_mm || !f->pet_mm))
        return HS_FAIL(ctx, HS_ERR_ARG, "GR4J batch run: forcing needs precip_mm and pet_mm");
    for (size_t i = 0; i < n_sets; i++)
        for (size_t k = 0; k < HS_GR4J_NPAR; k++)
            HS_TRY(hs_gr4j_param_check(ctx, false, k, "parameter set", i,
                                       params[i * HS_GR4J_NPAR + k]));

    /* Lanes are independent: run them sorted by X4 (stable), so that each chunk of lanes has
     * similar UH lengths and loops over fewer UH cells; outputs go to the callers' rows. */
    size_t *order = b->order;
    for (size_t i = 0; i < n_sets; i++) {
        const double x4 = params[i * HS_GR4J_NPAR + HS_GR4J_X4];
        size_t k = i;
        while (k > 0 && params[order[k - 1] * HS_GR4J_NPAR + HS_GR4J_X4] > x4) {
            order[k] = order[k - 1];
            k--;
        }
        order[k] = i;
    }
    for (size_t i = 0; i < n_sets; i++)
        memcpy(b->psorted + i * HS_GR4J_NPAR, params + order[i] * HS_GR4J_NPAR,
               HS_GR4J_NPAR * sizeof *params);
    for (size_t lane0 = 0; lane0 < n_sets;) {
        const size_t left = n_sets - lane0;
        const size_t width = left > 16 ? 32 : left > 8 ? 16 : left > 4 ? 8 : 4;
        const size_t n_real = left < width ? left : width;
        const hgb_job job = {
            .b = b,
            .params = b->psorted + lane0 * HS_GR4J_NPAR,
            .n_real = n_real,
            .f = f,
            .runoff = runoff_mm,
            .index = order + lane0,
        };
        const bool vec = b->math_vector;
        if (n_real == 1 && !vec)
            hgb_single(&job);
        else if (width == 32)
            (vec ? hgb_group_w32v : hgb_group_w32)(&job);
        else if (width == 16)
            (vec ? hgb_group_w16v : hgb_group_w16)(&job);
        else if (width == 8)
            (vec ? hgb_group_w8v : hgb_group_w8)(&job);
        else
            (vec ? hgb_group_w4v : hgb_group_w4)(&job);
        lane0 += n_real;
    }
    return HS_OK;
}
