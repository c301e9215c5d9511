/* fvcclipsrc.c — element tests of fvcclipsrc on a synthetic cache: every clip exactly once per
 * epoch with its provenance and bytes, the documented per-epoch permutation, epoch events before
 * each epoch's first clip, fold/split/include/videos-file selection, read-ahead on and off, and
 * refusals (missing cache, conflicting settings, corrupt and mismatching clips). */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "fvc-clip.h"
#include "fvc-provenance.h"
#include "fvc-seed.h"
#include "train-util.h"

#define N_VIDEOS 6
#define N_CLIPS (N_VIDEOS * 2)

static char *dir;

static void
setup (void)
{
  TrainSynthCache spec = { .n_videos = N_VIDEOS, .frames = 2, .size = 8, .augmentations = 1, .strength = 1, .seed = 3 };
  GError *error = NULL;

  dir = g_dir_make_tmp ("fvcclipsrc-XXXXXX", NULL);
  fail_unless (train_synth_cache_write (dir, &spec, 3, &error), "%s", error ? error->message : "?");
}

static void
teardown (void)
{
  train_rmtree (dir);
  g_clear_pointer (&dir, g_free);
}

/* What reaches the sink, in order: "E<epoch>/<clips>", "C<frames>x<w>x<h>", "<video>@<aug>", "EOS".
 * Every buffer is also compared with its clip file. */
typedef struct {
  GPtrArray *seq;
  guint bad_bytes;
  guint bad_meta;
} Rec;

static GstPadProbeReturn
record (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  Rec *r = data;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    FvcClipMeta *meta = fvc_buffer_get_clip_meta (buf);
    const char *video = meta ? gst_structure_get_string (meta->info, "video-path") : NULL;
    const char *file = meta ? gst_structure_get_string (meta->info, "clip-file") : NULL;
    int aug = -9, label = -9;
    g_autoptr (FvcClip) clip = file ? fvc_clip_open (file, NULL) : NULL;

    if (meta) {
      gst_structure_get_int (meta->info, "augmentation-idx", &aug);
      gst_structure_get_int (meta->info, "label", &label);
    }
    if (clip == NULL || gst_buffer_get_size (buf) != 2 * 8 * 8 * 3 ||
        gst_buffer_memcmp (buf, 0, fvc_clip_get_data (clip), gst_buffer_get_size (buf)) != 0)
      r->bad_bytes++;
    if (video == NULL || label != g_str_has_prefix (video, "videos/fake_") ||
        (clip && (fvc_clip_get_info (clip)->augmentation_idx != aug ||
                  g_strcmp0 (fvc_clip_get_info (clip)->video_path, video) != 0)))
      r->bad_meta++;
    g_ptr_array_add (r->seq, g_strdup_printf ("%s@%d", video ? video : "?", aug));
  } else {
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);
    guint epoch, n;
    if (fvc_epoch_event_parse (ev, &epoch, &n)) {
      g_ptr_array_add (r->seq, g_strdup_printf ("E%u/%u", epoch, n));
    } else if (GST_EVENT_TYPE (ev) == GST_EVENT_CAPS) {
      GstCaps *caps;
      int f = 0, w = 0, h = 0;
      gst_event_parse_caps (ev, &caps);
      gst_structure_get_int (gst_caps_get_structure (caps, 0), "frames", &f);
      gst_structure_get_int (gst_caps_get_structure (caps, 0), "width", &w);
      gst_structure_get_int (gst_caps_get_structure (caps, 0), "height", &h);
      g_ptr_array_add (r->seq, g_strdup_printf ("C%dx%dx%d", f, w, h));
    } else if (GST_EVENT_TYPE (ev) == GST_EVENT_EOS) {
      g_ptr_array_add (r->seq, g_strdup ("EOS"));
    }
  }
  return GST_PAD_PROBE_OK;
}

/* Runs "fvcclipsrc location=<dir> <props> ! fakesink"; returns the sequence (EOS reached) or NULL
 * with *error_text set. */
static GPtrArray *
run (const char *props, char **error_text)
{
  g_autofree char *desc = g_strdup_printf ("fvcclipsrc location=\"%s\" %s ! fakesink name=sink", dir, props);
  Rec r = { g_ptr_array_new_with_free_func (g_free), 0, 0 };
  char *err = NULL;

  if (!train_run_pipeline (desc, "sink", record, &r, NULL, 60, &err)) {
    g_ptr_array_unref (r.seq);
    if (error_text)
      *error_text = err;
    else
      g_free (err);
    return NULL;
  }
  fail_unless_equals_int (r.bad_bytes, 0);
  fail_unless_equals_int (r.bad_meta, 0);
  return r.seq;
}

static GPtrArray *
run_ok (const char *fmt, ...) G_GNUC_PRINTF (1, 2);

static GPtrArray *
run_ok (const char *fmt, ...)
{
  va_list ap;
  g_autofree char *props = NULL;
  char *err = NULL;
  GPtrArray *seq;

  va_start (ap, fmt);
  props = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  seq = run (props, &err);
  fail_unless (seq != NULL, "%s: %s", props, err);
  return seq;
}

static char *
joined (GPtrArray *seq, guint from, guint n)
{
  GString *s = g_string_new (NULL);
  for (guint i = from; i < from + n && i < seq->len; i++)
    g_string_append_printf (s, "%s%s", i > from ? " " : "", (char *) seq->pdata[i]);
  return g_string_free (s, FALSE);
}

/* The clips in base order: videos sorted by path (no list given), then augmentation index. */
static const char *base_order[N_CLIPS] = {
  "videos/fake_001.mp4@-1", "videos/fake_001.mp4@0", "videos/fake_003.mp4@-1", "videos/fake_003.mp4@0",
  "videos/fake_005.mp4@-1", "videos/fake_005.mp4@0", "videos/real_000.mp4@-1", "videos/real_000.mp4@0",
  "videos/real_002.mp4@-1", "videos/real_002.mp4@0", "videos/real_004.mp4@-1", "videos/real_004.mp4@0",
};

GST_START_TEST (test_cache_order_caps_and_bytes)
{
  g_autoptr (GPtrArray) seq = run_ok ("shuffle=false");

  /* caps, the epoch event, 12 clips, EOS */
  fail_unless_equals_int (seq->len, 1 + 1 + N_CLIPS + 1);
  fail_unless_equals_string (seq->pdata[0], "C2x8x8");
  fail_unless_equals_string (seq->pdata[1], "E0/12");
  for (guint i = 0; i < N_CLIPS; i++)
    fail_unless_equals_string (seq->pdata[2 + i], base_order[i]);
  fail_unless_equals_string (seq->pdata[seq->len - 1], "EOS");
}
GST_END_TEST;

/* Epoch e is base_order permuted by fvc_rng_shuffle_u32 (seed, "fvcclipsrc/fold=<f>/epoch=<e>"). */
static char *
expected_epoch (guint32 seed, guint fold, guint epoch)
{
  guint32 perm[N_CLIPS];
  char name[64];
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < N_CLIPS; i++)
    perm[i] = i;
  g_snprintf (name, sizeof name, "fvcclipsrc/fold=%u/epoch=%u", fold, epoch);
  fvc_rng_shuffle_u32 (seed, name, perm, N_CLIPS);
  for (guint i = 0; i < N_CLIPS; i++)
    g_string_append_printf (s, "%s%s", i ? " " : "", base_order[perm[i]]);
  return g_string_free (s, FALSE);
}

GST_START_TEST (test_shuffle_per_epoch)
{
  g_autoptr (GPtrArray) a = run_ok ("epochs=3 seed=7");
  g_autoptr (GPtrArray) again = run_ok ("epochs=3 seed=7 read-ahead=0");
  g_autoptr (GPtrArray) other = run_ok ("epochs=3 seed=8 read-ahead=2");
  g_autoptr (GPtrArray) resumed = run_ok ("epochs=1 first-epoch=2 seed=7");
  g_autoptr (GPtrArray) fold2 = run_ok ("epochs=1 seed=7 fold=2");
  g_autofree char *e0 = NULL, *e1 = NULL, *e2 = NULL;

  /* C, then per epoch: E + 12 clips, then EOS */
  fail_unless_equals_int (a->len, 1 + 3 * (1 + N_CLIPS) + 1);
  for (guint e = 0; e < 3; e++) {
    g_autofree char *want = expected_epoch (7, 0, e);
    g_autofree char *got = joined (a, 2 + e * (N_CLIPS + 1), N_CLIPS);
    g_autofree char *ev = g_strdup_printf ("E%u/12", e);
    fail_unless_equals_string (a->pdata[1 + e * (N_CLIPS + 1)], ev);
    fail_unless_equals_string (got, want);
  }
  e0 = joined (a, 2, N_CLIPS);
  e1 = joined (a, 2 + N_CLIPS + 1, N_CLIPS);
  e2 = joined (a, 2 + 2 * (N_CLIPS + 1), N_CLIPS);
  fail_if (g_str_equal (e0, e1) || g_str_equal (e1, e2), "epochs are not reshuffled");

  /* reproducible, independent of read-ahead; the seed and the fold change it */
  for (guint i = 0; i < a->len; i++)
    fail_unless_equals_string (again->pdata[i], a->pdata[i]);
  {
    g_autofree char *o0 = joined (other, 2, N_CLIPS);
    g_autofree char *f0 = joined (fold2, 2, N_CLIPS);
    g_autofree char *want = expected_epoch (7, 2, 0);
    fail_if (g_str_equal (o0, e0));
    fail_unless_equals_string (f0, want);
  }
  /* a resumed run sees epoch 2 exactly as the uninterrupted one did */
  {
    g_autofree char *r = joined (resumed, 2, N_CLIPS);
    fail_unless_equals_string (resumed->pdata[1], "E2/12");
    fail_unless_equals_string (r, e2);
  }
}
GST_END_TEST;

GST_START_TEST (test_selection)
{
  g_autofree char *manifest = g_build_filename (dir, "folds.csv", NULL);
  g_autofree char *list = g_build_filename (dir, "videos.txt", NULL);
  g_autoptr (GPtrArray) val = NULL, train = NULL, listed = NULL;
  g_autofree char *v = NULL, *t = NULL, *l = NULL;

  /* folds: video i in fold i % 3; fold 1 = videos 1 and 4 */
  val = run_ok ("manifest=\"%s\" fold=1 split=val include=base shuffle=false", manifest);
  v = joined (val, 2, val->len - 3);
  fail_unless_equals_string (v, "videos/fake_001.mp4@-1 videos/real_004.mp4@-1");
  fail_unless_equals_string (val->pdata[1], "E0/2");

  train = run_ok ("manifest=\"%s\" fold=1 split=train include=augmented shuffle=false", manifest);
  t = joined (train, 2, train->len - 3);
  fail_unless_equals_string (t, "videos/real_000.mp4@0 videos/real_002.mp4@0 videos/fake_003.mp4@0 "
                                "videos/fake_005.mp4@0");

  /* a videos file: its order, comments and blank lines skipped, duplicates once */
  fail_unless (g_file_set_contents (list, "video_path\n# a comment\nvideos/real_002.mp4\n\nvideos/fake_001.mp4\n"
                                    "videos/real_002.mp4\n", -1, NULL));
  listed = run_ok ("videos-file=\"%s\" shuffle=false", list);
  l = joined (listed, 2, listed->len - 3);
  fail_unless_equals_string (l, "videos/real_002.mp4@-1 videos/real_002.mp4@0 videos/fake_001.mp4@-1 "
                                "videos/fake_001.mp4@0");
}
GST_END_TEST;

/* Rewrites the clip of (video, aug) with another shape or label. */
static void
rewrite_clip (const char *video, int aug, guint frames, int label)
{
  g_autofree char *name = fvc_clip_file_name (video, aug);
  g_autofree char *path = g_build_filename (dir, "clips", name, NULL);
  g_autofree guint8 *rgb = g_malloc0 (frames * 8 * 8 * 3);
  FvcClipInfo info = { .video_path = (char *) video, .label = label, .augmentation_idx = aug,
                       .frame_indices = (char *) "0", .pts_ns = (char *) "0", .config = (char *) "" };
  fail_unless (fvc_clip_write (path, &info, frames, 8, 8, rgb, NULL));
}

static void
truncate_clip (const char *video, int aug)
{
  g_autofree char *name = fvc_clip_file_name (video, aug);
  g_autofree char *path = g_build_filename (dir, "clips", name, NULL);
  fail_unless (truncate (path, 100) == 0);
}

GST_START_TEST (test_errors)
{
  g_autofree char *manifest = g_build_filename (dir, "folds.csv", NULL);
  g_autofree char *list = g_build_filename (dir, "videos.txt", NULL);
  g_autofree char *missing = g_build_filename (dir, "nope.txt", NULL);
  g_autofree char *bad_clip = fvc_clip_file_name ("videos/real_002.mp4", 0);
  /* which files each case names: 1 the list, 2 the manifest, 3 a missing file */
  const struct {
    int videos_file, manifest;
    const char *extra, *expect;
  } cases[] = {
    { 1, 2, "", "either videos-file or manifest" },
    { 0, 2, "fold=7", "there is no fold 7" },
    { 3, 0, "", "cannot read the videos file" },
    { 1, 0, "", "no clips to read" },
  };
  const char *files[4] = { NULL, list, manifest, missing };
  char *err = NULL;

  fail_unless (g_file_set_contents (list, "videos/unknown.mp4\n", -1, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *vf = cases[i].videos_file ? g_strdup_printf ("videos-file=\"%s\"", files[cases[i].videos_file])
                                               : g_strdup ("");
    g_autofree char *mf = cases[i].manifest ? g_strdup_printf ("manifest=\"%s\"", files[cases[i].manifest])
                                            : g_strdup ("");
    g_autofree char *props = g_strdup_printf ("%s %s %s", vf, mf, cases[i].extra);
    g_autoptr (GPtrArray) seq = run (props, &err);
    fail_unless (seq == NULL, "%s: ran without error", props);
    fail_unless (strstr (err, cases[i].expect) != NULL, "%s: \"%s\" lacks \"%s\"", props, err, cases[i].expect);
    g_clear_pointer (&err, g_free);
  }
  /* no location, a directory that is not a cache */
  fail_unless (!train_run_pipeline ("fvcclipsrc ! fakesink", NULL, NULL, NULL, NULL, 30, &err));
  fail_unless (strstr (err, "No cache directory") != NULL, "%s", err);
  g_clear_pointer (&err, g_free);
  fail_unless (!train_run_pipeline ("fvcclipsrc location=/nonexistent/cache ! fakesink", NULL, NULL, NULL, NULL, 30,
                                    &err));
  fail_unless (strstr (err, "not a clip cache") != NULL, "%s", err);
  g_clear_pointer (&err, g_free);

  /* a truncated clip in the middle of the stream: the error names it */
  truncate_clip ("videos/real_002.mp4", 0);
  fail_unless (run ("shuffle=false", &err) == NULL);
  fail_unless (strstr (err, bad_clip) != NULL, "\"%s\" does not name %s", err, bad_clip);
  g_clear_pointer (&err, g_free);
  /* a clip of another shape than cache.ini */
  rewrite_clip ("videos/real_002.mp4", 0, 3, 0);
  fail_unless (run ("shuffle=false read-ahead=0", &err) == NULL);
  fail_unless (strstr (err, "clip is 3 frames of 8x8, the cache holds 2 frames") != NULL, "%s", err);
  g_clear_pointer (&err, g_free);
  /* a clip whose label contradicts its metadata row */
  rewrite_clip ("videos/real_002.mp4", 0, 2, 1);
  fail_unless (run ("shuffle=false", &err) == NULL);
  fail_unless (strstr (err, "its metadata row says videos/real_002.mp4 (label 0)") != NULL, "%s", err);
  g_clear_pointer (&err, g_free);
}
GST_END_TEST;

/* Stopping in the middle (reader thread blocked with a full ring) must not hang or leak. */
GST_START_TEST (test_stop_mid_stream)
{
  g_autofree char *desc = g_strdup_printf ("fvcclipsrc location=\"%s\" epochs=100 read-ahead=2 ! fakesink sync=true "
                                           "name=sink", dir);
  GstElement *p = gst_parse_launch (desc, NULL);

  for (int i = 0; i < 3; i++) {
    fail_unless (gst_element_set_state (p, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
    g_usleep (50 * 1000);
    fail_unless (gst_element_set_state (p, GST_STATE_NULL) == GST_STATE_CHANGE_SUCCESS);
  }
  gst_object_unref (p);
}
GST_END_TEST;

static Suite *
fvcclipsrc_suite (void)
{
  Suite *s = suite_create ("fvcclipsrc");
  TCase *tc = tcase_create ("general");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_cache_order_caps_and_bytes);
  tcase_add_test (tc, test_shuffle_per_epoch);
  tcase_add_test (tc, test_selection);
  tcase_add_test (tc, test_errors);
  tcase_add_test (tc, test_stop_mid_stream);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (fvcclipsrc);
