/* hs_experiment.c -- config -> experiment: forcing preparation, observations, model and
 * calibration set-up (see hs_experiment.h). */
#define _POSIX_C_SOURCE 200809L
#include "hs_experiment.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hs_grid.h"
#include "hs_hbv_gpu.h"
#include "hs_io.h"
#include "hs_model_batch.h"
#include "hs_pet.h"
#include "hs_prep.h"

#define PI 3.14159265358979323846

static hs_status get_optional_double(const hs_config *cfg, const char *key, hs_ctx *ctx,
                                     bool *has, double *out) {
    *has = hs_config_has(cfg, key);
    if (*has) HS_TRY(hs_config_get_double(cfg, key, ctx, out));
    return HS_OK;
}

static hs_status get_optional_period(const hs_config *cfg, const char *key, hs_ctx *ctx,
                                     bool *has, hs_period *out) {
    *has = hs_config_has(cfg, key);
    if (*has) HS_TRY(hs_config_get_period(cfg, key, ctx, out));
    return HS_OK;
}

/* FORCING_VARIABLES: role -> name, with the interface's defaults pr/tas/pet. */
static hs_status forcing_names(const hs_config *cfg, hs_ctx *ctx, hs_forcing_spec *spec) {
    spec->var_precip = "pr";
    spec->var_temp = "tas";
    spec->var_pet = "pet";
    const hs_config_entry *map;
    size_t n;
    HS_TRY(hs_config_get_map(cfg, "FORCING_VARIABLES", ctx, &map, &n));
    for (size_t i = 0; i < n; i++) {
        if (!map[i].value)
            return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: FORCING_VARIABLES: %s must name one variable",
                           hs_config_origin(cfg, "FORCING_VARIABLES"), map[i].key);
        if (strcasecmp(map[i].key, "precip") == 0)
            spec->var_precip = map[i].value;
        else if (strcasecmp(map[i].key, "temp") == 0)
            spec->var_temp = map[i].value;
        else if (strcasecmp(map[i].key, "pet") == 0)
            spec->var_pet = map[i].value;
        else
            return HS_FAIL(ctx, HS_ERR_CONFIG,
                           "%s: FORCING_VARIABLES: unknown role '%s'; expected precip, temp, pet",
                           hs_config_origin(cfg, "FORCING_VARIABLES"), map[i].key);
    }
    return HS_OK;
}

static hs_status check_within(hs_ctx *ctx, const char *key, hs_period p, hs_period outer,
                              const char *outer_what) {
    if (p.start < outer.start || p.end > outer.end) {
        char a[11], b[11], c[11], d[11];
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s %s..%s lies outside %s %s..%s", key,
                       hs_day_format(p.start, a), hs_day_format(p.end, b), outer_what,
                       hs_day_format(outer.start, c), hs_day_format(outer.end, d));
    }
    return HS_OK;
}

static hs_status resolve_periods(hs_experiment *e, const hs_config *cfg, const hs_forcing *f,
                                 hs_ctx *ctx) {
    hs_period span = {f->first_day, f->first_day + (hs_day)f->n_time - 1};
    e->experiment = span;
    if (hs_config_has(cfg, "EXPERIMENT_TIME_START"))
        HS_TRY(hs_config_get_date(cfg, "EXPERIMENT_TIME_START", ctx, &e->experiment.start));
    if (hs_config_has(cfg, "EXPERIMENT_TIME_END"))
        HS_TRY(hs_config_get_date(cfg, "EXPERIMENT_TIME_END", ctx, &e->experiment.end));
    if (e->experiment.end < e->experiment.start)
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: EXPERIMENT_TIME_END is before EXPERIMENT_TIME_START",
                       e->config_path);
    char what[4200];
    snprintf(what, sizeof what, "the forcing of %s", e->forcing_path);
    HS_TRY(check_within(ctx, "experiment period", e->experiment, span, what));
    HS_TRY(get_optional_period(cfg, "SPINUP_PERIOD", ctx, &e->has_spinup, &e->spinup));
    HS_TRY(get_optional_period(cfg, "CALIBRATION_PERIOD", ctx, &e->has_calib, &e->calib));
    HS_TRY(get_optional_period(cfg, "EVALUATION_PERIOD", ctx, &e->has_eval, &e->eval));
    if (e->has_spinup)
        HS_TRY(check_within(ctx, "SPINUP_PERIOD", e->spinup, e->experiment, "the experiment period"));
    if (e->has_calib)
        HS_TRY(check_within(ctx, "CALIBRATION_PERIOD", e->calib, e->experiment,
                            "the experiment period"));
    if (e->has_eval)
        HS_TRY(check_within(ctx, "EVALUATION_PERIOD", e->eval, e->experiment,
                            "the experiment period"));
    if (e->has_spinup && e->has_calib && e->spinup.end >= e->calib.start)
        return HS_FAIL(ctx, HS_ERR_CONFIG,
                       "%s: SPINUP_PERIOD must end before CALIBRATION_PERIOD starts",
                       hs_config_origin(cfg, "SPINUP_PERIOD"));
    if (e->has_spinup && e->has_eval && e->spinup.end >= e->eval.start)
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: SPINUP_PERIOD must end before EVALUATION_PERIOD starts",
                       hs_config_origin(cfg, "SPINUP_PERIOD"));
    return HS_OK;
}

/* Latitude for Oudin: LATITUDE, else the lat of POUR_POINT_COORDS ("lat/lon"). */
static hs_status latitude(const hs_config *cfg, hs_ctx *ctx, double *lat) {
    bool has;
    HS_TRY(get_optional_double(cfg, "LATITUDE", ctx, &has, lat));
    if (has) return HS_OK;
    if (hs_config_has(cfg, "POUR_POINT_COORDS")) {
        const char *s;
        HS_TRY(hs_config_get_string(cfg, "POUR_POINT_COORDS", ctx, &s));
        double lon;
        if (sscanf(s, "%lf/%lf", lat, &lon) == 2 && fabs(*lat) <= 90) return HS_OK;
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: POUR_POINT_COORDS: '%s' is not lat/lon",
                       hs_config_origin(cfg, "POUR_POINT_COORDS"), s);
    }
    return HS_FAIL(ctx, HS_ERR_CONFIG,
                   "%s: Oudin PET needs the latitude: set LATITUDE (degrees) or POUR_POINT_COORDS",
                   hs_config_path(cfg));
}

/* Gridded forcing (ERA5-like): daily means of the grid, remapped to the domain's HRUs by the
 * area of their polygons in each cell (geo/hs_grid.h); the weights are written beside the
 * domain. */
static hs_status read_gridded(hs_experiment *e, const hs_forcing_spec *spec, hs_ctx *ctx,
                              hs_forcing **raw) {
    if (!e->topo)
        return HS_FAIL(ctx, HS_ERR_CONFIG,
                       "%s: gridded forcing is remapped to the HRUs of a domain: build one with "
                       "`hydroscale domain` (DOMAIN_DISCRETIZATION) or give DOMAIN_FILE",
                       e->forcing_path);
    char dir[4096], gpkg[4200], csv[4400];
    hs_io_dirname(e->domain_path, dir, sizeof dir);
    snprintf(gpkg, sizeof gpkg, "%s/domain.gpkg", dir);
    const char *base = strrchr(e->forcing_path, '/');
    base = base ? base + 1 : e->forcing_path;
    snprintf(csv, sizeof csv, "%s/remap_%.*s.csv", dir, (int)strcspn(base, "."), base);
    hs_grid *g = NULL;
    hs_remap *r = NULL;
    hs_status st = hs_grid_read(ctx, e->forcing_path, spec->var_precip, spec->var_temp,
                                spec->var_pet, &g);
    if (st == HS_OK) st = hs_remap_compute(ctx, gpkg, g, e->topo->hru_id, e->topo->n_hru, &r);
    if (st == HS_OK) st = hs_remap_write_csv(ctx, csv, r, e->topo->hru_id);
    if (st == HS_OK) st = hs_remap_apply(ctx, g, r, e->topo->n_hru, raw);
    if (st == HS_OK)
        hs_log(ctx, HS_LOG_INFO,
               "%s: %zu x %zu grid, %d steps a day -> %zu days; remapped to %zu HRUs (%zu "
               "weights in %s)%s%s",
               e->forcing_path, g->n_lat, g->n_lon, g->steps_per_day, g->n_day, e->topo->n_hru,
               r->n, csv, g->note[0] ? "; " : "", g->note);
    hs_remap_destroy(&r);
    hs_grid_destroy(&g);
    return st;
}

static hs_status prepare_forcing(hs_experiment *e, const hs_config *cfg, hs_ctx *ctx) {
    hs_forcing_spec spec;
    memset(&spec, 0, sizeof spec);
    HS_TRY(hs_config_get_path(cfg, "FORCING_FILE", ctx, e->forcing_path, sizeof e->forcing_path));
    spec.path = e->forcing_path;
    HS_TRY(forcing_names(cfg, ctx, &spec));
    hs_forcing *raw = NULL;
    const bool gridded = hs_grid_is_gridded(e->forcing_path, spec.var_temp);
    if (gridded) HS_TRY(read_gridded(e, &spec, ctx, &raw));
    else HS_TRY(hs_forcing_read(ctx, &spec, &raw));
    /* forcing that already describes each HRU (remapped grid, or one series per HRU) is used as
     * it is; a single series is a station, moved to each HRU's elevation */
    const bool per_hru_input =
        e->topo && (gridded || (raw->n_hru == e->topo->n_hru && raw->n_hru > 1));
    hs_status st = resolve_periods(e, cfg, raw, ctx);
    size_t first = (size_t)(e->experiment.start - raw->first_day);
    size_t count = (size_t)hs_period_days(e->experiment);

    int pet_method = 0;
    if (st == HS_OK) st = hs_config_get_enum(cfg, "PET_METHOD", ctx, &pet_method, NULL);
    if (st == HS_OK) {
        if (pet_method == 0) pet_method = raw->pet_mm ? 1 : 2; /* auto */
        if (pet_method == 1 && !raw->pet_mm)
            st = HS_FAIL(ctx, HS_ERR_CONFIG,
                         "%s: PET_METHOD is forcing but %s has no variable '%s' (FORCING_VARIABLES.pet)",
                         hs_config_origin(cfg, "PET_METHOD"), e->forcing_path, spec.var_pet);

    }
    long max_gap = 5;
    if (st == HS_OK) st = hs_config_get_int(cfg, "FORCING_MAX_GAP_DAYS", ctx, &max_gap);
    hs_gap_report gaps = {0, 0, 0};
    if (st == HS_OK) {
        if (pet_method != 1) { /* PET is recomputed; its gaps do not matter */
            hs_free(raw->pet_mm);
            raw->pet_mm = NULL;
        }
        st = hs_prep_fill_gaps(ctx, e->forcing_path, &spec, raw, first, count, (size_t)max_gap, &gaps);
    }
    if (st == HS_OK && gaps.filled_precip + gaps.filled_temp + gaps.filled_pet > 0)
        hs_log(ctx, HS_LOG_WARN,
               "%s: filled %zu missing precipitation day(s) with 0, %zu temperature and %zu PET "
               "day(s) by linear interpolation (gaps of at most %ld days)",
               e->forcing_path, gaps.filled_precip, gaps.filled_temp, gaps.filled_pet, max_gap);

    /* elevation transfer from the station to the basin */
    bool has_zf = false, has_zh = false;
    double zf = 0, zh = 0;
    if (st == HS_OK) st = get_optional_double(cfg, "FORCING_ELEVATION", ctx, &has_zf, &zf);
    if (st == HS_OK) st = get_optional_double(cfg, "HRU_ELEVATION", ctx, &has_zh, &zh);
    if (!has_zf) zf = zh;
    if (!has_zh) zh = zf;
    e->z_forcing_m = zf;
    e->z_hru_m = zh;
    hs_elev_spec es;
    double *zeros = NULL;
    memset(&es, 0, sizeof es);
    es.z_forcing_m = zf;
    es.z_hru_m = &e->z_hru_m;
    es.n_hru_out = 1;
    if (e->topo) {
        /* a domain: lumped forcing is moved to each HRU's own elevation; forcing that is already
         * per HRU (n_hru columns) is taken as it is */
        es.n_hru_out = e->topo->n_hru;
        if (per_hru_input) {
            es.apply_lapse = false; /* and no gradient: the transfer only takes the window */
            es.z_hru_m = e->topo->elev_m;
            if (!es.z_hru_m) {
                HS_TRY(HS_ALLOC_ARRAY(ctx, zeros, e->topo->n_hru, "HRU elevations"));
                es.z_hru_m = zeros;
            }
            es.z_forcing_m = 0.0;
        } else if (raw->n_hru != 1) {
            st = HS_FAIL(ctx, HS_ERR_FORMAT,
                         "%s: the forcing has %zu series; the domain %s has %zu HRUs (give one "
                         "series for the basin, or one per HRU)",
                         e->forcing_path, raw->n_hru, e->domain_path, e->topo->n_hru);
        } else if (!e->topo->elev_m) {
            st = HS_FAIL(ctx, HS_ERR_FORMAT,
                         "%s: no elev_mean variable to move the station forcing to each HRU",
                         e->domain_path);
        }
        if (e->topo->elev_m) {
            double zsum = 0;
            for (size_t i = 0; i < e->topo->n_hru; i++)
                zsum += e->topo->elev_m[i] * e->hru_weight[i];
            e->z_hru_m = zsum; /* the basin's area-weighted mean elevation, for reports */
        }
    }
    if (st == HS_OK && !per_hru_input)
        st = hs_config_get_bool(cfg, "APPLY_LAPSE_RATE", ctx, &es.apply_lapse);
    if (st == HS_OK) st = hs_config_get_double(cfg, "LAPSE_RATE", ctx, &es.lapse_rate_k_per_m);
    if (st == HS_OK && !per_hru_input)
        st = hs_config_get_double(cfg, "PRECIP_GRADIENT", ctx, &es.precip_gradient_per_100m);
    if (st == HS_OK && e->topo && !per_hru_input) es.z_hru_m = e->topo->elev_m;
    if (st == HS_OK) st = hs_prep_to_hrus(ctx, raw, first, count, &es, &e->forcing);
    hs_free(zeros);
    e->has_z_prepared = has_zf || has_zh;
    e->z_prepared_m = es.apply_lapse ? e->z_hru_m : zf;
    hs_forcing_destroy(&raw);
    HS_TRY(st);

    hs_forcing *f = e->forcing;
    if (pet_method == 2 || pet_method == 3) {
        double lat_deg;
        HS_TRY(latitude(cfg, ctx, &lat_deg));
        HS_TRY(HS_ALLOC_ARRAY(ctx, f->pet_mm, f->n_time * f->n_hru, "PET"));
        for (size_t t = 0; t < f->n_time; t++) {
            int doy = hs_day_of_year(f->first_day + (hs_day)t);
            for (size_t i = 0; i < f->n_hru; i++) {
                /* each HRU's own latitude when the domain gives it */
                const double lat = (e->topo && e->topo->lat ? e->topo->lat[i] : lat_deg) * PI / 180.0;
                f->pet_mm[t * f->n_hru + i] =
                    pet_method == 2 ? hs_pet_oudin(f->temp_c[t * f->n_hru + i], lat, doy)
                                    : hs_pet_hamon(f->temp_c[t * f->n_hru + i], lat, doy);
            }
        }
        e->pet_source = pet_method == 2 ? "oudin" : "hamon";
    } else {
        e->pet_source = "forcing";
    }
    e->n_hru = f->n_hru;
    e->view.n_time = f->n_time;
    e->view.n_hru = f->n_hru;
    e->view.first_day = f->first_day;
    e->view.precip_mm = f->precip_mm;
    e->view.temp_c = f->temp_c;
    e->view.pet_mm = f->pet_mm;
    return HS_OK;
}

static hs_status read_observations(hs_experiment *e, const hs_config *cfg, bool need_obs,
                                   hs_ctx *ctx) {
    size_t n = (size_t)hs_period_days(e->experiment);
    HS_TRY(HS_ALLOC_ARRAY(ctx, e->q_obs_m3s, n, "observations"));
    for (size_t t = 0; t < n; t++) e->q_obs_m3s[t] = NAN;
    if (!hs_config_has(cfg, "OBSERVATIONS_FILE")) {
        if (need_obs)
            return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: calibrate needs OBSERVATIONS_FILE (observed discharge)",
                           hs_config_path(cfg));
        return HS_OK;
    }
    HS_TRY(hs_config_get_path(cfg, "OBSERVATIONS_FILE", ctx, e->obs_path, sizeof e->obs_path));
    const char *var;
    HS_TRY(hs_config_get_string(cfg, "OBSERVATIONS_VARIABLE", ctx, &var));
    hs_series *obs = NULL;
    HS_TRY(hs_series_read(ctx, e->obs_path, var, &obs));
    size_t valid = 0;
    for (size_t t = 0; t < n; t++) {
        hs_day d = e->experiment.start + (hs_day)t;
        if (d < obs->first_day || d >= obs->first_day + (hs_day)obs->n) continue;
        double q = obs->values[d - obs->first_day];
        if (isfinite(q) && q < 0) {
            char buf[11];
            hs_series_destroy(&obs);
            return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: %s on %s is negative (%g m3 s-1)",
                           e->obs_path, var, hs_day_format(d, buf), q);
        }
        e->q_obs_m3s[t] = q;
        valid += isfinite(q);
    }
    hs_series_destroy(&obs);
    e->has_obs = valid > 0;
    if (need_obs && e->has_calib) {
        size_t in_cal = 0;
        for (hs_day d = e->calib.start; d <= e->calib.end; d++)
            in_cal += isfinite(e->q_obs_m3s[hs_experiment_step(e, d)]);
        if (in_cal < 2)
            return HS_FAIL(ctx, HS_ERR_CONFIG,
                           "%s: %s has %zu observation(s) in CALIBRATION_PERIOD; need at least 2",
                           hs_config_origin(cfg, "CALIBRATION_PERIOD"), e->obs_path, in_cal);
    }
    return HS_OK;
}

static hs_status parse_param_value(hs_ctx *ctx, const char *origin, const char *name,
                                   const char *text, double *out) {
    if (!text || !hs_config_parse_double(text, out))
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: parameter %s: '%s' is not a number", origin, name,
                       text ? text : "(list)");
    return HS_OK;
}

static hs_status unknown_param(hs_ctx *ctx, const hs_model_ops *ops, const char *origin,
                               const char *name) {
    char names[1024] = "";
    for (size_t k = 0; k < ops->n_params; k++) {
        strncat(names, ops->params[k].name, sizeof names - strlen(names) - 1);
        if (k + 1 < ops->n_params) strncat(names, ", ", sizeof names - strlen(names) - 1);
    }
    return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: %s has no parameter '%s'; expected one of: %s",
                   origin, ops->name, name, names);
}

static hs_status read_params_file(hs_experiment *e, const char *path, hs_ctx *ctx) {
    hs_config *pc = NULL;
    HS_TRY(hs_config_create(ctx, &pc));
    hs_status st = hs_config_load(pc, path, ctx);
    for (size_t i = 0; st == HS_OK && i < hs_config_n_entries(pc); i++) {
        const char *key, *value;
        st = hs_config_entry_scalar(pc, i, ctx, &key, &value);
        if (st != HS_OK) break;
        long k = hs_model_param_index(e->ops, key);
        if (k < 0) {
            /* best_params.yaml also records the model and objective: skip those keys */
            if (strcmp(key, "model") == 0 || strcmp(key, "objective") == 0 ||
                strcmp(key, "objective_value") == 0)
                continue;
            st = unknown_param(ctx, e->ops, path, key);
            break;
        }
        st = parse_param_value(ctx, path, key, value, &e->params[k]);
    }
    hs_config_destroy(&pc);
    return st;
}

static hs_status setup_parameters(hs_experiment *e, const hs_config *cfg, const char *params_path,
                                  hs_ctx *ctx) {
    const hs_model_ops *ops = e->ops;
    size_t np = ops->n_params;
    HS_TRY(HS_ALLOC_ARRAY(ctx, e->params, np, "parameters"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, e->params_hru, np * e->n_hru, "parameters"));
    double *lo_all, *hi_all;
    HS_TRY(HS_ALLOC_ARRAY(ctx, lo_all, np, "bounds"));
    hs_status st = HS_ALLOC_ARRAY(ctx, hi_all, np, "bounds");
    if (st != HS_OK) {
        hs_free(lo_all);
        return st;
    }
    for (size_t k = 0; k < np; k++) {
        e->params[k] = ops->params[k].dflt;
        lo_all[k] = ops->params[k].lower;
        hi_all[k] = ops->params[k].upper;
    }
    const hs_config_entry *map;
    size_t n;
    const char *origin = hs_config_origin(cfg, "PARAMETERS");
    st = hs_config_get_map(cfg, "PARAMETERS", ctx, &map, &n);
    for (size_t i = 0; st == HS_OK && i < n; i++) {
        long k = hs_model_param_index(ops, map[i].key);
        if (k < 0) st = unknown_param(ctx, ops, origin, map[i].key);
        else st = parse_param_value(ctx, origin, map[i].key, map[i].value, &e->params[k]);
    }
    if (st == HS_OK && params_path) st = read_params_file(e, params_path, ctx);

    origin = hs_config_origin(cfg, "PARAMETER_BOUNDS");
    if (st == HS_OK) st = hs_config_get_map(cfg, "PARAMETER_BOUNDS", ctx, &map, &n);
    for (size_t i = 0; st == HS_OK && i < n; i++) {
        long k = hs_model_param_index(ops, map[i].key);
        if (k < 0) {
            st = unknown_param(ctx, ops, origin, map[i].key);
            break;
        }
        double lo, hi;
        if (map[i].n_items != 2 || !hs_config_parse_double(map[i].items[0], &lo) ||
            !hs_config_parse_double(map[i].items[1], &hi)) {
            st = HS_FAIL(ctx, HS_ERR_CONFIG, "%s: PARAMETER_BOUNDS: %s: expected [lower, upper]",
                         origin, map[i].key);
            break;
        }
        if (!(lo < hi)) {
            st = HS_FAIL(ctx, HS_ERR_CONFIG,
                         "%s: PARAMETER_BOUNDS: %s: lower bound %g is not below upper bound %g",
                         origin, map[i].key, lo, hi);
            break;
        }
        lo_all[k] = lo;
        hi_all[k] = hi;
    }

    /* calibrated subset */
    const char *const *names = NULL;
    size_t n_names = 0;
    if (st == HS_OK && hs_config_has(cfg, "PARAMS_TO_CALIBRATE"))
        st = hs_config_get_list(cfg, "PARAMS_TO_CALIBRATE", ctx, &names, &n_names);
    size_t n_cal = 0;
    if (st == HS_OK) {
        if (names) n_cal = n_names;
        else
            for (size_t k = 0; k < np; k++) n_cal += ops->params[k].calibrate;
        if (n_cal == 0)
            st = HS_FAIL(ctx, HS_ERR_CONFIG, "%s: PARAMS_TO_CALIBRATE is empty",
                         hs_config_origin(cfg, "PARAMS_TO_CALIBRATE"));
    }
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, e->cal_index, n_cal, "calibration set");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, e->lower, n_cal, "calibration set");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, e->upper, n_cal, "calibration set");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, e->x0, n_cal, "calibration set");
    size_t j = 0;
    for (size_t k = 0; st == HS_OK && k < (names ? n_names : np); k++) {
        long idx;
        if (names) {
            idx = hs_model_param_index(ops, names[k]);
            if (idx < 0) {
                st = unknown_param(ctx, ops, hs_config_origin(cfg, "PARAMS_TO_CALIBRATE"),
                                   names[k]);
                break;
            }
            for (size_t q = 0; q < j; q++)
                if (e->cal_index[q] == (size_t)idx) {
                    st = HS_FAIL(ctx, HS_ERR_CONFIG, "%s: PARAMS_TO_CALIBRATE lists %s twice",
                                 hs_config_origin(cfg, "PARAMS_TO_CALIBRATE"), names[k]);
                    break;
                }
            if (st != HS_OK) break;
        } else {
            if (!ops->params[k].calibrate) continue;
            idx = (long)k;
        }
        e->cal_index[j] = (size_t)idx;
        e->lower[j] = lo_all[idx];
        e->upper[j] = hi_all[idx];
        double x = e->params[idx];
        if (x < e->lower[j] || x > e->upper[j]) {
            double c = x < e->lower[j] ? e->lower[j] : e->upper[j];
            hs_log(ctx, HS_LOG_WARN,
                   "starting value of %s (%g) is outside its bounds [%g, %g]; starting from %g",
                   ops->params[idx].name, x, e->lower[j], e->upper[j], c);
            x = c;
        }
        e->x0[j] = x;
        j++;
    }
    e->n_cal = j;
    hs_free(lo_all);
    hs_free(hi_all);
    return st;
}

/* Model options reach the models as text (hs_model.h). A map value, such as
 * FUSE_DECISIONS: {ARCH1: tension1_1, QSURF: arno_x_vic}, is passed on as that text,
 * "{ARCH1: tension1_1, QSURF: arno_x_vic}"; *out stays NULL for any other value. The map is probed
 * on a scratch context so that a scalar value leaves no error message behind. */
static hs_status map_option_text(const hs_config *cfg, const char *key, hs_ctx *ctx, char **out) {
    *out = NULL;
    hs_ctx *probe = hs_ctx_clone(ctx);
    if (!probe) return HS_FAIL(ctx, HS_ERR_NOMEM, "cannot allocate a context");
    const hs_config_entry *map = NULL;
    size_t n = 0;
    const bool is_map = hs_config_get_map(cfg, key, probe, &map, &n) == HS_OK && map != NULL;
    hs_ctx_destroy(&probe);
    if (!is_map) return HS_OK;
    size_t len = 3;
    for (size_t i = 0; i < n; i++) {
        if (!map[i].value)
            return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: %s: '%s' must be a single value, not a list",
                           hs_config_origin(cfg, key), key, map[i].key);
        len += strlen(map[i].key) + strlen(map[i].value) + 4;
    }
    char *text = NULL;
    HS_TRY(hs_alloc(ctx, len, 1, "model option text", (void **)&text));
    strcpy(text, "{");
    for (size_t i = 0; i < n; i++) {
        if (i) strcat(text, ", ");
        strcat(text, map[i].key);
        strcat(text, ": ");
        strcat(text, map[i].value);
    }
    strcat(text, "}");
    *out = text;
    return HS_OK;
}

static hs_status setup_model(hs_experiment *e, const hs_config *cfg, hs_ctx *ctx) {
    const char *name;
    HS_TRY(hs_config_get_string(cfg, "HYDROLOGICAL_MODEL", ctx, &name));
    e->ops = hs_model_find(name);
    /* the contract spells GR4J with CemaNeige as HYDROLOGICAL_MODEL: GR4J + SNOW_MODULE:
     * CemaNeige; the registry keeps them apart because CemaNeige adds two parameters */
    if (e->ops && strcasecmp(e->ops->name, "GR4J") == 0 && hs_config_has(cfg, "SNOW_MODULE")) {
        const char *snow = NULL;
        HS_TRY(hs_config_get_string(cfg, "SNOW_MODULE", ctx, &snow));
        if (strcasecmp(snow, "CemaNeige") == 0) {
            e->ops = hs_model_find("GR4J_CemaNeige");
            hs_log(ctx, HS_LOG_INFO, "HYDROLOGICAL_MODEL GR4J with SNOW_MODULE CemaNeige: model "
                                     "GR4J_CemaNeige (parameters x1..x4, ctg, kf)");
        }
    }
    if (!e->ops) {
        char names[512] = "";
        for (size_t i = 0; i < hs_model_count(); i++) {
            if (i) strncat(names, ", ", sizeof names - strlen(names) - 1);
            strncat(names, hs_model_at(i)->name, sizeof names - strlen(names) - 1);
        }
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: HYDROLOGICAL_MODEL: unknown model '%s'; available: %s",
                       hs_config_origin(cfg, "HYDROLOGICAL_MODEL"), name, names);
    }
    HS_TRY(HS_ALLOC_ARRAY(ctx, e->model_opts, e->ops->n_option_keys + 1, "model options"));
    /* Model options are text. A key the application schema types as a list (HYPSOMETRIC_CURVE)
     * is passed as "[a, b, ...]" in one buffer owned by the experiment; typed scalars are
     * validated by their getter first, then passed as written. */
    size_t text_cap = 1;
    for (size_t i = 0; i < e->ops->n_option_keys; i++) {
        const char *key = e->ops->option_keys[i];
        const hs_config_key *row = hs_config_schema_row(cfg, key);
        if (!hs_config_has(cfg, key) || !row || row->type != HS_CFG_LIST) continue;
        const char *const *items;
        size_t n;
        HS_TRY(hs_config_get_list(cfg, key, ctx, &items, &n));
        text_cap += 3;
        for (size_t k = 0; k < n; k++) text_cap += strlen(items[k]) + 2;
    }
    HS_TRY(HS_ALLOC_ARRAY(ctx, e->model_opt_text, text_cap, "model options"));
    size_t text_len = 0;
    HS_TRY(HS_ALLOC_ARRAY(ctx, e->model_opt_texts, e->ops->n_option_keys + 1, "model options"));
    for (size_t i = 0; i < e->ops->n_option_keys; i++) {
        const char *key = e->ops->option_keys[i];
        if (strcmp(key, "FORCING_ELEVATION") == 0 && e->has_z_prepared) {
            snprintf(e->z_prepared_text, sizeof e->z_prepared_text, "%.17g", e->z_prepared_m);
            e->model_opts[e->n_model_opts].key = key;
            e->model_opts[e->n_model_opts].value = e->z_prepared_text;
            e->n_model_opts++;
            continue;
        }
        if (!hs_config_has(cfg, key)) continue;
        const hs_config_key *row = hs_config_schema_row(cfg, key);
        const char *value;
        if (row && row->type == HS_CFG_LIST) {
            const char *const *items;
            size_t n;
            HS_TRY(hs_config_get_list(cfg, key, ctx, &items, &n));
            char *text = e->model_opt_text + text_len;
            size_t len = 0;
            text[len++] = '[';
            for (size_t k = 0; k < n; k++) {
                if (k) {
                    text[len++] = ',';
                    text[len++] = ' ';
                }
                memcpy(text + len, items[k], strlen(items[k]));
                len += strlen(items[k]);
            }
            text[len++] = ']';
            text[len++] = '\0';
            text_len += len;
            value = text;
        } else {
            /* a YAML map (FUSE_DECISIONS) is passed as "{K: v, ...}" */
            HS_TRY(map_option_text(cfg, key, ctx, &e->model_opt_texts[e->n_model_opts]));
            if (e->model_opt_texts[e->n_model_opts]) {
                value = e->model_opt_texts[e->n_model_opts];
            } else {
                if (row && row->type == HS_CFG_INT) {
                    long v;
                    HS_TRY(hs_config_get_int(cfg, key, ctx, &v));
                } else if (row && row->type == HS_CFG_DOUBLE) {
                    double v;
                    HS_TRY(hs_config_get_double(cfg, key, ctx, &v));
                }
                HS_TRY(hs_config_get_string(cfg, key, ctx, &value));
            }
        }
        e->model_opts[e->n_model_opts].key = key;
        e->model_opts[e->n_model_opts].value = value;
        e->n_model_opts++;
    }
    hs_status st = hs_model_create(e->ops, e->model_opts, e->n_model_opts, e->n_hru, ctx, &e->model);
    if (st != HS_OK) hs_ctx_prefix(ctx, "%s", hs_config_path(cfg));
    return st;
}

/* DOMAIN_FILE (or the `domain` command's output for a non-lumped DOMAIN_DISCRETIZATION): HRU
 * areas, elevations, positions and the river network. A lumped basin needs none. */
static hs_status read_domain(hs_experiment *e, const hs_config *cfg, const char *out_root,
                             hs_ctx *ctx) {
    int disc = 0;
    HS_TRY(hs_config_get_enum(cfg, "DOMAIN_DISCRETIZATION", ctx, &disc, NULL));
    const bool has_file = hs_config_has(cfg, "DOMAIN_FILE");
    /* a lumped basin with a DEM: the `domain` command's lumped domain (delineated area and
     * elevation) when it has been built, else BASIN_AREA_KM2 and HRU_ELEVATION */
    const bool built_lumped = disc == 0 && !has_file && hs_config_has(cfg, "DEM_PATH");
    if (disc == 0 && !has_file && !built_lumped) return HS_OK;
    if (has_file) {
        HS_TRY(hs_config_get_path(cfg, "DOMAIN_FILE", ctx, e->domain_path, sizeof e->domain_path));
    } else {
        int n = snprintf(e->domain_path, sizeof e->domain_path, "%s/%s/domain/domain.nc", out_root,
                         e->domain_name);
        if (n < 0 || (size_t)n >= sizeof e->domain_path)
            return HS_FAIL(ctx, HS_ERR_CONFIG, "OUTPUT_DIR: path too long");
    }
    if (built_lumped && !hs_io_is_file(e->domain_path)) {
        e->domain_path[0] = '\0';
        return HS_OK;
    }
    if (!hs_io_is_file(e->domain_path))
        return HS_FAIL(ctx, HS_ERR_CONFIG,
                       "%s: the domain file %s does not exist; build it first with `hydroscale "
                       "domain %s`",
                       hs_config_origin(cfg, has_file ? "DOMAIN_FILE" : "DOMAIN_DISCRETIZATION"),
                       e->domain_path, hs_config_path(cfg));
    HS_TRY(hs_topology_read(ctx, e->domain_path, &e->topo));
    const hs_topology *t = e->topo;
    double total = 0;
    for (size_t i = 0; i < t->n_hru; i++) total += t->area_m2[i];
    if (!(total > 0))
        return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: the HRU areas add up to %g m2", e->domain_path,
                       total);
    HS_TRY(HS_ALLOC_ARRAY(ctx, e->hru_weight, t->n_hru, "HRU weights"));
    for (size_t i = 0; i < t->n_hru; i++) e->hru_weight[i] = t->area_m2[i] / total;
    e->area_km2 = total / 1e6;
    e->n_gru = t->n_gru ? t->n_gru : 1;
    e->n_seg = t->n_seg;
    if (hs_config_has(cfg, "BASIN_AREA_KM2"))
        hs_log(ctx, HS_LOG_INFO, "BASIN_AREA_KM2 ignored: the domain %s gives %.1f km2",
               e->domain_path, e->area_km2);
    return HS_OK;
}

/* ROUTING_MODEL over the domain's network: IRF by default when the domain has more than one
 * segment (docs-interface.md §2), none for a lumped basin. */
static hs_status setup_routing(hs_experiment *e, const hs_config *cfg, hs_ctx *ctx) {
    int routing = 0;
    HS_TRY(hs_config_get_enum(cfg, "ROUTING_MODEL", ctx, &routing, NULL));
    if (!hs_config_has(cfg, "ROUTING_MODEL") && e->topo && e->topo->n_seg > 1) routing = 1;
    if (routing == 0) return HS_OK;
    if (!e->topo)
        return HS_FAIL(ctx, HS_ERR_CONFIG,
                       "%s: ROUTING_MODEL routes over a river network, which a lumped basin "
                       "without DOMAIN_FILE has not; use none, or build a domain",
                       hs_config_origin(cfg, "ROUTING_MODEL"));
    const hs_topology *t = e->topo;
    const hs_network_desc d = {t->n_seg, t->seg_id, t->down_seg_id, t->length_m, t->slope,
                               t->n_hru, t->hru_id, t->hru_seg_id, t->area_m2, 0,
                               e->domain_path};
    HS_TRY(hs_network_create(&d, ctx, &e->net));
    e->route_scheme = routing == 1 ? HS_ROUTE_IRF : HS_ROUTE_KWT;
    hs_route_params_default(&e->route_params);
    e->outlet_seg = hs_network_outlet(e->net);
    long reach = 0;
    HS_TRY(hs_config_get_int(cfg, "SIM_REACH_ID", ctx, &reach));
    if (reach > 0) {
        size_t k = hs_network_find_seg(e->net, (int64_t)reach);
        if (k >= hs_network_n_seg(e->net))
            return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: SIM_REACH_ID %ld is no segment of %s",
                           hs_config_origin(cfg, "SIM_REACH_ID"), reach, e->domain_path);
        e->outlet_seg = k;
    }
    /* a router is created once here to validate the parameters before any run */
    hs_route *probe = NULL;
    HS_TRY(hs_route_create(e->net, e->route_scheme, &e->route_params, 86400.0, ctx, &probe));
    hs_route_destroy(&probe);
    return HS_OK;
}

/* Routing parameters join the calibration like the model's (mizuRoute names and the usual
 * bounds of docs-models.md §6.5): the channel's (IRF celerity and diffusivity, or KWT Manning's n
 * and width scale) and the hillslope gamma's shape and scale. */
static hs_status extend_params_with_routing(hs_experiment *e, hs_ctx *ctx) {
    e->model_ops = e->ops;
    e->n_model_params = e->ops->n_params;
    if (!e->net) return HS_OK;
    static const hs_param_info irf[2] = {
        {"velo", "m s-1", 0.1, 5.0, 1.0, true, "IRF wave celerity (mizuRoute velo)"},
        {"diff", "m2 s-1", 100.0, 5000.0, 1000.0, false, "IRF diffusivity (mizuRoute diff)"}};
    static const hs_param_info kwt[2] = {
        {"mann_n", "-", 0.01, 0.1, 0.025, true, "KWT Manning's roughness (mizuRoute mann_n)"},
        {"wscale", "-", 0.0001, 0.01, 0.001, false, "KWT channel width scale (mizuRoute wscale)"}};
    static const hs_param_info hill[2] = {
        {"fshape", "-", 1.0, 5.0, 2.5, false, "hillslope gamma shape (mizuRoute fshape)"},
        {"tscale", "s", 3600.0, 432000.0, 86400.0, true, "hillslope gamma scale (mizuRoute tscale)"}};
    const size_t nm = e->n_model_params;
    HS_TRY(HS_ALLOC_ARRAY(ctx, e->param_table, nm + 4, "parameter table"));
    memcpy(e->param_table, e->model_ops->params, nm * sizeof *e->param_table);
    const hs_param_info *ch = e->route_scheme == HS_ROUTE_IRF ? irf : kwt;
    e->param_table[nm] = ch[0];
    e->param_table[nm + 1] = ch[1];
    e->param_table[nm + 2] = hill[0];
    e->param_table[nm + 3] = hill[1];
    for (size_t k = 0; k < nm; k++)
        for (int q = 0; q < 4; q++)
            if (strcasecmp(e->param_table[k].name, e->param_table[nm + (size_t)q].name) == 0)
                return HS_FAIL(ctx, HS_ERR_INTERNAL, "model %s has a parameter named like a "
                               "routing parameter (%s)", e->model_ops->name, e->param_table[k].name);
    e->ops_ext = *e->model_ops;
    e->ops_ext.params = e->param_table;
    e->ops_ext.n_params = nm + 4;
    e->ops = &e->ops_ext;
    return HS_OK;
}

hs_status hs_experiment_create(const hs_config *cfg, const char *output_dir_override,
                               const char *params_path, bool need_obs, hs_ctx *ctx,
                               hs_experiment **out) {
    *out = NULL;
    hs_experiment *e = calloc(1, sizeof *e);
    if (!e) return HS_FAIL(ctx, HS_ERR_NOMEM, "cannot allocate the experiment");
    e->config_path = hs_config_path(cfg);
    hs_status st = hs_config_get_string(cfg, "DOMAIN_NAME", ctx, &e->domain_name);
    if (st == HS_OK) st = hs_config_get_string(cfg, "EXPERIMENT_ID", ctx, &e->experiment_id);
    const char *out_root = output_dir_override;
    if (st == HS_OK && !out_root) st = hs_config_get_string(cfg, "OUTPUT_DIR", ctx, &out_root);
    if (st == HS_OK) {
        int n = snprintf(e->out_dir, sizeof e->out_dir, "%s/%s/%s", out_root, e->domain_name,
                         e->experiment_id);
        if (n < 0 || (size_t)n >= sizeof e->out_dir)
            st = HS_FAIL(ctx, HS_ERR_CONFIG, "OUTPUT_DIR: path too long");
    }
    if (st == HS_OK) st = read_domain(e, cfg, out_root, ctx);
    if (st == HS_OK) st = setup_routing(e, cfg, ctx);
    if (st == HS_OK) st = hs_config_get_enum(cfg, "MODEL_BACKEND", ctx, &e->backend, NULL);
    if (st == HS_OK && e->backend == 3 && !hs_hbv_gpu_built())
        st = HS_FAIL(ctx, HS_ERR_CONFIG,
                     "%s: MODEL_BACKEND gpu: this hydroscale was built without a GPU backend "
                     "(configure with -DHS_ENABLE_GPU=ON where a CUDA compiler is installed); "
                     "use auto, scalar or batched",
                     hs_config_origin(cfg, "MODEL_BACKEND"));
    if (st == HS_OK && e->backend == 3 && hs_hbv_gpu_device_count() == 0)
        st = HS_FAIL(ctx, HS_ERR_CONFIG,
                     "%s: MODEL_BACKEND gpu: no CUDA device is visible to this process; use auto, "
                     "scalar or batched",
                     hs_config_origin(cfg, "MODEL_BACKEND"));
    if (st == HS_OK && !e->topo)
        st = hs_config_get_double(cfg, "BASIN_AREA_KM2", ctx, &e->area_km2);
    if (st == HS_OK) st = prepare_forcing(e, cfg, ctx);
    if (st == HS_OK) st = read_observations(e, cfg, need_obs, ctx);
    if (st == HS_OK) st = setup_model(e, cfg, ctx);
    if (st == HS_OK) {
        /* batched backends (hs_model_batch.h: kernels for HBV and GR4J without snow, the
         * multi-HRU run for the other models, GPU for HBV) run one lumped series, unrouted
         * (issue #7) */
        const hs_model_batch_ops *simd = hs_model_batch_find(e->ops, HS_BATCH_SIMD);
        const bool gpu = hs_model_batch_find(e->ops, HS_BATCH_GPU) != NULL;
        e->batch_eligible = simd && e->n_hru == 1 && !e->net;
        e->batch_auto = e->batch_eligible && simd->dedicated;
        if (e->backend >= 2 && !e->batch_eligible)
            st = HS_FAIL(ctx, HS_ERR_CONFIG,
                         "%s: MODEL_BACKEND batched and gpu run one lumped, unrouted series; "
                         "this run is %s with %zu HRU(s)%s: use auto or scalar",
                         hs_config_origin(cfg, "MODEL_BACKEND"), e->ops->name, e->n_hru,
                         e->net ? " and routing" : "");
        else if (e->backend == 3 && !gpu)
            st = HS_FAIL(ctx, HS_ERR_CONFIG,
                         "%s: MODEL_BACKEND gpu runs HBV only; this run is %s: use batched, auto "
                         "or scalar",
                         hs_config_origin(cfg, "MODEL_BACKEND"), e->ops->name);
    }
    if (st == HS_OK) st = extend_params_with_routing(e, ctx);
    if (st == HS_OK) st = setup_parameters(e, cfg, params_path, ctx);
    int metric = 0;
    if (st == HS_OK) st = hs_config_get_enum(cfg, "OPTIMIZATION_METRIC", ctx, &metric, NULL);
    e->metric = (hs_metric)metric;
    if (st == HS_OK) st = hs_config_get_int(cfg, "NUMBER_OF_ITERATIONS", ctx, &e->iterations);
    if (st == HS_OK) st = hs_config_get_double(cfg, "DDS_R", ctx, &e->dds_r);
    long seed = 42;
    if (st == HS_OK) st = hs_config_get_int(cfg, "RANDOM_SEED", ctx, &seed);
    e->seed = (unsigned long long)seed;
    if (st == HS_OK) {
        size_t n = e->view.n_time;
        st = HS_ALLOC_ARRAY(ctx, e->runoff_mm, n * e->n_hru, "runoff");
        if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, e->q_sim_mm, n, "simulated discharge");
        if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, e->q_sim_m3s, n, "simulated discharge");
        e->mm_to_m3s = e->area_km2 / 86.4;
    }
    if (st != HS_OK) {
        hs_experiment_destroy(&e);
        return st;
    }
    *out = e;
    return HS_OK;
}

void hs_experiment_destroy(hs_experiment **ep) {
    if (!ep || !*ep) return;
    hs_experiment *e = *ep;
    hs_network_destroy(&e->net);
    hs_topology_destroy(&e->topo);
    hs_free(e->hru_weight);
    hs_forcing_destroy(&e->forcing);
    hs_model_destroy(&e->model);
    hs_free(e->q_obs_m3s);
    hs_free(e->model_opts);
    hs_free(e->model_opt_text);
    for (size_t i = 0; e->model_opt_texts && i < e->n_model_opts; i++) hs_free(e->model_opt_texts[i]);
    hs_free(e->model_opt_texts);
    hs_free(e->params);
    hs_free(e->params_hru);
    hs_free(e->param_table);
    hs_free(e->cal_index);
    hs_free(e->lower);
    hs_free(e->upper);
    hs_free(e->x0);
    hs_free(e->runoff_mm);
    hs_free(e->q_sim_mm);
    hs_free(e->q_sim_m3s);
    free(e);
    *ep = NULL;
}

void hs_experiment_route_params(const hs_experiment *e, const double *params,
                                hs_route_params *out) {
    *out = e->route_params;
    const double *r = params + e->n_model_params;
    if (e->route_scheme == HS_ROUTE_IRF) {
        out->velo_ms = r[0];
        out->diff_m2s = r[1];
    } else {
        out->mann_n = r[0];
        out->wscale = r[1];
    }
    out->fshape = r[2];
    out->tscale_s = r[3];
}

void hs_experiment_metrics(const hs_experiment *e, hs_period p, hs_period_metrics *m) {
    memset(m, 0, sizeof *m);
    size_t first = hs_experiment_step(e, p.start);
    size_t n = (size_t)hs_period_days(p);
    const double *sim = e->q_sim_m3s + first;
    const double *obs = e->q_obs_m3s + first;
    for (size_t t = 0; t < n; t++) m->n_obs += isfinite(obs[t]);
    m->valid = m->n_obs >= 2;
    if (!m->valid) return;
    m->kge = hs_metric_kge(sim, obs, n, &m->parts);
    hs_kge_parts pp;
    m->kgep = hs_metric_kgep(sim, obs, n, &pp);
    m->parts.gamma = pp.gamma;
    m->nse = hs_metric_nse(sim, obs, n);
    m->lognse = hs_metric_lognse(sim, obs, n, -1.0, NULL);
    m->rmse = hs_metric_rmse(sim, obs, n);
    m->pbias = hs_metric_pbias(sim, obs, n);
}
