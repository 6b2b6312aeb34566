/* hs_exec.c -- OpenMP behind hs_exec.h; the only file of hydroscale that includes omp.h. */
#include "hs_exec.h"

#include <stdlib.h>

#if defined(HS_HAVE_OPENMP)
#include <omp.h>
#endif

bool hs_exec_has_threads(void) {
#if defined(HS_HAVE_OPENMP)
    return true;
#else
    return false;
#endif
}

int hs_exec_num_procs(void) {
#if defined(HS_HAVE_OPENMP)
    return omp_get_num_procs();
#else
    return 1;
#endif
}

int hs_exec_thread_id(void) {
#if defined(HS_HAVE_OPENMP)
    return omp_get_thread_num();
#else
    return 0;
#endif
}

void hs_exec_set_nesting(int levels) {
#if defined(HS_HAVE_OPENMP)
    omp_set_max_active_levels(levels < 1 ? 1 : levels);
#else
    (void)levels;
#endif
}

hs_status hs_exec_chunks(size_t n_chunks, int n_threads, bool dynamic, hs_exec_chunk_fn fn,
                         void *user, hs_ctx **ctxs) {
    if (n_chunks == 0) return HS_OK;
    if (n_threads < 1) n_threads = 1;
    if ((size_t)n_threads > n_chunks) n_threads = (int)n_chunks;
    /* the lowest failing chunk wins, whatever the order in which threads hit failures */
    size_t first_fail = n_chunks;
    hs_status fail_status = HS_OK;
    /* a thread's context holds only its latest failure: the lowest chunk's message is copied
     * aside when it is recorded (allocated on the failure path only) */
    hs_ctx *first_msg = NULL;
#if defined(HS_HAVE_OPENMP)
    if (n_threads > 1) {
        const long n = (long)n_chunks;
#pragma omp parallel num_threads(n_threads) default(none) \
    shared(n, dynamic, fn, user, ctxs, first_fail, fail_status, first_msg)
        {
            const int tid = omp_get_thread_num();
            if (dynamic) {
#pragma omp for schedule(dynamic, 1)
                for (long c = 0; c < n; c++) {
                    hs_status st = fn(user, (size_t)c, tid, ctxs[tid]);
                    if (st != HS_OK) {
#pragma omp critical(hs_exec_fail)
                        if ((size_t)c < first_fail) {
                            first_fail = (size_t)c;
                            fail_status = st;
                            if (!first_msg) first_msg = hs_ctx_create();
                            if (first_msg) hs_ctx_copy_error(first_msg, ctxs[tid]);
                        }
                    }
                }
            } else {
#pragma omp for schedule(static)
                for (long c = 0; c < n; c++) {
                    hs_status st = fn(user, (size_t)c, tid, ctxs[tid]);
                    if (st != HS_OK) {
#pragma omp critical(hs_exec_fail)
                        if ((size_t)c < first_fail) {
                            first_fail = (size_t)c;
                            fail_status = st;
                            if (!first_msg) first_msg = hs_ctx_create();
                            if (first_msg) hs_ctx_copy_error(first_msg, ctxs[tid]);
                        }
                    }
                }
            }
        }
        if (first_msg) {
            hs_ctx_copy_error(ctxs[0], first_msg);
            hs_ctx_destroy(&first_msg);
        }
        return fail_status;
    }
#else
    (void)dynamic;
#endif
    for (size_t c = 0; c < n_chunks; c++) {
        hs_status st = fn(user, c, 0, ctxs[0]);
        if (st != HS_OK) return st;
    }
    (void)first_fail;
    (void)first_msg;
    return fail_status;
}

void hs_exec_team(int n_threads, hs_exec_team_fn fn, void *user) {
    if (n_threads < 1) n_threads = 1;
#if defined(HS_HAVE_OPENMP)
    if (n_threads > 1) {
#pragma omp parallel num_threads(n_threads) default(none) shared(fn, user)
        fn(user, omp_get_thread_num(), omp_get_num_threads());
        return;
    }
#endif
    fn(user, 0, 1);
}

struct hs_exec_lock {
#if defined(HS_HAVE_OPENMP)
    omp_lock_t lock;
#else
    int unused;
#endif
};

hs_status hs_exec_lock_create(hs_ctx *ctx, hs_exec_lock **out) {
    hs_exec_lock *l = NULL;
    HS_TRY(hs_alloc(ctx, 1, sizeof *l, "lock", (void **)&l));
#if defined(HS_HAVE_OPENMP)
    omp_init_lock(&l->lock);
#endif
    *out = l;
    return HS_OK;
}

void hs_exec_lock_destroy(hs_exec_lock **lock) {
    if (!lock || !*lock) return;
#if defined(HS_HAVE_OPENMP)
    omp_destroy_lock(&(*lock)->lock);
#endif
    hs_free(*lock);
    *lock = NULL;
}

void hs_exec_lock_acquire(hs_exec_lock *lock) {
#if defined(HS_HAVE_OPENMP)
    omp_set_lock(&lock->lock);
#else
    (void)lock;
#endif
}

void hs_exec_lock_release(hs_exec_lock *lock) {
#if defined(HS_HAVE_OPENMP)
    omp_unset_lock(&lock->lock);
#else
    (void)lock;
#endif
}
