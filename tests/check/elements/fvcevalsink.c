/* fvcevalsink.c — element tests of fvcevalsink: predictions CSV and fvc-eval-metrics from a
 * fvcclipsrc pipeline, checked against the library evaluator fed the same clip files and against
 * brute-force metrics recomputed from the CSV; refusals (no/missing/corrupt checkpoint, a clip
 * shape other than the checkpoint's, clips without provenance, an unwritable predictions path). */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <glib/gstdio.h>
#include <math.h>
#include <unistd.h>

#include "fvc-clip.h"
#include "fvc-trainer.h"
#include "train-util.h"

#define FRAMES 2
#define SIZE 8
#define CLIP_BYTES (FRAMES * SIZE * SIZE * 3)

static char *dir, *ckpt;

/* A cache of 12 videos x 2 clips and a naive_cnn checkpoint trained a little on it (so that the
 * scores differ between videos). */
static void
setup (void)
{
  TrainSynthCache spec = { .n_videos = 12, .frames = FRAMES, .size = SIZE, .augmentations = 1, .strength = 1,
                           .seed = 6 };
  GError *error = NULL;
  FvcTrainerConfig c;
  g_autoptr (FvcTrainer) t = NULL;
  guint8 rgb[CLIP_BYTES];

  dir = g_dir_make_tmp ("fvcevalsink-XXXXXX", NULL);
  fail_unless (train_synth_cache_write (dir, &spec, 3, &error), "%s", error ? error->message : "?");
  ckpt = g_build_filename (dir, "m.safetensors", NULL);
  fvc_trainer_config_init (&c);
  c.model = "naive_cnn";
  c.batch_size = 4;
  c.frames = FRAMES;
  c.height = c.width = SIZE;
  c.adamw.lr = 1e-2;
  t = fvc_trainer_new (&c, &error);
  for (guint i = 0; i < 16; i++) {
    train_synth_clip (rgb, FRAMES, SIZE, SIZE, i % 2, i + 100, -1, 1.0, 2);
    fail_unless (fvc_trainer_add_clip (t, rgb, i % 2, &error));
  }
  fail_unless (fvc_trainer_end_epoch (t, NULL, &error) && fvc_trainer_save (t, ckpt, &error));
}

static void
teardown (void)
{
  train_rmtree (dir);
  g_clear_pointer (&dir, g_free);
  g_clear_pointer (&ckpt, g_free);
}

static double
brute_auc (const int *y, const double *s, guint n)
{
  double num = 0, pairs = 0;
  for (guint i = 0; i < n; i++)
    for (guint j = 0; j < n; j++)
      if (y[i] && !y[j]) {
        pairs++;
        num += s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0;
      }
  return num / pairs;
}

GST_START_TEST (test_predictions_and_metrics)
{
  g_autofree char *manifest = g_build_filename (dir, "folds.csv", NULL);
  g_autofree char *pred = g_build_filename (dir, "pred.csv", NULL);
  g_autofree char *lib_pred = g_build_filename (dir, "lib.csv", NULL);
  g_autofree char *desc = g_strdup_printf ("fvcclipsrc location=\"%s\" manifest=\"%s\" fold=1 split=val shuffle=false "
                                           "! fvcevalsink checkpoint=\"%s\" batch-size=3 predictions-location=\"%s\"",
                                           dir, manifest, ckpt, pred);
  g_autoptr (GPtrArray) msgs = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_structure_free);
  g_autofree char *csv = NULL, *lib_csv = NULL;
  g_auto (GStrv) lines = NULL;
  const GstStructure *m;
  double acc, auc, ll, f1, bacc;
  guint tp, fp, tn, fn, nv;
  guint64 nc;
  int y[5];
  double logit[5];
  guint n = 0, correct = 0;
  char *err = NULL;

  fail_unless (train_run_pipeline (desc, NULL, NULL, NULL, msgs, 60, &err), "%s", err);
  m = train_find_message (msgs, "fvc-eval-metrics", 0);
  fail_unless (m != NULL);
  fail_unless (gst_structure_get (m, "accuracy", G_TYPE_DOUBLE, &acc, "roc-auc", G_TYPE_DOUBLE, &auc, "log-loss",
                                  G_TYPE_DOUBLE, &ll, "f1", G_TYPE_DOUBLE, &f1, "balanced-accuracy", G_TYPE_DOUBLE, &bacc,
                                  "tp", G_TYPE_UINT, &tp, "fp", G_TYPE_UINT, &fp, "tn", G_TYPE_UINT, &tn, "fn",
                                  G_TYPE_UINT, &fn, "n-videos", G_TYPE_UINT, &nv, "n-clips", G_TYPE_UINT64, &nc, NULL));
  /* video i is in fold i % 3: fold 1 is videos 1, 4, 7, 10 (fake, real, fake, real) */
  fail_unless_equals_int (nv, 4);
  fail_unless_equals_uint64 (nc, 8);
  fail_unless_equals_int (tp + fp + tn + fn, 4);

  /* the CSV: header, one row per video, prediction = score > 0.5 = logit > 0 */
  fail_unless (g_file_get_contents (pred, &csv, NULL, NULL));
  lines = g_strsplit (csv, "\n", -1);
  fail_unless_equals_string (lines[0], "video_path,label,score,prediction,logit,n_clips");
  for (guint i = 1; lines[i] != NULL && lines[i][0] != '\0'; i++, n++) {
    g_auto (GStrv) f = g_strsplit (lines[i], ",", -1);
    double score = g_ascii_strtod (f[2], NULL);
    fail_unless_equals_int (g_strv_length (f), 6);
    y[n] = atoi (f[1]);
    logit[n] = g_ascii_strtod (f[4], NULL);
    fail_unless (fabs (score - 1 / (1 + exp (-logit[n]))) < 1e-12);
    fail_unless_equals_int (atoi (f[3]), logit[n] > 0);
    fail_unless_equals_string (f[5], "2");
    correct += (logit[n] > 0) == (y[n] == 1);
  }
  fail_unless_equals_int (n, 4);
  fail_unless (fabs (acc - correct / 4.0) < 1e-12);
  fail_unless (fabs (auc - brute_auc (y, logit, n)) < 1e-12, "auc %g", auc);
  fail_unless (isfinite (ll) && ll > 0);

  /* the same clip files through the library evaluator: the same bytes */
  {
    g_autoptr (FvcCheckpoint) ck = fvc_checkpoint_open (ckpt, NULL);
    g_autoptr (FvcEvaluator) ev = fvc_evaluator_new (ck, 3, FVC_DEVICE_CPU, FRAMES, SIZE, SIZE, NULL);
    for (guint v = 1; v < 12; v += 3) {
      g_autofree char *video = train_synth_video_path (v);
      for (int a = -1; a <= 0; a++) {
        g_autofree char *name = fvc_clip_file_name (video, a);
        g_autofree char *path = g_build_filename (dir, "clips", name, NULL);
        g_autoptr (FvcClip) clip = fvc_clip_open (path, NULL);
        fail_unless (fvc_evaluator_add_clip (ev, fvc_clip_get_data (clip), video, v % 2, NULL));
      }
    }
    fail_unless (fvc_evaluator_flush (ev, NULL) && fvc_evaluator_write_predictions (ev, lib_pred, NULL));
    fail_unless (g_file_get_contents (lib_pred, &lib_csv, NULL, NULL));
    fail_unless_equals_string (csv, lib_csv);
  }
}
GST_END_TEST;

static void
expect_error (const char *props, const char *needle)
{
  g_autofree char *desc = g_strdup_printf ("fvcclipsrc location=\"%s\" ! fvcevalsink %s", dir, props);
  char *err = NULL;
  fail_if (train_run_pipeline (desc, NULL, NULL, NULL, NULL, 60, &err), "%s: no error", desc);
  fail_unless (err != NULL && strstr (err, needle) != NULL, "%s: \"%s\" lacks \"%s\"", desc, err, needle);
  g_free (err);
}

GST_START_TEST (test_refusals)
{
  g_autofree char *trunc = g_build_filename (dir, "trunc.safetensors", NULL);
  g_autofree char *big = g_build_filename (dir, "big.safetensors", NULL);
  g_autofree char *clip_name = fvc_clip_file_name ("videos/real_000.mp4", -1);
  g_autofree char *clip = g_build_filename (dir, "clips", clip_name, NULL);
  g_autofree char *p = NULL;
  g_autofree char *data = NULL;
  gsize len;

  expect_error ("", "No checkpoint");
  expect_error ("checkpoint=/nonexistent/m.safetensors", "/nonexistent/m.safetensors");
  fail_unless (g_file_get_contents (ckpt, &data, &len, NULL));
  fail_unless (g_file_set_contents (trunc, data, len / 2, NULL));
  p = g_strdup_printf ("checkpoint=\"%s\"", trunc);
  expect_error (p, "trunc.safetensors");
  g_clear_pointer (&p, g_free);
  p = g_strdup_printf ("checkpoint=\"%s\"", clip);
  expect_error (p, "not an fvc checkpoint");
  g_clear_pointer (&p, g_free);
  {
    FvcTrainerConfig c;
    g_autoptr (FvcTrainer) t = NULL;
    fvc_trainer_config_init (&c);
    c.model = "logistic_regression";
    c.frames = FRAMES;
    c.height = c.width = 16;
    t = fvc_trainer_new (&c, NULL);
    fail_unless (fvc_trainer_save (t, big, NULL));
  }
  p = g_strdup_printf ("checkpoint=\"%s\"", big);
  expect_error (p, "logistic_regression model for 2x16x16 clips (frames x height x width), but a logistic_regression "
                   "model for 2x8x8 clips was asked for");
  g_clear_pointer (&p, g_free);
  p = g_strdup_printf ("checkpoint=\"%s\" predictions-location=/nonexistent/dir/p.csv", ckpt);
  expect_error (p, "/nonexistent/dir/p.csv");
  g_clear_pointer (&p, g_free);
}
GST_END_TEST;

GST_START_TEST (test_clip_without_provenance)
{
  g_autofree char *desc = g_strdup_printf ("fvcevalsink checkpoint=\"%s\"", ckpt);
  GstHarness *h = gst_harness_new_parse (desc);
  GstBus *bus = gst_bus_new ();
  GstMessage *m;
  GError *err = NULL;

  gst_element_set_bus (h->element, bus);
  gst_harness_set_src_caps_str (h, "application/x-fvc-clip, frames=(int)2, width=(int)8, height=(int)8, "
                                   "format=(string)RGB");
  fail_unless_equals_int (gst_harness_push (h, gst_buffer_new_allocate (NULL, CLIP_BYTES, NULL)), GST_FLOW_ERROR);
  m = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (m != NULL);
  gst_message_parse_error (m, &err, NULL);
  fail_unless (strstr (err->message, "without video-path and label") != NULL, "%s", err->message);
  g_clear_error (&err);
  gst_message_unref (m);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}
GST_END_TEST;

static Suite *
fvcevalsink_suite (void)
{
  Suite *s = suite_create ("fvcevalsink");
  TCase *tc = tcase_create ("general");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_predictions_and_metrics);
  tcase_add_test (tc, test_refusals);
  tcase_add_test (tc, test_clip_without_provenance);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (fvcevalsink);
