/* fvc-report.c — the run report: figures from the per (fold, model) files and the results, and
 * index.html around them (see fvc-report.h). Reads only what the run wrote; computes nothing
 * the results do not already hold, except the ROC curves (fvc-metrics). */
#include "fvc-report.h"
#include "fvc-csv.h"
#include "fvc-error.h"
#include "fvc-fileutil.h"
#include "fvc-metrics.h"
#include "fvc-plot.h"

#include <math.h>
#include <string.h>

#define PANEL_W 520
#define PANEL_H 430

typedef struct {
  GArray *x, *y;   /* double */
} Series;

static void
series_init (Series *s)
{
  s->x = g_array_new (FALSE, FALSE, sizeof (double));
  s->y = g_array_new (FALSE, FALSE, sizeof (double));
}

static void
series_clear (Series *s)
{
  g_array_unref (s->x);
  g_array_unref (s->y);
}

static double
field_double (const FvcCsvRow *row, int col)
{
  const char *v = col >= 0 ? fvc_csv_row_get (row, col) : "";
  char *end;
  double d = g_ascii_strtod (v, &end);
  return end == v ? NAN : d;
}

static char *
fold_file (const FvcRunDir *rd, guint fold, const char *model, const char *name)
{
  g_autofree char *fold_name = g_strdup_printf ("fold%u", fold);
  return g_build_filename (rd->dir, fold_name, model, name, NULL);
}

#define MAX_LOSS_POINTS 400

/* The loss of every progress row (one per optimizer step by default) against fractional epochs
 * (clips trained so far / clips per epoch), averaged in consecutive groups down to
 * MAX_LOSS_POINTS; and the epoch means, drawn at the middle of their epoch. */
static gboolean
load_loss (const FvcRunDir *rd, guint fold, const char *model, Series *steps, Series *epochs)
{
  g_autofree char *log_path = fold_file (rd, fold, model, "train_log.csv");
  g_autofree char *epochs_path = fold_file (rd, fold, model, "train_epochs.csv");
  g_autoptr (FvcCsvTable) log = fvc_csv_read (log_path, FVC_CSV_NONE, NULL);
  g_autoptr (FvcCsvTable) ep = fvc_csv_read (epochs_path, FVC_CSV_NONE, NULL);
  double per_epoch = NAN;

  if (ep != NULL && ep->rows->len > 0) {
    int c_epoch = fvc_csv_table_column (ep, "epoch"), c_loss = fvc_csv_table_column (ep, "mean_loss");
    per_epoch = field_double (ep->rows->pdata[0], fvc_csv_table_column (ep, "clips"));
    for (guint i = 0; i < ep->rows->len; i++) {
      double x = field_double (ep->rows->pdata[i], c_epoch) + 0.5;
      double y = field_double (ep->rows->pdata[i], c_loss);
      g_array_append_val (epochs->x, x);
      g_array_append_val (epochs->y, y);
    }
  }
  if (log != NULL && log->rows->len >= 2 && per_epoch > 0) {
    int c_clips = fvc_csv_table_column (log, "clips"), c_loss = fvc_csv_table_column (log, "loss");
    guint n = log->rows->len, group = (n + MAX_LOSS_POINTS - 1) / MAX_LOSS_POINTS;
    for (guint i = 0; i < n; i += group) {
      double x = 0, y = 0;
      guint m = 0;
      for (guint j = i; j < MIN (n, i + group); j++, m++) {
        x = field_double (log->rows->pdata[j], c_clips) / per_epoch;
        y += field_double (log->rows->pdata[j], c_loss);
      }
      y /= m;
      g_array_append_val (steps->x, x);
      g_array_append_val (steps->y, y);
    }
  }
  return epochs->x->len > 0 || steps->x->len > 0;
}

/* The ROC curve of a fold from its predictions (video scores). */
static gboolean
load_roc (const FvcRunDir *rd, guint fold, const char *model, Series *s)
{
  g_autofree char *path = fold_file (rd, fold, model, "predictions.csv");
  g_autoptr (FvcCsvTable) t = fvc_csv_read (path, FVC_CSV_NONE, NULL);
  g_autoptr (GArray) labels = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr (GArray) scores = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) curve = NULL;
  int c_label, c_score;

  if (t == NULL)
    return FALSE;
  c_label = fvc_csv_table_column (t, "label");
  c_score = fvc_csv_table_column (t, "logit");
  if (c_score < 0)
    c_score = fvc_csv_table_column (t, "score");
  if (c_label < 0 || c_score < 0)
    return FALSE;
  for (guint i = 0; i < t->rows->len; i++) {
    int label = atoi (fvc_csv_row_get (t->rows->pdata[i], c_label));
    double score = field_double (t->rows->pdata[i], c_score);
    g_array_append_val (labels, label);
    g_array_append_val (scores, score);
  }
  if (labels->len == 0)
    return FALSE;
  curve = fvc_metrics_roc_curve ((const int *) labels->data, (const double *) scores->data, labels->len);
  for (guint i = 0; i < curve->len; i++) {
    const FvcRocPoint *p = &g_array_index (curve, FvcRocPoint, i);
    g_array_append_val (s->x, p->fpr);
    g_array_append_val (s->y, p->tpr);
  }
  return TRUE;
}

static gboolean
write_figure (FvcPlot *plot, const char *dir, const char *name, GError **error)
{
  g_autofree char *png_name = g_strconcat (name, ".png", NULL);
  g_autofree char *svg_name = g_strconcat (name, ".svg", NULL);
  g_autofree char *png = g_build_filename (dir, png_name, NULL);
  g_autofree char *svg = g_build_filename (dir, svg_name, NULL);
  return fvc_plot_write_png (plot, png, error) && fvc_plot_write_svg (plot, svg, error);
}

static guint
panel_cols (guint n)
{
  return MIN (n, 3u);
}

static guint
panel_rows (guint n)
{
  return (n + 2) / 3;
}

static gboolean
figure_loss (const FvcRunDir *rd, const FvcResults *res, const char *dir, GError **error)
{
  const char *const *models = fvc_results_get_models (res);
  guint n = g_strv_length ((char **) models), folds = fvc_results_get_n_folds (res);
  g_autoptr (FvcPlot) plot = fvc_plot_new (panel_cols (n) * PANEL_W, panel_rows (n) * PANEL_H + 40, panel_cols (n),
                                           panel_rows (n),
                                           "Training loss per fold: epoch means (dots), every optimizer step (faint)");

  for (guint m = 0; m < n; m++) {
    FvcPlotPanel *p = fvc_plot_get_panel (plot, m);
    guint drawn = 0;
    double xmax = 0;
    fvc_plot_panel_set_title (p, models[m]);
    fvc_plot_panel_set_labels (p, "epoch", "training loss");
    for (guint k = 0; k < folds; k++) {
      Series steps, epochs;
      g_autofree char *label = g_strdup_printf ("fold %u", k);
      series_init (&steps);
      series_init (&epochs);
      if (load_loss (rd, k, models[m], &steps, &epochs)) {
        if (steps.x->len > 0)
          fvc_plot_panel_add_faint_line (p, (double *) steps.x->data, (double *) steps.y->data, steps.x->len, k);
        fvc_plot_panel_add_line (p, label, (double *) epochs.x->data, (double *) epochs.y->data, epochs.x->len, k,
                                 FALSE, TRUE);
        for (guint i = 0; i < steps.x->len; i++)
          xmax = MAX (xmax, g_array_index (steps.x, double, i));
        for (guint i = 0; i < epochs.x->len; i++)
          xmax = MAX (xmax, g_array_index (epochs.x, double, i) + 0.5);
        drawn++;
      }
      series_clear (&steps);
      series_clear (&epochs);
    }
    if (drawn == 0)
      fvc_plot_panel_set_note (p, "no training log");
    else
      fvc_plot_panel_set_xrange (p, 0, MAX (1, ceil (xmax - 1e-9)));
  }
  return write_figure (plot, dir, "loss", error);
}

static gboolean
figure_roc (const FvcRunDir *rd, const FvcResults *res, const char *dir, GError **error)
{
  const char *const *models = fvc_results_get_models (res);
  guint n = g_strv_length ((char **) models), folds = fvc_results_get_n_folds (res);
  g_autoptr (FvcPlot) plot = fvc_plot_new (panel_cols (n) * PANEL_W, panel_rows (n) * PANEL_H + 40, panel_cols (n),
                                           panel_rows (n), "ROC curves of the validation folds");
  const double diag[] = { 0, 1 };

  for (guint m = 0; m < n; m++) {
    FvcPlotPanel *p = fvc_plot_get_panel (plot, m);
    guint drawn = 0;
    fvc_plot_panel_set_title (p, models[m]);
    fvc_plot_panel_set_labels (p, "false positive rate (reals called fake)", "true positive rate (fakes found)");
    /* A little margin: curves along the edges (a perfect fold) stay visible off the frame. */
    fvc_plot_panel_set_xrange (p, -0.015, 1.015);
    fvc_plot_panel_set_yrange (p, -0.015, 1.015);
    fvc_plot_panel_set_legend (p, FVC_PLOT_LEGEND_LOWER_RIGHT);
    for (guint k = 0; k < folds; k++) {
      const FvcFoldResult *r = fvc_results_peek (res, m, k);
      Series s;
      series_init (&s);
      if (r->ok && load_roc (rd, k, models[m], &s)) {
        g_autofree char *label = isfinite (r->metric[FVC_RESULT_ROC_AUC])
            ? g_strdup_printf ("fold %u (AUC %.3f)", k, r->metric[FVC_RESULT_ROC_AUC])
            : g_strdup_printf ("fold %u (AUC n/a)", k);
        fvc_plot_panel_add_line (p, label, (double *) s.x->data, (double *) s.y->data, s.x->len, k, FALSE, FALSE);
        drawn++;
      }
      series_clear (&s);
    }
    fvc_plot_panel_add_line (p, "chance", diag, diag, 2, 7, TRUE, FALSE);
    if (drawn == 0)
      fvc_plot_panel_set_note (p, "no predictions");
  }
  return write_figure (plot, dir, "roc", error);
}

static gboolean
figure_auc (const FvcResults *res, const char *dir, GError **error)
{
  const char *const *models = fvc_results_get_models (res);
  guint n = g_strv_length ((char **) models), folds = fvc_results_get_n_folds (res);
  guint width = MAX (640u, MIN (1600u, 130 + (folds + 1) * (60 + 34 * n)));
  g_autoptr (FvcPlot) plot = fvc_plot_new (width, 470, 1, 1, "Validation ROC AUC per fold");
  FvcPlotPanel *p = fvc_plot_get_panel (plot, 0);
  g_autoptr (GPtrArray) cats = g_ptr_array_new_with_free_func (g_free);

  for (guint k = 0; k < folds; k++)
    g_ptr_array_add (cats, g_strdup_printf ("fold %u", k));
  g_ptr_array_add (cats, g_strdup ("mean ± std"));
  fvc_plot_panel_set_categories (p, (const char *const *) cats->pdata, folds + 1);
  fvc_plot_panel_set_labels (p, NULL, "ROC AUC");
  fvc_plot_panel_set_yrange (p, 0, 1.05);
  fvc_plot_panel_set_legend (p, FVC_PLOT_LEGEND_ABOVE);
  fvc_plot_panel_set_bar_value_decimals (p, 2);
  for (guint m = 0; m < n; m++) {
    g_autofree double *v = g_new (double, folds + 1);
    g_autofree double *e = g_new (double, folds + 1);
    FvcMetricSummary s;
    for (guint k = 0; k < folds; k++) {
      const FvcFoldResult *r = fvc_results_peek (res, m, k);
      v[k] = r->ok ? r->metric[FVC_RESULT_ROC_AUC] : NAN;
      e[k] = NAN;
    }
    fvc_results_summarize (res, m, FVC_RESULT_ROC_AUC, &s);
    v[folds] = s.mean;
    e[folds] = s.std;
    fvc_plot_panel_add_bars (p, models[m], v, e, m);
  }
  fvc_plot_panel_add_hline (p, 0.5, "chance (0.5)");
  return write_figure (plot, dir, "auc", error);
}

/* ---- HTML ------------------------------------------------------------------------------------ */

static void
html_text (GString *out, const char *text)
{
  g_autofree char *esc = g_markup_escape_text (text ? text : "", -1);
  g_string_append (out, esc);
}

static void
html_number (GString *out, double v)
{
  if (isfinite (v))
    g_string_append_printf (out, "<td>%.4f</td>", v);
  else
    g_string_append (out, "<td class=\"na\">n/a</td>");
}

static void
html_figure (GString *out, const char *name, const char *caption)
{
  g_string_append_printf (out,
                          "<figure><a href=\"%s.svg\"><img src=\"%s.svg\" alt=\"%s\"></a>"
                          "<figcaption>%s (<a href=\"%s.png\">PNG</a>, <a href=\"%s.svg\">SVG</a>)</figcaption></figure>\n",
                          name, name, caption, caption, name, name);
}

static gboolean
write_html (const FvcRunDir *rd, const FvcRunConfig *cfg, const FvcResults *res, const char *path, GError **error)
{
  const char *const *models = fvc_results_get_models (res);
  guint n = g_strv_length ((char **) models), folds = fvc_results_get_n_folds (res);
  const char *const *warnings = fvc_results_get_warnings (res);
  g_autoptr (GString) out = g_string_new (NULL);
  g_autofree char *log_rel = g_strdup_printf ("../../../logs/%s.log", rd->name);

  g_string_append (out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>fvc-stream ");
  html_text (out, rd->name);
  g_string_append (out, "</title>\n<style>\n"
                        "body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;margin:2em auto;max-width:1600px;"
                        "color:#222;padding:0 1em}\n"
                        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .7em;"
                        "text-align:right}th{background:#f2f2f2}td:first-child,th:first-child{text-align:left}\n"
                        "td.na{color:#999}tr.failed td{background:#fdecea}figure{margin:1.5em 0}img{max-width:100%;"
                        "border:1px solid #ddd}figcaption{color:#555;font-size:.9em}.warn{color:#a33}\n"
                        "code{background:#f5f5f5;padding:0 .2em}</style></head><body>\n<h1>fvc-stream ");
  html_text (out, rd->name);
  g_string_append (out, "</h1>\n<p>");
  g_string_append_printf (out, "%u-fold cross-validation of %u model%s on ", folds, n, n == 1 ? "" : "s");
  g_string_append (out, "<code>");
  html_text (out, cfg->index_path ? cfg->index_path : "?");
  g_string_append_printf (out, "</code>: clips of %u frames at %u×%u, %u augmentation%s per video; %u epoch%s; "
                               "seed %u; device %s.",
                          cfg->num_frames, cfg->size, cfg->size, cfg->augmentations, cfg->augmentations == 1 ? "" : "s",
                          cfg->epochs, cfg->epochs == 1 ? "" : "s", cfg->seed, cfg->device);
  g_string_append (out, " Validation uses each fold's base clips; scores are per video (mean clip logit).</p>\n");

  g_string_append (out, "<h2>Summary (mean ± standard deviation over folds)</h2>\n<table><tr><th>model</th><th>folds ok</th>");
  for (guint m = 0; m < FVC_RESULT_N_METRICS; m++)
    g_string_append_printf (out, "<th>%s</th>", fvc_result_metric_title (m));
  g_string_append (out, "</tr>\n");
  for (guint mi = 0; mi < n; mi++) {
    guint ok = 0;
    for (guint k = 0; k < folds; k++)
      ok += fvc_results_peek (res, mi, k)->ok;
    g_string_append (out, "<tr><td>");
    html_text (out, models[mi]);
    g_string_append_printf (out, "</td><td>%u/%u</td>", ok, folds);
    for (guint m = 0; m < FVC_RESULT_N_METRICS; m++) {
      FvcMetricSummary s;
      fvc_results_summarize (res, mi, m, &s);
      if (isfinite (s.mean) && isfinite (s.std))
        g_string_append_printf (out, "<td>%.3f ± %.3f</td>", s.mean, s.std);
      else
        html_number (out, s.mean);
    }
    g_string_append (out, "</tr>\n");
  }
  g_string_append (out, "</table>\n");

  if (fvc_results_count_failed (res) > 0 || (warnings && warnings[0])) {
    g_string_append (out, "<h2 class=\"warn\">Warnings</h2>\n<ul>\n");
    for (guint i = 0; warnings && warnings[i]; i++) {
      g_string_append (out, "<li class=\"warn\">");
      html_text (out, warnings[i]);
      g_string_append (out, "</li>\n");
    }
    for (guint mi = 0; mi < n; mi++)
      for (guint k = 0; k < folds; k++) {
        const FvcFoldResult *r = fvc_results_peek (res, mi, k);
        if (!r->ok) {
          g_string_append_printf (out, "<li class=\"warn\">%s fold %u failed: ", models[mi], k);
          html_text (out, r->error);
          g_string_append (out, "</li>\n");
        }
      }
    g_string_append (out, "</ul>\n");
  }

  g_string_append (out, "<h2>Figures</h2>\n");
  html_figure (out, "auc", "Validation ROC AUC per fold and model; the last group is the mean with ± one standard deviation");
  html_figure (out, "roc", "ROC curves of every validation fold");
  html_figure (out, "loss", "Training loss per fold and model: epoch means (dots) over every optimizer step (faint)");

  g_string_append (out, "<h2>Every fold</h2>\n<table><tr><th>model</th><th>fold</th><th>status</th><th>videos</th>"
                        "<th>real / fake</th>");
  for (guint m = 0; m < FVC_RESULT_N_METRICS; m++)
    g_string_append_printf (out, "<th>%s</th>", fvc_result_metric_title (m));
  g_string_append (out, "<th>confusion (tp fp tn fn)</th></tr>\n");
  for (guint mi = 0; mi < n; mi++)
    for (guint k = 0; k < folds; k++) {
      const FvcFoldResult *r = fvc_results_peek (res, mi, k);
      g_string_append_printf (out, "<tr%s><td>", r->ok ? "" : " class=\"failed\"");
      html_text (out, models[mi]);
      g_string_append_printf (out, "</td><td>%u</td><td>%s</td><td>%u</td><td>%u / %u</td>", k, r->ok ? "ok" : "failed",
                              r->n_videos, r->n_real, r->n_fake);
      for (guint m = 0; m < FVC_RESULT_N_METRICS; m++)
        html_number (out, r->metric[m]);
      g_string_append_printf (out, "<td>%u %u %u %u</td></tr>\n", r->tp, r->fp, r->tn, r->fn);
    }
  g_string_append (out, "</table>\n");

  g_string_append (out, "<h2>Files</h2>\n<ul>\n"
                        "<li><a href=\"../results.csv\">results.csv</a>, <a href=\"../results.json\">results.json</a></li>\n"
                        "<li><a href=\"../config.ini\">config.ini</a> (the resolved configuration), "
                        "<a href=\"../folds.csv\">folds.csv</a> (the fold of every video)</li>\n"
                        "<li>per fold and model: <code>fold&lt;k&gt;/&lt;model&gt;/</code> train_log.csv, train_epochs.csv, "
                        "train_clips.csv, eval_clips.csv, predictions.csv, metrics.json</li>\n");
  g_string_append_printf (out, "<li><a href=\"%s\">the log</a></li>\n</ul>\n</body></html>\n", log_rel);
  return fvc_file_write_atomic_string (path, out->str, error);
}

char *
fvc_report_write (const FvcRunDir *rd, const FvcRunConfig *cfg, const FvcResults *results, GError **error)
{
  g_autofree char *dir = fvc_run_dir_path (rd, "report");
  g_autofree char *index = g_build_filename (dir, "index.html", NULL);

  if (!fvc_mkdir_p (dir, error) || !figure_auc (results, dir, error) || !figure_roc (rd, results, dir, error) ||
      !figure_loss (rd, results, dir, error) || !write_html (rd, cfg, results, index, error))
    return NULL;
  return g_steal_pointer (&index);
}
