/* fvcdecodegate.c — the gate's seeks past spans without a target. One H.264 stream (300-frame
 * GOPs, 900 frames, made with ffmpeg at test time, in MPEG-TS and remuxed into Matroska) goes
 * through `parsebin ! fvcdecodegate ! avdec_h264 ! fvcsample`; every run must give the same six
 * frames (pinned: uniform over 900) with the same pixels:
 *  - the TS file from filesrc: one seek per gap (tsdemux estimates positions: an early landing is
 *    read forward, a late one gets one more seek), against the Matroska file pushed by an appsrc
 *    in stream mode: not seekable (the SEEKING query says so), no file for fvcsample, which gets
 *    the frame index through its frame-index property; no seek at all, the same packets fed;
 *  - a landing made late on purpose (a probe loses the first 5 packets after it): exactly one
 *    more seek, from the last packet fed;
 *  - that second seek held back while the demuxer reads to the end of the file: the gate keeps
 *    the EOS back until the seek restarts the stream;
 *  - that second seek held back, then refused upstream: the gate lets the EOS go, and the
 *    pipeline stops with fvcsample's error instead of waiting for ever. */
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
  char *error;          /* the pipeline's error message, NULL when none */
  gint64 elapsed_us;    /* PLAYING to the end of the stream (or to the pull timeout) */
} GateRun;

static void
gate_run_clear (GateRun *run)
{
  for (guint i = 0; i < run->n_frames; i++)
    g_bytes_unref (run->pixels[i]);
  g_free (run->error);
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

typedef struct _LateLanding LateLanding;
static void late_landing_attach (LateLanding *late, GstElement *gate);
static void slow_seeks_attach (GstElement *pipeline, guint *held);
static guint *slow_seeks;  /* when set, run_pipeline holds each seek (counted here) for 300 ms */
static gboolean refuse_second_seek;  /* with slow_seeks: the second seek is then refused upstream */

/* @path read by filesrc, or pushed by an appsrc in stream mode when @from_stream; @late: a
 * probe on the gate's input that makes the first seek land late (or NULL). */
static void
run_pipeline (const char *path, gboolean from_stream, LateLanding *late, GateRun *run)
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

  if (late != NULL)
    late_landing_attach (late, gate);
  if (slow_seeks != NULL)
    slow_seeks_attach (pipeline, slow_seeks);
  memset (run, 0, sizeof *run);
  run->elapsed_us = g_get_monotonic_time ();
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  /* Until EOS, an error, or 20 s without either. */
  {
    g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
    gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
    for (;;) {
      GstBuffer *buf;
      FvcFrameMeta *meta;
      GstMapInfo map;
      s = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), 50 * GST_MSECOND);
      if (s == NULL) {
        g_autoptr (GstMessage) err = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
        if (err != NULL) {
          g_autoptr (GError) gerr = NULL;
          gst_message_parse_error (err, &gerr, NULL);
          run->error = g_strdup (gerr->message);
          break;
        }
        if (gst_app_sink_is_eos (GST_APP_SINK (sink)) || g_get_monotonic_time () > deadline)
          break;
        continue;
      }
      buf = gst_sample_get_buffer (s);
      meta = fvc_buffer_get_frame_meta (buf);
      fail_unless (run->n_frames < N_TARGETS, "more than %d frames came out", N_TARGETS);
      fail_unless (meta != NULL, "a frame without FvcFrameMeta");
      run->frames[run->n_frames] = meta->frame_index;
      gst_buffer_map (buf, &map, GST_MAP_READ);
      run->pixels[run->n_frames] = g_bytes_new (map.data, map.size);
      gst_buffer_unmap (buf, &map);
      run->n_frames++;
      gst_sample_unref (s);
    }
  }
  run->elapsed_us = g_get_monotonic_time () - run->elapsed_us;
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
  run_pipeline (video, FALSE, NULL, &from_file);
  run_pipeline (video_mkv, TRUE, NULL, &from_stream);
  fail_unless (from_file.error == NULL, "pipeline error: %s", from_file.error);
  fail_unless (from_stream.error == NULL, "pipeline error: %s", from_stream.error);

  fail_unless_equals_int (from_file.n_frames, N_TARGETS);
  fail_unless_equals_int (from_stream.n_frames, N_TARGETS);
  for (guint i = 0; i < N_TARGETS; i++) {
    fail_unless_equals_uint64 (from_file.frames[i], targets[i]);
    fail_unless_equals_uint64 (from_stream.frames[i], targets[i]);
    fail_unless (g_bytes_equal (from_file.pixels[i], from_stream.pixels[i]), "frame %" G_GUINT64_FORMAT
                 " differs between the file and the stream", targets[i]);
  }
  /* Seekable: the gate jumps over the two gaps, once each, plus at most one more per gap when
   * tsdemux lands past the keyframe (it estimates positions; an early landing is read forward). */
  fail_unless (from_file.seeks >= 2 && from_file.seeks <= 4, "%" G_GUINT64_FORMAT " seeks for 2 gaps",
               from_file.seeks);
  /* Not seekable (the SEEKING query says so): no seek at all, and the same packets fed. */
  fail_unless_equals_uint64 (from_stream.seeks, 0);
  fail_unless_equals_uint64 (from_stream.packets_fed, from_file.packets_fed);

  gate_run_clear (&from_file);
  gate_run_clear (&from_stream);
  remove_video ();
}
GST_END_TEST;

/* ---- a seek that lands late ------------------------------------------------------------------ */

/* On the gate's sink pad: each time the gate has asked for a seek, the next packet waits until
 * that seek's flush starts (so the seek always wins the race against the streaming thread, as on
 * a loaded machine), and after the first seek has landed the first @lose packets are lost (as
 * when tsdemux lands past the keyframe it was asked for). */
struct _LateLanding {
  GstElement *gate;
  GMutex lock;
  GCond flushed;
  guint64 seeks_seen;
  guint flush_starts;
  guint flush_stops;
  guint lose;
  guint64 wait_seeks;    /* hold reads for the first this many seeks (0: all) */
};

static GstPadProbeReturn
late_landing_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  LateLanding *late = user_data;
  GstPadProbeReturn ret = GST_PAD_PROBE_OK;

  g_mutex_lock (&late->lock);
  if (info->type & GST_PAD_PROBE_TYPE_EVENT_FLUSH) {
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);
    if (GST_EVENT_TYPE (ev) == GST_EVENT_FLUSH_START) {
      late->flush_starts++;
      g_cond_broadcast (&late->flushed);
    } else if (GST_EVENT_TYPE (ev) == GST_EVENT_FLUSH_STOP && ++late->flush_stops == 1) {
      late->lose = 5;
    }
  } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    guint64 seeks = 0;
    g_object_get (late->gate, "seeks", &seeks, NULL);
    if (seeks > late->seeks_seen && late->flush_starts < seeks && (late->wait_seeks == 0 || seeks <= late->wait_seeks)) {
      /* Read before the seek took effect: hold it until the flush starts, then drop it (the
       * flush would have). */
      gint64 deadline = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
      late->seeks_seen = seeks;
      while (late->flush_starts < seeks && g_cond_wait_until (&late->flushed, &late->lock, deadline))
        ;
      ret = GST_PAD_PROBE_DROP;
    } else {
      late->seeks_seen = seeks;
      if (late->lose > 0) {
        late->lose--;
        ret = GST_PAD_PROBE_DROP;
      }
    }
  }
  g_mutex_unlock (&late->lock);
  return ret;
}

static void
late_landing_attach (LateLanding *late, GstElement *gate)
{
  GstPad *sinkpad = gst_element_get_static_pad (gate, "sink");

  late->gate = gate;
  gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_FLUSH, late_landing_probe, late,
                     NULL);
  gst_object_unref (sinkpad);
}

GST_START_TEST (test_late_landing_seeks_again)
{
  static const guint64 targets[N_TARGETS] = { 0, 180, 360, 539, 719, 899 };
  LateLanding late = { 0 };
  GateRun plain, landed_late;

  g_mutex_init (&late.lock);
  g_cond_init (&late.flushed);
  fail_unless (make_video (), "ffmpeg could not make the test video");
  /* Matroska: matroskademux lands exactly on the keyframe asked for, so only the probe makes a
   * landing late. */
  run_pipeline (video_mkv, FALSE, NULL, &plain);
  run_pipeline (video_mkv, FALSE, &late, &landed_late);
  fail_unless (plain.error == NULL, "pipeline error: %s", plain.error);
  fail_unless (landed_late.error == NULL, "pipeline error: %s", landed_late.error);

  /* Two gaps (after frame 180, after frame 539): one seek each, plus one more from the last
   * packet fed after the first landed 5 packets past the keyframe it aimed at. */
  fail_unless_equals_uint64 (plain.seeks, 2);
  fail_unless_equals_uint64 (landed_late.seeks, 3);
  fail_unless_equals_int (landed_late.n_frames, N_TARGETS);
  for (guint i = 0; i < N_TARGETS; i++) {
    fail_unless_equals_uint64 (landed_late.frames[i], targets[i]);
    fail_unless (g_bytes_equal (plain.pixels[i], landed_late.pixels[i]), "frame %" G_GUINT64_FORMAT " differs",
                 targets[i]);
  }
  fail_unless_equals_uint64 (landed_late.packets_fed, plain.packets_fed);

  gate_run_clear (&plain);
  gate_run_clear (&landed_late);
  g_mutex_clear (&late.lock);
  g_cond_clear (&late.flushed);
  remove_video ();
}
GST_END_TEST;

/* ---- upstream ends before a seek reaches it ------------------------------------------------------ */

/* On the gate's sink pad: every seek the gate sends upstream is held 300 ms (a busy machine's
 * thread pool), long enough for the demuxer to read the rest of the small file and send EOS. */
static GstPadProbeReturn
slow_seek_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  guint *held = user_data;

  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_SEEK) {
    guint n = (guint) g_atomic_int_add (held, 1) + 1;
    g_usleep (300 * 1000);
    if (refuse_second_seek && n == 2) {
      /* A seek in bytes: matroskademux (pull mode) seeks in time only and says no. */
      gst_event_unref (GST_PAD_PROBE_INFO_EVENT (info));
      info->data = gst_event_new_seek (1.0, GST_FORMAT_BYTES, GST_SEEK_FLAG_FLUSH, GST_SEEK_TYPE_SET, 0,
                                       GST_SEEK_TYPE_NONE, -1);
    }
  }
  return GST_PAD_PROBE_OK;
}

static void
slow_seeks_attach (GstElement *pipeline, guint *held)
{
  GstElement *gate = gst_bin_get_by_name (GST_BIN (pipeline), "gate");
  GstPad *sinkpad = gst_element_get_static_pad (gate, "sink");

  gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, slow_seek_probe, held, NULL);
  gst_object_unref (sinkpad);
  gst_object_unref (gate);
}

GST_START_TEST (test_eos_before_the_seek)
{
  static const guint64 targets[N_TARGETS] = { 0, 180, 360, 539, 719, 899 };
  LateLanding late = { 0 };
  guint held = 0;
  GateRun plain, slow;

  g_mutex_init (&late.lock);
  g_cond_init (&late.flushed);
  late.wait_seeks = 1;
  fail_unless (make_video (), "ffmpeg could not make the test video");
  run_pipeline (video_mkv, FALSE, NULL, &plain);
  /* The first seek lands late; the second try is held 300 ms, while the gate drops what the
   * demuxer reads: it reads to the end of the file and sends EOS before that seek reaches it.
   * The gate keeps the EOS back, the seek restarts the stream, the frames are the same. */
  slow_seeks = &held;
  run_pipeline (video_mkv, FALSE, &late, &slow);
  slow_seeks = NULL;
  fail_unless (plain.error == NULL, "pipeline error: %s", plain.error);
  fail_unless (slow.error == NULL, "pipeline error: %s", slow.error);

  fail_unless (held >= 2, "%u seeks sent", held);
  fail_unless (slow.seeks >= 2, "%" G_GUINT64_FORMAT " seeks", slow.seeks);
  fail_unless_equals_int (slow.n_frames, N_TARGETS);
  for (guint i = 0; i < N_TARGETS; i++) {
    fail_unless_equals_uint64 (slow.frames[i], targets[i]);
    fail_unless (g_bytes_equal (plain.pixels[i], slow.pixels[i]), "frame %" G_GUINT64_FORMAT " differs", targets[i]);
  }
  gate_run_clear (&plain);
  gate_run_clear (&slow);
  g_mutex_clear (&late.lock);
  g_cond_clear (&late.flushed);
  remove_video ();
}
GST_END_TEST;

GST_START_TEST (test_eos_then_seek_refused)
{
  LateLanding late = { 0 };
  guint held = 0;
  GateRun refused;

  g_mutex_init (&late.lock);
  g_cond_init (&late.flushed);
  late.wait_seeks = 1;
  fail_unless (make_video (), "ffmpeg could not make the test video");
  /* As above, but upstream refuses the second seek after the demuxer has sent EOS: the frames
   * from the first gap on cannot be had, and the EOS the gate kept back must go down so that
   * fvcsample says so (without it nothing ends: the pull below waits 20 s and no error comes). */
  slow_seeks = &held;
  refuse_second_seek = TRUE;
  run_pipeline (video_mkv, FALSE, &late, &refused);
  slow_seeks = NULL;
  refuse_second_seek = FALSE;

  fail_unless_equals_int (held, 2);
  fail_unless (refused.error != NULL, "no error after a refused seek (%u frames, %" G_GINT64_FORMAT " ms)",
               refused.n_frames, refused.elapsed_us / 1000);
  fail_unless (strstr (refused.error, "the stream ended before frame 360") != NULL, "%s", refused.error);
  /* 0 and 180 came before the first gap. */
  fail_unless_equals_int (refused.n_frames, 2);
  fail_unless (refused.elapsed_us < 10 * G_USEC_PER_SEC, "%" G_GINT64_FORMAT " ms to the end",
               refused.elapsed_us / 1000);
  gate_run_clear (&refused);
  g_mutex_clear (&late.lock);
  g_cond_clear (&late.flushed);
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
  tcase_add_test (tc, test_late_landing_seeks_again);
  tcase_add_test (tc, test_eos_before_the_seek);
  tcase_add_test (tc, test_eos_then_seek_refused);
  return s;
}

GST_CHECK_MAIN (fvcdecodegate);
