/* hs_hbv_batch.h -- HBV evaluated for a batch of parameter sets at once (SIMD over parameter
 * sets), for calibrations that score several candidates per round (issue 7).
 *
 * The model is the HBV of hs_hbv.h (docs-models.md §1) on one lumped forcing series; only the
 * layout differs. The scalar model runs one parameter set (per HRU) step after step, and every
 * step waits for the previous one (SM -> recharge -> SM): the CPU's vector units sit idle and
 * its pipelines wait for pow(). Here B parameter sets ("lanes") advance together over the same
 * forcing: structure of arrays over lanes, thresholds written as selects (no branches), so the
 * compiler turns each step into vector instructions over 8 (AVX-512), 4 (AVX2) or 2 (SSE2)
 * lanes, and the lanes' independent chains fill the pipelines. The kernel is compiled several
 * times (GCC target_clones "avx512f", "avx2", "default"); the loader picks the best copy the
 * CPU has, so the library still runs on CPUs without AVX2 (each copy is tested: the
 * test_hbv_batch_<isa> tests pin one each). Batching pays from about 4 lanes; a batch of 1
 * is about 1.8x slower than the scalar model (one latency-bound chain, no registers kept
 * across the step's loops), so evaluate single candidates with the scalar model. Measured
 * by bench/bench_hbv_batch.c (2,922 days + KGE over 1,461, one core of a Xeon with AVX-512):
 * scalar 50 us per evaluation; B = 32: exact 20 us, vector 14 us; B = 8: 24 and 20 us.
 *
 * Agreement with the scalar model (tests/hydro/test_hbv_batch.c):
 *  - HBV_BATCH_POW = exact (default): every floating-point operation is the one hs_hbv.c does,
 *    in the same order (no FMA contraction; the recharge power is glibc's pow(), called per
 *    lane only where the scalar model calls it), so runoff, AET, input and the final storage are
 *    BIT-IDENTICAL to hs_model_run() with the same options, for every lane and batch size.
 *  - HBV_BATCH_POW = vector: the recharge power min(SM/FC,1)^BETA is computed as
 *    exp(BETA*log(x)) with the vectorised log/exp of hs_hbv_batch_pow() (relative error about
 *    1e-15, see there). Results then differ from the scalar model by round-off. Measured on
 *    8 years of Bow-at-Banff forcing, 61 random SYMFLUENCE-bounded parameter sets: runoff max
 *    abs difference 8.9e-15 mm/d (light variant 7.1e-15), max relative difference 3.1e-15
 *    (light 5.3e-15; relative to max(|q|, 1e-6 mm/d)); KGE max abs difference 2.2e-16; the
 *    KGE ranking of 40 candidates is unchanged. The test asserts <= 1e-12 for both. This is
 *    the fast mode (about 1.5x faster than exact at B = 32).
 *
 * Options: every HBV_* key of hs_hbv.h (same parsing, same defaults, same errors), so both
 * variants ("symfluence" and "light") are supported. HBV-light's 1-mm recharge increments
 * (HBV_RECHARGE = increment) call the power once per millimetre of input: in exact mode they
 * run lane by lane around glibc's pow (bit-identical, but only ~1.2x faster than the scalar
 * model), in vector mode all lanes together up to the group's largest count (~3.5x faster at
 * B = 32).
 * One more key: HBV_BATCH_POW = exact | vector.
 *
 * Use from a calibration engine (one object per thread; not thread-safe):
 *     hs_hbv_batch *b = NULL;
 *     HS_TRY(hs_hbv_batch_create(32, n_time, opts, n_opts, ctx, &b));   // once
 *     ...  // per round: candidates[k * HS_HBV_NPAR + p], k < B <= 32
 *     HS_TRY(hs_hbv_batch_run(b, candidates, B, &forcing, runoff, ctx)); // runoff[k*n_time + t]
 *     ...  // score runoff + k*n_time with hs_metric_kge(), etc.
 *     hs_hbv_batch_destroy(&b);
 * Each run starts every lane from the model's initial state (as hs_model_init + hs_model_run
 * on a fresh model), so a run is one complete evaluation per parameter set. */
#ifndef HS_HYDRO_HBV_BATCH_H
#define HS_HYDRO_HBV_BATCH_H

#include <stddef.h>

#include "hs_api.h"
#include "hs_ctx.h"
#include "hs_model.h"

typedef struct hs_hbv_batch hs_hbv_batch;

/** Creates a batched HBV for up to `n_lanes_max` parameter sets per run and forcing series of
 *  up to `n_steps_max` daily steps. `opts` (n_opts entries, may be NULL when n_opts is 0) are
 *  HBV options as for hs_model_create(&hs_hbv_ops, ...) plus HBV_BATCH_POW (see the file
 *  comment). Allocates everything the runs need. Returns HS_OK, HS_ERR_ARG (NULL out, zero
 *  sizes), HS_ERR_CONFIG (bad or unsupported option, naming the key) or HS_ERR_NOMEM.
 *  Free *out with hs_hbv_batch_destroy(). */
HS_NODISCARD HS_API hs_status hs_hbv_batch_create(size_t n_lanes_max, size_t n_steps_max,
                                                  const hs_model_option *opts, size_t n_opts,
                                                  hs_ctx *ctx, hs_hbv_batch **out);

/** Runs `n_sets` (1 <= n_sets <= n_lanes_max) parameter sets, params[k * HS_HBV_NPAR + p]
 *  (order of the HS_HBV_* enum), each from the initial state over all f->n_time steps of the
 *  lumped forcing `f` (f->n_hru must be 1; n_time <= n_steps_max). Writes the routed runoff
 *  (mm/d) of set k at runoff_mm[k * f->n_time + t]. Every parameter is checked against the
 *  physical limits of hs_hbv.h before anything runs (HS_ERR_ARG names the parameter set, the
 *  parameter and the value; nothing is written then). Allocates nothing; not thread-safe for
 *  one object (use one per thread); arrays are borrowed. */
HS_NODISCARD HS_API hs_status hs_hbv_batch_run(hs_hbv_batch *b, const double *params,
                                               size_t n_sets, const hs_forcing_view *f,
                                               double *runoff_mm, hs_ctx *ctx);

/** As hs_hbv_batch_run() and also writes AET and the model input (rain + SFCF * snowfall),
 *  each [n_sets][n_time] mm/d, where the pointer is not NULL. */
HS_NODISCARD HS_API hs_status hs_hbv_batch_run_fluxes(hs_hbv_batch *b, const double *params,
                                                      size_t n_sets, const hs_forcing_view *f,
                                                      double *runoff_mm, double *aet_mm,
                                                      double *input_mm, hs_ctx *ctx);

/** Total water stored (mm) by lane `k` at the end of the last run: SP + WC + SM + SUZ + SLZ +
 *  routing buffer, summed as hs_model_storage_mm() does. NAN when b is NULL or k is not a lane
 *  of the last run. */
HS_API double hs_hbv_batch_storage_mm(const hs_hbv_batch *b, size_t k);

/** Total water stored (mm) by a lane with parameters `params` ([HS_HBV_NPAR]) at the start of
 *  each run (depends on the parameters only for HBV_VARIANT = light: SM0 = LP * FC). NAN when
 *  b or params is NULL. */
HS_API double hs_hbv_batch_initial_storage_mm(const hs_hbv_batch *b, const double *params);

/** The vectorised power used by HBV_BATCH_POW = vector: y[i] = x[i]^e[i] for x[i] >= 0 and
 *  finite e[i] >= 0, computed as exp(e * log(x)) with polynomial log/exp in double precision
 *  (no tables, no libm). Exact cases: x = 1 or e = 0 give 1; x = 0 gives 0 (e > 0). Accuracy
 *  against glibc pow: relative error <= 4e-16 * (1 + |e * log(x)|) (measured up to 1.9e-16 *
 *  (1 + |e * log(x)|); at most 6e-15 for the model's range, e.g. x = 0.1, e = 6: e * log(x) =
 *  -14); e * log(x) < -708.4 (exact result below 2^-1022)
 *  gives 0, and results between that and 2^-1022 are subnormal with reduced relative accuracy.
 *  Other inputs (x < 0, NaN, e < 0) give unspecified values. Pure, thread-safe. */
HS_API void hs_hbv_batch_pow(const double *x, const double *e, double *y, size_t n);

/** Names the widest instruction set the kernel uses on this CPU: "avx512f" (groups of 16 and
 *  32 lanes; narrower groups use AVX2), "avx2" or "default" (x86-64 baseline, SSE2). */
HS_API const char *hs_hbv_batch_isa(void);

/** NULL-safe; sets *b to NULL. */
HS_API void hs_hbv_batch_destroy(hs_hbv_batch **b);

#endif /* HS_HYDRO_HBV_BATCH_H */
