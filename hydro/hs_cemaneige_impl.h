/* hs_cemaneige_impl.h -- private: the CemaNeige step, solid fraction and precipitation factor as
 * static inline functions, shared by hydro/hs_cemaneige.c (the public functions) and the GR4J
 * kernel (hydro/hs_gr4j.c), which inlines them into its time-major loop. One definition, so the
 * public functions and the kernel give the same bits. docs-models.md §2.5; airGR 1.7.6
 * src/frun_CEMANEIGE.f90 and R/DataAltiExtrapolation_Valery.R (see hs_cemaneige.c for the
 * round-off notes). Not installed. */
#ifndef HS_HYDRO_CEMANEIGE_IMPL_H
#define HS_HYDRO_CEMANEIGE_IMPL_H

#include <math.h>
#include <stddef.h>

#include "hs_cemaneige.h"

/* A Fortran default-real literal as it reaches a double expression in airGR. */
#define CN_AIRGR_REAL(x) ((double)(float)(x))

/* Valéry's precipitation gradient (m-1), and the elevation above which it stops applying (m). */
#define CN_GRAD_P 0.00041
#define CN_Z_THRESHOLD_P 4000.0

/* USACE rule with airGR's thresholds -1 and +3 degC, in R's operation order. */
static inline double cn_solid_fraction(double t_c)
{
    const double usace_tmin = -1.0, usace_tmax = 3.0;
    if (t_c > usace_tmax) return 0.0;
    if (t_c < usace_tmin) return 1.0;
    return 1.0 - (t_c - usace_tmin) / (usace_tmax - usace_tmin);
}

/* Precipitation gradient factor of layer k before the rescaling (P_k = P * factor): exponential
 * gradient capped at 4000 m. A per-model constant (it depends on the elevations only). */
static inline double cn_precip_factor(const hs_cemaneige_layers *layers, size_t k)
{
    const double zin = layers->z_input_m;
    if (layers->z_m[k] <= CN_Z_THRESHOLD_P) return exp(CN_GRAD_P * (layers->z_m[k] - zin));
    if (zin <= CN_Z_THRESHOLD_P) return exp(CN_GRAD_P * (CN_Z_THRESHOLD_P - zin));
    return 1.0;
}

/* One step of one layer, airGR frun_CEMANEIGE.f90 order (docs §2.5 steps 1-8); see
 * hs_cemaneige_step(). `out` may be NULL (then the output-only Gratio is not computed). */
static inline double cn_step(double *g_mm, double *etg_c, double p_mm, double fsol, double t_c,
                             double ctg, double kf, double gthreshold_mm,
                             hs_cemaneige_fluxes *out)
{
    const double tmelt = 0.0;
    const double min_speed = CN_AIRGR_REAL(0.1);
    double g = *g_mm, etg = *etg_c;

    /* 1-2. Liquid/solid split, snowfall added to the pack. */
    const double pliq = (1.0 - fsol) * p_mm;
    const double psol = fsol * p_mm;
    g = g + psol;
    /* 3. Thermal state of the pack, never above 0 degC. */
    etg = ctg * etg + (1.0 - ctg) * t_c;
    if (etg > 0.0) etg = 0.0;
    /* 4. Potential melt only for a pack at 0 degC and air above Tmelt. */
    double pot_melt = 0.0;
    if (etg == 0.0 && t_c > tmelt) {
        pot_melt = kf * (t_c - tmelt);
        if (pot_melt > g) pot_melt = g;
    }
    /* 5-6. Melt slowed down while the pack covers only part of the layer. */
    const double gratio = g < gthreshold_mm ? g / gthreshold_mm : 1.0;
    const double melt = ((1.0 - min_speed) * gratio + min_speed) * pot_melt;
    g = g - melt;
    const double pliq_and_melt = pliq + melt;

    *g_mm = g;
    *etg_c = etg;
    if (out) {
        out->pliq = pliq;
        out->psol = psol;
        out->pot_melt = pot_melt;
        out->melt = melt;
        /* 7. Gratio after the melt: an output only. */
        out->gratio = g < gthreshold_mm ? g / gthreshold_mm : 1.0;
        out->pliq_and_melt = pliq_and_melt;
    }
    return pliq_and_melt;
}

#endif /* HS_HYDRO_CEMANEIGE_IMPL_H */
