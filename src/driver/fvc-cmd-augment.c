/* fvc-cmd-augment.c — `fvc-stream augment`: builds one pipeline per video from
 * pipelines/augment.pipeline (+ one augment-branch.pipeline per clip), runs at most --jobs of
 * them at once in this process, and keeps the books: cache repair and resume, failures.csv,
 * the canonical metadata order, progress and the summary. The work itself happens in the
 * elements. */
#include "config.h"
#include "fvc-cli.h"
#include "fvc-augment-job.h"

#include "fvc-cache.h"
#include "fvc-clip.h"
#include "fvc-error.h"
#include "fvc-frame-index.h"
#include "fvc-index.h"
#include "fvc-memstats.h"
#include "fvc-pipeline.h"
#include "fvc-sampler.h"

#include <gst/gst.h>
#include <string.h>

typedef enum {
  VIDEO_PENDING,
  VIDEO_DONE_BEFORE,  /* complete in the cache already */
  VIDEO_OK,
  VIDEO_SKIPPED,
  VIDEO_FAILED,
} VideoStatus;

typedef struct {
  const FvcVideoEntry *entry;
  VideoStatus status;
  char *reason;
  guint64 demuxed, fed, decoded, used, total_frames;
  guint clips;
  gboolean without_plan;      /* retried with the decode plan off */
  FvcPipelineRun *run;
} VideoJob;

typedef struct {
  FvcAugmentJobConfig cfg;
  FvcVideoIndex *index;
  FvcCache *cache;
  char *index_dir;
  VideoJob *jobs;
  guint n_jobs;
  guint next;
  guint running;
  guint finished;
  guint to_do;
  gboolean stopping;
  gboolean cancelled;
  GMainLoop *loop;
  FvcProgress *progress;
} AugmentRun;

static void launch_more (AugmentRun *ar);
static void launch_one (AugmentRun *ar, VideoJob *job);

static void
job_fail (AugmentRun *ar, VideoJob *job, VideoStatus status, const char *reason)
{
  job->status = status;
  g_free (job->reason);
  job->reason = g_strdup (reason);
  fvc_log_warning ("%s %s: %s", status == VIDEO_SKIPPED ? "skipped" : "failed", job->entry->video_path, reason);
  if (status == VIDEO_FAILED && ar->cfg.fail_fast && !ar->stopping) {
    ar->stopping = TRUE;
    for (guint i = 0; i < ar->n_jobs; i++)
      if (ar->jobs[i].run != NULL && &ar->jobs[i] != job)
        fvc_pipeline_run_cancel (ar->jobs[i].run);
  }
}

static void
update_progress (AugmentRun *ar, const VideoJob *job)
{
  g_autofree char *detail = g_strdup_printf ("%s", job->entry->video_path);
  fvc_progress_update (ar->progress, ar->finished, detail);
}

static void
on_element_message (FvcPipelineRun *run, GstMessage *msg, gpointer user_data)
{
  VideoJob *job = user_data;
  const GstStructure *s = gst_message_get_structure (msg);

  if (gst_structure_has_name (s, "fvc-sample")) {
    gboolean skipped = FALSE;
    gst_structure_get_uint64 (s, "frames-decoded", &job->decoded);
    gst_structure_get_uint64 (s, "frames-passed", &job->used);
    gst_structure_get_uint64 (s, "total-frames", &job->total_frames);
    gst_structure_get_boolean (s, "skipped", &skipped);
    if (skipped) {
      job->status = VIDEO_SKIPPED;
      g_free (job->reason);
      job->reason = g_strdup (gst_structure_get_string (s, "reason"));
    }
  } else if (gst_structure_has_name (s, "fvc-decode-gate")) {
    gst_structure_get_uint64 (s, "packets-demuxed", &job->demuxed);
    gst_structure_get_uint64 (s, "packets-fed", &job->fed);
  } else if (gst_structure_has_name (s, "fvc-clip-written")) {
    job->clips++;
  }
}

static void
on_job_done (FvcPipelineRun *run, const GError *error, gpointer user_data)
{
  VideoJob *job = user_data;
  AugmentRun *ar = g_object_get_data (G_OBJECT (fvc_pipeline_run_get_pipeline (run)), "fvc-augment-run");

  job->run = NULL;
  ar->running--;
  ar->finished++;
  if (error != NULL) {
    if (g_error_matches (error, FVC_ERROR, FVC_ERROR_CANCELLED)) {
      job->status = VIDEO_PENDING; /* not finished: the next run resumes it */
    } else if (g_error_matches (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE) && ar->cfg.plan &&
               !job->without_plan && !ar->stopping) {
      /* A sampled frame did not come out of a planned decode (a decoder that does not restart
       * cleanly where the plan jumps): once more, decoding everything up to the last target. */
      fvc_log_warning ("%s: %s; retrying without the decode plan", job->entry->video_path, error->message);
      job->without_plan = TRUE;
      job->clips = 0;
      ar->finished--;
      launch_one (ar, job);
      return;
    } else {
      job_fail (ar, job, VIDEO_FAILED, error->message);
    }
  } else if (job->status == VIDEO_SKIPPED) {
    job_fail (ar, job, VIDEO_SKIPPED, job->reason ? job->reason : "skipped");
  } else if (job->clips != ar->cfg.augmentations + 1) {
    g_autofree char *reason = g_strdup_printf ("%u of %u clips written", job->clips, ar->cfg.augmentations + 1);
    job_fail (ar, job, VIDEO_FAILED, reason);
  } else {
    job->status = VIDEO_OK;
    if (ar->cfg.verbose)
      fvc_log_info ("%s: %u clips, frames decoded %" G_GUINT64_FORMAT " / used %" G_GUINT64_FORMAT, job->entry->video_path,
                    job->clips, job->decoded, job->used);
  }
  update_progress (ar, job);
  launch_more (ar);
}

static void
launch_one (AugmentRun *ar, VideoJob *job)
{
  g_autoptr (GError) error = NULL;
  FvcAugmentJobConfig cfg = ar->cfg;
  GstElement *pipeline;

  cfg.plan = cfg.plan && !job->without_plan;
  pipeline = fvc_augment_job_build (&cfg, job->entry, ar->index_dir, fvc_cache_get_dir (ar->cache), &error);
  if (pipeline == NULL) {
    VideoStatus status = g_error_matches (error, FVC_ERROR, FVC_ERROR_TOO_SHORT) ? VIDEO_SKIPPED : VIDEO_FAILED;
    job_fail (ar, job, status, error->message);
    ar->finished++;
    update_progress (ar, job);
    return;
  }
  g_object_set_data (G_OBJECT (pipeline), "fvc-augment-run", ar);
  ar->running++;
  job->run = fvc_pipeline_run_start (pipeline, on_element_message, on_job_done, job);
}

static void
launch_more (AugmentRun *ar)
{
  while (!ar->stopping && ar->running < ar->cfg.jobs && ar->next < ar->n_jobs) {
    VideoJob *job = &ar->jobs[ar->next++];
    if (job->status != VIDEO_PENDING)
      continue;
    launch_one (ar, job);
  }
  if (ar->running == 0 && (ar->stopping || ar->next >= ar->n_jobs))
    g_main_loop_quit (ar->loop);
}

static gboolean
check_interrupt (gpointer user_data)
{
  AugmentRun *ar = user_data;

  if (fvc_cli_interrupted () && !ar->stopping) {
    fvc_log_warning ("interrupted: stopping; the next run resumes where this one stopped");
    ar->stopping = TRUE;
    ar->cancelled = TRUE;
    for (guint i = 0; i < ar->n_jobs; i++)
      if (ar->jobs[i].run != NULL)
        fvc_pipeline_run_cancel (ar->jobs[i].run);
  }
  return G_SOURCE_CONTINUE;
}

static char *
format_bytes (guint64 b)
{
  return g_format_size_full (b, G_FORMAT_SIZE_IEC_UNITS);
}

static gboolean
write_failures (AugmentRun *ar, GError **error)
{
  g_autoptr (GPtrArray) paths = g_ptr_array_new ();
  g_autoptr (GPtrArray) reasons = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < ar->n_jobs; i++) {
    VideoJob *job = &ar->jobs[i];
    if (job->status == VIDEO_FAILED || job->status == VIDEO_SKIPPED) {
      g_ptr_array_add (paths, job->entry->video_path);
      g_ptr_array_add (reasons, g_strdup_printf ("%s: %s", job->status == VIDEO_SKIPPED ? "skipped" : "failed",
                                                 job->reason ? job->reason : "unknown"));
    }
  }
  return fvc_cache_write_failures (fvc_cache_get_dir (ar->cache), (const char *const *) paths->pdata,
                                   (const char *const *) reasons->pdata, paths->len, error);
}

gboolean
fvc_cmd_augment (int argc, char **argv, GError **error)
{
  g_autoptr (GOptionContext) ctx = NULL;
  AugmentRun ar = { 0 };
  FvcAugmentJobOptions opts = { 0 };
  g_autoptr (FvcVideoIndex) index = NULL;
  g_autoptr (FvcCache) cache = NULL;
  FvcCacheConfig want = { 0 };
  g_autoptr (GPtrArray) order = NULL;
  gint64 t0 = g_get_monotonic_time ();
  guint n_ok = 0, n_skipped = 0, n_failed = 0, n_before = 0, n_pending = 0, clips = 0;
  guint64 demuxed = 0, fed = 0, decoded = 0, used = 0;
  FvcMemSample mem;
  gboolean ok = TRUE;
  guint source_id;

  fvc_augment_job_options_init (&opts);
  ctx = g_option_context_new ("- extract and augment clips of every video into a shared cache");
  g_option_context_add_main_entries (ctx, fvc_augment_job_option_entries (&opts), NULL);
  g_option_context_set_description (ctx,
      "Every video of the index is decoded once, as little as its sampled frames need, and\n"
      "written as a base clip (centre crop + resize) and --augmentations augmented clips.\n"
      "A killed run resumes: finished videos are skipped, the cache is repaired first.\n"
      "Environment: FVC_NUM_FRAMES and FVC_FIXED_SIZE set --num-frames and --size defaults.\n\n"
      "Exit status: 0 all videos done, 3 some videos failed or were skipped (see\n"
      "CACHE/failures.csv), 1 error, 2 bad usage.\n\n"
      "Example:\n  fvc-stream augment --index data/video_index_input.csv --cache cache/demo --augmentations 1");
  if (!fvc_cli_parse (ctx, &argc, &argv, error))
    return FALSE;
  if (!fvc_augment_job_options_resolve (&opts, &ar.cfg, error) || !fvc_pipeline_check_plugin (error))
    return FALSE;

  index = fvc_video_index_load (opts.index_path, opts.video_root, error);
  if (index == NULL)
    return FALSE;
  fvc_augment_job_cache_config (&ar.cfg, &want);
  cache = fvc_cache_open (opts.cache_dir, &want, FVC_CACHE_OPEN_CREATE | FVC_CACHE_OPEN_REPAIR, error);
  fvc_cache_config_clear (&want);
  if (cache == NULL)
    return FALSE;
  if (fvc_cache_get_n_repairs (cache) > 0)
    fvc_log_info ("repaired the cache after an interrupted run (%u leftovers removed)", fvc_cache_get_n_repairs (cache));

  ar.index = index;
  ar.cache = cache;
  ar.index_dir = g_build_filename (opts.cache_dir, FVC_CACHE_FRAMEINDEX_DIR, NULL);
  ar.n_jobs = fvc_video_index_get_n_videos (index);
  ar.jobs = g_new0 (VideoJob, ar.n_jobs);
  order = g_ptr_array_new ();
  for (guint i = 0; i < ar.n_jobs; i++) {
    ar.jobs[i].entry = fvc_video_index_get (index, i);
    g_ptr_array_add (order, ar.jobs[i].entry->video_path);
    if (fvc_cache_video_complete (cache, ar.jobs[i].entry->video_path, ar.cfg.augmentations)) {
      ar.jobs[i].status = VIDEO_DONE_BEFORE;
      n_before++;
    } else {
      n_pending++;
    }
  }
  g_ptr_array_add (order, NULL);

  if (n_pending == 0) {
    fvc_log_info ("nothing to do: all %u videos are in %s already (%u clips)", ar.n_jobs, opts.cache_dir,
                  fvc_cache_get_n_rows (cache));
    if (!fvc_cache_finalize (cache, (const char *const *) order->pdata, error))
      return FALSE;
    goto summary;
  }
  if (opts.decoder_threads < 0) {
    /* cores / jobs, with jobs no more than the videos there are to do: one video alone gets
     * every core for its decoder. */
    ar.cfg.decoder_threads = MAX (1u, (guint) g_get_num_processors () / MIN (ar.cfg.jobs, n_pending));
  }
  fvc_log_info ("augment: %u videos (%u already cached), %u frames at %u×%u, %u augmentation(s), %u job(s)%s",
                ar.n_jobs, n_before, ar.cfg.num_frames, ar.cfg.size, ar.cfg.size, ar.cfg.augmentations, ar.cfg.jobs,
                ar.cfg.plan ? "" : ", decode plan off");

  fvc_cli_install_interrupt_handler ();
  ar.loop = g_main_loop_new (NULL, FALSE);
  ar.progress = fvc_progress_new ("augment", n_pending);
  ar.to_do = n_pending;
  source_id = g_timeout_add (200, check_interrupt, &ar);
  launch_more (&ar);
  if (ar.running > 0 || (!ar.stopping && ar.next < ar.n_jobs))
    g_main_loop_run (ar.loop);
  g_source_remove (source_id);
  fvc_progress_finish (ar.progress);
  g_main_loop_unref (ar.loop);

  if (ar.cancelled) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_CANCELLED, "interrupted; run the same command again to resume");
    ok = FALSE;
    goto out;
  }
  if (!fvc_cache_finalize (cache, (const char *const *) order->pdata, error) || !write_failures (&ar, error)) {
    ok = FALSE;
    goto out;
  }

summary:
  for (guint i = 0; i < ar.n_jobs; i++) {
    VideoJob *job = &ar.jobs[i];
    n_ok += job->status == VIDEO_OK;
    n_skipped += job->status == VIDEO_SKIPPED;
    n_failed += job->status == VIDEO_FAILED;
    clips += job->clips;
    demuxed += job->demuxed;
    fed += job->fed;
    decoded += job->decoded;
    used += job->used;
  }
  fvc_memstats_sample (&mem);
  {
    g_autofree char *peak = format_bytes (mem.peak_rss_bytes);
    double wall = (g_get_monotonic_time () - t0) / 1e6;
    fvc_log_info ("summary: %u videos ok, %u already cached, %u skipped, %u failed; %u clips written; %.1f s; "
                  "peak RSS %s", n_ok, n_before, n_skipped, n_failed, clips, wall, peak);
    if (used > 0)
      fvc_log_info ("frames: %" G_GUINT64_FORMAT " demuxed, %" G_GUINT64_FORMAT " fed to the decoder, %" G_GUINT64_FORMAT
                    " decoded, %" G_GUINT64_FORMAT " used (decoded/used %.2f)", demuxed, fed, decoded, used,
                    (double) decoded / used);
  }
  if (ar.cfg.fail_fast && n_failed > 0 && ok) {
    for (guint i = 0; i < ar.n_jobs; i++) {
      if (ar.jobs[i].status == VIDEO_FAILED) {
        g_set_error (error, FVC_ERROR, FVC_ERROR_MEDIA, "stopped at the first failure (--fail-fast): %s",
                     ar.jobs[i].reason);
        break;
      }
    }
    ok = FALSE;
  } else if (n_failed + n_skipped > 0 && ok) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_PARTIAL, "%u of %u videos failed or were skipped; see %s/%s",
                 n_failed + n_skipped, ar.n_jobs, opts.cache_dir, FVC_CACHE_FAILURES_FILE);
    ok = FALSE;
  }

out:
  for (guint i = 0; i < ar.n_jobs; i++)
    g_free (ar.jobs[i].reason);
  g_free (ar.jobs);
  g_free (ar.index_dir);
  fvc_augment_job_options_clear (&opts);
  return ok;
}
