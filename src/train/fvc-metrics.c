/* fvc-metrics.c — classification metrics (definitions in fvc-metrics.h). Sorting is
 * O(n log n); everything else one pass. */
#include "fvc-metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double
fvc_sigmoid (double x)
{
  return x >= 0 ? 1.0 / (1.0 + exp (-x)) : exp (x) / (1.0 + exp (x));
}

typedef struct {
  double score;
  int label;
} Item;

static int
by_score_desc (gconstpointer a, gconstpointer b)
{
  double x = ((const Item *) a)->score, y = ((const Item *) b)->score;
  return x > y ? -1 : x < y ? 1 : 0;
}

static Item *
sorted_items (const int *labels, const double *scores, guint n)
{
  Item *items = g_new (Item, n);
  for (guint i = 0; i < n; i++) {
    items[i].score = scores[i];
    items[i].label = labels[i] ? 1 : 0;
  }
  qsort (items, n, sizeof (Item), by_score_desc);
  return items;
}

/* U = sum over positives of (the number of negatives ranked below + half of those tied): walk the
 * scores in descending groups of ties. */
double
fvc_metrics_roc_auc (const int *labels, const double *scores, guint n)
{
  g_autofree Item *items = sorted_items (labels, scores, n);
  double n_pos = 0, n_neg = 0, u = 0, neg_above = 0;

  for (guint i = 0; i < n; i++) {
    if (items[i].label)
      n_pos++;
    else
      n_neg++;
  }
  if (n_pos == 0 || n_neg == 0)
    return NAN;
  for (guint i = 0; i < n;) {
    guint j = i;
    double pos = 0, neg = 0;
    while (j < n && items[j].score == items[i].score) {
      if (items[j].label)
        pos++;
      else
        neg++;
      j++;
    }
    /* each positive of the group is above the negatives not yet seen nor tied */
    u += pos * (n_neg - neg_above - neg) + 0.5 * pos * neg;
    neg_above += neg;
    i = j;
  }
  return u / (n_pos * n_neg);
}

GArray *
fvc_metrics_roc_curve (const int *labels, const double *scores, guint n)
{
  g_autofree Item *items = sorted_items (labels, scores, n);
  GArray *points = g_array_new (FALSE, FALSE, sizeof (FvcRocPoint));
  double n_pos = 0, n_neg = 0, tp = 0, fp = 0;
  FvcRocPoint p = { 0, 0, INFINITY };

  for (guint i = 0; i < n; i++) {
    if (items[i].label)
      n_pos++;
    else
      n_neg++;
  }
  g_array_append_val (points, p);
  for (guint i = 0; i < n;) {
    guint j = i;
    while (j < n && items[j].score == items[i].score) {
      if (items[j].label)
        tp++;
      else
        fp++;
      j++;
    }
    p.threshold = items[i].score;
    p.fpr = n_neg > 0 ? fp / n_neg : NAN;
    p.tpr = n_pos > 0 ? tp / n_pos : NAN;
    g_array_append_val (points, p);
    i = j;
  }
  return points;
}

void
fvc_metrics_compute (const int *labels, const double *logits, guint n, FvcMetrics *m)
{
  const double eps = 1e-15;
  double loss = 0, recalls = 0;
  guint classes = 0;

  memset (m, 0, sizeof *m);
  m->n = n;
  for (guint i = 0; i < n; i++) {
    gboolean pos = labels[i] != 0, pred = logits[i] > 0;
    double p = CLAMP (fvc_sigmoid (logits[i]), eps, 1 - eps);

    if (pos) {
      m->n_pos++;
      loss -= log (p);
      if (pred)
        m->tp++;
      else
        m->fn++;
    } else {
      m->n_neg++;
      loss -= log (1 - p);
      if (pred)
        m->fp++;
      else
        m->tn++;
    }
  }
  if (n == 0) {
    m->accuracy = m->balanced_accuracy = m->roc_auc = m->log_loss = m->f1 = NAN;
    return;
  }
  m->accuracy = (double) (m->tp + m->tn) / n;
  if (m->n_pos > 0) {
    recalls += (double) m->tp / m->n_pos;
    classes++;
  }
  if (m->n_neg > 0) {
    recalls += (double) m->tn / m->n_neg;
    classes++;
  }
  m->balanced_accuracy = recalls / classes;
  m->roc_auc = fvc_metrics_roc_auc (labels, logits, n);
  m->log_loss = loss / n;
  m->f1 = (2 * m->tp + m->fp + m->fn) > 0 ? 2.0 * m->tp / (2 * m->tp + m->fp + m->fn) : 0.0;
}
