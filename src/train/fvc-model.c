/* fvc-model.c — the model registry and what every architecture shares: arenas, PyTorch default
 * initialisation, the per-batch-size plans and activation views, forward/loss/backward glue.
 * The layer sequences themselves live in fvc-model-linear.c and fvc-model-naive-cnn.c. */
#include "fvc-model-private.h"
#include "fvc-error.h"
#include "fvc-memstats.h"
#include "fvc-seed.h"

#include <math.h>
#include <string.h>

extern const FvcModelInfo fvc_model_logistic_regression;
extern const FvcModelInfo fvc_model_svm;
extern const FvcModelInfo fvc_model_naive_cnn;

/* The architectures, in the order the docs list them. */
static const FvcModelInfo *const registry[] = {
  &fvc_model_logistic_regression,
  &fvc_model_svm,
  &fvc_model_naive_cnn,
  NULL,
};

const FvcModelInfo *const *
fvc_model_registry (void)
{
  return registry;
}

const FvcModelInfo *
fvc_model_info_lookup (const char *name)
{
  for (guint i = 0; name != NULL && registry[i] != NULL; i++)
    if (strcmp (registry[i]->name, name) == 0)
      return registry[i];
  return NULL;
}

const char *
fvc_model_info_get_name (const FvcModelInfo *info)
{
  return info->name;
}

const char *
fvc_model_info_get_description (const FvcModelInfo *info)
{
  return info->description;
}

FvcLossKind
fvc_model_info_get_loss (const FvcModelInfo *info)
{
  return info->loss;
}

const FvcMemoryConfig *
fvc_model_info_get_memory_config (const FvcModelInfo *info)
{
  return &info->memory;
}

char *
fvc_model_names (const char *separator)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; registry[i] != NULL; i++)
    g_string_append_printf (s, "%s%s", i ? separator : "", registry[i]->name);
  return g_string_free (s, FALSE);
}

/* ---- declaration helpers for the architecture files --------------------------------------- */

guint
fvc_model_declare_param (FvcModel *m, const char *name, guint n_dims, const gint64 *shape, guint fan_in)
{
  guint i = m->n_params;

  g_return_val_if_fail (i < FVC_MODEL_MAX_PARAMS, 0);
  m->param[i] = fvc_arena_add (m->params, name, FVC_DTYPE_F32, n_dims, shape, 0);
  m->fan_in[i] = fan_in;
  m->n_params++;
  return i;
}

void
fvc_plan_desc_over (FvcPlanDesc *d, FvcOpKind kind, const FvcTensor *src, gboolean training)
{
  memset (d, 0, sizeof *d);
  d->kind = kind;
  d->n = src->shape[0];
  d->c = src->shape[1];
  d->t = src->shape[2];
  d->h = src->shape[3];
  d->w = src->shape[4];
  d->src_layout = src->layout;
  d->training = training;
}

gboolean
fvc_batch_plan (FvcModel *m, FvcBatch *b, guint plan_idx, const FvcPlanDesc *d, guint act_idx, const char *name,
                GError **error)
{
  FvcPlan *plan;
  FvcTensor *a;

  g_return_val_if_fail (plan_idx < FVC_MODEL_MAX_PLANS && act_idx < FVC_MODEL_MAX_ACTS, FALSE);
  g_return_val_if_fail (b->plan[plan_idx] == NULL && b->act_name[act_idx] == NULL, FALSE);
  plan = m->be->plan_new (m->be, d, error);
  if (plan == NULL) {
    g_prefix_error (error, "%s, layer %s, batch %u: ", m->info->name, name, b->n);
    return FALSE;
  }
  b->plan[plan_idx] = plan;
  b->act_name[act_idx] = g_strdup (name);
  b->grad_name[act_idx] = g_strconcat ("grad.", name, NULL);
  a = &b->act[act_idx];
  if (d->kind == FVC_OP_AVGPOOL_GLOBAL) {
    gint64 shape[2] = { plan->out_dims[0], plan->out_dims[1] };
    fvc_tensor_init (a, b->act_name[act_idx], m->be->device, FVC_DTYPE_F32, 2, shape);
  } else {
    gint64 shape[5] = { plan->out_dims[0], plan->out_dims[1], plan->out_dims[2], plan->out_dims[3],
                        plan->out_dims[4] };
    fvc_tensor_init (a, b->act_name[act_idx], m->be->device, FVC_DTYPE_F32, 5, shape);
  }
  a->layout = plan->dst_layout;
  /* a backend layout says its own storage size (bf16 activations take half a float's) */
  a->nbytes = a->layout != NULL ? plan->dst_bytes : MAX (a->nbytes, plan->dst_bytes);
  b->grad[act_idx] = *a;
  b->grad[act_idx].name = b->grad_name[act_idx];
  fvc_tensor_init (&b->ws[plan_idx], "workspace", m->be->device, FVC_DTYPE_U8, 1,
                   (gint64[]) { (gint64) plan->workspace_bytes });
  b->scratch_bytes = MAX (b->scratch_bytes, plan->scratch_bytes);
  m->n_plans = MAX (m->n_plans, plan_idx + 1);
  m->n_acts = MAX (m->n_acts, act_idx + 1);
  return TRUE;
}

/* ---- batches ------------------------------------------------------------------------------ */

static void
batch_free (FvcModel *m, FvcBatch *b)
{
  for (guint i = 0; i < FVC_MODEL_MAX_PLANS; i++)
    if (b->plan[i] != NULL)
      m->be->plan_free (m->be, b->plan[i]);
  for (guint i = 0; i < FVC_MODEL_MAX_ACTS; i++) {
    g_free (b->act_name[i]);
    g_free (b->grad_name[i]);
  }
  g_free (b);
}

/* Activation arena slot names; a batch's views point into the slots. */
static void
slot_name (char *buf, gsize len, const char *kind, guint i)
{
  g_snprintf (buf, len, "%s.%u", kind, i);
}

static void
bind_batch (FvcModel *m, FvcBatch *b)
{
  char name[32];

  for (guint i = 0; i < m->n_acts; i++) {
    if (b->act_name[i] == NULL)
      continue;
    slot_name (name, sizeof name, "act", i);
    b->act[i].data = fvc_arena_lookup (m->acts, name)->data;
    if (m->config.training) {
      slot_name (name, sizeof name, "grad", i);
      b->grad[i].data = fvc_arena_lookup (m->acts, name)->data;
    }
  }
  for (guint i = 0; i < m->n_plans; i++) {
    slot_name (name, sizeof name, "ws", i);
    b->ws[i].data = fvc_arena_lookup (m->acts, name)->data;
  }
  b->x.data = fvc_arena_lookup (m->acts, "x")->data;
  b->logits.data = fvc_arena_lookup (m->acts, "logits")->data;
  b->targets.data = fvc_arena_lookup (m->acts, "targets")->data;
  b->losses.data = fvc_arena_lookup (m->acts, "losses")->data;
  b->dlogits.data = fvc_arena_lookup (m->acts, "dlogits")->data;
  b->scratch.data = fvc_arena_lookup (m->acts, "scratch")->data;
  if (!m->be->host_visible)
    b->u8.data = fvc_arena_lookup (m->acts, "u8")->data;
}

/* (Re)makes the activation arena from the slot capacities and rebinds every batch. */
static gboolean
build_activations (FvcModel *m, GError **error)
{
  g_autoptr (FvcArena) a = fvc_arena_new (m->be, "activations");
  const FvcModelConfig *c = &m->config;
  gint64 nx[5] = { c->max_batch, 3, c->frames, c->height, c->width };
  gint64 nu[5] = { c->max_batch, c->frames, c->height, c->width, 3 };
  gint64 nn[1] = { c->max_batch };
  char name[32];
  FvcTensor *scratch;

  for (guint i = 0; i < m->n_acts; i++) {
    slot_name (name, sizeof name, "act", i);
    fvc_arena_add (a, name, FVC_DTYPE_U8, 1, (gint64[]) { (gint64) m->cap_act[i] }, 0);
    if (c->training) {
      slot_name (name, sizeof name, "grad", i);
      fvc_arena_add (a, name, FVC_DTYPE_U8, 1, (gint64[]) { (gint64) m->cap_act[i] }, 0);
    }
  }
  for (guint i = 0; i < m->n_plans; i++) {
    slot_name (name, sizeof name, "ws", i);
    fvc_arena_add (a, name, FVC_DTYPE_U8, 1, (gint64[]) { (gint64) m->cap_ws[i] }, 0);
  }
  fvc_arena_add (a, "x", FVC_DTYPE_F32, 5, nx, 0);
  fvc_arena_add (a, "logits", FVC_DTYPE_F32, 1, nn, 0);
  fvc_arena_add (a, "targets", FVC_DTYPE_F32, 1, nn, 0);
  fvc_arena_add (a, "losses", FVC_DTYPE_F32, 1, nn, 0);
  fvc_arena_add (a, "dlogits", FVC_DTYPE_F32, 1, nn, 0);
  fvc_arena_add (a, "scratch", FVC_DTYPE_U8, 1, (gint64[]) { (gint64) m->cap_scratch }, 0);
  if (!m->be->host_visible)
    fvc_arena_add (a, "u8", FVC_DTYPE_U8, 5, nu, 0);
  if (!fvc_arena_allocate (a, error))
    return FALSE;

  g_clear_pointer (&m->acts, fvc_arena_free);
  m->acts = g_steal_pointer (&a);
  scratch = fvc_arena_lookup (m->acts, "scratch");
  m->be->bind_scratch (m->be, scratch->data, m->cap_scratch);
  for (guint i = 0; i < m->batches->len; i++)
    bind_batch (m, m->batches->pdata[i]);
  return TRUE;
}

FvcBatch *
fvc_model_prepare_batch (FvcModel *m, guint n, GError **error)
{
  const FvcModelConfig *c = &m->config;
  FvcBatch *b;
  gboolean grow = FALSE;

  g_return_val_if_fail (n >= 1 && n <= c->max_batch, NULL);
  for (guint i = 0; i < m->batches->len; i++) {
    b = m->batches->pdata[i];
    if (b->n == n) {
      b->last_used = ++m->use_counter;
      return b;
    }
  }

  b = g_new0 (FvcBatch, 1);
  b->n = n;
  fvc_tensor_init (&b->u8, "u8", m->be->device, FVC_DTYPE_U8, 5,
                   (gint64[]) { n, c->frames, c->height, c->width, 3 });
  fvc_tensor_init (&b->x, "x", m->be->device, FVC_DTYPE_F32, 5,
                   (gint64[]) { n, 3, c->frames, c->height, c->width });
  fvc_tensor_init (&b->logits, "logits", m->be->device, FVC_DTYPE_F32, 1, (gint64[]) { n });
  fvc_tensor_init (&b->targets, "targets", m->be->device, FVC_DTYPE_F32, 1, (gint64[]) { n });
  fvc_tensor_init (&b->losses, "losses", m->be->device, FVC_DTYPE_F32, 1, (gint64[]) { n });
  fvc_tensor_init (&b->dlogits, "dlogits", m->be->device, FVC_DTYPE_F32, 1, (gint64[]) { n });
  if (!m->info->plan (m, b, error)) {
    batch_free (m, b);
    return NULL;
  }
  fvc_tensor_init (&b->scratch, "scratch", m->be->device, FVC_DTYPE_U8, 1,
                   (gint64[]) { (gint64) b->scratch_bytes });

  /* Grow the slots only if this batch needs more than every earlier one. */
  for (guint i = 0; i < m->n_acts; i++) {
    if (b->act_name[i] != NULL && b->act[i].nbytes > m->cap_act[i]) {
      m->cap_act[i] = b->act[i].nbytes;
      grow = TRUE;
    }
  }
  for (guint i = 0; i < m->n_plans; i++) {
    if (b->plan[i] != NULL && b->ws[i].nbytes > m->cap_ws[i]) {
      m->cap_ws[i] = b->ws[i].nbytes;
      grow = TRUE;
    }
  }
  if (b->scratch_bytes > m->cap_scratch) {
    m->cap_scratch = b->scratch_bytes;
    grow = TRUE;
  }
  g_ptr_array_add (m->batches, b);
  b->last_used = ++m->use_counter;
  if (grow || m->acts == NULL) {
    if (!build_activations (m, error)) {
      g_ptr_array_remove (m->batches, b);
      batch_free (m, b);
      return NULL;
    }
  } else {
    bind_batch (m, b);
  }
  return b;
}

guint
fvc_batch_get_size (const FvcBatch *batch)
{
  return batch->n;
}

FvcTensor *
fvc_batch_lookup (FvcBatch *b, const char *name)
{
  FvcTensor *fixed[] = { &b->u8, &b->x, &b->logits, &b->targets, &b->losses, &b->dlogits };

  for (guint i = 0; i < G_N_ELEMENTS (fixed); i++)
    if (strcmp (fixed[i]->name, name) == 0)
      return fixed[i];
  for (guint i = 0; i < FVC_MODEL_MAX_ACTS; i++) {
    if (b->act_name[i] != NULL && strcmp (b->act_name[i], name) == 0)
      return &b->act[i];
    if (b->grad_name[i] != NULL && strcmp (b->grad_name[i], name) == 0)
      return &b->grad[i];
  }
  return NULL;
}

/* ---- instance ----------------------------------------------------------------------------- */

FvcModel *
fvc_model_new (const FvcModelInfo *info, const FvcModelConfig *config, GError **error)
{
  g_autoptr (FvcModel) m = g_new0 (FvcModel, 1);

  g_return_val_if_fail (info != NULL && config != NULL, NULL);
  if (config->frames == 0 || config->height == 0 || config->width == 0 || config->max_batch == 0) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_INVALID, "%s: clip shape %ux%ux%u and batch %u must be positive",
                 info->name, config->frames, config->height, config->width, config->max_batch);
    return NULL;
  }
  m->info = info;
  fvc_live_add (FVC_LIVE_MODELS, 1); /* --memstats; fvc_model_free() counts it down */
  m->config = *config;
  m->batches = g_ptr_array_new ();
  m->be = fvc_backend_new (config->device, error);
  if (m->be == NULL || !fvc_backend_set_precision (m->be, config->precision, error))
    return NULL;

  m->params = fvc_arena_new (m->be, "parameters");
  info->declare (m);
  if (!fvc_arena_allocate (m->params, error))
    return NULL;
  if (config->training) {
    m->grads = fvc_arena_new (m->be, "gradients");
    fvc_arena_add_like (m->grads, m->params, "");
    m->opt = fvc_arena_new (m->be, "optimizer state");
    fvc_arena_add_like (m->opt, m->params, "exp_avg.");
    fvc_arena_add_like (m->opt, m->params, "exp_avg_sq.");
    if (!fvc_arena_allocate (m->grads, error) || !fvc_arena_allocate (m->opt, error))
      return NULL;
    if (config->accumulate) {
      m->micro = fvc_arena_new (m->be, "micro-batch gradients");
      fvc_arena_add_like (m->micro, m->params, "");
      if (!fvc_arena_allocate (m->micro, error))
        return NULL;
    }
    for (guint i = 0; i < m->n_params; i++) {
      m->grad[i] = fvc_arena_get_nth (m->grads, i);
      m->micro_grad[i] = m->micro ? fvc_arena_get_nth (m->micro, i) : NULL;
    }
  }
  if (fvc_model_prepare_batch (m, config->max_batch, error) == NULL)
    return NULL;
  return g_steal_pointer (&m);
}

void
fvc_model_free (FvcModel *m)
{
  if (m == NULL)
    return;
  if (m->info != NULL)
    fvc_live_add (FVC_LIVE_MODELS, -1);
  if (m->batches != NULL) {
    for (guint i = 0; i < m->batches->len; i++)
      batch_free (m, m->batches->pdata[i]);
    g_ptr_array_unref (m->batches);
  }
  fvc_arena_free (m->acts);
  fvc_arena_free (m->micro);
  fvc_arena_free (m->opt);
  fvc_arena_free (m->grads);
  fvc_arena_free (m->params);
  fvc_backend_free (m->be);
  g_free (m);
}

const FvcModelInfo *
fvc_model_get_info (const FvcModel *m)
{
  return m->info;
}

const FvcModelConfig *
fvc_model_get_config (const FvcModel *m)
{
  return &m->config;
}

FvcBackend *
fvc_model_get_backend (FvcModel *m)
{
  return m->be;
}

FvcArena *
fvc_model_get_params (FvcModel *m)
{
  return m->params;
}

FvcArena *
fvc_model_get_grads (FvcModel *m)
{
  return m->grads;
}

FvcArena *
fvc_model_get_optimizer_state (FvcModel *m)
{
  return m->opt;
}

guint
fvc_model_get_fan_in (const FvcModel *m, guint i)
{
  g_return_val_if_fail (i < m->n_params, 0);
  return m->fan_in[i];
}

gsize
fvc_model_get_activation_bytes (const FvcModel *m)
{
  return m->acts ? m->acts->size : 0;
}

gboolean
fvc_model_init_params (FvcModel *m, guint32 seed, GError **error)
{
  for (guint i = 0; i < m->n_params; i++) {
    FvcTensor *t = m->param[i];
    g_autofree char *name = g_strconcat ("init.", t->name, NULL);
    g_autofree float *host = g_new (float, t->numel);
    double bound = 1.0 / sqrt ((double) m->fan_in[i]);

    for (gsize j = 0; j < t->numel; j++)
      host[j] = (float) fvc_rng_range (seed, name, j, -bound, bound);
    if (!m->be->copy_h2d (m->be, t->data, host, t->numel * sizeof (float), error))
      return FALSE;
  }
  return TRUE;
}

/* ---- passes ------------------------------------------------------------------------------- */

gboolean
fvc_model_set_input (FvcModel *m, FvcBatch *b, const guint8 *host_clips, GError **error)
{
  if (m->be->host_visible) {
    b->u8.data = (gpointer) host_clips;   /* read in place by normalize_input */
    return TRUE;
  }
  return m->be->copy_h2d (m->be, b->u8.data, host_clips, b->u8.nbytes, error);
}

gboolean
fvc_model_set_targets (FvcModel *m, FvcBatch *b, const float *host_targets, GError **error)
{
  return m->be->copy_h2d (m->be, b->targets.data, host_targets, b->n * sizeof (float), error);
}

gboolean
fvc_model_forward (FvcModel *m, FvcBatch *b, GError **error)
{
  g_return_val_if_fail (b->u8.data != NULL, FALSE);
  b->last_used = ++m->use_counter;
  return fvc_normalize_forward (m->be, &b->u8, &b->x, error) && m->info->forward (m, b, error);
}

gboolean
fvc_model_loss (FvcModel *m, FvcBatch *b, float grad_scale, GError **error)
{
  if (m->info->loss == FVC_LOSS_HINGE) {
    if (!fvc_hinge_forward (m->be, &b->logits, &b->targets, &b->losses, error))
      return FALSE;
    return grad_scale == 0.f || fvc_hinge_backward (m->be, &b->logits, &b->targets, grad_scale, &b->dlogits, error);
  }
  if (!fvc_bce_forward (m->be, &b->logits, &b->targets, &b->losses, error))
    return FALSE;
  return grad_scale == 0.f || fvc_bce_backward (m->be, &b->logits, &b->targets, grad_scale, &b->dlogits, error);
}

gboolean
fvc_model_backward (FvcModel *m, FvcBatch *b, gboolean accumulate, GError **error)
{
  g_return_val_if_fail (m->config.training, FALSE);
  g_return_val_if_fail (!accumulate || m->micro != NULL, FALSE);
  if (!accumulate)
    return m->info->backward (m, b, m->grad, error);
  if (!m->info->backward (m, b, m->micro_grad, error))
    return FALSE;
  /* Same layout in both arenas: one flat add (the alignment gaps are zero in both). */
  return m->be->accumulate (m->be, m->grads->base, m->micro->base, m->grads->size / sizeof (float), error);
}

gboolean
fvc_model_read_outputs (FvcModel *m, FvcBatch *b, float *logits, float *losses, GError **error)
{
  if (logits != NULL && !m->be->copy_d2h (m->be, logits, b->logits.data, b->n * sizeof (float), error))
    return FALSE;
  if (losses != NULL && !m->be->copy_d2h (m->be, losses, b->losses.data, b->n * sizeof (float), error))
    return FALSE;
  return TRUE;
}
