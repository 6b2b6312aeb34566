/* hs_ctx.h -- per-run (or per-thread) context: the last error, logging, the I/O profiler.
 *
 * Library code never prints and never exits (STYLE.md §4). A failing function records what went
 * wrong in the context (code, file, line, function and a message that names the user's file, key
 * or HRU) and returns the code; drivers turn it into one stderr line. Logging goes through a
 * callback with levels, like PROJ's proj_log_func. A context is not thread-safe: give each thread
 * its own (hs_ctx_clone shares the log sink and the I/O profiler, which are thread-safe). */
#ifndef HS_CORE_CTX_H
#define HS_CORE_CTX_H

#include <stddef.h>

#include "hs_api.h"
#include "hs_status.h"

typedef enum hs_log_level {
    HS_LOG_ERROR = 0,
    HS_LOG_WARN = 1,
    HS_LOG_INFO = 2,
    HS_LOG_DEBUG = 3
} hs_log_level;

/** Log sink: receives one complete message (no trailing newline). Must be thread-safe if the
 *  same sink is shared by several contexts used from different threads. */
typedef void (*hs_log_fn)(void *user, hs_log_level level, const char *message);

typedef struct hs_ioprof hs_ioprof; /* hs_ioprof.h */
typedef struct hs_ctx hs_ctx;

/** Creates a context with no log sink (messages are dropped) and level HS_LOG_INFO.
 *  Returns NULL only when out of memory. Free with hs_ctx_destroy(). */
HS_API hs_ctx *hs_ctx_create(void);

/** Creates a context for another thread: same log sink, level and I/O profiler, empty error.
 *  Returns NULL when out of memory. Free with hs_ctx_destroy(). */
HS_API hs_ctx *hs_ctx_clone(const hs_ctx *parent);

/** Frees the context; NULL-safe; sets *ctx to NULL. Does not free a borrowed profiler. */
HS_API void hs_ctx_destroy(hs_ctx **ctx);

HS_API void hs_ctx_set_log(hs_ctx *ctx, hs_log_fn fn, void *user);
HS_API void hs_ctx_set_log_level(hs_ctx *ctx, hs_log_level level);
HS_API hs_log_level hs_ctx_get_log_level(const hs_ctx *ctx);

/** Attaches an I/O profiler (borrowed: the caller keeps ownership and must keep it alive while
 *  the context is used). NULL detaches. */
HS_API void hs_ctx_set_ioprof(hs_ctx *ctx, hs_ioprof *prof);
HS_API hs_ioprof *hs_ctx_get_ioprof(const hs_ctx *ctx);

/** Records an error and returns `code`. Used through HS_FAIL. The message is formatted with
 *  printf rules and truncated to 1023 bytes. */
HS_API hs_status hs_ctx_fail(hs_ctx *ctx, hs_status code, const char *file, int line,
                             const char *func, const char *fmt, ...) HS_PRINTF(6, 7);

/** Prepends "prefix: " to the current error message (adds the caller's context to a message
 *  from a lower layer, e.g. the config file name). Returns the current error code. */
HS_API hs_status hs_ctx_prefix(hs_ctx *ctx, const char *fmt, ...) HS_PRINTF(2, 3);

/** The last error message ("" when none); valid until the next failure or clear. */
HS_API const char *hs_ctx_message(const hs_ctx *ctx);
HS_API hs_status hs_ctx_code(const hs_ctx *ctx);
/** Source location of the last error ("file:line (func)"), for --verbose diagnostics. */
HS_API const char *hs_ctx_where(const hs_ctx *ctx);
HS_API void hs_ctx_clear(hs_ctx *ctx);

/** Copies the error (code, location and message) of `from` into `to`. */
HS_API void hs_ctx_copy_error(hs_ctx *to, const hs_ctx *from);

/** Logs a message at `level` if the context's level admits it. */
HS_API void hs_log(hs_ctx *ctx, hs_log_level level, const char *fmt, ...) HS_PRINTF(3, 4);

/** Allocation with overflow checking: *out = malloc(n * size), zero-filled, aligned to 64 bytes
 *  (STYLE.md §5). On failure records HS_ERR_NOMEM naming `what`. n == 0 allocates one element
 *  so that the result is never NULL on success. Free with hs_free(). */
HS_NODISCARD HS_API hs_status hs_alloc(hs_ctx *ctx, size_t n, size_t size, const char *what,
                                       void **out);
/** Frees memory from hs_alloc; NULL-safe. */
HS_API void hs_free(void *p);

/** Duplicates a C string (hs_free to release). */
HS_NODISCARD HS_API hs_status hs_strdup(hs_ctx *ctx, const char *s, char **out);

/** Records an error with the caller's location and returns its code. */
#define HS_FAIL(ctx, code, ...) hs_ctx_fail((ctx), (code), __FILE__, __LINE__, __func__, __VA_ARGS__)

/** Returns early when `expr` is not HS_OK, keeping the first message. */
#define HS_TRY(expr)                                                                              \
    do {                                                                                          \
        hs_status hs_try_status_ = (expr);                                                        \
        if (hs_try_status_ != HS_OK) return hs_try_status_;                                       \
    } while (0)

/** Like HS_TRY but jumps to `label` (for cleanup) after storing the status in `st`. */
#define HS_TRY_GOTO(st, expr, label)                                                              \
    do {                                                                                          \
        (st) = (expr);                                                                            \
        if ((st) != HS_OK) goto label;                                                            \
    } while (0)

#define HS_ALLOC_ARRAY(ctx, ptr, n, what) \
    hs_alloc((ctx), (n), sizeof *(ptr), (what), (void **)&(ptr))

#endif /* HS_CORE_CTX_H */
