/* fvc-error.h — the one GError domain of libfvc and its codes.
 * Runtime errors in libfvc are reported as gboolean + GError ** (last argument); the library never
 * prints and never exits. Messages are one line, name the file (and line) and the reason. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FVC_ERROR (fvc_error_quark ())
GQuark fvc_error_quark (void);

typedef enum {
  FVC_ERROR_FAILED,       /* anything not covered below */
  FVC_ERROR_IO,           /* open/read/write/rename/fsync failed */
  FVC_ERROR_PARSE,        /* malformed input: CSV row, INI, JSON, safetensors header */
  FVC_ERROR_INVALID,      /* a value out of range or inconsistent with others */
  FVC_ERROR_DUPLICATE,    /* the same key twice (video path in an index) */
  FVC_ERROR_MISMATCH,     /* a cache or checkpoint made with other settings */
  FVC_ERROR_TOO_SHORT,    /* a video with fewer decodable frames than requested */
  FVC_ERROR_MEDIA,        /* undecodable, no video stream, wrong codec */
  FVC_ERROR_UNSUPPORTED,  /* a feature this build or this input does not have */
  FVC_ERROR_DEVICE,       /* a CUDA/cuDNN/cuBLAS call failed */
  FVC_ERROR_CANCELLED,    /* stopped on request */
  FVC_ERROR_PARTIAL,      /* the job finished but some inputs failed (exit code 3) */
} FvcErrorCode;

G_END_DECLS
