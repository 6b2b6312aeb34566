/* test_grid.c -- gridded forcing (geo/hs_grid.h): the ERA5 sample read and aggregated to days
 * with its units converted (values checked against an independent xarray computation: daily
 * mean of the hourly float32 values, K - 273.15, kg m-2 s-1 x 86400), and the remap weights from
 * HRU polygons: known fractions, sums of 1, a constant field conserved, a basin outside the grid
 * refused. The polygons are written to a GeoPackage with OGR in the scratch directory argv[1]. */
#include <math.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs_grid.h"
#include "hs_io.h"
#include "hs_test.h"

#define ERA5 HS_TESTDATA_DIR "/era5/domain_Bow_at_Banff_ERA5_merged_200401.nc"

/* A GeoPackage with layer "hru" (field hruId) holding lon/lat boxes. */
static int write_gpkg(const char *path, int n, const double (*box)[4], const long long *ids) {
    OGRRegisterAll();
    remove(path);
    OGRSFDriverH drv = OGRGetDriverByName("GPKG");
    OGRDataSourceH ds = drv ? OGR_Dr_CreateDataSource(drv, path, NULL) : NULL;
    if (!ds) return -1;
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(srs, 4326);
    OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    OGRLayerH layer = OGR_DS_CreateLayer(ds, "hru", srs, wkbPolygon, NULL);
    OGRFieldDefnH fd = OGR_Fld_Create("hruId", OFTInteger64);
    OGR_L_CreateField(layer, fd, TRUE);
    OGR_Fld_Destroy(fd);
    for (int k = 0; k < n; k++) {
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(layer));
        OGR_F_SetFieldInteger64(f, 0, ids[k]);
        OGRGeometryH ring = OGR_G_CreateGeometry(wkbLinearRing);
        const double x0 = box[k][0], x1 = box[k][1], y0 = box[k][2], y1 = box[k][3];
        OGR_G_AddPoint_2D(ring, x0, y0);
        OGR_G_AddPoint_2D(ring, x1, y0);
        OGR_G_AddPoint_2D(ring, x1, y1);
        OGR_G_AddPoint_2D(ring, x0, y1);
        OGR_G_AddPoint_2D(ring, x0, y0);
        OGRGeometryH poly = OGR_G_CreateGeometry(wkbPolygon);
        OGR_G_AddGeometryDirectly(poly, ring);
        OGR_F_SetGeometryDirectly(f, poly);
        if (OGR_L_CreateFeature(layer, f) != OGRERR_NONE) fprintf(stderr, "cannot write HRU %d\n", k);
        OGR_F_Destroy(f);
    }
    OSRDestroySpatialReference(srs);
    OGR_DS_Destroy(ds);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    hs_ctx *ctx = hs_ctx_create();
    HS_CHECK_INT(hs_io_mkdirs(ctx, argv[1]), HS_OK);
    HS_CHECK(hs_grid_is_gridded(ERA5, "airtemp"));
    HS_CHECK(!hs_grid_is_gridded(ERA5, "latitude"));

    hs_grid *g = NULL;
    HS_CHECK_INT(hs_grid_read(ctx, ERA5, "pptrate", "airtemp", NULL, &g), HS_OK);
    if (!g) return 1;
    HS_CHECK_INT(g->n_lat, 6);
    HS_CHECK_INT(g->n_lon, 7);
    HS_CHECK_INT(g->n_day, 31);
    HS_CHECK_INT(g->steps_per_day, 24);
    HS_CHECK(g->first_day == hs_day_from_ymd(2004, 1, 1));
    HS_CHECK(g->pet_mm == NULL);
    /* cell (lat index, lon index): expected from xarray (double mean of the float32 values) */
    HS_CHECK_CLOSE(g->temp_c[0 * 42 + 0 * 7 + 0], -20.943598810831674, 1e-9);
    HS_CHECK_CLOSE(g->precip_mm[0 * 42 + 0 * 7 + 0], 0.22185189145602635, 1e-9);
    HS_CHECK_CLOSE(g->temp_c[0 * 42 + 3 * 7 + 4], -19.414102935790993, 1e-9);
    HS_CHECK_CLOSE(g->precip_mm[0 * 42 + 3 * 7 + 4], 0.3521898780036281, 1e-9);
    HS_CHECK_CLOSE(g->temp_c[30 * 42 + 5 * 7 + 6], -10.602086130777991, 1e-9);
    HS_CHECK_CLOSE(g->precip_mm[30 * 42 + 5 * 7 + 6], 1.6592672731349012, 1e-9);
    hs_grid_destroy(&g);
    HS_CHECK_INT(hs_grid_read(ctx, ERA5, "pptrate", "airpres", NULL, &g), HS_ERR_FORMAT);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "variable 'airpres': units 'Pa' are not a temperature");

    /* a synthetic 2 x 3 grid of 1-degree cells centred on lat 50, 51 and lon 10, 11, 12 */
    hs_grid s;
    memset(&s, 0, sizeof s);
    double lat[2] = {51.0, 50.0}, lon[3] = {10.0, 11.0, 12.0};
    s.n_lat = 2, s.n_lon = 3, s.n_cell = 6, s.n_day = 2, s.lat = lat, s.lon = lon;
    s.first_day = hs_day_from_ymd(2000, 1, 1);
    double p[12], t[12];
    for (int i = 0; i < 12; i++) p[i] = 3.0, t[i] = -2.0; /* constant fields */
    s.precip_mm = p, s.temp_c = t;
    /* HRU 7: inside cell (50, 10); HRU 8: lon 11.25..12.25 at lat 51.1..51.3 in one row of
     * cells spanning lon +-0.5 around their centres: cell (51, 11) holds 11.25..11.5 and cell
     * (51, 12) holds 11.5..12.25, so the weights are 0.25 and 0.75 */
    const double boxes2[2][4] = {{9.7, 10.2, 49.8, 50.1}, {11.25, 12.25, 51.1, 51.3}};
    const long long ids[2] = {7, 8};
    char gpkg[4200];
    snprintf(gpkg, sizeof gpkg, "%s/hru.gpkg", argv[1]);
    HS_CHECK_INT(write_gpkg(gpkg, 2, boxes2, ids), 0);
    const int64_t hru_ids[2] = {7, 8};
    hs_remap *r = NULL;
    HS_CHECK_INT(hs_remap_compute(ctx, gpkg, &s, hru_ids, 2, &r), HS_OK);
    if (r) {
        double sum[2] = {0, 0}, w8_11 = 0, w8_12 = 0;
        for (size_t k = 0; k < r->n; k++) {
            sum[r->hru[k]] += r->w[k];
            if (r->hru[k] == 0) HS_CHECK_INT(r->cell[k], 1 * 3 + 0); /* row of lat 50, lon 10 */
            if (r->hru[k] == 1 && r->cell[k] == 1) w8_11 = r->w[k];
            if (r->hru[k] == 1 && r->cell[k] == 2) w8_12 = r->w[k];
        }
        HS_CHECK_CLOSE(sum[0], 1.0, 1e-12);
        HS_CHECK_CLOSE(sum[1], 1.0, 1e-12);
        HS_CHECK_CLOSE(w8_11, 0.25, 1e-9);
        HS_CHECK_CLOSE(w8_12, 0.75, 1e-9);
        hs_forcing *f = NULL;
        HS_CHECK_INT(hs_remap_apply(ctx, &s, r, 2, &f), HS_OK);
        if (f) {
            for (size_t i = 0; i < 4; i++) {
                HS_CHECK_CLOSE(f->precip_mm[i], 3.0, 1e-12); /* a constant field stays constant */
                HS_CHECK_CLOSE(f->temp_c[i], -2.0, 1e-12);
            }
            hs_forcing_destroy(&f);
        }
        char csv[4300];
        snprintf(csv, sizeof csv, "%s/remap.csv", argv[1]);
        HS_CHECK_INT(hs_remap_write_csv(ctx, csv, r, hru_ids), HS_OK);
        HS_CHECK(hs_io_is_file(csv));
        hs_remap_destroy(&r);
    }
    /* a basin away from the grid */
    const double far[1][4] = {{30.0, 30.5, 10.0, 10.5}};
    const long long fid[1] = {9};
    const int64_t fids[1] = {9};
    HS_CHECK_INT(write_gpkg(gpkg, 1, far, fid), 0);
    HS_CHECK_INT(hs_remap_compute(ctx, gpkg, &s, fids, 1, &r), HS_ERR_FORMAT);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "HRU 9 does not overlap the forcing grid");
    /* an HRU without a polygon */
    const int64_t missing[1] = {42};
    HS_CHECK_INT(hs_remap_compute(ctx, gpkg, &s, missing, 1, &r), HS_ERR_FORMAT);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "no polygon for HRU 42");
    hs_ctx_destroy(&ctx);
    HS_TEST_REPORT();
}
