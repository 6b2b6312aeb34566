/* hs_exec.h -- the shared-memory executor: OpenMP threads behind a small C API.
 *
 * STYLE.md §7: parallelism stays at the edges and omp.h appears in hs_exec.c only. Two patterns:
 *  - hs_exec_chunks(): a static loop over a fixed number of chunks (HRU ranges, batch candidates).
 *    The chunking never depends on the thread count, and each chunk reports its own status; the
 *    failure reported is the one of the lowest chunk, so errors (like results) are the same for
 *    any number of threads.
 *  - hs_exec_team(): n threads each run a function until it returns (the asynchronous DDS
 *    workers), with a lock (hs_exec_lock) for the shared coordinator state.
 * Without OpenMP (HS_ENABLE_OPENMP=OFF) everything runs on the calling thread and the lock is a
 * no-op. Nested parallelism (candidate workers x HRU threads) is enabled by
 * hs_exec_set_nesting(). */
#ifndef HS_CORE_EXEC_H
#define HS_CORE_EXEC_H

#include <stdbool.h>
#include <stddef.h>

#include "hs_api.h"
#include "hs_ctx.h"

/** True when the library was built with OpenMP. */
HS_API bool hs_exec_has_threads(void);
/** Number of processors available to this process (OpenMP's omp_get_num_procs, or 1). */
HS_API int hs_exec_num_procs(void);
/** Index of the calling thread within the innermost team (0 outside any team). */
HS_API int hs_exec_thread_id(void);
/** Allows two levels of parallel regions (workers, then HRU threads inside an evaluation). */
HS_API void hs_exec_set_nesting(int levels);

/** Per-chunk work: returns HS_OK or a failure recorded in `ctx` (one context per thread). */
typedef hs_status (*hs_exec_chunk_fn)(void *user, size_t chunk, int thread, hs_ctx *ctx);

/** Runs fn(user, c, thread, ctx_of_thread) for c = 0 .. n_chunks-1 on `n_threads` threads
 *  (schedule: `dynamic` true for load balancing, false for a static split). `ctxs` holds one
 *  context per thread (ctxs[0] may be the caller's). Returns HS_OK, or the status of the lowest
 *  failing chunk with its message copied into ctxs[0]. Chunks after a failure may still run. */
HS_NODISCARD HS_API hs_status hs_exec_chunks(size_t n_chunks, int n_threads, bool dynamic,
                                             hs_exec_chunk_fn fn, void *user, hs_ctx **ctxs);

/** A team function: runs on thread `thread` of `n_threads` until it returns. */
typedef void (*hs_exec_team_fn)(void *user, int thread, int n_threads);
/** Runs fn on n_threads threads at once and waits for all of them. */
HS_API void hs_exec_team(int n_threads, hs_exec_team_fn fn, void *user);

typedef struct hs_exec_lock hs_exec_lock;
/** A mutex for team functions. Free with hs_exec_lock_destroy(). */
HS_NODISCARD HS_API hs_status hs_exec_lock_create(hs_ctx *ctx, hs_exec_lock **out);
HS_API void hs_exec_lock_destroy(hs_exec_lock **lock);
HS_API void hs_exec_lock_acquire(hs_exec_lock *lock);
HS_API void hs_exec_lock_release(hs_exec_lock *lock);

#endif /* HS_CORE_EXEC_H */
