/* hs_io.c -- file wrappers with I/O accounting, and atomic (temp + rename) writers. */
#define _POSIX_C_SOURCE 200809L
#include "hs_io.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

struct hs_ioprof {
    _Atomic uint64_t read_bytes;
    _Atomic uint64_t write_bytes;
    _Atomic uint64_t read_ops;
    _Atomic uint64_t write_ops;
};

hs_ioprof *hs_ioprof_create(void) {
    hs_ioprof *p = malloc(sizeof *p);
    if (!p) return NULL;
    atomic_init(&p->read_bytes, 0);
    atomic_init(&p->write_bytes, 0);
    atomic_init(&p->read_ops, 0);
    atomic_init(&p->write_ops, 0);
    return p;
}

void hs_ioprof_destroy(hs_ioprof **prof) {
    if (!prof || !*prof) return;
    free(*prof);
    *prof = NULL;
}

hs_io_counts hs_ioprof_get(const hs_ioprof *prof) {
    hs_io_counts c = {0, 0, 0, 0};
    if (!prof) return c;
    const hs_ioprof *p = prof;
    c.read_bytes = atomic_load(&p->read_bytes);
    c.write_bytes = atomic_load(&p->write_bytes);
    c.read_ops = atomic_load(&p->read_ops);
    c.write_ops = atomic_load(&p->write_ops);
    return c;
}

void hs_io_count_read(hs_ctx *ctx, uint64_t bytes, uint64_t ops) {
    hs_ioprof *p = hs_ctx_get_ioprof(ctx);
    if (!p) return;
    atomic_fetch_add(&p->read_bytes, bytes);
    atomic_fetch_add(&p->read_ops, ops);
}

void hs_io_count_write(hs_ctx *ctx, uint64_t bytes, uint64_t ops) {
    hs_ioprof *p = hs_ctx_get_ioprof(ctx);
    if (!p) return;
    atomic_fetch_add(&p->write_bytes, bytes);
    atomic_fetch_add(&p->write_ops, ops);
}

int hs_io_is_file(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

hs_status hs_io_read_file(hs_ctx *ctx, const char *path, char **out, size_t *len) {
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return HS_FAIL(ctx, HS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return HS_FAIL(ctx, HS_ERR_IO, "%s: not a regular file", path);
    }
    size_t size = (size_t)st.st_size;
    char *buf = NULL;
    hs_status s = hs_alloc(ctx, size + 1, 1, path, (void **)&buf);
    if (s != HS_OK) {
        fclose(f);
        return s;
    }
    size_t got = size ? fread(buf, 1, size, f) : 0;
    int err = ferror(f);
    fclose(f);
    if (got != size || err) {
        hs_free(buf);
        return HS_FAIL(ctx, HS_ERR_IO, "%s: read %zu of %zu bytes", path, got, size);
    }
    buf[size] = '\0';
    hs_io_count_read(ctx, size, 1);
    *out = buf;
    *len = size;
    return HS_OK;
}

hs_status hs_io_mkdirs(hs_ctx *ctx, const char *path) {
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0) return HS_OK;
    if (n >= sizeof buf) return HS_FAIL(ctx, HS_ERR_IO, "%s: path too long", path);
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == '\0') {
            char saved = buf[i];
            buf[i] = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return HS_FAIL(ctx, HS_ERR_IO, "%s: cannot create directory: %s", buf,
                               strerror(errno));
            buf[i] = saved;
        }
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return HS_FAIL(ctx, HS_ERR_IO, "%s: exists and is not a directory", path);
    return HS_OK;
}

hs_status hs_io_path_join(hs_ctx *ctx, const char *dir, const char *name, char *out, size_t cap) {
    int n;
    if (name[0] == '/' || dir == NULL || dir[0] == '\0')
        n = snprintf(out, cap, "%s", name);
    else
        n = snprintf(out, cap, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= cap)
        return HS_FAIL(ctx, HS_ERR_ARG, "path too long: %s/%s", dir ? dir : "", name);
    return HS_OK;
}

void hs_io_dirname(const char *path, char *out, size_t cap) {
    const char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(out, cap, ".");
    } else if (slash == path) {
        snprintf(out, cap, "/");
    } else {
        size_t n = (size_t)(slash - path);
        if (n >= cap) n = cap - 1;
        memcpy(out, path, n);
        out[n] = '\0';
    }
}

hs_status hs_io_temp_name(hs_ctx *ctx, const char *path, char *tmp, size_t cap) {
    static _Atomic unsigned counter; /* unique names across threads of one process */
    char dir[4096];
    hs_io_dirname(path, dir, sizeof dir);
    HS_TRY(hs_io_mkdirs(ctx, dir));
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    unsigned k = atomic_fetch_add(&counter, 1u);
    int n = snprintf(tmp, cap, "%s/.%s.tmp.%ld.%u", dir, base, (long)getpid(), k);
    if (n < 0 || (size_t)n >= cap) return HS_FAIL(ctx, HS_ERR_ARG, "%s: path too long", path);
    return HS_OK;
}

hs_status hs_io_rename_into_place(hs_ctx *ctx, const char *tmp, const char *path) {
    if (rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        return HS_FAIL(ctx, HS_ERR_IO, "%s: cannot move into place: %s", path, strerror(e));
    }
    return HS_OK;
}

struct hs_io_writer {
    hs_ctx *ctx;
    FILE *f;
    uint64_t bytes;
    uint64_t ops;
    char path[4096];
    char tmp[4200];
};

hs_status hs_io_writer_open(hs_ctx *ctx, const char *path, hs_io_writer **out) {
    *out = NULL;
    hs_io_writer *w = calloc(1, sizeof *w);
    if (!w) return HS_FAIL(ctx, HS_ERR_NOMEM, "%s: cannot allocate writer", path);
    w->ctx = ctx;
    if (strlen(path) >= sizeof w->path) {
        free(w);
        return HS_FAIL(ctx, HS_ERR_ARG, "%s: path too long", path);
    }
    strcpy(w->path, path);
    hs_status s = hs_io_temp_name(ctx, path, w->tmp, sizeof w->tmp);
    if (s != HS_OK) {
        free(w);
        return s;
    }
    w->f = fopen(w->tmp, "wb");
    if (!w->f) {
        s = HS_FAIL(ctx, HS_ERR_IO, "%s: cannot create: %s", w->tmp, strerror(errno));
        free(w);
        return s;
    }
    *out = w;
    return HS_OK;
}

hs_status hs_io_writer_write(hs_io_writer *w, const void *data, size_t n) {
    if (n && fwrite(data, 1, n, w->f) != n)
        return HS_FAIL(w->ctx, HS_ERR_IO, "%s: write failed: %s", w->path, strerror(errno));
    w->bytes += n;
    return HS_OK;
}

hs_status hs_io_writer_printf(hs_io_writer *w, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vfprintf(w->f, fmt, ap);
    va_end(ap);
    if (n < 0) return HS_FAIL(w->ctx, HS_ERR_IO, "%s: write failed: %s", w->path, strerror(errno));
    w->bytes += (uint64_t)n;
    return HS_OK;
}

const char *hs_io_writer_temp_path(const hs_io_writer *w) { return w->tmp; }

hs_status hs_io_writer_commit(hs_io_writer **wp) {
    hs_io_writer *w = *wp;
    *wp = NULL;
    hs_ctx *ctx = w->ctx;
    hs_status s = HS_OK;
    if (fflush(w->f) != 0 || fsync(fileno(w->f)) != 0)
        s = HS_FAIL(ctx, HS_ERR_IO, "%s: write failed: %s", w->path, strerror(errno));
    if (fclose(w->f) != 0 && s == HS_OK)
        s = HS_FAIL(ctx, HS_ERR_IO, "%s: close failed: %s", w->path, strerror(errno));
    if (s == HS_OK) {
        /* one write operation per committed file: the buffered stream hides the syscall count */
        hs_io_count_write(ctx, w->bytes, 1);
        s = hs_io_rename_into_place(ctx, w->tmp, w->path);
    } else {
        remove(w->tmp);
    }
    free(w);
    return s;
}

void hs_io_writer_abort(hs_io_writer **wp) {
    if (!wp || !*wp) return;
    hs_io_writer *w = *wp;
    fclose(w->f);
    remove(w->tmp);
    free(w);
    *wp = NULL;
}
