/* hs_route_cmd.c -- `hydroscale route CONFIG`: route an external runoff file through a river
 * network in mizuRoute formats (docs-interface.md §1-§3; docs-models.md §6; docs/routing.md).
 *
 * Reads TOPOLOGY_FILE (default DOMAIN_FILE) and RUNOFF_FILE/RUNOFF_VARIABLE (geo/hs_mizu.h),
 * builds the network and the router (routing/), routes every step of the runoff file with
 * ROUTING_MODEL (IRF or KWT; IRF when unset) on HRU_THREADS threads, writes
 * OUTPUT_DIR/DOMAIN_NAME/EXPERIMENT_ID/run/routed.nc atomically and prints a summary with the
 * mass balance and the discharge at SIM_REACH_ID (0 = the outlet). Routing parameters come from
 * PARAMETERS (fshape, tscale, velo, diff, mann_n, wscale, min_length_route; §6.5 defaults).
 * The runoff columns are matched to the topology's HRUs by id when the runoff file has an id
 * variable, else by position. */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hs_app.h"
#include "hs_config.h"
#include "hs_io.h"
#include "hs_mizu.h"
#include "hs_model.h"
#include "hs_route.h"
#include "hs_sys.h"

/* The entry point main.c calls for `route` (declared here too: drivers has no header for it). */
hs_status hs_route_cmd_main(const hs_app_options *o, hs_ctx *ctx);

#define ROUTE_PATH_CAP 4096

typedef struct route_job {
    hs_config *cfg;
    hs_config_key *opt_rows;
    hs_topology *topo;
    hs_network *net;
    hs_runoff *runoff;
    double *ro;  /* [n_time][n_hru of the network] m/s */
    double *q;   /* [n_time][n_seg] m3/s */
    hs_route *router;
} route_job;

static void job_free(route_job *j) {
    hs_route_destroy(&j->router);
    hs_free(j->q);
    hs_free(j->ro);
    hs_runoff_destroy(&j->runoff);
    hs_network_destroy(&j->net);
    hs_topology_destroy(&j->topo);
    hs_config_destroy(&j->cfg);
    hs_free(j->opt_rows);
}

/* Routing parameters from PARAMETERS (other entries belong to the hydrological model). */
static hs_status read_params(const hs_config *cfg, hs_route_params *p, hs_ctx *ctx) {
    hs_route_params_default(p);
    const hs_config_entry *e;
    size_t n;
    HS_TRY(hs_config_get_map(cfg, "PARAMETERS", ctx, &e, &n));
    static const char *const names[] = {"fshape", "tscale", "velo", "diff",
                                        "mann_n", "wscale", "min_length_route"};
    double *slots[] = {&p->fshape, &p->tscale_s, &p->velo_ms, &p->diff_m2s,
                       &p->mann_n, &p->wscale, &p->min_length_m};
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
            if (strcmp(e[i].key, names[k]) != 0) continue;
            if (!e[i].value || !hs_config_parse_double(e[i].value, slots[k]))
                return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: PARAMETERS.%s must be a number (found "
                               "'%s')", hs_config_origin(cfg, "PARAMETERS"), names[k],
                               e[i].value ? e[i].value : "a list");
        }
    long threads;
    HS_TRY(hs_config_get_int(cfg, "HRU_THREADS", ctx, &threads));
    p->n_threads = (int)threads;
    return HS_OK;
}

/* Runoff columns -> network HRU order, m/s. */
static hs_status map_runoff(route_job *j, const char *runoff_path, hs_ctx *ctx) {
    const hs_runoff *r = j->runoff;
    const size_t nh = hs_network_n_hru(j->net), nt = r->n_time;
    size_t *col = NULL;
    HS_TRY(HS_ALLOC_ARRAY(ctx, col, nh, "runoff column map"));
    hs_status st = HS_OK;
    if (r->hru_id) {
        for (size_t h = 0; h < nh; h++) col[h] = (size_t)-1;
        size_t unused = 0;
        for (size_t c = 0; c < r->n_hru; c++) {
            const size_t h = hs_network_find_hru(j->net, r->hru_id[c]);
            if (h == HS_NETWORK_NONE) unused++;
            else col[h] = c;
        }
        if (unused)
            hs_log(ctx, HS_LOG_WARN, "%s: %zu runoff column(s) name HRUs that are not in the "
                   "topology; they are ignored", runoff_path, unused);
        for (size_t h = 0; h < nh && st == HS_OK; h++)
            if (col[h] == (size_t)-1)
                st = HS_FAIL(ctx, HS_ERR_FORMAT, "%s: no runoff column for HRU %" PRId64 " of "
                             "the topology", runoff_path, hs_network_hru_id(j->net, h));
    } else if (r->n_hru != nh) {
        st = HS_FAIL(ctx, HS_ERR_FORMAT, "%s: %zu runoff columns and no HRU id variable, but the "
                     "topology has %zu HRUs", runoff_path, r->n_hru, nh);
    } else {
        for (size_t h = 0; h < nh; h++) col[h] = h;
    }
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, j->ro, nt * nh, "routed runoff");
    for (size_t t = 0; st == HS_OK && t < nt; t++)
        for (size_t h = 0; h < nh; h++) j->ro[t * nh + h] = r->runoff_ms[t * r->n_hru + col[h]];
    hs_free(col);
    return st;
}

static hs_status run_route(const hs_app_options *o, route_job *j, hs_ctx *ctx) {
    const double t0 = hs_wall_time();
    if (!o->config_path)
        return HS_FAIL(ctx, HS_ERR_ARG, "route needs a CONFIG file naming TOPOLOGY_FILE and "
                       "RUNOFF_FILE (see --help)");
    HS_TRY(hs_app_load_config(o, ctx, &j->cfg, &j->opt_rows));
    const hs_config *cfg = j->cfg;
    const char *domain, *exp_id, *out_root = o->output_dir, *var;
    char topo_path[ROUTE_PATH_CAP], runoff_path[ROUTE_PATH_CAP], out_path[ROUTE_PATH_CAP];
    HS_TRY(hs_config_get_string(cfg, "DOMAIN_NAME", ctx, &domain));
    HS_TRY(hs_config_get_string(cfg, "EXPERIMENT_ID", ctx, &exp_id));
    if (!out_root) HS_TRY(hs_config_get_string(cfg, "OUTPUT_DIR", ctx, &out_root));
    HS_TRY(hs_config_get_path(cfg, "TOPOLOGY_FILE", ctx, topo_path, sizeof topo_path));
    if (!topo_path[0]) HS_TRY(hs_config_get_path(cfg, "DOMAIN_FILE", ctx, topo_path, sizeof topo_path));
    if (!topo_path[0])
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: route needs TOPOLOGY_FILE (or DOMAIN_FILE): the "
                       "mizuRoute network netCDF", hs_config_path(cfg));
    HS_TRY(hs_config_get_path(cfg, "RUNOFF_FILE", ctx, runoff_path, sizeof runoff_path));
    if (!runoff_path[0])
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: route needs RUNOFF_FILE (runoff per HRU, netCDF)",
                       hs_config_path(cfg));
    HS_TRY(hs_config_get_string(cfg, "RUNOFF_VARIABLE", ctx, &var));
    int scheme_idx = 1; /* IRF when unset (docs-interface.md §2: IRF for distributed domains) */
    if (hs_config_has(cfg, "ROUTING_MODEL")) {
        HS_TRY(hs_config_get_enum(cfg, "ROUTING_MODEL", ctx, &scheme_idx, NULL));
        if (scheme_idx == 0)
            return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: ROUTING_MODEL is none; route needs IRF or KWT",
                           hs_config_origin(cfg, "ROUTING_MODEL"));
    }
    const hs_route_scheme scheme = scheme_idx == 2 ? HS_ROUTE_KWT : HS_ROUTE_IRF;
    hs_route_params p;
    HS_TRY(read_params(cfg, &p, ctx));
    long sim_reach;
    HS_TRY(hs_config_get_int(cfg, "SIM_REACH_ID", ctx, &sim_reach));
    int n = snprintf(out_path, sizeof out_path, "%s/%s/%s/run/routed.nc", out_root, domain, exp_id);
    if (n < 0 || (size_t)n >= sizeof out_path)
        return HS_FAIL(ctx, HS_ERR_CONFIG, "OUTPUT_DIR: path too long");

    /* inputs */
    HS_TRY(hs_topology_read(ctx, topo_path, &j->topo));
    const hs_network_desc d = {j->topo->n_seg, j->topo->seg_id, j->topo->down_seg_id,
                               j->topo->length_m, j->topo->slope, j->topo->n_hru,
                               j->topo->hru_id, j->topo->hru_seg_id, j->topo->area_m2, 0,
                               topo_path};
    HS_TRY(hs_network_create(&d, ctx, &j->net));
    size_t reach = hs_network_outlet(j->net);
    if (sim_reach != 0) {
        reach = hs_network_find_seg(j->net, (int64_t)sim_reach);
        if (reach == HS_NETWORK_NONE)
            return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: SIM_REACH_ID %ld is not a segment of %s",
                           hs_config_origin(cfg, "SIM_REACH_ID"), sim_reach, topo_path);
    }
    HS_TRY(hs_runoff_read(ctx, runoff_path, var, &j->runoff));
    HS_TRY(map_runoff(j, runoff_path, ctx));
    const size_t nt = j->runoff->n_time, ns = hs_network_n_seg(j->net);
    const size_t nh = hs_network_n_hru(j->net);
    const double dt = j->runoff->dt_s;
    hs_log(ctx, HS_LOG_INFO, "routing %s with %s: %zu segments (%zu sub-trees), %zu HRUs, %zu "
           "steps of %g s, %d thread(s)", runoff_path, hs_route_scheme_name(scheme), ns,
           hs_network_n_trees(j->net), nh, nt, dt, p.n_threads);

    /* route */
    HS_TRY(HS_ALLOC_ARRAY(ctx, j->q, nt * ns, "routed discharge"));
    hs_status st = hs_route_create(j->net, scheme, &p, dt, ctx, &j->router);
    if (st != HS_OK) return hs_ctx_prefix(ctx, "%s", hs_config_path(cfg));
    const double t_route = hs_wall_time();
    st = hs_route_run(j->router, nt, j->ro, j->q, ctx);
    if (st != HS_OK) return hs_ctx_prefix(ctx, "%s", runoff_path);
    const double route_s = hs_wall_time() - t_route;

    /* output */
    const hs_routed out = {nt, ns, j->runoff->time, j->runoff->time_units, j->runoff->calendar,
                           j->topo->seg_id, j->q, hs_route_scheme_name(scheme), domain, exp_id};
    char dir[ROUTE_PATH_CAP];
    hs_io_dirname(out_path, dir, sizeof dir);
    HS_TRY(hs_io_mkdirs(ctx, dir));
    /* hs_network keeps the input segment order, so topo->seg_id labels q's columns */
    HS_TRY(hs_routed_write_nc(ctx, out_path, &out));

    /* summary: mass balance of the whole network and the discharge at the chosen reach */
    double in_v = 0.0, out_v = 0.0, q_sum = 0.0, q_max = -INFINITY;
    size_t k_max = 0;
    const size_t outlet = hs_network_outlet(j->net);
    for (size_t t = 0; t < nt; t++) {
        for (size_t h = 0; h < nh; h++) {
            if (j->topo->hru_seg_id[h] > 0)
                in_v += j->ro[t * nh + h] * hs_network_hru_area_m2(j->net, h) * dt;
        }
        out_v += j->q[t * ns + outlet] * dt;
        const double qr = j->q[t * ns + reach];
        q_sum += qr;
        if (qr > q_max) {
            q_max = qr;
            k_max = t;
        }
    }
    const double store = hs_route_storage_m3(j->router);
    const double resid = in_v - out_v - store;
    printf("hydroscale route: %s on %s (%zu segments, %zu HRUs, %zu steps of %g s, %d thread(s))"
           "\n", hs_route_scheme_name(scheme), domain, ns, nh, nt, dt, p.n_threads);
    printf("  mass balance   runoff in %.6e m3, outlet out %.6e m3, in transit %.6e m3, residual "
           "%.3e m3 (relative %.2e)\n", in_v, out_v, store, resid,
           in_v != 0.0 ? fabs(resid) / fabs(in_v) : 0.0);
    printf("  reach %" PRId64 "%s  mean %.6g m3/s, max %.6g m3/s at step %zu\n",
           hs_network_seg_id(j->net, reach), reach == outlet ? " (outlet)" : "", q_sum / (double)nt,
           q_max, k_max + 1);
    printf("  routing %.3f s (%.1f ns per segment-step); output %s (wall %.2f s)\n", route_s,
           1e9 * route_s / ((double)nt * (double)ns), out_path, hs_wall_time() - t0);
    return HS_OK;
}

hs_status hs_route_cmd_main(const hs_app_options *o, hs_ctx *ctx) {
    route_job j;
    memset(&j, 0, sizeof j);
    hs_status st = run_route(o, &j, ctx);
    job_free(&j);
    return st;
}
