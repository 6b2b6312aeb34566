/* test_exec.c -- the shared-memory executor: every chunk runs once whatever the thread count,
 * the failure reported is the lowest failing chunk's (the same message for any thread count),
 * and a team runs its function on every thread with a working lock. */
#include <stdlib.h>
#include <string.h>

#include "hs_exec.h"
#include "hs_test.h"

typedef struct job {
    int hits[100];
    long fail_from; /* chunks >= this fail (-1: none) */
} job;

static hs_status chunk(void *user, size_t c, int thread, hs_ctx *ctx) {
    (void)thread;
    job *j = user;
    j->hits[c]++;
    if (j->fail_from >= 0 && (long)c >= j->fail_from && c % 7 == 3)
        return HS_FAIL(ctx, HS_ERR_NUMERIC, "chunk %zu failed", c);
    return HS_OK;
}

typedef struct team {
    hs_exec_lock *lock;
    long counter;
    int seen[8];
} team;

static void member(void *user, int thread, int n) {
    team *t = user;
    for (int i = 0; i < 10000; i++) {
        hs_exec_lock_acquire(t->lock);
        t->counter++;
        hs_exec_lock_release(t->lock);
    }
    if (thread < 8 && n <= 8) t->seen[thread] = 1;
}

int main(void) {
    hs_ctx *ctxs[4];
    for (int i = 0; i < 4; i++) ctxs[i] = hs_ctx_create();
    for (int threads = 1; threads <= 4; threads++) {
        for (int dyn = 0; dyn < 2; dyn++) {
            job j;
            memset(&j, 0, sizeof j);
            j.fail_from = -1;
            HS_CHECK_INT(hs_exec_chunks(100, threads, dyn, chunk, &j, ctxs), HS_OK);
            int all_once = 1;
            for (int c = 0; c < 100; c++) all_once &= j.hits[c] == 1;
            HS_CHECK(all_once);
            memset(&j, 0, sizeof j);
            j.fail_from = 20; /* chunks 24, 31, 38, ... fail: 24 is reported */
            hs_ctx_clear(ctxs[0]);
            HS_CHECK_INT(hs_exec_chunks(100, threads, dyn, chunk, &j, ctxs), HS_ERR_NUMERIC);
            HS_CHECK_STR_CONTAINS(hs_ctx_message(ctxs[0]), "chunk 24 failed");
        }
    }
    HS_CHECK_INT(hs_exec_chunks(0, 2, false, chunk, NULL, ctxs), HS_OK);
    team t;
    memset(&t, 0, sizeof t);
    HS_CHECK_INT(hs_exec_lock_create(ctxs[0], &t.lock), HS_OK);
    const int n = hs_exec_has_threads() ? 3 : 1;
    hs_exec_team(n, member, &t);
    HS_CHECK_INT(t.counter, 10000L * n);
    for (int i = 0; i < n; i++) HS_CHECK(t.seen[i]);
    hs_exec_lock_destroy(&t.lock);
    HS_CHECK(t.lock == NULL);
    HS_CHECK(hs_exec_num_procs() >= 1);
    for (int i = 0; i < 4; i++) hs_ctx_destroy(&ctxs[i]);
    HS_TEST_REPORT();
}
