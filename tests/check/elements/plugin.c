/* plugin.c — generic checks over every element of the plugin "fvc" (list in
 * elements/fvcelements.h): it is registered, goes NULL→PLAYING→NULL and back again without a
 * crash or a stuck state, and documents every property it has. */
#include <gst/check/gstcheck.h>

#include "fvcelements.h"

#define FVC_ELEMENT_NAME(name) #name,
static const char *element_names[] = { FVC_FOR_EACH_ELEMENT (FVC_ELEMENT_NAME) };

GST_START_TEST (test_registered)
{
  GstPlugin *plugin = gst_registry_find_plugin (gst_registry_get (), "fvc");
  GList *features;

  fail_unless (plugin != NULL, "plugin fvc not found (GST_PLUGIN_PATH?)");
  features = gst_registry_get_feature_list_by_plugin (gst_registry_get (), "fvc");
  ck_assert_uint_eq (g_list_length (features), G_N_ELEMENTS (element_names));
  for (guint i = 0; i < G_N_ELEMENTS (element_names); i++) {
    GstElementFactory *f = gst_element_factory_find (element_names[i]);
    fail_unless (f != NULL, "%s is not registered", element_names[i]);
    fail_unless (strlen (gst_element_factory_get_metadata (f, GST_ELEMENT_METADATA_DESCRIPTION)) > 10);
    gst_object_unref (f);
  }
  gst_plugin_feature_list_free (features);
  gst_object_unref (plugin);
}
GST_END_TEST;

GST_START_TEST (test_states)
{
  const char *name = element_names[__i__];
  static const GstState sequence[] = {
    GST_STATE_READY, GST_STATE_PAUSED, GST_STATE_PLAYING, GST_STATE_PAUSED, GST_STATE_READY, GST_STATE_NULL,
  };

  /* Twice: an element must be reusable after going back to NULL. */
  for (int round = 0; round < 2; round++) {
    GstElement *e = gst_element_factory_make (name, NULL);
    GstBus *bus = gst_bus_new ();
    fail_unless (e != NULL, "cannot make %s", name);
    gst_element_set_bus (e, bus);
    for (guint s = 0; s < G_N_ELEMENTS (sequence); s++) {
      /* Sources and sinks without their location may refuse PAUSED; that must be a clean
       * refusal, and going back to NULL must always work. */
      GstStateChangeReturn r = gst_element_set_state (e, sequence[s]);
      if (r == GST_STATE_CHANGE_ASYNC)
        r = gst_element_get_state (e, NULL, NULL, GST_SECOND);
      if (r == GST_STATE_CHANGE_FAILURE) {
        /* Refusing is fine when it says why (e.g. a sink without its location). */
        GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
        fail_unless (msg != NULL, "%s refused state %s without an error message", name,
                     gst_element_state_get_name (sequence[s]));
        gst_message_unref (msg);
        break;
      }
    }
    fail_unless (gst_element_set_state (e, GST_STATE_NULL) == GST_STATE_CHANGE_SUCCESS, "%s: back to NULL", name);
    gst_element_set_bus (e, NULL);
    gst_object_unref (bus);
    gst_object_unref (e);
  }
}
GST_END_TEST;

GST_START_TEST (test_properties_documented)
{
  const char *name = element_names[__i__];
  GstElement *e = gst_element_factory_make (name, NULL);
  guint n;
  GParamSpec **specs = g_object_class_list_properties (G_OBJECT_GET_CLASS (e), &n);

  for (guint i = 0; i < n; i++) {
    const char *blurb = g_param_spec_get_blurb (specs[i]);
    if (specs[i]->owner_type != G_OBJECT_TYPE (e))
      continue; /* inherited from GstObject/GstBaseSink/...: documented there */
    fail_unless (blurb != NULL && strlen (blurb) >= 12, "%s:%s has no real description", name, specs[i]->name);
    fail_unless (g_strcmp0 (blurb, g_param_spec_get_nick (specs[i])) != 0, "%s:%s blurb repeats the nick", name,
                 specs[i]->name);
  }
  g_free (specs);
  gst_object_unref (e);
}
GST_END_TEST;

static Suite *
plugin_suite (void)
{
  Suite *s = suite_create ("plugin");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_registered);
  tcase_add_loop_test (tc, test_states, 0, G_N_ELEMENTS (element_names));
  tcase_add_loop_test (tc, test_properties_documented, 0, G_N_ELEMENTS (element_names));
  return s;
}

GST_CHECK_MAIN (plugin);
