/* hs_gr4j_impl.h -- internal to hydro/: what the scalar GR4J (hs_gr4j.c) shares with the batched
 * kernel (hs_gr4j_batch.c). Not installed. */
#ifndef HS_HYDRO_GR4J_IMPL_H
#define HS_HYDRO_GR4J_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "hs_ctx.h"
#include "hs_gr4j.h"

/* Checks parameter k (HS_GR4J_*; with `snow` the GR4J_CemaNeige table) = v against its physical
 * limits (hs_gr4j.h); the error (HS_ERR_ARG) names the model, the parameter, "<what> <index>"
 * (e.g. "HRU 3", "parameter set 7") and the value. */
hs_status hs_gr4j_param_check(hs_ctx *ctx, bool snow, size_t k, const char *what, size_t index,
                              double v);

/* A range of HRUs of a plain GR4J model (no snow) to advance over n_time steps from their
 * current states: the model's own arrays, borrowed (hs_gr4j.c gr4j_run_plain fills it). */
typedef struct hs_gr4j_hru_run {
    size_t n_hru;             /* stride of the time-major forcing and outputs */
    size_t first, count;      /* the HRUs to run */
    size_t n_time;
    size_t npar;              /* stride of par */
    const double *par;        /* [n_hru][npar] */
    const double *uh1, *uh2;  /* [n_hru][HS_GR4J_NH], [n_hru][2 HS_GR4J_NH] ordinates */
    hs_gr4j_state *st;        /* [n_hru], read and updated */
    double *exch_cum;         /* [n_hru], actual exchange added */
    const double *precip_mm, *pet_mm; /* [n_time][n_hru] */
    double *runoff_mm;        /* [n_time][n_hru] */
    double *aet_mm;           /* [n_time][n_hru] or NULL */
} hs_gr4j_hru_run;

/* Runs the HRUs of `job` with SIMD lanes over HRUs (hs_gr4j_batch.c): each HRU's results and
 * states are bit-identical to calling hs_gr4j_step() for it day by day (the same operations in
 * the same order), whatever the range and the HRU's place in it. Allocates nothing. */
void hs_gr4j_run_hru_lanes(const hs_gr4j_hru_run *job);

#endif /* HS_HYDRO_GR4J_IMPL_H */
