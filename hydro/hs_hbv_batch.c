/* hs_hbv_batch.c -- HBV (docs-models.md §1) for a batch of parameter sets at once: SIMD over
 * parameter sets ("lanes") on one lumped forcing series. See hs_hbv_batch.h for the API and the
 * agreement with the scalar model.
 *
 * Layout. Lanes are run in groups of W = 4, 8, 16 or 32 (a compile-time constant per kernel
 * copy, so every lane loop has a fixed trip count and vectorises without remainder code); a
 * batch is cut into groups of 32, and the rest goes to the smallest group that holds it. A
 * group that is not full is padded with copies of its first parameter set, whose outputs are
 * dropped. Wide groups matter: each lane's step is one long dependency chain (SM -> recharge
 * -> SM), so a 4-lane group waits on latency, while 32 lanes give the out-of-order core 4 to 8
 * independent vectors to overlap. Inside a group every state and parameter is an array over
 * lanes (structure of arrays, 64-byte aligned, on the stack: about 14 KiB for 32 lanes), and
 * each daily step is a few loops over lanes:
 *   A  snow routine and the soil's inputs (outflow I, relative SM = min(SM/FC, 1));
 *   P  the recharge power min(SM/FC,1)^BETA: glibc pow() lane by lane where the scalar model
 *      calls it (exact mode), or the vectorised exp(BETA*log(x)) below (vector mode); with
 *      HBV_RECHARGE = increment (HBV-light), the whole 1-mm loop in the scalar model's order:
 *      lane by lane around glibc's pow (exact), or all lanes together, masked, to the group's
 *      largest count (vector);
 *   B  the rest of the soil routine, the response routine and the runoff Q = Q0 + Q1 + Q2;
 *   R  MAXBAS routing into a ring buffer [slot][lane].
 * Thresholds are selects (py_max/py_min and ternaries), which GCC turns into compares and
 * blends. Routed runoff, AET and input are collected in blocks of HSB_BLOCK steps x lanes and
 * transposed into the caller's [set][time] arrays after each block (stays in L1).
 *
 * Why the results are the scalar model's bits (exact mode): each lane performs the operations
 * of hs_hbv.c's hbv_run_hru() in the same order; vector add/mul/div/compare are the same IEEE
 * operations as their scalar forms; a*b+c is never contracted into an FMA (ISO C mode and
 * -ffp-contract=off on this file; neither the AVX2 nor the AVX-512F copy enables FMA anyway).
 * The rewrites are exact:
 *   - recharge = I * pw with pw = 1 where the scalar model skips pow (I = +-0 or SM/FC >= 1):
 *     I * 1 is I, sign of zero included;
 *   - routing visits the leading max-over-lanes weights of every lane; past a lane's own last
 *     non-zero weight it adds Q * 0 = +-0 to a slot, which leaves the slot unchanged (slots
 *     are sums of non-negative terms starting at +0, never -0), for finite Q;
 *   - all lanes share one ring head, which moves exactly as each scalar HRU's head does, so the
 *     slot sums and the storage sum (slots 0..15 in memory order) are the same.
 * With non-finite forcing the exactness claim does not hold (Inf * 0 in the routing).
 *
 * The vector power (hsb_pow, with hs_vmath.h): log by fdlibm's reduction (x = 2^k * m, m in [sqrt(1/2),
 * sqrt(2)), s = f/(2+f), log(1+f) = f - hfsq + s*(hfsq + R(s^2)), R from the atanh series with
 * exact coefficients 2/(2i+1), truncation < 1e-18 relative), exp by Cody-Waite reduction
 * (y = n*ln2 + r, |r| <= ln2/2, Taylor series to degree 13, truncation < 5e-18) and 2^n built in
 * the exponent bits; float<->int conversions use the 2^52 "magic number" so AVX2 (which has no
 * 64-bit integer <-> double conversion) vectorises them. The error is dominated by log's final
 * rounding (<= 1 ulp) amplified by |y| = |e*log(x)| in exp: relative error at most
 * 4e-16*(1 + |y|), measured 1.9e-16*(1 + |y|) against glibc pow (tests/hydro/test_hbv_batch.c). */
#include "hs_hbv_batch.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "hs_hbv.h"
#include "hs_hbv_impl.h"
#include "hs_prefetch.h"
#include "hs_vmath.h"

#define HSB_GROUP 32               /* the widest lane group */
#define HSB_BLOCK 32               /* steps per output block */
#define HSB_RING HS_HBV_RING       /* routing ring slots (power of two) */
#define HSB_RING_MASK (HSB_RING - 1)

#if defined(__GNUC__) || defined(__clang__)
#define HSB_INLINE static inline __attribute__((always_inline))
#else
#define HSB_INLINE static inline
#endif

/* Several copies of each kernel, chosen at load time (ifunc) for the CPU that runs it: AVX-512
 * (8 lanes per vector) for the wide groups, AVX2 (4 lanes), and the x86-64 baseline (SSE2, 2
 * lanes). The narrow groups (4 and 8 lanes) get no AVX-512 copy: measured slower there. */
/* HS_HBV_BATCH_NO_CLONES: set by the tests that pin one instruction set. */
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__) && \
    defined(__has_attribute) && !defined(HS_HBV_BATCH_NO_CLONES)
#if __has_attribute(target_clones)
#define HSB_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#define HSB_CLONES_WIDE __attribute__((target_clones("avx512f", "arch=x86-64-v3", "default")))
#define HSB_HAVE_CLONES 1
#endif
#endif
#ifndef HSB_CLONES
#define HSB_CLONES
#define HSB_CLONES_WIDE
#define HSB_HAVE_CLONES 0
#endif

struct hs_hbv_batch {
    size_t n_lanes_max;
    size_t n_steps_max;
    hs_hbv_options opt;
    bool pow_vector;   /* HBV_BATCH_POW = vector */
    size_t n_last;     /* lanes of the last successful run (0: none yet) */
    double *storage;   /* [n_lanes_max] storage at the end of the last run, mm */
    double *qblk;      /* [HSB_BLOCK][HSB_GROUP] routed runoff of the current block */
    double *ablk;      /* [HSB_BLOCK][HSB_GROUP] AET */
    double *iblk;      /* [HSB_BLOCK][HSB_GROUP] input (rain + SFCF * snowfall) */
};

/* ---- the vector power ------------------------------------------------------------------------ */

/* x^e for x >= 0, e >= 0 finite (hs_hbv_batch.h). */
HSB_INLINE double hsb_pow(double x, double e)
{
    const double lx = hs_vm_log(x > 0.0 ? x : 1.0);
    const double v = hs_vm_exp(e * lx);
    const double v0 = x == 0.0 ? (e == 0.0 ? 1.0 : 0.0) : v;
    return (x == 1.0 || e == 0.0) ? 1.0 : v0;
}

HSB_CLONES_WIDE void hs_hbv_batch_pow(const double *x, const double *e, double *y, size_t n)
{
    if (!x || !e || !y) return;
#pragma omp simd
    for (size_t i = 0; i < n; i++) y[i] = hsb_pow(x[i], e[i]);
}

const char *hs_hbv_batch_isa(void)
{
#if HSB_HAVE_CLONES
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

/* ---- the group kernel ------------------------------------------------------------------------ */

/* Python's max(a, b) and min(a, b), as hs_hbv.c (the sign of a zero result included). */
static inline double py_max(double a, double b) { return b > a ? b : a; }
static inline double py_min(double a, double b) { return b < a ? b : a; }

/* One group's job: n_real <= W parameter sets starting at `params`, outputs starting at the
 * rows of its first set. */
typedef struct hsb_job {
    const hs_hbv_batch *b;
    const double *params; /* [n_real][HS_HBV_NPAR] */
    size_t n_real;
    const hs_forcing_view *f;
    double *runoff, *aet, *input; /* rows of the group's first set; aet, input nullable */
    double *storage;              /* [n_real] */
} hsb_job;

#define HSB_ALIGNED _Alignas(64)

/* The lanes of a group: every parameter, state and the day's forcing as arrays over lanes. */
typedef struct hsb_lanes {
    HSB_ALIGNED double tt[HSB_GROUP], cfmax[HSB_GROUP], sfcf[HSB_GROUP], cfr_cfmax[HSB_GROUP];
    HSB_ALIGNED double cwh[HSB_GROUP], fc[HSB_GROUP], lpfc[HSB_GROUP], beta[HSB_GROUP];
    HSB_ALIGNED double k0[HSB_GROUP], k1[HSB_GROUP], k2[HSB_GROUP], uzl[HSB_GROUP];
    HSB_ALIGNED double percmax[HSB_GROUP];
    HSB_ALIGNED double snow[HSB_GROUP], sw[HSB_GROUP], sm[HSB_GROUP], suz[HSB_GROUP];
    HSB_ALIGNED double slz[HSB_GROUP];
    HSB_ALIGNED double snow_start[HSB_GROUP], outflow[HSB_GROUP], rel[HSB_GROUP];
    HSB_ALIGNED double pw[HSB_GROUP], q[HSB_GROUP];
    HSB_ALIGNED double rch_inc[HSB_GROUP], sm_inc[HSB_GROUP]; /* HBV_RECHARGE = increment */
    HSB_ALIGNED double n_mm[HSB_GROUP];                       /* whole mm of the input */
    HSB_ALIGNED double pl[HSB_GROUP], tl[HSB_GROUP], el[HSB_GROUP]; /* the day's P, T, PET */
    HSB_ALIGNED double w[HSB_RING][HSB_GROUP], ring[HSB_RING][HSB_GROUP];
    size_t nw_max; /* routing weights visited: the largest count of the lanes */
    size_t head;   /* ring slot that leaves next, the same for every lane */
} hsb_lanes;

/* The options of a run, as the lane loops use them. */
typedef struct hsb_mode {
    bool pow_vector;
    bool increment;
    double inc_flag;  /* increment as a double: GCC 12 does not vectorise a select on a bool */
    double mean_flag; /* HBV_AET_SM = mean, likewise */
    /* HBV_AET_SNOW_OFF as a threshold, so that the lane loop has no && (no control flow):
     * AET = 0 where the snow at the start of the step exceeds it (0 when on, +inf when off). */
    double snow_gate;
} hsb_mode;

static hsb_mode hsb_mode_of(const hs_hbv_options *o, bool pow_vector)
{
    return (hsb_mode){.pow_vector = pow_vector,
                      .increment = o->increment,
                      .inc_flag = o->increment ? 1.0 : 0.0,
                      .mean_flag = o->aet_mean ? 1.0 : 0.0,
                      .snow_gate = o->aet_snow_off ? 0.0 : INFINITY};
}

/* Lane j's parameters from the parameter vector p[HS_HBV_*]. */
HSB_INLINE void hsb_lane_params(hsb_lanes *L, size_t j, const double *p)
{
    L->tt[j] = p[HS_HBV_TT];
    L->cfmax[j] = p[HS_HBV_CFMAX];
    L->sfcf[j] = p[HS_HBV_SFCF];
    L->cfr_cfmax[j] = p[HS_HBV_CFR] * p[HS_HBV_CFMAX]; /* hoisted as in hs_hbv.c */
    L->cwh[j] = p[HS_HBV_CWH];
    L->fc[j] = p[HS_HBV_FC];
    L->lpfc[j] = p[HS_HBV_LP] * p[HS_HBV_FC];
    L->beta[j] = p[HS_HBV_BETA];
    L->k0[j] = p[HS_HBV_K0];
    L->k1[j] = p[HS_HBV_K1];
    L->k2[j] = p[HS_HBV_K2];
    L->uzl[j] = p[HS_HBV_UZL];
    L->percmax[j] = p[HS_HBV_PERC];
    L->pw[j] = 1.0;
    L->rch_inc[j] = 0.0;
}

/* One daily step of all W lanes from the forcing in L->pl, L->tl, L->el: routed runoff, AET and
 * input into qrow, arow, irow (W values each). */
HSB_INLINE void hsb_step(hsb_lanes *restrict L, const size_t W, const size_t n_real,
                         const hsb_mode *md, double *restrict qrow, double *restrict arow,
                         double *restrict irow)
{
    const double *restrict tt = L->tt, *restrict cfmax = L->cfmax, *restrict sfcf = L->sfcf;
    const double *restrict cfr_cfmax = L->cfr_cfmax, *restrict cwh = L->cwh, *restrict fc = L->fc;
    const double *restrict lpfc = L->lpfc, *restrict beta = L->beta, *restrict k0 = L->k0;
    const double *restrict k1 = L->k1, *restrict k2 = L->k2, *restrict uzl = L->uzl;
    const double *restrict percmax = L->percmax;
    const double *restrict pl = L->pl, *restrict tl = L->tl, *restrict el = L->el;
    double *restrict snow = L->snow, *restrict sw = L->sw, *restrict sm = L->sm;
    double *restrict suz = L->suz, *restrict slz = L->slz, *restrict snow_start = L->snow_start;
    double *restrict outflow = L->outflow, *restrict rel = L->rel, *restrict pw = L->pw;
    double *restrict q = L->q, *restrict rch_inc = L->rch_inc, *restrict sm_inc = L->sm_inc;
    double *restrict n_mm = L->n_mm;
    const bool increment = md->increment, pow_vector = md->pow_vector;
    const double inc_flag = md->inc_flag, mean_flag = md->mean_flag, snow_gate = md->snow_gate;

    /* A: snow (§1.2; hs_hbv.c order) and the soil's inputs. */
    double n_need = 0.0;
#pragma omp simd aligned(tt, cfmax, sfcf, cfr_cfmax, cwh, fc, snow, sw, sm, snow_start : 64) \
    aligned(outflow, rel, pl, tl : 64) reduction(+ : n_need)
    for (size_t j = 0; j < W; j++) {
        const double p = pl[j], tc = tl[j];
        snow_start[j] = snow[j];
        /* Arithmetic is done unconditionally and only the results are selected:
         * GCC will not if-convert a conditional FP operation (it might trap). */
        const double p_sfcf = p * sfcf[j];
        const double rainfall = tc > tt[j] ? p : 0.0;
        const double snowfall = tc <= tt[j] ? p_sfcf : 0.0;
        double sp = snow[j] + snowfall;
        const double pot_melt = cfmax[j] * py_max(tc - tt[j], 0.0);
        const double melt = py_min(pot_melt, sp);
        sp = sp - melt;
        double wc = sw[j] + melt + rainfall;
        const double pot_refreeze = cfr_cfmax[j] * py_max(tt[j] - tc, 0.0);
        const double refreeze = py_min(pot_refreeze, wc);
        sp = sp + refreeze;
        wc = wc - refreeze;
        const double max_water = cwh[j] * sp;
        outflow[j] = py_max(wc - max_water, 0.0);
        sw[j] = py_min(wc, max_water);
        snow[j] = sp;
        rel[j] = py_min(sm[j] / fc[j], 1.0);
        irow[j] = rainfall + snowfall;
        /* lanes where the scalar model calls pow (I != 0 and SM/FC < 1) */
        n_need += outflow[j] != 0.0 ? (rel[j] != 1.0 ? 1.0 : 0.0) : 0.0;
    }

    /* P: the recharge power, 1 where the scalar model skips pow (exact rewrite). On dry or
     * frozen days no lane needs it. */
    if (increment && pow_vector) {
        /* HBV-light's 1-mm increments (hs_hbv.c), all lanes together: the loop runs to the
         * largest whole-mm count of the group, each lane's updates masked off past its own
         * count; then the fractional rest. The scalar model's operations in its order, with
         * the vector power. */
        double max_mm = 0.0;
#pragma omp simd aligned(outflow, n_mm, rch_inc, sm_inc, sm : 64) reduction(max : max_mm)
        for (size_t j = 0; j < W; j++) {
            const double fl = floor(outflow[j]);
            n_mm[j] = outflow[j] < HS_HBV_INCREMENT_MAX_MM ? fl : 0.0;
            rch_inc[j] = 0.0;
            sm_inc[j] = sm[j];
            max_mm = n_mm[j] > max_mm ? n_mm[j] : max_mm;
        }
        for (double k = 0.0; k < max_mm; k += 1.0) {
#pragma omp simd aligned(fc, beta, n_mm, rch_inc, sm_inc : 64)
            for (size_t j = 0; j < W; j++) {
                const double r = hsb_pow(py_min(sm_inc[j] / fc[j], 1.0), beta[j]);
                const double rch = rch_inc[j] + r, smj = sm_inc[j] + 1.0 - r;
                rch_inc[j] = k < n_mm[j] ? rch : rch_inc[j];
                sm_inc[j] = k < n_mm[j] ? smj : sm_inc[j];
            }
        }
#pragma omp simd aligned(fc, beta, outflow, n_mm, rch_inc, sm_inc : 64)
        for (size_t j = 0; j < W; j++) {
            const double rest = outflow[j] - n_mm[j];
            const double r = rest * hsb_pow(py_min(sm_inc[j] / fc[j], 1.0), beta[j]);
            const double rch = rch_inc[j] + r, smj = sm_inc[j] + rest - r;
            rch_inc[j] = outflow[j] != 0.0 ? rch : 0.0;
            sm_inc[j] = outflow[j] != 0.0 ? smj : sm_inc[j];
        }
    } else if (increment) {
        /* HBV-light's 1-mm increments (hs_hbv.c), exact: a data-dependent loop per lane
         * around glibc's pow, lane by lane, in the scalar model's order. */
        for (size_t j = 0; j < n_real; j++) {
            double rch = 0.0, smj = sm[j];
            const double in = outflow[j];
            if (in != 0.0) {
                const double whole = in < HS_HBV_INCREMENT_MAX_MM ? floor(in) : 0.0;
                for (double k = 0.0; k < whole; k += 1.0) {
                    const double x = py_min(smj / fc[j], 1.0);
                    const double r = pow(x, beta[j]);
                    rch += r;
                    smj = smj + 1.0 - r;
                }
                const double rest = in - whole;
                const double x = py_min(smj / fc[j], 1.0);
                const double r = rest * pow(x, beta[j]);
                rch += r;
                smj = smj + rest - r;
            }
            rch_inc[j] = rch;
            sm_inc[j] = smj;
        }
    } else if (n_need == 0.0) {
#pragma omp simd aligned(pw : 64)
        for (size_t j = 0; j < W; j++) pw[j] = 1.0;
    } else if (pow_vector) {
#pragma omp simd aligned(rel, beta, pw : 64)
        for (size_t j = 0; j < W; j++) pw[j] = hsb_pow(rel[j], beta[j]);
    } else {
        for (size_t j = 0; j < n_real; j++)
            pw[j] = (outflow[j] != 0.0 && rel[j] != 1.0) ? pow(rel[j], beta[j]) : 1.0;
    }

    /* B: rest of the soil routine (§1.3) and the response routine (§1.4). */
#pragma omp simd aligned(lpfc, k0, k1, k2, uzl, percmax, sm, suz, slz, snow_start : 64) \
    aligned(outflow, pw, q, rch_inc, sm_inc, el : 64)
    for (size_t j = 0; j < W; j++) {
        const double sm_before = sm[j];
        const double rch_bulk = outflow[j] * pw[j];
        const double sm_bulk = sm_before + outflow[j] - rch_bulk;
        const double recharge = inc_flag > 0.0 ? rch_inc[j] : rch_bulk;
        double smv = inc_flag > 0.0 ? sm_inc[j] : sm_bulk;
        const double sm_mean = 0.5 * (sm_before + smv);
        const double sm_et = mean_flag > 0.0 ? sm_mean : smv;
        const double sm_ratio = sm_et / lpfc[j];
        const double et_factor = sm_et < lpfc[j] ? sm_ratio : 1.0;
        double aet = py_min(el[j] * et_factor, smv);
        aet = snow_start[j] > snow_gate ? 0.0 : aet;
        smv = smv - aet;
        sm[j] = py_max(smv, 0.0);
        arow[j] = aet;

        double uz = suz[j] + recharge;
        const double perc = py_min(percmax[j], uz);
        uz = uz - perc;
        const double lz = slz[j] + perc;
        const double q0 = k0[j] * py_max(uz - uzl[j], 0.0);
        const double q1 = k1[j] * uz;
        const double q2 = k2[j] * lz;
        suz[j] = py_max(uz - q0 - q1, 0.0);
        slz[j] = py_max(lz - q2, 0.0);
        q[j] = q0 + q1 + q2;
    }

    /* R: MAXBAS routing (§1.5), the scalar ring buffer with one head for all lanes. */
    const size_t head = L->head;
    for (size_t k = 0; k < L->nw_max; k++) {
        double *restrict slot = L->ring[(head + k) & HSB_RING_MASK];
        const double *restrict wk = L->w[k];
#pragma omp simd aligned(slot, wk, q : 64)
        for (size_t j = 0; j < W; j++) slot[j] += q[j] * wk[j];
    }
    double *restrict out_slot = L->ring[head];
#pragma omp simd aligned(out_slot : 64)
    for (size_t j = 0; j < W; j++) {
        qrow[j] = out_slot[j];
        out_slot[j] = 0.0;
    }
    L->head = (head + 1) & HSB_RING_MASK;
}

HSB_INLINE void hsb_group_run(const hsb_job *job, const size_t W)
{
    const hs_hbv_batch *b = job->b;
    const hs_hbv_options *o = &b->opt;
    const hsb_mode md = hsb_mode_of(o, b->pow_vector);
    const size_t nt = job->f->n_time, n_real = job->n_real;
    const double *prec = job->f->precip_mm, *temp = job->f->temp_c, *pet = job->f->pet_mm;
    double *restrict qblk = b->qblk, *restrict ablk = b->ablk, *restrict iblk = b->iblk;
    hsb_lanes lanes, *L = &lanes;

    /* Set up the lanes; padding lanes copy the first set (valid parameters, dropped output). */
    L->nw_max = 0;
    L->head = 0;
    for (size_t j = 0; j < W; j++) {
        const double *p = job->params + (j < n_real ? j : 0) * HS_HBV_NPAR;
        hsb_lane_params(L, j, p);
        L->snow[j] = o->snow0;
        L->sw[j] = 0.0;
        L->sm[j] = o->sm0_from_lpfc ? p[HS_HBV_LP] * p[HS_HBV_FC] : o->sm0;
        L->suz[j] = o->suz0;
        L->slz[j] = o->slz0;
        L->sm_inc[j] = L->sm[j];
        double wl[HSB_RING];
        const size_t nw = hs_hbv_maxbas_weights_len(p[HS_HBV_MAXBAS], o->integral,
                                                    o->buffer_len, wl, HSB_RING);
        if (nw > L->nw_max) L->nw_max = nw;
        for (size_t k = 0; k < HSB_RING; k++) {
            L->w[k][j] = wl[k];
            L->ring[k][j] = 0.0;
        }
    }

    for (size_t t0 = 0; t0 < nt; t0 += HSB_BLOCK) {
        const size_t tb = nt - t0 < HSB_BLOCK ? nt - t0 : HSB_BLOCK;
        for (size_t s = 0; s < tb; s++) {
            const double p = prec[t0 + s], tc = temp[t0 + s], e = pet[t0 + s];
            /* the lanes share the forcing */
            for (size_t j = 0; j < W; j++) {
                L->pl[j] = p;
                L->tl[j] = tc;
                L->el[j] = e;
            }
            hsb_step(L, W, n_real, &md, qblk + s * HSB_GROUP, ablk + s * HSB_GROUP,
                     iblk + s * HSB_GROUP);
        }

        /* Transpose the block into the caller's [set][time] rows (real lanes only). */
        for (size_t j = 0; j < n_real; j++) {
            double *dst = job->runoff + j * nt + t0;
            for (size_t s = 0; s < tb; s++) dst[s] = qblk[s * HSB_GROUP + j];
            if (job->aet) {
                dst = job->aet + j * nt + t0;
                for (size_t s = 0; s < tb; s++) dst[s] = ablk[s * HSB_GROUP + j];
            }
            if (job->input) {
                dst = job->input + j * nt + t0;
                for (size_t s = 0; s < tb; s++) dst[s] = iblk[s * HSB_GROUP + j];
            }
        }
    }

    /* Final storage, summed in hs_hbv.c's order (stores, then ring slots 0..15). */
    for (size_t j = 0; j < n_real; j++) {
        double st = L->snow[j] + L->sw[j] + L->sm[j] + L->suz[j] + L->slz[j];
        for (size_t k = 0; k < HSB_RING; k++) st += L->ring[k][j];
        job->storage[j] = st;
    }
}

/* One copy per group width, each compiled for several instruction sets (HSB_CLONES*). */
HSB_CLONES static void hsb_group_w4(const hsb_job *job) { hsb_group_run(job, 4); }
HSB_CLONES static void hsb_group_w8(const hsb_job *job) { hsb_group_run(job, 8); }
HSB_CLONES_WIDE static void hsb_group_w16(const hsb_job *job) { hsb_group_run(job, 16); }
HSB_CLONES_WIDE static void hsb_group_w32(const hsb_job *job) { hsb_group_run(job, 32); }

/* ---- lanes over HRUs (the scalar model's multi-HRU run) ---------------------------------------- */

/* HRUs g0 .. g0 + n_real - 1 (padding lanes copy the first and are dropped), steps t0 .. t1 - 1,
 * from and back to the model's own states. Every HRU of the group has the same ring head
 * (checked by the caller). Exact mode only: the scalar model's bits. */
HSB_INLINE void hsb_hru_group_run(const hs_hbv_hru_run *job, const size_t g0,
                                  const size_t n_real, const size_t t0, const size_t t1,
                                  const size_t W)
{
    const size_t n = job->n_hru;
    const hsb_mode md = hsb_mode_of(job->opt, false);
    hsb_lanes lanes, *L = &lanes;
    HSB_ALIGNED double qrow[HSB_GROUP], arow[HSB_GROUP], irow[HSB_GROUP];
    L->nw_max = 0;
    L->head = job->head[g0];
    for (size_t j = 0; j < W; j++) {
        const size_t i = g0 + (j < n_real ? j : 0);
        double p[HS_HBV_NPAR];
        for (size_t k = 0; k < HS_HBV_NPAR; k++) p[k] = job->par[k * n + i];
        hsb_lane_params(L, j, p);
        L->snow[j] = job->snow[i];
        L->sw[j] = job->snow_water[i];
        L->sm[j] = job->sm[i];
        L->suz[j] = job->suz[i];
        L->slz[j] = job->slz[i];
        L->sm_inc[j] = L->sm[j];
        if (job->n_weights[i] > L->nw_max) L->nw_max = job->n_weights[i];
        for (size_t k = 0; k < HSB_RING; k++) {
            L->w[k][j] = job->weights[i * HSB_RING + k];
            L->ring[k][j] = job->ring[i * HSB_RING + k];
        }
    }
    enum { HSB_PREFETCH = 4 }; /* steps ahead (hs_prefetch.h) */
    for (size_t t = t0; t < t1; t++) {
        const size_t row = t * n + g0;
        if (t + HSB_PREFETCH < t1) {
            const size_t ahead = row + HSB_PREFETCH * n;
            hs_prefetch_row(job->precip_mm + ahead, n_real, false);
            hs_prefetch_row(job->temp_c + ahead, n_real, false);
            hs_prefetch_row(job->pet_mm + ahead, n_real, false);
            hs_prefetch_row(job->runoff_mm + ahead, n_real, true);
            if (job->aet_mm) hs_prefetch_row(job->aet_mm + ahead, n_real, true);
            if (job->input_mm) hs_prefetch_row(job->input_mm + ahead, n_real, true);
        }
        for (size_t j = 0; j < W; j++) {
            const size_t c = row + (j < n_real ? j : 0);
            L->pl[j] = job->precip_mm[c];
            L->tl[j] = job->temp_c[c];
            L->el[j] = job->pet_mm[c];
        }
        hsb_step(L, W, n_real, &md, qrow, arow, irow);
        for (size_t j = 0; j < n_real; j++) job->runoff_mm[row + j] = qrow[j];
        if (job->aet_mm)
            for (size_t j = 0; j < n_real; j++) job->aet_mm[row + j] = arow[j];
        if (job->input_mm)
            for (size_t j = 0; j < n_real; j++) job->input_mm[row + j] = irow[j];
    }
    for (size_t j = 0; j < n_real; j++) {
        const size_t i = g0 + j;
        job->snow[i] = L->snow[j];
        job->snow_water[i] = L->sw[j];
        job->sm[i] = L->sm[j];
        job->suz[i] = L->suz[j];
        job->slz[i] = L->slz[j];
        for (size_t k = 0; k < HSB_RING; k++) job->ring[i * HSB_RING + k] = L->ring[k][j];
        job->head[i] = L->head;
    }
}

HSB_CLONES static void hsb_hru_group_w4(const hs_hbv_hru_run *job, size_t g0, size_t n_real,
                                        size_t t0, size_t t1)
{
    hsb_hru_group_run(job, g0, n_real, t0, t1, 4);
}
HSB_CLONES static void hsb_hru_group_w8(const hs_hbv_hru_run *job, size_t g0, size_t n_real,
                                        size_t t0, size_t t1)
{
    hsb_hru_group_run(job, g0, n_real, t0, t1, 8);
}
HSB_CLONES_WIDE static void hsb_hru_group_w16(const hs_hbv_hru_run *job, size_t g0,
                                              size_t n_real, size_t t0, size_t t1)
{
    hsb_hru_group_run(job, g0, n_real, t0, t1, 16);
}

size_t hs_hbv_hru_lanes_group(const hs_hbv_hru_run *job, size_t g0, size_t t0, size_t t1)
{
    const size_t end = job->first + job->count;
    /* The group: up to 16 HRUs whose ring heads agree (they do whenever the HRUs were run over
     * the same steps, as every model run does). */
    size_t n_real = 1;
    while (g0 + n_real < end && n_real < 16 && job->head[g0 + n_real] == job->head[g0]) n_real++;
    if (n_real < 2) return 0; /* the caller runs a lone HRU with the scalar loop */
    if (n_real > 8)
        hsb_hru_group_w16(job, g0, n_real, t0, t1);
    else if (n_real > 4)
        hsb_hru_group_w8(job, g0, n_real, t0, t1);
    else
        hsb_hru_group_w4(job, g0, n_real, t0, t1);
    return n_real;
}

/* ---- lifecycle ------------------------------------------------------------------------------- */

void hs_hbv_batch_destroy(hs_hbv_batch **bp)
{
    if (!bp || !*bp) return;
    hs_hbv_batch *b = *bp;
    hs_free(b->storage);
    hs_free(b->qblk);
    hs_free(b->ablk);
    hs_free(b->iblk);
    hs_free(b);
    *bp = NULL;
}

hs_status hs_hbv_batch_create(size_t n_lanes_max, size_t n_steps_max, const hs_model_option *opts,
                              size_t n_opts, hs_ctx *ctx, hs_hbv_batch **out)
{
    if (!out) return HS_FAIL(ctx, HS_ERR_ARG, "HBV batch: NULL output pointer");
    *out = NULL;
    if (n_lanes_max == 0 || n_steps_max == 0)
        return HS_FAIL(ctx, HS_ERR_ARG, "HBV batch: n_lanes_max = %zu and n_steps_max = %zu must "
                       "both be >= 1", n_lanes_max, n_steps_max);
    if (n_lanes_max > SIZE_MAX / n_steps_max)
        return HS_FAIL(ctx, HS_ERR_ARG, "HBV batch: %zu lanes x %zu steps overflow the output "
                       "size", n_lanes_max, n_steps_max);
    if (n_opts > 0 && !opts) return HS_FAIL(ctx, HS_ERR_ARG, "HBV batch: NULL option array");
    hs_hbv_options o;
    HS_TRY(hs_hbv_options_parse(opts, n_opts, ctx, &o));
    bool pow_vector = false;
    for (size_t i = 0; i < n_opts; i++) {
        if (!opts[i].key || !hs_model_key_eq(opts[i].key, "HBV_BATCH_POW")) continue;
        const char *v = opts[i].value ? opts[i].value : "(null)";
        if (hs_model_key_eq(v, "exact"))
            pow_vector = false;
        else if (hs_model_key_eq(v, "vector"))
            pow_vector = true;
        else
            return HS_FAIL(ctx, HS_ERR_CONFIG, "HBV option HBV_BATCH_POW: '%s' is not valid; "
                           "allowed values: exact, vector", v);
    }

    hs_hbv_batch *b = NULL;
    HS_TRY(hs_alloc(ctx, 1, sizeof *b, "HBV batch", (void **)&b));
    b->n_lanes_max = n_lanes_max;
    b->n_steps_max = n_steps_max;
    b->opt = o;
    b->pow_vector = pow_vector;
    b->n_last = 0;
    hs_status st = HS_OK;
    HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, b->storage, n_lanes_max, "HBV batch storage"), fail);
    HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, b->qblk, HSB_BLOCK * HSB_GROUP, "HBV batch block"), fail);
    HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, b->ablk, HSB_BLOCK * HSB_GROUP, "HBV batch block"), fail);
    HS_TRY_GOTO(st, HS_ALLOC_ARRAY(ctx, b->iblk, HSB_BLOCK * HSB_GROUP, "HBV batch block"), fail);
    *out = b;
    return HS_OK;
fail:
    hs_hbv_batch_destroy(&b);
    return st;
}

/* ---- runs ------------------------------------------------------------------------------------ */

hs_status hs_hbv_batch_run_fluxes(hs_hbv_batch *b, const double *params, size_t n_sets,
                                  const hs_forcing_view *f, double *runoff_mm, double *aet_mm,
                                  double *input_mm, hs_ctx *ctx)
{
    if (!b || !params || !f || !runoff_mm)
        return HS_FAIL(ctx, HS_ERR_ARG, "HBV batch run: NULL batch, parameters, forcing or "
                       "runoff array");
    if (n_sets == 0 || n_sets > b->n_lanes_max)
        return HS_FAIL(ctx, HS_ERR_ARG, "HBV batch run: %zu parameter sets; expected 1 to %zu "
                       "(n_lanes_max of create)", n_sets, b->n_lanes_max);
    if (f->n_hru != 1)
        return HS_FAIL(ctx, HS_ERR_ARG, "HBV batch run: the forcing has %zu HRUs; the batched "
                       "kernel needs one lumped series (n_hru = 1)", f->n_hru);
    if (f->n_time > b->n_steps_max)
        return HS_FAIL(ctx, HS_ERR_ARG, "HBV batch run: the forcing has %zu steps, more than the "
                       "n_steps_max = %zu of create", f->n_time, b->n_steps_max);
    if (f->n_time > 0 && (!f->precip_mm || !f->temp_c || !f->pet_mm))
        return HS_FAIL(ctx, HS_ERR_ARG, "HBV batch run: forcing needs precip_mm, temp_c and "
                       "pet_mm");
    for (size_t i = 0; i < n_sets; i++)
        for (size_t k = 0; k < HS_HBV_NPAR; k++)
            HS_TRY(hs_hbv_param_check(ctx, k, "parameter set", i, params[i * HS_HBV_NPAR + k]));

    b->n_last = 0;
    const size_t nt = f->n_time;
    for (size_t lane0 = 0; lane0 < n_sets;) {
        const size_t left = n_sets - lane0;
        const size_t width = left > 16 ? 32 : left > 8 ? 16 : left > 4 ? 8 : 4;
        const size_t n_real = left < width ? left : width;
        const hsb_job job = {
            .b = b,
            .params = params + lane0 * HS_HBV_NPAR,
            .n_real = n_real,
            .f = f,
            .runoff = runoff_mm + lane0 * nt,
            .aet = aet_mm ? aet_mm + lane0 * nt : NULL,
            .input = input_mm ? input_mm + lane0 * nt : NULL,
            .storage = b->storage + lane0,
        };
        if (width == 32)
            hsb_group_w32(&job);
        else if (width == 16)
            hsb_group_w16(&job);
        else if (width == 8)
            hsb_group_w8(&job);
        else
            hsb_group_w4(&job);
        lane0 += n_real;
    }
    b->n_last = n_sets;
    return HS_OK;
}

hs_status hs_hbv_batch_run(hs_hbv_batch *b, const double *params, size_t n_sets,
                           const hs_forcing_view *f, double *runoff_mm, hs_ctx *ctx)
{
    return hs_hbv_batch_run_fluxes(b, params, n_sets, f, runoff_mm, NULL, NULL, ctx);
}

double hs_hbv_batch_storage_mm(const hs_hbv_batch *b, size_t k)
{
    if (!b || k >= b->n_last) return NAN;
    return b->storage[k];
}

double hs_hbv_batch_initial_storage_mm(const hs_hbv_batch *b, const double *params)
{
    if (!b || !params) return NAN;
    const hs_hbv_options *o = &b->opt;
    const double sm0 = o->sm0_from_lpfc ? params[HS_HBV_LP] * params[HS_HBV_FC] : o->sm0;
    /* hs_hbv.c's order: SP + WC + SM + SUZ + SLZ (+ the empty ring). */
    return o->snow0 + 0.0 + sm0 + o->suz0 + o->slz0;
}
