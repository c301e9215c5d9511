/* fvc-trainer.c — batching, micro-batches, accumulation and AdamW steps (trainer), and batched
 * scoring with per-video aggregation (evaluator). The numeric work is the model's; this file
 * keeps the books. Host staging buffers are allocated once, at creation. */
#include "fvc-trainer.h"
#include "fvc-csv.h"
#include "fvc-error.h"
#include "fvc-fileutil.h"

#include <string.h>

void
fvc_trainer_config_init (FvcTrainerConfig *c)
{
  memset (c, 0, sizeof *c);
  fvc_adamw_config_init (&c->adamw);
  c->device = FVC_DEVICE_CPU;
}

/* Host staging for up to @batch clips, their targets and outputs. */
typedef struct {
  FvcBackend *be;
  gsize clip_bytes;
  guint batch;
  guint n;                 /* clips staged */
  guint8 *clips;           /* batch * clip_bytes, from backend->alloc_host */
  float *targets, *logits, *losses;
} Staging;

static gboolean
staging_init (Staging *s, FvcBackend *be, guint batch, gsize clip_bytes, GError **error)
{
  s->be = be;
  s->batch = batch;
  s->clip_bytes = clip_bytes;
  s->clips = be->alloc_host (be, batch * clip_bytes, error);
  if (s->clips == NULL)
    return FALSE;
  s->targets = g_new0 (float, batch);
  s->logits = g_new0 (float, batch);
  s->losses = g_new0 (float, batch);
  return TRUE;
}

static void
staging_clear (Staging *s)
{
  if (s->clips != NULL)
    s->be->free_host (s->be, s->clips);
  g_free (s->targets);
  g_free (s->logits);
  g_free (s->losses);
  memset (s, 0, sizeof *s);
}

static void
staging_add (Staging *s, const guint8 *rgb, int label)
{
  memcpy (s->clips + s->n * s->clip_bytes, rgb, s->clip_bytes);
  s->targets[s->n] = label ? 1.f : 0.f;
  s->n++;
}

/* Forward (and, with @grad_scale != 0, loss gradient) of the staged clips; outputs to the host. */
static FvcBatch *
staging_forward (Staging *s, FvcModel *model, float grad_scale, gboolean with_loss, GError **error)
{
  FvcBatch *b = fvc_model_prepare_batch (model, s->n, error);
  if (b == NULL || !fvc_model_set_input (model, b, s->clips, error) ||
      !fvc_model_set_targets (model, b, s->targets, error) || !fvc_model_forward (model, b, error))
    return NULL;
  if (with_loss && !fvc_model_loss (model, b, grad_scale, error))
    return NULL;
  return b;
}

/* ---- trainer ------------------------------------------------------------------------------ */

struct _FvcTrainer {
  FvcTrainerConfig config;
  char *model_name;
  guint batch, accum;
  FvcModel *model;
  Staging staging;
  guint micro;             /* micro-batches in the current accumulation group */
  FvcTrainerStats stats;
  /* Device backends (CUDA): the micro-batch launched last, whose outputs are read when the next
   * one is launched, so that the device computes while the next clips are staged. */
  gboolean pipelined;
  gboolean pending;
  FvcBatch *pending_batch;
  guint pending_n;
  float *pending_targets;  /* batch floats */
};

FvcTrainer *
fvc_trainer_new (const FvcTrainerConfig *config, GError **error)
{
  g_autoptr (FvcTrainer) t = g_new0 (FvcTrainer, 1);
  const FvcModelInfo *info = fvc_model_info_lookup (config->model);
  const FvcMemoryConfig *mem;
  FvcModelConfig mc = { 0 };

  if (info == NULL) {
    g_autofree char *names = fvc_model_names (", ");
    g_set_error (error, FVC_ERROR, FVC_ERROR_INVALID, "unknown model \"%s\"; known models: %s",
                 config->model ? config->model : "(none)", names);
    return NULL;
  }
  t->config = *config;
  t->model_name = g_strdup (config->model);
  t->config.model = t->model_name;
  mem = fvc_model_info_get_memory_config (info);
  t->batch = config->batch_size ? config->batch_size : mem->batch_size;
  t->accum = config->accumulation_steps ? config->accumulation_steps : mem->accumulation_steps;
  if (config->adamw.lr < 0 || config->adamw.weight_decay < 0) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_INVALID, "learning rate %g and weight decay %g must not be negative",
                 config->adamw.lr, config->adamw.weight_decay);
    return NULL;
  }
  mc.frames = config->frames;
  mc.height = config->height;
  mc.width = config->width;
  mc.max_batch = t->batch;
  mc.training = TRUE;
  mc.accumulate = t->accum > 1;
  mc.device = config->device;
  mc.precision = config->precision;
  t->model = fvc_model_new (info, &mc, error);
  if (t->model == NULL)
    return NULL;
  if (!fvc_model_init_params (t->model, config->seed, error))
    return NULL;
  if (!staging_init (&t->staging, fvc_model_get_backend (t->model), t->batch,
                     (gsize) config->frames * config->height * config->width * 3, error))
    return NULL;
  t->pipelined = !fvc_model_get_backend (t->model)->host_visible;
  t->pending_targets = g_new0 (float, t->batch);
  return g_steal_pointer (&t);
}

void
fvc_trainer_free (FvcTrainer *t)
{
  if (t == NULL)
    return;
  staging_clear (&t->staging);
  fvc_model_free (t->model);
  g_free (t->model_name);
  g_free (t->pending_targets);
  g_free (t);
}

gboolean
fvc_trainer_resume (FvcTrainer *t, const char *path, GError **error)
{
  g_autoptr (FvcCheckpoint) ck = fvc_checkpoint_open (path, error);

  return ck != NULL && fvc_trainer_resume_checkpoint (t, ck, error);
}

gboolean
fvc_trainer_resume_checkpoint (FvcTrainer *t, const FvcCheckpoint *ck, GError **error)
{
  const FvcCheckpointInfo *info;

  g_return_val_if_fail (t->stats.micro_batches == 0, FALSE);
  if (!fvc_checkpoint_load (ck, t->model, TRUE, error))
    return FALSE;
  info = fvc_checkpoint_get_info (ck);
  t->stats.epochs = info->epochs;
  t->stats.steps = info->steps;
  t->stats.clips = info->clips;
  t->config.seed = info->seed;   /* the seed the parameters were initialised with */
  return TRUE;
}

guint
fvc_trainer_get_batch_size (const FvcTrainer *t)
{
  return t->batch;
}

guint
fvc_trainer_get_accumulation_steps (const FvcTrainer *t)
{
  return t->accum;
}

FvcModel *
fvc_trainer_get_model (FvcTrainer *t)
{
  return t->model;
}

const FvcTrainerStats *
fvc_trainer_get_stats (const FvcTrainer *t)
{
  return &t->stats;
}

static gboolean
optimizer_step (FvcTrainer *t, GError **error)
{
  if (!fvc_adamw_step (t->model, &t->config.adamw, t->stats.steps + 1, error))
    return FALSE;
  t->stats.steps++;
  t->micro = 0;
  return TRUE;
}

/* Reads a launched micro-batch's logits and losses and counts them. */
static gboolean
count_outputs (FvcTrainer *t, FvcBatch *b, guint n, const float *targets, GError **error)
{
  Staging *s = &t->staging;

  if (!fvc_model_read_outputs (t->model, b, s->logits, s->losses, error))
    return FALSE;
  for (guint i = 0; i < n; i++) {
    t->stats.loss_sum += s->losses[i];
    t->stats.epoch_loss_sum += s->losses[i];
    if ((s->logits[i] > 0.f) == (targets[i] > 0.5f))
      t->stats.epoch_correct++;
  }
  t->stats.loss_clips += n;
  t->stats.epoch_clips += n;
  t->stats.clips += n;
  t->stats.micro_batches++;
  return TRUE;
}

/* Counts the pending micro-batch (waits for the device). */
static gboolean
settle (FvcTrainer *t, GError **error)
{
  if (!t->pending)
    return TRUE;
  t->pending = FALSE;
  return count_outputs (t, t->pending_batch, t->pending_n, t->pending_targets, error);
}

/* One micro-batch of the staged clips: loss = mean / accumulation_steps. On a device backend the
 * clips' copy is queued behind the previous micro-batch, whose outputs are then read (that waits
 * for both), and this one is launched without waiting: the caller stages the next clips while
 * the device computes. */
static gboolean
train_micro_batch (FvcTrainer *t, GError **error)
{
  Staging *s = &t->staging;
  FvcBackend *be = fvc_model_get_backend (t->model);
  guint n = s->n;
  FvcBatch *b;

  /* a new batch size may remake the activations, the pending outputs with them */
  if (t->pending && t->pending_n != n && !settle (t, error))
    return FALSE;
  b = fvc_model_prepare_batch (t->model, n, error);
  if (b == NULL || !fvc_model_set_input (t->model, b, s->clips, error) ||
      !fvc_model_set_targets (t->model, b, s->targets, error))
    return FALSE;
  /* the staging buffer is free again once its copy is done */
  if (t->pipelined && !(t->pending ? settle (t, error) : be->synchronize (be, error)))
    return FALSE;
  if (!fvc_model_forward (t->model, b, error) || !fvc_model_loss (t->model, b, 1.f / ((float) n * t->accum), error) ||
      !fvc_model_backward (t->model, b, t->micro > 0, error))
    return FALSE;
  if (t->pipelined) {
    if (!fvc_backend_submit (be, error))   /* start it now, not at the next copy */
      return FALSE;
    t->pending = TRUE;
    t->pending_batch = b;
    t->pending_n = n;
    memcpy (t->pending_targets, s->targets, n * sizeof (float));
  } else if (!count_outputs (t, b, n, s->targets, error)) {
    return FALSE;
  }
  s->n = 0;
  if (++t->micro == t->accum)
    return optimizer_step (t, error);
  return TRUE;
}

gboolean
fvc_trainer_add_clip (FvcTrainer *t, const guint8 *rgb, int label, GError **error)
{
  staging_add (&t->staging, rgb, label);
  if (t->staging.n == t->batch)
    return train_micro_batch (t, error);
  return TRUE;
}

gboolean
fvc_trainer_end_epoch (FvcTrainer *t, FvcEpochSummary *summary, GError **error)
{
  if (t->staging.n > 0 && !train_micro_batch (t, error))
    return FALSE;
  if (t->micro > 0 && !optimizer_step (t, error))
    return FALSE;
  if (!settle (t, error))
    return FALSE;
  if (summary != NULL) {
    summary->epoch = t->stats.epochs;
    summary->clips = t->stats.epoch_clips;
    summary->mean_loss = t->stats.epoch_clips ? t->stats.epoch_loss_sum / t->stats.epoch_clips : 0.0;
    summary->accuracy = t->stats.epoch_clips ? (double) t->stats.epoch_correct / t->stats.epoch_clips : 0.0;
  }
  t->stats.epochs++;
  t->stats.epoch_clips = t->stats.epoch_correct = 0;
  t->stats.epoch_loss_sum = 0;
  return TRUE;
}

gboolean
fvc_trainer_save (FvcTrainer *t, const char *path, GError **error)
{
  FvcCheckpointInfo info = { 0 };

  if (!settle (t, error))
    return FALSE;
  info.batch_size = t->batch;
  info.accumulation_steps = t->accum;
  info.adamw = t->config.adamw;
  info.epochs = t->stats.epochs;
  info.steps = t->stats.steps;
  info.clips = t->stats.clips;
  info.seed = t->config.seed;
  return fvc_checkpoint_save (path, t->model, &info, error);
}

/* ---- evaluator ---------------------------------------------------------------------------- */

typedef struct {
  char *video_path;
  int label;
  guint n_clips;
  double logit_sum;
} VideoAgg;

struct _FvcEvaluator {
  FvcModel *model;
  Staging staging;
  guint *pending_video;    /* video index of each staged clip */
  GArray *videos;          /* VideoAgg, in order of first clip */
  GHashTable *by_path;     /* video_path -> index + 1 */
  guint64 n_clips;
};

static void
video_agg_clear (gpointer p)
{
  g_free (((VideoAgg *) p)->video_path);
}

FvcEvaluator *
fvc_evaluator_new (const FvcCheckpoint *ck, guint batch_size, FvcDevice device, guint frames, guint height,
                   guint width, GError **error)
{
  g_autoptr (FvcEvaluator) ev = g_new0 (FvcEvaluator, 1);
  const FvcCheckpointInfo *ci = fvc_checkpoint_get_info (ck);
  const FvcModelInfo *info = fvc_model_info_lookup (ci->model);
  FvcModelConfig mc = { 0 };

  ev->videos = g_array_new (FALSE, TRUE, sizeof (VideoAgg));
  g_array_set_clear_func (ev->videos, video_agg_clear);
  ev->by_path = g_hash_table_new (g_str_hash, g_str_equal);
  if (!fvc_checkpoint_check (ck, ci->model, frames, height, width, error))
    return NULL;
  mc.frames = frames;
  mc.height = height;
  mc.width = width;
  mc.max_batch = batch_size ? batch_size : fvc_model_info_get_memory_config (info)->batch_size;
  mc.device = device;
  ev->model = fvc_model_new (info, &mc, error);
  if (ev->model == NULL || !fvc_checkpoint_load (ck, ev->model, FALSE, error))
    return NULL;
  if (!staging_init (&ev->staging, fvc_model_get_backend (ev->model), mc.max_batch,
                     (gsize) frames * height * width * 3, error))
    return NULL;
  ev->pending_video = g_new0 (guint, mc.max_batch);
  return g_steal_pointer (&ev);
}

void
fvc_evaluator_free (FvcEvaluator *ev)
{
  if (ev == NULL)
    return;
  staging_clear (&ev->staging);
  fvc_model_free (ev->model);
  g_free (ev->pending_video);
  if (ev->by_path)
    g_hash_table_unref (ev->by_path);
  if (ev->videos)
    g_array_unref (ev->videos);
  g_free (ev);
}

gboolean
fvc_evaluator_flush (FvcEvaluator *ev, GError **error)
{
  Staging *s = &ev->staging;
  FvcBatch *b;

  if (s->n == 0)
    return TRUE;
  b = staging_forward (s, ev->model, 0.f, FALSE, error);
  if (b == NULL || !fvc_model_read_outputs (ev->model, b, s->logits, NULL, error))
    return FALSE;
  for (guint i = 0; i < s->n; i++) {
    VideoAgg *v = &g_array_index (ev->videos, VideoAgg, ev->pending_video[i]);
    v->logit_sum += s->logits[i];
    v->n_clips++;
  }
  ev->n_clips += s->n;
  s->n = 0;
  return TRUE;
}

gboolean
fvc_evaluator_add_clip (FvcEvaluator *ev, const guint8 *rgb, const char *video_path, int label, GError **error)
{
  guint idx = GPOINTER_TO_UINT (g_hash_table_lookup (ev->by_path, video_path));

  if (idx == 0) {
    VideoAgg v = { g_strdup (video_path), label ? 1 : 0, 0, 0.0 };
    g_array_append_val (ev->videos, v);
    idx = ev->videos->len;
    g_hash_table_insert (ev->by_path, g_array_index (ev->videos, VideoAgg, idx - 1).video_path,
                         GUINT_TO_POINTER (idx));
  } else if (g_array_index (ev->videos, VideoAgg, idx - 1).label != (label ? 1 : 0)) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_INVALID, "%s: a clip is labelled %d but earlier clips of the video %d",
                 video_path, label, g_array_index (ev->videos, VideoAgg, idx - 1).label);
    return FALSE;
  }
  ev->pending_video[ev->staging.n] = idx - 1;
  staging_add (&ev->staging, rgb, label);
  if (ev->staging.n == ev->staging.batch)
    return fvc_evaluator_flush (ev, error);
  return TRUE;
}

guint64
fvc_evaluator_get_n_clips (const FvcEvaluator *ev)
{
  return ev->n_clips;
}

guint
fvc_evaluator_get_n_videos (const FvcEvaluator *ev)
{
  return ev->videos->len;
}

void
fvc_evaluator_get_video (const FvcEvaluator *ev, guint i, FvcVideoScore *out)
{
  const VideoAgg *v = &g_array_index (ev->videos, VideoAgg, i);

  out->video_path = v->video_path;
  out->label = v->label;
  out->n_clips = v->n_clips;
  out->logit = v->n_clips ? v->logit_sum / v->n_clips : 0.0;
  out->score = fvc_sigmoid (out->logit);
  out->prediction = out->logit > 0;
}

void
fvc_evaluator_compute_metrics (const FvcEvaluator *ev, FvcMetrics *out)
{
  guint n = ev->videos->len;
  g_autofree int *labels = g_new (int, MAX (n, 1));
  g_autofree double *logits = g_new (double, MAX (n, 1));

  for (guint i = 0; i < n; i++) {
    FvcVideoScore s;
    fvc_evaluator_get_video (ev, i, &s);
    labels[i] = s.label;
    logits[i] = s.logit;
  }
  fvc_metrics_compute (labels, logits, n, out);
}

gboolean
fvc_evaluator_write_predictions (const FvcEvaluator *ev, const char *path, GError **error)
{
  g_autoptr (GString) out = g_string_new ("video_path,label,score,prediction,logit,n_clips\n");

  for (guint i = 0; i < ev->videos->len; i++) {
    FvcVideoScore s;
    char score[G_ASCII_DTOSTR_BUF_SIZE], logit[G_ASCII_DTOSTR_BUF_SIZE];

    fvc_evaluator_get_video (ev, i, &s);
    fvc_csv_append_field (out, s.video_path, TRUE);
    g_string_append_printf (out, ",%d,%s,%d,%s,%u\n", s.label, g_ascii_formatd (score, sizeof score, "%.17g", s.score),
                            s.prediction, g_ascii_formatd (logit, sizeof logit, "%.17g", s.logit), s.n_clips);
  }
  return fvc_file_write_atomic_string (path, out->str, error);
}
