/* hs_sys.c -- timers and resource usage (POSIX). */
#define _POSIX_C_SOURCE 200809L
#include "hs_sys.h"

#include <sys/resource.h>
#include <time.h>

double hs_wall_time(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double hs_peak_rss_mb(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0.0;
    return (double)ru.ru_maxrss / 1024.0; /* Linux reports KiB */
}
