/* hs_streamflow.h -- writers of the simulated/observed outlet discharge (docs-interface.md §3):
 * run/streamflow.nc (CF-1.8, double precision, readable by xarray) and run/streamflow.csv.
 * Both are written to a temporary file and renamed into place; writes are counted by the I/O
 * profiler. */
#ifndef HS_GEO_STREAMFLOW_H
#define HS_GEO_STREAMFLOW_H

#include <stddef.h>

#include "hs_api.h"
#include "hs_ctx.h"
#include "hs_time.h"

typedef struct hs_streamflow {
    hs_day first_day;
    size_t n_time;
    const double *q_sim_m3s; /* [n_time] */
    const double *q_obs_m3s; /* [n_time], NaN = missing; may be NULL (no observations) */
    const double *q_sim_mm;  /* [n_time] mm/d */
    const double *q_obs_mm;  /* [n_time] mm/d; may be NULL */
    double area_km2;
    const char *domain_name; /* global attributes */
    const char *model_name;
    const char *experiment_id;
    /* routed runs: discharge of every segment (optional; n_seg = 0 for none) */
    size_t n_seg;
    const long long *seg_id; /* [n_seg] */
    const double *q_seg_m3s; /* [n_time][n_seg] */
} hs_streamflow;

HS_NODISCARD HS_API hs_status hs_streamflow_write_nc(hs_ctx *ctx, const char *path,
                                                     const hs_streamflow *q);
/** CSV columns: date,q_obs_m3s,q_sim_m3s,q_sim_mm (empty field for a missing observation). */
HS_NODISCARD HS_API hs_status hs_streamflow_write_csv(hs_ctx *ctx, const char *path,
                                                      const hs_streamflow *q);

#endif /* HS_GEO_STREAMFLOW_H */
