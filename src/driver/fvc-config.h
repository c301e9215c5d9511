/* fvc-config.h — the configuration of a k-fold run: defaults < INI file (GKeyFile) < environment
 * (FVC_NUM_FRAMES, FVC_FIXED_SIZE) < command-line flags, resolved into one GKeyFile (written to
 * runs/run_NNN/config.ini, each key with a comment saying where its value came from) and the
 * typed values below. Per-model memory configs (batch size, accumulation steps) default to the
 * training core's table and are overridden per model in [model.<name>] groups.
 *
 *   [run]      index, video_root, folds, models (comma-separated), seed, jobs, cache, memstats
 *   [extract]  num_frames, size, augmentations, strategy, short_video
 *   [train]    epochs, learning_rate, weight_decay, device, progress_interval
 *   [model.X]  batch_size, accumulation_steps, epochs, learning_rate, weight_decay
 *
 * Unknown groups and keys in a file are errors (a typo must not silently fall back to a
 * default). Flags that set a [train] value (--epochs, --learning-rate, --weight-decay) set it for
 * every model, over [model.X] values from the file.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  FVC_MEMSTATS_OFF,
  FVC_MEMSTATS_BASIC,      /* one sample at every stage boundary */
  FVC_MEMSTATS_DETAILED,   /* also per video, per epoch and every second while training */
} FvcMemstatsMode;

/* "off", "basic", "detailed" */
const char *fvc_memstats_mode_name (FvcMemstatsMode mode);

typedef struct {
  char *name;
  guint batch_size;
  guint accumulation_steps;
  guint epochs;
  double learning_rate;
  double weight_decay;
} FvcModelSettings;

typedef struct {
  GKeyFile *resolved;        /* what config.ini holds */
  /* [run] */
  char *index_path;          /* NULL when not given (train/eval do not need it) */
  char *video_root;          /* NULL: the index file's directory */
  guint folds;
  char **models;
  guint n_models;
  guint32 seed;
  guint jobs;                /* 0: as many as cores */
  char *cache;               /* a persistent cache; NULL: the run's own */
  FvcMemstatsMode memstats;
  /* [extract] */
  guint num_frames;
  guint size;
  guint augmentations;
  char *strategy;
  char *short_video;
  /* [train] */
  guint epochs;
  double learning_rate;
  double weight_decay;
  char *device;
  guint progress_interval;   /* optimizer steps between progress messages */
  FvcModelSettings *model;   /* n_models, in models order */
} FvcRunConfig;

/* Values given on the command line; -1 / NULL / NaN: not given. */
typedef struct {
  char *config_file;
  char *index_path;
  char *video_root;
  char *cache;
  char *models;
  char *device;
  char *memstats;
  gint folds;
  gint epochs;
  gint num_frames;
  gint size;
  gint augmentations;
  gint jobs;
  gint64 seed;
  double learning_rate;
  double weight_decay;
} FvcRunFlags;

void fvc_run_flags_init (FvcRunFlags *flags);
void fvc_run_flags_clear (FvcRunFlags *flags);

/* Resolves the layers. @use_env FALSE skips the environment (train/eval on an existing run, whose
 * config.ini is the file layer and whose cache was built with its values). */
gboolean fvc_run_config_resolve (FvcRunConfig *cfg, const FvcRunFlags *flags, gboolean use_env, GError **error);
void fvc_run_config_clear (FvcRunConfig *cfg);
/* NULL when @name is not one of the run's models. */
const FvcModelSettings *fvc_run_config_get_model (const FvcRunConfig *cfg, const char *name);
/* Writes the resolved configuration atomically. */
gboolean fvc_run_config_write (const FvcRunConfig *cfg, const char *path, GError **error);

G_END_DECLS
