/* hs_mizu.c -- mizuRoute topology and runoff readers, routed-discharge writer (netCDF-C).
 * See hs_mizu.h for the formats. netCDF codes are turned into hs_status once, here, keeping
 * nc_strerror's text (STYLE.md §4). */
#define _POSIX_C_SOURCE 200809L /* gmtime_r */
#include "hs_mizu.h"

#include <math.h>
#include <stdbool.h>
#include <netcdf.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hs_io.h"

#define MIZU_PATH_CAP 4200
#define MIZU_FILL (-9999.0)

static hs_status nc_code(int rc) {
    if (rc > 0) return HS_ERR_IO;
    if (rc == NC_ENOTNC || rc == NC_EHDFERR || rc == NC_ENOTVAR || rc == NC_EBADDIM ||
        rc == NC_ENOTATT || rc == NC_ECHAR || rc == NC_ERANGE)
        return HS_ERR_FORMAT;
    if (rc == NC_ENOMEM) return HS_ERR_NOMEM;
    return HS_ERR_EXTERNAL;
}

static hs_status fail_nc(hs_ctx *ctx, const char *path, const char *var, int rc,
                         const char *what) {
    if (var)
        return HS_FAIL(ctx, nc_code(rc), "%s: variable '%s': %s: %s", path, var, what,
                       nc_strerror(rc));
    return HS_FAIL(ctx, nc_code(rc), "%s: %s: %s", path, what, nc_strerror(rc));
}

#define NC_CHECK(ctx, path, var, call, what)                                                     \
    do {                                                                                          \
        int nc_rc_ = (call);                                                                      \
        if (nc_rc_ != NC_NOERR) return fail_nc((ctx), (path), (var), nc_rc_, (what));              \
    } while (0)

/* Text attribute into buf ("" and false when absent or not text); trailing NULs/blanks cut. */
static bool get_text_att(int ncid, int varid, const char *name, char *buf, size_t cap) {
    nc_type t;
    size_t len;
    buf[0] = '\0';
    if (nc_inq_att(ncid, varid, name, &t, &len) != NC_NOERR) return false;
    if (t == NC_STRING && len == 1) {
        char *str[1] = {NULL};
        if (nc_get_att_string(ncid, varid, name, str) != NC_NOERR) return false;
        if (str[0]) snprintf(buf, cap, "%s", str[0]);
        nc_free_string(1, str);
    } else if (t == NC_CHAR && len < cap) {
        if (nc_get_att_text(ncid, varid, name, buf) != NC_NOERR) return false;
        buf[len] = '\0';
    } else {
        return false;
    }
    size_t n = strlen(buf);
    while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t')) buf[--n] = '\0';
    return true;
}

static bool get_num_att(int ncid, int varid, const char *name, double *v) {
    nc_type t;
    size_t len;
    if (nc_inq_att(ncid, varid, name, &t, &len) != NC_NOERR || len != 1 || t == NC_CHAR ||
        t == NC_STRING)
        return false;
    return nc_get_att_double(ncid, varid, name, v) == NC_NOERR;
}

/* Looks up a 1-D variable; its dimension id and length. HS_ERR_FORMAT names it when absent. */
static hs_status find_1d(hs_ctx *ctx, const char *path, int ncid, const char *name, int *varid,
                         int *dimid, size_t *len) {
    int rc = nc_inq_varid(ncid, name, varid);
    if (rc == NC_ENOTVAR)
        return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: no variable '%s' (a mizuRoute topology needs "
                       "segId, downSegId, length, slope, hruId, hruSegId, area)", path, name);
    NC_CHECK(ctx, path, name, rc, "inquire");
    int nd;
    NC_CHECK(ctx, path, name, nc_inq_varndims(ncid, *varid, &nd), "inquire");
    if (nd != 1)
        return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: variable '%s' has %d dimensions; expected 1",
                       path, name, nd);
    NC_CHECK(ctx, path, name, nc_inq_vardimid(ncid, *varid, dimid), "inquire");
    NC_CHECK(ctx, path, name, nc_inq_dimlen(ncid, *dimid, len), "inquire");
    return HS_OK;
}

/* Reads a 1-D variable over dimension `dimid` (named `dim_name` in messages) as int64 or double
 * (exactly one of ids/vals non-NULL). */
static hs_status read_1d(hs_ctx *ctx, const char *path, int ncid, const char *name, int dimid,
                         const char *dim_of, size_t n, int64_t *ids, double *vals) {
    int varid, d;
    size_t len;
    HS_TRY(find_1d(ctx, path, ncid, name, &varid, &d, &len));
    if (d != dimid) {
        char dn[NC_MAX_NAME + 1] = "?";
        nc_inq_dimname(ncid, d, dn);
        return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: variable '%s' is over dimension '%s'; expected "
                       "the dimension of %s (%zu values)", path, name, dn, dim_of, n);
    }
    if (ids) {
        long long *tmp = NULL;
        HS_TRY(HS_ALLOC_ARRAY(ctx, tmp, n, "topology ids"));
        int rc = nc_get_var_longlong(ncid, varid, tmp);
        if (rc != NC_NOERR) {
            hs_free(tmp);
            return fail_nc(ctx, path, name, rc, "read");
        }
        for (size_t i = 0; i < n; i++) ids[i] = (int64_t)tmp[i];
        hs_free(tmp);
    } else {
        NC_CHECK(ctx, path, name, nc_get_var_double(ncid, varid, vals), "read");
    }
    hs_io_count_read(ctx, (uint64_t)(n * 8), 1);
    return HS_OK;
}

void hs_topology_destroy(hs_topology **t) {
    if (!t || !*t) return;
    hs_free((*t)->seg_id);
    hs_free((*t)->down_seg_id);
    hs_free((*t)->length_m);
    hs_free((*t)->slope);
    hs_free((*t)->hru_id);
    hs_free((*t)->hru_seg_id);
    hs_free((*t)->area_m2);
    hs_free((*t)->elev_m);
    hs_free((*t)->lat);
    hs_free((*t)->lon);
    hs_free(*t);
    *t = NULL;
}

static hs_status topology_body(hs_ctx *ctx, const char *path, int ncid, hs_topology *t) {
    int v, seg_dim, hru_dim;
    HS_TRY(find_1d(ctx, path, ncid, "segId", &v, &seg_dim, &t->n_seg));
    bool has_hru_id = nc_inq_varid(ncid, "hruId", &v) == NC_NOERR;
    HS_TRY(find_1d(ctx, path, ncid, has_hru_id ? "hruId" : "hruSegId", &v, &hru_dim, &t->n_hru));
    if (t->n_seg == 0) return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: the network has no segments", path);
    const size_t ns = t->n_seg, nh = t->n_hru;
    HS_TRY(HS_ALLOC_ARRAY(ctx, t->seg_id, ns, "segId"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, t->down_seg_id, ns, "downSegId"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, t->length_m, ns, "length"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, t->slope, ns, "slope"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, t->hru_id, nh, "hruId"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, t->hru_seg_id, nh, "hruSegId"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, t->area_m2, nh, "area"));
    HS_TRY(read_1d(ctx, path, ncid, "segId", seg_dim, "segId", ns, t->seg_id, NULL));
    HS_TRY(read_1d(ctx, path, ncid, "downSegId", seg_dim, "segId", ns, t->down_seg_id, NULL));
    HS_TRY(read_1d(ctx, path, ncid, "length", seg_dim, "segId", ns, NULL, t->length_m));
    HS_TRY(read_1d(ctx, path, ncid, "slope", seg_dim, "segId", ns, NULL, t->slope));
    if (has_hru_id) HS_TRY(read_1d(ctx, path, ncid, "hruId", hru_dim, "hruId", nh, t->hru_id, NULL));
    else
        for (size_t h = 0; h < nh; h++) t->hru_id[h] = (int64_t)h + 1;
    HS_TRY(read_1d(ctx, path, ncid, "hruSegId", hru_dim, "hruId", nh, t->hru_seg_id, NULL));
    HS_TRY(read_1d(ctx, path, ncid, "area", hru_dim, "hruId", nh, NULL, t->area_m2));
    /* a hydroscale domain file also describes the HRUs: read what is there */
    static const char *const opt[3] = {"elev_mean", "lat", "lon"};
    double **dst[3] = {&t->elev_m, &t->lat, &t->lon};
    for (int k = 0; k < 3; k++) {
        if (nc_inq_varid(ncid, opt[k], &v) != NC_NOERR) continue;
        HS_TRY(HS_ALLOC_ARRAY(ctx, *dst[k], nh, opt[k]));
        HS_TRY(read_1d(ctx, path, ncid, opt[k], hru_dim, "hruId", nh, NULL, *dst[k]));
    }
    int gdim;
    if (nc_inq_dimid(ncid, "gru", &gdim) == NC_NOERR) nc_inq_dimlen(ncid, gdim, &t->n_gru);
    return HS_OK;
}

hs_status hs_topology_read(hs_ctx *ctx, const char *path, hs_topology **out) {
    if (!path || !out) return HS_FAIL(ctx, HS_ERR_ARG, "topology reader: NULL argument");
    *out = NULL;
    int ncid;
    int rc = nc_open(path, NC_NOWRITE, &ncid);
    if (rc != NC_NOERR) return fail_nc(ctx, path, NULL, rc, "cannot open the topology file");
    hs_topology *t = NULL;
    hs_status st = hs_alloc(ctx, 1, sizeof *t, "topology", (void **)&t);
    if (st == HS_OK) st = topology_body(ctx, path, ncid, t);
    nc_close(ncid);
    if (st != HS_OK) {
        hs_topology_destroy(&t);
        return st;
    }
    *out = t;
    return HS_OK;
}

/* ---------------------------------------------------------------------------------------------
 * runoff */

void hs_runoff_destroy(hs_runoff **r) {
    if (!r || !*r) return;
    hs_free((*r)->time);
    hs_free((*r)->hru_id);
    hs_free((*r)->runoff_ms);
    hs_free(*r);
    *r = NULL;
}

/* Lower-case, '/' and '*' to spaces, "**" and "^" dropped, spaces collapsed: "mm/d" -> "mm d",
 * "kg m-2 s-1" stays, "mm day^-1" -> "mm day-1". */
static void normalize_units(const char *in, char *out, size_t cap) {
    size_t n = 0;
    for (const char *p = in; *p && n + 1 < cap; p++) {
        char c = *p;
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c == '^' || (c == '*' && p[1] == '*')) {
            if (c == '*') p++;
            continue;
        }
        if (c == '/' || c == '\t') c = ' ';
        if (c == ' ' && (n == 0 || out[n - 1] == ' ')) continue;
        out[n++] = c;
    }
    while (n > 0 && out[n - 1] == ' ') n--;
    out[n] = '\0';
}

/* Factor from the runoff's units to m/s; false when unknown. */
static bool runoff_factor(const char *units, double *f) {
    static const struct {
        const char *u;
        double f;
    } table[] = {
        {"m s-1", 1.0},           {"m s", 1.0},
        {"mm s-1", 1e-3},         {"mm s", 1e-3},
        {"kg m-2 s-1", 1e-3},     {"kg m2 s", 1e-3},
        {"mm d-1", 1e-3 / 86400}, {"mm d", 1e-3 / 86400},
        {"mm day-1", 1e-3 / 86400}, {"mm day", 1e-3 / 86400},
        {"mm h-1", 1e-3 / 3600},  {"mm h", 1e-3 / 3600},
        {"mm hr-1", 1e-3 / 3600}, {"mm hr", 1e-3 / 3600},
        {"m d-1", 1.0 / 86400},   {"m d", 1.0 / 86400},
        {"m day-1", 1.0 / 86400}, {"m day", 1.0 / 86400},
    };
    char norm[64];
    normalize_units(units, norm, sizeof norm);
    for (size_t i = 0; i < sizeof table / sizeof *table; i++)
        if (strcmp(norm, table[i].u) == 0) {
            *f = table[i].f;
            return true;
        }
    return false;
}

/* Seconds per unit of CF time units "<unit> since ..."; 0 when not understood. */
static double time_unit_s(const char *units) {
    static const struct {
        const char *w;
        double s;
    } table[] = {{"seconds", 1}, {"second", 1}, {"secs", 1}, {"sec", 1}, {"s", 1},
                 {"minutes", 60}, {"minute", 60}, {"mins", 60}, {"min", 60},
                 {"hours", 3600}, {"hour", 3600}, {"hrs", 3600}, {"hr", 3600}, {"h", 3600},
                 {"days", 86400}, {"day", 86400}, {"d", 86400}};
    char word[32];
    size_t n = 0;
    const char *p = units;
    while (*p == ' ') p++;
    while (*p && *p != ' ' && n + 1 < sizeof word) {
        char c = *p++;
        word[n++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    word[n] = '\0';
    while (*p == ' ') p++;
    if (strncmp(p, "since", 5) != 0) return 0.0;
    for (size_t i = 0; i < sizeof table / sizeof *table; i++)
        if (strcmp(word, table[i].w) == 0) return table[i].s;
    return 0.0;
}

static hs_status read_time(hs_ctx *ctx, const char *path, int ncid, hs_runoff *r, int *dimid) {
    int varid;
    size_t n;
    HS_TRY(find_1d(ctx, path, ncid, "time", &varid, dimid, &n));
    if (n < 2)
        return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: 'time' has %zu value(s); routing needs at least "
                       "2 to know the step", path, n);
    if (!get_text_att(ncid, varid, "units", r->time_units, sizeof r->time_units))
        return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: variable 'time' has no units (expected e.g. "
                       "'days since 1970-01-01')", path);
    get_text_att(ncid, varid, "calendar", r->calendar, sizeof r->calendar);
    const double unit = time_unit_s(r->time_units);
    if (unit == 0.0)
        return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: variable 'time': units '%s' not understood "
                       "(expected 'seconds|minutes|hours|days since DATE')", path, r->time_units);
    r->n_time = n;
    HS_TRY(HS_ALLOC_ARRAY(ctx, r->time, n, "runoff time"));
    NC_CHECK(ctx, path, "time", nc_get_var_double(ncid, varid, r->time), "read");
    hs_io_count_read(ctx, (uint64_t)(n * sizeof(double)), 1);
    const double step = r->time[1] - r->time[0];
    for (size_t i = 1; i < n; i++) {
        const double d = r->time[i] - r->time[i - 1];
        if (!(step > 0.0) || fabs(d - step) > 1e-6 * step)
            return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: 'time' is not at a constant positive step "
                           "(values %zu and %zu are %g %s apart, the first step is %g)", path,
                           i - 1, i, d, r->time_units, step);
    }
    r->dt_s = step * unit;
    return HS_OK;
}

static hs_status runoff_body(hs_ctx *ctx, const char *path, const char *var, int ncid,
                             hs_runoff *r) {
    int time_dim;
    HS_TRY(read_time(ctx, path, ncid, r, &time_dim));
    int varid, nd, dims[NC_MAX_VAR_DIMS];
    int rc = nc_inq_varid(ncid, var, &varid);
    if (rc == NC_ENOTVAR)
        return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: no runoff variable '%s' (RUNOFF_VARIABLE)", path,
                       var);
    NC_CHECK(ctx, path, var, rc, "inquire");
    NC_CHECK(ctx, path, var, nc_inq_varndims(ncid, varid, &nd), "inquire");
    if (nd != 2)
        return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: variable '%s' has %d dimensions; expected 2 "
                       "(time, hru)", path, var, nd);
    NC_CHECK(ctx, path, var, nc_inq_vardimid(ncid, varid, dims), "inquire");
    const bool time_first = dims[0] == time_dim;
    if (!time_first && dims[1] != time_dim)
        return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: variable '%s' is not over the 'time' dimension",
                       path, var);
    const int hru_dim = time_first ? dims[1] : dims[0];
    NC_CHECK(ctx, path, var, nc_inq_dimlen(ncid, hru_dim, &r->n_hru), "inquire");
    char units[64];
    if (!get_text_att(ncid, varid, "units", units, sizeof units))
        return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: variable '%s' has no units attribute (expected "
                       "e.g. 'mm d-1', 'mm s-1' or 'm s-1')", path, var);
    snprintf(r->units, sizeof r->units, "%s", units);
    double factor;
    if (!runoff_factor(units, &factor))
        return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: variable '%s' has units '%s'; runoff needs a "
                       "depth rate (m s-1, mm s-1, kg m-2 s-1, mm d-1, mm h-1, m d-1)", path, var,
                       units);
    const size_t nt = r->n_time, nh = r->n_hru, n = nt * nh;
    double *raw = NULL;
    HS_TRY(HS_ALLOC_ARRAY(ctx, r->runoff_ms, n, "runoff"));
    HS_TRY(HS_ALLOC_ARRAY(ctx, raw, n, "runoff"));
    rc = nc_get_var_double(ncid, varid, raw);
    if (rc != NC_NOERR) {
        hs_free(raw);
        return fail_nc(ctx, path, var, rc, "read");
    }
    hs_io_count_read(ctx, (uint64_t)(n * sizeof(double)), 1);
    double fill = NAN, missing = NAN, scale = 1.0, offset = 0.0;
    bool has_fill = get_num_att(ncid, varid, "_FillValue", &fill);
    bool has_missing = get_num_att(ncid, varid, "missing_value", &missing);
    if (!has_fill) {
        nc_type type;
        if (nc_inq_vartype(ncid, varid, &type) == NC_NOERR &&
            (type == NC_FLOAT || type == NC_DOUBLE)) {
            fill = type == NC_FLOAT ? (double)NC_FILL_FLOAT : NC_FILL_DOUBLE;
            has_fill = true;
        }
    }
    get_num_att(ncid, varid, "scale_factor", &scale);
    get_num_att(ncid, varid, "add_offset", &offset);
    hs_status st = HS_OK;
    for (size_t t = 0; t < nt && st == HS_OK; t++)
        for (size_t h = 0; h < nh; h++) {
            const double v = raw[time_first ? t * nh + h : h * nt + t];
            if (isnan(v) || (has_fill && v == fill) || (has_missing && v == missing)) {
                st = HS_FAIL(ctx, HS_ERR_FORMAT, "%s: variable '%s' is missing at time index %zu"
                             ", HRU column %zu; routing needs complete runoff", path, var, t, h);
                break;
            }
            r->runoff_ms[t * nh + h] = (v * scale + offset) * factor;
        }
    hs_free(raw);
    HS_TRY(st);
    /* the HRU of each column, when the file says */
    static const char *const id_names[] = {"hruId", "gruId", "hru_id", "HRU_ID", "hru", "gru"};
    for (size_t k = 0; k < sizeof id_names / sizeof *id_names; k++) {
        int idv, d;
        if (nc_inq_varid(ncid, id_names[k], &idv) != NC_NOERR) continue;
        if (nc_inq_varndims(ncid, idv, &nd) != NC_NOERR || nd != 1) continue;
        if (nc_inq_vardimid(ncid, idv, &d) != NC_NOERR || d != hru_dim) continue;
        HS_TRY(HS_ALLOC_ARRAY(ctx, r->hru_id, nh, "runoff HRU ids"));
        return read_1d(ctx, path, ncid, id_names[k], hru_dim, var, nh, r->hru_id, NULL);
    }
    return HS_OK;
}

hs_status hs_runoff_read(hs_ctx *ctx, const char *path, const char *var, hs_runoff **out) {
    if (!path || !var || !out) return HS_FAIL(ctx, HS_ERR_ARG, "runoff reader: NULL argument");
    *out = NULL;
    int ncid;
    int rc = nc_open(path, NC_NOWRITE, &ncid);
    if (rc != NC_NOERR) return fail_nc(ctx, path, NULL, rc, "cannot open the runoff file");
    hs_runoff *r = NULL;
    hs_status st = hs_alloc(ctx, 1, sizeof *r, "runoff", (void **)&r);
    if (st == HS_OK) st = runoff_body(ctx, path, var, ncid, r);
    nc_close(ncid);
    if (st != HS_OK) {
        hs_runoff_destroy(&r);
        return st;
    }
    *out = r;
    return HS_OK;
}

/* ---------------------------------------------------------------------------------------------
 * routed discharge */

static hs_status put_text(hs_ctx *ctx, const char *path, int ncid, int varid, const char *name,
                          const char *value) {
    const char *v = value ? value : "";
    NC_CHECK(ctx, path, varid == NC_GLOBAL ? NULL : name,
             nc_put_att_text(ncid, varid, name, strlen(v), v), "write attribute");
    return HS_OK;
}

static hs_status routed_body(hs_ctx *ctx, const char *path, int ncid, const hs_routed *r) {
    int d_time, d_seg, v_time, v_seg, v_q;
    NC_CHECK(ctx, path, NULL, nc_def_dim(ncid, "time", r->n_time, &d_time), "define 'time'");
    NC_CHECK(ctx, path, NULL, nc_def_dim(ncid, "seg", r->n_seg, &d_seg), "define 'seg'");
    NC_CHECK(ctx, path, "time", nc_def_var(ncid, "time", NC_DOUBLE, 1, &d_time, &v_time),
             "define");
    HS_TRY(put_text(ctx, path, ncid, v_time, "standard_name", "time"));
    HS_TRY(put_text(ctx, path, ncid, v_time, "long_name", "time (start of the averaging step)"));
    HS_TRY(put_text(ctx, path, ncid, v_time, "units", r->time_units));
    HS_TRY(put_text(ctx, path, ncid, v_time, "calendar",
                    r->calendar && *r->calendar ? r->calendar : "standard"));
    HS_TRY(put_text(ctx, path, ncid, v_time, "axis", "T"));
    NC_CHECK(ctx, path, "segId", nc_def_var(ncid, "segId", NC_INT64, 1, &d_seg, &v_seg), "define");
    HS_TRY(put_text(ctx, path, ncid, v_seg, "long_name", "segment id (mizuRoute segId)"));
    HS_TRY(put_text(ctx, path, ncid, v_seg, "cf_role", "timeseries_id"));
    const int dq[2] = {d_time, d_seg};
    NC_CHECK(ctx, path, "q_seg", nc_def_var(ncid, "q_seg", NC_DOUBLE, 2, dq, &v_q), "define");
    static const double fill = MIZU_FILL;
    NC_CHECK(ctx, path, "q_seg", nc_put_att_double(ncid, v_q, "_FillValue", NC_DOUBLE, 1, &fill),
             "write attribute");
    HS_TRY(put_text(ctx, path, ncid, v_q, "long_name",
                    "routed discharge at the segment outlet, mean over the step"));
    HS_TRY(put_text(ctx, path, ncid, v_q, "standard_name",
                    "water_volume_transport_in_river_channel"));
    HS_TRY(put_text(ctx, path, ncid, v_q, "units", "m3 s-1"));
    HS_TRY(put_text(ctx, path, ncid, v_q, "cell_methods", "time: mean"));
    char history[128] = "hydroscale";
    time_t now = time(NULL);
    struct tm tm_utc;
    if (now != (time_t)-1 && gmtime_r(&now, &tm_utc))
        strftime(history, sizeof history, "%Y-%m-%dT%H:%M:%SZ: written by hydroscale route",
                 &tm_utc);
    HS_TRY(put_text(ctx, path, ncid, NC_GLOBAL, "Conventions", "CF-1.8"));
    HS_TRY(put_text(ctx, path, ncid, NC_GLOBAL, "title", "Routed discharge per river segment"));
    HS_TRY(put_text(ctx, path, ncid, NC_GLOBAL, "source", "hydroscale"));
    HS_TRY(put_text(ctx, path, ncid, NC_GLOBAL, "history", history));
    HS_TRY(put_text(ctx, path, ncid, NC_GLOBAL, "routing_model", r->routing_model));
    HS_TRY(put_text(ctx, path, ncid, NC_GLOBAL, "domain_name", r->domain_name));
    HS_TRY(put_text(ctx, path, ncid, NC_GLOBAL, "experiment_id", r->experiment_id));
    NC_CHECK(ctx, path, NULL, nc_enddef(ncid), "end of definitions");
    NC_CHECK(ctx, path, "time", nc_put_var_double(ncid, v_time, r->time), "write");
    const long long *ids = NULL;
    long long *tmp = NULL;
    HS_TRY(HS_ALLOC_ARRAY(ctx, tmp, r->n_seg, "segId buffer"));
    for (size_t s = 0; s < r->n_seg; s++) tmp[s] = (long long)r->seg_id[s];
    ids = tmp;
    int rc = nc_put_var_longlong(ncid, v_seg, ids);
    hs_free(tmp);
    if (rc != NC_NOERR) return fail_nc(ctx, path, "segId", rc, "write");
    NC_CHECK(ctx, path, "q_seg", nc_put_var_double(ncid, v_q, r->q_m3s), "write");
    hs_io_count_write(ctx, (uint64_t)((r->n_time * (r->n_seg + 1) + r->n_seg) * 8), 3);
    return HS_OK;
}

hs_status hs_routed_write_nc(hs_ctx *ctx, const char *path, const hs_routed *r) {
    if (!path || !r || !r->time || !r->time_units || !r->seg_id || !r->q_m3s)
        return HS_FAIL(ctx, HS_ERR_ARG, "routed writer: NULL argument");
    if (r->n_time == 0 || r->n_seg == 0)
        return HS_FAIL(ctx, HS_ERR_ARG, "%s: nothing to write (%zu steps, %zu segments)", path,
                       r->n_time, r->n_seg);
    char tmp[MIZU_PATH_CAP];
    HS_TRY(hs_io_temp_name(ctx, path, tmp, sizeof tmp));
    int ncid;
    int rc = nc_create(tmp, NC_NETCDF4 | NC_CLOBBER, &ncid);
    if (rc != NC_NOERR) {
        remove(tmp);
        return fail_nc(ctx, path, NULL, rc, "cannot create");
    }
    hs_status st = routed_body(ctx, path, ncid, r);
    rc = nc_close(ncid);
    if (st == HS_OK && rc != NC_NOERR) st = fail_nc(ctx, path, NULL, rc, "close");
    if (st != HS_OK) {
        remove(tmp);
        return st;
    }
    return hs_io_rename_into_place(ctx, tmp, path);
}
