/* hs_metrics.c -- objective functions of docs-models.md §8 (airGR ErrorCrit_* conventions).
 *
 * Every metric first pairs sim and obs, dropping steps where either is not finite, then uses
 * two passes (means, then centred sums) rather than the one-pass sum of squares formula, which
 * loses digits when flows are large and their variance small. KGE is evaluated inside every DDS
 * iteration, so the pair filter and the sums share one loop and nothing is allocated. */
#define _POSIX_C_SOURCE 200809L /* strcasecmp */
#include "hs_metrics.h"

#include <math.h>
#include <strings.h>

/* Means and centred second moments of the finite pairs. */
typedef struct moments {
    size_t n;
    double mean_s, mean_o;
    double sss, soo, sso; /* sums of (s-ms)^2, (o-mo)^2, (s-ms)(o-mo) */
} moments;

static inline int pair_ok(double s, double o) { return isfinite(s) && isfinite(o); }

static moments pair_moments(const double *sim, const double *obs, size_t n) {
    moments m = {0, 0.0, 0.0, 0.0, 0.0, 0.0};
    double sum_s = 0.0, sum_o = 0.0;
    for (size_t t = 0; t < n; t++) {
        if (!pair_ok(sim[t], obs[t])) continue;
        sum_s += sim[t];
        sum_o += obs[t];
        m.n++;
    }
    if (m.n == 0) return m;
    m.mean_s = sum_s / (double)m.n;
    m.mean_o = sum_o / (double)m.n;
    for (size_t t = 0; t < n; t++) {
        if (!pair_ok(sim[t], obs[t])) continue;
        const double ds = sim[t] - m.mean_s, d_o = obs[t] - m.mean_o;
        m.sss += ds * ds;
        m.soo += d_o * d_o;
        m.sso += ds * d_o;
    }
    return m;
}

/* r, alpha, beta, gamma; false when any of them is undefined (constant series, zero means). */
static bool kge_parts(const double *sim, const double *obs, size_t n, hs_kge_parts *p) {
    const moments m = pair_moments(sim, obs, n);
    p->n = m.n;
    p->r = p->alpha = p->beta = p->gamma = NAN;
    if (m.n < 2) return false;
    /* n - 1 as R; it cancels in alpha and gamma but keeps the sigmas comparable with R's sd() */
    const double sd_s = sqrt(m.sss / (double)(m.n - 1));
    const double sd_o = sqrt(m.soo / (double)(m.n - 1));
    if (!(sd_o > 0.0) || m.mean_o == 0.0) return false;
    p->alpha = sd_s / sd_o;
    p->beta = m.mean_s / m.mean_o;
    if (m.mean_s != 0.0) p->gamma = (sd_s / m.mean_s) / (sd_o / m.mean_o);
    if (!(sd_s > 0.0)) return false; /* r undefined for a constant simulation */
    p->r = m.sso / sqrt(m.sss * m.soo);
    return true;
}

double hs_metric_kge(const double *sim, const double *obs, size_t n, hs_kge_parts *parts) {
    hs_kge_parts p;
    const bool ok = kge_parts(sim, obs, n, &p);
    if (parts) *parts = p;
    if (!ok) return -INFINITY;
    const double a = p.r - 1.0, b = p.alpha - 1.0, c = p.beta - 1.0;
    return 1.0 - sqrt(a * a + b * b + c * c);
}

double hs_metric_kgep(const double *sim, const double *obs, size_t n, hs_kge_parts *parts) {
    hs_kge_parts p;
    const bool ok = kge_parts(sim, obs, n, &p);
    if (parts) *parts = p;
    if (!ok || !isfinite(p.gamma)) return -INFINITY;
    const double a = p.r - 1.0, b = p.gamma - 1.0, c = p.beta - 1.0;
    return 1.0 - sqrt(a * a + b * b + c * c);
}

double hs_metric_nse(const double *sim, const double *obs, size_t n) {
    const moments m = pair_moments(sim, obs, n);
    if (m.n < 2 || !(m.soo > 0.0)) return -INFINITY;
    double sse = 0.0;
    for (size_t t = 0; t < n; t++) {
        if (!pair_ok(sim[t], obs[t])) continue;
        const double d = sim[t] - obs[t];
        sse += d * d;
    }
    return 1.0 - sse / m.soo;
}

double hs_metric_lognse(const double *sim, const double *obs, size_t n, double eps,
                        double *eps_used) {
    if (eps < 0.0) {
        double sum_o = 0.0;
        size_t k = 0;
        bool nonpositive = false;
        for (size_t t = 0; t < n; t++) {
            if (!pair_ok(sim[t], obs[t])) continue;
            sum_o += obs[t];
            k++;
            if (obs[t] <= 0.0 || sim[t] <= 0.0) nonpositive = true;
        }
        eps = (nonpositive && k > 0) ? sum_o / (double)k / 100.0 : 0.0;
    }
    if (eps_used) *eps_used = eps;
    /* the same two-pass NSE on ln(x + eps); a pair whose log is undefined makes the metric
     * undefined rather than silently dropping the lowest flows */
    size_t k = 0;
    double sum_lo = 0.0;
    for (size_t t = 0; t < n; t++) {
        if (!pair_ok(sim[t], obs[t])) continue;
        if (!(sim[t] + eps > 0.0) || !(obs[t] + eps > 0.0)) return -INFINITY;
        sum_lo += log(obs[t] + eps);
        k++;
    }
    if (k < 2) return -INFINITY;
    const double mean_lo = sum_lo / (double)k;
    double sse = 0.0, sso = 0.0;
    for (size_t t = 0; t < n; t++) {
        if (!pair_ok(sim[t], obs[t])) continue;
        const double lo = log(obs[t] + eps), ls = log(sim[t] + eps);
        sse += (ls - lo) * (ls - lo);
        sso += (lo - mean_lo) * (lo - mean_lo);
    }
    if (!(sso > 0.0)) return -INFINITY;
    return 1.0 - sse / sso;
}

double hs_metric_rmse(const double *sim, const double *obs, size_t n) {
    double sse = 0.0;
    size_t k = 0;
    for (size_t t = 0; t < n; t++) {
        if (!pair_ok(sim[t], obs[t])) continue;
        const double d = sim[t] - obs[t];
        sse += d * d;
        k++;
    }
    return k ? sqrt(sse / (double)k) : INFINITY;
}

double hs_metric_pbias(const double *sim, const double *obs, size_t n) {
    double sum_d = 0.0, sum_o = 0.0;
    size_t k = 0;
    for (size_t t = 0; t < n; t++) {
        if (!pair_ok(sim[t], obs[t])) continue;
        sum_d += sim[t] - obs[t];
        sum_o += obs[t];
        k++;
    }
    if (k == 0 || sum_o == 0.0) return INFINITY;
    return 100.0 * sum_d / sum_o;
}

double hs_metric_eval(hs_metric m, const double *sim, const double *obs, size_t n) {
    switch (m) {
    case HS_METRIC_KGE: return hs_metric_kge(sim, obs, n, NULL);
    case HS_METRIC_KGEP: return hs_metric_kgep(sim, obs, n, NULL);
    case HS_METRIC_NSE: return hs_metric_nse(sim, obs, n);
    case HS_METRIC_LOGNSE: return hs_metric_lognse(sim, obs, n, -1.0, NULL);
    case HS_METRIC_RMSE: return hs_metric_rmse(sim, obs, n);
    case HS_METRIC_PBIAS: return hs_metric_pbias(sim, obs, n);
    case HS_METRIC_COUNT_: break;
    }
    return NAN;
}

static const char *const metric_names[HS_METRIC_COUNT_] = {"KGE",    "KGEp", "NSE",
                                                           "logNSE", "RMSE", "PBIAS"};

const char *hs_metric_name(hs_metric m) {
    return (m >= 0 && m < HS_METRIC_COUNT_) ? metric_names[m] : "unknown";
}

bool hs_metric_parse(const char *name, hs_metric *out) {
    if (!name) return false;
    if (strcasecmp(name, "KGE'") == 0) {
        *out = HS_METRIC_KGEP;
        return true;
    }
    for (int m = 0; m < HS_METRIC_COUNT_; m++) {
        if (strcasecmp(name, metric_names[m]) == 0) {
            *out = (hs_metric)m;
            return true;
        }
    }
    return false;
}

bool hs_metric_is_maximized(hs_metric m) {
    return m == HS_METRIC_KGE || m == HS_METRIC_KGEP || m == HS_METRIC_NSE ||
           m == HS_METRIC_LOGNSE;
}

double hs_metric_loss(hs_metric m, double value) {
    if (!isfinite(value)) return INFINITY;
    if (hs_metric_is_maximized(m)) return -value;
    if (m == HS_METRIC_PBIAS) return fabs(value);
    return value;
}
