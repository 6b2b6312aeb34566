/* hs_amdahl.h -- Amdahl's law with a dispatch term, fitted to measured strong-scaling runs.
 *
 * Model: T(w) = a + b / w + c (w - 1) for w workers: a the serial time (coordinator, start-up,
 * outputs), b the parallelisable time (the evaluations), c the cost that grows with the workers
 * (dispatch, synchronisation). Least squares on the measured (w, T) pairs; with fewer than three
 * distinct worker counts, c is fixed at 0. The serial fraction is a / (a + b) (at w = 1).
 * Pure functions. */
#ifndef HS_DRIVERS_AMDAHL_H
#define HS_DRIVERS_AMDAHL_H

#include <stdbool.h>
#include <stddef.h>

typedef struct hs_amdahl {
    double a, b, c;
    double serial_fraction;
    size_t n_points;
    bool ok;
} hs_amdahl;

/** Fits the model to n points (workers[i], seconds[i]); ok = false when it cannot (n < 2). */
hs_amdahl hs_amdahl_fit(const double *workers, const double *seconds, size_t n);
/** Predicted wall time at w workers. */
double hs_amdahl_time(const hs_amdahl *m, double w);

#endif /* HS_DRIVERS_AMDAHL_H */
