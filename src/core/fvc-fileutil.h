/* fvc-fileutil.h — crash-safe file writes: temporary file, fsync, rename, fsync of the directory.
 * Everything that lands in a cache or a run directory under its final name goes through here, so
 * a killed process leaves either the old file or the complete new one, plus at most a temporary
 * file whose name contains FVC_TEMP_MARKER (cleaned up by the next run). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FVC_TEMP_MARKER ".fvctmp-"

typedef struct {
  gconstpointer data;
  gsize len;
} FvcChunk;

gboolean fvc_file_write_atomic (const char *path, const FvcChunk *chunks, guint n_chunks, GError **error);
gboolean fvc_file_write_atomic_string (const char *path, const char *contents, GError **error);
gboolean fvc_fsync_directory (const char *dir, GError **error);
/* A temporary name beside @path: contains FVC_TEMP_MARKER, unique within this process.
 * (transfer full) */
char *fvc_temp_name_for (const char *path);
/* For files written under a temporary name by other means (a stream, a muxer): makes @tmp
 * durable and gives it the name @path (fsync, rename, fsync of the directory). On failure @tmp
 * is removed and @path is left as it was. */
gboolean fvc_file_commit_temp (const char *tmp, const char *path, GError **error);
/* Writes all of @len bytes (retrying on EINTR and short writes). */
gboolean fvc_write_all (int fd, gconstpointer data, gsize len, const char *label, GError **error);
/* TRUE when @name is one of our temporary files. */
gboolean fvc_is_temp_name (const char *name);
/* Creates @path and its parents (0755). */
gboolean fvc_mkdir_p (const char *path, GError **error);

G_END_DECLS
