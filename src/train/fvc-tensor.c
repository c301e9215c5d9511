/* fvc-tensor.c — tensor views and arenas (one device allocation carved into named tensors).
 * No arithmetic here: the backends do that. */
#include "fvc-tensor.h"
#include "fvc-backend.h"
#include "fvc-error.h"
#include "fvc-memstats.h"

#include <string.h>

const char *
fvc_device_name (FvcDevice device)
{
  return device == FVC_DEVICE_CUDA ? "cuda" : "cpu";
}

gboolean
fvc_device_from_name (const char *name, FvcDevice *out)
{
  if (g_strcmp0 (name, "cpu") == 0)
    *out = FVC_DEVICE_CPU;
  else if (g_strcmp0 (name, "cuda") == 0)
    *out = FVC_DEVICE_CUDA;
  else
    return FALSE;
  return TRUE;
}

void
fvc_tensor_init (FvcTensor *t, const char *name, FvcDevice device, FvcDType dtype, guint n_dims,
                 const gint64 *shape)
{
  g_return_if_fail (n_dims <= FVC_TENSOR_MAX_DIMS);
  memset (t, 0, sizeof *t);
  t->name = name;
  t->device = device;
  t->dtype = dtype;
  t->n_dims = n_dims;
  t->numel = 1;
  for (guint i = 0; i < n_dims; i++) {
    t->shape[i] = shape[i];
    t->numel *= (gsize) shape[i];
  }
  t->nbytes = t->numel * fvc_dtype_size (dtype);
}

char *
fvc_tensor_shape_string (const FvcTensor *t)
{
  GString *s = g_string_new ("[");
  for (guint i = 0; i < t->n_dims; i++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i ? ", " : "", t->shape[i]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

/* ---- arenas ------------------------------------------------------------------------------- */

typedef struct {
  FvcTensor t;
  char *name;     /* owned copy, t.name points at it */
  gsize offset;
} ArenaEntry;

static void
arena_entry_free (gpointer p)
{
  ArenaEntry *e = p;
  g_free (e->name);
  g_free (e);
}

FvcArena *
fvc_arena_new (FvcBackend *backend, const char *label)
{
  FvcArena *a = g_new0 (FvcArena, 1);
  a->backend = backend;
  a->label = g_strdup (label);
  a->tensors = g_ptr_array_new_with_free_func (arena_entry_free);
  a->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  return a;
}

void
fvc_arena_free (FvcArena *arena)
{
  if (arena == NULL)
    return;
  if (arena->base != NULL) {
    arena->backend->free (arena->backend, arena->base);
    fvc_live_add (FVC_LIVE_TENSORS, -(gint64) arena->tensors->len);
    fvc_live_add (FVC_LIVE_TENSOR_BYTES, -(gint64) arena->size);
    if (arena->backend->device != FVC_DEVICE_CPU)
      fvc_live_add (FVC_LIVE_DEVICE_BYTES, -(gint64) arena->size);
  }
  g_hash_table_unref (arena->by_name);
  g_ptr_array_unref (arena->tensors);
  g_free (arena->label);
  g_free (arena);
}

FvcTensor *
fvc_arena_add (FvcArena *arena, const char *name, FvcDType dtype, guint n_dims, const gint64 *shape,
               gsize nbytes)
{
  ArenaEntry *e;

  g_return_val_if_fail (arena->base == NULL, NULL);
  g_return_val_if_fail (g_hash_table_lookup (arena->by_name, name) == NULL, NULL);
  e = g_new0 (ArenaEntry, 1);
  e->name = g_strdup (name);
  fvc_tensor_init (&e->t, e->name, arena->backend->device, dtype, n_dims, shape);
  if (nbytes > e->t.nbytes)
    e->t.nbytes = nbytes;
  e->offset = arena->size;
  arena->size += (e->t.nbytes + FVC_ARENA_ALIGN - 1) / FVC_ARENA_ALIGN * FVC_ARENA_ALIGN;
  g_ptr_array_add (arena->tensors, e);
  g_hash_table_insert (arena->by_name, e->name, e);
  return &e->t;
}

void
fvc_arena_add_like (FvcArena *arena, const FvcArena *like, const char *prefix)
{
  for (guint i = 0; i < like->tensors->len; i++) {
    const FvcTensor *t = &((ArenaEntry *) like->tensors->pdata[i])->t;
    g_autofree char *name = g_strconcat (prefix, t->name, NULL);
    fvc_arena_add (arena, name, t->dtype, t->n_dims, t->shape, t->nbytes);
  }
}

gboolean
fvc_arena_allocate (FvcArena *arena, GError **error)
{
  g_return_val_if_fail (arena->base == NULL, FALSE);
  arena->base = arena->backend->alloc (arena->backend, MAX (arena->size, FVC_ARENA_ALIGN), error);
  if (arena->base == NULL) {
    g_prefix_error (error, "%s arena (%" G_GSIZE_FORMAT " bytes): ", arena->label, arena->size);
    return FALSE;
  }
  for (guint i = 0; i < arena->tensors->len; i++) {
    ArenaEntry *e = arena->tensors->pdata[i];
    e->t.data = (guint8 *) arena->base + e->offset;
  }
  /* Live counts for --memstats (fvc-memstats.h). */
  fvc_live_add (FVC_LIVE_TENSORS, arena->tensors->len);
  fvc_live_add (FVC_LIVE_TENSOR_BYTES, arena->size);
  if (arena->backend->device != FVC_DEVICE_CPU)
    fvc_live_add (FVC_LIVE_DEVICE_BYTES, arena->size);
  return TRUE;
}

FvcTensor *
fvc_arena_lookup (const FvcArena *arena, const char *name)
{
  ArenaEntry *e = g_hash_table_lookup (arena->by_name, name);
  return e ? &e->t : NULL;
}

guint
fvc_arena_get_n_tensors (const FvcArena *arena)
{
  return arena->tensors->len;
}

FvcTensor *
fvc_arena_get_nth (const FvcArena *arena, guint i)
{
  g_return_val_if_fail (i < arena->tensors->len, NULL);
  return &((ArenaEntry *) arena->tensors->pdata[i])->t;
}

gsize
fvc_arena_get_numel (const FvcArena *arena)
{
  gsize n = 0;
  for (guint i = 0; i < arena->tensors->len; i++)
    n += ((ArenaEntry *) arena->tensors->pdata[i])->t.numel;
  return n;
}
