/* fvcdecodegate.h — compressed-domain gate that feeds a decoder only the planned packets. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define FVC_TYPE_DECODE_GATE (fvc_decode_gate_get_type ())
G_DECLARE_FINAL_TYPE (FvcDecodeGate, fvc_decode_gate, FVC, DECODE_GATE, GstElement)

GST_ELEMENT_REGISTER_DECLARE (fvcdecodegate);

G_END_DECLS
