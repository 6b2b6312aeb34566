/* hs_study.h -- `hydroscale scaling STUDY.yaml` and `hydroscale ensemble CONFIG...`: the six
 * experiments of SYMFLUENCE's parallel-scaling study (seed §4.11), run as whole processes.
 *
 * A study file (experiments/NAME.yaml) names a kind and the runs to make; the harness launches each
 * run as a subprocess (`hydroscale calibrate ...`, or `mpirun -n N hydroscale ...`), times it from
 * fork to exit, reads its summary.json, and writes table.csv, table.md and gnuplot figures into
 * OUTPUT_DIR/STUDY_NAME/ with the machine, version and build in their headers. Kinds:
 *   strong         workers x strategies (threads, processes, mpi): wall, speedup, efficiency;
 *                  --model fits Amdahl's law with a dispatch term and projects to PROJECT_WORKERS
 *   async_vs_sync  the seed's table Y rows ("sync:W", "async:POOL:BATCH:W") x DELAYS
 *   backends       MODEL_BACKEND values x workers: latency, wall, compound speedup
 *   weak           domain configs of growing size: time per evaluation, I/O, memory, exponent
 *   ensemble       members (models or configs) x modes (sequential, parallel, hybrid): Gantt charts
 * --emit-slurm writes SLURM scripts for the runs instead of running them; --quick applies
 * QUICK_SETTINGS / QUICK_WORKERS for a run of well under a minute. */
#ifndef HS_DRIVERS_STUDY_H
#define HS_DRIVERS_STUDY_H

#include <stdbool.h>
#include <stddef.h>

#include "hs_ctx.h"

typedef struct hs_study_options {
    const char *study_path;              /* scaling: the study file */
    const char *const *configs;          /* ensemble: member configs */
    size_t n_configs;
    const char *mode;                    /* ensemble: sequential | parallel | hybrid | NULL (all) */
    int workers;                         /* ensemble: workers per member (0: study default) */
    bool quick, emit_slurm, model;
    const char *output_dir;              /* --output, or NULL */
    const char *const *overrides;        /* --set KEY=VALUE, applied to every run */
    size_t n_overrides;
    const char *exe;                     /* the hydroscale executable to launch */
} hs_study_options;

HS_NODISCARD hs_status hs_study_scaling(const hs_study_options *o, hs_ctx *ctx);
HS_NODISCARD hs_status hs_study_ensemble(const hs_study_options *o, hs_ctx *ctx);

#endif /* HS_DRIVERS_STUDY_H */
