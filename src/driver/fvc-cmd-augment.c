/* fvc-cmd-augment.c — `fvc-stream augment`: options, the cache (opened with repair, so a killed
 * run resumes), the extraction loop of fvc-augment-job.c (one pipeline per video from
 * pipelines/augment.pipeline, at most --jobs at once, failures.csv, canonical metadata order),
 * the summary and the exit code. The work itself happens in the elements. */
#include "config.h"
#include "fvc-cli.h"
#include "fvc-augment-job.h"

#include "fvc-cache.h"
#include "fvc-error.h"
#include "fvc-index.h"
#include "fvc-pipeline.h"

#include <gst/gst.h>

gboolean
fvc_cmd_augment (int argc, char **argv, GError **error)
{
  g_autoptr (GOptionContext) ctx = NULL;
  FvcAugmentJobConfig cfg;
  FvcAugmentJobOptions opts = { 0 };
  g_autoptr (FvcVideoIndex) index = NULL;
  g_autoptr (FvcCache) cache = NULL;
  FvcCacheConfig want = { 0 };
  FvcExtraction ex = { 0 };
  gint64 t0 = g_get_monotonic_time ();
  gboolean ok = FALSE;

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
    goto out;
  if (!fvc_augment_job_options_resolve (&opts, &cfg, error) || !fvc_pipeline_check_plugin (error))
    goto out;

  index = fvc_video_index_load (opts.index_path, opts.video_root, error);
  if (index == NULL)
    goto out;
  fvc_augment_job_cache_config (&cfg, &want);
  cache = fvc_cache_open (opts.cache_dir, &want, FVC_CACHE_OPEN_CREATE | FVC_CACHE_OPEN_REPAIR, error);
  fvc_cache_config_clear (&want);
  if (cache == NULL)
    goto out;
  if (fvc_cache_get_n_repairs (cache) > 0)
    fvc_log_info ("repaired the cache after an interrupted run (%u leftovers removed)", fvc_cache_get_n_repairs (cache));

  if (!fvc_augment_job_extract (&cfg, index, cache, NULL, &ex, error))
    goto out;
  fvc_extraction_log_summary (&ex, (g_get_monotonic_time () - t0) / 1e6);

  if (cfg.fail_fast && ex.n_failed > 0) {
    for (guint i = 0; i < ex.n_videos; i++) {
      if (ex.videos[i].status == FVC_VIDEO_FAILED) {
        g_set_error (error, FVC_ERROR, FVC_ERROR_MEDIA, "stopped at the first failure (--fail-fast): %s",
                     ex.videos[i].reason);
        break;
      }
    }
    goto out;
  }
  if (ex.n_failed + ex.n_skipped > 0) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_PARTIAL, "%u of %u videos failed or were skipped; see %s/%s",
                 ex.n_failed + ex.n_skipped, ex.n_videos, opts.cache_dir, FVC_CACHE_FAILURES_FILE);
    goto out;
  }
  ok = TRUE;

out:
  fvc_extraction_clear (&ex);
  fvc_augment_job_options_clear (&opts);
  return ok;
}
