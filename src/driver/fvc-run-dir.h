/* fvc-run-dir.h — where a run's files go under the project root (DESIGN.md "Runs"), and `clean`.
 *
 *   ROOT/runs/run_NNN/                    config.ini, folds.csv, results, report, memstats.csv,
 *        fold<k>/<model>/                 train_log.csv, train_epochs.csv, train_clips.csv,
 *                                         eval_clips.csv, predictions.csv, metrics.json
 *        augmented_clips/shared/          the clip cache (or a symlink to a persistent one)
 *   ROOT/logs/run_NNN.log
 *   ROOT/models/run_NNN/<model>_fold<k>.safetensors
 *
 * NNN is the next number free in runs/, logs/ and models/ (001 after a clean), claimed with an
 * exclusive mkdir so that two runs started at once never share a directory.
 *
 * Clean removes ROOT/runs, ROOT/logs and ROOT/models and nothing else. It never follows a
 * symbolic link: a link named runs is removed as a link, links inside are unlinked, and every
 * directory is opened relative to its parent with O_NOFOLLOW, so a link swapped in during the
 * walk cannot lead it outside the root.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  char *root;         /* project root */
  char *name;         /* "run_001" */
  char *dir;          /* ROOT/runs/run_001 */
  char *log_path;     /* ROOT/logs/run_001.log */
  char *models_dir;   /* ROOT/models/run_001 */
} FvcRunDir;

/* Creates runs/run_NNN (and logs/, models/run_NNN) with the next free number. */
FvcRunDir *fvc_run_dir_create (const char *root, GError **error);
/* An existing run directory, ROOT/runs/run_NNN; ROOT is derived from it. */
FvcRunDir *fvc_run_dir_open (const char *run_dir, GError **error);
void fvc_run_dir_free (FvcRunDir *rd);

/* ROOT/runs/run_NNN/fold<k>/<model>, created. (transfer full) */
char *fvc_run_dir_fold_dir (const FvcRunDir *rd, guint fold, const char *model, GError **error);
/* ROOT/models/run_NNN/<model>_fold<k>.safetensors (transfer full) */
char *fvc_run_dir_checkpoint (const FvcRunDir *rd, guint fold, const char *model);
/* ROOT/runs/run_NNN/@name (transfer full) */
char *fvc_run_dir_path (const FvcRunDir *rd, const char *name);

/* The directories clean removes, relative to the root. */
extern const char *const fvc_clean_targets[];

/* Removes (or with @dry_run only lists) ROOT/runs, ROOT/logs and ROOT/models. @report, when not
 * NULL, gets one line per top-level entry removed ("runs/run_001/ (12 files, 3.4 MiB)",
 * "runs -> /elsewhere (symbolic link)"). Errors name the path. */
gboolean fvc_clean_project (const char *root, gboolean dry_run, GPtrArray *report, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FvcRunDir, fvc_run_dir_free)

G_END_DECLS
