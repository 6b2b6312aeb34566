/* hs_io.h -- core's file wrappers and the I/O profiler.
 *
 * Every byte the program reads or writes is counted (bytes and operations), so that a run can
 * show that no file I/O happens inside the calibration loop (SYMFLUENCE's I/O profiler role).
 * Plain files go through the wrappers below; modules that call netCDF or GDAL count at the
 * boundary of each call with hs_io_count_read()/hs_io_count_write(). The counters live in an
 * hs_ioprof attached to the context (hs_ctx_set_ioprof); they are atomic, so contexts of several
 * threads may share one profiler. Without a profiler nothing is counted.
 *
 * Outputs are never half-written (STYLE.md §5): hs_io_writer writes to a temporary file beside
 * the target and renames it into place on hs_io_writer_commit(); hs_io_writer_abort() (or
 * destroying an uncommitted writer) removes the temporary file. */
#ifndef HS_CORE_IO_H
#define HS_CORE_IO_H

#include <stdint.h>
#include <stddef.h>

#include "hs_api.h"
#include "hs_ctx.h"

typedef struct hs_io_counts {
    uint64_t read_bytes;
    uint64_t write_bytes;
    uint64_t read_ops;
    uint64_t write_ops;
} hs_io_counts;

/** Creates a zeroed profiler; NULL when out of memory. Free with hs_ioprof_destroy(). */
HS_API hs_ioprof *hs_ioprof_create(void);
HS_API void hs_ioprof_destroy(hs_ioprof **prof);
/** Snapshot of the counters. Thread-safe. */
HS_API hs_io_counts hs_ioprof_get(const hs_ioprof *prof);

/** Counts a read/write done outside the wrappers (netCDF, GDAL, libyaml). Thread-safe. */
HS_API void hs_io_count_read(hs_ctx *ctx, uint64_t bytes, uint64_t ops);
HS_API void hs_io_count_write(hs_ctx *ctx, uint64_t bytes, uint64_t ops);

/** Reads a whole file into a NUL-terminated buffer (*out, length *len without the NUL).
 *  Free *out with hs_free(). HS_ERR_IO names the path and the system's reason. */
HS_NODISCARD HS_API hs_status hs_io_read_file(hs_ctx *ctx, const char *path, char **out,
                                              size_t *len);

/** True if `path` exists and is a regular file. */
HS_API int hs_io_is_file(const char *path);

/** Creates a directory and its parents (mode 0755); existing directories are fine. */
HS_NODISCARD HS_API hs_status hs_io_mkdirs(hs_ctx *ctx, const char *path);

/** Joins `dir` and `name` into `out` (size `cap`); a `name` that is absolute is copied as is. */
HS_NODISCARD HS_API hs_status hs_io_path_join(hs_ctx *ctx, const char *dir, const char *name,
                                              char *out, size_t cap);

/** Writes the directory part of `path` into `out` ("." when there is none). */
HS_API void hs_io_dirname(const char *path, char *out, size_t cap);

typedef struct hs_io_writer hs_io_writer;

/** Opens a temporary file beside `path` for writing (parent directories are created).
 *  Nothing appears at `path` until hs_io_writer_commit(). */
HS_NODISCARD HS_API hs_status hs_io_writer_open(hs_ctx *ctx, const char *path,
                                                hs_io_writer **out);
/** Appends bytes (buffered). */
HS_NODISCARD HS_API hs_status hs_io_writer_write(hs_io_writer *w, const void *data, size_t n);
/** Appends formatted text. */
HS_NODISCARD HS_API hs_status hs_io_writer_printf(hs_io_writer *w, const char *fmt, ...)
    HS_PRINTF(2, 3);
/** Flushes, fsyncs and renames the temporary file onto the target; frees the writer and sets
 *  *w to NULL whatever the outcome (on failure the temporary file is removed). */
HS_NODISCARD HS_API hs_status hs_io_writer_commit(hs_io_writer **w);
/** Removes the temporary file and frees the writer; NULL-safe. */
HS_API void hs_io_writer_abort(hs_io_writer **w);
/** The temporary path being written (for libraries that must write the file themselves, such as
 *  netCDF: open the temp path, close it, then commit). */
HS_API const char *hs_io_writer_temp_path(const hs_io_writer *w);

/** Reserves a temporary name beside `path` for a file written by an external library (netCDF,
 *  gnuplot): writes "<dir>/.<name>.tmp.<pid>.<n>" into `tmp`. Use hs_io_rename_into_place()
 *  when it is complete, or remove(tmp) on failure. */
HS_NODISCARD HS_API hs_status hs_io_temp_name(hs_ctx *ctx, const char *path, char *tmp,
                                              size_t cap);
/** Renames a finished temporary file onto `path` (atomic on POSIX file systems). */
HS_NODISCARD HS_API hs_status hs_io_rename_into_place(hs_ctx *ctx, const char *tmp,
                                                      const char *path);

#endif /* HS_CORE_IO_H */
