/* hs_report.c -- output files of a run (see hs_report.h). */
#define _POSIX_C_SOURCE 200809L
#include "hs_report.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hs_gr4j.h"
#include "hs_streamflow.h"

#ifndef HS_VERSION
#define HS_VERSION "0.0.0"
#endif

static hs_status out_path(hs_ctx *ctx, const hs_experiment *e, const char *rel, char *buf,
                          size_t cap) {
    return hs_io_path_join(ctx, e->out_dir, rel, buf, cap);
}

hs_status hs_report_streamflow(const hs_experiment *e, hs_ctx *ctx) {
    size_t n = e->view.n_time;
    double *q_obs_mm = NULL;
    HS_TRY(HS_ALLOC_ARRAY(ctx, q_obs_mm, n, "observed discharge"));
    for (size_t t = 0; t < n; t++) q_obs_mm[t] = e->q_obs_m3s[t] / e->mm_to_m3s;
    long long *seg_ids = NULL;
    size_t n_seg = e->net && e->q_seg_m3s ? hs_network_n_seg(e->net) : 0;
    if (n_seg > 0) {
        HS_TRY(HS_ALLOC_ARRAY(ctx, seg_ids, n_seg, "segment ids"));
        for (size_t k = 0; k < n_seg; k++) seg_ids[k] = (long long)hs_network_seg_id(e->net, k);
    }
    hs_streamflow q = {e->experiment.start, n,        e->q_sim_m3s,   e->q_obs_m3s,
                       e->q_sim_mm,         q_obs_mm, e->area_km2,    e->domain_name,
                       e->ops->name,        e->experiment_id, n_seg, seg_ids, e->q_seg_m3s};
    char path[4200];
    hs_status st = out_path(ctx, e, "run/streamflow.nc", path, sizeof path);
    if (st == HS_OK) st = hs_streamflow_write_nc(ctx, path, &q);
    if (st == HS_OK) st = out_path(ctx, e, "run/streamflow.csv", path, sizeof path);
    if (st == HS_OK) st = hs_streamflow_write_csv(ctx, path, &q);
    hs_free(q_obs_mm);
    hs_free(seg_ids);
    return st;
}

hs_status hs_report_trajectory(const hs_experiment *e, const hs_calib_result *c, hs_ctx *ctx) {
    char path[4200];
    HS_TRY(out_path(ctx, e, "calibration/trajectory.csv", path, sizeof path));
    hs_io_writer *w = NULL;
    HS_TRY(hs_io_writer_open(ctx, path, &w));
    /* rows in the order results were applied (= candidate order for DDS); `dispatch` numbers the
     * candidates in the order they were generated (ASYNC_DDS: replaying the rows in this order
     * with these dispatch numbers reproduces the run) */
    hs_status st = hs_io_writer_printf(w, "eval,worker,objective,best_objective");
    for (size_t j = 0; st == HS_OK && j < e->n_cal; j++)
        st = hs_io_writer_printf(w, ",%s", e->ops->params[e->cal_index[j]].name);
    if (st == HS_OK) st = hs_io_writer_printf(w, ",dispatch\n");
    for (size_t i = 0; st == HS_OK && i < c->n_evals; i++) {
        st = hs_io_writer_printf(w, "%zu,%d,%.17g,%.17g", i, c->worker ? c->worker[i] : 0,
                                 c->value[i], c->best[i]);
        for (size_t j = 0; st == HS_OK && j < e->n_cal; j++)
            st = hs_io_writer_printf(w, ",%.17g", c->x[i * e->n_cal + j]);
        if (st == HS_OK)
            st = hs_io_writer_printf(w, ",%zu\n", c->dispatch ? c->dispatch[i] - 1 : i);
    }
    if (st != HS_OK) {
        hs_io_writer_abort(&w);
        return st;
    }
    return hs_io_writer_commit(&w);
}

hs_status hs_report_best_params(const hs_experiment *e, const hs_calib_result *c, hs_ctx *ctx) {
    char path[4200];
    HS_TRY(out_path(ctx, e, "calibration/best_params.yaml", path, sizeof path));
    hs_io_writer *w = NULL;
    HS_TRY(hs_io_writer_open(ctx, path, &w));
    char a[11], b[11];
    hs_status st = hs_io_writer_printf(
        w,
        "# Best parameters found by hydroscale calibrate (usable with --params).\n"
        "# %s over the calibration period %s..%s after %zu evaluations.\n"
        "model: %s\nobjective: %s\nobjective_value: %.17g\n",
        hs_metric_name(e->metric), hs_day_format(e->calib.start, a), hs_day_format(e->calib.end, b),
        c->n_evals, e->ops->name, hs_metric_name(e->metric), c->best_value);
    for (size_t k = 0; st == HS_OK && k < e->ops->n_params; k++)
        st = hs_io_writer_printf(w, "%s: %.17g\n", e->ops->params[k].name, c->best_params[k]);
    if (st != HS_OK) {
        hs_io_writer_abort(&w);
        return st;
    }
    return hs_io_writer_commit(&w);
}

/* cJSON prints %.15g unless that fails its own relative-epsilon round-trip check, so values can
 * come back a few ulp off; summary.json must hold the exact doubles (the final run's KGE equals
 * the best objective bit for bit), so every number is written with %.17g as raw JSON. Non-finite
 * values become null, which keeps the file valid JSON. */
static void add_num(cJSON *obj, const char *name, double v) {
    char text[32];
    if (isfinite(v))
        snprintf(text, sizeof text, "%.17g", v);
    else
        snprintf(text, sizeof text, "null");
    cJSON_AddRawToObject(obj, name, text);
}

static cJSON *metrics_json(const hs_period_metrics *m, hs_period p) {
    cJSON *o = cJSON_CreateObject();
    char a[11], b[11];
    cJSON_AddStringToObject(o, "start", hs_day_format(p.start, a));
    cJSON_AddStringToObject(o, "end", hs_day_format(p.end, b));
    add_num(o, "n_obs", (double)m->n_obs);
    if (!m->valid) return o;
    add_num(o, "KGE", m->kge);
    add_num(o, "KGEp", m->kgep);
    add_num(o, "NSE", m->nse);
    add_num(o, "logNSE", m->lognse);
    add_num(o, "RMSE", m->rmse);
    add_num(o, "PBIAS", m->pbias);
    add_num(o, "r", m->parts.r);
    add_num(o, "alpha", m->parts.alpha);
    add_num(o, "beta", m->parts.beta);
    return o;
}

hs_status hs_report_summary(const hs_experiment *e, const hs_run_summary *s, hs_ctx *ctx) {
    cJSON *root = cJSON_CreateObject();
    if (!root) return HS_FAIL(ctx, HS_ERR_NOMEM, "summary.json: out of memory");
    char a[11], b[11];
    cJSON_AddStringToObject(root, "hydroscale_version", HS_VERSION);
    cJSON_AddStringToObject(root, "command", s->command);
    cJSON_AddStringToObject(root, "config", e->config_path);
    cJSON_AddStringToObject(root, "domain_name", e->domain_name);
    cJSON_AddStringToObject(root, "experiment_id", e->experiment_id);
    cJSON_AddStringToObject(root, "model", e->ops->name);
    cJSON_AddStringToObject(root, "algorithm", s->calib ? s->calib->algorithm : "none");
    cJSON_AddStringToObject(root, "objective", hs_metric_name(e->metric));
    add_num(root, "seed", (double)e->seed);
    add_num(root, "n_evaluations", s->calib ? (double)s->calib->n_evals : 1.0);
    if (s->calib) add_num(root, "best_objective", s->calib->best_value);
    cJSON *period = cJSON_AddObjectToObject(root, "experiment_period");
    cJSON_AddStringToObject(period, "start", hs_day_format(e->experiment.start, a));
    cJSON_AddStringToObject(period, "end", hs_day_format(e->experiment.end, b));

    cJSON *bp = cJSON_AddObjectToObject(root, "best_params");
    for (size_t k = 0; k < e->ops->n_params; k++)
        add_num(bp, e->ops->params[k].name, s->params[k]);
    cJSON *cal = cJSON_AddArrayToObject(root, "calibrated_params");
    for (size_t j = 0; j < e->n_cal; j++)
        cJSON_AddItemToArray(cal, cJSON_CreateString(e->ops->params[e->cal_index[j]].name));

    cJSON *metrics = cJSON_AddObjectToObject(root, "metrics");
    if (e->has_calib) cJSON_AddItemToObject(metrics, "calibration", metrics_json(&s->m_calib, e->calib));
    if (e->has_eval) cJSON_AddItemToObject(metrics, "evaluation", metrics_json(&s->m_eval, e->eval));

    cJSON *timing = cJSON_AddObjectToObject(root, "timing");
    add_num(timing, "wall_s", s->wall_s);
    if (s->calib) {
        const hs_calib_result *c = s->calib;
        add_num(timing, "calibration_wall_s", c->wall_s);
        add_num(timing, "evals_per_s", c->n_evals / c->wall_s);
        add_num(timing, "mean_eval_us", 1e6 * c->eval_s / c->n_evals);
        /* serial part = the coordinator's time outside evaluations (DDS generation, comparison,
         * update, bookkeeping), timed on its own */
        add_num(timing, "serial_s", c->serial_s);
        add_num(timing, "checkpoint_s", c->checkpoint_s);
        /* measured in the workers of this process (not in forked processes or other ranks) */
        if (c->model_s + c->route_s > 0) {
            add_num(timing, "model_s", c->model_s);
            add_num(timing, "routing_s", c->route_s);
            add_num(timing, "routing_share", c->route_s / (c->model_s + c->route_s));
        }
        add_num(timing, "serial_fraction", c->wall_s > 0 ? c->serial_s / c->wall_s : 0.0);
    }
    cJSON *exec = cJSON_AddObjectToObject(root, "execution");
    cJSON_AddStringToObject(exec, "strategy", s->strategy);
    add_num(exec, "workers", s->calib ? s->calib->workers : 1);
    add_num(exec, "hru_threads", s->hru_threads > 0 ? s->hru_threads : 1);
    add_num(exec, "mpi_ranks", s->mpi_ranks > 0 ? s->mpi_ranks : 1);
    if (s->calib) {
        add_num(exec, "worker_utilization", s->calib->utilization);
        cJSON_AddStringToObject(exec, "model_backend", s->calib->backend);
        add_num(exec, s->calib->algorithm[0] == 'A' ? "pool_size" : "batch_size",
                (double)s->calib->batch_size);
        add_num(exec, "failed_candidates", (double)s->calib->n_failed);
        cJSON_AddBoolToObject(exec, "resumed", s->calib->resumed);
    }

    cJSON *io = cJSON_AddObjectToObject(root, "io");
    /* summary.json itself is written after this snapshot */
    add_num(io, "read_bytes", (double)s->io.read_bytes);
    add_num(io, "write_bytes", (double)s->io.write_bytes);
    add_num(io, "read_ops", (double)s->io.read_ops);
    add_num(io, "write_ops", (double)s->io.write_ops);
    if (s->calib) {
        cJSON *loop = cJSON_AddObjectToObject(io, "calibration_loop");
        add_num(loop, "read_bytes", (double)s->calib->io_in_loop.read_bytes);
        add_num(loop, "write_bytes", (double)s->calib->io_in_loop.write_bytes);
        add_num(loop, "read_ops", (double)s->calib->io_in_loop.read_ops);
        add_num(loop, "write_ops", (double)s->calib->io_in_loop.write_ops);
        cJSON *ck = cJSON_AddObjectToObject(io, "checkpoints");
        add_num(ck, "write_bytes", (double)s->calib->io_checkpoint.write_bytes);
        add_num(ck, "write_ops", (double)s->calib->io_checkpoint.write_ops);
    }
    cJSON *mem = cJSON_AddObjectToObject(root, "memory");
    add_num(mem, "peak_rss_mb", s->peak_rss_mb);
    cJSON *dom = cJSON_AddObjectToObject(root, "domain");
    cJSON_AddStringToObject(dom, "discretization", e->topo ? "domain_file" : "lumped");
    if (e->topo) cJSON_AddStringToObject(dom, "file", e->domain_path);
    add_num(dom, "n_gru", e->topo ? (double)e->n_gru : 1.0);
    add_num(dom, "n_hru", (double)e->n_hru);
    add_num(dom, "n_seg", e->topo ? (double)e->n_seg : 0.0);
    cJSON_AddStringToObject(dom, "routing", e->net ? hs_route_scheme_name(e->route_scheme) : "none");
    add_num(dom, "area_km2", e->area_km2);
    cJSON *forc = cJSON_AddObjectToObject(root, "forcing");
    cJSON_AddStringToObject(forc, "file", e->forcing_path);
    cJSON_AddStringToObject(forc, "pet", e->pet_source);
    add_num(forc, "forcing_elevation_m", e->z_forcing_m);
    add_num(forc, "hru_elevation_m", e->z_hru_m);

    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) return HS_FAIL(ctx, HS_ERR_NOMEM, "summary.json: out of memory");
    char path[4200];
    hs_io_writer *w = NULL;
    hs_status st = out_path(ctx, e, "summary.json", path, sizeof path);
    if (st == HS_OK) st = hs_io_writer_open(ctx, path, &w);
    if (st == HS_OK) st = hs_io_writer_printf(w, "%s\n", text);
    free(text);
    if (st != HS_OK) {
        hs_io_writer_abort(&w);
        return st;
    }
    return hs_io_writer_commit(&w);
}

/* Runs `prog args...` and waits; returns the exit status, or -1 if it could not start (127 when
 * the program is not found). No shell is involved. */
static int run_program(char *const argv[]) {
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        execvp(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

hs_status hs_report_plot(const hs_experiment *e, const hs_run_summary *s, hs_ctx *ctx) {
    (void)s;
    hs_period p = e->has_eval ? e->eval : e->has_calib ? e->calib : e->experiment;
    const char *label = e->has_eval ? "evaluation" : e->has_calib ? "calibration" : "experiment";
    char png[4200], tmp_png[4400], data[4400], script[4400];
    HS_TRY(out_path(ctx, e, "plots/hydrograph.png", png, sizeof png));
    HS_TRY(hs_io_temp_name(ctx, png, tmp_png, sizeof tmp_png));
    HS_TRY(hs_io_temp_name(ctx, png, data, sizeof data));
    HS_TRY(hs_io_temp_name(ctx, png, script, sizeof script));

    FILE *fd = fopen(data, "w");
    if (!fd) return HS_FAIL(ctx, HS_ERR_IO, "%s: cannot create: %s", data, strerror(errno));
    size_t first = hs_experiment_step(e, p.start);
    char d[11];
    for (hs_day day = p.start; day <= p.end; day++) {
        size_t t = first + (size_t)(day - p.start);
        double o = e->q_obs_m3s[t];
        if (isfinite(o))
            fprintf(fd, "%s %.6g %.6g\n", hs_day_format(day, d), o, e->q_sim_m3s[t]);
        else
            fprintf(fd, "%s NaN %.6g\n", hs_day_format(day, d), e->q_sim_m3s[t]);
    }
    long data_bytes = ftell(fd);
    fclose(fd);
    hs_io_count_write(ctx, (uint64_t)(data_bytes > 0 ? data_bytes : 0), 1);

    char title[512], a[11], b[11];
    hs_period_metrics m;
    hs_experiment_metrics(e, p, &m);
    if (m.valid)
        snprintf(title, sizeof title, "%s - %s, %s period %s..%s (KGE %.3f, NSE %.3f)",
                 e->domain_name, e->ops->name, label, hs_day_format(p.start, a),
                 hs_day_format(p.end, b), m.kge, m.nse);
    else
        snprintf(title, sizeof title, "%s - %s, %s period %s..%s", e->domain_name, e->ops->name,
                 label, hs_day_format(p.start, a), hs_day_format(p.end, b));
    FILE *fs = fopen(script, "w");
    if (!fs) {
        remove(data);
        return HS_FAIL(ctx, HS_ERR_IO, "%s: cannot create: %s", script, strerror(errno));
    }
    /* the title can hold user text (DOMAIN_NAME): keep gnuplot's quoting safe */
    for (char *c = title; *c; c++)
        if (*c == '"' || *c == '\\') *c = '\'';
    int n = fprintf(fs,
                    "set terminal pngcairo size 1200,500 font 'DejaVu Sans,10'\n"
                    "set output '%s'\n"
                    "set datafile missing 'NaN'\n"
                    "set xdata time\nset timefmt '%%Y-%%m-%%d'\nset format x '%%Y-%%m'\n"
                    "set ylabel 'discharge (m^3 s^{-1})'\nset grid\nset key top left\n"
                    "set title \"%s\"\n"
                    "plot '%s' using 1:2 with lines lw 1.5 lc rgb '#000000' title 'observed', \\\n"
                    "     '' using 1:3 with lines lw 1.5 lc rgb '#d62728' title 'simulated'\n",
                    tmp_png, title, data);
    fclose(fs);
    hs_io_count_write(ctx, (uint64_t)(n > 0 ? n : 0), 1);
    char *argv[] = {"gnuplot", script, NULL};
    int rc = run_program(argv);
    remove(data);
    remove(script);
    if (rc == 127 || rc < 0) {
        remove(tmp_png);
        hs_log(ctx, HS_LOG_WARN, "gnuplot not found; %s not written (apt-get install gnuplot-nox)",
               png);
        return HS_OK;
    }
    if (rc != 0) {
        remove(tmp_png);
        return HS_FAIL(ctx, HS_ERR_EXTERNAL, "%s: gnuplot failed with exit status %d", png, rc);
    }
    return hs_io_rename_into_place(ctx, tmp_png, png);
}

hs_status hs_report_gr4j_fluxes_check(const hs_experiment *e, hs_ctx *ctx) {
    if (e->model_ops != &hs_gr4j_ops || e->n_hru != 1)
        return HS_FAIL(ctx, HS_ERR_CONFIG,
                       "%s: OUTPUT_INTERNAL_FLUXES is written for GR4J on one lumped series "
                       "(this run: %s, %zu HRUs)",
                       e->config_path, e->ops->name, e->n_hru);
    return HS_OK;
}

hs_status hs_report_gr4j_fluxes(const hs_experiment *e, const double *params, hs_ctx *ctx) {
    HS_TRY(hs_report_gr4j_fluxes_check(e, ctx));
    char path[4200];
    HS_TRY(out_path(ctx, e, "run/gr4j_fluxes.csv", path, sizeof path));
    double uh1[HS_GR4J_NH], uh2[2 * HS_GR4J_NH];
    hs_gr4j_uh_ordinates(params[3], uh1, uh2);
    /* airGR's initial states (docs-models.md §2.1), as the model's init sets them */
    hs_gr4j_state st;
    memset(&st, 0, sizeof st);
    st.prod_mm = 0.3 * params[0];
    st.rout_mm = 0.5 * params[2];
    hs_io_writer *w = NULL;
    HS_TRY(hs_io_writer_open(ctx, path, &w));
    hs_status s = hs_io_writer_printf(
        w, "date,precip_mm,pet_mm,prod_mm,rout_mm,pn,en,ps,es,ae,perc,pr,q9,q1,exch,aexch1,aexch2,"
           "qr,qd,qsim\n");
    char d[11];
    for (size_t t = 0; s == HS_OK && t < e->view.n_time; t++) {
        hs_gr4j_fluxes fx;
        const double p = e->view.precip_mm[t], pe = e->view.pet_mm[t];
        hs_gr4j_step(&st, uh1, uh2, params, p, pe, &fx);
        s = hs_io_writer_printf(w, "%s,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,"
                                   "%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g\n",
                                hs_day_format(e->view.first_day + (hs_day)t, d), p, pe,
                                st.prod_mm, st.rout_mm, fx.pn,
                                fx.en, fx.ps, fx.es, fx.ae, fx.perc, fx.pr, fx.q9, fx.q1, fx.exch,
                                fx.aexch1, fx.aexch2, fx.qr, fx.qd, fx.qsim);
    }
    if (s != HS_OK) {
        hs_io_writer_abort(&w);
        return s;
    }
    return hs_io_writer_commit(&w);
}
