/* fvc-fold-job.c — training and evaluation of one (fold, model) from pipeline templates, with the
 * books: progress and epoch messages into CSV files and the log, the clips each sink actually
 * received (a probe on its sink pad), metrics.json (see fvc-fold-job.h). The work happens in
 * fvcclipsrc, fvctrainsink and fvcevalsink. */
#include "config.h"
#include "fvc-fold-job.h"
#include "fvc-cli.h"
#include "fvc-error.h"
#include "fvc-clip-structure.h"
#include "fvc-csv.h"
#include "fvc-fileutil.h"
#include "fvc-pipeline.h"
#include "fvc-provenance.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ---- small helpers --------------------------------------------------------------------------- */

static void
set_var (GHashTable *vars, const char *key, char *value)
{
  g_hash_table_insert (vars, g_strdup (key), value);
}

static char *
format_double (double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  return g_strdup (g_ascii_dtostr (buf, sizeof buf, v));
}

static char *
job_label (const FvcFoldJob *job)
{
  return g_strdup_printf ("%sfold %u %s", job->progress_prefix ? job->progress_prefix : "", job->fold, job->model->name);
}

/* A CSV written row by row while a pipeline runs, under a temporary name until it is complete,
 * so a killed run never leaves a file that looks finished. */
typedef struct {
  char *path;
  char *tmp;
  FILE *f;
} RowFile;

static gboolean
row_file_open (RowFile *rf, const char *dir, const char *name, const char *header, GError **error)
{
  rf->path = g_build_filename (dir, name, NULL);
  rf->tmp = fvc_temp_name_for (rf->path);
  rf->f = fopen (rf->tmp, "w");
  if (rf->f == NULL) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_IO, "%s: cannot create: %s", rf->tmp, g_strerror (errno));
    return FALSE;
  }
  fputs (header, rf->f);
  return TRUE;
}

/* Closes; renames into place when @keep, else removes. */
static gboolean
row_file_close (RowFile *rf, gboolean keep, GError **error)
{
  gboolean ok = TRUE;

  if (rf->f != NULL) {
    ok = fflush (rf->f) == 0;
    ok = fclose (rf->f) == 0 && ok;
    rf->f = NULL;
    if (keep && !ok)
      g_set_error (error, FVC_ERROR, FVC_ERROR_IO, "%s: cannot write: %s", rf->tmp, g_strerror (errno));
    if (keep && ok)
      ok = fvc_file_commit_temp (rf->tmp, rf->path, error);  /* fsync, rename, directory fsync */
    else
      g_unlink (rf->tmp);
  }
  g_clear_pointer (&rf->path, g_free);
  g_clear_pointer (&rf->tmp, g_free);
  return !keep || ok;
}

/* ---- the clips a sink received ---------------------------------------------------------------- */

typedef struct {
  RowFile file;
  guint epoch;
  guint64 clips;
} ClipLog;

static GstPadProbeReturn
record_clip (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  ClipLog *cl = user_data;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    FvcClipMeta *meta = fvc_buffer_get_clip_meta (buf);
    g_auto (FvcClipProvenance) prov = { 0 };
    gboolean known = meta != NULL &&
        fvc_clip_structure_parse (meta->info, FVC_CLIP_FIELD_VIDEO_PATH | FVC_CLIP_FIELD_LABEL |
                                  FVC_CLIP_FIELD_AUGMENTATION_IDX, &prov, NULL);
    GString *line = g_string_new (NULL);

    /* A clip without its provenance still counts, with empty fields. */
    g_string_append_printf (line, "%u", cl->epoch);
    fvc_csv_append_field (line, known ? prov.info.video_path : "", FALSE);
    if (known)
      g_string_append_printf (line, ",%d,%d\n", prov.info.augmentation_idx, prov.info.label);
    else
      g_string_append (line, ",,-1\n");
    fputs (line->str, cl->file.f);
    g_string_free (line, TRUE);
    cl->clips++;
  } else if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    guint epoch;
    /* fvcclipsrc marks each epoch with an "fvc/epoch" event before its first clip. */
    if (fvc_epoch_event_parse (GST_PAD_PROBE_INFO_EVENT (info), &epoch, NULL))
      cl->epoch = epoch;
  }
  return GST_PAD_PROBE_OK;
}

static gboolean
clip_log_attach (ClipLog *cl, GstElement *pipeline, const char *dir, const char *name, GError **error)
{
  g_autoptr (GstElement) sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_autoptr (GstPad) pad = NULL;

  if (sink == NULL || (pad = gst_element_get_static_pad (sink, "sink")) == NULL) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_FAILED, "the pipeline template has no element named \"sink\"");
    return FALSE;
  }
  if (!row_file_open (&cl->file, dir, name, "epoch,video_path,augmentation_idx,label\n", error))
    return FALSE;
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, record_clip, cl, NULL);
  return TRUE;
}

/* ---- running a pipeline ------------------------------------------------------------------------ */

typedef struct {
  const FvcFoldJob *job;
  GMainLoop *loop;
  FvcPipelineRun *run;
  GError *error;
  gboolean done;
  gint64 last_memstats_us;
  /* training */
  RowFile log, epochs;
  guint64 epoch_count;
  gint64 epoch_start_us;
  gint64 last_progress_log_us;
  /* evaluation */
  FvcFoldResult *result;
  gboolean have_metrics;
} Watch;

static gboolean
get_number (const GstStructure *s, const char *field, double *out)
{
  const GValue *v = gst_structure_get_value (s, field);
  GValue d = G_VALUE_INIT;

  if (v == NULL || !g_value_type_transformable (G_VALUE_TYPE (v), G_TYPE_DOUBLE))
    return FALSE;
  g_value_init (&d, G_TYPE_DOUBLE);
  g_value_transform (v, &d);
  *out = g_value_get_double (&d);
  return TRUE;
}

static char *
field_text (const GstStructure *s, const char *field)
{
  double v;
  return get_number (s, field, &v) ? format_double (v) : g_strdup ("");
}

static void
on_train_message (Watch *w, const GstStructure *s)
{
  const FvcFoldJob *job = w->job;
  g_autofree char *label = job_label (job);

  if (gst_structure_has_name (s, "fvc-train-progress")) {
    static const char *const fields[] = { "epoch", "step", "clips", "loss", "learning-rate", "clips-per-second" };
    gint64 now = g_get_monotonic_time ();
    double epoch = 0, step = 0, loss = NAN, rate = NAN;
    for (guint i = 0; i < G_N_ELEMENTS (fields); i++) {
      g_autofree char *t = field_text (s, fields[i]);
      fprintf (w->log.f, "%s%s", i ? "," : "", t);
    }
    fputc ('\n', w->log.f);
    get_number (s, "epoch", &epoch);
    get_number (s, "step", &step);
    get_number (s, "loss", &loss);
    get_number (s, "clips-per-second", &rate);
    /* The terminal gets a line every 10 s at most; the epoch summaries say the rest. */
    if (now - w->last_progress_log_us > 10 * G_USEC_PER_SEC) {
      w->last_progress_log_us = now;
      fvc_log_info ("%s: epoch %.0f/%u, step %.0f, loss %.4f, %.1f clips/s", label, epoch + 1, job->model->epochs, step,
                    loss, rate);
    }
  } else if (gst_structure_has_name (s, "fvc-train-epoch")) {
    double epoch = 0, clips = 0, loss = NAN, acc = NAN;
    gint64 now = g_get_monotonic_time ();
    g_autofree char *t_epoch = field_text (s, "epoch"), *t_clips = field_text (s, "clips");
    g_autofree char *t_loss = field_text (s, "loss"), *t_acc = field_text (s, "accuracy");
    g_autofree char *detail = NULL;
    fprintf (w->epochs.f, "%s,%s,%s,%s\n", t_epoch, t_clips, t_loss, t_acc);
    get_number (s, "epoch", &epoch);
    get_number (s, "clips", &clips);
    get_number (s, "loss", &loss);
    get_number (s, "accuracy", &acc);
    fvc_log_info ("%s: epoch %.0f/%u: mean loss %.4f, accuracy %.3f (%.0f clips, %.1f s)", label, epoch + 1,
                  job->model->epochs, loss, acc, clips, (now - w->epoch_start_us) / 1e6);
    w->epoch_start_us = now;
    w->epoch_count++;
    detail = g_strdup_printf ("fold %u %s epoch %.0f", job->fold, job->model->name, epoch + 1);
    fvc_memlog_mark_detailed (job->memlog, "epoch-end", detail);
  }
}

static void
on_eval_message (Watch *w, const GstStructure *s)
{
  FvcFoldResult *r = w->result;
  static const struct {
    const char *field;
    FvcResultMetric metric;
  } metrics[] = {
    { "roc-auc", FVC_RESULT_ROC_AUC },
    { "accuracy", FVC_RESULT_ACCURACY },
    { "balanced-accuracy", FVC_RESULT_BALANCED_ACCURACY },
    { "log-loss", FVC_RESULT_LOG_LOSS },
    { "f1", FVC_RESULT_F1 },
  };
  static const struct {
    const char *field;
    gsize offset;
  } counts[] = {
    { "n-videos", G_STRUCT_OFFSET (FvcFoldResult, n_videos) },
    { "tp", G_STRUCT_OFFSET (FvcFoldResult, tp) },
    { "fp", G_STRUCT_OFFSET (FvcFoldResult, fp) },
    { "tn", G_STRUCT_OFFSET (FvcFoldResult, tn) },
    { "fn", G_STRUCT_OFFSET (FvcFoldResult, fn) },
  };

  if (!gst_structure_has_name (s, "fvc-eval-metrics"))
    return;
  for (guint i = 0; i < G_N_ELEMENTS (metrics); i++) {
    double v = NAN;
    get_number (s, metrics[i].field, &v);
    r->metric[metrics[i].metric] = v;
  }
  for (guint i = 0; i < G_N_ELEMENTS (counts); i++) {
    double v = 0;
    get_number (s, counts[i].field, &v);
    G_STRUCT_MEMBER (guint, r, counts[i].offset) = (guint) v;
  }
  /* Fake is the positive class. */
  r->n_fake = r->tp + r->fn;
  r->n_real = r->tn + r->fp;
  w->have_metrics = TRUE;
}

static void
on_message (FvcPipelineRun *run, GstMessage *msg, gpointer user_data)
{
  Watch *w = user_data;
  const GstStructure *s = gst_message_get_structure (msg);

  if (s == NULL)
    return;
  if (w->result != NULL)
    on_eval_message (w, s);
  else
    on_train_message (w, s);
}

static void
on_done (FvcPipelineRun *run, const GError *error, gpointer user_data)
{
  Watch *w = user_data;

  w->run = NULL;
  w->done = TRUE;
  if (error)
    w->error = g_error_copy (error);
  g_main_loop_quit (w->loop);
}

static gboolean
on_tick (gpointer user_data)
{
  Watch *w = user_data;
  gint64 now = g_get_monotonic_time ();

  if (fvc_cli_interrupted () && w->run != NULL) {
    fvc_log_warning ("interrupted: stopping");
    fvc_pipeline_run_cancel (w->run);
    return G_SOURCE_CONTINUE;
  }
  if (fvc_memlog_is_detailed (w->job->memlog) && now - w->last_memstats_us >= G_USEC_PER_SEC) {
    g_autofree char *detail = g_strdup_printf ("fold %u %s", w->job->fold, w->job->model->name);
    w->last_memstats_us = now;
    fvc_memlog_mark (w->job->memlog, w->result ? "evaluating" : "training", detail);
  }
  return G_SOURCE_CONTINUE;
}

/* Runs @pipeline to the end on a main loop of this thread, with Ctrl-C and the detailed
 * memory samples every second. */
static gboolean
run_pipeline (Watch *w, GstElement *pipeline, GError **error)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  GSource *tick;

  g_main_context_push_thread_default (ctx);
  w->loop = g_main_loop_new (ctx, FALSE);
  tick = g_timeout_source_new (200);
  g_source_set_callback (tick, on_tick, w, NULL);
  g_source_attach (tick, ctx);
  fvc_cli_install_interrupt_handler ();
  fvc_memlog_watch_pipeline (w->job->memlog, pipeline);
  w->epoch_start_us = g_get_monotonic_time ();
  w->run = fvc_pipeline_run_start (pipeline, on_message, on_done, w);
  if (!w->done)
    g_main_loop_run (w->loop);
  g_source_destroy (tick);
  g_source_unref (tick);
  g_main_loop_unref (w->loop);
  g_main_context_pop_thread_default (ctx);
  if (w->error) {
    g_propagate_error (error, w->error);
    w->error = NULL;
    return FALSE;
  }
  return TRUE;
}

static GHashTable *
common_vars (const FvcFoldJob *job, const char *checkpoint)
{
  GHashTable *vars = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  set_var (vars, "cache", fvc_pipeline_quote (job->cache_dir));
  set_var (vars, "manifest", fvc_pipeline_quote (job->manifest));
  set_var (vars, "fold", g_strdup_printf ("%u", job->fold));
  set_var (vars, "seed", g_strdup_printf ("%u", job->cfg->seed));
  set_var (vars, "device", g_strdup (job->cfg->device));
  set_var (vars, "checkpoint", fvc_pipeline_quote (checkpoint));
  return vars;
}

gboolean
fvc_fold_job_train (const FvcFoldJob *job, GError **error)
{
  const FvcModelSettings *m = job->model;
  g_autofree char *dir = fvc_run_dir_fold_dir (job->rd, job->fold, m->name, error);
  g_autofree char *checkpoint = fvc_run_dir_checkpoint (job->rd, job->fold, m->name);
  g_autofree char *label = job_label (job);
  g_autofree char *detail = g_strdup_printf ("fold %u %s", job->fold, m->name);
  g_autoptr (GHashTable) vars = NULL;
  GstElement *pipeline;
  Watch w = { 0 };
  ClipLog clips = { 0 };
  gint64 t0 = g_get_monotonic_time ();
  gboolean ok;

  if (dir == NULL || !fvc_mkdir_p (job->rd->models_dir, error))
    return FALSE;
  vars = common_vars (job, checkpoint);
  set_var (vars, "epochs", g_strdup_printf ("%u", m->epochs));
  set_var (vars, "model", g_strdup (m->name));
  set_var (vars, "batch_size", g_strdup_printf ("%u", m->batch_size));
  set_var (vars, "accumulation_steps", g_strdup_printf ("%u", m->accumulation_steps));
  set_var (vars, "learning_rate", format_double (m->learning_rate));
  set_var (vars, "weight_decay", format_double (m->weight_decay));
  set_var (vars, "progress_interval", g_strdup_printf ("%u", job->cfg->progress_interval));
  pipeline = fvc_pipeline_launch ("train", vars, error);
  if (pipeline == NULL)
    return FALSE;

  fvc_log_info ("%s: training (%u epochs, batch %u × %u accumulation, lr %g, weight decay %g, %s)", label, m->epochs,
                m->batch_size, m->accumulation_steps, m->learning_rate, m->weight_decay, job->cfg->device);
  fvc_memlog_mark (job->memlog, "train-start", detail);
  w.job = job;
  ok = clip_log_attach (&clips, pipeline, dir, "train_clips.csv", error) &&
       row_file_open (&w.log, dir, "train_log.csv", "epoch,step,clips,loss,learning_rate,clips_per_s\n", error) &&
       row_file_open (&w.epochs, dir, "train_epochs.csv", "epoch,clips,mean_loss,accuracy\n", error);
  if (ok)
    ok = run_pipeline (&w, pipeline, error);
  else
    gst_object_unref (pipeline);
  /* Files of a failed training are kept for the post-mortem, under their final names. */
  ok = row_file_close (&w.log, TRUE, ok ? error : NULL) && ok;
  ok = row_file_close (&w.epochs, TRUE, ok ? error : NULL) && ok;
  ok = row_file_close (&clips.file, TRUE, ok ? error : NULL) && ok;
  fvc_memlog_mark (job->memlog, "train-end", detail);
  if (!ok)
    return FALSE;
  if (!g_file_test (checkpoint, G_FILE_TEST_IS_REGULAR)) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_FAILED, "training ended without writing %s", checkpoint);
    return FALSE;
  }
  fvc_log_info ("%s: trained on %" G_GUINT64_FORMAT " clips in %.1f s → %s", label, clips.clips,
                (g_get_monotonic_time () - t0) / 1e6, checkpoint);
  return TRUE;
}

gboolean
fvc_fold_job_eval (const FvcFoldJob *job, FvcFoldResult *out, GError **error)
{
  const FvcModelSettings *m = job->model;
  g_autofree char *dir = fvc_run_dir_fold_dir (job->rd, job->fold, m->name, error);
  g_autofree char *checkpoint = fvc_run_dir_checkpoint (job->rd, job->fold, m->name);
  g_autofree char *predictions = NULL, *metrics = NULL;
  g_autofree char *label = job_label (job);
  g_autofree char *detail = g_strdup_printf ("fold %u %s", job->fold, m->name);
  g_autoptr (GHashTable) vars = NULL;
  GstElement *pipeline;
  Watch w = { 0 };
  ClipLog clips = { 0 };
  gboolean ok;

  if (dir == NULL)
    return FALSE;
  predictions = g_build_filename (dir, "predictions.csv", NULL);
  metrics = g_build_filename (dir, "metrics.json", NULL);
  if (!g_file_test (checkpoint, G_FILE_TEST_IS_REGULAR)) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_IO, "%s: no checkpoint (train fold %u %s first)", checkpoint, job->fold,
                 m->name);
    return FALSE;
  }
  vars = common_vars (job, checkpoint);
  set_var (vars, "predictions", fvc_pipeline_quote (predictions));
  pipeline = fvc_pipeline_launch ("eval", vars, error);
  if (pipeline == NULL)
    return FALSE;

  fvc_memlog_mark (job->memlog, "eval-start", detail);
  fvc_fold_result_clear (out);
  fvc_fold_result_init (out, m->name, job->fold);
  w.job = job;
  w.result = out;
  ok = clip_log_attach (&clips, pipeline, dir, "eval_clips.csv", error);
  if (ok)
    ok = run_pipeline (&w, pipeline, error);
  else
    gst_object_unref (pipeline);
  ok = row_file_close (&clips.file, TRUE, ok ? error : NULL) && ok;
  fvc_memlog_mark (job->memlog, "eval-end", detail);
  if (!ok)
    return FALSE;
  if (!w.have_metrics) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_FAILED, "the evaluation posted no metrics");
    return FALSE;
  }
  out->ok = TRUE;
  g_clear_pointer (&out->error, g_free);
  if (!fvc_fold_result_write_json (out, metrics, error))
    return FALSE;
  fvc_log_info ("%s: validation on %u videos (%u real, %u fake): ROC AUC %.4f, accuracy %.4f, balanced accuracy %.4f, "
                "log loss %.4f, F1 %.4f", label, out->n_videos, out->n_real, out->n_fake, out->metric[FVC_RESULT_ROC_AUC],
                out->metric[FVC_RESULT_ACCURACY], out->metric[FVC_RESULT_BALANCED_ACCURACY],
                out->metric[FVC_RESULT_LOG_LOSS], out->metric[FVC_RESULT_F1]);
  return TRUE;
}

void
fvc_fold_job_record_failure (const FvcFoldJob *job, FvcFoldResult *out, const char *reason)
{
  g_autofree char *dir = fvc_run_dir_fold_dir (job->rd, job->fold, job->model->name, NULL);
  g_autofree char *metrics = dir ? g_build_filename (dir, "metrics.json", NULL) : NULL;
  g_autoptr (GError) error = NULL;

  fvc_fold_result_clear (out);
  fvc_fold_result_init (out, job->model->name, job->fold);
  fvc_fold_result_set_failed (out, reason);
  if (metrics && !fvc_fold_result_write_json (out, metrics, &error))
    fvc_log_warning ("%s", error->message);
}

gboolean
fvc_fold_job_run (const FvcFoldJob *job, FvcFoldResult *out, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autofree char *label = job_label (job);

  if (fvc_fold_job_train (job, &local) && fvc_fold_job_eval (job, out, &local))
    return TRUE;
  if (!g_error_matches (local, FVC_ERROR, FVC_ERROR_CANCELLED)) {
    fvc_log_warning ("%s failed: %s", label, local->message);
    fvc_fold_job_record_failure (job, out, local->message);
  }
  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

/* ---- fvc-stream train / eval ------------------------------------------------------------------- */

gboolean
fvc_fold_job_command (int argc, char **argv, gboolean train, GError **error)
{
  g_autoptr (GOptionContext) ctx = NULL;
  g_autofree char *run_dir = NULL, *model = NULL, *device = NULL, *memstats = NULL;
  g_autofree char *command_line = g_strjoinv (" ", argv);
  gint fold = -1;
  g_autoptr (FvcRunDir) rd = NULL;
  g_autoptr (FvcMemlog) memlog = NULL;
  g_autofree char *cache_dir = NULL, *manifest = NULL;
  FvcRunConfig cfg = { 0 };
  FvcRunFlags flags;
  FvcFoldResult res;
  gboolean ok = FALSE;
  GOptionEntry entries[] = {
    { "run", 'r', 0, G_OPTION_ARG_FILENAME, &run_dir, "The run, ROOT/runs/run_NNN (made by fvc-stream run --prepare-only)",
      "DIR" },
    { "fold", 'k', 0, G_OPTION_ARG_INT, &fold, "The fold, 0..K-1", "K" },
    { "model", 'm', 0, G_OPTION_ARG_STRING, &model, "The model, one of the run's", "NAME" },
    { "device", 0, 0, G_OPTION_ARG_STRING, &device, "cpu or cuda (default: the run's)", "DEV" },
    { NULL },
  };

  fvc_run_flags_init (&flags);
  fvc_fold_result_init (&res, "", 0);
  ctx = g_option_context_new (train ? "- train one model on one fold of a run" : "- evaluate one trained model on one fold of a run");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_description (ctx, train
      ? "Trains on the fold's training videos (base + augmented clips) with the run's settings\n"
        "(config.ini) and writes models/run_NNN/<model>_fold<k>.safetensors and the training logs\n"
        "in runs/run_NNN/fold<k>/<model>/ — exactly what `fvc-stream run` does for that pair.\n\n"
        "Example (a SLURM array over folds):\n"
        "  fvc-stream train --run runs/run_001 --fold $SLURM_ARRAY_TASK_ID --model naive_cnn"
      : "Scores the fold's validation videos (base clips) with the trained checkpoint and writes\n"
        "predictions.csv and metrics.json in runs/run_NNN/fold<k>/<model>/. When every pair is done,\n"
        "`fvc-stream run --collect runs/run_NNN` writes the results and the report.\n\n"
        "Example:\n  fvc-stream eval --run runs/run_001 --fold 0 --model naive_cnn");
  if (!fvc_cli_parse (ctx, &argc, &argv, error))
    goto out;
  if (run_dir == NULL || fold < 0 || model == NULL) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "--run, --fold and --model are required");
    goto out;
  }
  rd = fvc_run_dir_open (run_dir, error);
  if (rd == NULL)
    goto out;
  flags.config_file = fvc_run_dir_path (rd, "config.ini");
  flags.device = g_strdup (device);
  if (!fvc_run_config_resolve (&cfg, &flags, FALSE, error))
    goto out;
  if ((guint) fold >= cfg.folds) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--fold must be 0..%u for %s", cfg.folds - 1, rd->name);
    goto out;
  }
  if (fvc_run_config_get_model (&cfg, model) == NULL) {
    g_autofree char *models = g_strjoinv (", ", cfg.models);
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s trains %s, not \"%s\"", rd->name, models, model);
    goto out;
  }
  manifest = fvc_run_dir_path (rd, "folds.csv");
  cache_dir = g_build_filename (rd->dir, "augmented_clips", "shared", NULL);
  if (!g_file_test (manifest, G_FILE_TEST_IS_REGULAR)) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_IO, "%s: no fold manifest (run `fvc-stream run --prepare-only` first)", manifest);
    goto out;
  }
  if (!fvc_pipeline_check_plugin (error) || !fvc_log_open_file (rd->log_path, error))
    goto out;
  fvc_log_info ("%s: fvc-stream %s: %s", rd->name, FVC_VERSION, command_line);
  if (cfg.memstats != FVC_MEMSTATS_OFF) {
    g_autofree char *name = g_strdup_printf ("memstats_%s_fold%d_%s.csv", train ? "train" : "eval", fold, model);
    g_autofree char *path = fvc_run_dir_path (rd, name);
    memlog = fvc_memlog_new (cfg.memstats, path, error);
    if (memlog == NULL)
      goto out;
  }
  {
    FvcFoldJob job = { rd, &cfg, cache_dir, manifest, (guint) fold, fvc_run_config_get_model (&cfg, model), memlog, NULL };
    g_autoptr (GError) local = NULL;
    ok = train ? fvc_fold_job_train (&job, &local) : fvc_fold_job_eval (&job, &res, &local);
    if (!ok) {
      if (!g_error_matches (local, FVC_ERROR, FVC_ERROR_CANCELLED))
        fvc_fold_job_record_failure (&job, &res, local->message);
      g_propagate_error (error, g_steal_pointer (&local));
    }
  }

out:
  if (!ok && error && *error) {
    fvc_log_set_quiet (TRUE);
    fvc_log_info ("error: %s", (*error)->message);
    fvc_log_set_quiet (FALSE);
  }
  fvc_log_close_file ();
  fvc_fold_result_clear (&res);
  fvc_run_config_clear (&cfg);
  fvc_run_flags_clear (&flags);
  return ok;
}
