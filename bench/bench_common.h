/* bench_common.h -- what the model benchmarks share: reading named columns of the Bow station
 * CSV, the CPU's name for the report, and a comparison for qsort (medians). Benchmark-only code:
 * prints to stderr, uses malloc. */
#ifndef HS_BENCH_COMMON_H
#define HS_BENCH_COMMON_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs_time.h"

/* Reads `ncol` named columns of a daily CSV (first column `date`) for `n_days` days from
 * `start`; missing fields become NAN. `prog` names the benchmark in messages. 0 or -1. */
static inline int bench_read_csv_columns(const char *prog, const char *path,
                                         const char *const *names, int ncol, hs_day start,
                                         int n_days, double **cols) {
    FILE *fp = fopen(path, "r");
    if (!fp) {
        fprintf(stderr, "%s: cannot open %s\n", prog, path);
        return -1;
    }
    char line[1024];
    int idx[8];
    for (int c = 0; c < ncol; c++) {
        idx[c] = -1;
        for (int t = 0; t < n_days; t++) cols[c][t] = NAN;
    }
    if (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\r\n")] = '\0';
        int k = 0;
        for (char *tok = line, *next; tok; tok = next, k++) {
            next = strchr(tok, ',');
            if (next) *next++ = '\0';
            for (int c = 0; c < ncol; c++)
                if (strcmp(tok, names[c]) == 0) idx[c] = k;
        }
    }
    for (int c = 0; c < ncol; c++) {
        if (idx[c] < 0) {
            fprintf(stderr, "%s: %s has no column %s\n", prog, path, names[c]);
            fclose(fp);
            return -1;
        }
    }
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *f[32];
        int nf = 0;
        for (char *tok = line, *next; tok && nf < 32; tok = next) {
            next = strchr(tok, ',');
            if (next) *next++ = '\0';
            f[nf++] = tok;
        }
        hs_day d;
        if (nf == 0 || !hs_day_parse(f[0], &d) || d < start || d >= start + n_days) continue;
        for (int c = 0; c < ncol; c++)
            if (idx[c] < nf && f[idx[c]][0] != '\0') cols[c][d - start] = strtod(f[idx[c]], NULL);
    }
    fclose(fp);
    return 0;
}

static inline void bench_cpu_name(char *buf, size_t cap) {
    snprintf(buf, cap, "unknown CPU");
    FILE *fp = fopen("/proc/cpuinfo", "r");
    if (!fp) return;
    char line[512];
    while (fgets(line, sizeof line, fp)) {
        if (strncmp(line, "model name", 10) == 0) {
            const char *colon = strchr(line, ':');
            if (colon) {
                colon++;
                while (*colon == ' ') colon++;
                snprintf(buf, cap, "%s", colon);
                buf[strcspn(buf, "\n")] = '\0';
            }
            break;
        }
    }
    fclose(fp);
}

static inline int bench_cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#endif /* HS_BENCH_COMMON_H */
