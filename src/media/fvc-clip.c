/* fvc-clip.c — writing and reading clip files (layout in fvc-clip.h). */
#include "config.h"
#include "fvc-clip.h"
#include "fvc-error.h"
#include "fvc-safetensors.h"
#include "fvc-seed.h"

#include <string.h>

void
fvc_clip_info_clear (FvcClipInfo *info)
{
  g_clear_pointer (&info->video_path, g_free);
  g_clear_pointer (&info->frame_indices, g_free);
  g_clear_pointer (&info->pts_ns, g_free);
  g_clear_pointer (&info->config, g_free);
}

void
fvc_clip_info_copy (FvcClipInfo *dest, const FvcClipInfo *src)
{
  *dest = *src;
  dest->video_path = g_strdup (src->video_path);
  dest->frame_indices = g_strdup (src->frame_indices);
  dest->pts_ns = g_strdup (src->pts_ns);
  dest->config = g_strdup (src->config);
}

char *
fvc_video_file_name (const char *video_path, const char *suffix)
{
  g_autofree char *base = g_path_get_basename (video_path);
  g_autofree char *hash8 = fvc_path_hash8 (video_path);
  char *dot = strrchr (base, '.');

  if (dot != NULL && dot != base)
    *dot = '\0';
  for (char *p = base; *p; p++) {
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '_' && *p != '-')
      *p = '_';
  }
  return g_strdup_printf ("%s-%s%s", base, hash8, suffix);
}

char *
fvc_clip_file_name (const char *video_path, int augmentation_idx)
{
  char suffix[48];

  if (augmentation_idx < 0)
    g_strlcpy (suffix, "_base.safetensors", sizeof suffix);
  else
    g_snprintf (suffix, sizeof suffix, "_aug%d.safetensors", augmentation_idx);
  return fvc_video_file_name (video_path, suffix);
}

gboolean
fvc_clip_write (const char *path, const FvcClipInfo *info, guint frames, guint height, guint width,
                const guint8 *rgb, GError **error)
{
  g_autoptr (FvcSafetensorsWriter) w = fvc_safetensors_writer_new ();
  gint64 shape[4] = { frames, height, width, 3 };
  char num[32];

  fvc_safetensors_writer_set_metadata (w, "video_path", info->video_path);
  fvc_safetensors_writer_set_metadata (w, "label", info->label ? "1" : "0");
  g_snprintf (num, sizeof num, "%d", info->augmentation_idx);
  fvc_safetensors_writer_set_metadata (w, "augmentation_idx", num);
  g_snprintf (num, sizeof num, "%u", info->seed);
  fvc_safetensors_writer_set_metadata (w, "seed", num);
  fvc_safetensors_writer_set_metadata (w, "frame_indices", info->frame_indices ? info->frame_indices : "");
  fvc_safetensors_writer_set_metadata (w, "pts_ns", info->pts_ns ? info->pts_ns : "");
  fvc_safetensors_writer_set_metadata (w, "config", info->config ? info->config : "");
  fvc_safetensors_writer_set_metadata (w, "fvc_version", FVC_VERSION);
  fvc_safetensors_writer_add_tensor (w, "clip", FVC_DTYPE_U8, 4, shape, rgb);
  return fvc_safetensors_writer_write_file (w, path, error);
}

struct _FvcClip {
  FvcSafetensors *st;
  FvcClipInfo info;
  const FvcTensorView *tensor;
};

void
fvc_clip_free (FvcClip *clip)
{
  if (clip == NULL)
    return;
  fvc_clip_info_clear (&clip->info);
  fvc_safetensors_free (clip->st);
  g_free (clip);
}

static gboolean
parse_int_meta (FvcSafetensors *st, const char *key, gint64 min, gint64 max, gint64 *out, GError **error)
{
  const char *v = fvc_safetensors_get_metadata (st, key);
  if (v == NULL || !g_ascii_string_to_signed (v, 10, min, max, out, NULL)) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE, "%s: clip metadata \"%s\" is %s%s%s", fvc_safetensors_get_label (st),
                 key, v ? "\"" : "missing", v ? v : "", v ? "\", not a valid number" : "");
    return FALSE;
  }
  return TRUE;
}

FvcClip *
fvc_clip_open (const char *path, GError **error)
{
  g_autoptr (FvcClip) clip = g_new0 (FvcClip, 1);
  const gint64 shape[4] = { -1, -1, -1, 3 };
  static const char *required[] = { "video_path", "frame_indices", "pts_ns", "config" };
  gint64 v;

  clip->st = fvc_safetensors_open (path, error);
  if (clip->st == NULL)
    return NULL;
  clip->tensor = fvc_safetensors_expect_tensor (clip->st, "clip", FVC_DTYPE_U8, 4, shape, error);
  if (clip->tensor == NULL)
    return NULL;
  if (clip->tensor->shape[0] == 0 || clip->tensor->shape[1] == 0 || clip->tensor->shape[2] == 0) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE, "%s: clip tensor is empty", path);
    return NULL;
  }
  for (guint i = 0; i < G_N_ELEMENTS (required); i++) {
    if (fvc_safetensors_get_metadata (clip->st, required[i]) == NULL) {
      g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE, "%s: clip metadata \"%s\" is missing", path, required[i]);
      return NULL;
    }
  }
  clip->info.video_path = g_strdup (fvc_safetensors_get_metadata (clip->st, "video_path"));
  clip->info.frame_indices = g_strdup (fvc_safetensors_get_metadata (clip->st, "frame_indices"));
  clip->info.pts_ns = g_strdup (fvc_safetensors_get_metadata (clip->st, "pts_ns"));
  clip->info.config = g_strdup (fvc_safetensors_get_metadata (clip->st, "config"));
  if (!parse_int_meta (clip->st, "label", 0, 1, &v, error))
    return NULL;
  clip->info.label = (int) v;
  if (!parse_int_meta (clip->st, "augmentation_idx", -1, G_MAXINT, &v, error))
    return NULL;
  clip->info.augmentation_idx = (int) v;
  if (!parse_int_meta (clip->st, "seed", 0, G_MAXUINT32, &v, error))
    return NULL;
  clip->info.seed = (guint32) v;
  return g_steal_pointer (&clip);
}

const FvcClipInfo *
fvc_clip_get_info (const FvcClip *clip)
{
  return &clip->info;
}

guint
fvc_clip_get_frames (const FvcClip *clip)
{
  return (guint) clip->tensor->shape[0];
}

guint
fvc_clip_get_height (const FvcClip *clip)
{
  return (guint) clip->tensor->shape[1];
}

guint
fvc_clip_get_width (const FvcClip *clip)
{
  return (guint) clip->tensor->shape[2];
}

const guint8 *
fvc_clip_get_data (const FvcClip *clip)
{
  return clip->tensor->data;
}
