/* test_forcing.c -- forcing and observation readers: the real Bow at Banff CSV files, CSV error
 * paths on small files written here, and a CF netCDF round trip written with netCDF-C.
 * argv[1]: scratch directory (created). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <netcdf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs_forcing.h"
#include "hs_io.h"
#include "hs_test.h"

#define BOW_DIR HS_TESTDATA_DIR "/bow"
#define NC_OK(call)                                                                       \
    do {                                                                                  \
        int rc_ = (call);                                                                 \
        if (rc_ != NC_NOERR) fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, \
                                     nc_strerror(rc_));                                   \
        HS_CHECK(rc_ == NC_NOERR);                                                        \
    } while (0)

static void join(char *out, size_t cap, const char *dir, const char *name) {
    snprintf(out, cap, "%s/%s", dir, name);
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    HS_CHECK(f != NULL);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

static long file_size(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

static size_t count_nan(const double *v, size_t lo, size_t hi) {
    size_t n = 0;
    for (size_t i = lo; i < hi; i++) n += isnan(v[i]) ? 1 : 0;
    return n;
}

/* ---- the real Bow at Banff files ------------------------------------------------------------ */

static void test_bow_station(hs_ctx *ctx) {
    const char *path = BOW_DIR "/climate_banff_station.csv";
    hs_ioprof *prof = hs_ioprof_create();
    hs_ctx_set_ioprof(ctx, prof);
    hs_forcing_spec spec = {path, "P_mm", "Tmean_C", "E_oudin_mm"};
    hs_forcing *f = NULL;
    hs_status st = hs_forcing_read(ctx, &spec, &f);
    HS_CHECK_INT(st, HS_OK);
    if (st != HS_OK) {
        fprintf(stderr, "%s\n", hs_ctx_message(ctx));
        hs_ctx_set_ioprof(ctx, NULL);
        hs_ioprof_destroy(&prof);
        return;
    }
    hs_io_counts c = hs_ioprof_get(prof);
    HS_CHECK_INT(c.read_ops, 1); /* the file is read once */
    HS_CHECK_INT(c.read_bytes, file_size(path));
    hs_ctx_set_ioprof(ctx, NULL);
    hs_ioprof_destroy(&prof);

    /* README.md: 1909-01-01 .. 2023-12-31, 42 003 days */
    HS_CHECK_INT(f->n_time, 42003);
    HS_CHECK_INT(f->n_hru, 1);
    HS_CHECK_INT(f->first_day, hs_day_from_ymd(1909, 1, 1));
    HS_CHECK_INT(f->first_day + (hs_day)f->n_time - 1, hs_day_from_ymd(2023, 12, 31));
    HS_CHECK(f->pet_mm != NULL);
    /* first rows of the file: 1909-01-01 Tmean -19.2, P 0, E 0; 1909-01-02 P 7.6 */
    /* decimal conversion is correctly rounded: equal to the C literal, bit for bit */
    HS_CHECK_CLOSE(f->temp_c[0], -19.2, 0.0);
    HS_CHECK_CLOSE(f->precip_mm[0], 0.0, 0.0);
    HS_CHECK_CLOSE(f->precip_mm[1], 7.6, 0.0);
    HS_CHECK_CLOSE(f->temp_c[1], -10.8, 0.0);
    /* `awk -F, '$1=="2000-07-15"' climate_banff_station.csv` -> Tmean 10.5, P 3.2, E 2.5874 */
    size_t k = (size_t)(hs_day_from_ymd(2000, 7, 15) - f->first_day);
    HS_CHECK_CLOSE(f->temp_c[k], 10.5, 0.0);
    HS_CHECK_CLOSE(f->precip_mm[k], 3.2, 0.0);
    HS_CHECK_CLOSE(f->pet_mm[k], 2.5874, 0.0);
    /* the last row (2023-12-31) is empty: missing */
    HS_CHECK(isnan(f->precip_mm[f->n_time - 1]) && isnan(f->temp_c[f->n_time - 1]));

    /* Missing P_mm over 1980-01-01..2022-12-31 = 252, obtained independently with
     * awk -F, 'NR>1 && $1>="1980-01-01" && $1<="2022-12-31" && $6=="" {n++} END{print n}'
     * (and the same with Python's csv module). Whole file: 947 P_mm, 753 Tmean_C, 753 E_oudin_mm
     * (Python csv.DictReader, counting empty fields). */
    size_t a = (size_t)(hs_day_from_ymd(1980, 1, 1) - f->first_day);
    size_t b = (size_t)(hs_day_from_ymd(2022, 12, 31) - f->first_day) + 1;
    HS_CHECK_INT(count_nan(f->precip_mm, a, b), 252);
    HS_CHECK_INT(count_nan(f->precip_mm, 0, f->n_time), 947);
    HS_CHECK_INT(count_nan(f->temp_c, 0, f->n_time), 753);
    HS_CHECK_INT(count_nan(f->pet_mm, 0, f->n_time), 753);
    /* total P of 2000 = 298.0 mm: awk -F, 'NR>1 && substr($1,1,4)=="2000" {s+=$6} END{print s}' */
    double sum = 0.0;
    size_t y0 = (size_t)(hs_day_from_ymd(2000, 1, 1) - f->first_day);
    for (size_t i = y0; i < y0 + 366; i++) sum += isnan(f->precip_mm[i]) ? 0.0 : f->precip_mm[i];
    HS_CHECK_CLOSE(sum, 298.0, 1e-9);
    hs_forcing_destroy(&f);
    HS_CHECK(f == NULL);
    hs_forcing_destroy(&f); /* NULL-safe */

    /* without PET */
    hs_forcing_spec nopet = {path, "P_mm", "Tmax_C", NULL};
    HS_CHECK_INT(hs_forcing_read(ctx, &nopet, &f), HS_OK);
    if (f) {
        HS_CHECK(f->pet_mm == NULL);
        HS_CHECK_CLOSE(f->temp_c[0], -11.1, 1e-12);
    }
    hs_forcing_destroy(&f);
}

static void test_bow_discharge(hs_ctx *ctx) {
    hs_series *s = NULL;
    hs_status st = hs_series_read(ctx, BOW_DIR "/discharge_05BB001.csv", "Q_m3s", &s);
    HS_CHECK_INT(st, HS_OK);
    if (st != HS_OK) {
        fprintf(stderr, "%s\n", hs_ctx_message(ctx));
        return;
    }
    /* README.md: 1909-05-25 .. 2021-12-31, 41 129 days, 182 without a value (also
     * awk -F, 'NR>1 && $2=="" {n++} END{print n}' discharge_05BB001.csv -> 182) */
    HS_CHECK_INT(s->n, 41129);
    HS_CHECK_INT(s->first_day, hs_day_from_ymd(1909, 5, 25));
    HS_CHECK_INT(s->first_day + (hs_day)s->n - 1, hs_day_from_ymd(2021, 12, 31));
    HS_CHECK_INT(count_nan(s->values, 0, s->n), 182);
    HS_CHECK_CLOSE(s->values[0], 39.6, 1e-12);
    HS_CHECK_CLOSE(s->values[1], 50.1, 1e-12);
    HS_CHECK_CLOSE(s->values[s->n - 1], 8.06, 1e-12);
    hs_series_destroy(&s);
    HS_CHECK(s == NULL);
}

/* ---- CSV details and error paths ------------------------------------------------------------ */

/* Reads `text` as a forcing CSV named `name`; returns the status, *f on success. */
static hs_status read_csv_text(hs_ctx *ctx, const char *dir, const char *name, const char *text,
                               const char *p, const char *t, const char *e, hs_forcing **f) {
    char path[1024];
    join(path, sizeof path, dir, name);
    write_text(path, text);
    hs_forcing_spec spec = {path, p, t, e};
    hs_ctx_clear(ctx);
    return hs_forcing_read(ctx, &spec, f);
}

static void test_csv_features(hs_ctx *ctx, const char *dir) {
    /* BOM, CRLF, quoted header and fields (with a comma and an escaped quote in an ignored text
     * column), surrounding blanks, NaN / NA / empty as missing, a blank line, no final newline */
    const char *text = "\xEF\xBB\xBF\"Date\",P_mm,\"T C\",note,PET\r\n"
                       "2000-02-28, 1.5 ,\"-2.25\",\"a, \"\"b\"\"\",0.1\r\n"
                       "2000-02-29,,3e-1,plain text,NaN\r\n"
                       "\r\n"
                       "2000-03-01,NA,nan,,1E+1\r\n"
                       "2000-03-02,-0.12345678901234567,+.5,x,123456789012345678\r\n";
    hs_forcing *f = NULL;
    hs_status st = read_csv_text(ctx, dir, "features.csv", text, "P_mm", "T C", "PET", &f);
    HS_CHECK_INT(st, HS_OK);
    if (st != HS_OK) {
        fprintf(stderr, "%s\n", hs_ctx_message(ctx));
        return;
    }
    HS_CHECK_INT(f->n_time, 4);
    HS_CHECK_INT(f->first_day, hs_day_from_ymd(2000, 2, 28));
    HS_CHECK_CLOSE(f->precip_mm[3], -0.12345678901234567, 0.0);
    HS_CHECK_CLOSE(f->temp_c[3], 0.5, 0.0);
    HS_CHECK_CLOSE(f->pet_mm[3], 123456789012345678.0, 0.0);
    HS_CHECK_CLOSE(f->precip_mm[0], 1.5, 0.0);
    HS_CHECK_CLOSE(f->temp_c[0], -2.25, 0.0);
    HS_CHECK_CLOSE(f->pet_mm[0], 0.1, 0.0);
    HS_CHECK(isnan(f->precip_mm[1]));
    HS_CHECK_CLOSE(f->temp_c[1], 0.3, 0.0);
    HS_CHECK(isnan(f->pet_mm[1]));
    HS_CHECK(isnan(f->precip_mm[2]) && isnan(f->temp_c[2]));
    HS_CHECK_CLOSE(f->pet_mm[2], 10.0, 0.0);
    hs_forcing_destroy(&f);

    /* an optional PET column that is absent, and the "time" spelling of the date column */
    st = read_csv_text(ctx, dir, "nopet.csv", "time,P,T\n1999-12-31,1,2\n2000-01-01,3,4\n", "P",
                       "T", "PET", &f);
    HS_CHECK_INT(st, HS_OK);
    if (f) {
        HS_CHECK(f->pet_mm == NULL);
        HS_CHECK_INT(f->n_time, 2);
        HS_CHECK_CLOSE(f->temp_c[1], 4.0, 0.0);
    }
    hs_forcing_destroy(&f);

    /* the same column for two roles */
    st = read_csv_text(ctx, dir, "same.csv", "date,X\n2001-01-01,5\n", "X", "X", "X", &f);
    HS_CHECK_INT(st, HS_OK);
    if (f) HS_CHECK(f->precip_mm[0] == 5.0 && f->temp_c[0] == 5.0 && f->pet_mm[0] == 5.0);
    hs_forcing_destroy(&f);
}

static void test_csv_errors(hs_ctx *ctx, const char *dir) {
    hs_forcing *f = NULL;
    const char *msg;

    /* text in a numeric field: file, line, column and the text */
    hs_status st = read_csv_text(ctx, dir, "bad_text.csv",
                                 "date,P_mm,T_C\n2000-01-01,1,2\n2000-01-02,0,3\n"
                                 "2000-01-03,abc,4\n",
                                 "P_mm", "T_C", NULL, &f);
    HS_CHECK_INT(st, HS_ERR_FORMAT);
    HS_CHECK(f == NULL);
    msg = hs_ctx_message(ctx);
    HS_CHECK_STR_CONTAINS(msg, "bad_text.csv:4: column 'P_mm': 'abc' is not a number");

    st = read_csv_text(ctx, dir, "bad_num.csv", "date,P_mm,T_C\n2000-01-01,1,2\n2000-01-02,0,1.2.3\n",
                       "P_mm", "T_C", NULL, &f);
    HS_CHECK_INT(st, HS_ERR_FORMAT);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "bad_num.csv:3: column 'T_C': '1.2.3'");

    /* line numbers count blank lines and the header */
    st = read_csv_text(ctx, dir, "bad_blank.csv", "date,P,T\n2000-01-01,1,2\n\r\n2000-01-02,1,x\n",
                       "P", "T", NULL, &f);
    HS_CHECK_INT(st, HS_ERR_FORMAT);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "bad_blank.csv:4: column 'T': 'x'");

    st = read_csv_text(ctx, dir, "bad_inf.csv", "date,P_mm,T_C\n2000-01-01,inf,2\n", "P_mm", "T_C",
                       NULL, &f);
    HS_CHECK_INT(st, HS_ERR_FORMAT);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "bad_inf.csv:2: column 'P_mm': 'inf'");

    /* text in a column that is not requested is fine (checked in test_csv_features); a missing
     * column names the file, the column and the columns present */
    st = read_csv_text(ctx, dir, "no_col.csv", "date,P_mm,T_C\n2000-01-01,1,2\n", "P_mm", "Tmean",
                       NULL, &f);
    HS_CHECK_INT(st, HS_ERR_FORMAT);
    msg = hs_ctx_message(ctx);
    HS_CHECK_STR_CONTAINS(msg, "no_col.csv");
    HS_CHECK_STR_CONTAINS(msg, "'Tmean'");
    HS_CHECK_STR_CONTAINS(msg, "columns: date, P_mm, T_C");

    st = read_csv_text(ctx, dir, "no_date.csv", "day,P_mm,T_C\n2000-01-01,1,2\n", "P_mm", "T_C",
                       NULL, &f);
    HS_CHECK_INT(st, HS_ERR_FORMAT);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "no column 'date' or 'time'");

    /* dates: a skipped day, a repeated day, an impossible date */
    st = read_csv_text(ctx, dir, "gap_date.csv",
                       "date,P_mm,T_C\n2000-01-01,1,2\n2000-01-02,1,2\n2000-01-03,1,2\n"
                       "2000-01-05,1,2\n",
                       "P_mm", "T_C", NULL, &f);
    HS_CHECK_INT(st, HS_ERR_FORMAT);
    msg = hs_ctx_message(ctx);
    HS_CHECK_STR_CONTAINS(msg, "gap_date.csv:5:");
    HS_CHECK_STR_CONTAINS(msg, "2000-01-05 does not follow 2000-01-03");

    st = read_csv_text(ctx, dir, "dup_date.csv", "date,P_mm,T_C\n2000-01-01,1,2\n2000-01-01,1,2\n",
                       "P_mm", "T_C", NULL, &f);
    HS_CHECK_INT(st, HS_ERR_FORMAT);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "dup_date.csv:3: date 2000-01-01 does not follow");

    st = read_csv_text(ctx, dir, "bad_date.csv", "date,P_mm,T_C\n2003-02-28,1,2\n2003-02-29,1,2\n",
                       "P_mm", "T_C", NULL, &f);
    HS_CHECK_INT(st, HS_ERR_FORMAT);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "bad_date.csv:3: column 'date': '2003-02-29'");

    /* structure */
    st = read_csv_text(ctx, dir, "short_row.csv", "date,P_mm,T_C\n2000-01-01,1\n", "P_mm", "T_C",
                       NULL, &f);
    HS_CHECK_INT(st, HS_ERR_FORMAT);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "short_row.csv:2: 2 fields, the header has 3");

    st = read_csv_text(ctx, dir, "quote.csv", "date,P_mm,T_C\n2000-01-01,\"1,2\n", "P_mm", "T_C",
                       NULL, &f);
    HS_CHECK_INT(st, HS_ERR_FORMAT);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "quote.csv:2: malformed quoted field");

    st = read_csv_text(ctx, dir, "bad_header.csv", "da\"te,P_mm,T_C\n2000-01-01,1,2\n", "P_mm",
                       "T_C", NULL, &f);
    HS_CHECK_INT(st, HS_ERR_FORMAT);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "bad_header.csv:1: malformed header line");

    st = read_csv_text(ctx, dir, "header_only.csv", "date,P_mm,T_C\n", "P_mm", "T_C", NULL, &f);
    HS_CHECK_INT(st, HS_ERR_FORMAT);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "no data rows");

    st = read_csv_text(ctx, dir, "empty.csv", "", "P_mm", "T_C", NULL, &f);
    HS_CHECK_INT(st, HS_ERR_FORMAT);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "empty.csv: empty file");

    /* a missing file: HS_ERR_IO naming the path */
    char path[1024];
    join(path, sizeof path, dir, "does_not_exist.csv");
    hs_forcing_spec spec = {path, "P_mm", "T_C", NULL};
    hs_ctx_clear(ctx);
    HS_CHECK_INT(hs_forcing_read(ctx, &spec, &f), HS_ERR_IO);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), path);
    hs_series *s = NULL;
    HS_CHECK_INT(hs_series_read(ctx, path, "Q", &s), HS_ERR_IO);
    HS_CHECK(s == NULL);

    /* unknown extension, missing names */
    spec.path = "forcing.xlsx";
    HS_CHECK_INT(hs_forcing_read(ctx, &spec, &f), HS_ERR_FORMAT);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "forcing.xlsx: unknown file type");
    spec.var_temp = NULL;
    HS_CHECK_INT(hs_forcing_read(ctx, &spec, &f), HS_ERR_ARG);
    HS_CHECK(f == NULL);
}

/* ---- netCDF --------------------------------------------------------------------------------- */

enum { NT = 5, NH = 3 };

static void put_text(int ncid, int varid, const char *name, const char *value) {
    NC_OK(nc_put_att_text(ncid, varid, name, strlen(value), value));
}

/* A CF forcing file: time in hours at 24 h steps, pr(time, hru) float with _FillValue, tas
 * packed as short in K with scale_factor/add_offset/_FillValue, pet as a flux with an integer
 * missing_value, and a 1-D discharge q(time). */
static void write_forcing_nc(const char *path) {
    int ncid, d_time, d_hru, v_time, v_pr, v_tas, v_pet, v_q;
    NC_OK(nc_create(path, NC_NETCDF4 | NC_CLOBBER, &ncid));
    NC_OK(nc_def_dim(ncid, "time", NT, &d_time));
    NC_OK(nc_def_dim(ncid, "hru", NH, &d_hru));
    int dims[2] = {d_time, d_hru};
    NC_OK(nc_def_var(ncid, "time", NC_DOUBLE, 1, &d_time, &v_time));
    put_text(ncid, v_time, "units", "hours since 2000-01-01 00:00:00");
    put_text(ncid, v_time, "calendar", "gregorian");
    NC_OK(nc_def_var(ncid, "pr", NC_FLOAT, 2, dims, &v_pr));
    float pr_fill = -1.0f;
    NC_OK(nc_put_att_float(ncid, v_pr, "_FillValue", NC_FLOAT, 1, &pr_fill));
    put_text(ncid, v_pr, "units", "mm d-1");
    NC_OK(nc_def_var(ncid, "tas", NC_SHORT, 2, dims, &v_tas));
    short tas_fill = -32767;
    double scale = 0.01, offset = 273.15;
    NC_OK(nc_put_att_short(ncid, v_tas, "_FillValue", NC_SHORT, 1, &tas_fill));
    NC_OK(nc_put_att_double(ncid, v_tas, "scale_factor", NC_DOUBLE, 1, &scale));
    NC_OK(nc_put_att_double(ncid, v_tas, "add_offset", NC_DOUBLE, 1, &offset));
    put_text(ncid, v_tas, "units", "K");
    NC_OK(nc_def_var(ncid, "pet", NC_DOUBLE, 2, dims, &v_pet));
    int pet_missing = -999;
    NC_OK(nc_put_att_int(ncid, v_pet, "missing_value", NC_INT, 1, &pet_missing));
    put_text(ncid, v_pet, "units", "kg m**-2 s**-1");
    NC_OK(nc_def_var(ncid, "q", NC_DOUBLE, 1, &d_time, &v_q));
    double q_fill = -9999.0;
    NC_OK(nc_put_att_double(ncid, v_q, "_FillValue", NC_DOUBLE, 1, &q_fill));
    NC_OK(nc_enddef(ncid));

    double time[NT], q[NT], pet[NT][NH];
    float pr[NT][NH];
    short tas[NT][NH];
    for (int i = 0; i < NT; i++) {
        time[i] = 24.0 * i;
        q[i] = 10.0 + i;
        for (int j = 0; j < NH; j++) {
            pr[i][j] = (float)(i + 0.5 * j);
            tas[i][j] = (short)(100 * i + 10 * j); /* -> i + 0.1 j degC after unpacking */
            pet[i][j] = 1e-5 * (j + 1);             /* kg m-2 s-1 -> 0.864 (j + 1) mm d-1 */
        }
    }
    pr[2][1] = pr_fill;
    tas[0][2] = tas_fill;
    pet[4][0] = -999.0;
    q[3] = q_fill;
    NC_OK(nc_put_var_double(ncid, v_time, time));
    NC_OK(nc_put_var_float(ncid, v_pr, &pr[0][0]));
    NC_OK(nc_put_var_short(ncid, v_tas, &tas[0][0]));
    NC_OK(nc_put_var_double(ncid, v_pet, &pet[0][0]));
    NC_OK(nc_put_var_double(ncid, v_q, q));
    NC_OK(nc_close(ncid));
}

static void test_netcdf_roundtrip(hs_ctx *ctx, const char *dir) {
    char path[1024];
    join(path, sizeof path, dir, "forcing_roundtrip.nc");
    write_forcing_nc(path);
    hs_ioprof *prof = hs_ioprof_create();
    hs_ctx_set_ioprof(ctx, prof);
    hs_forcing_spec spec = {path, "pr", "tas", "pet"};
    hs_forcing *f = NULL;
    hs_status st = hs_forcing_read(ctx, &spec, &f);
    HS_CHECK_INT(st, HS_OK);
    hs_io_counts c = hs_ioprof_get(prof);
    hs_ctx_set_ioprof(ctx, NULL);
    hs_ioprof_destroy(&prof);
    if (st != HS_OK) {
        fprintf(stderr, "%s\n", hs_ctx_message(ctx));
        return;
    }
    /* one nc_get_var per variable: time (double), pr (float), tas (short), pet (double) */
    HS_CHECK_INT(c.read_ops, 4);
    HS_CHECK_INT(c.read_bytes, NT * 8 + NT * NH * (4 + 2 + 8));
    HS_CHECK_INT(f->n_time, NT);
    HS_CHECK_INT(f->n_hru, NH);
    HS_CHECK_INT(f->first_day, hs_day_from_ymd(2000, 1, 1));
    HS_CHECK(f->pet_mm != NULL);
    for (int i = 0; i < NT; i++) {
        for (int j = 0; j < NH; j++) {
            size_t k = (size_t)(i * NH + j);
            if (i == 2 && j == 1) HS_CHECK(isnan(f->precip_mm[k]));
            else HS_CHECK_CLOSE(f->precip_mm[k], i + 0.5 * j, 1e-6);
            if (i == 0 && j == 2) HS_CHECK(isnan(f->temp_c[k]));
            else HS_CHECK_CLOSE(f->temp_c[k], i + 0.1 * j, 1e-9);
            if (i == 4 && j == 0) HS_CHECK(isnan(f->pet_mm[k]));
            else HS_CHECK_CLOSE(f->pet_mm[k], 0.864 * (j + 1), 1e-12);
        }
    }
    hs_forcing_destroy(&f);

    /* observations: a 1-D variable; a 2-D one is refused */
    hs_series *s = NULL;
    st = hs_series_read(ctx, path, "q", &s);
    HS_CHECK_INT(st, HS_OK);
    if (s) {
        HS_CHECK_INT(s->n, NT);
        HS_CHECK_INT(s->first_day, hs_day_from_ymd(2000, 1, 1));
        HS_CHECK_CLOSE(s->values[4], 14.0, 0.0);
        HS_CHECK(isnan(s->values[3]));
    }
    hs_series_destroy(&s);
    hs_ctx_clear(ctx);
    HS_CHECK_INT(hs_series_read(ctx, path, "pr", &s), HS_ERR_FORMAT);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "variable 'pr' has dimensions (time, hru); expected (time)");
}

/* A small file with configurable time axis and layout; every value 1. */
typedef struct nc_case {
    const char *time_units;
    const char *calendar; /* NULL: none */
    double t0, step;
    bool hru_first;          /* pr(hru, time) instead of pr(time, hru) */
    const char *temp_units;
    const char *precip_name;
} nc_case;

static void write_case(const char *path, const nc_case *c) {
    int ncid, d_time, d_hru, v_time, v_pr, v_tas;
    NC_OK(nc_create(path, NC_NETCDF4 | NC_CLOBBER, &ncid));
    NC_OK(nc_def_dim(ncid, "time", 4, &d_time));
    NC_OK(nc_def_dim(ncid, "hru", 2, &d_hru));
    int dims[2] = {d_time, d_hru}, swapped[2] = {d_hru, d_time};
    NC_OK(nc_def_var(ncid, "time", NC_INT, 1, &d_time, &v_time));
    put_text(ncid, v_time, "units", c->time_units);
    if (c->calendar)
        put_text(ncid, v_time, "calendar", c->calendar);
    NC_OK(nc_def_var(ncid, c->precip_name ? c->precip_name : "pr", NC_FLOAT, 2,
                     c->hru_first ? swapped : dims, &v_pr));
    NC_OK(nc_def_var(ncid, "tas", NC_FLOAT, 2, dims, &v_tas));
    if (c->temp_units)
        put_text(ncid, v_tas, "units", c->temp_units);
    NC_OK(nc_enddef(ncid));
    int time[4];
    float ones[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    for (int i = 0; i < 4; i++) time[i] = (int)(c->t0 + c->step * i);
    NC_OK(nc_put_var_int(ncid, v_time, time));
    NC_OK(nc_put_var_float(ncid, v_pr, ones));
    NC_OK(nc_put_var_float(ncid, v_tas, ones));
    NC_OK(nc_close(ncid));
}

static hs_status read_case(hs_ctx *ctx, const char *dir, const char *name, const nc_case *c,
                           hs_forcing **f) {
    char path[1024];
    join(path, sizeof path, dir, name);
    write_case(path, c);
    hs_forcing_spec spec = {path, "pr", "tas", "pet"};
    hs_ctx_clear(ctx);
    return hs_forcing_read(ctx, &spec, f);
}

static void test_netcdf_time_and_errors(hs_ctx *ctx, const char *dir) {
    hs_forcing *f = NULL;
    /* reference date with a time zone and T separator; noon stamps belong to their own day */
    nc_case ok1 = {"seconds since 1999-12-31T12:00:00Z", "proleptic_gregorian", 0, 86400, false,
                   "degC", NULL};
    HS_CHECK_INT(read_case(ctx, dir, "time_ok1.nc", &ok1, &f), HS_OK);
    if (f) {
        HS_CHECK_INT(f->first_day, hs_day_from_ymd(1999, 12, 31));
        HS_CHECK_INT(f->n_hru, 2);
        HS_CHECK(f->pet_mm == NULL); /* optional variable absent */
        HS_CHECK_CLOSE(f->temp_c[0], 1.0, 0.0);
    }
    hs_forcing_destroy(&f);
    /* ERA5-style units with a fractional second, no calendar attribute */
    nc_case ok2 = {"hours since 1900-01-01 00:00:00.0", NULL, 876576, 24, false, NULL, NULL};
    HS_CHECK_INT(read_case(ctx, dir, "time_ok2.nc", &ok2, &f), HS_OK);
    if (f) HS_CHECK_INT(f->first_day, hs_day_from_ymd(2000, 1, 1)); /* 876576 h = 36524 days */
    hs_forcing_destroy(&f);

    nc_case noleap = {"days since 2000-01-01", "noleap", 0, 1, false, NULL, NULL};
    HS_CHECK_INT(read_case(ctx, dir, "noleap.nc", &noleap, &f), HS_ERR_FORMAT);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "noleap.nc: variable 'time': calendar 'noleap'");

    nc_case half = {"hours since 2000-01-01", "standard", 0, 12, false, NULL, NULL};
    HS_CHECK_INT(read_case(ctx, dir, "half_day.nc", &half, &f), HS_ERR_FORMAT);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "half_day.nc: variable 'time': step 1 (2000-01-01)");

    nc_case two = {"days since 2000-01-01", "standard", 0, 2, false, NULL, NULL};
    HS_CHECK_INT(read_case(ctx, dir, "two_day.nc", &two, &f), HS_ERR_FORMAT);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "step 1 (2000-01-03) is 2 days after step 0 (2000-01-01)");

    nc_case months = {"months since 2000-01-01", "standard", 0, 1, false, NULL, NULL};
    HS_CHECK_INT(read_case(ctx, dir, "months.nc", &months, &f), HS_ERR_FORMAT);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "units 'months since 2000-01-01' not understood");

    nc_case swapped = {"days since 2000-01-01", "standard", 0, 1, true, NULL, NULL};
    HS_CHECK_INT(read_case(ctx, dir, "swapped.nc", &swapped, &f), HS_ERR_FORMAT);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx),
                          "variable 'pr' has dimensions (hru, time); expected (time) or (time, hru)");

    nc_case degf = {"days since 2000-01-01", "standard", 0, 1, false, "degF", NULL};
    HS_CHECK_INT(read_case(ctx, dir, "degf.nc", &degf, &f), HS_ERR_FORMAT);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "degf.nc: variable 'tas' has units 'degF'");

    nc_case novar = {"days since 2000-01-01", "standard", 0, 1, false, NULL, "precip"};
    HS_CHECK_INT(read_case(ctx, dir, "novar.nc", &novar, &f), HS_ERR_FORMAT);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx),
                          "novar.nc: no variable 'pr' (variables: time, precip, tas)");
    HS_CHECK(f == NULL);

    /* not a netCDF file, and a missing one */
    char path[1024];
    join(path, sizeof path, dir, "not_netcdf.nc");
    write_text(path, "date,P\n2000-01-01,1\n");
    hs_forcing_spec spec = {path, "pr", "tas", NULL};
    HS_CHECK_INT(hs_forcing_read(ctx, &spec, &f), HS_ERR_FORMAT);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "not_netcdf.nc: cannot open: ");
    join(path, sizeof path, dir, "missing.nc");
    HS_CHECK_INT(hs_forcing_read(ctx, &spec, &f), HS_ERR_IO);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), path);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "test_forcing.d";
    hs_ctx *ctx = hs_ctx_create();
    HS_CHECK(ctx != NULL);
    if (!ctx) HS_TEST_REPORT();
    HS_CHECK_INT(hs_io_mkdirs(ctx, dir), HS_OK);
    test_bow_station(ctx);
    test_bow_discharge(ctx);
    test_csv_features(ctx, dir);
    test_csv_errors(ctx, dir);
    test_netcdf_roundtrip(ctx, dir);
    test_netcdf_time_and_errors(ctx, dir);
    hs_ctx_destroy(&ctx);
    HS_TEST_REPORT();
}
