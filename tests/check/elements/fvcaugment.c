/* fvcaugment.c — GstHarness tests of the fvcaugment element: states, caps, where the crop lands,
 * colour conversion against the BT.601/BT.709 formulas, anti-aliasing (with a nearest-neighbour
 * control that must fail the same bound), determinism, per-clip consistency, provenance (meta and
 * the "fvc/augment" event) and the no-seed error. Expected values come from the documented
 * formulas, computed here; the parameter draws themselves are pinned in tests/unit/test-augment.c. */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <math.h>

#include "fvc-augment.h"
#include "fvc-provenance.h"
#include "fvc-seed.h"

/* ---- helpers -------------------------------------------------------------------------------- */

typedef void (*YuvFunc) (int x, int y, gpointer data, guint8 yuv[3]);

/* A frame of @format (I420 or NV12) from @func: luma per pixel, chroma from the top-left pixel
 * of each 2x2 block. */
static GstBuffer *
make_frame (GstVideoFormat format, int w, int h, YuvFunc func, gpointer data)
{
  GstVideoInfo info;
  GstVideoFrame frame;
  GstBuffer *buf;

  gst_video_info_set_format (&info, format, w, h);
  buf = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&info), NULL);
  fail_unless (gst_video_frame_map (&frame, &info, buf, GST_MAP_WRITE));
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      guint8 yuv[3];
      func (x, y, data, yuv);
      ((guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame, 0))[y * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0) + x] = yuv[0];
      if ((x & 1) || (y & 1))
        continue;
      if (format == GST_VIDEO_FORMAT_I420) {
        ((guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame, 1))[(y / 2) * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 1) + x / 2] = yuv[1];
        ((guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame, 2))[(y / 2) * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 2) + x / 2] = yuv[2];
      } else {
        guint8 *uv = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame, 1) + (y / 2) * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 1) + x;
        uv[0] = yuv[1];
        uv[1] = yuv[2];
      }
    }
  gst_video_frame_unmap (&frame);
  return buf;
}

static void
flat_yuv (int x, int y, gpointer data, guint8 yuv[3])
{
  memcpy (yuv, data, 3);
}

static void
checker_yuv (int x, int y, gpointer data, guint8 yuv[3])
{
  yuv[0] = ((x + y) & 1) ? 235 : 16;
  yuv[1] = yuv[2] = 128;
}

/* A picture with texture everywhere (for determinism tests); @data points to a frame number. */
static void
texture_yuv (int x, int y, gpointer data, guint8 yuv[3])
{
  int f = *(int *) data;
  yuv[0] = (guint8) (16 + (x * 7 + y * 3 + f * 11 + ((x / 8 + y / 8) & 1) * 60) % 200);
  yuv[1] = (guint8) (64 + (x + f * 5) % 128);
  yuv[2] = (guint8) (64 + (y * 2) % 128);
}

/* A harness around fvcaugment (h->element is the element itself) with @props ("name=value ...")
 * set before the caps. */
static GstHarness *
augment_harness (const char *props, const char *caps)
{
  GstElement *e = gst_element_factory_make ("fvcaugment", NULL);
  g_auto (GStrv) kv = g_strsplit (props, " ", -1);
  GstHarness *h;

  fail_unless (e != NULL);
  for (guint i = 0; kv[i] != NULL; i++) {
    g_auto (GStrv) pair = g_strsplit (kv[i], "=", 2);
    if (pair[0] == NULL || *pair[0] == '\0')
      continue;
    fail_unless (pair[1] != NULL, "bad property %s", kv[i]);
    gst_util_set_object_arg (G_OBJECT (e), pair[0], pair[1]);
  }
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  gst_harness_set_src_caps_str (h, caps);
  return h;
}

static GstVideoInfo
pull_rgb (GstHarness *h, GstBuffer **out)
{
  GstCaps *caps = gst_pad_get_current_caps (h->sinkpad);
  GstVideoInfo info;

  fail_unless (caps != NULL);
  fail_unless (gst_video_info_from_caps (&info, caps));
  gst_caps_unref (caps);
  *out = gst_harness_pull (h);
  fail_unless (*out != NULL);
  return info;
}

/* Mean and standard deviation of the RGB bytes of an output frame (padding excluded). */
static void
rgb_stats (const GstVideoInfo *info, GstBuffer *buf, double *mean, double *sd)
{
  GstVideoFrame frame;
  double s = 0, s2 = 0, n = 0;

  fail_unless (gst_video_frame_map (&frame, (GstVideoInfo *) info, buf, GST_MAP_READ));
  for (int y = 0; y < GST_VIDEO_FRAME_HEIGHT (&frame); y++) {
    const guint8 *row = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame, 0) + y * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0);
    for (int x = 0; x < GST_VIDEO_FRAME_WIDTH (&frame) * 3; x++, n++) {
      s += row[x];
      s2 += (double) row[x] * row[x];
    }
  }
  gst_video_frame_unmap (&frame);
  *mean = s / n;
  *sd = sqrt (MAX (0.0, s2 / n - *mean * *mean));
}

static const guint8 *
rgb_at (GstVideoFrame *frame, int x, int y)
{
  return (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (frame, 0) + y * GST_VIDEO_FRAME_PLANE_STRIDE (frame, 0) + x * 3;
}

static GBytes *
buffer_bytes (GstBuffer *buf)
{
  gsize size = gst_buffer_get_size (buf);
  gpointer data = g_malloc (size);
  gst_buffer_extract (buf, 0, data, size);
  return g_bytes_new_take (data, size);
}

#define CLIP_CAPS "video/x-raw,format=I420,width=176,height=144,framerate=25/1"

/* Pushes @n texture frames (FvcFrameMeta clip positions 0..n-1), with @caps and
 * @buffer_flags set on each, and returns the outputs. */
static GPtrArray *
run_clip_as (const char *props, int n, gboolean same_picture, const char *caps, GstBufferFlags buffer_flags)
{
  GstHarness *h = augment_harness (props, caps);
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  for (int i = 0; i < n; i++) {
    int f = same_picture ? 0 : i;
    GstBuffer *in = make_frame (GST_VIDEO_FORMAT_I420, 176, 144, texture_yuv, &f), *o;
    GST_BUFFER_FLAG_SET (in, buffer_flags);
    fvc_buffer_add_frame_meta (in, 100 + i, i * 40 * GST_MSECOND, i);
    fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
    o = gst_harness_pull (h);
    g_ptr_array_add (out, buffer_bytes (o));
    gst_buffer_unref (o);
  }
  gst_harness_teardown (h);
  return out;
}

static GPtrArray *
run_clip (const char *props, int n, gboolean same_picture)
{
  return run_clip_as (props, n, same_picture, CLIP_CAPS, 0);
}

/* ---- tests ---------------------------------------------------------------------------------- */

GST_START_TEST (test_states)
{
  GstElement *e = gst_element_factory_make ("fvcaugment", NULL);
  const GstState states[] = { GST_STATE_READY, GST_STATE_PAUSED, GST_STATE_PLAYING, GST_STATE_PAUSED,
                              GST_STATE_READY, GST_STATE_NULL, GST_STATE_PLAYING, GST_STATE_NULL };

  fail_unless (e != NULL);
  for (guint i = 0; i < G_N_ELEMENTS (states); i++)
    fail_if (gst_element_set_state (e, states[i]) == GST_STATE_CHANGE_FAILURE, "to %s",
             gst_element_state_get_name (states[i]));
  gst_object_unref (e);
}
GST_END_TEST;

static const struct {
  const char *format;
  int size;
} caps_cases[] = { { "I420", 112 }, { "NV12", 112 }, { "I420", 64 }, { "NV12", 224 } };

GST_START_TEST (test_caps)
{
  g_autofree char *props = g_strdup_printf ("size=%d augmentation-index=-1 seed=7", caps_cases[__i__].size);
  g_autofree char *caps = g_strdup_printf ("video/x-raw,format=%s,width=320,height=240,framerate=30/1",
                                           caps_cases[__i__].format);
  GstHarness *h = augment_harness (props, caps);
  GstVideoFormat fmt = gst_video_format_from_string (caps_cases[__i__].format);
  guint8 grey[3] = { 128, 128, 128 };
  GstBuffer *out;
  GstVideoInfo info;
  GstCaps *cur;
  GstStructure *s;
  int fn, fd;

  fail_unless_equals_int (gst_harness_push (h, make_frame (fmt, 320, 240, flat_yuv, grey)), GST_FLOW_OK);
  info = pull_rgb (h, &out);
  cur = gst_pad_get_current_caps (h->sinkpad);
  s = gst_caps_get_structure (cur, 0);
  fail_unless_equals_string (gst_structure_get_string (s, "format"), "RGB");
  fail_unless_equals_int (GST_VIDEO_INFO_WIDTH (&info), caps_cases[__i__].size);
  fail_unless_equals_int (GST_VIDEO_INFO_HEIGHT (&info), caps_cases[__i__].size);
  fail_unless (gst_structure_get_fraction (s, "pixel-aspect-ratio", &fn, &fd) && fn == 1 && fd == 1);
  fail_unless (gst_structure_get_fraction (s, "framerate", &fn, &fd) && fn == 30 && fd == 1);
  fail_unless_equals_int (gst_buffer_get_size (out), GST_VIDEO_INFO_SIZE (&info));
  gst_caps_unref (cur);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}
GST_END_TEST;

/* 320x240: a red border left of x = 40 and a blue one right of x = 280 (outside the centred
 * 240x240 square), inside it dark grey on the left half and light grey on the right half. */
static void
bordered_yuv (int x, int y, gpointer data, guint8 yuv[3])
{
  static const guint8 red[3] = { 81, 90, 240 }, blue[3] = { 41, 240, 110 };
  if (x < 40)
    memcpy (yuv, red, 3);
  else if (x >= 280)
    memcpy (yuv, blue, 3);
  else {
    yuv[0] = x < 160 ? 60 : 200;
    yuv[1] = yuv[2] = 128;
  }
}

GST_START_TEST (test_base_clip_centre_crop)
{
  const char *format = __i__ == 0 ? "I420" : "NV12";
  g_autofree char *caps = g_strdup_printf ("video/x-raw,format=%s,width=320,height=240,framerate=30/1,"
                                           "colorimetry=bt601", format);
  GstHarness *h = augment_harness ("size=112 augmentation-index=-1 seed=1", caps);
  GstVideoFrame frame;
  GstVideoInfo info;
  GstBuffer *out;
  /* grey levels of Y = 60 and 200 in full-range RGB: 255 (Y - 16) / 219 */
  const double dark = 255.0 * 44 / 219, light = 255.0 * 184 / 219;

  fail_unless_equals_int (gst_harness_push (h, make_frame (gst_video_format_from_string (format), 320, 240,
                                                            bordered_yuv, NULL)), GST_FLOW_OK);
  info = pull_rgb (h, &out);
  fail_unless (gst_video_frame_map (&frame, &info, out, GST_MAP_READ));
  for (int y = 0; y < 112; y++)
    for (int x = 0; x < 112; x++) {
      const guint8 *p = rgb_at (&frame, x, y);
      /* grey everywhere: no trace of the red or blue border (they differ from grey by > 100) */
      fail_unless (abs (p[0] - p[1]) <= 2 && abs (p[1] - p[2]) <= 2, "(%d,%d) = %d %d %d is not grey",
                   x, y, p[0], p[1], p[2]);
      /* the dark/light edge sits in the middle (lanczos rings for a few pixels around it) */
      if (x < 52)
        fail_unless (fabs (p[1] - dark) <= 2, "(%d,%d) = %d, expected dark %.1f", x, y, p[1], dark);
      if (x >= 60)
        fail_unless (fabs (p[1] - light) <= 2, "(%d,%d) = %d, expected light %.1f", x, y, p[1], light);
    }
  gst_video_frame_unmap (&frame);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}
GST_END_TEST;

/* The flat-colour expectation from the standard's Kr, Kb (limited range, 8 bit). */
static void
yuv_to_rgb_ref (const guint8 yuv[3], double kr, double kb, double rgb[3])
{
  double y = (yuv[0] - 16) / 219.0, pb = (yuv[1] - 128) / 224.0, pr = (yuv[2] - 128) / 224.0;
  double r = y + 2 * (1 - kr) * pr, b = y + 2 * (1 - kb) * pb;
  double g = (y - kr * r - kb * b) / (1 - kr - kb);

  rgb[0] = CLAMP (255 * r, 0, 255);
  rgb[1] = CLAMP (255 * g, 0, 255);
  rgb[2] = CLAMP (255 * b, 0, 255);
}

static const struct {
  const char *format, *colorimetry;
  double kr, kb;
  guint8 yuv[3];
} colour_cases[] = {
  { "I420", "bt601", 0.299, 0.114, { 120, 100, 160 } },
  { "I420", "bt709", 0.2126, 0.0722, { 120, 100, 160 } },
  { "NV12", "bt601", 0.299, 0.114, { 170, 150, 90 } },
  { "NV12", "bt709", 0.2126, 0.0722, { 170, 150, 90 } },
  { "I420", "bt709", 0.2126, 0.0722, { 60, 180, 110 } },
};

GST_START_TEST (test_flat_colour)
{
  const typeof (colour_cases[0]) *c = &colour_cases[__i__];
  g_autofree char *caps = g_strdup_printf ("video/x-raw,format=%s,width=200,height=150,framerate=30/1,"
                                           "colorimetry=%s", c->format, c->colorimetry);
  GstHarness *h = augment_harness ("size=64 augmentation-index=-1 seed=1", caps);
  GstVideoFrame frame;
  GstVideoInfo info;
  GstBuffer *out;
  double expect[3], other[3];

  yuv_to_rgb_ref (c->yuv, c->kr, c->kb, expect);
  /* the other standard's answer must be told apart: the test could not pass by accident */
  yuv_to_rgb_ref (c->yuv, c->kr == 0.299 ? 0.2126 : 0.299, c->kr == 0.299 ? 0.0722 : 0.114, other);
  fail_unless (fabs (expect[0] - other[0]) + fabs (expect[1] - other[1]) + fabs (expect[2] - other[2]) > 6);

  fail_unless_equals_int (gst_harness_push (h, make_frame (gst_video_format_from_string (c->format), 200, 150,
                                                            flat_yuv, (gpointer) c->yuv)), GST_FLOW_OK);
  info = pull_rgb (h, &out);
  fail_unless (gst_video_frame_map (&frame, &info, out, GST_MAP_READ));
  for (int y = 0; y < 64; y++)
    for (int x = 0; x < 64; x++)
      for (int k = 0; k < 3; k++)
        fail_unless (fabs (rgb_at (&frame, x, y)[k] - expect[k]) <= 1.0,
                     "%s %s (%d,%d)[%d] = %d, expected %.2f", c->format, c->colorimetry, x, y, k,
                     rgb_at (&frame, x, y)[k], expect[k]);
  gst_video_frame_unmap (&frame);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}
GST_END_TEST;

/* Below this the 1-pixel checkerboard came out flat: measured 0.36 with the element's lanczos
 * (auto taps), 126 with nearest neighbour, 63 with lanczos forced to 4 taps (GStreamer 1.22). */
#define CHECKER_MAX_SD 2.0

static double
checker_sd_with_converter (GstVideoResamplerMethod method, guint taps)
{
  GstVideoInfo in, out;
  GstVideoConverter *conv;
  GstVideoFrame fin, fout;
  GstBuffer *bin = make_frame (GST_VIDEO_FORMAT_I420, 640, 640, checker_yuv, NULL), *bout;
  double mean, sd;

  gst_video_info_set_format (&in, GST_VIDEO_FORMAT_I420, 640, 640);
  gst_video_info_set_format (&out, GST_VIDEO_FORMAT_RGB, 112, 112);
  conv = gst_video_converter_new (&in, &out, gst_structure_new ("GstVideoConverter",
      GST_VIDEO_CONVERTER_OPT_RESAMPLER_METHOD, GST_TYPE_VIDEO_RESAMPLER_METHOD, method,
      GST_VIDEO_CONVERTER_OPT_RESAMPLER_TAPS, G_TYPE_UINT, taps, NULL));
  bout = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&out), NULL);
  fail_unless (gst_video_frame_map (&fin, &in, bin, GST_MAP_READ));
  fail_unless (gst_video_frame_map (&fout, &out, bout, GST_MAP_WRITE));
  gst_video_converter_frame (conv, &fin, &fout);
  gst_video_frame_unmap (&fin);
  gst_video_frame_unmap (&fout);
  gst_video_converter_free (conv);
  rgb_stats (&out, bout, &mean, &sd);
  gst_buffer_unref (bin);
  gst_buffer_unref (bout);
  return sd;
}

GST_START_TEST (test_antialias)
{
  GstHarness *h = augment_harness ("size=112 augmentation-index=-1 seed=1",
                                   "video/x-raw,format=I420,width=640,height=640,framerate=30/1");
  GstVideoInfo info;
  GstBuffer *out;
  double mean, sd, sd_nearest, sd_4taps;

  fail_unless_equals_int (gst_harness_push (h, make_frame (GST_VIDEO_FORMAT_I420, 640, 640, checker_yuv, NULL)),
                          GST_FLOW_OK);
  info = pull_rgb (h, &out);
  rgb_stats (&info, out, &mean, &sd);
  GST_INFO ("checkerboard 640 -> 112: mean %.2f sd %.3f", mean, sd);
  /* flat mid grey: the average of 16 and 235 is Y 125.5, i.e. 255 * 109.5 / 219 = 127.5 */
  fail_unless (fabs (mean - 127.5) < 3.0, "mean %.2f", mean);
  fail_unless (sd < CHECKER_MAX_SD, "checkerboard aliased: sd %.3f", sd);

  /* Controls: the same bound catches an aliasing resampler. */
  sd_nearest = checker_sd_with_converter (GST_VIDEO_RESAMPLER_METHOD_NEAREST, 0);
  sd_4taps = checker_sd_with_converter (GST_VIDEO_RESAMPLER_METHOD_LANCZOS, 4);
  GST_INFO ("controls: nearest sd %.3f, lanczos 4 taps sd %.3f", sd_nearest, sd_4taps);
  fail_unless (sd_nearest > CHECKER_MAX_SD * 10, "nearest sd %.3f", sd_nearest);
  fail_unless (sd_4taps > CHECKER_MAX_SD * 10, "4-tap sd %.3f", sd_4taps);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}
GST_END_TEST;

/* Vertical stripes, a sinusoid of @data cycles over 640 pixels, amplitude 100 around Y 126. */
static void
grating_yuv (int x, int y, gpointer data, guint8 yuv[3])
{
  double cycles = *(double *) data;
  yuv[0] = (guint8) floor (126 + 100 * sin (2 * G_PI * cycles * x / 640) + 0.5);
  yuv[1] = yuv[2] = 128;
}

/* Frequency response of the base-clip resize 640 -> 112 (output Nyquist: 56 cycles), as the
 * ratio of output to input standard deviation. Measured on GStreamer 1.22: lanczos (auto taps)
 * 0.93 / 0.077 / 0.024 at 30 / 80 / 200 cycles; linear keeps only 0.77 at 30 cycles (too soft),
 * nearest and 4-tap lanczos keep 0.88-1.05 at 200 cycles (aliased). */
static const struct {
  double cycles, min_ratio, max_ratio;
} grating_cases[] = { { 30, 0.85, 1.02 }, { 80, 0.0, 0.15 }, { 200, 0.0, 0.05 } };

GST_START_TEST (test_resampler_response)
{
  double cycles = grating_cases[__i__].cycles, mean, sd, ratio;
  GstHarness *h = augment_harness ("size=112 augmentation-index=-1 seed=1",
                                   "video/x-raw,format=I420,width=640,height=640,framerate=30/1");
  GstVideoInfo info;
  GstBuffer *out;

  fail_unless_equals_int (gst_harness_push (h, make_frame (GST_VIDEO_FORMAT_I420, 640, 640, grating_yuv, &cycles)),
                          GST_FLOW_OK);
  info = pull_rgb (h, &out);
  rgb_stats (&info, out, &mean, &sd);
  /* input: sd 100 / sqrt 2 in Y, times 255 / 219 in RGB */
  ratio = sd / (100 / G_SQRT2 * 255 / 219);
  GST_INFO ("grating %.0f cycles: sd ratio %.3f", cycles, ratio);
  fail_unless (ratio >= grating_cases[__i__].min_ratio && ratio <= grating_cases[__i__].max_ratio,
               "%.0f cycles: output/input sd %.3f not in [%.2f, %.2f]", cycles, ratio,
               grating_cases[__i__].min_ratio, grating_cases[__i__].max_ratio);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}
GST_END_TEST;

/* Every op certain, so all of them run. */
#define ALL_ON "flip-probability=1 jitter-probability=1 blur-probability=1 noise-probability=1 " \
               "jpeg-probability=1"

GST_START_TEST (test_deterministic)
{
  GPtrArray *a = run_clip ("augmentation-index=3 seed=1234 " ALL_ON, 4, FALSE);
  GPtrArray *b = run_clip ("augmentation-index=3 seed=1234 " ALL_ON, 4, FALSE);
  GPtrArray *c = run_clip ("augmentation-index=4 seed=1234 " ALL_ON, 4, FALSE);
  GPtrArray *d = run_clip ("augmentation-index=-1 seed=1234 " ALL_ON, 4, FALSE);

  for (guint i = 0; i < 4; i++) {
    fail_unless (g_bytes_equal (a->pdata[i], b->pdata[i]), "frame %u differs between runs", i);
    fail_if (g_bytes_equal (a->pdata[i], c->pdata[i]), "frame %u: index 3 and 4 gave the same", i);
    fail_if (g_bytes_equal (a->pdata[i], d->pdata[i]), "frame %u: index 3 equals the base clip", i);
  }
  g_ptr_array_unref (a);
  g_ptr_array_unref (b);
  g_ptr_array_unref (c);
  g_ptr_array_unref (d);
}
GST_END_TEST;

/* Interlaced decoder output (an interlaced H.264 file: caps interlace-mode=interleaved, buffers
 * flagged interlaced) is augmented as whole pictures: the same bytes as the progressive frame,
 * and no field-wise scaling path (which the converter was not set up for: criticals, garbage). */
GST_START_TEST (test_interlaced_as_whole_frames)
{
  GPtrArray *progressive = run_clip ("augmentation-index=2 seed=77 " ALL_ON, 3, FALSE);
  GPtrArray *interlaced = run_clip_as ("augmentation-index=2 seed=77 " ALL_ON, 3, FALSE,
                                       CLIP_CAPS ",interlace-mode=interleaved,field-order=top-field-first",
                                       GST_VIDEO_BUFFER_FLAG_INTERLACED | GST_VIDEO_BUFFER_FLAG_TFF);

  for (guint i = 0; i < 3; i++)
    fail_unless (g_bytes_equal (progressive->pdata[i], interlaced->pdata[i]),
                 "frame %u: interlaced input augmented differently from the same progressive picture", i);
  g_ptr_array_unref (progressive);
  g_ptr_array_unref (interlaced);
}
GST_END_TEST;

GST_START_TEST (test_same_params_within_clip)
{
  /* noise off: identical frames in, identical frames out (crop, flip, jitter, blur, JPEG fixed
   * per clip); noise on: it changes with the clip position. */
  GPtrArray *quiet = run_clip ("augmentation-index=2 seed=99 noise=false " ALL_ON, 4, TRUE);
  GPtrArray *noisy = run_clip ("augmentation-index=2 seed=99 " ALL_ON, 4, TRUE);
  GPtrArray *moving = run_clip ("augmentation-index=2 seed=99 noise=false " ALL_ON, 2, FALSE);

  for (guint i = 1; i < 4; i++) {
    fail_unless (g_bytes_equal (quiet->pdata[0], quiet->pdata[i]), "frame %u differs", i);
    fail_if (g_bytes_equal (noisy->pdata[0], noisy->pdata[i]), "noise frame %u repeats frame 0", i);
  }
  fail_if (g_bytes_equal (moving->pdata[0], moving->pdata[1]));
  g_ptr_array_unref (quiet);
  g_ptr_array_unref (noisy);
  g_ptr_array_unref (moving);
}
GST_END_TEST;

/* Luma ramps: along x for @data == 0, along y otherwise; chroma neutral. */
static void
ramp_yuv (int x, int y, gpointer data, guint8 yuv[3])
{
  int v = GPOINTER_TO_INT (data) == 0 ? x : y;
  yuv[0] = (guint8) (16 + v * 219 / 639);
  yuv[1] = yuv[2] = 128;
}

GST_START_TEST (test_crop_follows_params)
{
  /* An augmented clip with only crop and flip: each output column (row) must show the source
   * column (row) that the drawn crop box maps to it, mirrored when flipped. */
  const int idx = __i__, size = 96;
  const guint32 seed = 5000;
  FvcAugmentSettings settings;
  FvcAugmentParams p;

  fvc_augment_settings_init (&settings);
  settings.size = size;
  fvc_augment_draw_params (&settings, seed, idx, 640, 640, &p);
  for (int axis = 0; axis < 2; axis++) {
    g_autofree char *props = g_strdup_printf ("size=%d augmentation-index=%d seed=%u jitter=false blur=false "
                                              "noise=false jpeg=false", size, idx, seed);
    GstHarness *h = augment_harness (props, "video/x-raw,format=I420,width=640,height=640,framerate=30/1,"
                                            "colorimetry=bt601");
    GstVideoFrame frame;
    GstVideoInfo info;
    GstBuffer *out;

    fail_unless_equals_int (gst_harness_push (h, make_frame (GST_VIDEO_FORMAT_I420, 640, 640, ramp_yuv,
                                                             GINT_TO_POINTER (axis))), GST_FLOW_OK);
    info = pull_rgb (h, &out);
    fail_unless (gst_video_frame_map (&frame, &info, out, GST_MAP_READ));
    for (int j = 2; j < size - 2; j++) {           /* away from the box edges */
      int off = axis == 0 ? p.crop_x : p.crop_y, len = axis == 0 ? p.crop_width : p.crop_height;
      int jj = (axis == 0 && p.flip) ? size - 1 - j : j;
      double src = off + (j + 0.5) * len / size - 0.5;
      int s0 = (int) floor (src);
      double fr = src - s0;
      double y0 = 16 + s0 * 219 / 639, y1 = 16 + (s0 + 1) * 219 / 639;   /* ramp_yuv's values */
      double expect = 255.0 * (y0 * (1 - fr) + y1 * fr - 16) / 219;
      int got = axis == 0 ? rgb_at (&frame, jj, size / 2)[1] : rgb_at (&frame, size / 2, jj)[1];
      fail_unless (fabs (got - expect) <= 2.0, "idx %d axis %d: output %d (flip %d) = %d, expected %.1f "
                   "(crop %d,%d %dx%d)", idx, axis, jj, p.flip, got, expect, p.crop_x, p.crop_y,
                   p.crop_width, p.crop_height);
    }
    gst_video_frame_unmap (&frame);
    gst_buffer_unref (out);
    gst_harness_teardown (h);
  }
}
GST_END_TEST;

GST_START_TEST (test_frame_meta_kept)
{
  GstHarness *h = augment_harness ("augmentation-index=1 seed=3",
                                   "video/x-raw,format=I420,width=176,height=144,framerate=25/1");

  for (int i = 0; i < 3; i++) {
    int f = i;
    GstBuffer *in = make_frame (GST_VIDEO_FORMAT_I420, 176, 144, texture_yuv, &f), *out;
    FvcFrameMeta *m;

    GST_BUFFER_PTS (in) = i * 40 * GST_MSECOND;
    fvc_buffer_add_frame_meta (in, 60 * i + 7, (i * 40 + 13) * GST_MSECOND, i);
    fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
    out = gst_harness_pull (h);
    m = fvc_buffer_get_frame_meta (out);
    fail_unless (m != NULL, "frame %d lost its FvcFrameMeta", i);
    fail_unless_equals_uint64 (m->frame_index, 60 * i + 7);
    fail_unless_equals_uint64 (m->pts, (i * 40 + 13) * GST_MSECOND);
    fail_unless_equals_int (m->clip_position, i);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (out), i * 40 * GST_MSECOND);
    gst_buffer_unref (out);
  }
  gst_harness_teardown (h);
}
GST_END_TEST;

/* Records the order of data on a pad: "A" for an fvc/augment event, "B" for a buffer. */
static GstPadProbeReturn
order_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  GString *order = data;

  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER) {
    g_string_append_c (order, 'B');
  } else if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    const GstStructure *s = gst_event_get_structure (GST_PAD_PROBE_INFO_EVENT (info));
    if (s != NULL && gst_structure_has_name (s, FVC_AUGMENT_EVENT_NAME))
      g_string_append_c (order, 'A');
  }
  return GST_PAD_PROBE_OK;
}

/* The fvc/augment events the harness received, in order, parsed. */
static GArray *
pull_augment_events (GstHarness *h)
{
  GArray *infos = g_array_new (FALSE, TRUE, sizeof (FvcAugmentInfo));
  GstEvent *ev;

  g_array_set_clear_func (infos, (GDestroyNotify) fvc_augment_info_clear);
  while ((ev = gst_harness_try_pull_event (h)) != NULL) {
    FvcAugmentInfo info;
    if (fvc_augment_event_parse (ev, &info))
      g_array_append_val (infos, info);
    gst_event_unref (ev);
  }
  return infos;
}

static const struct {
  const char *props;
  gboolean with_seed;        /* the fvc/video event carries seed 1000 */
  int idx;
  guint32 expect_seed;       /* 0: fvc_seed_from_path ("videos/fake/abc.mp4") + idx */
} event_cases[] = {
  { "augmentation-index=2", TRUE, 2, 1002 },
  { "augmentation-index=-1", TRUE, -1, 1000 },
  { "augmentation-index=5 seed=77", TRUE, 5, 82 },      /* the property wins */
  { "augmentation-index=3", FALSE, 3, 0 },              /* no seed field: from the path */
};

GST_START_TEST (test_augment_event)
{
  const typeof (event_cases[0]) *c = &event_cases[__i__];
  GstHarness *h = augment_harness (c->props, "video/x-raw,format=I420,width=176,height=144,framerate=25/1");
  GString *order = g_string_new (NULL);
  guint8 grey[3] = { 100, 128, 128 };
  g_autofree char *settings = NULL;
  GstPad *srcpad = gst_element_get_static_pad (h->element, "src");
  GstStructure *vs;
  GArray *events;
  guint32 expect = c->expect_seed ? c->expect_seed : fvc_seed_from_path ("videos/fake/abc.mp4") + c->idx;

  gst_pad_add_probe (srcpad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, order_probe,
                     order, NULL);
  vs = gst_structure_new (FVC_VIDEO_EVENT_NAME, "video-path", G_TYPE_STRING, "videos/fake/abc.mp4",
                          "label", G_TYPE_INT, 1, NULL);
  if (c->with_seed)
    gst_structure_set (vs, "seed", G_TYPE_UINT, 1000u, NULL);
  fail_unless (gst_harness_push_event (h, gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM_STICKY, vs)));
  for (int i = 0; i < 2; i++)
    fail_unless_equals_int (gst_harness_push (h, make_frame (GST_VIDEO_FORMAT_I420, 176, 144, flat_yuv, grey)),
                            GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (h));
  gst_buffer_unref (gst_harness_pull (h));

  fail_unless_equals_string (order->str, "ABB");
  g_object_get (h->element, "settings-string", &settings, NULL);
  events = pull_augment_events (h);
  fail_unless_equals_int (events->len, 1);
  fail_unless_equals_int (g_array_index (events, FvcAugmentInfo, 0).augmentation_idx, c->idx);
  fail_unless_equals_int64 (g_array_index (events, FvcAugmentInfo, 0).seed, expect);
  fail_unless_equals_string (g_array_index (events, FvcAugmentInfo, 0).augment, settings);
  fail_unless (g_str_has_prefix (settings, "size=112;") && g_str_has_suffix (settings, ";v=1"));

  g_array_unref (events);
  g_string_free (order, TRUE);
  gst_object_unref (srcpad);
  gst_harness_teardown (h);
}
GST_END_TEST;

static GstEvent *
video_event (const char *path, guint32 seed)
{
  FvcVideoInfo vi = { .video_path = (char *) path, .label = 0, .seed = seed, .total_frames = 10 };
  return fvc_video_event_new (&vi);
}

GST_START_TEST (test_new_video_redraws)
{
  GstHarness *h = augment_harness ("augmentation-index=0 " ALL_ON " noise=false",
                                   "video/x-raw,format=I420,width=176,height=144,framerate=25/1");
  GstBuffer *o1, *o2, *o3, *o4;
  GArray *events;
  int f = 0;

  gst_harness_push_event (h, video_event ("a.mp4", 10));
  gst_harness_push (h, make_frame (GST_VIDEO_FORMAT_I420, 176, 144, texture_yuv, &f));
  o1 = gst_harness_pull (h);
  gst_harness_push_event (h, video_event ("b.mp4", 20));
  gst_harness_push (h, make_frame (GST_VIDEO_FORMAT_I420, 176, 144, texture_yuv, &f));
  o2 = gst_harness_pull (h);
  /* a flush restarts the clip with the same parameters */
  gst_harness_push_event (h, gst_event_new_flush_start ());
  gst_harness_push_event (h, gst_event_new_flush_stop (TRUE));
  gst_harness_push_event (h, gst_event_new_segment (&(GstSegment) { .format = GST_FORMAT_TIME, .rate = 1.0,
                                                                     .applied_rate = 1.0, .stop = -1,
                                                                     .duration = -1 }));
  gst_harness_push (h, make_frame (GST_VIDEO_FORMAT_I420, 176, 144, texture_yuv, &f));
  o3 = gst_harness_pull (h);
  gst_harness_push_event (h, video_event ("a.mp4", 10));
  gst_harness_push (h, make_frame (GST_VIDEO_FORMAT_I420, 176, 144, texture_yuv, &f));
  o4 = gst_harness_pull (h);

  {
    g_autoptr (GBytes) b1 = buffer_bytes (o1), b2 = buffer_bytes (o2), b3 = buffer_bytes (o3), b4 = buffer_bytes (o4);
    fail_if (g_bytes_equal (b1, b2), "a new video did not change the parameters");
    fail_unless (g_bytes_equal (b2, b3), "a flush changed the parameters");
    fail_unless (g_bytes_equal (b1, b4), "the same video gave other parameters");
  }
  events = pull_augment_events (h);
  fail_unless (events->len >= 3);
  fail_unless_equals_int64 (g_array_index (events, FvcAugmentInfo, 0).seed, 10);
  fail_unless_equals_int64 (g_array_index (events, FvcAugmentInfo, 1).seed, 20);
  fail_unless_equals_int64 (g_array_index (events, FvcAugmentInfo, events->len - 1).seed, 10);
  g_array_unref (events);
  gst_buffer_unref (o1);
  gst_buffer_unref (o2);
  gst_buffer_unref (o3);
  gst_buffer_unref (o4);
  gst_harness_teardown (h);
}
GST_END_TEST;

/* Pushing one frame through fvcaugment with @props fails with GST_FLOW_ERROR and posts a
 * GST_LIBRARY_ERROR_SETTINGS error whose text contains @needle. */
static void
expect_settings_error (const char *props, const char *needle)
{
  GstHarness *h = augment_harness (props, "video/x-raw,format=I420,width=176,height=144,framerate=25/1");
  GstBus *bus = gst_bus_new ();
  guint8 grey[3] = { 100, 128, 128 };
  GstMessage *msg;
  GError *err = NULL;

  gst_element_set_bus (h->element, bus);
  fail_unless_equals_int (gst_harness_push (h, make_frame (GST_VIDEO_FORMAT_I420, 176, 144, flat_yuv, grey)),
                          GST_FLOW_ERROR);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error message posted");
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_SETTINGS), "%s", err->message);
  fail_unless (strstr (err->message, needle) != NULL, "\"%s\" does not mention %s", err->message, needle);
  g_error_free (err);
  gst_message_unref (msg);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_START_TEST (test_no_seed_error)
{
  /* neither a seed property nor an fvc/video event */
  expect_settings_error ("augmentation-index=0", "seed");
}
GST_END_TEST;

GST_START_TEST (test_invalid_settings_error)
{
  expect_settings_error ("augmentation-index=0 seed=1 crop-scale-min=0.9 crop-scale-max=0.5", "crop-scale");
}
GST_END_TEST;

static Suite *
fvcaugment_suite (void)
{
  Suite *s = suite_create ("fvcaugment");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_states);
  tcase_add_loop_test (tc, test_caps, 0, G_N_ELEMENTS (caps_cases));
  tcase_add_loop_test (tc, test_base_clip_centre_crop, 0, 2);
  tcase_add_loop_test (tc, test_flat_colour, 0, G_N_ELEMENTS (colour_cases));
  tcase_add_test (tc, test_antialias);
  tcase_add_loop_test (tc, test_resampler_response, 0, G_N_ELEMENTS (grating_cases));
  tcase_add_test (tc, test_deterministic);
  tcase_add_test (tc, test_same_params_within_clip);
  tcase_add_test (tc, test_interlaced_as_whole_frames);
  tcase_add_loop_test (tc, test_crop_follows_params, 0, 6);
  tcase_add_test (tc, test_frame_meta_kept);
  tcase_add_loop_test (tc, test_augment_event, 0, G_N_ELEMENTS (event_cases));
  tcase_add_test (tc, test_new_video_redraws);
  tcase_add_test (tc, test_no_seed_error);
  tcase_add_test (tc, test_invalid_settings_error);
  return s;
}

GST_CHECK_MAIN (fvcaugment);
