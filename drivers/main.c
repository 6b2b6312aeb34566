/* main.c -- the `hydroscale` command line (docs-interface.md §1).
 *
 * Parses arguments, installs the stderr log sink and the I/O profiler, and maps a status to the
 * exit code: 0 success, 1 a run failed, 2 usage or configuration error. */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hs_app.h"
#include "hs_io.h"
#include "hs_model.h"
#include "hs_mpi.h"

hs_status hs_route_cmd_main(const hs_app_options *o, hs_ctx *ctx); /* hs_route_cmd.c */

#ifndef HS_VERSION
#define HS_VERSION "0.0.0"
#endif
#ifndef HS_EXAMPLE_CONFIG
#define HS_EXAMPLE_CONFIG "testdata/bow/config.yaml"
#endif

static void usage(FILE *out) {
    fprintf(out,
            "usage: hydroscale <command> [options] [CONFIG.yaml]\n"
            "\n"
            "commands:\n"
            "  run         run the model once over the whole experiment period\n"
            "              (default parameters, PARAMETERS, or --params)\n"
            "  calibrate   calibrate with DDS, then run the best set over the full period\n"
            "  info        print the resolved config and the execution tier that would be chosen\n"
            "  route       route a runoff file through a river network (mizuRoute formats)\n"
            "\n"
            "options:\n"
            "  --set KEY=VALUE   override a config key (repeatable)\n"
            "  --output DIR      override OUTPUT_DIR\n"
            "  --params FILE     YAML of parameter values (run) / starting point (calibrate)\n"
            "  --quiet           warnings and errors only\n"
            "  --verbose         debug messages\n"
            "  --no-progress     no progress line during calibration\n"
            "  --resume          calibrate: continue from calibration/checkpoint.txt\n"
            "  --help, --version\n"
            "\n"
            "With no CONFIG, run and calibrate use the bundled example (Bow River at Banff,\n"
            "lumped HBV): %s\n"
            "(the HYDROSCALE_EXAMPLE environment variable overrides that path).\n"
            "Exit status: 0 success; 1 a run failed; 2 usage or configuration error.\n",
            HS_EXAMPLE_CONFIG);
}

static void log_to_stderr(void *user, hs_log_level level, const char *msg) {
    (void)user;
    static const char *const names[] = {"error", "warning", "info", "debug"};
    /* a progress line may be on screen: start on a clean line */
    fprintf(stderr, "hydroscale: %s: %s\n", names[level], msg);
}

static int exit_code(hs_status st) {
    if (st == HS_OK) return 0;
    return (st == HS_ERR_CONFIG || st == HS_ERR_ARG) ? 2 : 1;
}

int main(int argc, char **argv) {
    hs_app_options o;
    memset(&o, 0, sizeof o);
    o.progress = isatty(STDERR_FILENO);
    const char **overrides = calloc((size_t)argc + 1, sizeof *overrides);
    if (!overrides) return 1;
    const char *command = NULL;
    bool is_route = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            free(overrides);
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            printf("hydroscale %s\n", HS_VERSION);
            free(overrides);
            return 0;
        } else if (strcmp(a, "--set") == 0 || strcmp(a, "--output") == 0 ||
                   strcmp(a, "--params") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "hydroscale: error: %s needs a value (see --help)\n", a);
                free(overrides);
                return 2;
            }
            const char *v = argv[++i];
            if (a[2] == 's') overrides[o.n_overrides++] = v;
            else if (a[2] == 'o') o.output_dir = v;
            else o.params_path = v;
        } else if (strncmp(a, "--set=", 6) == 0) {
            overrides[o.n_overrides++] = a + 6;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            o.verbosity = -1;
        } else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
            o.verbosity = 1;
        } else if (strcmp(a, "--no-progress") == 0) {
            o.progress = false;
        } else if (strcmp(a, "--resume") == 0) {
            o.resume = true;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "hydroscale: error: unknown option '%s' (see --help)\n", a);
            free(overrides);
            return 2;
        } else if (!command) {
            command = a;
        } else if (!o.config_path) {
            o.config_path = a;
        } else {
            fprintf(stderr, "hydroscale: error: unexpected argument '%s' (see --help)\n", a);
            free(overrides);
            return 2;
        }
    }
    o.overrides = overrides;
    if (!command) {
        usage(stderr);
        free(overrides);
        return 2;
    }
    if (strcmp(command, "run") == 0) o.command = HS_CMD_RUN;
    else if (strcmp(command, "calibrate") == 0) o.command = HS_CMD_CALIBRATE;
    else if (strcmp(command, "info") == 0) o.command = HS_CMD_INFO;
    else if (strcmp(command, "route") == 0) is_route = true;
    else {
        static const char *const later[] = {"domain", "ensemble", "scaling", "bench"};
        for (size_t k = 0; k < sizeof later / sizeof *later; k++)
            if (strcmp(command, later[k]) == 0) {
                fprintf(stderr, "hydroscale: error: command '%s' is not available in this "
                                "version (see --help)\n", command);
                free(overrides);
                return 2;
            }
        fprintf(stderr, "hydroscale: error: unknown command '%s'; expected run, calibrate or "
                        "info (see --help)\n", command);
        free(overrides);
        return 2;
    }
    if (!o.config_path && !is_route) {
        const char *env = getenv("HYDROSCALE_EXAMPLE");
        o.config_path = env && *env ? env : HS_EXAMPLE_CONFIG;
    }

    /* under an MPI launcher every rank runs this program: join the world first */
    hs_ctx *ctx = hs_ctx_create();
    bool mpi = false;
    if (ctx && hs_mpi_built() && hs_mpi_launcher_size() > 1) {
        if (hs_mpi_init(ctx) != HS_OK) {
            fprintf(stderr, "hydroscale: error: %s\n", hs_ctx_message(ctx));
            hs_ctx_destroy(&ctx);
            free(overrides);
            return 1;
        }
        mpi = hs_mpi_size() > 1;
        if (hs_mpi_rank() > 0) o.progress = false;
    }
    hs_ioprof *prof = hs_ioprof_create();
    if (!ctx || !prof) {
        fprintf(stderr, "hydroscale: error: out of memory\n");
        free(overrides);
        return 1;
    }
    hs_ctx_set_ioprof(ctx, prof);
    hs_ctx_set_log(ctx, log_to_stderr, NULL);
    hs_ctx_set_log_level(ctx, o.verbosity < 0 ? HS_LOG_WARN
                              : o.verbosity > 0 ? HS_LOG_DEBUG
                                                : HS_LOG_INFO);
    /* the other ranks repeat rank 0's configuration messages: they keep errors only */
    if (hs_mpi_rank() > 0 && o.verbosity <= 0) {
        o.verbosity = -1;
        hs_ctx_set_log_level(ctx, HS_LOG_ERROR);
    }
    hs_status st = is_route ? hs_route_cmd_main(&o, ctx) : hs_app_main(&o, ctx);
    if (st != HS_OK) {
        if (o.progress) fputc('\n', stderr);
        fprintf(stderr, "hydroscale: error: %s\n", hs_ctx_message(ctx));
        if (o.verbosity > 0) fprintf(stderr, "hydroscale: (raised at %s)\n", hs_ctx_where(ctx));
    }
    int rc = exit_code(st);
    if (mpi) {
        /* a failing rank must not leave the others waiting for messages that never come */
        if (st != HS_OK) {
            fflush(stderr);
            hs_mpi_abort(rc);
        }
        hs_mpi_finalize();
    }
    hs_ioprof_destroy(&prof);
    hs_ctx_destroy(&ctx);
    free(overrides);
    return rc;
}
