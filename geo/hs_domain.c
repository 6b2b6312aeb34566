/* hs_domain.c -- building a domain from a DEM (see hs_domain.h for the pipeline and references).
 *
 * Grid conventions: cells are indexed i = r * n_cols + c (row 0 at the top, GDAL order); the D8
 * code k = 0..7 means N, NE, E, SE, S, SW, W, NW, and -1 "no downstream cell" (the edge seeds
 * of the Priority-Flood, which drain off the grid, and nodata). Elevation nodata is NaN.
 *
 * Measures: every DEM row gets its cell area, its east-west and north-south cell sizes from the
 * four corners and four edge midpoints of its central cell projected into a local Lambert
 * azimuthal equal-area (LAEA) plane centred on the DEM. LAEA preserves areas, so basin areas are
 * exact for any DEM CRS; for a geographic DEM the area of a cell depends on its row only, for a
 * projected DEM the (small) variation along a row is neglected. Lengths use the same per-row
 * sizes (D8 steps: dy, dx or the diagonal). HRU centroids are area-weighted means of the cell
 * centres in the LAEA plane, converted back to WGS 84 lat/lon. */
#include "hs_domain_impl.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>
#include <math.h>
#include <ogr_srs_api.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "hs_io.h"
#include "hs_sys.h"

/* D8 neighbour offsets, k = 0..7: N, NE, E, SE, S, SW, W, NW; (k + 4) % 8 is the opposite. */
static const int DR[8] = {-1, -1, 0, 1, 1, 1, 0, -1};
static const int DC[8] = {0, 1, 1, 1, 0, -1, -1, -1};

#define HS_MIN_SLOPE 1e-5 /* mizuRoute needs positive segment slopes */

typedef struct grid {
    size_t nr, nc, n;
    double gt[6];
    double *z;           /* elevation (m), NaN = nodata */
    double *zf;          /* conditioned (filled, flats resolved) elevation */
    signed char *dir;    /* D8 code or -1 */
    int32_t *acc;        /* upstream cells, itself included; 0 on nodata */
    int32_t *order;      /* valid cells, every cell before its downstream cell */
    size_t n_order;
    double *area, *dx, *dy; /* per row: cell area (m2), cell sizes (m) */
} grid;

typedef struct build {
    const hs_domain_config *cfg;
    hs_ctx *ctx;
    const char *origin; /* config file, for messages about keys */
    hs_domain *d;
    grid g;
    OGRSpatialReferenceH srs_dem, srs_laea, srs_wgs;
    OGRCoordinateTransformationH dem2laea, laea2wgs, wgs2dem, dem2wgs;
    int32_t outlet;
    uint8_t *basin;
    int32_t *border;     /* basin cells, upstream first */
    size_t nb;
    int32_t *seg;        /* stream segment (0-based) per cell, -1 elsewhere */
    int32_t *seg_head, *seg_last;
    size_t n_stream_seg;
    int32_t *gru;        /* GRU (0-based) per cell */
    int32_t *hru;        /* HRU (0-based) per cell */
} build;

/* ---------------------------------------------------------------------------------------------
 * small helpers */

static double step_length(const grid *g, size_t i, int k) {
    size_t r = i / g->nc;
    if (k < 0) return 0.5 * (g->dx[r] + g->dy[r]);
    if (k == 0 || k == 4) return g->dy[r];
    if (k == 2 || k == 6) return g->dx[r];
    return hypot(g->dx[r], g->dy[r]);
}

static int32_t down_of(const grid *g, int32_t i) {
    int k = g->dir[i];
    if (k < 0) return -1;
    return (int32_t)((long)i + (long)DR[k] * (long)g->nc + DC[k]);
}

static void cell_centre(const grid *g, size_t i, double *x, double *y) {
    double c = (double)(i % g->nc) + 0.5, r = (double)(i / g->nc) + 0.5;
    *x = g->gt[0] + c * g->gt[1] + r * g->gt[2];
    *y = g->gt[3] + c * g->gt[4] + r * g->gt[5];
}

static const char *gdal_msg(void) {
    const char *m = CPLGetLastErrorMsg();
    return m && *m ? m : "no reason given by GDAL";
}

/* ---------------------------------------------------------------------------------------------
 * 1. reading the DEM and its CRS */

static hs_status read_dem(build *b) {
    hs_ctx *ctx = b->ctx;
    const char *path = b->cfg->dem_path;
    GDALDatasetH ds = GDALOpen(path, GA_ReadOnly);
    if (!ds) return HS_FAIL(ctx, HS_ERR_IO, "%s: cannot open the DEM: %s", path, gdal_msg());
    hs_status st = HS_OK;
    grid *g = &b->g;
    if (GDALGetRasterCount(ds) < 1) {
        st = HS_FAIL(ctx, HS_ERR_FORMAT, "%s: the DEM has no raster band", path);
        goto done;
    }
    if (GDALGetGeoTransform(ds, g->gt) != CE_None) {
        st = HS_FAIL(ctx, HS_ERR_FORMAT, "%s: the DEM has no geotransform (georeferencing)", path);
        goto done;
    }
    if (g->gt[2] != 0.0 || g->gt[4] != 0.0) {
        st = HS_FAIL(ctx, HS_ERR_FORMAT, "%s: rotated DEM grids are not supported (warp it "
                                         "first, e.g. gdalwarp)", path);
        goto done;
    }
    const char *wkt = GDALGetProjectionRef(ds);
    if (!wkt || !*wkt) {
        st = HS_FAIL(ctx, HS_ERR_FORMAT,
                     "%s: the DEM has no coordinate reference system (assign one, e.g. "
                     "gdal_edit.py -a_srs EPSG:4326)", path);
        goto done;
    }
    st = hs_strdup(ctx, wkt, &b->d->crs_wkt);
    if (st != HS_OK) goto done;
    g->nc = (size_t)GDALGetRasterXSize(ds);
    g->nr = (size_t)GDALGetRasterYSize(ds);
    g->n = g->nr * g->nc;
    if (g->nr < 3 || g->nc < 3 || g->n > (size_t)INT32_MAX - 1) {
        st = HS_FAIL(ctx, HS_ERR_FORMAT, "%s: DEM of %zu x %zu cells; expected at least 3 x 3 and "
                     "fewer than 2^31 cells", path, g->nc, g->nr);
        goto done;
    }
    st = HS_ALLOC_ARRAY(ctx, g->z, g->n, "DEM elevations");
    if (st != HS_OK) goto done;
    GDALRasterBandH band = GDALGetRasterBand(ds, 1);
    if (GDALRasterIO(band, GF_Read, 0, 0, (int)g->nc, (int)g->nr, g->z, (int)g->nc, (int)g->nr,
                     GDT_Float64, 0, 0) != CE_None) {
        st = HS_FAIL(ctx, HS_ERR_IO, "%s: cannot read band 1: %s", path, gdal_msg());
        goto done;
    }
    hs_io_count_read(ctx, (uint64_t)g->n * (uint64_t)GDALGetDataTypeSizeBytes(
                                                 GDALGetRasterDataType(band)), 1);
    int has_nodata = 0;
    double nodata = GDALGetRasterNoDataValue(band, &has_nodata);
    size_t n_valid = 0;
    for (size_t i = 0; i < g->n; i++) {
        double v = g->z[i];
        if (!isfinite(v) || (has_nodata && v == nodata)) g->z[i] = NAN;
        else n_valid++;
    }
    b->d->stats.n_rows = g->nr;
    b->d->stats.n_cols = g->nc;
    b->d->stats.n_valid = n_valid;
    if (n_valid == 0)
        st = HS_FAIL(ctx, HS_ERR_FORMAT, "%s: the DEM holds no data (every cell is nodata)", path);
done:
    GDALClose(ds);
    return st;
}

static hs_status make_transform(build *b, OGRSpatialReferenceH from, OGRSpatialReferenceH to,
                                OGRCoordinateTransformationH *out, const char *what) {
    *out = OCTNewCoordinateTransformation(from, to);
    if (!*out)
        return HS_FAIL(b->ctx, HS_ERR_EXTERNAL, "%s: no coordinate transformation %s: %s",
                       b->cfg->dem_path, what, gdal_msg());
    return HS_OK;
}

/* The DEM CRS, WGS 84 and a LAEA plane centred on the DEM; per-row cell areas and sizes. */
static hs_status setup_crs(build *b) {
    hs_ctx *ctx = b->ctx;
    grid *g = &b->g;
    const char *path = b->cfg->dem_path;
    b->srs_dem = OSRNewSpatialReference(NULL);
    b->srs_wgs = OSRNewSpatialReference(NULL);
    b->srs_laea = OSRNewSpatialReference(NULL);
    if (!b->srs_dem || !b->srs_wgs || !b->srs_laea)
        return HS_FAIL(ctx, HS_ERR_NOMEM, "%s: cannot create spatial references", path);
    if (OSRSetFromUserInput(b->srs_dem, b->d->crs_wkt) != OGRERR_NONE)
        return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: cannot interpret the DEM's CRS: %s", path,
                       gdal_msg());
    if (OSRSetWellKnownGeogCS(b->srs_wgs, "WGS84") != OGRERR_NONE)
        return HS_FAIL(ctx, HS_ERR_EXTERNAL, "cannot define WGS 84: %s", gdal_msg());
    /* x = longitude / easting, y = latitude / northing everywhere */
    OSRSetAxisMappingStrategy(b->srs_dem, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(b->srs_wgs, OAMS_TRADITIONAL_GIS_ORDER);
    b->d->map.is_geographic = OSRIsGeographic(b->srs_dem) ? 1 : 0;
    HS_TRY(make_transform(b, b->srs_dem, b->srs_wgs, &b->dem2wgs, "from the DEM CRS to WGS 84"));
    HS_TRY(make_transform(b, b->srs_wgs, b->srs_dem, &b->wgs2dem, "from WGS 84 to the DEM CRS"));
    double cx, cy;
    cell_centre(g, (g->nr / 2) * g->nc + g->nc / 2, &cx, &cy);
    if (!OCTTransform(b->dem2wgs, 1, &cx, &cy, NULL))
        return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: the DEM centre cannot be converted to lat/lon: %s",
                       path, gdal_msg());
    char proj4[256];
    snprintf(proj4, sizeof proj4,
             "+proj=laea +lat_0=%.6f +lon_0=%.6f +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs",
             cy, cx);
    HS_TRY(hs_strdup(ctx, proj4, &b->d->laea_proj4));
    if (OSRImportFromProj4(b->srs_laea, proj4) != OGRERR_NONE)
        return HS_FAIL(ctx, HS_ERR_EXTERNAL, "cannot define %s: %s", proj4, gdal_msg());
    OSRSetAxisMappingStrategy(b->srs_laea, OAMS_TRADITIONAL_GIS_ORDER);
    HS_TRY(make_transform(b, b->srs_dem, b->srs_laea, &b->dem2laea, "to the equal-area plane"));
    HS_TRY(make_transform(b, b->srs_laea, b->srs_wgs, &b->laea2wgs, "from the equal-area plane"));

    /* per row: 4 corners + 4 edge midpoints of the central cell */
    HS_TRY(HS_ALLOC_ARRAY(ctx, g->area, g->nr, "cell areas"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, g->dx, g->nr, "cell sizes"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, g->dy, g->nr, "cell sizes"));
    double *x = NULL, *y = NULL;
    HS_TRY(HS_ALLOC_ARRAY(ctx, x, 8 * g->nr, "cell geometry"));
    hs_status st = HS_ALLOC_ARRAY(ctx, y, 8 * g->nr, "cell geometry");
    if (st != HS_OK) {
        hs_free(x);
        return st;
    }
    static const double pc[8] = {0, 1, 1, 0, 0, 1, 0.5, 0.5}; /* column offsets */
    static const double pr[8] = {0, 0, 1, 1, 0.5, 0.5, 0, 1};  /* row offsets */
    double c0 = (double)(g->nc / 2);
    for (size_t r = 0; r < g->nr; r++)
        for (int p = 0; p < 8; p++) {
            double cc = c0 + pc[p], rr = (double)r + pr[p];
            x[8 * r + p] = g->gt[0] + cc * g->gt[1] + rr * g->gt[2];
            y[8 * r + p] = g->gt[3] + cc * g->gt[4] + rr * g->gt[5];
        }
    if (!OCTTransform(b->dem2laea, (int)(8 * g->nr), x, y, NULL)) {
        st = HS_FAIL(ctx, HS_ERR_FORMAT, "%s: DEM cells cannot be projected to the equal-area "
                     "plane: %s", path, gdal_msg());
    }
    for (size_t r = 0; st == HS_OK && r < g->nr; r++) {
        const double *px = x + 8 * r, *py = y + 8 * r;
        double a2 = 0;
        for (int p = 0; p < 4; p++) {
            int q = (p + 1) % 4;
            a2 += px[p] * py[q] - px[q] * py[p];
        }
        g->area[r] = 0.5 * fabs(a2);
        g->dx[r] = hypot(px[5] - px[4], py[5] - py[4]);
        g->dy[r] = hypot(px[7] - px[6], py[7] - py[6]);
        if (!(g->area[r] > 0) || !(g->dx[r] > 0) || !(g->dy[r] > 0))
            st = HS_FAIL(ctx, HS_ERR_FORMAT, "%s: row %zu has degenerate cells", path, r);
    }
    hs_free(x);
    hs_free(y);
    return st;
}

/* ---------------------------------------------------------------------------------------------
 * 2. conditioning: Priority-Flood+epsilon, D8, accumulation */

typedef struct heap_item {
    double z;
    int32_t i;
} heap_item;

/* Min-heap on (z, i): the index breaks ties so that results never depend on heap internals. */
static int item_less(heap_item a, heap_item b) { return a.z < b.z || (a.z == b.z && a.i < b.i); }

static void heap_push(heap_item *h, size_t *n, heap_item v) {
    size_t k = (*n)++;
    while (k > 0) {
        size_t p = (k - 1) / 2;
        if (!item_less(v, h[p])) break;
        h[k] = h[p];
        k = p;
    }
    h[k] = v;
}

static heap_item heap_pop(heap_item *h, size_t *n) {
    heap_item top = h[0], last = h[--(*n)];
    size_t k = 0;
    for (;;) {
        size_t c = 2 * k + 1;
        if (c >= *n) break;
        if (c + 1 < *n && item_less(h[c + 1], h[c])) c++;
        if (!item_less(h[c], last)) break;
        h[k] = h[c];
        k = c;
    }
    if (*n > 0) h[k] = last;
    return top;
}

static int valid_at(const grid *g, long r, long c) {
    return r >= 0 && c >= 0 && r < (long)g->nr && c < (long)g->nc &&
           !isnan(g->z[(size_t)r * g->nc + (size_t)c]);
}

/* Barnes et al. (2014) Algorithm 3 (Priority-Flood+epsilon): seeds are valid cells on the edge
 * of the grid or next to nodata; cells are visited from the lowest open cell outwards, and a
 * cell not above the cell that reaches it is raised to the next representable double above it
 * and queued on a FIFO "pit" queue (processed first: it is lower than anything in the heap).
 * Afterwards every non-seed cell has a strictly lower neighbour, so D8 on the result drains
 * every depression and every flat, and no flow path can cycle. */
static hs_status fill_depressions(build *b) {
    grid *g = &b->g;
    hs_ctx *ctx = b->ctx;
    HS_TRY(HS_ALLOC_ARRAY(ctx, g->zf, g->n, "filled DEM"));
    memcpy(g->zf, g->z, g->n * sizeof *g->zf);
    uint8_t *closed = NULL;
    heap_item *heap = NULL;
    int32_t *pit = NULL;
    hs_status st = HS_ALLOC_ARRAY(ctx, closed, g->n, "priority-flood flags");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, heap, g->n, "priority-flood queue");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, pit, g->n, "priority-flood pit queue");
    if (st != HS_OK) goto done;
    size_t nh = 0, pit_head = 0, pit_tail = 0;
    for (size_t r = 0; r < g->nr; r++)
        for (size_t c = 0; c < g->nc; c++) {
            size_t i = r * g->nc + c;
            if (isnan(g->z[i])) continue;
            int seed = r == 0 || c == 0 || r + 1 == g->nr || c + 1 == g->nc;
            for (int k = 0; !seed && k < 8; k++)
                if (!valid_at(g, (long)r + DR[k], (long)c + DC[k])) seed = 1;
            if (seed) {
                closed[i] = 1;
                heap_push(heap, &nh, (heap_item){g->zf[i], (int32_t)i});
            }
        }
    while (nh > 0 || pit_head < pit_tail) {
        int32_t ci = pit_head < pit_tail ? pit[pit_head++] : heap_pop(heap, &nh).i;
        long r = ci / (long)g->nc, c = ci % (long)g->nc;
        double zc = g->zf[ci];
        for (int k = 0; k < 8; k++) {
            long rr = r + DR[k], cc = c + DC[k];
            if (!valid_at(g, rr, cc)) continue;
            size_t ni = (size_t)rr * g->nc + (size_t)cc;
            if (closed[ni]) continue;
            closed[ni] = 1;
            if (g->zf[ni] <= zc) {
                g->zf[ni] = nextafter(zc, INFINITY);
                pit[pit_tail++] = (int32_t)ni;
            } else {
                heap_push(heap, &nh, (heap_item){g->zf[ni], (int32_t)ni});
            }
        }
    }
done:
    hs_free(closed);
    hs_free(heap);
    hs_free(pit);
    return st;
}

/* D8 (O'Callaghan & Mark 1984): each cell drains to the neighbour of steepest descent on the
 * filled surface, drop / distance with metric distances of its row. A cell with no lower
 * neighbour (only possible for an edge seed) drains off the grid (-1). */
static hs_status flow_directions(build *b) {
    grid *g = &b->g;
    HS_TRY(HS_ALLOC_ARRAY(b->ctx, g->dir, g->n, "flow directions"));
    for (size_t r = 0; r < g->nr; r++) {
        double dist[8];
        for (int k = 0; k < 8; k++)
            dist[k] = (k == 0 || k == 4) ? g->dy[r] : (k == 2 || k == 6) ? g->dx[r]
                                                                        : hypot(g->dx[r], g->dy[r]);
        for (size_t c = 0; c < g->nc; c++) {
            size_t i = r * g->nc + c;
            g->dir[i] = -1;
            if (isnan(g->z[i])) continue;
            double best = 0.0;
            for (int k = 0; k < 8; k++) {
                long rr = (long)r + DR[k], cc = (long)c + DC[k];
                if (!valid_at(g, rr, cc)) continue;
                double s = (g->zf[i] - g->zf[(size_t)rr * g->nc + (size_t)cc]) / dist[k];
                if (s > best) {
                    best = s;
                    g->dir[i] = (signed char)k;
                }
            }
        }
    }
    return HS_OK;
}

/* Accumulation in cells by Kahn's topological sweep: a cell is processed once every cell
 * draining into it has been, so `order` lists every cell before its downstream cell. O(N). */
static hs_status accumulate(build *b) {
    grid *g = &b->g;
    hs_ctx *ctx = b->ctx;
    HS_TRY(HS_ALLOC_ARRAY(ctx, g->acc, g->n, "flow accumulation"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, g->order, g->n, "topological order"));
    uint8_t *indeg = NULL;
    HS_TRY(HS_ALLOC_ARRAY(ctx, indeg, g->n, "in-degrees"));
    for (size_t i = 0; i < g->n; i++) {
        int32_t d = down_of(g, (int32_t)i);
        if (d >= 0) indeg[d]++;
    }
    size_t head = 0, tail = 0;
    for (size_t i = 0; i < g->n; i++)
        if (!isnan(g->z[i]) && indeg[i] == 0) g->order[tail++] = (int32_t)i;
    while (head < tail) {
        int32_t i = g->order[head++];
        g->acc[i] += 1;
        int32_t d = down_of(g, i);
        if (d < 0) continue;
        g->acc[d] += g->acc[i];
        if (--indeg[d] == 0) g->order[tail++] = d;
    }
    hs_free(indeg);
    g->n_order = tail;
    if (tail != b->d->stats.n_valid) /* would mean a cycle: impossible after Priority-Flood+eps */
        return HS_FAIL(ctx, HS_ERR_INTERNAL, "%s: flow directions contain a cycle (%zu of %zu "
                       "cells ordered)", b->cfg->dem_path, tail, b->d->stats.n_valid);
    return HS_OK;
}

/* ---------------------------------------------------------------------------------------------
 * 3. pour point and basin */

static hs_status snap_pour_point(build *b) {
    grid *g = &b->g;
    hs_ctx *ctx = b->ctx;
    const hs_domain_config *cfg = b->cfg;
    double x = cfg->pour_lon, y = cfg->pour_lat;
    if (!OCTTransform(b->wgs2dem, 1, &x, &y, NULL))
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: POUR_POINT_COORDS %g/%g cannot be converted to the "
                       "DEM's CRS: %s", b->origin, cfg->pour_lat, cfg->pour_lon, gdal_msg());
    double fc = (x - g->gt[0]) / g->gt[1], fr = (y - g->gt[3]) / g->gt[5];
    if (!(fc >= 0 && fr >= 0 && fc < (double)g->nc && fr < (double)g->nr)) {
        double x0 = g->gt[0], x1 = g->gt[0] + (double)g->nc * g->gt[1];
        double y0 = g->gt[3], y1 = g->gt[3] + (double)g->nr * g->gt[5];
        return HS_FAIL(ctx, HS_ERR_CONFIG,
                       "%s: POUR_POINT_COORDS %g/%g lies outside the DEM %s (x %.6g..%.6g, "
                       "y %.6g..%.6g in the DEM's CRS)", b->origin, cfg->pour_lat, cfg->pour_lon,
                       cfg->dem_path, fmin(x0, x1), fmax(x0, x1), fmin(y0, y1), fmax(y0, y1));
    }
    long r0 = (long)fr, c0 = (long)fc;
    if (isnan(g->z[(size_t)r0 * g->nc + (size_t)c0]))
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: POUR_POINT_COORDS %g/%g falls on a nodata cell of "
                       "the DEM %s (row %ld, column %ld)", b->origin, cfg->pour_lat,
                       cfg->pour_lon, cfg->dem_path, r0, c0);
    /* highest accumulation within the tolerance; the nearest cell among equals */
    double tol = cfg->snap_tolerance_m > 0 ? cfg->snap_tolerance_m : 300.0;
    double dx = g->dx[r0], dy = g->dy[r0];
    long wr = (long)ceil(tol / dy), wc = (long)ceil(tol / dx);
    int32_t best = -1;
    double best_d = 0;
    for (long r = r0 - wr; r <= r0 + wr; r++)
        for (long c = c0 - wc; c <= c0 + wc; c++) {
            if (!valid_at(g, r, c)) continue;
            double dist = hypot((double)(r - r0) * dy, (double)(c - c0) * dx);
            if (dist > tol) continue;
            int32_t i = (int32_t)((size_t)r * g->nc + (size_t)c);
            if (best < 0 || g->acc[i] > g->acc[best] ||
                (g->acc[i] == g->acc[best] && dist < best_d)) {
                best = i;
                best_d = dist;
            }
        }
    b->outlet = best; /* the pour-point cell itself qualifies, so best >= 0 */
    hs_domain_stats *s = &b->d->stats;
    s->snap_distance_m = best_d;
    s->outlet_accum_cells = g->acc[best];
    double ox, oy;
    cell_centre(g, (size_t)best, &ox, &oy);
    if (OCTTransform(b->dem2wgs, 1, &ox, &oy, NULL)) {
        s->outlet_lon = ox;
        s->outlet_lat = oy;
    }
    return HS_OK;
}

/* The basin: every cell whose flow path reaches the outlet (walk upstream from it). */
static hs_status delineate(build *b) {
    grid *g = &b->g;
    hs_ctx *ctx = b->ctx;
    HS_TRY(HS_ALLOC_ARRAY(ctx, b->basin, g->n, "basin mask"));
    int32_t *stack = NULL;
    HS_TRY(HS_ALLOC_ARRAY(ctx, stack, g->n, "basin stack"));
    size_t ns = 0;
    stack[ns++] = b->outlet;
    b->basin[b->outlet] = 1;
    while (ns > 0) {
        int32_t i = stack[--ns];
        long r = i / (long)g->nc, c = i % (long)g->nc;
        for (int k = 0; k < 8; k++) {
            long rr = r + DR[k], cc = c + DC[k];
            if (!valid_at(g, rr, cc)) continue;
            size_t ni = (size_t)rr * g->nc + (size_t)cc;
            if (!b->basin[ni] && g->dir[ni] == (k + 4) % 8) {
                b->basin[ni] = 1;
                stack[ns++] = (int32_t)ni;
            }
        }
    }
    hs_free(stack);
    size_t nb = 0;
    for (size_t k = 0; k < g->n_order; k++) nb += b->basin[g->order[k]];
    HS_TRY(HS_ALLOC_ARRAY(ctx, b->border, nb, "basin order"));
    b->nb = 0;
    hs_domain_stats *s = &b->d->stats;
    s->elev_min_m = INFINITY;
    s->elev_max_m = -INFINITY;
    for (size_t k = 0; k < g->n_order; k++) {
        int32_t i = g->order[k];
        if (!b->basin[i]) continue;
        b->border[b->nb++] = i;
        s->basin_area_m2 += g->area[(size_t)i / g->nc];
        s->elev_min_m = fmin(s->elev_min_m, g->z[i]);
        s->elev_max_m = fmax(s->elev_max_m, g->z[i]);
    }
    s->n_basin_cells = b->nb;
    return HS_OK;
}

/* ---------------------------------------------------------------------------------------------
 * 4. streams and segments */

/* Stream cells drain >= STREAM_THRESHOLD cells. A segment starts at a source (no upstream
 * stream cell) or a confluence (two or more) and runs down while the next cell has exactly one
 * upstream stream cell. Ids follow the upstream-first order, so they are deterministic. */
static hs_status build_streams(build *b) {
    grid *g = &b->g;
    hs_ctx *ctx = b->ctx;
    long thr = b->cfg->stream_threshold;
    if (g->acc[b->outlet] < thr)
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: STREAM_THRESHOLD %ld yields no stream: the outlet "
                       "drains only %d cells of %s", b->origin, thr, g->acc[b->outlet],
                       b->cfg->dem_path);
    HS_TRY(HS_ALLOC_ARRAY(ctx, b->seg, g->n, "stream segments"));
    uint8_t *nup = NULL;
    HS_TRY(HS_ALLOC_ARRAY(ctx, nup, g->n, "stream confluences"));
    size_t n_stream = 0;
    for (size_t k = 0; k < b->nb; k++) {
        int32_t i = b->border[k];
        b->seg[i] = -1;
        if (g->acc[i] < thr) continue;
        n_stream++;
        if (i != b->outlet) nup[down_of(g, i)]++;
    }
    b->d->stats.n_stream_cells = n_stream;
    hs_status st = HS_ALLOC_ARRAY(ctx, b->seg_head, n_stream, "segment heads");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, b->seg_last, n_stream, "segment ends");
    size_t ns = 0;
    for (size_t k = 0; st == HS_OK && k < b->nb; k++) {
        int32_t i = b->border[k];
        if (g->acc[i] < thr) continue;
        if (b->seg[i] < 0) { /* not continued from upstream: a source or a confluence */
            b->seg[i] = (int32_t)ns;
            b->seg_head[ns++] = i;
        }
        b->seg_last[b->seg[i]] = i;
        if (i == b->outlet) continue;
        int32_t d = down_of(g, i);
        if (nup[d] == 1) b->seg[d] = b->seg[i];
    }
    hs_free(nup);
    b->n_stream_seg = ns;
    return st;
}

/* ---------------------------------------------------------------------------------------------
 * 5. discretisation */

typedef struct seg_def { /* a segment of the output network, before it is copied out */
    int32_t down;        /* index of the downstream segment, -1 at the outlet */
    double length_m, slope;
    size_t line_first, line_n; /* vertices in the line buffer (x, y pairs) */
} seg_def;

typedef struct line_buf {
    double *xy;
    size_t n, cap; /* points */
} line_buf;

static hs_status line_add(hs_ctx *ctx, line_buf *lb, double x, double y) {
    if (lb->n == lb->cap) {
        size_t cap = lb->cap ? 2 * lb->cap : 1024;
        double *p = NULL;
        HS_TRY(HS_ALLOC_ARRAY(ctx, p, 2 * cap, "river lines"));
        if (lb->n) memcpy(p, lb->xy, 2 * lb->n * sizeof *p);
        hs_free(lb->xy);
        lb->xy = p;
        lb->cap = cap;
    }
    lb->xy[2 * lb->n] = x;
    lb->xy[2 * lb->n + 1] = y;
    lb->n++;
    return HS_OK;
}

static hs_status line_add_cell(build *b, line_buf *lb, int32_t i) {
    double x, y;
    cell_centre(&b->g, (size_t)i, &x, &y);
    return line_add(b->ctx, lb, x, y);
}

static double outlet_drop_slope(const build *b, int32_t i) {
    const grid *g = &b->g;
    int32_t d = down_of(g, i);
    if (d < 0) return HS_MIN_SLOPE;
    return fmax(HS_MIN_SLOPE, (g->zf[i] - g->zf[d]) / step_length(g, (size_t)i, g->dir[i]));
}

/* Stream segments as the network (semi-distributed); lines run from the head to the first cell
 * of the downstream segment so that they join. */
static hs_status network_from_streams(build *b, seg_def *sd, line_buf *lb) {
    grid *g = &b->g;
    for (size_t s = 0; s < b->n_stream_seg; s++) {
        int32_t i = b->seg_head[s], last = b->seg_last[s];
        double len = 0;
        sd[s].line_first = lb->n;
        for (;;) {
            HS_TRY(line_add_cell(b, lb, i));
            len += step_length(g, (size_t)i, g->dir[i]);
            if (i == last) break;
            i = down_of(g, i);
        }
        int32_t d = last == b->outlet ? -1 : down_of(g, last);
        if (d >= 0) HS_TRY(line_add_cell(b, lb, d));
        sd[s].line_n = lb->n - sd[s].line_first;
        sd[s].down = d >= 0 ? b->seg[d] : -1;
        sd[s].length_m = len;
        double z_end = d >= 0 ? g->zf[d] : g->zf[last];
        sd[s].slope = fmax(HS_MIN_SLOPE, (g->zf[b->seg_head[s]] - z_end) / len);
        if (d < 0 && sd[s].slope <= HS_MIN_SLOPE) sd[s].slope = outlet_drop_slope(b, last);
    }
    return HS_OK;
}

/* One segment: the main stem, up from the outlet along the largest upstream stream cell. */
static hs_status network_main_stem(build *b, seg_def *sd, line_buf *lb) {
    grid *g = &b->g;
    hs_ctx *ctx = b->ctx;
    int32_t *path = NULL;
    HS_TRY(HS_ALLOC_ARRAY(ctx, path, b->d->stats.n_stream_cells, "main stem"));
    size_t np = 0;
    int32_t i = b->outlet;
    while (i >= 0) {
        path[np++] = i;
        long r = i / (long)g->nc, c = i % (long)g->nc;
        int32_t next = -1;
        for (int k = 0; k < 8; k++) {
            long rr = r + DR[k], cc = c + DC[k];
            if (!valid_at(g, rr, cc)) continue;
            int32_t ni = (int32_t)((size_t)rr * g->nc + (size_t)cc);
            if (!b->basin[ni] || g->dir[ni] != (k + 4) % 8 || b->seg[ni] < 0) continue;
            if (next < 0 || g->acc[ni] > g->acc[next]) next = ni;
        }
        i = next;
    }
    double len = 0;
    sd[0].line_first = lb->n;
    hs_status st = HS_OK;
    for (size_t k = np; st == HS_OK && k-- > 0;) {
        st = line_add_cell(b, lb, path[k]);
        len += step_length(g, (size_t)path[k], g->dir[path[k]]);
    }
    sd[0].line_n = lb->n - sd[0].line_first;
    sd[0].down = -1;
    sd[0].length_m = len;
    sd[0].slope = fmax(HS_MIN_SLOPE, (g->zf[path[np - 1]] - g->zf[b->outlet]) / len);
    hs_free(path);
    return st;
}

/* Elevation band of each basin cell (0-based) and the number of bands. */
static hs_status elevation_bands(build *b, int32_t *band, size_t *n_bands) {
    const grid *g = &b->g;
    const hs_domain_stats *s = &b->d->stats;
    long count = b->cfg->band_count;
    double zmin = s->elev_min_m, zmax = s->elev_max_m;
    if (count > 0) {
        double w = (zmax - zmin) / (double)count;
        for (size_t k = 0; k < b->nb; k++) {
            long j = w > 0 ? (long)floor((g->z[b->border[k]] - zmin) / w) : 0;
            band[k] = (int32_t)(j < 0 ? 0 : j >= count ? count - 1 : j);
        }
        *n_bands = (size_t)count;
        return HS_OK;
    }
    double size = b->cfg->band_size_m;
    double base = floor(zmin / size);
    for (size_t k = 0; k < b->nb; k++)
        band[k] = (int32_t)(floor(g->z[b->border[k]] / size) - base);
    *n_bands = (size_t)(floor(zmax / size) - base) + 1;
    return HS_OK;
}

/* HRUs = elevation bands inside each GRU; a band smaller than MIN_HRU_AREA_FRACTION of its GRU
 * is merged into its larger adjacent band (repeatedly, smallest first), so an HRU is always a
 * contiguous elevation range of one GRU. Sets b->hru and returns the HRU -> GRU table. */
static hs_status bands_in_grus(build *b, size_t n_gru, size_t *n_hru_out, int32_t **hru_gru) {
    hs_ctx *ctx = b->ctx;
    const grid *g = &b->g;
    int32_t *band = NULL;
    double *a = NULL;
    int32_t *map = NULL;
    size_t nbands = 0;
    hs_status st = HS_ALLOC_ARRAY(ctx, band, b->nb, "elevation bands");
    if (st == HS_OK) st = elevation_bands(b, band, &nbands);
    b->d->stats.n_bands = nbands;
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, a, n_gru * nbands, "band areas");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, map, n_gru * nbands, "band merges");
    if (st != HS_OK) goto done;
    for (size_t k = 0; k < b->nb; k++) {
        int32_t i = b->border[k];
        a[(size_t)b->gru[i] * nbands + (size_t)band[k]] += g->area[(size_t)i / g->nc];
    }
    double frac = b->cfg->min_hru_area_fraction;
    size_t n_hru = 0;
    for (size_t u = 0; u < n_gru; u++) {
        double *au = a + u * nbands;
        int32_t *mu = map + u * nbands;
        double total = 0;
        for (size_t j = 0; j < nbands; j++) {
            total += au[j];
            mu[j] = (int32_t)j; /* each band is its own target until merged */
        }
        for (;;) {
            size_t smallest = nbands, n_present = 0;
            for (size_t j = 0; j < nbands; j++)
                if (au[j] > 0) {
                    n_present++;
                    if (smallest == nbands || au[j] < au[smallest]) smallest = j;
                }
            if (n_present <= 1 || au[smallest] >= frac * total) break;
            size_t lo = smallest, hi = smallest;
            while (lo > 0 && !(au[--lo] > 0)) {}
            while (hi + 1 < nbands && !(au[++hi] > 0)) {}
            int has_lo = lo != smallest && au[lo] > 0, has_hi = hi != smallest && au[hi] > 0;
            size_t into = has_lo && (!has_hi || au[lo] >= au[hi]) ? lo : hi;
            au[into] += au[smallest];
            au[smallest] = 0;
            for (size_t j = 0; j < nbands; j++)
                if (mu[j] == (int32_t)smallest) mu[j] = (int32_t)into;
        }
        /* number the surviving bands of this GRU, low to high */
        for (size_t j = 0; j < nbands; j++)
            if (au[j] > 0) au[j] = -(double)(n_hru++) - 1; /* store the HRU index, encoded */
        for (size_t j = 0; j < nbands; j++) {
            double code = au[mu[j]];
            mu[j] = code < 0 ? (int32_t)(-code - 1) : -1;
        }
    }
    st = HS_ALLOC_ARRAY(ctx, *hru_gru, n_hru, "HRU to GRU");
    if (st != HS_OK) goto done;
    for (size_t k = 0; k < b->nb; k++) {
        int32_t i = b->border[k];
        int32_t h = map[(size_t)b->gru[i] * nbands + (size_t)band[k]];
        b->hru[i] = h;
        (*hru_gru)[h] = b->gru[i];
    }
    *n_hru_out = n_hru;
done:
    hs_free(band);
    hs_free(a);
    hs_free(map);
    return st;
}

/* Distributed: grid cells of GRID_CELL_SIZE m aligned on multiples of the size in the LAEA
 * plane. A coarse cell drains where the flow path from its highest-accumulation fine cell first
 * leaves it: the adjacent coarse cell entered (D8 on the coarse grid, taken from the fine
 * network). Accumulation strictly grows along that chain, so the coarse network has no cycle. */
static hs_status distributed_cells(build *b, const double *bx, const double *by, size_t *n_out,
                                   seg_def **sd_out, line_buf *lb) {
    grid *g = &b->g;
    hs_ctx *ctx = b->ctx;
    double G = b->cfg->grid_cell_m;
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    for (size_t k = 0; k < b->nb; k++) {
        xmin = fmin(xmin, bx[k]);
        xmax = fmax(xmax, bx[k]);
        ymin = fmin(ymin, by[k]);
        ymax = fmax(ymax, by[k]);
    }
    double x0 = floor(xmin / G) * G, y1 = ceil(ymax / G) * G;
    if (y1 == ymax) y1 += G;
    size_t ncx = (size_t)floor((xmax - x0) / G) + 1, ncy = (size_t)floor((y1 - ymin) / G) + 1;
    if (ncx * ncy > (size_t)INT32_MAX / 2)
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: GRID_CELL_SIZE %g m gives too many cells",
                       b->origin, G);
    int32_t *cid = NULL, *coarse = NULL, *out_cell = NULL;
    seg_def *sd = NULL;
    double *cxy = NULL, *carea = NULL;
    hs_status st = HS_ALLOC_ARRAY(ctx, cid, ncx * ncy, "coarse grid");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, coarse, b->nb, "coarse cell of each cell");
    if (st != HS_OK) goto done;
    for (size_t k = 0; k < b->nb; k++) {
        size_t ix = (size_t)floor((bx[k] - x0) / G), iy = (size_t)floor((y1 - by[k]) / G);
        if (ix >= ncx) ix = ncx - 1;
        if (iy >= ncy) iy = ncy - 1;
        coarse[k] = (int32_t)(iy * ncx + ix);
        cid[coarse[k]] = 1;
    }
    size_t n = 0;
    for (size_t q = 0; q < ncx * ncy; q++) cid[q] = cid[q] ? (int32_t)n++ : -1;
    st = HS_ALLOC_ARRAY(ctx, out_cell, n, "coarse outlets");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, sd, n, "coarse segments");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, cxy, 2 * n, "coarse centroids");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, carea, n, "coarse areas");
    if (st != HS_OK) goto done;
    for (size_t u = 0; u < n; u++) out_cell[u] = -1;
    for (size_t k = 0; k < b->nb; k++) {
        int32_t i = b->border[k], u = cid[coarse[k]];
        b->gru[i] = b->hru[i] = u;
        if (out_cell[u] < 0 || g->acc[i] > g->acc[out_cell[u]]) out_cell[u] = i;
        double x, y, a = g->area[(size_t)i / g->nc];
        cell_centre(g, (size_t)i, &x, &y);
        cxy[2 * u] += a * x;
        cxy[2 * u + 1] += a * y;
        carea[u] += a;
    }
    for (size_t u = 0; u < n; u++) {
        cxy[2 * u] /= carea[u];
        cxy[2 * u + 1] /= carea[u];
    }
    for (size_t u = 0; u < n; u++) {
        int32_t i = out_cell[u];
        while (i != b->outlet && b->gru[i] == (int32_t)u) i = down_of(g, i);
        int32_t v = i == b->outlet && b->gru[i] == (int32_t)u ? -1 : b->gru[i];
        sd[u].down = v;
        sd[u].line_first = lb->n;
        if ((st = line_add(ctx, lb, cxy[2 * u], cxy[2 * u + 1])) != HS_OK) goto done;
        if (v >= 0) {
            st = line_add(ctx, lb, cxy[2 * v], cxy[2 * v + 1]);
            double zu = g->zf[out_cell[u]], zv = g->zf[out_cell[v]];
            sd[u].length_m = G;    /* centre-to-centre distance, set below */
            sd[u].slope = zu - zv; /* the drop for now, divided by the length below */
        } else {
            st = line_add_cell(b, lb, b->outlet);
            sd[u].length_m = G;
            sd[u].slope = outlet_drop_slope(b, b->outlet) * G;
        }
        if (st != HS_OK) goto done;
        sd[u].line_n = lb->n - sd[u].line_first;
    }
    /* lengths between coarse-cell centres: G for a side neighbour, G*sqrt(2) for a diagonal */
    {
        int32_t *pos = NULL; /* coarse grid index of each coarse cell */
        st = HS_ALLOC_ARRAY(ctx, pos, n, "coarse positions");
        if (st != HS_OK) goto done;
        for (size_t q = 0; q < ncx * ncy; q++)
            if (cid[q] >= 0) pos[cid[q]] = (int32_t)q;
        for (size_t u = 0; u < n; u++) {
            if (sd[u].down >= 0) {
                long qa = pos[u], qb = pos[sd[u].down];
                long ddx = qa % (long)ncx - qb % (long)ncx, ddy = qa / (long)ncx - qb / (long)ncx;
                sd[u].length_m = G * hypot((double)ddx, (double)ddy);
            }
            sd[u].slope = fmax(HS_MIN_SLOPE, sd[u].slope / sd[u].length_m);
        }
        hs_free(pos);
    }
    *n_out = n;
    *sd_out = sd;
    sd = NULL;
done:
    hs_free(cid);
    hs_free(coarse);
    hs_free(out_cell);
    hs_free(sd);
    hs_free(cxy);
    hs_free(carea);
    return st;
}

/* Horn (1981) terrain slope (m/m) on the original DEM; missing neighbours take the centre's
 * elevation. */
static double horn_slope(const grid *g, size_t i) {
    long r = (long)(i / g->nc), c = (long)(i % g->nc);
    double z[9];
    for (int dr = -1; dr <= 1; dr++)
        for (int dc = -1; dc <= 1; dc++) {
            long rr = r + dr, cc = c + dc;
            z[(dr + 1) * 3 + dc + 1] = valid_at(g, rr, cc) ? g->z[(size_t)rr * g->nc + (size_t)cc]
                                                           : g->z[i];
        }
    double dx = g->dx[r], dy = g->dy[r];
    double gx = ((z[2] + 2 * z[5] + z[8]) - (z[0] + 2 * z[3] + z[6])) / (8 * dx);
    double gy = ((z[6] + 2 * z[7] + z[8]) - (z[0] + 2 * z[1] + z[2])) / (8 * dy);
    return hypot(gx, gy);
}

/* Copies the network and the HRU attributes into the domain. */
static hs_status finish_tables(build *b, size_t n_gru, size_t n_hru, const int32_t *hru_gru,
                               size_t n_seg, const seg_def *sd, line_buf *lb, const double *bx,
                               const double *by) {
    hs_ctx *ctx = b->ctx;
    hs_domain *d = b->d;
    grid *g = &b->g;
    HS_TRY(HS_ALLOC_ARRAY(ctx, d->hru_id, n_hru, "hruId"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, d->hru2gru, n_hru, "hru2gru"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, d->hru_seg_id, n_hru, "hruSegId"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, d->hru_area_m2, n_hru, "area"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, d->hru_elev_m, n_hru, "elev_mean"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, d->hru_lat, n_hru, "lat"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, d->hru_lon, n_hru, "lon"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, d->hru_slope, n_hru, "slope"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, d->gru_id, n_gru, "gruId"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, d->gru_area_m2, n_gru, "GRU areas"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, d->seg_id, n_seg, "segId"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, d->down_seg_id, n_seg, "downSegId"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, d->seg_length_m, n_seg, "length"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, d->seg_slope, n_seg, "segment slope"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, d->rivers, n_seg, "river lines"));
    for (size_t h = 0; h < n_hru; h++) {
        d->hru_id[h] = (int)h + 1;
        d->hru2gru[h] = hru_gru[h] + 1;
        /* lumped and banded domains have one segment; otherwise segment u belongs to GRU u */
        d->hru_seg_id[h] = n_seg == 1 ? 1 : hru_gru[h] + 1;
    }
    for (size_t u = 0; u < n_gru; u++) d->gru_id[u] = (int)u + 1;
    for (size_t s = 0; s < n_seg; s++) {
        d->seg_id[s] = (int)s + 1;
        d->down_seg_id[s] = sd[s].down >= 0 ? sd[s].down + 1 : 0;
        d->seg_length_m[s] = sd[s].length_m;
        d->seg_slope[s] = sd[s].slope;
    }
    double *sx = NULL, *sy = NULL;
    HS_TRY(HS_ALLOC_ARRAY(ctx, sx, n_hru, "HRU centroids"));
    hs_status st = HS_ALLOC_ARRAY(ctx, sy, n_hru, "HRU centroids");
    for (size_t k = 0; st == HS_OK && k < b->nb; k++) {
        int32_t i = b->border[k];
        int32_t h = b->hru[i];
        double a = g->area[(size_t)i / g->nc];
        d->hru_area_m2[h] += a;
        d->hru_elev_m[h] += a * g->z[i];
        d->hru_slope[h] += a * horn_slope(g, (size_t)i);
        sx[h] += a * bx[k];
        sy[h] += a * by[k];
        d->gru_area_m2[b->gru[i]] += a;
    }
    for (size_t h = 0; st == HS_OK && h < n_hru; h++) {
        double a = d->hru_area_m2[h];
        d->hru_elev_m[h] /= a;
        d->hru_slope[h] /= a;
        sx[h] /= a;
        sy[h] /= a;
    }
    if (st == HS_OK && !OCTTransform(b->laea2wgs, (int)n_hru, sx, sy, NULL))
        st = HS_FAIL(ctx, HS_ERR_EXTERNAL, "HRU centroids cannot be converted to lat/lon: %s",
                     gdal_msg());
    for (size_t h = 0; st == HS_OK && h < n_hru; h++) {
        d->hru_lon[h] = sx[h];
        d->hru_lat[h] = sy[h];
    }
    hs_free(sx);
    hs_free(sy);
    if (st != HS_OK) return st;
    d->river_xy = lb->xy;
    lb->xy = NULL;
    for (size_t s = 0; s < n_seg; s++) {
        d->rivers[s].xy = d->river_xy + 2 * sd[s].line_first;
        d->rivers[s].n_points = sd[s].line_n;
    }
    hs_domain_tables *t = &d->tab;
    t->n_hru = n_hru;
    t->n_gru = n_gru;
    t->n_seg = n_seg;
    t->hru_id = d->hru_id;
    t->hru2gru = d->hru2gru;
    t->hru_seg_id = d->hru_seg_id;
    t->hru_area_m2 = d->hru_area_m2;
    t->hru_elev_m = d->hru_elev_m;
    t->hru_lat = d->hru_lat;
    t->hru_lon = d->hru_lon;
    t->hru_slope = d->hru_slope;
    t->gru_id = d->gru_id;
    t->gru_area_m2 = d->gru_area_m2;
    t->seg_id = d->seg_id;
    t->down_seg_id = d->down_seg_id;
    t->seg_length_m = d->seg_length_m;
    t->seg_slope = d->seg_slope;

    /* HRU and GRU ids on the basin's bounding window, for polygons and the map */
    size_t r0 = g->nr, r1 = 0, c0 = g->nc, c1 = 0;
    for (size_t k = 0; k < b->nb; k++) {
        size_t i = (size_t)b->border[k], r = i / g->nc, c = i % g->nc;
        if (r < r0) r0 = r;
        if (r > r1) r1 = r;
        if (c < c0) c0 = c;
        if (c > c1) c1 = c;
    }
    hs_domain_map *m = &d->map;
    m->n_rows = r1 - r0 + 1;
    m->n_cols = c1 - c0 + 1;
    HS_TRY(HS_ALLOC_ARRAY(ctx, d->map_hru, m->n_rows * m->n_cols, "HRU map"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, d->map_gru, m->n_rows * m->n_cols, "GRU map"));
    for (size_t k = 0; k < b->nb; k++) {
        size_t i = (size_t)b->border[k], r = i / g->nc - r0, c = i % g->nc - c0;
        d->map_hru[r * m->n_cols + c] = b->hru[i] + 1;
        d->map_gru[r * m->n_cols + c] = b->gru[i] + 1;
    }
    memcpy(m->geotransform, g->gt, sizeof m->geotransform);
    m->geotransform[0] = g->gt[0] + (double)c0 * g->gt[1];
    m->geotransform[3] = g->gt[3] + (double)r0 * g->gt[5];
    m->hru = d->map_hru;
    m->gru = d->map_gru;
    m->rivers = d->rivers;
    m->n_rivers = n_seg;
    m->crs_wkt = d->crs_wkt;
    return HS_OK;
}

static hs_status discretize(build *b) {
    hs_ctx *ctx = b->ctx;
    grid *g = &b->g;
    hs_status st = HS_ALLOC_ARRAY(ctx, b->gru, g->n, "GRU labels");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, b->hru, g->n, "HRU labels");
    if (st != HS_OK) return st;
    /* equal-area coordinates of the basin cells (centroids, distributed grid) */
    double *bx = NULL, *by = NULL;
    int32_t *hru_gru = NULL;
    seg_def *sd = NULL;
    line_buf lb = {NULL, 0, 0};
    size_t n_gru = 0, n_hru = 0, n_seg = 0;
    st = HS_ALLOC_ARRAY(ctx, bx, b->nb, "basin coordinates");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, by, b->nb, "basin coordinates");
    if (st != HS_OK) goto done;
    for (size_t k = 0; k < b->nb; k++) cell_centre(g, (size_t)b->border[k], &bx[k], &by[k]);
    if (!OCTTransform(b->dem2laea, (int)b->nb, bx, by, NULL)) {
        st = HS_FAIL(ctx, HS_ERR_EXTERNAL, "%s: basin cells cannot be projected: %s",
                     b->cfg->dem_path, gdal_msg());
        goto done;
    }
    switch (b->cfg->method) {
    case HS_DOMAIN_LUMPED:
    case HS_DOMAIN_ELEVATION_BANDS:
        n_gru = 1;
        n_seg = 1;
        for (size_t k = 0; k < b->nb; k++) b->gru[b->border[k]] = 0;
        if (b->cfg->method == HS_DOMAIN_LUMPED) {
            n_hru = 1;
            st = HS_ALLOC_ARRAY(ctx, hru_gru, 1, "HRU to GRU");
            for (size_t k = 0; k < b->nb; k++) b->hru[b->border[k]] = 0;
        } else {
            st = bands_in_grus(b, 1, &n_hru, &hru_gru);
        }
        if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, sd, 1, "segments");
        if (st == HS_OK) st = network_main_stem(b, sd, &lb);
        break;
    case HS_DOMAIN_SEMI_DISTRIBUTED:
        n_gru = n_seg = b->n_stream_seg;
        /* downstream first: a cell joins the GRU of the first stream cell on its flow path */
        for (size_t k = b->nb; k-- > 0;) {
            int32_t i = b->border[k];
            b->gru[i] = b->seg[i] >= 0 ? b->seg[i] : b->gru[down_of(g, i)];
        }
        st = bands_in_grus(b, n_gru, &n_hru, &hru_gru);
        if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, sd, n_seg, "segments");
        if (st == HS_OK) st = network_from_streams(b, sd, &lb);
        break;
    case HS_DOMAIN_DISTRIBUTED:
        st = distributed_cells(b, bx, by, &n_seg, &sd, &lb);
        n_gru = n_hru = n_seg;
        if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, hru_gru, n_hru, "HRU to GRU");
        for (size_t h = 0; st == HS_OK && h < n_hru; h++) hru_gru[h] = (int32_t)h;
        break;
    }
    if (st == HS_OK) st = finish_tables(b, n_gru, n_hru, hru_gru, n_seg, sd, &lb, bx, by);
done:
    hs_free(bx);
    hs_free(by);
    hs_free(hru_gru);
    hs_free(sd);
    hs_free(lb.xy);
    return st;
}

/* ---------------------------------------------------------------------------------------------
 * lifecycle */

void hs_domain_config_default(hs_domain_config *c) {
    memset(c, 0, sizeof *c);
    c->method = HS_DOMAIN_LUMPED;
    c->band_size_m = 200;
    c->min_hru_area_fraction = 0.01;
    c->stream_threshold = 5000;
    c->grid_cell_m = 1000;
    c->snap_tolerance_m = 300;
}

static hs_status check_config(const hs_domain_config *c, const char *origin, hs_ctx *ctx) {
    if (!c->dem_path || !*c->dem_path)
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: DEM_PATH is required for `domain`", origin);
    if (!(c->pour_lat >= -90 && c->pour_lat <= 90 && c->pour_lon >= -180 && c->pour_lon <= 360))
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: POUR_POINT_COORDS %g/%g is not a valid lat/lon",
                       origin, c->pour_lat, c->pour_lon);
    if ((int)c->method < 0 || (int)c->method > 3)
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: DOMAIN_DISCRETIZATION: unknown method %d", origin,
                       (int)c->method);
    if (!(c->band_size_m > 0) && c->band_count <= 0)
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: ELEVATION_BAND_SIZE must be > 0", origin);
    if (!(c->min_hru_area_fraction >= 0 && c->min_hru_area_fraction < 1))
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: MIN_HRU_AREA_FRACTION %g must be in [0, 1)", origin,
                       c->min_hru_area_fraction);
    if (c->stream_threshold < 1 || c->stream_threshold > INT32_MAX)
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: STREAM_THRESHOLD %ld must be >= 1", origin,
                       c->stream_threshold);
    if (c->method == HS_DOMAIN_DISTRIBUTED && !(c->grid_cell_m > 0))
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: GRID_CELL_SIZE must be > 0", origin);
    return HS_OK;
}

static void build_free(build *b) {
    grid *g = &b->g;
    hs_free(g->z);
    hs_free(g->zf);
    hs_free(g->dir);
    hs_free(g->acc);
    hs_free(g->order);
    hs_free(g->area);
    hs_free(g->dx);
    hs_free(g->dy);
    hs_free(b->basin);
    hs_free(b->border);
    hs_free(b->seg);
    hs_free(b->seg_head);
    hs_free(b->seg_last);
    hs_free(b->gru);
    hs_free(b->hru);
    if (b->dem2laea) OCTDestroyCoordinateTransformation(b->dem2laea);
    if (b->laea2wgs) OCTDestroyCoordinateTransformation(b->laea2wgs);
    if (b->wgs2dem) OCTDestroyCoordinateTransformation(b->wgs2dem);
    if (b->dem2wgs) OCTDestroyCoordinateTransformation(b->dem2wgs);
    if (b->srs_dem) OSRDestroySpatialReference(b->srs_dem);
    if (b->srs_laea) OSRDestroySpatialReference(b->srs_laea);
    if (b->srs_wgs) OSRDestroySpatialReference(b->srs_wgs);
}

hs_status hs_domain_create(const hs_domain_config *cfg, hs_ctx *ctx, hs_domain **out) {
    if (!cfg || !out) return HS_FAIL(ctx, HS_ERR_ARG, "hs_domain_create: NULL argument");
    *out = NULL;
    const char *origin = cfg->origin && *cfg->origin ? cfg->origin : "domain config";
    HS_TRY(check_config(cfg, origin, ctx));
    hs_domain *d = NULL;
    HS_TRY(HS_ALLOC_ARRAY(ctx, d, 1, "domain"));
    d->method = cfg->method;
    snprintf(d->dem_path, sizeof d->dem_path, "%s", cfg->dem_path);
    build b;
    memset(&b, 0, sizeof b);
    b.cfg = cfg;
    b.ctx = ctx;
    b.origin = origin;
    b.d = d;
    b.outlet = -1;
    GDALAllRegister();
    CPLPushErrorHandler(CPLQuietErrorHandler); /* GDAL must not print: messages go to ctx */
    CPLErrorReset();
    double t0 = hs_wall_time();
    hs_status st = read_dem(&b);
    if (st == HS_OK) st = setup_crs(&b);
    double t1 = hs_wall_time();
    if (st == HS_OK) st = fill_depressions(&b);
    if (st == HS_OK) st = flow_directions(&b);
    if (st == HS_OK) st = accumulate(&b);
    double t2 = hs_wall_time();
    if (st == HS_OK) st = snap_pour_point(&b);
    if (st == HS_OK) st = delineate(&b);
    if (st == HS_OK) st = build_streams(&b);
    double t3 = hs_wall_time();
    if (st == HS_OK) st = discretize(&b);
    double t4 = hs_wall_time();
    CPLPopErrorHandler();
    build_free(&b);
    d->stats.t_read_s = t1 - t0;
    d->stats.t_condition_s = t2 - t1;
    d->stats.t_delineate_s = t3 - t2;
    d->stats.t_discretize_s = t4 - t3;
    if (st != HS_OK) {
        hs_domain_destroy(&d);
        return st;
    }
    *out = d;
    return HS_OK;
}

void hs_domain_destroy(hs_domain **dp) {
    if (!dp || !*dp) return;
    hs_domain *d = *dp;
    hs_free(d->crs_wkt);
    hs_free(d->laea_proj4);
    hs_free(d->hru_id);
    hs_free(d->hru2gru);
    hs_free(d->hru_seg_id);
    hs_free(d->gru_id);
    hs_free(d->seg_id);
    hs_free(d->down_seg_id);
    hs_free(d->hru_area_m2);
    hs_free(d->hru_elev_m);
    hs_free(d->hru_lat);
    hs_free(d->hru_lon);
    hs_free(d->hru_slope);
    hs_free(d->gru_area_m2);
    hs_free(d->seg_length_m);
    hs_free(d->seg_slope);
    hs_free(d->map_hru);
    hs_free(d->map_gru);
    hs_free(d->rivers);
    hs_free(d->river_xy);
    hs_free(d);
    *dp = NULL;
}

const hs_domain_tables *hs_domain_get_tables(const hs_domain *d) { return &d->tab; }
const hs_domain_stats *hs_domain_get_stats(const hs_domain *d) { return &d->stats; }
const hs_domain_map *hs_domain_get_map(const hs_domain *d) { return &d->map; }
