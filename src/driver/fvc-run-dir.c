/* fvc-run-dir.c — run directory numbering and paths, and the clean of runs/, logs/, models/
 * (see fvc-run-dir.h). The clean walks with openat/unlinkat on directory descriptors opened
 * O_NOFOLLOW, never by path strings, so no symbolic link is ever followed. */
#include "fvc-run-dir.h"
#include "fvc-error.h"
#include "fvc-fileutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const fvc_clean_targets[] = { "runs", "logs", "models", NULL };

#define RUN_PREFIX "run_"

static gboolean
parse_run_number (const char *name, const char *suffix, guint *out)
{
  guint64 n;
  g_autofree char *digits = NULL;
  gsize len;

  if (!g_str_has_prefix (name, RUN_PREFIX) || !g_str_has_suffix (name, suffix))
    return FALSE;
  len = strlen (name) - strlen (RUN_PREFIX) - strlen (suffix);
  if (len == 0)
    return FALSE;
  digits = g_strndup (name + strlen (RUN_PREFIX), len);
  if (!g_ascii_string_to_unsigned (digits, 10, 0, G_MAXINT, &n, NULL))
    return FALSE;
  *out = (guint) n;
  return TRUE;
}

/* The highest run number used in @dir (entries run_N@suffix), 0 when none. */
static guint
highest_run (const char *dir, const char *suffix)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint best = 0, n;

  while (d && (name = g_dir_read_name (d)))
    if (parse_run_number (name, suffix, &n))
      best = MAX (best, n);
  return best;
}

static FvcRunDir *
run_dir_new (const char *root, const char *name)
{
  FvcRunDir *rd = g_new0 (FvcRunDir, 1);
  rd->root = g_strdup (root);
  rd->name = g_strdup (name);
  rd->dir = g_build_filename (root, "runs", name, NULL);
  rd->models_dir = g_build_filename (root, "models", name, NULL);
  {
    g_autofree char *log = g_strconcat (name, ".log", NULL);
    rd->log_path = g_build_filename (root, "logs", log, NULL);
  }
  return rd;
}

FvcRunDir *
fvc_run_dir_create (const char *root, GError **error)
{
  g_autofree char *runs = g_build_filename (root, "runs", NULL);
  g_autofree char *logs = g_build_filename (root, "logs", NULL);
  g_autofree char *models = g_build_filename (root, "models", NULL);
  guint n;

  if (!g_file_test (root, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_IO, "%s: the project root is not a directory", root);
    return NULL;
  }
  if (!fvc_mkdir_p (runs, error) || !fvc_mkdir_p (logs, error) || !fvc_mkdir_p (models, error))
    return NULL;
  n = MAX (highest_run (runs, ""), MAX (highest_run (logs, ".log"), highest_run (models, ""))) + 1;
  for (;; n++) {
    g_autofree char *name = g_strdup_printf (RUN_PREFIX "%03u", n);
    g_autoptr (FvcRunDir) rd = run_dir_new (root, name);
    /* The exclusive mkdir claims the number; another run that got here first has it. */
    if (g_mkdir (rd->dir, 0755) != 0) {
      if (errno == EEXIST)
        continue;
      g_set_error (error, FVC_ERROR, FVC_ERROR_IO, "%s: cannot create: %s", rd->dir, g_strerror (errno));
      return NULL;
    }
    if (!fvc_mkdir_p (rd->models_dir, error))
      return NULL;
    return g_steal_pointer (&rd);
  }
}

FvcRunDir *
fvc_run_dir_open (const char *run_dir, GError **error)
{
  g_autofree char *canon = g_canonicalize_filename (run_dir, NULL);
  g_autofree char *name = g_path_get_basename (canon);
  g_autofree char *parent = g_path_get_dirname (canon);
  g_autofree char *parent_name = g_path_get_basename (parent);
  g_autofree char *root = g_path_get_dirname (parent);
  guint n;

  if (!parse_run_number (name, "", &n) || strcmp (parent_name, "runs") != 0) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "%s: not a run directory (expected ROOT/runs/run_NNN)", run_dir);
    return NULL;
  }
  if (!g_file_test (canon, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_IO, "%s: no such run directory", run_dir);
    return NULL;
  }
  return run_dir_new (root, name);
}

void
fvc_run_dir_free (FvcRunDir *rd)
{
  if (rd == NULL)
    return;
  g_free (rd->root);
  g_free (rd->name);
  g_free (rd->dir);
  g_free (rd->log_path);
  g_free (rd->models_dir);
  g_free (rd);
}

char *
fvc_run_dir_fold_dir (const FvcRunDir *rd, guint fold, const char *model, GError **error)
{
  g_autofree char *fold_name = g_strdup_printf ("fold%u", fold);
  g_autofree char *dir = g_build_filename (rd->dir, fold_name, model, NULL);

  if (!fvc_mkdir_p (dir, error))
    return NULL;
  return g_steal_pointer (&dir);
}

char *
fvc_run_dir_checkpoint (const FvcRunDir *rd, guint fold, const char *model)
{
  g_autofree char *file = g_strdup_printf ("%s_fold%u.safetensors", model, fold);
  return g_build_filename (rd->models_dir, file, NULL);
}

char *
fvc_run_dir_path (const FvcRunDir *rd, const char *name)
{
  return g_build_filename (rd->dir, name, NULL);
}

/* ---- clean ---------------------------------------------------------------------------------- */

typedef struct {
  gboolean dry_run;
  guint64 files;
  guint64 bytes;
} Removal;

static gboolean
io_error (GError **error, const char *path, const char *what)
{
  int e = errno;
  g_set_error (error, FVC_ERROR, FVC_ERROR_IO, "%s: cannot %s: %s", path, what, g_strerror (e));
  return FALSE;
}

/* Removes @name in the directory @parent_fd (whose device is @dev); @path names it in messages. */
static gboolean
remove_entry (int parent_fd, dev_t dev, const char *name, const char *path, Removal *r, GError **error)
{
  struct stat st;

  if (fstatat (parent_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
    return errno == ENOENT ? TRUE : io_error (error, path, "stat");
  if (S_ISDIR (st.st_mode)) {
    int fd;
    DIR *d;
    struct dirent *e;
    gboolean ok = TRUE;

    if (st.st_dev != dev) {
      g_set_error (error, FVC_ERROR, FVC_ERROR_IO, "%s: a mount point; not removing another file system", path);
      return FALSE;
    }
    fd = openat (parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
      return io_error (error, path, "open");
    d = fdopendir (fd);
    if (d == NULL) {
      close (fd);
      return io_error (error, path, "read");
    }
    while (ok && (errno = 0, e = readdir (d)) != NULL) {
      g_autofree char *child = NULL;
      if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
        continue;
      child = g_build_filename (path, e->d_name, NULL);
      ok = remove_entry (dirfd (d), st.st_dev, e->d_name, child, r, error);
    }
    closedir (d);
    if (!ok)
      return FALSE;
    if (!r->dry_run && unlinkat (parent_fd, name, AT_REMOVEDIR) != 0)
      return io_error (error, path, "remove");
    return TRUE;
  }
  r->files++;
  r->bytes += S_ISREG (st.st_mode) ? (guint64) st.st_size : 0;
  if (!r->dry_run && unlinkat (parent_fd, name, 0) != 0)
    return io_error (error, path, "remove");
  return TRUE;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static void
report_line (GPtrArray *report, const char *path, gboolean is_dir, const Removal *r)
{
  g_autofree char *size = g_format_size_full (r->bytes, G_FORMAT_SIZE_IEC_UNITS);
  if (report)
    g_ptr_array_add (report, g_strdup_printf ("%s%s (%" G_GUINT64_FORMAT " file%s, %s)", path, is_dir ? "/" : "",
                                              r->files, r->files == 1 ? "" : "s", size));
}

gboolean
fvc_clean_project (const char *root, gboolean dry_run, GPtrArray *report, GError **error)
{
  int rootfd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct stat root_st;
  gboolean ok = TRUE;

  if (rootfd < 0)
    return io_error (error, root, "open the project root");
  if (fstat (rootfd, &root_st) != 0) {
    ok = io_error (error, root, "stat");
    goto out;
  }
  for (guint t = 0; ok && fvc_clean_targets[t]; t++) {
    const char *target = fvc_clean_targets[t];
    g_autofree char *path = g_build_filename (root, target, NULL);
    struct stat st;

    if (fstatat (rootfd, target, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT)
        ok = io_error (error, path, "stat");
      continue;
    }
    if (S_ISLNK (st.st_mode)) {
      char dest[4096];
      ssize_t n = readlinkat (rootfd, target, dest, sizeof dest - 1);
      dest[MAX (n, 0)] = '\0';
      if (report)
        g_ptr_array_add (report, g_strdup_printf ("%s -> %s (symbolic link; removed, its target is kept)", path, dest));
      if (!dry_run && unlinkat (rootfd, target, 0) != 0)
        ok = io_error (error, path, "remove");
    } else if (S_ISDIR (st.st_mode)) {
      int fd = openat (rootfd, target, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      DIR *d;
      struct dirent *e;
      if (fd < 0) {
        ok = io_error (error, path, "open");
        continue;
      }
      if (st.st_dev != root_st.st_dev) {
        close (fd);
        g_set_error (error, FVC_ERROR, FVC_ERROR_IO, "%s: a mount point; not removing another file system", path);
        ok = FALSE;
        continue;
      }
      d = fdopendir (fd);
      if (d == NULL) {
        close (fd);
        ok = io_error (error, path, "read");
        continue;
      }
      /* One report line per entry of runs/, logs/, models/ (a run, a log), in name order, then
       * the directory itself. */
      {
        g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
        while ((e = readdir (d)) != NULL)
          if (strcmp (e->d_name, ".") != 0 && strcmp (e->d_name, "..") != 0)
            g_ptr_array_add (names, g_strdup (e->d_name));
        g_ptr_array_sort (names, compare_names);
        for (guint i = 0; ok && i < names->len; i++) {
          const char *name = names->pdata[i];
          Removal r = { dry_run, 0, 0 };
          g_autofree char *child = g_build_filename (path, name, NULL);
          struct stat cst;
          if (fstatat (dirfd (d), name, &cst, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
          ok = remove_entry (dirfd (d), st.st_dev, name, child, &r, error);
          if (ok && S_ISLNK (cst.st_mode) && report)
            g_ptr_array_add (report, g_strdup_printf ("%s (symbolic link; removed, its target is kept)", child));
          else if (ok)
            report_line (report, child, S_ISDIR (cst.st_mode), &r);
        }
      }
      closedir (d);
      if (ok && !dry_run && unlinkat (rootfd, target, AT_REMOVEDIR) != 0)
        ok = io_error (error, path, "remove");
      if (ok && report)
        g_ptr_array_add (report, g_strdup_printf ("%s/", path));
    } else {
      Removal r = { dry_run, 0, 0 };
      ok = remove_entry (rootfd, root_st.st_dev, target, path, &r, error);
      if (ok)
        report_line (report, path, FALSE, &r);
    }
  }

out:
  close (rootfd);
  return ok;
}
