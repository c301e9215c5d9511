/* fvc-layers.c — argument checks for the layers, then the backend does the work. Shapes and
 * formulas are in fvc-layers.h. */
#include "fvc-layers.h"
#include "fvc-error.h"

static gboolean
same_storage (const FvcTensor *a, const FvcTensor *b)
{
  return a->nbytes == b->nbytes && a->layout == b->layout;
}

gboolean
fvc_normalize_forward (FvcBackend *be, const FvcTensor *u8, FvcTensor *x, GError **error)
{
  g_return_val_if_fail (u8->dtype == FVC_DTYPE_U8 && u8->n_dims == 5 && u8->shape[4] == 3, FALSE);
  g_return_val_if_fail (x->n_dims == 5 && x->shape[0] == u8->shape[0] && x->shape[1] == 3 &&
                        x->shape[2] == u8->shape[1] && x->shape[3] == u8->shape[2] &&
                        x->shape[4] == u8->shape[3] && x->layout == NULL, FALSE);
  return be->normalize_input (be, u8, x, error);
}

static gboolean
check_conv (const FvcPlan *plan, const FvcTensor *x, const FvcTensor *w, const FvcTensor *b)
{
  const FvcPlanDesc *d = &plan->desc;
  g_return_val_if_fail (d->kind == FVC_OP_CONV3D, FALSE);
  g_return_val_if_fail (x->n_dims == 5 && x->shape[0] == d->n && x->shape[1] == d->c && x->shape[2] == d->t &&
                        x->shape[3] == d->h && x->shape[4] == d->w, FALSE);
  g_return_val_if_fail (w->n_dims == 5 && w->shape[0] == d->out_c && w->shape[1] == d->c &&
                        w->shape[2] == d->kernel[0] && w->shape[3] == d->kernel[1] && w->shape[4] == d->kernel[2],
                        FALSE);
  g_return_val_if_fail (b->numel == d->out_c, FALSE);
  return TRUE;
}

gboolean
fvc_conv3d_forward (FvcBackend *be, const FvcPlan *plan, const FvcTensor *x, const FvcTensor *w,
                    const FvcTensor *b, FvcTensor *y, FvcTensor *ws, GError **error)
{
  g_return_val_if_fail (check_conv (plan, x, w, b), FALSE);
  g_return_val_if_fail (y->nbytes >= plan->dst_bytes && y->layout == plan->dst_layout, FALSE);
  return be->conv3d_forward (be, plan, x, w, b, y, ws, error);
}

gboolean
fvc_conv3d_backward (FvcBackend *be, const FvcPlan *plan, const FvcTensor *x, const FvcTensor *w,
                     const FvcTensor *dy, FvcTensor *dx, FvcTensor *dw, FvcTensor *db, FvcTensor *ws,
                     GError **error)
{
  g_return_val_if_fail (check_conv (plan, x, w, db), FALSE);
  g_return_val_if_fail (plan->desc.training && (dx == NULL || plan->desc.need_src_grad), FALSE);
  g_return_val_if_fail (dy->layout == plan->dst_layout && dw->numel == w->numel, FALSE);
  g_return_val_if_fail (dx == NULL || same_storage (dx, x), FALSE);
  return be->conv3d_backward (be, plan, x, w, dy, dx, dw, db, ws, error);
}

gboolean
fvc_relu_forward (FvcBackend *be, const FvcTensor *x, FvcTensor *y, GError **error)
{
  g_return_val_if_fail (same_storage (x, y), FALSE);
  return be->relu_forward (be, x, y, error);
}

gboolean
fvc_relu_backward (FvcBackend *be, const FvcTensor *y, const FvcTensor *dy, FvcTensor *dx, GError **error)
{
  g_return_val_if_fail (same_storage (y, dy) && same_storage (y, dx), FALSE);
  return be->relu_backward (be, y, dy, dx, error);
}

gboolean
fvc_maxpool3d_forward (FvcBackend *be, const FvcPlan *plan, const FvcTensor *x, FvcTensor *y, FvcTensor *ws,
                       GError **error)
{
  g_return_val_if_fail (plan->desc.kind == FVC_OP_MAXPOOL3D && x->numel == (gsize) plan->desc.n * plan->desc.c *
                        plan->desc.t * plan->desc.h * plan->desc.w, FALSE);
  g_return_val_if_fail (y->layout == plan->dst_layout && y->nbytes >= plan->dst_bytes, FALSE);
  return be->maxpool3d_forward (be, plan, x, y, ws, error);
}

gboolean
fvc_maxpool3d_backward (FvcBackend *be, const FvcPlan *plan, const FvcTensor *x, const FvcTensor *y,
                        const FvcTensor *dy, FvcTensor *dx, FvcTensor *ws, GError **error)
{
  g_return_val_if_fail (plan->desc.kind == FVC_OP_MAXPOOL3D && plan->desc.training, FALSE);
  g_return_val_if_fail (same_storage (y, dy) && same_storage (x, dx), FALSE);
  return be->maxpool3d_backward (be, plan, x, y, dy, dx, ws, error);
}

gboolean
fvc_avgpool_global_forward (FvcBackend *be, const FvcPlan *plan, const FvcTensor *x, FvcTensor *y,
                            GError **error)
{
  g_return_val_if_fail (plan->desc.kind == FVC_OP_AVGPOOL_GLOBAL, FALSE);
  g_return_val_if_fail (y->layout == NULL && y->numel == (gsize) plan->desc.n * plan->desc.c, FALSE);
  return be->avgpool_global_forward (be, plan, x, y, error);
}

gboolean
fvc_avgpool_global_backward (FvcBackend *be, const FvcPlan *plan, const FvcTensor *dy, FvcTensor *dx,
                             GError **error)
{
  g_return_val_if_fail (plan->desc.kind == FVC_OP_AVGPOOL_GLOBAL && plan->desc.training, FALSE);
  g_return_val_if_fail (dy->numel == (gsize) plan->desc.n * plan->desc.c, FALSE);
  return be->avgpool_global_backward (be, plan, dy, dx, error);
}

gboolean
fvc_linear_forward (FvcBackend *be, const FvcTensor *x, const FvcTensor *w, const FvcTensor *b, FvcTensor *y,
                    GError **error)
{
  g_return_val_if_fail (x->layout == NULL && w->n_dims == 2 && x->numel == (gsize) x->shape[0] * w->shape[1], FALSE);
  g_return_val_if_fail (b->numel == (gsize) w->shape[0] && y->numel == (gsize) x->shape[0] * w->shape[0], FALSE);
  return be->linear_forward (be, x, w, b, y, error);
}

gboolean
fvc_linear_backward (FvcBackend *be, const FvcTensor *x, const FvcTensor *w, const FvcTensor *dy, FvcTensor *dx,
                     FvcTensor *dw, FvcTensor *db, GError **error)
{
  g_return_val_if_fail (x->layout == NULL && w->n_dims == 2 && x->numel == (gsize) x->shape[0] * w->shape[1], FALSE);
  g_return_val_if_fail (dy->numel == (gsize) x->shape[0] * w->shape[0] && dw->numel == w->numel, FALSE);
  g_return_val_if_fail (dx == NULL || (dx->numel == x->numel && dx->layout == NULL), FALSE);
  return be->linear_backward (be, x, w, dy, dx, dw, db, error);
}

static gboolean
check_loss (const FvcTensor *logits, const FvcTensor *targets, const FvcTensor *out)
{
  return logits->numel == targets->numel && logits->numel == out->numel;
}

gboolean
fvc_bce_forward (FvcBackend *be, const FvcTensor *logits, const FvcTensor *targets, FvcTensor *losses,
                 GError **error)
{
  g_return_val_if_fail (check_loss (logits, targets, losses), FALSE);
  return be->bce_forward (be, logits, targets, losses, error);
}

gboolean
fvc_bce_backward (FvcBackend *be, const FvcTensor *logits, const FvcTensor *targets, float scale,
                  FvcTensor *dlogits, GError **error)
{
  g_return_val_if_fail (check_loss (logits, targets, dlogits), FALSE);
  return be->bce_backward (be, logits, targets, scale, dlogits, error);
}

gboolean
fvc_hinge_forward (FvcBackend *be, const FvcTensor *logits, const FvcTensor *targets, FvcTensor *losses,
                   GError **error)
{
  g_return_val_if_fail (check_loss (logits, targets, losses), FALSE);
  return be->hinge_forward (be, logits, targets, losses, error);
}

gboolean
fvc_hinge_backward (FvcBackend *be, const FvcTensor *logits, const FvcTensor *targets, float scale,
                    FvcTensor *dlogits, GError **error)
{
  g_return_val_if_fail (check_loss (logits, targets, dlogits), FALSE);
  return be->hinge_backward (be, logits, targets, scale, dlogits, error);
}
