/* gpu-util.h — a small harness for the GPU tests (no Check: these programs also run on the lent
 * GPU machine, where only what tests/gpu/prepare-device-bundle.sh carries exists) and helpers to
 * hold one logical tensor on the CPU backend (the reference) and the CUDA backend at once.
 *
 * Every comparison prints one line with the measured error and the tolerance:
 *   ok   conv3d c2 bf16 y: rel 3.1e-03 (max 7.2e-03) <= 2.0e-02
 * where rel = ||gpu - cpu|| / ||cpu|| (Euclidean norms over the tensor) and max = max|gpu - cpu|
 * / max|cpu|. A NaN anywhere fails. GPU outputs are poisoned (all bits set: NaN) before each
 * operation, so an element the GPU never writes fails too.
 */
#pragma once

#include <glib.h>

#include "fvc-backend.h"

G_BEGIN_DECLS

typedef struct {
  const char *name;
  void (*run) (void);
} GpuCase;

/* Runs @cases (all, or those whose name contains argv[1]); 77 without a CUDA device, 1 when a
 * check failed, else 0. */
int gpu_test_main (int argc, char **argv, const char *program, const GpuCase *cases);

/* Marks the running case failed (printf-style reason). */
void gpu_fail (const char *fmt, ...) G_GNUC_PRINTF (1, 2);
gboolean gpu_case_failed (void);
/* Prints an informational line. */
void gpu_note (const char *fmt, ...) G_GNUC_PRINTF (1, 2);

/* Compares @n floats; TRUE when rel <= @tol (see above). */
gboolean gpu_check_close (const char *what, const float *got, const float *want, gsize n, double tol);
/* Bitwise equality of @n floats. */
gboolean gpu_check_equal (const char *what, const float *got, const float *want, gsize n);

/* Ends the current case when @expr is FALSE, printing @error. */
#define GPU_OK(expr)                                                                              \
  G_STMT_START {                                                                                 \
    GError *gpu_err_ = NULL;                                                                     \
    GError **error = &gpu_err_;                                                                  \
    if (!(expr)) {                                                                               \
      gpu_fail ("%s: %s", #expr, gpu_err_ ? gpu_err_->message : "failed");                       \
      g_clear_error (&gpu_err_);                                                                 \
      return;                                                                                    \
    }                                                                                            \
    (void) error;                                                                                \
  } G_STMT_END

/* Seeded uniform floats in [lo, hi). */
void gpu_fill (float *a, gsize n, guint32 seed, double lo, double hi);
/* Seeded bytes (xorshift64*: fast enough for clips of a million bytes). */
void gpu_random_bytes (guint8 *p, gsize n, guint64 seed);
/* Rounds every value to the nearest bf16 (so that bf16 storage loses nothing). */
void gpu_round_bf16 (float *a, gsize n);

/* ---- tensors on both backends ---- */

typedef struct {
  FvcBackend *cpu, *gpu;
  gpointer cpu_scratch, gpu_scratch;
  gsize cpu_scratch_bytes, gpu_scratch_bytes;
} GpuPair;

/* A CPU backend and a CUDA backend in @precision (NULL members and a failed case on error). */
gboolean gpu_pair_init (GpuPair *p, FvcPrecision precision);
void gpu_pair_clear (GpuPair *p);
/* Binds scratch of at least the bytes given on each side. */
void gpu_pair_scratch (GpuPair *p, gsize cpu_bytes, gsize gpu_bytes);

typedef struct {
  FvcTensor c, g;
} GpuTT;

/* Allocates a float tensor of @shape: on the CPU in @cl (NULL plain) with at least @cbytes, on the
 * GPU in @gl with at least @gbytes. */
void gpu_tt_alloc (GpuPair *p, GpuTT *t, const char *name, guint n_dims, const gint64 *shape, const FvcLayout *cl,
                   gsize cbytes, const FvcLayout *gl, gsize gbytes);
void gpu_tt_free (GpuPair *p, GpuTT *t);
/* Both sides from the same plain values. */
gboolean gpu_tt_set (GpuPair *p, GpuTT *t, const float *plain);
/* Plain values of each side (numel floats). */
gboolean gpu_tt_get_cpu (GpuPair *p, const GpuTT *t, float *plain);
gboolean gpu_tt_get_gpu (GpuPair *p, const GpuTT *t, float *plain);
/* Fills the GPU side with all-ones bits (NaN in f32 and bf16). */
void gpu_tt_poison (GpuPair *p, const GpuTT *t);
/* Compares the two sides. */
gboolean gpu_tt_check (GpuPair *p, const GpuTT *t, const char *what, double tol);

/* A raw buffer of @bytes (at least 64) on @be as a 1D U8 tensor (workspaces). */
void gpu_raw_alloc (FvcBackend *be, FvcTensor *t, gsize bytes);
void gpu_raw_free (FvcBackend *be, FvcTensor *t);

/* Any backend: plain values of a device tensor into host memory, and back. */
gboolean gpu_tensor_get (FvcBackend *be, const FvcTensor *t, float *plain, GError **error);
gboolean gpu_tensor_set (FvcBackend *be, FvcTensor *t, const float *plain, GError **error);

G_END_DECLS
