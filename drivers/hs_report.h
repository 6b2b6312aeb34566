/* hs_report.h -- the files a run leaves behind (docs-interface.md §3): streamflow, trajectory,
 * best parameters, summary.json and the hydrograph plot. Each file is written to a temporary
 * name and renamed into place. */
#ifndef HS_DRIVERS_REPORT_H
#define HS_DRIVERS_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "hs_experiment.h"
#include "hs_io.h"

/** What a calibration produced (NULL/0 for `run`). */
typedef struct hs_calib_result {
    size_t n_evals;
    const double *x;          /* [n_evals][n_cal] candidates in the order their results arrived */
    const double *value;      /* [n_evals] metric value of each candidate */
    const double *best;       /* [n_evals] best metric value after each evaluation */
    const int *worker;        /* [n_evals] worker that evaluated it */
    const size_t *dispatch;   /* [n_evals] dispatch number (1-based; async DDS: differs from the
                                 completion order, which is the row order) */
    const double *best_params; /* [n_params] full vector */
    double best_value;
    const char *algorithm;    /* "DDS" or "ASYNC_DDS" */
    const char *backend;      /* "scalar" or "batched" */
    size_t batch_size;        /* DDS: candidates per iteration; ASYNC_DDS: pool size */
    double wall_s;            /* the calibration loop */
    double eval_s;            /* summed evaluation time over workers */
    double serial_s;          /* coordinator time outside evaluations (generation, update) */
    double checkpoint_s;      /* time spent writing checkpoints (not in serial_s) */
    double model_s, route_s;  /* of the evaluations in this process: model and routing time */
    int workers;
    double utilization;       /* busy / (workers x wall) */
    size_t n_failed;          /* candidates given the worst objective (model failure, NaN) */
    bool resumed;
    hs_io_counts io_in_loop;  /* I/O of the evaluation loop, checkpoints excluded */
    hs_io_counts io_checkpoint;
} hs_calib_result;

typedef struct hs_run_summary {
    const char *command;
    const hs_calib_result *calib; /* NULL for `run` */
    const double *params;          /* [n_params] parameters of the final run */
    hs_period_metrics m_calib, m_eval;
    double wall_s;
    hs_io_counts io;
    double peak_rss_mb;
    const char *strategy;
    int hru_threads;
    int mpi_ranks;
} hs_run_summary;

HS_NODISCARD hs_status hs_report_streamflow(const hs_experiment *e, hs_ctx *ctx);
HS_NODISCARD hs_status hs_report_trajectory(const hs_experiment *e, const hs_calib_result *c,
                                            hs_ctx *ctx);
HS_NODISCARD hs_status hs_report_best_params(const hs_experiment *e, const hs_calib_result *c,
                                             hs_ctx *ctx);
HS_NODISCARD hs_status hs_report_summary(const hs_experiment *e, const hs_run_summary *s,
                                         hs_ctx *ctx);
/** GR4J's stores (airGR's Prod, Rout, end of day) and internal fluxes of the final run, step
 *  by step (Pn, En, Ps, Es, AE, Perc, Pr,
 *  Q9, Q1, Exch, AExch1, AExch2, Qr, Qd, Qsim; mm/d), to run/gr4j_fluxes.csv: a lumped GR4J
 *  without snow, replayed with hs_gr4j_step from airGR's initial states. HS_ERR_CONFIG for
 *  another model. */
HS_NODISCARD hs_status hs_report_gr4j_fluxes(const hs_experiment *e, const double *params,
                                             hs_ctx *ctx);
/** Whether this experiment can give OUTPUT_INTERNAL_FLUXES (checked before anything runs). */
HS_NODISCARD hs_status hs_report_gr4j_fluxes_check(const hs_experiment *e, hs_ctx *ctx);

/** Observed vs simulated over the evaluation period (else calibration, else everything) with
 *  gnuplot; a missing gnuplot is a warning, not an error. */
HS_NODISCARD hs_status hs_report_plot(const hs_experiment *e, const hs_run_summary *s,
                                      hs_ctx *ctx);

#endif /* HS_DRIVERS_REPORT_H */
