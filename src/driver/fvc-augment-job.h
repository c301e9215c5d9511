/* fvc-augment-job.h — the extraction settings of `augment` (and `run`): command-line options,
 * their resolution (defaults < FVC_* environment < flags), the cache fingerprint they imply,
 * and the pipeline for one video built from pipelines/augment*.pipeline. */
#pragma once

#include "fvc-augment.h"
#include "fvc-cache.h"
#include "fvc-index.h"
#include "fvc-sampler.h"

#include <gst/gst.h>

G_BEGIN_DECLS

/* Raw option values (-1 / NULL: not given). */
typedef struct {
  char *index_path;
  char *cache_dir;
  char *video_root;
  gint num_frames;
  gint size;
  gint augmentations;
  gint jobs;
  gint decoder_threads;
  char *strategy;
  char *short_video;
  char *incomplete;
  gboolean fail_fast;
  gboolean no_plan;
  gboolean verbose;
} FvcAugmentJobOptions;

typedef struct {
  guint num_frames;
  guint size;
  guint augmentations;
  guint jobs;
  guint decoder_threads;        /* 0: the decoder decides */
  FvcSampleStrategy strategy;
  FvcShortVideoPolicy short_video;
  gboolean use_incomplete;      /* keep files whose container promises more frames than exist */
  gboolean fail_fast;
  gboolean plan;                /* fvcdecodegate executes the decode plan */
  gboolean verbose;
  FvcAugmentSettings augment;
} FvcAugmentJobConfig;

void fvc_augment_job_options_init (FvcAugmentJobOptions *opts);
void fvc_augment_job_options_clear (FvcAugmentJobOptions *opts);
/* GOptionEntry table bound to @opts (static storage, one command per process). */
GOptionEntry *fvc_augment_job_option_entries (FvcAugmentJobOptions *opts);
/* Applies defaults and FVC_NUM_FRAMES / FVC_FIXED_SIZE, validates. */
gboolean fvc_augment_job_options_resolve (const FvcAugmentJobOptions *opts, FvcAugmentJobConfig *cfg,
                                          GError **error);
/* The cache fingerprint these settings produce. */
void fvc_augment_job_cache_config (const FvcAugmentJobConfig *cfg, FvcCacheConfig *out);

/* Checks the video (frame index: readable, a video stream, complete, a decoder for it) and
 * builds its pipeline. Errors are one line naming the video; FVC_ERROR_TOO_SHORT for a video
 * the short-video policy skips. (transfer full) */
GstElement *fvc_augment_job_build (const FvcAugmentJobConfig *cfg, const FvcVideoEntry *entry,
                                   const char *index_dir, const char *cache_dir, GError **error);

G_END_DECLS
