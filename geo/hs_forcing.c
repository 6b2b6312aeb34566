/* hs_forcing.c -- forcing and observation readers: daily CSV (hs_csv.c) and CF netCDF.
 *
 * netCDF follows the CF conventions (CF-1.8 §4.4 time coordinate, §8.1 packed data, §2.5.1
 * missing data): the time coordinate "<unit> since <reference>" is turned into whole days since
 * 1970-01-01 and must step by one day; packed values are unpacked as packed * scale_factor +
 * add_offset after the fill test on the packed value; forcing units are converted to the model's
 * (degC, mm d-1) from a small table of spellings. The netCDF-C status of a failed call is wrapped
 * once, with nc_strerror's text, the file and the variable. Each nc_get_var call is counted by
 * the I/O profiler (bytes as stored, one operation). */
#include "hs_forcing.h"

#include <math.h>
#include <netcdf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "hs_csv.h"
#include "hs_io.h"

#define HS_NC_MAX_MISSING 8 /* missing_value entries honoured */
#define HS_UNITS_CAP 256

typedef enum var_role { ROLE_PRECIP, ROLE_TEMP, ROLE_PET, ROLE_OBS } var_role;

/* ---------------------------------------------------------------------------------------------
 * small string helpers */

static char lower_ascii(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_blank(char c) { return c == ' ' || c == '\t'; }

static bool ends_with_nocase(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    if (m > n) return false;
    for (size_t i = 0; i < m; i++)
        if (lower_ascii(s[n - m + i]) != lower_ascii(suffix[i])) return false;
    return true;
}

static bool equals_nocase(const char *a, const char *b) {
    for (; *a && *b; a++, b++)
        if (lower_ascii(*a) != lower_ascii(*b)) return false;
    return *a == *b;
}

typedef enum file_kind { KIND_UNKNOWN, KIND_CSV, KIND_NETCDF } file_kind;

static file_kind kind_of(const char *path) {
    if (ends_with_nocase(path, ".csv") || ends_with_nocase(path, ".txt")) return KIND_CSV;
    if (ends_with_nocase(path, ".nc") || ends_with_nocase(path, ".nc4") ||
        ends_with_nocase(path, ".cdf") || ends_with_nocase(path, ".netcdf"))
        return KIND_NETCDF;
    return KIND_UNKNOWN;
}

static hs_status fail_kind(hs_ctx *ctx, const char *path) {
    return HS_FAIL(ctx, HS_ERR_FORMAT,
                   "%s: unknown file type (expected .csv or .txt for CSV, .nc, .nc4 or .cdf for "
                   "netCDF)",
                   path);
}

/* ---------------------------------------------------------------------------------------------
 * lifecycle */

hs_status hs_forcing_create(hs_ctx *ctx, hs_day first_day, size_t n_time, size_t n_hru,
                            bool with_pet, hs_forcing **out) {
    *out = NULL;
    if (n_time == 0 || n_hru == 0)
        return HS_FAIL(ctx, HS_ERR_ARG, "forcing needs at least one step and one HRU (got %zu x %zu)",
                       n_time, n_hru);
    if (n_time > SIZE_MAX / n_hru)
        return HS_FAIL(ctx, HS_ERR_NOMEM, "forcing of %zu x %zu values is too large", n_time, n_hru);
    hs_forcing *f = NULL;
    HS_TRY(HS_ALLOC_ARRAY(ctx, f, 1, "forcing"));
    f->first_day = first_day;
    f->n_time = n_time;
    f->n_hru = n_hru;
    size_t n = n_time * n_hru;
    hs_status st = HS_ALLOC_ARRAY(ctx, f->precip_mm, n, "forcing precipitation");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, f->temp_c, n, "forcing temperature");
    if (st == HS_OK && with_pet) st = HS_ALLOC_ARRAY(ctx, f->pet_mm, n, "forcing PET");
    if (st != HS_OK) {
        hs_forcing_destroy(&f);
        return st;
    }
    for (size_t i = 0; i < n; i++) {
        f->precip_mm[i] = NAN;
        f->temp_c[i] = NAN;
        if (f->pet_mm) f->pet_mm[i] = NAN;
    }
    *out = f;
    return HS_OK;
}

void hs_forcing_destroy(hs_forcing **f) {
    if (!f || !*f) return;
    hs_free((*f)->precip_mm);
    hs_free((*f)->temp_c);
    hs_free((*f)->pet_mm);
    hs_free(*f);
    *f = NULL;
}

void hs_series_destroy(hs_series **s) {
    if (!s || !*s) return;
    hs_free((*s)->values);
    hs_free(*s);
    *s = NULL;
}

/* ---------------------------------------------------------------------------------------------
 * netCDF: errors */

/* netCDF-C returns errno values (> 0) for system errors and NC_E* (< 0) for its own. */
static hs_status nc_code(int rc) {
    if (rc > 0) return HS_ERR_IO;
    if (rc == NC_ENOTNC || rc == NC_EHDFERR || rc == NC_ENOTVAR || rc == NC_EBADDIM ||
        rc == NC_ECHAR || rc == NC_ENOTATT)
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

/* Reads a text attribute (NC_CHAR, or one NC_STRING) into buf; false when absent or not text.
 * A value longer than buf reads as "?" so that it matches nothing rather than nothing at all. */
static bool get_text_att(int ncid, int varid, const char *name, char *buf, size_t cap) {
    nc_type t;
    size_t len;
    buf[0] = '\0';
    if (nc_inq_att(ncid, varid, name, &t, &len) != NC_NOERR) return false;
    if (t == NC_STRING && len == 1) {
        char *str[1] = {NULL};
        if (nc_get_att_string(ncid, varid, name, str) != NC_NOERR) return false;
        len = str[0] ? strlen(str[0]) : 0;
        if (len < cap && str[0]) memcpy(buf, str[0], len + 1);
        nc_free_string(1, str);
    } else if (t == NC_CHAR) {
        if (len < cap && nc_get_att_text(ncid, varid, name, buf) != NC_NOERR) return false;
        if (len < cap) buf[len] = '\0';
    } else {
        return false;
    }
    if (len >= cap) {
        snprintf(buf, cap, "?");
        return true;
    }
    /* some writers store the C terminator or trailing blanks in the attribute */
    while (len > 0 && (buf[len - 1] == '\0' || is_blank(buf[len - 1]))) buf[--len] = '\0';
    return true;
}

/* Reads a numeric attribute of up to `cap` values as doubles; returns the count (0 if absent). */
static size_t get_num_att(int ncid, int varid, const char *name, double *vals, size_t cap) {
    nc_type t;
    size_t len;
    if (nc_inq_att(ncid, varid, name, &t, &len) != NC_NOERR) return 0;
    if (t == NC_CHAR || t == NC_STRING || len == 0 || len > cap) return 0;
    if (nc_get_att_double(ncid, varid, name, vals) != NC_NOERR) return 0;
    return len;
}

/* ---------------------------------------------------------------------------------------------
 * netCDF: the CF time coordinate */

/* Reads an unsigned decimal of 1..max_digits digits. */
static bool read_uint(const char **s, int max_digits, long *v) {
    const char *p = *s;
    long x = 0;
    int n = 0;
    while (is_digit(*p) && n < max_digits) {
        x = x * 10 + (*p - '0');
        p++;
        n++;
    }
    if (n == 0) return false;
    *s = p;
    *v = x;
    return true;
}

/* Parses CF time units "<unit> since YYYY-M-D[( |T)h:m[:s[.f]]][ ][Z|UTC|GMT|+hh[:mm]]" into
 * the length of one unit in days and the reference instant in days since 1970-01-01. */
bool hs_forcing_parse_time_units(const char *units, double *unit_days, double *ref_days) {
    static const struct {
        const char *name;
        double days;
    } table[] = {{"days", 1.0},         {"day", 1.0},           {"d", 1.0},
                 {"hours", 1.0 / 24},   {"hour", 1.0 / 24},     {"hrs", 1.0 / 24},
                 {"hr", 1.0 / 24},      {"h", 1.0 / 24},        {"minutes", 1.0 / 1440},
                 {"minute", 1.0 / 1440}, {"mins", 1.0 / 1440},   {"min", 1.0 / 1440},
                 {"seconds", 1.0 / 86400}, {"second", 1.0 / 86400}, {"secs", 1.0 / 86400},
                 {"sec", 1.0 / 86400},  {"s", 1.0 / 86400}};
    const char *p = units;
    while (is_blank(*p)) p++;
    char word[16];
    size_t n = 0;
    while (((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) && n + 1 < sizeof word)
        word[n++] = lower_ascii(*p++);
    word[n] = '\0';
    bool found = false;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (strcmp(word, table[i].name) == 0) {
            *unit_days = table[i].days;
            found = true;
            break;
        }
    }
    if (!found || !is_blank(*p)) return false;
    while (is_blank(*p)) p++;
    if (!(lower_ascii(p[0]) == 's' && lower_ascii(p[1]) == 'i' && lower_ascii(p[2]) == 'n' &&
          lower_ascii(p[3]) == 'c' && lower_ascii(p[4]) == 'e' && is_blank(p[5])))
        return false;
    p += 5;
    while (is_blank(*p)) p++;

    long y, mo, d, hh = 0, mi = 0;
    double sec = 0.0;
    if (!read_uint(&p, 4, &y) || *p++ != '-' || !read_uint(&p, 2, &mo) || *p++ != '-' ||
        !read_uint(&p, 2, &d))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > hs_days_in_month((int)y, (int)mo)) return false;
    const char *q = p;
    if (*q == 'T' || *q == 't') q++;
    else while (is_blank(*q)) q++;
    if (is_digit(*q)) {
        long s = 0;
        if (!read_uint(&q, 2, &hh) || *q++ != ':' || !read_uint(&q, 2, &mi)) return false;
        if (*q == ':') {
            q++;
            if (!read_uint(&q, 2, &s)) return false;
            sec = (double)s;
            if (*q == '.') {
                q++;
                double scale = 0.1;
                while (is_digit(*q)) {
                    sec += scale * (*q - '0');
                    scale *= 0.1;
                    q++;
                }
            }
        }
        if (hh > 24 || mi > 59 || sec >= 61.0) return false;
        p = q;
    }
    while (is_blank(*p)) p++;
    double zone_min = 0.0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (strncmp(p, "UTC", 3) == 0 || strncmp(p, "GMT", 3) == 0) {
        p += 3;
    } else if (*p == '+' || *p == '-') {
        int sign = (*p == '-') ? -1 : 1;
        p++;
        long zh = 0, zm = 0;
        if (!read_uint(&p, 2, &zh)) return false;
        if (*p == ':') p++;
        if (is_digit(*p) && !read_uint(&p, 2, &zm)) return false;
        zone_min = sign * (double)(zh * 60 + zm);
    }
    while (is_blank(*p)) p++;
    if (*p != '\0') return false;
    /* local = UTC + zone, so UTC = local - zone */
    *ref_days = (double)hs_day_from_ymd((int)y, (int)mo, (int)d) +
                ((double)hh * 3600.0 + (double)mi * 60.0 + sec) / 86400.0 - zone_min / 1440.0;
    return true;
}

/* The daily time axis of a netCDF file. */
typedef struct nc_time {
    int dimid;
    size_t n;
    hs_day first;
} nc_time;

static hs_status read_time(hs_ctx *ctx, const char *path, int ncid, nc_time *t) {
    NC_CHECK(ctx, path, NULL, nc_inq_dimid(ncid, "time", &t->dimid), "no 'time' dimension");
    NC_CHECK(ctx, path, NULL, nc_inq_dimlen(ncid, t->dimid, &t->n), "time dimension");
    if (t->n == 0) return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: the time dimension is empty", path);
    int varid, ndims;
    NC_CHECK(ctx, path, "time", nc_inq_varid(ncid, "time", &varid),
             "no coordinate variable for the time dimension");
    NC_CHECK(ctx, path, "time", nc_inq_varndims(ncid, varid, &ndims), "inquire");
    int dimid = -1;
    if (ndims == 1) NC_CHECK(ctx, path, "time", nc_inq_vardimid(ncid, varid, &dimid), "inquire");
    if (ndims != 1 || dimid != t->dimid)
        return HS_FAIL(ctx, HS_ERR_FORMAT,
                       "%s: variable 'time' must be the 1-D coordinate of dimension 'time'", path);

    char units[HS_UNITS_CAP], calendar[HS_UNITS_CAP];
    if (!get_text_att(ncid, varid, "units", units, sizeof units))
        return HS_FAIL(ctx, HS_ERR_FORMAT,
                       "%s: variable 'time' has no units (expected e.g. 'days since 1970-01-01')",
                       path);
    double unit_days, ref_days;
    if (!hs_forcing_parse_time_units(units, &unit_days, &ref_days))
        return HS_FAIL(ctx, HS_ERR_FORMAT,
                       "%s: variable 'time': units '%s' not understood (expected 'days|hours|"
                       "seconds since YYYY-MM-DD[ hh:mm:ss]')",
                       path, units);
    if (get_text_att(ncid, varid, "calendar", calendar, sizeof calendar) &&
        !equals_nocase(calendar, "standard") && !equals_nocase(calendar, "gregorian") &&
        !equals_nocase(calendar, "proleptic_gregorian"))
        return HS_FAIL(ctx, HS_ERR_FORMAT,
                       "%s: variable 'time': calendar '%s' is not supported (use standard, "
                       "gregorian or proleptic_gregorian)",
                       path, calendar);

    double *v = NULL;
    HS_TRY(HS_ALLOC_ARRAY(ctx, v, t->n, "time coordinate"));
    int rc = nc_get_var_double(ncid, varid, v);
    if (rc != NC_NOERR) {
        hs_free(v);
        return fail_nc(ctx, path, "time", rc, "read");
    }
    nc_type type;
    size_t type_size = sizeof(double);
    if (nc_inq_vartype(ncid, varid, &type) == NC_NOERR) nc_inq_type(ncid, type, NULL, &type_size);
    hs_io_count_read(ctx, (uint64_t)(t->n * type_size), 1);

    double fill[1];
    size_t n_fill = get_num_att(ncid, varid, "_FillValue", fill, 1);
    hs_status st = HS_OK;
    double prev_days = 0.0;
    for (size_t i = 0; i < t->n && st == HS_OK; i++) {
        /* half a second of slack: stamps stored as float or in seconds can land just before
         * midnight */
        double days = ref_days + v[i] * unit_days;
        if (!isfinite(v[i]) || (n_fill && v[i] == fill[0]) || fabs(days) > 1e8) {
            st = HS_FAIL(ctx, HS_ERR_FORMAT, "%s: variable 'time': step %zu has no valid value",
                         path, i);
            break;
        }
        hs_day day = (hs_day)floor(days + 0.5 / 86400.0);
        if (i == 0) {
            t->first = day;
        } else if (day != t->first + (hs_day)i || fabs(days - prev_days - 1.0) > 1.0 / 24.0) {
            char a[16], b[16];
            st = HS_FAIL(ctx, HS_ERR_FORMAT,
                         "%s: variable 'time': step %zu (%s) is %.6g days after step %zu (%s); "
                         "daily data must have consecutive days",
                         path, i, hs_day_format(day, a), days - prev_days, i - 1,
                         hs_day_format(t->first + (hs_day)i - 1, b));
        }
        prev_days = days;
    }
    hs_free(v);
    return st;
}

/* ---------------------------------------------------------------------------------------------
 * netCDF: units of forcing variables */

/* Lower-cases, drops "**" and "^" (so "kg m**-2 s**-1" reads "kg m-2 s-1") and collapses blanks. */
static void normalize_units(const char *in, char *out, size_t cap) {
    size_t n = 0;
    bool blank = false;
    for (const char *p = in; *p && n + 1 < cap; p++) {
        if (*p == '*' || *p == '^') continue;
        if (is_blank(*p)) {
            blank = n > 0;
            continue;
        }
        if (blank && n + 2 < cap) out[n++] = ' ';
        blank = false;
        out[n++] = lower_ascii(*p);
    }
    out[n] = '\0';
}

/* Converts in place to degC (ROLE_TEMP) or mm d-1 (ROLE_PRECIP, ROLE_PET). */
static hs_status convert_units(hs_ctx *ctx, const char *path, const char *var, var_role role,
                               const char *units, double *v, size_t n) {
    static const struct {
        const char *units;
        double scale, offset;
    } temp_table[] = {{"degc", 1, 0},           {"deg_c", 1, 0},
                      {"deg c", 1, 0},          {"c", 1, 0},
                      {"celsius", 1, 0},        {"degree_celsius", 1, 0},
                      {"degrees_celsius", 1, 0}, {"degree_c", 1, 0},
                      {"degrees_c", 1, 0},      {"\xc2\xb0" "c", 1, 0},
                      {"k", 1, -273.15},        {"kelvin", 1, -273.15},
                      {"degk", 1, -273.15},     {"deg_k", 1, -273.15},
                      {"degree_kelvin", 1, -273.15}, {"degrees_kelvin", 1, -273.15}},
      depth_table[] = {{"mm", 1, 0},          {"mm/d", 1, 0},       {"mm d-1", 1, 0},
                       {"mm/day", 1, 0},      {"mm day-1", 1, 0},   {"mm.d-1", 1, 0},
                       {"kg m-2", 1, 0},      {"kg m-2 d-1", 1, 0}, {"kg m-2 day-1", 1, 0},
                       {"kg/m2", 1, 0},       {"kg/m2/d", 1, 0},    {"kg/m2/day", 1, 0},
                       {"mm/h", 24, 0},       {"mm h-1", 24, 0},    {"mm/hr", 24, 0},
                       {"mm hr-1", 24, 0},    {"kg m-2 h-1", 24, 0}, {"mm/s", 86400, 0},
                       {"mm s-1", 86400, 0},  {"kg m-2 s-1", 86400, 0}, {"kg/m2/s", 86400, 0},
                       {"m", 1000, 0},        {"m/d", 1000, 0},     {"m d-1", 1000, 0},
                       {"m/day", 1000, 0},    {"m day-1", 1000, 0}, {"m/s", 86400000, 0},
                       {"m s-1", 86400000, 0}};
    if (role == ROLE_OBS) return HS_OK;
    char norm[HS_UNITS_CAP];
    normalize_units(units, norm, sizeof norm);
    if (norm[0] == '\0') return HS_OK; /* documented: no units means model units */
    double scale = 0, offset = 0;
    bool found = false;
    if (role == ROLE_TEMP) {
        for (size_t i = 0; i < sizeof temp_table / sizeof temp_table[0] && !found; i++)
            if (strcmp(norm, temp_table[i].units) == 0) {
                scale = temp_table[i].scale;
                offset = temp_table[i].offset;
                found = true;
            }
        if (!found)
            return HS_FAIL(ctx, HS_ERR_FORMAT,
                           "%s: variable '%s' has units '%s'; a temperature needs degC or K",
                           path, var, units);
    } else {
        for (size_t i = 0; i < sizeof depth_table / sizeof depth_table[0] && !found; i++)
            if (strcmp(norm, depth_table[i].units) == 0) {
                scale = depth_table[i].scale;
                found = true;
            }
        if (!found)
            return HS_FAIL(ctx, HS_ERR_FORMAT,
                           "%s: variable '%s' has units '%s'; %s needs a depth per day (mm d-1, "
                           "mm, kg m-2) or a rate (mm s-1, kg m-2 s-1, mm h-1, m s-1)",
                           path, var, units, role == ROLE_PET ? "PET" : "precipitation");
    }
    if (scale == 1.0 && offset == 0.0) return HS_OK;
    for (size_t i = 0; i < n; i++) v[i] = v[i] * scale + offset;
    return HS_OK;
}

/* ---------------------------------------------------------------------------------------------
 * netCDF: data variables */

/* Lists the variables of the file into buf, for "no variable" messages. */
static void list_vars(int ncid, char *buf, size_t cap) {
    int nvars = 0;
    size_t used = 0;
    buf[0] = '\0';
    if (nc_inq_nvars(ncid, &nvars) != NC_NOERR) return;
    for (int v = 0; v < nvars && used + 1 < cap; v++) {
        char name[NC_MAX_NAME + 1];
        if (nc_inq_varname(ncid, v, name) != NC_NOERR) continue;
        int w = snprintf(buf + used, cap - used, "%s%s", v ? ", " : "", name);
        if (w < 0) break;
        used += (size_t)w;
    }
    if (used >= cap && cap > 4) memcpy(buf + cap - 4, "...", 4);
}

/* Reads variable `name` over (time) or (time, X). max_dims is 1 for observations. An absent
 * optional variable gives *values == NULL and HS_OK. */
static hs_status read_var(hs_ctx *ctx, const char *path, int ncid, const nc_time *t,
                          const char *name, var_role role, bool optional, int max_dims,
                          double **values, size_t *n_hru) {
    *values = NULL;
    int varid, ndims;
    int rc = nc_inq_varid(ncid, name, &varid);
    if (rc == NC_ENOTVAR && optional) return HS_OK;
    if (rc == NC_ENOTVAR) {
        char list[512];
        list_vars(ncid, list, sizeof list);
        return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: no variable '%s' (variables: %s)", path, name,
                       list);
    }
    if (rc != NC_NOERR) return fail_nc(ctx, path, name, rc, "inquire");
    NC_CHECK(ctx, path, name, nc_inq_varndims(ncid, varid, &ndims), "inquire");
    int dimids[2] = {-1, -1};
    if (ndims >= 1 && ndims <= 2)
        NC_CHECK(ctx, path, name, nc_inq_vardimid(ncid, varid, dimids), "inquire");
    if (ndims < 1 || ndims > max_dims || dimids[0] != t->dimid) {
        char dims[256] = "";
        if (ndims >= 1 && ndims <= 8) {
            int all[8];
            size_t used = 0;
            if (nc_inq_vardimid(ncid, varid, all) == NC_NOERR)
                for (int k = 0; k < ndims && used + 1 < sizeof dims; k++) {
                    char dn[NC_MAX_NAME + 1] = "?";
                    nc_inq_dimname(ncid, all[k], dn);
                    int w = snprintf(dims + used, sizeof dims - used, "%s%s", k ? ", " : "", dn);
                    if (w < 0) break;
                    used += (size_t)w;
                }
        }
        return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: variable '%s' has dimensions (%s); expected %s",
                       path, name, dims, max_dims == 1 ? "(time)" : "(time) or (time, hru)");
    }
    size_t nh = 1;
    if (ndims == 2) NC_CHECK(ctx, path, name, nc_inq_dimlen(ncid, dimids[1], &nh), "inquire");
    if (nh == 0)
        return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: variable '%s' has an empty HRU dimension", path,
                       name);
    nc_type type;
    size_t type_size;
    NC_CHECK(ctx, path, name, nc_inq_vartype(ncid, varid, &type), "inquire");
    if (type == NC_CHAR || type == NC_STRING || type > NC_MAX_ATOMIC_TYPE)
        return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: variable '%s' is not numeric", path, name);
    NC_CHECK(ctx, path, name, nc_inq_type(ncid, type, NULL, &type_size), "inquire");
    if (t->n > SIZE_MAX / nh)
        return HS_FAIL(ctx, HS_ERR_NOMEM, "%s: variable '%s' is too large", path, name);
    size_t n = t->n * nh;

    double *v = NULL;
    HS_TRY(HS_ALLOC_ARRAY(ctx, v, n, name));
    rc = nc_get_var_double(ncid, varid, v);
    if (rc != NC_NOERR) {
        hs_free(v);
        return fail_nc(ctx, path, name, rc, "read");
    }
    hs_io_count_read(ctx, (uint64_t)(n * type_size), 1);

    /* CF §2.5.1: the fill test is on the packed value, before scale_factor/add_offset */
    double miss[HS_NC_MAX_MISSING + 1];
    size_t n_miss = get_num_att(ncid, varid, "_FillValue", miss, 1);
    if (n_miss == 0 && type == NC_FLOAT) miss[n_miss++] = (double)NC_FILL_FLOAT;
    if (n_miss == 0 && type == NC_DOUBLE) miss[n_miss++] = NC_FILL_DOUBLE;
    n_miss += get_num_att(ncid, varid, "missing_value", miss + n_miss, HS_NC_MAX_MISSING);
    double scale = 1.0, offset = 0.0;
    get_num_att(ncid, varid, "scale_factor", &scale, 1);
    get_num_att(ncid, varid, "add_offset", &offset, 1);
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < n_miss; k++) {
            if (v[i] == miss[k]) {
                v[i] = NAN;
                break;
            }
        }
        v[i] = v[i] * scale + offset;
    }
    char units[HS_UNITS_CAP];
    get_text_att(ncid, varid, "units", units, sizeof units);
    hs_status st = convert_units(ctx, path, name, role, units, v, n);
    if (st != HS_OK) {
        hs_free(v);
        return st;
    }
    *values = v;
    *n_hru = nh;
    return HS_OK;
}

static hs_status open_nc(hs_ctx *ctx, const char *path, int *ncid) {
    NC_CHECK(ctx, path, NULL, nc_open(path, NC_NOWRITE, ncid), "cannot open");
    return HS_OK;
}

static hs_status forcing_read_nc(hs_ctx *ctx, const hs_forcing_spec *spec, hs_forcing **out) {
    const char *path = spec->path;
    int ncid;
    HS_TRY(open_nc(ctx, path, &ncid));
    nc_time t;
    double *v[3] = {NULL, NULL, NULL};
    size_t nh[3] = {0, 0, 0};
    const char *names[3] = {spec->var_precip, spec->var_temp, spec->var_pet};
    const var_role roles[3] = {ROLE_PRECIP, ROLE_TEMP, ROLE_PET};
    hs_status st = read_time(ctx, path, ncid, &t);
    for (int k = 0; k < 3 && st == HS_OK; k++) {
        if (!names[k]) continue;
        st = read_var(ctx, path, ncid, &t, names[k], roles[k], k == 2, 2, &v[k], &nh[k]);
        if (st == HS_OK && v[k] && nh[k] != nh[0])
            st = HS_FAIL(ctx, HS_ERR_FORMAT,
                         "%s: variable '%s' has %zu HRUs but '%s' has %zu", path, names[k], nh[k],
                         names[0], nh[0]);
    }
    nc_close(ncid);
    hs_forcing *f = NULL;
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, f, 1, "forcing");
    if (st != HS_OK) {
        for (int k = 0; k < 3; k++) hs_free(v[k]);
        return st;
    }
    f->first_day = t.first;
    f->n_time = t.n;
    f->n_hru = nh[0];
    f->precip_mm = v[0];
    f->temp_c = v[1];
    f->pet_mm = v[2];
    *out = f;
    return HS_OK;
}

/* ---------------------------------------------------------------------------------------------
 * CSV */

static hs_status forcing_read_csv(hs_ctx *ctx, const hs_forcing_spec *spec, hs_forcing **out) {
    const char *names[3] = {spec->var_precip, spec->var_temp, spec->var_pet};
    const bool required[3] = {true, true, false};
    hs_csv_table *tab = NULL;
    HS_TRY(hs_csv_read(ctx, spec->path, spec->var_pet ? 3 : 2, names, required, &tab));
    hs_forcing *f = NULL;
    hs_status st = HS_ALLOC_ARRAY(ctx, f, 1, "forcing");
    if (st != HS_OK) {
        hs_csv_destroy(&tab);
        return st;
    }
    f->first_day = tab->first_day;
    f->n_time = tab->n_rows;
    f->n_hru = 1;
    f->precip_mm = hs_csv_take(tab, 0);
    f->temp_c = hs_csv_take(tab, 1);
    f->pet_mm = hs_csv_take(tab, 2);
    hs_csv_destroy(&tab);
    *out = f;
    return HS_OK;
}

/* ---------------------------------------------------------------------------------------------
 * public readers */

hs_status hs_forcing_read(hs_ctx *ctx, const hs_forcing_spec *spec, hs_forcing **out) {
    *out = NULL;
    if (!spec || !spec->path || !spec->var_precip || !spec->var_temp)
        return HS_FAIL(ctx, HS_ERR_ARG,
                       "forcing: the file and the precipitation and temperature variable names "
                       "are required");
    switch (kind_of(spec->path)) {
    case KIND_CSV: return forcing_read_csv(ctx, spec, out);
    case KIND_NETCDF: return forcing_read_nc(ctx, spec, out);
    default: return fail_kind(ctx, spec->path);
    }
}

hs_status hs_series_read(hs_ctx *ctx, const char *path, const char *var, hs_series **out) {
    *out = NULL;
    if (!path || !var)
        return HS_FAIL(ctx, HS_ERR_ARG, "observations: the file and the variable are required");
    hs_day first = 0;
    size_t n = 0;
    double *values = NULL;
    file_kind kind = kind_of(path);
    if (kind == KIND_CSV) {
        hs_csv_table *tab = NULL;
        HS_TRY(hs_csv_read(ctx, path, 1, &var, NULL, &tab));
        first = tab->first_day;
        n = tab->n_rows;
        values = hs_csv_take(tab, 0);
        hs_csv_destroy(&tab);
    } else if (kind == KIND_NETCDF) {
        int ncid;
        HS_TRY(open_nc(ctx, path, &ncid));
        nc_time t;
        size_t nh = 0;
        hs_status st = read_time(ctx, path, ncid, &t);
        if (st == HS_OK) st = read_var(ctx, path, ncid, &t, var, ROLE_OBS, false, 1, &values, &nh);
        nc_close(ncid);
        if (st != HS_OK) return st;
        first = t.first;
        n = t.n;
    } else {
        return fail_kind(ctx, path);
    }
    hs_series *s = NULL;
    hs_status st = HS_ALLOC_ARRAY(ctx, s, 1, "series");
    if (st != HS_OK) {
        hs_free(values);
        return st;
    }
    s->first_day = first;
    s->n = n;
    s->values = values;
    *out = s;
    return HS_OK;
}
