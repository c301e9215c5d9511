/* fvcclip.h — gathers the frames of one clip into one application/x-fvc-clip buffer. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define FVC_TYPE_CLIP (fvc_clip_get_type ())
G_DECLARE_FINAL_TYPE (FvcClipElement, fvc_clip, FVC, CLIP, GstElement)

GST_ELEMENT_REGISTER_DECLARE (fvcclip);

G_END_DECLS
