/* fvc-plot.c — the cairo charts of the run report (see fvc-plot.h). One render function draws
 * a figure on any cairo context; PNG and SVG are two surfaces for it, written atomically. */
#include "fvc-plot.h"
#include "fvc-error.h"
#include "fvc-fileutil.h"

#include <cairo-svg.h>
#include <cairo.h>
#include <math.h>
#include <string.h>

#define FONT "DejaVu Sans"
#define TITLE_SIZE 17.0
#define PANEL_TITLE_SIZE 14.0
#define LABEL_SIZE 12.5
#define TICK_SIZE 11.0
#define LEGEND_SIZE 11.0

/* Tableau 10, the matplotlib default cycle: distinct, and readable on white. */
static const double palette[][3] = {
  { 0x1f / 255.0, 0x77 / 255.0, 0xb4 / 255.0 }, { 0xff / 255.0, 0x7f / 255.0, 0x0e / 255.0 },
  { 0x2c / 255.0, 0xa0 / 255.0, 0x2c / 255.0 }, { 0xd6 / 255.0, 0x27 / 255.0, 0x28 / 255.0 },
  { 0x94 / 255.0, 0x67 / 255.0, 0xbd / 255.0 }, { 0x8c / 255.0, 0x56 / 255.0, 0x4b / 255.0 },
  { 0xe3 / 255.0, 0x77 / 255.0, 0xc2 / 255.0 }, { 0x7f / 255.0, 0x7f / 255.0, 0x7f / 255.0 },
  { 0xbc / 255.0, 0xbd / 255.0, 0x22 / 255.0 }, { 0x17 / 255.0, 0xbe / 255.0, 0xcf / 255.0 },
};

typedef struct {
  char *label;
  double *x, *y;
  guint n;
  guint color;
  gboolean dashed, markers;
  gboolean faint;
} Line;

typedef struct {
  char *label;
  double *values, *err;
  guint color;
} Bars;

typedef struct {
  double y;
  char *label;
} HLine;

struct _FvcPlotPanel {
  char *title, *xlabel, *ylabel, *note;
  gboolean fixed_x, fixed_y;
  double xmin, xmax, ymin, ymax;
  FvcPlotLegend legend;
  GPtrArray *lines;     /* Line* */
  GPtrArray *bars;      /* Bars* */
  GPtrArray *hlines;    /* HLine* */
  char **categories;
  guint n_categories;
  int bar_decimals;
};

struct _FvcPlot {
  guint width, height, cols, rows;
  char *title;
  FvcPlotPanel *panels;
};

static void
line_free (gpointer data)
{
  Line *l = data;
  g_free (l->label);
  g_free (l->x);
  g_free (l->y);
  g_free (l);
}

static void
bars_free (gpointer data)
{
  Bars *b = data;
  g_free (b->label);
  g_free (b->values);
  g_free (b->err);
  g_free (b);
}

static void
hline_free (gpointer data)
{
  HLine *h = data;
  g_free (h->label);
  g_free (h);
}

FvcPlot *
fvc_plot_new (guint width, guint height, guint cols, guint rows, const char *title)
{
  FvcPlot *plot = g_new0 (FvcPlot, 1);

  g_return_val_if_fail (cols > 0 && rows > 0, NULL);
  plot->width = width;
  plot->height = height;
  plot->cols = cols;
  plot->rows = rows;
  plot->title = g_strdup (title);
  plot->panels = g_new0 (FvcPlotPanel, cols * rows);
  for (guint i = 0; i < cols * rows; i++) {
    plot->panels[i].lines = g_ptr_array_new_with_free_func (line_free);
    plot->panels[i].bars = g_ptr_array_new_with_free_func (bars_free);
    plot->panels[i].hlines = g_ptr_array_new_with_free_func (hline_free);
    plot->panels[i].legend = FVC_PLOT_LEGEND_UPPER_RIGHT;
    plot->panels[i].bar_decimals = -1;
  }
  return plot;
}

void
fvc_plot_free (FvcPlot *plot)
{
  if (plot == NULL)
    return;
  for (guint i = 0; i < plot->cols * plot->rows; i++) {
    FvcPlotPanel *p = &plot->panels[i];
    g_free (p->title);
    g_free (p->xlabel);
    g_free (p->ylabel);
    g_free (p->note);
    g_ptr_array_unref (p->lines);
    g_ptr_array_unref (p->bars);
    g_ptr_array_unref (p->hlines);
    g_strfreev (p->categories);
  }
  g_free (plot->panels);
  g_free (plot->title);
  g_free (plot);
}

FvcPlotPanel *
fvc_plot_get_panel (FvcPlot *plot, guint i)
{
  g_return_val_if_fail (i < plot->cols * plot->rows, NULL);
  return &plot->panels[i];
}

void
fvc_plot_panel_set_title (FvcPlotPanel *p, const char *title)
{
  g_free (p->title);
  p->title = g_strdup (title);
}

void
fvc_plot_panel_set_labels (FvcPlotPanel *p, const char *xlabel, const char *ylabel)
{
  g_free (p->xlabel);
  g_free (p->ylabel);
  p->xlabel = g_strdup (xlabel);
  p->ylabel = g_strdup (ylabel);
}

void
fvc_plot_panel_set_xrange (FvcPlotPanel *p, double min, double max)
{
  p->fixed_x = TRUE;
  p->xmin = min;
  p->xmax = max;
}

void
fvc_plot_panel_set_yrange (FvcPlotPanel *p, double min, double max)
{
  p->fixed_y = TRUE;
  p->ymin = min;
  p->ymax = max;
}

void
fvc_plot_panel_set_legend (FvcPlotPanel *p, FvcPlotLegend where)
{
  p->legend = where;
}

void
fvc_plot_panel_set_note (FvcPlotPanel *p, const char *note)
{
  g_free (p->note);
  p->note = g_strdup (note);
}

void
fvc_plot_panel_add_line (FvcPlotPanel *p, const char *label, const double *x, const double *y, guint n, guint color,
                         gboolean dashed, gboolean markers)
{
  Line *l = g_new0 (Line, 1);
  l->label = g_strdup (label);
  l->x = g_memdup2 (x, n * sizeof (double));
  l->y = g_memdup2 (y, n * sizeof (double));
  l->n = n;
  l->color = color;
  l->dashed = dashed;
  l->markers = markers;
  g_ptr_array_add (p->lines, l);
}

void
fvc_plot_panel_add_faint_line (FvcPlotPanel *p, const double *x, const double *y, guint n, guint color)
{
  fvc_plot_panel_add_line (p, NULL, x, y, n, color, FALSE, FALSE);
  ((Line *) p->lines->pdata[p->lines->len - 1])->faint = TRUE;
}

void
fvc_plot_panel_add_hline (FvcPlotPanel *p, double y, const char *label)
{
  HLine *h = g_new0 (HLine, 1);
  h->y = y;
  h->label = g_strdup (label);
  g_ptr_array_add (p->hlines, h);
}

void
fvc_plot_panel_set_categories (FvcPlotPanel *p, const char *const *categories, guint n_categories)
{
  g_strfreev (p->categories);
  p->categories = g_new0 (char *, n_categories + 1);
  for (guint i = 0; i < n_categories; i++)
    p->categories[i] = g_strdup (categories[i]);
  p->n_categories = n_categories;
}

void
fvc_plot_panel_add_bars (FvcPlotPanel *p, const char *label, const double *values, const double *err, guint color)
{
  Bars *b = g_new0 (Bars, 1);
  g_return_if_fail (p->n_categories > 0);
  b->label = g_strdup (label);
  b->values = g_memdup2 (values, p->n_categories * sizeof (double));
  b->err = err ? g_memdup2 (err, p->n_categories * sizeof (double)) : NULL;
  b->color = color;
  g_ptr_array_add (p->bars, b);
}

void
fvc_plot_panel_set_bar_value_decimals (FvcPlotPanel *p, int decimals)
{
  p->bar_decimals = decimals;
}

/* ---- rendering ------------------------------------------------------------------------------ */

static void
set_color (cairo_t *cr, guint color)
{
  const double *c = palette[color % G_N_ELEMENTS (palette)];
  cairo_set_source_rgb (cr, c[0], c[1], c[2]);
}

static void
set_font (cairo_t *cr, double size, gboolean bold)
{
  cairo_select_font_face (cr, FONT, CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, size);
}

/* Draws @text with its anchor at (x, y): @ax 0 left, 0.5 centre, 1 right; @ay 0 top, 0.5
 * middle, 1 bottom (of the font's ascent/descent box). */
static void
draw_text (cairo_t *cr, const char *text, double x, double y, double ax, double ay)
{
  cairo_text_extents_t te;
  cairo_font_extents_t fe;

  cairo_text_extents (cr, text, &te);
  cairo_font_extents (cr, &fe);
  cairo_move_to (cr, x - ax * te.x_advance, y + (1 - ay) * fe.ascent - ay * fe.descent);
  cairo_show_text (cr, text);
}

static double
text_width (cairo_t *cr, const char *text)
{
  cairo_text_extents_t te;
  cairo_text_extents (cr, text, &te);
  return te.x_advance;
}

static double
nice_step (double range, int target)
{
  double raw, mag, f;

  if (!(range > 0))
    return 1;
  raw = range / target;
  mag = pow (10, floor (log10 (raw)));
  f = raw / mag;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

static void
format_tick (char *buf, gsize len, double v, double step)
{
  int decimals = MAX (0, (int) -floor (log10 (step) + 1e-9));
  if (fabs (v) < step * 1e-6)
    v = 0;
  g_snprintf (buf, len, "%.*f", decimals, v);
}

static void
data_ranges (const FvcPlotPanel *p, double *xmin, double *xmax, double *ymin, double *ymax)
{
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;

  for (guint i = 0; i < p->lines->len; i++) {
    const Line *l = p->lines->pdata[i];
    for (guint k = 0; k < l->n; k++) {
      if (!isfinite (l->x[k]) || !isfinite (l->y[k]))
        continue;
      x0 = MIN (x0, l->x[k]);
      x1 = MAX (x1, l->x[k]);
      y0 = MIN (y0, l->y[k]);
      y1 = MAX (y1, l->y[k]);
    }
  }
  for (guint i = 0; i < p->hlines->len; i++) {
    const HLine *h = p->hlines->pdata[i];
    y0 = MIN (y0, h->y);
    y1 = MAX (y1, h->y);
  }
  if (p->n_categories > 0) {
    x0 = -0.5;
    x1 = p->n_categories - 0.5;
    y0 = MIN (y0, 0);
    for (guint i = 0; i < p->bars->len; i++) {
      const Bars *b = p->bars->pdata[i];
      for (guint k = 0; k < p->n_categories; k++)
        if (isfinite (b->values[k]))
          y1 = MAX (y1, b->values[k] + (b->err && isfinite (b->err[k]) ? b->err[k] : 0));
    }
  }
  if (!isfinite (x0)) {
    x0 = 0;
    x1 = 1;
  }
  if (!isfinite (y0)) {
    y0 = 0;
    y1 = 1;
  }
  if (x1 <= x0)
    x1 = x0 + 1;
  if (y1 <= y0) {
    y0 -= 0.5;
    y1 += 0.5;
  }
  if (p->fixed_x) {
    x0 = p->xmin;
    x1 = p->xmax;
  }
  if (p->fixed_y) {
    y0 = p->ymin;
    y1 = p->ymax;
  } else {
    /* Pad and round outwards to the tick step, so the data never touches the frame. */
    double pad = (y1 - y0) * 0.05, step;
    gboolean non_negative = y0 >= 0;
    y0 -= pad;
    y1 += pad;
    if (non_negative && y0 < 0)
      y0 = 0;
    step = nice_step (y1 - y0, 5);
    y0 = floor (y0 / step) * step;
    y1 = ceil (y1 / step) * step;
  }
  *xmin = x0;
  *xmax = x1;
  *ymin = y0;
  *ymax = y1;
}

typedef struct {
  double left, right, top, bottom;   /* plot area in device units */
  double xmin, xmax, ymin, ymax;
} Frame;

static double
fx (const Frame *f, double x)
{
  return f->left + (x - f->xmin) / (f->xmax - f->xmin) * (f->right - f->left);
}

static double
fy (const Frame *f, double y)
{
  return f->bottom - (y - f->ymin) / (f->ymax - f->ymin) * (f->bottom - f->top);
}

static void
draw_axes (cairo_t *cr, const FvcPlotPanel *p, const Frame *f)
{
  double xstep = nice_step (f->xmax - f->xmin, 6), ystep = nice_step (f->ymax - f->ymin, 5);
  char buf[64];

  /* Grid and ticks. */
  cairo_set_line_width (cr, 1);
  set_font (cr, TICK_SIZE, FALSE);
  for (double y = ceil (f->ymin / ystep - 1e-9) * ystep; y <= f->ymax + ystep * 1e-9; y += ystep) {
    double py = round (fy (f, y)) + 0.5;
    cairo_set_source_rgb (cr, 0.90, 0.90, 0.90);
    cairo_move_to (cr, f->left, py);
    cairo_line_to (cr, f->right, py);
    cairo_stroke (cr);
    cairo_set_source_rgb (cr, 0.2, 0.2, 0.2);
    cairo_move_to (cr, f->left - 5, py);
    cairo_line_to (cr, f->left, py);
    cairo_stroke (cr);
    format_tick (buf, sizeof buf, y, ystep);
    draw_text (cr, buf, f->left - 8, py, 1, 0.5);
  }
  if (p->n_categories > 0) {
    for (guint i = 0; i < p->n_categories; i++) {
      double px = round (fx (f, i)) + 0.5;
      cairo_set_source_rgb (cr, 0.2, 0.2, 0.2);
      cairo_move_to (cr, px, f->bottom);
      cairo_line_to (cr, px, f->bottom + 5);
      cairo_stroke (cr);
      draw_text (cr, p->categories[i], px, f->bottom + 8, 0.5, 0);
    }
  } else {
    for (double x = ceil (f->xmin / xstep - 1e-9) * xstep; x <= f->xmax + xstep * 1e-9; x += xstep) {
      double px = round (fx (f, x)) + 0.5;
      cairo_set_source_rgb (cr, 0.90, 0.90, 0.90);
      cairo_move_to (cr, px, f->top);
      cairo_line_to (cr, px, f->bottom);
      cairo_stroke (cr);
      cairo_set_source_rgb (cr, 0.2, 0.2, 0.2);
      cairo_move_to (cr, px, f->bottom);
      cairo_line_to (cr, px, f->bottom + 5);
      cairo_stroke (cr);
      format_tick (buf, sizeof buf, x, xstep);
      draw_text (cr, buf, px, f->bottom + 8, 0.5, 0);
    }
  }
  /* Frame. */
  cairo_set_source_rgb (cr, 0.25, 0.25, 0.25);
  cairo_rectangle (cr, round (f->left) + 0.5, round (f->top) + 0.5, round (f->right - f->left), round (f->bottom - f->top));
  cairo_stroke (cr);
}

typedef enum { ENTRY_BAR, ENTRY_LINE, ENTRY_DASHED, ENTRY_REFERENCE } EntryKind;

typedef struct {
  EntryKind kind;
  guint color;
  const char *label;
} Entry;

/* Legend entries: bars, then lines, then reference lines, each in the order added. */
static GArray *
legend_entries (const FvcPlotPanel *p)
{
  GArray *entries = g_array_new (FALSE, FALSE, sizeof (Entry));

  for (guint i = 0; i < p->bars->len; i++) {
    const Bars *b = p->bars->pdata[i];
    Entry e = { ENTRY_BAR, b->color, b->label };
    if (b->label)
      g_array_append_val (entries, e);
  }
  for (guint i = 0; i < p->lines->len; i++) {
    const Line *l = p->lines->pdata[i];
    Entry e = { l->dashed ? ENTRY_DASHED : ENTRY_LINE, l->color, l->label };
    if (l->label)
      g_array_append_val (entries, e);
  }
  for (guint i = 0; i < p->hlines->len; i++) {
    const HLine *h = p->hlines->pdata[i];
    Entry e = { ENTRY_REFERENCE, 0, h->label };
    if (h->label)
      g_array_append_val (entries, e);
  }
  return entries;
}

#define LEGEND_PAD 7.0
#define LEGEND_SAMPLE 24.0
#define LEGEND_ROW (LEGEND_SIZE + 6)

static void
draw_entry (cairo_t *cr, const Entry *e, double x, double y)
{
  const double dash[] = { 6, 4 }, ref_dash[] = { 4, 3 };

  switch (e->kind) {
  case ENTRY_BAR:
    set_color (cr, e->color);
    cairo_rectangle (cr, x, y - 5, LEGEND_SAMPLE, 10);
    cairo_fill (cr);
    break;
  case ENTRY_LINE:
  case ENTRY_DASHED:
    set_color (cr, e->color);
    cairo_set_line_width (cr, 2);
    cairo_set_dash (cr, dash, e->kind == ENTRY_DASHED ? 2 : 0, 0);
    cairo_move_to (cr, x, y);
    cairo_line_to (cr, x + LEGEND_SAMPLE, y);
    cairo_stroke (cr);
    break;
  case ENTRY_REFERENCE:
    cairo_set_source_rgb (cr, 0.45, 0.45, 0.45);
    cairo_set_line_width (cr, 1.5);
    cairo_set_dash (cr, ref_dash, 2, 0);
    cairo_move_to (cr, x, y);
    cairo_line_to (cr, x + LEGEND_SAMPLE, y);
    cairo_stroke (cr);
    break;
  }
  cairo_set_dash (cr, NULL, 0, 0);
  cairo_set_source_rgb (cr, 0.1, 0.1, 0.1);
  draw_text (cr, e->label, x + LEGEND_SAMPLE + LEGEND_PAD, y, 0, 0.5);
}

static void
draw_legend (cairo_t *cr, const FvcPlotPanel *p, const Frame *f)
{
  g_autoptr (GArray) entries = NULL;
  double w = 0, h, x, y;

  if (p->legend == FVC_PLOT_LEGEND_NONE)
    return;
  entries = legend_entries (p);
  if (entries->len == 0)
    return;
  set_font (cr, LEGEND_SIZE, FALSE);

  if (p->legend == FVC_PLOT_LEGEND_ABOVE) {
    /* One centred row above the plot area. */
    const double gap = 22;
    for (guint i = 0; i < entries->len; i++)
      w += LEGEND_SAMPLE + LEGEND_PAD + text_width (cr, g_array_index (entries, Entry, i).label) + (i ? gap : 0);
    x = (f->left + f->right - w) / 2;
    y = f->top - LEGEND_ROW + 2;
    for (guint i = 0; i < entries->len; i++) {
      const Entry *e = &g_array_index (entries, Entry, i);
      draw_entry (cr, e, x, y);
      x += LEGEND_SAMPLE + LEGEND_PAD + text_width (cr, e->label) + gap;
    }
    return;
  }

  for (guint i = 0; i < entries->len; i++)
    w = MAX (w, text_width (cr, g_array_index (entries, Entry, i).label));
  w += 3 * LEGEND_PAD + LEGEND_SAMPLE;
  h = entries->len * LEGEND_ROW + 2 * LEGEND_PAD - 4;
  x = f->right - w - 8;
  y = p->legend == FVC_PLOT_LEGEND_LOWER_RIGHT ? f->bottom - h - 8 : f->top + 8;

  cairo_set_source_rgba (cr, 1, 1, 1, 0.88);
  cairo_rectangle (cr, x, y, w, h);
  cairo_fill_preserve (cr);
  cairo_set_source_rgb (cr, 0.75, 0.75, 0.75);
  cairo_set_line_width (cr, 1);
  cairo_stroke (cr);
  y += LEGEND_PAD + LEGEND_ROW / 2 - 2;
  for (guint i = 0; i < entries->len; i++, y += LEGEND_ROW)
    draw_entry (cr, &g_array_index (entries, Entry, i), x + LEGEND_PAD, y);
}

static void
draw_line (cairo_t *cr, const Frame *f, const Line *l)
{
  const double dash[] = { 6, 4 };
  gboolean pen = FALSE;

  if (l->faint) {
    const double *c = palette[l->color % G_N_ELEMENTS (palette)];
    cairo_set_source_rgba (cr, c[0], c[1], c[2], 0.28);
    cairo_set_line_width (cr, 1);
  } else {
    set_color (cr, l->color);
    cairo_set_line_width (cr, 2);
  }
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_dash (cr, dash, l->dashed ? 2 : 0, 0);
  for (guint k = 0; k < l->n; k++) {
    if (!isfinite (l->x[k]) || !isfinite (l->y[k])) {
      pen = FALSE;
      continue;
    }
    if (pen)
      cairo_line_to (cr, fx (f, l->x[k]), fy (f, l->y[k]));
    else
      cairo_move_to (cr, fx (f, l->x[k]), fy (f, l->y[k]));
    pen = TRUE;
  }
  cairo_stroke (cr);
  cairo_set_dash (cr, NULL, 0, 0);
  if (l->markers) {
    for (guint k = 0; k < l->n; k++) {
      if (!isfinite (l->x[k]) || !isfinite (l->y[k]))
        continue;
      cairo_arc (cr, fx (f, l->x[k]), fy (f, l->y[k]), 3.2, 0, 2 * G_PI);
      cairo_fill (cr);
    }
  }
}

static void
draw_panel (cairo_t *cr, const FvcPlotPanel *p, double px, double py, double pw, double ph)
{
  Frame f;

  f.left = px + 66;
  f.right = px + pw - 18;
  f.top = py + (p->title ? 36 : 14) + (p->legend == FVC_PLOT_LEGEND_ABOVE ? LEGEND_ROW + 6 : 0);
  f.bottom = py + ph - 54;
  data_ranges (p, &f.xmin, &f.xmax, &f.ymin, &f.ymax);

  if (p->title) {
    cairo_set_source_rgb (cr, 0.1, 0.1, 0.1);
    set_font (cr, PANEL_TITLE_SIZE, TRUE);
    draw_text (cr, p->title, (f.left + f.right) / 2, py + 12, 0.5, 0);
  }
  draw_axes (cr, p, &f);
  set_font (cr, LABEL_SIZE, FALSE);
  cairo_set_source_rgb (cr, 0.1, 0.1, 0.1);
  if (p->xlabel)
    draw_text (cr, p->xlabel, (f.left + f.right) / 2, f.bottom + 30, 0.5, 0);
  if (p->ylabel) {
    cairo_save (cr);
    cairo_translate (cr, px + 16, (f.top + f.bottom) / 2);
    cairo_rotate (cr, -G_PI / 2);
    draw_text (cr, p->ylabel, 0, 0, 0.5, 0.5);
    cairo_restore (cr);
  }

  cairo_save (cr);
  cairo_rectangle (cr, f.left, f.top, f.right - f.left, f.bottom - f.top);
  cairo_clip (cr);

  /* Bars first, reference lines over them, data lines on top. */
  if (p->n_categories > 0 && p->bars->len > 0) {
    double group = 0.8, bw = group / p->bars->len;
    for (guint s = 0; s < p->bars->len; s++) {
      const Bars *b = p->bars->pdata[s];
      for (guint i = 0; i < p->n_categories; i++) {
        double x0, x1, y0, y1;
        if (!isfinite (b->values[i]))
          continue;
        x0 = fx (&f, i - group / 2 + s * bw);
        x1 = fx (&f, i - group / 2 + (s + 1) * bw);
        y0 = fy (&f, MAX (0, f.ymin));
        y1 = fy (&f, b->values[i]);
        set_color (cr, b->color);
        cairo_rectangle (cr, x0 + 1, MIN (y0, y1), x1 - x0 - 2, fabs (y1 - y0));
        cairo_fill (cr);
        if (b->err && isfinite (b->err[i]) && b->err[i] > 0) {
          double cx = (x0 + x1) / 2, e0 = fy (&f, b->values[i] - b->err[i]), e1 = fy (&f, b->values[i] + b->err[i]);
          cairo_set_source_rgb (cr, 0.1, 0.1, 0.1);
          cairo_set_line_width (cr, 1.3);
          cairo_move_to (cr, cx, e0);
          cairo_line_to (cr, cx, e1);
          cairo_move_to (cr, cx - 4, e0);
          cairo_line_to (cr, cx + 4, e0);
          cairo_move_to (cr, cx - 4, e1);
          cairo_line_to (cr, cx + 4, e1);
          cairo_stroke (cr);
        }
      }
    }
  }
  for (guint i = 0; i < p->hlines->len; i++) {
    const HLine *h = p->hlines->pdata[i];
    double d[] = { 4, 3 };
    cairo_set_source_rgb (cr, 0.45, 0.45, 0.45);
    cairo_set_line_width (cr, 1.5);
    cairo_set_dash (cr, d, 2, 0);
    cairo_move_to (cr, f.left, fy (&f, h->y));
    cairo_line_to (cr, f.right, fy (&f, h->y));
    cairo_stroke (cr);
    cairo_set_dash (cr, NULL, 0, 0);
  }
  /* Faint lines under the others. */
  for (guint i = 0; i < p->lines->len; i++)
    if (((Line *) p->lines->pdata[i])->faint)
      draw_line (cr, &f, p->lines->pdata[i]);
  for (guint i = 0; i < p->lines->len; i++)
    if (!((Line *) p->lines->pdata[i])->faint)
      draw_line (cr, &f, p->lines->pdata[i]);
  cairo_restore (cr);

  /* Values above the bars, outside the clip so a value near the top is still readable; a bar
   * with an error bar gets its value inside, in white, where the error bar does not cross it. */
  if (p->bar_decimals >= 0 && p->bars->len > 0) {
    double group = 0.8, bw = group / p->bars->len;
    set_font (cr, TICK_SIZE - 1.5, FALSE);
    cairo_set_source_rgb (cr, 0.15, 0.15, 0.15);
    for (guint s = 0; s < p->bars->len; s++) {
      const Bars *b = p->bars->pdata[s];
      for (guint i = 0; i < p->n_categories; i++) {
        char buf[32];
        double cx = fx (&f, i - group / 2 + (s + 0.5) * bw), top;
        if (!isfinite (b->values[i])) {
          set_color (cr, b->color);
          draw_text (cr, "n/a", cx, fy (&f, MAX (0, f.ymin)) - 4, 0.5, 1);
          cairo_set_source_rgb (cr, 0.15, 0.15, 0.15);
          continue;
        }
        g_snprintf (buf, sizeof buf, "%.*f", p->bar_decimals, b->values[i]);
        if (b->err && isfinite (b->err[i]) && b->err[i] > 0 && fy (&f, 0) - fy (&f, b->values[i]) > 30) {
          double w = text_width (cr, buf) + 6, y = fy (&f, b->values[i]) + 6;
          /* A patch of the bar's colour behind the text hides the error bar's stem there. */
          set_color (cr, b->color);
          cairo_rectangle (cr, cx - w / 2, y, w, TICK_SIZE + 2);
          cairo_fill (cr);
          cairo_set_source_rgb (cr, 1, 1, 1);
          draw_text (cr, buf, cx, y + 1, 0.5, 0);
          cairo_set_source_rgb (cr, 0.15, 0.15, 0.15);
          continue;
        }
        top = fy (&f, b->values[i]);
        draw_text (cr, buf, cx, MAX (top - 4, f.top + 10), 0.5, 1);
      }
    }
  }
  if (p->note) {
    set_font (cr, LABEL_SIZE, FALSE);
    cairo_set_source_rgb (cr, 0.5, 0.1, 0.1);
    draw_text (cr, p->note, (f.left + f.right) / 2, (f.top + f.bottom) / 2, 0.5, 0.5);
  }
  draw_legend (cr, p, &f);
}

static void
render (FvcPlot *plot, cairo_t *cr)
{
  double top = plot->title ? 40 : 0;
  double cw = (double) plot->width / plot->cols, ch = (plot->height - top) / plot->rows;

  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  if (plot->title) {
    cairo_set_source_rgb (cr, 0.05, 0.05, 0.05);
    set_font (cr, TITLE_SIZE, TRUE);
    draw_text (cr, plot->title, plot->width / 2.0, 12, 0.5, 0);
  }
  for (guint r = 0; r < plot->rows; r++)
    for (guint c = 0; c < plot->cols; c++)
      draw_panel (cr, &plot->panels[r * plot->cols + c], c * cw, top + r * ch, cw, ch);
}

static cairo_status_t
append_bytes (void *closure, const unsigned char *data, unsigned int length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

static gboolean
finish (cairo_surface_t *surface, GByteArray *bytes, const char *path, GError **error)
{
  cairo_status_t st = cairo_surface_status (surface);
  FvcChunk chunk;

  if (st != CAIRO_STATUS_SUCCESS) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_FAILED, "%s: cairo: %s", path, cairo_status_to_string (st));
    return FALSE;
  }
  chunk.data = bytes->data;
  chunk.len = bytes->len;
  return fvc_file_write_atomic (path, &chunk, 1, error);
}

gboolean
fvc_plot_write_png (FvcPlot *plot, const char *path, GError **error)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, plot->width, plot->height);
  cairo_t *cr = cairo_create (surface);
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  cairo_status_t st;
  gboolean ok;

  cairo_set_antialias (cr, CAIRO_ANTIALIAS_GOOD);
  render (plot, cr);
  cairo_destroy (cr);
  st = cairo_surface_write_to_png_stream (surface, append_bytes, bytes);
  if (st != CAIRO_STATUS_SUCCESS) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_FAILED, "%s: cairo: %s", path, cairo_status_to_string (st));
    cairo_surface_destroy (surface);
    return FALSE;
  }
  ok = finish (surface, bytes, path, error);
  cairo_surface_destroy (surface);
  return ok;
}

gboolean
fvc_plot_write_svg (FvcPlot *plot, const char *path, GError **error)
{
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  cairo_surface_t *surface = cairo_svg_surface_create_for_stream (append_bytes, bytes, plot->width, plot->height);
  cairo_t *cr = cairo_create (surface);
  gboolean ok;

  render (plot, cr);
  cairo_destroy (cr);
  cairo_surface_finish (surface);
  ok = finish (surface, bytes, path, error);
  cairo_surface_destroy (surface);
  return ok;
}
