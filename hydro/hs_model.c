/* hs_model.c -- the model registry and the generic model object (STYLE.md §2 "one interface for
 * many models").
 *
 * The registry is one const table of hs_model_ops pointers, looked up by name without regard to
 * case (PROJ's pj_list.h is the model). hs_model wraps a model's private state (hs_model_impl)
 * with its ops table and the HRU count, and checks the arguments of every call once, here, so
 * that each model's kernel can trust them: HRU range inside [0, n_hru), forcing with the
 * model's HRU count, a runoff array to write into. */
#include "hs_model.h"

#include <math.h>
#include <stdint.h>

#include "hs_fuse.h"
#include "hs_gr4j.h"
#include "hs_hbv.h"
#include "hs_hype.h"

/* The registry: every model hydroscale knows, in the order --help lists them. */
static const hs_model_ops *const hs_model_registry[] = {
    &hs_hbv_ops,
    &hs_gr4j_ops,
    &hs_gr4j_cemaneige_ops,
    &hs_fuse_ops,
    &hs_hype_ops,
};

#define HS_MODEL_REGISTRY_SIZE (sizeof hs_model_registry / sizeof hs_model_registry[0])

struct hs_model {
    const hs_model_ops *ops;
    hs_model_impl *impl;
    size_t n_hru;
};

/* strcasecmp is POSIX, not C11 */
bool hs_model_key_eq(const char *a, const char *b)
{
    for (;; a++, b++) {
        int ca = (unsigned char)*a, cb = (unsigned char)*b;
        if (ca >= 'A' && ca <= 'Z') ca += 'a' - 'A';
        if (cb >= 'A' && cb <= 'Z') cb += 'a' - 'A';
        if (ca != cb) return 0;
        if (ca == '\0') return 1;
    }
}

const hs_model_ops *hs_model_find(const char *name)
{
    if (!name) return NULL;
    for (size_t i = 0; i < HS_MODEL_REGISTRY_SIZE; i++)
        if (hs_model_key_eq(hs_model_registry[i]->name, name)) return hs_model_registry[i];
    return NULL;
}

size_t hs_model_count(void) { return HS_MODEL_REGISTRY_SIZE; }

const hs_model_ops *hs_model_at(size_t i)
{
    return i < HS_MODEL_REGISTRY_SIZE ? hs_model_registry[i] : NULL;
}

long hs_model_param_index(const hs_model_ops *ops, const char *name)
{
    if (!ops || !name) return -1;
    for (size_t i = 0; i < ops->n_params; i++)
        if (hs_model_key_eq(ops->params[i].name, name)) return (long)i;
    return -1;
}

hs_status hs_model_create(const hs_model_ops *ops, const hs_model_option *opts, size_t n_opts,
                          size_t n_hru, hs_ctx *ctx, hs_model **out)
{
    if (!out) return HS_FAIL(ctx, HS_ERR_ARG, "hs_model_create: NULL output pointer");
    *out = NULL;
    if (!ops) return HS_FAIL(ctx, HS_ERR_ARG, "hs_model_create: NULL model (ops)");
    if (n_hru == 0)
        return HS_FAIL(ctx, HS_ERR_ARG, "model %s: the domain has no HRUs (n_hru = 0)", ops->name);
    if (n_opts > 0 && !opts)
        return HS_FAIL(ctx, HS_ERR_ARG, "model %s: %zu options but a NULL option array", ops->name,
                       n_opts);
    for (size_t i = 0; i < n_opts; i++)
        if (!opts[i].key || !opts[i].value)
            return HS_FAIL(ctx, HS_ERR_ARG, "model %s: option %zu has a NULL key or value",
                           ops->name, i);

    hs_model *m = NULL;
    HS_TRY(hs_alloc(ctx, 1, sizeof *m, "model object", (void **)&m));
    m->ops = ops;
    m->n_hru = n_hru;
    hs_status st = ops->create(opts, n_opts, n_hru, ctx, &m->impl);
    if (st != HS_OK) {
        hs_free(m);
        return st;
    }
    *out = m;
    return HS_OK;
}

hs_status hs_model_init(hs_model *m, const double *params, hs_ctx *ctx)
{
    if (!m) return HS_FAIL(ctx, HS_ERR_ARG, "hs_model_init: NULL model");
    if (!params)
        return HS_FAIL(ctx, HS_ERR_ARG, "model %s: NULL parameter array", m->ops->name);
    return m->ops->init(m->impl, params, ctx);
}

hs_status hs_model_run(hs_model *m, hs_range hrus, const hs_forcing_view *f,
                       const hs_flux_view *out, hs_ctx *ctx)
{
    if (!m) return HS_FAIL(ctx, HS_ERR_ARG, "hs_model_run: NULL model");
    const char *name = m->ops->name;
    if (!f || !out)
        return HS_FAIL(ctx, HS_ERR_ARG, "model %s: NULL forcing or output view", name);
    if (!out->runoff_mm)
        return HS_FAIL(ctx, HS_ERR_ARG, "model %s: the output view has no runoff_mm array", name);
    if (hrus.first > m->n_hru || hrus.count > m->n_hru - hrus.first)
        return HS_FAIL(ctx, HS_ERR_ARG,
                       "model %s: HRU range [%zu, %zu + %zu) is outside the model's %zu HRUs", name,
                       hrus.first, hrus.first, hrus.count, m->n_hru);
    if (f->n_hru != m->n_hru)
        return HS_FAIL(ctx, HS_ERR_ARG, "model %s: forcing has %zu HRUs, the model has %zu", name,
                       f->n_hru, m->n_hru);
    if (f->n_time > 0 && f->n_hru > SIZE_MAX / f->n_time)
        return HS_FAIL(ctx, HS_ERR_ARG, "model %s: forcing size %zu x %zu overflows", name,
                       f->n_time, f->n_hru);
    if (hrus.count == 0 || f->n_time == 0) return HS_OK;
    return m->ops->run(m->impl, hrus, f, out, ctx);
}

double hs_model_storage_mm(const hs_model *m, size_t hru)
{
    if (!m || hru >= m->n_hru) return NAN;
    return m->ops->storage_mm(m->impl, hru);
}

const hs_model_ops *hs_model_get_ops(const hs_model *m) { return m ? m->ops : NULL; }

const hs_model_impl *hs_model_get_impl(const hs_model *m) { return m ? m->impl : NULL; }

size_t hs_model_n_hru(const hs_model *m) { return m ? m->n_hru : 0; }

void hs_model_destroy(hs_model **m)
{
    if (!m || !*m) return;
    if ((*m)->ops && (*m)->impl) (*m)->ops->destroy(&(*m)->impl);
    hs_free(*m);
    *m = NULL;
}
