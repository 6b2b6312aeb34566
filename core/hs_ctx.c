/* hs_ctx.c -- error context, logging and the checked allocator (see hs_ctx.h). */
#include "hs_ctx.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HS_CTX_MSG_LEN 1024
#define HS_CTX_WHERE_LEN 256
#define HS_ALIGNMENT 64

struct hs_ctx {
    hs_status code;
    char message[HS_CTX_MSG_LEN];
    char where[HS_CTX_WHERE_LEN];
    hs_log_fn log_fn;
    void *log_user;
    hs_log_level level;
    hs_ioprof *ioprof; /* borrowed */
};

hs_ctx *hs_ctx_create(void) {
    hs_ctx *ctx = calloc(1, sizeof *ctx);
    if (ctx) ctx->level = HS_LOG_INFO;
    return ctx;
}

hs_ctx *hs_ctx_clone(const hs_ctx *parent) {
    hs_ctx *ctx = hs_ctx_create();
    if (ctx && parent) {
        ctx->log_fn = parent->log_fn;
        ctx->log_user = parent->log_user;
        ctx->level = parent->level;
        ctx->ioprof = parent->ioprof;
    }
    return ctx;
}

void hs_ctx_destroy(hs_ctx **ctx) {
    if (!ctx || !*ctx) return;
    free(*ctx);
    *ctx = NULL;
}

void hs_ctx_set_log(hs_ctx *ctx, hs_log_fn fn, void *user) {
    ctx->log_fn = fn;
    ctx->log_user = user;
}

void hs_ctx_set_log_level(hs_ctx *ctx, hs_log_level level) { ctx->level = level; }
hs_log_level hs_ctx_get_log_level(const hs_ctx *ctx) { return ctx->level; }
void hs_ctx_set_ioprof(hs_ctx *ctx, hs_ioprof *prof) { ctx->ioprof = prof; }
hs_ioprof *hs_ctx_get_ioprof(const hs_ctx *ctx) { return ctx ? ctx->ioprof : NULL; }

hs_status hs_ctx_fail(hs_ctx *ctx, hs_status code, const char *file, int line, const char *func,
                      const char *fmt, ...) {
    if (!ctx) return code;
    ctx->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->message, sizeof ctx->message, fmt, ap);
    va_end(ap);
    const char *base = strrchr(file, '/');
    snprintf(ctx->where, sizeof ctx->where, "%s:%d (%s)", base ? base + 1 : file, line, func);
    return code;
}

hs_status hs_ctx_prefix(hs_ctx *ctx, const char *fmt, ...) {
    if (!ctx) return HS_ERR_INTERNAL;
    char prefix[HS_CTX_MSG_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    char joined[2 * HS_CTX_MSG_LEN + 2];
    snprintf(joined, sizeof joined, "%s: %s", prefix, ctx->message);
    /* keep the start (the prefix names the file); truncate the tail */
    memcpy(ctx->message, joined, HS_CTX_MSG_LEN - 1);
    ctx->message[HS_CTX_MSG_LEN - 1] = '\0';
    return ctx->code;
}

const char *hs_ctx_message(const hs_ctx *ctx) { return ctx ? ctx->message : ""; }
hs_status hs_ctx_code(const hs_ctx *ctx) { return ctx ? ctx->code : HS_ERR_INTERNAL; }
const char *hs_ctx_where(const hs_ctx *ctx) { return ctx ? ctx->where : ""; }

void hs_ctx_clear(hs_ctx *ctx) {
    ctx->code = HS_OK;
    ctx->message[0] = '\0';
    ctx->where[0] = '\0';
}

void hs_ctx_copy_error(hs_ctx *to, const hs_ctx *from) {
    if (!to || !from) return;
    to->code = from->code;
    memcpy(to->message, from->message, sizeof to->message);
    memcpy(to->where, from->where, sizeof to->where);
}

void hs_log(hs_ctx *ctx, hs_log_level level, const char *fmt, ...) {
    if (!ctx || !ctx->log_fn || level > ctx->level) return;
    char buf[HS_CTX_MSG_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    ctx->log_fn(ctx->log_user, level, buf);
}

hs_status hs_alloc(hs_ctx *ctx, size_t n, size_t size, const char *what, void **out) {
    *out = NULL;
    if (n == 0) n = 1;
    if (size == 0) size = 1;
    if (n > SIZE_MAX / size)
        return HS_FAIL(ctx, HS_ERR_NOMEM, "%s: size overflow (%zu x %zu bytes)", what, n, size);
    size_t bytes = n * size;
    /* aligned_alloc needs a multiple of the alignment */
    size_t padded = (bytes + HS_ALIGNMENT - 1) / HS_ALIGNMENT * HS_ALIGNMENT;
    if (padded < bytes)
        return HS_FAIL(ctx, HS_ERR_NOMEM, "%s: size overflow (%zu bytes)", what, bytes);
    void *p = aligned_alloc(HS_ALIGNMENT, padded);
    if (!p) return HS_FAIL(ctx, HS_ERR_NOMEM, "%s: cannot allocate %zu bytes", what, bytes);
    memset(p, 0, padded);
    *out = p;
    return HS_OK;
}

void hs_free(void *p) { free(p); }

hs_status hs_strdup(hs_ctx *ctx, const char *s, char **out) {
    size_t n = strlen(s) + 1;
    char *p = NULL;
    HS_TRY(hs_alloc(ctx, n, 1, "string", (void **)&p));
    memcpy(p, s, n);
    *out = p;
    return HS_OK;
}
