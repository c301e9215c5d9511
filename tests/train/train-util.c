/* train-util.c — backend tensors from plain arrays, synthetic fake/real clips and clip caches for
 * the training tests (see train-util.h). */
#include "train-util.h"

#include "fvc-clip.h"
#include "fvc-seed.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

void
train_fill_uniform (double *a, gsize n, guint32 seed, double lo, double hi)
{
  for (gsize i = 0; i < n; i++)
    a[i] = fvc_rng_range (seed, "test", i, lo, hi);
}

/* ---- synthetic clips ---------------------------------------------------------------------- */

static double
u01 (guint32 seed, const char *name, guint64 counter)
{
  return fvc_rng_uniform (seed, name, counter);
}

static guint8
clamp_u8 (double v)
{
  return (guint8) CLAMP (lround (v), 0, 255);
}

void
train_synth_clip (guint8 *rgb, guint frames, guint height, guint width, gboolean fake, guint video_index,
                  int augmentation_idx, double strength, guint32 seed)
{
  /* per-video appearance: one seed per video, so a video's clips share it */
  const guint32 vs = seed * 7919u + video_index;
  const guint32 cs = vs * 31u + (guint32) (augmentation_idx + 1);   /* per clip: noise, jitter */
  const double size = MIN (height, width);
  double bg[3], skin[3], shift[3];
  const double face_r = size * (0.26 + 0.08 * u01 (vs, "face-r", 0));
  const double fx0 = width * (0.42 + 0.16 * u01 (vs, "face-x", 0));
  const double fy0 = height * (0.42 + 0.16 * u01 (vs, "face-y", 0));
  const double vx = (u01 (vs, "face-vx", 0) - 0.5) * 0.04 * size, vy = (u01 (vs, "face-vy", 0) - 0.5) * 0.04 * size;
  const double jx = (u01 (cs, "jitter", 0) - 0.5) * 0.06 * size, jy = (u01 (cs, "jitter", 1) - 0.5) * 0.06 * size;
  const double tex_f = 2.0 + 3.0 * u01 (vs, "tex-f", 0), tex_a = 4 + 8 * u01 (vs, "tex-a", 0);
  /* the pasted patch of a fake, relative to the face centre */
  const double pr = face_r * (0.45 + 0.2 * u01 (vs, "patch-r", 0));
  const double pa = 2 * G_PI * u01 (vs, "patch-a", 0), pd = (face_r - pr) * 0.6 * u01 (vs, "patch-d", 0);
  const double seam_sign = u01 (vs, "seam-sign", 0) < 0.5 ? -1.0 : 1.0;
  const double seam = seam_sign * 90.0 * strength;

  for (int c = 0; c < 3; c++) {
    bg[c] = 40 + 170 * u01 (vs, "bg", c);
    skin[c] = (c == 0 ? 150 : c == 1 ? 110 : 90) + 60 * (u01 (vs, "skin", c) - 0.5);
  }
  /* colour shift of the pasted face: mostly towards red, its size varies per video */
  shift[0] = (16 + 20 * u01 (vs, "shift", 0)) * strength;
  shift[1] = (u01 (vs, "shift", 1) - 0.5) * 10 * strength;
  shift[2] = -(12 + 18 * u01 (vs, "shift", 2)) * strength;

  for (guint t = 0; t < frames; t++) {
    const double fx = fx0 + vx * t + jx, fy = fy0 + vy * t + jy;
    const double px = fx + pd * cos (pa), py = fy + pd * sin (pa);
    for (guint y = 0; y < height; y++) {
      for (guint x = 0; x < width; x++) {
        guint8 *o = rgb + (((gsize) t * height + y) * width + x) * 3;
        const double dfx = (x - fx) / face_r, dfy = (y - fy) / (face_r * 1.2);
        const double dface = sqrt (dfx * dfx + dfy * dfy);
        const double inside = CLAMP ((1.0 - dface) * face_r / 1.5, 0.0, 1.0);   /* soft edge */
        const double tex = tex_a * sin (tex_f * 2 * G_PI * x / width + 0.7 * t) * cos (tex_f * G_PI * y / height);
        const double dp = sqrt ((x - px) * (x - px) + (y - py) * (y - py));
        const guint64 k = ((guint64) t * height + y) * width + x;
        for (int c = 0; c < 3; c++) {
          double shade = 1.0 - 0.25 * dface * dface;
          double v = (1 - inside) * (bg[c] + tex) + inside * skin[c] * shade;
          if (fake && inside > 0.5 && dp < pr + 1.0) {
            /* the pasted region: colour shift, flatter shading; a seam ring at its edge */
            double in = CLAMP (pr - dp + 0.5, 0.0, 1.0);
            v = (1 - in) * v + in * (skin[c] + shift[c]);
            if (fabs (dp - pr) < 1.6)
              v += seam * (1.0 - fabs (dp - pr) / 1.6);
          }
          v += 10.0 * (u01 (cs, "noise", k * 3 + c) - 0.5);
          o[c] = clamp_u8 (v);
        }
      }
    }
  }
}

char *
train_synth_video_path (guint i)
{
  return g_strdup_printf ("videos/%s_%03u.mp4", i % 2 ? "fake" : "real", i);
}

gboolean
train_synth_cache_write (const char *dir, const TrainSynthCache *spec, guint k, GError **error)
{
  FvcCacheConfig config = { 0 };
  g_autoptr (FvcCache) cache = NULL;
  g_autoptr (GString) manifest = g_string_new ("video_path,label,group,fold\n");
  g_autofree guint8 *rgb = g_malloc ((gsize) spec->frames * spec->size * spec->size * 3);
  g_autofree char *manifest_path = g_build_filename (dir, "folds.csv", NULL);
  gboolean ok = FALSE;

  config.num_frames = spec->frames;
  config.size = spec->size;
  config.sampler = g_strdup ("uniform");
  config.short_video = g_strdup ("pad");
  config.augmentations = spec->augmentations;
  config.augment = g_strdup ("synthetic");
  cache = fvc_cache_open (dir, &config, FVC_CACHE_OPEN_CREATE, error);
  if (cache == NULL)
    goto out;

  for (guint i = 0; i < spec->n_videos; i++) {
    g_autofree char *video = train_synth_video_path (i);
    gboolean fake = i % 2 == 1;

    g_string_append_printf (manifest, "%s,%d,src_%03u,%u\n", video, fake, i / 2, i % k);
    for (int a = -1; a < (int) spec->augmentations; a++) {
      g_autofree char *name = fvc_clip_file_name (video, a);
      g_autofree char *rel = g_build_filename (FVC_CACHE_CLIPS_DIR, name, NULL);
      g_autofree char *path = g_build_filename (dir, rel, NULL);
      FvcClipInfo info = { 0 };
      FvcCacheRow row = { 0 };

      train_synth_clip (rgb, spec->frames, spec->size, spec->size, fake, i, a, spec->strength, spec->seed);
      info.video_path = video;
      info.label = fake;
      info.augmentation_idx = a;
      info.seed = fvc_seed_from_path (video) + (a < 0 ? 0 : a);
      info.frame_indices = (char *) "0,1,2,3,4,5";
      info.pts_ns = (char *) "0,1,2,3,4,5";
      info.config = (char *) fvc_cache_get_fingerprint (cache);
      if (!fvc_clip_write (path, &info, spec->frames, spec->size, spec->size, rgb, error))
        goto out;
      row.clip_file = rel;
      row.label = fake;
      row.original_video = video;
      row.augmentation_idx = a;
      row.seed = info.seed;
      row.frame_indices = (char *) "0,1,2,3,4,5";
      if (!fvc_cache_append_row (dir, &row, error))
        goto out;
    }
  }
  ok = g_file_set_contents (manifest_path, manifest->str, -1, error);
out:
  fvc_cache_config_clear (&config);
  return ok;
}

void
train_rmtree (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK)) {
    GDir *d = g_dir_open (path, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name (d)) != NULL) {
      g_autofree char *child = g_build_filename (path, name, NULL);
      train_rmtree (child);
    }
    if (d)
      g_dir_close (d);
    g_rmdir (path);
  } else {
    g_unlink (path);
  }
}

/* ---- pipelines ---------------------------------------------------------------------------- */

gboolean
train_run_pipeline (const char *description, const char *probe_element, GstPadProbeCallback probe,
                    gpointer probe_data, GPtrArray *messages, guint timeout_s, char **error_text)
{
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (description, &error);
  GstBus *bus;
  gboolean eos = FALSE, done = FALSE;
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;

  if (pipeline == NULL || error != NULL) {
    if (error_text)
      *error_text = g_strdup_printf ("parse: %s", error ? error->message : "?");
    g_clear_error (&error);
    gst_clear_object (&pipeline);
    return FALSE;
  }
  if (probe_element != NULL) {
    GstElement *e = gst_bin_get_by_name (GST_BIN (pipeline), probe_element);
    GstPad *pad = e ? gst_element_get_static_pad (e, "sink") : NULL;
    g_assert (pad != NULL);
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, probe, probe_data, NULL);
    gst_object_unref (pad);
    gst_object_unref (e);
  }
  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  while (!done) {
    gint64 left = deadline - g_get_monotonic_time ();
    GstMessage *msg = left > 0 ? gst_bus_timed_pop_filtered (bus, left * GST_USECOND, GST_MESSAGE_EOS |
                                                             GST_MESSAGE_ERROR | GST_MESSAGE_ELEMENT) : NULL;
    if (msg == NULL) {
      if (error_text)
        *error_text = g_strdup ("timeout");
      break;
    }
    switch (GST_MESSAGE_TYPE (msg)) {
      case GST_MESSAGE_EOS:
        eos = done = TRUE;
        break;
      case GST_MESSAGE_ERROR:
        gst_message_parse_error (msg, &error, NULL);
        if (error_text)
          *error_text = g_strdup (error->message);
        g_clear_error (&error);
        done = TRUE;
        break;
      case GST_MESSAGE_ELEMENT:
        if (messages != NULL && gst_message_get_structure (msg) != NULL)
          g_ptr_array_add (messages, gst_structure_copy (gst_message_get_structure (msg)));
        break;
      default:
        break;
    }
    gst_message_unref (msg);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  return eos;
}

const GstStructure *
train_find_message (GPtrArray *messages, const char *name, guint nth)
{
  for (guint i = 0; i < messages->len; i++)
    if (gst_structure_has_name (messages->pdata[i], name) && nth-- == 0)
      return messages->pdata[i];
  return NULL;
}
