/* hs_grid.h -- gridded forcing (ERA5-like netCDF: time x latitude x longitude) remapped to the
 * HRUs of a domain by area-weighted averaging (docs-interface.md §2 FORCING_FILE "gridded",
 * issue #5 item 6b).
 *
 * Reading: variables (time, lat, lon) with 1-D latitude/longitude coordinates (cell centres of a
 * regular grid; names lat/latitude, lon/longitude) and a CF time coordinate at any constant step
 * of a day or less. Units are converted: temperature K -> degC; precipitation and PET rates
 * (kg m-2 s-1 = mm s-1, m s-1, mm h-1, mm d-1, m d-1 (ERA5's "**" exponents accepted)) -> mm d-1.
 * Sub-daily steps are aggregated to calendar days (mean of the day's steps; a day must be
 * complete, partial first and last days are dropped with a note in the result).
 *
 * Remapping: the weight of grid cell c for HRU h is area(HRU_h ∩ cell_c) / area(HRU_h), from the
 * HRU polygons of the domain's GeoPackage (OGR intersections in the layer's own CRS; cell boxes
 * are transformed into it; in geographic CRSs areas are weighted by cos(latitude)). The weights
 * of an HRU sum to 1; they are computed once and written beside the domain
 * (remap_<forcing file stem>.csv: hru,cell,weight). Every read is counted by the I/O profiler. */
#ifndef HS_GEO_GRID_H
#define HS_GEO_GRID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hs_api.h"
#include "hs_ctx.h"
#include "hs_forcing.h"

/** Daily gridded forcing [n_day][n_cell], cell = i_lat * n_lon + i_lon. Owned. */
typedef struct hs_grid {
    size_t n_lat, n_lon, n_cell, n_day;
    double *lat, *lon;      /* [n_lat], [n_lon] cell centres, degrees */
    hs_day first_day;
    double *precip_mm;      /* mm/d */
    double *temp_c;         /* degC */
    double *pet_mm;         /* mm/d or NULL */
    int steps_per_day;      /* of the source (24 for hourly ERA5) */
    char note[160];         /* e.g. days dropped at the ends */
} hs_grid;

/** True when `var` in netCDF `path` has three dimensions (time, y, x): gridded forcing. */
HS_API bool hs_grid_is_gridded(const char *path, const char *var);

/** Reads and aggregates to days. var_pet may be NULL or absent in the file (pet_mm NULL then).
 *  Free with hs_grid_destroy(). Errors name the file and variable. */
HS_NODISCARD HS_API hs_status hs_grid_read(hs_ctx *ctx, const char *path, const char *var_precip,
                                           const char *var_temp, const char *var_pet,
                                           hs_grid **out);
HS_API void hs_grid_destroy(hs_grid **g);

/** Remap weights (sparse): entry k maps grid cell cell[k] to HRU hru[k] (0-based, the order of
 *  hru_ids) with weight w[k]. Owned. */
typedef struct hs_remap {
    size_t n;
    size_t *hru, *cell;
    double *w;
} hs_remap;

/** Weights from the HRU polygons of `gpkg` (layer "hru", field hruId) for the HRUs `hru_ids`
 *  (in that order) and the cells of `g`. HS_ERR_FORMAT when an HRU has no polygon or does not
 *  overlap the grid. Free with hs_remap_destroy(). */
HS_NODISCARD HS_API hs_status hs_remap_compute(hs_ctx *ctx, const char *gpkg, const hs_grid *g,
                                               const int64_t *hru_ids, size_t n_hru,
                                               hs_remap **out);
HS_API void hs_remap_destroy(hs_remap **r);
/** Writes the weights as CSV (hru,cell,weight; hru = the HRU id), atomically. */
HS_NODISCARD HS_API hs_status hs_remap_write_csv(hs_ctx *ctx, const char *path, const hs_remap *r,
                                                 const int64_t *hru_ids);

/** Per-HRU daily forcing [n_day][n_hru] from the grid and the weights (PET copied when the grid
 *  has it). Free with hs_forcing_destroy(). */
HS_NODISCARD HS_API hs_status hs_remap_apply(hs_ctx *ctx, const hs_grid *g, const hs_remap *r,
                                             size_t n_hru, hs_forcing **out);

#endif /* HS_GEO_GRID_H */
