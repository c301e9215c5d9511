/* unit-util.c — scratch directories, fixture files and the Check main() of the unit tests. */
#include "unit-util.h"

#include <glib/gstdio.h>
#include <stdlib.h>

char *fvc_test_dir;

void
fvc_test_tmpdir_setup (void)
{
  g_autoptr (GError) error = NULL;

  fvc_test_dir = g_dir_make_tmp ("fvc-unit-XXXXXX", &error);
  ck_assert_msg (fvc_test_dir != NULL, "cannot make a scratch directory: %s",
                 error ? error->message : "?");
}

void
fvc_test_rmtree (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK)) {
    GDir *dir = g_dir_open (path, 0, NULL);
    const char *name;
    while (dir && (name = g_dir_read_name (dir)) != NULL) {
      g_autofree char *child = g_build_filename (path, name, NULL);
      fvc_test_rmtree (child);
    }
    if (dir)
      g_dir_close (dir);
    g_rmdir (path);
  } else {
    g_unlink (path);
  }
}

void
fvc_test_tmpdir_teardown (void)
{
  if (fvc_test_dir != NULL)
    fvc_test_rmtree (fvc_test_dir);
  g_clear_pointer (&fvc_test_dir, g_free);
}

char *
fvc_test_write_file (const char *name, const char *contents, gssize len)
{
  g_autoptr (GError) error = NULL;
  char *path;

  ck_assert_msg (fvc_test_dir != NULL, "no scratch directory (missing fixture?)");
  path = g_build_filename (fvc_test_dir, name, NULL);
  ck_assert_msg (g_file_set_contents (path, contents, len, &error), "cannot write %s: %s", path,
                 error ? error->message : "?");
  return path;
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

char *
fvc_test_list_dir (const char *path)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  ck_assert_msg (dir != NULL, "cannot list %s", path);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_dir_close (dir);
  g_ptr_array_sort (names, compare_strings);
  g_ptr_array_add (names, NULL);
  return g_strjoinv ("|", (char **) names->pdata);
}

int
fvc_test_run_suite (Suite *suite)
{
  SRunner *runner = srunner_create (suite);
  int failed;

  srunner_run_all (runner, CK_NORMAL);
  failed = srunner_ntests_failed (runner);
  srunner_free (runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
