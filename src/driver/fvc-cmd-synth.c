/* fvc-cmd-synth.c — `fvc-stream synth`: placeholder until its issue lands. */
#include "fvc-cli.h"
#include "fvc-error.h"

gboolean
fvc_cmd_synth (int argc, char **argv, GError **error)
{
  g_set_error (error, FVC_ERROR, FVC_ERROR_UNSUPPORTED, "not implemented yet");
  return FALSE;
}
