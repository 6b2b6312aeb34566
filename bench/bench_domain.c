/* bench_domain.c -- timings of `hydroscale domain`'s library part on the Bow at Banff DEM
 * (1260 x 972 = 1.22 M cells): reading, conditioning (Priority-Flood+eps, D8, accumulation),
 * delineation and discretisation for the four methods, plus the netCDF and GeoPackage writers,
 * and the peak memory. Usage: bench_domain [DEM] [OUTDIR]
 * The target (issue 5): conditioning <= 2 s per million cells on one core, the four Bow domains
 * <= 10 s in all. Run it from a Release or RelWithDebInfo build. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>

#include "hs_domain.h"
#include "hs_sys.h"

int main(int argc, char **argv) {
    char dem[4096], out[4096];
    snprintf(dem, sizeof dem, "%s", argc > 1 ? argv[1] : HS_TESTDATA_DIR "/bow/domain_Bow_at_Banff_elv.tif");
    snprintf(out, sizeof out, "%s", argc > 2 ? argv[2] : "/tmp");
    static const char *const names[] = {"lumped", "elevation_bands", "semi_distributed",
                                        "distributed"};
    hs_ctx *ctx = hs_ctx_create();
    if (!ctx) return 1;
    printf("bench_domain %s\n", dem);
    printf("%-17s %8s %8s %8s %8s %8s %8s %8s %7s %6s %6s\n", "method", "read_s", "cond_s",
           "cond_sMc", "delin_s", "discr_s", "write_s", "total_s", "km2", "GRU", "HRU");
    double t_all = hs_wall_time();
    for (int m = 0; m < 4; m++) {
        hs_domain_config cfg;
        hs_domain_config_default(&cfg);
        cfg.dem_path = dem;
        cfg.pour_lat = 51.1722;
        cfg.pour_lon = -115.5717;
        cfg.method = (hs_domain_method)m;
        cfg.min_hru_area_fraction = m == 3 ? 0.01 : 0.0;
        double t0 = hs_wall_time();
        hs_domain *d = NULL;
        if (hs_domain_create(&cfg, ctx, &d) != HS_OK) {
            fprintf(stderr, "bench_domain: %s\n", hs_ctx_message(ctx));
            hs_ctx_destroy(&ctx);
            return 1;
        }
        double t1 = hs_wall_time();
        char nc[4200], gpkg[4200];
        snprintf(nc, sizeof nc, "%s/bench_domain_%s.nc", out, names[m]);
        snprintf(gpkg, sizeof gpkg, "%s/bench_domain_%s.gpkg", out, names[m]);
        if (hs_domain_write_nc(d, nc, names[m], ctx) != HS_OK ||
            hs_domain_write_gpkg(d, gpkg, ctx) != HS_OK) {
            fprintf(stderr, "bench_domain: %s\n", hs_ctx_message(ctx));
            hs_domain_destroy(&d);
            hs_ctx_destroy(&ctx);
            return 1;
        }
        double t2 = hs_wall_time();
        remove(nc);
        remove(gpkg);
        const hs_domain_stats *s = hs_domain_get_stats(d);
        const hs_domain_tables *t = hs_domain_get_tables(d);
        double mcells = (double)(s->n_rows * s->n_cols) * 1e-6;
        printf("%-17s %8.3f %8.3f %8.3f %8.3f %8.3f %8.3f %8.3f %7.1f %6zu %6zu\n", names[m],
               s->t_read_s, s->t_condition_s, s->t_condition_s / mcells, s->t_delineate_s,
               s->t_discretize_s, t2 - t1, t2 - t0, s->basin_area_m2 * 1e-6, t->n_gru, t->n_hru);
        hs_domain_destroy(&d);
    }
    printf("four domains, library and writers: %.2f s; peak RSS %.0f MiB\n",
           hs_wall_time() - t_all, hs_peak_rss_mb());
    hs_ctx_destroy(&ctx);
    return 0;
}
