/* fvcsample.c — passes exactly the sampled frames of a decoded video, identified through the
 * video's frame index (libfvc fvc-frame-index), tags them with FvcFrameMeta, announces the video
 * with the "fvc/video" sticky event, and ends the stream after the last target so nothing
 * upstream works on frames nobody needs. The decode plan itself is executed upstream by
 * fvcdecodegate, which asks this element for the targets. */

/**
 * SECTION:element-fvcsample
 * @title: fvcsample
 *
 * Selects the frames of a clip from a decoded video: uniform over the decodable frames by
 * default (`round(i*(total-1)/(n-1))`), or random segments, a stride, or explicit indices. Frame
 * k is the k-th frame the decoder outputs in presentation order; the frame count comes from a
 * demux-only pass over the file (the frame index), never from the container header. Each output
 * frame carries an FvcFrameMeta (frame index, source PTS, position in the clip). After the last
 * target the element sends EOS downstream and returns EOS upstream.
 *
 * The frame index is loaded from (or built and cached in) index-dir; an application that has
 * the index already (fvc-stream augment) hands it over in frame-index instead.
 *
 * Put fvcdecodegate between the parser and the decoder so that the decoder is fed only the
 * packets the targets need; without it, every frame up to the last target is decoded.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 filesrc location=video.mp4 ! parsebin ! fvcdecodegate ! avdec_h264 ! fvcsample num-frames=6 ! videoconvert ! pngenc ! multifilesink location=frame%02d.png
 * gst-launch-1.0 filesrc location=video.mp4 ! parsebin ! decodebin ! fvcsample frame-indices=0,10,20 ! fakesink
 * ]|
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "fvcsample.h"

#include "fvc-clip.h"
#include "fvc-error.h"
#include "fvc-frame-index.h"
#include "fvc-provenance.h"
#include "fvc-sampler.h"
#include "fvc-seed.h"

GST_DEBUG_CATEGORY_STATIC (fvc_sample_debug);
#define GST_CAT_DEFAULT fvc_sample_debug

#define FVC_TYPE_SAMPLE_STRATEGY (fvc_sample_strategy_get_type ())
#define FVC_TYPE_SHORT_VIDEO (fvc_short_video_get_type ())

#define DEFAULT_NUM_FRAMES 6
#define DEFAULT_STRATEGY FVC_SAMPLE_UNIFORM
#define DEFAULT_SEED -1
#define DEFAULT_STRIDE 1
#define DEFAULT_START 0
#define DEFAULT_SHORT_VIDEO FVC_SHORT_VIDEO_PAD
#define DEFAULT_LABEL -1
#define DEFAULT_TOTAL_FRAMES 0

enum {
  PROP_0,
  PROP_NUM_FRAMES,
  PROP_STRATEGY,
  PROP_SEED,
  PROP_STRIDE,
  PROP_START,
  PROP_FRAME_INDICES,
  PROP_SHORT_VIDEO,
  PROP_VIDEO_PATH,
  PROP_LABEL,
  PROP_INDEX_DIR,
  PROP_FRAME_INDEX,
  PROP_TOTAL_FRAMES,
  PROP_FRAMES_DECODED,
  PROP_FRAMES_PASSED,
  PROP_TARGETS,
  PROP_GATED,
};

struct _FvcSample {
  GstElement parent;
  GstPad *sinkpad;
  GstPad *srcpad;

  /* Settings, under GST_OBJECT_LOCK. */
  guint num_frames;
  FvcSampleStrategy strategy;
  gint64 seed;
  guint stride;
  guint start;
  char *frame_indices;
  FvcShortVideoPolicy short_video;
  char *video_path;
  gint label;
  char *index_dir;
  FvcFrameIndex *frame_index; /* handed over by the application: index-dir is not used */
  guint64 total_frames_hint;

  /* Streaming state, under state_lock: set up once per stream by prepare() (from the gate's
   * query or the first buffer, both in the streaming thread) and reset in PAUSED→READY. */
  GMutex state_lock;
  gboolean prepared;
  gboolean failed;
  gboolean skipping;          /* short video under short-video=skip: no clip */
  gboolean finished;          /* all targets out, EOS sent */
  gboolean announced;         /* "fvc/video" sent */
  gboolean gated;             /* fvcdecodegate executes our plan upstream */
  FvcFrameIndex *index;       /* NULL when there is no file upstream */
  guint64 total;
  guint64 *targets;
  guint n_targets;
  guint next_pos;
  FvcVideoInfo info;

  /* Counters, atomic: read by property getters from any thread. */
  gint frames_decoded;
  gint frames_passed;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-raw(ANY)"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-raw(ANY)"));

#define fvc_sample_parent_class parent_class
G_DEFINE_TYPE (FvcSample, fvc_sample, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (fvcsample, "fvcsample", GST_RANK_NONE, FVC_TYPE_SAMPLE,
    GST_DEBUG_CATEGORY_INIT (fvc_sample_debug, "fvcsample", 0, "fvc frame sampling"));

static GType
fvc_sample_strategy_get_type (void)
{
  static GType type;
  static const GEnumValue values[] = {
    { FVC_SAMPLE_UNIFORM, "round(i*(total-1)/(n-1)), i = 0..n-1", "uniform" },
    { FVC_SAMPLE_RANDOM_SEGMENT, "one seeded random frame in each of n equal segments", "random-segment" },
    { FVC_SAMPLE_STRIDE, "start, start+stride, ... (n frames)", "stride" },
    { FVC_SAMPLE_EXPLICIT, "the frames listed in frame-indices", "explicit" },
    { 0, NULL, NULL },
  };
  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("FvcSampleStrategy", values));
  return type;
}

static GType
fvc_short_video_get_type (void)
{
  static GType type;
  static const GEnumValue values[] = {
    { FVC_SHORT_VIDEO_PAD, "take every frame and repeat the last one", "pad" },
    { FVC_SHORT_VIDEO_SKIP, "produce no clip (posts an fvc-sample message with skipped=TRUE)", "skip" },
    { FVC_SHORT_VIDEO_ERROR, "post an error", "error" },
    { 0, NULL, NULL },
  };
  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("FvcShortVideoPolicy", values));
  return type;
}

/* ---- preparation: index, targets, announcement ----------------------------------------------- */

static char *
query_upstream_file (FvcSample *self)
{
  g_autoptr (GstQuery) q = gst_query_new_uri ();
  g_autofree char *uri = NULL;

  if (!gst_pad_peer_query (self->sinkpad, q))
    return NULL;
  gst_query_parse_uri (q, &uri);
  if (uri == NULL || !g_str_has_prefix (uri, "file:"))
    return NULL;
  return g_filename_from_uri (uri, NULL, NULL);
}

static void
reset_state (FvcSample *self)
{
  g_clear_pointer (&self->index, fvc_frame_index_unref);
  g_clear_pointer (&self->targets, g_free);
  fvc_video_info_clear (&self->info);
  self->prepared = self->failed = self->skipping = self->finished = FALSE;
  self->announced = self->gated = FALSE;
  self->n_targets = self->next_pos = 0;
  self->total = 0;
  g_atomic_int_set (&self->frames_decoded, 0);
  g_atomic_int_set (&self->frames_passed, 0);
}

static void
post_summary (FvcSample *self, gboolean skipped, const char *reason)
{
  g_autofree char *targets = self->targets ? fvc_format_index_list (self->targets, self->n_targets) : g_strdup ("");
  GstStructure *s = gst_structure_new ("fvc-sample",
      "video-path", G_TYPE_STRING, self->info.video_path ? self->info.video_path : "",
      "total-frames", G_TYPE_UINT64, self->total,
      "targets", G_TYPE_STRING, targets,
      "frames-decoded", G_TYPE_UINT64, (guint64) g_atomic_int_get (&self->frames_decoded),
      "frames-passed", G_TYPE_UINT64, (guint64) g_atomic_int_get (&self->frames_passed),
      "gated", G_TYPE_BOOLEAN, self->gated,
      "skipped", G_TYPE_BOOLEAN, skipped,
      "reason", G_TYPE_STRING, reason ? reason : "",
      NULL);
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), s));
}

/* Called with state_lock held, in the streaming thread. */
static gboolean
prepare (FvcSample *self)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *file = NULL;
  g_autofree char *video_path = NULL, *index_dir = NULL, *explicit_text = NULL;
  g_autofree guint *explicit_u = NULL;
  g_autoptr (FvcFrameIndex) given_index = NULL;
  FvcSampleSpec spec = { 0 };
  guint64 total_hint;
  gint64 seed;
  gint label;
  guint n;

  if (self->prepared)
    return !self->failed;
  self->prepared = TRUE;

  GST_OBJECT_LOCK (self);
  spec.strategy = self->strategy;
  spec.num_frames = self->num_frames;
  spec.stride = self->stride;
  spec.start = self->start;
  spec.short_video = self->short_video;
  seed = self->seed;
  label = self->label;
  video_path = g_strdup (self->video_path);
  index_dir = g_strdup (self->index_dir);
  given_index = self->frame_index ? fvc_frame_index_ref (self->frame_index) : NULL;
  explicit_text = g_strdup (self->frame_indices);
  total_hint = self->total_frames_hint;
  GST_OBJECT_UNLOCK (self);

  if (explicit_text != NULL && *explicit_text != '\0') {
    if (!fvc_sample_spec_set_explicit (&spec, explicit_text, &explicit_u, &error))
      goto bad_indices;
  } else if (spec.strategy == FVC_SAMPLE_EXPLICIT) {
    goto no_indices;
  }

  file = query_upstream_file (self);
  if (video_path == NULL || *video_path == '\0') {
    const char *given_path = given_index ? fvc_frame_index_get_path (given_index) : NULL;
    g_free (video_path);
    video_path = g_strdup (file ? file : given_path ? given_path : "");
  }
  spec.seed = seed >= 0 ? (guint32) seed : fvc_seed_from_path (video_path);

  if (given_index != NULL) {
    /* Handed over: no signature hash, no parse. A stat tells an index of another file. */
    if (file != NULL && !fvc_frame_index_check_file (given_index, file, &error))
      goto wrong_index;
    if (total_hint > 0 && total_hint != fvc_frame_index_get_n_frames (given_index))
      goto wrong_total;
    self->index = g_steal_pointer (&given_index);
    self->total = fvc_frame_index_get_n_frames (self->index);
  } else if (file != NULL) {
    g_autofree char *index_file = NULL;
    if (index_dir != NULL && *index_dir != '\0') {
      g_autofree char *name = fvc_video_file_name (video_path, ".fvcidx");
      index_file = g_build_filename (index_dir, name, NULL);
    }
    self->index = fvc_frame_index_get (file, index_file, NULL, &error);
    if (self->index == NULL)
      goto index_failed;
    self->total = fvc_frame_index_get_n_frames (self->index);
  } else if (total_hint > 0) {
    self->total = total_hint;
  } else {
    goto no_total;
  }

  n = fvc_sample_spec_count (&spec);
  self->targets = g_new0 (guint64, MAX (n, 1));
  self->info.video_path = g_strdup (video_path);
  self->info.label = label;
  self->info.seed = spec.seed;
  self->info.total_frames = self->total;
  self->info.sampler = fvc_sample_spec_describe (&spec, seed >= 0);
  self->info.short_video = g_strdup (fvc_short_video_policy_name (spec.short_video));
  if (!fvc_sample_frames (&spec, self->total, video_path, self->targets, &error)) {
    if (g_error_matches (error, FVC_ERROR, FVC_ERROR_TOO_SHORT) && spec.short_video == FVC_SHORT_VIDEO_SKIP) {
      GST_WARNING_OBJECT (self, "%s", error->message);
      self->skipping = TRUE;
      self->n_targets = 0;
      post_summary (self, TRUE, error->message);
      return TRUE;
    }
    goto sample_failed;
  }
  self->n_targets = n;
  self->info.frame_indices = fvc_format_index_list (self->targets, n);
  GST_INFO_OBJECT (self, "%s: %" G_GUINT64_FORMAT " frames, targets %s%s", video_path, self->total,
                   self->info.frame_indices,
                   self->index && !fvc_frame_index_is_timed (self->index) ? " (untimed: counting frames)" : "");
  return TRUE;

  /* ERRORS */
bad_indices:
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("Invalid frame-indices \"%s\".", explicit_text),
                     ("%s", error ? error->message : "empty list"));
  self->failed = TRUE;
  return FALSE;
no_indices:
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("strategy=explicit needs frame-indices."), (NULL));
  self->failed = TRUE;
  return FALSE;
index_failed:
  GST_ELEMENT_ERROR (self, STREAM, DEMUX, ("%s", error->message), ("building the frame index failed"));
  self->failed = TRUE;
  return FALSE;
wrong_index:
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", error->message),
                     ("frame-index does not describe the upstream file"));
  self->failed = TRUE;
  return FALSE;
wrong_total:
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
                     ("%s: frame-index holds %u frames but total-frames is %" G_GUINT64_FORMAT ".", video_path,
                      fvc_frame_index_get_n_frames (given_index), total_hint),
                     ("an index of another video?"));
  self->failed = TRUE;
  return FALSE;
no_total:
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
                     ("Cannot count the frames of the video: upstream has no local file; set total-frames."),
                     ("no file URI upstream"));
  self->failed = TRUE;
  return FALSE;
sample_failed:
  GST_ELEMENT_ERROR (self, STREAM, FAILED, ("%s", error->message), ("sampling %s", video_path));
  post_summary (self, FALSE, error->message);
  self->failed = TRUE;
  return FALSE;
}

/* ---- streaming --------------------------------------------------------------------------------- */

static GstFlowReturn
finish_stream (FvcSample *self)
{
  if (!self->finished) {
    self->finished = TRUE;
    post_summary (self, self->skipping, NULL);
    gst_pad_push_event (self->srcpad, gst_event_new_eos ());
  }
  return GST_FLOW_EOS;
}

static GstFlowReturn
push_target (FvcSample *self, GstBuffer *frame, guint64 frame_index, guint clip_position)
{
  GstBuffer *out = gst_buffer_copy (frame); /* shares the memory, own metas */
  FvcFrameMeta *old;

  while ((old = fvc_buffer_get_frame_meta (out)) != NULL)
    gst_buffer_remove_meta (out, (GstMeta *) old);
  fvc_buffer_add_frame_meta (out, frame_index, GST_BUFFER_PTS (frame), clip_position);
  if (!self->announced) {
    self->announced = TRUE;
    gst_pad_push_event (self->srcpad, fvc_video_event_new (&self->info));
  }
  g_atomic_int_inc (&self->frames_passed);
  return gst_pad_push (self->srcpad, out);
}

static GstFlowReturn
fvc_sample_chain (GstPad *pad, GstObject *parent, GstBuffer *buf)
{
  FvcSample *self = FVC_SAMPLE (parent);
  GstFlowReturn ret = GST_FLOW_OK;
  gint decoded;
  gint64 frame;

  g_mutex_lock (&self->state_lock);
  if (!prepare (self)) {
    ret = GST_FLOW_ERROR;
    goto out;
  }
  if (self->finished) {
    ret = GST_FLOW_EOS;
    goto out;
  }
  if (self->skipping) {
    ret = finish_stream (self);
    goto out;
  }

  decoded = g_atomic_int_add (&self->frames_decoded, 1) + 1;
  if (self->index != NULL && fvc_frame_index_is_timed (self->index)) {
    frame = GST_BUFFER_PTS_IS_VALID (buf) ? fvc_frame_index_frame_at_pts (self->index, GST_BUFFER_PTS (buf)) : -1;
    if (frame < 0) {
      GST_DEBUG_OBJECT (self, "dropping a frame with PTS %" GST_TIME_FORMAT " that the index does not know",
                        GST_TIME_ARGS (GST_BUFFER_PTS (buf)));
      goto out;
    }
  } else {
    /* No usable timestamps: the decoder's output order is the frame order. */
    frame = decoded - 1;
  }

  while (self->next_pos < self->n_targets && self->targets[self->next_pos] == (guint64) frame) {
    ret = push_target (self, buf, (guint64) frame, self->next_pos);
    self->next_pos++;
    if (ret != GST_FLOW_OK)
      goto out;
  }
  if (self->next_pos < self->n_targets && (guint64) frame > self->targets[self->next_pos])
    goto missed_target;
  if (self->next_pos == self->n_targets)
    ret = finish_stream (self);

out:
  g_mutex_unlock (&self->state_lock);
  gst_buffer_unref (buf);
  return ret;

  /* ERRORS */
missed_target:
  GST_ELEMENT_ERROR (self, STREAM, DECODE,
                     ("%s: frame %" G_GUINT64_FORMAT " was not decoded (the decoder went on with frame %" G_GINT64_FORMAT ")",
                      self->info.video_path, self->targets[self->next_pos], frame), (NULL));
  self->failed = TRUE;
  g_mutex_unlock (&self->state_lock);
  gst_buffer_unref (buf);
  return GST_FLOW_ERROR;
}

static gboolean
fvc_sample_sink_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  FvcSample *self = FVC_SAMPLE (parent);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_EOS: {
      gboolean forward = TRUE;
      g_mutex_lock (&self->state_lock);
      if (self->finished) {
        forward = FALSE; /* ours went first */
      } else if (self->prepared && !self->failed && !self->skipping && self->next_pos < self->n_targets) {
        GST_ELEMENT_ERROR (self, STREAM, DECODE,
                           ("%s: the stream ended before frame %" G_GUINT64_FORMAT " (%u of %u target frames found, "
                            "%" G_GINT64_FORMAT " frames decoded)", self->info.video_path,
                            self->targets[self->next_pos], self->next_pos, self->n_targets,
                            (gint64) g_atomic_int_get (&self->frames_decoded)), (NULL));
        self->failed = TRUE;
        forward = FALSE;
      } else if (!self->prepared) {
        /* Nothing ever came through (e.g. every packet failed to decode). */
        GST_ELEMENT_ERROR (self, STREAM, DECODE, ("No frame was decoded."), (NULL));
        forward = FALSE;
      } else {
        self->finished = TRUE;
        post_summary (self, self->skipping, NULL);
      }
      g_mutex_unlock (&self->state_lock);
      if (!forward) {
        gst_event_unref (event);
        return TRUE;
      }
      break;
    }
    case GST_EVENT_STREAM_START: {
      gboolean drain = FALSE;
      if (gst_structure_get_boolean (gst_event_get_structure (event), FVC_DRAIN_FIELD, &drain) && drain) {
        /* fvcdecodegate draining the decoder: the same stream goes on. */
        gst_event_unref (event);
        return TRUE;
      }
      g_mutex_lock (&self->state_lock);
      if (self->finished)
        reset_state (self); /* a new stream through the same element */
      g_mutex_unlock (&self->state_lock);
      break;
    }
    default:
      break;
  }
  return gst_pad_event_default (pad, parent, event);
}

static gboolean
fvc_sample_sink_query (GstPad *pad, GstObject *parent, GstQuery *query)
{
  FvcSample *self = FVC_SAMPLE (parent);
  GstStructure *s;
  gboolean ok;

  if (GST_QUERY_TYPE (query) != GST_QUERY_CUSTOM)
    return gst_pad_query_default (pad, parent, query);
  s = gst_query_writable_structure (query);
  if (!gst_structure_has_name (s, FVC_DECODE_PLAN_QUERY_NAME))
    return gst_pad_query_default (pad, parent, query);

  g_mutex_lock (&self->state_lock);
  ok = prepare (self) && self->index != NULL && fvc_frame_index_is_timed (self->index) && !self->skipping;
  if (ok) {
    g_autofree guint64 *unique = g_new (guint64, self->n_targets);
    g_autofree char *text = NULL;
    guint n = 0;
    for (guint i = 0; i < self->n_targets; i++)
      if (n == 0 || unique[n - 1] != self->targets[i])
        unique[n++] = self->targets[i];
    text = fvc_format_index_list (unique, n);
    gst_structure_set (s, "index", FVC_TYPE_FRAME_INDEX, self->index, "targets", G_TYPE_STRING, text, NULL);
    self->gated = TRUE;
  }
  g_mutex_unlock (&self->state_lock);
  return ok;
}

static GstStateChangeReturn
fvc_sample_change_state (GstElement *element, GstStateChange transition)
{
  FvcSample *self = FVC_SAMPLE (element);
  GstStateChangeReturn ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    g_mutex_lock (&self->state_lock);
    reset_state (self);
    g_mutex_unlock (&self->state_lock);
  }
  return ret;
}

/* ---- GObject ----------------------------------------------------------------------------------- */

static void
fvc_sample_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  FvcSample *self = FVC_SAMPLE (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_NUM_FRAMES: self->num_frames = g_value_get_uint (value); break;
    case PROP_STRATEGY: self->strategy = g_value_get_enum (value); break;
    case PROP_SEED: self->seed = g_value_get_int64 (value); break;
    case PROP_STRIDE: self->stride = g_value_get_uint (value); break;
    case PROP_START: self->start = g_value_get_uint (value); break;
    case PROP_FRAME_INDICES: g_free (self->frame_indices); self->frame_indices = g_value_dup_string (value); break;
    case PROP_SHORT_VIDEO: self->short_video = g_value_get_enum (value); break;
    case PROP_VIDEO_PATH: g_free (self->video_path); self->video_path = g_value_dup_string (value); break;
    case PROP_LABEL: self->label = g_value_get_int (value); break;
    case PROP_INDEX_DIR: g_free (self->index_dir); self->index_dir = g_value_dup_string (value); break;
    case PROP_FRAME_INDEX:
      g_clear_pointer (&self->frame_index, fvc_frame_index_unref);
      self->frame_index = g_value_dup_boxed (value);
      break;
    case PROP_TOTAL_FRAMES: self->total_frames_hint = g_value_get_uint64 (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
fvc_sample_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  FvcSample *self = FVC_SAMPLE (object);

  switch (prop_id) {
    case PROP_FRAMES_DECODED:
      g_value_set_uint64 (value, (guint64) g_atomic_int_get (&self->frames_decoded));
      return;
    case PROP_FRAMES_PASSED:
      g_value_set_uint64 (value, (guint64) g_atomic_int_get (&self->frames_passed));
      return;
    case PROP_TARGETS:
      g_mutex_lock (&self->state_lock);
      g_value_take_string (value, self->targets && self->n_targets ? fvc_format_index_list (self->targets, self->n_targets)
                                                                   : g_strdup (""));
      g_mutex_unlock (&self->state_lock);
      return;
    case PROP_GATED:
      g_mutex_lock (&self->state_lock);
      g_value_set_boolean (value, self->gated);
      g_mutex_unlock (&self->state_lock);
      return;
    default:
      break;
  }
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_NUM_FRAMES: g_value_set_uint (value, self->num_frames); break;
    case PROP_STRATEGY: g_value_set_enum (value, self->strategy); break;
    case PROP_SEED: g_value_set_int64 (value, self->seed); break;
    case PROP_STRIDE: g_value_set_uint (value, self->stride); break;
    case PROP_START: g_value_set_uint (value, self->start); break;
    case PROP_FRAME_INDICES: g_value_set_string (value, self->frame_indices); break;
    case PROP_SHORT_VIDEO: g_value_set_enum (value, self->short_video); break;
    case PROP_VIDEO_PATH: g_value_set_string (value, self->video_path); break;
    case PROP_LABEL: g_value_set_int (value, self->label); break;
    case PROP_INDEX_DIR: g_value_set_string (value, self->index_dir); break;
    case PROP_FRAME_INDEX: g_value_set_boxed (value, self->frame_index); break;
    case PROP_TOTAL_FRAMES: g_value_set_uint64 (value, self->total_frames_hint); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
fvc_sample_finalize (GObject *object)
{
  FvcSample *self = FVC_SAMPLE (object);

  reset_state (self);
  g_free (self->frame_indices);
  g_free (self->video_path);
  g_free (self->index_dir);
  g_clear_pointer (&self->frame_index, fvc_frame_index_unref);
  g_mutex_clear (&self->state_lock);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
fvc_sample_class_init (FvcSampleClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  gobject_class->set_property = fvc_sample_set_property;
  gobject_class->get_property = fvc_sample_get_property;
  gobject_class->finalize = fvc_sample_finalize;
  element_class->change_state = fvc_sample_change_state;

  /**
   * fvcsample:num-frames:
   * Frames per clip (n) for the uniform, random-segment and stride strategies.
   */
  g_object_class_install_property (gobject_class, PROP_NUM_FRAMES,
      g_param_spec_uint ("num-frames", "Frames per clip", "Frames per clip (n) for uniform, random-segment and stride",
                         1, 4096, DEFAULT_NUM_FRAMES, rw));
  /**
   * fvcsample:strategy:
   * How the frames are chosen; setting frame-indices implies explicit.
   */
  g_object_class_install_property (gobject_class, PROP_STRATEGY,
      g_param_spec_enum ("strategy", "Strategy", "How the frames are chosen (frame-indices implies explicit)",
                         FVC_TYPE_SAMPLE_STRATEGY, DEFAULT_STRATEGY, rw));
  /**
   * fvcsample:seed:
   * Seed of random-segment; -1 derives it from the video path (md5, DESIGN.md "Seeds").
   */
  g_object_class_install_property (gobject_class, PROP_SEED,
      g_param_spec_int64 ("seed", "Seed", "Seed for random-segment and the announced base seed; -1 = from the video path",
                          -1, G_MAXUINT32, DEFAULT_SEED, rw));
  g_object_class_install_property (gobject_class, PROP_STRIDE,
      g_param_spec_uint ("stride", "Stride", "Distance between frames for strategy=stride", 1, G_MAXINT,
                         DEFAULT_STRIDE, rw));
  g_object_class_install_property (gobject_class, PROP_START,
      g_param_spec_uint ("start", "Start", "First frame for strategy=stride", 0, G_MAXINT, DEFAULT_START, rw));
  g_object_class_install_property (gobject_class, PROP_FRAME_INDICES,
      g_param_spec_string ("frame-indices", "Frame indices",
                           "Explicit, strictly increasing frame numbers, e.g. \"0,60,120\" (overrides strategy)", NULL, rw));
  g_object_class_install_property (gobject_class, PROP_SHORT_VIDEO,
      g_param_spec_enum ("short-video", "Short video policy", "What to do when the video has too few frames",
                         FVC_TYPE_SHORT_VIDEO, DEFAULT_SHORT_VIDEO, rw));
  g_object_class_install_property (gobject_class, PROP_VIDEO_PATH,
      g_param_spec_string ("video-path", "Video path",
                           "The video's path as written in the index (seeds and names use it); default: the upstream file",
                           NULL, rw));
  g_object_class_install_property (gobject_class, PROP_LABEL,
      g_param_spec_int ("label", "Label", "0 real, 1 fake, -1 unknown; announced downstream", -1, 1, DEFAULT_LABEL, rw));
  g_object_class_install_property (gobject_class, PROP_INDEX_DIR,
      g_param_spec_string ("index-dir", "Index directory",
                           "Directory caching frame indices (<stem>-<md5[:8]>.fvcidx); NULL builds the index every time",
                           NULL, rw));
  /**
   * fvcsample:frame-index:
   * The frame index of the upstream file, already made by the application (fvc_frame_index_get());
   * used as it is, so index-dir is not read. Only a stat checks that it belongs to the upstream
   * file (size and mtime of its signature); without a file upstream it is trusted, and
   * total-frames, when set, must agree with it.
   */
  g_object_class_install_property (gobject_class, PROP_FRAME_INDEX,
      g_param_spec_boxed ("frame-index", "Frame index",
                          "FvcFrameIndex of the upstream file, made by the application, used instead of index-dir "
                          "(checked against the file's size and mtime); NULL (default): load or build it",
                          FVC_TYPE_FRAME_INDEX, rw));
  g_object_class_install_property (gobject_class, PROP_TOTAL_FRAMES,
      g_param_spec_uint64 ("total-frames", "Total frames",
                           "Frame count to assume when upstream is not a local file (0 = unknown)", 0, G_MAXUINT32,
                           DEFAULT_TOTAL_FRAMES, rw));
  g_object_class_install_property (gobject_class, PROP_FRAMES_DECODED,
      g_param_spec_uint64 ("frames-decoded", "Frames decoded", "Decoded frames received so far", 0, G_MAXUINT64, 0, ro));
  g_object_class_install_property (gobject_class, PROP_FRAMES_PASSED,
      g_param_spec_uint64 ("frames-passed", "Frames passed", "Frames passed downstream so far", 0, G_MAXUINT64, 0, ro));
  g_object_class_install_property (gobject_class, PROP_TARGETS,
      g_param_spec_string ("targets", "Targets", "The frame numbers chosen for the current video", NULL, ro));
  g_object_class_install_property (gobject_class, PROP_GATED,
      g_param_spec_boolean ("gated", "Gated", "TRUE when an upstream fvcdecodegate executes the decode plan", FALSE, ro));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "fvc frame sampler", "Filter/Video",
      "Passes the sampled frames of a decoded video, identified through its frame index",
      "fvc-stream maintainers");
  gst_type_mark_as_plugin_api (FVC_TYPE_SAMPLE_STRATEGY, 0);
  gst_type_mark_as_plugin_api (FVC_TYPE_SHORT_VIDEO, 0);
}

static void
fvc_sample_init (FvcSample *self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad, GST_DEBUG_FUNCPTR (fvc_sample_chain));
  gst_pad_set_event_function (self->sinkpad, GST_DEBUG_FUNCPTR (fvc_sample_sink_event));
  gst_pad_set_query_function (self->sinkpad, GST_DEBUG_FUNCPTR (fvc_sample_sink_query));
  GST_PAD_SET_PROXY_CAPS (self->sinkpad);
  GST_PAD_SET_PROXY_ALLOCATION (self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  GST_PAD_SET_PROXY_CAPS (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  self->num_frames = DEFAULT_NUM_FRAMES;
  self->strategy = DEFAULT_STRATEGY;
  self->seed = DEFAULT_SEED;
  self->stride = DEFAULT_STRIDE;
  self->start = DEFAULT_START;
  self->short_video = DEFAULT_SHORT_VIDEO;
  self->label = DEFAULT_LABEL;
  g_mutex_init (&self->state_lock);
}
