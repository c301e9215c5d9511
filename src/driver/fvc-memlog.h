/* fvc-memlog.h — `--memstats` of the driver: samples the process's memory (fvc-memstats.h) at
 * the run's stage boundaries and writes each sample as a log line and a memstats.csv row:
 *
 *   elapsed_s,stage,detail,rss_bytes,vms_bytes,peak_rss_bytes,device,device_used_bytes,
 *   device_total_bytes,pipelines,clips,clip_bytes,tensors,tensor_bytes,models,device_bytes
 *
 * It also makes the live counts it reports mean something: every pipeline it is shown is
 * counted while alive, and every clip buffer leaving an fvcclip or fvcclipsrc is counted (with
 * its bytes) until the buffer is freed.
 */
#pragma once

#include "fvc-config.h"

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _FvcMemlog FvcMemlog;

/* @csv_path: memstats.csv (NULL: log lines only). Mode OFF gives NULL, which every function
 * below accepts and ignores. */
FvcMemlog *fvc_memlog_new (FvcMemstatsMode mode, const char *csv_path, GError **error);
void fvc_memlog_free (FvcMemlog *ml);
gboolean fvc_memlog_is_detailed (const FvcMemlog *ml);

/* One sample: a log line and a CSV row. @detail may be NULL ("fold 2 naive_cnn"). */
void fvc_memlog_mark (FvcMemlog *ml, const char *stage, const char *detail);
/* A sample only in detailed mode. */
void fvc_memlog_mark_detailed (FvcMemlog *ml, const char *stage, const char *detail);
/* Counts @pipeline while it lives and the clip buffers its clip elements output. */
void fvc_memlog_watch_pipeline (FvcMemlog *ml, GstElement *pipeline);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FvcMemlog, fvc_memlog_free)

G_END_DECLS
