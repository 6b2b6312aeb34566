/* test_streamflow.c -- run/streamflow.nc and run/streamflow.csv writers: contents read back
 * with netCDF-C and with our own CSV reader, I/O counts, and failures that must leave neither a
 * file nor a temporary file. argv[1]: scratch directory; argv[2]: path of a file left for the
 * xarray test (test_streamflow_xarray). */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <math.h>
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hs_forcing.h"
#include "hs_io.h"
#include "hs_streamflow.h"
#include "hs_test.h"

#define NC_OK(call)                                                                       \
    do {                                                                                  \
        int rc_ = (call);                                                                 \
        if (rc_ != NC_NOERR) fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, \
                                     nc_strerror(rc_));                                   \
        HS_CHECK(rc_ == NC_NOERR);                                                        \
    } while (0)

enum { N = 31 };

typedef struct series {
    double sim[N], obs[N], sim_mm[N], obs_mm[N];
} series;

/* 2000-01-01.., q_sim = 10 + i, q_obs = 9.5 + i with day 3 missing, mm = m3/s * 86.4 / area. */
static hs_streamflow make_q(series *s, double area_km2) {
    for (int i = 0; i < N; i++) {
        s->sim[i] = 10.0 + i;
        s->obs[i] = i == 3 ? NAN : 9.5 + i;
        s->sim_mm[i] = s->sim[i] * 86.4 / area_km2;
        s->obs_mm[i] = s->obs[i] * 86.4 / area_km2;
    }
    hs_streamflow q = {hs_day_from_ymd(2000, 1, 1), N, s->sim, s->obs, s->sim_mm, s->obs_mm,
                       area_km2, "bow_lumped", "HBV", "run_1", 0, NULL, NULL};
    return q;
}

/* Number of entries of `dir` whose name contains `part`. */
static int count_entries(const char *dir, const char *part) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, part)) n++;
    closedir(d);
    return n;
}

/* Removes the temporary files an earlier, failed run may have left in `dir`. */
static void remove_stale_temps(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[2048];
    while ((e = readdir(d)) != NULL) {
        if (!strstr(e->d_name, ".tmp.")) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        remove(path);
    }
    closedir(d);
}

static void get_text(int ncid, int varid, const char *name, char *buf, size_t cap) {
    size_t len = 0;
    buf[0] = '\0';
    NC_OK(nc_inq_attlen(ncid, varid, name, &len));
    if (len >= cap) return;
    NC_OK(nc_get_att_text(ncid, varid, name, buf));
    buf[len] = '\0';
}

static void check_text(int ncid, int varid, const char *name, const char *expected) {
    char buf[256];
    get_text(ncid, varid, name, buf, sizeof buf);
    HS_CHECK_STR_CONTAINS(buf, expected);
    HS_CHECK_INT(strlen(buf), strlen(expected));
}

static void test_nc(hs_ctx *ctx, const char *dir) {
    char path[1024];
    snprintf(path, sizeof path, "%s/run/streamflow.nc", dir); /* run/ is created by the writer */
    remove(path);
    char run_dir[1024];
    snprintf(run_dir, sizeof run_dir, "%s/run", dir);
    remove_stale_temps(run_dir);
    series s;
    hs_streamflow q = make_q(&s, 2210.0);
    hs_ioprof *prof = hs_ioprof_create();
    hs_ctx_set_ioprof(ctx, prof);
    hs_status st = hs_streamflow_write_nc(ctx, path, &q);
    HS_CHECK_INT(st, HS_OK);
    if (st != HS_OK) fprintf(stderr, "%s\n", hs_ctx_message(ctx));
    hs_io_counts c = hs_ioprof_get(prof);
    HS_CHECK_INT(c.write_ops, 5); /* time and four series */
    HS_CHECK_INT(c.write_bytes, 5 * N * 8);
    hs_ctx_set_ioprof(ctx, NULL);
    hs_ioprof_destroy(&prof);
    HS_CHECK_INT(count_entries(run_dir, ".tmp."), 0);

    int ncid, fmt, dimid, varid;
    size_t len;
    int rc = nc_open(path, NC_NOWRITE, &ncid);
    NC_OK(rc);
    if (rc != NC_NOERR) return;
    NC_OK(nc_inq_format(ncid, &fmt));
    HS_CHECK_INT(fmt, NC_FORMAT_NETCDF4);
    NC_OK(nc_inq_dimid(ncid, "time", &dimid));
    NC_OK(nc_inq_dimlen(ncid, dimid, &len));
    HS_CHECK_INT(len, N);
    check_text(ncid, NC_GLOBAL, "Conventions", "CF-1.8");
    check_text(ncid, NC_GLOBAL, "source", "hydroscale");
    check_text(ncid, NC_GLOBAL, "domain_name", "bow_lumped");
    check_text(ncid, NC_GLOBAL, "model", "HBV");
    check_text(ncid, NC_GLOBAL, "experiment_id", "run_1");
    char buf[256];
    get_text(ncid, NC_GLOBAL, "title", buf, sizeof buf);
    HS_CHECK(strlen(buf) > 0);
    get_text(ncid, NC_GLOBAL, "history", buf, sizeof buf);
    HS_CHECK_STR_CONTAINS(buf, "hydroscale");
    double area = 0.0;
    NC_OK(nc_get_att_double(ncid, NC_GLOBAL, "basin_area_km2", &area));
    HS_CHECK_CLOSE(area, 2210.0, 0.0);

    double v[N];
    NC_OK(nc_inq_varid(ncid, "time", &varid));
    check_text(ncid, varid, "units", "days since 1970-01-01 00:00:00");
    check_text(ncid, varid, "calendar", "standard");
    check_text(ncid, varid, "standard_name", "time");
    check_text(ncid, varid, "axis", "T");
    NC_OK(nc_get_var_double(ncid, varid, v));
    HS_CHECK_CLOSE(v[0], 10957.0, 0.0); /* 2000-01-01 */
    HS_CHECK_CLOSE(v[N - 1], 10957.0 + N - 1, 0.0);

    const char *names[4] = {"q_sim", "q_obs", "q_sim_mm", "q_obs_mm"};
    const double *want[4] = {s.sim, s.obs, s.sim_mm, s.obs_mm};
    for (int k = 0; k < 4; k++) {
        NC_OK(nc_inq_varid(ncid, names[k], &varid));
        nc_type type;
        NC_OK(nc_inq_vartype(ncid, varid, &type));
        HS_CHECK_INT(type, NC_DOUBLE);
        check_text(ncid, varid, "units", k < 2 ? "m3 s-1" : "mm d-1");
        if (k < 2) check_text(ncid, varid, "standard_name", "water_volume_transport_in_river_channel");
        get_text(ncid, varid, "long_name", buf, sizeof buf);
        HS_CHECK(strlen(buf) > 0);
        double fill = 0.0;
        NC_OK(nc_get_att_double(ncid, varid, "_FillValue", &fill));
        HS_CHECK_CLOSE(fill, -9999.0, 0.0);
        NC_OK(nc_get_var_double(ncid, varid, v));
        for (int i = 0; i < N; i++) {
            if (isnan(want[k][i])) HS_CHECK_CLOSE(v[i], -9999.0, 0.0);
            else HS_CHECK_CLOSE(v[i], want[k][i], 0.0); /* double precision, bit for bit */
        }
    }
    NC_OK(nc_close(ncid));

    /* our own reader understands the file: time axis and fill value */
    hs_series *r = NULL;
    HS_CHECK_INT(hs_series_read(ctx, path, "q_obs", &r), HS_OK);
    if (r) {
        HS_CHECK_INT(r->first_day, hs_day_from_ymd(2000, 1, 1));
        HS_CHECK_INT(r->n, N);
        HS_CHECK(isnan(r->values[3]));
        HS_CHECK_CLOSE(r->values[4], 13.5, 0.0);
    }
    hs_series_destroy(&r);

    /* without observations: q_obs and q_obs_mm are all fill; the file is replaced */
    q.q_obs_m3s = NULL;
    q.q_obs_mm = NULL;
    HS_CHECK_INT(hs_streamflow_write_nc(ctx, path, &q), HS_OK);
    rc = nc_open(path, NC_NOWRITE, &ncid);
    NC_OK(rc);
    if (rc != NC_NOERR) return;
    for (int k = 1; k < 4; k += 2) {
        NC_OK(nc_inq_varid(ncid, names[k], &varid));
        NC_OK(nc_get_var_double(ncid, varid, v));
        int n_fill = 0;
        for (int i = 0; i < N; i++) n_fill += v[i] == -9999.0;
        HS_CHECK_INT(n_fill, N);
    }
    NC_OK(nc_close(ncid));
    HS_CHECK_INT(count_entries(run_dir, ".tmp."), 0);
}

static void test_csv(hs_ctx *ctx, const char *dir) {
    char path[1024];
    snprintf(path, sizeof path, "%s/run/streamflow.csv", dir);
    series s;
    hs_streamflow q = make_q(&s, 2000.0);
    s.sim[5] = 1.0 / 3.0;
    HS_CHECK_INT(hs_streamflow_write_csv(ctx, path, &q), HS_OK);
    char *text = NULL;
    size_t len = 0;
    HS_CHECK_INT(hs_io_read_file(ctx, path, &text, &len), HS_OK);
    if (!text) return;
    /* 10 * 86.4 / 2000 = 0.432; day 3 has no observation; %.10g */
    HS_CHECK(strncmp(text, "date,q_obs_m3s,q_sim_m3s,q_sim_mm\n2000-01-01,9.5,10,0.432\n", 58) == 0);
    HS_CHECK_STR_CONTAINS(text, "\n2000-01-04,,13,0.5616\n");
    HS_CHECK_STR_CONTAINS(text, "\n2000-01-06,14.5,0.3333333333,0.648\n");
    HS_CHECK_STR_CONTAINS(text, "\n2000-01-31,39.5,40,1.728\n");
    hs_free(text);
    /* and back through our reader: consecutive dates, the missing observation as NaN */
    hs_series *r = NULL;
    HS_CHECK_INT(hs_series_read(ctx, path, "q_obs_m3s", &r), HS_OK);
    if (r) {
        HS_CHECK_INT(r->n, N);
        HS_CHECK_INT(r->first_day, hs_day_from_ymd(2000, 1, 1));
        HS_CHECK(isnan(r->values[3]));
        HS_CHECK_CLOSE(r->values[30], 39.5, 0.0);
    }
    hs_series_destroy(&r);
}

/* A writer that fails leaves no file and no temporary file. */
static void test_failures(hs_ctx *ctx, const char *dir) {
    series s;
    hs_streamflow q = make_q(&s, 2210.0);
    char sub[1024], target[1200], blocker[1024];

    /* the target is an existing directory: the temporary file is complete, the rename fails */
    snprintf(sub, sizeof sub, "%s/fail_rename", dir);
    snprintf(target, sizeof target, "%s/streamflow.nc", sub);
    HS_CHECK_INT(hs_io_mkdirs(ctx, target), HS_OK); /* a directory named streamflow.nc */
    remove_stale_temps(sub);
    HS_CHECK_INT(hs_streamflow_write_nc(ctx, target, &q), HS_ERR_IO);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), target);
    snprintf(target, sizeof target, "%s/streamflow.csv", sub);
    HS_CHECK_INT(hs_io_mkdirs(ctx, target), HS_OK);
    HS_CHECK_INT(hs_streamflow_write_csv(ctx, target, &q), HS_ERR_IO);
    HS_CHECK_INT(count_entries(sub, ".tmp."), 0);
    HS_CHECK_INT(count_entries(sub, "streamflow"), 2); /* only the two directories */

    /* the parent "directory" is a regular file: nothing can be created */
    snprintf(blocker, sizeof blocker, "%s/blocker", dir);
    FILE *f = fopen(blocker, "wb");
    HS_CHECK(f != NULL);
    if (f) fclose(f);
    snprintf(target, sizeof target, "%s/run/streamflow.nc", blocker);
    HS_CHECK_INT(hs_streamflow_write_nc(ctx, target, &q), HS_ERR_IO);
    HS_CHECK_INT(hs_streamflow_write_csv(ctx, target, &q), HS_ERR_IO);
    HS_CHECK(!hs_io_is_file(target));

    /* an unwritable directory (root ignores permissions: only checked for other users) */
    snprintf(sub, sizeof sub, "%s/read_only", dir);
    HS_CHECK_INT(hs_io_mkdirs(ctx, sub), HS_OK);
    if (geteuid() != 0 && chmod(sub, 0555) == 0) {
        snprintf(target, sizeof target, "%s/streamflow.nc", sub);
        HS_CHECK_INT(hs_streamflow_write_nc(ctx, target, &q), HS_ERR_IO);
        HS_CHECK_INT(hs_streamflow_write_csv(ctx, target, &q), HS_ERR_IO);
        HS_CHECK_INT(count_entries(sub, "streamflow"), 0);
        chmod(sub, 0755);
    }

    /* bad input: nothing written */
    snprintf(target, sizeof target, "%s/bad_input.nc", dir);
    hs_streamflow empty = q;
    empty.n_time = 0;
    HS_CHECK_INT(hs_streamflow_write_nc(ctx, target, &empty), HS_ERR_ARG);
    empty = q;
    empty.q_sim_m3s = NULL;
    HS_CHECK_INT(hs_streamflow_write_csv(ctx, target, &empty), HS_ERR_ARG);
    HS_CHECK(!hs_io_is_file(target));
    HS_CHECK_INT(count_entries(dir, ".tmp."), 0);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "test_streamflow.d";
    hs_ctx *ctx = hs_ctx_create();
    HS_CHECK(ctx != NULL);
    if (!ctx) HS_TEST_REPORT();
    HS_CHECK_INT(hs_io_mkdirs(ctx, dir), HS_OK);
    remove_stale_temps(dir);
    test_nc(ctx, dir);
    test_csv(ctx, dir);
    test_failures(ctx, dir);
    if (argc > 2) { /* the file test_streamflow_xarray opens */
        series s;
        hs_streamflow q = make_q(&s, 2210.0);
        remove(argv[2]);
        HS_CHECK_INT(hs_streamflow_write_nc(ctx, argv[2], &q), HS_OK);
    }
    hs_ctx_destroy(&ctx);
    HS_TEST_REPORT();
}
