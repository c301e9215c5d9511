/* fvcclip.c — GstHarness tests of fvcclip (frames gathered by clip position into one
 * T×H×W×3 buffer with FvcClipMeta) and fvcclipsink (clip file, metadata row, cache creation,
 * refusals), the two elements at the end of the extraction pipeline. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <glib/gstdio.h>

#include "fvc-cache.h"
#include "fvc-clip.h"
#include "fvc-provenance.h"

#define W 2
#define H 2

static GstHarness *
clip_harness (guint num_frames)
{
  GstHarness *h = gst_harness_new ("fvcclip");
  GstBus *bus = gst_bus_new ();

  gst_element_set_bus (h->element, bus);
  gst_object_unref (bus);
  if (num_frames)
    g_object_set (h->element, "num-frames", num_frames, NULL);
  gst_harness_set_src_caps_str (h, "video/x-raw, format=RGB, width=2, height=2, framerate=30/1");
  return h;
}

/* An RGB frame whose bytes are all @value (rows padded to 8 bytes, as video buffers are). */
static GstBuffer *
rgb_frame (guint8 value, gint64 frame_index, guint position)
{
  GstVideoInfo info;
  GstBuffer *buf;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGB, W, H);
  buf = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&info), NULL);
  gst_buffer_memset (buf, 0, value, GST_VIDEO_INFO_SIZE (&info));
  GST_BUFFER_PTS (buf) = 1000 * (frame_index >= 0 ? frame_index : 0);
  if (frame_index >= 0)
    fvc_buffer_add_frame_meta (buf, (guint64) frame_index, 1000 * frame_index, position);
  return buf;
}

static void
push_video_event (GstHarness *h, const char *indices)
{
  FvcVideoInfo v = { .video_path = (char *) "dir/v.mp4", .label = 1, .seed = 77, .total_frames = 500,
                     .frame_indices = (char *) indices, .sampler = (char *) "uniform", .short_video = (char *) "skip" };
  FvcAugmentInfo a = { 2, 79, (char *) "size=2;v=1" };
  gst_harness_push_event (h, fvc_video_event_new (&v));
  gst_harness_push_event (h, fvc_augment_event_new (&a));
}

GST_START_TEST (test_clip_positions)
{
  GstHarness *h = clip_harness (0);
  GstBuffer *clip;
  FvcClipMeta *meta;
  guint8 data[3 * H * W * 3];
  GstCaps *caps;
  gint frames = 0, width = 0;
  const char *s;
  gint aug;
  guint seed;

  push_video_event (h, "10,20,30");
  /* out of order: positions 2, 0, 1 */
  ck_assert_int_eq (gst_harness_push (h, rgb_frame (30, 30, 2)), GST_FLOW_OK);
  ck_assert_int_eq (gst_harness_push (h, rgb_frame (10, 10, 0)), GST_FLOW_OK);
  ck_assert_uint_eq (gst_harness_buffers_in_queue (h), 0);
  ck_assert_int_eq (gst_harness_push (h, rgb_frame (20, 20, 1)), GST_FLOW_OK);
  clip = gst_harness_pull (h);
  ck_assert_uint_eq (gst_buffer_get_size (clip), sizeof data);
  gst_buffer_extract (clip, 0, data, sizeof data);
  /* packed rows, frames in position order: 12 bytes of 10, then 20, then 30 */
  for (guint i = 0; i < sizeof data; i++)
    ck_assert_uint_eq (data[i], 10 * (i / 12 + 1));
  meta = fvc_buffer_get_clip_meta (clip);
  fail_unless (meta != NULL);
  ck_assert_str_eq (gst_structure_get_string (meta->info, "video-path"), "dir/v.mp4");
  ck_assert_str_eq (gst_structure_get_string (meta->info, "frame-indices"), "10,20,30");
  ck_assert_str_eq (gst_structure_get_string (meta->info, "pts-ns"), "10000,20000,30000");
  gst_structure_get_int (meta->info, "augmentation-idx", &aug);
  gst_structure_get_uint (meta->info, "seed", &seed);
  ck_assert_int_eq (aug, 2);
  ck_assert_uint_eq (seed, 79);
  caps = gst_pad_get_current_caps (h->sinkpad);
  gst_structure_get_int (gst_caps_get_structure (caps, 0), "frames", &frames);
  gst_structure_get_int (gst_caps_get_structure (caps, 0), "width", &width);
  s = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  ck_assert_str_eq (s, FVC_CLIP_CAPS_NAME);
  ck_assert_int_eq (frames, 3);
  ck_assert_int_eq (width, W);
  gst_caps_unref (caps);
  gst_buffer_unref (clip);
  gst_harness_teardown (h);
}
GST_END_TEST;

GST_START_TEST (test_clip_sequential_without_meta)
{
  GstHarness *h = clip_harness (2);

  for (guint i = 0; i < 4; i++)
    ck_assert_int_eq (gst_harness_push (h, rgb_frame ((guint8) i, -1, 0)), GST_FLOW_OK);
  ck_assert_uint_eq (gst_harness_buffers_in_queue (h), 2);
  for (guint c = 0; c < 2; c++) {
    GstBuffer *clip = gst_harness_pull (h);
    guint8 first, last;
    gst_buffer_extract (clip, 0, &first, 1);
    gst_buffer_extract (clip, 2 * H * W * 3 - 1, &last, 1);
    ck_assert_uint_eq (first, 2 * c);
    ck_assert_uint_eq (last, 2 * c + 1);
    gst_buffer_unref (clip);
  }
  gst_harness_teardown (h);
}
GST_END_TEST;

GST_START_TEST (test_clip_incomplete_at_eos)
{
  GstHarness *h = clip_harness (0);
  GstMessage *msg;
  GError *err = NULL;

  push_video_event (h, "10,20,30");
  ck_assert_int_eq (gst_harness_push (h, rgb_frame (10, 10, 0)), GST_FLOW_OK);
  gst_harness_push_event (h, gst_event_new_eos ());
  msg = gst_bus_pop_filtered (GST_ELEMENT_BUS (h->element), GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (strstr (err->message, "dir/v.mp4: the stream ended with an incomplete clip (1 of 3 frames)") != NULL,
               "%s", err->message);
  g_error_free (err);
  gst_message_unref (msg);
  gst_harness_teardown (h);
}
GST_END_TEST;

GST_START_TEST (test_clip_position_out_of_range)
{
  GstHarness *h = clip_harness (2);

  ck_assert_int_eq (gst_harness_push (h, rgb_frame (1, 5, 7)), GST_FLOW_ERROR);
  gst_harness_teardown (h);
}
GST_END_TEST;

/* ---- fvcclipsink ---------------------------------------------------------------------------- */

static GstHarness *
sink_harness (const char *dir, gint frames)
{
  GstElement *sink = gst_element_factory_make ("fvcclipsink", NULL);
  GstBus *bus = gst_bus_new ();
  g_autofree char *caps = g_strdup_printf ("application/x-fvc-clip, frames=%d, width=2, height=2, format=RGB", frames);
  GstHarness *h;

  /* set before the harness starts it: the location is opened in NULL→READY */
  gst_element_set_bus (sink, bus);
  gst_object_unref (bus);
  g_object_set (sink, "location", dir, "augmentations", 1, "async", FALSE, NULL);
  h = gst_harness_new_with_element (sink, "sink", NULL);
  gst_object_unref (sink);
  gst_harness_set_src_caps_str (h, caps);
  return h;
}

static GstBuffer *
clip_buffer (gint frames, int label, int aug)
{
  gsize size = (gsize) frames * H * W * 3;
  GstBuffer *buf = gst_buffer_new_allocate (NULL, size, NULL);
  GstMapInfo map;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (gsize i = 0; i < size; i++)
    map.data[i] = (guint8) (i * 3);
  gst_buffer_unmap (buf, &map);
  fvc_buffer_add_clip_meta (buf, gst_structure_new (FVC_CLIP_STRUCTURE_NAME,
      "video-path", G_TYPE_STRING, "dir/v.mp4", "label", G_TYPE_INT, label,
      "augmentation-idx", G_TYPE_INT, aug, "seed", G_TYPE_UINT, 79u,
      "frame-indices", G_TYPE_STRING, "10,20,30", "pts-ns", G_TYPE_STRING, "1,2,3", NULL));
  return buf;
}

static char *
error_text (GstHarness *h)
{
  GstMessage *msg = gst_bus_pop_filtered (GST_ELEMENT_BUS (h->element), GST_MESSAGE_ERROR);
  GError *err = NULL;
  char *text;

  fail_unless (msg != NULL, "expected an error message");
  gst_message_parse_error (msg, &err, NULL);
  text = g_strdup (err->message);
  g_error_free (err);
  gst_message_unref (msg);
  return text;
}

GST_START_TEST (test_sink_writes_clip_and_row)
{
  g_autofree char *dir = g_dir_make_tmp ("fvcclipsink-XXXXXX", NULL);
  GstHarness *h = sink_harness (dir, 3);
  g_autofree char *name = fvc_clip_file_name ("dir/v.mp4", 0);
  g_autofree char *path = g_build_filename (dir, "clips", name, NULL);
  g_autoptr (FvcClip) clip = NULL;
  g_autoptr (FvcCache) cache = NULL;
  g_autoptr (GError) error = NULL;
  FvcVideoInfo v = { .video_path = (char *) "dir/v.mp4", .label = 1, .seed = 77, .total_frames = 500,
                     .frame_indices = (char *) "10,20,30", .sampler = (char *) "uniform", .short_video = (char *) "skip" };
  FvcAugmentInfo a = { 0, 77, (char *) "size=2;v=1" };
  const FvcCacheRow *row;
  const guint8 *data;

  gst_harness_push_event (h, fvc_video_event_new (&v));
  gst_harness_push_event (h, fvc_augment_event_new (&a));
  ck_assert_int_eq (gst_harness_push (h, clip_buffer (3, 1, 0)), GST_FLOW_OK);

  /* the cache was created from the stream's description */
  cache = fvc_cache_open (dir, NULL, FVC_CACHE_OPEN_READ, &error);
  fail_unless (cache != NULL, "%s", error ? error->message : "");
  ck_assert_uint_eq (fvc_cache_get_config (cache)->num_frames, 3);
  ck_assert_uint_eq (fvc_cache_get_config (cache)->size, 2);
  ck_assert_str_eq (fvc_cache_get_config (cache)->sampler, "uniform");
  ck_assert_str_eq (fvc_cache_get_config (cache)->short_video, "skip");
  ck_assert_str_eq (fvc_cache_get_config (cache)->augment, "size=2;v=1");
  ck_assert_uint_eq (fvc_cache_get_n_rows (cache), 1);
  row = fvc_cache_find (cache, "dir/v.mp4", 0);
  fail_unless (row != NULL);
  ck_assert_int_eq (row->label, 1);
  ck_assert_str_eq (row->frame_indices, "10,20,30");
  ck_assert_uint_eq (row->seed, 79);

  clip = fvc_clip_open (path, &error);
  fail_unless (clip != NULL, "%s", error ? error->message : "");
  ck_assert_str_eq (fvc_clip_get_info (clip)->config, fvc_cache_get_fingerprint (cache));
  ck_assert_str_eq (fvc_clip_get_info (clip)->pts_ns, "1,2,3");
  data = fvc_clip_get_data (clip);
  for (guint i = 0; i < 3 * H * W * 3; i++)
    ck_assert_uint_eq (data[i], (guint8) (i * 3));
  gst_harness_teardown (h);
}
GST_END_TEST;

GST_START_TEST (test_sink_refuses_unknown_label)
{
  g_autofree char *dir = g_dir_make_tmp ("fvcclipsink-XXXXXX", NULL);
  GstHarness *h = sink_harness (dir, 3);
  g_autofree char *text = NULL;

  ck_assert_int_eq (gst_harness_push (h, clip_buffer (3, -1, 0)), GST_FLOW_ERROR);
  text = error_text (h);
  fail_unless (strstr (text, "dir/v.mp4: label unknown") != NULL, "%s", text);
  gst_harness_teardown (h);
}
GST_END_TEST;

GST_START_TEST (test_sink_refuses_other_clip_shape)
{
  g_autofree char *dir = g_dir_make_tmp ("fvcclipsink-XXXXXX", NULL);
  FvcCacheConfig c = { 6, 2, (char *) "uniform", (char *) "skip", 1, (char *) "a" };
  g_autoptr (FvcCache) cache = fvc_cache_open (dir, &c, FVC_CACHE_OPEN_CREATE, NULL);
  GstHarness *h = sink_harness (dir, 3);
  g_autofree char *text = NULL;
  g_autofree char *csv = g_build_filename (dir, FVC_CACHE_METADATA_FILE, NULL);

  fail_unless (cache != NULL);
  ck_assert_int_eq (gst_harness_push (h, clip_buffer (3, 0, -1)), GST_FLOW_ERROR);
  text = error_text (h);
  fail_unless (strstr (text, "clip is 3 frames of 2x2, the cache") != NULL, "%s", text);
  fail_unless (strstr (text, "holds 6 frames of 2x2") != NULL, "%s", text);
  fail_unless (!g_file_test (csv, G_FILE_TEST_EXISTS), "nothing may be written");
  gst_harness_teardown (h);
}
GST_END_TEST;

static Suite *
fvcclip_suite (void)
{
  Suite *s = suite_create ("fvcclip");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_clip_positions);
  tcase_add_test (tc, test_clip_sequential_without_meta);
  tcase_add_test (tc, test_clip_incomplete_at_eos);
  tcase_add_test (tc, test_clip_position_out_of_range);
  tcase_add_test (tc, test_sink_writes_clip_and_row);
  tcase_add_test (tc, test_sink_refuses_unknown_label);
  tcase_add_test (tc, test_sink_refuses_other_clip_shape);
  return s;
}

GST_CHECK_MAIN (fvcclip);
