/* fvc-csv.c — whole-file CSV reading with libcsv (line numbers kept per row) and CSV quoting. */
#include "fvc-csv.h"
#include "fvc-error.h"

#include <csv.h>
#include <errno.h>
#include <string.h>

typedef struct {
  FvcCsvTable *table;
  GPtrArray *fields;     /* char*, the row being built */
  guint row_line;
  gboolean header_done;
  const char *bad_text;   /* why the first bad field is bad (NUL byte, invalid UTF-8) */
  guint bad_text_line;
} ParseState;

static void
row_free (gpointer p)
{
  FvcCsvRow *row = p;
  g_strfreev (row->fields);
  g_free (row);
}

void
fvc_csv_table_free (FvcCsvTable *table)
{
  if (table == NULL)
    return;
  g_free (table->path);
  g_strfreev (table->header);
  if (table->rows)
    g_ptr_array_unref (table->rows);
  g_free (table);
}

static void
on_field (void *data, size_t len, void *user)
{
  ParseState *st = user;

  if (data == NULL) {
    data = "";
    len = 0;
  }
  /* Check the field's bytes, not the C string: a NUL byte would silently cut the field short. */
  if (st->bad_text == NULL) {
    if (memchr (data, '\0', len) != NULL)
      st->bad_text = "NUL byte in a field";
    else if (!g_utf8_validate (data, (gssize) len, NULL))
      st->bad_text = "not valid UTF-8";
    st->bad_text_line = st->row_line;
  }
  g_ptr_array_add (st->fields, g_strndup (data, len));
}

static void
on_row (int terminator, void *user)
{
  ParseState *st = user;
  guint n = st->fields->len;

  g_ptr_array_add (st->fields, NULL);
  if (!st->header_done) {
    char **header = (char **) g_ptr_array_free (st->fields, FALSE);
    for (guint i = 0; i < n; i++)
      g_strstrip (header[i]);
    st->table->header = header;
    st->table->n_columns = n;
    st->header_done = TRUE;
  } else {
    FvcCsvRow *row = g_new0 (FvcCsvRow, 1);
    row->line = st->row_line;
    row->n_fields = n;
    row->fields = (char **) g_ptr_array_free (st->fields, FALSE);
    g_ptr_array_add (st->table->rows, row);
  }
  st->fields = g_ptr_array_new_with_free_func (g_free);
}

FvcCsvTable *
fvc_csv_parse (const char *data, gsize len, const char *label, FvcCsvFlags flags, GError **error)
{
  struct csv_parser parser;
  ParseState st = { 0 };
  gsize pos = 0;
  guint line = 1;
  gboolean ok = TRUE;

  if (csv_init (&parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_FAILED, "%s: cannot initialise the CSV parser", label);
    return NULL;
  }
  st.table = g_new0 (FvcCsvTable, 1);
  st.table->path = g_strdup (label);
  st.table->rows = g_ptr_array_new_with_free_func (row_free);
  st.fields = g_ptr_array_new_with_free_func (g_free);

  /* A UTF-8 BOM is removed before libcsv sees it: left in, it would make a quoted first header
   * name a quote inside an unquoted field, which strict parsing refuses. */
  if (len >= 3 && memcmp (data, "\xEF\xBB\xBF", 3) == 0) {
    data += 3;
    len -= 3;
  }
  if ((flags & FVC_CSV_DROP_TORN_TAIL) && len > 0 && data[len - 1] != '\n') {
    const char *last_nl = g_strrstr_len (data, (gssize) len, "\n");
    len = last_nl ? (gsize) (last_nl - data) + 1 : 0;
    st.table->torn_tail_dropped = TRUE;
  }

  /* Feed one physical line at a time so that each row knows the line it starts on. */
  while (pos < len) {
    const char *nl = memchr (data + pos, '\n', len - pos);
    gsize chunk = nl ? (gsize) (nl - (data + pos)) + 1 : len - pos;

    if (parser.pstate == 0 /* ROW_NOT_BEGUN */)
      st.row_line = line;
    if (csv_parse (&parser, data + pos, chunk, on_field, on_row, &st) != chunk) {
      g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE, "%s:%u: malformed CSV (%s)", label, line,
                   csv_strerror (csv_error (&parser)));
      ok = FALSE;
      break;
    }
    pos += chunk;
    line++;
  }
  if (ok && csv_fini (&parser, on_field, on_row, &st) != 0) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE, "%s:%u: malformed CSV (unterminated quoted field)",
                 label, st.row_line);
    ok = FALSE;
  }
  if (ok && st.bad_text != NULL) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE, "%s:%u: %s", label, st.bad_text_line, st.bad_text);
    ok = FALSE;
  }
  csv_free (&parser);
  g_ptr_array_unref (st.fields);
  if (!ok) {
    fvc_csv_table_free (st.table);
    return NULL;
  }
  if (st.table->header == NULL)
    st.table->header = g_new0 (char *, 1);
  return st.table;
}

FvcCsvTable *
fvc_csv_read (const char *path, FvcCsvFlags flags, GError **error)
{
  g_autofree char *contents = NULL;
  gsize len = 0;
  g_autoptr (GError) local = NULL;

  if (!g_file_get_contents (path, &contents, &len, &local)) {
    if ((flags & FVC_CSV_MISSING_OK) && g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
      return fvc_csv_parse ("", 0, path, flags, error);
    g_set_error (error, FVC_ERROR, FVC_ERROR_IO, "%s", local->message);
    return NULL;
  }
  return fvc_csv_parse (contents, len, path, flags, error);
}

int
fvc_csv_table_column (const FvcCsvTable *table, const char *name)
{
  for (guint i = 0; i < table->n_columns; i++)
    if (strcmp (table->header[i], name) == 0)
      return (int) i;
  return -1;
}

const char *
fvc_csv_row_get (const FvcCsvRow *row, int col)
{
  if (col < 0 || (guint) col >= row->n_fields)
    return "";
  return row->fields[col];
}

void
fvc_csv_append_field (GString *line, const char *field, gboolean first)
{
  gsize n = strlen (field);
  gboolean quote = strpbrk (field, ",\"\r\n") != NULL ||
                   (n > 0 && (g_ascii_isspace (field[0]) || g_ascii_isspace (field[n - 1])));

  if (!first)
    g_string_append_c (line, ',');
  if (!quote) {
    g_string_append (line, field);
    return;
  }
  g_string_append_c (line, '"');
  for (const char *p = field; *p; p++) {
    if (*p == '"')
      g_string_append_c (line, '"');
    g_string_append_c (line, *p);
  }
  g_string_append_c (line, '"');
}

char *
fvc_csv_format_row (const char *const *fields, guint n_fields)
{
  GString *line = g_string_new (NULL);
  for (guint i = 0; i < n_fields; i++)
    fvc_csv_append_field (line, fields[i], i == 0);
  g_string_append_c (line, '\n');
  return g_string_free (line, FALSE);
}
