/* hs_app.h -- run orchestration behind the `hydroscale` CLI.
 *
 * The driver layer is the only place that knows every other folder: it turns the config store
 * into plain structs (periods, forcing, model, calibration set-up), runs the model or the
 * calibration, and writes the outputs of docs-interface.md §3. Library modules stay ignorant of
 * each other (STYLE.md §1). */
#ifndef HS_DRIVERS_APP_H
#define HS_DRIVERS_APP_H

#include <stdbool.h>
#include <stddef.h>

#include "hs_config.h"
#include "hs_ctx.h"

typedef enum hs_app_command {
    HS_CMD_RUN,
    HS_CMD_CALIBRATE,
    HS_CMD_INFO,
    HS_CMD_BENCH
} hs_app_command;

typedef struct hs_app_options {
    hs_app_command command;
    const char *config_path;
    const char *const *overrides; /* "KEY=VALUE" */
    size_t n_overrides;
    const char *output_dir;  /* --output, or NULL */
    const char *params_path; /* --params, or NULL */
    bool progress;           /* progress line on stderr */
    bool resume;             /* calibrate: continue from the checkpoint */
    int verbosity;           /* -1 quiet, 0 normal, 1 verbose */
} hs_app_options;

/** Runs one command end to end. Messages go through ctx's log sink; the final results are
 *  printed on stdout. */
HS_NODISCARD hs_status hs_app_main(const hs_app_options *opts, hs_ctx *ctx);

/** Loads o->config_path with the application's schema plus every model's option keys, applies
 *  the --set overrides and LOG_LEVEL, and warns about unknown keys. *rows_out (free with
 *  hs_free after the config) holds the model-option rows the config borrows. Every command that
 *  reads an experiment config (run, calibrate, info, bench, domain, route) loads it this way. */
HS_NODISCARD hs_status hs_app_load_config(const hs_app_options *o, hs_ctx *ctx, hs_config **out,
                                          hs_config_key **rows_out);

/** The application's config schema (docs-interface.md §2 plus hydroscale's own keys). */
const hs_config_key *hs_app_schema(size_t *n);

#endif /* HS_DRIVERS_APP_H */
