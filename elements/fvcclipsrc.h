/* fvcclipsrc.h — replays a fold's clips from the shared cache, shuffled per epoch. */
#pragma once

#include <gst/base/gstpushsrc.h>

G_BEGIN_DECLS

#define FVC_TYPE_CLIP_SRC (fvc_clip_src_get_type ())
G_DECLARE_FINAL_TYPE (FvcClipSrc, fvc_clip_src, FVC, CLIP_SRC, GstPushSrc)

GST_ELEMENT_REGISTER_DECLARE (fvcclipsrc);

G_END_DECLS
