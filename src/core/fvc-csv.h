/* fvc-csv.h — CSV tables in and out: a whole-file reader on top of libcsv that keeps the line
 * number of every row (for "file:line: reason" messages), and RFC 4180 quoting for writers.
 * It knows nothing about what the columns mean; fvc-index and fvc-cache do. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint line;        /* 1-based physical line where the row starts */
  guint n_fields;
  char **fields;     /* n_fields strings, NULL-terminated vector */
} FvcCsvRow;

typedef struct {
  char *path;
  guint n_columns;
  char **header;     /* n_columns names, NULL-terminated; whitespace trimmed, BOM removed */
  GPtrArray *rows;   /* FvcCsvRow*, data rows only; blank lines are not rows */
  gboolean torn_tail_dropped;  /* FVC_CSV_DROP_TORN_TAIL removed an unterminated last line */
} FvcCsvTable;

typedef enum {
  FVC_CSV_NONE = 0,
  /* A last line without its newline is a row a killed writer did not finish: drop it. */
  FVC_CSV_DROP_TORN_TAIL = 1 << 0,
  /* A missing file reads as a header-less empty table instead of an error. */
  FVC_CSV_MISSING_OK = 1 << 1,
} FvcCsvFlags;

/* Reads and parses the file; a UTF-8 BOM (at the very start only) and CRLF line ends are
 * accepted. Quoting errors, invalid UTF-8 and NUL bytes fail with "path:line: reason", the line
 * being where the offending row starts. (transfer full) */
FvcCsvTable *fvc_csv_read (const char *path, FvcCsvFlags flags, GError **error);
/* Same, from memory; @label names it in messages. */
FvcCsvTable *fvc_csv_parse (const char *data, gsize len, const char *label, FvcCsvFlags flags,
                            GError **error);
void fvc_csv_table_free (FvcCsvTable *table);
/* Index of the column named @name (case-sensitive), or -1. */
int fvc_csv_table_column (const FvcCsvTable *table, const char *name);
/* Field @col of @row, or "" when the row is shorter. (transfer none) */
const char *fvc_csv_row_get (const FvcCsvRow *row, int col);

/* Appends @field to @line, quoted when it holds a comma, quote, CR or LF, or leading/trailing
 * space; a comma is put before it unless @first. */
void fvc_csv_append_field (GString *line, const char *field, gboolean first);
/* One row, comma-separated, ending in "\n". (transfer full) */
char *fvc_csv_format_row (const char *const *fields, guint n_fields);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FvcCsvTable, fvc_csv_table_free)

G_END_DECLS
