/* hs_domain_impl.h -- private definition of hs_domain, shared by hs_domain.c (building) and
 * hs_domain_write.c (netCDF and GeoPackage writers). Not installed. */
#ifndef HS_GEO_DOMAIN_IMPL_H
#define HS_GEO_DOMAIN_IMPL_H

#include "hs_domain.h"

struct hs_domain {
    hs_domain_method method;
    hs_domain_tables tab;
    hs_domain_stats stats;
    hs_domain_map map;
    char dem_path[4096];
    char *crs_wkt;          /* DEM CRS (hs_free) */
    char *laea_proj4;       /* the equal-area projection used for measures (hs_free) */
    /* owned storage behind the views (hs_free each) */
    int *hru_id, *hru2gru, *hru_seg_id, *gru_id, *seg_id, *down_seg_id;
    double *hru_area_m2, *hru_elev_m, *hru_lat, *hru_lon, *hru_slope, *gru_area_m2;
    double *seg_length_m, *seg_slope;
    int *map_hru, *map_gru;
    hs_domain_line *rivers;
    double *river_xy;       /* all river vertices, rivers[] point into it */
};

#endif /* HS_GEO_DOMAIN_IMPL_H */
