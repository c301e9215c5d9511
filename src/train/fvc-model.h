/* fvc-model.h — models: the registry of architectures, their memory configs, and one model
 * instance (parameters, gradients, optimizer state, activations) on one backend.
 *
 * Memory plan of an instance, all made by fvc_model_new() and never grown by a step:
 *   parameters   one arena, tensors named and shaped as in PyTorch ("c1.weight" OIDHW, ...)
 *   gradients    one arena, same names and layout (training only)
 *   micro-grads  one arena, same layout: gradients of the second and later micro-batches of an
 *                accumulation group, added into the gradients (training with accumulation > 1)
 *   optimizer    one arena: "exp_avg.<name>" for every parameter, then "exp_avg_sq.<name>"
 *   activations  one arena: every activation and its gradient, the plans' workspaces, the shared
 *                scratch, the normalised input, logits, targets, losses, logit gradients; sized
 *                for the largest batch. A batch size first seen later (the smaller last batch of
 *                an epoch) gets its plans made once and cached; should they need more room the
 *                arena is re-made then, between steps.
 *
 * Adding an architecture (vit_gru, x3d, ...) is one FvcModelInfo in the table of fvc-model.c and
 * a file with its declare/plan/forward/backward functions built from fvc-layers.h.
 */
#pragma once

#include <glib.h>

#include "fvc-backend.h"
#include "fvc-tensor.h"

G_BEGIN_DECLS

typedef enum {
  FVC_LOSS_BCE,     /* binary cross-entropy with logits, targets 0/1 */
  FVC_LOSS_HINGE,   /* hinge, labels -1/+1 (L2 through weight decay) */
} FvcLossKind;

/* Per-model memory config (DESIGN.md "Models"): what fits one training job; all overridable. */
typedef struct {
  guint batch_size;
  guint accumulation_steps;
  guint frames;             /* frames per clip the cache should be built with for this model */
} FvcMemoryConfig;

typedef struct _FvcModel FvcModel;
typedef struct _FvcBatch FvcBatch;
typedef struct _FvcModelInfo FvcModelInfo;

/* The table of architectures; NULL-terminated. */
const FvcModelInfo *const *fvc_model_registry (void);
/* NULL when unknown. */
const FvcModelInfo *fvc_model_info_lookup (const char *name);
const char *fvc_model_info_get_name (const FvcModelInfo *info);
const char *fvc_model_info_get_description (const FvcModelInfo *info);
FvcLossKind fvc_model_info_get_loss (const FvcModelInfo *info);
const FvcMemoryConfig *fvc_model_info_get_memory_config (const FvcModelInfo *info);
/* "logistic_regression, svm, naive_cnn" (transfer full) */
char *fvc_model_names (const char *separator);

typedef struct {
  guint frames, height, width;   /* input clips (T, H, W), 3 channels */
  guint max_batch;               /* largest batch the instance will see */
  gboolean training;             /* gradients, optimizer state and backward plans */
  gboolean accumulate;           /* training with more than one micro-batch per step */
  FvcDevice device;
  FvcPrecision precision;        /* fp32 (default), tf32, bf16 (CUDA) */
} FvcModelConfig;

/* Makes the backend, the arenas and the plans for max_batch. Parameters are zero until
 * fvc_model_init_params() or a checkpoint load. */
FvcModel *fvc_model_new (const FvcModelInfo *info, const FvcModelConfig *config, GError **error);
void fvc_model_free (FvcModel *model);

const FvcModelInfo *fvc_model_get_info (const FvcModel *model);
const FvcModelConfig *fvc_model_get_config (const FvcModel *model);
FvcBackend *fvc_model_get_backend (FvcModel *model);
FvcArena *fvc_model_get_params (FvcModel *model);
/* NULL when not training. */
FvcArena *fvc_model_get_grads (FvcModel *model);
FvcArena *fvc_model_get_optimizer_state (FvcModel *model);
/* Fan-in of a parameter (for PyTorch's default initialisation). */
guint fvc_model_get_fan_in (const FvcModel *model, guint param_index);

/* PyTorch's default initialisation of nn.Conv3d / nn.Linear (kaiming_uniform with a = sqrt(5)
 * for weights, i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the same bound for biases), every
 * value drawn with fvc_rng_range (seed, "init.<parameter name>", element index, -b, b). */
gboolean fvc_model_init_params (FvcModel *model, guint32 seed, GError **error);

/* The plans and activation views for batches of @n clips (1..max_batch), made once per n. */
FvcBatch *fvc_model_prepare_batch (FvcModel *model, guint n, GError **error);
guint fvc_batch_get_size (const FvcBatch *batch);
/* Sets the batch's clips from host memory: n * T * H * W * 3 bytes, kept valid until the
 * forward pass is done (the CPU backend reads it in place). */
gboolean fvc_model_set_input (FvcModel *model, FvcBatch *batch, const guint8 *host_clips, GError **error);
/* Targets 0/1 from the host, one per clip. */
gboolean fvc_model_set_targets (FvcModel *model, FvcBatch *batch, const float *host_targets, GError **error);

/* Normalises the input and runs the layers: logits (n). */
gboolean fvc_model_forward (FvcModel *model, FvcBatch *batch, GError **error);
/* Per-clip losses (n) of the model's loss and, when @grad_scale != 0, their gradient times
 * @grad_scale into the logit gradients. */
gboolean fvc_model_loss (FvcModel *model, FvcBatch *batch, float grad_scale, GError **error);
/* Backward from the logit gradients into the parameter gradients: overwrites them, or adds to
 * them when @accumulate (through the micro-grads arena). */
gboolean fvc_model_backward (FvcModel *model, FvcBatch *batch, gboolean accumulate, GError **error);
/* Copies logits and/or losses (n floats each, NULL to skip) to the host. */
gboolean fvc_model_read_outputs (FvcModel *model, FvcBatch *batch, float *logits, float *losses,
                                 GError **error);

/* Tests and inspection: activation tensors of a batch by name ("c1", "p1", ..., "x", "logits"),
 * and their gradients ("grad.c1"). NULL when absent. */
FvcTensor *fvc_batch_lookup (FvcBatch *batch, const char *name);

/* Bytes of the activation arena (sized at creation for max_batch). */
gsize fvc_model_get_activation_bytes (const FvcModel *model);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FvcModel, fvc_model_free)

G_END_DECLS
