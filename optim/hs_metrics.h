/* hs_metrics.h -- objective functions (docs-models.md §8): KGE (Gupta et al. 2009), KGE'
 * (Kling et al. 2012), NSE, log-NSE, RMSE and PBIAS.
 *
 * Pairs where either value is not finite (NaN = missing observation) are skipped. Standard
 * deviations use n - 1 (as R). Degenerate inputs (fewer than 2 pairs, zero variance, zero mean)
 * give -INFINITY for KGE/KGE'/NSE/log-NSE and +INFINITY for RMSE, never NaN, so that a
 * calibration never accepts them. PBIAS = 100 * sum(sim - obs) / sum(obs): positive means the
 * model overestimates. Pure functions, thread-safe, no allocation. */
#ifndef HS_OPTIM_METRICS_H
#define HS_OPTIM_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "hs_api.h"
#include "hs_status.h"

typedef enum hs_metric {
    HS_METRIC_KGE = 0,
    HS_METRIC_KGEP,
    HS_METRIC_NSE,
    HS_METRIC_LOGNSE,
    HS_METRIC_RMSE,
    HS_METRIC_PBIAS,
    HS_METRIC_COUNT_
} hs_metric;

/** KGE components. gamma is KGE' variability ratio (CV ratio). */
typedef struct hs_kge_parts {
    double r, alpha, beta, gamma;
    size_t n; /* pairs used */
} hs_kge_parts;

HS_API double hs_metric_kge(const double *sim, const double *obs, size_t n, hs_kge_parts *parts);
HS_API double hs_metric_kgep(const double *sim, const double *obs, size_t n, hs_kge_parts *parts);
HS_API double hs_metric_nse(const double *sim, const double *obs, size_t n);
/** NSE of ln(x + eps). eps < 0 selects the rule of docs-models.md §8: mean(obs)/100 when any
 *  used obs or sim value is <= 0, else 0. *eps_used (nullable) reports the value used. */
HS_API double hs_metric_lognse(const double *sim, const double *obs, size_t n, double eps,
                               double *eps_used);
HS_API double hs_metric_rmse(const double *sim, const double *obs, size_t n);
HS_API double hs_metric_pbias(const double *sim, const double *obs, size_t n);

/** Value of metric m (log-NSE with the automatic eps). */
HS_API double hs_metric_eval(hs_metric m, const double *sim, const double *obs, size_t n);
/** Config name ("KGE", "KGEp", "NSE", "logNSE", "RMSE", "PBIAS") <-> enum; parse is
 *  case-insensitive and also accepts "KGE'". */
HS_API const char *hs_metric_name(hs_metric m);
HS_API bool hs_metric_parse(const char *name, hs_metric *out);
/** True for metrics where larger is better (KGE, KGE', NSE, log-NSE). */
HS_API bool hs_metric_is_maximized(hs_metric m);
/** The value DDS minimises: -value for maximised metrics, value for RMSE, |value| for PBIAS;
 *  +INFINITY for non-finite values. */
HS_API double hs_metric_loss(hs_metric m, double value);

#endif /* HS_OPTIM_METRICS_H */
