/* hs_domain_cmd.c -- `hydroscale domain CONFIG`: config -> hs_domain (geo/) -> domain.nc,
 * domain.gpkg and a PNG map of HRUs and rivers drawn by gnuplot (as hs_report.c does for the
 * hydrograph: a data file and a script under temporary names, then a rename). */
#define _POSIX_C_SOURCE 200809L
#include "hs_domain_cmd.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hs_domain.h"
#include "hs_io.h"
#include "hs_model.h"
#include "hs_sys.h"

#define PATH_CAP 4200

static const char *const method_names[] = {"lumped", "elevation_bands", "semi_distributed",
                                           "distributed"};

/* "lat/lon" (a comma is accepted too). */
static hs_status parse_pour_point(const hs_config *cfg, hs_ctx *ctx, double *lat, double *lon) {
    const char *text = NULL;
    HS_TRY(hs_config_get_string(cfg, "POUR_POINT_COORDS", ctx, &text));
    if (!*text)
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: POUR_POINT_COORDS is required for `domain` "
                       "(outlet as lat/lon, e.g. 51.1722/-115.5717)", hs_config_path(cfg));
    char buf[128];
    snprintf(buf, sizeof buf, "%s", text);
    char *sep = strpbrk(buf, "/,");
    if (sep) *sep = '\0';
    char *a = buf, *b = sep ? sep + 1 : NULL;
    while (a && *a == ' ') a++;
    while (b && *b == ' ') b++;
    for (char *e = a + strlen(a); e > a && e[-1] == ' ';) *--e = '\0';
    if (!b || !hs_config_parse_double(a, lat) || !hs_config_parse_double(b, lon) || *lat < -90 ||
        *lat > 90 || *lon < -180 || *lon > 360)
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: POUR_POINT_COORDS: '%s' is not a valid "
                       "'lat/lon' (e.g. 51.1722/-115.5717)",
                       hs_config_origin(cfg, "POUR_POINT_COORDS"), text);
    return HS_OK;
}

static hs_status read_settings(const hs_config *cfg, hs_ctx *ctx, hs_domain_config *dc,
                               char *dem, size_t cap) {
    hs_domain_config_default(dc);
    dc->origin = hs_config_path(cfg);
    if (!hs_config_has(cfg, "DEM_PATH"))
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: DEM_PATH is required for `domain`",
                       hs_config_path(cfg));
    HS_TRY(hs_config_get_path(cfg, "DEM_PATH", ctx, dem, cap));
    dc->dem_path = dem;
    HS_TRY(parse_pour_point(cfg, ctx, &dc->pour_lat, &dc->pour_lon));
    int method = 0;
    HS_TRY(hs_config_get_enum(cfg, "DOMAIN_DISCRETIZATION", ctx, &method, NULL));
    dc->method = (hs_domain_method)method;
    HS_TRY(hs_config_get_double(cfg, "ELEVATION_BAND_SIZE", ctx, &dc->band_size_m));
    HS_TRY(hs_config_get_int(cfg, "ELEVATION_BAND_COUNT", ctx, &dc->band_count));
    HS_TRY(hs_config_get_double(cfg, "MIN_HRU_AREA_FRACTION", ctx, &dc->min_hru_area_fraction));
    if (dc->min_hru_area_fraction >= 1)
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: MIN_HRU_AREA_FRACTION %g must be below 1",
                       hs_config_origin(cfg, "MIN_HRU_AREA_FRACTION"), dc->min_hru_area_fraction);
    HS_TRY(hs_config_get_int(cfg, "STREAM_THRESHOLD", ctx, &dc->stream_threshold));
    HS_TRY(hs_config_get_double(cfg, "GRID_CELL_SIZE", ctx, &dc->grid_cell_m));
    return HS_OK;
}

/* Runs `prog args...` and waits (no shell); 127 when the program is not found. */
static int run_program(char *const argv[]) {
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        execvp(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A qualitative palette (Tableau 20, light and dark alternating): neighbouring ids differ. */
static const unsigned palette[20] = {
    0x1f77b4, 0xaec7e8, 0xff7f0e, 0xffbb78, 0x2ca02c, 0x98df8a, 0xd62728, 0xff9896, 0x9467bd,
    0xc5b0d5, 0x8c564b, 0xc49c94, 0xe377c2, 0xf7b6d2, 0x7f7f7f, 0xc7c7c7, 0xbcbd22, 0xdbdb8d,
    0x17becf, 0x9edae5};

/* The map: HRUs as an RGB image (at most ~450 px across), rivers as lines, in the DEM's CRS. */
static hs_status write_png(const hs_domain *d, const char *png, const char *title, hs_ctx *ctx) {
    const hs_domain_map *m = hs_domain_get_map(d);
    char tmp_png[PATH_CAP + 64], data[PATH_CAP + 64], rivers[PATH_CAP + 64], script[PATH_CAP + 64];
    HS_TRY(hs_io_temp_name(ctx, png, tmp_png, sizeof tmp_png));
    HS_TRY(hs_io_temp_name(ctx, png, data, sizeof data));
    HS_TRY(hs_io_temp_name(ctx, png, rivers, sizeof rivers));
    HS_TRY(hs_io_temp_name(ctx, png, script, sizeof script));
    size_t big = m->n_rows > m->n_cols ? m->n_rows : m->n_cols;
    size_t stride = big > 450 ? (big + 449) / 450 : 1;
    const double *gt = m->geotransform;
    FILE *fd = fopen(data, "w");
    if (!fd) return HS_FAIL(ctx, HS_ERR_IO, "%s: cannot create: %s", data, strerror(errno));
    for (size_t r = 0; r < m->n_rows; r += stride) {
        for (size_t c = 0; c < m->n_cols; c += stride) {
            int h = m->hru[r * m->n_cols + c];
            unsigned rgb = h > 0 ? palette[(size_t)(h - 1) % 20] : 0xffffff;
            double x = gt[0] + ((double)c + 0.5 * (double)stride) * gt[1];
            double y = gt[3] + ((double)r + 0.5 * (double)stride) * gt[5];
            fprintf(fd, "%.8g %.8g %u %u %u\n", x, y, (rgb >> 16) & 255u, (rgb >> 8) & 255u,
                    rgb & 255u);
        }
        fputc('\n', fd);
    }
    long nbytes = ftell(fd);
    fclose(fd);
    FILE *fr = fopen(rivers, "w");
    if (!fr) {
        remove(data);
        return HS_FAIL(ctx, HS_ERR_IO, "%s: cannot create: %s", rivers, strerror(errno));
    }
    for (size_t s = 0; s < m->n_rivers; s++) {
        for (size_t p = 0; p < m->rivers[s].n_points; p++)
            fprintf(fr, "%.8g %.8g\n", m->rivers[s].xy[2 * p], m->rivers[s].xy[2 * p + 1]);
        fputc('\n', fr);
    }
    nbytes += ftell(fr);
    fclose(fr);
    /* geographic axes: one degree of longitude is cos(lat) degrees of latitude long */
    double lat = gt[3] + 0.5 * (double)m->n_rows * gt[5];
    double w = (double)m->n_cols * fabs(gt[1]), h = (double)m->n_rows * fabs(gt[5]);
    double ratio = m->is_geographic ? h / (w * cos(lat * 3.14159265358979323846 / 180.0)) : h / w;
    char safe[512];
    snprintf(safe, sizeof safe, "%s", title);
    for (char *c = safe; *c; c++)
        if (*c == '"' || *c == '\\' || *c == '\'') *c = ' ';
    FILE *fs = fopen(script, "w");
    if (!fs) {
        remove(data);
        remove(rivers);
        return HS_FAIL(ctx, HS_ERR_IO, "%s: cannot create: %s", script, strerror(errno));
    }
    int n = fprintf(fs,
                    "set terminal pngcairo size 1000,%d font 'DejaVu Sans,10'\n"
                    "set output '%s'\n"
                    "set size ratio %.6f\n"
                    "set title \"%s\" noenhanced\n"
                    "set xlabel '%s'\nset ylabel '%s'\nset grid front\nunset key\n"
                    "plot '%s' using 1:2:3:4:5 with rgbimage, \\\n"
                    "     '%s' using 1:2 with lines lw 1.5 lc rgb '#08306b'\n",
                    (int)fmin(1400.0, fmax(400.0, 1000.0 * ratio)) + 60, tmp_png, ratio, safe,
                    m->is_geographic ? "longitude (degrees east)" : "x (m)",
                    m->is_geographic ? "latitude (degrees north)" : "y (m)", data, rivers);
    fclose(fs);
    hs_io_count_write(ctx, (uint64_t)(nbytes > 0 ? nbytes : 0) + (uint64_t)(n > 0 ? n : 0), 3);
    char *argv[] = {"gnuplot", script, NULL};
    int rc = run_program(argv);
    remove(data);
    remove(rivers);
    remove(script);
    if (rc == 127 || rc < 0) {
        remove(tmp_png);
        hs_log(ctx, HS_LOG_WARN, "gnuplot not found; %s not written (apt-get install gnuplot-nox)",
               png);
        return HS_OK;
    }
    if (rc != 0) {
        remove(tmp_png);
        return HS_FAIL(ctx, HS_ERR_EXTERNAL, "%s: gnuplot failed with exit status %d", png, rc);
    }
    return hs_io_rename_into_place(ctx, tmp_png, png);
}

static hs_status run_domain(const hs_config *cfg, const hs_app_options *o, hs_ctx *ctx) {
    const char *name = NULL, *out_root = o->output_dir;
    HS_TRY(hs_config_get_string(cfg, "DOMAIN_NAME", ctx, &name));
    if (!out_root) HS_TRY(hs_config_get_string(cfg, "OUTPUT_DIR", ctx, &out_root));
    char dir[PATH_CAP], nc[PATH_CAP + 16], gpkg[PATH_CAP + 16], png[PATH_CAP + 16];
    int len = snprintf(dir, sizeof dir, "%s/%s/domain", out_root, name);
    if (len < 0 || (size_t)len >= sizeof dir)
        return HS_FAIL(ctx, HS_ERR_CONFIG, "OUTPUT_DIR: path too long");
    snprintf(nc, sizeof nc, "%s/domain.nc", dir);
    snprintf(gpkg, sizeof gpkg, "%s/domain.gpkg", dir);
    snprintf(png, sizeof png, "%s/domain.png", dir);
    hs_domain_config dc;
    char dem[PATH_CAP];
    HS_TRY(read_settings(cfg, ctx, &dc, dem, sizeof dem));

    double t0 = hs_wall_time();
    hs_domain *d = NULL;
    HS_TRY(hs_domain_create(&dc, ctx, &d));
    double t1 = hs_wall_time();
    /* everything is checked: only now does the output directory appear */
    hs_status st = hs_io_mkdirs(ctx, dir);
    if (st == HS_OK) st = hs_domain_write_nc(d, nc, name, ctx);
    if (st == HS_OK) st = hs_domain_write_gpkg(d, gpkg, ctx);
    const hs_domain_tables *t = hs_domain_get_tables(d);
    const hs_domain_stats *s = hs_domain_get_stats(d);
    char title[512];
    snprintf(title, sizeof title, "%s - %s: %zu GRU, %zu HRU, %zu segments, %.1f km2", name,
             method_names[dc.method], t->n_gru, t->n_hru, t->n_seg, s->basin_area_m2 * 1e-6);
    if (st == HS_OK) st = write_png(d, png, title, ctx);
    double t2 = hs_wall_time();
    if (st == HS_OK) {
        printf("hydroscale domain: %s (%s) from %s\n", name, method_names[dc.method], dem);
        printf("  DEM          %zu x %zu cells, %zu with data\n", s->n_cols, s->n_rows,
               s->n_valid);
        printf("  outlet       %.5f/%.5f (pour point %.5f/%.5f snapped %.0f m; %ld upstream "
               "cells)\n", s->outlet_lat, s->outlet_lon, dc.pour_lat, dc.pour_lon,
               s->snap_distance_m, s->outlet_accum_cells);
        printf("  basin        %.1f km2, %zu cells, elevation %.0f..%.0f m\n",
               s->basin_area_m2 * 1e-6, s->n_basin_cells, s->elev_min_m, s->elev_max_m);
        printf("  streams      %zu cells (STREAM_THRESHOLD %ld)\n", s->n_stream_cells,
               dc.stream_threshold);
        printf("  domain       %zu GRU, %zu HRU, %zu segments", t->n_gru, t->n_hru, t->n_seg);
        if (s->n_bands) printf(", %zu elevation bands", s->n_bands);
        printf("\n  timings      read %.2f s, conditioning %.2f s, delineation %.2f s, "
               "discretisation %.2f s, outputs %.2f s (total %.2f s)\n", s->t_read_s,
               s->t_condition_s, s->t_delineate_s, s->t_discretize_s, t2 - t1, t2 - t0);
        printf("  peak memory  %.0f MiB\n", hs_peak_rss_mb());
        printf("  outputs      %s/{domain.nc, domain.gpkg, domain.png}\n", dir);
    }
    hs_domain_destroy(&d);
    return st;
}

hs_status hs_domain_cmd_main(const hs_app_options *o, hs_ctx *ctx) {
    hs_config *cfg = NULL;
    hs_config_key *rows = NULL;
    hs_status st = hs_app_load_config(o, ctx, &cfg, &rows);
    if (st == HS_OK) st = run_domain(cfg, o, ctx);
    hs_config_destroy(&cfg);
    hs_free(rows);
    return st;
}
