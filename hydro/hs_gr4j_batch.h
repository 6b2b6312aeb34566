/* hs_gr4j_batch.h -- GR4J evaluated for a batch of parameter sets at once (SIMD over parameter
 * sets), for calibrations that score several candidates per round (issue 7).
 *
 * The model is the GR4J of hs_gr4j.h (airGR 1.7.6, docs-models.md §2.1-§2.4) without CemaNeige,
 * on one lumped forcing series; only the layout differs. B parameter sets ("lanes") advance
 * together over the same forcing, day by day: structure of arrays over lanes, thresholds as
 * selects, so each daily step is a few loops over lanes that the compiler turns into vector
 * instructions (GCC target_clones "avx512f", "avx2", "default", as hs_hbv_batch.h). Because the
 * lanes share P and E, the scalar model's one branch (P <= E: evaporation or rainfall branch of
 * the production store) is the same for every lane and stays a branch outside the lane loops.
 *
 * Agreement with the scalar model (tests/hydro/test_gr4j_batch.c): every floating-point
 * operation is the one hs_gr4j.c does, in the same order (divisions stay divisions, powers are
 * written as the scalar model writes them, no FMA contraction: -ffp-contract=off on this file);
 * sqrt is IEEE-exact (vectorised); exp is the scalar model's hs_vm_exp_plain (hs_vmath.h: plain
 * multiplications and additions, so vectorised it keeps its bits); the UH shift
 * registers are updated cell by cell up to each lane's own airGR loop limit (a select keeps the
 * cells the scalar model does not touch); fmax(0, qd0) is reproduced with its tie rule for -0
 * probed from libm at create. So the runoff is BIT-IDENTICAL (memcmp) to hs_model_run() of
 * "GR4J" (fresh model, hs_model_init with the same parameters) for every lane and batch size.
 *
 * GR4J_BATCH_MATH = vector (option; default exact) trades the last bits for speed: exp() becomes
 * hs_vm_exp (with fused multiply-adds), and the six divisions by X1, X3 and (9/4)^4 become
 * multiplications by reciprocals computed once per lane (each at most one rounding away), and
 * tanh = (e - 1)/(e + 1) is folded into the production store's fraction (one division, not two);
 * 9.1-9.4 ns per day per set at B = 16 against 15.5-16.5 exact (docs/performance.md).
 * Runoff then stays within 1e-12 of each series' peak of the scalar model's (measured 1.5e-14 on
 * L0123001 and 3.4e-15 on synthetic storms; tests/hydro/test_gr4j_batch.c).
 *
 * Speed (bench/bench_gr4j_batch.c: 4,017 days of airGR L0123001, random sets, one core of a
 * Xeon with AVX-512, shared machine, medians): scalar model 67-73 ns per day per parameter set;
 * batched B = 1: the same (a lone lane runs the scalar step), B = 8: ~16, B = 16: ~13.5,
 * B = 32: ~13.7 ns (2026-11-25, since exp is vectorised), i.e. ~5.4x the scalar model; vector
 * mode: see docs/performance.md. The
 * ~10 ns aim of issue 7 is out of reach in exact mode, where the bits must stay the scalar
 * model's: each lane-day needs 10 IEEE divisions and 5
 * square roots (no division may become a multiplication by a reciprocal), and the divide unit
 * alone takes ~9-9.5 ns per lane for those on this CPU (measured with independent operations,
 * AVX2 or AVX-512); glibc's exp, lane by lane, added ~3 ns per lane (hs_vm_exp_plain in
 * vector form replaced it: 16.5 -> 13.4 ns at B = 16), the UH
 * registers ~1.5-3 ns. Lanes are run sorted by X4 (outputs go to the caller's rows), so lanes
 * of similar UH length share a vector and loop over fewer UH cells.
 *
 * Use from a calibration engine (one object per thread; not thread-safe):
 *     hs_gr4j_batch *b = NULL;
 *     HS_TRY(hs_gr4j_batch_create(32, n_time, NULL, 0, ctx, &b));        // once
 *     ...  // per round: candidates[k * HS_GR4J_NPAR + p], k < B <= 32
 *     HS_TRY(hs_gr4j_batch_run(b, candidates, B, &forcing, runoff, ctx)); // runoff[k*n_time + t]
 *     hs_gr4j_batch_destroy(&b);
 * Each run starts every lane from airGR's initial state (S = 0.3 X1, R = 0.5 X3, empty UHs), as
 * hs_model_init + hs_model_run on a fresh model. */
#ifndef HS_HYDRO_GR4J_BATCH_H
#define HS_HYDRO_GR4J_BATCH_H

#include <stddef.h>

#include "hs_api.h"
#include "hs_ctx.h"
#include "hs_model.h"

typedef struct hs_gr4j_batch hs_gr4j_batch;

/** Creates a batched GR4J for up to `n_lanes_max` parameter sets per run and forcing series of
 *  up to `n_steps_max` daily steps. `opts` (n_opts entries, may be NULL when n_opts is 0) are
 *  GR4J options: only SNOW_MODULE = none (or "") is accepted (CemaNeige is not batched: an
 *  HS_ERR_CONFIG naming the key); other keys are ignored as by the scalar model. Allocates
 *  everything the runs need. Returns HS_OK, HS_ERR_ARG (NULL out, zero sizes, overflow),
 *  HS_ERR_CONFIG or HS_ERR_NOMEM. Free *out with hs_gr4j_batch_destroy(). */
HS_NODISCARD HS_API hs_status hs_gr4j_batch_create(size_t n_lanes_max, size_t n_steps_max,
                                                   const hs_model_option *opts, size_t n_opts,
                                                   hs_ctx *ctx, hs_gr4j_batch **out);

/** Runs `n_sets` (1 <= n_sets <= n_lanes_max) parameter sets, params[k * HS_GR4J_NPAR + p]
 *  (x1, x2, x3, x4), each from the initial state over all f->n_time steps of the lumped forcing
 *  `f` (f->n_hru must be 1; n_time <= n_steps_max; precip_mm and pet_mm are read). Writes the
 *  runoff Qsim (mm/d) of set k at runoff_mm[k * f->n_time + t]. Every parameter is checked
 *  against the physical limits of hs_gr4j.h before anything runs (HS_ERR_ARG naming the
 *  parameter set, the parameter and the value; nothing is written then). Allocates nothing; not
 *  thread-safe for one object; arrays are borrowed. */
HS_NODISCARD HS_API hs_status hs_gr4j_batch_run(hs_gr4j_batch *b, const double *params,
                                                size_t n_sets, const hs_forcing_view *f,
                                                double *runoff_mm, hs_ctx *ctx);

/** Names the instruction set the kernel uses on this CPU: "avx512f", "avx2" or "default"
 *  (x86-64 baseline, SSE2). */
HS_API const char *hs_gr4j_batch_isa(void);

/** NULL-safe; sets *b to NULL. */
HS_API void hs_gr4j_batch_destroy(hs_gr4j_batch **b);

#endif /* HS_HYDRO_GR4J_BATCH_H */
