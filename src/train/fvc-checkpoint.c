/* fvc-checkpoint.c — writing and loading model checkpoints (format in fvc-checkpoint.h). The
 * bytes go through fvc-safetensors; this file only knows which tensors and keys a checkpoint has. */
#include "config.h"
#include "fvc-checkpoint.h"
#include "fvc-error.h"
#include "fvc-safetensors.h"

#include <string.h>

#define INPUT_DESCRIPTION "uint8 (N,T,H,W,3) RGB -> float (N,3,T,H,W): x/255, mean (0.485,0.456,0.406), " \
  "std (0.229,0.224,0.225)"

struct _FvcCheckpoint {
  char *path;
  FvcSafetensors *st;
  FvcCheckpointInfo info;
};

void
fvc_checkpoint_info_clear (FvcCheckpointInfo *info)
{
  g_clear_pointer (&info->model, g_free);
  g_clear_pointer (&info->fvc_version, g_free);
}

void
fvc_checkpoint_free (FvcCheckpoint *ck)
{
  if (ck == NULL)
    return;
  fvc_checkpoint_info_clear (&ck->info);
  fvc_safetensors_free (ck->st);
  g_free (ck->path);
  g_free (ck);
}

static gboolean
meta_u64 (const FvcCheckpoint *ck, const char *key, guint64 max, guint64 *out, GError **error)
{
  const char *v = fvc_safetensors_get_metadata (ck->st, key);
  if (v == NULL || !g_ascii_string_to_unsigned (v, 10, 0, max, out, NULL)) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE, "%s: checkpoint metadata \"%s\" is %s%s%s", ck->path, key,
                 v ? "\"" : "missing", v ? v : "", v ? "\", not a valid number" : "");
    return FALSE;
  }
  return TRUE;
}

static gboolean
meta_double (const FvcCheckpoint *ck, const char *key, double *out, GError **error)
{
  const char *v = fvc_safetensors_get_metadata (ck->st, key);
  char *end = NULL;

  if (v != NULL)
    *out = g_ascii_strtod (v, &end);
  if (v == NULL || end == v || *end != '\0') {
    g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE, "%s: checkpoint metadata \"%s\" is %s%s%s", ck->path, key,
                 v ? "\"" : "missing", v ? v : "", v ? "\", not a valid number" : "");
    return FALSE;
  }
  return TRUE;
}

FvcCheckpoint *
fvc_checkpoint_open (const char *path, GError **error)
{
  g_autoptr (FvcCheckpoint) ck = g_new0 (FvcCheckpoint, 1);
  FvcCheckpointInfo *info = &ck->info;
  const char *format, *model;
  guint64 v, frames, height, width, batch, accum, seed;

  ck->path = g_strdup (path);
  ck->st = fvc_safetensors_open (path, error);
  if (ck->st == NULL)
    return NULL;
  format = fvc_safetensors_get_metadata (ck->st, "format");
  if (g_strcmp0 (format, FVC_CHECKPOINT_FORMAT) != 0) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE, "%s: not an fvc checkpoint (metadata \"format\" is %s%s%s)",
                 path, format ? "\"" : "missing", format ? format : "", format ? "\"" : "");
    return NULL;
  }
  if (!meta_u64 (ck, "format_version", G_MAXUINT, &v, error))
    return NULL;
  if (v != FVC_CHECKPOINT_FORMAT_VERSION) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_UNSUPPORTED, "%s: checkpoint format version %" G_GUINT64_FORMAT
                 " is not supported (this build reads version %d)", path, v, FVC_CHECKPOINT_FORMAT_VERSION);
    return NULL;
  }
  model = fvc_safetensors_get_metadata (ck->st, "model");
  if (model == NULL || fvc_model_info_lookup (model) == NULL) {
    g_autofree char *names = fvc_model_names (", ");
    g_set_error (error, FVC_ERROR, FVC_ERROR_UNSUPPORTED, "%s: checkpoint model %s%s%s is not one of %s", path,
                 model ? "\"" : "(missing)", model ? model : "", model ? "\"" : "", names);
    return NULL;
  }
  info->model = g_strdup (model);
  if (!meta_u64 (ck, "frames", G_MAXUINT, &frames, error) || !meta_u64 (ck, "height", G_MAXUINT, &height, error) ||
      !meta_u64 (ck, "width", G_MAXUINT, &width, error) ||
      !meta_u64 (ck, "batch_size", G_MAXUINT, &batch, error) ||
      !meta_u64 (ck, "accumulation_steps", G_MAXUINT, &accum, error) ||
      !meta_double (ck, "learning_rate", &info->adamw.lr, error) ||
      !meta_double (ck, "weight_decay", &info->adamw.weight_decay, error) ||
      !meta_double (ck, "beta1", &info->adamw.beta1, error) || !meta_double (ck, "beta2", &info->adamw.beta2, error) ||
      !meta_double (ck, "eps", &info->adamw.eps, error) ||
      !meta_u64 (ck, "epochs", G_MAXUINT64, &info->epochs, error) ||
      !meta_u64 (ck, "steps", G_MAXUINT64, &info->steps, error) ||
      !meta_u64 (ck, "clips", G_MAXUINT64, &info->clips, error) || !meta_u64 (ck, "seed", G_MAXUINT32, &seed, error))
    return NULL;
  if (frames == 0 || height == 0 || width == 0) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE, "%s: checkpoint clip shape %" G_GUINT64_FORMAT "x%"
                 G_GUINT64_FORMAT "x%" G_GUINT64_FORMAT " is empty", path, frames, height, width);
    return NULL;
  }
  info->frames = frames;
  info->height = height;
  info->width = width;
  info->batch_size = batch;
  info->accumulation_steps = accum;
  info->seed = seed;
  info->fvc_version = g_strdup (fvc_safetensors_get_metadata (ck->st, "fvc_version"));
  for (guint i = 0; i < fvc_safetensors_get_n_tensors (ck->st); i++)
    if (g_str_has_prefix (fvc_safetensors_get_tensor_nth (ck->st, i)->name, FVC_CHECKPOINT_OPTIMIZER_PREFIX))
      info->has_optimizer_state = TRUE;
  return g_steal_pointer (&ck);
}

const FvcCheckpointInfo *
fvc_checkpoint_get_info (const FvcCheckpoint *ck)
{
  return &ck->info;
}

const char *
fvc_checkpoint_get_path (const FvcCheckpoint *ck)
{
  return ck->path;
}

gboolean
fvc_checkpoint_check (const FvcCheckpoint *ck, const char *model_name, guint frames, guint height, guint width,
                      GError **error)
{
  const FvcCheckpointInfo *i = &ck->info;

  if (strcmp (i->model, model_name) != 0 || i->frames != frames || i->height != height || i->width != width) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_MISMATCH,
                 "%s: checkpoint is a %s model for %ux%ux%u clips (frames x height x width), but a %s model for "
                 "%ux%ux%u clips was asked for", ck->path, i->model, i->frames, i->height, i->width, model_name,
                 frames, height, width);
    return FALSE;
  }
  return TRUE;
}

static gboolean
load_arena (const FvcCheckpoint *ck, FvcBackend *be, FvcArena *arena, const char *prefix, GError **error)
{
  for (guint i = 0; i < fvc_arena_get_n_tensors (arena); i++) {
    FvcTensor *t = fvc_arena_get_nth (arena, i);
    g_autofree char *name = g_strconcat (prefix, t->name, NULL);
    const FvcTensorView *v = fvc_safetensors_expect_tensor (ck->st, name, FVC_DTYPE_F32, t->n_dims, t->shape, error);
    if (v == NULL)
      return FALSE;
    if (!be->copy_h2d (be, t->data, v->data, v->n_bytes, error))
      return FALSE;
  }
  return TRUE;
}

gboolean
fvc_checkpoint_load (const FvcCheckpoint *ck, FvcModel *model, gboolean with_optimizer_state, GError **error)
{
  const FvcModelConfig *c = fvc_model_get_config (model);
  FvcBackend *be = fvc_model_get_backend (model);

  if (!fvc_checkpoint_check (ck, fvc_model_info_get_name (fvc_model_get_info (model)), c->frames, c->height,
                             c->width, error))
    return FALSE;
  if (!load_arena (ck, be, fvc_model_get_params (model), "", error))
    return FALSE;
  if (!with_optimizer_state)
    return TRUE;
  g_return_val_if_fail (fvc_model_get_optimizer_state (model) != NULL, FALSE);
  if (!ck->info.has_optimizer_state) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_INVALID,
                 "%s: checkpoint has no optimizer state (an evaluation-only export); training cannot resume from it",
                 ck->path);
    return FALSE;
  }
  return load_arena (ck, be, fvc_model_get_optimizer_state (model), FVC_CHECKPOINT_OPTIMIZER_PREFIX, error);
}

/* Host view of an arena's bytes: the arena itself on host-visible backends, else a copy. */
static gconstpointer
host_bytes (FvcBackend *be, FvcArena *arena, GPtrArray *keep, GError **error)
{
  gpointer host;

  if (be->host_visible)
    return arena->base;
  host = g_malloc (arena->size);
  g_ptr_array_add (keep, host);
  if (!be->copy_d2h (be, host, arena->base, arena->size, error))
    return NULL;
  return host;
}

static void
add_arena (FvcSafetensorsWriter *w, FvcArena *arena, gconstpointer host, const char *prefix, GPtrArray *names)
{
  for (guint i = 0; i < fvc_arena_get_n_tensors (arena); i++) {
    FvcTensor *t = fvc_arena_get_nth (arena, i);
    char *name = g_strconcat (prefix, t->name, NULL);
    gsize off = (guint8 *) t->data - (guint8 *) arena->base;
    g_ptr_array_add (names, name);
    fvc_safetensors_writer_add_tensor (w, name, FVC_DTYPE_F32, t->n_dims, t->shape, (const guint8 *) host + off);
  }
}

static void
set_u64 (FvcSafetensorsWriter *w, const char *key, guint64 v)
{
  char buf[32];
  g_snprintf (buf, sizeof buf, "%" G_GUINT64_FORMAT, v);
  fvc_safetensors_writer_set_metadata (w, key, buf);
}

static void
set_double (FvcSafetensorsWriter *w, const char *key, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  fvc_safetensors_writer_set_metadata (w, key, g_ascii_formatd (buf, sizeof buf, "%.17g", v));
}

gboolean
fvc_checkpoint_save (const char *path, FvcModel *model, const FvcCheckpointInfo *info, GError **error)
{
  g_autoptr (FvcSafetensorsWriter) w = fvc_safetensors_writer_new ();
  g_autoptr (GPtrArray) keep = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const FvcModelConfig *c = fvc_model_get_config (model);
  FvcBackend *be = fvc_model_get_backend (model);
  FvcArena *params = fvc_model_get_params (model), *opt = fvc_model_get_optimizer_state (model);
  gconstpointer host;
  char buf[32];

  fvc_safetensors_writer_set_metadata (w, "format", FVC_CHECKPOINT_FORMAT);
  g_snprintf (buf, sizeof buf, "%d", FVC_CHECKPOINT_FORMAT_VERSION);
  fvc_safetensors_writer_set_metadata (w, "format_version", buf);
  fvc_safetensors_writer_set_metadata (w, "model", fvc_model_info_get_name (fvc_model_get_info (model)));
  set_u64 (w, "frames", c->frames);
  set_u64 (w, "height", c->height);
  set_u64 (w, "width", c->width);
  set_u64 (w, "channels", 3);
  fvc_safetensors_writer_set_metadata (w, "input", INPUT_DESCRIPTION);
  set_u64 (w, "batch_size", info->batch_size);
  set_u64 (w, "accumulation_steps", info->accumulation_steps);
  set_double (w, "learning_rate", info->adamw.lr);
  set_double (w, "weight_decay", info->adamw.weight_decay);
  set_double (w, "beta1", info->adamw.beta1);
  set_double (w, "beta2", info->adamw.beta2);
  set_double (w, "eps", info->adamw.eps);
  set_u64 (w, "epochs", info->epochs);
  set_u64 (w, "steps", info->steps);
  set_u64 (w, "clips", info->clips);
  set_u64 (w, "seed", info->seed);
  fvc_safetensors_writer_set_metadata (w, "fvc_version", FVC_VERSION);

  if (!be->synchronize (be, error) || (host = host_bytes (be, params, keep, error)) == NULL)
    return FALSE;
  add_arena (w, params, host, "", names);
  if (opt != NULL) {
    if ((host = host_bytes (be, opt, keep, error)) == NULL)
      return FALSE;
    add_arena (w, opt, host, FVC_CHECKPOINT_OPTIMIZER_PREFIX, names);
  }
  return fvc_safetensors_writer_write_file (w, path, error);
}
