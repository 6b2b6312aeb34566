/* hs_dds_impl.h -- DDS steps shared by the synchronous (hs_dds.c) and asynchronous (hs_adds.c)
 * searches; not installed. */
#ifndef HS_OPTIM_DDS_IMPL_H
#define HS_OPTIM_DDS_IMPL_H

#include <stddef.h>

#include "hs_rng.h"

/** Uniform sample within the bounds: n uniforms. */
void hs_dds_uniform_sample(hs_rng *rng, size_t n, const double *lower, const double *upper,
                           double *x);
/** P_k = 1 - ln k / ln m (1 for k = 1 or m = 1, never negative). */
double hs_dds_select_probability(size_t k, size_t max_evals);
/** A DDS neighbour of `from`: each dimension selected with probability p (one at random when
 *  none is), moved by r (upper - lower) N(0, 1), reflected at the bounds. */
void hs_dds_perturb(hs_rng *rng, size_t n, const double *lower, const double *upper, double r,
                    double p, const double *from, double *x);

#endif /* HS_OPTIM_DDS_IMPL_H */
