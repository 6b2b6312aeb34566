/* hs_api.h -- export macro for hydroscale libraries.
 *
 * Libraries are built with hidden visibility (STYLE.md §8); only symbols marked HS_API are
 * exported from shared builds. Static builds ignore the attribute. */
#ifndef HS_CORE_API_H
#define HS_CORE_API_H

#if defined(__GNUC__) || defined(__clang__)
#define HS_API __attribute__((visibility("default")))
#define HS_NODISCARD __attribute__((warn_unused_result))
#define HS_PRINTF(fmt_idx, arg_idx) __attribute__((format(printf, fmt_idx, arg_idx)))
#else
#define HS_API
#define HS_NODISCARD
#define HS_PRINTF(fmt_idx, arg_idx)
#endif

#endif /* HS_CORE_API_H */
