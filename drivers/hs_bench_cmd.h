/* hs_bench_cmd.h -- `hydroscale bench [CONFIG]`: model-level micro-benchmarks (docs-interface §1).
 *
 * On the experiment of CONFIG (the bundled example by default):
 *  - single-evaluation latency of each available model backend: the calibration objective
 *    (model over spin-up + calibration period, then the metric), 20 warm-up evaluations, then the
 *    median, 10th and 90th percentiles of at least 100 timed ones;
 *  - throughput of a short calibration (NUMBER_OF_ITERATIONS evaluations, synchronous DDS, batch =
 *    workers) with 1, 2, ... workers up to the processors: evals/s and the speedup;
 *  - the compound speedup (backend x workers) against the product of the separate speedups
 *    (the seed's §4.11.4 table). With one backend the table shows the worker dimension only. */
#ifndef HS_DRIVERS_BENCH_CMD_H
#define HS_DRIVERS_BENCH_CMD_H

#include "hs_ctx.h"
#include "hs_experiment.h"

HS_NODISCARD hs_status hs_bench_run(hs_experiment *e, int max_workers, hs_ctx *ctx);

#endif /* HS_DRIVERS_BENCH_CMD_H */
