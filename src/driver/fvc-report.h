/* fvc-report.h — the report of a run: runs/run_NNN/report/index.html with three figures, each
 * as SVG and PNG drawn by fvc-plot:
 *
 *   loss.svg|png   training loss against epochs, one panel per model, one line per fold
 *                  (from fold<k>/<model>/train_log.csv)
 *   auc.svg|png    validation ROC AUC per fold, bars grouped by fold, one colour per model,
 *                  and each model's mean ± std (from the results)
 *   roc.svg|png    ROC curves, one panel per model, one curve per fold with its AUC in the
 *                  legend (from fold<k>/<model>/predictions.csv)
 *
 * and the results tables, the excluded videos, the failures and links to the run's files.
 */
#pragma once

#include "fvc-config.h"
#include "fvc-results.h"
#include "fvc-run-dir.h"

G_BEGIN_DECLS

/* Writes the report; returns the path of index.html. A (fold, model) without data draws
 * nothing (its failure is in the tables). (transfer full) */
char *fvc_report_write (const FvcRunDir *rd, const FvcRunConfig *cfg, const FvcResults *results, GError **error);

G_END_DECLS
