/* hs_mpi.h -- the one place where MPI is called (STYLE.md §7).
 *
 * Built with MPI when the CMake option HS_ENABLE_MPI is on (the default when OpenMPI is found);
 * otherwise every function is a stub that reports "not built with MPI", so callers need no
 * #ifdef. Messages are arrays of doubles with a tag: parameter vectors go out and objectives come
 * back as MPI messages, never as files. Rank 0 coordinates. */
#ifndef HS_CORE_MPI_H
#define HS_CORE_MPI_H

#include <stdbool.h>

#include "hs_api.h"
#include "hs_ctx.h"

/** True when hydroscale was built with MPI. */
HS_API bool hs_mpi_built(void);
/** World size announced by an MPI launcher through its environment (OMPI_COMM_WORLD_SIZE,
 *  PMI_SIZE, PMIX_SIZE, MPI_LOCALNRANKS), or 0 when none is set. Needs no MPI_Init. */
HS_API int hs_mpi_launcher_size(void);
/** Initialises MPI (thread level FUNNELED) if built with MPI and not yet initialised. */
HS_NODISCARD HS_API hs_status hs_mpi_init(hs_ctx *ctx);
/** True when MPI has been initialised (and not finalised). */
HS_API bool hs_mpi_is_active(void);
/** Rank and size in MPI_COMM_WORLD (0 and 1 when MPI is not active). */
HS_API int hs_mpi_rank(void);
HS_API int hs_mpi_size(void);
/** Finalises MPI if it is active. */
HS_API void hs_mpi_finalize(void);
/** Stops every rank (MPI_Abort) when MPI is active; returns otherwise. */
HS_API void hs_mpi_abort(int code);
/** Rank 0 says that every other rank has been told to stop with no work left in flight, so none
 *  waits for a message any more: an error on rank 0 after that (an interruption with its
 *  checkpoint written) can end the job with MPI_Finalize on every rank instead of MPI_Abort.
 *  Open MPI 4.1's abort races with ranks already inside MPI_Finalize and hung the job about once
 *  in 200 interrupted runs (tests/drivers/tiers.sh, mpi 3). */
HS_API void hs_mpi_note_peers_released(void);
/** Whether hs_mpi_note_peers_released() was called in this process. */
HS_API bool hs_mpi_peers_released(void);

/** Any source or tag for hs_mpi_recv(). */
#define HS_MPI_ANY (-1)

/** Blocking send of n doubles to `dest` with `tag`. */
HS_NODISCARD HS_API hs_status hs_mpi_send(int dest, int tag, const double *buf, int n,
                                          hs_ctx *ctx);
/** Blocking receive of up to n doubles; src/tag may be HS_MPI_ANY. Reports the actual source
 *  and tag (nullable outputs). */
HS_NODISCARD HS_API hs_status hs_mpi_recv(int src, int tag, double *buf, int n, int *src_out,
                                          int *tag_out, hs_ctx *ctx);
/** Whether a message with `tag` (HS_MPI_ANY: any) from any source is waiting to be received
 *  (MPI_Iprobe); never blocks. */
HS_NODISCARD HS_API hs_status hs_mpi_probe(int tag, bool *ready, hs_ctx *ctx);
/** Barrier over MPI_COMM_WORLD. */
HS_NODISCARD HS_API hs_status hs_mpi_barrier(hs_ctx *ctx);
/** Logical AND of `ok` over all ranks (to agree that every rank is ready). */
HS_NODISCARD HS_API hs_status hs_mpi_all_ok(bool ok, bool *all_ok, hs_ctx *ctx);

#endif /* HS_CORE_MPI_H */
