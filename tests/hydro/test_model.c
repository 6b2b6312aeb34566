/* test_model.c -- the model registry and the generic model object (hydro/hs_model.c): look-up by
 * name and parameter name (case-insensitive), the parameter table, and the argument checks of
 * the generic wrappers (HRU range, forcing size, output arrays). */
#include <math.h>
#include <string.h>

#include "hs_ctx.h"
#include "hs_hbv.h"
#include "hs_model.h"
#include "hs_test.h"

static void test_registry(void)
{
    HS_CHECK(hs_model_count() >= 1);
    HS_CHECK(hs_model_at(0) == &hs_hbv_ops);
    HS_CHECK(hs_model_at(hs_model_count()) == NULL);
    HS_CHECK(hs_model_find("HBV") == &hs_hbv_ops);
    HS_CHECK(hs_model_find("hbv") == &hs_hbv_ops);
    HS_CHECK(hs_model_find("hBv") == &hs_hbv_ops);
    HS_CHECK(hs_model_find("HBV96") == NULL);
    HS_CHECK(hs_model_find("HB") == NULL);
    HS_CHECK(hs_model_find("") == NULL);
    HS_CHECK(hs_model_find(NULL) == NULL);
    for (size_t i = 0; i < hs_model_count(); i++)
        HS_CHECK(hs_model_find(hs_model_at(i)->name) == hs_model_at(i));

    HS_CHECK_INT(hs_model_param_index(&hs_hbv_ops, "fc"), HS_HBV_FC);
    HS_CHECK_INT(hs_model_param_index(&hs_hbv_ops, "FC"), HS_HBV_FC);
    HS_CHECK_INT(hs_model_param_index(&hs_hbv_ops, "MaxBas"), HS_HBV_MAXBAS);
    HS_CHECK_INT(hs_model_param_index(&hs_hbv_ops, "tt"), HS_HBV_TT);
    HS_CHECK_INT(hs_model_param_index(&hs_hbv_ops, "k"), -1);
    HS_CHECK_INT(hs_model_param_index(&hs_hbv_ops, "k00"), -1);
    HS_CHECK_INT(hs_model_param_index(&hs_hbv_ops, NULL), -1);
    HS_CHECK_INT(hs_model_param_index(NULL, "fc"), -1);
}

static void test_hbv_table(void)
{
    const hs_model_ops *ops = &hs_hbv_ops;
    HS_CHECK_INT(ops->n_params, HS_HBV_NPAR);
    static const char *const names[HS_HBV_NPAR] = {"tt", "cfmax", "sfcf", "cfr", "cwh",
                                                   "fc", "lp",    "beta", "k0",  "k1",
                                                   "k2", "uzl",   "perc", "maxbas"};
    /* SYMFLUENCE's defaults and bounds (docs-models.md §1) */
    static const double lo[HS_HBV_NPAR] = {-3, 1, 0.5, 0, 0, 50, 0.3, 1, 0.05, 0.01, 1e-4, 0, 0, 1};
    static const double hi[HS_HBV_NPAR] = {3, 10, 1.5, 0.1, 0.2, 700, 1, 6, 0.5, 0.3, 0.1, 100,
                                           20, 7};
    static const double df[HS_HBV_NPAR] = {0,    3.5, 0.9,  0.05, 0.1, 250, 0.7,
                                           2.5,  0.3, 0.1,  0.01, 30,  2.5, 2.5};
    size_t n_cal = 0;
    for (size_t k = 0; k < HS_HBV_NPAR; k++) {
        const hs_param_info *p = &ops->params[k];
        HS_CHECK(strcmp(p->name, names[k]) == 0);
        HS_CHECK(p->lower == lo[k] && p->upper == hi[k] && p->dflt == df[k]);
        HS_CHECK(p->lower <= p->dflt && p->dflt <= p->upper);
        HS_CHECK(p->unit && p->unit[0] && p->description && p->description[0]);
        n_cal += p->calibrate;
    }
    /* calibrated by default: all but sfcf, cfr, cwh */
    HS_CHECK_INT(n_cal, HS_HBV_NPAR - 3);
    HS_CHECK(!ops->params[HS_HBV_SFCF].calibrate && !ops->params[HS_HBV_CFR].calibrate &&
             !ops->params[HS_HBV_CWH].calibrate);
    int has_variant = 0;
    for (size_t i = 0; i < ops->n_option_keys; i++)
        has_variant |= strcmp(ops->option_keys[i], "HBV_VARIANT") == 0;
    HS_CHECK(has_variant);
    HS_CHECK(ops->name && ops->description && ops->create && ops->init && ops->run &&
             ops->storage_mm && ops->destroy);
}

static void test_wrapper_checks(hs_ctx *ctx)
{
    hs_model *m = NULL;
    HS_CHECK_INT(hs_model_create(&hs_hbv_ops, NULL, 0, 0, ctx, &m), HS_ERR_ARG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "no HRUs");
    HS_CHECK_INT(hs_model_create(NULL, NULL, 0, 1, ctx, &m), HS_ERR_ARG);
    HS_CHECK_INT(hs_model_create(&hs_hbv_ops, NULL, 2, 1, ctx, &m), HS_ERR_ARG);
    const hs_model_option null_value[] = {{"HBV_VARIANT", NULL}};
    HS_CHECK_INT(hs_model_create(&hs_hbv_ops, null_value, 1, 1, ctx, &m), HS_ERR_ARG);
    HS_CHECK(m == NULL);

    HS_CHECK_INT(hs_model_create(&hs_hbv_ops, NULL, 0, 2, ctx, &m), HS_OK);
    if (!m) return;
    HS_CHECK(hs_model_get_ops(m) == &hs_hbv_ops);
    HS_CHECK_INT(hs_model_n_hru(m), 2);
    double par[2 * HS_HBV_NPAR];
    for (size_t h = 0; h < 2; h++)
        for (size_t k = 0; k < HS_HBV_NPAR; k++) par[h * HS_HBV_NPAR + k] = hs_hbv_ops.params[k].dflt;
    HS_CHECK_INT(hs_model_init(m, NULL, ctx), HS_ERR_ARG);
    HS_CHECK_INT(hs_model_init(m, par, ctx), HS_OK);
    HS_CHECK_CLOSE(hs_model_storage_mm(m, 1), 170.0, 1e-12);
    HS_CHECK(isnan(hs_model_storage_mm(m, 2)));
    HS_CHECK(isnan(hs_model_storage_mm(NULL, 0)));

    double P[4] = {1, 2, 3, 4}, T[4] = {5, 5, 5, 5}, E[4] = {1, 1, 1, 1}, q[4], a[4];
    hs_forcing_view f = {.n_time = 2, .n_hru = 2, .precip_mm = P, .temp_c = T, .pet_mm = E};
    hs_flux_view out = {.runoff_mm = q, .aet_mm = a, .input_mm = NULL};
    HS_CHECK_INT(hs_model_run(m, (hs_range){0, 2}, &f, &out, ctx), HS_OK);
    HS_CHECK(q[0] > 0.0 && q[3] > 0.0);
    HS_CHECK(isfinite(a[2]) && a[2] > 0.0); /* AET written for step 1, HRU 0 */

    /* range outside the model */
    HS_CHECK_INT(hs_model_run(m, (hs_range){1, 2}, &f, &out, ctx), HS_ERR_ARG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "outside");
    HS_CHECK_INT(hs_model_run(m, (hs_range){3, 0}, &f, &out, ctx), HS_ERR_ARG);
    HS_CHECK_INT(hs_model_run(m, (hs_range){(size_t)-1, 2}, &f, &out, ctx), HS_ERR_ARG);
    /* an empty range inside is fine and does nothing */
    HS_CHECK_INT(hs_model_run(m, (hs_range){2, 0}, &f, &out, ctx), HS_OK);
    /* forcing for another number of HRUs */
    f.n_hru = 1;
    HS_CHECK_INT(hs_model_run(m, (hs_range){0, 1}, &f, &out, ctx), HS_ERR_ARG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "forcing has 1 HRUs");
    f.n_hru = 2;
    /* no runoff array */
    out.runoff_mm = NULL;
    HS_CHECK_INT(hs_model_run(m, (hs_range){0, 2}, &f, &out, ctx), HS_ERR_ARG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "runoff_mm");
    HS_CHECK_INT(hs_model_run(m, (hs_range){0, 2}, NULL, &out, ctx), HS_ERR_ARG);
    HS_CHECK_INT(hs_model_run(NULL, (hs_range){0, 2}, &f, &out, ctx), HS_ERR_ARG);

    hs_model_destroy(&m);
    HS_CHECK(m == NULL);
    hs_model_destroy(&m); /* NULL-safe */
    hs_model_destroy(NULL);
}

int main(void)
{
    hs_ctx *ctx = hs_ctx_create();
    if (!ctx) return 1;
    test_registry();
    test_hbv_table();
    test_wrapper_checks(ctx);
    hs_ctx_destroy(&ctx);
    HS_TEST_REPORT();
}
