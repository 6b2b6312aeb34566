/* hs_vmath.h -- internal to hydro/: log and exp written so that a `#pragma omp simd` loop
 * vectorises them (selects instead of branches, integer work through the 2^52 "magic number"
 * so AVX2, which lacks 64-bit integer <-> double conversions, vectorises too). Used by the
 * batched kernels' vector modes (HBV_BATCH_POW, GR4J_BATCH_MATH = vector); the exact modes call
 * glibc, except GR4J's exp (hs_vm_exp_plain, below: the scalar model's own). Accuracy: log
 * within 1 ulp (fdlibm's reduction, atanh series truncated below 1e-18 relative), exp within
 * about 1 ulp for |y| <= 709 (Cody-Waite reduction, Taylor series to degree 13, truncation
 * < 5e-18): see tests/hydro/test_hbv_batch.c (pow) and
 * tests/hydro/test_gr4j_batch.c (exp). Multiply-adds are fma() calls: correctly rounded, so
 * every instruction-set copy (FMA hardware, or libm where a copy lacks it) gives the same bits;
 * the kernels' AVX2 copies are arch=x86-64-v3 (AVX2 with FMA) for that. Not installed. */
#ifndef HS_HYDRO_VMATH_H
#define HS_HYDRO_VMATH_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
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

/* Natural log by a 128-entry table (the scheme of glibc's and ARM optimized-routines' log,
 * Szabolcs Nagy): x = 2^k z with z in [0.6875, 1.375), z's top mantissa bits pick c near the
 * centre of its subinterval, log x = k ln 2 + log c + log1p(r) with r = z/c - 1 = fma(z, 1/c,
 * -1), |r| < 0.0079. No division (hs_vm_log's f / (2 + f) is a vector division: the dearest
 * operation of FUSE's pow) and a degree-8 series instead of degree 23; the two table reads are
 * gathers in the vector copies. Tables (tools: Python's decimal at 60 digits): invc the double
 * nearest 1/c, logc = -log(invc) correctly rounded; the two subintervals next to 1 take c = 1,
 * so that log(1 + d) keeps its relative accuracy for small d. log1p(r) - r by its Taylor series
 * to r^8 (remainder < |r|^9 / 9 < 1.2e-20). Accuracy: within 2.5e-16 * max(1, |log x|)
 * absolute (measured 2.2e-16) and 1.5 ulp relative (2.5e-16; tests/hydro/test_vmath.c) for finite x > 0, subnormals
 * included; any other x (0, negative, infinite, NaN) gives a finite meaningless value, so that
 * callers need not select a stand-in (see fuse_pow_y). */
#define HS_VM_LOG_N 128
static const double hs_vm_log_invc[HS_VM_LOG_N] = {
    0x1.734f0c541fe8dp+0, 0x1.713786d9c7c09p+0, 0x1.6f26016f26017p+0,
    0x1.6d1a62681c861p+0, 0x1.6b1490aa31a3dp+0, 0x1.691473a88d0c0p+0,
    0x1.6719f3601671ap+0, 0x1.6524f853b4aa3p+0, 0x1.63356b88ac0dep+0,
    0x1.614b36831ae94p+0, 0x1.5f66434292dfcp+0, 0x1.5d867c3ece2a5p+0,
    0x1.5babcc647fa91p+0, 0x1.59d61f123ccaap+0, 0x1.5805601580560p+0,
    0x1.56397ba7c52e2p+0, 0x1.54725e6bb82fep+0, 0x1.52aff56a8054bp+0,
    0x1.50f22e111c4c5p+0, 0x1.4f38f62dd4c9bp+0, 0x1.4d843bedc2c4cp+0,
    0x1.4bd3edda68fe1p+0, 0x1.4a27fad76014ap+0, 0x1.4880522014880p+0,
    0x1.46dce34596066p+0, 0x1.453d9e2c776cap+0, 0x1.43a2730abee4dp+0,
    0x1.420b5265e5951p+0, 0x1.40782d10e6566p+0, 0x1.3ee8f42a5af07p+0,
    0x1.3d5d991aa75c6p+0, 0x1.3bd60d9232955p+0, 0x1.3a524387ac822p+0,
    0x1.38d22d366088ep+0, 0x1.3755bd1c945eep+0, 0x1.35dce5f9f2af8p+0,
    0x1.34679ace01346p+0, 0x1.32f5ced6a1dfap+0, 0x1.3187758e9ebb6p+0,
    0x1.301c82ac40260p+0, 0x1.2eb4ea1fed14bp+0, 0x1.2d50a012d50a0p+0,
    0x1.2bef98e5a3711p+0, 0x1.2a91c92f3c105p+0, 0x1.293725bb804a5p+0,
    0x1.27dfa38a1ce4dp+0, 0x1.268b37cd60127p+0, 0x1.2539d7e9177b2p+0,
    0x1.23eb79717605bp+0, 0x1.22a0122a0122ap+0, 0x1.21579804855e6p+0,
    0x1.2012012012012p+0, 0x1.1ecf43c7fb84cp+0, 0x1.1d8f5672e4abdp+0,
    0x1.1c522fc1ce059p+0, 0x1.1b17c67f2bae3p+0, 0x1.19e0119e0119ep+0,
    0x1.18ab083902bdbp+0, 0x1.1778a191bd684p+0, 0x1.1648d50fc3201p+0,
    0x1.151b9a3fdd5c9p+0, 0x1.13f0e8d344724p+0, 0x1.12c8b89edc0acp+0,
    0x1.11a3019a74826p+0, 0x1.107fbbe011080p+0, 0x1.0f5edfab325a2p+0,
    0x1.0e40655826011p+0, 0x1.0d24456359e3ap+0, 0x1.0c0a7868b4171p+0,
    0x1.0af2f722eecb5p+0, 0x1.09ddba6af8360p+0, 0x1.08cabb37565e2p+0,
    0x1.07b9f29b8eae2p+0, 0x1.06ab59c7912fbp+0, 0x1.059eea0727586p+0,
    0x1.04949cc1664c5p+0, 0x1.038c6b78247fcp+0, 0x1.02864fc7729e9p+0,
    0x1.0182436517a37p+0, 0x1.0000000000000p+0, 0x1.0000000000000p+0,
    0x1.fa11caa01fa12p-1, 0x1.f6310aca0dbb5p-1, 0x1.f25f644230ab5p-1,
    0x1.ee9c7f8458e02p-1, 0x1.eae807aba01ebp-1, 0x1.e741aa59750e4p-1,
    0x1.e3a9179dc1a73p-1, 0x1.e01e01e01e01ep-1, 0x1.dca01dca01dcap-1,
    0x1.d92f2231e7f8ap-1, 0x1.d5cac807572b2p-1, 0x1.d272ca3fc5b1ap-1,
    0x1.cf26e5c44bfc6p-1, 0x1.cbe6d9601cbe7p-1, 0x1.c8b265afb8a42p-1,
    0x1.c5894d10d4986p-1, 0x1.c26b5392ea01cp-1, 0x1.bf583ee868d8bp-1,
    0x1.bc4fd65883e7bp-1, 0x1.b951e2b18ff23p-1, 0x1.b65e2e3beee05p-1,
    0x1.b37484ad806cep-1, 0x1.b094b31d922a4p-1, 0x1.adbe87f94905ep-1,
    0x1.aaf1d2f87ebfdp-1, 0x1.a82e65130e159p-1, 0x1.a574107688a4ap-1,
    0x1.a2c2a87c51ca0p-1, 0x1.a01a01a01a01ap-1, 0x1.9d79f176b682dp-1,
    0x1.9ae24ea5510dap-1, 0x1.9852f0d8ec0ffp-1, 0x1.95cbb0be377aep-1,
    0x1.934c67f9b2ce6p-1, 0x1.90d4f120190d5p-1, 0x1.8e6527af1373fp-1,
    0x1.8bfce8062ff3ap-1, 0x1.899c0f601899cp-1, 0x1.87427bcc092b9p-1,
    0x1.84f00c2780614p-1, 0x1.82a4a0182a4a0p-1, 0x1.8060180601806p-1,
    0x1.7e225515a4f1dp-1, 0x1.7beb3922e017cp-1, 0x1.79baa6bb6398bp-1,
    0x1.77908119ac60dp-1, 0x1.756cac201756dp-1,
};
static const double hs_vm_log_logc[HS_VM_LOG_N] = {
    -0x1.7cc7f7db46a0ep-2, -0x1.76feecb947176p-2, -0x1.713e33a46a17cp-2,
    -0x1.6b85b4cffa3fdp-2, -0x1.65d558d4ce00bp-2, -0x1.602d08af091ecp-2,
    -0x1.5a8cadbbedfa1p-2, -0x1.54f431b7be1a8p-2, -0x1.4f637ebba9810p-2,
    -0x1.49da7f3bcc420p-2, -0x1.44591e0539f49p-2, -0x1.3edf463c1683ep-2,
    -0x1.396ce359bbf53p-2, -0x1.3401e12aecba0p-2, -0x1.2e9e2bce12286p-2,
    -0x1.2941afb186b7cp-2, -0x1.23ec5991eba49p-2, -0x1.1e9e1678899f5p-2,
    -0x1.1956d3b9bc2f9p-2, -0x1.14167ef367784p-2, -0x1.0edd060b78082p-2,
    -0x1.09aa572e6c6d4p-2, -0x1.047e60cde83b7p-2, -0x1.feb2233ea07cbp-3,
    -0x1.f474b134df228p-3, -0x1.ea4449f04aaf5p-3, -0x1.e020cc6235ab5p-3,
    -0x1.d60a17f903514p-3, -0x1.cc000c9db3c52p-3, -0x1.c2028ab17f9b5p-3,
    -0x1.b811730b823d4p-3, -0x1.ae2ca6f672bd8p-3, -0x1.a454082e6ab03p-3,
    -0x1.9a8778debaa3ap-3, -0x1.90c6db9fcbcdbp-3, -0x1.871213750e994p-3,
    -0x1.7d6903caf5acdp-3, -0x1.73cb9074fd14dp-3, -0x1.6a399dabbd383p-3,
    -0x1.60b3100b09474p-3, -0x1.5737cc9018cddp-3, -0x1.4dc7b897bc1c7p-3,
    -0x1.4462b9dc9b3dcp-3, -0x1.3b08b6757f2a7p-3, -0x1.31b994d3a4f86p-3,
    -0x1.28753bc11aba2p-3, -0x1.1f3b925f25d44p-3, -0x1.160c8024b27b0p-3,
    -0x1.0ce7ecdccc28bp-3, -0x1.03cdc0a51ec0dp-3, -0x1.f57bc7d9005dbp-4,
    -0x1.e3707ee30487bp-4, -0x1.d179788219362p-4, -0x1.bf968769fca18p-4,
    -0x1.adc77ee5aea8ep-4, -0x1.9c0c32d4d254dp-4, -0x1.8a6477a91dc29p-4,
    -0x1.78d02263d82d7p-4, -0x1.674f089365a78p-4, -0x1.55e10050e0382p-4,
    -0x1.4485e03dbdfb0p-4, -0x1.333d7f8183f4ap-4, -0x1.2207b5c7854a1p-4,
    -0x1.10e45b3cae829p-4, -0x1.ffa6911ab9309p-5, -0x1.dda8adc67ee59p-5,
    -0x1.bbcebfc68f424p-5, -0x1.9a187b573de81p-5, -0x1.788595a3577c8p-5,
    -0x1.5715c4c03cee1p-5, -0x1.35c8bfaa13069p-5, -0x1.149e3e4005a8dp-5,
    -0x1.e72bf2813ce6ap-6, -0x1.a55f548c5c427p-6, -0x1.63d6178690bbep-6,
    -0x1.228fb1fea2e0ap-6, -0x1.c317384c75f0dp-7, -0x1.41929f968330cp-7,
    -0x1.8121214586b02p-8, 0x0.0p+0, 0x0.0p+0,
    0x1.7dc475f810a69p-7, 0x1.3cea44346a584p-6, 0x1.b9fc027af919ap-6,
    0x1.1b0d98923d97fp-5, 0x1.58a5bafc8e4d3p-5, 0x1.95c830ec8e3f2p-5,
    0x1.d276b8adb0b56p-5, 0x1.075983598e471p-4, 0x1.253f62f0a1417p-4,
    0x1.42edcbea646eep-4, 0x1.60658a93750c4p-4, 0x1.7da766d7b12d0p-4,
    0x1.9ab42462033aep-4, 0x1.b78c82bb0eda0p-4, 0x1.d4313d66cb35dp-4,
    0x1.f0a30c01162a4p-4, 0x1.0671512ca596fp-3, 0x1.14785846742acp-3,
    0x1.2266f190a5acdp-3, 0x1.303d718e47fd5p-3, 0x1.3dfc2b0ecc62ap-3,
    0x1.4ba36f39a55e5p-3, 0x1.59338d9982085p-3, 0x1.66acd4272ad51p-3,
    0x1.740f8f54037a3p-3, 0x1.815c0a14357e9p-3, 0x1.8e928de886d41p-3,
    0x1.9bb362e7dfb85p-3, 0x1.a8becfc882f19p-3, 0x1.b5b519e8fb5a6p-3,
    0x1.c2968558c18c2p-3, 0x1.cf6354e09c5ddp-3, 0x1.dc1bca0abec7bp-3,
    0x1.e8c0252aa5a60p-3, 0x1.f550a564b7b37p-3, 0x1.00e6c45ad501dp-2,
    0x1.071b85fcd590dp-2, 0x1.0d46b579ab74bp-2, 0x1.136870293a8b0p-2,
    0x1.1980d2dd4236fp-2, 0x1.1f8ff9e48a2f3p-2, 0x1.2596010df763ap-2,
    0x1.2b9303ab89d25p-2, 0x1.31871c9544185p-2, 0x1.3772662bfd85cp-2,
    0x1.3d54fa5c1f710p-2, 0x1.432ef2a04e813p-2,
};

HS_VM_INLINE double hs_vm_log_tab(double x)
{
    /* subnormals: scaled by 2^54 first (the scale and its exponent are selected as numbers: a
     * select of x itself let GCC 12 split the paths and mask the table loads, which then did
     * not vectorise as gathers) */
    const bool tiny = x < 0x1p-1022;
    const double xs = x * (tiny ? 0x1p54 : 1.0);
    const uint64_t off = UINT64_C(0x3fe6000000000000);
    /* u >> 52 = k + 1023 (k: the exponent with z in [0.6875, 1.375)); bits 45..51 of u are
     * those of x - off: the subinterval */
    const uint64_t u = hs_vm_as_u64(xs) + (UINT64_C(0x3ff0000000000000) - off);
    const uint64_t i = (u >> 45) & (HS_VM_LOG_N - 1); /* 64-bit: an int index made GCC
                                                        * vectorise 16 lanes, too many for 8 */
    const double k = hs_vm_as_double(UINT64_C(0x4330000000000000) | (u >> 52)) - (0x1p52 + 1023.0) -
                     (tiny ? 54.0 : 0.0);
    const double z = hs_vm_as_double((u & UINT64_C(0x000fffffffffffff)) + off);
    const double r = HS_VM_FMA(z, hs_vm_log_invc[i], -1.0);
    /* hi + lo = k ln2 + log c + r (k ln2_hi is exact) */
    const double w = HS_VM_FMA(k, HS_VM_LN2_HI, hs_vm_log_logc[i]);
    const double hi = w + r;
    const double lo = (w - hi) + r + k * HS_VM_LN2_LO;
    const double r2 = r * r, r4 = r2 * r2;
    const double a0 = HS_VM_FMA(r, 1.0 / 3, -0.5), a1 = HS_VM_FMA(r, 1.0 / 5, -0.25);
    const double a2 = HS_VM_FMA(r, 1.0 / 7, -1.0 / 6);
    const double p = HS_VM_FMA(r4, HS_VM_FMA(r2, -0.125, a2), HS_VM_FMA(r2, a1, a0));
    return HS_VM_FMA(r2, p, lo) + hi;
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

/* e^y as hs_vm_exp, every multiply-add a multiplication then an addition (the project builds
 * hydro/ with -ffp-contract=off): no fma(), which baseline x86-64 code calls in libm, so scalar
 * code gets it inline too, and with the same operations in every instruction-set copy and in
 * scalar code the bits are the same everywhere. GR4J's production store calls it in its scalar
 * step and in its lanes alike (glibc's exp() there was called lane by lane, ~15 % of the lanes'
 * time). Within 1 ulp of e^y (tests/hydro/test_gr4j_batch.c samples [0, 26], GR4J's range, and
 * [-708, 709] against expl). */
HS_VM_INLINE double hs_vm_exp_plain(double y)
{
    const double yc = y < -708.4 ? -708.4 : y;
    const double tn = yc * 1.4426950408889634074 + HS_VM_MAGIC;
    const double n = tn - HS_VM_MAGIC;
    /* n * HS_VM_LN2_HI is exact (|n| < 2^11) and close to yc: r's first part is exact */
    const double r = (yc - n * HS_VM_LN2_HI) - n * HS_VM_LN2_LO;
    const double r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
    const double a0 = r * (1.0 / 6) + 1.0 / 2, a1 = r * (1.0 / 120) + 1.0 / 24;
    const double a2 = r * (1.0 / 5040) + 1.0 / 720;
    const double a3 = r * (1.0 / 362880) + 1.0 / 40320;
    const double a4 = r * (1.0 / 39916800) + 1.0 / 3628800;
    const double a5 = r * (1.0 / 6227020800.0) + 1.0 / 479001600;
    const double b0 = r2 * a1 + a0, b1 = r2 * a3 + a2, b2 = r2 * a5 + a4;
    const double pr = r8 * b2 + (r4 * b1 + b0);
    /* 1 + r carried as hi + lo (Fast2Sum: |r| < 1), so the sum is rounded once, at the end */
    const double hi = 1.0 + r, lo = (1.0 - hi) + r;
    const double p = hi + (r2 * pr + lo);
    const uint64_t ni = hs_vm_as_u64(tn) - hs_vm_as_u64(HS_VM_MAGIC);
    const double scale = hs_vm_as_double((ni + 1023u) << 52);
    const double v = p * scale;
    return y < -708.4 ? 0.0 : v;
}

#endif /* HS_HYDRO_VMATH_H */
