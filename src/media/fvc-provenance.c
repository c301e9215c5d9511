/* fvc-provenance.c — the "fvc/video" and "fvc/augment" sticky events and the FvcFrameMeta /
 * FvcClipMeta buffer metas (contracts in fvc-provenance.h). */
#include "fvc-provenance.h"

#include <string.h>

void
fvc_video_info_clear (FvcVideoInfo *info)
{
  g_clear_pointer (&info->video_path, g_free);
  g_clear_pointer (&info->frame_indices, g_free);
  g_clear_pointer (&info->sampler, g_free);
  g_clear_pointer (&info->short_video, g_free);
}

GstEvent *
fvc_video_event_new (const FvcVideoInfo *info)
{
  GstStructure *s = gst_structure_new (FVC_VIDEO_EVENT_NAME,
                                       "video-path", G_TYPE_STRING, info->video_path ? info->video_path : "",
                                       "label", G_TYPE_INT, info->label,
                                       "seed", G_TYPE_UINT, info->seed,
                                       "total-frames", G_TYPE_UINT64, info->total_frames,
                                       "frame-indices", G_TYPE_STRING, info->frame_indices ? info->frame_indices : "",
                                       "sampler", G_TYPE_STRING, info->sampler ? info->sampler : "",
                                       "short-video", G_TYPE_STRING, info->short_video ? info->short_video : "",
                                       NULL);
  return gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM_STICKY, s);
}

gboolean
fvc_video_event_parse (GstEvent *event, FvcVideoInfo *info)
{
  const GstStructure *s;

  memset (info, 0, sizeof *info);
  if (GST_EVENT_TYPE (event) != GST_EVENT_CUSTOM_DOWNSTREAM_STICKY)
    return FALSE;
  s = gst_event_get_structure (event);
  if (s == NULL || !gst_structure_has_name (s, FVC_VIDEO_EVENT_NAME))
    return FALSE;
  info->video_path = g_strdup (gst_structure_get_string (s, "video-path"));
  info->label = -1;
  gst_structure_get_int (s, "label", &info->label);
  info->has_seed = gst_structure_get_uint (s, "seed", &info->seed);
  gst_structure_get_uint64 (s, "total-frames", &info->total_frames);
  info->frame_indices = g_strdup (gst_structure_get_string (s, "frame-indices"));
  info->sampler = g_strdup (gst_structure_get_string (s, "sampler"));
  info->short_video = g_strdup (gst_structure_get_string (s, "short-video"));
  return TRUE;
}

void
fvc_augment_info_clear (FvcAugmentInfo *info)
{
  g_clear_pointer (&info->augment, g_free);
}

GstEvent *
fvc_augment_event_new (const FvcAugmentInfo *info)
{
  GstStructure *s = gst_structure_new (FVC_AUGMENT_EVENT_NAME,
                                       "augmentation-idx", G_TYPE_INT, info->augmentation_idx,
                                       "seed", G_TYPE_UINT, info->seed,
                                       "augment", G_TYPE_STRING, info->augment ? info->augment : "",
                                       NULL);
  return gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM_STICKY, s);
}

gboolean
fvc_augment_event_parse (GstEvent *event, FvcAugmentInfo *info)
{
  const GstStructure *s;

  memset (info, 0, sizeof *info);
  if (GST_EVENT_TYPE (event) != GST_EVENT_CUSTOM_DOWNSTREAM_STICKY)
    return FALSE;
  s = gst_event_get_structure (event);
  if (s == NULL || !gst_structure_has_name (s, FVC_AUGMENT_EVENT_NAME))
    return FALSE;
  gst_structure_get_int (s, "augmentation-idx", &info->augmentation_idx);
  gst_structure_get_uint (s, "seed", &info->seed);
  info->augment = g_strdup (gst_structure_get_string (s, "augment"));
  return TRUE;
}

/* ---- "fvc/epoch" -------------------------------------------------------------------------- */

GstEvent *
fvc_epoch_event_new (guint epoch, guint n_clips)
{
  GstStructure *s = gst_structure_new (FVC_EPOCH_EVENT_NAME, "epoch", G_TYPE_UINT, epoch, "clips", G_TYPE_UINT,
                                       n_clips, NULL);
  return gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM, s);
}

gboolean
fvc_epoch_event_parse (GstEvent *event, guint *epoch, guint *n_clips)
{
  const GstStructure *s;
  guint e = 0, n = 0;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CUSTOM_DOWNSTREAM)
    return FALSE;
  s = gst_event_get_structure (event);
  if (s == NULL || !gst_structure_has_name (s, FVC_EPOCH_EVENT_NAME))
    return FALSE;
  gst_structure_get_uint (s, "epoch", &e);
  gst_structure_get_uint (s, "clips", &n);
  if (epoch)
    *epoch = e;
  if (n_clips)
    *n_clips = n;
  return TRUE;
}

/* ---- FvcFrameMeta ------------------------------------------------------------------------- */

static GType
register_api_once (const char *api_name, const gchar **tags)
{
  static GMutex lock;
  GType type;

  g_mutex_lock (&lock);
  type = g_type_from_name (api_name);
  if (type == 0)
    type = gst_meta_api_type_register (api_name, tags);
  g_mutex_unlock (&lock);
  return type;
}

GType
fvc_frame_meta_api_get_type (void)
{
  static GType type;
  static const gchar *tags[] = { NULL };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, register_api_once ("FvcFrameMetaAPI", tags));
  return type;
}

static gboolean
frame_meta_init (GstMeta *meta, gpointer params, GstBuffer *buffer)
{
  FvcFrameMeta *m = (FvcFrameMeta *) meta;
  m->frame_index = 0;
  m->pts = GST_CLOCK_TIME_NONE;
  m->clip_position = 0;
  return TRUE;
}

static gboolean
frame_meta_transform (GstBuffer *dest, GstMeta *meta, GstBuffer *buffer, GQuark type, gpointer data)
{
  FvcFrameMeta *m = (FvcFrameMeta *) meta;
  /* Provenance survives copies and video transformations: it describes the frame, not pixels. */
  fvc_buffer_add_frame_meta (dest, m->frame_index, m->pts, m->clip_position);
  return TRUE;
}

static const GstMetaInfo *
register_meta_once (const char *impl_name, GType api, gsize size, GstMetaInitFunction init,
                    GstMetaFreeFunction free_func, GstMetaTransformFunction transform)
{
  static GMutex lock;
  const GstMetaInfo *info;

  g_mutex_lock (&lock);
  info = gst_meta_get_info (impl_name);
  if (info == NULL)
    info = gst_meta_register (api, impl_name, size, init, free_func, transform);
  g_mutex_unlock (&lock);
  return info;
}

const GstMetaInfo *
fvc_frame_meta_get_info (void)
{
  static const GstMetaInfo *info;

  if (g_once_init_enter ((GstMetaInfo **) &info)) {
    const GstMetaInfo *mi = register_meta_once ("FvcFrameMeta", FVC_FRAME_META_API_TYPE,
                                                sizeof (FvcFrameMeta), frame_meta_init, NULL,
                                                frame_meta_transform);
    g_once_init_leave ((GstMetaInfo **) &info, (GstMetaInfo *) mi);
  }
  return info;
}

FvcFrameMeta *
fvc_buffer_add_frame_meta (GstBuffer *buffer, guint64 frame_index, GstClockTime pts, guint clip_position)
{
  FvcFrameMeta *m;

  g_return_val_if_fail (gst_buffer_is_writable (buffer), NULL);
  m = (FvcFrameMeta *) gst_buffer_add_meta (buffer, fvc_frame_meta_get_info (), NULL);
  m->frame_index = frame_index;
  m->pts = pts;
  m->clip_position = clip_position;
  return m;
}

/* ---- FvcClipMeta -------------------------------------------------------------------------- */

GType
fvc_clip_meta_api_get_type (void)
{
  static GType type;
  static const gchar *tags[] = { NULL };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, register_api_once ("FvcClipMetaAPI", tags));
  return type;
}

static gboolean
clip_meta_init (GstMeta *meta, gpointer params, GstBuffer *buffer)
{
  ((FvcClipMeta *) meta)->info = NULL;
  return TRUE;
}

static void
clip_meta_free (GstMeta *meta, GstBuffer *buffer)
{
  FvcClipMeta *m = (FvcClipMeta *) meta;
  g_clear_pointer (&m->info, gst_structure_free);
}

static gboolean
clip_meta_transform (GstBuffer *dest, GstMeta *meta, GstBuffer *buffer, GQuark type, gpointer data)
{
  FvcClipMeta *m = (FvcClipMeta *) meta;
  if (m->info)
    fvc_buffer_add_clip_meta (dest, gst_structure_copy (m->info));
  return TRUE;
}

const GstMetaInfo *
fvc_clip_meta_get_info (void)
{
  static const GstMetaInfo *info;

  if (g_once_init_enter ((GstMetaInfo **) &info)) {
    const GstMetaInfo *mi = register_meta_once ("FvcClipMeta", FVC_CLIP_META_API_TYPE,
                                                sizeof (FvcClipMeta), clip_meta_init, clip_meta_free,
                                                clip_meta_transform);
    g_once_init_leave ((GstMetaInfo **) &info, (GstMetaInfo *) mi);
  }
  return info;
}

FvcClipMeta *
fvc_buffer_add_clip_meta (GstBuffer *buffer, GstStructure *info)
{
  FvcClipMeta *m;

  g_return_val_if_fail (gst_buffer_is_writable (buffer), NULL);
  m = (FvcClipMeta *) gst_buffer_add_meta (buffer, fvc_clip_meta_get_info (), NULL);
  m->info = info;
  return m;
}
