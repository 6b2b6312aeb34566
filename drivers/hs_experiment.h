/* hs_experiment.h -- one experiment resolved from the config: periods, prepared forcing,
 * observations, the model and the calibration set-up, plus the evaluation that DDS calls.
 *
 * Everything is read and prepared once (forcing read once, shared read-only); the evaluation
 * loop then touches no file and allocates nothing. */
#ifndef HS_DRIVERS_EXPERIMENT_H
#define HS_DRIVERS_EXPERIMENT_H

#include <stdbool.h>
#include <stddef.h>

#include "hs_config.h"
#include "hs_ctx.h"
#include "hs_forcing.h"
#include "hs_metrics.h"
#include "hs_mizu.h"
#include "hs_model.h"
#include "hs_network.h"
#include "hs_route.h"
#include "hs_time.h"

typedef struct hs_experiment {
    /* identification and paths */
    const char *domain_name;
    const char *experiment_id;
    const char *config_path;
    char out_dir[4096]; /* OUTPUT_DIR/DOMAIN_NAME/EXPERIMENT_ID */
    char forcing_path[4096];
    char obs_path[4096];

    /* time: step 0 is experiment.start */
    hs_period experiment;
    bool has_spinup, has_calib, has_eval;
    hs_period spinup, calib, eval;

    /* prepared forcing [n_time][n_hru] and its description */
    hs_forcing *forcing;
    hs_forcing_view view;
    size_t n_hru;
    double area_km2;
    double z_forcing_m, z_hru_m;
    const char *pet_source; /* "forcing", "oudin" or "hamon" (Hamon 1961 as Raven PET_HAMON) */

    /* domain (DOMAIN_FILE, written by `hydroscale domain`); topo == NULL for a lumped basin
     * described by BASIN_AREA_KM2 and HRU_ELEVATION alone */
    char domain_path[4096];
    hs_topology *topo;
    size_t n_gru, n_seg;
    double *hru_weight;     /* [n_hru] area fractions of the outlet sum (unrouted), sum 1 */
    /* routing (ROUTING_MODEL): net == NULL when unrouted */
    hs_network *net;
    hs_route_scheme route_scheme;
    hs_route_params route_params;
    size_t outlet_seg;      /* network index of SIM_REACH_ID (default: the outlet) */

    /* observed discharge over the experiment (NaN = missing), m3 s-1 */
    double *q_obs_m3s;
    bool has_obs;

    /* model. `ops` is the parameter table every calibration and report uses: the model's own
     * (model_ops), or, for a routed domain, a copy whose table appends the routing parameters
     * (ops_ext over param_table); the model itself is always created from model_ops. */
    const hs_model_ops *ops;
    const hs_model_ops *model_ops;
    hs_model_ops ops_ext;
    hs_param_info *param_table;
    size_t n_model_params;
    hs_model *model;
    hs_model_option *model_opts;
    char *model_opt_text; /* owned text of list-valued options (model_opts points into it) */
    /* elevation (m) the prepared forcing represents: the HRU's once lapsed, else the station's;
     * a model that extrapolates by elevation itself (CemaNeige) gets this as FORCING_ELEVATION,
     * so that the forcing is never moved twice */
    double z_prepared_m;
    bool has_z_prepared;
    char z_prepared_text[32];
    size_t n_model_opts;
    char **model_opt_texts; /* [n_model_opts] owned text of map-valued options, or NULL */
    double *params;     /* [n_params] full vector: defaults, PARAMETERS, --params */
    int backend;        /* MODEL_BACKEND: 0 auto, 1 scalar, 2 batched (validated), 3 gpu */
    bool batch_eligible; /* a batched backend can run this experiment (lumped, unrouted) */
    bool batch_auto;     /* ... and it is a kernel of its own (HBV, GR4J): MODEL_BACKEND auto
                          * may pick it */
    double *params_hru; /* [n_hru][n_params] work copy used by evaluations */

    /* calibration */
    size_t n_cal;
    size_t *cal_index; /* [n_cal] indices into params */
    double *lower, *upper, *x0; /* [n_cal] */
    hs_metric metric;
    long iterations;
    double dds_r;
    unsigned long long seed;

    /* work buffers, allocated once */
    double *runoff_mm; /* [n_time][n_hru] */
    double *q_sim_mm;  /* [n_time] basin */
    double *q_sim_m3s; /* [n_time] */
    double mm_to_m3s;  /* area_km2 / 86.4 */
    const double *q_seg_m3s; /* [n_time][n_seg] of the final run when routed (borrowed), or NULL */
} hs_experiment;

/** Resolves the config into an experiment (reads forcing and observations, prepares the forcing,
 *  creates the model). `params_path` (nullable) is a YAML of parameter values. */
HS_NODISCARD hs_status hs_experiment_create(const hs_config *cfg, const char *output_dir_override,
                                            const char *params_path, bool need_obs, hs_ctx *ctx,
                                            hs_experiment **out);
void hs_experiment_destroy(hs_experiment **e);

/** Routing parameters of a full parameter vector (routed experiments; the model's own
 *  parameters come first, then velo, diff / mann_n, wscale, then fshape, tscale). */
void hs_experiment_route_params(const hs_experiment *e, const double *params,
                                hs_route_params *out);

/** Index of `day` in the experiment (0-based step). */
static inline size_t hs_experiment_step(const hs_experiment *e, hs_day day) {
    return (size_t)(day - e->experiment.start);
}

/** Metrics of q_sim vs q_obs over a period of the experiment. */
typedef struct hs_period_metrics {
    bool valid;
    size_t n_obs;
    double kge, kgep, nse, lognse, rmse, pbias;
    hs_kge_parts parts;
} hs_period_metrics;

void hs_experiment_metrics(const hs_experiment *e, hs_period p, hs_period_metrics *m);

#endif /* HS_DRIVERS_EXPERIMENT_H */
