/* hs_cemaneige.c -- CemaNeige snow routine with elevation layers, docs-models.md §2.5 (Valéry
 * 2010, PhD thesis; Valéry, Andréassian & Perrin 2014, J. Hydrol. 517:1166/1176), transcribed
 * from airGR 1.7.6: R/DataAltiExtrapolation_Valery.R (layers, extrapolation, solid fraction),
 * R/CreateRunOptions.R (MeanAnSolidPrecip) and src/frun_CEMANEIGE.f90 (the step).
 *
 * Round-off fidelity. airGR's Fortran is compiled without -fdefault-real-8, so its literals are
 * default (single-precision) REALs converted to double where they meet a double: MinSpeed = 0.1
 * becomes 0.100000001490116..., and Gthreshold = 0.9*MeanAnSolidPrecip multiplies by
 * 0.899999976158142... CN_AIRGR_REAL() (hs_cemaneige_impl.h) reproduces that conversion, so the step matches airGR to the
 * last bit given the same inputs. Literals that are exact in single precision (0, 1, 2) need no
 * care. The R parts are double precision throughout; their operations are done in R's order:
 *   P_k = P * exp(0.00041 * (Z_k - Z_in))            then P_k = P_k / mean_k(P_k) * P
 *   T_k = T + (Z_in - Z_k) * |g| / 100               (left to right)
 *   Fsol = 1 - (T_k - (-1)) / (3 - (-1)), 1 below -1 degC and 0 above 3 degC.
 * R's mean() sums in long double and adds a second-pass correction; so do we. */
#include "hs_cemaneige.h"
#include "hs_cemaneige_impl.h"

#include <math.h>



/* airGR .GradT_Valery2010, column grad_Tmean (degC per 100 m), by month and day (29 Feb
 * included; unused days are 0 and never looked up). docs-models.md §2.5 table. */
static const double cn_grad_t[12][31] = {
    {0.434, 0.434, 0.435, 0.436, 0.437, 0.439, 0.440, 0.441, 0.442, 0.444, 0.445, 0.446, 0.448,
     0.450, 0.451, 0.453, 0.455, 0.456, 0.458, 0.460, 0.462, 0.464, 0.466, 0.468, 0.470, 0.472,
     0.474, 0.476, 0.478, 0.480, 0.483},
    {0.485, 0.487, 0.489, 0.492, 0.494, 0.496, 0.498, 0.501, 0.503, 0.505, 0.508, 0.510, 0.512,
     0.515, 0.517, 0.519, 0.522, 0.524, 0.526, 0.528, 0.530, 0.533, 0.535, 0.537, 0.539, 0.541,
     0.543, 0.545, 0.546},
    {0.547, 0.549, 0.551, 0.553, 0.555, 0.557, 0.559, 0.560, 0.562, 0.564, 0.566, 0.567, 0.569,
     0.570, 0.572, 0.573, 0.575, 0.576, 0.577, 0.579, 0.580, 0.581, 0.582, 0.583, 0.584, 0.585,
     0.586, 0.587, 0.588, 0.589, 0.590},
    {0.591, 0.591, 0.592, 0.593, 0.593, 0.594, 0.595, 0.595, 0.596, 0.596, 0.597, 0.597, 0.597,
     0.598, 0.598, 0.598, 0.599, 0.599, 0.599, 0.599, 0.600, 0.600, 0.600, 0.600, 0.600, 0.601,
     0.601, 0.601, 0.601, 0.601},
    {0.601, 0.601, 0.601, 0.601, 0.601, 0.601, 0.601, 0.601, 0.601, 0.602, 0.602, 0.602, 0.602,
     0.602, 0.602, 0.602, 0.602, 0.602, 0.602, 0.602, 0.602, 0.602, 0.602, 0.602, 0.602, 0.602,
     0.602, 0.602, 0.602, 0.602, 0.602},
    {0.602, 0.602, 0.602, 0.602, 0.602, 0.602, 0.602, 0.602, 0.602, 0.602, 0.602, 0.602, 0.602,
     0.602, 0.602, 0.602, 0.602, 0.602, 0.602, 0.602, 0.602, 0.602, 0.602, 0.602, 0.602, 0.601,
     0.601, 0.601, 0.601, 0.601},
    {0.601, 0.600, 0.600, 0.600, 0.600, 0.599, 0.599, 0.599, 0.598, 0.598, 0.598, 0.597, 0.597,
     0.597, 0.596, 0.596, 0.595, 0.595, 0.594, 0.594, 0.593, 0.593, 0.592, 0.592, 0.591, 0.590,
     0.590, 0.589, 0.588, 0.588, 0.587},
    {0.586, 0.586, 0.585, 0.584, 0.583, 0.583, 0.582, 0.581, 0.580, 0.579, 0.578, 0.578, 0.577,
     0.576, 0.575, 0.574, 0.573, 0.572, 0.571, 0.570, 0.569, 0.569, 0.568, 0.567, 0.566, 0.565,
     0.564, 0.563, 0.562, 0.561, 0.560},
    {0.558, 0.557, 0.556, 0.555, 0.554, 0.553, 0.552, 0.551, 0.550, 0.549, 0.548, 0.546, 0.545,
     0.544, 0.543, 0.542, 0.541, 0.540, 0.538, 0.537, 0.536, 0.535, 0.533, 0.532, 0.531, 0.530,
     0.528, 0.527, 0.526, 0.525},
    {0.523, 0.522, 0.521, 0.519, 0.518, 0.517, 0.515, 0.514, 0.512, 0.511, 0.510, 0.508, 0.507,
     0.505, 0.504, 0.502, 0.501, 0.499, 0.498, 0.496, 0.495, 0.493, 0.492, 0.490, 0.489, 0.487,
     0.485, 0.484, 0.482, 0.481, 0.479},
    {0.478, 0.476, 0.475, 0.473, 0.471, 0.470, 0.468, 0.467, 0.465, 0.464, 0.462, 0.461, 0.459,
     0.458, 0.456, 0.455, 0.454, 0.452, 0.451, 0.450, 0.448, 0.447, 0.446, 0.445, 0.443, 0.442,
     0.441, 0.440, 0.439, 0.438},
    {0.437, 0.436, 0.435, 0.434, 0.434, 0.433, 0.432, 0.431, 0.431, 0.430, 0.430, 0.429, 0.429,
     0.429, 0.428, 0.428, 0.428, 0.428, 0.428, 0.428, 0.428, 0.428, 0.429, 0.429, 0.429, 0.430,
     0.430, 0.431, 0.431, 0.432, 0.433},
};
static const int cn_month_days[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

double hs_cemaneige_temp_gradient(int month, int day)
{
    if (month < 1 || month > 12 || day < 1 || day > cn_month_days[month - 1]) return NAN;
    return cn_grad_t[month - 1][day - 1];
}

double hs_cemaneige_solid_fraction(double t_c) { return cn_solid_fraction(t_c); }

hs_status hs_cemaneige_layers_init(const double *hypso_m, size_t n_layers, double z_input_m,
                                   hs_ctx *ctx, hs_cemaneige_layers *out)
{
    if (!hypso_m || !out)
        return HS_FAIL(ctx, HS_ERR_ARG, "CemaNeige: NULL hypsometric curve or output");
    if (n_layers < 1 || n_layers > HS_CEMANEIGE_MAX_LAYERS)
        return HS_FAIL(ctx, HS_ERR_ARG,
                       "CemaNeige: SNOW_LAYERS = %zu is not valid; expected 1 to %d layers",
                       n_layers, HS_CEMANEIGE_MAX_LAYERS);
    for (size_t i = 0; i < HS_CEMANEIGE_NHYPSO; i++) {
        if (!isfinite(hypso_m[i]))
            return HS_FAIL(ctx, HS_ERR_ARG,
                           "CemaNeige: HYPSOMETRIC_CURVE value %zu (the %zu %% quantile) is not "
                           "finite", i + 1, i);
        if (i > 0 && hypso_m[i] < hypso_m[i - 1])
            return HS_FAIL(ctx, HS_ERR_ARG,
                           "CemaNeige: HYPSOMETRIC_CURVE must not decrease, but the %zu %% quantile "
                           "(%g m) is below the %zu %% quantile (%g m)",
                           i, hypso_m[i], i - 1, hypso_m[i - 1]);
    }
    if (isnan(z_input_m)) z_input_m = hypso_m[50];
    if (!isfinite(z_input_m))
        return HS_FAIL(ctx, HS_ERR_ARG, "CemaNeige: FORCING_ELEVATION %g m is not finite",
                       z_input_m);
    out->n_layers = n_layers;
    out->z_input_m = z_input_m;
    /* Each layer gets 100 div N percentile intervals, the first 100 mod N one more; its
     * elevation is read at the middle interval (docs §2.5; 0-based c + floor(n/2), which gives
     * the reference ZLayers 1075, 1402, 1636, 1832, 2027 m on L0123002). */
    const size_t nmoy = 100 / n_layers;
    size_t nreste = 100 % n_layers, ncont = 0;
    for (size_t k = 0; k < n_layers; k++) {
        size_t nn = nmoy;
        if (nreste > 0) {
            nn++;
            nreste--;
        }
        if (nn == 1)
            out->z_m[k] = hypso_m[ncont];
        else if (nn == 2)
            out->z_m[k] = 0.5 * (hypso_m[ncont] + hypso_m[ncont + 1]);
        else
            out->z_m[k] = hypso_m[ncont + nn / 2];
        ncont += nn;
    }
    for (size_t k = n_layers; k < HS_CEMANEIGE_MAX_LAYERS; k++) out->z_m[k] = NAN;
    /* airGR's identical(ZInputs, HypsoData[51]) & NLayers == 1: forcing used unchanged. */
    out->no_extrapolation = (n_layers == 1 && z_input_m == hypso_m[50]);
    return HS_OK;
}

void hs_cemaneige_extrapolate(const hs_cemaneige_layers *layers, hs_day day, double precip_mm,
                              double temp_c, double *p_mm, double *t_c, double *fsol)
{
    const size_t n = layers->n_layers;
    const double zin = layers->z_input_m;
    if (layers->no_extrapolation) {
        p_mm[0] = precip_mm;
        t_c[0] = temp_c;
        fsol[0] = hs_cemaneige_solid_fraction(temp_c);
        return;
    }
    /* Precipitation: exponential gradient, capped at 4000 m, then rescaled so that the layer
     * mean is the catchment value (PrecipScale = TRUE); 0/0 becomes 0 as in R. */
    double sum = 0.0;
    for (size_t k = 0; k < n; k++) {
        const double p = precip_mm * cn_precip_factor(layers, k);
        p_mm[k] = p;
        sum += p;
    }
    const double mean = sum / (double)n;
    for (size_t k = 0; k < n; k++) {
        const double p = p_mm[k] / mean * precip_mm;
        p_mm[k] = isnan(p) ? 0.0 : p;
    }
    /* Temperature: daily gradient of the calendar day (abs() as in airGR; all entries > 0). */
    int y, m, d;
    hs_day_to_ymd(day, &y, &m, &d);
    const double g = fabs(hs_cemaneige_temp_gradient(m, d));
    for (size_t k = 0; k < n; k++) {
        t_c[k] = temp_c + (zin - layers->z_m[k]) * g / 100.0;
        fsol[k] = hs_cemaneige_solid_fraction(t_c[k]);
    }
}

double hs_cemaneige_mean_annual_solid_precip(const hs_cemaneige_layers *layers, hs_day first_day,
                                             const double *precip_mm, const double *temp_c,
                                             size_t n_time, size_t stride)
{
    if (!layers || !precip_mm || !temp_c || n_time == 0 || stride == 0) return NAN;
    const size_t n = layers->n_layers;
    double p[HS_CEMANEIGE_MAX_LAYERS], t[HS_CEMANEIGE_MAX_LAYERS], fs[HS_CEMANEIGE_MAX_LAYERS];
    /* R: SolidPrecip = sum over layers of Fsol_k * P_k / N (layer by layer), then mean() over
     * days: long double sum / n, plus the mean of the residuals (R's two-pass mean). */
    long double s = 0.0L;
    for (size_t i = 0; i < n_time; i++) {
        hs_cemaneige_extrapolate(layers, first_day + (hs_day)i, precip_mm[i * stride],
                                 temp_c[i * stride], p, t, fs);
        double solid = 0.0;
        for (size_t k = 0; k < n; k++) solid += fs[k] * p[k] / (double)n;
        s += solid;
    }
    s /= (long double)n_time;
    long double corr = 0.0L;
    for (size_t i = 0; i < n_time; i++) {
        hs_cemaneige_extrapolate(layers, first_day + (hs_day)i, precip_mm[i * stride],
                                 temp_c[i * stride], p, t, fs);
        double solid = 0.0;
        for (size_t k = 0; k < n; k++) solid += fs[k] * p[k] / (double)n;
        corr += (long double)solid - s;
    }
    s += corr / (long double)n_time;
    return (double)s * 365.25;
}

double hs_cemaneige_gthreshold(double mean_annual_solid_precip_mm)
{
    return CN_AIRGR_REAL(0.9) * mean_annual_solid_precip_mm;
}

double hs_cemaneige_step(double *g_mm, double *etg_c, double p_mm, double fsol, double t_c,
                         double ctg, double kf, double gthreshold_mm, hs_cemaneige_fluxes *out)
{
    return cn_step(g_mm, etg_c, p_mm, fsol, t_c, ctg, kf, gthreshold_mm, out);
}
