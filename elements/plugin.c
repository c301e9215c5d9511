/* plugin.c — the GStreamer plugin "fvc": registers every fvc element (list in fvcelements.h). */
#include "config.h"
#include "fvcelements.h"

#define FVC_REGISTER_ONE(name) ret |= GST_ELEMENT_REGISTER (name, plugin);

static gboolean
plugin_init (GstPlugin *plugin)
{
  gboolean ret = FALSE;

  FVC_FOR_EACH_ELEMENT (FVC_REGISTER_ONE)
  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, fvc,
                   "fvc-stream: frame sampling, seeded augmentation, clip caches and training sinks "
                   "for fake-vs-real video classifiers",
                   plugin_init, FVC_VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
