/* fvc-cmd-train.c — `fvc-stream train`: one (fold, model) of a prepared run, as one cluster job.
 * The options and the work are fvc_fold_job_command() (fvc-fold-job.c), shared with `eval`. */
#include "fvc-cli.h"
#include "fvc-fold-job.h"

gboolean
fvc_cmd_train (int argc, char **argv, GError **error)
{
  return fvc_fold_job_command (argc, argv, TRUE, error);
}
