/* hs_prep.c -- forcing preparation: gap filling and the station-to-HRU elevation transfer.
 *
 * The rules are those of hs_prep.h. Gap filling checks every gap of the window first and only
 * then fills, so that an error leaves the forcing unchanged. The elevation transfer is the
 * usual linear lapse of temperature (e.g. 6.5 K/km, the ICAO standard atmosphere) and a linear
 * relative precipitation gradient per 100 m as in HBV-light's PCALT (Seibert and Vis, 2012,
 * HESS 16, 3315-3325), clipped at zero far below the station. */
#include "hs_prep.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>

/* ---------------------------------------------------------------------------------------------
 * gap filling */

typedef struct gap_var {
    const char *name; /* role name used in messages */
    double *x;        /* [n_time][n_hru] */
    bool is_precip;   /* filled with 0 instead of interpolated */
    size_t *filled;   /* counter in the report */
} gap_var;

/* Checks (fill == false) or fills (fill == true) the gaps of one variable and HRU over [lo, hi). */
static hs_status scan_gaps(hs_ctx *ctx, const char *label, const hs_forcing *f, const gap_var *v,
                           size_t hru, size_t lo, size_t hi, size_t max_gap, bool fill) {
    const size_t nh = f->n_hru;
    double *x = v->x;
    size_t i = lo;
    while (i < hi) {
        if (!isnan(x[i * nh + hru])) {
            i++;
            continue;
        }
        size_t a = i;
        while (i < hi && isnan(x[i * nh + hru])) i++;
        size_t b = i; /* missing steps [a, b) */
        if (!fill) {
            const char *why = NULL;
            char limit[64];
            if (a == lo) why = "at the start of the period";
            else if (b == hi) why = "at the end of the period";
            else if (b - a > max_gap) {
                snprintf(limit, sizeof limit, "longer than the %zu-day limit", max_gap);
                why = limit;
            }
            if (why) {
                char d0[16], d1[16], hru_txt[32] = "";
                if (nh > 1) snprintf(hru_txt, sizeof hru_txt, " (HRU %zu)", hru);
                return HS_FAIL(ctx, HS_ERR_FORMAT,
                               "%s: variable %s%s: %zu missing day%s from %s to %s, %s; "
                               "cannot fill the gap",
                               label, v->name, hru_txt, b - a, b - a == 1 ? "" : "s",
                               hs_day_format(f->first_day + (hs_day)a, d0),
                               hs_day_format(f->first_day + (hs_day)(b - 1), d1), why);
            }
            continue;
        }
        /* a > lo and b < hi were checked: both neighbours exist and are valid */
        double left = x[(a - 1) * nh + hru], right = x[b * nh + hru];
        double span = (double)(b - a + 1);
        for (size_t k = a; k < b; k++)
            x[k * nh + hru] = v->is_precip ? 0.0 : left + (right - left) * (double)(k - a + 1) / span;
        *v->filled += b - a;
    }
    return HS_OK;
}

hs_status hs_prep_fill_gaps(hs_ctx *ctx, const char *label, const hs_forcing_spec *names,
                            hs_forcing *f, size_t first,
                            size_t count, size_t max_gap_days, hs_gap_report *report) {
    if (!label) label = "forcing";
    if (!f || !f->precip_mm || !f->temp_c)
        return HS_FAIL(ctx, HS_ERR_ARG, "%s: no forcing to fill", label);
    if (count == 0 || first > f->n_time || count > f->n_time - first)
        return HS_FAIL(ctx, HS_ERR_ARG,
                       "%s: steps [%zu, %zu) are outside the forcing's %zu steps", label, first,
                       first + count, f->n_time);
    hs_gap_report local = {0, 0, 0};
    char nm[3][160];
    const char *roles[3] = {"precip", "temp", "pet"};
    const char *file_names[3] = {names ? names->var_precip : NULL, names ? names->var_temp : NULL,
                                 names ? names->var_pet : NULL};
    for (int k = 0; k < 3; k++) {
        if (file_names[k] && *file_names[k])
            snprintf(nm[k], sizeof nm[k], "'%s' (%s)", file_names[k], roles[k]);
        else
            snprintf(nm[k], sizeof nm[k], "'%s'", roles[k]);
    }
    const gap_var vars[3] = {{nm[0], f->precip_mm, true, &local.filled_precip},
                             {nm[1], f->temp_c, false, &local.filled_temp},
                             {nm[2], f->pet_mm, false, &local.filled_pet}};
    for (int pass = 0; pass < 2; pass++) {
        for (int k = 0; k < 3; k++) {
            if (!vars[k].x) continue;
            for (size_t j = 0; j < f->n_hru; j++)
                HS_TRY(scan_gaps(ctx, label, f, &vars[k], j, first, first + count, max_gap_days,
                                 pass == 1));
        }
    }
    if (report) *report = local;
    return HS_OK;
}

/* ---------------------------------------------------------------------------------------------
 * elevation transfer */

hs_status hs_prep_to_hrus(hs_ctx *ctx, const hs_forcing *in, size_t first, size_t count,
                          const hs_elev_spec *spec, hs_forcing **out) {
    *out = NULL;
    if (!in || !spec || !spec->z_hru_m || spec->n_hru_out == 0)
        return HS_FAIL(ctx, HS_ERR_ARG, "elevation transfer: no forcing or no HRU elevations");
    if (count == 0 || first > in->n_time || count > in->n_time - first)
        return HS_FAIL(ctx, HS_ERR_ARG,
                       "elevation transfer: steps [%zu, %zu) are outside the forcing's %zu steps",
                       first, first + count, in->n_time);
    const size_t nh = spec->n_hru_out;
    if (in->n_hru != 1 && in->n_hru != nh)
        return HS_FAIL(ctx, HS_ERR_ARG,
                       "elevation transfer: the forcing has %zu HRUs, the domain has %zu (need 1 "
                       "or %zu)",
                       in->n_hru, nh, nh);
    if (!isfinite(spec->z_forcing_m))
        return HS_FAIL(ctx, HS_ERR_CONFIG, "FORCING_ELEVATION is not a finite number");
    if (spec->apply_lapse && !isfinite(spec->lapse_rate_k_per_m))
        return HS_FAIL(ctx, HS_ERR_CONFIG, "LAPSE_RATE is not a finite number");
    if (!isfinite(spec->precip_gradient_per_100m))
        return HS_FAIL(ctx, HS_ERR_CONFIG, "PRECIP_GRADIENT is not a finite number");
    for (size_t j = 0; j < nh; j++)
        if (!isfinite(spec->z_hru_m[j]))
            return HS_FAIL(ctx, HS_ERR_ARG, "HRU %zu: elevation is not a finite number", j);

    hs_forcing *f = NULL;
    HS_TRY(hs_forcing_create(ctx, in->first_day + (hs_day)first, count, nh, in->pet_mm != NULL,
                             &f));
    /* per-HRU factors once, then a plain loop over time */
    double *dt = NULL, *pf = NULL;
    hs_status st = HS_ALLOC_ARRAY(ctx, dt, nh, "temperature offsets");
    if (st == HS_OK) st = HS_ALLOC_ARRAY(ctx, pf, nh, "precipitation factors");
    if (st != HS_OK) {
        hs_free(dt);
        hs_forcing_destroy(&f);
        return st;
    }
    for (size_t j = 0; j < nh; j++) {
        double dz = spec->z_hru_m[j] - spec->z_forcing_m;
        dt[j] = spec->apply_lapse ? -spec->lapse_rate_k_per_m * dz : 0.0;
        pf[j] = fmax(0.0, 1.0 + spec->precip_gradient_per_100m * dz / 100.0);
    }
    const size_t nin = in->n_hru;
    for (size_t i = 0; i < count; i++) {
        const size_t src = (first + i) * nin;
        for (size_t j = 0; j < nh; j++) {
            const size_t s = src + (nin == 1 ? 0 : j), d = i * nh + j;
            f->temp_c[d] = in->temp_c[s] + dt[j];
            f->precip_mm[d] = in->precip_mm[s] * pf[j];
            if (in->pet_mm) f->pet_mm[d] = in->pet_mm[s];
        }
    }
    hs_free(dt);
    hs_free(pf);
    *out = f;
    return HS_OK;
}
