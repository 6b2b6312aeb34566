/* test_network.c -- network validation, topological order, area accumulation and sub-trees
 * (docs-models.md §6.1), and the clear errors of bad networks. */
#include <stdint.h>

#include "hs_network.h"
#include "hs_test.h"

/* Binary tree of 7 segments: 2, 3 -> 1 (outlet); 4, 5 -> 2; 6, 7 -> 3; listed downstream first
 * so that the order has to be computed. One HRU per segment, area id * 1e6 m2. */
static const int64_t seg7[] = {1, 2, 3, 4, 5, 6, 7};
static const int64_t down7[] = {0, 1, 1, 2, 2, 3, 3};
static const double len7[] = {1e3, 2e3, 3e3, 4e3, 5e3, 6e3, 7e3};
static const double slope7[] = {0.01, 0.0, -1.0, 0.01, 0.01, 0.01, 0.01};
static const int64_t hru7[] = {101, 102, 103, 104, 105, 106, 107};
static const int64_t hseg7[] = {1, 2, 3, 4, 5, 6, 7};
static const double area7[] = {1e6, 2e6, 3e6, 4e6, 5e6, 6e6, 7e6};

static hs_network_desc desc7(void) {
    hs_network_desc d = {7, seg7, down7, len7, slope7, 7, hru7, hseg7, area7, 0, "tree.nc"};
    return d;
}

/* Expects creation to fail with HS_ERR_FORMAT and a message containing `what`. */
static void expect_error(const hs_network_desc *d, const char *what, const char *what2) {
    hs_ctx *ctx = hs_ctx_create();
    hs_network *net = NULL;
    HS_CHECK_INT(hs_network_create(d, ctx, &net), HS_ERR_FORMAT);
    HS_CHECK(net == NULL);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), what);
    if (what2) HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), what2);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "tree.nc");
    hs_ctx_destroy(&ctx);
}

int main(void) {
    hs_ctx *ctx = hs_ctx_create();
    hs_network_desc d = desc7();
    hs_network *net = NULL;
    HS_CHECK_INT(hs_network_create(&d, ctx, &net), HS_OK);
    if (!net) HS_TEST_REPORT();
    HS_CHECK_INT(hs_network_n_seg(net), 7);
    HS_CHECK_INT(hs_network_seg_id(net, hs_network_outlet(net)), 1);
    /* topological order: every segment after everything upstream of it */
    const size_t *order = hs_network_order(net);
    size_t pos[7];
    for (size_t k = 0; k < 7; k++) pos[order[k]] = k;
    for (size_t s = 0; s < 7; s++) {
        size_t nu;
        const size_t *up = hs_network_upstream(net, s, &nu);
        for (size_t j = 0; j < nu; j++) HS_CHECK(pos[up[j]] < pos[s]);
        HS_CHECK_INT(nu, s < 3 ? 2 : 0);
    }
    /* areas: outlet collects everything; segment 2 collects 2, 4, 5 */
    HS_CHECK_CLOSE(hs_network_total_area_m2(net, hs_network_find_seg(net, 1)), 28e6, 1e-6);
    HS_CHECK_CLOSE(hs_network_total_area_m2(net, hs_network_find_seg(net, 2)), 11e6, 1e-6);
    HS_CHECK_CLOSE(hs_network_basin_area_m2(net, hs_network_find_seg(net, 7)), 7e6, 1e-6);
    /* slopes raised to 1e-6 */
    HS_CHECK(hs_network_slope(net, 1) == HS_NETWORK_MIN_SLOPE);
    HS_CHECK(hs_network_slope(net, 2) == HS_NETWORK_MIN_SLOPE);
    HS_CHECK(hs_network_find_seg(net, 99) == HS_NETWORK_NONE);
    HS_CHECK_INT(hs_network_find_hru(net, 105), 4);
    /* automatic cap for 7 segments is 1: the four leaves are sub-trees, 1-2-3 the trunk */
    HS_CHECK_INT(hs_network_n_trees(net), 4);
    HS_CHECK_INT(hs_network_tree_offsets(net)[4], 4);
    hs_network_destroy(&net);
    HS_CHECK(net == NULL);
    hs_network_destroy(&net); /* NULL-safe */

    /* cap 3: two sub-trees (2,4,5) and (3,6,7), each upstream first, then the outlet */
    d.tree_cap = 3;
    HS_CHECK_INT(hs_network_create(&d, ctx, &net), HS_OK);
    if (net) {
        HS_CHECK_INT(hs_network_n_trees(net), 2);
        const size_t *off = hs_network_tree_offsets(net);
        HS_CHECK_INT(off[0], 0);
        HS_CHECK_INT(off[1], 3);
        HS_CHECK_INT(off[2], 6);
        order = hs_network_order(net);
        HS_CHECK_INT(hs_network_seg_id(net, order[6]), 1);
        for (size_t t = 0; t < 2; t++) {
            /* the tree's root comes last within the tree */
            const int64_t root = hs_network_seg_id(net, order[off[t + 1] - 1]);
            HS_CHECK(root == 2 || root == 3);
            for (size_t k = off[t]; k < off[t + 1]; k++) {
                const size_t dn = hs_network_down(net, order[k]);
                HS_CHECK(hs_network_seg_id(net, dn) == root || hs_network_seg_id(net, dn) == 1);
            }
        }
        hs_network_destroy(&net);
    }

    /* bad networks: each error names the file and the segment/HRU */
    {
        const int64_t down[] = {0, 1, 1, 2, 2, 7, 6}; /* 6 -> 7 -> 6 */
        hs_network_desc b = desc7();
        b.down_seg_id = down;
        expect_error(&b, "cycle", "6 -> 7 -> 6");
    }
    {
        const int64_t down[] = {0, 3, 4, 2, 2, 3, 3}; /* 2 -> 3 -> 4 -> 2 */
        hs_network_desc b = desc7();
        b.down_seg_id = down;
        expect_error(&b, "cycle", "-> 2");
    }
    {
        const int64_t down[] = {0, 1, 1, 4, 2, 3, 3}; /* 4 drains into itself */
        hs_network_desc b = desc7();
        b.down_seg_id = down;
        expect_error(&b, "segment 4 drains into itself", NULL);
    }
    {
        const int64_t down[] = {0, 1, -1, 2, 2, 3, 3};
        hs_network_desc b = desc7();
        b.down_seg_id = down;
        expect_error(&b, "more than one outlet", "segments 1 and 3");
    }
    {
        const int64_t down[] = {0, 1, 1, 2, 99, 3, 3};
        hs_network_desc b = desc7();
        b.down_seg_id = down;
        expect_error(&b, "segment 5 drains to downSegId 99", "not a segment");
    }
    {
        const int64_t hseg[] = {1, 2, 3, 4, 5, 6, 77};
        hs_network_desc b = desc7();
        b.hru_seg_id = hseg;
        expect_error(&b, "HRU 107 drains to hruSegId 77", NULL);
    }
    {
        const double len[] = {1e3, 2e3, 0.0, 4e3, 5e3, 6e3, 7e3};
        hs_network_desc b = desc7();
        b.length_m = len;
        expect_error(&b, "segment 3 has length 0", NULL);
    }
    {
        const int64_t ids[] = {1, 2, 3, 4, 5, 6, 5};
        hs_network_desc b = desc7();
        b.seg_id = ids;
        expect_error(&b, "segment id 5 appears twice", NULL);
    }
    {
        const double area[] = {1e6, 2e6, 3e6, -4e6, 5e6, 6e6, 7e6};
        hs_network_desc b = desc7();
        b.hru_area_m2 = area;
        expect_error(&b, "HRU 104 has area", NULL);
    }
    /* HRUs draining nowhere are allowed and counted */
    {
        const int64_t hseg[] = {1, 2, 3, 4, 5, 0, -1};
        hs_network_desc b = desc7();
        b.hru_seg_id = hseg;
        HS_CHECK_INT(hs_network_create(&b, ctx, &net), HS_OK);
        if (net) {
            HS_CHECK_INT(hs_network_n_hru_unmapped(net), 2);
            HS_CHECK_CLOSE(hs_network_total_area_m2(net, hs_network_outlet(net)), 15e6, 1e-6);
            hs_network_destroy(&net);
        }
    }
    hs_network_desc e = desc7();
    e.n_seg = 0;
    HS_CHECK_INT(hs_network_create(&e, ctx, &net), HS_ERR_ARG);
    hs_ctx_destroy(&ctx);
    HS_TEST_REPORT();
}
