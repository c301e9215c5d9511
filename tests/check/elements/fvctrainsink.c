/* fvctrainsink.c — element tests of fvctrainsink: batches and the trained last partial batch per
 * epoch, progress/epoch/done messages, the checkpoint equal to the library trainer's on the same
 * clips, bitwise determinism and exact resume through fvcclipsrc pipelines, and refusals
 * (unknown model, unusable resume checkpoints, clips without labels or of the wrong size, an
 * unwritable checkpoint location). */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <glib/gstdio.h>

#include "fvc-backend.h"
#include "fvc-checkpoint.h"
#include "fvc-provenance.h"
#include "fvc-trainer.h"
#include "train-util.h"

#define FRAMES 2
#define SIZE 8
#define CLIP_BYTES (FRAMES * SIZE * SIZE * 3)
#define CAPS "application/x-fvc-clip, frames=(int)2, width=(int)8, height=(int)8, format=(string)RGB"

static char *dir;

static void
setup (void)
{
  TrainSynthCache spec = { .n_videos = 8, .frames = FRAMES, .size = SIZE, .augmentations = 1, .strength = 1,
                           .seed = 4 };
  GError *error = NULL;

  dir = g_dir_make_tmp ("fvctrainsink-XXXXXX", NULL);
  fail_unless (train_synth_cache_write (dir, &spec, 4, &error), "%s", error ? error->message : "?");
}

static void
teardown (void)
{
  train_rmtree (dir);
  g_clear_pointer (&dir, g_free);
}

static char *
path_in_dir (const char *name)
{
  return g_build_filename (dir, name, NULL);
}

static GBytes *
file_bytes (const char *path)
{
  char *data = NULL;
  gsize len = 0;
  fail_unless (g_file_get_contents (path, &data, &len, NULL), "cannot read %s", path);
  return g_bytes_new_take (data, len);
}

static GstBuffer *
clip_buffer (guint i)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, CLIP_BYTES, NULL);
  GstMapInfo map;
  g_autofree char *video = train_synth_video_path (i);

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  train_synth_clip (map.data, FRAMES, SIZE, SIZE, i % 2, i, -1, 1.0, 9);
  gst_buffer_unmap (buf, &map);
  fvc_buffer_add_clip_meta (buf, gst_structure_new (FVC_CLIP_STRUCTURE_NAME, "video-path", G_TYPE_STRING, video,
                                                    "label", G_TYPE_INT, (int) (i % 2), NULL));
  return buf;
}

static GPtrArray *
pop_element_messages (GstBus *bus)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_structure_free);
  GstMessage *m;
  while ((m = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT)) != NULL) {
    g_ptr_array_add (out, gst_structure_copy (gst_message_get_structure (m)));
    gst_message_unref (m);
  }
  return out;
}

static guint
count_messages (GPtrArray *msgs, const char *name)
{
  guint n = 0;
  while (train_find_message (msgs, name, n) != NULL)
    n++;
  return n;
}

/* Two epochs of 5 clips, batch 2: micro-batches 2, 2, 1 per epoch — the last one is trained. */
GST_START_TEST (test_batches_messages_checkpoint)
{
  g_autofree char *ckpt = path_in_dir ("h.safetensors");
  g_autofree char *lib = path_in_dir ("lib.safetensors");
  g_autofree char *desc = g_strdup_printf ("fvctrainsink model=logistic_regression batch-size=2 "
                                           "accumulation-steps=1 seed=5 progress-interval=1 checkpoint-location=\"%s\"",
                                           ckpt);
  GstHarness *h = gst_harness_new_parse (desc);
  GstBus *bus = gst_bus_new ();
  g_autoptr (GPtrArray) msgs = NULL;
  g_autoptr (FvcCheckpoint) ck = NULL;
  g_autoptr (GBytes) a = NULL, b = NULL;
  const GstStructure *s;
  guint64 steps = 0, clips = 0;
  double loss = -1, acc = -1;
  guint epoch = 99;

  gst_element_set_bus (h->element, bus);
  gst_harness_set_src_caps_str (h, CAPS);
  for (guint e = 0; e < 2; e++) {
    fail_unless (gst_harness_push_event (h, fvc_epoch_event_new (e, 5)));
    for (guint i = 0; i < 5; i++)
      fail_unless_equals_int (gst_harness_push (h, clip_buffer (i)), GST_FLOW_OK);
  }
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  {
    GstElement *sink = gst_harness_find_element (h, "fvctrainsink");
    g_object_get (sink, "steps", &steps, NULL);
    gst_object_unref (sink);
  }
  fail_unless_equals_uint64 (steps, 6);

  msgs = pop_element_messages (bus);
  fail_unless_equals_int (count_messages (msgs, "fvc-train-progress"), 6);
  fail_unless_equals_int (count_messages (msgs, "fvc-train-epoch"), 2);
  s = train_find_message (msgs, "fvc-train-epoch", 1);
  fail_unless (gst_structure_get (s, "epoch", G_TYPE_UINT, &epoch, "clips", G_TYPE_UINT64, &clips, "loss",
                                  G_TYPE_DOUBLE, &loss, "accuracy", G_TYPE_DOUBLE, &acc, "steps", G_TYPE_UINT64, &steps,
                                  NULL));
  fail_unless_equals_int (epoch, 1);
  fail_unless_equals_uint64 (clips, 5);
  fail_unless_equals_uint64 (steps, 6);
  fail_unless (loss > 0 && loss < 10 && acc >= 0 && acc <= 1, "loss %g accuracy %g", loss, acc);
  s = train_find_message (msgs, "fvc-train-progress", 3);
  fail_unless (gst_structure_get (s, "step", G_TYPE_UINT64, &steps, "epoch", G_TYPE_UINT, &epoch, NULL));
  fail_unless_equals_uint64 (steps, 4);
  fail_unless_equals_int (epoch, 1);
  fail_unless (gst_structure_has_field (s, "clips-per-second") && gst_structure_has_field (s, "learning-rate"));
  s = train_find_message (msgs, "fvc-train-done", 0);
  fail_unless (s != NULL && g_str_equal (gst_structure_get_string (s, "checkpoint"), ckpt));

  ck = fvc_checkpoint_open (ckpt, NULL);
  fail_unless (ck != NULL);
  fail_unless_equals_uint64 (fvc_checkpoint_get_info (ck)->steps, 6);
  fail_unless_equals_uint64 (fvc_checkpoint_get_info (ck)->epochs, 2);
  fail_unless_equals_uint64 (fvc_checkpoint_get_info (ck)->clips, 10);

  /* the element is the library trainer plus epoch boundaries: same bytes */
  {
    FvcTrainerConfig c;
    g_autoptr (FvcTrainer) t = NULL;
    guint8 rgb[CLIP_BYTES];
    fvc_trainer_config_init (&c);
    c.model = "logistic_regression";
    c.batch_size = 2;
    c.accumulation_steps = 1;
    c.seed = 5;
    c.frames = FRAMES;
    c.height = c.width = SIZE;
    t = fvc_trainer_new (&c, NULL);
    for (guint e = 0; e < 2; e++) {
      for (guint i = 0; i < 5; i++) {
        train_synth_clip (rgb, FRAMES, SIZE, SIZE, i % 2, i, -1, 1.0, 9);
        fail_unless (fvc_trainer_add_clip (t, rgb, i % 2, NULL));
      }
      fail_unless (fvc_trainer_end_epoch (t, NULL, NULL));
    }
    fail_unless (fvc_trainer_save (t, lib, NULL));
  }
  a = file_bytes (ckpt);
  b = file_bytes (lib);
  fail_unless (g_bytes_equal (a, b), "element and library checkpoints differ");

  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}
GST_END_TEST;

static void
train (const char *src_props, const char *sink_props, const char *ckpt)
{
  g_autofree char *manifest = path_in_dir ("folds.csv");
  g_autofree char *desc = g_strdup_printf ("fvcclipsrc location=\"%s\" manifest=\"%s\" fold=0 split=train seed=3 %s ! "
                                           "fvctrainsink model=naive_cnn batch-size=3 accumulation-steps=2 seed=11 "
                                           "checkpoint-location=\"%s\" %s", dir, manifest, src_props, ckpt, sink_props);
  char *err = NULL;
  fail_unless (train_run_pipeline (desc, NULL, NULL, NULL, NULL, 120, &err), "%s: %s", desc, err);
}

/* 12 training clips per epoch, batch 3 x accumulation 2. */
GST_START_TEST (test_determinism_and_resume)
{
  g_autofree char *a = path_in_dir ("a.safetensors"), *a2 = path_in_dir ("a2.safetensors");
  g_autofree char *b = path_in_dir ("b.safetensors"), *c = path_in_dir ("c.safetensors");
  g_autofree char *resume = NULL;
  g_autoptr (GBytes) ba = NULL, ba2 = NULL, bc = NULL, bb = NULL;

  train ("epochs=2", "", a);
  train ("epochs=2 read-ahead=0", "", a2);
  train ("epochs=1", "", b);
  resume = g_strdup_printf ("resume-from=\"%s\"", b);
  train ("epochs=1 first-epoch=1", resume, c);
  ba = file_bytes (a);
  ba2 = file_bytes (a2);
  bb = file_bytes (b);
  bc = file_bytes (c);
  fail_unless (g_bytes_equal (ba, ba2), "two identical trainings wrote different checkpoints");
  fail_unless (g_bytes_equal (ba, bc), "2 epochs differ from 1 epoch + resume + 1 epoch");
  fail_if (g_bytes_equal (ba, bb));
}
GST_END_TEST;

static void
expect_error (const char *desc, const char *needle)
{
  char *err = NULL;
  fail_if (train_run_pipeline (desc, NULL, NULL, NULL, NULL, 60, &err), "%s: no error", desc);
  fail_unless (err != NULL && strstr (err, needle) != NULL, "%s: \"%s\" lacks \"%s\"", desc, err, needle);
  g_free (err);
}

GST_START_TEST (test_refusals)
{
  g_autofree char *src = g_strdup_printf ("fvcclipsrc location=\"%s\" ! fvctrainsink", dir);
  g_autofree char *svm = path_in_dir ("svm.safetensors");
  g_autofree char *big = path_in_dir ("big.safetensors");
  g_autofree char *d = NULL;

  d = g_strdup_printf ("%s model=resnet", src);
  expect_error (d, "Unknown model \"resnet\"");
  g_clear_pointer (&d, g_free);
  d = g_strdup_printf ("%s resume-from=/nonexistent/x.safetensors", src);
  expect_error (d, "/nonexistent/x.safetensors");
  g_clear_pointer (&d, g_free);

  /* a checkpoint of another model, and one of another clip shape */
  {
    FvcTrainerConfig c;
    g_autoptr (FvcTrainer) t = NULL, t2 = NULL;
    fvc_trainer_config_init (&c);
    c.model = "svm";
    c.frames = FRAMES;
    c.height = c.width = SIZE;
    t = fvc_trainer_new (&c, NULL);
    fail_unless (fvc_trainer_save (t, svm, NULL));
    c.model = "naive_cnn";
    c.height = c.width = 16;
    t2 = fvc_trainer_new (&c, NULL);
    fail_unless (fvc_trainer_save (t2, big, NULL));
  }
  d = g_strdup_printf ("%s model=naive_cnn resume-from=\"%s\"", src, svm);
  expect_error (d, "holds a svm model, but model=naive_cnn");
  g_clear_pointer (&d, g_free);
  d = g_strdup_printf ("%s model=naive_cnn resume-from=\"%s\"", src, big);
  expect_error (d, "naive_cnn model for 2x16x16 clips");
  g_clear_pointer (&d, g_free);
  d = g_strdup_printf ("%s checkpoint-location=/nonexistent/dir/m.safetensors", src);
  expect_error (d, "/nonexistent/dir/m.safetensors");
  g_clear_pointer (&d, g_free);

  /* device=cuda: refused at start without the CUDA backend, at model creation without a GPU */
  {
    g_autoptr (GError) error = NULL;
    FvcBackend *be = fvc_backend_available (FVC_DEVICE_CUDA) ? fvc_backend_new (FVC_DEVICE_CUDA, &error) : NULL;
    if (be == NULL) {
      d = g_strdup_printf ("%s device=cuda", src);
      expect_error (d, fvc_backend_available (FVC_DEVICE_CUDA) ? "CUDA" : "device=cuda");
      g_clear_pointer (&d, g_free);
    }
    fvc_backend_free (be);
  }
}
GST_END_TEST;

GST_START_TEST (test_bad_buffers)
{
  GstHarness *h = gst_harness_new_parse ("fvctrainsink model=svm batch-size=2");
  GstBus *bus = gst_bus_new ();
  GstMessage *m;
  GError *err = NULL;
  GstBuffer *plain = gst_buffer_new_allocate (NULL, CLIP_BYTES, NULL);
  GstBuffer *small = clip_buffer (0);

  gst_element_set_bus (h->element, bus);
  gst_harness_set_src_caps_str (h, CAPS);
  fail_unless_equals_int (gst_harness_push (h, plain), GST_FLOW_ERROR);
  m = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (m != NULL);
  gst_message_parse_error (m, &err, NULL);
  fail_unless (strstr (err->message, "without a label") != NULL, "%s", err->message);
  g_clear_error (&err);
  gst_message_unref (m);

  gst_buffer_resize (small, 0, CLIP_BYTES - 3);
  fail_unless_equals_int (gst_harness_push (h, small), GST_FLOW_ERROR);
  m = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (m != NULL);
  gst_message_parse_error (m, &err, NULL);
  fail_unless (strstr (err->message, "Clip buffer of 381 bytes") != NULL, "%s", err->message);
  g_clear_error (&err);
  gst_message_unref (m);

  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}
GST_END_TEST;

static Suite *
fvctrainsink_suite (void)
{
  Suite *s = suite_create ("fvctrainsink");
  TCase *tc = tcase_create ("general");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 240);
  tcase_add_test (tc, test_batches_messages_checkpoint);
  tcase_add_test (tc, test_determinism_and_resume);
  tcase_add_test (tc, test_refusals);
  tcase_add_test (tc, test_bad_buffers);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (fvctrainsink);
