/* test-index.c — the video index CSV (fvc-index.h): columns, labels, path resolution, and every
 * bad row refused with "file:line: reason". Fixture files are written into a scratch directory. */
#include "unit-util.h"

#include "fvc-index.h"

static FvcVideoIndex *
load_ok (const char *path, const char *video_root)
{
  g_autoptr (GError) error = NULL;
  FvcVideoIndex *index = fvc_video_index_load (path, video_root, &error);
  ck_assert_msg (index != NULL, "unexpected error: %s", error ? error->message : "?");
  return index;
}

/* ---- labels --------------------------------------------------------------------------------- */

static const struct {
  const char *text;
  FvcLabel label;
} good_labels[] = {
  { "real", FVC_LABEL_REAL }, { "REAL", FVC_LABEL_REAL }, { "Real", FVC_LABEL_REAL },
  { "rEaL", FVC_LABEL_REAL }, { "0", FVC_LABEL_REAL },    { " 0 ", FVC_LABEL_REAL },
  { "fake", FVC_LABEL_FAKE }, { "FAKE", FVC_LABEL_FAKE }, { " Fake\t", FVC_LABEL_FAKE },
  { "1", FVC_LABEL_FAKE },    { "  1", FVC_LABEL_FAKE },
};

START_TEST (test_label_good)
{
  FvcLabel out = (FvcLabel) 77;

  ck_assert_msg (fvc_label_parse (good_labels[_i].text, &out), "\"%s\" refused", good_labels[_i].text);
  ck_assert_int_eq (out, good_labels[_i].label);
}
END_TEST

static const char *bad_labels[] = {
  "", " ", "2", "-1", "01", "00", "1.0", "true", "false", "yes", "re al", "fakes", "realfake", "r", "f",
  "\xc3\xa9", "0 1",
};

START_TEST (test_label_bad)
{
  FvcLabel out;
  ck_assert_msg (!fvc_label_parse (bad_labels[_i], &out), "\"%s\" accepted", bad_labels[_i]);
}
END_TEST

START_TEST (test_label_values)
{
  /* 0 = real, 1 = fake everywhere downstream. */
  ck_assert_int_eq (FVC_LABEL_REAL, 0);
  ck_assert_int_eq (FVC_LABEL_FAKE, 1);
  ck_assert_str_eq (fvc_label_name (FVC_LABEL_REAL), "real");
  ck_assert_str_eq (fvc_label_name (FVC_LABEL_FAKE), "fake");
}
END_TEST

/* ---- a good index --------------------------------------------------------------------------- */

/* Quotes, commas, doubled quotes, non-ASCII, absolute and ../ paths, labels in any case with
 * spaces, an extra column in the middle, an empty group cell, an embedded newline in an extra
 * field and a blank line (lines 8 and 9 are one row; line 10 is blank). */
static const char good_csv[] =
    "video_path,label,source,group\n"                                  /* 1 */
    "real/a.mp4,real,cam1,g1\n"                                        /* 2 */
    "\"fake/b, with comma.mp4\",FAKE,\"x,y\",g1\n"                    /* 3 */
    "\"vid\xc3\xa9os/\xe6\x97\xa5\xe6\x9c\xac.mp4\", Fake ,,g2\n"     /* 4 */
    "/abs/c.mp4,0,cam2,\n"                                             /* 5 */
    "../up/d.mp4,\" 1 \",cam3,g3\n"                                   /* 6 */
    "\"he said \"\"hi\"\".mp4\",REAL,cam4,g3\n"                       /* 7 */
    "e.mp4,fake,\"two\n"                                               /* 8 */
    "lines\",g2\n"                                                     /* 9 */
    "\n"                                                               /* 10 */
    "f g.mp4,1,cam5,g4\n";                                             /* 11 */

static const struct {
  const char *path;
  const char *rel_resolved;   /* relative to the index directory; NULL: absolute, untouched */
  FvcLabel label;
  const char *group;
  const char *source;
  guint line;
} good_rows[] = {
  { "real/a.mp4", "real/a.mp4", FVC_LABEL_REAL, "g1", "cam1", 2 },
  { "fake/b, with comma.mp4", "fake/b, with comma.mp4", FVC_LABEL_FAKE, "g1", "x,y", 3 },
  { "vid\xc3\xa9os/\xe6\x97\xa5\xe6\x9c\xac.mp4", "vid\xc3\xa9os/\xe6\x97\xa5\xe6\x9c\xac.mp4",
    FVC_LABEL_FAKE, "g2", "", 4 },
  { "/abs/c.mp4", NULL, FVC_LABEL_REAL, "", "cam2", 5 },
  { "../up/d.mp4", "../up/d.mp4", FVC_LABEL_FAKE, "g3", "cam3", 6 },
  { "he said \"hi\".mp4", "he said \"hi\".mp4", FVC_LABEL_REAL, "g3", "cam4", 7 },
  { "e.mp4", "e.mp4", FVC_LABEL_FAKE, "g2", "two\nlines", 8 },
  { "f g.mp4", "f g.mp4", FVC_LABEL_FAKE, "g4", "cam5", 11 },
};

static void
check_good_index (const FvcVideoIndex *index, const char *path, const char *base)
{
  const char *const *extra = fvc_video_index_get_extra_columns (index);

  ck_assert_str_eq (fvc_video_index_get_path (index), path);
  ck_assert_uint_eq (fvc_video_index_get_n_videos (index), G_N_ELEMENTS (good_rows));
  ck_assert (fvc_video_index_has_groups (index));
  ck_assert_uint_eq (fvc_video_index_count_label (index, FVC_LABEL_REAL), 3);
  ck_assert_uint_eq (fvc_video_index_count_label (index, FVC_LABEL_FAKE), 5);
  ck_assert_ptr_nonnull (extra);
  ck_assert_str_eq (extra[0], "source");
  ck_assert_ptr_null (extra[1]);

  for (guint i = 0; i < G_N_ELEMENTS (good_rows); i++) {
    const FvcVideoEntry *e = fvc_video_index_get (index, i);
    g_autofree char *resolved = good_rows[i].rel_resolved
                                    ? g_build_filename (base, good_rows[i].rel_resolved, NULL)
                                    : g_strdup (good_rows[i].path);

    ck_assert_str_eq (e->video_path, good_rows[i].path); /* exactly as written */
    ck_assert_str_eq (e->resolved_path, resolved);
    ck_assert_int_eq (e->label, good_rows[i].label);
    ck_assert_str_eq (e->group, good_rows[i].group);
    ck_assert_uint_eq (e->line, good_rows[i].line);
    ck_assert_str_eq (e->extra[0], good_rows[i].source);
    ck_assert_ptr_null (e->extra[1]);
    ck_assert_str_eq (fvc_video_index_get_extra (index, e, "source"), good_rows[i].source);
    ck_assert_ptr_null (fvc_video_index_get_extra (index, e, "label")); /* not an extra column */
    ck_assert_ptr_null (fvc_video_index_get_extra (index, e, "nope"));
    ck_assert_ptr_eq (fvc_video_index_lookup (index, good_rows[i].path), e);
  }
  ck_assert_ptr_null (fvc_video_index_lookup (index, "real/a.mp4 "));
  ck_assert_ptr_null (fvc_video_index_lookup (index, "./real/a.mp4"));
}

START_TEST (test_good_index)
{
  g_autofree char *path = fvc_test_write_file ("index.csv", good_csv, -1);
  g_autoptr (FvcVideoIndex) index = load_ok (path, NULL);

  check_good_index (index, path, fvc_test_dir);
}
END_TEST

/* The same index with CRLF line ends, and again with a UTF-8 BOM: identical result. */
static char *
to_crlf (const char *text)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  return g_strjoinv ("\r\n", lines);
}

START_TEST (test_good_index_crlf_bom)
{
  g_autofree char *crlf = to_crlf (good_csv);
  g_autofree char *bom = g_strconcat ("\xEF\xBB\xBF", crlf, NULL);
  g_autofree char *p1 = fvc_test_write_file ("crlf.csv", crlf, -1);
  g_autofree char *p2 = fvc_test_write_file ("bom.csv", bom, -1);
  g_autoptr (FvcVideoIndex) i1 = NULL;
  g_autoptr (FvcVideoIndex) i2 = NULL;

  /* The embedded newline inside the quoted field becomes \r\n too: adjust the expectation. */
  i1 = load_ok (p1, NULL);
  ck_assert_str_eq (fvc_video_index_get (i1, 6)->extra[0], "two\r\nlines");
  ck_assert_str_eq (fvc_video_index_get (i1, 0)->video_path, "real/a.mp4");
  ck_assert_uint_eq (fvc_video_index_get (i1, 7)->line, 11);
  i2 = load_ok (p2, NULL);
  ck_assert_uint_eq (fvc_video_index_get_n_videos (i2), G_N_ELEMENTS (good_rows));
  ck_assert_str_eq (fvc_video_index_get (i2, 0)->video_path, "real/a.mp4");
  ck_assert_str_eq (fvc_video_index_get (i2, 2)->video_path, good_rows[2].path);
  ck_assert_uint_eq (fvc_video_index_get (i2, 7)->line, 11);
  ck_assert_int_eq (fvc_video_index_get (i2, 7)->label, FVC_LABEL_FAKE);
}
END_TEST

START_TEST (test_video_root)
{
  g_autofree char *path = fvc_test_write_file ("index.csv", good_csv, -1);
  g_autoptr (FvcVideoIndex) index = load_ok (path, "/data/videos");

  check_good_index (index, path, "/data/videos");
  ck_assert_str_eq (fvc_video_index_get (index, 0)->resolved_path, "/data/videos/real/a.mp4");
  ck_assert_str_eq (fvc_video_index_get (index, 3)->resolved_path, "/abs/c.mp4");
}
END_TEST

START_TEST (test_index_in_subdir)
{
  g_autofree char *sub = g_build_filename (fvc_test_dir, "lists", "v1", NULL);
  g_autofree char *path = g_build_filename (sub, "index.csv", NULL);
  g_autofree char *expected = g_build_filename (sub, "clip.mp4", NULL);
  g_autoptr (FvcVideoIndex) index = NULL;

  ck_assert_int_eq (g_mkdir_with_parents (sub, 0755), 0);
  ck_assert (g_file_set_contents (path, "video_path,label\nclip.mp4,real\n", -1, NULL));
  index = load_ok (path, NULL);
  ck_assert_str_eq (fvc_video_index_get (index, 0)->resolved_path, expected);
  ck_assert_str_eq (fvc_video_index_get (index, 0)->video_path, "clip.mp4");
}
END_TEST

START_TEST (test_no_group_column)
{
  g_autofree char *path = fvc_test_write_file ("plain.csv", "label,video_path\nfake,b.mp4\nreal,a.mp4\n", -1);
  g_autoptr (FvcVideoIndex) index = load_ok (path, NULL);
  const FvcVideoEntry *e = fvc_video_index_get (index, 0);

  /* Columns in any order; no group column means no groups, not empty groups. */
  ck_assert (!fvc_video_index_has_groups (index));
  ck_assert_str_eq (e->video_path, "b.mp4");
  ck_assert_int_eq (e->label, FVC_LABEL_FAKE);
  ck_assert_ptr_null (e->group);
  ck_assert_ptr_null (fvc_video_index_get_extra_columns (index)[0]);
  ck_assert_ptr_null (e->extra[0]);
}
END_TEST

/* ---- bad files ------------------------------------------------------------------------------ */

static const struct {
  const char *text;
  FvcErrorCode code;
  guint line;          /* 0: no line (whole-file problem) */
  const char *reason;  /* a key word of the reason */
} bad_files[] = {
  /* header */
  { "video,label\na.mp4,real\n", FVC_ERROR_PARSE, 1, "video_path" },
  { "video_path,group\na.mp4,g\n", FVC_ERROR_PARSE, 1, "label" },
  { "Video_Path,Label\na.mp4,real\n", FVC_ERROR_PARSE, 1, "video_path" },
  { "video_path,label,x,x\na.mp4,real,1,2\n", FVC_ERROR_PARSE, 1, "twice" },
  { "video_path,label,video_path\na.mp4,real,b.mp4\n", FVC_ERROR_PARSE, 1, "twice" },
  /* field counts */
  { "video_path,label,group\na.mp4,real,g\nb.mp4,fake\n", FVC_ERROR_PARSE, 3, "fields" },
  { "video_path,label\na.mp4,real\nb,c.mp4,fake\n", FVC_ERROR_PARSE, 3, "fields" },
  { "video_path,label\na.mp4,real\nb.mp4\n", FVC_ERROR_PARSE, 3, "fields" },
  { "video_path,label\n\"\"\na.mp4,real\n", FVC_ERROR_PARSE, 2, "fields" },
  /* empty path, bad label */
  { "video_path,label\na.mp4,real\n,fake\n", FVC_ERROR_PARSE, 3, "empty video_path" },
  { "video_path,label\na.mp4,real\n\"\",fake\n", FVC_ERROR_PARSE, 3, "empty video_path" },
  { "video_path,label\na.mp4,real\nb.mp4,maybe\n", FVC_ERROR_PARSE, 3, "maybe" },
  { "video_path,label\na.mp4,real\nb.mp4,\n", FVC_ERROR_PARSE, 3, "label" },
  { "video_path,label\na.mp4,2\n", FVC_ERROR_PARSE, 2, "label" },
  /* line numbers after CRLF, a BOM, blank lines and an embedded newline */
  { "video_path,label\r\na.mp4,real\r\nb.mp4,bogus\r\n", FVC_ERROR_PARSE, 3, "bogus" },
  { "\xEF\xBB\xBFvideo_path,label\na.mp4,real\n\n\nb.mp4,bogus\n", FVC_ERROR_PARSE, 5, "bogus" },
  { "video_path,label,note\n\"multi\nline.mp4\",real,\"a\nb\nc\"\nc.mp4,bogus,x\n", FVC_ERROR_PARSE, 6, "bogus" }, /* rows start on 2, 6 */
  /* CSV-level problems */
  { "video_path,label\na.mp4,real\n\xff.mp4,fake\n", FVC_ERROR_PARSE, 3, "UTF-8" },
  { "video_path,label\na.mp4,real\n\"b.mp4,fake\nc.mp4,real\n", FVC_ERROR_PARSE, 3, "unterminated" },
  { "video_path,label\na.mp4,real\nb\"c.mp4,fake\n", FVC_ERROR_PARSE, 3, "malformed" },
  /* whole file */
  { "", FVC_ERROR_PARSE, 0, "empty" },
  { "\n\n", FVC_ERROR_PARSE, 0, "empty" },
  { "video_path,label\n", FVC_ERROR_PARSE, 0, "no videos" },
  { "video_path,label\n\n\n", FVC_ERROR_PARSE, 0, "no videos" },
};

START_TEST (test_bad_file)
{
  g_autofree char *path = fvc_test_write_file ("bad.csv", bad_files[_i].text, -1);
  g_autoptr (GError) error = NULL;
  g_autoptr (FvcVideoIndex) index = fvc_video_index_load (path, NULL, &error);

  ck_assert_ptr_null (index);
  FVC_ASSERT_ERROR (error, bad_files[_i].code, bad_files[_i].reason);
  if (bad_files[_i].line > 0) {
    FVC_ASSERT_ERROR_AT (error, path, bad_files[_i].line);
  } else {
    g_autofree char *prefix = g_strconcat (path, ": ", NULL);
    ck_assert_msg (g_str_has_prefix (error->message, prefix), "\"%s\" does not start with \"%s\"",
                   error->message, prefix);
  }
}
END_TEST

START_TEST (test_duplicate_path)
{
  g_autofree char *path = fvc_test_write_file (
      "dup.csv", "video_path,label\na.mp4,real\n\"b, c.mp4\",fake\nd.mp4,fake\n\"b, c.mp4\",real\n", -1);
  g_autoptr (GError) error = NULL;
  g_autoptr (FvcVideoIndex) index = fvc_video_index_load (path, NULL, &error);

  ck_assert_ptr_null (index);
  /* Names the second line in the prefix and the first one in the reason, and the path. */
  FVC_ASSERT_ERROR (error, FVC_ERROR_DUPLICATE, "line 3");
  FVC_ASSERT_ERROR (error, FVC_ERROR_DUPLICATE, "b, c.mp4");
  FVC_ASSERT_ERROR_AT (error, path, 5);
}
END_TEST

START_TEST (test_not_duplicates)
{
  /* Paths are compared as written: these name different files (or at least different keys). */
  g_autofree char *path = fvc_test_write_file (
      "nodup.csv", "video_path,label\na.mp4,real\n\"a.mp4 \",fake\n./a.mp4,fake\nA.mp4,real\n", -1);
  g_autoptr (FvcVideoIndex) index = load_ok (path, NULL);

  ck_assert_uint_eq (fvc_video_index_get_n_videos (index), 4);
  ck_assert_str_eq (fvc_video_index_get (index, 1)->video_path, "a.mp4 ");
}
END_TEST

START_TEST (test_missing_file)
{
  g_autofree char *path = g_build_filename (fvc_test_dir, "nowhere", "index.csv", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (FvcVideoIndex) index = fvc_video_index_load (path, NULL, &error);

  ck_assert_ptr_null (index);
  FVC_ASSERT_ERROR (error, FVC_ERROR_IO, path);
}
END_TEST

static Suite *
index_suite (void)
{
  Suite *s = suite_create ("index");
  TCase *tc = tcase_create ("index");

  tcase_add_checked_fixture (tc, fvc_test_tmpdir_setup, fvc_test_tmpdir_teardown);
  tcase_add_loop_test (tc, test_label_good, 0, G_N_ELEMENTS (good_labels));
  tcase_add_loop_test (tc, test_label_bad, 0, G_N_ELEMENTS (bad_labels));
  tcase_add_test (tc, test_label_values);
  tcase_add_test (tc, test_good_index);
  tcase_add_test (tc, test_good_index_crlf_bom);
  tcase_add_test (tc, test_video_root);
  tcase_add_test (tc, test_index_in_subdir);
  tcase_add_test (tc, test_no_group_column);
  tcase_add_loop_test (tc, test_bad_file, 0, G_N_ELEMENTS (bad_files));
  tcase_add_test (tc, test_duplicate_path);
  tcase_add_test (tc, test_not_duplicates);
  tcase_add_test (tc, test_missing_file);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return fvc_test_run_suite (index_suite ());
}
