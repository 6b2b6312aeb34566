/* hs_mizu.h -- mizuRoute file formats (docs-models.md §6.1, docs-interface.md §2 and §4): the
 * river network topology netCDF, runoff per HRU, and the routed discharge per segment.
 *
 * Topology: variables segId, downSegId (0 or negative = outlet), length (m), slope (-) over the
 * segment dimension (the dimension of segId, any name), and hruId, hruSegId, area (m2) over the
 * HRU dimension (the dimension of hruId). Integer ids of any integer type; hruId may be absent
 * (ids 1..n). A `slope` that is not over the segment dimension is an error that says so.
 *
 * Runoff: variable RUNOFF_VARIABLE over (time, hru) or (hru, time), a "time" coordinate with CF
 * units "<seconds|minutes|hours|days> since <date>" at a constant step, optionally an id
 * variable over the HRU dimension (hruId, gruId, hru_id, HRU_ID, hru or gru) naming the HRU of
 * each column. The `units` attribute is required and converted to m/s: m s-1, mm s-1,
 * kg m-2 s-1, mm d-1 (mm/d, mm day-1, mm/day), mm h-1 (mm/h, mm hr-1), m d-1 (m/d, m day-1);
 * slashes or exponents, any spacing. scale_factor/add_offset are applied; a fill value, missing
 * value or NaN is an error naming the time index and the HRU column (routing cannot guess).
 *
 * Routed output: CF-1.8 netCDF-4, dimensions (time, seg): time (the runoff file's own values,
 * units and calendar: the output dated d is the mean flow over step d, §6.4a), segId(seg) and
 * q_seg(time, seg) in m3 s-1, double precision. Written to a temporary file beside the target
 * and renamed into place (STYLE.md §5).
 *
 * Every netCDF read and write is counted by the I/O profiler (hs_io.h). Errors name the file and
 * the variable. Structures returned are owned by the caller (free with their destroy). */
#ifndef HS_GEO_MIZU_H
#define HS_GEO_MIZU_H

#include <stddef.h>
#include <stdint.h>

#include "hs_api.h"
#include "hs_ctx.h"

typedef struct hs_topology {
    size_t n_seg, n_hru;
    int64_t *seg_id, *down_seg_id; /* [n_seg] */
    double *length_m, *slope;      /* [n_seg] */
    int64_t *hru_id, *hru_seg_id;  /* [n_hru] */
    double *area_m2;               /* [n_hru] */
    /* optional HRU attributes of a hydroscale domain file (NULL when the file has none) */
    double *elev_m;                /* elev_mean [n_hru], m */
    double *lat, *lon;             /* [n_hru], degrees */
    size_t n_gru;                  /* size of the `gru` dimension, 0 when absent */
} hs_topology;

/** Reads a mizuRoute topology (or a hydroscale domain file, same names). Free with
 *  hs_topology_destroy(). */
HS_NODISCARD HS_API hs_status hs_topology_read(hs_ctx *ctx, const char *path,
                                               hs_topology **out);
HS_API void hs_topology_destroy(hs_topology **t);

typedef struct hs_runoff {
    size_t n_time, n_hru;
    double *time;          /* [n_time] as stored, in time_units */
    char time_units[128];  /* "days since 1970-01-01" ... */
    char calendar[64];     /* "" when absent */
    double dt_s;           /* constant step (s) */
    int64_t *hru_id;       /* [n_hru] HRU id of each column; NULL when the file has none */
    double *runoff_ms;     /* [n_time][n_hru] m/s */
    char units[64];        /* the variable's units as found */
} hs_runoff;

/** Reads runoff variable `var` of `path`, converted to m/s. Free with hs_runoff_destroy(). */
HS_NODISCARD HS_API hs_status hs_runoff_read(hs_ctx *ctx, const char *path, const char *var,
                                             hs_runoff **out);
HS_API void hs_runoff_destroy(hs_runoff **r);

/** Routed discharge to write (all borrowed). */
typedef struct hs_routed {
    size_t n_time, n_seg;
    const double *time;      /* [n_time] */
    const char *time_units;  /* CF units of `time` */
    const char *calendar;    /* may be NULL or "" (standard) */
    const int64_t *seg_id;   /* [n_seg] */
    const double *q_m3s;     /* [n_time][n_seg] */
    const char *routing_model, *domain_name, *experiment_id; /* global attributes */
} hs_routed;

/** Writes routed.nc atomically (temporary file + rename). */
HS_NODISCARD HS_API hs_status hs_routed_write_nc(hs_ctx *ctx, const char *path,
                                                 const hs_routed *r);

#endif /* HS_GEO_MIZU_H */
