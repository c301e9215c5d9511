/* fvc-fold-job.h — one (fold, model) of a run: train it, evaluate it, and write its files, the
 * same way inside `fvc-stream run` and from `fvc-stream train` / `eval` (one cluster job each).
 *
 * Training: pipelines/train.pipeline (fvcclipsrc split=train include=all ! fvctrainsink),
 * evaluation: pipelines/eval.pipeline (fvcclipsrc split=val include=base ! fvcevalsink), both
 * in this process. Files, in runs/run_NNN/fold<k>/<model>/:
 *
 *   train_log.csv     epoch,step,clips,loss,learning_rate,clips_per_s   one row per progress
 *                     message of the trainer (every progress_interval optimizer steps)
 *   train_epochs.csv  epoch,clips,mean_loss,accuracy                   one row per epoch
 *   train_clips.csv   epoch,video_path,augmentation_idx,label         every clip the trainer
 *                     received, in order, read from the buffers at its sink pad (not from
 *                     what the driver asked for)
 *   eval_clips.csv    the same for the clips the evaluator received
 *   predictions.csv   video_path,label,score,prediction,logit,n_clips (written by fvcevalsink)
 *   metrics.json      fvc-results.h; status "failed" with the reason when training or
 *                     evaluation failed
 * and the checkpoint models/run_NNN/<model>_fold<k>.safetensors.
 */
#pragma once

#include "fvc-config.h"
#include "fvc-memlog.h"
#include "fvc-results.h"
#include "fvc-run-dir.h"

G_BEGIN_DECLS

typedef struct {
  const FvcRunDir *rd;
  const FvcRunConfig *cfg;
  const char *cache_dir;
  const char *manifest;            /* folds.csv */
  guint fold;
  const FvcModelSettings *model;
  FvcMemlog *memlog;               /* NULL: no memory statistics */
  const char *progress_prefix;     /* "[3/15] " before progress lines, or NULL */
} FvcFoldJob;

/* Trains and writes the checkpoint and the training files. */
gboolean fvc_fold_job_train (const FvcFoldJob *job, GError **error);
/* Evaluates the checkpoint on the fold's validation videos; fills @out and writes metrics.json. */
gboolean fvc_fold_job_eval (const FvcFoldJob *job, FvcFoldResult *out, GError **error);
/* Train then evaluate. A failure of either is recorded in @out and metrics.json (and returned
 * as FALSE with @error); FVC_ERROR_CANCELLED (Ctrl-C) is not recorded. */
gboolean fvc_fold_job_run (const FvcFoldJob *job, FvcFoldResult *out, GError **error);
/* Records @reason as the failure of the job in metrics.json and @out. */
void fvc_fold_job_record_failure (const FvcFoldJob *job, FvcFoldResult *out, const char *reason);

/* `fvc-stream train` (@train TRUE) and `fvc-stream eval`: one (fold, model) of a prepared run
 * (--run ROOT/runs/run_NNN --fold K --model M), its settings from the run's config.ini, logging
 * to its log. */
gboolean fvc_fold_job_command (int argc, char **argv, gboolean train, GError **error);

G_END_DECLS
