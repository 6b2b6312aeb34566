/* hs_gr4j_impl.h -- internal to hydro/: what the scalar GR4J (hs_gr4j.c) shares with the batched
 * kernel (hs_gr4j_batch.c). Not installed. */
#ifndef HS_HYDRO_GR4J_IMPL_H
#define HS_HYDRO_GR4J_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "hs_ctx.h"

/* Checks parameter k (HS_GR4J_*; with `snow` the GR4J_CemaNeige table) = v against its physical
 * limits (hs_gr4j.h); the error (HS_ERR_ARG) names the model, the parameter, "<what> <index>"
 * (e.g. "HRU 3", "parameter set 7") and the value. */
hs_status hs_gr4j_param_check(hs_ctx *ctx, bool snow, size_t k, const char *what, size_t index,
                              double v);

#endif /* HS_HYDRO_GR4J_IMPL_H */
