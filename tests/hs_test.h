/* hs_test.h -- a tiny test harness: checks report file:line and the values compared, and the
 * process exits non-zero if any check failed (redis' testhelp.h is the model). */
#ifndef HS_TESTS_TEST_H
#define HS_TESTS_TEST_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int hs_test_failures = 0;
static int hs_test_checks = 0;

#define HS_CHECK(cond)                                                                  \
    do {                                                                                \
        hs_test_checks++;                                                               \
        if (!(cond)) {                                                                  \
            hs_test_failures++;                                                         \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);    \
        }                                                                               \
    } while (0)

/* |a - b| <= tol */
#define HS_CHECK_CLOSE(a, b, tol)                                                       \
    do {                                                                                \
        double hs_a_ = (a), hs_b_ = (b), hs_t_ = (tol);                                 \
        hs_test_checks++;                                                               \
        if (!(fabs(hs_a_ - hs_b_) <= hs_t_)) {                                          \
            hs_test_failures++;                                                         \
            fprintf(stderr, "%s:%d: %s = %.17g, expected %s = %.17g (tol %g, diff %g)\n", \
                    __FILE__, __LINE__, #a, hs_a_, #b, hs_b_, hs_t_, fabs(hs_a_ - hs_b_)); \
        }                                                                               \
    } while (0)

/* relative: |a - b| <= tol * max(|b|, 1e-300) */
#define HS_CHECK_REL(a, b, tol)                                                         \
    do {                                                                                \
        double hs_a_ = (a), hs_b_ = (b), hs_t_ = (tol);                                 \
        hs_test_checks++;                                                               \
        if (!(fabs(hs_a_ - hs_b_) <= hs_t_ * fmax(fabs(hs_b_), 1e-300))) {              \
            hs_test_failures++;                                                         \
            fprintf(stderr, "%s:%d: %s = %.17g, expected %.17g (rel tol %g)\n",         \
                    __FILE__, __LINE__, #a, hs_a_, hs_b_, hs_t_);                       \
        }                                                                               \
    } while (0)

#define HS_CHECK_INT(a, b)                                                              \
    do {                                                                                \
        long long hs_a_ = (long long)(a), hs_b_ = (long long)(b);                       \
        hs_test_checks++;                                                               \
        if (hs_a_ != hs_b_) {                                                           \
            hs_test_failures++;                                                         \
            fprintf(stderr, "%s:%d: %s = %lld, expected %lld\n", __FILE__, __LINE__,    \
                    #a, hs_a_, hs_b_);                                                  \
        }                                                                               \
    } while (0)

#define HS_CHECK_STR_CONTAINS(hay, needle)                                              \
    do {                                                                                \
        const char *hs_h_ = (hay), *hs_n_ = (needle);                                   \
        hs_test_checks++;                                                               \
        if (!hs_h_ || !strstr(hs_h_, hs_n_)) {                                          \
            hs_test_failures++;                                                         \
            fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n", __FILE__,        \
                    __LINE__, hs_h_ ? hs_h_ : "(null)", hs_n_);                         \
        }                                                                               \
    } while (0)

#define HS_TEST_REPORT()                                                                \
    do {                                                                                \
        fprintf(stderr, "%d checks, %d failed\n", hs_test_checks, hs_test_failures);    \
        return hs_test_failures ? 1 : 0;                                                \
    } while (0)

#endif /* HS_TESTS_TEST_H */
