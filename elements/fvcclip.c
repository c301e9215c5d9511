/* fvcclip.c — gathers the T RGB frames of a clip into one application/x-fvc-clip buffer
 * (T×H×W×3 uint8, rows packed) carrying an FvcClipMeta with the provenance collected from the
 * "fvc/video" and "fvc/augment" events and the frames' FvcFrameMeta. */

/**
 * SECTION:element-fvcclip
 * @title: fvcclip
 *
 * Frames with an FvcFrameMeta (from fvcsample) go to the clip position it names; frames
 * without one fill positions in arrival order, so plain streams become consecutive clips of
 * num-frames frames. The clip length is num-frames, or the number of targets fvcsample
 * announced when num-frames is 0. A clip still incomplete at EOS is an error.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=12 ! video/x-raw,width=64,height=64 ! videoconvert ! video/x-raw,format=RGB ! fvcclip num-frames=6 ! fakesink dump=false
 * ]|
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "fvcclip.h"

#include "fvc-clip-structure.h"
#include "fvc-provenance.h"
#include "fvc-sampler.h"

#include <gst/video/video.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (fvc_clip_debug);
#define GST_CAT_DEFAULT fvc_clip_debug

#define DEFAULT_NUM_FRAMES 0

enum {
  PROP_0,
  PROP_NUM_FRAMES,
  PROP_CLIPS_OUT,
};

struct _FvcClipElement {
  GstElement parent;
  GstPad *sinkpad;
  GstPad *srcpad;

  /* Settings, under GST_OBJECT_LOCK. */
  guint num_frames;

  /* Streaming state (streaming thread only), reset in PAUSED→READY and per video. */
  GstVideoInfo vinfo;
  gboolean have_vinfo;
  FvcVideoInfo video;
  gboolean have_video;
  FvcAugmentInfo augment;
  gboolean have_augment;
  guint frames;               /* T of the clip being built */
  GstBuffer *clip;            /* being filled */
  GstMapInfo clip_map;
  guint8 *filled;             /* T flags */
  guint64 *frame_index;       /* T */
  guint64 *pts;               /* T */
  guint n_filled;
  guint next_seq;             /* arrival position for frames without FvcFrameMeta */
  GstCaps *src_caps;
  GQueue held_events;         /* sticky events waiting for the clip caps (caps come first) */
  gint clips_out;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-raw, format=(string)RGB, width=(int)[1,MAX], height=(int)[1,MAX]"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (FVC_CLIP_CAPS));

#define fvc_clip_parent_class parent_class
G_DEFINE_TYPE (FvcClipElement, fvc_clip, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (fvcclip, "fvcclip", GST_RANK_NONE, FVC_TYPE_CLIP,
    GST_DEBUG_CATEGORY_INIT (fvc_clip_debug, "fvcclip", 0, "fvc clip gathering"));

static void
drop_clip (FvcClipElement *self)
{
  if (self->clip != NULL) {
    gst_buffer_unmap (self->clip, &self->clip_map);
    gst_buffer_unref (self->clip);
    self->clip = NULL;
  }
  g_clear_pointer (&self->filled, g_free);
  g_clear_pointer (&self->frame_index, g_free);
  g_clear_pointer (&self->pts, g_free);
  self->n_filled = 0;
  self->next_seq = 0;
}

static void
drop_held_events (FvcClipElement *self)
{
  GstEvent *ev;
  while ((ev = g_queue_pop_head (&self->held_events)) != NULL)
    gst_event_unref (ev);
}

static void
reset_state (FvcClipElement *self)
{
  drop_clip (self);
  drop_held_events (self);
  fvc_video_info_clear (&self->video);
  fvc_augment_info_clear (&self->augment);
  self->have_video = self->have_augment = self->have_vinfo = FALSE;
  self->frames = 0;
  gst_clear_caps (&self->src_caps);
}

static guint
clip_length (FvcClipElement *self)
{
  guint n;

  GST_OBJECT_LOCK (self);
  n = self->num_frames;
  GST_OBJECT_UNLOCK (self);
  if (n == 0 && self->have_video && self->video.frame_indices && *self->video.frame_indices) {
    g_autoptr (GArray) list = fvc_parse_index_list (self->video.frame_indices, NULL);
    n = list ? list->len : 0;
  }
  return n;
}

static gboolean
start_clip (FvcClipElement *self)
{
  gsize size = (gsize) self->frames * GST_VIDEO_INFO_WIDTH (&self->vinfo) * GST_VIDEO_INFO_HEIGHT (&self->vinfo) * 3;

  self->clip = gst_buffer_new_allocate (NULL, size, NULL);
  if (self->clip == NULL || !gst_buffer_map (self->clip, &self->clip_map, GST_MAP_WRITE)) {
    gst_clear_buffer (&self->clip);
    return FALSE;
  }
  self->filled = g_new0 (guint8, self->frames);
  self->frame_index = g_new0 (guint64, self->frames);
  self->pts = g_new0 (guint64, self->frames);
  self->n_filled = 0;
  return TRUE;
}

static GstFlowReturn
push_clip (FvcClipElement *self)
{
  g_autofree char *indices = fvc_format_index_list (self->frame_index, self->frames);
  g_autofree char *pts = fvc_format_index_list (self->pts, self->frames);
  FvcClipProvenance prov = { { 0 } };
  GstBuffer *out;
  GstEvent *ev;

  if (self->src_caps == NULL) {
    FvcClipShape shape = { self->frames, GST_VIDEO_INFO_HEIGHT (&self->vinfo), GST_VIDEO_INFO_WIDTH (&self->vinfo) };
    self->src_caps = fvc_clip_caps_new (&shape);
    if (!gst_pad_push_event (self->srcpad, gst_event_new_caps (self->src_caps)))
      return GST_FLOW_NOT_NEGOTIATED;
    /* The segment and the provenance events held back so that they follow the caps. */
    while ((ev = g_queue_pop_head (&self->held_events)) != NULL)
      gst_pad_push_event (self->srcpad, ev);
  }
  /* borrowed strings: the structure copies them */
  prov.info.video_path = self->have_video ? self->video.video_path : NULL;
  prov.info.label = self->have_video ? self->video.label : -1;
  prov.info.augmentation_idx = self->have_augment ? self->augment.augmentation_idx : -1;
  prov.info.seed = self->have_augment ? self->augment.seed : (self->have_video ? self->video.seed : 0);
  prov.info.frame_indices = indices;
  prov.info.pts_ns = pts;
  gst_buffer_unmap (self->clip, &self->clip_map);
  out = self->clip;
  self->clip = NULL;
  GST_BUFFER_PTS (out) = self->pts[0];
  fvc_buffer_add_clip_meta (out, fvc_clip_structure_new (&prov));
  drop_clip (self);
  g_atomic_int_inc (&self->clips_out);
  return gst_pad_push (self->srcpad, out);
}

static GstFlowReturn
fvc_clip_chain (GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  FvcClipElement *self = FVC_CLIP (parent);
  FvcFrameMeta *meta = fvc_buffer_get_frame_meta (buf);
  GstVideoFrame frame;
  guint pos, width, height;
  gsize row;
  GstFlowReturn ret = GST_FLOW_OK;

  if (!self->have_vinfo)
    goto not_negotiated;
  if (self->clip == NULL) {
    self->frames = clip_length (self);
    if (self->frames == 0)
      goto no_length;
    if (!start_clip (self))
      goto no_memory;
  }
  pos = meta ? meta->clip_position : self->next_seq++;
  if (pos >= self->frames)
    goto bad_position;
  if (self->filled[pos])
    goto duplicate_position;

  width = GST_VIDEO_INFO_WIDTH (&self->vinfo);
  height = GST_VIDEO_INFO_HEIGHT (&self->vinfo);
  row = (gsize) width * 3;
  if (!gst_video_frame_map (&frame, &self->vinfo, buf, GST_MAP_READ))
    goto map_failed;
  for (guint y = 0; y < height; y++)
    memcpy (self->clip_map.data + ((gsize) pos * height + y) * row,
            (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame, 0) + (gsize) y * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0),
            row);
  gst_video_frame_unmap (&frame);
  self->filled[pos] = 1;
  self->frame_index[pos] = meta ? meta->frame_index : pos;
  self->pts[pos] = meta ? meta->pts : GST_BUFFER_PTS (buf);
  self->n_filled++;
  gst_buffer_unref (buf);

  if (self->n_filled == self->frames)
    ret = push_clip (self);
  return ret;

  /* ERRORS */
not_negotiated:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("fvcclip got a frame before its caps."), (NULL));
  gst_buffer_unref (buf);
  return GST_FLOW_NOT_NEGOTIATED;
no_length:
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
                     ("Clip length unknown: set num-frames or put fvcsample upstream."), (NULL));
  gst_buffer_unref (buf);
  return GST_FLOW_ERROR;
no_memory:
  GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT, ("Cannot allocate a clip of %u frames.", self->frames), (NULL));
  gst_buffer_unref (buf);
  return GST_FLOW_ERROR;
bad_position:
  GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Frame for clip position %u of a %u-frame clip.", pos, self->frames), (NULL));
  gst_buffer_unref (buf);
  return GST_FLOW_ERROR;
duplicate_position:
  GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Two frames for clip position %u.", pos), (NULL));
  gst_buffer_unref (buf);
  return GST_FLOW_ERROR;
map_failed:
  GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Cannot map an input frame."), (NULL));
  gst_buffer_unref (buf);
  return GST_FLOW_ERROR;
}

static gboolean
fvc_clip_sink_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  FvcClipElement *self = FVC_CLIP (parent);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS: {
      GstCaps *caps;
      gst_event_parse_caps (event, &caps);
      if (!gst_video_info_from_caps (&self->vinfo, caps)) {
        GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("Unusable input caps."), ("%" GST_PTR_FORMAT, caps));
        gst_event_unref (event);
        return FALSE;
      }
      if (self->have_vinfo && self->clip != NULL) {
        GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("The frame size changed within a clip."), (NULL));
        gst_event_unref (event);
        return FALSE;
      }
      self->have_vinfo = TRUE;
      gst_clear_caps (&self->src_caps);
      gst_event_unref (event);
      return TRUE; /* the clip caps are sent with the first clip */
    }
    case GST_EVENT_CUSTOM_DOWNSTREAM_STICKY: {
      FvcVideoInfo v;
      FvcAugmentInfo a;
      if (fvc_video_event_parse (event, &v)) {
        if (self->clip != NULL) {
          GST_WARNING_OBJECT (self, "new video before the clip was complete: dropping %u frames", self->n_filled);
          drop_clip (self);
        }
        fvc_video_info_clear (&self->video);
        self->video = v;
        self->have_video = TRUE;
      } else if (fvc_augment_event_parse (event, &a)) {
        fvc_augment_info_clear (&self->augment);
        self->augment = a;
        self->have_augment = TRUE;
      }
      break;
    }
    case GST_EVENT_EOS:
      drop_held_events (self); /* no clip ever went out: nothing to describe */
      if (self->clip != NULL && self->n_filled > 0) {
        GST_ELEMENT_ERROR (self, STREAM, FAILED,
                           ("%s: the stream ended with an incomplete clip (%u of %u frames).",
                            self->have_video ? self->video.video_path : "video", self->n_filled, self->frames), (NULL));
        drop_clip (self);
        gst_event_unref (event);
        return FALSE;
      }
      break;
    case GST_EVENT_FLUSH_STOP:
      drop_clip (self);
      break;
    default:
      break;
  }
  if (self->src_caps == NULL && GST_EVENT_IS_STICKY (event) && GST_EVENT_TYPE (event) != GST_EVENT_STREAM_START &&
      GST_EVENT_TYPE (event) != GST_EVENT_EOS) {
    g_queue_push_tail (&self->held_events, event);
    return TRUE;
  }
  return gst_pad_event_default (pad, parent, event);
}

static gboolean
fvc_clip_sink_query (GstPad *pad, GstObject *parent, GstQuery *query)
{
  if (GST_QUERY_TYPE (query) == GST_QUERY_CAPS) {
    GstCaps *filter, *tmpl = gst_pad_get_pad_template_caps (pad);
    gst_query_parse_caps (query, &filter);
    if (filter) {
      GstCaps *res = gst_caps_intersect_full (filter, tmpl, GST_CAPS_INTERSECT_FIRST);
      gst_caps_unref (tmpl);
      tmpl = res;
    }
    gst_query_set_caps_result (query, tmpl);
    gst_caps_unref (tmpl);
    return TRUE;
  }
  if (GST_QUERY_TYPE (query) == GST_QUERY_ACCEPT_CAPS) {
    GstCaps *caps, *tmpl = gst_pad_get_pad_template_caps (pad);
    gst_query_parse_accept_caps (query, &caps);
    gst_query_set_accept_caps_result (query, gst_caps_can_intersect (caps, tmpl));
    gst_caps_unref (tmpl);
    return TRUE;
  }
  if (GST_QUERY_TYPE (query) == GST_QUERY_ALLOCATION)
    return FALSE; /* our input is copied, any allocator will do */
  return gst_pad_query_default (pad, parent, query);
}

static GstStateChangeReturn
fvc_clip_change_state (GstElement *element, GstStateChange transition)
{
  FvcClipElement *self = FVC_CLIP (element);
  GstStateChangeReturn ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    reset_state (self);
    g_atomic_int_set (&self->clips_out, 0);
  }
  return ret;
}

static void
fvc_clip_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  FvcClipElement *self = FVC_CLIP (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_NUM_FRAMES: self->num_frames = g_value_get_uint (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
fvc_clip_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  FvcClipElement *self = FVC_CLIP (object);

  switch (prop_id) {
    case PROP_NUM_FRAMES:
      GST_OBJECT_LOCK (self);
      g_value_set_uint (value, self->num_frames);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_CLIPS_OUT:
      g_value_set_uint (value, (guint) g_atomic_int_get (&self->clips_out));
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec); break;
  }
}

static void
fvc_clip_finalize (GObject *object)
{
  reset_state (FVC_CLIP (object));
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
fvc_clip_class_init (FvcClipElementClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->set_property = fvc_clip_set_property;
  gobject_class->get_property = fvc_clip_get_property;
  gobject_class->finalize = fvc_clip_finalize;
  element_class->change_state = fvc_clip_change_state;

  g_object_class_install_property (gobject_class, PROP_NUM_FRAMES,
      g_param_spec_uint ("num-frames", "Frames per clip",
                         "Frames per clip; 0 = the number of targets announced by fvcsample", 0, 4096,
                         DEFAULT_NUM_FRAMES, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_CLIPS_OUT,
      g_param_spec_uint ("clips-out", "Clips out", "Clips pushed downstream so far", 0, G_MAXUINT, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "fvc clip gatherer", "Filter/Video",
      "Gathers the frames of a clip into one T×H×W×3 RGB buffer with its provenance", "fvc-stream maintainers");
}

static void
fvc_clip_init (FvcClipElement *self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad, GST_DEBUG_FUNCPTR (fvc_clip_chain));
  gst_pad_set_event_function (self->sinkpad, GST_DEBUG_FUNCPTR (fvc_clip_sink_event));
  gst_pad_set_query_function (self->sinkpad, GST_DEBUG_FUNCPTR (fvc_clip_sink_query));
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_use_fixed_caps (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  self->num_frames = DEFAULT_NUM_FRAMES;
}
