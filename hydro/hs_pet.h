/* hs_pet.h -- potential evapotranspiration formulas (docs-models.md §5). Pure functions. */
#ifndef HS_HYDRO_PET_H
#define HS_HYDRO_PET_H

#include "hs_api.h"

/** Oudin et al. (2005) PET in mm/d exactly as airGR's PE_Oudin computes it (docs-models.md
 *  §5.1): lat_rad latitude in radians, doy day of year 1..366, temp_c daily mean air
 *  temperature. Returns 0 when temp_c + 5 <= 0. Thread-safe. */
HS_API double hs_pet_oudin(double temp_c, double lat_rad, int doy);

#endif /* HS_HYDRO_PET_H */
