/* fvc-stream.c — main() of the fvc-stream driver: the subcommand table, the usage text, and the
 * one error line plus exit code. Each subcommand lives in its own fvc-cmd-<name>.c. */
#include "config.h"
#include "fvc-cli.h"
#include "fvc-error.h"

#include <gst/gst.h>
#include <locale.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>

static const FvcCommand commands[] = {
  { "synth", "generate the synthetic fake/real dataset and its index CSV", fvc_cmd_synth },
  { "probe", "show a video's frame index and the decode plan for a sampling", fvc_cmd_probe },
  { "augment", "extract and augment clips of every video into a shared cache", fvc_cmd_augment },
  { "run", "the whole k-fold experiment: cache, train and evaluate every model, report", fvc_cmd_run },
  { "train", "train one model on one fold from a cache", fvc_cmd_train },
  { "eval", "evaluate one checkpoint on one fold from a cache", fvc_cmd_eval },
  { "clean", "delete runs/, logs/ and models/ of a project directory", fvc_cmd_clean },
};

static void
print_usage (FILE *out)
{
  fprintf (out, "Usage: fvc-stream [--version] COMMAND [OPTION...]\n\n"
                "Turn a folder of videos into reproducible, augmented training clips and train\n"
                "fake-vs-real video classifiers on them, with bounded memory.\n\nCommands:\n");
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf (out, "\nRun \"fvc-stream COMMAND --help\" for the options of a command.\n");
}

static int
exit_code_for (const GError *error)
{
  if (error->domain == G_OPTION_ERROR)
    return 2;
  if (error->domain == FVC_ERROR && error->code == FVC_ERROR_PARTIAL)
    return 3;
  if (error->domain == FVC_ERROR && error->code == FVC_ERROR_CANCELLED)
    return 130;
  return 1;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  const FvcCommand *cmd = NULL;
  g_autofree char *prgname = NULL;

  /* Bounded memory: GStreamer threads come and go with every pipeline; with glibc's default of
   * 8 arenas per core, freed memory piles up in arenas nobody uses again and peak RSS grows
   * with the number of videos (measured: +42 % for 50 videos vs 1). Two arenas keep it flat
   * at no measured speed cost (docs/benchmarks.md). MALLOC_ARENA_MAX still overrides. */
  if (g_getenv ("MALLOC_ARENA_MAX") == NULL)
    mallopt (M_ARENA_MAX, 2);
  /* OpenMP's default spin-waiting made CPU training 3-4x slower whenever anything else wanted
   * the cores (GStreamer threads, a second job on a shared node); passive waiting costs nothing
   * measurable when the cores are free. Set before the OpenMP runtime starts; the user's value wins. */
  g_setenv ("OMP_WAIT_POLICY", "passive", FALSE);
  setlocale (LC_ALL, "");
  /* Numbers in CSV/JSON/INI output must not depend on the user's locale. */
  setlocale (LC_NUMERIC, "C");

  if (argc < 2) {
    print_usage (stderr);
    return 2;
  }
  if (strcmp (argv[1], "--version") == 0 || strcmp (argv[1], "-V") == 0) {
    printf ("fvc-stream %s (%s, CUDA backend %s)\n", FVC_VERSION, gst_version_string (),
            FVC_HAVE_CUDA ? "built" : "not built");
    return 0;
  }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 || strcmp (argv[1], "help") == 0) {
    if (argc >= 3 && strcmp (argv[1], "help") == 0) {
      argv[1] = argv[2];
      argv[2] = (char *) "--help";
    } else {
      print_usage (stdout);
      return 0;
    }
  }
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      cmd = &commands[i];
  if (cmd == NULL) {
    fprintf (stderr, "fvc-stream: unknown command \"%s\"\n\n", argv[1]);
    print_usage (stderr);
    return 2;
  }

  gst_init (NULL, NULL);
  prgname = g_strdup_printf ("fvc-stream %s", cmd->name);
  g_set_prgname (prgname);
  argv[1] = prgname;
  if (!cmd->run (argc - 1, argv + 1, &error)) {
    fprintf (stderr, "fvc-stream %s: %s\n", cmd->name, error ? error->message : "failed");
    return error ? exit_code_for (error) : 1;
  }
  return 0;
}
