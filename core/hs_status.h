/* hs_status.h -- the one status enum of hydroscale.
 *
 * Every fallible function returns hs_status; HS_OK is 0. The codes are coarse on purpose: the
 * detail lives in the message stored in the hs_ctx (hs_ctx.h). The enum and hs_status_str()
 * come from one X-macro list so that they cannot drift (SUNDIALS' SUN_ERR_CODE_LIST). */
#ifndef HS_CORE_STATUS_H
#define HS_CORE_STATUS_H

#include "hs_api.h"

#define HS_STATUS_LIST(X)                                                       \
    X(HS_OK, "ok")                                                              \
    X(HS_ERR_ARG, "invalid argument")                                           \
    X(HS_ERR_NOMEM, "out of memory")                                            \
    X(HS_ERR_IO, "input/output error")                                          \
    X(HS_ERR_FORMAT, "bad data format")                                         \
    X(HS_ERR_CONFIG, "configuration error")                                     \
    X(HS_ERR_NUMERIC, "numerical failure")                                      \
    X(HS_ERR_MPI, "MPI error")                                                  \
    X(HS_ERR_EXTERNAL, "external library error")                                \
    X(HS_ERR_INTERNAL, "internal error")

typedef enum hs_status {
#define HS_STATUS_ENUM_(code, text) code,
    HS_STATUS_LIST(HS_STATUS_ENUM_)
#undef HS_STATUS_ENUM_
        HS_STATUS_COUNT_
} hs_status;

/** Short English description of a status code; never NULL. Thread-safe. */
HS_API const char *hs_status_str(hs_status status);

/** Name of the enum constant ("HS_ERR_IO"); never NULL. Thread-safe. */
HS_API const char *hs_status_name(hs_status status);

#endif /* HS_CORE_STATUS_H */
