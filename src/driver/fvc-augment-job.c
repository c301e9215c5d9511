/* fvc-augment-job.c — extraction settings and the per-video pipeline (see fvc-augment-job.h). */
#include "config.h"
#include "fvc-augment-job.h"
#include "fvc-clip.h"
#include "fvc-error.h"
#include "fvc-frame-index.h"
#include "fvc-pipeline.h"

#include <string.h>

#define DEFAULT_NUM_FRAMES 6
#define DEFAULT_AUGMENTATIONS 1

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
    { "strategy", 0, 0, G_OPTION_ARG_STRING, &opts->strategy, "uniform (default), random-segment or stride", "NAME" },
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

GstElement *
fvc_augment_job_build (const FvcAugmentJobConfig *cfg, const FvcVideoEntry *entry, const char *index_dir,
                       const char *cache_dir, GError **error)
{
  g_autoptr (GHashTable) vars = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (FvcFrameIndex) index = NULL;
  g_autoptr (GstElementFactory) decoder = NULL;
  g_autofree char *index_name = fvc_video_file_name (entry->video_path, ".fvcidx");
  g_autofree char *index_file = g_build_filename (index_dir, index_name, NULL);
  g_autofree char *branch_tmpl = NULL;
  g_autoptr (GString) branches = g_string_new (NULL);
  guint n_frames;
  FvcCompleteness completeness;

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
  decoder = fvc_pipeline_find_decoder (fvc_frame_index_get_caps (index));
  if (decoder == NULL) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_MEDIA, "%s: no decoder installed for %s", entry->video_path,
                 fvc_frame_index_get_caps (index));
    return NULL;
  }

  branch_tmpl = fvc_pipeline_load_template ("augment-branch", error);
  if (branch_tmpl == NULL)
    return NULL;
  for (int a = -1; a < (int) cfg->augmentations; a++) {
    g_autoptr (GHashTable) bvars = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
    g_autofree char *branch = NULL;
    set_var (bvars, "augmentation_index", g_strdup_printf ("%d", a));
    set_var (bvars, "size", g_strdup_printf ("%u", cfg->size));
    set_var (bvars, "augmentations", g_strdup_printf ("%u", cfg->augmentations));
    set_quoted (bvars, "cache", cache_dir);
    branch = fvc_pipeline_fill (branch_tmpl, bvars, error);
    if (branch == NULL)
      return NULL;
    g_string_append_printf (branches, "%s ", branch);
  }

  set_quoted (vars, "video_file", entry->resolved_path);
  set_var (vars, "decoder", g_strdup (GST_OBJECT_NAME (decoder)));
  {
    GString *opts = g_string_new (NULL);
    GstElement *probe = gst_element_factory_create (decoder, NULL);
    if (probe != NULL) {
      /* Threads: jobs × threads ≈ cores. Corrupt frames are not output: a sampled frame that
       * cannot be decoded fails the video instead of entering the cache damaged. */
      if (cfg->decoder_threads > 0 && g_object_class_find_property (G_OBJECT_GET_CLASS (probe), "max-threads"))
        g_string_append_printf (opts, "max-threads=%u ", cfg->decoder_threads);
      if (g_object_class_find_property (G_OBJECT_GET_CLASS (probe), "output-corrupt"))
        g_string_append (opts, "output-corrupt=false ");
      gst_object_unref (gst_object_ref_sink (probe));
    }
    set_var (vars, "decoder_options", g_string_free (opts, FALSE));
  }
  set_quoted (vars, "video_path", entry->video_path);
  set_var (vars, "label", g_strdup_printf ("%d", (int) entry->label));
  set_var (vars, "num_frames", g_strdup_printf ("%u", cfg->num_frames));
  set_var (vars, "strategy", g_strdup (fvc_sample_strategy_name (cfg->strategy)));
  set_var (vars, "short_video", g_strdup (fvc_short_video_policy_name (cfg->short_video)));
  set_quoted (vars, "index_dir", index_dir);
  set_var (vars, "plan", g_strdup (cfg->plan ? "true" : "false"));
  set_var (vars, "branches", g_strdup (branches->str));
  return fvc_pipeline_launch ("augment", vars, error);
}
