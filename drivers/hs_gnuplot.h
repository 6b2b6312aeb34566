/* hs_gnuplot.h -- figures through gnuplot (a real plotting tool, not hand-drawn PNGs).
 *
 * The caller writes the data files; hs_gnuplot_png() writes the script (terminal and output
 * lines first), runs gnuplot without a shell, and renames the PNG into place only when gnuplot
 * succeeded. A missing gnuplot is a warning, not an error. */
#ifndef HS_DRIVERS_GNUPLOT_H
#define HS_DRIVERS_GNUPLOT_H

#include "hs_ctx.h"

/** Renders `png` (width x height pixels) from the gnuplot commands `body`. */
HS_NODISCARD hs_status hs_gnuplot_png(hs_ctx *ctx, const char *png, int width, int height,
                                      const char *body);

#endif /* HS_DRIVERS_GNUPLOT_H */
