/* fvc-model-linear.c — logistic_regression and svm: flatten (N, 3, T, H, W) in PyTorch's order,
 * then one nn.Linear(3 T H W -> 1). They differ only in the loss (BCE with logits vs hinge). */
#include "fvc-model-private.h"

enum { FC_W, FC_B };

static void
linear_declare (FvcModel *m)
{
  const FvcModelConfig *c = fvc_model_get_config (m);
  gint64 k = 3 * (gint64) c->frames * c->height * c->width;

  fvc_model_declare_param (m, "fc.weight", 2, (gint64[]) { 1, k }, k);
  fvc_model_declare_param (m, "fc.bias", 1, (gint64[]) { 1 }, k);
}

static gboolean
linear_plan (FvcModel *m, FvcBatch *b, GError **error)
{
  return TRUE;   /* x is the flattened input: nothing to plan */
}

/* x (N, 3, T, H, W) viewed as (N, 3 T H W) -> logits (N) */
static gboolean
linear_forward (FvcModel *m, FvcBatch *b, GError **error)
{
  return fvc_linear_forward (m->be, &b->x, m->param[FC_W], m->param[FC_B], &b->logits, error);
}

static gboolean
linear_backward (FvcModel *m, FvcBatch *b, FvcTensor *const *grad, GError **error)
{
  return fvc_linear_backward (m->be, &b->x, m->param[FC_W], &b->dlogits, NULL, grad[FC_W], grad[FC_B], error);
}

const FvcModelInfo fvc_model_logistic_regression = {
  .name = "logistic_regression",
  .description = "flatten -> Linear(3*T*H*W -> 1), BCE with logits",
  .loss = FVC_LOSS_BCE,
  .memory = { .batch_size = 8, .accumulation_steps = 1, .frames = 6 },
  .declare = linear_declare,
  .plan = linear_plan,
  .forward = linear_forward,
  .backward = linear_backward,
};

const FvcModelInfo fvc_model_svm = {
  .name = "svm",
  .description = "flatten -> Linear(3*T*H*W -> 1), hinge loss on labels -1/+1, L2 through weight decay",
  .loss = FVC_LOSS_HINGE,
  .memory = { .batch_size = 8, .accumulation_steps = 1, .frames = 6 },
  .declare = linear_declare,
  .plan = linear_plan,
  .forward = linear_forward,
  .backward = linear_backward,
};
