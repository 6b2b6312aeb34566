/* hs_domain_write.c -- the domain's files: domain.nc (CF-1.8, docs-interface.md §4) and
 * domain.gpkg (GRU and HRU polygons, river lines).
 *
 * Both appear atomically (STYLE.md §5): the library writes under a temporary name beside the
 * target (hs_io_temp_name; ".gpkg" appended because the GPKG driver wants that extension) and
 * renames it into place once closed; a failure removes the temporary file.
 *
 * Names: the network uses mizuRoute's (segId, downSegId, length, slope, hruId, hruSegId, area);
 * the HRU terrain slope, which would clash with the segments' `slope`, is SUMMA's `tan_slope`.
 * Polygons come from GDALPolygonize on the id rasters, grouped into one multipolygon per id
 * (elevation bands are rarely connected). */
#define _POSIX_C_SOURCE 200809L /* gmtime_r */
#include "hs_domain_impl.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>
#include <gdal_alg.h>
#include <netcdf.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "hs_io.h"

#define HS_PATH_CAP 4400

/* ---------------------------------------------------------------------------------------------
 * netCDF */

typedef struct ncw {
    hs_ctx *ctx;
    const char *path;
    int ncid;
} ncw;

static hs_status nc_fail(const ncw *w, const char *var, int rc, const char *what) {
    hs_status code = rc > 0 ? HS_ERR_IO : (rc == NC_ENOMEM ? HS_ERR_NOMEM : HS_ERR_EXTERNAL);
    if (var)
        return HS_FAIL(w->ctx, code, "%s: variable '%s': %s: %s", w->path, var, what,
                       nc_strerror(rc));
    return HS_FAIL(w->ctx, code, "%s: %s: %s", w->path, what, nc_strerror(rc));
}

#define NC_TRY(w, var, call, what)                                                               \
    do {                                                                                          \
        int nc_rc_ = (call);                                                                      \
        if (nc_rc_ != NC_NOERR) return nc_fail((w), (var), nc_rc_, (what));                        \
    } while (0)

static hs_status put_text(const ncw *w, int varid, const char *name, const char *value) {
    const char *v = value ? value : "";
    NC_TRY(w, varid == NC_GLOBAL ? NULL : name,
           nc_put_att_text(w->ncid, varid, name, strlen(v), v), "write attribute");
    return HS_OK;
}

typedef struct var_def {
    const char *name;
    int dim;       /* 0 hru, 1 gru, 2 seg */
    int is_int;
    const int *iv;
    const double *dv;
    const char *long_name, *units, *standard_name;
} var_def;

static hs_status write_nc_body(const ncw *w, const hs_domain *d, const char *domain_name) {
    const hs_domain_tables *t = &d->tab;
    const hs_domain_stats *s = &d->stats;
    int dims[3];
    NC_TRY(w, NULL, nc_def_dim(w->ncid, "hru", t->n_hru, &dims[0]), "define dimension 'hru'");
    NC_TRY(w, NULL, nc_def_dim(w->ncid, "gru", t->n_gru, &dims[1]), "define dimension 'gru'");
    NC_TRY(w, NULL, nc_def_dim(w->ncid, "seg", t->n_seg, &dims[2]), "define dimension 'seg'");
    const var_def vars[] = {
        {"hruId", 0, 1, t->hru_id, NULL, "HRU identifier", "1", NULL},
        {"hru2gru", 0, 1, t->hru2gru, NULL, "gruId of the GRU containing the HRU", "1", NULL},
        {"hruSegId", 0, 1, t->hru_seg_id, NULL, "segId of the segment the HRU drains into", "1",
         NULL},
        {"area", 0, 0, NULL, t->hru_area_m2, "HRU area (equal-area projection)", "m2",
         "cell_area"},
        {"elev_mean", 0, 0, NULL, t->hru_elev_m, "mean HRU elevation", "m", "height_above_mean_sea_level"},
        {"lat", 0, 0, NULL, t->hru_lat, "latitude of the HRU centroid", "degrees_north", "latitude"},
        {"lon", 0, 0, NULL, t->hru_lon, "longitude of the HRU centroid", "degrees_east",
         "longitude"},
        {"tan_slope", 0, 0, NULL, t->hru_slope, "mean terrain slope of the HRU (Horn 1981)",
         "m m-1", NULL},
        {"gruId", 1, 1, t->gru_id, NULL, "GRU identifier", "1", NULL},
        {"gru_area", 1, 0, NULL, t->gru_area_m2, "GRU area (equal-area projection)", "m2",
         "cell_area"},
        {"segId", 2, 1, t->seg_id, NULL, "river segment identifier", "1", NULL},
        {"downSegId", 2, 1, t->down_seg_id, NULL, "segId of the downstream segment (0: outlet)",
         "1", NULL},
        {"length", 2, 0, NULL, t->seg_length_m, "river segment length", "m", NULL},
        {"slope", 2, 0, NULL, t->seg_slope, "river segment slope", "m m-1", NULL},
    };
    const size_t nv = sizeof vars / sizeof *vars;
    int ids[sizeof vars / sizeof *vars];
    for (size_t k = 0; k < nv; k++) {
        const var_def *v = &vars[k];
        NC_TRY(w, v->name, nc_def_var(w->ncid, v->name, v->is_int ? NC_INT : NC_DOUBLE, 1,
                                      &dims[v->dim], &ids[k]), "define");
        HS_TRY(put_text(w, ids[k], "long_name", v->long_name));
        HS_TRY(put_text(w, ids[k], "units", v->units));
        if (v->standard_name) HS_TRY(put_text(w, ids[k], "standard_name", v->standard_name));
        if (v->dim == 0 && strcmp(v->name, "lat") && strcmp(v->name, "lon"))
            HS_TRY(put_text(w, ids[k], "coordinates", "lat lon"));
    }
    static const char *const method_names[] = {"lumped", "elevation_bands", "semi_distributed",
                                               "distributed"};
    char history[128] = "hydroscale";
    time_t now = time(NULL);
    struct tm tm_utc;
    if (now != (time_t)-1 && gmtime_r(&now, &tm_utc))
        strftime(history, sizeof history, "%Y-%m-%dT%H:%M:%SZ: written by hydroscale domain",
                 &tm_utc);
    HS_TRY(put_text(w, NC_GLOBAL, "Conventions", "CF-1.8"));
    HS_TRY(put_text(w, NC_GLOBAL, "title", "Hydrological domain: HRUs, GRUs and river network"));
    HS_TRY(put_text(w, NC_GLOBAL, "source", "hydroscale"));
    HS_TRY(put_text(w, NC_GLOBAL, "history", history));
    HS_TRY(put_text(w, NC_GLOBAL, "domain_name", domain_name));
    HS_TRY(put_text(w, NC_GLOBAL, "discretization", method_names[d->method]));
    HS_TRY(put_text(w, NC_GLOBAL, "dem", d->dem_path));
    HS_TRY(put_text(w, NC_GLOBAL, "equal_area_projection", d->laea_proj4));
    double area_km2 = s->basin_area_m2 * 1e-6;
    NC_TRY(w, NULL, nc_put_att_double(w->ncid, NC_GLOBAL, "basin_area_km2", NC_DOUBLE, 1, &area_km2),
           "write attribute");
    NC_TRY(w, NULL, nc_put_att_double(w->ncid, NC_GLOBAL, "outlet_lat", NC_DOUBLE, 1,
                                      &s->outlet_lat), "write attribute");
    NC_TRY(w, NULL, nc_put_att_double(w->ncid, NC_GLOBAL, "outlet_lon", NC_DOUBLE, 1,
                                      &s->outlet_lon), "write attribute");
    NC_TRY(w, NULL, nc_enddef(w->ncid), "end of definitions");
    for (size_t k = 0; k < nv; k++) {
        const var_def *v = &vars[k];
        size_t n = v->dim == 0 ? t->n_hru : v->dim == 1 ? t->n_gru : t->n_seg;
        if (v->is_int)
            NC_TRY(w, v->name, nc_put_var_int(w->ncid, ids[k], v->iv), "write");
        else
            NC_TRY(w, v->name, nc_put_var_double(w->ncid, ids[k], v->dv), "write");
        hs_io_count_write(w->ctx, (uint64_t)(n * (v->is_int ? sizeof(int) : sizeof(double))), 1);
    }
    return HS_OK;
}

hs_status hs_domain_write_nc(const hs_domain *d, const char *path, const char *domain_name,
                             hs_ctx *ctx) {
    if (!d || !path) return HS_FAIL(ctx, HS_ERR_ARG, "domain writer: NULL argument");
    char tmp[HS_PATH_CAP];
    HS_TRY(hs_io_temp_name(ctx, path, tmp, sizeof tmp));
    ncw w = {ctx, path, -1};
    int rc = nc_create(tmp, NC_NETCDF4 | NC_CLOBBER, &w.ncid);
    if (rc != NC_NOERR) {
        remove(tmp);
        return nc_fail(&w, NULL, rc, "cannot create");
    }
    hs_status st = write_nc_body(&w, d, domain_name ? domain_name : "");
    rc = nc_close(w.ncid);
    if (st == HS_OK && rc != NC_NOERR) st = nc_fail(&w, NULL, rc, "close");
    if (st != HS_OK) {
        remove(tmp);
        return st;
    }
    return hs_io_rename_into_place(ctx, tmp, path);
}

/* ---------------------------------------------------------------------------------------------
 * GeoPackage */

static const char *gdal_msg(void) {
    const char *m = CPLGetLastErrorMsg();
    return m && *m ? m : "no reason given by GDAL";
}

typedef struct gpw {
    hs_ctx *ctx;
    const char *path;
    GDALDatasetH ds;
    OGRSpatialReferenceH srs;
} gpw;

static hs_status add_field(const gpw *w, OGRLayerH layer, const char *name, OGRFieldType type) {
    OGRFieldDefnH f = OGR_Fld_Create(name, type);
    OGRErr e = OGR_L_CreateField(layer, f, TRUE);
    OGR_Fld_Destroy(f);
    if (e != OGRERR_NONE)
        return HS_FAIL(w->ctx, HS_ERR_EXTERNAL, "%s: cannot create field '%s': %s", w->path, name,
                       gdal_msg());
    return HS_OK;
}

/* Polygonises an id raster (0 = outside) into one multipolygon per id 1..n_ids; *polys holds
 * n_ids geometries (OGR_G_DestroyGeometry each, NULL where an id has no cell). */
static hs_status polygonize(const gpw *w, const hs_domain_map *m, const int *ids, size_t n_ids,
                            OGRGeometryH *polys) {
    hs_ctx *ctx = w->ctx;
    GDALDriverH mem = GDALGetDriverByName("MEM");
    GDALDriverH omem = GDALGetDriverByName("Memory");
    if (!mem || !omem)
        return HS_FAIL(ctx, HS_ERR_EXTERNAL, "%s: GDAL's MEM/Memory drivers are missing", w->path);
    GDALDatasetH rds = GDALCreate(mem, "", (int)m->n_cols, (int)m->n_rows, 1, GDT_Int32, NULL);
    GDALDatasetH vds = GDALCreate(omem, "", 0, 0, 0, GDT_Unknown, NULL);
    hs_status st = HS_OK;
    if (!rds || !vds) {
        st = HS_FAIL(ctx, HS_ERR_EXTERNAL, "%s: cannot create scratch datasets: %s", w->path,
                     gdal_msg());
        goto done;
    }
    double gt[6];
    memcpy(gt, m->geotransform, sizeof gt);
    GDALSetGeoTransform(rds, gt);
    GDALRasterBandH band = GDALGetRasterBand(rds, 1);
    if (GDALRasterIO(band, GF_Write, 0, 0, (int)m->n_cols, (int)m->n_rows, (void *)(size_t)ids,
                     (int)m->n_cols, (int)m->n_rows, GDT_Int32, 0, 0) != CE_None) {
        st = HS_FAIL(ctx, HS_ERR_EXTERNAL, "%s: cannot fill the id raster: %s", w->path,
                     gdal_msg());
        goto done;
    }
    OGRLayerH layer = GDALDatasetCreateLayer(vds, "poly", NULL, wkbPolygon, NULL);
    if (!layer || add_field(w, layer, "id", OFTInteger) != HS_OK) {
        if (st == HS_OK)
            st = HS_FAIL(ctx, HS_ERR_EXTERNAL, "%s: cannot create a scratch layer: %s", w->path,
                         gdal_msg());
        goto done;
    }
    /* the band is its own mask: id 0 (outside the basin) gives no polygon */
    if (GDALPolygonize(band, band, layer, 0, NULL, NULL, NULL) != CE_None) {
        st = HS_FAIL(ctx, HS_ERR_EXTERNAL, "%s: GDALPolygonize failed: %s", w->path, gdal_msg());
        goto done;
    }
    OGR_L_ResetReading(layer);
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(layer)) != NULL) {
        int id = OGR_F_GetFieldAsInteger(f, 0);
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        if (id >= 1 && (size_t)id <= n_ids && g) {
            if (!polys[id - 1]) polys[id - 1] = OGR_G_CreateGeometry(wkbMultiPolygon);
            OGR_G_AddGeometry(polys[id - 1], g);
        }
        OGR_F_Destroy(f);
    }
done:
    if (rds) GDALClose(rds);
    if (vds) GDALClose(vds);
    return st;
}

/* Writes one polygon layer: `gru` or `hru`. */
static hs_status write_polygons(const gpw *w, const hs_domain *d, int hru_layer) {
    hs_ctx *ctx = w->ctx;
    const hs_domain_tables *t = &d->tab;
    size_t n = hru_layer ? t->n_hru : t->n_gru;
    OGRGeometryH *polys = NULL;
    HS_TRY(HS_ALLOC_ARRAY(ctx, polys, n, "polygons"));
    hs_status st = polygonize(w, &d->map, hru_layer ? d->map.hru : d->map.gru, n, polys);
    OGRLayerH layer = NULL;
    if (st == HS_OK) {
        layer = GDALDatasetCreateLayer(w->ds, hru_layer ? "hru" : "gru", w->srs, wkbMultiPolygon,
                                       NULL);
        if (!layer)
            st = HS_FAIL(ctx, HS_ERR_EXTERNAL, "%s: cannot create layer '%s': %s", w->path,
                         hru_layer ? "hru" : "gru", gdal_msg());
    }
    if (st == HS_OK && hru_layer) {
        st = add_field(w, layer, "hruId", OFTInteger);
        if (st == HS_OK) st = add_field(w, layer, "gruId", OFTInteger);
        if (st == HS_OK) st = add_field(w, layer, "area_m2", OFTReal);
        if (st == HS_OK) st = add_field(w, layer, "elev_mean", OFTReal);
    } else if (st == HS_OK) {
        st = add_field(w, layer, "gruId", OFTInteger);
        if (st == HS_OK) st = add_field(w, layer, "area_m2", OFTReal);
    }
    for (size_t k = 0; st == HS_OK && k < n; k++) {
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(layer));
        if (hru_layer) {
            OGR_F_SetFieldInteger(f, 0, t->hru_id[k]);
            OGR_F_SetFieldInteger(f, 1, t->hru2gru[k]);
            OGR_F_SetFieldDouble(f, 2, t->hru_area_m2[k]);
            OGR_F_SetFieldDouble(f, 3, t->hru_elev_m[k]);
        } else {
            OGR_F_SetFieldInteger(f, 0, t->gru_id[k]);
            OGR_F_SetFieldDouble(f, 1, t->gru_area_m2[k]);
        }
        if (polys[k]) OGR_F_SetGeometry(f, polys[k]);
        if (OGR_L_CreateFeature(layer, f) != OGRERR_NONE)
            st = HS_FAIL(ctx, HS_ERR_EXTERNAL, "%s: cannot write feature %zu: %s", w->path, k + 1,
                         gdal_msg());
        OGR_F_Destroy(f);
    }
    for (size_t k = 0; k < n; k++)
        if (polys[k]) OGR_G_DestroyGeometry(polys[k]);
    hs_free(polys);
    return st;
}

static hs_status write_rivers(const gpw *w, const hs_domain *d) {
    hs_ctx *ctx = w->ctx;
    const hs_domain_tables *t = &d->tab;
    OGRLayerH layer = GDALDatasetCreateLayer(w->ds, "rivers", w->srs, wkbLineString, NULL);
    if (!layer)
        return HS_FAIL(ctx, HS_ERR_EXTERNAL, "%s: cannot create layer 'rivers': %s", w->path,
                       gdal_msg());
    HS_TRY(add_field(w, layer, "segId", OFTInteger));
    HS_TRY(add_field(w, layer, "downSegId", OFTInteger));
    HS_TRY(add_field(w, layer, "length_m", OFTReal));
    HS_TRY(add_field(w, layer, "slope", OFTReal));
    for (size_t s = 0; s < t->n_seg; s++) {
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(layer));
        OGR_F_SetFieldInteger(f, 0, t->seg_id[s]);
        OGR_F_SetFieldInteger(f, 1, t->down_seg_id[s]);
        OGR_F_SetFieldDouble(f, 2, t->seg_length_m[s]);
        OGR_F_SetFieldDouble(f, 3, t->seg_slope[s]);
        OGRGeometryH line = OGR_G_CreateGeometry(wkbLineString);
        const hs_domain_line *l = &d->map.rivers[s];
        for (size_t p = 0; p < l->n_points; p++)
            OGR_G_AddPoint_2D(line, l->xy[2 * p], l->xy[2 * p + 1]);
        if (l->n_points == 1) OGR_G_AddPoint_2D(line, l->xy[0], l->xy[1]);
        OGR_F_SetGeometryDirectly(f, line);
        OGRErr e = OGR_L_CreateFeature(layer, f);
        OGR_F_Destroy(f);
        if (e != OGRERR_NONE)
            return HS_FAIL(ctx, HS_ERR_EXTERNAL, "%s: cannot write segment %zu: %s", w->path,
                           s + 1, gdal_msg());
    }
    return HS_OK;
}

hs_status hs_domain_write_gpkg(const hs_domain *d, const char *path, hs_ctx *ctx) {
    if (!d || !path) return HS_FAIL(ctx, HS_ERR_ARG, "domain writer: NULL argument");
    char tmp[HS_PATH_CAP];
    HS_TRY(hs_io_temp_name(ctx, path, tmp, sizeof tmp - 8));
    strcat(tmp, ".gpkg");
    GDALAllRegister();
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    if (!drv) return HS_FAIL(ctx, HS_ERR_EXTERNAL, "%s: GDAL has no GPKG driver", path);
    CPLPushErrorHandler(CPLQuietErrorHandler);
    CPLErrorReset();
    gpw w = {ctx, path, NULL, NULL};
    hs_status st = HS_OK;
    w.ds = GDALCreate(drv, tmp, 0, 0, 0, GDT_Unknown, NULL);
    if (!w.ds) st = HS_FAIL(ctx, HS_ERR_IO, "%s: cannot create: %s", path, gdal_msg());
    if (st == HS_OK) {
        w.srs = OSRNewSpatialReference(NULL);
        if (!w.srs || OSRSetFromUserInput(w.srs, d->crs_wkt) != OGRERR_NONE)
            st = HS_FAIL(ctx, HS_ERR_EXTERNAL, "%s: cannot set the CRS: %s", path, gdal_msg());
        else
            OSRSetAxisMappingStrategy(w.srs, OAMS_TRADITIONAL_GIS_ORDER);
    }
    /* one transaction: SQLite commits per feature otherwise (slow) */
    if (st == HS_OK && GDALDatasetStartTransaction(w.ds, FALSE) != OGRERR_NONE)
        st = HS_FAIL(ctx, HS_ERR_EXTERNAL, "%s: cannot start a transaction: %s", path, gdal_msg());
    if (st == HS_OK) st = write_polygons(&w, d, 0);
    if (st == HS_OK) st = write_polygons(&w, d, 1);
    if (st == HS_OK) st = write_rivers(&w, d);
    if (st == HS_OK && GDALDatasetCommitTransaction(w.ds) != OGRERR_NONE)
        st = HS_FAIL(ctx, HS_ERR_IO, "%s: cannot commit: %s", path, gdal_msg());
    if (w.srs) OSRDestroySpatialReference(w.srs);
    if (w.ds) { /* GDAL 3.6's GDALClose returns nothing: look at the error state */
        CPLErrorReset();
        GDALClose(w.ds);
        if (st == HS_OK && CPLGetLastErrorType() >= CE_Failure)
            st = HS_FAIL(ctx, HS_ERR_IO, "%s: cannot close: %s", path, gdal_msg());
    }
    CPLPopErrorHandler();
    if (st != HS_OK) {
        remove(tmp);
        return st;
    }
    struct stat sb;
    if (stat(tmp, &sb) == 0) hs_io_count_write(ctx, (uint64_t)sb.st_size, 1);
    return hs_io_rename_into_place(ctx, tmp, path);
}
