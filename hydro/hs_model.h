/* hs_model.h -- the one model interface of hydroscale, and the registry of models by name.
 *
 * Design (STYLE.md §2, §7): each model is a table of function pointers (hs_model_ops, like
 * SUNDIALS' N_Vector ops or PROJ's P->fwd/P->inv) plus a declarative parameter table (name, unit,
 * bounds, default, calibrated by default). Drivers and DDS choose a model by name from the
 * registry; DDS reads its bounds from the parameter table, so bounds are written down once.
 *
 * Lifecycle: create (allocates everything, validates options) -> init (sets parameters and the
 * initial state) -> run (advances over the whole forcing window for an HRU range; allocates
 * nothing, does no I/O, uses no globals, has no pragmas) -> destroy. run() writes only the HRUs
 * of its range, so any partition of HRUs over threads gives the same bits.
 *
 * Data layout: forcing and fluxes are time-major, structure-of-arrays over HRUs:
 * value(t, hru) = array[t * n_hru + hru]. Units: mm per daily step for fluxes, degC for
 * temperature. */
#ifndef HS_HYDRO_MODEL_H
#define HS_HYDRO_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "hs_api.h"
#include "hs_ctx.h"
#include "hs_time.h"

/** One row of a model's parameter table. */
typedef struct hs_param_info {
    const char *name;        /* as written in configs, matched case-insensitively */
    const char *unit;        /* "mm", "degC", "-", "mm degC-1 d-1", ... */
    double lower;            /* default calibration bounds */
    double upper;
    double dflt;             /* default value */
    bool calibrate;          /* part of the default PARAMS_TO_CALIBRATE */
    const char *description; /* one line */
} hs_param_info;

/** A half-open range of HRUs [first, first + count). Views never own. */
typedef struct hs_range {
    size_t first;
    size_t count;
} hs_range;

/** Forcing for n_time daily steps and n_hru HRUs (borrowed arrays, time-major). */
typedef struct hs_forcing_view {
    size_t n_time;
    size_t n_hru;
    hs_day first_day;         /* date of step 0 (seasonal terms, day of year) */
    const double *precip_mm;  /* [n_time][n_hru] precipitation, mm/d */
    const double *temp_c;     /* [n_time][n_hru] mean air temperature, degC */
    const double *pet_mm;     /* [n_time][n_hru] potential evapotranspiration, mm/d */
} hs_forcing_view;

/** Outputs (borrowed arrays, [n_time][n_hru]); every pointer but runoff_mm may be NULL. */
typedef struct hs_flux_view {
    double *runoff_mm; /* required: runoff leaving the HRU after the model's own routing, mm/d */
    double *aet_mm;    /* actual evapotranspiration, mm/d */
    double *input_mm;  /* water entering the model after input corrections (e.g. SFCF), mm/d */
} hs_flux_view;

/** A model option taken from the config (key as in the config, value as text). */
typedef struct hs_model_option {
    const char *key;
    const char *value;
} hs_model_option;

typedef struct hs_model_impl hs_model_impl; /* each model defines its own */

typedef struct hs_model_ops {
    const char *name;        /* "HBV" */
    const char *description;
    size_t n_params;
    const hs_param_info *params;
    size_t n_option_keys;
    const char *const *option_keys; /* config keys the model understands (e.g. "HBV_VARIANT") */
    hs_status (*create)(const hs_model_option *opts, size_t n_opts, size_t n_hru, hs_ctx *ctx,
                        hs_model_impl **out);
    hs_status (*init)(hs_model_impl *m, const double *params, hs_ctx *ctx);
    hs_status (*run)(hs_model_impl *m, hs_range hrus, const hs_forcing_view *f,
                     const hs_flux_view *out, hs_ctx *ctx);
    double (*storage_mm)(const hs_model_impl *m, size_t hru);
    void (*destroy)(hs_model_impl **m);
} hs_model_ops;

typedef struct hs_model hs_model;

/** The model registered under `name` (case-insensitive), or NULL. */
HS_API const hs_model_ops *hs_model_find(const char *name);
/** Number of registered models and the i-th one (for --help and error messages). */
HS_API size_t hs_model_count(void);
HS_API const hs_model_ops *hs_model_at(size_t i);
/** ASCII case-insensitive equality of option keys, values and names, as configs spell them. */
HS_API bool hs_model_key_eq(const char *a, const char *b);
/** Index of parameter `name` (case-insensitive) in ops->params, or -1. */
HS_API long hs_model_param_index(const hs_model_ops *ops, const char *name);

/** Creates a model for n_hru HRUs. Options not listed in ops->option_keys are ignored by the
 *  model (the config layer warns about unknown keys). Free with hs_model_destroy(). */
HS_NODISCARD HS_API hs_status hs_model_create(const hs_model_ops *ops, const hs_model_option *opts,
                                              size_t n_opts, size_t n_hru, hs_ctx *ctx,
                                              hs_model **out);
/** Sets parameters ([n_hru][ops->n_params], copied) and resets every state to its initial
 *  value. Checks each value against the model's physical limits (not calibration bounds). */
HS_NODISCARD HS_API hs_status hs_model_init(hs_model *m, const double *params, hs_ctx *ctx);
/** Runs all f->n_time steps for the HRUs in `hrus`, continuing from the current state.
 *  Allocates nothing; thread-safe for disjoint HRU ranges of one model. */
HS_NODISCARD HS_API hs_status hs_model_run(hs_model *m, hs_range hrus, const hs_forcing_view *f,
                                           const hs_flux_view *out, hs_ctx *ctx);
/** Total water stored in HRU `hru` (mm): every store, including routing buffers. NAN when m is
 *  NULL or hru >= n_hru. */
HS_API double hs_model_storage_mm(const hs_model *m, size_t hru);
HS_API const hs_model_ops *hs_model_get_ops(const hs_model *m);
/** The model's private state, for that model's own accessors (e.g. hs_hype_get_state), which
 *  must first compare hs_model_get_ops(m) with their ops table. NULL when m is NULL. Borrowed. */
HS_API const hs_model_impl *hs_model_get_impl(const hs_model *m);
HS_API size_t hs_model_n_hru(const hs_model *m);
/** NULL-safe; sets *m to NULL. */
HS_API void hs_model_destroy(hs_model **m);

#endif /* HS_HYDRO_MODEL_H */
