/* hs_prefetch.h -- software prefetch of a group's row of a time-major array, steps ahead.
 *
 * The models run groups of HRUs in SIMD lanes over the time-major forcing and output arrays
 * ([step][HRU]): a group's rows of successive steps are a whole HRU count apart, a stride no
 * hardware prefetcher follows, so with thousands of HRUs every row is a miss to memory. A row of
 * W doubles starts anywhere in a cache line and spans up to W / 8 + 1 lines; each of them is
 * fetched here (fetching the first and the second half only left GR4J at 2,335 HRUs at 26
 * against 19 ns per HRU-step: the third line missed in 7 rows of 8). */
#ifndef HS_HYDRO_PREFETCH_H
#define HS_HYDRO_PREFETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { HS_CACHE_LINE = 64 };

/* Every cache line of row[0 .. n) (n >= 1) into the cache, for reading or for a write to come
 * (`for_write`: a constant at each inlined call). No effect on results. */
static inline void hs_prefetch_row(const double *row, size_t n, bool for_write)
{
#if defined(__GNUC__) || defined(__clang__)
    const uintptr_t last = (uintptr_t)(row + n - 1);
    for (uintptr_t a = (uintptr_t)row & ~(uintptr_t)(HS_CACHE_LINE - 1); a <= last;
         a += HS_CACHE_LINE) {
        if (for_write)
            __builtin_prefetch((const void *)a, 1, 1);
        else
            __builtin_prefetch((const void *)a, 0, 1);
    }
#else
    (void)row, (void)n, (void)for_write;
#endif
}

#endif /* HS_HYDRO_PREFETCH_H */
