/* test_prep.c -- gap filling (linear temperature/PET, zero precipitation, counts, refused gaps
 * with their dates) and the station-to-HRU elevation transfer, checked against hand-computed
 * values; plus gap filling of the real Banff station record over 2000-2009. */
#include <math.h>
#include <stdio.h>

#include "hs_forcing.h"
#include "hs_prep.h"
#include "hs_test.h"

/* A forcing of n steps x nh HRUs from 2000-01-01 with temp = 10 i + j, precip = 1 + j,
 * pet = 0.5 i (all valid). */
static hs_forcing *make_forcing(hs_ctx *ctx, size_t n, size_t nh) {
    hs_forcing *f = NULL;
    HS_CHECK_INT(hs_forcing_create(ctx, hs_day_from_ymd(2000, 1, 1), n, nh, true, &f), HS_OK);
    if (!f) return NULL;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < nh; j++) {
            f->temp_c[i * nh + j] = 10.0 * (double)i + (double)j;
            f->precip_mm[i * nh + j] = 1.0 + (double)j;
            f->pet_mm[i * nh + j] = 0.5 * (double)i;
        }
    return f;
}

static void test_create(hs_ctx *ctx) {
    hs_forcing *f = NULL;
    HS_CHECK_INT(hs_forcing_create(ctx, 0, 3, 2, false, &f), HS_OK);
    if (f) {
        HS_CHECK(f->pet_mm == NULL);
        HS_CHECK(isnan(f->temp_c[5]) && isnan(f->precip_mm[0]));
    }
    hs_forcing_destroy(&f);
    HS_CHECK_INT(hs_forcing_create(ctx, 0, 0, 2, false, &f), HS_ERR_ARG);
    HS_CHECK(f == NULL);
}

static void test_fill(hs_ctx *ctx) {
    hs_forcing *f = make_forcing(ctx, 10, 2);
    if (!f) return;
    f->temp_c[3 * 2 + 0] = NAN; /* HRU 0: days 3-4 missing, neighbours 20 and 50 */
    f->temp_c[4 * 2 + 0] = NAN;
    f->temp_c[7 * 2 + 1] = NAN;   /* HRU 1: day 7, neighbours 61 and 81 */
    f->precip_mm[5 * 2 + 1] = NAN; /* -> 0, not interpolated */
    f->pet_mm[2 * 2 + 0] = NAN;    /* neighbours 0.5 and 1.5 */
    hs_gap_report rep = {99, 99, 99};
    hs_status st = hs_prep_fill_gaps(ctx, "station.csv", NULL, f, 0, 10, 3, &rep);
    HS_CHECK_INT(st, HS_OK);
    if (st != HS_OK) fprintf(stderr, "%s\n", hs_ctx_message(ctx));
    HS_CHECK_CLOSE(f->temp_c[3 * 2 + 0], 30.0, 1e-12);
    HS_CHECK_CLOSE(f->temp_c[4 * 2 + 0], 40.0, 1e-12);
    HS_CHECK_CLOSE(f->temp_c[7 * 2 + 1], 71.0, 1e-12);
    HS_CHECK_CLOSE(f->precip_mm[5 * 2 + 1], 0.0, 0.0);
    HS_CHECK_CLOSE(f->pet_mm[2 * 2 + 0], 1.0, 1e-12);
    HS_CHECK_INT(rep.filled_precip, 1);
    HS_CHECK_INT(rep.filled_temp, 3);
    HS_CHECK_INT(rep.filled_pet, 1);
    /* nothing left to fill: zero counts, NULL report allowed */
    HS_CHECK_INT(hs_prep_fill_gaps(ctx, "station.csv", NULL, f, 0, 10, 3, &rep), HS_OK);
    HS_CHECK_INT(rep.filled_precip + rep.filled_temp + rep.filled_pet, 0);
    HS_CHECK_INT(hs_prep_fill_gaps(ctx, "station.csv", NULL, f, 0, 10, 3, NULL), HS_OK);
    hs_forcing_destroy(&f);

    /* a window: a gap outside it is left alone, the window's ends are its ends */
    f = make_forcing(ctx, 10, 1);
    if (!f) return;
    f->temp_c[1] = NAN;
    f->temp_c[5] = NAN;
    HS_CHECK_INT(hs_prep_fill_gaps(ctx, "w", NULL, f, 2, 6, 3, &rep), HS_OK);
    HS_CHECK(isnan(f->temp_c[1]));
    HS_CHECK_CLOSE(f->temp_c[5], 50.0, 1e-12);
    HS_CHECK_INT(rep.filled_temp, 1);
    hs_ctx_clear(ctx);
    HS_CHECK_INT(hs_prep_fill_gaps(ctx, "w.csv", NULL, f, 1, 5, 3, &rep), HS_ERR_FORMAT);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx),
                          "w.csv: variable 'temp': 1 missing day from 2000-01-02 to 2000-01-02, at "
                          "the start of the period");
    HS_CHECK_INT(hs_prep_fill_gaps(ctx, "w", NULL, f, 0, 11, 3, &rep), HS_ERR_ARG);
    hs_forcing_destroy(&f);
}

static void test_fill_errors(hs_ctx *ctx) {
    /* a gap longer than the limit: error naming file, variable and dates; nothing changed */
    hs_forcing *f = make_forcing(ctx, 12, 1);
    if (!f) return;
    f->precip_mm[1] = NAN; /* fillable, but checked before anything is filled */
    for (size_t i = 3; i <= 6; i++) f->temp_c[i] = NAN; /* 4 days: 2000-01-04..2000-01-07 */
    hs_gap_report rep = {0, 0, 0};
    hs_status st = hs_prep_fill_gaps(ctx, "banff.csv", NULL, f, 0, 12, 3, &rep);
    HS_CHECK_INT(st, HS_ERR_FORMAT);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx),
                          "banff.csv: variable 'temp': 4 missing days from 2000-01-04 to "
                          "2000-01-07, longer than the 3-day limit");
    HS_CHECK(isnan(f->precip_mm[1])); /* unchanged on error */
    /* with the file's column names, the message names the column too */
    const hs_forcing_spec names = {"banff.csv", "P_mm", "Tmean_C", NULL};
    HS_CHECK_INT(hs_prep_fill_gaps(ctx, "banff.csv", &names, f, 0, 12, 3, &rep), HS_ERR_FORMAT);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "banff.csv: variable 'Tmean_C' (temp): 4 missing");
    HS_CHECK_INT(hs_prep_fill_gaps(ctx, "banff.csv", NULL, f, 0, 12, 4, &rep), HS_OK);
    HS_CHECK_CLOSE(f->temp_c[6], 60.0, 1e-12);
    HS_CHECK_CLOSE(f->precip_mm[1], 0.0, 0.0);

    /* a gap at the end, in PET of HRU 1 of 2 */
    hs_forcing_destroy(&f);
    f = make_forcing(ctx, 6, 2);
    if (!f) return;
    f->pet_mm[5 * 2 + 1] = NAN;
    hs_ctx_clear(ctx);
    HS_CHECK_INT(hs_prep_fill_gaps(ctx, "era5.nc", NULL, f, 0, 6, 10, &rep), HS_ERR_FORMAT);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx),
                          "era5.nc: variable 'pet' (HRU 1): 1 missing day from 2000-01-06 to "
                          "2000-01-06, at the end of the period");
    /* max_gap_days = 0: any gap is an error */
    f->pet_mm[5 * 2 + 1] = 1.0;
    f->precip_mm[2 * 2 + 0] = NAN;
    HS_CHECK_INT(hs_prep_fill_gaps(ctx, "era5.nc", NULL, f, 0, 6, 0, &rep), HS_ERR_FORMAT);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "variable 'precip' (HRU 0): 1 missing day");
    hs_forcing_destroy(&f);
}

/* The real station record. Counts computed independently with Python's csv module over
 * 2000-01-01..2009-12-31 (empty fields of P_mm, Tmean_C, E_oudin_mm): 9, 5, 5, the longest run
 * 2 days. Over 1981-2010 the first run longer than 5 days of P_mm is 1996-01-01..1996-03-31. */
static void test_bow(hs_ctx *ctx) {
    hs_forcing_spec spec = {HS_TESTDATA_DIR "/bow/climate_banff_station.csv", "P_mm",
                            "Tmean_C", "E_oudin_mm"};
    hs_forcing *f = NULL;
    HS_CHECK_INT(hs_forcing_read(ctx, &spec, &f), HS_OK);
    if (!f) return;
    size_t a = (size_t)(hs_day_from_ymd(2000, 1, 1) - f->first_day);
    size_t n = (size_t)(hs_day_from_ymd(2009, 12, 31) - hs_day_from_ymd(2000, 1, 1)) + 1;
    hs_gap_report rep;
    hs_status st = hs_prep_fill_gaps(ctx, "climate_banff_station.csv", NULL, f, a, n, 5, &rep);
    HS_CHECK_INT(st, HS_OK);
    HS_CHECK_INT(rep.filled_precip, 9);
    HS_CHECK_INT(rep.filled_temp, 5);
    HS_CHECK_INT(rep.filled_pet, 5);
    for (size_t i = a; i < a + n; i++)
        if (isnan(f->precip_mm[i]) || isnan(f->temp_c[i]) || isnan(f->pet_mm[i])) {
            HS_CHECK(!"NaN left after filling");
            break;
        }
    a = (size_t)(hs_day_from_ymd(1981, 1, 1) - f->first_day);
    n = (size_t)(hs_day_from_ymd(2010, 12, 31) - hs_day_from_ymd(1981, 1, 1)) + 1;
    hs_ctx_clear(ctx);
    HS_CHECK_INT(hs_prep_fill_gaps(ctx, "climate_banff_station.csv", NULL, f, a, n, 5, &rep),
                 HS_ERR_FORMAT);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx),
                          "climate_banff_station.csv: variable 'precip': 91 missing days from "
                          "1996-01-01 to 1996-03-31");
    hs_forcing_destroy(&f);
}

static void test_to_hrus(hs_ctx *ctx) {
    hs_forcing *in = NULL;
    HS_CHECK_INT(hs_forcing_create(ctx, hs_day_from_ymd(2001, 6, 1), 3, 1, true, &in), HS_OK);
    if (!in) return;
    const double t[3] = {10.0, 0.0, -5.0}, p[3] = {10.0, 0.0, 4.0}, e[3] = {1.0, 2.0, 3.0};
    for (int i = 0; i < 3; i++) {
        in->temp_c[i] = t[i];
        in->precip_mm[i] = p[i];
        in->pet_mm[i] = e[i];
    }
    /* station at 1400 m; HRUs at dz = 0, +1000, -1000, -1400 m */
    const double z[4] = {1400.0, 2400.0, 400.0, 0.0};
    hs_elev_spec spec = {1400.0, z, 4, true, 0.0065, 0.05};
    hs_forcing *out = NULL;
    hs_status st = hs_prep_to_hrus(ctx, in, 1, 2, &spec, &out);
    HS_CHECK_INT(st, HS_OK);
    if (out) {
        HS_CHECK_INT(out->n_time, 2);
        HS_CHECK_INT(out->n_hru, 4);
        HS_CHECK_INT(out->first_day, hs_day_from_ymd(2001, 6, 2));
        /* by hand, step 0 of the window = input step 1 (T 0, P 0, E 2), step 1 = input step 2
         * (T -5, P 4, E 3): T - 0.0065 dz = -5, -11.5, 1.5, 4.1;
         * P (1 + 0.05 dz / 100) = 4 * {1, 1.5, 0.5, 0.3} = 4, 6, 2, 1.2 */
        const double t1[4] = {-5.0, -11.5, 1.5, 4.1}, p1[4] = {4.0, 6.0, 2.0, 1.2};
        const double t0[4] = {0.0, -6.5, 6.5, 9.1};
        for (int j = 0; j < 4; j++) {
            HS_CHECK_CLOSE(out->temp_c[0 * 4 + j], t0[j], 1e-12);
            HS_CHECK_CLOSE(out->precip_mm[0 * 4 + j], 0.0, 0.0);
            HS_CHECK_CLOSE(out->pet_mm[0 * 4 + j], 2.0, 0.0);
            HS_CHECK_CLOSE(out->temp_c[1 * 4 + j], t1[j], 1e-12);
            HS_CHECK_CLOSE(out->precip_mm[1 * 4 + j], p1[j], 1e-12);
            HS_CHECK_CLOSE(out->pet_mm[1 * 4 + j], 3.0, 0.0);
        }
    }
    hs_forcing_destroy(&out);

    /* a steep gradient is clipped at zero precipitation; no lapse when disabled */
    spec.precip_gradient_per_100m = 0.1; /* factors 1, 2, 0, max(0, -0.4) = 0 */
    spec.apply_lapse = false;
    HS_CHECK_INT(hs_prep_to_hrus(ctx, in, 0, 3, &spec, &out), HS_OK);
    if (out) {
        const double pf[4] = {1.0, 2.0, 0.0, 0.0};
        for (int j = 0; j < 4; j++) {
            HS_CHECK_CLOSE(out->temp_c[0 * 4 + j], 10.0, 0.0);
            HS_CHECK_CLOSE(out->precip_mm[0 * 4 + j], 10.0 * pf[j], 1e-12);
        }
    }
    hs_forcing_destroy(&out);

    /* per-HRU input: each column is transferred with its own values */
    hs_forcing *in2 = NULL;
    HS_CHECK_INT(hs_forcing_create(ctx, 0, 1, 2, false, &in2), HS_OK);
    if (in2) {
        in2->temp_c[0] = 1.0;
        in2->temp_c[1] = 2.0;
        in2->precip_mm[0] = 3.0;
        in2->precip_mm[1] = 4.0;
        const double z2[2] = {100.0, 300.0};
        hs_elev_spec s2 = {100.0, z2, 2, true, 0.01, 0.0};
        HS_CHECK_INT(hs_prep_to_hrus(ctx, in2, 0, 1, &s2, &out), HS_OK);
        if (out) {
            HS_CHECK(out->pet_mm == NULL);
            HS_CHECK_CLOSE(out->temp_c[0], 1.0, 1e-12);
            HS_CHECK_CLOSE(out->temp_c[1], 0.0, 1e-12);
            HS_CHECK_CLOSE(out->precip_mm[1], 4.0, 0.0);
        }
        hs_forcing_destroy(&out);
        /* 2 HRUs in, 4 out: refused */
        HS_CHECK_INT(hs_prep_to_hrus(ctx, in2, 0, 1, &spec, &out), HS_ERR_ARG);
        HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "the forcing has 2 HRUs, the domain has 4");
        HS_CHECK(out == NULL);
    }
    hs_forcing_destroy(&in2);

    /* bad windows and settings */
    HS_CHECK_INT(hs_prep_to_hrus(ctx, in, 2, 2, &spec, &out), HS_ERR_ARG);
    HS_CHECK_INT(hs_prep_to_hrus(ctx, in, 0, 0, &spec, &out), HS_ERR_ARG);
    spec.apply_lapse = true;
    spec.lapse_rate_k_per_m = NAN;
    HS_CHECK_INT(hs_prep_to_hrus(ctx, in, 0, 3, &spec, &out), HS_ERR_CONFIG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "LAPSE_RATE");
    HS_CHECK(out == NULL);
    hs_forcing_destroy(&in);
}

int main(void) {
    hs_ctx *ctx = hs_ctx_create();
    HS_CHECK(ctx != NULL);
    if (!ctx) HS_TEST_REPORT();
    test_create(ctx);
    test_fill(ctx);
    test_fill_errors(ctx);
    test_bow(ctx);
    test_to_hrus(ctx);
    hs_ctx_destroy(&ctx);
    HS_TEST_REPORT();
}
