/* fvc-cache.h — the shared clip cache (DESIGN.md "Cache").
 *
 *   <cache>/cache.ini                 [cache] fingerprint: format, frames, size, sampler,
 *                                     short_video, augmentations, augment (one key per setting)
 *   <cache>/clips/<name>.safetensors  clip files (fvc-clip.h)
 *   <cache>/augmented_metadata.csv    video_path,label,original_video,augmentation_idx,seed,frame_indices
 *                                     video_path is the clip file relative to the cache directory
 *                                     ("clips/<name>"), original_video the source as written in the index
 *   <cache>/failures.csv              video_path,reason
 *   <cache>/frameindex/               cached frame indices (fvc-frame-index.h), one per video
 *   <cache>/lock                      empty; flock(2)ed by the one process writing the cache
 *
 * Writers put a clip in place (temp, fsync, rename) and only then append its row, with one
 * O_APPEND write under flock(2), so a row never names a clip that is not complete. A killed run
 * leaves at most a torn last line, temp files and clips without a row; opening with REPAIR
 * removes all three and rows whose clip is missing, so the cache is consistent again. At the end
 * of a job, fvc_cache_finalize() rewrites the CSV in canonical order (index order, then
 * augmentation index), so the final bytes do not depend on job count or interruptions.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FVC_CACHE_FORMAT_VERSION 1
#define FVC_CACHE_METADATA_FILE "augmented_metadata.csv"
#define FVC_CACHE_FAILURES_FILE "failures.csv"
#define FVC_CACHE_INI_FILE "cache.ini"
#define FVC_CACHE_CLIPS_DIR "clips"
#define FVC_CACHE_FRAMEINDEX_DIR "frameindex"
#define FVC_CACHE_LOCK_FILE "lock"

typedef struct {
  guint num_frames;
  guint size;
  char *sampler;         /* canonical sampler description, e.g. "uniform" */
  char *short_video;     /* pad | skip | error */
  guint augmentations;   /* augmented clips per video, besides the base clip */
  char *augment;         /* canonical augmentation settings (fvc_augment_settings_to_string) */
} FvcCacheConfig;

void fvc_cache_config_clear (FvcCacheConfig *config);
/* The fingerprint text: exactly the content of cache.ini. (transfer full) */
char *fvc_cache_config_to_ini (const FvcCacheConfig *config);
/* Parses cache.ini text; @label names it in errors. */
gboolean fvc_cache_config_from_ini (const char *text, const char *label, FvcCacheConfig *out, GError **error);

typedef struct {
  char *clip_file;        /* "clips/<name>.safetensors", relative to the cache directory */
  int label;              /* 0 real, 1 fake */
  char *original_video;   /* as written in the index */
  int augmentation_idx;   /* -1 base */
  guint32 seed;
  char *frame_indices;
} FvcCacheRow;

void fvc_cache_row_clear (FvcCacheRow *row);
/* One CSV line (with "\n"). (transfer full) */
char *fvc_cache_row_format (const FvcCacheRow *row);

typedef enum {
  FVC_CACHE_OPEN_READ = 0,
  FVC_CACHE_OPEN_CREATE = 1 << 0,   /* create the directory, clips/ and cache.ini if absent */
  FVC_CACHE_OPEN_REPAIR = 1 << 1,   /* the writer: lock the cache (one writer at a time, across
                                     * processes and hosts sharing the directory, through flock on
                                     * <cache>/lock) and make a killed run's leftovers consistent */
  FVC_CACHE_OPEN_SETTINGS_ONLY = 1 << 2, /* cache.ini only: metadata.csv is not read (no rows), for
                                          * writers that only append (fvcclipsink, once per branch
                                          * and video: reading every row would be quadratic) */
} FvcCacheOpenFlags;

typedef struct _FvcCache FvcCache;

/* Opens a cache. With @want, an existing cache.ini must match it key by key, else
 * FVC_ERROR_MISMATCH naming every differing setting; without, any fingerprint is accepted. */
FvcCache *fvc_cache_open (const char *dir, const FvcCacheConfig *want, FvcCacheOpenFlags flags,
                          GError **error);
void fvc_cache_free (FvcCache *cache);

const char *fvc_cache_get_dir (const FvcCache *cache);
const FvcCacheConfig *fvc_cache_get_config (const FvcCache *cache);
/* cache.ini's text, used as the clips' "config" metadata. */
const char *fvc_cache_get_fingerprint (const FvcCache *cache);
guint fvc_cache_get_n_rows (const FvcCache *cache);
const FvcCacheRow *fvc_cache_get_row (const FvcCache *cache, guint i);
/* The row of (@original_video, @augmentation_idx), or NULL. */
const FvcCacheRow *fvc_cache_find (const FvcCache *cache, const char *original_video, int augmentation_idx);
/* TRUE when the base clip and augmentations 0..n-1 of the video are all present. */
gboolean fvc_cache_video_complete (const FvcCache *cache, const char *original_video, guint augmentations);
/* Absolute path of a row's clip. (transfer full) */
char *fvc_cache_clip_path (const FvcCache *cache, const FvcCacheRow *row);
/* Number of repairs the REPAIR open made (rows dropped, files removed). */
guint fvc_cache_get_n_repairs (const FvcCache *cache);

/* Appends one row to <dir>/augmented_metadata.csv (header first if the file is new). Safe from
 * several threads and processes. */
gboolean fvc_cache_append_row (const char *dir, const FvcCacheRow *row, GError **error);

/* Rewrites the CSV atomically: rows of @video_order's videos in that order, augmentation -1
 * first, duplicates dropped; rows of videos not listed are kept after them, sorted. */
gboolean fvc_cache_finalize (FvcCache *cache, const char *const *video_order, GError **error);

/* Writes <dir>/failures.csv atomically: video_path,reason for each pair (paths[i], reasons[i]). */
gboolean fvc_cache_write_failures (const char *dir, const char *const *paths, const char *const *reasons,
                                   guint n, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FvcCache, fvc_cache_free)

G_END_DECLS
