/* fvc-cmd-clean.c — `fvc-stream clean`: deletes runs/, logs/ and models/ of the project root
 * (--root or the current directory) and nothing else; --dry-run lists what would go. The walk
 * itself (no symbolic link ever followed) is fvc_clean_project() in fvc-run-dir.c. */
#include "fvc-cli.h"
#include "fvc-error.h"
#include "fvc-run-dir.h"

#include <stdio.h>

gboolean
fvc_cmd_clean (int argc, char **argv, GError **error)
{
  g_autoptr (GOptionContext) ctx = NULL;
  g_autofree char *root = NULL;
  gboolean dry_run = FALSE;
  g_autoptr (GPtrArray) report = g_ptr_array_new_with_free_func (g_free);
  GOptionEntry entries[] = {
    { "root", 'r', 0, G_OPTION_ARG_FILENAME, &root, "Project root (default: the current directory)", "DIR" },
    { "dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run, "List what would be deleted, delete nothing", NULL },
    { NULL },
  };

  ctx = g_option_context_new ("- delete runs/, logs/ and models/ of a project directory");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_description (ctx,
      "Only ROOT/runs, ROOT/logs and ROOT/models are deleted: archive/, videos/, data/, caches\n"
      "elsewhere and everything outside the root are never touched. Symbolic links are never\n"
      "followed: a link named runs is removed as a link and its target is kept, and links\n"
      "inside runs/ are unlinked. `fvc-stream run` does this first unless --keep-previous.\n\n"
      "Example:\n  fvc-stream clean --dry-run");
  if (!fvc_cli_parse (ctx, &argc, &argv, error))
    return FALSE;
  if (argc > 1) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "unexpected argument \"%s\"", argv[1]);
    return FALSE;
  }
  if (root == NULL)
    root = g_strdup (".");

  if (!fvc_clean_project (root, dry_run, report, error))
    return FALSE;
  if (report->len == 0) {
    printf ("nothing to clean in %s (no runs/, logs/ or models/)\n", root);
    return TRUE;
  }
  printf ("%s\n", dry_run ? "would delete:" : "deleted:");
  for (guint i = 0; i < report->len; i++)
    printf ("  %s\n", (const char *) report->pdata[i]);
  return TRUE;
}
