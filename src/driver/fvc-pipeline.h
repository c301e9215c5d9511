/* fvc-pipeline.h — pipeline templates for the driver: find a template (pipelines/NAME.pipeline),
 * fill its ${name} placeholders, launch it, and run pipelines with their bus messages delivered
 * to callbacks on the main loop. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* The template text of pipelines/@name.pipeline, from $FVC_PIPELINES_DIR, the installed data
 * directory, or the source tree. (transfer full) */
char *fvc_pipeline_load_template (const char *name, GError **error);
/* Drops '#' comment lines, joins lines and replaces ${key} by vars[key] (inserted verbatim:
 * quote string values with fvc_pipeline_quote()). A placeholder without a value is an error. */
char *fvc_pipeline_fill (const char *template_text, GHashTable *vars, GError **error);
/* A gst-launch string literal: "..." with \ and " escaped. (transfer full) */
char *fvc_pipeline_quote (const char *value);
/* Loads, fills and parses; errors name the template. (transfer floating→full: a GstPipeline) */
GstElement *fvc_pipeline_launch (const char *name, GHashTable *vars, GError **error);
/* The same from template text already loaded (by fvc_pipeline_load_template (@name)). */
GstElement *fvc_pipeline_launch_text (const char *name, const char *template_text, GHashTable *vars, GError **error);

/* Fails with a hint when GStreamer cannot find the plugin "fvc" (not installed, and
 * GST_PLUGIN_PATH not pointing at a build). */
gboolean fvc_pipeline_check_plugin (GError **error);

/* The decoder factory (video or image) with the highest rank whose sink template takes @caps_string
 * as it is (or, when none does, one that intersects it), identity for raw video, or NULL. */
GstElementFactory *fvc_pipeline_find_decoder (const char *caps_string);

typedef struct _FvcPipelineRun FvcPipelineRun;

/* Called on the main loop for every element message of the pipeline. */
typedef void (*FvcPipelineMessageFunc) (FvcPipelineRun *run, GstMessage *message, gpointer user_data);
/* Called once on the main loop when the pipeline reached EOS (@error NULL) or failed (@error
 * from the ERROR message, GStreamer's domain and code kept; FVC_ERROR_CANCELLED when cancelled). */
typedef void (*FvcPipelineDoneFunc) (FvcPipelineRun *run, const GError *error, gpointer user_data);

/* Sets @pipeline to PLAYING and watches its bus on the thread-default main context. Takes
 * ownership of @pipeline. The run is freed after @done returns. */
FvcPipelineRun *fvc_pipeline_run_start (GstElement *pipeline, FvcPipelineMessageFunc on_message,
                                        FvcPipelineDoneFunc done, gpointer user_data);
GstElement *fvc_pipeline_run_get_pipeline (FvcPipelineRun *run);
/* Stops a run early (state NULL); @done is called with a FVC_ERROR_CANCELLED error. */
void fvc_pipeline_run_cancel (FvcPipelineRun *run);

/* Runs @pipeline to completion on a private main loop. Element messages go to @on_message. */
gboolean fvc_pipeline_run_sync (GstElement *pipeline, FvcPipelineMessageFunc on_message, gpointer user_data,
                                GError **error);

G_END_DECLS
