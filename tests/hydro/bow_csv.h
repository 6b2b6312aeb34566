/* bow_csv.h -- test helper: reads columns of the Bow-at-Banff daily CSV files in
 * testdata/bow (README there: provenance, units; empty field = missing) for a date
 * range. Test-only code: prints to stderr, uses malloc. */
#ifndef HS_TESTS_HYDRO_BOW_CSV_H
#define HS_TESTS_HYDRO_BOW_CSV_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs_time.h"

#define BOW_CLIMATE_CSV HS_TESTDATA_DIR "/bow/climate_banff_station.csv"
#define BOW_DISCHARGE_CSV HS_TESTDATA_DIR "/bow/discharge_05BB001.csv"

/* Splits `line` in place at commas (empty fields kept); returns the number of fields. */
static inline size_t bow_split(char *line, char **fields, size_t cap)
{
    size_t n = 0;
    char *p = line;
    line[strcspn(line, "\r\n")] = '\0';
    while (n < cap) {
        fields[n++] = p;
        char *c = strchr(p, ',');
        if (!c) break;
        *c = '\0';
        p = c + 1;
    }
    return n;
}

/* Reads columns `names[0..ncol)` for days start..end (inclusive) of a CSV whose first column is
 * `date`. out[c] gets a malloc'ed array of end - start + 1 values, NAN where missing. Returns 0,
 * or -1 after printing why. */
static inline int bow_read_columns(const char *path, const char *const *names, size_t ncol,
                                   hs_day start, hs_day end, double **out)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        fprintf(stderr, "cannot open %s\n", path);
        return -1;
    }
    const size_t n = (size_t)(end - start + 1);
    char line[1024];
    char *fields[32];
    size_t idx[16];
    int ok = fgets(line, sizeof line, fp) != NULL;
    size_t nf = ok ? bow_split(line, fields, 32) : 0;
    for (size_t c = 0; ok && c < ncol; c++) {
        idx[c] = (size_t)-1;
        for (size_t k = 0; k < nf; k++)
            if (strcmp(fields[k], names[c]) == 0) idx[c] = k;
        if (idx[c] == (size_t)-1) {
            fprintf(stderr, "%s: no column %s\n", path, names[c]);
            ok = 0;
        }
    }
    for (size_t c = 0; c < ncol; c++) {
        out[c] = malloc(n * sizeof *out[c]);
        if (!out[c]) ok = 0;
        for (size_t t = 0; out[c] && t < n; t++) out[c][t] = NAN;
    }
    size_t found = 0;
    while (ok && fgets(line, sizeof line, fp)) {
        nf = bow_split(line, fields, 32);
        hs_day d;
        if (nf == 0 || !hs_day_parse(fields[0], &d) || d < start || d > end) continue;
        found++;
        for (size_t c = 0; c < ncol; c++) {
            if (idx[c] >= nf || fields[idx[c]][0] == '\0') continue;
            out[c][d - start] = strtod(fields[idx[c]], NULL);
        }
    }
    fclose(fp);
    if (ok && found != n) {
        fprintf(stderr, "%s: %zu of %zu days found\n", path, found, n);
        ok = 0;
    }
    if (!ok) {
        for (size_t c = 0; c < ncol; c++) {
            free(out[c]);
            out[c] = NULL;
        }
        return -1;
    }
    return 0;
}

/* Daily lumped forcing of the Bow at Banff station, start..end: precipitation (gaps -> 0),
 * mean temperature and Oudin PET (gaps -> previous value, or 0 at the start). */
typedef struct bow_forcing {
    size_t n;
    hs_day start;
    double *p, *t, *e;
} bow_forcing;

static inline int bow_forcing_read(hs_day start, hs_day end, bow_forcing *f)
{
    static const char *const names[] = {"P_mm", "Tmean_C", "E_oudin_mm"};
    double *cols[3] = {NULL, NULL, NULL};
    if (bow_read_columns(BOW_CLIMATE_CSV, names, 3, start, end, cols) != 0) return -1;
    f->n = (size_t)(end - start + 1);
    f->start = start;
    f->p = cols[0];
    f->t = cols[1];
    f->e = cols[2];
    for (size_t i = 0; i < f->n; i++) {
        if (isnan(f->p[i])) f->p[i] = 0.0;
        if (isnan(f->t[i])) f->t[i] = i ? f->t[i - 1] : 0.0;
        if (isnan(f->e[i])) f->e[i] = i ? f->e[i - 1] : 0.0;
    }
    return 0;
}

/* The Bow forcing spread over nh HRUs that differ ([n][nh] each): wetter, colder and with less
 * PET the higher h, so partition and thread tests see HRUs that do not behave alike. */
static inline void bow_forcing_spread(const bow_forcing *bf, size_t nh, double *P, double *T,
                                      double *E)
{
    for (size_t t = 0; t < bf->n; t++)
        for (size_t h = 0; h < nh; h++) {
            P[t * nh + h] = bf->p[t] * (1.0 + 0.2 * (double)h);
            T[t * nh + h] = bf->t[t] - 1.5 * (double)h;
            E[t * nh + h] = bf->e[t] * (1.0 - 0.1 * (double)h);
        }
}

static inline void bow_forcing_free(bow_forcing *f)
{
    free(f->p);
    free(f->t);
    free(f->e);
    f->p = f->t = f->e = NULL;
}

#endif /* HS_TESTS_HYDRO_BOW_CSV_H */
