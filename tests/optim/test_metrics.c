/* test_metrics.c -- objective functions (docs-models.md §8) against values worked out by hand
 * (NSE, RMSE, PBIAS on five pairs can be checked on paper: sum (o - mean)^2 = 10, SSE = 2.75)
 * and against an independent NumPy evaluation of the same formulas (KGE, KGE', log-NSE:
 * np.corrcoef, std(ddof=1)), plus the conventions: missing pairs skipped, degenerate series give
 * -inf (never NaN), PBIAS positive for overestimation, the loss DDS minimises. */
#include <math.h>

#include "hs_metrics.h"
#include "hs_test.h"

/* the 6th pair has no obs and the 7th no sim: both are skipped, leaving five pairs */
static const double obs[7] = {1.0, 2.0, 4.0, 3.0, 5.0, NAN, 6.0};
static const double sim[7] = {1.5, 2.5, 3.0, 3.5, 4.0, 7.0, NAN};

static void test_hand_values(void) {
    HS_CHECK_CLOSE(hs_metric_nse(sim, obs, 7), 1.0 - 2.75 / 10.0, 1e-15);
    HS_CHECK_CLOSE(hs_metric_rmse(sim, obs, 7), sqrt(2.75 / 5.0), 1e-15);
    HS_CHECK_CLOSE(hs_metric_pbias(sim, obs, 7), 100.0 * (14.5 - 15.0) / 15.0, 1e-13);

    hs_kge_parts p;
    const double kge = hs_metric_kge(sim, obs, 7, &p);
    HS_CHECK_INT(p.n, 5);
    HS_CHECK_CLOSE(p.r, 0.9041944301794651, 1e-14);
    HS_CHECK_CLOSE(p.alpha, 0.6082762530298219, 1e-14); /* sqrt(3.7/10) */
    HS_CHECK_CLOSE(p.beta, 2.9 / 3.0, 1e-15);
    HS_CHECK_CLOSE(p.gamma, 0.6292512962377469, 1e-14);
    HS_CHECK_CLOSE(kge, 0.5953553259214888, 1e-14);
    HS_CHECK_CLOSE(kge, 1.0 - sqrt(pow(p.r - 1, 2) + pow(p.alpha - 1, 2) + pow(p.beta - 1, 2)),
                   1e-15);
    HS_CHECK_CLOSE(hs_metric_kgep(sim, obs, 7, NULL), 0.6156246370263315, 1e-14);

    double eps = -2;
    HS_CHECK_CLOSE(hs_metric_lognse(sim, obs, 7, -1.0, &eps), 0.7706505876700666, 1e-14);
    HS_CHECK(eps == 0.0); /* all flows positive: no offset */
    /* with a zero flow the automatic offset is mean(obs)/100 */
    const double o2[4] = {0.0, 1.0, 2.0, 3.0}, s2[4] = {0.5, 1.0, 1.5, 3.5};
    HS_CHECK_CLOSE(hs_metric_lognse(s2, o2, 4, -1.0, &eps), 0.2967543863085287, 1e-13);
    HS_CHECK_CLOSE(eps, 0.015, 1e-17);
    HS_CHECK(hs_metric_lognse(s2, o2, 4, 0.0, NULL) == -INFINITY); /* ln 0 undefined */
}

static void test_conventions(void) {
    const double o[5] = {1, 2, 3, 4, 5};
    HS_CHECK(hs_metric_kge(o, o, 5, NULL) == 1.0);
    HS_CHECK(hs_metric_kgep(o, o, 5, NULL) == 1.0);
    HS_CHECK(hs_metric_nse(o, o, 5) == 1.0);
    HS_CHECK(hs_metric_rmse(o, o, 5) == 0.0);
    HS_CHECK(hs_metric_pbias(o, o, 5) == 0.0);
    /* overestimation is a positive PBIAS */
    const double hi[5] = {2, 3, 4, 5, 6};
    HS_CHECK(hs_metric_pbias(hi, o, 5) > 0.0);
    /* the simulated mean of the mean obs: NSE = 0 */
    const double flat[5] = {3, 3, 3, 3, 3};
    HS_CHECK_CLOSE(hs_metric_nse(flat, o, 5), 0.0, 1e-15);
    /* a constant simulation has no correlation: -inf, never NaN */
    HS_CHECK(hs_metric_kge(flat, o, 5, NULL) == -INFINITY);
    HS_CHECK(hs_metric_kgep(flat, o, 5, NULL) == -INFINITY);
    /* constant observations: NSE and KGE undefined */
    HS_CHECK(hs_metric_nse(o, flat, 5) == -INFINITY);
    HS_CHECK(hs_metric_kge(o, flat, 5, NULL) == -INFINITY);
    /* nothing to compare */
    const double none[3] = {NAN, NAN, NAN};
    HS_CHECK(hs_metric_kge(o, none, 3, NULL) == -INFINITY);
    HS_CHECK(hs_metric_rmse(o, none, 3) == INFINITY);
    HS_CHECK(!isnan(hs_metric_pbias(o, none, 3)));
    HS_CHECK(hs_metric_kge(o, o, 1, NULL) == -INFINITY);
    /* KGE is scale-free in alpha: doubling sim gives alpha = beta = 2, r = 1 */
    const double twice[5] = {2, 4, 6, 8, 10};
    hs_kge_parts p;
    HS_CHECK_CLOSE(hs_metric_kge(twice, o, 5, &p), 1.0 - sqrt(2.0), 1e-15);
    HS_CHECK_CLOSE(p.alpha, 2.0, 1e-15);
    HS_CHECK_CLOSE(p.gamma, 1.0, 1e-15); /* same CV: KGE' only sees the bias */
    HS_CHECK_CLOSE(hs_metric_kgep(twice, o, 5, NULL), 0.0, 1e-15);
    /* skipping a missing pair is the same as removing it */
    const double o_gap[6] = {1, 2, NAN, 3, 4, 5}, s_gap[6] = {1.2, 2.1, 9.0, 2.7, 4.4, 4.9};
    const double o_cut[5] = {1, 2, 3, 4, 5}, s_cut[5] = {1.2, 2.1, 2.7, 4.4, 4.9};
    HS_CHECK(hs_metric_kge(s_gap, o_gap, 6, NULL) == hs_metric_kge(s_cut, o_cut, 5, NULL));
    HS_CHECK(hs_metric_nse(s_gap, o_gap, 6) == hs_metric_nse(s_cut, o_cut, 5));
}

static void test_names_and_loss(void) {
    hs_metric m;
    HS_CHECK(hs_metric_parse("kge", &m) && m == HS_METRIC_KGE);
    HS_CHECK(hs_metric_parse("KGE'", &m) && m == HS_METRIC_KGEP);
    HS_CHECK(hs_metric_parse("KGEp", &m) && m == HS_METRIC_KGEP);
    HS_CHECK(hs_metric_parse("lognse", &m) && m == HS_METRIC_LOGNSE);
    HS_CHECK(!hs_metric_parse("MSE", &m));
    for (int k = 0; k < HS_METRIC_COUNT_; k++) {
        HS_CHECK(hs_metric_parse(hs_metric_name((hs_metric)k), &m) && m == (hs_metric)k);
    }
    HS_CHECK(hs_metric_loss(HS_METRIC_KGE, 0.8) == -0.8);
    HS_CHECK(hs_metric_loss(HS_METRIC_RMSE, 2.0) == 2.0);
    HS_CHECK(hs_metric_loss(HS_METRIC_PBIAS, -7.0) == 7.0);
    HS_CHECK(hs_metric_loss(HS_METRIC_KGE, -INFINITY) == INFINITY);
    HS_CHECK(hs_metric_loss(HS_METRIC_NSE, NAN) == INFINITY);
    HS_CHECK(hs_metric_eval(HS_METRIC_NSE, sim, obs, 7) == hs_metric_nse(sim, obs, 7));
    HS_CHECK(hs_metric_eval(HS_METRIC_KGEP, sim, obs, 7) == hs_metric_kgep(sim, obs, 7, NULL));
}

int main(void) {
    test_hand_values();
    test_conventions();
    test_names_and_loss();
    HS_TEST_REPORT();
}
