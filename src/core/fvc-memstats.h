/* fvc-memstats.h — memory figures of this process: resident, virtual and peak resident set size
 * (Linux /proc/self/status), the memory of a GPU backend when one is in use, and live counts of
 * the things that hold memory here (pipelines, clip buffers, tensors, models). The driver samples
 * them at stage boundaries (`--memstats`).
 *
 * Live counters are process-wide: libfvc is linked statically into both the driver and the
 * plugin, so the counters live in one place GLib shares between the copies (the class structure
 * of a GType registered once by name), and a count made inside an element is seen by the driver.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  FVC_LIVE_PIPELINES,      /* pipelines alive (extraction, training, evaluation) */
  FVC_LIVE_CLIPS,          /* clip buffers (application/x-fvc-clip) alive */
  FVC_LIVE_CLIP_BYTES,     /* their bytes */
  FVC_LIVE_TENSORS,        /* tensors carved from allocated arenas */
  FVC_LIVE_TENSOR_BYTES,   /* bytes of allocated arenas, host or device */
  FVC_LIVE_MODELS,         /* model instances */
  FVC_LIVE_DEVICE_BYTES,   /* bytes held on a GPU by backends (0 on the CPU backend) */
  FVC_LIVE_N_COUNTERS
} FvcLiveCounter;

/* Adds @delta (may be negative) to a counter; thread-safe, lock-free. */
void fvc_live_add (FvcLiveCounter counter, gint64 delta);
gint64 fvc_live_get (FvcLiveCounter counter);
/* The highest value the counter has had. */
gint64 fvc_live_get_peak (FvcLiveCounter counter);
/* "pipelines", "clips", "clip_bytes", "tensors", "tensor_bytes", "models", "device_bytes":
 * also the memstats.csv column names. */
const char *fvc_live_counter_name (FvcLiveCounter counter);

/* GPU backends register how to ask the device for its memory (cudaMemGetInfo and the backend's
 * own stats); the driver then reports it. Returns FALSE when the device cannot say now. */
typedef gboolean (*FvcDeviceMemFunc) (guint64 *used_bytes, guint64 *total_bytes, gpointer user_data);
/* One provider per process (a later call replaces it); @func NULL unregisters. @name: "cuda:0". */
void fvc_memstats_set_device_provider (const char *name, FvcDeviceMemFunc func, gpointer user_data);

typedef struct {
  guint64 rss_bytes;       /* VmRSS */
  guint64 vms_bytes;       /* VmSize */
  guint64 peak_rss_bytes;  /* VmHWM */
  gboolean has_device;     /* a device provider answered */
  char device_name[32];
  guint64 device_used_bytes;
  guint64 device_total_bytes;
  gint64 live[FVC_LIVE_N_COUNTERS];
} FvcMemSample;

/* FALSE when /proc is not readable (those fields are then zero; the rest is filled). */
gboolean fvc_memstats_sample (FvcMemSample *out);

G_END_DECLS
