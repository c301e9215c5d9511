/* fvc-layers.h — the layers of the models, as paired fvc_<layer>_forward / fvc_<layer>_backward
 * functions over tensors, with their shapes. Each checks its arguments and calls the backend
 * (fvc-backend.h), so the same model code runs on the CPU and on CUDA.
 *
 * Conventions: N batch, C channels, T frames, H height, W width, K features, O outputs.
 * Activations "(N, C, T, H, W)" may be stored in a backend layout (see fvc-tensor.h); weights are
 * PyTorch layouts. Backward functions overwrite their outputs (dx, dw, db); accumulation over
 * micro-batches is the model's business (fvc-model.c). "Plan" arguments come from
 * backend->plan_new for exactly these shapes.
 */
#pragma once

#include "fvc-backend.h"

G_BEGIN_DECLS

/* u8 (N, T, H, W, 3) RGB -> x (N, 3, T, H, W) plain float: x = (u8 / 255 - mean[c]) / std[c],
 * ImageNet mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225). No backward: it is the input. */
gboolean fvc_normalize_forward (FvcBackend *be, const FvcTensor *u8, FvcTensor *x, GError **error);

/* x (N, C, T, H, W), w (O, C, kT, kH, kW), b (O) -> y (N, O, T', H', W'),
 * T' = T + 2 pT - kT + 1 (stride 1, zero padding); ws: plan->workspace_bytes, kept for backward. */
gboolean fvc_conv3d_forward (FvcBackend *be, const FvcPlan *plan, const FvcTensor *x, const FvcTensor *w,
                             const FvcTensor *b, FvcTensor *y, FvcTensor *ws, GError **error);
/* dy (N, O, T', H', W') -> dx (N, C, T, H, W) (may be NULL), dw (O, C, kT, kH, kW), db (O). */
gboolean fvc_conv3d_backward (FvcBackend *be, const FvcPlan *plan, const FvcTensor *x, const FvcTensor *w,
                              const FvcTensor *dy, FvcTensor *dx, FvcTensor *dw, FvcTensor *db,
                              FvcTensor *ws, GError **error);

/* x (any shape) -> y = max(x, 0), same shape and layout; in place allowed (y == x). */
gboolean fvc_relu_forward (FvcBackend *be, const FvcTensor *x, FvcTensor *y, GError **error);
/* y = relu(x), dy -> dx = dy * (y > 0); in place allowed (dx == dy). */
gboolean fvc_relu_backward (FvcBackend *be, const FvcTensor *y, const FvcTensor *dy, FvcTensor *dx,
                            GError **error);

/* x (N, C, T, H, W) -> y (N, C, T/kT, H/kH, W/kW), max over each window (stride = kernel);
 * ws: the plan's workspace (argmax positions), kept for backward. */
gboolean fvc_maxpool3d_forward (FvcBackend *be, const FvcPlan *plan, const FvcTensor *x, FvcTensor *y,
                                FvcTensor *ws, GError **error);
/* dy (N, C, T', H', W') -> dx (N, C, T, H, W): dy routed to the argmax of each window. */
gboolean fvc_maxpool3d_backward (FvcBackend *be, const FvcPlan *plan, const FvcTensor *x, const FvcTensor *y,
                                 const FvcTensor *dy, FvcTensor *dx, FvcTensor *ws, GError **error);

/* x (N, C, T, H, W) -> y (N, C) plain = mean over (T, H, W). */
gboolean fvc_avgpool_global_forward (FvcBackend *be, const FvcPlan *plan, const FvcTensor *x, FvcTensor *y,
                                     GError **error);
/* dy (N, C) -> dx (N, C, T, H, W) = dy / (T H W) broadcast. */
gboolean fvc_avgpool_global_backward (FvcBackend *be, const FvcPlan *plan, const FvcTensor *dy,
                                      FvcTensor *dx, GError **error);

/* x (N, K) (or any (N, ...) plain tensor, flattened in C order), w (O, K), b (O) -> y (N, O) = x w^T + b */
gboolean fvc_linear_forward (FvcBackend *be, const FvcTensor *x, const FvcTensor *w, const FvcTensor *b,
                             FvcTensor *y, GError **error);
/* dy (N, O) -> dx (N, K) = dy w (may be NULL), dw (O, K) = dy^T x, db (O) = sum over N of dy. */
gboolean fvc_linear_backward (FvcBackend *be, const FvcTensor *x, const FvcTensor *w, const FvcTensor *dy,
                              FvcTensor *dx, FvcTensor *dw, FvcTensor *db, GError **error);

/* Binary cross-entropy with logits (targets 0/1): logits (N), targets (N) -> losses (N),
 * losses[i] = max(x, 0) - x y + log(1 + exp(-|x|)). */
gboolean fvc_bce_forward (FvcBackend *be, const FvcTensor *logits, const FvcTensor *targets,
                          FvcTensor *losses, GError **error);
/* dlogits (N) = scale * (sigmoid(x) - y); scale = d(total loss)/d(losses[i]), e.g. 1/(N accum). */
gboolean fvc_bce_backward (FvcBackend *be, const FvcTensor *logits, const FvcTensor *targets, float scale,
                           FvcTensor *dlogits, GError **error);

/* Hinge (SVM) with labels s = 2 y - 1 in {-1, +1}: losses[i] = max(0, 1 - s x). */
gboolean fvc_hinge_forward (FvcBackend *be, const FvcTensor *logits, const FvcTensor *targets,
                            FvcTensor *losses, GError **error);
/* dlogits (N) = -s scale where 1 - s x >= 0, else 0. */
gboolean fvc_hinge_backward (FvcBackend *be, const FvcTensor *logits, const FvcTensor *targets, float scale,
                             FvcTensor *dlogits, GError **error);

G_END_DECLS
