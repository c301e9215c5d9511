/* fvc-optim.c — AdamW scalars on the host; the elementwise update is the backend's adamw_step. */
#include "fvc-optim.h"

#include <math.h>

void
fvc_adamw_config_init (FvcAdamWConfig *c)
{
  c->lr = FVC_ADAMW_DEFAULT_LR;
  c->beta1 = 0.9;
  c->beta2 = 0.999;
  c->eps = 1e-8;
  c->weight_decay = FVC_ADAMW_DEFAULT_WEIGHT_DECAY;
}

/* torch/optim/adamw.py, _single_tensor_adamw (PyTorch 1.13):
 *   param.mul_(1 - lr * weight_decay)
 *   exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
 *   exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
 *   step_size = lr / (1 - beta1 ** step)
 *   denom = (exp_avg_sq.sqrt() / sqrt(1 - beta2 ** step)).add_(eps)
 *   param.addcdiv_(exp_avg, denom, value=-step_size) */
void
fvc_adamw_update_for_step (const FvcAdamWConfig *c, guint64 step, FvcAdamWUpdate *u)
{
  double bc1 = 1.0 - pow (c->beta1, (double) step);
  double bc2 = 1.0 - pow (c->beta2, (double) step);

  u->decay = (float) (1.0 - c->lr * c->weight_decay);
  u->beta1 = (float) c->beta1;
  u->one_minus_beta1 = (float) (1.0 - c->beta1);
  u->beta2 = (float) c->beta2;
  u->one_minus_beta2 = (float) (1.0 - c->beta2);
  u->step_size = (float) (c->lr / bc1);
  u->bias_correction2_sqrt = (float) sqrt (bc2);
  u->eps = (float) c->eps;
}

gboolean
fvc_adamw_step (FvcModel *model, const FvcAdamWConfig *config, guint64 step, GError **error)
{
  FvcBackend *be = fvc_model_get_backend (model);
  FvcArena *params = fvc_model_get_params (model);
  FvcArena *grads = fvc_model_get_grads (model);
  FvcArena *opt = fvc_model_get_optimizer_state (model);
  FvcAdamWUpdate u;
  gsize n = params->size / sizeof (float);

  g_return_val_if_fail (grads != NULL && opt != NULL && step >= 1, FALSE);
  /* exp_avg.* then exp_avg_sq.*, each laid out exactly like the parameters. */
  g_return_val_if_fail (opt->size == 2 * params->size && grads->size == params->size, FALSE);
  fvc_adamw_update_for_step (config, step, &u);
  return be->adamw_step (be, params->base, grads->base, opt->base, (guint8 *) opt->base + params->size, n, &u,
                         error);
}
