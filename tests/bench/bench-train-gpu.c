/* bench-train-gpu.c — training throughput and GPU memory of the CUDA backend, per (model,
 * precision, batch), in three ways:
 *   resident  the model API on one batch already on the GPU (set once): forward, loss, backward,
 *             AdamW, no host synchronisation per step — what PyTorch's eager loop over a GPU
 *             tensor measures (tests/bench/bench_train_torch.py, mode "resident")
 *   host      the trainer (what fvctrainsink runs): clips from host memory copied into pinned
 *             staging, one micro-batch per batch-size clips, outputs read back every micro-batch
 *   cache     the same trainer fed from a clip cache through libfvc's reader (fvc_clip_open: mmap,
 *             validate) — fvcclipsrc's reader without GStreamer
 * plus the reader alone (clips/s read from the cache, no training). One JSON object per line.
 *
 *   bench-train-gpu [--models a,b] [--precisions fp32,bf16] [--batches 4,128] [--frames 6]
 *                   [--size 112] [--seconds 1.5] [--modes resident,host,cache] [--cache DIR]
 *                   [--make-cache N] [--json FILE]
 *
 * FVC_BENCH_VARIANT (e.g. "FVC_CUDNN_FIND=1") is copied into every row as "variant", to tell runs
 * with other backend settings apart. Exits 77 without a CUDA device. Not a test: numbers go to
 * docs/benchmarks.md.
 */
#include "fvc-backend-cuda.h"
#include "gpu-util.h"
#include "fvc-cache.h"
#include "fvc-clip.h"
#include "fvc-model.h"
#include "fvc-optim.h"
#include "fvc-seed.h"
#include "fvc-trainer.h"

#include <cuda_runtime_api.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static char *opt_models = NULL, *opt_precisions = NULL, *opt_batches = NULL, *opt_modes = NULL;
static char *opt_cache = NULL, *opt_json = NULL;
static int opt_frames = 6, opt_size = 112, opt_make_cache = 0;
static double opt_seconds = 1.5;

static GOptionEntry entries[] = {
  { "models", 0, 0, G_OPTION_ARG_STRING, &opt_models, "Models (logistic_regression,svm,naive_cnn)", "LIST" },
  { "precisions", 0, 0, G_OPTION_ARG_STRING, &opt_precisions, "Precisions (fp32,bf16)", "LIST" },
  { "batches", 0, 0, G_OPTION_ARG_STRING, &opt_batches, "Batch sizes (4,128)", "LIST" },
  { "modes", 0, 0, G_OPTION_ARG_STRING, &opt_modes, "resident,host,cache", "LIST" },
  { "frames", 0, 0, G_OPTION_ARG_INT, &opt_frames, "Frames per clip (6)", "T" },
  { "size", 0, 0, G_OPTION_ARG_INT, &opt_size, "Clip height and width (112)", "PX" },
  { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &opt_seconds, "Timed seconds per measurement (1.5)", "S" },
  { "cache", 0, 0, G_OPTION_ARG_FILENAME, &opt_cache, "Clip cache for the cache mode", "DIR" },
  { "make-cache", 0, 0, G_OPTION_ARG_INT, &opt_make_cache, "Write N random clips into --cache first", "N" },
  { "json", 0, 0, G_OPTION_ARG_FILENAME, &opt_json, "Append results as JSON lines", "FILE" },
  { NULL },
};

static FILE *json_out;

static void
emit (const char *fmt, ...) G_GNUC_PRINTF (1, 2);

static void
emit (const char *fmt, ...)
{
  va_list ap;
  g_autofree char *line = NULL;

  va_start (ap, fmt);
  line = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  printf ("%s\n", line);
  fflush (stdout);
  if (json_out) {
    fprintf (json_out, "%s\n", line);
    fflush (json_out);
  }
}

static double
now_s (void)
{
  return g_get_monotonic_time () / 1e6;
}

static double
device_used_mib (void)
{
  size_t f = 0, t = 0;
  if (cudaMemGetInfo (&f, &t) != cudaSuccess)
    return -1;
  return (t - f) / 1048576.0;
}

/* ---- the cache ---------------------------------------------------------------------------- */

static gboolean
make_cache (const char *dir, guint n, GError **error)
{
  FvcCacheConfig config = { 0 };
  g_autoptr (FvcCache) cache = NULL;
  const gsize clip = (gsize) opt_frames * opt_size * opt_size * 3;
  g_autofree guint8 *rgb = g_malloc (clip);
  gboolean ok = FALSE;

  config.num_frames = opt_frames;
  config.size = opt_size;
  config.sampler = g_strdup ("uniform");
  config.short_video = g_strdup ("pad");
  config.augmentations = 0;
  config.augment = g_strdup ("bench");
  cache = fvc_cache_open (dir, &config, FVC_CACHE_OPEN_CREATE, error);
  if (cache == NULL)
    goto out;
  if (fvc_cache_get_n_rows (cache) >= n) {
    ok = TRUE;
    goto out;
  }
  for (guint i = fvc_cache_get_n_rows (cache); i < n; i++) {
    g_autofree char *video = g_strdup_printf ("videos/bench_%04u.mp4", i);
    g_autofree char *name = fvc_clip_file_name (video, -1);
    g_autofree char *rel = g_build_filename (FVC_CACHE_CLIPS_DIR, name, NULL);
    g_autofree char *path = g_build_filename (dir, rel, NULL);
    FvcClipInfo info = { 0 };
    FvcCacheRow row = { 0 };
    g_autofree char *frames = NULL;
    GString *fs = g_string_new (NULL);

    for (int f = 0; f < opt_frames; f++)
      g_string_append_printf (fs, "%s%d", f ? "," : "", f);
    frames = g_string_free (fs, FALSE);
    gpu_random_bytes (rgb, clip, i + 1);
    info.video_path = video;
    info.label = i % 2;
    info.augmentation_idx = -1;
    info.seed = fvc_seed_from_path (video);
    info.frame_indices = frames;
    info.pts_ns = frames;
    info.config = (char *) fvc_cache_get_fingerprint (cache);
    if (!fvc_clip_write (path, &info, opt_frames, opt_size, opt_size, rgb, error))
      goto out;
    row.clip_file = rel;
    row.label = i % 2;
    row.original_video = video;
    row.augmentation_idx = -1;
    row.seed = info.seed;
    row.frame_indices = frames;
    if (!fvc_cache_append_row (dir, &row, error))
      goto out;
  }
  ok = TRUE;
out:
  fvc_cache_config_clear (&config);
  return ok;
}

typedef struct {
  FvcCache *cache;
  char **paths;
  int *labels;
  guint n, next;
} CacheReader;

static gboolean
reader_open (CacheReader *r, const char *dir, GError **error)
{
  memset (r, 0, sizeof *r);
  r->cache = fvc_cache_open (dir, NULL, FVC_CACHE_OPEN_READ, error);
  if (r->cache == NULL)
    return FALSE;
  r->n = fvc_cache_get_n_rows (r->cache);
  r->paths = g_new0 (char *, r->n + 1);
  r->labels = g_new0 (int, r->n);
  for (guint i = 0; i < r->n; i++) {
    const FvcCacheRow *row = fvc_cache_get_row (r->cache, i);
    r->paths[i] = fvc_cache_clip_path (r->cache, row);
    r->labels[i] = row->label;
  }
  return r->n > 0;
}

static void
reader_close (CacheReader *r)
{
  g_strfreev (r->paths);
  g_free (r->labels);
  fvc_cache_free (r->cache);
  memset (r, 0, sizeof *r);
}

/* ---- measurements ------------------------------------------------------------------------- */

static gboolean
has (const char *list, const char *item)
{
  g_auto (GStrv) v = g_strsplit (list, ",", -1);
  return g_strv_contains ((const char *const *) v, item);
}

/* Steps on one resident batch until opt_seconds have passed; returns clips/s. */
static double
run_resident (FvcTrainer *tr, guint batch, const guint8 *clips, guint64 *steps_out, GError **error)
{
  FvcModel *m = fvc_trainer_get_model (tr);
  FvcBackend *be = fvc_model_get_backend (m);
  g_autofree float *targets = g_new (float, batch);
  FvcAdamWConfig cfg;
  FvcBatch *b;
  guint64 step = 1000, steps = 0;
  double t0, t1;

  for (guint i = 0; i < batch; i++)
    targets[i] = i % 2;
  fvc_adamw_config_init (&cfg);
  if ((b = fvc_model_prepare_batch (m, batch, error)) == NULL || !fvc_model_set_input (m, b, clips, error) ||
      !fvc_model_set_targets (m, b, targets, error))
    return -1;
#define STEP()                                                                                          \
  (fvc_model_forward (m, b, error) && fvc_model_loss (m, b, 1.f / batch, error) &&                     \
   fvc_model_backward (m, b, FALSE, error) && fvc_adamw_step (m, &cfg, ++step, error))
  for (int w = 0; w < 5; w++)
    if (!STEP ())
      return -1;
  if (!be->synchronize (be, error))
    return -1;
  t0 = now_s ();
  do {
    for (int k = 0; k < 10; k++, steps++)
      if (!STEP ())
        return -1;
  } while (now_s () - t0 < opt_seconds);
  if (!be->synchronize (be, error))
    return -1;
  t1 = now_s ();
#undef STEP
  *steps_out = steps;
  return steps * batch / (t1 - t0);
}

/* The trainer, fed clip by clip from host memory (@clips, @n_clips of them, cycled) or from the
 * cache reader. */
static double
run_trainer (FvcTrainer *tr, guint batch, const guint8 *clips, guint n_clips, CacheReader *reader,
             guint64 *clips_out, GError **error)
{
  FvcBackend *be = fvc_model_get_backend (fvc_trainer_get_model (tr));
  const gsize clip = (gsize) opt_frames * opt_size * opt_size * 3;
  guint64 done = 0, i = 0;
  double t0 = 0, t1;
  gboolean timing = FALSE;
  const guint64 warm = 2 * batch;

  for (;;) {
    if (reader != NULL) {
      guint k = reader->next++ % reader->n;
      g_autoptr (FvcClip) c = fvc_clip_open (reader->paths[k], error);
      if (c == NULL || !fvc_trainer_add_clip (tr, fvc_clip_get_data (c), reader->labels[k], error))
        return -1;
    } else {
      if (!fvc_trainer_add_clip (tr, clips + (i % n_clips) * clip, (int) (i % 2), error))
        return -1;
    }
    i++;
    if (!timing && i == warm) {
      if (!be->synchronize (be, error))
        return -1;
      timing = TRUE;
      t0 = now_s ();
      done = 0;
      continue;
    }
    if (timing && ++done % batch == 0 && now_s () - t0 >= opt_seconds)
      break;
  }
  if (!be->synchronize (be, error))
    return -1;
  t1 = now_s ();
  *clips_out = done;
  return done / (t1 - t0);
}

static double
run_reader (CacheReader *r, guint64 *n_out, GError **error)
{
  double t0 = now_s ();
  guint64 n = 0, sum = 0;

  do {
    g_autoptr (FvcClip) c = fvc_clip_open (r->paths[r->next++ % r->n], error);
    const guint8 *d;
    gsize bytes = (gsize) opt_frames * opt_size * opt_size * 3;
    if (c == NULL)
      return -1;
    d = fvc_clip_get_data (c);
    for (gsize k = 0; k < bytes; k += 4096)   /* touch every page, as a copy would */
      sum += d[k];
    n++;
  } while (now_s () - t0 < opt_seconds);
  *n_out = n + (sum == 0xffffffffffffull);
  return n / (now_s () - t0);
}

static void
bench_one (const char *model, FvcPrecision prec, guint batch, const guint8 *clips, guint n_clips, CacheReader *reader)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FvcTrainer) tr = NULL;
  FvcTrainerConfig c;
  FvcBackend *be;
  FvcCudaCounters cnt;
  double t0, plan_s, base_mib = device_used_mib ();
  double resident = -1, host = -1, cached = -1;
  guint64 steps = 0, nhost = 0, ncache = 0;
  g_autofree char *desc = NULL;
  g_autofree char *variant = g_getenv ("FVC_BENCH_VARIANT") ? g_strescape (g_getenv ("FVC_BENCH_VARIANT"), NULL) : NULL;

  fvc_trainer_config_init (&c);
  c.model = model;
  c.device = FVC_DEVICE_CUDA;
  c.precision = prec;
  c.batch_size = batch;
  c.accumulation_steps = 1;
  c.frames = opt_frames;
  c.height = c.width = opt_size;
  t0 = now_s ();
  tr = fvc_trainer_new (&c, &error);
  plan_s = now_s () - t0;
  if (tr == NULL)
    goto failed;
  be = fvc_model_get_backend (fvc_trainer_get_model (tr));
  if (has (opt_modes, "resident") && (resident = run_resident (tr, batch, clips, &steps, &error)) < 0)
    goto failed;
  if (has (opt_modes, "host") && (host = run_trainer (tr, batch, clips, n_clips, NULL, &nhost, &error)) < 0)
    goto failed;
  if (has (opt_modes, "cache") && reader != NULL &&
      (cached = run_trainer (tr, batch, NULL, 0, reader, &ncache, &error)) < 0)
    goto failed;
  fvc_backend_cuda_get_counters (be, &cnt);
  desc = g_strescape (cnt.graph_error ? cnt.graph_error : "", NULL);
  emit ("{\"impl\": \"fvc\",%s%s%s \"model\": \"%s\", \"precision\": \"%s\", \"batch\": %u, \"frames\": %d, \"size\": %d, "
        "\"resident_clips_per_s\": %.1f, \"resident_steps\": %" G_GUINT64_FORMAT ", \"host_clips_per_s\": %.1f, "
        "\"cache_clips_per_s\": %.1f, \"peak_arena_mib\": %.1f, \"device_used_mib\": %.1f, \"plan_s\": %.2f, "
        "\"graph_launches\": %" G_GUINT64_FORMAT ", \"graphs_captured\": %" G_GUINT64_FORMAT ", \"graph_error\": \"%s\", "
        "\"fused_input_ops\": %" G_GUINT64_FORMAT "}",
        variant ? " \"variant\": \"" : "", variant ? variant : "", variant ? "\"," : "", model,
        fvc_precision_name (prec), batch, opt_frames, opt_size, resident, steps, host, cached,
        be->stats.peak_bytes / 1048576.0, device_used_mib () - base_mib, plan_s, cnt.graph_launches,
        cnt.graphs_captured, desc, cnt.fused_input_ops);
  return;
failed:
  desc = g_strescape (error ? error->message : "?", NULL);
  emit ("{\"impl\": \"fvc\",%s%s%s \"model\": \"%s\", \"precision\": \"%s\", \"batch\": %u, \"error\": \"%s\"}",
        variant ? " \"variant\": \"" : "", variant ? variant : "", variant ? "\"," : "", model,
        fvc_precision_name (prec), batch, desc);
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- CUDA training throughput");
  g_autoptr (GError) error = NULL;
  g_autofree char *reason = NULL;
  g_auto (GStrv) models = NULL, precs = NULL, batches = NULL;
  g_autofree guint8 *clips = NULL;
  CacheReader reader = { 0 };
  gboolean have_reader = FALSE;
  const gsize clip = (gsize) 6 * 112 * 112 * 3;
  guint max_batch = 1;
  FvcBackend *probe;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    fprintf (stderr, "bench-train-gpu: %s\n", error->message);
    return 2;
  }
  models = g_strsplit (opt_models ? opt_models : "logistic_regression,svm,naive_cnn", ",", -1);
  precs = g_strsplit (opt_precisions ? opt_precisions : "fp32,bf16", ",", -1);
  batches = g_strsplit (opt_batches ? opt_batches : "4,128", ",", -1);
  if (opt_modes == NULL)
    opt_modes = g_strdup ("resident,host,cache");
  if (opt_json != NULL && (json_out = fopen (opt_json, "a")) == NULL) {
    fprintf (stderr, "bench-train-gpu: cannot write %s\n", opt_json);
    return 2;
  }
  (void) clip;
  for (guint i = 0; batches[i]; i++)
    max_batch = MAX (max_batch, (guint) g_ascii_strtoull (batches[i], NULL, 10));

  /* The cache first: the pipeline runs of tests/gpu/device-run.sh read it, even here. */
  if (opt_cache != NULL && opt_make_cache > 0) {
    double t0 = now_s ();
    if (!make_cache (opt_cache, opt_make_cache, &error)) {
      fprintf (stderr, "bench-train-gpu: cache %s: %s\n", opt_cache, error->message);
      return 1;
    }
    printf ("cache %s: %d clips ready in %.1f s\n", opt_cache, opt_make_cache, now_s () - t0);
  }
  if (fvc_cuda_device_count (&reason) == 0) {
    printf ("bench-train-gpu: SKIP: no CUDA device (%s)\n", reason);
    return 77;
  }

  /* the device and its description, once */
  probe = fvc_backend_new (FVC_DEVICE_CUDA, &error);
  if (probe == NULL) {
    fprintf (stderr, "bench-train-gpu: %s\n", error->message);
    return 1;
  }
  {
    g_autofree char *d = fvc_backend_cuda_describe (probe);
    g_autofree char *e = g_strescape (d, NULL);
    emit ("{\"impl\": \"fvc\", \"device\": \"%s\"}", e);
  }
  fvc_backend_free (probe);

  /* distinct random clips in host memory, enough for the largest batch */
  {
    const gsize cb = (gsize) opt_frames * opt_size * opt_size * 3;
    clips = g_malloc (cb * max_batch);
    gpu_random_bytes (clips, cb * max_batch, 42);
  }
  if (opt_cache != NULL) {
    if (!reader_open (&reader, opt_cache, &error)) {
      fprintf (stderr, "bench-train-gpu: cache %s: %s\n", opt_cache, error ? error->message : "empty");
      return 1;
    }
    have_reader = TRUE;
    {
      guint64 n = 0;
      double r = run_reader (&reader, &n, &error);
      emit ("{\"impl\": \"fvc\", \"reader_clips_per_s\": %.1f, \"reader_clips\": %" G_GUINT64_FORMAT
            ", \"cache_clips\": %u, \"frames\": %d, \"size\": %d}", r, n, reader.n, opt_frames, opt_size);
    }
  }

  for (guint mi = 0; models[mi]; mi++)
    for (guint pi = 0; precs[pi]; pi++)
      for (guint bi = 0; batches[bi]; bi++) {
        FvcPrecision p;
        if (!fvc_precision_from_name (precs[pi], &p)) {
          fprintf (stderr, "bench-train-gpu: unknown precision %s\n", precs[pi]);
          return 2;
        }
        bench_one (models[mi], p, (guint) g_ascii_strtoull (batches[bi], NULL, 10), clips, max_batch,
                   have_reader ? &reader : NULL);
      }
  if (have_reader)
    reader_close (&reader);
  if (json_out)
    fclose (json_out);
  return 0;
}
