/* test-csv.c — the CSV reader (line numbers, quoting, CRLF, BOM, UTF-8, torn tails) and the
 * quoting writer of fvc-csv.h. Inputs are parsed from memory, plus a few through real files. */
#include "unit-util.h"

#include "fvc-csv.h"

/* Parses @text (a C string) and fails the test on error. */
static FvcCsvTable *
parse_ok (const char *text, FvcCsvFlags flags)
{
  g_autoptr (GError) error = NULL;
  FvcCsvTable *t = fvc_csv_parse (text, strlen (text), "mem.csv", flags, &error);
  ck_assert_msg (t != NULL, "unexpected error: %s", error ? error->message : "?");
  return t;
}

/* Row @r has line @line and exactly the fields of the NULL-terminated @fields. */
static void
assert_row (const FvcCsvTable *t, guint r, guint line, const char *const *fields)
{
  const FvcCsvRow *row;

  ck_assert_uint_lt (r, t->rows->len);
  row = g_ptr_array_index (t->rows, r);
  ck_assert_msg (row->line == line, "row %u: line %u, expected %u", r, row->line, line);
  ck_assert_uint_eq (row->n_fields, g_strv_length ((char **) fields));
  for (guint i = 0; fields[i] != NULL; i++)
    ck_assert_str_eq (row->fields[i], fields[i]);
  ck_assert_ptr_null (row->fields[row->n_fields]);
}

static void
assert_header (const FvcCsvTable *t, const char *const *names)
{
  ck_assert_uint_eq (t->n_columns, g_strv_length ((char **) names));
  for (guint i = 0; names[i] != NULL; i++)
    ck_assert_str_eq (t->header[i], names[i]);
  ck_assert_ptr_null (t->header[t->n_columns]);
}

#define STRV(...) ((const char *const[]) { __VA_ARGS__, NULL })

START_TEST (test_basic)
{
  g_autoptr (FvcCsvTable) t = parse_ok ("a,b,c\n1,2,3\n4,5,6\n", FVC_CSV_NONE);

  ck_assert_str_eq (t->path, "mem.csv");
  assert_header (t, STRV ("a", "b", "c"));
  ck_assert_uint_eq (t->rows->len, 2);
  assert_row (t, 0, 2, STRV ("1", "2", "3"));
  assert_row (t, 1, 3, STRV ("4", "5", "6"));
  ck_assert_int_eq (fvc_csv_table_column (t, "b"), 1);
  ck_assert_int_eq (fvc_csv_table_column (t, "B"), -1); /* case-sensitive */
  ck_assert_int_eq (fvc_csv_table_column (t, "d"), -1);
  ck_assert (!t->torn_tail_dropped);
}
END_TEST

START_TEST (test_quoting)
{
  /* Commas, doubled quotes, non-ASCII and an empty quoted field. */
  g_autoptr (FvcCsvTable) t = parse_ok (
      "path,note\n"
      "\"dir/a, b.mp4\",\"he said \"\"hi\"\"\"\n"
      "\"vid\xc3\xa9os/\xe6\x97\xa5\xe6\x9c\xac.mp4\",\"\"\n"
      "plain,\"  kept spaces  \"\n",
      FVC_CSV_NONE);

  assert_row (t, 0, 2, STRV ("dir/a, b.mp4", "he said \"hi\""));
  assert_row (t, 1, 3, STRV ("vid\xc3\xa9os/\xe6\x97\xa5\xe6\x9c\xac.mp4", ""));
  assert_row (t, 2, 4, STRV ("plain", "  kept spaces  "));
}
END_TEST

START_TEST (test_crlf)
{
  g_autoptr (FvcCsvTable) t = parse_ok ("a,b\r\n1,\"x\"\r\n3,4\r\n", FVC_CSV_NONE);

  assert_header (t, STRV ("a", "b"));
  ck_assert_uint_eq (t->rows->len, 2);
  assert_row (t, 0, 2, STRV ("1", "x"));
  assert_row (t, 1, 3, STRV ("3", "4"));
}
END_TEST

START_TEST (test_bom)
{
  g_autoptr (FvcCsvTable) plain = parse_ok ("\xEF\xBB\xBFvideo_path,label\na,1\n", FVC_CSV_NONE);
  g_autoptr (FvcCsvTable) quoted = parse_ok ("\xEF\xBB\xBF\"video_path\",\"label\"\r\n\"a\",1\r\n", FVC_CSV_NONE);

  assert_header (plain, STRV ("video_path", "label"));
  assert_row (plain, 0, 2, STRV ("a", "1"));
  /* Excel writes the BOM before a quoted header too. */
  assert_header (quoted, STRV ("video_path", "label"));
  assert_row (quoted, 0, 2, STRV ("a", "1"));
}
END_TEST

START_TEST (test_bom_only_at_start)
{
  /* A BOM anywhere else is data (U+FEFF is valid UTF-8), not removed. */
  g_autoptr (FvcCsvTable) t = parse_ok ("a,b\n\xEF\xBB\xBFx,1\n", FVC_CSV_NONE);
  assert_row (t, 0, 2, STRV ("\xEF\xBB\xBFx", "1"));
}
END_TEST

START_TEST (test_embedded_newline)
{
  /* A quoted field spanning lines: the row keeps its first line, later rows their own. */
  g_autoptr (FvcCsvTable) t = parse_ok (
      "a,b\n"
      "\"multi\nline\",1\n"
      "next,2\n"
      "\"three\r\nline\nfield\",3\n"
      "last,4\n",
      FVC_CSV_NONE);

  ck_assert_uint_eq (t->rows->len, 4);
  assert_row (t, 0, 2, STRV ("multi\nline", "1"));
  assert_row (t, 1, 4, STRV ("next", "2"));
  assert_row (t, 2, 5, STRV ("three\r\nline\nfield", "3"));
  assert_row (t, 3, 8, STRV ("last", "4"));
}
END_TEST

START_TEST (test_blank_lines)
{
  g_autoptr (FvcCsvTable) t = parse_ok ("\na,b\n\n1,2\n\r\n\n3,4\n\n", FVC_CSV_NONE);

  assert_header (t, STRV ("a", "b"));
  ck_assert_uint_eq (t->rows->len, 2);
  assert_row (t, 0, 4, STRV ("1", "2"));
  assert_row (t, 1, 7, STRV ("3", "4"));
}
END_TEST

START_TEST (test_header_trimmed)
{
  g_autoptr (FvcCsvTable) t = parse_ok ("  a , \" b \" \nx,y\n", FVC_CSV_NONE);
  assert_header (t, STRV ("a", "b"));
}
END_TEST

START_TEST (test_short_rows_and_get)
{
  g_autoptr (FvcCsvTable) t = parse_ok ("a,b,c\n1\n1,2,3,4\n", FVC_CSV_NONE);
  const FvcCsvRow *short_row = g_ptr_array_index (t->rows, 0);
  const FvcCsvRow *long_row = g_ptr_array_index (t->rows, 1);

  /* The reader keeps rows as they are; judging the field count is the caller's job. */
  ck_assert_uint_eq (short_row->n_fields, 1);
  ck_assert_uint_eq (long_row->n_fields, 4);
  ck_assert_str_eq (fvc_csv_row_get (short_row, 0), "1");
  ck_assert_str_eq (fvc_csv_row_get (short_row, 2), "");
  ck_assert_str_eq (fvc_csv_row_get (short_row, -1), "");
  ck_assert_str_eq (fvc_csv_row_get (long_row, 3), "4");
}
END_TEST

START_TEST (test_empty_input)
{
  g_autoptr (FvcCsvTable) t = parse_ok ("", FVC_CSV_NONE);
  g_autoptr (FvcCsvTable) blank = parse_ok ("\n\r\n\n", FVC_CSV_NONE);

  ck_assert_uint_eq (t->n_columns, 0);
  ck_assert_ptr_nonnull (t->header);
  ck_assert_ptr_null (t->header[0]);
  ck_assert_uint_eq (t->rows->len, 0);
  ck_assert_uint_eq (blank->n_columns, 0);
  ck_assert_uint_eq (blank->rows->len, 0);
}
END_TEST

/* Malformed inputs: the error names mem.csv and the line, and says why. */
static const struct {
  const char *text;
  gsize len;        /* 0: strlen */
  guint line;
  const char *reason;
} bad_inputs[] = {
  { "a,b\n1,2\n\"open,3\n4,5\n", 0, 3, "unterminated" },      /* reported where the row starts */
  { "a,b\n1,2\n3,\"open\n", 0, 3, "unterminated" },
  { "a,b\n1,2\nx\"y,1\n", 0, 3, "malformed" },                 /* quote inside an unquoted field */
  { "a,b\n\"x\"y,1\n", 0, 2, "malformed" },                    /* text after a closing quote */
  { "a,b\nok,1\n\xff\xfe,2\n", 0, 3, "UTF-8" },
  { "a,b\nok,1\n\"multi\nline\",1\nbad\xc3(,2\n", 0, 5, "UTF-8" }, /* line counted past the newline */
  { "\xc3\x28,b\nok,1\n", 0, 1, "UTF-8" },                       /* in the header */
  { "a,b\nx\0y,1\n", 11, 2, "NUL" },                            /* a NUL would silently cut the field */
};

START_TEST (test_bad_input)
{
  gsize len = bad_inputs[_i].len ? bad_inputs[_i].len : strlen (bad_inputs[_i].text);
  g_autoptr (GError) error = NULL;
  g_autoptr (FvcCsvTable) t = fvc_csv_parse (bad_inputs[_i].text, len, "mem.csv", FVC_CSV_NONE, &error);

  ck_assert_ptr_null (t);
  FVC_ASSERT_ERROR (error, FVC_ERROR_PARSE, bad_inputs[_i].reason);
  FVC_ASSERT_ERROR_AT (error, "mem.csv", bad_inputs[_i].line);
}
END_TEST

START_TEST (test_torn_tail)
{
  const char *text = "a,b\n1,2\n3,\"unfinished";
  g_autoptr (GError) error = NULL;
  g_autoptr (FvcCsvTable) dropped = parse_ok (text, FVC_CSV_DROP_TORN_TAIL);
  g_autoptr (FvcCsvTable) kept = parse_ok ("a,b\n1,2\n3,4", FVC_CSV_NONE);
  g_autoptr (FvcCsvTable) strict = fvc_csv_parse (text, strlen (text), "mem.csv", FVC_CSV_NONE, &error);
  g_autoptr (FvcCsvTable) complete = parse_ok ("a,b\n1,2\n", FVC_CSV_DROP_TORN_TAIL);

  ck_assert (dropped->torn_tail_dropped);
  ck_assert_uint_eq (dropped->rows->len, 1);
  assert_row (dropped, 0, 2, STRV ("1", "2"));
  /* Without the flag a last line without newline is an ordinary row... */
  ck_assert (!kept->torn_tail_dropped);
  assert_row (kept, 1, 3, STRV ("3", "4"));
  /* ...and an unfinished quote in it an error. */
  ck_assert_ptr_null (strict);
  FVC_ASSERT_ERROR_AT (error, "mem.csv", 3);
  ck_assert (!complete->torn_tail_dropped);
  ck_assert_uint_eq (complete->rows->len, 1);
}
END_TEST

START_TEST (test_read_file)
{
  g_autofree char *path = fvc_test_write_file ("t.csv", "x,y\r\n\"q,1\",2\r\n", -1);
  g_autofree char *missing = g_build_filename (fvc_test_dir, "missing.csv", NULL);
  g_autofree char *bad = fvc_test_write_file ("bad.csv", "x,y\n1,2\n\"3,4\n", -1);
  g_autoptr (GError) error = NULL;
  g_autoptr (FvcCsvTable) t = fvc_csv_read (path, FVC_CSV_NONE, &error);
  g_autoptr (FvcCsvTable) none = NULL;
  g_autoptr (FvcCsvTable) empty = NULL;

  ck_assert_ptr_nonnull (t);
  ck_assert_str_eq (t->path, path);
  assert_row (t, 0, 2, STRV ("q,1", "2"));

  none = fvc_csv_read (missing, FVC_CSV_NONE, &error);
  ck_assert_ptr_null (none);
  FVC_ASSERT_ERROR (error, FVC_ERROR_IO, missing);
  g_clear_error (&error);

  empty = fvc_csv_read (missing, FVC_CSV_MISSING_OK, &error);
  ck_assert_ptr_nonnull (empty);
  ck_assert_uint_eq (empty->n_columns, 0);
  ck_assert_uint_eq (empty->rows->len, 0);

  none = fvc_csv_read (bad, FVC_CSV_NONE, &error);
  ck_assert_ptr_null (none);
  FVC_ASSERT_ERROR_AT (error, bad, 3);
}
END_TEST

/* ---- writing -------------------------------------------------------------------------------- */

START_TEST (test_format_row)
{
  static const char *fields[] = {
    "plain", "with,comma", "with \"quote\"", "line\nbreak", "cr\rhere", " lead", "trail ", "",
    "vid\xc3\xa9o \xe6\x97\xa5.mp4", "in ner",
  };
  g_autofree char *line = fvc_csv_format_row (fields, G_N_ELEMENTS (fields));

  /* RFC 4180 quoting by hand: quote when a comma, quote, CR, LF or edge space is present. */
  ck_assert_str_eq (line, "plain,\"with,comma\",\"with \"\"quote\"\"\",\"line\nbreak\",\"cr\rhere\","
                          "\" lead\",\"trail \",,vid\xc3\xa9o \xe6\x97\xa5.mp4,in ner\n");
}
END_TEST

START_TEST (test_append_field)
{
  g_autoptr (GString) s = g_string_new ("x");

  fvc_csv_append_field (s, "a", FALSE);
  fvc_csv_append_field (s, "\"", FALSE);
  ck_assert_str_eq (s->str, "x,a,\"\"\"\"");
  g_string_truncate (s, 0);
  fvc_csv_append_field (s, "first", TRUE);
  ck_assert_str_eq (s->str, "first");
}
END_TEST

START_TEST (test_round_trip)
{
  /* Whatever the writer quotes, the reader gives back unchanged. */
  static const char *fields[] = {
    "plain", "with,comma", "\"", "\"\"", "line\nbreak", "crlf\r\nend", " lead", "trail ", "",
    "vid\xc3\xa9o,\"\xe6\x97\xa5\".mp4", "\t",
  };
  g_autofree char *header = fvc_csv_format_row ((const char *[]) { "h" }, 1);
  g_autoptr (GString) text = g_string_new (header);
  g_autoptr (FvcCsvTable) t = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++) {
    /* Each field alone on a row after an ordinary field, to check the row ends where it should. */
    const char *row[2] = { "k", fields[i] };
    g_autofree char *line = fvc_csv_format_row (row, 2);
    g_string_append (text, line);
  }
  t = parse_ok (text->str, FVC_CSV_NONE);
  ck_assert_uint_eq (t->rows->len, G_N_ELEMENTS (fields));
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++) {
    const FvcCsvRow *row = g_ptr_array_index (t->rows, i);
    ck_assert_uint_eq (row->n_fields, 2);
    ck_assert_str_eq (row->fields[0], "k");
    ck_assert_str_eq (row->fields[1], fields[i]);
  }
}
END_TEST

static Suite *
csv_suite (void)
{
  Suite *s = suite_create ("csv");
  TCase *tc = tcase_create ("csv");

  tcase_add_checked_fixture (tc, fvc_test_tmpdir_setup, fvc_test_tmpdir_teardown);
  tcase_add_test (tc, test_basic);
  tcase_add_test (tc, test_quoting);
  tcase_add_test (tc, test_crlf);
  tcase_add_test (tc, test_bom);
  tcase_add_test (tc, test_bom_only_at_start);
  tcase_add_test (tc, test_embedded_newline);
  tcase_add_test (tc, test_blank_lines);
  tcase_add_test (tc, test_header_trimmed);
  tcase_add_test (tc, test_short_rows_and_get);
  tcase_add_test (tc, test_empty_input);
  tcase_add_loop_test (tc, test_bad_input, 0, G_N_ELEMENTS (bad_inputs));
  tcase_add_test (tc, test_torn_tail);
  tcase_add_test (tc, test_read_file);
  tcase_add_test (tc, test_format_row);
  tcase_add_test (tc, test_append_field);
  tcase_add_test (tc, test_round_trip);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return fvc_test_run_suite (csv_suite ());
}
