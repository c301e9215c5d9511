/* fvc-augment-job.h — the extraction settings of `augment` (and `run`): command-line options,
 * their resolution (defaults < FVC_* environment < flags), the cache fingerprint they imply,
 * the pipeline for one video built from pipelines/augment*.pipeline, and the loop that runs
 * those pipelines over a whole index with the books kept (both `augment` and `run` call it). */
#pragma once

#include "fvc-augment.h"
#include "fvc-cache.h"
#include "fvc-index.h"
#include "fvc-sampler.h"

#include <gst/gst.h>

G_BEGIN_DECLS

#define FVC_AUGMENT_JOB_DEFAULT_NUM_FRAMES 6
#define FVC_AUGMENT_JOB_DEFAULT_AUGMENTATIONS 1

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
  gboolean decoder_threads_auto; /* not given: cores / the jobs actually running (extract) */
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

/* What the pipelines of one extraction have in common, worked out once instead of per video:
 * the clip branches (augment-branch.pipeline loaded and filled), the decoder per caps string (a
 * registry search) and, per decoder, which of the options max-threads and output-corrupt it
 * takes (an instance made to look). Any cfg and cache_dir may be used with it (the branches are
 * filled again when they change); main thread only. */
typedef struct _FvcAugmentJobShared FvcAugmentJobShared;

FvcAugmentJobShared *fvc_augment_job_shared_new (void);
void fvc_augment_job_shared_free (FvcAugmentJobShared *shared);

/* Checks the video (frame index: readable, a video stream, complete, a decoder for it) and
 * builds its pipeline; its fvcsample gets the frame index checked here. @shared: kept between
 * the videos of an extraction, or NULL for one video on its own. Errors are one line naming the
 * video; FVC_ERROR_TOO_SHORT for a video the short-video policy skips. (transfer full) */
GstElement *fvc_augment_job_build (const FvcAugmentJobConfig *cfg, const FvcVideoEntry *entry,
                                   const char *index_dir, const char *cache_dir, FvcAugmentJobShared *shared,
                                   GError **error);

/* ---- extraction of a whole index ---------------------------------------------------------- */

typedef enum {
  FVC_VIDEO_PENDING,     /* not finished (interrupted) */
  FVC_VIDEO_CACHED,      /* complete in the cache already */
  FVC_VIDEO_OK,
  FVC_VIDEO_SKIPPED,     /* the short-video policy or the sampler skipped it */
  FVC_VIDEO_FAILED,
} FvcVideoStatus;

typedef struct {
  FvcVideoStatus status;
  char *reason;            /* skipped/failed: one line */
  guint clips;             /* clips written by this extraction */
  guint64 demuxed, fed, decoded, used;
} FvcVideoOutcome;

/* "skipped: REASON" or "failed: REASON": how an excluded video is reported everywhere
 * (failures.csv, excluded.csv, the run's warnings and results). (transfer full) */
char *fvc_video_outcome_describe (const FvcVideoOutcome *outcome);

typedef struct {
  guint n_videos;
  FvcVideoOutcome *videos;   /* index order */
  guint n_ok, n_cached, n_skipped, n_failed, clips;
  guint64 demuxed, fed, decoded, used;
} FvcExtraction;

/* Optional observers (the run's memory statistics). Called on the calling thread. */
typedef struct {
  void (*pipeline_started) (GstElement *pipeline, gpointer user_data);
  void (*video_done) (const FvcVideoEntry *entry, const FvcVideoOutcome *outcome, gpointer user_data);
  gpointer user_data;
} FvcExtractionHooks;

/* Extracts every video of @index not complete in @cache (opened for writing), at most cfg->jobs
 * pipelines at once in this process, with progress; a video whose decode fails under the decode
 * plan is retried once without it. Then rewrites the metadata in canonical order and writes
 * failures.csv. Failed and skipped videos are not errors (see @out); FALSE for an I/O error,
 * FVC_ERROR_CANCELLED on Ctrl-C (a later run resumes). @out is filled in every case; clear it
 * with fvc_extraction_clear(). */
gboolean fvc_augment_job_extract (const FvcAugmentJobConfig *cfg, const FvcVideoIndex *index, FvcCache *cache,
                                  const FvcExtractionHooks *hooks, FvcExtraction *out, GError **error);
/* The summary lines (videos, clips, frames, wall time, peak RSS) into the log. */
void fvc_extraction_log_summary (const FvcExtraction *ex, double wall_s);
void fvc_extraction_clear (FvcExtraction *ex);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FvcAugmentJobShared, fvc_augment_job_shared_free)

G_END_DECLS
