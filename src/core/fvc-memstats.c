/* fvc-memstats.c — reads VmRSS/VmSize/VmHWM from /proc/self/status. */
#include "fvc-memstats.h"

#include <stdio.h>
#include <string.h>

gboolean
fvc_memstats_sample (FvcMemSample *out)
{
  FILE *f = fopen ("/proc/self/status", "r");
  char line[256];

  memset (out, 0, sizeof *out);
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
