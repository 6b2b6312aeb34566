/* test_adds.c -- asynchronous pool DDS (hs_adds.h): the candidate of a dispatch number is fixed by
 * the seed and the pool, so replaying the completion order replays the run; the pool keeps the
 * best told solutions in order; and on the benchmark functions of docs-models.md §7.3, with the
 * same budget, asynchronous DDS on W workers with uneven evaluation times reaches at least the
 * quality of synchronous batch DDS (batches of W) on those W workers. The workers are simulated:
 * an event queue in virtual time, each evaluation lasting a lognormal time drawn from the
 * candidate's number, so the test is deterministic. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hs_adds.h"
#include "hs_dds.h"
#include "hs_rng.h"
#include "hs_test.h"

#define PI 3.14159265358979323846
#define D 10

typedef double (*test_fn)(const double *x, size_t n);

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

static double duration(uint64_t seed, size_t id) {
    hs_rng r;
    hs_rng_seed(&r, seed * 1000003u + id);
    return exp(0.8 * hs_rng_normal(&r)); /* uneven: a few evaluations take 3-5 times the median */
}

/* Async DDS with W simulated workers; returns the best value. order (nullable, [evals]) receives
 * the dispatch numbers in completion order; replay (nullable) imposes such an order instead. */
static double run_async(test_fn fn, double bound, size_t evals, int W, uint64_t seed,
                        size_t *order, const size_t *replay) {
    double lo[D], hi[D];
    for (int j = 0; j < D; j++) lo[j] = -bound, hi[j] = bound;
    hs_ctx *ctx = hs_ctx_create();
    hs_adds_config cfg = {D, lo, hi, NULL, evals, 0.2, seed, 10};
    hs_adds *a = NULL;
    if (hs_adds_create(&cfg, ctx, &a) != HS_OK) return NAN;
    double x[8][D], t_end[8];
    size_t id[8];
    int busy[8] = {0};
    double now = 0;
    size_t done = 0;
    for (int w = 0; w < W; w++) {
        if (hs_adds_ask(a, x[w], &id[w]) != HS_OK) break;
        busy[w] = 1;
        t_end[w] = now + duration(seed, id[w]);
    }
    while (done < evals) {
        int k = -1;
        if (replay) {
            for (int w = 0; w < W; w++)
                if (busy[w] && id[w] == replay[done]) k = w;
        } else {
            for (int w = 0; w < W; w++)
                if (busy[w] && (k < 0 || t_end[w] < t_end[k])) k = w;
        }
        if (k < 0) break;
        now = t_end[k];
        busy[k] = 0;
        if (order) order[done] = id[k];
        if (hs_adds_tell(a, x[k], fn(x[k], D)) != HS_OK) break;
        done++;
        if (!hs_adds_done(a) && hs_adds_ask(a, x[k], &id[k]) == HS_OK) {
            busy[k] = 1;
            t_end[k] = now + duration(seed, id[k]);
        }
    }
    double best = hs_adds_best(a, NULL);
    HS_CHECK_INT(done, evals);
    hs_adds_destroy(&a);
    hs_ctx_destroy(&ctx);
    return best;
}

/* Synchronous DDS in batches of W. */
static double run_sync(test_fn fn, double bound, size_t evals, int W, uint64_t seed) {
    double lo[D], hi[D];
    for (int j = 0; j < D; j++) lo[j] = -bound, hi[j] = bound;
    hs_ctx *ctx = hs_ctx_create();
    hs_dds_config cfg = {D, lo, hi, NULL, evals, 0.2, seed};
    hs_dds *d = NULL;
    if (hs_dds_create(&cfg, ctx, &d) != HS_OK) return NAN;
    double x[8][D];
    while (!hs_dds_done(d)) {
        int nb = 0;
        while (nb < W && !hs_dds_done(d) && hs_dds_ask(d, x[nb]) == HS_OK) nb++;
        for (int i = 0; i < nb; i++)
            if (hs_dds_tell(d, x[i], fn(x[i], D)) != HS_OK) break;
    }
    double best = hs_dds_best(d, NULL);
    hs_dds_destroy(&d);
    hs_ctx_destroy(&ctx);
    return best;
}

static void compare(const char *name, test_fn fn, double bound, int W) {
    const int seeds = 30;
    double sa = 0, ss = 0, sa2 = 0, ss2 = 0;
    for (int s = 1; s <= seeds; s++) {
        double a = run_async(fn, bound, 1000, W, (uint64_t)s, NULL, NULL);
        double b = run_sync(fn, bound, 1000, W, (uint64_t)s);
        sa += a, sa2 += a * a, ss += b, ss2 += b * b;
    }
    const double ma = sa / seeds, ms = ss / seeds;
    const double sda = sqrt(fmax(0, sa2 / seeds - ma * ma)), sds = sqrt(fmax(0, ss2 / seeds - ms * ms));
    const double se = sqrt((sda * sda + sds * sds) / seeds);
    fprintf(stderr, "%-9s W = %d, m = 1000, %d seeds: async mean best %.4f, sync %.4f (SE of the "
                    "difference %.4f)\n", name, W, seeds, ma, ms, se);
    /* "at least the sync quality": not worse by more than two standard errors */
    HS_CHECK(ma <= ms + 2.0 * se);
}

int main(void) {
    /* replay: the completion order of a run, imposed on a new run, gives the same result */
    size_t order[400];
    double b1 = run_async(rastrigin, 5.12, 400, 4, 9, order, NULL);
    double b2 = run_async(rastrigin, 5.12, 400, 4, 9, NULL, order);
    HS_CHECK(b1 == b2);
    /* the pool keeps the best told values in order, ties newest first */
    double lo[2] = {0, 0}, hi[2] = {1, 1}, x[2];
    size_t id;
    hs_ctx *ctx = hs_ctx_create();
    hs_adds_config cfg = {2, lo, hi, NULL, 50, 0.2, 1, 3};
    hs_adds *a = NULL;
    HS_CHECK_INT(hs_adds_create(&cfg, ctx, &a), HS_OK);
    const double f[6] = {5, 3, NAN, 4, 1, 3};
    for (int i = 0; i < 6; i++) {
        HS_CHECK_INT(hs_adds_ask(a, x, &id), HS_OK);
        HS_CHECK_INT(id, i + 1);
        x[0] = i / 10.0;
        HS_CHECK_INT(hs_adds_tell(a, x, f[i]), HS_OK);
    }
    HS_CHECK_INT(hs_adds_pool_count(a), 3);
    HS_CHECK(hs_adds_pool_member(a, 0, x) == 1 && x[0] == 0.4);
    HS_CHECK(hs_adds_pool_member(a, 1, x) == 3 && x[0] == 0.5); /* the newer 3 leads */
    HS_CHECK(hs_adds_pool_member(a, 2, x) == 3 && x[0] == 0.1);
    HS_CHECK(hs_adds_best(a, NULL) == 1.0);
    HS_CHECK_INT(hs_adds_tell(a, x, 1.0), HS_ERR_ARG); /* nothing outstanding */
    hs_adds_destroy(&a);
    hs_ctx_destroy(&ctx);

    compare("Griewank", griewank, 600.0, 4);
    compare("Rastrigin", rastrigin, 5.12, 4);
    compare("Ackley", ackley, 30.0, 4);
    HS_TEST_REPORT();
}
