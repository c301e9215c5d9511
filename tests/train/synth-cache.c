/* synth-cache.c — writes a synthetic clip cache (train-util.c: real clips and fakes with a pasted,
 * colour-shifted, seam-bordered patch) and its fold manifest, for the element tests, the training
 * benchmark and the gst-launch examples of docs/elements.md. Test tool, not installed.
 *   synth-cache DIR [--videos N] [--frames T] [--size S] [--augmentations A] [--strength X]
 *                   [--seed S] [--folds K] */
#include "train-util.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

int
main (int argc, char **argv)
{
  TrainSynthCache spec = { .n_videos = 40, .frames = 6, .size = 32, .augmentations = 1, .strength = 1.0, .seed = 1 };
  int videos = 40, frames = 6, size = 32, augs = 1, seed = 1, folds = 5;
  double strength = 1.0;
  GOptionEntry entries[] = {
    { "videos", 0, 0, G_OPTION_ARG_INT, &videos, "Videos (half real, half fake)", "N" },
    { "frames", 0, 0, G_OPTION_ARG_INT, &frames, "Frames per clip", "T" },
    { "size", 0, 0, G_OPTION_ARG_INT, &size, "Clip height and width", "S" },
    { "augmentations", 0, 0, G_OPTION_ARG_INT, &augs, "Augmented clips per video", "A" },
    { "strength", 0, 0, G_OPTION_ARG_DOUBLE, &strength, "Artefact strength of the fakes (0..1)", "X" },
    { "seed", 0, 0, G_OPTION_ARG_INT, &seed, "Seed", "S" },
    { "folds", 0, 0, G_OPTION_ARG_INT, &folds, "Folds of the manifest (video i in fold i % K)", "K" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("DIR - write a synthetic clip cache");
  g_autoptr (GError) error = NULL;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || argc != 2 || videos < 2 || frames < 1 || size < 4 ||
      augs < 0 || folds < 2) {
    fprintf (stderr, "synth-cache: %s\n", error ? error->message : "usage: synth-cache DIR [options]");
    return 2;
  }
  spec.n_videos = videos;
  spec.frames = frames;
  spec.size = size;
  spec.augmentations = augs;
  spec.strength = strength;
  spec.seed = seed;
  if (!train_synth_cache_write (argv[1], &spec, folds, &error)) {
    fprintf (stderr, "synth-cache: %s\n", error->message);
    return 1;
  }
  printf ("%s: %d videos x %d clips of %dx%dx%d, manifest %s/folds.csv (%d folds)\n", argv[1], videos, augs + 1, frames,
          size, size, argv[1], folds);
  return 0;
}
