#define _POSIX_C_SOURCE 200809L
/* Unit tests of core's status, context, time and I/O modules. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hs_ctx.h"
#include "hs_io.h"
#include "hs_status.h"
#include "hs_time.h"
#include "hs_test.h"

static void test_status(void) {
    HS_CHECK(strcmp(hs_status_name(HS_ERR_IO), "HS_ERR_IO") == 0);
    HS_CHECK(strcmp(hs_status_str(HS_OK), "ok") == 0);
    HS_CHECK_INT(HS_OK, 0);
}

static hs_status failing(hs_ctx *ctx) { return HS_FAIL(ctx, HS_ERR_CONFIG, "key %s bad", "X"); }
static hs_status wrapper(hs_ctx *ctx) {
    HS_TRY(failing(ctx));
    return HS_OK;
}

static void test_ctx(void) {
    hs_ctx *ctx = hs_ctx_create();
    HS_CHECK(wrapper(ctx) == HS_ERR_CONFIG);
    HS_CHECK(strcmp(hs_ctx_message(ctx), "key X bad") == 0);
    HS_CHECK_STR_CONTAINS(hs_ctx_where(ctx), "test_core_basics.c");
    hs_ctx_prefix(ctx, "cfg.yaml");
    HS_CHECK(strcmp(hs_ctx_message(ctx), "cfg.yaml: key X bad") == 0);
    double *p = NULL;
    HS_CHECK(HS_ALLOC_ARRAY(ctx, p, 100, "test") == HS_OK);
    HS_CHECK(((size_t)p % 64) == 0);
    HS_CHECK(p[99] == 0.0);
    hs_free(p);
    HS_CHECK(hs_alloc(ctx, (size_t)-1, 16, "huge", (void **)&p) == HS_ERR_NOMEM);
    HS_CHECK(p == NULL);
    hs_ctx_destroy(&ctx);
    HS_CHECK(ctx == NULL);
    hs_ctx_destroy(&ctx); /* NULL-safe */
}

static void test_time(void) {
    HS_CHECK_INT(hs_day_from_ymd(1970, 1, 1), 0);
    HS_CHECK_INT(hs_day_from_ymd(2000, 3, 1), 11017);
    int y, m, d;
    hs_day_to_ymd(hs_day_from_ymd(2004, 2, 29), &y, &m, &d);
    HS_CHECK(y == 2004 && m == 2 && d == 29);
    for (hs_day k = -800000; k < 800000; k += 997) {
        hs_day_to_ymd(k, &y, &m, &d);
        HS_CHECK_INT(hs_day_from_ymd(y, m, d), k);
    }
    hs_day day;
    HS_CHECK(hs_day_parse("2008-12-31", &day));
    HS_CHECK_INT(hs_day_of_year(day), 366);
    HS_CHECK(!hs_day_parse("2003-02-29", &day));
    HS_CHECK(!hs_day_parse("2003-1-01", &day));
    HS_CHECK(!hs_day_parse("2003-01-01x", &day));
    char buf[11];
    HS_CHECK(strcmp(hs_day_format(hs_day_from_ymd(1909, 5, 25), buf), "1909-05-25") == 0);
    hs_ctx *ctx = hs_ctx_create();
    hs_period p;
    HS_CHECK(hs_period_parse(ctx, "2004-01-01, 2007-12-31", "CALIBRATION_PERIOD", &p) == HS_OK);
    HS_CHECK_INT(hs_period_days(p), 1461);
    HS_CHECK(hs_period_parse(ctx, "2007-01-01, 2004-12-31", "CALIBRATION_PERIOD", &p) ==
             HS_ERR_CONFIG);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "CALIBRATION_PERIOD");
    HS_CHECK(hs_period_parse(ctx, "2007-01-01", "SPINUP_PERIOD", &p) == HS_ERR_CONFIG);
    hs_ctx_destroy(&ctx);
}

static void test_io(void) {
    hs_ctx *ctx = hs_ctx_create();
    hs_ioprof *prof = hs_ioprof_create();
    hs_ctx_set_ioprof(ctx, prof);
    char dir[] = "/tmp/hs_test_io_XXXXXX";
    HS_CHECK(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/sub/out.txt", dir);
    hs_io_writer *w = NULL;
    HS_CHECK(hs_io_writer_open(ctx, path, &w) == HS_OK);
    HS_CHECK(hs_io_writer_printf(w, "hello %d\n", 42) == HS_OK);
    HS_CHECK(!hs_io_is_file(path)); /* nothing at the target before commit */
    HS_CHECK(hs_io_writer_commit(&w) == HS_OK);
    HS_CHECK(w == NULL);
    HS_CHECK(hs_io_is_file(path));
    char *buf = NULL;
    size_t len = 0;
    HS_CHECK(hs_io_read_file(ctx, path, &buf, &len) == HS_OK);
    HS_CHECK(len == 9 && strcmp(buf, "hello 42\n") == 0);
    hs_free(buf);
    hs_io_counts c = hs_ioprof_get(prof);
    HS_CHECK_INT(c.read_bytes, 9);
    HS_CHECK_INT(c.write_bytes, 9);
    HS_CHECK_INT(c.read_ops, 1);
    HS_CHECK_INT(c.write_ops, 1);
    /* an aborted writer leaves nothing behind */
    char path2[256];
    snprintf(path2, sizeof path2, "%s/aborted.txt", dir);
    HS_CHECK(hs_io_writer_open(ctx, path2, &w) == HS_OK);
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s", hs_io_writer_temp_path(w));
    HS_CHECK(hs_io_writer_printf(w, "partial") == HS_OK);
    hs_io_writer_abort(&w);
    HS_CHECK(!hs_io_is_file(path2));
    HS_CHECK(!hs_io_is_file(tmp));
    HS_CHECK(hs_io_read_file(ctx, "/nonexistent/file.csv", &buf, &len) == HS_ERR_IO);
    HS_CHECK_STR_CONTAINS(hs_ctx_message(ctx), "/nonexistent/file.csv");
    remove(path);
    snprintf(path, sizeof path, "%s/sub", dir);
    rmdir(path);
    rmdir(dir);
    hs_ioprof_destroy(&prof);
    hs_ctx_destroy(&ctx);
}

int main(void) {
    test_status();
    test_ctx();
    test_time();
    test_io();
    HS_TEST_REPORT();
}
