/* hs_config.h -- the configuration store: flat UPPER_CASE keys from a YAML file (libyaml),
 * `--set KEY=VALUE` overrides, and typed, validated getters driven by a declarative schema.
 *
 * Only this module parses YAML (STYLE.md §6). A config is a top-level mapping whose values are
 * scalars, sequences of scalars, or mappings (whose values are scalars or sequences), which
 * covers docs-interface.md §2 (FORCING_VARIABLES, PARAMETER_BOUNDS: {fc: [50, 500]}, ...).
 * Every value remembers where it came from (file:line or "--set"), so that each error names the
 * file, line and key, the value found and what was expected.
 *
 * The schema is a table with one row per key (name, type, default, bounds or choices, doc), in
 * the spirit of redis' static_configs[]. Drivers register the application's table and each
 * model's option keys; hs_config_warn_unknown() then warns about keys nobody knows, naming the
 * nearest known key. Getters take the default and the bounds from the row, so both are written
 * down once. Not thread-safe: give each thread its own store or read everything up front. */
#ifndef HS_CORE_CONFIG_H
#define HS_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "hs_api.h"
#include "hs_ctx.h"
#include "hs_time.h"

typedef enum hs_config_type {
    HS_CFG_STRING,
    HS_CFG_PATH,   /* a string; relative paths resolve against the config file's directory */
    HS_CFG_INT,    /* integer within [min, max] */
    HS_CFG_DOUBLE, /* real within [min, max] */
    HS_CFG_BOOL,   /* true/false/yes/no/on/off/1/0 */
    HS_CFG_ENUM,   /* one of `choices` ("a|b|c"), case-insensitive */
    HS_CFG_DATE,   /* YYYY-MM-DD */
    HS_CFG_PERIOD, /* "YYYY-MM-DD, YYYY-MM-DD" */
    HS_CFG_LIST,   /* YAML sequence of scalars, or one comma-separated string */
    HS_CFG_MAP     /* YAML mapping */
} hs_config_type;

/** One schema row. `dflt` is text in the key's syntax, or NULL when the key has no default. */
typedef struct hs_config_key {
    const char *name;
    hs_config_type type;
    const char *dflt;
    double min, max;     /* HS_CFG_INT / HS_CFG_DOUBLE bounds (inclusive) */
    const char *choices; /* HS_CFG_ENUM: "a|b|c" */
    const char *doc;
} hs_config_key;

typedef struct hs_config hs_config;

/** Creates an empty config (no file). Free with hs_config_destroy(). */
HS_NODISCARD HS_API hs_status hs_config_create(hs_ctx *ctx, hs_config **out);
/** Parses a YAML file into the store (later keys override earlier ones). Syntax errors name the
 *  file, line and column (HS_ERR_CONFIG); a missing file is HS_ERR_CONFIG too (it is the user's
 *  argument). The read is counted by the I/O profiler. */
HS_NODISCARD HS_API hs_status hs_config_load(hs_config *cfg, const char *path, hs_ctx *ctx);
/** Applies "KEY=VALUE"; VALUE is parsed as a YAML flow value ("[a, b]", "{fc: [1, 2]}", 5). */
HS_NODISCARD HS_API hs_status hs_config_set(hs_config *cfg, const char *assignment, hs_ctx *ctx);
/** NULL-safe; sets *cfg to NULL. */
HS_API void hs_config_destroy(hs_config **cfg);

/** Path of the loaded file ("" when none) and its directory ("." when none). */
HS_API const char *hs_config_path(const hs_config *cfg);
HS_API const char *hs_config_dir(const hs_config *cfg);

/** Registers schema rows (borrowed: the table must outlive the config). Rows registered later
 *  with the same name replace earlier ones. */
HS_NODISCARD HS_API hs_status hs_config_add_schema(hs_config *cfg, const hs_config_key *rows,
                                                   size_t n, hs_ctx *ctx);
/** Logs a warning for every key not in the schema, naming the nearest known key. Returns the
 *  number of unknown keys. */
HS_API size_t hs_config_warn_unknown(const hs_config *cfg, hs_ctx *ctx);
/** The schema row of `key`, or NULL. */
HS_API const hs_config_key *hs_config_schema_row(const hs_config *cfg, const char *key);

/** True when the key is set in the file or by --set (defaults do not count). */
HS_API bool hs_config_has(const hs_config *cfg, const char *key);
/** "file:line" or "--set" for a set key, else "default". */
HS_API const char *hs_config_origin(const hs_config *cfg, const char *key);

/* Typed getters. The key must be in the schema (HS_ERR_INTERNAL otherwise). When the key is not
 * set, the schema default is used; a key without default that is not set gives HS_ERR_CONFIG
 * "<file>: KEY is required (<doc>)". Values are validated against the row. Strings returned
 * are owned by the config and valid until it is destroyed or the key is set again. */
HS_NODISCARD HS_API hs_status hs_config_get_string(const hs_config *cfg, const char *key,
                                                   hs_ctx *ctx, const char **out);
/** HS_CFG_PATH: resolved against the config's directory (absolute paths unchanged). */
HS_NODISCARD HS_API hs_status hs_config_get_path(const hs_config *cfg, const char *key,
                                                 hs_ctx *ctx, char *out, size_t cap);
HS_NODISCARD HS_API hs_status hs_config_get_int(const hs_config *cfg, const char *key,
                                                hs_ctx *ctx, long *out);
HS_NODISCARD HS_API hs_status hs_config_get_double(const hs_config *cfg, const char *key,
                                                   hs_ctx *ctx, double *out);
HS_NODISCARD HS_API hs_status hs_config_get_bool(const hs_config *cfg, const char *key,
                                                 hs_ctx *ctx, bool *out);
/** HS_CFG_ENUM: index of the value in the row's choices; the canonical spelling in *name
 *  (nullable). */
HS_NODISCARD HS_API hs_status hs_config_get_enum(const hs_config *cfg, const char *key,
                                                 hs_ctx *ctx, int *index, const char **name);
HS_NODISCARD HS_API hs_status hs_config_get_date(const hs_config *cfg, const char *key,
                                                 hs_ctx *ctx, hs_day *out);
HS_NODISCARD HS_API hs_status hs_config_get_period(const hs_config *cfg, const char *key,
                                                   hs_ctx *ctx, hs_period *out);
/** HS_CFG_LIST: item strings (borrowed, owned by the config). */
HS_NODISCARD HS_API hs_status hs_config_get_list(const hs_config *cfg, const char *key,
                                                 hs_ctx *ctx, const char *const **items,
                                                 size_t *n);

/** One entry of a HS_CFG_MAP value: a scalar (value != NULL, n_items == 0) or a sequence
 *  (items). Borrowed. */
typedef struct hs_config_entry {
    const char *key;
    const char *value;
    const char *const *items;
    size_t n_items;
} hs_config_entry;

/** HS_CFG_MAP: the entries in file order (borrowed). An unset map without default gives n = 0
 *  with HS_OK when the row's default is "{}" . */
HS_NODISCARD HS_API hs_status hs_config_get_map(const hs_config *cfg, const char *key,
                                                hs_ctx *ctx, const hs_config_entry **entries,
                                                size_t *n);

/** Number of top-level entries (file order, overrides last) and the i-th one when it is a
 *  scalar (HS_ERR_CONFIG naming the key otherwise). For free-form files such as --params. */
HS_API size_t hs_config_n_entries(const hs_config *cfg);
HS_NODISCARD HS_API hs_status hs_config_entry_scalar(const hs_config *cfg, size_t i, hs_ctx *ctx,
                                                     const char **key, const char **value);

/** Parses a real number strictly (whole string; "inf"/"nan" rejected). */
HS_API bool hs_config_parse_double(const char *text, double *out);
/** Levenshtein distance, case-insensitive (for "did you mean"). */
HS_API size_t hs_config_edit_distance(const char *a, const char *b);

#endif /* HS_CORE_CONFIG_H */
