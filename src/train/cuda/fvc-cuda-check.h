/* fvc-cuda-check.h — the one check for CUDA, cuBLAS and cuDNN calls:
 *
 *   FVC_CU_TRY (cudaMalloc (&p, bytes));
 *
 * evaluates the call; on failure it sets *error (FVC_ERROR_DEVICE) to
 *   "CUDA: cudaMalloc (&p, bytes) failed: cudaErrorMemoryAllocation: out of memory (fvc-backend-cuda.c:123)"
 * and jumps to the function's `fail:` label. All three libraries return 0 for success; the
 * library (and so the status names) is told by the call's name: cublas*, cudnn*, else CUDA (the
 * runtime, and the kernel launchers of fvc-cuda-kernels.h, which return cudaError_t).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* FALSE and *error set (unless already set) when @status is not 0. */
gboolean fvc_cu_check (int status, const char *call, const char *where, GError **error);

/* cuDNN's status name and the detail of its last failure; in fvc-cudnn.c, the only file that
 * includes cudnn.h. */
const char *fvc_cudnn_status_name (int status);
const char *fvc_cudnn_status_detail (void);

#define FVC_CU_TRY(call)                                                                          \
  G_STMT_START {                                                                                 \
    if (!fvc_cu_check ((int) (call), #call, G_STRLOC, error))                                    \
      goto fail;                                                                                 \
  } G_STMT_END

G_END_DECLS
