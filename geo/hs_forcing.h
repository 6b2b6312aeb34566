/* hs_forcing.h -- readers of forcing and observed discharge: CSV and CF netCDF (netCDF-C).
 *
 * A daily series is stored as a start date plus consecutive days (the readers check that dates
 * are consecutive). Missing values (empty CSV fields, netCDF _FillValue/missing_value, NaN) are
 * stored as NaN; gap filling is hs_prep's job. Text in a numeric field is an error naming the
 * file, line and column.
 *
 * CSV: one header line with column names; the date column is "date" or "time" (YYYY-MM-DD).
 * netCDF: a "time" coordinate with CF units "days|hours|seconds since YYYY-MM-DD[ hh:mm:ss]"
 * (standard/gregorian/proleptic_gregorian calendar) at a daily step; data variables
 * (time) for a lumped basin or (time, hru) per HRU (the first dimension must be named "time";
 * the second may have any name). Day i is the calendar day holding time stamp i. scale_factor and
 * add_offset are applied; values equal to _FillValue or missing_value (or to the netCDF default
 * fill of a float/double variable without _FillValue) become NaN; valid_min/valid_max/valid_range
 * are ignored (as xarray does). Forcing units are checked and converted when a `units` attribute
 * is present: temperature to degC (from K), precipitation and PET to mm d-1 (from mm, mm s-1,
 * mm h-1, kg m-2 s-1, m, m s-1, ...); unknown units are an error naming the variable and the
 * units; a missing attribute means the variable is already in degC / mm d-1. Observations
 * (hs_series_read) are returned as stored (after scaling). Every read (one per nc_get_var call,
 * one per CSV file) is counted by the I/O profiler. */
#ifndef HS_GEO_FORCING_H
#define HS_GEO_FORCING_H

#include <stdbool.h>
#include <stddef.h>

#include "hs_api.h"
#include "hs_ctx.h"
#include "hs_time.h"

/** Names of the forcing variables (FORCING_VARIABLES: role -> variable/column name). */
typedef struct hs_forcing_spec {
    const char *path;
    const char *var_precip; /* required */
    const char *var_temp;   /* required */
    const char *var_pet;    /* optional: when the column/variable is absent, pet_mm is NULL */
} hs_forcing_spec;

/** Forcing as read: time-major [n_time][n_hru], owned by the struct. */
typedef struct hs_forcing {
    hs_day first_day;
    size_t n_time;
    size_t n_hru;
    double *precip_mm;
    double *temp_c;
    double *pet_mm; /* NULL when absent */
} hs_forcing;

/** Reads CSV (".csv", ".txt") or netCDF (".nc", ".nc4", ".cdf") by extension.
 *  Free with hs_forcing_destroy(). Errors name the file and the variable/column/line. */
HS_NODISCARD HS_API hs_status hs_forcing_read(hs_ctx *ctx, const hs_forcing_spec *spec,
                                              hs_forcing **out);
/** Allocates a forcing of n_time x n_hru values, all NaN (missing), starting at first_day;
 *  pet_mm is allocated only when with_pet. n_time and n_hru must be > 0 (HS_ERR_ARG).
 *  Free with hs_forcing_destroy(). Thread-safe. */
HS_NODISCARD HS_API hs_status hs_forcing_create(hs_ctx *ctx, hs_day first_day, size_t n_time,
                                                size_t n_hru, bool with_pet, hs_forcing **out);
/** NULL-safe; sets *f to NULL. */
HS_API void hs_forcing_destroy(hs_forcing **f);

/** One daily series (observations), owned. */
typedef struct hs_series {
    hs_day first_day;
    size_t n;
    double *values;
} hs_series;

/** Reads observed discharge: CSV column `var` (e.g. "Q_m3s") or netCDF variable `var` (1-D over
 *  time). Free with hs_series_destroy(). */
HS_NODISCARD HS_API hs_status hs_series_read(hs_ctx *ctx, const char *path, const char *var,
                                             hs_series **out);
HS_API void hs_series_destroy(hs_series **s);

/** Parses CF time units "<unit> since YYYY-M-D[ hh:mm[:ss]][Z]" into the length of one unit in
 *  days and the reference instant in days since 1970-01-01. False when not understood. */
HS_API bool hs_forcing_parse_time_units(const char *units, double *unit_days, double *ref_days);

#endif /* HS_GEO_FORCING_H */
