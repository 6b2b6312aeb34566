/* hs_amdahl.c -- least-squares fit of T(w) = a + b/w + c(w - 1); see hs_amdahl.h. The normal
 * equations are solved by Gaussian elimination with partial pivoting (3 x 3 at most). */
#include "hs_amdahl.h"

#include <math.h>
#include <string.h>

static bool solve(double m[3][4], int n, double *x) {
    for (int i = 0; i < n; i++) {
        int p = i;
        for (int r = i + 1; r < n; r++)
            if (fabs(m[r][i]) > fabs(m[p][i])) p = r;
        if (fabs(m[p][i]) < 1e-300) return false;
        if (p != i)
            for (int k = 0; k <= n; k++) {
                double t = m[i][k];
                m[i][k] = m[p][k];
                m[p][k] = t;
            }
        for (int r = 0; r < n; r++) {
            if (r == i) continue;
            const double f = m[r][i] / m[i][i];
            for (int k = i; k <= n; k++) m[r][k] -= f * m[i][k];
        }
    }
    for (int i = 0; i < n; i++) x[i] = m[i][n] / m[i][i];
    return true;
}

hs_amdahl hs_amdahl_fit(const double *workers, const double *seconds, size_t n) {
    hs_amdahl r;
    memset(&r, 0, sizeof r);
    r.n_points = n;
    if (n < 2) return r;
    /* distinct worker counts decide how many terms can be identified */
    size_t distinct = 0;
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t j = 0; j < i; j++) seen |= workers[j] == workers[i];
        distinct += !seen;
    }
    const int k = distinct >= 3 ? 3 : 2;
    if (distinct < 2) return r;
    double m[3][4];
    memset(m, 0, sizeof m);
    for (size_t i = 0; i < n; i++) {
        const double f[3] = {1.0, 1.0 / workers[i], workers[i] - 1.0};
        for (int p = 0; p < k; p++) {
            for (int q = 0; q < k; q++) m[p][q] += f[p] * f[q];
            m[p][k] += f[p] * seconds[i];
        }
    }
    double x[3] = {0, 0, 0};
    if (!solve(m, k, x)) return r;
    r.a = x[0];
    r.b = x[1];
    r.c = k == 3 ? x[2] : 0.0;
    r.serial_fraction = (r.a + r.b) != 0.0 ? r.a / (r.a + r.b) : NAN;
    r.ok = true;
    return r;
}

double hs_amdahl_time(const hs_amdahl *m, double w) { return m->a + m->b / w + m->c * (w - 1.0); }
