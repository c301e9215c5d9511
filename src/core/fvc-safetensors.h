/* fvc-safetensors.h — reader and writer for the safetensors format, used for clip files and
 * model checkpoints. Not a general tensor library: it moves bytes and shapes, nothing more.
 *
 * Format (https://huggingface.co/docs/safetensors, as written and checked here):
 *
 *   offset 0  u64 little-endian N: length of the JSON header in bytes
 *   offset 8  N bytes of UTF-8 JSON, an object:
 *               "__metadata__": { "key": "string value", ... }        (optional, strings only)
 *               "<tensor name>": { "dtype": "U8"|"F32"|..., "shape": [d0, d1, ...],
 *                                  "data_offsets": [begin, end] }      (one per tensor)
 *             The writer pads the header with spaces to a multiple of 8 bytes, keeps the
 *             metadata keys in insertion order and the tensors in insertion order, and lays the
 *             tensor data out back to back in that order, so equal inputs give equal bytes.
 *   offset 8+N  the data section: tensor bytes, little-endian, row-major (C order).
 *
 * The reader validates everything before anything is used: N against the file size, the JSON,
 * every dtype, shape and offset pair (end - begin == product(shape) * itemsize, in bounds, no
 * overlap, the data section fully covered), and refuses the file with a one-line message naming it.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  FVC_DTYPE_U8,
  FVC_DTYPE_I8,
  FVC_DTYPE_I32,
  FVC_DTYPE_I64,
  FVC_DTYPE_F16,
  FVC_DTYPE_BF16,
  FVC_DTYPE_F32,
  FVC_DTYPE_F64,
} FvcDType;

#define FVC_SAFETENSORS_MAX_DIMS 8
/* Headers beyond this are refused: no clip or checkpoint of ours comes near it, and it bounds
 * what a corrupt length field can make us allocate. */
#define FVC_SAFETENSORS_MAX_HEADER (16 * 1024 * 1024)

const char *fvc_dtype_name (FvcDType dtype);
gsize fvc_dtype_size (FvcDType dtype);
gboolean fvc_dtype_from_name (const char *name, FvcDType *out);

typedef struct {
  const char *name;        /* borrowed from the file object */
  FvcDType dtype;
  guint n_dims;
  gint64 shape[FVC_SAFETENSORS_MAX_DIMS];
  gconstpointer data;      /* borrowed: points into the mapped file */
  gsize n_bytes;
} FvcTensorView;

/* ---- reading ------------------------------------------------------------------------------ */

typedef struct _FvcSafetensors FvcSafetensors;

/* Maps the file read-only and validates it. (transfer full) */
FvcSafetensors *fvc_safetensors_open (const char *path, GError **error);
/* Validates a file already in memory; @label names it in error messages. (transfer full) */
FvcSafetensors *fvc_safetensors_new_from_bytes (GBytes *bytes, const char *label, GError **error);
void fvc_safetensors_free (FvcSafetensors *st);

const char *fvc_safetensors_get_label (const FvcSafetensors *st);
/* NULL when absent. (transfer none) */
const char *fvc_safetensors_get_metadata (const FvcSafetensors *st, const char *key);
guint fvc_safetensors_get_n_tensors (const FvcSafetensors *st);
/* In file order. (transfer none) */
const FvcTensorView *fvc_safetensors_get_tensor_nth (const FvcSafetensors *st, guint i);
/* NULL when absent. (transfer none) */
const FvcTensorView *fvc_safetensors_get_tensor (const FvcSafetensors *st, const char *name);
/* Looks up @name and checks its dtype and shape (shape entries < 0 match anything). */
const FvcTensorView *fvc_safetensors_expect_tensor (const FvcSafetensors *st, const char *name,
                                                    FvcDType dtype, guint n_dims,
                                                    const gint64 *shape, GError **error);

/* ---- writing ------------------------------------------------------------------------------ */

typedef struct _FvcSafetensorsWriter FvcSafetensorsWriter;

FvcSafetensorsWriter *fvc_safetensors_writer_new (void);
void fvc_safetensors_writer_free (FvcSafetensorsWriter *w);
/* Keys keep insertion order; setting a key twice replaces its value in place. */
void fvc_safetensors_writer_set_metadata (FvcSafetensorsWriter *w, const char *key, const char *value);
/* @data is borrowed and must stay valid until the writer is written or freed. */
void fvc_safetensors_writer_add_tensor (FvcSafetensorsWriter *w, const char *name, FvcDType dtype,
                                        guint n_dims, const gint64 *shape, gconstpointer data);
/* The serialised header (length prefix + padded JSON). (transfer full) */
GBytes *fvc_safetensors_writer_build_header (FvcSafetensorsWriter *w);
/* Writes to @path through a temporary file in the same directory, fsync, rename, so that @path
 * holds either the old content or the whole new file, never a part. */
gboolean fvc_safetensors_writer_write_file (FvcSafetensorsWriter *w, const char *path, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FvcSafetensors, fvc_safetensors_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FvcSafetensorsWriter, fvc_safetensors_writer_free)

G_END_DECLS
