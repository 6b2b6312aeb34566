/* hs_workspace.h -- one worker's private simulation state: its own model instance and output
 * buffers over the experiment's shared, read-only forcing and observations.
 *
 * Every candidate worker (thread, forked process or MPI rank) owns one workspace, so workers
 * share no mutable state. An evaluation runs the model over the HRUs in fixed chunks on
 * `hru_threads` OpenMP threads (hs_exec.h) and sums the outlet flow in HRU order, so the result
 * is the same bits for any thread count. A model failure (parameters outside physical limits,
 * a numerical failure) or a non-finite simulation gives the worst objective (+inf) and is
 * counted, never stopping the calibration. */
#ifndef HS_DRIVERS_WORKSPACE_H
#define HS_DRIVERS_WORKSPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hs_ctx.h"
#include "hs_experiment.h"

/** A synthetic extra cost per evaluation, for heterogeneous-cost studies of async vs sync DDS
 *  (config key EVAL_DELAY_DISTRIBUTION): "none", "fixed:MS", "uniform:MIN_MS:MAX_MS" or
 *  "lognormal:MEDIAN_MS:SIGMA". The delay of candidate k is drawn from (seed, k), so it is the
 *  same whatever worker evaluates it; the worker spins on the clock for that long (a stand-in for
 *  a costlier, CPU-bound model, unlike a sleep). */
typedef struct hs_eval_delay {
    int kind; /* 0 none, 1 fixed, 2 uniform, 3 lognormal */
    double a, b;
    uint64_t seed;
} hs_eval_delay;

/** Parses an EVAL_DELAY_DISTRIBUTION value; HS_ERR_CONFIG names the key and the forms allowed. */
HS_NODISCARD hs_status hs_eval_delay_parse(const char *text, uint64_t seed, hs_ctx *ctx,
                                           hs_eval_delay *out);
/** Delay in seconds of candidate `id`. */
double hs_eval_delay_seconds(const hs_eval_delay *d, uint64_t id);

typedef struct hs_workspace hs_workspace;

/** Creates a workspace for experiment `e` (borrowed; must outlive the workspace). */
HS_NODISCARD hs_status hs_workspace_create(const hs_experiment *e, int hru_threads,
                                           const hs_eval_delay *delay, hs_ctx *ctx,
                                           hs_workspace **out);
void hs_workspace_destroy(hs_workspace **ws);

/** Objective of calibrated values x[n_cal] for candidate `id`: *loss is what DDS minimises,
 *  *value the metric itself; *failed is set when the model failed or produced non-finite flow
 *  (then *loss = +inf, *value = NAN, and ctx holds the reason). Returns HS_OK unless something
 *  other than the model broke. */
HS_NODISCARD hs_status hs_workspace_evaluate(hs_workspace *ws, const double *x, uint64_t id,
                                             double *loss, double *value, bool *failed,
                                             hs_ctx *ctx);

/** Makes the workspace evaluate batches with the batched SIMD kernel of HBV (hs_hbv_batch.h,
 *  exact mode) or GR4J (hs_gr4j_batch.h), both bit-identical to the scalar model, for up to n_lanes candidates at once. Only for an
 *  experiment with e->batch_eligible. */
HS_NODISCARD hs_status hs_workspace_enable_batch(hs_workspace *ws, size_t n_lanes, hs_ctx *ctx);

/** Evaluates `n` candidates X[n][n_cal] (ids[n]) in one batched run; as hs_workspace_evaluate
 *  per candidate (loss, value, failed into the arrays). A batch holding parameters outside the
 *  model's limits is evaluated candidate by candidate, so that only those fail. */
HS_NODISCARD hs_status hs_workspace_evaluate_batch(hs_workspace *ws, const double *X,
                                                   const size_t *ids, size_t n, double *loss,
                                                   double *value, bool *failed, hs_ctx *ctx);

/** Runs the full parameter vector over steps [0, n_steps); q_sim (m3 s-1) after it. */
HS_NODISCARD hs_status hs_workspace_simulate(hs_workspace *ws, const double *params,
                                             size_t n_steps, hs_ctx *ctx);
const double *hs_workspace_q_sim_m3s(const hs_workspace *ws);
const double *hs_workspace_q_sim_mm(const hs_workspace *ws);
/** Routed runs: discharge of every segment [n_steps][n_seg] (network order), m3 s-1, after
 *  hs_workspace_keep_segments; NULL before it and when the experiment is unrouted. */
const double *hs_workspace_q_seg(const hs_workspace *ws);
/** Makes the following runs keep every segment's discharge (hs_workspace_q_seg), e.g. for
 *  run/streamflow.nc; without it a routed run routes every segment but keeps only the compared
 *  one (same bits). No-op when unrouted. */
HS_NODISCARD hs_status hs_workspace_keep_segments(hs_workspace *ws, hs_ctx *ctx);
/** Seconds spent in the model (HRU loop) and in routing, summed over every run so far. */
void hs_workspace_times(const hs_workspace *ws, double *model_s, double *route_s);

#endif /* HS_DRIVERS_WORKSPACE_H */
