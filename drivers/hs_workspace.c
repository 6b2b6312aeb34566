/* hs_workspace.c -- per-worker simulation state; see hs_workspace.h. */
#define _POSIX_C_SOURCE 200809L
#include "hs_workspace.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs_exec.h"
#include "hs_hbv.h"
#include "hs_model_batch.h"
#include "hs_rng.h"
#include "hs_sys.h"

/* HRUs per chunk of the HRU loop: fixed, so the partition never depends on the thread count */
enum { HRU_CHUNK = 64 };

struct hs_workspace {
    const hs_experiment *e;
    hs_model *model;
    double *params_full; /* [n_params] */
    double *params_hru;  /* [n_hru][n_params] */
    double *runoff_mm;   /* [n_time][n_hru] */
    double *q_sim_mm, *q_sim_m3s;
    int hru_threads;
    hs_ctx **tctx; /* [hru_threads]: tctx[0] is replaced by the caller's context per call */
    size_t n_chunks;
    size_t cal_first, cal_n, n_steps_cal;
    hs_eval_delay delay;
    /* the view of the current run, for the chunk callback */
    hs_forcing_view run_view;
    /* routing (NULL when the experiment is unrouted): a router of its own over the shared
     * network, runoff converted to m/s, discharge of every segment */
    hs_route *router;
    hs_route_params route_params; /* those the router was built with */
    double model_s, route_s;      /* time in the model and in routing, summed over runs */
    /* batched backend (NULL when scalar) */
    const hs_model_batch_ops *batch_ops;
    void *batch;
    size_t n_lanes;
    double *batch_params; /* [n_lanes][n_model_params] */
    double *batch_runoff; /* [n_lanes][n_steps_cal] */
    double *q_seg;     /* [n_time][n_seg] when kept (hs_workspace_keep_segments), else NULL */
};

hs_status hs_eval_delay_parse(const char *text, uint64_t seed, hs_ctx *ctx, hs_eval_delay *out) {
    memset(out, 0, sizeof *out);
    out->seed = seed;
    if (!text || !*text || strcmp(text, "none") == 0) return HS_OK;
    double a = 0, b = 0;
    char tail = 0;
    if (sscanf(text, "fixed:%lf%c", &a, &tail) == 1 && a >= 0) {
        out->kind = 1;
    } else if (sscanf(text, "uniform:%lf:%lf%c", &a, &b, &tail) == 2 && a >= 0 && b >= a) {
        out->kind = 2;
    } else if (sscanf(text, "lognormal:%lf:%lf%c", &a, &b, &tail) == 2 && a > 0 && b >= 0) {
        out->kind = 3;
    } else {
        return HS_FAIL(ctx, HS_ERR_CONFIG,
                       "EVAL_DELAY_DISTRIBUTION: '%s' is not valid; expected none, fixed:MS, "
                       "uniform:MIN_MS:MAX_MS (MIN <= MAX) or lognormal:MEDIAN_MS:SIGMA",
                       text);
    }
    out->a = a;
    out->b = b;
    return HS_OK;
}

double hs_eval_delay_seconds(const hs_eval_delay *d, uint64_t id) {
    if (d->kind == 0) return 0.0;
    if (d->kind == 1) return d->a * 1e-3;
    hs_rng rng;
    hs_rng_seed(&rng, d->seed ^ (0x9FB21C651E98DF25ull * (id + 1)));
    if (d->kind == 2) return (d->a + (d->b - d->a) * hs_rng_uniform(&rng)) * 1e-3;
    return d->a * exp(d->b * hs_rng_normal(&rng)) * 1e-3;
}

hs_status hs_workspace_create(const hs_experiment *e, int hru_threads, const hs_eval_delay *delay,
                              hs_ctx *ctx, hs_workspace **out) {
    *out = NULL;
    hs_workspace *ws = NULL;
    HS_TRY(hs_alloc(ctx, 1, sizeof *ws, "workspace", (void **)&ws));
    ws->e = e;
    ws->hru_threads = hru_threads < 1 ? 1 : hru_threads;
    if (delay) ws->delay = *delay;
    const size_t np = e->ops->n_params, nt = e->view.n_time;
    hs_status st = hs_model_create(e->model_ops, e->model_opts, e->n_model_opts, e->n_hru, ctx,
                                   &ws->model);
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, ws->params_full, np, "parameters");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, ws->params_hru, np * e->n_hru, "parameters");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, ws->runoff_mm, nt * e->n_hru, "runoff");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, ws->q_sim_mm, nt, "simulated discharge");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, ws->q_sim_m3s, nt, "simulated discharge");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, ws->tctx, (size_t)ws->hru_threads, "contexts");
    if (st == HS_OK && e->net) {
        hs_route_params rp;
        hs_experiment_route_params(e, e->params, &rp);
        rp.n_threads = ws->hru_threads; /* sub-trees share the HRU threads of the evaluation */
        ws->route_params = rp;
        st = hs_route_create(e->net, e->route_scheme, &rp, 86400.0, ctx, &ws->router);
    }
    for (int t = 1; st == HS_OK && t < ws->hru_threads; t++) {
        ws->tctx[t] = hs_ctx_clone(ctx);
        if (!ws->tctx[t]) st = HS_FAIL(ctx, HS_ERR_NOMEM, "cannot allocate a thread context");
    }
    if (st != HS_OK) {
        hs_workspace_destroy(&ws);
        return st;
    }
    memcpy(ws->params_full, e->params, np * sizeof *ws->params_full);
    ws->n_chunks = (e->n_hru + HRU_CHUNK - 1) / HRU_CHUNK;
    if (e->has_calib) {
        ws->cal_first = hs_experiment_step(e, e->calib.start);
        ws->cal_n = (size_t)hs_period_days(e->calib);
        ws->n_steps_cal = hs_experiment_step(e, e->calib.end) + 1;
    }
    *out = ws;
    return HS_OK;
}

void hs_workspace_destroy(hs_workspace **wsp) {
    if (!wsp || !*wsp) return;
    hs_workspace *ws = *wsp;
    hs_model_destroy(&ws->model);
    hs_route_destroy(&ws->router);
    if (ws->batch_ops) ws->batch_ops->destroy(&ws->batch);
    hs_free(ws->batch_params);
    hs_free(ws->batch_runoff);
    hs_free(ws->q_seg);
    if (ws->tctx)
        for (int t = 1; t < ws->hru_threads; t++) hs_ctx_destroy(&ws->tctx[t]);
    hs_free(ws->tctx);
    hs_free(ws->params_full);
    hs_free(ws->params_hru);
    hs_free(ws->runoff_mm);
    hs_free(ws->q_sim_mm);
    hs_free(ws->q_sim_m3s);
    hs_free(ws);
    *wsp = NULL;
}

static hs_status run_chunk(void *user, size_t chunk, int thread, hs_ctx *ctx) {
    (void)thread;
    hs_workspace *ws = user;
    const size_t first = chunk * HRU_CHUNK;
    size_t count = ws->e->n_hru - first;
    if (count > HRU_CHUNK) count = HRU_CHUNK;
    hs_range r = {first, count};
    hs_flux_view flux = {ws->runoff_mm, NULL, NULL};
    return hs_model_run(ws->model, r, &ws->run_view, &flux, ctx);
}

hs_status hs_workspace_simulate(hs_workspace *ws, const double *params, size_t n_steps,
                                hs_ctx *ctx) {
    const hs_experiment *e = ws->e;
    const size_t np = e->n_model_params, nh = e->n_hru;
    for (size_t i = 0; i < nh; i++) memcpy(ws->params_hru + i * np, params, np * sizeof *params);
    HS_TRY(hs_model_init(ws->model, ws->params_hru, ctx));
    if (ws->router) {
        /* new routing parameters rebuild the unit hydrographs (the only allocation of an
         * evaluation, and only when DDS moved a routing parameter) */
        hs_route_params rp;
        hs_experiment_route_params(e, params, &rp);
        rp.n_threads = ws->route_params.n_threads;
        const hs_route_params *cur = &ws->route_params;
        if (rp.velo_ms != cur->velo_ms || rp.diff_m2s != cur->diff_m2s ||
            rp.mann_n != cur->mann_n || rp.wscale != cur->wscale || rp.fshape != cur->fshape ||
            rp.tscale_s != cur->tscale_s) {
            hs_route *fresh = NULL;
            HS_TRY(hs_route_create(e->net, e->route_scheme, &rp, 86400.0, ctx, &fresh));
            hs_route_destroy(&ws->router);
            ws->router = fresh;
            ws->route_params = rp;
        }
    }
    ws->run_view = e->view;
    ws->run_view.n_time = n_steps;
    ws->tctx[0] = ctx;
    const double t0 = hs_wall_time();
    HS_TRY(hs_exec_chunks(ws->n_chunks, ws->hru_threads, false, run_chunk, ws, ws->tctx));
    const double t1 = hs_wall_time();
    ws->model_s += t1 - t0;
    if (ws->router) {
        /* mm per daily step, read by the router as m/s; the outlet (or SIM_REACH_ID) is compared.
         * Every segment's series only when kept: a calibration would write 56 MB per
         * evaluation on the distributed Bow to read one column. */
        const size_t ns = hs_network_n_seg(e->net);
        hs_route_init(ws->router);
        if (ws->q_seg) {
            HS_TRY(hs_route_run_scaled(ws->router, n_steps, ws->runoff_mm, 86.4e6, ws->q_seg, ctx));
            for (size_t t = 0; t < n_steps; t++)
                ws->q_sim_m3s[t] = ws->q_seg[t * ns + e->outlet_seg];
        } else {
            /* the calibration's series: with IRF the hillslope UH goes on the outlet series
             * only (hs_route_run_segment_whole; the same discharge up to rounding, a third
             * less routing time on the distributed Bow domain) */
            HS_TRY(hs_route_run_segment_whole(ws->router, n_steps, ws->runoff_mm, 86.4e6,
                                              e->outlet_seg, ws->q_sim_m3s, ctx));
        }
        ws->route_s += hs_wall_time() - t1;
        for (size_t t = 0; t < n_steps; t++) ws->q_sim_mm[t] = ws->q_sim_m3s[t] / e->mm_to_m3s;
        return HS_OK;
    }
    /* unrouted: the area-weighted sum of the HRUs, in index order whatever the threads */
    for (size_t t = 0; t < n_steps; t++) {
        const double *row = ws->runoff_mm + t * nh;
        double q = row[0];
        if (nh > 1) {
            q = 0.0;
            for (size_t i = 0; i < nh; i++)
                q += (e->hru_weight ? e->hru_weight[i] : 1.0 / (double)nh) * row[i];
        }
        ws->q_sim_mm[t] = q;
        ws->q_sim_m3s[t] = q * e->mm_to_m3s;
    }
    return HS_OK;
}

const double *hs_workspace_q_sim_m3s(const hs_workspace *ws) { return ws->q_sim_m3s; }
const double *hs_workspace_q_sim_mm(const hs_workspace *ws) { return ws->q_sim_mm; }
const double *hs_workspace_q_seg(const hs_workspace *ws) { return ws->q_seg; }

hs_status hs_workspace_keep_segments(hs_workspace *ws, hs_ctx *ctx) {
    const hs_experiment *e = ws->e;
    if (!ws->router || ws->q_seg) return HS_OK;
    return HS_ALLOC_ARRAY(ctx, ws->q_seg, e->view.n_time * hs_network_n_seg(e->net),
                          "segment discharge");
}

void hs_workspace_times(const hs_workspace *ws, double *model_s, double *route_s) {
    *model_s = ws->model_s;
    *route_s = ws->route_s;
}

static void spin_for(double seconds) {
    if (seconds <= 0) return;
    const double until = hs_wall_time() + seconds;
    while (hs_wall_time() < until) {
    }
}

hs_status hs_workspace_evaluate(hs_workspace *ws, const double *x, uint64_t id, double *loss,
                                double *value, bool *failed, hs_ctx *ctx) {
    const hs_experiment *e = ws->e;
    for (size_t j = 0; j < e->n_cal; j++) ws->params_full[e->cal_index[j]] = x[j];
    *failed = false;
    hs_status st = hs_workspace_simulate(ws, ws->params_full, ws->n_steps_cal, ctx);
    /* models report parameters outside their physical limits as HS_ERR_ARG (a value, not a
     * programming error, here) and numerical trouble as HS_ERR_NUMERIC: the candidate fails; a
     * resource or I/O failure ends the calibration */
    if (st == HS_ERR_NOMEM || st == HS_ERR_INTERNAL || st == HS_ERR_IO || st == HS_ERR_MPI ||
        st == HS_ERR_EXTERNAL)
        return st;
    double v = NAN;
    if (st != HS_OK) {
        *failed = true; /* the model refused the parameters or broke: the worst objective */
    } else {
        const double *q = ws->q_sim_m3s;
        for (size_t t = 0; t < ws->n_steps_cal; t++) {
            if (!isfinite(q[t])) {
                *failed = true;
                HS_FAIL(ctx, HS_ERR_NUMERIC, "the simulated flow is not finite on step %zu", t);
                break;
            }
        }
        if (!*failed)
            v = hs_metric_eval(e->metric, ws->q_sim_m3s + ws->cal_first,
                               e->q_obs_m3s + ws->cal_first, ws->cal_n);
    }
    *value = v;
    *loss = *failed ? INFINITY : hs_metric_loss(e->metric, v);
    spin_for(hs_eval_delay_seconds(&ws->delay, id));
    return HS_OK;
}

hs_status hs_workspace_enable_batch(hs_workspace *ws, size_t n_lanes, hs_ctx *ctx) {
    const hs_experiment *e = ws->e;
    if (!e->batch_eligible)
        return HS_FAIL(ctx, HS_ERR_INTERNAL, "the batched backend cannot run model %s here",
                       e->ops->name);
    if (n_lanes == 0) n_lanes = 1;
    const hs_model_batch_ops *ops =
        hs_model_batch_find(e->model_ops, e->backend == 3 ? HS_BATCH_GPU : HS_BATCH_SIMD);
    if (!ops)
        return HS_FAIL(ctx, HS_ERR_INTERNAL, "no %s backend for model %s",
                       e->backend == 3 ? "gpu" : "batched", e->ops->name);
    HS_TRY(ops->create(n_lanes, ws->n_steps_cal, e->model_opts, e->n_model_opts, ctx, &ws->batch));
    ws->batch_ops = ops;
    ws->n_lanes = n_lanes;
    HS_TRY(HS_ALLOC_ARRAY(ctx, ws->batch_params, n_lanes * e->n_model_params, "batch parameters"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, ws->batch_runoff, n_lanes * ws->n_steps_cal, "batch runoff"));
    return HS_OK;
}

hs_status hs_workspace_evaluate_batch(hs_workspace *ws, const double *X, const size_t *ids,
                                      size_t n, double *loss, double *value, bool *failed,
                                      hs_ctx *ctx) {
    const hs_experiment *e = ws->e;
    const size_t nc = e->n_cal, np = e->n_model_params, nt = ws->n_steps_cal;
    if (!ws->batch || n > ws->n_lanes) {
        for (size_t k = 0; k < n; k++)
            HS_TRY(hs_workspace_evaluate(ws, X + k * nc, ids[k], &loss[k], &value[k], &failed[k], ctx));
        return HS_OK;
    }
    for (size_t k = 0; k < n; k++) {
        double *p = ws->batch_params + k * np;
        memcpy(p, e->params, np * sizeof *p);
        for (size_t j = 0; j < nc; j++) p[e->cal_index[j]] = X[k * nc + j];
    }
    hs_forcing_view v = e->view;
    v.n_time = nt;
    const double t0 = hs_wall_time();
    hs_status st = ws->batch_ops->run(ws->batch, ws->batch_params, n, &v, ws->batch_runoff, ctx);
    ws->model_s += hs_wall_time() - t0;
    if (st == HS_ERR_ARG) {
        /* some candidate is outside the model's limits: find which, one by one */
        for (size_t k = 0; k < n; k++)
            HS_TRY(hs_workspace_evaluate(ws, X + k * nc, ids[k], &loss[k], &value[k], &failed[k], ctx));
        return HS_OK;
    }
    HS_TRY(st);
    for (size_t k = 0; k < n; k++) {
        const double *q_mm = ws->batch_runoff + k * nt;
        failed[k] = false;
        for (size_t t = 0; t < nt; t++) {
            ws->q_sim_m3s[t] = q_mm[t] * e->mm_to_m3s;
            if (!isfinite(ws->q_sim_m3s[t])) failed[k] = true;
        }
        if (failed[k]) {
            value[k] = NAN;
            loss[k] = INFINITY;
        } else {
            value[k] = hs_metric_eval(e->metric, ws->q_sim_m3s + ws->cal_first,
                                      e->q_obs_m3s + ws->cal_first, ws->cal_n);
            loss[k] = hs_metric_loss(e->metric, value[k]);
        }
        spin_for(hs_eval_delay_seconds(&ws->delay, ids[k]));
    }
    return HS_OK;
}
