/* fvc-model-private.h — what an architecture file (fvc-model-*.c) sees of a model: the registry
 * entry it fills, the batch (plans + activation views) it plans, and helpers to declare
 * parameters and planned activations. Not installed, not for elements. */
#pragma once

#include "fvc-layers.h"
#include "fvc-model.h"

G_BEGIN_DECLS

#define FVC_MODEL_MAX_PARAMS 16
#define FVC_MODEL_MAX_ACTS 16
#define FVC_MODEL_MAX_PLANS 16

struct _FvcModelInfo {
  const char *name;
  const char *description;
  FvcLossKind loss;
  FvcMemoryConfig memory;
  /* Declares the parameters, in PyTorch state_dict order (fvc_model_declare_param). */
  void (*declare) (FvcModel *m);
  /* For b->n clips: makes the plans and declares the activations (fvc_batch_plan / _act). */
  gboolean (*plan) (FvcModel *m, FvcBatch *b, GError **error);
  /* b->x (n, 3, T, H, W) -> b->logits (n). */
  gboolean (*forward) (FvcModel *m, FvcBatch *b, GError **error);
  /* b->dlogits (n) -> grad[i] for every parameter i (overwritten). */
  gboolean (*backward) (FvcModel *m, FvcBatch *b, FvcTensor *const *grad, GError **error);
};

struct _FvcBatch {
  guint n;
  guint64 last_used;
  FvcPlan *plan[FVC_MODEL_MAX_PLANS];
  FvcTensor ws[FVC_MODEL_MAX_PLANS];       /* each plan's workspace */
  FvcTensor act[FVC_MODEL_MAX_ACTS];       /* outputs of the layers, backend layouts */
  FvcTensor grad[FVC_MODEL_MAX_ACTS];      /* their gradients, same layouts */
  char *act_name[FVC_MODEL_MAX_ACTS];
  char *grad_name[FVC_MODEL_MAX_ACTS];
  FvcTensor u8;                            /* (n, T, H, W, 3) clips */
  FvcTensor x;                             /* (n, 3, T, H, W) normalised, plain */
  FvcTensor logits, targets, losses, dlogits;   /* (n) */
  FvcTensor scratch;
  gsize scratch_bytes;
};

struct _FvcModel {
  const FvcModelInfo *info;
  FvcModelConfig config;
  FvcBackend *be;
  FvcArena *params, *grads, *micro, *opt, *acts;
  guint n_params;
  FvcTensor *param[FVC_MODEL_MAX_PARAMS];
  FvcTensor *grad[FVC_MODEL_MAX_PARAMS];
  FvcTensor *micro_grad[FVC_MODEL_MAX_PARAMS];
  guint fan_in[FVC_MODEL_MAX_PARAMS];
  GPtrArray *batches;                      /* FvcBatch*, one per batch size seen */
  guint64 use_counter;
  /* capacities of the activation arena's slots (max over the batches made) */
  guint n_acts, n_plans;
  gsize cap_act[FVC_MODEL_MAX_ACTS], cap_ws[FVC_MODEL_MAX_PLANS], cap_scratch;
};

/* Declares parameter @name (PyTorch name and shape); returns its index (declaration order). */
guint fvc_model_declare_param (FvcModel *m, const char *name, guint n_dims, const gint64 *shape, guint fan_in);

/* A plan description over activation @src ((n, c, t, h, w), its layout). */
void fvc_plan_desc_over (FvcPlanDesc *d, FvcOpKind kind, const FvcTensor *src, gboolean training);
/* Makes plan @plan_idx from @d and declares its output as activation @act_idx named @name,
 * shaped as the plan's output ((n, c) for the global average pool), in the plan's layout. */
gboolean fvc_batch_plan (FvcModel *m, FvcBatch *b, guint plan_idx, const FvcPlanDesc *d, guint act_idx,
                         const char *name, GError **error);

G_END_DECLS
