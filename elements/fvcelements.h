/* fvcelements.h — the list of elements of the plugin "fvc", for plugin.c and the states test.
 * One line per element (keep them sorted); each element's .c defines GST_ELEMENT_REGISTER_DEFINE. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define FVC_FOR_EACH_ELEMENT(X) \
  X (fvcaugment) \
  X (fvcclip) \
  X (fvcclipsink) \
  X (fvcclipsrc) \
  X (fvcdecodegate) \
  X (fvcevalsink) \
  X (fvcsample) \
  X (fvctrainsink) \
  /* end of list */

#define FVC_DECLARE_ELEMENT(name) GST_ELEMENT_REGISTER_DECLARE (name);
FVC_FOR_EACH_ELEMENT (FVC_DECLARE_ELEMENT)

G_END_DECLS
