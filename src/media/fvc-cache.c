/* fvc-cache.c — the clip cache: fingerprint check, metadata rows, crash repair, canonical
 * finalisation (contract in fvc-cache.h). Clip bytes are written by fvc-clip.c. */
#include "fvc-cache.h"
#include "fvc-csv.h"
#include "fvc-error.h"
#include "fvc-fileutil.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const metadata_columns[] = {
  "video_path", "label", "original_video", "augmentation_idx", "seed", "frame_indices",
};

/* ---- fingerprint ---------------------------------------------------------------------------- */

void
fvc_cache_config_clear (FvcCacheConfig *config)
{
  g_clear_pointer (&config->sampler, g_free);
  g_clear_pointer (&config->short_video, g_free);
  g_clear_pointer (&config->augment, g_free);
}

static GKeyFile *
config_to_keyfile (const FvcCacheConfig *c)
{
  GKeyFile *kf = g_key_file_new ();
  g_key_file_set_integer (kf, "cache", "format", FVC_CACHE_FORMAT_VERSION);
  g_key_file_set_uint64 (kf, "cache", "frames", c->num_frames);
  g_key_file_set_uint64 (kf, "cache", "size", c->size);
  g_key_file_set_string (kf, "cache", "sampler", c->sampler ? c->sampler : "");
  g_key_file_set_string (kf, "cache", "short_video", c->short_video ? c->short_video : "");
  g_key_file_set_uint64 (kf, "cache", "augmentations", c->augmentations);
  g_key_file_set_string (kf, "cache", "augment", c->augment ? c->augment : "");
  return kf;
}

char *
fvc_cache_config_to_ini (const FvcCacheConfig *config)
{
  g_autoptr (GKeyFile) kf = config_to_keyfile (config);
  return g_key_file_to_data (kf, NULL, NULL);
}

gboolean
fvc_cache_config_from_ini (const char *text, const char *label, FvcCacheConfig *out, GError **error)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autoptr (GError) local = NULL;
  guint64 frames, size, augmentations;
  gint format;

  memset (out, 0, sizeof *out);
  if (!g_key_file_load_from_data (kf, text, (gsize) -1, G_KEY_FILE_NONE, &local)) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE, "%s: %s", label, local->message);
    return FALSE;
  }
  format = g_key_file_get_integer (kf, "cache", "format", &local);
  if (local == NULL)
    frames = g_key_file_get_uint64 (kf, "cache", "frames", &local);
  if (local == NULL)
    size = g_key_file_get_uint64 (kf, "cache", "size", &local);
  if (local == NULL)
    augmentations = g_key_file_get_uint64 (kf, "cache", "augmentations", &local);
  if (local == NULL)
    out->sampler = g_key_file_get_string (kf, "cache", "sampler", &local);
  if (local == NULL)
    out->short_video = g_key_file_get_string (kf, "cache", "short_video", &local);
  if (local == NULL)
    out->augment = g_key_file_get_string (kf, "cache", "augment", &local);
  if (local != NULL) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE, "%s: %s", label, local->message);
    fvc_cache_config_clear (out);
    return FALSE;
  }
  if (format != FVC_CACHE_FORMAT_VERSION) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_MISMATCH, "%s: cache format %d, this fvc-stream reads format %d",
                 label, format, FVC_CACHE_FORMAT_VERSION);
    fvc_cache_config_clear (out);
    return FALSE;
  }
  out->num_frames = (guint) frames;
  out->size = (guint) size;
  out->augmentations = (guint) augmentations;
  return TRUE;
}

/* Lists every setting that differs, as "frames (cache 8, requested 6)". */
static char *
describe_mismatch (const FvcCacheConfig *have, const FvcCacheConfig *want)
{
  GString *s = g_string_new (NULL);
#define CMP_UINT(field, key)                                                                     \
  if (have->field != want->field)                                                                \
    g_string_append_printf (s, "%s%s (cache %u, requested %u)", s->len ? ", " : "", key,         \
                            have->field, want->field);
#define CMP_STR(field, key)                                                                      \
  if (g_strcmp0 (have->field, want->field) != 0)                                                 \
    g_string_append_printf (s, "%s%s (cache \"%s\", requested \"%s\")", s->len ? ", " : "", key, \
                            have->field, want->field);
  CMP_UINT (num_frames, "frames");
  CMP_UINT (size, "size");
  CMP_STR (sampler, "sampler");
  CMP_STR (short_video, "short_video");
  CMP_UINT (augmentations, "augmentations");
  CMP_STR (augment, "augment");
#undef CMP_UINT
#undef CMP_STR
  return g_string_free (s, s->len == 0);
}

/* ---- rows ----------------------------------------------------------------------------------- */

void
fvc_cache_row_clear (FvcCacheRow *row)
{
  g_clear_pointer (&row->clip_file, g_free);
  g_clear_pointer (&row->original_video, g_free);
  g_clear_pointer (&row->frame_indices, g_free);
}

char *
fvc_cache_row_format (const FvcCacheRow *row)
{
  char label[8], aug[16], seed[16];
  const char *fields[6];

  g_snprintf (label, sizeof label, "%d", row->label);
  g_snprintf (aug, sizeof aug, "%d", row->augmentation_idx);
  g_snprintf (seed, sizeof seed, "%u", row->seed);
  fields[0] = row->clip_file;
  fields[1] = label;
  fields[2] = row->original_video;
  fields[3] = aug;
  fields[4] = seed;
  fields[5] = row->frame_indices ? row->frame_indices : "";
  return fvc_csv_format_row (fields, G_N_ELEMENTS (fields));
}

static char *
metadata_header (void)
{
  return fvc_csv_format_row (metadata_columns, G_N_ELEMENTS (metadata_columns));
}

static gboolean
parse_row (const FvcCsvTable *table, const FvcCsvRow *r, FvcCacheRow *out, GError **error)
{
  gint64 label, aug;
  guint64 seed;

  memset (out, 0, sizeof *out);
  if (r->n_fields != table->n_columns) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE, "%s:%u: %u fields, the header has %u", table->path,
                 r->line, r->n_fields, table->n_columns);
    return FALSE;
  }
  if (!g_ascii_string_to_signed (r->fields[1], 10, 0, 1, &label, NULL) ||
      !g_ascii_string_to_signed (r->fields[3], 10, -1, G_MAXINT, &aug, NULL) ||
      !g_ascii_string_to_unsigned (r->fields[4], 10, 0, G_MAXUINT32, &seed, NULL) ||
      r->fields[0][0] == '\0' || r->fields[2][0] == '\0') {
    g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE, "%s:%u: malformed metadata row", table->path, r->line);
    return FALSE;
  }
  out->clip_file = g_strdup (r->fields[0]);
  out->label = (int) label;
  out->original_video = g_strdup (r->fields[2]);
  out->augmentation_idx = (int) aug;
  out->seed = (guint32) seed;
  out->frame_indices = g_strdup (r->fields[5]);
  return TRUE;
}

/* ---- the cache object ----------------------------------------------------------------------- */

struct _FvcCache {
  char *dir;
  char *fingerprint;
  FvcCacheConfig config;
  GArray *rows;           /* FvcCacheRow */
  GHashTable *by_key;     /* "aug\x1foriginal" -> index + 1 */
  guint n_repairs;
  int lock_fd;            /* held by the writer (REPAIR), -1 otherwise */
};

void
fvc_cache_free (FvcCache *cache)
{
  if (cache == NULL)
    return;
  if (cache->lock_fd >= 0)
    close (cache->lock_fd); /* releases the lock */
  g_free (cache->dir);
  g_free (cache->fingerprint);
  fvc_cache_config_clear (&cache->config);
  if (cache->rows)
    g_array_unref (cache->rows);
  if (cache->by_key)
    g_hash_table_unref (cache->by_key);
  g_free (cache);
}

static char *
row_key (const char *original_video, int augmentation_idx)
{
  return g_strdup_printf ("%d\x1f%s", augmentation_idx, original_video);
}

static void
rebuild_lookup (FvcCache *cache)
{
  g_hash_table_remove_all (cache->by_key);
  for (guint i = 0; i < cache->rows->len; i++) {
    const FvcCacheRow *r = &g_array_index (cache->rows, FvcCacheRow, i);
    g_hash_table_insert (cache->by_key, row_key (r->original_video, r->augmentation_idx), GUINT_TO_POINTER (i + 1));
  }
}

static gboolean
write_rows (FvcCache *cache, GError **error)
{
  g_autofree char *path = g_build_filename (cache->dir, FVC_CACHE_METADATA_FILE, NULL);
  g_autoptr (GString) out = g_string_new (NULL);
  g_autofree char *header = metadata_header ();

  g_string_append (out, header);
  for (guint i = 0; i < cache->rows->len; i++) {
    g_autofree char *line = fvc_cache_row_format (&g_array_index (cache->rows, FvcCacheRow, i));
    g_string_append (out, line);
  }
  return fvc_file_write_atomic_string (path, out->str, error);
}

static gboolean
remove_temp_files (FvcCache *cache, const char *dir, GError **error)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return TRUE;
  while ((name = g_dir_read_name (d)) != NULL) {
    if (fvc_is_temp_name (name)) {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      if (g_unlink (p) != 0 && errno != ENOENT) {
        g_set_error (error, FVC_ERROR, FVC_ERROR_IO, "%s: cannot remove: %s", p, g_strerror (errno));
        return FALSE;
      }
      cache->n_repairs++;
    }
  }
  return TRUE;
}

static gboolean
load_rows (FvcCache *cache, gboolean repair, GError **error)
{
  g_autofree char *path = g_build_filename (cache->dir, FVC_CACHE_METADATA_FILE, NULL);
  g_autoptr (FvcCsvTable) table = NULL;
  g_autoptr (GError) local = NULL;
  gboolean dirty = FALSE;

  table = fvc_csv_read (path, FVC_CSV_DROP_TORN_TAIL | FVC_CSV_MISSING_OK, &local);
  if (table == NULL) {
    if (!repair) {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
    /* Unparseable as a whole (e.g. a torn quoted field): start the metadata afresh; the clips
     * without rows are removed below and made again. */
    table = fvc_csv_parse ("", 0, path, FVC_CSV_NONE, NULL);
    dirty = TRUE;
    cache->n_repairs++;
  }
  if (table->torn_tail_dropped) {
    if (!repair) {
      /* A reader just ignores the line a running writer has not finished. */
    } else {
      dirty = TRUE;
      cache->n_repairs++;
    }
  }
  if (table->n_columns > 0) {
    for (guint c = 0; c < G_N_ELEMENTS (metadata_columns); c++) {
      if (c >= table->n_columns || strcmp (table->header[c], metadata_columns[c]) != 0) {
        g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE, "%s:1: unexpected header, expected it to start with "
                     "video_path,label,original_video,augmentation_idx,seed,frame_indices", path);
        return FALSE;
      }
    }
  }

  for (guint i = 0; i < table->rows->len; i++) {
    FvcCacheRow row;
    g_autofree char *key = NULL;

    if (!parse_row (table, g_ptr_array_index (table->rows, i), &row, repair ? NULL : error)) {
      if (!repair)
        return FALSE;
      dirty = TRUE;
      cache->n_repairs++;
      continue;
    }
    key = row_key (row.original_video, row.augmentation_idx);
    if (repair) {
      g_autofree char *clip = g_build_filename (cache->dir, row.clip_file, NULL);
      if (g_hash_table_contains (cache->by_key, key) || !g_file_test (clip, G_FILE_TEST_IS_REGULAR)) {
        fvc_cache_row_clear (&row);
        dirty = TRUE;
        cache->n_repairs++;
        continue;
      }
    }
    g_array_append_val (cache->rows, row);
    g_hash_table_replace (cache->by_key, g_steal_pointer (&key), GUINT_TO_POINTER (cache->rows->len));
  }

  if (repair) {
    /* Clips that made it to their final name but whose row was never appended. */
    g_autofree char *clips_dir = g_build_filename (cache->dir, FVC_CACHE_CLIPS_DIR, NULL);
    g_autoptr (GHashTable) referenced = g_hash_table_new (g_str_hash, g_str_equal);
    g_autoptr (GDir) d = g_dir_open (clips_dir, 0, NULL);
    const char *name;

    for (guint i = 0; i < cache->rows->len; i++)
      g_hash_table_add (referenced, g_array_index (cache->rows, FvcCacheRow, i).clip_file);
    while (d != NULL && (name = g_dir_read_name (d)) != NULL) {
      g_autofree char *rel = g_build_filename (FVC_CACHE_CLIPS_DIR, name, NULL);
      if (!g_hash_table_contains (referenced, rel)) {
        g_autofree char *p = g_build_filename (clips_dir, name, NULL);
        if (g_unlink (p) != 0 && errno != ENOENT) {
          g_set_error (error, FVC_ERROR, FVC_ERROR_IO, "%s: cannot remove: %s", p, g_strerror (errno));
          return FALSE;
        }
        cache->n_repairs++;
      }
    }
    if (dirty && !write_rows (cache, error))
      return FALSE;
  }
  return TRUE;
}

/* One writer at a time: a second `augment` on the same cache would interleave its repair with
 * the first one's writes. */
static gboolean
lock_cache (FvcCache *cache, GError **error)
{
  g_autofree char *path = g_build_filename (cache->dir, FVC_CACHE_LOCK_FILE, NULL);
  int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

  if (fd < 0) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_IO, "%s: cannot create: %s", path, g_strerror (errno));
    return FALSE;
  }
  if (flock (fd, LOCK_EX | LOCK_NB) != 0) {
    int saved = errno;
    close (fd);
    if (saved == EWOULDBLOCK)
      g_set_error (error, FVC_ERROR, FVC_ERROR_INVALID,
                   "%s: another fvc-stream process is writing this cache; wait for it or use another cache",
                   cache->dir);
    else
      g_set_error (error, FVC_ERROR, FVC_ERROR_IO, "%s: cannot lock: %s", path, g_strerror (saved));
    return FALSE;
  }
  cache->lock_fd = fd;
  return TRUE;
}

FvcCache *
fvc_cache_open (const char *dir, const FvcCacheConfig *want, FvcCacheOpenFlags flags, GError **error)
{
  g_autoptr (FvcCache) cache = g_new0 (FvcCache, 1);
  g_autofree char *ini_path = g_build_filename (dir, FVC_CACHE_INI_FILE, NULL);
  g_autofree char *clips_dir = g_build_filename (dir, FVC_CACHE_CLIPS_DIR, NULL);
  g_autofree char *text = NULL;
  gboolean repair = (flags & FVC_CACHE_OPEN_REPAIR) != 0;

  cache->dir = g_strdup (dir);
  cache->lock_fd = -1;
  cache->rows = g_array_new (FALSE, TRUE, sizeof (FvcCacheRow));
  g_array_set_clear_func (cache->rows, (GDestroyNotify) fvc_cache_row_clear);
  cache->by_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  if (!g_file_test (ini_path, G_FILE_TEST_EXISTS)) {
    if (!(flags & FVC_CACHE_OPEN_CREATE) || want == NULL) {
      g_set_error (error, FVC_ERROR, FVC_ERROR_IO, "%s: not a clip cache (no %s)", dir, FVC_CACHE_INI_FILE);
      return NULL;
    }
    if (g_file_test (dir, G_FILE_TEST_IS_DIR)) {
      /* Refuse to adopt a directory full of something else. */
      g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
      const char *name;
      while (d != NULL && (name = g_dir_read_name (d)) != NULL) {
        if (strcmp (name, FVC_CACHE_CLIPS_DIR) != 0 && strcmp (name, FVC_CACHE_METADATA_FILE) != 0 &&
            strcmp (name, FVC_CACHE_FAILURES_FILE) != 0 && strcmp (name, FVC_CACHE_FRAMEINDEX_DIR) != 0 &&
            strcmp (name, FVC_CACHE_LOCK_FILE) != 0 && !fvc_is_temp_name (name)) {
          g_set_error (error, FVC_ERROR, FVC_ERROR_INVALID,
                       "%s: exists, is not empty and has no %s; refusing to use it as a cache", dir,
                       FVC_CACHE_INI_FILE);
          return NULL;
        }
      }
    }
    if (!fvc_mkdir_p (clips_dir, error))
      return NULL;
    if (repair && !lock_cache (cache, error))
      return NULL;
    text = fvc_cache_config_to_ini (want);
    if (!fvc_file_write_atomic_string (ini_path, text, error))
      return NULL;
  } else if (!g_file_get_contents (ini_path, &text, NULL, NULL)) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_IO, "%s: cannot read", ini_path);
    return NULL;
  }

  if (!fvc_cache_config_from_ini (text, ini_path, &cache->config, error))
    return NULL;
  if (want != NULL) {
    g_autofree char *diff = describe_mismatch (&cache->config, want);
    if (diff != NULL) {
      g_set_error (error, FVC_ERROR, FVC_ERROR_MISMATCH,
                   "%s: cache was built with other settings: %s; use another cache directory or delete this one",
                   dir, diff);
      return NULL;
    }
  }
  cache->fingerprint = g_steal_pointer (&text);
  if ((flags & FVC_CACHE_OPEN_CREATE) && !fvc_mkdir_p (clips_dir, error))
    return NULL;

  if (repair && cache->lock_fd < 0 && !lock_cache (cache, error))
    return NULL;
  if (repair) {
    g_autofree char *index_dir = g_build_filename (dir, FVC_CACHE_FRAMEINDEX_DIR, NULL);
    if (!remove_temp_files (cache, dir, error) || !remove_temp_files (cache, clips_dir, error) ||
        !remove_temp_files (cache, index_dir, error))
      return NULL;
  }
  if (!(flags & FVC_CACHE_OPEN_SETTINGS_ONLY) && !load_rows (cache, repair, error))
    return NULL;
  return g_steal_pointer (&cache);
}

const char *
fvc_cache_get_dir (const FvcCache *cache)
{
  return cache->dir;
}

const FvcCacheConfig *
fvc_cache_get_config (const FvcCache *cache)
{
  return &cache->config;
}

const char *
fvc_cache_get_fingerprint (const FvcCache *cache)
{
  return cache->fingerprint;
}

guint
fvc_cache_get_n_rows (const FvcCache *cache)
{
  return cache->rows->len;
}

const FvcCacheRow *
fvc_cache_get_row (const FvcCache *cache, guint i)
{
  g_return_val_if_fail (i < cache->rows->len, NULL);
  return &g_array_index (cache->rows, FvcCacheRow, i);
}

const FvcCacheRow *
fvc_cache_find (const FvcCache *cache, const char *original_video, int augmentation_idx)
{
  g_autofree char *key = row_key (original_video, augmentation_idx);
  guint i = GPOINTER_TO_UINT (g_hash_table_lookup (cache->by_key, key));
  return i ? &g_array_index (cache->rows, FvcCacheRow, i - 1) : NULL;
}

gboolean
fvc_cache_video_complete (const FvcCache *cache, const char *original_video, guint augmentations)
{
  for (int a = -1; a < (int) augmentations; a++)
    if (fvc_cache_find (cache, original_video, a) == NULL)
      return FALSE;
  return TRUE;
}

char *
fvc_cache_clip_path (const FvcCache *cache, const FvcCacheRow *row)
{
  return g_build_filename (cache->dir, row->clip_file, NULL);
}

guint
fvc_cache_get_n_repairs (const FvcCache *cache)
{
  return cache->n_repairs;
}

gboolean
fvc_cache_append_row (const char *dir, const FvcCacheRow *row, GError **error)
{
  g_autofree char *path = g_build_filename (dir, FVC_CACHE_METADATA_FILE, NULL);
  g_autofree char *line = fvc_cache_row_format (row);
  struct stat st;
  gboolean ok = FALSE;
  int fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

  if (fd < 0) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_IO, "%s: cannot open: %s", path, g_strerror (errno));
    return FALSE;
  }
  /* flock serialises writers across threads (separate descriptors) and processes. */
  while (flock (fd, LOCK_EX) != 0) {
    if (errno != EINTR) {
      g_set_error (error, FVC_ERROR, FVC_ERROR_IO, "%s: cannot lock: %s", path, g_strerror (errno));
      goto out;
    }
  }
  if (fstat (fd, &st) != 0) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_IO, "%s: cannot stat: %s", path, g_strerror (errno));
    goto out;
  }
  if (st.st_size == 0) {
    g_autofree char *header = metadata_header ();
    if (!fvc_write_all (fd, header, strlen (header), path, error))
      goto out;
  }
  /* One write of the whole line: a kill leaves the line whole or torn at the end, never mixed. */
  if (!fvc_write_all (fd, line, strlen (line), path, error))
    goto out;
  if (fdatasync (fd) != 0) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_IO, "%s: fdatasync failed: %s", path, g_strerror (errno));
    goto out;
  }
  ok = TRUE;
out:
  close (fd); /* releases the lock */
  return ok;
}

typedef struct {
  GHashTable *position;   /* original_video -> order + 1 */
} SortContext;

static gint
compare_rows (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const FvcCacheRow *ra = a, *rb = b;
  SortContext *ctx = user_data;
  guint pa = GPOINTER_TO_UINT (g_hash_table_lookup (ctx->position, ra->original_video));
  guint pb = GPOINTER_TO_UINT (g_hash_table_lookup (ctx->position, rb->original_video));
  int c;

  /* Listed videos first, in list order; the others after them, by path. */
  if (pa == 0)
    pa = G_MAXUINT;
  if (pb == 0)
    pb = G_MAXUINT;
  if (pa != pb)
    return pa < pb ? -1 : 1;
  if ((c = strcmp (ra->original_video, rb->original_video)) != 0)
    return c;
  return (ra->augmentation_idx > rb->augmentation_idx) - (ra->augmentation_idx < rb->augmentation_idx);
}

gboolean
fvc_cache_finalize (FvcCache *cache, const char *const *video_order, GError **error)
{
  SortContext ctx;
  g_autoptr (FvcCache) fresh = NULL;

  /* Re-read: other writers (threads, processes) appended since the cache was opened. */
  fresh = fvc_cache_open (cache->dir, NULL, FVC_CACHE_OPEN_READ, error);
  if (fresh == NULL)
    return FALSE;
  g_array_set_size (cache->rows, 0);
  for (guint i = 0; i < fresh->rows->len; i++) {
    FvcCacheRow *r = &g_array_index (fresh->rows, FvcCacheRow, i);
    FvcCacheRow copy = *r;
    memset (r, 0, sizeof *r);
    g_array_append_val (cache->rows, copy);
  }

  ctx.position = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; video_order != NULL && video_order[i] != NULL; i++)
    if (!g_hash_table_contains (ctx.position, video_order[i]))
      g_hash_table_insert (ctx.position, (gpointer) video_order[i], GUINT_TO_POINTER (i + 1));
  g_array_sort_with_data (cache->rows, compare_rows, &ctx);
  g_hash_table_unref (ctx.position);

  /* Drop duplicates (a video redone after an interruption), keeping the first. */
  for (guint i = 1; i < cache->rows->len;) {
    const FvcCacheRow *prev = &g_array_index (cache->rows, FvcCacheRow, i - 1);
    const FvcCacheRow *cur = &g_array_index (cache->rows, FvcCacheRow, i);
    if (cur->augmentation_idx == prev->augmentation_idx && strcmp (cur->original_video, prev->original_video) == 0)
      g_array_remove_index (cache->rows, i);
    else
      i++;
  }
  rebuild_lookup (cache);
  return write_rows (cache, error);
}

gboolean
fvc_cache_write_failures (const char *dir, const char *const *paths, const char *const *reasons, guint n,
                          GError **error)
{
  g_autofree char *path = g_build_filename (dir, FVC_CACHE_FAILURES_FILE, NULL);
  g_autoptr (GString) out = g_string_new ("video_path,reason\n");

  for (guint i = 0; i < n; i++) {
    fvc_csv_append_field (out, paths[i], TRUE);
    fvc_csv_append_field (out, reasons[i], FALSE);
    g_string_append_c (out, '\n');
  }
  return fvc_file_write_atomic_string (path, out->str, error);
}
