/* fvc-cmd-synth.c — `fvc-stream synth`: writes the synthetic fake/real dataset (videos and the
 * index CSV). It only parses options, runs fvc_synth_write_video() over the videos on --jobs
 * threads, shows progress and writes the index; rendering and encoding live in fvc-synth.c. */
#include "fvc-cli.h"
#include "fvc-error.h"
#include "fvc-fileutil.h"
#include "fvc-synth.h"

#include <glib/gstdio.h>
#include <string.h>

typedef struct {
  const FvcSynthConfig *cfg;
  const char *outdir;
  gint next;                 /* next video to take (atomic) */
  GCancellable *cancel;
  GAsyncQueue *results;      /* Result*, one per video taken */
} Work;

typedef struct {
  guint index;
  GError *error;
} Result;

static gpointer
worker (gpointer data)
{
  Work *w = data;
  guint n = fvc_synth_n_videos (w->cfg);

  for (;;) {
    guint i = (guint) g_atomic_int_add (&w->next, 1);
    Result *res;
    FvcSynthVideo v;
    g_autofree char *path = NULL;

    if (i >= n || g_cancellable_is_cancelled (w->cancel))
      break;
    fvc_synth_describe (w->cfg, i, &v);
    path = g_build_filename (w->outdir, v.name, NULL);
    res = g_new0 (Result, 1);
    res->index = i;
    fvc_synth_write_video (w->cfg, i, path, w->cancel, &res->error);
    g_async_queue_push (w->results, res);
  }
  return NULL;
}

/* Temporary files of a killed earlier run. */
static void
remove_stale_temps (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)))
    if (fvc_is_temp_name (name)) {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      g_unlink (p);
    }
}

static gboolean
bad_value (GError **error, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static gboolean
bad_value (GError **error, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, msg);
  return FALSE;
}

gboolean
fvc_cmd_synth (int argc, char **argv, GError **error)
{
  g_autofree char *output = NULL, *index_path = NULL;
  int sources = FVC_SYNTH_DEFAULT_SOURCES, fakes = FVC_SYNTH_DEFAULT_FAKES_PER_SOURCE;
  int frames = FVC_SYNTH_DEFAULT_FRAMES, width = FVC_SYNTH_DEFAULT_WIDTH, height = FVC_SYNTH_DEFAULT_HEIGHT;
  int fps = FVC_SYNTH_DEFAULT_FPS, jobs = 0;
  gint64 seed = FVC_SYNTH_DEFAULT_SEED;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Directory for the videos (default videos/synth)", "DIR" },
    { "index", 'i', 0, G_OPTION_ARG_FILENAME, &index_path,
      "Index CSV to write: video_path,label,group, paths relative to its directory "
      "(default data/video_index_input.csv)", "CSV" },
    { "sources", 'n', 0, G_OPTION_ARG_INT, &sources, "Real source videos, 1..1000 (default 8)", "N" },
    { "fakes-per-source", 'm', 0, G_OPTION_ARG_INT, &fakes,
      "Fake videos derived from each source, 0..99 (default 3)", "M" },
    { "frames", 'f', 0, G_OPTION_ARG_INT, &frames, "Frames per video, 1..100000 (default 48)", "F" },
    { "width", 'W', 0, G_OPTION_ARG_INT, &width, "Frame width, even, 16..4096 (default 160)", "PX" },
    { "height", 'H', 0, G_OPTION_ARG_INT, &height, "Frame height, even, 16..4096 (default 120)", "PX" },
    { "fps", 0, 0, G_OPTION_ARG_INT, &fps, "Frames per second, 1..240 (default 24)", "FPS" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, "Dataset seed, 0..4294967295 (default 1)", "S" },
    { "jobs", 'j', 0, G_OPTION_ARG_INT, &jobs,
      "Videos encoded at once (default: number of cores); the output does not depend on it", "J" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- generate the synthetic fake/real dataset");
  g_autoptr (GError) cfg_error = NULL;
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  g_autoptr (GAsyncQueue) results = NULL;
  g_autoptr (GPtrArray) threads = NULL;
  g_autofree char *index_dir = NULL, *prefix = NULL, *csv = NULL;
  g_autofree char *summary = NULL;
  GError *first_error = NULL;
  FvcSynthConfig cfg;
  FvcProgress *progress;
  Work work;
  guint n, received = 0, n_fake = 0;
  gint64 t0 = g_get_monotonic_time ();

  g_option_context_add_main_entries (ctx, entries, NULL);
  summary = g_strdup_printf (
    "Renders N procedural \"face\" videos (the real class) and M fakes of each (the inner face\n"
    "swapped for a look-alike donor's, with a blending halo, an upsampling grid, a colour and\n"
    "exposure mismatch and one of: seam, blur, flicker, ghosting), encodes them as H.264 in MP4\n"
    "and writes the index CSV. The same options give byte-identical files.\n"
    "Videos: DIR/real_SSS.mp4 and DIR/fake_SSS_FF.mp4; group of each = src_SSS. See docs/dataset.md.");
  g_option_context_set_summary (ctx, summary);
  if (!fvc_cli_parse (ctx, &argc, &argv, error))
    return FALSE;
  if (argc > 1)
    return bad_value (error, "unexpected argument \"%s\"", argv[1]);
  if (sources < 0 || fakes < 0 || frames < 0 || width < 0 || height < 0 || fps < 0)
    return bad_value (error, "counts and sizes must not be negative");
  if (seed < 0 || seed > G_MAXUINT32)
    return bad_value (error, "--seed must be in 0..4294967295");
  if (jobs < 0 || jobs > 256)
    return bad_value (error, "--jobs must be in 0..256");

  fvc_synth_config_init (&cfg);
  cfg.n_sources = (guint) sources;
  cfg.fakes_per_source = (guint) fakes;
  cfg.n_frames = (guint) frames;
  cfg.width = (guint) width;
  cfg.height = (guint) height;
  cfg.fps = (guint) fps;
  cfg.seed = (guint32) seed;
  if (!fvc_synth_config_validate (&cfg, &cfg_error))
    return bad_value (error, "%s", cfg_error->message);
  if (output == NULL)
    output = g_strdup ("videos/synth");
  if (index_path == NULL)
    index_path = g_strdup ("data/video_index_input.csv");
  if (jobs == 0)
    jobs = (int) g_get_num_processors ();

  index_dir = g_path_get_dirname (index_path);
  if (!fvc_mkdir_p (output, error) || !fvc_mkdir_p (index_dir, error))
    return FALSE;
  remove_stale_temps (output);

  n = fvc_synth_n_videos (&cfg);
  jobs = MIN ((guint) jobs, n);
  fvc_cli_install_interrupt_handler ();
  results = g_async_queue_new ();
  work = (Work) { .cfg = &cfg, .outdir = output, .next = 0, .cancel = cancel, .results = results };
  threads = g_ptr_array_new ();
  for (int j = 0; j < jobs; j++)
    g_ptr_array_add (threads, g_thread_new ("fvc-synth", worker, &work));

  progress = fvc_progress_new ("synth", n);
  while (received < n && !g_cancellable_is_cancelled (cancel)) {
    Result *res = g_async_queue_timeout_pop (results, 200 * G_TIME_SPAN_MILLISECOND);
    if (fvc_cli_interrupted ())
      g_cancellable_cancel (cancel);
    if (res == NULL)
      continue;
    received++;
    if (res->error && first_error == NULL) {
      FvcSynthVideo v;
      fvc_synth_describe (&cfg, res->index, &v);
      first_error = g_error_new (res->error->domain, res->error->code, "%s: %s", v.name, res->error->message);
      g_cancellable_cancel (cancel);
    }
    g_clear_error (&res->error);
    g_free (res);
    fvc_progress_update (progress, received, NULL);
  }
  for (guint j = 0; j < threads->len; j++)
    g_thread_join (g_ptr_array_index (threads, j));
  fvc_progress_finish (progress);
  for (Result *res; (res = g_async_queue_try_pop (results));) {
    g_clear_error (&res->error);
    g_free (res);
  }
  if (first_error) {
    g_propagate_error (error, first_error);
    return FALSE;
  }
  if (g_cancellable_is_cancelled (cancel)) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_CANCELLED, "interrupted; the index was not written");
    return FALSE;
  }

  prefix = fvc_synth_relative_path (index_dir, output);
  csv = fvc_synth_format_index (&cfg, prefix);
  if (!fvc_file_write_atomic_string (index_path, csv, error))
    return FALSE;

  n_fake = cfg.n_sources * cfg.fakes_per_source;
  fvc_log_info ("synth: %u videos (%u real, %u fake; %ux%u, %u frames at %u fps, seed %u) in %s, index %s, "
                "%.1f s",
                n, n - n_fake, n_fake, cfg.width, cfg.height, cfg.n_frames, cfg.fps, cfg.seed, output, index_path,
                (g_get_monotonic_time () - t0) / 1e6);
  return TRUE;
}
