/* hs_dds.c -- Dynamically Dimensioned Search (Tolson & Shoemaker 2007, WRR 43, W01413),
 * docs-models.md §7.1, as an ask/tell state machine so that the same search serves the
 * sequential loop here and the batched or distributed evaluators of the drivers.
 *
 * Candidate k (1-based, counted when asked) is
 *   - x0, for k = 1, when an initial solution is given;
 *   - a uniform sample within the bounds, for k <= N0 = max(5, round(0.005 m)) without x0, and
 *     for any later k while no finite objective has been told (nothing to perturb yet);
 *   - otherwise a perturbation of the current best: each dimension is selected with probability
 *     P_k = 1 - ln(k)/ln(m) (one chosen uniformly if none is), moved by r (upper - lower) N(0,1)
 *     and reflected at the bounds (set to the bound when the reflection overshoots).
 * Random draws, per perturbed candidate: n_dim uniforms for the selection, one hs_rng_below() when
 * none was selected, then one normal per selected dimension in dimension order. Per uniform
 * sample: n_dim uniforms. The stream therefore depends only on the seed and the ask/tell order. */
#include "hs_dds.h"

#include <math.h>
#include <string.h>

#include "hs_dds_impl.h"
#include "hs_rng.h"

struct hs_dds {
    size_t n_dim;
    size_t max_evals;
    size_t n_init;  /* candidates drawn at random (N0), or 1 with x0 */
    double r;
    double *lower, *upper, *x0; /* x0 NULL when not given */
    double *x_best;
    double f_best;
    bool has_best; /* x_best holds a point to perturb (x0, or a told point with finite f) */
    size_t asked, told;
    hs_rng rng;
    hs_ctx *ctx; /* for the messages of ask/tell, borrowed */
};

hs_status hs_dds_create(const hs_dds_config *cfg, hs_ctx *ctx, hs_dds **out) {
    if (!cfg || !out) return HS_FAIL(ctx, HS_ERR_ARG, "DDS: NULL config or output pointer");
    *out = NULL;
    if (cfg->n_dim == 0)
        return HS_FAIL(ctx, HS_ERR_CONFIG, "DDS: no parameter to calibrate (n_dim = 0)");
    if (!cfg->lower || !cfg->upper) return HS_FAIL(ctx, HS_ERR_ARG, "DDS: NULL bounds");
    if (cfg->max_evals < 1)
        return HS_FAIL(ctx, HS_ERR_CONFIG, "DDS: the budget must be at least 1 evaluation");
    if (!(cfg->r > 0.0 && cfg->r <= 1.0))
        return HS_FAIL(ctx, HS_ERR_CONFIG, "DDS: r = %g is out of range; expected 0 < r <= 1",
                       cfg->r);
    for (size_t j = 0; j < cfg->n_dim; j++) {
        const double lo = cfg->lower[j], hi = cfg->upper[j];
        if (!isfinite(lo) || !isfinite(hi) || !(lo < hi))
            return HS_FAIL(ctx, HS_ERR_CONFIG,
                           "DDS: dimension %zu: lower bound %g is not below upper bound %g", j,
                           lo, hi);
        if (cfg->x0 && !(cfg->x0[j] >= lo && cfg->x0[j] <= hi))
            return HS_FAIL(ctx, HS_ERR_CONFIG,
                           "DDS: dimension %zu: initial value %g lies outside [%g, %g]", j,
                           cfg->x0[j], lo, hi);
    }
    hs_dds *d = NULL;
    HS_TRY(hs_alloc(ctx, 1, sizeof *d, "DDS state", (void **)&d));
    const size_t n = cfg->n_dim;
    hs_status st = HS_ALLOC_ARRAY(ctx, d->lower, n, "DDS bounds");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, d->upper, n, "DDS bounds");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, d->x_best, n, "DDS best point");
    if (st == HS_OK && cfg->x0) st = HS_ALLOC_ARRAY(ctx, d->x0, n, "DDS initial point");
    if (st != HS_OK) {
        hs_dds_destroy(&d);
        return st;
    }
    d->n_dim = n;
    d->max_evals = cfg->max_evals;
    d->r = cfg->r;
    memcpy(d->lower, cfg->lower, n * sizeof *d->lower);
    memcpy(d->upper, cfg->upper, n * sizeof *d->upper);
    if (cfg->x0) {
        memcpy(d->x0, cfg->x0, n * sizeof *d->x0);
        memcpy(d->x_best, cfg->x0, n * sizeof *d->x_best);
        d->has_best = true; /* perturb x0 even if its own objective turns out non-finite */
        d->n_init = 1;
    } else {
        const double n0 = round(0.005 * (double)cfg->max_evals);
        d->n_init = n0 > 5.0 ? (size_t)n0 : 5;
    }
    if (d->n_init > d->max_evals) d->n_init = d->max_evals;
    d->f_best = INFINITY;
    d->ctx = ctx;
    hs_rng_seed(&d->rng, cfg->seed);
    *out = d;
    return HS_OK;
}

void hs_dds_destroy(hs_dds **dds) {
    if (!dds || !*dds) return;
    hs_dds *d = *dds;
    hs_free(d->lower);
    hs_free(d->upper);
    hs_free(d->x0);
    hs_free(d->x_best);
    hs_free(d);
    *dds = NULL;
}

void hs_dds_uniform_sample(hs_rng *rng, size_t n, const double *lower, const double *upper,
                           double *x) {
    for (size_t j = 0; j < n; j++) x[j] = lower[j] + hs_rng_uniform(rng) * (upper[j] - lower[j]);
}

/* Tolson & Shoemaker's reflection: once off the far side, the bound itself. */
static double reflect(double x, double lo, double hi) {
    if (x < lo) {
        x = lo + (lo - x);
        if (x > hi) x = lo;
    } else if (x > hi) {
        x = hi - (x - hi);
        if (x < lo) x = hi;
    }
    return x;
}

double hs_dds_select_probability(size_t k, size_t max_evals) {
    /* k = m gives P = 0: exactly one dimension moves, as in the paper's last iteration */
    if (max_evals <= 1 || k <= 1) return 1.0;
    const double p = 1.0 - log((double)k) / log((double)max_evals);
    return p > 0.0 ? p : 0.0;
}

void hs_dds_perturb(hs_rng *rng, size_t n, const double *lower, const double *upper, double r,
                    double p, const double *from, double *x) {
    memcpy(x, from, n * sizeof *x);
    /* selected dimensions are marked NaN until their normals are drawn: all selection uniforms
     * come first (a fixed draw order) without a scratch buffer; bounds and `from` are finite */
    size_t n_sel = 0;
    for (size_t j = 0; j < n; j++) {
        if (hs_rng_uniform(rng) < p) {
            x[j] = NAN;
            n_sel++;
        }
    }
    if (n_sel == 0) x[hs_rng_below(rng, n)] = NAN;
    for (size_t j = 0; j < n; j++) {
        if (!isnan(x[j])) continue;
        const double sigma = r * (upper[j] - lower[j]);
        x[j] = reflect(from[j] + sigma * hs_rng_normal(rng), lower[j], upper[j]);
    }
}

hs_status hs_dds_ask(hs_dds *d, double *x) {
    if (!d || !x) return HS_FAIL(d ? d->ctx : NULL, HS_ERR_ARG, "DDS: NULL argument to ask");
    if (d->asked >= d->max_evals)
        return HS_FAIL(d->ctx, HS_ERR_ARG, "DDS: the budget of %zu evaluations is used up",
                       d->max_evals);
    const size_t k = ++d->asked;
    if (d->x0 && k == 1)
        memcpy(x, d->x0, d->n_dim * sizeof *x);
    else if (k <= d->n_init || !d->has_best)
        hs_dds_uniform_sample(&d->rng, d->n_dim, d->lower, d->upper, x);
    else
        hs_dds_perturb(&d->rng, d->n_dim, d->lower, d->upper, d->r,
                       hs_dds_select_probability(k, d->max_evals), d->x_best, x);
    return HS_OK;
}

hs_status hs_dds_tell(hs_dds *d, const double *x, double f) {
    if (!d || !x) return HS_FAIL(d ? d->ctx : NULL, HS_ERR_ARG, "DDS: NULL argument to tell");
    if (d->told >= d->asked)
        return HS_FAIL(d->ctx, HS_ERR_ARG, "DDS: told %zu results for %zu candidates asked",
                       d->told + 1, d->asked);
    d->told++;
    /* greedy with "<=" so the search walks plateaus; NaN and +-inf never become the best */
    if (isfinite(f) && f <= d->f_best) {
        d->f_best = f;
        memcpy(d->x_best, x, d->n_dim * sizeof *x);
        d->has_best = true;
    }
    return HS_OK;
}

bool hs_dds_done(const hs_dds *d) { return d->asked >= d->max_evals; }
size_t hs_dds_asked(const hs_dds *d) { return d->asked; }
size_t hs_dds_told(const hs_dds *d) { return d->told; }

double hs_dds_best(const hs_dds *d, double *x) {
    if (x && d->has_best) memcpy(x, d->x_best, d->n_dim * sizeof *x);
    return d->f_best;
}

hs_status hs_dds_run(hs_dds *d, hs_objective_fn f, void *f_user, hs_dds_trace_fn trace,
                     void *trace_user, hs_ctx *ctx) {
    if (!d || !f) return HS_FAIL(ctx, HS_ERR_ARG, "DDS: NULL search or objective");
    double *x = NULL;
    HS_TRY(HS_ALLOC_ARRAY(ctx, x, d->n_dim, "DDS candidate"));
    hs_status st = HS_OK;
    while (!hs_dds_done(d)) {
        st = hs_dds_ask(d, x);
        if (st != HS_OK) break;
        double fx = INFINITY;
        st = f(f_user, x, &fx);
        if (st != HS_OK) break;
        st = hs_dds_tell(d, x, fx);
        if (st != HS_OK) break;
        if (trace) trace(trace_user, d->told, x, fx, d->f_best);
    }
    hs_free(x);
    return st;
}

void hs_dds_get_state(const hs_dds *d, hs_dds_state *st, double *x_best) {
    st->asked = d->asked;
    st->told = d->told;
    st->f_best = d->f_best;
    st->has_best = d->has_best;
    st->rng = d->rng;
    memcpy(x_best, d->x_best, d->n_dim * sizeof *x_best);
}

hs_status hs_dds_set_state(hs_dds *d, const hs_dds_state *st, const double *x_best) {
    if (st->told > st->asked || st->asked > d->max_evals)
        return HS_FAIL(d->ctx, HS_ERR_FORMAT,
                       "DDS state: %zu asked and %zu told do not fit a budget of %zu", st->asked,
                       st->told, d->max_evals);
    d->asked = st->asked;
    d->told = st->told;
    d->f_best = st->f_best;
    d->has_best = st->has_best || (d->x0 != NULL);
    d->rng = st->rng;
    memcpy(d->x_best, x_best, d->n_dim * sizeof *x_best);
    return HS_OK;
}
