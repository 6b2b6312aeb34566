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
#include "hs_domain_cmd.h"
#include "hs_io.h"
#include "hs_model.h"
#include "hs_exec.h"
#include "hs_hbv_gpu.h"
#include "hs_mpi.h"
#include "hs_study.h"

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
            "  domain      build the domain from a DEM (DEM_PATH, POUR_POINT_COORDS,\n"
            "              DOMAIN_DISCRETIZATION): domain.nc, domain.gpkg, domain.png\n"
            "  bench       model-level micro-benchmarks: latency per evaluation, throughput\n"
            "              and compound speedup with 1..N workers\n"
            "  scaling     run a scaling study (experiments/*.yaml): tables and figures\n"
            "              [--quick] [--emit-slurm] [--model]\n"
            "  ensemble    calibrate several configs: --mode sequential|parallel|hybrid,\n"
            "              --workers N (Gantt chart and table)\n"
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

/* `scaling STUDY.yaml` and `ensemble CONFIG...`: the study harness launches this executable */
static int run_study(const char *command, const hs_app_options *o, hs_study_options *so,
                     const char **positional, size_t n_positional, const char **overrides,
                     const char *argv0) {
    static char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) exe[n] = '\0';
    else snprintf(exe, sizeof exe, "%s", argv0);
    so->exe = exe;
    so->output_dir = o->output_dir;
    so->overrides = overrides;
    so->n_overrides = o->n_overrides;
    so->study_path = o->config_path;
    so->configs = positional;
    so->n_configs = n_positional;
    int rc = 2;
    if (strcmp(command, "scaling") == 0 && !so->study_path) {
        fprintf(stderr, "hydroscale: error: scaling needs a study file (see experiments/)\n");
    } else {
        hs_ctx *ctx = hs_ctx_create();
        hs_ioprof *prof = hs_ioprof_create();
        if (ctx && prof) {
            hs_ctx_set_ioprof(ctx, prof);
            hs_ctx_set_log(ctx, log_to_stderr, NULL);
            hs_ctx_set_log_level(ctx, o->verbosity < 0 ? HS_LOG_WARN
                                      : o->verbosity > 0 ? HS_LOG_DEBUG
                                                         : HS_LOG_INFO);
            hs_status st = strcmp(command, "scaling") == 0 ? hs_study_scaling(so, ctx)
                                                           : hs_study_ensemble(so, ctx);
            if (st != HS_OK) fprintf(stderr, "hydroscale: error: %s\n", hs_ctx_message(ctx));
            rc = exit_code(st);
        }
        hs_ioprof_destroy(&prof);
        hs_ctx_destroy(&ctx);
    }
    free(overrides);
    free(positional);
    return rc;
}

int main(int argc, char **argv) {
    hs_app_options o;
    memset(&o, 0, sizeof o);
    o.progress = isatty(STDERR_FILENO);
    const char **overrides = calloc((size_t)argc + 1, sizeof *overrides);
    const char **positional = calloc((size_t)argc + 1, sizeof *positional);
    size_t n_positional = 0;
    hs_study_options so;
    memset(&so, 0, sizeof so);
    if (!overrides || !positional) {
        free(overrides);
        free(positional);
        return 1;
    }
    const char *command = NULL;
    bool is_route = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            free(overrides);
            free(positional);
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            printf("hydroscale %s (OpenMP %s, MPI %s, GPU %s)\n", HS_VERSION,
                   hs_exec_has_threads() ? "on" : "off", hs_mpi_built() ? "on" : "off",
                   hs_hbv_gpu_built() ? "on" : "off");
            free(overrides);
            free(positional);
            return 0;
        } else if (strcmp(a, "--set") == 0 || strcmp(a, "--output") == 0 ||
                   strcmp(a, "--params") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "hydroscale: error: %s needs a value (see --help)\n", a);
                free(overrides);
                free(positional);
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
        } else if (strcmp(a, "--quick") == 0) {
            so.quick = true;
        } else if (strcmp(a, "--emit-slurm") == 0) {
            so.emit_slurm = true;
        } else if (strcmp(a, "--model") == 0) {
            so.model = true;
        } else if (strcmp(a, "--mode") == 0 || strcmp(a, "--workers") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "hydroscale: error: %s needs a value (see --help)\n", a);
                free(overrides);
                free(positional);
                return 2;
            }
            const char *v = argv[++i];
            if (a[2] == 'm') {
                so.mode = v;
            } else {
                char *end = NULL;
                long w = strtol(v, &end, 10);
                if (end == v || *end || w < 1 || w > 4096) {
                    fprintf(stderr, "hydroscale: error: --workers: '%s' is not a count of 1..4096\n", v);
                    free(overrides);
                    free(positional);
                    return 2;
                }
                so.workers = (int)w;
            }
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "hydroscale: error: unknown option '%s' (see --help)\n", a);
            free(overrides);
            free(positional);
            return 2;
        } else if (!command) {
            command = a;
        } else if (strcmp(command, "ensemble") == 0) {
            positional[n_positional++] = a; /* the member configs */
        } else if (!o.config_path) {
            o.config_path = a;
        } else {
            fprintf(stderr, "hydroscale: error: unexpected argument '%s' (see --help)\n", a);
            free(overrides);
            free(positional);
            return 2;
        }
    }
    o.overrides = overrides;
    if (!command) {
        usage(stderr);
        free(overrides);
        free(positional);
        return 2;
    }
    if (strcmp(command, "scaling") == 0 || strcmp(command, "ensemble") == 0)
        return run_study(command, &o, &so, positional, n_positional, overrides, argv[0]);
    bool domain = false; /* `domain` has its own driver (hs_domain_cmd.c) */
    if (strcmp(command, "domain") == 0) domain = true;
    else if (strcmp(command, "run") == 0) o.command = HS_CMD_RUN;
    else if (strcmp(command, "calibrate") == 0) o.command = HS_CMD_CALIBRATE;
    else if (strcmp(command, "info") == 0) o.command = HS_CMD_INFO;
    else if (strcmp(command, "bench") == 0) o.command = HS_CMD_BENCH;
    else if (strcmp(command, "route") == 0) is_route = true;
    else {
        fprintf(stderr, "hydroscale: error: unknown command '%s'; expected run, calibrate, info, "
                        "domain, route, bench, scaling or ensemble (see --help)\n", command);
        free(overrides);
        free(positional);
        return 2;
    }
    if (!o.config_path && domain) {
        fprintf(stderr, "hydroscale: error: domain needs a CONFIG (see --help)\n");
        free(overrides);
        free(positional);
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
            free(positional);
            return 1;
        }
        mpi = hs_mpi_size() > 1;
        if (hs_mpi_rank() > 0) o.progress = false;
    }
    hs_ioprof *prof = hs_ioprof_create();
    if (!ctx || !prof) {
        fprintf(stderr, "hydroscale: error: out of memory\n");
        free(overrides);
        free(positional);
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
    hs_status st = domain     ? hs_domain_cmd_main(&o, ctx)
                   : is_route ? hs_route_cmd_main(&o, ctx)
                              : hs_app_main(&o, ctx);
    if (st != HS_OK) {
        if (o.progress) fputc('\n', stderr);
        fprintf(stderr, "hydroscale: error: %s\n", hs_ctx_message(ctx));
        if (o.verbosity > 0) fprintf(stderr, "hydroscale: (raised at %s)\n", hs_ctx_where(ctx));
    }
    int rc = exit_code(st);
    if (mpi) {
        /* a failing rank must not leave the others waiting for messages that never come;
         * once rank 0 has released them, every rank finalises instead */
        if (st != HS_OK && !hs_mpi_peers_released()) {
            fflush(stderr);
            hs_mpi_abort(rc);
        }
        hs_mpi_finalize();
    }
    hs_ioprof_destroy(&prof);
    hs_ctx_destroy(&ctx);
    free(overrides);
    free(positional);
    return rc;
}
