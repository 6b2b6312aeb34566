/* hs_adds.c -- asynchronous pool-based DDS; see hs_adds.h for the algorithm. */
#include "hs_adds.h"

#include <math.h>
#include <string.h>

#include "hs_dds_impl.h"
#include "hs_rng.h"



struct hs_adds {
    size_t n_dim, max_evals, n_init, pool_cap, pool_n;
    double r;
    uint64_t seed;
    double *lower, *upper, *x0; /* x0 NULL when not given */
    double *pool_x;             /* [pool_cap][n_dim], best first */
    double *pool_f;             /* [pool_cap] */
    size_t dispatched, told;
    hs_ctx *ctx;
};

hs_status hs_adds_create(const hs_adds_config *cfg, hs_ctx *ctx, hs_adds **out) {
    if (!cfg || !out) return HS_FAIL(ctx, HS_ERR_ARG, "async DDS: NULL config or output");
    *out = NULL;
    if (cfg->n_dim == 0) return HS_FAIL(ctx, HS_ERR_CONFIG, "async DDS: no parameter to calibrate");
    if (cfg->max_evals < 1) return HS_FAIL(ctx, HS_ERR_CONFIG, "async DDS: empty budget");
    if (cfg->pool_size < 1)
        return HS_FAIL(ctx, HS_ERR_CONFIG, "ASYNC_DDS_POOL_SIZE: must be at least 1");
    if (!(cfg->r > 0.0 && cfg->r <= 1.0))
        return HS_FAIL(ctx, HS_ERR_CONFIG, "async DDS: r = %g is out of range (0, 1]", cfg->r);
    for (size_t j = 0; j < cfg->n_dim; j++) {
        if (!(cfg->lower[j] < cfg->upper[j]) || !isfinite(cfg->lower[j]) ||
            !isfinite(cfg->upper[j]))
            return HS_FAIL(ctx, HS_ERR_CONFIG,
                           "async DDS: dimension %zu: lower bound %g is not below upper bound %g",
                           j, cfg->lower[j], cfg->upper[j]);
        if (cfg->x0 && !(cfg->x0[j] >= cfg->lower[j] && cfg->x0[j] <= cfg->upper[j]))
            return HS_FAIL(ctx, HS_ERR_CONFIG,
                           "async DDS: dimension %zu: initial value %g lies outside [%g, %g]", j,
                           cfg->x0[j], cfg->lower[j], cfg->upper[j]);
    }
    hs_adds *a = NULL;
    HS_TRY(hs_alloc(ctx, 1, sizeof *a, "async DDS", (void **)&a));
    const size_t n = cfg->n_dim;
    hs_status st = HS_ALLOC_ARRAY(ctx, a->lower, n, "async DDS bounds");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, a->upper, n, "async DDS bounds");
    if (st == HS_OK && cfg->x0) st = HS_ALLOC_ARRAY(ctx, a->x0, n, "async DDS initial point");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, a->pool_x, cfg->pool_size * n, "async DDS pool");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, a->pool_f, cfg->pool_size, "async DDS pool");
    if (st != HS_OK) {
        hs_adds_destroy(&a);
        return st;
    }
    a->n_dim = n;
    a->max_evals = cfg->max_evals;
    a->pool_cap = cfg->pool_size;
    a->r = cfg->r;
    a->seed = cfg->seed;
    memcpy(a->lower, cfg->lower, n * sizeof *a->lower);
    memcpy(a->upper, cfg->upper, n * sizeof *a->upper);
    if (cfg->x0) {
        memcpy(a->x0, cfg->x0, n * sizeof *a->x0);
        a->n_init = 1;
    } else {
        const double n0 = round(0.005 * (double)cfg->max_evals);
        a->n_init = n0 > 5.0 ? (size_t)n0 : 5;
    }
    a->ctx = ctx;
    *out = a;
    return HS_OK;
}

void hs_adds_destroy(hs_adds **ap) {
    if (!ap || !*ap) return;
    hs_adds *a = *ap;
    hs_free(a->lower);
    hs_free(a->upper);
    hs_free(a->x0);
    hs_free(a->pool_x);
    hs_free(a->pool_f);
    hs_free(a);
    *ap = NULL;
}

hs_status hs_adds_ask(hs_adds *a, double *x, size_t *id) {
    if (a->dispatched >= a->max_evals)
        return HS_FAIL(a->ctx, HS_ERR_ARG, "async DDS: the budget of %zu evaluations is used up",
                       a->max_evals);
    const size_t k = ++a->dispatched;
    *id = k;
    /* one generator per candidate: (seed, k) fixes its random numbers whatever the order in
     * which workers come back */
    hs_rng rng;
    hs_rng_seed(&rng, a->seed ^ (0xD1B54A32D192ED03ull * (uint64_t)k));
    if (a->x0 && k == 1) {
        memcpy(x, a->x0, a->n_dim * sizeof *x);
    } else if ((!a->x0 && k <= a->n_init) || a->pool_n == 0) {
        hs_dds_uniform_sample(&rng, a->n_dim, a->lower, a->upper, x);
    } else {
        /* the parent is the pool's best: see the header for why not another member */
        const size_t parent = 0;
        hs_dds_perturb(&rng, a->n_dim, a->lower, a->upper, a->r,
                       hs_dds_select_probability(k, a->max_evals), a->pool_x + parent * a->n_dim,
                       x);
    }
    return HS_OK;
}

hs_status hs_adds_tell(hs_adds *a, const double *x, double f) {
    if (a->told >= a->dispatched)
        return HS_FAIL(a->ctx, HS_ERR_ARG, "async DDS: told %zu results for %zu candidates",
                       a->told + 1, a->dispatched);
    a->told++;
    if (!isfinite(f)) return HS_OK;
    const size_t n = a->n_dim;
    /* position: before every member it ties with ("<=" as DDS: the newest of equals leads) */
    size_t pos = 0;
    while (pos < a->pool_n && a->pool_f[pos] < f) pos++;
    if (pos >= a->pool_cap) return HS_OK; /* worse than the whole full pool */
    size_t last = a->pool_n < a->pool_cap ? a->pool_n : a->pool_cap - 1;
    for (size_t i = last; i > pos; i--) {
        a->pool_f[i] = a->pool_f[i - 1];
        memcpy(a->pool_x + i * n, a->pool_x + (i - 1) * n, n * sizeof *x);
    }
    a->pool_f[pos] = f;
    memcpy(a->pool_x + pos * n, x, n * sizeof *x);
    if (a->pool_n < a->pool_cap) a->pool_n++;
    return HS_OK;
}

bool hs_adds_done(const hs_adds *a) { return a->dispatched >= a->max_evals; }
size_t hs_adds_dispatched(const hs_adds *a) { return a->dispatched; }
size_t hs_adds_told(const hs_adds *a) { return a->told; }

double hs_adds_best(const hs_adds *a, double *x) {
    if (a->pool_n == 0) return INFINITY;
    if (x) memcpy(x, a->pool_x, a->n_dim * sizeof *x);
    return a->pool_f[0];
}

size_t hs_adds_pool_count(const hs_adds *a) { return a->pool_n; }

double hs_adds_pool_member(const hs_adds *a, size_t i, double *x) {
    if (i >= a->pool_n) return INFINITY;
    if (x) memcpy(x, a->pool_x + i * a->n_dim, a->n_dim * sizeof *x);
    return a->pool_f[i];
}

hs_status hs_adds_restore(hs_adds *a, size_t dispatched, size_t told, size_t n_pool,
                          const double *pool_x, const double *pool_f) {
    if (told > dispatched || dispatched > a->max_evals || n_pool > a->pool_cap)
        return HS_FAIL(a->ctx, HS_ERR_FORMAT,
                       "async DDS state: %zu dispatched, %zu told, pool %zu do not fit budget %zu "
                       "and pool size %zu",
                       dispatched, told, n_pool, a->max_evals, a->pool_cap);
    a->dispatched = dispatched;
    a->told = told;
    a->pool_n = n_pool;
    memcpy(a->pool_x, pool_x, n_pool * a->n_dim * sizeof *pool_x);
    memcpy(a->pool_f, pool_f, n_pool * sizeof *pool_f);
    return HS_OK;
}
