/* hs_dds.h -- Dynamically Dimensioned Search (Tolson & Shoemaker 2007), docs-models.md §7.1.
 *
 * DDS minimises f(x) over box bounds. It knows nothing about models: it proposes parameter
 * vectors and is told their objective values (ask/tell), so that a driver can evaluate
 * candidates sequentially, in batches on threads or on MPI ranks (issue #3) without DDS calling
 * any of them. hs_dds_run() is the sequential loop over an objective callback.
 *
 * Budget: max_evals evaluations in total. With x0 given, evaluation 1 is x0; otherwise the first
 * N0 = max(5, round(0.005 * max_evals)) evaluations are uniform samples within the bounds. Then
 * for i = (evaluations so far + 1) ... max_evals: each variable is perturbed with probability
 * P_i = 1 - ln(i)/ln(max_evals) (at least one, chosen uniformly), by sigma = r * (upper - lower)
 * times a standard normal, reflected at the bounds (and set to the bound if the reflection
 * overshoots); the candidate replaces the best if f_new <= f_best (greedy; "<=" walks plateaus).
 * Non-finite objectives are never accepted. Deterministic for a given seed (hs_rng.h). */
#ifndef HS_OPTIM_DDS_H
#define HS_OPTIM_DDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hs_api.h"
#include "hs_ctx.h"
#include "hs_rng.h"

typedef struct hs_dds_config {
    size_t n_dim;
    const double *lower; /* [n_dim], copied */
    const double *upper; /* [n_dim], copied; lower < upper for every dimension */
    const double *x0;    /* [n_dim] initial solution, copied; NULL: random initial sample */
    size_t max_evals;    /* total evaluations, >= 1 */
    double r;            /* perturbation size, (0, 1]; 0.2 in the paper */
    uint64_t seed;
} hs_dds_config;

typedef struct hs_dds hs_dds;

/** Validates the config (messages name the dimension and the values) and creates the search.
 *  `ctx` is borrowed for the life of the search (ask/tell report errors there). Free with
 *  hs_dds_destroy(). Not thread-safe: one thread asks and tells. */
HS_NODISCARD HS_API hs_status hs_dds_create(const hs_dds_config *cfg, hs_ctx *ctx, hs_dds **out);
/** NULL-safe; sets *dds to NULL. */
HS_API void hs_dds_destroy(hs_dds **dds);

/** Writes the next candidate into x[n_dim]. Several asks may precede the tells (a synchronous
 *  batch: all are generated from the current best, with P from the number of candidates asked
 *  so far). HS_ERR_ARG when the budget is exhausted. */
HS_NODISCARD HS_API hs_status hs_dds_ask(hs_dds *dds, double *x);
/** Reports the objective of a candidate previously asked (greedy update). */
HS_NODISCARD HS_API hs_status hs_dds_tell(hs_dds *dds, const double *x, double f);

/** True when max_evals candidates have been asked. */
HS_API bool hs_dds_done(const hs_dds *dds);
/** Candidates asked / results told so far. */
HS_API size_t hs_dds_asked(const hs_dds *dds);
HS_API size_t hs_dds_told(const hs_dds *dds);
/** Best objective so far (+inf before the first finite tell); copies x_best if x != NULL. */
HS_API double hs_dds_best(const hs_dds *dds, double *x);

/** Everything that a checkpoint needs to continue a search bit for bit (with x_best). */
typedef struct hs_dds_state {
    size_t asked, told;
    double f_best;
    bool has_best;
    hs_rng rng;
} hs_dds_state;

/** Copies the state; x_best[n_dim] receives the best point. */
HS_API void hs_dds_get_state(const hs_dds *dds, hs_dds_state *st, double *x_best);
/** Restores a state saved from a search created with the same config. HS_ERR_FORMAT when the
 *  counters do not fit the budget. */
HS_NODISCARD HS_API hs_status hs_dds_set_state(hs_dds *dds, const hs_dds_state *st,
                                               const double *x_best);

/** Objective callback: writes f(x) (to minimise) into *f; a non-OK status stops the search. */
typedef hs_status (*hs_objective_fn)(void *user, const double *x, double *f);
/** Called after each evaluation: 1-based evaluation number, the candidate, its objective and the
 *  best objective after the update. */
typedef void (*hs_dds_trace_fn)(void *user, size_t eval, const double *x, double f,
                                double f_best);

/** Sequential DDS: ask, evaluate, tell until the budget is used. `trace` may be NULL. */
HS_NODISCARD HS_API hs_status hs_dds_run(hs_dds *dds, hs_objective_fn f, void *f_user,
                                         hs_dds_trace_fn trace, void *trace_user, hs_ctx *ctx);

#endif /* HS_OPTIM_DDS_H */
