/* test_domain.c -- hs_domain on synthetic DEMs with known answers (tilted plane, pit, flat,
 * two outlets / V-valleys, elevation bands), the structural invariants (areas add up, every HRU
 * in one GRU, every segment reaches the outlet without a cycle) and the error paths.
 *
 * DEMs are written with GDAL's GTiff driver into the scratch directory argv[1], in a Lambert
 * azimuthal equal-area CRS with 100 m cells, so every cell is exactly 1e4 m2. The same
 * directory receives the fixture DEMs of the CLI error tests (tests/drivers): nocrs.tif,
 * allnodata.tif and halfnodata.tif (EPSG:4326, nodata west of -115.08). With argv[2] ==
 * "bow", the real Bow DEM is processed instead (the regression test). */
#define _POSIX_C_SOURCE 200809L
#include <cpl_conv.h>
#include <gdal.h>
#include <math.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hs_domain.h"
#include "hs_test.h"

#define CELL 100.0
#define LAEA "+proj=laea +lat_0=50 +lon_0=10 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs"

static char scratch[4096];

/* Writes z (nr x nc, row 0 north) with 100 m cells; origin x = 0, top y = nr * CELL. */
static void write_dem(const char *name, int nr, int nc, const double *z, int with_crs,
                      char *path, size_t cap) {
    snprintf(path, cap, "%s/%s", scratch, name);
    GDALDriverH drv = GDALGetDriverByName("GTiff");
    GDALDatasetH ds = GDALCreate(drv, path, nc, nr, 1, GDT_Float32, NULL);
    HS_CHECK(ds != NULL);
    if (!ds) return;
    double gt[6] = {0, CELL, 0, nr * CELL, 0, -CELL};
    GDALSetGeoTransform(ds, gt);
    if (with_crs) {
        OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
        OSRImportFromProj4(srs, LAEA);
        char *wkt = NULL;
        OSRExportToWkt(srs, &wkt);
        GDALSetProjection(ds, wkt);
        CPLFree(wkt);
        OSRDestroySpatialReference(srs);
    }
    GDALRasterBandH b = GDALGetRasterBand(ds, 1);
    GDALSetRasterNoDataValue(b, -9999);
    HS_CHECK(GDALRasterIO(b, GF_Write, 0, 0, nc, nr, (void *)(size_t)z, nc, nr, GDT_Float64, 0,
                          0) == CE_None);
    GDALClose(ds);
}

/* lat/lon of the centre of cell (r, c) of a DEM written by write_dem. */
static void cell_latlon(int nr, int r, int c, double *lat, double *lon) {
    OGRSpatialReferenceH a = OSRNewSpatialReference(NULL), w = OSRNewSpatialReference(NULL);
    OSRImportFromProj4(a, LAEA);
    OSRSetWellKnownGeogCS(w, "WGS84");
    OSRSetAxisMappingStrategy(a, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(w, OAMS_TRADITIONAL_GIS_ORDER);
    OGRCoordinateTransformationH t = OCTNewCoordinateTransformation(a, w);
    double x = (c + 0.5) * CELL, y = nr * CELL - (r + 0.5) * CELL;
    OCTTransform(t, 1, &x, &y, NULL);
    *lon = x;
    *lat = y;
    OCTDestroyCoordinateTransformation(t);
    OSRDestroySpatialReference(a);
    OSRDestroySpatialReference(w);
}

static hs_domain_config base_config(const char *path, int nr, int r, int c) {
    hs_domain_config cfg;
    hs_domain_config_default(&cfg);
    cfg.dem_path = path;
    cell_latlon(nr, r, c, &cfg.pour_lat, &cfg.pour_lon);
    cfg.snap_tolerance_m = 1; /* no snapping unless a test asks for it */
    cfg.stream_threshold = 1;
    cfg.origin = "test.yaml";
    return cfg;
}

/* Invariants every domain must satisfy. */
static void check_structure(const hs_domain *d) {
    const hs_domain_tables *t = hs_domain_get_tables(d);
    const hs_domain_stats *s = hs_domain_get_stats(d);
    double sum_hru = 0, sum_gru = 0;
    int *n_in_gru = calloc(t->n_gru + 1, sizeof *n_in_gru);
    for (size_t h = 0; h < t->n_hru; h++) {
        sum_hru += t->hru_area_m2[h];
        HS_CHECK(t->hru_id[h] == (int)h + 1);
        HS_CHECK(t->hru2gru[h] >= 1 && (size_t)t->hru2gru[h] <= t->n_gru);
        HS_CHECK(t->hru_seg_id[h] >= 1 && (size_t)t->hru_seg_id[h] <= t->n_seg);
        HS_CHECK(t->hru_area_m2[h] > 0);
        HS_CHECK(t->hru_lat[h] > -90 && t->hru_lat[h] < 90);
        if (t->hru2gru[h] >= 1 && (size_t)t->hru2gru[h] <= t->n_gru) n_in_gru[t->hru2gru[h]]++;
    }
    for (size_t u = 0; u < t->n_gru; u++) {
        sum_gru += t->gru_area_m2[u];
        HS_CHECK(n_in_gru[u + 1] >= 1); /* every GRU holds an HRU */
    }
    free(n_in_gru);
    HS_CHECK_REL(sum_hru, s->basin_area_m2, 1e-9);
    HS_CHECK_REL(sum_gru, s->basin_area_m2, 1e-9);
    size_t n_outlets = 0;
    for (size_t k = 0; k < t->n_seg; k++) {
        HS_CHECK(t->seg_id[k] == (int)k + 1);
        HS_CHECK(t->seg_length_m[k] > 0 && t->seg_slope[k] > 0);
        n_outlets += t->down_seg_id[k] == 0;
        /* follow downSegId: the outlet (0) within n_seg steps, i.e. no cycle */
        int s_id = t->seg_id[k];
        size_t steps = 0;
        while (s_id != 0 && steps <= t->n_seg) {
            HS_CHECK(s_id >= 1 && (size_t)s_id <= t->n_seg);
            if (s_id < 1 || (size_t)s_id > t->n_seg) break;
            s_id = t->down_seg_id[s_id - 1];
            steps++;
        }
        HS_CHECK(s_id == 0);
    }
    HS_CHECK_INT(n_outlets, 1);
}

/* z = 100 + c (1 m per 100 m cell, rising eastwards): every cell drains west along its row. */
static void test_tilted_plane(void) {
    enum { NR = 20, NC = 30 };
    double z[NR * NC];
    for (int r = 0; r < NR; r++)
        for (int c = 0; c < NC; c++) z[r * NC + c] = 100 + c;
    char path[4200];
    write_dem("plane.tif", NR, NC, z, 1, path, sizeof path);
    hs_domain_config cfg = base_config(path, NR, 10, 0);
    cfg.stream_threshold = 10;
    hs_ctx *ctx = hs_ctx_create();
    hs_domain *d = NULL;
    HS_CHECK(hs_domain_create(&cfg, ctx, &d) == HS_OK);
    if (!d) {
        fprintf(stderr, "%s\n", hs_ctx_message(ctx));
        hs_ctx_destroy(&ctx);
        return;
    }
    const hs_domain_stats *s = hs_domain_get_stats(d);
    const hs_domain_tables *t = hs_domain_get_tables(d);
    HS_CHECK_INT(s->n_valid, NR * NC);
    HS_CHECK_INT(s->n_basin_cells, NC); /* the row only */
    HS_CHECK_INT(s->outlet_accum_cells, NC);
    HS_CHECK_REL(s->basin_area_m2, NC * CELL * CELL, 1e-6);
    HS_CHECK_INT(t->n_hru, 1);
    HS_CHECK_INT(t->n_gru, 1);
    HS_CHECK_INT(t->n_seg, 1);
    HS_CHECK_CLOSE(t->hru_elev_m[0], 114.5, 1e-9);
    /* Horn slope 0.01 inside, 0.005 on the two edge columns (missing neighbour = centre) */
    HS_CHECK_CLOSE(t->hru_slope[0], (28 * 0.01 + 2 * 0.005) / 30, 1e-7);
    /* main stem: columns 20..0 (acc 10..30); 20 steps + the outlet's own cell */
    HS_CHECK_INT(s->n_stream_cells, 21);
    HS_CHECK_REL(t->seg_length_m[0], 2100, 1e-6);
    HS_CHECK_REL(t->seg_slope[0], 20.0 / 2100, 1e-6);
    HS_CHECK_INT(t->down_seg_id[0], 0);
    double lat, lon; /* the centroid is the row's middle */
    cell_latlon(NR, 10, 14, &lat, &lon);
    double lat2, lon2;
    cell_latlon(NR, 10, 15, &lat2, &lon2);
    HS_CHECK_CLOSE(t->hru_lat[0], 0.5 * (lat + lat2), 1e-6);
    HS_CHECK_CLOSE(t->hru_lon[0], 0.5 * (lon + lon2), 1e-6);
    check_structure(d);
    hs_domain_destroy(&d);

    /* snapping: a pour point one cell off the edge moves to the highest accumulation */
    cfg = base_config(path, NR, 10, 1);
    cfg.snap_tolerance_m = 150;
    HS_CHECK(hs_domain_create(&cfg, ctx, &d) == HS_OK);
    if (d) {
        HS_CHECK_INT(hs_domain_get_stats(d)->outlet_accum_cells, NC);
        HS_CHECK_CLOSE(hs_domain_get_stats(d)->snap_distance_m, 100, 1e-3);
    }
    hs_domain_destroy(&d);

    /* elevation bands: 3 equal-width bands of 10 cells; a 5-cell band merged below 20 % */
    cfg = base_config(path, NR, 10, 0);
    cfg.method = HS_DOMAIN_ELEVATION_BANDS;
    cfg.band_count = 3;
    cfg.min_hru_area_fraction = 0;
    HS_CHECK(hs_domain_create(&cfg, ctx, &d) == HS_OK);
    if (d) {
        t = hs_domain_get_tables(d);
        HS_CHECK_INT(t->n_hru, 3);
        for (size_t h = 0; h < t->n_hru && h < 3; h++) {
            HS_CHECK_REL(t->hru_area_m2[h], 10 * CELL * CELL, 1e-6);
            HS_CHECK_CLOSE(t->hru_elev_m[h], 104.5 + 10.0 * (double)h, 1e-9);
        }
        check_structure(d);
    }
    hs_domain_destroy(&d);
    cfg.band_count = 0;
    cfg.band_size_m = 25; /* bands 100..124 (25 cells) and 125..129 (5 cells) */
    cfg.min_hru_area_fraction = 0.1;
    HS_CHECK(hs_domain_create(&cfg, ctx, &d) == HS_OK);
    if (d) HS_CHECK_INT(hs_domain_get_tables(d)->n_hru, 2);
    hs_domain_destroy(&d);
    cfg.min_hru_area_fraction = 0.2;
    HS_CHECK(hs_domain_create(&cfg, ctx, &d) == HS_OK);
    if (d) {
        HS_CHECK_INT(hs_domain_get_tables(d)->n_hru, 1);
        HS_CHECK_REL(hs_domain_get_tables(d)->hru_area_m2[0], 30 * CELL * CELL, 1e-6);
    }
    hs_domain_destroy(&d);
    hs_ctx_destroy(&ctx);
}

/* The plane with a 115 m deep pit at (10, 15): filled to its lowest rim (114 m + epsilon), it
 * drains west along row 10, and the cells east of it on rows 9 and 11 (columns 16..29) now
 * drain into it diagonally: 30 + 2 x 14 = 58 cells reach the west edge of row 10. */
static void test_pit(void) {
    enum { NR = 20, NC = 30 };
    double z[NR * NC];
    for (int r = 0; r < NR; r++)
        for (int c = 0; c < NC; c++) z[r * NC + c] = 100 + c;
    z[10 * NC + 15] = 0;
    char path[4200];
    write_dem("pit.tif", NR, NC, z, 1, path, sizeof path);
    hs_domain_config cfg = base_config(path, NR, 10, 0);
    hs_ctx *ctx = hs_ctx_create();
    hs_domain *d = NULL;
    HS_CHECK(hs_domain_create(&cfg, ctx, &d) == HS_OK);
    if (d) {
        HS_CHECK_INT(hs_domain_get_stats(d)->n_basin_cells, 58);
        /* original elevations, pit included: row 10 sums 3435 - 115, rows 9/11 1715 each */
        HS_CHECK_CLOSE(hs_domain_get_tables(d)->hru_elev_m[0], (3320.0 + 2 * 1715) / 58, 1e-9);
        check_structure(d);
    }
    hs_domain_destroy(&d);
    hs_ctx_destroy(&ctx);
}

/* A 15 x 15 flat at 100 m walled at 200 m, with one gap (99 m) on the south edge: every cell
 * must drain through the flat to the gap. */
static void test_flat(void) {
    enum { N = 15 };
    double z[N * N];
    for (int r = 0; r < N; r++)
        for (int c = 0; c < N; c++)
            z[r * N + c] = (r == 0 || c == 0 || r == N - 1 || c == N - 1) ? 200 : 100;
    z[(N - 1) * N + 7] = 99;
    char path[4200];
    write_dem("flat.tif", N, N, z, 1, path, sizeof path);
    hs_domain_config cfg = base_config(path, N, N - 1, 7);
    cfg.method = HS_DOMAIN_SEMI_DISTRIBUTED;
    cfg.stream_threshold = 20;
    hs_ctx *ctx = hs_ctx_create();
    hs_domain *d = NULL;
    HS_CHECK(hs_domain_create(&cfg, ctx, &d) == HS_OK);
    if (d) {
        HS_CHECK_INT(hs_domain_get_stats(d)->n_basin_cells, N * N);
        HS_CHECK_REL(hs_domain_get_stats(d)->basin_area_m2, N * N * CELL * CELL, 1e-6);
        check_structure(d);
    } else {
        fprintf(stderr, "%s\n", hs_ctx_message(ctx));
    }
    hs_domain_destroy(&d);
    hs_ctx_destroy(&ctx);
}

/* Two V-valleys (columns 5 and 15, 5 m per cell across, 1 m per cell along, draining south)
 * divided at column 10, which drains east: two outlets with 10 and 11 columns. */
static void test_two_outlets(void) {
    enum { NR = 15, NC = 21 };
    double z[NR * NC];
    for (int r = 0; r < NR; r++)
        for (int c = 0; c < NC; c++) {
            int dist = c < 10 ? abs(c - 5) : abs(c - 15);
            z[r * NC + c] = 1000 + (NR - 1 - r) + 5 * dist;
        }
    char path[4200];
    write_dem("valleys.tif", NR, NC, z, 1, path, sizeof path);
    hs_ctx *ctx = hs_ctx_create();
    hs_domain *d = NULL;
    hs_domain_config cfg = base_config(path, NR, NR - 1, 5);
    cfg.method = HS_DOMAIN_SEMI_DISTRIBUTED;
    cfg.stream_threshold = 50; /* the west valley from row 4 down: one segment */
    cfg.band_size_m = 5;
    cfg.min_hru_area_fraction = 0;
    HS_CHECK(hs_domain_create(&cfg, ctx, &d) == HS_OK);
    double west = 0;
    if (d) {
        const hs_domain_tables *t = hs_domain_get_tables(d);
        west = hs_domain_get_stats(d)->basin_area_m2;
        HS_CHECK_INT(hs_domain_get_stats(d)->n_basin_cells, NR * 10);
        HS_CHECK_INT(t->n_seg, 1);
        HS_CHECK_INT(t->n_gru, 1);
        HS_CHECK_REL(t->seg_length_m[0], (NR - 4) * CELL, 1e-6);
        HS_CHECK_REL(t->seg_slope[0], (NR - 5) / ((NR - 4) * CELL), 1e-6);
        check_structure(d);
    }
    hs_domain_destroy(&d);
    cfg = base_config(path, NR, NR - 1, 15);
    HS_CHECK(hs_domain_create(&cfg, ctx, &d) == HS_OK);
    if (d) {
        HS_CHECK_INT(hs_domain_get_stats(d)->n_basin_cells, NR * 11);
        HS_CHECK_REL(west + hs_domain_get_stats(d)->basin_area_m2, NR * NC * CELL * CELL, 1e-6);
    }
    hs_domain_destroy(&d);
    hs_ctx_destroy(&ctx);
}

/* Rolling terrain with a confluent network: invariants of the semi-distributed and the
 * distributed domains; distributed cells of 300 m hold 9 fine cells each. */
static void test_network(void) {
    enum { NR = 60, NC = 60 };
    static double z[NR * NC];
    for (int r = 0; r < NR; r++)
        for (int c = 0; c < NC; c++)
            z[r * NC + c] = 500 + 3.0 * (NR - r) + 20 * sin(c * 0.35) * cos(r * 0.21) +
                            8 * fabs((double)c - 30) + 0.37 * ((r * 7 + c * 13) % 5);
    char path[4200];
    write_dem("rolling.tif", NR, NC, z, 1, path, sizeof path);
    hs_ctx *ctx = hs_ctx_create();
    hs_domain *d = NULL;
    hs_domain_config cfg = base_config(path, NR, NR - 1, 30);
    cfg.snap_tolerance_m = 300;
    cfg.stream_threshold = 40;
    cfg.band_size_m = 25;
    cfg.min_hru_area_fraction = 0.05;
    for (int m = 0; m < 4; m++) {
        cfg.method = (hs_domain_method)m;
        cfg.grid_cell_m = 300;
        HS_CHECK(hs_domain_create(&cfg, ctx, &d) == HS_OK);
        if (!d) {
            fprintf(stderr, "method %d: %s\n", m, hs_ctx_message(ctx));
            continue;
        }
        const hs_domain_tables *t = hs_domain_get_tables(d);
        fprintf(stderr, "rolling, method %d: %zu GRU, %zu HRU, %zu seg, %zu basin cells\n", m,
                t->n_gru, t->n_hru, t->n_seg, hs_domain_get_stats(d)->n_basin_cells);
        check_structure(d);
        if (m == HS_DOMAIN_SEMI_DISTRIBUTED) HS_CHECK(t->n_seg >= 3); /* confluences exist */
        if (m == HS_DOMAIN_DISTRIBUTED) {
            HS_CHECK(t->n_hru >= hs_domain_get_stats(d)->n_basin_cells / 9);
            for (size_t h = 0; h < t->n_hru; h++) HS_CHECK(t->hru_area_m2[h] <= 9 * CELL * CELL * 1.0001);
        }
        hs_domain_destroy(&d);
    }
    hs_ctx_destroy(&ctx);
}

/* A DEM in EPSG:4326 (0.001 degree cells, 40 x 40 from 51.04 N, -115.10 E); `nodata_west`
 * makes the western half nodata, `all_nodata` every cell, `crs` = 0 leaves the CRS out. */
static void write_geo_dem(const char *name, int crs, int nodata_west, int all_nodata,
                          char *path, size_t cap) {
    enum { N = 40 };
    double z[N * N];
    for (int r = 0; r < N; r++)
        for (int c = 0; c < N; c++)
            z[r * N + c] = all_nodata || (nodata_west && c < N / 2) ? -9999 : 1000 + c + r;
    snprintf(path, cap, "%s/%s", scratch, name);
    GDALDatasetH ds = GDALCreate(GDALGetDriverByName("GTiff"), path, N, N, 1, GDT_Float32, NULL);
    HS_CHECK(ds != NULL);
    if (!ds) return;
    double gt[6] = {-115.10, 0.001, 0, 51.04, 0, -0.001};
    GDALSetGeoTransform(ds, gt);
    if (crs) {
        OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
        OSRImportFromEPSG(srs, 4326);
        char *wkt = NULL;
        OSRExportToWkt(srs, &wkt);
        GDALSetProjection(ds, wkt);
        CPLFree(wkt);
        OSRDestroySpatialReference(srs);
    }
    GDALRasterBandH b = GDALGetRasterBand(ds, 1);
    GDALSetRasterNoDataValue(b, -9999);
    HS_CHECK(GDALRasterIO(b, GF_Write, 0, 0, N, N, z, N, N, GDT_Float64, 0, 0) == CE_None);
    GDALClose(ds);
}

static void expect_error(const hs_domain_config *cfg, hs_status code, const char *text) {
    hs_ctx *ctx = hs_ctx_create();
    hs_domain *d = NULL;
    hs_status st = hs_domain_create(cfg, ctx, &d);
    HS_CHECK_INT(st, code);
    HS_CHECK(d == NULL);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), text);
    hs_domain_destroy(&d);
    hs_ctx_destroy(&ctx);
}

static void test_errors(void) {
    char nocrs[4200], allnd[4200], half[4200];
    write_geo_dem("nocrs.tif", 0, 0, 0, nocrs, sizeof nocrs);
    write_geo_dem("allnodata.tif", 1, 0, 1, allnd, sizeof allnd);
    write_geo_dem("halfnodata.tif", 1, 1, 0, half, sizeof half);
    hs_domain_config cfg;
    hs_domain_config_default(&cfg);
    cfg.origin = "test.yaml";
    cfg.pour_lat = 51.02;
    cfg.pour_lon = -115.09;
    cfg.stream_threshold = 1;
    cfg.dem_path = nocrs;
    expect_error(&cfg, HS_ERR_FORMAT, "nocrs.tif: the DEM has no coordinate reference system");
    cfg.dem_path = allnd;
    expect_error(&cfg, HS_ERR_FORMAT, "allnodata.tif: the DEM holds no data");
    cfg.dem_path = half; /* -115.09 is in the nodata half */
    expect_error(&cfg, HS_ERR_CONFIG, "test.yaml: POUR_POINT_COORDS 51.02/-115.09 falls on a "
                                      "nodata cell");
    cfg.pour_lon = -114.0;
    expect_error(&cfg, HS_ERR_CONFIG, "POUR_POINT_COORDS 51.02/-114 lies outside the DEM");
    cfg.pour_lon = -115.07; /* data half */
    cfg.stream_threshold = 100000;
    expect_error(&cfg, HS_ERR_CONFIG, "test.yaml: STREAM_THRESHOLD 100000 yields no stream");
    char missing[4200];
    snprintf(missing, sizeof missing, "%s/missing.tif", scratch);
    cfg.dem_path = missing;
    expect_error(&cfg, HS_ERR_IO, "missing.tif: cannot open the DEM");
    cfg.dem_path = "";
    expect_error(&cfg, HS_ERR_CONFIG, "DEM_PATH is required");
}

/* The Bow at Banff: the basin within 5 % of the gauge's 2,210 km2 and the seed's counts. */
static void test_bow(void) {
    char dem[4200];
    snprintf(dem, sizeof dem, "%s/bow/domain_Bow_at_Banff_elv.tif", HS_TESTDATA_DIR);
    hs_domain_config cfg;
    hs_domain_config_default(&cfg);
    cfg.dem_path = dem;
    cfg.pour_lat = 51.1722;
    cfg.pour_lon = -115.5717;
    cfg.min_hru_area_fraction = 0;
    hs_ctx *ctx = hs_ctx_create();
    static const size_t n_gru[4] = {1, 1, 49, 0}, n_hru[4] = {1, 12, 379, 0};
    for (int m = 0; m < 4; m++) {
        cfg.method = (hs_domain_method)m;
        hs_domain *d = NULL;
        HS_CHECK(hs_domain_create(&cfg, ctx, &d) == HS_OK);
        if (!d) {
            fprintf(stderr, "%s\n", hs_ctx_message(ctx));
            continue;
        }
        const hs_domain_tables *t = hs_domain_get_tables(d);
        const hs_domain_stats *s = hs_domain_get_stats(d);
        fprintf(stderr, "bow method %d: %.1f km2, %zu GRU, %zu HRU, %zu seg, %zu bands\n", m,
                s->basin_area_m2 * 1e-6, t->n_gru, t->n_hru, t->n_seg, s->n_bands);
        HS_CHECK_REL(s->basin_area_m2 * 1e-6, 2210.0, 0.05);
        if (n_gru[m]) HS_CHECK_INT(t->n_gru, n_gru[m]);
        if (n_hru[m]) HS_CHECK_INT(t->n_hru, n_hru[m]);
        if (m == HS_DOMAIN_DISTRIBUTED) HS_CHECK_REL((double)t->n_hru, 2335.0, 0.05);
        check_structure(d);
        hs_domain_destroy(&d);
    }
    hs_ctx_destroy(&ctx);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_domain SCRATCH_DIR [bow]\n");
        return 2;
    }
    snprintf(scratch, sizeof scratch, "%s", argv[1]);
    mkdir(scratch, 0755);
    GDALAllRegister();
    if (argc > 2 && strcmp(argv[2], "bow") == 0) {
        test_bow();
    } else {
        test_tilted_plane();
        test_pit();
        test_flat();
        test_two_outlets();
        test_network();
        test_errors();
    }
    GDALDestroy(); /* GDAL's driver and PROJ caches, so that LeakSanitizer sees no leak */
    HS_TEST_REPORT();
}
