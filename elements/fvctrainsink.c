/* fvctrainsink.c — a sink that trains a model (libfvc FvcTrainer) on the clips it receives:
 * batches, micro-batches with gradient accumulation, AdamW steps, progress messages, and the
 * checkpoint at EOS. The element only maps buffers, follows epoch events and posts messages. */

/**
 * SECTION:element-fvctrainsink
 * @title: fvctrainsink
 *
 * Trains `model` (logistic_regression, svm, naive_cnn; docs/training.md) on
 * application/x-fvc-clip buffers whose FvcClipMeta carries the label (0 real, 1 fake). The model,
 * its arenas and its compute plans are made when the caps arrive (clip frames × height × width).
 * Every `batch-size` clips make a micro-batch (normalise, forward, loss, backward); every
 * `accumulation-steps` micro-batches make one AdamW step (`learning-rate`, `weight-decay`).
 * 0 for either takes the model's memory config (logistic_regression 8 × 1, svm 8 × 1,
 * naive_cnn 4 × 2). The last, smaller batch of an epoch is trained too.
 *
 * Epochs end at each "fvc/epoch" event (from fvcclipsrc) and at EOS. Element messages:
 * "fvc-train-progress" every `progress-interval` optimizer steps (epoch, step, loss — the mean
 * clip loss since the previous message —, learning-rate, clips-per-second, clips) and
 * "fvc-train-epoch" after every epoch (epoch, loss, accuracy, clips, steps). At EOS the
 * checkpoint is written to `checkpoint-location` (safetensors with PyTorch parameter names and
 * the AdamW state, atomically) and "fvc-train-done" (checkpoint, epochs, steps, clips) is posted.
 * `resume-from` continues a checkpoint of the same model and clip shape exactly: parameters,
 * AdamW state and step count. `device=cuda` trains on the GPU (builds with the CUDA backend), where
 * `precision` may also be tf32 or bf16 (docs/training.md, "GPU").
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 -m fvcclipsrc location=cache manifest=folds.csv fold=0 split=train epochs=10 seed=1 ! fvctrainsink model=naive_cnn checkpoint-location=naive_cnn_fold0.safetensors
 * ]|
 * |[
 * gst-launch-1.0 fvcclipsrc location=cache manifest=folds.csv fold=0 split=train first-epoch=10 epochs=5 seed=1 ! fvctrainsink model=naive_cnn resume-from=naive_cnn_fold0.safetensors checkpoint-location=naive_cnn_fold0_e15.safetensors
 * ]|
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "fvctrainsink.h"

#include "fvc-backend.h"
#include "fvc-clip-structure.h"
#include "fvc-error.h"
#include "fvc-provenance.h"
#include "fvc-trainer.h"

GST_DEBUG_CATEGORY_STATIC (fvc_train_sink_debug);
#define GST_CAT_DEFAULT fvc_train_sink_debug

#define DEFAULT_MODEL "naive_cnn"
#define DEFAULT_BATCH_SIZE 0
#define DEFAULT_ACCUMULATION_STEPS 0
#define DEFAULT_LEARNING_RATE FVC_ADAMW_DEFAULT_LR
#define DEFAULT_WEIGHT_DECAY FVC_ADAMW_DEFAULT_WEIGHT_DECAY
#define DEFAULT_SEED 0
#define DEFAULT_DEVICE FVC_DEVICE_CPU
#define DEFAULT_PRECISION FVC_PRECISION_FP32
#define DEFAULT_PROGRESS_INTERVAL 10

enum {
  PROP_0,
  PROP_MODEL,
  PROP_BATCH_SIZE,
  PROP_ACCUMULATION_STEPS,
  PROP_LEARNING_RATE,
  PROP_WEIGHT_DECAY,
  PROP_SEED,
  PROP_DEVICE,
  PROP_CHECKPOINT_LOCATION,
  PROP_RESUME_FROM,
  PROP_PROGRESS_INTERVAL,
  PROP_STEPS,
  PROP_PRECISION,
};

typedef struct {
  char *model;
  guint batch_size, accumulation_steps, seed, progress_interval;
  double learning_rate, weight_decay;
  FvcDevice device;
  FvcPrecision precision;
  char *checkpoint_location, *resume_from;
} Settings;

struct _FvcTrainSink {
  GstBaseSink parent;

  /* Settings, under GST_OBJECT_LOCK. */
  Settings settings;
  guint64 steps;             /* readable, under GST_OBJECT_LOCK */

  /* Streaming state: made in start()/set_caps(), used by the streaming thread, freed in stop(). */
  Settings s;
  FvcCheckpoint *resume;     /* resume-from, opened and checked in start(), until the trainer has it */
  FvcTrainer *trainer;
  FvcClipShape shape;        /* of the caps the trainer was made for */
  gboolean epoch_open;       /* clips arrived since the epoch began */
  guint epoch;               /* number of the epoch in progress */
  /* progress since the previous message */
  guint64 last_steps, last_clips, last_loss_clips;
  double last_loss_sum;
  gint64 last_time;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (FVC_CLIP_CAPS));

#define fvc_train_sink_parent_class parent_class
G_DEFINE_TYPE (FvcTrainSink, fvc_train_sink, GST_TYPE_BASE_SINK);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (fvctrainsink, "fvctrainsink", GST_RANK_NONE, FVC_TYPE_TRAIN_SINK,
    GST_DEBUG_CATEGORY_INIT (fvc_train_sink_debug, "fvctrainsink", 0, "fvc training sink"));

GType
fvc_train_device_get_type (void)
{
  static GType type;
  static const GEnumValue values[] = {
    { FVC_DEVICE_CPU, "CPU (oneDNN, OpenMP)", "cpu" },
    { FVC_DEVICE_CUDA, "CUDA GPU (needs a build with the CUDA backend)", "cuda" },
    { 0, NULL, NULL },
  };
  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("FvcTrainDevice", values));
  return type;
}

GType
fvc_train_precision_get_type (void)
{
  static GType type;
  static const GEnumValue values[] = {
    { FVC_PRECISION_FP32, "float32 throughout", "fp32" },
    { FVC_PRECISION_TF32, "float32 storage, TF32 tensor-core convolutions (cuda)", "tf32" },
    { FVC_PRECISION_BF16, "bf16 convolutions and activations, fp32 accumulation and weights (cuda)", "bf16" },
    { 0, NULL, NULL },
  };
  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("FvcTrainPrecision", values));
  return type;
}

static void
settings_clear (Settings *s)
{
  g_clear_pointer (&s->model, g_free);
  g_clear_pointer (&s->checkpoint_location, g_free);
  g_clear_pointer (&s->resume_from, g_free);
}

static void
settings_copy (Settings *dst, const Settings *src)
{
  *dst = *src;
  dst->model = g_strdup (src->model);
  dst->checkpoint_location = src->checkpoint_location && *src->checkpoint_location ? g_strdup (src->checkpoint_location)
                                                                                    : NULL;
  dst->resume_from = src->resume_from && *src->resume_from ? g_strdup (src->resume_from) : NULL;
}

static gboolean
fvc_train_sink_start (GstBaseSink *sink)
{
  FvcTrainSink *self = FVC_TRAIN_SINK (sink);
  g_autoptr (GError) error = NULL;
  const FvcCheckpointInfo *info;

  settings_clear (&self->s);
  g_clear_pointer (&self->resume, fvc_checkpoint_free);
  GST_OBJECT_LOCK (self);
  settings_copy (&self->s, &self->settings);
  self->steps = 0;
  GST_OBJECT_UNLOCK (self);
  self->epoch_open = FALSE;
  self->epoch = 0;

  if (fvc_model_info_lookup (self->s.model) == NULL)
    goto unknown_model;
  if (!fvc_backend_available (self->s.device))
    goto no_device;
  if (self->s.resume_from != NULL) {
    /* fail now, not at the first caps, when the checkpoint cannot be used; set_caps() loads it */
    self->resume = fvc_checkpoint_open (self->s.resume_from, &error);
    if (self->resume == NULL)
      goto bad_checkpoint;
    info = fvc_checkpoint_get_info (self->resume);
    if (g_strcmp0 (info->model, self->s.model) != 0)
      goto wrong_model;
    self->epoch = (guint) info->epochs;
  }
  return TRUE;

  /* ERRORS */
unknown_model:
  {
    g_autofree char *names = fvc_model_names (", ");
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("Unknown model \"%s\"; the models are %s.", self->s.model, names),
                       (NULL));
    return FALSE;
  }
no_device:
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("device=%s: this build of fvc-stream has no %s training backend; use "
                     "device=cpu.", fvc_device_name (self->s.device), fvc_device_name (self->s.device)), (NULL));
  return FALSE;
bad_checkpoint:
  GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ, ("%s", error->message), ("resume-from"));
  return FALSE;
wrong_model:
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("resume-from=%s holds a %s model, but model=%s; set model=%s or "
                     "resume another checkpoint.", self->s.resume_from, info->model, self->s.model, info->model),
                     (NULL));
  g_clear_pointer (&self->resume, fvc_checkpoint_free);
  return FALSE;
}

static gboolean
fvc_train_sink_stop (GstBaseSink *sink)
{
  FvcTrainSink *self = FVC_TRAIN_SINK (sink);

  g_clear_pointer (&self->trainer, fvc_trainer_free);
  g_clear_pointer (&self->resume, fvc_checkpoint_free);
  settings_clear (&self->s);
  self->shape = (FvcClipShape) { 0 };
  return TRUE;
}

/* The model and all its memory are made here, once, for the clip shape of the caps. */
static gboolean
fvc_train_sink_set_caps (GstBaseSink *sink, GstCaps *caps)
{
  FvcTrainSink *self = FVC_TRAIN_SINK (sink);
  g_autoptr (GError) error = NULL;
  FvcTrainerConfig c;
  FvcClipShape shape;

  if (!fvc_clip_caps_parse (caps, &shape, &error))
    goto bad_caps;
  if (self->trainer != NULL) {
    if (shape.frames == self->shape.frames && shape.width == self->shape.width && shape.height == self->shape.height)
      return TRUE;
    goto shape_changed;
  }
  fvc_trainer_config_init (&c);
  c.model = self->s.model;
  c.batch_size = self->s.batch_size;
  c.accumulation_steps = self->s.accumulation_steps;
  c.adamw.lr = self->s.learning_rate;
  c.adamw.weight_decay = self->s.weight_decay;
  c.seed = self->s.seed;
  c.device = self->s.device;
  c.precision = self->s.precision;
  c.frames = shape.frames;
  c.height = shape.height;
  c.width = shape.width;
  self->trainer = fvc_trainer_new (&c, &error);
  if (self->trainer == NULL)
    goto create_failed;
  if (self->resume != NULL) {
    if (!fvc_trainer_resume_checkpoint (self->trainer, self->resume, &error))
      goto resume_failed;
    g_clear_pointer (&self->resume, fvc_checkpoint_free);   /* the trainer has copied what it needs */
  }
  self->shape = shape;
  GST_INFO_OBJECT (self, "%s for %ux%ux%u clips, batch %u x accumulation %u, activations %" G_GSIZE_FORMAT " bytes",
                   self->s.model, shape.frames, shape.height, shape.width, fvc_trainer_get_batch_size (self->trainer),
                   fvc_trainer_get_accumulation_steps (self->trainer),
                   fvc_model_get_activation_bytes (fvc_trainer_get_model (self->trainer)));
  self->last_steps = fvc_trainer_get_stats (self->trainer)->steps;
  self->last_clips = fvc_trainer_get_stats (self->trainer)->clips;
  self->last_loss_sum = 0;
  self->last_loss_clips = 0;
  self->last_time = g_get_monotonic_time ();
  return TRUE;

  /* ERRORS */
bad_caps:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("Clip caps without frames, width and height."), ("%s",
                     error->message));
  return FALSE;
shape_changed:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("Clips changed from %ux%ux%u to %ux%ux%u (frames x height x width) "
                     "during training.", self->shape.frames, self->shape.height, self->shape.width, shape.frames,
                     shape.height, shape.width), (NULL));
  return FALSE;
create_failed:
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", error->message), ("creating the model"));
  return FALSE;
resume_failed:
  g_clear_pointer (&self->trainer, fvc_trainer_free);
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", error->message), ("resume-from"));
  return FALSE;
}

static void
post_progress (FvcTrainSink *self, const FvcTrainerStats *st)
{
  gint64 now = g_get_monotonic_time ();
  double seconds = (now - self->last_time) / 1e6;
  double loss_sum = st->loss_sum - self->last_loss_sum;
  guint64 loss_clips = st->loss_clips - self->last_loss_clips;

  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self),
      gst_structure_new ("fvc-train-progress",
          "epoch", G_TYPE_UINT, self->epoch,
          "step", G_TYPE_UINT64, st->steps,
          "loss", G_TYPE_DOUBLE, loss_clips ? loss_sum / loss_clips : 0.0,
          "learning-rate", G_TYPE_DOUBLE, self->s.learning_rate,
          "clips-per-second", G_TYPE_DOUBLE, seconds > 0 ? (st->clips - self->last_clips) / seconds : 0.0,
          "clips", G_TYPE_UINT64, st->clips, NULL)));
  self->last_time = now;
  self->last_clips = st->clips;
  self->last_loss_sum = st->loss_sum;
  self->last_loss_clips = st->loss_clips;
}

/* After every clip and every epoch end: at most one optimizer step since the last call, so a
 * multiple of the interval is never skipped. */
static void
maybe_progress (FvcTrainSink *self)
{
  const FvcTrainerStats *st = fvc_trainer_get_stats (self->trainer);
  guint interval = self->s.progress_interval;

  if (st->steps == self->last_steps)
    return;
  if (interval > 0 && st->steps % interval == 0)
    post_progress (self, st);
  self->last_steps = st->steps;
  GST_OBJECT_LOCK (self);
  self->steps = st->steps;
  GST_OBJECT_UNLOCK (self);
}

static GstFlowReturn
fvc_train_sink_render (GstBaseSink *sink, GstBuffer *buf)
{
  FvcTrainSink *self = FVC_TRAIN_SINK (sink);
  FvcClipMeta *meta = fvc_buffer_get_clip_meta (buf);
  g_autoptr (GError) error = NULL;
  g_auto (FvcClipProvenance) prov = { { 0 } };
  gsize expected = fvc_clip_shape_bytes (&self->shape);
  GstMapInfo map;
  gboolean ok;

  if (meta == NULL || meta->info == NULL ||
      !fvc_clip_structure_parse (meta->info, FVC_CLIP_FIELD_LABEL, &prov, &error) ||
      (prov.info.label != 0 && prov.info.label != 1))
    goto no_label;
  if (gst_buffer_get_size (buf) != expected)
    goto wrong_size;
  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    goto map_failed;
  ok = fvc_trainer_add_clip (self->trainer, map.data, prov.info.label, &error);
  gst_buffer_unmap (buf, &map);
  if (!ok)
    goto train_failed;
  self->epoch_open = TRUE;

  maybe_progress (self);
  return GST_FLOW_OK;

  /* ERRORS */
no_label:
  GST_ELEMENT_ERROR (self, STREAM, FORMAT, ("A clip without a label (FvcClipMeta label 0 or 1): train from "
                     "fvcclipsrc or fvcclip."), ("%s", error ? error->message : "label not 0 or 1"));
  return GST_FLOW_ERROR;
wrong_size:
  GST_ELEMENT_ERROR (self, STREAM, FORMAT, ("Clip buffer of %" G_GSIZE_FORMAT " bytes, the caps say %" G_GSIZE_FORMAT
                     ".", gst_buffer_get_size (buf), expected), (NULL));
  return GST_FLOW_ERROR;
map_failed:
  GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Cannot map a clip buffer."), (NULL));
  return GST_FLOW_ERROR;
train_failed:
  GST_ELEMENT_ERROR (self, LIBRARY, FAILED, ("Training step failed: %s", error->message), (NULL));
  return GST_FLOW_ERROR;
}

/* Trains what the epoch left pending, steps, and reports the epoch. */
static gboolean
finish_epoch (FvcTrainSink *self)
{
  g_autoptr (GError) error = NULL;
  FvcEpochSummary sum;
  const FvcTrainerStats *st;

  if (!self->epoch_open)
    return TRUE;
  if (!fvc_trainer_end_epoch (self->trainer, &sum, &error)) {
    GST_ELEMENT_ERROR (self, LIBRARY, FAILED, ("Training step failed: %s", error->message), ("end of epoch %u",
                       self->epoch));
    return FALSE;
  }
  maybe_progress (self);
  st = fvc_trainer_get_stats (self->trainer);
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self),
      gst_structure_new ("fvc-train-epoch",
          "epoch", G_TYPE_UINT, self->epoch,
          "loss", G_TYPE_DOUBLE, sum.mean_loss,
          "accuracy", G_TYPE_DOUBLE, sum.accuracy,
          "clips", G_TYPE_UINT64, sum.clips,
          "steps", G_TYPE_UINT64, st->steps, NULL)));
  self->epoch_open = FALSE;
  self->epoch++;
  return TRUE;
}

static gboolean
finish_training (FvcTrainSink *self)
{
  g_autoptr (GError) error = NULL;
  const FvcTrainerStats *st;

  if (self->trainer == NULL) {
    GST_ELEMENT_WARNING (self, STREAM, FAILED, ("No clips arrived; nothing was trained and no checkpoint written."),
                         (NULL));
    return TRUE;
  }
  if (!finish_epoch (self))
    return FALSE;
  st = fvc_trainer_get_stats (self->trainer);
  if (self->s.checkpoint_location != NULL && !fvc_trainer_save (self->trainer, self->s.checkpoint_location, &error)) {
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE, ("%s", error->message), ("writing the checkpoint"));
    return FALSE;
  }
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self),
      gst_structure_new ("fvc-train-done",
          "checkpoint", G_TYPE_STRING, self->s.checkpoint_location,
          "epochs", G_TYPE_UINT64, st->epochs,
          "steps", G_TYPE_UINT64, st->steps,
          "clips", G_TYPE_UINT64, st->clips, NULL)));
  return TRUE;
}

static gboolean
fvc_train_sink_event (GstBaseSink *sink, GstEvent *event)
{
  FvcTrainSink *self = FVC_TRAIN_SINK (sink);
  guint epoch;

  if (fvc_epoch_event_parse (event, &epoch, NULL)) {
    if (!finish_epoch (self)) {
      gst_event_unref (event);
      return FALSE;
    }
    if (self->trainer != NULL && epoch != self->epoch)
      GST_INFO_OBJECT (self, "epoch %u follows epoch %u", epoch, self->epoch);
    self->epoch = epoch;
  } else if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
    /* before the EOS message: whoever waits for it finds the checkpoint written */
    if (!finish_training (self)) {
      gst_event_unref (event);
      return FALSE;
    }
  }
  return GST_BASE_SINK_CLASS (parent_class)->event (sink, event);
}

/* ---- GObject ------------------------------------------------------------------------------ */

static void
fvc_train_sink_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  FvcTrainSink *self = FVC_TRAIN_SINK (object);
  Settings *s = &self->settings;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL: g_free (s->model); s->model = g_value_dup_string (value); break;
    case PROP_BATCH_SIZE: s->batch_size = g_value_get_uint (value); break;
    case PROP_ACCUMULATION_STEPS: s->accumulation_steps = g_value_get_uint (value); break;
    case PROP_LEARNING_RATE: s->learning_rate = g_value_get_double (value); break;
    case PROP_WEIGHT_DECAY: s->weight_decay = g_value_get_double (value); break;
    case PROP_SEED: s->seed = g_value_get_uint (value); break;
    case PROP_DEVICE: s->device = g_value_get_enum (value); break;
    case PROP_PRECISION: s->precision = g_value_get_enum (value); break;
    case PROP_CHECKPOINT_LOCATION:
      g_free (s->checkpoint_location);
      s->checkpoint_location = g_value_dup_string (value);
      break;
    case PROP_RESUME_FROM: g_free (s->resume_from); s->resume_from = g_value_dup_string (value); break;
    case PROP_PROGRESS_INTERVAL: s->progress_interval = g_value_get_uint (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
fvc_train_sink_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  FvcTrainSink *self = FVC_TRAIN_SINK (object);
  Settings *s = &self->settings;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL: g_value_set_string (value, s->model); break;
    case PROP_BATCH_SIZE: g_value_set_uint (value, s->batch_size); break;
    case PROP_ACCUMULATION_STEPS: g_value_set_uint (value, s->accumulation_steps); break;
    case PROP_LEARNING_RATE: g_value_set_double (value, s->learning_rate); break;
    case PROP_WEIGHT_DECAY: g_value_set_double (value, s->weight_decay); break;
    case PROP_SEED: g_value_set_uint (value, s->seed); break;
    case PROP_DEVICE: g_value_set_enum (value, s->device); break;
    case PROP_PRECISION: g_value_set_enum (value, s->precision); break;
    case PROP_CHECKPOINT_LOCATION: g_value_set_string (value, s->checkpoint_location); break;
    case PROP_RESUME_FROM: g_value_set_string (value, s->resume_from); break;
    case PROP_PROGRESS_INTERVAL: g_value_set_uint (value, s->progress_interval); break;
    case PROP_STEPS: g_value_set_uint64 (value, self->steps); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
fvc_train_sink_finalize (GObject *object)
{
  FvcTrainSink *self = FVC_TRAIN_SINK (object);

  fvc_train_sink_stop (GST_BASE_SINK (self));
  settings_clear (&self->settings);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
fvc_train_sink_class_init (FvcTrainSinkClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSinkClass *sink_class = GST_BASE_SINK_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY;
  g_autofree char *names = fvc_model_names (", ");
  g_autofree char *model_blurb = g_strdup_printf ("Architecture to train: %s", names);

  gobject_class->set_property = fvc_train_sink_set_property;
  gobject_class->get_property = fvc_train_sink_get_property;
  gobject_class->finalize = fvc_train_sink_finalize;

  /* the blurb lists the registry; not static, so GLib keeps a copy */
  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model", model_blurb, DEFAULT_MODEL,
                           G_PARAM_READWRITE | G_PARAM_STATIC_NAME | G_PARAM_STATIC_NICK | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_BATCH_SIZE,
      g_param_spec_uint ("batch-size", "Batch size", "Clips per micro-batch (0: the model's memory config)", 0, 4096,
                         DEFAULT_BATCH_SIZE, flags));
  g_object_class_install_property (gobject_class, PROP_ACCUMULATION_STEPS,
      g_param_spec_uint ("accumulation-steps", "Accumulation steps", "Micro-batches per optimizer step; each "
                         "micro-batch's loss is its mean divided by this (0: the model's memory config)", 0, 4096,
                         DEFAULT_ACCUMULATION_STEPS, flags));
  g_object_class_install_property (gobject_class, PROP_LEARNING_RATE,
      g_param_spec_double ("learning-rate", "Learning rate", "AdamW learning rate", 0, 10, DEFAULT_LEARNING_RATE, flags));
  g_object_class_install_property (gobject_class, PROP_WEIGHT_DECAY,
      g_param_spec_double ("weight-decay", "Weight decay", "AdamW decoupled weight decay (the svm's L2 term)", 0, 10,
                           DEFAULT_WEIGHT_DECAY, flags));
  g_object_class_install_property (gobject_class, PROP_SEED,
      g_param_spec_uint ("seed", "Seed", "Seed of the parameter initialisation (PyTorch's default scheme drawn "
                         "from fvc_rng)", 0, G_MAXUINT32, DEFAULT_SEED, flags));
  g_object_class_install_property (gobject_class, PROP_DEVICE,
      g_param_spec_enum ("device", "Device", "Where to train (cuda only in builds with the CUDA backend)",
                         FVC_TYPE_TRAIN_DEVICE, DEFAULT_DEVICE, flags));
  g_object_class_install_property (gobject_class, PROP_PRECISION,
      g_param_spec_enum ("precision", "Precision", "Arithmetic of convolutions and matmuls; weights, gradients and "
                         "AdamW stay float32 (tf32 and bf16 need device=cuda; docs/training.md)",
                         FVC_TYPE_TRAIN_PRECISION, DEFAULT_PRECISION, flags));
  g_object_class_install_property (gobject_class, PROP_CHECKPOINT_LOCATION,
      g_param_spec_string ("checkpoint-location", "Checkpoint location", "Where to write the checkpoint at EOS "
                           "(safetensors; none when unset)", NULL, flags));
  g_object_class_install_property (gobject_class, PROP_RESUME_FROM,
      g_param_spec_string ("resume-from", "Resume from", "Checkpoint to continue (same model and clip shape): "
                           "parameters, AdamW state, step and epoch counts", NULL, flags));
  g_object_class_install_property (gobject_class, PROP_PROGRESS_INTERVAL,
      g_param_spec_uint ("progress-interval", "Progress interval", "Post fvc-train-progress every this many optimizer "
                         "steps (0: never)", 0, G_MAXUINT, DEFAULT_PROGRESS_INTERVAL, flags));
  g_object_class_install_property (gobject_class, PROP_STEPS,
      g_param_spec_uint64 ("steps", "Steps", "Optimizer steps so far (a resumed checkpoint's included)", 0,
                           G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class, "fvc training sink", "Sink",
      "Trains a fake-vs-real classifier on clips (AdamW, gradient accumulation) and writes its checkpoint",
      "fvc-stream maintainers");

  sink_class->start = GST_DEBUG_FUNCPTR (fvc_train_sink_start);
  sink_class->stop = GST_DEBUG_FUNCPTR (fvc_train_sink_stop);
  sink_class->set_caps = GST_DEBUG_FUNCPTR (fvc_train_sink_set_caps);
  sink_class->event = GST_DEBUG_FUNCPTR (fvc_train_sink_event);
  sink_class->render = GST_DEBUG_FUNCPTR (fvc_train_sink_render);

  gst_type_mark_as_plugin_api (FVC_TYPE_TRAIN_DEVICE, 0);
  gst_type_mark_as_plugin_api (FVC_TYPE_TRAIN_PRECISION, 0);
}

static void
fvc_train_sink_init (FvcTrainSink *self)
{
  Settings *s = &self->settings;

  s->model = g_strdup (DEFAULT_MODEL);
  s->batch_size = DEFAULT_BATCH_SIZE;
  s->accumulation_steps = DEFAULT_ACCUMULATION_STEPS;
  s->learning_rate = DEFAULT_LEARNING_RATE;
  s->weight_decay = DEFAULT_WEIGHT_DECAY;
  s->seed = DEFAULT_SEED;
  s->device = DEFAULT_DEVICE;
  s->precision = DEFAULT_PRECISION;
  s->progress_interval = DEFAULT_PROGRESS_INTERVAL;
  gst_base_sink_set_sync (GST_BASE_SINK (self), FALSE);
}
