/* test-train.c — models, AdamW, trainer, evaluator, checkpoints and metrics of the training core:
 * PyTorch's default initialisation bounds, AdamW against the paper's formulation in double,
 * whole-model gradients against finite differences, gradient accumulation equivalence, bitwise
 * determinism, exact resume, no allocation per step, checkpoint refusals, and the metrics
 * against brute-force definitions. */
#include "unit-util.h"
#include "train-util.h"

#include "fvc-checkpoint.h"
#include "fvc-metrics.h"
#include "fvc-clip.h"
#include "fvc-seed.h"
#include "fvc-trainer.h"

#include <math.h>

#define T_FRAMES 2
#define T_SIZE 8

static gsize
clip_bytes (void)
{
  return (gsize) T_FRAMES * T_SIZE * T_SIZE * 3;
}

/* n synthetic clips, alternating real/fake */
static guint8 *
make_clips (guint n, guint32 seed)
{
  guint8 *rgb = g_malloc (n * clip_bytes ());
  for (guint i = 0; i < n; i++)
    train_synth_clip (rgb + i * clip_bytes (), T_FRAMES, T_SIZE, T_SIZE, i % 2, i, -1, 1.0, seed);
  return rgb;
}

static FvcTrainer *
new_trainer (const char *model, guint batch, guint accum, guint32 seed)
{
  FvcTrainerConfig c;
  GError *error = NULL;
  FvcTrainer *t;

  fvc_trainer_config_init (&c);
  c.model = model;
  c.batch_size = batch;
  c.accumulation_steps = accum;
  c.seed = seed;
  c.frames = T_FRAMES;
  c.height = c.width = T_SIZE;
  t = fvc_trainer_new (&c, &error);
  ck_assert_msg (t != NULL, "%s", error ? error->message : "?");
  return t;
}

static void
feed (FvcTrainer *t, const guint8 *clips, guint n)
{
  GError *error = NULL;
  for (guint i = 0; i < n; i++)
    ck_assert_msg (fvc_trainer_add_clip (t, clips + i * clip_bytes (), i % 2, &error), "%s",
                   error ? error->message : "?");
}

static void
end_epoch (FvcTrainer *t)
{
  GError *error = NULL;
  ck_assert_msg (fvc_trainer_end_epoch (t, NULL, &error), "%s", error ? error->message : "?");
}

static GBytes *
save_bytes (FvcTrainer *t, const char *name)
{
  g_autofree char *path = g_build_filename (fvc_test_dir, name, NULL);
  GError *error = NULL;
  char *data;
  gsize len;

  ck_assert_msg (fvc_trainer_save (t, path, &error), "%s", error ? error->message : "?");
  ck_assert (g_file_get_contents (path, &data, &len, NULL));
  return g_bytes_new_take (data, len);
}

static const char *models[] = { "logistic_regression", "svm", "naive_cnn" };

/* ---- initialisation ----------------------------------------------------------------------- */

START_TEST (test_init_pytorch_default)
{
  g_autoptr (FvcTrainer) a = new_trainer (models[_i], 2, 1, 7);
  g_autoptr (FvcTrainer) b = new_trainer (models[_i], 2, 1, 7);
  g_autoptr (FvcTrainer) c = new_trainer (models[_i], 2, 1, 8);
  FvcModel *m = fvc_trainer_get_model (a);
  FvcArena *pa = fvc_model_get_params (m);

  for (guint i = 0; i < fvc_arena_get_n_tensors (pa); i++) {
    FvcTensor *t = fvc_arena_get_nth (pa, i);
    const float *v = t->data;
    double bound = 1.0 / sqrt (fvc_model_get_fan_in (m, i)), sum = 0, sq = 0;

    for (gsize j = 0; j < t->numel; j++) {
      ck_assert_msg (fabs (v[j]) <= bound, "%s[%" G_GSIZE_FORMAT "] = %g outside +-%g", t->name, j, v[j], bound);
      sum += v[j];
      sq += (double) v[j] * v[j];
    }
    if (t->numel >= 400) {
      /* U(-b, b): mean 0, variance b^2 / 3 */
      double mean = sum / t->numel, var = sq / t->numel - mean * mean;
      ck_assert_msg (fabs (mean) < 0.1 * bound, "%s mean %g", t->name, mean);
      ck_assert_msg (fabs (var / (bound * bound / 3) - 1) < 0.15, "%s variance %g, expected %g", t->name, var,
                     bound * bound / 3);
    }
  }
  ck_assert (memcmp (pa->base, fvc_model_get_params (fvc_trainer_get_model (b))->base, pa->size) == 0);
  ck_assert (memcmp (pa->base, fvc_model_get_params (fvc_trainer_get_model (c))->base, pa->size) != 0);
  /* PyTorch names and shapes */
  if (_i == 2) {
    ck_assert_uint_eq (fvc_arena_get_n_tensors (pa), 8);
    ck_assert_str_eq (fvc_arena_get_nth (pa, 0)->name, "c1.weight");
    ck_assert_int_eq (fvc_arena_get_nth (pa, 0)->shape[2], 1);   /* (32, 3, 1, 3, 3) */
    ck_assert_str_eq (fvc_arena_get_nth (pa, 6)->name, "fc.weight");
    ck_assert_int_eq (fvc_arena_get_nth (pa, 6)->shape[1], 128);
  } else {
    ck_assert_str_eq (fvc_arena_get_nth (pa, 0)->name, "fc.weight");
    ck_assert_int_eq (fvc_arena_get_nth (pa, 0)->shape[1], 3 * T_FRAMES * T_SIZE * T_SIZE);
  }
}
END_TEST

/* ---- AdamW -------------------------------------------------------------------------------- */

/* Loshchilov & Hutter's AdamW as PyTorch documents it, in double:
 *   p -= lr wd p;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
 *   p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps) */
START_TEST (test_adamw_reference)
{
  g_autoptr (FvcTrainer) t = new_trainer ("logistic_regression", 2, 1, 3);
  FvcModel *m = fvc_trainer_get_model (t);
  FvcArena *params = fvc_model_get_params (m), *grads = fvc_model_get_grads (m);
  gsize n = fvc_arena_get_nth (params, 0)->numel;
  float *p = fvc_arena_get_nth (params, 0)->data, *g = fvc_arena_get_nth (grads, 0)->data;
  g_autofree double *rp = g_new (double, n), *rm = g_new0 (double, n), *rv = g_new0 (double, n);
  g_autofree double *hg = g_new (double, n);
  FvcAdamWConfig c;
  GError *error = NULL;

  fvc_adamw_config_init (&c);
  c.lr = 0.01;
  c.weight_decay = 0.05;
  for (gsize i = 0; i < n; i++)
    rp[i] = p[i];
  for (guint step = 1; step <= 4; step++) {
    train_fill_uniform (hg, n, 100 + step, -1e-2, 1e-2);
    for (gsize i = 0; i < n; i++)
      g[i] = (float) hg[i];
    ck_assert (fvc_adamw_step (m, &c, step, &error));
    for (gsize i = 0; i < n; i++) {
      double gi = g[i];
      rp[i] -= c.lr * c.weight_decay * rp[i];
      rm[i] = c.beta1 * rm[i] + (1 - c.beta1) * gi;
      rv[i] = c.beta2 * rv[i] + (1 - c.beta2) * gi * gi;
      rp[i] -= c.lr * (rm[i] / (1 - pow (c.beta1, step))) / (sqrt (rv[i] / (1 - pow (c.beta2, step))) + c.eps);
    }
    for (gsize i = 0; i < n; i++)
      ck_assert_msg (fabs (p[i] - rp[i]) <= 1e-6 * MAX (1.0, fabs (rp[i])), "step %u element %" G_GSIZE_FORMAT
                     ": %.9g vs %.9g", step, i, p[i], rp[i]);
  }
  /* the state is where a checkpoint will look for it */
  ck_assert_str_eq (fvc_arena_get_nth (fvc_model_get_optimizer_state (m), 0)->name, "exp_avg.fc.weight");
  ck_assert_msg (fabs (((float *) fvc_arena_get_nth (fvc_model_get_optimizer_state (m), 0)->data)[3] - rm[3]) < 1e-8,
                 "exp_avg differs");
}
END_TEST

/* ---- whole-model gradients ---------------------------------------------------------------- */

static double
batch_loss (FvcModel *m, FvcBatch *b)
{
  float losses[4];
  GError *error = NULL;
  double s = 0;
  ck_assert (fvc_model_forward (m, b, &error) && fvc_model_loss (m, b, 0.f, &error));
  ck_assert (fvc_model_read_outputs (m, b, NULL, losses, &error));
  for (guint i = 0; i < fvc_batch_get_size (b); i++)
    s += losses[i];
  return s / fvc_batch_get_size (b);
}

/* Float32 finite differences: a wiring check of the whole forward/backward
 * (the layer tests check each layer to 1e-5, the PyTorch parity test the whole model to 1e-4). */
START_TEST (test_model_gradient)
{
  g_autoptr (FvcTrainer) t = new_trainer (models[_i], 4, 1, 11);
  FvcModel *m = fvc_trainer_get_model (t);
  g_autofree guint8 *clips = make_clips (4, 5);
  float targets[4] = { 0, 1, 0, 1 };
  FvcBatch *b = fvc_model_prepare_batch (m, 4, NULL);
  FvcArena *params = fvc_model_get_params (m), *grads = fvc_model_get_grads (m);
  GError *error = NULL;
  guint checked = 0;

  ck_assert (fvc_model_set_input (m, b, clips, &error) && fvc_model_set_targets (m, b, targets, &error));
  ck_assert (fvc_model_forward (m, b, &error) && fvc_model_loss (m, b, 0.25f, &error));
  ck_assert (fvc_model_backward (m, b, FALSE, &error));
  for (guint i = 0; i < fvc_arena_get_n_tensors (params); i++) {
    FvcTensor *p = fvc_arena_get_nth (params, i);
    const float *g = fvc_arena_get_nth (grads, i)->data;
    float *v = p->data;
    /* the element with the largest gradient and one in the middle */
    gsize big = 0;
    for (gsize j = 0; j < p->numel; j++)
      if (fabsf (g[j]) > fabsf (g[big]))
        big = j;
    for (int k = 0; k < 2; k++) {
      gsize j = k == 0 ? big : p->numel / 2;
      float save = v[j], h = 1e-3f;   /* small: ReLU kinks crossed by larger steps bias the estimate */
      double lp, lm, fd;
      if (k == 1 && fabsf (g[j]) < 1e-3f)
        continue;
      v[j] = save + h;
      lp = batch_loss (m, b);
      v[j] = save - h;
      lm = batch_loss (m, b);
      v[j] = save;
      fd = (lp - lm) / (2.0 * h);
      ck_assert_msg (fabs (fd - g[j]) <= 0.05 * fabs (g[j]) + 2e-4, "%s: %s[%" G_GSIZE_FORMAT "] backward %g, "
                     "finite differences %g", models[_i], p->name, j, g[j], fd);
      checked++;
    }
  }
  ck_assert_uint_ge (checked, fvc_arena_get_n_tensors (params));
}
END_TEST

/* ---- accumulation, determinism, allocation ------------------------------------------------ */

static double
max_rel_diff (FvcArena *a, FvcArena *b)
{
  const float *x = a->base, *y = b->base;
  double err = 0, scale = 0;
  for (gsize i = 0; i < a->size / sizeof (float); i++) {
    err = MAX (err, fabs ((double) x[i] - y[i]));
    scale = MAX (scale, fabs ((double) y[i]));
  }
  return err / scale;
}

/* batch 2 x accumulation 4 == batch 8 x 1: the same accumulated gradient and the same update */
START_TEST (test_accumulation_equivalence)
{
  g_autoptr (FvcTrainer) a = new_trainer (models[_i], 8, 1, 21);
  g_autoptr (FvcTrainer) b = new_trainer (models[_i], 2, 4, 21);
  g_autoptr (FvcTrainer) wrong = new_trainer (models[_i], 2, 1, 21);
  g_autofree guint8 *clips = make_clips (8, 9);
  FvcModel *ma = fvc_trainer_get_model (a), *mb = fvc_trainer_get_model (b);
  double dg, dp;

  feed (a, clips, 8);
  feed (b, clips, 8);
  feed (wrong, clips, 8);
  ck_assert_uint_eq (fvc_trainer_get_stats (a)->steps, 1);
  ck_assert_uint_eq (fvc_trainer_get_stats (b)->steps, 1);
  /* the gradient arena still holds the gradient of the step */
  dg = max_rel_diff (fvc_model_get_grads (mb), fvc_model_get_grads (ma));
  dp = max_rel_diff (fvc_model_get_params (mb), fvc_model_get_params (ma));
  ck_assert_msg (dg < 1e-5, "%s: accumulated gradients differ by %g (relative)", models[_i], dg);
  ck_assert_msg (dp < 1e-5, "%s: parameters after the step differ by %g (relative)", models[_i], dp);
  /* and the check has teeth: four steps of batch 2 end elsewhere */
  ck_assert_msg (max_rel_diff (fvc_model_get_params (fvc_trainer_get_model (wrong)), fvc_model_get_params (ma)) > 1e-3,
                 "batch 2 x 1 should not match batch 8 x 1");
}
END_TEST

START_TEST (test_determinism)
{
  g_autofree guint8 *clips = make_clips (11, 4);
  g_autoptr (GBytes) ba = NULL, bb = NULL, bc = NULL;

  for (int run = 0; run < 3; run++) {
    g_autoptr (FvcTrainer) t = new_trainer (models[_i], 4, 2, run < 2 ? 5 : 6);
    for (int e = 0; e < 2; e++) {
      feed (t, clips, 11);   /* 2 full batches + a batch of 3 */
      end_epoch (t);
    }
    if (run == 0)
      ba = save_bytes (t, "a.safetensors");
    else if (run == 1)
      bb = save_bytes (t, "b.safetensors");
    else
      bc = save_bytes (t, "c.safetensors");
  }
  ck_assert_msg (g_bytes_equal (ba, bb), "%s: two identical trainings wrote different checkpoints", models[_i]);
  ck_assert (!g_bytes_equal (ba, bc));
}
END_TEST

START_TEST (test_no_allocation_per_step)
{
  g_autoptr (FvcTrainer) t = new_trainer (models[_i], 4, 2, 5);
  g_autofree guint8 *clips = make_clips (10, 4);
  FvcBackend *be = fvc_model_get_backend (fvc_trainer_get_model (t));
  FvcBackendStats before;

  /* epoch 1 sees both batch sizes (4 and the last 2), so every plan exists afterwards */
  feed (t, clips, 10);
  end_epoch (t);
  before = be->stats;
  for (int e = 0; e < 3; e++) {
    feed (t, clips, 10);
    end_epoch (t);
  }
  ck_assert_uint_eq (fvc_trainer_get_stats (t)->steps, 4 * 2);
  ck_assert_uint_eq (be->stats.n_allocs, before.n_allocs);
  ck_assert_uint_eq (be->stats.n_frees, before.n_frees);
  ck_assert_uint_eq (be->stats.n_plans, before.n_plans);
  ck_assert_uint_eq (be->stats.bytes_in_use, before.bytes_in_use);
}
END_TEST

/* ---- checkpoints -------------------------------------------------------------------------- */

START_TEST (test_resume_exact)
{
  g_autofree guint8 *clips = make_clips (11, 6);
  g_autofree char *half = g_build_filename (fvc_test_dir, "half.safetensors", NULL);
  g_autoptr (GBytes) full = NULL, resumed = NULL;
  GError *error = NULL;

  {
    g_autoptr (FvcTrainer) a = new_trainer (models[_i], 4, 2, 3);
    feed (a, clips, 11);
    end_epoch (a);
    feed (a, clips, 11);
    end_epoch (a);
    full = save_bytes (a, "full.safetensors");
  }
  {
    g_autoptr (FvcTrainer) b = new_trainer (models[_i], 4, 2, 3);
    feed (b, clips, 11);
    end_epoch (b);
    ck_assert (fvc_trainer_save (b, half, &error));
  }
  {
    g_autoptr (FvcTrainer) c = new_trainer (models[_i], 4, 2, 99);   /* the checkpoint's seed wins */
    ck_assert_msg (fvc_trainer_resume (c, half, &error), "%s", error ? error->message : "?");
    ck_assert_uint_eq (fvc_trainer_get_stats (c)->epochs, 1);
    ck_assert_uint_eq (fvc_trainer_get_stats (c)->steps, 2);
    feed (c, clips, 11);
    end_epoch (c);
    resumed = save_bytes (c, "resumed.safetensors");
  }
  ck_assert_msg (g_bytes_equal (full, resumed), "%s: 2 epochs and 1 + resume + 1 differ", models[_i]);
}
END_TEST

START_TEST (test_checkpoint_refusals)
{
  g_autoptr (FvcTrainer) t = new_trainer ("naive_cnn", 2, 1, 3);
  g_autofree char *path = g_build_filename (fvc_test_dir, "cnn.safetensors", NULL);
  g_autofree char *clip = g_build_filename (fvc_test_dir, "clip.safetensors", NULL);
  g_autofree char *trunc = g_build_filename (fvc_test_dir, "trunc.safetensors", NULL);
  g_autoptr (FvcCheckpoint) ck = NULL;
  g_autoptr (FvcCheckpoint) bad = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *data = NULL;
  gsize len;
  const FvcCheckpointInfo *info;

  ck_assert (fvc_trainer_save (t, path, &error));
  ck = fvc_checkpoint_open (path, &error);
  ck_assert_msg (ck != NULL, "%s", error ? error->message : "?");
  info = fvc_checkpoint_get_info (ck);
  ck_assert_str_eq (info->model, "naive_cnn");
  ck_assert_uint_eq (info->frames, T_FRAMES);
  ck_assert_uint_eq (info->batch_size, 2);
  ck_assert (info->has_optimizer_state);
  ck_assert (fabs (info->adamw.lr - 1e-3) < 1e-15);

  /* another model, another shape */
  ck_assert (!fvc_checkpoint_check (ck, "svm", T_FRAMES, T_SIZE, T_SIZE, &error));
  FVC_ASSERT_ERROR (error, FVC_ERROR_MISMATCH, "naive_cnn model for 2x8x8 clips");
  ck_assert (strstr (error->message, "svm") != NULL);
  g_clear_error (&error);
  {
    g_autoptr (FvcTrainer) other = new_trainer ("logistic_regression", 2, 1, 3);
    ck_assert (!fvc_trainer_resume (other, path, &error));
    FVC_ASSERT_ERROR (error, FVC_ERROR_MISMATCH, "logistic_regression");
    g_clear_error (&error);
  }
  {
    g_autoptr (FvcEvaluator) ev = fvc_evaluator_new (ck, 2, FVC_DEVICE_CPU, T_FRAMES, 16, 16, &error);
    ck_assert (ev == NULL);
    FVC_ASSERT_ERROR (error, FVC_ERROR_MISMATCH, "2x16x16");
    g_clear_error (&error);
  }

  /* a clip file is safetensors but not a checkpoint */
  {
    g_autoptr (GBytes) b = NULL;
    FvcClipInfo ci = { .video_path = (char *) "v.mp4", .frame_indices = (char *) "0", .pts_ns = (char *) "0",
                       .config = (char *) "" };
    guint8 px[3] = { 1, 2, 3 };
    ck_assert (fvc_clip_write (clip, &ci, 1, 1, 1, px, &error));
    bad = fvc_checkpoint_open (clip, &error);
    ck_assert (bad == NULL);
    FVC_ASSERT_ERROR (error, FVC_ERROR_PARSE, "not an fvc checkpoint");
    g_clear_error (&error);
  }
  /* truncated */
  ck_assert (g_file_get_contents (path, &data, &len, NULL));
  ck_assert (g_file_set_contents (trunc, data, len - 100, NULL));
  bad = fvc_checkpoint_open (trunc, &error);
  ck_assert (bad == NULL);
  ck_assert (error != NULL && strstr (error->message, "trunc.safetensors") != NULL);
  g_clear_error (&error);
  /* missing */
  bad = fvc_checkpoint_open ("/nonexistent/x.safetensors", &error);
  ck_assert (bad == NULL && error != NULL);
}
END_TEST

/* ---- evaluator ---------------------------------------------------------------------------- */

START_TEST (test_evaluator_aggregates_per_video)
{
  g_autoptr (FvcTrainer) t = new_trainer ("naive_cnn", 4, 1, 3);
  g_autofree guint8 *clips = make_clips (5, 8);
  g_autofree char *path = g_build_filename (fvc_test_dir, "m.safetensors", NULL);
  g_autofree char *pred = g_build_filename (fvc_test_dir, "pred.csv", NULL);
  g_autoptr (FvcCheckpoint) ck = NULL;
  g_autoptr (FvcEvaluator) ev = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *csv = NULL;
  g_auto (GStrv) lines = NULL;
  float logits[5];
  FvcBatch *b;
  FvcModel *m = fvc_trainer_get_model (t);
  FvcVideoScore s;
  /* clips 0, 2 -> video "a" (real), 1, 3 -> "b" (fake), 4 -> "c,d" (real; a comma in the name) */
  const char *video[5] = { "a", "b", "a", "b", "c,d" };
  const int label[5] = { 0, 1, 0, 1, 0 };

  ck_assert (fvc_trainer_save (t, path, &error));
  /* logits of the five clips straight from the trained model, batch of 4 + 1 */
  for (guint off = 0; off < 5; off += 4) {
    guint n = MIN (4, 5 - off);
    b = fvc_model_prepare_batch (m, n, &error);
    ck_assert (fvc_model_set_input (m, b, clips + off * clip_bytes (), &error) && fvc_model_forward (m, b, &error));
    ck_assert (fvc_model_read_outputs (m, b, logits + off, NULL, &error));
  }
  ck = fvc_checkpoint_open (path, &error);
  ev = fvc_evaluator_new (ck, 3, FVC_DEVICE_CPU, T_FRAMES, T_SIZE, T_SIZE, &error);
  ck_assert_msg (ev != NULL, "%s", error ? error->message : "?");
  for (int i = 0; i < 5; i++)
    ck_assert (fvc_evaluator_add_clip (ev, clips + i * clip_bytes (), video[i], label[i], &error));
  /* a label that contradicts earlier clips of the video */
  ck_assert (!fvc_evaluator_add_clip (ev, clips, "a", 1, &error));
  FVC_ASSERT_ERROR (error, FVC_ERROR_INVALID, "a: a clip is labelled 1");
  g_clear_error (&error);
  ck_assert (fvc_evaluator_flush (ev, &error));
  ck_assert_uint_eq (fvc_evaluator_get_n_clips (ev), 5);
  ck_assert_uint_eq (fvc_evaluator_get_n_videos (ev), 3);
  fvc_evaluator_get_video (ev, 0, &s);
  ck_assert_str_eq (s.video_path, "a");
  ck_assert_uint_eq (s.n_clips, 2);
  ck_assert (fabs (s.logit - (logits[0] + logits[2]) / 2) < 1e-6);
  ck_assert (fabs (s.score - 1 / (1 + exp (-s.logit))) < 1e-12);
  ck_assert_int_eq (s.prediction, s.logit > 0);

  ck_assert (fvc_evaluator_write_predictions (ev, pred, &error));
  ck_assert (g_file_get_contents (pred, &csv, NULL, NULL));
  lines = g_strsplit (csv, "\n", -1);
  ck_assert_str_eq (lines[0], "video_path,label,score,prediction,logit,n_clips");
  ck_assert (g_str_has_prefix (lines[1], "a,0,"));
  ck_assert (g_str_has_prefix (lines[2], "b,1,"));
  ck_assert (g_str_has_prefix (lines[3], "\"c,d\",0,"));
  ck_assert (g_str_has_suffix (lines[3], ",1"));
  ck_assert_str_eq (lines[4], "");
}
END_TEST

/* ---- metrics ------------------------------------------------------------------------------ */

/* AUC by its definition: P(score of a positive > score of a negative) + P(equal) / 2. */
static double
brute_auc (const int *y, const double *s, guint n)
{
  double num = 0, pairs = 0;
  for (guint i = 0; i < n; i++)
    for (guint j = 0; j < n; j++)
      if (y[i] == 1 && y[j] == 0) {
        pairs++;
        num += s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0;
      }
  return num / pairs;
}

START_TEST (test_metrics)
{
  /* 4 fakes, 4 reals, ties across and within classes */
  const int y[8] = { 1, 0, 1, 1, 0, 0, 1, 0 };
  const double s[8] = { 2.0, -1.0, 0.5, 0.5, 0.5, 3.0, -2.0, -1.0 };
  FvcMetrics m;
  g_autoptr (GArray) roc = NULL;
  double ll = 0;

  fvc_metrics_compute (y, s, 8, &m);
  ck_assert (fabs (m.roc_auc - brute_auc (y, s, 8)) < 1e-12);
  ck_assert (fabs (m.roc_auc - 0.5) < 1e-12);      /* 8 of 16 pairs: 6 wins + 4 ties / 2 */
  /* predictions logit > 0: 1,0,1,1,1,1,0,0 -> tp 3, fp 2, tn 2, fn 1 */
  ck_assert_uint_eq (m.tp, 3);
  ck_assert_uint_eq (m.fp, 2);
  ck_assert_uint_eq (m.tn, 2);
  ck_assert_uint_eq (m.fn, 1);
  ck_assert (fabs (m.accuracy - 5.0 / 8) < 1e-12);
  ck_assert (fabs (m.balanced_accuracy - (3.0 / 4 + 2.0 / 4) / 2) < 1e-12);
  ck_assert (fabs (m.f1 - 6.0 / 9) < 1e-12);
  for (int i = 0; i < 8; i++) {
    double p = 1 / (1 + exp (-s[i]));
    ll -= y[i] ? log (p) : log (1 - p);
  }
  ck_assert (fabs (m.log_loss - ll / 8) < 1e-12);

  /* random scores: the rank formula equals the pair count */
  {
    int yy[200];
    double ss[200];
    for (int i = 0; i < 200; i++) {
      yy[i] = fvc_rng_below (3, "y", i, 2);
      ss[i] = fvc_rng_below (3, "s", i, 20) / 4.0;   /* many ties */
    }
    ck_assert (fabs (fvc_metrics_roc_auc (yy, ss, 200) - brute_auc (yy, ss, 200)) < 1e-12);
  }

  /* ROC points by hand: thresholds 3, 2, 0.5, -1, -2 */
  roc = fvc_metrics_roc_curve (y, s, 8);
  {
    const double want[6][2] = { { 0, 0 }, { 0.25, 0 }, { 0.25, 0.25 }, { 0.5, 0.75 }, { 1, 0.75 }, { 1, 1 } };
    ck_assert_uint_eq (roc->len, 6);
    for (guint i = 0; i < 6; i++) {
      FvcRocPoint *p = &g_array_index (roc, FvcRocPoint, i);
      ck_assert_msg (fabs (p->fpr - want[i][0]) < 1e-12 && fabs (p->tpr - want[i][1]) < 1e-12,
                     "point %u: (%g, %g), want (%g, %g)", i, p->fpr, p->tpr, want[i][0], want[i][1]);
    }
  }

  /* clipping: a confident mistake costs -log(1e-15), not infinity */
  {
    const int y1[2] = { 1, 0 };
    const double s1[2] = { -1000, -1000 };
    fvc_metrics_compute (y1, s1, 2, &m);
    ck_assert (fabs (m.log_loss - (-log (1e-15)) / 2) < 1e-6);
    ck_assert (fabs (m.balanced_accuracy - 0.5) < 1e-12);
    ck_assert (fabs (m.f1) < 1e-12);
  }
  /* one class only: AUC undefined */
  {
    const int y2[3] = { 1, 1, 1 };
    const double s2[3] = { 1, 2, 3 };
    fvc_metrics_compute (y2, s2, 3, &m);
    ck_assert (isnan (m.roc_auc));
    ck_assert (fabs (m.balanced_accuracy - 1.0) < 1e-12);
  }
}
END_TEST

static Suite *
train_suite (void)
{
  Suite *s = suite_create ("train");
  TCase *tc = tcase_create ("core");

  tcase_add_checked_fixture (tc, fvc_test_tmpdir_setup, fvc_test_tmpdir_teardown);
  tcase_set_timeout (tc, 240);
  tcase_add_loop_test (tc, test_init_pytorch_default, 0, 3);
  tcase_add_test (tc, test_adamw_reference);
  tcase_add_loop_test (tc, test_model_gradient, 0, 3);
  tcase_add_loop_test (tc, test_accumulation_equivalence, 0, 3);
  tcase_add_loop_test (tc, test_determinism, 0, 3);
  tcase_add_loop_test (tc, test_no_allocation_per_step, 0, 3);
  tcase_add_loop_test (tc, test_resume_exact, 0, 3);
  tcase_add_test (tc, test_checkpoint_refusals);
  tcase_add_test (tc, test_evaluator_aggregates_per_video);
  tcase_add_test (tc, test_metrics);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return fvc_test_run_suite (train_suite ());
}
