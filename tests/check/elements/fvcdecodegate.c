/* fvcdecodegate.c — the gate's seeks past spans without a target. One H.264 stream (300-frame
 * GOPs, 900 frames, made with ffmpeg at test time, in MPEG-TS and remuxed into Matroska) goes
 * through `parsebin ! fvcdecodegate ! avdec_h264 ! fvcsample` twice:
 *  - the TS file read by filesrc: the gate seeks over the two gaps; tsdemux estimates seek
 *    positions and may land early (then the gate reads forward, without seeking again) or past
 *    packets still to feed (then it seeks once more, from the last packet fed);
 *  - the Matroska file pushed by an appsrc in stream mode: not seekable (the SEEKING query says
 *    so), no file for fvcsample, which gets the frame index through its frame-index property;
 *    the gate must not seek and drop the packets between spans instead.
 * Both must feed the same packets and give the same six frames (pinned: uniform over 900) with
 * the same pixels. */
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>

#include "fvc-frame-index.h"
#include "fvc-provenance.h"

#define N_TARGETS 6
#define N_FRAMES 900

static char *work_dir;
static char *video;      /* MPEG-TS */
static char *video_mkv;  /* the same packets in Matroska */

static gboolean
make_video (void)
{
  const char *argv[] = { "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                         "testsrc2=size=160x120:rate=30", "-frames:v", G_STRINGIFY (N_FRAMES), "-pix_fmt", "yuv420p",
                         "-c:v", "libx264", "-preset", "veryfast", "-threads", "1", "-x264-params",
                         "keyint=300:scenecut=0:bframes=3", NULL, NULL };
  gint status = -1;

  const char *remux[] = { "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", NULL, "-c", "copy",
                          NULL, NULL };
  gint remux_status = -1;

  work_dir = g_dir_make_tmp ("fvcdecodegate-XXXXXX", NULL);
  video = g_build_filename (work_dir, "gop300.ts", NULL);
  video_mkv = g_build_filename (work_dir, "gop300.mkv", NULL);
  argv[G_N_ELEMENTS (argv) - 2] = video;
  remux[7] = video;
  remux[10] = video_mkv;
  return g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status, NULL) &&
         g_spawn_check_wait_status (status, NULL) &&
         g_spawn_sync (NULL, (char **) remux, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &remux_status, NULL) &&
         g_spawn_check_wait_status (remux_status, NULL);
}

static void
remove_video (void)
{
  g_unlink (video);
  g_unlink (video_mkv);
  g_rmdir (work_dir);
  g_clear_pointer (&video, g_free);
  g_clear_pointer (&video_mkv, g_free);
  g_clear_pointer (&work_dir, g_free);
}

typedef struct {
  guint64 seeks, packets_fed, packets_demuxed;
  guint64 frames[N_TARGETS];
  GBytes *pixels[N_TARGETS];
  guint n_frames;
} GateRun;

static void
gate_run_clear (GateRun *run)
{
  for (guint i = 0; i < run->n_frames; i++)
    g_bytes_unref (run->pixels[i]);
}

/* appsrc need-data: the file in 4 KiB pieces, then EOS. */
static void
feed_file (GstAppSrc *src, guint length, gpointer user_data)
{
  FILE *f = user_data;
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 4096, NULL);
  GstMapInfo map;
  size_t n;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  n = fread (map.data, 1, map.size, f);
  gst_buffer_unmap (buf, &map);
  if (n == 0) {
    gst_buffer_unref (buf);
    gst_app_src_end_of_stream (src);
    return;
  }
  gst_buffer_set_size (buf, n);
  gst_app_src_push_buffer (src, buf);
}

/* @path read by filesrc, or pushed by an appsrc in stream mode when @from_stream. */
static void
run_pipeline (const char *path, gboolean from_stream, GateRun *run)
{
  g_autofree char *desc = g_strdup_printf (
      "%s ! parsebin ! fvcdecodegate name=gate ! avdec_h264 max-threads=1 "
      "! fvcsample name=sample num-frames=%d video-path=\"%s\" ! videoconvert ! video/x-raw,format=I420 "
      "! appsink name=sink sync=false", from_stream ? "appsrc name=src stream-type=stream" : "filesrc name=src",
      N_TARGETS, path);
  g_autoptr (GError) error = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &error);
  GstElement *src, *gate, *sample, *sink;
  FILE *f = NULL;
  GstSample *s;

  fail_unless (pipeline != NULL, "%s", error ? error->message : "");
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  gate = gst_bin_get_by_name (GST_BIN (pipeline), "gate");
  sample = gst_bin_get_by_name (GST_BIN (pipeline), "sample");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  if (from_stream) {
    g_autoptr (FvcFrameIndex) index = fvc_frame_index_build (path, &error);
    GstAppSrcCallbacks callbacks = { feed_file, NULL, NULL };
    fail_unless (index != NULL, "%s", error ? error->message : "");
    g_object_set (sample, "frame-index", index, NULL);
    f = fopen (path, "rb");
    fail_unless (f != NULL);
    gst_app_src_set_callbacks (GST_APP_SRC (src), &callbacks, f, NULL);
  } else {
    g_object_set (src, "location", path, NULL);
  }

  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  memset (run, 0, sizeof *run);
  /* Until EOS, or an error (then nothing comes for a while and the bus says why). */
  while ((s = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), 20 * GST_SECOND)) != NULL) {
    GstBuffer *buf = gst_sample_get_buffer (s);
    FvcFrameMeta *meta = fvc_buffer_get_frame_meta (buf);
    GstMapInfo map;
    fail_unless (run->n_frames < N_TARGETS, "more than %d frames came out", N_TARGETS);
    fail_unless (meta != NULL, "a frame without FvcFrameMeta");
    run->frames[run->n_frames] = meta->frame_index;
    gst_buffer_map (buf, &map, GST_MAP_READ);
    run->pixels[run->n_frames] = g_bytes_new (map.data, map.size);
    gst_buffer_unmap (buf, &map);
    run->n_frames++;
    gst_sample_unref (s);
  }
  {
    g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
    g_autoptr (GstMessage) err = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    if (err != NULL) {
      g_autoptr (GError) gerr = NULL;
      gst_message_parse_error (err, &gerr, NULL);
      fail ("pipeline error: %s", gerr->message);
    }
  }
  g_object_get (gate, "seeks", &run->seeks, "packets-fed", &run->packets_fed, "packets-demuxed",
                &run->packets_demuxed, NULL);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  if (f != NULL)
    fclose (f);
  gst_object_unref (src);
  gst_object_unref (gate);
  gst_object_unref (sample);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
}

GST_START_TEST (test_unseekable_upstream)
{
  /* Uniform over 900 frames: round(i * 899 / 5), DESIGN.md's formula. The spans (from keyframes
   * 0, 300, 600) leave gaps of ~120 and ~60 packets, above the gate's seek threshold of 48. */
  static const guint64 targets[N_TARGETS] = { 0, 180, 360, 539, 719, 899 };
  GateRun from_file, from_stream;

  fail_unless (make_video (), "ffmpeg could not make the test video");
  run_pipeline (video, FALSE, &from_file);
  run_pipeline (video_mkv, TRUE, &from_stream);

  fail_unless_equals_int (from_file.n_frames, N_TARGETS);
  fail_unless_equals_int (from_stream.n_frames, N_TARGETS);
  for (guint i = 0; i < N_TARGETS; i++) {
    fail_unless_equals_uint64 (from_file.frames[i], targets[i]);
    fail_unless_equals_uint64 (from_stream.frames[i], targets[i]);
    fail_unless (g_bytes_equal (from_file.pixels[i], from_stream.pixels[i]), "frame %" G_GUINT64_FORMAT
                 " differs between the file and the stream", targets[i]);
  }
  /* Seekable: the gate jumps over the gaps (tsdemux lands early, so it may read more in all). */
  fail_unless (from_file.seeks >= 1, "no seek on a seekable file");
  /* Not seekable (the SEEKING query says so): no seek at all — tsdemux in push mode flushes on a
   * seek it cannot carry out and loses packets — every packet read once, in order, and the same
   * packets fed. */
  fail_unless_equals_uint64 (from_stream.seeks, 0);
  fail_unless (from_stream.packets_demuxed <= N_FRAMES, "%" G_GUINT64_FORMAT " packets read",
               from_stream.packets_demuxed);
  fail_unless_equals_uint64 (from_stream.packets_fed, from_file.packets_fed);

  gate_run_clear (&from_file);
  gate_run_clear (&from_stream);
  remove_video ();
}
GST_END_TEST;

static Suite *
fvcdecodegate_suite (void)
{
  Suite *s = suite_create ("fvcdecodegate");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_unseekable_upstream);
  return s;
}

GST_CHECK_MAIN (fvcdecodegate);
