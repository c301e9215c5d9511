/* fvc-optim.h — AdamW, exactly torch.optim.AdamW's update (decoupled weight decay, bias
 * correction), over a model's flat parameter, gradient and optimizer-state arenas. */
#pragma once

#include "fvc-model.h"

G_BEGIN_DECLS

#define FVC_ADAMW_DEFAULT_LR 1e-3
#define FVC_ADAMW_DEFAULT_WEIGHT_DECAY 1e-4

typedef struct {
  double lr;
  double beta1, beta2;
  double eps;
  double weight_decay;
} FvcAdamWConfig;

/* lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 1e-4. */
void fvc_adamw_config_init (FvcAdamWConfig *config);

/* The scalars of update number @step (1-based), computed in double as PyTorch does in Python,
 * then rounded to float. */
void fvc_adamw_update_for_step (const FvcAdamWConfig *config, guint64 step, FvcAdamWUpdate *out);

/* Applies update number @step to every parameter of @model from its gradients. */
gboolean fvc_adamw_step (FvcModel *model, const FvcAdamWConfig *config, guint64 step, GError **error);

G_END_DECLS
