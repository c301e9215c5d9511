/* fvcelements.h — the element registrations of the plugin "fvc", for plugin.c. One line per
 * element; each element's own header declares its type and its GST_ELEMENT_REGISTER. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define FVC_FOR_EACH_ELEMENT(X)

G_END_DECLS
