/* fvcclipsink.h — writes clips into the shared cache (clip file, then metadata row). */
#pragma once

#include <gst/base/gstbasesink.h>

G_BEGIN_DECLS

#define FVC_TYPE_CLIP_SINK (fvc_clip_sink_get_type ())
G_DECLARE_FINAL_TYPE (FvcClipSink, fvc_clip_sink, FVC, CLIP_SINK, GstBaseSink)

GST_ELEMENT_REGISTER_DECLARE (fvcclipsink);

G_END_DECLS
