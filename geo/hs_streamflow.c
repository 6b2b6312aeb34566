/* hs_streamflow.c -- writers of run/streamflow.nc (CF-1.8, netCDF-4) and run/streamflow.csv.
 *
 * Both files appear atomically (STYLE.md §5): the netCDF file is created by netCDF-C under a
 * temporary name beside the target (hs_io_temp_name) and renamed into place after nc_close;
 * any failure removes the temporary file. The CSV goes through hs_io_writer. Missing values
 * (NaN, or an absent observation series) are written as _FillValue = -9999 in netCDF (xarray
 * decodes them to NaN) and as empty fields in the CSV. Time is "days since 1970-01-01 00:00:00"
 * in the standard calendar, i.e. the hs_day value itself. */
#define _POSIX_C_SOURCE 200809L /* gmtime_r */
#include "hs_streamflow.h"

#include <math.h>
#include <netcdf.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hs_io.h"

#define HS_Q_FILL (-9999.0)
#define HS_PATH_CAP 4200

static hs_status check_input(hs_ctx *ctx, const char *path, const hs_streamflow *q) {
    if (!path || !q) return HS_FAIL(ctx, HS_ERR_ARG, "streamflow writer: NULL path or data");
    if (q->n_time == 0)
        return HS_FAIL(ctx, HS_ERR_ARG, "%s: no time steps to write", path);
    if (!q->q_sim_m3s || !q->q_sim_mm)
        return HS_FAIL(ctx, HS_ERR_ARG, "%s: simulated discharge (m3 s-1 and mm d-1) is required",
                       path);
    return HS_OK;
}

/* ---------------------------------------------------------------------------------------------
 * netCDF */

typedef struct nc_writer {
    hs_ctx *ctx;
    const char *path; /* the target, for messages */
    int ncid;
} nc_writer;

static hs_status nc_fail(const nc_writer *w, const char *var, int rc, const char *what) {
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

static hs_status put_text(const nc_writer *w, int varid, const char *name, const char *value) {
    const char *v = value ? value : "";
    NC_TRY(w, varid == NC_GLOBAL ? NULL : name,
           nc_put_att_text(w->ncid, varid, name, strlen(v), v), "write attribute");
    return HS_OK;
}

/* Defines a double (time) variable with the discharge attributes. */
static hs_status def_q(const nc_writer *w, int dim, const char *name, const char *long_name,
                       bool m3s, int *varid) {
    static const double fill = HS_Q_FILL;
    NC_TRY(w, name, nc_def_var(w->ncid, name, NC_DOUBLE, 1, &dim, varid), "define");
    NC_TRY(w, name, nc_put_att_double(w->ncid, *varid, "_FillValue", NC_DOUBLE, 1, &fill),
           "write attribute");
    HS_TRY(put_text(w, *varid, "long_name", long_name));
    HS_TRY(put_text(w, *varid, "units", m3s ? "m3 s-1" : "mm d-1"));
    if (m3s)
        HS_TRY(put_text(w, *varid, "standard_name", "water_volume_transport_in_river_channel"));
    HS_TRY(put_text(w, *varid, "cell_methods", "time: mean"));
    return HS_OK;
}

/* Writes one variable; NaN (or an absent series) becomes the fill value. `buf` is scratch. */
static hs_status put_q(const nc_writer *w, int varid, const char *name, const double *v,
                       size_t n, double *buf) {
    for (size_t i = 0; i < n; i++) buf[i] = (v && !isnan(v[i])) ? v[i] : HS_Q_FILL;
    NC_TRY(w, name, nc_put_var_double(w->ncid, varid, buf), "write");
    hs_io_count_write(w->ctx, (uint64_t)(n * sizeof(double)), 1);
    return HS_OK;
}

/* Everything between nc_create and nc_close; the caller closes and cleans up. */
static hs_status write_nc_body(const nc_writer *w, const hs_streamflow *q, double *buf) {
    const int ncid = w->ncid;
    const size_t n = q->n_time;
    int dim, v_time, v_sim, v_obs, v_sim_mm, v_obs_mm;
    NC_TRY(w, NULL, nc_def_dim(ncid, "time", n, &dim), "define dimension 'time'");

    NC_TRY(w, "time", nc_def_var(ncid, "time", NC_DOUBLE, 1, &dim, &v_time), "define");
    HS_TRY(put_text(w, v_time, "standard_name", "time"));
    HS_TRY(put_text(w, v_time, "long_name", "time"));
    HS_TRY(put_text(w, v_time, "units", "days since 1970-01-01 00:00:00"));
    HS_TRY(put_text(w, v_time, "calendar", "standard"));
    HS_TRY(put_text(w, v_time, "axis", "T"));

    HS_TRY(def_q(w, dim, "q_sim", "simulated discharge at the outlet", true, &v_sim));
    HS_TRY(def_q(w, dim, "q_obs", "observed discharge at the outlet", true, &v_obs));
    HS_TRY(def_q(w, dim, "q_sim_mm", "simulated discharge as depth over the basin area", false,
                 &v_sim_mm));
    HS_TRY(def_q(w, dim, "q_obs_mm", "observed discharge as depth over the basin area", false,
                 &v_obs_mm));

    char history[128] = "hydroscale";
    time_t now = time(NULL);
    struct tm tm_utc;
    if (now != (time_t)-1 && gmtime_r(&now, &tm_utc))
        strftime(history, sizeof history, "%Y-%m-%dT%H:%M:%SZ: written by hydroscale",
                 &tm_utc);
    HS_TRY(put_text(w, NC_GLOBAL, "Conventions", "CF-1.8"));
    HS_TRY(put_text(w, NC_GLOBAL, "title", "Simulated and observed discharge at the basin outlet"));
    HS_TRY(put_text(w, NC_GLOBAL, "source", "hydroscale"));
    HS_TRY(put_text(w, NC_GLOBAL, "history", history));
    HS_TRY(put_text(w, NC_GLOBAL, "domain_name", q->domain_name));
    HS_TRY(put_text(w, NC_GLOBAL, "model", q->model_name));
    HS_TRY(put_text(w, NC_GLOBAL, "experiment_id", q->experiment_id));
    NC_TRY(w, NULL, nc_put_att_double(ncid, NC_GLOBAL, "basin_area_km2", NC_DOUBLE, 1, &q->area_km2),
           "write attribute 'basin_area_km2'");
    int d_seg = -1, v_segid = -1, v_qseg = -1;
    if (q->n_seg > 0) {
        /* docs-interface.md §3: q_seg(time, seg) with segId(seg), mizuRoute's names */
        NC_TRY(w, NULL, nc_def_dim(ncid, "seg", q->n_seg, &d_seg), "define dimension 'seg'");
        NC_TRY(w, "segId", nc_def_var(ncid, "segId", NC_INT64, 1, &d_seg, &v_segid), "define");
        HS_TRY(put_text(w, v_segid, "long_name", "river segment id (mizuRoute segId)"));
        int dims[2] = {dim, d_seg};
        NC_TRY(w, "q_seg", nc_def_var(ncid, "q_seg", NC_DOUBLE, 2, dims, &v_qseg), "define");
        HS_TRY(put_text(w, v_qseg, "long_name", "routed discharge of each river segment"));
        HS_TRY(put_text(w, v_qseg, "standard_name", "water_volume_transport_in_river_channel"));
        HS_TRY(put_text(w, v_qseg, "units", "m3 s-1"));
    }
    NC_TRY(w, NULL, nc_enddef(ncid), "end of definitions");
    if (q->n_seg > 0) {
        NC_TRY(w, "segId", nc_put_var_longlong(ncid, v_segid, q->seg_id), "write");
        NC_TRY(w, "q_seg", nc_put_var_double(ncid, v_qseg, q->q_seg_m3s), "write");
        hs_io_count_write(w->ctx, (uint64_t)(q->n_seg * (n + 1) * sizeof(double)), 2);
    }

    for (size_t i = 0; i < n; i++) buf[i] = (double)(q->first_day + (hs_day)i);
    NC_TRY(w, "time", nc_put_var_double(ncid, v_time, buf), "write");
    hs_io_count_write(w->ctx, (uint64_t)(n * sizeof(double)), 1);
    HS_TRY(put_q(w, v_sim, "q_sim", q->q_sim_m3s, n, buf));
    HS_TRY(put_q(w, v_obs, "q_obs", q->q_obs_m3s, n, buf));
    HS_TRY(put_q(w, v_sim_mm, "q_sim_mm", q->q_sim_mm, n, buf));
    HS_TRY(put_q(w, v_obs_mm, "q_obs_mm", q->q_obs_mm, n, buf));
    return HS_OK;
}

hs_status hs_streamflow_write_nc(hs_ctx *ctx, const char *path, const hs_streamflow *q) {
    HS_TRY(check_input(ctx, path, q));
    double *buf = NULL;
    HS_TRY(HS_ALLOC_ARRAY(ctx, buf, q->n_time, "streamflow buffer"));
    char tmp[HS_PATH_CAP];
    hs_status st = hs_io_temp_name(ctx, path, tmp, sizeof tmp);
    if (st != HS_OK) {
        hs_free(buf);
        return st;
    }
    nc_writer w = {ctx, path, -1};
    int rc = nc_create(tmp, NC_NETCDF4 | NC_CLOBBER, &w.ncid);
    if (rc != NC_NOERR) {
        hs_free(buf);
        remove(tmp);
        return nc_fail(&w, NULL, rc, "cannot create");
    }
    st = write_nc_body(&w, q, buf);
    rc = nc_close(w.ncid);
    if (st == HS_OK && rc != NC_NOERR) st = nc_fail(&w, NULL, rc, "close");
    hs_free(buf);
    if (st != HS_OK) {
        remove(tmp);
        return st;
    }
    return hs_io_rename_into_place(ctx, tmp, path); /* removes tmp on failure */
}

/* ---------------------------------------------------------------------------------------------
 * CSV */

/* %.10g, or "" for a missing value; buf holds at least 32 bytes. */
static const char *fmt_value(const double *v, size_t i, char *buf, size_t cap) {
    if (!v || isnan(v[i])) return "";
    snprintf(buf, cap, "%.10g", v[i]);
    return buf;
}

hs_status hs_streamflow_write_csv(hs_ctx *ctx, const char *path, const hs_streamflow *q) {
    HS_TRY(check_input(ctx, path, q));
    hs_io_writer *w = NULL;
    HS_TRY(hs_io_writer_open(ctx, path, &w));
    hs_status st = hs_io_writer_printf(w, "date,q_obs_m3s,q_sim_m3s,q_sim_mm\n");
    for (size_t i = 0; i < q->n_time && st == HS_OK; i++) {
        char date[16], obs[32], sim[32], sim_mm[32];
        st = hs_io_writer_printf(w, "%s,%s,%s,%s\n", hs_day_format(q->first_day + (hs_day)i, date),
                                 fmt_value(q->q_obs_m3s, i, obs, sizeof obs),
                                 fmt_value(q->q_sim_m3s, i, sim, sizeof sim),
                                 fmt_value(q->q_sim_mm, i, sim_mm, sizeof sim_mm));
    }
    if (st != HS_OK) {
        hs_io_writer_abort(&w);
        return st;
    }
    return hs_io_writer_commit(&w);
}
