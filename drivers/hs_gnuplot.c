/* hs_gnuplot.c -- see hs_gnuplot.h. */
#define _POSIX_C_SOURCE 200809L
#include "hs_gnuplot.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hs_io.h"

hs_status hs_gnuplot_png(hs_ctx *ctx, const char *png, int width, int height, const char *body) {
    char tmp_png[4400], script[4400], dir[4300];
    hs_io_dirname(png, dir, sizeof dir);
    HS_TRY(hs_io_mkdirs(ctx, dir));
    HS_TRY(hs_io_temp_name(ctx, png, tmp_png, sizeof tmp_png));
    HS_TRY(hs_io_temp_name(ctx, png, script, sizeof script));
    FILE *fs = fopen(script, "w");
    if (!fs) return HS_FAIL(ctx, HS_ERR_IO, "%s: cannot create: %s", script, strerror(errno));
    int n = fprintf(fs, "set terminal pngcairo size %d,%d font 'DejaVu Sans,10' noenhanced\nset output '%s'\n%s\n",
                    width, height, tmp_png, body);
    fclose(fs);
    hs_io_count_write(ctx, (uint64_t)(n > 0 ? n : 0), 1);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        remove(script);
        return HS_FAIL(ctx, HS_ERR_IO, "cannot start gnuplot: %s", strerror(errno));
    }
    if (pid == 0) {
        /* gnuplot's chatter stays out of hydroscale's output */
        FILE *null = freopen("/dev/null", "w", stdout);
        (void)null;
        execlp("gnuplot", "gnuplot", script, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    remove(script);
    const int rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (rc == 127) {
        remove(tmp_png);
        hs_log(ctx, HS_LOG_WARN, "gnuplot not found; %s not written (apt-get install gnuplot-nox)",
               png);
        return HS_OK;
    }
    if (rc != 0) {
        remove(tmp_png);
        return HS_FAIL(ctx, HS_ERR_EXTERNAL, "%s: gnuplot failed with exit status %d", png, rc);
    }
    return hs_io_rename_into_place(ctx, tmp_png, png);
}
