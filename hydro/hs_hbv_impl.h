/* hs_hbv_impl.h -- private to hydro/ (not installed): what the scalar HBV (hs_hbv.c) and the
 * batched HBV kernel (hs_hbv_batch.c) share, so that both read the same option keys with the
 * same defaults and check parameters against the same physical limits. */
#ifndef HS_HYDRO_HBV_IMPL_H
#define HS_HYDRO_HBV_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "hs_ctx.h"
#include "hs_model.h"

/* Ring-buffer slots per HRU (a power of two): the most routing weights any scheme may need.
 * It bounds MAXBAS (physical limit 0 <= MAXBAS <= HS_HBV_RING days) and HBV_ROUTING_BUFFER. */
#define HS_HBV_RING 16

/* Inputs above this many mm in one step are not split into 1-mm increments (a guard against
 * absurd or non-finite forcing looping for ever); the bulk formula is used instead. */
#define HS_HBV_INCREMENT_MAX_MM 1.0e6

/* The HBV options of hs_hbv.h, parsed. */
typedef struct hs_hbv_options {
    bool light;            /* HBV_VARIANT = light */
    bool increment;        /* HBV_RECHARGE = increment (HBV-light 1-mm steps) */
    bool aet_mean;         /* HBV_AET_SM = mean: SM for AET is the mean before/after input (a) */
    bool aet_snow_off;     /* HBV_AET_SNOW_OFF: no AET while snow lay at the step's start (b) */
    bool integral;         /* HBV_MAXBAS = integral (HBV-light weights) */
    bool sm0_from_lpfc;    /* initial SM = LP*FC (light, unless HBV_INITIAL_SM is given) */
    double sm0, suz0, slz0, snow0; /* initial stores, mm */
    size_t buffer_len;     /* HBV_ROUTING_BUFFER: length L of the sampled scheme's buffer */
} hs_hbv_options;

/* Parses the HBV_* keys of `opts` (other keys are ignored); HS_ERR_CONFIG names a bad key. */
hs_status hs_hbv_options_parse(const hs_model_option *opts, size_t n_opts, hs_ctx *ctx,
                               hs_hbv_options *o);

/* Checks parameter k (HS_HBV_*) = v against its physical limits; the error names the parameter,
 * "<what> <index>" (e.g. "HRU 3", "parameter set 7") and the value. */
hs_status hs_hbv_param_check(hs_ctx *ctx, size_t k, const char *what, size_t index, double v);

/* The HRUs of a multi-HRU HBV model (hs_hbv.c) as the lane kernel of hs_hbv_batch.c sees
 * them: the model's own arrays, borrowed. */
typedef struct hs_hbv_hru_run {
    const hs_hbv_options *opt;
    size_t n_hru;             /* stride of the time-major forcing and outputs */
    size_t first, count;      /* the range */
    const double *par;        /* [HS_HBV_NPAR][n_hru] */
    double *snow, *snow_water, *sm, *suz, *slz; /* [n_hru] */
    const double *weights;    /* [n_hru][HS_HBV_RING] */
    const size_t *n_weights;  /* [n_hru] */
    double *ring;             /* [n_hru][HS_HBV_RING] */
    size_t *head;             /* [n_hru] */
    const double *precip_mm, *temp_c, *pet_mm; /* [n_time][n_hru] */
    double *runoff_mm, *aet_mm, *input_mm;     /* [n_time][n_hru]; aet, input nullable */
} hs_hbv_hru_run;

/* Runs steps t0 .. t1 - 1 of the group of HRUs that starts at g0 (up to 16 HRUs of the range
 * whose ring heads agree) in SIMD lanes, with exactly the scalar model's operations per HRU (the
 * same bits), and returns how many HRUs it ran; 0 when the group would be one HRU (the caller
 * runs it with the scalar loop). Exact recharge power (glibc's pow) only. */
size_t hs_hbv_hru_lanes_group(const hs_hbv_hru_run *job, size_t g0, size_t t0, size_t t1);

#endif /* HS_HYDRO_HBV_IMPL_H */
