/* hs_math.h -- small special functions shared by several folders (routing's gamma unit
 * hydrographs, docs-models.md §6.2, and FUSE's gamma time delay and TOPMODEL statistics, §3.2
 * and §3.5). Living in core lets hydro/ and routing/ both use them while each links hs::core
 * only (STYLE.md §1). Pure functions, thread-safe, no allocation. */
#ifndef HS_CORE_MATH_H
#define HS_CORE_MATH_H

#include "hs_api.h"

/** Regularised lower incomplete gamma P(a, x) = gamma(a, x) / Gamma(a), for a > 0, x >= 0
 *  (series below a + 1, continued fraction above; relative accuracy ~1e-15). NaN for a <= 0,
 *  x < 0 or NaN arguments; 0 at x = 0, 1 at x = +inf. */
HS_API double hs_math_gamma_p(double a, double x);

#endif /* HS_CORE_MATH_H */
