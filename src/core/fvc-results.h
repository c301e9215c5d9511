/* fvc-results.h — the results of a k-fold experiment: one entry per (model, fold) with its
 * validation metrics or the reason it failed, the per-model summary over folds, and the files
 * (docs/formats.md "Run outputs"):
 *
 *   metrics.json   one (model, fold): {"model", "fold", "status": "ok"|"failed", "error",
 *                  "n_videos", "n_real", "n_fake", "roc_auc", "accuracy", "balanced_accuracy",
 *                  "log_loss", "f1", "confusion": {"tp", "fp", "tn", "fn"}}; a metric that is
 *                  not a number (ROC AUC of a one-class fold) is null
 *   results.csv    model,fold,status,n_videos,roc_auc,accuracy,balanced_accuracy,log_loss,f1
 *                  one row per (model, fold) in model order then fold order, then per model a
 *                  "mean" and a "std" row (fold column); numbers "%.17g" (round-trip), "nan"
 *                  for no number
 *   results.json   {"folds", "models", "results": [metrics.json objects], "summary": {model:
 *                  {metric: {"mean", "std", "n"}}}, "excluded_videos": [{"video_path",
 *                  "reason"}], "warnings": [...]}
 *
 * Summary over the folds of a model whose status is ok and whose metric is a finite number:
 * mean, and the sample standard deviation (n - 1 in the denominator; NaN for fewer than two).
 * Pure logic: nothing here runs a model.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  FVC_RESULT_ROC_AUC,
  FVC_RESULT_ACCURACY,
  FVC_RESULT_BALANCED_ACCURACY,
  FVC_RESULT_LOG_LOSS,
  FVC_RESULT_F1,
  FVC_RESULT_N_METRICS
} FvcResultMetric;

/* "roc_auc", "accuracy", "balanced_accuracy", "log_loss", "f1" */
const char *fvc_result_metric_name (FvcResultMetric metric);
/* "ROC AUC", "accuracy", "balanced acc.", "log loss", "F1" (table headers) */
const char *fvc_result_metric_title (FvcResultMetric metric);

typedef struct {
  char *model;
  guint fold;
  gboolean ok;
  char *error;                           /* failed: why (one line) */
  double metric[FVC_RESULT_N_METRICS];   /* NaN when not a number or failed */
  guint n_videos, n_real, n_fake;
  guint tp, fp, tn, fn;
} FvcFoldResult;

void fvc_fold_result_init (FvcFoldResult *r, const char *model, guint fold);
void fvc_fold_result_clear (FvcFoldResult *r);
void fvc_fold_result_set_failed (FvcFoldResult *r, const char *error);
/* metrics.json, atomically. */
gboolean fvc_fold_result_write_json (const FvcFoldResult *r, const char *path, GError **error);
/* Reads metrics.json (into an initialised @r); FVC_ERROR_PARSE for a malformed file. */
gboolean fvc_fold_result_load_json (FvcFoldResult *r, const char *path, GError **error);

typedef struct {
  double mean, std;   /* NaN without values (std: fewer than two) */
  guint n;            /* values summarised */
} FvcMetricSummary;

typedef struct _FvcResults FvcResults;

/* Slots for every (model, fold), each initialised as failed "not run". */
FvcResults *fvc_results_new (const char *const *models, guint n_folds);
void fvc_results_free (FvcResults *results);
guint fvc_results_get_n_folds (const FvcResults *results);
const char *const *fvc_results_get_models (const FvcResults *results);
/* The slot of (@model, @fold); NULL for a model not in the table. (transfer none) */
FvcFoldResult *fvc_results_get (FvcResults *results, const char *model, guint fold);
const FvcFoldResult *fvc_results_peek (const FvcResults *results, guint model_index, guint fold);
/* Copies @r into its slot. */
void fvc_results_set (FvcResults *results, const FvcFoldResult *r);
guint fvc_results_count_failed (const FvcResults *results);

void fvc_results_add_excluded (FvcResults *results, const char *video_path, const char *reason);
void fvc_results_add_warning (FvcResults *results, const char *text);
guint fvc_results_get_n_excluded (const FvcResults *results);
/* (transfer none) */
const char *const *fvc_results_get_warnings (const FvcResults *results);

void fvc_results_summarize (const FvcResults *results, guint model_index, FvcResultMetric metric,
                            FvcMetricSummary *out);

gboolean fvc_results_write_csv (const FvcResults *results, const char *path, GError **error);
gboolean fvc_results_write_json (const FvcResults *results, const char *path, GError **error);
/* The terminal table: per model, each metric as mean ± std, and the failed folds. (transfer full) */
char *fvc_results_format_table (const FvcResults *results);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FvcResults, fvc_results_free)

G_END_DECLS
