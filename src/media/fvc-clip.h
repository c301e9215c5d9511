/* fvc-clip.h — clip files: one safetensors file per clip (see fvc-safetensors.h for the format).
 *
 *   tensor "clip"   dtype U8, shape [T, H, W, 3], RGB, row-major
 *   __metadata__    video_path        the source video, as written in the index
 *                   label             "0" (real) or "1" (fake)
 *                   augmentation_idx  "-1" for the base clip, else "0", "1", ...
 *                   seed              the seed the augmentation used (base seed for -1)
 *                   frame_indices     "0,60,120,179,239,299"
 *                   pts_ns            source PTS of those frames in ns, same order
 *                   config            the cache fingerprint (cache.ini in one line)
 *                   fvc_version       the fvc-stream version that wrote it
 * The keys are written in this order, so equal clips are equal bytes. File names are
 * <stem>-<md5(video_path)[:8]>_aug<a>.safetensors, or _base for a = -1, where <stem> is the
 * video's base name without extension, characters outside [A-Za-z0-9._-] replaced by '_'.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  char *video_path;
  int label;                 /* 0 real, 1 fake */
  int augmentation_idx;      /* -1 base */
  guint32 seed;
  char *frame_indices;
  char *pts_ns;
  char *config;
} FvcClipInfo;

void fvc_clip_info_clear (FvcClipInfo *info);
void fvc_clip_info_copy (FvcClipInfo *dest, const FvcClipInfo *src);

/* "<stem>-<md5(video_path)[:8]><suffix>": the per-video file name used in caches. (transfer full) */
char *fvc_video_file_name (const char *video_path, const char *suffix);
/* "<stem>-<hash8>_aug<a>.safetensors" (transfer full) */
char *fvc_clip_file_name (const char *video_path, int augmentation_idx);

/* Writes atomically (temp, fsync, rename). @rgb holds T*H*W*3 bytes. */
gboolean fvc_clip_write (const char *path, const FvcClipInfo *info, guint frames, guint height,
                         guint width, const guint8 *rgb, GError **error);

typedef struct _FvcClip FvcClip;

/* Maps and validates a clip file: the tensor, its dtype and shape, every metadata key. */
FvcClip *fvc_clip_open (const char *path, GError **error);
void fvc_clip_free (FvcClip *clip);
const FvcClipInfo *fvc_clip_get_info (const FvcClip *clip);
guint fvc_clip_get_frames (const FvcClip *clip);
guint fvc_clip_get_height (const FvcClip *clip);
guint fvc_clip_get_width (const FvcClip *clip);
/* T*H*W*3 bytes, valid until the clip is freed. (transfer none) */
const guint8 *fvc_clip_get_data (const FvcClip *clip);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FvcClip, fvc_clip_free)

G_END_DECLS
