/* fvc-augment-job.c — extraction settings, the per-video pipeline (what every video's pipeline
 * shares is worked out once per extraction), and the loop that runs J of them at once over an
 * index keeping the books (see fvc-augment-job.h). Not the CLI: options parsing and the
 * summary's exit code stay in fvc-cmd-augment.c / fvc-cmd-run.c. */
#include "config.h"
#include "fvc-augment-job.h"
#include "fvc-cli.h"
#include "fvc-clip.h"
#include "fvc-error.h"
#include "fvc-frame-index.h"
#include "fvc-memstats.h"
#include "fvc-pipeline.h"

#include <malloc.h>
#include <string.h>

#define DEFAULT_NUM_FRAMES FVC_AUGMENT_JOB_DEFAULT_NUM_FRAMES
#define DEFAULT_AUGMENTATIONS FVC_AUGMENT_JOB_DEFAULT_AUGMENTATIONS

void
fvc_augment_job_options_init (FvcAugmentJobOptions *opts)
{
  memset (opts, 0, sizeof *opts);
  opts->num_frames = -1;
  opts->size = -1;
  opts->augmentations = -1;
  opts->jobs = 0;
  opts->decoder_threads = -1;
}

void
fvc_augment_job_options_clear (FvcAugmentJobOptions *opts)
{
  g_clear_pointer (&opts->index_path, g_free);
  g_clear_pointer (&opts->cache_dir, g_free);
  g_clear_pointer (&opts->video_root, g_free);
  g_clear_pointer (&opts->strategy, g_free);
  g_clear_pointer (&opts->short_video, g_free);
  g_clear_pointer (&opts->incomplete, g_free);
}

GOptionEntry *
fvc_augment_job_option_entries (FvcAugmentJobOptions *opts)
{
  static GOptionEntry entries[16];
  GOptionEntry table[] = {
    { "index", 'i', 0, G_OPTION_ARG_FILENAME, &opts->index_path, "Video index CSV (video_path,label[,group])", "CSV" },
    { "cache", 'c', 0, G_OPTION_ARG_FILENAME, &opts->cache_dir, "Clip cache directory (created when absent)", "DIR" },
    { "video-root", 0, 0, G_OPTION_ARG_FILENAME, &opts->video_root,
      "Directory relative video paths are resolved against (default: the index's directory)", "DIR" },
    { "num-frames", 'n', 0, G_OPTION_ARG_INT, &opts->num_frames, "Frames per clip (default 6, env FVC_NUM_FRAMES)", "N" },
    { "size", 's', 0, G_OPTION_ARG_INT, &opts->size, "Clip frame size in pixels (default 112, env FVC_FIXED_SIZE)", "PX" },
    { "augmentations", 'a', 0, G_OPTION_ARG_INT, &opts->augmentations,
      "Augmented clips per video besides the base clip (default 1)", "A" },
    { "jobs", 'j', 0, G_OPTION_ARG_INT, &opts->jobs, "Videos processed at once (default: number of cores)", "J" },
    { "decoder-threads", 0, 0, G_OPTION_ARG_INT, &opts->decoder_threads,
      "Threads per decoder (default: cores / jobs, at least 1; 0 lets the decoder choose)", "T" },
    { "strategy", 0, 0, G_OPTION_ARG_STRING, &opts->strategy, "uniform (default) or random-segment", "NAME" },
    { "short-video", 0, 0, G_OPTION_ARG_STRING, &opts->short_video,
      "Videos with fewer frames than --num-frames: skip (default), pad or error", "POLICY" },
    { "incomplete", 0, 0, G_OPTION_ARG_STRING, &opts->incomplete,
      "Files whose container promises more frames than they hold (cut, lying header): skip (default) or use", "POLICY" },
    { "fail-fast", 0, 0, G_OPTION_ARG_NONE, &opts->fail_fast, "Stop at the first video that fails", NULL },
    { "no-plan", 0, 0, G_OPTION_ARG_NONE, &opts->no_plan,
      "Feed the decoder every packet up to the last sampled frame (for comparisons)", NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opts->verbose, "One line per video", NULL },
    { NULL },
  };
  G_STATIC_ASSERT (G_N_ELEMENTS (table) <= G_N_ELEMENTS (entries));
  memcpy (entries, table, sizeof table);
  return entries;
}

static gboolean
env_uint (const char *name, gint *value, GError **error)
{
  const char *v = g_getenv (name);
  guint64 parsed;

  if (v == NULL || *value >= 0)
    return TRUE; /* a flag beats the environment */
  if (!g_ascii_string_to_unsigned (v, 10, 1, G_MAXINT, &parsed, NULL)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "environment %s=\"%s\" is not a positive integer", name, v);
    return FALSE;
  }
  *value = (gint) parsed;
  return TRUE;
}

gboolean
fvc_augment_job_options_resolve (const FvcAugmentJobOptions *in, FvcAugmentJobConfig *cfg, GError **error)
{
  FvcAugmentJobOptions opts = *in;
  guint cores = (guint) g_get_num_processors ();

  memset (cfg, 0, sizeof *cfg);
  if (opts.index_path == NULL) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "--index is required");
    return FALSE;
  }
  if (opts.cache_dir == NULL) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "--cache is required");
    return FALSE;
  }
  if (!env_uint ("FVC_NUM_FRAMES", &opts.num_frames, error) || !env_uint ("FVC_FIXED_SIZE", &opts.size, error))
    return FALSE;
  cfg->num_frames = opts.num_frames >= 0 ? (guint) opts.num_frames : DEFAULT_NUM_FRAMES;
  cfg->size = opts.size >= 0 ? (guint) opts.size : FVC_AUGMENT_DEFAULT_SIZE;
  cfg->augmentations = opts.augmentations >= 0 ? (guint) opts.augmentations : DEFAULT_AUGMENTATIONS;
  cfg->jobs = opts.jobs > 0 ? (guint) opts.jobs : cores;
  if (opts.decoder_threads >= 0)
    cfg->decoder_threads = (guint) opts.decoder_threads;
  else
    cfg->decoder_threads = MAX (1u, cores / cfg->jobs);
  cfg->decoder_threads_auto = opts.decoder_threads < 0;
  cfg->fail_fast = opts.fail_fast;
  cfg->plan = !opts.no_plan;
  cfg->verbose = opts.verbose;

  if (cfg->num_frames < 1 || cfg->num_frames > 4096) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--num-frames must be 1..4096, got %u", cfg->num_frames);
    return FALSE;
  }
  if (cfg->size < FVC_AUGMENT_MIN_SIZE || cfg->size > FVC_AUGMENT_MAX_SIZE) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--size must be %d..%d, got %u", FVC_AUGMENT_MIN_SIZE,
                 FVC_AUGMENT_MAX_SIZE, cfg->size);
    return FALSE;
  }
  if (cfg->augmentations > 1000) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--augmentations must be 0..1000");
    return FALSE;
  }
  cfg->strategy = FVC_SAMPLE_UNIFORM;
  if (opts.strategy && (!fvc_sample_strategy_from_name (opts.strategy, &cfg->strategy) ||
                        cfg->strategy == FVC_SAMPLE_EXPLICIT || cfg->strategy == FVC_SAMPLE_STRIDE)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--strategy must be uniform or random-segment, got \"%s\"", opts.strategy);
    return FALSE;
  }
  cfg->short_video = FVC_SHORT_VIDEO_SKIP;
  if (opts.short_video && !fvc_short_video_policy_from_name (opts.short_video, &cfg->short_video)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--short-video must be skip, pad or error, got \"%s\"",
                 opts.short_video);
    return FALSE;
  }
  if (opts.incomplete && strcmp (opts.incomplete, "skip") != 0 && strcmp (opts.incomplete, "use") != 0) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--incomplete must be skip or use, got \"%s\"",
                 opts.incomplete);
    return FALSE;
  }
  cfg->use_incomplete = opts.incomplete && strcmp (opts.incomplete, "use") == 0;
  fvc_augment_settings_init (&cfg->augment);
  cfg->augment.size = cfg->size;
  return fvc_augment_settings_validate (&cfg->augment, error);
}

void
fvc_augment_job_cache_config (const FvcAugmentJobConfig *cfg, FvcCacheConfig *out)
{
  FvcSampleSpec spec = { .strategy = cfg->strategy, .num_frames = cfg->num_frames, .short_video = cfg->short_video };

  memset (out, 0, sizeof *out);
  out->num_frames = cfg->num_frames;
  out->size = cfg->size;
  out->sampler = fvc_sample_spec_describe (&spec, FALSE);
  out->short_video = g_strdup (fvc_short_video_policy_name (cfg->short_video));
  out->augmentations = cfg->augmentations;
  out->augment = fvc_augment_settings_to_string (&cfg->augment);
}

static void
set_var (GHashTable *vars, const char *key, char *value)
{
  g_hash_table_insert (vars, g_strdup (key), value);
}

static void
set_quoted (GHashTable *vars, const char *key, const char *value)
{
  set_var (vars, key, fvc_pipeline_quote (value));
}

/* ---- what the videos of one extraction share ---------------------------------------------- */

/* Which of the options fvc_augment_job_build() sets a decoder has. */
typedef struct {
  gboolean has_max_threads;
  gboolean has_output_corrupt;
} DecoderOptions;

struct _FvcAugmentJobShared {
  char *augment_template;     /* augment.pipeline, loaded once */
  char *branch_template;      /* augment-branch.pipeline, loaded once */
  char *branches;             /* the branches of every clip, filled for branches_for */
  char *branches_for;         /* "<size> <augmentations> <cache dir>" */
  /* Caps strings carry codec_data and sizes, so they repeat only between videos encoded alike;
   * the options depend on the decoder alone and are looked at once per decoder. */
  GHashTable *decoders;       /* caps string → GstElementFactory, NULL when none takes them */
  GHashTable *options;        /* factory name → DecoderOptions */
};

static void
factory_unref (gpointer factory)
{
  if (factory != NULL) /* caps no decoder takes */
    gst_object_unref (factory);
}

FvcAugmentJobShared *
fvc_augment_job_shared_new (void)
{
  FvcAugmentJobShared *shared = g_new0 (FvcAugmentJobShared, 1);

  shared->decoders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, factory_unref);
  shared->options = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return shared;
}

void
fvc_augment_job_shared_free (FvcAugmentJobShared *shared)
{
  if (shared == NULL)
    return;
  g_free (shared->augment_template);
  g_free (shared->branch_template);
  g_free (shared->branches);
  g_free (shared->branches_for);
  g_hash_table_unref (shared->decoders);
  g_hash_table_unref (shared->options);
  g_free (shared);
}

/* The decoder for @caps (NULL: none), searched in the registry the first time these caps come.
 * (transfer none) */
static GstElementFactory *
shared_decoder (FvcAugmentJobShared *shared, const char *caps)
{
  gpointer factory;

  if (!g_hash_table_lookup_extended (shared->decoders, caps, NULL, &factory)) {
    factory = fvc_pipeline_find_decoder (caps);
    g_hash_table_insert (shared->decoders, g_strdup (caps), factory);
  }
  return factory;
}

/* Which options @decoder takes: an instance is made to look, the first time it is chosen. */
static const DecoderOptions *
shared_decoder_options (FvcAugmentJobShared *shared, GstElementFactory *decoder)
{
  DecoderOptions *options = g_hash_table_lookup (shared->options, GST_OBJECT_NAME (decoder));
  GstElement *probe;

  if (options != NULL)
    return options;
  options = g_new0 (DecoderOptions, 1);
  probe = gst_element_factory_create (decoder, NULL);
  if (probe != NULL) {
    options->has_max_threads = g_object_class_find_property (G_OBJECT_GET_CLASS (probe), "max-threads") != NULL;
    options->has_output_corrupt = g_object_class_find_property (G_OBJECT_GET_CLASS (probe), "output-corrupt") != NULL;
    gst_object_unref (gst_object_ref_sink (probe));
  }
  g_hash_table_insert (shared->options, g_strdup (GST_OBJECT_NAME (decoder)), options);
  return options;
}

/* The text of pipelines/@name.pipeline, read the first time it is asked for into @slot.
 * (transfer none) */
static const char *
shared_template (char **slot, const char *name, GError **error)
{
  if (*slot == NULL)
    *slot = fvc_pipeline_load_template (name, error);
  return *slot;
}

/* One augment-branch.pipeline per clip (the base clip, then each augmentation), filled again
 * only when the size, the number of augmentations or the cache directory change. */
static const char *
shared_branches (FvcAugmentJobShared *shared, const FvcAugmentJobConfig *cfg, const char *cache_dir, GError **error)
{
  g_autofree char *wanted = g_strdup_printf ("%u %u %s", cfg->size, cfg->augmentations, cache_dir);
  g_autoptr (GString) branches = NULL;
  const char *branch_template;

  if (shared->branches != NULL && strcmp (shared->branches_for, wanted) == 0)
    return shared->branches;
  branch_template = shared_template (&shared->branch_template, "augment-branch", error);
  if (branch_template == NULL)
    return NULL;
  branches = g_string_new (NULL);
  for (int a = -1; a < (int) cfg->augmentations; a++) {
    g_autoptr (GHashTable) bvars = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
    g_autofree char *branch = NULL;
    set_var (bvars, "augmentation_index", g_strdup_printf ("%d", a));
    set_var (bvars, "size", g_strdup_printf ("%u", cfg->size));
    set_var (bvars, "augmentations", g_strdup_printf ("%u", cfg->augmentations));
    set_quoted (bvars, "cache", cache_dir);
    branch = fvc_pipeline_fill (branch_template, bvars, error);
    if (branch == NULL)
      return NULL;
    g_string_append_printf (branches, "%s ", branch);
  }
  g_free (shared->branches);
  g_free (shared->branches_for);
  shared->branches = g_string_free (g_steal_pointer (&branches), FALSE);
  shared->branches_for = g_steal_pointer (&wanted);
  return shared->branches;
}

/* ---- the pipeline of one video ------------------------------------------------------------- */

GstElement *
fvc_augment_job_build (const FvcAugmentJobConfig *cfg, const FvcVideoEntry *entry, const char *index_dir,
                       const char *cache_dir, FvcAugmentJobShared *shared, GError **error)
{
  g_autoptr (FvcAugmentJobShared) own_shared = shared ? NULL : fvc_augment_job_shared_new ();
  g_autoptr (GHashTable) vars = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (FvcFrameIndex) index = NULL;
  g_autofree char *index_name = fvc_video_file_name (entry->video_path, ".fvcidx");
  g_autofree char *index_file = g_build_filename (index_dir, index_name, NULL);
  GstElementFactory *decoder;
  const DecoderOptions *options;
  const char *branches;
  GString *decoder_options;
  guint n_frames;
  FvcCompleteness completeness;
  GstElement *pipeline, *sample;
  const char *augment_template;

  if (shared == NULL)
    shared = own_shared;
  index = fvc_frame_index_get (entry->resolved_path, index_file, NULL, error);
  if (index == NULL)
    return NULL;
  n_frames = fvc_frame_index_get_n_frames (index);
  if (!fvc_frame_index_is_complete (index, &completeness) && !cfg->use_incomplete) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_MEDIA,
                 "%s: incomplete file: the container promises %.2f s (%" G_GUINT64_FORMAT " frames) but its %u "
                 "frames end at %.2f s (cut or lying header; --incomplete=use keeps it)", entry->video_path,
                 completeness.promised_ns / 1e9, completeness.promised_frames, n_frames, completeness.present_ns / 1e9);
    return NULL;
  }
  if (n_frames < cfg->num_frames && cfg->short_video != FVC_SHORT_VIDEO_PAD) {
    g_set_error (error, FVC_ERROR, cfg->short_video == FVC_SHORT_VIDEO_SKIP ? FVC_ERROR_TOO_SHORT : FVC_ERROR_MEDIA,
                 "%s: too short: %u decodable frames, %u needed (--short-video=%s)", entry->video_path, n_frames,
                 cfg->num_frames, fvc_short_video_policy_name (cfg->short_video));
    return NULL;
  }
  decoder = shared_decoder (shared, fvc_frame_index_get_caps (index));
  if (decoder == NULL) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_MEDIA, "%s: no decoder installed for %s", entry->video_path,
                 fvc_frame_index_get_caps (index));
    return NULL;
  }
  branches = shared_branches (shared, cfg, cache_dir, error);
  if (branches == NULL)
    return NULL;

  set_quoted (vars, "video_file", entry->resolved_path);
  set_var (vars, "decoder", g_strdup (GST_OBJECT_NAME (decoder)));
  /* Threads: jobs × threads ≈ cores. Corrupt frames are not output: a sampled frame that cannot
   * be decoded fails the video instead of entering the cache damaged. */
  options = shared_decoder_options (shared, decoder);
  decoder_options = g_string_new (NULL);
  if (cfg->decoder_threads > 0 && options->has_max_threads)
    g_string_append_printf (decoder_options, "max-threads=%u ", cfg->decoder_threads);
  if (options->has_output_corrupt)
    g_string_append (decoder_options, "output-corrupt=false ");
  set_var (vars, "decoder_options", g_string_free (decoder_options, FALSE));
  set_quoted (vars, "video_path", entry->video_path);
  set_var (vars, "label", g_strdup_printf ("%d", (int) entry->label));
  set_var (vars, "num_frames", g_strdup_printf ("%u", cfg->num_frames));
  set_var (vars, "strategy", g_strdup (fvc_sample_strategy_name (cfg->strategy)));
  set_var (vars, "short_video", g_strdup (fvc_short_video_policy_name (cfg->short_video)));
  set_quoted (vars, "index_dir", index_dir);
  set_var (vars, "plan", g_strdup (cfg->plan ? "true" : "false"));
  set_var (vars, "branches", g_strdup (branches));
  augment_template = shared_template (&shared->augment_template, "augment", error);
  if (augment_template == NULL)
    return NULL;
  pipeline = fvc_pipeline_launch_text ("augment", augment_template, vars, error);
  if (pipeline == NULL)
    return NULL;
  /* fvcsample takes the index checked above instead of loading it again from index-dir (one
   * signature hash and one parse less per video); a template without it keeps index-dir. */
  sample = gst_bin_get_by_name (GST_BIN (pipeline), "sample");
  if (sample != NULL) {
    if (g_object_class_find_property (G_OBJECT_GET_CLASS (sample), "frame-index"))
      g_object_set (sample, "frame-index", index, NULL);
    gst_object_unref (sample);
  }
  return pipeline;
}

/* ---- the extraction loop ------------------------------------------------------------------ */

typedef struct _Extract Extract;

typedef struct {
  Extract *ex;
  const FvcVideoEntry *entry;
  FvcVideoOutcome *out;
  gboolean without_plan;      /* retried with the decode plan off */
  FvcPipelineRun *run;
} VideoJob;

struct _Extract {
  const FvcAugmentJobConfig *cfg;
  const FvcExtractionHooks *hooks;
  FvcCache *cache;
  char *index_dir;
  FvcAugmentJobShared *shared;  /* branches and decoders, worked out once for every video */
  VideoJob *jobs;
  guint n_jobs;
  guint next;
  guint running;
  guint finished;
  gboolean stopping;
  gboolean cancelled;
  GMainLoop *loop;
  FvcProgress *progress;
};

static void launch_more (Extract *ex);
static void launch_one (Extract *ex, VideoJob *job);

static void
job_fail (Extract *ex, VideoJob *job, FvcVideoStatus status, const char *reason)
{
  job->out->status = status;
  if (job->out->reason != reason) {
    g_free (job->out->reason);
    job->out->reason = g_strdup (reason);
  }
  fvc_log_warning ("%s %s: %s", status == FVC_VIDEO_SKIPPED ? "skipped" : "failed", job->entry->video_path, reason);
  if (status == FVC_VIDEO_FAILED && ex->cfg->fail_fast && !ex->stopping) {
    ex->stopping = TRUE;
    for (guint i = 0; i < ex->n_jobs; i++)
      if (ex->jobs[i].run != NULL && &ex->jobs[i] != job)
        fvc_pipeline_run_cancel (ex->jobs[i].run);
  }
}

static void
video_finished (Extract *ex, VideoJob *job)
{
  fvc_progress_update (ex->progress, ex->finished, job->entry->video_path);
  if (ex->hooks && ex->hooks->video_done)
    ex->hooks->video_done (job->entry, job->out, ex->hooks->user_data);
}

static void
on_element_message (FvcPipelineRun *run, GstMessage *msg, gpointer user_data)
{
  VideoJob *job = user_data;
  const GstStructure *s = gst_message_get_structure (msg);

  if (gst_structure_has_name (s, "fvc-sample")) {
    gboolean skipped = FALSE;
    gst_structure_get_uint64 (s, "frames-decoded", &job->out->decoded);
    gst_structure_get_uint64 (s, "frames-passed", &job->out->used);
    gst_structure_get_boolean (s, "skipped", &skipped);
    if (skipped) {
      job->out->status = FVC_VIDEO_SKIPPED;
      g_free (job->out->reason);
      job->out->reason = g_strdup (gst_structure_get_string (s, "reason"));
    }
  } else if (gst_structure_has_name (s, "fvc-decode-gate")) {
    gst_structure_get_uint64 (s, "packets-demuxed", &job->out->demuxed);
    gst_structure_get_uint64 (s, "packets-fed", &job->out->fed);
  } else if (gst_structure_has_name (s, "fvc-clip-written")) {
    job->out->clips++;
  }
}

static void
on_job_done (FvcPipelineRun *run, const GError *error, gpointer user_data)
{
  VideoJob *job = user_data;
  Extract *ex = job->ex;

  job->run = NULL;
  ex->running--;
  ex->finished++;
  /* Each pipeline's threads leave freed memory in glibc's arenas; give it back, or peak RSS
   * creeps up with the number of videos (with the two arenas fvc-stream.c allows: +4.6 % for 50
   * videos against 1, docs/benchmarks.md). */
  malloc_trim (0);
  if (error != NULL) {
    if (g_error_matches (error, FVC_ERROR, FVC_ERROR_CANCELLED)) {
      job->out->status = FVC_VIDEO_PENDING; /* not finished: the next run resumes it */
    } else if (g_error_matches (error, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE) && ex->cfg->plan &&
               !job->without_plan && !ex->stopping) {
      /* A sampled frame did not come out of a planned decode (a decoder that does not restart
       * cleanly where the plan jumps): once more, decoding everything up to the last target. */
      fvc_log_warning ("%s: %s; retrying without the decode plan", job->entry->video_path, error->message);
      job->without_plan = TRUE;
      job->out->clips = 0;
      ex->finished--;
      launch_one (ex, job);
      return;
    } else {
      job_fail (ex, job, FVC_VIDEO_FAILED, error->message);
    }
  } else if (job->out->status == FVC_VIDEO_SKIPPED) {
    job_fail (ex, job, FVC_VIDEO_SKIPPED, job->out->reason ? job->out->reason : "skipped");
  } else if (job->out->clips != ex->cfg->augmentations + 1) {
    g_autofree char *reason = g_strdup_printf ("%u of %u clips written", job->out->clips, ex->cfg->augmentations + 1);
    job_fail (ex, job, FVC_VIDEO_FAILED, reason);
  } else {
    job->out->status = FVC_VIDEO_OK;
    if (ex->cfg->verbose)
      fvc_log_info ("%s: %u clips, frames decoded %" G_GUINT64_FORMAT " / used %" G_GUINT64_FORMAT,
                    job->entry->video_path, job->out->clips, job->out->decoded, job->out->used);
  }
  video_finished (ex, job);
  launch_more (ex);
}

static void
launch_one (Extract *ex, VideoJob *job)
{
  g_autoptr (GError) error = NULL;
  FvcAugmentJobConfig cfg = *ex->cfg;
  GstElement *pipeline;

  cfg.plan = cfg.plan && !job->without_plan;
  pipeline = fvc_augment_job_build (&cfg, job->entry, ex->index_dir, fvc_cache_get_dir (ex->cache), ex->shared,
                                    &error);
  if (pipeline == NULL) {
    FvcVideoStatus status = g_error_matches (error, FVC_ERROR, FVC_ERROR_TOO_SHORT) ? FVC_VIDEO_SKIPPED : FVC_VIDEO_FAILED;
    job_fail (ex, job, status, error->message);
    ex->finished++;
    video_finished (ex, job);
    return;
  }
  if (ex->hooks && ex->hooks->pipeline_started)
    ex->hooks->pipeline_started (pipeline, ex->hooks->user_data);
  ex->running++;
  job->run = fvc_pipeline_run_start (pipeline, on_element_message, on_job_done, job);
}

static void
launch_more (Extract *ex)
{
  while (!ex->stopping && ex->running < ex->cfg->jobs && ex->next < ex->n_jobs) {
    VideoJob *job = &ex->jobs[ex->next++];
    if (job->out->status != FVC_VIDEO_PENDING)
      continue;
    launch_one (ex, job);
  }
  if (ex->running == 0 && (ex->stopping || ex->next >= ex->n_jobs))
    g_main_loop_quit (ex->loop);
}

static gboolean
check_interrupt (gpointer user_data)
{
  Extract *ex = user_data;

  if (fvc_cli_interrupted () && !ex->stopping) {
    fvc_log_warning ("interrupted: stopping; the next run resumes where this one stopped");
    ex->stopping = TRUE;
    ex->cancelled = TRUE;
    for (guint i = 0; i < ex->n_jobs; i++)
      if (ex->jobs[i].run != NULL)
        fvc_pipeline_run_cancel (ex->jobs[i].run);
  }
  return G_SOURCE_CONTINUE;
}

char *
fvc_video_outcome_describe (const FvcVideoOutcome *v)
{
  return g_strdup_printf ("%s: %s", v->status == FVC_VIDEO_SKIPPED ? "skipped" : "failed",
                          v->reason ? v->reason : "unknown");
}

static gboolean
write_failures (const FvcExtraction *out, const FvcVideoIndex *index, FvcCache *cache, GError **error)
{
  g_autoptr (GPtrArray) paths = g_ptr_array_new ();
  g_autoptr (GPtrArray) reasons = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < out->n_videos; i++) {
    const FvcVideoOutcome *v = &out->videos[i];
    if (v->status == FVC_VIDEO_FAILED || v->status == FVC_VIDEO_SKIPPED) {
      g_ptr_array_add (paths, fvc_video_index_get (index, i)->video_path);
      g_ptr_array_add (reasons, fvc_video_outcome_describe (v));
    }
  }
  return fvc_cache_write_failures (fvc_cache_get_dir (cache), (const char *const *) paths->pdata,
                                   (const char *const *) reasons->pdata, paths->len, error);
}

static void
count_outcomes (FvcExtraction *out)
{
  out->n_ok = out->n_cached = out->n_skipped = out->n_failed = out->clips = 0;
  out->demuxed = out->fed = out->decoded = out->used = 0;
  for (guint i = 0; i < out->n_videos; i++) {
    const FvcVideoOutcome *v = &out->videos[i];
    out->n_ok += v->status == FVC_VIDEO_OK;
    out->n_cached += v->status == FVC_VIDEO_CACHED;
    out->n_skipped += v->status == FVC_VIDEO_SKIPPED;
    out->n_failed += v->status == FVC_VIDEO_FAILED;
    out->clips += v->clips;
    out->demuxed += v->demuxed;
    out->fed += v->fed;
    out->decoded += v->decoded;
    out->used += v->used;
  }
}

gboolean
fvc_augment_job_extract (const FvcAugmentJobConfig *cfg, const FvcVideoIndex *index, FvcCache *cache,
                         const FvcExtractionHooks *hooks, FvcExtraction *out, GError **error)
{
  Extract ex = { 0 };
  FvcAugmentJobConfig run_cfg = *cfg;
  g_autoptr (GPtrArray) order = g_ptr_array_new ();
  guint n_pending = 0;
  gboolean ok = TRUE;
  guint source_id;

  memset (out, 0, sizeof *out);
  out->n_videos = fvc_video_index_get_n_videos (index);
  out->videos = g_new0 (FvcVideoOutcome, out->n_videos);
  for (guint i = 0; i < out->n_videos; i++) {
    const FvcVideoEntry *entry = fvc_video_index_get (index, i);
    g_ptr_array_add (order, entry->video_path);
    if (fvc_cache_video_complete (cache, entry->video_path, cfg->augmentations))
      out->videos[i].status = FVC_VIDEO_CACHED;
    else
      n_pending++;
  }
  g_ptr_array_add (order, NULL);

  if (n_pending == 0) {
    fvc_log_info ("nothing to do: all %u videos are in %s already (%u clips)", out->n_videos, fvc_cache_get_dir (cache),
                  fvc_cache_get_n_rows (cache));
    count_outcomes (out);
    return fvc_cache_finalize (cache, (const char *const *) order->pdata, error);
  }
  if (run_cfg.decoder_threads_auto) {
    /* cores / jobs, with jobs no more than the videos there are to do: one video alone gets
     * every core for its decoder. */
    run_cfg.decoder_threads = MAX (1u, (guint) g_get_num_processors () / MIN (run_cfg.jobs, n_pending));
  }
  fvc_log_info ("augment: %u videos (%u already cached), %u frames at %u×%u, %u augmentation(s), %u job(s)%s",
                out->n_videos, out->n_videos - n_pending, cfg->num_frames, cfg->size, cfg->size, cfg->augmentations,
                cfg->jobs, cfg->plan ? "" : ", decode plan off");

  ex.cfg = &run_cfg;
  ex.hooks = hooks;
  ex.cache = cache;
  ex.index_dir = g_build_filename (fvc_cache_get_dir (cache), FVC_CACHE_FRAMEINDEX_DIR, NULL);
  ex.shared = fvc_augment_job_shared_new ();
  ex.n_jobs = out->n_videos;
  ex.jobs = g_new0 (VideoJob, ex.n_jobs);
  for (guint i = 0; i < ex.n_jobs; i++) {
    ex.jobs[i].ex = &ex;
    ex.jobs[i].entry = fvc_video_index_get (index, i);
    ex.jobs[i].out = &out->videos[i];
  }

  fvc_cli_install_interrupt_handler ();
  ex.loop = g_main_loop_new (NULL, FALSE);
  ex.progress = fvc_progress_new ("augment", n_pending);
  source_id = g_timeout_add (200, check_interrupt, &ex);
  launch_more (&ex);
  if (ex.running > 0 || (!ex.stopping && ex.next < ex.n_jobs))
    g_main_loop_run (ex.loop);
  g_source_remove (source_id);
  fvc_progress_finish (ex.progress);
  g_main_loop_unref (ex.loop);
  count_outcomes (out);

  if (ex.cancelled) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_CANCELLED, "interrupted; run the same command again to resume");
    ok = FALSE;
  } else if (!fvc_cache_finalize (cache, (const char *const *) order->pdata, error) ||
             !write_failures (out, index, cache, error)) {
    ok = FALSE;
  }
  g_free (ex.jobs);
  g_free (ex.index_dir);
  fvc_augment_job_shared_free (ex.shared);
  return ok;
}

void
fvc_extraction_log_summary (const FvcExtraction *ex, double wall_s)
{
  FvcMemSample mem;
  g_autofree char *peak = NULL;

  fvc_memstats_sample (&mem);
  peak = g_format_size_full (mem.peak_rss_bytes, G_FORMAT_SIZE_IEC_UNITS);
  fvc_log_info ("summary: %u videos ok, %u already cached, %u skipped, %u failed; %u clips written; %.1f s; "
                "peak RSS %s", ex->n_ok, ex->n_cached, ex->n_skipped, ex->n_failed, ex->clips, wall_s, peak);
  if (ex->used > 0)
    fvc_log_info ("frames: %" G_GUINT64_FORMAT " demuxed, %" G_GUINT64_FORMAT " fed to the decoder, %" G_GUINT64_FORMAT
                  " decoded, %" G_GUINT64_FORMAT " used (decoded/used %.2f)", ex->demuxed, ex->fed, ex->decoded,
                  ex->used, (double) ex->decoded / ex->used);
}

void
fvc_extraction_clear (FvcExtraction *ex)
{
  for (guint i = 0; i < ex->n_videos; i++)
    g_free (ex->videos[i].reason);
  g_clear_pointer (&ex->videos, g_free);
  ex->n_videos = 0;
}
