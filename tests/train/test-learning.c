/* test-learning.c — the models learn: a synthetic cache (360 videos, half of them fakes with a
 * pasted, colour-shifted, seam-bordered patch: train-util.c), then in-process pipelines
 *   fvcclipsrc (fold 0, split=train) ! fvctrainsink        and
 *   fvcclipsrc (fold 0, split=val, base clips) ! fvcevalsink
 * and the validation ROC AUC of the 120 held-out videos must reach 0.9 for naive_cnn and 0.65 for
 * logistic_regression and svm (the colour shift is the only cue a linear model can use, and only
 * partly: the patch moves). A zero learning rate stays near 0.5 (std of a random AUC here: 0.05)
 * and a flipped gradient falls below it, so a broken optimizer fails (see docs/training.md). */
#include "unit-util.h"
#include "train-util.h"

#include <gst/gst.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>

static char *cache;

static void
make_cache (void)
{
  TrainSynthCache spec = { .n_videos = 360, .frames = 6, .size = 32, .augmentations = 2, .strength = 1, .seed = 1 };
  GError *error = NULL;

  cache = g_dir_make_tmp ("fvc-learning-XXXXXX", NULL);
  ck_assert_msg (train_synth_cache_write (cache, &spec, 3, &error), "%s", error ? error->message : "?");
}

static void
remove_cache (void)
{
  fvc_test_rmtree (cache);
  g_clear_pointer (&cache, g_free);
}

static const struct {
  const char *model;
  const char *sink_props;   /* batch 4 x 1 for the CNN: twice the updates per epoch of 4 x 2 */
  guint epochs;
  double min_auc;
} cases[] = {
  { "naive_cnn", "batch-size=4 accumulation-steps=1", 2, 0.9 },
  { "logistic_regression", "", 4, 0.65 },
  { "svm", "", 4, 0.65 },
};

START_TEST (test_learns)
{
  const char *model = cases[_i].model;
  g_autofree char *manifest = g_build_filename (cache, "folds.csv", NULL);
  g_autofree char *ckpt = g_strdup_printf ("%s/%s.safetensors", cache, model);
  g_autofree char *train = g_strdup_printf ("fvcclipsrc location=\"%s\" manifest=\"%s\" fold=0 split=train epochs=%u "
                                            "seed=1 ! fvctrainsink model=%s seed=1 %s checkpoint-location=\"%s\"", cache,
                                            manifest, cases[_i].epochs, model, cases[_i].sink_props, ckpt);
  g_autofree char *eval = g_strdup_printf ("fvcclipsrc location=\"%s\" manifest=\"%s\" fold=0 split=val include=base "
                                           "shuffle=false ! fvcevalsink checkpoint=\"%s\"", cache, manifest, ckpt);
  g_autoptr (GPtrArray) tmsgs = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_structure_free);
  g_autoptr (GPtrArray) emsgs = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_structure_free);
  const GstStructure *first, *last, *metrics;
  double loss0 = 0, loss1 = 0, auc = 0, acc = 0;
  guint n_videos = 0;
  gint64 t0 = g_get_monotonic_time ();
  char *err = NULL;

  ck_assert_msg (train_run_pipeline (train, NULL, NULL, NULL, tmsgs, 600, &err), "%s: %s", train, err);
  first = train_find_message (tmsgs, "fvc-train-epoch", 0);
  last = train_find_message (tmsgs, "fvc-train-epoch", cases[_i].epochs - 1);
  ck_assert (first != NULL && last != NULL);
  gst_structure_get_double (first, "loss", &loss0);
  gst_structure_get_double (last, "loss", &loss1);

  ck_assert_msg (train_run_pipeline (eval, NULL, NULL, NULL, emsgs, 300, &err), "%s: %s", eval, err);
  metrics = train_find_message (emsgs, "fvc-eval-metrics", 0);
  ck_assert (metrics != NULL);
  gst_structure_get_double (metrics, "roc-auc", &auc);
  gst_structure_get_double (metrics, "accuracy", &acc);
  gst_structure_get_uint (metrics, "n-videos", &n_videos);
  printf ("%-20s %u epochs: training loss %.4f -> %.4f, validation ROC AUC %.4f, accuracy %.4f (%u videos), %.1f s\n",
          model, cases[_i].epochs, loss0, loss1, auc, acc, n_videos, (g_get_monotonic_time () - t0) / 1e6);
  fflush (stdout);
  ck_assert_uint_eq (n_videos, 120);
  ck_assert_msg (loss1 < loss0, "%s: the training loss did not go down (%g -> %g)", model, loss0, loss1);
  ck_assert_msg (auc >= cases[_i].min_auc, "%s: validation ROC AUC %.4f < %.2f", model, auc, cases[_i].min_auc);
}
END_TEST

int
main (int argc, char **argv)
{
  Suite *s = suite_create ("learning");
  TCase *tc = tcase_create ("synthetic");

  /* libgomp reads its wait policy when it loads: on a shared 2-core machine, threads that spin
   * while another process holds the other core cost this test 3x its time (docs/benchmarks.md).
   * So set it and start again, unless the caller chose one. */
  if (g_getenv ("OMP_WAIT_POLICY") == NULL) {
    g_setenv ("OMP_WAIT_POLICY", "passive", TRUE);
    execv ("/proc/self/exe", argv);
  }
  gst_init (&argc, &argv);
  tcase_add_unchecked_fixture (tc, make_cache, remove_cache);
  tcase_set_timeout (tc, 600);
  tcase_add_loop_test (tc, test_learns, 0, G_N_ELEMENTS (cases));
  suite_add_tcase (s, tc);
  return fvc_test_run_suite (s);
}
