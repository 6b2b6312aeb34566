/* hs_time.h -- calendar dates and the experiment periods.
 *
 * Dates are whole days counted from 1970-01-01 in the proleptic Gregorian calendar (the CF
 * "standard" calendar for dates after 1582), so a daily series is a plain index range. The
 * conversion is Howard Hinnant's days_from_civil algorithm (exact, no tables). */
#ifndef HS_CORE_TIME_H
#define HS_CORE_TIME_H

#include <stdbool.h>
#include <stdint.h>

#include "hs_api.h"
#include "hs_ctx.h"

typedef int64_t hs_day; /* days since 1970-01-01 */

typedef struct hs_period {
    hs_day start; /* first day, inclusive */
    hs_day end;   /* last day, inclusive */
} hs_period;

HS_API hs_day hs_day_from_ymd(int year, int month, int day);
HS_API void hs_day_to_ymd(hs_day d, int *year, int *month, int *day);
/** Day of year, 1..366. */
HS_API int hs_day_of_year(hs_day d);
HS_API bool hs_is_leap_year(int year);
HS_API int hs_days_in_month(int year, int month);

/** Parses exactly "YYYY-MM-DD" (surrounding spaces allowed); returns false on anything else,
 *  including impossible dates such as 2003-02-29. */
HS_API bool hs_day_parse(const char *text, hs_day *out);

/** Writes "YYYY-MM-DD" into buf (at least 11 bytes). Returns buf. */
HS_API char *hs_day_format(hs_day d, char *buf);

/** Parses "start, end" (two dates separated by a comma); `what` names the key in the message.
 *  Requires start <= end. */
HS_NODISCARD HS_API hs_status hs_period_parse(hs_ctx *ctx, const char *text, const char *what,
                                              hs_period *out);

static inline int64_t hs_period_days(hs_period p) { return p.end - p.start + 1; }

#endif /* HS_CORE_TIME_H */
