/* hs_mpi.c -- MPI behind hs_mpi.h (or stubs without MPI). Errors are wrapped once, here, with
 * MPI_Error_string's text. */
#include "hs_mpi.h"

#include <stdlib.h>

#if defined(HS_HAVE_MPI)
#include <mpi.h>
#endif

bool hs_mpi_built(void) {
#if defined(HS_HAVE_MPI)
    return true;
#else
    return false;
#endif
}

int hs_mpi_launcher_size(void) {
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE",
                                       "MPI_LOCALNRANKS"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v) return atoi(v);
    }
    return 0;
}

/* process-wide, like MPI's own state; only rank 0's main thread writes it */
static bool peers_released;

void hs_mpi_note_peers_released(void) { peers_released = true; }

bool hs_mpi_peers_released(void) { return peers_released; }

#if defined(HS_HAVE_MPI)

static hs_status mpi_fail(hs_ctx *ctx, int rc, const char *what) {
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS) text[0] = '\0';
    return HS_FAIL(ctx, HS_ERR_MPI, "MPI: %s failed: %s", what, text);
}

hs_status hs_mpi_init(hs_ctx *ctx) {
    int inited = 0;
    MPI_Initialized(&inited);
    if (inited) return HS_OK;
    int provided = 0;
    int rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    if (rc != MPI_SUCCESS) return mpi_fail(ctx, rc, "MPI_Init_thread");
    /* errors come back as codes, so a failing rank can say what happened before aborting */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    return HS_OK;
}

bool hs_mpi_is_active(void) {
    int inited = 0, finalized = 0;
    MPI_Initialized(&inited);
    MPI_Finalized(&finalized);
    return inited && !finalized;
}

int hs_mpi_rank(void) {
    if (!hs_mpi_is_active()) return 0;
    int r = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    return r;
}

int hs_mpi_size(void) {
    if (!hs_mpi_is_active()) return 1;
    int s = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &s);
    return s;
}

void hs_mpi_finalize(void) {
    if (hs_mpi_is_active()) MPI_Finalize();
}

void hs_mpi_abort(int code) {
    if (hs_mpi_is_active()) MPI_Abort(MPI_COMM_WORLD, code);
}

hs_status hs_mpi_send(int dest, int tag, const double *buf, int n, hs_ctx *ctx) {
    int rc = MPI_Send(buf, n, MPI_DOUBLE, dest, tag, MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? HS_OK : mpi_fail(ctx, rc, "MPI_Send");
}

hs_status hs_mpi_recv(int src, int tag, double *buf, int n, int *src_out, int *tag_out,
                      hs_ctx *ctx) {
    MPI_Status status;
    int rc = MPI_Recv(buf, n, MPI_DOUBLE, src == HS_MPI_ANY ? MPI_ANY_SOURCE : src,
                      tag == HS_MPI_ANY ? MPI_ANY_TAG : tag, MPI_COMM_WORLD, &status);
    if (rc != MPI_SUCCESS) return mpi_fail(ctx, rc, "MPI_Recv");
    if (src_out) *src_out = status.MPI_SOURCE;
    if (tag_out) *tag_out = status.MPI_TAG;
    return HS_OK;
}

hs_status hs_mpi_probe(int tag, bool *ready, hs_ctx *ctx) {
    int flag = 0;
    int rc = MPI_Iprobe(MPI_ANY_SOURCE, tag == HS_MPI_ANY ? MPI_ANY_TAG : tag, MPI_COMM_WORLD,
                        &flag, MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS) return mpi_fail(ctx, rc, "MPI_Iprobe");
    *ready = flag != 0;
    return HS_OK;
}

hs_status hs_mpi_barrier(hs_ctx *ctx) {
    int rc = MPI_Barrier(MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? HS_OK : mpi_fail(ctx, rc, "MPI_Barrier");
}

hs_status hs_mpi_all_ok(bool ok, bool *all_ok, hs_ctx *ctx) {
    int mine = ok ? 1 : 0, all = 0;
    int rc = MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) return mpi_fail(ctx, rc, "MPI_Allreduce");
    *all_ok = all != 0;
    return HS_OK;
}

#else /* no MPI */

static hs_status no_mpi(hs_ctx *ctx) {
    return HS_FAIL(ctx, HS_ERR_MPI,
                   "this hydroscale was built without MPI (configure with -DHS_ENABLE_MPI=ON and "
                   "OpenMPI installed)");
}

hs_status hs_mpi_init(hs_ctx *ctx) { return no_mpi(ctx); }
bool hs_mpi_is_active(void) { return false; }
int hs_mpi_rank(void) { return 0; }
int hs_mpi_size(void) { return 1; }
void hs_mpi_finalize(void) {}
void hs_mpi_abort(int code) { (void)code; }
hs_status hs_mpi_send(int dest, int tag, const double *buf, int n, hs_ctx *ctx) {
    (void)dest, (void)tag, (void)buf, (void)n;
    return no_mpi(ctx);
}
hs_status hs_mpi_recv(int src, int tag, double *buf, int n, int *src_out, int *tag_out,
                      hs_ctx *ctx) {
    (void)src, (void)tag, (void)buf, (void)n, (void)src_out, (void)tag_out;
    return no_mpi(ctx);
}
hs_status hs_mpi_probe(int tag, bool *ready, hs_ctx *ctx) {
    (void)tag;
    *ready = false;
    return no_mpi(ctx);
}
hs_status hs_mpi_barrier(hs_ctx *ctx) { return no_mpi(ctx); }
hs_status hs_mpi_all_ok(bool ok, bool *all_ok, hs_ctx *ctx) {
    *all_ok = ok;
    return no_mpi(ctx);
}

#endif
