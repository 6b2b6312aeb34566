/* hs_csv.h -- private reader of daily CSV tables (not installed; used by hs_forcing.c).
 *
 * The file is read once (hs_io_read_file, so the I/O profiler counts it) and split in place:
 * separators become NUL bytes and numbers are converted with strtod straight from the buffer, so
 * a 2 MB, 42 000-row station file takes a few milliseconds. The format accepted:
 *   - one header line of column names; a UTF-8 byte-order mark and CRLF line ends are accepted;
 *   - a date column named "date" or "time" (any case), values "YYYY-MM-DD", consecutive days;
 *   - comma separators; a field may be double-quoted ("a,b", "" for a quote), not across lines;
 *   - every row has as many fields as the header; blank lines are skipped;
 *   - numeric fields: decimal numbers; an empty field, "NaN", "nan" or "NA" is missing (NaN);
 *     anything else ("abc", "1.2.3", "inf", hex) is an error naming file, line, column and text.
 * Columns that are not requested are ignored (not even converted). */
#ifndef HS_GEO_CSV_H
#define HS_GEO_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "hs_ctx.h"
#include "hs_time.h"

/** Requested numeric columns of a daily CSV file. */
typedef struct hs_csv_table {
    hs_day first_day; /* date of the first data row */
    size_t n_rows;    /* data rows (= days) */
    size_t n_cols;    /* number of requested columns */
    double **cols;    /* [n_cols] arrays of n_rows values (NaN = missing); an absent optional
                       * column is NULL. Owned by the table; see hs_csv_take(). */
} hs_csv_table;

/** Reads `path` and converts the columns `names[0..n_cols)`. A column with required[k] false
 *  may be absent (cols[k] == NULL); `required` may be NULL (all required). The same name may be
 *  requested twice. Errors: HS_ERR_IO (cannot read, names the path), HS_ERR_FORMAT (names the
 *  path, the line and the column: missing column with the list of available ones, bad number,
 *  bad or non-consecutive date, wrong field count, no data rows). Free with hs_csv_destroy().
 *  Thread-safe for distinct contexts. */
HS_NODISCARD hs_status hs_csv_read(hs_ctx *ctx, const char *path, size_t n_cols,
                                   const char *const *names, const bool *required,
                                   hs_csv_table **out);

/** Detaches column k: the caller owns the returned array (free with hs_free()); the table's
 *  entry becomes NULL. Returns NULL for an absent column or k out of range. */
double *hs_csv_take(hs_csv_table *t, size_t k);

/** Frees the table and the columns it still owns; NULL-safe; sets *t to NULL. */
void hs_csv_destroy(hs_csv_table **t);

/** Parses one numeric CSV field (NUL-terminated): surrounding blanks allowed; empty, "NaN",
 *  "nan", "NA" give NaN and true; a finite decimal number gives true; anything else false. */
bool hs_csv_parse_number(const char *text, double *out);

#endif /* HS_GEO_CSV_H */
