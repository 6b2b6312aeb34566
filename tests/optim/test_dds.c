/* test_dds.c -- DDS (docs-models.md §7): the optimum of the sphere function, the statistical
 * check values of §7.3 (Griewank, Rastrigin and Ackley in 10-D over many seeds; the reference
 * means come from an independent R run, so this is a statistical, not a bitwise, test),
 * determinism for a seed, the budget and initial-point rules, bounds and reflection, the
 * perturbation probability schedule and the configuration errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hs_dds.h"
#include "hs_test.h"

#define PI 3.14159265358979323846

typedef double (*test_fn)(const double *x, size_t n);

static double sphere(const double *x, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += x[i] * x[i];
    return s;
}
static double griewank(const double *x, size_t n) {
    double s = 0, p = 1;
    for (size_t i = 0; i < n; i++) {
        s += x[i] * x[i] / 4000.0;
        p *= cos(x[i] / sqrt((double)(i + 1)));
    }
    return 1.0 + s - p;
}
static double rastrigin(const double *x, size_t n) {
    double s = 10.0 * (double)n;
    for (size_t i = 0; i < n; i++) s += x[i] * x[i] - 10.0 * cos(2.0 * PI * x[i]);
    return s;
}
static double ackley(const double *x, size_t n) {
    double s2 = 0, sc = 0;
    for (size_t i = 0; i < n; i++) {
        s2 += x[i] * x[i];
        sc += cos(2.0 * PI * x[i]);
    }
    return -20.0 * exp(-0.2 * sqrt(s2 / (double)n)) - exp(sc / (double)n) + 20.0 + exp(1.0);
}

typedef struct fn_user {
    test_fn fn;
    size_t n;
    size_t calls;
    const double *lo, *hi;
    int out_of_bounds;
} fn_user;

static hs_status eval_fn(void *user, const double *x, double *f) {
    fn_user *u = user;
    for (size_t j = 0; j < u->n; j++)
        if (x[j] < u->lo[j] || x[j] > u->hi[j]) u->out_of_bounds++;
    *f = u->fn(x, u->n);
    u->calls++;
    return HS_OK;
}

/* Best value after `evals` evaluations from a random start. */
static double dds_best(test_fn fn, size_t n, double bound, size_t evals, uint64_t seed,
                       int *oob) {
    double lo[16], hi[16];
    for (size_t j = 0; j < n; j++) {
        lo[j] = -bound;
        hi[j] = bound;
    }
    hs_ctx *ctx = hs_ctx_create();
    hs_dds_config cfg = {n, lo, hi, NULL, evals, 0.2, seed};
    hs_dds *d = NULL;
    double best = NAN;
    fn_user u = {fn, n, 0, lo, hi, 0};
    if (hs_dds_create(&cfg, ctx, &d) == HS_OK && hs_dds_run(d, eval_fn, &u, NULL, NULL, ctx) == HS_OK)
        best = hs_dds_best(d, NULL);
    HS_CHECK_INT(u.calls, evals);
    if (oob) *oob += u.out_of_bounds;
    hs_dds_destroy(&d);
    hs_ctx_destroy(&ctx);
    return best;
}

static void test_sphere(void) {
    int oob = 0;
    for (uint64_t seed = 1; seed <= 5; seed++) {
        const double b = dds_best(sphere, 5, 5.0, 3000, seed, &oob);
        HS_CHECK(b < 1e-3);
    }
    HS_CHECK_INT(oob, 0);
}

/* Mean over seeds 1..n_seeds against the reference mean (sd) of §7.3: the difference of the two
 * means must lie within 3 standard errors of a difference (reference and ours, sd assumed
 * equal). */
static void check_statistics(const char *name, test_fn fn, double bound, size_t evals,
                             int n_seeds, double ref_mean, double ref_sd) {
    double sum = 0;
    int oob = 0;
    for (int s = 1; s <= n_seeds; s++) sum += dds_best(fn, 10, bound, evals, (uint64_t)s, &oob);
    const double mean = sum / n_seeds;
    const double se_diff = ref_sd * sqrt(2.0 / n_seeds);
    fprintf(stderr, "%-9s m = %5zu: mean best %.4f over %d seeds (reference %.4f, 3 SE = %.4f)\n",
            name, evals, mean, n_seeds, ref_mean, 3 * se_diff);
    HS_CHECK_CLOSE(mean, ref_mean, 3.0 * se_diff);
    HS_CHECK_INT(oob, 0);
}

static void test_reference_statistics(void) {
    check_statistics("Griewank", griewank, 600.0, 1000, 50, 1.069, 0.127);
    check_statistics("Rastrigin", rastrigin, 5.12, 1000, 50, 3.43, 1.34);
    check_statistics("Ackley", ackley, 30.0, 1000, 50, 2.55, 0.57);
    check_statistics("Griewank", griewank, 600.0, 10000, 20, 0.184, 0.060);
    check_statistics("Rastrigin", rastrigin, 5.12, 10000, 20, 0.036, 0.023);
    check_statistics("Ackley", ackley, 30.0, 10000, 20, 0.194, 0.066);
}

typedef struct trace_log {
    size_t n;
    double f[64];
    double x[64][3];
    double best[64];
} trace_log;

static void record(void *user, size_t eval, const double *x, double f, double f_best) {
    trace_log *t = user;
    HS_CHECK_INT(eval, t->n + 1);
    if (t->n < 64) {
        t->f[t->n] = f;
        t->best[t->n] = f_best;
        memcpy(t->x[t->n], x, 3 * sizeof *x);
    }
    t->n++;
}

static void run_traced(uint64_t seed, const double *x0, trace_log *t) {
    const double lo[3] = {-1, 0, 10}, hi[3] = {1, 5, 20};
    hs_ctx *ctx = hs_ctx_create();
    hs_dds_config cfg = {3, lo, hi, x0, 40, 0.2, seed};
    hs_dds *d = NULL;
    fn_user u = {sphere, 3, 0, lo, hi, 0};
    memset(t, 0, sizeof *t);
    HS_CHECK_INT(hs_dds_create(&cfg, ctx, &d), HS_OK);
    if (d) HS_CHECK_INT(hs_dds_run(d, eval_fn, &u, record, t, ctx), HS_OK);
    HS_CHECK_INT(u.out_of_bounds, 0);
    hs_dds_destroy(&d);
    HS_CHECK(d == NULL);
    hs_ctx_destroy(&ctx);
}

static void test_determinism_and_trace(void) {
    trace_log a, b, c;
    const double x0[3] = {0.5, 2.5, 12.0};
    run_traced(42, x0, &a);
    run_traced(42, x0, &b);
    run_traced(7, x0, &c);
    HS_CHECK_INT(a.n, 40);
    HS_CHECK(memcmp(a.x, b.x, sizeof a.x) == 0 && memcmp(a.f, b.f, sizeof a.f) == 0);
    HS_CHECK(memcmp(a.x[1], c.x[1], sizeof a.x[1]) != 0);
    /* evaluation 1 is x0 */
    HS_CHECK(memcmp(a.x[0], x0, sizeof x0) == 0);
    /* the best is monotone and is the minimum of what was seen */
    double m = INFINITY;
    for (size_t i = 0; i < a.n; i++) {
        m = fmin(m, a.f[i]);
        HS_CHECK(a.best[i] == m);
    }
    /* without x0: the first N0 = max(5, round(0.005 m)) = 5 candidates are uniform samples, so
     * they differ from each other in every coordinate; later ones move few dimensions */
    run_traced(42, NULL, &a);
    for (int i = 1; i < 5; i++)
        for (int j = 0; j < 3; j++) HS_CHECK(a.x[i][j] != a.x[i - 1][j]);
}

/* P_i = 1 - ln i / ln m: late candidates change exactly one dimension, early ones many. */
static void test_selection_schedule(void) {
    enum { N = 20, M = 2000 };
    double lo[N], hi[N], x0[N], x[N];
    for (int j = 0; j < N; j++) {
        lo[j] = 0;
        hi[j] = 1;
        x0[j] = 0.5;
    }
    hs_ctx *ctx = hs_ctx_create();
    hs_dds_config cfg = {N, lo, hi, x0, M, 0.2, 3};
    hs_dds *d = NULL;
    HS_CHECK_INT(hs_dds_create(&cfg, ctx, &d), HS_OK);
    if (!d) return;
    double early = 0, late = 0;
    for (int k = 1; k <= M; k++) {
        HS_CHECK_INT(hs_dds_ask(d, x), HS_OK);
        int moved = 0;
        for (int j = 0; j < N; j++) moved += x[j] != 0.5;
        if (k >= 2 && k <= 11) early += moved;
        if (k > M - 10) late += moved;
        /* worse than x0 (told 1.0 first): x_best stays x0 */
        HS_CHECK_INT(hs_dds_tell(d, x, k == 1 ? 1.0 : 2.0), HS_OK);
    }
    /* P_2 = 1 - ln 2 / ln 2000 = 0.909: about 18 of 20 dimensions move at first */
    HS_CHECK(early / 10 > 15);
    HS_CHECK_CLOSE(late / 10, 1.0, 0.35); /* P ~ 0.0007 at the end: one dimension, rarely two */
    HS_CHECK(hs_dds_done(d));
    HS_CHECK_INT(hs_dds_ask(d, x), HS_ERR_ARG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "budget of 2000 evaluations is used up");
    HS_CHECK_INT(hs_dds_asked(d), M);
    HS_CHECK_INT(hs_dds_told(d), M);
    hs_dds_destroy(&d);
    hs_ctx_destroy(&ctx);
}

/* Reflection: from the corner of a box with a huge step, every value lands inside the bounds,
 * and a non-finite objective never becomes the best. */
static void test_bounds_and_nonfinite(void) {
    const double lo[2] = {0, 0}, hi[2] = {1e-3, 1}, x0[2] = {1e-3, 0};
    hs_ctx *ctx = hs_ctx_create();
    hs_dds_config cfg = {2, lo, hi, x0, 500, 1.0, 11};
    hs_dds *d = NULL;
    HS_CHECK_INT(hs_dds_create(&cfg, ctx, &d), HS_OK);
    if (!d) return;
    double x[2];
    int inside = 1, at_bound = 0;
    for (int k = 0; k < 500; k++) {
        HS_CHECK_INT(hs_dds_ask(d, x), HS_OK);
        inside &= x[0] >= 0 && x[0] <= 1e-3 && x[1] >= 0 && x[1] <= 1;
        at_bound += x[1] == 0 || x[1] == 1;
        HS_CHECK_INT(hs_dds_tell(d, x, k == 0 ? NAN : (k == 1 ? INFINITY : 5.0)), HS_OK);
    }
    HS_CHECK(inside);
    HS_CHECK(at_bound > 0); /* sigma = the range: overshooting reflections land on the bound */
    HS_CHECK(hs_dds_best(d, NULL) == 5.0);
    hs_dds_destroy(&d);
    hs_ctx_destroy(&ctx);
}

static void test_config_errors(void) {
    hs_ctx *ctx = hs_ctx_create();
    hs_dds *d = NULL;
    const double lo[2] = {0, 5}, hi[2] = {1, 2}, ok_hi[2] = {1, 6}, bad_x0[2] = {0.5, 7};
    hs_dds_config cfg = {2, lo, hi, NULL, 10, 0.2, 1};
    HS_CHECK_INT(hs_dds_create(&cfg, ctx, &d), HS_ERR_CONFIG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "dimension 1: lower bound 5 is not below upper bound 2");
    HS_CHECK(d == NULL);
    cfg.upper = ok_hi;
    cfg.r = 0.0;
    HS_CHECK_INT(hs_dds_create(&cfg, ctx, &d), HS_ERR_CONFIG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "r = 0 is out of range");
    cfg.r = 0.2;
    cfg.max_evals = 0;
    HS_CHECK_INT(hs_dds_create(&cfg, ctx, &d), HS_ERR_CONFIG);
    cfg.max_evals = 10;
    cfg.x0 = bad_x0;
    HS_CHECK_INT(hs_dds_create(&cfg, ctx, &d), HS_ERR_CONFIG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "initial value 7 lies outside [5, 6]");
    cfg.x0 = NULL;
    cfg.n_dim = 0;
    HS_CHECK_INT(hs_dds_create(&cfg, ctx, &d), HS_ERR_CONFIG);
    /* a budget of one evaluation with x0: just x0 */
    const double x0[2] = {0.25, 5.5};
    hs_dds_config one = {2, lo, ok_hi, x0, 1, 0.2, 1};
    HS_CHECK_INT(hs_dds_create(&one, ctx, &d), HS_OK);
    double x[2];
    if (d) {
        HS_CHECK_INT(hs_dds_tell(d, x0, 1.0), HS_ERR_ARG); /* nothing asked yet */
        HS_CHECK_INT(hs_dds_ask(d, x), HS_OK);
        HS_CHECK(x[0] == 0.25 && x[1] == 5.5);
        HS_CHECK(hs_dds_done(d));
    }
    hs_dds_destroy(&d);
    hs_dds_destroy(NULL);
    hs_ctx_destroy(&ctx);
}

int main(void) {
    test_sphere();
    test_reference_statistics();
    test_determinism_and_trace();
    test_selection_schedule();
    test_bounds_and_nonfinite();
    test_config_errors();
    HS_TEST_REPORT();
}
