/* test_gr4j_headers.c -- hs_gr4j.h and hs_cemaneige.h compile on their own as C11 (STYLE.md §8):
 * each is the first include of its own translation unit (this file and
 * test_cemaneige_header.c). */
#include "hs_gr4j.h"

int hs_test_cemaneige_header_ok(void);

int main(void)
{
    return (hs_gr4j_ops.n_params == HS_GR4J_NPAR && hs_test_cemaneige_header_ok()) ? 0 : 1;
}
