/* train-util.h — helpers for the training tests, element tests and benchmarks: synthetic fake/real
 * clips, and small clip caches written with the real cache code (fvc_clip_write +
 * fvc_cache_append_row). No Check here: the element tests link GStreamer's own copy of it. */
#pragma once

#include <glib.h>
#include <gst/gst.h>

#include "fvc-cache.h"

G_BEGIN_DECLS

/* Uniform doubles in [lo, hi) from a seeded stream (fvc_rng_range, name "test"). */
void train_fill_uniform (double *a, gsize n, guint32 seed, double lo, double hi);

/* ---- synthetic clips ---------------------------------------------------------------------- */

/* One clip (T, H, W, 3) of video @video_index. Real clips: a smooth textured background, a
 * moving face-like ellipse with soft edges and sensor noise. Fake clips: the same, with a patch
 * pasted inside the face: colour-shifted, with a hard seam (a bright/dark ring at its border) and
 * slightly blurred content, at a position and size that vary per video. @strength in [0, 1]
 * scales the artefacts; everything is a function of (video_index, frame, pixel) and @seed. */
void train_synth_clip (guint8 *rgb, guint frames, guint height, guint width, gboolean fake, guint video_index,
                       int augmentation_idx, double strength, guint32 seed);

typedef struct {
  guint n_videos;          /* half real, half fake (even indices real) */
  guint frames, size;
  guint augmentations;     /* augmented clips per video besides the base clip */
  double strength;         /* artefact strength of the fakes */
  guint32 seed;
} TrainSynthCache;

/* Writes a cache under @dir: cache.ini, clips, augmented_metadata.csv (rows in video order),
 * videos named "videos/real_NNN.mp4" / "videos/fake_NNN.mp4", and a fold manifest
 * @dir/folds.csv (video_path,label,group,fold) with video i in fold i % @k. */
gboolean train_synth_cache_write (const char *dir, const TrainSynthCache *spec, guint k, GError **error);
/* The video path of video @i as written in the manifest. (transfer full) */
char *train_synth_video_path (guint i);

/* Removes @path and, for a directory, everything below it (symlinks are not followed). */
void train_rmtree (const char *path);

/* ---- pipelines --------------------------------------------------------------------------- */

/* Runs gst_parse_launch (@description) to EOS or the first error (@timeout_s at most). When
 * @probe_element is set, @probe is attached to that element's sink pad for buffers and
 * downstream events. Element messages are appended to @messages (GstStructure copies) when not
 * NULL. Returns TRUE at EOS; otherwise *@error_text (when not NULL) gets the error message (or
 * "timeout", or the parse error). */
gboolean train_run_pipeline (const char *description, const char *probe_element, GstPadProbeCallback probe,
                             gpointer probe_data, GPtrArray *messages, guint timeout_s, char **error_text);
/* The first structure named @name in @messages, or NULL. */
const GstStructure *train_find_message (GPtrArray *messages, const char *name, guint nth);

G_END_DECLS
