/* fvc-trainer.h — training and evaluation without GStreamer: what fvctrainsink and fvcevalsink
 * wrap (and what the tests and benchmarks drive directly).
 *
 * Trainer: clips arrive one by one with their labels; every batch_size clips make a micro-batch
 * (normalise, forward, loss, backward); every accumulation_steps micro-batches make one AdamW
 * step. A micro-batch's loss is its mean per-clip loss divided by accumulation_steps, so
 * batch 2 x accumulation 4 updates like batch 8 x 1. fvc_trainer_end_epoch() trains the last,
 * smaller batch of the epoch (nothing is dropped) and steps with a partly filled accumulation.
 *
 * Evaluator: scores clips with a checkpoint, in batches, and keeps per video (video_path as
 * written in the index) the sum of its clip logits; a video's score is sigmoid(mean logit).
 */
#pragma once

#include "fvc-checkpoint.h"
#include "fvc-metrics.h"
#include "fvc-model.h"
#include "fvc-optim.h"

G_BEGIN_DECLS

typedef struct {
  const char *model;             /* registry name */
  guint batch_size;              /* 0: the model's memory config */
  guint accumulation_steps;      /* 0: the model's memory config */
  FvcAdamWConfig adamw;
  guint32 seed;                  /* parameter initialisation */
  FvcDevice device;
  FvcPrecision precision;        /* fp32 (default), tf32, bf16: fvc-backend.h */
  guint frames, height, width;   /* clip shape (T, H, W), RGB */
} FvcTrainerConfig;

/* Defaults: no model, batch/accumulation from the model, AdamW defaults, seed 0, CPU. */
void fvc_trainer_config_init (FvcTrainerConfig *config);

typedef struct {
  guint64 epochs;          /* completed epochs, a resumed checkpoint's included */
  guint64 steps;           /* optimizer steps, a resumed checkpoint's included */
  guint64 clips;           /* clips trained on, a resumed checkpoint's included */
  guint64 micro_batches;   /* in this process */
  double loss_sum;         /* sum of per-clip losses in this process */
  guint64 loss_clips;      /* clips in loss_sum */
  /* the epoch in progress */
  guint64 epoch_clips, epoch_correct;
  double epoch_loss_sum;
} FvcTrainerStats;

typedef struct {
  guint64 epoch;           /* 0-based number of the epoch that ended */
  guint64 clips;
  double mean_loss;
  double accuracy;         /* clip-level, before each clip's update */
} FvcEpochSummary;

typedef struct _FvcTrainer FvcTrainer;

/* Creates the model (arenas, plans) and initialises it from the seed. */
FvcTrainer *fvc_trainer_new (const FvcTrainerConfig *config, GError **error);
void fvc_trainer_free (FvcTrainer *trainer);
/* Continues from a checkpoint: parameters, AdamW state and step count, epochs, clips, and the
 * initialisation seed (recorded again in later checkpoints). */
gboolean fvc_trainer_resume (FvcTrainer *trainer, const char *checkpoint_path, GError **error);
/* The same from a checkpoint already open (fvctrainsink checks it before the first clip). */
gboolean fvc_trainer_resume_checkpoint (FvcTrainer *trainer, const FvcCheckpoint *checkpoint, GError **error);

guint fvc_trainer_get_batch_size (const FvcTrainer *trainer);
guint fvc_trainer_get_accumulation_steps (const FvcTrainer *trainer);
FvcModel *fvc_trainer_get_model (FvcTrainer *trainer);
/* On a device backend (CUDA) a micro-batch's outputs are read when the next one is launched (the
 * device computes while the next clips are staged), so the loss, accuracy and clip counts lag by
 * at most one micro-batch until fvc_trainer_end_epoch() or fvc_trainer_save() (steps do not). */
const FvcTrainerStats *fvc_trainer_get_stats (const FvcTrainer *trainer);

/* @rgb: T*H*W*3 bytes; label 0 real, 1 fake. Trains when a batch is full. */
gboolean fvc_trainer_add_clip (FvcTrainer *trainer, const guint8 *rgb, int label, GError **error);
/* Trains what is pending, steps, counts the epoch and summarises it. */
gboolean fvc_trainer_end_epoch (FvcTrainer *trainer, FvcEpochSummary *summary, GError **error);
/* Writes the checkpoint (parameters, optimizer state, metadata). */
gboolean fvc_trainer_save (FvcTrainer *trainer, const char *path, GError **error);

/* ---- evaluation --------------------------------------------------------------------------- */

typedef struct {
  const char *video_path;
  int label;
  guint n_clips;
  double logit;            /* mean clip logit */
  double score;            /* sigmoid(logit) */
  int prediction;          /* logit > 0 */
} FvcVideoScore;

typedef struct _FvcEvaluator FvcEvaluator;

/* The checkpoint's model for @frames x @height x @width clips (a mismatch is an error). */
FvcEvaluator *fvc_evaluator_new (const FvcCheckpoint *checkpoint, guint batch_size, FvcDevice device,
                                 guint frames, guint height, guint width, GError **error);
void fvc_evaluator_free (FvcEvaluator *ev);
gboolean fvc_evaluator_add_clip (FvcEvaluator *ev, const guint8 *rgb, const char *video_path, int label,
                                 GError **error);
/* Scores what is pending. */
gboolean fvc_evaluator_flush (FvcEvaluator *ev, GError **error);
guint64 fvc_evaluator_get_n_clips (const FvcEvaluator *ev);
guint fvc_evaluator_get_n_videos (const FvcEvaluator *ev);
/* In order of each video's first clip. */
void fvc_evaluator_get_video (const FvcEvaluator *ev, guint i, FvcVideoScore *out);
void fvc_evaluator_compute_metrics (const FvcEvaluator *ev, FvcMetrics *out);
/* CSV video_path,label,score,prediction,logit,n_clips, written atomically. */
gboolean fvc_evaluator_write_predictions (const FvcEvaluator *ev, const char *path, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FvcTrainer, fvc_trainer_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FvcEvaluator, fvc_evaluator_free)

G_END_DECLS
