/* fvc-cmd-eval.c — `fvc-stream eval`: the validation of one trained (fold, model) of a run.
 * The options and the work are fvc_fold_job_command() (fvc-fold-job.c), shared with `train`. */
#include "fvc-cli.h"
#include "fvc-fold-job.h"

gboolean
fvc_cmd_eval (int argc, char **argv, GError **error)
{
  return fvc_fold_job_command (argc, argv, FALSE, error);
}
