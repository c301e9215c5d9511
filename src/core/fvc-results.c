/* fvc-results.c — per (model, fold) results, their summary over folds and the results files
 * (see fvc-results.h). No training or GStreamer here. */
#include "fvc-results.h"
#include "fvc-csv.h"
#include "fvc-error.h"
#include "fvc-fileutil.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

static const struct {
  const char *name;
  const char *title;
} metric_names[FVC_RESULT_N_METRICS] = {
  [FVC_RESULT_ROC_AUC] = { "roc_auc", "ROC AUC" },
  [FVC_RESULT_ACCURACY] = { "accuracy", "accuracy" },
  [FVC_RESULT_BALANCED_ACCURACY] = { "balanced_accuracy", "balanced acc." },
  [FVC_RESULT_LOG_LOSS] = { "log_loss", "log loss" },
  [FVC_RESULT_F1] = { "f1", "F1" },
};

const char *
fvc_result_metric_name (FvcResultMetric metric)
{
  g_return_val_if_fail (metric < FVC_RESULT_N_METRICS, NULL);
  return metric_names[metric].name;
}

const char *
fvc_result_metric_title (FvcResultMetric metric)
{
  g_return_val_if_fail (metric < FVC_RESULT_N_METRICS, NULL);
  return metric_names[metric].title;
}

void
fvc_fold_result_init (FvcFoldResult *r, const char *model, guint fold)
{
  memset (r, 0, sizeof *r);
  r->model = g_strdup (model);
  r->fold = fold;
  r->error = g_strdup ("not run");
  for (guint m = 0; m < FVC_RESULT_N_METRICS; m++)
    r->metric[m] = NAN;
}

void
fvc_fold_result_clear (FvcFoldResult *r)
{
  g_clear_pointer (&r->model, g_free);
  g_clear_pointer (&r->error, g_free);
}

void
fvc_fold_result_set_failed (FvcFoldResult *r, const char *error)
{
  r->ok = FALSE;
  g_free (r->error);
  r->error = g_strdup (error ? error : "failed");
  for (guint m = 0; m < FVC_RESULT_N_METRICS; m++)
    r->metric[m] = NAN;
}

static void
copy_fold_result (FvcFoldResult *dst, const FvcFoldResult *src)
{
  fvc_fold_result_clear (dst);
  *dst = *src;
  dst->model = g_strdup (src->model);
  dst->error = g_strdup (src->error);
}

/* ---- JSON --------------------------------------------------------------------------------- */

static void
add_number (JsonBuilder *b, const char *name, double v)
{
  json_builder_set_member_name (b, name);
  if (isfinite (v))
    json_builder_add_double_value (b, v);
  else
    json_builder_add_null_value (b);
}

static void
add_uint (JsonBuilder *b, const char *name, guint v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, v);
}

static void
build_fold_result (JsonBuilder *b, const FvcFoldResult *r)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, r->model);
  add_uint (b, "fold", r->fold);
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, r->ok ? "ok" : "failed");
  json_builder_set_member_name (b, "error");
  if (r->ok)
    json_builder_add_null_value (b);
  else
    json_builder_add_string_value (b, r->error ? r->error : "failed");
  add_uint (b, "n_videos", r->n_videos);
  add_uint (b, "n_real", r->n_real);
  add_uint (b, "n_fake", r->n_fake);
  for (guint m = 0; m < FVC_RESULT_N_METRICS; m++)
    add_number (b, metric_names[m].name, r->metric[m]);
  json_builder_set_member_name (b, "confusion");
  json_builder_begin_object (b);
  add_uint (b, "tp", r->tp);
  add_uint (b, "fp", r->fp);
  add_uint (b, "tn", r->tn);
  add_uint (b, "fn", r->fn);
  json_builder_end_object (b);
  json_builder_end_object (b);
}

static gboolean
write_json (JsonBuilder *b, const char *path, GError **error)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autofree char *text = NULL;
  g_autofree char *with_newline = NULL;

  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  json_generator_set_indent (gen, 2);
  text = json_generator_to_data (gen, NULL);
  with_newline = g_strconcat (text, "\n", NULL);
  return fvc_file_write_atomic_string (path, with_newline, error);
}

gboolean
fvc_fold_result_write_json (const FvcFoldResult *r, const char *path, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  build_fold_result (b, r);
  return write_json (b, path, error);
}

static gboolean
get_uint (JsonObject *o, const char *name, guint *out, const char *path, GError **error)
{
  JsonNode *n = json_object_get_member (o, name);
  if (n == NULL || json_node_get_value_type (n) != G_TYPE_INT64 || json_node_get_int (n) < 0 ||
      json_node_get_int (n) > G_MAXUINT) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE, "%s: \"%s\" missing or not a count", path, name);
    return FALSE;
  }
  *out = (guint) json_node_get_int (n);
  return TRUE;
}

gboolean
fvc_fold_result_load_json (FvcFoldResult *r, const char *path, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *o, *conf;
  JsonNode *root, *n;
  const char *status, *model;

  if (!json_parser_load_from_file (parser, path, error))
    return FALSE;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    goto bad;
  o = json_node_get_object (root);
  model = json_object_get_string_member_with_default (o, "model", NULL);
  status = json_object_get_string_member_with_default (o, "status", NULL);
  if (model == NULL || status == NULL)
    goto bad;
  g_free (r->model);
  r->model = g_strdup (model);
  if (!get_uint (o, "fold", &r->fold, path, error))
    return FALSE;
  if (strcmp (status, "ok") != 0) {
    const char *msg = json_object_get_string_member_with_default (o, "error", NULL);
    fvc_fold_result_set_failed (r, msg ? msg : status);
    return TRUE;
  }
  r->ok = TRUE;
  g_clear_pointer (&r->error, g_free);
  if (!get_uint (o, "n_videos", &r->n_videos, path, error) || !get_uint (o, "n_real", &r->n_real, path, error) ||
      !get_uint (o, "n_fake", &r->n_fake, path, error))
    return FALSE;
  for (guint m = 0; m < FVC_RESULT_N_METRICS; m++) {
    n = json_object_get_member (o, metric_names[m].name);
    if (n == NULL)
      goto bad;
    if (JSON_NODE_HOLDS_NULL (n))
      r->metric[m] = NAN;
    else if (JSON_NODE_HOLDS_VALUE (n) && (json_node_get_value_type (n) == G_TYPE_DOUBLE ||
                                           json_node_get_value_type (n) == G_TYPE_INT64))
      r->metric[m] = json_node_get_double (n);
    else
      goto bad;
  }
  n = json_object_get_member (o, "confusion");
  if (n == NULL || !JSON_NODE_HOLDS_OBJECT (n))
    goto bad;
  conf = json_node_get_object (n);
  return get_uint (conf, "tp", &r->tp, path, error) && get_uint (conf, "fp", &r->fp, path, error) &&
         get_uint (conf, "tn", &r->tn, path, error) && get_uint (conf, "fn", &r->fn, path, error);

bad:
  g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE, "%s: not a metrics file (model, fold, status and metrics expected)",
               path);
  return FALSE;
}

/* ---- the table ---------------------------------------------------------------------------- */

struct _FvcResults {
  char **models;
  guint n_models;
  guint n_folds;
  FvcFoldResult *slots;       /* n_models * n_folds, model-major */
  GPtrArray *excluded_paths;  /* char* */
  GPtrArray *excluded_reasons;
  GPtrArray *warnings;        /* char*, NULL-terminated */
};

FvcResults *
fvc_results_new (const char *const *models, guint n_folds)
{
  FvcResults *res = g_new0 (FvcResults, 1);

  res->models = g_strdupv ((char **) models);
  res->n_models = g_strv_length (res->models);
  res->n_folds = n_folds;
  res->slots = g_new0 (FvcFoldResult, res->n_models * n_folds);
  for (guint m = 0; m < res->n_models; m++)
    for (guint k = 0; k < n_folds; k++)
      fvc_fold_result_init (&res->slots[m * n_folds + k], res->models[m], k);
  res->excluded_paths = g_ptr_array_new_with_free_func (g_free);
  res->excluded_reasons = g_ptr_array_new_with_free_func (g_free);
  res->warnings = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (res->warnings, NULL);
  return res;
}

void
fvc_results_free (FvcResults *res)
{
  if (res == NULL)
    return;
  for (guint i = 0; i < res->n_models * res->n_folds; i++)
    fvc_fold_result_clear (&res->slots[i]);
  g_free (res->slots);
  g_strfreev (res->models);
  g_ptr_array_unref (res->excluded_paths);
  g_ptr_array_unref (res->excluded_reasons);
  g_ptr_array_unref (res->warnings);
  g_free (res);
}

guint
fvc_results_get_n_folds (const FvcResults *res)
{
  return res->n_folds;
}

const char *const *
fvc_results_get_models (const FvcResults *res)
{
  return (const char *const *) res->models;
}

static int
model_index (const FvcResults *res, const char *model)
{
  for (guint m = 0; m < res->n_models; m++)
    if (strcmp (res->models[m], model) == 0)
      return (int) m;
  return -1;
}

FvcFoldResult *
fvc_results_get (FvcResults *res, const char *model, guint fold)
{
  int m = model_index (res, model);
  g_return_val_if_fail (fold < res->n_folds, NULL);
  return m < 0 ? NULL : &res->slots[m * res->n_folds + fold];
}

const FvcFoldResult *
fvc_results_peek (const FvcResults *res, guint model_index, guint fold)
{
  g_return_val_if_fail (model_index < res->n_models && fold < res->n_folds, NULL);
  return &res->slots[model_index * res->n_folds + fold];
}

void
fvc_results_set (FvcResults *res, const FvcFoldResult *r)
{
  FvcFoldResult *slot = fvc_results_get (res, r->model, r->fold);
  g_return_if_fail (slot != NULL);
  if (slot != r)
    copy_fold_result (slot, r);
}

guint
fvc_results_count_failed (const FvcResults *res)
{
  guint n = 0;
  for (guint i = 0; i < res->n_models * res->n_folds; i++)
    n += !res->slots[i].ok;
  return n;
}

void
fvc_results_add_excluded (FvcResults *res, const char *video_path, const char *reason)
{
  g_ptr_array_add (res->excluded_paths, g_strdup (video_path));
  g_ptr_array_add (res->excluded_reasons, g_strdup (reason));
}

void
fvc_results_add_warning (FvcResults *res, const char *text)
{
  res->warnings->pdata[res->warnings->len - 1] = g_strdup (text);
  g_ptr_array_add (res->warnings, NULL);
}

guint
fvc_results_get_n_excluded (const FvcResults *res)
{
  return res->excluded_paths->len;
}

const char *const *
fvc_results_get_warnings (const FvcResults *res)
{
  return (const char *const *) res->warnings->pdata;
}

void
fvc_results_summarize (const FvcResults *res, guint model_index, FvcResultMetric metric, FvcMetricSummary *out)
{
  double sum = 0, ss = 0;
  guint n = 0;

  g_return_if_fail (model_index < res->n_models && metric < FVC_RESULT_N_METRICS);
  for (guint k = 0; k < res->n_folds; k++) {
    const FvcFoldResult *r = fvc_results_peek (res, model_index, k);
    if (r->ok && isfinite (r->metric[metric])) {
      sum += r->metric[metric];
      n++;
    }
  }
  out->n = n;
  out->mean = n > 0 ? sum / n : NAN;
  /* Two passes: the deviations from the mean, not sum of squares minus squared sum. */
  for (guint k = 0; k < res->n_folds; k++) {
    const FvcFoldResult *r = fvc_results_peek (res, model_index, k);
    if (r->ok && isfinite (r->metric[metric]))
      ss += (r->metric[metric] - out->mean) * (r->metric[metric] - out->mean);
  }
  out->std = n >= 2 ? sqrt (ss / (n - 1)) : NAN;
}

static void
append_number (GString *line, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  if (!isfinite (v))
    g_string_append (line, ",nan");
  else
    g_string_append_printf (line, ",%s", g_ascii_formatd (buf, sizeof buf, "%.17g", v));
}

gboolean
fvc_results_write_csv (const FvcResults *res, const char *path, GError **error)
{
  g_autoptr (GString) out = g_string_new ("model,fold,status,n_videos");

  for (guint m = 0; m < FVC_RESULT_N_METRICS; m++)
    g_string_append_printf (out, ",%s", metric_names[m].name);
  g_string_append_c (out, '\n');
  for (guint mi = 0; mi < res->n_models; mi++) {
    for (guint k = 0; k < res->n_folds; k++) {
      const FvcFoldResult *r = fvc_results_peek (res, mi, k);
      fvc_csv_append_field (out, r->model, TRUE);
      g_string_append_printf (out, ",%u,%s,%u", k, r->ok ? "ok" : "failed", r->ok ? r->n_videos : 0);
      for (guint m = 0; m < FVC_RESULT_N_METRICS; m++)
        append_number (out, r->metric[m]);
      g_string_append_c (out, '\n');
    }
  }
  for (guint mi = 0; mi < res->n_models; mi++) {
    guint videos = 0, failed = 0;
    for (guint k = 0; k < res->n_folds; k++) {
      const FvcFoldResult *r = fvc_results_peek (res, mi, k);
      videos += r->ok ? r->n_videos : 0;
      failed += !r->ok;
    }
    for (int which = 0; which < 2; which++) {
      fvc_csv_append_field (out, res->models[mi], TRUE);
      g_string_append_printf (out, ",%s,%s,%u", which == 0 ? "mean" : "std", failed ? "partial" : "ok", videos);
      for (guint m = 0; m < FVC_RESULT_N_METRICS; m++) {
        FvcMetricSummary s;
        fvc_results_summarize (res, mi, m, &s);
        append_number (out, which == 0 ? s.mean : s.std);
      }
      g_string_append_c (out, '\n');
    }
  }
  return fvc_file_write_atomic_string (path, out->str, error);
}

gboolean
fvc_results_write_json (const FvcResults *res, const char *path, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  add_uint (b, "folds", res->n_folds);
  json_builder_set_member_name (b, "models");
  json_builder_begin_array (b);
  for (guint mi = 0; mi < res->n_models; mi++)
    json_builder_add_string_value (b, res->models[mi]);
  json_builder_end_array (b);

  json_builder_set_member_name (b, "results");
  json_builder_begin_array (b);
  for (guint i = 0; i < res->n_models * res->n_folds; i++)
    build_fold_result (b, &res->slots[i]);
  json_builder_end_array (b);

  json_builder_set_member_name (b, "summary");
  json_builder_begin_object (b);
  for (guint mi = 0; mi < res->n_models; mi++) {
    json_builder_set_member_name (b, res->models[mi]);
    json_builder_begin_object (b);
    for (guint m = 0; m < FVC_RESULT_N_METRICS; m++) {
      FvcMetricSummary s;
      fvc_results_summarize (res, mi, m, &s);
      json_builder_set_member_name (b, metric_names[m].name);
      json_builder_begin_object (b);
      add_number (b, "mean", s.mean);
      add_number (b, "std", s.std);
      add_uint (b, "n", s.n);
      json_builder_end_object (b);
    }
    json_builder_end_object (b);
  }
  json_builder_end_object (b);

  json_builder_set_member_name (b, "excluded_videos");
  json_builder_begin_array (b);
  for (guint i = 0; i < res->excluded_paths->len; i++) {
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "video_path");
    json_builder_add_string_value (b, res->excluded_paths->pdata[i]);
    json_builder_set_member_name (b, "reason");
    json_builder_add_string_value (b, res->excluded_reasons->pdata[i]);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "warnings");
  json_builder_begin_array (b);
  for (guint i = 0; i + 1 < res->warnings->len; i++)
    json_builder_add_string_value (b, res->warnings->pdata[i]);
  json_builder_end_array (b);
  json_builder_end_object (b);
  return write_json (b, path, error);
}

static void
append_cell (GString *out, double mean, double std)
{
  if (!isfinite (mean))
    g_string_append_printf (out, "  %-15s", "n/a");
  else if (!isfinite (std))
    g_string_append_printf (out, "  %-15.3f", mean);
  else {
    g_autofree char *cell = g_strdup_printf ("%.3f ± %.3f", mean, std);
    /* "±" is two bytes and one column. */
    g_string_append_printf (out, "  %-16s", cell);
  }
}

char *
fvc_results_format_table (const FvcResults *res)
{
  GString *out = g_string_new (NULL);
  guint width = 5;

  for (guint mi = 0; mi < res->n_models; mi++)
    width = MAX (width, strlen (res->models[mi]));
  g_string_append_printf (out, "%-*s  %-5s", width, "model", "folds");
  for (guint m = 0; m < FVC_RESULT_N_METRICS; m++)
    g_string_append_printf (out, "  %-15s", metric_names[m].title);
  g_string_append_c (out, '\n');
  for (guint mi = 0; mi < res->n_models; mi++) {
    guint ok = 0;
    for (guint k = 0; k < res->n_folds; k++)
      ok += fvc_results_peek (res, mi, k)->ok;
    g_string_append_printf (out, "%-*s  %u/%-3u", width, res->models[mi], ok, res->n_folds);
    for (guint m = 0; m < FVC_RESULT_N_METRICS; m++) {
      FvcMetricSummary s;
      fvc_results_summarize (res, mi, m, &s);
      append_cell (out, s.mean, s.std);
    }
    g_string_append_c (out, '\n');
  }
  for (guint i = 0; i < res->n_models * res->n_folds; i++)
    if (!res->slots[i].ok)
      g_string_append_printf (out, "failed: %s fold %u: %s\n", res->slots[i].model, res->slots[i].fold,
                              res->slots[i].error);
  return g_string_free (out, FALSE);
}
