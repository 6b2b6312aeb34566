/* hs_csv.c -- fast in-place reader of daily CSV tables (see hs_csv.h for the accepted format).
 *
 * One pass over the buffer: each line is split into fields in place (the separator becomes a NUL,
 * quoted fields are unescaped in place), the field pointers of the line go into one reusable
 * array, and only the date column and the requested columns are converted (a
 * correctly rounded fast path for short decimals, strtod otherwise); no per-row
 * allocation. */
#include "hs_csv.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs_io.h"

/* Longest list of available columns quoted in a "no column" message. */
#define HS_CSV_LIST_CAP 512

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

static char lower_ascii(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c; }

static bool equals_nocase(const char *a, const char *b) {
    for (; *a && *b; a++, b++)
        if (lower_ascii(*a) != lower_ascii(*b)) return false;
    return *a == *b;
}

/* Clinger's fast path (W. D. Clinger, "How to read floating point numbers accurately", PLDI
 * 1990): for "[sign]digits[.digits]" with at most 15 digits, the integer mantissa and 10^k are
 * exact doubles, so one IEEE division gives the correctly rounded value, identical to strtod.
 * Anything else (exponents, long mantissas) goes to strtod. */
static bool parse_simple_decimal(const char *s, size_t n, double *out) {
    static const double pow10[16] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    size_t i = 0;
    bool neg = false;
    if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        i++;
    }
    uint64_t m = 0;
    int digits = 0, frac = 0;
    bool dot = false;
    for (; i < n; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            if (++digits > 15) return false;
            m = m * 10 + (uint64_t)(c - '0');
            frac += dot;
        } else if (c == '.' && !dot) {
            dot = true;
        } else {
            return false;
        }
    }
    if (digits == 0) return false;
    double v = (double)m / pow10[frac];
    *out = neg ? -v : v;
    return true;
}

bool hs_csv_parse_number(const char *text, double *out) {
    const char *s = text;
    while (is_blank(*s)) s++;
    size_t n = strlen(s);
    while (n > 0 && is_blank(s[n - 1])) n--;
    if (n == 0 || (n == 3 && (memcmp(s, "NaN", 3) == 0 || memcmp(s, "nan", 3) == 0)) ||
        (n == 2 && memcmp(s, "NA", 2) == 0)) {
        *out = NAN;
        return true;
    }
    /* strtod also accepts "inf", "nan(...)" and hex floats; a data file should hold none */
    if (parse_simple_decimal(s, n, out)) return true;
    char c = s[0];
    if (!((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')) return false;
    if (memchr(s, 'x', n) || memchr(s, 'X', n)) return false;
    char *end = NULL;
    double v = strtod(s, &end);
    if (end != s + n || !isfinite(v)) return false;
    *out = v;
    return true;
}

/* Splits the field starting at *pos in place and returns its text (NUL-terminated).
 * *pos moves to the next field or line; *eol tells whether this field ended its line.
 * Returns NULL for a malformed quoted field (unterminated, or text after the closing quote). */
static char *next_field(char **pos, bool *eol) {
    char *p = *pos;
    if (*p == '"') {
        char *start = p + 1, *w = start;
        p++;
        for (;;) {
            if (*p == '"') {
                if (p[1] == '"') {
                    *w++ = '"';
                    p += 2;
                    continue;
                }
                p++;
                break;
            }
            /* a field spanning lines would desynchronise the line numbers of the messages */
            if (*p == '\0' || *p == '\n') return NULL;
            *w++ = *p++;
        }
        while (is_blank(*p) || *p == '\r') p++;
        if (*p != ',' && *p != '\n' && *p != '\0') return NULL;
        *w = '\0';
        *eol = (*p != ',');
        *pos = (*p == '\0') ? p : p + 1;
        return start;
    }
    char *start = p;
    /* fields are a few bytes long: a plain loop beats strcspn's per-call setup */
    while (*p != ',' && *p != '\n' && *p != '\0') p++;
    char sep = *p;
    *eol = (sep != ',');
    *pos = (sep == '\0') ? p : p + 1;
    if (p > start && p[-1] == '\r') p[-1] = '\0';
    *p = '\0';
    return start;
}

/* True when the line at p holds only blanks (or a lone CR). */
static bool line_is_blank(const char *p) {
    while (is_blank(*p) || *p == '\r') p++;
    return *p == '\n' || *p == '\0';
}

static void skip_line(char **pos) {
    char *nl = strchr(*pos, '\n');
    *pos = nl ? nl + 1 : *pos + strlen(*pos);
}

void hs_csv_destroy(hs_csv_table **t) {
    if (!t || !*t) return;
    hs_csv_table *tab = *t;
    if (tab->cols) {
        for (size_t k = 0; k < tab->n_cols; k++) hs_free(tab->cols[k]);
        hs_free(tab->cols);
    }
    hs_free(tab);
    *t = NULL;
}

double *hs_csv_take(hs_csv_table *t, size_t k) {
    if (!t || k >= t->n_cols) return NULL;
    double *c = t->cols[k];
    t->cols[k] = NULL;
    return c;
}

/* HS_ERR_FORMAT "path: no column 'name' (columns: a, b, c)". */
static hs_status fail_no_column(hs_ctx *ctx, const char *path, const char *what,
                                char *const *header, size_t n_header) {
    char list[HS_CSV_LIST_CAP];
    size_t used = 0;
    list[0] = '\0';
    for (size_t j = 0; j < n_header && used + 1 < sizeof list; j++) {
        int w = snprintf(list + used, sizeof list - used, "%s%s", j ? ", " : "", header[j]);
        if (w < 0) break;
        used += (size_t)w;
    }
    if (used >= sizeof list) memcpy(list + sizeof list - 4, "...", 4);
    return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: no column %s (columns: %s)", path, what, list);
}

/* The whole parse, on a buffer owned by the caller; fills `tab` (cols allocated by caller). */
static hs_status parse(hs_ctx *ctx, const char *path, char *buf, size_t len, size_t n_cols,
                       const char *const *names, const bool *required, hs_csv_table *tab,
                       char ***fields_out, size_t **col_idx_out) {
    char *pos = buf;
    if (len >= 3 && (unsigned char)buf[0] == 0xEF && (unsigned char)buf[1] == 0xBB &&
        (unsigned char)buf[2] == 0xBF)
        pos += 3;
    long line = 1;
    while (*pos && line_is_blank(pos)) {
        skip_line(&pos);
        line++;
    }
    if (*pos == '\0') return HS_FAIL(ctx, HS_ERR_FORMAT, "%s: empty file (no header line)", path);

    /* header: count the fields first (commas outside quotes) to size the pointer array */
    size_t n_header = 1;
    bool in_quotes = false;
    for (const char *q = pos; *q && *q != '\n'; q++) {
        if (*q == '"') in_quotes = !in_quotes;
        else if (*q == ',' && !in_quotes) n_header++;
    }
    char **fields = NULL;
    HS_TRY(HS_ALLOC_ARRAY(ctx, fields, n_header, "CSV header"));
    *fields_out = fields;
    size_t nf = 0;
    bool eol = false;
    while (!eol) {
        char *f = next_field(&pos, &eol);
        if (!f) return HS_FAIL(ctx, HS_ERR_FORMAT, "%s:%ld: malformed quoted field", path, line);
        /* a quote inside an unquoted name can make the count above differ from the split */
        if (nf == n_header)
            return HS_FAIL(ctx, HS_ERR_FORMAT, "%s:%ld: malformed header line (stray quote)",
                           path, line);
        while (is_blank(*f)) f++;
        for (size_t n = strlen(f); n > 0 && is_blank(f[n - 1]); n--) f[n - 1] = '\0';
        fields[nf++] = f;
    }
    if (nf != n_header)
        return HS_FAIL(ctx, HS_ERR_FORMAT, "%s:%ld: malformed header line (stray quote)", path,
                       line);
    line++;

    size_t date_col = n_header;
    for (size_t j = 0; j < n_header && date_col == n_header; j++)
        if (equals_nocase(fields[j], "date") || equals_nocase(fields[j], "time")) date_col = j;
    if (date_col == n_header)
        return fail_no_column(ctx, path, "'date' or 'time'", fields, n_header);

    size_t *col_idx = NULL;
    HS_TRY(HS_ALLOC_ARRAY(ctx, col_idx, n_cols, "CSV columns"));
    *col_idx_out = col_idx;
    for (size_t k = 0; k < n_cols; k++) {
        col_idx[k] = n_header;
        for (size_t j = 0; j < n_header; j++) {
            if (strcmp(fields[j], names[k]) == 0) {
                col_idx[k] = j;
                break;
            }
        }
        if (col_idx[k] == n_header && (!required || required[k])) {
            char what[256];
            snprintf(what, sizeof what, "'%s'", names[k]);
            return fail_no_column(ctx, path, what, fields, n_header);
        }
    }

    /* the header names live in buf and stay valid; keep them for messages */
    char **names_in_file = NULL;
    HS_TRY(HS_ALLOC_ARRAY(ctx, names_in_file, n_header, "CSV header"));
    memcpy(names_in_file, fields, n_header * sizeof *fields);

    /* upper bound of the data rows: newlines left + 1 */
    size_t max_rows = 1;
    for (const char *q = pos; (q = memchr(q, '\n', (size_t)(buf + len - q))) != NULL; q++)
        max_rows++;
    hs_status st = HS_OK;
    for (size_t k = 0; k < n_cols && st == HS_OK; k++)
        if (col_idx[k] < n_header) st = HS_ALLOC_ARRAY(ctx, tab->cols[k], max_rows, names[k]);
    if (st != HS_OK) {
        hs_free(names_in_file);
        return st;
    }

    size_t row = 0;
    hs_day prev = 0;
    while (*pos) {
        if (line_is_blank(pos)) {
            skip_line(&pos);
            line++;
            continue;
        }
        nf = 0;
        eol = false;
        while (!eol) {
            char *f = next_field(&pos, &eol);
            if (!f) {
                st = HS_FAIL(ctx, HS_ERR_FORMAT, "%s:%ld: malformed quoted field", path, line);
                goto done;
            }
            if (nf < n_header) fields[nf] = f;
            nf++;
        }
        if (nf != n_header) {
            st = HS_FAIL(ctx, HS_ERR_FORMAT, "%s:%ld: %zu fields, the header has %zu", path, line,
                         nf, n_header);
            goto done;
        }
        hs_day d;
        if (!hs_day_parse(fields[date_col], &d)) {
            st = HS_FAIL(ctx, HS_ERR_FORMAT,
                         "%s:%ld: column '%s': '%s' is not a date (expected YYYY-MM-DD)", path,
                         line, names_in_file[date_col], fields[date_col]);
            goto done;
        }
        if (row == 0) {
            tab->first_day = d;
        } else if (d != prev + 1) {
            char a[16], b[16];
            st = HS_FAIL(ctx, HS_ERR_FORMAT,
                         "%s:%ld: date %s does not follow %s (daily data must have consecutive "
                         "dates)",
                         path, line, hs_day_format(d, a), hs_day_format(prev, b));
            goto done;
        }
        prev = d;
        for (size_t k = 0; k < n_cols; k++) {
            if (col_idx[k] == n_header) continue;
            const char *text = fields[col_idx[k]];
            if (!hs_csv_parse_number(text, &tab->cols[k][row])) {
                st = HS_FAIL(ctx, HS_ERR_FORMAT, "%s:%ld: column '%s': '%s' is not a number",
                             path, line, names[k], text);
                goto done;
            }
        }
        row++;
        line++;
    }
    if (row == 0) st = HS_FAIL(ctx, HS_ERR_FORMAT, "%s: no data rows after the header", path);
    tab->n_rows = row;
done:
    hs_free(names_in_file);
    return st;
}

hs_status hs_csv_read(hs_ctx *ctx, const char *path, size_t n_cols, const char *const *names,
                      const bool *required, hs_csv_table **out) {
    *out = NULL;
    if (!path || (n_cols > 0 && !names))
        return HS_FAIL(ctx, HS_ERR_ARG, "hs_csv_read: NULL path or column names");
    for (size_t k = 0; k < n_cols; k++)
        if (!names[k]) return HS_FAIL(ctx, HS_ERR_ARG, "%s: column name %zu is NULL", path, k);

    hs_csv_table *tab = NULL;
    HS_TRY(HS_ALLOC_ARRAY(ctx, tab, 1, "CSV table"));
    tab->n_cols = n_cols;
    hs_status st = HS_ALLOC_ARRAY(ctx, tab->cols, n_cols, "CSV columns");
    if (st != HS_OK) {
        hs_free(tab);
        return st;
    }
    char *buf = NULL;
    size_t len = 0;
    char **fields = NULL;
    size_t *col_idx = NULL;
    st = hs_io_read_file(ctx, path, &buf, &len);
    if (st == HS_OK)
        st = parse(ctx, path, buf, len, n_cols, names, required, tab, &fields, &col_idx);
    hs_free(fields);
    hs_free(col_idx);
    hs_free(buf);
    if (st != HS_OK) {
        hs_csv_destroy(&tab);
        return st;
    }
    *out = tab;
    return HS_OK;
}
