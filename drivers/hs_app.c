/* hs_app.c -- `hydroscale run|calibrate|info`: config -> experiment -> model runs -> outputs.
 *
 * The calibration loop reads no file and writes none: everything is prepared before it starts
 * and written after it ends (the I/O profiler's loop counters in summary.json show it). */
#define _POSIX_C_SOURCE 200809L
#include "hs_app.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hs_dds.h"
#include "hs_experiment.h"
#include "hs_io.h"
#include "hs_report.h"
#include "hs_sys.h"

typedef struct calib_state {
    hs_experiment *e;
    hs_ctx *ctx;
    double *full;     /* [n_params] work vector */
    size_t n_steps;   /* steps simulated per evaluation: through the end of calibration */
    size_t cal_first; /* first step of the calibration period */
    size_t cal_n;
    double last_value;
    double eval_s;
    /* trajectory */
    size_t n_done, cap;
    double *x, *value, *best;
    double best_value, best_loss;
    /* progress */
    bool progress;
    double t_start, t_last_print;
} calib_state;

static hs_status objective(void *user, const double *x, double *f) {
    calib_state *s = user;
    hs_experiment *e = s->e;
    double t0 = hs_wall_time();
    for (size_t j = 0; j < e->n_cal; j++) s->full[e->cal_index[j]] = x[j];
    HS_TRY(hs_experiment_simulate(e, s->full, s->n_steps, s->ctx));
    double v = hs_metric_eval(e->metric, e->q_sim_m3s + s->cal_first, e->q_obs_m3s + s->cal_first,
                              s->cal_n);
    s->last_value = v;
    *f = hs_metric_loss(e->metric, v);
    s->eval_s += hs_wall_time() - t0;
    return HS_OK;
}

static void print_progress(calib_state *s, bool final) {
    double now = hs_wall_time();
    if (!final && now - s->t_last_print < 0.1) return;
    s->t_last_print = now;
    size_t total = s->cap;
    double el = now - s->t_start;
    double rate = el > 0 ? (double)s->n_done / el : 0;
    double eta = rate > 0 ? (double)(total - s->n_done) / rate : 0;
    fprintf(stderr, "\r\033[Kcalibrate: %zu/%zu evals | best %s %.4f | %.0f evals/s | ETA %.1f s",
            s->n_done, total, hs_metric_name(s->e->metric), s->best_value, rate, eta);
    if (final) fputc('\n', stderr);
    fflush(stderr);
}

static void trace(void *user, size_t eval, const double *x, double f, double f_best) {
    calib_state *s = user;
    (void)eval;
    size_t i = s->n_done;
    memcpy(s->x + i * s->e->n_cal, x, s->e->n_cal * sizeof *x);
    s->value[i] = s->last_value;
    if (f <= s->best_loss) { /* the same greedy rule as DDS: keep the metric of its best */
        s->best_loss = f;
        s->best_value = s->last_value;
    }
    (void)f_best;
    s->best[i] = s->best_value;
    s->n_done++;
    if (s->progress) print_progress(s, false);
}

static hs_status calibrate(hs_experiment *e, bool progress, hs_ctx *ctx, hs_calib_result *res,
                           double **best_params_out, calib_state *s) {
    if (!e->has_calib)
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: calibrate needs CALIBRATION_PERIOD",
                       e->config_path);
    memset(s, 0, sizeof *s);
    s->e = e;
    s->ctx = ctx;
    s->cal_first = hs_experiment_step(e, e->calib.start);
    s->cal_n = (size_t)hs_period_days(e->calib);
    s->n_steps = hs_experiment_step(e, e->calib.end) + 1;
    s->cap = (size_t)e->iterations + 1; /* evaluation 0 is the starting point */
    s->best_loss = INFINITY;
    s->best_value = NAN;
    s->progress = progress;
    size_t np = e->ops->n_params;
    HS_TRY(HS_ALLOC_ARRAY(ctx, s->full, np, "parameters"));
    memcpy(s->full, e->params, np * sizeof *s->full);
    HS_TRY(HS_ALLOC_ARRAY(ctx, s->x, s->cap * e->n_cal, "trajectory"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, s->value, s->cap, "trajectory"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, s->best, s->cap, "trajectory"));

    hs_dds_config dc = {e->n_cal, e->lower, e->upper, e->x0, s->cap, e->dds_r, e->seed};
    hs_dds *dds = NULL;
    HS_TRY(hs_dds_create(&dc, ctx, &dds));
    hs_io_counts io0 = hs_ioprof_get(hs_ctx_get_ioprof(ctx));
    s->t_start = hs_wall_time();
    s->t_last_print = 0;
    hs_status st = hs_dds_run(dds, objective, s, trace, s, ctx);
    double wall = hs_wall_time() - s->t_start;
    hs_io_counts io1 = hs_ioprof_get(hs_ctx_get_ioprof(ctx));
    if (s->progress) print_progress(s, true);
    double *xbest = NULL;
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, xbest, e->n_cal, "best parameters");
    if (st == HS_OK) {
        hs_dds_best(dds, xbest);
        double *bp = NULL;
        st = HS_ALLOC_ARRAY(ctx, bp, np, "best parameters");
        if (st == HS_OK) {
            memcpy(bp, e->params, np * sizeof *bp);
            for (size_t j = 0; j < e->n_cal; j++) bp[e->cal_index[j]] = xbest[j];
            *best_params_out = bp;
        }
    }
    hs_free(xbest);
    hs_dds_destroy(&dds);
    HS_TRY(st);
    res->n_evals = s->n_done;
    res->x = s->x;
    res->value = s->value;
    res->best = s->best;
    res->best_params = *best_params_out;
    res->best_value = s->best_value;
    res->wall_s = wall;
    res->eval_s = s->eval_s;
    res->io_in_loop.read_bytes = io1.read_bytes - io0.read_bytes;
    res->io_in_loop.write_bytes = io1.write_bytes - io0.write_bytes;
    res->io_in_loop.read_ops = io1.read_ops - io0.read_ops;
    res->io_in_loop.write_ops = io1.write_ops - io0.write_ops;
    return HS_OK;
}

static void free_calib_state(calib_state *s) {
    hs_free(s->full);
    hs_free(s->x);
    hs_free(s->value);
    hs_free(s->best);
}

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
static hs_status load_config(const hs_app_options *o, hs_ctx *ctx, hs_config **out,
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

static hs_status execution_strategy(const hs_config *cfg, hs_ctx *ctx, const char **name) {
    int strategy;
    long nproc;
    HS_TRY(hs_config_get_enum(cfg, "EXECUTION_STRATEGY", ctx, &strategy, NULL));
    HS_TRY(hs_config_get_int(cfg, "NUM_PROCESSES", ctx, &nproc));
    int algo;
    HS_TRY(hs_config_get_enum(cfg, "ITERATIVE_OPTIMIZATION_ALGORITHM", ctx, &algo, NULL));
    if (algo == 1)
        return HS_FAIL(ctx, HS_ERR_CONFIG,
                       "%s: ITERATIVE_OPTIMIZATION_ALGORITHM ASYNC_DDS is not available in this "
                       "version; use DDS",
                       hs_config_origin(cfg, "ITERATIVE_OPTIMIZATION_ALGORITHM"));
    if (strategy >= 2)
        return HS_FAIL(ctx, HS_ERR_CONFIG,
                       "%s: EXECUTION_STRATEGY %s is not available in this version; use auto or "
                       "sequential",
                       hs_config_origin(cfg, "EXECUTION_STRATEGY"),
                       strategy == 2 ? "threads" : strategy == 3 ? "processes" : "mpi");
    if (nproc > 1)
        hs_log(ctx, HS_LOG_WARN,
               "NUM_PROCESSES %ld: this version evaluates candidates sequentially (one worker)",
               nproc);
    hs_log(ctx, HS_LOG_INFO, "execution tier: sequential (%s)",
           strategy == 1 ? "EXECUTION_STRATEGY sequential" : "one worker");
    *name = "sequential";
    return HS_OK;
}

static hs_status run_info(const hs_config *cfg, hs_experiment *e, const char *strategy) {
    char a[11], b[11];
    printf("config           %s\n", hs_config_path(cfg));
    printf("domain           %s (lumped, 1 GRU, %zu HRU, %.1f km2)\n", e->domain_name, e->n_hru,
           e->area_km2);
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
    printf("calibration      DDS, %s, %ld iterations, r = %g, seed %llu\n",
           hs_metric_name(e->metric), e->iterations, e->dds_r, e->seed);
    printf("parameters       name        value      lower      upper  calibrated\n");
    for (size_t k = 0; k < e->ops->n_params; k++) {
        long j = -1;
        for (size_t q = 0; q < e->n_cal; q++)
            if (e->cal_index[q] == k) j = (long)q;
        printf("                 %-8s %9.4g  %9.4g  %9.4g  %s\n", e->ops->params[k].name,
               e->params[k], j >= 0 ? e->lower[j] : e->ops->params[k].lower,
               j >= 0 ? e->upper[j] : e->ops->params[k].upper, j >= 0 ? "yes" : "no");
    }
    printf("execution tier   %s\n", strategy);
    printf("outputs          %s\n", e->out_dir);
    return HS_OK;
}

hs_status hs_app_main(const hs_app_options *o, hs_ctx *ctx) {
    double t0 = hs_wall_time();
    hs_config *cfg = NULL;
    hs_config_key *opt_rows = NULL;
    hs_status st = load_config(o, ctx, &cfg, &opt_rows);
    if (st != HS_OK) {
        hs_free(opt_rows);
        return st;
    }
    const char *strategy = "sequential";
    hs_experiment *e = NULL;
    st = execution_strategy(cfg, ctx, &strategy);
    if (st == HS_OK)
        st = hs_experiment_create(cfg, o->output_dir, o->params_path, o->command == HS_CMD_CALIBRATE,
                                  ctx, &e);
    if (st == HS_OK && o->command == HS_CMD_CALIBRATE && !e->has_calib)
        st = HS_FAIL(ctx, HS_ERR_CONFIG, "%s: calibrate needs CALIBRATION_PERIOD",
                     hs_config_path(cfg));
    if (st != HS_OK || o->command == HS_CMD_INFO) {
        if (st == HS_OK) st = run_info(cfg, e, strategy);
        hs_experiment_destroy(&e);
        hs_config_destroy(&cfg);
        hs_free(opt_rows);
        return st;
    }

    hs_calib_result cres;
    memset(&cres, 0, sizeof cres);
    calib_state cs;
    memset(&cs, 0, sizeof cs);
    double *best_params = NULL;
    const double *final_params = e->params;
    if (o->command == HS_CMD_CALIBRATE) {
        hs_log(ctx, HS_LOG_INFO, "calibrating %s on %s: DDS, %ld iterations, %s, seed %llu",
               e->ops->name, e->domain_name, e->iterations, hs_metric_name(e->metric), e->seed);
        st = calibrate(e, o->progress, ctx, &cres, &best_params, &cs);
        final_params = best_params;
    }
    /* the final run over the whole experiment period, spin-up included */
    if (st == HS_OK) st = hs_experiment_simulate(e, final_params, e->view.n_time, ctx);
    hs_run_summary sum;
    memset(&sum, 0, sizeof sum);
    sum.command = o->command == HS_CMD_CALIBRATE ? "calibrate" : "run";
    sum.calib = o->command == HS_CMD_CALIBRATE ? &cres : NULL;
    sum.params = final_params;
    sum.strategy = strategy;
    if (st == HS_OK) {
        if (e->has_calib) hs_experiment_metrics(e, e->calib, &sum.m_calib);
        if (e->has_eval) hs_experiment_metrics(e, e->eval, &sum.m_eval);
        st = hs_io_mkdirs(ctx, e->out_dir);
    }
    if (st == HS_OK) st = hs_report_streamflow(e, ctx);
    if (st == HS_OK && sum.calib) st = hs_report_trajectory(e, &cres, ctx);
    if (st == HS_OK && sum.calib) st = hs_report_best_params(e, &cres, ctx);
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
            printf(" (DDS, %zu evaluations, %s, seed %llu; %.2f s, %.0f evals/s)", cres.n_evals,
                   hs_metric_name(e->metric), e->seed, cres.wall_s, cres.n_evals / cres.wall_s);
        printf("\n");
        if (e->has_calib) print_metrics("calibration", e->calib, &sum.m_calib);
        if (e->has_eval) print_metrics("evaluation", e->eval, &sum.m_eval);
        printf("  outputs in %s (wall %.2f s)\n", e->out_dir, hs_wall_time() - t0);
    }
    hs_free(best_params);
    free_calib_state(&cs);
    hs_experiment_destroy(&e);
    hs_config_destroy(&cfg);
    hs_free(opt_rows);
    return st;
}
