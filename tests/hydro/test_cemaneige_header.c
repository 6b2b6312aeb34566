/* test_cemaneige_header.c -- see test_gr4j_headers.c. */
#include "hs_cemaneige.h"

int hs_test_cemaneige_header_ok(void);
int hs_test_cemaneige_header_ok(void) { return HS_CEMANEIGE_NHYPSO == 101; }
