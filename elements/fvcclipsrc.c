/* fvcclipsrc.c — reads the clips of a set of videos from the shared clip cache and pushes them as
 * application/x-fvc-clip buffers, epoch after epoch, each epoch in a seeded permutation. A reader
 * thread keeps at most read-ahead clips ready (mapped, validated, copied into pooled buffers).
 * Not here: training (fvctrainsink), scoring (fvcevalsink), writing caches (fvcclipsink). */

/**
 * SECTION:element-fvcclipsrc
 * @title: fvcclipsrc
 *
 * Replays clips from a cache written by fvcclipsink (or `fvc-stream augment`). The videos are
 * all the cache holds, or those listed in `videos-file` (one `video_path` a line, as written in
 * the index), or those of a fold manifest (`manifest`, CSV `video_path,label,group,fold`): with
 * `split=train` the videos *not* in `fold`, with `split=val` those in it. `include` picks the base
 * clips, the augmented ones or both.
 *
 * The clips of an epoch are the selected cache rows in a fixed order (video list order, then
 * augmentation index); with `shuffle`, epoch e pushes them in the permutation
 * fvc_rng_shuffle_u32 (seed, "fvcclipsrc/fold=<fold>/epoch=<e>") — a function of (seed, fold,
 * epoch) only. Before the first clip of every epoch a serialized custom downstream event
 * "fvc/epoch" (epoch, clips) goes out; `first-epoch` numbers the epochs of a resumed run.
 *
 * Each buffer holds one clip, T×H×W×3 bytes (RGB), and an FvcClipMeta "fvc/clip" (video-path as
 * written in the index, label, augmentation-idx, seed, frame-indices, pts-ns, config, clip-file).
 * Every clip is checked against cache.ini (frames, size) and its metadata row (video, label); a
 * corrupt or mismatching clip stops the stream with an error naming the file.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 fvcclipsrc location=cache manifest=folds.csv fold=0 split=train epochs=5 seed=1 ! fvctrainsink model=naive_cnn checkpoint-location=naive_cnn_fold0.safetensors
 * ]|
 * |[
 * gst-launch-1.0 fvcclipsrc location=cache manifest=folds.csv fold=0 split=val include=base shuffle=false ! fvcevalsink checkpoint=naive_cnn_fold0.safetensors predictions-location=predictions.csv
 * ]|
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "fvcclipsrc.h"

#include "fvc-cache.h"
#include "fvc-clip.h"
#include "fvc-clip-selection.h"
#include "fvc-clip-structure.h"
#include "fvc-error.h"
#include "fvc-provenance.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (fvc_clip_src_debug);
#define GST_CAT_DEFAULT fvc_clip_src_debug

#define DEFAULT_FOLD 0
#define DEFAULT_SPLIT FVC_CLIP_SPLIT_TRAIN
#define DEFAULT_INCLUDE FVC_CLIP_INCLUDE_ALL
#define DEFAULT_SEED 0
#define DEFAULT_EPOCHS 1
#define DEFAULT_FIRST_EPOCH 0
#define DEFAULT_SHUFFLE TRUE
#define DEFAULT_READ_AHEAD 8

enum {
  PROP_0,
  PROP_LOCATION,
  PROP_VIDEOS_FILE,
  PROP_MANIFEST,
  PROP_FOLD,
  PROP_SPLIT,
  PROP_INCLUDE,
  PROP_SEED,
  PROP_EPOCHS,
  PROP_FIRST_EPOCH,
  PROP_SHUFFLE,
  PROP_READ_AHEAD,
  PROP_N_CLIPS,
};

typedef struct {
  char *location, *videos_file, *manifest;
  guint fold;
  FvcClipSplit split;
  FvcClipInclude include;
  guint seed, epochs, first_epoch, read_ahead;
  gboolean shuffle;
} Settings;

typedef enum { ITEM_CLIP, ITEM_EPOCH, ITEM_EOS, ITEM_ERROR } ItemKind;

typedef struct {
  ItemKind kind;
  GstBuffer *buffer;     /* ITEM_CLIP */
  guint epoch;           /* ITEM_EPOCH */
  GError *error;         /* ITEM_ERROR */
} Item;

struct _FvcClipSrc {
  GstPushSrc parent;

  /* Settings, under GST_OBJECT_LOCK. */
  Settings settings;

  /* Fixed between start() and stop(): read by the streaming and reader threads. */
  Settings s;
  FvcClipSelection *selection;
  guint frames, size;
  gsize clip_bytes;
  GstCaps *caps;
  GstBufferPool *pool;
  gint n_clips;             /* atomic */

  /* Producer position: the reader thread's (or the streaming thread's with read-ahead 0). */
  guint32 *perm;
  guint epoch_index, clip_index;
  gboolean epoch_announced;
  guint64 sequence;

  /* The ring between reader and create(), under ring_lock. */
  GMutex ring_lock;
  GCond ring_cond;
  Item *ring;
  guint ring_head, ring_len;
  gboolean flushing, stopping;
  GThread *reader;
};

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (FVC_CLIP_CAPS));

#define fvc_clip_src_parent_class parent_class
G_DEFINE_TYPE (FvcClipSrc, fvc_clip_src, GST_TYPE_PUSH_SRC);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (fvcclipsrc, "fvcclipsrc", GST_RANK_NONE, FVC_TYPE_CLIP_SRC,
    GST_DEBUG_CATEGORY_INIT (fvc_clip_src_debug, "fvcclipsrc", 0, "fvc clip cache reader"));

static GType
fvc_clip_src_split_get_type (void)
{
  static GType type;
  static const GEnumValue values[] = {
    { FVC_CLIP_SPLIT_TRAIN, "Videos not in the fold (training)", "train" },
    { FVC_CLIP_SPLIT_VAL, "Videos in the fold (validation)", "val" },
    { 0, NULL, NULL },
  };
  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("FvcClipSrcSplit", values));
  return type;
}

static GType
fvc_clip_src_include_get_type (void)
{
  static GType type;
  static const GEnumValue values[] = {
    { FVC_CLIP_INCLUDE_BASE, "Base clips only (augmentation index -1)", "base" },
    { FVC_CLIP_INCLUDE_AUGMENTED, "Augmented clips only", "augmented" },
    { FVC_CLIP_INCLUDE_ALL, "Base and augmented clips", "all" },
    { 0, NULL, NULL },
  };
  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("FvcClipSrcInclude", values));
  return type;
}

static void
settings_clear (Settings *s)
{
  g_clear_pointer (&s->location, g_free);
  g_clear_pointer (&s->videos_file, g_free);
  g_clear_pointer (&s->manifest, g_free);
}

static void
item_clear (Item *it)
{
  gst_clear_buffer (&it->buffer);
  g_clear_error (&it->error);
  memset (it, 0, sizeof *it);
}

/* ---- the clips ---------------------------------------------------------------------------- */

/* The clips of the selected videos (libfvc fvc-clip-selection); videos without clips are
 * reported and skipped, no clip at all is an error. */
static gboolean
select_clips (FvcClipSrc *self, const FvcCache *cache, GError **error)
{
  const Settings *s = &self->s;
  FvcClipSelectionSpec spec = { s->videos_file, s->manifest, s->fold, s->split, s->include };
  guint missing;

  self->selection = fvc_clip_selection_new (cache, &spec, error);
  if (self->selection == NULL)
    return FALSE;
  missing = fvc_clip_selection_get_n_missing (self->selection);
  if (missing > 0) {
    GST_ELEMENT_WARNING (self, RESOURCE, NOT_FOUND,
                         ("%u of %u selected videos have no clips in the cache %s (first: %s); they are skipped.",
                          missing, fvc_clip_selection_get_n_videos (self->selection), s->location,
                          fvc_clip_selection_get_first_missing (self->selection)), (NULL));
  }
  return fvc_clip_selection_check_not_empty (self->selection, error);
}

/* ---- producing items ---------------------------------------------------------------------- */

/* Reads clip @e into a pooled buffer, checking it against cache.ini and its metadata row. */
static gboolean
read_clip (FvcClipSrc *self, const FvcSelectedClip *e, GstBuffer **out, GError **error)
{
  g_autoptr (FvcClip) clip = fvc_clip_open (e->path, error);
  const FvcClipInfo *info;
  FvcClipProvenance prov;
  GstBuffer *buf = NULL;
  GstMapInfo map;

  if (clip == NULL)
    return FALSE;
  info = fvc_clip_get_info (clip);
  if (fvc_clip_get_frames (clip) != self->frames || fvc_clip_get_height (clip) != self->size ||
      fvc_clip_get_width (clip) != self->size) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_MISMATCH, "%s: clip is %u frames of %ux%u, the cache holds %u frames "
                 "of %ux%u", e->path, fvc_clip_get_frames (clip), fvc_clip_get_width (clip),
                 fvc_clip_get_height (clip), self->frames, self->size, self->size);
    return FALSE;
  }
  if (info->label != e->label || g_strcmp0 (info->video_path, e->video) != 0) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_MISMATCH, "%s: clip of %s (label %d), but its metadata row says %s "
                 "(label %d)", e->path, info->video_path, info->label, e->video, e->label);
    return FALSE;
  }
  if (gst_buffer_pool_acquire_buffer (self->pool, &buf, NULL) != GST_FLOW_OK) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_CANCELLED, "stopping");
    return FALSE;
  }
  if (!gst_buffer_map (buf, &map, GST_MAP_WRITE)) {
    gst_buffer_unref (buf);
    g_set_error (error, FVC_ERROR, FVC_ERROR_FAILED, "cannot map a buffer of the pool");
    return FALSE;
  }
  memcpy (map.data, fvc_clip_get_data (clip), self->clip_bytes);
  gst_buffer_unmap (buf, &map);
  /* borrowed strings: the structure copies them */
  prov.info = *info;
  prov.clip_file = e->path;
  fvc_buffer_add_clip_meta (buf, fvc_clip_structure_new (&prov));
  GST_BUFFER_OFFSET (buf) = self->sequence;
  GST_BUFFER_OFFSET_END (buf) = self->sequence + 1;
  *out = buf;
  return TRUE;
}

static void
produce (FvcClipSrc *self, Item *it)
{
  memset (it, 0, sizeof *it);
  if (self->epoch_index == self->s.epochs) {
    it->kind = ITEM_EOS;
    return;
  }
  if (!self->epoch_announced) {
    it->kind = ITEM_EPOCH;
    it->epoch = self->s.first_epoch + self->epoch_index;
    fvc_clip_selection_epoch_order (self->s.seed, self->s.fold, it->epoch, self->s.shuffle, self->perm,
                                    fvc_clip_selection_get_n_clips (self->selection));
    self->epoch_announced = TRUE;
    return;
  }
  if (read_clip (self, fvc_clip_selection_get_clip (self->selection, self->perm[self->clip_index]), &it->buffer,
                 &it->error))
    it->kind = ITEM_CLIP;
  else
    it->kind = ITEM_ERROR;
  self->sequence++;
  if (++self->clip_index == fvc_clip_selection_get_n_clips (self->selection)) {
    self->clip_index = 0;
    self->epoch_index++;
    self->epoch_announced = FALSE;
  }
}

static gpointer
reader_thread (gpointer data)
{
  FvcClipSrc *self = data;
  const guint cap = self->s.read_ahead;

  for (;;) {
    Item it;
    gboolean last;

    g_mutex_lock (&self->ring_lock);
    while (self->ring_len == cap && !self->stopping)
      g_cond_wait (&self->ring_cond, &self->ring_lock);
    if (self->stopping) {
      g_mutex_unlock (&self->ring_lock);
      break;
    }
    g_mutex_unlock (&self->ring_lock);

    produce (self, &it);
    last = it.kind == ITEM_EOS || it.kind == ITEM_ERROR;

    g_mutex_lock (&self->ring_lock);
    if (self->stopping) {
      g_mutex_unlock (&self->ring_lock);
      item_clear (&it);
      break;
    }
    self->ring[(self->ring_head + self->ring_len) % cap] = it;
    self->ring_len++;
    g_cond_broadcast (&self->ring_cond);
    g_mutex_unlock (&self->ring_lock);
    if (last)
      break;
  }
  return NULL;
}

/* ---- GstBaseSrc --------------------------------------------------------------------------- */

static gboolean fvc_clip_src_stop (GstBaseSrc *src);

static gboolean
fvc_clip_src_start (GstBaseSrc *src)
{
  FvcClipSrc *self = FVC_CLIP_SRC (src);
  Settings *s = &self->s;
  g_autoptr (FvcCache) cache = NULL;
  g_autoptr (GError) error = NULL;
  const FvcCacheConfig *config;
  GstCaps *caps;
  guint n;

  fvc_clip_src_stop (src);   /* a start() that failed earlier may have left state behind */
  GST_OBJECT_LOCK (self);
  *s = self->settings;
  s->location = g_strdup (self->settings.location);
  s->videos_file = self->settings.videos_file && *self->settings.videos_file ? g_strdup (self->settings.videos_file)
                                                                              : NULL;
  s->manifest = self->settings.manifest && *self->settings.manifest ? g_strdup (self->settings.manifest) : NULL;
  GST_OBJECT_UNLOCK (self);

  if (s->location == NULL || *s->location == '\0')
    goto no_location;
  cache = fvc_cache_open (s->location, NULL, FVC_CACHE_OPEN_READ, &error);
  if (cache == NULL)
    goto open_failed;
  config = fvc_cache_get_config (cache);
  self->frames = config->num_frames;
  self->size = config->size;
  self->clip_bytes = (gsize) self->frames * self->size * self->size * 3;
  if (!select_clips (self, cache, &error))
    goto select_failed;
  n = fvc_clip_selection_get_n_clips (self->selection);
  g_atomic_int_set (&self->n_clips, (gint) n);
  GST_INFO_OBJECT (self, "%u clips per epoch, %u epochs, %ux%ux%u", n, s->epochs, self->frames, self->size,
                   self->size);

  /* A cache whose clips do not match cache.ini fails here, before caps are announced. */
  {
    GstBuffer *probe = NULL;
    FvcClipShape shape = { self->frames, self->size, self->size };
    caps = fvc_clip_caps_new (&shape);
    GST_OBJECT_LOCK (self);
    self->caps = caps;
    GST_OBJECT_UNLOCK (self);
    self->pool = gst_buffer_pool_new ();
    {
      GstStructure *pc = gst_buffer_pool_get_config (self->pool);
      gst_buffer_pool_config_set_params (pc, self->caps, (guint) self->clip_bytes, s->read_ahead + 1, 0);
      if (!gst_buffer_pool_set_config (self->pool, pc) || !gst_buffer_pool_set_active (self->pool, TRUE))
        goto pool_failed;
    }
    if (!read_clip (self, fvc_clip_selection_get_clip (self->selection, 0), &probe, &error))
      goto clip_failed;
    gst_buffer_unref (probe);
  }

  self->perm = g_new (guint32, n);
  self->epoch_index = self->clip_index = 0;
  self->epoch_announced = FALSE;
  self->sequence = 0;
  self->flushing = self->stopping = FALSE;
  self->ring_head = self->ring_len = 0;
  if (s->read_ahead > 0) {
    self->ring = g_new0 (Item, s->read_ahead);
    self->reader = g_thread_new ("fvcclipsrc-reader", reader_thread, self);
  }
  return TRUE;

  /* ERRORS */
no_location:
  GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("No cache directory: set the location property."), (NULL));
  return FALSE;
open_failed:
  GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ, ("%s", error->message), ("fvc_cache_open failed"));
  return FALSE;
select_failed:
  GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", error->message), ("selecting clips failed"));
  return FALSE;
pool_failed:
  GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT, ("Cannot make a buffer pool of %" G_GSIZE_FORMAT "-byte clips.",
                     self->clip_bytes), (NULL));
  return FALSE;
clip_failed:
  GST_ELEMENT_ERROR (self, STREAM, DECODE, ("%s", error->message), ("the first clip failed its checks"));
  return FALSE;
}

static gboolean
fvc_clip_src_stop (GstBaseSrc *src)
{
  FvcClipSrc *self = FVC_CLIP_SRC (src);

  if (self->reader != NULL) {
    g_mutex_lock (&self->ring_lock);
    self->stopping = TRUE;
    g_cond_broadcast (&self->ring_cond);
    g_mutex_unlock (&self->ring_lock);
    g_thread_join (self->reader);
    self->reader = NULL;
  }
  if (self->ring != NULL) {
    for (guint i = 0; i < self->ring_len; i++)
      item_clear (&self->ring[(self->ring_head + i) % self->s.read_ahead]);
    g_clear_pointer (&self->ring, g_free);
  }
  self->ring_len = self->ring_head = 0;
  if (self->pool != NULL) {
    gst_buffer_pool_set_active (self->pool, FALSE);
    gst_clear_object (&self->pool);
  }
  GST_OBJECT_LOCK (self);
  gst_clear_caps (&self->caps);
  GST_OBJECT_UNLOCK (self);
  g_clear_pointer (&self->selection, fvc_clip_selection_free);
  g_clear_pointer (&self->perm, g_free);
  settings_clear (&self->s);
  return TRUE;
}

static GstCaps *
fvc_clip_src_get_caps (GstBaseSrc *src, GstCaps *filter)
{
  FvcClipSrc *self = FVC_CLIP_SRC (src);
  GstCaps *caps;

  GST_OBJECT_LOCK (self);
  caps = self->caps ? gst_caps_ref (self->caps) : gst_pad_get_pad_template_caps (GST_BASE_SRC_PAD (src));
  GST_OBJECT_UNLOCK (self);
  if (filter != NULL) {
    GstCaps *tmp = gst_caps_intersect_full (filter, caps, GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref (caps);
    caps = tmp;
  }
  return caps;
}

static gboolean
fvc_clip_src_unlock (GstBaseSrc *src)
{
  FvcClipSrc *self = FVC_CLIP_SRC (src);

  g_mutex_lock (&self->ring_lock);
  self->flushing = TRUE;
  g_cond_broadcast (&self->ring_cond);
  g_mutex_unlock (&self->ring_lock);
  return TRUE;
}

static gboolean
fvc_clip_src_unlock_stop (GstBaseSrc *src)
{
  FvcClipSrc *self = FVC_CLIP_SRC (src);

  g_mutex_lock (&self->ring_lock);
  self->flushing = FALSE;
  g_mutex_unlock (&self->ring_lock);
  return TRUE;
}

static GstFlowReturn
fvc_clip_src_create (GstPushSrc *psrc, GstBuffer **outbuf)
{
  FvcClipSrc *self = FVC_CLIP_SRC (psrc);

  for (;;) {
    Item it;

    if (self->s.read_ahead == 0) {
      produce (self, &it);
    } else {
      g_mutex_lock (&self->ring_lock);
      while (self->ring_len == 0 && !self->flushing)
        g_cond_wait (&self->ring_cond, &self->ring_lock);
      if (self->flushing) {
        g_mutex_unlock (&self->ring_lock);
        return GST_FLOW_FLUSHING;
      }
      it = self->ring[self->ring_head];
      self->ring_head = (self->ring_head + 1) % self->s.read_ahead;
      self->ring_len--;
      g_cond_broadcast (&self->ring_cond);
      g_mutex_unlock (&self->ring_lock);
    }

    switch (it.kind) {
      case ITEM_EPOCH:
        /* Queued by GstBaseSrc and pushed after the segment, right before this epoch's first clip.
         * The class method, not gst_element_send_event(): that takes the state lock, which a
         * state change may hold while it waits for this thread. */
        GST_DEBUG_OBJECT (self, "epoch %u starts", it.epoch);
        GST_ELEMENT_CLASS (parent_class)->send_event (GST_ELEMENT (self),
            fvc_epoch_event_new (it.epoch, fvc_clip_selection_get_n_clips (self->selection)));
        continue;
      case ITEM_CLIP:
        *outbuf = it.buffer;
        return GST_FLOW_OK;
      case ITEM_EOS:
        return GST_FLOW_EOS;
      case ITEM_ERROR:
        if (g_error_matches (it.error, FVC_ERROR, FVC_ERROR_CANCELLED)) {
          item_clear (&it);
          return GST_FLOW_FLUSHING;
        }
        GST_ELEMENT_ERROR (self, STREAM, DECODE, ("%s", it.error->message), ("reading a clip failed"));
        item_clear (&it);
        return GST_FLOW_ERROR;
    }
  }
}

/* ---- GObject ------------------------------------------------------------------------------ */

static void
fvc_clip_src_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  FvcClipSrc *self = FVC_CLIP_SRC (object);
  Settings *s = &self->settings;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION: g_free (s->location); s->location = g_value_dup_string (value); break;
    case PROP_VIDEOS_FILE: g_free (s->videos_file); s->videos_file = g_value_dup_string (value); break;
    case PROP_MANIFEST: g_free (s->manifest); s->manifest = g_value_dup_string (value); break;
    case PROP_FOLD: s->fold = g_value_get_uint (value); break;
    case PROP_SPLIT: s->split = g_value_get_enum (value); break;
    case PROP_INCLUDE: s->include = g_value_get_enum (value); break;
    case PROP_SEED: s->seed = g_value_get_uint (value); break;
    case PROP_EPOCHS: s->epochs = g_value_get_uint (value); break;
    case PROP_FIRST_EPOCH: s->first_epoch = g_value_get_uint (value); break;
    case PROP_SHUFFLE: s->shuffle = g_value_get_boolean (value); break;
    case PROP_READ_AHEAD: s->read_ahead = g_value_get_uint (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
fvc_clip_src_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  FvcClipSrc *self = FVC_CLIP_SRC (object);
  Settings *s = &self->settings;

  if (prop_id == PROP_N_CLIPS) {
    g_value_set_uint (value, (guint) g_atomic_int_get (&self->n_clips));
    return;
  }
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION: g_value_set_string (value, s->location); break;
    case PROP_VIDEOS_FILE: g_value_set_string (value, s->videos_file); break;
    case PROP_MANIFEST: g_value_set_string (value, s->manifest); break;
    case PROP_FOLD: g_value_set_uint (value, s->fold); break;
    case PROP_SPLIT: g_value_set_enum (value, s->split); break;
    case PROP_INCLUDE: g_value_set_enum (value, s->include); break;
    case PROP_SEED: g_value_set_uint (value, s->seed); break;
    case PROP_EPOCHS: g_value_set_uint (value, s->epochs); break;
    case PROP_FIRST_EPOCH: g_value_set_uint (value, s->first_epoch); break;
    case PROP_SHUFFLE: g_value_set_boolean (value, s->shuffle); break;
    case PROP_READ_AHEAD: g_value_set_uint (value, s->read_ahead); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
fvc_clip_src_finalize (GObject *object)
{
  FvcClipSrc *self = FVC_CLIP_SRC (object);

  fvc_clip_src_stop (GST_BASE_SRC (self));
  settings_clear (&self->settings);
  g_mutex_clear (&self->ring_lock);
  g_cond_clear (&self->ring_cond);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
fvc_clip_src_class_init (FvcClipSrcClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSrcClass *src_class = GST_BASE_SRC_CLASS (klass);
  GstPushSrcClass *push_class = GST_PUSH_SRC_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY;

  gobject_class->set_property = fvc_clip_src_set_property;
  gobject_class->get_property = fvc_clip_src_get_property;
  gobject_class->finalize = fvc_clip_src_finalize;

  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Cache directory", "The clip cache to read (cache.ini, clips/, "
                           "augmented_metadata.csv)", NULL, flags));
  g_object_class_install_property (gobject_class, PROP_VIDEOS_FILE,
      g_param_spec_string ("videos-file", "Videos file", "Text file with one video_path a line (as written in the "
                           "index): read only these videos' clips. Not with manifest", NULL, flags));
  g_object_class_install_property (gobject_class, PROP_MANIFEST,
      g_param_spec_string ("manifest", "Fold manifest", "Fold manifest CSV (video_path,label,group,fold): read the "
                           "videos of fold/split. Not with videos-file", NULL, flags));
  g_object_class_install_property (gobject_class, PROP_FOLD,
      g_param_spec_uint ("fold", "Fold", "Validation fold of the manifest; also keys the shuffle", 0, G_MAXUINT,
                         DEFAULT_FOLD, flags));
  g_object_class_install_property (gobject_class, PROP_SPLIT,
      g_param_spec_enum ("split", "Split", "With manifest: train = videos not in the fold, val = videos in it",
                         fvc_clip_src_split_get_type (), DEFAULT_SPLIT, flags));
  g_object_class_install_property (gobject_class, PROP_INCLUDE,
      g_param_spec_enum ("include", "Include", "Which clips of each video: the base clip, the augmented ones, or all",
                         fvc_clip_src_include_get_type (), DEFAULT_INCLUDE, flags));
  g_object_class_install_property (gobject_class, PROP_SEED,
      g_param_spec_uint ("seed", "Seed", "Seed of the per-epoch shuffle (with fold and epoch number)", 0, G_MAXUINT32,
                         DEFAULT_SEED, flags));
  g_object_class_install_property (gobject_class, PROP_EPOCHS,
      g_param_spec_uint ("epochs", "Epochs", "Passes over the clips", 1, 1000000, DEFAULT_EPOCHS, flags));
  g_object_class_install_property (gobject_class, PROP_FIRST_EPOCH,
      g_param_spec_uint ("first-epoch", "First epoch", "Number of the first epoch (continue a resumed training with "
                         "the epochs it has not seen)", 0, 1000000, DEFAULT_FIRST_EPOCH, flags));
  g_object_class_install_property (gobject_class, PROP_SHUFFLE,
      g_param_spec_boolean ("shuffle", "Shuffle", "Push each epoch in a seeded permutation (else in cache order: "
                            "video list order, then augmentation index)", DEFAULT_SHUFFLE, flags));
  g_object_class_install_property (gobject_class, PROP_READ_AHEAD,
      g_param_spec_uint ("read-ahead", "Read ahead", "Clips a reader thread keeps ready (0: read in the streaming "
                         "thread)", 0, 1024, DEFAULT_READ_AHEAD, flags));
  g_object_class_install_property (gobject_class, PROP_N_CLIPS,
      g_param_spec_uint ("n-clips", "Clips per epoch", "Clips selected per epoch (known after start)", 0, G_MAXUINT, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "fvc clip cache reader", "Source",
      "Reads a fold's clips from the shared clip cache, shuffled per epoch, for several epochs",
      "fvc-stream maintainers");

  src_class->start = GST_DEBUG_FUNCPTR (fvc_clip_src_start);
  src_class->stop = GST_DEBUG_FUNCPTR (fvc_clip_src_stop);
  src_class->get_caps = GST_DEBUG_FUNCPTR (fvc_clip_src_get_caps);
  src_class->unlock = GST_DEBUG_FUNCPTR (fvc_clip_src_unlock);
  src_class->unlock_stop = GST_DEBUG_FUNCPTR (fvc_clip_src_unlock_stop);
  push_class->create = GST_DEBUG_FUNCPTR (fvc_clip_src_create);

  gst_type_mark_as_plugin_api (fvc_clip_src_split_get_type (), 0);
  gst_type_mark_as_plugin_api (fvc_clip_src_include_get_type (), 0);
}

static void
fvc_clip_src_init (FvcClipSrc *self)
{
  Settings *s = &self->settings;

  g_mutex_init (&self->ring_lock);
  g_cond_init (&self->ring_cond);
  s->fold = DEFAULT_FOLD;
  s->split = DEFAULT_SPLIT;
  s->include = DEFAULT_INCLUDE;
  s->seed = DEFAULT_SEED;
  s->epochs = DEFAULT_EPOCHS;
  s->first_epoch = DEFAULT_FIRST_EPOCH;
  s->shuffle = DEFAULT_SHUFFLE;
  s->read_ahead = DEFAULT_READ_AHEAD;
}
