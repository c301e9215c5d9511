/* fvc-cmd-run.c — `fvc-stream run`: the whole k-fold experiment in one process. Clean (unless
 * --keep-previous), resolve and write the configuration, build the shared clip cache once,
 * assign folds over the videos that extracted, train and evaluate every (fold, model), then the
 * results, the report and the table. It keeps the books; the extraction loop is
 * fvc-augment-job.c's, one (fold, model) is fvc-fold-job.c's, the numbers are fvc-results'.
 * --prepare-only stops after the cache and the folds (cluster jobs then run `fvc-stream train`
 * and `eval`), --collect gathers such a run's results and writes its report. */
#include "config.h"
#include "fvc-augment-job.h"
#include "fvc-cli.h"
#include "fvc-config.h"
#include "fvc-csv.h"
#include "fvc-error.h"
#include "fvc-fileutil.h"
#include "fvc-fold-job.h"
#include "fvc-folds.h"
#include "fvc-memlog.h"
#include "fvc-memstats.h"
#include "fvc-pipeline.h"
#include "fvc-report.h"
#include "fvc-results.h"
#include "fvc-run-dir.h"

#include <errno.h>
#include <unistd.h>

#define CACHE_LINK_DIR "augmented_clips"
#define CACHE_LINK_NAME "shared"

/* ---- options ----------------------------------------------------------------------------------- */

static char *memstats_value;

static gboolean
parse_memstats (const char *name, const char *value, gpointer data, GError **error)
{
  g_free (memstats_value);
  memstats_value = g_strdup (value ? value : "basic");
  return TRUE;
}

typedef struct {
  FvcRunFlags flags;
  char *root;
  char *collect;
  gboolean keep_previous;
  gboolean prepare_only;
} RunOptions;

/* ---- the run ---------------------------------------------------------------------------------- */

typedef struct {
  RunOptions *opts;
  FvcRunConfig cfg;
  FvcRunDir *rd;
  FvcMemlog *memlog;
  char *cache_dir;
  char *manifest;
  FvcResults *results;
} Run;

static void
run_clear (Run *r)
{
  fvc_run_config_clear (&r->cfg);
  g_clear_pointer (&r->rd, fvc_run_dir_free);
  g_clear_pointer (&r->memlog, fvc_memlog_free);
  g_clear_pointer (&r->cache_dir, g_free);
  g_clear_pointer (&r->manifest, g_free);
  g_clear_pointer (&r->results, fvc_results_free);
}

static void
on_pipeline_started (GstElement *pipeline, gpointer user_data)
{
  fvc_memlog_watch_pipeline (user_data, pipeline);
}

static void
on_video_done (const FvcVideoEntry *entry, const FvcVideoOutcome *outcome, gpointer user_data)
{
  fvc_memlog_mark_detailed (user_data, "video-done", entry->video_path);
}

/* The cache of the run: its own, or a symlink runs/run_NNN/augmented_clips/shared to the
 * persistent --cache (which `clean` removes as a link, never following it). */
static gboolean
prepare_cache_dir (Run *r, GError **error)
{
  g_autofree char *link_dir = fvc_run_dir_path (r->rd, CACHE_LINK_DIR);
  g_autofree char *link = g_build_filename (link_dir, CACHE_LINK_NAME, NULL);

  if (!fvc_mkdir_p (link_dir, error))
    return FALSE;
  if (r->cfg.cache == NULL) {
    r->cache_dir = g_steal_pointer (&link);
    return TRUE;
  }
  r->cache_dir = g_canonicalize_filename (r->cfg.cache, NULL);
  if (!fvc_mkdir_p (r->cache_dir, error))
    return FALSE;
  if (symlink (r->cache_dir, link) != 0) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_IO, "%s: cannot link to the cache %s: %s", link, r->cache_dir,
                 g_strerror (errno));
    return FALSE;
  }
  return TRUE;
}

static gboolean
extract (Run *r, const FvcVideoIndex *index, FvcExtraction *ex, GError **error)
{
  FvcAugmentJobOptions aopts;
  FvcAugmentJobConfig acfg;
  FvcCacheConfig want = { 0 };
  g_autoptr (FvcCache) cache = NULL;
  FvcExtractionHooks hooks = { on_pipeline_started, on_video_done, r->memlog };
  gint64 t0 = g_get_monotonic_time ();
  gboolean ok;

  /* The resolved values go through augment's own resolution, so both commands validate and
   * fingerprint a cache the same way. */
  fvc_augment_job_options_init (&aopts);
  aopts.index_path = g_strdup (r->cfg.index_path);
  aopts.cache_dir = g_strdup (r->cache_dir);
  aopts.num_frames = (gint) r->cfg.num_frames;
  aopts.size = (gint) r->cfg.size;
  aopts.augmentations = (gint) r->cfg.augmentations;
  aopts.jobs = (gint) r->cfg.jobs;
  aopts.strategy = g_strdup (r->cfg.strategy);
  aopts.short_video = g_strdup (r->cfg.short_video);
  ok = fvc_augment_job_options_resolve (&aopts, &acfg, error);
  fvc_augment_job_options_clear (&aopts);
  if (!ok)
    return FALSE;

  fvc_augment_job_cache_config (&acfg, &want);
  cache = fvc_cache_open (r->cache_dir, &want, FVC_CACHE_OPEN_CREATE | FVC_CACHE_OPEN_REPAIR, error);
  fvc_cache_config_clear (&want);
  if (cache == NULL)
    return FALSE;
  fvc_log_info ("cache: %s%s", r->cache_dir, r->cfg.cache ? " (persistent, reused when complete)" : "");
  fvc_memlog_mark (r->memlog, "extract-start", NULL);
  if (!fvc_augment_job_extract (&acfg, index, cache, &hooks, ex, error))
    return FALSE;
  fvc_extraction_log_summary (ex, (g_get_monotonic_time () - t0) / 1e6);
  fvc_memlog_mark (r->memlog, "extract-end", NULL);
  return TRUE;
}

/* runs/run_NNN/videos.csv: the index without the videos that failed extraction; the folds are
 * assigned over it. Paths stay as written, resolved against the original index's directory. */
static FvcVideoIndex *
usable_videos (Run *r, const FvcVideoIndex *index, const FvcExtraction *ex, GError **error)
{
  g_autofree char *path = fvc_run_dir_path (r->rd, "videos.csv");
  g_autofree char *index_dir = g_path_get_dirname (r->cfg.index_path);
  gboolean groups = fvc_video_index_has_groups (index);
  g_autoptr (GString) out = g_string_new (groups ? "video_path,label,group\n" : "video_path,label\n");

  for (guint i = 0; i < ex->n_videos; i++) {
    const FvcVideoEntry *e = fvc_video_index_get (index, i);
    const FvcVideoOutcome *v = &ex->videos[i];
    if (v->status != FVC_VIDEO_OK && v->status != FVC_VIDEO_CACHED) {
      g_autofree char *why = fvc_video_outcome_describe (v);
      g_autofree char *warning = g_strdup_printf ("excluded from every fold: %s (%s)", e->video_path, why);
      fvc_log_warning ("%s", warning);
      fvc_results_add_excluded (r->results, e->video_path, why);
      fvc_results_add_warning (r->results, warning);
      continue;
    }
    fvc_csv_append_field (out, e->video_path, TRUE);
    fvc_csv_append_field (out, e->label == FVC_LABEL_FAKE ? "fake" : "real", FALSE);
    if (groups)
      fvc_csv_append_field (out, e->group ? e->group : "", FALSE);
    g_string_append_c (out, '\n');
  }
  if (!fvc_file_write_atomic_string (path, out->str, error))
    return NULL;
  return fvc_video_index_load (path, r->cfg.video_root ? r->cfg.video_root : index_dir, error);
}

static gboolean
write_excluded (Run *r, const FvcExtraction *ex, const FvcVideoIndex *index, GError **error)
{
  g_autofree char *path = fvc_run_dir_path (r->rd, "excluded.csv");
  g_autoptr (GString) out = g_string_new ("video_path,reason\n");

  for (guint i = 0; i < ex->n_videos; i++) {
    const FvcVideoOutcome *v = &ex->videos[i];
    g_autofree char *why = NULL;
    if (v->status == FVC_VIDEO_OK || v->status == FVC_VIDEO_CACHED)
      continue;
    why = fvc_video_outcome_describe (v);
    fvc_csv_append_field (out, fvc_video_index_get (index, i)->video_path, TRUE);
    fvc_csv_append_field (out, why, FALSE);
    g_string_append_c (out, '\n');
  }
  return fvc_file_write_atomic_string (path, out->str, error);
}

/* Per fold: videos, reals, fakes, into the log. */
static void
log_folds (const FvcVideoIndex *index, const guint *fold_of, guint k)
{
  for (guint f = 0; f < k; f++) {
    guint n = 0, fake = 0;
    for (guint i = 0; i < fvc_video_index_get_n_videos (index); i++)
      if (fold_of[i] == f) {
        n++;
        fake += fvc_video_index_get (index, i)->label == FVC_LABEL_FAKE;
      }
    fvc_log_info ("fold %u: %u validation videos (%u real, %u fake), %u training videos", f, n, n - fake, fake,
                  fvc_video_index_get_n_videos (index) - n);
  }
}

/* Loads what the (fold, model) jobs wrote: metrics.json of each, excluded.csv of the run. */
static void
collect_results (Run *r)
{
  g_autofree char *excluded = fvc_run_dir_path (r->rd, "excluded.csv");
  g_autoptr (FvcCsvTable) t = fvc_csv_read (excluded, FVC_CSV_MISSING_OK, NULL);

  for (guint m = 0; m < r->cfg.n_models; m++) {
    for (guint k = 0; k < r->cfg.folds; k++) {
      g_autofree char *fold_name = g_strdup_printf ("fold%u", k);
      g_autofree char *path = g_build_filename (r->rd->dir, fold_name, r->cfg.models[m], "metrics.json", NULL);
      g_autoptr (GError) error = NULL;
      FvcFoldResult res;
      fvc_fold_result_init (&res, r->cfg.models[m], k);
      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        fvc_fold_result_set_failed (&res, "not run (no metrics.json)");
      else if (!fvc_fold_result_load_json (&res, path, &error))
        fvc_fold_result_set_failed (&res, error->message);
      if (g_strcmp0 (res.model, r->cfg.models[m]) != 0 || res.fold != k) {
        g_autofree char *why = g_strdup_printf ("%s is for %s fold %u", path, res.model, res.fold);
        g_free (res.model);
        res.model = g_strdup (r->cfg.models[m]);
        res.fold = k;
        fvc_fold_result_set_failed (&res, why);
      }
      fvc_results_set (r->results, &res);
      fvc_fold_result_clear (&res);
    }
  }
  for (guint i = 0; t && i < t->rows->len; i++) {
    const char *video = fvc_csv_row_get (t->rows->pdata[i], 0);
    const char *why = fvc_csv_row_get (t->rows->pdata[i], 1);
    g_autofree char *warning = g_strdup_printf ("excluded from every fold: %s (%s)", video, why);
    fvc_results_add_excluded (r->results, video, why);
    fvc_results_add_warning (r->results, warning);
  }
}

/* results.csv, results.json and the report; @report_out gets the report's path. */
static gboolean
write_results (Run *r, char **report_out, GError **error)
{
  g_autofree char *csv = fvc_run_dir_path (r->rd, "results.csv");
  g_autofree char *json = fvc_run_dir_path (r->rd, "results.json");

  if (!fvc_results_write_csv (r->results, csv, error) || !fvc_results_write_json (r->results, json, error))
    return FALSE;
  *report_out = fvc_report_write (r->rd, &r->cfg, r->results, error);
  if (*report_out == NULL)
    return FALSE;
  fvc_memlog_mark (r->memlog, "report", NULL);
  return TRUE;
}

/* The last lines of a run: the table, then where the results and the report are. */
static void
print_results (Run *r, const char *report)
{
  g_autofree char *csv = fvc_run_dir_path (r->rd, "results.csv");
  g_autofree char *table = fvc_results_format_table (r->results);
  g_auto (GStrv) lines = g_strsplit (table, "\n", -1);

  fvc_log_info ("results (validation, mean ± std over %u folds):", r->cfg.folds);
  for (guint i = 0; lines[i] && *lines[i]; i++)
    fvc_log_info ("  %s", lines[i]);
  fvc_log_info ("results: %s", csv);
  fvc_log_info ("report: %s", report);
}

static gboolean
outcome (Run *r, GError **error)
{
  guint failed = fvc_results_count_failed (r->results), excluded = fvc_results_get_n_excluded (r->results);

  if (failed == 0 && excluded == 0)
    return TRUE;
  g_set_error (error, FVC_ERROR, FVC_ERROR_PARTIAL, "%u of %u trainings failed, %u video%s excluded; see %s/results.json",
               failed, r->cfg.folds * r->cfg.n_models, excluded, excluded == 1 ? "" : "s", r->rd->dir);
  return FALSE;
}

static gboolean
run_collect (Run *r, GError **error)
{
  g_autofree char *config = NULL;
  g_autofree char *report = NULL;

  r->rd = fvc_run_dir_open (r->opts->collect, error);
  if (r->rd == NULL)
    return FALSE;
  config = fvc_run_dir_path (r->rd, "config.ini");
  g_free (r->opts->flags.config_file);
  r->opts->flags.config_file = g_strdup (config);
  if (!fvc_run_config_resolve (&r->cfg, &r->opts->flags, FALSE, error) || !fvc_log_open_file (r->rd->log_path, error))
    return FALSE;
  fvc_log_info ("%s: collecting the results of the (fold, model) jobs", r->rd->name);
  r->results = fvc_results_new ((const char *const *) r->cfg.models, r->cfg.folds);
  collect_results (r);
  if (!write_results (r, &report, error))
    return FALSE;
  print_results (r, report);
  return outcome (r, error);
}

static gboolean
run_all (Run *r, const char *command_line, GError **error)
{
  g_autoptr (FvcVideoIndex) index = NULL;
  g_autoptr (FvcVideoIndex) usable = NULL;
  g_autofree guint *fold_of = NULL;
  g_autofree char *config_path = NULL;
  g_autofree char *memstats_path = NULL;
  g_autoptr (GPtrArray) cleaned = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *report = NULL;
  FvcExtraction ex = { 0 };
  FvcProgress *progress;
  gint64 t0 = g_get_monotonic_time ();
  const char *root = r->opts->root ? r->opts->root : ".";
  guint done = 0, total;
  gboolean ok = FALSE;

  if (!fvc_run_config_resolve (&r->cfg, &r->opts->flags, TRUE, error))
    return FALSE;
  if (r->cfg.index_path == NULL) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "--index is required (or [run] index in --config)");
    return FALSE;
  }
  if (!fvc_pipeline_check_plugin (error))
    return FALSE;
  index = fvc_video_index_load (r->cfg.index_path, r->cfg.video_root, error);
  if (index == NULL)
    return FALSE;
  if (!fvc_mkdir_p (root, error))
    return FALSE;
  if (!r->opts->keep_previous && !fvc_clean_project (root, FALSE, cleaned, error))
    return FALSE;
  r->rd = fvc_run_dir_create (root, error);
  if (r->rd == NULL || !fvc_log_open_file (r->rd->log_path, error))
    return FALSE;

  fvc_log_info ("%s: fvc-stream %s: %s", r->rd->name, FVC_VERSION, command_line);
  for (guint i = 0; i < cleaned->len; i++)
    fvc_log_info ("cleaned %s", (const char *) cleaned->pdata[i]);
  config_path = fvc_run_dir_path (r->rd, "config.ini");
  memstats_path = fvc_run_dir_path (r->rd, "memstats.csv");
  r->memlog = fvc_memlog_new (r->cfg.memstats, memstats_path, error);
  if (r->cfg.memstats != FVC_MEMSTATS_OFF && r->memlog == NULL)
    return FALSE;
  fvc_memlog_mark (r->memlog, "start", NULL);
  if (!fvc_run_config_write (&r->cfg, config_path, error))
    return FALSE;
  {
    g_autofree char *models = g_strjoinv (", ", r->cfg.models);
    fvc_log_info ("%s: %u videos, %u folds, models %s, seed %u; configuration in %s", r->rd->name,
                  fvc_video_index_get_n_videos (index), r->cfg.folds, models, r->cfg.seed, config_path);
  }

  r->results = fvc_results_new ((const char *const *) r->cfg.models, r->cfg.folds);
  if (!prepare_cache_dir (r, error) || !extract (r, index, &ex, error) || !write_excluded (r, &ex, index, error))
    goto out;
  usable = usable_videos (r, index, &ex, error);
  if (usable == NULL)
    goto out;
  fold_of = g_new0 (guint, MAX (1u, fvc_video_index_get_n_videos (usable)));
  r->manifest = fvc_run_dir_path (r->rd, "folds.csv");
  if (!fvc_folds_assign (usable, r->cfg.folds, r->cfg.seed, fold_of, error) ||
      !fvc_folds_write_manifest (r->manifest, usable, fold_of, error))
    goto out;
  log_folds (usable, fold_of, r->cfg.folds);
  fvc_memlog_mark (r->memlog, "folds", NULL);

  if (r->opts->prepare_only) {
    fvc_log_info ("prepared %s: cache and folds ready; train each (fold, model) with", r->rd->dir);
    fvc_log_info ("  fvc-stream train --run %s --fold K --model M   and   fvc-stream eval --run %s --fold K --model M",
                  r->rd->dir, r->rd->dir);
    fvc_log_info ("then gather the results and the report with  fvc-stream run --collect %s", r->rd->dir);
    ok = TRUE;
    goto out;
  }

  total = r->cfg.folds * r->cfg.n_models;
  progress = fvc_progress_new ("experiment", total);
  for (guint k = 0; k < r->cfg.folds; k++) {
    for (guint m = 0; m < r->cfg.n_models; m++) {
      g_autoptr (GError) job_error = NULL;
      g_autofree char *prefix = g_strdup_printf ("[%u/%u] ", done + 1, total);
      FvcFoldJob job = { r->rd, &r->cfg, r->cache_dir, r->manifest, k, &r->cfg.model[m], r->memlog, prefix };
      FvcFoldResult res;
      fvc_fold_result_init (&res, r->cfg.models[m], k);
      if (!fvc_fold_job_run (&job, &res, &job_error) &&
          g_error_matches (job_error, FVC_ERROR, FVC_ERROR_CANCELLED)) {
        fvc_fold_result_clear (&res);
        fvc_progress_finish (progress);
        g_propagate_error (error, g_steal_pointer (&job_error));
        goto out;
      }
      fvc_results_set (r->results, &res);
      fvc_fold_result_clear (&res);
      done++;
      {
        g_autofree char *detail = g_strdup_printf ("fold %u %s", k, r->cfg.models[m]);
        fvc_progress_update (progress, done, detail);
      }
    }
  }
  fvc_progress_finish (progress);
  if (!write_results (r, &report, error))
    goto out;
  fvc_memlog_mark (r->memlog, "end", NULL);
  {
    FvcMemSample mem;
    g_autofree char *peak = NULL;
    fvc_memstats_sample (&mem);
    peak = g_format_size_full (mem.peak_rss_bytes, G_FORMAT_SIZE_IEC_UNITS);
    fvc_log_info ("%s finished in %.1f s, peak RSS %s", r->rd->name, (g_get_monotonic_time () - t0) / 1e6, peak);
  }
  print_results (r, report);
  ok = outcome (r, error);

out:
  fvc_extraction_clear (&ex);
  return ok;
}

gboolean
fvc_cmd_run (int argc, char **argv, GError **error)
{
  g_autoptr (GOptionContext) ctx = NULL;
  g_autofree char *command_line = g_strjoinv (" ", argv);
  RunOptions opts = { 0 };
  Run r = { 0 };
  gboolean ok;
  GOptionEntry entries[] = {
    { "index", 'i', 0, G_OPTION_ARG_FILENAME, &opts.flags.index_path, "Video index CSV (video_path,label[,group])", "CSV" },
    { "folds", 'k', 0, G_OPTION_ARG_INT, &opts.flags.folds, "Folds of the cross-validation (default 5)", "K" },
    { "models", 'm', 0, G_OPTION_ARG_STRING, &opts.flags.models,
      "Models, comma-separated (default logistic_regression,svm,naive_cnn)", "LIST" },
    { "config", 'C', 0, G_OPTION_ARG_FILENAME, &opts.flags.config_file, "INI file with settings (see docs/usage.md)", "FILE" },
    { "cache", 'c', 0, G_OPTION_ARG_FILENAME, &opts.flags.cache,
      "Persistent clip cache, reused when its settings match (default: the run's own)", "DIR" },
    { "keep-previous", 0, 0, G_OPTION_ARG_NONE, &opts.keep_previous, "Do not clean runs/, logs/, models/ first", NULL },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &opts.flags.seed, "Seed of folds, shuffling and initialisation (default 42)", "S" },
    { "epochs", 'e', 0, G_OPTION_ARG_INT, &opts.flags.epochs, "Training epochs of every model (default 10)", "E" },
    { "num-frames", 'n', 0, G_OPTION_ARG_INT, &opts.flags.num_frames, "Frames per clip (default 6, env FVC_NUM_FRAMES)", "N" },
    { "size", 's', 0, G_OPTION_ARG_INT, &opts.flags.size, "Clip size in pixels (default 112, env FVC_FIXED_SIZE)", "PX" },
    { "augmentations", 'a', 0, G_OPTION_ARG_INT, &opts.flags.augmentations,
      "Augmented clips per video besides the base clip (default 1)", "A" },
    { "jobs", 'j', 0, G_OPTION_ARG_INT, &opts.flags.jobs, "Videos extracted at once (default: number of cores)", "J" },
    { "device", 0, 0, G_OPTION_ARG_STRING, &opts.flags.device, "Training device: cpu (default) or cuda", "DEV" },
    { "learning-rate", 0, 0, G_OPTION_ARG_DOUBLE, &opts.flags.learning_rate, "AdamW learning rate of every model (default 0.001)",
      "LR" },
    { "weight-decay", 0, 0, G_OPTION_ARG_DOUBLE, &opts.flags.weight_decay, "AdamW weight decay of every model (default 0.0001)",
      "WD" },
    { "memstats", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK, parse_memstats,
      "Memory statistics at every stage into the log and memstats.csv (=detailed: also per video, epoch and second)",
      "[detailed]" },
    { "video-root", 0, 0, G_OPTION_ARG_FILENAME, &opts.flags.video_root,
      "Directory relative video paths are resolved against (default: the index's directory)", "DIR" },
    { "root", 'r', 0, G_OPTION_ARG_FILENAME, &opts.root, "Project root for runs/, logs/, models/ (default: .)", "DIR" },
    { "prepare-only", 0, 0, G_OPTION_ARG_NONE, &opts.prepare_only,
      "Stop after the cache and the folds (then `fvc-stream train` / `eval` per fold, e.g. as cluster jobs)", NULL },
    { "collect", 0, 0, G_OPTION_ARG_FILENAME, &opts.collect,
      "Gather the results of a prepared run's train/eval jobs and write its results and report", "RUN_DIR" },
    { NULL },
  };

  fvc_run_flags_init (&opts.flags);
  ctx = g_option_context_new ("- the whole k-fold experiment: cache, train and evaluate every model, report");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_description (ctx,
      "Cleans runs/, logs/ and models/ (unless --keep-previous), writes runs/run_NNN/config.ini\n"
      "(defaults < --config file < FVC_NUM_FRAMES/FVC_FIXED_SIZE < flags), extracts every video once\n"
      "into the shared cache, assigns the folds over the videos that extracted, trains and evaluates\n"
      "every (fold, model), and writes results.csv, results.json and report/index.html.\n"
      "Everything is logged to logs/run_NNN.log; checkpoints go to models/run_NNN/.\n\n"
      "Exit status: 0 all done, 3 some trainings failed or videos were excluded (see results.json),\n"
      "1 error, 2 bad usage, 130 interrupted.\n\n"
      "Example:\n  fvc-stream run --index data/video_index_input.csv --epochs 3 --size 32");
  ok = fvc_cli_parse (ctx, &argc, &argv, error);
  if (ok && argc > 1) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "unexpected argument \"%s\"", argv[1]);
    ok = FALSE;
  }
  if (ok) {
    opts.flags.memstats = g_steal_pointer (&memstats_value);
    r.opts = &opts;
    ok = opts.collect ? run_collect (&r, error) : run_all (&r, command_line, error);
  }
  if (!ok && error && *error) {
    /* main() prints the error on the terminal; the log gets it too. */
    fvc_log_set_quiet (TRUE);
    fvc_log_info ("error: %s", (*error)->message);
    fvc_log_set_quiet (FALSE);
  }
  run_clear (&r);
  fvc_log_close_file ();
  fvc_run_flags_clear (&opts.flags);
  g_free (opts.root);
  g_free (opts.collect);
  return ok;
}
