/* fvcsample.c — GstHarness tests of fvcsample without a file upstream (frames counted, total from
 * total-frames): which frames pass, their FvcFrameMeta, the "fvc/video" event, early EOS, the
 * short-video policies and the errors; and with a frame index handed over in frame-index (frames
 * identified by PTS, the decode-plan query, an index of another file refused). Frame
 * identification through a real file's index is covered by tests/integration/frame-accuracy.py. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <glib/gstdio.h>

#include "fvc-frame-index.h"
#include "fvc-provenance.h"
#include "fvc-sampler.h"
#include "fvcsample.h"

#define FRAME_BYTES 8

static GstHarness *
make_harness (const char *props)
{
  GstHarness *h = gst_harness_new ("fvcsample");
  GstBus *bus = gst_bus_new ();
  g_auto (GStrv) pairs = g_strsplit (props, " ", -1);

  for (guint i = 0; pairs[i] != NULL; i++) {
    g_auto (GStrv) kv = g_strsplit (pairs[i], "=", 2);
    if (kv[0] && kv[1])
      gst_util_set_object_arg (G_OBJECT (h->element), kv[0], kv[1]);
  }
  gst_element_set_bus (h->element, bus);
  gst_object_unref (bus);
  gst_harness_set_src_caps_str (h, "video/x-raw, format=GRAY8, width=4, height=2, framerate=30/1");
  return h;
}

/* Frame i: first byte i % 251, PTS i/30 s. */
static GstFlowReturn
push_frame (GstHarness *h, guint i)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, FRAME_BYTES, NULL);
  gst_buffer_memset (buf, 0, (guint8) (i % 251), FRAME_BYTES);
  GST_BUFFER_PTS (buf) = gst_util_uint64_scale (i, GST_SECOND, 30);
  return gst_harness_push (h, buf);
}

static void
check_output (GstHarness *h, const guint64 *frames, guint n)
{
  for (guint i = 0; i < n; i++) {
    GstBuffer *out = gst_harness_pull (h);
    FvcFrameMeta *meta = fvc_buffer_get_frame_meta (out);
    guint8 first;
    fail_unless (meta != NULL, "output %u has no FvcFrameMeta", i);
    ck_assert_uint_eq (meta->frame_index, frames[i]);
    ck_assert_uint_eq (meta->clip_position, i);
    ck_assert_uint_eq (meta->pts, gst_util_uint64_scale (frames[i], GST_SECOND, 30));
    gst_buffer_extract (out, 0, &first, 1);
    ck_assert_uint_eq (first, frames[i] % 251);
    gst_buffer_unref (out);
  }
  ck_assert_uint_eq (gst_harness_buffers_in_queue (h), 0);
}

static gboolean
saw_eos (GstHarness *h)
{
  GstEvent *ev;
  gboolean eos = FALSE;
  while ((ev = gst_harness_try_pull_event (h)) != NULL) {
    eos |= GST_EVENT_TYPE (ev) == GST_EVENT_EOS;
    gst_event_unref (ev);
  }
  return eos;
}

static GstMessage *
pop_message (GstHarness *h, GstMessageType type)
{
  return gst_bus_pop_filtered (GST_ELEMENT_BUS (h->element), type);
}

GST_START_TEST (test_uniform_300_6)
{
  GstHarness *h = make_harness ("total-frames=300 num-frames=6 video-path=videos/x.mp4 label=1");
  const guint64 expected[] = { 0, 60, 120, 179, 239, 299 };

  for (guint i = 0; i < 299; i++)
    ck_assert_int_eq (push_frame (h, i), GST_FLOW_OK);
  /* the last target ends the stream: upstream is told to stop */
  ck_assert_int_eq (push_frame (h, 299), GST_FLOW_EOS);
  ck_assert_int_eq (push_frame (h, 300), GST_FLOW_EOS);
  check_output (h, expected, 6);
  fail_unless (saw_eos (h));
  gst_harness_teardown (h);
}
GST_END_TEST;

GST_START_TEST (test_early_eos_stops_after_last_target)
{
  /* targets 0..4 of 5 frames out of a 1000-frame stream: EOS right after frame 4 */
  GstHarness *h = make_harness ("total-frames=1000 frame-indices=0,1,2,3,4 video-path=v.mp4 label=0");
  guint64 decoded = 0;
  const guint64 expected[] = { 0, 1, 2, 3, 4 };

  for (guint i = 0; i < 4; i++)
    ck_assert_int_eq (push_frame (h, i), GST_FLOW_OK);
  ck_assert_int_eq (push_frame (h, 4), GST_FLOW_EOS);
  check_output (h, expected, 5);
  g_object_get (h->element, "frames-decoded", &decoded, NULL);
  ck_assert_uint_eq (decoded, 5);
  gst_harness_teardown (h);
}
GST_END_TEST;

GST_START_TEST (test_video_event)
{
  GstHarness *h = make_harness ("total-frames=10 num-frames=2 label=1");
  GstEvent *ev;
  gboolean found = FALSE;

  g_object_set (h->element, "video-path", "videos/a b.mp4", NULL);
  ck_assert_int_eq (push_frame (h, 0), GST_FLOW_OK);
  while ((ev = gst_harness_try_pull_event (h)) != NULL) {
    FvcVideoInfo info;
    if (fvc_video_event_parse (ev, &info)) {
      found = TRUE;
      ck_assert_str_eq (info.video_path, "videos/a b.mp4");
      ck_assert_int_eq (info.label, 1);
      /* int(md5("videos/a b.mp4")[:8], 16) % 2**31, by /usr/bin/python3 hashlib */
      ck_assert_uint_eq (info.seed, 2093588016u);
      ck_assert (info.has_seed);
      ck_assert_uint_eq (info.total_frames, 10);
      ck_assert_str_eq (info.frame_indices, "0,9");
      ck_assert_str_eq (info.sampler, "uniform");
      ck_assert_str_eq (info.short_video, "pad");
      fvc_video_info_clear (&info);
    }
    gst_event_unref (ev);
  }
  fail_unless (found, "no fvc/video event before the first frame");
  gst_harness_teardown (h);
}
GST_END_TEST;

GST_START_TEST (test_short_video_pad)
{
  GstHarness *h = make_harness ("total-frames=3 num-frames=6 short-video=pad video-path=v.mp4 label=0");
  const guint64 expected[] = { 0, 1, 2, 2, 2, 2 };

  ck_assert_int_eq (push_frame (h, 0), GST_FLOW_OK);
  ck_assert_int_eq (push_frame (h, 1), GST_FLOW_OK);
  ck_assert_int_eq (push_frame (h, 2), GST_FLOW_EOS);
  check_output (h, expected, 6);
  gst_harness_teardown (h);
}
GST_END_TEST;

GST_START_TEST (test_short_video_skip)
{
  GstHarness *h = make_harness ("total-frames=3 num-frames=6 short-video=skip video-path=v.mp4 label=0");
  GstMessage *msg;
  gboolean skipped = FALSE;
  const char *reason;

  ck_assert_int_eq (push_frame (h, 0), GST_FLOW_EOS);
  ck_assert_uint_eq (gst_harness_buffers_in_queue (h), 0);
  fail_unless (saw_eos (h));
  msg = pop_message (h, GST_MESSAGE_ELEMENT);
  fail_unless (msg != NULL);
  fail_unless (gst_structure_has_name (gst_message_get_structure (msg), "fvc-sample"));
  gst_structure_get_boolean (gst_message_get_structure (msg), "skipped", &skipped);
  fail_unless (skipped);
  reason = gst_structure_get_string (gst_message_get_structure (msg), "reason");
  fail_unless (strstr (reason, "v.mp4: 3 decodable frames, 6 needed") != NULL, "%s", reason);
  gst_message_unref (msg);
  fail_unless (pop_message (h, GST_MESSAGE_ERROR) == NULL);
  gst_harness_teardown (h);
}
GST_END_TEST;

GST_START_TEST (test_short_video_error)
{
  GstHarness *h = make_harness ("total-frames=3 num-frames=6 short-video=error video-path=v.mp4 label=0");
  GstMessage *msg;
  GError *err = NULL;

  ck_assert_int_eq (push_frame (h, 0), GST_FLOW_ERROR);
  msg = pop_message (h, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (strstr (err->message, "v.mp4: 3 decodable frames, 6 needed") != NULL, "%s", err->message);
  g_error_free (err);
  gst_message_unref (msg);
  gst_harness_teardown (h);
}
GST_END_TEST;

GST_START_TEST (test_stream_ends_before_target)
{
  GstHarness *h = make_harness ("total-frames=100 frame-indices=1,5,7 video-path=v.mp4 label=0");
  GstMessage *msg;
  GError *err = NULL;

  for (guint i = 0; i < 6; i++)
    ck_assert_int_eq (push_frame (h, i), GST_FLOW_OK);
  gst_harness_push_event (h, gst_event_new_eos ());
  msg = pop_message (h, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "a missing target must be an error");
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (strstr (err->message, "v.mp4: the stream ended before frame 7 (2 of 3") != NULL, "%s", err->message);
  g_error_free (err);
  gst_message_unref (msg);
  gst_harness_teardown (h);
}
GST_END_TEST;

GST_START_TEST (test_random_segment_one_per_segment)
{
  GstHarness *h = make_harness ("total-frames=100 num-frames=4 strategy=random-segment seed=5 video-path=v.mp4 label=0");
  guint64 expected[4];
  FvcSampleSpec spec = { .strategy = FVC_SAMPLE_RANDOM_SEGMENT, .num_frames = 4, .seed = 5 };
  GstFlowReturn ret = GST_FLOW_OK;

  /* the element must pass what the (separately tested) sampler picks */
  fail_unless (fvc_sample_frames (&spec, 100, "v", expected, NULL));
  for (guint i = 0; i < 100 && ret == GST_FLOW_OK; i++)
    ret = push_frame (h, i);
  ck_assert_int_eq (ret, GST_FLOW_EOS);
  for (guint i = 0; i < 4; i++) {
    ck_assert_uint_ge (expected[i], 25 * i);
    ck_assert_uint_lt (expected[i], 25 * (i + 1));
  }
  check_output (h, expected, 4);
  gst_harness_teardown (h);
}
GST_END_TEST;

GST_START_TEST (test_no_total_is_an_error)
{
  GstHarness *h = make_harness ("num-frames=6");
  GstMessage *msg;
  GError *err = NULL;

  ck_assert_int_eq (push_frame (h, 0), GST_FLOW_ERROR);
  msg = pop_message (h, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (strstr (err->message, "set total-frames") != NULL, "%s", err->message);
  g_error_free (err);
  gst_message_unref (msg);
  gst_harness_teardown (h);
}
GST_END_TEST;

/* ---- frame-index ----------------------------------------------------------------------------- */

/* Two closed GOPs of 10 in decode order I0 P3 B1 B2 P6 B4 B5 P9 B7 B8 | I10 ...: frame k has the
 * PTS push_frame() gives it (k/30 s). */
static const guint gop_frames[] = { 0, 3, 1, 2, 6, 4, 5, 9, 7, 8, 10, 13, 11, 12, 16, 14, 15, 19, 17, 18 };

/* A scratch directory per test, removed with its files by remove_scratch(). */
static char *scratch;

static void
make_scratch (void)
{
  scratch = g_dir_make_tmp ("fvcsample-XXXXXX", NULL);
  fail_unless (scratch != NULL);
}

static void
remove_scratch (void)
{
  GDir *dir = g_dir_open (scratch, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)) != NULL) {
    g_autofree char *path = g_build_filename (scratch, name, NULL);
    g_unlink (path);
  }
  if (dir)
    g_dir_close (dir);
  g_rmdir (scratch);
  g_clear_pointer (&scratch, g_free);
}

/* A frame index of the 20 frames above, with @signature ("<size> <mtime-ns> <md5>"), loaded from
 * a hand-written index file. */
static FvcFrameIndex *
make_index (const char *signature)
{
  g_autoptr (GString) s = g_string_new ("fvc-frame-index 2\n");
  g_autofree char *path = g_build_filename (scratch, "v.fvcidx", NULL);
  g_autoptr (GError) error = NULL;
  FvcFrameIndex *index;

  g_string_append_printf (s, "signature %s\ncaps video/x-h264\ncontainer-duration 0\nsegment 0 0\npackets %u\n",
                          signature, (guint) G_N_ELEMENTS (gop_frames));
  for (guint i = 0; i < G_N_ELEMENTS (gop_frames); i++)
    g_string_append_printf (s, "%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %u 100\n",
                            gst_util_uint64_scale (gop_frames[i], GST_SECOND, 30),
                            gst_util_uint64_scale (i, GST_SECOND, 30), gop_frames[i] % 10 == 0 ? 1u : 0u);
  fail_unless (g_file_set_contents (path, s->str, -1, NULL));
  index = fvc_frame_index_load (path, &error);
  fail_unless (index != NULL, "%s", error ? error->message : "?");
  return index;
}

/* A file of @size bytes in the scratch directory. (transfer full) */
static char *
make_file (const char *name, gsize size)
{
  g_autofree char *contents = g_malloc0 (size);
  char *path = g_build_filename (scratch, name, NULL);
  fail_unless (g_file_set_contents (path, contents, size, NULL));
  return path;
}

/* Upstream of the harness answers the URI query with this file, as filesrc would. */
static GstPadQueryFunction harness_src_query;

static gboolean
src_query_with_uri (GstPad *pad, GstObject *parent, GstQuery *query)
{
  const char *file = g_object_get_data (G_OBJECT (pad), "test-file");

  if (GST_QUERY_TYPE (query) == GST_QUERY_URI && file != NULL) {
    g_autofree char *uri = g_filename_to_uri (file, NULL, NULL);
    gst_query_set_uri (query, uri);
    return TRUE;
  }
  return harness_src_query (pad, parent, query);
}

static void
set_upstream_file (GstHarness *h, const char *file)
{
  harness_src_query = GST_PAD_QUERYFUNC (h->srcpad);
  g_object_set_data_full (G_OBJECT (h->srcpad), "test-file", g_strdup (file), g_free);
  gst_pad_set_query_function (h->srcpad, src_query_with_uri);
}

static GError *
pop_error (GstHarness *h)
{
  GstMessage *msg = pop_message (h, GST_MESSAGE_ERROR);
  GError *err = NULL;

  fail_unless (msg != NULL, "no error posted");
  gst_message_parse_error (msg, &err, NULL);
  gst_message_unref (msg);
  return err;
}

GST_START_TEST (test_frame_index_identifies_by_pts)
{
  /* No index-dir, no total-frames, no file upstream: the index handed over is all there is. */
  GstHarness *h = make_harness ("num-frames=6 video-path=v.mp4 label=0");
  g_autoptr (FvcFrameIndex) index = NULL;
  g_autoptr (FvcFrameIndex) read_back = NULL;
  const guint64 expected[] = { 0, 4, 8, 11, 15, 19 };
  g_autofree char *index_dir = NULL;
  GstBuffer *stray;
  guint64 decoded = 0;

  make_scratch ();
  index = make_index ("1 2 x");
  g_object_set (h->element, "frame-index", index, NULL);
  g_object_get (h->element, "frame-index", &read_back, "index-dir", &index_dir, NULL);
  fail_unless (read_back == index);
  fail_unless (index_dir == NULL);
  for (guint i = 0; i < 19; i++) {
    ck_assert_int_eq (push_frame (h, i), GST_FLOW_OK);
    if (i == 5) {
      /* A frame whose PTS the index does not know is dropped, not counted as frame 6. */
      stray = gst_buffer_new_allocate (NULL, FRAME_BYTES, NULL);
      gst_buffer_memset (stray, 0, 250, FRAME_BYTES);
      GST_BUFFER_PTS (stray) = gst_util_uint64_scale (11, GST_SECOND, 60);
      ck_assert_int_eq (gst_harness_push (h, stray), GST_FLOW_OK);
    }
  }
  ck_assert_int_eq (push_frame (h, 19), GST_FLOW_EOS);
  check_output (h, expected, 6);
  g_object_get (h->element, "frames-decoded", &decoded, NULL);
  ck_assert_uint_eq (decoded, 21);
  gst_harness_teardown (h);
  remove_scratch ();
}
GST_END_TEST;

GST_START_TEST (test_frame_index_answers_decode_plan_query)
{
  /* What fvcdecodegate asks before the first packet: the very index handed over, and the targets. */
  GstHarness *h = make_harness ("num-frames=6 video-path=v.mp4 label=0");
  g_autoptr (FvcFrameIndex) index = NULL;
  g_autoptr (FvcFrameIndex) answered = NULL;
  GstQuery *q;
  GstPad *sinkpad;
  gboolean gated = FALSE;

  make_scratch ();
  index = make_index ("1 2 x");
  g_object_set (h->element, "frame-index", index, NULL);
  q = gst_query_new_custom (GST_QUERY_CUSTOM, gst_structure_new_empty (FVC_DECODE_PLAN_QUERY_NAME));
  sinkpad = gst_element_get_static_pad (h->element, "sink");
  fail_unless (gst_pad_query (sinkpad, q));
  fail_unless (gst_structure_get (gst_query_get_structure (q), "index", FVC_TYPE_FRAME_INDEX, &answered, NULL));
  fail_unless (answered == index);
  ck_assert_str_eq (gst_structure_get_string (gst_query_get_structure (q), "targets"), "0,4,8,11,15,19");
  g_object_get (h->element, "gated", &gated, NULL);
  fail_unless (gated);
  gst_query_unref (q);
  gst_object_unref (sinkpad);
  gst_harness_teardown (h);
  remove_scratch ();
}
GST_END_TEST;

GST_START_TEST (test_frame_index_of_the_upstream_file)
{
  GstHarness *h = make_harness ("num-frames=6 video-path=v.mp4 label=0");
  g_autoptr (FvcFrameIndex) index = NULL;
  g_autofree char *file = NULL, *signature = NULL;
  const guint64 expected[] = { 0, 4, 8, 11, 15, 19 };

  make_scratch ();
  file = make_file ("v.mp4", 1000);
  signature = fvc_file_signature (file, NULL);
  index = make_index (signature);
  set_upstream_file (h, file);
  g_object_set (h->element, "frame-index", index, NULL);
  for (guint i = 0; i < 19; i++)
    ck_assert_int_eq (push_frame (h, i), GST_FLOW_OK);
  ck_assert_int_eq (push_frame (h, 19), GST_FLOW_EOS);
  check_output (h, expected, 6);
  fail_unless (pop_message (h, GST_MESSAGE_ERROR) == NULL);
  gst_harness_teardown (h);
  remove_scratch ();
}
GST_END_TEST;

GST_START_TEST (test_frame_index_of_another_file)
{
  /* The index was made from a 1000-byte file; upstream is a 999-byte one: refused, not used. */
  GstHarness *h = make_harness ("num-frames=6 video-path=v.mp4 label=0");
  g_autoptr (FvcFrameIndex) index = NULL;
  g_autofree char *file = NULL, *other = NULL, *signature = NULL;
  g_autoptr (GError) err = NULL;

  make_scratch ();
  file = make_file ("v.mp4", 1000);
  other = make_file ("w.mp4", 999);
  signature = fvc_file_signature (file, NULL);
  index = make_index (signature);
  set_upstream_file (h, other);
  g_object_set (h->element, "frame-index", index, NULL);
  ck_assert_int_eq (push_frame (h, 0), GST_FLOW_ERROR);
  ck_assert_uint_eq (gst_harness_buffers_in_queue (h), 0);
  err = pop_error (h);
  fail_unless (g_str_has_prefix (err->message, other), "%s", err->message);
  fail_unless (strstr (err->message, "the frame index given (20 frames) was made from a file of 1000 bytes") != NULL,
               "%s", err->message);
  fail_unless (strstr (err->message, "this file has 999 bytes") != NULL, "%s", err->message);
  gst_harness_teardown (h);
  remove_scratch ();
}
GST_END_TEST;

GST_START_TEST (test_frame_index_disagrees_with_total_frames)
{
  GstHarness *h = make_harness ("num-frames=6 total-frames=30 video-path=v.mp4 label=0");
  g_autoptr (FvcFrameIndex) index = NULL;
  g_autoptr (GError) err = NULL;

  make_scratch ();
  index = make_index ("1 2 x");
  g_object_set (h->element, "frame-index", index, NULL);
  ck_assert_int_eq (push_frame (h, 0), GST_FLOW_ERROR);
  err = pop_error (h);
  fail_unless (strstr (err->message, "v.mp4: frame-index holds 20 frames but total-frames is 30") != NULL, "%s",
               err->message);
  gst_harness_teardown (h);
  remove_scratch ();
}
GST_END_TEST;

static Suite *
fvcsample_suite (void)
{
  Suite *s = suite_create ("fvcsample");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_uniform_300_6);
  tcase_add_test (tc, test_early_eos_stops_after_last_target);
  tcase_add_test (tc, test_video_event);
  tcase_add_test (tc, test_short_video_pad);
  tcase_add_test (tc, test_short_video_skip);
  tcase_add_test (tc, test_short_video_error);
  tcase_add_test (tc, test_stream_ends_before_target);
  tcase_add_test (tc, test_random_segment_one_per_segment);
  tcase_add_test (tc, test_no_total_is_an_error);
  tcase_add_test (tc, test_frame_index_identifies_by_pts);
  tcase_add_test (tc, test_frame_index_answers_decode_plan_query);
  tcase_add_test (tc, test_frame_index_of_the_upstream_file);
  tcase_add_test (tc, test_frame_index_of_another_file);
  tcase_add_test (tc, test_frame_index_disagrees_with_total_frames);
  return s;
}

GST_CHECK_MAIN (fvcsample);
