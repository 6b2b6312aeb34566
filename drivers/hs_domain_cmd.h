/* hs_domain_cmd.h -- `hydroscale domain CONFIG` (docs-interface.md §1, §3, §4; issue 5). */
#ifndef HS_DRIVERS_DOMAIN_CMD_H
#define HS_DRIVERS_DOMAIN_CMD_H

#include "hs_app.h"

/** Builds the domain of the config (DEM_PATH, POUR_POINT_COORDS, DOMAIN_DISCRETIZATION, ...)
 *  and writes OUTPUT_DIR/DOMAIN_NAME/domain/{domain.nc, domain.gpkg, domain.png}. Every check
 *  runs before the output directory is created, so a failure leaves nothing behind. A summary
 *  goes to stdout. HS_ERR_CONFIG/HS_ERR_ARG for configuration errors (exit code 2). */
HS_NODISCARD hs_status hs_domain_cmd_main(const hs_app_options *opts, hs_ctx *ctx);

#endif /* HS_DRIVERS_DOMAIN_CMD_H */
