/* fvc-fileutil.c — atomic writes (temp + fsync + rename + directory fsync) and small POSIX helpers. */
#include "fvc-fileutil.h"
#include "fvc-error.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

static gint temp_counter;

static gboolean
set_errno_error (GError **error, int saved_errno, const char *what, const char *path)
{
  g_set_error (error, FVC_ERROR, FVC_ERROR_IO, "%s: %s: %s", path, what, g_strerror (saved_errno));
  return FALSE;
}

gboolean
fvc_write_all (int fd, gconstpointer data, gsize len, const char *label, GError **error)
{
  const guint8 *p = data;

  while (len > 0) {
    ssize_t n = write (fd, p, len);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return set_errno_error (error, errno, "write failed", label);
    }
    p += n;
    len -= (gsize) n;
  }
  return TRUE;
}

gboolean
fvc_fsync_directory (const char *dir, GError **error)
{
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return set_errno_error (error, errno, "cannot open directory", dir);
  if (fsync (fd) != 0 && errno != EINVAL) {
    int saved = errno;
    close (fd);
    return set_errno_error (error, saved, "fsync failed", dir);
  }
  close (fd);
  return TRUE;
}

char *
fvc_temp_name_for (const char *path)
{
  return g_strdup_printf ("%s" FVC_TEMP_MARKER "%d-%d", path, (int) getpid (), g_atomic_int_add (&temp_counter, 1));
}

gboolean
fvc_file_commit_temp (const char *tmp, const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  int fd = open (tmp, O_RDONLY | O_CLOEXEC);

  if (fd < 0) {
    set_errno_error (error, errno, "cannot open", tmp);
    goto fail;
  }
  if (fsync (fd) != 0) {
    set_errno_error (error, errno, "fsync failed", tmp);
    close (fd);
    goto fail;
  }
  close (fd);
  if (g_rename (tmp, path) != 0) {
    set_errno_error (error, errno, "rename failed", path);
    goto fail;
  }
  return fvc_fsync_directory (dir, error);

fail:
  g_unlink (tmp);
  return FALSE;
}

gboolean
fvc_file_write_atomic (const char *path, const FvcChunk *chunks, guint n_chunks, GError **error)
{
  g_autofree char *tmp = fvc_temp_name_for (path);
  int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

  if (fd < 0)
    return set_errno_error (error, errno, "cannot create file", tmp);
  for (guint i = 0; i < n_chunks; i++) {
    if (!fvc_write_all (fd, chunks[i].data, chunks[i].len, tmp, error)) {
      close (fd);
      g_unlink (tmp);
      return FALSE;
    }
  }
  if (close (fd) != 0) {
    set_errno_error (error, errno, "close failed", tmp);
    g_unlink (tmp);
    return FALSE;
  }
  return fvc_file_commit_temp (tmp, path, error);
}

gboolean
fvc_file_write_atomic_string (const char *path, const char *contents, GError **error)
{
  FvcChunk chunk = { contents, strlen (contents) };
  return fvc_file_write_atomic (path, &chunk, 1, error);
}

gboolean
fvc_is_temp_name (const char *name)
{
  return strstr (name, FVC_TEMP_MARKER) != NULL;
}

gboolean
fvc_mkdir_p (const char *path, GError **error)
{
  if (g_mkdir_with_parents (path, 0755) != 0)
    return set_errno_error (error, errno, "cannot create directory", path);
  return TRUE;
}
