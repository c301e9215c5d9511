/* fvcaugment.c — the fvcaugment element: one GstVideoConverter pass (crop box -> size x size RGB,
 * colour conversion included) and then libfvc's seeded RGB ops (fvc_augment_apply_rgb). Parameter
 * draws, op semantics and the canonical settings string live in src/media/fvc-augment.c; this file
 * only negotiates caps, resolves the seed, keeps one parameter set per clip and reports errors. */

/**
 * SECTION:element-fvcaugment
 * @title: fvcaugment
 * @see_also: fvcsample, fvcclip, videoconvert
 *
 * Seeded, clip-consistent augmentation for video-classifier training. Every frame of a clip (one
 * video, one stream) gets the same parameters: crop box, flip, colour-jitter factors, blur sigma,
 * noise sigma, JPEG quality. The parameters are a pure function of the seed and the
 * parameter's name (Philox4x32-10, see fvc-seed.h): seed = base seed + augmentation-index, where
 * the base seed is the "seed" property or, when that is -1, the seed of the upstream "fvc/video"
 * event (sent by fvcsample; fvc_seed_from_path() of its video-path when it carries no seed).
 * augmentation-index -1 is the base clip: the centred square min(width, height), resized, and
 * nothing else.
 *
 * Operations, in this order: random resized crop (the box is resized to size x size with
 * GstVideoResampler lanczos, taps chosen by the resampler so that downscaling does not alias, in
 * one GstVideoConverter pass straight from the decoded frame); horizontal flip; brightness,
 * contrast, saturation (torchvision semantics); gaussian blur; gaussian noise (different on every
 * frame, from the frame's clip position); JPEG re-compression (libjpeg-turbo, JDCT_ISLOW). Ranges
 * and defaults are the properties'.
 *
 * Colour: Y'CbCr input is cropped and resized in Y'CbCr (AYUV at output size) and converted to
 * RGB with the exact formula of the input caps' matrix and range (fvc_yuv_matrix_init()), not
 * GStreamer's 8-bit matrix, which was up to 4 levels off. Caps without colorimetry get
 * GStreamer's default (BT.601 up to 576 lines, BT.709 above). Transfer function and primaries are
 * not converted. RGB input is only cropped and resized. Pixel aspect ratio is ignored: crops are
 * in stored pixels.
 *
 * Before the first frame of each clip the element sends a sticky "fvc/augment" event downstream
 * (augmentation-idx, the seed used, the canonical settings string; see fvc-provenance.h). The
 * FvcFrameMeta of each frame is kept; its clip position keys the per-frame noise.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=6 ! fvcaugment size=112 augmentation-index=0 seed=42 ! videoconvert ! pngenc ! multifilesink location=/tmp/aug%d.png
 * ]| Six augmented 112x112 frames of the test pattern, seed 42 (no fvcsample upstream, so the
 * seed property is needed).
 * |[
 * gst-launch-1.0 filesrc location=video.mp4 ! decodebin ! fvcsample num-frames=6 label=1 ! fvcaugment augmentation-index=-1 ! fvcclip ! fvcclipsink location=cache
 * ]| The base clip of a video into a clip cache; the seed comes from fvcsample's "fvc/video" event.
 * |[
 * gst-launch-1.0 filesrc location=video.mp4 ! decodebin ! fvcsample num-frames=6 ! tee name=t t. ! queue ! fvcaugment augmentation-index=-1 ! videoconvert ! pngenc ! multifilesink location=/tmp/base%d.png t. ! queue ! fvcaugment augmentation-index=0 ! videoconvert ! pngenc ! multifilesink location=/tmp/aug0_%d.png
 * ]| The six sampled frames of a video as base clip and as augmentation 0, side by side as PNGs.
 */

#include "config.h"
#include "fvcaugment.h"

#include <stddef.h>
#include <string.h>

#include <gst/video/video.h>

#include "fvc-augment.h"
#include "fvc-provenance.h"
#include "fvc-seed.h"

GST_DEBUG_CATEGORY_STATIC (fvc_augment_debug);
#define GST_CAT_DEFAULT fvc_augment_debug

#define DEFAULT_SIZE FVC_AUGMENT_DEFAULT_SIZE
#define DEFAULT_AUGMENTATION_INDEX (-1)
#define DEFAULT_SEED (-1)
#define MAX_AUGMENTATION_INDEX 1000000

struct _FvcAugment
{
  GstVideoFilter parent;

  /* Settings (properties): guarded by the object lock; copied once per clip. */
  FvcAugmentSettings settings;
  gint augmentation_index;
  gint64 seed;

  /* Streaming state: touched only by the streaming thread (events, set_info, transform) and by
   * start()/stop(), which never run concurrently with it. */
  gboolean need_clip;            /* draw the next clip's parameters before the next frame */
  gboolean video_has_seed;       /* the stream's "fvc/video" event carried a seed */
  guint32 video_seed;
  gchar *video_path;             /* that event's video-path, NULL when there was none */
  FvcAugmentParams params;       /* the current clip's */
  GstVideoConverter *convert;    /* crop box -> size x size (AYUV or RGB), for the current clip */
  FvcAugmentScratch *scratch;    /* sized for the output, from set_info() */
  /* Y'CbCr and grey input: the converter resizes into mid_buffer (AYUV, the input's colorimetry)
   * and fvc_yuv_matrix_ayuv_to_rgb() makes the RGB; RGB input goes straight to RGB. */
  gboolean via_ayuv;
  GstVideoInfo mid_info;
  GstBuffer *mid_buffer;
  FvcYuvMatrix matrix;
  guint frames_in_clip;          /* clip position for frames without an FvcFrameMeta */
};

enum
{
  PROP_0,
  PROP_SIZE,
  PROP_AUGMENTATION_INDEX,
  PROP_SEED,
  PROP_SETTINGS_STRING,
  PROP_FIRST_OP,                 /* the op settings follow, in op_props[] order */
};

/* The op settings: each property reads and writes one field of FvcAugmentSettings. Ranges and
 * defaults are fvc-augment.h's; the blurbs are what gst-inspect-1.0 shows. */
typedef struct
{
  const char *name;
  const char *blurb;
  GType type;                    /* G_TYPE_BOOLEAN (gboolean), G_TYPE_DOUBLE or G_TYPE_UINT */
  gsize offset;
  double min, max, def;
} FvcAugmentOpProp;

#define OP_BOOL(n, field, blurb) \
  { n, blurb, G_TYPE_BOOLEAN, offsetof (FvcAugmentSettings, field), 0, 1, TRUE }
#define OP_DOUBLE(n, field, lo, hi, def, blurb) \
  { n, blurb, G_TYPE_DOUBLE, offsetof (FvcAugmentSettings, field), lo, hi, def }
#define OP_UINT(n, field, lo, hi, def, blurb) \
  { n, blurb, G_TYPE_UINT, offsetof (FvcAugmentSettings, field), lo, hi, def }

static const FvcAugmentOpProp op_props[] = {
  OP_BOOL ("crop", crop,
      "Random resized crop (off: the centred square min(width, height), as for the base clip)"),
  OP_DOUBLE ("crop-scale-min", crop_scale_min, 0.01, 1.0, FVC_AUGMENT_DEFAULT_CROP_SCALE_MIN,
      "Smallest crop area, as a fraction of the largest centred square's area (drawn uniformly "
      "in [crop-scale-min, crop-scale-max])"),
  OP_DOUBLE ("crop-scale-max", crop_scale_max, 0.01, 1.0, FVC_AUGMENT_DEFAULT_CROP_SCALE_MAX,
      "Largest crop area, as a fraction of the largest centred square's area"),
  OP_DOUBLE ("crop-ratio-min", crop_ratio_min, 0.01, 100.0, FVC_AUGMENT_DEFAULT_CROP_RATIO_MIN,
      "Smallest crop aspect ratio width/height (drawn log-uniformly in [crop-ratio-min, "
      "crop-ratio-max]); the crop lies inside the centred square where it fits"),
  OP_DOUBLE ("crop-ratio-max", crop_ratio_max, 0.01, 100.0, FVC_AUGMENT_DEFAULT_CROP_RATIO_MAX,
      "Largest crop aspect ratio width/height"),
  OP_BOOL ("flip", flip, "Horizontal flip"),
  OP_DOUBLE ("flip-probability", flip_probability, 0.0, 1.0, FVC_AUGMENT_DEFAULT_FLIP_PROBABILITY,
      "Probability that a clip is flipped"),
  OP_BOOL ("jitter", jitter,
      "Colour jitter: brightness, contrast, saturation, in that order (torchvision semantics)"),
  OP_DOUBLE ("jitter-probability", jitter_probability, 0.0, 1.0,
      FVC_AUGMENT_DEFAULT_JITTER_PROBABILITY, "Probability that a clip is colour-jittered"),
  OP_DOUBLE ("brightness", brightness, 0.0, FVC_AUGMENT_MAX_JITTER, FVC_AUGMENT_DEFAULT_BRIGHTNESS,
      "Brightness factor drawn uniformly in [1 - brightness, 1 + brightness]"),
  OP_DOUBLE ("contrast", contrast, 0.0, FVC_AUGMENT_MAX_JITTER, FVC_AUGMENT_DEFAULT_CONTRAST,
      "Contrast factor drawn uniformly in [1 - contrast, 1 + contrast]"),
  OP_DOUBLE ("saturation", saturation, 0.0, FVC_AUGMENT_MAX_JITTER, FVC_AUGMENT_DEFAULT_SATURATION,
      "Saturation factor drawn uniformly in [1 - saturation, 1 + saturation]"),
  OP_BOOL ("blur", blur, "Gaussian blur (separable, radius ceil(3 sigma), mirrored borders)"),
  OP_DOUBLE ("blur-probability", blur_probability, 0.0, 1.0, FVC_AUGMENT_DEFAULT_BLUR_PROBABILITY,
      "Probability that a clip is blurred"),
  OP_DOUBLE ("blur-sigma-min", blur_sigma_min, 0.01, FVC_AUGMENT_MAX_BLUR_SIGMA,
      FVC_AUGMENT_DEFAULT_BLUR_SIGMA_MIN,
      "Smallest blur sigma in output pixels (drawn uniformly in [blur-sigma-min, blur-sigma-max])"),
  OP_DOUBLE ("blur-sigma-max", blur_sigma_max, 0.01, FVC_AUGMENT_MAX_BLUR_SIGMA,
      FVC_AUGMENT_DEFAULT_BLUR_SIGMA_MAX, "Largest blur sigma in output pixels"),
  OP_BOOL ("noise", noise,
      "Gaussian noise, independent per pixel, channel and frame, seeded by the clip position"),
  OP_DOUBLE ("noise-probability", noise_probability, 0.0, 1.0,
      FVC_AUGMENT_DEFAULT_NOISE_PROBABILITY, "Probability that a clip gets noise"),
  OP_DOUBLE ("noise-sigma-min", noise_sigma_min, 0.0, FVC_AUGMENT_MAX_NOISE_SIGMA,
      FVC_AUGMENT_DEFAULT_NOISE_SIGMA_MIN,
      "Smallest noise standard deviation in 0..255 units (drawn uniformly in [noise-sigma-min, "
      "noise-sigma-max])"),
  OP_DOUBLE ("noise-sigma-max", noise_sigma_max, 0.0, FVC_AUGMENT_MAX_NOISE_SIGMA,
      FVC_AUGMENT_DEFAULT_NOISE_SIGMA_MAX, "Largest noise standard deviation in 0..255 units"),
  OP_BOOL ("jpeg", jpeg, "JPEG re-compression (libjpeg-turbo, 4:2:0, JDCT_ISLOW: bit-exact on any CPU)"),
  OP_DOUBLE ("jpeg-probability", jpeg_probability, 0.0, 1.0, FVC_AUGMENT_DEFAULT_JPEG_PROBABILITY,
      "Probability that a clip is JPEG re-compressed"),
  OP_UINT ("jpeg-quality-min", jpeg_quality_min, 1, 100, FVC_AUGMENT_DEFAULT_JPEG_QUALITY_MIN,
      "Lowest JPEG quality (drawn uniformly among the integers jpeg-quality-min..jpeg-quality-max)"),
  OP_UINT ("jpeg-quality-max", jpeg_quality_max, 1, 100, FVC_AUGMENT_DEFAULT_JPEG_QUALITY_MAX,
      "Highest JPEG quality"),
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (GST_VIDEO_FORMATS_ALL)));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-raw, format = (string) RGB, "
        "width = (int) [ " G_STRINGIFY (FVC_AUGMENT_MIN_SIZE) ", " G_STRINGIFY (FVC_AUGMENT_MAX_SIZE) " ], "
        "height = (int) [ " G_STRINGIFY (FVC_AUGMENT_MIN_SIZE) ", " G_STRINGIFY (FVC_AUGMENT_MAX_SIZE) " ], "
        "pixel-aspect-ratio = (fraction) 1/1, framerate = (fraction) [ 0/1, MAX ]"));

#define fvc_augment_parent_class parent_class
G_DEFINE_TYPE (FvcAugment, fvc_augment, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (fvcaugment, "fvcaugment", GST_RANK_NONE, FVC_TYPE_AUGMENT);

static void fvc_augment_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec);
static void fvc_augment_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec);
static void fvc_augment_finalize (GObject *object);
static gboolean fvc_augment_start (GstBaseTransform *trans);
static gboolean fvc_augment_stop (GstBaseTransform *trans);
static GstCaps *fvc_augment_transform_caps (GstBaseTransform *trans, GstPadDirection direction,
                                            GstCaps *caps, GstCaps *filter);
static gboolean fvc_augment_sink_event (GstBaseTransform *trans, GstEvent *event);
static gboolean fvc_augment_transform_meta (GstBaseTransform *trans, GstBuffer *outbuf, GstMeta *meta,
                                            GstBuffer *inbuf);
static gboolean fvc_augment_set_info (GstVideoFilter *filter, GstCaps *incaps, GstVideoInfo *in_info,
                                      GstCaps *outcaps, GstVideoInfo *out_info);
static GstFlowReturn fvc_augment_transform_frame (GstVideoFilter *filter, GstVideoFrame *in_frame,
                                                  GstVideoFrame *out_frame);

static GParamSpec *
op_prop_spec (const FvcAugmentOpProp *p)
{
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING;

  if (p->type == G_TYPE_BOOLEAN)
    return g_param_spec_boolean (p->name, p->name, p->blurb, (gboolean) p->def, flags);
  if (p->type == G_TYPE_UINT)
    return g_param_spec_uint (p->name, p->name, p->blurb, (guint) p->min, (guint) p->max, (guint) p->def, flags);
  return g_param_spec_double (p->name, p->name, p->blurb, p->min, p->max, p->def, flags);
}

static void
fvc_augment_class_init (FvcAugmentClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (fvc_augment_debug, "fvcaugment", 0, "fvc seeded clip augmentation");

  gobject_class->set_property = fvc_augment_set_property;
  gobject_class->get_property = fvc_augment_get_property;
  gobject_class->finalize = fvc_augment_finalize;

  /**
   * FvcAugment:size:
   *
   * Width and height of the square RGB output. Changing it needs a renegotiation, so it can only
   * be set up to the READY state.
   */
  g_object_class_install_property (gobject_class, PROP_SIZE,
      g_param_spec_uint ("size", "Size", "Width and height of the square RGB output, in pixels",
          FVC_AUGMENT_MIN_SIZE, FVC_AUGMENT_MAX_SIZE, DEFAULT_SIZE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));

  /**
   * FvcAugment:augmentation-index:
   *
   * Which augmentation of the video this is: the clip seed is base seed + index. -1 is the base
   * clip (centred square, resized, nothing random).
   */
  g_object_class_install_property (gobject_class, PROP_AUGMENTATION_INDEX,
      g_param_spec_int ("augmentation-index", "Augmentation index",
          "Augmentation number a (clip seed = base seed + a); -1 = the base clip: centred square "
          "crop and resize only, nothing random",
          -1, MAX_AUGMENTATION_INDEX, DEFAULT_AUGMENTATION_INDEX,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));

  /**
   * FvcAugment:seed:
   *
   * The base seed. -1 takes it from the upstream "fvc/video" event (its seed, else
   * fvc_seed_from_path() of its video-path); without such an event the element fails with an
   * error rather than invent one.
   */
  g_object_class_install_property (gobject_class, PROP_SEED,
      g_param_spec_int64 ("seed", "Base seed",
          "Base seed of the video (-1 = from the upstream \"fvc/video\" event: its seed, else the "
          "md5 seed of its video-path; an error when there is no such event)",
          -1, G_MAXUINT32, DEFAULT_SEED,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));

  /**
   * FvcAugment:settings-string:
   *
   * The canonical settings text of the current properties, as sent in the "fvc/augment" event
   * and used in the cache fingerprint.
   */
  g_object_class_install_property (gobject_class, PROP_SETTINGS_STRING,
      g_param_spec_string ("settings-string", "Settings string",
          "Canonical text of the augmentation settings (cache fingerprint, \"fvc/augment\" event)",
          NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /* The op settings (one FvcAugmentSettings field each): every op has an on/off switch, a
   * probability per clip and its ranges. Changes while playing apply from the next clip. */
  for (guint i = 0; i < G_N_ELEMENTS (op_props); i++)
    g_object_class_install_property (gobject_class, PROP_FIRST_OP + i, op_prop_spec (&op_props[i]));

  gst_element_class_set_static_metadata (element_class, "fvc augmentation", "Filter/Effect/Video",
      "Seeded, clip-consistent crop + resize to a square RGB frame, flip, colour jitter, blur, "
      "noise and JPEG re-compression for video-classifier training",
      "fvc-stream");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  trans_class->start = GST_DEBUG_FUNCPTR (fvc_augment_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (fvc_augment_stop);
  trans_class->transform_caps = GST_DEBUG_FUNCPTR (fvc_augment_transform_caps);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (fvc_augment_sink_event);
  trans_class->transform_meta = GST_DEBUG_FUNCPTR (fvc_augment_transform_meta);
  trans_class->passthrough_on_same_caps = FALSE;

  filter_class->set_info = GST_DEBUG_FUNCPTR (fvc_augment_set_info);
  filter_class->transform_frame = GST_DEBUG_FUNCPTR (fvc_augment_transform_frame);
}

static void
fvc_augment_init (FvcAugment *self)
{
  fvc_augment_settings_init (&self->settings);
  self->augmentation_index = DEFAULT_AUGMENTATION_INDEX;
  self->seed = DEFAULT_SEED;
  self->need_clip = TRUE;
  /* Every selected frame belongs to a clip: never drop one because a sink reports lateness. */
  gst_base_transform_set_qos_enabled (GST_BASE_TRANSFORM (self), FALSE);
}

static void
fvc_augment_finalize (GObject *object)
{
  FvcAugment *self = FVC_AUGMENT (object);

  g_clear_pointer (&self->convert, gst_video_converter_free);
  g_clear_pointer (&self->scratch, fvc_augment_scratch_free);
  gst_clear_buffer (&self->mid_buffer);
  g_clear_pointer (&self->video_path, g_free);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
fvc_augment_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  FvcAugment *self = FVC_AUGMENT (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_SIZE:
      self->settings.size = g_value_get_uint (value);
      break;
    case PROP_AUGMENTATION_INDEX:
      self->augmentation_index = g_value_get_int (value);
      break;
    case PROP_SEED:
      self->seed = g_value_get_int64 (value);
      break;
    default:
      if (prop_id >= PROP_FIRST_OP && prop_id < PROP_FIRST_OP + G_N_ELEMENTS (op_props)) {
        const FvcAugmentOpProp *p = &op_props[prop_id - PROP_FIRST_OP];
        gpointer field = G_STRUCT_MEMBER_P (&self->settings, p->offset);
        if (p->type == G_TYPE_BOOLEAN)
          *(gboolean *) field = g_value_get_boolean (value);
        else if (p->type == G_TYPE_UINT)
          *(guint *) field = g_value_get_uint (value);
        else
          *(double *) field = g_value_get_double (value);
      } else {
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      }
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
fvc_augment_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  FvcAugment *self = FVC_AUGMENT (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_SIZE:
      g_value_set_uint (value, self->settings.size);
      break;
    case PROP_AUGMENTATION_INDEX:
      g_value_set_int (value, self->augmentation_index);
      break;
    case PROP_SEED:
      g_value_set_int64 (value, self->seed);
      break;
    case PROP_SETTINGS_STRING:
      g_value_take_string (value, fvc_augment_settings_to_string (&self->settings));
      break;
    default:
      if (prop_id >= PROP_FIRST_OP && prop_id < PROP_FIRST_OP + G_N_ELEMENTS (op_props)) {
        const FvcAugmentOpProp *p = &op_props[prop_id - PROP_FIRST_OP];
        gconstpointer field = G_STRUCT_MEMBER_P (&self->settings, p->offset);
        if (p->type == G_TYPE_BOOLEAN)
          g_value_set_boolean (value, *(const gboolean *) field);
        else if (p->type == G_TYPE_UINT)
          g_value_set_uint (value, *(const guint *) field);
        else
          g_value_set_double (value, *(const double *) field);
      } else {
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      }
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* Forget the stream's provenance and parameters (start, stop, a new stream). */
static void
fvc_augment_reset_stream (FvcAugment *self)
{
  self->need_clip = TRUE;
  self->video_has_seed = FALSE;
  self->video_seed = 0;
  g_clear_pointer (&self->video_path, g_free);
  g_clear_pointer (&self->convert, gst_video_converter_free);
  self->frames_in_clip = 0;
}

static gboolean
fvc_augment_start (GstBaseTransform *trans)
{
  fvc_augment_reset_stream (FVC_AUGMENT (trans));
  return TRUE;
}

static gboolean
fvc_augment_stop (GstBaseTransform *trans)
{
  FvcAugment *self = FVC_AUGMENT (trans);

  fvc_augment_reset_stream (self);
  g_clear_pointer (&self->scratch, fvc_augment_scratch_free);
  gst_clear_buffer (&self->mid_buffer);
  return TRUE;
}

/* sink -> src: size x size RGB, square pixels, the same framerate; src -> sink: any raw video at
 * that framerate (the sink template). */
static GstCaps *
fvc_augment_transform_caps (GstBaseTransform *trans, GstPadDirection direction, GstCaps *caps,
                            GstCaps *filter)
{
  FvcAugment *self = FVC_AUGMENT (trans);
  GstCaps *ret = gst_caps_new_empty ();
  GstCaps *templ;
  guint size;

  GST_OBJECT_LOCK (self);
  size = self->settings.size;
  GST_OBJECT_UNLOCK (self);

  for (guint i = 0; i < gst_caps_get_size (caps); i++) {
    const GstStructure *in = gst_caps_get_structure (caps, i);
    const GValue *framerate = gst_structure_get_value (in, "framerate");
    GstStructure *out;

    if (direction == GST_PAD_SINK)
      out = gst_structure_new ("video/x-raw", "format", G_TYPE_STRING, "RGB",
                               "width", G_TYPE_INT, (gint) size, "height", G_TYPE_INT, (gint) size,
                               "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, NULL);
    else
      out = gst_structure_new_empty ("video/x-raw");
    if (framerate != NULL)
      gst_structure_set_value (out, "framerate", framerate);
    ret = gst_caps_merge_structure (ret, out);
  }

  templ = gst_pad_get_pad_template_caps (direction == GST_PAD_SINK ? GST_BASE_TRANSFORM_SRC_PAD (trans)
                                                                   : GST_BASE_TRANSFORM_SINK_PAD (trans));
  {
    GstCaps *tmp = gst_caps_intersect (ret, templ);
    gst_caps_unref (ret);
    ret = tmp;
  }
  gst_caps_unref (templ);

  if (filter != NULL) {
    GstCaps *tmp = gst_caps_intersect_full (filter, ret, GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref (ret);
    ret = tmp;
  }
  GST_DEBUG_OBJECT (self, "%s caps %" GST_PTR_FORMAT " -> %" GST_PTR_FORMAT,
                    direction == GST_PAD_SINK ? "sink" : "src", caps, ret);
  return ret;
}

static gboolean
fvc_augment_sink_event (GstBaseTransform *trans, GstEvent *event)
{
  FvcAugment *self = FVC_AUGMENT (trans);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_STREAM_START:
      /* A new stream is a new clip; it announces its own video (or has none). */
      fvc_augment_reset_stream (self);
      break;
    case GST_EVENT_FLUSH_STOP:
      /* Same video, same seed: the redraw gives the same parameters; restart the clip. */
      self->need_clip = TRUE;
      self->frames_in_clip = 0;
      break;
    case GST_EVENT_CUSTOM_DOWNSTREAM_STICKY: {
      FvcVideoInfo video;
      if (fvc_video_event_parse (event, &video)) {
        self->video_has_seed = video.has_seed;
        self->video_seed = video.seed;
        g_free (self->video_path);
        self->video_path = (video.video_path != NULL && *video.video_path != '\0') ? g_strdup (video.video_path) : NULL;
        self->need_clip = TRUE;
        self->frames_in_clip = 0;
        GST_DEBUG_OBJECT (self, "video %s, seed %s%u", GST_STR_NULL (self->video_path),
                          self->video_has_seed ? "" : "(none) ", self->video_seed);
        fvc_video_info_clear (&video);
      }
      break;
    }
    default:
      break;
  }
  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

static gboolean
fvc_augment_transform_meta (GstBaseTransform *trans, GstBuffer *outbuf, GstMeta *meta,
                            GstBuffer *inbuf)
{
  /* Provenance describes the frame, not its pixels: always keep it. */
  if (meta->info->api == FVC_FRAME_META_API_TYPE)
    return TRUE;
  return GST_BASE_TRANSFORM_CLASS (parent_class)->transform_meta (trans, outbuf, meta, inbuf);
}

static gboolean
fvc_augment_set_info (GstVideoFilter *filter, GstCaps *incaps, GstVideoInfo *in_info,
                      GstCaps *outcaps, GstVideoInfo *out_info)
{
  FvcAugment *self = FVC_AUGMENT (filter);
  gint size = GST_VIDEO_INFO_WIDTH (out_info);

  if (GST_VIDEO_INFO_FORMAT (out_info) != GST_VIDEO_FORMAT_RGB || GST_VIDEO_INFO_HEIGHT (out_info) != size)
    goto bad_output;

  /* The crop box depends on the input size: draw again before the next frame. */
  self->need_clip = TRUE;
  g_clear_pointer (&self->convert, gst_video_converter_free);
  g_clear_pointer (&self->scratch, fvc_augment_scratch_free);
  self->scratch = fvc_augment_scratch_new (size, size);

  gst_clear_buffer (&self->mid_buffer);
  self->via_ayuv = !GST_VIDEO_INFO_IS_RGB (in_info);
  if (self->via_ayuv) {
    const GstVideoColorimetry *c = &in_info->colorimetry;
    gdouble kr, kb;

    /* Same colorimetry and chroma siting as the input: the converter only crops, upsamples the
     * chroma and resizes; no matrix. Grey input has no matrix: its Cb = Cr = 128 make Kr, Kb moot. */
    gst_video_info_set_format (&self->mid_info, GST_VIDEO_FORMAT_AYUV, size, size);
    self->mid_info.colorimetry = *c;
    self->mid_info.chroma_site = in_info->chroma_site;
    self->mid_buffer = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&self->mid_info), NULL);
    if (!gst_video_color_matrix_get_Kr_Kb (c->matrix, &kr, &kb))
      gst_video_color_matrix_get_Kr_Kb (GST_VIDEO_COLOR_MATRIX_BT601, &kr, &kb);
    fvc_yuv_matrix_init (&self->matrix, kr, kb, c->range == GST_VIDEO_COLOR_RANGE_0_255);
  }
  {
    g_autofree gchar *colorimetry = gst_video_colorimetry_to_string (&in_info->colorimetry);
    GST_INFO_OBJECT (self, "%s %dx%d (%s) -> RGB %dx%d",
                     gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (in_info)),
                     GST_VIDEO_INFO_WIDTH (in_info), GST_VIDEO_INFO_HEIGHT (in_info),
                     GST_STR_NULL (colorimetry), size, size);
  }
  return TRUE;

  /* ERRORS */
bad_output:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("fvcaugment can only output square RGB frames."),
                     ("output caps %" GST_PTR_FORMAT, outcaps));
  return FALSE;
}

/* Draws the clip's parameters, builds its converter and announces it downstream. */
static GstFlowReturn
fvc_augment_begin_clip (FvcAugment *self)
{
  GstVideoFilter *filter = GST_VIDEO_FILTER (self);
  FvcAugmentSettings settings;
  FvcAugmentInfo info = { 0 };
  GError *err = NULL;
  GstStructure *config;
  GstVideoInfo in_info, to_info;
  gint index;
  gint64 seed_prop;
  guint32 base_seed;
  const char *seed_from;

  GST_OBJECT_LOCK (self);
  settings = self->settings;
  index = self->augmentation_index;
  seed_prop = self->seed;
  GST_OBJECT_UNLOCK (self);

  /* The negotiated size is the one that counts (size is only mutable up to READY). */
  settings.size = GST_VIDEO_INFO_WIDTH (&filter->out_info);
  if (!fvc_augment_settings_validate (&settings, &err))
    goto invalid_settings;

  if (seed_prop >= 0) {
    base_seed = (guint32) seed_prop;
    seed_from = "seed property";
  } else if (self->video_has_seed) {
    base_seed = self->video_seed;
    seed_from = "fvc/video event";
  } else if (self->video_path != NULL) {
    base_seed = fvc_seed_from_path (self->video_path);
    seed_from = "fvc/video video-path";
  } else {
    goto no_seed;
  }

  fvc_augment_draw_params (&settings, base_seed, index, GST_VIDEO_INFO_WIDTH (&filter->in_info),
                           GST_VIDEO_INFO_HEIGHT (&filter->in_info), &self->params);
  GST_INFO_OBJECT (self, "clip: idx %d, seed %u (base %u from %s), crop %d,%d %dx%d, flip %d, "
                   "jitter %d (%.3f %.3f %.3f), blur %d (%.3f), noise %d (%.3f), jpeg %d (%u)",
                   index, self->params.seed, base_seed, seed_from, self->params.crop_x,
                   self->params.crop_y, self->params.crop_width, self->params.crop_height,
                   self->params.flip, self->params.jitter, self->params.brightness,
                   self->params.contrast, self->params.saturation, self->params.blur,
                   self->params.blur_sigma, self->params.noise, self->params.noise_sigma,
                   self->params.jpeg, self->params.jpeg_quality);

  /* One pass from the decoded frame: crop box -> size x size (AYUV for Y'CbCr input, see
   * set_info). The resampler picks its taps (0 = auto), which widens the lanczos kernel when
   * downscaling: no aliasing (measured in the element test). The input colorimetry is used as
   * negotiated; no gamma or primaries change. */
  config = gst_structure_new ("GstVideoConverter",
      GST_VIDEO_CONVERTER_OPT_SRC_X, G_TYPE_INT, self->params.crop_x,
      GST_VIDEO_CONVERTER_OPT_SRC_Y, G_TYPE_INT, self->params.crop_y,
      GST_VIDEO_CONVERTER_OPT_SRC_WIDTH, G_TYPE_INT, self->params.crop_width,
      GST_VIDEO_CONVERTER_OPT_SRC_HEIGHT, G_TYPE_INT, self->params.crop_height,
      GST_VIDEO_CONVERTER_OPT_DEST_X, G_TYPE_INT, 0,
      GST_VIDEO_CONVERTER_OPT_DEST_Y, G_TYPE_INT, 0,
      GST_VIDEO_CONVERTER_OPT_DEST_WIDTH, G_TYPE_INT, (gint) settings.size,
      GST_VIDEO_CONVERTER_OPT_DEST_HEIGHT, G_TYPE_INT, (gint) settings.size,
      GST_VIDEO_CONVERTER_OPT_RESAMPLER_METHOD, GST_TYPE_VIDEO_RESAMPLER_METHOD,
      GST_VIDEO_RESAMPLER_METHOD_LANCZOS,
      GST_VIDEO_CONVERTER_OPT_RESAMPLER_TAPS, G_TYPE_UINT, 0,
      GST_VIDEO_CONVERTER_OPT_GAMMA_MODE, GST_TYPE_VIDEO_GAMMA_MODE, GST_VIDEO_GAMMA_MODE_NONE,
      GST_VIDEO_CONVERTER_OPT_PRIMARIES_MODE, GST_TYPE_VIDEO_PRIMARIES_MODE,
      GST_VIDEO_PRIMARIES_MODE_NONE,
      GST_VIDEO_CONVERTER_OPT_THREADS, G_TYPE_UINT, 1,
      NULL);
  /* The converter wants equal frame rates and interlacing on both sides; interlaced input is
   * treated as whole frames (a clip frame is the decoder's whole output picture). */
  in_info = filter->in_info;
  to_info = self->via_ayuv ? self->mid_info : filter->out_info;
  in_info.interlace_mode = to_info.interlace_mode = GST_VIDEO_INTERLACE_MODE_PROGRESSIVE;
  to_info.fps_n = in_info.fps_n;
  to_info.fps_d = in_info.fps_d;
  g_clear_pointer (&self->convert, gst_video_converter_free);
  self->convert = gst_video_converter_new (&in_info, &to_info, config);
  if (self->convert == NULL)
    goto no_converter;

  info.augmentation_idx = index;
  info.seed = self->params.seed;
  info.augment = fvc_augment_settings_to_string (&settings);
  if (!gst_pad_push_event (GST_BASE_TRANSFORM_SRC_PAD (self), fvc_augment_event_new (&info)))
    GST_DEBUG_OBJECT (self, "downstream did not take the fvc/augment event");
  fvc_augment_info_clear (&info);

  self->need_clip = FALSE;
  self->frames_in_clip = 0;
  return GST_FLOW_OK;

  /* ERRORS */
invalid_settings:
  GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS, ("Invalid augmentation settings: %s", err->message),
                     (NULL));
  g_clear_error (&err);
  return GST_FLOW_ERROR;
no_seed:
  GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
                     ("No seed for the augmentation: set the \"seed\" property, or put fvcsample "
                      "upstream (its \"fvc/video\" event carries the video's seed)."),
                     ("seed=-1 and no fvc/video event with a seed or video-path in this stream"));
  return GST_FLOW_ERROR;
no_converter:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
                     ("Cannot convert %s %dx%d to RGB %ux%u.",
                      gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (&filter->in_info)),
                      GST_VIDEO_INFO_WIDTH (&filter->in_info), GST_VIDEO_INFO_HEIGHT (&filter->in_info),
                      settings.size, settings.size),
                     ("gst_video_converter_new failed for crop %d,%d %dx%d", self->params.crop_x,
                      self->params.crop_y, self->params.crop_width, self->params.crop_height));
  return GST_FLOW_ERROR;
}

static GstFlowReturn
fvc_augment_transform_frame (GstVideoFilter *filter, GstVideoFrame *in_frame, GstVideoFrame *out_frame)
{
  FvcAugment *self = FVC_AUGMENT (filter);
  FvcFrameMeta *meta;
  GError *err = NULL;
  GstVideoFrame whole;
  guint position;

  if (self->need_clip) {
    GstFlowReturn ret = fvc_augment_begin_clip (self);
    if (ret != GST_FLOW_OK)
      return ret;
  }

  /* A whole picture even when the decoder flags it interlaced: the converter was set up
   * progressive (begin_clip) and must not take its field-wise path. A shallow copy of the
   * mapping, not unmapped itself. */
  whole = *in_frame;
  whole.flags &= ~(GST_VIDEO_FRAME_FLAG_INTERLACED | GST_VIDEO_FRAME_FLAG_TFF |
                   GST_VIDEO_FRAME_FLAG_RFF | GST_VIDEO_FRAME_FLAG_ONEFIELD);
  whole.info.interlace_mode = GST_VIDEO_INTERLACE_MODE_PROGRESSIVE;

  if (self->via_ayuv) {
    GstVideoFrame mid;

    if (!gst_video_frame_map (&mid, &self->mid_info, self->mid_buffer, GST_MAP_READWRITE))
      goto map_failed;
    gst_video_converter_frame (self->convert, &whole, &mid);
    fvc_yuv_matrix_ayuv_to_rgb (&self->matrix, GST_VIDEO_FRAME_PLANE_DATA (&mid, 0),
                                GST_VIDEO_FRAME_PLANE_STRIDE (&mid, 0),
                                GST_VIDEO_FRAME_PLANE_DATA (out_frame, 0),
                                GST_VIDEO_FRAME_PLANE_STRIDE (out_frame, 0),
                                GST_VIDEO_FRAME_WIDTH (out_frame), GST_VIDEO_FRAME_HEIGHT (out_frame));
    gst_video_frame_unmap (&mid);
  } else {
    gst_video_converter_frame (self->convert, &whole, out_frame);
  }

  meta = fvc_buffer_get_frame_meta (in_frame->buffer);
  position = meta != NULL ? meta->clip_position : self->frames_in_clip;
  self->frames_in_clip++;

  if (fvc_augment_params_have_rgb_ops (&self->params)
      && !fvc_augment_apply_rgb (&self->params, GST_VIDEO_FRAME_PLANE_DATA (out_frame, 0),
                                 GST_VIDEO_FRAME_WIDTH (out_frame), GST_VIDEO_FRAME_HEIGHT (out_frame),
                                 GST_VIDEO_FRAME_PLANE_STRIDE (out_frame, 0), position,
                                 self->scratch, &err))
    goto augment_failed;
  return GST_FLOW_OK;

  /* ERRORS */
map_failed:
  GST_ELEMENT_ERROR (self, RESOURCE, FAILED, ("Could not map the intermediate frame."), (NULL));
  return GST_FLOW_ERROR;
augment_failed:
  GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Augmenting frame %u of the clip failed.", position),
                     ("%s", err->message));
  g_clear_error (&err);
  return GST_FLOW_ERROR;
}
