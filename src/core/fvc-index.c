/* fvc-index.c — loading and validating the video index CSV (see fvc-index.h for the rules). */
#include "fvc-index.h"
#include "fvc-csv.h"
#include "fvc-error.h"

#include <string.h>

struct _FvcVideoIndex {
  char *path;
  GArray *entries;          /* FvcVideoEntry */
  GHashTable *by_path;      /* video_path -> index into entries (GUINT_TO_POINTER(i + 1)) */
  gboolean has_groups;
  char **extra_columns;
};

gboolean
fvc_label_parse (const char *text, FvcLabel *out)
{
  g_autofree char *t = g_strstrip (g_ascii_strdown (text, -1));

  if (strcmp (t, "real") == 0 || strcmp (t, "0") == 0) {
    *out = FVC_LABEL_REAL;
    return TRUE;
  }
  if (strcmp (t, "fake") == 0 || strcmp (t, "1") == 0) {
    *out = FVC_LABEL_FAKE;
    return TRUE;
  }
  return FALSE;
}

const char *
fvc_label_name (FvcLabel label)
{
  return label == FVC_LABEL_FAKE ? "fake" : "real";
}

static void
entry_clear (gpointer p)
{
  FvcVideoEntry *e = p;
  g_free (e->video_path);
  g_free (e->resolved_path);
  g_free (e->group);
  g_strfreev (e->extra);
}

void
fvc_video_index_free (FvcVideoIndex *index)
{
  if (index == NULL)
    return;
  g_free (index->path);
  g_array_unref (index->entries);
  g_hash_table_unref (index->by_path);
  g_strfreev (index->extra_columns);
  g_free (index);
}

FvcVideoIndex *
fvc_video_index_load (const char *csv_path, const char *video_root, GError **error)
{
  g_autoptr (FvcCsvTable) table = NULL;
  g_autoptr (FvcVideoIndex) index = NULL;
  g_autofree char *base_dir = NULL;
  g_autoptr (GPtrArray) extra_names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) extra_cols = g_array_new (FALSE, FALSE, sizeof (int));
  int col_path, col_label, col_group;

  table = fvc_csv_read (csv_path, FVC_CSV_NONE, error);
  if (table == NULL)
    return NULL;
  if (table->n_columns == 0) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE, "%s: empty file, expected a header "
                 "\"video_path,label[,group]\"", csv_path);
    return NULL;
  }
  col_path = fvc_csv_table_column (table, "video_path");
  col_label = fvc_csv_table_column (table, "label");
  col_group = fvc_csv_table_column (table, "group");
  if (col_path < 0 || col_label < 0) {
    g_autofree char *found = g_strjoinv (",", table->header);
    g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE, "%s:1: header must name the columns video_path "
                 "and label (found \"%s\")", csv_path, found);
    return NULL;
  }
  for (guint c = 0; c < table->n_columns; c++) {
    if ((int) c == col_path || (int) c == col_label || (int) c == col_group)
      continue;
    for (guint d = 0; d < c; d++) {
      if (strcmp (table->header[c], table->header[d]) == 0) {
        g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE, "%s:1: column \"%s\" appears twice", csv_path,
                     table->header[c]);
        return NULL;
      }
    }
    g_ptr_array_add (extra_names, g_strdup (table->header[c]));
    g_array_append_val (extra_cols, c);
  }
  g_ptr_array_add (extra_names, NULL);

  index = g_new0 (FvcVideoIndex, 1);
  index->path = g_strdup (csv_path);
  index->entries = g_array_new (FALSE, TRUE, sizeof (FvcVideoEntry));
  g_array_set_clear_func (index->entries, entry_clear);
  index->by_path = g_hash_table_new (g_str_hash, g_str_equal);
  index->has_groups = col_group >= 0;
  index->extra_columns = (char **) g_ptr_array_steal (extra_names, NULL);
  base_dir = video_root ? g_strdup (video_root) : g_path_get_dirname (csv_path);

  for (guint r = 0; r < table->rows->len; r++) {
    const FvcCsvRow *row = g_ptr_array_index (table->rows, r);
    FvcVideoEntry e = { 0 };
    const char *path, *label;
    gpointer prev;

    /* Blank lines never get here (the CSV reader drops them); a lone "" is a short row. */
    if (row->n_fields < table->n_columns) {
      g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE, "%s:%u: %u fields, the header has %u", csv_path,
                   row->line, row->n_fields, table->n_columns);
      return NULL;
    }
    if (row->n_fields > table->n_columns) {
      g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE, "%s:%u: %u fields, the header has %u (unquoted comma?)",
                   csv_path, row->line, row->n_fields, table->n_columns);
      return NULL;
    }
    path = row->fields[col_path];
    label = row->fields[col_label];
    if (*path == '\0') {
      g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE, "%s:%u: empty video_path", csv_path, row->line);
      return NULL;
    }
    if (!fvc_label_parse (label, &e.label)) {
      g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE,
                   "%s:%u: label \"%s\" is not one of real, fake, 0, 1", csv_path, row->line, label);
      return NULL;
    }
    prev = g_hash_table_lookup (index->by_path, path);
    if (prev != NULL) {
      const FvcVideoEntry *first = &g_array_index (index->entries, FvcVideoEntry, GPOINTER_TO_UINT (prev) - 1);
      g_set_error (error, FVC_ERROR, FVC_ERROR_DUPLICATE, "%s:%u: video_path \"%s\" already listed on line %u",
                   csv_path, row->line, path, first->line);
      return NULL;
    }
    e.video_path = g_strdup (path);
    e.resolved_path = g_path_is_absolute (path) ? g_strdup (path) : g_build_filename (base_dir, path, NULL);
    e.line = row->line;
    if (col_group >= 0)
      e.group = g_strdup (row->fields[col_group]);
    e.extra = g_new0 (char *, extra_cols->len + 1);
    for (guint k = 0; k < extra_cols->len; k++)
      e.extra[k] = g_strdup (row->fields[g_array_index (extra_cols, int, k)]);
    g_array_append_val (index->entries, e);
    g_hash_table_insert (index->by_path, e.video_path, GUINT_TO_POINTER (index->entries->len));
  }
  if (index->entries->len == 0) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE, "%s: no videos listed", csv_path);
    return NULL;
  }
  return g_steal_pointer (&index);
}

const char *
fvc_video_index_get_path (const FvcVideoIndex *index)
{
  return index->path;
}

guint
fvc_video_index_get_n_videos (const FvcVideoIndex *index)
{
  return index->entries->len;
}

const FvcVideoEntry *
fvc_video_index_get (const FvcVideoIndex *index, guint i)
{
  g_return_val_if_fail (i < index->entries->len, NULL);
  return &g_array_index (index->entries, FvcVideoEntry, i);
}

const FvcVideoEntry *
fvc_video_index_lookup (const FvcVideoIndex *index, const char *video_path)
{
  guint i = GPOINTER_TO_UINT (g_hash_table_lookup (index->by_path, video_path));
  return i ? &g_array_index (index->entries, FvcVideoEntry, i - 1) : NULL;
}

gboolean
fvc_video_index_has_groups (const FvcVideoIndex *index)
{
  return index->has_groups;
}

const char *const *
fvc_video_index_get_extra_columns (const FvcVideoIndex *index)
{
  return (const char *const *) index->extra_columns;
}

const char *
fvc_video_index_get_extra (const FvcVideoIndex *index, const FvcVideoEntry *entry, const char *name)
{
  for (guint k = 0; index->extra_columns[k] != NULL; k++)
    if (strcmp (index->extra_columns[k], name) == 0)
      return entry->extra[k];
  return NULL;
}

guint
fvc_video_index_count_label (const FvcVideoIndex *index, FvcLabel label)
{
  guint n = 0;
  for (guint i = 0; i < index->entries->len; i++)
    n += g_array_index (index->entries, FvcVideoEntry, i).label == label;
  return n;
}
