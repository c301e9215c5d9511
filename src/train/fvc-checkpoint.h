/* fvc-checkpoint.h — model checkpoints: safetensors files (fvc-safetensors.h) that PyTorch
 * loads as a state_dict.
 *
 *   tensors       the parameters, F32, PyTorch names, shapes and order ("c1.weight" [32,3,1,3,3],
 *                 "c1.bias" [32], ..., "fc.weight" [1,128], "fc.bias" [1]); then, for a training
 *                 checkpoint, AdamW's state: "optimizer.exp_avg.<name>" for every parameter, then
 *                 "optimizer.exp_avg_sq.<name>"
 *   __metadata__  format "fvc-checkpoint", format_version "1", model, frames, height, width,
 *                 channels "3", input (the normalisation, in words), batch_size,
 *                 accumulation_steps, learning_rate, weight_decay, beta1, beta2, eps (%.17g),
 *                 epochs (completed), steps (optimizer steps = AdamW's step count), clips (seen),
 *                 seed, fvc_version — in this order, so equal trainings give equal bytes.
 *
 * Loading refuses a file whose model or clip shape differs from what it is loaded into, naming
 * both, and a training resume refuses a file without optimizer state.
 */
#pragma once

#include "fvc-model.h"
#include "fvc-optim.h"

G_BEGIN_DECLS

#define FVC_CHECKPOINT_FORMAT "fvc-checkpoint"
#define FVC_CHECKPOINT_FORMAT_VERSION 1
#define FVC_CHECKPOINT_OPTIMIZER_PREFIX "optimizer."

typedef struct {
  char *model;
  guint frames, height, width;
  guint batch_size, accumulation_steps;
  FvcAdamWConfig adamw;
  guint64 epochs, steps, clips;
  guint32 seed;
  char *fvc_version;
  gboolean has_optimizer_state;
} FvcCheckpointInfo;

void fvc_checkpoint_info_clear (FvcCheckpointInfo *info);

typedef struct _FvcCheckpoint FvcCheckpoint;

/* Maps, validates the file and parses its metadata (an unknown model is an error). */
FvcCheckpoint *fvc_checkpoint_open (const char *path, GError **error);
void fvc_checkpoint_free (FvcCheckpoint *ck);
const FvcCheckpointInfo *fvc_checkpoint_get_info (const FvcCheckpoint *ck);
const char *fvc_checkpoint_get_path (const FvcCheckpoint *ck);

/* FVC_ERROR_MISMATCH unless the checkpoint is for @model_name with @frames x @height x @width
 * clips. */
gboolean fvc_checkpoint_check (const FvcCheckpoint *ck, const char *model_name, guint frames, guint height,
                               guint width, GError **error);
/* Copies the parameters (and, with @with_optimizer_state, AdamW's state) into @model, after
 * checking the model, the shape and every tensor's dtype and shape. */
gboolean fvc_checkpoint_load (const FvcCheckpoint *ck, FvcModel *model, gboolean with_optimizer_state,
                              GError **error);

/* Writes @model's parameters (and optimizer state when it has one) with @info's metadata
 * (model and shape are taken from @model), atomically. */
gboolean fvc_checkpoint_save (const char *path, FvcModel *model, const FvcCheckpointInfo *info,
                              GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FvcCheckpoint, fvc_checkpoint_free)

G_END_DECLS
