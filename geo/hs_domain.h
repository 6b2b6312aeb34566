/* hs_domain.h -- hydrological domains from a DEM: GRUs, HRUs and a river network
 * (docs-interface.md §1 `domain`, §4 domain file; issue 5).
 *
 * The pipeline, all in memory, so that a failure leaves no file behind:
 *  1. read any GDAL raster DEM (band 1); its CRS is required. Areas, lengths and slopes are
 *     measured in a local Lambert azimuthal equal-area projection centred on the DEM (so cell
 *     areas are exact whatever the DEM's own CRS, geographic included);
 *  2. hydrological conditioning: Priority-Flood+epsilon depression filling (Barnes, Lehman &
 *     Mulla 2014, Computers & Geosciences 62:117-127, Algorithm 3 with the pit queue), which
 *     also resolves flats because every filled cell ends strictly above the cell that reached
 *     it; D8 steepest-descent flow directions (O'Callaghan & Mark 1984) on the filled surface;
 *     flow accumulation in cells by a topological sweep (Kahn 1962). O(N log N) overall;
 *  3. the pour point (lat/lon) is snapped to the highest-accumulation cell within a tolerance
 *     and the basin is every cell upstream of it;
 *  4. streams are cells draining at least STREAM_THRESHOLD cells; a segment runs between
 *     confluences (mizuRoute naming: segId, downSegId = 0 at the outlet); a GRU is the local
 *     drainage area of one segment;
 *  5. HRUs per discretisation: lumped (1 GRU, 1 HRU, 1 segment: the main stem), elevation bands
 *     (1 GRU), semi-distributed (GRUs x elevation bands, slivers merged), distributed (grid
 *     cells of GRID_CELL_SIZE m in the equal-area plane, each a GRU/HRU/segment routed to the
 *     coarse cell its outlet's flow path enters first, i.e. D8 on the coarse grid derived from
 *     the fine network).
 * GDAL, OGR and PROJ stay private to geo/ (STYLE.md §1). */
#ifndef HS_GEO_DOMAIN_H
#define HS_GEO_DOMAIN_H

#include <stddef.h>

#include "hs_api.h"
#include "hs_ctx.h"

typedef enum hs_domain_method {
    HS_DOMAIN_LUMPED = 0,
    HS_DOMAIN_ELEVATION_BANDS = 1,
    HS_DOMAIN_SEMI_DISTRIBUTED = 2,
    HS_DOMAIN_DISTRIBUTED = 3
} hs_domain_method;

/** Plain configuration (docs-interface.md §2 keys in brackets). */
typedef struct hs_domain_config {
    const char *dem_path;         /* [DEM_PATH] any GDAL raster; band 1 = elevation (m) */
    double pour_lat, pour_lon;    /* [POUR_POINT_COORDS] degrees, WGS 84 */
    hs_domain_method method;      /* [DOMAIN_DISCRETIZATION] */
    double band_size_m;           /* [ELEVATION_BAND_SIZE] > 0 */
    long band_count;              /* [ELEVATION_BAND_COUNT] > 0 overrides band_size_m */
    double min_hru_area_fraction; /* [MIN_HRU_AREA_FRACTION] in [0, 1) */
    long stream_threshold;        /* [STREAM_THRESHOLD] upstream cells (itself included) */
    double grid_cell_m;           /* [GRID_CELL_SIZE] distributed only */
    double snap_tolerance_m;      /* pour-point snapping radius; <= 0 means 300 m */
    /* names used in error messages (the config file and keys); NULL gives the key names */
    const char *origin;           /* e.g. "domain.yaml" */
} hs_domain_config;

/** Fills `c` with the documented defaults (band 200 m, fraction 0.01, threshold 5000,
 *  grid 1000 m, lumped, snapping 300 m). */
HS_API void hs_domain_config_default(hs_domain_config *c);

/** Borrowed views of the domain tables (docs-interface.md §4), valid while the domain lives.
 *  Ids start at 1. HRUs are sorted by GRU, GRUs by id; hru_seg_id is the segment an HRU drains
 *  into (its GRU's segment). Slopes are m/m, areas m2, lengths and elevations m. */
typedef struct hs_domain_tables {
    size_t n_hru, n_gru, n_seg;
    const int *hru_id, *hru2gru, *hru_seg_id;
    const double *hru_area_m2, *hru_elev_m, *hru_lat, *hru_lon, *hru_slope;
    const int *gru_id;
    const double *gru_area_m2;
    const int *seg_id, *down_seg_id;
    const double *seg_length_m, *seg_slope;
} hs_domain_tables;

/** What happened, for the command's summary and the benchmark. */
typedef struct hs_domain_stats {
    size_t n_rows, n_cols, n_valid;   /* DEM size and cells with data */
    size_t n_basin_cells, n_stream_cells, n_bands;
    double basin_area_m2;
    double outlet_lat, outlet_lon;    /* centre of the snapped outlet cell */
    double snap_distance_m;
    long outlet_accum_cells;
    double elev_min_m, elev_max_m;    /* inside the basin */
    double t_read_s, t_condition_s, t_delineate_s, t_discretize_s;
} hs_domain_stats;

/** A river polyline in the DEM's CRS (x, y interleaved), one per segment (same order as
 *  seg_id). */
typedef struct hs_domain_line {
    const double *xy;
    size_t n_points;
} hs_domain_line;

/** HRU and GRU ids on the DEM grid cropped to the basin's bounding box (row-major, 0 outside
 *  the basin) with the window's GDAL geotransform, plus the river lines. Borrowed. */
typedef struct hs_domain_map {
    size_t n_rows, n_cols;
    double geotransform[6];
    const int *hru, *gru;
    const hs_domain_line *rivers; /* n_seg lines */
    size_t n_rivers;
    const char *crs_wkt;          /* the DEM's CRS */
    int is_geographic;            /* 1 when x/y are lon/lat degrees */
} hs_domain_map;

typedef struct hs_domain hs_domain;

/** Reads the DEM and builds the domain. Errors name the file or key: HS_ERR_IO (DEM cannot be
 *  opened), HS_ERR_FORMAT (no CRS, no data at all), HS_ERR_CONFIG (pour point outside the DEM
 *  or on nodata, a threshold that yields no stream, bad settings), HS_ERR_NOMEM. Nothing is
 *  written. GDAL messages are captured, never printed. Free with hs_domain_destroy(). Not
 *  thread-safe with other GDAL users of the same error handler stack. */
HS_NODISCARD HS_API hs_status hs_domain_create(const hs_domain_config *cfg, hs_ctx *ctx,
                                               hs_domain **out);
/** NULL-safe; sets *d to NULL. */
HS_API void hs_domain_destroy(hs_domain **d);

HS_API const hs_domain_tables *hs_domain_get_tables(const hs_domain *d);
HS_API const hs_domain_stats *hs_domain_get_stats(const hs_domain *d);
HS_API const hs_domain_map *hs_domain_get_map(const hs_domain *d);

/** Writes the domain netCDF (CF-1.8; dims hru, gru, seg) atomically: temp file then rename.
 *  `domain_name` goes into the global attributes. HS_ERR_IO/EXTERNAL name the path. */
HS_NODISCARD HS_API hs_status hs_domain_write_nc(const hs_domain *d, const char *path,
                                                 const char *domain_name, hs_ctx *ctx);

/** Writes a GeoPackage with layers `gru` and `hru` (multipolygons from GDALPolygonize, one
 *  feature per id) and `rivers` (line strings per segment), in the DEM's CRS; atomically. */
HS_NODISCARD HS_API hs_status hs_domain_write_gpkg(const hs_domain *d, const char *path,
                                                   hs_ctx *ctx);

#endif /* HS_GEO_DOMAIN_H */
