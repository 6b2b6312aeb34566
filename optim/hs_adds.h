/* hs_adds.h -- asynchronous parallel DDS with a pool of elite solutions (docs-models.md §7.2).
 *
 * A coordinator hands a new candidate to a worker as soon as that worker returns, never waiting
 * for a batch. Candidates are numbered by dispatch (k = 1, 2, ...). Candidate k is
 *   - x0 for k = 1 when an initial solution is given;
 *   - a uniform sample for k <= N0 = max(5, round(0.005 m)) without x0, or while the pool is
 *     empty;
 *   - otherwise a DDS neighbour (P_k = 1 - ln k / ln m, r, reflection; as hs_dds.h) of the best
 *     member of the pool, which holds the best `pool_size` solutions told so far (results enter
 *     it as they arrive, stale ones too). Drawing the parent from the other members was tried
 *     and measured (tests/optim/test_adds.c, 10-D, m = 1000, 4 workers, 30 seeds): choosing the
 *     best only 75 % of the time raised the mean best Rastrigin value from 3.6-3.9 to 5.4 (sync
 *     batch DDS: 3.75), so the search stays greedy like DDS; the pool is the elite that a
 *     checkpoint keeps and a resumed run continues from.
 * The random numbers of candidate k come from a generator seeded with (seed, k), so a candidate
 * depends only on the seed, k and the pool at its dispatch: replaying the same completion order
 * replays the run exactly. Results enter the pool as they arrive (stale ones too); the budget is
 * max_evals candidates in total, whatever the number of workers. OSTRICH's ParallelDDS and the
 * pool of SYMFLUENCE's AsyncDDS are the references. Not thread-safe: one coordinator asks and
 * tells (under a lock when workers call it). */
#ifndef HS_OPTIM_ADDS_H
#define HS_OPTIM_ADDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hs_api.h"
#include "hs_ctx.h"

typedef struct hs_adds_config {
    size_t n_dim;
    const double *lower, *upper; /* [n_dim], copied */
    const double *x0;            /* [n_dim] or NULL, copied */
    size_t max_evals;            /* total candidates, >= 1 */
    double r;                    /* (0, 1] */
    uint64_t seed;
    size_t pool_size;            /* >= 1 */
} hs_adds_config;

typedef struct hs_adds hs_adds;

/** Validates and creates. `ctx` is borrowed for the life of the search. Free with
 *  hs_adds_destroy(). */
HS_NODISCARD HS_API hs_status hs_adds_create(const hs_adds_config *cfg, hs_ctx *ctx,
                                             hs_adds **out);
HS_API void hs_adds_destroy(hs_adds **a);

/** Next candidate into x[n_dim]; *id receives its dispatch number (1-based). HS_ERR_ARG when the
 *  budget has been dispatched. */
HS_NODISCARD HS_API hs_status hs_adds_ask(hs_adds *a, double *x, size_t *id);
/** The objective of candidate x (to minimise); non-finite values never enter the pool. */
HS_NODISCARD HS_API hs_status hs_adds_tell(hs_adds *a, const double *x, double f);

HS_API bool hs_adds_done(const hs_adds *a);
HS_API size_t hs_adds_dispatched(const hs_adds *a);
HS_API size_t hs_adds_told(const hs_adds *a);
/** Best objective (+inf when none); copies the best point into x when x != NULL and one exists. */
HS_API double hs_adds_best(const hs_adds *a, double *x);

/** Pool access for checkpoints: number of members, and member i (0 = best). */
HS_API size_t hs_adds_pool_count(const hs_adds *a);
HS_API double hs_adds_pool_member(const hs_adds *a, size_t i, double *x);
/** Restores counters and pool (members given best first) saved from the same config. */
HS_NODISCARD HS_API hs_status hs_adds_restore(hs_adds *a, size_t dispatched, size_t told,
                                              size_t n_pool, const double *pool_x,
                                              const double *pool_f);

#endif /* HS_OPTIM_ADDS_H */
