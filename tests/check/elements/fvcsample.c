/* fvcsample.c — GstHarness tests of fvcsample without a file upstream (frames counted, total from
 * total-frames): which frames pass, their FvcFrameMeta, the "fvc/video" event, early EOS, the
 * short-video policies and the errors. Frame identification through a real file's index is
 * covered by tests/integration/frame-accuracy.py. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include "fvc-provenance.h"
#include "fvc-sampler.h"

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
  return s;
}

GST_CHECK_MAIN (fvcsample);
