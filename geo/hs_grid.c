/* hs_grid.c -- gridded forcing and its remapping to HRUs; see hs_grid.h. */
#define _POSIX_C_SOURCE 200809L
#include "hs_grid.h"

#include <math.h>
#include <netcdf.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_error.h>

#include "hs_io.h"

static hs_status nc_fail(hs_ctx *ctx, const char *path, const char *var, int rc, const char *what) {
    return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: %s%s%s: %s", path, var ? "variable '" : "",
                   var ? var : "", var ? "'" : "", what[0] ? nc_strerror(rc) : what);
}

bool hs_grid_is_gridded(const char *path, const char *var) {
    const char *dot = strrchr(path, '.');
    if (!dot || (strcmp(dot, ".nc") && strcmp(dot, ".nc4") && strcmp(dot, ".cdf"))) return false;
    int ncid, varid, nd = 0;
    if (nc_open(path, NC_NOWRITE, &ncid) != NC_NOERR) return false;
    bool g = nc_inq_varid(ncid, var, &varid) == NC_NOERR &&
             nc_inq_varndims(ncid, varid, &nd) == NC_NOERR && nd == 3;
    nc_close(ncid);
    return g;
}

void hs_grid_destroy(hs_grid **gp) {
    if (!gp || !*gp) return;
    hs_grid *g = *gp;
    hs_free(g->lat);
    hs_free(g->lon);
    hs_free(g->precip_mm);
    hs_free(g->temp_c);
    hs_free(g->pet_mm);
    hs_free(g);
    *gp = NULL;
}

/* Unit text without spaces, with "**" as "^"-less exponents: "kg m**-2 s**-1" -> "kgm-2s-1". */
static void squeeze_units(const char *in, char *out, size_t cap) {
    size_t n = 0;
    for (const char *p = in; *p && n + 1 < cap; p++) {
        if (*p == ' ' || *p == '*' || *p == '^') continue;
        out[n++] = *p;
    }
    out[n] = '\0';
}

/* Factor turning a rate in `units` into mm/d; false when not a known rate. */
static bool rate_to_mm_per_day(const char *units, double *f) {
    char u[64];
    squeeze_units(units, u, sizeof u);
    static const struct {
        const char *u;
        double f;
    } t[] = {{"kgm-2s-1", 86400.0}, {"mms-1", 86400.0}, {"mm/s", 86400.0}, {"ms-1", 86.4e6},
             {"m/s", 86.4e6},       {"mmh-1", 24.0},    {"mm/h", 24.0},    {"mmhr-1", 24.0},
             {"mmd-1", 1.0},        {"mm/d", 1.0},      {"mm/day", 1.0},   {"mmday-1", 1.0},
             {"md-1", 1000.0},      {"m/d", 1000.0}};
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        if (strcmp(u, t[i].u) == 0) {
            *f = t[i].f;
            return true;
        }
    return false;
}

static hs_status text_att(int ncid, int varid, const char *name, char *buf, size_t cap) {
    size_t len = 0;
    buf[0] = '\0';
    if (nc_inq_attlen(ncid, varid, name, &len) != NC_NOERR || len + 1 > cap) return HS_OK;
    if (nc_get_att_text(ncid, varid, name, buf) != NC_NOERR) buf[0] = '\0';
    else buf[len] = '\0';
    return HS_OK;
}

static hs_status read_coord(hs_ctx *ctx, const char *path, int ncid, const char *const *names,
                            size_t n_names, double **out, size_t *n, char *name_found) {
    int varid = -1;
    for (size_t i = 0; i < n_names && varid < 0; i++)
        if (nc_inq_varid(ncid, names[i], &varid) == NC_NOERR) strcpy(name_found, names[i]);
        else varid = -1;
    if (varid < 0)
        return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: no %s coordinate (expected '%s' or '%s')", path,
                       names[0], names[0], names[1]);
    int dim;
    int nd;
    nc_inq_varndims(ncid, varid, &nd);
    if (nd != 1) return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: coordinate '%s' is not 1-D", path, name_found);
    nc_inq_vardimid(ncid, varid, &dim);
    nc_inq_dimlen(ncid, dim, n);
    HS_TRY(HS_ALLOC_ARRAY(ctx, *out, *n, "coordinate"));
    int rc = nc_get_var_double(ncid, varid, *out);
    if (rc != NC_NOERR) return nc_fail(ctx, path, name_found, rc, "");
    hs_io_count_read(ctx, (uint64_t)(*n * sizeof(double)), 1);
    return HS_OK;
}

typedef struct grid_var {
    const char *name;
    int kind; /* 0 precip rate, 1 temperature, 2 PET rate */
    double *out;
} grid_var;

/* Reads one (time, lat, lon) variable, converts its units and averages whole days. */
static hs_status read_var(hs_ctx *ctx, const char *path, int ncid, const grid_var *v,
                          size_t n_time, size_t n_cell, size_t first_step, int spd, size_t n_day,
                          float *buf) {
    int varid;
    int rc = nc_inq_varid(ncid, v->name, &varid);
    if (rc != NC_NOERR)
        return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: no variable '%s' (FORCING_VARIABLES)", path, v->name);
    int nd;
    nc_inq_varndims(ncid, varid, &nd);
    if (nd != 3)
        return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: variable '%s' has %d dimensions; expected "
                       "(time, latitude, longitude)", path, v->name, nd);
    char units[64];
    text_att(ncid, varid, "units", units, sizeof units);
    double scale = 1.0, offset = 0.0;
    if (v->kind == 1) {
        char u[64];
        squeeze_units(units, u, sizeof u);
        if (strcmp(u, "K") == 0 || strcmp(u, "kelvin") == 0) offset = -273.15;
        else if (strcmp(u, "degC") && strcmp(u, "C") && strcmp(u, "degree_Celsius") && u[0])
            return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: variable '%s': units '%s' are not a "
                           "temperature (K or degC)", path, v->name, units);
    } else if (!rate_to_mm_per_day(units, &scale)) {
        return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: variable '%s': units '%s' are not a rate hydroscale "
                       "knows (kg m-2 s-1, mm s-1, m s-1, mm h-1, mm d-1, m d-1)", path, v->name,
                       units);
    }
    double sf = 1.0, ao = 0.0;
    nc_get_att_double(ncid, varid, "scale_factor", &sf);
    nc_get_att_double(ncid, varid, "add_offset", &ao);
    float fill = NC_FILL_FLOAT;
    nc_get_att_float(ncid, varid, "_FillValue", &fill);
    rc = nc_get_var_float(ncid, varid, buf);
    if (rc != NC_NOERR) return nc_fail(ctx, path, v->name, rc, "");
    hs_io_count_read(ctx, (uint64_t)(n_time * n_cell * sizeof(float)), 1);
    for (size_t d = 0; d < n_day; d++) {
        for (size_t c = 0; c < n_cell; c++) {
            double sum = 0;
            for (int k = 0; k < spd; k++) {
                const float x = buf[(first_step + d * (size_t)spd + (size_t)k) * n_cell + c];
                if (x == fill || !isfinite(x))
                    return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: variable '%s': missing value at time "
                                   "step %zu, cell %zu (gridded forcing must be complete)", path,
                                   v->name, first_step + d * (size_t)spd + (size_t)k, c);
                sum += (double)x * sf + ao;
            }
            v->out[d * n_cell + c] = (sum / spd) * scale + offset;
        }
    }
    return HS_OK;
}

hs_status hs_grid_read(hs_ctx *ctx, const char *path, const char *var_precip,
                       const char *var_temp, const char *var_pet, hs_grid **out) {
    *out = NULL;
    int ncid;
    int rc = nc_open(path, NC_NOWRITE, &ncid);
    if (rc != NC_NOERR) return HS_FAIL(ctx, HS_ERR_IO, "%s: cannot open: %s", path, nc_strerror(rc));
    hs_grid *g = NULL;
    float *buf = NULL;
    double *tv = NULL;
    hs_status st = hs_alloc(ctx, 1, sizeof *g, "grid", (void **)&g);
    char name[64];
    static const char *const lat_names[] = {"latitude", "lat"};
    static const char *const lon_names[] = {"longitude", "lon"};
    if (st == HS_OK) st = read_coord(ctx, path, ncid, lat_names, 2, &g->lat, &g->n_lat, name);
    if (st == HS_OK) st = read_coord(ctx, path, ncid, lon_names, 2, &g->lon, &g->n_lon, name);
    /* time: a constant step of a whole fraction of a day */
    size_t n_time = 0;
    int tid = -1;
    if (st == HS_OK && nc_inq_varid(ncid, "time", &tid) != NC_NOERR)
        st = HS_FAIL(ctx, HS_ERR_FORMAT, "%s: no 'time' coordinate", path);
    char units[128];
    double unit_days = 0, ref_days = 0;
    if (st == HS_OK) {
        int dim;
        nc_inq_vardimid(ncid, tid, &dim);
        nc_inq_dimlen(ncid, dim, &n_time);
        text_att(ncid, tid, "units", units, sizeof units);
        if (!hs_forcing_parse_time_units(units, &unit_days, &ref_days))
            st = HS_FAIL(ctx, HS_ERR_FORMAT, "%s: time units '%s' are not '<unit> since <date>'",
                         path, units);
    }
    if (st == HS_OK && n_time < 1) st = HS_FAIL(ctx, HS_ERR_FORMAT, "%s: no time steps", path);
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, tv, n_time, "time");
    if (st == HS_OK && (rc = nc_get_var_double(ncid, tid, tv)) != NC_NOERR)
        st = nc_fail(ctx, path, "time", rc, "");
    int spd = 1;
    size_t first = 0;
    if (st == HS_OK) {
        const double step = n_time > 1 ? (tv[1] - tv[0]) * unit_days : 1.0;
        spd = (int)lround(1.0 / step);
        if (!(step > 0) || spd < 1 || fabs(spd * step - 1.0) > 1e-6)
            st = HS_FAIL(ctx, HS_ERR_FORMAT, "%s: the time step (%g d) does not divide a day", path,
                         step);
        for (size_t t = 2; st == HS_OK && t < n_time; t++)
            if (fabs((tv[t] - tv[t - 1]) * unit_days - step) > 1e-6)
                st = HS_FAIL(ctx, HS_ERR_FORMAT, "%s: time steps are not regular at step %zu", path, t);
        if (st == HS_OK) {
            /* a step stamped t covers [t, t + step) (ERA5's mean rates are stamped at the start
             * of their hour after SYMFLUENCE's processing); whole days only */
            const double t0 = ref_days + tv[0] * unit_days;
            const double day0 = floor(t0 + 1e-9);
            const size_t offset = (size_t)lround((t0 - day0) * spd);
            first = offset ? (size_t)spd - offset : 0;
            g->first_day = (hs_day)day0 + (offset ? 1 : 0);
            g->n_day = (n_time - first) / (size_t)spd;
            g->steps_per_day = spd;
            if (first || (n_time - first) % (size_t)spd)
                snprintf(g->note, sizeof g->note, "%zu leading and %zu trailing steps of partial "
                         "days dropped", first, (n_time - first) % (size_t)spd);
            if (g->n_day == 0)
                st = HS_FAIL(ctx, HS_ERR_FORMAT, "%s: less than one whole day of data", path);
        }
    }
    if (st == HS_OK) {
        g->n_cell = g->n_lat * g->n_lon;
        st = HS_ALLOC_ARRAY(ctx, buf, n_time * g->n_cell, "grid buffer");
    }
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, g->precip_mm, g->n_day * g->n_cell, "precipitation");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, g->temp_c, g->n_day * g->n_cell, "temperature");
    int pid;
    const bool has_pet = var_pet && *var_pet && nc_inq_varid(ncid, var_pet, &pid) == NC_NOERR;
    if (st == HS_OK && has_pet) st = HS_ALLOC_ARRAY(ctx, g->pet_mm, g->n_day * g->n_cell, "PET");
    const grid_var vars[3] = {{var_precip, 0, g ? g->precip_mm : NULL},
                              {var_temp, 1, g ? g->temp_c : NULL},
                              {var_pet, 2, g ? g->pet_mm : NULL}};
    for (int k = 0; st == HS_OK && k < (has_pet ? 3 : 2); k++)
        st = read_var(ctx, path, ncid, &vars[k], n_time, g->n_cell, first, spd, g->n_day, buf);
    nc_close(ncid);
    hs_free(buf);
    hs_free(tv);
    if (st != HS_OK) {
        hs_grid_destroy(&g);
        return st;
    }
    *out = g;
    return HS_OK;
}

/* ---------------------------------------------------------------------------------------------
 * remapping */

void hs_remap_destroy(hs_remap **rp) {
    if (!rp || !*rp) return;
    hs_free((*rp)->hru);
    hs_free((*rp)->cell);
    hs_free((*rp)->w);
    hs_free(*rp);
    *rp = NULL;
}

/* Cell box of grid cell (i, j) in lon/lat (half-way to the neighbouring centres). */
static void cell_box(const hs_grid *g, size_t i, size_t j, double *x0, double *x1, double *y0,
                     double *y1) {
    const double dlat = g->n_lat > 1 ? fabs(g->lat[1] - g->lat[0]) : 0.25;
    const double dlon = g->n_lon > 1 ? fabs(g->lon[1] - g->lon[0]) : 0.25;
    *y0 = g->lat[i] - dlat / 2, *y1 = g->lat[i] + dlat / 2;
    *x0 = g->lon[j] - dlon / 2, *x1 = g->lon[j] + dlon / 2;
}

hs_status hs_remap_compute(hs_ctx *ctx, const char *gpkg, const hs_grid *g, const int64_t *hru_ids,
                           size_t n_hru, hs_remap **out) {
    *out = NULL;
    OGRRegisterAll();
    CPLPushErrorHandler(CPLQuietErrorHandler);
    OGRDataSourceH ds = OGROpen(gpkg, FALSE, NULL);
    CPLPopErrorHandler();
    if (!ds)
        return HS_FAIL(ctx, HS_ERR_IO, "%s: cannot open the domain's GeoPackage (HRU polygons for "
                       "remapping gridded forcing; build it with `hydroscale domain`)", gpkg);
    hs_io_count_read(ctx, 0, 1);
    OGRLayerH layer = OGR_DS_GetLayerByName(ds, "hru");
    hs_status st = HS_OK;
    if (!layer) st = HS_FAIL(ctx, HS_ERR_FORMAT, "%s: no layer 'hru'", gpkg);
    OGRSpatialReferenceH srs = layer ? OGR_L_GetSpatialRef(layer) : NULL;
    OGRSpatialReferenceH wgs = OSRNewSpatialReference(NULL);
    OSRSetWellKnownGeogCS(wgs, "WGS84");
    OSRSetAxisMappingStrategy(wgs, OAMS_TRADITIONAL_GIS_ORDER);
    OGRCoordinateTransformationH tr = NULL;
    const bool geographic = !srs || OSRIsGeographic(srs);
    if (st == HS_OK && srs && !geographic) {
        tr = OCTNewCoordinateTransformation(wgs, srs);
        if (!tr) st = HS_FAIL(ctx, HS_ERR_EXTERNAL, "%s: cannot transform lon/lat into the layer's CRS", gpkg);
    }
    /* the HRU geometries, in the order of hru_ids */
    OGRGeometryH *geom = NULL;
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, geom, n_hru, "HRU polygons");
    if (st == HS_OK) {
        OGR_L_ResetReading(layer);
        OGRFeatureH f;
        const int fid = OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(layer), "hruId");
        while (fid >= 0 && (f = OGR_L_GetNextFeature(layer)) != NULL) {
            const int64_t id = OGR_F_GetFieldAsInteger64(f, fid);
            for (size_t h = 0; h < n_hru; h++)
                if (hru_ids[h] == id && !geom[h] && OGR_F_GetGeometryRef(f))
                    geom[h] = OGR_G_Clone(OGR_F_GetGeometryRef(f));
            OGR_F_Destroy(f);
        }
        for (size_t h = 0; st == HS_OK && h < n_hru; h++)
            if (!geom[h])
                st = HS_FAIL(ctx, HS_ERR_FORMAT, "%s: no polygon for HRU %lld", gpkg,
                             (long long)hru_ids[h]);
    }
    hs_remap *r = NULL;
    size_t cap = 0;
    if (st == HS_OK) st = hs_alloc(ctx, 1, sizeof *r, "remap", (void **)&r);
    for (size_t h = 0; st == HS_OK && h < n_hru; h++) {
        OGREnvelope env;
        OGR_G_GetEnvelope(geom[h], &env);
        double total = 0;
        const size_t start = r->n;
        for (size_t i = 0; st == HS_OK && i < g->n_lat; i++)
            for (size_t j = 0; st == HS_OK && j < g->n_lon; j++) {
                double x0, x1, y0, y1;
                cell_box(g, i, j, &x0, &x1, &y0, &y1);
                OGRGeometryH ring = OGR_G_CreateGeometry(wkbLinearRing);
                const double xs[5] = {x0, x1, x1, x0, x0}, ys[5] = {y0, y0, y1, y1, y0};
                for (int k = 0; k < 5; k++) OGR_G_AddPoint_2D(ring, xs[k], ys[k]);
                OGRGeometryH box = OGR_G_CreateGeometry(wkbPolygon);
                OGR_G_AddGeometryDirectly(box, ring);
                if (tr) {
                    OGR_G_Segmentize(box, (x1 - x0) / 16);
                    OGR_G_Transform(box, tr);
                }
                OGREnvelope be;
                OGR_G_GetEnvelope(box, &be);
                double a = 0;
                if (!(be.MaxX < env.MinX || be.MinX > env.MaxX || be.MaxY < env.MinY ||
                      be.MinY > env.MaxY)) {
                    OGRGeometryH x = OGR_G_Intersection(geom[h], box);
                    if (x) {
                        a = OGR_G_Area(x);
                        /* degrees squared shrink with cos(latitude) */
                        if (geographic) a *= cos(g->lat[i] * 3.14159265358979323846 / 180.0);
                        OGR_G_DestroyGeometry(x);
                    }
                }
                OGR_G_DestroyGeometry(box);
                if (a <= 0) continue;
                if (r->n == cap) {
                    size_t nc = cap ? 2 * cap : 256;
                    size_t *hh = realloc(r->hru, nc * sizeof *hh);
                    if (hh) r->hru = hh;
                    size_t *cc = realloc(r->cell, nc * sizeof *cc);
                    if (cc) r->cell = cc;
                    double *ww = realloc(r->w, nc * sizeof *ww);
                    if (ww) r->w = ww;
                    if (!hh || !cc || !ww) {
                        st = HS_FAIL(ctx, HS_ERR_NOMEM, "remap weights: out of memory");
                        break;
                    }
                    cap = nc;
                }
                r->hru[r->n] = h;
                r->cell[r->n] = i * g->n_lon + j;
                r->w[r->n] = a;
                r->n++;
                total += a;
            }
        if (st == HS_OK && !(total > 0))
            st = HS_FAIL(ctx, HS_ERR_FORMAT, "HRU %lld does not overlap the forcing grid (lat "
                         "%g..%g, lon %g..%g): the grid must cover the basin",
                         (long long)hru_ids[h], g->lat[g->n_lat - 1], g->lat[0], g->lon[0],
                         g->lon[g->n_lon - 1]);
        for (size_t k = start; st == HS_OK && k < r->n; k++) r->w[k] /= total;
    }
    for (size_t h = 0; geom && h < n_hru; h++)
        if (geom[h]) OGR_G_DestroyGeometry(geom[h]);
    hs_free(geom);
    if (tr) OCTDestroyCoordinateTransformation(tr);
    OSRDestroySpatialReference(wgs);
    OGR_DS_Destroy(ds);
    if (st != HS_OK) {
        if (r) {
            free(r->hru), free(r->cell), free(r->w);
            r->hru = NULL, r->cell = NULL, r->w = NULL;
            hs_free(r);
        }
        return st;
    }
    /* realloc'd arrays: move them into hs_alloc'd ones so that one free path owns them */
    size_t *hh = NULL, *cc = NULL;
    double *ww = NULL;
    st = HS_ALLOC_ARRAY(ctx, hh, r->n + 1, "remap");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, cc, r->n + 1, "remap");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, ww, r->n + 1, "remap");
    if (st == HS_OK) {
        memcpy(hh, r->hru, r->n * sizeof *hh);
        memcpy(cc, r->cell, r->n * sizeof *cc);
        memcpy(ww, r->w, r->n * sizeof *ww);
    }
    free(r->hru), free(r->cell), free(r->w);
    r->hru = hh, r->cell = cc, r->w = ww;
    if (st != HS_OK) {
        hs_remap_destroy(&r);
        return st;
    }
    *out = r;
    return HS_OK;
}

hs_status hs_remap_write_csv(hs_ctx *ctx, const char *path, const hs_remap *r,
                             const int64_t *hru_ids) {
    hs_io_writer *w = NULL;
    HS_TRY(hs_io_writer_open(ctx, path, &w));
    hs_status st = hs_io_writer_printf(w, "hru,cell,weight\n");
    for (size_t k = 0; st == HS_OK && k < r->n; k++)
        st = hs_io_writer_printf(w, "%lld,%zu,%.17g\n", (long long)hru_ids[r->hru[k]], r->cell[k],
                                 r->w[k]);
    if (st != HS_OK) {
        hs_io_writer_abort(&w);
        return st;
    }
    return hs_io_writer_commit(&w);
}

hs_status hs_remap_apply(hs_ctx *ctx, const hs_grid *g, const hs_remap *r, size_t n_hru,
                         hs_forcing **out) {
    HS_TRY(hs_forcing_create(ctx, g->first_day, g->n_day, n_hru, g->pet_mm != NULL, out));
    hs_forcing *f = *out;
    for (size_t d = 0; d < g->n_day; d++) {
        double *p = f->precip_mm + d * n_hru, *t = f->temp_c + d * n_hru;
        double *e = f->pet_mm ? f->pet_mm + d * n_hru : NULL;
        for (size_t h = 0; h < n_hru; h++) {
            p[h] = 0, t[h] = 0;
            if (e) e[h] = 0;
        }
        for (size_t k = 0; k < r->n; k++) {
            const size_t c = d * g->n_cell + r->cell[k];
            p[r->hru[k]] += r->w[k] * g->precip_mm[c];
            t[r->hru[k]] += r->w[k] * g->temp_c[c];
            if (e) e[r->hru[k]] += r->w[k] * g->pet_mm[c];
        }
    }
    return HS_OK;
}
