/* hs_study.c -- the scaling-study harness; see hs_study.h.
 *
 * Runs are whole processes, as a user would launch them, so their wall time includes start-up,
 * reading the forcing and writing outputs. The harness does nothing while a run is going (it
 * waits in waitpid), so the time it adds is what it spends between runs; table.md reports it. */
#define _POSIX_C_SOURCE 200809L
#include "hs_study.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hs_amdahl.h"
#include "hs_config.h"
#include "hs_exec.h"
#include "hs_gnuplot.h"
#include "hs_io.h"
#include "hs_mpi.h"
#include "hs_sys.h"

#ifndef HS_VERSION
#define HS_VERSION "0.0.0"
#endif
#ifndef HS_BUILD_TYPE
#define HS_BUILD_TYPE "unknown"
#endif

enum { MAX_SETS = 48 };

typedef struct run {
    char label[256];
    char group[128];  /* strategy, row, backend, domain or ensemble mode */
    char member[128]; /* ensemble member or backend */
    char config[4096];
    int mpi_ranks;    /* 0: no launcher */
    int workers;
    char *sets[MAX_SETS];
    int n_sets;
    char out[4300];
    /* measured */
    double t_start, t_end, wall;
    int rc;
    bool has_summary;
    double calib_wall, kge_cal, kge_eval, util, serial_fraction, mean_eval_us, evals_per_s;
    double n_evals, read_bytes, write_bytes, read_ops, write_ops, peak_rss_mb, n_hru, workers_rep;
    double routing_share;
    bool build_domain;
} run;

typedef struct study {
    const hs_study_options *o;
    hs_ctx *ctx;
    hs_config *cfg;
    char name[128];
    int kind; /* 0 strong, 1 async_vs_sync, 2 backends, 3 weak, 4 ensemble */
    char base_config[4096];
    char out_dir[4200];
    run *runs;
    size_t n_runs, cap_runs;
    int repeats;
    double harness_s, runs_s, prep_s; /* prep: domains built before runs (not harness) */
} study;

static const char *const kind_names[] = {"strong", "async_vs_sync", "backends", "weak", "ensemble"};

static const hs_config_key study_schema[] = {
    {"STUDY_NAME", HS_CFG_STRING, NULL, 0, 0, NULL, "name of the study (output folder)"},
    {"STUDY_KIND", HS_CFG_ENUM, NULL, 0, 0, "strong|async_vs_sync|backends|weak|ensemble",
     "experiment kind"},
    {"BASE_CONFIG", HS_CFG_PATH, "", 0, 0, NULL, "config every run starts from"},
    {"OUTPUT_DIR", HS_CFG_STRING, "./output/studies", 0, 0, NULL, "root of study outputs"},
    {"SETTINGS", HS_CFG_MAP, "{}", 0, 0, NULL, "config keys set for every run"},
    {"QUICK_SETTINGS", HS_CFG_MAP, "{}", 0, 0, NULL, "keys set with --quick"},
    {"STRATEGIES", HS_CFG_LIST, "threads", 0, 0, NULL, "threads, processes, mpi"},
    {"WORKERS", HS_CFG_LIST, "1, 2", 0, 0, NULL, "worker counts"},
    {"QUICK_WORKERS", HS_CFG_LIST, "", 0, 0, NULL, "worker counts with --quick"},
    {"ROWS", HS_CFG_LIST, "", 0, 0, NULL, "sync:W or async:POOL:BATCH:W"},
    {"QUICK_ROWS", HS_CFG_LIST, "", 0, 0, NULL, "rows with --quick"},
    {"DELAYS", HS_CFG_LIST, "none", 0, 0, NULL, "EVAL_DELAY_DISTRIBUTION values"},
    {"BACKENDS", HS_CFG_LIST, "scalar", 0, 0, NULL, "MODEL_BACKEND values"},
    {"DOMAIN_CONFIGS", HS_CFG_LIST, "", 0, 0, NULL, "configs of growing domain size"},
    {"MEMBERS", HS_CFG_LIST, "", 0, 0, NULL, "ensemble members: MODEL or MODEL@config"},
    {"MODES", HS_CFG_LIST, "sequential, parallel, hybrid", 0, 0, NULL, "ensemble modes"},
    {"SEQUENTIAL_WORKERS", HS_CFG_INT, "4", 1, 4096, NULL, "workers per member, mode A"},
    {"HYBRID_WORKERS", HS_CFG_INT, "2", 1, 4096, NULL, "workers per member, mode C"},
    {"REPEATS", HS_CFG_INT, "1", 1, 100, NULL, "runs per configuration (best wall kept)"},
    {"BUILD_DOMAINS", HS_CFG_BOOL, "false", 0, 0, NULL,
     "weak: run `hydroscale domain` on each config first (not timed)"},
    {"PROJECT_WORKERS", HS_CFG_LIST, "16, 32, 64, 128", 0, 0, NULL, "--model projections"},
};

/* ---------------------------------------------------------------------------------------------
 * runs */

static hs_status add_run(study *s, run **out) {
    if (s->n_runs == s->cap_runs) {
        size_t cap = s->cap_runs ? 2 * s->cap_runs : 16;
        run *r = realloc(s->runs, cap * sizeof *r);
        if (!r) return HS_FAIL(s->ctx, HS_ERR_NOMEM, "study: out of memory");
        s->runs = r;
        s->cap_runs = cap;
    }
    run *r = &s->runs[s->n_runs++];
    memset(r, 0, sizeof *r);
    snprintf(r->config, sizeof r->config, "%s", s->base_config);
    *out = r;
    return HS_OK;
}

static hs_status run_set(study *s, run *r, const char *key, const char *value) {
    if (r->n_sets >= MAX_SETS) return HS_FAIL(s->ctx, HS_ERR_CONFIG, "study: too many settings");
    size_t n = strlen(key) + strlen(value) + 2;
    char *kv = malloc(n);
    if (!kv) return HS_FAIL(s->ctx, HS_ERR_NOMEM, "study: out of memory");
    snprintf(kv, n, "%s=%s", key, value);
    r->sets[r->n_sets++] = kv;
    return HS_OK;
}

static hs_status run_set_map(study *s, run *r, const char *map_key) {
    const hs_config_entry *en;
    size_t n;
    HS_TRY(hs_config_get_map(s->cfg, map_key, s->ctx, &en, &n));
    for (size_t i = 0; i < n; i++) {
        if (!en[i].value)
            return HS_FAIL(s->ctx, HS_ERR_CONFIG, "%s: %s.%s: expected a single value",
                           hs_config_path(s->cfg), map_key, en[i].key);
        HS_TRY(run_set(s, r, en[i].key, en[i].value));
    }
    return HS_OK;
}

/* Common settings of every run: SETTINGS, QUICK_SETTINGS with --quick, then --set. */
static hs_status run_common(study *s, run *r) {
    HS_TRY(run_set_map(s, r, "SETTINGS"));
    if (s->o->quick) HS_TRY(run_set_map(s, r, "QUICK_SETTINGS"));
    for (size_t i = 0; i < s->o->n_overrides; i++) {
        const char *eq = strchr(s->o->overrides[i], '=');
        if (!eq) continue;
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)(eq - s->o->overrides[i]), s->o->overrides[i]);
        HS_TRY(run_set(s, r, key, eq + 1));
    }
    return HS_OK;
}

static void runs_free(study *s) {
    for (size_t i = 0; i < s->n_runs; i++)
        for (int k = 0; k < s->runs[i].n_sets; k++) free(s->runs[i].sets[k]);
    free(s->runs);
    s->runs = NULL;
    s->n_runs = 0;
}

/* execvp takes char *const[]: the strings are not modified, and this keeps -Wcast-qual quiet */
static char *unconst(const char *p) {
    char *q;
    memcpy(&q, &p, sizeof q);
    return q;
}

/* argv of a run; `buf` receives the strings. Returns argc. */
static int run_argv(const study *s, const run *r, char **argv, int cap, char *nbuf) {
    int a = 0;
    if (r->mpi_ranks > 0) {
        argv[a++] = "mpirun";
        argv[a++] = "-n";
        snprintf(nbuf, 16, "%d", r->mpi_ranks);
        argv[a++] = nbuf;
        /* more ranks than processors: allowed, and reported in the table as oversubscribed */
        if (r->mpi_ranks > hs_exec_num_procs()) argv[a++] = "--oversubscribe";
    }
    argv[a++] = unconst(s->o->exe);
    argv[a++] = "calibrate";
    argv[a++] = unconst(r->config);
    argv[a++] = "--no-progress";
    argv[a++] = "--output";
    argv[a++] = unconst(r->out);
    for (int k = 0; k < r->n_sets && a < cap - 3; k++) {
        argv[a++] = "--set";
        argv[a++] = r->sets[k];
    }
    argv[a] = NULL;
    return a;
}

static pid_t spawn(const study *s, run *r) {
    char *argv[8 + 2 * MAX_SETS + 8], nbuf[16], log[4400], dir[4400];
    hs_io_dirname(r->out, dir, sizeof dir);
    if (hs_io_mkdirs(s->ctx, dir) != HS_OK) return -1;
    run_argv(s, r, argv, (int)(sizeof argv / sizeof *argv), nbuf);
    snprintf(log, sizeof log, "%s.log", r->out);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        if (r->mpi_ranks > 0 && getuid() == 0) {
            /* containers and CI run as root; OpenMPI refuses that unless told */
            setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 0);
            setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 0);
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    return pid;
}

static double json_num(const cJSON *o, const char *a, const char *b) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b) x = cJSON_GetObjectItemCaseSensitive(x, b);
    return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

/* Finds OUT/<domain>/<experiment>/summary.json: a run writes exactly one (the names come from
 * its config, so they are looked up rather than guessed). */
static bool find_summary(const char *root, char *path, size_t cap) {
    DIR *d1 = opendir(root);
    if (!d1) return false;
    bool found = false;
    struct dirent *a;
    while (!found && (a = readdir(d1))) {
        if (a->d_name[0] == '.') continue;
        char sub[4400];
        if (snprintf(sub, sizeof sub, "%s/%s", root, a->d_name) >= (int)sizeof sub) continue;
        DIR *d2 = opendir(sub);
        if (!d2) continue;
        struct dirent *b;
        while (!found && (b = readdir(d2))) {
            if (b->d_name[0] == '.') continue;
            snprintf(path, cap, "%s/%s/summary.json", sub, b->d_name);
            found = hs_io_is_file(path);
        }
        closedir(d2);
    }
    closedir(d1);
    return found;
}

static void read_summary(study *s, run *r) {
    char path[4700];
    if (!find_summary(r->out, path, sizeof path)) return;
    char *text = NULL;
    size_t len = 0;
    if (hs_io_read_file(s->ctx, path, &text, &len) != HS_OK) {
        hs_ctx_clear(s->ctx);
        return;
    }
    cJSON *j = cJSON_Parse(text);
    hs_free(text);
    if (!j) return;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "metrics");
    r->kge_cal = json_num(m, "calibration", "KGE");
    r->kge_eval = json_num(m, "evaluation", "KGE");
    r->calib_wall = json_num(j, "timing", "calibration_wall_s");
    r->serial_fraction = json_num(j, "timing", "serial_fraction");
    r->mean_eval_us = json_num(j, "timing", "mean_eval_us");
    r->evals_per_s = json_num(j, "timing", "evals_per_s");
    r->util = json_num(j, "execution", "worker_utilization");
    r->workers_rep = json_num(j, "execution", "workers");
    r->n_evals = json_num(j, "n_evaluations", NULL);
    r->read_bytes = json_num(j, "io", "read_bytes");
    r->write_bytes = json_num(j, "io", "write_bytes");
    r->read_ops = json_num(j, "io", "read_ops");
    r->write_ops = json_num(j, "io", "write_ops");
    r->peak_rss_mb = json_num(j, "memory", "peak_rss_mb");
    r->n_hru = json_num(j, "domain", "n_hru");
    r->routing_share = json_num(j, "timing", "routing_share");
    r->has_summary = true;
    cJSON_Delete(j);
}

static hs_status wait_run(study *s, pid_t pid, run *r) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return HS_FAIL(s->ctx, HS_ERR_IO, "waitpid: %s", strerror(errno));
    r->t_end = hs_wall_time();
    r->wall = r->t_end - r->t_start;
    r->rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return HS_OK;
}

static hs_status check_run(study *s, const run *r) {
    if (r->rc == 0 && r->has_summary) return HS_OK;
    return HS_FAIL(s->ctx, HS_ERR_IO, "study %s: run %s failed (exit %d); see %s.log", s->name,
                   r->label, r->rc, r->out);
}

/* `hydroscale domain CONFIG --output RUN_OUT`, before the timed run (not part of its time). */
static hs_status build_domain(study *s, run *r) {
    char dir[4400], log[4400];
    hs_io_dirname(r->out, dir, sizeof dir);
    HS_TRY(hs_io_mkdirs(s->ctx, dir));
    snprintf(log, sizeof log, "%.4300s.domain.log", r->out);
    hs_log(s->ctx, HS_LOG_INFO, "study %s: building the domain of %s", s->name, r->label);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        execl(s->o->exe, s->o->exe, "domain", r->config, "--output", r->out, (char *)NULL);
        _exit(127);
    }
    if (pid < 0) return HS_FAIL(s->ctx, HS_ERR_IO, "cannot start `domain`: %s", strerror(errno));
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return HS_FAIL(s->ctx, HS_ERR_IO, "waitpid: %s", strerror(errno));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return HS_FAIL(s->ctx, HS_ERR_IO, "study %s: `hydroscale domain %s` failed; see %s", s->name,
                       r->config, log);
    return HS_OK;
}

/* Runs one after the other (REPEATS times each, the fastest kept). */
static hs_status execute_sequential(study *s, size_t first, size_t count) {
    for (size_t i = first; i < first + count; i++) {
        run *r = &s->runs[i];
        double best = INFINITY;
        run keep = *r;
        if (r->build_domain) {
            const double tp = hs_wall_time();
            HS_TRY(build_domain(s, r));
            s->prep_s += hs_wall_time() - tp;
        }
        for (int rep = 0; rep < s->repeats; rep++) {
            hs_log(s->ctx, HS_LOG_INFO, "study %s: run %zu/%zu %s%s", s->name, i + 1, s->n_runs,
                   r->label, s->repeats > 1 ? " (repeat)" : "");
            r->t_start = hs_wall_time();
            pid_t pid = spawn(s, r);
            if (pid < 0) return HS_FAIL(s->ctx, HS_ERR_IO, "cannot start a run: %s", strerror(errno));
            HS_TRY(wait_run(s, pid, r));
            read_summary(s, r);
            HS_TRY(check_run(s, r));
            s->runs_s += r->wall;
            if (r->wall < best) {
                best = r->wall;
                keep = *r;
            }
        }
        *r = keep;
    }
    return HS_OK;
}

/* Launches the runs all at once and waits for all (ensemble modes parallel and hybrid). */
static hs_status execute_concurrent(study *s, size_t first, size_t count) {
    pid_t *pids = calloc(count, sizeof *pids);
    if (!pids) return HS_FAIL(s->ctx, HS_ERR_NOMEM, "study: out of memory");
    const double t0 = hs_wall_time();
    for (size_t i = 0; i < count; i++) {
        run *r = &s->runs[first + i];
        r->t_start = hs_wall_time();
        pids[i] = spawn(s, r);
    }
    hs_status st = HS_OK;
    for (size_t left = count; left > 0; left--) {
        int status = 0;
        pid_t pid = wait(&status);
        if (pid < 0) {
            if (errno == EINTR) {
                left++;
                continue;
            }
            st = HS_FAIL(s->ctx, HS_ERR_IO, "wait: %s", strerror(errno));
            break;
        }
        for (size_t i = 0; i < count; i++) {
            if (pids[i] != pid) continue;
            run *r = &s->runs[first + i];
            r->t_end = hs_wall_time();
            r->wall = r->t_end - r->t_start;
            r->rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
    }
    free(pids);
    s->runs_s += hs_wall_time() - t0;
    for (size_t i = 0; st == HS_OK && i < count; i++) {
        read_summary(s, &s->runs[first + i]);
        st = check_run(s, &s->runs[first + i]);
    }
    return st;
}

/* ---------------------------------------------------------------------------------------------
 * building the runs of each kind */

static hs_status get_list(study *s, const char *key, const char *quick_key,
                          const char *const **items, size_t *n) {
    if (s->o->quick && quick_key && hs_config_has(s->cfg, quick_key))
        return hs_config_get_list(s->cfg, quick_key, s->ctx, items, n);
    return hs_config_get_list(s->cfg, key, s->ctx, items, n);
}

static hs_status parse_int(study *s, const char *key, const char *text, int lo, int *out) {
    char *end = NULL;
    long v = strtol(text, &end, 10);
    if (end == text || *end || v < lo || v > 100000)
        return HS_FAIL(s->ctx, HS_ERR_CONFIG, "%s: %s: '%s' is not a count >= %d",
                       hs_config_path(s->cfg), key, text, lo);
    *out = (int)v;
    return HS_OK;
}

static hs_status run_dir(study *s, run *r) {
    char safe[256];
    memcpy(safe, r->label, sizeof safe);
    for (char *c = safe; *c; c++)
        if (*c == '/' || *c == ' ' || *c == ':') *c = '_';
    int n = snprintf(r->out, sizeof r->out, "%.4000s/runs/%.255s", s->out_dir, safe);
    if (n < 0 || (size_t)n >= sizeof r->out)
        return HS_FAIL(s->ctx, HS_ERR_CONFIG, "study output path too long");
    return HS_OK;
}

/* strategy x workers: NUM_PROCESSES and EXECUTION_STRATEGY, or mpirun -n W */
static hs_status set_tier(study *s, run *r, const char *strategy, int w) {
    char num[16];
    snprintf(num, sizeof num, "%d", w);
    r->workers = w;
    snprintf(r->group, sizeof r->group, "%s", strategy);
    if (strcmp(strategy, "mpi") == 0) {
        /* SLURM scripts are for a cluster's build: only running needs MPI here */
        if (!hs_mpi_built() && !s->o->emit_slurm)
            return HS_FAIL(s->ctx, HS_ERR_CONFIG,
                           "%s: STRATEGIES mpi: this hydroscale was built without MPI",
                           hs_config_path(s->cfg));
        if (w > 1) r->mpi_ranks = w;
        return run_set(s, r, "EXECUTION_STRATEGY", w > 1 ? "mpi" : "sequential");
    }
    if (strcmp(strategy, "threads") != 0 && strcmp(strategy, "processes") != 0 &&
        strcmp(strategy, "sequential") != 0)
        return HS_FAIL(s->ctx, HS_ERR_CONFIG,
                       "%s: STRATEGIES: '%s' is not one of sequential, threads, processes, mpi",
                       hs_config_path(s->cfg), strategy);
    HS_TRY(run_set(s, r, "NUM_PROCESSES", num));
    return run_set(s, r, "EXECUTION_STRATEGY", w > 1 ? strategy : "sequential");
}

static hs_status build_strong(study *s, bool backends) {
    const char *const *strat, *const *workers, *const *be = NULL;
    size_t ns, nw, nb = 1;
    HS_TRY(hs_config_get_list(s->cfg, "STRATEGIES", s->ctx, &strat, &ns));
    HS_TRY(get_list(s, "WORKERS", "QUICK_WORKERS", &workers, &nw));
    if (backends) HS_TRY(hs_config_get_list(s->cfg, "BACKENDS", s->ctx, &be, &nb));
    if (ns == 0 || nw == 0)
        return HS_FAIL(s->ctx, HS_ERR_CONFIG, "%s: STRATEGIES and WORKERS must not be empty",
                       hs_config_path(s->cfg));
    for (size_t b = 0; b < nb; b++)
        for (size_t i = 0; i < ns; i++)
            for (size_t j = 0; j < nw; j++) {
                int w = 0;
                HS_TRY(parse_int(s, "WORKERS", workers[j], 1, &w));
                run *r;
                HS_TRY(add_run(s, &r));
                HS_TRY(run_common(s, r));
                HS_TRY(set_tier(s, r, strat[i], w));
                if (backends) {
                    HS_TRY(run_set(s, r, "MODEL_BACKEND", be[b]));
                    snprintf(r->member, sizeof r->member, "%s", be[b]);
                    snprintf(r->label, sizeof r->label, "%s_%s_w%d", be[b], strat[i], w);
                } else {
                    snprintf(r->label, sizeof r->label, "%s_w%d", strat[i], w);
                }
                HS_TRY(run_dir(s, r));
            }
    return HS_OK;
}

static hs_status build_async(study *s) {
    const char *const *rows, *const *delays;
    size_t nr, nd;
    HS_TRY(get_list(s, "ROWS", "QUICK_ROWS", &rows, &nr));
    HS_TRY(hs_config_get_list(s->cfg, "DELAYS", s->ctx, &delays, &nd));
    if (nr == 0)
        return HS_FAIL(s->ctx, HS_ERR_CONFIG, "%s: ROWS must list sync:W or async:POOL:BATCH:W",
                       hs_config_path(s->cfg));
    for (size_t d = 0; d < nd; d++)
        for (size_t i = 0; i < nr; i++) {
            int pool = 0, batch = 0, w = 0;
            char tail = 0;
            bool sync = sscanf(rows[i], "sync:%d%c", &w, &tail) == 1 && w >= 1;
            bool async = !sync && sscanf(rows[i], "async:%d:%d:%d%c", &pool, &batch, &w, &tail) == 3 &&
                         pool >= 1 && batch >= 1 && w >= 1;
            if (!sync && !async)
                return HS_FAIL(s->ctx, HS_ERR_CONFIG,
                               "%s: ROWS: '%s' is not sync:WORKERS or async:POOL:BATCH:WORKERS",
                               hs_config_path(s->cfg), rows[i]);
            run *r;
            HS_TRY(add_run(s, &r));
            HS_TRY(run_common(s, r));
            char num[32];
            snprintf(num, sizeof num, "%d", w);
            HS_TRY(run_set(s, r, "NUM_PROCESSES", num));
            HS_TRY(run_set(s, r, "EXECUTION_STRATEGY", w > 1 ? "threads" : "sequential"));
            HS_TRY(run_set(s, r, "EVAL_DELAY_DISTRIBUTION", delays[d]));
            r->workers = w;
            if (async) {
                HS_TRY(run_set(s, r, "ITERATIVE_OPTIMIZATION_ALGORITHM", "ASYNC_DDS"));
                snprintf(num, sizeof num, "%d", pool);
                HS_TRY(run_set(s, r, "ASYNC_DDS_POOL_SIZE", num));
                snprintf(num, sizeof num, "%d", batch);
                HS_TRY(run_set(s, r, "ASYNC_DDS_BATCH_SIZE", num));
            } else {
                HS_TRY(run_set(s, r, "ITERATIVE_OPTIMIZATION_ALGORITHM", "DDS"));
            }
            snprintf(r->group, sizeof r->group, "%s", rows[i]);
            snprintf(r->member, sizeof r->member, "%s", delays[d]);
            snprintf(r->label, sizeof r->label, "%s_%s", rows[i], delays[d]);
            HS_TRY(run_dir(s, r));
        }
    return HS_OK;
}

static hs_status resolve_path(study *s, const char *p, char *out, size_t cap) {
    return hs_io_path_join(s->ctx, hs_config_dir(s->cfg), p, out, cap);
}

static hs_status build_weak(study *s) {
    const char *const *cfgs;
    size_t n;
    HS_TRY(hs_config_get_list(s->cfg, "DOMAIN_CONFIGS", s->ctx, &cfgs, &n));
    if (n == 0)
        return HS_FAIL(s->ctx, HS_ERR_CONFIG, "%s: DOMAIN_CONFIGS must list configs",
                       hs_config_path(s->cfg));
    const char *const *workers;
    size_t nw;
    HS_TRY(get_list(s, "WORKERS", "QUICK_WORKERS", &workers, &nw));
    int w = 1;
    if (nw > 0) HS_TRY(parse_int(s, "WORKERS", workers[nw - 1], 1, &w));
    for (size_t i = 0; i < n; i++) {
        run *r;
        HS_TRY(add_run(s, &r));
        HS_TRY(resolve_path(s, cfgs[i], r->config, sizeof r->config));
        HS_TRY(run_common(s, r));
        HS_TRY(set_tier(s, r, "threads", w));
        /* label: the config's folder and name ("bow/domain_lumped"), as configs are often all
         * called config.yaml */
        const char *base = strrchr(cfgs[i], '/');
        const char *start = cfgs[i];
        if (base) {
            const char *prev = base;
            while (prev > cfgs[i] && prev[-1] != '/') prev--;
            start = prev;
        }
        snprintf(r->label, sizeof r->label, "%s", start);
        char *dot = strrchr(r->label, '.');
        if (dot) *dot = '\0';
        memcpy(r->group, r->label, sizeof r->group - 1);
        HS_TRY(run_dir(s, r));
        bool build = false;
        HS_TRY(hs_config_get_bool(s->cfg, "BUILD_DOMAINS", s->ctx, &build));
        r->build_domain = build;
    }
    return HS_OK;
}

/* Ensemble members: "MODEL" (BASE_CONFIG with HYDROLOGICAL_MODEL) or "MODEL@config". */
static hs_status build_ensemble(study *s, const char *const *members, size_t n, bool are_configs,
                                const char *only_mode) {
    const char *const *modes;
    size_t nm;
    HS_TRY(hs_config_get_list(s->cfg, "MODES", s->ctx, &modes, &nm));
    long seq_w = 4, hyb_w = 2;
    HS_TRY(hs_config_get_int(s->cfg, "SEQUENTIAL_WORKERS", s->ctx, &seq_w));
    HS_TRY(hs_config_get_int(s->cfg, "HYBRID_WORKERS", s->ctx, &hyb_w));
    if (s->o->workers > 0) seq_w = hyb_w = s->o->workers;
    if (n == 0)
        return HS_FAIL(s->ctx, HS_ERR_CONFIG, "%s: MEMBERS must list models or MODEL@config",
                       hs_config_path(s->cfg));
    for (size_t m = 0; m < nm; m++) {
        const char *mode = modes[m];
        if (only_mode && strcmp(only_mode, mode) != 0) continue;
        int w;
        if (strcmp(mode, "sequential") == 0) w = (int)seq_w;
        else if (strcmp(mode, "parallel") == 0) w = 1;
        else if (strcmp(mode, "hybrid") == 0) w = (int)hyb_w;
        else
            return HS_FAIL(s->ctx, HS_ERR_CONFIG,
                           "%s: MODES: '%s' is not sequential, parallel or hybrid",
                           hs_config_path(s->cfg), mode);
        for (size_t i = 0; i < n; i++) {
            run *r;
            HS_TRY(add_run(s, &r));
            const char *at = are_configs ? NULL : strchr(members[i], '@');
            char model[64] = "";
            if (are_configs) {
                HS_TRY(hs_io_path_join(s->ctx, ".", members[i], r->config, sizeof r->config));
                const char *base = strrchr(members[i], '/');
                snprintf(model, sizeof model, "%s", base ? base + 1 : members[i]);
                char *dot = strrchr(model, '.');
                if (dot) *dot = '\0';
            } else if (at) {
                snprintf(model, sizeof model, "%.*s", (int)(at - members[i]), members[i]);
                HS_TRY(resolve_path(s, at + 1, r->config, sizeof r->config));
            } else {
                snprintf(model, sizeof model, "%s", members[i]);
            }
            HS_TRY(run_common(s, r));
            if (!are_configs) HS_TRY(run_set(s, r, "HYDROLOGICAL_MODEL", model));
            HS_TRY(set_tier(s, r, "threads", w));
            snprintf(r->group, sizeof r->group, "%s", mode);
            snprintf(r->member, sizeof r->member, "%s", model);
            snprintf(r->label, sizeof r->label, "%s_%s_%zu", mode, model, i);
            HS_TRY(run_dir(s, r));
        }
    }
    return HS_OK;
}

/* ---------------------------------------------------------------------------------------------
 * outputs */

static void machine_description(char *buf, size_t cap) {
    char cpu[256] = "unknown CPU";
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            const char *c = strchr(line, ':');
            if (c) snprintf(cpu, sizeof cpu, "%s", c + 2);
            cpu[strcspn(cpu, "\n")] = '\0';
            break;
        }
    }
    if (f) fclose(f);
    double mem_gib = 0;
    f = fopen("/proc/meminfo", "r");
    while (f && fgets(line, sizeof line, f)) {
        long kb;
        if (sscanf(line, "MemTotal: %ld kB", &kb) == 1) mem_gib = (double)kb / 1048576.0;
    }
    if (f) fclose(f);
    snprintf(buf, cap,
             "machine: %s, %ld logical cores, %.1f GiB; hydroscale %s (%s build, OpenMP %s, MPI %s)",
             cpu, sysconf(_SC_NPROCESSORS_ONLN), mem_gib, HS_VERSION, HS_BUILD_TYPE,
             hs_exec_has_threads() ? "on" : "off", hs_mpi_built() ? "on" : "off");
}

typedef struct out_files {
    hs_io_writer *csv, *md;
} out_files;

static hs_status open_tables(study *s, out_files *f, const char *csv_header, const char *md_header) {
    char path[4400], machine[512];
    machine_description(machine, sizeof machine);
    snprintf(path, sizeof path, "%s/table.csv", s->out_dir);
    HS_TRY(hs_io_writer_open(s->ctx, path, &f->csv));
    snprintf(path, sizeof path, "%s/table.md", s->out_dir);
    hs_status st = hs_io_writer_open(s->ctx, path, &f->md);
    if (st == HS_OK)
        st = hs_io_writer_printf(f->csv, "# study %s (%s)%s\n# %s\n%s\n", s->name,
                                 kind_names[s->kind], s->o->quick ? ", --quick" : "", machine,
                                 csv_header);
    if (st == HS_OK)
        st = hs_io_writer_printf(f->md, "# Study %s (%s)%s\n\n%s\n\n%s\n", s->name,
                                 kind_names[s->kind], s->o->quick ? ", quick version" : "",
                                 machine, md_header);
    if (st != HS_OK) {
        hs_io_writer_abort(&f->csv);
        hs_io_writer_abort(&f->md);
    }
    return st;
}

static hs_status close_tables(study *s, out_files *f, hs_status st) {
    if (st == HS_OK) {
        const double over = s->harness_s - s->runs_s - s->prep_s;
        st = hs_io_writer_printf(f->md,
                                 "\nRuns took %.3f s in all; the harness around them %.3f s "
                                 "(%.2f %% of the study's wall time).\n",
                                 s->runs_s, over, s->harness_s > 0 ? 100.0 * over / s->harness_s : 0.0);
        if (st == HS_OK && s->prep_s > 0)
            st = hs_io_writer_printf(f->md, "Building the domains before the runs (not part of "
                                            "their times): %.3f s.\n", s->prep_s);
    }
    if (st != HS_OK) {
        hs_io_writer_abort(&f->csv);
        hs_io_writer_abort(&f->md);
        return st;
    }
    st = hs_io_writer_commit(&f->csv);
    hs_status st2 = hs_io_writer_commit(&f->md);
    return st != HS_OK ? st : st2;
}

/* Writes a whitespace data file (for gnuplot) atomically. */
static hs_status write_data(study *s, const char *name, const char *text) {
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", s->out_dir, name);
    hs_io_writer *w = NULL;
    HS_TRY(hs_io_writer_open(s->ctx, path, &w));
    hs_status st = hs_io_writer_write(w, text, strlen(text));
    if (st != HS_OK) {
        hs_io_writer_abort(&w);
        return st;
    }
    return hs_io_writer_commit(&w);
}

typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) HS_PRINTF(2, 3);
static void sb_printf(sbuf *b, const char *fmt, ...) {
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (k < 0) return;
        if (b->p && b->n + (size_t)k < b->cap) {
            b->n += (size_t)k;
            return;
        }
        size_t cap = (b->cap ? 2 * b->cap : 4096) + (size_t)k;
        char *p = realloc(b->p, cap);
        if (!p) return;
        b->p = p;
        b->cap = cap;
        if (b->n == 0) b->p[0] = '\0';
    }
}

static const run *base_run(const study *s, const run *r) {
    /* the 1-worker run of the same strategy (and backend); else the first run of the study */
    for (size_t i = 0; i < s->n_runs; i++) {
        const run *q = &s->runs[i];
        if (q->workers == 1 && strcmp(q->group, r->group) == 0 && strcmp(q->member, r->member) == 0)
            return q;
    }
    return &s->runs[0];
}

static hs_status report_strong(study *s) {
    out_files f = {NULL, NULL};
    const bool be = s->kind == 2;
    HS_TRY(open_tables(s, &f,
                       "backend,strategy,workers,oversubscribed,wall_s,calibration_wall_s,speedup,"
                       "efficiency,calibration_speedup,worker_utilization,serial_fraction,"
                       "mean_eval_us,kge_calibration",
                       "Speedup and efficiency: whole processes (start-up, reading, outputs and, for "
                       "MPI, the launcher included), against the 1-worker run of the same row group; "
                       "calibration speedup: the calibration loop alone. * = more workers than "
                       "processors (oversubscribed).\n\n"
                       "| backend | strategy | workers | wall (s) | calibration (s) | speedup | "
                       "efficiency (%) | calibration speedup | utilization (%) | serial fraction | "
                       "µs/eval | KGE cal |\n"
                       "|---|---|---|---|---|---|---|---|---|---|---|---|"));
    const int procs = hs_exec_num_procs();
    hs_status st = HS_OK;
    sbuf data = {NULL, 0, 0};
    for (size_t i = 0; st == HS_OK && i < s->n_runs; i++) {
        const run *r = &s->runs[i];
        const run *b1 = base_run(s, r);
        const double sp = b1->wall / r->wall, eff = sp / r->workers;
        const double csp = b1->calib_wall / r->calib_wall;
        const bool over = r->workers > procs;
        const char *b = be ? r->member : "scalar";
        st = hs_io_writer_printf(f.csv, "%s,%s,%d,%d,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.3f,%.6f\n",
                                 b, r->group, r->workers, over ? 1 : 0, r->wall, r->calib_wall, sp,
                                 eff, csp, r->util, r->serial_fraction, r->mean_eval_us, r->kge_cal);
        if (st == HS_OK)
            st = hs_io_writer_printf(f.md, "| %s | %s | %d%s | %.3f | %.3f | %.2f | %.1f | %.2f | %.1f | %.4f | %.1f | %.4f |\n",
                                     b, r->group, r->workers, over ? "*" : "", r->wall,
                                     r->calib_wall, sp, 100 * eff, csp, 100 * r->util,
                                     r->serial_fraction, r->mean_eval_us, r->kge_cal);
        sb_printf(&data, "%s_%s %d %.6f %.6f %.6f\n", b, r->group, r->workers, r->wall, sp, eff);
    }
    /* --model: Amdahl with a dispatch term per strategy, projected (clearly labelled) */
    sbuf proj = {NULL, 0, 0};
    if (st == HS_OK && s->o->model) {
        const char *const *pw;
        size_t npw;
        st = hs_config_get_list(s->cfg, "PROJECT_WORKERS", s->ctx, &pw, &npw);
        st = st == HS_OK ? hs_io_writer_printf(f.md, "\n**Projection (Amdahl fit T(w) = a + b/w + "
                                                     "c(w-1) to the runs above with at most as many workers as processors; "
                                                     "not measured):**\n\n"
                                                     "| backend / strategy | serial fraction | a (s) | b (s) | c (s) | workers | projected wall (s) | speedup | efficiency (%%) |\n"
                                                     "|---|---|---|---|---|---|---|---|---|\n")
                         : st;
        for (size_t i = 0; st == HS_OK && i < s->n_runs; i++) {
            bool first = true;
            for (size_t j = 0; j < i; j++)
                if (!strcmp(s->runs[j].group, s->runs[i].group) &&
                    !strcmp(s->runs[j].member, s->runs[i].member))
                    first = false;
            if (!first) continue;
            double w[64], t[64];
            size_t n = 0;
            /* oversubscribed runs measure time-sharing, not scaling: they stay out of the fit */
            for (size_t j = 0; j < s->n_runs && n < 64; j++)
                if (!strcmp(s->runs[j].group, s->runs[i].group) &&
                    !strcmp(s->runs[j].member, s->runs[i].member) &&
                    s->runs[j].workers <= procs) {
                    w[n] = s->runs[j].workers;
                    t[n++] = s->runs[j].wall;
                }
            hs_amdahl fit = hs_amdahl_fit(w, t, n);
            if (!fit.ok || !(fit.b > 0) || !(fit.a >= 0)) {
                st = hs_io_writer_printf(f.md, "| %s / %s | no meaningful fit (a = %.3g s, b = %.3g s "
                                               "from %zu runs: noisy or too few worker counts) | | | | | | | |\n",
                                         be ? s->runs[i].member : "scalar", s->runs[i].group,
                                         fit.a, fit.b, n);
                continue;
            }
            const double t1 = hs_amdahl_time(&fit, 1.0);
            for (size_t k = 0; k < npw; k++) {
                double pwk = atof(pw[k]);
                if (pwk < 1) continue;
                double tp = hs_amdahl_time(&fit, pwk);
                st = hs_io_writer_printf(f.md, "| %s / %s | %.4f | %.4g | %.4g | %.3g | %g | %.3f | %.2f | %.1f |\n",
                                         be ? s->runs[i].member : "scalar", s->runs[i].group,
                                         fit.serial_fraction, fit.a, fit.b, fit.c,
                                         pwk, tp, t1 / tp, 100 * t1 / tp / pwk);
                sb_printf(&proj, "%s_%s %g %.6f %.6f\n", be ? s->runs[i].member : "scalar",
                          s->runs[i].group, pwk, tp, t1 / tp);
            }
        }
    }
    st = close_tables(s, &f, st);
    if (st == HS_OK && data.p) st = write_data(s, "speedup.dat", data.p);
    if (st == HS_OK && proj.p) st = write_data(s, "projection.dat", proj.p);
    if (st == HS_OK) {
        char png[4400];
        sbuf body = {NULL, 0, 0}, proj_clause = {NULL, 0, 0};
        sb_printf(&proj_clause, "%s", "");
        double wmax = 1;
        for (size_t i = 0; i < s->n_runs; i++) wmax = fmax(wmax, s->runs[i].workers);
        sbuf proj_eff = {NULL, 0, 0};
        if (proj.p)
            sb_printf(&proj_eff,
                      ", for [g in system(\"cut -d' ' -f1 %s/projection.dat | sort -u\")] "
                      "'%s/projection.dat' using (strcol(1) eq g ? $2 : NaN):($4/$2) with "
                      "linespoints dt 3 pt 6 title g.' (projection)'",
                      s->out_dir, s->out_dir);
        if (proj.p)
            sb_printf(&proj_clause,
                     ", for [g in system(\"cut -d' ' -f1 %s/projection.dat | sort -u\")] "
                     "'%s/projection.dat' using (strcol(1) eq g ? $2 : NaN):4 with linespoints dt 3 pt 6 "
                     "title g.' (projection)'",
                     s->out_dir, s->out_dir);
        snprintf(png, sizeof png, "%.4300s/speedup.png", s->out_dir);
        sb_printf(&body,
                 "set multiplot layout 1,2 title 'Study %s: strong scaling'\n"
                 "set xlabel 'workers'\nset grid\nset key top left\nset logscale x 2\n"
                 "set ylabel 'speedup'\nset xrange [0.9:%g]\nset logscale y 2\nset yrange [0.5:*]\n"
                 "plot x with lines dt 2 lc rgb '#777777' title 'ideal', "
                 "for [g in system(\"cut -d' ' -f1 %s/speedup.dat | sort -u\")] "
                 "'%s/speedup.dat' using (strcol(1) eq g ? $2 : NaN):4 with linespoints lw 2 pt 7 title g%s\n"
                 "set ylabel 'efficiency'\nunset logscale y\nset yrange [0:1.1]\n"
                 "plot 1 with lines dt 2 lc rgb '#777777' title 'ideal', "
                 "for [g in system(\"cut -d' ' -f1 %s/speedup.dat | sort -u\")] "
                 "'%s/speedup.dat' using (strcol(1) eq g ? $2 : NaN):5 with linespoints lw 2 pt 7 title g%s\n"
                 "unset multiplot\n",
                 s->name, proj.p ? 150.0 : wmax * 1.2, s->out_dir, s->out_dir,
                 proj_clause.p ? proj_clause.p : "", s->out_dir, s->out_dir,
                 proj_eff.p ? proj_eff.p : "");
        st = body.p ? hs_gnuplot_png(s->ctx, png, 1200, 480, body.p)
                    : HS_FAIL(s->ctx, HS_ERR_NOMEM, "study: out of memory");
        free(body.p);
        free(proj_clause.p);
        free(proj_eff.p);
    }
    free(data.p);
    free(proj.p);
    return st;
}

static hs_status report_async(study *s) {
    out_files f = {NULL, NULL};
    HS_TRY(open_tables(s, &f,
                       "row,delay,workers,wall_s,calibration_wall_s,kge_calibration,"
                       "worker_utilization,n_evaluations",
                       "| strategy (row) | evaluation delay | workers | wall (s) | calibration (s) | "
                       "final KGE | worker utilization (%) |\n|---|---|---|---|---|---|---|"));
    hs_status st = HS_OK;
    sbuf data = {NULL, 0, 0};
    for (size_t i = 0; st == HS_OK && i < s->n_runs; i++) {
        const run *r = &s->runs[i];
        st = hs_io_writer_printf(f.csv, "%s,%s,%d,%.6f,%.6f,%.6f,%.6f,%.0f\n", r->group, r->member,
                                 r->workers, r->wall, r->calib_wall, r->kge_cal, r->util, r->n_evals);
        if (st == HS_OK)
            st = hs_io_writer_printf(f.md, "| %s | %s | %d | %.3f | %.3f | %.4f | %.1f |\n",
                                     r->group, r->member, r->workers, r->wall, r->calib_wall,
                                     r->kge_cal, 100 * r->util);
        sb_printf(&data, "%zu \"%s %s\" %.6f %.6f\n", i, r->group, r->member, r->calib_wall,
                  100 * r->util);
    }
    st = close_tables(s, &f, st);
    if (st == HS_OK && data.p) st = write_data(s, "runs.dat", data.p);
    if (st == HS_OK) {
        char png[4400];
        sbuf body = {NULL, 0, 0};
        snprintf(png, sizeof png, "%.4300s/async_vs_sync.png", s->out_dir);
        sb_printf(&body,
                 "set multiplot layout 1,2 title 'Study %s: asynchronous vs synchronous DDS'\n"
                 "set style fill solid 0.6\nset boxwidth 0.7\nset grid y\nset xtics rotate by -40\n"
                 "set ylabel 'calibration wall time (s)'\nset yrange [0:*]\n"
                 "plot '%s/runs.dat' using 1:3:xtic(2) with boxes lc rgb '#1f77b4' notitle\n"
                 "set ylabel 'worker utilization (%%)'\nset yrange [0:105]\n"
                 "plot '%s/runs.dat' using 1:4:xtic(2) with boxes lc rgb '#2ca02c' notitle\n"
                 "unset multiplot\n",
                 s->name, s->out_dir, s->out_dir);
        st = body.p ? hs_gnuplot_png(s->ctx, png, 1300, 520, body.p)
                    : HS_FAIL(s->ctx, HS_ERR_NOMEM, "study: out of memory");
        free(body.p);
    }
    free(data.p);
    return st;
}

static hs_status report_weak(study *s) {
    out_files f = {NULL, NULL};
    HS_TRY(open_tables(s, &f,
                       "domain,n_hru,workers,wall_s,mean_eval_us,routing_share,read_bytes,write_bytes,"
                       "read_ops,write_ops,iops,peak_rss_mb,kge_calibration",
                       "| domain | HRUs | workers | wall (s) | µs per evaluation | routing share (%) | "
                       "read (B) | written (B) | ops | IOPS | peak RSS (MiB) | KGE cal |\n"
                       "|---|---|---|---|---|---|---|---|---|---|---|---|"));
    hs_status st = HS_OK;
    sbuf data = {NULL, 0, 0};
    double lx[64], ly[64];
    size_t n = 0;
    for (size_t i = 0; st == HS_OK && i < s->n_runs; i++) {
        const run *r = &s->runs[i];
        const double ops = r->read_ops + r->write_ops;
        const double rsh = isfinite(r->routing_share) ? r->routing_share : 0.0;
        st = hs_io_writer_printf(f.csv, "%s,%.0f,%d,%.6f,%.3f,%.6f,%.0f,%.0f,%.0f,%.0f,%.3f,%.2f,%.6f\n",
                                 r->group, r->n_hru, r->workers, r->wall, r->mean_eval_us, rsh,
                                 r->read_bytes, r->write_bytes, r->read_ops, r->write_ops,
                                 ops / r->wall, r->peak_rss_mb, r->kge_cal);
        if (st == HS_OK)
            st = hs_io_writer_printf(f.md, "| %s | %.0f | %d | %.3f | %.1f | %.1f | %.0f | %.0f | %.0f | %.1f | %.1f | %.4f |\n",
                                     r->group, r->n_hru, r->workers, r->wall, r->mean_eval_us,
                                     100 * rsh, r->read_bytes, r->write_bytes, ops, ops / r->wall,
                                     r->peak_rss_mb, r->kge_cal);
        sb_printf(&data, "%.0f %.6f\n", r->n_hru, r->mean_eval_us);
        if (r->n_hru > 0 && r->mean_eval_us > 0 && n < 64) {
            lx[n] = log(r->n_hru);
            ly[n++] = log(r->mean_eval_us);
        }
    }
    if (st == HS_OK) {
        /* cost ~ HRUs^k: k from a straight line in log-log */
        double mx = 0, my = 0, sxx = 0, sxy = 0;
        for (size_t i = 0; i < n; i++) mx += lx[i] / (double)n, my += ly[i] / (double)n;
        for (size_t i = 0; i < n; i++) sxx += (lx[i] - mx) * (lx[i] - mx), sxy += (lx[i] - mx) * (ly[i] - my);
        if (n >= 2 && sxx > 0) {
            const double k = sxy / sxx;
            st = hs_io_writer_printf(f.md, "\nCost per evaluation grows as HRUs^%.3f (%s).\n", k,
                                     k < 0.9 ? "sub-linear: fixed costs are amortised"
                                     : k > 1.1 ? "super-linear: routing or memory effects"
                                               : "about linear: per-HRU work dominates");
        } else {
            st = hs_io_writer_printf(f.md, "\nThe scaling exponent needs runs with at least two HRU counts.\n");
        }
    }
    st = close_tables(s, &f, st);
    if (st == HS_OK && data.p) st = write_data(s, "weak.dat", data.p);
    if (st == HS_OK) {
        char png[4400];
        sbuf body = {NULL, 0, 0};
        snprintf(png, sizeof png, "%.4300s/weak.png", s->out_dir);
        sb_printf(&body,
                 "set title 'Study %s: cost per evaluation vs HRUs'\nset logscale xy\nset grid\n"
                 "set xlabel 'HRUs'\nset ylabel 'µs per evaluation'\n"
                 "plot '%s/weak.dat' using 1:2 with linespoints lw 2 pt 7 notitle\n",
                 s->name, s->out_dir);
        st = body.p ? hs_gnuplot_png(s->ctx, png, 800, 520, body.p)
                    : HS_FAIL(s->ctx, HS_ERR_NOMEM, "study: out of memory");
        free(body.p);
    }
    free(data.p);
    return st;
}

static hs_status report_ensemble(study *s) {
    out_files f = {NULL, NULL};
    HS_TRY(open_tables(s, &f,
                       "mode,member,workers,start_s,end_s,duration_s,kge_calibration",
                       "| mode | member | workers | start (s) | end (s) | duration (s) | KGE cal |\n"
                       "|---|---|---|---|---|---|---|"));
    hs_status st = HS_OK;
    char modes[8][128];
    size_t nm = 0;
    for (size_t i = 0; i < s->n_runs; i++) {
        bool seen = false;
        for (size_t m = 0; m < nm; m++) seen |= !strcmp(modes[m], s->runs[i].group);
        if (!seen && nm < 8) memcpy(modes[nm++], s->runs[i].group, sizeof modes[0]);
    }
    for (size_t m = 0; st == HS_OK && m < nm; m++) {
        double t0 = INFINITY, t1 = -INFINITY, sum = 0;
        for (size_t i = 0; i < s->n_runs; i++)
            if (!strcmp(s->runs[i].group, modes[m])) {
                t0 = fmin(t0, s->runs[i].t_start);
                t1 = fmax(t1, s->runs[i].t_end);
            }
        sbuf g = {NULL, 0, 0};
        size_t k = 0;
        for (size_t i = 0; st == HS_OK && i < s->n_runs; i++) {
            const run *r = &s->runs[i];
            if (strcmp(r->group, modes[m]) != 0) continue;
            const double a = r->t_start - t0, b = r->t_end - t0;
            sum += r->wall;
            st = hs_io_writer_printf(f.csv, "%s,%s,%d,%.6f,%.6f,%.6f,%.6f\n", r->group, r->member,
                                     r->workers, a, b, b - a, r->kge_cal);
            if (st == HS_OK)
                st = hs_io_writer_printf(f.md, "| %s | %s | %d | %.3f | %.3f | %.3f | %.4f |\n",
                                         r->group, r->member, r->workers, a, b, b - a, r->kge_cal);
            sb_printf(&g, "%zu %.6f %.6f %s\n", k++, a, b, r->member);
        }
        if (st == HS_OK)
            st = hs_io_writer_printf(f.md, "| **%s total** | | | | | **%.3f** (sum of runs %.3f) | |\n",
                                     modes[m], t1 - t0, sum);
        char name[160];
        snprintf(name, sizeof name, "gantt_%.128s.dat", modes[m]);
        if (st == HS_OK && g.p) st = write_data(s, name, g.p);
        free(g.p);
        if (st == HS_OK) {
            char png[4400];
            sbuf body = {NULL, 0, 0};
            snprintf(png, sizeof png, "%.4000s/gantt_%.127s.png", s->out_dir, modes[m]);
            /* a bar per member from its start to its end (seconds since the mode began) */
            sb_printf(&body,
                     "set title 'Study %s: ensemble, mode %s (total %.2f s)'\n"
                     "set xlabel 'time since the mode started (s)'\nset grid x\nset yrange [-0.6:%zu.6]\n"
                     "set style fill solid 0.7\nunset key\n"
                     "plot '%s/%s' using (($2+$3)/2):1:(($3-$2)/2):(0.35):yticlabels(4) "
                     "with boxxyerror lc rgb '#1f77b4'\n",
                     s->name, modes[m], t1 - t0, k ? k - 1 : 0, s->out_dir, name);
            st = body.p ? hs_gnuplot_png(s->ctx, png, 900, 120 + 70 * (int)k, body.p)
                        : HS_FAIL(s->ctx, HS_ERR_NOMEM, "study: out of memory");
            free(body.p);
        }
    }
    return close_tables(s, &f, st);
}

/* ---------------------------------------------------------------------------------------------
 * SLURM scripts: one array task per non-MPI run, one batch script per MPI run */

static void shell_quote(sbuf *b, const char *arg) {
    sb_printf(b, " '");
    for (const char *c = arg; *c; c++) {
        if (*c == '\'') sb_printf(b, "'\\''");
        else sb_printf(b, "%c", *c);
    }
    sb_printf(b, "'");
}

static hs_status emit_slurm(study *s) {
    sbuf arr = {NULL, 0, 0};
    size_t n_arr = 0;
    int max_w = 1;
    for (size_t i = 0; i < s->n_runs; i++)
        if (s->runs[i].mpi_ranks == 0) {
            n_arr++;
            if (s->runs[i].workers > max_w) max_w = s->runs[i].workers;
        }
    hs_status st = HS_OK;
    char path[4400];
    if (n_arr > 0) {
        sb_printf(&arr,
                  "#!/bin/bash\n# hydroscale study %s (%s): %zu runs as a SLURM job array, one "
                  "task per run.\n#SBATCH --job-name=hs_%s\n#SBATCH --array=0-%zu\n"
                  "#SBATCH --nodes=1\n#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=%d\n"
                  "#SBATCH --output=slurm-%%A_%%a.out\nset -euo pipefail\n"
                  "export OMP_NUM_THREADS=$SLURM_CPUS_PER_TASK\n"
                  "case \"$SLURM_ARRAY_TASK_ID\" in\n",
                  s->name, kind_names[s->kind], n_arr, s->name, n_arr - 1, max_w);
        size_t k = 0;
        for (size_t i = 0; i < s->n_runs; i++) {
            const run *r = &s->runs[i];
            if (r->mpi_ranks) continue;
            char *argv[8 + 2 * MAX_SETS + 8], nbuf[16];
            int argc = run_argv(s, r, argv, (int)(sizeof argv / sizeof *argv), nbuf);
            sb_printf(&arr, "  %zu) # %s\n    ", k++, r->label);
            for (int a = 0; a < argc; a++) shell_quote(&arr, argv[a]);
            sb_printf(&arr, " ;;\n");
        }
        sb_printf(&arr, "  *) echo \"no task $SLURM_ARRAY_TASK_ID\" >&2; exit 1 ;;\nesac\n");
        snprintf(path, sizeof path, "%s/slurm/%s_array.sbatch", s->out_dir, s->name);
        if (arr.p) {
            char dir[4400];
            hs_io_dirname(path, dir, sizeof dir);
            st = hs_io_mkdirs(s->ctx, dir);
            hs_io_writer *w = NULL;
            if (st == HS_OK) st = hs_io_writer_open(s->ctx, path, &w);
            if (st == HS_OK) st = hs_io_writer_write(w, arr.p, arr.n);
            if (st == HS_OK) st = hs_io_writer_commit(&w);
            else hs_io_writer_abort(&w);
            if (st == HS_OK) printf("%s (%zu array tasks)\n", path, n_arr);
        }
    }
    free(arr.p);
    for (size_t i = 0; st == HS_OK && i < s->n_runs; i++) {
        const run *r = &s->runs[i];
        if (!r->mpi_ranks) continue;
        sbuf b = {NULL, 0, 0};
        sb_printf(&b,
                  "#!/bin/bash\n# hydroscale study %s: run %s on %d MPI ranks.\n"
                  "#SBATCH --job-name=hs_%s_%s\n#SBATCH --ntasks=%d\n#SBATCH --cpus-per-task=1\n"
                  "#SBATCH --output=slurm-%%j.out\nset -euo pipefail\nsrun -n %d",
                  s->name, r->label, r->mpi_ranks, s->name, r->label, r->mpi_ranks, r->mpi_ranks);
        char *argv[8 + 2 * MAX_SETS + 8], nbuf[16];
        run tmp = *r;
        tmp.mpi_ranks = 0; /* srun is the launcher */
        int argc = run_argv(s, &tmp, argv, (int)(sizeof argv / sizeof *argv), nbuf);
        for (int a = 0; a < argc; a++) shell_quote(&b, argv[a]);
        sb_printf(&b, "\n");
        if (snprintf(path, sizeof path, "%s/slurm/%s_%s.sbatch", s->out_dir, s->name, r->label) >=
            (int)sizeof path)
            st = HS_FAIL(s->ctx, HS_ERR_CONFIG, "study output path too long");
        char dir[4400];
        hs_io_dirname(path, dir, sizeof dir);
        st = hs_io_mkdirs(s->ctx, dir);
        hs_io_writer *w = NULL;
        if (st == HS_OK) st = hs_io_writer_open(s->ctx, path, &w);
        if (st == HS_OK) st = hs_io_writer_write(w, b.p, b.n);
        if (st == HS_OK) st = hs_io_writer_commit(&w);
        else hs_io_writer_abort(&w);
        if (st == HS_OK) printf("%s\n", path);
        free(b.p);
    }
    return st;
}

/* ---------------------------------------------------------------------------------------------
 * entry points */

static hs_status study_open(study *s, const hs_study_options *o, hs_ctx *ctx, const char *path) {
    memset(s, 0, sizeof *s);
    s->o = o;
    s->ctx = ctx;
    HS_TRY(hs_config_create(ctx, &s->cfg));
    HS_TRY(hs_config_add_schema(s->cfg, study_schema, sizeof study_schema / sizeof *study_schema, ctx));
    if (path) HS_TRY(hs_config_load(s->cfg, path, ctx));
    hs_config_warn_unknown(s->cfg, ctx);
    long rep = 1;
    HS_TRY(hs_config_get_int(s->cfg, "REPEATS", ctx, &rep));
    s->repeats = o->quick ? 1 : (int)rep;
    char base[4096];
    if (hs_config_has(s->cfg, "BASE_CONFIG")) {
        HS_TRY(hs_config_get_path(s->cfg, "BASE_CONFIG", ctx, base, sizeof base));
    } else {
        const char *env = getenv("HYDROSCALE_EXAMPLE");
#ifdef HS_EXAMPLE_CONFIG
        snprintf(base, sizeof base, "%s", env && *env ? env : HS_EXAMPLE_CONFIG);
#else
        snprintf(base, sizeof base, "%s", env ? env : "");
#endif
    }
    snprintf(s->base_config, sizeof s->base_config, "%s", base);
    return HS_OK;
}

static hs_status study_out_dir(study *s) {
    const char *root = s->o->output_dir;
    if (!root) HS_TRY(hs_config_get_string(s->cfg, "OUTPUT_DIR", s->ctx, &root));
    int n = snprintf(s->out_dir, sizeof s->out_dir, "%s/%s", root, s->name);
    if (n < 0 || (size_t)n >= sizeof s->out_dir)
        return HS_FAIL(s->ctx, HS_ERR_CONFIG, "OUTPUT_DIR: path too long");
    return hs_io_mkdirs(s->ctx, s->out_dir);
}

static hs_status study_run(study *s) {
    if (s->o->emit_slurm) return emit_slurm(s);
    const double t0 = hs_wall_time();
    hs_status st = HS_OK;
    if (s->kind == 4) {
        /* ensemble: sequential mode one after the other, the others all at once */
        size_t i = 0;
        while (st == HS_OK && i < s->n_runs) {
            size_t j = i;
            while (j < s->n_runs && !strcmp(s->runs[j].group, s->runs[i].group)) j++;
            hs_log(s->ctx, HS_LOG_INFO, "study %s: ensemble mode %s, %zu members", s->name,
                   s->runs[i].group, j - i);
            st = strcmp(s->runs[i].group, "sequential") == 0 ? execute_sequential(s, i, j - i)
                                                             : execute_concurrent(s, i, j - i);
            i = j;
        }
    } else {
        st = execute_sequential(s, 0, s->n_runs);
    }
    s->harness_s = hs_wall_time() - t0;
    if (st != HS_OK) return st;
    switch (s->kind) {
    case 0:
    case 2: st = report_strong(s); break;
    case 1: st = report_async(s); break;
    case 3: st = report_weak(s); break;
    default: st = report_ensemble(s); break;
    }
    if (st == HS_OK) printf("study %s: %zu runs; results in %s (table.md, table.csv, *.png)\n",
                            s->name, s->n_runs, s->out_dir);
    return st;
}

hs_status hs_study_scaling(const hs_study_options *o, hs_ctx *ctx) {
    study s;
    hs_status st = study_open(&s, o, ctx, o->study_path);
    const char *name = NULL;
    if (st == HS_OK) st = hs_config_get_string(s.cfg, "STUDY_NAME", ctx, &name);
    if (st == HS_OK) snprintf(s.name, sizeof s.name, "%s", name);
    if (st == HS_OK) st = hs_config_get_enum(s.cfg, "STUDY_KIND", ctx, &s.kind, NULL);
    if (st == HS_OK) st = study_out_dir(&s);
    if (st == HS_OK) {
        switch (s.kind) {
        case 0: st = build_strong(&s, false); break;
        case 1: st = build_async(&s); break;
        case 2: st = build_strong(&s, true); break;
        case 3: st = build_weak(&s); break;
        default: {
            const char *const *members;
            size_t n;
            st = hs_config_get_list(s.cfg, "MEMBERS", ctx, &members, &n);
            if (st == HS_OK) st = build_ensemble(&s, members, n, false, o->mode);
        }
        }
    }
    if (st == HS_OK) st = study_run(&s);
    runs_free(&s);
    hs_config_destroy(&s.cfg);
    return st;
}

hs_status hs_study_ensemble(const hs_study_options *o, hs_ctx *ctx) {
    if (o->n_configs == 0)
        return HS_FAIL(ctx, HS_ERR_CONFIG, "ensemble: give the member configs (CONFIG.yaml ...)");
    study s;
    hs_status st = study_open(&s, o, ctx, NULL);
    snprintf(s.name, sizeof s.name, "ensemble");
    s.kind = 4;
    if (st == HS_OK && o->mode && strcmp(o->mode, "sequential") && strcmp(o->mode, "parallel") &&
        strcmp(o->mode, "hybrid"))
        st = HS_FAIL(ctx, HS_ERR_CONFIG, "--mode: '%s' is not sequential, parallel or hybrid",
                     o->mode);
    if (st == HS_OK) st = study_out_dir(&s);
    if (st == HS_OK) st = build_ensemble(&s, o->configs, o->n_configs, true, o->mode);
    if (st == HS_OK) st = study_run(&s);
    runs_free(&s);
    hs_config_destroy(&s.cfg);
    return st;
}
