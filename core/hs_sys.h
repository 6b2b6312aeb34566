/* hs_sys.h -- wall-clock timers and peak memory, for timing reports and summary.json. */
#ifndef HS_CORE_SYS_H
#define HS_CORE_SYS_H

#include "hs_api.h"

/** Monotonic wall-clock time in seconds (CLOCK_MONOTONIC). Thread-safe. */
HS_API double hs_wall_time(void);

/** Peak resident set size of this process in MiB (getrusage ru_maxrss); 0 if unknown. */
HS_API double hs_peak_rss_mb(void);

#endif /* HS_CORE_SYS_H */
