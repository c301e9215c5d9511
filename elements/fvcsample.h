/* fvcsample.h — frame-index sampling on a decoded video stream (see fvcsample.c). */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define FVC_TYPE_SAMPLE (fvc_sample_get_type ())
G_DECLARE_FINAL_TYPE (FvcSample, fvc_sample, FVC, SAMPLE, GstElement)

GST_ELEMENT_REGISTER_DECLARE (fvcsample);

/* The custom query fvcdecodegate sends downstream to get the targets. fvcsample answers with
 *   "index"   (FvcFrameIndex, boxed)  the frame index it identifies frames with
 *   "targets" (string)                "0,60,120,..." sorted frame numbers (repeats removed)
 */
#define FVC_DECODE_PLAN_QUERY_NAME "fvc/decode-plan"

/* Field fvcdecodegate sets on the STREAM_START copies it sends to drain the decoder before a
 * jump; fvcsample drops those events. */
#define FVC_DRAIN_FIELD "fvc-drain"

G_END_DECLS
