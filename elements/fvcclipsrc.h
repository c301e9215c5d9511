/* fvcclipsrc.h — replays a fold's clips from the shared cache, shuffled per epoch. */
#pragma once

#include <gst/base/gstpushsrc.h>

G_BEGIN_DECLS

typedef enum {
  FVC_CLIP_SRC_SPLIT_TRAIN,   /* videos not in the fold */
  FVC_CLIP_SRC_SPLIT_VAL,     /* videos in the fold */
} FvcClipSrcSplit;

typedef enum {
  FVC_CLIP_SRC_INCLUDE_BASE,
  FVC_CLIP_SRC_INCLUDE_AUGMENTED,
  FVC_CLIP_SRC_INCLUDE_ALL,
} FvcClipSrcInclude;

#define FVC_TYPE_CLIP_SRC (fvc_clip_src_get_type ())
G_DECLARE_FINAL_TYPE (FvcClipSrc, fvc_clip_src, FVC, CLIP_SRC, GstPushSrc)

GST_ELEMENT_REGISTER_DECLARE (fvcclipsrc);

G_END_DECLS
