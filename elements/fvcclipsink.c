/* fvcclipsink.c — writes each application/x-fvc-clip buffer into the shared clip cache: the
 * clip file first (temporary name, fsync, rename: libfvc fvc-clip), then its metadata row (one
 * O_APPEND write: libfvc fvc-cache). A row never names a clip that is not complete. */

/**
 * SECTION:element-fvcclipsink
 * @title: fvcclipsink
 *
 * Writes clips to `location/clips/<stem>-<md5[:8]>_aug<a>.safetensors` and appends rows to
 * `location/augmented_metadata.csv`. The cache's `cache.ini` fingerprint is stored in every
 * clip's metadata. When the cache does not exist yet, it is created from what the stream says:
 * clip length and size from the caps, sampler from the "fvc/video" event, augmentation
 * settings from the "fvc/augment" event and the augmentations property. Clips whose length or
 * size disagree with an existing cache are refused. Posts an element message "fvc-clip-written"
 * (video-path, augmentation-idx, clip-path) per clip.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=video.mp4 ! parsebin ! fvcdecodegate ! avdec_h264 ! fvcsample label=1 ! fvcaugment ! fvcclip ! fvcclipsink location=/tmp/cache augmentations=0
 * ]|
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "fvcclipsink.h"

#include "fvc-cache.h"
#include "fvc-clip.h"
#include "fvc-clip-structure.h"
#include "fvc-error.h"
#include "fvc-provenance.h"

GST_DEBUG_CATEGORY_STATIC (fvc_clip_sink_debug);
#define GST_CAT_DEFAULT fvc_clip_sink_debug

#define DEFAULT_AUGMENTATIONS 1

enum {
  PROP_0,
  PROP_LOCATION,
  PROP_AUGMENTATIONS,
  PROP_CLIPS_WRITTEN,
};

struct _FvcClipSink {
  GstBaseSink parent;

  /* Settings, under GST_OBJECT_LOCK. */
  char *location;
  guint augmentations;

  /* Streaming state (streaming thread), reset in stop(). */
  FvcCacheConfig config;      /* of the cache, once known */
  char *fingerprint;
  gboolean have_cache;
  FvcVideoInfo video;
  FvcAugmentInfo augment;
  FvcClipShape shape;         /* of the caps */
  gint clips_written;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (FVC_CLIP_CAPS));

#define fvc_clip_sink_parent_class parent_class
G_DEFINE_TYPE (FvcClipSink, fvc_clip_sink, GST_TYPE_BASE_SINK);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (fvcclipsink, "fvcclipsink", GST_RANK_NONE, FVC_TYPE_CLIP_SINK,
    GST_DEBUG_CATEGORY_INIT (fvc_clip_sink_debug, "fvcclipsink", 0, "fvc clip cache writer"));

static char *
dup_location (FvcClipSink *self)
{
  char *loc;
  GST_OBJECT_LOCK (self);
  loc = g_strdup (self->location);
  GST_OBJECT_UNLOCK (self);
  return loc;
}

/* Keeps a copy of the cache's settings and fingerprint (the clips' "config" metadata). */
static void
adopt_cache (FvcClipSink *self, const FvcCache *cache)
{
  fvc_cache_config_clear (&self->config);
  g_clear_pointer (&self->fingerprint, g_free);
  self->config = *fvc_cache_get_config (cache);
  self->config.sampler = g_strdup (self->config.sampler);
  self->config.short_video = g_strdup (self->config.short_video);
  self->config.augment = g_strdup (self->config.augment);
  self->fingerprint = g_strdup (fvc_cache_get_fingerprint (cache));
  self->have_cache = TRUE;
}

static gboolean
fvc_clip_sink_start (GstBaseSink *sink)
{
  FvcClipSink *self = FVC_CLIP_SINK (sink);
  g_autofree char *location = dup_location (self);
  g_autofree char *ini = NULL;
  g_autoptr (GError) error = NULL;

  if (location == NULL || *location == '\0') {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("No cache directory: set the location property."), (NULL));
    return FALSE;
  }
  ini = g_build_filename (location, FVC_CACHE_INI_FILE, NULL);
  if (g_file_test (ini, G_FILE_TEST_EXISTS)) {
    g_autoptr (FvcCache) cache = fvc_cache_open (location, NULL, FVC_CACHE_OPEN_SETTINGS_ONLY, &error);
    if (cache == NULL) {
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ, ("%s", error->message), (NULL));
      return FALSE;
    }
    adopt_cache (self, cache);
  }
  return TRUE;
}

static gboolean
fvc_clip_sink_stop (GstBaseSink *sink)
{
  FvcClipSink *self = FVC_CLIP_SINK (sink);

  fvc_cache_config_clear (&self->config);
  g_clear_pointer (&self->fingerprint, g_free);
  fvc_video_info_clear (&self->video);
  fvc_augment_info_clear (&self->augment);
  self->have_cache = FALSE;
  return TRUE;
}

static gboolean
fvc_clip_sink_set_caps (GstBaseSink *sink, GstCaps *caps)
{
  FvcClipSink *self = FVC_CLIP_SINK (sink);
  g_autoptr (GError) error = NULL;

  if (!fvc_clip_caps_parse (caps, &self->shape, &error)) {
    GST_WARNING_OBJECT (self, "%s", error->message);
    return FALSE;
  }
  return TRUE;
}

static gboolean
fvc_clip_sink_event (GstBaseSink *sink, GstEvent *event)
{
  FvcClipSink *self = FVC_CLIP_SINK (sink);
  FvcVideoInfo v;
  FvcAugmentInfo a;

  if (fvc_video_event_parse (event, &v)) {
    fvc_video_info_clear (&self->video);
    self->video = v;
  } else if (fvc_augment_event_parse (event, &a)) {
    fvc_augment_info_clear (&self->augment);
    self->augment = a;
  }
  return GST_BASE_SINK_CLASS (parent_class)->event (sink, event);
}

/* Creates the cache from the stream's own description when it does not exist yet. */
static gboolean
ensure_cache (FvcClipSink *self, GError **error)
{
  g_autofree char *location = dup_location (self);
  FvcCacheConfig want = { 0 };
  g_autoptr (FvcCache) cache = NULL;

  if (self->have_cache)
    return TRUE;
  if (self->shape.width != self->shape.height) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_INVALID, "%s: clips are %ux%u; a cache holds square clips", location,
                 self->shape.width, self->shape.height);
    return FALSE;
  }
  want.num_frames = self->shape.frames;
  want.size = self->shape.width;
  want.sampler = self->video.sampler && *self->video.sampler ? self->video.sampler : (char *) "unknown";
  want.short_video = self->video.short_video && *self->video.short_video ? self->video.short_video : (char *) "pad";
  want.augment = self->augment.augment && *self->augment.augment ? self->augment.augment : (char *) "none";
  GST_OBJECT_LOCK (self);
  want.augmentations = self->augmentations;
  GST_OBJECT_UNLOCK (self);
  cache = fvc_cache_open (location, &want, FVC_CACHE_OPEN_CREATE | FVC_CACHE_OPEN_SETTINGS_ONLY, error);
  if (cache == NULL)
    return FALSE;
  adopt_cache (self, cache);
  return TRUE;
}

static GstFlowReturn
fvc_clip_sink_render (GstBaseSink *sink, GstBuffer *buf)
{
  FvcClipSink *self = FVC_CLIP_SINK (sink);
  FvcClipMeta *meta = fvc_buffer_get_clip_meta (buf);
  g_autofree char *location = dup_location (self);
  g_autoptr (GError) error = NULL;
  g_autofree char *name = NULL, *rel = NULL, *path = NULL;
  g_auto (FvcClipProvenance) prov = { { 0 } };
  FvcClipInfo info;
  FvcCacheRow row = { 0 };
  GstMapInfo map;
  gsize expected;
  gboolean ok;
  const char *video_path;

  if (meta == NULL || meta->info == NULL)
    goto no_meta;
  if (!fvc_clip_structure_parse (meta->info, FVC_CLIP_FIELDS_PROVENANCE, &prov, &error))
    goto bad_meta;
  video_path = prov.info.video_path;
  if (*video_path == '\0')
    goto no_video;
  if (prov.info.label != 0 && prov.info.label != 1)
    goto no_label;
  if (!ensure_cache (self, &error))
    goto cache_failed;
  if (self->shape.frames != self->config.num_frames || self->shape.width != self->config.size ||
      self->shape.height != self->config.size)
    goto wrong_shape;

  /* the file's metadata: the stream's provenance and this cache's fingerprint (borrowed) */
  info = prov.info;
  info.config = self->fingerprint;

  expected = fvc_clip_shape_bytes (&self->shape);
  if (gst_buffer_get_size (buf) != expected)
    goto wrong_size;
  name = fvc_clip_file_name (video_path, info.augmentation_idx);
  rel = g_build_filename (FVC_CACHE_CLIPS_DIR, name, NULL);
  path = g_build_filename (location, rel, NULL);
  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    goto map_failed;
  ok = fvc_clip_write (path, &info, self->shape.frames, self->shape.height, self->shape.width, map.data, &error);
  gst_buffer_unmap (buf, &map);
  if (!ok)
    goto write_failed;

  row.clip_file = rel;
  row.label = info.label;
  row.original_video = (char *) video_path;
  row.augmentation_idx = info.augmentation_idx;
  row.seed = info.seed;
  row.frame_indices = info.frame_indices;
  if (!fvc_cache_append_row (location, &row, &error))
    goto write_failed;

  g_atomic_int_inc (&self->clips_written);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), gst_structure_new ("fvc-clip-written",
          "video-path", G_TYPE_STRING, video_path,
          "augmentation-idx", G_TYPE_INT, info.augmentation_idx,
          "clip-path", G_TYPE_STRING, path, NULL)));
  return GST_FLOW_OK;

  /* ERRORS */
no_meta:
  GST_ELEMENT_ERROR (self, STREAM, FORMAT, ("A clip without provenance (FvcClipMeta): put fvcclip upstream."), (NULL));
  return GST_FLOW_ERROR;
bad_meta:
  GST_ELEMENT_ERROR (self, STREAM, FORMAT, ("A clip with unusable provenance: %s.", error->message), (NULL));
  return GST_FLOW_ERROR;
no_video:
  GST_ELEMENT_ERROR (self, STREAM, FORMAT, ("A clip without a video path: put fvcsample upstream."), (NULL));
  return GST_FLOW_ERROR;
no_label:
  GST_ELEMENT_ERROR (self, STREAM, FORMAT,
                     ("%s: label unknown; set fvcsample's label property to 0 (real) or 1 (fake).", video_path), (NULL));
  return GST_FLOW_ERROR;
cache_failed:
  GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE, ("%s", error->message), (NULL));
  return GST_FLOW_ERROR;
wrong_shape:
  GST_ELEMENT_ERROR (self, STREAM, FORMAT,
                     ("%s: clip is %u frames of %ux%u, the cache %s holds %u frames of %ux%u.", video_path,
                      self->shape.frames, self->shape.width, self->shape.height, location, self->config.num_frames,
                      self->config.size, self->config.size), (NULL));
  return GST_FLOW_ERROR;
wrong_size:
  GST_ELEMENT_ERROR (self, STREAM, FORMAT, ("%s: clip buffer of %zu bytes, expected %zu.", video_path,
                     gst_buffer_get_size (buf), expected), (NULL));
  return GST_FLOW_ERROR;
map_failed:
  GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Cannot map a clip buffer."), (NULL));
  return GST_FLOW_ERROR;
write_failed:
  GST_ELEMENT_ERROR (self, RESOURCE, WRITE, ("%s", error->message), (NULL));
  return GST_FLOW_ERROR;
}

static void
fvc_clip_sink_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  FvcClipSink *self = FVC_CLIP_SINK (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION: g_free (self->location); self->location = g_value_dup_string (value); break;
    case PROP_AUGMENTATIONS: self->augmentations = g_value_get_uint (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
fvc_clip_sink_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  FvcClipSink *self = FVC_CLIP_SINK (object);

  if (prop_id == PROP_CLIPS_WRITTEN) {
    g_value_set_uint (value, (guint) g_atomic_int_get (&self->clips_written));
    return;
  }
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION: g_value_set_string (value, self->location); break;
    case PROP_AUGMENTATIONS: g_value_set_uint (value, self->augmentations); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
fvc_clip_sink_finalize (GObject *object)
{
  FvcClipSink *self = FVC_CLIP_SINK (object);

  fvc_clip_sink_stop (GST_BASE_SINK (self));
  g_free (self->location);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
fvc_clip_sink_class_init (FvcClipSinkClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSinkClass *sink_class = GST_BASE_SINK_CLASS (klass);

  gobject_class->set_property = fvc_clip_sink_set_property;
  gobject_class->get_property = fvc_clip_sink_get_property;
  gobject_class->finalize = fvc_clip_sink_finalize;

  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Cache directory", "The clip cache to write into (created when absent)", NULL,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_AUGMENTATIONS,
      g_param_spec_uint ("augmentations", "Augmentations",
                         "Augmented clips per video, recorded in cache.ini when this sink creates the cache", 0, 1024,
                         DEFAULT_AUGMENTATIONS, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_CLIPS_WRITTEN,
      g_param_spec_uint ("clips-written", "Clips written", "Clips written so far", 0, G_MAXUINT, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class, "fvc clip cache writer", "Sink",
      "Writes clips into the shared clip cache (file, fsync, rename, then metadata row)", "fvc-stream maintainers");

  sink_class->start = GST_DEBUG_FUNCPTR (fvc_clip_sink_start);
  sink_class->stop = GST_DEBUG_FUNCPTR (fvc_clip_sink_stop);
  sink_class->set_caps = GST_DEBUG_FUNCPTR (fvc_clip_sink_set_caps);
  sink_class->event = GST_DEBUG_FUNCPTR (fvc_clip_sink_event);
  sink_class->render = GST_DEBUG_FUNCPTR (fvc_clip_sink_render);
}

static void
fvc_clip_sink_init (FvcClipSink *self)
{
  self->augmentations = DEFAULT_AUGMENTATIONS;
  gst_base_sink_set_sync (GST_BASE_SINK (self), FALSE);
}
