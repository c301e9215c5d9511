/* fvc-config.c — run configuration layers (see fvc-config.h). Every layer writes strings into
 * one GKeyFile through the key table below; the typed values are parsed and checked once, from
 * the merged file, so a value is validated the same way whichever layer gave it. */
#include "fvc-config.h"
#include "fvc-augment-job.h"
#include "fvc-augment.h"
#include "fvc-error.h"
#include "fvc-fileutil.h"
#include "fvc-model.h"
#include "fvc-optim.h"
#include "fvc-sampler.h"

#include <math.h>
#include <string.h>

#define MODEL_GROUP_PREFIX "model."
#define DEFAULT_MODELS "logistic_regression,svm,naive_cnn"
#define DEFAULT_FOLDS 5
#define DEFAULT_SEED 42
#define DEFAULT_EPOCHS 10
#define DEFAULT_PROGRESS_INTERVAL 1

typedef enum {
  K_STRING,   /* any text ("" allowed where it means "not set") */
  K_UINT,     /* 0..G_MAXUINT, range checked after parsing */
  K_DOUBLE,   /* finite, >= 0 */
} KeyType;

typedef struct {
  const char *group;
  const char *key;
  KeyType type;
  const char *env;      /* environment variable, or NULL */
  const char *help;     /* comment in config.ini */
} KeyDef;

static const KeyDef run_keys[] = {
  { "run", "index", K_STRING, NULL, "video index CSV" },
  { "run", "video_root", K_STRING, NULL, "directory relative video paths are resolved against (empty: the index's)" },
  { "run", "folds", K_UINT, NULL, "k of the k-fold cross-validation" },
  { "run", "models", K_STRING, NULL, "models to train, comma-separated" },
  { "run", "seed", K_UINT, NULL, "folds, shuffling and initialisation" },
  { "run", "jobs", K_UINT, NULL, "videos extracted at once (0: one per core)" },
  { "run", "cache", K_STRING, NULL, "persistent clip cache (empty: the run's own)" },
  { "run", "memstats", K_STRING, NULL, "off, basic or detailed" },
  { "extract", "num_frames", K_UINT, "FVC_NUM_FRAMES", "frames per clip" },
  { "extract", "size", K_UINT, "FVC_FIXED_SIZE", "clip frame size in pixels" },
  { "extract", "augmentations", K_UINT, NULL, "augmented clips per video besides the base clip" },
  { "extract", "strategy", K_STRING, NULL, "frame sampling: uniform or random-segment" },
  { "extract", "short_video", K_STRING, NULL, "videos shorter than num_frames: skip, pad or error" },
  { "train", "epochs", K_UINT, NULL, "passes over the training clips" },
  { "train", "learning_rate", K_DOUBLE, NULL, "AdamW learning rate" },
  { "train", "weight_decay", K_DOUBLE, NULL, "AdamW weight decay" },
  { "train", "device", K_STRING, NULL, "cpu or cuda" },
  { "train", "progress_interval", K_UINT, NULL, "optimizer steps between rows of train_log.csv" },
};

/* Keys of a [model.<name>] group; their defaults come from the model table and [train]. */
static const KeyDef model_keys[] = {
  { NULL, "batch_size", K_UINT, NULL, "clips per micro-batch" },
  { NULL, "accumulation_steps", K_UINT, NULL, "micro-batches per optimizer step" },
  { NULL, "epochs", K_UINT, NULL, NULL },
  { NULL, "learning_rate", K_DOUBLE, NULL, NULL },
  { NULL, "weight_decay", K_DOUBLE, NULL, NULL },
};

const char *
fvc_memstats_mode_name (FvcMemstatsMode mode)
{
  switch (mode) {
  case FVC_MEMSTATS_BASIC:
    return "basic";
  case FVC_MEMSTATS_DETAILED:
    return "detailed";
  default:
    return "off";
  }
}

void
fvc_run_flags_init (FvcRunFlags *flags)
{
  memset (flags, 0, sizeof *flags);
  flags->folds = flags->epochs = flags->num_frames = flags->size = flags->augmentations = flags->jobs = -1;
  flags->seed = -1;
  flags->learning_rate = flags->weight_decay = NAN;
}

void
fvc_run_flags_clear (FvcRunFlags *flags)
{
  g_clear_pointer (&flags->config_file, g_free);
  g_clear_pointer (&flags->index_path, g_free);
  g_clear_pointer (&flags->video_root, g_free);
  g_clear_pointer (&flags->cache, g_free);
  g_clear_pointer (&flags->models, g_free);
  g_clear_pointer (&flags->device, g_free);
  g_clear_pointer (&flags->memstats, g_free);
}

/* ---- layers --------------------------------------------------------------------------------- */

typedef struct {
  GKeyFile *kf;
  GHashTable *source;   /* "group/key" -> where the value came from */
} Layers;

static void
set_value (Layers *l, const char *group, const char *key, const char *value, const char *source)
{
  g_key_file_set_string (l->kf, group, key, value);
  g_hash_table_insert (l->source, g_strdup_printf ("%s/%s", group, key), g_strdup (source));
}

static char *
format_double (double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  return g_strdup (g_ascii_dtostr (buf, sizeof buf, v));
}

static void
set_uint (Layers *l, const char *group, const char *key, guint64 v, const char *source)
{
  g_autofree char *text = g_strdup_printf ("%" G_GUINT64_FORMAT, v);
  set_value (l, group, key, text, source);
}

static void
set_double (Layers *l, const char *group, const char *key, double v, const char *source)
{
  g_autofree char *text = format_double (v);
  set_value (l, group, key, text, source);
}

static gboolean
is_model_group (const char *group)
{
  return g_str_has_prefix (group, MODEL_GROUP_PREFIX) && group[strlen (MODEL_GROUP_PREFIX)] != '\0';
}

static const KeyDef *
find_key (const char *group, const char *key)
{
  const KeyDef *table = is_model_group (group) ? model_keys : run_keys;
  guint n = is_model_group (group) ? G_N_ELEMENTS (model_keys) : G_N_ELEMENTS (run_keys);

  for (guint i = 0; i < n; i++)
    if ((table[i].group == NULL || strcmp (table[i].group, group) == 0) && strcmp (table[i].key, key) == 0)
      return &table[i];
  return NULL;
}

static gboolean
apply_file (Layers *l, const char *path, GError **error)
{
  g_autoptr (GKeyFile) file = g_key_file_new ();
  g_auto (GStrv) groups = NULL;
  g_autofree char *source = g_strdup_printf ("config file %s", path);

  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, error)) {
    g_prefix_error (error, "%s: ", path);
    return FALSE;
  }
  groups = g_key_file_get_groups (file, NULL);
  for (guint g = 0; groups[g]; g++) {
    g_auto (GStrv) keys = g_key_file_get_keys (file, groups[g], NULL, NULL);
    for (guint k = 0; keys && keys[k]; k++) {
      g_autofree char *value = NULL;
      if (find_key (groups[g], keys[k]) == NULL) {
        g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE, "%s: unknown setting [%s] %s", path, groups[g], keys[k]);
        return FALSE;
      }
      value = g_key_file_get_string (file, groups[g], keys[k], error);
      if (value == NULL) {
        g_prefix_error (error, "%s: ", path);
        return FALSE;
      }
      set_value (l, groups[g], keys[k], g_strstrip (value), source);
    }
  }
  return TRUE;
}

static void
apply_env (Layers *l)
{
  for (guint i = 0; i < G_N_ELEMENTS (run_keys); i++) {
    const char *v = run_keys[i].env ? g_getenv (run_keys[i].env) : NULL;
    if (v != NULL) {
      g_autofree char *source = g_strdup_printf ("environment %s", run_keys[i].env);
      set_value (l, run_keys[i].group, run_keys[i].key, v, source);
    }
  }
}

static void
apply_flags (Layers *l, const FvcRunFlags *f)
{
  const char *src = "command line";

  if (f->index_path)
    set_value (l, "run", "index", f->index_path, src);
  if (f->video_root)
    set_value (l, "run", "video_root", f->video_root, src);
  if (f->folds >= 0)
    set_uint (l, "run", "folds", (guint) f->folds, src);
  if (f->models)
    set_value (l, "run", "models", f->models, src);
  if (f->seed >= 0)
    set_uint (l, "run", "seed", (guint64) f->seed, src);
  if (f->jobs >= 0)
    set_uint (l, "run", "jobs", (guint) f->jobs, src);
  if (f->cache)
    set_value (l, "run", "cache", f->cache, src);
  if (f->memstats)
    set_value (l, "run", "memstats", f->memstats, src);
  if (f->num_frames >= 0)
    set_uint (l, "extract", "num_frames", (guint) f->num_frames, src);
  if (f->size >= 0)
    set_uint (l, "extract", "size", (guint) f->size, src);
  if (f->augmentations >= 0)
    set_uint (l, "extract", "augmentations", (guint) f->augmentations, src);
  if (f->device)
    set_value (l, "train", "device", f->device, src);
  if (f->epochs >= 0)
    set_uint (l, "train", "epochs", (guint) f->epochs, src);
  if (!isnan (f->learning_rate))
    set_double (l, "train", "learning_rate", f->learning_rate, src);
  if (!isnan (f->weight_decay))
    set_double (l, "train", "weight_decay", f->weight_decay, src);
}

/* ---- typed values ---------------------------------------------------------------------------- */

static gboolean
get_uint (GKeyFile *kf, const char *group, const char *key, guint min, guint max, guint *out, GError **error)
{
  g_autofree char *v = g_key_file_get_string (kf, group, key, NULL);
  guint64 parsed;

  if (v == NULL || !g_ascii_string_to_unsigned (v, 10, min, max, &parsed, NULL)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "[%s] %s must be an integer in %u..%u, got \"%s\"",
                 group, key, min, max, v ? v : "");
    return FALSE;
  }
  *out = (guint) parsed;
  return TRUE;
}

static gboolean
get_double (GKeyFile *kf, const char *group, const char *key, double *out, GError **error)
{
  g_autofree char *v = g_key_file_get_string (kf, group, key, NULL);
  char *end = NULL;
  double d = v ? g_ascii_strtod (v, &end) : NAN;

  if (v == NULL || end == v || *end != '\0' || !isfinite (d) || d < 0) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "[%s] %s must be a number >= 0, got \"%s\"", group,
                 key, v ? v : "");
    return FALSE;
  }
  *out = d;
  return TRUE;
}

static char *
get_string (GKeyFile *kf, const char *group, const char *key)
{
  char *v = g_key_file_get_string (kf, group, key, NULL);
  if (v != NULL && *v == '\0')
    g_clear_pointer (&v, g_free);
  return v;
}

static gboolean
parse_models (FvcRunConfig *cfg, GError **error)
{
  g_autofree char *text = g_key_file_get_string (cfg->resolved, "run", "models", NULL);
  g_auto (GStrv) parts = g_strsplit (text ? text : "", ",", -1);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; parts[i]; i++) {
    char *name = g_strstrip (parts[i]);
    if (*name == '\0')
      continue;
    if (fvc_model_info_lookup (name) == NULL) {
      g_autofree char *known = fvc_model_names (", ");
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "unknown model \"%s\" (known: %s)", name, known);
      return FALSE;
    }
    for (guint j = 0; j < names->len; j++)
      if (strcmp (names->pdata[j], name) == 0) {
        g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "model \"%s\" listed twice", name);
        return FALSE;
      }
    g_ptr_array_add (names, g_strdup (name));
  }
  if (names->len == 0) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "no models to train ([run] models is empty)");
    return FALSE;
  }
  cfg->n_models = names->len;
  g_ptr_array_add (names, NULL);
  cfg->models = (char **) g_ptr_array_steal (names, NULL);
  return TRUE;
}

static gboolean
parse_typed (FvcRunConfig *cfg, GError **error)
{
  GKeyFile *kf = cfg->resolved;
  g_autofree char *memstats = NULL;
  g_autofree char *seed = NULL;
  guint64 seed_value;
  FvcSampleStrategy strategy;
  FvcShortVideoPolicy short_video;

  cfg->index_path = get_string (kf, "run", "index");
  cfg->video_root = get_string (kf, "run", "video_root");
  cfg->cache = get_string (kf, "run", "cache");
  if (!get_uint (kf, "run", "folds", 2, 1000, &cfg->folds, error) || !parse_models (cfg, error) ||
      !get_uint (kf, "run", "jobs", 0, 1024, &cfg->jobs, error))
    return FALSE;
  seed = g_key_file_get_string (kf, "run", "seed", NULL);
  if (seed == NULL || !g_ascii_string_to_unsigned (seed, 10, 0, G_MAXUINT32, &seed_value, NULL)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "[run] seed must be an integer in 0..%u, got \"%s\"",
                 G_MAXUINT32, seed ? seed : "");
    return FALSE;
  }
  cfg->seed = (guint32) seed_value;
  memstats = g_key_file_get_string (kf, "run", "memstats", NULL);
  if (g_strcmp0 (memstats, "off") == 0)
    cfg->memstats = FVC_MEMSTATS_OFF;
  else if (g_strcmp0 (memstats, "basic") == 0)
    cfg->memstats = FVC_MEMSTATS_BASIC;
  else if (g_strcmp0 (memstats, "detailed") == 0)
    cfg->memstats = FVC_MEMSTATS_DETAILED;
  else {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "[run] memstats must be off, basic or detailed, got \"%s\"",
                 memstats ? memstats : "");
    return FALSE;
  }

  if (!get_uint (kf, "extract", "num_frames", 1, 4096, &cfg->num_frames, error) ||
      !get_uint (kf, "extract", "size", FVC_AUGMENT_MIN_SIZE, FVC_AUGMENT_MAX_SIZE, &cfg->size, error) ||
      !get_uint (kf, "extract", "augmentations", 0, 1000, &cfg->augmentations, error))
    return FALSE;
  cfg->strategy = g_key_file_get_string (kf, "extract", "strategy", NULL);
  cfg->short_video = g_key_file_get_string (kf, "extract", "short_video", NULL);
  if (!fvc_sample_strategy_from_name (cfg->strategy, &strategy) ||
      (strategy != FVC_SAMPLE_UNIFORM && strategy != FVC_SAMPLE_RANDOM_SEGMENT)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "[extract] strategy must be uniform or random-segment, got \"%s\"", cfg->strategy);
    return FALSE;
  }
  if (!fvc_short_video_policy_from_name (cfg->short_video, &short_video)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "[extract] short_video must be skip, pad or error, got \"%s\"", cfg->short_video);
    return FALSE;
  }

  if (!get_uint (kf, "train", "epochs", 1, 100000, &cfg->epochs, error) ||
      !get_double (kf, "train", "learning_rate", &cfg->learning_rate, error) ||
      !get_double (kf, "train", "weight_decay", &cfg->weight_decay, error) ||
      !get_uint (kf, "train", "progress_interval", 1, G_MAXINT, &cfg->progress_interval, error))
    return FALSE;
  cfg->device = g_key_file_get_string (kf, "train", "device", NULL);
  if (g_strcmp0 (cfg->device, "cpu") != 0 && g_strcmp0 (cfg->device, "cuda") != 0) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "[train] device must be cpu or cuda, got \"%s\"",
                 cfg->device);
    return FALSE;
  }

  cfg->model = g_new0 (FvcModelSettings, cfg->n_models);
  for (guint i = 0; i < cfg->n_models; i++) {
    FvcModelSettings *m = &cfg->model[i];
    g_autofree char *group = g_strconcat (MODEL_GROUP_PREFIX, cfg->models[i], NULL);
    m->name = g_strdup (cfg->models[i]);
    if (!get_uint (kf, group, "batch_size", 1, 65536, &m->batch_size, error) ||
        !get_uint (kf, group, "accumulation_steps", 1, 65536, &m->accumulation_steps, error) ||
        !get_uint (kf, group, "epochs", 1, 100000, &m->epochs, error) ||
        !get_double (kf, group, "learning_rate", &m->learning_rate, error) ||
        !get_double (kf, group, "weight_decay", &m->weight_decay, error))
      return FALSE;
  }
  return TRUE;
}

gboolean
fvc_run_config_resolve (FvcRunConfig *cfg, const FvcRunFlags *flags, gboolean use_env, GError **error)
{
  Layers l;
  g_auto (GStrv) groups = NULL;
  g_autofree char *models = NULL;
  const char *def = "default";

  memset (cfg, 0, sizeof *cfg);
  cfg->resolved = g_key_file_new ();
  l.kf = cfg->resolved;
  l.source = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  set_value (&l, "run", "index", "", def);
  set_value (&l, "run", "video_root", "", def);
  set_uint (&l, "run", "folds", DEFAULT_FOLDS, def);
  set_value (&l, "run", "models", DEFAULT_MODELS, def);
  set_uint (&l, "run", "seed", DEFAULT_SEED, def);
  set_uint (&l, "run", "jobs", 0, def);
  set_value (&l, "run", "cache", "", def);
  set_value (&l, "run", "memstats", "off", def);
  set_uint (&l, "extract", "num_frames", FVC_AUGMENT_JOB_DEFAULT_NUM_FRAMES, def);
  set_uint (&l, "extract", "size", FVC_AUGMENT_DEFAULT_SIZE, def);
  set_uint (&l, "extract", "augmentations", FVC_AUGMENT_JOB_DEFAULT_AUGMENTATIONS, def);
  set_value (&l, "extract", "strategy", "uniform", def);
  set_value (&l, "extract", "short_video", "skip", def);
  set_uint (&l, "train", "epochs", DEFAULT_EPOCHS, def);
  set_double (&l, "train", "learning_rate", FVC_ADAMW_DEFAULT_LR, def);
  set_double (&l, "train", "weight_decay", FVC_ADAMW_DEFAULT_WEIGHT_DECAY, def);
  set_value (&l, "train", "device", "cpu", def);
  set_uint (&l, "train", "progress_interval", DEFAULT_PROGRESS_INTERVAL, def);

  if (flags->config_file && !apply_file (&l, flags->config_file, error))
    goto fail;
  if (use_env)
    apply_env (&l);
  apply_flags (&l, flags);

  /* Model groups: the model table's memory config and the [train] values, under what the file
   * said for that model, under the flags that set [train] values for every model. */
  models = g_key_file_get_string (l.kf, "run", "models", NULL);
  {
    g_auto (GStrv) names = g_strsplit (models ? models : "", ",", -1);
    for (guint i = 0; names[i]; i++) {
      const char *name = g_strstrip (names[i]);
      const FvcModelInfo *info = fvc_model_info_lookup (name);
      g_autofree char *group = g_strconcat (MODEL_GROUP_PREFIX, name, NULL);
      const char *train_keys[] = { "epochs", "learning_rate", "weight_decay" };
      if (info == NULL)
        continue; /* parse_models() names it */
      if (!g_key_file_has_key (l.kf, group, "batch_size", NULL))
        set_uint (&l, group, "batch_size", fvc_model_info_get_memory_config (info)->batch_size, "model default");
      if (!g_key_file_has_key (l.kf, group, "accumulation_steps", NULL))
        set_uint (&l, group, "accumulation_steps", fvc_model_info_get_memory_config (info)->accumulation_steps,
                  "model default");
      for (guint k = 0; k < G_N_ELEMENTS (train_keys); k++) {
        g_autofree char *key = g_strdup_printf ("train/%s", train_keys[k]);
        const char *src = g_hash_table_lookup (l.source, key);
        if (!g_key_file_has_key (l.kf, group, train_keys[k], NULL) || g_strcmp0 (src, "command line") == 0) {
          g_autofree char *v = g_key_file_get_string (l.kf, "train", train_keys[k], NULL);
          g_autofree char *from = g_strdup_printf ("[train] %s", train_keys[k]);
          set_value (&l, group, train_keys[k], v, from);
        }
      }
    }
  }
  /* Groups of models this run does not train are dropped from what it writes. */
  groups = g_key_file_get_groups (l.kf, NULL);
  for (guint g = 0; groups[g]; g++) {
    if (is_model_group (groups[g])) {
      const char *name = groups[g] + strlen (MODEL_GROUP_PREFIX);
      g_auto (GStrv) names = g_strsplit (models ? models : "", ",", -1);
      gboolean used = FALSE;
      for (guint i = 0; names[i]; i++)
        used |= strcmp (g_strstrip (names[i]), name) == 0;
      if (!used)
        g_key_file_remove_group (l.kf, groups[g], NULL);
    }
  }
  /* Comments: what each key is and where its value came from. */
  g_strfreev (groups);
  groups = g_key_file_get_groups (l.kf, NULL);
  for (guint g = 0; groups[g]; g++) {
    g_auto (GStrv) keys = g_key_file_get_keys (l.kf, groups[g], NULL, NULL);
    for (guint k = 0; keys && keys[k]; k++) {
      const KeyDef *kd = find_key (groups[g], keys[k]);
      g_autofree char *id = g_strdup_printf ("%s/%s", groups[g], keys[k]);
      const char *src = g_hash_table_lookup (l.source, id);
      g_autofree char *comment = g_strdup_printf (" %s%s(from %s)", kd && kd->help ? kd->help : "",
                                                  kd && kd->help ? " " : "", src ? src : "?");
      g_key_file_set_comment (l.kf, groups[g], keys[k], comment, NULL);
    }
  }
  g_hash_table_unref (l.source);
  if (!parse_typed (cfg, error)) {
    fvc_run_config_clear (cfg);
    return FALSE;
  }
  return TRUE;

fail:
  g_hash_table_unref (l.source);
  fvc_run_config_clear (cfg);
  return FALSE;
}

void
fvc_run_config_clear (FvcRunConfig *cfg)
{
  for (guint i = 0; cfg->model && i < cfg->n_models; i++)
    g_free (cfg->model[i].name);
  g_clear_pointer (&cfg->model, g_free);
  g_clear_pointer (&cfg->resolved, g_key_file_unref);
  g_clear_pointer (&cfg->index_path, g_free);
  g_clear_pointer (&cfg->video_root, g_free);
  g_clear_pointer (&cfg->models, g_strfreev);
  g_clear_pointer (&cfg->cache, g_free);
  g_clear_pointer (&cfg->strategy, g_free);
  g_clear_pointer (&cfg->short_video, g_free);
  g_clear_pointer (&cfg->device, g_free);
  cfg->n_models = 0;
}

const FvcModelSettings *
fvc_run_config_get_model (const FvcRunConfig *cfg, const char *name)
{
  for (guint i = 0; i < cfg->n_models; i++)
    if (strcmp (cfg->model[i].name, name) == 0)
      return &cfg->model[i];
  return NULL;
}

gboolean
fvc_run_config_write (const FvcRunConfig *cfg, const char *path, GError **error)
{
  g_autofree char *text = g_key_file_to_data (cfg->resolved, NULL, NULL);
  g_autofree char *out = g_strdup_printf ("# fvc-stream run configuration, as resolved: defaults < config file <\n"
                                          "# environment < command line. `fvc-stream run --config` reads this file.\n%s",
                                          text);
  return fvc_file_write_atomic_string (path, out, error);
}
