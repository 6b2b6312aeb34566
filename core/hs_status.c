/* hs_status.c -- names and descriptions of hs_status codes, generated from HS_STATUS_LIST. */
#include "hs_status.h"

const char *hs_status_str(hs_status status) {
    switch (status) {
#define HS_STATUS_TEXT_(code, text) \
    case code: return text;
        HS_STATUS_LIST(HS_STATUS_TEXT_)
#undef HS_STATUS_TEXT_
    default: return "unknown status";
    }
}

const char *hs_status_name(hs_status status) {
    switch (status) {
#define HS_STATUS_NAME_(code, text) \
    case code: return #code;
        HS_STATUS_LIST(HS_STATUS_NAME_)
#undef HS_STATUS_NAME_
    default: return "HS_ERR_UNKNOWN";
    }
}
