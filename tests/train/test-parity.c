/* test-parity.c — parity with PyTorch: fvc trains one AdamW step, writes the checkpoint, then
 * computes logits and gradients on a second batch and takes the second step; parity.py loads the
 * first checkpoint into the equivalent torch modules and torch.optim.AdamW (state included) and
 * compares logits, gradients and the update of the second step (relative error < 1e-4), for
 * every model. Exits 77 (skipped) only when the reference Python has no torch, saying so. */
#include "unit-util.h"
#include "train-util.h"

#include "fvc-safetensors.h"
#include "fvc-trainer.h"

#include <stdio.h>
#include <stdlib.h>

#define P_FRAMES 6
#define P_SIZE 32
#define P_BATCH 4

static const char *models[] = { "logistic_regression", "svm", "naive_cnn" };

static const char *
python (void)
{
  const char *p = g_getenv ("FVC_TEST_PYTHON");
  return p ? p : "/usr/bin/python3";
}

static char *
script (void)
{
  return g_build_filename (FVC_TEST_SOURCE_DIR, "train", "parity.py", NULL);
}

START_TEST (test_parity)
{
  FvcTrainerConfig c;
  g_autoptr (FvcTrainer) t = NULL;
  g_autoptr (GError) error = NULL;
  gsize cb = (gsize) P_FRAMES * P_SIZE * P_SIZE * 3;
  g_autofree guint8 *clips = g_malloc (2 * P_BATCH * cb);
  g_autofree char *before = g_build_filename (fvc_test_dir, "before.safetensors", NULL);
  g_autofree char *after = g_build_filename (fvc_test_dir, "after.safetensors", NULL);
  g_autofree char *batch_path = g_build_filename (fvc_test_dir, "batch.safetensors", NULL);
  g_autofree char *py_script = script ();
  g_autoptr (FvcSafetensorsWriter) w = fvc_safetensors_writer_new ();
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  float labels[P_BATCH], logits[P_BATCH];
  g_autofree char *out = NULL, *err = NULL;
  int status = 0;
  FvcModel *m;
  FvcArena *grads;
  const char *argv[6];

  fvc_trainer_config_init (&c);
  c.model = models[_i];
  c.batch_size = P_BATCH;
  c.accumulation_steps = 1;
  c.adamw.lr = 1e-3;
  c.adamw.weight_decay = 1e-2;   /* large enough for the decay term to show in the update */
  c.seed = 17;
  c.frames = P_FRAMES;
  c.height = c.width = P_SIZE;
  t = fvc_trainer_new (&c, &error);
  ck_assert_msg (t != NULL, "%s", error ? error->message : "?");
  for (guint i = 0; i < 2 * P_BATCH; i++)
    train_synth_clip (clips + i * cb, P_FRAMES, P_SIZE, P_SIZE, i % 2, i, -1, 1.0, 3);

  /* step 1, then the checkpoint PyTorch starts from */
  for (guint i = 0; i < P_BATCH; i++)
    ck_assert (fvc_trainer_add_clip (t, clips + i * cb, i % 2, &error));
  ck_assert_uint_eq (fvc_trainer_get_stats (t)->steps, 1);
  ck_assert_msg (fvc_trainer_save (t, before, &error), "%s", error ? error->message : "?");

  /* step 2 on the second batch; its logits and gradients stay in the model's buffers */
  for (guint i = 0; i < P_BATCH; i++) {
    labels[i] = (P_BATCH + i) % 2;
    ck_assert (fvc_trainer_add_clip (t, clips + (P_BATCH + i) * cb, (P_BATCH + i) % 2, &error));
  }
  ck_assert_uint_eq (fvc_trainer_get_stats (t)->steps, 2);
  ck_assert (fvc_trainer_save (t, after, &error));
  m = fvc_trainer_get_model (t);
  ck_assert (fvc_model_read_outputs (m, fvc_model_prepare_batch (m, P_BATCH, &error), logits, NULL, &error));

  fvc_safetensors_writer_add_tensor (w, "clips", FVC_DTYPE_U8, 5,
                                     (gint64[]) { P_BATCH, P_FRAMES, P_SIZE, P_SIZE, 3 }, clips + P_BATCH * cb);
  fvc_safetensors_writer_add_tensor (w, "labels", FVC_DTYPE_F32, 1, (gint64[]) { P_BATCH }, labels);
  fvc_safetensors_writer_add_tensor (w, "logits", FVC_DTYPE_F32, 1, (gint64[]) { P_BATCH }, logits);
  grads = fvc_model_get_grads (m);
  for (guint i = 0; i < fvc_arena_get_n_tensors (grads); i++) {
    FvcTensor *g = fvc_arena_get_nth (grads, i);
    char *name = g_strconcat ("grad.", g->name, NULL);
    g_ptr_array_add (names, name);
    fvc_safetensors_writer_add_tensor (w, name, FVC_DTYPE_F32, g->n_dims, g->shape, g->data);
  }
  ck_assert (fvc_safetensors_writer_write_file (w, batch_path, &error));

  argv[0] = python ();
  argv[1] = py_script;
  argv[2] = before;
  argv[3] = after;
  argv[4] = batch_path;
  argv[5] = NULL;
  ck_assert_msg (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error),
                 "cannot run %s: %s", argv[0], error ? error->message : "?");
  fputs (out, stdout);
  ck_assert_msg (g_spawn_check_wait_status (status, NULL), "%s: PyTorch parity failed:\n%s%s", models[_i], out, err);
}
END_TEST

/* The reference must be there, or the whole test is reported as skipped (exit 77), never passed. */
static gboolean
have_torch (char **why)
{
  const char *argv[] = { python (), "-c", "import torch, numpy", NULL };
  g_autofree char *err = NULL;
  int status = 0;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err, &status, NULL) ||
      !g_spawn_check_wait_status (status, NULL)) {
    *why = g_strdup_printf ("%s cannot import torch and numpy: %s", python (), err ? err : "cannot run it");
    return FALSE;
  }
  return TRUE;
}

int
main (void)
{
  Suite *s = suite_create ("parity");
  TCase *tc = tcase_create ("pytorch");
  g_autofree char *why = NULL;

  if (!have_torch (&why)) {
    printf ("SKIP: PyTorch parity needs the reference Python with torch: %s\n", why);
    return 77;
  }
  tcase_add_checked_fixture (tc, fvc_test_tmpdir_setup, fvc_test_tmpdir_teardown);
  tcase_set_timeout (tc, 240);
  tcase_add_loop_test (tc, test_parity, 0, G_N_ELEMENTS (models));
  suite_add_tcase (s, tc);
  return fvc_test_run_suite (s);
}
