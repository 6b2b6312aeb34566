/* hs_app.c -- `hydroscale run|calibrate|info`: config -> experiment -> model runs -> outputs.
 *
 * The calibration loop reads no file and writes none but its checkpoints: everything is prepared
 * before it starts and written after it ends (summary.json's I/O counters show it). Under MPI,
 * every rank loads the config and the forcing; rank 0 calibrates and writes the outputs, the
 * others serve candidates (hs_calib.h). */
#define _POSIX_C_SOURCE 200809L
#include "hs_app.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hs_bench_cmd.h"
#include "hs_calib.h"
#include "hs_experiment.h"
#include "hs_io.h"
#include "hs_mpi.h"
#include "hs_report.h"
#include "hs_sys.h"
#include "hs_workspace.h"

static void print_metrics(const char *label, hs_period p, const hs_period_metrics *m) {
    char a[11], b[11];
    if (!m->valid) {
        printf("  %-11s %s..%s  (no observations)\n", label, hs_day_format(p.start, a),
               hs_day_format(p.end, b));
        return;
    }
    printf("  %-11s %s..%s  KGE %.4f  KGE' %.4f  NSE %.4f  PBIAS %+.2f %%  (r %.3f, alpha %.3f, "
           "beta %.3f)\n",
           label, hs_day_format(p.start, a), hs_day_format(p.end, b), m->kge, m->kgep, m->nse,
           m->pbias, m->parts.r, m->parts.alpha, m->parts.beta);
}

/* Loads the config, applies overrides, registers the schema of the app and of the model, and
 * warns about unknown keys. */
hs_status hs_app_load_config(const hs_app_options *o, hs_ctx *ctx, hs_config **out,
                             hs_config_key **rows_out) {
    *rows_out = NULL;
    hs_config *cfg = NULL;
    HS_TRY(hs_config_create(ctx, &cfg));
    size_t n_rows;
    const hs_config_key *rows = hs_app_schema(&n_rows);
    hs_status st = hs_config_add_schema(cfg, rows, n_rows, ctx);
    if (st == HS_OK) st = hs_config_load(cfg, o->config_path, ctx);
    for (size_t i = 0; st == HS_OK && i < o->n_overrides; i++)
        st = hs_config_set(cfg, o->overrides[i], ctx);
    if (st == HS_OK) {
        int level;
        st = hs_config_get_enum(cfg, "LOG_LEVEL", ctx, &level, NULL);
        /* --quiet/--verbose win over the file */
        if (st == HS_OK && o->verbosity == 0) hs_ctx_set_log_level(ctx, (hs_log_level)level);
    }
    /* model options are known once the model is: every registered model's keys are accepted */
    size_t n_opt = 0;
    for (size_t m = 0; m < hs_model_count(); m++) n_opt += hs_model_at(m)->n_option_keys;
    hs_config_key *opt_rows = NULL;
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, opt_rows, n_opt, "config schema");
    size_t r = 0;
    for (size_t m = 0; st == HS_OK && m < hs_model_count(); m++) {
        const hs_model_ops *ops = hs_model_at(m);
        for (size_t k = 0; k < ops->n_option_keys; k++) {
            /* keys the application schema already types (SNOW_LAYERS, HYPSOMETRIC_CURVE, ...)
             * keep their row; setup_model() passes their value to the model as text */
            if (hs_config_schema_row(cfg, ops->option_keys[k])) continue;
            opt_rows[r].name = ops->option_keys[k];
            opt_rows[r].type = HS_CFG_STRING;
            opt_rows[r].dflt = "";
            opt_rows[r].doc = ops->name;
            r++;
        }
    }
    if (st == HS_OK) st = hs_config_add_schema(cfg, opt_rows, r, ctx);
    *rows_out = opt_rows; /* the schema borrows them: freed after the config */
    if (st == HS_OK) hs_config_warn_unknown(cfg, ctx);
    if (st != HS_OK) {
        hs_config_destroy(&cfg);
        return st;
    }
    *out = cfg;
    return HS_OK;
}

/* SIGINT/SIGTERM during a calibration: the engine checkpoints and stops at the next batch
 * boundary (async: once the candidates in flight are back). The only global of the program: a
 * signal handler can reach nothing else. */
static volatile sig_atomic_t stop_requested = 0;

static void request_stop(int sig) {
    (void)sig;
    stop_requested = 1;
}

static hs_status run_info(const hs_config *cfg, hs_experiment *e, const hs_calib_setup *cs) {
    char a[11], b[11];
    printf("config           %s\n", hs_config_path(cfg));
    if (e->topo)
        printf("domain           %s (%s: %zu GRU, %zu HRU, %zu segments, %.1f km2; routing %s)\n",
               e->domain_name, e->domain_path, e->n_gru, e->n_hru, e->n_seg, e->area_km2,
               e->net ? hs_route_scheme_name(e->route_scheme) : "none (area-weighted sum)");
    else
        printf("domain           %s (lumped, 1 GRU, %zu HRU, %.1f km2)\n", e->domain_name,
               e->n_hru, e->area_km2);
    printf("forcing          %s (%zu days from %s, PET: %s)\n", e->forcing_path, e->view.n_time,
           hs_day_format(e->experiment.start, a), e->pet_source);
    printf("elevation        forcing %.0f m -> HRU %.0f m\n", e->z_forcing_m, e->z_hru_m);
    printf("experiment       %s..%s\n", hs_day_format(e->experiment.start, a),
           hs_day_format(e->experiment.end, b));
    if (e->has_spinup)
        printf("spin-up          %s..%s\n", hs_day_format(e->spinup.start, a),
               hs_day_format(e->spinup.end, b));
    if (e->has_calib)
        printf("calibration      %s..%s\n", hs_day_format(e->calib.start, a),
               hs_day_format(e->calib.end, b));
    if (e->has_eval)
        printf("evaluation       %s..%s\n", hs_day_format(e->eval.start, a),
               hs_day_format(e->eval.end, b));
    printf("observations     %s\n", e->has_obs ? e->obs_path : "(none)");
    printf("model            %s: %s\n", e->ops->name, e->ops->description);
    printf("calibration      %s, %s, %ld iterations, r = %g, seed %llu", cs->async ? "ASYNC_DDS" : "DDS",
           hs_metric_name(e->metric), e->iterations, e->dds_r, e->seed);
    if (cs->async)
        printf(", pool %zu, %zu in flight\n", cs->pool, cs->in_flight);
    else
        printf(", batch %zu\n", cs->batch);
    printf("parameters       name        value      lower      upper  calibrated\n");
    for (size_t k = 0; k < e->ops->n_params; k++) {
        long j = -1;
        for (size_t q = 0; q < e->n_cal; q++)
            if (e->cal_index[q] == k) j = (long)q;
        printf("                 %-8s %9.4g  %9.4g  %9.4g  %s\n", e->ops->params[k].name,
               e->params[k], j >= 0 ? e->lower[j] : e->ops->params[k].lower,
               j >= 0 ? e->upper[j] : e->ops->params[k].upper, j >= 0 ? "yes" : "no");
    }
    printf("execution tier   %s (%s); %d worker(s) x %d HRU thread(s)\n", hs_tier_name(cs->tier),
           cs->reason, cs->workers, cs->hru_threads);
    /* every model hydroscale knows, with its parameter table (* = calibrated by default) */
    printf("models           (HYDROLOGICAL_MODEL; parameter [unit] default (lower..upper), "
           "* calibrated by default)\n");
    for (size_t m = 0; m < hs_model_count(); m++) {
        const hs_model_ops *ops = hs_model_at(m);
        printf("  %-15s %s\n", ops->name, ops->description);
        int col = 0;
        for (size_t k = 0; k < ops->n_params; k++) {
            const hs_param_info *p = &ops->params[k];
            char item[160];
            int len = snprintf(item, sizeof item, "%s%s [%s] %g (%g..%g)", p->calibrate ? "*" : "",
                               p->name, p->unit, p->dflt, p->lower, p->upper);
            if (col == 0) col = printf("                 ");
            else if (col + len + 2 > 100) {
                printf("\n");
                col = printf("                 ");
            } else {
                col += printf("; ");
            }
            col += printf("%s", item);
        }
        if (col) printf("\n");
    }
    printf("outputs          %s\n", e->out_dir);
    return HS_OK;
}

hs_status hs_app_main(const hs_app_options *o, hs_ctx *ctx) {
    double t0 = hs_wall_time();
    hs_config *cfg = NULL;
    hs_config_key *opt_rows = NULL;
    hs_status st = hs_app_load_config(o, ctx, &cfg, &opt_rows);
    if (st != HS_OK) {
        hs_free(opt_rows);
        return st;
    }
    const int rank = hs_mpi_rank();
    hs_calib_setup cs;
    hs_experiment *e = NULL;
    st = hs_calib_setup_resolve(cfg, ctx, &cs);
    if (st == HS_OK && rank == 0 && o->command == HS_CMD_CALIBRATE)
        hs_log(ctx, HS_LOG_INFO, "execution tier: %s (%s); %d worker(s) x %d HRU thread(s)",
               hs_tier_name(cs.tier), cs.reason, cs.workers, cs.hru_threads);
    /* MPI ranks other than 0 read the forcing themselves and serve candidates */
    if (st == HS_OK && rank > 0) {
        if (o->command == HS_CMD_CALIBRATE && cs.tier == HS_TIER_MPI) {
            st = hs_experiment_create(cfg, o->output_dir, o->params_path, true, ctx, &e);
            if (st == HS_OK) st = hs_calib_mpi_worker(e, &cs, ctx);
            if (st != HS_OK) hs_ctx_prefix(ctx, "MPI rank %d", rank);
        }
        hs_experiment_destroy(&e);
        hs_config_destroy(&cfg);
        hs_free(opt_rows);
        return st;
    }
    if (st == HS_OK)
        st = hs_experiment_create(cfg, o->output_dir, o->params_path,
                                  o->command == HS_CMD_CALIBRATE || o->command == HS_CMD_BENCH, ctx,
                                  &e);
    if (st == HS_OK && (o->command == HS_CMD_CALIBRATE || o->command == HS_CMD_BENCH) &&
        !e->has_calib)
        st = HS_FAIL(ctx, HS_ERR_CONFIG, "%s: calibrate needs CALIBRATION_PERIOD",
                     hs_config_path(cfg));
    bool fluxes = false;
    if (st == HS_OK) st = hs_config_get_bool(cfg, "OUTPUT_INTERNAL_FLUXES", ctx, &fluxes);
    if (st == HS_OK && fluxes) st = hs_report_gr4j_fluxes_check(e, ctx);
    if (st != HS_OK || o->command == HS_CMD_INFO || o->command == HS_CMD_BENCH) {
        if (st == HS_OK && o->command == HS_CMD_INFO) st = run_info(cfg, e, &cs);
        if (st == HS_OK && o->command == HS_CMD_BENCH) st = hs_bench_run(e, 0, ctx);
        hs_experiment_destroy(&e);
        hs_config_destroy(&cfg);
        hs_free(opt_rows);
        return st;
    }

    hs_calib_output co;
    memset(&co, 0, sizeof co);
    const double *final_params = e->params;
    if (o->command == HS_CMD_CALIBRATE) {
        hs_log(ctx, HS_LOG_INFO, "calibrating %s on %s: %s, %ld iterations, %s, seed %llu",
               e->ops->name, e->domain_name, cs.async ? "ASYNC_DDS" : "DDS", e->iterations,
               hs_metric_name(e->metric), e->seed);
        hs_calib_options copt = {o->progress, o->resume, hs_config_path(cfg), &stop_requested};
        stop_requested = 0;
        struct sigaction sa, old_int, old_term;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = request_stop;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);
        st = hs_calib_run(e, &cs, &copt, ctx, &co);
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        final_params = co.best_params;
    }
    /* the final run over the whole experiment period, spin-up included */
    hs_workspace *final_ws = NULL;
    if (st == HS_OK) st = hs_workspace_create(e, cs.hru_threads, NULL, ctx, &final_ws);
    if (st == HS_OK) st = hs_workspace_keep_segments(final_ws, ctx); /* run/streamflow.nc */
    if (st == HS_OK) st = hs_workspace_simulate(final_ws, final_params, e->view.n_time, ctx);
    if (st == HS_OK) {
        memcpy(e->q_sim_m3s, hs_workspace_q_sim_m3s(final_ws), e->view.n_time * sizeof *e->q_sim_m3s);
        memcpy(e->q_sim_mm, hs_workspace_q_sim_mm(final_ws), e->view.n_time * sizeof *e->q_sim_mm);
        e->q_seg_m3s = hs_workspace_q_seg(final_ws); /* borrowed until final_ws goes */
    }
    hs_run_summary sum;
    memset(&sum, 0, sizeof sum);
    sum.command = o->command == HS_CMD_CALIBRATE ? "calibrate" : "run";
    sum.calib = o->command == HS_CMD_CALIBRATE ? &co.res : NULL;
    sum.params = final_params;
    sum.strategy = hs_tier_name(o->command == HS_CMD_CALIBRATE ? cs.tier : HS_TIER_SEQUENTIAL);
    sum.hru_threads = cs.hru_threads;
    sum.mpi_ranks = cs.mpi_ranks;
    if (st == HS_OK) {
        if (e->has_calib) hs_experiment_metrics(e, e->calib, &sum.m_calib);
        if (e->has_eval) hs_experiment_metrics(e, e->eval, &sum.m_eval);
        st = hs_io_mkdirs(ctx, e->out_dir);
    }
    if (st == HS_OK) st = hs_report_streamflow(e, ctx);
    if (st == HS_OK && fluxes) st = hs_report_gr4j_fluxes(e, final_params, ctx);
    if (st == HS_OK && sum.calib) st = hs_report_trajectory(e, &co.res, ctx);
    if (st == HS_OK && sum.calib) st = hs_report_best_params(e, &co.res, ctx);
    if (st == HS_OK && e->has_obs) st = hs_report_plot(e, &sum, ctx);
    if (st == HS_OK) {
        sum.wall_s = hs_wall_time() - t0;
        sum.io = hs_ioprof_get(hs_ctx_get_ioprof(ctx));
        sum.peak_rss_mb = hs_peak_rss_mb();
        st = hs_report_summary(e, &sum, ctx);
    }
    if (st == HS_OK) {
        printf("hydroscale %s: %s on %s", sum.command, e->ops->name, e->domain_name);
        if (sum.calib)
            printf(" (%s, %zu evaluations, %s, seed %llu, %s x %d; %.2f s, %.0f evals/s)",
                   co.res.algorithm, co.res.n_evals, hs_metric_name(e->metric), e->seed,
                   sum.strategy, co.res.workers, co.res.wall_s,
                   co.res.n_evals / co.res.wall_s);
        printf("\n");
        if (e->has_calib) print_metrics("calibration", e->calib, &sum.m_calib);
        if (e->has_eval) print_metrics("evaluation", e->eval, &sum.m_eval);
        printf("  outputs in %s (wall %.2f s)\n", e->out_dir, hs_wall_time() - t0);
    }
    hs_calib_output_free(&co);
    e->q_seg_m3s = NULL;
    hs_workspace_destroy(&final_ws);
    hs_experiment_destroy(&e);
    hs_config_destroy(&cfg);
    hs_free(opt_rows);
    return st;
}
