/* test_cemaneige.c -- CemaNeige (hydro/hs_cemaneige.c) and GR4J_CemaNeige (hydro/hs_gr4j.c),
 * docs-models.md §2.5, against airGR 1.7.6 on L0123002 (testdata/airgr-L0123002).
 *
 * 1. Layers: ZLayers for 5 layers (exact), and the 1, 2, 3, 50, 100-layer rules.
 * 2. Extrapolation on day 1 (1984-01-01): layer P (tol 5e-7), T (5e-6), Fsol (5e-8): half a
 *    unit of the last digit docs §2.5 gives; the gradient table and the USACE rule.
 * 3. MeanAnSolidPrecip over the whole series: 665.0247 mm/yr (tol 5e-5).
 * 4. Hand-computed CemaNeige steps (1e-15).
 * 5. The airGR CemaNeige-GR4J run (1989 warm-up, 1990-1999): Qsim of the first 10 days of 1990
 *    (5e-7), mean Qsim (5e-7), NSE and KGE (5e-7), maximum snow pack of layers 1 and 5 over
 *    1990-1999 (half a unit of the last digit given).
 * 6. Mass balance with snow for 30 random parameter sets: per step and in total within 1e-9 mm.
 * 7. HRU partition / continuation identity; error paths.
 * 8. The optimised GR4J_CemaNeige kernel equals, bit for bit, the CemaNeige extrapolation and
 *    step as they were before the optimisation (kept here verbatim) followed by hs_gr4j_step(),
 *    for 1, 3, 5 and 7 layers (one curve above 4000 m), over 2000 random days. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bow_csv.h"
#include "hs_cemaneige.h"
#include "hs_ctx.h"
#include "hs_gr4j.h"
#include "hs_metrics.h"
#include "hs_model.h"
#include "hs_test.h"

#define L2_CSV HS_TESTDATA_DIR "/airgr-L0123002/forcing.csv"

/* testdata/airgr-L0123002/basin.json hypso_data_m (airGR BasinInfo$HypsoData). */
static const double hypso[HS_CEMANEIGE_NHYPSO] = {
    471, 656.2, 749.4, 808, 868, 908, 948, 991.2, 1022.6, 1052, 1075, 1101, 1120.4, 1147.6,
    1166.8, 1185, 1210, 1229, 1242, 1259, 1277, 1291, 1305.4, 1318, 1328, 1340, 1350.2, 1366.4,
    1377, 1389, 1402, 1413, 1424, 1435, 1448.8, 1460, 1474.2, 1487.4, 1498, 1511, 1523, 1538,
    1551.4, 1564, 1573, 1584, 1593, 1603.4, 1614, 1626, 1636, 1648, 1661.4, 1672, 1682, 1693,
    1705, 1715, 1724, 1733, 1742, 1751, 1759, 1768, 1777, 1787, 1795, 1802, 1813, 1822, 1832,
    1840, 1849, 1857.6, 1867, 1874, 1882.2, 1891, 1899, 1908.8, 1919, 1931, 1941, 1948, 1957.8,
    1965, 1976, 1987, 1999, 2013, 2027, 2047, 2058, 2078, 2097, 2117, 2146, 2177, 2220.6,
    2263.6, 2539};

static char curve_text[4096];

static void make_curve_text(void)
{
    size_t off = 0;
    off += (size_t)snprintf(curve_text + off, sizeof curve_text - off, "[");
    for (size_t i = 0; i < HS_CEMANEIGE_NHYPSO; i++)
        off += (size_t)snprintf(curve_text + off, sizeof curve_text - off, "%s%.17g",
                                i ? ", " : "", hypso[i]);
    snprintf(curve_text + off, sizeof curve_text - off, "]");
}

typedef struct series {
    size_t n;
    hs_day start;
    double *p, *t, *e, *q;
} series;

static int read_l2(hs_day start, hs_day end, series *s)
{
    static const char *const names[] = {"P", "T", "E", "Qmm"};
    double *cols[4];
    if (bow_read_columns(L2_CSV, names, 4, start, end, cols) != 0) return -1;
    s->n = (size_t)(end - start + 1);
    s->start = start;
    s->p = cols[0];
    s->t = cols[1];
    s->e = cols[2];
    s->q = cols[3];
    return 0;
}

static void free_series(series *s)
{
    free(s->p), free(s->t), free(s->e), free(s->q);
}

/* ---- 1-2. layers and extrapolation -------------------------------------------------------------- */

static void test_layers(hs_ctx *ctx)
{
    hs_cemaneige_layers ly;
    HS_CHECK(hs_cemaneige_layers_init(hypso, 5, NAN, ctx, &ly) == HS_OK);
    const double z5[] = {1075, 1402, 1636, 1832, 2027};
    for (size_t k = 0; k < 5; k++) HS_CHECK(ly.z_m[k] == z5[k]);
    HS_CHECK(ly.z_input_m == 1636 && !ly.no_extrapolation);

    HS_CHECK(hs_cemaneige_layers_init(hypso, 1, NAN, ctx, &ly) == HS_OK);
    HS_CHECK(ly.z_m[0] == 1636 && ly.no_extrapolation);
    HS_CHECK(hs_cemaneige_layers_init(hypso, 1, 1500.0, ctx, &ly) == HS_OK);
    HS_CHECK(!ly.no_extrapolation);
    HS_CHECK(hs_cemaneige_layers_init(hypso, 3, NAN, ctx, &ly) == HS_OK);
    HS_CHECK(ly.z_m[0] == hypso[17] && ly.z_m[1] == hypso[50] && ly.z_m[2] == hypso[83]);
    HS_CHECK(hs_cemaneige_layers_init(hypso, 50, NAN, ctx, &ly) == HS_OK);
    HS_CHECK(ly.z_m[0] == 0.5 * (hypso[0] + hypso[1]) && ly.z_m[49] == 0.5 * (hypso[98] + hypso[99]));
    HS_CHECK(hs_cemaneige_layers_init(hypso, 100, NAN, ctx, &ly) == HS_OK);
    HS_CHECK(ly.z_m[0] == hypso[0] && ly.z_m[99] == hypso[99]);

    /* Day 1 of L0123002: P = 7.09, T = -1.60835. */
    HS_CHECK(hs_cemaneige_layers_init(hypso, 5, NAN, ctx, &ly) == HS_OK);
    double p[5], t[5], fs[5];
    hs_cemaneige_extrapolate(&ly, hs_day_from_ymd(1984, 1, 1), 7.09, -1.60835, p, t, fs);
    const double ep[] = {5.677934, 6.492563, 7.146319, 7.744302, 8.388883};
    const double et[] = {0.82639, -0.59279, -1.60835, -2.45899, -3.30529};
    const double ef[] = {0.5434025, 0.8981975, 1, 1, 1};
    double mean = 0;
    for (size_t k = 0; k < 5; k++) {
        HS_CHECK_CLOSE(p[k], ep[k], 5e-7);
        HS_CHECK_CLOSE(t[k], et[k], 5e-6);
        HS_CHECK_CLOSE(fs[k], ef[k], 5e-8);
        mean += p[k] / 5;
    }
    HS_CHECK_CLOSE(mean, 7.09, 1e-14);
    /* Above 4000 m the precipitation gradient stops. */
    double hi[HS_CEMANEIGE_NHYPSO];
    for (size_t i = 0; i < HS_CEMANEIGE_NHYPSO; i++) hi[i] = 3000.0 + 20.0 * (double)i;
    HS_CHECK(hs_cemaneige_layers_init(hi, 5, 3000.0, ctx, &ly) == HS_OK);
    hs_cemaneige_extrapolate(&ly, hs_day_from_ymd(1984, 7, 1), 10.0, 5.0, p, t, fs);
    HS_CHECK(ly.z_m[3] == 4400 && ly.z_m[4] == 4800);
    /* 4000, 4400 and 4800 m all get exp(0.00041 (4000 - Z_in)) before the rescaling. */
    HS_CHECK(p[2] == p[3] && p[3] == p[4]);
    HS_CHECK(p[1] < p[2]);
    /* Zero precipitation: 0/0 becomes 0. */
    hs_cemaneige_extrapolate(&ly, hs_day_from_ymd(1984, 7, 1), 0.0, 5.0, p, t, fs);
    for (size_t k = 0; k < 5; k++) HS_CHECK(p[k] == 0.0);

    HS_CHECK(hs_cemaneige_temp_gradient(1, 1) == 0.434);
    HS_CHECK(hs_cemaneige_temp_gradient(2, 29) == 0.546);
    HS_CHECK(hs_cemaneige_temp_gradient(3, 1) == 0.547);
    HS_CHECK(hs_cemaneige_temp_gradient(5, 9) == 0.601 && hs_cemaneige_temp_gradient(5, 10) == 0.602);
    HS_CHECK(hs_cemaneige_temp_gradient(6, 25) == 0.602 && hs_cemaneige_temp_gradient(6, 26) == 0.601);
    HS_CHECK(hs_cemaneige_temp_gradient(12, 31) == 0.433);
    HS_CHECK(isnan(hs_cemaneige_temp_gradient(4, 31)) && isnan(hs_cemaneige_temp_gradient(13, 1)));
    HS_CHECK(hs_cemaneige_solid_fraction(-1.0) == 1.0 && hs_cemaneige_solid_fraction(-7.0) == 1.0);
    HS_CHECK(hs_cemaneige_solid_fraction(3.0) == 0.0 && hs_cemaneige_solid_fraction(9.0) == 0.0);
    HS_CHECK(hs_cemaneige_solid_fraction(1.0) == 0.5);
}

/* ---- 3. MeanAnSolidPrecip; 4. hand steps --------------------------------------------------------- */

static double test_mean_annual(hs_ctx *ctx)
{
    series s;
    HS_CHECK(read_l2(hs_day_from_ymd(1984, 1, 1), hs_day_from_ymd(2012, 12, 31), &s) == 0);
    if (!s.p) return NAN;
    HS_CHECK_INT(s.n, 10593);
    hs_cemaneige_layers ly;
    HS_CHECK(hs_cemaneige_layers_init(hypso, 5, NAN, ctx, &ly) == HS_OK);
    double v = hs_cemaneige_mean_annual_solid_precip(&ly, s.start, s.p, s.t, s.n, 1);
    HS_CHECK_CLOSE(v, 665.0247, 5e-5);
    fprintf(stderr, "L0123002: MeanAnSolidPrecip %.9f mm/yr (airGR 665.0247)\n", v);
    free_series(&s);
    return v;
}

static void test_hand_steps(void)
{
    const double min_speed = (double)0.1f; /* airGR's Fortran default-real literal */
    double g = 0.0, etg = 0.0;
    hs_cemaneige_fluxes fl;
    /* Snowfall at -5 degC: all solid, the thermal state cools, no melt. */
    double out = hs_cemaneige_step(&g, &etg, 10.0, 1.0, -5.0, 0.6, 3.0, 100.0, &fl);
    HS_CHECK(out == 0.0 && g == 10.0 && etg == 0.4 * -5.0 && fl.pot_melt == 0.0);
    /* A warm day with a cold pack: eTG = 0.6 (-2) + 0.4 (4) = 0.4 > 0 -> 0, melt allowed. */
    out = hs_cemaneige_step(&g, &etg, 2.0, 0.25, 4.0, 0.6, 3.0, 100.0, &fl);
    const double g1 = 10.0 + 0.5, pot = fmin(12.0, g1), gr = g1 / 100.0;
    const double melt = ((1.0 - min_speed) * gr + min_speed) * pot;
    HS_CHECK(etg == 0.0);
    HS_CHECK_CLOSE(fl.melt, melt, 1e-15);
    HS_CHECK_CLOSE(out, 1.5 + melt, 1e-15);
    HS_CHECK_CLOSE(g, g1 - melt, 1e-15);
    HS_CHECK_CLOSE(fl.gratio, (g1 - melt) / 100.0, 1e-15);
    /* A deep pack melts at the full rate, limited by the pack. */
    g = 500.0, etg = 0.0;
    (void)hs_cemaneige_step(&g, &etg, 0.0, 0.0, 8.0, 0.0, 2.5, 100.0, &fl);
    HS_CHECK_CLOSE(fl.melt, ((1.0 - min_speed) * 1.0 + min_speed) * 20.0, 1e-15);
    g = 1.0, etg = 0.0;
    (void)hs_cemaneige_step(&g, &etg, 0.0, 0.0, 8.0, 0.0, 2.5, 0.5, &fl);
    HS_CHECK(fl.pot_melt == 1.0);
    HS_CHECK(hs_cemaneige_gthreshold(100.0) == (double)0.9f * 100.0);
}

/* ---- 5. the airGR CemaNeige-GR4J run -------------------------------------------------------------- */

static void test_reference(hs_ctx *ctx, double mean_an)
{
    series s;
    const hs_day d1989 = hs_day_from_ymd(1989, 1, 1), d1990 = hs_day_from_ymd(1990, 1, 1);
    HS_CHECK(read_l2(d1989, hs_day_from_ymd(1999, 12, 31), &s) == 0);
    if (!s.p) return;
    char man[64];
    snprintf(man, sizeof man, "%.17g", mean_an);
    const hs_model_option opts[] = {{"SNOW_MODULE", "CemaNeige"}, {"SNOW_LAYERS", "5"},
                                    {"HYPSOMETRIC_CURVE", curve_text},
                                    {"MEAN_ANNUAL_SOLID_PRECIP", man}};
    hs_model *m = NULL;
    HS_CHECK(hs_model_create(&hs_gr4j_cemaneige_ops, opts, 4, 1, ctx, &m) == HS_OK);
    if (!m) {
        fprintf(stderr, "%s\n", hs_ctx_message(ctx));
        return;
    }
    HS_CHECK_INT(hs_gr4j_n_layers(m), 5);
    const double par[6] = {408.774, 2.646, 131.264, 1.174, 0.962, 2.249};
    HS_CHECK(hs_model_init(m, par, ctx) == HS_OK);
    double *q = calloc(s.n, sizeof *q);
    if (!q) return;
    const size_t off = (size_t)(d1990 - d1989), nrun = s.n - off;
    double gmax[5] = {0, 0, 0, 0, 0};
    for (size_t t = 0; t < s.n; t++) { /* day by day, to follow the snow packs */
        hs_forcing_view f = {1, 1, d1989 + (hs_day)t, &s.p[t], &s.t[t], &s.e[t]};
        hs_flux_view o = {&q[t], NULL, NULL};
        HS_CHECK(hs_model_run(m, (hs_range){0, 1}, &f, &o, ctx) == HS_OK);
        double g[5];
        HS_CHECK(hs_gr4j_get_state(m, 0, ctx, NULL, NULL, g, NULL, NULL) == HS_OK);
        if (t >= off)
            for (size_t k = 0; k < 5; k++) gmax[k] = fmax(gmax[k], g[k]);
    }
    const double first10[] = {0.970214, 0.949338, 0.929695, 0.911857, 0.917445,
                              0.947362, 0.943227, 0.978991, 1.022489, 0.961127};
    double dmax = 0;
    for (size_t t = 0; t < 10; t++) {
        HS_CHECK_CLOSE(q[off + t], first10[t], 5e-7);
        dmax = fmax(dmax, fabs(q[off + t] - first10[t]));
    }
    double sum = 0;
    for (size_t t = off; t < s.n; t++) sum += q[t];
    HS_CHECK_CLOSE(sum / (double)nrun, 2.181034, 5e-7);
    const double nse = hs_metric_nse(q + off, s.q + off, nrun);
    const double kge = hs_metric_kge(q + off, s.q + off, nrun, NULL);
    HS_CHECK_CLOSE(nse, 0.809567, 5e-7);
    HS_CHECK_CLOSE(kge, 0.884748, 5e-7);
    HS_CHECK_CLOSE(gmax[0], 396.2745, 5e-5);
    HS_CHECK_CLOSE(gmax[4], 1272.529, 5e-4);
    fprintf(stderr, "L0123002 CemaNeige-GR4J: max |Qsim - airGR| first 10 days %.3g mm/d; mean "
            "%.9f (2.181034); NSE %.9f (0.809567); KGE %.9f (0.884748); max G layer 1 %.7f "
            "(396.2745), layer 5 %.6f (1272.529)\n", dmax, sum / (double)nrun, nse, kge,
            gmax[0], gmax[4]);

    /* One call over the whole window gives the same bits as the day-by-day calls. */
    double *q2 = calloc(s.n, sizeof *q2);
    HS_CHECK(hs_model_init(m, par, ctx) == HS_OK);
    hs_forcing_view f = {s.n, 1, d1989, s.p, s.t, s.e};
    hs_flux_view o = {q2, NULL, NULL};
    HS_CHECK(hs_model_run(m, (hs_range){0, 1}, &f, &o, ctx) == HS_OK);
    HS_CHECK(q2 && memcmp(q, q2, s.n * sizeof *q) == 0);
    hs_model_destroy(&m);

    /* Without MEAN_ANNUAL_SOLID_PRECIP the threshold comes from the first run's window. */
    HS_CHECK(hs_model_create(&hs_gr4j_cemaneige_ops, opts, 3, 1, ctx, &m) == HS_OK);
    if (m) {
        HS_CHECK(hs_model_init(m, par, ctx) == HS_OK);
        double gthr;
        HS_CHECK(hs_gr4j_get_state(m, 0, ctx, NULL, NULL, NULL, NULL, &gthr) == HS_OK);
        HS_CHECK(isnan(gthr));
        HS_CHECK(hs_model_run(m, (hs_range){0, 1}, &f, &o, ctx) == HS_OK);
        HS_CHECK(hs_gr4j_get_state(m, 0, ctx, NULL, NULL, NULL, NULL, &gthr) == HS_OK);
        hs_cemaneige_layers ly;
        HS_CHECK(hs_cemaneige_layers_init(hypso, 5, NAN, ctx, &ly) == HS_OK);
        const double gthr_full = hs_cemaneige_gthreshold(
            hs_cemaneige_mean_annual_solid_precip(&ly, d1989, s.p, s.t, s.n, 1));
        HS_CHECK(gthr == gthr_full);
        /* ... and is kept by later inits, whatever window later runs get. */
        HS_CHECK(hs_model_init(m, par, ctx) == HS_OK);
        hs_forcing_view f_short = {100, 1, d1990, s.p + off, s.t + off, s.e + off};
        HS_CHECK(hs_model_run(m, (hs_range){0, 1}, &f_short, &o, ctx) == HS_OK);
        HS_CHECK(hs_gr4j_get_state(m, 0, ctx, NULL, NULL, NULL, NULL, &gthr) == HS_OK);
        HS_CHECK(gthr == gthr_full);
        hs_model_destroy(&m);
    }
    free(q);
    free(q2);
    free_series(&s);
}

/* ---- 6. mass balance with snow; 7. partitions ------------------------------------------------------- */

static uint64_t rng_state = 0x243F6A8885A308D3ULL;
static double rnd(void) /* splitmix64 -> [0, 1) */
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-53;
}

static void test_mass_balance(hs_ctx *ctx)
{
    series s;
    HS_CHECK(read_l2(hs_day_from_ymd(1989, 1, 1), hs_day_from_ymd(1993, 12, 31), &s) == 0);
    if (!s.p) return;
    const hs_model_option opts[] = {{"HYPSOMETRIC_CURVE", curve_text}, {"SNOW_LAYERS", "7"},
                                    {"FORCING_ELEVATION", "1200"}};
    hs_model *m = NULL;
    HS_CHECK(hs_model_create(&hs_gr4j_cemaneige_ops, opts, 3, 1, ctx, &m) == HS_OK);
    if (!m) return;
    double worst_step = 0, worst_total = 0;
    for (int set = 0; set < 30; set++) {
        const double par[6] = {1.0 + 1999.0 * rnd(), -10.0 + 15.0 * rnd(), 1.0 + 499.0 * rnd(),
                               0.5 + 19.5 * rnd(), rnd(), 10.0 * rnd()};
        HS_CHECK(hs_model_init(m, par, ctx) == HS_OK);
        const double s_start = hs_model_storage_mm(m, 0);
        double s0 = s_start, x0 = 0.0;
        long double tot = 0;
        for (size_t t = 0; t < s.n; t++) {
            double q, aet, in;
            hs_forcing_view f = {1, 1, s.start + (hs_day)t, &s.p[t], &s.t[t], &s.e[t]};
            hs_flux_view o = {&q, &aet, &in};
            HS_CHECK(hs_model_run(m, (hs_range){0, 1}, &f, &o, ctx) == HS_OK);
            double s1 = hs_model_storage_mm(m, 0), x1;
            HS_CHECK(hs_gr4j_get_state(m, 0, ctx, NULL, &x1, NULL, NULL, NULL) == HS_OK);
            const double res = in - aet - q + (x1 - x0) - (s1 - s0);
            worst_step = fmax(worst_step, fabs(res));
            HS_CHECK_CLOSE(in, s.p[t], 1e-12); /* the layer mean is the catchment P */
            tot += (long double)in - aet - q;
            s0 = s1;
            x0 = x1;
        }
        worst_total = fmax(worst_total, fabs((double)tot + x0 - (s0 - s_start)));
    }
    fprintf(stderr, "GR4J_CemaNeige mass balance: worst per-step residual %.3g mm, worst total "
            "%.3g mm\n", worst_step, worst_total);
    HS_CHECK(worst_step <= 1e-9);
    HS_CHECK(worst_total <= 1e-9);
    hs_model_destroy(&m);

    /* Three HRUs: all at once == one by one in two time chunks (snow states carried over). */
    const size_t nh = 3, n = s.n, cut = 777;
    double *p = malloc(n * nh * sizeof *p), *tc = malloc(n * nh * sizeof *tc);
    double *e = malloc(n * nh * sizeof *e);
    double *qa = malloc(n * nh * sizeof *qa), *qb = malloc(n * nh * sizeof *qb);
    hs_model *a = NULL, *b = NULL;
    HS_CHECK(hs_model_create(&hs_gr4j_cemaneige_ops, opts, 3, nh, ctx, &a) == HS_OK);
    HS_CHECK(hs_model_create(&hs_gr4j_cemaneige_ops, opts, 3, nh, ctx, &b) == HS_OK);
    if (!p || !tc || !e || !qa || !qb || !a || !b) return;
    for (size_t t = 0; t < n; t++)
        for (size_t i = 0; i < nh; i++) {
            p[t * nh + i] = s.p[t] * (0.8 + 0.2 * (double)i);
            tc[t * nh + i] = s.t[t] - (double)i;
            e[t * nh + i] = s.e[t];
        }
    double par[3][6] = {{408.774, 2.646, 131.264, 1.174, 0.962, 2.249},
                        {200.0, -1.0, 50.0, 3.0, 0.5, 5.0},
                        {900.0, 0.5, 250.0, 0.8, 0.1, 8.0}};
    HS_CHECK(hs_model_init(a, &par[0][0], ctx) == HS_OK);
    HS_CHECK(hs_model_init(b, &par[0][0], ctx) == HS_OK);
    /* b: HRU by HRU (in reverse order), each in two time chunks. Without
     * MEAN_ANNUAL_SOLID_PRECIP the melt threshold comes from the first call's window, so a is
     * run again below with the same two windows (all HRUs at once) before comparing. */
    for (size_t i = nh; i-- > 0;) {
        hs_forcing_view g1 = {cut, nh, s.start, p, tc, e};
        hs_forcing_view g2 = {n - cut, nh, s.start + (hs_day)cut, p + cut * nh, tc + cut * nh,
                              e + cut * nh};
        hs_flux_view o1 = {qb, NULL, NULL}, o2 = {qb + cut * nh, NULL, NULL};
        HS_CHECK(hs_model_run(b, (hs_range){i, 1}, &g1, &o1, ctx) == HS_OK);
        HS_CHECK(hs_model_run(b, (hs_range){i, 1}, &g2, &o2, ctx) == HS_OK);
    }
    HS_CHECK(hs_model_init(a, &par[0][0], ctx) == HS_OK);
    {
        hs_forcing_view g1 = {cut, nh, s.start, p, tc, e};
        hs_forcing_view g2 = {n - cut, nh, s.start + (hs_day)cut, p + cut * nh, tc + cut * nh,
                              e + cut * nh};
        hs_flux_view o1 = {qa, NULL, NULL}, o2 = {qa + cut * nh, NULL, NULL};
        HS_CHECK(hs_model_run(a, (hs_range){0, nh}, &g1, &o1, ctx) == HS_OK);
        HS_CHECK(hs_model_run(a, (hs_range){0, nh}, &g2, &o2, ctx) == HS_OK);
    }
    HS_CHECK(memcmp(qa, qb, n * nh * sizeof *qa) == 0);
    hs_model_destroy(&a);
    hs_model_destroy(&b);
    free(p), free(tc), free(e), free(qa), free(qb);
    free_series(&s);
}

/* ---- 7. errors ------------------------------------------------------------------------------------ */

static void expect_create_error(hs_ctx *ctx, const hs_model_option *o, size_t n, const char *needle)
{
    hs_model *m = NULL;
    HS_CHECK(hs_model_create(&hs_gr4j_cemaneige_ops, o, n, 1, ctx, &m) == HS_ERR_CONFIG);
    HS_CHECK(m == NULL);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), needle);
}

static void test_errors(hs_ctx *ctx)
{
    hs_model_option o[3] = {{"SNOW_LAYERS", "5"}};
    expect_create_error(ctx, o, 1, "CemaNeige needs HYPSOMETRIC_CURVE");
    o[0] = (hs_model_option){"HYPSOMETRIC_CURVE", "[1, 2, 3]"};
    expect_create_error(ctx, o, 1, "HYPSOMETRIC_CURVE: expected 101 elevations");
    o[0] = (hs_model_option){"HYPSOMETRIC_CURVE", "[1, 2, x]"};
    expect_create_error(ctx, o, 1, "text that is not a number");
    o[0] = (hs_model_option){"HYPSOMETRIC_CURVE", curve_text};
    o[1] = (hs_model_option){"SNOW_LAYERS", "0"};
    expect_create_error(ctx, o, 2, "SNOW_LAYERS: '0' is not valid");
    o[1] = (hs_model_option){"SNOW_LAYERS", "101"};
    expect_create_error(ctx, o, 2, "from 1 to 100");
    o[1] = (hs_model_option){"SNOW_MODULE", "none"};
    expect_create_error(ctx, o, 2, "'none' is not valid for GR4J_CemaNeige");
    o[1] = (hs_model_option){"MEAN_ANNUAL_SOLID_PRECIP", "-3"};
    expect_create_error(ctx, o, 2, "MEAN_ANNUAL_SOLID_PRECIP: '-3' is not valid");
    o[1] = (hs_model_option){"FORCING_ELEVATION", "high"};
    expect_create_error(ctx, o, 2, "FORCING_ELEVATION: 'high' is not valid");

    /* A decreasing curve (HS_ERR_ARG from the layer builder, naming the quantile). */
    char bad[4096];
    strcpy(bad, curve_text);
    char *c = strstr(bad, "656.20000000000005");
    HS_CHECK(c != NULL);
    if (c) memcpy(c, "356.20000000000005", 18);
    o[0] = (hs_model_option){"HYPSOMETRIC_CURVE", bad};
    hs_model *m = NULL;
    HS_CHECK(hs_model_create(&hs_gr4j_cemaneige_ops, o, 1, 1, ctx, &m) == HS_ERR_ARG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "the 1 % quantile (356.2 m) is below the 0 % quantile (471 m)");

    /* Parameters outside their physical limits. */
    o[0] = (hs_model_option){"HYPSOMETRIC_CURVE", curve_text};
    HS_CHECK(hs_model_create(&hs_gr4j_cemaneige_ops, o, 1, 1, ctx, &m) == HS_OK);
    if (!m) return;
    double par[6] = {350, 0, 90, 1.7, 1.5, 3};
    HS_CHECK(hs_model_init(m, par, ctx) == HS_ERR_ARG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "parameter ctg = 1.5 for HRU 0");
    par[4] = 0.5, par[5] = -1;
    HS_CHECK(hs_model_init(m, par, ctx) == HS_ERR_ARG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "parameter kf = -1 for HRU 0");
    par[5] = 3, par[3] = 0.2;
    HS_CHECK(hs_model_init(m, par, ctx) == HS_ERR_ARG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "GR4J_CemaNeige parameter x4 = 0.2");
    /* Forcing without temperature. */
    par[3] = 1.7;
    HS_CHECK(hs_model_init(m, par, ctx) == HS_OK);
    double p = 1, e = 0, q;
    hs_forcing_view f = {1, 1, 0, &p, NULL, &e};
    hs_flux_view fo = {&q, NULL, NULL};
    HS_CHECK(hs_model_run(m, (hs_range){0, 1}, &f, &fo, ctx) == HS_ERR_ARG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "and temp_c");
    hs_model_destroy(&m);
    hs_cemaneige_layers ly;
    HS_CHECK(hs_cemaneige_layers_init(hypso, 0, NAN, ctx, &ly) == HS_ERR_ARG);
    HS_CHECK(hs_cemaneige_layers_init(hypso, 5, INFINITY, ctx, &ly) == HS_ERR_ARG);
}

/* ---- 8. the optimised kernel against the kept reference implementation ------------------------ */

/* The CemaNeige layer extrapolation and step as they were before the GR4J_CemaNeige kernel was
 * optimised (issue #4), kept verbatim; the GR4J step is hs_gr4j_step() (itself checked against
 * its kept reference in test_gr4j.c). The model must give the same bits (memcmp). */
static void ref_extrapolate(const hs_cemaneige_layers *layers, hs_day day, double precip_mm,
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
    double sum = 0.0;
    for (size_t k = 0; k < n; k++) {
        double p;
        if (layers->z_m[k] <= 4000.0)
            p = precip_mm * exp(0.00041 * (layers->z_m[k] - zin));
        else if (zin <= 4000.0)
            p = precip_mm * exp(0.00041 * (4000.0 - zin));
        else
            p = precip_mm;
        p_mm[k] = p;
        sum += p;
    }
    const double mean = sum / (double)n;
    for (size_t k = 0; k < n; k++) {
        const double p = p_mm[k] / mean * precip_mm;
        p_mm[k] = isnan(p) ? 0.0 : p;
    }
    int y, m, d;
    hs_day_to_ymd(day, &y, &m, &d);
    const double g = fabs(hs_cemaneige_temp_gradient(m, d));
    for (size_t k = 0; k < n; k++) {
        t_c[k] = temp_c + (zin - layers->z_m[k]) * g / 100.0;
        const double tk = t_c[k];
        fsol[k] = tk > 3.0 ? 0.0 : tk < -1.0 ? 1.0 : 1.0 - (tk - -1.0) / (3.0 - -1.0);
    }
}

static double ref_cn_step(double *g_mm, double *etg_c, double p_mm, double fsol, double t_c,
                          double ctg, double kf, double gthreshold_mm)
{
    const double min_speed = (double)(float)0.1;
    double g = *g_mm, etg = *etg_c;
    const double pliq = (1.0 - fsol) * p_mm;
    const double psol = fsol * p_mm;
    g = g + psol;
    etg = ctg * etg + (1.0 - ctg) * t_c;
    if (etg > 0.0) etg = 0.0;
    double pot_melt = 0.0;
    if (etg == 0.0 && t_c > 0.0) {
        pot_melt = kf * (t_c - 0.0);
        if (pot_melt > g) pot_melt = g;
    }
    const double gratio = g < gthreshold_mm ? g / gthreshold_mm : 1.0;
    const double melt = ((1.0 - min_speed) * gratio + min_speed) * pot_melt;
    g = g - melt;
    *g_mm = g;
    *etg_c = etg;
    return pliq + melt;
}

static void check_reference_kernel(hs_ctx *ctx, const hs_model_option *opts, size_t n_opts,
                                   const double *curve, size_t n_layers, double z_in)
{
    const size_t nh = 21, nt = 2000, np = HS_GR4J_CN_NPAR;
    double *par = malloc(nh * np * sizeof *par);
    double *p = malloc(nt * nh * sizeof *p), *tc = malloc(nt * nh * sizeof *tc);
    double *e = malloc(nt * nh * sizeof *e), *q = malloc(nt * nh * sizeof *q);
    double *ae = malloc(nt * nh * sizeof *ae), *in = malloc(nt * nh * sizeof *in);
    if (!par || !p || !tc || !e || !q || !ae || !in) {
        HS_CHECK(0);
        return;
    }
    for (size_t i = 0; i < nh; i++) {
        par[i * np + HS_GR4J_X1] = 10.0 + 1500.0 * rnd();
        par[i * np + HS_GR4J_X2] = -8.0 + 12.0 * rnd();
        par[i * np + HS_GR4J_X3] = 5.0 + 400.0 * rnd();
        par[i * np + HS_GR4J_X4] = 0.5 + 12.0 * rnd();
        par[i * np + HS_GR4J_CTG] = i == 0 ? 0.0 : i == 1 ? 1.0 : rnd();
        par[i * np + HS_GR4J_KF] = i == 2 ? 0.0 : 10.0 * rnd();
    }
    for (size_t t = 0; t < nt; t++)
        for (size_t i = 0; i < nh; i++) {
            const double u = rnd();
            p[t * nh + i] = u < 0.5 ? 0.0 : 40.0 * rnd();
            tc[t * nh + i] = -15.0 + 12.0 * sin(6.283185307179586 * (double)t / 365.25) +
                             15.0 * rnd() + (double)i * 0.2;
            e[t * nh + i] = 5.0 * rnd();
        }
    hs_model *m = NULL;
    HS_CHECK(hs_model_create(&hs_gr4j_cemaneige_ops, opts, n_opts, nh, ctx, &m) == HS_OK);
    if (!m) return;
    HS_CHECK(hs_model_init(m, par, ctx) == HS_OK);
    const hs_day d0 = hs_day_from_ymd(1999, 11, 20); /* across 29 Feb 2000 and year ends */
    hs_forcing_view f = {nt, nh, d0, p, tc, e};
    hs_flux_view o = {q, ae, in};
    HS_CHECK(hs_model_run(m, (hs_range){0, 5}, &f, &o, ctx) == HS_OK);
    HS_CHECK(hs_model_run(m, (hs_range){5, nh - 5}, &f, &o, ctx) == HS_OK);
    hs_cemaneige_layers ly;
    HS_CHECK(hs_cemaneige_layers_init(curve, n_layers, z_in, ctx, &ly) == HS_OK);
    size_t bad = 0;
    for (size_t i = 0; i < nh; i++) {
        const double *pi = par + i * np;
        double uh1[HS_GR4J_NH], uh2[2 * HS_GR4J_NH];
        hs_gr4j_uh_ordinates(pi[HS_GR4J_X4], uh1, uh2);
        hs_gr4j_state st;
        memset(&st, 0, sizeof st);
        st.prod_mm = 0.3 * pi[HS_GR4J_X1];
        st.rout_mm = 0.5 * pi[HS_GR4J_X3];
        double g[HS_CEMANEIGE_MAX_LAYERS] = {0}, etg[HS_CEMANEIGE_MAX_LAYERS] = {0};
        double pl[HS_CEMANEIGE_MAX_LAYERS], tl[HS_CEMANEIGE_MAX_LAYERS];
        double fs[HS_CEMANEIGE_MAX_LAYERS];
        double gthr;
        HS_CHECK(hs_gr4j_get_state(m, i, ctx, NULL, NULL, NULL, NULL, &gthr) == HS_OK);
        const double nl = (double)ly.n_layers;
        for (size_t t = 0; t < nt; t++) {
            const size_t k = t * nh + i;
            ref_extrapolate(&ly, d0 + (hs_day)t, p[k], tc[k], pl, tl, fs);
            double p_gr = 0.0, p_in = 0.0;
            for (size_t l = 0; l < ly.n_layers; l++) {
                p_gr += ref_cn_step(&g[l], &etg[l], pl[l], fs[l], tl[l], pi[HS_GR4J_CTG],
                                    pi[HS_GR4J_KF], gthr) / nl;
                p_in += pl[l] / nl;
            }
            hs_gr4j_fluxes fl;
            const double qq = hs_gr4j_step(&st, uh1, uh2, pi, p_gr, e[k], &fl);
            bad += memcmp(&qq, &q[k], sizeof qq) != 0 || memcmp(&fl.ae, &ae[k], sizeof qq) != 0 ||
                   memcmp(&p_in, &in[k], sizeof qq) != 0;
        }
        hs_gr4j_state sm;
        double gm[HS_CEMANEIGE_MAX_LAYERS], etgm[HS_CEMANEIGE_MAX_LAYERS];
        HS_CHECK(hs_gr4j_get_state(m, i, ctx, &sm, NULL, gm, etgm, NULL) == HS_OK);
        bad += memcmp(&sm, &st, sizeof st) != 0;
        bad += memcmp(gm, g, ly.n_layers * sizeof *g) != 0;
        bad += memcmp(etgm, etg, ly.n_layers * sizeof *g) != 0;
    }
    HS_CHECK_INT(bad, 0);
    hs_model_destroy(&m);
    free(par), free(p), free(tc), free(e), free(q), free(ae), free(in);
}

static void test_reference_kernel(hs_ctx *ctx)
{
    /* 5 layers with the threshold from MEAN_ANNUAL_SOLID_PRECIP. */
    const hs_model_option o1[] = {{"HYPSOMETRIC_CURVE", curve_text},
                                  {"MEAN_ANNUAL_SOLID_PRECIP", "420"}};
    check_reference_kernel(ctx, o1, 2, hypso, 5, NAN);
    /* 7 layers, the threshold computed by the first run, forcing above the median. */
    const hs_model_option o2[] = {{"HYPSOMETRIC_CURVE", curve_text}, {"SNOW_LAYERS", "7"},
                                  {"FORCING_ELEVATION", "1700"}};
    check_reference_kernel(ctx, o2, 3, hypso, 7, 1700.0);
    /* One layer at the median: the forcing is used as is (no extrapolation). */
    const hs_model_option o3[] = {{"HYPSOMETRIC_CURVE", curve_text}, {"SNOW_LAYERS", "1"}};
    check_reference_kernel(ctx, o3, 2, hypso, 1, NAN);
    /* A curve above 4000 m (the precipitation gradient capped), 3 layers. */
    static double high[HS_CEMANEIGE_NHYPSO];
    static char high_text[4096];
    size_t len = (size_t)snprintf(high_text, sizeof high_text, "[");
    for (int k = 0; k < HS_CEMANEIGE_NHYPSO; k++) {
        high[k] = 3000.0 + 25.0 * k;
        len += (size_t)snprintf(high_text + len, sizeof high_text - len, "%s%.17g", k ? ", " : "",
                                high[k]);
    }
    snprintf(high_text + len, sizeof high_text - len, "]");
    const hs_model_option o4[] = {{"HYPSOMETRIC_CURVE", high_text}, {"SNOW_LAYERS", "3"},
                                  {"MEAN_ANNUAL_SOLID_PRECIP", "800"}};
    check_reference_kernel(ctx, o4, 3, high, 3, NAN);
}

int main(void)
{
    hs_ctx *ctx = hs_ctx_create();
    if (!ctx) return 1;
    make_curve_text();
    test_layers(ctx);
    const double mean_an = test_mean_annual(ctx);
    test_hand_steps();
    test_reference(ctx, mean_an);
    test_mass_balance(ctx);
    test_errors(ctx);
    test_reference_kernel(ctx);
    hs_ctx_destroy(&ctx);
    HS_TEST_REPORT();
}
