/* hs_time.c -- civil date arithmetic (Hinnant, "chrono-Compatible Low-Level Date Algorithms"). */
#include "hs_time.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

hs_day hs_day_from_ymd(int year, int month, int day) {
    int64_t y = (int64_t)year - (month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t mp = (month + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void hs_day_to_ymd(hs_day d, int *year, int *month, int *day) {
    int64_t z = d + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t dd = doy - (153 * mp + 2) / 5 + 1;
    int64_t mm = mp < 10 ? mp + 3 : mp - 9;
    *year = (int)(y + (mm <= 2));
    *month = (int)mm;
    *day = (int)dd;
}

bool hs_is_leap_year(int year) {
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int hs_days_in_month(int year, int month) {
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12) return 0;
    return days[month - 1] + (month == 2 && hs_is_leap_year(year));
}

int hs_day_of_year(hs_day d) {
    int y, m, dd;
    hs_day_to_ymd(d, &y, &m, &dd);
    return (int)(d - hs_day_from_ymd(y, 1, 1)) + 1;
}

static bool parse_digits(const char *s, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

bool hs_day_parse(const char *text, hs_day *out) {
    while (isspace((unsigned char)*text)) text++;
    int y, m, d;
    if (!parse_digits(text, 4, &y) || text[4] != '-' || !parse_digits(text + 5, 2, &m) ||
        text[7] != '-' || !parse_digits(text + 8, 2, &d))
        return false;
    const char *rest = text + 10;
    while (isspace((unsigned char)*rest)) rest++;
    if (*rest != '\0') return false;
    if (m < 1 || m > 12 || d < 1 || d > hs_days_in_month(y, m)) return false;
    *out = hs_day_from_ymd(y, m, d);
    return true;
}

char *hs_day_format(hs_day d, char *buf) {
    int y, m, dd;
    hs_day_to_ymd(d, &y, &m, &dd);
    snprintf(buf, 11, "%04d-%02d-%02d", y, m, dd);
    return buf;
}

hs_status hs_period_parse(hs_ctx *ctx, const char *text, const char *what, hs_period *out) {
    const char *comma = strchr(text, ',');
    if (!comma)
        return HS_FAIL(ctx, HS_ERR_CONFIG,
                       "%s: '%s' is not a period; expected \"YYYY-MM-DD, YYYY-MM-DD\"", what, text);
    char first[64], second[64];
    size_t n1 = (size_t)(comma - text);
    size_t n2 = strlen(comma + 1);
    if (n1 >= sizeof first || n2 >= sizeof second)
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: '%s' is too long for a period", what, text);
    memcpy(first, text, n1);
    first[n1] = '\0';
    memcpy(second, comma + 1, n2 + 1);
    hs_period p;
    if (!hs_day_parse(first, &p.start) || !hs_day_parse(second, &p.end))
        return HS_FAIL(ctx, HS_ERR_CONFIG,
                       "%s: '%s' is not a period; expected \"YYYY-MM-DD, YYYY-MM-DD\" with valid "
                       "dates",
                       what, text);
    if (p.end < p.start)
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: '%s' ends before it starts", what, text);
    *out = p;
    return HS_OK;
}
