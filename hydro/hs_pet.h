/* hs_pet.h -- potential evapotranspiration formulas (docs-models.md §5). Pure functions. */
#ifndef HS_HYDRO_PET_H
#define HS_HYDRO_PET_H

#include "hs_api.h"

/** Oudin et al. (2005) PET in mm/d exactly as airGR's PE_Oudin computes it (docs-models.md
 *  §5.1): lat_rad latitude in radians, doy day of year 1..366, temp_c daily mean air
 *  temperature. Returns 0 when temp_c + 5 <= 0. Thread-safe. */
HS_API double hs_pet_oudin(double temp_c, double lat_rad, int doy);

/** Day length in hours from the FAO-56 declination and sunset hour angle (polar day 24, polar
 *  night 0). Thread-safe. */
HS_API double hs_pet_day_length_h(double lat_rad, int doy);

/** Hamon (1961) PET in mm/d as Raven's PET_HAMON (docs-models.md §5.2): 0.0055 (N/12)^2 rho_sat
 *  inches per day, rho_sat the saturated absolute humidity (g m-3; ice below 0 degC, as Raven).
 *  Never negative. Thread-safe. */
HS_API double hs_pet_hamon(double temp_c, double lat_rad, int doy);

#endif /* HS_HYDRO_PET_H */
