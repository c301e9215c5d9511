/* fvcevalsink.h — scores clips with a checkpoint; per-video predictions and metrics at EOS. */
#pragma once

#include <gst/base/gstbasesink.h>

G_BEGIN_DECLS

#define FVC_TYPE_EVAL_SINK (fvc_eval_sink_get_type ())
G_DECLARE_FINAL_TYPE (FvcEvalSink, fvc_eval_sink, FVC, EVAL_SINK, GstBaseSink)

GST_ELEMENT_REGISTER_DECLARE (fvcevalsink);

G_END_DECLS
