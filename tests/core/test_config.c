/* Unit tests of the config store: YAML parsing, schema getters, overrides, error messages. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hs_config.h"
#include "hs_test.h"

static const hs_config_key schema[] = {
    {"DOMAIN_NAME", HS_CFG_STRING, NULL, 0, 0, NULL, "basin label"},
    {"NUMBER_OF_ITERATIONS", HS_CFG_INT, "1000", 0, 1e9, NULL, "evaluations"},
    {"DDS_R", HS_CFG_DOUBLE, "0.2", 1e-6, 1, NULL, "perturbation"},
    {"APPLY_LAPSE_RATE", HS_CFG_BOOL, "true", 0, 0, NULL, ""},
    {"OPTIMIZATION_METRIC", HS_CFG_ENUM, "KGE", 0, 0, "KGE|KGEp|NSE", ""},
    {"CALIBRATION_PERIOD", HS_CFG_PERIOD, NULL, 0, 0, NULL, ""},
    {"PARAMS_TO_CALIBRATE", HS_CFG_LIST, "", 0, 0, NULL, ""},
    {"PARAMETER_BOUNDS", HS_CFG_MAP, "{}", 0, 0, NULL, ""},
    {"FORCING_FILE", HS_CFG_PATH, NULL, 0, 0, NULL, "forcing"},
};

static char dir[64];

static const char *write_file(const char *name, const char *text) {
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

static int warnings;
static char last_warning[1024];
static void log_sink(void *user, hs_log_level level, const char *msg) {
    (void)user;
    if (level == HS_LOG_WARN) {
        warnings++;
        snprintf(last_warning, sizeof last_warning, "%s", msg);
    }
}

static hs_config *load(hs_ctx *ctx, const char *text, hs_status expect) {
    hs_config *cfg = NULL;
    HS_CHECK(hs_config_create(ctx, &cfg) == HS_OK);
    HS_CHECK(hs_config_add_schema(cfg, schema, sizeof schema / sizeof *schema, ctx) == HS_OK);
    hs_status st = hs_config_load(cfg, write_file("c.yaml", text), ctx);
    HS_CHECK_INT(st, expect);
    return cfg;
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/hs_test_cfg_XXXXXX");
    if (!mkdtemp(dir)) return 1;
    hs_ctx *ctx = hs_ctx_create();
    hs_ctx_set_log(ctx, log_sink, NULL);

    hs_config *cfg = load(ctx,
                          "DOMAIN_NAME: bow\n"
                          "NUMBER_OF_ITERATIONS: 200\n"
                          "APPLY_LAPSE_RATE: no\n"
                          "OPTIMIZATION_METRIC: nse\n"
                          "CALIBRATION_PERIOD: \"2004-01-01, 2007-12-31\"\n"
                          "PARAMS_TO_CALIBRATE: tt, cfmax ,fc\n"
                          "PARAMETER_BOUNDS: {fc: [50, 500], beta: [1, 3]}\n"
                          "FORCING_FILE: data/f.csv\n"
                          "NUMBER_OF_ITERATOINS: 5\n",
                          HS_OK);
    const char *s;
    HS_CHECK(hs_config_get_string(cfg, "DOMAIN_NAME", ctx, &s) == HS_OK && strcmp(s, "bow") == 0);
    long n;
    HS_CHECK(hs_config_get_int(cfg, "NUMBER_OF_ITERATIONS", ctx, &n) == HS_OK && n == 200);
    double r;
    HS_CHECK(hs_config_get_double(cfg, "DDS_R", ctx, &r) == HS_OK && r == 0.2); /* default */
    bool b = true;
    HS_CHECK(hs_config_get_bool(cfg, "APPLY_LAPSE_RATE", ctx, &b) == HS_OK && !b);
    int idx = -1;
    HS_CHECK(hs_config_get_enum(cfg, "OPTIMIZATION_METRIC", ctx, &idx, NULL) == HS_OK && idx == 2);
    hs_period p;
    HS_CHECK(hs_config_get_period(cfg, "CALIBRATION_PERIOD", ctx, &p) == HS_OK);
    HS_CHECK_INT(hs_period_days(p), 1461);
    const char *const *items;
    size_t ni;
    HS_CHECK(hs_config_get_list(cfg, "PARAMS_TO_CALIBRATE", ctx, &items, &ni) == HS_OK);
    HS_CHECK(ni == 3 && strcmp(items[1], "cfmax") == 0 && strcmp(items[2], "fc") == 0);
    const hs_config_entry *map;
    size_t nm;
    HS_CHECK(hs_config_get_map(cfg, "PARAMETER_BOUNDS", ctx, &map, &nm) == HS_OK);
    HS_CHECK(nm == 2 && strcmp(map[0].key, "fc") == 0 && map[0].n_items == 2 &&
             strcmp(map[0].items[1], "500") == 0);
    char path[512];
    HS_CHECK(hs_config_get_path(cfg, "FORCING_FILE", ctx, path, sizeof path) == HS_OK);
    HS_CHECK_STR_CONTAINS(path, dir);
    HS_CHECK_STR_CONTAINS(path, "/data/f.csv");
    /* unknown key with a suggestion */
    warnings = 0;
    HS_CHECK_INT(hs_config_warn_unknown(cfg, ctx), 1);
    HS_CHECK_INT(warnings, 1);
    HS_CHECK_STR_CONTAINS(last_warning, "NUMBER_OF_ITERATOINS");
    HS_CHECK_STR_CONTAINS(last_warning, "did you mean NUMBER_OF_ITERATIONS");
    HS_CHECK_STR_CONTAINS(last_warning, "c.yaml:9");
    /* overrides win, flow values parse */
    HS_CHECK(hs_config_set(cfg, "NUMBER_OF_ITERATIONS=50", ctx) == HS_OK);
    HS_CHECK(hs_config_get_int(cfg, "NUMBER_OF_ITERATIONS", ctx, &n) == HS_OK && n == 50);
    HS_CHECK(strcmp(hs_config_origin(cfg, "NUMBER_OF_ITERATIONS"), "--set") == 0);
    HS_CHECK(hs_config_set(cfg, "PARAMS_TO_CALIBRATE=[k0, k1]", ctx) == HS_OK);
    HS_CHECK(hs_config_get_list(cfg, "PARAMS_TO_CALIBRATE", ctx, &items, &ni) == HS_OK);
    HS_CHECK(ni == 2 && strcmp(items[0], "k0") == 0);
    HS_CHECK(hs_config_set(cfg, "novalue", ctx) == HS_ERR_CONFIG);
    /* bad values name the key, the value and what was expected */
    HS_CHECK(hs_config_set(cfg, "NUMBER_OF_ITERATIONS=-5", ctx) == HS_OK);
    HS_CHECK(hs_config_get_int(cfg, "NUMBER_OF_ITERATIONS", ctx, &n) == HS_ERR_CONFIG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "NUMBER_OF_ITERATIONS: -5 is out of range");
    HS_CHECK(hs_config_set(cfg, "DDS_R=abc", ctx) == HS_OK);
    HS_CHECK(hs_config_get_double(cfg, "DDS_R", ctx, &r) == HS_ERR_CONFIG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "'abc' is not a number");
    HS_CHECK(hs_config_set(cfg, "OPTIMIZATION_METRIC=MSE", ctx) == HS_OK);
    HS_CHECK(hs_config_get_enum(cfg, "OPTIMIZATION_METRIC", ctx, &idx, NULL) == HS_ERR_CONFIG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "expected one of: KGE,KGEp,NSE");
    HS_CHECK(hs_config_set(cfg, "CALIBRATION_PERIOD=2007-01-01, 2004-01-01", ctx) == HS_OK);
    HS_CHECK(hs_config_get_period(cfg, "CALIBRATION_PERIOD", ctx, &p) == HS_ERR_CONFIG);
    hs_config_destroy(&cfg);
    HS_CHECK(cfg == NULL);

    /* required key */
    cfg = load(ctx, "NUMBER_OF_ITERATIONS: 3\n", HS_OK);
    HS_CHECK(hs_config_get_string(cfg, "DOMAIN_NAME", ctx, &s) == HS_ERR_CONFIG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "DOMAIN_NAME is required");
    hs_config_destroy(&cfg);

    /* malformed YAML: line and column */
    cfg = load(ctx, "DOMAIN_NAME: bow\nNUMBER_OF_ITERATIONS: [1, 2\nDDS_R: 0.1\n", HS_ERR_CONFIG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "c.yaml:");
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "YAML syntax error");
    hs_config_destroy(&cfg);
    cfg = load(ctx, "- just\n- a list\n", HS_ERR_CONFIG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "expected a mapping");
    hs_config_destroy(&cfg);

    /* missing file */
    HS_CHECK(hs_config_create(ctx, &cfg) == HS_OK);
    HS_CHECK(hs_config_load(cfg, "/nonexistent/cfg.yaml", ctx) == HS_ERR_CONFIG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "/nonexistent/cfg.yaml");
    hs_config_destroy(&cfg);

    HS_CHECK_INT(hs_config_edit_distance("kitten", "sitting"), 3);
    remove(write_file("c.yaml", ""));
    rmdir(dir);
    hs_ctx_destroy(&ctx);
    HS_TEST_REPORT();
}
