/* fvc-metrics.h — binary classification metrics over per-video scores (label 1 = fake is the
 * positive class). Scores are logits (the mean clip logit of a video); the probability is
 * sigmoid(logit) and the prediction is logit > 0 (probability > 0.5).
 *
 *   accuracy            (tp + tn) / n
 *   balanced accuracy   mean of the recalls of the classes present
 *   ROC AUC             Mann-Whitney U / (n_pos n_neg), tied scores counted by their average
 *                       rank (= 1/2 per tied pair); NaN when a class is absent
 *   log loss            mean of -log(p) for fakes and -log(1 - p) for reals, p clipped to
 *                       [1e-15, 1 - 1e-15]
 *   F1                  2 tp / (2 tp + fp + fn), 0 when that is 0/0
 *   ROC curve           (fpr, tpr) after each distinct threshold, highest first, from (0, 0) to
 *                       (1, 1), as sklearn.metrics.roc_curve(drop_intermediate=False)
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint n, n_pos, n_neg;
  guint tp, fp, tn, fn;
  double accuracy;
  double balanced_accuracy;
  double roc_auc;
  double log_loss;
  double f1;
} FvcMetrics;

/* @labels 0/1, @logits per item, @n items (n >= 1). */
void fvc_metrics_compute (const int *labels, const double *logits, guint n, FvcMetrics *out);
double fvc_metrics_roc_auc (const int *labels, const double *scores, guint n);

typedef struct {
  double fpr, tpr;
  double threshold;      /* score >= threshold counts as positive; +inf for the first point */
} FvcRocPoint;

/* The ROC curve: n_distinct_scores + 1 points. (transfer full) */
GArray *fvc_metrics_roc_curve (const int *labels, const double *scores, guint n);

double fvc_sigmoid (double x);

G_END_DECLS
