/* fvcevalsink.c — a sink that scores clips with a checkpoint (libfvc FvcEvaluator), aggregates
 * them per video, and at EOS writes the predictions CSV and posts the metrics. */

/**
 * SECTION:element-fvcevalsink
 * @title: fvcevalsink
 *
 * Loads `checkpoint` (written by fvctrainsink; its metadata names the model and the clip shape)
 * when it starts, makes the model when the caps arrive (a clip shape other than the checkpoint's
 * is an error), and scores every application/x-fvc-clip buffer in batches of `batch-size`. A
 * video's score is sigmoid(mean of its clips' logits), its prediction score > 0.5 (1 = fake);
 * videos are told apart by the video-path of the FvcClipMeta.
 *
 * At EOS: `predictions-location` gets the CSV
 * `video_path,label,score,prediction,logit,n_clips` (one row per video, in order of first clip,
 * written atomically), and the element message "fvc-eval-metrics" is posted: accuracy,
 * balanced-accuracy, roc-auc (NaN with one class), log-loss, f1, tp, fp, tn, fn, n-videos,
 * n-clips, checkpoint.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -m fvcclipsrc location=cache manifest=folds.csv fold=0 split=val include=base shuffle=false ! fvcevalsink checkpoint=naive_cnn_fold0.safetensors predictions-location=predictions_fold0.csv
 * ]|
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "fvcevalsink.h"
#include "fvctrainsink.h"

#include "fvc-backend.h"
#include "fvc-clip-structure.h"
#include "fvc-error.h"
#include "fvc-provenance.h"
#include "fvc-trainer.h"

GST_DEBUG_CATEGORY_STATIC (fvc_eval_sink_debug);
#define GST_CAT_DEFAULT fvc_eval_sink_debug

#define DEFAULT_BATCH_SIZE 0
#define DEFAULT_DEVICE FVC_DEVICE_CPU

enum {
  PROP_0,
  PROP_CHECKPOINT,
  PROP_PREDICTIONS_LOCATION,
  PROP_BATCH_SIZE,
  PROP_DEVICE,
};

struct _FvcEvalSink {
  GstBaseSink parent;

  /* Settings, under GST_OBJECT_LOCK. */
  char *checkpoint;
  char *predictions_location;
  guint batch_size;
  FvcDevice device;

  /* Streaming state: made in start()/set_caps(), used by the streaming thread, freed in stop(). */
  FvcCheckpoint *ck;
  char *predictions;
  guint batch;
  FvcDevice dev;
  FvcEvaluator *ev;
  FvcClipShape shape;        /* of the caps the evaluator was made for */
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (FVC_CLIP_CAPS));

#define fvc_eval_sink_parent_class parent_class
G_DEFINE_TYPE (FvcEvalSink, fvc_eval_sink, GST_TYPE_BASE_SINK);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (fvcevalsink, "fvcevalsink", GST_RANK_NONE, FVC_TYPE_EVAL_SINK,
    GST_DEBUG_CATEGORY_INIT (fvc_eval_sink_debug, "fvcevalsink", 0, "fvc evaluation sink"));

static gboolean
fvc_eval_sink_start (GstBaseSink *sink)
{
  FvcEvalSink *self = FVC_EVAL_SINK (sink);
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;

  GST_OBJECT_LOCK (self);
  path = g_strdup (self->checkpoint);
  self->predictions = self->predictions_location && *self->predictions_location ? g_strdup (self->predictions_location)
                                                                                  : NULL;
  self->batch = self->batch_size;
  self->dev = self->device;
  GST_OBJECT_UNLOCK (self);

  if (path == NULL || *path == '\0')
    goto no_checkpoint;
  if (!fvc_backend_available (self->dev))
    goto no_device;
  self->ck = fvc_checkpoint_open (path, &error);
  if (self->ck == NULL)
    goto bad_checkpoint;
  return TRUE;

  /* ERRORS */
no_checkpoint:
  GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("No checkpoint: set the checkpoint property."), (NULL));
  return FALSE;
no_device:
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("device=%s: this build of fvc-stream has no %s backend; use "
                     "device=cpu.", fvc_device_name (self->dev), fvc_device_name (self->dev)), (NULL));
  return FALSE;
bad_checkpoint:
  GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ, ("%s", error->message), ("checkpoint"));
  return FALSE;
}

static gboolean
fvc_eval_sink_stop (GstBaseSink *sink)
{
  FvcEvalSink *self = FVC_EVAL_SINK (sink);

  g_clear_pointer (&self->ev, fvc_evaluator_free);
  g_clear_pointer (&self->ck, fvc_checkpoint_free);
  g_clear_pointer (&self->predictions, g_free);
  self->shape = (FvcClipShape) { 0 };
  return TRUE;
}

static gboolean
fvc_eval_sink_set_caps (GstBaseSink *sink, GstCaps *caps)
{
  FvcEvalSink *self = FVC_EVAL_SINK (sink);
  g_autoptr (GError) error = NULL;
  FvcClipShape shape;

  if (!fvc_clip_caps_parse (caps, &shape, &error))
    goto bad_caps;
  if (self->ev != NULL) {
    if (shape.frames == self->shape.frames && shape.width == self->shape.width && shape.height == self->shape.height)
      return TRUE;
    goto shape_changed;
  }
  self->ev = fvc_evaluator_new (self->ck, self->batch, self->dev, shape.frames, shape.height, shape.width, &error);
  if (self->ev == NULL)
    goto create_failed;
  self->shape = shape;
  return TRUE;

  /* ERRORS */
bad_caps:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("Clip caps without frames, width and height."), ("%s",
                     error->message));
  return FALSE;
shape_changed:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("Clips changed from %ux%ux%u to %ux%ux%u (frames x height x width) "
                     "during evaluation.", self->shape.frames, self->shape.height, self->shape.width, shape.frames,
                     shape.height, shape.width), (NULL));
  return FALSE;
create_failed:
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", error->message), ("loading the checkpoint into the model"));
  return FALSE;
}

static GstFlowReturn
fvc_eval_sink_render (GstBaseSink *sink, GstBuffer *buf)
{
  FvcEvalSink *self = FVC_EVAL_SINK (sink);
  FvcClipMeta *meta = fvc_buffer_get_clip_meta (buf);
  g_autoptr (GError) error = NULL;
  g_auto (FvcClipProvenance) prov = { { 0 } };
  gsize expected = fvc_clip_shape_bytes (&self->shape);
  GstMapInfo map;
  gboolean ok;

  if (meta == NULL || meta->info == NULL ||
      !fvc_clip_structure_parse (meta->info, FVC_CLIP_FIELD_VIDEO_PATH | FVC_CLIP_FIELD_LABEL, &prov, &error) ||
      (prov.info.label != 0 && prov.info.label != 1))
    goto no_provenance;
  if (gst_buffer_get_size (buf) != expected)
    goto wrong_size;
  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    goto map_failed;
  ok = fvc_evaluator_add_clip (self->ev, map.data, prov.info.video_path, prov.info.label, &error);
  gst_buffer_unmap (buf, &map);
  if (!ok)
    goto score_failed;
  return GST_FLOW_OK;

  /* ERRORS */
no_provenance:
  GST_ELEMENT_ERROR (self, STREAM, FORMAT, ("A clip without video-path and label (FvcClipMeta): evaluate clips from "
                     "fvcclipsrc or fvcclip."), ("%s", error ? error->message : "label not 0 or 1"));
  return GST_FLOW_ERROR;
wrong_size:
  GST_ELEMENT_ERROR (self, STREAM, FORMAT, ("Clip buffer of %" G_GSIZE_FORMAT " bytes, the caps say %" G_GSIZE_FORMAT
                     ".", gst_buffer_get_size (buf), expected), (NULL));
  return GST_FLOW_ERROR;
map_failed:
  GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Cannot map a clip buffer."), (NULL));
  return GST_FLOW_ERROR;
score_failed:
  GST_ELEMENT_ERROR (self, LIBRARY, FAILED, ("%s", error->message), ("scoring a clip"));
  return GST_FLOW_ERROR;
}

static gboolean
finish (FvcEvalSink *self)
{
  g_autoptr (GError) error = NULL;
  FvcMetrics m;

  if (self->ev == NULL) {
    GST_ELEMENT_WARNING (self, STREAM, FAILED, ("No clips arrived; nothing was evaluated."), (NULL));
    return TRUE;
  }
  if (!fvc_evaluator_flush (self->ev, &error))
    goto score_failed;
  if (self->predictions != NULL && !fvc_evaluator_write_predictions (self->ev, self->predictions, &error))
    goto write_failed;
  fvc_evaluator_compute_metrics (self->ev, &m);
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self),
      gst_structure_new ("fvc-eval-metrics",
          "accuracy", G_TYPE_DOUBLE, m.accuracy,
          "balanced-accuracy", G_TYPE_DOUBLE, m.balanced_accuracy,
          "roc-auc", G_TYPE_DOUBLE, m.roc_auc,
          "log-loss", G_TYPE_DOUBLE, m.log_loss,
          "f1", G_TYPE_DOUBLE, m.f1,
          "tp", G_TYPE_UINT, m.tp,
          "fp", G_TYPE_UINT, m.fp,
          "tn", G_TYPE_UINT, m.tn,
          "fn", G_TYPE_UINT, m.fn,
          "n-videos", G_TYPE_UINT, m.n,
          "n-clips", G_TYPE_UINT64, fvc_evaluator_get_n_clips (self->ev),
          "checkpoint", G_TYPE_STRING, fvc_checkpoint_get_path (self->ck), NULL)));
  return TRUE;

  /* ERRORS */
score_failed:
  GST_ELEMENT_ERROR (self, LIBRARY, FAILED, ("%s", error->message), ("scoring the last batch"));
  return FALSE;
write_failed:
  GST_ELEMENT_ERROR (self, RESOURCE, WRITE, ("%s", error->message), ("writing the predictions"));
  return FALSE;
}

static gboolean
fvc_eval_sink_event (GstBaseSink *sink, GstEvent *event)
{
  FvcEvalSink *self = FVC_EVAL_SINK (sink);

  /* before the EOS message: whoever waits for it finds the predictions written */
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS && !finish (self)) {
    gst_event_unref (event);
    return FALSE;
  }
  return GST_BASE_SINK_CLASS (parent_class)->event (sink, event);
}

/* ---- GObject ------------------------------------------------------------------------------ */

static void
fvc_eval_sink_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  FvcEvalSink *self = FVC_EVAL_SINK (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_CHECKPOINT: g_free (self->checkpoint); self->checkpoint = g_value_dup_string (value); break;
    case PROP_PREDICTIONS_LOCATION:
      g_free (self->predictions_location);
      self->predictions_location = g_value_dup_string (value);
      break;
    case PROP_BATCH_SIZE: self->batch_size = g_value_get_uint (value); break;
    case PROP_DEVICE: self->device = g_value_get_enum (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
fvc_eval_sink_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  FvcEvalSink *self = FVC_EVAL_SINK (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_CHECKPOINT: g_value_set_string (value, self->checkpoint); break;
    case PROP_PREDICTIONS_LOCATION: g_value_set_string (value, self->predictions_location); break;
    case PROP_BATCH_SIZE: g_value_set_uint (value, self->batch_size); break;
    case PROP_DEVICE: g_value_set_enum (value, self->device); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
fvc_eval_sink_finalize (GObject *object)
{
  FvcEvalSink *self = FVC_EVAL_SINK (object);

  fvc_eval_sink_stop (GST_BASE_SINK (self));
  g_free (self->checkpoint);
  g_free (self->predictions_location);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
fvc_eval_sink_class_init (FvcEvalSinkClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSinkClass *sink_class = GST_BASE_SINK_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY;

  gobject_class->set_property = fvc_eval_sink_set_property;
  gobject_class->get_property = fvc_eval_sink_get_property;
  gobject_class->finalize = fvc_eval_sink_finalize;

  g_object_class_install_property (gobject_class, PROP_CHECKPOINT,
      g_param_spec_string ("checkpoint", "Checkpoint", "Checkpoint to score with (from fvctrainsink); its metadata "
                           "names the model and the clip shape", NULL, flags));
  g_object_class_install_property (gobject_class, PROP_PREDICTIONS_LOCATION,
      g_param_spec_string ("predictions-location", "Predictions location", "Where to write the per-video predictions "
                           "CSV at EOS (none when unset)", NULL, flags));
  g_object_class_install_property (gobject_class, PROP_BATCH_SIZE,
      g_param_spec_uint ("batch-size", "Batch size", "Clips scored at once (0: the model's memory config)", 0, 4096,
                         DEFAULT_BATCH_SIZE, flags));
  g_object_class_install_property (gobject_class, PROP_DEVICE,
      g_param_spec_enum ("device", "Device", "Where to score (cuda only in builds with the CUDA backend)",
                         FVC_TYPE_TRAIN_DEVICE, DEFAULT_DEVICE, flags));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class, "fvc evaluation sink", "Sink",
      "Scores clips with a checkpoint; writes per-video predictions and posts ROC AUC, accuracy, log loss, F1",
      "fvc-stream maintainers");

  sink_class->start = GST_DEBUG_FUNCPTR (fvc_eval_sink_start);
  sink_class->stop = GST_DEBUG_FUNCPTR (fvc_eval_sink_stop);
  sink_class->set_caps = GST_DEBUG_FUNCPTR (fvc_eval_sink_set_caps);
  sink_class->event = GST_DEBUG_FUNCPTR (fvc_eval_sink_event);
  sink_class->render = GST_DEBUG_FUNCPTR (fvc_eval_sink_render);
}

static void
fvc_eval_sink_init (FvcEvalSink *self)
{
  self->batch_size = DEFAULT_BATCH_SIZE;
  self->device = DEFAULT_DEVICE;
  gst_base_sink_set_sync (GST_BASE_SINK (self), FALSE);
}
