/* fvc-pipeline.c — template lookup/filling, decoder lookup, and running pipelines with their bus
 * messages on a main loop (see fvc-pipeline.h). The driver builds every pipeline through here. */
#include "config.h"
#include "fvc-pipeline.h"
#include "fvc-error.h"

#include <string.h>

char *
fvc_pipeline_load_template (const char *name, GError **error)
{
  const char *dirs[] = { g_getenv ("FVC_PIPELINES_DIR"), FVC_PIPELINES_DIR, FVC_SOURCE_PIPELINES_DIR };
  g_autofree char *file = g_strconcat (name, ".pipeline", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++) {
    g_autofree char *path = NULL;
    char *text = NULL;
    if (dirs[i] == NULL || *dirs[i] == '\0')
      continue;
    path = g_build_filename (dirs[i], file, NULL);
    if (g_file_get_contents (path, &text, NULL, NULL))
      return text;
  }
  g_set_error (error, FVC_ERROR, FVC_ERROR_IO,
               "pipeline template %s not found (looked in $FVC_PIPELINES_DIR, %s, %s)", file, FVC_PIPELINES_DIR,
               FVC_SOURCE_PIPELINES_DIR);
  return NULL;
}

char *
fvc_pipeline_quote (const char *value)
{
  GString *s = g_string_new ("\"");
  for (const char *p = value; *p; p++) {
    if (*p == '"' || *p == '\\')
      g_string_append_c (s, '\\');
    g_string_append_c (s, *p);
  }
  g_string_append_c (s, '"');
  return g_string_free (s, FALSE);
}

char *
fvc_pipeline_fill (const char *template_text, GHashTable *vars, GError **error)
{
  g_auto (GStrv) lines = g_strsplit (template_text, "\n", -1);
  g_autoptr (GString) joined = g_string_new (NULL);
  g_autoptr (GString) out = g_string_new (NULL);
  const char *p;

  for (guint i = 0; lines[i] != NULL; i++) {
    const char *l = lines[i];
    while (*l == ' ' || *l == '\t')
      l++;
    if (*l == '#' || *l == '\0')
      continue;
    if (joined->len)
      g_string_append_c (joined, ' ');
    g_string_append (joined, l);
  }
  for (p = joined->str; *p;) {
    const char *end;
    g_autofree char *key = NULL;
    const char *value;
    if (p[0] != '$' || p[1] != '{') {
      g_string_append_c (out, *p++);
      continue;
    }
    end = strchr (p + 2, '}');
    if (end == NULL) {
      g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE, "pipeline template: unterminated ${ at \"%.20s\"", p);
      return NULL;
    }
    key = g_strndup (p + 2, end - (p + 2));
    value = g_hash_table_lookup (vars, key);
    if (value == NULL) {
      g_set_error (error, FVC_ERROR, FVC_ERROR_INVALID, "pipeline template: no value for ${%s}", key);
      return NULL;
    }
    g_string_append (out, value);
    p = end + 1;
  }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

GstElement *
fvc_pipeline_launch (const char *name, GHashTable *vars, GError **error)
{
  g_autofree char *text = fvc_pipeline_load_template (name, error);

  return text != NULL ? fvc_pipeline_launch_text (name, text, vars, error) : NULL;
}

GstElement *
fvc_pipeline_launch_text (const char *name, const char *template_text, GHashTable *vars, GError **error)
{
  g_autofree char *filled = fvc_pipeline_fill (template_text, vars, error);
  g_autoptr (GError) parse_error = NULL;
  GstElement *pipeline;

  if (filled == NULL)
    return NULL;
  pipeline = gst_parse_launch_full (filled, NULL, GST_PARSE_FLAG_FATAL_ERRORS, &parse_error);
  if (pipeline == NULL) {
    /* One line for the log; the whole filled-in description with G_MESSAGES_DEBUG=fvc-stream. */
    g_debug ("pipeline %s: %s", name, filled);
    g_set_error (error, FVC_ERROR, FVC_ERROR_INVALID, "pipeline %s: %s (pipelines/%s.pipeline as filled in: "
                 "G_MESSAGES_DEBUG=fvc-stream shows it)", name, parse_error->message, name);
    return NULL;
  }
  if (!GST_IS_PIPELINE (pipeline)) {
    GstElement *wrapper = gst_pipeline_new (NULL);
    gst_bin_add (GST_BIN (wrapper), pipeline);
    pipeline = wrapper;
  }
  return gst_object_ref_sink (pipeline);
}

gboolean
fvc_pipeline_check_plugin (GError **error)
{
  g_autoptr (GstPlugin) plugin = gst_registry_find_plugin (gst_registry_get (), "fvc");

  if (plugin == NULL) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_UNSUPPORTED,
                 "the GStreamer plugin \"fvc\" was not found: run `meson install -C build`, or run from a build with "
                 "`meson devenv -C build fvc-stream ...` (or GST_PLUGIN_PATH=<build>/elements)");
    return FALSE;
  }
  return TRUE;
}

GstElementFactory *
fvc_pipeline_find_decoder (const char *caps_string)
{
  g_autoptr (GstCaps) caps = gst_caps_from_string (caps_string);
  GList *all, *matching;
  GstElementFactory *best = NULL;

  if (caps == NULL)
    return NULL;
  /* Raw video (uncompressed AVI/MOV) needs no decoder: identity stands in its place. */
  if (gst_caps_get_size (caps) > 0 && gst_structure_has_name (gst_caps_get_structure (caps, 0), "video/x-raw"))
    return gst_element_factory_find ("identity");
  /* Image decoders too: Motion JPEG is image/jpeg, and jpegdec is the one that takes it unparsed
   * (parsebin plugs no jpegparse, rank none; avdec_mjpeg wants parsed=true). */
  all = gst_element_factory_list_get_elements (GST_ELEMENT_FACTORY_TYPE_DECODER | GST_ELEMENT_FACTORY_TYPE_MEDIA_VIDEO |
                                               GST_ELEMENT_FACTORY_TYPE_MEDIA_IMAGE, GST_RANK_MARGINAL);
  /* Decoders whose sink template takes the stream's caps as they are first: a template field the
   * caps lack (vp8alphadecodebin's codec-alpha=true, avdec_mjpeg's parsed=true) would make the
   * intersection non-empty but negotiation fail. Any intersecting one only when none does. */
  matching = gst_element_factory_list_filter (all, caps, GST_PAD_SINK, TRUE);
  if (matching == NULL)
    matching = gst_element_factory_list_filter (all, caps, GST_PAD_SINK, FALSE);
  matching = g_list_sort (matching, gst_plugin_feature_rank_compare_func);
  if (matching != NULL)
    best = gst_object_ref (matching->data);
  gst_plugin_feature_list_free (matching);
  gst_plugin_feature_list_free (all);
  return best;
}

/* ---- running --------------------------------------------------------------------------------- */

struct _FvcPipelineRun {
  GstElement *pipeline;
  guint watch_id;
  FvcPipelineMessageFunc on_message;
  FvcPipelineDoneFunc done;
  gpointer user_data;
  gboolean finished;
};

static void
run_finish (FvcPipelineRun *run, GError *error)
{
  if (run->finished)
    return;
  run->finished = TRUE;
  gst_element_set_state (run->pipeline, GST_STATE_NULL);
  if (run->watch_id) {
    g_source_remove (run->watch_id);
    run->watch_id = 0;
  }
  run->done (run, error, run->user_data);
  gst_object_unref (run->pipeline);
  g_free (run);
}

static gboolean
on_bus_message (GstBus *bus, GstMessage *msg, gpointer user_data)
{
  FvcPipelineRun *run = user_data;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ELEMENT:
      if (run->on_message)
        run->on_message (run, msg, run->user_data);
      break;
    case GST_MESSAGE_EOS:
      run->watch_id = 0;
      run_finish (run, NULL);
      return G_SOURCE_REMOVE;
    case GST_MESSAGE_ERROR: {
      g_autoptr (GError) gerr = NULL;
      g_autofree char *debug = NULL;
      g_autoptr (GError) error = NULL;
      gst_message_parse_error (msg, &gerr, &debug);
      /* Our elements write complete sentences; a generic GStreamer one gets its element named. */
      /* The domain and code stay GStreamer's (callers tell decode errors apart). */
      if (g_str_has_prefix (gerr->message, "Internal data stream error")) {
        /* The debug text says why the streaming thread stopped ("..., reason not-negotiated (-4)"). */
        const char *reason = debug ? strstr (debug, "reason ") : NULL;
        g_autofree char *why = reason ? g_strndup (reason + 7, strcspn (reason + 7, " (\n")) : NULL;
        error = g_error_new (gerr->domain, gerr->code, "%s (%s%s%s%s)", gerr->message,
                             GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), why ? ": " : "", why ? why : "",
                             why && g_str_equal (why, "not-negotiated") ? ", no format both elements accept" : "");
      } else
        error = g_error_new_literal (gerr->domain, gerr->code, gerr->message);
      run->watch_id = 0;
      run_finish (run, error);
      return G_SOURCE_REMOVE;
    }
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

FvcPipelineRun *
fvc_pipeline_run_start (GstElement *pipeline, FvcPipelineMessageFunc on_message, FvcPipelineDoneFunc done,
                        gpointer user_data)
{
  FvcPipelineRun *run = g_new0 (FvcPipelineRun, 1);
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);

  run->pipeline = pipeline;
  run->on_message = on_message;
  run->done = done;
  run->user_data = user_data;
  run->watch_id = gst_bus_add_watch (bus, on_bus_message, run);
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    /* The ERROR message explaining why is on the bus; let the watch report it. If none comes,
     * the state change itself failed without one. */
    g_autoptr (GstMessage) msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    if (msg != NULL) {
      on_bus_message (bus, msg, run);
    } else {
      g_autoptr (GError) error = g_error_new_literal (FVC_ERROR, FVC_ERROR_MEDIA, "the pipeline failed to start");
      run_finish (run, error);
    }
    return NULL;
  }
  return run;
}

GstElement *
fvc_pipeline_run_get_pipeline (FvcPipelineRun *run)
{
  return run->pipeline;
}

void
fvc_pipeline_run_cancel (FvcPipelineRun *run)
{
  g_autoptr (GError) error = g_error_new_literal (FVC_ERROR, FVC_ERROR_CANCELLED, "cancelled");
  run_finish (run, error);
}

typedef struct {
  GMainLoop *loop;
  gboolean done;
  GError *error;
  FvcPipelineMessageFunc on_message;
  gpointer user_data;
} SyncRun;

static void
sync_message (FvcPipelineRun *run, GstMessage *msg, gpointer user_data)
{
  SyncRun *s = user_data;
  if (s->on_message)
    s->on_message (run, msg, s->user_data);
}

static void
sync_done (FvcPipelineRun *run, const GError *error, gpointer user_data)
{
  SyncRun *s = user_data;
  if (error)
    s->error = g_error_copy (error);
  s->done = TRUE;
  g_main_loop_quit (s->loop);
}

gboolean
fvc_pipeline_run_sync (GstElement *pipeline, FvcPipelineMessageFunc on_message, gpointer user_data, GError **error)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  SyncRun s = { 0 };

  g_main_context_push_thread_default (ctx);
  s.loop = g_main_loop_new (ctx, FALSE);
  s.on_message = on_message;
  s.user_data = user_data;
  fvc_pipeline_run_start (pipeline, sync_message, sync_done, &s);
  if (!s.done)
    g_main_loop_run (s.loop);
  g_main_loop_unref (s.loop);
  g_main_context_pop_thread_default (ctx);
  if (s.error) {
    g_propagate_error (error, s.error);
    return FALSE;
  }
  return TRUE;
}
