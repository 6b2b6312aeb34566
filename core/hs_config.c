/* hs_config.c -- YAML config store with schema-driven typed getters (see hs_config.h).
 *
 * libyaml's document API loads the file into a node graph; we copy what we need into an arena
 * owned by the store (one free for everything) and forget the document. Overrides append a new
 * entry; lookups take the last entry of a name, so `--set` wins over the file. */
#define _POSIX_C_SOURCE 200809L
#include "hs_config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "hs_io.h"

enum node_kind { NODE_NULL, NODE_SCALAR, NODE_SEQ, NODE_MAP };

typedef struct cfg_entry {
    const char *key;
    enum node_kind kind;
    const char *scalar;
    const char *const *items; /* NODE_SEQ */
    size_t n_items;
    const hs_config_entry *map; /* NODE_MAP */
    size_t n_map;
    const char *origin; /* "file.yaml:12" or "--set" */
} cfg_entry;

typedef struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    max_align_t data[]; /* aligned storage */
} arena_block;

struct hs_config {
    arena_block *arena;
    cfg_entry *entries;
    size_t n_entries, cap_entries;
    const hs_config_key **schema;
    size_t n_schema, cap_schema;
    char path[4096];
    char dir[4096];
};

/* ---- arena ----------------------------------------------------------------------------------*/

static void *arena_alloc(hs_config *cfg, size_t n) {
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    if (n == 0) n = sizeof(max_align_t);
    arena_block *b = cfg->arena;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > 16384 ? n : 16384;
        b = malloc(sizeof *b + cap);
        if (!b) return NULL;
        b->cap = cap;
        b->used = 0;
        b->next = cfg->arena;
        cfg->arena = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

static const char *arena_strdup(hs_config *cfg, const char *s) {
    size_t n = strlen(s) + 1;
    char *p = arena_alloc(cfg, n);
    if (p) memcpy(p, s, n);
    return p;
}

/* ---- lifecycle ------------------------------------------------------------------------------*/

hs_status hs_config_create(hs_ctx *ctx, hs_config **out) {
    hs_config *cfg = calloc(1, sizeof *cfg);
    if (!cfg) return HS_FAIL(ctx, HS_ERR_NOMEM, "cannot allocate the config store");
    strcpy(cfg->dir, ".");
    *out = cfg;
    return HS_OK;
}

void hs_config_destroy(hs_config **cfgp) {
    if (!cfgp || !*cfgp) return;
    hs_config *cfg = *cfgp;
    for (arena_block *b = cfg->arena; b;) {
        arena_block *next = b->next;
        free(b);
        b = next;
    }
    free(cfg->entries);
    free(cfg->schema);
    free(cfg);
    *cfgp = NULL;
}

const char *hs_config_path(const hs_config *cfg) { return cfg->path; }
const char *hs_config_dir(const hs_config *cfg) { return cfg->dir; }

static hs_status push_entry(hs_config *cfg, const cfg_entry *e, hs_ctx *ctx) {
    if (cfg->n_entries == cfg->cap_entries) {
        size_t cap = cfg->cap_entries ? 2 * cfg->cap_entries : 64;
        cfg_entry *p = realloc(cfg->entries, cap * sizeof *p);
        if (!p) return HS_FAIL(ctx, HS_ERR_NOMEM, "config: out of memory");
        cfg->entries = p;
        cfg->cap_entries = cap;
    }
    cfg->entries[cfg->n_entries++] = *e;
    return HS_OK;
}

/* ---- YAML -> entries ------------------------------------------------------------------------*/

static bool is_null_scalar(const yaml_node_t *n) {
    if (n->type != YAML_SCALAR_NODE) return false;
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return false;
    const char *v = (const char *)n->data.scalar.value;
    return v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
           strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

static hs_status convert_seq(hs_config *cfg, yaml_document_t *doc, yaml_node_t *node,
                             const char *where, const char *key, const char *const **items,
                             size_t *n_items, hs_ctx *ctx) {
    size_t n = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
    const char **arr = arena_alloc(cfg, (n + 1) * sizeof *arr);
    if (!arr) return HS_FAIL(ctx, HS_ERR_NOMEM, "config: out of memory");
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *it = yaml_document_get_node(doc, node->data.sequence.items.start[i]);
        if (!it || it->type != YAML_SCALAR_NODE)
            return HS_FAIL(ctx, HS_ERR_CONFIG,
                           "%s:%lu: %s: item %zu of the list must be a single value", where,
                           (unsigned long)(it ? it->start_mark.line + 1 : 0), key, i + 1);
        arr[i] = arena_strdup(cfg, (const char *)it->data.scalar.value);
        if (!arr[i]) return HS_FAIL(ctx, HS_ERR_NOMEM, "config: out of memory");
    }
    *items = arr;
    *n_items = n;
    return HS_OK;
}

/* Fills e (key, kind and value) from a YAML node. */
static hs_status convert_value(hs_config *cfg, yaml_document_t *doc, yaml_node_t *node,
                               const char *where, const char *key, cfg_entry *e, hs_ctx *ctx) {
    e->key = arena_strdup(cfg, key);
    if (!e->key) return HS_FAIL(ctx, HS_ERR_NOMEM, "config: out of memory");
    if (is_null_scalar(node)) {
        e->kind = NODE_NULL;
        return HS_OK;
    }
    switch (node->type) {
    case YAML_SCALAR_NODE:
        e->kind = NODE_SCALAR;
        e->scalar = arena_strdup(cfg, (const char *)node->data.scalar.value);
        if (!e->scalar) return HS_FAIL(ctx, HS_ERR_NOMEM, "config: out of memory");
        return HS_OK;
    case YAML_SEQUENCE_NODE:
        e->kind = NODE_SEQ;
        return convert_seq(cfg, doc, node, where, key, &e->items, &e->n_items, ctx);
    case YAML_MAPPING_NODE: {
        e->kind = NODE_MAP;
        size_t n = (size_t)(node->data.mapping.pairs.top - node->data.mapping.pairs.start);
        hs_config_entry *map = arena_alloc(cfg, (n + 1) * sizeof *map);
        if (!map) return HS_FAIL(ctx, HS_ERR_NOMEM, "config: out of memory");
        for (size_t i = 0; i < n; i++) {
            yaml_node_pair_t *pair = &node->data.mapping.pairs.start[i];
            yaml_node_t *k = yaml_document_get_node(doc, pair->key);
            yaml_node_t *v = yaml_document_get_node(doc, pair->value);
            if (!k || k->type != YAML_SCALAR_NODE)
                return HS_FAIL(ctx, HS_ERR_CONFIG, "%s:%lu: %s: map keys must be plain names",
                               where, (unsigned long)(node->start_mark.line + 1), key);
            map[i].key = arena_strdup(cfg, (const char *)k->data.scalar.value);
            if (v->type == YAML_SCALAR_NODE) {
                map[i].value = arena_strdup(cfg, (const char *)v->data.scalar.value);
            } else if (v->type == YAML_SEQUENCE_NODE) {
                HS_TRY(convert_seq(cfg, doc, v, where, key, &map[i].items, &map[i].n_items, ctx));
            } else {
                return HS_FAIL(ctx, HS_ERR_CONFIG,
                               "%s:%lu: %s: '%s' must be a value or a list, not a map", where,
                               (unsigned long)(v->start_mark.line + 1), key, map[i].key);
            }
        }
        e->map = map;
        e->n_map = n;
        return HS_OK;
    }
    default:
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: %s: unsupported YAML node", where, key);
    }
}

static hs_status yaml_error(const yaml_parser_t *p, const char *label, hs_ctx *ctx) {
    const yaml_mark_t *m = p->problem ? &p->problem_mark : &p->context_mark;
    /* libyaml finds an unclosed bracket where the next token is, often a line later: name the
     * line where the construct it was parsing started too */
    char started[64] = "";
    if (p->context && p->problem)
        snprintf(started, sizeof started, " started at line %lu, column %lu",
                 (unsigned long)p->context_mark.line + 1,
                 (unsigned long)p->context_mark.column + 1);
    return HS_FAIL(ctx, HS_ERR_CONFIG, "%s:%lu:%lu: YAML syntax error: %s%s%s%s", label,
                   (unsigned long)m->line + 1, (unsigned long)m->column + 1,
                   p->problem ? p->problem : "unknown problem", p->context ? " " : "",
                   p->context ? p->context : "", started);
}

hs_status hs_config_load(hs_config *cfg, const char *path, hs_ctx *ctx) {
    if (!hs_io_is_file(path))
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: config file not found (or not a regular file)",
                       path);
    char *text = NULL;
    size_t len = 0;
    hs_status st = hs_io_read_file(ctx, path, &text, &len);
    if (st != HS_OK) return HS_ERR_CONFIG;
    snprintf(cfg->path, sizeof cfg->path, "%s", path);
    hs_io_dirname(path, cfg->dir, sizeof cfg->dir);

    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        st = yaml_error(&parser, path, ctx);
        yaml_parser_delete(&parser);
        hs_free(text);
        return st;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) {
        st = HS_FAIL(ctx, HS_ERR_CONFIG, "%s: the file is empty; expected KEY: value lines",
                     path);
    } else if (root->type != YAML_MAPPING_NODE) {
        st = HS_FAIL(ctx, HS_ERR_CONFIG, "%s:%lu: expected a mapping of KEY: value at the top",
                     path, (unsigned long)root->start_mark.line + 1);
    } else {
        for (yaml_node_pair_t *pair = root->data.mapping.pairs.start;
             st == HS_OK && pair < root->data.mapping.pairs.top; pair++) {
            yaml_node_t *k = yaml_document_get_node(&doc, pair->key);
            yaml_node_t *v = yaml_document_get_node(&doc, pair->value);
            if (!k || k->type != YAML_SCALAR_NODE) {
                st = HS_FAIL(ctx, HS_ERR_CONFIG, "%s:%lu: keys must be plain names", path,
                             (unsigned long)(k ? k->start_mark.line + 1 : 0));
                break;
            }
            char where[4200];
            snprintf(where, sizeof where, "%s:%lu", path, (unsigned long)k->start_mark.line + 1);
            cfg_entry e;
            memset(&e, 0, sizeof e);
            st = convert_value(cfg, &doc, v, path, (const char *)k->data.scalar.value, &e, ctx);
            if (st != HS_OK) break;
            e.origin = arena_strdup(cfg, where);
            st = push_entry(cfg, &e, ctx);
        }
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    hs_free(text);
    return st;
}

hs_status hs_config_set(hs_config *cfg, const char *assignment, hs_ctx *ctx) {
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment)
        return HS_FAIL(ctx, HS_ERR_CONFIG, "--set '%s': expected KEY=VALUE", assignment);
    char key[256];
    size_t klen = (size_t)(eq - assignment);
    while (klen && isspace((unsigned char)assignment[klen - 1])) klen--;
    if (klen >= sizeof key) return HS_FAIL(ctx, HS_ERR_CONFIG, "--set: key too long");
    memcpy(key, assignment, klen);
    key[klen] = '\0';
    const char *value = eq + 1;

    cfg_entry e;
    memset(&e, 0, sizeof e);
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)value, strlen(value));
    hs_status st = HS_OK;
    if (yaml_parser_load(&parser, &doc)) {
        yaml_node_t *root = yaml_document_get_root_node(&doc);
        if (root) {
            st = convert_value(cfg, &doc, root, "--set", key, &e, ctx);
        } else {
            e.key = arena_strdup(cfg, key);
            e.kind = NODE_NULL;
        }
        yaml_document_delete(&doc);
    } else {
        /* not valid YAML on its own (e.g. "a: b: c"): take the text literally */
        e.key = arena_strdup(cfg, key);
        e.kind = NODE_SCALAR;
        e.scalar = arena_strdup(cfg, value);
    }
    yaml_parser_delete(&parser);
    if (st != HS_OK) return st;
    e.origin = "--set";
    return push_entry(cfg, &e, ctx);
}

/* ---- schema ---------------------------------------------------------------------------------*/

hs_status hs_config_add_schema(hs_config *cfg, const hs_config_key *rows, size_t n, hs_ctx *ctx) {
    if (cfg->n_schema + n > cfg->cap_schema) {
        size_t cap = cfg->cap_schema ? cfg->cap_schema : 64;
        while (cap < cfg->n_schema + n) cap *= 2;
        const hs_config_key **p = realloc(cfg->schema, cap * sizeof *p);
        if (!p) return HS_FAIL(ctx, HS_ERR_NOMEM, "config: out of memory");
        cfg->schema = p;
        cfg->cap_schema = cap;
    }
    for (size_t i = 0; i < n; i++) cfg->schema[cfg->n_schema++] = &rows[i];
    return HS_OK;
}

const hs_config_key *hs_config_schema_row(const hs_config *cfg, const char *key) {
    for (size_t i = cfg->n_schema; i-- > 0;)
        if (strcmp(cfg->schema[i]->name, key) == 0) return cfg->schema[i];
    return NULL;
}

size_t hs_config_edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 128 || lb > 128) return la > lb ? la : lb;
    size_t prev[129], cur[129];
    for (size_t j = 0; j <= lb; j++) prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            size_t best = prev[j - 1] + cost;
            if (prev[j] + 1 < best) best = prev[j] + 1;
            if (cur[j - 1] + 1 < best) best = cur[j - 1] + 1;
            cur[j] = best;
        }
        memcpy(prev, cur, (lb + 1) * sizeof *prev);
    }
    return prev[lb];
}

size_t hs_config_warn_unknown(const hs_config *cfg, hs_ctx *ctx) {
    size_t unknown = 0;
    for (size_t i = 0; i < cfg->n_entries; i++) {
        const cfg_entry *e = &cfg->entries[i];
        if (hs_config_schema_row(cfg, e->key)) continue;
        unknown++;
        const char *best = NULL;
        size_t best_d = (size_t)-1;
        for (size_t k = 0; k < cfg->n_schema; k++) {
            size_t d = hs_config_edit_distance(e->key, cfg->schema[k]->name);
            if (d < best_d) {
                best_d = d;
                best = cfg->schema[k]->name;
            }
        }
        size_t len = strlen(e->key);
        size_t limit = len / 3 > 2 ? len / 3 : 2;
        if (best && best_d <= limit)
            hs_log(ctx, HS_LOG_WARN, "%s: unknown key %s ignored; did you mean %s?", e->origin,
                   e->key, best);
        else
            hs_log(ctx, HS_LOG_WARN, "%s: unknown key %s ignored", e->origin, e->key);
    }
    return unknown;
}

/* ---- lookup ---------------------------------------------------------------------------------*/

static const cfg_entry *find_entry(const hs_config *cfg, const char *key) {
    for (size_t i = cfg->n_entries; i-- > 0;)
        if (strcmp(cfg->entries[i].key, key) == 0) return &cfg->entries[i];
    return NULL;
}

bool hs_config_has(const hs_config *cfg, const char *key) {
    const cfg_entry *e = find_entry(cfg, key);
    return e && e->kind != NODE_NULL;
}

const char *hs_config_origin(const hs_config *cfg, const char *key) {
    const cfg_entry *e = find_entry(cfg, key);
    return (e && e->kind != NODE_NULL) ? e->origin : "default";
}

/* The row and the raw scalar text of key (set value or default). *text is NULL for a set
 * sequence/map (the caller decides); *origin names where it came from. */
static hs_status lookup(const hs_config *cfg, const char *key, hs_ctx *ctx,
                        const hs_config_key **row, const cfg_entry **entry, const char **text,
                        const char **origin) {
    *row = hs_config_schema_row(cfg, key);
    if (!*row) return HS_FAIL(ctx, HS_ERR_INTERNAL, "config key %s is not in the schema", key);
    const cfg_entry *e = find_entry(cfg, key);
    if (e && e->kind == NODE_NULL) e = NULL;
    *entry = e;
    *text = NULL;
    if (e) {
        *origin = e->origin;
        if (e->kind == NODE_SCALAR) *text = e->scalar;
        return HS_OK;
    }
    *origin = "default";
    if (!(*row)->dflt) {
        const char *file = cfg->path[0] ? cfg->path : "config";
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: %s is required (%s)", file, key,
                       (*row)->doc ? (*row)->doc : "no default");
    }
    *text = (*row)->dflt;
    return HS_OK;
}

static hs_status need_scalar(const cfg_entry *e, const char *key, const char *origin,
                             hs_ctx *ctx) {
    if (e && e->kind != NODE_SCALAR)
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: %s: expected a single value, found a %s", origin,
                       key, e->kind == NODE_SEQ ? "list" : "map");
    return HS_OK;
}

hs_status hs_config_get_string(const hs_config *cfg, const char *key, hs_ctx *ctx,
                               const char **out) {
    const hs_config_key *row;
    const cfg_entry *e;
    const char *text, *origin;
    HS_TRY(lookup(cfg, key, ctx, &row, &e, &text, &origin));
    HS_TRY(need_scalar(e, key, origin, ctx));
    *out = text;
    return HS_OK;
}

hs_status hs_config_get_path(const hs_config *cfg, const char *key, hs_ctx *ctx, char *out,
                             size_t cap) {
    const char *text;
    HS_TRY(hs_config_get_string(cfg, key, ctx, &text));
    /* defaults are relative to the working directory; set values to the config file */
    const cfg_entry *e = find_entry(cfg, key);
    const char *base = (e && e->kind == NODE_SCALAR && e->origin != NULL &&
                        strcmp(e->origin, "--set") != 0)
                           ? cfg->dir
                           : NULL;
    if (text[0] == '\0') return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: %s is empty", cfg->path, key);
    HS_TRY(hs_io_path_join(ctx, base, text, out, cap));
    return HS_OK;
}

bool hs_config_parse_double(const char *text, double *out) {
    while (isspace((unsigned char)*text)) text++;
    if (*text == '\0') return false;
    errno = 0;
    char *end = NULL;
    double v = strtod(text, &end);
    if (end == text || errno == ERANGE) return false;
    while (isspace((unsigned char)*end)) end++;
    if (*end != '\0' || !isfinite(v)) return false;
    *out = v;
    return true;
}

hs_status hs_config_get_double(const hs_config *cfg, const char *key, hs_ctx *ctx, double *out) {
    const hs_config_key *row;
    const cfg_entry *e;
    const char *text, *origin;
    HS_TRY(lookup(cfg, key, ctx, &row, &e, &text, &origin));
    HS_TRY(need_scalar(e, key, origin, ctx));
    double v;
    if (!hs_config_parse_double(text, &v))
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: %s: '%s' is not a number", origin, key, text);
    if (v < row->min || v > row->max)
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: %s: %s is out of range; expected %g to %g",
                       origin, key, text, row->min, row->max);
    *out = v;
    return HS_OK;
}

hs_status hs_config_get_int(const hs_config *cfg, const char *key, hs_ctx *ctx, long *out) {
    const hs_config_key *row;
    const cfg_entry *e;
    const char *text, *origin;
    HS_TRY(lookup(cfg, key, ctx, &row, &e, &text, &origin));
    HS_TRY(need_scalar(e, key, origin, ctx));
    const char *s = text;
    while (isspace((unsigned char)*s)) s++;
    errno = 0;
    char *end = NULL;
    long v = strtol(s, &end, 10);
    while (end && isspace((unsigned char)*end)) end++;
    if (end == s || errno == ERANGE || *end != '\0')
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: %s: '%s' is not a whole number", origin, key,
                       text);
    if ((double)v < row->min || (double)v > row->max)
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: %s: %ld is out of range; expected %.0f to %.0f",
                       origin, key, v, row->min, row->max);
    *out = v;
    return HS_OK;
}

hs_status hs_config_get_bool(const hs_config *cfg, const char *key, hs_ctx *ctx, bool *out) {
    const hs_config_key *row;
    const cfg_entry *e;
    const char *text, *origin;
    HS_TRY(lookup(cfg, key, ctx, &row, &e, &text, &origin));
    HS_TRY(need_scalar(e, key, origin, ctx));
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(text, yes[i]) == 0) {
            *out = true;
            return HS_OK;
        }
        if (strcasecmp(text, no[i]) == 0) {
            *out = false;
            return HS_OK;
        }
    }
    return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: %s: '%s' is not true or false", origin, key, text);
}

hs_status hs_config_get_enum(const hs_config *cfg, const char *key, hs_ctx *ctx, int *index,
                             const char **name) {
    const hs_config_key *row;
    const cfg_entry *e;
    const char *text, *origin;
    HS_TRY(lookup(cfg, key, ctx, &row, &e, &text, &origin));
    HS_TRY(need_scalar(e, key, origin, ctx));
    const char *c = row->choices ? row->choices : "";
    int i = 0;
    size_t tlen = strlen(text);
    while (*c) {
        const char *bar = strchr(c, '|');
        size_t n = bar ? (size_t)(bar - c) : strlen(c);
        if (n == tlen && strncasecmp(c, text, n) == 0) {
            *index = i;
            if (name) {
                /* canonical spelling, from the schema (NUL-terminated copy not needed when the
                 * choice is the last one; otherwise we return the user's text, which matches) */
                *name = text;
            }
            return HS_OK;
        }
        i++;
        if (!bar) break;
        c = bar + 1;
    }
    char allowed[512];
    snprintf(allowed, sizeof allowed, "%s", row->choices ? row->choices : "");
    for (char *p = allowed; *p; p++)
        if (*p == '|') *p = ',';
    return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: %s: '%s' is not allowed; expected one of: %s", origin,
                   key, text, allowed);
}

hs_status hs_config_get_date(const hs_config *cfg, const char *key, hs_ctx *ctx, hs_day *out) {
    const hs_config_key *row;
    const cfg_entry *e;
    const char *text, *origin;
    HS_TRY(lookup(cfg, key, ctx, &row, &e, &text, &origin));
    HS_TRY(need_scalar(e, key, origin, ctx));
    if (!hs_day_parse(text, out))
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: %s: '%s' is not a valid date YYYY-MM-DD", origin,
                       key, text);
    return HS_OK;
}

hs_status hs_config_get_period(const hs_config *cfg, const char *key, hs_ctx *ctx,
                               hs_period *out) {
    const hs_config_key *row;
    const cfg_entry *e;
    const char *text, *origin;
    HS_TRY(lookup(cfg, key, ctx, &row, &e, &text, &origin));
    if (e && e->kind == NODE_SEQ && e->n_items == 2) {
        /* a YAML list [start, end] is accepted too */
        if (!hs_day_parse(e->items[0], &out->start) || !hs_day_parse(e->items[1], &out->end))
            return HS_FAIL(ctx, HS_ERR_CONFIG,
                           "%s: %s: expected \"YYYY-MM-DD, YYYY-MM-DD\" with valid dates", origin,
                           key);
        if (out->end < out->start)
            return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: %s: the period ends before it starts",
                           origin, key);
        return HS_OK;
    }
    HS_TRY(need_scalar(e, key, origin, ctx));
    char what[4400];
    snprintf(what, sizeof what, "%s: %s", origin, key);
    return hs_period_parse(ctx, text, what, out);
}

hs_status hs_config_get_list(const hs_config *cfg, const char *key, hs_ctx *ctx,
                             const char *const **items, size_t *n) {
    const hs_config_key *row;
    const cfg_entry *e;
    const char *text, *origin;
    HS_TRY(lookup(cfg, key, ctx, &row, &e, &text, &origin));
    if (e && e->kind == NODE_SEQ) {
        *items = e->items;
        *n = e->n_items;
        return HS_OK;
    }
    if (e && e->kind == NODE_MAP)
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: %s: expected a list, found a map", origin, key);
    /* a comma-separated string (SYMFLUENCE writes lists this way); split into the arena */
    hs_config *mut = (hs_config *)(uintptr_t)cfg; /* the arena is an internal cache */
    size_t count = 1;
    for (const char *p = text; *p; p++) count += (*p == ',');
    const char **arr = arena_alloc(mut, (count + 1) * sizeof *arr);
    if (!arr) return HS_FAIL(ctx, HS_ERR_NOMEM, "config: out of memory");
    size_t k = 0;
    const char *p = text;
    while (1) {
        const char *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);
        while (p < end && isspace((unsigned char)*p)) p++;
        const char *q = end;
        while (q > p && isspace((unsigned char)q[-1])) q--;
        if (q > p) {
            char *s = arena_alloc(mut, (size_t)(q - p) + 1);
            if (!s) return HS_FAIL(ctx, HS_ERR_NOMEM, "config: out of memory");
            memcpy(s, p, (size_t)(q - p));
            arr[k++] = s;
        }
        if (!comma) break;
        p = comma + 1;
    }
    *items = arr;
    *n = k;
    return HS_OK;
}

hs_status hs_config_get_map(const hs_config *cfg, const char *key, hs_ctx *ctx,
                            const hs_config_entry **entries, size_t *n) {
    const hs_config_key *row = hs_config_schema_row(cfg, key);
    if (!row) return HS_FAIL(ctx, HS_ERR_INTERNAL, "config key %s is not in the schema", key);
    const cfg_entry *e = find_entry(cfg, key);
    if (!e || e->kind == NODE_NULL) {
        *entries = NULL;
        *n = 0;
        if (!row->dflt)
            return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: %s is required (%s)",
                           cfg->path[0] ? cfg->path : "config", key, row->doc ? row->doc : "");
        return HS_OK;
    }
    if (e->kind != NODE_MAP)
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: %s: expected a map of name: value", e->origin,
                       key);
    *entries = e->map;
    *n = e->n_map;
    return HS_OK;
}

size_t hs_config_n_entries(const hs_config *cfg) { return cfg->n_entries; }

hs_status hs_config_entry_scalar(const hs_config *cfg, size_t i, hs_ctx *ctx, const char **key,
                                 const char **value) {
    if (i >= cfg->n_entries) return HS_FAIL(ctx, HS_ERR_ARG, "config entry %zu out of range", i);
    const cfg_entry *e = &cfg->entries[i];
    *key = e->key;
    if (e->kind != NODE_SCALAR)
        return HS_FAIL(ctx, HS_ERR_CONFIG, "%s: %s: expected a single value", e->origin, e->key);
    *value = e->scalar;
    return HS_OK;
}
