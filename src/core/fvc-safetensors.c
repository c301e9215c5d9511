/* fvc-safetensors.c — safetensors reader (mmap + full validation) and deterministic writer.
 * The format is described at the top of fvc-safetensors.h. */
#include "fvc-safetensors.h"
#include "fvc-error.h"
#include "fvc-fileutil.h"

#include <json-glib/json-glib.h>
#include <string.h>

static const struct {
  FvcDType dtype;
  const char *name;
  gsize size;
} dtype_table[] = {
  { FVC_DTYPE_U8, "U8", 1 },
  { FVC_DTYPE_I8, "I8", 1 },
  { FVC_DTYPE_I32, "I32", 4 },
  { FVC_DTYPE_I64, "I64", 8 },
  { FVC_DTYPE_F16, "F16", 2 },
  { FVC_DTYPE_BF16, "BF16", 2 },
  { FVC_DTYPE_F32, "F32", 4 },
  { FVC_DTYPE_F64, "F64", 8 },
};

const char *
fvc_dtype_name (FvcDType dtype)
{
  for (guint i = 0; i < G_N_ELEMENTS (dtype_table); i++)
    if (dtype_table[i].dtype == dtype)
      return dtype_table[i].name;
  g_return_val_if_reached ("?");
}

gsize
fvc_dtype_size (FvcDType dtype)
{
  for (guint i = 0; i < G_N_ELEMENTS (dtype_table); i++)
    if (dtype_table[i].dtype == dtype)
      return dtype_table[i].size;
  g_return_val_if_reached (0);
}

gboolean
fvc_dtype_from_name (const char *name, FvcDType *out)
{
  for (guint i = 0; i < G_N_ELEMENTS (dtype_table); i++) {
    if (g_strcmp0 (dtype_table[i].name, name) == 0) {
      *out = dtype_table[i].dtype;
      return TRUE;
    }
  }
  return FALSE;
}

/* ---- reader ------------------------------------------------------------------------------- */

struct _FvcSafetensors {
  char *label;
  GMappedFile *mapped;      /* set when opened from a path */
  GBytes *bytes;            /* the whole file */
  GHashTable *metadata;     /* char* -> char* */
  GPtrArray *tensors;       /* FvcTensorView*, in data-offset order */
  GHashTable *by_name;      /* name -> FvcTensorView* (borrowed from tensors) */
};

static void
tensor_view_free (gpointer p)
{
  FvcTensorView *v = p;
  g_free ((char *) v->name);
  g_free (v);
}

void
fvc_safetensors_free (FvcSafetensors *st)
{
  if (st == NULL)
    return;
  g_clear_pointer (&st->by_name, g_hash_table_unref);
  g_clear_pointer (&st->tensors, g_ptr_array_unref);
  g_clear_pointer (&st->metadata, g_hash_table_unref);
  g_clear_pointer (&st->bytes, g_bytes_unref);
  g_clear_pointer (&st->mapped, g_mapped_file_unref);
  g_free (st->label);
  g_free (st);
}

static gint
compare_by_offset (gconstpointer a, gconstpointer b)
{
  const FvcTensorView *ta = *(const FvcTensorView **) a;
  const FvcTensorView *tb = *(const FvcTensorView **) b;
  const guint8 *pa = ta->data, *pb = tb->data;
  if (pa != pb)
    return pa < pb ? -1 : 1;
  /* Zero-sized tensors may share an offset; keep a total order. */
  return (ta->n_bytes > tb->n_bytes) - (ta->n_bytes < tb->n_bytes);
}

static gboolean
parse_error (GError **error, const char *label, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static gboolean
parse_error (GError **error, const char *label, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE, "%s: not a valid safetensors file: %s", label, msg);
  return FALSE;
}

static gboolean
parse_tensor_entry (FvcSafetensors *st, const char *name, JsonNode *node, const guint8 *data,
                    guint64 data_len, GError **error)
{
  JsonObject *obj;
  JsonNode *dtype_node, *shape_node, *offsets_node;
  JsonArray *shape, *offsets;
  FvcTensorView *view;
  guint64 count = 1, begin, end, expected;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return parse_error (error, st->label, "entry \"%s\" is not an object", name);
  obj = json_node_get_object (node);
  dtype_node = json_object_get_member (obj, "dtype");
  shape_node = json_object_get_member (obj, "shape");
  offsets_node = json_object_get_member (obj, "data_offsets");
  if (dtype_node == NULL || json_node_get_value_type (dtype_node) != G_TYPE_STRING)
    return parse_error (error, st->label, "tensor \"%s\" has no dtype string", name);
  if (shape_node == NULL || !JSON_NODE_HOLDS_ARRAY (shape_node))
    return parse_error (error, st->label, "tensor \"%s\" has no shape array", name);
  if (offsets_node == NULL || !JSON_NODE_HOLDS_ARRAY (offsets_node))
    return parse_error (error, st->label, "tensor \"%s\" has no data_offsets array", name);

  view = g_new0 (FvcTensorView, 1);
  view->name = g_strdup (name);
  g_ptr_array_add (st->tensors, view);

  if (!fvc_dtype_from_name (json_node_get_string (dtype_node), &view->dtype))
    return parse_error (error, st->label, "tensor \"%s\" has unknown dtype \"%s\"", name,
                        json_node_get_string (dtype_node));

  shape = json_node_get_array (shape_node);
  if (json_array_get_length (shape) > FVC_SAFETENSORS_MAX_DIMS)
    return parse_error (error, st->label, "tensor \"%s\" has %u dimensions (at most %d)", name,
                        json_array_get_length (shape), FVC_SAFETENSORS_MAX_DIMS);
  view->n_dims = json_array_get_length (shape);
  for (guint d = 0; d < view->n_dims; d++) {
    JsonNode *dim = json_array_get_element (shape, d);
    gint64 v;
    if (json_node_get_value_type (dim) != G_TYPE_INT64 || (v = json_node_get_int (dim)) < 0)
      return parse_error (error, st->label, "tensor \"%s\" has an invalid shape entry", name);
    view->shape[d] = v;
    if (v != 0 && count > G_MAXUINT64 / (guint64) v)
      return parse_error (error, st->label, "tensor \"%s\" shape overflows", name);
    count *= (guint64) v;
  }

  offsets = json_node_get_array (offsets_node);
  if (json_array_get_length (offsets) != 2)
    return parse_error (error, st->label, "tensor \"%s\" data_offsets must have 2 entries", name);
  for (guint k = 0; k < 2; k++) {
    JsonNode *o = json_array_get_element (offsets, k);
    if (json_node_get_value_type (o) != G_TYPE_INT64 || json_node_get_int (o) < 0)
      return parse_error (error, st->label, "tensor \"%s\" has an invalid data offset", name);
  }
  begin = (guint64) json_array_get_int_element (offsets, 0);
  end = (guint64) json_array_get_int_element (offsets, 1);
  if (end < begin || end > data_len)
    return parse_error (error, st->label,
                        "tensor \"%s\" data [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
                        ") lies outside the %" G_GUINT64_FORMAT "-byte data section",
                        name, begin, end, data_len);
  if (count > G_MAXUINT64 / fvc_dtype_size (view->dtype))
    return parse_error (error, st->label, "tensor \"%s\" size overflows", name);
  expected = count * fvc_dtype_size (view->dtype);
  if (end - begin != expected)
    return parse_error (error, st->label,
                        "tensor \"%s\" holds %" G_GUINT64_FORMAT " bytes but its dtype and shape need %"
                        G_GUINT64_FORMAT, name, end - begin, expected);
  view->data = data + begin;
  view->n_bytes = (gsize) expected;
  return TRUE;
}

FvcSafetensors *
fvc_safetensors_new_from_bytes (GBytes *bytes, const char *label, GError **error)
{
  g_autoptr (FvcSafetensors) st = g_new0 (FvcSafetensors, 1);
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError) json_error = NULL;
  g_autoptr (GList) members = NULL;
  const guint8 *file;
  gsize file_len;
  guint64 header_len, data_len;
  JsonNode *root;
  JsonObject *obj;
  const guint8 *data, *cursor;

  g_return_val_if_fail (bytes != NULL, NULL);

  st->label = g_strdup (label ? label : "(memory)");
  st->bytes = g_bytes_ref (bytes);
  st->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  st->tensors = g_ptr_array_new_with_free_func (tensor_view_free);
  st->by_name = g_hash_table_new (g_str_hash, g_str_equal);

  file = g_bytes_get_data (bytes, &file_len);
  if (file_len < 8) {
    parse_error (error, st->label, "%zu bytes, shorter than the 8-byte length prefix", file_len);
    return NULL;
  }
  memcpy (&header_len, file, 8);
  header_len = GUINT64_FROM_LE (header_len);
  if (header_len < 2 || header_len > FVC_SAFETENSORS_MAX_HEADER || header_len > file_len - 8) {
    parse_error (error, st->label, "header length %" G_GUINT64_FORMAT " does not fit the %zu-byte file",
                 header_len, file_len);
    return NULL;
  }
  if (file[8] != '{') {
    parse_error (error, st->label, "header does not start with '{'");
    return NULL;
  }
  data = file + 8 + header_len;
  data_len = file_len - 8 - header_len;

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, (const char *) file + 8, (gssize) header_len, &json_error)) {
    parse_error (error, st->label, "header JSON: %s", json_error->message);
    return NULL;
  }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    parse_error (error, st->label, "header is not a JSON object");
    return NULL;
  }
  obj = json_node_get_object (root);
  members = json_object_get_members (obj);
  for (GList *l = members; l != NULL; l = l->next) {
    const char *name = l->data;
    JsonNode *node = json_object_get_member (obj, name);

    if (strcmp (name, "__metadata__") == 0) {
      JsonObject *md;
      g_autoptr (GList) keys = NULL;
      if (!JSON_NODE_HOLDS_OBJECT (node)) {
        parse_error (error, st->label, "__metadata__ is not an object");
        return NULL;
      }
      md = json_node_get_object (node);
      keys = json_object_get_members (md);
      for (GList *k = keys; k != NULL; k = k->next) {
        JsonNode *v = json_object_get_member (md, k->data);
        if (json_node_get_value_type (v) != G_TYPE_STRING) {
          parse_error (error, st->label, "__metadata__ value \"%s\" is not a string", (char *) k->data);
          return NULL;
        }
        g_hash_table_replace (st->metadata, g_strdup (k->data), g_strdup (json_node_get_string (v)));
      }
      continue;
    }
    if (!parse_tensor_entry (st, name, node, data, data_len, error))
      return NULL;
  }

  /* The tensors must tile the data section exactly: no gaps, no overlap, nothing left over. */
  g_ptr_array_sort (st->tensors, compare_by_offset);
  cursor = data;
  for (guint i = 0; i < st->tensors->len; i++) {
    FvcTensorView *v = g_ptr_array_index (st->tensors, i);
    if ((const guint8 *) v->data != cursor) {
      parse_error (error, st->label, "tensor \"%s\" data does not follow the previous tensor's", v->name);
      return NULL;
    }
    cursor += v->n_bytes;
    g_hash_table_insert (st->by_name, (gpointer) v->name, v);
  }
  if (cursor != data + data_len) {
    parse_error (error, st->label, "%" G_GUINT64_FORMAT " bytes after the last tensor",
                 (guint64) (data + data_len - cursor));
    return NULL;
  }
  return g_steal_pointer (&st);
}

FvcSafetensors *
fvc_safetensors_open (const char *path, GError **error)
{
  g_autoptr (GError) local = NULL;
  GMappedFile *mapped = g_mapped_file_new (path, FALSE, &local);
  GBytes *bytes;
  FvcSafetensors *st;

  if (mapped == NULL) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_IO, "%s: cannot open: %s", path, local->message);
    return NULL;
  }
  bytes = g_mapped_file_get_bytes (mapped);
  if (bytes == NULL) /* empty file: GLib maps nothing */
    bytes = g_bytes_new_static ("", 0);
  st = fvc_safetensors_new_from_bytes (bytes, path, error);
  g_bytes_unref (bytes);
  if (st != NULL)
    st->mapped = mapped;
  else
    g_mapped_file_unref (mapped);
  return st;
}

const char *
fvc_safetensors_get_label (const FvcSafetensors *st)
{
  return st->label;
}

const char *
fvc_safetensors_get_metadata (const FvcSafetensors *st, const char *key)
{
  return g_hash_table_lookup (st->metadata, key);
}

guint
fvc_safetensors_get_n_tensors (const FvcSafetensors *st)
{
  return st->tensors->len;
}

const FvcTensorView *
fvc_safetensors_get_tensor_nth (const FvcSafetensors *st, guint i)
{
  g_return_val_if_fail (i < st->tensors->len, NULL);
  return g_ptr_array_index (st->tensors, i);
}

const FvcTensorView *
fvc_safetensors_get_tensor (const FvcSafetensors *st, const char *name)
{
  return g_hash_table_lookup (st->by_name, name);
}

static char *
format_shape (guint n_dims, const gint64 *shape)
{
  GString *s = g_string_new ("[");
  for (guint d = 0; d < n_dims; d++) {
    if (shape[d] < 0)
      g_string_append_printf (s, "%s*", d ? ", " : "");
    else
      g_string_append_printf (s, "%s%" G_GINT64_FORMAT, d ? ", " : "", shape[d]);
  }
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

const FvcTensorView *
fvc_safetensors_expect_tensor (const FvcSafetensors *st, const char *name, FvcDType dtype,
                               guint n_dims, const gint64 *shape, GError **error)
{
  const FvcTensorView *v = fvc_safetensors_get_tensor (st, name);
  gboolean ok;

  if (v == NULL) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_PARSE, "%s: no tensor \"%s\"", st->label, name);
    return NULL;
  }
  ok = v->dtype == dtype && v->n_dims == n_dims;
  for (guint d = 0; ok && d < n_dims; d++)
    ok = shape[d] < 0 || shape[d] == v->shape[d];
  if (!ok) {
    g_autofree char *want = format_shape (n_dims, shape);
    g_autofree char *got = format_shape (v->n_dims, v->shape);
    g_set_error (error, FVC_ERROR, FVC_ERROR_MISMATCH,
                 "%s: tensor \"%s\" is %s %s, expected %s %s", st->label, name,
                 fvc_dtype_name (v->dtype), got, fvc_dtype_name (dtype), want);
    return NULL;
  }
  return v;
}

/* ---- writer ------------------------------------------------------------------------------- */

typedef struct {
  char *name;
  FvcDType dtype;
  guint n_dims;
  gint64 shape[FVC_SAFETENSORS_MAX_DIMS];
  gconstpointer data;
  gsize n_bytes;
} WriterTensor;

struct _FvcSafetensorsWriter {
  GPtrArray *metadata_keys;   /* char*, insertion order */
  GHashTable *metadata;       /* key -> value */
  GArray *tensors;            /* WriterTensor */
};

FvcSafetensorsWriter *
fvc_safetensors_writer_new (void)
{
  FvcSafetensorsWriter *w = g_new0 (FvcSafetensorsWriter, 1);
  w->metadata_keys = g_ptr_array_new_with_free_func (g_free);
  w->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  w->tensors = g_array_new (FALSE, TRUE, sizeof (WriterTensor));
  return w;
}

void
fvc_safetensors_writer_free (FvcSafetensorsWriter *w)
{
  if (w == NULL)
    return;
  for (guint i = 0; i < w->tensors->len; i++)
    g_free (g_array_index (w->tensors, WriterTensor, i).name);
  g_array_unref (w->tensors);
  g_hash_table_unref (w->metadata);
  g_ptr_array_unref (w->metadata_keys);
  g_free (w);
}

void
fvc_safetensors_writer_set_metadata (FvcSafetensorsWriter *w, const char *key, const char *value)
{
  g_return_if_fail (key != NULL && value != NULL);
  if (!g_hash_table_contains (w->metadata, key)) {
    char *k = g_strdup (key);
    g_ptr_array_add (w->metadata_keys, k);
    g_hash_table_insert (w->metadata, k, g_strdup (value));
  } else {
    char *k = NULL;
    for (guint i = 0; i < w->metadata_keys->len; i++)
      if (strcmp (g_ptr_array_index (w->metadata_keys, i), key) == 0)
        k = g_ptr_array_index (w->metadata_keys, i);
    g_hash_table_insert (w->metadata, k, g_strdup (value));
  }
}

void
fvc_safetensors_writer_add_tensor (FvcSafetensorsWriter *w, const char *name, FvcDType dtype,
                                   guint n_dims, const gint64 *shape, gconstpointer data)
{
  WriterTensor t = { 0 };
  gsize count = 1;

  g_return_if_fail (name != NULL && strcmp (name, "__metadata__") != 0);
  g_return_if_fail (n_dims <= FVC_SAFETENSORS_MAX_DIMS);
  t.name = g_strdup (name);
  t.dtype = dtype;
  t.n_dims = n_dims;
  for (guint d = 0; d < n_dims; d++) {
    g_return_if_fail (shape[d] >= 0);
    t.shape[d] = shape[d];
    count *= (gsize) shape[d];
  }
  t.data = data;
  t.n_bytes = count * fvc_dtype_size (dtype);
  g_array_append_val (w->tensors, t);
}

/* JSON string escaping per RFC 8259; bytes >= 0x80 pass through (the input is UTF-8). */
static void
append_json_string (GString *out, const char *s)
{
  g_string_append_c (out, '"');
  for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
    switch (*p) {
      case '"': g_string_append (out, "\\\""); break;
      case '\\': g_string_append (out, "\\\\"); break;
      case '\n': g_string_append (out, "\\n"); break;
      case '\r': g_string_append (out, "\\r"); break;
      case '\t': g_string_append (out, "\\t"); break;
      default:
        if (*p < 0x20)
          g_string_append_printf (out, "\\u%04x", *p);
        else
          g_string_append_c (out, (char) *p);
    }
  }
  g_string_append_c (out, '"');
}

GBytes *
fvc_safetensors_writer_build_header (FvcSafetensorsWriter *w)
{
  GString *json = g_string_new ("{");
  gboolean first = TRUE;
  guint64 offset = 0, len_le;

  if (w->metadata_keys->len > 0) {
    g_string_append (json, "\"__metadata__\":{");
    for (guint i = 0; i < w->metadata_keys->len; i++) {
      const char *k = g_ptr_array_index (w->metadata_keys, i);
      if (i)
        g_string_append_c (json, ',');
      append_json_string (json, k);
      g_string_append_c (json, ':');
      append_json_string (json, g_hash_table_lookup (w->metadata, k));
    }
    g_string_append_c (json, '}');
    first = FALSE;
  }
  for (guint i = 0; i < w->tensors->len; i++) {
    const WriterTensor *t = &g_array_index (w->tensors, WriterTensor, i);
    if (!first)
      g_string_append_c (json, ',');
    first = FALSE;
    append_json_string (json, t->name);
    g_string_append_printf (json, ":{\"dtype\":\"%s\",\"shape\":[", fvc_dtype_name (t->dtype));
    for (guint d = 0; d < t->n_dims; d++)
      g_string_append_printf (json, "%s%" G_GINT64_FORMAT, d ? "," : "", t->shape[d]);
    g_string_append_printf (json, "],\"data_offsets\":[%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT "]}",
                            offset, offset + t->n_bytes);
    offset += t->n_bytes;
  }
  g_string_append_c (json, '}');
  /* Pad with spaces so that the data section starts 8-byte aligned, as the reference writer does. */
  while (json->len % 8 != 0)
    g_string_append_c (json, ' ');

  len_le = GUINT64_TO_LE ((guint64) json->len);
  g_string_prepend_len (json, (const char *) &len_le, 8);
  {
    gsize n = json->len;
    return g_bytes_new_take (g_string_free (json, FALSE), n);
  }
}

gboolean
fvc_safetensors_writer_write_file (FvcSafetensorsWriter *w, const char *path, GError **error)
{
  g_autoptr (GBytes) header = fvc_safetensors_writer_build_header (w);
  g_autofree FvcChunk *chunks = g_new (FvcChunk, w->tensors->len + 1);

  chunks[0].data = g_bytes_get_data (header, &chunks[0].len);
  for (guint i = 0; i < w->tensors->len; i++) {
    const WriterTensor *t = &g_array_index (w->tensors, WriterTensor, i);
    chunks[i + 1].data = t->data;
    chunks[i + 1].len = t->n_bytes;
  }
  return fvc_file_write_atomic (path, chunks, w->tensors->len + 1, error);
}
