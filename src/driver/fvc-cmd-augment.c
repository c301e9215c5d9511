/* fvc-cmd-augment.c — `fvc-stream augment`: placeholder until its issue lands. */
#include "fvc-cli.h"
#include "fvc-error.h"

gboolean
fvc_cmd_augment (int argc, char **argv, GError **error)
{
  g_set_error (error, FVC_ERROR, FVC_ERROR_UNSUPPORTED, "not implemented yet");
  return FALSE;
}
