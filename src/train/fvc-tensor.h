/* fvc-tensor.h — tensors and arenas of the training core.
 *
 * A tensor is a view: a name, the device its bytes live on, a dtype, a logical shape, and a
 * pointer into an arena. It never owns memory. Activations may be stored in a layout the backend
 * chose for speed (oneDNN's blocked nCdhw8c on the CPU); `layout` is then the backend's
 * description of it and `nbytes` may exceed numel * itemsize (channel padding). NULL layout means
 * plain row-major (C order) over `shape`.
 *
 * An arena is one device allocation carved into named tensors, 64-byte aligned, in the order
 * they were added. Parameters, gradients and optimizer state are each one arena, so the
 * optimizer runs over a single flat range and a checkpoint is a walk over the names. The
 * alignment gaps are zero and stay zero under every optimizer update.
 */
#pragma once

#include <glib.h>

#include "fvc-safetensors.h"

G_BEGIN_DECLS

typedef enum {
  FVC_DEVICE_CPU,
  FVC_DEVICE_CUDA,
} FvcDevice;

const char *fvc_device_name (FvcDevice device);
/* "cpu" or "cuda". */
gboolean fvc_device_from_name (const char *name, FvcDevice *out);

#define FVC_TENSOR_MAX_DIMS 5
#define FVC_ARENA_ALIGN 64

/* Backend-private description of a non-plain activation layout. */
typedef struct _FvcLayout FvcLayout;
typedef struct _FvcBackend FvcBackend;

typedef struct {
  const char *name;          /* PyTorch name for parameters ("c1.weight"); static or arena-owned */
  FvcDevice device;
  FvcDType dtype;            /* F32 here; BF16 on CUDA later */
  guint n_dims;
  gint64 shape[FVC_TENSOR_MAX_DIMS];
  gsize numel;               /* product of shape */
  gsize nbytes;              /* storage, >= numel * itemsize */
  const FvcLayout *layout;   /* NULL: plain row-major */
  gpointer data;             /* device pointer (host pointer on the CPU backend) */
} FvcTensor;

/* Fills @t's shape, numel, nbytes (plain), with data = NULL. */
void fvc_tensor_init (FvcTensor *t, const char *name, FvcDevice device, FvcDType dtype,
                      guint n_dims, const gint64 *shape);
/* "[4, 3, 6, 112, 112]" (transfer full) */
char *fvc_tensor_shape_string (const FvcTensor *t);

/* ---- arenas ------------------------------------------------------------------------------- */

typedef struct {
  FvcBackend *backend;       /* borrowed; allocates and frees the block */
  char *label;               /* "parameters", "gradients", ... for messages */
  GPtrArray *tensors;        /* FvcTensor*, owned, in insertion order */
  GHashTable *by_name;       /* name -> FvcTensor* */
  gpointer base;             /* the one allocation, NULL until fvc_arena_allocate */
  gsize size;                /* bytes (multiple of FVC_ARENA_ALIGN) */
} FvcArena;

FvcArena *fvc_arena_new (FvcBackend *backend, const char *label);
void fvc_arena_free (FvcArena *arena);
/* Declares a plain tensor of @nbytes (0: numel * itemsize). The name is copied. Only before
 * fvc_arena_allocate(). (transfer none: owned by the arena) */
FvcTensor *fvc_arena_add (FvcArena *arena, const char *name, FvcDType dtype, guint n_dims,
                          const gint64 *shape, gsize nbytes);
/* Declares a tensor with the names and shapes of every tensor of @like, prefixed. */
void fvc_arena_add_like (FvcArena *arena, const FvcArena *like, const char *prefix);
/* One zeroed device allocation; sets every tensor's data pointer. */
gboolean fvc_arena_allocate (FvcArena *arena, GError **error);
/* NULL when absent. */
FvcTensor *fvc_arena_lookup (const FvcArena *arena, const char *name);
guint fvc_arena_get_n_tensors (const FvcArena *arena);
FvcTensor *fvc_arena_get_nth (const FvcArena *arena, guint i);
/* Sum of numel over the tensors (not counting alignment gaps). */
gsize fvc_arena_get_numel (const FvcArena *arena);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FvcArena, fvc_arena_free)

G_END_DECLS
