/* test-fileutil.c — atomic writes and the small POSIX helpers of fvc-fileutil.h. */
#include "unit-util.h"

#include "fvc-fileutil.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>

static char *
read_all (const char *path)
{
  char *contents = NULL;
  ck_assert_msg (g_file_get_contents (path, &contents, NULL, NULL), "cannot read %s", path);
  return contents;
}

START_TEST (test_write_new_and_replace)
{
  g_autofree char *path = g_build_filename (fvc_test_dir, "out.csv", NULL);
  g_autofree char *first = NULL, *second = NULL, *listing = NULL;
  g_autoptr (GError) error = NULL;

  ck_assert_msg (fvc_file_write_atomic_string (path, "one\n", &error), "%s", error ? error->message : "");
  first = read_all (path);
  ck_assert_str_eq (first, "one\n");

  ck_assert (fvc_file_write_atomic_string (path, "two, longer\n", &error));
  ck_assert (fvc_file_write_atomic_string (path, "3\n", &error)); /* shorter: no stale tail */
  second = read_all (path);
  ck_assert_str_eq (second, "3\n");

  /* Only the final file is left: no temporary file behind. */
  listing = fvc_test_list_dir (fvc_test_dir);
  ck_assert_str_eq (listing, "out.csv");
}
END_TEST

START_TEST (test_write_chunks)
{
  g_autofree char *path = g_build_filename (fvc_test_dir, "chunks.bin", NULL);
  g_autofree char *got = NULL;
  gsize len = 0;
  static const char zeros[3] = { 0, 0, 0 };
  const FvcChunk chunks[] = {
    { "head", 4 }, { "", 0 }, { zeros, 3 }, { "tail", 4 },
  };

  ck_assert (fvc_file_write_atomic (path, chunks, G_N_ELEMENTS (chunks), NULL));
  ck_assert (g_file_get_contents (path, &got, &len, NULL));
  ck_assert_uint_eq (len, 11);
  ck_assert (memcmp (got, "head\0\0\0tail", 11) == 0);

  /* No chunks at all: an empty file. */
  ck_assert (fvc_file_write_atomic (path, NULL, 0, NULL));
  g_clear_pointer (&got, g_free);
  ck_assert (g_file_get_contents (path, &got, &len, NULL));
  ck_assert_uint_eq (len, 0);
}
END_TEST

START_TEST (test_missing_directory)
{
  g_autofree char *path = g_build_filename (fvc_test_dir, "no-such-dir", "out.csv", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *listing = NULL;

  ck_assert (!fvc_file_write_atomic_string (path, "x", &error));
  FVC_ASSERT_ERROR (error, FVC_ERROR_IO, path);
  ck_assert (!g_file_test (path, G_FILE_TEST_EXISTS));
  listing = fvc_test_list_dir (fvc_test_dir);
  ck_assert_str_eq (listing, "");
}
END_TEST

START_TEST (test_failed_rename_cleans_up)
{
  /* The target is a non-empty directory: the rename fails, the temporary file goes away and
   * the directory is untouched. */
  g_autofree char *target = g_build_filename (fvc_test_dir, "taken", NULL);
  g_autofree char *inside = g_build_filename (target, "keep", NULL);
  g_autofree char *listing = NULL, *inner = NULL;
  g_autoptr (GError) error = NULL;

  ck_assert_int_eq (g_mkdir (target, 0755), 0);
  ck_assert (g_file_set_contents (inside, "k", -1, NULL));
  ck_assert (!fvc_file_write_atomic_string (target, "x", &error));
  FVC_ASSERT_ERROR (error, FVC_ERROR_IO, target);
  listing = fvc_test_list_dir (fvc_test_dir);
  ck_assert_str_eq (listing, "taken");
  inner = fvc_test_list_dir (target);
  ck_assert_str_eq (inner, "keep");
}
END_TEST

START_TEST (test_old_content_survives_failure)
{
  /* A write that cannot even start leaves the previous file as it was. */
  g_autofree char *path = fvc_test_write_file ("keep.txt", "old", -1);
  g_autofree char *bad = g_build_filename (fvc_test_dir, "keep.txt", "child", NULL); /* under a file */
  g_autofree char *got = NULL;
  g_autoptr (GError) error = NULL;

  ck_assert (!fvc_file_write_atomic_string (bad, "new", &error));
  FVC_ASSERT_ERROR (error, FVC_ERROR_IO, bad);
  got = read_all (path);
  ck_assert_str_eq (got, "old");
}
END_TEST

START_TEST (test_commit_temp)
{
  /* A file written under fvc_temp_name_for's name by someone else takes the final name, replacing
   * the old file; the temporary name is one fvc_is_temp_name recognises and unique per call. */
  g_autofree char *path = fvc_test_write_file ("log.csv", "old", -1);
  g_autofree char *tmp = fvc_temp_name_for (path);
  g_autofree char *tmp2 = fvc_temp_name_for (path);
  g_autofree char *base = g_path_get_basename (tmp);
  g_autofree char *got = NULL, *listing = NULL;
  g_autoptr (GError) error = NULL;

  ck_assert (fvc_is_temp_name (base));
  ck_assert (g_str_has_prefix (tmp, path));
  ck_assert_str_ne (tmp, tmp2);
  ck_assert (g_file_set_contents (tmp, "a,b\n1,2\n", -1, NULL));
  ck_assert_msg (fvc_file_commit_temp (tmp, path, &error), "%s", error ? error->message : "");
  got = read_all (path);
  ck_assert_str_eq (got, "a,b\n1,2\n");
  listing = fvc_test_list_dir (fvc_test_dir);
  ck_assert_str_eq (listing, "log.csv");
}
END_TEST

START_TEST (test_commit_missing_temp)
{
  /* Nothing to commit: an error naming the temporary file, the old file untouched. */
  g_autofree char *path = fvc_test_write_file ("log.csv", "old", -1);
  g_autofree char *tmp = fvc_temp_name_for (path);
  g_autofree char *got = NULL;
  g_autoptr (GError) error = NULL;

  ck_assert (!fvc_file_commit_temp (tmp, path, &error));
  FVC_ASSERT_ERROR (error, FVC_ERROR_IO, tmp);
  got = read_all (path);
  ck_assert_str_eq (got, "old");
}
END_TEST

static const struct {
  const char *name;
  gboolean is_temp;
} temp_names[] = {
  { "clip_aug0.safetensors" FVC_TEMP_MARKER "1234-0", TRUE },
  { "augmented_metadata.csv.fvctmp-99-7", TRUE },
  { ".fvctmp-", TRUE },
  { "a.fvctmp-b", TRUE },
  { "clip_aug0.safetensors", FALSE },
  { "fvctmp-1", FALSE },
  { ".fvctmp", FALSE },
  { "x.FVCTMP-1", FALSE },
  { "", FALSE },
};

START_TEST (test_is_temp_name)
{
  ck_assert_str_eq (FVC_TEMP_MARKER, ".fvctmp-");
  ck_assert_msg (fvc_is_temp_name (temp_names[_i].name) == temp_names[_i].is_temp, "\"%s\"",
                 temp_names[_i].name);
}
END_TEST

START_TEST (test_mkdir_p)
{
  g_autofree char *deep = g_build_filename (fvc_test_dir, "a", "b", "c", NULL);
  g_autofree char *file = fvc_test_write_file ("f", "", 0);
  g_autofree char *under_file = g_build_filename (file, "sub", NULL);
  g_autoptr (GError) error = NULL;

  ck_assert (fvc_mkdir_p (deep, &error));
  ck_assert (g_file_test (deep, G_FILE_TEST_IS_DIR));
  ck_assert (fvc_mkdir_p (deep, &error)); /* exists already: fine */
  ck_assert (!fvc_mkdir_p (under_file, &error));
  FVC_ASSERT_ERROR (error, FVC_ERROR_IO, under_file);
}
END_TEST

START_TEST (test_fsync_directory)
{
  g_autofree char *missing = g_build_filename (fvc_test_dir, "gone", NULL);
  g_autoptr (GError) error = NULL;

  ck_assert (fvc_fsync_directory (fvc_test_dir, &error));
  ck_assert (!fvc_fsync_directory (missing, &error));
  FVC_ASSERT_ERROR (error, FVC_ERROR_IO, missing);
}
END_TEST

START_TEST (test_write_all)
{
  g_autofree char *path = g_build_filename (fvc_test_dir, "w.bin", NULL);
  g_autofree char *got = NULL;
  g_autofree guint8 *big = g_malloc (1 << 20);
  gsize len = 0;
  g_autoptr (GError) error = NULL;
  int fd;

  for (gsize i = 0; i < (1 << 20); i++)
    big[i] = (guint8) (i * 7);
  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ck_assert_int_ge (fd, 0);
  ck_assert (fvc_write_all (fd, big, 1 << 20, path, &error));
  close (fd);
  ck_assert (g_file_get_contents (path, &got, &len, NULL));
  ck_assert_uint_eq (len, 1 << 20);
  ck_assert (memcmp (got, big, len) == 0);

  /* A read-only descriptor: the error names the label given. */
  fd = open (path, O_RDONLY);
  ck_assert (!fvc_write_all (fd, "x", 1, "label-for-messages", &error));
  close (fd);
  FVC_ASSERT_ERROR (error, FVC_ERROR_IO, "label-for-messages");
}
END_TEST

static Suite *
fileutil_suite (void)
{
  Suite *s = suite_create ("fileutil");
  TCase *tc = tcase_create ("fileutil");

  tcase_add_checked_fixture (tc, fvc_test_tmpdir_setup, fvc_test_tmpdir_teardown);
  tcase_add_test (tc, test_write_new_and_replace);
  tcase_add_test (tc, test_write_chunks);
  tcase_add_test (tc, test_missing_directory);
  tcase_add_test (tc, test_failed_rename_cleans_up);
  tcase_add_test (tc, test_old_content_survives_failure);
  tcase_add_test (tc, test_commit_temp);
  tcase_add_test (tc, test_commit_missing_temp);
  tcase_add_loop_test (tc, test_is_temp_name, 0, G_N_ELEMENTS (temp_names));
  tcase_add_test (tc, test_mkdir_p);
  tcase_add_test (tc, test_fsync_directory);
  tcase_add_test (tc, test_write_all);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return fvc_test_run_suite (fileutil_suite ());
}
