/* fvctrainsink.h — trains a model on incoming clips and writes its checkpoint. */
#pragma once

#include <gst/base/gstbasesink.h>

G_BEGIN_DECLS

/* The "device" property type, shared with fvcevalsink: cpu, cuda. */
GType fvc_train_device_get_type (void);
#define FVC_TYPE_TRAIN_DEVICE (fvc_train_device_get_type ())
/* The "precision" property type: fp32, tf32, bf16 (FvcPrecision). */
GType fvc_train_precision_get_type (void);
#define FVC_TYPE_TRAIN_PRECISION (fvc_train_precision_get_type ())

#define FVC_TYPE_TRAIN_SINK (fvc_train_sink_get_type ())
G_DECLARE_FINAL_TYPE (FvcTrainSink, fvc_train_sink, FVC, TRAIN_SINK, GstBaseSink)

GST_ELEMENT_REGISTER_DECLARE (fvctrainsink);

G_END_DECLS
