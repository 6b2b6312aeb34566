/* hs_vmath.h -- internal to hydro/: log and exp written so that a `#pragma omp simd` loop
 * vectorises them (selects instead of branches, integer work through the 2^52 "magic number"
 * so AVX2, which lacks 64-bit integer <-> double conversions, vectorises too). Used by the
 * batched kernels' vector modes (HBV_BATCH_POW, GR4J_BATCH_MATH = vector); the exact modes call
 * glibc. Accuracy: log within 1 ulp (fdlibm's reduction, atanh series truncated below 1e-18
 * relative), exp within about 1 ulp for |y| <= 709 (Cody-Waite reduction, Taylor series to
 * degree 13, truncation < 5e-18): see tests/hydro/test_hbv_batch.c (pow) and
 * tests/hydro/test_gr4j_batch.c (exp). Multiply-adds are fma() calls: correctly rounded, so
 * every instruction-set copy (FMA hardware, or libm where a copy lacks it) gives the same bits;
 * the kernels' AVX2 copies are arch=x86-64-v3 (AVX2 with FMA) for that. Not installed. */
#ifndef HS_HYDRO_VMATH_H
#define HS_HYDRO_VMATH_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__) || defined(__clang__)
#define HS_VM_INLINE static inline __attribute__((always_inline))
#else
#define HS_VM_INLINE static inline
#endif

HS_VM_INLINE double hs_vm_as_double(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

HS_VM_INLINE uint64_t hs_vm_as_u64(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

#define HS_VM_FMA(a, b, c) fma((a), (b), (c))

/* ln 2 split so that k * HS_VM_LN2_HI is exact for |k| < 2^11 (fdlibm's ln2_hi, ln2_lo). */
#define HS_VM_LN2_HI 6.93147180369123816490e-01 /* 0x3fe62e42fee00000 */
#define HS_VM_LN2_LO 1.90821492927058770002e-10 /* 0x3dea39ef35793c76 */
#define HS_VM_MAGIC 0x1.8p52                    /* adding it rounds |v| < 2^51 to an integer */

/* Natural log of a finite x > 0 (subnormals included). */
HS_VM_INLINE double hs_vm_log(double x)
{
    const bool tiny = x < 0x1p-1022;
    const double xscaled = x * 0x1p54; /* unconditional: selects, not branches, vectorise */
    const double xs = tiny ? xscaled : x;
    /* Shift the mantissa range to [sqrt(1/2), sqrt(2)): add (1 - sqrt(1/2)) in the high bits,
     * read k from the exponent field, then put back the offset (fdlibm/musl log). */
    const uint64_t off = UINT64_C(0x3fe6a09e00000000); /* high bits of sqrt(1/2) */
    const uint64_t u = hs_vm_as_u64(xs) + (UINT64_C(0x3ff0000000000000) - off);
    const double k = hs_vm_as_double(UINT64_C(0x4330000000000000) | (u >> 52)) - (0x1p52 + 1023.0) -
                     (tiny ? 54.0 : 0.0);
    const double m = hs_vm_as_double((u & UINT64_C(0x000fffffffffffff)) + off);
    const double f = m - 1.0;
    const double hfsq = 0.5 * f * f;
    const double s = f / (2.0 + f);
    const double z = s * s;
    /* R(z) = sum_{i=1..11} 2/(2i+1) z^i (atanh series; |s| <= 0.1716, so z <= 0.0295),
     * evaluated by Estrin's scheme (a shorter dependency chain than Horner's; all terms are
     * positive, so no cancellation). */
    const double z2 = z * z, z4 = z2 * z2, z8 = z4 * z4;
    const double a0 = HS_VM_FMA(z, 2.0 / 5, 2.0 / 3), a1 = HS_VM_FMA(z, 2.0 / 9, 2.0 / 7);
    const double a2 = HS_VM_FMA(z, 2.0 / 13, 2.0 / 11), a3 = HS_VM_FMA(z, 2.0 / 17, 2.0 / 15);
    const double a4 = HS_VM_FMA(z, 2.0 / 21, 2.0 / 19), a5 = 2.0 / 23;
    const double b0 = HS_VM_FMA(z2, a1, a0), b1 = HS_VM_FMA(z2, a3, a2);
    const double b2 = HS_VM_FMA(z2, a5, a4);
    const double r = z * HS_VM_FMA(z8, b2, HS_VM_FMA(z4, b1, b0));
    return HS_VM_FMA(k, HS_VM_LN2_HI, -((hfsq - HS_VM_FMA(s, hfsq + r, k * HS_VM_LN2_LO)) - f));
}

/* e^y for y <= 709; y < -708.4 gives 0 (the exact result is below 2^-1022 there). */
HS_VM_INLINE double hs_vm_exp(double y)
{
    const double yc = y < -708.4 ? -708.4 : y; /* keeps 2^n normal; the select below zeroes it */
    const double tn = HS_VM_FMA(yc, 1.4426950408889634074, HS_VM_MAGIC);
    const double n = tn - HS_VM_MAGIC;
    const double r = HS_VM_FMA(-n, HS_VM_LN2_LO, HS_VM_FMA(-n, HS_VM_LN2_HI, yc));
    /* e^r = 1 + (r + r^2 * P(r)), P(r) = sum_{i=0..11} r^i / (i+2)! (Taylor to degree 13),
     * P by Estrin's scheme; the leading 1 + r... is added last, so it is rounded once. */
    const double r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
    const double a0 = HS_VM_FMA(r, 1.0 / 6, 1.0 / 2), a1 = HS_VM_FMA(r, 1.0 / 120, 1.0 / 24);
    const double a2 = HS_VM_FMA(r, 1.0 / 5040, 1.0 / 720);
    const double a3 = HS_VM_FMA(r, 1.0 / 362880, 1.0 / 40320);
    const double a4 = HS_VM_FMA(r, 1.0 / 39916800, 1.0 / 3628800);
    const double a5 = HS_VM_FMA(r, 1.0 / 6227020800.0, 1.0 / 479001600);
    const double b0 = HS_VM_FMA(r2, a1, a0), b1 = HS_VM_FMA(r2, a3, a2);
    const double b2 = HS_VM_FMA(r2, a5, a4);
    const double pr = HS_VM_FMA(r8, b2, HS_VM_FMA(r4, b1, b0));
    const double p = 1.0 + HS_VM_FMA(r2, pr, r);
    /* The low bits of tn hold n (two's complement); 2^n = (n + 1023) << 52. */
    const uint64_t ni = hs_vm_as_u64(tn) - hs_vm_as_u64(HS_VM_MAGIC);
    const double scale = hs_vm_as_double((ni + 1023u) << 52);
    const double v = p * scale;
    return y < -708.4 ? 0.0 : v;
}

#endif /* HS_HYDRO_VMATH_H */
