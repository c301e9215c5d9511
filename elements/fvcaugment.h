/* fvcaugment.h — the fvcaugment element: seeded, clip-consistent augmentation to size x size RGB.
 * The logic lives in libfvc (src/media/fvc-augment.h); this is the GStreamer wrapper. */
#pragma once

#include <gst/gst.h>
#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define FVC_TYPE_AUGMENT (fvc_augment_get_type ())
G_DECLARE_FINAL_TYPE (FvcAugment, fvc_augment, FVC, AUGMENT, GstVideoFilter)

GST_ELEMENT_REGISTER_DECLARE (fvcaugment);

G_END_DECLS
