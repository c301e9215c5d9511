/* fvc-memlog.c — memory samples at stage boundaries into the log and memstats.csv, and the
 * probes that count pipelines and clip buffers (see fvc-memlog.h). */
#include "fvc-memlog.h"
#include "fvc-cli.h"
#include "fvc-csv.h"
#include "fvc-error.h"
#include "fvc-memstats.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct _FvcMemlog {
  FvcMemstatsMode mode;
  FILE *csv;
  gint64 t0;
  GMutex lock;
};

FvcMemlog *
fvc_memlog_new (FvcMemstatsMode mode, const char *csv_path, GError **error)
{
  FvcMemlog *ml;

  if (mode == FVC_MEMSTATS_OFF)
    return NULL;
  ml = g_new0 (FvcMemlog, 1);
  ml->mode = mode;
  ml->t0 = g_get_monotonic_time ();
  g_mutex_init (&ml->lock);
  if (csv_path != NULL) {
    ml->csv = fopen (csv_path, "w");
    if (ml->csv == NULL) {
      g_set_error (error, FVC_ERROR, FVC_ERROR_IO, "%s: cannot create: %s", csv_path, g_strerror (errno));
      fvc_memlog_free (ml);
      return NULL;
    }
    fprintf (ml->csv, "elapsed_s,stage,detail,rss_bytes,vms_bytes,peak_rss_bytes,device,device_used_bytes,"
                      "device_total_bytes");
    for (guint i = 0; i < FVC_LIVE_N_COUNTERS; i++)
      fprintf (ml->csv, ",%s", fvc_live_counter_name (i));
    fputc ('\n', ml->csv);
    fflush (ml->csv);
  }
  return ml;
}

void
fvc_memlog_free (FvcMemlog *ml)
{
  if (ml == NULL)
    return;
  if (ml->csv)
    fclose (ml->csv);
  g_mutex_clear (&ml->lock);
  g_free (ml);
}

gboolean
fvc_memlog_is_detailed (const FvcMemlog *ml)
{
  return ml != NULL && ml->mode == FVC_MEMSTATS_DETAILED;
}

static char *
size_text (guint64 b)
{
  return g_format_size_full (b, G_FORMAT_SIZE_IEC_UNITS);
}

void
fvc_memlog_mark (FvcMemlog *ml, const char *stage, const char *detail)
{
  FvcMemSample s;
  double t;
  g_autofree char *rss = NULL, *vms = NULL, *peak = NULL, *clip_bytes = NULL, *tensor_bytes = NULL;
  g_autofree char *device = NULL;

  if (ml == NULL)
    return;
  fvc_memstats_sample (&s);
  t = (g_get_monotonic_time () - ml->t0) / 1e6;
  rss = size_text (s.rss_bytes);
  vms = size_text (s.vms_bytes);
  peak = size_text (s.peak_rss_bytes);
  clip_bytes = size_text ((guint64) MAX (s.live[FVC_LIVE_CLIP_BYTES], 0));
  tensor_bytes = size_text ((guint64) MAX (s.live[FVC_LIVE_TENSOR_BYTES], 0));
  if (s.has_device) {
    g_autofree char *used = size_text (s.device_used_bytes);
    g_autofree char *total = size_text (s.device_total_bytes);
    device = g_strdup_printf ("; %s %s of %s", s.device_name, used, total);
  }
  fvc_log_info ("memstats [%s%s%s]: RSS %s, VMS %s, peak RSS %s%s; pipelines %" G_GINT64_FORMAT ", clips %" G_GINT64_FORMAT
                " (%s), tensors %" G_GINT64_FORMAT " (%s), models %" G_GINT64_FORMAT, stage, detail ? " " : "",
                detail ? detail : "", rss, vms, peak, device ? device : "", s.live[FVC_LIVE_PIPELINES],
                s.live[FVC_LIVE_CLIPS], clip_bytes, s.live[FVC_LIVE_TENSORS], tensor_bytes, s.live[FVC_LIVE_MODELS]);
  if (ml->csv) {
    /* Fields that can hold any text (stage, detail: a video path, device name) through the
     * project's CSV quoting. */
    g_autoptr (GString) row = g_string_new (NULL);
    g_string_append_printf (row, "%.3f", t);
    fvc_csv_append_field (row, stage, FALSE);
    fvc_csv_append_field (row, detail ? detail : "", FALSE);
    g_string_append_printf (row, ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT,
                            s.rss_bytes, s.vms_bytes, s.peak_rss_bytes);
    fvc_csv_append_field (row, s.has_device ? s.device_name : "", FALSE);
    g_string_append_printf (row, ",%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT, s.device_used_bytes,
                            s.device_total_bytes);
    for (guint i = 0; i < FVC_LIVE_N_COUNTERS; i++)
      g_string_append_printf (row, ",%" G_GINT64_FORMAT, s.live[i]);
    g_string_append_c (row, '\n');
    g_mutex_lock (&ml->lock);
    fputs (row->str, ml->csv);
    fflush (ml->csv);
    g_mutex_unlock (&ml->lock);
  }
}

void
fvc_memlog_mark_detailed (FvcMemlog *ml, const char *stage, const char *detail)
{
  if (fvc_memlog_is_detailed (ml))
    fvc_memlog_mark (ml, stage, detail);
}

/* ---- live counts ------------------------------------------------------------------------------ */

static GQuark
counted_quark (void)
{
  static GQuark q;
  if (q == 0)
    q = g_quark_from_static_string ("fvc-memlog-counted");
  return q;
}

static void
clip_freed (gpointer data, GstMiniObject *obj)
{
  fvc_live_add (FVC_LIVE_CLIPS, -1);
  fvc_live_add (FVC_LIVE_CLIP_BYTES, -(gint64) GPOINTER_TO_SIZE (data));
}

static GstPadProbeReturn
count_clip (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  gsize size;

  /* A pooled buffer comes round again: count it once, until it is really freed. */
  if (buf == NULL || gst_mini_object_get_qdata (GST_MINI_OBJECT (buf), counted_quark ()) != NULL)
    return GST_PAD_PROBE_OK;
  size = gst_buffer_get_size (buf);
  gst_mini_object_set_qdata (GST_MINI_OBJECT (buf), counted_quark (), GINT_TO_POINTER (1), NULL);
  gst_mini_object_weak_ref (GST_MINI_OBJECT (buf), clip_freed, GSIZE_TO_POINTER (size));
  fvc_live_add (FVC_LIVE_CLIPS, 1);
  fvc_live_add (FVC_LIVE_CLIP_BYTES, (gint64) size);
  return GST_PAD_PROBE_OK;
}

static void
pipeline_freed (gpointer data, GObject *obj)
{
  fvc_live_add (FVC_LIVE_PIPELINES, -1);
}

static void
watch_element (const GValue *item, gpointer user_data)
{
  GstElement *e = g_value_get_object (item);
  GstElementFactory *f = gst_element_get_factory (e);
  const char *name = f ? GST_OBJECT_NAME (f) : NULL;

  if (g_strcmp0 (name, "fvcclip") == 0 || g_strcmp0 (name, "fvcclipsrc") == 0) {
    GstPad *src = gst_element_get_static_pad (e, "src");
    if (src) {
      gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, count_clip, NULL, NULL);
      gst_object_unref (src);
    }
  }
}

void
fvc_memlog_watch_pipeline (FvcMemlog *ml, GstElement *pipeline)
{
  GstIterator *it;

  if (ml == NULL)
    return;
  fvc_live_add (FVC_LIVE_PIPELINES, 1);
  g_object_weak_ref (G_OBJECT (pipeline), pipeline_freed, NULL);
  /* The pipeline is not running yet: its elements do not change while we look. */
  it = gst_bin_iterate_recurse (GST_BIN (pipeline));
  gst_iterator_foreach (it, watch_element, NULL);
  gst_iterator_free (it);
}
