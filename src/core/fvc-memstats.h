/* fvc-memstats.h — memory figures of this process (Linux /proc/self/status): resident, virtual
 * and peak resident set size. The driver samples them at stage boundaries. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint64 rss_bytes;       /* VmRSS */
  guint64 vms_bytes;       /* VmSize */
  guint64 peak_rss_bytes;  /* VmHWM */
} FvcMemSample;

/* FALSE when /proc is not readable (the sample is then zeroed). */
gboolean fvc_memstats_sample (FvcMemSample *out);

G_END_DECLS
