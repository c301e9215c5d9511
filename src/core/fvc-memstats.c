/* fvc-memstats.c — VmRSS/VmSize/VmHWM from /proc/self/status, the device provider hook and the
 * process-wide live counters (see fvc-memstats.h for why they live in a GType class). */
#include "fvc-memstats.h"

#include <glib-object.h>
#include <stdio.h>
#include <string.h>

/* The shared storage: the class structure of the type "FvcLiveStats", registered by whichever
 * copy of libfvc asks first. Every copy finds it by name; GLib allocates the class once. */
typedef struct {
  GObjectClass parent;
  gint64 value[FVC_LIVE_N_COUNTERS];
  gint64 peak[FVC_LIVE_N_COUNTERS];
  GMutex device_lock;             /* guards the provider fields */
  char device_name[32];
  FvcDeviceMemFunc device_func;
  gpointer device_data;
} LiveStatsClass;

#define LIVE_STATS_TYPE_NAME "FvcLiveStats"

static LiveStatsClass *
live_stats (void)
{
  static LiveStatsClass *klass;

  if (g_once_init_enter (&klass)) {
    static GMutex lock;
    GType type;

    /* Two copies registering at once can only race between the lookup and the registration;
     * the one that loses finds the winner's type on the second lookup. */
    g_mutex_lock (&lock);
    type = g_type_from_name (LIVE_STATS_TYPE_NAME);
    if (type == 0)
      type = g_type_register_static_simple (G_TYPE_OBJECT, LIVE_STATS_TYPE_NAME, sizeof (LiveStatsClass), NULL,
                                            sizeof (GObject), NULL, 0);
    if (type == 0)
      type = g_type_from_name (LIVE_STATS_TYPE_NAME);
    g_mutex_unlock (&lock);
    /* Never unreffed: the counters live as long as the process. */
    g_once_init_leave (&klass, (LiveStatsClass *) g_type_class_ref (type));
  }
  return klass;
}

void
fvc_live_add (FvcLiveCounter counter, gint64 delta)
{
  LiveStatsClass *s = live_stats ();
  gint64 now, peak;

  g_return_if_fail (counter < FVC_LIVE_N_COUNTERS);
  now = __atomic_add_fetch (&s->value[counter], delta, __ATOMIC_RELAXED);
  peak = __atomic_load_n (&s->peak[counter], __ATOMIC_RELAXED);
  while (now > peak && !__atomic_compare_exchange_n (&s->peak[counter], &peak, now, TRUE, __ATOMIC_RELAXED,
                                                     __ATOMIC_RELAXED))
    ;
}

gint64
fvc_live_get (FvcLiveCounter counter)
{
  g_return_val_if_fail (counter < FVC_LIVE_N_COUNTERS, 0);
  return __atomic_load_n (&live_stats ()->value[counter], __ATOMIC_RELAXED);
}

gint64
fvc_live_get_peak (FvcLiveCounter counter)
{
  g_return_val_if_fail (counter < FVC_LIVE_N_COUNTERS, 0);
  return __atomic_load_n (&live_stats ()->peak[counter], __ATOMIC_RELAXED);
}

const char *
fvc_live_counter_name (FvcLiveCounter counter)
{
  static const char *const names[FVC_LIVE_N_COUNTERS] = {
    [FVC_LIVE_PIPELINES] = "pipelines",
    [FVC_LIVE_CLIPS] = "clips",
    [FVC_LIVE_CLIP_BYTES] = "clip_bytes",
    [FVC_LIVE_TENSORS] = "tensors",
    [FVC_LIVE_TENSOR_BYTES] = "tensor_bytes",
    [FVC_LIVE_MODELS] = "models",
    [FVC_LIVE_DEVICE_BYTES] = "device_bytes",
  };
  g_return_val_if_fail (counter < FVC_LIVE_N_COUNTERS, NULL);
  return names[counter];
}

void
fvc_memstats_set_device_provider (const char *name, FvcDeviceMemFunc func, gpointer user_data)
{
  LiveStatsClass *s = live_stats ();

  g_mutex_lock (&s->device_lock);
  g_strlcpy (s->device_name, func && name ? name : "", sizeof s->device_name);
  s->device_func = func;
  s->device_data = user_data;
  g_mutex_unlock (&s->device_lock);
}

gboolean
fvc_memstats_sample (FvcMemSample *out)
{
  LiveStatsClass *s = live_stats ();
  FILE *f;
  char line[256];

  memset (out, 0, sizeof *out);
  for (guint i = 0; i < FVC_LIVE_N_COUNTERS; i++)
    out->live[i] = fvc_live_get (i);

  g_mutex_lock (&s->device_lock);
  if (s->device_func != NULL && s->device_func (&out->device_used_bytes, &out->device_total_bytes, s->device_data)) {
    out->has_device = TRUE;
    g_strlcpy (out->device_name, s->device_name, sizeof out->device_name);
  }
  g_mutex_unlock (&s->device_lock);

  f = fopen ("/proc/self/status", "r");
  if (f == NULL)
    return FALSE;
  while (fgets (line, sizeof line, f) != NULL) {
    unsigned long long kb;
    if (sscanf (line, "VmRSS: %llu kB", &kb) == 1)
      out->rss_bytes = kb * 1024;
    else if (sscanf (line, "VmSize: %llu kB", &kb) == 1)
      out->vms_bytes = kb * 1024;
    else if (sscanf (line, "VmHWM: %llu kB", &kb) == 1)
      out->peak_rss_bytes = kb * 1024;
  }
  fclose (f);
  return TRUE;
}
