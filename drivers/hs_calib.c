/* hs_calib.c -- the calibration engine; see hs_calib.h.
 *
 * One coordinator (the calling thread, rank 0, or the parent process) owns the search (hs_dds or
 * hs_adds) and the trajectory. Workers only evaluate: they hold a workspace each and never touch
 * the search, except in the threads tier of ASYNC_DDS, where each OpenMP worker runs the
 * coordinator's short ask/tell step itself under a lock (no thread sits idle as a coordinator).
 * Remote workers (forked processes, MPI ranks) receive candidates, one or a batch at a time, and
 * send back their objectives as arrays of doubles (see "remote workers" below). */
#define _POSIX_C_SOURCE 200809L
#define _XOPEN_SOURCE 700
#include "hs_calib.h"

#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hs_adds.h"
#include "hs_dds.h"
#include "hs_exec.h"
#include "hs_io.h"
#include "hs_mpi.h"
#include "hs_sys.h"

enum { TAG_JOB = 11, TAG_RESULT = 12, TAG_BATCH_RESULT = 13 };
enum { CMD_STOP = 0, CMD_EVAL = 1, CMD_EVAL_BATCH = 2 };
enum { REPLY_LEN = 5 };

const char *hs_tier_name(hs_tier tier) {
    switch (tier) {
    case HS_TIER_SEQUENTIAL: return "sequential";
    case HS_TIER_THREADS: return "threads";
    case HS_TIER_PROCESSES: return "processes";
    case HS_TIER_MPI: return "mpi";
    }
    return "unknown";
}

/* ---------------------------------------------------------------------------------------------
 * tier selection */

hs_status hs_calib_setup_resolve(const hs_config *cfg, hs_ctx *ctx, hs_calib_setup *s) {
    memset(s, 0, sizeof *s);
    int strategy = 0, algo = 0;
    long nproc = 1, hru_threads = 1, batch = 0, pool = 10, in_flight = 0, interval = 100, seed = 42;
    bool keep = false;
    const char *delay_text = "none";
    HS_TRY(hs_config_get_enum(cfg, "EXECUTION_STRATEGY", ctx, &strategy, NULL));
    HS_TRY(hs_config_get_enum(cfg, "ITERATIVE_OPTIMIZATION_ALGORITHM", ctx, &algo, NULL));
    HS_TRY(hs_config_get_int(cfg, "NUM_PROCESSES", ctx, &nproc));
    HS_TRY(hs_config_get_int(cfg, "HRU_THREADS", ctx, &hru_threads));
    HS_TRY(hs_config_get_int(cfg, "DDS_BATCH_SIZE", ctx, &batch));
    HS_TRY(hs_config_get_int(cfg, "ASYNC_DDS_POOL_SIZE", ctx, &pool));
    HS_TRY(hs_config_get_int(cfg, "ASYNC_DDS_BATCH_SIZE", ctx, &in_flight));
    HS_TRY(hs_config_get_int(cfg, "CHECKPOINT_INTERVAL", ctx, &interval));
    HS_TRY(hs_config_get_double(cfg, "CHECKPOINT_MIN_SECONDS", ctx, &s->checkpoint_min_s));
    HS_TRY(hs_config_get_int(cfg, "RANDOM_SEED", ctx, &seed));
    HS_TRY(hs_config_get_bool(cfg, "KEEP_SCRATCH", ctx, &keep));
    HS_TRY(hs_config_get_string(cfg, "EVAL_DELAY_DISTRIBUTION", ctx, &delay_text));
    HS_TRY(hs_eval_delay_parse(delay_text, (uint64_t)seed, ctx, &s->delay));

    const int launcher = hs_mpi_launcher_size();
    const bool mpi_up = hs_mpi_is_active() && hs_mpi_size() > 1;
    const char *origin = hs_config_origin(cfg, "EXECUTION_STRATEGY");
    s->mpi_ranks = hs_mpi_is_active() ? hs_mpi_size() : 1;
    switch (strategy) {
    case 0: /* auto */
        if (mpi_up) {
            s->tier = HS_TIER_MPI;
            snprintf(s->reason, sizeof s->reason, "auto: running under an MPI launcher with %d ranks",
                     s->mpi_ranks);
        } else if (nproc > 1 && hs_exec_has_threads()) {
            s->tier = HS_TIER_THREADS;
            snprintf(s->reason, sizeof s->reason, "auto: NUM_PROCESSES %ld%s", nproc,
                     launcher > 1 ? (hs_mpi_built() ? ", MPI launcher but one rank"
                                                    : ", MPI launcher but built without MPI")
                                  : "");
        } else if (nproc > 1) {
            s->tier = HS_TIER_PROCESSES;
            snprintf(s->reason, sizeof s->reason,
                     "auto: NUM_PROCESSES %ld, built without OpenMP: forked workers", nproc);
        } else {
            s->tier = HS_TIER_SEQUENTIAL;
            snprintf(s->reason, sizeof s->reason, "auto: one worker (NUM_PROCESSES 1)");
        }
        break;
    case 1:
        s->tier = HS_TIER_SEQUENTIAL;
        snprintf(s->reason, sizeof s->reason, "EXECUTION_STRATEGY sequential");
        break;
    case 2:
        if (!hs_exec_has_threads())
            return HS_FAIL(ctx, HS_ERR_CONFIG,
                           "%s: EXECUTION_STRATEGY threads needs a build with OpenMP "
                           "(HS_ENABLE_OPENMP=ON); use processes or sequential",
                           origin);
        s->tier = HS_TIER_THREADS;
        snprintf(s->reason, sizeof s->reason, "EXECUTION_STRATEGY threads");
        break;
    case 3:
        s->tier = HS_TIER_PROCESSES;
        snprintf(s->reason, sizeof s->reason, "EXECUTION_STRATEGY processes");
        break;
    default:
        if (!hs_mpi_built())
            return HS_FAIL(ctx, HS_ERR_CONFIG,
                           "%s: EXECUTION_STRATEGY mpi: this hydroscale was built without MPI "
                           "(install libopenmpi-dev and reconfigure); use auto, threads or "
                           "processes",
                           origin);
        if (!mpi_up)
            return HS_FAIL(ctx, HS_ERR_CONFIG,
                           "%s: EXECUTION_STRATEGY mpi needs at least 2 ranks: run it as "
                           "`mpirun -n N hydroscale calibrate ...` with N >= 2",
                           origin);
        s->tier = HS_TIER_MPI;
        snprintf(s->reason, sizeof s->reason, "EXECUTION_STRATEGY mpi, %d ranks", s->mpi_ranks);
        break;
    }
    if (s->tier != HS_TIER_MPI && mpi_up)
        return HS_FAIL(ctx, HS_ERR_CONFIG,
                       "%s: EXECUTION_STRATEGY %s under an MPI launcher with %d ranks would run "
                       "the whole calibration on every rank; use auto or mpi",
                       origin, hs_tier_name(s->tier), s->mpi_ranks);
    s->async = algo == 1;
    s->hru_threads = (int)hru_threads;
    switch (s->tier) {
    case HS_TIER_SEQUENTIAL: s->workers = 1; break;
    case HS_TIER_THREADS:
    case HS_TIER_PROCESSES: s->workers = (int)nproc; break;
    case HS_TIER_MPI:
        /* synchronous DDS: rank 0 evaluates its share of each batch too; asynchronous DDS:
         * rank 0 only coordinates, so that a returning worker is served at once */
        s->workers = s->async ? s->mpi_ranks - 1 : s->mpi_ranks;
        break;
    }
    if (s->tier == HS_TIER_SEQUENTIAL && nproc > 1)
        hs_log(ctx, HS_LOG_WARN, "NUM_PROCESSES %ld ignored: EXECUTION_STRATEGY sequential", nproc);
    s->batch = batch > 0 ? (size_t)batch : (size_t)s->workers;
    s->pool = (size_t)pool;
    s->in_flight = in_flight > 0 && in_flight < s->workers ? (size_t)in_flight : (size_t)s->workers;
    s->outstanding = in_flight > 0 ? (size_t)in_flight : (size_t)s->workers;
    s->checkpoint_interval = interval;
    s->keep_scratch = keep;

    /* nesting rule: candidate workers x HRU threads <= processors of this process (per node
     * under MPI: ranks on this node x HRU threads) */
    const int procs = hs_exec_num_procs();
    long per_node = s->tier == HS_TIER_MPI ? 1 : s->workers;
    const char *local = getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
    if (s->tier == HS_TIER_MPI && local) per_node = atol(local);
    if (per_node * hru_threads > procs)
        hs_log(ctx, HS_LOG_WARN,
               "%ld worker(s) x HRU_THREADS %ld = %ld threads on %d processor(s): oversubscribed; "
               "keep workers x HRU_THREADS <= processors",
               per_node, hru_threads, per_node * hru_threads, procs);
    if (s->hru_threads > 1 && s->tier == HS_TIER_THREADS) hs_exec_set_nesting(2);
    return HS_OK;
}

/* ---------------------------------------------------------------------------------------------
 * the engine: trajectory, progress, checkpoints */

typedef struct remote remote;

typedef struct engine {
    hs_experiment *e;
    const hs_calib_setup *s;
    const hs_calib_options *o;
    hs_ctx *ctx;
    size_t n_cal, cap;
    hs_calib_output *out;
    size_t n_done;
    double best_value, best_loss;
    /* workers in this process: one workspace and one context each */
    int n_local;
    hs_workspace **ws;
    hs_ctx **wctx;
    double *busy; /* [max(workers, n_local)] seconds spent evaluating */
    size_t n_failed;
    remote *rem;
    /* search */
    hs_dds *dds;
    hs_adds *adds;
    /* in-flight async candidates (for checkpoints): [slots] */
    size_t n_slots;
    size_t *slot_id; /* 0 = free */
    double *slot_x;
    /* candidates to re-dispatch after a resume (async) */
    size_t n_redo, redo_next;
    size_t *redo_id;
    double *redo_x;
    /* timing and progress */
    double t_start, serial_s, t_last_print;
    size_t last_ckpt;
    double last_ckpt_t; /* wall time of the last checkpoint (or of the start) */
    size_t rows_saved;   /* trajectory rows already in checkpoint.rows */
    char rows_path[4300];
    double ckpt_s;       /* time spent writing checkpoints */
    hs_io_counts io_ckpt;
    bool stopped;
    size_t stop_after; /* test hook HS_TEST_STOP_AFTER: behave as if interrupted after N */
    bool batched;      /* workers evaluate whole batches with the batched kernel */
    double *bl_loss, *bl_value; /* [batch] scratch of batched evaluations in this process */
    bool *bl_failed;
    size_t async_lanes;         /* ASYNC_DDS + batched: candidates per worker per round */
    double *async_x;            /* [slots][n_cal]: the rounds in flight */
    size_t *async_ids;          /* [slots] */
    struct reply *async_r;      /* [slots] */
} engine;

/* A stop was requested (signal, or the test hook once enough evaluations are in). */
static bool stop_wanted(const engine *g) {
    return (g->o->stop && *g->o->stop) || (g->stop_after > 0 && g->n_done >= g->stop_after);
}

static void print_progress(engine *g, bool final) {
    double now = hs_wall_time();
    if (!final && now - g->t_last_print < 0.1) return;
    g->t_last_print = now;
    double el = now - g->t_start;
    double rate = el > 0 ? (double)g->n_done / el : 0;
    double eta = rate > 0 ? (double)(g->cap - g->n_done) / rate : 0;
    fprintf(stderr, "\r\033[Kcalibrate: %zu/%zu evals | best %s %.4f | %.0f evals/s | ETA %.1f s",
            g->n_done, g->cap, hs_metric_name(g->e->metric), g->best_value, rate, eta);
    if (final) fputc('\n', stderr);
    fflush(stderr);
}

/* Appends one told evaluation to the trajectory (coordinator only). */
static void record(engine *g, const double *x, double value, double loss, int worker, size_t id,
                   bool failed) {
    hs_calib_output *o = g->out;
    const size_t i = g->n_done;
    memcpy(o->x + i * g->n_cal, x, g->n_cal * sizeof *x);
    o->value[i] = value;
    o->worker[i] = worker;
    o->dispatch[i] = id;
    if (loss <= g->best_loss) { /* the greedy rule of DDS: keep the metric of its best */
        g->best_loss = loss;
        g->best_value = value;
    }
    o->best[i] = g->best_value;
    g->n_done++;
    if (failed) g->n_failed++;
    if (g->o->progress) print_progress(g, false);
}

static hs_status ckpt_path(engine *g) {
    HS_TRY(hs_io_path_join(g->ctx, g->e->out_dir, "calibration/checkpoint.txt",
                           g->out->checkpoint_path, sizeof g->out->checkpoint_path));
    HS_TRY(hs_io_path_join(g->ctx, g->e->out_dir, "calibration/checkpoint.rows", g->rows_path,
                           sizeof g->rows_path));
    return HS_OK;
}

static hs_status write_hex_row(hs_io_writer *w, const double *v, size_t n) {
    hs_status st = HS_OK;
    for (size_t j = 0; st == HS_OK && j < n; j++) st = hs_io_writer_printf(w, " %a", v[j]);
    if (st == HS_OK) st = hs_io_writer_printf(w, "\n");
    return st;
}

static hs_status append_rows(engine *g) {
    if (g->rows_saved == g->n_done) return HS_OK;
    char dir[4300];
    hs_io_dirname(g->rows_path, dir, sizeof dir);
    HS_TRY(hs_io_mkdirs(g->ctx, dir)); /* created on the first checkpoint only */
    FILE *fp = fopen(g->rows_path, g->rows_saved == 0 ? "w" : "a");
    if (!fp) return HS_FAIL(g->ctx, HS_ERR_IO, "%s: %s", g->rows_path, strerror(errno));
    const hs_calib_output *o = g->out;
    long bytes = 0;
    for (size_t i = g->rows_saved; i < g->n_done && bytes >= 0; i++) {
        int k = fprintf(fp, "%zu %d %a %a", o->dispatch[i], o->worker[i], o->value[i], o->best[i]);
        bytes = k < 0 ? -1 : bytes + k;
        for (size_t j = 0; j < g->n_cal && bytes >= 0; j++) {
            k = fprintf(fp, " %a", o->x[i * g->n_cal + j]);
            bytes = k < 0 ? -1 : bytes + k;
        }
        if (bytes >= 0) bytes = fputc('\n', fp) == EOF ? -1 : bytes + 1;
    }
    bool ok = bytes >= 0 && fflush(fp) == 0 && fsync(fileno(fp)) == 0;
    ok = (fclose(fp) == 0) && ok;
    if (!ok) return HS_FAIL(g->ctx, HS_ERR_IO, "%s: cannot append the trajectory: %s",
                            g->rows_path, strerror(errno));
    hs_io_count_write(g->ctx, (uint64_t)bytes, 1);
    g->rows_saved = g->n_done;
    return HS_OK;
}

/* Writes calibration/checkpoint.txt atomically. Doubles are written in C99 hex (%a), so a
 * resumed run continues from exactly the same bits. */
static hs_status write_checkpoint(engine *g) {
    const double t0 = hs_wall_time();
    hs_io_counts before = hs_ioprof_get(hs_ctx_get_ioprof(g->ctx));
    const hs_experiment *e = g->e;
    const size_t n = g->n_cal;
    hs_io_writer *w = NULL;
    HS_TRY(hs_io_writer_open(g->ctx, g->out->checkpoint_path, &w));
    hs_status st = hs_io_writer_printf(
        w, "hydroscale-checkpoint 1\nalgorithm %s\nseed %llu\nmax_evals %zu\nbatch %zu\npool %zu\n"
           "n_cal %zu\n",
        g->s->async ? "ASYNC_DDS" : "DDS", e->seed, g->cap, g->s->batch, g->s->pool, n);
    for (size_t j = 0; st == HS_OK && j < n; j++)
        st = hs_io_writer_printf(w, "param %s %a %a\n", e->ops->params[e->cal_index[j]].name,
                                 e->lower[j], e->upper[j]);
    double *xb = NULL;
    if (st == HS_OK) st = HS_ALLOC_ARRAY(g->ctx, xb, n, "checkpoint");
    if (st == HS_OK && g->dds) {
        hs_dds_state ds;
        hs_dds_get_state(g->dds, &ds, xb);
        st = hs_io_writer_printf(w, "dds %zu %zu %d %a %llu %llu %llu %llu %a %d\nx_best", ds.asked,
                                 ds.told, ds.has_best ? 1 : 0, ds.f_best,
                                 (unsigned long long)ds.rng.s[0], (unsigned long long)ds.rng.s[1],
                                 (unsigned long long)ds.rng.s[2], (unsigned long long)ds.rng.s[3],
                                 ds.rng.spare, ds.rng.has_spare);
        if (st == HS_OK) st = write_hex_row(w, xb, n);
    }
    if (st == HS_OK && g->adds) {
        size_t np = hs_adds_pool_count(g->adds), nf = 0;
        for (size_t k = 0; k < g->n_slots; k++) nf += g->slot_id[k] != 0;
        for (size_t k = g->redo_next; k < g->n_redo; k++) nf++;
        st = hs_io_writer_printf(w, "adds %zu %zu %zu %zu\n", hs_adds_dispatched(g->adds),
                                 hs_adds_told(g->adds), np, nf);
        for (size_t i = 0; st == HS_OK && i < np; i++) {
            double f = hs_adds_pool_member(g->adds, i, xb);
            st = hs_io_writer_printf(w, "pool %a", f);
            if (st == HS_OK) st = write_hex_row(w, xb, n);
        }
        /* candidates dispatched but not told: evaluated again after a resume */
        for (size_t k = 0; st == HS_OK && k < g->n_slots; k++) {
            if (!g->slot_id[k]) continue;
            st = hs_io_writer_printf(w, "inflight %zu", g->slot_id[k]);
            if (st == HS_OK) st = write_hex_row(w, g->slot_x + k * n, n);
        }
        for (size_t k = g->redo_next; st == HS_OK && k < g->n_redo; k++) {
            st = hs_io_writer_printf(w, "inflight %zu", g->redo_id[k]);
            if (st == HS_OK) st = write_hex_row(w, g->redo_x + k * n, n);
        }
    }
    hs_free(xb);
    /* the trajectory grows: its rows are appended to checkpoint.rows (and synced) before the
     * state file that counts them is renamed into place, so each checkpoint costs the rows
     * since the last one, and a crash between the two leaves extra rows that are ignored */
    if (st == HS_OK) st = append_rows(g);
    if (st == HS_OK)
        st = hs_io_writer_printf(w, "trajectory %zu %a %a %zu\nend\n", g->n_done, g->best_value,
                                 g->best_loss, g->n_failed);
    if (st != HS_OK) {
        hs_io_writer_abort(&w);
        return st;
    }
    st = hs_io_writer_commit(&w);
    hs_io_counts after = hs_ioprof_get(hs_ctx_get_ioprof(g->ctx));
    g->io_ckpt.read_bytes += after.read_bytes - before.read_bytes;
    g->io_ckpt.write_bytes += after.write_bytes - before.write_bytes;
    g->io_ckpt.read_ops += after.read_ops - before.read_ops;
    g->io_ckpt.write_ops += after.write_ops - before.write_ops;
    g->last_ckpt = g->n_done;
    g->last_ckpt_t = hs_wall_time();
    g->ckpt_s += g->last_ckpt_t - t0;
    return st;
}

/* A tiny cursor over the checkpoint text. */
typedef struct cursor {
    char *p;
    const char *path;
    bool bad;
} cursor;

static char *next_word(cursor *c) {
    while (*c->p == ' ' || *c->p == '\n' || *c->p == '\t') c->p++;
    if (!*c->p) {
        c->bad = true;
        return NULL;
    }
    char *w = c->p;
    while (*c->p && *c->p != ' ' && *c->p != '\n' && *c->p != '\t') c->p++;
    if (*c->p) *c->p++ = '\0';
    return w;
}

static double next_double(cursor *c) {
    char *w = next_word(c), *end = NULL;
    if (!w) return NAN;
    double v = strtod(w, &end);
    if (end == w || *end) c->bad = true;
    return v;
}

static unsigned long long next_ull(cursor *c) {
    char *w = next_word(c), *end = NULL;
    if (!w) return 0;
    unsigned long long v = strtoull(w, &end, 10);
    if (end == w || *end) c->bad = true;
    return v;
}

static bool expect(cursor *c, const char *word) {
    char *w = next_word(c);
    if (!w || strcmp(w, word) != 0) c->bad = true;
    return !c->bad;
}

/* Restores the search and the trajectory from calibration/checkpoint.txt. */
static hs_status read_checkpoint(engine *g) {
    hs_ctx *ctx = g->ctx;
    const hs_experiment *e = g->e;
    const size_t n = g->n_cal;
    const char *path = g->out->checkpoint_path;
    if (!hs_io_is_file(path))
        return HS_FAIL(ctx, HS_ERR_CONFIG,
                       "--resume: no checkpoint at %s (run calibrate without --resume first)",
                       path);
    char *text = NULL;
    size_t len = 0;
    HS_TRY(hs_io_read_file(ctx, path, &text, &len));
    cursor c = {text, path, false};
    hs_status st = HS_OK;
    char why[160] = "";
    double *xb = NULL;
    if (!expect(&c, "hydroscale-checkpoint") || next_ull(&c) != 1) {
        snprintf(why, sizeof why, "not a hydroscale checkpoint (version 1)");
        goto done;
    }
    expect(&c, "algorithm");
    const char *algo = next_word(&c);
    if (c.bad || strcmp(algo, g->s->async ? "ASYNC_DDS" : "DDS") != 0) {
        snprintf(why, sizeof why, "it was written by %s, this run uses %s", algo ? algo : "?",
                 g->s->async ? "ASYNC_DDS" : "DDS");
        goto done;
    }
    unsigned long long seed, max_evals, batch, pool, n_cal;
    expect(&c, "seed");
    seed = next_ull(&c);
    expect(&c, "max_evals");
    max_evals = next_ull(&c);
    expect(&c, "batch");
    batch = next_ull(&c);
    expect(&c, "pool");
    pool = next_ull(&c);
    expect(&c, "n_cal");
    n_cal = next_ull(&c);
    if (c.bad || seed != e->seed || max_evals != g->cap || n_cal != n ||
        (!g->s->async && batch != g->s->batch) || (g->s->async && pool != g->s->pool)) {
        snprintf(why, sizeof why,
                 "its settings (seed %llu, %llu evaluations, batch %llu, pool %llu, %llu "
                 "parameters) differ from this run's",
                 seed, max_evals, batch, pool, n_cal);
        goto done;
    }
    for (size_t j = 0; j < n && !c.bad; j++) {
        expect(&c, "param");
        const char *name = next_word(&c);
        double lo = next_double(&c), hi = next_double(&c);
        if (c.bad || strcmp(name, e->ops->params[e->cal_index[j]].name) != 0 ||
            lo != e->lower[j] || hi != e->upper[j]) {
            snprintf(why, sizeof why, "parameter %zu (%s) or its bounds differ from this run's",
                     j + 1, name ? name : "?");
            goto done;
        }
    }
    st = HS_ALLOC_ARRAY(ctx, xb, n, "checkpoint");
    if (st != HS_OK) goto done;
    if (g->dds) {
        hs_dds_state ds;
        expect(&c, "dds");
        ds.asked = (size_t)next_ull(&c);
        ds.told = (size_t)next_ull(&c);
        ds.has_best = next_ull(&c) != 0;
        ds.f_best = next_double(&c);
        for (int k = 0; k < 4; k++) ds.rng.s[k] = (uint64_t)next_ull(&c);
        ds.rng.spare = next_double(&c);
        ds.rng.has_spare = (int)next_ull(&c);
        expect(&c, "x_best");
        for (size_t j = 0; j < n; j++) xb[j] = next_double(&c);
        if (c.bad) goto done;
        st = hs_dds_set_state(g->dds, &ds, xb);
        if (st != HS_OK) goto done;
    } else {
        expect(&c, "adds");
        size_t disp = (size_t)next_ull(&c), told = (size_t)next_ull(&c);
        size_t np = (size_t)next_ull(&c), nf = (size_t)next_ull(&c);
        if (c.bad || np > g->s->pool || nf > g->cap) {
            snprintf(why, sizeof why, "the async DDS state is damaged");
            goto done;
        }
        double *px = NULL, *pf = NULL;
        st = HS_ALLOC_ARRAY(ctx, px, np * n + 1, "checkpoint");
        if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, pf, np + 1, "checkpoint");
        for (size_t i = 0; st == HS_OK && i < np && !c.bad; i++) {
            expect(&c, "pool");
            pf[i] = next_double(&c);
            for (size_t j = 0; j < n; j++) px[i * n + j] = next_double(&c);
        }
        if (st == HS_OK && !c.bad) st = hs_adds_restore(g->adds, disp, told, np, px, pf);
        hs_free(px);
        hs_free(pf);
        if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, g->redo_id, nf + 1, "checkpoint");
        if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, g->redo_x, (nf + 1) * n, "checkpoint");
        for (size_t k = 0; st == HS_OK && k < nf && !c.bad; k++) {
            expect(&c, "inflight");
            g->redo_id[k] = (size_t)next_ull(&c);
            for (size_t j = 0; j < n; j++) g->redo_x[k * n + j] = next_double(&c);
        }
        g->n_redo = nf;
        if (st != HS_OK) goto done;
    }
    expect(&c, "trajectory");
    size_t n_done = (size_t)next_ull(&c);
    g->best_value = next_double(&c);
    g->best_loss = next_double(&c);
    g->n_failed = (size_t)next_ull(&c);
    if (c.bad || n_done > g->cap) {
        snprintf(why, sizeof why, "the trajectory header is damaged");
        goto done;
    }
    expect(&c, "end");
    if (c.bad) {
        snprintf(why, sizeof why, "it is truncated or damaged");
        goto done;
    }
    if (n_done > 0) {
        char *rows = NULL;
        size_t rlen = 0;
        st = hs_io_read_file(ctx, g->rows_path, &rows, &rlen);
        if (st != HS_OK) goto done;
        cursor rc = {rows, g->rows_path, false};
        for (size_t i = 0; i < n_done && !rc.bad; i++) {
            hs_calib_output *o = g->out;
            o->dispatch[i] = (size_t)next_ull(&rc);
            o->worker[i] = (int)next_ull(&rc);
            o->value[i] = next_double(&rc);
            o->best[i] = next_double(&rc);
            for (size_t j = 0; j < n; j++) o->x[i * n + j] = next_double(&rc);
        }
        hs_free(rows);
        if (rc.bad) {
            snprintf(why, sizeof why, "checkpoint.rows holds fewer than the %zu rows it should",
                     n_done);
            goto done;
        }
    }
    g->n_done = n_done;
    g->last_ckpt = n_done;
    g->rows_saved = 0; /* rewritten from the first row at the next checkpoint: drops extras */
done:
    hs_free(xb);
    hs_free(text);
    if (st == HS_OK && (c.bad || why[0]))
        st = HS_FAIL(ctx, HS_ERR_FORMAT, "--resume: %s: %s", path,
                     why[0] ? why : "it is truncated or damaged");
    return st;
}

/* A periodic checkpoint costs two fsyncs (~2.5 ms here), more than 100 evaluations of a 20 us
 * model: besides CHECKPOINT_INTERVAL evaluations, CHECKPOINT_MIN_SECONDS must have passed, so
 * that checkpoints take a bounded share of the wall time (and a crash loses at most about that
 * much work or that many evaluations, whichever is more). */
static hs_status maybe_checkpoint(engine *g, bool force) {
    if (!force && (g->s->checkpoint_interval <= 0 ||
                   g->n_done - g->last_ckpt < (size_t)g->s->checkpoint_interval ||
                   hs_wall_time() - g->last_ckpt_t < g->s->checkpoint_min_s))
        return HS_OK;
    return write_checkpoint(g);
}

/* ---------------------------------------------------------------------------------------------
 * remote workers: forked processes or MPI ranks
 *
 * Messages are arrays of doubles. One candidate: [CMD_EVAL, id, x[n_cal]], answered by
 * [id, loss, value, failed, busy_s] (REPLY_LEN). With the batched backend a worker gets its
 * candidates as one batch, [CMD_EVAL_BATCH, count, id[count], x[count][n_cal]], evaluates them in
 * one batched run and answers [count, (id, loss, value, failed, busy_s) x count], where busy_s is
 * the run's time shared equally. Forked workers and MPI ranks speak the same messages. */

/* Lanes per worker of the batched backend (MODEL_BACKEND batched or gpu, or auto with 8 or more
 * candidates per worker, where the kernel beats the scalar model), or 0 when candidates go one
 * by one. Synchronous DDS splits each batch over the workers; ASYNC_DDS gives each busy worker
 * ASYNC_DDS_BATCH_SIZE / in_flight candidates (rounded up), refilled together when they all
 * return, on every tier. The coordinator and the workers (forked, or MPI ranks) decide with this
 * one function, so they agree without a message. */
static size_t batched_lanes(const hs_experiment *e, const hs_calib_setup *s) {
    if (!(e->backend >= 2 || (e->backend == 0 && e->batch_auto))) return 0;
    if (s->workers < 1) return 0;
    /* CUDA does not survive fork(): the parent may have opened the device already */
    if (s->tier == HS_TIER_PROCESSES && e->backend == 3) return 0;
    const size_t total = s->async ? s->outstanding : s->batch;
    const size_t busy = s->async ? s->in_flight : (size_t)s->workers;
    const size_t lanes = (total + busy - 1) / busy;
    return (e->backend >= 2 || lanes >= 8) ? lanes : 0;
}

static size_t batch_msg_len(size_t count, size_t n_cal) { return 2 + count * (1 + n_cal); }

static void batch_pack(double *msg, const double *X, const size_t *ids, size_t count,
                       size_t n_cal) {
    msg[0] = CMD_EVAL_BATCH;
    msg[1] = (double)count;
    for (size_t k = 0; k < count; k++) msg[2 + k] = (double)ids[k];
    memcpy(msg + 2 + count, X, count * n_cal * sizeof *X);
}

/* A worker's side of the messages: its workspace, and the scratch of one batched run. */
typedef struct server {
    hs_workspace *ws;
    size_t n_cal, lanes; /* lanes 0: one candidate per message */
    double *msg;         /* [batch_msg_len(max(lanes, 1))] */
    double *rep;         /* [1 + REPLY_LEN max(lanes, 1)] */
    double *loss, *value;
    bool *failed;
    size_t *ids;
} server;

static void server_free(server *v) {
    hs_workspace_destroy(&v->ws);
    hs_free(v->msg);
    hs_free(v->rep);
    hs_free(v->loss);
    hs_free(v->value);
    hs_free(v->failed);
    hs_free(v->ids);
    memset(v, 0, sizeof *v);
}

static hs_status server_init(server *v, const hs_experiment *e, const hs_calib_setup *s,
                             hs_ctx *ctx) {
    memset(v, 0, sizeof *v);
    v->n_cal = e->n_cal;
    v->lanes = batched_lanes(e, s);
    const size_t l = v->lanes ? v->lanes : 1;
    hs_status st = hs_workspace_create(e, s->hru_threads, &s->delay, ctx, &v->ws);
    if (st == HS_OK && v->lanes) st = hs_workspace_enable_batch(v->ws, v->lanes, ctx);
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, v->msg, batch_msg_len(l, v->n_cal), "message");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, v->rep, 1 + REPLY_LEN * l, "message");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, v->loss, l, "batch");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, v->value, l, "batch");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, v->failed, l, "batch");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, v->ids, l, "batch");
    if (st != HS_OK) server_free(v);
    return st;
}

/* Evaluates the message in v->msg and writes the reply into v->rep (*rep_len doubles). A failing
 * candidate is not an error: its reply says failed, and the coordinator gives it the worst
 * objective. */
static hs_status server_answer(server *v, size_t *rep_len, hs_ctx *ctx) {
    const double *msg = v->msg;
    const double t0 = hs_wall_time();
    if (msg[0] != CMD_EVAL_BATCH) {
        bool failed = false;
        HS_TRY(hs_workspace_evaluate(v->ws, msg + 2, (uint64_t)msg[1], &v->rep[1], &v->rep[2],
                                     &failed, ctx));
        v->rep[0] = msg[1];
        v->rep[3] = failed ? 1.0 : 0.0;
        v->rep[4] = hs_wall_time() - t0;
        *rep_len = REPLY_LEN;
        return HS_OK;
    }
    const size_t count = (size_t)msg[1];
    if (count == 0 || count > v->lanes)
        return HS_FAIL(ctx, HS_ERR_INTERNAL,
                       "a batch of %zu candidates arrived; expected 1 to %zu (this worker's lanes)",
                       count, v->lanes);
    for (size_t k = 0; k < count; k++) v->ids[k] = (size_t)msg[2 + k];
    HS_TRY(hs_workspace_evaluate_batch(v->ws, msg + 2 + count, v->ids, count, v->loss, v->value,
                                       v->failed, ctx));
    const double busy = (hs_wall_time() - t0) / (double)count;
    v->rep[0] = (double)count;
    for (size_t k = 0; k < count; k++) {
        double *r = v->rep + 1 + REPLY_LEN * k;
        r[0] = (double)v->ids[k], r[1] = v->loss[k], r[2] = v->value[k];
        r[3] = v->failed[k] ? 1.0 : 0.0, r[4] = busy;
    }
    *rep_len = 1 + REPLY_LEN * count;
    return HS_OK;
}

/* The test hook HS_TEST_CRASH_WORKER=N[:J] kills worker N (1-based; the rank under MPI) when
 * its J-th job (default: the first) arrives, so that tests can crash a run after checkpoints
 * (tests/drivers). Returns J, or 0 for a worker that lives. */
static long crash_at_job(int worker) {
    const char *crash = getenv("HS_TEST_CRASH_WORKER");
    if (!crash || atoi(crash) != worker) return 0;
    const char *job = strchr(crash, ':');
    return job ? atol(job + 1) : 1;
}

/* Synchronous DDS keeps this process as a worker of its own (a local workspace): MPI rank 0,
 * and with forked workers the coordinator, which forks NUM_PROCESSES - 1 children. Between
 * batches it would only wait: evaluating a share instead saves a pipe round trip per batch and
 * keeps as many processes as workers on the cores (efficiency at 1 ms evaluations on 2 cores:
 * 0.941 with 2 children, docs/performance.md). ASYNC_DDS keeps it free to serve. */
static bool remote_keeps_share(const hs_calib_setup *s) {
    if (s->async) return false;
    return s->tier == HS_TIER_MPI || (s->tier == HS_TIER_PROCESSES && s->workers >= 2);
}

struct remote {
    hs_tier tier;
    int n;          /* remote workers */
    size_t n_cal;
    size_t lanes;   /* candidates per batch message; 0: one candidate per message */
    bool local;     /* synchronous DDS: this process evaluates a share too (MPI rank 0, and the
                       coordinator of forked workers), as worker index 0 */
    double spin_s;  /* forked workers: how long a waiter polls before it blocks (pipe_spin) */
    struct pollfd *fds; /* [n] forked workers: poll set, reused for every wait */
    int *index;     /* worker index reported in the trajectory */
    pid_t *pid;     /* processes */
    int *to_fd, *from_fd;
    char (*scratch)[4200];
    char scratch_root[4200];
    int *busy;      /* jobs a worker holds: 0, 1, or 2 when a single candidate is queued
                       behind another (synchronous scalar batches, remote_submit) */
    size_t *job_id; /* the (first) candidate a worker holds */
    size_t *job_id2; /* the single candidate queued behind it (busy == 2) */
    size_t *job_n;  /* how many candidates it holds */
    double *job_x;  /* [n][n_cal] its candidate, one at a time */
    double *msg;    /* [batch_msg_len(max(lanes, 1))] */
    double *rep;    /* [1 + REPLY_LEN max(lanes, 1)]: the reply last received */
    int n_busy;
};

static hs_status write_all(int fd, const void *buf, size_t n) {
    const char *p = buf;
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return HS_ERR_IO;
        p += k;
        n -= (size_t)k;
    }
    return HS_OK;
}

/* 1 = read, 0 = end of file, -1 = error */
static int read_all(int fd, void *buf, size_t n) {
    char *p = buf;
    size_t got = 0;
    while (got < n) {
        ssize_t k = read(fd, p + got, n - got);
        if (k < 0 && errno == EINTR) continue;
        if (k == 0) return got == 0 ? 0 : -1;
        if (k < 0) return -1;
        got += (size_t)k;
    }
    return 1;
}

/* Waiting on a pipe by blocking in read() or poll() costs a wake-up, ~20-30 us here, twice per
 * candidate (the worker waiting for a job, the coordinator for the reply): 3-6 % of a 1 ms
 * evaluation. When every process has a core of its own (PIPE_SPIN_S > 0 is passed only then),
 * a waiter first polls without blocking for up to that long, as MPI libraries do, and blocks
 * only after it. Returns once one of fds is readable, or the spin is over. */
#define PIPE_SPIN_S 200e-6
static void pipe_spin(struct pollfd *fds, nfds_t n, double spin_s) {
    if (spin_s <= 0.0) return;
    const double t0 = hs_wall_time();
    do {
        if (poll(fds, n, 0) > 0) return;
        sched_yield(); /* a process that shares this core after all (someone else's) runs */
    } while (hs_wall_time() - t0 < spin_s);
}

/* The life of a forked worker: evaluate what comes through in_fd until end of file. Runs in the
 * child only and ends with _exit (the parent's buffers and atexit handlers are not the child's). */
static void process_worker_main(const hs_experiment *e, const hs_calib_setup *s, int index,
                                int in_fd, int out_fd, const char *scratch, double spin_s) {
    signal(SIGINT, SIG_IGN); /* the coordinator decides when to stop (a terminal's ^C reaches
                                the whole process group) */
    signal(SIGTERM, SIG_DFL);
    if (chdir(scratch) != 0) _exit(3);
    hs_ctx *ctx = hs_ctx_create();
    server v;
    if (!ctx || server_init(&v, e, s, ctx) != HS_OK) _exit(4);
    const long crash = crash_at_job(index + 1);
    for (long jobs = 1;; jobs++) {
        struct pollfd in = {.fd = in_fd, .events = POLLIN, .revents = 0};
        pipe_spin(&in, 1, spin_s);
        /* a pipe is a stream: the two leading doubles say how long the message is */
        int r = read_all(in_fd, v.msg, 2 * sizeof *v.msg);
        if (r != 1 || v.msg[0] == CMD_STOP) break;
        const bool batch = v.msg[0] == CMD_EVAL_BATCH;
        const size_t count = batch ? (size_t)v.msg[1] : 1;
        if (batch && (count == 0 || count > v.lanes)) _exit(7);
        const size_t body = batch ? batch_msg_len(count, v.n_cal) - 2 : v.n_cal;
        if (read_all(in_fd, v.msg + 2, body * sizeof *v.msg) != 1) break;
        if (jobs == crash) raise(SIGKILL);
        size_t len = 0;
        if (server_answer(&v, &len, ctx) != HS_OK) _exit(6);
        if (write_all(out_fd, v.rep, len * sizeof *v.rep) != HS_OK) break;
    }
    server_free(&v);
    hs_ctx_destroy(&ctx);
    _exit(0);
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static void remote_destroy(remote **rp, bool keep_scratch, hs_ctx *ctx) {
    if (!rp || !*rp) return;
    remote *r = *rp;
    if (r->tier == HS_TIER_PROCESSES) {
        for (int k = 0; k < r->n; k++)
            if (r->to_fd && r->to_fd[k] >= 0) close(r->to_fd[k]); /* end of file: workers exit */
        for (int k = 0; k < r->n; k++) {
            if (r->pid && r->pid[k] > 0) {
                int status;
                while (waitpid(r->pid[k], &status, 0) < 0 && errno == EINTR) {
                }
            }
            if (r->from_fd && r->from_fd[k] >= 0) close(r->from_fd[k]);
        }
        if (!keep_scratch && r->scratch_root[0]) {
            if (nftw(r->scratch_root, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
                hs_log(ctx, HS_LOG_WARN, "could not remove the scratch directory %s",
                       r->scratch_root);
            /* the run directories made for the scratch go too while empty (a failed run leaves
             * nothing behind); rmdir refuses any that holds something */
            char dir[4200];
            snprintf(dir, sizeof dir, "%s", r->scratch_root);
            for (int up = 0; up < 3; up++) {
                char parent[4200];
                hs_io_dirname(dir, parent, sizeof parent);
                if (rmdir(parent) != 0) break;
                snprintf(dir, sizeof dir, "%s", parent);
            }
        }
    } else if (r->tier == HS_TIER_MPI) {
        int told = 0;
        for (; told < r->n; told++) {
            double stop[1] = {CMD_STOP};
            /* best effort: a failing send here only means the job is ending anyway */
            if (hs_mpi_send(r->index[told], TAG_JOB, stop, 1, ctx) != HS_OK) break;
        }
        /* a rank still evaluating would block on its reply, which nobody receives now */
        if (told == r->n && r->n_busy == 0) hs_mpi_note_peers_released();
    }
    hs_free(r->index);
    hs_free(r->pid);
    hs_free(r->fds);
    hs_free(r->to_fd);
    hs_free(r->from_fd);
    hs_free(r->scratch);
    hs_free(r->busy);
    hs_free(r->job_id);
    hs_free(r->job_id2);
    hs_free(r->job_n);
    hs_free(r->job_x);
    hs_free(r->msg);
    hs_free(r->rep);
    hs_free(r);
    *rp = NULL;
}

static hs_status copy_config(hs_ctx *ctx, const char *from, const char *to) {
    char *text = NULL;
    size_t len = 0;
    HS_TRY(hs_io_read_file(ctx, from, &text, &len));
    hs_io_writer *w = NULL;
    hs_status st = hs_io_writer_open(ctx, to, &w);
    if (st == HS_OK) st = hs_io_writer_write(w, text, len);
    hs_free(text);
    if (st != HS_OK) {
        hs_io_writer_abort(&w);
        return st;
    }
    return hs_io_writer_commit(&w);
}

static hs_status remote_create(engine *g, remote **out) {
    hs_ctx *ctx = g->ctx;
    const hs_calib_setup *s = g->s;
    remote *r = NULL;
    HS_TRY(hs_alloc(ctx, 1, sizeof *r, "workers", (void **)&r));
    r->tier = s->tier;
    r->n_cal = g->n_cal;
    r->lanes = g->batched ? batched_lanes(g->e, s) : 0;
    r->local = remote_keeps_share(s);
    /* spin only where it takes no core from anyone: one process per core at most */
    r->spin_s = s->tier == HS_TIER_PROCESSES &&
                        (size_t)s->workers * (size_t)s->hru_threads + (r->local ? 0 : 1) <=
                            (size_t)hs_exec_num_procs()
                    ? PIPE_SPIN_S
                    : 0.0;
    r->n = s->tier == HS_TIER_MPI ? s->mpi_ranks - 1 : s->workers - (r->local ? 1 : 0);
    const size_t n = (size_t)r->n, l = r->lanes ? r->lanes : 1;
    hs_status st = HS_ALLOC_ARRAY(ctx, r->index, n + 1, "workers");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, r->busy, n + 1, "workers");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, r->job_id, n + 1, "workers");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, r->job_id2, n + 1, "workers");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, r->job_n, n + 1, "workers");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, r->job_x, (n + 1) * g->n_cal, "workers");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, r->msg, batch_msg_len(l, g->n_cal), "workers");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, r->rep, 1 + REPLY_LEN * l, "workers");
    if (st != HS_OK) {
        remote_destroy(&r, true, ctx);
        return st;
    }
    *out = r;
    if (s->tier == HS_TIER_MPI) {
        for (int k = 0; k < r->n; k++) r->index[k] = k + 1; /* worker index = rank */
        return HS_OK;
    }
    st = HS_ALLOC_ARRAY(ctx, r->pid, n, "workers");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, r->fds, n, "workers");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, r->to_fd, n, "workers");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, r->from_fd, n, "workers");
    if (st == HS_OK) st = hs_alloc(ctx, n, sizeof *r->scratch, "workers", (void **)&r->scratch);
    if (st == HS_OK) st = hs_io_path_join(ctx, g->e->out_dir, "scratch", r->scratch_root,
                                          sizeof r->scratch_root);
    for (int k = 0; k < r->n; k++) r->to_fd[k] = r->from_fd[k] = -1;
    /* scratch directories first, then the fork: the children inherit everything prepared */
    for (int k = 0; st == HS_OK && k < r->n; k++) {
        /* trajectory index; worker number (messages, scratch, test hooks) = index + 1; with a
         * share of its own the coordinator is index 0 */
        r->index[k] = r->local ? k + 1 : k;
        int len = snprintf(r->scratch[k], sizeof r->scratch[k], "%s/worker_%02d", r->scratch_root,
                           r->index[k] + 1);
        if (len < 0 || (size_t)len >= sizeof r->scratch[k]) {
            st = HS_FAIL(ctx, HS_ERR_IO, "scratch path too long under %s", r->scratch_root);
            break;
        }
        st = hs_io_mkdirs(ctx, r->scratch[k]);
        char cfg_copy[4300];
        snprintf(cfg_copy, sizeof cfg_copy, "%s/config.yaml", r->scratch[k]);
        if (st == HS_OK && g->o->config_path) st = copy_config(ctx, g->o->config_path, cfg_copy);
    }
    fflush(NULL); /* nothing buffered may be written twice */
    for (int k = 0; st == HS_OK && k < r->n; k++) {
        int down[2], up[2];
        if (pipe(down) != 0) {
            st = HS_FAIL(ctx, HS_ERR_IO, "worker %d: pipe: %s", r->index[k] + 1, strerror(errno));
            break;
        }
        if (pipe(up) != 0) {
            close(down[0]);
            close(down[1]);
            st = HS_FAIL(ctx, HS_ERR_IO, "worker %d: pipe: %s", r->index[k] + 1, strerror(errno));
            break;
        }
        pid_t pid = fork();
        if (pid < 0) {
            close(down[0]), close(down[1]), close(up[0]), close(up[1]);
            st = HS_FAIL(ctx, HS_ERR_IO, "worker %d: fork: %s", r->index[k] + 1, strerror(errno));
            break;
        }
        if (pid == 0) {
            /* the child keeps only its own two pipe ends */
            for (int j = 0; j < k; j++) {
                close(r->to_fd[j]);
                close(r->from_fd[j]);
            }
            close(down[1]);
            close(up[0]);
            process_worker_main(g->e, s, r->index[k], down[0], up[1], r->scratch[k], r->spin_s);
        }
        close(down[0]);
        close(up[1]);
        r->pid[k] = pid;
        r->to_fd[k] = down[1];
        r->from_fd[k] = up[0];
    }
    if (st != HS_OK) remote_destroy(out, g->s->keep_scratch, ctx);
    return st;
}

/* Sends r->msg (len doubles) to worker k, which then holds job_n[k] candidates from job_id[k]. */
static hs_status remote_send(engine *g, remote *r, int k, size_t len) {
    r->busy[k]++;
    r->n_busy++;
    if (r->tier == HS_TIER_MPI)
        return hs_mpi_send(r->index[k], TAG_JOB, r->msg, (int)len, g->ctx);
    if (write_all(r->to_fd[k], r->msg, len * sizeof *r->msg) != HS_OK)
        return HS_FAIL(g->ctx, HS_ERR_IO,
                       "worker %d (pid %ld) is gone: cannot send it candidate %zu", r->index[k] + 1,
                       (long)r->pid[k], r->job_id[k]);
    return HS_OK;
}

/* Sends worker k one candidate. A worker that holds one single candidate already may be sent a
 * second, queued in its pipe (job_id2): it starts on it as soon as it has answered the first,
 * instead of idling for the round trip to the coordinator. */
static hs_status remote_submit(engine *g, remote *r, int k, size_t id, const double *x) {
    const size_t n = r->n_cal;
    r->msg[0] = CMD_EVAL;
    r->msg[1] = (double)id;
    memcpy(r->msg + 2, x, n * sizeof *x);
    if (r->busy[k] == 0) {
        memcpy(r->job_x + (size_t)k * n, x, n * sizeof *x);
        r->job_id[k] = id;
        r->job_n[k] = 1;
    } else if (r->busy[k] == 1 && r->job_n[k] == 1) {
        r->job_id2[k] = id;
    } else {
        return HS_FAIL(g->ctx, HS_ERR_INTERNAL, "worker %d cannot queue candidate %zu",
                       r->index[k] + 1, id);
    }
    return remote_send(g, r, k, 2 + n);
}

/* Sends worker k the candidates X[count][n_cal] (ids[count]) as one batch. */
static hs_status remote_submit_batch(engine *g, remote *r, int k, const double *X,
                                     const size_t *ids, size_t count) {
    batch_pack(r->msg, X, ids, count, r->n_cal);
    r->job_id[k] = ids[0];
    r->job_n[k] = count;
    return remote_send(g, r, k, batch_msg_len(count, r->n_cal));
}

/* Describes how a worker process ended, for the error message. */
static void describe_exit(pid_t pid, char *buf, size_t cap) {
    int status = 0;
    pid_t w;
    while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
    }
    if (w != pid) snprintf(buf, cap, "ended");
    else if (WIFSIGNALED(status)) snprintf(buf, cap, "was killed by signal %d", WTERMSIG(status));
    else if (WIFEXITED(status)) snprintf(buf, cap, "exited with status %d", WEXITSTATUS(status));
    else snprintf(buf, cap, "ended");
}

/* Waits for the next busy worker to answer, reads its reply into r->rep and sets *k to its slot
 * (the worker is idle again). With `block` false it only takes a reply that has already
 * arrived, and sets *k to -1 when there is none. */
static hs_status remote_receive(engine *g, remote *r, int *k, bool block) {
    const size_t cap = r->lanes ? 1 + REPLY_LEN * r->lanes : REPLY_LEN;
    if (r->tier == HS_TIER_MPI) {
        int src = -1;
        if (!block) {
            bool ready = false;
            HS_TRY(hs_mpi_probe(r->lanes ? TAG_BATCH_RESULT : TAG_RESULT, &ready, g->ctx));
            if (!ready) {
                *k = -1;
                return HS_OK;
            }
        }
        HS_TRY(hs_mpi_recv(HS_MPI_ANY, r->lanes ? TAG_BATCH_RESULT : TAG_RESULT, r->rep,
                           (int)cap, &src, NULL, g->ctx));
        *k = src - 1;
    } else {
        struct pollfd *fds = r->fds;
        int ready = -1;
        while (ready < 0) {
            for (int j = 0; j < r->n; j++) {
                fds[j].fd = r->busy[j] ? r->from_fd[j] : -1;
                fds[j].events = POLLIN;
                fds[j].revents = 0;
            }
            if (block) pipe_spin(fds, (nfds_t)r->n, r->spin_s);
            int rc = poll(fds, (nfds_t)r->n, block ? -1 : 0);
            if (rc == 0 && !block) {
                *k = -1;
                return HS_OK;
            }
            if (rc < 0 && errno == EINTR) continue; /* a stop request: finish what is in flight */
            if (rc < 0) {
                return HS_FAIL(g->ctx, HS_ERR_IO, "waiting for workers: poll: %s",
                               strerror(errno));
            }
            for (int j = 0; j < r->n && ready < 0; j++)
                if (fds[j].revents) ready = j;
        }
        /* a batch reply starts with its count: read it first, then the rest */
        int rc = read_all(r->from_fd[ready], r->rep, (r->lanes ? 1 : REPLY_LEN) * sizeof *r->rep);
        if (rc == 1 && r->lanes) {
            const size_t count = (size_t)r->rep[0];
            if (count != r->job_n[ready])
                return HS_FAIL(g->ctx, HS_ERR_INTERNAL,
                               "worker %d answered %zu candidates, expected %zu", r->index[ready] + 1,
                               count, r->job_n[ready]);
            rc = read_all(r->from_fd[ready], r->rep + 1, REPLY_LEN * count * sizeof *r->rep);
        }
        if (rc != 1) {
            char how[64], more[64] = "";
            describe_exit(r->pid[ready], how, sizeof how);
            r->pid[ready] = -1;
            if (r->job_n[ready] > 1)
                snprintf(more, sizeof more, " (and %zu more of its batch)", r->job_n[ready] - 1);
            return HS_FAIL(g->ctx, HS_ERR_IO,
                           "worker %d (scratch %s) %s while evaluating candidate %zu%s; the "
                           "calibration stops (the last checkpoint, if any, can be resumed)",
                           r->index[ready] + 1, r->scratch[ready], how, r->job_id[ready], more);
        }
        *k = ready;
    }
    if (*k < 0 || *k >= r->n || !r->busy[*k])
        return HS_FAIL(g->ctx, HS_ERR_INTERNAL, "a result came from worker %d, which had no job",
                       *k + 1);
    r->busy[*k]--;
    r->n_busy--;
    return HS_OK;
}

typedef struct reply {
    int k; /* slot in the remote, or the worker index reported in the trajectory */
    size_t id;
    double loss, value, busy_s;
    bool failed;
} reply;

/* One candidate's result from a worker: out->k is the worker's slot. With `block` false, only a
 * result that has already arrived; out->k is -1 when there is none. */
static hs_status remote_wait(engine *g, remote *r, reply *out, bool block) {
    HS_TRY(remote_receive(g, r, &out->k, block));
    if (out->k < 0) return HS_OK;
    const double *buf = r->rep;
    out->id = (size_t)buf[0];
    out->loss = buf[1];
    out->value = buf[2];
    out->failed = buf[3] != 0.0;
    out->busy_s = buf[4];
    if (out->id != r->job_id[out->k])
        return HS_FAIL(g->ctx, HS_ERR_INTERNAL, "worker %d answered candidate %zu, sent %zu",
                       out->k + 1, out->id, r->job_id[out->k]);
    if (r->busy[out->k] > 0) r->job_id[out->k] = r->job_id2[out->k]; /* the queued one is next */
    return HS_OK;
}

/* Reads the batch reply of worker k (in r->rep) into R[0 .. job_n[k]): the results of the
 * candidates ids[0 .. job_n[k]) it was sent, in that order; R[c].k is the worker's index. */
static hs_status remote_batch_reply(engine *g, remote *r, int k, const size_t *ids, reply *R) {
    const size_t count = (size_t)r->rep[0];
    const int worker = r->index[k];
    if (count != r->job_n[k])
        return HS_FAIL(g->ctx, HS_ERR_INTERNAL, "worker %d answered %zu candidates, expected %zu",
                       worker, count, r->job_n[k]);
    for (size_t c = 0; c < count; c++) {
        const double *q = r->rep + 1 + REPLY_LEN * c;
        if ((size_t)q[0] != ids[c])
            return HS_FAIL(g->ctx, HS_ERR_INTERNAL,
                           "worker %d answered candidate %zu out of turn (expected %zu)", worker,
                           (size_t)q[0], ids[c]);
        R[c].k = worker;
        R[c].id = ids[c];
        R[c].loss = q[1];
        R[c].value = q[2];
        R[c].failed = q[3] != 0.0;
        R[c].busy_s = q[4];
        g->busy[worker] += q[4];
    }
    return HS_OK;
}

hs_status hs_calib_mpi_worker(hs_experiment *e, const hs_calib_setup *s, hs_ctx *ctx) {
    server v;
    HS_TRY(server_init(&v, e, s, ctx));
    const int cap = (int)batch_msg_len(v.lanes ? v.lanes : 1, v.n_cal);
    const long crash = crash_at_job(hs_mpi_rank());
    hs_status st = HS_OK;
    for (long jobs = 1; st == HS_OK; jobs++) {
        st = hs_mpi_recv(0, TAG_JOB, v.msg, cap, NULL, NULL, ctx);
        if (st != HS_OK || v.msg[0] == CMD_STOP) break;
        if (jobs == crash) raise(SIGKILL);
        size_t len = 0;
        st = server_answer(&v, &len, ctx);
        if (st == HS_OK)
            st = hs_mpi_send(0, v.msg[0] == CMD_EVAL_BATCH ? TAG_BATCH_RESULT : TAG_RESULT, v.rep,
                             (int)len, ctx);
    }
    server_free(&v);
    return st;
}

/* ---------------------------------------------------------------------------------------------
 * evaluation in this process */

static hs_status eval_local(engine *g, int slot, int worker, const double *x, size_t id,
                            reply *r) {
    const double t0 = hs_wall_time();
    HS_TRY(hs_workspace_evaluate(g->ws[slot], x, (uint64_t)id, &r->loss, &r->value, &r->failed,
                                 g->wctx[slot]));
    r->busy_s = hs_wall_time() - t0;
    r->id = id;
    r->k = worker;
    if (r->failed && hs_ctx_get_log_level(g->wctx[slot]) >= HS_LOG_DEBUG)
        hs_log(g->wctx[slot], HS_LOG_DEBUG, "candidate %zu failed: %s", id,
               hs_ctx_message(g->wctx[slot]));
    return HS_OK;
}

static void note_failure(engine *g, const reply *r) {
    if (!r->failed) return;
    if (g->n_failed <= 3)
        hs_log(g->ctx, HS_LOG_WARN,
               "candidate %zu (worker %d): the model failed or produced non-finite flow; it gets "
               "the worst objective%s",
               r->id, r->k, g->n_failed == 3 ? " (further failures are only counted)" : "");
}

/* ---- synchronous DDS ---- */

typedef struct batch_job {
    engine *g;
    const double *X;
    const size_t *ids;
    reply *R;
} batch_job;

static hs_status batch_chunk(void *user, size_t c, int thread, hs_ctx *ctx) {
    (void)ctx;
    batch_job *b = user;
    engine *g = b->g;
    HS_TRY(eval_local(g, thread, thread, b->X + c * g->n_cal, b->ids[c], &b->R[c]));
    g->busy[thread] += b->R[c].busy_s;
    return HS_OK;
}

/* Lanes [first, first + count) of a batch on worker `slot` with the batched kernel. */
static hs_status batch_lanes(engine *g, int slot, const double *X, const size_t *ids, size_t first,
                             size_t count, reply *R) {
    const double t0 = hs_wall_time();
    HS_TRY(hs_workspace_evaluate_batch(g->ws[slot], X + first * g->n_cal, ids + first, count,
                                       g->bl_loss + first, g->bl_value + first,
                                       g->bl_failed + first, g->wctx[slot]));
    const double dt = hs_wall_time() - t0;
    g->busy[slot] += dt;
    for (size_t c = first; c < first + count; c++) {
        R[c].k = slot;
        R[c].id = ids[c];
        R[c].loss = g->bl_loss[c];
        R[c].value = g->bl_value[c];
        R[c].failed = g->bl_failed[c];
        R[c].busy_s = dt / (double)count;
    }
    return HS_OK;
}

typedef struct lanes_job {
    engine *g;
    const double *X;
    const size_t *ids;
    size_t nb;
    int parts;
    reply *R;
} lanes_job;

static hs_status lanes_chunk(void *user, size_t c, int thread, hs_ctx *ctx) {
    (void)ctx;
    lanes_job *j = user;
    /* contiguous, nearly equal shares: part c gets lanes [c nb / parts, (c + 1) nb / parts) */
    const size_t a = c * j->nb / (size_t)j->parts, b = (c + 1) * j->nb / (size_t)j->parts;
    if (b == a) return HS_OK;
    return batch_lanes(j->g, thread, j->X, j->ids, a, b - a, j->R);
}

/* The batched backend over remote workers: the contiguous share [p nb / parts, (p + 1) nb / parts)
 * of the batch goes to one worker as one batched run, the split lanes_chunk makes over threads;
 * under MPI rank 0 evaluates share 0 itself. */
static hs_status remote_batch(engine *g, const double *X, const size_t *ids, size_t nb,
                              reply *R) {
    remote *r = g->rem;
    const size_t n = g->n_cal;
    const size_t own = r->local ? 1 : 0; /* shares kept by this process */
    const size_t workers = (size_t)r->n + own;
    const size_t parts = nb < workers ? nb : workers;
    /* share p goes to remote worker p - own */
    for (size_t p = own; p < parts; p++) {
        const size_t a = p * nb / parts, b = (p + 1) * nb / parts;
        HS_TRY(remote_submit_batch(g, r, (int)(p - own), X + a * n, ids + a, b - a));
    }
    if (own && parts > 0) HS_TRY(batch_lanes(g, 0, X, ids, 0, nb / parts, R));
    while (r->n_busy > 0) {
        int k = -1;
        HS_TRY(remote_receive(g, r, &k, true));
        const size_t a = ((size_t)k + own) * nb / parts;
        HS_TRY(remote_batch_reply(g, r, k, ids + a, R + a));
    }
    return HS_OK;
}

/* Stores a scalar result in R[] by candidate id (results come back in any order). */
static hs_status place_reply(engine *g, const size_t *ids, size_t nb, reply rp, reply *R) {
    size_t c = 0;
    while (c < nb && ids[c] != rp.id) c++;
    if (c == nb) return HS_FAIL(g->ctx, HS_ERR_INTERNAL, "unknown candidate %zu", rp.id);
    rp.k = g->rem->index[rp.k];
    R[c] = rp;
    g->busy[rp.k] += rp.busy_s;
    return HS_OK;
}

/* A synchronous batch on forked workers or MPI ranks with the scalar model. The remote workers
 * share candidates 0 .. nb - q - 1 dynamically, two in flight each (the second waits in the
 * worker's pipe, so a worker never idles for the round trip, ~30 us with forked workers); dealt
 * round robin, so every worker gets one before any gets a second. This process, when it keeps a
 * share (remote_keeps_share), evaluates the last q = nb / workers candidates itself, one at a
 * time, taking in the results that have arrived and refilling the workers between them. Results
 * are placed by candidate id, so their order does not matter. */
static hs_status remote_scalar_batch(engine *g, const double *X, const size_t *ids, size_t nb,
                                     reply *R) {
    remote *r = g->rem;
    const size_t n = g->n_cal;
    const int depth = 2;
    const size_t q = r->local ? nb / ((size_t)r->n + 1) : 0;
    const size_t remote_end = nb - q;
    size_t next = 0, mine = remote_end;
    while (next < remote_end || mine < nb || r->n_busy > 0) {
        for (int d = 1; d <= depth; d++)
            for (int k = 0; k < r->n && next < remote_end; k++)
                if (r->busy[k] < d) {
                    HS_TRY(remote_submit(g, r, k, ids[next], X + next * n));
                    next++;
                }
        if (mine < nb) {
            HS_TRY(eval_local(g, 0, 0, X + mine * n, ids[mine], &R[mine]));
            g->busy[0] += R[mine].busy_s;
            mine++;
            for (;;) { /* what arrived meanwhile */
                reply rp;
                HS_TRY(remote_wait(g, r, &rp, false));
                if (rp.k < 0) break;
                HS_TRY(place_reply(g, ids, nb, rp, R));
            }
            continue;
        }
        if (r->n_busy == 0) break;
        reply rp;
        HS_TRY(remote_wait(g, r, &rp, true));
        HS_TRY(place_reply(g, ids, nb, rp, R));
    }
    return HS_OK;
}

static hs_status evaluate_batch(engine *g, const double *X, const size_t *ids, size_t nb,
                                reply *R) {
    const size_t n = g->n_cal;
    if (g->batched && g->rem) return remote_batch(g, X, ids, nb, R);
    if (g->batched) {
        if (g->s->tier == HS_TIER_SEQUENTIAL) return batch_lanes(g, 0, X, ids, 0, nb, R);
        const int parts = (int)(nb < (size_t)g->s->workers ? nb : (size_t)g->s->workers);
        lanes_job j = {g, X, ids, nb, parts, R};
        g->wctx[0] = g->ctx;
        return hs_exec_chunks((size_t)parts, parts, false, lanes_chunk, &j, g->wctx);
    }
    switch (g->s->tier) {
    case HS_TIER_SEQUENTIAL:
        for (size_t c = 0; c < nb; c++) {
            HS_TRY(eval_local(g, 0, 0, X + c * n, ids[c], &R[c]));
            g->busy[0] += R[c].busy_s;
        }
        return HS_OK;
    case HS_TIER_THREADS: {
        batch_job b = {g, X, ids, R};
        g->wctx[0] = g->ctx;
        return hs_exec_chunks(nb, g->s->workers, true, batch_chunk, &b, g->wctx);
    }
    case HS_TIER_PROCESSES:
    case HS_TIER_MPI:
        return remote_scalar_batch(g, X, ids, nb, R);
    }
    return HS_FAIL(g->ctx, HS_ERR_INTERNAL, "unknown tier");
}

static hs_status run_sync(engine *g) {
    const size_t n = g->n_cal, B = g->s->batch;
    double *X = NULL;
    size_t *ids = NULL;
    reply *R = NULL;
    hs_status st = HS_ALLOC_ARRAY(g->ctx, X, B * n, "batch");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(g->ctx, ids, B, "batch");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(g->ctx, R, B, "batch");
    while (st == HS_OK && !hs_dds_done(g->dds)) {
        if (stop_wanted(g)) {
            g->stopped = true;
            break;
        }
        double t0 = hs_wall_time();
        size_t nb = 0;
        while (nb < B && !hs_dds_done(g->dds) && st == HS_OK) {
            st = hs_dds_ask(g->dds, X + nb * n);
            ids[nb] = hs_dds_asked(g->dds);
            nb++;
        }
        g->serial_s += hs_wall_time() - t0;
        if (st == HS_OK) st = evaluate_batch(g, X, ids, nb, R);
        t0 = hs_wall_time();
        /* told in candidate order: the trajectory does not depend on which worker was first */
        for (size_t c = 0; st == HS_OK && c < nb; c++) {
            st = hs_dds_tell(g->dds, X + c * n, R[c].loss);
            record(g, X + c * n, R[c].value, R[c].loss, R[c].k, ids[c], R[c].failed);
            note_failure(g, &R[c]);
        }
        if (st == HS_OK) st = maybe_checkpoint(g, false);
        g->serial_s += hs_wall_time() - t0;
    }
    hs_free(X);
    hs_free(ids);
    hs_free(R);
    return st;
}

/* ---- asynchronous DDS ---- */

/* Next candidate: first those a checkpoint left in flight, then new ones. */
static bool next_candidate(engine *g, double *x, size_t *id, hs_status *st) {
    *st = HS_OK;
    if (g->redo_next < g->n_redo) {
        *id = g->redo_id[g->redo_next];
        memcpy(x, g->redo_x + g->redo_next * g->n_cal, g->n_cal * sizeof *x);
        g->redo_next++;
        return true;
    }
    if (hs_adds_done(g->adds)) return false;
    *st = hs_adds_ask(g->adds, x, id);
    return *st == HS_OK;
}

static hs_status async_told(engine *g, const double *x, const reply *r) {
    HS_TRY(hs_adds_tell(g->adds, x, r->loss));
    record(g, x, r->value, r->loss, r->k, r->id, r->failed);
    note_failure(g, r);
    return maybe_checkpoint(g, false);
}

/* ASYNC_DDS with the batched backend, on every tier: a worker holds a round of up to `lanes`
 * candidates, asked together, evaluated in one batched run and told back together in dispatch
 * order, then it gets the next round. Worker `slot`'s round sits in [slot lanes, (slot + 1)
 * lanes) of the round buffers and of the in-flight record that checkpoints save. The callers
 * (a team of threads, or the coordinator of remote workers) serialise these two steps. */

/* Asks worker `slot`'s next round; returns its size (0: nothing left, a stop, or a failure,
 * which goes to *shared). */
static size_t async_round_ask(engine *g, int slot, hs_status *shared) {
    const size_t n = g->n_cal, L = g->async_lanes, first = (size_t)slot * L;
    double *X = g->async_x + first * n;
    size_t *ids = g->async_ids + first;
    size_t cnt = 0;
    hs_status st = HS_OK;
    while (*shared == HS_OK && !stop_wanted(g) && cnt < L &&
           next_candidate(g, X + cnt * n, &ids[cnt], &st)) {
        g->slot_id[first + cnt] = ids[cnt];
        memcpy(g->slot_x + (first + cnt) * n, X + cnt * n, n * sizeof *X);
        cnt++;
    }
    if (*shared == HS_OK && st != HS_OK) *shared = st;
    if (*shared != HS_OK) {
        for (size_t c = 0; c < cnt; c++) g->slot_id[first + c] = 0;
        return 0;
    }
    return cnt;
}

/* Tells worker `slot`'s evaluated round of `cnt` (results in its part of async_r) in dispatch
 * order; after a failure it only clears the in-flight record. */
static void async_round_tell(engine *g, int slot, size_t cnt, int worker, hs_status *shared) {
    const size_t n = g->n_cal, first = (size_t)slot * g->async_lanes;
    for (size_t c = 0; c < cnt; c++) {
        /* cleared one by one: a checkpoint taken while telling keeps the rest in flight */
        g->slot_id[first + c] = 0;
        if (*shared != HS_OK) continue;
        g->async_r[first + c].k = worker;
        hs_status st = async_told(g, g->async_x + (first + c) * n, &g->async_r[first + c]);
        if (st != HS_OK) *shared = st;
    }
}

/* One round of worker `slot` in this process; `lock` is NULL without a team. Returns false when
 * there was nothing left to ask (or the search stopped). */
static bool async_batch_round(engine *g, int slot, hs_exec_lock *lock, hs_status *shared) {
    if (lock) hs_exec_lock_acquire(lock);
    double t0 = hs_wall_time();
    const size_t cnt = async_round_ask(g, slot, shared);
    g->serial_s += hs_wall_time() - t0;
    if (lock) hs_exec_lock_release(lock);
    if (cnt == 0) return false;
    /* batch_lanes indexes the shared scratch from `first`, so workers never overlap */
    const size_t first = (size_t)slot * g->async_lanes;
    hs_status st = batch_lanes(g, slot, g->async_x, g->async_ids, first, cnt, g->async_r);
    if (lock) hs_exec_lock_acquire(lock);
    t0 = hs_wall_time();
    if (st != HS_OK && *shared == HS_OK) {
        hs_ctx_copy_error(g->ctx, g->wctx[slot]);
        *shared = st;
    }
    async_round_tell(g, slot, cnt, slot, shared);
    g->serial_s += hs_wall_time() - t0;
    if (lock) hs_exec_lock_release(lock);
    return *shared == HS_OK;
}

/* Sends remote worker k its next round, if there is one. */
static hs_status async_remote_round(engine *g, remote *r, int k) {
    hs_status st = HS_OK;
    const size_t cnt = async_round_ask(g, k, &st);
    if (cnt == 0) return st;
    const size_t first = (size_t)k * g->async_lanes;
    return remote_submit_batch(g, r, k, g->async_x + first * g->n_cal, g->async_ids + first, cnt);
}

/* Remote workers (forked processes, MPI ranks) with the batched backend: `in_flight` of them
 * hold a round each; the one that answers has its round told and gets the next one at once. */
static hs_status async_remote_rounds(engine *g) {
    remote *r = g->rem;
    hs_status st = HS_OK;
    double t0 = hs_wall_time();
    for (int k = 0; st == HS_OK && k < r->n && (size_t)k < g->s->in_flight; k++)
        st = async_remote_round(g, r, k);
    g->serial_s += hs_wall_time() - t0;
    while (st == HS_OK && r->n_busy > 0) {
        int k = -1;
        st = remote_receive(g, r, &k, true);
        if (st != HS_OK) break;
        t0 = hs_wall_time();
        const size_t first = (size_t)k * g->async_lanes, cnt = r->job_n[k];
        st = remote_batch_reply(g, r, k, g->async_ids + first, g->async_r + first);
        async_round_tell(g, k, cnt, r->index[k], &st);
        if (st == HS_OK) st = async_remote_round(g, r, k);
        g->serial_s += hs_wall_time() - t0;
    }
    if (st == HS_OK && stop_wanted(g)) g->stopped = true;
    return st;
}

typedef struct team_state {
    engine *g;
    hs_exec_lock *lock;
    hs_status st;
    double *x; /* [workers][n_cal] */
} team_state;

static void team_worker(void *user, int thread, int n_threads) {
    (void)n_threads;
    team_state *t = user;
    engine *g = t->g;
    if (g->batched) {
        while (async_batch_round(g, thread, t->lock, &t->st)) {
        }
        return;
    }
    double *x = t->x + (size_t)thread * g->n_cal;
    for (;;) {
        size_t id = 0;
        hs_status st = HS_OK;
        hs_exec_lock_acquire(t->lock);
        double t0 = hs_wall_time();
        bool go = t->st == HS_OK && !stop_wanted(g) &&
                  next_candidate(g, x, &id, &st);
        if (t->st == HS_OK && st != HS_OK) t->st = st;
        if (go) {
            g->slot_id[thread] = id;
            memcpy(g->slot_x + (size_t)thread * g->n_cal, x, g->n_cal * sizeof *x);
        }
        g->serial_s += hs_wall_time() - t0;
        hs_exec_lock_release(t->lock);
        if (!go) break;
        reply r;
        st = eval_local(g, thread, thread, x, id, &r);
        hs_exec_lock_acquire(t->lock);
        t0 = hs_wall_time();
        g->busy[thread] += r.busy_s;
        g->slot_id[thread] = 0;
        if (st != HS_OK && t->st == HS_OK) {
            hs_ctx_copy_error(g->ctx, g->wctx[thread]);
            t->st = st;
        }
        if (st == HS_OK && t->st == HS_OK) {
            st = async_told(g, x, &r);
            if (st != HS_OK) t->st = st;
        }
        g->serial_s += hs_wall_time() - t0;
        hs_exec_lock_release(t->lock);
    }
}

static hs_status run_async(engine *g) {
    const size_t n = g->n_cal;
    hs_status st = HS_OK;
    if (g->s->tier == HS_TIER_THREADS) {
        team_state t = {g, NULL, HS_OK, NULL};
        HS_TRY(hs_exec_lock_create(g->ctx, &t.lock));
        st = HS_ALLOC_ARRAY(g->ctx, t.x, (size_t)g->s->workers * n, "candidates");
        if (st == HS_OK) {
            hs_exec_team((int)g->s->in_flight, team_worker, &t);
            st = t.st;
        }
        hs_free(t.x);
        hs_exec_lock_destroy(&t.lock);
        if (st == HS_OK && stop_wanted(g)) g->stopped = true;
        return st;
    }
    if (g->s->tier == HS_TIER_SEQUENTIAL && g->batched) {
        while (async_batch_round(g, 0, NULL, &st)) {
        }
        if (st == HS_OK && stop_wanted(g)) g->stopped = true;
        return st;
    }
    if (g->batched && g->rem) return async_remote_rounds(g);
    double *x = NULL;
    HS_TRY(HS_ALLOC_ARRAY(g->ctx, x, n, "candidate"));
    if (g->s->tier == HS_TIER_SEQUENTIAL) {
        size_t id;
        while (st == HS_OK) {
            if (stop_wanted(g)) {
                g->stopped = true;
                break;
            }
            double t0 = hs_wall_time();
            if (!next_candidate(g, x, &id, &st)) break;
            g->serial_s += hs_wall_time() - t0;
            reply r;
            st = eval_local(g, 0, 0, x, id, &r);
            if (st != HS_OK) break;
            g->busy[0] += r.busy_s;
            t0 = hs_wall_time();
            st = async_told(g, x, &r);
            g->serial_s += hs_wall_time() - t0;
        }
        hs_free(x);
        return st;
    }
    /* remote workers: keep `in_flight` of them busy, serve each as soon as it returns */
    remote *r = g->rem;
    double t0 = hs_wall_time();
    for (int k = 0; st == HS_OK && k < r->n && (size_t)r->n_busy < g->s->in_flight; k++) {
        size_t id;
        if (!next_candidate(g, x, &id, &st)) break;
        st = remote_submit(g, r, k, id, x);
        g->slot_id[k] = id;
        memcpy(g->slot_x + (size_t)k * n, x, n * sizeof *x);
    }
    g->serial_s += hs_wall_time() - t0;
    while (st == HS_OK && r->n_busy > 0) {
        reply rp;
        st = remote_wait(g, r, &rp, true);
        if (st != HS_OK) break;
        t0 = hs_wall_time();
        const int k = rp.k;
        rp.k = r->index[k];
        g->busy[rp.k] += rp.busy_s;
        g->slot_id[k] = 0;
        st = async_told(g, r->job_x + (size_t)k * n, &rp);
        size_t id;
        if (st == HS_OK && stop_wanted(g)) g->stopped = true;
        if (st == HS_OK && !g->stopped && next_candidate(g, x, &id, &st)) {
            st = remote_submit(g, r, k, id, x);
            g->slot_id[k] = id;
            memcpy(g->slot_x + (size_t)k * n, x, n * sizeof *x);
        }
        g->serial_s += hs_wall_time() - t0;
    }
    hs_free(x);
    return st;
}
/* ---------------------------------------------------------------------------------------------
 * the run */

void hs_calib_output_free(hs_calib_output *o) {
    if (!o) return;
    hs_free(o->best_params);
    hs_free(o->x);
    hs_free(o->value);
    hs_free(o->best);
    hs_free(o->worker);
    hs_free(o->dispatch);
    memset(o, 0, sizeof *o);
}

static void engine_free(engine *g) {
    remote_destroy(&g->rem, g->s->keep_scratch, g->ctx);
    for (int k = 0; g->ws && k < g->n_local; k++) hs_workspace_destroy(&g->ws[k]);
    for (int k = 1; g->wctx && k < g->n_local; k++) hs_ctx_destroy(&g->wctx[k]);
    hs_free(g->ws);
    hs_free(g->wctx);
    hs_free(g->busy);
    hs_free(g->slot_id);
    hs_free(g->slot_x);
    hs_free(g->redo_id);
    hs_free(g->redo_x);
    hs_dds_destroy(&g->dds);
    hs_adds_destroy(&g->adds);
    hs_free(g->bl_loss);
    hs_free(g->async_x);
    hs_free(g->async_ids);
    hs_free(g->async_r);
    hs_free(g->bl_value);
    hs_free(g->bl_failed);
}

hs_status hs_calib_run(hs_experiment *e, const hs_calib_setup *s, const hs_calib_options *o,
                       hs_ctx *ctx, hs_calib_output *out) {
    memset(out, 0, sizeof *out);
    if (!e->has_calib)
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: calibrate needs CALIBRATION_PERIOD", e->config_path);
    engine g;
    memset(&g, 0, sizeof g);
    g.e = e;
    g.s = s;
    g.o = o;
    g.ctx = ctx;
    g.n_cal = e->n_cal;
    g.cap = (size_t)e->iterations + 1; /* evaluation 0 is the starting point */
    g.out = out;
    g.best_loss = INFINITY;
    g.best_value = NAN;
    g.last_ckpt_t = hs_wall_time();
    const char *stop_after = getenv("HS_TEST_STOP_AFTER");
    if (stop_after) g.stop_after = (size_t)strtoull(stop_after, NULL, 10);
    const size_t n = g.n_cal, np = e->ops->n_params;
    int n_busy = s->mpi_ranks > s->workers ? s->mpi_ranks : s->workers;
    g.n_local = s->tier == HS_TIER_SEQUENTIAL ? 1
              : s->tier == HS_TIER_THREADS    ? s->workers
              : remote_keeps_share(s)         ? 1
                                              : 0;
    g.n_slots = (size_t)(n_busy > 0 ? n_busy : 1);
    /* ASYNC_DDS + batched: every worker may hold a round of candidates in flight */
    if (s->async && batched_lanes(e, s) > 1) g.n_slots *= batched_lanes(e, s);
    hs_status st = HS_ALLOC_ARRAY(ctx, out->x, g.cap * n, "trajectory");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, out->value, g.cap, "trajectory");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, out->best, g.cap, "trajectory");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, out->worker, g.cap, "trajectory");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, out->dispatch, g.cap, "trajectory");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, out->best_params, np, "best parameters");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, g.busy, (size_t)n_busy + 1, "workers");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, g.slot_id, g.n_slots, "workers");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, g.slot_x, g.n_slots * n, "workers");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, g.ws, (size_t)g.n_local + 1, "workspaces");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, g.wctx, (size_t)g.n_local + 1, "contexts");
    if (st == HS_OK) g.wctx[0] = ctx;
    for (int k = 1; st == HS_OK && k < g.n_local; k++) {
        g.wctx[k] = hs_ctx_clone(ctx);
        if (!g.wctx[k]) st = HS_FAIL(ctx, HS_ERR_NOMEM, "cannot allocate a worker context");
    }
    for (int k = 0; st == HS_OK && k < g.n_local; k++)
        st = hs_workspace_create(e, s->hru_threads, &s->delay, g.wctx[k], &g.ws[k]);
    /* MODEL_BACKEND: batched when asked, or (auto) when each local worker gets 8 or more
     * candidates of a DDS batch, where the kernel is faster than the scalar model (docs:
     * performance.md); its exact mode gives the same bits, so the choice changes no result */
    if (st == HS_OK && (e->backend >= 2 || (e->backend == 0 && e->batch_auto))) {
        const size_t lanes = batched_lanes(e, s);
        if (lanes == 0 && e->backend == 3) {
            hs_log(ctx, HS_LOG_WARN,
                   "MODEL_BACKEND gpu: forked workers cannot use the GPU (CUDA does not survive "
                   "fork); the scalar model is used (use threads or mpi)");
        } else if (lanes > 0) {
            g.batched = true;
            for (int k = 0; st == HS_OK && k < g.n_local; k++)
                st = hs_workspace_enable_batch(g.ws[k], lanes, g.wctx[k]);
            size_t nbl = s->batch;
            if (s->async) {
                g.async_lanes = lanes;
                nbl = g.n_slots;
                if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, g.async_x, nbl * n, "batch");
                if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, g.async_ids, nbl, "batch");
                if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, g.async_r, nbl, "batch");
            }
            if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, g.bl_loss, nbl, "batch");
            if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, g.bl_value, nbl, "batch");
            if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, g.bl_failed, nbl, "batch");
            if (st == HS_OK)
                hs_log(ctx, HS_LOG_INFO, "model backend: %s (%zu lanes per worker)",
                       e->backend == 3 ? "gpu" : "batched", lanes);
        }
    }
    if (st == HS_OK && s->async) {
        hs_adds_config ac = {n, e->lower, e->upper, e->x0, g.cap, e->dds_r, e->seed, s->pool};
        st = hs_adds_create(&ac, ctx, &g.adds);
    } else if (st == HS_OK) {
        hs_dds_config dc = {n, e->lower, e->upper, e->x0, g.cap, e->dds_r, e->seed};
        st = hs_dds_create(&dc, ctx, &g.dds);
    }
    if (st == HS_OK) st = ckpt_path(&g);
    if (st == HS_OK && o->resume) {
        st = read_checkpoint(&g);
        if (st == HS_OK)
            hs_log(ctx, HS_LOG_INFO, "resuming from %s after %zu of %zu evaluations",
                   out->checkpoint_path, g.n_done, g.cap);
    }
    if (st == HS_OK && (s->tier == HS_TIER_PROCESSES || s->tier == HS_TIER_MPI))
        st = remote_create(&g, &g.rem);

    void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN); /* a dead worker is an error, not a signal */
    hs_io_counts io0 = hs_ioprof_get(hs_ctx_get_ioprof(ctx));
    g.t_start = hs_wall_time();
    if (st == HS_OK) st = s->async ? run_async(&g) : run_sync(&g);
    const double wall = hs_wall_time() - g.t_start;
    hs_io_counts io1 = hs_ioprof_get(hs_ctx_get_ioprof(ctx));
    const hs_io_counts ck = g.io_ckpt; /* checkpoints written inside the loop */
    signal(SIGPIPE, old_pipe);
    if (o->progress && g.n_done > 0) print_progress(&g, true);

    if (st == HS_OK && g.stopped) {
        st = write_checkpoint(&g);
        if (st == HS_OK)
            st = HS_FAIL(ctx, HS_ERR_IO,
                         "interrupted after %zu of %zu evaluations; checkpoint written to %s; "
                         "continue with `hydroscale calibrate --resume` and the same settings",
                         g.n_done, g.cap, out->checkpoint_path);
    }
    if (st == HS_OK) {
        double f_best = g.dds ? hs_dds_best(g.dds, NULL) : hs_adds_best(g.adds, NULL);
        double *xb = NULL;
        st = HS_ALLOC_ARRAY(ctx, xb, n, "best parameters");
        if (st == HS_OK) {
            if (g.dds) hs_dds_best(g.dds, xb);
            else hs_adds_best(g.adds, xb);
            memcpy(out->best_params, e->params, np * sizeof *out->best_params);
            if (isfinite(f_best))
                for (size_t j = 0; j < n; j++) out->best_params[e->cal_index[j]] = xb[j];
            else
                st = HS_FAIL(ctx, HS_ERR_NUMERIC,
                             "calibration: none of the %zu candidates gave a finite objective",
                             g.n_done);
        }
        hs_free(xb);
    }
    if (st == HS_OK && g.n_failed > 0)
        hs_log(ctx, HS_LOG_WARN, "%zu of %zu candidates failed and got the worst objective",
               g.n_failed, g.n_done);
    /* the final checkpoint is removed: a finished run resumes nothing */
    if (st == HS_OK && hs_io_is_file(out->checkpoint_path)) remove(out->checkpoint_path);
    if (st == HS_OK && hs_io_is_file(g.rows_path)) remove(g.rows_path);

    hs_calib_result *res = &out->res;
    res->n_evals = g.n_done;
    res->x = out->x;
    res->value = out->value;
    res->best = out->best;
    res->worker = out->worker;
    res->dispatch = out->dispatch;
    res->best_params = out->best_params;
    res->best_value = g.best_value;
    res->algorithm = s->async ? "ASYNC_DDS" : "DDS";
    res->backend = !g.batched ? "scalar" : e->backend == 3 ? "gpu" : "batched";
    res->batch_size = s->async ? s->pool : s->batch;
    res->wall_s = wall;
    double busy = 0;
    for (int k = 0; k <= n_busy; k++) busy += g.busy[k];
    res->eval_s = busy;
    for (int k = 0; k < g.n_local; k++) {
        double ms = 0, rs = 0;
        if (g.ws[k]) hs_workspace_times(g.ws[k], &ms, &rs);
        res->model_s += ms;
        res->route_s += rs;
    }
    res->serial_s = g.serial_s - g.ckpt_s;
    res->checkpoint_s = g.ckpt_s;
    res->workers = s->workers;
    res->utilization = wall > 0 && s->workers > 0 ? busy / ((double)s->workers * wall) : 0.0;
    res->n_failed = g.n_failed;
    res->resumed = o->resume;
    res->io_checkpoint = g.io_ckpt;
    res->io_in_loop.read_bytes = io1.read_bytes - io0.read_bytes - ck.read_bytes;
    res->io_in_loop.write_bytes = io1.write_bytes - io0.write_bytes - ck.write_bytes;
    res->io_in_loop.read_ops = io1.read_ops - io0.read_ops - ck.read_ops;
    res->io_in_loop.write_ops = io1.write_ops - io0.write_ops - ck.write_ops;
    engine_free(&g);
    return st;
}
