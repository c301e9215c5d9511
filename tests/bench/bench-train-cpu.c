/* bench-train-cpu.c — the fvc side of the CPU training benchmark (bench-train-cpu.py runs it
 * beside PyTorch): trains one model on uint8 clips held in memory through the library trainer
 * (staging, normalisation, forward, loss, backward, AdamW, accumulation: what fvctrainsink does
 * per clip) and prints one JSON line: clips/s (wall), CPU seconds per clip (user + system), peak
 * RSS of the process, threads. Usage:
 *   bench-train-cpu --model M [--batch B] [--accum A] [--frames T] [--size S] [--seconds X] */
#include "train-util.h"

#include "fvc-trainer.h"

#include <omp.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

static double
cpu_seconds (void)
{
  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* VmHWM of this process image (ru_maxrss would keep the peak of the process that exec'ed us). */
static double
peak_rss_mib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) || (line = strstr (status, "VmHWM:")) == NULL)
    return -1;
  return g_ascii_strtod (line + 6, NULL) / 1024.0;
}

int
main (int argc, char **argv)
{
  g_autofree char *model = NULL;
  int batch = 0, accum = 0, frames = 6, size = 112;
  double seconds = 10;
  GOptionEntry entries[] = {
    { "model", 0, 0, G_OPTION_ARG_STRING, &model, "Model", "M" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, "Batch size (0: the model's memory config)", "B" },
    { "accum", 0, 0, G_OPTION_ARG_INT, &accum, "Accumulation steps (0: the model's memory config)", "A" },
    { "frames", 0, 0, G_OPTION_ARG_INT, &frames, "Frames per clip", "T" },
    { "size", 0, 0, G_OPTION_ARG_INT, &size, "Height and width", "S" },
    { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds, "Measure whole optimizer steps for at least this long", "X" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- fvc CPU training benchmark");
  g_autoptr (GError) error = NULL;
  g_autoptr (FvcTrainer) t = NULL;
  FvcTrainerConfig c;
  const guint n_distinct = 8;
  gsize clip_bytes;
  g_autofree guint8 *clips = NULL;
  guint per_step, i = 0;
  guint64 steps = 0;
  double t0, c0, wall, cpu;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || model == NULL) {
    fprintf (stderr, "bench-train-cpu: %s\n", error ? error->message : "--model is required");
    return 2;
  }
  fvc_trainer_config_init (&c);
  c.model = model;
  c.batch_size = batch;
  c.accumulation_steps = accum;
  c.frames = frames;
  c.height = c.width = size;
  c.seed = 1;
  t = fvc_trainer_new (&c, &error);
  if (t == NULL) {
    fprintf (stderr, "bench-train-cpu: %s\n", error->message);
    return 1;
  }
  clip_bytes = (gsize) frames * size * size * 3;
  clips = g_malloc (n_distinct * clip_bytes);
  for (guint k = 0; k < n_distinct; k++)
    train_synth_clip (clips + k * clip_bytes, frames, size, size, k % 2, k, -1, 1.0, 1);
  per_step = fvc_trainer_get_batch_size (t) * fvc_trainer_get_accumulation_steps (t);

  /* one warm-up step (first-touch of the arenas, oneDNN's JIT), then whole steps */
  for (guint k = 0; k < per_step; k++, i++)
    if (!fvc_trainer_add_clip (t, clips + (i % n_distinct) * clip_bytes, i % 2, &error))
      goto failed;
  t0 = g_get_monotonic_time () / 1e6;
  c0 = cpu_seconds ();
  do {
    for (guint k = 0; k < per_step; k++, i++)
      if (!fvc_trainer_add_clip (t, clips + (i % n_distinct) * clip_bytes, i % 2, &error))
        goto failed;
    steps++;
  } while (g_get_monotonic_time () / 1e6 - t0 < seconds);
  wall = g_get_monotonic_time () / 1e6 - t0;
  cpu = cpu_seconds () - c0;
  printf ("{\"impl\": \"fvc\", \"model\": \"%s\", \"batch\": %u, \"accum\": %u, \"frames\": %d, \"size\": %d, "
          "\"threads\": %d, \"steps\": %" G_GUINT64_FORMAT ", \"clips_per_s\": %.3f, \"cpu_s_per_clip\": %.4f, "
          "\"peak_rss_mib\": %.1f, \"activation_mib\": %.1f, \"loss\": %.4f}\n",
          model, fvc_trainer_get_batch_size (t), fvc_trainer_get_accumulation_steps (t), frames, size,
          omp_get_max_threads (), steps, steps * per_step / wall, cpu / (steps * per_step), peak_rss_mib (),
          fvc_model_get_activation_bytes (fvc_trainer_get_model (t)) / 1048576.0,
          fvc_trainer_get_stats (t)->loss_sum / fvc_trainer_get_stats (t)->loss_clips);
  return 0;

failed:
  fprintf (stderr, "bench-train-cpu: %s\n", error->message);
  return 1;
}
