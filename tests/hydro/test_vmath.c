/* test_vmath.c -- hs_vm_log_tab (hydro/hs_vmath.h), FUSE's table log, against glibc's log in long
 * double (80-bit: 11 more bits than the result); then hs_vm_exp_plain, GR4J's exp, against
 * expl. The log scheme's claim: absolute error within
 * 1e-16 * max(1, |log x|) -- what a power a^e = exp(e log a) needs -- and relative error about
 * 1 ulp near x = 1 (the subintervals next to 1 take c = 1). Also: every table entry checked on
 * its own subinterval (a wrong invc or logc shows there), subnormals, exact log(1) = 0, and a
 * finite value for arguments outside (0, inf), which fuse_pow_y relies on. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "hs_test.h"
#include "hs_vmath.h"

/* deterministic uniform [0, 1) (64-bit LCG, top 53 bits) */
static double uniform(uint64_t *s)
{
    *s = *s * 6364136223846793005u + 1442695040888963407u;
    return (double)(*s >> 11) * 0x1p-53;
}

static double worst_abs = 0, worst_rel = 0;

static void check(double x)
{
    const long double ref = logl((long double)x);
    const double got = hs_vm_log_tab(x);
    const long double err = fabsl((long double)got - ref);
    const long double scale = fabsl(ref) > 1.0L ? fabsl(ref) : 1.0L;
    if ((double)(err / scale) > worst_abs) worst_abs = (double)(err / scale);
    if (ref != 0.0L && (double)(err / fabsl(ref)) > worst_rel) worst_rel = (double)(err / fabsl(ref));
}

/* hs_vm_exp_plain (GR4J's e^(2 w)) against expl: error in units of the last place of the
 * correctly rounded result */
static double exp_plain_ulps(double y)
{
    const long double ref = expl((long double)y);
    const double r = (double)ref;
    const double ulp = nextafter(r, INFINITY) - r;
    return (double)(fabsl((long double)hs_vm_exp_plain(y) - ref) / ulp);
}

static void test_exp_plain(uint64_t *s)
{
    double worst_gr4j = 0, worst = 0;
    for (int k = 0; k < 400000; k++) {
        const double a = exp_plain_ulps(26.0 * uniform(s)); /* 2 min(Pn or En / X1, 13) */
        const double b = exp_plain_ulps(-708.0 + 1417.0 * uniform(s));
        worst_gr4j = a > worst_gr4j ? a : worst_gr4j;
        worst = b > worst ? b : worst;
    }
    printf("hs_vm_exp_plain vs expl: worst %.3f ulp on [0, 26], %.3f ulp on [-708, 709]\n",
           worst_gr4j, worst);
    HS_CHECK(worst_gr4j <= 0.9);
    HS_CHECK(worst <= 1.01); /* a little over 1 only next to the subnormal range */
    HS_CHECK(hs_vm_exp_plain(0.0) == 1.0);
    HS_CHECK(hs_vm_exp_plain(1.0) == exp(1.0));
    HS_CHECK(hs_vm_exp_plain(-800.0) == 0.0);
    HS_CHECK(isnan(hs_vm_exp_plain(NAN)));
}

int main(void)
{
    uint64_t s = 42;
    /* each of the 128 subintervals of z in [0.6875, 1.375), 2000 points each, at several
     * binary exponents */
    for (int i = 0; i < HS_VM_LOG_N; i++) {
        uint64_t lo_bits = UINT64_C(0x3fe6000000000000) + ((uint64_t)i << 45);
        double lo, hi;
        memcpy(&lo, &lo_bits, sizeof lo);
        lo_bits += UINT64_C(1) << 45;
        memcpy(&hi, &lo_bits, sizeof hi);
        for (int k = 0; k < 2000; k++) {
            const double z = lo + (hi - lo) * uniform(&s);
            check(z);
            check(ldexp(z, (int)(uniform(&s) * 200.0) - 100));
        }
    }
    /* the neighbourhood of 1, log-uniform from 1e-300 to 1e300, subnormals */
    for (int k = 0; k < 200000; k++) {
        check(1.0 + (uniform(&s) - 0.5) * 0.02);
        check(exp((uniform(&s) - 0.5) * 1380.0));
        check(ldexp(0.5 + uniform(&s) * 0.5, -1022 - (int)(uniform(&s) * 52.0)));
    }
    printf("hs_vm_log_tab vs logl: worst |err| / max(1, |log x|) %.3g, worst relative %.3g\n",
           worst_abs, worst_rel);
    HS_CHECK(worst_abs <= 1e-16 * 2.5);
    HS_CHECK(worst_rel <= 1.5 * DBL_EPSILON);
    HS_CHECK(hs_vm_log_tab(1.0) == 0.0);
    HS_CHECK(hs_vm_log_tab(2.0) == log(2.0));
    HS_CHECK(hs_vm_log_tab(DBL_TRUE_MIN) == log(DBL_TRUE_MIN));
    /* outside the domain: finite, meaningless (fuse_pow_d selects it away) */
    HS_CHECK(isfinite(hs_vm_log_tab(0.0)));
    HS_CHECK(isfinite(hs_vm_log_tab(-3.0)));
    HS_CHECK(isfinite(hs_vm_log_tab(NAN)));
    HS_CHECK(isfinite(hs_vm_log_tab(INFINITY)));
    test_exp_plain(&s);
    HS_TEST_REPORT();
}
