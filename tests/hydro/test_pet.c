/* test_pet.c -- Oudin PET (hydro/hs_pet.c, docs-models.md §5.1) against airGR's PE_Oudin:
 * the check values run in airGR 1.7.6 (tolerance 1e-6 mm/d), and the E_oudin_mm column of the
 * Bow-at-Banff station file (airGR PE_Oudin at 51.18 N, printed with 4 decimals: tolerance
 * half a unit of the last printed digit, 5e-5 mm/d, and our value rounded to 4 decimals must
 * print the same digits on every day of 2002-2009). */
#include <math.h>

#include "bow_csv.h"
#include "hs_pet.h"
#include "hs_test.h"

#define DEG2RAD(x) ((x) * 3.14159265358979323846 / 180.0)

static void test_check_values(void)
{
    /* T = 10 degC, latitude 45 degrees */
    const int doy[7] = {1, 60, 120, 180, 240, 300, 360};
    const double pe45[7] = {0.668126, 1.294976, 2.272223, 2.608559, 2.050866, 1.064361, 0.654763};
    for (int i = 0; i < 7; i++) HS_CHECK_CLOSE(hs_pet_oudin(10.0, DEG2RAD(45.0), doy[i]), pe45[i], 1e-6);

    /* airGR L0123001, latitude 0.8 rad, first five days of 1984 */
    const double t[5] = {0.5, 0.2, 0.9, 0.5, -1.6};
    const double pe[5] = {0.233291, 0.221671, 0.252877, 0.237109, 0.147490};
    for (int i = 0; i < 5; i++) HS_CHECK_CLOSE(hs_pet_oudin(t[i], 0.8, i + 1), pe[i], 1e-6);
}

static void test_edges(void)
{
    /* no evaporation at or below -5 degC */
    HS_CHECK(hs_pet_oudin(-5.0, DEG2RAD(45.0), 180) == 0.0);
    HS_CHECK(hs_pet_oudin(-20.0, DEG2RAD(45.0), 180) == 0.0);
    HS_CHECK(hs_pet_oudin(-4.9, DEG2RAD(45.0), 180) > 0.0);
    /* polar night and day stay finite; southern hemisphere is the mirror image in season */
    const double polar_night = hs_pet_oudin(10.0, DEG2RAD(89.0), 355);
    HS_CHECK(isfinite(polar_night) && polar_night >= 0.0 && polar_night < 0.05);
    const double polar_day = hs_pet_oudin(10.0, DEG2RAD(89.0), 172);
    HS_CHECK(isfinite(polar_day) && polar_day > 2.0);
    HS_CHECK(hs_pet_oudin(10.0, DEG2RAD(-45.0), 1) > hs_pet_oudin(10.0, DEG2RAD(45.0), 1));
    /* sunset hour angle 0 (cos(lat) < 0, outside the valid range): guarded, no NaN */
    const double guarded = hs_pet_oudin(10.0, 2.0, 100);
    HS_CHECK(isfinite(guarded) && guarded >= 0.0);
}

static void test_bow_column(void)
{
    static const char *const names[] = {"Tmean_C", "E_oudin_mm"};
    double *cols[2] = {NULL, NULL};
    const hs_day start = hs_day_from_ymd(2002, 1, 1), end = hs_day_from_ymd(2009, 12, 31);
    int rc = bow_read_columns(BOW_CLIMATE_CSV, names, 2, start, end, cols);
    HS_CHECK_INT(rc, 0);
    if (rc != 0) return;
    size_t used = 0, bad = 0, not_rounded = 0;
    double worst = 0.0;
    for (hs_day d = start; d <= end; d++) {
        const double t = cols[0][d - start], e = cols[1][d - start];
        if (isnan(t) || isnan(e)) continue;
        const double pe = hs_pet_oudin(t, DEG2RAD(51.18), hs_day_of_year(d));
        const double diff = fabs(pe - e);
        if (diff > worst) worst = diff;
        if (diff > 5e-5 + 1e-12) {
            if (bad++ < 5)
                fprintf(stderr, "  %lld: T %.1f -> PE %.6f, CSV %.4f\n", (long long)d, t, pe, e);
        }
        /* the CSV printed PE rounded to 4 decimals: ours must round to the same digits */
        if (fabs(round(pe * 1e4) / 1e4 - e) > 1e-9) not_rounded++;
        used++;
    }
    fprintf(stderr, "Bow E_oudin_mm: %zu days compared, worst |diff| %.2e mm/d\n", used, worst);
    HS_CHECK(used >= 2900);
    HS_CHECK_INT(bad, 0);
    HS_CHECK_INT(not_rounded, 0);
    free(cols[0]);
    free(cols[1]);
}

/* Hamon, worked by hand (docs-models.md §5.2) for T = 10 degC, latitude 45 N, day 180:
 * decl = 0.409 sin(2 pi 180/365 - 1.39) = 0.405125; ws = acos(-tan 45 tan decl) = 2.014013;
 * N = 24 ws / pi = 15.38593 h; es = 0.61078 exp(17.26939 10 / 247.3) = 1.227892 kPa;
 * rho = 216.7 x 12.27892 / 283.15 = 9.397288 g/m3; PET = 0.0055 (N/12)^2 rho 25.4 = 2.158161 mm/d
 * (checked with an independent Python evaluation of the same formulas) */
static void test_hamon(void)
{
    HS_CHECK_CLOSE(hs_pet_day_length_h(DEG2RAD(45.0), 180), 15.38593, 1e-5);
    HS_CHECK_CLOSE(hs_pet_hamon(10.0, DEG2RAD(45.0), 180), 2.158161, 1e-6);
    HS_CHECK_CLOSE(hs_pet_day_length_h(0.0, 80), 12.0, 1e-9);        /* equator */
    HS_CHECK_CLOSE(hs_pet_day_length_h(DEG2RAD(80.0), 355), 0.0, 0); /* polar night */
    HS_CHECK_CLOSE(hs_pet_day_length_h(DEG2RAD(80.0), 172), 24.0, 0); /* polar day */
    HS_CHECK(hs_pet_hamon(10.0, DEG2RAD(80.0), 355) == 0.0);
    /* below freezing, the ice formula: es(-10) = 0.61078 exp(21.87456 (-10)/255.5) = 0.259457 */
    const double rho = 216.7 * 2.59457 / 263.15, n = hs_pet_day_length_h(DEG2RAD(45.0), 1);
    HS_CHECK_CLOSE(hs_pet_hamon(-10.0, DEG2RAD(45.0), 1), 0.0055 * (n / 12) * (n / 12) * rho * 25.4,
                   1e-5);
    HS_CHECK(hs_pet_hamon(25.0, DEG2RAD(45.0), 180) > hs_pet_hamon(10.0, DEG2RAD(45.0), 180));
}

int main(void)
{
    test_check_values();
    test_hamon();
    test_edges();
    test_bow_column();
    HS_TEST_REPORT();
}
