/* fvc-plot.h — small charts drawn with cairo, written as PNG and SVG: a figure with a title and
 * a grid of panels; each panel has axes with round-number ticks, a grid, axis labels, a title, a
 * legend, and line series, grouped bars (with optional error bars) and reference lines. Just
 * what the run report needs; the same drawing code renders both file types.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _FvcPlot FvcPlot;
typedef struct _FvcPlotPanel FvcPlotPanel;

typedef enum {
  FVC_PLOT_LEGEND_UPPER_RIGHT,
  FVC_PLOT_LEGEND_LOWER_RIGHT,
  FVC_PLOT_LEGEND_ABOVE,        /* one row between the panel title and the plot area */
  FVC_PLOT_LEGEND_NONE,
} FvcPlotLegend;

/* A figure of @cols × @rows panels, @width × @height pixels (PNG) or points (SVG). */
FvcPlot *fvc_plot_new (guint width, guint height, guint cols, guint rows, const char *title);
void fvc_plot_free (FvcPlot *plot);
/* Panel @i, row-major. (transfer none) */
FvcPlotPanel *fvc_plot_get_panel (FvcPlot *plot, guint i);

void fvc_plot_panel_set_title (FvcPlotPanel *p, const char *title);
void fvc_plot_panel_set_labels (FvcPlotPanel *p, const char *xlabel, const char *ylabel);
/* Fixed axis ranges; otherwise they fit the data (a little padded). */
void fvc_plot_panel_set_xrange (FvcPlotPanel *p, double min, double max);
void fvc_plot_panel_set_yrange (FvcPlotPanel *p, double min, double max);
void fvc_plot_panel_set_legend (FvcPlotPanel *p, FvcPlotLegend where);
/* A message drawn in the middle of an empty panel ("no data: training failed"). */
void fvc_plot_panel_set_note (FvcPlotPanel *p, const char *note);

/* Colour @color of the palette (taken modulo its size). Non-finite points break the line. */
void fvc_plot_panel_add_line (FvcPlotPanel *p, const char *label, const double *x, const double *y, guint n,
                              guint color, gboolean dashed, gboolean markers);
/* A thin, half-transparent line without a legend entry: the raw data behind a summary line. */
void fvc_plot_panel_add_faint_line (FvcPlotPanel *p, const double *x, const double *y, guint n, guint color);
/* Horizontal reference line (grey, dashed), with its label in the legend when not NULL. */
void fvc_plot_panel_add_hline (FvcPlotPanel *p, double y, const char *label);

/* Grouped bars: @n_categories groups on the x axis named by @categories; call add_bars once
 * per series (bar i of the series in group i; NaN: no bar). @err (NULL or per bar) draws an
 * error bar of ±err. */
void fvc_plot_panel_set_categories (FvcPlotPanel *p, const char *const *categories, guint n_categories);
void fvc_plot_panel_add_bars (FvcPlotPanel *p, const char *label, const double *values, const double *err,
                              guint color);
/* Writes the value above each bar, with this many decimals (-1: not at all, the default), and
 * "n/a" where a series has no bar. */
void fvc_plot_panel_set_bar_value_decimals (FvcPlotPanel *p, int decimals);

gboolean fvc_plot_write_png (FvcPlot *plot, const char *path, GError **error);
gboolean fvc_plot_write_svg (FvcPlot *plot, const char *path, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FvcPlot, fvc_plot_free)

G_END_DECLS
