/* hs_calib.h -- the calibration engine: DDS or asynchronous DDS over one of three execution
 * tiers, with checkpoints.
 *
 * Tiers (docs: README "Execution tiers"):
 *  - sequential: candidates evaluated one after the other in this process;
 *  - threads:    OpenMP workers in this process, each with its own workspace (hs_workspace.h)
 *                over the forcing read once and shared read-only;
 *  - processes:  a persistent pool of forked workers, each in its own scratch directory
 *                OUT/scratch/worker_NN with a copy of the config; parameters and objectives
 *                travel through pipes;
 *  - mpi:        persistent ranks; rank 0 coordinates; every rank reads the forcing itself and
 *                parameters/objectives travel as MPI messages.
 * Synchronous DDS asks DDS_BATCH_SIZE candidates from the current best, evaluates them on the
 * workers, then tells them in candidate order: the trajectory depends on the seed and the batch
 * size only, bit for bit, whatever the tier and the number of workers. Asynchronous DDS
 * (hs_adds.h) hands a new candidate to each worker as soon as it returns; rows of the trajectory
 * are in completion order with each candidate's dispatch number, so a run can be replayed. With
 * the batched backend (MODEL_BACKEND) a worker on any tier takes a whole share of a DDS batch, or
 * a round of ASYNC_DDS candidates, and evaluates it in one batched run; forked workers and MPI
 * ranks receive it as one message.
 *
 * Checkpoints (calibration/checkpoint.txt, written atomically every CHECKPOINT_INTERVAL
 * evaluations and on SIGINT/SIGTERM) hold the search state and the trajectory so far;
 * --resume continues from one, and for synchronous DDS ends exactly where an uninterrupted run
 * ends. */
#ifndef HS_DRIVERS_CALIB_H
#define HS_DRIVERS_CALIB_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "hs_config.h"
#include "hs_ctx.h"
#include "hs_experiment.h"
#include "hs_report.h"
#include "hs_workspace.h"

typedef enum hs_tier {
    HS_TIER_SEQUENTIAL = 0,
    HS_TIER_THREADS,
    HS_TIER_PROCESSES,
    HS_TIER_MPI
} hs_tier;

const char *hs_tier_name(hs_tier tier);

typedef struct hs_calib_setup {
    hs_tier tier;
    char reason[256];  /* why this tier (for the log and `info`) */
    int workers;       /* candidate workers */
    int hru_threads;   /* OpenMP threads inside one evaluation */
    int mpi_ranks;     /* world size under MPI, else 1 */
    bool async;        /* ITERATIVE_OPTIMIZATION_ALGORITHM: ASYNC_DDS */
    size_t batch;      /* DDS: candidates per iteration */
    size_t pool;       /* ASYNC_DDS: pool of the best solutions */
    size_t in_flight;  /* ASYNC_DDS: workers kept busy at once (<= workers) */
    size_t outstanding; /* ASYNC_DDS_BATCH_SIZE as given (default: workers); with the batched
                         * backend each busy worker holds outstanding / in_flight candidates */
    long checkpoint_interval;
    double checkpoint_min_s; /* CHECKPOINT_MIN_SECONDS: periodic checkpoints at most this often */
    bool keep_scratch;
    hs_eval_delay delay;
} hs_calib_setup;

/** Chooses the tier: EXECUTION_STRATEGY auto gives mpi when built with MPI and running under
 *  a launcher with more than one rank, else threads when NUM_PROCESSES > 1, else sequential.
 *  A forced tier that is unavailable is an HS_ERR_CONFIG naming the key; a fallback is logged.
 *  Warns when workers x HRU_THREADS exceeds the processors available. */
HS_NODISCARD hs_status hs_calib_setup_resolve(const hs_config *cfg, hs_ctx *ctx,
                                              hs_calib_setup *s);

typedef struct hs_calib_options {
    bool progress;   /* progress line on stderr */
    bool resume;     /* continue from calibration/checkpoint.txt */
    const char *config_path;
    volatile sig_atomic_t *stop; /* set by SIGINT/SIGTERM: checkpoint and stop */
} hs_calib_options;

/** What the engine owns after a run; free with hs_calib_output_free(). */
typedef struct hs_calib_output {
    hs_calib_result res;   /* points into the arrays below */
    double *best_params;   /* [n_params] */
    double *x, *value, *best;
    int *worker;
    size_t *dispatch;
    char checkpoint_path[4200];
} hs_calib_output;

/** Runs the calibration on rank 0 (or without MPI). HS_ERR_IO "interrupted" after a stop
 *  request, with the checkpoint written. */
HS_NODISCARD hs_status hs_calib_run(hs_experiment *e, const hs_calib_setup *s,
                                    const hs_calib_options *o, hs_ctx *ctx, hs_calib_output *out);
void hs_calib_output_free(hs_calib_output *out);

/** The loop of an MPI worker rank (rank > 0): evaluates what rank 0 sends until told to stop. */
HS_NODISCARD hs_status hs_calib_mpi_worker(hs_experiment *e, const hs_calib_setup *s,
                                           hs_ctx *ctx);

#endif /* HS_DRIVERS_CALIB_H */
